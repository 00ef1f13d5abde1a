//! Bindings generated from `wit/`. The generated records and variants are plain Rust
//! data and compile on every target, so the pure core uses them as its domain model;
//! only `component` (wasm32 only) touches imports and exports.
//!
//! The default build is the world `whatsapp`, which imports its consumer. The asterai
//! build (`--features asterai`) is the world `whatsapp-asterai` of `wit/asterai/`, which
//! reaches its consumers through asterai's host API. Both name the same types; the paths
//! that differ are re-exported below under one name.

#[cfg(not(feature = "asterai"))]
wit_bindgen::generate!({
    world: "whatsapp",
    path: "wit",
    with: {
        "wasi:http/types@0.2.12": wasi::http::types,
        "wasi:http/outgoing-handler@0.2.12": wasi::http::outgoing_handler,
        "wasi:io/error@0.2.12": wasi::io::error,
        "wasi:io/poll@0.2.12": wasi::io::poll,
        "wasi:io/streams@0.2.12": wasi::io::streams,
        "wasi:clocks/monotonic-clock@0.2.12": wasi::clocks::monotonic_clock,
    },
    pub_export_macro: true,
});

#[cfg(feature = "asterai")]
wit_bindgen::generate!({
    world: "asterai:whatsapp-asterai/whatsapp-asterai",
    path: ["wit", "wit/asterai"],
    with: {
        "wasi:http/types@0.2.12": wasi::http::types,
        "wasi:http/outgoing-handler@0.2.12": wasi::http::outgoing_handler,
        "wasi:io/error@0.2.12": wasi::io::error,
        "wasi:io/poll@0.2.12": wasi::io::poll,
        "wasi:io/streams@0.2.12": wasi::io::streams,
        "wasi:clocks/monotonic-clock@0.2.12": wasi::clocks::monotonic_clock,
        "asterai:host/api@1.0.0": generate,
    },
    pub_export_macro: true,
});

/// The types of `asterai:whatsapp@0.4.0`.
#[cfg(not(feature = "asterai"))]
pub use asterai::whatsapp::types;
/// The types of `asterai:whatsapp@0.4.0` (exported by the asterai build, for its consumers).
#[cfg(feature = "asterai")]
pub use exports::asterai::whatsapp0_4_0::types;

/// The exported `outgoing` interface.
#[cfg(not(feature = "asterai"))]
pub use exports::asterai::whatsapp::outgoing;
/// The exported `outgoing` interface.
#[cfg(feature = "asterai")]
pub use exports::asterai::whatsapp0_4_0::outgoing;

/// The exported `media` interface.
#[cfg(not(feature = "asterai"))]
pub use exports::asterai::whatsapp::media;
/// The exported `media` interface.
#[cfg(feature = "asterai")]
pub use exports::asterai::whatsapp0_4_0::media;
