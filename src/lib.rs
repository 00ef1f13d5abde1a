//! WhatsApp Cloud API bridge as a WASI 0.2 component.
//!
//! The pure core (everything but `component`) knows nothing of wasm and is tested
//! natively; `component` is the thin binding layer that maps it to WIT and wasi:http.

// The error types are the WIT's own records (`send-error`, `text-failure`), returned
// as they cross the component boundary; boxing them inside would only add a copy.
#![allow(clippy::result_large_err)]

pub mod allowlist;
pub mod bindings;
pub mod chunk;
pub mod config;
pub mod dedup;
pub mod format;
pub mod graph;
pub mod graph_error;
pub mod limits;
pub mod payload;
pub mod retry;
pub mod sender;
pub mod signature;
pub mod verify;

pub use bindings::asterai::whatsapp::types;

/// Writes one line to stderr, prefixed with `whatsapp:`. Never fails, never traps:
/// a closed stderr only loses the line.
pub fn log(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "whatsapp: {line}");
}

#[cfg(target_arch = "wasm32")]
mod component;
