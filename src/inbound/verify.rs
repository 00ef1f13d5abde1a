//! The GET verification handshake Meta performs when a webhook URL is configured.

use std::borrow::Cow;

/// What the handshake answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handshake {
    /// 200 with this body (the challenge, exactly as sent).
    Accept(String),
    /// 403: the reason, for one log line (never the tokens themselves).
    Reject(&'static str),
}

/// Answers `GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C`.
///
/// Accepts only when a token is configured (non-empty), `hub.mode` is `subscribe`,
/// the challenge is present and non-empty, and the tokens match in constant time.
pub fn handshake(configured_token: Option<&str>, query: &str) -> Handshake {
    let Some(configured) = configured_token.filter(|t| !t.is_empty()) else {
        return Handshake::Reject(
            "WHATSAPP_WEBHOOK_VERIFY_TOKEN is not set, so no handshake can succeed",
        );
    };
    let mut mode = None;
    let mut token = None;
    let mut challenge = None;
    for (key, value) in pairs(query) {
        match key.as_ref() {
            "hub.mode" => mode = Some(value),
            "hub.verify_token" => token = Some(value),
            "hub.challenge" => challenge = Some(value),
            _ => {}
        }
    }
    if mode.as_deref() != Some("subscribe") {
        return Handshake::Reject("hub.mode is not subscribe");
    }
    let Some(token) = token else {
        return Handshake::Reject("hub.verify_token is missing");
    };
    if !constant_time_eq(token.as_bytes(), configured.as_bytes()) {
        return Handshake::Reject("hub.verify_token does not match");
    }
    match challenge {
        Some(c) if !c.is_empty() => Handshake::Accept(c.into_owned()),
        _ => Handshake::Reject("hub.challenge is missing"),
    }
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    let longest = a.len().max(b.len());
    for i in 0..longest {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

/// Splits a query string into percent-decoded pairs (`+` is a space).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    pairs(query)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The pairs of a query string, percent-decoded; a part without escapes is borrowed (the
/// handshake's usual query allocates only its challenge).
fn pairs(query: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(pair), Cow::Borrowed("")),
        })
}

fn percent_decode(input: &str) -> Cow<'_, str> {
    // A byte scan: a `[char]` pattern walks the string char by char (a fifth of the
    // handshake's own time at opt-level z).
    if !input.bytes().any(|b| b == b'%' || b == b'+') {
        return Cow::Borrowed(input);
    }
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
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
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
