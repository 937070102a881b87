//! The nightly run: every claim whose opt-out window has closed becomes official, every
//! information request left unanswered past its due time is rejected (`no_response`), and
//! every claim whose customer stayed unreachable 30 days after a bounce is rejected
//! (`customer_unreachable`).

use crate::claim::{Claim, NightlyDeadline, TransitionError};
use crate::ports::{ApplyError, ClaimRepository, DueIndex, Unavailable};
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
    /// customers stayed unreachable (the next two, added up).
    pub rejected: usize,
    /// Claims rejected by this run because their information requests went unanswered.
    pub rejected_for_no_response: usize,
    /// Claims rejected by this run because their customers stayed unreachable.
    pub rejected_unreachable: usize,
    /// Claims decided meanwhile by someone else (an opt-out, a withdrawal, an earlier run).
    pub already_decided: usize,
    /// Claims that could not be written; a later run retries them.
    pub failed: usize,
    /// Claims waiting for a reviewer's decision past their review due time, once the run
    /// counted them (the function does, after the deadlines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviews_overdue: Option<usize>,
    /// What became of the subscriptions the directory says ended, once the run applied them
    /// (the function does, after the deadlines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_ends: Option<crate::usecase::subscription_ends::EndsSummary>,
}

/// The nightly run's use case.
pub struct FinalizeAssociations<'a> {
    pub index: &'a dyn DueIndex,
    /// Where each due claim's transition is written, on the condition of the version the index
    /// gave.
    pub claims: &'a dyn ClaimRepository,
    /// How many claims are written at once.
    pub concurrency: usize,
}

enum Outcome {
    Finalized,
    RejectedForNoResponse,
    RejectedUnreachable,
    AlreadyDecided,
    Failed,
}

impl FinalizeAssociations<'_> {
    /// Finalizes every claim due at `now`, including those a missed night left behind. Safe to
    /// run twice: a claim already decided is left as it is.
    ///
    /// The index's pages stream into the writes, `concurrency` at a time, so the run costs one
    /// index read per page of due claims and one conditional write per due claim: the index
    /// holds the whole claim, so no claim is read again, and claims that are not due are never
    /// read. A failed index read ends the run with an error once the writes under way have
    /// finished (they are safe to repeat).
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
                        Outcome::RejectedForNoResponse => {
                            summary.rejected += 1;
                            summary.rejected_for_no_response += 1;
                        }
                        Outcome::RejectedUnreachable => {
                            summary.rejected += 1;
                            summary.rejected_unreachable += 1;
                        }
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

    /// Applies the deadline that `claim` (as the index gave it) waits for: its association,
    /// or its rejection for an unanswered request or an unreachable customer. One transition,
    /// conditional on that version: a claim that changed meanwhile (an opt-out, a response, a
    /// corrected contact, a withdrawal, an earlier run) is left as it is.
    async fn finalize(&self, claim: Claim, now: DateTime<Utc>) -> Outcome {
        let (transition, done, what) = match claim.state.nightly_deadline() {
            Some(NightlyDeadline::OptOut(_)) => {
                (claim.finalize(now), Outcome::Finalized, "claim associated")
            }
            Some(NightlyDeadline::Response(_)) => (
                claim.reject_for_no_response(now),
                Outcome::RejectedForNoResponse,
                "an unanswered information request: claim rejected",
            ),
            Some(NightlyDeadline::Unreachable(_)) => (
                claim.reject_unreachable(now),
                Outcome::RejectedUnreachable,
                "an unreachable customer: claim rejected",
            ),
            // The index lagged behind a change that took the claim out of it.
            None => return Outcome::AlreadyDecided,
        };
        let failed = |e: &dyn std::fmt::Display| {
            tracing::warn!(claim_id = %claim.id, error = %e, "could not apply a nightly deadline; a later run retries");
            Outcome::Failed
        };
        let transition = match transition {
            Ok(transition) => transition,
            Err(
                TransitionError::WindowStillOpen(_)
                | TransitionError::ResponseNotOverdue(_)
                | TransitionError::UnreachableNotOverdue(_)
                | TransitionError::NotAllowedFrom(_)
                | TransitionError::AlreadyFinal(_),
            ) => return Outcome::AlreadyDecided,
            Err(
                e @ (TransitionError::WindowClosed(_)
                | TransitionError::ResponseWindowClosed(_)
                | TransitionError::DisputeWindowClosed(_)
                | TransitionError::DisputeExhausted
                | TransitionError::SubscriptionEnded
                | TransitionError::ProofNotNewer(_)
                | TransitionError::TooManyCorrections
                | TransitionError::TooManyChanges),
            ) => return failed(&e),
        };
        match self.claims.apply(&transition).await {
            Ok(()) => {
                tracing::info!(claim_id = %claim.id, "{what}");
                done
            }
            Err(ApplyError::Conflict | ApplyError::UnitHeld) => Outcome::AlreadyDecided,
            Err(ApplyError::Unavailable(e)) => failed(&e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::tests::at;
    use crate::claim::{Actor, ClaimStatus};
    use crate::memory::{MemoryStore, StoreCall};
    use crate::ports::DuePages;
    use crate::usecase::testing::{FABRIKAM, notified, now, store, submitted};

    /// A due index whose pages are given.
    struct PagedIndex {
        pages: Vec<Result<Vec<Claim>, Unavailable>>,
    }

    impl DueIndex for PagedIndex {
        fn due_pages(&self, _now: DateTime<Utc>) -> DuePages<'_> {
            futures::stream::iter(self.pages.clone()).boxed()
        }
    }

    /// `n` claims of Fabrikam on Contoso, each on a workload of `osu-m365` and awaiting its
    /// customer since [`now`].
    async fn awaiting_claims(store: &MemoryStore, n: usize) -> Vec<Claim> {
        let program = crate::catalogue::Program::parse("osu-m365").unwrap();
        let mut claims = Vec::new();
        for workload in program.workloads().take(n) {
            let claim = submitted(store, FABRIKAM, workload.code(), now()).await;
            claims.push(notified(store, &claim, now()).await);
        }
        claims
    }

    #[tokio::test]
    async fn every_page_of_due_claims_is_written_one_write_per_claim_without_reading_it_again() {
        // GIVEN three pages of claims whose windows closed, as the index holds them
        let now = at("2026-12-10T00:00:00Z");
        let store = store();
        let claims = awaiting_claims(&store, 8).await;
        let index = PagedIndex {
            pages: vec![
                Ok(claims[..5].to_vec()),
                Ok(vec![]),
                Ok(claims[5..].to_vec()),
            ],
        };
        store.reset_calls();
        // WHEN finalization runs
        let summary = FinalizeAssociations {
            index: &index,
            claims: &store,
            concurrency: 2,
        }
        .run(now)
        .await
        .unwrap();
        // THEN each claim is associated once, by one write and no read
        assert_eq!((summary.due, summary.finalized), (8, 8));
        for claim in &claims {
            let (stored, history) = store.stored(claim.id).unwrap();
            assert_eq!(stored.status(), ClaimStatus::Associated);
            assert_eq!(history.last().unwrap().actor, Actor::System);
        }
        assert_eq!(store.calls(), vec![StoreCall::Apply; 8]);
    }

    #[tokio::test]
    async fn an_unreadable_page_fails_the_run_after_the_claims_already_read_are_written() {
        // GIVEN a page read, then a page that cannot be read
        let now = at("2026-12-10T00:00:00Z");
        let store = store();
        let claims = awaiting_claims(&store, 4).await;
        let index = PagedIndex {
            pages: vec![Ok(claims.clone()), Err(Unavailable("throttled".into()))],
        };
        // WHEN finalization runs
        let run = FinalizeAssociations {
            index: &index,
            claims: &store,
            concurrency: 16,
        }
        .run(now)
        .await;
        // THEN the run fails, so the scheduler retries it, and what was read was written (a
        // second run finds those claims decided and leaves them)
        assert_eq!(run, Err(Unavailable("throttled".into())));
        for claim in &claims {
            assert_eq!(
                store.stored(claim.id).unwrap().0.status(),
                ClaimStatus::Associated
            );
        }
    }

    #[tokio::test]
    async fn a_claim_the_index_still_shows_at_an_earlier_version_is_left_as_it_is_now() {
        // GIVEN a due claim as the index read it, withdrawn since (the index lags the table)
        let now = at("2026-12-10T00:00:00Z");
        let store = store();
        let claims = awaiting_claims(&store, 1).await;
        let withdrawal = claims[0]
            .withdraw(now, crate::usecase::testing::reason("engagement ended"))
            .unwrap();
        store.apply(&withdrawal).await.unwrap();
        let index = PagedIndex {
            pages: vec![Ok(claims.clone())],
        };
        // WHEN finalization runs
        let summary = FinalizeAssociations {
            index: &index,
            claims: &store,
            concurrency: 1,
        }
        .run(now)
        .await
        .unwrap();
        // THEN it counts as decided by someone else, and stays withdrawn
        assert_eq!((summary.due, summary.already_decided), (1, 1));
        assert_eq!(
            store.stored(claims[0].id).unwrap().0.status(),
            ClaimStatus::Withdrawn
        );
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
            assert_eq!(
                (summary.due, summary.rejected, summary.rejected_unreachable),
                (1, 1, 1)
            );
            assert_eq!(summary.rejected_for_no_response, 0);
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
            store.race(StoreCall::Apply, withdrawal);
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
            store.fail(StoreCall::Apply, 1);
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
