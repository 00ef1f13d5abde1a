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
//!   parsing, the configuration or the log).

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
    Fields, IncomingBody, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
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
        let _actions =
            asterai::whatsapp::incoming_handler::on_message(&message, Delivery { attempt: 1 });
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
