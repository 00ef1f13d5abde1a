//! The one Graph API call of the bench's hello worlds (`bench/hello-graph`, and
//! `bench/hello-composed` when its consumer asks for a reply), included by both with
//! `#[path]`: a `POST /v21.0/{phone-number-id}/messages` with a fixed text, plain HTTP.

use wasi::http::types::{Fields, Method, OutgoingBody, OutgoingRequest, Scheme};

const GRAPH_BODY: &[u8] =
    br#"{"messaging_product":"whatsapp","recipient_type":"individual","to":"15551234567","type":"text","text":{"body":"hello"}}"#;

/// The call to `authority` (host and port), its answer read to the end.
pub fn graph_call(authority: &str) {
    let headers = [
        (String::from("content-type"), b"application/json".to_vec()),
        (
            String::from("authorization"),
            b"Bearer bench-access-token".to_vec(),
        ),
    ];
    let Ok(fields) = Fields::from_list(&headers) else {
        return;
    };
    let graph = OutgoingRequest::new(fields);
    let _ = graph.set_method(&Method::Post);
    let _ = graph.set_scheme(Some(&Scheme::Http));
    let _ = graph.set_authority(Some(authority));
    let _ = graph.set_path_with_query(Some("/v21.0/106540352242922/messages"));
    let Ok(graph_body) = graph.body() else {
        return;
    };
    let Ok(future) = wasi::http::outgoing_handler::handle(graph, None) else {
        return;
    };
    if let Ok(stream) = graph_body.write() {
        let _ = stream.blocking_write_and_flush(GRAPH_BODY);
    }
    let _ = OutgoingBody::finish(graph_body, None);
    future.subscribe().block();
    if let Some(Ok(Ok(answer))) = future.get() {
        if let Ok(body) = answer.consume() {
            if let Ok(stream) = body.stream() {
                while stream.blocking_read(64 * 1024).is_ok() {}
            }
        }
    }
}
