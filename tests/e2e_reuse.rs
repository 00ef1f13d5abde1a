//! The delivery scenarios end to end with instance reuse: the real `wasmtime serve
//! --max-instance-reuse-count 64` (and an idle timeout of 30 s, so an instance waits
//! through the tests' pauses), a state directory, the composed echo bot or fault bot, and
//! the sandbox as the Graph API. `wasmtime serve` logs which instance handles each request
//! (`WASMTIME_LOG`), and each test checks that the requests it is about were served by an
//! instance that had served earlier ones: what it asserts held *under reuse*.
//!
//! The webhooks the tests send go to `/<tag>` (the webhook ignores a POST's path), so
//! the log tells them from the sandbox's status webhooks (`sent`, `delivered`), which
//! reach the component too.
//!
//! Needs `make compose sandbox` (`make test` runs it first).

mod e2e_support;

use std::collections::BTreeSet;
use std::time::Duration;

use e2e_support::*;
use serde_json::Value;

const ECHO: &str = "echo.wasm";
const FAULT: &str = "fault.wasm";
/// Requests per instance at most.
const REUSE: usize = 64;
/// A lease short enough for a test, and how long to wait for it to end.
const LEASE: (&str, &str) = ("WHATSAPP_DISPATCH_LEASE_SECS", "1");
const PAST_LEASE: Duration = Duration::from_millis(2100);
/// How long a request's instance may take to finish its dispatch after the reply
/// reached the sandbox (journal writes), so that the next request finds it idle.
const SETTLE: Duration = Duration::from_millis(300);
/// How long after a reply the sandbox's status webhooks for it (`sent` after 0.3 s,
/// `delivered` 0.9 s later) are done: a request sent then finds every instance idle.
const STATUSES_DONE: Duration = Duration::from_millis(1600);

fn sends_to<'a>(requests: &'a [Value], to: &str) -> Vec<&'a Value> {
    requests
        .iter()
        .filter(|r| is_send(r) && r["body"]["to"] == to)
        .collect()
}

/// Posts `body` signed to `/<tag>` and asserts the 200; returns the instance that
/// handled it.
async fn post(stack: &Stack, body: &[u8], tag: &str) -> u64 {
    let answer = stack.post_signed_tagged(body, tag).await;
    assert_eq!(
        answer.status,
        200,
        "{tag}: {}\n{}",
        answer.text(),
        stack.logs()
    );
    served_by(stack, &format!("/{tag}")).await
}

/// The instance that handled the request to `path`. wasmtime serve may write its log
/// line after the answer is out, so the log is read again for up to 5 s.
async fn served_by(stack: &Stack, path: &str) -> u64 {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(instance) = instance_of(&stack.served(), path) {
            return instance;
        }
        if std::time::Instant::now() > deadline {
            panic!(
                "no instance logged for {path}\n{:?}\n{}",
                stack.served(),
                stack.logs()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Asserts that the instance that handled the request to `path` had handled an earlier
/// request: that request met a reused instance. Returns the instance.
fn assert_reused(stack: &Stack, path: &str) -> u64 {
    let served = stack.served();
    let this = served
        .iter()
        .rev()
        .find(|r| r.path == path)
        .unwrap_or_else(|| panic!("{path} not logged: {served:?}"));
    let instance = this.instance.expect("handled by an instance");
    assert!(
        served
            .iter()
            .any(|r| r.request < this.request && r.instance == Some(instance)),
        "{path} was the first request of instance {instance}: not reused\n{served:?}"
    );
    instance
}

/// Waits until the sandbox has one accepted reply quoting `id`.
async fn wait_reply(stack: &Stack, id: &str) -> Vec<Value> {
    let requests = stack
        .wait_requests(&format!("the reply to {id}"), SOON, |r| {
            !accepted_replies_to(r, id).is_empty()
        })
        .await;
    tokio::time::sleep(SETTLE).await;
    requests
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_arrive_once_each_when_one_instance_serves_many_webhooks() {
    let stack = Stack::start_reusing("reuse-replies", ECHO, &[], REUSE).await;
    let ids: Vec<String> = (0..8).map(|_| wamid()).collect();
    let mut instances = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let text = format!("reuse message {n}");
        instances.push(post(&stack, &text_webhook(id, &text), &format!("text-{n}")).await);
        wait_reply(&stack, id).await;
    }
    // The webhooks after the first found instances that had served earlier requests (all
    // of them but one that arrives while the sandbox's status webhook of the previous
    // reply holds the instance: that one gets a fresh instance, as it should).
    let served = stack.served();
    let reused = (1..ids.len())
        .filter(|n| {
            let this = served
                .iter()
                .find(|r| r.path == format!("/text-{n}"))
                .expect("logged");
            served
                .iter()
                .any(|r| r.request < this.request && r.instance == this.instance)
        })
        .count();
    assert!(
        reused * 2 >= ids.len(),
        "only {reused} of {} webhooks met a reused instance: {served:?}",
        ids.len()
    );
    let distinct: BTreeSet<u64> = instances.iter().copied().collect();
    assert!(
        distinct.len() < ids.len() / 2,
        "{} instances for {} webhooks: {instances:?}",
        distinct.len(),
        ids.len()
    );

    tokio::time::sleep(Duration::from_millis(500)).await;
    let requests = stack.sandbox.requests().await;
    for (n, id) in ids.iter().enumerate() {
        let replies = replies_to(&requests, id);
        assert_eq!(replies.len(), 1, "message {n}: {replies:#?}");
        let text = replies[0]["body"]["text"]["body"].as_str().unwrap_or("");
        assert!(
            text.contains(&format!("reuse message {n}")),
            "message {n} answered with its own text: {text}"
        );
        assert_eq!(replies[0]["body"]["to"], USER);
        assert_eq!(read_receipts_for(&requests, id).len(), 1, "message {n}");
    }
    assert_eq!(
        requests.iter().filter(|r| is_send(r)).count(),
        ids.len(),
        "no other send"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivery_to_the_instance_that_dispatched_it_is_dropped() {
    let stack = Stack::start_reusing("reuse-dedup", ECHO, &[], REUSE).await;
    let id = wamid();
    let body = text_webhook(&id, "deliver me once");
    let first = post(&stack, &body, "original").await;
    wait_reply(&stack, &id).await;

    // Meta redelivers the same bytes. Redeliver until one lands on the instance that
    // dispatched the original (it is idle now, so the first one should).
    let mut on_same = 0;
    let mut redeliveries = 0;
    while redeliveries < 8 && (on_same == 0 || redeliveries < 3) {
        if post(&stack, &body, &format!("redelivery-{redeliveries}")).await == first {
            on_same += 1;
        }
        redeliveries += 1;
        tokio::time::sleep(SETTLE).await;
    }
    assert!(
        on_same > 0,
        "no redelivery reached instance {first}: {:?}",
        stack.served()
    );
    let ignored = format!("message {id} was already dispatched; redelivery ignored");
    stack
        .serve
        .wait_log_line("for the redeliveries", |l| l.contains(&ignored))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let requests = stack.sandbox.requests().await;
    assert_eq!(replies_to(&requests, &id).len(), 1, "{requests:#?}");
    assert_eq!(read_receipts_for(&requests, &id).len(), 1);
    assert_eq!(
        stack.serve.log().matches(&ignored).count(),
        redeliveries,
        "each redelivery dropped\n{}",
        stack.serve.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_outside_the_allowlist_is_not_dispatched_by_an_instance_that_served_one_inside() {
    const OTHER: &str = "15557654321";
    let stack = Stack::start_reusing(
        "reuse-allowlist",
        ECHO,
        &[("WHATSAPP_PHONE_ALLOWLIST", USER)],
        REUSE,
    )
    .await;
    let allowed = wamid();
    let first = post(&stack, &text_webhook(&allowed, "from inside"), "inside-1").await;
    wait_reply(&stack, &allowed).await;

    // Outsiders, until one lands on the instance that just dispatched an insider.
    let mut outsiders = Vec::new();
    for n in 0..8 {
        let id = wamid();
        let body = text_webhook_from(&id, OTHER, "Mallory", "let me in");
        let instance = post(&stack, &body, &format!("outside-{n}")).await;
        outsiders.push(id);
        stack
            .serve
            .wait_log_line("the outsider dropped", |l| {
                l.contains(outsiders.last().map_or("", String::as_str))
                    && l.contains("not in WHATSAPP_PHONE_ALLOWLIST")
            })
            .await;
        tokio::time::sleep(SETTLE).await;
        if instance == first {
            break;
        }
    }
    let served = stack.served();
    assert!(
        served
            .iter()
            .any(|r| r.path.starts_with("/outside-") && r.instance == Some(first)),
        "no outsider reached instance {first}: {served:?}"
    );

    // And an insider after them is answered, on the same instance too.
    let again = wamid();
    tokio::time::sleep(STATUSES_DONE).await;
    post(&stack, &text_webhook(&again, "inside again"), "inside-2").await;
    assert_reused(&stack, "/inside-2");
    let requests = wait_reply(&stack, &again).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let requests = {
        let later = stack.sandbox.requests().await;
        if later.len() >= requests.len() {
            later
        } else {
            requests
        }
    };
    assert!(
        sends_to(&requests, OTHER).is_empty(),
        "nothing sent to the outsider: {requests:#?}"
    );
    for id in &outsiders {
        assert!(
            read_receipts_for(&requests, id).is_empty(),
            "{id} not marked read"
        );
    }
    assert_eq!(replies_to(&requests, &allowed).len(), 1);
    assert_eq!(replies_to(&requests, &again).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_traps_once_on_a_reused_instance_gets_the_message_again_once() {
    let stack = Stack::start_reusing("reuse-trap", FAULT, &[LEASE], REUSE).await;
    let base = stack.serve.url();
    // A warm instance: it answers a message first.
    let warm = wamid();
    post(&stack, &text_webhook(&warm, "hello"), "warm").await;
    wait_reply(&stack, &warm).await;
    tokio::time::sleep(STATUSES_DONE).await;

    let id = wamid();
    post(&stack, &text_webhook(&id, "trap once please"), "trap").await;
    let trapped = assert_reused(&stack, "/trap");
    stack
        .serve
        .wait_log_line("the consumer's trap", |l| l.contains("trapping on purpose"))
        .await;
    assert_eq!(health(&base).await["pending"], 1, "recorded as pending");

    tokio::time::sleep(PAST_LEASE).await;
    health(&base).await; // takes the entry again after its own answer
    let requests = stack
        .wait_requests("the second attempt's answer", SOON, |r| {
            fault_bot_answers(r).contains(&"fault-bot: ok (attempt 2)".to_string())
        })
        .await;
    assert_eq!(
        fault_bot_answers(&requests),
        vec!["fault-bot: ok (attempt 1)", "fault-bot: ok (attempt 2)"],
        "the warm-up's answer, then the trapped message's, once"
    );

    // The trap killed its instance: nothing after it was served by it.
    let served = stack.served();
    let trap_request = served
        .iter()
        .find(|r| r.path == "/trap")
        .map(|r| r.request)
        .expect("the trap request is logged");
    let after: Vec<&ServedRequest> = served.iter().filter(|r| r.request > trap_request).collect();
    assert!(!after.is_empty());
    assert!(
        after.iter().all(|r| r.instance != Some(trapped)),
        "instance {trapped} trapped and served again: {served:?}"
    );

    // Later requests and Meta's redelivery do not dispatch it again; new messages are
    // answered on the instances that replaced it.
    tokio::time::sleep(PAST_LEASE).await;
    health(&base).await;
    post(&stack, &text_webhook(&id, "trap once please"), "redelivery").await;
    stack
        .serve
        .wait_log_line("the redelivery dropped", |l| {
            l.contains(&format!("message {id} was already dispatched"))
        })
        .await;
    let next = wamid();
    post(&stack, &text_webhook(&next, "and after it"), "after").await;
    wait_reply(&stack, &next).await;
    // Nothing left pending once the sandbox's status webhooks (journaled too) are done.
    tokio::time::sleep(STATUSES_DONE).await;
    let settled = eventually(SOON, || async {
        let report = health(&base).await;
        (report["pending"] == 0).then_some(report)
    })
    .await;
    let report = settled.unwrap_or_else(|| panic!("entries left pending\n{}", stack.logs()));
    assert_eq!(report["dead_letter"], 0, "{report}");
    let requests = stack.sandbox.requests().await;
    assert_eq!(
        fault_bot_answers(&requests),
        vec![
            "fault-bot: ok (attempt 1)",
            "fault-bot: ok (attempt 2)",
            "fault-bot: ok (attempt 1)"
        ]
    );
    assert_eq!(replies_to(&requests, &id).len(), 1);
    assert_eq!(stack.serve.log().matches("trapping on purpose").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_sequential_webhooks_on_reused_instances_all_get_their_replies() {
    const N: usize = 300;
    let stack = Stack::start_reusing("reuse-300", ECHO, &[], REUSE).await;
    let ids: Vec<String> = (0..N).map(|_| wamid()).collect();
    for (n, id) in ids.iter().enumerate() {
        let body = text_webhook(id, &format!("sequential {n}"));
        let answer = stack.post_signed_tagged(&body, &format!("seq-{n}")).await;
        assert_eq!(answer.status, 200, "webhook {n}: {}", answer.text());
    }
    let requests = stack
        .wait_requests("every reply", Duration::from_secs(120), |r| {
            r.iter().filter(|r| is_send(r)).count() >= N
        })
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let requests = {
        let later = stack.sandbox.requests().await;
        assert!(later.len() >= requests.len());
        later
    };
    let mut missing = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let replies = accepted_replies_to(&requests, id);
        if replies.len() != 1 {
            missing.push((n, replies.len()));
            continue;
        }
        let text = replies[0]["body"]["text"]["body"].as_str().unwrap_or("");
        assert!(
            text.contains(&format!("sequential {n}")),
            "webhook {n} answered with its own text: {text}"
        );
        assert_eq!(read_receipts_for(&requests, id).len(), 1, "webhook {n}");
    }
    assert!(
        missing.is_empty(),
        "(webhook, replies) not answered exactly once: {missing:?}"
    );
    assert_eq!(requests.iter().filter(|r| is_send(r)).count(), N);

    let served = stack.served();
    let ours: Vec<&ServedRequest> = served
        .iter()
        .filter(|r| r.path.starts_with("/seq-"))
        .collect();
    assert_eq!(ours.len(), N, "every webhook logged");
    let instances: BTreeSet<u64> = ours.iter().filter_map(|r| r.instance).collect();
    let per = requests_per_instance(&served);
    assert!(
        instances.len() < N / 4,
        "{} instances for {N} webhooks: not reused ({per:?})",
        instances.len()
    );
    println!(
        "{N} webhooks on {} instances; requests per instance (statuses included): {per:?}",
        instances.len()
    );
    assert!(
        per.values().all(|&n| n <= REUSE),
        "no instance over --max-instance-reuse-count {REUSE}: {per:?}"
    );
    tokio::time::sleep(STATUSES_DONE).await;
    let base = stack.serve.url();
    let pending = eventually(SOON, || async {
        (health(&base).await["pending"] == 0).then_some(())
    })
    .await;
    assert!(pending.is_some(), "entries left pending\n{}", stack.logs());
    assert!(
        !stack.serve.log().contains("worker failed"),
        "no instance failed\n{}",
        stack.serve.log()
    );
}
