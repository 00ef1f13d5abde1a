//! A slow consumer (world `consumer`). `make bench` composes it into `whatsapp`:
//!
//! - (e): every message blocks for [`DELAY_NS`] (2 s) on a `wasi:clocks/monotonic-clock`
//!   pollable, then gets no actions: the webhook's acknowledgement must not wait for the
//!   consumer (the 200 is sent before `on-message` is called);
//! - (f'): a text that starts with `bench: think N ms` blocks for N ms instead, then gets
//!   one quoting reply: a consumer whose own time shows in the reply latency.
//!
//! Delivery updates and other webhook updates are ignored at once.

wit_bindgen::generate!({
    world: "consumer",
    path: "../../wit",
});

use asterai::whatsapp::types::{
    Action, Delivery, Message, Reply, StatusUpdate, TextFormat, WebhookUpdate,
};
use exports::asterai::whatsapp::incoming_handler::Guest;

/// How long each message takes: 2 s.
pub const DELAY_NS: u64 = 2_000_000_000;

/// The prefix of a text that asks for a reply after N ms.
const THINK: &str = "bench: think ";

/// The component.
struct SlowConsumer;

impl Guest for SlowConsumer {
    fn on_message(message: Message, _delivery: Delivery) -> Vec<Action> {
        if let Some(ms) = think_ms(&message.text) {
            wasi::clocks::monotonic_clock::subscribe_duration(ms.saturating_mul(1_000_000)).block();
            return vec![Action::Reply(Reply {
                body: format!("thought for {ms} ms"),
                quote: true,
                format: TextFormat::Raw,
                preview_url: false,
                biz_opaque_callback_data: None,
            })];
        }
        wasi::clocks::monotonic_clock::subscribe_duration(DELAY_NS).block();
        Vec::new()
    }

    fn on_status(_status: StatusUpdate, _delivery: Delivery) {}

    fn on_update(_update: WebhookUpdate, _delivery: Delivery) {}
}

/// N of a text `bench: think N ms…`.
fn think_ms(text: &str) -> Option<u64> {
    let rest = text.strip_prefix(THINK)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

export!(SlowConsumer);
