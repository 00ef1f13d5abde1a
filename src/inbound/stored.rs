//! An event as the delivery journal keeps it, so that a later request can dispatch it
//! again: Meta's own JSON, as a webhook that holds that one event, read back with the
//! webhook's own parser ([`crate::inbound::payload`]):
//! `{"kind": "message" | "status" | "update", "webhook": {…}}`.
//!
//! Meta's JSON rather than the WIT records' so that an entry written by one version of the
//! component is read by the next even when the WIT records change (the parser of the new
//! version reads it), and so that the composed build needs no codec of the WIT records.
//! The webhook is built from what the event kept of Meta's JSON: the message's or
//! status's `raw-json`, the change's `value` for an update, the account, the number, the
//! entry's time, and the user as a `contacts[]` entry.

use crate::inbound::payload::{self, Event};
use crate::json::{self, Value};
use crate::types::User;

/// Why a stored text is not an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredError {
    /// Not JSON, or not `{"kind", "webhook"}`.
    NotStored,
    /// An entry of an earlier build, which kept the event's WIT record as JSON.
    OlderVersion,
    /// The webhook holds no event of its kind.
    NoEvent,
}

impl StoredError {
    /// A short description for a log line.
    pub fn describe(&self) -> &'static str {
        match self {
            StoredError::NotStored => "it is not a stored event",
            StoredError::OlderVersion => {
                "it was written by an earlier build, which kept the event's WIT record as JSON"
            }
            StoredError::NoEvent => "its webhook holds no event of its kind",
        }
    }
}

/// `s` as a JSON string.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The `contacts[]` entry that names `user` as the parser resolved it: reading the event
/// again resolves the same user from it.
fn contact(user: &User) -> String {
    let mut fields = Vec::new();
    let mut profile = Vec::new();
    let field = |into: &mut Vec<String>, key: &str, value: &Option<String>| {
        if let Some(value) = value {
            into.push(format!("{}:{}", quoted(key), quoted(value)));
        }
    };
    field(&mut fields, "wa_id", &user.phone);
    field(&mut fields, "user_id", &user.user_id);
    field(&mut fields, "parent_user_id", &user.parent_user_id);
    field(&mut profile, "name", &user.name);
    field(&mut profile, "username", &user.username);
    fields.push(format!(r#""profile":{{{}}}"#, profile.join(",")));
    format!("{{{}}}", fields.join(","))
}

/// A webhook of one change of the account `account` at `time`.
fn webhook(kind: &str, account: &str, time: u64, field: &str, value: &str) -> String {
    format!(
        r#"{{"kind":{},"webhook":{{"object":"whatsapp_business_account","entry":[{{"id":{},"time":{time},"changes":[{{"field":{},"value":{value}}}]}}]}}}}"#,
        quoted(kind),
        quoted(account),
        quoted(field),
    )
}

/// The `value` of a `messages` change holding one message or status (`list` names which).
fn messages_value(
    phone_number_id: &str,
    display_phone_number: &str,
    user: &User,
    list: &str,
    raw_json: &str,
) -> String {
    format!(
        r#"{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":{},"phone_number_id":{}}},"contacts":[{}],"{list}":[{raw_json}]}}"#,
        quoted(display_phone_number),
        quoted(phone_number_id),
        contact(user),
    )
}

/// The event's stored form.
pub fn to_json(event: &Event) -> String {
    match event {
        Event::Message(m) => webhook(
            "message",
            &m.business_account_id,
            0,
            "messages",
            &messages_value(
                &m.phone_number_id,
                &m.display_phone_number,
                &m.sender,
                "messages",
                &m.raw_json,
            ),
        ),
        Event::Status(s) => webhook(
            "status",
            &s.business_account_id,
            0,
            "messages",
            &messages_value(
                &s.phone_number_id,
                "",
                &s.recipient,
                "statuses",
                &s.raw_json,
            ),
        ),
        Event::Update(u) => webhook(
            "update",
            &u.business_account_id,
            u.timestamp,
            &u.field,
            &u.raw_json,
        ),
    }
}

/// The event a stored form holds.
pub fn from_json(text: &str) -> Result<Event, StoredError> {
    let stored = json::from_slice(text.as_bytes()).map_err(|_| StoredError::NotStored)?;
    let (Some(kind), Some(webhook)) = (
        stored.get("kind").and_then(Value::as_str),
        stored.get("webhook"),
    ) else {
        return Err(
            if ["message", "status", "update"]
                .iter()
                .any(|k| stored.get(k).is_some())
            {
                StoredError::OlderVersion
            } else {
                StoredError::NotStored
            },
        );
    };
    let events = payload::parse_value(webhook)
        .map_err(|_| StoredError::NoEvent)?
        .events;
    events
        .into_iter()
        .find(|event| {
            matches!(
                (kind, event),
                ("message", Event::Message(_))
                    | ("status", Event::Status(_))
                    | ("update", Event::Update(_))
            )
        })
        .ok_or(StoredError::NoEvent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbound::payload;

    fn events_of(fixture: &str) -> Vec<Event> {
        let path = format!(
            "{}/tests/fixtures/webhook/{fixture}",
            env!("CARGO_MANIFEST_DIR")
        );
        let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        payload::parse(&body).expect("a webhook").events
    }

    #[test]
    fn every_kind_of_event_reads_back_as_it_was_parsed() {
        let mut seen = (0, 0, 0);
        let dir = format!("{}/tests/fixtures/webhook", env!("CARGO_MANIFEST_DIR"));
        for entry in std::fs::read_dir(&dir).expect("fixtures") {
            let name = entry
                .expect("entry")
                .file_name()
                .into_string()
                .expect("utf-8");
            if !name.ends_with(".json") {
                continue;
            }
            let Ok(batch) = payload::parse(&std::fs::read(format!("{dir}/{name}")).unwrap()) else {
                continue;
            };
            for event in batch.events {
                match &event {
                    Event::Message(_) => seen.0 += 1,
                    Event::Status(_) => seen.1 += 1,
                    Event::Update(_) => seen.2 += 1,
                }
                let stored = to_json(&event);
                let back = from_json(&stored).unwrap_or_else(|e| panic!("{name}: {e:?}"));
                assert_eq!(format!("{back:?}"), format!("{event:?}"), "{name}");
            }
        }
        assert!(seen.0 > 10 && seen.1 > 3 && seen.2 > 3, "{seen:?}");
    }

    #[test]
    fn a_stored_event_is_metas_json_tagged_by_kind() {
        let events = events_of("text.json");
        let stored: serde_json::Value = serde_json::from_str(&to_json(&events[0])).unwrap();
        assert_eq!(stored["kind"], "message", "{stored}");
        let value = &stored["webhook"]["entry"][0]["changes"][0]["value"];
        assert!(value["messages"][0]["id"].is_string(), "{stored}");
        assert_eq!(value["contacts"][0]["profile"]["name"], "Alice Johnson");
    }

    #[test]
    fn an_entry_of_an_older_version_is_named_as_such() {
        let older = r#"{"message": {"id": "wamid.A", "text": "hi"}}"#;
        assert_eq!(from_json(older).unwrap_err(), StoredError::OlderVersion);
    }

    #[test]
    fn what_is_not_a_stored_event_is_an_error_not_a_panic() {
        for text in [
            "",
            "[]",
            "{}",
            r#"{"message": 1}"#,
            r#"{"status": {}}"#,
            "null",
            r#"{"kind": "message", "webhook": {"entry": []}}"#,
            r#"{"kind": "status", "webhook": 1}"#,
            r#"{"kind": "other", "webhook": {"entry": [{"changes": [{"field": "x", "value": {}}]}]}}"#,
        ] {
            assert!(from_json(text).is_err(), "{text}");
        }
    }
}
