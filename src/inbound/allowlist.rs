//! Who may talk to the consumer: the allowlist of users, and the business's own number.

use crate::types::User;

/// Digits of a phone number: `+`, spaces, dashes, dots and parentheses dropped.
pub fn normalize_phone(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// One entry of `WHATSAPP_PHONE_ALLOWLIST`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// A phone number, as its digits.
    Phone(String),
    /// A business-scoped user id (or parent id), compared exactly.
    UserId(String),
    /// A username, written `@name`, compared without case (stored lowercase, no `@`).
    /// Usernames are English letters, digits, periods and underscores (Meta's format
    /// rules), so their case is ASCII case: no Unicode case tables needed (they cost the
    /// component 16 KB).
    Username(String),
}

impl Entry {
    fn parse(item: &str) -> Option<Entry> {
        let item = item.trim();
        if let Some(name) = item.strip_prefix('@') {
            let name = name.trim();
            return (!name.is_empty()).then(|| Entry::Username(name.to_ascii_lowercase()));
        }
        if item.contains(|c: char| c.is_ascii_alphabetic()) {
            return Some(Entry::UserId(item.to_string()));
        }
        let digits = normalize_phone(item);
        (!digits.is_empty()).then_some(Entry::Phone(digits))
    }

    fn matches(&self, user: &User) -> bool {
        match self {
            Entry::Phone(digits) => user
                .phone
                .as_deref()
                .is_some_and(|p| normalize_phone(p) == *digits),
            Entry::UserId(id) => [&user.user_id, &user.parent_user_id]
                .into_iter()
                .any(|u| u.as_deref().map(str::trim) == Some(id.as_str())),
            Entry::Username(name) => user
                .username
                .as_deref()
                .is_some_and(|u| u.trim().trim_start_matches('@').eq_ignore_ascii_case(name)),
        }
    }
}

/// `WHATSAPP_PHONE_ALLOWLIST`: comma-separated phone numbers, business-scoped user ids
/// (`US.13491208655302741918`, parent ids too) and usernames (`@name`); empty or unset
/// allows everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist(Vec<Entry>);

impl Allowlist {
    /// Parses the variable's value: phone numbers are normalised to their digits, user
    /// ids are kept as written (compared exactly), usernames lose their `@` and case.
    /// Empty entries are ignored.
    pub fn parse(value: Option<&str>) -> Self {
        Allowlist(
            value
                .unwrap_or("")
                .split(',')
                .filter_map(Entry::parse)
                .collect(),
        )
    }

    /// True when no list is configured.
    pub fn is_open(&self) -> bool {
        self.0.is_empty()
    }

    /// How many entries are listed.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the list is empty (everyone allowed).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether messages from `user` are dispatched: when any of its identities (phone
    /// number, user id, parent user id, username) is listed.
    pub fn allows(&self, user: &User) -> bool {
        self.is_open() || self.0.iter().any(|entry| entry.matches(user))
    }
}

/// True when a message was sent by the business number that received it (an echo),
/// which is never dispatched: a bot answering itself would loop.
pub fn is_from_business(sender: &User, display_phone_number: &str) -> bool {
    // The digits of both, compared as they are read: no string is built for a check that
    // every message goes through. (A digit is one byte in UTF-8, and no byte of another
    // character is an ASCII digit.)
    let sender = sender.phone.as_deref().unwrap_or("");
    digits(sender).next().is_some() && digits(sender).eq(digits(display_phone_number))
}

/// The ASCII digits of `phone`, in order.
fn digits(phone: &str) -> impl Iterator<Item = u8> + '_ {
    phone.bytes().filter(u8::is_ascii_digit)
}

/// A phone number for a log line: all but the last four digits masked.
pub fn redact_phone(phone: &str) -> String {
    let digits = normalize_phone(phone);
    let keep = digits.len().saturating_sub(4);
    digits
        .chars()
        .enumerate()
        .map(|(i, c)| if i < keep { '*' } else { c })
        .collect()
}

/// A user for a log line: the redacted phone number, else the user id (not personal: it
/// is scoped to this business), else `unknown`. Never the name or the username.
pub fn describe_user(user: &User) -> String {
    match (&user.phone, &user.user_id) {
        (Some(phone), _) if !phone.is_empty() => redact_phone(phone),
        (_, Some(id)) if !id.is_empty() => id.clone(),
        _ => "unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(p: &str) -> User {
        User {
            phone: Some(p.into()),
            user_id: None,
            parent_user_id: None,
            username: None,
            name: None,
        }
    }

    fn username_only(user_id: &str, username: &str) -> User {
        User {
            phone: None,
            user_id: Some(user_id.into()),
            parent_user_id: Some("US.ENT.11815799212886844830".into()),
            username: Some(username.into()),
            name: Some("Chen".into()),
        }
    }

    #[test]
    fn separators_are_ignored() {
        let list = Allowlist::parse(Some("+1 650-555-1234, +44 (20) 7946.0018 ,,"));
        assert_eq!(list.len(), 2);
        assert!(list.allows(&phone("16505551234")));
        assert!(list.allows(&phone("+44 20 7946 0018")));
        assert!(!list.allows(&phone("16505550000")));
        assert!(!list.allows(&phone("")));
    }

    #[test]
    fn an_empty_or_missing_list_allows_everyone() {
        assert!(Allowlist::parse(None).allows(&phone("1")));
        assert!(Allowlist::parse(Some(" , ")).allows(&phone("1")));
        assert!(Allowlist::parse(None).allows(&username_only("US.1", "chen")));
    }

    #[test]
    fn user_ids_are_compared_exactly() {
        let list = Allowlist::parse(Some("US.13491208655302741918"));
        assert!(list.allows(&username_only("US.13491208655302741918", "x")));
        assert!(!list.allows(&username_only("us.13491208655302741918", "x")));
        assert!(!list.allows(&username_only("US.1349120865530274191", "x")));
        // A phone number made of the id's digits is not the id.
        assert!(!list.allows(&phone("13491208655302741918")));
    }

    #[test]
    fn a_parent_user_id_is_an_identity_too() {
        let list = Allowlist::parse(Some("US.ENT.11815799212886844830"));
        assert!(list.allows(&username_only("US.1", "x")));
    }

    #[test]
    fn usernames_are_compared_without_case() {
        let list = Allowlist::parse(Some("@ChenWei"));
        assert!(list.allows(&username_only("US.1", "chenwei")));
        assert!(list.allows(&username_only("US.1", "CHENWEI")));
        assert!(!list.allows(&username_only("US.1", "chen")));
        // A username is never matched against a phone number or a user id.
        assert!(!Allowlist::parse(Some("@16505551234")).allows(&phone("16505551234")));
    }

    #[test]
    fn a_username_only_sender_passes_a_list_that_names_any_of_its_identities() {
        let user = username_only("US.13491208655302741918", "chenwei");
        for listed in [
            "+1 650 555 1234, @chenwei",
            "US.13491208655302741918",
            "@CHENWEI",
        ] {
            assert!(Allowlist::parse(Some(listed)).allows(&user), "{listed}");
        }
        assert!(!Allowlist::parse(Some("+1 650 555 1234")).allows(&user));
    }

    #[test]
    fn messages_from_the_business_number_are_recognised() {
        assert!(is_from_business(&phone("15550100"), "+1 555-0100"));
        assert!(!is_from_business(&phone("16505551234"), "+1 555-0100"));
        assert!(!is_from_business(&phone(""), ""));
        assert!(!is_from_business(&username_only("US.1", "x"), "15550100"));
    }

    #[test]
    fn redaction_keeps_the_last_four_digits() {
        assert_eq!(redact_phone("+1 650 555 1234"), "*******1234");
        assert_eq!(redact_phone("12"), "12");
        assert_eq!(describe_user(&phone("16505551234")), "*******1234");
        assert_eq!(describe_user(&username_only("US.7", "secret")), "US.7");
    }
}
