//! What `send-text` does to a text before it reaches the Graph API, through the real
//! component: Markdown converted to WhatsApp formatting (raw left alone), and long
//! texts split into parts of at most 4096 UTF-16 units that each render on their own,
//! sent in order, quoting only on the first.

mod outgoing_support;

use host_test::*;
use outgoing_support::*;

const LIMIT: usize = 4096;

/// Sends `body` to Alice in `format` and returns the text bodies that reached Meta.
async fn sent_parts(body: &str, format: TextFormat) -> anyhow::Result<Vec<String>> {
    let h = harness();
    let sent = h.outgoing().send_text(&text(ALICE, body, format)).await?;
    let sent = sent.map_err(|f| anyhow::anyhow!("send-text failed: {f:?}"))?;
    let parts = text_bodies(&h);
    assert_eq!(
        sent.message_ids.len(),
        parts.len(),
        "one message id per part"
    );
    for part in &parts {
        assert!(
            utf16_len(part) <= LIMIT,
            "a part of {} UTF-16 units",
            utf16_len(part)
        );
        assert!(!part.trim().is_empty(), "an empty part was sent");
    }
    Ok(parts)
}

/// Sends Markdown and returns the one body that reached Meta.
async fn converted(markdown: &str) -> anyhow::Result<String> {
    let mut parts = sent_parts(markdown, TextFormat::Markdown).await?;
    assert_eq!(parts.len(), 1, "{parts:?}");
    Ok(parts.remove(0))
}

/// Lines that are a bare code fence.
fn fence_lines(part: &str) -> usize {
    part.lines().filter(|l| l.trim() == "```").count()
}

// ------------------------------------------------------------------------ markdown

#[tokio::test]
async fn markdown_is_converted_to_whatsapp_formatting() -> anyhow::Result<()> {
    let markdown = "\
# Order update
**Bold** and *italic* and ~~gone~~ and `code`
See [the docs](https://example.com/docs) or <https://example.com/raw>
- first
* second
- [x] done
- [ ] todo
1. one
2) two
> quoted **text**
---
## Thanks!";
    let want = "\
*Order update*
*Bold* and _italic_ and ~gone~ and `code`
See the docs (https://example.com/docs) or https://example.com/raw
• first
• second
• ☑ done
• ☐ todo
1. one
2) two
> quoted *text*
──────────
*Thanks!*";
    assert_eq!(converted(markdown).await?, want);
    Ok(())
}

#[tokio::test]
async fn fenced_code_keeps_its_content_and_drops_the_language() -> anyhow::Result<()> {
    let markdown =
        "Run this:\n```rust\nlet **x** = a_b_c * 2; // ~~no~~ [x](y)\n```\nthen **done**";
    assert_eq!(
        converted(markdown).await?,
        "Run this:\n```\nlet **x** = a_b_c * 2; // ~~no~~ [x](y)\n```\nthen *done*"
    );
    Ok(())
}

#[tokio::test]
async fn raw_format_is_sent_unconverted() -> anyhow::Result<()> {
    let raw =
        "# Not a header\n**double stars** _x_ ~~y~~ [label](https://example.com)\n- dash\n---";
    let parts = sent_parts(raw, TextFormat::Raw).await?;
    assert_eq!(parts, vec![raw.to_string()]);
    Ok(())
}

#[tokio::test]
async fn nested_emphasis() -> anyhow::Result<()> {
    for (markdown, want) in [
        ("***both***", "*_both_*"),
        (
            "**bold with _italic_ inside**",
            "*bold with _italic_ inside*",
        ),
        (
            "*italic with **bold** inside*",
            "_italic with *bold* inside_",
        ),
        // WhatsApp cannot nest the same kind: flattened.
        ("**a **b** c**", "*a b c*"),
    ] {
        assert_eq!(converted(markdown).await?, want, "{markdown:?}");
    }
    Ok(())
}

#[tokio::test]
async fn markers_inside_urls_and_code_are_untouched() -> anyhow::Result<()> {
    for (markdown, want) in [
        (
            "see https://example.com/snake_case/a*b*c?q=__x__&r=~~y~~z",
            "see https://example.com/snake_case/a*b*c?q=__x__&r=~~y~~z",
        ),
        (
            "[the page](https://example.com/a_b_c/**d**)",
            "the page (https://example.com/a_b_c/**d**)",
        ),
        (
            "code: `**not bold** _nor italic_ ~~nor struck~~`",
            "code: `**not bold** _nor italic_ ~~nor struck~~`",
        ),
        (
            "a snake_case_name and 2 * 3 * 4",
            "a snake_case_name and 2 * 3 * 4",
        ),
    ] {
        assert_eq!(converted(markdown).await?, want, "{markdown:?}");
    }
    Ok(())
}

#[tokio::test]
async fn unclosed_markers_are_kept_as_typed() -> anyhow::Result<()> {
    for markdown in [
        "**unclosed bold",
        "_open italic",
        "~~open strike",
        "`open code",
        "[open link](https://example.com",
        "a ** b",
    ] {
        assert_eq!(converted(markdown).await?, markdown, "{markdown:?}");
    }
    // An unclosed fence is closed at the end, so the code block still renders.
    assert_eq!(converted("```\nlet x = 1;").await?, "```\nlet x = 1;\n```");
    Ok(())
}

#[tokio::test]
async fn crlf_line_breaks_are_sent_as_lf() -> anyhow::Result<()> {
    assert_eq!(
        converted("**a**\r\n- b\r\n> c\r\n# d").await?,
        "*a*\n• b\n> c\n*d*"
    );
    assert_eq!(
        converted("plain\r\ntext\r\n```\r\ncode\r\n```").await?,
        "plain\ntext\n```\ncode\n```"
    );
    // A lone `\r` is ordinary text. Raw text is sent exactly as given, CRLF included.
    assert_eq!(converted("a\rb").await?, "a\rb");
    assert_eq!(
        sent_parts("raw\r\ntext", TextFormat::Raw).await?,
        vec!["raw\r\ntext".to_string()]
    );
    Ok(())
}

#[tokio::test]
async fn escaped_markers_are_never_formatting() -> anyhow::Result<()> {
    // `*literal*` would show bold: each escaped marker is sent as a lookalike character
    // that WhatsApp never takes for formatting.
    assert_eq!(
        converted(r"\*literal\* and \_this\_ and \~that\~ and \`code\`").await?,
        "∗literal∗ and ＿this＿ and ∼that∼ and ˋcodeˋ"
    );
    // Real formatting next to them is still converted; other escapes give the character.
    assert_eq!(converted(r"**5 \* 3** is \#15").await?, "*5 ∗ 3* is #15");
    Ok(())
}

#[tokio::test]
async fn plain_text_and_emoji_pass_unchanged() -> anyhow::Result<()> {
    let plain = "Olá José! 12,50 € (incl. tax) #1 — 😀👍🏽 👨‍👩‍👧‍👦 🇧🇷 中文 한국어";
    assert_eq!(converted(plain).await?, plain);
    Ok(())
}

// ------------------------------------------------------------------------ chunking

#[tokio::test]
async fn a_four_byte_emoji_at_the_border_is_not_cut() -> anyhow::Result<()> {
    // 4095 units, then an emoji of 2 UTF-16 units that does not fit.
    let body = format!("{}😀{}", "a".repeat(4095), "b".repeat(10));
    let parts = sent_parts(&body, TextFormat::Raw).await?;
    assert_eq!(
        parts,
        vec!["a".repeat(4095), format!("😀{}", "b".repeat(10))]
    );
    Ok(())
}

#[tokio::test]
async fn an_emoji_with_modifier_at_the_border_stays_whole() -> anyhow::Result<()> {
    // The thumb fits in the first part, its skin-tone modifier would not.
    let body = format!("{}👍🏽{}", "a".repeat(4094), "b".repeat(10));
    let parts = sent_parts(&body, TextFormat::Raw).await?;
    assert_eq!(
        parts,
        vec!["a".repeat(4094), format!("👍🏽{}", "b".repeat(10))]
    );
    Ok(())
}

#[tokio::test]
async fn a_zwj_sequence_at_the_border_stays_whole() -> anyhow::Result<()> {
    let family = "👨\u{200D}👩\u{200D}👧\u{200D}👦";
    assert_eq!(utf16_len(family), 11);
    let body = format!("{}{family}{}", "a".repeat(4090), "b".repeat(10));
    let parts = sent_parts(&body, TextFormat::Raw).await?;
    assert_eq!(
        parts,
        vec!["a".repeat(4090), format!("{family}{}", "b".repeat(10))]
    );
    Ok(())
}

#[tokio::test]
async fn a_10000_character_line_of_words_is_cut_between_words() -> anyhow::Result<()> {
    let words = ["shipping", "to", "Canada", "takes", "about", "five", "days"];
    let mut line = String::new();
    let mut i = 0;
    while line.len() < 10_000 {
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(words[i % words.len()]);
        i += 1;
    }
    line.truncate(10_000);
    let line = line.trim_end().to_string();
    let parts = sent_parts(&line, TextFormat::Raw).await?;
    assert_eq!(
        parts.len(),
        3,
        "{:?}",
        parts.iter().map(|p| p.len()).collect::<Vec<_>>()
    );
    for part in &parts {
        assert!(!part.starts_with(' ') && !part.ends_with(' '), "{part:?}");
    }
    // Each cut consumed exactly one space: nothing lost, nothing reordered.
    assert_eq!(parts.join(" "), line);
    whatsapp::outbound::chunk::verify(&line, LIMIT, &parts).map_err(anyhow::Error::msg)?;
    Ok(())
}

#[tokio::test]
async fn a_10000_character_word_is_hard_cut_in_order() -> anyhow::Result<()> {
    let word: String = (0..10_000u32)
        .map(|i| char::from(b'a' + u8::try_from(i % 26).unwrap_or(0)))
        .collect();
    let parts = sent_parts(&word, TextFormat::Raw).await?;
    let lengths: Vec<usize> = parts.iter().map(|p| p.len()).collect();
    assert_eq!(lengths, vec![4096, 4096, 1808]);
    assert_eq!(parts.concat(), word);
    Ok(())
}

#[tokio::test]
async fn a_code_block_longer_than_a_message_is_fenced_in_every_part() -> anyhow::Result<()> {
    let mut markdown = String::from("Here is the log:\n\n```text\n");
    for n in 0..180 {
        markdown.push_str(&format!(
            "line {n:03}: **not bold** value_with_underscores ~~kept~~\n"
        ));
    }
    markdown.push_str("```\n\nThat's **all**.");
    let parts = sent_parts(&markdown, TextFormat::Markdown).await?;
    assert!(parts.len() >= 3, "{} parts", parts.len());
    for (i, part) in parts.iter().enumerate() {
        // Balanced: every part opens and closes its own code block.
        assert_eq!(
            fence_lines(part) % 2,
            0,
            "part {i} has unbalanced fences:\n{part}"
        );
        if i > 0 {
            assert!(
                part.starts_with("```\n"),
                "part {i} does not reopen the block"
            );
        }
        if i + 1 < parts.len() {
            assert!(part.ends_with("\n```"), "part {i} does not close the block");
        }
    }
    assert!(parts[0].starts_with("Here is the log:\n\n```\nline 000: **not bold**"));
    assert!(parts
        .last()
        .is_some_and(|p| p.ends_with("```\n\nThat's *all*.")));
    // Drop the added fences and put back the consumed whitespace: the converted text.
    let converted = whatsapp::outbound::format::markdown_to_whatsapp(&markdown);
    whatsapp::outbound::chunk::verify(&converted, LIMIT, &parts).map_err(anyhow::Error::msg)?;
    // No code line was lost or converted.
    let all = parts.concat();
    for n in 0..180 {
        let line = format!("line {n:03}: **not bold** value_with_underscores ~~kept~~");
        assert_eq!(all.matches(&line).count(), 1, "{line}");
    }
    Ok(())
}

#[tokio::test]
async fn parts_are_sent_in_order_and_only_the_first_quotes() -> anyhow::Result<()> {
    let h = harness();
    let paragraphs: Vec<String> = (1..=12)
        .map(|n| {
            format!(
                "Paragraph {n}: {}",
                "lorem ipsum dolor sit amet ".repeat(30).trim_end()
            )
        })
        .collect();
    let body = paragraphs.join("\n\n");
    assert!(utf16_len(&body) > 2 * LIMIT);
    let sent = h
        .outgoing()
        .send_text(&TextMessage {
            to: ALICE.into(),
            body: body.clone(),
            format: TextFormat::Markdown,
            preview_url: true,
            reply_to: Some("wamid.QUOTED".into()),
            phone_number_id: None,
            biz_opaque_callback_data: None,
        })
        .await?
        .map_err(|f| anyhow::anyhow!("{f:?}"))?;
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 3);
    let ids: Vec<String> = (1..=3).map(|n| format!("wamid.sandbox.{n}")).collect();
    assert_eq!(sent.message_ids, ids, "one id per part, in order");
    assert_eq!(sent.wa_id.as_deref(), Some(ALICE));
    for (i, request) in requests.iter().enumerate() {
        let json = request.json();
        assert_eq!(json["to"], ALICE);
        assert_eq!(json["text"]["preview_url"], true, "part {i}");
        if i == 0 {
            assert_eq!(
                json["context"],
                serde_json::json!({"message_id": "wamid.QUOTED"})
            );
        } else {
            assert!(json.get("context").is_none(), "part {i} quotes: {json}");
        }
    }
    let parts = text_bodies(&h);
    // Paragraph breaks are the cuts; the paragraphs come out whole and in order.
    let rejoined: Vec<String> = parts
        .iter()
        .flat_map(|p| p.split("\n\n").map(str::to_owned))
        .collect();
    assert_eq!(rejoined, paragraphs);
    whatsapp::outbound::chunk::verify(&body, LIMIT, &parts).map_err(anyhow::Error::msg)?;
    Ok(())
}

#[tokio::test]
async fn the_limit_applies_to_the_converted_text() -> anyhow::Result<()> {
    // 4800 characters of Markdown, 3600 once converted: one message.
    let markdown = "**ab** ".repeat(600).trim_end().to_string();
    assert!(utf16_len(&markdown) > LIMIT);
    let parts = sent_parts(&markdown, TextFormat::Markdown).await?;
    assert_eq!(parts, vec!["*ab* ".repeat(600).trim_end().to_string()]);
    // The same text raw is too long for one message.
    assert_eq!(sent_parts(&markdown, TextFormat::Raw).await?.len(), 2);
    Ok(())
}

#[tokio::test]
async fn exactly_4096_units_is_one_message() -> anyhow::Result<()> {
    // 2048 emoji of 2 UTF-16 units each: 4096 units, 8192 bytes.
    let body = "😀".repeat(2048);
    assert_eq!(
        sent_parts(&body, TextFormat::Raw).await?,
        vec![body.clone()]
    );
    let longer = format!("{body}😀");
    let parts = sent_parts(&longer, TextFormat::Raw).await?;
    assert_eq!(parts, vec![body, "😀".to_string()]);
    Ok(())
}
