//! Hello world over `wasi:http/incoming-handler`: the least a WASI 0.2 HTTP component can
//! do per request. `make bench` serves it under `wasmtime serve` to measure the host's own
//! ceiling (instantiation, request and response plumbing) on the machine at hand; every
//! other figure of the benchmark is reported as a ratio to it.

use wasi::http::types::{
    Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam,
};

/// The component.
struct Hello;

impl wasi::exports::http::incoming_handler::Guest for Hello {
    fn handle(_request: IncomingRequest, out: ResponseOutparam) {
        let response = OutgoingResponse::new(Fields::new());
        let Ok(body) = response.body() else {
            return;
        };
        ResponseOutparam::set(out, Ok(response));
        if let Ok(stream) = body.write() {
            let _ = stream.blocking_write_and_flush(b"hello");
        }
        let _ = OutgoingBody::finish(body, None);
    }
}

wasi::http::proxy::export!(Hello);
