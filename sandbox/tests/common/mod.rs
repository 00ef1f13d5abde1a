//! Test helpers: a sandbox on an ephemeral loopback port, a tiny webhook server that
//! records what the sandbox POSTs, and a small HTTP client.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use sandbox::config::Timing;
use sandbox::http::Target;
use sandbox::{Config, Running};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Mutex};

pub const SECRET: &str = "test-app-secret";
pub const TOKEN: &str = "test-access-token";
pub const PHONE_ID: &str = "100000000000001";
/// The second business number of the test sandboxes (the default one).
pub const SECOND_PHONE_ID: &str = "100000000000002";
/// Demo users: Alice has a phone number, a user id and a parent user id ...
pub const ALICE: &str = "16505551234";
pub const ALICE_USER_ID: &str = "US.10452298315562900417";
pub const ALICE_PARENT_ID: &str = "US.ENT.20845531097761200034";
/// ... and Chen Wei a username, a user id and a parent user id, but no phone number.
pub const CHEN_WEI: &str = "CN.13491208655302741918";
pub const CHEN_WEI_PARENT: &str = "CN.ENT.11815799212886844830";
pub const VERIFY: &str = "test-verify";
/// Every wait in these tests is bounded by this.
pub const WAIT: Duration = Duration::from_secs(10);

/// One POST the webhook received.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Delivery {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("webhook body is JSON")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

/// A webhook on loopback: records POSTs, answers with `status`, and echoes the
/// verification challenge when the verify token is [`VERIFY`].
pub struct Hook {
    pub url: String,
    pub status: Arc<AtomicU16>,
    rx: Mutex<mpsc::UnboundedReceiver<Delivery>>,
}

impl Hook {
    pub async fn start() -> Hook {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        let status = Arc::new(AtomicU16::new(200));
        let answer = Arc::clone(&status);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let tx = tx.clone();
                let answer = Arc::clone(&answer);
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let tx = tx.clone();
                        let answer = Arc::clone(&answer);
                        async move {
                            if req.method() == Method::GET {
                                let query = req.uri().query().unwrap_or("").to_string();
                                let param = |name: &str| {
                                    query.split('&').find_map(|p| {
                                        p.strip_prefix(&format!("{name}=")).map(str::to_string)
                                    })
                                };
                                let ok = param("hub.mode").as_deref() == Some("subscribe")
                                    && param("hub.verify_token").as_deref() == Some(VERIFY);
                                let mut r = Response::new(Full::new(Bytes::from(if ok {
                                    param("hub.challenge").unwrap_or_default()
                                } else {
                                    "forbidden".to_string()
                                })));
                                *r.status_mut() = if ok {
                                    hyper::StatusCode::OK
                                } else {
                                    hyper::StatusCode::FORBIDDEN
                                };
                                return Ok::<_, Infallible>(r);
                            }
                            let headers = req.headers().clone();
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            let _ = tx.send(Delivery { headers, body });
                            let mut r = Response::new(Full::new(Bytes::new()));
                            *r.status_mut() =
                                hyper::StatusCode::from_u16(answer.load(Ordering::SeqCst)).unwrap();
                            Ok(r)
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Hook {
            url: format!("http://{addr}/webhook"),
            status,
            rx: Mutex::new(rx),
        }
    }

    /// The next POST, within [`WAIT`].
    pub async fn next(&self) -> Delivery {
        tokio::time::timeout(WAIT, self.rx.lock().await.recv())
            .await
            .expect("the webhook got nothing in time")
            .expect("webhook channel closed")
    }

    /// The `entry[0].changes[0].value` of the next POST that carries a message (skipping
    /// statuses), within [`WAIT`], after checking its signature.
    pub async fn next_message_value(&self) -> Value {
        loop {
            let d = self.next().await;
            assert_eq!(
                d.header("x-hub-signature-256"),
                Some(expected_signature(&d.body))
            );
            let value = d.json()["entry"][0]["changes"][0]["value"].clone();
            if !value["messages"].is_null() {
                return value;
            }
        }
    }

    /// The `entry[0].changes[0].value` of the next POST that carries a status.
    pub async fn next_status_value(&self) -> Value {
        let (d, _) = self.next_status().await;
        d.json()["entry"][0]["changes"][0]["value"].clone()
    }

    /// The next POST that carries a status (skipping others), within [`WAIT`].
    pub async fn next_status(&self) -> (Delivery, Value) {
        loop {
            let d = self.next().await;
            let status = d.json()["entry"][0]["changes"][0]["value"]["statuses"][0].clone();
            if !status.is_null() {
                return (d, status);
            }
        }
    }
}

/// Fast timings so status webhooks come quickly.
pub fn fast() -> Timing {
    Timing {
        sent: Duration::from_millis(10),
        delivered: Duration::from_millis(10),
        read: Duration::from_millis(10),
        webhook_timeout: Duration::from_secs(3),
        typing: Duration::from_millis(500),
    }
}

pub fn config(webhook: &str) -> Config {
    let mut c = Config::defaults();
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.webhook = webhook.to_string();
    c.app_secret = SECRET.to_string();
    c.access_token = TOKEN.to_string();
    c.phone_number_id = PHONE_ID.to_string();
    c.display_phone_number = "15550100".to_string();
    c.verify_token = Some(VERIFY.to_string());
    c.timing = fast();
    c
}

/// A sandbox and its webhook.
pub async fn start() -> (Running, Hook) {
    let hook = Hook::start().await;
    let running = sandbox::start(config(&hook.url)).await.unwrap();
    (running, hook)
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): HTTP {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// One request over a fresh connection: `Err` when the connection closed without an
/// answer.
pub async fn call(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<Answer, String> {
    call_bytes(addr, method, path, headers, Bytes::from(body.to_string())).await
}

/// [`call`] with a body of any bytes.
pub async fn call_bytes(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Result<Answer, String> {
    tokio::time::timeout(WAIT, async {
        let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header("host", addr.to_string());
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let request = builder.body(Full::new(body)).unwrap();
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok(Answer {
            status,
            content_type,
            body,
        })
    })
    .await
    .map_err(|_| "timed out".to_string())?
}

pub fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

/// `POST /v24.0/<phone id>/messages` with the right token.
pub async fn graph_post(addr: SocketAddr, body: &Value) -> Result<Answer, String> {
    graph_post_from(addr, PHONE_ID, body).await
}

/// `POST /v24.0/<phone_id>/messages` with the right token: a send from that number.
pub async fn graph_post_from(
    addr: SocketAddr,
    phone_id: &str,
    body: &Value,
) -> Result<Answer, String> {
    let auth = bearer();
    call(
        addr,
        Method::POST,
        &format!("/v24.0/{phone_id}/messages"),
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        &body.to_string(),
    )
    .await
}

/// The id of the message a Graph send answered with.
pub fn sent_id(answer: &Answer) -> String {
    answer.json()["messages"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no message id: HTTP {} {:?}", answer.status, answer.body))
        .to_string()
}

/// `GET /_sandbox/state`.
pub async fn state(addr: SocketAddr) -> Value {
    call(addr, Method::GET, "/_sandbox/state", &[], "")
        .await
        .unwrap()
        .json()
}

/// `GET /_sandbox/requests`.
pub async fn requests(addr: SocketAddr) -> Vec<Value> {
    match call(addr, Method::GET, "/_sandbox/requests", &[], "")
        .await
        .unwrap()
        .json()
    {
        Value::Array(list) => list,
        other => panic!("not a list: {other}"),
    }
}

/// A JSON POST to one of the sandbox's own endpoints.
pub async fn sandbox_post(addr: SocketAddr, path: &str, body: &Value) -> Answer {
    call(
        addr,
        Method::POST,
        path,
        &[("content-type", "application/json")],
        &body.to_string(),
    )
    .await
    .unwrap()
}

pub fn text_to(to: &str, body: &str) -> Value {
    serde_json::json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"preview_url": false, "body": body},
    })
}

/// An open Server-Sent Events stream.
pub struct Events {
    body: Incoming,
    buffer: String,
}

impl Events {
    pub async fn open(addr: SocketAddr) -> Events {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let request = Request::builder()
            .uri("/_sandbox/events")
            .header("host", addr.to_string())
            .header("accept", "text/event-stream")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        Events {
            body: response.into_body(),
            buffer: String::new(),
        }
    }

    /// The next event (name, data), within [`WAIT`].
    pub async fn next(&mut self) -> (String, Value) {
        tokio::time::timeout(WAIT, async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let mut name = String::from("message");
                    let mut data = String::new();
                    for line in block.lines() {
                        if let Some(n) = line.strip_prefix("event: ") {
                            name = n.to_string();
                        } else if let Some(d) = line.strip_prefix("data: ") {
                            data.push_str(d);
                        }
                    }
                    if data.is_empty() {
                        continue; // retry: or a comment
                    }
                    return (name, serde_json::from_str(&data).unwrap());
                }
                let frame = self.body.frame().await.expect("stream ended").unwrap();
                if let Ok(data) = frame.into_data() {
                    self.buffer.push_str(&String::from_utf8_lossy(&data));
                }
            }
        })
        .await
        .expect("no event in time")
    }

    /// Skips events until one named `name` satisfies `want`.
    pub async fn until(&mut self, name: &str, want: impl Fn(&Value) -> bool) -> Value {
        loop {
            let (n, data) = self.next().await;
            if n == name && want(&data) {
                return data;
            }
        }
    }
}

/// `sha256=<hex>` of `body` with [`SECRET`], computed independently of the sandbox.
pub fn expected_signature(body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Parses a target for the library client.
pub fn target(url: &str) -> Target {
    Target::parse(url).unwrap()
}
