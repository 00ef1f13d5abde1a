//! Meta's wire details: message ids, the JSON escaping of webhook bodies, signatures,
//! and small helpers (time, ids, base64).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Unix time in seconds, as the string webhooks carry.
pub fn now_secs_string() -> String {
    (now_ms() / 1000).to_string()
}

/// A fresh pseudo-random number (splitmix64 over the clock and a counter). Not for
/// secrets: ids only.
pub fn random_u64() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mut z = STATE
        .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        .wrapping_add(u64::from(nanos))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `len` uppercase hex digits.
pub fn random_hex(len: usize) -> String {
    let mut out = String::with_capacity(len + 16);
    while out.len() < len {
        out.push_str(&format!("{:016X}", random_u64()));
    }
    out.truncate(len);
    out
}

/// A Graph `fbtrace_id`-like token.
pub fn fbtrace_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..23)
        .map(|_| {
            let i = usize::try_from(random_u64() % ALPHABET.len() as u64).unwrap_or(0);
            char::from(ALPHABET.get(i).copied().unwrap_or(b'A'))
        })
        .collect()
}

/// A numeric media id, like Meta's.
pub fn media_id() -> String {
    format!(
        "{}",
        1_000_000_000_000_000 + random_u64() % 8_999_999_999_999_999
    )
}

/// A message id in Meta's layout: base64 of `1c 18 <len> <user phone> 15 02 00 <12
/// inbound / 11 outbound> 18 <len> <hex id> 00`; inbound ids carry 20 hex digits,
/// outbound ones 18.
pub fn wamid(user: &str, inbound: bool) -> String {
    let user: Vec<u8> = user.bytes().take(200).collect();
    let hex = random_hex(if inbound { 20 } else { 18 });
    let mut raw = vec![0x1c, 0x18, u8::try_from(user.len()).unwrap_or(u8::MAX)];
    raw.extend_from_slice(&user);
    raw.extend_from_slice(&[0x15, 0x02, 0x00, if inbound { 0x12 } else { 0x11 }, 0x18]);
    raw.push(u8::try_from(hex.len()).unwrap_or(u8::MAX));
    raw.extend_from_slice(hex.as_bytes());
    raw.push(0);
    format!("wamid.{}", base64(&raw))
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        let sextet = |shift: u32| char::from(ALPHABET[((n >> shift) & 63) as usize]);
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

/// Compact JSON in Meta's wire form: every non-ASCII character as a lowercase
/// `\uXXXX` escape (surrogate pairs above the BMP) and `/` as `\/`. A receiver that
/// re-serialises the body before hashing it gets a different signature, as with Meta.
pub fn meta_json(value: &Value) -> Vec<u8> {
    let compact = value.to_string();
    let mut out = String::with_capacity(compact.len() + 32);
    for c in compact.chars() {
        if c == '/' {
            out.push_str("\\/");
        } else if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out.into_bytes()
}

/// `sha256=<lowercase hex of HMAC-SHA256(secret, body)>`, as Meta sends in
/// `X-Hub-Signature-256`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        }
        Err(_) => String::from("sha256="),
    }
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Constant-time-ish comparison for the bearer token.
pub fn same_secret(a: &str, b: &str) -> bool {
    sha256(a.as_bytes()) == sha256(b.as_bytes())
}

/// A phone number as Graph displays it: `15550100` -> `+1 555-0100`,
/// `16505551234` -> `+1 650-555-1234`, others `+<digits>` grouped loosely.
pub fn display_phone(digits: &str) -> String {
    if let Some(rest) = digits.strip_prefix('1') {
        match rest.len() {
            7 => return format!("+1 {}-{}", &rest[..3], &rest[3..]),
            10 => return format!("+1 {}-{}-{}", &rest[..3], &rest[3..6], &rest[6..]),
            _ => {}
        }
    }
    if digits.len() > 6 && digits.is_ascii() {
        let (cc, rest) = digits.split_at(2);
        let (a, b) = rest.split_at(rest.len() / 2);
        return format!("+{cc} {a} {b}");
    }
    format!("+{digits}")
}

/// The digits of a phone number written with `+`, spaces, dashes, dots or parentheses;
/// `None` when anything else is in it or the length is not 5 to 15 digits.
pub fn phone_digits(input: &str) -> Option<String> {
    let mut digits = String::new();
    for c in input.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if !(c.is_whitespace() || matches!(c, '+' | '-' | '(' | ')' | '.')) {
            return None;
        }
    }
    (5..=15).contains(&digits.len()).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
    }

    #[test]
    fn wamids_have_metas_layout() {
        let id = wamid("16505551234", true);
        assert!(id.starts_with("wamid.HBgLMTY1MDU1NTEyMzQVAgASGB"), "{id}");
        assert!(id.ends_with("A="), "{id}");
        let out = wamid("16505551234", false);
        assert!(out.starts_with("wamid.HBgLMTY1MDU1NTEyMzQVAgARGB"), "{out}");
        assert_ne!(wamid("1", false), wamid("1", false));
    }

    #[test]
    fn meta_json_escapes_like_meta() {
        let v = serde_json::json!({"t": "café / 😀 \u{2028}"});
        assert_eq!(
            String::from_utf8(meta_json(&v)).unwrap(),
            r#"{"t":"caf\u00e9 \/ \ud83d\ude00 \u2028"}"#
        );
        let back: Value = serde_json::from_slice(&meta_json(&v)).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn signatures_are_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn phones() {
        assert_eq!(display_phone("15550100"), "+1 555-0100");
        assert_eq!(display_phone("16505551234"), "+1 650-555-1234");
        assert_eq!(
            phone_digits("+1 (650) 555-1234").as_deref(),
            Some("16505551234")
        );
        assert_eq!(phone_digits("abc"), None);
        assert_eq!(phone_digits("12"), None);
    }
}
