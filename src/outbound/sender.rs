//! Sending through the Graph API: configuration, validation, Markdown conversion and
//! chunking, bounded retries with backoff, and the consumer's actions.
//!
//! I/O goes through [`Transport`], so this module knows nothing of wasm: the component
//! implements it with wasi:http and wasi:clocks, tests with a scripted stand-in for Meta.

use std::fmt;
use std::time::Duration;

use serde_json::Value;
use wasi::http::types::ErrorCode;

use crate::outbound::chunk::{self, MAX_TEXT};
use crate::outbound::format::markdown_to_whatsapp;
use crate::outbound::graph::{self, GraphConfig, GraphRequest};
use crate::outbound::graph_error::{
    parse_mark_read_response, parse_profile_response, parse_send_response, redact_error,
    transport_error, transport_retryable,
};
use crate::outbound::limits;
use crate::outbound::retry::{Backoff, RetryPolicy};
use crate::types::{
    Action, BusinessProfile, ButtonsMessage, ContactsMessage, CtaUrlMessage, InvalidRequest,
    ListMessage, LocationMessage, MediaMessage, Message, ReactionMessage, ReadReceipt, SendError,
    Sent, TemplateMessage, TextFailure, TextFormat, TextMessage, TransportKind,
};

/// An HTTP answer from the Graph API (or whatever answered in its place).
#[derive(Debug, Clone)]
pub struct HttpAnswer {
    /// Status code.
    pub status: u16,
    /// `content-type`, when given.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
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

/// A failed consumer action.
#[derive(Debug, Clone)]
pub enum ActionError {
    /// A text failed (possibly after some parts were sent).
    Text(TextFailure),
    /// Any other send failed.
    Send(SendError),
}

impl fmt::Display for ActionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActionError::Text(t) if t.parts > 1 => write!(
                f,
                "part {} of {} failed ({} sent before it): {}",
                t.part,
                t.parts,
                t.sent.len(),
                describe_error(&t.error)
            ),
            ActionError::Text(t) => f.write_str(&describe_error(&t.error)),
            ActionError::Send(e) => f.write_str(&describe_error(e)),
        }
    }
}

/// A one-line description of a send error, for logs. Never contains a token or a
/// message body.
pub fn describe_error(error: &SendError) -> String {
    match error {
        SendError::MissingConfig(names) => {
            format!("missing configuration: set {}", names.join(", "))
        }
        SendError::InvalidRequest(i) => format!("invalid request: {}: {}", i.field, i.reason),
        SendError::Graph(g) => format!(
            "Graph API error {}{} ({}, HTTP {}){}: {}{}",
            g.code,
            g.subcode.map(|s| format!("/{s}")).unwrap_or_default(),
            g.kind,
            g.http_status,
            if g.retryable { ", retryable" } else { "" },
            g.message,
            g.fbtrace_id
                .as_deref()
                .map(|t| format!(" [fbtrace_id {t}]"))
                .unwrap_or_default()
        ),
        SendError::Transport(t) => format!(
            "transport failure ({}): {}",
            transport_kind_name(t.kind),
            t.detail
        ),
        SendError::BadResponse(b) => format!(
            "unexpected Graph API answer (HTTP {}, {}): {}",
            b.http_status,
            b.content_type.as_deref().unwrap_or("no content type"),
            b.reason
        ),
    }
}

/// The WIT name of a transport failure kind, for logs.
pub fn transport_kind_name(kind: TransportKind) -> &'static str {
    match kind {
        TransportKind::Dns => "dns",
        TransportKind::ConnectionRefused => "connection-refused",
        TransportKind::Timeout => "timeout",
        TransportKind::Tls => "tls",
        TransportKind::Protocol => "protocol",
        TransportKind::Other => "other",
    }
}

/// The name of an action, for logs.
pub fn describe_action(action: &Action) -> &'static str {
    match action {
        Action::Reply(_) => "reply",
        Action::React(_) => "react",
        Action::SendText(_) => "send-text",
        Action::SendMedia(_) => "send-media",
        Action::SendLocation(_) => "send-location",
        Action::SendContacts(_) => "send-contacts",
        Action::SendButtons(_) => "send-buttons",
        Action::SendList(_) => "send-list",
        Action::SendCtaUrl(_) => "send-cta-url",
        Action::SendTemplate(_) => "send-template",
        Action::SendReaction(_) => "send-reaction",
        Action::MarkRead(_) => "mark-read",
    }
}

type Parse<R> = fn(u16, Option<&str>, &[u8]) -> Result<R, SendError>;

/// Sends messages with one configuration and transport.
pub struct Sender<T: Transport> {
    config: Result<GraphConfig, Vec<String>>,
    transport: T,
    policy: RetryPolicy,
}

impl<T: Transport> Sender<T> {
    /// A sender; `config` is `Err(missing variable names)` when unconfigured, which
    /// makes every call return [`SendError::MissingConfig`].
    pub fn new(config: Result<GraphConfig, Vec<String>>, transport: T) -> Self {
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

    fn config(&self) -> Result<GraphConfig, SendError> {
        self.config.clone().map_err(SendError::MissingConfig)
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
        let start = self.transport.now();
        let mut attempt: u32 = 0;
        loop {
            attempt = attempt.saturating_add(1);
            let random = self.transport.random();
            let (error, pause) = match self.transport.send(request) {
                Ok(answer) => {
                    match parse(answer.status, answer.content_type.as_deref(), &answer.body) {
                        Ok(result) => return Ok(result),
                        Err(error) => {
                            let error = redact_error(error, token);
                            let elapsed = self.transport.now().saturating_sub(start);
                            let pause = self.policy.next_after(&error, attempt, elapsed, random);
                            (error, pause)
                        }
                    }
                }
                Err(code) => {
                    let retryable = transport_retryable(&code, idempotent);
                    let error = SendError::Transport(transport_error(&code, token));
                    let elapsed = self.transport.now().saturating_sub(start);
                    let pause = self.policy.next_for(
                        Backoff::Standard,
                        attempt,
                        elapsed,
                        retryable,
                        random,
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
            self.transport.sleep(pause);
        }
    }

    fn post(
        &mut self,
        build: impl FnOnce() -> Result<Value, InvalidRequest>,
    ) -> Result<Sent, SendError> {
        let config = self.config()?;
        let body = build().map_err(SendError::InvalidRequest)?;
        self.exchange(
            &config.post_message(&body),
            &config.access_token,
            false,
            parse_send_response,
        )
    }

    /// Sends a text: Markdown converted unless raw, split into parts of at most 4096
    /// characters (UTF-16 units), sent in order; the quote goes on the first part. On a
    /// failure the rest are not sent.
    pub fn send_text(&mut self, message: &TextMessage) -> Result<Sent, TextFailure> {
        let fail = |error: SendError| TextFailure {
            error,
            part: 1,
            parts: 1,
            sent: Vec::new(),
        };
        let config = self.config().map_err(fail)?;
        graph::parse_recipient(&message.to).map_err(|e| fail(SendError::InvalidRequest(e)))?;
        let text = match message.format {
            TextFormat::Markdown => markdown_to_whatsapp(&message.body),
            TextFormat::Raw => message.body.clone(),
        };
        if limits::is_blank(&text) {
            return Err(fail(SendError::InvalidRequest(InvalidRequest {
                field: "body".into(),
                reason: "must not be empty".into(),
            })));
        }
        let parts = chunk::split(&text, MAX_TEXT);
        let total = u32::try_from(parts.len()).unwrap_or(u32::MAX);
        let mut sent = Sent {
            message_ids: Vec::new(),
            wa_id: None,
        };
        for (index, part) in parts.iter().enumerate() {
            let number = u32::try_from(index).unwrap_or(u32::MAX).saturating_add(1);
            let reply_to = if index == 0 {
                message.reply_to.as_deref()
            } else {
                None
            };
            let result = graph::text_body(&message.to, part, message.preview_url, reply_to)
                .map_err(SendError::InvalidRequest)
                .and_then(|body| {
                    self.exchange(
                        &config.post_message(&body),
                        &config.access_token,
                        false,
                        parse_send_response,
                    )
                });
            match result {
                Ok(part_sent) => {
                    sent.message_ids.extend(part_sent.message_ids);
                    sent.wa_id = sent.wa_id.or(part_sent.wa_id);
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
        self.post(|| graph::media_body(message))
    }

    /// Sends a location.
    pub fn send_location(&mut self, message: &LocationMessage) -> Result<Sent, SendError> {
        self.post(|| graph::location_body(message))
    }

    /// Sends contact cards.
    pub fn send_contacts(&mut self, message: &ContactsMessage) -> Result<Sent, SendError> {
        self.post(|| graph::contacts_body(message))
    }

    /// Sends reply buttons.
    pub fn send_buttons(&mut self, message: &ButtonsMessage) -> Result<Sent, SendError> {
        self.post(|| graph::buttons_body(message))
    }

    /// Sends a list.
    pub fn send_list(&mut self, message: &ListMessage) -> Result<Sent, SendError> {
        self.post(|| graph::list_body(message))
    }

    /// Sends a call-to-action URL button.
    pub fn send_cta_url(&mut self, message: &CtaUrlMessage) -> Result<Sent, SendError> {
        self.post(|| graph::cta_url_body(message))
    }

    /// Sends a template.
    pub fn send_template(&mut self, message: &TemplateMessage) -> Result<Sent, SendError> {
        self.post(|| graph::template_body(message))
    }

    /// Sends (or removes, with an empty emoji) a reaction.
    pub fn react(&mut self, message: &ReactionMessage) -> Result<Sent, SendError> {
        self.post(|| graph::reaction_body(message))
    }

    /// Marks a message read (and shows the typing indicator when asked). Retried like
    /// any idempotent request.
    pub fn mark_read(&mut self, receipt: &ReadReceipt) -> Result<(), SendError> {
        let config = self.config()?;
        let request = config
            .mark_read(receipt)
            .map_err(SendError::InvalidRequest)?;
        self.exchange(
            &request,
            &config.access_token,
            true,
            parse_mark_read_response,
        )
    }

    /// Describes the business phone number.
    pub fn get_self(&mut self) -> Result<BusinessProfile, SendError> {
        let config = self.config()?;
        self.exchange(
            &config.get_self(),
            &config.access_token,
            true,
            parse_profile_response,
        )
    }

    /// Carries out one consumer action for `message`. An empty `to` means the sender of
    /// `message` (its phone number, else its business-scoped user id).
    pub fn run_action(&mut self, message: &Message, action: Action) -> Result<(), ActionError> {
        let sender = if message.sender.is_empty() {
            message.sender_user_id.clone().unwrap_or_default()
        } else {
            message.sender.clone()
        };
        let to = |to: String| {
            if to.trim().is_empty() {
                sender.clone()
            } else {
                to
            }
        };
        let send = |r: Result<Sent, SendError>| r.map(drop).map_err(ActionError::Send);
        match action {
            Action::Reply(reply) => self
                .send_text(&TextMessage {
                    to: sender.clone(),
                    body: reply.body,
                    format: reply.format,
                    preview_url: reply.preview_url,
                    reply_to: reply.quote.then(|| message.id.clone()),
                })
                .map(drop)
                .map_err(ActionError::Text),
            Action::React(emoji) => send(self.react(&ReactionMessage {
                to: sender.clone(),
                message_id: message.id.clone(),
                emoji,
            })),
            Action::SendText(m) => self
                .send_text(&TextMessage { to: to(m.to), ..m })
                .map(drop)
                .map_err(ActionError::Text),
            Action::SendMedia(m) => send(self.send_media(&MediaMessage { to: to(m.to), ..m })),
            Action::SendLocation(m) => {
                send(self.send_location(&LocationMessage { to: to(m.to), ..m }))
            }
            Action::SendContacts(m) => {
                send(self.send_contacts(&ContactsMessage { to: to(m.to), ..m }))
            }
            Action::SendButtons(m) => {
                send(self.send_buttons(&ButtonsMessage { to: to(m.to), ..m }))
            }
            Action::SendList(m) => send(self.send_list(&ListMessage { to: to(m.to), ..m })),
            Action::SendCtaUrl(m) => send(self.send_cta_url(&CtaUrlMessage { to: to(m.to), ..m })),
            Action::SendTemplate(m) => {
                send(self.send_template(&TemplateMessage { to: to(m.to), ..m }))
            }
            Action::SendReaction(m) => send(self.react(&ReactionMessage { to: to(m.to), ..m })),
            Action::MarkRead(r) => self.mark_read(&r).map_err(ActionError::Send),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

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
            content_type: Some("application/json".into()),
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
        }
    }

    fn body_json(request: &GraphRequest) -> Value {
        serde_json::from_slice(request.body.as_deref().unwrap_or_default()).unwrap()
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
        assert!(matches!(s.get_self(), Err(SendError::MissingConfig(_))));
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
}
