//! Nothing accepted is lost, end to end on the real `wasmtime serve`: the component
//! composed with `fault-bot` (tests/consumers/fault-bot, which traps, stalls or answers
//! on demand), a state directory, and the sandbox as the Graph API. A message answered 200
//! reaches its consumer even when the consumer traps or the host is killed mid-dispatch,
//! and a reply that meets a Graph outage is sent when the Graph API comes back: once, in
//! order.
//!
//! The lease is 1 s here (`WHATSAPP_DISPATCH_LEASE_SECS`), so an unfinished dispatch is
//! taken again by the first request after it; `GET /health` is such a request.
//!
//! Needs `make compose sandbox` (`make test` runs it first).

mod e2e_support;

use std::time::Duration;

use e2e_support::*;
use serde_json::{json, Value};

const FAULT: &str = "fault.wasm";

/// A lease short enough for a test, and how long to wait for it to end.
const LEASE: (&str, &str) = ("WHATSAPP_DISPATCH_LEASE_SECS", "1");
const PAST_LEASE: Duration = Duration::from_millis(2100);

/// The sends whose text body is exactly `body`.
fn texts<'a>(requests: &'a [Value], body: &str) -> Vec<&'a Value> {
    requests
        .iter()
        .filter(|r| is_send(r) && r["body"]["text"]["body"] == body)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_traps_once_gets_the_message_again_and_only_once_more() {
    let stack = Stack::start_with("trap-once", FAULT, &[LEASE], true).await;
    let base = stack.serve.url();
    let id = wamid();
    let body = text_webhook(&id, "trap once please");
    let answer = stack.post_signed(&body).await;
    assert_eq!(
        answer.status,
        200,
        "accepted before the consumer ran: {}",
        answer.text()
    );
    stack
        .serve
        .wait_log_line("the consumer's trap", |l| l.contains("trapping on purpose"))
        .await;
    assert_eq!(health(&base).await["pending"], 1, "recorded as pending");

    tokio::time::sleep(PAST_LEASE).await;
    health(&base).await; // a later request: takes the entry again after its own answer
    let requests = stack
        .wait_requests("the second attempt's answer", SOON, |r| {
            !texts(r, "fault-bot: ok (attempt 2)").is_empty()
        })
        .await;
    assert_eq!(texts(&requests, "fault-bot: ok (attempt 2)").len(), 1);

    // Done: neither later requests nor Meta's redelivery dispatch it again.
    tokio::time::sleep(PAST_LEASE).await;
    health(&base).await;
    assert_eq!(stack.post_signed(&body).await.status, 200);
    stack
        .serve
        .wait_log_line("the redelivery dropped", |l| {
            l.contains(&format!("message {id} was already dispatched"))
        })
        .await;
    let after = health(&base).await;
    assert_eq!(
        (after["pending"].clone(), after["dead_letter"].clone()),
        (json!(0), json!(0))
    );
    assert_eq!(
        fault_bot_answers(&stack.sandbox.requests().await),
        vec!["fault-bot: ok (attempt 2)"],
        "answered once, by the second attempt"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_whose_host_was_killed_mid_dispatch_is_dispatched_after_a_restart() {
    let mut stack = Stack::start_with("sigkill", FAULT, &[LEASE], true).await;
    let id = wamid();
    let answer = stack.post_signed(&text_webhook(&id, "slow please")).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    // The consumer takes 3 s: kill the host while it runs (Proc's kill is SIGKILL).
    tokio::time::sleep(Duration::from_millis(800)).await;
    let state = stack
        .state
        .as_ref()
        .expect("a state dir")
        .path()
        .to_path_buf();
    let mut env = component_env(&stack.sandbox.url());
    env.push((LEASE.0.into(), LEASE.1.into()));
    stack.serve = Serve::start(&composed(FAULT), &env, Some(&state)).await;
    assert!(
        fault_bot_answers(&stack.sandbox.requests().await).is_empty(),
        "the killed host never answered"
    );

    tokio::time::sleep(PAST_LEASE).await;
    health(&stack.serve.url()).await;
    let requests = stack
        .wait_requests("the answer after the restart", SOON, |r| {
            !texts(r, "fault-bot: ok (attempt 2)").is_empty()
        })
        .await;
    assert_eq!(
        fault_bot_answers(&requests),
        vec!["fault-bot: ok (attempt 2)"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_several_concurrent_requests_after_expiry_exactly_one_dispatches_again() {
    let stack = Stack::start_with("concurrent", FAULT, &[LEASE], true).await;
    let base = stack.serve.url();
    let id = wamid();
    assert_eq!(
        stack
            .post_signed(&text_webhook(&id, "trap once, then answer"))
            .await
            .status,
        200
    );
    stack
        .serve
        .wait_log_line("the consumer's trap", |l| l.contains("trapping on purpose"))
        .await;
    tokio::time::sleep(PAST_LEASE).await;
    let requests: Vec<_> = (0..8)
        .map(|_| {
            let url = format!("{base}/health");
            tokio::spawn(async move { get(&url).await.status })
        })
        .collect();
    for request in requests {
        assert_eq!(request.await.expect("request task"), 200);
    }
    stack
        .wait_requests("the one answer", SOON, |r| !fault_bot_answers(r).is_empty())
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        fault_bot_answers(&stack.sandbox.requests().await),
        vec!["fault-bot: ok (attempt 2)"],
        "exactly one of the eight took it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_always_traps_is_dead_lettered_after_the_attempts() {
    let stack = Stack::start_with(
        "dead-letter",
        FAULT,
        &[LEASE, ("WHATSAPP_DISPATCH_ATTEMPTS", "2")],
        true,
    )
    .await;
    let base = stack.serve.url();
    let id = wamid();
    assert_eq!(
        stack
            .post_signed(&text_webhook(&id, "trap always"))
            .await
            .status,
        200
    );
    // Attempt 1 (the POST) and attempt 2 (a later request) trap; the next take
    // dead-letters it.
    for _ in 0..2 {
        tokio::time::sleep(PAST_LEASE).await;
        health(&base).await;
    }
    let line = stack
        .serve
        .wait_log_line("the dead-letter line", |l| l.contains("dead-letter"))
        .await;
    assert!(line.contains(&id) && line.contains("2 attempts"), "{line}");
    assert!(!line.contains("trap always"), "no body in the log: {line}");
    let report = health(&base).await;
    assert_eq!(report["dead_letter"], 1, "{report}");
    assert_eq!(report["pending"], 0, "{report}");
    let traps = stack.serve.log().matches("trapping on purpose").count();
    assert_eq!(traps, 2, "two attempts, no third");
    assert!(fault_bot_answers(&stack.sandbox.requests().await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_that_meet_a_graph_outage_are_sent_once_in_order_when_it_ends() {
    // A lease longer than one action's retries (each step of a dispatch renews it), so
    // that the request sending a reply keeps the entry until it is done; a postponed entry
    // comes back after 5 s.
    let stack = Stack::start_with(
        "outbox",
        FAULT,
        &[
            ("WHATSAPP_DISPATCH_LEASE_SECS", "30"),
            ("WHATSAPP_MARK_READ", "off"),
        ],
        true,
    )
    .await;
    let base = stack.serve.url();
    // Longer than the retry budget (4 attempts): the first reply fails for good in the
    // first request, and again twice in the next one.
    stack
        .sandbox
        .add_faults(json!([{"kind": "http_status", "status": 503, "count": 6}]))
        .await;
    let id = wamid();
    assert_eq!(
        stack
            .post_signed(&text_webhook(&id, "two replies"))
            .await
            .status,
        200
    );
    stack
        .serve
        .wait_log_line("the reply kept in the outbox", |l| l.contains("outbox"))
        .await;
    assert_eq!(health(&base).await["pending"], 1);

    // Later requests send it when the Graph API answers again, the rest after it. Keep
    // a request coming every second, as Meta's traffic would.
    let ticker = {
        let url = format!("{base}/health");
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let _ = try_request("GET", &url, &[], Vec::new()).await;
            }
        })
    };
    let requests = stack
        .wait_requests("both replies", Duration::from_secs(60), |r| {
            fault_bot_answers(r).len() >= 2
        })
        .await;
    ticker.abort();
    assert_eq!(
        fault_bot_answers(&requests),
        vec!["fault-bot: 1 of 2", "fault-bot: 2 of 2"],
        "each once, in order"
    );
    tokio::time::sleep(Duration::from_secs(6)).await;
    health(&base).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        fault_bot_answers(&stack.sandbox.requests().await).len(),
        2,
        "never twice"
    );
    assert_eq!(health(&base).await["pending"], 0);
}
