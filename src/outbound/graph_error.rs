//! Turning Graph API answers and transport failures into the WIT result types.
//!
//! - A 2xx answer is parsed for what the endpoint promises ([`parse_send_response`],
//!   [`parse_mark_read_response`], [`parse_profile_response`]); anything else is a
//!   [`SendError::BadResponse`].
//! - An answer carrying Meta's `{"error":{...}}` (whatever its status) becomes a
//!   [`SendError::Graph`], with `retryable` from [`graph_retryable`].
//! - Any other non-2xx answer becomes a [`SendError::BadResponse`] that keeps the
//!   HTTP status. Reasons never quote the body: an error page or a proxy can echo the
//!   request, which holds message content.
//! - A request that got no answer becomes a [`SendError::Transport`] through
//!   [`transport_error`], whose detail never contains the access token.
//!
//! The JSON reading is lenient where Meta (or a proxy) is known to vary: the content
//! type is not required to be `application/json` (the Graph API has answered
//! `text/javascript`), numbers may come as numeric strings and strings as numbers,
//! and `null` counts as absent.

use crate::json::{self, Value};
use wasi::http::types::ErrorCode;

use crate::outbound::graph::REDACTED;
use crate::types::{
    BadResponse, BusinessProfile, GraphError, SendError, Sent, TransportError, TransportKind,
};

/// Graph error codes that are worth retrying after a pause: throughput (130429),
/// throughput upgrade in progress (131057), pair rate (131056), application or account
/// rate limits (4, 80007), temporary or unknown failures (1, 2, 131000, 131016).
pub const RETRYABLE_CODES: &[i64] = &[130429, 131057, 131056, 4, 80007, 1, 2, 131000, 131016];

/// Graph error codes that never succeed by retrying the same request: outside the
/// 24-hour window (131047), undeliverable (131026), unsupported type (131051),
/// invalid parameter (100), token (190), permissions (10, 200-299), parameter value
/// (131009). Template errors (132000-132999) are matched by [`is_never_retryable`].
pub const NEVER_RETRYABLE_CODES: &[i64] = &[131047, 131026, 131051, 100, 190, 10, 131009];

/// Meta's code for "too many messages to the same user" (pair rate limit).
pub const PAIR_RATE_LIMIT_CODE: i64 = 131056;

/// Longest transport detail kept, in characters.
const DETAIL_MAX: usize = 200;

/// True for codes that no retry can fix, whatever the HTTP status or `is_transient`.
pub fn is_never_retryable(code: i64) -> bool {
    NEVER_RETRYABLE_CODES.contains(&code)
        || (200..=299).contains(&code)
        || (132000..=132999).contains(&code)
}

/// Whether an error answer may succeed if the same request is sent again later.
///
/// Never for the codes of [`is_never_retryable`]; always for [`RETRYABLE_CODES`];
/// otherwise for HTTP 429 and 5xx only (so any other 4xx is final).
pub fn is_retryable(http_status: u16, code: Option<i64>) -> bool {
    if let Some(code) = code {
        if is_never_retryable(code) {
            return false;
        }
        if RETRYABLE_CODES.contains(&code) {
            return true;
        }
    }
    http_status == 429 || (500..=599).contains(&http_status)
}

/// [`is_retryable`], also true when Meta flags the error `is_transient` (unless the
/// code is one no retry can fix).
pub fn graph_retryable(http_status: u16, code: i64, is_transient: bool) -> bool {
    if is_never_retryable(code) {
        return false;
    }
    is_transient || is_retryable(http_status, Some(code))
}

/// Whether a failed send may be retried, from the error alone.
///
/// A Graph error carries its own `retryable`; a bad response is retryable for HTTP
/// 429 and 5xx (a proxy's error page); a transport error only when it is known to have
/// happened before the request left (DNS, connection refused), because its kind does
/// not say whether a timeout hit connecting or waiting for the answer. When the
/// wasi-http error code is at hand, [`transport_retryable`] decides better. Missing
/// configuration and invalid requests are never retryable.
pub fn send_error_retryable(error: &SendError) -> bool {
    match error {
        SendError::Graph(graph) => graph.retryable,
        SendError::BadResponse(bad) => is_retryable(bad.http_status, None),
        SendError::Transport(transport) => matches!(
            transport.kind,
            TransportKind::Dns | TransportKind::ConnectionRefused
        ),
        SendError::MissingConfig(_) | SendError::InvalidRequest(_) => false,
    }
}

fn is_success(status: u16) -> bool {
    (200..=299).contains(&status)
}

pub(crate) fn bad_response(
    status: u16,
    content_type: Option<&str>,
    reason: impl Into<String>,
) -> SendError {
    SendError::BadResponse(BadResponse {
        http_status: status,
        content_type: content_type.map(str::to_string),
        reason: reason.into(),
    })
}

/// A string field: a string, or a number written out; `null`, empty and anything else
/// count as absent.
fn string_field(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An integer field: a JSON integer, or a string holding one.
fn int_field(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A boolean field: `true`/`false`, or the strings `"true"`/`"false"`.
fn bool_field(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// `error_data.details`, whether `error_data` is an object or a JSON string of one.
fn details(error: &Value) -> Option<String> {
    match error.get("error_data")? {
        Value::Object(data) => string_field(data.get("details")),
        Value::String(text) => {
            let parsed = json::from_slice(text.as_bytes()).ok()?;
            string_field(parsed.get("details"))
        }
        _ => None,
    }
}

/// Reads Meta's `{"error":{...}}`, if the body is one.
fn graph_error(status: u16, json: &Value) -> Option<GraphError> {
    let error = json.get("error")?;
    if !error.is_object() {
        return None;
    }
    let code = int_field(error.get("code")).unwrap_or(0);
    let is_transient = bool_field(error.get("is_transient")).unwrap_or(false);
    Some(GraphError {
        http_status: status,
        code,
        subcode: int_field(error.get("error_subcode")),
        kind: string_field(error.get("type")).unwrap_or_default(),
        message: string_field(error.get("message")).unwrap_or_default(),
        details: details(error),
        fbtrace_id: string_field(error.get("fbtrace_id")),
        retryable: graph_retryable(status, code, is_transient),
    })
}

/// Parses the body as JSON and handles everything but a 2xx answer without an error
/// object, which is handed back as JSON for the endpoint-specific reading: Meta's error
/// object, the status of other non-2xx answers, a body that is not JSON. Every Graph
/// answer is read through here (the sender's and the media client's alike).
pub(crate) fn json_answer<'b>(
    status: u16,
    content_type: Option<&str>,
    body: &'b [u8],
) -> Result<Value<'b>, SendError> {
    let json = json::from_slice(body).ok();
    if let Some(error) = json.as_ref().and_then(|j| graph_error(status, j)) {
        return Err(SendError::Graph(error));
    }
    if !is_success(status) {
        let reason = if json.is_some() {
            format!("HTTP {status} without a Graph API error object")
        } else if body.is_empty() {
            format!("HTTP {status} with an empty body")
        } else {
            format!("HTTP {status} with a body that is not JSON")
        };
        return Err(bad_response(status, content_type, reason));
    }
    match json {
        Some(json) => Ok(json),
        None if body.is_empty() => Err(bad_response(status, content_type, "empty body")),
        None => Err(bad_response(status, content_type, "not JSON")),
    }
}

/// Reads the answer to a send (`POST /<phone-number-id>/messages`).
///
/// 2xx with `messages[].id` gives [`Sent`] (every id, in order, normally one),
/// `contacts[0].wa_id` and `contacts[0].user_id` (either may be absent: a message sent
/// to a business-scoped user id may come back with only the user id); 2xx that is not JSON or has no id is a bad response; an error
/// object is a Graph error; any other answer is a bad response with its status.
pub fn parse_send_response(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Sent, SendError> {
    let json = json_answer(status, content_type, body)?;
    let message_ids: Vec<String> = json
        .get("messages")
        .and_then(Value::as_array)
        .map(|messages| {
            messages
                .iter()
                .filter_map(|m| match m.get("id") {
                    Some(Value::String(id)) if !id.trim().is_empty() => Some(id.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if message_ids.is_empty() {
        return Err(bad_response(status, content_type, "no message id"));
    }
    let contact = json
        .get("contacts")
        .and_then(Value::as_array)
        .and_then(|contacts| contacts.first());
    let wa_id = contact.and_then(|contact| string_field(contact.get("wa_id")));
    let user_id = contact.and_then(|contact| string_field(contact.get("user_id")));
    Ok(Sent {
        message_ids,
        wa_id,
        user_id,
    })
}

/// Reads the answer to a read receipt, which must be `{"success": true}`.
pub fn parse_mark_read_response(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), SendError> {
    let json = json_answer(status, content_type, body)?;
    match bool_field(json.get("success")) {
        Some(true) => Ok(()),
        Some(false) => Err(bad_response(status, content_type, "success is false")),
        None => Err(bad_response(status, content_type, "no success field")),
    }
}

/// Reads the answer to `GET /<phone-number-id>?fields=...`.
///
/// `id` is required (a string, or a number); `verified_name` and
/// `display_phone_number` are empty when missing; `quality_rating` is optional.
pub fn parse_profile_response(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<BusinessProfile, SendError> {
    let json = json_answer(status, content_type, body)?;
    let Some(id) = string_field(json.get("id")) else {
        return Err(bad_response(status, content_type, "no phone number id"));
    };
    Ok(BusinessProfile {
        id,
        verified_name: string_field(json.get("verified_name")).unwrap_or_default(),
        display_phone_number: string_field(json.get("display_phone_number")).unwrap_or_default(),
        quality_rating: string_field(json.get("quality_rating")),
    })
}

/// A one-line description of a send error, for logs. Never contains a token or a
/// message body.
pub fn describe_error(error: &SendError) -> String {
    match error {
        SendError::MissingConfig(names) => {
            format!("missing configuration: set {}", names.join(", "))
        }
        SendError::InvalidRequest(i) => format!("invalid request: {}: {}", i.field, i.reason),
        SendError::Graph(g) => format!(
            "Graph API error {}{} ({}, HTTP {}){}: {}{}",
            g.code,
            g.subcode.map(|s| format!("/{s}")).unwrap_or_default(),
            g.kind,
            g.http_status,
            if g.retryable { ", retryable" } else { "" },
            g.message,
            g.fbtrace_id
                .as_deref()
                .map(|t| format!(" [fbtrace_id {t}]"))
                .unwrap_or_default()
        ),
        SendError::Transport(t) => format!(
            "transport failure ({}): {}",
            transport_kind_name(t.kind),
            t.detail
        ),
        SendError::BadResponse(b) => format!(
            "unexpected Graph API answer (HTTP {}, {}): {}",
            b.http_status,
            b.content_type.as_deref().unwrap_or("no content type"),
            b.reason
        ),
    }
}

/// The WIT name of a transport failure kind, for logs.
pub fn transport_kind_name(kind: TransportKind) -> &'static str {
    match kind {
        TransportKind::Dns => "dns",
        TransportKind::ConnectionRefused => "connection-refused",
        TransportKind::Timeout => "timeout",
        TransportKind::Tls => "tls",
        TransportKind::Protocol => "protocol",
        TransportKind::Other => "other",
    }
}

/// The kind of a wasi-http transport failure.
pub fn transport_kind(code: &ErrorCode) -> TransportKind {
    match code {
        ErrorCode::DnsTimeout | ErrorCode::DnsError(_) | ErrorCode::DestinationNotFound => {
            TransportKind::Dns
        }
        ErrorCode::ConnectionRefused => TransportKind::ConnectionRefused,
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => TransportKind::Timeout,
        ErrorCode::TlsProtocolError
        | ErrorCode::TlsCertificateError
        | ErrorCode::TlsAlertReceived(_) => TransportKind::Tls,
        ErrorCode::ConnectionTerminated
        | ErrorCode::HttpRequestDenied
        | ErrorCode::HttpRequestLengthRequired
        | ErrorCode::HttpRequestBodySize(_)
        | ErrorCode::HttpRequestMethodInvalid
        | ErrorCode::HttpRequestUriInvalid
        | ErrorCode::HttpRequestUriTooLong
        | ErrorCode::HttpRequestHeaderSectionSize(_)
        | ErrorCode::HttpRequestHeaderSize(_)
        | ErrorCode::HttpRequestTrailerSectionSize(_)
        | ErrorCode::HttpRequestTrailerSize(_)
        | ErrorCode::HttpResponseIncomplete
        | ErrorCode::HttpResponseHeaderSectionSize(_)
        | ErrorCode::HttpResponseHeaderSize(_)
        | ErrorCode::HttpResponseBodySize(_)
        | ErrorCode::HttpResponseTrailerSectionSize(_)
        | ErrorCode::HttpResponseTrailerSize(_)
        | ErrorCode::HttpResponseTransferCoding(_)
        | ErrorCode::HttpResponseContentCoding(_)
        | ErrorCode::HttpUpgradeFailed
        | ErrorCode::HttpProtocolError => TransportKind::Protocol,
        ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpProhibited
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::ConnectionLimitReached
        | ErrorCode::LoopDetected
        | ErrorCode::ConfigurationError
        | ErrorCode::InternalError(_) => TransportKind::Other,
    }
}

/// Whether a transport failure may be retried.
///
/// Failures before the request can have reached Meta (name resolution, connection
/// refused or timed out, connection limit, destination unavailable, TLS handshake
/// protocol errors) are always retryable. Failures after it may have been sent (read
/// timeouts, connection dropped, broken answers) are retryable only for an
/// `idempotent` request (read receipt, get-self): retrying a message send then could
/// deliver it twice, since the Graph API has no idempotency key. Certificate errors,
/// policy denials and configuration errors are never retryable.
pub fn transport_retryable(code: &ErrorCode, idempotent: bool) -> bool {
    match code {
        ErrorCode::DnsTimeout
        | ErrorCode::DnsError(_)
        | ErrorCode::DestinationUnavailable
        | ErrorCode::ConnectionRefused
        | ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionLimitReached
        | ErrorCode::TlsProtocolError => true,
        ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::ConnectionTerminated
        | ErrorCode::HttpResponseTimeout
        | ErrorCode::HttpResponseIncomplete
        | ErrorCode::HttpProtocolError
        | ErrorCode::InternalError(_) => idempotent,
        _ => false,
    }
}

/// A short description of a transport failure, without the host's free text except
/// where the case carries it (DNS rcode, TLS alert, internal error), and then redacted.
fn describe(code: &ErrorCode) -> String {
    // One `to_string` for the fixed texts, not one inlined per case.
    let fixed = match code {
        ErrorCode::DnsTimeout => "DNS lookup timed out",
        ErrorCode::DnsError(payload) => match (&payload.rcode, payload.info_code) {
            (Some(rcode), Some(info)) => return format!("DNS error {rcode} (info code {info})"),
            (Some(rcode), None) => return format!("DNS error {rcode}"),
            (None, Some(info)) => return format!("DNS error (info code {info})"),
            (None, None) => "DNS error",
        },
        ErrorCode::DestinationNotFound => "destination not found",
        ErrorCode::DestinationUnavailable => "destination unavailable",
        ErrorCode::DestinationIpProhibited => "destination IP prohibited",
        ErrorCode::DestinationIpUnroutable => "destination IP unroutable",
        ErrorCode::ConnectionRefused => "connection refused",
        ErrorCode::ConnectionTerminated => "connection terminated",
        ErrorCode::ConnectionTimeout => "connection timed out",
        ErrorCode::ConnectionReadTimeout => "timed out reading the answer",
        ErrorCode::ConnectionWriteTimeout => "timed out writing the request",
        ErrorCode::ConnectionLimitReached => "connection limit reached",
        ErrorCode::TlsProtocolError => "TLS protocol error",
        ErrorCode::TlsCertificateError => "TLS certificate error",
        ErrorCode::TlsAlertReceived(payload) => match (payload.alert_id, &payload.alert_message) {
            (Some(id), Some(message)) => return format!("TLS alert {id}: {message}"),
            (Some(id), None) => return format!("TLS alert {id}"),
            (None, Some(message)) => return format!("TLS alert: {message}"),
            (None, None) => "TLS alert",
        },
        ErrorCode::HttpRequestDenied => "request denied",
        ErrorCode::HttpRequestLengthRequired => "request length required",
        ErrorCode::HttpRequestBodySize(_) => "request body too large",
        ErrorCode::HttpRequestMethodInvalid => "request method invalid",
        ErrorCode::HttpRequestUriInvalid => "request URI invalid",
        ErrorCode::HttpRequestUriTooLong => "request URI too long",
        ErrorCode::HttpRequestHeaderSectionSize(_) | ErrorCode::HttpRequestHeaderSize(_) => {
            "request headers too large"
        }
        ErrorCode::HttpRequestTrailerSectionSize(_) | ErrorCode::HttpRequestTrailerSize(_) => {
            "request trailers too large"
        }
        ErrorCode::HttpResponseIncomplete => "answer incomplete",
        ErrorCode::HttpResponseHeaderSectionSize(_) | ErrorCode::HttpResponseHeaderSize(_) => {
            "answer headers too large"
        }
        ErrorCode::HttpResponseBodySize(_) => "answer body too large",
        ErrorCode::HttpResponseTrailerSectionSize(_) | ErrorCode::HttpResponseTrailerSize(_) => {
            "answer trailers too large"
        }
        ErrorCode::HttpResponseTransferCoding(_) => "bad answer transfer coding",
        ErrorCode::HttpResponseContentCoding(_) => "bad answer content coding",
        ErrorCode::HttpResponseTimeout => "timed out waiting for the answer",
        ErrorCode::HttpUpgradeFailed => "HTTP upgrade failed",
        ErrorCode::HttpProtocolError => "HTTP protocol error",
        ErrorCode::LoopDetected => "loop detected",
        ErrorCode::ConfigurationError => "HTTP client configuration error",
        ErrorCode::InternalError(Some(message)) => return format!("internal error: {message}"),
        ErrorCode::InternalError(None) => "internal error",
    };
    fixed.to_string()
}

/// Replaces every occurrence of `secret` (when not blank) in `text`, and whatever
/// follows a `Bearer ` (any case), then cuts the text to a bounded length.
pub fn redact(text: &str, secret: &str) -> String {
    let secret = secret.trim();
    let mut redacted = if secret.is_empty() {
        text.to_string()
    } else {
        text.replace(secret, REDACTED)
    };
    let mut from = 0;
    while let Some(found) = redacted
        .get(from..)
        .and_then(|rest| rest.to_ascii_lowercase().find("bearer "))
    {
        let start = from + found + "bearer ".len();
        let rest = redacted.get(start..).unwrap_or("");
        let end = start
            + rest
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';'))
                .unwrap_or(rest.len());
        if rest.starts_with(REDACTED) || end == start {
            from = start;
            continue;
        }
        redacted.replace_range(start..end, REDACTED);
        from = start + REDACTED.len();
    }
    if redacted.chars().count() > DETAIL_MAX {
        let mut cut: String = redacted.chars().take(DETAIL_MAX).collect();
        cut.push('…');
        cut
    } else {
        redacted
    }
}

/// The transport error for a wasi-http failure. The detail describes the failure and
/// never contains `access_token`.
pub fn transport_error(code: &ErrorCode, access_token: &str) -> TransportError {
    TransportError {
        kind: transport_kind(code),
        detail: redact(&describe(code), access_token),
    }
}

/// `text` with every occurrence of `secret` (when not blank) replaced, and nothing else
/// changed.
fn without_secret(text: &str, secret: &str) -> String {
    if secret.is_empty() || !text.contains(secret) {
        text.to_string()
    } else {
        text.replace(secret, REDACTED)
    }
}

/// `error` with `access_token` taken out of every text that came from the answer.
///
/// Meta quotes a malformed token in its error message ("Malformed access token
/// EAA..."), and a proxy may echo the request's headers: such texts would carry the
/// token into error values and logs. Only the token is replaced; Meta's texts are
/// otherwise kept verbatim.
pub fn redact_error(error: SendError, access_token: &str) -> SendError {
    let secret = access_token.trim();
    let clean = |text: &str| without_secret(text, secret);
    match error {
        SendError::Graph(g) => SendError::Graph(GraphError {
            kind: clean(&g.kind),
            message: clean(&g.message),
            details: g.details.as_deref().map(clean),
            fbtrace_id: g.fbtrace_id.as_deref().map(clean),
            ..g
        }),
        SendError::BadResponse(b) => SendError::BadResponse(BadResponse {
            content_type: b.content_type.as_deref().map(clean),
            reason: clean(&b.reason),
            ..b
        }),
        SendError::Transport(t) => SendError::Transport(TransportError {
            detail: clean(&t.detail),
            ..t
        }),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasi::http::types::{DnsErrorPayload, FieldSizePayload, TlsAlertReceivedPayload};

    const JSON: Option<&str> = Some("application/json; charset=UTF-8");
    const TOKEN: &str = "EAAGsecretTOKEN123";

    fn graph(result: Result<Sent, SendError>) -> GraphError {
        match result {
            Err(SendError::Graph(g)) => g,
            other => panic!("expected a Graph error, got {other:?}"),
        }
    }

    fn bad<T: std::fmt::Debug>(result: Result<T, SendError>) -> BadResponse {
        match result {
            Err(SendError::BadResponse(b)) => b,
            other => panic!("expected a bad response, got {other:?}"),
        }
    }

    // ------------------------------------------------------------ send: success

    #[test]
    fn send_success() {
        let body = br#"{"messaging_product":"whatsapp","contacts":[{"input":"+1 555 0100","wa_id":"15550100"}],"messages":[{"id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"}]}"#;
        let sent = parse_send_response(200, JSON, body).expect("sent");
        assert_eq!(
            sent.message_ids,
            vec!["wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA".to_string()]
        );
        assert_eq!(sent.wa_id.as_deref(), Some("15550100"));
        assert_eq!(sent.user_id, None);
    }

    #[test]
    fn send_success_variants() {
        // No contacts: no wa_id. Content type missing or unusual: still read.
        let sent =
            parse_send_response(200, None, br#"{"messages":[{"id":"wamid.A"}]}"#).expect("sent");
        assert_eq!(sent.message_ids, vec!["wamid.A".to_string()]);
        assert_eq!(sent.wa_id, None);
        let sent = parse_send_response(
            201,
            Some("text/javascript; charset=UTF-8"),
            br#"{"messages":[{"id":"wamid.A","message_status":"accepted"}],"contacts":[{"wa_id":15550100}]}"#,
        )
        .expect("sent");
        assert_eq!(sent.wa_id.as_deref(), Some("15550100"));
        // wa_id null or empty: absent.
        for contacts in [
            r#"[{"wa_id":null}]"#,
            r#"[{"wa_id":""}]"#,
            r#"[]"#,
            r#"null"#,
            r#""x""#,
        ] {
            let body = format!(r#"{{"messages":[{{"id":"wamid.A"}}],"contacts":{contacts}}}"#);
            let sent = parse_send_response(200, JSON, body.as_bytes()).expect("sent");
            assert_eq!(sent.wa_id, None, "{contacts}");
        }
        // Several ids are all kept, in order; entries without one are skipped.
        let sent = parse_send_response(
            200,
            JSON,
            br#"{"messages":[{"id":"wamid.1"},{"x":1},{"id":"wamid.2"}]}"#,
        )
        .expect("sent");
        assert_eq!(
            sent.message_ids,
            vec!["wamid.1".to_string(), "wamid.2".to_string()]
        );
    }

    #[test]
    fn send_success_with_user_ids() {
        // Sent to a business-scoped user id: Meta answers with the user id, and the phone
        // number only when the user shares it.
        let body = br#"{"messaging_product":"whatsapp","contacts":[{"input":"US.13491208655302741918","user_id":"US.13491208655302741918"}],"messages":[{"id":"wamid.U"}]}"#;
        let sent = parse_send_response(200, JSON, body).expect("sent");
        assert_eq!(sent.message_ids, vec!["wamid.U".to_string()]);
        assert_eq!(sent.wa_id, None);
        assert_eq!(sent.user_id.as_deref(), Some("US.13491208655302741918"));
        let body = br#"{"contacts":[{"input":"+1 555 0100","wa_id":"15550100","user_id":"US.1"},{"user_id":"US.2"}],"messages":[{"id":"wamid.B"}]}"#;
        let sent = parse_send_response(200, JSON, body).expect("sent");
        assert_eq!(sent.wa_id.as_deref(), Some("15550100"));
        assert_eq!(sent.user_id.as_deref(), Some("US.1"));
        // Only the first contact counts; null or empty is absent.
        for contacts in [
            r#"[{"user_id":null}]"#,
            r#"[{"user_id":""}]"#,
            r#"[{"wa_id":"1"},{"user_id":"US.2"}]"#,
            r#"[]"#,
        ] {
            let body = format!(r#"{{"messages":[{{"id":"wamid.A"}}],"contacts":{contacts}}}"#);
            let sent = parse_send_response(200, JSON, body.as_bytes()).expect("sent");
            assert_eq!(sent.user_id, None, "{contacts}");
        }
    }

    #[test]
    fn send_success_without_id_is_a_bad_response() {
        for body in [
            r#"{}"#,
            r#"{"messages":[]}"#,
            r#"{"messages":null}"#,
            r#"{"messages":{"id":"wamid.A"}}"#,
            r#"{"messages":[{"id":null}]}"#,
            r#"{"messages":[{"id":""}]}"#,
            r#"{"messages":[{"id":12345}]}"#,
            r#"{"messages":[{}]}"#,
            r#"[]"#,
            r#"null"#,
            r#""wamid.A""#,
            r#"42"#,
        ] {
            let b = bad(parse_send_response(200, JSON, body.as_bytes()));
            assert_eq!(b.http_status, 200, "{body}");
            assert_eq!(b.reason, "no message id", "{body}");
            assert_eq!(b.content_type.as_deref(), JSON);
        }
    }

    #[test]
    fn send_success_not_json() {
        let b = bad(parse_send_response(
            200,
            Some("text/html"),
            b"<html><body>Hello secret text</body></html>",
        ));
        assert_eq!(b.http_status, 200);
        assert_eq!(b.reason, "not JSON");
        assert_eq!(b.content_type.as_deref(), Some("text/html"));
        let b = bad(parse_send_response(204, None, b""));
        assert_eq!(b.reason, "empty body");
        assert_eq!(b.content_type, None);
        let b = bad(parse_send_response(200, JSON, b"\xff\xfe{"));
        assert_eq!(b.reason, "not JSON");
        let b = bad(parse_send_response(
            200,
            JSON,
            br#"{"messages":[{"id":"wamid.A"}]"#,
        ));
        assert_eq!(b.reason, "not JSON");
    }

    // ------------------------------------------------------------ send: errors

    #[test]
    fn graph_error_full() {
        let body = br#"{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_subcode":2494010,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."},"fbtrace_id":"AbCdEf123"}}"#;
        let g = graph(parse_send_response(400, JSON, body));
        assert_eq!(g.http_status, 400);
        assert_eq!(g.code, 131047);
        assert_eq!(g.subcode, Some(2494010));
        assert_eq!(g.kind, "OAuthException");
        assert_eq!(g.message, "(#131047) Re-engagement message");
        assert_eq!(
            g.details.as_deref(),
            Some("Message failed to send because more than 24 hours have passed since the customer last replied to this number.")
        );
        assert_eq!(g.fbtrace_id.as_deref(), Some("AbCdEf123"));
        assert!(!g.retryable);
    }

    #[test]
    fn graph_error_minimal_and_weird_types() {
        let g = graph(parse_send_response(500, JSON, br#"{"error":{}}"#));
        assert_eq!(g.code, 0);
        assert_eq!(g.subcode, None);
        assert_eq!(g.kind, "");
        assert_eq!(g.message, "");
        assert_eq!(g.details, None);
        assert_eq!(g.fbtrace_id, None);
        assert!(g.retryable, "a 5xx is retryable");

        // Numbers as strings, nulls, error_data as a JSON string.
        let g = graph(parse_send_response(
            400,
            JSON,
            br#"{"error":{"message":null,"type":null,"code":"130429","error_subcode":"x","error_data":"{\"details\":\"Rate limit hit\"}","fbtrace_id":null}}"#,
        ));
        assert_eq!(g.code, 130429);
        assert_eq!(g.subcode, None);
        assert_eq!(g.kind, "");
        assert_eq!(g.message, "");
        assert_eq!(g.details.as_deref(), Some("Rate limit hit"));
        assert_eq!(g.fbtrace_id, None);
        assert!(g.retryable);

        // Code as a float or out of range: 0; error_data not an object: no details.
        let g = graph(parse_send_response(
            400,
            JSON,
            br#"{"error":{"code":1.5,"error_data":"not json","fbtrace_id":12}}"#,
        ));
        assert_eq!(g.code, 0);
        assert_eq!(g.details, None);
        assert_eq!(g.fbtrace_id.as_deref(), Some("12"));
        assert!(!g.retryable);
        let g = graph(parse_send_response(
            400,
            JSON,
            br#"{"error":{"code":99999999999999999999,"error_data":[1]}}"#,
        ));
        assert_eq!(g.code, 0);
        assert_eq!(g.details, None);
    }

    #[test]
    fn graph_error_is_transient() {
        for flag in ["true", "\"true\"", "\"TRUE\""] {
            let body = format!(r#"{{"error":{{"code":9999,"is_transient":{flag}}}}}"#);
            let g = graph(parse_send_response(400, JSON, body.as_bytes()));
            assert!(g.retryable, "{flag}");
        }
        for flag in ["false", "null", "1", "\"yes\""] {
            let body = format!(r#"{{"error":{{"code":9999,"is_transient":{flag}}}}}"#);
            let g = graph(parse_send_response(400, JSON, body.as_bytes()));
            assert!(!g.retryable, "{flag}");
        }
        // A code no retry can fix stays final even when flagged transient.
        let g = graph(parse_send_response(
            400,
            JSON,
            br#"{"error":{"code":131047,"is_transient":true}}"#,
        ));
        assert!(!g.retryable);
    }

    #[test]
    fn graph_error_in_a_2xx_answer() {
        let g = graph(parse_send_response(
            200,
            JSON,
            br#"{"error":{"code":131000}}"#,
        ));
        assert_eq!(g.http_status, 200);
        assert_eq!(g.code, 131000);
        assert!(g.retryable);
    }

    #[test]
    fn error_answers_that_are_not_graph_errors() {
        let secret = "my private message to Ann";
        let html = format!("<html><body><h1>502 Bad Gateway</h1>{secret}</body></html>");
        let b = bad(parse_send_response(502, Some("text/html"), html.as_bytes()));
        assert_eq!(b.http_status, 502);
        assert_eq!(b.content_type.as_deref(), Some("text/html"));
        assert_eq!(b.reason, "HTTP 502 with a body that is not JSON");
        assert!(!b.reason.contains(secret));
        assert!(!format!("{b:?}").contains(secret));

        let b = bad(parse_send_response(503, None, b""));
        assert_eq!(b.reason, "HTTP 503 with an empty body");

        for body in [
            r#"{"error":"unauthorized"}"#,
            r#"{"error":null}"#,
            r#"{"error":[1]}"#,
            r#"{"message":"nope"}"#,
            r#"[]"#,
        ] {
            let b = bad(parse_send_response(401, JSON, body.as_bytes()));
            assert_eq!(b.http_status, 401);
            assert_eq!(
                b.reason, "HTTP 401 without a Graph API error object",
                "{body}"
            );
        }

        let b = bad(parse_send_response(302, None, b"Found"));
        assert_eq!(b.http_status, 302);
        assert_eq!(b.reason, "HTTP 302 with a body that is not JSON");
        let b = bad(parse_send_response(100, None, b""));
        assert_eq!(b.http_status, 100);
    }

    // ------------------------------------------------------------ retryability

    #[test]
    fn retryable_codes() {
        for code in [130429, 131057, 131056, 4, 80007, 1, 2, 131000, 131016] {
            assert!(is_retryable(400, Some(code)), "{code} on 400");
            assert!(is_retryable(500, Some(code)), "{code} on 500");
            assert!(graph_retryable(400, code, false), "{code}");
            let body = format!(r#"{{"error":{{"code":{code}}}}}"#);
            assert!(graph(parse_send_response(400, JSON, body.as_bytes())).retryable);
        }
    }

    #[test]
    fn never_retryable_codes() {
        let mut codes = vec![131047, 131026, 131051, 100, 190, 10, 200, 131009];
        codes.extend([
            132000, 132001, 132005, 132007, 132012, 132015, 132016, 132068, 132069, 132999,
        ]);
        codes.extend([201, 250, 299]);
        for code in codes {
            assert!(is_never_retryable(code), "{code}");
            for status in [400, 401, 403, 404, 429, 500, 502, 503] {
                assert!(!is_retryable(status, Some(code)), "{code} on {status}");
                assert!(!graph_retryable(status, code, true), "{code} on {status}");
            }
        }
        for code in [131999, 133000, 300, 9, 11] {
            assert!(!is_never_retryable(code), "{code}");
        }
    }

    #[test]
    fn retryable_by_status() {
        for status in [429, 500, 501, 502, 503, 504, 599] {
            assert!(is_retryable(status, None), "{status}");
            assert!(is_retryable(status, Some(368)), "{status}");
        }
        for status in [200, 301, 400, 401, 403, 404, 409, 413, 422, 600] {
            assert!(!is_retryable(status, None), "{status}");
            assert!(!is_retryable(status, Some(131048)), "{status}");
            assert!(!is_retryable(status, Some(0)), "{status}");
        }
    }

    #[test]
    fn send_errors_retryable() {
        let g = |retryable| {
            SendError::Graph(GraphError {
                http_status: 400,
                code: 1,
                subcode: None,
                kind: String::new(),
                message: String::new(),
                details: None,
                fbtrace_id: None,
                retryable,
            })
        };
        assert!(send_error_retryable(&g(true)));
        assert!(!send_error_retryable(&g(false)));
        let b = |status| {
            SendError::BadResponse(BadResponse {
                http_status: status,
                content_type: None,
                reason: String::new(),
            })
        };
        assert!(send_error_retryable(&b(502)));
        assert!(send_error_retryable(&b(429)));
        assert!(!send_error_retryable(&b(200)));
        assert!(!send_error_retryable(&b(404)));
        let t = |kind| {
            SendError::Transport(TransportError {
                kind,
                detail: String::new(),
            })
        };
        assert!(send_error_retryable(&t(TransportKind::Dns)));
        assert!(send_error_retryable(&t(TransportKind::ConnectionRefused)));
        for kind in [
            TransportKind::Timeout,
            TransportKind::Tls,
            TransportKind::Protocol,
            TransportKind::Other,
        ] {
            assert!(!send_error_retryable(&t(kind)), "{kind:?}");
        }
        assert!(!send_error_retryable(&SendError::MissingConfig(vec![])));
        assert!(!send_error_retryable(&SendError::InvalidRequest(
            crate::types::InvalidRequest {
                field: String::new(),
                reason: String::new(),
            }
        )));
    }

    // ------------------------------------------------------------ mark read

    #[test]
    fn mark_read_answers() {
        assert!(parse_mark_read_response(200, JSON, br#"{"success":true}"#).is_ok());
        assert!(parse_mark_read_response(200, None, br#"{"success":"true"}"#).is_ok());
        assert_eq!(
            bad(parse_mark_read_response(200, JSON, br#"{"success":false}"#)).reason,
            "success is false"
        );
        for body in [r#"{}"#, r#"{"success":null}"#, r#"{"success":1}"#, r#"[]"#] {
            assert_eq!(
                bad(parse_mark_read_response(200, JSON, body.as_bytes())).reason,
                "no success field",
                "{body}"
            );
        }
        assert_eq!(
            bad(parse_mark_read_response(
                200,
                Some("text/html"),
                b"<p>ok</p>"
            ))
            .reason,
            "not JSON"
        );
        match parse_mark_read_response(
            400,
            JSON,
            br#"{"error":{"code":100,"message":"Invalid parameter","type":"OAuthException"}}"#,
        ) {
            Err(SendError::Graph(g)) => {
                assert_eq!(g.code, 100);
                assert!(!g.retryable);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            bad(parse_mark_read_response(504, None, b"Gateway Timeout")).http_status,
            504
        );
    }

    // ------------------------------------------------------------ profile

    #[test]
    fn profile_answers() {
        let p = parse_profile_response(
            200,
            JSON,
            br#"{"verified_name":"Lucky Shrub","display_phone_number":"+1 555-555-5555","quality_rating":"GREEN","id":"106540352242922"}"#,
        )
        .expect("profile");
        assert_eq!(p.id, "106540352242922");
        assert_eq!(p.verified_name, "Lucky Shrub");
        assert_eq!(p.display_phone_number, "+1 555-555-5555");
        assert_eq!(p.quality_rating.as_deref(), Some("GREEN"));

        let p = parse_profile_response(
            200,
            JSON,
            br#"{"id":106540352242922,"quality_rating":null}"#,
        )
        .expect("profile");
        assert_eq!(p.id, "106540352242922");
        assert_eq!(p.verified_name, "");
        assert_eq!(p.display_phone_number, "");
        assert_eq!(p.quality_rating, None);

        for body in [r#"{}"#, r#"{"id":null}"#, r#"{"id":""}"#, r#"{"id":{}}"#] {
            assert_eq!(
                bad(parse_profile_response(200, JSON, body.as_bytes())).reason,
                "no phone number id",
                "{body}"
            );
        }
        match parse_profile_response(
            401,
            JSON,
            br#"{"error":{"message":"Error validating access token","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"X"}}"#,
        ) {
            Err(SendError::Graph(g)) => {
                assert_eq!((g.http_status, g.code, g.subcode), (401, 190, Some(463)));
                assert!(!g.retryable);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            bad(parse_profile_response(200, None, b"<html></html>")).reason,
            "not JSON"
        );
    }

    // ------------------------------------------------------------ transport

    fn field_size() -> FieldSizePayload {
        FieldSizePayload {
            field_name: Some("x".into()),
            field_size: Some(1),
        }
    }

    fn all_codes() -> Vec<ErrorCode> {
        vec![
            ErrorCode::DnsTimeout,
            ErrorCode::DnsError(DnsErrorPayload {
                rcode: Some("NXDOMAIN".into()),
                info_code: Some(3),
            }),
            ErrorCode::DestinationNotFound,
            ErrorCode::DestinationUnavailable,
            ErrorCode::DestinationIpProhibited,
            ErrorCode::DestinationIpUnroutable,
            ErrorCode::ConnectionRefused,
            ErrorCode::ConnectionTerminated,
            ErrorCode::ConnectionTimeout,
            ErrorCode::ConnectionReadTimeout,
            ErrorCode::ConnectionWriteTimeout,
            ErrorCode::ConnectionLimitReached,
            ErrorCode::TlsProtocolError,
            ErrorCode::TlsCertificateError,
            ErrorCode::TlsAlertReceived(TlsAlertReceivedPayload {
                alert_id: Some(40),
                alert_message: Some("handshake failure".into()),
            }),
            ErrorCode::HttpRequestDenied,
            ErrorCode::HttpRequestLengthRequired,
            ErrorCode::HttpRequestBodySize(Some(1)),
            ErrorCode::HttpRequestMethodInvalid,
            ErrorCode::HttpRequestUriInvalid,
            ErrorCode::HttpRequestUriTooLong,
            ErrorCode::HttpRequestHeaderSectionSize(Some(1)),
            ErrorCode::HttpRequestHeaderSize(Some(field_size())),
            ErrorCode::HttpRequestTrailerSectionSize(None),
            ErrorCode::HttpRequestTrailerSize(field_size()),
            ErrorCode::HttpResponseIncomplete,
            ErrorCode::HttpResponseHeaderSectionSize(None),
            ErrorCode::HttpResponseHeaderSize(field_size()),
            ErrorCode::HttpResponseBodySize(None),
            ErrorCode::HttpResponseTrailerSectionSize(None),
            ErrorCode::HttpResponseTrailerSize(field_size()),
            ErrorCode::HttpResponseTransferCoding(Some("chunked".into())),
            ErrorCode::HttpResponseContentCoding(None),
            ErrorCode::HttpResponseTimeout,
            ErrorCode::HttpUpgradeFailed,
            ErrorCode::HttpProtocolError,
            ErrorCode::LoopDetected,
            ErrorCode::ConfigurationError,
            ErrorCode::InternalError(None),
            ErrorCode::InternalError(Some("boom".into())),
        ]
    }

    #[test]
    fn transport_kinds() {
        use TransportKind as K;
        let kinds: Vec<TransportKind> = all_codes().iter().map(transport_kind).collect();
        let want = vec![
            K::Dns,
            K::Dns,
            K::Dns,
            K::Other,
            K::Other,
            K::Other,
            K::ConnectionRefused,
            K::Protocol,
            K::Timeout,
            K::Timeout,
            K::Timeout,
            K::Other,
            K::Tls,
            K::Tls,
            K::Tls,
            K::Protocol,
            K::Protocol,
            K::Protocol,
            K::Protocol,
            K::Protocol,
            K::Protocol,
            K::Protocol,
            K::Protocol,
            K::Protocol,
            K::Protocol,
            K::Protocol,
            K::Protocol,
            K::Protocol,
            K::Protocol,
            K::Protocol,
            K::Protocol,
            K::Protocol,
            K::Protocol,
            K::Timeout,
            K::Protocol,
            K::Protocol,
            K::Other,
            K::Other,
            K::Other,
            K::Other,
        ];
        assert_eq!(kinds, want);
    }

    #[test]
    fn transport_details() {
        for code in all_codes() {
            let e = transport_error(&code, TOKEN);
            assert!(!e.detail.is_empty(), "{code:?}");
            assert!(!e.detail.contains(TOKEN), "{code:?}");
        }
        assert_eq!(
            transport_error(&ErrorCode::ConnectionRefused, TOKEN).detail,
            "connection refused"
        );
        assert_eq!(
            transport_error(
                &ErrorCode::DnsError(DnsErrorPayload {
                    rcode: Some("NXDOMAIN".into()),
                    info_code: None
                }),
                TOKEN
            )
            .detail,
            "DNS error NXDOMAIN"
        );
        assert_eq!(
            transport_error(
                &ErrorCode::TlsAlertReceived(TlsAlertReceivedPayload {
                    alert_id: Some(40),
                    alert_message: None
                }),
                TOKEN
            )
            .detail,
            "TLS alert 40"
        );
    }

    #[test]
    fn transport_detail_never_has_the_token() {
        let leaky = ErrorCode::InternalError(Some(format!(
            "request to https://graph.facebook.com failed, headers: authorization: Bearer {TOKEN}; token={TOKEN}"
        )));
        let e = transport_error(&leaky, TOKEN);
        assert_eq!(e.kind, TransportKind::Other);
        assert!(!e.detail.contains(TOKEN), "{}", e.detail);
        assert!(e.detail.contains("Bearer <redacted>"), "{}", e.detail);
        // A different bearer value (say, a truncated token) is redacted too.
        let e = transport_error(
            &ErrorCode::InternalError(Some("BEARER abc123, bearer  x".into())),
            TOKEN,
        );
        assert!(!e.detail.contains("abc123"), "{}", e.detail);
        // A TLS alert message is host text too.
        let e = transport_error(
            &ErrorCode::TlsAlertReceived(TlsAlertReceivedPayload {
                alert_id: None,
                alert_message: Some(TOKEN.into()),
            }),
            TOKEN,
        );
        assert!(!e.detail.contains(TOKEN), "{}", e.detail);
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redact("a TOKEN b TOKEN", "TOKEN"),
            "a <redacted> b <redacted>"
        );
        assert_eq!(redact("no secret here", ""), "no secret here");
        assert_eq!(redact("no secret here", "  "), "no secret here");
        assert_eq!(redact("Bearer", "T"), "Bearer");
        assert_eq!(redact("Bearer ", "T"), "Bearer ");
        assert_eq!(redact("Bearer xyz", "T"), "Bearer <redacted>");
        assert_eq!(redact("Bearer <redacted>", "T"), "Bearer <redacted>");
        assert_eq!(redact("x Bearer T y", "T"), "x Bearer <redacted> y");
        assert_eq!(redact("ébearer é", "T"), "ébearer <redacted>");
        let long = "é".repeat(500);
        let cut = redact(&long, "T");
        assert_eq!(cut.chars().count(), 201);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn errors_from_answers_lose_the_token() {
        let body = format!(
            r#"{{"error":{{"message":"Malformed access token {TOKEN}","type":"OAuthException","code":190,"error_data":{{"details":"t={TOKEN}"}},"fbtrace_id":"F"}}}}"#
        );
        let error = parse_send_response(400, JSON, body.as_bytes()).unwrap_err();
        let g = graph(Err(redact_error(error, &format!(" {TOKEN} "))));
        assert_eq!(g.message, "Malformed access token <redacted>");
        assert_eq!(g.details.as_deref(), Some("t=<redacted>"));
        assert_eq!((g.code, g.fbtrace_id.as_deref()), (190, Some("F")));
        // Nothing else changes, however long; a blank token redacts nothing.
        let long = "x".repeat(500);
        let error = SendError::BadResponse(BadResponse {
            http_status: 502,
            content_type: Some(format!("text/{TOKEN}")),
            reason: long.clone(),
        });
        let b = bad::<()>(Err(redact_error(error, TOKEN)));
        assert_eq!(b.reason, long);
        assert_eq!(b.content_type.as_deref(), Some("text/<redacted>"));
        let error = SendError::Transport(TransportError {
            kind: TransportKind::Other,
            detail: format!("x {TOKEN}"),
        });
        assert!(
            matches!(redact_error(error, "  "), SendError::Transport(t) if t.detail == format!("x {TOKEN}"))
        );
    }

    #[test]
    fn transport_retryability() {
        let before_sending = [
            ErrorCode::DnsTimeout,
            ErrorCode::DnsError(DnsErrorPayload {
                rcode: None,
                info_code: None,
            }),
            ErrorCode::DestinationUnavailable,
            ErrorCode::ConnectionRefused,
            ErrorCode::ConnectionTimeout,
            ErrorCode::ConnectionLimitReached,
            ErrorCode::TlsProtocolError,
        ];
        for code in &before_sending {
            assert!(transport_retryable(code, false), "{code:?}");
            assert!(transport_retryable(code, true), "{code:?}");
        }
        let maybe_sent = [
            ErrorCode::ConnectionReadTimeout,
            ErrorCode::ConnectionWriteTimeout,
            ErrorCode::ConnectionTerminated,
            ErrorCode::HttpResponseTimeout,
            ErrorCode::HttpResponseIncomplete,
            ErrorCode::HttpProtocolError,
            ErrorCode::InternalError(None),
        ];
        for code in &maybe_sent {
            assert!(!transport_retryable(code, false), "{code:?}");
            assert!(transport_retryable(code, true), "{code:?}");
        }
        for code in [
            ErrorCode::TlsCertificateError,
            ErrorCode::DestinationNotFound,
            ErrorCode::DestinationIpProhibited,
            ErrorCode::HttpRequestDenied,
            ErrorCode::HttpRequestUriInvalid,
            ErrorCode::ConfigurationError,
            ErrorCode::LoopDetected,
        ] {
            assert!(!transport_retryable(&code, false), "{code:?}");
            assert!(!transport_retryable(&code, true), "{code:?}");
        }
    }
}
