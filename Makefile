# WhatsApp Cloud API component: build, test, serve.
# Every target installs what it needs, idempotently: a new machine needs only Rust 1.95.

SHELL := /bin/bash
TARGET := wasm32-wasip2
RELEASE := target/$(TARGET)/release
COMPONENT := $(RELEASE)/whatsapp.wasm
COMPOSED := target/composed
CARGO_BIN := $(HOME)/.cargo/bin
export PATH := $(CARGO_BIN):$(PATH)

# The asterai build (world whatsapp-asterai, wit/asterai/): its own target directory, as the
# same crate with the `asterai` feature would otherwise overwrite whatsapp.wasm.
ASTERAI_COMPONENT := target/asterai/$(TARGET)/release/whatsapp.wasm
# The asterai CLI (its runtime), from npm; it runs offline.
ASTERAI_CLI_VERSION := 1.0.0-alpha.17
ASTERAI_CLI_DIR := target/tools/asterai-cli-$(ASTERAI_CLI_VERSION)
ASTERAI_CLI := $(ASTERAI_CLI_DIR)/node_modules/@asterai/cli-linux-x64/bin/asterai

WASMTIME_VERSION := 48.0.8
WAC_VERSION := 0.12.0
CARGO_FUZZ_VERSION := 0.13.2
# binaryen's wasm-opt (npm), run over whatsapp.wasm's core module by its release build
# (build.rs, scripts/wasm-ld-opt). Keep in step with BINARYEN in build.rs.
BINARYEN_VERSION := 132.0.0
WASM_OPT := target/tools/binaryen-$(BINARYEN_VERSION)/node_modules/.bin/wasm-opt

# make fuzz: seconds per target, the targets, and cargo-fuzz build flags (no sanitizer: the
# core has no unsafe code; debug assertions on, so arithmetic overflow panics).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := webhook_parser json_tree signature_header markdown chunker
FUZZ_BUILD_FLAGS := --sanitizer none --debug-assertions

# The consumer `make serve` composes with: the echo bot unless CONSUMER=path.wasm.
CONSUMER ?= $(RELEASE)/echo_bot.wasm
EXAMPLES := -p echo-bot -p order-bot -p no-consumer -p notifier -p types-provider -p asterai-text-bot -p media-bot
# Consumers only the tests use (tests/consumers/).
TEST_CONSUMERS := -p fault-bot

.PHONY: all setup tools build components compose serve sandbox browser-deps test test-core fuzz lint fmt bench clean asterai asterai-cli serve-asterai

all: build

## setup: install the wasm32-wasip2 target and binaryen's wasm-opt if missing.
setup: $(WASM_OPT)
	@rustup target list --installed | grep -qx '$(TARGET)' || rustup target add $(TARGET)

$(WASM_OPT):
	npm install --prefix target/tools/binaryen-$(BINARYEN_VERSION) --no-save --no-audit --no-fund --loglevel=error binaryen@$(BINARYEN_VERSION)
	@test -x $@ && touch $@

## build: the component, at target/wasm32-wasip2/release/whatsapp.wasm.
build: setup
	cargo build --release --target $(TARGET) -p whatsapp
	@ls -l $(COMPONENT)

## tools: wasmtime-cli and wac-cli at their pinned versions, installed if missing.
tools:
	@wasmtime --version 2>/dev/null | grep -q ' $(WASMTIME_VERSION)' || cargo install --locked wasmtime-cli@$(WASMTIME_VERSION)
	@wac --version 2>/dev/null | grep -q ' $(WAC_VERSION)' || cargo install --locked wac-cli@$(WAC_VERSION)

## asterai: the asterai build, at target/asterai/wasm32-wasip2/release/whatsapp.wasm: the
## same component with its consumers named in WHATSAPP_INCOMING_HANDLER_COMPONENTS and
## called through asterai's host API (world whatsapp-asterai in wit/asterai/).
asterai: setup
	cargo build --release --target $(TARGET) -p whatsapp --features asterai --target-dir target/asterai
	@ls -l $(ASTERAI_COMPONENT)

## asterai-cli: the asterai CLI $(ASTERAI_CLI_VERSION) (npm @asterai/cli-linux-x64), in target/tools/.
asterai-cli: $(ASTERAI_CLI)
$(ASTERAI_CLI):
	npm install --prefix $(ASTERAI_CLI_DIR) --no-save --no-audit --no-fund --loglevel=error @asterai/cli-linux-x64@$(ASTERAI_CLI_VERSION)
	@test -x $@ && touch $@

## serve-asterai: the asterai build with CONSUMER on the asterai runtime, on 127.0.0.1:8080;
## the webhook is http://127.0.0.1:8080/local/whatsapp/local/whatsapp/. Without
## WHATSAPP_ACCESS_TOKEN the sandbox chat on 127.0.0.1:8081 stands in for Meta, as with
## `make serve`.
serve-asterai: asterai asterai-cli components sandbox
	ASTERAI=$(abspath $(ASTERAI_CLI)) COMPONENT=$(ASTERAI_COMPONENT) CONSUMER=$(CONSUMER) scripts/serve-asterai.sh

## components: the component and the example components.
components: setup
	cargo build --release --target $(TARGET) -p whatsapp $(EXAMPLES) $(TEST_CONSUMERS)

## compose: every composition, in target/composed/.
compose: components tools
	@mkdir -p $(COMPOSED)
	wac plug $(COMPONENT) --plug $(RELEASE)/echo_bot.wasm -o $(COMPOSED)/echo.wasm
	wac plug $(COMPONENT) --plug $(RELEASE)/order_bot.wasm -o $(COMPOSED)/order.wasm
	wac plug $(COMPONENT) --plug $(RELEASE)/no_consumer.wasm -o $(COMPOSED)/whatsapp-standalone.wasm
	wac plug $(COMPONENT) --plug $(RELEASE)/fault_bot.wasm -o $(COMPOSED)/fault.wasm
	wac compose examples/bot.wac --dep example:bot=$(RELEASE)/media_bot.wasm \
		--dep asterai:whatsapp=$(COMPONENT) --dep example:no-consumer=$(RELEASE)/no_consumer.wasm \
		-o $(COMPOSED)/media.wasm
	wac plug $(RELEASE)/notifier.wasm --plug $(COMPOSED)/whatsapp-standalone.wasm -o $(COMPOSED)/notifier.wasm

## sandbox: the local stand-in for Meta.
sandbox:
	cargo build --release -p sandbox

## serve: the component with CONSUMER under wasmtime serve on 127.0.0.1:8080; with no
## WHATSAPP_ACCESS_TOKEN set, the sandbox chat on 127.0.0.1:8081 stands in for Meta. A
## CONSUMER that imports `outgoing` (world `bot`) is composed with examples/bot.wac.
serve: compose sandbox
	@if grep -qa 'asterai:whatsapp/outgoing@' $(CONSUMER); then \
		echo "serve: $(CONSUMER) imports outgoing: a second whatsapp instance sends for it (examples/bot.wac)"; \
		wac compose examples/bot.wac --dep example:bot=$(CONSUMER) --dep asterai:whatsapp=$(COMPONENT) \
			--dep example:no-consumer=$(RELEASE)/no_consumer.wasm -o $(COMPOSED)/serve.wasm; \
	else \
		wac plug $(COMPONENT) --plug $(CONSUMER) -o $(COMPOSED)/serve.wasm; \
	fi
	COMPOSED=$(COMPOSED)/serve.wasm scripts/serve.sh

## browser-deps: Debian's headless Chromium and its WebDriver, for tests/e2e_browser.rs;
## installed with apt-get only when missing (with sudo when not root).
browser-deps:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
		else echo "browser-deps: not root and no sudo: install chromium and chromium-driver" >&2; exit 1; fi; \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; }

## bench: wrk against wasmtime serve on loopback: the host's ceiling (a hello-world
## component), the handshake, signed webhooks (no consumer, a replying one with a Graph
## stand-in, a 2 s one), the floor of each (hello world of the same shape) and the most
## each can reach (the floor plus the checks no webhook can skip); the same again with
## instance reuse (--max-instance-reuse-count); each floor and its targets again side by
## side, measured in turn; the reply's latency with a Graph that answers after 200 ms.
## Figures and ratios in bench/results.md (bench/run.sh). About 16 minutes.
bench: setup tools
	bench/run.sh

## test: every test: native unit tests of the core, then the built component in wasmtime.
test: compose asterai asterai-cli sandbox browser-deps lint
	cargo test --workspace --all-targets

## test-core: only the native unit tests of the pure core (no wasm needed).
test-core:
	cargo test -p whatsapp --lib

## fuzz: each cargo-fuzz target (fuzz/fuzz_targets/) for FUZZ_SECONDS, failing on any crash;
## the crash input is left in fuzz/artifacts/<target>/. Not part of `make test`.
## Needs the nightly toolchain: on a machine without it, `rustup toolchain install` downloads
## it from rustup's server, which may be unreachable (the machine image already has nightly).
## Seeds (committed) are read from fuzz/seeds/<target>/; what fuzzing finds goes to the
## scratch corpus fuzz/corpus/<target>/ (ignored by git).
fuzz:
	@cargo fuzz --version 2>/dev/null | grep -q ' $(CARGO_FUZZ_VERSION)$$' || cargo install --locked cargo-fuzz@$(CARGO_FUZZ_VERSION)
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	cd fuzz && cargo +nightly fuzz build $(FUZZ_BUILD_FLAGS)
	@set -e; cd fuzz; for t in $(FUZZ_TARGETS); do \
	  echo "== fuzz $$t for $(FUZZ_SECONDS)s"; \
	  mkdir -p corpus/$$t; \
	  dict=; case $$t in webhook_parser|json_tree) dict=-dict=dicts/webhook_parser.dict;; markdown|chunker) dict=-dict=dicts/markdown.dict;; esac; \
	  cargo +nightly fuzz run $(FUZZ_BUILD_FLAGS) $$t corpus/$$t seeds/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 $$dict; \
	done

## lint: rustfmt and clippy, native and wasm.
lint: setup
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p whatsapp --target $(TARGET) -- -D warnings
	cargo clippy -p whatsapp --target $(TARGET) --features asterai --target-dir target/asterai -- -D warnings

fmt:
	cargo fmt --all

clean:
	cargo clean
