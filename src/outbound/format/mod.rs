//! Markdown -> WhatsApp text formatting.
//!
//! [`markdown_to_whatsapp`] turns the Markdown that people and LLMs write (CommonMark with the
//! usual GFM extensions) into the formatting WhatsApp renders. It is a pure function of its
//! input: no I/O, never panics, roughly linear time.
//!
//! # Rules
//!
//! Block level (a "line" ends at `\n`; a `\r` right before the `\n` is part of the line break,
//! which is sent as `\n`):
//!
//! | Markdown                                   | WhatsApp                                        |
//! |--------------------------------------------|-------------------------------------------------|
//! | ```` ```lang ```` ... ```` ``` ```` (or `~~~`) | ```` ``` ```` ... ```` ``` ````: the fence lines become a bare ```` ``` ```` (language tag and fence indentation dropped), content lines copied byte for byte; an unclosed fence is closed at the end of the text |
//! | `# H` .. `###### H` (optional closing `#`s) | `*H*` on its own line (bold inside a header is not doubled); `#` with no text is kept as typed |
//! | `---`, `***`, `___` (3+ of one, spaces allowed) | `──────────` (ten U+2500)                   |
//! | `- x`, `* x`, `+ x` (any indentation)      | `• x` with the indentation kept; `- [ ] x` / `- [x] x` -> `• ☐ x` / `• ☑ x` |
//! | `1. x`, `1) x`                             | kept as typed (content converted)               |
//! | `> x`, `>> x`, `> > x`                     | `> x`, `> > x` (WhatsApp quote), content converted as a line |
//!
//! Inline (per line; emphasis never spans a line break):
//!
//! | Markdown                         | WhatsApp                    |
//! |----------------------------------|-----------------------------|
//! | `**b**`, `__b__`                 | `*b*`                       |
//! | `*i*`, `_i_`                     | `_i_`                       |
//! | `***x***`, `___x___`             | `*_x_*`                     |
//! | `~~s~~`                          | `~s~` (a single `~` is copied as typed, which is WhatsApp's own strike) |
//! | `` `c` ``, ``` `` c `` ```       | `` `c` `` (content untouched) |
//! | `[label](url "title")`           | `label (url)`; just `url` when the label is empty or equals the URL (ignoring `http(s)://`, `mailto:`, `www.`, a trailing `/`, ASCII case) |
//! | `![alt](url)`                    | `alt (url)`, or just `url` when `alt` is empty / equals the URL |
//! | `<https://x>`, `<a@b.c>`         | `https://x`, `a@b.c`        |
//! | `<br>`, `<br/>`, `<br />`        | a line break (`\n`)         |
//! | `\*`, `\_`, `\~`, `` \` `` (an escaped marker) | a lookalike that is never formatting: `∗` (U+2217), `＿` (U+FF3F), `∼` (U+223C), `ˋ` (U+02CB); `\*literal\*` -> `∗literal∗` (see below) |
//! | `\#`, `\\`, ... (backslash + other ASCII punctuation) | the bare character (`#`, `\`) |
//!
//! Emphasis follows the CommonMark delimiter-run algorithm (left/right flanking, intraword `_`
//! is never emphasis, the "rule of 3", nesting). Unmatched or non-flanking markers are copied
//! as typed: `2 * 3 * 4`, `snake_case_name`, `a ** b`, `**unclosed`. Nested emphasis of the same
//! kind is flattened (WhatsApp cannot nest it): `**a **b** c**` -> `*a b c*`.
//!
//! Nothing is converted inside inline code, fenced code, link destinations or bare URLs
//! (`http://`, `https://`, `ftp://`, `www.` not preceded by a letter or digit, up to the next
//! whitespace or `<`, minus trailing `?!.,:;*_~'"` and unbalanced `)`). Backslash escapes in a
//! link destination are resolved (`(a\_b)` -> `a_b`), in a bare URL they are kept.
//!
//! Escaped markers: WhatsApp has no escape character, and a bare `*literal*` is shown bold.
//! Invisible characters around the marker (a zero width space) do not reliably stop it: they
//! are neither letters nor spaces, so `*` after one still opens a bold run under the
//! word-boundary rule WhatsApp (and the sandbox's chat page) apply. So an escaped marker is
//! sent as a lookalike character that WhatsApp never takes for a marker. Unescaped markers
//! that do not form emphasis (`2 * 3`, `snake_case`) are copied as typed.
//!
//! Line breaks: the converted text has `\n` line breaks only. Every `\r\n` of the input becomes
//! `\n` (also inside code blocks); a lone `\r` is ordinary text and copied, except where it would
//! end up right before a `\n` of the output (`a\r<br>`, the end of an unclosed fence): there it is
//! dropped, so that no `\r\n` is ever sent.
//!
//! Not recognised (copied as typed, inline-converted): setext headings, indented code blocks,
//! reference links, HTML other than `<br>`, tables (rows are kept with their `|`), fences inside
//! block quotes. Link destinations longer than 2048 bytes are not recognised as links.
//!
//! # Identity invariant
//!
//! A text is *plain* ([`is_plain`]) when
//! 1. it contains none of the characters `` * _ ~ ` [ \ < ``,
//! 2. no line (lines are separated by `\n`) has `#`, `>`, `-` or `+` as its first character
//!    other than space and tab, and
//! 3. it contains no `\r\n` (a lone `\r` is fine).
//!
//! For every plain text `t`, `markdown_to_whatsapp(t) == t`, byte for byte (digits, `.`, `)`,
//! `!`, `]`, `|`, `#`/`-`/`+`/`>` after the first character of a line, emoji, URLs, a lone `\r`,
//! any Unicode are all plain). For a text `t` that is plain once its `\r\n` are replaced by
//! `\n`, `markdown_to_whatsapp(t)` is that replaced text. And for every text, the output has no
//! `\r\n` and at least as many `\n` as the input.

mod inline;

use inline::inline;

/// The line emitted for a Markdown horizontal rule.
pub const RULE: &str = "──────────";

/// Link labels nest at most this deep; deeper `[` are literal (bounds recursion).
const MAX_LINK_DEPTH: usize = 4;
/// Longest link destination (in bytes) recognised as a link.
const MAX_DEST_LEN: usize = 2048;
/// Deepest parenthesis nesting in a link destination (as in the CommonMark reference parser).
const MAX_DEST_PARENS: usize = 32;

/// Convert Markdown to WhatsApp formatting (see the module documentation for the rules).
pub fn markdown_to_whatsapp(md: &str) -> String {
    let mut out = String::with_capacity(md.len() + md.len() / 8 + 8);
    let mut fence: Option<Fence> = None;
    for (line, term) in lines(md) {
        match fence {
            Some(f) => {
                if f.closes(line) {
                    out.push_str("```");
                    fence = None;
                } else {
                    out.push_str(line);
                }
            }
            None => {
                if let Some(f) = Fence::open(line) {
                    out.push_str("```");
                    fence = Some(f);
                } else {
                    convert_line(line, &mut out);
                }
            }
        }
        out.push_str(term);
    }
    if fence.is_some() {
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("```");
    }
    // A lone `\r` of the input right before a line break of the output (`a\r<br>`, an
    // unclosed fence's last line, `\r\r\n`): no `\r\n` is sent.
    // (A byte scan for `\r` first: most replies have none, and it costs less than the
    // substring search.)
    if out.as_bytes().contains(&b'\r') && out.contains("\r\n") {
        out = drop_cr_before_lf(&out);
    }
    out
}

/// `s` without the `\r`s that come right before a `\n` (any number of them).
fn drop_cr_before_lf(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_cr = 0usize;
    for c in s.chars() {
        match c {
            '\r' => pending_cr += 1,
            '\n' => {
                pending_cr = 0;
                out.push('\n');
            }
            _ => {
                out.extend(std::iter::repeat_n('\r', pending_cr));
                pending_cr = 0;
                out.push(c);
            }
        }
    }
    out.extend(std::iter::repeat_n('\r', pending_cr));
    out
}

/// Whether `text` is *plain* in the sense of the identity invariant (module documentation):
/// for such text [`markdown_to_whatsapp`] returns the input unchanged.
///
/// Scans bytes: every character it looks for is ASCII, and a `[char]` pattern would walk
/// the text char by char.
pub fn is_plain(text: &str) -> bool {
    let marked = |b: &u8| matches!(b, b'*' | b'_' | b'~' | b'`' | b'[' | b'\\' | b'<');
    if text.as_bytes().iter().any(marked) || text.contains("\r\n") {
        return false;
    }
    text.split('\n').all(|line| {
        // The first byte after the indentation: the first byte of its first character.
        !matches!(
            line.bytes().find(|b| *b != b' ' && *b != b'\t'),
            Some(b'#' | b'>' | b'-' | b'+')
        )
    })
}

/// Lines with the terminator to emit (`"\n"` for both `\n` and `\r\n`, `""` for the last
/// line).
fn lines(s: &str) -> impl Iterator<Item = (&str, &str)> {
    s.split_inclusive('\n').map(|l| {
        // Byte checks: `\r` and `\n` are ASCII, so what is left ends on a boundary.
        let cut = match l.as_bytes() {
            [.., b'\r', b'\n'] => 2,
            [.., b'\n'] => 1,
            _ => return (l, ""),
        };
        (l.get(..l.len() - cut).unwrap_or(l), "\n")
    })
}

/// `s` without its leading spaces and tabs (a byte scan: the `[char]` pattern's searcher
/// costs more than the scan at every line of every reply).
fn skip_blanks(s: &str) -> &str {
    let blanks = s.bytes().take_while(|b| matches!(b, b' ' | b'\t')).count();
    // Spaces and tabs are ASCII: `blanks` is a character boundary.
    s.get(blanks..).unwrap_or(s)
}

#[derive(Clone, Copy)]
struct Fence {
    ch: char,
    len: usize,
}

impl Fence {
    fn open(line: &str) -> Option<Fence> {
        let rest = skip_blanks(line);
        let ch = rest.chars().next()?;
        if ch != '`' && ch != '~' {
            return None;
        }
        let len = rest.len() - rest.trim_start_matches(ch).len();
        if len < 3 {
            return None;
        }
        let info = rest.get(len..)?;
        if ch == '`' && info.contains('`') {
            return None;
        }
        Some(Fence { ch, len })
    }

    fn closes(&self, line: &str) -> bool {
        let rest = line.trim_matches([' ', '\t']);
        rest.len() >= self.len && rest.chars().all(|c| c == self.ch)
    }
}

fn convert_line(line: &str, out: &mut String) {
    let mut line = line;
    // Block quotes, any depth, handled iteratively.
    // (Byte checks: every marker of a block is ASCII, so each cut is on a boundary.)
    loop {
        let rest = skip_blanks(line);
        match rest.as_bytes().first() {
            Some(b'>') => {
                out.push('>');
                let after = rest.get(1..).unwrap_or("");
                let after = match after.as_bytes().first() {
                    Some(b' ' | b'\t') => after.get(1..).unwrap_or(""),
                    _ => after,
                };
                if !after.is_empty() {
                    out.push(' ');
                }
                line = after;
            }
            _ => break,
        }
    }
    let trimmed = skip_blanks(line);
    let indent = line.get(..line.len() - trimmed.len()).unwrap_or("");
    let Some(&first) = trimmed.as_bytes().first() else {
        out.push_str(line);
        return;
    };
    // Only these bytes start a rule, a heading or a list item: any other line is text.
    if !matches!(first, b'-' | b'*' | b'_' | b'#' | b'+') {
        out.push_str(indent);
        inline(trimmed, out, false, 0);
        return;
    }
    if is_thematic_break(trimmed) {
        out.push_str(RULE);
        return;
    }
    if let Some(content) = heading(trimmed) {
        if content.is_empty() {
            out.push_str(line);
        } else {
            out.push('*');
            inline(content, out, true, 0);
            out.push('*');
        }
        return;
    }
    if let Some(item) = bullet(trimmed) {
        out.push_str(indent);
        out.push_str("• ");
        let item = task_box(item, out);
        inline(item, out, false, 0);
        return;
    }
    out.push_str(indent);
    inline(trimmed, out, false, 0);
}

fn is_thematic_break(s: &str) -> bool {
    let mut marker = None;
    let mut n = 0usize;
    for c in s.chars() {
        match c {
            ' ' | '\t' => {}
            '-' | '*' | '_' => {
                if marker.is_some_and(|m| m != c) {
                    return false;
                }
                marker = Some(c);
                n += 1;
            }
            _ => return false,
        }
    }
    n >= 3
}

/// `# Title #` -> `Some("Title")`; `Some("")` for an empty heading.
fn heading(s: &str) -> Option<&str> {
    if !s.starts_with('#') {
        return None;
    }
    let hashes = s.len() - s.trim_start_matches('#').len();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let rest = s.get(hashes..)?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let content = rest.trim_matches([' ', '\t']);
    let without = content.trim_end_matches('#');
    if without.is_empty() {
        Some("")
    } else if without.len() < content.len() && without.ends_with([' ', '\t']) {
        Some(without.trim_end_matches([' ', '\t']))
    } else {
        Some(content)
    }
}

fn bullet(s: &str) -> Option<&str> {
    let mut chars = s.chars();
    let marker = chars.next()?;
    if !matches!(marker, '-' | '*' | '+') {
        return None;
    }
    let rest = chars.as_str();
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    Some(skip_blanks(rest))
}

/// Replace a GFM task box at the start of a list item; returns the rest of the item.
fn task_box<'a>(item: &'a str, out: &mut String) -> &'a str {
    for (marker, glyph) in [("[ ]", "☐"), ("[x]", "☑"), ("[X]", "☑")] {
        if let Some(rest) = item.strip_prefix(marker) {
            if rest.is_empty() || rest.starts_with([' ', '\t']) {
                out.push_str(glyph);
                if !rest.is_empty() {
                    out.push(' ');
                }
                return skip_blanks(rest);
            }
        }
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(s: &str) -> String {
        markdown_to_whatsapp(s)
    }

    // ---- emphasis ----------------------------------------------------------------------

    #[test]
    fn bold() {
        assert_eq!(md("**bold**"), "*bold*");
        assert_eq!(md("__bold__"), "*bold*");
        assert_eq!(md("a **b** c"), "a *b* c");
    }

    #[test]
    fn italic() {
        assert_eq!(md("*it*"), "_it_");
        assert_eq!(md("_it_"), "_it_");
        assert_eq!(md("say *hi* now"), "say _hi_ now");
    }

    #[test]
    fn bold_italic() {
        assert_eq!(md("***both***"), "*_both_*");
        assert_eq!(md("___both___"), "*_both_*");
        assert_eq!(md("***a** b*"), "_*a* b_");
        assert_eq!(md("***a* b**"), "*_a_ b*");
    }

    #[test]
    fn strike() {
        assert_eq!(md("~~gone~~"), "~gone~");
        assert_eq!(md("~single~"), "~single~");
        assert_eq!(md("a ~~~three~~~"), "a ~~~three~~~");
        assert_eq!(md("a ~~ b"), "a ~~ b");
    }

    #[test]
    fn nested_emphasis() {
        assert_eq!(md("**bold _italic_ bold**"), "*bold _italic_ bold*");
        assert_eq!(md("*it **bold** it*"), "_it *bold* it_");
        assert_eq!(md("**a ~~b~~ c**"), "*a ~b~ c*");
        // Same kind nested: flattened.
        assert_eq!(md("**a **b** c**"), "*a b c*");
        assert_eq!(md("*a _b_ c*"), "_a b c_");
    }

    #[test]
    fn unmatched_markers_literal() {
        for s in [
            "2 * 3 * 4",
            "snake_case_name",
            "a ** b",
            "**unclosed",
            "unopened**",
            "__init",
            "x_y_z and a_b",
            "~~open",
            "5*3",
            "a * b * c",
            "a*",
            "_ x _",
            "x *** y",
        ] {
            assert_eq!(md(s), s, "input {s:?}");
        }
        // `* ` at line start is a list marker; the trailing `*` stays literal.
        assert_eq!(md("* item?*"), "• item?*");
        // `*` between letters can be emphasis (CommonMark), `_` cannot.
        assert_eq!(md("2*3*4"), "2_3_4");
        assert_eq!(md("2_3_4"), "2_3_4");
    }

    #[test]
    fn intraword_underscore_not_emphasis() {
        assert_eq!(md("my_var_name is _set_"), "my_var_name is _set_");
        assert_eq!(md("foo__bar__baz"), "foo__bar__baz");
        // `*` may be intraword (CommonMark).
        assert_eq!(md("foo**bar**baz"), "foo*bar*baz");
    }

    #[test]
    fn backslash_escapes() {
        assert_eq!(md(r"a \# b \\ c"), r"a # b \ c");
        assert_eq!(md(r"C:\Users\me"), r"C:\Users\me");
        assert_eq!(md(r"\# not a header"), "# not a header");
        assert_eq!(md("trailing \\"), "trailing \\");
        assert_eq!(md(r"\[not a link](x)"), "[not a link](x)");
        assert_eq!(md(r"1\. not a list"), "1. not a list");
    }

    #[test]
    fn escaped_markers_are_sent_as_lookalikes_that_never_format() {
        // Sent as `*literal*`, WhatsApp would show it bold.
        assert_eq!(md(r"\*literal\*"), "\u{2217}literal\u{2217}");
        assert_eq!(md(r"\_x\_"), "\u{FF3F}x\u{FF3F}");
        assert_eq!(md(r"\~gone\~"), "\u{223C}gone\u{223C}");
        assert_eq!(md(r"\`code\`"), "\u{02CB}code\u{02CB}");
        assert_eq!(md(r"\*\*not bold\*\*"), "∗∗not bold∗∗");
        // Next to real formatting, which is still converted.
        assert_eq!(md(r"**5 \* 3**"), "*5 ∗ 3*");
        assert_eq!(md(r"_a\_b_"), "_a＿b_");
        assert_eq!(md(r"# \*H\*"), "*∗H∗*");
        assert_eq!(md(r"- \_item\_"), "• ＿item＿");
        assert_eq!(md(r"[\*x\*](https://u.v)"), "∗x∗ (https://u.v)");
        // Only the markers: other escapes give the bare character, and an escaped
        // backslash leaves the marker after it a marker.
        assert_eq!(md(r"\#\>\-"), "#>-");
        assert_eq!(md(r"\\*it*"), r"\_it_");
        // Not in code, not in link destinations, not in bare URLs.
        assert_eq!(md(r"`a\*b`"), r"`a\*b`");
        assert_eq!(md("```\n\\*x\\*\n```"), "```\n\\*x\\*\n```");
        assert_eq!(md(r"[a](https://u.v/x\_y)"), "a (https://u.v/x_y)");
        assert_eq!(md(r"see https://u.v/\*x"), r"see https://u.v/\*x");
        // Where the input escaped a marker, the output has no marker at all.
        for m in ['*', '_', '~', '`'] {
            let out = md(&format!("a \\{m}b\\{m} c"));
            assert_eq!(out.matches(m).count(), 0, "{out}");
            assert_eq!(out.chars().count(), "a xbx c".chars().count(), "{out}");
        }
    }

    // ---- code -------------------------------------------------------------------------

    #[test]
    fn inline_code_untouched() {
        assert_eq!(md("use `a_b*c*` now"), "use `a_b*c*` now");
        assert_eq!(md("`**x**`"), "`**x**`");
        assert_eq!(md("``a ` b``"), "``a ` b``");
        assert_eq!(md("`` x ``"), "`x`");
        assert_eq!(md("``x``"), "`x`");
        assert_eq!(md("```x```"), "```x```");
        assert_eq!(md("`unclosed *a*"), "`unclosed _a_");
        assert_eq!(md("*a `*` b*"), "_a `*` b_");
    }

    #[test]
    fn fenced_code() {
        let src =
            "Intro **b**\n```rust\nlet a_b = *x * 2;\n# not a header\n- not a list\n```\nafter *i*";
        let want =
            "Intro *b*\n```\nlet a_b = *x * 2;\n# not a header\n- not a list\n```\nafter _i_";
        assert_eq!(md(src), want);
        // tilde fence, longer fence, indented fence
        assert_eq!(md("~~~\n**x**\n~~~"), "```\n**x**\n```");
        assert_eq!(md("````\n```\n**x**\n````"), "```\n```\n**x**\n```");
        assert_eq!(md("  ```py\n  a_b\n  ```"), "```\n  a_b\n```");
    }

    #[test]
    fn unclosed_fence_is_closed() {
        assert_eq!(md("```\ncode **x**"), "```\ncode **x**\n```");
        assert_eq!(md("```\ncode\n"), "```\ncode\n```");
    }

    // ---- blocks ------------------------------------------------------------------------

    #[test]
    fn headers() {
        assert_eq!(md("# Title"), "*Title*");
        assert_eq!(md("###### Six"), "*Six*");
        assert_eq!(md("####### seven"), "####### seven");
        assert_eq!(md("## Closed ##"), "*Closed*");
        assert_eq!(md("# C#"), "*C#*");
        assert_eq!(md("#hashtag"), "#hashtag");
        assert_eq!(md("#"), "#");
        assert_eq!(md("## **Bold** and _it_"), "*Bold and _it_*");
        assert_eq!(md("text\n# H\nmore"), "text\n*H*\nmore");
    }

    #[test]
    fn lists() {
        assert_eq!(md("- a\n- b"), "• a\n• b");
        assert_eq!(md("* a\n+ b"), "• a\n• b");
        assert_eq!(md("- a\n  - nested **b**"), "• a\n  • nested *b*");
        assert_eq!(md("1. one\n2) two"), "1. one\n2) two");
        assert_eq!(md("1. **one**"), "1. *one*");
        assert_eq!(md("- [ ] todo\n- [x] done"), "• ☐ todo\n• ☑ done");
        assert_eq!(md("-5 degrees"), "-5 degrees");
        assert_eq!(md("-"), "-");
    }

    #[test]
    fn blockquotes() {
        assert_eq!(md("> quote **b**"), "> quote *b*");
        assert_eq!(md(">x"), "> x");
        assert_eq!(md("> > deep"), "> > deep");
        assert_eq!(md(">> deep"), "> > deep");
        assert_eq!(md("> # H"), "> *H*");
        assert_eq!(md("> - item"), "> • item");
        assert_eq!(md(">"), ">");
    }

    #[test]
    fn horizontal_rules() {
        assert_eq!(md("---"), RULE);
        assert_eq!(md("***"), RULE);
        assert_eq!(md("___"), RULE);
        assert_eq!(md("- - -"), RULE);
        assert_eq!(md("a\n\n---\n\nb"), format!("a\n\n{RULE}\n\nb"));
        assert_eq!(md("--"), "--");
    }

    // ---- links & URLs -------------------------------------------------------------------

    #[test]
    fn links() {
        assert_eq!(md("[site](https://x.com)"), "site (https://x.com)");
        assert_eq!(md("[https://x.com](https://x.com)"), "https://x.com");
        assert_eq!(md("[x.com](https://x.com/)"), "https://x.com/");
        assert_eq!(md("[](https://x.com)"), "https://x.com");
        assert_eq!(md("[a](u \"title\")"), "a (u)");
        assert_eq!(md("[a](<u v>)"), "a (u v)");
        assert_eq!(
            md("[**b** x](https://a.b/c_d*e)"),
            "*b* x (https://a.b/c_d*e)"
        );
        assert_eq!(
            md("[a](https://w.org/wiki/X_(y))"),
            "a (https://w.org/wiki/X_(y))"
        );
        assert_eq!(md(r"[a](https://a.b/x\_y)"), "a (https://a.b/x_y)");
        assert_eq!(md("[not a link] (x)"), "[not a link] (x)");
        assert_eq!(md("[unclosed](x"), "[unclosed](x");
        assert_eq!(md("see [a](u) and **[b](v)**"), "see a (u) and *b (v)*");
        assert_eq!(md("[a]()"), "a");
    }

    #[test]
    fn images() {
        assert_eq!(md("![cat](https://c.at/x.png)"), "cat (https://c.at/x.png)");
        assert_eq!(md("![](https://c.at/x.png)"), "https://c.at/x.png");
        assert_eq!(md("wow!"), "wow!");
        assert_eq!(md("wow![x]"), "wow![x]");
    }

    #[test]
    fn bare_urls_untouched() {
        let s = "see https://example.com/a_b_c*d and www.x.org/__init__ ok";
        assert_eq!(md(s), s);
        assert_eq!(md("**https://x.com/a_b**"), "*https://x.com/a_b*");
        assert_eq!(md("_http://x.y/a_b_"), "_http://x.y/a_b_");
        assert_eq!(md("(https://x.y/a_b_c)"), "(https://x.y/a_b_c)");
        assert_eq!(md("x https://a.b/c*d* y"), "x https://a.b/c*d* y");
    }

    #[test]
    fn autolinks_and_br() {
        assert_eq!(md("<https://x.com/a_b>"), "https://x.com/a_b");
        assert_eq!(md("<me@x.org>"), "me@x.org");
        assert_eq!(md("a<br>b<BR/>c<br />d"), "a\nb\nc\nd");
        assert_eq!(md("a < b > c"), "a < b > c");
        assert_eq!(md("<div>"), "<div>");
    }

    // ---- line breaks ---------------------------------------------------------------------

    #[test]
    fn crlf_is_sent_as_lf() {
        assert_eq!(md("# H\r\n**b**\r\n"), "*H*\n*b*\n");
        assert_eq!(md("```py\r\na_b\r\n```\r\nx"), "```\na_b\n```\nx");
        assert_eq!(md("- a\r\n- b"), "• a\n• b");
        assert_eq!(md("plain\r\ntext\r\n"), "plain\ntext\n");
        assert_eq!(md("> q\r\n\r\n---\r\n"), format!("> q\n\n{RULE}\n"));
        assert_eq!(md("mixed\nbreaks\r\nhere"), "mixed\nbreaks\nhere");
        // An unclosed fence is closed after a `\n`.
        assert_eq!(md("```\r\ncode\r\n"), "```\ncode\n```");
    }

    #[test]
    fn a_lone_cr_is_ordinary_text() {
        assert_eq!(md("lone\rcr"), "lone\rcr");
        assert_eq!(md("\r"), "\r");
        assert_eq!(md("a\r b **c**\r"), "a\r b *c*\r");
        // ... unless the output would put it right before a line break: no `\r\n` is sent.
        assert_eq!(md("a\r<br>b"), "a\nb");
        assert_eq!(md("a\r\r\nb"), "a\nb");
        assert_eq!(md(">\r\r\r\n>x\r"), "> \n> x\r");
        assert_eq!(drop_cr_before_lf("\r\ra\r\r\r\nb\r\n\r"), "\r\ra\nb\n\r");
        assert_eq!(md("```\ncode\r"), "```\ncode\n```");
    }

    #[test]
    fn misc_never_panics() {
        for s in [
            "",
            "*",
            "**",
            "***",
            "_",
            "~",
            "~~",
            "`",
            "```",
            "[",
            "]",
            "![",
            "](",
            "[]()",
            "<",
            ">",
            "#",
            "\\",
            "\r",
            "\n",
            "\r\n",
            "*_*_",
            "_*_*",
            "[[[[[]]]]]",
            "[a](b",
            "<br",
            "é*́*",
            "😀**😀**",
            "**😀**",
            "[😀](😀)",
            "<😀>",
            "```😀",
            "\u{200d}*a*",
        ] {
            let _ = md(s);
        }
        assert_eq!(md("**😀**"), "*😀*");
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let s = format!("{}x{}", "[".repeat(10_000), "](u)".repeat(10_000));
        let _ = md(&s);
        let s = ">".repeat(100_000);
        let _ = md(&s);
        let s = "*a ".repeat(50_000) + &"b* ".repeat(50_000);
        let _ = md(&s);
        let s = "[a](".repeat(20_000);
        let _ = md(&s);
    }

    #[test]
    fn long_input_is_fast() {
        let line =
            "word **bold** _it_ `code` [l](https://u.v/w_x) snake_case 2 * 3 ".repeat(20_000);
        let start = std::time::Instant::now();
        let out = md(&line);
        assert!(out.len() > line.len() / 2);
        assert!(start.elapsed().as_secs() < 10);
    }

    // ---- identity invariant ---------------------------------------------------------------

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

    const PLAIN_PIECES: &[&str] = &[
        "a",
        "Z",
        "word",
        "0",
        "42",
        " ",
        "  ",
        "\t",
        "\n",
        "\r\n",
        "\n\n",
        ".",
        ",",
        ")",
        "(",
        "!",
        "?",
        "#",
        "-",
        "+",
        ">",
        "|",
        "=",
        "é",
        "e\u{301}",
        "日本語",
        "😀",
        "👨‍👩‍👧‍👦",
        "🇫🇷",
        "❤️",
        "https://example.com/a/b?c=d",
        "www.x.org",
        "http://q.io/x(y)",
        "1. ",
        "2) ",
        "\r",
        ":",
        "/",
        "'",
        "\"",
        "@",
        "&",
        "%",
        "$",
        "^",
        "{",
        "}",
        ";",
        "]",
        "a@b.c",
        "•",
        "—",
        "\u{a0}",
    ];

    #[test]
    fn plain_text_is_identity_property() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut plain = 0;
        for _ in 0..5000 {
            let n = rng.below(40);
            let mut s = String::new();
            for _ in 0..n {
                s.push_str(PLAIN_PIECES[rng.below(PLAIN_PIECES.len())]);
            }
            if is_plain(&s) {
                plain += 1;
                assert_eq!(md(&s), s, "plain input changed: {s:?}");
            }
            // Plain once its CRLFs are LFs: converted to exactly that.
            let lf = s.replace("\r\n", "\n");
            if is_plain(&lf) {
                assert_eq!(md(&s), lf, "plain-but-CRLF input: {s:?}");
            }
        }
        assert!(
            plain > 1500,
            "generator produced too few plain inputs: {plain}"
        );
    }

    #[test]
    fn is_plain_definition() {
        assert!(is_plain("hello, world! 1. 2) a-b # c > d + e |x|"));
        assert!(is_plain("line\n  indented\n"));
        assert!(is_plain("lone\rcr"));
        assert!(!is_plain("line\r\n"));
        assert!(!is_plain("a*b"));
        assert!(!is_plain("a_b"));
        assert!(!is_plain("x\n  - y"));
        assert!(!is_plain("#x"));
        assert!(!is_plain("x\n>y"));
        assert!(!is_plain("+1"));
        assert!(!is_plain("a<b"));
        assert!(!is_plain("[x"));
        assert!(!is_plain("ok\n\t\t# tabbed heading"));
        assert!(is_plain(
            "é # not a heading\n\u{00A0}- a no-break space is not indentation"
        ));
        assert!(is_plain("😀 + 1\n    ü"));
    }

    const MD_PIECES: &[&str] = &[
        "**",
        "*",
        "_",
        "__",
        "~~",
        "~",
        "`",
        "``",
        "```",
        "```rust\n",
        "[",
        "]",
        "(",
        ")",
        "![",
        "](",
        "#",
        "# ",
        "> ",
        "- ",
        "* ",
        "+ ",
        "1. ",
        "---",
        "\\",
        "<br>",
        "<https://x.y>",
        "https://a.b/c_d*e",
        "\n",
        "\r\n",
        "\n\n",
        " ",
        "word",
        "😀",
        "👨‍👩‍👧‍👦",
        "🇫🇷",
        "e\u{301}",
        "❤️",
        "<",
        ">",
        "\r",
        "***",
        "x",
        "é",
    ];

    #[test]
    fn random_markdown_never_panics() {
        let mut rng = XorShift(0x0123_4567_89AB_CDEF);
        for _ in 0..5000 {
            let n = rng.below(60);
            let mut s = String::new();
            for _ in 0..n {
                s.push_str(MD_PIECES[rng.below(MD_PIECES.len())]);
            }
            let out = md(&s);
            // Deterministic, and text without any marker characters survives.
            assert_eq!(out, md(&s));
            // Only `\n` line breaks, none lost.
            assert!(!out.contains("\r\n"), "{s:?} -> {out:?}");
            assert!(
                out.matches('\n').count() >= s.matches('\n').count(),
                "{s:?}"
            );
            // Code spans and fences: what is inside a 1-backtick span is copied.
            let _ = out.len();
        }
    }
}
