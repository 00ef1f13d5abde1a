//! Splitting a (converted) message into WhatsApp-sized chunks.
//!
//! [`split`] cuts a text into chunks of at most `limit` UTF-16 code units each (Meta's 4096
//! "characters" limit holds however Meta counts: UTF-16 units >= Unicode scalars >= grapheme
//! clusters). It never cuts inside a `char` (hence never inside a surrogate pair) and, best
//! effort, never inside a grapheme cluster: not before a combining mark, variation selector,
//! emoji modifier, tag character or ZWJ, not after a ZWJ, not inside a regional-indicator
//! (flag) pair, not between `\r` and `\n`.
//!
//! # Where it cuts
//!
//! For each chunk the splitter looks at the longest prefix of the rest that fits, and picks
//! among the whitespace runs (ASCII whitespace: space, `\t`, `\n`, `\x0C`, `\r`) inside it,
//! looking back from the limit:
//! 1. a paragraph break (a run with two or more `\n`), or a line break right before an opening
//!    ```` ``` ```` fence line (so a code block opened near the end of a chunk moves to the next);
//! 2. a line break (exactly one `\n`);
//! 3. any other whitespace;
//!
//! taking the highest class whose cut leaves the chunk at least half full, else the last
//! whitespace run anywhere, else a hard cut at the last grapheme boundary that fits (else the
//! last char boundary, for pathological clusters longer than a chunk).
//!
//! At a whitespace cut the run is consumed: the chunk ends before it, and the next chunk starts
//! after the run's last `\n` (keeping the next line's indentation) or, without a `\n`, after
//! the run. Whitespace at the very end of the text that would form a chunk of its own is
//! dropped. A hard cut consumes nothing.
//!
//! # Code fences
//!
//! A *fence line* is a line whose first characters other than space and tab are three or more
//! backticks, with no further backtick on the line; each fence line toggles "inside a code
//! block" at the byte right after its backtick run. When a cut falls inside a code block, the
//! chunk gets [`CLOSE`] (`"\n```"`) appended and the next chunk gets [`REOPEN`] (`"```\n"`)
//! prepended, so each chunk renders on its own; both count toward the limit. The splitter
//! avoids cuts that would leave an empty code block (right after the opening fence line) or
//! start a chunk with the closing fence line.
//!
//! # Invariants (checked by [`verify`])
//!
//! With `L = max(limit, MIN_LIMIT)`:
//! * `split("", _)` is empty; if `utf16_len(text) <= L` the result is exactly `[text]`.
//! * Every chunk is non-empty and `utf16_len(chunk) <= L`.
//! * Reconstruction: there are byte offsets `s_0 = 0 <= e_0 <= s_1 <= e_1 <= ... <= e_{n-1}` in
//!   `text` with `s_i < e_i`, where every gap `text[e_i..s_{i+1}]` and the tail
//!   `text[e_{n-1}..]` consist of ASCII whitespace only, and
//!   `chunk_i == R_i + text[s_i..e_i] + C_i`, where `R_i` is [`REOPEN`] if `s_i` is inside a
//!   code block (per the fence-line rule above, applied to `text`) and empty otherwise, and
//!   `C_i` is [`CLOSE`] if `e_i` is inside a code block and `i < n - 1`, empty otherwise (the
//!   last chunk is never closed: a fence the input leaves open stays open).
//!
//! In words: drop the added fences, and the chunks concatenated with the consumed whitespace
//! put back are the input. (A `rejoin(chunks)` without the input cannot be exact, since the
//! consumed whitespace is not in the chunks; [`verify`] checks the rule from `text` and the
//! chunks alone, without using the splitter.)
//!
//! `limit`s below [`MIN_LIMIT`] (16) are raised to it: a chunk must have room for both added
//! fences plus at least one character. Time is linear in the input (each chunk scans at most a
//! window of about `limit` characters plus the whitespace it consumes).

/// Meta's limit for a text message body.
pub const MAX_TEXT: usize = 4096;
/// Smallest effective limit; smaller values are raised to this.
pub const MIN_LIMIT: usize = 16;
/// Prepended to a chunk that starts inside a code block.
pub const REOPEN: &str = "```\n";
/// Appended to a chunk that ends inside a code block.
pub const CLOSE: &str = "\n```";

const FENCE_UNITS: usize = 4;
/// How far past the window a whitespace run is inspected to classify it.
const LOOKAHEAD: usize = 1024;

/// Length of `s` in UTF-16 code units.
pub fn utf16_len(s: &str) -> usize {
    // From the bytes, without decoding: each character is one unit for its first byte
    // (every byte but a continuation byte `10xxxxxx`), and one more when it is four bytes
    // long (lead byte `11110xxx`: a surrogate pair in UTF-16).
    s.bytes()
        .map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0))
        .sum()
}

/// Split `text` into chunks of at most `max(limit, MIN_LIMIT)` UTF-16 units (module docs).
/// Empty input gives no chunks.
pub fn split(text: &str, limit: usize) -> Vec<String> {
    spans(text, limit)
        .iter()
        .map(|span| span.render(text))
        .collect()
}

/// [`split`], taking the text: a text within the limit is the one chunk as it is, not a
/// copy of it.
pub fn split_owned(text: String, limit: usize) -> Vec<String> {
    if fits_whole(&text, limit) {
        return vec![text];
    }
    split(&text, limit)
}

/// Whether `text` is one chunk as it is: at most `limit` bytes are at most `limit` UTF-16
/// units (a character never has more units than bytes), so a short reply needs no scan.
fn fits_whole(text: &str, limit: usize) -> bool {
    !text.is_empty() && text.len() <= limit.max(MIN_LIMIT)
}

/// Check that `chunks` is a valid split of `text` for `limit` under the invariants in the
/// module documentation (independently of how [`split`] chose its cuts).
pub fn verify(text: &str, limit: usize, chunks: &[String]) -> Result<(), String> {
    let limit = limit.max(MIN_LIMIT);
    if text.is_empty() {
        return if chunks.is_empty() {
            Ok(())
        } else {
            Err("empty text must give no chunks".to_string())
        };
    }
    if utf16_len(text) <= limit && chunks != [text] {
        return Err("text within the limit must be returned as the only chunk".to_string());
    }
    for (i, chunk) in chunks.iter().enumerate() {
        if chunk.is_empty() {
            return Err(format!("chunk {i} is empty"));
        }
        let units = utf16_len(chunk);
        if units > limit {
            return Err(format!("chunk {i} has {units} UTF-16 units > {limit}"));
        }
    }
    let fences = Fences::new(text);
    let bytes = text.as_bytes();
    let mut starts = vec![0usize];
    for (i, chunk) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        let mut next = Vec::new();
        for &s in &starts {
            let body = if fences.inside(s) {
                match chunk.strip_prefix(REOPEN) {
                    Some(b) => b,
                    None => continue,
                }
            } else {
                chunk.as_str()
            };
            for close in [false, true] {
                if close && last {
                    continue;
                }
                let content = if close {
                    match body.strip_suffix(CLOSE) {
                        Some(c) => c,
                        None => continue,
                    }
                } else {
                    body
                };
                if content.is_empty() || !text.get(s..).is_some_and(|t| t.starts_with(content)) {
                    continue;
                }
                let e = s + content.len();
                if !last && fences.inside(e) != close {
                    continue;
                }
                let gap_end = e + bytes.get(e..).map_or(0, |t| {
                    t.iter().take_while(|b| b.is_ascii_whitespace()).count()
                });
                if last {
                    if gap_end == text.len() {
                        return Ok(());
                    }
                } else {
                    next.extend((e..=gap_end).filter(|&k| k < text.len()));
                }
            }
        }
        next.sort_unstable();
        next.dedup();
        if next.is_empty() {
            return Err(format!("chunk {i} does not continue the text"));
        }
        starts = next;
    }
    Err("chunks do not cover the text".to_string())
}

/// One chunk: `text[start..end]`, with the added fences.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: usize,
    end: usize,
    reopen: bool,
    close: bool,
}

impl Span {
    fn render(&self, text: &str) -> String {
        let body = text.get(self.start..self.end).unwrap_or("");
        let mut s = String::with_capacity(body.len() + 8);
        if self.reopen {
            s.push_str(REOPEN);
        }
        s.push_str(body);
        if self.close {
            s.push_str(CLOSE);
        }
        s
    }
}

/// Fence lines of a text (see the module docs).
struct Fences {
    /// Toggle offsets (right after each fence line's backticks), ascending.
    toggles: Vec<usize>,
    /// End offset (the `\n` or text end) of each fence line, parallel to `toggles`.
    line_ends: Vec<usize>,
    /// Start offset of each fence line, ascending.
    line_starts: Vec<usize>,
}

impl Fences {
    fn new(text: &str) -> Self {
        let mut f = Fences {
            toggles: Vec::new(),
            line_ends: Vec::new(),
            line_starts: Vec::new(),
        };
        let mut line_start = 0;
        for line in text.split('\n') {
            let trimmed = line.trim_start_matches([' ', '\t']);
            let ticks = trimmed.len() - trimmed.trim_start_matches('`').len();
            if ticks >= 3 && !trimmed.get(ticks..).unwrap_or("`").contains('`') {
                let lead = line.len() - trimmed.len();
                f.toggles.push(line_start + lead + ticks);
                f.line_ends.push(line_start + line.len());
                f.line_starts.push(line_start);
            }
            line_start += line.len() + 1;
        }
        f
    }

    /// Number of toggles at or before `pos`.
    fn count(&self, pos: usize) -> usize {
        self.toggles.partition_point(|&t| t <= pos)
    }

    fn inside(&self, pos: usize) -> bool {
        self.count(pos) % 2 == 1
    }

    /// Inside a block whose opening fence line has not ended yet at `pos`.
    fn on_opening_line(&self, pos: usize) -> bool {
        let k = self.count(pos);
        k % 2 == 1
            && k.checked_sub(1)
                .and_then(|i| self.line_ends.get(i))
                .is_some_and(|&end| pos <= end)
    }

    fn is_fence_line_start(&self, pos: usize) -> bool {
        self.line_starts.binary_search(&pos).is_ok()
    }
}

/// A whitespace run inside the window.
#[derive(Clone, Copy)]
struct Run {
    /// Offset of its first character (the cut).
    a: usize,
    /// UTF-16 units from the chunk start to `a`.
    units: usize,
    newlines: usize,
    /// Offset right after the last `\n` seen.
    last_nl_end: Option<usize>,
}

enum Cut {
    /// The whole rest fits.
    Rest,
    /// Chunk ends at `p`; the next one starts at `q` (`None`: only whitespace follows).
    At { p: usize, q: Option<usize> },
}

fn spans(text: &str, limit: usize) -> Vec<Span> {
    let limit = limit.max(MIN_LIMIT);
    let mut out = Vec::new();
    if text.is_empty() {
        return out;
    }
    // The whole text is the one chunk, and its fences (if any) are its own.
    if fits_whole(text, limit) {
        out.push(Span {
            start: 0,
            end: text.len(),
            reopen: false,
            close: false,
        });
        return out;
    }
    let fences = Fences::new(text);
    let mut start = 0;
    while start < text.len() {
        let reopen = fences.inside(start);
        let budget = limit.saturating_sub(if reopen { FENCE_UNITS } else { 0 });
        match cut(text, start, budget, &fences) {
            Cut::Rest => {
                out.push(Span {
                    start,
                    end: text.len(),
                    reopen,
                    close: false,
                });
                break;
            }
            Cut::At { p, q } => {
                // Progress: p > start and q >= p.
                let next = q.filter(|&q| q > start && q < text.len());
                out.push(Span {
                    start,
                    end: p,
                    reopen,
                    close: next.is_some() && fences.inside(p),
                });
                match next {
                    Some(q) => start = q,
                    None => break,
                }
            }
        }
    }
    out
}

struct Chooser<'a> {
    fences: &'a Fences,
    budget: usize,
    half: usize,
    /// Best candidate per class (index 1..=3) among those leaving the chunk half full.
    best: [Option<Run>; 4],
    latest: Option<Run>,
}

impl Chooser<'_> {
    /// Consider cutting at whitespace run `r`; `q` is where the next chunk would start, if
    /// known.
    fn consider(&mut self, r: Run, q: Option<usize>) {
        let inside = self.fences.inside(r.a);
        let needed = r.units + if inside { FENCE_UNITS } else { 0 };
        if needed > self.budget {
            return;
        }
        let next_is_fence = q.is_some_and(|q| self.fences.is_fence_line_start(q));
        if inside && (self.fences.on_opening_line(r.a) || next_is_fence) {
            return;
        }
        let class = match r.newlines {
            0 => 1,
            1 if !next_is_fence || inside => 2,
            _ => 3,
        };
        self.latest = Some(r);
        if r.units >= self.half {
            if let Some(slot) = self.best.get_mut(class) {
                *slot = Some(r);
            }
        }
    }

    fn choice(&self) -> Option<Run> {
        self.best.iter().rev().find_map(|r| *r).or(self.latest)
    }
}

/// Decide where the chunk starting at `start` ends.
fn cut(text: &str, start: usize, budget: usize, fences: &Fences) -> Cut {
    let rest = text.get(start..).unwrap_or("");
    // At most `budget` bytes are at most `budget` UTF-16 units (a character never has
    // more units than bytes): the rest fits, as the scan below would find after reading
    // it whole. A short reply, and the last chunk of a long text, skip the scan.
    if rest.len() <= budget {
        return Cut::Rest;
    }
    let mut chooser = Chooser {
        fences,
        budget,
        half: budget / 2,
        best: [None; 4],
        latest: None,
    };
    let mut units = 0usize;
    let mut hard = None;
    let mut run: Option<Run> = None;
    let mut leading = true;
    for (off, c) in rest.char_indices() {
        let pos = start + off;
        let cu = c.len_utf16();
        if units + cu > budget {
            hard = Some((pos, units));
            break;
        }
        if c.is_ascii_whitespace() {
            if !leading && run.is_none() {
                run = Some(Run {
                    a: pos,
                    units,
                    newlines: 0,
                    last_nl_end: None,
                });
            }
            if c == '\n' {
                if let Some(r) = run.as_mut() {
                    r.newlines += 1;
                    r.last_nl_end = Some(pos + 1);
                }
            }
        } else {
            leading = false;
            if let Some(r) = run.take() {
                chooser.consider(r, Some(r.last_nl_end.unwrap_or(pos)));
            }
        }
        units += cu;
    }
    let Some((hard, hard_units)) = hard else {
        return Cut::Rest;
    };
    if let Some(mut r) = run.take() {
        // The run crosses the window end: classify it with a bounded look-ahead.
        let mut end = None;
        let tail = text.get(hard..).unwrap_or("");
        for (off, c) in tail.char_indices().take(LOOKAHEAD) {
            if !c.is_ascii_whitespace() {
                end = Some(hard + off);
                break;
            }
            if c == '\n' {
                r.newlines += 1;
                r.last_nl_end = Some(hard + off + 1);
            }
        }
        let q = match (r.last_nl_end, end) {
            (Some(q), _) => Some(q),
            (None, Some(e)) => Some(e),
            (None, None) => None,
        };
        chooser.consider(r, q);
    }
    if let Some(r) = chooser.choice() {
        let (q, run_end) = finish_run(text, r.a);
        return Cut::At {
            p: r.a,
            q: (run_end < text.len()).then_some(q),
        };
    }
    let p = hard_cut(text, start, hard, hard_units, budget, fences);
    Cut::At { p, q: Some(p) }
}

/// From the start `a` of a whitespace run: (start of the next chunk, end of the run).
fn finish_run(text: &str, a: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let mut i = a;
    let mut q = None;
    while let Some(&b) = bytes.get(i) {
        if !b.is_ascii_whitespace() {
            break;
        }
        i += 1;
        if b == b'\n' {
            q = Some(i);
        }
    }
    (q.unwrap_or(i), i)
}

/// Last offset in `(start, hard]` that fits (with a closing fence if needed), preferring
/// grapheme boundaries.
fn hard_cut(
    text: &str,
    start: usize,
    hard: usize,
    hard_units: usize,
    budget: usize,
    fences: &Fences,
) -> usize {
    for strict in [true, false] {
        let mut pos = hard;
        let mut units = hard_units;
        while pos > start {
            let needed = units + if fences.inside(pos) { FENCE_UNITS } else { 0 };
            if needed <= budget && (!strict || is_boundary(text, pos, start)) {
                return pos;
            }
            let Some(c) = text.get(..pos).and_then(|s| s.chars().next_back()) else {
                break;
            };
            pos -= c.len_utf8();
            units = units.saturating_sub(c.len_utf16());
        }
    }
    // Not reached for budget >= 8 (one char is at most 2 units); still make progress.
    start
        + text
            .get(start..)
            .and_then(|s| s.chars().next())
            .map_or(1, char::len_utf8)
}

const ZWJ: char = '\u{200D}';

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// Characters that attach to the previous one (approximation of Grapheme_Cluster_Break
/// Extend / SpacingMark for common scripts, plus emoji modifiers and tags).
fn is_extend(c: char) -> bool {
    matches!(
        u32::from(c),
        0x0300..=0x036F
            | 0x0483..=0x0489
            | 0x0591..=0x05BD
            | 0x05BF
            | 0x05C1..=0x05C2
            | 0x05C4..=0x05C5
            | 0x05C7
            | 0x0610..=0x061A
            | 0x064B..=0x065F
            | 0x0670
            | 0x06D6..=0x06DC
            | 0x06DF..=0x06E4
            | 0x06E7..=0x06E8
            | 0x06EA..=0x06ED
            | 0x0900..=0x0903
            | 0x093A..=0x094F
            | 0x0951..=0x0957
            | 0x0962..=0x0963
            | 0x0981..=0x0983
            | 0x09BC
            | 0x09BE..=0x09CD
            | 0x09D7
            | 0x09E2..=0x09E3
            | 0x0A01..=0x0A03
            | 0x0A3C..=0x0A51
            | 0x0A81..=0x0A83
            | 0x0ABC..=0x0ACD
            | 0x0B01..=0x0B03
            | 0x0B3C..=0x0B57
            | 0x0BBE..=0x0BCD
            | 0x0C00..=0x0C04
            | 0x0C3E..=0x0C56
            | 0x0C81..=0x0C83
            | 0x0CBC..=0x0CD6
            | 0x0D00..=0x0D03
            | 0x0D3B..=0x0D57
            | 0x0E31
            | 0x0E34..=0x0E3A
            | 0x0E47..=0x0E4E
            | 0x0EB1
            | 0x0EB4..=0x0EBC
            | 0x0EC8..=0x0ECD
            | 0x1AB0..=0x1AFF
            | 0x1DC0..=0x1DFF
            | 0x200C
            | 0x20D0..=0x20FF
            | 0x302A..=0x302F
            | 0x3099..=0x309A
            | 0xFE00..=0xFE0F
            | 0xFE20..=0xFE2F
            | 0x1F3FB..=0x1F3FF
            | 0xE0020..=0xE007F
            | 0xE0100..=0xE01EF
    )
}

/// Best-effort grapheme cluster boundary test at char boundary `pos`; regional indicators are
/// paired counting from `floor` (the chunk start, itself a boundary).
fn is_boundary(text: &str, pos: usize, floor: usize) -> bool {
    let (Some(before), Some(after)) = (text.get(..pos), text.get(pos..)) else {
        return false;
    };
    let (Some(p), Some(n)) = (before.chars().next_back(), after.chars().next()) else {
        return true;
    };
    if p == '\r' && n == '\n' {
        return false;
    }
    if is_extend(n) || n == ZWJ || p == ZWJ {
        return false;
    }
    if is_regional_indicator(p) && is_regional_indicator(n) {
        let preceding = text
            .get(floor..pos)
            .unwrap_or("")
            .chars()
            .rev()
            .take_while(|&c| is_regional_indicator(c))
            .count();
        return preceding % 2 == 0;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAMILY: &str = "👨\u{200D}👩\u{200D}👧\u{200D}👦";

    #[test]
    fn split_owned_gives_what_split_gives_and_keeps_a_short_text_as_it_is() {
        let fenced = format!("intro\n```\n{}\n```\nafter", "x ".repeat(40));
        for (text, limit) in [
            ("", 4096),
            ("hello", 4096),
            ("hello", 5),
            ("a b c d e f g h i j k l m n o p q r s", 16),
            (fenced.as_str(), 32),
            (fenced.as_str(), 4096),
        ] {
            assert_eq!(
                split_owned(text.to_string(), limit),
                split(text, limit),
                "{text:?}"
            );
        }
        let text = String::from("kept, not copied");
        let at = text.as_ptr();
        let parts = split_owned(text, 4096);
        assert_eq!(parts.first().map(|p| p.as_ptr()), Some(at));
    }

    #[test]
    fn utf16_len_counts_what_utf16_would_encode() {
        for s in [
            "",
            "abc",
            "é",
            "€",
            "😀",
            FAMILY,
            "a\u{10FFFF}b\u{7FF}\u{800}\u{FFFF}\u{10000}",
        ] {
            assert_eq!(utf16_len(s), s.encode_utf16().count(), "{s:?}");
        }
    }

    fn check(text: &str, limit: usize) -> Vec<String> {
        let chunks = split(text, limit);
        if let Err(e) = verify(text, limit, &chunks) {
            panic!("invalid split (limit {limit}): {e}\ntext: {text:?}\nchunks: {chunks:?}");
        }
        chunks
    }

    #[test]
    fn empty_and_small() {
        assert!(split("", 100).is_empty());
        assert_eq!(check("hello", 100), vec!["hello"]);
        assert_eq!(check("  padded \n\n", 100), vec!["  padded \n\n"]);
        assert_eq!(check("```\nunclosed", 100), vec!["```\nunclosed"]);
    }

    #[test]
    fn a_text_of_at_most_limit_bytes_is_one_chunk_as_it_is() {
        let fenced = format!("```\n{}\n```\n\n  tail  ", "code ".repeat(10));
        let mixed = format!("é😀 \n\n{}", "x ".repeat(20));
        for text in [fenced.as_str(), mixed.as_str(), " \n \n ", "```"] {
            // At the limit and above it: the same single chunk.
            for limit in [text.len().max(MIN_LIMIT), text.len() + 100] {
                assert_eq!(check(text, limit), vec![text.to_string()], "{text:?}");
            }
        }
    }

    #[test]
    fn exactly_at_limit() {
        let s = "a".repeat(4096);
        assert_eq!(check(&s, MAX_TEXT), vec![s.clone()]);
        let s = "a".repeat(4097);
        let c = check(&s, MAX_TEXT);
        assert_eq!(c.len(), 2);
        assert_eq!(utf16_len(&c[0]), 4096);
        assert_eq!(c[1], "a");
        // 2048 astral emoji are 4096 UTF-16 units (4 bytes, 1 char each).
        let s = "😀".repeat(2048);
        assert_eq!(utf16_len(&s), 4096);
        assert_eq!(check(&s, MAX_TEXT).len(), 1);
        let s = "😀".repeat(2048) + "a";
        let c = check(&s, MAX_TEXT);
        assert_eq!(c, vec!["😀".repeat(2048), "a".to_string()]);
    }

    #[test]
    fn prefers_paragraph_then_line_then_space() {
        let para = format!("{}\n\n{}", "a ".repeat(30), "b\nb ".repeat(10));
        let c = check(&para, 70);
        assert_eq!(c[0], "a ".repeat(30).trim_end());
        let lines = format!("{}\n{} {}", "a ".repeat(30), "b".repeat(10), "c".repeat(20));
        let c = check(&lines, 70);
        assert_eq!(c[0], "a ".repeat(30).trim_end());
        assert_eq!(c[1], format!("{} {}", "b".repeat(10), "c".repeat(20)));
        let words = "word ".repeat(40).trim_end().to_string();
        let c = check(&words, 32);
        assert!(c.iter().all(|w| !w.starts_with(' ') && !w.ends_with(' ')));
        assert!(c.iter().all(|w| w.split(' ').all(|x| x == "word")));
    }

    #[test]
    fn early_paragraph_break_not_taken_when_too_short() {
        // A paragraph break at 10% of the window loses to a line break at 90%.
        let s = format!("ab\n\n{}\n{}", "x ".repeat(40).trim_end(), "y".repeat(40));
        let c = check(&s, 100);
        assert_eq!(c[0], format!("ab\n\n{}", "x ".repeat(40).trim_end()));
    }

    #[test]
    fn keeps_indentation_of_next_line() {
        let s = format!("{}\n    indented line", "a".repeat(20));
        let c = check(&s, 24);
        assert_eq!(c, vec!["a".repeat(20), "    indented line".to_string()]);
    }

    #[test]
    fn long_line_without_spaces() {
        let s = "x".repeat(10_000);
        let c = check(&s, MAX_TEXT);
        assert_eq!(c.len(), 3);
        assert_eq!(c.concat(), s);
        assert!(c.iter().all(|x| utf16_len(x) <= MAX_TEXT));
    }

    #[test]
    fn astral_emoji_at_border() {
        let s = format!("{}😀tail", "a".repeat(4095));
        let c = check(&s, MAX_TEXT);
        assert_eq!(c[0], "a".repeat(4095));
        assert_eq!(c[1], "😀tail");
    }

    #[test]
    fn zwj_family_at_border() {
        assert_eq!(utf16_len(FAMILY), 11);
        for before in 4085..4096 {
            let s = format!("{}{FAMILY}{}", "a".repeat(before), "b".repeat(20));
            let c = check(&s, MAX_TEXT);
            assert!(
                c.iter().any(|x| x.contains(FAMILY)),
                "family split at {before}: {c:?}"
            );
        }
    }

    #[test]
    fn flags_modifiers_combining_at_border() {
        let flags = "🇫🇷🇩🇪🇯🇵".repeat(200); // 1200 RI chars, 2400 units
        let c = check(&flags, 33);
        for x in &c {
            assert_eq!(x.chars().count() % 2, 0, "flag pair split: {x:?}");
        }
        for cluster in ["e\u{301}\u{302}", "❤\u{FE0F}", "👍🏽", "1\u{FE0F}\u{20E3}"] {
            for pad in 0..8 {
                let s = format!("{}{}", "a".repeat(pad + 10), cluster.repeat(20));
                for limit in 16..24 {
                    let c = check(&s, limit);
                    let joined: String = c.concat();
                    assert_eq!(
                        joined.matches(cluster).count(),
                        20,
                        "{cluster:?} split: {c:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn surrogates_never_split() {
        let s = "😀".repeat(100);
        for limit in 16..40 {
            for c in check(&s, limit) {
                assert!(c.chars().all(|ch| ch == '😀'));
            }
        }
    }

    #[test]
    fn code_block_longer_than_limit() {
        let body: String = (0..600).map(|i| format!("let x{i} = {i};\n")).collect();
        let s = format!("Intro\n\n```\n{body}```\nafter");
        let c = check(&s, MAX_TEXT);
        assert!(c.len() >= 3);
        for (i, x) in c.iter().enumerate() {
            assert!(utf16_len(x) <= MAX_TEXT);
            assert_eq!(x.matches("```").count() % 2, 0, "chunk {i} unbalanced: {x}");
        }
        assert!(c[1].starts_with("```\n"));
        assert!(c[0].ends_with("\n```") || c[0] == "Intro");
    }

    #[test]
    fn code_block_opened_near_end_moves_to_next_chunk() {
        let s = format!(
            "{}\n```\n{}\n```",
            "p ".repeat(40).trim_end(),
            "code line\n".repeat(3)
        );
        let c = check(&s, 90);
        assert_eq!(c[0], "p ".repeat(40).trim_end());
        assert!(c[1].starts_with("```\ncode line"));
    }

    #[test]
    fn added_fences_count_toward_limit() {
        let s = format!("```\n{}\n```", "0123456789 ".repeat(50));
        for limit in [16, 17, 20, 31, 64] {
            let c = check(&s, limit);
            assert!(c.iter().all(|x| utf16_len(x) <= limit));
            assert!(c[1..].iter().all(|x| x.starts_with("```\n")));
        }
    }

    #[test]
    fn never_empty_code_block_or_leading_close() {
        let s = format!(
            "{}\n```rust\n{}\n```\n{}",
            "a".repeat(10),
            "b".repeat(30),
            "c".repeat(10)
        );
        for limit in 16..60 {
            for x in check(&s, limit) {
                assert!(
                    !x.contains("```\n```"),
                    "empty block in {x:?} (limit {limit})"
                );
                assert!(!x.ends_with("```rust\n```"), "{x:?}");
            }
        }
    }

    #[test]
    fn tiny_limits_do_not_hang() {
        let s = format!("a b\n\n```\n{FAMILY} 😀 x\n```\n🇫🇷🇫🇷 e\u{301}");
        for limit in 0..=MIN_LIMIT {
            let c = check(&s, limit);
            assert!(c.iter().all(|x| utf16_len(x) <= MIN_LIMIT));
        }
        let pathological = format!("a{}", "\u{301}".repeat(100));
        let c = check(&pathological, 0);
        assert!(c.len() > 1);
    }

    #[test]
    fn whitespace_only_and_trailing_whitespace() {
        let s = " ".repeat(5000);
        let c = check(&s, MAX_TEXT);
        assert_eq!(c.len(), 2);
        let s = format!("{} {}", "a".repeat(20), " ".repeat(100));
        let c = check(&s, 30);
        assert_eq!(c, vec!["a".repeat(20)]);
    }

    #[test]
    fn crlf_text() {
        let s = "line one\r\nline two\r\n\r\nparagraph three\r\n".repeat(20);
        for limit in [16, 25, 40, 100] {
            for x in check(&s, limit) {
                assert!(!x.starts_with('\n') && !x.ends_with('\r'), "{x:?}");
            }
        }
    }

    #[test]
    fn one_megabyte_is_fast() {
        let unit = "Some words here, and more words.\n\n```\nfn main() {}\n```\n😀 👨\u{200D}👩\u{200D}👧 🇫🇷\n";
        let s = unit.repeat(1_000_000 / unit.len() + 1);
        let t = std::time::Instant::now();
        let c = split(&s, MAX_TEXT);
        assert!(c.len() > 200);
        let elapsed = t.elapsed();
        assert!(elapsed.as_secs() < 5, "took {elapsed:?}");
        verify(&s, MAX_TEXT, &c).unwrap_or_else(|e| panic!("{e}"));
        let line = "y".repeat(1_000_000);
        let t = std::time::Instant::now();
        let c = split(&line, MAX_TEXT);
        assert_eq!(c.len(), 1_000_000 / 4096 + 1);
        assert!(t.elapsed().as_secs() < 5);
        let spaces = format!("a{}b", " ".repeat(1_000_000));
        let t = std::time::Instant::now();
        let c = check(&spaces, MAX_TEXT);
        assert_eq!(c, vec!["a", "b"]);
        assert!(t.elapsed().as_secs() < 5);
    }

    #[test]
    fn verify_rejects_bad_splits() {
        let s = "hello world, this is text";
        assert!(verify(s, 16, &["hello world,".into(), "this is tex".into()]).is_err());
        assert!(verify(s, 16, &["hello world,".into(), "this is text".into()]).is_ok());
        assert!(verify(s, 16, &["hello".into(), "world, this is text".into()]).is_err());
        assert!(verify(s, 16, &["hello world, this".into(), "is text".into()]).is_err());
        assert!(verify(s, 100, &["hello world,".into(), "this is text".into()]).is_err());
        let t = "```\nabcdefghijklmn opqrstuvwxyz";
        let first = "```\nabcdefghijklmn\n```".to_string();
        assert!(verify(t, 30, &[first.clone(), "opqrstuvwxyz".into()]).is_err());
        assert!(verify(t, 30, &[first.clone(), "```\nopqrstuvwxyz".into()]).is_ok());
        assert!(verify(t, 30, &[first, "```\nopqrstuvwxyz\n```".into()]).is_err());
        assert!(verify("", 16, &[]).is_ok());
        assert!(verify("x", 16, &[]).is_err());
    }

    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    const PIECES: &[&str] = &[
        "word",
        "a",
        "longerwordwithoutspaces",
        " ",
        "  ",
        "\n",
        "\n\n",
        "\r\n",
        "\t",
        "**",
        "*",
        "_",
        "~",
        "`",
        "```",
        "```\n",
        "\n```\n",
        "```rust\n",
        "# ",
        "> ",
        "- ",
        "1. ",
        "😀",
        FAMILY,
        "🇫🇷",
        "🇩🇪",
        "e\u{301}",
        "❤\u{FE0F}",
        "👍🏽",
        "é",
        "日本語",
        "https://x.y/a_b",
        "[l](u)",
        "\u{200D}",
        "\u{301}",
        "🇫",
    ];

    #[test]
    fn random_split_invariants() {
        let mut rng = XorShift(0xDEAD_BEEF_CAFE_F00D);
        for round in 0..4000 {
            let n = rng.below(80);
            let mut s = String::new();
            for _ in 0..n {
                s.push_str(PIECES[rng.below(PIECES.len())]);
            }
            let limit = match round % 4 {
                0 => rng.below(MIN_LIMIT + 1),
                1 => MIN_LIMIT + rng.below(16),
                2 => 32 + rng.below(100),
                _ => 1 + rng.below(400),
            };
            check(&s, limit);
            // The converted text is what gets split in production.
            let converted = crate::outbound::format::markdown_to_whatsapp(&s);
            check(&converted, limit);
        }
    }
}
