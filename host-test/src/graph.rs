//! The Graph API stand-in: what the component sent ([`GraphRequest`]) and what the
//! test answers ([`GraphResponse`]).

use std::time::Duration;

use serde_json::{json, Value};

pub use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
pub use wasmtime_wasi_http::RequestOptions;

/// What the real host (`wasmtime serve`) uses when the guest sets no
/// `first-byte-timeout`: 600 s.
pub const DEFAULT_FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(600);

/// One outgoing HTTP request the component made through `wasi:http/outgoing-handler`,
/// as the Graph API would have received it (body fully collected).
#[derive(Debug, Clone, PartialEq)]
pub struct GraphRequest {
    /// 0-based position among all outgoing requests of this harness.
    pub index: usize,
    /// The instance (see [`crate::Response::instance`]) that sent it.
    pub instance: u64,
    /// Virtual time (tokio clock) when the request was handed to the host, since the
    /// harness's first operation. Under a paused tokio clock this is deterministic.
    pub at: Duration,
    /// `GET`, `POST`, ...
    pub method: String,
    /// Full URL, for example `https://graph.facebook.com/v21.0/123/messages`.
    pub url: String,
    /// Scheme, `https` or `http`.
    pub scheme: String,
    /// Authority (host and optional port), for example `graph.facebook.com`.
    pub authority: String,
    /// Path without the query, for example `/v21.0/123/messages`.
    pub path: String,
    /// The query string without `?`, if any.
    pub query: Option<String>,
    /// Headers in the order sent, names lowercase. Includes the `host` header the
    /// host adds.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
    /// The `request-options` the guest passed (all `None` when it passed none).
    pub options: RequestOptions,
    /// Whether the webhook response had been fully received when the request was made
    /// (as [`crate::MessageCall::acked_before_dispatch`]); `false` outside a webhook.
    /// The stand-in holds each request until then (up to the ack timeout), so the
    /// event log orders it after [`crate::EventKind::Responded`].
    pub acked_before_send: bool,
}

impl GraphRequest {
    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy UTF-8).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON, or [`Value::Null`] when it is empty or not JSON, so
    /// `req.json()["to"]` works directly.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// `true` for `POST .../messages`.
    pub fn is_messages_post(&self) -> bool {
        self.method == "POST" && self.path.ends_with("/messages")
    }
}

/// What the Graph API stand-in answers to one [`GraphRequest`].
#[derive(Debug, Clone)]
pub enum GraphResponse {
    /// An HTTP answer.
    Http {
        /// Status code.
        status: u16,
        /// Headers.
        headers: Vec<(String, String)>,
        /// Body bytes.
        body: Vec<u8>,
    },
    /// No HTTP answer: the guest's `future-incoming-response` resolves to this
    /// `wasi:http` error code (for example [`ErrorCode::ConnectionRefused`] or
    /// [`ErrorCode::ConnectionTimeout`]).
    Error(ErrorCode),
    /// The inner answer, after this much (tokio, so virtual when paused) time.
    ///
    /// Like the real host, the stand-in enforces the guest's `first-byte-timeout`
    /// (default [`DEFAULT_FIRST_BYTE_TIMEOUT`]): when the total delay exceeds it, the
    /// guest gets [`ErrorCode::ConnectionReadTimeout`] once the timeout has elapsed.
    Delayed(Duration, Box<GraphResponse>),
    /// Never answers: the guest gets [`ErrorCode::ConnectionReadTimeout`] after its
    /// `first-byte-timeout` (default [`DEFAULT_FIRST_BYTE_TIMEOUT`], instant under a
    /// paused tokio clock).
    Hang,
}

impl GraphResponse {
    /// A JSON answer with `content-type: application/json`.
    pub fn json(status: u16, body: Value) -> Self {
        Self::bytes(status, "application/json", body.to_string().into_bytes())
    }

    /// A text answer with `content-type: text/plain`.
    pub fn text(status: u16, body: &str) -> Self {
        Self::bytes(status, "text/plain", body.as_bytes().to_vec())
    }

    /// An answer with the given content type and body.
    pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Self::Http {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body,
        }
    }

    /// An answer with no headers and an empty body.
    pub fn empty(status: u16) -> Self {
        Self::Http {
            status,
            headers: vec![],
            body: vec![],
        }
    }

    /// A transport failure with this `wasi:http` error code.
    pub fn error(code: ErrorCode) -> Self {
        Self::Error(code)
    }

    /// Transport failure: connection refused.
    pub fn connection_refused() -> Self {
        Self::Error(ErrorCode::ConnectionRefused)
    }

    /// Transport failure: connection timeout.
    pub fn connection_timeout() -> Self {
        Self::Error(ErrorCode::ConnectionTimeout)
    }

    /// A Graph API error answer, shaped like Meta's:
    /// `{"error":{"message":..,"type":..,"code":..,"fbtrace_id":"AsandboxTrace"}}`.
    pub fn meta_error(status: u16, code: i64, kind: &str, message: &str) -> Self {
        Self::json(
            status,
            json!({
                "error": {
                    "message": message,
                    "type": kind,
                    "code": code,
                    "fbtrace_id": "AsandboxTrace"
                }
            }),
        )
    }

    /// Adds a header to an [`GraphResponse::Http`] answer (also inside
    /// [`GraphResponse::Delayed`]); no effect on an error.
    pub fn with_header(self, name: &str, value: &str) -> Self {
        match self {
            Self::Http {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.into(), value.into()));
                Self::Http {
                    status,
                    headers,
                    body,
                }
            }
            Self::Delayed(d, inner) => Self::Delayed(d, Box::new(inner.with_header(name, value))),
            other => other,
        }
    }

    /// This answer, delivered after `delay` of tokio time.
    pub fn after(self, delay: Duration) -> Self {
        Self::Delayed(delay, Box::new(self))
    }

    /// The default responder (what a harness answers without [`crate::Harness::graph`]):
    ///
    /// * `POST .../messages` whose JSON body has `"status":"read"` (mark-read):
    ///   `200 {"success":true}`;
    /// * `POST .../messages` with a `to` field:
    ///   `200 {"messaging_product":"whatsapp","contacts":[{"input":"<to>","wa_id":"<to digits>"}],"messages":[{"id":"wamid.sandbox.<n>"}]}`
    ///   where `<n>` is `req.index + 1` (unique per harness);
    /// * `GET /<version>/<phone-id>`:
    ///   `200 {"verified_name":"Sandbox Co","display_phone_number":"+1 555 0100","id":"<phone-id>","quality_rating":"GREEN"}`
    ///   when the query asks for `fields` (get-self);
    /// * media ([`SANDBOX_MEDIA_HOST`], [`sandbox_media_bytes`]): `GET /<version>/<media-id>`
    ///   without `fields`: `200 {"messaging_product":"whatsapp","url":"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=<media-id>","mime_type":"text/plain","sha256":"<hex>","file_size":<n>,"id":"<media-id>"}`;
    ///   `GET` of that URL: the bytes (`application/octet-stream`);
    ///   `POST .../media`: `200 {"id":"sandbox-media-<n>"}`; `DELETE /<version>/<media-id>`:
    ///   `200 {"success":true}`;
    /// * anything else: `400` Meta error (code 100, `GraphMethodException`).
    pub fn sandbox(req: &GraphRequest) -> Self {
        if let Some(answer) = Self::sandbox_media(req) {
            return answer;
        }
        let body = req.json();
        if req.is_messages_post() {
            if body.get("status").and_then(Value::as_str) == Some("read") {
                return Self::json(200, json!({"success": true}));
            }
            if let Some(to) = body.get("to").and_then(Value::as_str) {
                let wa_id: String = to.chars().filter(char::is_ascii_digit).collect();
                return Self::json(
                    200,
                    json!({
                        "messaging_product": "whatsapp",
                        "contacts": [{"input": to, "wa_id": wa_id}],
                        "messages": [{"id": format!("wamid.sandbox.{}", req.index + 1)}]
                    }),
                );
            }
        }
        let segments: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
        if req.method == "GET" && segments.len() == 2 && asks_for_fields(req) {
            return Self::json(
                200,
                json!({
                    "verified_name": "Sandbox Co",
                    "display_phone_number": "+1 555 0100",
                    "id": segments[1],
                    "quality_rating": "GREEN"
                }),
            );
        }
        Self::meta_error(
            400,
            100,
            "GraphMethodException",
            &format!("sandbox: no canned answer for {} {}", req.method, req.path),
        )
    }
}

/// The host of the sandbox's media download URLs.
pub const SANDBOX_MEDIA_HOST: &str = "lookaside.fbsbx.com";

/// The bytes of media `id` in [`GraphResponse::sandbox`]: `sandbox media <id>`.
pub fn sandbox_media_bytes(id: &str) -> Vec<u8> {
    format!("sandbox media {id}").into_bytes()
}

fn asks_for_fields(req: &GraphRequest) -> bool {
    req.query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|pair| pair.starts_with("fields=")))
}

impl GraphResponse {
    /// The sandbox's media answers (see [`GraphResponse::sandbox`]).
    fn sandbox_media(req: &GraphRequest) -> Option<Self> {
        use sha2::Digest;
        let segments: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
        if req.authority == SANDBOX_MEDIA_HOST && req.method == "GET" {
            let id = req
                .query
                .as_deref()
                .unwrap_or_default()
                .split('&')
                .find_map(|pair| pair.strip_prefix("mid="))
                .unwrap_or_default();
            return Some(Self::bytes(
                200,
                "application/octet-stream",
                sandbox_media_bytes(id),
            ));
        }
        if req.method == "POST" && segments.len() == 3 && segments[2] == "media" {
            return Some(Self::json(
                200,
                json!({"id": format!("sandbox-media-{}", req.index + 1)}),
            ));
        }
        if segments.len() != 2 {
            return None;
        }
        let id = segments[1];
        match req.method.as_str() {
            "DELETE" => Some(Self::json(200, json!({"success": true}))),
            "GET" if !asks_for_fields(req) => {
                let bytes = sandbox_media_bytes(id);
                Some(Self::json(
                    200,
                    json!({
                        "messaging_product": "whatsapp",
                        "url": format!("https://{SANDBOX_MEDIA_HOST}/whatsapp_business/attachments/?mid={id}"),
                        "mime_type": "text/plain",
                        "sha256": hex::encode(sha2::Sha256::digest(&bytes)),
                        "file_size": bytes.len(),
                        "id": id
                    }),
                ))
            }
            _ => None,
        }
    }
}
