//! Where "now" comes from, and how the service waits, so that tests can move time and never
//! wait.

use async_trait::async_trait;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use std::sync::Mutex;
use std::time::Duration;

/// The source of the current time.
pub trait Clock: Send + Sync {
    /// The current instant, truncated to milliseconds (the precision the service stores).
    fn now(&self) -> DateTime<Utc>;
}

/// Truncates an instant to whole milliseconds.
pub fn to_millis(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::milliseconds(1)).unwrap_or(at)
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        to_millis(Utc::now())
    }
}

/// A clock that says what it is told; for tests and for replaying a scheduled run.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    /// A clock stopped at `at`.
    pub fn at(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(to_millis(at)))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = to_millis(at);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Waiting, between two attempts of a call that failed. The adapters wait on the runtime's
/// timer; tests record the pauses instead of taking them.
#[async_trait]
pub trait Pause: Send + Sync {
    /// Returns after `duration`.
    async fn pause(&self, duration: Duration);
}

/// A pause that returns at once and remembers what it was asked, for tests.
#[derive(Debug, Default)]
pub struct RecordedPauses(Mutex<Vec<Duration>>);

impl RecordedPauses {
    /// The pauses asked for so far, in order.
    pub fn taken(&self) -> Vec<Duration> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[async_trait]
impl Pause for RecordedPauses {
    async fn pause(&self, duration: Duration) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(duration);
    }
}
