//! Hostile input and Graph API faults, through the real `wasmtime serve` with the real
//! sandbox as Meta. Expected each time: no 5xx, the right status, every valid message
//! dispatched exactly once (seen as exactly one read receipt per message id, which the
//! component sends only for a message it dispatches), bounded retries, typed errors in
//! the log, and never the access token in a log line.
//!
//! Needs `make compose sandbox` (`make test` runs it first).

mod e2e_support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use e2e_support::*;
use serde_json::{json, Value};

/// The component with a consumer that does nothing: every dispatch shows as one read
/// receipt, and nothing else reaches the Graph API.
const STANDALONE: &str = "whatsapp-standalone.wasm";
const ECHO: &str = "echo.wasm";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(root().join("tests/fixtures/webhook").join(name)).expect("fixture")
}

fn addr_of(stack: &Stack) -> SocketAddr {
    stack
        .serve
        .url()
        .trim_start_matches("http://")
        .parse()
        .expect("serve address")
}

/// Read receipts per message id.
fn receipts(requests: &[Value]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in requests {
        if r["body"]["status"] == "read" {
            let id = r["body"]["message_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            *counts.entry(id).or_insert(0) += 1;
        }
    }
    counts
}

/// The component's own log lines, and wasmtime's, must show no trap and no token.
fn assert_clean_log(stack: &Stack) {
    let log = stack.serve.log();
    for bad in [
        "panicked",
        "wasm trap",
        "error while executing",
        ACCESS_TOKEN,
        APP_SECRET,
    ] {
        assert!(!log.contains(bad), "the log contains {bad:?}:\n{log}");
    }
}

/// A batch of `n` text messages with fresh ids, in one webhook.
fn batch(n: usize) -> (Vec<String>, Vec<u8>) {
    let ids: Vec<String> = (0..n).map(|_| wamid()).collect();
    let messages: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            json!({"from": USER, "id": id, "timestamp": "1732147200", "type": "text",
                   "text": {"body": format!("message {i}")}})
        })
        .collect();
    let body = meta_json(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "100000000000002", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": DISPLAY_PHONE_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": USER_NAME}, "wa_id": USER}],
            "messages": messages,
        }}]}],
    }));
    (ids, body)
}

/// Sends a raw request: `head` (request line and headers, without the blank line), then
/// the body in `pieces` with `gap` between them. Returns the answer's status.
async fn raw_exchange(addr: SocketAddr, head: Vec<u8>, pieces: Vec<Vec<u8>>, gap: Duration) -> u16 {
    assert!(addr.ip().is_loopback());
    let exchange = move || -> Result<u16, String> {
        let mut stream = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(HTTP_TIMEOUT))
            .map_err(|e| e.to_string())?;
        stream.write_all(&head).map_err(|e| e.to_string())?;
        stream.write_all(b"\r\n").map_err(|e| e.to_string())?;
        for piece in pieces {
            std::thread::sleep(gap);
            stream.write_all(&piece).map_err(|e| e.to_string())?;
        }
        let mut received = Vec::new();
        let mut chunk = [0u8; 4096];
        while !received.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&chunk[..n]),
            }
        }
        let text = String::from_utf8_lossy(&received).into_owned();
        status_of(&text).ok_or(format!("no answer: {text:?}"))
    };
    tokio::task::spawn_blocking(exchange)
        .await
        .expect("exchange")
        .expect("answer")
}

fn head(addr: SocketAddr, body_len: usize, signature: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {body_len}\r\n"
    )
    .into_bytes();
    head.extend_from_slice(b"X-Hub-Signature-256: ");
    head.extend_from_slice(signature);
    head.extend_from_slice(b"\r\n");
    head
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bodies_get_the_right_status_and_never_a_5xx() {
    let stack = Stack::start("hostile-bodies", STANDALONE).await;
    let valid_id = wamid();
    let valid = text_webhook(&valid_id, "still here");
    let mut exactly_3_mib = valid.clone();
    exactly_3_mib.resize(3 * 1024 * 1024, b' ');
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("truncated JSON", valid[..valid.len() / 2].to_vec(), 200),
        (
            "deeply nested JSON",
            format!(
                "{{\"entry\":{}{}}}",
                "[".repeat(200_000),
                "]".repeat(200_000)
            )
            .into_bytes(),
            200,
        ),
        (
            "deeply nested objects",
            "{\"a\":".repeat(100_000).into_bytes(),
            200,
        ),
        (
            "wrong types for every field",
            fixture("wrong_types.json"),
            200,
        ),
        (
            "not UTF-8",
            b"{\"object\":\"whatsapp_business_account\",\"entry\":[\xff\xfe]}".to_vec(),
            200,
        ),
        ("empty", Vec::new(), 200),
        ("a JSON string", b"\"whatsapp\"".to_vec(), 200),
        ("exactly 3 MiB", exactly_3_mib, 200),
    ];
    for (what, body, expected) in cases {
        let answer = stack.post_signed(&body).await;
        assert_eq!(answer.status, expected, "{what}\n{}", stack.logs());
    }
    // Over the cap: the declared length, and a 10 MiB body sent chunked.
    let addr = addr_of(&stack);
    let sig = signature(APP_SECRET, b"");
    let headers = [
        ("content-type", "application/json"),
        ("x-hub-signature-256", sig.as_str()),
    ];
    for (len, chunked) in [(3 * 1024 * 1024 + 1, false), (10 * 1024 * 1024, true)] {
        // The server answers 413 early and closes while the client is still writing; the
        // reset can lose the answer head on the client's side. That is retried; any head
        // that does arrive must say 413.
        let mut heads = Vec::new();
        for _ in 0..3 {
            match raw_post_head(addr, "/", &headers, len, chunked).await {
                Ok(head) => {
                    heads.push(head);
                    break;
                }
                Err(e) => eprintln!("no answer head ({e}); trying again"),
            }
        }
        let head = heads.pop().expect("an answer head in 3 tries");
        assert_eq!(
            status_of(&head),
            Some(413),
            "{len} bytes, chunked {chunked}: {head}"
        );
    }
    // The valid message inside the 3 MiB body was dispatched exactly once, and
    // wrong_types.json's one valid message too.
    let requests = stack
        .wait_requests("the read receipts", SOON, |r| receipts(r).len() >= 2)
        .await;
    let counts = receipts(&requests);
    assert_eq!(counts.get(&valid_id), Some(&1), "{counts:?}");
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    assert_clean_log(&stack);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_is_read_to_its_end() {
    let stack = Stack::start("slow-body", STANDALONE).await;
    let id = wamid();
    let body = text_webhook(&id, "slowly");
    let sig = signature(APP_SECRET, &body);
    let pieces: Vec<Vec<u8>> = body
        .chunks(body.len() / 8 + 1)
        .map(<[u8]>::to_vec)
        .collect();
    let addr = addr_of(&stack);
    let status = raw_exchange(
        addr,
        head(addr, body.len(), sig.as_bytes()),
        pieces,
        Duration::from_millis(150),
    )
    .await;
    assert_eq!(status, 200, "{}", stack.logs());
    let requests = stack
        .wait_requests("the read receipt", SOON, |r| receipts(r).contains_key(&id))
        .await;
    assert_eq!(receipts(&requests).get(&id), Some(&1));
    assert_clean_log(&stack);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_variant_of_the_signature_header() {
    let stack = Stack::start("signatures", STANDALONE).await;
    let addr = addr_of(&stack);
    let id = wamid();
    let body = text_webhook(&id, "signed");
    let good = signature(APP_SECRET, &body);
    let hex = good.trim_start_matches("sha256=").to_string();
    let refused: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("prefix only", b"sha256=".to_vec()),
        ("no prefix", hex.clone().into_bytes()),
        ("sha1", format!("sha1={hex}").into_bytes()),
        ("odd length", format!("sha256={}", &hex[..63]).into_bytes()),
        ("too short", format!("sha256={}", &hex[..62]).into_bytes()),
        ("too long", format!("sha256={hex}00").into_bytes()),
        ("not hex", format!("sha256={}zz", &hex[..62]).into_bytes()),
        (
            "non-ASCII",
            [b"sha256=".as_slice(), &hex.as_bytes()[..62], "é".as_bytes()].concat(),
        ),
        ("high bytes", [b"sha256=".as_slice(), &[0xff; 64]].concat()),
        (
            "another secret",
            signature("not-the-secret", &body).into_bytes(),
        ),
        ("another body", signature(APP_SECRET, b"{}").into_bytes()),
        ("space inside", format!("sha256= {hex}").into_bytes()),
    ];
    for (what, header) in refused {
        let status = raw_exchange(
            addr,
            head(addr, body.len(), &header),
            vec![body.clone()],
            Duration::ZERO,
        )
        .await;
        assert_eq!(status, 401, "{what}\n{}", stack.logs());
    }
    let missing = post_webhook(&stack.serve.url(), &body, None).await;
    assert_eq!(missing.status, 401);
    // Uppercase hex is the same digest: accepted.
    let upper = format!("sha256={}", hex.to_uppercase());
    let status = raw_exchange(
        addr,
        head(addr, body.len(), upper.as_bytes()),
        vec![body.clone()],
        Duration::ZERO,
    )
    .await;
    assert_eq!(status, 200);
    let requests = stack
        .wait_requests("the read receipt", SOON, |r| receipts(r).contains_key(&id))
        .await;
    assert_eq!(
        receipts(&requests).len(),
        1,
        "only the accepted POST was dispatched"
    );
    assert_clean_log(&stack);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_1000_updates_is_dispatched_exactly_once_each() {
    let stack = Stack::start("batch-1000", STANDALONE).await;
    let (ids, body) = batch(1000);
    let answer = stack.post_signed(&body).await;
    assert_eq!(answer.status, 200);
    // Each of the 1000 is journaled before the answer (about ten file-system calls each,
    // 2-3 ms on this shared machine's disk): a bound that catches work growing with the
    // square of the batch, not a speed target (those are `make bench`'s).
    assert!(
        answer.elapsed < Duration::from_secs(6),
        "acknowledged in {:?}",
        answer.elapsed
    );
    let requests = stack
        .wait_requests("1000 read receipts", Duration::from_secs(60), |r| {
            receipts(r).len() >= 1000
        })
        .await;
    let counts = receipts(&requests);
    assert_eq!(counts.len(), 1000);
    assert!(
        ids.iter().all(|id| counts.get(id) == Some(&1)),
        "every id exactly once"
    );
    assert_clean_log(&stack);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_duplicate_storm_dispatches_each_message_once() {
    let stack = Stack::start("storm", STANDALONE).await;
    let (ids, body) = batch(10);
    let url = stack.serve.url();
    let sig = signature(APP_SECRET, &body);
    let posts: Vec<_> = (0..16)
        .map(|_| {
            let (url, body, sig) = (url.clone(), body.clone(), sig.clone());
            tokio::spawn(async move { post_webhook(&url, &body, Some(&sig)).await.status })
        })
        .collect();
    for post in posts {
        assert_eq!(post.await.expect("post"), 200);
    }
    stack
        .wait_requests("10 read receipts", SOON, |r| receipts(r).len() >= 10)
        .await;
    // Give any duplicate dispatch time to show up before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let counts = receipts(&stack.sandbox.requests().await);
    assert!(
        ids.iter().all(|id| counts.get(id) == Some(&1)),
        "{counts:?}"
    );
    assert_clean_log(&stack);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_types_and_fields_are_dispatched_once() {
    let stack = Stack::start("unknown", STANDALONE).await;
    for name in [
        "unknown_future_type.json",
        "unknown_fields_everywhere.json",
        "interactive_unknown_subtype.json",
    ] {
        assert_eq!(
            stack.post_signed(&fixture(name)).await.status,
            200,
            "{name}"
        );
    }
    let requests = stack
        .wait_requests("3 read receipts", SOON, |r| receipts(r).len() >= 3)
        .await;
    assert!(receipts(&requests).values().all(|n| *n == 1));
    assert_clean_log(&stack);
}

// ---------------------------------------------------------------- Graph API faults

/// The echo bot's replies to `id` (attempts, accepted or not).
async fn reply_attempts(stack: &Stack, id: &str, at_least: usize) -> Vec<Value> {
    let requests = stack
        .wait_requests("the reply attempts", Duration::from_secs(40), |r| {
            replies_to(r, id).len() >= at_least
        })
        .await;
    replies_to(&requests, id).into_iter().cloned().collect()
}

async fn fault_stack(label: &str) -> Stack {
    // Without read receipts, every Graph call is the reply under test.
    Stack::start_with(label, ECHO, &[("WHATSAPP_MARK_READ", "off")], false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_5xx_longer_than_the_retries_ends_in_a_typed_error() {
    let stack = fault_stack("burst-5xx").await;
    stack
        .sandbox
        .add_faults(json!({"kind": "http_status", "status": 503, "count": 10}))
        .await;
    let id = wamid();
    assert_eq!(
        stack.post_signed(&text_webhook(&id, "hello")).await.status,
        200
    );
    let line = stack
        .serve
        .wait_log_line("the failed reply", |l| {
            l.contains("action 1 (reply)") && l.contains("failed")
        })
        .await;
    let attempts = replies_to(&stack.sandbox.requests().await, &id).len();
    assert_eq!(attempts, 4, "bounded: the policy's 4 attempts\n{line}");
    assert!(line.contains("HTTP 503"), "{line}");
    assert_clean_log(&stack);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_non_json_answers_are_retried_then_succeed() {
    let stack = fault_stack("rate-limits").await;
    stack
        .sandbox
        .add_faults(json!([
            {"kind": "http_status", "status": 429, "count": 1},
            {"kind": "graph_error", "status": 400, "code": 130429, "count": 1},
            {"kind": "non_json", "status": 502, "count": 1}
        ]))
        .await;
    let id = wamid();
    assert_eq!(
        stack.post_signed(&text_webhook(&id, "hello")).await.status,
        200
    );
    let attempts = reply_attempts(&stack, &id, 4).await;
    assert_eq!(attempts.len(), 4, "three retried failures, then the reply");
    assert_eq!(
        attempts.last().map(|r| r["response"]["status"].clone()),
        Some(json!(200))
    );
    let retries: Vec<String> = stack
        .serve
        .log()
        .lines()
        .filter(|l| l.contains("retrying in"))
        .map(str::to_string)
        .collect();
    assert_eq!(retries.len(), 3, "{retries:#?}");
    assert!(retries.iter().any(|l| l.contains("130429")));
    assert_clean_log(&stack);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pair_rate_limit_backs_off_at_least_six_seconds() {
    let stack = fault_stack("pair-rate").await;
    stack
        .sandbox
        .add_faults(json!({"kind": "graph_error", "status": 400, "code": 131056, "count": 1}))
        .await;
    let id = wamid();
    assert_eq!(
        stack.post_signed(&text_webhook(&id, "hello")).await.status,
        200
    );
    let attempts = reply_attempts(&stack, &id, 2).await;
    assert_eq!(attempts.len(), 2);
    let line = stack
        .serve
        .wait_log_line("the retry", |l| {
            l.contains("retrying in") && l.contains("131056")
        })
        .await;
    let ms: u64 = line
        .split("retrying in ")
        .nth(1)
        .and_then(|rest| rest.split(" ms").next())
        .and_then(|n| n.parse().ok())
        .expect("a pause in ms");
    assert!(ms >= 6000, "{line}");
    assert_clean_log(&stack);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_that_times_out_is_not_repeated_and_says_timeout() {
    let stack = fault_stack("timeout").await;
    stack
        .sandbox
        .add_faults(json!({"kind": "delay_ms", "ms": 40000, "count": 1}))
        .await;
    let id = wamid();
    let answer = stack.post_signed(&text_webhook(&id, "hello")).await;
    assert_eq!(answer.status, 200);
    assert!(
        answer.elapsed < Duration::from_secs(2),
        "the ack does not wait for the Graph API"
    );
    let line = stack
        .serve
        .wait_log_line("the timed-out reply", |l| {
            l.contains("action 1 (reply)") && l.contains("failed")
        })
        .await;
    assert!(line.contains("transport failure (timeout)"), "{line}");
    // The stalled request is recorded by the sandbox only when it answers (40 s), so the
    // log is the witness: the send was tried once, never retried.
    let log = stack.serve.log();
    assert!(
        !log.contains("retrying in"),
        "a send is not repeated after it may have reached Meta:\n{log}"
    );
    assert_clean_log(&stack);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_a_typed_transport_error() {
    let stack = fault_stack("close").await;
    stack
        .sandbox
        .add_faults(json!({"kind": "close", "count": 1}))
        .await;
    let id = wamid();
    assert_eq!(
        stack.post_signed(&text_webhook(&id, "hello")).await.status,
        200
    );
    let line = stack
        .serve
        .wait_log_line("the failed reply", |l| {
            l.contains("action 1 (reply)") && l.contains("failed")
        })
        .await;
    assert!(line.contains("transport failure ("), "{line}");
    assert_clean_log(&stack);
}
