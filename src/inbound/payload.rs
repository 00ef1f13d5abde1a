//! Webhook payload parsing: Meta's JSON envelope in, typed events out.
//!
//! Parsing is lenient field by field: a wrong type or a missing optional field in one
//! message never rejects the batch, and every entry, change, message and status of a
//! batch is visited. What cannot be turned into an event is reported as a [`Skipped`]
//! item so the caller can log it.

use crate::json::{self, Map, Value};

use super::change::{Contacts, Origin};
use super::lenient::{
    bool_at, compact_json, float_at, int_at, opt_str, opt_str_map, raw_json, str_at, string_id,
    timestamp, truncate,
};
use super::update::parse_update;
use crate::types::{
    Audio, ButtonReply, CallPermissionReply, ContactCard, ContactEmail, ContactPhone, Content,
    Conversation, DeliveryStatus, Edit, EditedContent, ErrorDetail, FlowReply, ListReply, Location,
    Media, Message, Order, OrderItem, Pricing, Reaction, Referral, ReferredProduct, ReplyContext,
    Revoke, StatusUpdate, Sticker, SystemNotice, TemplateButton, Unsupported, UpdateDetails,
    WebhookUpdate,
};

/// One update to hand to the consumer.
#[derive(Debug, Clone)]
pub enum Event {
    /// An inbound message.
    Message(Box<Message>),
    /// A delivery update of an outbound message.
    Status(Box<StatusUpdate>),
    /// A change of another webhook field, or the errors Meta reported for a whole
    /// `messages` change.
    Update(Box<WebhookUpdate>),
}

/// Something in a batch that produced no event, with the reason (for one log line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// A change without a `field` name.
    NoField,
    /// A message or status without the id it needs.
    NoId(&'static str),
    /// A `messages` change whose value is not an object.
    BadValue,
}

/// Everything found in one webhook body.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// Messages, statuses and other updates, in the order Meta sent them.
    pub events: Vec<Event>,
    /// What was not turned into an event.
    pub skipped: Vec<Skipped>,
}

/// Why a body could not be read as a webhook at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    /// Not valid JSON (or not UTF-8).
    NotJson,
    /// JSON, but not an object with an `entry` list.
    NotWebhook,
    /// `object` is present and is not `whatsapp_business_account`.
    OtherObject(String),
}

impl PayloadError {
    /// A short description for a log line (never the body).
    pub fn describe(&self) -> String {
        match self {
            PayloadError::NotJson => "body is not valid JSON".into(),
            PayloadError::NotWebhook => "body is JSON but has no entry list".into(),
            PayloadError::OtherObject(o) => format!(
                "object {:?} is not whatsapp_business_account",
                truncate(o, 64)
            ),
        }
    }
}

/// Parses a webhook body (the raw bytes whose signature was checked).
pub fn parse(body: &[u8]) -> Result<Batch, PayloadError> {
    parse_value(&json::from_slice(body).map_err(|_| PayloadError::NotJson)?)
}

/// Parses a webhook already read as JSON (a journal entry holds one).
pub fn parse_value(root: &Value) -> Result<Batch, PayloadError> {
    let root = root.as_object().ok_or(PayloadError::NotWebhook)?;
    if let Some(object) = root.get("object").and_then(Value::as_str) {
        if object != "whatsapp_business_account" {
            return Err(PayloadError::OtherObject(object.to_string()));
        }
    }
    let entries = root
        .get("entry")
        .and_then(Value::as_array)
        .ok_or(PayloadError::NotWebhook)?;
    let mut batch = Batch::default();
    for entry in entries {
        let business_account_id = entry.get("id").and_then(Value::as_str).unwrap_or("");
        let time = timestamp(entry.get("time"));
        let changes = entry.get("changes").and_then(Value::as_array);
        for change in changes.into_iter().flatten() {
            let field = change.get("field").and_then(Value::as_str).unwrap_or("");
            let value = change.get("value");
            let metadata = value.and_then(|v| v.get("metadata"));
            let origin = Origin {
                business_account_id,
                time,
                phone_number_id: str_at(metadata, "phone_number_id"),
                display_phone_number: str_at(metadata, "display_phone_number"),
            };
            match field {
                "" => batch.skipped.push(Skipped::NoField),
                "messages" => match value.and_then(Value::as_object) {
                    Some(value) => parse_messages(value, &origin, &mut batch),
                    None => batch.skipped.push(Skipped::BadValue),
                },
                other => batch.events.push(Event::Update(Box::new(parse_update(
                    other,
                    value.unwrap_or(&Value::Null),
                    &origin,
                )))),
            }
        }
    }
    Ok(batch)
}

fn parse_messages(value: &Map, origin: &Origin, batch: &mut Batch) {
    let contacts = Contacts::of(value);
    for raw in value
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match parse_message(raw, origin, &contacts) {
            Some(message) => batch.events.push(Event::Message(Box::new(message))),
            None => batch.skipped.push(Skipped::NoId("message")),
        }
    }
    for raw in value
        .get("statuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match parse_status(raw, origin, &contacts) {
            Some(status) => batch.events.push(Event::Status(Box::new(status))),
            None => batch.skipped.push(Skipped::NoId("status")),
        }
    }
    if let Some(errors) = value.get("errors").filter(|e| e.is_array()) {
        batch.events.push(Event::Update(Box::new(WebhookUpdate {
            field: "messages".into(),
            business_account_id: origin.business_account_id.to_string(),
            phone_number_id: Some(origin.phone_number_id.clone()).filter(|p| !p.is_empty()),
            timestamp: origin.time,
            details: UpdateDetails::Errors(parse_errors(Some(errors))),
            // The whole change's value, as for every update: its metadata says which
            // number the errors are about.
            raw_json: value.text().to_owned(),
        })));
    }
}

fn parse_message(raw: &Value, origin: &Origin, contacts: &Contacts) -> Option<Message> {
    let id = string_id(raw)?;
    let kind = str_at(Some(raw), "type");
    let content = parse_content(raw, &kind);
    let text = convenience_text(&content);
    Some(Message {
        sender: contacts.user(
            opt_str(Some(raw), "from"),
            opt_str(Some(raw), "from_user_id"),
            opt_str(Some(raw), "from_parent_user_id"),
        ),
        id,
        timestamp: timestamp(raw.get("timestamp")),
        business_account_id: origin.business_account_id.to_string(),
        phone_number_id: origin.phone_number_id.clone(),
        display_phone_number: origin.display_phone_number.clone(),
        group_id: opt_str(Some(raw), "group_id").filter(|g| !g.is_empty()),
        context: parse_context(raw.get("context")),
        content,
        text,
        referral: raw
            .get("referral")
            .and_then(Value::as_object)
            .map(parse_referral),
        errors: parse_errors(raw.get("errors")),
        raw_json: raw_json(raw),
    })
}

fn parse_context(context: Option<&Value>) -> Option<ReplyContext> {
    let c = context?.as_object()?;
    let message_id = opt_str_map(c, "id").unwrap_or_default();
    let forwarded = bool_at(c, "forwarded");
    let frequently_forwarded = bool_at(c, "frequently_forwarded");
    if message_id.is_empty()
        && !forwarded
        && !frequently_forwarded
        && !c.get("referred_product").is_some_and(Value::is_object)
    {
        return None;
    }
    Some(ReplyContext {
        message_id,
        author: opt_str_map(c, "from").unwrap_or_default(),
        forwarded,
        frequently_forwarded,
        referred_product: c
            .get("referred_product")
            .filter(|p| p.is_object())
            .map(|p| ReferredProduct {
                catalog_id: str_at(Some(p), "catalog_id"),
                product_retailer_id: str_at(Some(p), "product_retailer_id"),
            }),
    })
}

fn parse_content(raw: &Value, kind: &str) -> Content {
    let body = raw.get(kind);
    match kind {
        "text" => Content::Text(str_at(body, "body")),
        "image" => Content::Image(parse_media(body)),
        "video" => Content::Video(parse_media(body)),
        "document" => Content::Document(parse_media(body)),
        "audio" => Content::Audio(Audio {
            media: parse_media(body),
            voice: body
                .and_then(Value::as_object)
                .is_some_and(|o| bool_at(o, "voice")),
        }),
        "sticker" => Content::Sticker(Sticker {
            media: parse_media(body),
            animated: body
                .and_then(Value::as_object)
                .is_some_and(|o| bool_at(o, "animated")),
        }),
        "location" => Content::Location(parse_location(body)),
        "contacts" => Content::Contacts(
            body.and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(parse_contact)
                .collect(),
        ),
        "interactive" => parse_interactive(body),
        "button" => Content::TemplateButton(TemplateButton {
            payload: str_at(body, "payload"),
            text: str_at(body, "text"),
        }),
        "reaction" => Content::Reaction(Reaction {
            message_id: str_at(body, "message_id"),
            emoji: opt_str(body, "emoji").filter(|e| !e.is_empty()),
        }),
        "order" => Content::Order(parse_order(body)),
        "system" => Content::System(SystemNotice {
            kind: str_at(body, "type"),
            body: str_at(body, "body"),
            new_wa_id: opt_str(body, "wa_id").or_else(|| opt_str(body, "new_wa_id")),
            new_user_id: opt_str(body, "user_id").or_else(|| opt_str(body, "new_user_id")),
            new_parent_user_id: opt_str(body, "parent_user_id"),
            previous_user_id: opt_str(body, "previous_user_id"),
        }),
        "request_welcome" => Content::RequestWelcome,
        "edit" => Content::Edit(Edit {
            original_message_id: str_at(body, "original_message_id"),
            content: parse_edited(body.and_then(|b| b.get("message"))),
        }),
        "revoke" => Content::Revoke(Revoke {
            original_message_id: str_at(body, "original_message_id"),
        }),
        "unsupported" => Content::Unsupported(Unsupported {
            kind: opt_str(body, "type").unwrap_or_else(|| "unknown".into()),
        }),
        other => Content::Unknown(truncate(other, 64)),
    }
}

/// The new content of an edit: `edit.message`, a message object of its own.
fn parse_edited(message: Option<&Value>) -> EditedContent {
    let kind = str_at(message, "type");
    let body = message.and_then(|m| m.get(kind.as_str()));
    match kind.as_str() {
        "text" => EditedContent::Text(str_at(body, "body")),
        "image" => EditedContent::Image(parse_media(body)),
        "video" => EditedContent::Video(parse_media(body)),
        "document" => EditedContent::Document(parse_media(body)),
        other => EditedContent::Other(truncate(other, 64)),
    }
}

fn parse_interactive(body: Option<&Value>) -> Content {
    let sub = str_at(body, "type");
    let inner = body.and_then(|b| b.get(sub.as_str()));
    match sub.as_str() {
        "button_reply" => Content::ButtonReply(ButtonReply {
            id: str_at(inner, "id"),
            title: str_at(inner, "title"),
        }),
        "list_reply" => Content::ListReply(ListReply {
            id: str_at(inner, "id"),
            title: str_at(inner, "title"),
            description: opt_str(inner, "description"),
        }),
        "nfm_reply" => Content::FlowReply(FlowReply {
            name: opt_str(inner, "name").unwrap_or_else(|| "flow".into()),
            body: str_at(inner, "body"),
            response_json: match inner.and_then(|i| i.get("response_json")) {
                Some(Value::String(s)) => s.to_string(),
                Some(other) => compact_json(other),
                None => String::new(),
            },
        }),
        "call_permission_reply" => Content::CallPermissionReply(CallPermissionReply {
            accepted: str_at(inner, "response") == "accept",
            permanent: inner
                .and_then(Value::as_object)
                .is_some_and(|o| bool_at(o, "is_permanent")),
            expires_at: inner
                .and_then(|i| i.get("expiration_timestamp"))
                .map(|t| timestamp(Some(t)))
                .filter(|t| *t > 0),
            source: opt_str(inner, "response_source"),
        }),
        "" => Content::Unknown("interactive".into()),
        other => Content::Unknown(format!("interactive/{}", truncate(other, 64))),
    }
}

fn parse_media(body: Option<&Value>) -> Media {
    Media {
        id: str_at(body, "id"),
        mime_type: str_at(body, "mime_type"),
        sha256: str_at(body, "sha256"),
        caption: opt_str(body, "caption"),
        filename: opt_str(body, "filename"),
        url: opt_str(body, "url"),
    }
}

fn parse_location(body: Option<&Value>) -> Location {
    Location {
        latitude: float_at(body, "latitude"),
        longitude: float_at(body, "longitude"),
        name: opt_str(body, "name"),
        address: opt_str(body, "address"),
        url: opt_str(body, "url"),
    }
}

/// The `FN` (formatted name) of a vCard, unfolded and unescaped; none when absent.
fn vcard_formatted_name(vcard: &str) -> Option<String> {
    // Folded lines (RFC 6350 3.2): a line break followed by a space or tab continues.
    let unfolded = vcard
        .replace("\r\n ", "")
        .replace("\r\n\t", "")
        .replace("\n ", "")
        .replace("\n\t", "");
    unfolded.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        let property = name.split(';').next()?.trim();
        if !property.eq_ignore_ascii_case("FN") {
            return None;
        }
        let value = value
            .trim()
            .replace("\\,", ",")
            .replace("\\;", ";")
            .replace("\\n", " ")
            .replace("\\\\", "\\");
        Some(value).filter(|v| !v.is_empty())
    })
}

fn parse_contact(card: &Value) -> ContactCard {
    let name = card.get("name");
    let org = card.get("org");
    let vcard = opt_str(Some(card), "vcard").filter(|v| !v.is_empty());
    ContactCard {
        formatted_name: opt_str(name, "formatted_name")
            .filter(|n| !n.is_empty())
            .or_else(|| vcard.as_deref().and_then(vcard_formatted_name))
            .unwrap_or_default(),
        first_name: opt_str(name, "first_name"),
        last_name: opt_str(name, "last_name"),
        phones: card
            .get("phones")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| ContactPhone {
                phone: str_at(Some(p), "phone"),
                wa_id: opt_str(Some(p), "wa_id"),
                kind: opt_str(Some(p), "type"),
            })
            .collect(),
        emails: card
            .get("emails")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|e| ContactEmail {
                email: str_at(Some(e), "email"),
                kind: opt_str(Some(e), "type"),
            })
            .collect(),
        organization: opt_str(org, "company"),
        urls: card
            .get("urls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|u| match u {
                Value::String(s) => Some(s.to_string()),
                other => opt_str(Some(other), "url"),
            })
            .collect(),
        birthday: opt_str(Some(card), "birthday"),
        vcard,
    }
}

fn parse_order(body: Option<&Value>) -> Order {
    Order {
        catalog_id: str_at(body, "catalog_id"),
        text: opt_str(body, "text"),
        items: body
            .and_then(|b| b.get("product_items"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|item| OrderItem {
                product_retailer_id: str_at(Some(item), "product_retailer_id"),
                quantity: int_at(Some(item), "quantity")
                    .and_then(|q| u32::try_from(q).ok())
                    .unwrap_or(0),
                item_price: float_at(Some(item), "item_price"),
                currency: str_at(Some(item), "currency"),
            })
            .collect(),
    }
}

fn parse_referral(r: &Map) -> Referral {
    let v = |k: &str| opt_str_map(r, k);
    Referral {
        source_url: v("source_url").unwrap_or_default(),
        source_type: v("source_type").unwrap_or_default(),
        source_id: v("source_id").unwrap_or_default(),
        headline: v("headline"),
        body: v("body"),
        media_type: v("media_type"),
        image_url: v("image_url"),
        video_url: v("video_url"),
        thumbnail_url: v("thumbnail_url"),
        ctwa_clid: v("ctwa_clid"),
        welcome_message: opt_str(r.get("welcome_message"), "text"),
        ref_: v("ref"),
    }
}

fn parse_status(raw: &Value, origin: &Origin, contacts: &Contacts) -> Option<StatusUpdate> {
    let message_id = string_id(raw)?;
    let status = match str_at(Some(raw), "status").as_str() {
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "read" => DeliveryStatus::Read,
        "failed" => DeliveryStatus::Failed,
        "deleted" => DeliveryStatus::Deleted,
        other => DeliveryStatus::Other(truncate(other, 64)),
    };
    let conversation = raw
        .get("conversation")
        .and_then(Value::as_object)
        .map(|c| Conversation {
            id: opt_str_map(c, "id").unwrap_or_default(),
            origin: opt_str(c.get("origin"), "type"),
            expires_at: c
                .get("expiration_timestamp")
                .map(|t| timestamp(Some(t)))
                .filter(|t| *t > 0),
        });
    let pricing = raw
        .get("pricing")
        .and_then(Value::as_object)
        .map(|p| Pricing {
            billable: bool_at(p, "billable"),
            model: opt_str_map(p, "pricing_model").unwrap_or_default(),
            category: opt_str_map(p, "category").unwrap_or_default(),
            kind: opt_str_map(p, "type"),
        });
    // A status of a group message names the group as its recipient and the participant
    // it is about in `recipient_participant_*`.
    let field = |key: &str| opt_str(Some(raw), key).filter(|v| !v.is_empty());
    let (recipient, group_id) = if str_at(Some(raw), "recipient_type") == "group" {
        (
            contacts.user(
                field("recipient_participant_id"),
                field("recipient_participant_user_id"),
                field("recipient_participant_parent_user_id"),
            ),
            field("recipient_id"),
        )
    } else {
        (
            contacts.user(
                field("recipient_id"),
                field("recipient_user_id"),
                field("recipient_parent_user_id"),
            ),
            None,
        )
    };
    Some(StatusUpdate {
        message_id,
        status,
        timestamp: timestamp(raw.get("timestamp")),
        recipient,
        group_id,
        business_account_id: origin.business_account_id.to_string(),
        phone_number_id: origin.phone_number_id.clone(),
        conversation,
        pricing,
        errors: parse_errors(raw.get("errors")),
        biz_opaque_callback_data: opt_str(Some(raw), "biz_opaque_callback_data"),
        raw_json: raw_json(raw),
    })
}

fn parse_errors(errors: Option<&Value>) -> Vec<ErrorDetail> {
    errors
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| ErrorDetail {
            code: int_at(Some(e), "code").unwrap_or(0),
            title: str_at(Some(e), "title"),
            message: opt_str(Some(e), "message"),
            details: opt_str(e.get("error_data"), "details"),
            href: opt_str(Some(e), "href"),
        })
        .collect()
}

/// The `text` convenience: body, caption, chosen reply's title; empty when none.
fn convenience_text(content: &Content) -> String {
    match content {
        Content::Text(body) => body.clone(),
        Content::Image(m) | Content::Video(m) | Content::Document(m) => {
            m.caption.clone().unwrap_or_default()
        }
        Content::Audio(a) => a.media.caption.clone().unwrap_or_default(),
        Content::Sticker(s) => s.media.caption.clone().unwrap_or_default(),
        Content::ButtonReply(b) => b.title.clone(),
        Content::ListReply(l) => l.title.clone(),
        Content::FlowReply(f) => f.body.clone(),
        Content::TemplateButton(b) => b.text.clone(),
        Content::Order(o) => o.text.clone().unwrap_or_default(),
        Content::Edit(edit) => match &edit.content {
            EditedContent::Text(body) => body.clone(),
            EditedContent::Image(m) | EditedContent::Video(m) | EditedContent::Document(m) => {
                m.caption.clone().unwrap_or_default()
            }
            EditedContent::Other(_) => String::new(),
        },
        Content::Location(_)
        | Content::Contacts(_)
        | Content::Reaction(_)
        | Content::System(_)
        | Content::RequestWelcome
        | Content::Revoke(_)
        | Content::CallPermissionReply(_)
        | Content::Unsupported(_)
        | Content::Unknown(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn envelope(value: Value) -> Vec<u8> {
        serde_json::json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}]
        })
        .to_string()
        .into_bytes()
    }

    fn one_message(message: Value) -> Message {
        let body = envelope(serde_json::json!({
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550100", "phone_number_id": "PNID"},
            "contacts": [{"profile": {"name": "Ana"}, "wa_id": "16505551234"}],
            "messages": [message]
        }));
        let batch = parse(&body).unwrap();
        match batch.events.as_slice() {
            [Event::Message(m)] => (**m).clone(),
            other => panic!("expected one message, got {other:?}"),
        }
    }

    #[test]
    fn a_text_message_carries_sender_name_ids_and_text() {
        let m = one_message(serde_json::json!({
            "from": "16505551234", "id": "wamid.A", "timestamp": "1732147200",
            "type": "text", "text": {"body": "hi"}
        }));
        assert_eq!(m.id, "wamid.A");
        assert_eq!(m.sender.phone.as_deref(), Some("16505551234"));
        assert_eq!(m.sender.name.as_deref(), Some("Ana"));
        assert_eq!(m.timestamp, 1_732_147_200);
        assert_eq!(m.phone_number_id, "PNID");
        assert_eq!(m.display_phone_number, "15550100");
        assert!(matches!(m.content, Content::Text(ref b) if b == "hi"));
        assert_eq!(m.text, "hi");
        assert!(m.raw_json.contains("\"wamid.A\""));
    }

    #[test]
    fn raw_json_is_each_object_exactly_as_meta_wrote_it() {
        // Meta's encoder escapes `/` and non-ASCII; the raw-json keeps its bytes.
        let message = r#"{"from":"16505551234","id":"wamid.B","timestamp":"1","type":"text","text":{"body":"caf\u00e9 \/ ok"}}"#;
        let status = r#"{ "id": "wamid.C", "status": "read", "timestamp": "2", "recipient_id": "16505551234" }"#;
        let body = format!(
            r#"{{"object":"whatsapp_business_account","entry":[{{"id":"WABA","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550100","phone_number_id":"PNID"}},"messages":[{message}],"statuses":[{status}]}}}}]}}]}}"#
        );
        let batch = parse(body.as_bytes()).unwrap();
        match batch.events.as_slice() {
            [Event::Message(m), Event::Status(s)] => {
                assert_eq!(m.raw_json, message);
                assert_eq!(m.text, "café / ok");
                assert_eq!(s.raw_json, status);
            }
            other => panic!("expected a message and a status, got {other:?}"),
        }
    }

    #[test]
    fn a_reaction_without_emoji_is_a_removal() {
        let m = one_message(serde_json::json!({
            "from": "1", "id": "wamid.R", "timestamp": "1", "type": "reaction",
            "reaction": {"message_id": "wamid.X"}
        }));
        assert!(matches!(
            m.content,
            Content::Reaction(Reaction { emoji: None, .. })
        ));
        let m = one_message(serde_json::json!({
            "from": "1", "id": "wamid.R", "timestamp": "1", "type": "reaction",
            "reaction": {"message_id": "wamid.X", "emoji": ""}
        }));
        assert!(matches!(
            m.content,
            Content::Reaction(Reaction { emoji: None, .. })
        ));
    }

    #[test]
    fn unknown_types_keep_their_name_and_raw_json() {
        let m = one_message(serde_json::json!({
            "from": "1", "id": "wamid.U", "timestamp": "1", "type": "poll_vote",
            "poll_vote": {"option": 2}
        }));
        assert!(matches!(m.content, Content::Unknown(ref t) if t == "poll_vote"));
        assert!(m.raw_json.contains("poll_vote"));
        assert_eq!(m.text, "");
    }

    #[test]
    fn every_message_and_status_of_a_batch_is_returned() {
        let change = |n: usize| {
            serde_json::json!({"field": "messages", "value": {
                "metadata": {"phone_number_id": "P", "display_phone_number": "1"},
                "messages": [
                    {"from": "2", "id": format!("wamid.{n}a"), "type": "text", "text": {"body": "a"}},
                    {"from": "2", "id": format!("wamid.{n}b"), "type": "text", "text": {"body": "b"}}
                ],
                "statuses": [{"id": format!("wamid.{n}s"), "status": "read", "recipient_id": "2"}]
            }})
        };
        let body = serde_json::json!({"object": "whatsapp_business_account", "entry": [
            {"id": "1", "changes": [change(1), change(2)]},
            {"id": "2", "changes": [change(3), {"field": "account_update", "value": {}}]}
        ]});
        let batch = parse(body.to_string().as_bytes()).unwrap();
        assert_eq!(batch.events.len(), 10);
        assert!(batch.skipped.is_empty());
        assert!(matches!(
            batch.events.last(),
            Some(Event::Update(u)) if u.field == "account_update"
        ));
    }

    #[test]
    fn wrong_types_do_not_reject_the_batch() {
        let body = serde_json::json!({"object": "whatsapp_business_account", "entry": [
            {"changes": "nope"},
            {"changes": [{"field": "messages", "value": []}]},
            {"changes": [{"field": "messages", "value": {"messages": {"a": 1}, "statuses": [1, "x"]}}]},
            {"changes": [{"field": "messages", "value": {"messages": [
                {"id": 5, "from": "1", "type": "text", "text": {"body": "numeric id"}},
                {"id": "wamid.W", "from": 16505551234u64, "timestamp": 1732147200, "type": "text", "text": "oops"}
            ]}}]}
        ]});
        let batch = parse(body.to_string().as_bytes()).unwrap();
        assert_eq!(batch.events.len(), 1);
        let Some(Event::Message(m)) = batch.events.first() else {
            panic!("no message")
        };
        assert_eq!(m.id, "wamid.W");
        assert_eq!(m.sender.phone.as_deref(), Some("16505551234"));
        assert_eq!(m.timestamp, 1_732_147_200);
        assert!(matches!(m.content, Content::Text(ref b) if b.is_empty()));
        assert!(batch.skipped.contains(&Skipped::BadValue));
        assert!(batch.skipped.contains(&Skipped::NoId("status")));
    }

    #[test]
    fn bodies_that_are_not_webhooks_are_errors() {
        assert_eq!(parse(b"not json").unwrap_err(), PayloadError::NotJson);
        assert_eq!(parse(&[0xff, 0xfe]).unwrap_err(), PayloadError::NotJson);
        assert_eq!(parse(b"[]").unwrap_err(), PayloadError::NotWebhook);
        assert_eq!(parse(b"{}").unwrap_err(), PayloadError::NotWebhook);
        assert_eq!(
            parse(br#"{"object":"page","entry":[]}"#).unwrap_err(),
            PayloadError::OtherObject("page".into())
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        assert_eq!(parse(deep.as_bytes()).unwrap_err(), PayloadError::NotJson);
    }

    fn batch_of(value: Value) -> Batch {
        parse(&envelope(value)).unwrap()
    }

    #[test]
    fn a_username_only_sender_has_user_ids_and_no_phone() {
        let batch = batch_of(serde_json::json!({
            "metadata": {"display_phone_number": "15550100", "phone_number_id": "PNID"},
            "contacts": [{"profile": {"name": "Chen", "username": "chenwei"},
                          "user_id": "CN.1349", "parent_user_id": "CN.ENT.1181"}],
            "messages": [{"from_user_id": "CN.1349", "from_parent_user_id": "CN.ENT.1181",
                          "id": "wamid.U", "timestamp": "1", "type": "text", "text": {"body": "hi"}}]
        }));
        let [Event::Message(m)] = batch.events.as_slice() else {
            panic!("{batch:?}")
        };
        assert_eq!(m.sender.phone, None);
        assert_eq!(m.sender.user_id.as_deref(), Some("CN.1349"));
        assert_eq!(m.sender.parent_user_id.as_deref(), Some("CN.ENT.1181"));
        assert_eq!(m.sender.username.as_deref(), Some("chenwei"));
        assert_eq!(m.sender.name.as_deref(), Some("Chen"));
    }

    #[test]
    fn a_sender_without_from_user_id_gets_it_from_its_contact() {
        let batch = batch_of(serde_json::json!({
            "contacts": [{"profile": {"name": "Bo"}, "wa_id": "2", "user_id": "US.2"},
                         {"profile": {"name": "Al"}, "wa_id": "1", "user_id": "US.1"}],
            "messages": [{"from": "1", "id": "wamid.1", "type": "text", "text": {"body": "a"}},
                         {"from": "2", "id": "wamid.2", "type": "text", "text": {"body": "b"}}]
        }));
        let users: Vec<_> = batch
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Message(m) => Some((m.sender.user_id.clone(), m.sender.name.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            users,
            vec![
                (Some("US.1".into()), Some("Al".into())),
                (Some("US.2".into()), Some("Bo".into())),
            ]
        );
    }

    #[test]
    fn a_lone_contact_of_another_user_is_not_the_senders() {
        let batch = batch_of(serde_json::json!({
            "contacts": [{"profile": {"name": "Bo"}, "wa_id": "2", "user_id": "US.2"}],
            "messages": [{"from": "1", "id": "wamid.1", "type": "text", "text": {"body": "a"}}]
        }));
        let [Event::Message(m)] = batch.events.as_slice() else {
            panic!("{batch:?}")
        };
        assert_eq!(m.sender.phone.as_deref(), Some("1"));
        assert_eq!(
            (m.sender.user_id.clone(), m.sender.name.clone()),
            (None, None)
        );
    }

    #[test]
    fn group_statuses_are_about_their_participant() {
        let batch = batch_of(serde_json::json!({
            "statuses": [
                {"id": "wamid.G", "status": "read", "recipient_id": "GROUP1", "recipient_type": "group",
                 "recipient_participant_id": "1", "recipient_participant_user_id": "US.1"},
                {"id": "wamid.G", "status": "read", "recipient_id": "GROUP1", "recipient_type": "group",
                 "recipient_participant_user_id": "US.2", "recipient_participant_parent_user_id": "US.ENT.9"}
            ]
        }));
        let recipients: Vec<_> = batch
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Status(s) => Some((
                    s.group_id.clone(),
                    s.recipient.phone.clone(),
                    s.recipient.user_id.clone(),
                    s.recipient.parent_user_id.clone(),
                )),
                _ => None,
            })
            .collect();
        assert_eq!(
            recipients,
            vec![
                (
                    Some("GROUP1".into()),
                    Some("1".into()),
                    Some("US.1".into()),
                    None
                ),
                (
                    Some("GROUP1".into()),
                    None,
                    Some("US.2".into()),
                    Some("US.ENT.9".into())
                ),
            ]
        );
    }

    #[test]
    fn edits_and_deletions_name_the_original_message() {
        let m = one_message(serde_json::json!({
            "from": "1", "id": "wamid.E", "type": "edit",
            "edit": {"original_message_id": "wamid.O", "message": {"type": "image", "image": {"id": "9", "caption": "new caption"}}}
        }));
        let Content::Edit(edit) = &m.content else {
            panic!("{:?}", m.content)
        };
        assert_eq!(edit.original_message_id, "wamid.O");
        assert!(matches!(&edit.content, EditedContent::Image(media) if media.id == "9"));
        assert_eq!(m.text, "new caption");
        let m = one_message(serde_json::json!({
            "from": "1", "id": "wamid.R", "type": "revoke", "revoke": {"original_message_id": "wamid.O"}
        }));
        assert!(matches!(&m.content, Content::Revoke(r) if r.original_message_id == "wamid.O"));
        assert_eq!(m.text, "");
    }

    #[test]
    fn a_card_with_only_a_vcard_is_named_from_it() {
        let vcard = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Doe;Jane;;;\r\nFN;CHARSET=UTF-8:Jane\r\n  Doe\\, PhD\r\nEND:VCARD";
        let m = one_message(serde_json::json!({
            "from": "1", "id": "wamid.C", "type": "contacts", "contacts": [{"vcard": vcard}]
        }));
        let Content::Contacts(cards) = &m.content else {
            panic!()
        };
        assert_eq!(cards[0].formatted_name, "Jane Doe, PhD");
        assert_eq!(cards[0].vcard.as_deref(), Some(vcard));
        assert_eq!(vcard_formatted_name("BEGIN:VCARD\nEND:VCARD"), None);
    }

    #[test]
    fn other_fields_are_typed_updates_with_their_raw_value() {
        let body = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "time": 1751247548, "changes": [
            {"field": "message_template_status_update", "value": {"event": "REJECTED", "message_template_id": 77,
              "message_template_name": "cart", "message_template_language": "en", "reason": "INVALID_FORMAT",
              "rejection_info": {"reason": "adjacent parameters"}}},
            {"field": "calls", "value": {"calls": []}}
        ]}]});
        let batch = parse(body.to_string().as_bytes()).unwrap();
        let [Event::Update(template), Event::Update(calls)] = batch.events.as_slice() else {
            panic!("{batch:?}")
        };
        assert_eq!(template.business_account_id, "WABA");
        assert_eq!(template.timestamp, 1_751_247_548);
        let UpdateDetails::TemplateStatus(t) = &template.details else {
            panic!()
        };
        assert_eq!(
            (t.event.as_str(), t.template_id.as_str(), t.name.as_str()),
            ("REJECTED", "77", "cart")
        );
        assert_eq!(t.detail.as_deref(), Some("adjacent parameters"));
        assert_eq!(calls.field, "calls");
        assert!(matches!(calls.details, UpdateDetails::Other));
        assert_eq!(calls.raw_json, r#"{"calls":[]}"#);
    }

    #[test]
    fn a_changes_errors_are_an_update() {
        let batch = batch_of(serde_json::json!({
            "metadata": {"phone_number_id": "PNID"},
            "errors": [{"code": 130429, "title": "Rate limit hit"}]
        }));
        let [Event::Update(u)] = batch.events.as_slice() else {
            panic!("{batch:?}")
        };
        assert_eq!(u.field, "messages");
        assert_eq!(u.phone_number_id.as_deref(), Some("PNID"));
        assert!(
            matches!(&u.details, UpdateDetails::Errors(e) if e.len() == 1 && e[0].code == 130429)
        );
    }
}
