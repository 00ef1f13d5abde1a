//! No consumer: the `consumer` world with nothing behind it.
//!
//! Every inbound message gets no actions (edits, deletions and call permission replies
//! included), and every delivery update and other webhook update (`on-update`) is ignored,
//! without a log line. Compose it
//! into the `whatsapp` component to satisfy its `incoming-handler` import when the
//! component should only acknowledge webhooks, or only send (through its exported
//! `outgoing`, for example behind the `notifier` example).

wit_bindgen::generate!({
    world: "consumer",
    path: "../../wit",
});

use asterai::whatsapp::types::{Action, Delivery, Message, StatusUpdate, WebhookUpdate};
use exports::asterai::whatsapp::incoming_handler::Guest;

/// The component.
struct NoConsumer;

impl Guest for NoConsumer {
    fn on_message(message: Message, _delivery: Delivery) -> Vec<Action> {
        reply_to(&message)
    }

    fn on_status(_status: StatusUpdate, _delivery: Delivery) {}

    fn on_update(_update: WebhookUpdate, _delivery: Delivery) {}
}

export!(NoConsumer);

/// The actions for `message`: none, whatever it is.
pub fn reply_to(_message: &Message) -> Vec<Action> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asterai::whatsapp::types::{Content, Revoke, User};

    fn message(content: Content) -> Message {
        Message {
            id: String::from("wamid.IN"),
            sender: User {
                phone: Some(String::from("15551234567")),
                user_id: None,
                parent_user_id: None,
                username: None,
                name: None,
            },
            timestamp: 0,
            business_account_id: String::from("102290129340398"),
            phone_number_id: String::from("123456"),
            display_phone_number: String::new(),
            group_id: None,
            context: None,
            content,
            text: String::from("hello"),
            referral: None,
            errors: Vec::new(),
            raw_json: String::from("{}"),
        }
    }

    #[test]
    fn every_message_gets_no_actions() {
        let revoke = Content::Revoke(Revoke {
            original_message_id: String::from("wamid.EARLIER"),
        });
        for content in [Content::Text(String::from("hello")), revoke] {
            let message = message(content);
            assert!(reply_to(&message).is_empty());
            assert!(NoConsumer::on_message(message, Delivery { attempt: 1 }).is_empty());
        }
    }
}
