//! The chat page and its plumbing: static files, the event stream, and visibility.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::Response;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use crate::http::{self, Body, ChannelBody};
use crate::state::{App, Event};

const INDEX_HTML: &str = include_str!("../static/index.html");
const APP_CSS: &str = include_str!("../static/app.css");
const APP_JS: &str = include_str!("../static/app.js");
const ICON_SVG: &str = include_str!("../static/icon.svg");

/// A static file of the page, by path.
pub fn asset(path: &str) -> Option<Response<Body>> {
    let (content_type, body) = match path {
        "/" | "/index.html" => ("text/html; charset=UTF-8", INDEX_HTML),
        "/_sandbox/ui/app.css" => ("text/css; charset=UTF-8", APP_CSS),
        "/_sandbox/ui/app.js" => ("text/javascript; charset=UTF-8", APP_JS),
        "/_sandbox/ui/icon.svg" | "/favicon.ico" => ("image/svg+xml", ICON_SVG),
        _ => return None,
    };
    let mut r = http::response(200, content_type, body);
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Some(r)
}

fn frame(event: &Event) -> Bytes {
    Bytes::from(format!("event: {}\ndata: {}\n\n", event.name, event.data))
}

/// `GET /_sandbox/events`: a `snapshot` event first (configuration and the whole
/// chat, with this page's client id), then every change as it happens.
pub fn events(app: Arc<App>, base_url: String) -> Response<Body> {
    let (client, mut rx) = app.subscribe();
    let (tx, body) = ChannelBody::new(256);
    tokio::spawn(async move {
        let snapshot = Event {
            name: "snapshot",
            data: app.snapshot(client, &base_url),
        };
        let hello = [Bytes::from_static(b"retry: 1500\n\n"), frame(&snapshot)];
        let mut open = true;
        for bytes in hello {
            open = open && tx.send(bytes).await.is_ok();
        }
        let mut ping = tokio::time::interval(Duration::from_secs(15));
        ping.tick().await;
        while open {
            let bytes = tokio::select! {
                received = rx.recv() => match received {
                    Ok(event) => frame(&event),
                    Err(RecvError::Lagged(_)) => frame(&Event {
                        name: "snapshot",
                        data: app.snapshot(client, &base_url),
                    }),
                    Err(RecvError::Closed) => break,
                },
                _ = ping.tick() => Bytes::from_static(b": ping\n\n"),
                _ = tx.closed() => break,
            };
            open = tx.send(bytes).await.is_ok();
        }
        app.unsubscribe(client);
    });
    let mut r = Response::new(body.boxed());
    let headers = r.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=UTF-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    r
}

/// `POST /_sandbox/visibility` `{"client", "visible", "phone_number_id", "chat"}`: which
/// chat the page shows, of which business number (the configured one when absent).
/// `chat` is the user's phone number, or user id without one; `wa_id` is its old name.
pub fn visibility(app: &App, body: &Value) -> Response<Body> {
    let Some(client) = body.get("client").and_then(Value::as_u64) else {
        return http::sandbox_error(400, "`client` (from the snapshot event) is required");
    };
    let visible = body
        .get("visible")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let text = |key: &str| body.get(key).and_then(Value::as_str);
    let chat = text("chat").or_else(|| text("wa_id")).unwrap_or_default();
    let number = text("phone_number_id").unwrap_or(&app.config.phone_number_id);
    app.set_view(client, visible, number, chat);
    http::json(200, &json!({"ok": true}))
}
