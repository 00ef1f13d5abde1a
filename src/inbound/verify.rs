//! The GET verification handshake Meta performs when a webhook URL is configured.

use std::borrow::Cow;

/// What the handshake answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handshake<'q> {
    /// 200 with this body (the challenge, exactly as sent; borrowed from the query unless
    /// it had to be percent-decoded).
    Accept(Cow<'q, str>),
    /// 403: the reason, for one log line (never the tokens themselves).
    Reject(&'static str),
}

/// Answers `GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C`.
///
/// Accepts only when a token is configured (non-empty), `hub.mode` is `subscribe`,
/// the challenge is present and non-empty, and the tokens match in constant time.
/// Keys and values are percent-decoded (`+` is a space); of a key given twice, the last
/// counts.
pub fn handshake<'q>(configured_token: Option<&str>, query: &'q str) -> Handshake<'q> {
    let Some(configured) = configured_token.filter(|t| !t.is_empty()) else {
        return Handshake::Reject(
            "WHATSAPP_WEBHOOK_VERIFY_TOKEN is not set, so no handshake can succeed",
        );
    };
    let mut mode = None;
    let mut token = None;
    let mut challenge = None;
    each_pair(query, |key, value| match key.decoded().as_ref() {
        "hub.mode" => mode = Some(value),
        "hub.verify_token" => token = Some(value),
        "hub.challenge" => challenge = Some(value),
        _ => {}
    });
    if mode.map(Part::decoded).as_deref() != Some("subscribe") {
        return Handshake::Reject("hub.mode is not subscribe");
    }
    let Some(token) = token else {
        return Handshake::Reject("hub.verify_token is missing");
    };
    if !constant_time_eq(token.decoded().as_bytes(), configured.as_bytes()) {
        return Handshake::Reject("hub.verify_token does not match");
    }
    match challenge.map(Part::decoded) {
        Some(c) if !c.is_empty() => Handshake::Accept(c),
        _ => Handshake::Reject("hub.challenge is missing"),
    }
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y));
    (a.len() == b.len()) & (diff == 0)
}

/// A key or a value of a query, as written, and whether it has escapes (`%` or `+`).
#[derive(Clone, Copy)]
struct Part<'q> {
    raw: &'q str,
    escaped: bool,
}

impl<'q> Part<'q> {
    /// The text, percent-decoded: borrowed when there was nothing to decode.
    fn decoded(self) -> Cow<'q, str> {
        if self.escaped {
            Cow::Owned(percent_decode(self.raw))
        } else {
            Cow::Borrowed(self.raw)
        }
    }
}

/// Calls `f` with each non-empty `key=value` pair of a query (a pair without `=` has an
/// empty value), in one pass over its bytes: the handshake's query is read once, and
/// nothing is copied unless it is escaped.
fn each_pair<'q>(query: &'q str, mut f: impl FnMut(Part<'q>, Part<'q>)) {
    let mut start = 0;
    let mut equals = None;
    let (mut key_escaped, mut value_escaped) = (false, false);
    let mut pair = |start: usize, equals: Option<usize>, end: usize, escaped: (bool, bool)| {
        if start >= end {
            return; // an empty pair (`&&`, a leading or trailing `&`)
        }
        // `&` and `=` are ASCII, so every cut is on a character boundary; `get` only
        // keeps the slicing from ever panicking.
        let (key, value) = match equals {
            Some(at) => (query.get(start..at), query.get(at + 1..end)),
            None => (query.get(start..end), Some("")),
        };
        if let (Some(key), Some(value)) = (key, value) {
            f(
                Part {
                    raw: key,
                    escaped: escaped.0,
                },
                Part {
                    raw: value,
                    escaped: escaped.1,
                },
            );
        }
    };
    for (i, &b) in query.as_bytes().iter().enumerate() {
        match b {
            b'&' => {
                pair(start, equals, i, (key_escaped, value_escaped));
                start = i + 1;
                equals = None;
                (key_escaped, value_escaped) = (false, false);
            }
            b'=' if equals.is_none() => equals = Some(i),
            b'%' | b'+' if equals.is_some() => value_escaped = true,
            b'%' | b'+' => key_escaped = true,
            _ => {}
        }
    }
    pair(start, equals, query.len(), (key_escaped, value_escaped));
}

/// Percent-decodes `input` (`+` is a space; a `%` not followed by two hex digits stays as
/// it is; bytes that are not UTF-8 become U+FFFD).
fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|c| (*c as char).to_digit(16));
                let lo = bytes.get(i + 2).and_then(|c| (*c as char).to_digit(16));
                if let (Some(hi), Some(lo)) = (hi, lo) {
                    out.push((hi * 16 + lo) as u8);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(mode: &str, token: &str, challenge: &str) -> String {
        format!("hub.mode={mode}&hub.verify_token={token}&hub.challenge={challenge}")
    }

    #[test]
    fn the_right_token_gets_the_challenge_back_exactly() {
        assert_eq!(
            handshake(Some("tok"), &q("subscribe", "tok", "1158201444")),
            Handshake::Accept("1158201444".into())
        );
    }

    #[test]
    fn percent_encoded_values_are_decoded() {
        let query = "hub.mode=subscribe&hub.verify_token=a%20b%2Bc&hub.challenge=x%3Dy";
        assert_eq!(
            handshake(Some("a b+c"), query),
            Handshake::Accept("x=y".into())
        );
    }

    #[test]
    fn an_unescaped_challenge_is_answered_without_a_copy() {
        let query = q("subscribe", "tok", "1158201444");
        let Handshake::Accept(challenge) = handshake(Some("tok"), &query) else {
            panic!("the right token must be accepted");
        };
        assert!(matches!(challenge, Cow::Borrowed("1158201444")));
    }

    #[test]
    fn escaped_keys_are_decoded_before_they_are_matched() {
        let query = "hub%2Emode=subscribe&hub.verify%5Ftoken=tok&hub+challenge=no&hub.challenge=c";
        assert_eq!(handshake(Some("tok"), query), Handshake::Accept("c".into()));
    }

    #[test]
    fn of_a_key_given_twice_the_last_counts() {
        let query = "hub.mode=subscribe&hub.verify_token=tok&hub.challenge=1&hub.challenge=2";
        assert_eq!(handshake(Some("tok"), query), Handshake::Accept("2".into()));
        let query = "hub.mode=subscribe&hub.verify_token=tok&hub.verify_token=bad&hub.challenge=c";
        assert!(matches!(
            handshake(Some("tok"), query),
            Handshake::Reject(_)
        ));
    }

    #[test]
    fn a_value_keeps_every_equals_sign_after_the_first() {
        let query = "hub.mode=subscribe&&hub.verify_token=t=k&hub.challenge=a=b&";
        assert_eq!(
            handshake(Some("t=k"), query),
            Handshake::Accept("a=b".into())
        );
    }

    #[test]
    fn a_wrong_token_is_rejected() {
        assert!(matches!(
            handshake(Some("tok"), &q("subscribe", "tok2", "c")),
            Handshake::Reject(_)
        ));
        assert!(matches!(
            handshake(Some("tok"), &q("subscribe", "to", "c")),
            Handshake::Reject(_)
        ));
        assert!(matches!(
            handshake(Some("tok"), &q("subscribe", "", "c")),
            Handshake::Reject(_)
        ));
    }

    #[test]
    fn another_mode_is_rejected() {
        assert!(matches!(
            handshake(Some("tok"), &q("unsubscribe", "tok", "c")),
            Handshake::Reject(_)
        ));
        assert!(matches!(
            handshake(Some("tok"), "hub.verify_token=tok&hub.challenge=c"),
            Handshake::Reject(_)
        ));
    }

    #[test]
    fn a_missing_or_empty_challenge_never_verifies() {
        assert!(matches!(
            handshake(Some("tok"), "hub.mode=subscribe&hub.verify_token=tok"),
            Handshake::Reject(_)
        ));
        assert!(matches!(
            handshake(Some("tok"), &q("subscribe", "tok", "")),
            Handshake::Reject(_)
        ));
    }

    #[test]
    fn no_configured_token_never_verifies() {
        assert!(matches!(
            handshake(None, &q("subscribe", "", "c")),
            Handshake::Reject(_)
        ));
        assert!(matches!(
            handshake(Some(""), &q("subscribe", "", "c")),
            Handshake::Reject(_)
        ));
    }

    #[test]
    fn garbage_queries_do_not_panic() {
        for query in [
            "",
            "&&&",
            "=",
            "%",
            "%zz",
            "hub.mode=%e2%28%a1",
            "a=b=c",
            "hub.challenge=%",
        ] {
            assert!(matches!(
                handshake(Some("tok"), query),
                Handshake::Reject(_)
            ));
        }
    }

    #[test]
    fn constant_time_eq_compares_contents_and_lengths() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
        assert!(constant_time_eq(b"", b""));
    }
}
