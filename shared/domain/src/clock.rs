//! Where "now" comes from, so that tests can move time.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use std::sync::Mutex;

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
