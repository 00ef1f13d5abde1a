//! The Graph API stand-in: `POST /<version>/<phone-number-id>/messages` (sends and read
//! receipts), `GET /<version>/<phone-number-id>`, `GET /<version>/<media-id>` and the
//! media download URL it hands out, `POST /<version>/<phone-number-id>/media` (uploads,
//! kept) and `DELETE /<version>/<media-id>`, for each business number of the sandbox. Every call is recorded (token redacted, with the
//! phone number id it was made for) and may be hit by an injected fault first.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{HeaderMap, Method, Response};
use serde_json::{json, Map, Value};

use crate::config::BusinessNumber;
use crate::faults::{Effect, GraphError};
use crate::http::{self, Body, Hangup};
use crate::media::{self, Stored, Upload};
use crate::state::{App, ChatMessage, ReadOutcome};
use crate::users::{self, User};
use crate::webhook;
use crate::wire;

/// The message types `POST /messages` accepts.
const TYPES: [&str; 11] = [
    "text",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "template",
    "reaction",
];

/// Interactive sub-types Meta knows.
const INTERACTIVE_TYPES: [&str; 10] = [
    "button",
    "list",
    "cta_url",
    "product",
    "product_list",
    "flow",
    "location_request_message",
    "address_message",
    "call_permission_request",
    "catalog_message",
];

/// True when `path` is for the Graph stand-in: `/v<digits>...` or the media download.
pub fn is_graph_path(path: &str) -> bool {
    let mut bytes = path.bytes().skip(1);
    (bytes.next() == Some(b'v') && bytes.next().is_some_and(|b| b.is_ascii_digit()))
        || path.starts_with("/whatsapp_business/attachments")
}

enum Reply {
    Json(u16, Value),
    /// A media download: its content type and bytes.
    File(String, Bytes),
}

enum Auth {
    Ok,
    Missing,
    Wrong,
}

/// Handles one Graph call.
pub async fn handle(
    app: &Arc<App>,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response<Body>, Hangup> {
    let started = Instant::now();
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let is_messages = method == Method::POST && segments.len() == 3 && segments[2] == "messages";
    let is_send = is_messages
        && parsed
            .as_ref()
            .is_some_and(|b| b.get("status").is_none() && b.is_object());

    let is_upload = method == Method::POST && segments.len() == 3 && segments[2] == "media";
    let upload = is_upload.then(|| {
        let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
        media::parse_upload(content_type, &body, media::MAX_FILE)
    });

    let mut entry = json!({
        "at": wire::now_ms(),
        "method": method.as_str(),
        "path": path,
        "phone_number_id": phone_number_id_of(app, method, &segments),
        "query": query.map(redact_query),
        "headers": redacted_headers(headers),
        "body": parsed,
    });
    if is_upload {
        // What was uploaded, never the bytes.
        entry["body"] = match &upload {
            Some(Ok(u)) => json!({
                "messaging_product": "whatsapp",
                "type": u.mime_type,
                "file": {"filename": u.filename, "content_type": u.content_type, "file_size": u.bytes.len()},
            }),
            _ => Value::Null,
        };
        entry["body_bytes"] = json!(body.len());
    } else if parsed.is_none() && !body.is_empty() {
        let text = String::from_utf8_lossy(&body);
        entry["body_text"] = json!(text.chars().take(4000).collect::<String>());
    }
    let auth = check_auth(app, headers, query);
    entry["auth"] = json!(match auth {
        Auth::Ok => "ok",
        Auth::Missing => "missing",
        Auth::Wrong => "wrong",
    });

    let mut status_failure = None;
    if let Some(fault) = app.take_fault(is_send) {
        entry["fault"] = fault.spec.clone();
        match fault.effect {
            Effect::Delay(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
            Effect::Close => {
                entry["response"] = json!({"closed": true});
                finish(app, entry, started);
                return Err(Hangup);
            }
            Effect::Error(e) => {
                return Ok(reply(
                    app,
                    entry,
                    started,
                    Reply::Json(e.status, e.to_json()),
                ));
            }
            Effect::Raw {
                status,
                content_type,
                body,
            } => {
                entry["response"] = json!({"status": status, "body_text": body});
                finish(app, entry, started);
                return Ok(http::response(status, content_type, body));
            }
            Effect::StatusFailed(e) => status_failure = Some(e),
        }
    }

    let outcome = match auth {
        Auth::Ok => route(
            app,
            method,
            &segments,
            path,
            query,
            headers,
            parsed.as_ref(),
            upload,
            status_failure,
        ),
        Auth::Missing => Err(GraphError::token(true)),
        Auth::Wrong => Err(GraphError::token(false)),
    };
    let result = match outcome {
        Ok(r) => r,
        Err(e) => Reply::Json(e.status, e.to_json()),
    };
    Ok(reply(app, entry, started, result))
}

/// A Graph call whose body is over `limit` bytes (an upload over 100 MB): recorded
/// without its body and refused with code 100, as Meta refuses a file too large.
pub fn too_large(app: &Arc<App>, method: &Method, path: &str, limit: usize) -> Response<Body> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let entry = json!({
        "at": wire::now_ms(),
        "method": method.as_str(),
        "path": path,
        "phone_number_id": phone_number_id_of(app, method, &segments),
        "body": null,
        "body_bytes": format!("more than {limit}"),
    });
    let e = GraphError::invalid(format!(
        "The request body is larger than {limit} bytes: a media file may be at most {} bytes.",
        media::MAX_FILE
    ));
    reply(
        app,
        entry,
        Instant::now(),
        Reply::Json(e.status, e.to_json()),
    )
}

/// The business phone number id a call is made for: the id before `/messages` or
/// `/media` (known or not), or a known number's id in `GET /<version>/<id>`.
fn phone_number_id_of(app: &App, method: &Method, segments: &[&str]) -> Option<String> {
    match segments {
        [_, id, "messages" | "media"] => Some(id.to_string()),
        [_, id] if method == Method::GET && app.config.number(id).is_some() => Some(id.to_string()),
        _ => None,
    }
}

fn reply(app: &Arc<App>, mut entry: Value, started: Instant, result: Reply) -> Response<Body> {
    match result {
        Reply::Json(status, body) => {
            entry["response"] = json!({"status": status, "body": body});
            finish(app, entry, started);
            http::json(status, &body)
        }
        Reply::File(content_type, bytes) => {
            entry["response"] =
                json!({"status": 200, "content_type": content_type, "bytes": bytes.len()});
            finish(app, entry, started);
            http::response_as(200, &content_type, bytes)
        }
    }
}

fn finish(app: &Arc<App>, mut entry: Value, started: Instant) {
    entry["ms"] = json!(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    app.record(entry);
}

#[allow(clippy::too_many_arguments)]
fn route(
    app: &Arc<App>,
    method: &Method,
    segments: &[&str],
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Option<&Value>,
    upload: Option<Result<Upload, GraphError>>,
    status_failure: Option<GraphError>,
) -> Result<Reply, GraphError> {
    let number = |id: &str| {
        app.config
            .number(id)
            .ok_or_else(|| GraphError::no_object(&method.as_str().to_lowercase(), id))
    };
    match (method, segments) {
        (&Method::POST, [_, id, "messages"]) => {
            let number = number(id)?;
            let Some(body) = body else {
                return Err(GraphError::invalid("The request body is not valid JSON."));
            };
            messages(app, &number, body, status_failure).map(|v| Reply::Json(200, v))
        }
        (&Method::POST, [_, id, "media"]) => {
            number(id)?;
            let upload = upload.unwrap_or_else(|| Err(GraphError::required("file")))?;
            let id = wire::media_id();
            app.store_upload(Stored {
                id: id.clone(),
                sha256: hex::encode(wire::sha256(&upload.bytes)),
                size: upload.bytes.len(),
                mime_type: upload.mime_type,
                filename: upload.filename,
                bytes: upload.bytes,
                deleted: false,
                shown: false,
            });
            Ok(Reply::Json(200, json!({ "id": id })))
        }
        (&Method::GET, ["whatsapp_business", "attachments", ..]) => {
            match query.and_then(|q| query_param(q, "mid")) {
                Some(mid) if !mid.is_empty() => match app.media_for_graph(&mid) {
                    Some(r) => Ok(Reply::File(r.mime_type, r.bytes)),
                    None => Err(GraphError::no_object("get", &mid)),
                },
                _ => Err(GraphError::invalid("Parameter 'mid' is required.")),
            }
        }
        (&Method::DELETE, [_, id]) => {
            if app.delete_upload(id) {
                Ok(Reply::Json(200, json!({ "success": true })))
            } else {
                Err(GraphError::no_object("delete", id))
            }
        }
        (&Method::GET, [_, id]) if app.config.number(id).is_some() => {
            let number = number(id)?;
            Ok(Reply::Json(200, phone_info(app, &number, query)))
        }
        (&Method::GET, [_, id]) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
            media_info(app, id, headers).map(|v| Reply::Json(200, v))
        }
        (&Method::GET, [_, id]) => Err(GraphError::no_object("get", id)),
        _ => Err(GraphError::unknown_path(path)),
    }
}

fn check_auth(app: &App, headers: &HeaderMap, query: Option<&str>) -> Auth {
    let header = headers.get(AUTHORIZATION).map(|v| v.to_str().unwrap_or(""));
    let token = match header {
        Some(h) => {
            let h = h.trim();
            match h.split_once(' ') {
                Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                    Some(token.trim().to_string())
                }
                _ => return Auth::Wrong,
            }
        }
        None => query.and_then(|q| query_param(q, "access_token")),
    };
    match token {
        None => Auth::Missing,
        Some(t) if t.is_empty() => Auth::Missing,
        Some(t) if wire::same_secret(&t, &app.config.access_token) => Auth::Ok,
        Some(_) => Auth::Wrong,
    }
}

fn redacted_headers(headers: &HeaderMap) -> Value {
    let mut map = Map::new();
    for (name, value) in headers {
        let shown = if name == AUTHORIZATION {
            match value.to_str().ok().and_then(|v| v.trim().split_once(' ')) {
                Some((scheme, _)) => format!("{scheme} [redacted]"),
                None => "[redacted]".to_string(),
            }
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        match map.get_mut(name.as_str()) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&shown);
            }
            _ => {
                map.insert(name.as_str().to_string(), json!(shown));
            }
        }
    }
    Value::Object(map)
}

fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some(("access_token", _)) => "access_token=[redacted]".to_string(),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of `name` in a query string, percent-decoded (`+` as space).
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k) == name).then(|| percent_decode(v))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                match bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn phone_info(app: &App, number: &BusinessNumber, query: Option<&str>) -> Value {
    let c = &app.config;
    let full = json!({
        "verified_name": number.name,
        "code_verification_status": "VERIFIED",
        "display_phone_number": wire::display_phone(&number.display_phone_number),
        "quality_rating": "GREEN",
        "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD"},
        "name_status": "APPROVED",
        "messaging_limit_tier": "TIER_1K",
        "is_official_business_account": false,
        "account_mode": "LIVE",
        "webhook_configuration": {"application": c.webhook},
        "id": number.phone_number_id,
    });
    let Some(fields) = query.and_then(|q| query_param(q, "fields")) else {
        return full;
    };
    let wanted: HashSet<&str> = fields.split(',').map(str::trim).collect();
    match full {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| k == "id" || wanted.contains(k.as_str()))
                .collect(),
        ),
        other => other,
    }
}

/// `GET /<version>/<media-id>`: an upload's details, else a generated voice note's or
/// picture's; a deleted upload is no object.
fn media_info(app: &App, id: &str, headers: &HeaderMap) -> Result<Value, GraphError> {
    let resolved = app
        .media_for_graph(id)
        .ok_or_else(|| GraphError::no_object("get", id))?;
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| app.config.listen.to_string());
    Ok(json!({
        "messaging_product": "whatsapp",
        "url": format!(
            "http://{host}/whatsapp_business/attachments/?mid={id}&ext={}&hash=AT{}",
            wire::now_ms() / 1000,
            wire::random_hex(24)
        ),
        "mime_type": resolved.mime_type,
        "sha256": resolved.sha256_hex(),
        "file_size": resolved.bytes.len(),
        "id": id,
    }))
}

fn string<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// A required non-empty string at `object[key]`, named `name` in the error.
fn required_str<'a>(object: &'a Value, key: &str, name: &str) -> Result<&'a str, GraphError> {
    match string(object, key) {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(GraphError::required(name)),
    }
}

fn at_most(value: &str, max: usize, name: &str) -> Result<(), GraphError> {
    if chars(value) > max {
        return Err(GraphError::param(format!(
            "Param {name} must be at most {max} characters long."
        )));
    }
    Ok(())
}

fn url_like(value: &str) -> bool {
    value.starts_with("http://") || value.starts_with("https://")
}

/// `POST /messages` of business number `number`: a read receipt or a send.
fn messages(
    app: &Arc<App>,
    number: &BusinessNumber,
    body: &Value,
    failure: Option<GraphError>,
) -> Result<Value, GraphError> {
    if !body.is_object() {
        return Err(GraphError::invalid(
            "The request body must be a JSON object.",
        ));
    }
    match body.get("messaging_product") {
        None => return Err(GraphError::required("messaging_product")),
        Some(Value::String(p)) if p == "whatsapp" => {}
        Some(other) => {
            return Err(GraphError::param(format!(
                "Param messaging_product must be one of {{WHATSAPP}} - got {other}."
            )))
        }
    }
    if body.get("status").is_some() {
        return read_receipt(app, number, body);
    }
    let send = validate_send(body)?;
    let media = sent_media(app, &send.kind, body)?;
    let user = match &send.to {
        To::Group(group) => return group_send(app, number, &send, group),
        To::Phone(phone) => app
            .user_by_phone(phone)
            .unwrap_or_else(|| User::by_phone(phone)),
        To::UserId(id) => app.user_by_id(id).unwrap_or_else(|| User::by_user_id(id)),
    };
    app.admit_send(&format!("{} {}", number.phone_number_id, user.chat()))?;

    let id = wire::wamid(&user.chat(), false);
    if send.kind == "reaction" {
        react(app, number, body);
    } else {
        note_other_number(app, number, &user);
        app.set_typing(&number.phone_number_id, &user, false);
        app.add_message(ChatMessage {
            seq: 0,
            id: id.clone(),
            from_user: false,
            phone_number_id: number.phone_number_id.clone(),
            user: user.clone(),
            ts_ms: wire::now_ms(),
            kind: send.kind.clone(),
            payload: body.clone(),
            status: "accepted".to_string(),
            error: None,
            user_reaction: None,
            bot_reaction: None,
            detail: json!({"statuses": []}),
            wire: None,
            media,
        });
    }
    let pricing = if send.kind == "template" {
        json!({"billable": true, "pricing_model": "PMP", "type": "regular", "category": "utility"})
    } else {
        json!({"billable": false, "pricing_model": "PMP", "type": "free_customer_service", "category": "service"})
    };
    webhook::spawn_statuses(
        Arc::clone(app),
        webhook::Lifecycle {
            id: id.clone(),
            number: number.clone(),
            user: user.clone(),
            pricing,
            biz_opaque: string(body, "biz_opaque_callback_data").map(str::to_string),
            failure,
        },
    );
    let mut contact = Map::new();
    contact.insert("input".into(), json!(send.input));
    users::insert_some(&mut contact, "wa_id", &user.phone);
    users::insert_some(&mut contact, "user_id", &user.user_id);
    Ok(sent(&send, Value::Object(contact), &id))
}

/// Media sent by `id`: the id must be a live upload or media a user sent (Meta: code
/// 100); what it stands for goes to the page. `None` for other sends and links.
fn sent_media(app: &App, kind: &str, body: &Value) -> Result<Option<Value>, GraphError> {
    if !["image", "video", "audio", "document", "sticker"].contains(&kind) {
        return Ok(None);
    }
    let Some(id) = body
        .get(kind)
        .and_then(|o| string(o, "id"))
        .filter(|s| !s.is_empty())
    else {
        return Ok(None);
    };
    if !app.is_sendable_media(id) {
        return Err(GraphError::invalid(format!(
            "Param {kind}['id'] is not a valid whatsapp business account media attachment ID"
        )));
    }
    app.mark_upload_shown(id);
    Ok(app.media_for_page(id).map(|r| {
        let mut page = r.page_json(id);
        if let Some(name) = body[kind]["filename"].as_str().filter(|n| !n.is_empty()) {
            page["filename"] = json!(name);
        }
        page
    }))
}

/// `{"messaging_product", "contacts": [contact], "messages": [{"id"}]}`, with
/// `message_status` for templates.
fn sent(send: &Send, contact: Value, id: &str) -> Value {
    let mut message = json!({ "id": id });
    if send.kind == "template" {
        message["message_status"] = json!("accepted");
    }
    json!({
        "messaging_product": "whatsapp",
        "contacts": [contact],
        "messages": [message],
    })
}

/// A send to a group: accepted and recorded; the page has no group chats and no status
/// webhooks follow.
fn group_send(
    app: &App,
    number: &BusinessNumber,
    send: &Send,
    group: &str,
) -> Result<Value, GraphError> {
    app.admit_send(&format!("{} {group}", number.phone_number_id))?;
    let id = wire::wamid(group, false);
    Ok(sent(send, json!({ "input": send.input }), &id))
}

/// The business reacts to a message: shown when the message is in this number's chats.
fn react(app: &App, number: &BusinessNumber, body: &Value) {
    let target = body["reaction"]["message_id"].as_str().unwrap_or_default();
    let emoji = body["reaction"]["emoji"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    match app.message(target) {
        Some(m) if m.phone_number_id != number.phone_number_id => notice(
            app,
            format!(
                "{} reacted to a message written to another number ({}): not shown.",
                label(number),
                m.phone_number_id
            ),
        ),
        _ => {
            app.update_message(target, |m| {
                m.bot_reaction = (!emoji.is_empty()).then_some(emoji);
            });
        }
    }
}

/// Tells pages when `number` writes to someone who has written only to other numbers:
/// the message shows in `number`'s chat with them, where they never wrote (Meta would
/// refuse anything but a template there, 131047, outside a 24-hour window).
fn note_other_number(app: &App, number: &BusinessNumber, user: &User) {
    let written = app.numbers_written_to(&user.chat());
    if written.is_empty() || written.contains(&number.phone_number_id) {
        return;
    }
    let others: Vec<String> = written
        .iter()
        .map(|id| {
            app.config
                .number(id)
                .map_or_else(|| id.clone(), |n| label(&n))
        })
        .collect();
    notice(
        app,
        format!(
            "{} wrote to {}, who has written only to {}. It shows in {}'s chat.",
            label(number),
            user.label(),
            others.join(", "),
            number.name
        ),
    );
}

/// `Name (+1 555-0100)`.
fn label(number: &BusinessNumber) -> String {
    format!(
        "{} ({})",
        number.name,
        wire::display_phone(&number.display_phone_number)
    )
}

fn notice(app: &App, text: String) {
    app.emit("notice", json!({"level": "info", "text": text}));
}

/// `{"status": "read", "message_id"}` to business number `number`: the user's message
/// turns read (blue ticks) when it was written to that number.
fn read_receipt(
    app: &Arc<App>,
    number: &BusinessNumber,
    body: &Value,
) -> Result<Value, GraphError> {
    if string(body, "status") != Some("read") {
        return Err(GraphError::param(format!(
            "Param status must be one of {{READ}} - got {}.",
            body["status"]
        )));
    }
    let id = required_str(body, "message_id", "message_id")?;
    let typing = match body.get("typing_indicator") {
        None | Some(Value::Null) => false,
        Some(t) if string(t, "type") == Some("text") => true,
        Some(_) => {
            return Err(GraphError::param(
                "Param typing_indicator['type'] must be one of {TEXT}.",
            ))
        }
    };
    match app.mark_read(id, &number.phone_number_id) {
        ReadOutcome::Read(user) if typing => app.set_typing(&number.phone_number_id, &user, true),
        ReadOutcome::OtherNumber(other) => notice(
            app,
            format!(
                "{} marked a message read that was written to another number ({other}): its ticks stay grey.",
                label(number)
            ),
        ),
        ReadOutcome::Read(_) | ReadOutcome::Unknown => {}
    }
    Ok(json!({ "success": true }))
}

/// Whom a send is for.
#[derive(Debug, PartialEq)]
enum To {
    /// `to`: a phone number, as digits.
    Phone(String),
    /// `recipient`: a business-scoped user id or parent user id.
    UserId(String),
    /// `to` with `recipient_type: "group"`: a group id.
    Group(String),
}

/// A send that passed validation.
struct Send {
    /// `to` or `recipient` as given.
    input: String,
    to: To,
    kind: String,
}

fn validate_send(body: &Value) -> Result<Send, GraphError> {
    let group = match body.get("recipient_type") {
        None => false,
        Some(rt) => match rt.as_str() {
            Some("individual") => false,
            Some("group") => true,
            _ => {
                return Err(GraphError::param(format!(
                    "Param recipient_type must be one of {{GROUP, INDIVIDUAL}} - got {rt}."
                )))
            }
        },
    };
    let (input, to) = addressee(body, group)?;
    let kind = match body.get("type") {
        None => "text",
        Some(Value::String(t)) => t.as_str(),
        Some(_) => return Err(GraphError::param("Param type must be a string.")),
    };
    if !TYPES.contains(&kind) {
        return Err(GraphError::param(format!(
            "Param type must be one of {{AUDIO, CONTACTS, DOCUMENT, IMAGE, INTERACTIVE, LOCATION, REACTION, STICKER, TEMPLATE, TEXT, VIDEO}} - got \"{kind}\"."
        )));
    }
    let object = body.get(kind).cloned().unwrap_or(Value::Null);
    match kind {
        "contacts" => validate_contacts(&object)?,
        _ if !object.is_object() => return Err(GraphError::required(kind)),
        "text" => {
            let text = required_str(&object, "body", "text['body']")?;
            at_most(text, 4096, "text['body']")?;
        }
        "image" | "video" | "audio" | "document" | "sticker" => validate_media(kind, &object)?,
        "location" => validate_location(&object)?,
        "reaction" => {
            required_str(&object, "message_id", "reaction['message_id']")?;
            if !object.get("emoji").is_some_and(Value::is_string) {
                return Err(GraphError::required("reaction['emoji']"));
            }
        }
        "template" => {
            required_str(&object, "name", "template['name']")?;
            let language = object.get("language").cloned().unwrap_or(Value::Null);
            required_str(&language, "code", "template['language']['code']")?;
            if object.get("components").is_some_and(|c| !c.is_array()) {
                return Err(GraphError::param(
                    "Param template['components'] must be an array.",
                ));
            }
        }
        "interactive" => validate_interactive(&object)?,
        _ => {}
    }
    if let Some(context) = body.get("context") {
        required_str(context, "message_id", "context['message_id']")?;
    }
    Ok(Send {
        input,
        to,
        kind: kind.to_string(),
    })
}

/// `to` (a phone number, or a group id for `recipient_type: "group"`) or `recipient`
/// (a user id): exactly one of them.
fn addressee(body: &Value, group: bool) -> Result<(String, To), GraphError> {
    let text = |key: &str| match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(GraphError::param(format!("Param {key} must be a string."))),
    };
    match (text("to")?, text("recipient")?) {
        (Some(_), Some(_)) => Err(GraphError::invalid(
            "Give either 'to' (a phone number) or 'recipient' (a business-scoped user ID), not both.",
        )),
        (None, None) => Err(GraphError::required("to")),
        (Some(to), None) if group => match to.trim() {
            "" => Err(GraphError::required("to")),
            id => Ok((to.clone(), To::Group(id.to_string()))),
        },
        (Some(to), None) => {
            let digits = wire::phone_digits(&to).ok_or_else(|| {
                GraphError::invalid("Parameter 'to' is not a valid phone number.")
            })?;
            Ok((to, To::Phone(digits)))
        }
        (None, Some(_)) if group => Err(GraphError::invalid(
            "A group is addressed with 'to' (the group id), not 'recipient'.",
        )),
        (None, Some(recipient)) => {
            let id = recipient.trim().to_string();
            if !users::is_user_id(&id) {
                return Err(GraphError::invalid(
                    "Parameter 'recipient' is not a valid business-scoped user ID.",
                ));
            }
            Ok((recipient, To::UserId(id)))
        }
    }
}

fn validate_media(kind: &str, object: &Value) -> Result<(), GraphError> {
    let id = string(object, "id").filter(|s| !s.is_empty());
    let link = string(object, "link").filter(|s| !s.is_empty());
    match (id, link) {
        (None, None) => {
            return Err(GraphError::param(format!(
                "Param {kind} must contain either 'id' or 'link'."
            )))
        }
        (_, Some(link)) if !url_like(link) => {
            return Err(GraphError::invalid(format!(
                "Parameter {kind}['link'] is not a valid URL."
            )))
        }
        _ => {}
    }
    if let Some(caption) = string(object, "caption") {
        at_most(caption, 1024, &format!("{kind}['caption']"))?;
    }
    Ok(())
}

fn validate_location(object: &Value) -> Result<(), GraphError> {
    for (key, limit) in [("latitude", 90.0), ("longitude", 180.0)] {
        let value = match object.get(key) {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match value {
            None => return Err(GraphError::required(&format!("location['{key}']"))),
            Some(v) if !(-limit..=limit).contains(&v) => {
                return Err(GraphError::value(format!(
                    "{key} must be between -{limit} and {limit}."
                )))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn validate_contacts(contacts: &Value) -> Result<(), GraphError> {
    let Some(cards) = contacts.as_array().filter(|c| !c.is_empty()) else {
        return Err(GraphError::required("contacts"));
    };
    for (i, card) in cards.iter().enumerate() {
        let name = card.get("name").cloned().unwrap_or(Value::Null);
        required_str(
            &name,
            "formatted_name",
            &format!("contacts[{i}]['name']['formatted_name']"),
        )?;
    }
    Ok(())
}

fn validate_interactive(object: &Value) -> Result<(), GraphError> {
    let kind = required_str(object, "type", "interactive['type']")?;
    if !INTERACTIVE_TYPES.contains(&kind) {
        return Err(GraphError::param(format!(
            "Param interactive['type'] must be one of {{BUTTON, CTA_URL, FLOW, LIST, PRODUCT, PRODUCT_LIST, ...}} - got \"{kind}\"."
        )));
    }
    let body_max = match kind {
        "button" | "cta_url" => Some(1024),
        "list" => Some(4096),
        _ => None,
    };
    if let Some(max) = body_max {
        let body = object.get("body").cloned().unwrap_or(Value::Null);
        let text = required_str(&body, "text", "interactive['body']['text']")?;
        at_most(text, max, "interactive['body']['text']")?;
    }
    if let Some(footer) = object.get("footer").and_then(|f| string(f, "text")) {
        at_most(footer, 60, "interactive['footer']['text']")?;
    }
    if let Some(header) = object.get("header") {
        if string(header, "type") == Some("text") {
            let text = required_str(header, "text", "interactive['header']['text']")?;
            at_most(text, 60, "interactive['header']['text']")?;
        }
    }
    let action = object.get("action").cloned().unwrap_or(Value::Null);
    match kind {
        "button" => {
            let buttons = action
                .get("buttons")
                .and_then(Value::as_array)
                .ok_or_else(|| GraphError::required("interactive['action']['buttons']"))?;
            if buttons.is_empty() || buttons.len() > 3 {
                return Err(GraphError::value("Buttons count invalid. Min: 1, Max: 3"));
            }
            let mut ids = HashSet::new();
            let mut titles = HashSet::new();
            for button in buttons {
                let reply = button.get("reply").cloned().unwrap_or(Value::Null);
                let id = required_str(
                    &reply,
                    "id",
                    "interactive['action']['buttons'][]['reply']['id']",
                )?;
                let title = string(&reply, "title").unwrap_or_default();
                if chars(title) == 0 || chars(title) > 20 {
                    return Err(GraphError::value(
                        "Button title length invalid. Min length: 1, Max length: 20",
                    ));
                }
                if chars(id) > 256 {
                    return Err(GraphError::value(
                        "Button id length invalid. Min length: 1, Max length: 256",
                    ));
                }
                if !ids.insert(id.to_string()) {
                    return Err(GraphError::value("Duplicate button id is not allowed."));
                }
                if !titles.insert(title.to_string()) {
                    return Err(GraphError::value("Button title must be unique."));
                }
            }
        }
        "list" => {
            let label = required_str(&action, "button", "interactive['action']['button']")?;
            if chars(label) > 20 {
                return Err(GraphError::value(
                    "Button label length invalid. Min length: 1, Max length: 20",
                ));
            }
            let sections = action
                .get("sections")
                .and_then(Value::as_array)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| GraphError::required("interactive['action']['sections']"))?;
            if sections.len() > 10 {
                return Err(GraphError::value("Too many sections. Max: 10"));
            }
            let mut rows_total = 0;
            let mut ids = HashSet::new();
            for section in sections {
                let title = string(section, "title").unwrap_or_default();
                if sections.len() > 1 && title.trim().is_empty() {
                    return Err(GraphError::required(
                        "interactive['action']['sections'][]['title']",
                    ));
                }
                if chars(title) > 24 {
                    return Err(GraphError::value(
                        "Section title length invalid. Max length: 24",
                    ));
                }
                let rows = section
                    .get("rows")
                    .and_then(Value::as_array)
                    .filter(|r| !r.is_empty())
                    .ok_or_else(|| {
                        GraphError::required("interactive['action']['sections'][]['rows']")
                    })?;
                rows_total += rows.len();
                for row in rows {
                    let id = required_str(
                        row,
                        "id",
                        "interactive['action']['sections'][]['rows'][]['id']",
                    )?;
                    let title = string(row, "title").unwrap_or_default();
                    if chars(title) == 0 || chars(title) > 24 {
                        return Err(GraphError::value(
                            "Row title length invalid. Min length: 1, Max length: 24",
                        ));
                    }
                    if string(row, "description").is_some_and(|d| chars(d) > 72) {
                        return Err(GraphError::value(
                            "Row description length invalid. Max length: 72",
                        ));
                    }
                    if chars(id) > 200 {
                        return Err(GraphError::value("Row id length invalid. Max length: 200"));
                    }
                    if !ids.insert(id.to_string()) {
                        return Err(GraphError::value("Duplicate row id is not allowed."));
                    }
                }
            }
            if rows_total > 10 {
                return Err(GraphError::value(format!(
                    "Total row count exceed max allowed count: 10 (got {rows_total})"
                )));
            }
        }
        "cta_url" => {
            if string(&action, "name") != Some("cta_url") {
                return Err(GraphError::required("interactive['action']['name']"));
            }
            let parameters = action.get("parameters").cloned().unwrap_or(Value::Null);
            let text = required_str(
                &parameters,
                "display_text",
                "interactive['action']['parameters']['display_text']",
            )?;
            if chars(text) > 20 {
                return Err(GraphError::value(
                    "Display text length invalid. Min length: 1, Max length: 20",
                ));
            }
            let url = required_str(
                &parameters,
                "url",
                "interactive['action']['parameters']['url']",
            )?;
            if !url_like(url) {
                return Err(GraphError::invalid("Parameter url is not a valid URL."));
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_paths() {
        assert!(is_graph_path("/v24.0/1/messages"));
        assert!(is_graph_path("/v1/1"));
        assert!(is_graph_path("/whatsapp_business/attachments/"));
        assert!(!is_graph_path("/"));
        assert!(!is_graph_path("/vx/1"));
        assert!(!is_graph_path("/_sandbox/requests"));
    }

    #[test]
    fn queries() {
        assert_eq!(
            query_param("a=1&fields=x%2Cy&b", "fields").as_deref(),
            Some("x,y")
        );
        assert_eq!(query_param("b", "b").as_deref(), Some(""));
        assert_eq!(query_param("x=%zz%", "x").as_deref(), Some("%zz%"));
        assert_eq!(query_param("x=1", "y"), None);
        assert_eq!(
            redact_query("access_token=abc&x=1"),
            "access_token=[redacted]&x=1"
        );
    }

    fn send(body: Value) -> Result<Send, GraphError> {
        validate_send(&body)
    }

    #[test]
    fn validation_is_roughly_metas() {
        let ok = send(json!({"messaging_product": "whatsapp", "to": "+1 650-555-1234", "type": "text", "text": {"body": "hi"}})).unwrap();
        assert_eq!(ok.to, To::Phone("16505551234".into()));
        assert_eq!(ok.input, "+1 650-555-1234");
        let by_id = send(json!({"recipient": " US.13491208655302741918", "text": {"body": "hi"}}));
        assert_eq!(
            by_id.map(|s| s.to).ok(),
            Some(To::UserId("US.13491208655302741918".into()))
        );
        let group =
            send(json!({"recipient_type": "group", "to": "Y2FmZQ", "text": {"body": "hi"}}));
        assert_eq!(group.map(|s| s.to).ok(), Some(To::Group("Y2FmZQ".into())));
        let code = |b: Value| send(b).err().map(|e| e.code);
        assert_eq!(
            code(json!({"type": "text", "text": {"body": "hi"}})),
            Some(100)
        );
        assert_eq!(
            code(json!({"to": "1555", "type": "text", "text": {"body": "hi"}})),
            Some(100)
        );
        assert_eq!(
            code(json!({"to": "15550001", "type": "poll", "poll": {}})),
            Some(100)
        );
        assert_eq!(
            code(json!({"to": "15550001", "type": "image", "image": {}})),
            Some(100)
        );
        assert_eq!(
            code(
                json!({"to": "15550001", "type": "interactive", "interactive": {
                "type": "button", "body": {"text": "b"},
                "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "this title is far too long"}}]}}})
            ),
            Some(131009)
        );
        assert_eq!(
            code(json!({"to": "15550001", "type": "text", "text": {"body": "x".repeat(4097)}})),
            Some(100)
        );
        assert!(send(json!({"to": "15550001", "text": {"body": "type defaults to text"}})).is_ok());
        let text = json!({"body": "hi"});
        for bad in [
            json!({"text": text}),
            json!({"to": "15550001", "recipient": "US.1", "text": text}),
            json!({"recipient": "16505551234", "text": text}),
            json!({"recipient": 5, "text": text}),
            json!({"recipient_type": "group", "recipient": "US.1", "text": text}),
            json!({"recipient_type": "channel", "to": "15550001", "text": text}),
        ] {
            assert_eq!(code(bad.clone()), Some(100), "{bad}");
        }
    }
}
