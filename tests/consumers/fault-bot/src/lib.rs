//! A consumer for the tests that fails on demand (world `consumer`). On a text message,
//! by its content (the first rule that matches):
//!
//! - `trap once`: `on-message` traps (a panic, which is `unreachable` in wasm) on the
//!   first attempt (`delivery.attempt == 1`) and answers on every later one;
//! - `trap`: `on-message` always traps;
//! - `slow`: `on-message` blocks for [`SLOW_NS`] (3 s) on a `wasi:clocks/monotonic-clock`
//!   pollable, then answers;
//! - `two`: two replies, `fault-bot: 1 of 2` and `fault-bot: 2 of 2`, not quoting;
//! - anything else: one answer.
//!
//! An answer is one quoting reply `fault-bot: ok (attempt N)`, with the delivery's attempt.
//! The rules are the pure [`plan`], unit-tested natively. Other messages, delivery updates
//! and other webhook updates get nothing. The tests use
//! it to show that a consumer's failure is logged and stops neither the component nor the
//! other consumers, and that a dispatch that did not finish is made again, with its
//! attempt counted.

wit_bindgen::generate!({
    world: "consumer",
    path: "../../../wit",
});

use asterai::whatsapp::types::{
    Action, Content, Delivery, Message, Reply, StatusUpdate, TextFormat, WebhookUpdate,
};
use exports::asterai::whatsapp::incoming_handler::Guest;

/// How long a `slow` message takes: 3 s.
pub const SLOW_NS: u64 = 3_000_000_000;

/// The component.
struct FaultBot;

impl Guest for FaultBot {
    fn on_message(message: Message, delivery: Delivery) -> Vec<Action> {
        let Content::Text(body) = &message.content else {
            return Vec::new();
        };
        match plan(body, delivery.attempt) {
            Plan::Trap => panic!("fault-bot: trapping on purpose"),
            Plan::Answer { slow, replies } => {
                if slow {
                    wasi::clocks::monotonic_clock::subscribe_duration(SLOW_NS).block();
                }
                replies
                    .into_iter()
                    .map(|(body, quote)| reply(body, quote))
                    .collect()
            }
        }
    }

    fn on_status(_status: StatusUpdate, _delivery: Delivery) {}

    fn on_update(_update: WebhookUpdate, _delivery: Delivery) {}
}

export!(FaultBot);

/// What the bot does with a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Trap.
    Trap,
    /// Answer with these replies (body, quote), after [`SLOW_NS`] when `slow`.
    Answer {
        /// Block for [`SLOW_NS`] first.
        slow: bool,
        /// The replies, in order: body and whether it quotes the message.
        replies: Vec<(String, bool)>,
    },
}

/// What the bot does with a text of `body` on delivery attempt `attempt` (the rules of the
/// crate documentation).
pub fn plan(body: &str, attempt: u32) -> Plan {
    let trap = if body.contains("trap once") {
        attempt == 1
    } else {
        body.contains("trap")
    };
    if trap {
        return Plan::Trap;
    }
    let ok = || vec![(format!("fault-bot: ok (attempt {attempt})"), true)];
    if body.contains("trap once") {
        Plan::Answer {
            slow: false,
            replies: ok(),
        }
    } else if body.contains("slow") {
        Plan::Answer {
            slow: true,
            replies: ok(),
        }
    } else if body.contains("two") {
        Plan::Answer {
            slow: false,
            replies: vec![
                ("fault-bot: 1 of 2".to_string(), false),
                ("fault-bot: 2 of 2".to_string(), false),
            ],
        }
    } else {
        Plan::Answer {
            slow: false,
            replies: ok(),
        }
    }
}

/// A raw-text reply in the chat of the message.
fn reply(body: String, quote: bool) -> Action {
    Action::Reply(Reply {
        body,
        quote,
        format: TextFormat::Raw,
        preview_url: false,
        biz_opaque_callback_data: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(attempt: u32, slow: bool) -> Plan {
        Plan::Answer {
            slow,
            replies: vec![(format!("fault-bot: ok (attempt {attempt})"), true)],
        }
    }

    #[test]
    fn trap_once_traps_on_the_first_attempt_only() {
        assert_eq!(plan("trap once please", 1), Plan::Trap);
        assert_eq!(plan("trap once please", 2), ok(2, false));
        assert_eq!(plan("trap once, then answer", 3), ok(3, false));
    }

    #[test]
    fn trap_traps_on_every_attempt() {
        for attempt in [1, 2, 5] {
            assert_eq!(plan("trap always", attempt), Plan::Trap);
            assert_eq!(plan("please trap now", attempt), Plan::Trap);
        }
    }

    #[test]
    fn slow_waits_then_answers_with_the_attempt() {
        assert_eq!(plan("slow please", 1), ok(1, true));
        assert_eq!(plan("slow please", 2), ok(2, true));
    }

    #[test]
    fn two_answers_twice_without_quoting() {
        assert_eq!(
            plan("two replies", 1),
            Plan::Answer {
                slow: false,
                replies: vec![
                    ("fault-bot: 1 of 2".to_string(), false),
                    ("fault-bot: 2 of 2".to_string(), false),
                ],
            }
        );
    }

    #[test]
    fn anything_else_gets_one_quoting_answer_with_the_attempt() {
        assert_eq!(plan("hello", 1), ok(1, false));
        assert_eq!(plan("hello", 4), ok(4, false));
    }
}
