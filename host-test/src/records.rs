//! What a harness records: webhook responses, consumer calls and the event log.

use std::time::Duration;

use serde_json::Value;

use crate::{Message, StatusUpdate, WebhookUpdate};

/// The answer of one webhook request, fully received.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers, names lowercase, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// The instance that served it: matches [`Event::instance`],
    /// [`MessageCall::instance`] and [`crate::GraphRequest::instance`].
    pub instance: u64,
}

impl Response {
    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON, or [`Value::Null`] when it is empty or not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// One call of the imported `on-message`.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageCall {
    /// The message, as the component passed it.
    pub message: Message,
    /// The delivery's `attempt`, as the component passed it: 1 on the first dispatch.
    pub attempt: u32,
    /// Whether the consumer trapped on this call ([`crate::Harness::trap_on_message`]).
    pub trapped: bool,
    /// Whether the test side had fully received the webhook response (status,
    /// headers and the finished body) when the component called `on-message`. See
    /// [`crate::Harness::ack_timeout`]. Always `false` outside a webhook request.
    pub acked_before_dispatch: bool,
    /// The instance that made the call.
    pub instance: u64,
    /// Virtual time of the call since the harness's first operation.
    pub at: Duration,
}

/// One call of the imported `on-status`.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusCall {
    /// The update, as the component passed it.
    pub status: StatusUpdate,
    /// As [`MessageCall::attempt`].
    pub attempt: u32,
    /// As [`MessageCall::acked_before_dispatch`].
    pub acked_before_dispatch: bool,
    /// The instance that made the call.
    pub instance: u64,
    /// Virtual time of the call since the harness's first operation.
    pub at: Duration,
}

/// One call of the imported `on-update`.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateCall {
    /// The update, as the component passed it.
    pub update: WebhookUpdate,
    /// As [`MessageCall::attempt`].
    pub attempt: u32,
    /// As [`MessageCall::acked_before_dispatch`].
    pub acked_before_dispatch: bool,
    /// The instance that made the call.
    pub instance: u64,
    /// Virtual time of the call since the harness's first operation.
    pub at: Duration,
}

/// One entry of the harness's ordered event log ([`crate::Harness::events`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Virtual time (tokio clock) since the harness's first operation.
    pub at: Duration,
    /// The instance it belongs to.
    pub instance: u64,
    /// What happened.
    pub kind: EventKind,
}

/// What happened, in [`Event`].
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// A webhook request was handed to a fresh instance.
    Request {
        /// Method.
        method: String,
        /// Path and query.
        path: String,
    },
    /// The test side received the complete webhook response (body finished).
    Responded {
        /// Its status.
        status: u16,
    },
    /// `on-message` was called (logged when it returns to the component, so after
    /// `Responded` exactly when `acked` is true).
    OnMessage {
        /// The message id.
        id: String,
        /// See [`MessageCall::acked_before_dispatch`].
        acked: bool,
    },
    /// `on-status` was called (logged like `OnMessage`).
    OnStatus {
        /// The status's message id.
        message_id: String,
        /// See [`StatusCall::acked_before_dispatch`].
        acked: bool,
    },
    /// `on-update` was called (logged like `OnMessage`).
    OnUpdate {
        /// The update's field.
        field: String,
        /// See [`UpdateCall::acked_before_dispatch`].
        acked: bool,
    },
    /// An outgoing request reached the Graph API stand-in (body complete).
    Graph {
        /// Its [`crate::GraphRequest::index`].
        index: usize,
        /// Method.
        method: String,
        /// Path without query.
        path: String,
    },
    /// An exported `outgoing` function was called in a fresh instance.
    Call {
        /// The WIT name, for example `send-text`.
        function: &'static str,
    },
    /// The instance's entry point (`handle` or the `outgoing` function) returned,
    /// or trapped.
    Finished {
        /// `false` when it trapped.
        ok: bool,
    },
}
