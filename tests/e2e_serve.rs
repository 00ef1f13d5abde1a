//! End to end over real HTTP: the composed component under the real `wasmtime serve`, the
//! real `sandbox` as Meta (Graph API stand-in and webhook sender), both on loopback
//! ports. Signed webhooks go in over HTTP; what reached the Graph stand-in is read back
//! from the sandbox's `/_sandbox/requests`, and the component's log from wasmtime's
//! stderr.
//!
//! Needs `make compose sandbox` (`make test` runs it first).

mod e2e_support;

use std::time::Duration;

use e2e_support::*;
use serde_json::{json, Value};

const ECHO: &str = "echo.wasm";

/// How fast the webhook must acknowledge. Meta wants a median under 250 ms; this bound
/// leaves room for a loaded machine running the tests in parallel, and still fails
/// if the answer waited for the Graph calls (the fault tests below make those slow).
const ACK_WITHIN: Duration = Duration::from_secs(2);

fn sends(requests: &[Value]) -> Vec<&Value> {
    requests.iter().filter(|r| is_send(r)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_health_and_methods_through_wasmtime_serve() {
    let stack = Stack::start("handshake", ECHO).await;
    let base = stack.serve.url();

    let challenge = "1158201444";
    let ok = get(&format!(
        "{base}/?hub.mode=subscribe&hub.challenge={challenge}&hub.verify_token={VERIFY_TOKEN}"
    ))
    .await;
    assert_eq!(ok.status, 200, "{}\n{}", ok.text(), stack.logs());
    assert_eq!(ok.text(), challenge, "the challenge, exactly");

    let wrong = get(&format!(
        "{base}/?hub.mode=subscribe&hub.challenge={challenge}&hub.verify_token=not-the-token"
    ))
    .await;
    assert_eq!(wrong.status, 403);
    assert!(!wrong.text().contains(challenge));
    let none = get(&format!(
        "{base}/?hub.mode=subscribe&hub.challenge={challenge}"
    ))
    .await;
    assert_eq!(none.status, 403);
    stack
        .serve
        .wait_log_line("saying the token did not match", |l| {
            l.contains("handshake rejected (403): hub.verify_token does not match")
        })
        .await;

    // The sandbox runs Meta's handshake too (at start and on demand).
    let verify = post_json(
        &format!("{}/_sandbox/verify", stack.sandbox.url()),
        &json!({}),
    )
    .await;
    assert_eq!(verify.json()["ok"], true, "{}", verify.text());

    let health = get(&format!("{base}/health")).await;
    assert_eq!(health.status, 200, "{}", health.text());
    let report = health.json();
    assert_eq!(report["status"], "ok");
    assert_eq!(report["missing"], json!([]));
    assert_eq!(
        report["dedup"], "persistent",
        "--dir STATE::/state is preopened"
    );
    assert_eq!(report["dispatch"], "consumer");
    for secret in [APP_SECRET, VERIFY_TOKEN, ACCESS_TOKEN] {
        assert!(!health.text().contains(secret), "health leaks a secret");
    }

    let put = request("PUT", &format!("{base}/"), &[], b"x".to_vec()).await;
    assert_eq!(put.status, 405);
    assert_eq!(put.header("allow").as_deref(), Some("GET, POST"));

    // Nothing here may have called the Graph API.
    assert!(stack.sandbox.requests().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_text_webhook_gets_a_read_receipt_and_a_quoted_reply() {
    let stack = Stack::start("text", ECHO).await;
    let id = wamid();
    // Non-ASCII and a slash: Meta escapes both on the wire; the HMAC covers those bytes.
    let text = "héllo from e2e / ünïcode 👋";
    let body = text_webhook(&id, text);
    assert!(
        String::from_utf8_lossy(&body).contains("\\u00e9")
            && String::from_utf8_lossy(&body).contains("\\/")
    );

    let answer = stack.post_signed(&body).await;
    assert_eq!(answer.status, 200, "{}\n{}", answer.text(), stack.logs());
    assert_eq!(answer.text(), "", "the acknowledgement is a bare 200");
    assert!(
        answer.elapsed < ACK_WITHIN,
        "acknowledged in {:?}",
        answer.elapsed
    );

    let requests = stack
        .wait_requests("the read receipt and the quoted reply", SOON, |r| {
            !read_receipts_for(r, &id).is_empty() && !replies_to(r, &id).is_empty()
        })
        .await;

    let receipts = read_receipts_for(&requests, &id);
    assert_eq!(receipts.len(), 1);
    let receipt = receipts[0];
    assert_eq!(
        receipt["path"],
        format!("/{API_VERSION}/{PHONE_NUMBER_ID}/messages")
    );
    assert_eq!(
        receipt["body"],
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": id})
    );
    assert_eq!(receipt["auth"], "ok", "the right bearer token");
    assert_eq!(receipt["response"]["status"], 200);

    let replies = replies_to(&requests, &id);
    assert_eq!(replies.len(), 1, "{requests:#?}");
    let reply = replies[0];
    assert_eq!(
        reply["path"],
        format!("/{API_VERSION}/{PHONE_NUMBER_ID}/messages")
    );
    assert_eq!(reply["auth"], "ok");
    assert_eq!(reply["headers"]["authorization"], "Bearer [redacted]");
    assert!(reply["headers"]["content-type"]
        .as_str()
        .is_some_and(|c| c.starts_with("application/json")));
    let sent = &reply["body"];
    assert_eq!(sent["messaging_product"], "whatsapp");
    assert_eq!(sent["to"], USER);
    assert_eq!(sent["type"], "text");
    assert_eq!(sent["context"]["message_id"], id.as_str());
    let reply_text = sent["text"]["body"].as_str().expect("text.body");
    assert!(
        reply_text.contains("*You said:*"),
        "Markdown converted: {reply_text}"
    );
    assert!(
        reply_text.contains(text),
        "the user's text, decoded: {reply_text}"
    );
    assert_eq!(reply["response"]["status"], 200);
    assert!(reply["response"]["body"]["messages"][0]["id"]
        .as_str()
        .is_some_and(|m| m.starts_with("wamid.")));

    // The read receipt comes before the reply.
    let seq = |r: &Value| r["seq"].as_u64().unwrap_or(0);
    assert!(seq(receipt) < seq(reply));
    assert!(!stack.serve.log().contains(ACCESS_TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sent_in_the_chat_gets_the_bots_reply() {
    let stack = Stack::start("chat", ECHO).await;
    let answer = stack
        .sandbox
        .act(json!({"type": "text", "text": "hi from the chat", "from": USER, "name": USER_NAME}))
        .await;
    assert_eq!(answer.status, 200, "{}\n{}", answer.text(), stack.logs());
    let sent = answer.json();
    assert_eq!(sent["ok"], true);
    assert_eq!(sent["webhook"]["status"], 200, "the component acknowledged");
    let id = sent["id"]
        .as_str()
        .expect("the user message's id")
        .to_string();

    let requests = stack
        .wait_requests("the reply to the chat message", SOON, |r| {
            !accepted_replies_to(r, &id).is_empty()
        })
        .await;
    let reply = accepted_replies_to(&requests, &id)[0];
    assert_eq!(reply["body"]["to"], USER);
    assert!(reply["body"]["text"]["body"]
        .as_str()
        .is_some_and(|t| t.contains("hi from the chat")));
    assert_eq!(read_receipts_for(&requests, &id).len(), 1);

    // The chat shows it: the user's message read (blue ticks), the bot's reply quoting it.
    let bot_id = reply["response"]["body"]["messages"][0]["id"]
        .as_str()
        .expect("message id")
        .to_string();
    let shown = eventually(SOON, || async {
        let state = stack.sandbox.state().await;
        let messages = state["messages"].as_array().cloned().unwrap_or_default();
        let user = messages.iter().find(|m| m["id"] == id.as_str())?;
        let bot = messages.iter().find(|m| m["id"] == bot_id.as_str())?;
        (user["status"] == "read").then(|| (user.clone(), bot.clone()))
    })
    .await;
    let (user, bot) =
        shown.unwrap_or_else(|| panic!("the chat did not show the exchange\n{}", stack.logs()));
    assert_eq!(user["from"], "user");
    assert_eq!(bot["from"], "bot");
    assert_eq!(bot["payload"]["context"]["message_id"], id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn menu_sends_buttons_and_a_tap_is_answered_with_its_title() {
    let stack = Stack::start("menu", ECHO).await;
    let menu_id = wamid();
    let answer = stack.post_signed(&text_webhook(&menu_id, "menu")).await;
    assert_eq!(answer.status, 200);

    let requests = stack
        .wait_requests("the buttons message", SOON, |r| {
            sends(r).iter().any(|s| s["body"]["type"] == "interactive")
        })
        .await;
    let buttons = sends(&requests)
        .into_iter()
        .find(|s| s["body"]["type"] == "interactive")
        .expect("an interactive send");
    let interactive = &buttons["body"]["interactive"];
    assert_eq!(buttons["body"]["to"], USER);
    assert_eq!(interactive["type"], "button");
    assert_eq!(buttons["body"]["context"]["message_id"], menu_id.as_str());
    let choices: Vec<(String, String)> = interactive["action"]["buttons"]
        .as_array()
        .expect("buttons")
        .iter()
        .map(|b| {
            assert_eq!(b["type"], "reply");
            (
                b["reply"]["id"].as_str().unwrap_or_default().to_string(),
                b["reply"]["title"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(choices.len(), 3, "{interactive}");
    assert!(choices.iter().all(|(_, title)| title.chars().count() <= 20));
    let buttons_id = buttons["response"]["body"]["messages"][0]["id"]
        .as_str()
        .expect("the buttons message's id")
        .to_string();

    // The user taps the second button.
    let (button_id, title) = choices[1].clone();
    let tap_id = wamid();
    let answer = stack
        .post_signed(&button_reply_webhook(
            &tap_id,
            &buttons_id,
            &button_id,
            &title,
        ))
        .await;
    assert_eq!(answer.status, 200);
    let requests = stack
        .wait_requests("the answer to the tap", SOON, |r| {
            !replies_to(r, &tap_id).is_empty()
        })
        .await;
    let reply = replies_to(&requests, &tap_id)[0];
    let text = reply["body"]["text"]["body"].as_str().unwrap_or_default();
    assert!(
        text.contains(&format!("*{title}*")),
        "the chosen title: {text}"
    );
    assert!(text.contains(&button_id), "the chosen id: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signatures_are_refused_and_oversized_bodies_get_413() {
    let stack = Stack::start("refused", ECHO).await;
    let id = wamid();
    // Escaped on the wire (`\/`, `\u00e9`): re-encoding it changes the bytes.
    let body = text_webhook(&id, "should never be answered / réponse");

    let wrong = post_webhook(
        &stack.serve.url(),
        &body,
        Some(&signature("not-the-app-secret", &body)),
    )
    .await;
    assert_eq!(wrong.status, 401, "{}", wrong.text());
    let missing = post_webhook(&stack.serve.url(), &body, None).await;
    assert_eq!(missing.status, 401);
    let malformed = post_webhook(&stack.serve.url(), &body, Some("sha256=zz")).await;
    assert_eq!(malformed.status, 401);
    // Signed over other bytes: the same JSON without Meta's escaping.
    let reencoded: Value = serde_json::from_slice(&body).expect("JSON");
    let reencoded = serde_json::to_vec(&reencoded).expect("JSON");
    let tampered = post_webhook(
        &stack.serve.url(),
        &reencoded,
        Some(&signature(APP_SECRET, &body)),
    )
    .await;
    assert_eq!(tampered.status, 401);

    stack
        .serve
        .wait_log_line("for the wrong signature", |l| {
            l.contains("webhook refused (401): X-Hub-Signature-256 does not match the body")
        })
        .await;
    stack
        .serve
        .wait_log_line("for the missing signature", |l| {
            l.contains("webhook refused (401): missing X-Hub-Signature-256 header")
        })
        .await;

    // 4 MiB, over the 3 MiB cap, signed correctly: refused for its size, whether the
    // length is declared or the body comes chunked (refused while reading). The component
    // answers without reading it all, and the connection may be reset after the answer:
    // only the status is checked.
    let big = vec![b' '; 4 * 1024 * 1024];
    let signed = signature(APP_SECRET, &big);
    let headers = [
        ("Content-Type", "application/json"),
        ("X-Hub-Signature-256", signed.as_str()),
    ];
    for (chunked, line) in [
        (
            false,
            "webhook refused (413): declared content-length 4194304",
        ),
        (true, "webhook refused (413): body larger than"),
    ] {
        let head = raw_post_head(stack.serve.addr, "/", &headers, big.len(), chunked)
            .await
            .unwrap_or_else(|e| panic!("4 MiB (chunked: {chunked}): {e}\n{}", stack.logs()));
        assert_eq!(status_of(&head), Some(413), "chunked: {chunked}: {head}");
        stack.serve.wait_log_line(line, |l| l.contains(line)).await;
    }

    // A refused POST answers after the check and has nothing left to do: no Graph call.
    assert!(
        stack.sandbox.requests().await.is_empty(),
        "{}",
        stack.logs()
    );
    assert!(!stack.serve.log().contains(APP_SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redeliveries_are_answered_once_with_a_state_directory() {
    let stack = Stack::start("redelivery", ECHO).await;

    // Meta redelivers the same bytes, in a later request (a fresh wasmtime instance).
    let id = wamid();
    let body = text_webhook(&id, "delivered twice");
    assert_eq!(stack.post_signed(&body).await.status, 200);
    stack
        .wait_requests("the first reply", SOON, |r| !replies_to(r, &id).is_empty())
        .await;
    assert_eq!(stack.post_signed(&body).await.status, 200);
    let ignored = format!("message {id} was already dispatched; redelivery ignored");
    stack
        .serve
        .wait_log_line("for the redelivery", |l| l.contains(&ignored))
        .await;
    let requests = stack.sandbox.requests().await;
    assert_eq!(replies_to(&requests, &id).len(), 1, "{requests:#?}");
    assert_eq!(read_receipts_for(&requests, &id).len(), 1);

    // Two copies at once, on two connections: two instances race; one claims it.
    let id = wamid();
    let body = text_webhook(&id, "delivered twice at once");
    let (a, b) = tokio::join!(stack.post_signed(&body), stack.post_signed(&body));
    assert_eq!((a.status, b.status), (200, 200));
    // The copy that lost finds the message being dispatched (or, if the winner was
    // quick, done).
    let dropped = |l: &str| {
        l.contains(&format!(
            "message {id} is being dispatched; redelivery ignored"
        )) || l.contains(&format!(
            "message {id} was already dispatched; redelivery ignored"
        ))
    };
    stack
        .serve
        .wait_log_line("for the concurrent copy", dropped)
        .await;
    let requests = stack
        .wait_requests("the one reply", SOON, |r| !replies_to(r, &id).is_empty())
        .await;
    assert_eq!(replies_to(&requests, &id).len(), 1, "{requests:#?}");
    assert_eq!(read_receipts_for(&requests, &id).len(), 1);
    assert_eq!(stack.serve.log().lines().filter(|l| dropped(l)).count(), 1);

    // The claims are files in the preopened directory. A message's claim is written
    // when its dispatch finishes, after Graph's answer to its reply: the reply can reach
    // the sandbox just before it, so wait for it.
    let dedup = stack
        .state
        .as_ref()
        .expect("state dir")
        .path()
        .join("dedup");
    let claims = || walk(&dedup).iter().filter(|entry| entry.is_file()).count();
    let deadline = std::time::Instant::now() + SOON;
    while claims() < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        claims() >= 2,
        "claims under {}: {}",
        dedup.display(),
        claims()
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            }
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_burst_is_retried_until_the_reply_goes_through() {
    let stack = Stack::start("retry503", ECHO).await;
    // Faults hit the next Graph calls in order: the read receipt is slowed down (which
    // also shows the webhook answered before any Graph call), then the reply gets 503
    // twice.
    stack
        .sandbox
        .add_faults(json!([
            {"kind": "delay_ms", "ms": 1500},
            {"kind": "http_status", "status": 503, "count": 2},
        ]))
        .await;
    let id = wamid();
    let answer = stack.post_signed(&text_webhook(&id, "retry me")).await;
    assert_eq!(answer.status, 200);
    assert!(
        answer.elapsed < Duration::from_millis(1500),
        "the 200 waited for the Graph API: {:?}",
        answer.elapsed
    );

    let requests = stack
        .wait_requests("the reply after two 503s", Duration::from_secs(25), |r| {
            !accepted_replies_to(r, &id).is_empty()
        })
        .await;
    let attempts = replies_to(&requests, &id);
    let statuses: Vec<&Value> = attempts.iter().map(|r| &r["response"]["status"]).collect();
    assert_eq!(statuses, [503, 503, 200], "{requests:#?}");
    // Same request every time.
    assert!(attempts.iter().all(|a| a["body"] == attempts[0]["body"]));
    assert_eq!(read_receipts_for(&requests, &id).len(), 1);
    let retries = stack
        .serve
        .log()
        .lines()
        .filter(|l| l.contains("Graph API attempt") && l.contains("retrying in"))
        .count();
    assert_eq!(retries, 2, "{}", stack.serve.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_131047_is_not_retried_and_logged_without_the_token() {
    let stack = Stack::start("err131047", ECHO).await;
    stack
        .sandbox
        .add_faults(json!([
            {"kind": "delay_ms", "ms": 0},
            {"kind": "graph_error", "code": 131047},
        ]))
        .await;
    let id = wamid();
    assert_eq!(
        stack
            .post_signed(&text_webhook(&id, "too late"))
            .await
            .status,
        200
    );

    let line = stack
        .serve
        .wait_log_line("naming 131047", |l| {
            l.contains("failed:") && l.contains("131047")
        })
        .await;
    assert!(
        component_line(&line).starts_with("whatsapp: action 1 (reply)"),
        "{line}"
    );
    assert!(line.contains(&id), "{line}");
    let log = stack.serve.log();
    assert!(
        !log.contains(ACCESS_TOKEN),
        "the token leaked into the log:\n{log}"
    );
    assert!(
        !log.contains("too late"),
        "a message body leaked into the log:\n{log}"
    );
    assert!(!log.contains("retrying"), "131047 is permanent:\n{log}");

    let requests = stack.sandbox.requests().await;
    let attempts = replies_to(&requests, &id);
    assert_eq!(attempts.len(), 1, "one attempt, no retry: {requests:#?}");
    assert_eq!(attempts[0]["response"]["status"], 400);
    assert_eq!(attempts[0]["response"]["body"]["error"]["code"], 131047);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graph_api_that_refuses_connections_is_logged_as_connection_refused() {
    // Nothing listens on the Graph URL's port: connect() is refused.
    let closed = free_port();
    let env = component_env(&format!("http://127.0.0.1:{closed}"));
    let serve = Serve::start(&composed(ECHO), &env, None).await;
    let health = get(&format!("{}/health", serve.url())).await;
    assert_eq!(health.json()["dedup"], "per-request", "no --dir");

    let id = wamid();
    let body = text_webhook(&id, "nobody home");
    let answer = post_webhook(&serve.url(), &body, Some(&signature(APP_SECRET, &body))).await;
    assert_eq!(answer.status, 200, "{}", serve.log());

    // Connection refused is retried (the request never left), then reported.
    let receipt = serve
        .wait_log_line("for the failed read receipt", |l| {
            l.contains(&format!("marking {id} read failed"))
        })
        .await;
    assert!(
        is_connection_refused(&receipt),
        "{receipt}\n{}",
        serve.log()
    );
    let reply = serve
        .wait_log_line("for the failed reply", |l| {
            l.contains("action 1 (reply)") && l.contains(&id)
        })
        .await;
    assert!(is_connection_refused(&reply), "{reply}\n{}", serve.log());
    let log = serve.log();
    assert!(log.contains("retrying in"), "{log}");
    assert!(!log.contains(ACCESS_TOKEN));
}

/// A transport failure of kind connection-refused, not a failed body write or another
/// kind (the bug fixed in `src/component/http.rs`).
fn is_connection_refused(line: &str) -> bool {
    line.contains("transport failure (") && line.contains("connection-refused): connection refused")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notifier_composition_sends_through_the_sandbox() {
    let token = "e2e-notify-token";
    let stack = Stack::start_with(
        "notifier",
        "notifier.wasm",
        &[("NOTIFY_TOKEN", token)],
        false,
    )
    .await;
    let url = format!("{}/notify", stack.serve.url());
    let body = json!({"to": "+1 650-555-1234", "text": "Your order **#48213** has shipped."})
        .to_string()
        .into_bytes();

    let unauthorized = request(
        "POST",
        &url,
        &[("content-type", "application/json")],
        body.clone(),
    )
    .await;
    assert_eq!(unauthorized.status, 401, "{}", unauthorized.text());

    let bearer = format!("Bearer {token}");
    let answer = request(
        "POST",
        &url,
        &[
            ("content-type", "application/json"),
            ("authorization", &bearer),
        ],
        body,
    )
    .await;
    assert_eq!(answer.status, 200, "{}\n{}", answer.text(), stack.logs());
    let sent = answer.json();
    let message_id = sent["message_ids"][0]
        .as_str()
        .expect("a message id")
        .to_string();
    assert!(message_id.starts_with("wamid."), "{sent}");
    assert_eq!(sent["wa_id"], USER);

    let requests = stack.sandbox.requests().await;
    let sends = sends(&requests);
    assert_eq!(sends.len(), 1, "{requests:#?}");
    assert!(requests.iter().all(|r| r.get("fault").is_none()));
    let send = sends[0];
    assert_eq!(send["auth"], "ok");
    assert_eq!(send["body"]["type"], "text");
    assert_eq!(send["body"]["to"], USER, "the number normalized to digits");
    assert_eq!(
        send["body"]["text"]["body"],
        "Your order *#48213* has shipped."
    );
    assert_eq!(
        send["response"]["body"]["messages"][0]["id"],
        message_id.as_str()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_acknowledge_only_composition_only_marks_read() {
    let stack = Stack::start("standalone", "whatsapp-standalone.wasm").await;
    let id = wamid();
    let answer = stack.post_signed(&text_webhook(&id, "anyone there?")).await;
    assert_eq!(answer.status, 200, "{}", stack.logs());
    stack
        .wait_requests("the read receipt", SOON, |r| {
            !read_receipts_for(r, &id).is_empty()
        })
        .await;
    // The consumer returns no action; the instance ends right after the read receipt.
    // Give a reply, were there one, time to arrive before checking that none did.
    tokio::time::sleep(Duration::from_millis(750)).await;
    let requests = stack.sandbox.requests().await;
    assert_eq!(requests.len(), 1, "only the read receipt: {requests:#?}");
    assert!(sends(&requests).is_empty());
}

/// The `-O` options of the deployment command in the README's "Capacity under
/// `wasmtime serve`" section, in order, each as `-O` and its value.
fn readme_serve_flags() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let section = readme
        .split_once("### Capacity under `wasmtime serve`")
        .map(|(_, rest)| rest)
        .expect("the README has its capacity section");
    let block = section
        .split_once("```sh")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(block, _)| block)
        .expect("the capacity section has a sh block");
    let words: Vec<&str> = block.split_whitespace().collect();
    let mut flags = Vec::new();
    for pair in words.windows(2) {
        if let [flag, value] = pair {
            if *flag == "-O" {
                flags.push(flag.to_string());
                flags.push(value.to_string());
            }
        }
    }
    flags
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readmes_deployment_flags_serve_replies_and_deduplicate() {
    let flags = readme_serve_flags();
    for wanted in [
        "pooling-memory-keep-resident=",
        "pooling-table-keep-resident=",
        "pooling-total-core-instances=",
    ] {
        assert!(
            flags.iter().any(|f| f.starts_with(wanted)),
            "{wanted} in {flags:?}"
        );
    }
    let stack = Stack::start_serving_with("readme-flags", ECHO, &[], true, &flags).await;
    let base = stack.serve.url();

    let ok = get(&format!(
        "{base}/?hub.mode=subscribe&hub.challenge=31337&hub.verify_token={VERIFY_TOKEN}"
    ))
    .await;
    assert_eq!(
        (ok.status, ok.text()),
        (200, "31337".to_string()),
        "{}",
        stack.logs()
    );

    // Memory zeroed in place rather than handed back must still start every instance
    // afresh: each message gets its own reply, and a redelivery none.
    let mut ids = Vec::new();
    for n in 0..5 {
        let id = wamid();
        let answer = stack
            .post_signed(&text_webhook(&id, &format!("resident {n}")))
            .await;
        assert_eq!(answer.status, 200, "{}", stack.logs());
        ids.push(id);
    }
    let requests = stack
        .wait_requests("a reply to each", SOON, |r| {
            ids.iter().all(|id| !replies_to(r, id).is_empty())
        })
        .await;
    for (n, id) in ids.iter().enumerate() {
        let replies = replies_to(&requests, id);
        assert_eq!(replies.len(), 1, "{requests:#?}");
        let text = replies[0]["body"]["text"]["body"]
            .as_str()
            .unwrap_or_default();
        assert!(text.contains(&format!("resident {n}")), "{text}");
    }
    let first = &ids[0];
    let again = stack.post_signed(&text_webhook(first, "resident 0")).await;
    assert_eq!(again.status, 200);
    let ignored = format!("message {first} was already dispatched; redelivery ignored");
    stack
        .serve
        .wait_log_line("for the redelivery", |l| l.contains(&ignored))
        .await;
    assert_eq!(replies_to(&stack.sandbox.requests().await, first).len(), 1);
}

/// The sandbox's second business number (its default), and its username-only demo user.
const SECOND_PHONE_NUMBER_ID: &str = "100000000000002";
const USERNAME_ONLY_USER_ID: &str = "CN.13491208655302741918";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_number_answers_from_itself_and_a_username_only_user_is_answered_by_user_id() {
    let stack = Stack::start("numbers", ECHO).await;
    // Alice writes to the first number, Chen Wei (no phone number, only a user id and a
    // username) to the second, and Alice to the second too.
    let mut sent = Vec::new();
    for (number, who) in [
        (PHONE_NUMBER_ID, json!({"from": USER})),
        (
            SECOND_PHONE_NUMBER_ID,
            json!({"user_id": USERNAME_ONLY_USER_ID}),
        ),
        (SECOND_PHONE_NUMBER_ID, json!({"from": USER})),
    ] {
        let mut action = json!({"type": "text", "text": format!("hello number {number}"),
                                "phone_number_id": number});
        if let (Some(action), Some(who)) = (action.as_object_mut(), who.as_object()) {
            action.extend(who.clone());
        }
        let answer = stack.sandbox.act(action).await;
        assert_eq!(answer.status, 200, "{}\n{}", answer.text(), stack.logs());
        assert_eq!(answer.json()["webhook"]["status"], 200, "acknowledged");
        let id = answer.json()["id"]
            .as_str()
            .expect("message id")
            .to_string();
        sent.push((number, id));
    }

    let requests = stack
        .wait_requests("a reply and a read receipt for each message", SOON, |r| {
            sent.iter().all(|(_, id)| {
                !accepted_replies_to(r, id).is_empty() && !read_receipts_for(r, id).is_empty()
            })
        })
        .await;
    for (number, id) in &sent {
        let path = format!("/{API_VERSION}/{number}/messages");
        let receipts = read_receipts_for(&requests, id);
        assert_eq!(receipts.len(), 1, "one read receipt for {id}");
        assert_eq!(
            receipts[0]["path"],
            path.as_str(),
            "read receipt from the receiving number"
        );
        assert_eq!(receipts[0]["phone_number_id"], *number);
        let replies = accepted_replies_to(&requests, id);
        assert_eq!(replies.len(), 1, "one reply to {id}");
        assert_eq!(
            replies[0]["path"],
            path.as_str(),
            "reply from the receiving number"
        );
    }

    // Chen Wei has no phone number: the reply goes to the user id, as `recipient`.
    let chen = accepted_replies_to(&requests, &sent[1].1)[0];
    assert_eq!(chen["body"]["recipient"], USERNAME_ONLY_USER_ID);
    assert!(chen["body"].get("to").is_none(), "{}", chen["body"]);
    assert_eq!(
        chen["response"]["body"]["contacts"][0]["user_id"],
        USERNAME_ONLY_USER_ID
    );
    // Alice has one: her replies go to her number, from each number she wrote to.
    for (_, id) in [&sent[0], &sent[2]] {
        assert_eq!(accepted_replies_to(&requests, id)[0]["body"]["to"], USER);
    }

    // The chat shows each exchange in the right number's chat, with blue ticks.
    let state = eventually(SOON, || async {
        let state = stack.sandbox.state().await;
        let messages = state["messages"].as_array().cloned().unwrap_or_default();
        sent.iter()
            .all(|(_, id)| {
                messages
                    .iter()
                    .any(|m| m["id"] == id.as_str() && m["status"] == "read")
            })
            .then_some(messages)
    })
    .await
    .unwrap_or_else(|| {
        panic!(
            "the chats did not show every exchange as read\n{}",
            stack.logs()
        )
    });
    for (number, id) in &sent {
        let bot = state
            .iter()
            .find(|m| m["from"] == "bot" && m["payload"]["context"]["message_id"] == id.as_str())
            .unwrap_or_else(|| panic!("no bot bubble quoting {id}"));
        assert_eq!(bot["phone_number_id"], *number, "{bot}");
    }
    assert!(!stack.serve.log().contains(ACCESS_TOKEN));
}
