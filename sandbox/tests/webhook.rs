//! Sandbox -> webhook: user actions arrive in Meta's envelope, signed over the exact
//! bytes; status webhooks follow every accepted send.

mod common;

use std::sync::atomic::Ordering;

use common::*;
use hyper::Method;
use serde_json::json;

#[tokio::test]
async fn a_user_message_reaches_the_webhook_signed_over_the_exact_bytes() {
    let (sbx, hook) = start().await;
    let r = sandbox_post(
        sbx.addr,
        "/_sandbox/send",
        &json!({"type": "text", "from": "+55 11 98765-4321", "name": "Bruno Araújo",
                "text": "Olá! Ça coûte 12,50 € / 😀"}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r);
    let answer = r.json();
    assert_eq!(answer["ok"], true);
    assert_eq!(answer["webhook"]["status"], 200);

    let d = hook.next().await;
    assert_eq!(
        d.header("x-hub-signature-256"),
        Some(expected_signature(&d.body))
    );
    assert_eq!(
        d.header("content-type").as_deref(),
        Some("application/json")
    );
    // Meta's wire form: ASCII only, non-ASCII and `/` escaped.
    assert!(d.body.is_ascii());
    let raw = String::from_utf8_lossy(&d.body);
    assert!(
        raw.contains(r"Ol\u00e1") && raw.contains(r"\/") && raw.contains(r"\ud83d\ude00"),
        "{raw}"
    );

    let v = d.json();
    assert_eq!(v["object"], "whatsapp_business_account");
    let entry = &v["entry"][0];
    assert!(entry["id"].is_string());
    let change = &entry["changes"][0];
    assert_eq!(change["field"], "messages");
    let value = &change["value"];
    assert_eq!(value["messaging_product"], "whatsapp");
    assert_eq!(
        value["metadata"],
        json!({"display_phone_number": "15550100", "phone_number_id": PHONE_ID})
    );
    assert_eq!(
        value["contacts"],
        json!([{"profile": {"name": "Bruno Araújo", "username": "bruno.araujo"},
                "wa_id": "5511987654321", "user_id": "BR.38811402659077311542"}])
    );
    let m = &value["messages"][0];
    assert_eq!(m["from"], "5511987654321");
    assert_eq!(m["from_user_id"], "BR.38811402659077311542");
    assert!(
        m.get("from_parent_user_id").is_none(),
        "Bruno has no parent id"
    );
    assert_eq!(m["id"], answer["id"]);
    assert!(m["id"].as_str().unwrap().starts_with("wamid."));
    let ts = m["timestamp"].as_str().expect("timestamp is a string");
    assert!(
        ts.len() >= 10 && ts.bytes().all(|b| b.is_ascii_digit()),
        "{ts}"
    );
    assert_eq!(m["type"], "text");
    assert_eq!(m["text"], json!({"body": "Olá! Ça coûte 12,50 € / 😀"}));
    assert!(m.get("context").is_none());
}

#[tokio::test]
async fn taps_replies_reactions_images_and_locations_have_metas_shapes() {
    let (sbx, hook) = start().await;
    let bot = graph_post(
        sbx.addr,
        &json!({"messaging_product": "whatsapp", "to": "16505551234",
        "type": "interactive", "interactive": {"type": "button", "body": {"text": "Pick"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": "yes", "title": "Yes"}}]}}}),
    )
    .await
    .unwrap()
    .json()["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let message = |d: &Delivery| d.json()["entry"][0]["changes"][0]["value"]["messages"][0].clone();
    let next_message = || async {
        loop {
            let d = hook.next().await;
            if !message(&d).is_null() {
                assert_eq!(
                    d.header("x-hub-signature-256"),
                    Some(expected_signature(&d.body))
                );
                return message(&d);
            }
        }
    };

    sandbox_post(
        sbx.addr,
        "/_sandbox/send",
        &json!({"type": "button_reply", "context": bot, "id": "yes", "title": "Yes"}),
    )
    .await;
    let m = next_message().await;
    assert_eq!(m["type"], "interactive");
    assert_eq!(
        m["interactive"],
        json!({"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}})
    );
    assert_eq!(m["context"], json!({"from": "15550100", "id": bot}));

    sandbox_post(sbx.addr, "/_sandbox/send", &json!({"type": "list_reply", "context": bot, "id": "r1", "title": "Row", "description": "D"})).await;
    let m = next_message().await;
    assert_eq!(
        m["interactive"],
        json!({"type": "list_reply", "list_reply": {"id": "r1", "title": "Row", "description": "D"}})
    );

    sandbox_post(
        sbx.addr,
        "/_sandbox/send",
        &json!({"type": "text", "text": "quoting", "context": bot}),
    )
    .await;
    assert_eq!(next_message().await["context"]["id"], bot.as_str());

    sandbox_post(
        sbx.addr,
        "/_sandbox/send",
        &json!({"type": "reaction", "message_id": bot, "emoji": "❤️"}),
    )
    .await;
    assert_eq!(
        next_message().await["reaction"],
        json!({"message_id": bot, "emoji": "❤️"})
    );
    sandbox_post(
        sbx.addr,
        "/_sandbox/send",
        &json!({"type": "reaction", "message_id": bot, "emoji": ""}),
    )
    .await;
    assert_eq!(
        next_message().await["reaction"],
        json!({"message_id": bot}),
        "removal has no emoji"
    );

    sandbox_post(
        sbx.addr,
        "/_sandbox/send",
        &json!({"type": "image", "caption": "look"}),
    )
    .await;
    let m = next_message().await;
    assert_eq!(m["image"]["caption"], "look");
    assert_eq!(m["image"]["mime_type"], "image/png");
    let media = m["image"]["id"].as_str().unwrap();
    // The media id resolves on the Graph stand-in.
    let auth = bearer();
    let info = call(
        sbx.addr,
        Method::GET,
        &format!("/v24.0/{media}"),
        &[("authorization", &auth)],
        "",
    )
    .await
    .unwrap();
    assert_eq!(info.json()["id"], media);

    sandbox_post(
        sbx.addr,
        "/_sandbox/send",
        &json!({"type": "location", "latitude": 37.48, "longitude": -122.14, "name": "HQ"}),
    )
    .await;
    assert_eq!(
        next_message().await["location"],
        json!({"latitude": 37.48, "longitude": -122.14, "name": "HQ"})
    );

    let bad = sandbox_post(sbx.addr, "/_sandbox/send", &json!({"type": "sticker"})).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn status_webhooks_follow_an_accepted_send() {
    let (sbx, hook) = start().await;
    let r = graph_post(
        sbx.addr,
        &json!({"messaging_product": "whatsapp", "to": "16505551234",
        "type": "text", "text": {"body": "tracked"}, "biz_opaque_callback_data": "order=1"}),
    )
    .await
    .unwrap();
    let id = r.json()["messages"][0]["id"].as_str().unwrap().to_string();
    let (d, sent) = hook.next_status().await;
    assert_eq!(
        d.header("x-hub-signature-256"),
        Some(expected_signature(&d.body))
    );
    assert_eq!(
        d.json()["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"],
        PHONE_ID
    );
    assert_eq!(sent["id"], id.as_str());
    assert_eq!(sent["status"], "sent");
    assert_eq!(sent["recipient_id"], "16505551234");
    assert!(sent["timestamp"].is_string());
    assert_eq!(sent["pricing"]["pricing_model"], "PMP");
    assert_eq!(sent["biz_opaque_callback_data"], "order=1");
    let (_, delivered) = hook.next_status().await;
    assert_eq!(
        (delivered["id"].as_str(), delivered["status"].as_str()),
        (Some(id.as_str()), Some("delivered"))
    );
}

#[tokio::test]
async fn the_read_status_waits_for_a_visible_page() {
    let (sbx, hook) = start().await;
    let mut events = Events::open(sbx.addr).await;
    let (name, snapshot) = events.next().await;
    assert_eq!(name, "snapshot");
    let client = snapshot["client"].as_u64().unwrap();

    let id = graph_post(sbx.addr, &text_to("16505551234", "read me"))
        .await
        .unwrap()
        .json()["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(hook.next_status().await.1["status"], "sent");
    assert_eq!(hook.next_status().await.1["status"], "delivered");

    let r = sandbox_post(
        sbx.addr,
        "/_sandbox/visibility",
        &json!({"client": client, "visible": true, "wa_id": "16505551234"}),
    )
    .await;
    assert_eq!(r.status, 200);
    let (_, read) = hook.next_status().await;
    assert_eq!(
        (read["id"].as_str(), read["status"].as_str()),
        (Some(id.as_str()), Some("read"))
    );
}

#[tokio::test]
async fn a_failing_or_missing_webhook_is_reported() {
    let (sbx, hook) = start().await;
    hook.status.store(401, Ordering::SeqCst);
    let r = sandbox_post(
        sbx.addr,
        "/_sandbox/send",
        &json!({"type": "text", "text": "hello?"}),
    )
    .await;
    assert_eq!(r.status, 502);
    let body = r.json();
    assert_eq!(body["ok"], false);
    assert_eq!(body["webhook"]["status"], 401);
    assert!(body["error"].as_str().unwrap().contains("401"));
    let id = body["id"].as_str().unwrap().to_string();
    hook.next().await;

    // The same bytes, same signature, can be sent again.
    hook.status.store(200, Ordering::SeqCst);
    let r = sandbox_post(
        sbx.addr,
        "/_sandbox/send",
        &json!({"type": "retry", "id": id}),
    )
    .await;
    assert_eq!((r.status, r.json()["ok"].clone()), (200, json!(true)));
    let again = hook.next().await;
    assert_eq!(
        again.json()["entry"][0]["changes"][0]["value"]["messages"][0]["id"],
        id.as_str()
    );

    // Nobody listening.
    let mut config = config("http://127.0.0.1:9/");
    config.verify_token = None;
    let lonely = sandbox::start(config).await.unwrap();
    let r = sandbox_post(
        lonely.addr,
        "/_sandbox/send",
        &json!({"type": "text", "text": "anyone?"}),
    )
    .await;
    assert_eq!(r.status, 502);
    assert!(r.json()["error"].as_str().unwrap().contains("unreachable"));
}

#[tokio::test]
async fn the_verification_handshake_is_metas() {
    let (sbx, _hook) = start().await;
    let r = call(sbx.addr, Method::POST, "/_sandbox/verify", &[], "")
        .await
        .unwrap();
    assert_eq!(r.json()["ok"], true, "{:?}", r.json());

    let hook = Hook::start().await;
    let mut wrong = config(&hook.url);
    wrong.verify_token = Some("not-the-token".into());
    let other = sandbox::start(wrong).await.unwrap();
    let r = call(other.addr, Method::POST, "/_sandbox/verify", &[], "")
        .await
        .unwrap()
        .json();
    assert_eq!(r["ok"], false);
    assert_eq!(r["status"], 403);
}
