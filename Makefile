# WhatsApp Cloud API component: build, test, serve.
# Every target installs what it needs, idempotently: a new machine needs only Rust 1.95.

SHELL := /bin/bash
TARGET := wasm32-wasip2
COMPONENT := target/$(TARGET)/release/whatsapp.wasm
CARGO_BIN := $(HOME)/.cargo/bin
export PATH := $(CARGO_BIN):$(PATH)

.PHONY: all setup build test test-core test-host lint fmt clean

all: build

## setup: install the wasm32-wasip2 target if missing.
setup:
	@rustup target list --installed | grep -qx '$(TARGET)' || rustup target add $(TARGET)

## build: the component, at target/wasm32-wasip2/release/whatsapp.wasm.
build: setup
	cargo build --release --target $(TARGET) -p whatsapp
	@ls -l $(COMPONENT)

## test: every test: native unit tests of the core, then the built component in wasmtime.
test: build lint
	cargo test --workspace --all-targets

## test-core: only the native unit tests of the pure core (no wasm needed).
test-core:
	cargo test -p whatsapp --lib

## lint: rustfmt and clippy, native and wasm.
lint: setup
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p whatsapp --target $(TARGET) -- -D warnings

fmt:
	cargo fmt --all

clean:
	cargo clean
