//! Who a message goes to, and the envelope every message body shares.
//!
//! This file guards the addressing of a send: a `to` is read as a phone number (sent as
//! `"to"`), a business-scoped user id (sent as `"recipient"`) or `group:` and a group id
//! (sent as `"recipient_type":"group"`, `"to"`); nothing else reaches Meta. It also
//! builds the envelope around every message (`envelope`): `messaging_product`, the
//! recipient, `type`, the quote (`context.message_id`) and `biz_opaque_callback_data`.

use serde_json::{json, Map, Value};

use super::{put, string};

use crate::json;
use crate::outbound::limits;
use crate::types::InvalidRequest;

/// Who a message goes to, as Meta addresses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recipient {
    /// A phone number (WhatsApp id), digits only: sent as `"to"`, with
    /// `"recipient_type":"individual"`.
    Phone(String),
    /// A business-scoped user id such as `US.13491208655302741918` (or a parent one,
    /// `US.ENT.…`), for users known only by their username: sent as `"recipient"`, with
    /// `"recipient_type":"individual"`.
    UserId(String),
    /// A group id (written `group:<id>` in a `to`): sent as `"to"`, with
    /// `"recipient_type":"group"`.
    Group(String),
}

impl Recipient {
    /// The digits, the user id or the group id.
    pub fn as_str(&self) -> &str {
        match self {
            Recipient::Phone(digits) => digits,
            Recipient::UserId(id) => id,
            Recipient::Group(id) => id,
        }
    }
}

/// Most alphanumeric characters after the country code of a business-scoped user id.
const USER_ID_MAX: usize = 128;

/// The prefix of a group recipient in a `to`: `group:` and the group id.
pub const GROUP_PREFIX: &str = "group:";

/// Most characters in a group id.
pub const GROUP_ID_MAX: usize = 128;

/// True for a business-scoped user id: two ASCII letters (the user's country), a dot,
/// optionally `ENT.` (a parent id), then 1 to 128 ASCII letters and digits.
pub fn is_user_id(value: &str) -> bool {
    let Some((country, rest)) = value.split_once('.') else {
        return false;
    };
    let rest = rest.strip_prefix("ENT.").unwrap_or(rest);
    country.len() == 2
        && country.bytes().all(|b| b.is_ascii_alphabetic())
        && !rest.is_empty()
        && rest.len() <= USER_ID_MAX
        && rest.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// True for a group id as this component accepts one: opaque, 1 to 128 characters
/// (Unicode scalar values), no whitespace.
pub fn is_group_id(value: &str) -> bool {
    !value.is_empty()
        && limits::char_count(value) <= GROUP_ID_MAX
        && !value.chars().any(char::is_whitespace)
}

fn bad_recipient(reason: impl Into<String>) -> InvalidRequest {
    InvalidRequest {
        field: "to".to_string(),
        reason: reason.into(),
    }
}

/// Reads a recipient, after trimming surrounding whitespace:
///
/// - `group:` and a group id (see [`is_group_id`]; the id is kept exactly as given);
/// - a business-scoped user id (see [`is_user_id`], kept exactly as given);
/// - a phone number in international format, normalised to its digits by dropping `+`,
///   whitespace, dashes, parentheses and dots.
///
/// Anything else, or nothing, is an invalid request on `to`.
pub fn parse_recipient(to: &str) -> Result<Recipient, InvalidRequest> {
    let trimmed = to.trim();
    if let Some(group) = trimmed.strip_prefix(GROUP_PREFIX) {
        if group.is_empty() {
            return Err(bad_recipient("a group recipient needs its id after group:"));
        }
        if group.chars().any(char::is_whitespace) {
            return Err(bad_recipient("a group id has no whitespace"));
        }
        let count = limits::char_count(group);
        if count > GROUP_ID_MAX {
            return Err(bad_recipient(format!(
                "a group id has at most {GROUP_ID_MAX} characters, got {count}"
            )));
        }
        return Ok(Recipient::Group(group.to_string()));
    }
    if is_user_id(trimmed) {
        return Ok(Recipient::UserId(trimmed.to_string()));
    }
    // The digits, in one pass: separators dropped, anything else refused.
    let mut digits = String::with_capacity(trimmed.len());
    for c in trimmed.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if !(c.is_whitespace() || matches!(c, '+' | '-' | '(' | ')' | '.')) {
            return Err(bad_recipient(
                "must be a phone number in international format (digits, optionally with +, spaces, dashes, dots or parentheses), a business-scoped user id such as US.13491208655302741918, or group: and a group id",
            ));
        }
    }
    if digits.is_empty() {
        return Err(bad_recipient("must not be empty"));
    }
    Ok(Recipient::Phone(digits))
}

/// [`parse_recipient`], as the string sent to Meta: the digits of a phone number, the
/// user id, or the group id.
pub fn normalize_recipient(to: &str) -> Result<String, InvalidRequest> {
    parse_recipient(to).map(|r| match r {
        Recipient::Phone(digits) => digits,
        Recipient::UserId(id) => id,
        Recipient::Group(id) => id,
    })
}

/// How the envelope addresses `recipient`: its `recipient_type` (`individual` or
/// `group`), and the key its id goes under (`to` for a phone number or a group,
/// `recipient` for a business-scoped user id).
fn addressing(recipient: &Recipient) -> (&'static str, &'static str) {
    match recipient {
        Recipient::Phone(_) => ("individual", "to"),
        Recipient::UserId(_) => ("individual", "recipient"),
        Recipient::Group(_) => ("group", "to"),
    }
}

/// The common envelope of a message: `messaging_product`, `recipient_type`
/// (`individual` or `group`), `to` (a phone number or a group id) or `recipient` (a
/// business-scoped user id), `type`, the payload under the type's name,
/// `context.message_id` when quoting, and `biz_opaque_callback_data` when given.
///
/// A blank `reply_to` or callback data is left out; callback data over
/// [`limits::CALLBACK_DATA_MAX`] characters is an invalid request.
pub(super) fn envelope(
    to: &str,
    kind: &str,
    payload: Value,
    reply_to: Option<&str>,
    callback_data: &Option<String>,
) -> Result<Value, InvalidRequest> {
    let address = Address::check(to, callback_data)?;
    let (recipient_type, key) = addressing(&address.recipient);
    let mut body = Map::new();
    put(&mut body, "messaging_product", string("whatsapp"));
    put(&mut body, "recipient_type", string(recipient_type));
    put(&mut body, key, string(address.recipient.as_str()));
    put(&mut body, "type", string(kind));
    body.insert(kind.to_string(), payload);
    if let Some(id) = reply_to.filter(|id| !limits::is_blank(id)) {
        put(&mut body, "context", json!({ "message_id": id }));
    }
    if let Some(data) = address.callback_data {
        put(&mut body, "biz_opaque_callback_data", string(data));
    }
    Ok(Value::Object(body))
}

/// Where a message goes, checked: the recipient as [`parse_recipient`] reads it, and the
/// callback data (at most [`limits::CALLBACK_DATA_MAX`] characters; blank is left out).
/// Every envelope is written from one, and only [`Address::check`] makes one, so no body
/// is written for an unchecked recipient. A long text checks it once for all its parts.
#[derive(Debug, Clone)]
pub struct Address<'a> {
    recipient: Recipient,
    callback_data: Option<&'a str>,
}

impl<'a> Address<'a> {
    /// `to` and the callback data, checked.
    pub fn check(to: &str, callback_data: &'a Option<String>) -> Result<Self, InvalidRequest> {
        let recipient = parse_recipient(to)?;
        limits::validate_callback_data(callback_data)?;
        Ok(Address {
            recipient,
            callback_data: limits::present(callback_data),
        })
    }

    /// The body of one part, written straight to JSON text: the same JSON as
    /// `envelope(to, "text", {"body": part, "preview_url": preview_url}, reply_to,
    /// callback_data)` serialized, keys in the same (sorted) order. A text is what a bot's
    /// reply sends, so its body is built without a `serde_json::Value` (its map, a copy of
    /// every key and string, then a second pass to write it).
    pub fn text_body(&self, part: &str, preview_url: bool, reply_to: Option<&str>) -> String {
        let (recipient_type, key) = addressing(&self.recipient);
        let mut body = String::with_capacity(part.len() + 192);
        body.push('{');
        if let Some(data) = self.callback_data {
            body.push_str(r#""biz_opaque_callback_data":"#);
            json::push_string(&mut body, data);
            body.push(',');
        }
        if let Some(id) = reply_to.filter(|id| !limits::is_blank(id)) {
            body.push_str(r#""context":{"message_id":"#);
            json::push_string(&mut body, id);
            body.push_str("},");
        }
        body.push_str(r#""messaging_product":"whatsapp","#);
        if key == "recipient" {
            body.push_str(r#""recipient":"#);
            json::push_string(&mut body, self.recipient.as_str());
            body.push(',');
        }
        body.push_str(r#""recipient_type":"#);
        json::push_string(&mut body, recipient_type);
        body.push_str(r#","text":{"body":"#);
        json::push_string(&mut body, part);
        body.push_str(if preview_url {
            r#","preview_url":true},"#
        } else {
            r#","preview_url":false},"#
        });
        if key == "to" {
            body.push_str(r#""to":"#);
            json::push_string(&mut body, self.recipient.as_str());
            body.push(',');
        }
        body.push_str(r#""type":"text"}"#);
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_recipients() {
        for (input, want) in [
            ("15551234567", "15551234567"),
            ("+1 555 123 4567", "15551234567"),
            ("+1 (555) 123-4567", "15551234567"),
            ("+49.30.1234567", "49301234567"),
            ("\t+44 20 7946 0958\n", "442079460958"),
            ("+1\u{a0}555\u{a0}0100", "15550100"),
        ] {
            assert_eq!(
                normalize_recipient(input).ok().as_deref(),
                Some(want),
                "{input}"
            );
            assert_eq!(
                parse_recipient(input).ok(),
                Some(Recipient::Phone(want.to_string()))
            );
        }
        for input in ["", "  ", "+", "()-. +"] {
            let e = normalize_recipient(input).expect_err("rejected");
            assert_eq!(e.field, "to");
            assert_eq!(e.reason, "must not be empty");
        }
        for input in [
            "abc",
            "+1 555 CALL-NOW",
            "15551234567@c.us",
            "١٢٣",
            "1/2",
            "1_2",
            "Group:abc",
            "group :abc",
        ] {
            let e = normalize_recipient(input).expect_err("rejected");
            assert_eq!(e.field, "to", "{input}");
            assert!(e.reason.starts_with("must be a phone number"), "{input}");
        }
    }

    #[test]
    fn user_id_recipients() {
        for (input, want) in [
            ("US.13491208655302741918", "US.13491208655302741918"),
            ("US.ENT.11815799212886844830", "US.ENT.11815799212886844830"),
            (" BR.1502576394655843\n", "BR.1502576394655843"),
            ("in.AbC123", "in.AbC123"),
        ] {
            assert_eq!(
                parse_recipient(input).ok(),
                Some(Recipient::UserId(want.to_string())),
                "{input}"
            );
            assert_eq!(normalize_recipient(input).ok().as_deref(), Some(want));
        }
        assert_eq!(Recipient::Phone("1".into()).as_str(), "1");
        assert_eq!(Recipient::UserId("US.1".into()).as_str(), "US.1");
        assert_eq!(Recipient::Group("G".into()).as_str(), "G");
        let longest = format!("US.{}", "9".repeat(128));
        assert!(is_user_id(&longest));
        for input in [
            "USA.123",
            "U.123",
            "U1.123",
            "US.",
            "US.ENT.",
            "US.12_3",
            "US.12 3",
            "US-123",
            "ÜS.123",
            &format!("US.{}", "9".repeat(129)),
        ] {
            assert!(!is_user_id(input), "{input}");
            assert_eq!(
                parse_recipient(input).err().map(|e| e.field),
                Some("to".to_string()),
                "{input}"
            );
        }
    }

    #[test]
    fn group_recipients() {
        for (input, want) in [
            ("group:120363025246125486", "120363025246125486"),
            (" group:Y2FwaV9ncm91cDox\n", "Y2FwaV9ncm91cDox"),
            ("group:a.b-c_d=", "a.b-c_d="),
            ("group:😀", "😀"),
        ] {
            assert_eq!(
                parse_recipient(input).ok(),
                Some(Recipient::Group(want.to_string())),
                "{input}"
            );
            assert_eq!(normalize_recipient(input).ok().as_deref(), Some(want));
        }
        let longest = format!("group:{}", "é".repeat(GROUP_ID_MAX));
        assert!(parse_recipient(&longest).is_ok());
        assert!(is_group_id(&"é".repeat(GROUP_ID_MAX)));
        for (input, reason) in [
            ("group:", "a group recipient needs its id after group:"),
            ("  group:  ", "a group recipient needs its id after group:"),
            ("group: abc", "a group id has no whitespace"),
            ("group:a b", "a group id has no whitespace"),
            ("group:a\u{a0}b", "a group id has no whitespace"),
            (
                &format!("group:{}", "x".repeat(GROUP_ID_MAX + 1)),
                "a group id has at most 128 characters, got 129",
            ),
        ] {
            let e = parse_recipient(input).expect_err(input);
            assert_eq!(e.field, "to", "{input}");
            assert_eq!(e.reason, reason, "{input}");
        }
        assert!(!is_group_id(""));
        assert!(!is_group_id("a b"));
        assert!(!is_group_id(&"x".repeat(GROUP_ID_MAX + 1)));
    }

    fn text_in_envelope(to: &str, reply_to: Option<&str>, data: Option<&str>) -> Option<Value> {
        envelope(
            to,
            "text",
            json!({"body": "Hi", "preview_url": false}),
            reply_to,
            &data.map(str::to_string),
        )
        .ok()
    }

    #[test]
    fn a_text_written_directly_is_the_envelope_as_serde_json_writes_it() {
        let long_data = "x".repeat(limits::CALLBACK_DATA_MAX + 1);
        for to in [
            "+1 555 0100",
            "US.13491208655302741918",
            "group:120363025246125486",
            "",
            "not a number",
        ] {
            for reply_to in [None, Some("wamid.Q"), Some(" "), Some("wamid.\"odd\"\\")] {
                for data in [
                    None,
                    Some("order-7"),
                    Some(" \t"),
                    Some("a\nb\u{1}é"),
                    Some(long_data.as_str()),
                ] {
                    for part in ["Hi", "line\nbreak \"quoted\" \\ \t é 🙂 \u{7}\u{7f}"] {
                        for preview_url in [false, true] {
                            let data = data.map(str::to_string);
                            let direct = Address::check(to, &data)
                                .map(|address| address.text_body(part, preview_url, reply_to));
                            let generic = envelope(
                                to,
                                "text",
                                json!({"body": part, "preview_url": preview_url}),
                                reply_to,
                                &data,
                            )
                            .map(|body| body.to_string());
                            let error = |e: InvalidRequest| (e.field, e.reason);
                            assert_eq!(
                                direct.map_err(error),
                                generic.map_err(error),
                                "{to:?} {reply_to:?} {data:?} {part:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn envelopes_by_recipient_kind() {
        assert_eq!(
            text_in_envelope("+1 555 0100", None, None),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "text",
                "text": {"body": "Hi", "preview_url": false}
            }))
        );
        assert_eq!(
            text_in_envelope("US.13491208655302741918", Some("wamid.I"), None),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "recipient": "US.13491208655302741918",
                "type": "text",
                "text": {"body": "Hi", "preview_url": false},
                "context": {"message_id": "wamid.I"}
            }))
        );
        assert_eq!(
            text_in_envelope("group:120363025246125486", Some("wamid.G"), Some("order-7")),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "group",
                "to": "120363025246125486",
                "type": "text",
                "text": {"body": "Hi", "preview_url": false},
                "context": {"message_id": "wamid.G"},
                "biz_opaque_callback_data": "order-7"
            }))
        );
    }

    #[test]
    fn callback_data_in_the_envelope() {
        let with = text_in_envelope("1", None, Some("campaign=spring; id=42"));
        assert_eq!(
            with.as_ref().map(|b| b["biz_opaque_callback_data"].clone()),
            Some(json!("campaign=spring; id=42"))
        );
        // Blank callback data and a blank quote are left out.
        assert_eq!(
            text_in_envelope("1", Some(" "), Some(" \t")),
            text_in_envelope("1", None, None)
        );
        // 512 characters (scalar values, not bytes) pass; 513 do not.
        let longest = "é".repeat(limits::CALLBACK_DATA_MAX);
        assert!(text_in_envelope("1", None, Some(&longest)).is_some());
        let e = envelope(
            "1",
            "text",
            json!({}),
            None,
            &Some("x".repeat(limits::CALLBACK_DATA_MAX + 1)),
        )
        .expect_err("too long");
        assert_eq!(e.field, "biz-opaque-callback-data");
        assert_eq!(e.reason, "at most 512 characters, got 513");
        // The recipient is checked first.
        let e = envelope("", "text", json!({}), None, &Some("x".repeat(600)))
            .expect_err("no recipient");
        assert_eq!(e.field, "to");
    }
}
