//! An event as the delivery journal keeps it, so that a later request can dispatch it
//! again: `{"message": …}`, `{"status": …}` or `{"update": …}`, the value in the JSON of
//! [`crate::wit_json`]. Read back exactly as it was parsed from Meta's webhook.

use serde_json::{json, Value};

use crate::inbound::payload::Event;
use crate::wit_json::{JsonError, WitJson};

/// The event's JSON.
pub fn to_json(event: &Event) -> String {
    match event {
        Event::Message(message) => json!({ "message": message.to_json() }),
        Event::Status(status) => json!({ "status": status.to_json() }),
        Event::Update(update) => json!({ "update": update.to_json() }),
    }
    .to_string()
}

/// The event a stored JSON holds.
pub fn from_json(text: &str) -> Result<Event, JsonError> {
    let value: Value = serde_json::from_str(text).map_err(|_| JsonError {
        path: String::new(),
        expected: "JSON",
    })?;
    let within = |step: &str, e: JsonError| JsonError {
        path: format!("{step}{}", e.path),
        expected: e.expected,
    };
    if let Some(message) = value.get("message") {
        return WitJson::from_json(message)
            .map(|m| Event::Message(Box::new(m)))
            .map_err(|e| within(".message", e));
    }
    if let Some(status) = value.get("status") {
        return WitJson::from_json(status)
            .map(|s| Event::Status(Box::new(s)))
            .map_err(|e| within(".status", e));
    }
    if let Some(update) = value.get("update") {
        return WitJson::from_json(update)
            .map(|u| Event::Update(Box::new(u)))
            .map_err(|e| within(".update", e));
    }
    Err(JsonError {
        path: String::new(),
        expected: "an object with message, status or update",
    })
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
    fn a_stored_event_is_tagged_by_kind() {
        let events = events_of("text.json");
        let stored: Value = serde_json::from_str(&to_json(&events[0])).unwrap();
        assert!(stored["message"]["id"].is_string(), "{stored}");
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
        ] {
            assert!(from_json(text).is_err(), "{text}");
        }
    }
}
