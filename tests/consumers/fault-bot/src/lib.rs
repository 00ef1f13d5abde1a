//! A consumer for the tests that fails on demand (world `consumer`): a text containing
//! `trap` makes `on-message` trap (a panic, which is `unreachable` in wasm); any other
//! text is answered `fault-bot: ok`. The tests use it to show that a consumer's failure
//! is logged and stops neither the component nor the other consumers.

wit_bindgen::generate!({
    world: "consumer",
    path: "../../../wit",
});

use asterai::whatsapp::types::{
    Action, Content, Message, Reply, StatusUpdate, TextFormat, WebhookUpdate,
};
use exports::asterai::whatsapp::incoming_handler::Guest;

/// The component.
struct FaultBot;

impl Guest for FaultBot {
    fn on_message(message: Message) -> Vec<Action> {
        match &message.content {
            Content::Text(body) if body.contains("trap") => {
                panic!("fault-bot: trapping on purpose")
            }
            Content::Text(_) => vec![Action::Reply(Reply {
                body: "fault-bot: ok".to_string(),
                quote: true,
                format: TextFormat::Raw,
                preview_url: false,
                biz_opaque_callback_data: None,
            })],
            _ => Vec::new(),
        }
    }

    fn on_status(_status: StatusUpdate) {}

    fn on_update(_update: WebhookUpdate) {}
}

export!(FaultBot);
