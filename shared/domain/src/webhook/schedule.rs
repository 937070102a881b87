//! When a failed delivery is tried again (docs/api.md, "Webhooks"): after 5 s, 5 min, 30 min,
//! 2 h, 5 h, 10 h, then 12 h three times (about two and a quarter days of attempts, ten in
//! all), a longer `Retry-After` honoured, never more than 12 hours a step: the queue that
//! carries the retries (SQS) cannot hide a message longer. The local stack replaces the
//! pauses (`CPOR_WEBHOOK_RETRY_SECONDS`, `1,2,4` there) so that a flow sees a retry in seconds.

use std::time::Duration;

/// The longest pause between two attempts: SQS's longest visibility timeout.
pub const MAX_PAUSE: Duration = Duration::from_secs(12 * 3600);

/// The pauses, in seconds, after each failed attempt.
pub const STANDARD_SECONDS: [u64; 9] = [5, 300, 1800, 7200, 18_000, 36_000, 43_200, 43_200, 43_200];

/// The pauses after each failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule {
    pauses: Vec<Duration>,
}

/// A schedule's text that is not a list of pauses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a retry schedule is comma-separated whole seconds from 1 to 43200, e.g. `1,2,4`")]
pub struct InvalidSchedule;

impl Default for RetrySchedule {
    fn default() -> Self {
        Self {
            pauses: STANDARD_SECONDS
                .iter()
                .map(|s| Duration::from_secs(*s))
                .collect(),
        }
    }
}

impl RetrySchedule {
    /// A schedule from comma-separated seconds (`1,2,4`): each a whole number from 1 to 43200.
    pub fn parse(text: &str) -> Result<Self, InvalidSchedule> {
        let pauses = text
            .split(',')
            .map(|part| {
                part.trim()
                    .parse::<u64>()
                    .ok()
                    .map(Duration::from_secs)
                    .filter(|d| !d.is_zero() && *d <= MAX_PAUSE)
                    .ok_or(InvalidSchedule)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { pauses })
    }

    /// How many times a delivery is tried again after its first attempt.
    pub fn retries(&self) -> usize {
        self.pauses.len()
    }

    /// The pause after the failed attempt `attempt` (1 for the first), the endpoint having
    /// asked for `retry_after` (its `Retry-After`) or not; `None` when that was the last
    /// attempt. A `Retry-After` longer than the schedule's pause is honoured, up to
    /// [`MAX_PAUSE`]; a shorter one changes nothing.
    pub fn pause_after(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        let index = usize::try_from(attempt).ok()?.checked_sub(1)?;
        let pause = *self.pauses.get(index)?;
        Some(pause.max(retry_after.unwrap_or_default()).min(MAX_PAUSE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_standard_schedule_is_the_one_api_md_gives() {
        // GIVEN the standard schedule
        let schedule = RetrySchedule::default();
        // WHEN each failed attempt asks for its pause
        let pauses: Vec<_> = (1..=10)
            .map(|attempt| schedule.pause_after(attempt, None).map(|d| d.as_secs()))
            .collect();
        // THEN the pauses are 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 12 h thrice, then none
        assert_eq!(
            pauses,
            vec![
                Some(5),
                Some(300),
                Some(1800),
                Some(7200),
                Some(18_000),
                Some(36_000),
                Some(43_200),
                Some(43_200),
                Some(43_200),
                None
            ]
        );
        assert_eq!(schedule.retries(), 9);
        assert_eq!(schedule.pause_after(0, None), None);
    }

    #[test]
    fn a_longer_retry_after_is_honoured_up_to_twelve_hours_and_a_shorter_one_changes_nothing() {
        let schedule = RetrySchedule::default();
        let after = |attempt, seconds| {
            schedule
                .pause_after(attempt, Some(Duration::from_secs(seconds)))
                .map(|d| d.as_secs())
        };
        assert_eq!(after(1, 60), Some(60));
        assert_eq!(after(1, 2), Some(5));
        assert_eq!(after(2, 100_000), Some(43_200));
        assert_eq!(after(10, 60), None);
    }

    #[test]
    fn the_local_schedule_replaces_the_pauses() {
        // GIVEN the local stack's setting
        let schedule = RetrySchedule::parse("1, 2,4").unwrap();
        // THEN three retries, after 1, 2 and 4 seconds
        assert_eq!(schedule.retries(), 3);
        assert_eq!(schedule.pause_after(3, None), Some(Duration::from_secs(4)));
        assert_eq!(schedule.pause_after(4, None), None);
    }

    #[test]
    fn a_schedule_that_is_not_whole_seconds_within_twelve_hours_is_refused() {
        for text in ["", "1,,2", "0", "-1", "1.5", "43201", "a"] {
            assert_eq!(RetrySchedule::parse(text), Err(InvalidSchedule), "{text:?}");
        }
    }

    proptest! {
        /// Whatever the schedule and the endpoint ask, a pause is never shorter than the
        /// schedule's nor longer than twelve hours, and exactly the schedule's attempts retry.
        #[test]
        fn every_pause_is_the_schedule_s_or_longer_and_at_most_twelve_hours(
            seconds in proptest::collection::vec(1u64..=43_200, 1..12),
            attempt in 1u32..15,
            retry_after in proptest::option::of(0u64..200_000),
        ) {
            let text = seconds.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
            let schedule = RetrySchedule::parse(&text).unwrap();
            let pause = schedule.pause_after(attempt, retry_after.map(Duration::from_secs));
            let index = attempt as usize - 1;
            prop_assert_eq!(pause.is_some(), index < seconds.len());
            if let Some(pause) = pause {
                prop_assert!(pause >= Duration::from_secs(seconds[index]));
                prop_assert!(pause <= MAX_PAUSE);
                if let Some(asked) = retry_after {
                    prop_assert!(pause >= Duration::from_secs(asked).min(MAX_PAUSE));
                }
            }
        }
    }
}
