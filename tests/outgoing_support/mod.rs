//! Shared helpers of the outbound tests (`outgoing_*.rs`, `consumer_actions.rs`): a
//! configured harness, Meta's answer fixtures, and assertions on what reached the
//! Graph API stand-in.
#![allow(dead_code)]

use host_test::*;
use serde_json::Value;

/// The business phone number id of the fixtures.
pub const PHONE_NUMBER_ID: &str = "106540352242922";
/// A distinctive access token: tests assert where it goes and where it must not.
pub const TOKEN: &str = "EAAJtestTOKEN7f3c9d2b1aZZsecretZZ";
/// The messages endpoint with the default root URL and version.
pub const MESSAGES_URL: &str = "https://graph.facebook.com/v25.0/106540352242922/messages";
/// The message id of the first message of `send_success.json`.
pub const SENT_ID: &str = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI4MjVFOTk1MTRENjJGN0I4MTEA";
/// The message id of `send_success_template_accepted.json`.
pub const TEMPLATE_SENT_ID: &str = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJFQjgwNTdBMDY3QUQ0MjNERDcA";
/// Alice, the sender of the webhook fixtures.
pub const ALICE: &str = "16505551234";

/// A harness configured to send: token and phone number id, nothing else.
pub fn harness() -> Harness {
    Harness::new()
        .expect("component built (`cargo build --release --target wasm32-wasip2 -p whatsapp`)")
        .env("WHATSAPP_ACCESS_TOKEN", TOKEN)
        .env("WHATSAPP_PHONE_NUMBER_ID", PHONE_NUMBER_ID)
}

/// The bytes of `tests/fixtures/<dir>/<name>`.
pub fn fixture_bytes(dir: &str, name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{dir}/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// `tests/fixtures/graph/<name>`, parsed.
pub fn graph_fixture(name: &str) -> Value {
    serde_json::from_slice(&fixture_bytes("graph", name))
        .unwrap_or_else(|e| panic!("graph fixture {name} is not JSON: {e}"))
}

/// Meta's answer `tests/fixtures/graph/<name>`, byte for byte, with this status and
/// Meta's content type.
pub fn meta_answer(status: u16, name: &str) -> GraphResponse {
    GraphResponse::bytes(
        status,
        "application/json; charset=UTF-8",
        fixture_bytes("graph", name),
    )
}

/// The one request the stand-in received (fails when there were more or none).
#[track_caller]
pub fn only_request(h: &Harness) -> GraphRequest {
    let mut requests = h.graph_requests();
    assert_eq!(
        requests.len(),
        1,
        "expected exactly one Graph request, got {}: {:#?}\nlogs:\n{}",
        requests.len(),
        requests.iter().map(|r| r.body_text()).collect::<Vec<_>>(),
        h.logs()
    );
    requests.remove(0)
}

/// Asserts a `POST` of exactly `body` (whole-JSON comparison) to `url`, with the bearer
/// token and a JSON content type.
#[track_caller]
pub fn assert_post_to(request: &GraphRequest, url: &str, body: &Value) {
    assert_eq!(request.method, "POST", "method of {}", request.url);
    assert_eq!(request.url, url);
    assert_eq!(request.query, None, "a message POST has no query");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str()),
        "authorization header"
    );
    let content_type = request.header("content-type").unwrap_or_default();
    assert!(
        content_type == "application/json" || content_type.starts_with("application/json;"),
        "content-type {content_type:?}"
    );
    assert_eq!(&request.json(), body, "body sent:\n{}", request.body_text());
}

/// [`assert_post_to`] the default messages endpoint.
#[track_caller]
pub fn assert_post(request: &GraphRequest, body: &Value) {
    assert_post_to(request, MESSAGES_URL, body);
}

/// The `text.body` of every message POST, in order.
pub fn text_bodies(h: &Harness) -> Vec<String> {
    h.graph_requests()
        .iter()
        .filter(|r| r.json()["type"] == "text")
        .map(|r| {
            r.json()["text"]["body"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// Length in UTF-16 code units, how Meta's 4096 limit is counted at its strictest.
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// A contact card with a name and nothing else.
pub fn card(name: &str) -> ContactCard {
    ContactCard {
        formatted_name: name.into(),
        first_name: None,
        last_name: None,
        phones: vec![],
        emails: vec![],
        organization: None,
        urls: vec![],
        birthday: None,
        vcard: None,
    }
}

/// A text message in this format, with no preview and no quote.
pub fn text(to: &str, body: &str, format: TextFormat) -> TextMessage {
    TextMessage {
        to: to.into(),
        body: body.into(),
        format,
        preview_url: false,
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

/// The invalid-request error of a send (fails on anything else).
#[track_caller]
pub fn invalid(result: Result<Sent, SendError>) -> InvalidRequest {
    match result {
        Err(SendError::InvalidRequest(i)) => i,
        other => panic!("expected an invalid request, got {other:?}"),
    }
}

/// The Graph error of a send (fails on anything else).
#[track_caller]
pub fn graph_error<T: std::fmt::Debug>(result: Result<T, SendError>) -> GraphError {
    match result {
        Err(SendError::Graph(g)) => g,
        other => panic!("expected a Graph error, got {other:?}"),
    }
}

/// The transport error of a send (fails on anything else).
#[track_caller]
pub fn transport_error<T: std::fmt::Debug>(result: Result<T, SendError>) -> TransportError {
    match result {
        Err(SendError::Transport(t)) => t,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

/// The bad-response error of a send (fails on anything else).
#[track_caller]
pub fn bad_response<T: std::fmt::Debug>(result: Result<T, SendError>) -> BadResponse {
    match result {
        Err(SendError::BadResponse(b)) => b,
        other => panic!("expected a bad response, got {other:?}"),
    }
}

/// A positional template parameter (no name).
pub fn positional(value: TemplateValue) -> TemplateParameter {
    TemplateParameter { name: None, value }
}

/// A named template parameter (`{{name}}`).
pub fn named(name: &str, value: TemplateValue) -> TemplateParameter {
    TemplateParameter {
        name: Some(name.into()),
        value,
    }
}
