//! Sending through the Graph API: configuration and the business number each request
//! goes out from, validation, Markdown conversion and chunking, bounded retries with
//! backoff, and the consumer's actions with their defaults ([`ActionDefaults`]: the
//! message's chat and the number that received it).
//!
//! I/O goes through [`Transport`], so this module knows nothing of wasm: the component
//! implements it with wasi:http and wasi:clocks, tests with a scripted stand-in for Meta.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use wasi::http::types::ErrorCode;

use crate::outbound::graph::{self, GraphConfig, GraphRequest};
pub use crate::outbound::graph_error::{describe_error, transport_kind_name};
use crate::outbound::graph_error::{
    parse_mark_read_response, parse_profile_response, parse_send_response, redact_error,
    transport_error, transport_retryable,
};
pub use crate::outbound::plan::{describe_action, ActionDefaults, ActionError};
use crate::outbound::plan::{plan_action, text_bodies, whole_text_failure, Planned};
use crate::outbound::retry::{Backoff, RetryPolicy};
use crate::types::{
    Action, BlockResult, BusinessProfile, BusinessProfileDetails, BusinessProfileUpdate,
    ButtonsMessage, ContactsMessage, CtaUrlMessage, FlowMessage, InvalidRequest, ListMessage,
    LocationMessage, LocationRequestMessage, MediaMessage, Message, ReactionMessage, ReadReceipt,
    SendError, Sent, TemplateMessage, TextFailure, TextMessage, VoiceMessage,
};

/// An HTTP answer from the Graph API (or whatever answered in its place).
#[derive(Debug)]
pub struct HttpAnswer {
    /// Status code.
    pub status: u16,
    /// `content-type`, read with the answer or left to be read when needed.
    pub content_type: ContentType,
    /// The body.
    pub body: Vec<u8>,
}

/// An answer's `content-type`. Only an error reports it ([`BadResponse`]'s
/// `content-type`), so a transport may leave it unread: a good answer then never costs the
/// header's look-up (three host calls in wasi:http, on every send).
///
/// [`BadResponse`]: crate::types::BadResponse
pub enum ContentType {
    /// Read with the answer: the header's value, when given.
    Read(Option<String>),
    /// Not read yet: this reads it (the header's value, when given).
    OnDemand(Box<dyn FnOnce() -> Option<String>>),
}

impl ContentType {
    /// The value read with the answer; none when it was left for later.
    fn read_already(&self) -> Option<&str> {
        match self {
            ContentType::Read(value) => value.as_deref(),
            ContentType::OnDemand(_) => None,
        }
    }

    /// `error`, with the content type it reports read now when it was left for later.
    fn complete(self, error: SendError) -> SendError {
        match (self, error) {
            (ContentType::OnDemand(read), SendError::BadResponse(mut bad)) => {
                bad.content_type = read();
                SendError::BadResponse(bad)
            }
            (_, error) => error,
        }
    }
}

/// Says whether the value was read, never the value's reader.
impl std::fmt::Debug for ContentType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContentType::Read(value) => f.debug_tuple("Read").field(value).finish(),
            ContentType::OnDemand(_) => f.write_str("OnDemand"),
        }
    }
}

/// What the sender needs from the outside world.
pub trait Transport {
    /// Sends one request; `Err` is a transport failure (no HTTP answer).
    fn send(&mut self, request: &GraphRequest) -> Result<HttpAnswer, ErrorCode>;
    /// Waits before a retry.
    fn sleep(&mut self, pause: Duration);
    /// A random number for backoff jitter.
    fn random(&mut self) -> u64;
    /// A monotonic clock reading.
    fn now(&mut self) -> Duration;
}

type Parse<R> = fn(u16, Option<&str>, &[u8]) -> Result<R, SendError>;

/// Sends one request over `transport`, retrying transient failures within `policy`'s
/// bounds (each retry logged, the token redacted from every error). Only idempotent
/// requests are retried after a failure that may have reached Meta. Shared by the sender
/// and the media client.
pub(crate) fn exchange<T: Transport + ?Sized, R>(
    transport: &mut T,
    policy: &RetryPolicy,
    request: &GraphRequest,
    token: &str,
    idempotent: bool,
    parse: impl Fn(u16, Option<&str>, &[u8]) -> Result<R, SendError>,
) -> Result<R, SendError> {
    exchange_from(transport, policy, request, token, idempotent, None, parse)
}

/// [`exchange`], when the caller may have sent the first attempt itself (to overlap its
/// round trip with other work): `first` is that attempt's answer, taken as attempt 1.
/// The retry budget counts from here.
fn exchange_from<T: Transport + ?Sized, R>(
    transport: &mut T,
    policy: &RetryPolicy,
    request: &GraphRequest,
    token: &str,
    idempotent: bool,
    mut first: Option<Result<HttpAnswer, ErrorCode>>,
    parse: impl Fn(u16, Option<&str>, &[u8]) -> Result<R, SendError>,
) -> Result<R, SendError> {
    let start = transport.now();
    let mut attempt: u32 = 0;
    loop {
        attempt = attempt.saturating_add(1);
        let answer = match first.take() {
            Some(answer) => answer,
            None => transport.send(request),
        };
        let (error, pause) = match answer {
            Ok(answer) => {
                match parse(
                    answer.status,
                    answer.content_type.read_already(),
                    &answer.body,
                ) {
                    Ok(result) => return Ok(result),
                    Err(error) => {
                        // A content type left unread is read now, for the error that
                        // reports it (and redacted with the rest).
                        let error = redact_error(answer.content_type.complete(error), token);
                        let elapsed = transport.now().saturating_sub(start);
                        let pause = policy.next_after(&error, attempt, elapsed, transport.random());
                        (error, pause)
                    }
                }
            }
            Err(code) => {
                let retryable = transport_retryable(&code, idempotent);
                let error = SendError::Transport(transport_error(&code, token));
                let elapsed = transport.now().saturating_sub(start);
                let pause = policy.next_for(
                    Backoff::Standard,
                    attempt,
                    elapsed,
                    retryable,
                    transport.random(),
                );
                (error, pause)
            }
        };
        let Some(pause) = pause else {
            return Err(error);
        };
        crate::log(&format!(
            "Graph API attempt {attempt} failed, retrying in {} ms: {}",
            pause.as_millis(),
            describe_error(&error)
        ));
        transport.sleep(pause);
    }
}

/// A request built by the sender, whose first attempt its caller sends
/// ([`Sender::prepare_mark_read`]).
pub struct PreparedRequest {
    request: GraphRequest,
    /// Its token is for redacting errors; never shown.
    config: Arc<GraphConfig>,
}

impl PreparedRequest {
    /// The request to send (its `Debug` hides the token).
    pub fn request(&self) -> &GraphRequest {
        &self.request
    }
}

/// What a request goes out with: the configuration and the business phone number id.
struct Route {
    config: Arc<GraphConfig>,
    phone_number_id: String,
}

/// Sends messages with one configuration and transport.
pub struct Sender<T: Transport> {
    config: Result<Arc<GraphConfig>, Vec<String>>,
    transport: T,
    policy: RetryPolicy,
}

impl<T: Transport> Sender<T> {
    /// A sender; `config` is `Err(missing variable names)` when the access token is not
    /// configured ([`GraphConfig::from_env`]), which makes every call return
    /// [`SendError::MissingConfig`].
    pub fn new(config: Result<GraphConfig, Vec<String>>, transport: T) -> Self {
        Self::shared(config.map(Arc::new), transport)
    }

    /// A sender with a configuration shared with others (an instance's senders share the
    /// one it read): each send copies a pointer, not the configuration's strings.
    pub fn shared(config: Result<Arc<GraphConfig>, Vec<String>>, transport: T) -> Self {
        Sender {
            config,
            transport,
            policy: RetryPolicy::default(),
        }
    }

    /// Replaces the retry policy.
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The transport (tests read what it recorded).
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The configuration and number for a request naming `requested` (or no number).
    ///
    /// Missing configuration: without the token, the configured error names (less
    /// `WHATSAPP_PHONE_NUMBER_ID` when the request names its number); with the token but
    /// no number from either the request or `WHATSAPP_PHONE_NUMBER_ID`, that name alone.
    fn route(&self, requested: Option<&str>) -> Result<Route, SendError> {
        graph::route(&self.config, requested)
            .map(|(config, phone_number_id)| Route {
                config,
                phone_number_id,
            })
            .map_err(SendError::MissingConfig)
    }

    /// Sends one request, retrying transient failures within the policy's bounds.
    /// Only idempotent requests are retried after a failure that may have reached Meta.
    fn exchange<R>(
        &mut self,
        request: &GraphRequest,
        token: &str,
        idempotent: bool,
        parse: Parse<R>,
    ) -> Result<R, SendError> {
        exchange(
            &mut self.transport,
            &self.policy,
            request,
            token,
            idempotent,
            parse,
        )
    }

    /// Sends one message from `phone_number_id` (or the default number).
    fn post(
        &mut self,
        phone_number_id: Option<&str>,
        build: impl FnOnce() -> Result<Value, InvalidRequest>,
    ) -> Result<Sent, SendError> {
        let route = self.route(phone_number_id)?;
        let body = build().map_err(SendError::InvalidRequest)?;
        self.exchange(
            &route.config.post_message(&route.phone_number_id, &body),
            &route.config.access_token,
            false,
            parse_send_response,
        )
    }

    /// Sends a text: Markdown converted unless raw, split into parts of at most 4096
    /// characters (UTF-16 units), sent in order from the message's number; the quote
    /// goes on the first part, the callback data on every part. On a failure the rest
    /// are not sent.
    pub fn send_text(&mut self, message: &TextMessage) -> Result<Sent, TextFailure> {
        let route = self
            .route(message.phone_number_id.as_deref())
            .map_err(whole_text_failure)?;
        let bodies = text_bodies(message)?;
        let total = u32::try_from(bodies.len()).unwrap_or(u32::MAX);
        let mut sent = Sent {
            message_ids: Vec::new(),
            wa_id: None,
            user_id: None,
        };
        for (body, number) in bodies.into_iter().zip(1..) {
            let result = self.exchange(
                &route
                    .config
                    .post_json(&route.phone_number_id, body.into_bytes()),
                &route.config.access_token,
                false,
                parse_send_response,
            );
            match result {
                Ok(part_sent) => {
                    sent.message_ids.extend(part_sent.message_ids);
                    sent.wa_id = sent.wa_id.or(part_sent.wa_id);
                    sent.user_id = sent.user_id.or(part_sent.user_id);
                }
                Err(error) => {
                    return Err(TextFailure {
                        error,
                        part: number,
                        parts: total,
                        sent: sent.message_ids,
                    })
                }
            }
        }
        Ok(sent)
    }

    /// Sends media.
    pub fn send_media(&mut self, message: &MediaMessage) -> Result<Sent, SendError> {
        self.post(message.phone_number_id.as_deref(), || {
            graph::media_body(message)
        })
    }

    /// Sends a location.
    pub fn send_location(&mut self, message: &LocationMessage) -> Result<Sent, SendError> {
        self.post(message.phone_number_id.as_deref(), || {
            graph::location_body(message)
        })
    }

    /// Sends contact cards.
    pub fn send_contacts(&mut self, message: &ContactsMessage) -> Result<Sent, SendError> {
        self.post(message.phone_number_id.as_deref(), || {
            graph::contacts_body(message)
        })
    }

    /// Sends reply buttons.
    pub fn send_buttons(&mut self, message: &ButtonsMessage) -> Result<Sent, SendError> {
        self.post(message.phone_number_id.as_deref(), || {
            graph::buttons_body(message)
        })
    }

    /// Sends a list.
    pub fn send_list(&mut self, message: &ListMessage) -> Result<Sent, SendError> {
        self.post(message.phone_number_id.as_deref(), || {
            graph::list_body(message)
        })
    }

    /// Sends a call-to-action URL button.
    pub fn send_cta_url(&mut self, message: &CtaUrlMessage) -> Result<Sent, SendError> {
        self.post(message.phone_number_id.as_deref(), || {
            graph::cta_url_body(message)
        })
    }

    /// Sends a template.
    pub fn send_template(&mut self, message: &TemplateMessage) -> Result<Sent, SendError> {
        self.post(message.phone_number_id.as_deref(), || {
            graph::template_body(message)
        })
    }

    /// Sends (or removes, with an empty emoji) a reaction.
    pub fn react(&mut self, message: &ReactionMessage) -> Result<Sent, SendError> {
        self.post(message.phone_number_id.as_deref(), || {
            graph::reaction_body(message)
        })
    }

    /// Marks a message read (and shows the typing indicator when asked), from the
    /// receipt's number (the one that received the message) or the default number.
    /// Retried like any idempotent request.
    pub fn mark_read(&mut self, receipt: &ReadReceipt) -> Result<(), SendError> {
        let prepared = self.prepare_mark_read(receipt)?;
        self.finish_exchange(&prepared, None)
    }

    /// The request of [`Sender::mark_read`], for a caller that sends its first attempt
    /// itself, so that its round trip overlaps other work (the consumer's), and then
    /// hands the answer to [`Sender::finish_mark_read`].
    pub fn prepare_mark_read(&self, receipt: &ReadReceipt) -> Result<PreparedRequest, SendError> {
        let route = self.route(receipt.phone_number_id.as_deref())?;
        let request = route
            .config
            .mark_read(&route.phone_number_id, receipt)
            .map_err(SendError::InvalidRequest)?;
        Ok(PreparedRequest {
            request,
            config: route.config,
        })
    }

    /// The outcome of a read receipt whose first attempt the caller sent: `first` is its
    /// answer (or the transport's error). A transient failure is retried as
    /// [`Sender::mark_read`] retries it.
    pub fn finish_mark_read(
        &mut self,
        prepared: &PreparedRequest,
        first: Result<HttpAnswer, ErrorCode>,
    ) -> Result<(), SendError> {
        self.finish_exchange(prepared, Some(first))
    }

    fn finish_exchange(
        &mut self,
        prepared: &PreparedRequest,
        first: Option<Result<HttpAnswer, ErrorCode>>,
    ) -> Result<(), SendError> {
        exchange_from(
            &mut self.transport,
            &self.policy,
            &prepared.request,
            &prepared.config.access_token,
            true,
            first,
            parse_mark_read_response,
        )
    }

    /// Describes a business phone number: `phone_number_id`, or the default number
    /// when it is absent or blank.
    pub fn get_self(
        &mut self,
        phone_number_id: Option<&str>,
    ) -> Result<BusinessProfile, SendError> {
        let route = self.route(phone_number_id)?;
        self.exchange(
            &route.config.get_self(&route.phone_number_id),
            &route.config.access_token,
            true,
            parse_profile_response,
        )
    }

    /// Sends a voice note.
    pub fn send_voice(&mut self, message: &VoiceMessage) -> Result<Sent, SendError> {
        self.post(message.phone_number_id.as_deref(), || {
            graph::voice_body(message)
        })
    }

    /// Sends a location request.
    pub fn send_location_request(
        &mut self,
        message: &LocationRequestMessage,
    ) -> Result<Sent, SendError> {
        self.post(message.phone_number_id.as_deref(), || {
            graph::location_request_body(message)
        })
    }

    /// Sends a flow message.
    pub fn send_flow(&mut self, message: &FlowMessage) -> Result<Sent, SendError> {
        self.post(message.phone_number_id.as_deref(), || {
            graph::flow_body(message)
        })
    }

    /// Blocks (`block`) or unblocks `users` on `phone_number_id` (or the default
    /// number). Retried like any idempotent request: blocking a blocked user again
    /// changes nothing.
    pub fn block_users(
        &mut self,
        users: &[String],
        phone_number_id: Option<&str>,
        block: bool,
    ) -> Result<BlockResult, SendError> {
        let route = self.route(phone_number_id)?;
        let body = graph::block_users_body(users).map_err(SendError::InvalidRequest)?;
        self.exchange(
            &route
                .config
                .block_users(&route.phone_number_id, &body, block),
            &route.config.access_token,
            true,
            graph::parse_block_response,
        )
    }

    /// Reads the business profile of `phone_number_id` (or the default number).
    pub fn get_business_profile(
        &mut self,
        phone_number_id: Option<&str>,
    ) -> Result<BusinessProfileDetails, SendError> {
        let route = self.route(phone_number_id)?;
        self.exchange(
            &route.config.get_business_profile(&route.phone_number_id),
            &route.config.access_token,
            true,
            graph::parse_business_profile_response,
        )
    }

    /// Changes the fields given of the business profile of the update's number (or the
    /// default number). Retried like any idempotent request.
    pub fn update_business_profile(
        &mut self,
        update: &BusinessProfileUpdate,
    ) -> Result<(), SendError> {
        let route = self.route(update.phone_number_id.as_deref())?;
        let body = graph::profile_update_body(update).map_err(SendError::InvalidRequest)?;
        self.exchange(
            &route
                .config
                .update_business_profile(&route.phone_number_id, &body),
            &route.config.access_token,
            true,
            graph::parse_update_profile_response,
        )
    }

    /// Carries out one consumer action for `message`: its messages
    /// ([`plan_action`]: the defaults, the checks, the bodies), then each of them in
    /// order; a failure stops the rest. The delivery does the same one message at a
    /// time, so that its journal can keep the ones not sent yet.
    pub fn run_action(&mut self, message: &Message, action: Action) -> Result<(), ActionError> {
        let text = matches!(action, Action::Reply(_) | Action::SendText(_));
        let mut sent = Vec::new();
        for planned in plan_action(message, 1, action)? {
            match self.send_planned(&planned) {
                Ok(ids) => sent.extend(ids),
                Err(error) if text => {
                    return Err(ActionError::Text(TextFailure {
                        error,
                        part: planned.part,
                        parts: planned.parts,
                        sent,
                    }))
                }
                Err(error) => return Err(ActionError::Send(error)),
            }
        }
        Ok(())
    }

    /// Sends one planned message from its number (or the default one): its message ids
    /// (none for a read receipt). Retried like any send; a read receipt like any
    /// idempotent request.
    pub fn send_planned(&mut self, planned: &Planned) -> Result<Vec<String>, SendError> {
        let route = self.route(planned.phone_number_id.as_deref())?;
        let request = route
            .config
            .post_json(&route.phone_number_id, planned.body.as_bytes().to_vec());
        let token = &route.config.access_token;
        if planned.receipt {
            self.exchange(&request, token, true, parse_mark_read_response)
                .map(|()| Vec::new())
        } else {
            self.exchange(&request, token, false, parse_send_response)
                .map(|sent| sent.message_ids)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{BadResponse, TextFormat};
    use std::collections::VecDeque;

    #[test]
    fn only_transient_failures_of_unsent_actions_are_worth_retrying_later() {
        let outage = SendError::BadResponse(BadResponse {
            http_status: 503,
            content_type: None,
            reason: "unavailable".into(),
        });
        let refused = SendError::InvalidRequest(InvalidRequest {
            field: "to".into(),
            reason: "empty".into(),
        });
        let text = |error: SendError, sent: usize| {
            ActionError::Text(TextFailure {
                error,
                part: sent as u32 + 1,
                parts: 3,
                sent: (0..sent).map(|i| format!("wamid.{i}")).collect(),
            })
        };
        assert!(ActionError::Send(outage.clone()).worth_retrying_later());
        assert!(text(outage.clone(), 0).worth_retrying_later());
        assert!(
            !text(outage, 1).worth_retrying_later(),
            "a part already went out: sending it again would repeat it"
        );
        assert!(!ActionError::Send(refused.clone()).worth_retrying_later());
        assert!(!text(refused, 0).worth_retrying_later());
    }

    /// A scripted stand-in for Meta: answers in order, records requests and sleeps.
    #[derive(Default)]
    struct Scripted {
        answers: VecDeque<Result<HttpAnswer, ErrorCode>>,
        requests: Vec<GraphRequest>,
        sleeps: Vec<Duration>,
        clock: Duration,
    }

    impl Transport for Scripted {
        fn send(&mut self, request: &GraphRequest) -> Result<HttpAnswer, ErrorCode> {
            self.requests.push(request.clone());
            let n = self.requests.len();
            self.answers.pop_front().unwrap_or_else(|| {
                Ok(json(
                    200,
                    &format!(r#"{{"messages":[{{"id":"wamid.{n}"}}]}}"#),
                ))
            })
        }
        fn sleep(&mut self, pause: Duration) {
            self.sleeps.push(pause);
            self.clock += pause;
        }
        fn random(&mut self) -> u64 {
            u64::MAX // the longest pause the policy allows
        }
        fn now(&mut self) -> Duration {
            self.clock
        }
    }

    fn json(status: u16, body: &str) -> HttpAnswer {
        HttpAnswer {
            status,
            content_type: ContentType::Read(Some("application/json".into())),
            body: body.as_bytes().to_vec(),
        }
    }

    fn graph_error(status: u16, code: i64) -> Result<HttpAnswer, ErrorCode> {
        Ok(json(
            status,
            &format!(
                r#"{{"error":{{"message":"(#{code}) x","type":"OAuthException","code":{code},"fbtrace_id":"T"}}}}"#
            ),
        ))
    }

    fn sender(answers: Vec<Result<HttpAnswer, ErrorCode>>) -> Sender<Scripted> {
        let config = GraphConfig::new("PNID", "SECRET-TOKEN");
        Sender::new(
            Ok(config),
            Scripted {
                answers: answers.into(),
                ..Default::default()
            },
        )
    }

    fn text(body: &str) -> TextMessage {
        TextMessage {
            to: "+1 650-555-1234".into(),
            body: body.into(),
            format: TextFormat::Markdown,
            preview_url: false,
            reply_to: Some("wamid.Q".into()),
            phone_number_id: None,
            biz_opaque_callback_data: None,
        }
    }

    fn body_json(request: &GraphRequest) -> Value {
        serde_json::from_slice(request.body.as_deref().unwrap_or_default()).unwrap()
    }

    /// An answer whose content type is read on demand; `asked` counts the reads.
    fn answer_reading_type_on_demand(
        status: u16,
        body: &str,
        asked: &std::rc::Rc<std::cell::Cell<u32>>,
    ) -> Result<HttpAnswer, ErrorCode> {
        let asked = asked.clone();
        Ok(HttpAnswer {
            status,
            content_type: ContentType::OnDemand(Box::new(move || {
                asked.set(asked.get() + 1);
                Some("text/html; charset=SECRET-TOKEN".into())
            })),
            body: body.as_bytes().to_vec(),
        })
    }

    #[test]
    fn a_content_type_left_unread_is_read_only_for_the_error_that_reports_it() {
        let asked = std::rc::Rc::new(std::cell::Cell::new(0));
        let mut s = sender(vec![answer_reading_type_on_demand(
            200,
            r#"{"messages":[{"id":"wamid.OK"}]}"#,
            &asked,
        )]);
        assert_eq!(s.send_text(&text("hi")).unwrap().message_ids, ["wamid.OK"]);
        assert_eq!(asked.get(), 0, "a good answer's content type is never read");

        let mut s = sender(vec![answer_reading_type_on_demand(
            200,
            "<html>proxy</html>",
            &asked,
        )]);
        let failure = s.send_text(&text("hi")).unwrap_err();
        let SendError::BadResponse(bad) = failure.error else {
            panic!("not a bad response: {:?}", failure.error);
        };
        assert_eq!(asked.get(), 1);
        assert_eq!(bad.reason, "not JSON");
        assert_eq!(
            bad.content_type.as_deref(),
            Some("text/html; charset=<redacted>"),
            "read, and redacted like the rest of the error"
        );
    }

    #[test]
    fn a_text_is_converted_sent_and_quoted() {
        let mut s = sender(vec![]);
        let sent = s.send_text(&text("**hi**")).unwrap();
        assert_eq!(sent.message_ids, vec!["wamid.1"]);
        let body = body_json(&s.transport().requests[0]);
        assert_eq!(body["text"]["body"], "*hi*");
        assert_eq!(body["to"], "16505551234");
        assert_eq!(body["context"]["message_id"], "wamid.Q");
    }

    #[test]
    fn a_long_text_goes_in_parts_quoting_only_the_first() {
        let mut s = sender(vec![]);
        let long = "word ".repeat(2000);
        let sent = s.send_text(&text(&long)).unwrap();
        assert_eq!(sent.message_ids.len(), 3);
        let bodies: Vec<Value> = s.transport().requests.iter().map(body_json).collect();
        assert!(bodies[0].get("context").is_some());
        assert!(bodies[1].get("context").is_none());
        for b in &bodies {
            assert!(b["text"]["body"].as_str().unwrap().encode_utf16().count() <= 4096);
        }
    }

    #[test]
    fn a_failed_part_stops_the_rest_and_says_which() {
        let ok = Ok(json(200, r#"{"messages":[{"id":"wamid.first"}]}"#));
        let mut s = sender(vec![ok, graph_error(400, 131047)]);
        let failure = s.send_text(&text(&"word ".repeat(2000))).unwrap_err();
        assert_eq!((failure.part, failure.parts), (2, 3));
        assert_eq!(failure.sent, vec!["wamid.first"]);
        assert!(
            matches!(failure.error, SendError::Graph(ref g) if g.code == 131047 && !g.retryable)
        );
        assert_eq!(s.transport().requests.len(), 2);
    }

    fn receipt() -> ReadReceipt {
        ReadReceipt {
            message_id: "wamid.IN".into(),
            typing: true,
            phone_number_id: Some("PN".into()),
        }
    }

    #[test]
    fn a_read_receipt_whose_first_attempt_the_caller_sent_is_not_sent_again() {
        let mut s = sender(vec![]);
        let prepared = s.prepare_mark_read(&receipt()).unwrap();
        assert!(prepared.request().url.ends_with("/PN/messages"));
        let body: Value =
            serde_json::from_slice(prepared.request().body.as_deref().unwrap()).unwrap();
        assert_eq!(body["status"], "read");
        assert_eq!(body["typing_indicator"]["type"], "text");
        let answer = Ok(json(200, r#"{"success":true}"#));
        assert!(s.finish_mark_read(&prepared, answer).is_ok());
        assert!(
            s.transport().requests.is_empty(),
            "the answer was the caller's"
        );
    }

    #[test]
    fn a_read_receipt_whose_first_attempt_failed_transiently_is_retried() {
        let mut s = sender(vec![Ok(json(200, r#"{"success":true}"#))]);
        let prepared = s.prepare_mark_read(&receipt()).unwrap();
        let first = Err(ErrorCode::ConnectionRefused);
        assert!(s.finish_mark_read(&prepared, first).is_ok());
        assert_eq!(
            s.transport().requests.len(),
            1,
            "one retry, after one pause"
        );
        assert_eq!(s.transport().sleeps.len(), 1);
    }

    #[test]
    fn a_read_receipt_whose_first_attempt_failed_for_good_is_not_retried() {
        let mut s = sender(vec![]);
        let prepared = s.prepare_mark_read(&receipt()).unwrap();
        let error = s
            .finish_mark_read(&prepared, graph_error(401, 190))
            .unwrap_err();
        assert!(matches!(error, SendError::Graph(ref g) if g.code == 190));
        assert!(s.transport().requests.is_empty());
    }

    #[test]
    fn transient_errors_are_retried_on_the_policy_schedule() {
        let mut s = sender(vec![
            graph_error(500, 131000),
            Ok(json(503, "<html>busy</html>")),
            graph_error(400, 130429),
        ]);
        let sent = s.send_media(&MediaMessage {
            to: "1".into(),
            kind: crate::types::MediaKind::Image,
            source: crate::types::MediaSource::Id("M".into()),
            caption: None,
            filename: None,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        });
        assert!(sent.is_ok());
        assert_eq!(s.transport().requests.len(), 4);
        let policy = RetryPolicy::default();
        let expected: Vec<Duration> = (1..=3).map(|n| policy.delay(n, u64::MAX)).collect();
        assert_eq!(s.transport().sleeps, expected);
    }

    #[test]
    fn retries_stop_at_the_attempt_limit() {
        let mut s = sender((0..10).map(|_| graph_error(500, 2)).collect());
        let error = s
            .react(&ReactionMessage {
                to: "1".into(),
                message_id: "wamid.X".into(),
                emoji: "👍".into(),
                phone_number_id: None,
                biz_opaque_callback_data: None,
            })
            .unwrap_err();
        assert!(matches!(error, SendError::Graph(ref g) if g.code == 2 && g.retryable));
        let policy = RetryPolicy::default();
        assert_eq!(s.transport().requests.len(), policy.max_attempts as usize);
        assert!(s.transport().sleeps.iter().sum::<Duration>() <= policy.max_total);
    }

    #[test]
    fn permanent_errors_are_not_retried() {
        for code in [131047, 190, 100, 131026] {
            let mut s = sender(vec![graph_error(400, code)]);
            assert!(s.send_text(&text("hi")).is_err());
            assert_eq!(s.transport().requests.len(), 1, "code {code}");
            assert!(s.transport().sleeps.is_empty());
        }
    }

    #[test]
    fn a_send_is_not_retried_after_a_failure_that_may_have_reached_meta() {
        let mut s = sender(vec![Err(ErrorCode::ConnectionReadTimeout)]);
        let failure = s.send_text(&text("hi")).unwrap_err();
        assert!(matches!(failure.error, SendError::Transport(_)));
        assert_eq!(s.transport().requests.len(), 1);
        // A refused connection never reached Meta: retried.
        let mut s = sender(vec![Err(ErrorCode::ConnectionRefused)]);
        assert!(s.send_text(&text("hi")).is_ok());
        assert_eq!(s.transport().requests.len(), 2);
    }

    #[test]
    fn missing_configuration_is_an_error_value() {
        let mut s = Sender::new(
            Err(vec!["WHATSAPP_ACCESS_TOKEN".into()]),
            Scripted::default(),
        );
        let failure = s.send_text(&text("hi")).unwrap_err();
        assert!(
            matches!(failure.error, SendError::MissingConfig(ref n) if n == &["WHATSAPP_ACCESS_TOKEN"])
        );
        assert!(matches!(s.get_self(None), Err(SendError::MissingConfig(_))));
        assert!(s.transport().requests.is_empty());
    }

    #[test]
    fn invalid_requests_are_caught_before_sending() {
        let mut s = sender(vec![]);
        let failure = s.send_text(&text("   ")).unwrap_err();
        assert!(matches!(failure.error, SendError::InvalidRequest(_)));
        let failure = s
            .send_text(&TextMessage {
                to: "not a number".into(),
                ..text("hi")
            })
            .unwrap_err();
        assert!(matches!(failure.error, SendError::InvalidRequest(_)));
        assert!(s.transport().requests.is_empty());
    }

    #[test]
    fn an_answer_quoting_the_token_does_not_carry_it() {
        let mut s = sender(vec![Ok(json(
            400,
            r#"{"error":{"message":"Malformed access token SECRET-TOKEN","type":"OAuthException","code":190}}"#,
        ))]);
        let failure = s.send_text(&text("hi")).unwrap_err();
        assert!(
            matches!(failure.error, SendError::Graph(ref g) if g.message == "Malformed access token <redacted>")
        );
        assert!(!format!("{failure:?}").contains("SECRET-TOKEN"));
    }

    #[test]
    fn errors_never_carry_the_token() {
        let mut s = sender(vec![Err(ErrorCode::InternalError(Some(
            "bad header Bearer SECRET-TOKEN".into(),
        )))]);
        let failure = s.send_text(&text("hi")).unwrap_err();
        assert!(!describe_error(&failure.error).contains("SECRET-TOKEN"));
        assert!(!format!("{:?}", failure).contains("SECRET-TOKEN"));
    }

    // ------------------------------------------------------------ numbers

    const MESSAGES: &str = "https://graph.facebook.com/v25.0/PNID/messages";

    fn url_of(s: &Sender<Scripted>, n: usize) -> &str {
        &s.transport().requests[n].url
    }

    #[test]
    fn a_send_goes_out_from_the_number_it_names() {
        let mut s = sender(vec![]);
        s.send_text(&TextMessage {
            phone_number_id: Some(" 222333444 ".into()),
            ..text("hi")
        })
        .unwrap();
        s.send_text(&TextMessage {
            phone_number_id: Some(" ".into()),
            ..text("hi")
        })
        .unwrap();
        s.send_text(&text("hi")).unwrap();
        assert_eq!(
            url_of(&s, 0),
            "https://graph.facebook.com/v25.0/222333444/messages"
        );
        assert_eq!(url_of(&s, 1), MESSAGES);
        assert_eq!(url_of(&s, 2), MESSAGES);
        s.mark_read(&ReadReceipt {
            message_id: "wamid.A".into(),
            typing: false,
            phone_number_id: Some("B".into()),
        })
        .unwrap_err(); // the scripted answer is a send's, not `{"success":true}`
        assert_eq!(url_of(&s, 3), "https://graph.facebook.com/v25.0/B/messages");
        let _ = s.get_self(Some("B"));
        assert_eq!(
            url_of(&s, 4),
            "https://graph.facebook.com/v25.0/B?fields=verified_name,display_phone_number,quality_rating,id"
        );
        let _ = s.get_self(None);
        assert_eq!(
            url_of(&s, 5),
            "https://graph.facebook.com/v25.0/PNID?fields=verified_name,display_phone_number,quality_rating,id"
        );
    }

    fn token_only() -> Sender<Scripted> {
        let config = GraphConfig {
            phone_number_id: None,
            ..GraphConfig::new("", "SECRET-TOKEN")
        };
        Sender::new(Ok(config), Scripted::default())
    }

    fn missing(error: &SendError) -> Vec<String> {
        match error {
            SendError::MissingConfig(names) => names.clone(),
            other => panic!("expected missing-config, got {other:?}"),
        }
    }

    #[test]
    fn the_default_number_is_needed_only_by_requests_naming_none() {
        let mut s = token_only();
        let failure = s.send_text(&text("hi")).unwrap_err();
        assert_eq!(missing(&failure.error), vec!["WHATSAPP_PHONE_NUMBER_ID"]);
        assert_eq!(
            missing(&s.get_self(None).unwrap_err()),
            vec!["WHATSAPP_PHONE_NUMBER_ID"]
        );
        let receipt = ReadReceipt {
            message_id: "wamid.A".into(),
            typing: false,
            phone_number_id: None,
        };
        assert_eq!(
            missing(&s.mark_read(&receipt).unwrap_err()),
            vec!["WHATSAPP_PHONE_NUMBER_ID"]
        );
        assert!(s.transport().requests.is_empty());
        // Naming a number is enough.
        assert!(s
            .send_text(&TextMessage {
                phone_number_id: Some("B".into()),
                ..text("hi")
            })
            .is_ok());
        assert_eq!(url_of(&s, 0), "https://graph.facebook.com/v25.0/B/messages");
    }

    #[test]
    fn without_a_token_nothing_is_sent_and_the_error_says_what_to_set() {
        let both = vec![
            "WHATSAPP_ACCESS_TOKEN".to_string(),
            "WHATSAPP_PHONE_NUMBER_ID".to_string(),
        ];
        let mut s = Sender::new(Err(both.clone()), Scripted::default());
        assert_eq!(missing(&s.send_text(&text("hi")).unwrap_err().error), both);
        // A request naming its number needs only the token.
        let named = TextMessage {
            phone_number_id: Some("B".into()),
            ..text("hi")
        };
        assert_eq!(
            missing(&s.send_text(&named).unwrap_err().error),
            vec!["WHATSAPP_ACCESS_TOKEN"]
        );
        assert_eq!(
            missing(&s.get_self(Some("B")).unwrap_err()),
            vec!["WHATSAPP_ACCESS_TOKEN"]
        );
        assert!(s.transport().requests.is_empty());
    }

    #[test]
    fn callback_data_goes_on_every_part_and_is_checked_first() {
        let mut s = sender(vec![]);
        let m = TextMessage {
            biz_opaque_callback_data: Some("campaign-7".into()),
            ..text(&"word ".repeat(2000))
        };
        s.send_text(&m).unwrap();
        let bodies: Vec<Value> = s.transport().requests.iter().map(body_json).collect();
        assert_eq!(bodies.len(), 3);
        for b in &bodies {
            assert_eq!(b["biz_opaque_callback_data"], "campaign-7");
        }
        let mut s = sender(vec![]);
        let too_long = TextMessage {
            biz_opaque_callback_data: Some("x".repeat(513)),
            ..text("hi")
        };
        let failure = s.send_text(&too_long).unwrap_err();
        assert!(matches!(
            failure.error,
            SendError::InvalidRequest(ref i) if i.field == "biz-opaque-callback-data"
        ));
        assert!(s.transport().requests.is_empty());
    }

    #[test]
    fn sent_carries_the_user_id() {
        let answer = Ok(json(
            200,
            r#"{"contacts":[{"input":"US.1","user_id":"US.1"}],"messages":[{"id":"wamid.U"}]}"#,
        ));
        let mut s = sender(vec![answer]);
        let sent = s
            .send_text(&TextMessage {
                to: "US.1".into(),
                ..text("hi")
            })
            .unwrap();
        assert_eq!(sent.user_id.as_deref(), Some("US.1"));
        assert_eq!(sent.wa_id, None);
        let body = body_json(&s.transport().requests[0]);
        assert_eq!(body["recipient"], "US.1");
        assert!(body.get("to").is_none());
    }

    // ------------------------------------------------------------ actions

    fn user(phone: Option<&str>, user_id: Option<&str>) -> crate::types::User {
        crate::types::User {
            phone: phone.map(str::to_string),
            user_id: user_id.map(str::to_string),
            parent_user_id: None,
            username: None,
            name: None,
        }
    }

    fn inbound(sender: crate::types::User, group_id: Option<&str>, number: &str) -> Message {
        Message {
            id: "wamid.IN".into(),
            sender,
            timestamp: 1,
            business_account_id: "WABA".into(),
            phone_number_id: number.into(),
            display_phone_number: "15550000".into(),
            group_id: group_id.map(str::to_string),
            context: None,
            content: crate::types::Content::Text("hello".into()),
            text: "hello".into(),
            referral: None,
            errors: vec![],
            raw_json: "{}".into(),
        }
    }

    fn alice() -> Message {
        inbound(user(Some("16505551234"), Some("US.77")), None, "PNID")
    }

    fn reply(body: &str, quote: bool) -> Action {
        Action::Reply(crate::types::Reply {
            body: body.into(),
            quote,
            format: TextFormat::Markdown,
            preview_url: false,
            biz_opaque_callback_data: None,
        })
    }

    #[test]
    fn a_reply_goes_to_the_sender_from_the_receiving_number() {
        let mut s = sender(vec![]);
        s.run_action(&alice(), reply("**hi**", true)).unwrap();
        let r = &s.transport().requests[0];
        assert_eq!(r.url, MESSAGES);
        assert_eq!(
            body_json(r),
            serde_json::json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "16505551234",
                "type": "text",
                "text": {"body": "*hi*", "preview_url": false},
                "context": {"message_id": "wamid.IN"}
            })
        );
    }

    #[test]
    fn actions_on_a_group_message_go_to_the_group() {
        let mut s = sender(vec![]);
        let m = inbound(
            user(Some("16505551234"), None),
            Some("120363025246125486"),
            "PNID",
        );
        s.run_action(
            &m,
            Action::Reply(crate::types::Reply {
                body: "hello group".into(),
                quote: false,
                format: TextFormat::Raw,
                preview_url: false,
                biz_opaque_callback_data: Some("g-1".into()),
            }),
        )
        .unwrap();
        s.run_action(&m, Action::React("👍".into())).unwrap();
        let bodies: Vec<Value> = s.transport().requests.iter().map(body_json).collect();
        assert_eq!(
            bodies[0],
            serde_json::json!({
                "messaging_product": "whatsapp",
                "recipient_type": "group",
                "to": "120363025246125486",
                "type": "text",
                "text": {"body": "hello group", "preview_url": false},
                "biz_opaque_callback_data": "g-1"
            })
        );
        assert_eq!(
            bodies[1],
            serde_json::json!({
                "messaging_product": "whatsapp",
                "recipient_type": "group",
                "to": "120363025246125486",
                "type": "reaction",
                "reaction": {"message_id": "wamid.IN", "emoji": "👍"}
            })
        );
        // An explicit `to` still wins.
        s.run_action(
            &m,
            Action::SendText(TextMessage {
                to: "+1 555 0100".into(),
                ..text("direct")
            }),
        )
        .unwrap();
        assert_eq!(body_json(&s.transport().requests[2])["to"], "15550100");
        assert_eq!(
            body_json(&s.transport().requests[2])["recipient_type"],
            "individual"
        );
    }

    #[test]
    fn a_username_only_sender_is_answered_by_user_id() {
        let mut s = sender(vec![]);
        let m = inbound(user(None, Some("US.13491208655302741918")), None, "PNID");
        s.run_action(&m, reply("hi", false)).unwrap();
        s.run_action(
            &m,
            Action::SendText(TextMessage {
                to: " ".into(),
                ..text("again")
            }),
        )
        .unwrap();
        for r in &s.transport().requests {
            let body = body_json(r);
            assert_eq!(body["recipient"], "US.13491208655302741918");
            assert_eq!(body["recipient_type"], "individual");
            assert!(body.get("to").is_none(), "{body}");
        }
        // A blank phone counts as none.
        let m = inbound(user(Some(" "), Some("US.9")), None, "PNID");
        s.run_action(&m, Action::React("👍".into())).unwrap();
        assert_eq!(body_json(&s.transport().requests[2])["recipient"], "US.9");
    }

    #[test]
    fn a_message_with_no_chat_cannot_be_answered() {
        let mut s = sender(vec![]);
        let m = inbound(user(None, Some(" ")), None, "PNID");
        match s.run_action(&m, reply("hi", false)) {
            Err(ActionError::Text(t)) => assert!(matches!(
                t.error,
                SendError::InvalidRequest(ref i) if i.field == "to"
            )),
            other => panic!("{other:?}"),
        }
        match s.run_action(&m, Action::React("👍".into())) {
            Err(ActionError::Send(SendError::InvalidRequest(i))) => assert_eq!(i.field, "to"),
            other => panic!("{other:?}"),
        }
        // With an explicit recipient it works.
        s.run_action(
            &m,
            Action::SendText(TextMessage {
                to: "15550100".into(),
                ..text("x")
            }),
        )
        .unwrap();
        assert_eq!(s.transport().requests.len(), 1);
    }

    #[test]
    fn actions_go_out_from_the_number_that_received_the_message() {
        let mut s = sender(vec![]);
        let m = inbound(user(Some("16505551234"), None), None, "SECOND");
        s.run_action(&m, reply("hi", false)).unwrap();
        s.run_action(&m, Action::React("👍".into())).unwrap();
        s.run_action(
            &m,
            Action::SendMedia(MediaMessage {
                to: String::new(),
                kind: crate::types::MediaKind::Image,
                source: crate::types::MediaSource::Id("M".into()),
                caption: None,
                filename: None,
                reply_to: None,
                phone_number_id: None,
                biz_opaque_callback_data: None,
            }),
        )
        .unwrap();
        let mark = Action::MarkRead(ReadReceipt {
            message_id: "wamid.IN".into(),
            typing: true,
            phone_number_id: None,
        });
        let _ = s.run_action(&m, mark); // answered with a send's JSON: a bad response
        let second = "https://graph.facebook.com/v25.0/SECOND/messages";
        for n in 0..4 {
            assert_eq!(url_of(&s, n), second, "request {n}");
        }
        assert_eq!(body_json(&s.transport().requests[2])["to"], "16505551234");
        assert_eq!(
            body_json(&s.transport().requests[3])["typing_indicator"]["type"],
            "text"
        );
    }

    #[test]
    fn an_explicit_number_overrides_the_receiving_one() {
        let mut s = sender(vec![]);
        let m = inbound(user(Some("16505551234"), None), None, "SECOND");
        s.run_action(
            &m,
            Action::SendText(TextMessage {
                to: String::new(),
                phone_number_id: Some("THIRD".into()),
                ..text("hi")
            }),
        )
        .unwrap();
        s.run_action(
            &m,
            Action::SendReaction(ReactionMessage {
                to: String::new(),
                message_id: "wamid.OTHER".into(),
                emoji: "❤".into(),
                phone_number_id: Some(" ".into()), // blank: the receiving number
                biz_opaque_callback_data: None,
            }),
        )
        .unwrap();
        let _ = s.run_action(
            &m,
            Action::MarkRead(ReadReceipt {
                message_id: "wamid.IN".into(),
                typing: false,
                phone_number_id: Some("THIRD".into()),
            }),
        );
        assert_eq!(
            url_of(&s, 0),
            "https://graph.facebook.com/v25.0/THIRD/messages"
        );
        assert_eq!(
            url_of(&s, 1),
            "https://graph.facebook.com/v25.0/SECOND/messages"
        );
        assert_eq!(
            url_of(&s, 2),
            "https://graph.facebook.com/v25.0/THIRD/messages"
        );
    }

    #[test]
    fn a_message_without_a_receiving_number_uses_the_default() {
        let mut s = sender(vec![]);
        let m = inbound(user(Some("16505551234"), None), None, " ");
        s.run_action(&m, reply("hi", false)).unwrap();
        assert_eq!(url_of(&s, 0), MESSAGES);
        // Neither known: missing configuration, nothing sent.
        let mut s = token_only();
        match s.run_action(&m, reply("hi", false)) {
            Err(ActionError::Text(t)) => {
                assert_eq!(missing(&t.error), vec!["WHATSAPP_PHONE_NUMBER_ID"])
            }
            other => panic!("{other:?}"),
        }
        match s.run_action(&m, Action::React("👍".into())) {
            Err(ActionError::Send(e)) => {
                assert_eq!(missing(&e), vec!["WHATSAPP_PHONE_NUMBER_ID"])
            }
            other => panic!("{other:?}"),
        }
        assert!(s.transport().requests.is_empty());
        // The receiving number is enough when the default is not configured.
        let m = inbound(user(Some("16505551234"), None), None, "SECOND");
        s.run_action(&m, reply("hi", false)).unwrap();
        assert_eq!(
            url_of(&s, 0),
            "https://graph.facebook.com/v25.0/SECOND/messages"
        );
    }

    #[test]
    fn action_defaults() {
        let group = inbound(user(Some(" 1555 "), Some("US.1")), Some(" G1 "), " P ");
        let d = ActionDefaults::of(&group);
        assert_eq!(d.chat.as_deref(), Some("group:G1"));
        assert_eq!(d.phone_number_id, Some("P"));
        assert_eq!(d.to("".into()).as_deref().ok(), Some("group:G1"));
        assert_eq!(d.to("1".into()).as_deref().ok(), Some("1"));
        assert_eq!(d.phone_number_id(Some("Q".into())).as_deref(), Some("Q"));
        assert_eq!(d.phone_number_id(Some("".into())).as_deref(), Some("P"));
        assert_eq!(d.phone_number_id(None).as_deref(), Some("P"));
        let direct = inbound(user(Some("1555"), Some("US.1")), Some(""), "");
        let d = ActionDefaults::of(&direct);
        assert_eq!(d.chat.as_deref(), Some("1555"));
        assert_eq!(d.phone_number_id, None);
        let nobody = inbound(user(None, None), None, "P");
        let d = ActionDefaults::of(&nobody);
        assert_eq!(d.chat, None);
        assert_eq!(d.to("x".into()).ok().as_deref(), Some("x"));
        assert_eq!(
            d.to(" ".into()).err().map(|e| e.field).as_deref(),
            Some("to")
        );
    }

    // ------------------------------------------------------------ more kinds

    #[test]
    fn block_and_unblock_requests() {
        let answer = |key: &str| {
            Ok(json(
                200,
                &format!(
                    r#"{{"messaging_product":"whatsapp","block_users":{{"{key}":[{{"input":"16505551234","wa_id":"16505551234"}}]}}}}"#
                ),
            ))
        };
        let mut s = sender(vec![answer("added_users"), answer("removed_users")]);
        let users = vec!["+1 650 555 1234".to_string()];
        let blocked = s.block_users(&users, None, true).unwrap();
        assert_eq!(blocked.done, vec!["16505551234"]);
        let unblocked = s.block_users(&users, Some("SECOND"), false).unwrap();
        assert_eq!(unblocked.done, vec!["16505551234"]);
        let r = &s.transport().requests;
        assert_eq!(r[0].method, graph::HttpMethod::Post);
        assert_eq!(
            r[0].url,
            "https://graph.facebook.com/v25.0/PNID/block_users"
        );
        assert_eq!(r[1].method, graph::HttpMethod::Delete);
        assert_eq!(
            r[1].url,
            "https://graph.facebook.com/v25.0/SECOND/block_users"
        );
        for request in r {
            assert_eq!(
                body_json(request),
                serde_json::json!({
                    "messaging_product": "whatsapp",
                    "block_users": [{"user": "16505551234"}]
                })
            );
        }
        // Refused before sending.
        let mut s = sender(vec![]);
        let none: Vec<String> = vec![];
        assert!(matches!(
            s.block_users(&none, None, true),
            Err(SendError::InvalidRequest(ref i)) if i.field == "users"
        ));
        assert!(s.transport().requests.is_empty());
    }

    #[test]
    fn business_profile_requests() {
        let mut s = sender(vec![
            Ok(json(
                200,
                r#"{"data":[{"about":"Hi","vertical":"RETAIL"}]}"#,
            )),
            Ok(json(200, r#"{"success":true}"#)),
        ]);
        let profile = s.get_business_profile(None).unwrap();
        assert_eq!(profile.about.as_deref(), Some("Hi"));
        assert_eq!(profile.vertical.as_deref(), Some("RETAIL"));
        let update = crate::types::BusinessProfileUpdate {
            about: Some("Open late".into()),
            address: None,
            description: None,
            email: None,
            websites: None,
            vertical: Some(crate::types::BusinessVertical::Retail),
            profile_picture_handle: None,
            phone_number_id: Some("SECOND".into()),
        };
        s.update_business_profile(&update).unwrap();
        let r = &s.transport().requests;
        assert_eq!(r[0].method, graph::HttpMethod::Get);
        assert_eq!(
            r[0].url,
            "https://graph.facebook.com/v25.0/PNID/whatsapp_business_profile?fields=about,address,description,email,profile_picture_url,websites,vertical"
        );
        assert_eq!(r[0].body, None);
        assert_eq!(r[1].method, graph::HttpMethod::Post);
        assert_eq!(
            r[1].url,
            "https://graph.facebook.com/v25.0/SECOND/whatsapp_business_profile"
        );
        assert_eq!(
            body_json(&r[1]),
            serde_json::json!({
                "messaging_product": "whatsapp",
                "about": "Open late",
                "vertical": "RETAIL"
            })
        );
    }

    #[test]
    fn new_send_actions_go_to_the_chat_from_the_receiving_number() {
        let mut s = sender(vec![]);
        let m = inbound(user(Some("16505551234"), None), None, "SECOND");
        s.run_action(
            &m,
            Action::SendVoice(crate::types::VoiceMessage {
                to: String::new(),
                source: crate::types::MediaSource::Id("M".into()),
                reply_to: None,
                phone_number_id: None,
                biz_opaque_callback_data: None,
            }),
        )
        .unwrap();
        s.run_action(
            &m,
            Action::SendLocationRequest(crate::types::LocationRequestMessage {
                to: " ".into(),
                body: "Where are you?".into(),
                reply_to: None,
                phone_number_id: None,
                biz_opaque_callback_data: None,
            }),
        )
        .unwrap();
        s.run_action(
            &m,
            Action::SendFlow(crate::types::FlowMessage {
                to: String::new(),
                flow: crate::types::FlowRef::Name("signup".into()),
                flow_token: "t".into(),
                cta: "Sign up".into(),
                body: "Join us".into(),
                header: None,
                footer: None,
                action: crate::types::FlowAction::DataExchange,
                draft: false,
                reply_to: None,
                phone_number_id: Some("THIRD".into()),
                biz_opaque_callback_data: None,
            }),
        )
        .unwrap();
        let requests = &s.transport().requests;
        assert_eq!(requests.len(), 3);
        for (n, r) in requests.iter().enumerate() {
            assert_eq!(body_json(r)["to"], "16505551234", "request {n}");
        }
        assert_eq!(
            url_of(&s, 0),
            "https://graph.facebook.com/v25.0/SECOND/messages"
        );
        assert_eq!(
            url_of(&s, 1),
            "https://graph.facebook.com/v25.0/SECOND/messages"
        );
        assert_eq!(
            url_of(&s, 2),
            "https://graph.facebook.com/v25.0/THIRD/messages"
        );
        assert_eq!(body_json(&requests[0])["audio"]["voice"], true);
        assert_eq!(
            body_json(&requests[1])["interactive"]["type"],
            "location_request_message"
        );
        assert_eq!(body_json(&requests[2])["interactive"]["type"], "flow");
        assert_eq!(
            describe_action(&Action::SendFlow(crate::types::FlowMessage {
                to: String::new(),
                flow: crate::types::FlowRef::Id("1".into()),
                flow_token: "t".into(),
                cta: "c".into(),
                body: "b".into(),
                header: None,
                footer: None,
                action: crate::types::FlowAction::DataExchange,
                draft: true,
                reply_to: None,
                phone_number_id: None,
                biz_opaque_callback_data: None,
            })),
            "send-flow"
        );
    }
}
