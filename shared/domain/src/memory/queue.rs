//! The notification queue.

use super::*;

/// How many more times a call of a single-call port fails.
#[derive(Debug, Default)]
struct Countdown(AtomicU32);

impl Countdown {
    fn set(&self, times: u32) {
        self.0.store(times, Ordering::SeqCst);
    }

    /// True, and one fewer left, while failures are left.
    fn take(&self) -> bool {
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }
}

/// A notification queue that remembers what was queued.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    queued: Mutex<Vec<ClaimId>>,
    delayed: Mutex<Vec<(ClaimId, TimeDelta)>>,
    failures: Countdown,
}

impl MemoryQueue {
    /// The claims queued for a re-check so far, with their delays, oldest first.
    pub fn delayed(&self) -> Vec<(ClaimId, TimeDelta)> {
        self.delayed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The claims queued so far, oldest first.
    pub fn queued(&self) -> Vec<ClaimId> {
        self.queued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Makes the next `times` sends to the queue fail with `Unavailable`.
    pub fn fail(&self, times: u32) {
        self.failures.set(times);
    }
}

#[async_trait]
impl NotificationQueue for MemoryQueue {
    async fn enqueue(&self, claim_id: ClaimId) -> Result<(), Unavailable> {
        if self.failures.take() {
            return Err(Unavailable("the queue was made to fail".into()));
        }
        self.queued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(claim_id);
        Ok(())
    }
    async fn enqueue_after(&self, claim_id: ClaimId, delay: TimeDelta) -> Result<(), Unavailable> {
        if self.failures.take() {
            return Err(Unavailable("the queue was made to fail".into()));
        }
        self.delayed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((claim_id, delay));
        Ok(())
    }
}
