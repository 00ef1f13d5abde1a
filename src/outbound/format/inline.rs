//! Inline Markdown (one line, or a link label) to WhatsApp formatting: emphasis by the
//! CommonMark delimiter-run algorithm, code spans, links, autolinks and escapes. The rules
//! are in the parent module's documentation.

use std::borrow::Cow;

use super::{MAX_DEST_LEN, MAX_DEST_PARENS, MAX_LINK_DEPTH};

/// The character an escaped WhatsApp marker is sent as: a lookalike that WhatsApp never
/// takes for formatting (see the parent module's documentation).
pub(super) fn literal_marker(marker: u8) -> char {
    match marker {
        b'*' => '\u{2217}', // ∗ ASTERISK OPERATOR
        b'_' => '\u{FF3F}', // ＿ FULLWIDTH LOW LINE
        b'~' => '\u{223C}', // ∼ TILDE OPERATOR
        _ => '\u{02CB}',    // ˋ MODIFIER LETTER GRAVE ACCENT, for the backtick
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Strong,
    Em,
    Strike,
}

impl Kind {
    fn index(self) -> usize {
        match self {
            Kind::Strong => 0,
            Kind::Em => 1,
            Kind::Strike => 2,
        }
    }

    /// The kind whose [`Kind::index`] is `index`.
    fn of_index(index: u64) -> Kind {
        match index {
            0 => Kind::Strong,
            1 => Kind::Em,
            _ => Kind::Strike,
        }
    }

    fn marker(self) -> char {
        match self {
            Kind::Strong => '*',
            Kind::Em => '_',
            Kind::Strike => '~',
        }
    }
}

struct Delim {
    ch: char,
    orig: usize,
    count: usize,
    can_open: bool,
    can_close: bool,
    /// Kinds closed by this run, innermost first.
    close_marks: Marks,
    /// Kinds opened by this run, innermost first.
    open_marks: Marks,
    /// The runs before and after this one on the delimiter stack of
    /// [`Inline::process_emphasis`] (a doubly linked list through the runs).
    prev: Option<usize>,
    next: Option<usize>,
}

/// The kinds of emphasis a delimiter run opens or closes, in order. The first
/// [`Marks::PACKED`] are packed in a word, two bits each: a run of any real text needs no
/// allocation (a run opens or closes at most one kind per one or two of its characters,
/// so only a run of dozens of markers goes past them, into `more`).
#[derive(Default)]
struct Marks {
    packed: u64,
    len: usize,
    more: Vec<Kind>,
}

impl Marks {
    const PACKED: usize = 32;

    fn push(&mut self, kind: Kind) {
        if self.len < Self::PACKED {
            self.packed |= (kind.index() as u64) << (2 * self.len);
        } else {
            self.more.push(kind);
        }
        self.len += 1;
    }

    fn get(&self, at: usize) -> Option<Kind> {
        if at >= self.len {
            None
        } else if at < Self::PACKED {
            Some(Kind::of_index((self.packed >> (2 * at)) & 3))
        } else {
            self.more.get(at - Self::PACKED).copied()
        }
    }

    /// The kinds in order.
    fn iter(&self) -> impl DoubleEndedIterator<Item = Kind> + '_ {
        (0..self.len).filter_map(|at| self.get(at))
    }
}

/// A token of a line: text (a slice of the line where it can be, so a line of plain runs
/// between delimiters allocates nothing for them) or a delimiter run.
enum Tok<'a> {
    Text(Cow<'a, str>),
    Delim(usize),
}

/// Convert one line (or link label) of inline Markdown, appending to `out`.
/// `in_strong`: already inside bold (a header), so bold markers are not emitted again.
pub(super) fn inline(src: &str, out: &mut String, in_strong: bool, depth: usize) {
    // Without a byte that starts an inline construct (an escape, code, a link, an angle
    // link or `<br>`, emphasis) the scan would copy the line as it is (bare URLs are
    // copied as typed): copy it without the scan.
    if !src
        .bytes()
        .any(|b| matches!(b, b'\\' | b'`' | b'[' | b'<' | b'*' | b'_' | b'~'))
    {
        out.push_str(src);
        return;
    }
    let mut p = Inline::new(src, in_strong, depth);
    p.scan();
    p.process_emphasis();
    p.render(out);
}

struct Inline<'a> {
    src: &'a str,
    in_strong: bool,
    depth: usize,
    toks: Vec<Tok<'a>>,
    delims: Vec<Delim>,
    /// The backtick runs as (length, start offset), sorted: the runs of one length are
    /// together, by offset. (Sorted vectors rather than maps: the same lookups in far less
    /// wasm than two `BTreeMap` instantiations.)
    ticks: Vec<(usize, usize)>,
    /// (`[` offset, matching `]` offset), sorted by the `[`.
    brackets: Vec<(usize, usize)>,
}

fn run_len(bytes: &[u8], at: usize, b: u8) -> usize {
    bytes
        .get(at..)
        .map_or(0, |r| r.iter().take_while(|&&x| x == b).count())
}

fn is_punct(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace()
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
}

impl<'a> Inline<'a> {
    fn new(src: &'a str, in_strong: bool, depth: usize) -> Self {
        let bytes = src.as_bytes();
        let mut ticks = Vec::new();
        if src.contains('`') {
            let mut i = 0;
            while i < bytes.len() {
                let n = run_len(bytes, i, b'`');
                if n > 0 {
                    ticks.push((n, i));
                    i += n;
                } else {
                    i += 1;
                }
            }
            ticks.sort();
        }
        let mut me = Inline {
            src,
            in_strong,
            depth,
            // Room for a line with a few emphasis runs, allocated once: growing from
            // empty reallocates at the fifth token.
            toks: Vec::with_capacity(8),
            delims: Vec::with_capacity(4),
            ticks,
            brackets: Vec::new(),
        };
        if depth < MAX_LINK_DEPTH && src.contains('[') {
            me.brackets = me.match_brackets();
        }
        me
    }

    /// Start of the closing backtick run for an opening run of `n` ending at `from`.
    fn code_close(&self, from: usize, n: usize) -> Option<usize> {
        let k = self.ticks.partition_point(|&run| run < (n, from));
        self.ticks
            .get(k)
            .and_then(|&(len, start)| (len == n).then_some(start))
    }

    fn match_brackets(&self) -> Vec<(usize, usize)> {
        let bytes = self.src.as_bytes();
        let mut map = Vec::new();
        let mut stack = Vec::new();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'\\' => {
                    i += if bytes.get(i + 1).is_some_and(u8::is_ascii_punctuation) {
                        2
                    } else {
                        1
                    };
                }
                b'`' => {
                    let n = run_len(bytes, i, b'`');
                    i = match self.code_close(i + n, n) {
                        Some(c) => c + n,
                        None => i + n,
                    };
                }
                b'[' => {
                    stack.push(i);
                    i += 1;
                }
                b']' => {
                    if let Some(o) = stack.pop() {
                        map.push((o, i));
                    }
                    i += 1;
                }
                _ => i += 1,
            }
        }
        map.sort();
        map
    }

    /// Appends `s` to the text token at the end, if the last token is text.
    fn extend_text(&mut self, s: &str) -> bool {
        match self.toks.last_mut() {
            Some(Tok::Text(t)) => {
                t.to_mut().push_str(s);
                true
            }
            _ => false,
        }
    }

    /// Appends text made for the output (a rendered link, code span or literal marker).
    fn push_text(&mut self, s: &str) {
        if !s.is_empty() && !self.extend_text(s) {
            self.toks.push(Tok::Text(Cow::Owned(s.to_string())));
        }
    }

    /// Appends the line's own text from `from` to `to`, borrowed unless it follows text.
    fn flush(&mut self, from: usize, to: usize) {
        let Some(s) = self.src.get(from..to).filter(|s| !s.is_empty()) else {
            return;
        };
        if !self.extend_text(s) {
            self.toks.push(Tok::Text(Cow::Borrowed(s)));
        }
    }

    fn prev_char(&self, at: usize) -> Option<char> {
        self.src.get(..at).and_then(|s| s.chars().next_back())
    }

    fn next_char(&self, at: usize) -> Option<char> {
        self.src.get(at..).and_then(|s| s.chars().next())
    }

    fn scan(&mut self) {
        let src = self.src;
        let bytes = src.as_bytes();
        let mut i = 0;
        let mut text_start = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'\\' => match bytes.get(i + 1) {
                    // An escaped marker: sent as a lookalike that is never formatting
                    // (WhatsApp has no escape; see the module documentation).
                    Some(&marker @ (b'*' | b'_' | b'~' | b'`')) => {
                        self.flush(text_start, i);
                        let mut literal = [0u8; 4];
                        self.push_text(literal_marker(marker).encode_utf8(&mut literal));
                        i += 2;
                        text_start = i;
                    }
                    Some(next) if next.is_ascii_punctuation() => {
                        self.flush(text_start, i);
                        text_start = i + 1;
                        i += 2;
                    }
                    _ => i += 1,
                },
                b'`' => {
                    let n = run_len(bytes, i, b'`');
                    match self.code_close(i + n, n) {
                        Some(c) => {
                            self.flush(text_start, i);
                            let content = src.get(i + n..c).unwrap_or("");
                            let raw = src.get(i..c + n).unwrap_or("");
                            let code = render_code(n, content, raw);
                            self.push_text(&code);
                            i = c + n;
                            text_start = i;
                        }
                        None => i += n,
                    }
                }
                b'!' | b'[' => {
                    let open = if b == b'!' { i + 1 } else { i };
                    let link = if bytes.get(open) == Some(&b'[') {
                        self.link(open)
                    } else {
                        None
                    };
                    match link {
                        Some((text, end)) => {
                            self.flush(text_start, i);
                            self.push_text(&text);
                            i = end;
                            text_start = i;
                        }
                        None => i += 1,
                    }
                }
                b'<' => match angle(src, i) {
                    Some((text, end)) => {
                        self.flush(text_start, i);
                        self.push_text(&text);
                        i = end;
                        text_start = i;
                    }
                    None => i += 1,
                },
                b'*' | b'_' | b'~' => {
                    let n = run_len(bytes, i, b);
                    if b == b'~' && n != 2 {
                        i += n;
                        continue;
                    }
                    self.flush(text_start, i);
                    self.push_delim(char::from(b), i, n);
                    i += n;
                    text_start = i;
                }
                b'h' | b'H' | b'w' | b'W' | b'f' | b'F' => match self.bare_url(i) {
                    Some(end) => {
                        // The URL is copied as typed: it stays in the pending text run.
                        self.flush(text_start, end);
                        i = end;
                        text_start = i;
                    }
                    None => i += 1,
                },
                _ => i += 1,
            }
        }
        self.flush(text_start, bytes.len());
    }

    fn push_delim(&mut self, ch: char, at: usize, n: usize) {
        let prev = self.prev_char(at);
        let next = self.next_char(at + n);
        let prev_ws = prev.is_none_or(char::is_whitespace);
        let next_ws = next.is_none_or(char::is_whitespace);
        let prev_p = prev.is_some_and(is_punct);
        let next_p = next.is_some_and(is_punct);
        let left = !next_ws && (!next_p || prev_ws || prev_p);
        let right = !prev_ws && (!prev_p || next_ws || next_p);
        let (can_open, can_close) = if ch == '_' {
            (left && (!right || prev_p), right && (!left || next_p))
        } else {
            (left, right)
        };
        let k = self.delims.len();
        self.toks.push(Tok::Delim(k));
        self.delims.push(Delim {
            ch,
            orig: n,
            count: n,
            can_open,
            can_close,
            close_marks: Marks::default(),
            open_marks: Marks::default(),
            // The last run's `next` is cleared when the stack is processed.
            prev: k.checked_sub(1),
            next: Some(k + 1),
        });
    }

    /// `[label](dest)` starting at the `[` at `open`: rendered text and end offset.
    fn link(&self, open: usize) -> Option<(String, usize)> {
        let k = self
            .brackets
            .binary_search_by_key(&open, |&(o, _)| o)
            .ok()?;
        let &(_, close) = self.brackets.get(k)?;
        let label = self.src.get(open + 1..close)?;
        if self.src.as_bytes().get(close + 1) != Some(&b'(') {
            return None;
        }
        let (dest, end) = link_tail(self.src, close + 2)?;
        let mut label_out = String::new();
        inline(label, &mut label_out, self.in_strong, self.depth + 1);
        Some((render_link(&label_out, &dest), end))
    }

    /// End offset of a bare URL starting at `at`, if one starts there.
    fn bare_url(&self, at: usize) -> Option<usize> {
        let rest = self.src.get(at..)?;
        // Every prefix's second letter is `t` or `w`: most words starting with h, w or f
        // are told apart here, before the look back and the prefixes are compared.
        if !matches!(rest.as_bytes().get(1), Some(b't' | b'T' | b'w' | b'W')) {
            return None;
        }
        if self.prev_char(at).is_some_and(char::is_alphanumeric) {
            return None;
        }
        let prefix = ["https://", "http://", "ftp://", "www."]
            .into_iter()
            .find(|p| starts_with_ci(rest, p))?;
        let len = rest
            .find(|c: char| c.is_whitespace() || c == '<')
            .unwrap_or(rest.len());
        let mut url = rest.get(..len)?;
        let open = url.matches('(').count();
        let mut close = url.matches(')').count();
        while let Some(last) = url.chars().next_back() {
            let trim = match last {
                '?' | '!' | '.' | ',' | ':' | ';' | '*' | '_' | '~' | '\'' | '"' => true,
                ')' => close > open,
                _ => false,
            };
            if !trim {
                break;
            }
            if last == ')' {
                close -= 1;
            }
            url = url.get(..url.len() - last.len_utf8())?;
        }
        if url.len() <= prefix.len() {
            return None;
        }
        Some(at + url.len())
    }

    fn process_emphasis(&mut self) {
        let Some(last) = self.delims.last_mut() else {
            return;
        };
        last.next = None;
        // Lowest delimiter index an opener may have, per (char, closer can_open, orig % 3).
        let mut floor = [[[0usize; 3]; 2]; 3];
        let mut cur = Some(0);
        while let Some(c) = cur {
            let Some(closer) = self.delims.get(c) else {
                break;
            };
            if !closer.can_close || closer.count == 0 {
                cur = next_of(&self.delims, c);
                continue;
            }
            let ci = match closer.ch {
                '*' => 0,
                '_' => 1,
                _ => 2,
            };
            let slot = (ci, usize::from(closer.can_open), closer.orig % 3);
            let bottom = floor
                .get(slot.0)
                .and_then(|a| a.get(slot.1))
                .and_then(|a| a.get(slot.2))
                .copied()
                .unwrap_or(0);
            let mut found = None;
            let mut o = prev_of(&self.delims, c);
            while let Some(oi) = o {
                if oi < bottom {
                    break;
                }
                if let Some(od) = self.delims.get(oi) {
                    if od.ch == closer.ch && od.can_open && od.count > 0 && compatible(od, closer) {
                        found = Some(oi);
                        break;
                    }
                }
                o = prev_of(&self.delims, oi);
            }
            match found {
                Some(oi) => {
                    let (oc, cc) = match (self.delims.get(oi), self.delims.get(c)) {
                        (Some(a), Some(b)) => (a.count, b.count),
                        _ => break,
                    };
                    let (used, kind) = if closer_ch_is_tilde(&self.delims, c) {
                        (2, Kind::Strike)
                    } else if oc >= 3 && cc >= 3 {
                        (1, Kind::Em)
                    } else if oc >= 2 && cc >= 2 {
                        (2, Kind::Strong)
                    } else {
                        (1, Kind::Em)
                    };
                    if let Some(od) = self.delims.get_mut(oi) {
                        od.count = od.count.saturating_sub(used);
                        od.open_marks.push(kind);
                    }
                    if let Some(cd) = self.delims.get_mut(c) {
                        cd.count = cd.count.saturating_sub(used);
                        cd.close_marks.push(kind);
                    }
                    // Everything between opener and closer leaves the stack.
                    set_next(&mut self.delims, oi, Some(c));
                    set_prev(&mut self.delims, c, Some(oi));
                    if oc <= used {
                        unlink(&mut self.delims, oi);
                    }
                    if cc <= used {
                        cur = next_of(&self.delims, c);
                        unlink(&mut self.delims, c);
                    }
                }
                None => {
                    if let Some(cell) = floor
                        .get_mut(slot.0)
                        .and_then(|a| a.get_mut(slot.1))
                        .and_then(|a| a.get_mut(slot.2))
                    {
                        *cell = c;
                    }
                    let can_open = self.delims.get(c).is_some_and(|d| d.can_open);
                    cur = next_of(&self.delims, c);
                    if !can_open {
                        unlink(&mut self.delims, c);
                    }
                }
            }
        }
    }

    fn render(&self, out: &mut String) {
        // Open emphasis per kind (Strong, Em, Strike); a header starts inside Strong.
        let mut depth = [usize::from(self.in_strong), 0, 0];
        for tok in &self.toks {
            match tok {
                Tok::Text(t) => out.push_str(t),
                Tok::Delim(k) => {
                    let Some(d) = self.delims.get(*k) else {
                        continue;
                    };
                    for kind in d.close_marks.iter() {
                        if let Some(level) = depth.get_mut(kind.index()) {
                            *level = level.saturating_sub(1);
                            if *level == 0 {
                                out.push(kind.marker());
                            }
                        }
                    }
                    for _ in 0..d.count {
                        out.push(d.ch);
                    }
                    for kind in d.open_marks.iter().rev() {
                        if let Some(level) = depth.get_mut(kind.index()) {
                            if *level == 0 {
                                out.push(kind.marker());
                            }
                            *level += 1;
                        }
                    }
                }
            }
        }
    }
}

fn closer_ch_is_tilde(delims: &[Delim], c: usize) -> bool {
    delims.get(c).is_some_and(|d| d.ch == '~')
}

fn compatible(opener: &Delim, closer: &Delim) -> bool {
    if closer.ch == '~' {
        return opener.count == 2 && closer.count == 2;
    }
    let odd = (opener.can_close || closer.can_open)
        && (opener.orig + closer.orig).is_multiple_of(3)
        && !(opener.orig.is_multiple_of(3) && closer.orig.is_multiple_of(3));
    !odd
}

fn prev_of(delims: &[Delim], k: usize) -> Option<usize> {
    delims.get(k).and_then(|d| d.prev)
}

fn next_of(delims: &[Delim], k: usize) -> Option<usize> {
    delims.get(k).and_then(|d| d.next)
}

fn set_prev(delims: &mut [Delim], k: usize, value: Option<usize>) {
    if let Some(d) = delims.get_mut(k) {
        d.prev = value;
    }
}

fn set_next(delims: &mut [Delim], k: usize, value: Option<usize>) {
    if let Some(d) = delims.get_mut(k) {
        d.next = value;
    }
}

/// Takes run `k` off the delimiter stack.
fn unlink(delims: &mut [Delim], k: usize) {
    let p = prev_of(delims, k);
    let n = next_of(delims, k);
    if let Some(p) = p {
        set_next(delims, p, n);
    }
    if let Some(n) = n {
        set_prev(delims, n, p);
    }
    set_prev(delims, k, None);
    set_next(delims, k, None);
}

/// A code span of `n` backticks around `content`; `raw` is the span as typed.
fn render_code(n: usize, content: &str, raw: &str) -> String {
    if n == 1 {
        return raw.to_string();
    }
    let stripped = if content.len() >= 2
        && content.starts_with(' ')
        && content.ends_with(' ')
        && !content.bytes().all(|b| b == b' ')
    {
        content.get(1..content.len() - 1).unwrap_or(content)
    } else {
        content
    };
    if n == 2 && !stripped.is_empty() && !stripped.contains('`') {
        format!("`{stripped}`")
    } else {
        raw.to_string()
    }
}

fn skip_blanks(bytes: &[u8], mut i: usize) -> usize {
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(&n) = chars.peek() {
                if n.is_ascii_punctuation() {
                    out.push(n);
                    chars.next();
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

/// Parse `dest "title")` starting right after `(`: destination and end offset (after `)`).
fn link_tail(src: &str, from: usize) -> Option<(String, usize)> {
    let bytes = src.as_bytes();
    let mut i = skip_blanks(bytes, from);
    let dest;
    if bytes.get(i) == Some(&b'<') {
        let start = i + 1;
        let mut j = start;
        loop {
            match bytes.get(j) {
                Some(b'>') => break,
                Some(b'<' | b'\n') | None => return None,
                Some(b'\\') if bytes.get(j + 1).is_some_and(u8::is_ascii_punctuation) => j += 2,
                Some(_) => j += 1,
            }
            if j - start > MAX_DEST_LEN {
                return None;
            }
        }
        dest = unescape(src.get(start..j)?);
        i = j + 1;
    } else {
        let start = i;
        let mut j = i;
        let mut depth = 0usize;
        loop {
            match bytes.get(j) {
                None => break,
                Some(&c) if c <= b' ' || c == 0x7f => break,
                Some(b'\\') if bytes.get(j + 1).is_some_and(u8::is_ascii_punctuation) => j += 2,
                Some(b'(') => {
                    depth += 1;
                    if depth > MAX_DEST_PARENS {
                        return None;
                    }
                    j += 1;
                }
                Some(b')') => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                    j += 1;
                }
                Some(_) => j += 1,
            }
            if j - start > MAX_DEST_LEN {
                return None;
            }
        }
        if depth != 0 {
            return None;
        }
        dest = unescape(src.get(start..j)?);
        i = j;
    }
    let before_title = i;
    i = skip_blanks(bytes, i);
    if i > before_title {
        let closer = match bytes.get(i) {
            Some(b'"') => Some(b'"'),
            Some(b'\'') => Some(b'\''),
            Some(b'(') => Some(b')'),
            _ => None,
        };
        if let Some(closer) = closer {
            let start = i + 1;
            let mut j = start;
            loop {
                match bytes.get(j) {
                    None => return None,
                    Some(b'\\') if bytes.get(j + 1).is_some_and(u8::is_ascii_punctuation) => j += 2,
                    Some(&c) if c == closer => break,
                    Some(_) => j += 1,
                }
                if j - start > MAX_DEST_LEN {
                    return None;
                }
            }
            i = skip_blanks(bytes, j + 1);
        }
    }
    if bytes.get(i) != Some(&b')') {
        return None;
    }
    Some((dest, i + 1))
}

fn url_core(s: &str) -> &str {
    let mut s = s.trim();
    for prefix in ["https://", "http://", "mailto:"] {
        if starts_with_ci(s, prefix) {
            s = s.get(prefix.len()..).unwrap_or(s);
            break;
        }
    }
    if starts_with_ci(s, "www.") {
        s = s.get(4..).unwrap_or(s);
    }
    s.trim_end_matches('/')
}

fn render_link(label: &str, dest: &str) -> String {
    if dest.is_empty() {
        return label.to_string();
    }
    if label.trim().is_empty() || url_core(label).eq_ignore_ascii_case(url_core(dest)) {
        return dest.to_string();
    }
    format!("{label} ({dest})")
}

/// `<br>` / `<br/>` / `<br />` or an autolink `<scheme:...>` / `<user@host>` at `at`.
fn angle(src: &str, at: usize) -> Option<(String, usize)> {
    let rest = src.get(at..)?;
    if starts_with_ci(rest, "<br") {
        let after = rest.get(3..)?;
        let t = after.trim_start_matches(' ');
        let t = t.strip_prefix('/').unwrap_or(t);
        if t.starts_with('>') {
            return Some(("\n".to_string(), at + (rest.len() - t.len()) + 1));
        }
    }
    let body = rest.get(1..)?;
    let len = body.find(|c: char| c == '>' || c == '<' || c.is_whitespace() || c.is_control())?;
    if !body.get(len..)?.starts_with('>') || len == 0 {
        return None;
    }
    let inner = body.get(..len)?;
    if is_uri(inner) || is_email(inner) {
        Some((inner.to_string(), at + 1 + len + 1))
    } else {
        None
    }
}

fn is_uri(s: &str) -> bool {
    let Some(colon) = s.find(':') else {
        return false;
    };
    let scheme = s.get(..colon).unwrap_or("");
    (2..=32).contains(&scheme.len())
        && scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
}

fn is_email(s: &str) -> bool {
    let Some((user, host)) = s.split_once('@') else {
        return false;
    };
    !user.is_empty()
        && host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c))
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}
