//! Hello world over `wasi:http/incoming-handler` that, after answering, makes one Graph
//! API call: a `POST /v21.0/{phone-number-id}/messages` with a text message to the host
//! and port in `BENCH_GRAPH_AUTHORITY` (plain HTTP), and reads the answer. Nothing else:
//! no signature, no JSON parsing, no consumer. `make bench` serves it against the same
//! Graph stand-in as the replying webhook: its rate is the floor of that target under
//! `wasmtime serve`, where every outgoing request is a new connection.

use wasi::http::types::{
    Fields, IncomingRequest, Method, OutgoingBody, OutgoingRequest, OutgoingResponse,
    ResponseOutparam, Scheme,
};

const BODY: &[u8] =
    br#"{"messaging_product":"whatsapp","recipient_type":"individual","to":"15551234567","type":"text","text":{"body":"hello"}}"#;

/// The component.
struct HelloGraph;

impl wasi::exports::http::incoming_handler::Guest for HelloGraph {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        drop(request);
        let response = OutgoingResponse::new(Fields::new());
        let Ok(body) = response.body() else {
            return;
        };
        ResponseOutparam::set(out, Ok(response));
        if let Ok(stream) = body.write() {
            let _ = stream.blocking_write_and_flush(b"ok");
        }
        let _ = OutgoingBody::finish(body, None);

        let authority = wasi::cli::environment::get_environment()
            .into_iter()
            .find(|(k, _)| k == "BENCH_GRAPH_AUTHORITY")
            .map(|(_, v)| v)
            .unwrap_or_else(|| String::from("127.0.0.1:8081"));
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
        let _ = graph.set_authority(Some(&authority));
        let _ = graph.set_path_with_query(Some("/v21.0/106540352242922/messages"));
        let Ok(graph_body) = graph.body() else {
            return;
        };
        let Ok(future) = wasi::http::outgoing_handler::handle(graph, None) else {
            return;
        };
        if let Ok(stream) = graph_body.write() {
            let _ = stream.blocking_write_and_flush(BODY);
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
}

wasi::http::proxy::export!(HelloGraph);
