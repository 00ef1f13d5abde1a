//! Hello world over `wasi:http/incoming-handler`, shaped like `whatsapp`: it imports
//! `asterai:whatsapp/incoming-handler`, so it must be composed with a consumer to be
//! served. `make bench` composes it with a consumer: every request then instantiates two
//! components, as `whatsapp` + a consumer does, so its rates are the floors of the
//! webhook's targets under `wasmtime serve`; the difference to them is what `whatsapp`
//! itself costs.
//!
//! - GET: answers `hello` at once (the floor of the handshake);
//! - POST: reads the body to its end, answers a bare 200 (no headers, no body: Meta
//!   reads only the status, and whatsapp answers so too), then hands the consumer one text
//!   message (the floor of a signed webhook, without the signature check, the JSON
//!   parsing, the configuration or the log); when the consumer returns an action and
//!   `BENCH_GRAPH_AUTHORITY` is set, makes one Graph API call for it, a fixed text to
//!   that host and port, and reads the answer (composed with the echo bot, the floor of
//!   a replying webhook, without the read receipt, formatting or request building).
//!
//! Built with the feature `checked`, it also does the part of whatsapp's work that no
//! conforming webhook can skip, so that `make bench` shows how close any implementation
//! could come to the floors (the environment read once per instance, as whatsapp does):
//! - a GET reads its path and query, compares `hub.verify_token` with
//!   `BENCH_VERIFY_TOKEN` and answers `hub.challenge` (Meta's handshake, without
//!   percent-decoding);
//! - a POST reads its `x-hub-signature-256` header and checks the HMAC-SHA256 of the body
//!   with `BENCH_APP_SECRET`, as whatsapp does (the same crates); a mismatch is a 401 and
//!   no message.
//!
//! Built with the feature `parsed` (which implies `checked`), the message handed over is
//! read from the body: Meta's JSON deserialized with serde's derive into the fields of a
//! text message (sender, id, time, number, name, text), as asterai's own WhatsApp
//! component reads it, and one message is handed over per message in the body; a body
//! that is not such JSON is a 400. That is the least a webhook that turns Meta's updates
//! into typed messages does; whatsapp reads every kind of update, the others too. Its
//! replies are what the least a replying webhook does: a consumer's `reply` action sent
//! as it is (no Markdown conversion, no split at 4096 characters) in a body built with
//! serde's derive, and Graph's answer read for the message id.

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

#[path = "../../graph_call.rs"]
mod graph_call;

use asterai::whatsapp::types::Delivery;
#[cfg(not(feature = "parsed"))]
use asterai::whatsapp::types::{Content, Message, User};
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
            #[cfg(feature = "checked")]
            checked::handshake(&request, out, &checked::environment().verify_token);
            #[cfg(not(feature = "checked"))]
            {
                drop(request);
                answer(out, b"hello");
            }
            return;
        }
        #[cfg(feature = "checked")]
        let signature = {
            let headers = request.headers();
            let value = headers.get("x-hub-signature-256").into_iter().next();
            drop(headers);
            value.unwrap_or_default()
        };
        let Some(body) = read_body(&request) else {
            return;
        };
        drop(request);
        #[cfg(feature = "checked")]
        if !checked::signed(
            checked::environment().app_secret.as_bytes(),
            &signature,
            &body,
        ) {
            answer_with(out, 401, &[], b"invalid signature");
            return;
        }
        #[cfg(feature = "parsed")]
        {
            let Ok(notification) = serde_json::from_slice::<parsed::Notification>(&body) else {
                answer_with(out, 400, &[], b"bad request");
                return;
            };
            ResponseOutparam::set(out, Ok(OutgoingResponse::new(Fields::new())));
            for message in notification.messages(&body) {
                let actions = asterai::whatsapp::incoming_handler::on_message(
                    &message,
                    Delivery { attempt: 1 },
                );
                for action in &actions {
                    if let (asterai::whatsapp::types::Action::Reply(reply), Some(authority)) =
                        (action, graph_authority())
                    {
                        let answer = graph_call::graph_call(
                            &authority,
                            &parsed::reply_body(&message, reply),
                        );
                        let _sent = parsed::message_id(&answer);
                    }
                }
            }
        }
        #[cfg(not(feature = "parsed"))]
        {
            // A bare 200: the response's body is never taken, so it goes out empty.
            ResponseOutparam::set(out, Ok(OutgoingResponse::new(Fields::new())));
            hand_over(&body);
        }
    }
}

/// Hands the consumer one fixed text message, and replies when it answers with an action.
#[cfg(not(feature = "parsed"))]
fn hand_over(body: &[u8]) {
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
        raw_json: String::from_utf8_lossy(body).into_owned(),
    };
    let actions =
        asterai::whatsapp::incoming_handler::on_message(&message, Delivery { attempt: 1 });
    if !actions.is_empty() {
        reply();
    }
}

/// One Graph API call for a consumer's actions, a fixed text, when
/// `BENCH_GRAPH_AUTHORITY` is set.
#[cfg(not(feature = "parsed"))]
fn reply() {
    if let Some(authority) = graph_authority() {
        graph_call::graph_call(&authority, graph_call::GRAPH_BODY);
    }
}

/// `BENCH_GRAPH_AUTHORITY`: where the Graph stand-in listens.
fn graph_authority() -> Option<String> {
    wasi::cli::environment::get_environment()
        .into_iter()
        .find(|(k, _)| k == "BENCH_GRAPH_AUTHORITY")
        .map(|(_, v)| v)
}

/// What the `parsed` build adds: Meta's JSON read into the text messages handed over.
#[cfg(feature = "parsed")]
mod parsed {
    use std::borrow::Cow;

    use serde::{Deserialize, Serialize};

    use super::asterai::whatsapp::types::{Content, Message, Reply, User};

    /// The body of a reply: the consumer's text, as is, to the message's sender, quoting
    /// it when asked (built with serde's derive, as asterai's component builds its own).
    #[derive(Serialize)]
    struct Outgoing<'a> {
        messaging_product: &'static str,
        recipient_type: &'static str,
        to: &'a str,
        #[serde(rename = "type")]
        kind: &'static str,
        text: OutgoingText<'a>,
        #[serde(skip_serializing_if = "Option::is_none")]
        context: Option<Quoted<'a>>,
    }

    #[derive(Serialize)]
    struct OutgoingText<'a> {
        body: &'a str,
        preview_url: bool,
    }

    #[derive(Serialize)]
    struct Quoted<'a> {
        message_id: &'a str,
    }

    /// The JSON body Graph gets for `reply` to `message`.
    pub fn reply_body(message: &Message, reply: &Reply) -> Vec<u8> {
        let body = Outgoing {
            messaging_product: "whatsapp",
            recipient_type: "individual",
            to: message.sender.phone.as_deref().unwrap_or_default(),
            kind: "text",
            text: OutgoingText {
                body: &reply.body,
                preview_url: reply.preview_url,
            },
            context: reply.quote.then_some(Quoted {
                message_id: &message.id,
            }),
        };
        serde_json::to_vec(&body).unwrap_or_default()
    }

    /// Graph's answer to a send: `{"messages":[{"id":...}], ...}`.
    #[derive(Deserialize)]
    struct Answer<'a> {
        #[serde(borrow, default)]
        messages: Vec<SentMessage<'a>>,
    }

    #[derive(Deserialize)]
    struct SentMessage<'a> {
        #[serde(borrow)]
        id: Cow<'a, str>,
    }

    /// The id of the message sent, read from Graph's answer.
    pub fn message_id(answer: &[u8]) -> Option<String> {
        let answer: Answer = serde_json::from_slice(answer).ok()?;
        answer.messages.first().map(|m| m.id.to_string())
    }

    /// A webhook's body: the fields a text message is made of, borrowed from it where
    /// the JSON has no escapes.
    #[derive(Deserialize)]
    pub struct Notification<'a> {
        #[serde(borrow)]
        entry: Vec<Entry<'a>>,
    }

    #[derive(Deserialize)]
    struct Entry<'a> {
        #[serde(borrow)]
        id: Cow<'a, str>,
        #[serde(borrow)]
        changes: Vec<Change<'a>>,
    }

    #[derive(Deserialize)]
    struct Change<'a> {
        #[serde(borrow)]
        value: Value<'a>,
    }

    #[derive(Deserialize)]
    struct Value<'a> {
        #[serde(borrow)]
        metadata: Metadata<'a>,
        #[serde(borrow, default)]
        contacts: Vec<Contact<'a>>,
        #[serde(borrow, default)]
        messages: Vec<Text<'a>>,
    }

    #[derive(Deserialize)]
    struct Metadata<'a> {
        #[serde(borrow)]
        display_phone_number: Cow<'a, str>,
        #[serde(borrow)]
        phone_number_id: Cow<'a, str>,
    }

    #[derive(Deserialize)]
    struct Contact<'a> {
        #[serde(borrow)]
        profile: Profile<'a>,
    }

    #[derive(Deserialize)]
    struct Profile<'a> {
        #[serde(borrow)]
        name: Cow<'a, str>,
    }

    #[derive(Deserialize)]
    struct Text<'a> {
        #[serde(borrow)]
        from: Cow<'a, str>,
        #[serde(borrow)]
        id: Cow<'a, str>,
        #[serde(borrow)]
        timestamp: Cow<'a, str>,
        #[serde(borrow, default)]
        text: Option<Body<'a>>,
    }

    #[derive(Deserialize)]
    struct Body<'a> {
        #[serde(borrow)]
        body: Cow<'a, str>,
    }

    impl Notification<'_> {
        /// The text messages in it, as the consumer receives them.
        pub fn messages(&self, raw: &[u8]) -> Vec<Message> {
            let mut messages = Vec::new();
            for entry in &self.entry {
                for change in &entry.changes {
                    let value = &change.value;
                    let name = value.contacts.first().map(|c| c.profile.name.to_string());
                    for message in &value.messages {
                        let Some(text) = &message.text else {
                            continue;
                        };
                        let text = text.body.to_string();
                        messages.push(Message {
                            id: message.id.to_string(),
                            sender: User {
                                phone: Some(message.from.to_string()),
                                user_id: None,
                                parent_user_id: None,
                                username: None,
                                name: name.clone(),
                            },
                            timestamp: message.timestamp.parse().unwrap_or(0),
                            business_account_id: entry.id.to_string(),
                            phone_number_id: value.metadata.phone_number_id.to_string(),
                            display_phone_number: value.metadata.display_phone_number.to_string(),
                            group_id: None,
                            context: None,
                            content: Content::Text(text.clone()),
                            text,
                            referral: None,
                            errors: Vec::new(),
                            raw_json: String::from_utf8_lossy(raw).into_owned(),
                        });
                    }
                }
            }
            messages
        }
    }
}

/// What the `checked` build adds: the handshake's and the signature's unavoidable work.
#[cfg(feature = "checked")]
mod checked {
    use std::sync::OnceLock;

    use hmac::{Hmac, Mac};
    use sha2::Sha256;
    use wasi::http::types::{IncomingRequest, ResponseOutparam};

    use super::answer_with;

    /// The knobs, from one `get-environment` per instance.
    pub struct Environment {
        pub verify_token: String,
        pub app_secret: String,
    }

    pub fn environment() -> &'static Environment {
        static ENVIRONMENT: OnceLock<Environment> = OnceLock::new();
        ENVIRONMENT.get_or_init(|| {
            let mut environment = Environment {
                verify_token: String::new(),
                app_secret: String::new(),
            };
            for (key, value) in wasi::cli::environment::get_environment() {
                match key.as_str() {
                    "BENCH_VERIFY_TOKEN" => environment.verify_token = value,
                    "BENCH_APP_SECRET" => environment.app_secret = value,
                    _ => {}
                }
            }
            environment
        })
    }

    /// Meta's handshake, reduced to what any implementation must do: the query's token
    /// compared, the challenge answered (with its content type, as whatsapp answers it).
    pub fn handshake(request: &IncomingRequest, out: ResponseOutparam, token: &str) {
        let path = request.path_with_query().unwrap_or_default();
        let query = path.split_once('?').map_or("", |(_, q)| q);
        let mut given = None;
        let mut challenge = None;
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("hub.verify_token", v)) => given = Some(v),
                Some(("hub.challenge", v)) => challenge = Some(v),
                _ => {}
            }
        }
        match (given, challenge) {
            (Some(given), Some(challenge))
                if !token.is_empty() && given.as_bytes().ct_eq(token.as_bytes()) =>
            {
                answer_with(
                    out,
                    200,
                    &[("content-type", b"text/plain; charset=utf-8")],
                    challenge.as_bytes(),
                )
            }
            _ => answer_with(out, 403, &[], b"forbidden"),
        }
    }

    /// Whether `header` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under `secret`.
    pub fn signed(secret: &[u8], header: &[u8], body: &[u8]) -> bool {
        let Some(hex_digest) = header.strip_prefix(b"sha256=") else {
            return false;
        };
        let mut expected = [0u8; 32];
        if hex::decode_to_slice(hex_digest, &mut expected).is_err() {
            return false;
        }
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
            return false;
        };
        mac.update(body);
        mac.verify_slice(&expected).is_ok()
    }

    /// Constant-time equality, as whatsapp compares tokens.
    trait CtEq {
        fn ct_eq(&self, other: &Self) -> bool;
    }

    impl CtEq for [u8] {
        fn ct_eq(&self, other: &Self) -> bool {
            self.len() == other.len()
                && self.iter().zip(other).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0
        }
    }
}

export!(HelloComposed);

/// A 200 with `body`.
#[cfg(not(feature = "checked"))]
fn answer(out: ResponseOutparam, body: &[u8]) {
    answer_with(out, 200, &[], body)
}

/// `status` with `headers` and `body`.
fn answer_with(out: ResponseOutparam, status: u16, headers: &[(&str, &[u8])], body: &[u8]) {
    let fields = if headers.is_empty() {
        Fields::new()
    } else {
        let list: Vec<(String, Vec<u8>)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_vec()))
            .collect();
        Fields::from_list(&list).unwrap_or_else(|_| Fields::new())
    };
    let response = OutgoingResponse::new(fields);
    if status != 200 {
        let _ = response.set_status_code(status);
    }
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
