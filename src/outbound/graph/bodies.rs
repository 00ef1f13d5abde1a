//! The bodies of every message but templates: text, media, voice notes, location,
//! location requests, contacts, reply buttons, lists, CTA URL buttons, flows, reactions
//! and read receipts.
//!
//! This file guards the JSON Meta gets for each of them: each builder checks the
//! message against Meta's limits ([`crate::outbound::limits`]) and wraps its payload in
//! the common envelope ([`super::recipient`]: recipient, quote, callback data). Optional
//! texts that are empty or only whitespace are left out, like absent ones.

use serde_json::{json, Map, Value};

use super::{put, string};

use super::recipient::{envelope, Address};
use crate::outbound::limits::{self, media_kind_name, present};
use crate::types::{
    ButtonsMessage, ContactCard, ContactsMessage, CtaUrlMessage, FlowAction, FlowMessage, FlowRef,
    InteractiveHeader, InvalidRequest, ListMessage, LocationMessage, LocationRequestMessage,
    MediaMessage, MediaSource, ReactionMessage, ReadReceipt, TextMessage, VoiceMessage,
};

pub(super) fn insert_present(object: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(text) = present(value) {
        put(object, key, string(text));
    }
}

/// `{"id": ...}` or `{"link": ...}`.
pub(super) fn media_object(source: &MediaSource) -> Map<String, Value> {
    let mut object = Map::new();
    match source {
        MediaSource::Id(id) => put(&mut object, "id", string(id)),
        MediaSource::Link(link) => put(&mut object, "link", string(link)),
    };
    object
}

/// One part of a text message:
/// `{"type":"text","text":{"body":...,"preview_url":...}}` plus the envelope of
/// `message`, addressed by `address` (its recipient and callback data, checked once for
/// all the parts). `part` is the text as it will be sent (already converted and split);
/// `quote`: this part carries the message's `reply-to` (the first part of a split text
/// does, the others do not). The body is JSON text, written directly
/// ([`Address::text_body`]).
pub fn text_body(
    address: &Address,
    message: &TextMessage,
    part: &str,
    quote: bool,
) -> Result<String, InvalidRequest> {
    limits::validate_text_part(part)?;
    Ok(address.text_body(
        part,
        message.preview_url,
        message.reply_to.as_deref().filter(|_| quote),
    ))
}

/// A media message: `{"type":K, K:{"id"|"link", "caption"?, "filename"?}}`; caption for
/// image, video and document, file name for document (others are rejected by
/// [`limits::validate_media`]).
pub fn media_body(message: &MediaMessage) -> Result<Value, InvalidRequest> {
    limits::validate_media(message)?;
    let mut object = media_object(&message.source);
    insert_present(&mut object, "caption", &message.caption);
    insert_present(&mut object, "filename", &message.filename);
    envelope(
        &message.to,
        media_kind_name(message.kind),
        Value::Object(object),
        message.reply_to.as_deref(),
        &message.biz_opaque_callback_data,
    )
}

/// A location: `{"type":"location","location":{"latitude","longitude","name"?,"address"?}}`.
pub fn location_body(message: &LocationMessage) -> Result<Value, InvalidRequest> {
    limits::validate_location(message)?;
    let mut object = Map::new();
    put(&mut object, "latitude", json!(message.latitude));
    put(&mut object, "longitude", json!(message.longitude));
    insert_present(&mut object, "name", &message.name);
    insert_present(&mut object, "address", &message.address);
    envelope(
        &message.to,
        "location",
        Value::Object(object),
        message.reply_to.as_deref(),
        &message.biz_opaque_callback_data,
    )
}

/// One card of a contacts message.
///
/// Meta wants at least one name part besides `formatted_name`; when the card has
/// neither first nor last name, the formatted name is also sent as `first_name`.
fn contact_object(card: &ContactCard) -> Value {
    let mut name = Map::new();
    put(&mut name, "formatted_name", string(&card.formatted_name));
    insert_present(&mut name, "first_name", &card.first_name);
    insert_present(&mut name, "last_name", &card.last_name);
    if present(&card.first_name).is_none() && present(&card.last_name).is_none() {
        put(&mut name, "first_name", string(&card.formatted_name));
    }
    let mut contact = Map::new();
    put(&mut contact, "name", Value::Object(name));
    if !card.phones.is_empty() {
        let phones: Vec<Value> = card
            .phones
            .iter()
            .map(|p| {
                let mut phone = Map::new();
                put(&mut phone, "phone", string(&p.phone));
                insert_present(&mut phone, "type", &p.kind);
                insert_present(&mut phone, "wa_id", &p.wa_id);
                Value::Object(phone)
            })
            .collect();
        put(&mut contact, "phones", Value::Array(phones));
    }
    if !card.emails.is_empty() {
        let emails: Vec<Value> = card
            .emails
            .iter()
            .map(|e| {
                let mut email = Map::new();
                put(&mut email, "email", string(&e.email));
                insert_present(&mut email, "type", &e.kind);
                Value::Object(email)
            })
            .collect();
        put(&mut contact, "emails", Value::Array(emails));
    }
    if let Some(company) = present(&card.organization) {
        put(&mut contact, "org", json!({ "company": company }));
    }
    if !card.urls.is_empty() {
        let urls: Vec<Value> = card.urls.iter().map(|u| json!({ "url": u })).collect();
        put(&mut contact, "urls", Value::Array(urls));
    }
    insert_present(&mut contact, "birthday", &card.birthday);
    Value::Object(contact)
}

/// Contact cards: `{"type":"contacts","contacts":[{"name":{...},"phones":[...],...}]}`.
pub fn contacts_body(message: &ContactsMessage) -> Result<Value, InvalidRequest> {
    limits::validate_contacts(message)?;
    let contacts: Vec<Value> = message.contacts.iter().map(contact_object).collect();
    envelope(
        &message.to,
        "contacts",
        Value::Array(contacts),
        message.reply_to.as_deref(),
        &message.biz_opaque_callback_data,
    )
}

fn text_header(text: &str) -> Value {
    json!({ "type": "text", "text": text })
}

fn interactive_header(header: &InteractiveHeader) -> Value {
    let (kind, source) = match header {
        InteractiveHeader::Text(text) => return text_header(text),
        InteractiveHeader::Image(source) => ("image", source),
        InteractiveHeader::Video(source) => ("video", source),
        InteractiveHeader::Document(source) => ("document", source),
    };
    let mut object = Map::new();
    put(&mut object, "type", string(kind));
    object.insert(kind.to_string(), Value::Object(media_object(source)));
    Value::Object(object)
}

/// `{"type":T,"header"?,"body":{"text"},"footer"?:{"text"},"action":...}`.
fn interactive(
    kind: &str,
    header: Option<Value>,
    body: &str,
    footer: &Option<String>,
    action: Value,
) -> Value {
    let mut object = Map::new();
    put(&mut object, "type", string(kind));
    if let Some(header) = header {
        put(&mut object, "header", header);
    }
    put(&mut object, "body", json!({ "text": body }));
    if let Some(footer) = present(footer) {
        put(&mut object, "footer", json!({ "text": footer }));
    }
    put(&mut object, "action", action);
    Value::Object(object)
}

/// Reply buttons: `{"type":"interactive","interactive":{"type":"button",...,
/// "action":{"buttons":[{"type":"reply","reply":{"id","title"}}]}}}`.
pub fn buttons_body(message: &ButtonsMessage) -> Result<Value, InvalidRequest> {
    limits::validate_buttons(message)?;
    let buttons: Vec<Value> = message
        .buttons
        .iter()
        .map(|b| json!({ "type": "reply", "reply": { "id": b.id, "title": b.title } }))
        .collect();
    let header = message.header.as_ref().map(interactive_header);
    let payload = interactive(
        "button",
        header,
        &message.body,
        &message.footer,
        json!({ "buttons": buttons }),
    );
    envelope(
        &message.to,
        "interactive",
        payload,
        message.reply_to.as_deref(),
        &message.biz_opaque_callback_data,
    )
}

/// A list: `{"type":"interactive","interactive":{"type":"list",...,
/// "action":{"button":...,"sections":[{"title"?,"rows":[{"id","title","description"?}]}]}}}`.
pub fn list_body(message: &ListMessage) -> Result<Value, InvalidRequest> {
    limits::validate_list(message)?;
    let sections: Vec<Value> = message
        .sections
        .iter()
        .map(|section| {
            let rows: Vec<Value> = section
                .rows
                .iter()
                .map(|row| {
                    let mut object = Map::new();
                    put(&mut object, "id", string(&row.id));
                    put(&mut object, "title", string(&row.title));
                    insert_present(&mut object, "description", &row.description);
                    Value::Object(object)
                })
                .collect();
            let mut object = Map::new();
            insert_present(&mut object, "title", &section.title);
            put(&mut object, "rows", Value::Array(rows));
            Value::Object(object)
        })
        .collect();
    let payload = interactive(
        "list",
        present(&message.header).map(text_header),
        &message.body,
        &message.footer,
        json!({ "button": message.button, "sections": sections }),
    );
    envelope(
        &message.to,
        "interactive",
        payload,
        message.reply_to.as_deref(),
        &message.biz_opaque_callback_data,
    )
}

/// A CTA URL button: `{"type":"interactive","interactive":{"type":"cta_url",...,
/// "action":{"name":"cta_url","parameters":{"display_text","url"}}}}`.
pub fn cta_url_body(message: &CtaUrlMessage) -> Result<Value, InvalidRequest> {
    limits::validate_cta_url(message)?;
    let payload = interactive(
        "cta_url",
        present(&message.header).map(text_header),
        &message.body,
        &message.footer,
        json!({
            "name": "cta_url",
            "parameters": { "display_text": message.display_text, "url": message.url }
        }),
    );
    envelope(
        &message.to,
        "interactive",
        payload,
        message.reply_to.as_deref(),
        &message.biz_opaque_callback_data,
    )
}

/// A voice note: `{"type":"audio","audio":{"id"|"link","voice":true}}`.
pub fn voice_body(message: &VoiceMessage) -> Result<Value, InvalidRequest> {
    limits::validate_voice(message)?;
    let mut object = media_object(&message.source);
    put(&mut object, "voice", json!(true));
    envelope(
        &message.to,
        "audio",
        Value::Object(object),
        message.reply_to.as_deref(),
        &message.biz_opaque_callback_data,
    )
}

/// A location request: `{"type":"interactive","interactive":{"type":
/// "location_request_message","body":{"text"},"action":{"name":"send_location"}}}`.
pub fn location_request_body(message: &LocationRequestMessage) -> Result<Value, InvalidRequest> {
    limits::validate_location_request(message)?;
    let payload = interactive(
        "location_request_message",
        None,
        &message.body,
        &None,
        json!({ "name": "send_location" }),
    );
    envelope(
        &message.to,
        "interactive",
        payload,
        message.reply_to.as_deref(),
        &message.biz_opaque_callback_data,
    )
}

/// A flow message: `{"type":"interactive","interactive":{"type":"flow","header"?,"body",
/// "footer"?,"action":{"name":"flow","parameters":{"flow_message_version":"3",
/// "flow_token","flow_id"|"flow_name","flow_cta","flow_action":"navigate"|"data_exchange",
/// "flow_action_payload"?:{"screen","data"?},"mode"?:"draft"}}}}`. The payload goes only
/// with `navigate`; `mode` only for a draft (Meta's default is `published`).
pub fn flow_body(message: &FlowMessage) -> Result<Value, InvalidRequest> {
    limits::validate_flow(message)?;
    let mut parameters = Map::new();
    put(&mut parameters, "flow_message_version", string("3"));
    put(&mut parameters, "flow_token", string(&message.flow_token));
    match &message.flow {
        FlowRef::Id(id) => put(&mut parameters, "flow_id", string(id)),
        FlowRef::Name(name) => put(&mut parameters, "flow_name", string(name)),
    };
    put(&mut parameters, "flow_cta", string(&message.cta));
    match &message.action {
        FlowAction::Navigate(navigate) => {
            put(&mut parameters, "flow_action", string("navigate"));
            let mut payload = Map::new();
            put(&mut payload, "screen", string(&navigate.screen));
            if let Some(data) = present(&navigate.data_json) {
                // Checked by `validate_flow`: a JSON object.
                let data: Value = serde_json::from_str(data).map_err(|_| InvalidRequest {
                    field: "action.data-json".into(),
                    reason: "must be a JSON object, got text that is not JSON".into(),
                })?;
                put(&mut payload, "data", data);
            }
            put(
                &mut parameters,
                "flow_action_payload",
                Value::Object(payload),
            );
        }
        FlowAction::DataExchange => {
            put(&mut parameters, "flow_action", string("data_exchange"));
        }
    }
    if message.draft {
        put(&mut parameters, "mode", string("draft"));
    }
    let payload = interactive(
        "flow",
        present(&message.header).map(text_header),
        &message.body,
        &message.footer,
        json!({ "name": "flow", "parameters": Value::Object(parameters) }),
    );
    envelope(
        &message.to,
        "interactive",
        payload,
        message.reply_to.as_deref(),
        &message.biz_opaque_callback_data,
    )
}

/// A reaction: `{"type":"reaction","reaction":{"message_id","emoji"}}`; an empty emoji
/// removes the reaction.
pub fn reaction_body(message: &ReactionMessage) -> Result<Value, InvalidRequest> {
    limits::validate_reaction(message)?;
    envelope(
        &message.to,
        "reaction",
        json!({ "message_id": message.message_id, "emoji": message.emoji }),
        None,
        &message.biz_opaque_callback_data,
    )
}

/// A read receipt: `{"messaging_product":"whatsapp","status":"read","message_id"}` plus
/// `"typing_indicator":{"type":"text"}` when `typing`.
pub fn mark_read_body(receipt: &ReadReceipt) -> Result<Value, InvalidRequest> {
    limits::validate_read_receipt(receipt)?;
    let mut body = json!({
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": receipt.message_id,
    });
    if receipt.typing {
        if let Some(object) = body.as_object_mut() {
            put(object, "typing_indicator", json!({ "type": "text" }));
        }
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ContactEmail, ContactPhone, ListRow, ListSection, MediaKind, ReplyButton};

    fn text_message(to: &str, reply_to: Option<&str>, preview_url: bool) -> TextMessage {
        TextMessage {
            to: to.into(),
            body: "ignored: the part is given".into(),
            format: crate::types::TextFormat::Raw,
            preview_url,
            reply_to: reply_to.map(str::to_string),
            phone_number_id: None,
            biz_opaque_callback_data: None,
        }
    }

    /// One part of `message`, addressed as `text_bodies` addresses it.
    fn text_part(message: &TextMessage, part: &str, quote: bool) -> Result<String, InvalidRequest> {
        Address::check(&message.to, &message.biz_opaque_callback_data)
            .and_then(|address| text_body(&address, message, part, quote))
    }

    /// A text body read back as JSON.
    fn read(body: Result<String, InvalidRequest>) -> Option<Value> {
        serde_json::from_str(&body.ok()?).ok()
    }

    fn part(to: &str, body: &str, preview_url: bool, reply_to: Option<&str>) -> Option<Value> {
        read(text_part(
            &text_message(to, reply_to, preview_url),
            body,
            true,
        ))
    }

    #[test]
    fn text() {
        assert_eq!(
            part("+1 555 0100", "Hello *world*", false, None),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "text",
                "text": {"body": "Hello *world*", "preview_url": false}
            }))
        );
        assert_eq!(
            part("15550100", "see https://x.y", true, Some("wamid.Q")),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "text",
                "text": {"body": "see https://x.y", "preview_url": true},
                "context": {"message_id": "wamid.Q"}
            }))
        );
        // A part that does not quote leaves the context out.
        assert_eq!(
            read(text_part(
                &text_message("15550100", Some("wamid.Q"), true),
                "more",
                false
            )),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "text",
                "text": {"body": "more", "preview_url": true}
            }))
        );
        // A blank reply-to counts as none.
        assert_eq!(
            part("1", "x", false, Some(" ")),
            part("1", "x", false, None)
        );
        assert_eq!(
            text_part(&text_message("1", None, false), "", true)
                .err()
                .map(|e| e.field),
            Some("body".into())
        );
        assert_eq!(
            text_part(&text_message("", None, false), "x", true)
                .err()
                .map(|e| e.field),
            Some("to".into())
        );
        assert!(text_part(&text_message("1", None, false), &"a".repeat(4097), true).is_err());
    }

    #[test]
    fn text_to_a_user_id_a_group_and_with_callback_data() {
        assert_eq!(
            part("US.13491208655302741918", "Hi", false, Some("wamid.I")),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "recipient": "US.13491208655302741918",
                "type": "text",
                "text": {"body": "Hi", "preview_url": false},
                "context": {"message_id": "wamid.I"}
            }))
        );
        let mut m = text_message("group:120363025246125486", None, false);
        m.biz_opaque_callback_data = Some("ticket=8812".into());
        assert_eq!(
            read(text_part(&m, "Hello group", true)),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "group",
                "to": "120363025246125486",
                "type": "text",
                "text": {"body": "Hello group", "preview_url": false},
                "biz_opaque_callback_data": "ticket=8812"
            }))
        );
        // Every part carries the callback data, quoting or not.
        assert_eq!(
            read(text_part(&m, "part 2", false)).map(|b| b["biz_opaque_callback_data"].clone()),
            Some(json!("ticket=8812"))
        );
        m.biz_opaque_callback_data = Some("x".repeat(513));
        let e = text_part(&m, "Hi", true).expect_err("too long");
        assert_eq!(
            (e.field.as_str(), e.reason.as_str()),
            (
                "biz-opaque-callback-data",
                "at most 512 characters, got 513"
            )
        );
    }

    #[test]
    fn callback_data_on_every_kind_of_message() {
        let data = || Some("cb-1".to_string());
        let mut media = media(MediaKind::Image, MediaSource::Id("1".into()));
        media.biz_opaque_callback_data = data();
        let location = LocationMessage {
            to: "1".into(),
            latitude: 1.0,
            longitude: 2.0,
            name: None,
            address: None,
            reply_to: None,
            phone_number_id: Some("ignored here: it picks the URL".into()),
            biz_opaque_callback_data: data(),
        };
        let contacts = ContactsMessage {
            to: "1".into(),
            contacts: vec![ContactCard {
                formatted_name: "Ann".into(),
                first_name: None,
                last_name: None,
                phones: vec![],
                emails: vec![],
                organization: None,
                urls: vec![],
                birthday: None,
                vcard: Some("BEGIN:VCARD".into()),
            }],
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: data(),
        };
        let mut buttons = buttons_message(None);
        buttons.biz_opaque_callback_data = data();
        let list = ListMessage {
            to: "1".into(),
            body: "b".into(),
            button: "Open".into(),
            sections: vec![ListSection {
                title: None,
                rows: vec![ListRow {
                    id: "r".into(),
                    title: "R".into(),
                    description: None,
                }],
            }],
            header: None,
            footer: None,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: data(),
        };
        let cta = CtaUrlMessage {
            to: "1".into(),
            body: "b".into(),
            display_text: "Go".into(),
            url: "https://x.test".into(),
            header: None,
            footer: None,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: data(),
        };
        let reaction = ReactionMessage {
            to: "1".into(),
            message_id: "wamid.X".into(),
            emoji: "👍".into(),
            phone_number_id: None,
            biz_opaque_callback_data: data(),
        };
        for body in [
            media_body(&media),
            location_body(&location),
            contacts_body(&contacts),
            buttons_body(&buttons),
            list_body(&list),
            cta_url_body(&cta),
            reaction_body(&reaction),
        ] {
            let body = body.expect("valid");
            assert_eq!(body["biz_opaque_callback_data"], json!("cb-1"), "{body}");
            // The number to send from is not part of the body.
            assert!(body.get("phone_number_id").is_none(), "{body}");
        }
        // A received card's vCard is not sent.
        assert_eq!(
            contacts_body(&contacts)
                .ok()
                .map(|b| b["contacts"][0].clone()),
            Some(json!({"name": {"formatted_name": "Ann", "first_name": "Ann"}}))
        );
        let too_long = ReactionMessage {
            biz_opaque_callback_data: Some("é".repeat(513)),
            ..reaction
        };
        assert_eq!(
            reaction_body(&too_long).err().map(|e| e.field),
            Some("biz-opaque-callback-data".into())
        );
    }

    fn media(kind: MediaKind, source: MediaSource) -> MediaMessage {
        MediaMessage {
            to: "15550100".into(),
            kind,
            source,
            caption: None,
            filename: None,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        }
    }

    #[test]
    fn media_every_kind_by_id_and_link() {
        for (kind, name) in [
            (MediaKind::Image, "image"),
            (MediaKind::Video, "video"),
            (MediaKind::Audio, "audio"),
            (MediaKind::Document, "document"),
            (MediaKind::Sticker, "sticker"),
        ] {
            assert_eq!(
                media_body(&media(kind, MediaSource::Id("4490709327384033".into()))).ok(),
                Some(json!({
                    "messaging_product": "whatsapp",
                    "recipient_type": "individual",
                    "to": "15550100",
                    "type": name,
                    name: {"id": "4490709327384033"}
                })),
                "{name}"
            );
            let mut m = media(kind, MediaSource::Link("https://x.test/f".into()));
            m.reply_to = Some("wamid.R".into());
            assert_eq!(
                media_body(&m).ok(),
                Some(json!({
                    "messaging_product": "whatsapp",
                    "recipient_type": "individual",
                    "to": "15550100",
                    "type": name,
                    name: {"link": "https://x.test/f"},
                    "context": {"message_id": "wamid.R"}
                })),
                "{name}"
            );
        }
    }

    #[test]
    fn media_caption_and_filename() {
        let mut m = media(MediaKind::Image, MediaSource::Id("1".into()));
        m.caption = Some("Look".into());
        assert_eq!(
            media_body(&m).ok().map(|b| b["image"].clone()),
            Some(json!({"id": "1", "caption": "Look"}))
        );
        let mut m = media(
            MediaKind::Document,
            MediaSource::Link("https://x.test/r.pdf".into()),
        );
        m.caption = Some("Report".into());
        m.filename = Some("r.pdf".into());
        assert_eq!(
            media_body(&m).ok().map(|b| b["document"].clone()),
            Some(json!({"link": "https://x.test/r.pdf", "caption": "Report", "filename": "r.pdf"}))
        );
        // Blank optional texts are left out.
        let mut m = media(MediaKind::Video, MediaSource::Id("1".into()));
        m.caption = Some(" ".into());
        assert_eq!(
            media_body(&m).ok().map(|b| b["video"].clone()),
            Some(json!({"id": "1"}))
        );
        // Meta does not take a caption on audio: rejected, not silently dropped.
        let mut m = media(MediaKind::Audio, MediaSource::Id("1".into()));
        m.caption = Some("x".into());
        assert_eq!(
            media_body(&m).err().map(|e| e.field),
            Some("caption".into())
        );
    }

    #[test]
    fn location() {
        let m = LocationMessage {
            to: "15550100".into(),
            latitude: 52.5200,
            longitude: -13.405,
            name: Some("Brandenburg Gate".into()),
            address: Some("Pariser Platz, Berlin".into()),
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        };
        assert_eq!(
            location_body(&m).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "location",
                "location": {
                    "latitude": 52.52,
                    "longitude": -13.405,
                    "name": "Brandenburg Gate",
                    "address": "Pariser Platz, Berlin"
                }
            }))
        );
        let bare = LocationMessage {
            name: None,
            address: Some("".into()),
            ..m.clone()
        };
        assert_eq!(
            location_body(&bare).ok().map(|b| b["location"].clone()),
            Some(json!({"latitude": 52.52, "longitude": -13.405}))
        );
        let bad = LocationMessage {
            latitude: f64::NAN,
            ..m
        };
        assert_eq!(
            location_body(&bad).err().map(|e| e.field),
            Some("latitude".into())
        );
    }

    #[test]
    fn contacts() {
        let full = ContactCard {
            formatted_name: "Barbara J. Johnson".into(),
            first_name: Some("Barbara".into()),
            last_name: Some("Johnson".into()),
            phones: vec![
                ContactPhone {
                    phone: "+1 (940) 555-1234".into(),
                    wa_id: Some("19405551234".into()),
                    kind: Some("CELL".into()),
                },
                ContactPhone {
                    phone: "+1 (650) 555-1234".into(),
                    wa_id: None,
                    kind: None,
                },
            ],
            emails: vec![ContactEmail {
                email: "bjohnson@example.com".into(),
                kind: Some("WORK".into()),
            }],
            organization: Some("Lucky Shrub".into()),
            urls: vec!["https://www.luckyshrub.com".into()],
            birthday: Some("1999-01-23".into()),
            vcard: None,
        };
        let minimal = ContactCard {
            formatted_name: "Ann".into(),
            first_name: None,
            last_name: None,
            phones: vec![],
            emails: vec![],
            organization: Some(" ".into()),
            urls: vec![],
            birthday: None,
            vcard: None,
        };
        let m = ContactsMessage {
            to: "15550100".into(),
            contacts: vec![full, minimal],
            reply_to: Some("wamid.C".into()),
            phone_number_id: None,
            biz_opaque_callback_data: None,
        };
        assert_eq!(
            contacts_body(&m).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "contacts",
                "contacts": [
                    {
                        "name": {
                            "formatted_name": "Barbara J. Johnson",
                            "first_name": "Barbara",
                            "last_name": "Johnson"
                        },
                        "phones": [
                            {"phone": "+1 (940) 555-1234", "type": "CELL", "wa_id": "19405551234"},
                            {"phone": "+1 (650) 555-1234"}
                        ],
                        "emails": [{"email": "bjohnson@example.com", "type": "WORK"}],
                        "org": {"company": "Lucky Shrub"},
                        "urls": [{"url": "https://www.luckyshrub.com"}],
                        "birthday": "1999-01-23"
                    },
                    {
                        "name": {"formatted_name": "Ann", "first_name": "Ann"}
                    }
                ],
                "context": {"message_id": "wamid.C"}
            }))
        );
        // Only a last name: no first name is invented.
        let last_only = ContactCard {
            formatted_name: "Dr. Smith".into(),
            first_name: None,
            last_name: Some("Smith".into()),
            phones: vec![],
            emails: vec![],
            organization: None,
            urls: vec![],
            birthday: None,
            vcard: None,
        };
        let m = ContactsMessage {
            to: "1".into(),
            contacts: vec![last_only],
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        };
        assert_eq!(
            contacts_body(&m).ok().map(|b| b["contacts"][0].clone()),
            Some(json!({"name": {"formatted_name": "Dr. Smith", "last_name": "Smith"}}))
        );
        let empty = ContactsMessage {
            to: "1".into(),
            contacts: vec![],
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        };
        assert_eq!(
            contacts_body(&empty).err().map(|e| e.field),
            Some("contacts".into())
        );
    }

    fn buttons_message(header: Option<InteractiveHeader>) -> ButtonsMessage {
        ButtonsMessage {
            to: "15550100".into(),
            body: "Confirm?".into(),
            buttons: vec![
                ReplyButton {
                    id: "yes".into(),
                    title: "Yes".into(),
                },
                ReplyButton {
                    id: "no".into(),
                    title: "No".into(),
                },
            ],
            header,
            footer: None,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        }
    }

    #[test]
    fn buttons() {
        let mut m = buttons_message(Some(InteractiveHeader::Text("Order 42".into())));
        m.footer = Some("Reply within 24 h".into());
        m.reply_to = Some("wamid.B".into());
        assert_eq!(
            buttons_body(&m).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "header": {"type": "text", "text": "Order 42"},
                    "body": {"text": "Confirm?"},
                    "footer": {"text": "Reply within 24 h"},
                    "action": {
                        "buttons": [
                            {"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                            {"type": "reply", "reply": {"id": "no", "title": "No"}}
                        ]
                    }
                },
                "context": {"message_id": "wamid.B"}
            }))
        );
        assert_eq!(
            buttons_body(&buttons_message(None)).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": {"text": "Confirm?"},
                    "action": {
                        "buttons": [
                            {"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                            {"type": "reply", "reply": {"id": "no", "title": "No"}}
                        ]
                    }
                }
            }))
        );
    }

    #[test]
    fn buttons_media_headers() {
        for (header, want) in [
            (
                InteractiveHeader::Image(MediaSource::Id("111".into())),
                json!({"type": "image", "image": {"id": "111"}}),
            ),
            (
                InteractiveHeader::Video(MediaSource::Link("https://x.test/v.mp4".into())),
                json!({"type": "video", "video": {"link": "https://x.test/v.mp4"}}),
            ),
            (
                InteractiveHeader::Document(MediaSource::Link("https://x.test/d.pdf".into())),
                json!({"type": "document", "document": {"link": "https://x.test/d.pdf"}}),
            ),
        ] {
            assert_eq!(
                buttons_body(&buttons_message(Some(header)))
                    .ok()
                    .map(|b| b["interactive"]["header"].clone()),
                Some(want)
            );
        }
        let mut m = buttons_message(None);
        m.buttons.clear();
        assert_eq!(
            buttons_body(&m).err().map(|e| e.field),
            Some("buttons".into())
        );
    }

    #[test]
    fn list() {
        let m = ListMessage {
            to: "15550100".into(),
            body: "Pick a slot".into(),
            button: "Slots".into(),
            sections: vec![
                ListSection {
                    title: Some("Morning".into()),
                    rows: vec![
                        ListRow {
                            id: "m9".into(),
                            title: "9:00".into(),
                            description: Some("Front desk".into()),
                        },
                        ListRow {
                            id: "m10".into(),
                            title: "10:00".into(),
                            description: None,
                        },
                    ],
                },
                ListSection {
                    title: Some("Afternoon".into()),
                    rows: vec![ListRow {
                        id: "a2".into(),
                        title: "14:00".into(),
                        description: Some("".into()),
                    }],
                },
            ],
            header: Some("Booking".into()),
            footer: Some("Times are local".into()),
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        };
        assert_eq!(
            list_body(&m).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "interactive",
                "interactive": {
                    "type": "list",
                    "header": {"type": "text", "text": "Booking"},
                    "body": {"text": "Pick a slot"},
                    "footer": {"text": "Times are local"},
                    "action": {
                        "button": "Slots",
                        "sections": [
                            {
                                "title": "Morning",
                                "rows": [
                                    {"id": "m9", "title": "9:00", "description": "Front desk"},
                                    {"id": "m10", "title": "10:00"}
                                ]
                            },
                            {
                                "title": "Afternoon",
                                "rows": [{"id": "a2", "title": "14:00"}]
                            }
                        ]
                    }
                }
            }))
        );
        let single = ListMessage {
            sections: vec![ListSection {
                title: None,
                rows: vec![ListRow {
                    id: "x".into(),
                    title: "X".into(),
                    description: None,
                }],
            }],
            header: None,
            footer: None,
            reply_to: Some("wamid.L".into()),
            phone_number_id: None,
            biz_opaque_callback_data: None,
            ..m
        };
        assert_eq!(
            list_body(&single).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "interactive",
                "interactive": {
                    "type": "list",
                    "body": {"text": "Pick a slot"},
                    "action": {
                        "button": "Slots",
                        "sections": [{"rows": [{"id": "x", "title": "X"}]}]
                    }
                },
                "context": {"message_id": "wamid.L"}
            }))
        );
    }

    #[test]
    fn cta_url() {
        let m = CtaUrlMessage {
            to: "15550100".into(),
            body: "Track your parcel".into(),
            display_text: "Track".into(),
            url: "https://x.test/t?id=1".into(),
            header: Some("Shipped".into()),
            footer: Some("Thanks".into()),
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        };
        assert_eq!(
            cta_url_body(&m).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "interactive",
                "interactive": {
                    "type": "cta_url",
                    "header": {"type": "text", "text": "Shipped"},
                    "body": {"text": "Track your parcel"},
                    "footer": {"text": "Thanks"},
                    "action": {
                        "name": "cta_url",
                        "parameters": {"display_text": "Track", "url": "https://x.test/t?id=1"}
                    }
                }
            }))
        );
        let bare = CtaUrlMessage {
            header: None,
            footer: None,
            ..m.clone()
        };
        assert_eq!(
            cta_url_body(&bare)
                .ok()
                .map(|b| b["interactive"].as_object().map(|o| o.len())),
            Some(Some(3))
        );
        let bad = CtaUrlMessage {
            url: "x.test".into(),
            ..m
        };
        assert_eq!(
            cta_url_body(&bad).err().map(|e| e.field),
            Some("url".into())
        );
    }

    #[test]
    fn reaction() {
        let m = ReactionMessage {
            to: "+1 555 0100".into(),
            message_id: "wamid.HBg".into(),
            emoji: "\u{1F600}".into(),
            phone_number_id: None,
            biz_opaque_callback_data: None,
        };
        assert_eq!(
            reaction_body(&m).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "reaction",
                "reaction": {"message_id": "wamid.HBg", "emoji": "\u{1F600}"}
            }))
        );
        let removal = ReactionMessage {
            emoji: String::new(),
            ..m.clone()
        };
        assert_eq!(
            reaction_body(&removal).ok().map(|b| b["reaction"].clone()),
            Some(json!({"message_id": "wamid.HBg", "emoji": ""}))
        );
        let bad = ReactionMessage {
            message_id: "".into(),
            ..m
        };
        assert_eq!(
            reaction_body(&bad).err().map(|e| e.field),
            Some("message-id".into())
        );
    }

    #[test]
    fn mark_read() {
        assert_eq!(
            mark_read_body(&ReadReceipt {
                message_id: "wamid.R".into(),
                typing: false,
                phone_number_id: None
            })
            .ok(),
            Some(
                json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.R"})
            )
        );
        assert_eq!(
            mark_read_body(&ReadReceipt {
                message_id: "wamid.R".into(),
                typing: true,
                phone_number_id: None
            })
            .ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "status": "read",
                "message_id": "wamid.R",
                "typing_indicator": {"type": "text"}
            }))
        );
    }

    #[test]
    fn bodies_reject_bad_recipients() {
        let m = ReactionMessage {
            to: "not a number".into(),
            message_id: "wamid.X".into(),
            emoji: "👍".into(),
            phone_number_id: None,
            biz_opaque_callback_data: None,
        };
        assert_eq!(reaction_body(&m).err().map(|e| e.field), Some("to".into()));
        let mut b = buttons_message(None);
        b.to = String::new();
        assert_eq!(buttons_body(&b).err().map(|e| e.field), Some("to".into()));
    }

    #[test]
    fn voice() {
        let m = VoiceMessage {
            to: "+1 555 0100".into(),
            source: MediaSource::Id("1183440992862314".into()),
            reply_to: Some("wamid.V".into()),
            phone_number_id: None,
            biz_opaque_callback_data: Some("v-1".into()),
        };
        assert_eq!(
            voice_body(&m).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "audio",
                "audio": {"id": "1183440992862314", "voice": true},
                "context": {"message_id": "wamid.V"},
                "biz_opaque_callback_data": "v-1"
            }))
        );
        let link = VoiceMessage {
            source: MediaSource::Link("https://x.test/note.ogg".into()),
            reply_to: None,
            biz_opaque_callback_data: None,
            ..m.clone()
        };
        assert_eq!(
            voice_body(&link).ok().map(|b| b["audio"].clone()),
            Some(json!({"link": "https://x.test/note.ogg", "voice": true}))
        );
        let bad = VoiceMessage {
            source: MediaSource::Link("ftp://x.test/note.ogg".into()),
            ..m
        };
        assert_eq!(
            voice_body(&bad).err().map(|e| e.field),
            Some("source.link".into())
        );
    }

    #[test]
    fn location_request() {
        let m = LocationRequestMessage {
            to: "group:120363025246125486".into(),
            body: "Where should we deliver?".into(),
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        };
        assert_eq!(
            location_request_body(&m).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "group",
                "to": "120363025246125486",
                "type": "interactive",
                "interactive": {
                    "type": "location_request_message",
                    "body": {"text": "Where should we deliver?"},
                    "action": {"name": "send_location"}
                }
            }))
        );
        let empty = LocationRequestMessage {
            body: String::new(),
            ..m
        };
        assert_eq!(
            location_request_body(&empty).err().map(|e| e.field),
            Some("body".into())
        );
    }

    fn flow_message(action: FlowAction) -> FlowMessage {
        FlowMessage {
            to: "US.13491208655302741918".into(),
            flow: FlowRef::Id("1234567890".into()),
            flow_token: "booking-77".into(),
            cta: "Book a table".into(),
            body: "Reserve in two taps".into(),
            header: Some("Bistro".into()),
            footer: Some("Open 12-23".into()),
            action,
            draft: false,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        }
    }

    #[test]
    fn flow_navigate_with_data() {
        let m = flow_message(FlowAction::Navigate(crate::types::FlowNavigate {
            screen: "PICK_DATE".into(),
            data_json: Some(r#"{"guests": 2, "tags": ["window"]}"#.into()),
        }));
        assert_eq!(
            flow_body(&m).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "recipient": "US.13491208655302741918",
                "type": "interactive",
                "interactive": {
                    "type": "flow",
                    "header": {"type": "text", "text": "Bistro"},
                    "body": {"text": "Reserve in two taps"},
                    "footer": {"text": "Open 12-23"},
                    "action": {
                        "name": "flow",
                        "parameters": {
                            "flow_message_version": "3",
                            "flow_token": "booking-77",
                            "flow_id": "1234567890",
                            "flow_cta": "Book a table",
                            "flow_action": "navigate",
                            "flow_action_payload": {
                                "screen": "PICK_DATE",
                                "data": {"guests": 2, "tags": ["window"]}
                            }
                        }
                    }
                }
            }))
        );
    }

    #[test]
    fn flow_by_name_data_exchange_draft() {
        let mut m = flow_message(FlowAction::DataExchange);
        m.flow = FlowRef::Name("table_booking".into());
        m.draft = true;
        m.header = None;
        m.footer = Some(" ".into());
        assert_eq!(
            flow_body(&m).ok().map(|b| b["interactive"].clone()),
            Some(json!({
                "type": "flow",
                "body": {"text": "Reserve in two taps"},
                "action": {
                    "name": "flow",
                    "parameters": {
                        "flow_message_version": "3",
                        "flow_token": "booking-77",
                        "flow_name": "table_booking",
                        "flow_cta": "Book a table",
                        "flow_action": "data_exchange",
                        "mode": "draft"
                    }
                }
            }))
        );
        // Navigate without data: the screen alone.
        let m = flow_message(FlowAction::Navigate(crate::types::FlowNavigate {
            screen: "START".into(),
            data_json: None,
        }));
        assert_eq!(
            flow_body(&m)
                .ok()
                .map(|b| b["interactive"]["action"]["parameters"]["flow_action_payload"].clone()),
            Some(json!({"screen": "START"}))
        );
        let bad = flow_message(FlowAction::Navigate(crate::types::FlowNavigate {
            screen: "START".into(),
            data_json: Some("[]".into()),
        }));
        assert_eq!(
            flow_body(&bad).err().map(|e| e.field),
            Some("action.data-json".into())
        );
    }
}
