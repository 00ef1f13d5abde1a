//! The composed build's consumer: the `incoming-handler` it imports, composed in with
//! `wac plug`. Exactly one, always there. A consumer that traps takes the instance with
//! it, so a call here never fails: it returns, or nothing after it runs.

use std::sync::OnceLock;

use crate::bindings::asterai::whatsapp::incoming_handler;
use crate::config::{Dispatch, WebhookConfig};
use crate::types::{Action, Delivery, Message, StatusUpdate, WebhookUpdate};

use super::Outcome;

/// A consumer: the name the journal records its answers under, and how log lines name it.
pub struct Consumer {
    /// Its name in the journal.
    pub name: String,
    /// ` of NAME` for log lines where there can be several consumers; empty here.
    pub of: String,
}

/// Why nothing is dispatched, when nothing is: `WHATSAPP_INCOMING_HANDLER_COMPONENTS=none`.
pub fn off(config: &WebhookConfig) -> Option<&'static str> {
    (config.dispatch == Dispatch::Off)
        .then_some("dispatch is off (WHATSAPP_INCOMING_HANDLER_COMPONENTS=none)")
}

/// The one consumer.
pub fn consumers(_config: &WebhookConfig) -> &'static [Consumer] {
    static ONE: OnceLock<[Consumer; 1]> = OnceLock::new();
    ONE.get_or_init(|| {
        [Consumer {
            name: "consumer".to_string(),
            of: String::new(),
        }]
    })
}

/// Hands `message` to the consumer with its `delivery`; its actions.
pub fn on_message(_: &Consumer, message: &Message, delivery: &Delivery) -> Outcome<Vec<Action>> {
    Outcome::Done(incoming_handler::on_message(message, *delivery))
}

/// Hands a delivery status to the consumer, with its `delivery`.
pub fn on_status(_: &Consumer, status: &StatusUpdate, delivery: &Delivery) -> Outcome<()> {
    incoming_handler::on_status(status, *delivery);
    Outcome::Done(())
}

/// Hands any other update to the consumer, with its `delivery`.
pub fn on_update(_: &Consumer, update: &WebhookUpdate, delivery: &Delivery) -> Outcome<()> {
    incoming_handler::on_update(update, *delivery);
    Outcome::Done(())
}
