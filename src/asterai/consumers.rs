//! Whom the asterai build dispatches to, and in which form: the names of
//! `WHATSAPP_INCOMING_HANDLER_COMPONENTS`, the two consumer interfaces it serves, asterai's
//! 0.1.0 message, and what a failed call may say in a log line.

use serde_json::json;

use crate::types::{BusinessProfile, Content, Message};

/// This project's consumer interface.
pub const CURRENT_INTERFACE: &str = "asterai:whatsapp/incoming-handler@0.4.0";
/// asterai's own consumer interface (text messages only).
pub const LEGACY_INTERFACE: &str = "asterai:whatsapp/incoming-handler@0.1.0";

/// The function of either interface that takes a message.
pub const ON_MESSAGE: &str = "incoming-handler/on-message";
/// The function of this project's interface that takes a delivery status.
pub const ON_STATUS: &str = "incoming-handler/on-status";
/// The function of this project's interface that takes any other update.
pub const ON_UPDATE: &str = "incoming-handler/on-update";

/// Which of the two interfaces a consumer implements (this project's wins when it
/// exports both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interface {
    /// `asterai:whatsapp/incoming-handler@0.4.0`: every message, status and update.
    Current,
    /// `asterai:whatsapp/incoming-handler@0.1.0`: text messages, in asterai's form.
    Legacy,
}

impl Interface {
    /// Picks the interface from what the runtime says the component implements.
    pub fn pick(implements_current: bool, implements_legacy: bool) -> Option<Interface> {
        match (implements_current, implements_legacy) {
            (true, _) => Some(Interface::Current),
            (false, true) => Some(Interface::Legacy),
            (false, false) => None,
        }
    }
}

/// The name the host API knows a component by: `namespace:name`, without the `@version`
/// a user may have written.
pub fn component_name(configured: &str) -> &str {
    configured
        .split_once('@')
        .map_or(configured, |(name, _)| name)
        .trim()
}

/// Whether `name` has the `namespace:name` shape the runtime needs.
pub fn is_component_name(name: &str) -> bool {
    matches!(name.split_once(':'), Some((ns, n)) if !ns.is_empty() && !n.is_empty() && !n.contains(':'))
}

/// The arguments of asterai's 0.1.0 `on-message` for `message`, when it is a text (that
/// version knows nothing else): `[{"content", "sender": {"name", "phone"}, "id"}]`. A user
/// known only by user id has it as `phone`, which `send-message` answers.
pub fn legacy_on_message_args(message: &Message) -> Option<String> {
    let Content::Text(body) = &message.content else {
        return None;
    };
    let sender = &message.sender;
    let phone = sender
        .phone
        .as_deref()
        .or(sender.user_id.as_deref())
        .unwrap_or("");
    let args = json!([{
        "content": body,
        "sender": { "name": sender.name.as_deref().unwrap_or(""), "phone": phone },
        "id": message.id,
    }]);
    Some(args.to_string())
}

/// asterai's 0.1.0 `user` for the business: the verified name, and the number as displayed
/// (else its id), as asterai's component answers `get-self`.
pub fn legacy_self(profile: &BusinessProfile) -> (String, String) {
    let phone = if profile.display_phone_number.is_empty() {
        profile.id.clone()
    } else {
        profile.display_phone_number.clone()
    };
    (profile.verified_name.clone(), phone)
}

/// Longest runtime message kept in a log line.
const MAX_LOGGED: usize = 200;

/// A failed call, for one log line: the kind, and for a missing component or function or
/// a failed invocation the runtime's first line (at most 200 characters). Invalid
/// arguments and serialization failures say only their kind: the runtime's text may quote
/// the JSON, which carries the message.
pub fn describe_call_error(kind: &str, message: &str) -> String {
    match kind {
        "invalid-args" | "serialization-failed" => kind.to_string(),
        _ => {
            let first = message.lines().next().unwrap_or("").trim();
            let mut cut: String = first.chars().take(MAX_LOGGED).collect();
            if first.chars().count() > MAX_LOGGED {
                cut.push('…');
            }
            if cut.is_empty() {
                kind.to_string()
            } else {
                format!("{kind}: {cut}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::User;
    use serde_json::Value;

    fn message(content: Content, sender: User) -> Message {
        Message {
            id: "wamid.A1".into(),
            sender,
            timestamp: 1,
            business_account_id: "WABA".into(),
            phone_number_id: "100".into(),
            display_phone_number: "15550100".into(),
            group_id: None,
            context: None,
            content,
            text: String::new(),
            referral: None,
            errors: Vec::new(),
            raw_json: "{}".into(),
        }
    }

    fn user(phone: Option<&str>, user_id: Option<&str>, name: Option<&str>) -> User {
        User {
            phone: phone.map(String::from),
            user_id: user_id.map(String::from),
            parent_user_id: None,
            username: None,
            name: name.map(String::from),
        }
    }

    #[test]
    fn a_text_reaches_legacy_consumers_in_asterai_form() {
        let m = message(
            Content::Text("hello".into()),
            user(Some("16505551234"), Some("US.1"), Some("Alice")),
        );
        let args: Value = serde_json::from_str(&legacy_on_message_args(&m).unwrap()).unwrap();
        assert_eq!(
            args,
            json!([{"content": "hello", "sender": {"name": "Alice", "phone": "16505551234"}, "id": "wamid.A1"}])
        );
    }

    #[test]
    fn a_user_without_phone_is_named_by_user_id_for_legacy_consumers() {
        let m = message(
            Content::Text("hi".into()),
            user(None, Some("CN.13491208655302741918"), None),
        );
        let args: Value = serde_json::from_str(&legacy_on_message_args(&m).unwrap()).unwrap();
        assert_eq!(
            args[0]["sender"],
            json!({"name": "", "phone": "CN.13491208655302741918"})
        );
    }

    #[test]
    fn legacy_consumers_get_only_texts() {
        let m = message(Content::RequestWelcome, user(Some("1"), None, None));
        assert!(legacy_on_message_args(&m).is_none());
    }

    #[test]
    fn this_projects_interface_wins_when_both_are_exported() {
        assert_eq!(Interface::pick(true, true), Some(Interface::Current));
        assert_eq!(Interface::pick(false, true), Some(Interface::Legacy));
        assert_eq!(Interface::pick(false, false), None);
    }

    #[test]
    fn configured_names_lose_their_version() {
        assert_eq!(component_name("me:bot@1.2.0"), "me:bot");
        assert_eq!(component_name("me:bot"), "me:bot");
        assert!(is_component_name("me:bot"));
        assert!(
            !is_component_name("bot") && !is_component_name(":bot") && !is_component_name("a:b:c")
        );
    }

    #[test]
    fn call_errors_never_quote_the_arguments() {
        let d = describe_call_error(
            "invalid-args",
            "expected string at [0].content: \"secret body\"",
        );
        assert_eq!(d, "invalid-args");
        assert!(!describe_call_error("serialization-failed", "body x").contains("body"));
        let long = "x".repeat(500) + "\nsecond line";
        let d = describe_call_error("invocation-failed", &long);
        assert!(d.starts_with("invocation-failed: x") && d.ends_with('…'));
        assert!(!d.contains("second line"));
        assert_eq!(
            describe_call_error("component-not-found", ""),
            "component-not-found"
        );
    }

    #[test]
    fn the_business_is_its_verified_name_and_displayed_number() {
        let p = BusinessProfile {
            id: "100".into(),
            verified_name: "Biz".into(),
            display_phone_number: "+1 555-0100".into(),
            quality_rating: None,
        };
        assert_eq!(legacy_self(&p), ("Biz".into(), "+1 555-0100".into()));
        let bare = BusinessProfile {
            display_phone_number: String::new(),
            ..p
        };
        assert_eq!(legacy_self(&bare).1, "100");
    }
}
