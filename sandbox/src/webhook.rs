//! Meta -> component: webhook envelopes for the user's messages and for delivery
//! statuses, signed with the App Secret over the exact bytes sent, and the GET
//! verification handshake.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::Method;
use serde_json::{json, Map, Value};

use crate::config::BusinessNumber;
use crate::faults::GraphError;
use crate::http;
use crate::png;
use crate::state::{App, ChatMessage};
use crate::users::{self, insert_some, User};
use crate::wire;

/// `{"object": "whatsapp_business_account", "entry": [{"id", "changes": [{"value", "field": "messages"}]}]}`
/// with `messaging_product` and the `metadata` of business number `number` added to
/// `value`.
pub fn envelope(app: &App, number: &BusinessNumber, fields: Map<String, Value>) -> Value {
    let mut value = Map::new();
    value.insert("messaging_product".into(), json!("whatsapp"));
    value.insert(
        "metadata".into(),
        json!({
            "display_phone_number": number.display_phone_number,
            "phone_number_id": number.phone_number_id,
        }),
    );
    value.extend(fields);
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": app.config.waba_id,
            "changes": [{"value": value, "field": "messages"}],
        }],
    })
}

/// How the webhook answered a POST.
pub struct Delivery {
    /// HTTP status.
    pub status: u16,
    /// Round trip in milliseconds.
    pub ms: u64,
    /// The start of the answer's body.
    pub body: String,
}

impl Delivery {
    fn ok(&self) -> bool {
        self.status == 200
    }
}

/// POSTs `bytes` to the webhook with Meta's headers and signature.
pub async fn deliver(app: &App, bytes: Bytes) -> Result<Delivery, String> {
    let headers = [
        ("content-type", "application/json".to_string()),
        (
            "x-hub-signature-256",
            wire::signature(&app.config.app_secret, &bytes),
        ),
        ("user-agent", "facebookexternalua".to_string()),
        ("accept", "*/*".to_string()),
    ];
    let started = Instant::now();
    let answer = http::send(
        &app.webhook,
        Method::POST,
        &app.webhook.path,
        &headers,
        bytes,
        app.config.timing.webhook_timeout,
    )
    .await?;
    let body: String = String::from_utf8_lossy(&answer.body)
        .chars()
        .take(300)
        .collect();
    Ok(Delivery {
        status: answer.status,
        ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        body,
    })
}

/// One line for a log or the page: why a delivery did not count as received.
fn describe_failure(app: &App, result: &Result<Delivery, String>) -> Option<String> {
    match result {
        Ok(d) if d.ok() => None,
        Ok(d) => {
            let body = d.body.trim();
            let hint = match d.status {
                401 | 403 => {
                    " Does the component's WHATSAPP_APP_SECRET match the sandbox's --app-secret?"
                }
                404 | 405 => " Is --webhook the component's address and path?",
                _ => "",
            };
            Some(if body.is_empty() {
                format!(
                    "Webhook {} answered HTTP {} (Meta expects 200).{hint}",
                    app.config.webhook, d.status
                )
            } else {
                format!(
                    "Webhook {} answered HTTP {} (Meta expects 200): {body}.{hint}",
                    app.config.webhook, d.status
                )
            })
        }
        Err(e) => Some(format!(
            "Webhook {} is unreachable: {e}. Is the component running?",
            app.config.webhook
        )),
    }
}

fn note_delivery(app: &App, what: &str, result: &Result<Delivery, String>) -> Option<String> {
    let failure = describe_failure(app, result);
    let state = match (result, &failure) {
        (Ok(d), None) => {
            json!({"state": "ok", "status": d.status, "ms": d.ms, "what": what, "at": wire::now_ms()})
        }
        (Ok(d), Some(e)) => {
            json!({"state": "error", "status": d.status, "ms": d.ms, "error": e, "what": what, "at": wire::now_ms()})
        }
        (Err(_), Some(e)) => {
            json!({"state": "unreachable", "error": e, "what": what, "at": wire::now_ms()})
        }
        (Err(_), None) => json!({"state": "unknown"}),
    };
    match result {
        Ok(d) => eprintln!(
            "sandbox: webhook {what} -> HTTP {} in {} ms",
            d.status, d.ms
        ),
        Err(e) => eprintln!("sandbox: webhook {what} failed: {e}"),
    }
    app.set_webhook_state(state);
    failure
}

/// A send's delivery story: `sent`, then `delivered`, then `read` once the user's chat
/// with the sending number is open and visible in a page; or `failed` when a
/// `status_failed` fault hit it.
pub struct Lifecycle {
    /// The message id.
    pub id: String,
    /// The business number that sent it.
    pub number: BusinessNumber,
    /// The recipient, as far as the sandbox knows them.
    pub user: User,
    /// The `pricing` object for `sent` and `delivered`.
    pub pricing: Value,
    /// `biz_opaque_callback_data` from the send, echoed in statuses.
    pub biz_opaque: Option<String>,
    /// The error a `failed` status carries.
    pub failure: Option<GraphError>,
}

/// Runs a [`Lifecycle`] in the background.
pub fn spawn_statuses(app: Arc<App>, life: Lifecycle) {
    tokio::spawn(async move {
        let timing = app.config.timing;
        let conversation = wire::random_hex(32).to_lowercase();
        tokio::time::sleep(timing.sent).await;
        if let Some(error) = &life.failure {
            post_status(&app, &life, &conversation, "failed", Some(error)).await;
            return;
        }
        post_status(&app, &life, &conversation, "sent", None).await;
        tokio::time::sleep(timing.delivered).await;
        post_status(&app, &life, &conversation, "delivered", None).await;

        let mut changes = app.visibility_changes();
        let give_up = tokio::time::Instant::now() + Duration::from_secs(6 * 3600);
        let (number, chat) = (life.number.phone_number_id.clone(), life.user.chat());
        loop {
            if app.is_visible(&number, &chat) {
                tokio::time::sleep(timing.read).await;
                if app.is_visible(&number, &chat) {
                    post_status(&app, &life, &conversation, "read", None).await;
                    return;
                }
                continue;
            }
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return },
                _ = tokio::time::sleep_until(give_up) => return,
            }
        }
    });
}

async fn post_status(
    app: &App,
    life: &Lifecycle,
    conversation: &str,
    status: &str,
    error: Option<&GraphError>,
) {
    let now = wire::now_ms() / 1000;
    let mut object = status_object(life, status, now);
    if matches!(status, "sent" | "delivered") {
        object["pricing"] = life.pricing.clone();
    }
    if status == "sent" {
        object["conversation"] = json!({
            "id": conversation,
            "expiration_timestamp": (now + 24 * 3600).to_string(),
            "origin": {"type": life.pricing["category"]},
        });
    }
    if let Some(data) = &life.biz_opaque {
        object["biz_opaque_callback_data"] = json!(data);
    }
    if let Some(e) = error {
        let title = e
            .message
            .split_once(") ")
            .map_or(e.message.as_str(), |(_, t)| t)
            .trim_end_matches('.')
            .to_string();
        object["errors"] = json!([{
            "code": e.code,
            "title": title,
            "message": title,
            "error_data": {"details": e.details.clone().unwrap_or_else(|| title.clone())},
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
        }]);
    }
    let mut fields = Map::new();
    // Meta describes the recipient in `contacts` too, except on `failed`; the username
    // only from `delivered` on.
    if status != "failed" && life.user.user_id.is_some() {
        fields.insert(
            "contacts".into(),
            json!([life.user.contact(status != "sent")]),
        );
    }
    fields.insert("statuses".into(), json!([object]));
    let bytes = Bytes::from(wire::meta_json(&envelope(app, &life.number, fields)));
    let result = deliver(app, bytes).await;
    let failure = note_delivery(app, &format!("status {status}"), &result);
    let outcome = match &result {
        Ok(d) => json!({"status": status, "http": d.status, "ms": d.ms}),
        Err(_) => json!({"status": status, "error": failure}),
    };
    let status = status.to_string();
    let error_text = error.map(|e| e.message.clone());
    app.update_message(&life.id, |m| {
        m.status = status;
        if error_text.is_some() {
            m.error = error_text;
        }
        match m.detail.get_mut("statuses").and_then(Value::as_array_mut) {
            Some(list) => list.push(outcome),
            None => m.detail["statuses"] = json!([outcome]),
        }
    });
}

/// `{id, status, timestamp}` and the recipient's ids: `recipient_id` (the phone number,
/// when known), `recipient_user_id`, `recipient_parent_user_id`.
fn status_object(life: &Lifecycle, status: &str, now: u64) -> Value {
    let mut object = Map::new();
    object.insert("id".into(), json!(life.id));
    object.insert("status".into(), json!(status));
    object.insert("timestamp".into(), json!(now.to_string()));
    insert_some(&mut object, "recipient_id", &life.user.phone);
    insert_some(&mut object, "recipient_user_id", &life.user.user_id);
    insert_some(
        &mut object,
        "recipient_parent_user_id",
        &life.user.parent_user_id,
    );
    Value::Object(object)
}

fn string<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A non-empty, trimmed string at `v[key]`.
fn given<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    string(v, key).map(str::trim).filter(|s| !s.is_empty())
}

/// The business number a `/_sandbox/send` writes to: `phone_number_id` (a string or a
/// number), else the configured one.
fn business_number(app: &App, action: &Value) -> Result<BusinessNumber, String> {
    let id = match action.get("phone_number_id") {
        Some(Value::Number(n)) => n.to_string(),
        _ => match given(action, "phone_number_id") {
            Some(id) => id.to_string(),
            None => return Ok(app.config.first()),
        },
    };
    app.config.number(&id).ok_or_else(|| {
        let known: Vec<String> = app
            .config
            .numbers()
            .into_iter()
            .map(|n| n.phone_number_id)
            .collect();
        format!(
            "`phone_number_id` {id} is not a number of the sandbox ({})",
            known.join(", ")
        )
    })
}

/// Who acts in a `/_sandbox/send`: the known user with `user_id`, else with `from` (a
/// phone number), else the first demo user; someone new otherwise, with a user id of
/// their own when none is given. `name`, `username` and `parent_user_id` override.
fn sender(app: &App, action: &Value) -> Result<User, String> {
    let phone = match given(action, "from") {
        None => None,
        Some(f) => {
            Some(wire::phone_digits(f).ok_or("`from` must be a phone number (5 to 15 digits)")?)
        }
    };
    let user_id = valid_user_id(action, "user_id")?;
    let known = match (&user_id, &phone) {
        (Some(id), _) => app.user_by_id(id),
        (None, Some(p)) => app.user_by_phone(p),
        (None, None) => users::demo().into_iter().next(),
    };
    let mut user = known.unwrap_or_default();
    if phone.is_some() {
        user.phone = phone;
    }
    if user_id.is_some() {
        user.user_id = user_id;
    }
    if let Some(name) = given(action, "name") {
        user.name = Some(name.to_string());
    }
    if let Some(username) = given(action, "username") {
        user.username = Some(username.trim_start_matches('@').to_string());
    }
    if let Some(parent) = valid_user_id(action, "parent_user_id")? {
        user.parent_user_id = Some(parent);
    }
    if user.user_id.is_none() {
        user.user_id = user.phone.as_deref().map(users::user_id_for_phone);
    }
    user.name.get_or_insert_with(|| "Sandbox User".to_string());
    Ok(user)
}

/// `action[key]` when it is a business-scoped user id; an error when it is something else.
fn valid_user_id(action: &Value, key: &str) -> Result<Option<String>, String> {
    match given(action, key) {
        None => Ok(None),
        Some(id) if users::is_user_id(id) => Ok(Some(id.to_string())),
        Some(_) => Err(format!(
            "`{key}` must be a business-scoped user id like US.13491208655302741918"
        )),
    }
}

fn bad(message: &str) -> (u16, Value) {
    (400, json!({"ok": false, "error": message}))
}

/// `POST /_sandbox/send`: the user does something in the chat. Answers once the
/// webhook has (or has not) accepted it.
pub async fn user_action(app: &Arc<App>, action: &Value) -> (u16, Value) {
    let kind = string(action, "type").unwrap_or("text");
    if kind == "retry" {
        return match string(action, "id") {
            Some(id) => retry(app, id).await,
            None => bad("`id` is required to retry"),
        };
    }
    let (number, user) = match (business_number(app, action), sender(app, action)) {
        (Ok(number), Ok(user)) => (number, user),
        (Err(e), _) | (_, Err(e)) => return bad(&e),
    };
    let context = string(action, "context").filter(|c| !c.is_empty());
    let id = wire::wamid(&user.chat(), true);

    let mut message = Map::new();
    insert_some(&mut message, "from", &user.phone);
    insert_some(&mut message, "from_user_id", &user.user_id);
    insert_some(&mut message, "from_parent_user_id", &user.parent_user_id);
    message.insert("id".into(), json!(id));
    message.insert("timestamp".into(), json!(wire::now_secs_string()));
    message.insert("type".into(), json!(kind));
    let mut reaction_target = None;
    match kind {
        "text" => {
            let Some(body) = string(action, "text").filter(|t| !t.trim().is_empty()) else {
                return bad("`text` is required");
            };
            if body.chars().count() > 65_536 {
                return bad("`text` is too long");
            }
            message.insert("text".into(), json!({ "body": body }));
        }
        "image" => {
            let media = wire::media_id();
            let picture = png::picture(png::seed_of(&media));
            let mut image = json!({
                "mime_type": "image/png",
                "sha256": wire::base64(&wire::sha256(&picture)),
                "id": media,
            });
            if let Some(caption) = string(action, "caption").filter(|c| !c.trim().is_empty()) {
                image["caption"] = json!(caption);
            }
            message.insert("image".into(), image);
            app.remember_user_media(&media, "image");
        }
        "audio" => {
            // A voice note, as Meta sends one: Ogg Opus, `voice: true`.
            let media = wire::media_id();
            let note = crate::media::voice_note(png::seed_of(&media));
            message.insert(
                "audio".into(),
                json!({
                    "mime_type": crate::media::VOICE_MIME,
                    "sha256": wire::base64(&wire::sha256(&note)),
                    "id": media,
                    "voice": true,
                }),
            );
            app.remember_user_media(&media, "audio");
        }
        "location" => {
            let latitude = action.get("latitude").and_then(Value::as_f64);
            let longitude = action.get("longitude").and_then(Value::as_f64);
            let (Some(latitude), Some(longitude)) = (latitude, longitude) else {
                return bad("`latitude` and `longitude` are required numbers");
            };
            let mut location = json!({"latitude": latitude, "longitude": longitude});
            for key in ["name", "address", "url"] {
                if let Some(v) = string(action, key).filter(|v| !v.is_empty()) {
                    location[key] = json!(v);
                }
            }
            message.insert("location".into(), location);
        }
        "reaction" => {
            let Some(target) = string(action, "message_id").filter(|t| !t.is_empty()) else {
                return bad("`message_id` is required");
            };
            let emoji = string(action, "emoji").unwrap_or_default();
            let mut reaction = json!({ "message_id": target });
            if !emoji.is_empty() {
                reaction["emoji"] = json!(emoji);
            }
            message.insert("reaction".into(), reaction);
            reaction_target = Some((target.to_string(), emoji.to_string()));
        }
        "button_reply" | "list_reply" => {
            let (Some(reply_id), Some(title)) = (string(action, "id"), string(action, "title"))
            else {
                return bad("`id` and `title` are required");
            };
            if context.is_none() {
                return bad("`context` (the id of the message with the buttons) is required");
            }
            let mut reply = json!({"id": reply_id, "title": title});
            if kind == "list_reply" {
                if let Some(d) = string(action, "description").filter(|d| !d.is_empty()) {
                    reply["description"] = json!(d);
                }
            }
            message.insert("type".into(), json!("interactive"));
            message.insert("interactive".into(), json!({ "type": kind, kind: reply }));
        }
        "button" => {
            let (Some(payload), Some(text)) = (string(action, "payload"), string(action, "text"))
            else {
                return bad("`payload` and `text` are required");
            };
            message.insert("button".into(), json!({"payload": payload, "text": text}));
        }
        other => {
            return bad(&format!(
                "unknown type `{other}`: text, image, audio (a voice note), location, reaction, button_reply, list_reply, button or retry"
            ))
        }
    }
    if let Some(context) = context {
        message.insert(
            "context".into(),
            json!({"from": number.display_phone_number, "id": context}),
        );
    }
    let message = Value::Object(message);
    let mut fields = Map::new();
    fields.insert("contacts".into(), json!([user.contact(true)]));
    fields.insert("messages".into(), json!([message.clone()]));
    let bytes = Bytes::from(wire::meta_json(&envelope(app, &number, fields)));
    app.remember(&user);

    if let Some((target, emoji)) = &reaction_target {
        let emoji = emoji.clone();
        app.update_message(target, |m| {
            m.user_reaction = (!emoji.is_empty()).then_some(emoji);
        });
    } else {
        app.add_message(ChatMessage {
            seq: 0,
            id: id.clone(),
            from_user: true,
            phone_number_id: number.phone_number_id.clone(),
            user: user.clone(),
            ts_ms: wire::now_ms(),
            kind: string(&message, "type").unwrap_or(kind).to_string(),
            payload: message,
            status: "pending".to_string(),
            error: None,
            user_reaction: None,
            bot_reaction: None,
            detail: json!({}),
            wire: Some(bytes.clone()),
            media: None,
        });
    }
    let result = deliver(app, bytes).await;
    let (status, mut answer) = finish_user(app, &id, kind, result);
    answer["phone_number_id"] = json!(number.phone_number_id);
    answer["user"] = user.to_json();
    (status, answer)
}

async fn retry(app: &Arc<App>, id: &str) -> (u16, Value) {
    let Some(bytes) = app.message(id).and_then(|m| m.wire) else {
        return (
            404,
            json!({"ok": false, "error": "no user message with that id"}),
        );
    };
    app.update_message(id, |m| {
        m.status = "pending".to_string();
        m.error = None;
    });
    let result = deliver(app, bytes).await;
    finish_user(app, id, "retry", result)
}

fn finish_user(
    app: &Arc<App>,
    id: &str,
    kind: &str,
    result: Result<Delivery, String>,
) -> (u16, Value) {
    let failure = note_delivery(app, &format!("message ({kind})"), &result);
    let webhook = match &result {
        Ok(d) => json!({"status": d.status, "ms": d.ms, "body": d.body}),
        Err(e) => json!({"error": e}),
    };
    let error = failure.clone();
    let detail = webhook.clone();
    app.update_message(id, |m| {
        match &error {
            None if m.status == "pending" => m.status = "delivered".to_string(),
            None => {}
            Some(_) => m.status = "failed".to_string(),
        }
        m.error = error;
        m.detail["webhook"] = detail;
    });
    match failure {
        None => (200, json!({"ok": true, "id": id, "webhook": webhook})),
        Some(error) => {
            app.emit("notice", json!({"level": "error", "text": error, "id": id}));
            (
                502,
                json!({"ok": false, "id": id, "error": error, "webhook": webhook}),
            )
        }
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Meta's verification handshake: `GET <webhook>?hub.mode=subscribe&hub.challenge=N&hub.verify_token=V`;
/// it passes when the answer is 200 with exactly the challenge.
pub async fn verify(app: &App) -> Value {
    let Some(token) = &app.config.verify_token else {
        return json!({"ok": false, "error": "no verify token configured (--verify-token)"});
    };
    let challenge = (wire::random_u64() % 9_000_000_000 + 1_000_000_000).to_string();
    let path = app.webhook.with_query(&format!(
        "hub.mode=subscribe&hub.challenge={challenge}&hub.verify_token={}",
        percent_encode(token)
    ));
    let started = Instant::now();
    let result = http::send(
        &app.webhook,
        Method::GET,
        &path,
        &[(
            "user-agent",
            "facebookplatform/1.0 (+http://developers.facebook.com)".to_string(),
        )],
        Bytes::new(),
        app.config.timing.webhook_timeout,
    )
    .await;
    let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let outcome = match result {
        Ok(a) if a.status == 200 && a.body.as_ref() == challenge.as_bytes() => {
            json!({"ok": true, "status": 200, "text": "Webhook verified: it echoed the challenge."})
        }
        Ok(a) => json!({
            "ok": false,
            "status": a.status,
            "error": format!(
                "Verification failed: HTTP {} with body {:?} (wanted 200 with {challenge}). Do the verify tokens match?",
                a.status,
                String::from_utf8_lossy(&a.body).chars().take(120).collect::<String>()
            ),
        }),
        Err(e) => {
            json!({"ok": false, "unreachable": true, "error": format!("Verification failed: {e}")})
        }
    };
    let mut state = json!({"what": "verification", "at": wire::now_ms(), "ms": ms});
    if outcome["ok"] == true {
        state["state"] = json!("ok");
        state["status"] = json!(200);
    } else {
        let unreachable = outcome["unreachable"] == true;
        state["state"] = json!(if unreachable { "unreachable" } else { "error" });
        state["status"] = outcome["status"].clone();
        state["error"] = outcome["error"].clone();
    }
    app.set_webhook_state(state);
    outcome
}

/// At start, with a verify token: try the handshake until the webhook answers at all
/// (for about a minute), and log the outcome.
pub fn spawn_startup_verify(app: Arc<App>) {
    if app.config.verify_token.is_none() {
        return;
    }
    tokio::spawn(async move {
        for _ in 0..30 {
            let result = verify(&app).await;
            if result.get("unreachable").is_none() {
                let text = string(&result, "text")
                    .or_else(|| string(&result, "error"))
                    .unwrap_or_default()
                    .to_string();
                eprintln!("sandbox: {text}");
                app.emit("verify", result);
                return;
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        eprintln!(
            "sandbox: webhook {} did not answer the verification handshake; POST /_sandbox/verify to try again",
            app.config.webhook
        );
    });
}
