//! The page's event stream: a snapshot, then every bot message and status as it happens;
//! and the binary's start line.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::*;
use hyper::Method;
use serde_json::json;

#[tokio::test]
async fn bot_messages_appear_on_the_event_stream() {
    let (sbx, _hook) = start().await;
    let mut events = Events::open(sbx.addr).await;
    let (name, snapshot) = events.next().await;
    assert_eq!(name, "snapshot");
    assert_eq!(snapshot["business"]["name"], "Sandbox Business");
    assert_eq!(snapshot["business"]["phone_number_id"], PHONE_ID);
    assert_eq!(snapshot["messages"], json!([]));

    // A user message shows (pending, then delivered once the webhook said 200).
    let user = sandbox_post(
        sbx.addr,
        "/_sandbox/send",
        &json!({"type": "text", "text": "hi"}),
    )
    .await
    .json();
    let user_id = user["id"].as_str().unwrap().to_string();
    let shown = events
        .until("message", |m| m["id"] == user_id.as_str())
        .await;
    assert_eq!(shown["from"], "user");
    let delivered = events
        .until("message", |m| {
            m["id"] == user_id.as_str() && m["status"] == "delivered"
        })
        .await;
    assert_eq!(delivered["payload"]["text"]["body"], "hi");

    // A bot message shows as soon as the Graph call is recorded.
    let sent = graph_post(
        sbx.addr,
        &json!({"messaging_product": "whatsapp", "to": "16505551234", "type": "text",
        "context": {"message_id": user_id}, "text": {"body": "*Hello* back"}}),
    )
    .await
    .unwrap()
    .json();
    let bot_id = sent["messages"][0]["id"].as_str().unwrap().to_string();
    let bot = events
        .until("message", |m| m["id"] == bot_id.as_str())
        .await;
    assert_eq!(bot["from"], "bot");
    assert_eq!(bot["wa_id"], "16505551234");
    assert_eq!(bot["type"], "text");
    assert_eq!(bot["payload"]["text"]["body"], "*Hello* back");
    assert_eq!(bot["payload"]["context"]["message_id"], user_id.as_str());

    // Its delivery statuses update it.
    events
        .until("message", |m| {
            m["id"] == bot_id.as_str() && m["status"] == "delivered"
        })
        .await;

    // A read receipt with typing: the user's message turns read, "typing…" shows.
    graph_post(
        sbx.addr,
        &json!({"messaging_product": "whatsapp", "status": "read", "message_id": user_id,
        "typing_indicator": {"type": "text"}}),
    )
    .await
    .unwrap();
    events
        .until("message", |m| {
            m["id"] == user_id.as_str() && m["status"] == "read"
        })
        .await;
    let typing = events.until("typing", |_| true).await;
    assert_eq!(
        (typing["wa_id"].as_str(), typing["on"].as_bool()),
        (Some("16505551234"), Some(true))
    );
    // ... and clears by itself (after the configured 0.5 s here, 25 s by default).
    let off = events.until("typing", |_| true).await;
    assert_eq!(off["on"], false);

    // A reaction lands on the user's message; an empty emoji removes it.
    for emoji in ["👍", ""] {
        graph_post(
            sbx.addr,
            &json!({"messaging_product": "whatsapp", "to": "16505551234", "type": "reaction",
            "reaction": {"message_id": user_id, "emoji": emoji}}),
        )
        .await
        .unwrap();
        let m = events
            .until("message", |m| m["id"] == user_id.as_str())
            .await;
        let want = if emoji.is_empty() {
            json!(null)
        } else {
            json!(emoji)
        };
        assert_eq!(m["reactions"]["bot"], want);
    }

    // The Graph calls themselves are pushed too.
    let request = events.until("request", |_| true).await;
    assert_eq!(request["method"], "POST");

    // And the whole chat is in the state snapshot.
    let state = call(sbx.addr, Method::GET, "/_sandbox/state", &[], "")
        .await
        .unwrap()
        .json();
    assert_eq!(state["messages"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_binary_prints_its_chat_url_and_serves_it() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandbox"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--webhook",
            "http://127.0.0.1:9/",
        ])
        .env_remove("SANDBOX_LISTEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    });
    let line = tokio::time::timeout(WAIT, line).await;
    let result = async {
        let line = line
            .map_err(|_| "no start line in time".to_string())?
            .unwrap()
            .unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://127.0.0.1:") && w.ends_with('/'))
            .ok_or(format!("no chat URL in {line:?}"))?;
        let addr: std::net::SocketAddr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .map_err(|e| format!("{e}"))?;
        let page = call(addr, Method::GET, "/", &[], "").await?;
        Ok::<_, String>((
            page.status,
            String::from_utf8_lossy(&page.body).contains("WhatsApp Sandbox"),
        ))
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(result, Ok((200, true)));

    let help = Command::new(env!("CARGO_BIN_EXE_sandbox"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--webhook"));
    let bad = Command::new(env!("CARGO_BIN_EXE_sandbox"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
