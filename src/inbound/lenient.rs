//! Lenient reads of Meta's JSON: a field of the wrong type or missing is absent, never an
//! error, so that one odd field never rejects a message or a batch.

use crate::json::{self, Map, Value};

/// The `id` of a message or status: it must be a non-empty JSON string (ids are the
/// dedup keys and are quoted back to Meta, so a number is not an id).
pub(super) fn string_id(raw: &Value) -> Option<String> {
    match raw.get("id") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.to_string()),
        _ => None,
    }
}

/// A string field; numbers and booleans are rendered, anything else is absent.
pub(super) fn opt_str(parent: Option<&Value>, key: &str) -> Option<String> {
    parent
        .and_then(Value::as_object)
        .and_then(|o| opt_str_map(o, key))
}

pub(super) fn opt_str_map(o: &Map, key: &str) -> Option<String> {
    match o.get(key)? {
        Value::String(s) => Some(s.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(super) fn str_at(parent: Option<&Value>, key: &str) -> String {
    opt_str(parent, key).unwrap_or_default()
}

pub(super) fn bool_at(o: &Map, key: &str) -> bool {
    match o.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

pub(super) fn int_at(parent: Option<&Value>, key: &str) -> Option<i64> {
    match parent?.get(key)? {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn float_at(parent: Option<&Value>, key: &str) -> f64 {
    let value = match parent.and_then(|p| p.get(key)) {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    value.filter(|f| f.is_finite()).unwrap_or(0.0)
}

/// Unix seconds from a string or a number; 0 when absent or unreadable.
pub(super) fn timestamp(value: Option<&Value>) -> u64 {
    match value {
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        _ => 0,
    }
}

/// At most `max` characters of `s` (for names echoed into logs and variants).
pub(super) fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// `value` as compact JSON, its members in Meta's order.
pub(super) fn compact_json(value: &Value) -> String {
    json::to_string(value)
}

/// A `raw-json`: an object exactly as Meta wrote it (its bytes, escapes and spacing
/// included; a copy, not a second serialization); anything else as compact JSON.
pub(super) fn raw_json(value: &Value) -> String {
    match value {
        Value::Object(object) => object.text().to_owned(),
        other => compact_json(other),
    }
}
