//! Two business numbers, one webhook: each number's webhooks carry its own metadata, the
//! Graph stand-in answers for either and records which one a call was for, and each
//! number has its own chats, ticks and read statuses.

mod common;

use std::time::Duration;

use common::*;
use hyper::Method;
use serde_json::{json, Value};

fn metadata(display: &str, id: &str) -> Value {
    json!({"display_phone_number": display, "phone_number_id": id})
}

#[tokio::test]
async fn a_webhook_for_each_number_carries_that_numbers_metadata() {
    let (sbx, hook) = start().await;

    let to_first = sandbox_post(
        sbx.addr,
        "/_sandbox/send",
        &json!({"type": "text", "text": "to the first number"}),
    )
    .await;
    assert_eq!(to_first.json()["phone_number_id"], PHONE_ID);
    let value = hook.next_message_value().await;
    assert_eq!(value["metadata"], metadata("15550100", PHONE_ID));

    let to_second = sandbox_post(
        sbx.addr,
        "/_sandbox/send",
        &json!({"type": "text", "text": "to the second number", "phone_number_id": SECOND_PHONE_ID,
                "context": "wamid.QUOTED"}),
    )
    .await;
    assert_eq!(to_second.status, 200, "{:?}", to_second);
    assert_eq!(to_second.json()["phone_number_id"], SECOND_PHONE_ID);
    let value = hook.next_message_value().await;
    assert_eq!(value["metadata"], metadata("15550101", SECOND_PHONE_ID));
    assert_eq!(value["messages"][0]["text"]["body"], "to the second number");
    // A quoted reply names the number the user wrote to.
    assert_eq!(
        value["messages"][0]["context"],
        json!({"from": "15550101", "id": "wamid.QUOTED"})
    );

    let unknown = sandbox_post(
        sbx.addr,
        "/_sandbox/send",
        &json!({"type": "text", "text": "nobody", "phone_number_id": "999"}),
    )
    .await;
    assert_eq!(unknown.status, 400);
    assert!(unknown.json()["error"]
        .as_str()
        .is_some_and(|e| e.contains(SECOND_PHONE_ID)));
}

#[tokio::test]
async fn the_graph_stand_in_answers_for_either_number_and_records_which() {
    let (sbx, hook) = start().await;
    let auth = bearer();
    let info = call(
        sbx.addr,
        Method::GET,
        &format!("/v24.0/{SECOND_PHONE_ID}?fields=verified_name,display_phone_number"),
        &[("authorization", &auth)],
        "",
    )
    .await
    .unwrap();
    assert_eq!(
        info.json(),
        json!({"verified_name": "Sandbox Support", "display_phone_number": "+1 555-0101",
               "id": SECOND_PHONE_ID})
    );

    let from_second = graph_post_from(sbx.addr, SECOND_PHONE_ID, &text_to(ALICE, "from B"))
        .await
        .unwrap();
    assert_eq!(from_second.status, 200, "{:?}", from_second);
    let from_first = graph_post(sbx.addr, &text_to(ALICE, "from A"))
        .await
        .unwrap();
    assert_eq!(from_first.status, 200);

    let recorded = requests(sbx.addr).await;
    let numbers: Vec<(&str, &str)> = recorded
        .iter()
        .map(|r| {
            (
                r["phone_number_id"].as_str().unwrap_or("-"),
                r["body"]["text"]["body"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        numbers,
        [
            (SECOND_PHONE_ID, "-"),
            (SECOND_PHONE_ID, "from B"),
            (PHONE_ID, "from A")
        ]
    );

    // Status webhooks of a send come from the number that sent it.
    let sent_b = sent_id(&from_second);
    let metadata_of = |value: &Value| {
        (
            value["statuses"][0]["id"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            value["metadata"]["phone_number_id"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        )
    };
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let (id, number) = metadata_of(&hook.next_status_value().await);
        if id == sent_b {
            seen.push(number);
        }
    }
    assert_eq!(seen, [SECOND_PHONE_ID, SECOND_PHONE_ID]);
}

#[tokio::test]
async fn an_unknown_phone_number_id_is_metas_unknown_object_error() {
    let (sbx, _hook) = start().await;
    let auth = bearer();
    for (path, verb) in [
        ("/v24.0/123456789/messages", "post"),
        ("/v24.0/123456789/media", "post"),
    ] {
        let r = call(
            sbx.addr,
            Method::POST,
            path,
            &[("authorization", &auth)],
            &text_to(ALICE, "hi").to_string(),
        )
        .await
        .unwrap();
        assert_eq!(r.status, 400, "{path}");
        let e = &r.json()["error"];
        assert_eq!(e["code"], 100);
        assert_eq!(e["error_subcode"], 33);
        assert_eq!(e["type"], "GraphMethodException");
        let message = e["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with(&format!(
                "Unsupported {verb} request. Object with ID '123456789' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
            )),
            "{message}"
        );
    }
    // Refused calls are recorded with the id they were made for.
    let recorded = requests(sbx.addr).await;
    assert!(recorded.iter().all(|r| r["phone_number_id"] == "123456789"));
}

/// The bubble with this id in `/_sandbox/state`.
async fn bubble(addr: std::net::SocketAddr, id: &str) -> Value {
    state(addr).await["messages"]
        .as_array()
        .and_then(|list| list.iter().find(|m| m["id"] == id).cloned())
        .unwrap_or_else(|| panic!("no message {id} in the chat"))
}

#[tokio::test]
async fn what_a_number_sends_and_reads_stays_in_that_numbers_chat() {
    let (sbx, _hook) = start().await;
    let mut events = Events::open(sbx.addr).await;
    let (_, snapshot) = events.next().await;
    let numbers: Vec<&str> = snapshot["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["phone_number_id"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, [PHONE_ID, SECOND_PHONE_ID]);

    // Alice writes to the second number only.
    let written = sandbox_post(
        sbx.addr,
        "/_sandbox/send",
        &json!({"type": "text", "text": "hello B", "phone_number_id": SECOND_PHONE_ID}),
    )
    .await
    .json();
    let user_message = written["id"].as_str().unwrap().to_string();
    let shown = events
        .until("message", |m| m["id"] == user_message.as_str())
        .await;
    assert_eq!(
        (shown["phone_number_id"].as_str(), shown["chat"].as_str()),
        (Some(SECOND_PHONE_ID), Some(ALICE))
    );

    // B answers: the reply is in B's chat with Alice.
    let reply = graph_post_from(sbx.addr, SECOND_PHONE_ID, &text_to(ALICE, "hi from B"))
        .await
        .unwrap();
    let reply = bubble(sbx.addr, &sent_id(&reply)).await;
    assert_eq!(
        (
            reply["from"].as_str(),
            reply["phone_number_id"].as_str(),
            reply["chat"].as_str()
        ),
        (Some("bot"), Some(SECOND_PHONE_ID), Some(ALICE))
    );

    // A read receipt from the other number leaves the ticks grey, and says so.
    let receipt =
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": user_message});
    let r = graph_post(sbx.addr, &receipt).await.unwrap();
    assert_eq!(r.json(), json!({"success": true}));
    let notice = events.until("notice", |_| true).await;
    assert!(notice["text"].as_str().unwrap().contains("ticks stay grey"));
    assert_eq!(bubble(sbx.addr, &user_message).await["status"], "delivered");

    // From B it turns them blue.
    graph_post_from(sbx.addr, SECOND_PHONE_ID, &receipt)
        .await
        .unwrap();
    assert_eq!(bubble(sbx.addr, &user_message).await["status"], "read");

    // A writes to Alice, who has written only to B: it shows in A's chat, flagged.
    let from_a = graph_post(sbx.addr, &text_to(ALICE, "hi from A"))
        .await
        .unwrap();
    let notice = events.until("notice", |_| true).await;
    let text = notice["text"].as_str().unwrap();
    assert!(
        text.contains("has written only to Sandbox Support"),
        "{text}"
    );
    assert_eq!(
        bubble(sbx.addr, &sent_id(&from_a)).await["phone_number_id"],
        PHONE_ID
    );
}

#[tokio::test]
async fn the_read_status_waits_for_the_sending_numbers_chat_to_be_seen() {
    let (sbx, hook) = start().await;
    let mut events = Events::open(sbx.addr).await;
    let (_, snapshot) = events.next().await;
    let client = snapshot["client"].as_u64().unwrap();
    let view = |number: &str| json!({"client": client, "visible": true, "phone_number_id": number, "chat": ALICE});
    // The page shows Alice's chat with the first number ...
    sandbox_post(sbx.addr, "/_sandbox/visibility", &view(PHONE_ID)).await;

    // ... while the second number writes to her.
    let id = sent_id(
        &graph_post_from(sbx.addr, SECOND_PHONE_ID, &text_to(ALICE, "read me"))
            .await
            .unwrap(),
    );
    assert_eq!(hook.next_status().await.1["status"], "sent");
    assert_eq!(hook.next_status().await.1["status"], "delivered");
    let early = tokio::time::timeout(Duration::from_millis(400), hook.next()).await;
    assert!(early.is_err(), "read before the chat was open: {early:?}");

    sandbox_post(sbx.addr, "/_sandbox/visibility", &view(SECOND_PHONE_ID)).await;
    let (d, read) = hook.next_status().await;
    assert_eq!(
        (read["id"].as_str(), read["status"].as_str()),
        (Some(id.as_str()), Some("read"))
    );
    assert_eq!(
        d.json()["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"],
        SECOND_PHONE_ID
    );
}
