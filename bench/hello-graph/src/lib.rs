//! Hello world over `wasi:http/incoming-handler` that, after answering a bare 200, makes one Graph
//! API call: a `POST /v21.0/{phone-number-id}/messages` with a text message to the host
//! and port in `BENCH_GRAPH_AUTHORITY` (plain HTTP), and reads the answer. Nothing else:
//! no signature, no JSON parsing, no consumer. `make bench` serves it against the same
//! Graph stand-in as the replying webhook: its rate is the floor of that target under
//! `wasmtime serve`, where every outgoing request is a new connection.

#[path = "../../graph_call.rs"]
mod graph_call;

use wasi::http::types::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};

/// The component.
struct HelloGraph;

impl wasi::exports::http::incoming_handler::Guest for HelloGraph {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        drop(request);
        // A bare 200, as whatsapp acknowledges: the body is never taken, so it goes out
        // empty.
        ResponseOutparam::set(out, Ok(OutgoingResponse::new(Fields::new())));

        let authority = wasi::cli::environment::get_environment()
            .into_iter()
            .find(|(k, _)| k == "BENCH_GRAPH_AUTHORITY")
            .map(|(_, v)| v)
            .unwrap_or_else(|| String::from("127.0.0.1:8081"));
        graph_call::graph_call(&authority, graph_call::GRAPH_BODY);
    }
}

wasi::http::proxy::export!(HelloGraph);
