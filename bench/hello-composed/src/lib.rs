//! Hello world over `wasi:http/incoming-handler`, shaped like `whatsapp`: it imports
//! `asterai:whatsapp/incoming-handler`, so it must be composed with a consumer to be
//! served. `make bench` composes it with a consumer: every request then instantiates two
//! components, as `whatsapp` + a consumer does, so its rates are the floors of the
//! webhook's targets under `wasmtime serve`; the difference to them is what `whatsapp`
//! itself costs.
//!
//! - GET: answers `hello` at once (the floor of the handshake);
//! - POST: reads the body to its end, answers `ok`, then hands the consumer one text
//!   message (the floor of a signed webhook, without the signature check, the JSON
//!   parsing, the configuration or the log); when the consumer returns an action and
//!   `BENCH_GRAPH_AUTHORITY` is set, makes one Graph API call for it, a fixed text to
//!   that host and port, and reads the answer (composed with the echo bot, the floor of
//!   a replying webhook, without the read receipt, formatting or request building).

wit_bindgen::generate!({
    inline: "
        package bench:hello-composed;

        world hello-composed {
            import asterai:whatsapp/incoming-handler@0.4.0;
            export wasi:http/incoming-handler@0.2.12;
        }
    ",
    path: "../../wit",
    world: "bench:hello-composed/hello-composed",
    with: {
        "wasi:http/types@0.2.12": wasi::http::types,
        "wasi:io/error@0.2.12": wasi::io::error,
        "wasi:io/poll@0.2.12": wasi::io::poll,
        "wasi:io/streams@0.2.12": wasi::io::streams,
        "wasi:clocks/monotonic-clock@0.2.12": wasi::clocks::monotonic_clock,
    },
    generate_all,
});

use asterai::whatsapp::types::{Content, Delivery, Message, User};
use exports::wasi::http::incoming_handler::Guest;
use wasi::http::types::{
    Fields, IncomingBody, IncomingRequest, Method, OutgoingBody, OutgoingRequest, OutgoingResponse,
    ResponseOutparam, Scheme,
};
use wasi::io::streams::StreamError;

/// The component.
struct HelloComposed;

impl Guest for HelloComposed {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        if !matches!(request.method(), Method::Post) {
            drop(request);
            answer(out, b"hello");
            return;
        }
        let Some(body) = read_body(&request) else {
            return;
        };
        drop(request);
        answer(out, b"ok");
        let text = String::from("hello");
        let message = Message {
            id: String::from("wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQzQTlCNjE0RjE2RDQ5RjcxNzkwOAA="),
            sender: User {
                phone: Some(String::from("15551234567")),
                user_id: None,
                parent_user_id: None,
                username: None,
                name: Some(String::from("Ana")),
            },
            timestamp: 1_700_000_000,
            business_account_id: String::from("102290129340398"),
            phone_number_id: String::from("106540352242922"),
            display_phone_number: String::from("15550783881"),
            group_id: None,
            context: None,
            content: Content::Text(text.clone()),
            text,
            referral: None,
            errors: Vec::new(),
            raw_json: String::from_utf8_lossy(&body).into_owned(),
        };
        let actions =
            asterai::whatsapp::incoming_handler::on_message(&message, Delivery { attempt: 1 });
        if actions.is_empty() {
            return;
        }
        if let Some(authority) = wasi::cli::environment::get_environment()
            .into_iter()
            .find(|(k, _)| k == "BENCH_GRAPH_AUTHORITY")
            .map(|(_, v)| v)
        {
            graph_call(&authority);
        }
    }
}

const GRAPH_BODY: &[u8] =
    br#"{"messaging_product":"whatsapp","recipient_type":"individual","to":"15551234567","type":"text","text":{"body":"hello"}}"#;

/// One `POST /v21.0/{phone-number-id}/messages` to `authority` (plain HTTP), its answer
/// read to the end: what `bench/hello-graph` does.
fn graph_call(authority: &str) {
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

export!(HelloComposed);

/// A 200 with `body`.
fn answer(out: ResponseOutparam, body: &[u8]) {
    let response = OutgoingResponse::new(Fields::new());
    let Ok(outgoing) = response.body() else {
        return;
    };
    ResponseOutparam::set(out, Ok(response));
    if let Ok(stream) = outgoing.write() {
        let _ = stream.blocking_write_and_flush(body);
    }
    let _ = OutgoingBody::finish(outgoing, None);
}

/// The request body, read to its end.
fn read_body(request: &IncomingRequest) -> Option<Vec<u8>> {
    let body = request.consume().ok()?;
    let mut bytes = Vec::new();
    {
        let stream = body.stream().ok()?;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => bytes.extend_from_slice(&chunk),
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(_)) => return None,
            }
        }
    }
    let _ = IncomingBody::finish(body);
    Some(bytes)
}
