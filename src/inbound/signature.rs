//! `X-Hub-Signature-256` verification: HMAC-SHA256 of the exact bytes received, keyed
//! with the App Secret, compared in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Why a signature was not accepted. None of the variants carries the header's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// No App Secret is configured: nothing is accepted (fail closed).
    NoSecret,
    /// The request has no `X-Hub-Signature-256` header.
    Missing,
    /// The header is not `sha256=` followed by 64 hex digits.
    Malformed,
    /// The header is well formed but does not match the body.
    Mismatch,
}

impl SignatureError {
    /// A short description for a log line; never includes the header's value.
    pub fn describe(self) -> &'static str {
        match self {
            SignatureError::NoSecret => {
                "WHATSAPP_APP_SECRET is not set, so no POST can be verified"
            }
            SignatureError::Missing => "missing X-Hub-Signature-256 header",
            SignatureError::Malformed => {
                "malformed X-Hub-Signature-256 header (want sha256=<64 hex digits>)"
            }
            SignatureError::Mismatch => "X-Hub-Signature-256 does not match the body",
        }
    }
}

/// The App Secret as an HMAC-SHA256 key. Its two padded key blocks are hashed once, when
/// the key is made (with the configuration, once per instance), and every body's check
/// starts from that state: two SHA-256 blocks fewer per webhook on a reused instance.
#[derive(Clone)]
pub struct AppSecret(Hmac<Sha256>);

impl AppSecret {
    /// The key for `secret`; none for an empty secret (fail closed: nothing is accepted).
    pub fn new(secret: &[u8]) -> Option<Self> {
        if secret.is_empty() {
            return None;
        }
        // HMAC accepts keys of any length: this is never `Err`, and nothing here traps.
        Hmac::<Sha256>::new_from_slice(secret).ok().map(AppSecret)
    }

    /// Checks `header` (the raw header value bytes, if any) against `body`.
    ///
    /// The header must be `sha256=` followed by exactly 64 hex digits (either case; Meta
    /// sends lowercase). Odd lengths, non-hex and non-ASCII bytes are `Malformed`, never a
    /// panic.
    pub fn verify(&self, header: Option<&[u8]>, body: &[u8]) -> Result<(), SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let expected = parse_header(header)?;
        let mut mac = self.0.clone();
        mac.update(body);
        // `verify_slice` compares in constant time.
        mac.verify_slice(&expected)
            .map_err(|_| SignatureError::Mismatch)
    }
}

/// Never the secret, nor anything derived from it.
impl std::fmt::Debug for AppSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppSecret(<redacted>)")
    }
}

/// Checks `header` against `body` with `secret`: [`AppSecret::verify`], and `NoSecret`
/// for an empty secret.
pub fn verify(secret: &[u8], header: Option<&[u8]>, body: &[u8]) -> Result<(), SignatureError> {
    AppSecret::new(secret)
        .ok_or(SignatureError::NoSecret)?
        .verify(header, body)
}

/// Parses `sha256=<64 hex>` into the 32 digest bytes.
fn parse_header(header: &[u8]) -> Result<[u8; 32], SignatureError> {
    let trimmed = trim_ascii(header);
    let hex_part = trimmed
        .strip_prefix(b"sha256=")
        .ok_or(SignatureError::Malformed)?;
    let mut digest = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut digest).map_err(|_| SignatureError::Malformed)?;
    Ok(digest)
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or_default()
}

/// Computes the header value Meta would send for `body` (`sha256=<lowercase hex>`).
/// Used by the sandbox, benchmarks and tests.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut out = String::from("sha256=");
    if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) {
        mac.update(body);
        out.push_str(&hex::encode(mac.finalize().into_bytes()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"app-secret";
    const BODY: &[u8] = br#"{"object":"whatsapp_business_account","entry":[]}"#;

    #[test]
    fn one_key_checks_many_bodies_as_a_fresh_key_would() {
        let key = AppSecret::new(SECRET).expect("a non-empty secret is a key");
        for body in [BODY, b"{}".as_slice(), b"".as_slice(), BODY] {
            let header = sign(SECRET, body);
            assert_eq!(key.verify(Some(header.as_bytes()), body), Ok(()));
            let other = sign(b"other-secret", body);
            assert_eq!(
                key.verify(Some(other.as_bytes()), body),
                Err(SignatureError::Mismatch)
            );
        }
    }

    #[test]
    fn an_empty_secret_is_no_key_and_the_key_never_prints_its_secret() {
        assert!(AppSecret::new(b"").is_none());
        let key = AppSecret::new(b"s3cr3t-value").expect("a key");
        let shown = format!("{key:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }

    #[test]
    fn a_correct_signature_is_accepted() {
        let header = sign(SECRET, BODY);
        assert_eq!(verify(SECRET, Some(header.as_bytes()), BODY), Ok(()));
    }

    #[test]
    fn uppercase_hex_and_surrounding_spaces_are_accepted() {
        let header = format!(
            "  {}  ",
            sign(SECRET, BODY)
                .to_uppercase()
                .replacen("SHA256=", "sha256=", 1)
        );
        assert_eq!(verify(SECRET, Some(header.as_bytes()), BODY), Ok(()));
    }

    #[test]
    fn a_signature_of_other_bytes_is_a_mismatch() {
        let header = sign(SECRET, b"{}");
        assert_eq!(
            verify(SECRET, Some(header.as_bytes()), BODY),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_signature_made_with_another_secret_is_a_mismatch() {
        let header = sign(b"other", BODY);
        assert_eq!(
            verify(SECRET, Some(header.as_bytes()), BODY),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_missing_header_is_rejected() {
        assert_eq!(verify(SECRET, None, BODY), Err(SignatureError::Missing));
    }

    #[test]
    fn no_secret_fails_closed_even_with_a_matching_signature() {
        let header = sign(b"", BODY);
        assert_eq!(
            verify(b"", Some(header.as_bytes()), BODY),
            Err(SignatureError::NoSecret)
        );
    }

    #[test]
    fn malformed_headers_are_rejected_without_panicking() {
        let good = sign(SECRET, BODY);
        let hex = good.trim_start_matches("sha256=").to_string();
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"sha256=".to_vec(),
            hex.clone().into_bytes(),                        // no prefix
            format!("sha1={hex}").into_bytes(),              // wrong algorithm
            format!("sha256={}", &hex[..63]).into_bytes(),   // odd length
            format!("sha256={}", &hex[..62]).into_bytes(),   // too short
            format!("sha256={hex}00").into_bytes(),          // too long
            format!("sha256={}zz", &hex[..62]).into_bytes(), // non-hex
            format!("sha256={}é", &hex[..62]).into_bytes(),  // non-ASCII
            vec![0xff, 0xfe, 0x00, 0x80],                    // not UTF-8
            format!("sha256= {hex}").into_bytes(),           // space inside
        ];
        for case in cases {
            assert_eq!(
                verify(SECRET, Some(&case), BODY),
                Err(SignatureError::Malformed),
                "header {:?}",
                String::from_utf8_lossy(&case)
            );
        }
    }

    #[test]
    fn the_raw_bytes_are_hashed_not_a_reencoding() {
        // Meta escapes `/` and non-ASCII; a re-serialised body would differ.
        let raw = br#"{"text":"caf\u00e9 \/ ok"}"#;
        let header = sign(SECRET, raw);
        assert_eq!(verify(SECRET, Some(header.as_bytes()), raw), Ok(()));
        let reencoded = "{\"text\":\"café / ok\"}".as_bytes();
        assert_eq!(
            verify(SECRET, Some(header.as_bytes()), reencoded),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn describe_never_echoes_the_header() {
        for e in [
            SignatureError::NoSecret,
            SignatureError::Missing,
            SignatureError::Malformed,
            SignatureError::Mismatch,
        ] {
            assert!(!e.describe().contains("sha256=0"));
        }
    }
}
