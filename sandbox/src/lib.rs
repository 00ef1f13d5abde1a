//! A local stand-in for Meta's side of the WhatsApp Cloud API, so the component can be
//! run and tried with no Meta account:
//!
//! - a chat page (`GET /`) where you write as a WhatsApp user: each action becomes a
//!   webhook POST in Meta's envelope, signed with the App Secret, sent to the component;
//! - a Graph API stand-in (`/<version>/...`) that answers in Meta's JSON, records every
//!   call, shows what the component sent in the chat, sends `sent` / `delivered` /
//!   `read` status webhooks back, and can be told to fail (`/_sandbox/faults`).
//!
//! The account has two business numbers (the configured one and `--second-*`), whose
//! updates go to the one webhook, each chat being a (business number, user) pair; and
//! users as Meta has them since 2026, with a business-scoped user id, some with a
//! username, one with no phone number at all.
//!
//! Everything listens and connects on loopback.

pub mod config;
pub mod faults;
mod graph;
pub mod http;
pub mod media;
pub mod png;
pub mod state;
mod ui;
pub mod users;
pub mod webhook;
pub mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use config::{Command, Config, Timing};
use http::{Body, Hangup};
pub use state::App;

/// Largest Graph request body read: a media upload of [`media::MAX_FILE`] bytes and its
/// multipart framing.
const MAX_GRAPH_BODY: usize = media::MAX_FILE + 1024 * 1024;
/// Largest body of the sandbox's own endpoints.
const MAX_SANDBOX_BODY: usize = 256 * 1024;

/// A running sandbox. Dropping it stops the server.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state.
    pub app: Arc<App>,
    task: JoinHandle<()>,
}

impl Running {
    /// `http://<addr>`, with no trailing slash: the Graph base URL and the chat's root.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `config.listen` (port 0 picks a free one) and serves in the background.
pub async fn start(config: Config) -> Result<Running, String> {
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    let mut config = config;
    config.listen = addr;
    let app = App::new(config)?;
    webhook::spawn_startup_verify(Arc::clone(&app));
    let task = tokio::spawn(serve(listener, Arc::clone(&app)));
    Ok(Running { addr, app, task })
}

/// Accepts connections forever.
pub async fn serve(listener: TcpListener, app: Arc<App>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("sandbox: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            let service = service_fn(move |request| route(Arc::clone(&app), request));
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// What `GET /_sandbox` lists.
fn endpoints(app: &App, base: &str) -> Value {
    json!({
        "chat": format!("{base}/"),
        "numbers": app.config.numbers().iter().map(|n| json!({
            "phone_number_id": n.phone_number_id,
            "display_phone_number": n.display_phone_number,
            "name": n.name,
        })).collect::<Vec<_>>(),
        "graph_api": {
            "base_url": base,
            "send": "POST /{version}/{phone_number_id}/messages (to or recipient)",
            "phone_number": "GET /{version}/{phone_number_id}",
            "media": "GET /{version}/{media_id}, then GET the url it returns",
            "upload": "POST /{version}/{phone_number_id}/media (multipart/form-data: messaging_product, type, file)",
            "delete_media": "DELETE /{version}/{media_id}",
        },
        "sandbox": {
            "GET /_sandbox/requests": "Graph requests received (token redacted), each with its phone_number_id",
            "DELETE /_sandbox/requests": "forget them",
            "GET /_sandbox/faults": "queued faults and rate-limit modes",
            "POST /_sandbox/faults": "queue a fault or set a mode (JSON object or array)",
            "DELETE /_sandbox/faults": "clear faults and modes",
            "POST /_sandbox/send": "act as a user: {type: text|image|audio|location|reaction|button_reply|list_reply|button|retry, phone_number_id?, from? | user_id?, ...}",
            "GET /_sandbox/events": "Server-Sent Events: snapshot, message, typing, request, webhook, notice, faults",
            "GET /_sandbox/state": "the chat and configuration as JSON",
            "DELETE /_sandbox/chat": "clear the chat",
            "POST /_sandbox/verify": "run the webhook verification handshake (needs --verify-token)",
        },
    })
}

fn is_json(request: &Request<Incoming>) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        })
}

/// Reads a JSON body of a sandbox endpoint. Requiring `Content-Type: application/json`
/// keeps other web sites open in the same browser from posting here.
async fn json_body(request: Request<Incoming>) -> Result<Value, Response<Body>> {
    if !is_json(&request) {
        return Err(http::sandbox_error(
            415,
            "send a JSON body with Content-Type: application/json",
        ));
    }
    let bytes = http::read_body(request.into_body(), MAX_SANDBOX_BODY).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| http::sandbox_error(400, &format!("the body is not JSON: {e}")))
}

async fn route(app: Arc<App>, request: Request<Incoming>) -> Result<Response<Body>, Hangup> {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let query = request.uri().query().map(str::to_string);
    let host = request
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| app.config.listen.to_string());
    let base = format!("http://{host}");

    if graph::is_graph_path(&path) {
        let (parts, body) = request.into_parts();
        let body = match http::read_body(body, MAX_GRAPH_BODY).await {
            Ok(b) => b,
            Err(r) if r.status() == hyper::StatusCode::PAYLOAD_TOO_LARGE => {
                return Ok(graph::too_large(&app, &parts.method, &path, MAX_GRAPH_BODY));
            }
            Err(r) => return Ok(r),
        };
        return graph::handle(
            &app,
            &parts.method,
            &path,
            query.as_deref(),
            &parts.headers,
            body,
        )
        .await;
    }
    if method == Method::GET || method == Method::HEAD {
        if let Some(r) = ui::asset(&path) {
            return Ok(r);
        }
    }
    let response = match (&method, path.as_str()) {
        (&Method::GET, "/_sandbox" | "/_sandbox/") => http::json(200, &endpoints(&app, &base)),
        (&Method::GET, "/_sandbox/events") => ui::events(app, base),
        (&Method::GET, "/_sandbox/state") => http::json_no_store(200, &app.snapshot(0, &base)),
        (&Method::POST, "/_sandbox/send") => match json_body(request).await {
            Ok(action) => {
                let (status, body) = webhook::user_action(&app, &action).await;
                http::json(status, &body)
            }
            Err(r) => r,
        },
        (&Method::POST, "/_sandbox/visibility") => match json_body(request).await {
            Ok(body) => ui::visibility(&app, &body),
            Err(r) => r,
        },
        (&Method::GET, "/_sandbox/requests") => {
            let list: Vec<Value> = app.lock().requests.iter().cloned().collect();
            http::json_no_store(200, &Value::Array(list))
        }
        (&Method::DELETE, "/_sandbox/requests") => {
            let cleared = {
                let mut inner = app.lock();
                let n = inner.requests.len();
                inner.requests.clear();
                n
            };
            app.emit("requests_cleared", json!({}));
            http::json(200, &json!({"cleared": cleared}))
        }
        (&Method::GET, "/_sandbox/faults") => http::json_no_store(200, &app.faults_json()),
        (&Method::POST, "/_sandbox/faults") => match json_body(request).await {
            Ok(body) => add_faults(&app, &body),
            Err(r) => r,
        },
        (&Method::DELETE, "/_sandbox/faults") => {
            {
                let mut inner = app.lock();
                inner.faults.clear();
                inner.rate_limit = 0;
                inner.pair_rate_secs = 0;
                inner.recent_sends.clear();
                inner.pair_last.clear();
            }
            let faults = app.faults_json();
            app.emit("faults", faults.clone());
            http::json(200, &faults)
        }
        (&Method::POST, "/_sandbox/verify") => {
            let result = webhook::verify(&app).await;
            app.emit("verify", result.clone());
            http::json(200, &result)
        }
        (&Method::DELETE, "/_sandbox/chat") => {
            {
                let mut inner = app.lock();
                inner.chat.clear();
                inner.typing.clear();
            }
            app.emit("reset", json!({}));
            http::json(200, &json!({"ok": true}))
        }
        (&Method::GET, p) if p.starts_with("/_sandbox/media/") => {
            // What the page shows: an upload's bytes (the business sent it), a voice
            // note, or a generated picture for any other key.
            let key = p.trim_start_matches("/_sandbox/media/");
            match app.media_for_page(key) {
                Some(r) => {
                    let mut response = http::response_as(200, &r.mime_type, r.bytes);
                    response.headers_mut().insert(
                        hyper::header::CACHE_CONTROL,
                        hyper::header::HeaderValue::from_static(if r.uploaded {
                            "no-store"
                        } else {
                            "max-age=86400"
                        }),
                    );
                    response
                }
                None => http::sandbox_error(404, "that upload was deleted"),
            }
        }
        _ => http::json(
            404,
            &json!({"error": format!("nothing at {method} {path}"), "endpoints": endpoints(&app, &base)}),
        ),
    };
    Ok(response)
}

fn add_faults(app: &App, body: &Value) -> Response<Body> {
    let specs: Vec<&Value> = match body {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut parsed = Vec::new();
    for spec in specs {
        match faults::parse(spec) {
            Ok(request) => parsed.push(request),
            Err(e) => return http::sandbox_error(400, &e),
        }
    }
    {
        let mut inner = app.lock();
        for request in parsed {
            match request {
                faults::Request::Queue(fault) => inner.faults.push_back(fault),
                faults::Request::RateLimit(n) => {
                    inner.rate_limit = n;
                    inner.recent_sends.clear();
                }
                faults::Request::PairRate(secs) => {
                    inner.pair_rate_secs = secs;
                    inner.pair_last.clear();
                }
            }
        }
    }
    let faults = app.faults_json();
    app.emit("faults", faults.clone());
    http::json(200, &faults)
}
