//! WhatsApp Cloud API bridge as a WASI 0.2 component.
pub mod bindings;
pub use bindings::asterai::whatsapp::types;
