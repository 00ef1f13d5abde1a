//! `json`, the tree Meta's webhooks and the Graph API's answers are read into, against
//! serde_json's own `Value` on arbitrary bytes.
//!
//! Invariants:
//! * `json::from_slice` never panics, and accepts exactly what `serde_json::from_slice`
//!   accepts (the same text is read by the same reader, only into another tree);
//! * what it accepted is the same value as serde_json's (member order aside; of duplicate
//!   names the last wins in both);
//! * `json::to_string` writes it as JSON that serde_json reads. (Not compared as a value:
//!   serde_json's default float reader is not correctly rounded, so a long mantissa read,
//!   written shortest and read again can land one unit apart, with either tree.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use whatsapp::json::{self, Value};

/// Our tree as serde_json's: members inserted in order, so the last duplicate wins.
fn to_serde(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => serde_json::Value::Number(n.clone()),
        Value::String(s) => serde_json::Value::String(s.to_string()),
        Value::Array(items) => serde_json::Value::Array(items.iter().map(to_serde).collect()),
        Value::Object(map) => serde_json::Value::Object(
            map.iter()
                .map(|(k, v)| (k.to_string(), to_serde(v)))
                .collect(),
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    let ours = json::from_slice(data);
    let theirs = serde_json::from_slice::<serde_json::Value>(data);
    assert_eq!(ours.is_ok(), theirs.is_ok(), "accepted by one reader only");
    if let (Ok(ours), Ok(theirs)) = (ours, theirs) {
        assert_eq!(to_serde(&ours), theirs, "the same value");
        let written = json::to_string(&ours);
        assert!(
            serde_json::from_str::<serde_json::Value>(&written).is_ok(),
            "the tree writes JSON: {written}"
        );
    }
});
