//! Meta's JSON, read in place: a tree whose strings borrow from the text. Both sides of
//! the wire read into it: the webhook's body (inbound) and the Graph API's answers
//! (outbound).
//!
//! The webhook's hot path is one parse of a small body, and a reply's one more of
//! Meta's answer. `serde_json::Value` copies every key and string and sorts each object
//! into a B-tree; this tree keeps an object's members in Meta's order in a `Vec` and
//! borrows every string that has no escape, and each object keeps its own text (a
//! message's `raw-json` is a copy of it). The reader is a small one of its own (the
//! text's UTF-8 checked at once, then one pass over the bytes, no generic deserializer),
//! and it accepts exactly what
//! `serde_json::from_slice` accepts: the same grammar, UTF-8 and escape rules and nesting
//! limit, and numbers read by serde_json itself. The `json_tree` fuzz target holds it to
//! that.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Number;

/// A JSON value whose strings borrow from the text they were read from where they can.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as serde_json keeps it.
    Number(Number),
    /// A string: borrowed from the text when it has no escape.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Value<'a>>),
    /// An object.
    Object(Map<'a>),
}

/// An object's members in the order they were written, and the object's own text.
#[derive(Debug, Clone)]
pub struct Map<'a> {
    members: Vec<(Cow<'a, str>, Value<'a>)>,
    text: &'a str,
}

/// Two objects are equal when their members are, however they were written.
impl PartialEq for Map<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.members == other.members
    }
}

impl<'a> Map<'a> {
    /// The object exactly as it was written, from its `{` to its `}`: the same bytes,
    /// escapes and spacing included.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The members, in order, duplicates included.
    pub fn iter(&self) -> impl Iterator<Item = (&Cow<'a, str>, &Value<'a>)> {
        self.members.iter().map(|(name, value)| (name, value))
    }

    /// The member named `key`; of duplicate names the last wins, as in serde_json's map.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.members
            .iter()
            .rev()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value)
    }
}

impl<'a> Value<'a> {
    /// The member `key` of an object; none for anything else.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.as_object()?.get(key)
    }

    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The elements of an array.
    pub fn as_array(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members of an object.
    pub fn as_object(&self) -> Option<&Map<'a>> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    /// Whether this is an array.
    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(_))
    }
}

/// Why a text is not read: it is not JSON, or nests deeper than [`MAX_DEPTH`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotJson;

/// The deepest nesting of arrays and objects read, serde_json's own limit (its recursion
/// limit of 128 refuses the 128th container inside the others).
pub const MAX_DEPTH: usize = 127;

/// Reads a JSON text (RFC 8259, as serde_json reads it: no trailing commas or comments,
/// strings of valid UTF-8 without raw control characters, surrogate escapes in pairs);
/// the tree borrows from it.
pub fn from_slice(text: &[u8]) -> Result<Value<'_>, NotJson> {
    // Valid UTF-8 as a whole (outside its strings JSON is ASCII): every string without an
    // escape and every object's text is then a slice of `src`, with no scan of its own.
    let src = std::str::from_utf8(text).map_err(|_| NotJson)?;
    let mut reader = Reader {
        src,
        text: src.as_bytes(),
        at: 0,
    };
    let value = reader.value(MAX_DEPTH)?;
    reader.skip_whitespace();
    if reader.at == text.len() {
        Ok(value)
    } else {
        Err(NotJson)
    }
}

/// `value` as compact JSON, members in their order.
pub fn to_string(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Appends `text` to `out` as a JSON string, quotes included, escaped exactly as
/// serde_json escapes it (`\"`, `\\`, `\b` `\f` `\n` `\r` `\t`, the other control
/// characters as `\u00xx`; everything else as is): the writer of the bodies built without
/// a `serde_json::Value` (a text message's, on a reply's hot path).
pub fn push_string(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(text.len() + 2);
    out.push('"');
    let mut rest = text;
    loop {
        let at = plain_run(rest.as_bytes());
        if at == rest.len() {
            break;
        }
        let Some((plain, tail)) = rest.split_at_checked(at) else {
            break;
        };
        out.push_str(plain);
        let mut bytes = tail.bytes();
        match bytes.next() {
            Some(b'"') => out.push_str("\\\""),
            Some(b'\\') => out.push_str("\\\\"),
            Some(b'\n') => out.push_str("\\n"),
            Some(b'\r') => out.push_str("\\r"),
            Some(b'\t') => out.push_str("\\t"),
            Some(0x08) => out.push_str("\\b"),
            Some(0x0c) => out.push_str("\\f"),
            Some(b) => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
            None => break,
        }
        // The byte escaped is ASCII: the rest starts on a character boundary.
        rest = tail.get(1..).unwrap_or("");
    }
    out.push_str(rest);
    out.push('"');
}

/// The length of the run of `bytes` before the first quote, backslash or control
/// character (all of them when there is none): eight bytes at a time while none of them
/// ends it, then byte by byte.
fn plain_run(bytes: &[u8]) -> usize {
    let mut run = 0;
    while let Some(word) = bytes
        .get(run..run + 8)
        .and_then(|eight| <[u8; 8]>::try_from(eight).ok())
    {
        if ends_plain_run(u64::from_le_bytes(word)) {
            break;
        }
        run += 8;
    }
    while let Some(&b) = bytes.get(run) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        run += 1;
    }
    run
}

/// Whether one of the eight bytes of `word` is a quote, a backslash or a control
/// character: one that ends a string's plain run. Exact (no byte is reported that is not
/// there): a byte is zero, or below 0x20, when subtracting from it borrows into its high
/// bit while that bit was clear.
fn ends_plain_run(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let below = |word: u64, n: u64| word.wrapping_sub(ONES * n) & !word & HIGH_BITS;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    below(quote, 1) | below(backslash, 1) | below(word, 0x20) != 0
}

/// A reader over a JSON text: `at` is the next byte to read.
struct Reader<'a> {
    src: &'a str,
    /// `src`'s bytes.
    text: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    // The three helpers of every byte read: inlined at every opt-level, `z` included.
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    #[inline(always)]
    fn next(&mut self) -> Result<u8, NotJson> {
        let byte = self.peek().ok_or(NotJson)?;
        self.at += 1;
        Ok(byte)
    }

    #[inline(always)]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
            self.skip_spaces();
        }
    }

    /// Eight spaces at a time: an indented (pretty-printed) text's indentation. Compact
    /// JSON, as Meta sends it, never gets here: its tokens are not separated by spaces.
    fn skip_spaces(&mut self) {
        const SPACES: u64 = u64::from_le_bytes([b' '; 8]);
        while let Some(word) = self
            .text
            .get(self.at..self.at + 8)
            .and_then(|eight| <[u8; 8]>::try_from(eight).ok())
        {
            if u64::from_le_bytes(word) != SPACES {
                return;
            }
            self.at += 8;
        }
    }

    /// A value, with room for `depth` more containers inside one another.
    fn value(&mut self, depth: usize) -> Result<Value<'a>, NotJson> {
        self.skip_whitespace();
        match self.peek().ok_or(NotJson)? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(Value::String),
            b't' => self.word(b"true", Value::Bool(true)),
            b'f' => self.word(b"false", Value::Bool(false)),
            b'n' => self.word(b"null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(NotJson),
        }
    }

    fn word(&mut self, word: &[u8], value: Value<'a>) -> Result<Value<'a>, NotJson> {
        if self
            .text
            .get(self.at..)
            .is_some_and(|rest| rest.starts_with(word))
        {
            self.at += word.len();
            Ok(value)
        } else {
            Err(NotJson)
        }
    }

    /// A number: the run of bytes that can be part of one, read by serde_json itself, so
    /// that it is the same number (and refused alike: `01`, `1.`, `1e400`). No byte that
    /// may follow a number in valid JSON is in the run.
    fn number(&mut self) -> Result<Value<'a>, NotJson> {
        let start = self.at;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.peek() {
            self.at += 1;
        }
        let text = self.src.get(start..self.at).ok_or(NotJson)?;
        text.parse::<Number>()
            .map(Value::Number)
            .map_err(|_| NotJson)
    }

    fn array(&mut self, depth: usize) -> Result<Value<'a>, NotJson> {
        let depth = depth.checked_sub(1).ok_or(NotJson)?;
        self.at += 1; // [
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_whitespace();
            match self.next()? {
                b',' => {}
                b']' => return Ok(Value::Array(items)),
                _ => return Err(NotJson),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value<'a>, NotJson> {
        let depth = depth.checked_sub(1).ok_or(NotJson)?;
        let start = self.at;
        self.at += 1; // {
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return self.map(start, members);
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(NotJson);
            }
            let name = self.string()?;
            self.skip_whitespace();
            if self.next()? != b':' {
                return Err(NotJson);
            }
            members.push((name, self.value(depth)?));
            self.skip_whitespace();
            match self.next()? {
                b',' => {}
                b'}' => return self.map(start, members),
                _ => return Err(NotJson),
            }
        }
    }

    /// The object that began at `start` and ended just before `at`.
    fn map(
        &self,
        start: usize,
        members: Vec<(Cow<'a, str>, Value<'a>)>,
    ) -> Result<Value<'a>, NotJson> {
        let text = self.src.get(start..self.at).ok_or(NotJson)?;
        Ok(Value::Object(Map { members, text }))
    }

    /// A string (at its opening quote): borrowed from the text when it has no escape.
    fn string(&mut self) -> Result<Cow<'a, str>, NotJson> {
        let start = self.at + 1; // after the "
        let rest = self.text.get(start..).ok_or(NotJson)?;
        // The run up to the first quote, backslash or control character, in one scan:
        // eight bytes at a time while none of them ends it, then byte by byte.
        let run = plain_run(rest);
        if run == rest.len() {
            return Err(NotJson); // no closing quote
        }
        let raw = rest.get(..run).ok_or(NotJson)?;
        self.at = start + run + 1;
        match rest.get(run) {
            // Ends at an ASCII byte, so on a character boundary.
            Some(b'"') => {
                return self
                    .src
                    .get(start..start + run)
                    .map(Cow::Borrowed)
                    .ok_or(NotJson)
            }
            Some(b'\\') => {}
            _ => return Err(NotJson), // a control character
        }
        let mut out = raw.to_vec();
        self.escape(&mut out)?;
        loop {
            match self.next()? {
                b'"' => return String::from_utf8(out).map(Cow::Owned).map_err(|_| NotJson),
                b'\\' => self.escape(&mut out)?,
                0x00..=0x1f => return Err(NotJson),
                byte => out.push(byte),
            }
        }
    }

    /// An escape (after its backslash), written to `out` as UTF-8. A `\u` escape of a
    /// surrogate must be a leading one followed by a trailing one.
    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), NotJson> {
        let byte = match self.next()? {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let code = match self.hex4()? {
                    0xDC00..=0xDFFF => return Err(NotJson),
                    lead @ 0xD800..=0xDBFF => {
                        if self.next()? != b'\\' || self.next()? != b'u' {
                            return Err(NotJson);
                        }
                        let trail = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&trail) {
                            return Err(NotJson);
                        }
                        0x10000 + ((lead - 0xD800) << 10 | (trail - 0xDC00))
                    }
                    code => code,
                };
                let c = char::from_u32(code).ok_or(NotJson)?;
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                return Ok(());
            }
            _ => return Err(NotJson),
        };
        out.push(byte);
        Ok(())
    }

    /// Four hex digits.
    fn hex4(&mut self) -> Result<u32, NotJson> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = char::from(self.next()?).to_digit(16).ok_or(NotJson)?;
            code = code << 4 | digit;
        }
        Ok(code)
    }
}

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(n) => n.serialize(serializer),
            Value::String(s) => serializer.serialize_str(s),
            Value::Array(items) => serializer.collect_seq(items),
            Value::Object(Map { members, .. }) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (name, value) in members {
                    map.serialize_entry(name.as_ref(), value)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_ends_a_plain_run_exactly_when_one_of_its_bytes_would() {
        let ends = |b: u8| b == b'"' || b == b'\\' || b < 0x20;
        // Every byte value at every position, among plain bytes of either half.
        for filler in [b'a', 0x7f, 0xff, 0x80, b' ', b'!', b'#', b'[', b']'] {
            for at in 0..8 {
                for b in 0..=255u8 {
                    let mut word = [filler; 8];
                    word[at] = b;
                    assert_eq!(
                        ends_plain_run(u64::from_le_bytes(word)),
                        ends(b),
                        "byte {b:#04x} at {at} among {filler:#04x}"
                    );
                }
            }
        }
    }

    /// The same text through serde_json's own `Value`.
    fn serde_value(text: &str) -> Option<serde_json::Value> {
        serde_json::from_str(text).ok()
    }

    #[test]
    fn a_string_is_written_as_serde_json_writes_it() {
        let mut every_ascii: String = (0u8..0x80).map(char::from).collect();
        every_ascii.push_str("é 🙂 \u{2028} \u{7f} end");
        for text in [
            "",
            "plain",
            "a\"b\\c",
            "line\nbreak\r\n\ttab",
            "\u{0}\u{1}\u{1f}\u{8}\u{c}",
            "\"\"",
            "\\",
            "ends with a quote\"",
            every_ascii.as_str(),
        ] {
            let mut out = String::from("x");
            push_string(&mut out, text);
            let serde = serde_json::to_string(text).unwrap();
            assert_eq!(out, format!("x{serde}"), "{text:?}");
        }
    }

    #[test]
    fn strings_without_escapes_borrow_from_the_text() {
        let text = br#"{"body":"Hi! Do you ship?","escaped":"a\"b"}"#;
        let value = from_slice(text).unwrap();
        assert!(matches!(
            value.get("body"),
            Some(Value::String(Cow::Borrowed("Hi! Do you ship?")))
        ));
        assert_eq!(value.get("escaped").and_then(Value::as_str), Some("a\"b"));
    }

    #[test]
    fn an_objects_text_is_exactly_as_written() {
        let text = r#" { "a" : [1, {"b":"\u00e9\/"} ], "c":{} } "#;
        let value = from_slice(text.as_bytes()).unwrap();
        assert_eq!(value.as_object().unwrap().text(), text.trim());
        let inner = value.get("a").and_then(Value::as_array).unwrap()[1]
            .as_object()
            .unwrap();
        assert_eq!(inner.text(), r#"{"b":"\u00e9\/"}"#);
        assert_eq!(
            value.get("c").and_then(Value::as_object).unwrap().text(),
            "{}"
        );
        // Equality is the members', not the spelling.
        assert_eq!(from_slice(br#"{"x": 1}"#), from_slice(br#"{ "x" :1 }"#));
    }

    #[test]
    fn members_keep_their_order_and_the_last_duplicate_wins() {
        let value =
            from_slice(br#"{"z":1,"a":{"k":"first","k":"second"},"m":[true,null]}"#).unwrap();
        assert_eq!(
            to_string(&value),
            r#"{"z":1,"a":{"k":"first","k":"second"},"m":[true,null]}"#
        );
        assert_eq!(
            value
                .get("a")
                .and_then(|a| a.get("k"))
                .and_then(Value::as_str),
            Some("second")
        );
    }

    #[test]
    fn accepts_and_rejects_exactly_what_serde_json_does() {
        let deep_ok = format!("{}{}", "[".repeat(127), "]".repeat(127));
        let too_deep = format!("{}{}", "[".repeat(128), "]".repeat(128));
        let deep_objects = format!("{}1{}", r#"{"a":"#.repeat(127), "}".repeat(127));
        let too_deep_objects = format!("{}1{}", r#"{"a":"#.repeat(128), "}".repeat(128));
        for text in [
            deep_objects.as_str(),
            too_deep_objects.as_str(),
            " [ 1 , 2 ] \n",
            "[01]",
            "[1.]",
            "[-]",
            "[1e]",
            "[1.5.3]",
            "[1-2]",
            "[+1]",
            "-0",
            "0",
            "1E5",
            "[1e-5, 2E+3, -12.5e0]",
            "[12345678901234567890123]",
            "-9223372036854775809",
            r#""\ud83d\ude00""#,
            r#""\ud83d""#,
            r#""\ud83dx""#,
            r#""\ud83d\u0041""#,
            r#""\udc00""#,
            r#""\x""#,
            r#""\u12""#,
            r#""\uZZZZ""#,
            r#""a\/b\b\f\r\t""#,
            "\"\t\"",
            "[\"\u{7f}\"]",
            "\u{feff}[]",
            "[1,]",
            "[,1]",
            r#"{"a" 1}"#,
            r#"{"a":1}}"#,
            r#"{1:2}"#,
            "tru",
            "true false",
            "nulll",
            r#"{"a":1}"#,
            r#"{"a":1,}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\u00e9\n"}"#,
            "[1e400]",
            "[-0.0, 1.5e-7, 18446744073709551615, -9223372036854775808]",
            "{\"a\":\"\u{1}\"}",
            "{} x",
            "",
            "nul",
            deep_ok.as_str(),
            too_deep.as_str(),
        ] {
            let ours = from_slice(text.as_bytes()).ok();
            let theirs = serde_value(text);
            assert_eq!(ours.is_some(), theirs.is_some(), "{text:?}");
            if let (Some(ours), Some(theirs)) = (ours, theirs) {
                // The same value, whatever the member order.
                let back: serde_json::Value = serde_json::from_str(&to_string(&ours)).unwrap();
                assert_eq!(back, theirs, "{text:?}");
            }
        }
    }

    #[test]
    fn invalid_utf8_in_a_string_is_refused() {
        assert!(from_slice(b"{\"a\":\"\xff\"}").is_err());
        assert!(
            from_slice(b"\"\xc3\\u00a9\"").is_err(),
            "a lead byte before an escape"
        );
        assert!(from_slice(b"\"\xc3\xa9\"").is_ok());
    }
}
