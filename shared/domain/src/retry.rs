//! The one retry policy of the service, for the failures that the AWS SDK does not retry
//! itself, or that the service must not give up on after the SDK's own attempts:
//!
//! - items that a batch call left unprocessed (throttling: the SDK counts the call a success);
//! - a transaction cancelled by a concurrent transaction on the same items
//!   (`TransactionConflict`: a fresh attempt normally goes through);
//! - the writes that follow a side effect that cannot be undone (an e-mail sent, a claim stored
//!   whose notification must still be queued): giving up there costs more than waiting.
//!
//! Capped exponential backoff with full jitter: the pause before retry `n` is drawn uniformly
//! from `[0, min(cap, base × 2^(n-1))]`, so that workers that failed together do not retry
//! together. Waiting goes through the [`Pause`] port, so tests never wait.

use crate::clock::Pause;
use std::future::Future;
use std::time::Duration;

/// How often, and after how long, a failed call is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The ceiling of the first pause; it doubles with each retry.
    pub base: Duration,
    /// The largest ceiling.
    pub cap: Duration,
}

/// The service's policy: five attempts, whose pauses together stay short enough for a request a
/// partner waits on and well within a Lambda's time-out.
pub const RETRY: RetryPolicy = RetryPolicy {
    attempts: 5,
    base: Duration::from_millis(50),
    cap: Duration::from_millis(800),
};

impl RetryPolicy {
    /// The ceiling of the pause before retry `retry` (1 for the first retry).
    pub fn ceiling(&self, retry: u32) -> Duration {
        let doubled = self
            .base
            .checked_mul(
                1u32.checked_shl(retry.saturating_sub(1))
                    .unwrap_or(u32::MAX),
            )
            .unwrap_or(self.cap);
        doubled.min(self.cap)
    }

    /// The pause before retry `retry`, for a `jitter` drawn uniformly from `[0, 1)`.
    pub fn delay(&self, retry: u32, jitter: f64) -> Duration {
        self.ceiling(retry).mul_f64(jitter.clamp(0.0, 1.0))
    }

    /// Runs `attempt` until it succeeds, fails with an error that `retryable` refuses, or has
    /// been made [`RetryPolicy::attempts`] times; the last error is returned. `what` names the
    /// call in the log line of each retry.
    pub async fn run<T, E, F, Fut>(
        &self,
        what: &str,
        pause: &dyn Pause,
        mut attempt: F,
        retryable: impl Fn(&E) -> bool,
    ) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: std::fmt::Display,
    {
        let mut made = 1;
        loop {
            match attempt().await {
                Err(e) if made < self.attempts && retryable(&e) => {
                    tracing::warn!(error = %e, attempt = made, "{what} failed; retrying");
                    pause.pause(self.delay(made, fastrand::f64())).await;
                    made += 1;
                }
                result => return result,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::RecordedPauses;
    use proptest::prelude::*;
    use std::cell::Cell;

    const POLICY: RetryPolicy = RetryPolicy {
        attempts: 4,
        base: Duration::from_millis(10),
        cap: Duration::from_millis(25),
    };

    #[test]
    fn the_ceiling_doubles_from_the_base_up_to_the_cap() {
        let ceilings: Vec<u128> = (1..=5).map(|n| POLICY.ceiling(n).as_millis()).collect();
        assert_eq!(ceilings, [10, 20, 25, 25, 25]);
        assert_eq!(RETRY.ceiling(u32::MAX), RETRY.cap);
    }

    proptest! {
        #[test]
        fn every_pause_lies_between_zero_and_its_ceiling(retry in 1u32..64, jitter in 0.0f64..1.0) {
            let delay = RETRY.delay(retry, jitter);
            prop_assert!(delay <= RETRY.ceiling(retry));
        }
    }

    #[tokio::test]
    async fn a_call_that_keeps_failing_is_made_as_often_as_the_policy_says_with_a_pause_between() {
        // GIVEN a call that always fails with a retryable error
        let pauses = RecordedPauses::default();
        let calls = Cell::new(0);
        // WHEN it is run under the policy
        let result: Result<(), &str> = POLICY
            .run(
                "test call",
                &pauses,
                || {
                    calls.set(calls.get() + 1);
                    async { Err("throttled") }
                },
                |_| true,
            )
            .await;
        // THEN it is made four times, paused three times within the ceilings, and its last
        // error is returned
        assert_eq!(result, Err("throttled"));
        assert_eq!(calls.get(), 4);
        let taken = pauses.taken();
        assert_eq!(taken.len(), 3);
        for (retry, pause) in (1..).zip(taken) {
            assert!(pause <= POLICY.ceiling(retry));
        }
    }

    #[tokio::test]
    async fn an_error_that_is_not_retryable_ends_the_run_at_once() {
        let pauses = RecordedPauses::default();
        let calls = Cell::new(0);
        let result: Result<(), &str> = POLICY
            .run(
                "test call",
                &pauses,
                || {
                    calls.set(calls.get() + 1);
                    async { Err("conflict") }
                },
                |e| *e != "conflict",
            )
            .await;
        assert_eq!((result, calls.get()), (Err("conflict"), 1));
        assert!(pauses.taken().is_empty());
    }

    #[tokio::test]
    async fn a_call_that_succeeds_on_a_retry_returns_its_result() {
        let pauses = RecordedPauses::default();
        let calls = Cell::new(0);
        let result = POLICY
            .run(
                "test call",
                &pauses,
                || {
                    calls.set(calls.get() + 1);
                    let n = calls.get();
                    async move { if n < 3 { Err("busy") } else { Ok(n) } }
                },
                |_| true,
            )
            .await;
        assert_eq!(result, Ok(3));
        assert_eq!(pauses.taken().len(), 2);
    }
}
