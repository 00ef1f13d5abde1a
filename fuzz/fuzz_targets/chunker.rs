//! `chunk::split` on arbitrary text, as given and after Markdown conversion.
//!
//! Input layout (so seeds can be written by hand): `[mode] [a] [b] [repeat] text...`; the text
//! is the longest valid UTF-8 prefix of the rest, repeated `1 + repeat % 16` times (so inputs
//! of libFuzzer's usual size still reach past 4096 UTF-16 units). The limit is
//! * `mode % 4 == 0`: `a % 40` (below, at and just above `chunk::MIN_LIMIT`),
//! * `mode % 4 == 1`: `chunk::MAX_TEXT` (4096, Meta's limit),
//! * `mode % 4 == 2`: `16 + u16(a, b) % 512`,
//! * `mode % 4 == 3`: `u16(a, b) % 8193`.
//!
//! Invariants (`chunk::verify`, which checks them from the text and the chunks alone):
//! * `split` never panics;
//! * every chunk is non-empty and within `max(limit, MIN_LIMIT)` UTF-16 units;
//! * the chunks, without the fences added at cuts inside code blocks and with the consumed
//!   whitespace put back, give the text; a text within the limit is the only chunk;
//!
//! for the text itself and for `format::markdown_to_whatsapp(text)` (what is sent).
#![no_main]

use libfuzzer_sys::fuzz_target;
use whatsapp::outbound::chunk::{split, verify, MAX_TEXT};
use whatsapp::outbound::format::markdown_to_whatsapp;

fn utf8_prefix(data: &[u8]) -> &str {
    match std::str::from_utf8(data) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&data[..e.valid_up_to()]).unwrap_or_default(),
    }
}

fn check(text: &str, limit: usize) {
    let chunks = split(text, limit);
    if let Err(e) = verify(text, limit, &chunks) {
        panic!("invalid split (limit {limit}): {e}\ntext: {text:?}\nchunks: {chunks:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((head, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let [mode, a, b, repeat] = *head;
    let wide = usize::from(u16::from_le_bytes([a, b]));
    let limit = match mode % 4 {
        0 => usize::from(a % 40),
        1 => MAX_TEXT,
        2 => 16 + wide % 512,
        _ => wide % 8193,
    };
    let text = utf8_prefix(rest).repeat(1 + usize::from(repeat % 16));
    check(&text, limit);
    check(&markdown_to_whatsapp(&text), limit);
});
