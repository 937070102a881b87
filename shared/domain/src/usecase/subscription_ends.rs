//! The nightly run's end of subscriptions: when the directory says a subscription ended, the
//! claim holding it ends within a day (an association `expired`, a claim in review or awaiting
//! its customer `rejected`, `subscription_ended`), freeing the unit. Found through the ends the
//! directory recorded and each unit's lock, never by reading claims that are not concerned: the
//! run's cost is the number of ended subscriptions. An end stays recorded until it is applied, so
//! a missed night is caught up.

use super::{Attempt, until_settled};
use crate::claim::{ClaimStatus, PartnerOfRecordLock, TransitionError};
use crate::ports::{ApplyError, ClaimRepository, SubscriptionEnds, TenantDirectory, Unavailable};
use crate::reference::EndedSubscription;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What one run did with the ended subscriptions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EndsSummary {
    /// Ended subscriptions found.
    pub ended: usize,
    /// Associations ended with their subscriptions.
    pub expired: usize,
    /// Claims in review or awaiting their customers rejected (`subscription_ended`).
    pub rejected: usize,
    /// Subscriptions no claim held (or whose holder had already moved on).
    pub unheld: usize,
    /// Subscriptions the directory says are active again: their recorded end is dropped.
    pub resumed: usize,
    /// Ends that could not be applied: a later run retries them.
    pub failed: usize,
}

/// The use case.
pub struct EndSubscriptions<'a> {
    pub ends: &'a dyn SubscriptionEnds,
    /// What the directory says now: an end recorded for a subscription active again is dropped.
    pub directory: &'a dyn TenantDirectory,
    pub claims: &'a dyn ClaimRepository,
}

enum Outcome {
    Expired,
    Rejected,
    Unheld,
    Resumed,
}

impl EndSubscriptions<'_> {
    /// Ends the claims of every subscription that ended at or before `now`.
    pub async fn run(&self, now: DateTime<Utc>) -> Result<EndsSummary, Unavailable> {
        let ends = self.ends.ends_due(now).await?;
        let mut summary = EndsSummary {
            ended: ends.len(),
            ..EndsSummary::default()
        };
        for end in &ends {
            match self.end(end, now).await {
                Ok(Outcome::Expired) => summary.expired += 1,
                Ok(Outcome::Rejected) => summary.rejected += 1,
                Ok(Outcome::Unheld) => summary.unheld += 1,
                Ok(Outcome::Resumed) => summary.resumed += 1,
                Err(e) => {
                    tracing::warn!(tenant_id = %end.tenant_id, subscription_id = %end.subscription_id, error = %e, "could not end a subscription's claim; a later run retries");
                    summary.failed += 1;
                }
            }
        }
        Ok(summary)
    }

    /// Ends the claim holding `end`'s subscription, if the directory still says it ended, then
    /// forgets the end.
    async fn end(
        &self,
        end: &EndedSubscription,
        now: DateTime<Utc>,
    ) -> Result<Outcome, Unavailable> {
        let still_ended = self
            .directory
            .tenant(end.tenant_id)
            .await?
            .is_some_and(|t| {
                t.ended_subscriptions()
                    .any(|e| e.subscription_id == end.subscription_id)
            });
        let outcome = if still_ended {
            let unit = PartnerOfRecordLock::of_subscription(end.tenant_id, end.subscription_id);
            self.end_holder(&unit, now).await?
        } else {
            Outcome::Resumed
        };
        self.ends.applied(end).await?;
        Ok(outcome)
    }

    /// Ends the claim holding `unit`, re-read and decided again if it changed meanwhile.
    async fn end_holder(
        &self,
        unit: &PartnerOfRecordLock,
        now: DateTime<Utc>,
    ) -> Result<Outcome, Unavailable> {
        until_settled("the subscription's claim", || async move {
            let Some(id) = self.ends.holder(unit).await? else {
                return Ok(Attempt::Settled(Outcome::Unheld));
            };
            let Some(claim) = self.claims.claim(id).await? else {
                return Ok(Attempt::Settled(Outcome::Unheld));
            };
            let transition = match claim.end_with_subscription(now) {
                Ok(transition) => transition,
                // It let the unit go meanwhile.
                Err(TransitionError::AlreadyFinal(_) | TransitionError::NotAllowedFrom(_)) => {
                    return Ok(Attempt::Settled(Outcome::Unheld));
                }
                Err(e) => return Err(Unavailable(format!("claim {id}: {e}"))),
            };
            let outcome = if transition.claim.status() == ClaimStatus::Expired {
                Outcome::Expired
            } else {
                Outcome::Rejected
            };
            match self.claims.apply(&transition).await {
                Ok(()) => {
                    tracing::info!(claim_id = %id, status = %transition.claim.status(), "the subscription ended: claim ended");
                    Ok(Attempt::Settled(outcome))
                }
                Err(ApplyError::Conflict | ApplyError::UnitHeld) => Ok(Attempt::LostRace),
                Err(ApplyError::Unavailable(e)) => Err(e),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::tests::at;
    use crate::memory::MemoryStore;
    use crate::reference::{ReferenceData, SubscriptionState};
    use crate::usecase::testing::{FABRIKAM, bizapps_claim, notified, reference_json};

    /// Loads Contoso with its subscription in `state` (ended at `ended_at` when ended).
    async fn directory(store: &MemoryStore, state: SubscriptionState, ended_at: Option<&str>) {
        let mut data = ReferenceData::parse(&reference_json()).unwrap();
        for tenant in &mut data.tenants {
            for s in &mut tenant.subscriptions {
                s.state = state;
                s.ended_at = ended_at.map(at);
            }
        }
        store.load(&data);
    }

    /// The directory's end of a subscription ends the association holding it (`expired`), and
    /// of one still awaiting its customer (`rejected`, not disputable); the unit is free; the
    /// end is applied once, and a second run finds nothing.
    #[tokio::test]
    async fn an_ended_subscription_ends_the_claim_holding_it_once() {
        for (official, expected) in [(true, ClaimStatus::Expired), (false, ClaimStatus::Rejected)] {
            // GIVEN a claim on Contoso's Power BI subscription, official or awaiting its customer
            let store = MemoryStore::default();
            let claim = bizapps_claim(&store, FABRIKAM, at("2026-11-25T09:00:00Z")).await;
            let mut claim = notified(&store, &claim, at("2026-11-25T10:00:00Z")).await;
            if official {
                let t = claim.finalize(at("2026-12-03T02:00:00Z")).unwrap();
                store.apply(&t).await.unwrap();
                claim = t.claim;
            }
            // WHEN the directory says the subscription ended, and the nightly run comes
            directory(
                &store,
                SubscriptionState::Ended,
                Some("2026-12-10T00:00:00Z"),
            )
            .await;
            let run = EndSubscriptions {
                ends: &store,
                directory: &store,
                claims: &store,
            };
            let summary = run.run(at("2026-12-11T02:00:00Z")).await.unwrap();
            // THEN the claim ended, and its unit is free
            let ended = store.claim(claim.id).await.unwrap().unwrap();
            assert_eq!(ended.status(), expected);
            let (_, history) = store.stored(claim.id).unwrap();
            assert_eq!(
                history.last().unwrap().code.as_deref(),
                Some("subscription_ended")
            );
            assert!(store.lock_holder(claim.subject.lock().as_str()).is_none());
            assert_eq!(summary.ended, 1);
            assert_eq!(
                (summary.expired, summary.rejected),
                if official { (1, 0) } else { (0, 1) }
            );
            // AND an association's period ends then
            if official {
                assert_eq!(
                    ended.association.unwrap().effective_until,
                    Some(at("2026-12-11T02:00:00Z"))
                );
            }
            // AND a second run has nothing left to do
            let again = run.run(at("2026-12-12T02:00:00Z")).await.unwrap();
            assert_eq!(again, EndsSummary::default());
        }
    }

    /// An end the directory took back (the subscription is active again) is dropped, its claim
    /// left as it is; an end in the future waits for its time.
    #[tokio::test]
    async fn an_end_taken_back_or_still_to_come_leaves_the_claim() {
        let store = MemoryStore::default();
        let claim = bizapps_claim(&store, FABRIKAM, at("2026-11-25T09:00:00Z")).await;
        directory(
            &store,
            SubscriptionState::Ended,
            Some("2026-12-10T00:00:00Z"),
        )
        .await;
        let run = EndSubscriptions {
            ends: &store,
            directory: &store,
            claims: &store,
        };
        // WHEN the run comes before the end
        let early = run.run(at("2026-12-09T02:00:00Z")).await.unwrap();
        assert_eq!(early.ended, 0);
        // WHEN the directory says the subscription is active again before the run
        directory(&store, SubscriptionState::Active, None).await;
        let summary = run.run(at("2026-12-11T02:00:00Z")).await.unwrap();
        // THEN the claim is left, and the end is forgotten
        assert_eq!(summary.resumed, 1);
        assert_eq!(
            store.claim(claim.id).await.unwrap().unwrap().status(),
            ClaimStatus::Submitted
        );
        assert_eq!(run.run(at("2026-12-12T02:00:00Z")).await.unwrap().ended, 0);
    }
}
