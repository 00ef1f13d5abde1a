//! Inbound: what Meta sends us. Each module guards one step of the webhook's path.

pub mod allowlist;
mod change;
pub mod dedup;
pub mod journal;
mod lenient;
pub mod payload;
pub mod signature;
pub mod stored;
mod update;
pub mod verify;
