//! Host-side bindings for world `asterai:whatsapp/whatsapp`, generated from `../wit`.
//!
//! The WASI interfaces are mapped onto the types of `wasmtime-wasi` and
//! `wasmtime-wasi-http`, so the component's `wasi:http` resources are the same ones
//! the standard linker functions create.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "asterai:whatsapp/whatsapp",
    // Trappable: a host function returns `wasmtime::Result`, and an error traps the guest
    // (`Harness::trap_on_message`).
    imports: { default: async | trappable },
    exports: { default: async },
    additional_derives: [PartialEq],
    require_store_data_send: true,
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
    },
});
