//! No consumer: the `consumer` world with nothing behind it.
//!
//! Every inbound message gets no actions and every delivery update is ignored. Compose it
//! into the `whatsapp` component to satisfy its `incoming-handler` import when the
//! component should only acknowledge webhooks, or only send (through its exported
//! `outgoing`, for example behind the `notifier` example).

wit_bindgen::generate!({
    world: "consumer",
    path: "../../wit",
});

use asterai::whatsapp::types::{Action, Message, StatusUpdate};
use exports::asterai::whatsapp::incoming_handler::Guest;

/// The component.
struct NoConsumer;

impl Guest for NoConsumer {
    fn on_message(message: Message) -> Vec<Action> {
        reply_to(&message)
    }

    fn on_status(_status: StatusUpdate) {}
}

export!(NoConsumer);

/// The actions for `message`: none, whatever it is.
pub fn reply_to(_message: &Message) -> Vec<Action> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asterai::whatsapp::types::Content;

    #[test]
    fn every_message_gets_no_actions() {
        let message = Message {
            id: String::from("wamid.IN"),
            sender: String::from("15551234567"),
            sender_name: None,
            sender_user_id: None,
            timestamp: 0,
            phone_number_id: String::from("123456"),
            display_phone_number: String::new(),
            context: None,
            content: Content::Text(String::from("hello")),
            text: String::from("hello"),
            referral: None,
            errors: Vec::new(),
            raw_json: String::from("{}"),
        };
        assert!(reply_to(&message).is_empty());
        assert!(NoConsumer::on_message(message).is_empty());
    }
}
