//! Outbound: what we send Meta. From the consumer's record to the Graph API request and
//! back to a typed result.

pub mod chunk;
pub mod format;
pub mod graph;
pub mod graph_error;
pub mod limits;
pub mod media;
pub mod plan;
pub mod retry;
pub mod sender;
