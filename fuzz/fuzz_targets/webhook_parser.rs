//! `payload::parse` on arbitrary bytes, and on a valid webhook envelope whose values are
//! built from the same bytes.
//!
//! Invariants:
//! * `parse` never panics (nor overflows the stack) on any bytes;
//! * a generated envelope (`object` is `whatsapp_business_account`, `entry` is a list) is
//!   always `Ok`, and every message and status in it is visited: each `messages` change
//!   with an object value gives one event or one `Skipped::NoId` per element of its
//!   `messages` and `statuses` lists (and one update for its `errors` list), each change
//!   of another named field one `Event::Update`, and each change without a field name one
//!   `Skipped::NoField`;
//! * every message and status has its non-empty id, and every `raw_json` is JSON.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Number, Value};
use whatsapp::inbound::payload::{parse, Batch, Event, Skipped};

/// Keys Meta uses in messages and statuses (and a few it does not).
const KEYS: &[&str] = &[
    "id",
    "from",
    "timestamp",
    "type",
    "body",
    "text",
    "mime_type",
    "sha256",
    "caption",
    "filename",
    "url",
    "voice",
    "animated",
    "latitude",
    "longitude",
    "name",
    "address",
    "button_reply",
    "list_reply",
    "nfm_reply",
    "title",
    "description",
    "response_json",
    "payload",
    "message_id",
    "emoji",
    "catalog_id",
    "product_items",
    "product_retailer_id",
    "quantity",
    "item_price",
    "currency",
    "wa_id",
    "new_wa_id",
    "formatted_name",
    "first_name",
    "last_name",
    "phones",
    "emails",
    "phone",
    "email",
    "org",
    "company",
    "urls",
    "birthday",
    "context",
    "forwarded",
    "frequently_forwarded",
    "referral",
    "source_url",
    "source_type",
    "source_id",
    "headline",
    "ctwa_clid",
    "errors",
    "code",
    "error_data",
    "details",
    "status",
    "recipient_id",
    "recipient_user_id",
    "from_user_id",
    "conversation",
    "origin",
    "expiration_timestamp",
    "pricing",
    "billable",
    "pricing_model",
    "category",
    "biz_opaque_callback_data",
    "profile",
    "unknown_future_field",
];

/// Message types the parser knows (and some it does not).
const TYPES: &[&str] = &[
    "text",
    "image",
    "video",
    "document",
    "audio",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "button",
    "reaction",
    "order",
    "system",
    "request_welcome",
    "unsupported",
    "poll_vote",
    "",
    "TEXT",
];

const SUBTYPES: &[&str] = &["button_reply", "list_reply", "nfm_reply", "", "carousel"];

const STATUSES: &[&str] = &[
    "sent",
    "delivered",
    "read",
    "failed",
    "deleted",
    "warning",
    "",
];

const MAX_DEPTH: usize = 6;

fn pick(u: &mut Unstructured, from: &[&str]) -> Result<String> {
    Ok((*u.choose(from)?).to_string())
}

/// A string: a known word, a number-like string or arbitrary UTF-8.
fn string(u: &mut Unstructured) -> Result<String> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => pick(u, KEYS)?,
        1 => pick(u, TYPES)?,
        2 => format!(" {} ", u.arbitrary::<i64>()?),
        _ => u.arbitrary::<String>()?,
    })
}

fn number(u: &mut Unstructured) -> Result<Value> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => Value::from(u.arbitrary::<u64>()?),
        1 => Value::from(u.arbitrary::<i64>()?),
        2 => Number::from_f64(u.arbitrary::<f64>()?).map_or(Value::Null, Value::Number),
        _ => Value::from(u.int_in_range(0..=3u8)?),
    })
}

/// Any JSON value, objects keyed from [`KEYS`].
fn any(u: &mut Unstructured, depth: usize) -> Result<Value> {
    let top = if depth >= MAX_DEPTH { 3 } else { 5 };
    Ok(match u.int_in_range(0..=top)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => number(u)?,
        3 => Value::String(string(u)?),
        4 => {
            let n = u.int_in_range(0..=3)?;
            Value::Array((0..n).map(|_| any(u, depth + 1)).collect::<Result<_>>()?)
        }
        _ => Value::Object(object(u, KEYS, depth + 1)?),
    })
}

/// An object with some of `keys`, each with any value.
fn object(u: &mut Unstructured, keys: &[&str], depth: usize) -> Result<Map<String, Value>> {
    let mut map = Map::new();
    let n = u.int_in_range(0..=keys.len().min(6))?;
    for _ in 0..n {
        let key = pick(u, keys)?;
        map.insert(key, any(u, depth)?);
    }
    Ok(map)
}

/// Mostly a non-empty string id, sometimes anything.
fn id(u: &mut Unstructured) -> Result<Value> {
    Ok(if u.ratio(7, 8)? {
        Value::String(format!("wamid.{}", u.arbitrary::<u16>()?))
    } else {
        any(u, MAX_DEPTH)?
    })
}

fn message(u: &mut Unstructured) -> Result<Value> {
    let mut m = object(u, KEYS, 2)?;
    m.insert("id".into(), id(u)?);
    let kind = pick(u, TYPES)?;
    let mut body = object(u, KEYS, 3)?;
    if kind == "interactive" {
        let sub = pick(u, SUBTYPES)?;
        body.insert(sub.clone(), Value::Object(object(u, KEYS, 4)?));
        body.insert("type".into(), Value::String(sub));
    }
    if kind == "contacts" {
        let cards = (0..u.int_in_range(0..=2)?)
            .map(|_| object(u, KEYS, 4).map(Value::Object))
            .collect::<Result<_>>()?;
        m.insert(kind.clone(), Value::Array(cards));
    } else if u.ratio(7, 8)? {
        m.insert(kind.clone(), Value::Object(body));
    } else {
        m.insert(kind.clone(), any(u, 3)?);
    }
    m.insert("type".into(), Value::String(kind));
    Ok(Value::Object(m))
}

fn status(u: &mut Unstructured) -> Result<Value> {
    let mut s = object(u, KEYS, 2)?;
    s.insert("id".into(), id(u)?);
    s.insert("status".into(), Value::String(pick(u, STATUSES)?));
    Ok(Value::Object(s))
}

fn list(u: &mut Unstructured, item: fn(&mut Unstructured) -> Result<Value>) -> Result<Value> {
    if u.ratio(1, 16)? {
        return any(u, 2);
    }
    let n = u.int_in_range(0..=4)?;
    Ok(Value::Array(
        (0..n).map(|_| item(u)).collect::<Result<_>>()?,
    ))
}

fn contact(u: &mut Unstructured) -> Result<Value> {
    let mut profile = Map::new();
    profile.insert("name".into(), any(u, MAX_DEPTH)?);
    let mut c = Map::new();
    c.insert("profile".into(), Value::Object(profile));
    c.insert("wa_id".into(), any(u, MAX_DEPTH)?);
    Ok(Value::Object(c))
}

fn change(u: &mut Unstructured) -> Result<Value> {
    let mut c = Map::new();
    let field = if u.ratio(7, 8)? {
        "messages".to_string()
    } else {
        string(u)?
    };
    c.insert("field".into(), Value::String(field));
    if u.ratio(1, 16)? {
        c.insert("value".into(), any(u, 2)?);
        return Ok(Value::Object(c));
    }
    let mut value = Map::new();
    value.insert("messaging_product".into(), Value::String("whatsapp".into()));
    let mut metadata = Map::new();
    metadata.insert("phone_number_id".into(), any(u, MAX_DEPTH)?);
    metadata.insert("display_phone_number".into(), any(u, MAX_DEPTH)?);
    value.insert("metadata".into(), Value::Object(metadata));
    value.insert("contacts".into(), list(u, contact)?);
    if u.ratio(3, 4)? {
        value.insert("messages".into(), list(u, message)?);
    }
    if u.ratio(1, 2)? {
        value.insert("statuses".into(), list(u, status)?);
    }
    if u.ratio(1, 8)? {
        value.insert("errors".into(), list(u, |u| any(u, 3))?);
    }
    c.insert("value".into(), Value::Object(value));
    Ok(Value::Object(c))
}

fn envelope(u: &mut Unstructured) -> Result<Value> {
    let mut entries = Vec::new();
    for _ in 0..u.int_in_range(0..=2)? {
        let mut e = Map::new();
        e.insert("id".into(), any(u, MAX_DEPTH)?);
        e.insert("changes".into(), list(u, change)?);
        entries.push(Value::Object(e));
    }
    let mut root = Map::new();
    root.insert(
        "object".into(),
        Value::String("whatsapp_business_account".into()),
    );
    root.insert("entry".into(), Value::Array(entries));
    Ok(Value::Object(root))
}

/// What the parser must report for `root`: (messages and statuses + `NoId` skips,
/// updates, `NoField` skips).
fn expected(root: &Value) -> (usize, usize, usize) {
    let (mut items, mut updates, mut unnamed) = (0, 0, 0);
    let entries = root["entry"].as_array().into_iter().flatten();
    for change in entries.filter_map(|e| e["changes"].as_array()).flatten() {
        match change["field"].as_str() {
            None | Some("") => unnamed += 1,
            Some("messages") => {
                if let Some(value) = change["value"].as_object() {
                    for key in ["messages", "statuses"] {
                        items += value.get(key).and_then(Value::as_array).map_or(0, Vec::len);
                    }
                    updates += usize::from(value.get("errors").is_some_and(Value::is_array));
                }
            }
            Some(_) => updates += 1,
        }
    }
    (items, updates, unnamed)
}

fn check_events(batch: &Batch) {
    for event in &batch.events {
        let (id, raw) = match event {
            Event::Message(m) => (m.id.as_str(), &m.raw_json),
            Event::Status(s) => (s.message_id.as_str(), &s.raw_json),
            Event::Update(u) => ("update", &u.raw_json),
        };
        assert!(!id.is_empty(), "event without an id");
        assert!(
            serde_json::from_str::<Value>(raw).is_ok(),
            "raw_json is not JSON"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(batch) = parse(data) {
        check_events(&batch);
    }

    let mut u = Unstructured::new(data);
    let Ok(root) = envelope(&mut u) else {
        return;
    };
    let body = serde_json::to_vec(&root).expect("a Value serialises");
    let batch = match parse(&body) {
        Ok(batch) => batch,
        Err(e) => panic!("valid envelope rejected: {e:?}\n{root}"),
    };
    check_events(&batch);
    let (items, updates, unnamed) = expected(&root);
    let count_skipped = |f: fn(&Skipped) -> bool| batch.skipped.iter().filter(|s| f(s)).count();
    let no_id = count_skipped(|s| matches!(s, Skipped::NoId(_)));
    let no_field = count_skipped(|s| matches!(s, Skipped::NoField));
    let update_events = batch
        .events
        .iter()
        .filter(|e| matches!(e, Event::Update(_)))
        .count();
    assert_eq!(
        batch.events.len() - update_events + no_id,
        items,
        "a message or status was lost\n{root}"
    );
    assert_eq!(update_events, updates, "an update was lost\n{root}");
    assert_eq!(no_field, unnamed, "a change without a field was not reported\n{root}");
});
