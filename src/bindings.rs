//! Bindings generated from `wit/`. The generated records and variants are plain Rust
//! data and compile on every target, so the pure core uses them as its domain model;
//! only `component` (wasm32 only) touches imports and exports.

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
