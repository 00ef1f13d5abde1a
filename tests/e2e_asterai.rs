//! End to end on the real asterai runtime: the asterai build of the component
//! (`make asterai`) in a local environment of the asterai CLI (`make asterai-cli`),
//! `asterai env run` on a loopback port, the real `sandbox` as Meta. Each test has its own
//! HOME for the CLI, its own ports and, where it needs one, its own `--allow-dir`.
//!
//! Needs `make asterai asterai-cli components sandbox` (`make test` runs them first).

mod e2e_support;

use std::time::Duration;

use e2e_support::asterai::{Runtime, Setup, COMPONENT};
use e2e_support::*;
use serde_json::{json, Value};

fn sends(requests: &[Value]) -> Vec<&Value> {
    requests.iter().filter(|r| is_send(r)).collect()
}

/// The sends whose text body is exactly `body`.
fn texts<'a>(requests: &'a [Value], body: &str) -> Vec<&'a Value> {
    requests
        .iter()
        .filter(|r| is_send(r) && r["body"]["text"]["body"] == body)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handshake_and_health_answer_under_the_runtimes_path() {
    let runtime = Runtime::start("handshake", Setup::bare()).await;
    let base = runtime.url();

    let challenge = "2147483647";
    let ok = get(&format!(
        "{base}/?hub.mode=subscribe&hub.challenge={challenge}&hub.verify_token={VERIFY_TOKEN}"
    ))
    .await;
    assert_eq!(ok.status, 200, "{}\n{}", ok.text(), runtime.logs());
    assert_eq!(ok.text(), challenge);

    let wrong = get(&format!(
        "{base}/?hub.mode=subscribe&hub.challenge={challenge}&hub.verify_token=wrong"
    ))
    .await;
    assert_eq!(wrong.status, 403);
    assert!(!wrong.text().contains(challenge));

    let health = get(&format!("{base}/health")).await;
    assert_eq!(health.status, 200, "{}", health.text());
    let health = health.json();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["consumers"], json!([]));
    assert_eq!(health["dedup"], "per-request", "no --allow-dir, no state");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_consumer_it_loads_and_acknowledges_only() {
    let runtime = Runtime::start("no-consumer", Setup::bare()).await;
    runtime
        .wait_log_line("saying it is ready to acknowledge only", |l| {
            l.contains("whatsapp: ready: no consumer is named")
        })
        .await;

    let id = wamid();
    let answer = runtime
        .post_signed(&text_webhook(&id, "anyone there?"))
        .await;
    assert_eq!(answer.status, 200, "{}\n{}", answer.text(), runtime.logs());
    assert_eq!(answer.text(), "", "the acknowledgement is a bare 200");
    runtime
        .wait_log_line("acknowledging the message only", |l| {
            l.contains(&format!("message {id} acknowledged; no consumer is named"))
        })
        .await;
    let unsigned = post_webhook(&format!("{}/", runtime.url()), b"{}", None).await;
    assert_eq!(unsigned.status, 401, "the signature is still checked");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        runtime.sandbox.requests().await.is_empty(),
        "no read receipt, no reply: nobody handles the message"
    );
    assert!(
        !runtime.log().contains("anyone there?"),
        "no body in the log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_text_reaches_every_named_consumer_in_order_and_both_act() {
    let setup = Setup::bare()
        .consumer("echo-bot", "echo_bot")
        .consumer("order-bot", "order_bot")
        .handlers("local:ghost, local:echo-bot,local:order-bot@0.4.0");
    let runtime = Runtime::start("two-consumers", setup).await;
    runtime
        .wait_log_line("naming the missing consumer at start", |l| {
            l.contains("consumer local:ghost: it is not in the environment")
        })
        .await;
    runtime
        .wait_log_line("naming the consumers it dispatches to", |l| {
            l.contains(
                "ready: dispatching to 2 of 3 named consumers: local:echo-bot, local:order-bot",
            )
        })
        .await;

    let id = wamid();
    let answer = runtime
        .post_signed(&text_webhook(&id, "hello **both**"))
        .await;
    assert_eq!(answer.status, 200, "{}\n{}", answer.text(), runtime.logs());

    let requests = runtime
        .wait_requests(
            "the echo bot's and the order bot's replies",
            SOON * 2,
            |r| replies_to(r, &id).len() >= 2,
        )
        .await;
    assert_eq!(
        read_receipts_for(&requests, &id).len(),
        1,
        "one read receipt"
    );
    let replies = replies_to(&requests, &id);
    assert_eq!(replies.len(), 2, "one reply per consumer: {replies:#?}");
    // The echo bot is named first: its quoted echo goes out before the order bot's menu.
    assert_eq!(replies[0]["body"]["type"], "text", "{replies:#?}");
    assert!(replies[0]["body"]["text"]["body"]
        .as_str()
        .is_some_and(|b| b.contains("hello *both*")));
    assert_eq!(replies[1]["body"]["type"], "interactive", "{replies:#?}");
    assert_eq!(replies[1]["body"]["interactive"]["type"], "button");
    for reply in &replies {
        assert_eq!(reply["body"]["to"], USER);
        assert_eq!(
            reply["path"],
            format!("/{API_VERSION}/{PHONE_NUMBER_ID}/messages")
        );
    }
    runtime
        .wait_log_line("logging the missing consumer for the message", |l| {
            l.contains("not dispatching to local:ghost: it is not in the environment")
        })
        .await;
    assert!(
        !runtime.log().contains("hello **both**"),
        "no body in the log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_asterai_0_1_0_consumer_gets_a_text_and_answers_through_api_0_1_0() {
    let setup = Setup::bare()
        .consumer("text-bot", "asterai_text_bot")
        .handlers("local:text-bot");
    let runtime = Runtime::start("legacy", setup).await;
    runtime
        .wait_log_line("naming the 0.1.0 consumer", |l| {
            l.contains("dispatching to 1 of 1 named consumers: local:text-bot (texts, 0.1.0)")
        })
        .await;

    let id = wamid();
    let answer = runtime.post_signed(&text_webhook(&id, "ping")).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let requests = runtime
        .wait_requests("the 0.1.0 consumer's answer", SOON * 2, |r| {
            !texts(r, "echo: ping").is_empty()
        })
        .await;
    let answer = texts(&requests, "echo: ping")[0];
    assert_eq!(
        answer["body"]["to"], USER,
        "to the sender's phone, as 0.1.0 gives it"
    );
    assert_eq!(
        answer["path"],
        format!("/{API_VERSION}/{PHONE_NUMBER_ID}/messages")
    );
    // The consumer logs what send-message returned: the id, not an error.
    let line = runtime
        .wait_log_line("the consumer's log of send-message's answer", |l| {
            l.contains(&format!("asterai-text-bot: answered {id}: "))
        })
        .await;
    assert!(line.contains(": wamid."), "{line}");

    // A message that is not a text is not for a 0.1.0 consumer.
    let location = wamid();
    let body = message_webhook(json!({
        "from": USER, "id": location, "timestamp": "1767225600", "type": "location",
        "location": {"latitude": 52.52, "longitude": 13.405},
    }));
    assert_eq!(runtime.post_signed(&body).await.status, 200);
    runtime
        .wait_requests("the location's read receipt", SOON, |r| {
            !read_receipts_for(r, &location).is_empty()
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sends(&runtime.sandbox.requests().await).len(),
        1,
        "only the text was answered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivery_is_dispatched_once_with_an_allowed_dir() {
    let setup = Setup::bare()
        .consumer("echo-bot", "echo_bot")
        .handlers("local:echo-bot")
        .allow_dir();
    let runtime = Runtime::start("redelivery", setup).await;
    let health = get(&format!("{}/health", runtime.url())).await.json();
    assert_eq!(health["dedup"], "persistent", "{health}");

    let id = wamid();
    let body = text_webhook(&id, "only once");
    assert_eq!(runtime.post_signed(&body).await.status, 200);
    runtime
        .wait_requests("the first delivery's reply", SOON * 2, |r| {
            !replies_to(r, &id).is_empty()
        })
        .await;
    assert_eq!(
        runtime.post_signed(&body).await.status,
        200,
        "a redelivery is acknowledged"
    );
    runtime
        .wait_log_line("dropping the redelivery", |l| {
            l.contains(&format!(
                "message {id} was already dispatched; redelivery ignored"
            ))
        })
        .await;
    let requests = runtime.sandbox.requests().await;
    assert_eq!(replies_to(&requests, &id).len(), 1, "answered once");
    assert_eq!(
        read_receipts_for(&requests, &id).len(),
        1,
        "marked read once"
    );

    let allowed = runtime.allowed.as_ref().expect("an allowed dir").path();
    assert!(
        allowed.join("whatsapp").is_dir(),
        "the state lives in the allowed dir's whatsapp folder"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_text_and_send_message_through_the_runtimes_call_api() {
    let runtime = Runtime::start("call-api", Setup::bare()).await;

    let text = json!({
        "to": USER, "body": "**bold** from a call", "format": "markdown",
        "preview-url": false, "reply-to": null, "phone-number-id": null,
        "biz-opaque-callback-data": "call-api-test",
    });
    let answer = runtime
        .call(COMPONENT, "outgoing/send-text", json!([text]))
        .await;
    assert_eq!(answer.status, 200, "{}\n{}", answer.text(), runtime.logs());
    let output = &answer.json()["output"];
    let ids = output["message-ids"].as_array().expect("message-ids");
    assert_eq!(ids.len(), 1, "{output}");
    assert_eq!(output["wa-id"], USER);

    let answer = runtime
        .call(
            COMPONENT,
            "api/send-message",
            json!(["hello from asterai's api", USER]),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let message_id = answer.json()["output"]
        .as_str()
        .expect("a string")
        .to_string();
    assert!(message_id.starts_with("wamid."), "{message_id}");

    let requests = runtime
        .wait_requests("both sends", SOON, |r| sends(r).len() >= 2)
        .await;
    let markdown = texts(&requests, "*bold* from a call");
    assert_eq!(markdown.len(), 1, "Markdown converted: {requests:#?}");
    assert_eq!(
        markdown[0]["body"]["biz_opaque_callback_data"],
        "call-api-test"
    );
    assert_eq!(texts(&requests, "hello from asterai's api").len(), 1);
    assert!(sends(&requests).iter().all(|r| r["body"]["to"] == USER));

    // A refused send is a typed error, and the runtime keeps serving calls after it.
    let empty = json!({
        "to": "", "body": "x", "format": "raw", "preview-url": false, "reply-to": null,
        "phone-number-id": null, "biz-opaque-callback-data": null,
    });
    let answer = runtime
        .call(COMPONENT, "outgoing/send-text", json!([empty]))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(
        answer.json()["output"]["error"]["error"]["tag"],
        "invalid-request",
        "{}",
        answer.text()
    );
    let answer = runtime.call(COMPONENT, "api/get-self", json!([])).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let user = &answer.json()["output"];
    assert!(
        user["name"].as_str().is_some_and(|n| !n.is_empty()),
        "{user}"
    );
    assert!(
        user["phone"].as_str().is_some_and(|p| !p.is_empty()),
        "{user}"
    );
    assert!(!runtime.log().contains(ACCESS_TOKEN), "no token in the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_traps_is_logged_and_the_next_one_still_acts() {
    let setup = Setup::bare()
        .consumer("fault-bot", "fault_bot")
        .consumer("echo-bot", "echo_bot")
        .handlers("local:fault-bot,local:echo-bot");
    let runtime = Runtime::start("trap", setup).await;

    let id = wamid();
    let answer = runtime
        .post_signed(&text_webhook(&id, "please trap now"))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let requests = runtime
        .wait_requests(
            "the echo bot's reply after the fault bot trapped",
            SOON * 2,
            |r| !replies_to(r, &id).is_empty(),
        )
        .await;
    let replies = replies_to(&requests, &id);
    assert_eq!(replies.len(), 1, "only the echo bot answered: {replies:#?}");
    assert!(replies[0]["body"]["text"]["body"]
        .as_str()
        .is_some_and(|b| b.contains("please trap now")));
    let line = runtime
        .wait_log_line("naming the consumer that failed", |l| {
            l.contains(&format!(
                "local:fault-bot failed on message {id}: invocation-failed"
            ))
        })
        .await;
    assert!(!line.contains("please trap now"), "{line}");

    // The next message is served as usual: both answer.
    let next = wamid();
    assert_eq!(
        runtime
            .post_signed(&text_webhook(&next, "fine now"))
            .await
            .status,
        200
    );
    runtime
        .wait_requests("both replies to the next message", SOON * 2, |r| {
            replies_to(r, &next).len() == 2
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_chat_works_against_the_runtime() {
    let setup = Setup::bare()
        .consumer("echo-bot", "echo_bot")
        .handlers("local:echo-bot");
    let runtime = Runtime::start("chat", setup).await;
    // What the chat page does when the user types: the sandbox signs and posts it.
    let answer = runtime.sandbox.act(json!({"text": "from the chat"})).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let sent = answer.json();
    assert_eq!(sent["webhook"]["status"], 200, "{sent}");
    let id = sent["id"].as_str().expect("the message id").to_string();
    runtime
        .wait_requests("the echo in the chat", SOON * 2, |r| {
            !replies_to(r, &id).is_empty() && !read_receipts_for(r, &id).is_empty()
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_trapped_gets_the_message_again_from_the_allowed_dir_journal() {
    let mut setup = Setup::bare()
        .consumer("fault-bot", "fault_bot")
        .consumer("echo-bot", "echo_bot")
        .handlers("local:fault-bot,local:echo-bot")
        .allow_dir();
    setup
        .extra
        .push(("WHATSAPP_DISPATCH_LEASE_SECS".into(), "1".into()));
    let runtime = Runtime::start("journal", setup).await;

    let id = wamid();
    let answer = runtime
        .post_signed(&text_webhook(&id, "trap once please"))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    // The fault bot traps on attempt 1; the echo bot answers at once.
    runtime
        .wait_requests("the echo bot's reply", SOON * 2, |r| {
            !replies_to(r, &id).is_empty()
        })
        .await;
    let health = get(&format!("{}/health", runtime.url())).await.json();
    assert_eq!(health["delivery"], "at-least-once", "{health}");
    assert_eq!(health["pending"], 1, "{health}");

    // A later request takes it again: only the fault bot is called, with attempt 2.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    get(&format!("{}/health", runtime.url())).await;
    let requests = runtime
        .wait_requests("the fault bot's second attempt", SOON * 2, |r| {
            !texts(r, "fault-bot: ok (attempt 2)").is_empty()
        })
        .await;
    assert_eq!(
        replies_to(&requests, &id).len(),
        2,
        "the echo bot answered once, the fault bot once: {requests:#?}"
    );
    assert!(
        runtime
            .allowed
            .as_ref()
            .expect("an allowed dir")
            .path()
            .join("whatsapp/journal")
            .is_dir(),
        "the journal lives in the allowed dir"
    );
}
