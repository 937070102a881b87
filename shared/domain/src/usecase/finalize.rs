//! The nightly finalization: every claim whose window has closed becomes official.

use crate::calendar::window_open;
use crate::claim::{Actor, ClaimStatus, HistoryEntry};
use crate::ports::{ApplyError, DueClaim, DueIndex, Unavailable};
use crate::time::serde_instant;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Serialize;

/// How many claims are finalized at once.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FinalizeSummary {
    /// The time the run acted as.
    #[serde(with = "serde_instant")]
    pub now: DateTime<Utc>,
    /// Claims found due.
    pub due: usize,
    /// Claims made official by this run.
    pub finalized: usize,
    /// Claims decided meanwhile by someone else (an opt-out, a withdrawal, an earlier run).
    pub already_decided: usize,
    /// Claims that could not be written; a later run retries them.
    pub failed: usize,
}

impl DueClaim {
    /// The history entry that associates this claim at `now`, if its window has closed.
    pub fn association(&self, now: DateTime<Utc>) -> Option<HistoryEntry> {
        (!window_open(self.deadline, now)).then(|| HistoryEntry {
            sequence: self.version + 1,
            at: now,
            actor: Actor::System,
            from: Some(ClaimStatus::AwaitingCustomer),
            to: ClaimStatus::Associated,
            reason: None,
        })
    }
}

/// The finalize-association use case.
pub struct FinalizeAssociations<'a> {
    /// The due index.
    pub index: &'a dyn DueIndex,
    /// How many claims are written at once.
    pub concurrency: usize,
}

enum Outcome {
    Finalized,
    AlreadyDecided,
    Failed,
}

impl FinalizeAssociations<'_> {
    /// Finalizes every claim due at `now`, including those a missed night left behind. Safe to
    /// run twice: a claim already decided is left as it is.
    pub async fn run(&self, now: DateTime<Utc>) -> Result<FinalizeSummary, Unavailable> {
        let due = self.index.due_claims(now).await?;
        let mut summary = FinalizeSummary {
            now,
            due: due.len(),
            ..FinalizeSummary::default()
        };
        let outcomes: Vec<Outcome> = futures::stream::iter(due)
            .map(|claim| async move {
                let Some(entry) = claim.association(now) else {
                    return Outcome::AlreadyDecided;
                };
                match self.index.associate(&claim, &entry).await {
                    Ok(()) => {
                        tracing::info!(claim_id = %claim.claim_id, "claim associated");
                        Outcome::Finalized
                    }
                    Err(ApplyError::Conflict) => Outcome::AlreadyDecided,
                    Err(ApplyError::Unavailable(e)) => {
                        tracing::warn!(claim_id = %claim.claim_id, error = %e, "could not finalize; a later run retries");
                        Outcome::Failed
                    }
                }
            })
            .buffer_unordered(self.concurrency.max(1))
            .collect()
            .await;
        for outcome in outcomes {
            match outcome {
                Outcome::Finalized => summary.finalized += 1,
                Outcome::AlreadyDecided => summary.already_decided += 1,
                Outcome::Failed => summary.failed += 1,
            }
        }
        Ok(summary)
    }
}
