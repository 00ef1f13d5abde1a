//! Graph API errors in Meta's shape, and the fault injection that produces them on
//! demand: a queue of one-shot faults applied to the next Graph calls in order, plus
//! two standing modes (throughput and pair rate limits).

use serde_json::{json, Map, Value};

use crate::wire;

/// An error answer of the Graph API.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphError {
    /// HTTP status.
    pub status: u16,
    /// Meta's `code`.
    pub code: i64,
    /// Meta's `message`.
    pub message: String,
    /// Meta's `type`.
    pub kind: String,
    /// `error_subcode`.
    pub subcode: Option<i64>,
    /// `error_data.details`; no `error_data` at all when `None`.
    pub details: Option<String>,
    /// `is_transient`.
    pub transient: Option<bool>,
}

impl GraphError {
    /// The error Meta answers for `code`, with its usual status, message and details.
    pub fn known(code: i64) -> GraphError {
        let (status, message, details, transient): (u16, &str, Option<&str>, Option<bool>) =
            match code {
                1 => (500, "(#1) An unknown error occurred", Some("An unknown error occurred."), Some(true)),
                2 => (503, "(#2) Service temporarily unavailable", Some("Service temporarily unavailable. Retry later."), Some(true)),
                4 => (400, "(#4) Application request limit reached", Some("Application request limit reached. Retry after some time."), Some(true)),
                10 => (403, "(#10) Application does not have permission for this action", Some("Permission is either not granted or has been removed."), None),
                100 => (400, "(#100) Invalid parameter", Some("Invalid parameter."), None),
                190 => return GraphError::token(true),
                200 => (403, "(#200) Permissions error", Some("Permission is either not granted or has been removed."), None),
                80007 => (400, "(#80007) Rate limit issues", Some("The WhatsApp Business Account has reached its rate limit."), Some(true)),
                130429 => (400, "(#130429) Rate limit hit", Some("Message failed to send because there were too many messages sent from this phone number in a short period of time."), None),
                131000 => (500, "(#131000) Something went wrong", Some("Message failed to send due to an unknown error. Please try again later."), Some(true)),
                131005 => (403, "(#131005) Access denied", Some("Permission is either not granted or has been removed."), None),
                131008 => (400, "(#131008) Required parameter is missing", Some("A required parameter is missing."), None),
                131009 => (400, "(#131009) Parameter value is not valid", Some("One or more parameter values are invalid."), None),
                131016 => (503, "(#131016) Service unavailable", Some("A service is temporarily unavailable. Please try again later."), Some(true)),
                131026 => (400, "(#131026) Message Undeliverable.", Some("Message Undeliverable. The recipient may not be a WhatsApp user or has not accepted the latest terms of service."), None),
                131047 => (400, "(#131047) Re-engagement message", Some("Message failed to send because more than 24 hours have passed since the customer last replied to this number."), None),
                131051 => (400, "(#131051) Unsupported message type", Some("Message type is not currently supported."), None),
                131056 => (400, "(#131056) (Business Account, Consumer Account) pair rate limit hit", Some("Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."), None),
                131057 => (400, "(#131057) Account in maintenance mode", Some("Business Account is in maintenance mode."), None),
                132000 => (400, "(#132000) Number of parameters does not match the expected number of params", Some("The number of variable parameter values does not match the number of variables defined in the template."), None),
                132001 => (404, "(#132001) Template name does not exist in the translation", Some("The template does not exist in the specified language."), None),
                133010 => (400, "(#133010) Account not registered", Some("The phone number is not registered on the WhatsApp Business Platform."), None),
                _ => (400, "", None, None),
            };
        GraphError {
            status,
            code,
            message: if message.is_empty() {
                format!("(#{code}) Error")
            } else {
                message.to_string()
            },
            kind: "OAuthException".to_string(),
            subcode: None,
            details: details.map(str::to_string),
            transient,
        }
    }

    /// Code 190: `missing` says whether there was no token at all or a wrong one.
    pub fn token(missing: bool) -> GraphError {
        GraphError {
            status: 401,
            code: 190,
            message: if missing {
                "An active access token must be used to query information about the current user."
                    .to_string()
            } else {
                "Invalid OAuth access token - Cannot parse access token".to_string()
            },
            kind: "OAuthException".to_string(),
            subcode: None,
            details: None,
            transient: None,
        }
    }

    /// `(#100) The parameter X is required.`
    pub fn required(parameter: &str) -> GraphError {
        GraphError {
            message: format!("(#100) The parameter {parameter} is required."),
            details: None,
            ..GraphError::known(100)
        }
    }

    /// `(#100) Invalid parameter` with these details.
    pub fn invalid(details: impl Into<String>) -> GraphError {
        GraphError {
            details: Some(details.into()),
            ..GraphError::known(100)
        }
    }

    /// `(#100) <message>` without details (Meta's own wording for a parameter).
    pub fn param(message: impl Into<String>) -> GraphError {
        GraphError {
            message: format!("(#100) {}", message.into()),
            details: None,
            ..GraphError::known(100)
        }
    }

    /// `(#131009) Parameter value is not valid` with these details.
    pub fn value(details: impl Into<String>) -> GraphError {
        GraphError {
            details: Some(details.into()),
            ..GraphError::known(131009)
        }
    }

    /// An object id that is not there (Graph's `GraphMethodException`, subcode 33).
    pub fn no_object(method: &str, id: &str) -> GraphError {
        GraphError {
            status: 400,
            code: 100,
            message: format!(
                "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
            ),
            kind: "GraphMethodException".to_string(),
            subcode: Some(33),
            details: None,
            transient: None,
        }
    }

    /// An unknown path (code 2500).
    pub fn unknown_path(path: &str) -> GraphError {
        GraphError {
            status: 400,
            code: 2500,
            message: format!("Unknown path components: {path}"),
            kind: "OAuthException".to_string(),
            subcode: None,
            details: None,
            transient: None,
        }
    }

    /// `{"error": {...}}`.
    pub fn to_json(&self) -> Value {
        let mut error = Map::new();
        error.insert("message".into(), json!(self.message));
        error.insert("type".into(), json!(self.kind));
        error.insert("code".into(), json!(self.code));
        if let Some(subcode) = self.subcode {
            error.insert("error_subcode".into(), json!(subcode));
        }
        if let Some(details) = &self.details {
            error.insert(
                "error_data".into(),
                json!({"messaging_product": "whatsapp", "details": details}),
            );
        }
        if let Some(transient) = self.transient {
            error.insert("is_transient".into(), json!(transient));
        }
        error.insert("fbtrace_id".into(), json!(wire::fbtrace_id()));
        json!({ "error": error })
    }
}

/// What a queued fault does to one Graph call.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Answer with this Graph error.
    Error(GraphError),
    /// Answer with this status and body (possibly empty, possibly not JSON).
    Raw {
        status: u16,
        content_type: &'static str,
        body: String,
    },
    /// Wait, then answer normally.
    Delay(u64),
    /// Close the connection without answering.
    Close,
    /// Accept a send, then report it `failed` with this error in a status webhook.
    StatusFailed(GraphError),
}

/// A queued fault: its effect, how many calls it still applies to, and how it was asked.
#[derive(Clone, Debug)]
pub struct Fault {
    /// What it does.
    pub effect: Effect,
    /// Calls left.
    pub remaining: u32,
    /// The JSON it was created from.
    pub spec: Value,
}

impl Fault {
    /// For `GET /_sandbox/faults`.
    pub fn to_json(&self) -> Value {
        let mut v = self.spec.clone();
        if let Some(o) = v.as_object_mut() {
            o.insert("remaining".into(), json!(self.remaining));
        }
        v
    }

    /// Applies only to message sends (not to reads, media or read receipts).
    pub fn sends_only(&self) -> bool {
        matches!(self.effect, Effect::StatusFailed(_))
    }
}

/// What `POST /_sandbox/faults` asked for.
#[derive(Debug)]
pub enum Request {
    /// Queue a one-shot fault.
    Queue(Fault),
    /// At most this many sends per second; beyond, 130429. `0` turns it off.
    RateLimit(u32),
    /// At most one message per this many seconds to the same user; beyond, 131056.
    /// `0` turns it off.
    PairRate(u64),
}

/// The kinds accepted, for error messages.
pub const KINDS: &str =
    "graph_error, http_status, non_json, delay_ms, close, status_failed, rate_limit, pair_rate";

fn int(spec: &Value, key: &str) -> Result<Option<i64>, String> {
    match spec.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("`{key}` must be an integer")),
    }
}

fn text(spec: &Value, key: &str) -> Result<Option<String>, String> {
    match spec.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("`{key}` must be a string")),
    }
}

fn status(spec: &Value, default: u16) -> Result<u16, String> {
    match int(spec, "status")? {
        None => Ok(default),
        Some(s) if (200..=599).contains(&s) => Ok(u16::try_from(s).unwrap_or(default)),
        Some(s) => Err(format!("`status` {s} is not an HTTP status (200-599)")),
    }
}

/// Reads one fault specification.
pub fn parse(spec: &Value) -> Result<Request, String> {
    if !spec.is_object() {
        return Err("a fault is a JSON object with a `kind`".to_string());
    }
    let kind = text(spec, "kind")?.ok_or_else(|| format!("`kind` is required: one of {KINDS}"))?;
    let count = match int(spec, "count")? {
        None => 1,
        Some(n) if (1..=100_000).contains(&n) => u32::try_from(n).unwrap_or(1),
        Some(n) => return Err(format!("`count` {n} must be between 1 and 100000")),
    };
    let error_from_spec = |default_code: i64| -> Result<GraphError, String> {
        let code = int(spec, "code")?.unwrap_or(default_code);
        let mut e = GraphError::known(code);
        e.status = status(spec, e.status)?;
        if let Some(m) = text(spec, "message")? {
            e.message = m;
        }
        if let Some(d) = text(spec, "details")? {
            e.details = Some(d);
        }
        if let Some(t) = text(spec, "type")? {
            e.kind = t;
        }
        if let Some(s) = int(spec, "subcode")? {
            e.subcode = Some(s);
        }
        if let Some(t) = spec.get("is_transient").and_then(Value::as_bool) {
            e.transient = Some(t);
        }
        Ok(e)
    };
    let effect = match kind.as_str() {
        "graph_error" => Effect::Error(error_from_spec(131000)?),
        "http_status" => Effect::Raw {
            status: status(spec, 503)?,
            content_type: "text/plain; charset=UTF-8",
            body: text(spec, "body")?.unwrap_or_default(),
        },
        "non_json" => {
            let status = status(spec, 502)?;
            let reason = hyper::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Error");
            Effect::Raw {
                status,
                content_type: "text/html; charset=UTF-8",
                body: text(spec, "body")?.unwrap_or_else(|| {
                    format!("<html><head><title>{status} {reason}</title></head><body><center><h1>{status} {reason}</h1></center><hr><center>proxy</center></body></html>\n")
                }),
            }
        }
        "delay_ms" | "delay" => {
            let ms = int(spec, "ms")?.ok_or("`ms` is required for delay_ms")?;
            if !(0..=600_000).contains(&ms) {
                return Err("`ms` must be between 0 and 600000".to_string());
            }
            Effect::Delay(u64::try_from(ms).unwrap_or(0))
        }
        "close" => Effect::Close,
        "status_failed" => Effect::StatusFailed(error_from_spec(131026)?),
        "rate_limit" => {
            let n = int(spec, "per_second")?.ok_or("`per_second` is required for rate_limit")?;
            return u32::try_from(n)
                .map(Request::RateLimit)
                .map_err(|_| "`per_second` must be 0 (off) or more".to_string());
        }
        "pair_rate" => {
            if spec.get("enabled").and_then(Value::as_bool) == Some(false) {
                return Ok(Request::PairRate(0));
            }
            let seconds = int(spec, "seconds")?.unwrap_or(6);
            return u64::try_from(seconds)
                .map(Request::PairRate)
                .map_err(|_| "`seconds` must be 0 (off) or more".to_string());
        }
        other => return Err(format!("unknown kind `{other}`: one of {KINDS}")),
    };
    Ok(Request::Queue(Fault {
        effect,
        remaining: count,
        spec: spec.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_errors_have_metas_shape() {
        let e = GraphError::known(130429).to_json();
        assert_eq!(e["error"]["code"], 130429);
        assert_eq!(e["error"]["type"], "OAuthException");
        assert_eq!(e["error"]["error_data"]["messaging_product"], "whatsapp");
        assert!(e["error"]["fbtrace_id"].is_string());
        let t = GraphError::token(false);
        assert_eq!(t.status, 401);
        assert!(t.to_json()["error"].get("error_data").is_none());
    }

    #[test]
    fn specs_parse() {
        let Ok(Request::Queue(f)) =
            parse(&json!({"kind": "graph_error", "status": 400, "code": 130429, "count": 3}))
        else {
            panic!()
        };
        assert_eq!(f.remaining, 3);
        assert!(matches!(f.effect, Effect::Error(ref e) if e.code == 130429 && e.status == 400));
        assert!(matches!(
            parse(&json!({"kind": "rate_limit", "per_second": 5})),
            Ok(Request::RateLimit(5))
        ));
        assert!(matches!(
            parse(&json!({"kind": "pair_rate"})),
            Ok(Request::PairRate(6))
        ));
        assert!(parse(&json!({"kind": "nope"})).is_err());
        assert!(parse(&json!({"kind": "delay_ms"})).is_err());
        assert!(parse(&json!({"kind": "http_status", "status": 42})).is_err());
        assert!(parse(&json!({"kind": "close", "count": 0})).is_err());
        assert!(parse(&json!([])).is_err());
    }
}
