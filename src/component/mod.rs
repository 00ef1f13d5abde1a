//! The binding layer: maps the pure core to WIT exports and wasi:http. Compiled for
//! wasm32 only.

#[cfg(feature = "asterai")]
mod asterai;
#[cfg(feature = "asterai")]
use asterai as consumer;
#[cfg(not(feature = "asterai"))]
mod consumer;
mod http;
mod outgoing;
mod platform;

pub use platform::write_stderr;
use platform::{env, now_secs};

use wasi::http::types::{IncomingRequest, Method, ResponseOutparam};

use crate::bindings::exports::wasi::http::incoming_handler::Guest as HttpGuest;
use crate::config::{self, WebhookConfig, MAX_BODY_BYTES};
use crate::inbound::allowlist::{describe_user, is_from_business};
use crate::inbound::dedup::{message_key, status_key, update_key, Claim, DirStore, Seen};
use crate::inbound::payload::{self, Event, Skipped};
use crate::inbound::signature::{self, SignatureError};
use crate::inbound::verify::{handshake, Handshake};
use crate::log;
use crate::outbound::sender::describe_action;
use crate::types::{
    Action, DeliveryStatus, Message, ReadReceipt, StatusUpdate, UpdateDetails, WebhookUpdate,
};

/// The component.
pub struct Component;

/// One consumer's answer to a message: the actions to carry out, in order.
pub struct Reply {
    /// The consumer's name, where there can be several (the asterai build).
    consumer: Option<String>,
    /// What it asked for.
    actions: Vec<Action>,
}

crate::bindings::export!(Component with_types_in crate::bindings);

const TEXT: &[(&str, &str)] = &[("content-type", "text/plain; charset=utf-8")];
const JSON: &[(&str, &str)] = &[("content-type", "application/json")];

fn load_config() -> WebhookConfig {
    WebhookConfig::from_env(env, platform::preopened)
}

impl HttpGuest for Component {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        // Each route reads only what it needs: a POST (any path) never asks for the path,
        // and the handshake needs the verify token alone, not the whole environment parsed
        // and the state directory probed.
        match request.method() {
            Method::Get => get(&request, out),
            Method::Post => webhook(&request, out, &load_config()),
            _ => {
                log("method not allowed (405): the webhook takes GET and POST");
                http::respond(
                    out,
                    405,
                    &[("allow", "GET, POST"), TEXT[0]],
                    b"method not allowed",
                );
            }
        }
    }
}

/// A GET: the health report at `/health` (or `/healthz`), else Meta's handshake.
fn get(request: &IncomingRequest, out: ResponseOutparam) {
    let path_with_query = request.path_with_query().unwrap_or_default();
    let (path, query) = path_with_query
        .split_once('?')
        .unwrap_or((path_with_query.as_str(), ""));
    if matches!(path, "/health" | "/healthz") {
        let config = load_config();
        let outgoing_missing = crate::outbound::graph::missing_env(env);
        let (status, body) = config::health(&config, &outgoing_missing);
        http::respond(out, status, JSON, body.as_bytes());
        return;
    }
    match handshake(config::verify_token(env).as_deref(), query) {
        Handshake::Accept(challenge) => {
            log("webhook verified: handshake accepted");
            http::respond(out, 200, TEXT, challenge.as_bytes());
        }
        Handshake::Reject(reason) => {
            log(&format!("handshake rejected (403): {reason}"));
            http::respond(out, 403, TEXT, b"forbidden");
        }
    }
}

/// A signed POST from Meta: check, acknowledge, then dispatch.
fn webhook(request: &IncomingRequest, out: ResponseOutparam, config: &WebhookConfig) {
    let Some(secret) = config.app_secret.as_deref() else {
        log(&format!(
            "webhook refused (503): {}",
            SignatureError::NoSecret.describe()
        ));
        http::respond(out, 503, TEXT, b"not configured");
        return;
    };
    // One copy of the headers for both look-ups (every `headers()` is a new resource
    // holding a copy of all of them), let go of before the body is read.
    let headers = request.headers();
    let declared = http::first(&headers, "content-length")
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let signature_header = http::first(&headers, "x-hub-signature-256");
    drop(headers);
    if let Some(length) = declared.filter(|n| *n > MAX_BODY_BYTES as u64) {
        log(&format!(
            "webhook refused (413): declared content-length {length} is over {MAX_BODY_BYTES} bytes"
        ));
        http::respond(out, 413, TEXT, b"payload too large");
        return;
    }
    let body = match http::read_body(request, MAX_BODY_BYTES) {
        Ok(body) => body,
        Err(http::ReadError::TooLarge) => {
            log(&format!(
                "webhook refused (413): body larger than {MAX_BODY_BYTES} bytes"
            ));
            http::respond(out, 413, TEXT, b"payload too large");
            return;
        }
        Err(http::ReadError::Broken) => {
            log("webhook refused (400): the request body could not be read to its end");
            http::respond(out, 400, TEXT, b"bad request");
            return;
        }
    };
    if let Err(e) = signature::verify(secret.as_bytes(), signature_header.as_deref(), &body) {
        log(&format!("webhook refused (401): {}", e.describe()));
        http::respond(out, 401, TEXT, b"invalid signature");
        return;
    }
    let parsed = payload::parse(&body);
    drop(body);
    // Acknowledge before anything slow: Meta counts a late answer as a failure.
    http::respond(out, 200, TEXT, b"ok");
    match parsed {
        Ok(batch) => dispatch(batch, config),
        Err(e) => log(&format!(
            "webhook acknowledged, nothing dispatched: {}",
            e.describe()
        )),
    }
}

/// Dedup across requests (directory store, when configured) and within one.
struct Dedup {
    store: Option<DirStore>,
    seen: Seen,
    now: u64,
    warned: bool,
}

impl Dedup {
    fn first(&mut self, key: &str) -> bool {
        if !self.seen.first(key) {
            return false;
        }
        let Some(store) = &self.store else {
            return true;
        };
        match store.claim(key, self.now) {
            Claim::New => true,
            Claim::Duplicate => false,
            Claim::Unavailable(reason) => {
                if !self.warned {
                    log(&format!(
                        "dedup store unavailable, dispatching anyway: {reason}"
                    ));
                    self.warned = true;
                }
                true
            }
        }
    }
}

fn dispatch(batch: payload::Batch, config: &WebhookConfig) {
    for skipped in &batch.skipped {
        match skipped {
            Skipped::NoField => log("a change without a field name was acknowledged and skipped"),
            Skipped::NoId(what) => log(&format!(
                "a {what} without an id was acknowledged and skipped"
            )),
            Skipped::BadValue => log("a messages change without a value object was skipped"),
        }
    }
    let store = config
        .state_dir
        .as_ref()
        .map(|d| DirStore::new(d, config.dedup_ttl_secs));
    // The clock is only needed for the store's expiry.
    let now = if store.is_some() { now_secs() } else { 0 };
    let mut dedup = Dedup {
        store,
        seen: Seen::default(),
        now,
        warned: false,
    };
    let mut sender = LazySender::default();
    for event in batch.events {
        match event {
            Event::Message(message) => on_message(&message, config, &mut dedup, &mut sender),
            Event::Status(status) => on_status(&status, config, &mut dedup),
            Event::Update(update) => on_update(&update, config, &mut dedup),
        }
    }
    if let Some(store) = &dedup.store {
        // Keep the directory bounded: sweep one of 256 shards per request.
        let shard = (wasi::random::random::get_random_u64() & 0xff) as u8;
        store.sweep(shard, now);
    }
}

/// The Graph API sender, configured from the environment when first needed: a webhook
/// whose messages need no Graph call (no read receipt, no action) never reads it.
#[derive(Default)]
struct LazySender(Option<outgoing::WasiSender>);

impl LazySender {
    fn get(&mut self) -> &mut outgoing::WasiSender {
        self.0.get_or_insert_with(outgoing::sender)
    }
}

fn on_message(
    message: &Message,
    config: &WebhookConfig,
    dedup: &mut Dedup,
    sender: &mut LazySender,
) {
    if is_from_business(&message.sender, &message.display_phone_number) {
        log(&format!(
            "message {} from the business number itself was not dispatched",
            message.id
        ));
        return;
    }
    if !config.allowlist.allows(&message.sender) {
        log(&format!(
            "message {} from {} dropped: not in WHATSAPP_PHONE_ALLOWLIST",
            message.id,
            describe_user(&message.sender)
        ));
        return;
    }
    if !dedup.first(&message_key(&message.id)) {
        log(&format!(
            "message {} was already dispatched; redelivery ignored",
            message.id
        ));
        return;
    }
    if let Some(why) = consumer::off(config) {
        log(&format!("message {} acknowledged; {why}", message.id));
        return;
    }
    if config.mark_read {
        // From the number that received the message: Meta posts every number of the
        // account to this one webhook.
        let receipt = ReadReceipt {
            message_id: message.id.clone(),
            typing: config.typing_indicator,
            phone_number_id: Some(message.phone_number_id.clone()).filter(|p| !p.is_empty()),
        };
        if let Err(e) = sender.get().mark_read(&receipt) {
            log(&format!(
                "marking {} read failed: {}",
                message.id,
                crate::outbound::sender::describe_error(&e)
            ));
        }
    }
    // Each consumer's actions are carried out as soon as it returns, before the next
    // consumer (the asterai build's) is called.
    consumer::on_message(config, message, |reply| {
        let of = reply
            .consumer
            .as_deref()
            .map(|name| format!(" of {name}"))
            .unwrap_or_default();
        for (index, action) in reply.actions.into_iter().enumerate() {
            if let Err(e) = sender.get().run_action(message, action.clone()) {
                log(&format!(
                    "action {}{of} ({}) for message {} failed: {}",
                    index + 1,
                    describe_action(&action),
                    message.id,
                    e
                ));
            }
        }
    });
}

fn on_status(status: &StatusUpdate, config: &WebhookConfig, dedup: &mut Dedup) {
    let name = match &status.status {
        DeliveryStatus::Sent => "sent",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Read => "read",
        DeliveryStatus::Failed => "failed",
        DeliveryStatus::Deleted => "deleted",
        DeliveryStatus::Other(other) => other.as_str(),
    };
    let recipient = status
        .recipient
        .user_id
        .as_deref()
        .or(status.recipient.phone.as_deref())
        .unwrap_or("");
    if !dedup.first(&status_key(&status.message_id, name, recipient)) {
        log(&format!(
            "status {name} of {} was already dispatched; redelivery ignored",
            status.message_id
        ));
        return;
    }
    if consumer::off(config).is_none() {
        consumer::on_status(config, status);
    }
}

fn on_update(update: &WebhookUpdate, config: &WebhookConfig, dedup: &mut Dedup) {
    if let UpdateDetails::Errors(errors) = &update.details {
        let codes: Vec<i64> = errors.iter().map(|e| e.code).collect();
        log(&format!(
            "Meta reported errors for a change: codes {codes:?}"
        ));
    }
    let key = update_key(
        &update.business_account_id,
        &update.field,
        update.timestamp,
        &update.raw_json,
    );
    if !dedup.first(&key) {
        log(&format!(
            "update of field {:?} was already dispatched; redelivery ignored",
            update.field
        ));
        return;
    }
    if consumer::off(config).is_none() {
        consumer::on_update(config, update);
    }
}
