//! `signature::verify` and `signature::sign` on arbitrary secrets, headers and bodies.
//!
//! Input layout (so seeds can be written by hand):
//! `[flags] [pos_lo] [pos_hi] [secret_len] [header_len] secret header body`, where a length
//! longer than what is left takes the rest. `flags & 1`: the header is present (`Some`).
//! `pos` picks the bit flipped in the signed header, the body and the secret.
//!
//! Invariants:
//! * `verify` never panics, whatever the secret, header and body;
//! * an empty secret is always `NoSecret`; no header (with a secret) is always `Missing`;
//! * a header that verifies is `sign(secret, body)` up to ASCII whitespace around it and the
//!   case of the hex digits;
//! * for a non-empty secret, `sign(secret, body)` verifies (also padded and upper-cased);
//! * flipping one bit of that header never verifies, except a case flip of a hex letter;
//!   flipping one bit of the body or of the secret never verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use whatsapp::inbound::signature::{sign, verify, SignatureError};

fn take<'a>(data: &mut &'a [u8], n: usize) -> &'a [u8] {
    let (head, rest) = data.split_at(n.min(data.len()));
    *data = rest;
    head
}

fn flip(bytes: &[u8], pos: usize) -> Option<(Vec<u8>, usize, u8)> {
    if bytes.is_empty() {
        return None;
    }
    let bit = pos % (bytes.len() * 8);
    let (i, mask) = (bit / 8, 1u8 << (bit % 8));
    let mut out = bytes.to_vec();
    out[i] ^= mask;
    Some((out, i, mask))
}

fuzz_target!(|data: &[u8]| {
    let mut data = data;
    let head = take(&mut data, 5);
    let byte = |i: usize| head.get(i).copied().unwrap_or(0);
    let has_header = byte(0) & 1 == 1;
    let pos = usize::from(u16::from_le_bytes([byte(1), byte(2)]));
    let secret = take(&mut data, usize::from(byte(3)));
    let header = take(&mut data, usize::from(byte(4)));
    let body = data;

    // Arbitrary header: never panics; accepted only if it is the signature.
    let result = verify(secret, has_header.then_some(header), body);
    if secret.is_empty() {
        assert_eq!(result, Err(SignatureError::NoSecret));
        // `sign` with an empty key must not panic either; it never verifies.
        let signed = sign(secret, body);
        assert_eq!(
            verify(secret, Some(signed.as_bytes()), body),
            Err(SignatureError::NoSecret)
        );
        return;
    }
    if !has_header {
        assert_eq!(result, Err(SignatureError::Missing));
    }
    let signed = sign(secret, body);
    assert_eq!(signed.len(), "sha256=".len() + 64);
    if result.is_ok() {
        let given = String::from_utf8_lossy(header);
        let given = given.trim_matches(|c: char| c.is_ascii_whitespace());
        let (prefix, hex) = given.split_at(7);
        assert_eq!(prefix, "sha256=");
        assert_eq!(
            hex.to_ascii_lowercase(),
            signed[7..],
            "accepted a wrong header"
        );
    }

    // The right signature verifies, as Meta sends it and with the accepted variations.
    assert_eq!(verify(secret, Some(signed.as_bytes()), body), Ok(()));
    let padded = format!(" \t{}\r\n", signed);
    assert_eq!(verify(secret, Some(padded.as_bytes()), body), Ok(()));
    let upper = format!("sha256={}", signed[7..].to_ascii_uppercase());
    assert_eq!(verify(secret, Some(upper.as_bytes()), body), Ok(()));

    // One bit flipped in the header.
    if let Some((flipped, i, mask)) = flip(signed.as_bytes(), pos) {
        let case_only = i >= 7 && mask == 0x20 && signed.as_bytes()[i].is_ascii_lowercase();
        let r = verify(secret, Some(&flipped), body);
        if case_only {
            assert_eq!(r, Ok(()), "hex case is not significant");
        } else {
            assert!(
                r.is_err(),
                "header with bit {mask:#x} of byte {i} flipped verified"
            );
        }
    }
    // One bit flipped in the body.
    if let Some((flipped, i, mask)) = flip(body, pos) {
        assert_eq!(
            verify(secret, Some(signed.as_bytes()), &flipped),
            Err(SignatureError::Mismatch),
            "body with bit {mask:#x} of byte {i} flipped verified"
        );
    }
    // One bit flipped in the secret (same length, so HMAC's zero padding cannot hide it).
    if let Some((flipped, i, mask)) = flip(secret, pos) {
        assert_eq!(
            verify(&flipped, Some(signed.as_bytes()), body),
            Err(SignatureError::Mismatch),
            "secret with bit {mask:#x} of byte {i} flipped verified"
        );
    }
});
