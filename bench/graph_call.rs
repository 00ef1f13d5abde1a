//! The one Graph API call of the bench's hello worlds (`bench/hello-graph`, and
//! `bench/hello-composed` when its consumer asks for a reply), included by both with
//! `#[path]`: a `POST /v21.0/{phone-number-id}/messages`, plain HTTP, with a fixed text
//! ([`GRAPH_BODY`]) or, in hello-composed's `parsed` build, the body built for the reply.

use wasi::http::types::{Fields, Method, OutgoingBody, OutgoingRequest, Scheme};

/// The fixed text message posted by the floors that do not build a body.
#[allow(dead_code)]
pub const GRAPH_BODY: &[u8] =
    br#"{"messaging_product":"whatsapp","recipient_type":"individual","to":"15551234567","type":"text","text":{"body":"hello"}}"#;

/// The call to `authority` (host and port) posting `body`: the answer's body, read to
/// the end (empty when the call failed). A call that got no answer is made once more, as
/// whatsapp's sender retries a connection that failed before Meta answered: on a stalled
/// machine the stand-in's accept queue can overflow, and a floor that lost the call would
/// fail `make bench`'s check that every acknowledged webhook made its Graph call.
pub fn graph_call(authority: &str, body: &[u8]) -> Vec<u8> {
    attempt(authority, body)
        .or_else(|()| attempt(authority, body))
        .unwrap_or_default()
}

/// One call: the answer's body, or `Err` when there was no answer.
fn attempt(authority: &str, body: &[u8]) -> Result<Vec<u8>, ()> {
    let headers = [
        (String::from("content-type"), b"application/json".to_vec()),
        (
            String::from("authorization"),
            b"Bearer bench-access-token".to_vec(),
        ),
    ];
    let fields = Fields::from_list(&headers).map_err(|_| ())?;
    let graph = OutgoingRequest::new(fields);
    let _ = graph.set_method(&Method::Post);
    let _ = graph.set_scheme(Some(&Scheme::Http));
    let _ = graph.set_authority(Some(authority));
    let _ = graph.set_path_with_query(Some("/v21.0/106540352242922/messages"));
    let graph_body = graph.body()?;
    let future = wasi::http::outgoing_handler::handle(graph, None).map_err(|_| ())?;
    if let Ok(stream) = graph_body.write() {
        let _ = stream.blocking_write_and_flush(body);
    }
    let _ = OutgoingBody::finish(graph_body, None);
    future.subscribe().block();
    let Some(Ok(Ok(answer))) = future.get() else {
        return Err(());
    };
    let mut answer_body = Vec::new();
    if let Ok(body) = answer.consume() {
        if let Ok(stream) = body.stream() {
            while let Ok(chunk) = stream.blocking_read(64 * 1024) {
                answer_body.extend_from_slice(&chunk);
            }
        }
    }
    Ok(answer_body)
}
