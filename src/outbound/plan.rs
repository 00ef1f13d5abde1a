//! A consumer's actions as the messages they become, built when the consumer answers:
//! what the delivery journal keeps of a message until each of them is sent (the outbox).
//!
//! An action becomes one message posted to the messages endpoint, or several for a long
//! text (one per part). A [`Planned`] message is the JSON body Meta gets, the number it
//! goes out from and what kind of answer Meta gives; the access token is added when it is
//! sent, so the journal holds no secret. Keeping the bodies rather than the actions, a
//! later attempt sends exactly what was built, and each part of a long text is claimed on
//! its own: the parts that went out are not sent again, the ones that did not wait.
//!
//! The defaults of an action come from the message being handled ([`ActionDefaults`]):
//! an empty `to` means the message's chat, an absent `phone-number-id` the number that
//! received it.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

use crate::json::{self, Value};
use crate::outbound::chunk::{self, MAX_TEXT};
use crate::outbound::format::markdown_to_whatsapp;
use crate::outbound::graph;
use crate::outbound::graph_error::{describe_error, send_error_retryable};
use crate::outbound::limits;
use crate::types::{
    Action, ButtonsMessage, ContactsMessage, CtaUrlMessage, FlowMessage, InvalidRequest,
    ListMessage, LocationMessage, LocationRequestMessage, MediaMessage, Message, ReactionMessage,
    ReadReceipt, SendError, TemplateMessage, TextFailure, TextFormat, TextMessage, VoiceMessage,
};

/// One message of a consumer's action, ready to post.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Planned {
    /// The action it comes from, counted from 1 in the consumer's list.
    pub action: u32,
    /// The action's kind, for logs (`reply`, `send-text`, ...): a name of
    /// [`describe_action`], owned only when read back from the journal.
    pub kind: Cow<'static, str>,
    /// Which part of its action this is, counted from 1 (a long text has several).
    pub part: u32,
    /// How many parts its action has.
    pub parts: u32,
    /// The business number it goes out from; none: the configured one.
    pub phone_number_id: Option<String>,
    /// A read receipt (Meta answers `{"success":true}`; sending it twice is harmless)
    /// rather than a message (answered with its id).
    pub receipt: bool,
    /// The JSON body, as posted.
    pub body: String,
}

/// A failed consumer action: what [`plan_action`] finds wrong with it, or the send that
/// failed.
#[derive(Debug, Clone)]
pub enum ActionError {
    /// A text failed (possibly after some parts were sent).
    Text(TextFailure),
    /// Any other action failed.
    Send(SendError),
}

impl ActionError {
    /// Whether a later request should send the action again: the failure is transient
    /// (a rate limit, Meta's 5xx, a refused connection) and nothing of the action was sent
    /// (a long text whose first parts went out is not sent again, so no part is sent twice).
    pub fn worth_retrying_later(&self) -> bool {
        match self {
            ActionError::Text(t) => t.sent.is_empty() && send_error_retryable(&t.error),
            ActionError::Send(e) => send_error_retryable(e),
        }
    }
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

/// The messages of `action`, the `number`th of a consumer's list (from 1), answering
/// `message`:
///
/// - `reply` sends a text to the chat from the receiving number, quoting the message
///   when asked, with its callback data;
/// - `react` reacts to the message in its chat from the receiving number;
/// - the `send-*` actions and `send-reaction` send their record with the defaults
///   filled in; `mark-read` defaults its number likewise.
///
/// An empty `to` when the chat is unknown (no group, phone or user id) is an invalid
/// request on `to`. Every body is checked against Meta's limits here, so an action that
/// is planned is only refused by Meta itself.
pub fn plan_action(
    message: &Message,
    number: u32,
    action: Action,
) -> Result<Vec<Planned>, ActionError> {
    let defaults = ActionDefaults::of(message);
    let kind = describe_action(&action);
    let is_receipt = matches!(action, Action::MarkRead(_));
    let one = |phone_number_id: Option<String>, body: Result<serde_json::Value, InvalidRequest>| {
        let body = body.map_err(|e| ActionError::Send(SendError::InvalidRequest(e)))?;
        Ok(vec![Planned {
            action: number,
            kind: Cow::Borrowed(kind),
            part: 1,
            parts: 1,
            phone_number_id,
            receipt: is_receipt,
            body: body.to_string(),
        }])
    };
    let bad_to = |e: InvalidRequest| ActionError::Send(SendError::InvalidRequest(e));
    let text = |message: TextMessage| -> Result<Vec<Planned>, ActionError> {
        let bodies = text_bodies(&message).map_err(ActionError::Text)?;
        let parts = u32::try_from(bodies.len()).unwrap_or(u32::MAX);
        Ok(bodies
            .into_iter()
            .zip(1..)
            .map(|(body, part)| Planned {
                action: number,
                kind: Cow::Borrowed(kind),
                part,
                parts,
                phone_number_id: message.phone_number_id.clone(),
                receipt: false,
                body,
            })
            .collect())
    };
    // A `send-*` record with its empty `to` and absent number filled in, built with
    // `$body`.
    macro_rules! with_defaults {
        ($m:ident, $record:ident, $body:path) => {{
            let record = $record {
                to: defaults.to($m.to).map_err(bad_to)?,
                phone_number_id: defaults.phone_number_id($m.phone_number_id),
                ..$m
            };
            one(record.phone_number_id.clone(), $body(&record))
        }};
    }
    match action {
        Action::Reply(reply) => text(TextMessage {
            to: defaults.chat().map_err(bad_text)?,
            body: reply.body,
            format: reply.format,
            preview_url: reply.preview_url,
            reply_to: reply.quote.then(|| message.id.clone()),
            phone_number_id: defaults.phone_number_id(None),
            biz_opaque_callback_data: reply.biz_opaque_callback_data,
        }),
        Action::SendText(m) => text(TextMessage {
            to: defaults.to(m.to).map_err(bad_text)?,
            phone_number_id: defaults.phone_number_id(m.phone_number_id),
            ..m
        }),
        Action::React(emoji) => {
            let reaction = ReactionMessage {
                to: defaults.chat().map_err(bad_to)?,
                message_id: message.id.clone(),
                emoji,
                phone_number_id: defaults.phone_number_id(None),
                biz_opaque_callback_data: None,
            };
            one(
                reaction.phone_number_id.clone(),
                graph::reaction_body(&reaction),
            )
        }
        Action::SendMedia(m) => with_defaults!(m, MediaMessage, graph::media_body),
        Action::SendLocation(m) => with_defaults!(m, LocationMessage, graph::location_body),
        Action::SendContacts(m) => with_defaults!(m, ContactsMessage, graph::contacts_body),
        Action::SendButtons(m) => with_defaults!(m, ButtonsMessage, graph::buttons_body),
        Action::SendList(m) => with_defaults!(m, ListMessage, graph::list_body),
        Action::SendCtaUrl(m) => with_defaults!(m, CtaUrlMessage, graph::cta_url_body),
        Action::SendTemplate(m) => with_defaults!(m, TemplateMessage, graph::template_body),
        Action::SendReaction(m) => with_defaults!(m, ReactionMessage, graph::reaction_body),
        Action::SendVoice(m) => with_defaults!(m, VoiceMessage, graph::voice_body),
        Action::SendLocationRequest(m) => {
            with_defaults!(m, LocationRequestMessage, graph::location_request_body)
        }
        Action::SendFlow(m) => with_defaults!(m, FlowMessage, graph::flow_body),
        Action::MarkRead(r) => {
            let receipt = ReadReceipt {
                phone_number_id: defaults.phone_number_id(r.phone_number_id),
                ..r
            };
            one(
                receipt.phone_number_id.clone(),
                graph::mark_read_body(&receipt),
            )
        }
    }
}

/// A text's failure before its first part: part 1 of 1, nothing sent.
pub(crate) fn whole_text_failure(error: SendError) -> TextFailure {
    TextFailure {
        error,
        part: 1,
        parts: 1,
        sent: Vec::new(),
    }
}

fn bad_whole_text(e: InvalidRequest) -> TextFailure {
    whole_text_failure(SendError::InvalidRequest(e))
}

fn bad_text(e: InvalidRequest) -> ActionError {
    ActionError::Text(bad_whole_text(e))
}

/// The bodies of a text, one per part: Markdown converted unless raw, split into parts
/// of at most 4096 characters (UTF-16 units); the quote goes on the first part, the
/// callback data on every part. `Err` says which part cannot be sent (1 of 1 when the
/// whole text cannot), with nothing sent.
pub fn text_bodies(message: &TextMessage) -> Result<Vec<String>, TextFailure> {
    // The recipient and the callback data are checked once, for every part.
    let address = graph::Address::check(&message.to, &message.biz_opaque_callback_data)
        .map_err(bad_whole_text)?;
    let text = match message.format {
        TextFormat::Markdown => markdown_to_whatsapp(&message.body),
        TextFormat::Raw => message.body.clone(),
    };
    if limits::is_blank(&text) {
        return Err(bad_whole_text(InvalidRequest {
            field: "body".into(),
            reason: "must not be empty".into(),
        }));
    }
    let parts = chunk::split_owned(text, MAX_TEXT);
    let total = u32::try_from(parts.len()).unwrap_or(u32::MAX);
    parts
        .iter()
        .zip(1..)
        .map(|(part, number)| {
            graph::text_body(&address, message, part, number == 1).map_err(|e| TextFailure {
                error: SendError::InvalidRequest(e),
                part: number,
                parts: total,
                sent: Vec::new(),
            })
        })
        .collect()
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
        Action::SendVoice(_) => "send-voice",
        Action::SendLocationRequest(_) => "send-location-request",
        Action::SendFlow(_) => "send-flow",
    }
}

/// `plan` as the journal keeps it: a JSON array of the [`Planned`] messages.
pub fn to_json(plan: &[Planned]) -> String {
    serde_json::to_string(plan).unwrap_or_default()
}

/// Why a kept plan cannot be read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanError {
    /// The text is not JSON.
    NotJson,
    /// JSON, but not an array of planned messages (an earlier build kept the consumer's
    /// actions themselves).
    NotAPlan,
}

impl PlanError {
    /// For a log line.
    pub fn describe(self) -> &'static str {
        match self {
            PlanError::NotJson => "not JSON",
            PlanError::NotAPlan => {
                "not the messages this build keeps (an earlier build kept the actions)"
            }
        }
    }
}

/// Reads back what [`to_json`] wrote.
pub fn from_json(text: &str) -> Result<Vec<Planned>, PlanError> {
    let value = json::from_slice(text.as_bytes()).map_err(|_| PlanError::NotJson)?;
    let items = value.as_array().ok_or(PlanError::NotAPlan)?;
    items
        .iter()
        .map(|item| planned(item).ok_or(PlanError::NotAPlan))
        .collect()
}

fn planned(item: &Value) -> Option<Planned> {
    let number = |key: &str| match item.get(key)? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        _ => None,
    };
    let text = |key: &str| item.get(key)?.as_str().map(str::to_string);
    let phone_number_id = match item.get("phone_number_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id.to_string()),
        Some(_) => return None,
    };
    let receipt = match item.get("receipt")? {
        Value::Bool(b) => *b,
        _ => return None,
    };
    Some(Planned {
        action: number("action")?,
        kind: Cow::Owned(text("kind")?),
        part: number("part")?,
        parts: number("parts")?,
        phone_number_id,
        receipt,
        body: text("body")?,
    })
}

/// The defaults of an action for the message being handled, borrowed from it (an action
/// copies what it takes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionDefaults<'m> {
    /// The chat: `group:<group-id>` for a group message, else the sender's phone number,
    /// else the sender's business-scoped user id; `None` when the message has none.
    pub chat: Option<Cow<'m, str>>,
    /// The business number that received the message, when not blank.
    pub phone_number_id: Option<&'m str>,
}

impl<'m> ActionDefaults<'m> {
    /// The defaults for `message`. Blank ids count as absent.
    pub fn of(message: &'m Message) -> Self {
        fn non_blank(value: Option<&String>) -> Option<&str> {
            value.map(|v| v.trim()).filter(|v| !v.is_empty())
        }
        let chat = match non_blank(message.group_id.as_ref()) {
            Some(group) => Some(Cow::Owned(format!("{}{group}", graph::GROUP_PREFIX))),
            None => non_blank(message.sender.phone.as_ref())
                .or_else(|| non_blank(message.sender.user_id.as_ref()))
                .map(Cow::Borrowed),
        };
        ActionDefaults {
            chat,
            phone_number_id: non_blank(Some(&message.phone_number_id)),
        }
    }

    /// The chat, or an invalid request on `to` when the message has none.
    pub fn chat(&self) -> Result<String, InvalidRequest> {
        self.chat.as_deref().map(str::to_string).ok_or_else(|| InvalidRequest {
            field: "to".into(),
            reason: "empty, and the message being handled has no group, phone number or user id to answer".into(),
        })
    }

    /// `to`, or the chat when `to` is empty or only whitespace.
    pub fn to(&self, to: String) -> Result<String, InvalidRequest> {
        if limits::is_blank(&to) {
            self.chat()
        } else {
            Ok(to)
        }
    }

    /// `requested` when it is present and not blank, else the receiving number.
    pub fn phone_number_id(&self, requested: Option<String>) -> Option<String> {
        requested
            .filter(|id| !limits::is_blank(id))
            .or_else(|| self.phone_number_id.map(str::to_string))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Content, Reply, User};

    fn alice() -> Message {
        Message {
            id: "wamid.IN".into(),
            sender: User {
                phone: Some("16505551234".into()),
                user_id: None,
                parent_user_id: None,
                username: None,
                name: None,
            },
            timestamp: 1,
            business_account_id: "WABA".into(),
            phone_number_id: "PNID".into(),
            display_phone_number: "15550000".into(),
            group_id: None,
            context: None,
            content: Content::Text("hello".into()),
            text: "hello".into(),
            referral: None,
            errors: vec![],
            raw_json: "{}".into(),
        }
    }

    fn reply(body: &str, quote: bool) -> Action {
        Action::Reply(Reply {
            body: body.into(),
            quote,
            format: TextFormat::Markdown,
            preview_url: false,
            biz_opaque_callback_data: None,
        })
    }

    fn body(planned: &Planned) -> serde_json::Value {
        serde_json::from_str(&planned.body).unwrap()
    }

    #[test]
    fn a_reply_is_one_message_to_the_chat_from_the_receiving_number() {
        let plan = plan_action(&alice(), 1, reply("**hi**", true)).unwrap();
        assert_eq!(plan.len(), 1);
        let p = &plan[0];
        assert_eq!(
            (p.action, p.kind.as_ref(), p.part, p.parts, p.receipt),
            (1, "reply", 1, 1, false)
        );
        assert_eq!(p.phone_number_id.as_deref(), Some("PNID"));
        let b = body(p);
        assert_eq!(b["to"], "16505551234");
        assert_eq!(b["text"]["body"], "*hi*", "Markdown converted");
        assert_eq!(b["context"]["message_id"], "wamid.IN");
    }

    #[test]
    fn a_long_text_is_one_message_per_part_and_only_the_first_quotes() {
        let long = "word ".repeat(2000); // 10,000 characters: 3 parts
        let plan = plan_action(&alice(), 2, reply(&long, true)).unwrap();
        assert_eq!(plan.len(), 3);
        for (p, part) in plan.iter().zip(1..) {
            assert_eq!((p.action, p.part, p.parts), (2, part, 3));
            let b = body(p);
            assert!(b["text"]["body"].as_str().unwrap().encode_utf16().count() <= 4096);
            assert_eq!(b.get("context").is_some(), part == 1, "part {part}");
        }
    }

    #[test]
    fn a_read_receipt_is_planned_as_one() {
        let plan = plan_action(
            &alice(),
            1,
            Action::MarkRead(ReadReceipt {
                message_id: "wamid.IN".into(),
                typing: true,
                phone_number_id: None,
            }),
        )
        .unwrap();
        assert_eq!(plan.len(), 1);
        assert!(plan[0].receipt);
        assert_eq!(plan[0].phone_number_id.as_deref(), Some("PNID"));
        assert_eq!(body(&plan[0])["status"], "read");
    }

    #[test]
    fn an_action_that_cannot_be_sent_is_refused_when_planned() {
        match plan_action(&alice(), 1, reply("   ", false)) {
            Err(ActionError::Text(t)) => {
                assert_eq!((t.part, t.parts), (1, 1));
                assert!(matches!(t.error, SendError::InvalidRequest(ref i) if i.field == "body"));
            }
            other => panic!("{other:?}"),
        }
        let mut nobody = alice();
        nobody.sender.phone = None;
        match plan_action(&nobody, 1, Action::React("👍".into())) {
            Err(ActionError::Send(SendError::InvalidRequest(i))) => assert_eq!(i.field, "to"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_kept_plan_reads_back_as_it_was() {
        let mut plan = plan_action(&alice(), 1, reply(&"word ".repeat(1000), true)).unwrap();
        plan.extend(plan_action(&alice(), 2, Action::React("👍".into())).unwrap());
        plan[1].phone_number_id = None;
        assert_eq!(from_json(&to_json(&plan)), Ok(plan));
        assert_eq!(from_json("[]"), Ok(vec![]));
    }

    #[test]
    fn what_is_not_a_kept_plan_is_an_error_not_a_panic() {
        // What builds before the plan kept: the consumer's actions as WIT JSON.
        let earlier = r#"[{"reply":{"body":"hi","quote":true,"format":"markdown","preview-url":false,"biz-opaque-callback-data":null}}]"#;
        assert_eq!(from_json(earlier), Err(PlanError::NotAPlan));
        assert_eq!(from_json("not json"), Err(PlanError::NotJson));
        assert_eq!(from_json(""), Err(PlanError::NotJson));
        for text in [
            "{}",
            "[1]",
            r#"[{"action":-1,"kind":"reply","part":1,"parts":1,"receipt":false,"body":"{}"}]"#,
            r#"[{"action":1,"kind":"reply","part":1,"parts":1,"receipt":"no","body":"{}"}]"#,
            r#"[{"action":1,"kind":"reply","part":1,"parts":1,"receipt":false,"body":{}}]"#,
            r#"[{"action":1,"kind":"reply","part":1,"parts":1,"receipt":false,"body":"{}","phone_number_id":7}]"#,
        ] {
            assert_eq!(from_json(text), Err(PlanError::NotAPlan), "{text}");
        }
    }
}
