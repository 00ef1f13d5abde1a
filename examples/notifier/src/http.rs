//! wasi:http plumbing: a request header, a capped request body, a JSON response. Nothing
//! here traps: every host error becomes a value.

use wasi::http::types::ResponseOutparam;
use wasi::http::types::{Fields, IncomingBody, IncomingRequest, OutgoingBody, OutgoingResponse};
use wasi::io::streams::{InputStream, OutputStream, StreamError};

use crate::Answer;

/// Why a body could not be read.
pub enum ReadError {
    /// More than the cap.
    TooLarge,
    /// The stream failed before its end.
    Broken,
}

/// Value of the first header named `name` (lowercase).
pub fn header(request: &IncomingRequest, name: &str) -> Option<Vec<u8>> {
    request.headers().get(name).into_iter().next()
}

/// Reads the whole request body, refusing more than `cap` bytes.
pub fn read_body(request: &IncomingRequest, cap: usize) -> Result<Vec<u8>, ReadError> {
    let body = request.consume().map_err(|()| ReadError::Broken)?;
    let result = match body.stream() {
        Ok(stream) => read_stream(&stream, cap),
        Err(()) => Err(ReadError::Broken),
    };
    let _ = IncomingBody::finish(body);
    result
}

fn read_stream(stream: &InputStream, cap: usize) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::new();
    loop {
        // `blocking-read` may return an empty chunk before the end: only `closed` ends it.
        match stream.blocking_read(16 * 1024) {
            Ok(chunk) => {
                if out.len().saturating_add(chunk.len()) > cap {
                    return Err(ReadError::TooLarge);
                }
                out.extend_from_slice(&chunk);
            }
            Err(StreamError::Closed) => return Ok(out),
            Err(StreamError::LastOperationFailed(_)) => return Err(ReadError::Broken),
        }
    }
}

/// Sends `answer` as `application/json`.
pub fn respond(out: ResponseOutparam, answer: &Answer) {
    let body = answer.body.to_string();
    let headers = [(String::from("content-type"), b"application/json".to_vec())];
    let fields = Fields::from_list(&headers).unwrap_or_else(|_| Fields::new());
    let response = OutgoingResponse::new(fields);
    let _ = response.set_status_code(answer.status);
    let Ok(outgoing_body) = response.body() else {
        ResponseOutparam::set(out, Ok(response));
        return;
    };
    ResponseOutparam::set(out, Ok(response));
    if let Ok(stream) = outgoing_body.write() {
        write_all(&stream, body.as_bytes());
    }
    let _ = OutgoingBody::finish(outgoing_body, None);
}

fn write_all(stream: &OutputStream, mut bytes: &[u8]) {
    // `blocking-write-and-flush` takes at most 4096 bytes per call.
    while !bytes.is_empty() {
        let (now, rest) = bytes.split_at(bytes.len().min(4096));
        if stream.blocking_write_and_flush(now).is_err() {
            return;
        }
        bytes = rest;
    }
}
