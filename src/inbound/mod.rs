//! Inbound: what Meta sends us. Each module guards one step of the webhook's path.

pub mod allowlist;
mod change;
pub mod dedup;
mod lenient;
pub mod payload;
pub mod signature;
mod update;
pub mod verify;
