//! HTTP plumbing: response helpers, a streaming body for Server-Sent Events, and a small
//! HTTP/1 client for the webhook POSTs (plain `http://` only: everything is local).

use std::convert::Infallible;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// The body of every response the sandbox sends.
pub type Body = BoxBody<Bytes, Infallible>;

/// Returned by a handler to drop the connection without answering (the `close` fault).
#[derive(Debug)]
pub struct Hangup;

impl fmt::Display for Hangup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection closed on purpose (fault injection)")
    }
}

impl std::error::Error for Hangup {}

/// A complete body.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

/// A response with a body and a content type.
pub fn response(status: u16, content_type: &'static str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(full(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// A response whose content type is only known at run time (an upload's): sent as
/// `application/octet-stream` when it is not a valid header value.
pub fn response_as(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = response(status, "application/octet-stream", body);
    if let Ok(value) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(CONTENT_TYPE, value);
    }
    r
}

/// A JSON response.
pub fn json(status: u16, value: &Value) -> Response<Body> {
    response(status, "application/json; charset=UTF-8", value.to_string())
}

/// A JSON response that browsers must not cache.
pub fn json_no_store(status: u16, value: &Value) -> Response<Body> {
    let mut r = json(status, value);
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `{"error": "..."}` for the sandbox's own endpoints.
pub fn sandbox_error(status: u16, message: &str) -> Response<Body> {
    json(status, &serde_json::json!({ "error": message }))
}

/// Reads a request body, at most `limit` bytes.
pub async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, Response<Body>> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => {
            let too_big = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            Err(if too_big {
                sandbox_error(413, &format!("body larger than {limit} bytes"))
            } else {
                sandbox_error(400, "could not read the request body")
            })
        }
    }
}

/// A streaming body fed by a channel: one frame per message, ends when the sender goes.
pub struct ChannelBody {
    rx: mpsc::Receiver<Bytes>,
}

impl ChannelBody {
    /// A body and the sender that feeds it.
    pub fn new(capacity: usize) -> (mpsc::Sender<Bytes>, ChannelBody) {
        let (tx, rx) = mpsc::channel(capacity);
        (tx, ChannelBody { rx })
    }
}

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.rx.poll_recv(cx).map(|m| m.map(|b| Ok(Frame::data(b))))
    }
}

/// Where plain-HTTP requests go: host, port and the path with its query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Host name or IP (no brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// `host:port` as sent in the `Host` header.
    pub authority: String,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl Target {
    /// Parses `http://host[:port][/path][?query]`.
    pub fn parse(url: &str) -> Result<Target, String> {
        let url = url.trim();
        if url.starts_with("https://") {
            return Err(format!(
                "`{url}`: the sandbox speaks plain HTTP to a local webhook; use the component's local address, for example http://127.0.0.1:8080/"
            ));
        }
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("`{url}` is not an http:// URL"))?;
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_string()
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| format!("`{url}`: unclosed [ in host"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| format!("`{url}`: bad port"))?,
                None if after.is_empty() => 80,
                None => return Err(format!("`{url}`: bad host")),
            };
            (host.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (
                    host.to_string(),
                    port.parse().map_err(|_| format!("`{url}`: bad port"))?,
                ),
                None => (authority.to_string(), 80),
            }
        };
        if host.is_empty() {
            return Err(format!("`{url}` has no host"));
        }
        Ok(Target {
            host,
            port,
            authority: authority.to_string(),
            path,
        })
    }

    /// This target's path with `query` appended (after `?` or `&`).
    pub fn with_query(&self, query: &str) -> String {
        let sep = if self.path.contains('?') { '&' } else { '?' };
        format!("{}{sep}{query}", self.path)
    }

    /// True when the host is a loopback address or `localhost`.
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<std::net::IpAddr>()
                .map(|ip| ip.is_loopback())
                .unwrap_or(false)
    }
}

/// What a peer answered.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body (at most 64 KiB is read).
    pub body: Bytes,
}

/// Sends one request over a fresh connection and reads the answer, all within `timeout`.
pub async fn send(
    target: &Target,
    method: Method,
    path: &str,
    headers: &[(&'static str, String)],
    body: Bytes,
    timeout: Duration,
) -> Result<Answer, String> {
    let work = async {
        let stream = TcpStream::connect((target.host.as_str(), target.port))
            .await
            .map_err(|e| format!("cannot connect to {}: {e}", target.authority))?;
        let _ = stream.set_nodelay(true);
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake with {} failed: {e}", target.authority))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, target.authority.as_str());
        for (name, value) in headers {
            builder = builder.header(*name, value.as_str());
        }
        let request = builder
            .body(Full::new(body))
            .map_err(|e| format!("bad request: {e}"))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("{} did not answer: {e}", target.authority))?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), 64 * 1024)
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        Ok(Answer { status, body })
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "{} did not answer within {} s",
            target.authority,
            timeout.as_secs_f32()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = Target::parse("http://127.0.0.1:8080/").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("127.0.0.1", 8080, "/")
        );
        assert!(t.is_loopback());
        let t = Target::parse("http://localhost/hook?x=1").unwrap();
        assert_eq!((t.port, t.path.as_str()), (80, "/hook?x=1"));
        assert_eq!(t.with_query("a=b"), "/hook?x=1&a=b");
        let t = Target::parse("http://[::1]:9/").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.authority.as_str()),
            ("::1", 9, "[::1]:9")
        );
        let t = Target::parse("http://h:1?q").unwrap();
        assert_eq!(t.path, "/?q");
        assert!(!Target::parse("http://example.com:1/")
            .unwrap()
            .is_loopback());
        for bad in [
            "https://x/",
            "ftp://x",
            "http://",
            "http://h:port/",
            "http://[::1/",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }
}
