//! A slow consumer (world `consumer`): every message blocks for [`DELAY_NS`] on a
//! `wasi:clocks/monotonic-clock` pollable, then gets no actions. `make bench` composes it
//! into `whatsapp` to check that the webhook's acknowledgement does not wait for the
//! consumer: the 200 is sent before `on-message` is called. Delivery updates and other
//! webhook updates are ignored at once.

wit_bindgen::generate!({
    world: "consumer",
    path: "../../wit",
});

use asterai::whatsapp::types::{Action, Delivery, Message, StatusUpdate, WebhookUpdate};
use exports::asterai::whatsapp::incoming_handler::Guest;

/// How long each message takes: 2 s.
pub const DELAY_NS: u64 = 2_000_000_000;

/// The component.
struct SlowConsumer;

impl Guest for SlowConsumer {
    fn on_message(_message: Message, _delivery: Delivery) -> Vec<Action> {
        wasi::clocks::monotonic_clock::subscribe_duration(DELAY_NS).block();
        Vec::new()
    }

    fn on_status(_status: StatusUpdate, _delivery: Delivery) {}

    fn on_update(_update: WebhookUpdate, _delivery: Delivery) {}
}

export!(SlowConsumer);
