//! Meta's JSON, read in place: a tree whose strings borrow from the text. Both sides of
//! the wire read into it: the webhook's body (inbound) and the Graph API's answers
//! (outbound).
//!
//! The webhook's hot path is one parse of a small body, and a reply's one more of
//! Meta's answer. `serde_json::Value` copies every
//! key and string and sorts each object into a B-tree; this tree keeps an object's members
//! in Meta's order in a `Vec` and borrows every string that has no escape. serde_json still
//! does the reading (validation, UTF-8, escapes, numbers, its nesting limit of 128), so
//! what is accepted and rejected is exactly what `serde_json::from_slice` accepts.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Number;

/// A JSON value whose strings borrow from the text they were read from where they can.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as serde_json keeps it.
    Number(Number),
    /// A string: borrowed from the text when it has no escape.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Value<'a>>),
    /// An object.
    Object(Map<'a>),
}

/// An object's members in the order they were written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map<'a>(Vec<(Cow<'a, str>, Value<'a>)>);

impl<'a> Map<'a> {
    /// The members, in order, duplicates included.
    pub fn iter(&self) -> impl Iterator<Item = (&Cow<'a, str>, &Value<'a>)> {
        self.0.iter().map(|(name, value)| (name, value))
    }

    /// The member named `key`; of duplicate names the last wins, as in serde_json's map.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.0
            .iter()
            .rev()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value)
    }
}

impl<'a> Value<'a> {
    /// The member `key` of an object; none for anything else.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.as_object()?.get(key)
    }

    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The elements of an array.
    pub fn as_array(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members of an object.
    pub fn as_object(&self) -> Option<&Map<'a>> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    /// Whether this is an array.
    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(_))
    }
}

/// Reads a JSON text; the tree borrows from it.
pub fn from_slice(text: &[u8]) -> Result<Value<'_>, serde_json::Error> {
    serde_json::from_slice(text)
}

/// `value` as compact JSON, members in their order.
pub fn to_string(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

impl<'de> Deserialize<'de> for Value<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value<'de>, D::Error> {
        Value::deserialize(deserializer)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value<'de>, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value<'de>, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value<'de>, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value<'de>, E> {
        // As serde_json's own `Value`: a number that is not finite is null.
        Ok(Number::from_f64(n).map_or(Value::Null, Value::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'de>, A::Error> {
        let mut members = Vec::new();
        while let Some(Key(name)) = map.next_key()? {
            members.push((name, map.next_value()?));
        }
        Ok(Value::Object(Map(members)))
    }
}

/// A member's name, borrowed when it has no escape.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(s)))
    }
}

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(n) => n.serialize(serializer),
            Value::String(s) => serializer.serialize_str(s),
            Value::Array(items) => serializer.collect_seq(items),
            Value::Object(Map(members)) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (name, value) in members {
                    map.serialize_entry(name.as_ref(), value)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same text through serde_json's own `Value`.
    fn serde_value(text: &str) -> Option<serde_json::Value> {
        serde_json::from_str(text).ok()
    }

    #[test]
    fn strings_without_escapes_borrow_from_the_text() {
        let text = br#"{"body":"Hi! Do you ship?","escaped":"a\"b"}"#;
        let value = from_slice(text).unwrap();
        assert!(matches!(
            value.get("body"),
            Some(Value::String(Cow::Borrowed("Hi! Do you ship?")))
        ));
        assert_eq!(value.get("escaped").and_then(Value::as_str), Some("a\"b"));
    }

    #[test]
    fn members_keep_their_order_and_the_last_duplicate_wins() {
        let value =
            from_slice(br#"{"z":1,"a":{"k":"first","k":"second"},"m":[true,null]}"#).unwrap();
        assert_eq!(
            to_string(&value),
            r#"{"z":1,"a":{"k":"first","k":"second"},"m":[true,null]}"#
        );
        assert_eq!(
            value
                .get("a")
                .and_then(|a| a.get("k"))
                .and_then(Value::as_str),
            Some("second")
        );
    }

    #[test]
    fn accepts_and_rejects_exactly_what_serde_json_does() {
        let deep_ok = format!("{}{}", "[".repeat(127), "]".repeat(127));
        let too_deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
        for text in [
            r#"{"a":1}"#,
            r#"{"a":1,}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\u00e9\n"}"#,
            "[1e400]",
            "[-0.0, 1.5e-7, 18446744073709551615, -9223372036854775808]",
            "{\"a\":\"\u{1}\"}",
            "{} x",
            "",
            "nul",
            deep_ok.as_str(),
            too_deep.as_str(),
        ] {
            let ours = from_slice(text.as_bytes()).ok();
            let theirs = serde_value(text);
            assert_eq!(ours.is_some(), theirs.is_some(), "{text:?}");
            if let (Some(ours), Some(theirs)) = (ours, theirs) {
                // The same value, whatever the member order.
                let back: serde_json::Value = serde_json::from_str(&to_string(&ours)).unwrap();
                assert_eq!(back, theirs, "{text:?}");
            }
        }
    }

    #[test]
    fn invalid_utf8_in_a_string_is_refused() {
        assert!(from_slice(b"{\"a\":\"\xff\"}").is_err());
    }
}
