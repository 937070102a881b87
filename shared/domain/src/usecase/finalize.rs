//! The nightly run: every claim whose opt-out window has closed becomes official, every
//! information request left unanswered past its due time is rejected (`no_response`), and
//! every claim whose customer stayed unreachable 30 days after a bounce is rejected
//! (`customer_unreachable`).

use crate::calendar::window_open;
use crate::claim::{
    Actor, Claim, ClaimStatus, HistoryEntry, HistoryEvent, Transition, TransitionError,
};
use crate::ports::{ApplyError, ClaimRepository, DueClaim, DueIndex, DueKind, Unavailable};
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
    /// Claims rejected by this run: their information requests went unanswered, or their
    /// customers stayed unreachable.
    pub rejected: usize,
    /// Claims decided meanwhile by someone else (an opt-out, a withdrawal, an earlier run).
    pub already_decided: usize,
    /// Claims that could not be written; a later run retries them.
    pub failed: usize,
    /// Claims waiting for a reviewer's decision past their review due time, once the run
    /// counted them (the function does, after the deadlines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviews_overdue: Option<usize>,
}

impl DueClaim {
    /// The history entry that associates this claim at `now`, if its window has closed. (The
    /// association is written without reading the claim: what the index holds is enough.)
    pub fn association(&self, now: DateTime<Utc>) -> Option<HistoryEntry> {
        (!window_open(self.deadline, now)).then(|| HistoryEntry {
            sequence: self.version + 1,
            at: now,
            actor: Actor::System,
            reviewer: None,
            event: HistoryEvent::Associated,
            from: Some(ClaimStatus::AwaitingCustomer),
            to: ClaimStatus::Associated,
            code: None,
            reason: None,
        })
    }
}

/// The nightly run's use case.
pub struct FinalizeAssociations<'a> {
    pub index: &'a dyn DueIndex,
    /// For the unanswered requests: each is read and rejected by its own transition.
    pub claims: &'a dyn ClaimRepository,
    /// How many claims are written at once.
    pub concurrency: usize,
}

enum Outcome {
    Finalized,
    Rejected,
    AlreadyDecided,
    Failed,
}

impl FinalizeAssociations<'_> {
    /// Finalizes every claim due at `now`, including those a missed night left behind. Safe to
    /// run twice: a claim already decided is left as it is.
    ///
    /// The index's pages stream into the writes, `concurrency` at a time, so the run costs one
    /// index read per page of due claims and one conditional write per due claim; claims that
    /// are not due are never read. A failed index read ends the run with an error once the
    /// writes under way have finished (they are safe to repeat).
    pub async fn run(&self, now: DateTime<Utc>) -> Result<FinalizeSummary, Unavailable> {
        let mut summary = FinalizeSummary {
            now,
            ..FinalizeSummary::default()
        };
        let mut unreadable = None;
        let claims = self
            .index
            .due_pages(now)
            .map(|page| {
                futures::stream::iter(match page {
                    Ok(claims) => claims.into_iter().map(Ok).collect(),
                    Err(e) => vec![Err(e)],
                })
            })
            .flatten();
        let mut outcomes = claims
            .map(|claim| async move {
                match claim {
                    Ok(claim) => Ok(self.finalize(claim, now).await),
                    Err(e) => Err(e),
                }
            })
            .buffer_unordered(self.concurrency.max(1));
        while let Some(outcome) = outcomes.next().await {
            match outcome {
                Ok(outcome) => {
                    summary.due += 1;
                    match outcome {
                        Outcome::Finalized => summary.finalized += 1,
                        Outcome::Rejected => summary.rejected += 1,
                        Outcome::AlreadyDecided => summary.already_decided += 1,
                        Outcome::Failed => summary.failed += 1,
                    }
                }
                Err(e) => {
                    unreadable.get_or_insert(e);
                }
            }
        }
        match unreadable {
            Some(e) => Err(e),
            None => Ok(summary),
        }
    }

    async fn finalize(&self, claim: DueClaim, now: DateTime<Utc>) -> Outcome {
        match claim.kind {
            DueKind::OptOut => self.associate(claim, now).await,
            DueKind::Response => {
                self.reject_overdue(
                    claim,
                    now,
                    Claim::reject_for_no_response,
                    "an unanswered information request",
                )
                .await
            }
            DueKind::Unreachable => {
                self.reject_overdue(
                    claim,
                    now,
                    Claim::reject_unreachable,
                    "an unreachable customer",
                )
                .await
            }
        }
    }

    /// Rejects a claim whose deadline (`reject` says which) passed, unless the partner acted
    /// (answered, corrected the contact) or anything else happened meanwhile: one transition,
    /// conditional on the version read.
    async fn reject_overdue(
        &self,
        due: DueClaim,
        now: DateTime<Utc>,
        reject: fn(&Claim, DateTime<Utc>) -> Result<Transition, TransitionError>,
        what: &str,
    ) -> Outcome {
        let failed = |e: &dyn std::fmt::Display| {
            tracing::warn!(claim_id = %due.claim_id, error = %e, "could not reject {what}; a later run retries");
            Outcome::Failed
        };
        let claim = match self.claims.claim(due.claim_id).await {
            Ok(Some(claim)) => claim,
            Ok(None) => return Outcome::AlreadyDecided,
            Err(e) => return failed(&e),
        };
        let transition = match reject(&claim, now) {
            Ok(transition) => transition,
            Err(
                TransitionError::ResponseNotOverdue(_)
                | TransitionError::UnreachableNotOverdue(_)
                | TransitionError::NotAllowedFrom(_)
                | TransitionError::AlreadyFinal(_),
            ) => return Outcome::AlreadyDecided,
            Err(
                e @ (TransitionError::WindowClosed(_)
                | TransitionError::WindowStillOpen(_)
                | TransitionError::ResponseWindowClosed(_)
                | TransitionError::DisputeWindowClosed(_)
                | TransitionError::DisputeExhausted
                | TransitionError::ProofNotNewer(_)),
            ) => return failed(&e),
        };
        match self.claims.apply(&transition).await {
            Ok(()) => {
                tracing::info!(claim_id = %due.claim_id, "{what}: claim rejected");
                Outcome::Rejected
            }
            Err(ApplyError::Conflict | ApplyError::UnitHeld) => Outcome::AlreadyDecided,
            Err(ApplyError::Unavailable(e)) => failed(&e),
        }
    }

    async fn associate(&self, claim: DueClaim, now: DateTime<Utc>) -> Outcome {
        let Some(entry) = claim.association(now) else {
            return Outcome::AlreadyDecided;
        };
        match self.index.associate(&claim, &entry).await {
            Ok(()) => {
                tracing::info!(claim_id = %claim.claim_id, "claim associated");
                Outcome::Finalized
            }
            Err(ApplyError::Conflict | ApplyError::UnitHeld) => Outcome::AlreadyDecided,
            Err(ApplyError::Unavailable(e)) => {
                tracing::warn!(claim_id = %claim.claim_id, error = %e, "could not finalize; a later run retries");
                Outcome::Failed
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::tests::at;
    use crate::ids::ClaimId;
    use crate::ports::DuePages;
    use std::sync::Mutex;

    /// A due index whose pages are given, recording the associations asked of it.
    struct PagedIndex {
        pages: Vec<Result<Vec<DueClaim>, Unavailable>>,
        associated: Mutex<Vec<ClaimId>>,
    }

    #[async_trait::async_trait]
    impl DueIndex for PagedIndex {
        fn due_pages(&self, _now: DateTime<Utc>) -> DuePages<'_> {
            futures::stream::iter(self.pages.clone()).boxed()
        }

        async fn associate(&self, due: &DueClaim, _: &HistoryEntry) -> Result<(), ApplyError> {
            self.associated
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(due.claim_id);
            Ok(())
        }
    }

    fn due(n: usize, deadline: DateTime<Utc>) -> Vec<DueClaim> {
        (0..n)
            .map(|_| DueClaim {
                claim_id: ClaimId::new_at(deadline),
                version: 2,
                deadline,
                kind: DueKind::OptOut,
            })
            .collect()
    }

    #[tokio::test]
    async fn every_page_of_due_claims_is_written_one_write_per_claim() {
        // GIVEN three pages of claims whose windows closed
        let now = at("2026-12-10T00:00:00Z");
        let index_claims = crate::memory::MemoryStore::default();
        let index = PagedIndex {
            pages: vec![
                Ok(due(5, at("2026-12-01T22:59:59.999Z"))),
                Ok(vec![]),
                Ok(due(3, at("2026-12-09T22:59:59.999Z"))),
            ],
            associated: Mutex::default(),
        };
        // WHEN finalization runs
        let summary = FinalizeAssociations {
            index: &index,
            claims: &index_claims,
            concurrency: 2,
        }
        .run(now)
        .await
        .unwrap();
        // THEN each claim is associated once
        assert_eq!((summary.due, summary.finalized), (8, 8));
        assert_eq!(index.associated.lock().unwrap().len(), 8);
    }

    #[tokio::test]
    async fn an_unreadable_page_fails_the_run_after_the_claims_already_read_are_written() {
        // GIVEN a page read, then a page that cannot be read
        let now = at("2026-12-10T00:00:00Z");
        let index_claims = crate::memory::MemoryStore::default();
        let index = PagedIndex {
            pages: vec![
                Ok(due(4, at("2026-12-01T22:59:59.999Z"))),
                Err(Unavailable("throttled".into())),
            ],
            associated: Mutex::default(),
        };
        // WHEN finalization runs
        let run = FinalizeAssociations {
            index: &index,
            claims: &index_claims,
            concurrency: 16,
        }
        .run(now)
        .await;
        // THEN the run fails, so the scheduler retries it, and what was read was written (a
        // second run finds those claims decided and leaves them)
        assert_eq!(run, Err(Unavailable("throttled".into())));
        assert_eq!(index.associated.lock().unwrap().len(), 4);
    }

    mod on_the_memory_store {
        use super::*;
        use crate::claim::Claim;
        use crate::memory::{MemoryStore, StoreCall};
        use crate::ports::ClaimRepository;
        use crate::usecase::testing::{FABRIKAM, notified, now, reason, store, submitted};
        use chrono::TimeDelta;

        /// The deadline of a window opened at [`now`] for a customer in UTC.
        fn deadline() -> DateTime<Utc> {
            at("2026-12-02T23:59:59.999Z")
        }

        async fn awaiting(
            store: &MemoryStore,
            workload: &str,
            notified_at: DateTime<Utc>,
        ) -> Claim {
            let claim = submitted(store, FABRIKAM, workload, now()).await;
            notified(store, &claim, notified_at).await
        }

        fn status(store: &MemoryStore, claim: &Claim) -> ClaimStatus {
            store.stored(claim.id).unwrap().0.status()
        }

        #[tokio::test]
        async fn every_claim_whose_window_closed_is_associated_page_by_page_and_no_other() {
            // GIVEN three claims whose windows closed, one whose window is still open, one
            // declined and one not yet notified, read two at a time
            let store = store().with_due_page_size(2);
            let mut closed = Vec::new();
            for workload in ["teams", "exchange", "intune"] {
                closed.push(awaiting(&store, workload, now()).await);
            }
            let open = awaiting(&store, "defender", at("2026-11-30T09:00:00Z")).await;
            let declined = awaiting(&store, "windows", now()).await;
            store
                .apply(&declined.opt_out(now()).unwrap())
                .await
                .unwrap();
            let not_notified = submitted(&store, FABRIKAM, "purview", now()).await;
            // WHEN finalization runs a millisecond after the deadline
            let run_at = deadline() + TimeDelta::milliseconds(1);
            let summary = FinalizeAssociations {
                index: &store,
                claims: &store,
                concurrency: 2,
            }
            .run(run_at)
            .await
            .unwrap();
            // THEN the three are associated by the system at that time, and still hold their
            // tenant+workload
            assert_eq!((summary.due, summary.finalized), (3, 3));
            for claim in &closed {
                let (stored, history) = store.stored(claim.id).unwrap();
                assert_eq!(stored.status(), ClaimStatus::Associated);
                assert_eq!(stored.decided_at, Some(run_at));
                let last = history.last().unwrap();
                assert_eq!((last.actor, last.sequence), (Actor::System, 4));
                assert!(store.lock_holder(claim.subject.lock().as_str()).is_some());
            }
            // AND the others are as they were
            assert_eq!(status(&store, &open), ClaimStatus::AwaitingCustomer);
            assert_eq!(status(&store, &declined), ClaimStatus::Declined);
            assert_eq!(status(&store, &not_notified), ClaimStatus::Submitted);
            // AND a second run finds nothing due
            let again = FinalizeAssociations {
                index: &store,
                claims: &store,
                concurrency: 2,
            }
            .run(run_at)
            .await
            .unwrap();
            assert_eq!(again.due, 0);
        }

        #[tokio::test]
        async fn an_unreachable_customer_is_rejected_thirty_days_after_the_bounce_once() {
            // GIVEN a claim whose notification bounced for good an hour after it was sent
            let store = store();
            let claim = awaiting(&store, "teams", now()).await;
            let bounced = now() + TimeDelta::hours(1);
            let t = claim
                .record_mail_feedback(bounced, 1, crate::claim::MailFeedback::PermanentBounce)
                .unwrap();
            store.apply(&t).await.unwrap();
            let run = |at_: DateTime<Utc>| {
                let store = &store;
                async move {
                    FinalizeAssociations {
                        index: store,
                        claims: store,
                        concurrency: 4,
                    }
                    .run(at_)
                    .await
                    .unwrap()
                }
            };
            // WHEN the nightly run passes its window's deadline
            let summary = run(deadline() + TimeDelta::days(1)).await;
            // THEN silence is no consent: it is not associated
            assert_eq!((summary.due, summary.finalized), (0, 0));
            // WHEN a run comes 30 days after the bounce
            let summary = run(bounced + TimeDelta::days(30) + TimeDelta::hours(1)).await;
            // THEN it is rejected by the system, its unit free, and a second run leaves it
            assert_eq!((summary.due, summary.rejected), (1, 1));
            let (stored, history) = store.stored(claim.id).unwrap();
            assert_eq!(stored.status(), ClaimStatus::Rejected);
            assert_eq!(
                history.last().unwrap().code.as_deref(),
                Some("customer_unreachable")
            );
            let again = run(bounced + TimeDelta::days(31)).await;
            assert_eq!((again.due, again.rejected), (0, 0));
        }

        #[tokio::test]
        async fn at_the_deadline_itself_nothing_is_due() {
            let store = store();
            let claim = awaiting(&store, "teams", now()).await;
            let summary = FinalizeAssociations {
                index: &store,
                claims: &store,
                concurrency: 1,
            }
            .run(deadline())
            .await
            .unwrap();
            assert_eq!(summary.due, 0);
            assert_eq!(status(&store, &claim), ClaimStatus::AwaitingCustomer);
        }

        #[tokio::test]
        async fn a_claim_withdrawn_after_it_was_read_as_due_is_counted_decided_and_left_withdrawn()
        {
            // GIVEN a due claim that the partner withdraws just before finalization writes it
            let store = store();
            let claim = awaiting(&store, "teams", now()).await;
            let withdrawal = claim
                .withdraw(deadline(), reason("engagement ended"))
                .unwrap();
            store.race(StoreCall::Associate, withdrawal);
            // WHEN finalization runs
            let summary = FinalizeAssociations {
                index: &store,
                claims: &store,
                concurrency: 1,
            }
            .run(deadline() + TimeDelta::days(1))
            .await
            .unwrap();
            // THEN the claim counts as decided by someone else, and stays withdrawn
            assert_eq!((summary.due, summary.already_decided), (1, 1));
            assert_eq!(status(&store, &claim), ClaimStatus::Withdrawn);
        }

        #[tokio::test]
        async fn a_claim_that_cannot_be_written_is_counted_failed_for_a_later_run() {
            // GIVEN two due claims and a store that fails one write
            let store = store();
            awaiting(&store, "teams", now()).await;
            awaiting(&store, "exchange", now()).await;
            store.fail(StoreCall::Associate, 1);
            let finalize = FinalizeAssociations {
                index: &store,
                claims: &store,
                concurrency: 1,
            };
            // WHEN finalization runs, and runs again
            let first = finalize.run(deadline() + TimeDelta::days(1)).await.unwrap();
            let second = finalize.run(deadline() + TimeDelta::days(2)).await.unwrap();
            // THEN the failed claim is left for the second run, which associates it
            assert_eq!((first.finalized, first.failed), (1, 1));
            assert_eq!((second.due, second.finalized), (1, 1));
        }
    }
}
