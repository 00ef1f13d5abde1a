//! Types provider: a component that exports `asterai:whatsapp/types@0.4.0` and nothing
//! else.
//!
//! Every component built against the `asterai:whatsapp` WIT imports the `types` interface
//! (wit-bindgen imports each interface an export or import `use`s), so a composition such
//! as whatsapp + consumer still imports it. The interface holds only records, variants and
//! enums: wasmtime accepts the import unsatisfied, but a host that wants every import
//! provided can have it satisfied by plugging this component in last:
//!
//! ```sh
//! wac plug composed.wasm --plug types_provider.wasm -o composed-wasi-only.wasm
//! ```
//!
//! There is nothing to implement: generating the bindings embeds the world, and the
//! component exports an instance made only of type definitions.

wit_bindgen::generate!({
    world: "example:types-provider/types-provider",
    path: ["../../wit", "wit"],
    generate_all,
});
