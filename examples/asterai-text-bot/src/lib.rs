//! A consumer as asterai's ecosystem writes them, against asterai's own WhatsApp
//! interfaces (`asterai:whatsapp@0.1.0`): it exports `incoming-handler@0.1.0` and answers
//! through the `api@0.1.0` it imports. On the asterai runtime, the asterai build of the
//! `whatsapp` component serves both: it calls this `on-message` for every text, and the
//! runtime links the `api` import to its export.
//!
//! It answers every text with `echo: ` and the text, and logs the id `send-message`
//! returned (or its `error: ` answer) to stderr.

wit_bindgen::generate!({
    inline: r#"
        package example:asterai-text-bot;

        world text-bot {
            import asterai:whatsapp/api@0.1.0;
            export asterai:whatsapp/incoming-handler@0.1.0;
        }
    "#,
    path: "../../wit/asterai/deps/asterai-whatsapp-0.1.0",
    generate_all,
});

use asterai::whatsapp::api;
use asterai::whatsapp::types::Message;
use exports::asterai::whatsapp::incoming_handler::Guest;

/// The component.
struct TextBot;

impl Guest for TextBot {
    fn on_message(message: Message) {
        let answer = api::send_message(&echo(&message.content), &message.sender.phone);
        eprintln!("asterai-text-bot: answered {}: {answer}", message.id);
    }
}

/// The answer to a text.
fn echo(content: &str) -> String {
    format!("echo: {content}")
}

export!(TextBot);

#[cfg(test)]
mod tests {
    #[test]
    fn a_text_is_echoed() {
        assert_eq!(super::echo("hi"), "echo: hi");
    }
}
