//! Notifier: an example component that only sends (world `example:notifier/notifier`).
//!
//! It serves `POST /notify` with a JSON body `{"to": "...", "text": "..."}` (optionally
//! `"format": "markdown" | "raw"`, `"preview_url": true` and `"phone_number_id": "..."`, the
//! business number to send from) and sends the text through
//! `asterai:whatsapp/outgoing.send-text`, which the `whatsapp` component provides once it
//! is composed in. It answers `200 {"message_ids": [...], "wa_id": ..., "user_id": ...}`, or
//! the typed
//! error as JSON: 4xx for a bad request, 422 for a request that breaks one of Meta's
//! limits, 500 for missing configuration and 502 when the Graph API or the network failed.
//!
//! When `NOTIFY_TOKEN` is set, requests must carry `Authorization: Bearer <token>`.
//!
//! Everything but the wasi:http plumbing in [`http`] is a pure function, unit-tested
//! natively.

wit_bindgen::generate!({
    world: "example:notifier/notifier",
    path: ["../../wit", "wit"],
    with: {
        "asterai:whatsapp/types@0.4.0": generate,
        "asterai:whatsapp/outgoing@0.4.0": generate,
        "wasi:http/types@0.2.12": wasi::http::types,
        "wasi:io/error@0.2.12": wasi::io::error,
        "wasi:io/poll@0.2.12": wasi::io::poll,
        "wasi:io/streams@0.2.12": wasi::io::streams,
        "wasi:clocks/monotonic-clock@0.2.12": wasi::clocks::monotonic_clock,
    },
});

mod http;

use asterai::whatsapp::outgoing;
use asterai::whatsapp::types::{
    SendError, Sent, TextFailure, TextFormat, TextMessage, TransportKind,
};
use exports::wasi::http::incoming_handler::Guest;
use serde_json::{json, Map, Value};
use wasi::http::types::{IncomingRequest, Method, ResponseOutparam};

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The component.
struct Notifier;

impl Guest for Notifier {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let answer = serve(&request);
        http::respond(out, &answer);
    }
}

export!(Notifier);

fn serve(request: &IncomingRequest) -> Answer {
    let path = request.path_with_query().unwrap_or_default();
    let method = match request.method() {
        Method::Post => "POST",
        Method::Get => "GET",
        _ => "OTHER",
    };
    if let Some(answer) = route(method, &path) {
        return answer;
    }
    let token = std::env::var("NOTIFY_TOKEN").ok();
    let authorization = http::header(request, "authorization");
    if let Err(answer) = authorize(token.as_deref(), authorization.as_deref()) {
        return answer;
    }
    let body = match http::read_body(request, MAX_BODY_BYTES) {
        Ok(body) => body,
        Err(http::ReadError::TooLarge) => {
            return problem(413, "too-large", &format!("at most {MAX_BODY_BYTES} bytes"))
        }
        Err(http::ReadError::Broken) => {
            return problem(400, "bad-request", "the request body could not be read")
        }
    };
    match parse_request(&body) {
        Ok(message) => answer_send(outgoing::send_text(&message)),
        Err(answer) => answer,
    }
}

/// A response: status and JSON body.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body.
    pub body: Value,
}

fn problem(status: u16, kind: &str, reason: &str) -> Answer {
    Answer {
        status,
        body: json!({ "error": { "kind": kind, "reason": reason } }),
    }
}

/// `None` when the request is a `POST /notify`; otherwise the answer (404 or 405).
pub fn route(method: &str, path_with_query: &str) -> Option<Answer> {
    let path = path_with_query
        .split_once('?')
        .map_or(path_with_query, |(path, _)| path);
    if path != "/notify" {
        return Some(problem(404, "not-found", "only POST /notify is served"));
    }
    if method != "POST" {
        return Some(problem(405, "method-not-allowed", "use POST"));
    }
    None
}

/// `Ok` when the request may go on: no token is configured, or the `authorization`
/// header carries it as a bearer token. Otherwise a 401.
pub fn authorize(token: Option<&str>, authorization: Option<&[u8]>) -> Result<(), Answer> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(());
    };
    let given = authorization
        .and_then(|value| std::str::from_utf8(value).ok())
        .and_then(|value| value.trim().strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(given) if constant_time_eq(given.as_bytes(), token.as_bytes()) => Ok(()),
        _ => Err(problem(
            401,
            "unauthorized",
            "send Authorization: Bearer <NOTIFY_TOKEN>",
        )),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The text to send, from the JSON body; a 400 when it is not what `/notify` takes.
pub fn parse_request(body: &[u8]) -> Result<TextMessage, Answer> {
    let bad = |reason: &str| problem(400, "bad-request", reason);
    let value: Value = serde_json::from_slice(body).map_err(|e| bad(&format!("not JSON: {e}")))?;
    let Value::Object(fields) = value else {
        return Err(bad("expected a JSON object {\"to\": ..., \"text\": ...}"));
    };
    let to = required_string(&fields, "to").map_err(|reason| bad(&reason))?;
    let text = required_string(&fields, "text").map_err(|reason| bad(&reason))?;
    let format = match fields.get("format") {
        None | Some(Value::Null) => TextFormat::Markdown,
        Some(Value::String(f)) if f == "markdown" => TextFormat::Markdown,
        Some(Value::String(f)) if f == "raw" => TextFormat::Raw,
        Some(_) => return Err(bad("`format` must be \"markdown\" or \"raw\"")),
    };
    let preview_url = match fields.get("preview_url") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("`preview_url` must be a boolean")),
    };
    let phone_number_id = match fields.get("phone_number_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
            Some(id.clone())
        }
        Some(_) => {
            return Err(bad(
                "`phone_number_id` must be the digits of a business phone number id",
            ))
        }
    };
    Ok(TextMessage {
        to,
        body: text,
        format,
        preview_url,
        reply_to: None,
        phone_number_id,
        biz_opaque_callback_data: None,
    })
}

fn required_string(fields: &Map<String, Value>, name: &str) -> Result<String, String> {
    match fields.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(format!("`{name}` must not be empty")),
        Some(_) => Err(format!("`{name}` must be a string")),
        None => Err(format!("`{name}` is required")),
    }
}

/// The answer to the outcome of `send-text`.
pub fn answer_send(result: Result<Sent, TextFailure>) -> Answer {
    match result {
        Ok(sent) => Answer {
            status: 200,
            body: json!({
                "message_ids": sent.message_ids,
                "wa_id": sent.wa_id,
                "user_id": sent.user_id,
            }),
        },
        Err(failure) => Answer {
            status: failure_status(&failure.error),
            body: json!({
                "error": render_error(&failure.error),
                "part": failure.part,
                "parts": failure.parts,
                "sent": failure.sent,
            }),
        },
    }
}

/// 422 for a request Meta would refuse, 500 for missing configuration, 502 for the Graph
/// API or the network failing.
fn failure_status(error: &SendError) -> u16 {
    match error {
        SendError::InvalidRequest(_) => 422,
        SendError::MissingConfig(_) => 500,
        SendError::Graph(_) | SendError::Transport(_) | SendError::BadResponse(_) => 502,
    }
}

/// The typed error as JSON, tagged with its `kind`.
pub fn render_error(error: &SendError) -> Value {
    match error {
        SendError::MissingConfig(variables) => json!({
            "kind": "missing-config",
            "variables": variables,
        }),
        SendError::InvalidRequest(invalid) => json!({
            "kind": "invalid-request",
            "field": invalid.field,
            "reason": invalid.reason,
        }),
        SendError::Graph(graph) => json!({
            "kind": "graph",
            "http_status": graph.http_status,
            "code": graph.code,
            "subcode": graph.subcode,
            "type": graph.kind,
            "message": graph.message,
            "details": graph.details,
            "fbtrace_id": graph.fbtrace_id,
            "retryable": graph.retryable,
        }),
        SendError::Transport(transport) => json!({
            "kind": "transport",
            "transport_kind": transport_kind(transport.kind),
            "detail": transport.detail,
        }),
        SendError::BadResponse(bad) => json!({
            "kind": "bad-response",
            "http_status": bad.http_status,
            "content_type": bad.content_type,
            "reason": bad.reason,
        }),
    }
}

fn transport_kind(kind: TransportKind) -> &'static str {
    match kind {
        TransportKind::Dns => "dns",
        TransportKind::ConnectionRefused => "connection-refused",
        TransportKind::Timeout => "timeout",
        TransportKind::Tls => "tls",
        TransportKind::Protocol => "protocol",
        TransportKind::Other => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asterai::whatsapp::types::{GraphError, InvalidRequest, TransportError};

    fn error_kind(answer: &Answer) -> Option<&str> {
        answer.body.get("error")?.get("kind")?.as_str()
    }

    #[test]
    fn only_post_notify_is_served() {
        assert_eq!(route("POST", "/notify"), None);
        assert_eq!(route("POST", "/notify?x=1"), None);
        assert_eq!(route("GET", "/notify").map(|a| a.status), Some(405));
        assert_eq!(route("POST", "/").map(|a| a.status), Some(404));
        assert_eq!(route("POST", "/notify/x").map(|a| a.status), Some(404));
    }

    #[test]
    fn bearer_token_is_checked_when_configured() {
        assert_eq!(authorize(None, None), Ok(()));
        assert_eq!(authorize(Some(""), None), Ok(()));
        assert_eq!(authorize(Some("s3cret"), Some(b"Bearer s3cret")), Ok(()));
        for given in [
            None,
            Some(&b"Bearer nope"[..]),
            Some(b"s3cret"),
            Some(b"\xff"),
        ] {
            let Err(answer) = authorize(Some("s3cret"), given) else {
                panic!("accepted {given:?}")
            };
            assert_eq!(answer.status, 401);
            assert_eq!(error_kind(&answer), Some("unauthorized"));
        }
    }

    #[test]
    fn a_good_request_becomes_a_markdown_text() {
        let message = parse_request(br#"{"to": "+1 555 123 4567", "text": "**Hi**"}"#);
        let Ok(message) = message else {
            panic!("{message:?}")
        };
        assert_eq!(message.to, "+1 555 123 4567");
        assert_eq!(message.body, "**Hi**");
        assert_eq!(message.format, TextFormat::Markdown);
        assert!(!message.preview_url);
        assert_eq!(message.reply_to, None);
        assert_eq!(message.phone_number_id, None);
        assert_eq!(message.biz_opaque_callback_data, None);

        let raw = parse_request(
            br#"{"to": "1", "text": "x", "format": "raw", "preview_url": true, "extra": 1}"#,
        );
        let Ok(raw) = raw else { panic!("{raw:?}") };
        assert_eq!(raw.format, TextFormat::Raw);
        assert!(raw.preview_url);
        assert_eq!(raw.phone_number_id, None);
    }

    #[test]
    fn a_phone_number_id_picks_the_number_to_send_from() {
        let from = parse_request(
            br#"{"to": "US.1349", "text": "x", "phone_number_id": "106540352242922"}"#,
        );
        let Ok(from) = from else { panic!("{from:?}") };
        assert_eq!(from.phone_number_id.as_deref(), Some("106540352242922"));
        assert_eq!(from.to, "US.1349");
        let null = parse_request(br#"{"to": "1", "text": "x", "phone_number_id": null}"#);
        assert_eq!(null.map(|m| m.phone_number_id), Ok(None));
    }

    #[test]
    fn bad_requests_are_400_with_a_reason() {
        for body in [
            &b""[..],
            b"not json",
            b"[]",
            b"{}",
            br#"{"to": "1"}"#,
            br#"{"text": "x"}"#,
            br#"{"to": 1, "text": "x"}"#,
            br#"{"to": " ", "text": "x"}"#,
            br#"{"to": "1", "text": ""}"#,
            br#"{"to": "1", "text": "x", "format": "html"}"#,
            br#"{"to": "1", "text": "x", "preview_url": "yes"}"#,
            br#"{"to": "1", "text": "x", "phone_number_id": ""}"#,
            br#"{"to": "1", "text": "x", "phone_number_id": 106540352242922}"#,
            br#"{"to": "1", "text": "x", "phone_number_id": "1065/../me"}"#,
            br#"{"to": "1", "text": "x", "phone_number_id": " 1065"}"#,
        ] {
            let Err(answer) = parse_request(body) else {
                panic!("accepted {}", String::from_utf8_lossy(body))
            };
            assert_eq!(answer.status, 400);
            assert_eq!(error_kind(&answer), Some("bad-request"));
            assert!(answer.body["error"]["reason"].is_string());
        }
    }

    #[test]
    fn sent_is_200_with_the_ids() {
        let answer = answer_send(Ok(Sent {
            message_ids: vec![String::from("wamid.1"), String::from("wamid.2")],
            wa_id: Some(String::from("15551234567")),
            user_id: Some(String::from("US.13491208655302741918")),
        }));
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.body,
            json!({
                "message_ids": ["wamid.1", "wamid.2"],
                "wa_id": "15551234567",
                "user_id": "US.13491208655302741918",
            })
        );
    }

    fn failure(error: SendError) -> TextFailure {
        TextFailure {
            error,
            part: 2,
            parts: 3,
            sent: vec![String::from("wamid.1")],
        }
    }

    #[test]
    fn failures_carry_the_typed_error() {
        let graph = answer_send(Err(failure(SendError::Graph(GraphError {
            http_status: 400,
            code: 131_047,
            subcode: None,
            kind: String::from("OAuthException"),
            message: String::from("Re-engagement message"),
            details: Some(String::from("outside the 24-hour window")),
            fbtrace_id: Some(String::from("Abc")),
            retryable: false,
        }))));
        assert_eq!(graph.status, 502);
        assert_eq!(graph.body["error"]["kind"], "graph");
        assert_eq!(graph.body["error"]["code"], 131_047);
        assert_eq!(graph.body["error"]["subcode"], Value::Null);
        assert_eq!(graph.body["part"], 2);
        assert_eq!(graph.body["parts"], 3);
        assert_eq!(graph.body["sent"], json!(["wamid.1"]));

        let invalid = answer_send(Err(failure(SendError::InvalidRequest(InvalidRequest {
            field: String::from("to"),
            reason: String::from("not a phone number"),
        }))));
        assert_eq!(invalid.status, 422);
        assert_eq!(invalid.body["error"]["field"], "to");

        let missing = answer_send(Err(failure(SendError::MissingConfig(vec![String::from(
            "WHATSAPP_ACCESS_TOKEN",
        )]))));
        assert_eq!(missing.status, 500);
        assert_eq!(
            missing.body["error"]["variables"],
            json!(["WHATSAPP_ACCESS_TOKEN"])
        );

        let transport = answer_send(Err(failure(SendError::Transport(TransportError {
            kind: TransportKind::Timeout,
            detail: String::from("no answer in 30 s"),
        }))));
        assert_eq!(transport.status, 502);
        assert_eq!(transport.body["error"]["transport_kind"], "timeout");
    }
}
