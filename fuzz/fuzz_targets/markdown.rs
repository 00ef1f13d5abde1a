//! `format::markdown_to_whatsapp` on arbitrary text.
//!
//! Invariants:
//! * it never panics (and, with `-timeout`, never takes long: it is meant to be linear);
//! * plain text (`format::is_plain`, which has no `\r\n`) converts to itself, byte for byte,
//!   and a text that is plain once its `\r\n` are `\n` converts to that; checked on the input
//!   and on the input with the Markdown characters `` * _ ~ ` [ \ < `` removed (which is
//!   plain far more often);
//! * the output's line breaks are `\n` only: it has no `\r\n`;
//! * every line break of the input is kept: the output has at least as many `\n`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use whatsapp::outbound::format::{is_plain, markdown_to_whatsapp};

fn utf8_prefix(data: &[u8]) -> &str {
    match std::str::from_utf8(data) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&data[..e.valid_up_to()]).unwrap_or_default(),
    }
}

fn check(text: &str) {
    let out = markdown_to_whatsapp(text);
    if is_plain(text) {
        assert_eq!(out, text, "plain text was changed");
    }
    let lf = text.replace("\r\n", "\n");
    if is_plain(&lf) {
        assert_eq!(
            out, lf,
            "plain text with CRLF line breaks was not sent with LF"
        );
    }
    assert!(
        !out.contains("\r\n"),
        "a CRLF was sent: {text:?} -> {out:?}"
    );
    assert!(
        out.matches('\n').count() >= text.matches('\n').count(),
        "a line break was lost: {text:?} -> {out:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let text = utf8_prefix(data);
    check(text);
    let stripped: String = text
        .chars()
        .filter(|c| !matches!(c, '*' | '_' | '~' | '`' | '[' | '\\' | '<'))
        .collect();
    if stripped.len() != text.len() {
        check(&stripped);
    }
});
