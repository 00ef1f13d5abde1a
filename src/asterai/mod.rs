//! The asterai runtime's side of the binding, in pure Rust: what the asterai build
//! (`--features asterai`) needs that knows nothing of wasm.
//!
//! - [`consumers`]: the consumers named in `WHATSAPP_INCOMING_HANDLER_COMPONENTS`, the two
//!   interfaces they may implement, and asterai's 0.1.0 message.
//!
//! The JSON of WIT values that `call-component-function` takes and returns is
//! [`crate::wit_json`].

pub mod consumers;
