//! Nothing accepted is lost, through the built component in `host-test`: with a state
//! directory, a message answered 200 is recorded before the answer and reaches its
//! consumer even when the consumer traps, and the actions it asked for are sent once,
//! in order, even across a Graph outage longer than the retry budget.
//!
//! Later requests (a webhook POST or `GET /health`) take unfinished entries again once
//! their lease (60 s by default) ended. The tests run on tokio's paused clock, which is
//! also the guest's wall clock, so waiting out a lease takes no real time.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use host_test::*;
use serde_json::Value;

/// Just past the default lease.
const PAST_LEASE: Duration = Duration::from_secs(61);

async fn health(h: &Harness) -> Value {
    let r = h.get("/health").await.expect("health ran");
    assert_eq!(r.status, 200, "{}", r.text());
    serde_json::from_slice(&r.body).expect("health is JSON")
}

/// The text bodies of the sends, in order.
/// A Graph stand-in that answers the `n`-th request it gets (counting from 1) with
/// `answer(n)`, and as the sandbox does where that is `None`.
fn nth_send(
    answer: impl Fn(usize) -> Option<GraphResponse> + Send + Sync + 'static,
) -> impl Fn(&GraphRequest) -> GraphResponse + Send + Sync + 'static {
    let calls = AtomicUsize::new(0);
    move |r| {
        answer(calls.fetch_add(1, Ordering::SeqCst) + 1)
            .unwrap_or_else(|| GraphResponse::sandbox(r))
    }
}

/// An outage's answer.
fn unavailable() -> GraphResponse {
    GraphResponse::text(503, "Service Unavailable")
}

/// A text that a reply sends in three parts: 9000 characters of numbered words.
fn three_part_text() -> String {
    (1..=1500).map(|i| format!("w{i:04} ")).collect()
}

fn sent_texts(h: &Harness) -> Vec<String> {
    sends(h)
        .iter()
        .filter_map(|r| r.json()["text"]["body"].as_str().map(String::from))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_message_whose_consumer_trapped_is_dispatched_again_by_a_later_request() {
    let h = harness()
        .state_dir(state_dir("durable-trap-once"))
        .trap_on_message(|_, attempt| attempt == 1)
        .on_message(|_| vec![reply("Yes, we ship to Canada.")]);
    let trapped = h.request(signed(&fixture("text.json"))).await;
    assert!(trapped.is_err(), "the consumer trapped the instance");
    let report = health(&h).await;
    assert_eq!(report["pending"], 1, "recorded before the 200: {report}");
    assert!(sends(&h).is_empty(), "{}", h.logs());

    tokio::time::sleep(PAST_LEASE).await;
    health(&h).await;
    let calls = h.message_calls();
    assert_eq!(
        calls.iter().map(|c| c.attempt).collect::<Vec<_>>(),
        vec![1, 2],
        "{}",
        h.logs()
    );
    assert_eq!(sent_texts(&h), ["Yes, we ship to Canada."]);
    assert_eq!(calls[0].message.id, calls[1].message.id);
    assert_eq!(
        format!("{:?}", calls[0].message),
        format!("{:?}", calls[1].message),
        "the stored message is the one that came in"
    );

    // Done: later requests and Meta's redelivery do not dispatch it again.
    tokio::time::sleep(PAST_LEASE).await;
    health(&h).await;
    deliver(&h, "text.json").await;
    assert_eq!(h.message_calls().len(), 2, "{}", h.logs());
    let report = health(&h).await;
    assert_eq!(
        (report["pending"].as_u64(), report["dead_letter"].as_u64()),
        (Some(0), Some(0))
    );
}

#[tokio::test(start_paused = true)]
async fn a_redelivery_of_an_entry_whose_lease_ended_is_dispatched_again() {
    let h = harness()
        .state_dir(state_dir("durable-redelivery"))
        .trap_on_message(|_, attempt| attempt == 1);
    assert!(h.request(signed(&fixture("text.json"))).await.is_err());
    // Within the lease, a redelivery is being dispatched elsewhere: dropped.
    deliver(&h, "text.json").await;
    assert_eq!(h.message_calls().len(), 1);
    assert!(h.logs().contains("is being dispatched; redelivery ignored"));
    tokio::time::sleep(PAST_LEASE).await;
    deliver(&h, "text.json").await;
    assert_eq!(
        h.message_calls()
            .iter()
            .map(|c| c.attempt)
            .collect::<Vec<_>>(),
        vec![1, 2]
    );
}

#[tokio::test(start_paused = true)]
async fn a_consumer_that_always_traps_is_dead_lettered_after_the_attempts() {
    let h = harness()
        .state_dir(state_dir("durable-dead"))
        .env("WHATSAPP_DISPATCH_ATTEMPTS", "3")
        .trap_on_message(|_, _| true);
    assert!(h.request(signed(&fixture("text.json"))).await.is_err());
    for _ in 0..3 {
        tokio::time::sleep(PAST_LEASE).await;
        let _ = h.get("/health").await; // takes it again: traps, or dead-letters it
    }
    assert_eq!(
        h.message_calls()
            .iter()
            .map(|c| c.attempt)
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let report = health(&h).await;
    assert_eq!(report["dead_letter"], 1, "{report}");
    assert_eq!(report["pending"], 0, "{report}");
    let logs = h.logs();
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains("dead-letter")).collect();
    assert_eq!(lines.len(), 1, "one line:\n{logs}");
    assert!(lines[0].contains("3 attempts"), "{}", lines[0]);
    // A redelivery of a dead-lettered message is dropped.
    deliver(&h, "text.json").await;
    assert_eq!(h.message_calls().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn replies_that_meet_an_outage_are_sent_later_in_order_and_the_consumer_is_not_asked_again() {
    // The Graph API answers 503 to the 2nd to 9th sends: the first reply goes out, the
    // second fails past the retry budget (4 attempts) and waits in the outbox with the
    // third; a later request sends them when it answers again.
    let h = harness()
        .state_dir(state_dir("durable-outbox"))
        .env("WHATSAPP_MARK_READ", "off")
        .on_message(|_| vec![reply("one"), reply("two"), reply("three")])
        .graph(nth_send(|n| (2..=9).contains(&n).then(unavailable)));
    // The texts of the sends the stand-in answered 200: all but the 2nd to 9th.
    let accepted = |h: &Harness| -> Vec<String> {
        sends(h)
            .iter()
            .enumerate()
            .filter(|(i, _)| !(1..=8).contains(i))
            .filter_map(|(_, r)| r.json()["text"]["body"].as_str().map(String::from))
            .collect()
    };
    deliver(&h, "text.json").await;
    assert_eq!(accepted(&h), ["one"], "{}", h.logs());
    assert_eq!(sends(&h).len(), 5, "one, then two tried 4 times");
    assert!(h.logs().contains("kept in the outbox"), "{}", h.logs());
    assert_eq!(health(&h).await["pending"], 1);

    // Each later request takes it again (5 s apart) until the outage ends.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_secs(6)).await;
        health(&h).await;
    }
    // The requests the stand-in answered 200: all but the 2nd to 9th.
    let accepted: Vec<String> = sends(&h)
        .iter()
        .enumerate()
        .filter(|(i, _)| !(1..=8).contains(i))
        .filter_map(|(_, r)| r.json()["text"]["body"].as_str().map(String::from))
        .collect();
    assert_eq!(
        accepted,
        ["one", "two", "three"],
        "each once, in order\n{}",
        h.logs()
    );
    assert_eq!(h.message_calls().len(), 1, "the consumer was asked once");
    assert_eq!(health(&h).await["pending"], 0);
}

#[tokio::test(start_paused = true)]
async fn a_long_reply_that_meets_an_outage_goes_on_from_the_part_that_failed() {
    // A reply of three parts. The Graph API answers 503 to the 2nd to 5th sends: part 1
    // goes out, part 2 fails past the retry budget (4 attempts) and waits in the outbox
    // with part 3; a later request sends both. No part twice, none lost.
    let long = three_part_text();
    let text = long.clone();
    let h = harness()
        .state_dir(state_dir("durable-parts"))
        .env("WHATSAPP_MARK_READ", "off")
        .on_message(move |_| vec![reply(&text)])
        .graph(nth_send(|n| (2..=5).contains(&n).then(unavailable)));
    // The texts of the sends the stand-in answered 200: all but the 2nd to 5th.
    let accepted = |h: &Harness| -> Vec<String> {
        sent_texts(h)
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !(1..=4).contains(i))
            .map(|(_, t)| t)
            .collect()
    };
    deliver(&h, "text.json").await;
    assert_eq!(accepted(&h).len(), 1, "part 1 went out\n{}", h.logs());
    assert_eq!(sends(&h).len(), 5, "part 1, then part 2 tried 4 times");
    assert!(
        h.logs()
            .contains("action 1 (reply, part 2 of 3) for message"),
        "{}",
        h.logs()
    );
    assert!(h.logs().contains("kept in the outbox"), "{}", h.logs());
    assert_eq!(health(&h).await["pending"], 1);

    tokio::time::sleep(Duration::from_secs(6)).await;
    health(&h).await;
    let parts = accepted(&h);
    assert_eq!(parts.len(), 3, "parts 2 and 3 went out later\n{}", h.logs());
    assert_eq!(sends(&h).len(), 7, "no part was sent twice");
    // A part boundary falls on a space, which the split drops.
    assert!(
        parts
            .join(" ")
            .split_whitespace()
            .eq(long.split_whitespace()),
        "the parts, in order, are the text"
    );
    assert_eq!(h.message_calls().len(), 1, "the consumer was asked once");
    assert_eq!(health(&h).await["pending"], 0);
}

#[tokio::test(start_paused = true)]
async fn the_parts_after_a_part_meta_refused_are_never_sent_even_by_a_later_attempt() {
    // A reply of three parts, then a short one. Meta refuses part 2 for good (a 400
    // Graph error): part 3 is given up with it. The short reply meets an outage (the 3rd
    // to 6th sends: 4 attempts) and waits in the outbox; the later request that sends it
    // must not send part 3.
    let text = three_part_text();
    let h = harness()
        .state_dir(state_dir("durable-refused-part"))
        .env("WHATSAPP_MARK_READ", "off")
        .on_message(move |_| vec![reply(&text), reply("after")])
        .graph(nth_send(|n| match n {
            2 => Some(GraphResponse::meta_error(
                400,
                100,
                "OAuthException",
                "Invalid parameter",
            )),
            3..=6 => Some(unavailable()),
            _ => None,
        }));
    deliver(&h, "text.json").await;
    assert_eq!(
        sends(&h).len(),
        6,
        "part 1, part 2, then the short reply 4 times"
    );
    assert!(
        h.logs()
            .contains("action 1 (reply, part 2 of 3) for message"),
        "{}",
        h.logs()
    );
    assert_eq!(health(&h).await["pending"], 1);

    tokio::time::sleep(Duration::from_secs(6)).await;
    health(&h).await;
    let texts = sent_texts(&h);
    assert_eq!(
        texts.len(),
        7,
        "only the short reply went out later\n{}",
        h.logs()
    );
    assert_eq!(texts.last().map(String::as_str), Some("after"));
    assert_eq!(health(&h).await["pending"], 0);
}

#[tokio::test(start_paused = true)]
async fn of_concurrent_requests_after_the_lease_exactly_one_dispatches_again() {
    let h = harness()
        .state_dir(state_dir("durable-concurrent"))
        .trap_on_message(|_, attempt| attempt == 1)
        .on_message(|_| vec![reply("once")]);
    assert!(h.request(signed(&fixture("text.json"))).await.is_err());
    tokio::time::sleep(PAST_LEASE).await;
    let gets = (0..6).map(|_| HttpRequest::get("/health")).collect();
    h.post_concurrently(gets).await.expect("requests ran");
    assert_eq!(h.message_calls().len(), 2, "{}", h.logs());
    assert_eq!(sent_texts(&h), ["once"]);
}

#[tokio::test]
async fn health_says_how_delivery_is_guaranteed() {
    let without = health(&harness()).await;
    assert_eq!(without["delivery"], "at-most-once", "{without}");
    assert!(
        without.get("pending").is_none_or(Value::is_null),
        "{without}"
    );
    let with = health(&harness().state_dir(state_dir("durable-health"))).await;
    assert_eq!(with["delivery"], "at-least-once", "{with}");
    assert_eq!(with["state_dir"], "writable", "{with}");
    // A configured directory that is not there (not preopened): as without one, and said.
    let unusable = health(&harness().env("WHATSAPP_STATE_DIR", "/no/such/preopen")).await;
    assert_eq!(unusable["delivery"], "at-most-once", "{unusable}");
    assert_eq!(unusable["state_dir"], "unwritable", "{unusable}");
    assert_eq!(unusable["dedup"], "per-request", "{unusable}");
    assert_eq!(
        (with["pending"].as_u64(), with["dead_letter"].as_u64()),
        (Some(0), Some(0))
    );
}
