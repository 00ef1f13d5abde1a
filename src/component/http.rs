//! wasi:http plumbing: reading a capped request body, writing a response, and sending
//! an outgoing request (its answer read whole, or streamed to the caller). Nothing here
//! can trap: every host error becomes a value.

use std::sync::OnceLock;

use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, IncomingBody, IncomingRequest, IncomingResponse,
    Method, OutgoingBody, OutgoingRequest, OutgoingResponse, RequestOptions, ResponseOutparam,
    Scheme,
};
use wasi::io::streams::{InputStream, OutputStream, StreamError};

/// Why a body could not be read.
pub enum ReadError {
    /// More than the cap.
    TooLarge,
    /// The stream failed before its end.
    Broken,
}

/// Value of the first header named `name` (lowercase) in `headers`.
pub fn first(headers: &Fields, name: &str) -> Option<Vec<u8>> {
    headers.get(name).into_iter().next()
}

/// Reads the whole request body, refusing more than `cap` bytes.
///
/// `blocking-read` may hand back an empty chunk before the end; `closed` ends the body,
/// and so does having read the `declared` content-length (the host's HTTP server
/// delivers no byte past it): the read that would only say `closed` is not made.
pub fn read_body(
    request: &IncomingRequest,
    cap: usize,
    declared: Option<u64>,
) -> Result<Vec<u8>, ReadError> {
    let body = request.consume().map_err(|()| ReadError::Broken)?;
    let stream = body.stream().map_err(|()| ReadError::Broken)?;
    let result = read_stream(&stream, cap, declared);
    // The stream goes before its body (a child resource); the body is then dropped, not
    // finished: nobody reads a webhook's trailers, and `finish` would cost two host calls
    // (it returns a future-trailers to drop) where a drop costs one.
    drop(stream);
    drop(body);
    result
}

fn read_stream(
    stream: &InputStream,
    cap: usize,
    declared: Option<u64>,
) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::new();
    loop {
        if declared.is_some_and(|n| n > 0 && n == out.len() as u64) {
            return Ok(out);
        }
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                if out.len().saturating_add(chunk.len()) > cap {
                    return Err(ReadError::TooLarge);
                }
                // A body that comes in one chunk (most webhooks) is that chunk: no copy.
                if out.is_empty() {
                    out = chunk;
                } else {
                    out.extend_from_slice(&chunk);
                }
            }
            Err(StreamError::Closed) => return Ok(out),
            Err(StreamError::LastOperationFailed(_)) => return Err(ReadError::Broken),
        }
    }
}

/// A response's headers, in the owned form `Fields::from_list` takes: built on first use,
/// then kept for the instance (a reused instance answers without copying them again).
pub struct Headers {
    pairs: &'static [(&'static str, &'static str)],
    list: OnceLock<Vec<(String, Vec<u8>)>>,
}

impl Headers {
    /// The headers `pairs` (names in lowercase).
    pub const fn new(pairs: &'static [(&'static str, &'static str)]) -> Self {
        Headers {
            pairs,
            list: OnceLock::new(),
        }
    }

    fn list(&self) -> &[(String, Vec<u8>)] {
        self.list.get_or_init(|| {
            self.pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
                .collect()
        })
    }
}

/// Sends a complete response. After this returns the client has its answer, and the
/// handler may go on working.
pub fn respond(out: ResponseOutparam, status: u16, headers: &Headers, body: &[u8]) {
    let fields = Fields::from_list(headers.list()).unwrap_or_else(|_| Fields::new());
    let response = OutgoingResponse::new(fields);
    // 200 is a new response's status already: one host call fewer on the hot paths.
    if status != 200 {
        let _ = response.set_status_code(status);
    }
    let Ok(outgoing_body) = response.body() else {
        ResponseOutparam::set(out, Ok(response));
        return;
    };
    ResponseOutparam::set(out, Ok(response));
    if let Ok(stream) = outgoing_body.write() {
        write_all(&stream, body);
    }
    let _ = OutgoingBody::finish(outgoing_body, None);
}

/// Answers 200 with no headers and no body: a webhook's acknowledgement. Meta reads only
/// the status. A response whose body was never taken goes out empty (`content-length: 0`),
/// so this is three host calls where [`respond`] with a body makes nine.
pub fn acknowledge(out: ResponseOutparam) {
    ResponseOutparam::set(out, Ok(OutgoingResponse::new(Fields::new())));
}

/// Writes all of `bytes`, in pieces of at most 4096 bytes; false when the stream failed.
pub fn write_all(stream: &OutputStream, mut bytes: &[u8]) -> bool {
    // `blocking-write-and-flush` takes at most 4096 bytes per call.
    while !bytes.is_empty() {
        let (now, rest) = bytes.split_at(bytes.len().min(4096));
        if stream.blocking_write_and_flush(now).is_err() {
            return false;
        }
        bytes = rest;
    }
    true
}

/// An HTTP answer.
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// The body, at most [`MAX_ANSWER_BYTES`].
    pub body: Vec<u8>,
    /// The response, kept for its headers: they are looked up only when asked for
    /// ([`Answer::content_type`]), which a good answer never is.
    response: IncomingResponse,
}

impl Answer {
    /// `content-type`, when given: looked up now (three host calls), from the response's
    /// headers, which stay readable after its body was read.
    pub fn content_type(&self) -> Option<String> {
        content_type(&self.response.headers())
    }
}

/// The `content-type` of `headers`, when given.
fn content_type(headers: &Fields) -> Option<String> {
    first(headers, "content-type").map(|v| String::from_utf8_lossy(&v).into_owned())
}

/// The largest Graph API answer read.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Timeouts of an outgoing request, in nanoseconds. The Graph API answers in well
/// under a second; 10 s leaves room for a retry of an idempotent request within the
/// retry budget (`RetryPolicy::max_total`, 20 s).
const CONNECT_TIMEOUT_NS: u64 = 10_000_000_000;
const FIRST_BYTE_TIMEOUT_NS: u64 = 10_000_000_000;
const BETWEEN_BYTES_TIMEOUT_NS: u64 = 10_000_000_000;

/// Sends a request and reads the answer. `Err` carries the host's error code.
pub fn send(
    method: &str,
    url: &str,
    headers: &[(String, Vec<u8>)],
    body: Option<&[u8]>,
) -> Result<Answer, ErrorCode> {
    read_answer(start(method, url, headers, body)?)
}

/// What [`fetch`] hands its caller before the body.
pub struct Head {
    /// Status code.
    pub status: u16,
    /// `content-type`, when given.
    pub content_type: Option<String>,
    /// `content-length`, when given and a number.
    pub content_length: Option<u64>,
}

/// Sends a request and streams the answer: `head` gets the status and headers and says
/// whether to read the body; `chunk` gets each piece of it (at most 64 KiB) and says
/// whether to go on. Nothing is buffered here, so the caller decides how much is held.
pub fn fetch(
    method: &str,
    url: &str,
    headers: &[(String, Vec<u8>)],
    body: Option<&[u8]>,
    head: impl FnOnce(Head) -> bool,
    mut chunk: impl FnMut(Vec<u8>) -> bool,
) -> Result<(), ErrorCode> {
    let response = start(method, url, headers, body)?;
    let fields = response.headers();
    let content_type = content_type(&fields);
    let content_length = first(&fields, "content-length")
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    drop(fields);
    let go_on = head(Head {
        status: response.status(),
        content_type,
        content_length,
    });
    if !go_on {
        return Ok(());
    }
    let incoming = response
        .consume()
        .map_err(|()| ErrorCode::InternalError(None))?;
    let result = {
        let stream = incoming
            .stream()
            .map_err(|()| ErrorCode::InternalError(None))?;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(bytes) => {
                    if !chunk(bytes) {
                        break Ok(());
                    }
                }
                Err(StreamError::Closed) => break Ok(()),
                Err(StreamError::LastOperationFailed(_)) => {
                    break Err(ErrorCode::HttpProtocolError)
                }
            }
        }
    };
    // A body left unread is dropped with its stream: the host closes the connection.
    if result.is_ok() {
        let _ = IncomingBody::finish(incoming);
    }
    result
}

/// Sends a request and waits for the answer's head.
fn start(
    method: &str,
    url: &str,
    headers: &[(String, Vec<u8>)],
    body: Option<&[u8]>,
) -> Result<IncomingResponse, ErrorCode> {
    begin(method, url, headers, body)?.head()
}

/// A request handed to the host, whose answer has not been awaited yet: the host carries
/// it while the component works on.
pub struct InFlight {
    future: FutureIncomingResponse,
}

impl InFlight {
    /// Waits for the answer, read whole (at most [`MAX_ANSWER_BYTES`]).
    pub fn answer(self) -> Result<Answer, ErrorCode> {
        read_answer(self.head()?)
    }

    /// Waits for the answer's head.
    fn head(self) -> Result<IncomingResponse, ErrorCode> {
        self.future.subscribe().block();
        match self.future.get() {
            Some(Ok(Ok(response))) => Ok(response),
            Some(Ok(Err(code))) => Err(code),
            Some(Err(())) | None => Err(ErrorCode::InternalError(None)),
        }
    }
}

/// Sends a request, its body written whole, without waiting for the answer.
pub fn begin(
    method: &str,
    url: &str,
    headers: &[(String, Vec<u8>)],
    body: Option<&[u8]>,
) -> Result<InFlight, ErrorCode> {
    let (scheme, authority, path) = split_url(url).ok_or(ErrorCode::HttpRequestUriInvalid)?;
    let fields = Fields::from_list(headers).map_err(|_| ErrorCode::HttpRequestHeaderSize(None))?;
    let request = OutgoingRequest::new(fields);
    let method = match method {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "DELETE" => Method::Delete,
        other => Method::Other(other.to_string()),
    };
    let invalid = |()| ErrorCode::HttpRequestUriInvalid;
    request
        .set_method(&method)
        .map_err(|()| ErrorCode::HttpRequestMethodInvalid)?;
    request.set_scheme(Some(&scheme)).map_err(invalid)?;
    request.set_authority(Some(authority)).map_err(invalid)?;
    request.set_path_with_query(Some(path)).map_err(invalid)?;
    let outgoing_body = request
        .body()
        .map_err(|()| ErrorCode::InternalError(None))?;

    let options = RequestOptions::new();
    let _ = options.set_connect_timeout(Some(CONNECT_TIMEOUT_NS));
    let _ = options.set_first_byte_timeout(Some(FIRST_BYTE_TIMEOUT_NS));
    let _ = options.set_between_bytes_timeout(Some(BETWEEN_BYTES_TIMEOUT_NS));
    let future = outgoing_handler::handle(request, Some(options))?;

    // A failed write (the host gave up on the connection) is not the error to report:
    // the response future holds the real one, such as connection-refused.
    if let Some(bytes) = body {
        if let Ok(stream) = outgoing_body.write() {
            let _ = write_all(&stream, bytes);
        }
    }
    let _ = OutgoingBody::finish(outgoing_body, None);

    Ok(InFlight { future })
}

fn read_answer(response: IncomingResponse) -> Result<Answer, ErrorCode> {
    let status = response.status();
    let body = response
        .consume()
        .map_err(|()| ErrorCode::InternalError(None))?;
    let bytes = {
        let stream = body.stream().map_err(|()| ErrorCode::InternalError(None))?;
        match read_stream(&stream, MAX_ANSWER_BYTES, None) {
            Ok(bytes) => bytes,
            Err(ReadError::TooLarge) => return Err(ErrorCode::HttpResponseBodySize(None)),
            Err(ReadError::Broken) => return Err(ErrorCode::HttpProtocolError),
        }
    };
    // Read to its end: the body is dropped, not finished (`finish` returns a
    // future-trailers, one more resource to drop, and Graph sends no trailers).
    drop(body);
    Ok(Answer {
        status,
        body: bytes,
        response,
    })
}

/// `https://host:port/path?q` into its parts.
fn split_url(url: &str) -> Option<(Scheme, &str, &str)> {
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (Scheme::Https, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (Scheme::Http, rest)
    } else {
        return None;
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return None;
    }
    Some((scheme, authority, path))
}
