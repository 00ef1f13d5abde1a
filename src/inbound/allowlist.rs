//! Who may talk to the consumer: the phone allowlist, and the business's own number.

/// Digits of a phone number: `+`, spaces, dashes, dots and parentheses dropped.
pub fn normalize_phone(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// `WHATSAPP_PHONE_ALLOWLIST`: comma-separated numbers; empty or unset allows everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist(Vec<String>);

impl Allowlist {
    /// Parses the variable's value; entries without digits are ignored.
    pub fn parse(value: Option<&str>) -> Self {
        Allowlist(
            value
                .unwrap_or("")
                .split(',')
                .map(normalize_phone)
                .filter(|p| !p.is_empty())
                .collect(),
        )
    }

    /// True when no list is configured.
    pub fn is_open(&self) -> bool {
        self.0.is_empty()
    }

    /// How many numbers are listed.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the list is empty (everyone allowed).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether messages from `phone` are dispatched.
    pub fn allows(&self, phone: &str) -> bool {
        self.is_open() || {
            let digits = normalize_phone(phone);
            self.0.contains(&digits)
        }
    }
}

/// True when a message was sent by the business number itself (an echo), which is
/// never dispatched: a bot answering itself would loop.
pub fn is_from_business(sender: &str, display_phone_number: &str) -> bool {
    let sender = normalize_phone(sender);
    !sender.is_empty() && sender == normalize_phone(display_phone_number)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_are_ignored() {
        let list = Allowlist::parse(Some("+1 650-555-1234, +44 (20) 7946.0018 ,,"));
        assert_eq!(list.len(), 2);
        assert!(list.allows("16505551234"));
        assert!(list.allows("+44 20 7946 0018"));
        assert!(!list.allows("16505550000"));
        assert!(!list.allows(""));
    }

    #[test]
    fn an_empty_or_missing_list_allows_everyone() {
        assert!(Allowlist::parse(None).allows("1"));
        assert!(Allowlist::parse(Some(" , ")).allows("1"));
    }

    #[test]
    fn messages_from_the_business_number_are_recognised() {
        assert!(is_from_business("15550100", "+1 555-0100"));
        assert!(!is_from_business("16505551234", "+1 555-0100"));
        assert!(!is_from_business("", ""));
    }

    #[test]
    fn redaction_keeps_the_last_four_digits() {
        assert_eq!(redact_phone("+1 650 555 1234"), "*******1234");
        assert_eq!(redact_phone("12"), "12");
    }
}
