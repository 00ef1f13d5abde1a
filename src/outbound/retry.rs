//! When to try a failed request again, and after how long. Pure: the caller supplies
//! the random number and the elapsed time, so a schedule is reproducible.
//!
//! The backoff is exponential with **equal jitter**: before retry `n` (1-based) the
//! step is `min(cap, base * 2^(n-1))` and the pause is drawn from
//! `[step / 2, step]`. Equal rather than full jitter (`[0, step]`) because most
//! retryable Graph errors are rate limits (130429, 4, 80007, 131056), where a pause
//! close to zero only spends an attempt: half the step is always waited, and the other
//! half still spreads competing senders apart.
//!
//! Meta's pair rate limit (131056, about one message per 6 seconds to the same user)
//! gets its own floor: the step starts at [`RetryPolicy::pair_rate_base`] (6 s), and
//! the pause is never below it (nor above `cap`), so the first retry to that user
//! waits at least 6 s. See [`Backoff::for_code`].
//!
//! A retry happens only while attempts remain (`max_attempts` counts the first try)
//! and while the pause would not take the whole operation past `max_total`.

use std::time::Duration;

use crate::outbound::graph_error::{send_error_retryable, PAIR_RATE_LIMIT_CODE};
use crate::types::SendError;

/// Which backoff schedule a failure calls for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backoff {
    /// The usual exponential backoff from [`RetryPolicy::base`].
    Standard,
    /// Meta's pair rate limit (131056): at least [`RetryPolicy::pair_rate_base`].
    PairRate,
}

impl Backoff {
    /// [`Backoff::PairRate`] for Meta's code 131056, [`Backoff::Standard`] otherwise.
    pub fn for_code(code: Option<i64>) -> Backoff {
        if code == Some(PAIR_RATE_LIMIT_CODE) {
            Backoff::PairRate
        } else {
            Backoff::Standard
        }
    }

    /// The schedule for a failed send: pair rate for a Graph error 131056, standard
    /// for everything else.
    pub fn for_error(error: &SendError) -> Backoff {
        match error {
            SendError::Graph(graph) => Backoff::for_code(Some(graph.code)),
            _ => Backoff::Standard,
        }
    }
}

/// Bounded exponential backoff with equal jitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most attempts in all, the first one included (4: one try and three retries).
    /// 0 counts as 1.
    pub max_attempts: u32,
    /// The step before the first retry (500 ms); it doubles with each retry.
    pub base: Duration,
    /// The longest single pause (8 s).
    pub cap: Duration,
    /// The longest the whole operation may take, pauses and attempts (20 s): a retry
    /// whose pause would end after it is not made.
    pub max_total: Duration,
    /// The step and the shortest pause for Meta's pair rate limit, 131056 (6 s; limited
    /// by `cap`).
    pub pair_rate_base: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(8),
            max_total: Duration::from_secs(20),
            pair_rate_base: Duration::from_secs(6),
        }
    }
}

fn nanos(duration: Duration) -> u128 {
    duration.as_nanos()
}

fn from_nanos(nanos: u128) -> Duration {
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

impl RetryPolicy {
    /// The pause before retry number `attempt` (1-based; 0 counts as 1) on the
    /// standard schedule. See [`RetryPolicy::delay_for`].
    pub fn delay(&self, attempt: u32, random: u64) -> Duration {
        self.delay_for(Backoff::Standard, attempt, random)
    }

    /// The pause before retry number `attempt` (1-based; 0 counts as 1): the step
    /// `min(cap, base * 2^(attempt-1))`, and a pause in `[step/2, step]` picked by
    /// `random` (the same `random` always gives the same pause). On the pair-rate
    /// schedule the base is at least `pair_rate_base` and the pause is never below
    /// `min(pair_rate_base, cap)`. Never above `cap`.
    pub fn delay_for(&self, backoff: Backoff, attempt: u32, random: u64) -> Duration {
        let cap = nanos(self.cap);
        let base = match backoff {
            Backoff::Standard => nanos(self.base),
            Backoff::PairRate => nanos(self.base).max(nanos(self.pair_rate_base)),
        };
        let doublings = attempt.saturating_sub(1).min(64);
        let step = base.saturating_mul(1u128 << doublings).min(cap);
        let floor = match backoff {
            Backoff::Standard => step / 2,
            Backoff::PairRate => (step / 2).max(nanos(self.pair_rate_base).min(step)),
        };
        let span = step - floor;
        let jitter = match span.checked_add(1) {
            Some(modulus) => u128::from(random) % modulus,
            None => u128::from(random),
        };
        from_nanos(floor + jitter)
    }

    /// The pause before the next attempt on the standard schedule, or `None` to stop.
    /// See [`RetryPolicy::next_for`].
    pub fn next(
        &self,
        attempt_done: u32,
        elapsed: Duration,
        retryable: bool,
        random: u64,
    ) -> Option<Duration> {
        self.next_for(Backoff::Standard, attempt_done, elapsed, retryable, random)
    }

    /// The pause before the next attempt, or `None` to stop: stops when the failure is
    /// not `retryable`, when `attempt_done` (attempts made so far, the first try
    /// included) has reached `max_attempts`, or when `elapsed` (time since the first
    /// try began) plus the pause would exceed `max_total`.
    pub fn next_for(
        &self,
        backoff: Backoff,
        attempt_done: u32,
        elapsed: Duration,
        retryable: bool,
        random: u64,
    ) -> Option<Duration> {
        if !retryable || attempt_done >= self.max_attempts.max(1) {
            return None;
        }
        let delay = self.delay_for(backoff, attempt_done, random);
        let end = elapsed.checked_add(delay)?;
        if end > self.max_total {
            return None;
        }
        Some(delay)
    }

    /// The pause before the next attempt after `error`, or `None` to stop: retryable
    /// as [`send_error_retryable`] says, on the schedule [`Backoff::for_error`] picks.
    pub fn next_after(
        &self,
        error: &SendError,
        attempt_done: u32,
        elapsed: Duration,
        random: u64,
    ) -> Option<Duration> {
        self.next_for(
            Backoff::for_error(error),
            attempt_done,
            elapsed,
            send_error_retryable(error),
            random,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{BadResponse, GraphError, TransportError, TransportKind};

    const MS: Duration = Duration::from_millis(1);

    /// A spread of "random" values, extremes included.
    fn randoms() -> Vec<u64> {
        let mut values = vec![0, 1, 2, u64::MAX, u64::MAX - 1, u64::MAX / 2];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..500 {
            // xorshift64
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(x);
        }
        values
    }

    fn graph_error(code: i64, retryable: bool) -> SendError {
        SendError::Graph(GraphError {
            http_status: 400,
            code,
            subcode: None,
            kind: "OAuthException".into(),
            message: String::new(),
            details: None,
            fbtrace_id: None,
            retryable,
        })
    }

    #[test]
    fn defaults() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_attempts, 4);
        assert_eq!(p.base, Duration::from_millis(500));
        assert_eq!(p.cap, Duration::from_secs(8));
        assert_eq!(p.max_total, Duration::from_secs(20));
        assert_eq!(p.pair_rate_base, Duration::from_secs(6));
    }

    #[test]
    fn standard_delay_bounds() {
        let p = RetryPolicy::default();
        // Steps: 500 ms, 1 s, 2 s, 4 s, 8 s, 8 s, ...
        let steps = [500, 1000, 2000, 4000, 8000, 8000, 8000];
        for (i, step) in steps.iter().enumerate() {
            let attempt = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let step = *step * MS;
            for r in randoms() {
                let d = p.delay(attempt, r);
                assert!(d >= step / 2, "attempt {attempt}: {d:?} < {:?}", step / 2);
                assert!(d <= step, "attempt {attempt}: {d:?} > {step:?}");
                assert!(d <= p.cap);
            }
        }
        // Both ends are reachable.
        assert_eq!(p.delay(1, 0), 250 * MS);
        let span = u64::try_from((250 * MS).as_nanos()).unwrap_or(0);
        assert_eq!(p.delay(1, span), 500 * MS);
        assert_eq!(p.delay(1, span + 1), 250 * MS);
    }

    #[test]
    fn delay_is_deterministic() {
        let p = RetryPolicy::default();
        for r in randoms() {
            for attempt in 1..8 {
                assert_eq!(p.delay(attempt, r), p.delay(attempt, r));
                assert_eq!(
                    p.delay_for(Backoff::PairRate, attempt, r),
                    p.delay_for(Backoff::PairRate, attempt, r)
                );
            }
        }
        // Different randoms do spread the delays.
        let distinct: std::collections::BTreeSet<Duration> =
            randoms().into_iter().map(|r| p.delay(3, r)).collect();
        assert!(distinct.len() > 100);
    }

    #[test]
    fn delay_extremes_do_not_overflow() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(0, 0), p.delay(1, 0));
        for attempt in [63, 64, 65, 128, 1000, u32::MAX] {
            for r in [0, u64::MAX] {
                let d = p.delay(attempt, r);
                assert!(d >= p.cap / 2 && d <= p.cap, "{attempt}: {d:?}");
            }
        }
        let huge = RetryPolicy {
            max_attempts: u32::MAX,
            base: Duration::MAX,
            cap: Duration::MAX,
            max_total: Duration::MAX,
            pair_rate_base: Duration::MAX,
        };
        for attempt in [1, 2, u32::MAX] {
            let _ = huge.delay(attempt, u64::MAX);
            let _ = huge.delay_for(Backoff::PairRate, attempt, u64::MAX);
            let _ = huge.next(attempt, Duration::MAX, true, 7);
        }
        let zero = RetryPolicy {
            max_attempts: 4,
            base: Duration::ZERO,
            cap: Duration::ZERO,
            max_total: Duration::ZERO,
            pair_rate_base: Duration::ZERO,
        };
        assert_eq!(zero.delay(1, u64::MAX), Duration::ZERO);
        assert_eq!(zero.next(1, Duration::ZERO, true, 5), Some(Duration::ZERO));
    }

    #[test]
    fn pair_rate_waits_at_least_six_seconds() {
        let p = RetryPolicy::default();
        for r in randoms() {
            for attempt in 1..10 {
                let d = p.delay_for(Backoff::PairRate, attempt, r);
                assert!(d >= Duration::from_secs(6), "{attempt}: {d:?}");
                assert!(d <= p.cap, "{attempt}: {d:?}");
            }
        }
        assert_eq!(
            p.delay_for(Backoff::PairRate, 1, 12345),
            Duration::from_secs(6)
        );
        // With a cap below the pair-rate base, the cap still wins.
        let low = RetryPolicy {
            cap: Duration::from_secs(3),
            ..p
        };
        for r in randoms() {
            assert_eq!(
                low.delay_for(Backoff::PairRate, 1, r),
                Duration::from_secs(3)
            );
        }
        // A wider cap lets the pair-rate step grow: 6 s, 12 s, ...
        let wide = RetryPolicy {
            cap: Duration::from_secs(60),
            ..p
        };
        for r in randoms() {
            let d = wide.delay_for(Backoff::PairRate, 2, r);
            assert!(
                d >= Duration::from_secs(6) && d <= Duration::from_secs(12),
                "{d:?}"
            );
        }
    }

    #[test]
    fn backoff_choice() {
        assert_eq!(Backoff::for_code(Some(131056)), Backoff::PairRate);
        for code in [None, Some(130429), Some(4), Some(0)] {
            assert_eq!(Backoff::for_code(code), Backoff::Standard);
        }
        assert_eq!(
            Backoff::for_error(&graph_error(131056, true)),
            Backoff::PairRate
        );
        assert_eq!(
            Backoff::for_error(&graph_error(130429, true)),
            Backoff::Standard
        );
        assert_eq!(
            Backoff::for_error(&SendError::MissingConfig(vec![])),
            Backoff::Standard
        );
    }

    #[test]
    fn next_stops_when_not_retryable() {
        let p = RetryPolicy::default();
        assert_eq!(p.next(1, Duration::ZERO, false, 0), None);
        assert!(p.next(1, Duration::ZERO, true, 0).is_some());
    }

    #[test]
    fn next_stops_at_max_attempts() {
        let p = RetryPolicy::default();
        for r in randoms() {
            assert!(p.next(1, Duration::ZERO, true, r).is_some());
            assert!(p.next(2, Duration::ZERO, true, r).is_some());
            assert!(p.next(3, Duration::ZERO, true, r).is_some());
            assert_eq!(p.next(4, Duration::ZERO, true, r), None);
            assert_eq!(p.next(5, Duration::ZERO, true, r), None);
        }
        for max_attempts in [0, 1] {
            let once = RetryPolicy { max_attempts, ..p };
            assert_eq!(once.next(1, Duration::ZERO, true, 0), None);
        }
        // The pause before retry n is the delay of retry n.
        assert_eq!(p.next(2, Duration::ZERO, true, 99), Some(p.delay(2, 99)));
    }

    #[test]
    fn next_respects_max_total() {
        let p = RetryPolicy::default();
        // 19.9 s gone: even the shortest first pause (250 ms) would pass 20 s.
        assert_eq!(p.next(1, Duration::from_millis(19_900), true, 0), None);
        // Exactly reaching max_total is allowed.
        assert_eq!(
            p.next(1, Duration::from_millis(19_750), true, 0),
            Some(Duration::from_millis(250))
        );
        assert_eq!(p.next(1, Duration::from_secs(25), true, 0), None);
        assert_eq!(p.next(1, Duration::MAX, true, 0), None);
    }

    /// Simulates whole schedules: attempts that each take `attempt_time`, pauses from
    /// `next_for`; checks every bound.
    fn simulate(
        p: &RetryPolicy,
        backoff: Backoff,
        attempt_time: Duration,
        r: u64,
    ) -> (u32, Duration) {
        let mut elapsed = Duration::ZERO;
        let mut attempts = 0u32;
        let mut random = r;
        loop {
            attempts += 1;
            elapsed += attempt_time;
            random = random
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            match p.next_for(backoff, attempts, elapsed, true, random) {
                Some(pause) => {
                    assert!(pause <= p.cap);
                    elapsed += pause;
                    assert!(elapsed <= p.max_total, "{elapsed:?}");
                }
                None => return (attempts, elapsed),
            }
        }
    }

    #[test]
    fn whole_schedules_stay_within_bounds() {
        let p = RetryPolicy::default();
        for r in randoms() {
            for backoff in [Backoff::Standard, Backoff::PairRate] {
                for attempt_time in [Duration::ZERO, 100 * MS, Duration::from_secs(2)] {
                    let (attempts, _) = simulate(&p, backoff, attempt_time, r);
                    assert!((1..=4).contains(&attempts), "{attempts}");
                }
            }
            // Fast failures on the standard schedule always get all four attempts:
            // at most 0.5 + 1 + 2 s of pauses.
            assert_eq!(simulate(&p, Backoff::Standard, Duration::ZERO, r).0, 4);
            // Pair rate: 6 s then 6-8 s then 6-8 s; the third pause fits only while the
            // total stays within 20 s.
            let (attempts, elapsed) = simulate(&p, Backoff::PairRate, Duration::ZERO, r);
            assert!((3..=4).contains(&attempts), "{attempts}");
            assert!(elapsed >= Duration::from_secs(12));
        }
    }

    #[test]
    fn next_after_errors() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.next_after(&graph_error(131047, false), 1, Duration::ZERO, 0),
            None
        );
        assert_eq!(
            p.next_after(&graph_error(130429, true), 1, Duration::ZERO, 0),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            p.next_after(&graph_error(131056, true), 1, Duration::ZERO, 0),
            Some(Duration::from_secs(6))
        );
        assert_eq!(
            p.next_after(&graph_error(131056, true), 4, Duration::ZERO, 0),
            None
        );
        let bad = |status| {
            SendError::BadResponse(BadResponse {
                http_status: status,
                content_type: None,
                reason: String::new(),
            })
        };
        assert!(p.next_after(&bad(503), 1, Duration::ZERO, 0).is_some());
        assert_eq!(p.next_after(&bad(200), 1, Duration::ZERO, 0), None);
        let transport = |kind| {
            SendError::Transport(TransportError {
                kind,
                detail: String::new(),
            })
        };
        assert!(p
            .next_after(
                &transport(TransportKind::ConnectionRefused),
                1,
                Duration::ZERO,
                0
            )
            .is_some());
        assert_eq!(
            p.next_after(&transport(TransportKind::Timeout), 1, Duration::ZERO, 0),
            None
        );
        assert_eq!(
            p.next_after(
                &SendError::MissingConfig(vec!["X".into()]),
                1,
                Duration::ZERO,
                0
            ),
            None
        );
    }
}
