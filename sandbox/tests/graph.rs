//! The Graph API stand-in answers in Meta's JSON, over real HTTP on loopback.

mod common;

use common::*;
use hyper::Method;
use serde_json::json;
use sha2::Digest;

#[tokio::test]
async fn phone_number_info_has_metas_shape() {
    let (sbx, _hook) = start().await;
    let auth = bearer();
    let r = call(
        sbx.addr,
        Method::GET,
        &format!("/v24.0/{PHONE_ID}?fields=verified_name,display_phone_number,quality_rating,id"),
        &[("authorization", &auth)],
        "",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("application/json"));
    assert_eq!(
        r.json(),
        json!({
            "verified_name": "Sandbox Business",
            "display_phone_number": "+1 555-0100",
            "quality_rating": "GREEN",
            "id": PHONE_ID,
        })
    );
    // Without `fields`, Graph's fuller answer.
    let r = call(
        sbx.addr,
        Method::GET,
        &format!("/v21.0/{PHONE_ID}"),
        &[("authorization", &auth)],
        "",
    )
    .await
    .unwrap();
    assert_eq!(r.json()["platform_type"], "CLOUD_API");
}

#[tokio::test]
async fn a_send_is_accepted_with_a_unique_wamid() {
    let (sbx, _hook) = start().await;
    let r = graph_post(sbx.addr, &text_to("+1 (650) 555-1234", "Hello *there*"))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{:?}", r);
    let body = r.json();
    assert_eq!(body["messaging_product"], "whatsapp");
    // Alice is known to the sandbox: her user id comes with her number.
    assert_eq!(
        body["contacts"],
        json!([{"input": "+1 (650) 555-1234", "wa_id": "16505551234", "user_id": ALICE_USER_ID}])
    );
    let first = body["messages"][0]["id"].as_str().unwrap().to_string();
    assert!(first.starts_with("wamid.HBgL"), "{first}");
    assert_eq!(body["messages"].as_array().unwrap().len(), 1);

    let again = graph_post(sbx.addr, &text_to("16505551234", "again"))
        .await
        .unwrap()
        .json();
    assert_ne!(again["messages"][0]["id"], first.as_str());

    let template = graph_post(
        sbx.addr,
        &json!({"messaging_product": "whatsapp", "to": "16505551234", "type": "template",
                "template": {"name": "hello_world", "language": {"code": "en_US"}}}),
    )
    .await
    .unwrap();
    assert_eq!(template.json()["messages"][0]["message_status"], "accepted");
}

#[tokio::test]
async fn read_receipts_answer_success() {
    let (sbx, _hook) = start().await;
    for body in [
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X"}),
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X",
               "typing_indicator": {"type": "text"}}),
    ] {
        let r = graph_post(sbx.addr, &body).await.unwrap();
        assert_eq!((r.status, r.json()), (200, json!({"success": true})));
    }
    let r = graph_post(
        sbx.addr,
        &json!({"messaging_product": "whatsapp", "status": "read"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (400, json!(100))
    );
}

#[tokio::test]
async fn a_wrong_or_missing_token_is_error_190() {
    let (sbx, _hook) = start().await;
    let path = format!("/v24.0/{PHONE_ID}/messages");
    let body = text_to("16505551234", "hi").to_string();
    for headers in [
        vec![("authorization", "Bearer wrong-token")],
        vec![("authorization", "Basic dXNlcjpwYXNz")],
        vec![],
    ] {
        let r = call(sbx.addr, Method::POST, &path, &headers, &body)
            .await
            .unwrap();
        assert_eq!(r.status, 401, "{headers:?}");
        let e = &r.json()["error"];
        assert_eq!(e["code"], 190);
        assert_eq!(e["type"], "OAuthException");
        assert!(e["message"].is_string() && e["fbtrace_id"].is_string());
    }
    // Graph also takes the token as a query parameter.
    let r = call(
        sbx.addr,
        Method::GET,
        &format!("/v24.0/{PHONE_ID}?access_token={TOKEN}"),
        &[],
        "",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn unknown_phone_number_id_and_bad_sends_are_code_100() {
    let (sbx, _hook) = start().await;
    let auth = bearer();
    let r = call(
        sbx.addr,
        Method::POST,
        "/v24.0/999999/messages",
        &[("authorization", &auth)],
        &text_to("16505551234", "hi").to_string(),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], 100);
    assert_eq!(r.json()["error"]["error_subcode"], 33);

    let cases = [
        json!({"messaging_product": "whatsapp", "type": "text", "text": {"body": "no to"}}),
        json!({"messaging_product": "whatsapp", "to": "16505551234", "type": "poll", "poll": {}}),
        json!({"messaging_product": "whatsapp", "to": "16505551234", "type": "text", "text": {}}),
        json!({"messaging_product": "whatsapp", "to": "not a number", "type": "text", "text": {"body": "x"}}),
        json!({"to": "16505551234", "type": "text", "text": {"body": "no product"}}),
    ];
    for body in cases {
        let r = graph_post(sbx.addr, &body).await.unwrap();
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(r.json()["error"]["code"], 100, "{body}");
    }
    let r = call(
        sbx.addr,
        Method::POST,
        &format!("/v24.0/{PHONE_ID}/messages"),
        &[("authorization", &auth)],
        "{not json",
    )
    .await
    .unwrap();
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (400, json!(100))
    );
    // Meta's limits on interactive messages are 131009.
    let too_long = json!({"messaging_product": "whatsapp", "to": "16505551234", "type": "interactive",
        "interactive": {"type": "button", "body": {"text": "b"}, "action": {"buttons": [
            {"type": "reply", "reply": {"id": "a", "title": "a title longer than twenty"}}]}}});
    let r = graph_post(sbx.addr, &too_long).await.unwrap();
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (400, json!(131009))
    );
}

#[tokio::test]
async fn media_lookup_returns_a_url_serving_a_png() {
    let (sbx, _hook) = start().await;
    let auth = bearer();
    let r = call(
        sbx.addr,
        Method::GET,
        "/v24.0/1183440992862314",
        &[("authorization", &auth)],
        "",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    let info = r.json();
    assert_eq!(info["id"], "1183440992862314");
    assert_eq!(info["mime_type"], "image/png");
    assert_eq!(info["messaging_product"], "whatsapp");
    let url = info["url"].as_str().unwrap();
    let prefix = format!("http://{}/", sbx.addr);
    let path = url
        .strip_prefix(&prefix[..prefix.len() - 1])
        .expect("url on the sandbox");

    let png = call(sbx.addr, Method::GET, path, &[("authorization", &auth)], "")
        .await
        .unwrap();
    assert_eq!(png.status, 200);
    assert_eq!(png.content_type, "image/png");
    assert!(png.body.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(info["file_size"], png.body.len());
    assert_eq!(info["sha256"], hex::encode(sha2::Sha256::digest(&png.body)));
    // The download needs the token too.
    let r = call(sbx.addr, Method::GET, path, &[], "").await.unwrap();
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn requests_are_recorded_with_the_token_redacted() {
    let (sbx, _hook) = start().await;
    graph_post(sbx.addr, &text_to("16505551234", "recorded"))
        .await
        .unwrap();
    call(
        sbx.addr,
        Method::GET,
        &format!("/v24.0/{PHONE_ID}"),
        &[("authorization", "Bearer nope")],
        "",
    )
    .await
    .unwrap();

    let r = call(sbx.addr, Method::GET, "/_sandbox/requests", &[], "")
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let text = String::from_utf8_lossy(&r.body).to_string();
    assert!(!text.contains(TOKEN), "token leaked: {text}");
    let list = r.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["method"], "POST");
    assert_eq!(list[0]["path"], format!("/v24.0/{PHONE_ID}/messages"));
    assert_eq!(list[0]["headers"]["authorization"], "Bearer [redacted]");
    assert_eq!(list[0]["body"]["text"]["body"], "recorded");
    assert_eq!(list[0]["response"]["status"], 200);
    assert_eq!(list[1]["auth"], "wrong");
    assert_eq!(list[1]["response"]["status"], 401);

    let r = call(sbx.addr, Method::DELETE, "/_sandbox/requests", &[], "")
        .await
        .unwrap();
    assert_eq!(r.json()["cleared"], 2);
    let r = call(sbx.addr, Method::GET, "/_sandbox/requests", &[], "")
        .await
        .unwrap();
    assert_eq!(r.json(), json!([]));
}

#[tokio::test]
async fn the_chat_page_and_its_assets_are_served() {
    let (sbx, _hook) = start().await;
    let page = call(sbx.addr, Method::GET, "/", &[], "").await.unwrap();
    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html"));
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("/_sandbox/ui/app.js") && html.contains("/_sandbox/ui/app.css"));
    assert!(!html.contains("https://"), "no external assets");
    for (path, kind) in [
        ("/_sandbox/ui/app.js", "text/javascript"),
        ("/_sandbox/ui/app.css", "text/css"),
        ("/_sandbox/ui/icon.svg", "image/svg+xml"),
        ("/_sandbox/media/123", "image/png"),
    ] {
        let r = call(sbx.addr, Method::GET, path, &[], "").await.unwrap();
        assert_eq!(r.status, 200, "{path}");
        assert!(
            r.content_type.starts_with(kind),
            "{path}: {}",
            r.content_type
        );
    }
    // The sandbox's own POST endpoints want JSON (so other sites cannot post to them).
    let r = call(
        sbx.addr,
        Method::POST,
        "/_sandbox/send",
        &[("content-type", "text/plain")],
        "{}",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 415);
}
