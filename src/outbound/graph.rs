//! Graph API requests, built without any I/O.
//!
//! [`GraphConfig`] holds where and as whom to call; the `*_body` functions turn the WIT
//! records into the JSON bodies Meta expects (checking Meta's limits with
//! [`crate::outbound::limits`] and normalising the recipient first); [`GraphConfig::post_message`],
//! [`GraphConfig::mark_read`] and [`GraphConfig::get_self`] wrap a body into a
//! [`GraphRequest`] that the component's HTTP layer carries out.
//!
//! Optional texts that are empty or only whitespace are left out of the JSON, like
//! absent ones (see [`crate::outbound::limits`]).

use std::fmt;

use serde_json::{json, Map, Value};

use crate::outbound::limits::{self, media_kind_name, present};
use crate::types::{
    ButtonsMessage, ContactCard, ContactsMessage, CtaUrlMessage, InteractiveHeader, InvalidRequest,
    ListMessage, LocationMessage, MediaMessage, MediaSource, ReactionMessage, ReadReceipt,
    TemplateComponent, TemplateComponentKind, TemplateMessage, TemplateParameter,
};

/// Graph API root used when `WHATSAPP_GRAPH_API_URL` is not set.
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";
/// Graph API version used when `WHATSAPP_API_VERSION` is not set.
pub const DEFAULT_VERSION: &str = "v24.0";
/// Environment variable holding the access token (required).
pub const ENV_ACCESS_TOKEN: &str = "WHATSAPP_ACCESS_TOKEN";
/// Environment variable holding the business phone number id (required).
pub const ENV_PHONE_NUMBER_ID: &str = "WHATSAPP_PHONE_NUMBER_ID";
/// Environment variable overriding the Graph API version (optional).
pub const ENV_API_VERSION: &str = "WHATSAPP_API_VERSION";
/// Environment variable overriding the Graph API root URL (optional).
pub const ENV_GRAPH_API_URL: &str = "WHATSAPP_GRAPH_API_URL";
/// Fields asked for by [`GraphConfig::get_self`].
pub const SELF_FIELDS: &str = "verified_name,display_phone_number,quality_rating,id";

/// What to replace a secret with in logs and error texts.
pub const REDACTED: &str = "<redacted>";

/// Where and as whom the Graph API is called.
///
/// Its `Debug` output never shows the access token.
#[derive(Clone, PartialEq, Eq)]
pub struct GraphConfig {
    /// Root URL without a trailing slash, for example `https://graph.facebook.com`.
    pub base_url: String,
    /// API version, for example `v24.0`.
    pub version: String,
    /// The business phone number id messages are sent from.
    pub phone_number_id: String,
    /// The access token (system user or app token).
    pub access_token: String,
}

impl fmt::Debug for GraphConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphConfig")
            .field("base_url", &self.base_url)
            .field("version", &self.version)
            .field("phone_number_id", &self.phone_number_id)
            .field("access_token", &REDACTED)
            .finish()
    }
}

/// The HTTP method of a [`GraphRequest`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpMethod {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
}

impl HttpMethod {
    /// The method's name, `GET` or `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

/// One HTTP request to the Graph API, ready to be sent.
///
/// Its `Debug` output shows neither the access token (the `Authorization` value is
/// redacted) nor the body (which holds message content): only the body's length.
#[derive(Clone, PartialEq, Eq)]
pub struct GraphRequest {
    /// `GET` or `POST`.
    pub method: HttpMethod,
    /// The full URL, query included.
    pub url: String,
    /// Header names and values, `Authorization` first.
    pub headers: Vec<(String, String)>,
    /// The JSON body, for a `POST`.
    pub body: Option<Vec<u8>>,
}

impl fmt::Debug for GraphRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                if name.eq_ignore_ascii_case("authorization") {
                    (name.as_str(), "Bearer <redacted>")
                } else {
                    (name.as_str(), value.as_str())
                }
            })
            .collect();
        let body = self.body.as_ref().map(|b| format!("<{} bytes>", b.len()));
        f.debug_struct("GraphRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &body)
            .finish()
    }
}

/// Keeps the unreserved URL characters of a path segment and percent-encodes the rest,
/// so that a phone number id can never change the request's path or query.
fn encode_path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn normalize_base_url(value: &str) -> String {
    let trimmed = value.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        DEFAULT_BASE_URL.to_string()
    } else {
        trimmed.to_string()
    }
}

fn normalize_version(value: &str) -> String {
    let trimmed = value.trim().trim_matches('/');
    if trimmed.is_empty() {
        DEFAULT_VERSION.to_string()
    } else if trimmed.starts_with(|c: char| c.is_ascii_digit()) {
        format!("v{trimmed}")
    } else {
        trimmed.to_string()
    }
}

impl GraphConfig {
    /// A configuration with the default root URL and version.
    pub fn new(phone_number_id: impl Into<String>, access_token: impl Into<String>) -> Self {
        GraphConfig {
            base_url: DEFAULT_BASE_URL.to_string(),
            version: DEFAULT_VERSION.to_string(),
            phone_number_id: phone_number_id.into().trim().to_string(),
            access_token: access_token.into().trim().to_string(),
        }
    }

    /// Reads the configuration through `get` (an environment lookup).
    ///
    /// `WHATSAPP_ACCESS_TOKEN` and `WHATSAPP_PHONE_NUMBER_ID` are required: when either
    /// is unset, empty or only whitespace, the error lists the missing names in that
    /// order. `WHATSAPP_API_VERSION` (a bare `24.0` gets its `v`) and
    /// `WHATSAPP_GRAPH_API_URL` are optional; surrounding whitespace and slashes are
    /// tolerated everywhere.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<GraphConfig, Vec<String>> {
        let read = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let token = read(ENV_ACCESS_TOKEN);
        let phone_number_id = read(ENV_PHONE_NUMBER_ID).map(|v| v.trim_matches('/').to_string());
        let phone_number_id = phone_number_id.filter(|v| !v.is_empty());
        match (token, phone_number_id) {
            (Some(access_token), Some(phone_number_id)) => Ok(GraphConfig {
                base_url: normalize_base_url(&read(ENV_GRAPH_API_URL).unwrap_or_default()),
                version: normalize_version(&read(ENV_API_VERSION).unwrap_or_default()),
                phone_number_id,
                access_token,
            }),
            (token, phone_number_id) => {
                let mut missing = Vec::new();
                if token.is_none() {
                    missing.push(ENV_ACCESS_TOKEN.to_string());
                }
                if phone_number_id.is_none() {
                    missing.push(ENV_PHONE_NUMBER_ID.to_string());
                }
                Err(missing)
            }
        }
    }

    fn root(&self) -> String {
        format!(
            "{}/{}/{}",
            normalize_base_url(&self.base_url),
            normalize_version(&self.version),
            encode_path_segment(self.phone_number_id.trim())
        )
    }

    /// `<base>/<version>/<phone-number-id>/messages`.
    pub fn messages_url(&self) -> String {
        format!("{}/messages", self.root())
    }

    /// `<base>/<version>/<phone-number-id>?fields=verified_name,display_phone_number,quality_rating,id`.
    pub fn self_url(&self) -> String {
        format!("{}?fields={SELF_FIELDS}", self.root())
    }

    fn authorization(&self) -> (String, String) {
        (
            "Authorization".to_string(),
            format!("Bearer {}", self.access_token.trim()),
        )
    }

    /// A `POST` of `body` to the messages endpoint, with the bearer token and
    /// `Content-Type: application/json`.
    pub fn post_message(&self, body: &Value) -> GraphRequest {
        GraphRequest {
            method: HttpMethod::Post,
            url: self.messages_url(),
            headers: vec![
                self.authorization(),
                ("Content-Type".to_string(), "application/json".to_string()),
            ],
            body: Some(body.to_string().into_bytes()),
        }
    }

    /// The read receipt request (a `POST` to the messages endpoint).
    pub fn mark_read(&self, receipt: &ReadReceipt) -> Result<GraphRequest, InvalidRequest> {
        Ok(self.post_message(&mark_read_body(receipt)?))
    }

    /// The `GET` describing the business phone number.
    pub fn get_self(&self) -> GraphRequest {
        GraphRequest {
            method: HttpMethod::Get,
            url: self.self_url(),
            headers: vec![self.authorization()],
            body: None,
        }
    }
}

/// Who a message goes to, as Meta addresses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recipient {
    /// A phone number (WhatsApp id), digits only: sent as `"to"`.
    Phone(String),
    /// A business-scoped user id such as `US.13491208655302741918` (or a parent one,
    /// `US.ENT.…`), for users known only by their username: sent as `"recipient"`.
    UserId(String),
}

impl Recipient {
    /// The digits or the user id.
    pub fn as_str(&self) -> &str {
        match self {
            Recipient::Phone(digits) => digits,
            Recipient::UserId(id) => id,
        }
    }
}

/// Most alphanumeric characters after the country code of a business-scoped user id.
const USER_ID_MAX: usize = 128;

/// True for a business-scoped user id: two ASCII letters (the user's country), a dot,
/// optionally `ENT.` (a parent id), then 1 to 128 ASCII letters and digits.
pub fn is_user_id(value: &str) -> bool {
    let Some((country, rest)) = value.split_once('.') else {
        return false;
    };
    let rest = rest.strip_prefix("ENT.").unwrap_or(rest);
    country.len() == 2
        && country.bytes().all(|b| b.is_ascii_alphabetic())
        && !rest.is_empty()
        && rest.len() <= USER_ID_MAX
        && rest.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn bad_recipient(reason: &str) -> InvalidRequest {
    InvalidRequest {
        field: "to".to_string(),
        reason: reason.to_string(),
    }
}

/// Reads a recipient: a business-scoped user id (see [`is_user_id`], kept exactly as
/// given apart from surrounding whitespace), or a phone number in international format,
/// normalised to its digits by dropping `+`, whitespace, dashes, parentheses and dots.
/// Anything else, or nothing, is an invalid request on `to`.
pub fn parse_recipient(to: &str) -> Result<Recipient, InvalidRequest> {
    let trimmed = to.trim();
    if is_user_id(trimmed) {
        return Ok(Recipient::UserId(trimmed.to_string()));
    }
    let digits: String = trimmed
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '+' | '-' | '(' | ')' | '.')))
        .collect();
    if digits.is_empty() {
        return Err(bad_recipient("must not be empty"));
    }
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad_recipient(
            "must be a phone number in international format (digits, optionally with +, spaces, dashes, dots or parentheses) or a business-scoped user id such as US.13491208655302741918",
        ));
    }
    Ok(Recipient::Phone(digits))
}

/// [`parse_recipient`], as the string sent to Meta: the digits of a phone number, or
/// the user id.
pub fn normalize_recipient(to: &str) -> Result<String, InvalidRequest> {
    parse_recipient(to).map(|r| match r {
        Recipient::Phone(digits) => digits,
        Recipient::UserId(id) => id,
    })
}

/// The common envelope: `messaging_product`, `recipient_type`, `to` (a phone number) or
/// `recipient` (a business-scoped user id), `type`, the payload under the type's name,
/// and `context.message_id` when quoting.
fn envelope(
    to: &str,
    kind: &str,
    payload: Value,
    reply_to: Option<&str>,
) -> Result<Value, InvalidRequest> {
    let mut body = Map::new();
    body.insert("messaging_product".into(), json!("whatsapp"));
    body.insert("recipient_type".into(), json!("individual"));
    match parse_recipient(to)? {
        Recipient::Phone(digits) => body.insert("to".into(), json!(digits)),
        Recipient::UserId(id) => body.insert("recipient".into(), json!(id)),
    };
    body.insert("type".into(), json!(kind));
    body.insert(kind.to_string(), payload);
    if let Some(id) = reply_to.filter(|id| !limits::is_blank(id)) {
        body.insert("context".into(), json!({ "message_id": id }));
    }
    Ok(Value::Object(body))
}

fn insert_present(object: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(text) = present(value) {
        object.insert(key.to_string(), json!(text));
    }
}

/// `{"id": ...}` or `{"link": ...}`.
fn media_object(source: &MediaSource) -> Map<String, Value> {
    let mut object = Map::new();
    match source {
        MediaSource::Id(id) => object.insert("id".into(), json!(id)),
        MediaSource::Link(link) => object.insert("link".into(), json!(link)),
    };
    object
}

/// One part of a text message:
/// `{"type":"text","text":{"body":...,"preview_url":...}}` plus the envelope. `body` is
/// the part as it will be sent (already converted and split).
pub fn text_body(
    to: &str,
    body: &str,
    preview_url: bool,
    reply_to: Option<&str>,
) -> Result<Value, InvalidRequest> {
    limits::validate_text_part(body)?;
    envelope(
        to,
        "text",
        json!({ "body": body, "preview_url": preview_url }),
        reply_to,
    )
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
    )
}

/// A location: `{"type":"location","location":{"latitude","longitude","name"?,"address"?}}`.
pub fn location_body(message: &LocationMessage) -> Result<Value, InvalidRequest> {
    limits::validate_location(message)?;
    let mut object = Map::new();
    object.insert("latitude".into(), json!(message.latitude));
    object.insert("longitude".into(), json!(message.longitude));
    insert_present(&mut object, "name", &message.name);
    insert_present(&mut object, "address", &message.address);
    envelope(
        &message.to,
        "location",
        Value::Object(object),
        message.reply_to.as_deref(),
    )
}

/// One card of a contacts message.
///
/// Meta wants at least one name part besides `formatted_name`; when the card has
/// neither first nor last name, the formatted name is also sent as `first_name`.
fn contact_object(card: &ContactCard) -> Value {
    let mut name = Map::new();
    name.insert("formatted_name".into(), json!(card.formatted_name));
    insert_present(&mut name, "first_name", &card.first_name);
    insert_present(&mut name, "last_name", &card.last_name);
    if present(&card.first_name).is_none() && present(&card.last_name).is_none() {
        name.insert("first_name".into(), json!(card.formatted_name));
    }
    let mut contact = Map::new();
    contact.insert("name".into(), Value::Object(name));
    if !card.phones.is_empty() {
        let phones: Vec<Value> = card
            .phones
            .iter()
            .map(|p| {
                let mut phone = Map::new();
                phone.insert("phone".into(), json!(p.phone));
                insert_present(&mut phone, "type", &p.kind);
                insert_present(&mut phone, "wa_id", &p.wa_id);
                Value::Object(phone)
            })
            .collect();
        contact.insert("phones".into(), Value::Array(phones));
    }
    if !card.emails.is_empty() {
        let emails: Vec<Value> = card
            .emails
            .iter()
            .map(|e| {
                let mut email = Map::new();
                email.insert("email".into(), json!(e.email));
                insert_present(&mut email, "type", &e.kind);
                Value::Object(email)
            })
            .collect();
        contact.insert("emails".into(), Value::Array(emails));
    }
    if let Some(company) = present(&card.organization) {
        contact.insert("org".into(), json!({ "company": company }));
    }
    if !card.urls.is_empty() {
        let urls: Vec<Value> = card.urls.iter().map(|u| json!({ "url": u })).collect();
        contact.insert("urls".into(), Value::Array(urls));
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
    object.insert("type".into(), json!(kind));
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
    object.insert("type".into(), json!(kind));
    if let Some(header) = header {
        object.insert("header".into(), header);
    }
    object.insert("body".into(), json!({ "text": body }));
    if let Some(footer) = present(footer) {
        object.insert("footer".into(), json!({ "text": footer }));
    }
    object.insert("action".into(), action);
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
                    object.insert("id".into(), json!(row.id));
                    object.insert("title".into(), json!(row.title));
                    insert_present(&mut object, "description", &row.description);
                    Value::Object(object)
                })
                .collect();
            let mut object = Map::new();
            insert_present(&mut object, "title", &section.title);
            object.insert("rows".into(), Value::Array(rows));
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
    )
}

fn media_parameter(kind: &str, source: &MediaSource) -> Value {
    let mut object = Map::new();
    object.insert("type".into(), json!(kind));
    object.insert(kind.to_string(), Value::Object(media_object(source)));
    Value::Object(object)
}

/// One template parameter. On a quick-reply button a text or payload becomes
/// `{"type":"payload","payload"}`; on a URL button it becomes `{"type":"text","text"}`
/// (the URL suffix).
fn template_parameter(kind: &TemplateComponentKind, parameter: &TemplateParameter) -> Value {
    match parameter {
        TemplateParameter::Text(text) => match kind {
            TemplateComponentKind::QuickReplyButton(_) => {
                json!({ "type": "payload", "payload": text })
            }
            _ => json!({ "type": "text", "text": text }),
        },
        TemplateParameter::Payload(payload) => match kind {
            TemplateComponentKind::UrlButton(_) => json!({ "type": "text", "text": payload }),
            _ => json!({ "type": "payload", "payload": payload }),
        },
        TemplateParameter::Currency(currency) => json!({
            "type": "currency",
            "currency": {
                "fallback_value": currency.fallback,
                "code": currency.code,
                "amount_1000": currency.amount_1000,
            }
        }),
        TemplateParameter::DateTime(fallback) => json!({
            "type": "date_time",
            "date_time": { "fallback_value": fallback }
        }),
        TemplateParameter::Image(source) => media_parameter("image", source),
        TemplateParameter::Video(source) => media_parameter("video", source),
        TemplateParameter::Document(source) => media_parameter("document", source),
    }
}

fn template_component(component: &TemplateComponent) -> Value {
    let parameters: Vec<Value> = component
        .parameters
        .iter()
        .map(|p| template_parameter(&component.kind, p))
        .collect();
    match component.kind {
        TemplateComponentKind::Header => json!({ "type": "header", "parameters": parameters }),
        TemplateComponentKind::Body => json!({ "type": "body", "parameters": parameters }),
        TemplateComponentKind::QuickReplyButton(index) => json!({
            "type": "button",
            "sub_type": "quick_reply",
            "index": index.to_string(),
            "parameters": parameters,
        }),
        TemplateComponentKind::UrlButton(index) => json!({
            "type": "button",
            "sub_type": "url",
            "index": index.to_string(),
            "parameters": parameters,
        }),
    }
}

/// A template: `{"type":"template","template":{"name","language":{"code"},"components"?}}`
/// (`components` left out when there are none).
pub fn template_body(message: &TemplateMessage) -> Result<Value, InvalidRequest> {
    limits::validate_template(message)?;
    let mut template = Map::new();
    template.insert("name".into(), json!(message.name));
    template.insert("language".into(), json!({ "code": message.language }));
    if !message.components.is_empty() {
        let components: Vec<Value> = message.components.iter().map(template_component).collect();
        template.insert("components".into(), Value::Array(components));
    }
    envelope(
        &message.to,
        "template",
        Value::Object(template),
        message.reply_to.as_deref(),
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
            object.insert("typing_indicator".into(), json!({ "type": "text" }));
        }
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{
        ContactEmail, ContactPhone, ListRow, ListSection, MediaKind, ReplyButton, TemplateCurrency,
    };
    use std::collections::HashMap;

    const TOKEN: &str = "EAAGsecretTOKEN123";

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn config() -> GraphConfig {
        GraphConfig::new("106540352242922", TOKEN)
    }

    // ------------------------------------------------------------ configuration

    #[test]
    fn from_env_defaults() {
        let c = GraphConfig::from_env(env(&[
            (ENV_ACCESS_TOKEN, TOKEN),
            (ENV_PHONE_NUMBER_ID, "106540352242922"),
        ]))
        .expect("config");
        assert_eq!(c.base_url, "https://graph.facebook.com");
        assert_eq!(c.version, "v24.0");
        assert_eq!(c.phone_number_id, "106540352242922");
        assert_eq!(c.access_token, TOKEN);
    }

    #[test]
    fn from_env_missing_names_in_order() {
        assert_eq!(
            GraphConfig::from_env(env(&[])).err(),
            Some(vec![
                "WHATSAPP_ACCESS_TOKEN".to_string(),
                "WHATSAPP_PHONE_NUMBER_ID".to_string()
            ])
        );
        assert_eq!(
            GraphConfig::from_env(env(&[(ENV_ACCESS_TOKEN, TOKEN)])).err(),
            Some(vec!["WHATSAPP_PHONE_NUMBER_ID".to_string()])
        );
        assert_eq!(
            GraphConfig::from_env(env(&[(ENV_PHONE_NUMBER_ID, "1")])).err(),
            Some(vec!["WHATSAPP_ACCESS_TOKEN".to_string()])
        );
        // Empty and whitespace-only count as missing.
        assert_eq!(
            GraphConfig::from_env(env(&[(ENV_ACCESS_TOKEN, ""), (ENV_PHONE_NUMBER_ID, " \n")]))
                .err(),
            Some(vec![
                "WHATSAPP_ACCESS_TOKEN".to_string(),
                "WHATSAPP_PHONE_NUMBER_ID".to_string()
            ])
        );
        assert_eq!(
            GraphConfig::from_env(env(&[(ENV_ACCESS_TOKEN, "t"), (ENV_PHONE_NUMBER_ID, "/")]))
                .err(),
            Some(vec!["WHATSAPP_PHONE_NUMBER_ID".to_string()])
        );
    }

    #[test]
    fn from_env_overrides_and_tolerance() {
        let c = GraphConfig::from_env(env(&[
            (ENV_ACCESS_TOKEN, &format!("  {TOKEN}\n")),
            (ENV_PHONE_NUMBER_ID, " 123/ "),
            (ENV_API_VERSION, "/v23.0/"),
            (ENV_GRAPH_API_URL, "http://127.0.0.1:8080//"),
        ]))
        .expect("config");
        assert_eq!(c.access_token, TOKEN);
        assert_eq!(c.phone_number_id, "123");
        assert_eq!(c.version, "v23.0");
        assert_eq!(c.base_url, "http://127.0.0.1:8080");
        assert_eq!(c.messages_url(), "http://127.0.0.1:8080/v23.0/123/messages");

        let c = GraphConfig::from_env(env(&[
            (ENV_ACCESS_TOKEN, TOKEN),
            (ENV_PHONE_NUMBER_ID, "123"),
            (ENV_API_VERSION, "25.0"),
            (ENV_GRAPH_API_URL, "  "),
        ]))
        .expect("config");
        assert_eq!(c.version, "v25.0");
        assert_eq!(c.base_url, DEFAULT_BASE_URL);
    }

    #[test]
    fn urls() {
        let c = config();
        assert_eq!(
            c.messages_url(),
            "https://graph.facebook.com/v24.0/106540352242922/messages"
        );
        assert_eq!(
            c.self_url(),
            "https://graph.facebook.com/v24.0/106540352242922?fields=verified_name,display_phone_number,quality_rating,id"
        );
        // Hand-built configs with sloppy values still give clean URLs.
        let c = GraphConfig {
            base_url: "https://example.test/".into(),
            version: "v1.0/".into(),
            phone_number_id: "12/../x?y#z".into(),
            access_token: TOKEN.into(),
        };
        assert_eq!(
            c.messages_url(),
            "https://example.test/v1.0/12%2F..%2Fx%3Fy%23z/messages"
        );
    }

    #[test]
    fn send_request() {
        let body = json!({"a": "é"});
        let r = config().post_message(&body);
        assert_eq!(r.method, HttpMethod::Post);
        assert_eq!(r.method.as_str(), "POST");
        assert_eq!(r.url, config().messages_url());
        assert_eq!(
            r.headers,
            vec![
                ("Authorization".to_string(), format!("Bearer {TOKEN}")),
                ("Content-Type".to_string(), "application/json".to_string()),
            ]
        );
        let sent: Value =
            serde_json::from_slice(r.body.as_deref().unwrap_or_default()).expect("body is JSON");
        assert_eq!(sent, body);
    }

    #[test]
    fn get_self_request() {
        let r = config().get_self();
        assert_eq!(r.method, HttpMethod::Get);
        assert_eq!(r.method.as_str(), "GET");
        assert_eq!(r.url, config().self_url());
        assert_eq!(
            r.headers,
            vec![("Authorization".to_string(), format!("Bearer {TOKEN}"))]
        );
        assert_eq!(r.body, None);
    }

    #[test]
    fn mark_read_request() {
        let r = config()
            .mark_read(&ReadReceipt {
                message_id: "wamid.A".into(),
                typing: false,
            })
            .expect("request");
        assert_eq!(r.method, HttpMethod::Post);
        assert_eq!(r.url, config().messages_url());
        let sent: Value =
            serde_json::from_slice(r.body.as_deref().unwrap_or_default()).expect("JSON");
        assert_eq!(
            sent,
            json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.A"})
        );
        assert!(config()
            .mark_read(&ReadReceipt {
                message_id: "".into(),
                typing: true
            })
            .is_err());
    }

    #[test]
    fn debug_redacts_the_token() {
        let c = config();
        let shown = format!("{c:?} {c:#?}");
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains("<redacted>"));
        assert!(shown.contains("106540352242922"));

        let secret_body = json!({"text": {"body": "my secret message"}});
        for r in [c.post_message(&secret_body), c.get_self()] {
            let shown = format!("{r:?} {r:#?}");
            assert!(!shown.contains(TOKEN), "{shown}");
            assert!(!shown.contains("secret message"), "{shown}");
            assert!(shown.contains("Bearer <redacted>"), "{shown}");
        }
        let r = c.post_message(&secret_body);
        let shown = format!("{r:?}");
        assert!(shown.contains("bytes>"), "{shown}");
        assert!(shown.contains("application/json"), "{shown}");
        // A lowercase header name is redacted too.
        let r = GraphRequest {
            method: HttpMethod::Get,
            url: "u".into(),
            headers: vec![("authorization".into(), format!("Bearer {TOKEN}"))],
            body: None,
        };
        assert!(!format!("{r:?}").contains(TOKEN));
    }

    // ------------------------------------------------------------ recipients

    #[test]
    fn recipients() {
        for (input, want) in [
            ("15551234567", "15551234567"),
            ("+1 555 123 4567", "15551234567"),
            ("+1 (555) 123-4567", "15551234567"),
            ("+49.30.1234567", "49301234567"),
            ("\t+44 20 7946 0958\n", "442079460958"),
            ("+1\u{a0}555\u{a0}0100", "15550100"),
        ] {
            assert_eq!(
                normalize_recipient(input).ok().as_deref(),
                Some(want),
                "{input}"
            );
        }
        for input in ["", "  ", "+", "()-. +"] {
            let e = normalize_recipient(input).expect_err("rejected");
            assert_eq!(e.field, "to");
            assert_eq!(e.reason, "must not be empty");
        }
        for input in [
            "abc",
            "+1 555 CALL-NOW",
            "15551234567@c.us",
            "١٢٣",
            "1/2",
            "1_2",
        ] {
            let e = normalize_recipient(input).expect_err("rejected");
            assert_eq!(e.field, "to", "{input}");
            assert!(e.reason.starts_with("must be a phone number"), "{input}");
        }
    }

    #[test]
    fn user_id_recipients() {
        for (input, want) in [
            ("US.13491208655302741918", "US.13491208655302741918"),
            ("US.ENT.11815799212886844830", "US.ENT.11815799212886844830"),
            (" BR.1502576394655843\n", "BR.1502576394655843"),
            ("in.AbC123", "in.AbC123"),
        ] {
            assert_eq!(
                parse_recipient(input).ok(),
                Some(Recipient::UserId(want.to_string())),
                "{input}"
            );
            assert_eq!(normalize_recipient(input).ok().as_deref(), Some(want));
        }
        assert_eq!(
            parse_recipient("+1 555 0100").ok(),
            Some(Recipient::Phone("15550100".into()))
        );
        assert_eq!(Recipient::Phone("1".into()).as_str(), "1");
        assert_eq!(Recipient::UserId("US.1".into()).as_str(), "US.1");
        let longest = format!("US.{}", "9".repeat(128));
        assert!(is_user_id(&longest));
        for input in [
            "USA.123",
            "U.123",
            "U1.123",
            "US.",
            "US.ENT.",
            "US.12_3",
            "US.12 3",
            "US-123",
            "ÜS.123",
            &format!("US.{}", "9".repeat(129)),
        ] {
            assert!(!is_user_id(input), "{input}");
            assert_eq!(
                parse_recipient(input).err().map(|e| e.field),
                Some("to".to_string()),
                "{input}"
            );
        }
    }

    #[test]
    fn user_id_recipients_are_sent_as_recipient() {
        assert_eq!(
            text_body("US.13491208655302741918", "Hi", false, Some("wamid.I")).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "recipient": "US.13491208655302741918",
                "type": "text",
                "text": {"body": "Hi", "preview_url": false},
                "context": {"message_id": "wamid.I"}
            }))
        );
        let m = ReactionMessage {
            to: "US.ENT.11815799212886844830".into(),
            message_id: "wamid.X".into(),
            emoji: "👍".into(),
        };
        assert_eq!(
            reaction_body(&m).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "recipient": "US.ENT.11815799212886844830",
                "type": "reaction",
                "reaction": {"message_id": "wamid.X", "emoji": "👍"}
            }))
        );
    }

    // ------------------------------------------------------------ bodies

    #[test]
    fn text() {
        assert_eq!(
            text_body("+1 555 0100", "Hello *world*", false, None).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "text",
                "text": {"body": "Hello *world*", "preview_url": false}
            }))
        );
        assert_eq!(
            text_body("15550100", "see https://x.y", true, Some("wamid.Q")).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "text",
                "text": {"body": "see https://x.y", "preview_url": true},
                "context": {"message_id": "wamid.Q"}
            }))
        );
        // A blank reply-to counts as none.
        assert_eq!(
            text_body("1", "x", false, Some(" ")).ok(),
            text_body("1", "x", false, None).ok()
        );
        assert_eq!(
            text_body("1", "", false, None).err().map(|e| e.field),
            Some("body".into())
        );
        assert_eq!(
            text_body("", "x", false, None).err().map(|e| e.field),
            Some("to".into())
        );
        assert!(text_body("1", &"a".repeat(4097), false, None).is_err());
    }

    fn media(kind: MediaKind, source: MediaSource) -> MediaMessage {
        MediaMessage {
            to: "15550100".into(),
            kind,
            source,
            caption: None,
            filename: None,
            reply_to: None,
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
        };
        let m = ContactsMessage {
            to: "15550100".into(),
            contacts: vec![full, minimal],
            reply_to: Some("wamid.C".into()),
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
        };
        let m = ContactsMessage {
            to: "1".into(),
            contacts: vec![last_only],
            reply_to: None,
        };
        assert_eq!(
            contacts_body(&m).ok().map(|b| b["contacts"][0].clone()),
            Some(json!({"name": {"formatted_name": "Dr. Smith", "last_name": "Smith"}}))
        );
        let empty = ContactsMessage {
            to: "1".into(),
            contacts: vec![],
            reply_to: None,
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
    fn template_without_components() {
        let m = TemplateMessage {
            to: "+1 555 0100".into(),
            name: "hello_world".into(),
            language: "en_US".into(),
            components: vec![],
            reply_to: None,
        };
        assert_eq!(
            template_body(&m).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "template",
                "template": {"name": "hello_world", "language": {"code": "en_US"}}
            }))
        );
    }

    #[test]
    fn template_with_every_parameter_kind() {
        let m = TemplateMessage {
            to: "15550100".into(),
            name: "order_update".into(),
            language: "pt_BR".into(),
            components: vec![
                TemplateComponent {
                    kind: TemplateComponentKind::Header,
                    parameters: vec![TemplateParameter::Image(MediaSource::Link(
                        "https://x.test/h.png".into(),
                    ))],
                },
                TemplateComponent {
                    kind: TemplateComponentKind::Body,
                    parameters: vec![
                        TemplateParameter::Text("Ana".into()),
                        TemplateParameter::Currency(TemplateCurrency {
                            fallback: "R$ 12,50".into(),
                            code: "BRL".into(),
                            amount_1000: 12_500,
                        }),
                        TemplateParameter::DateTime("1 de maio".into()),
                    ],
                },
                TemplateComponent {
                    kind: TemplateComponentKind::QuickReplyButton(0),
                    parameters: vec![TemplateParameter::Payload("CONFIRM".into())],
                },
                TemplateComponent {
                    kind: TemplateComponentKind::QuickReplyButton(1),
                    parameters: vec![TemplateParameter::Text("CANCEL".into())],
                },
                TemplateComponent {
                    kind: TemplateComponentKind::UrlButton(2),
                    parameters: vec![TemplateParameter::Payload("order/42".into())],
                },
                TemplateComponent {
                    kind: TemplateComponentKind::UrlButton(3),
                    parameters: vec![TemplateParameter::Text("order/43".into())],
                },
            ],
            reply_to: Some("wamid.T".into()),
        };
        assert_eq!(
            template_body(&m).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "template",
                "template": {
                    "name": "order_update",
                    "language": {"code": "pt_BR"},
                    "components": [
                        {
                            "type": "header",
                            "parameters": [
                                {"type": "image", "image": {"link": "https://x.test/h.png"}}
                            ]
                        },
                        {
                            "type": "body",
                            "parameters": [
                                {"type": "text", "text": "Ana"},
                                {
                                    "type": "currency",
                                    "currency": {
                                        "fallback_value": "R$ 12,50",
                                        "code": "BRL",
                                        "amount_1000": 12500
                                    }
                                },
                                {"type": "date_time", "date_time": {"fallback_value": "1 de maio"}}
                            ]
                        },
                        {
                            "type": "button",
                            "sub_type": "quick_reply",
                            "index": "0",
                            "parameters": [{"type": "payload", "payload": "CONFIRM"}]
                        },
                        {
                            "type": "button",
                            "sub_type": "quick_reply",
                            "index": "1",
                            "parameters": [{"type": "payload", "payload": "CANCEL"}]
                        },
                        {
                            "type": "button",
                            "sub_type": "url",
                            "index": "2",
                            "parameters": [{"type": "text", "text": "order/42"}]
                        },
                        {
                            "type": "button",
                            "sub_type": "url",
                            "index": "3",
                            "parameters": [{"type": "text", "text": "order/43"}]
                        }
                    ]
                },
                "context": {"message_id": "wamid.T"}
            }))
        );
    }

    #[test]
    fn template_media_headers_by_id() {
        for (parameter, want) in [
            (
                TemplateParameter::Video(MediaSource::Id("7".into())),
                json!({"type": "video", "video": {"id": "7"}}),
            ),
            (
                TemplateParameter::Document(MediaSource::Id("8".into())),
                json!({"type": "document", "document": {"id": "8"}}),
            ),
            (
                TemplateParameter::Image(MediaSource::Id("9".into())),
                json!({"type": "image", "image": {"id": "9"}}),
            ),
            (
                TemplateParameter::Text("Hi".into()),
                json!({"type": "text", "text": "Hi"}),
            ),
        ] {
            let m = TemplateMessage {
                to: "1".into(),
                name: "t".into(),
                language: "en".into(),
                components: vec![TemplateComponent {
                    kind: TemplateComponentKind::Header,
                    parameters: vec![parameter],
                }],
                reply_to: None,
            };
            assert_eq!(
                template_body(&m)
                    .ok()
                    .map(|b| b["template"]["components"][0]["parameters"][0].clone()),
                Some(want)
            );
        }
    }

    #[test]
    fn reaction() {
        let m = ReactionMessage {
            to: "+1 555 0100".into(),
            message_id: "wamid.HBg".into(),
            emoji: "\u{1F600}".into(),
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
                typing: false
            })
            .ok(),
            Some(
                json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.R"})
            )
        );
        assert_eq!(
            mark_read_body(&ReadReceipt {
                message_id: "wamid.R".into(),
                typing: true
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
        };
        assert_eq!(reaction_body(&m).err().map(|e| e.field), Some("to".into()));
        let mut b = buttons_message(None);
        b.to = String::new();
        assert_eq!(buttons_body(&b).err().map(|e| e.field), Some("to".into()));
    }
}
