//! Retries through the real component, on a paused clock with pinned randomness: the
//! pauses between attempts are exactly the retry policy's schedule
//! (`whatsapp::outbound::retry::RetryPolicy::default()`), attempts and total time are bounded,
//! the pair rate limit waits longer, permanent errors are sent once, and a long text
//! stops at the part that failed.
//!
//! # Pinned jitter
//!
//! `Harness::random_bytes(b)` gives every instance a `wasi:random` that returns the
//! bytes of `b`, cycled from the start. wasmtime-wasi's `get-random-u64` reads two
//! big-endian `u32`s from that stream, high word first: the u64 is the next 8 bytes
//! read big-endian ([`pinned_u64`]). The component draws one such u64 per attempt, so
//! an 8-byte pattern (or a single repeated byte) gives the same value every time.
//!
//! # Millisecond ticks
//!
//! tokio's timer fires on whole milliseconds: under the paused clock a guest sleep of
//! 499.887419 ms advances virtual time by 500 ms. So the exact comparisons pin a
//! jitter that makes every pause a whole number of milliseconds ([`JITTER_123_MS`]:
//! the random value is 123,000,000 ns, below every standard step's span, so each pause
//! is `step / 2 + 123 ms`); an arbitrary jitter is compared rounded up to the tick
//! ([`on_ticks`]).

mod outgoing_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use host_test::*;
use outgoing_support::*;
use whatsapp::outbound::retry::{Backoff, RetryPolicy};

/// The u64 `get-random-u64` returns when the random stream is `pattern`, cycled.
fn pinned_u64(pattern: &[u8]) -> u64 {
    pattern
        .iter()
        .cycle()
        .take(8)
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

/// An arbitrary 8-byte pattern: 0x0102030405060708, pauses with nanoseconds.
const PATTERN: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];
/// 123,000,000 (0x0754D4C0): pauses of whole milliseconds.
const JITTER_123_MS: [u8; 8] = [0, 0, 0, 0, 0x07, 0x54, 0xD4, 0xC0];
/// 1,500,000,000 (0x59682F00): a pair-rate pause of 6 s + 1.5 s.
const JITTER_1500_MS: [u8; 8] = [0, 0, 0, 0, 0x59, 0x68, 0x2F, 0x00];

/// `delays` as virtual time records them: each rounded up to a whole millisecond.
fn on_ticks(delays: &[Duration]) -> Vec<Duration> {
    delays
        .iter()
        .map(|d| {
            Duration::from_millis(
                u64::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX),
            )
        })
        .collect()
}

/// The gaps between the starts of consecutive attempts the policy calls for, when
/// every attempt takes `attempt_time` and fails with a retryable error, and the same
/// `random` is drawn before each: the pause after attempt `n` is
/// `next_for(backoff, n, elapsed, true, random)`, `elapsed` counting from the start of
/// the first attempt to the end of attempt `n`.
fn schedule(backoff: Backoff, random: u64, attempt_time: Duration) -> Vec<Duration> {
    let policy = RetryPolicy::default();
    let mut elapsed = Duration::ZERO;
    let mut gaps = Vec::new();
    for attempt in 1.. {
        elapsed += attempt_time;
        match policy.next_for(backoff, attempt, elapsed, true, random) {
            Some(pause) => {
                gaps.push(attempt_time + pause);
                elapsed += pause;
            }
            None => break,
        }
    }
    gaps
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn ns(n: u64) -> Duration {
    Duration::from_nanos(n)
}

fn media_message() -> MediaMessage {
    MediaMessage {
        to: ALICE.into(),
        kind: MediaKind::Document,
        source: MediaSource::Link("https://cdn.example.com/invoice.pdf".into()),
        caption: None,
        filename: Some("invoice.pdf".into()),
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

fn pinned(pattern: &[u8]) -> Harness {
    harness().random_bytes(pattern.to_vec())
}

#[test]
fn pinned_bytes_make_a_big_endian_u64() {
    assert_eq!(pinned_u64(&PATTERN), 0x0102_0304_0506_0708);
    assert_eq!(pinned_u64(&JITTER_123_MS), 123_000_000);
    assert_eq!(pinned_u64(&JITTER_1500_MS), 1_500_000_000);
    assert_eq!(pinned_u64(&[0x9c]), 0x9c9c_9c9c_9c9c_9c9c);
    assert_eq!(pinned_u64(&[0]), 0);
}

// ------------------------------------------------------------------ the schedule

#[tokio::test(start_paused = true)]
async fn retryable_graph_errors_wait_the_policy_schedule() -> anyhow::Result<()> {
    let random = pinned_u64(&JITTER_123_MS);
    let want = schedule(Backoff::Standard, random, Duration::ZERO);
    // Worked out by hand: steps of 500 ms, 1 s and 2 s; half of each, plus 123 ms.
    assert_eq!(want, vec![ms(373), ms(623), ms(1123)]);
    for (name, status) in [
        ("error_130429_throughput.json", 400),
        ("error_131000_generic.json", 500),
        ("error_4_app_rate_limit.json", 400),
    ] {
        let h = pinned(&JITTER_123_MS).graph(move |_| meta_answer(status, name));
        let error = graph_error(h.outgoing().send_media(&media_message()).await?);
        assert!(error.retryable, "{name}");
        assert_eq!(h.graph_requests().len(), 4, "{name}: max 4 attempts");
        assert_eq!(h.graph_delays(), want, "{name}");
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_arbitrary_jitter_gives_the_policy_schedule_to_the_tick() -> anyhow::Result<()> {
    let random = pinned_u64(&PATTERN);
    let want = schedule(Backoff::Standard, random, Duration::ZERO);
    // Pause n is step/2 + random % (step/2 + 1) nanoseconds.
    assert_eq!(
        want,
        vec![ns(499_887_419), ns(645_135_137), ns(1_717_758_997)]
    );
    let h = pinned(&PATTERN).graph(|_| meta_answer(400, "error_130429_throughput.json"));
    graph_error(h.outgoing().send_media(&media_message()).await?);
    assert_eq!(h.graph_delays(), on_ticks(&want));
    assert_eq!(h.graph_delays(), vec![ms(500), ms(646), ms(1718)]);
    // The component logged the exact pauses it asked for (whole milliseconds, floored).
    let logs = h.logs();
    for pause in [
        "retrying in 499 ms",
        "retrying in 645 ms",
        "retrying in 1717 ms",
    ] {
        assert!(logs.contains(pause), "{pause}\n{logs}");
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn zero_jitter_gives_the_shortest_pauses() -> anyhow::Result<()> {
    let h = pinned(&[0]).graph(|_| GraphResponse::connection_refused());
    let error = transport_error(h.outgoing().send_media(&media_message()).await?);
    assert_eq!(error.kind, TransportKind::ConnectionRefused);
    assert_eq!(h.graph_delays(), vec![ms(250), ms(500), ms(1000)]);
    assert_eq!(
        h.graph_delays(),
        schedule(Backoff::Standard, 0, Duration::ZERO)
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_transient_error_then_success_returns_the_late_id() -> anyhow::Result<()> {
    let h = pinned(&JITTER_123_MS).graph(|req| {
        if req.index < 2 {
            meta_answer(500, "error_131000_generic.json")
        } else {
            meta_answer(200, "send_success.json")
        }
    });
    let sent = h.outgoing().send_media(&media_message()).await?;
    assert_eq!(
        sent,
        Ok(Sent {
            message_ids: vec![SENT_ID.into()],
            wa_id: Some(ALICE.into()),
            user_id: None,
        })
    );
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 3);
    assert!(
        requests.iter().all(|r| r.body == requests[0].body),
        "same request every time"
    );
    let full = schedule(
        Backoff::Standard,
        pinned_u64(&JITTER_123_MS),
        Duration::ZERO,
    );
    assert_eq!(h.graph_delays(), full[..2].to_vec());
    assert_eq!(h.graph_delays(), vec![ms(373), ms(623)]);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn each_retry_is_logged_with_its_pause() -> anyhow::Result<()> {
    let h = pinned(&[0]).graph(|req| {
        if req.index == 0 {
            meta_answer(400, "error_130429_throughput.json")
        } else {
            meta_answer(200, "send_success.json")
        }
    });
    h.outgoing()
        .send_media(&media_message())
        .await?
        .expect("sent on the retry");
    let logs = h.logs();
    assert!(
        logs.contains("attempt 1 failed, retrying in 250 ms") && logs.contains("130429"),
        "{logs}"
    );
    Ok(())
}

// ------------------------------------------------------------------ pair rate

#[tokio::test(start_paused = true)]
async fn the_pair_rate_limit_waits_at_least_six_seconds() -> anyhow::Result<()> {
    let h = pinned(&[0]).graph(|_| meta_answer(400, "error_131056_pair_rate.json"));
    let error = graph_error(
        h.outgoing()
            .react(&ReactionMessage {
                to: ALICE.into(),
                message_id: "wamid.IN".into(),
                emoji: "👍".into(),
                phone_number_id: None,
                biz_opaque_callback_data: None,
            })
            .await?,
    );
    assert_eq!((error.code, error.retryable), (131056, true));
    // 6 s each, 18 s in all: all four attempts fit in the 20 s budget.
    assert_eq!(h.graph_delays(), vec![ms(6000), ms(6000), ms(6000)]);
    assert_eq!(
        h.graph_delays(),
        schedule(Backoff::PairRate, 0, Duration::ZERO)
    );
    // The standard schedule for the same random value is far shorter.
    let standard = schedule(Backoff::Standard, 0, Duration::ZERO);
    assert!(standard.iter().all(|d| *d < ms(6000)), "{standard:?}");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_pair_rate_backoff_stops_within_the_time_budget() -> anyhow::Result<()> {
    let h = pinned(&JITTER_1500_MS).graph(|_| meta_answer(400, "error_131056_pair_rate.json"));
    let failure = h
        .outgoing()
        .send_text(&text(ALICE, "Your order shipped", TextFormat::Markdown))
        .await?
        .expect_err("pair rate limit every time");
    assert!(matches!(failure.error, SendError::Graph(ref g) if g.code == 131056));
    // 6 s, then 6 s + 1.5 s; a third pause (7.5 s) would end past 20 s: 3 attempts.
    let want = schedule(
        Backoff::PairRate,
        pinned_u64(&JITTER_1500_MS),
        Duration::ZERO,
    );
    assert_eq!(want, vec![ms(6000), ms(7500)]);
    assert_eq!(h.graph_delays(), want);
    assert_eq!(h.graph_requests().len(), 3);
    Ok(())
}

// ------------------------------------------------------------------ bounds

#[tokio::test(start_paused = true)]
async fn attempts_and_total_time_are_bounded() -> anyhow::Result<()> {
    let policy = RetryPolicy::default();
    for pattern in [vec![0u8], vec![0xff], PATTERN.to_vec()] {
        let h = pinned(&pattern).graph(|_| GraphResponse::json(503, serde_json::json!({})));
        let started = h.elapsed();
        bad_response(h.outgoing().send_media(&media_message()).await?);
        assert_eq!(h.graph_requests().len() as u32, policy.max_attempts);
        let total: Duration = h.graph_delays().iter().sum();
        assert!(total <= policy.max_total, "{pattern:?}: {total:?}");
        assert!(h.elapsed() - started <= policy.max_total);
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn slow_failing_answers_count_toward_the_time_budget() -> anyhow::Result<()> {
    let slow = ms(8000);
    let h = pinned(&[0]).graph(move |_| meta_answer(500, "error_131000_generic.json").after(slow));
    graph_error(h.outgoing().send_media(&media_message()).await?);
    // 8 s + 250 ms, 8 s + 500 ms; a fourth attempt would start past 20 s.
    let want = schedule(Backoff::Standard, 0, slow);
    assert_eq!(want, vec![ms(8250), ms(8500)]);
    assert_eq!(h.graph_delays(), want);
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 3);
    let span = requests[2].at - requests[0].at;
    assert!(span <= RetryPolicy::default().max_total, "{span:?}");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn permanent_errors_are_sent_exactly_once() -> anyhow::Result<()> {
    for (name, status) in [
        ("error_131047_reengagement.json", 400),
        ("error_190_token_expired.json", 401),
        ("error_100_invalid_parameter.json", 400),
        ("error_131026_undeliverable.json", 400),
        ("error_131009_parameter_value.json", 400),
        ("error_132001_template_missing.json", 404),
    ] {
        let h = pinned(&PATTERN).graph(move |_| meta_answer(status, name));
        let error = graph_error(h.outgoing().send_media(&media_message()).await?);
        assert!(!error.retryable, "{name}");
        assert_eq!(h.graph_requests().len(), 1, "{name}");
        assert_eq!(
            h.elapsed(),
            Duration::ZERO,
            "{name}: waited before giving up"
        );
        assert!(!h.logs().contains("retrying"), "{name}: {}", h.logs());
    }
    Ok(())
}

// ------------------------------------------------------------------ texts in parts

/// Three paragraphs of about 3000 characters: three parts, one paragraph each,
/// starting with `A`, `B` and `C`.
fn three_part_text() -> String {
    ["A", "B", "C"]
        .iter()
        .map(|p| {
            format!(
                "{p} {}",
                "lorem ipsum dolor sit amet ".repeat(110).trim_end()
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Whether a request is the text part starting with `letter`.
fn is_part(req: &GraphRequest, letter: &str) -> bool {
    req.json()["text"]["body"]
        .as_str()
        .is_some_and(|b| b.starts_with(letter))
}

#[tokio::test(start_paused = true)]
async fn a_permanent_failure_of_part_2_stops_part_3() -> anyhow::Result<()> {
    let h = pinned(&JITTER_123_MS).graph(|req| {
        if is_part(req, "B") {
            meta_answer(400, "error_131047_reengagement.json")
        } else {
            GraphResponse::sandbox(req)
        }
    });
    let failure = h
        .outgoing()
        .send_text(&text(ALICE, &three_part_text(), TextFormat::Markdown))
        .await?
        .expect_err("part 2 fails");
    assert_eq!(failure.part, 2);
    assert_eq!(failure.parts, 3);
    assert_eq!(failure.sent, vec!["wamid.sandbox.1".to_string()]);
    let error = graph_error(Err::<(), _>(failure.error));
    assert_eq!((error.code, error.retryable), (131047, false));
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 2, "part 2 once, part 3 never");
    assert!(is_part(&requests[0], "A") && is_part(&requests[1], "B"));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_part_that_keeps_failing_transiently_stops_the_rest_after_its_retries(
) -> anyhow::Result<()> {
    let h = pinned(&JITTER_123_MS).graph(|req| {
        if is_part(req, "B") {
            meta_answer(500, "error_131000_generic.json")
        } else {
            GraphResponse::sandbox(req)
        }
    });
    let failure = h
        .outgoing()
        .send_text(&text(ALICE, &three_part_text(), TextFormat::Raw))
        .await?
        .expect_err("part 2 fails");
    assert_eq!((failure.part, failure.parts), (2, 3));
    assert_eq!(failure.sent, vec!["wamid.sandbox.1".to_string()]);
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 1 + 4);
    assert!(requests[1..].iter().all(|r| is_part(r, "B")));
    // Part 1 was accepted at once; part 2's retries follow the schedule.
    let mut want = vec![Duration::ZERO];
    want.extend(schedule(
        Backoff::Standard,
        pinned_u64(&JITTER_123_MS),
        Duration::ZERO,
    ));
    assert_eq!(h.graph_delays(), want);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_retried_part_does_not_restart_the_text() -> anyhow::Result<()> {
    let b_attempts = Arc::new(AtomicUsize::new(0));
    let counter = b_attempts.clone();
    let h = pinned(&JITTER_123_MS).graph(move |req| {
        if is_part(req, "B") && counter.fetch_add(1, Ordering::SeqCst) == 0 {
            meta_answer(400, "error_130429_throughput.json")
        } else {
            GraphResponse::sandbox(req)
        }
    });
    let sent = h
        .outgoing()
        .send_text(&text(ALICE, &three_part_text(), TextFormat::Markdown))
        .await?
        .map_err(|f| anyhow::anyhow!("{f:?}"))?;
    // Requests: A, B (throttled), B, C.
    assert_eq!(
        sent.message_ids,
        vec!["wamid.sandbox.1", "wamid.sandbox.3", "wamid.sandbox.4"]
    );
    let order: Vec<&str> = h
        .graph_requests()
        .iter()
        .map(|r| {
            ["A", "B", "C"]
                .into_iter()
                .find(|l| is_part(r, l))
                .unwrap_or("?")
        })
        .collect();
    assert_eq!(order, vec!["A", "B", "B", "C"]);
    let first_pause = RetryPolicy::default().delay(1, pinned_u64(&JITTER_123_MS));
    assert_eq!(
        h.graph_delays(),
        vec![Duration::ZERO, first_pause, Duration::ZERO]
    );
    assert_eq!(b_attempts.load(Ordering::SeqCst), 2);
    Ok(())
}

// ------------------------------------------------------------------ idempotent

#[tokio::test(start_paused = true)]
async fn mark_read_retries_on_the_same_schedule() -> anyhow::Result<()> {
    let h = pinned(&JITTER_123_MS).graph(|req| {
        if req.index < 3 {
            GraphResponse::error(ErrorCode::ConnectionTerminated)
        } else {
            meta_answer(200, "mark_read_success.json")
        }
    });
    let done = h
        .outgoing()
        .mark_read(&ReadReceipt {
            message_id: "wamid.IN".into(),
            typing: true,
            phone_number_id: None,
        })
        .await?;
    assert_eq!(done, Ok(()));
    assert_eq!(h.graph_requests().len(), 4);
    assert_eq!(
        h.graph_delays(),
        schedule(
            Backoff::Standard,
            pinned_u64(&JITTER_123_MS),
            Duration::ZERO
        )
    );
    Ok(())
}
