//! The composed build's consumer: the `incoming-handler` it imports, composed in with
//! `wac plug`. Exactly one, always there.

use crate::bindings::asterai::whatsapp::incoming_handler;
use crate::config::{Dispatch, WebhookConfig};
use crate::types::{Message, StatusUpdate, WebhookUpdate};

use super::Reply;

/// Why nothing is dispatched, when nothing is: `WHATSAPP_INCOMING_HANDLER_COMPONENTS=none`.
pub fn off(config: &WebhookConfig) -> Option<&'static str> {
    (config.dispatch == Dispatch::Off)
        .then_some("dispatch is off (WHATSAPP_INCOMING_HANDLER_COMPONENTS=none)")
}

/// Hands `message` to the consumer, and its actions to `act`.
pub fn on_message(_config: &WebhookConfig, message: &Message, mut act: impl FnMut(Reply)) {
    act(Reply {
        consumer: None,
        actions: incoming_handler::on_message(message),
    });
}

/// Hands a delivery status to the consumer.
pub fn on_status(_config: &WebhookConfig, status: &StatusUpdate) {
    incoming_handler::on_status(status);
}

/// Hands any other update to the consumer.
pub fn on_update(_config: &WebhookConfig, update: &WebhookUpdate) {
    incoming_handler::on_update(update);
}
