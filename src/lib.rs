//! WhatsApp Cloud API bridge as a WASI 0.2 component.
//!
//! The layout follows the data's way across the wire:
//! - [`inbound`]: Meta calls us. The webhook's signature and handshake checks, payload
//!   parsing, dedup and the allowlist.
//! - [`outbound`]: we call Meta. Markdown formatting, chunking, Meta's limits, Graph request
//!   building, error mapping, retries and the sender.
//! - [`json`]: a JSON tree read in place, its strings borrowed from the text: Meta's
//!   webhooks and the Graph API's answers are both read into it.
//! - [`asterai`]: the asterai runtime's JSON for WIT values (the asterai build dispatches
//!   to consumers through its host API).
//! - [`wit_json`]: WIT values as JSON, the form asterai's call API takes.
//! - [`config`]: the configuration read from the environment, and the health report.
//! - [`heap`]: the allocator: small blocks recycled by size class in front of the
//!   system's.
//! - `component` (wasm32 only): the thin binding layer that maps the pure core to WIT and
//!   wasi:http.
//!
//! Everything but `component` knows nothing of wasm and is tested natively.

// The error types are the WIT's own records (`send-error`, `text-failure`), returned
// as they cross the component boundary; boxing them inside would only add a copy.
#![allow(clippy::result_large_err)]

pub mod asterai;
pub mod bindings;
pub mod config;
pub mod heap;
pub mod inbound;
pub mod json;
pub mod outbound;
pub mod wit_json;

pub use bindings::types;

/// Writes one line to stderr, prefixed with `whatsapp:`. Never fails, never traps:
/// a closed stderr only loses the line.
///
/// The line is assembled first and written with one call: stderr is unbuffered, and
/// `writeln!` with arguments would write each piece separately (pieces of lines from
/// concurrent instances interleaved in the host's log). In the component it goes straight
/// to `wasi:cli/stderr` (one host call), not through wasi-libc's stdio (four).
pub fn log(line: &str) {
    let mut text = String::with_capacity(line.len() + 11);
    text.push_str("whatsapp: ");
    text.push_str(line);
    text.push('\n');
    #[cfg(target_arch = "wasm32")]
    component::write_stderr(text.as_bytes());
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::io::Write;
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
}

#[cfg(target_arch = "wasm32")]
mod component;
