//! The binding layer: maps the pure core to WIT exports and wasi:http. Compiled for
//! wasm32 only.

#[cfg(feature = "asterai")]
mod asterai;
#[cfg(feature = "asterai")]
use asterai as consumer;
#[cfg(not(feature = "asterai"))]
mod consumer;
mod delivery;
mod http;
mod media;
mod outgoing;
mod platform;

use std::sync::OnceLock;

use platform::env;
pub use platform::write_stderr;

use wasi::http::types::{IncomingRequest, Method, ResponseOutparam};

use crate::bindings::exports::wasi::http::incoming_handler::Guest as HttpGuest;
use crate::config::{self, WebhookConfig, MAX_BODY_BYTES};
use crate::inbound::payload;
use crate::inbound::signature::SignatureError;
use crate::inbound::verify::{handshake, Handshake};
use crate::log;
use delivery::Delivery;
use http::Headers;

/// The instance's allocator: freed small blocks are kept for the next request of their
/// size (`heap`), in front of wasi-libc's `malloc`.
#[global_allocator]
static HEAP: crate::heap::Heap<std::alloc::System> = crate::heap::Heap::new(std::alloc::System);

/// The component.
pub struct Component;

/// What a consumer did with an event. (The composed build's one consumer always
/// returns: a trap ends the instance.)
#[cfg_attr(not(feature = "asterai"), allow(dead_code))]
pub enum Outcome<T> {
    /// It returned this.
    Done(T),
    /// The event is not for it (a non-text message for an asterai 0.1.0 consumer).
    Skipped,
    /// It failed without trapping (an asterai consumer's call failed): try again later.
    Failed,
}

crate::bindings::export!(Component with_types_in crate::bindings);

static TEXT: Headers = Headers::new(&[("content-type", "text/plain; charset=utf-8")]);
static JSON: Headers = Headers::new(&[("content-type", "application/json")]);
static NOT_ALLOWED: Headers = Headers::new(&[
    ("allow", "GET, POST"),
    ("content-type", "text/plain; charset=utf-8"),
]);

/// The webhook's configuration: read from the environment on first use, then kept for
/// the instance (a host that reuses instances serves many requests with it; neither the
/// environment nor the preopened directories change while an instance lives).
fn load_config() -> &'static WebhookConfig {
    static CONFIG: OnceLock<WebhookConfig> = OnceLock::new();
    CONFIG.get_or_init(|| WebhookConfig::from_env(env, platform::preopened))
}

/// The handshake's verify token: read on first use, then kept for the instance, like
/// the rest of the configuration (the handshake reads only this).
fn verify_token() -> Option<&'static str> {
    static TOKEN: OnceLock<Option<String>> = OnceLock::new();
    TOKEN.get_or_init(|| config::verify_token(env)).as_deref()
}

impl HttpGuest for Component {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        // Each route reads only what it needs: a POST (any path) never asks for the path,
        // and the handshake needs the verify token alone, not the whole environment parsed
        // and the state directory probed.
        match request.method() {
            Method::Get => get(&request, out),
            Method::Post => webhook(&request, out, load_config()),
            _ => {
                log("method not allowed (405): the webhook takes GET and POST");
                http::respond(out, 405, &NOT_ALLOWED, b"method not allowed");
            }
        }
    }
}

/// A GET: the health report at `/health` (or `/healthz`), else Meta's handshake.
fn get(request: &IncomingRequest, out: ResponseOutparam) {
    let path_with_query = request.path_with_query().unwrap_or_default();
    // A byte search: `split_once('?')` sets up a char searcher for one ASCII byte.
    let (path, query) = match path_with_query.bytes().position(|b| b == b'?') {
        Some(at) => (
            path_with_query.get(..at).unwrap_or_default(),
            path_with_query.get(at + 1..).unwrap_or_default(),
        ),
        None => (path_with_query.as_str(), ""),
    };
    if matches!(path, "/health" | "/healthz") {
        let config = load_config();
        let outgoing_missing = crate::outbound::graph::missing_env(env);
        let mut delivery = Delivery::new(config);
        let (status, body) = config::health(config, &outgoing_missing, delivery.counts());
        http::respond(out, status, &JSON, body.as_bytes());
        // After its own answer, like a webhook: dispatches what did not finish.
        delivery.recover();
        return;
    }
    match handshake(verify_token(), query) {
        // Not logged: Meta's dashboard says the callback URL was verified, and a line per
        // handshake costs `wasmtime serve` 12-15 % of its handshake rate (bench/results.md).
        Handshake::Accept(challenge) => http::respond(out, 200, &TEXT, challenge.as_bytes()),
        Handshake::Reject(reason) => {
            log(&format!("handshake rejected (403): {reason}"));
            http::respond(out, 403, &TEXT, b"forbidden");
        }
    }
}

/// A signed POST from Meta: check, acknowledge, then dispatch.
fn webhook(request: &IncomingRequest, out: ResponseOutparam, config: &WebhookConfig) {
    let Some(secret) = config.app_secret.as_ref() else {
        log(&format!(
            "webhook refused (503): {}",
            SignatureError::NoSecret.describe()
        ));
        http::respond(out, 503, &TEXT, b"not configured");
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
        http::respond(out, 413, &TEXT, b"payload too large");
        return;
    }
    let body = match http::read_body(request, MAX_BODY_BYTES, declared) {
        Ok(body) => body,
        Err(http::ReadError::TooLarge) => {
            log(&format!(
                "webhook refused (413): body larger than {MAX_BODY_BYTES} bytes"
            ));
            http::respond(out, 413, &TEXT, b"payload too large");
            return;
        }
        Err(http::ReadError::Broken) => {
            log("webhook refused (400): the request body could not be read to its end");
            http::respond(out, 400, &TEXT, b"bad request");
            return;
        }
    };
    if let Err(e) = secret.verify(signature_header.as_deref(), &body) {
        log(&format!("webhook refused (401): {}", e.describe()));
        http::respond(out, 401, &TEXT, b"invalid signature");
        return;
    }
    let parsed = payload::parse(&body);
    drop(body);
    let mut delivery = Delivery::new(config);
    // What is new is recorded before the 200: nothing acknowledged is lost.
    let pending = match parsed {
        Ok(batch) => delivery.accept(batch),
        Err(e) => {
            log(&format!(
                "webhook acknowledged, nothing dispatched: {}",
                e.describe()
            ));
            Vec::new()
        }
    };
    // Acknowledge before anything slow: Meta counts a late answer as a failure.
    http::acknowledge(out);
    delivery.dispatch(pending);
    delivery.recover();
}
