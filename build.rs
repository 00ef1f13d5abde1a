//! How the component is linked (native builds are untouched):
//!
//! - Its linear memory starts with room for a request's heap. wasm-ld's default initial
//!   memory is the 1 MiB stack plus the static data, rounded up to a page, which leaves
//!   almost no heap: every fresh instance's first allocations grew the memory
//!   (`memory.grow`, 20-25 us a request under `wasmtime serve`'s pooling allocator).
//!   Pages are zero until touched, so the room costs nothing until it is used.
//! - The release build runs binaryen's `wasm-opt` over the core module before it becomes
//!   a component: wasm-component-ld is told to link through `scripts/wasm-ld-opt` (wasm-ld,
//!   then wasm-opt). `-Oz`: 779,618 -> 644,701 bytes; `-O3` is 9 KB larger and no faster
//!   (bench-tool in process, alternating runs), and both are faster than no wasm-opt.
//!   `make setup` installs wasm-opt from npm into `target/tools/`; without it the build
//!   still works, unoptimized, and says so.

use std::env;
use std::path::{Path, PathBuf};

/// The initial linear memory: 20 pages of 64 KiB, the 1 MiB stack, about 60 KB of static
/// data, and 200 KB of heap (a text webhook with a reply peaks well under 100 KB).
const INITIAL_MEMORY: u32 = 20 * 65536;

/// binaryen's version, as the Makefile installs it (`BINARYEN_VERSION`).
const BINARYEN: &str = "132.0.0";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=scripts/wasm-ld-opt");
    println!("cargo:rerun-if-env-changed=WHATSAPP_WASM_OPT");
    println!("cargo:rerun-if-env-changed=WHATSAPP_WASM_OPT_LEVEL");
    if env::var("TARGET").unwrap_or_default() != "wasm32-wasip2" {
        return;
    }
    println!("cargo:rustc-link-arg-cdylib=--initial-memory={INITIAL_MEMORY}");
    if !env::var("PROFILE").is_ok_and(|p| p == "release") {
        return;
    }
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let Some(wasm_ld) = toolchain_wasm_ld() else {
        println!("cargo:warning=the toolchain's wasm-ld was not found: whatsapp.wasm is not run through wasm-opt");
        return;
    };
    let wasm_opt = env::var_os("WHATSAPP_WASM_OPT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            manifest.join(format!(
                "target/tools/binaryen-{BINARYEN}/node_modules/.bin/wasm-opt"
            ))
        });
    println!("cargo:rerun-if-changed={}", wasm_opt.display());
    if !wasm_opt.exists() {
        println!(
            "cargo:warning=wasm-opt not found at {}: whatsapp.wasm is not optimized (`make setup` installs it)",
            wasm_opt.display()
        );
        return;
    }
    let level = env::var("WHATSAPP_WASM_OPT_LEVEL").unwrap_or_else(|_| "-Oz".into());
    println!(
        "cargo:rustc-link-arg-cdylib=--wasm-ld-path={}",
        manifest.join("scripts/wasm-ld-opt").display()
    );
    println!("cargo:rustc-env=WHATSAPP_WASM_LD={}", wasm_ld.display());
    println!("cargo:rustc-env=WHATSAPP_WASM_OPT={}", wasm_opt.display());
    println!("cargo:rustc-env=WHATSAPP_WASM_OPT_LEVEL={level}");
}

/// The wasm-ld that wasm-component-ld would find by itself: `gcc-ld/wasm-ld` in the
/// toolchain's host tools.
fn toolchain_wasm_ld() -> Option<PathBuf> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = std::process::Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()?;
    let sysroot = String::from_utf8(sysroot.stdout).ok()?;
    let host = env::var("HOST").ok()?;
    let path = Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(host)
        .join("bin/gcc-ld/wasm-ld");
    path.exists().then_some(path)
}
