//! How long an invocation may work: Lambda's deadline, unless it cannot be right, and the
//! margin kept before it.
//!
//! The Runtime API's `Lambda-Runtime-Deadline-Ms` is epoch milliseconds. Local emulators send
//! other things: cargo-lambda 1.9 a duration (`600000`), others 0 or nothing (aws-lambda-go
//! #361, #564). A deadline that cannot be right at the start of an invocation is replaced by
//! the function's configured timeout (`SIFT_FUNCTION_TIMEOUT_S`), with one warning per
//! container. The margin (`SIFT_DEADLINE_MARGIN_MS`, 10 s) shrinks to a quarter of the time
//! left, so a 3 s function still processes a small file.

use std::time::Duration;

/// Epoch milliseconds before this (2001-09-09) are no deadline of today: a duration, say.
const EPOCH_MS_FLOOR: u64 = 1_000_000_000_000;

/// Lambda's longest timeout, and some slack for clocks: a deadline further away is not one.
const LONGEST: Duration = Duration::from_secs(900 + 60);

/// The time an invocation has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Budget {
    /// Until Lambda's deadline (or the configured timeout, when that was not believable).
    pub left: Duration,
    /// Kept before it: a file still reading then is stopped and rolled back.
    pub margin: Duration,
    /// Why the deadline was replaced by the configured timeout, when it was.
    pub replaced: Option<&'static str>,
}

impl Budget {
    /// The budget of an invocation whose deadline is `deadline_ms` at `now_ms` (both epoch
    /// milliseconds), for a function configured with `timeout` and a margin of `margin`.
    pub(crate) fn new(deadline_ms: u64, now_ms: u64, timeout: Duration, margin: Duration) -> Self {
        let replaced = if deadline_ms == 0 {
            Some("zero or absent")
        } else if deadline_ms < EPOCH_MS_FLOOR {
            Some("a duration, not epoch milliseconds")
        } else if deadline_ms <= now_ms {
            Some("in the past")
        } else if Duration::from_millis(deadline_ms - now_ms) > LONGEST {
            Some("further away than Lambda's 15-minute limit")
        } else {
            None
        };
        let left = match replaced {
            Some(_) => timeout,
            None => Duration::from_millis(deadline_ms - now_ms),
        };
        Self { left, margin: margin.min(left / 4), replaced }
    }

    /// The time files may work: what is left less the margin.
    pub(crate) fn working(&self) -> Duration {
        self.left.saturating_sub(self.margin)
    }

    /// In words, for the message of a file that runs out of time.
    pub(crate) fn describe(&self) -> String {
        format!(
            "the invocation had {:.1} s and keeps a margin of {:.1} s (SIFT_DEADLINE_MARGIN_MS)",
            self.left.as_secs_f64(),
            self.margin.as_secs_f64()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_796_000_000_000; // 2026-11-30
    const TIMEOUT: Duration = Duration::from_secs(900);
    const MARGIN: Duration = Duration::from_secs(10);

    #[test]
    fn a_believable_deadline_is_kept_and_the_margin_shrinks_with_short_timeouts() {
        let b = Budget::new(NOW + 600_000, NOW, TIMEOUT, MARGIN);
        assert_eq!((b.left, b.margin, b.replaced), (Duration::from_secs(600), MARGIN, None));
        assert_eq!(b.working(), Duration::from_secs(590));
        // Lambda's default timeout, 3 s: a quarter of it is kept, the rest works.
        let b = Budget::new(NOW + 3_000, NOW, TIMEOUT, MARGIN);
        assert_eq!((b.margin, b.working()), (Duration::from_millis(750), Duration::from_millis(2_250)));
        assert!(
            b.describe().contains("had 3.0 s") && b.describe().contains("margin of 0.8 s"),
            "{}",
            b.describe()
        );
    }

    #[test]
    fn a_deadline_that_cannot_be_right_is_replaced_by_the_timeout() {
        for (deadline, why) in [
            (0, "zero or absent"),
            (600_000, "a duration, not epoch milliseconds"), // cargo-lambda 1.9
            (NOW - 1, "in the past"),
            (NOW, "in the past"),
            (NOW + 3_600_000, "further away than Lambda's 15-minute limit"),
        ] {
            let b = Budget::new(deadline, NOW, Duration::from_secs(30), MARGIN);
            assert_eq!(b.replaced, Some(why), "{deadline}");
            assert_eq!(
                (b.left, b.margin),
                (Duration::from_secs(30), Duration::from_millis(7_500)),
                "{deadline}"
            );
        }
    }
}
