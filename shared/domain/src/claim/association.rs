//! An association's effective period, and the partner of record of a unit at an instant.
//!
//! An association counts from the approval that led to it (`effective_from`: the vendor's
//! decision, not the end of the customer's window) until it stopped holding its unit
//! (`effective_until`: revoked, superseded, withdrawn, expired), exclusive: at
//! `effective_until` it no longer counts. The store keeps one period per association beside
//! its unit, written in the same transaction as the change that starts or ends it.

use super::{Claim, ClaimStatus};
use crate::catalogue::{Program, Workload};
use crate::ids::{ClaimId, PartnerId, SubscriptionId, TenantId};
use chrono::{DateTime, Utc};

/// An association's effective period, as the claim and its events carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Association {
    /// The approval that led to the association.
    pub effective_from: DateTime<Utc>,
    /// When it stopped holding its unit; `None` while it holds.
    pub effective_until: Option<DateTime<Utc>>,
}

impl Association {
    /// True when the association counted at `at`: from `effective_from`, up to but not
    /// including `effective_until`.
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        self.effective_from <= at && self.effective_until.is_none_or(|until| at < until)
    }
}

/// One association's period, as stored beside its unit: what the partner-of-record question
/// and the payout ledger read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub claim_id: ClaimId,
    pub partner_id: PartnerId,
    /// The partner's registered name, as its claim recorded it.
    pub partner_name: String,
    pub program: Program,
    pub tenant_id: TenantId,
    pub workload: Workload,
    pub subscription_id: Option<SubscriptionId>,
    pub association: Association,
}

impl Period {
    /// The period of `claim`'s association, once it has one.
    pub fn of(claim: &Claim) -> Option<Self> {
        claim.association.map(|association| Self {
            claim_id: claim.id,
            partner_id: claim.partner_id.clone(),
            partner_name: claim.partner_name.clone(),
            program: claim.subject.program,
            tenant_id: claim.subject.tenant_id,
            workload: claim.subject.workload,
            subscription_id: claim.subject.subscription_id,
            association,
        })
    }
}

/// The period that covers `at` among a unit's periods read newest `effective_from` first from
/// `at` backwards (what the store's one query gives): only the first can. A unit's periods
/// never overlap (one claim holds a unit at a time, and a successor's approval comes at or
/// after its predecessor's end), so an earlier period ended at or before the first began.
pub fn covering(
    newest_first: impl IntoIterator<Item = Period>,
    at: DateTime<Utc>,
) -> Option<Period> {
    newest_first
        .into_iter()
        .find(|p| p.association.effective_from <= at)
        .filter(|p| p.association.covers(at))
}

impl ClaimStatus {
    /// True for the status of an association: the claim is its unit's partner of record.
    pub fn is_association(self) -> bool {
        self == Self::Associated
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::tests::{at, reviewer, subject};
    use crate::claim::{ClaimSubject, Transition, WithdrawalReason};
    use crate::memory::MemoryStore;
    use crate::ports::{ClaimRepository, PartnersOfRecord, SubmissionStore};
    use crate::review::Message;
    use chrono::TimeDelta;
    use proptest::prelude::*;

    /// What happens next to the unit, after `gap` hours.
    #[derive(Debug, Clone)]
    enum Move {
        /// A claim for the unit (free), approved; its customer opts out, or it becomes official.
        Claim { gap: i64, declined: bool },
        /// Another partner's contest of the holder, approved: the holder is superseded at the
        /// approval; the winner's customer opts out, or it becomes official.
        Contest { gap: i64, declined: bool },
        /// The customer ends the association.
        Revoke { gap: i64 },
        /// The partner withdraws it.
        Withdraw { gap: i64 },
    }

    fn moves() -> impl Strategy<Value = Vec<Move>> {
        let gap = 1i64..200;
        let one = prop_oneof![
            (gap.clone(), any::<bool>()).prop_map(|(gap, declined)| Move::Claim { gap, declined }),
            (gap.clone(), any::<bool>())
                .prop_map(|(gap, declined)| Move::Contest { gap, declined }),
            gap.clone().prop_map(|gap| Move::Revoke { gap }),
            gap.prop_map(|gap| Move::Withdraw { gap }),
        ];
        prop::collection::vec(one, 1..25)
    }

    /// The unit's history as the model keeps it: who held it, from when, until when.
    #[derive(Debug, Default)]
    struct Model {
        periods: Vec<(ClaimId, DateTime<Utc>, Option<DateTime<Utc>>)>,
    }

    impl Model {
        fn at(&self, t: DateTime<Utc>) -> Option<ClaimId> {
            self.periods
                .iter()
                .find(|(_, from, until)| *from <= t && until.is_none_or(|u| t < u))
                .map(|(id, _, _)| *id)
        }

        fn end(&mut self, id: ClaimId, t: DateTime<Utc>) {
            for period in &mut self.periods {
                if period.0 == id {
                    period.2 = Some(t);
                }
            }
        }
    }

    struct Unit {
        store: MemoryStore,
        now: DateTime<Utc>,
        /// The claim holding the unit, as stored.
        holder: Option<Claim>,
        model: Model,
        partners: u32,
    }

    impl Unit {
        async fn apply(&self, t: &Transition) -> Claim {
            self.store.apply(t).await.unwrap();
            t.claim.clone()
        }

        fn next_partner(&mut self) -> PartnerId {
            self.partners += 1;
            PartnerId::parse(&format!("{}", 1_000_000 + self.partners)).unwrap()
        }

        /// The approved claim's customer is told at its approval; it opts out an hour later or
        /// its window closes and the nightly run makes it official.
        async fn after_approval(&mut self, approved: Claim, declined: bool) {
            let window = crate::calendar::BusinessCalendar::default()
                .opt_out_window(self.now, crate::zone::Zone::UTC);
            let notified = self.apply(&approved.notify(window).unwrap()).await;
            if declined {
                self.now += TimeDelta::hours(1);
                self.apply(&notified.opt_out(self.now).unwrap()).await;
                self.holder = None;
            } else {
                self.now = window.deadline + TimeDelta::hours(2);
                let associated = self.apply(&notified.finalize(self.now).unwrap()).await;
                let from = approved.approved_at.unwrap();
                self.model.periods.push((associated.id, from, None));
                self.holder = Some(associated);
            }
        }

        async fn play(&mut self, m: &Move) {
            let gap = match m {
                Move::Claim { gap, .. }
                | Move::Contest { gap, .. }
                | Move::Revoke { gap }
                | Move::Withdraw { gap } => *gap,
            };
            self.now += TimeDelta::hours(gap);
            let now = self.now;
            match (m, self.holder.clone()) {
                (Move::Claim { declined, .. }, None) => {
                    let partner = self.next_partner();
                    let (claim, entry) =
                        Claim::submit(ClaimId::new_at(now), partner, "P".into(), subject(), now);
                    self.store
                        .create_claim(&claim, std::slice::from_ref(&entry), None, None)
                        .await
                        .unwrap();
                    let approved = self.apply(&claim.approve_automatically(now).unwrap()).await;
                    self.after_approval(approved, *declined).await;
                }
                (Move::Contest { declined, .. }, Some(holder))
                    if holder.status() == ClaimStatus::Associated =>
                {
                    let partner = self.next_partner();
                    let (contest, entry) = Claim::contest(
                        ClaimId::new_at(now),
                        partner,
                        "Q".into(),
                        subject_of(&holder),
                        now,
                        holder.id,
                        &Message::parse("newer statement of work").unwrap(),
                    );
                    self.store
                        .create_claim(&contest, std::slice::from_ref(&entry), None, None)
                        .await
                        .unwrap();
                    self.now += TimeDelta::minutes(30);
                    let award = contest.approve(self.now, &reviewer(), None).unwrap();
                    let loss = holder.supersede(self.now, &reviewer()).unwrap();
                    self.store.apply_arbitration(&award, &loss).await.unwrap();
                    self.model.end(holder.id, self.now);
                    self.after_approval(award.claim, *declined).await;
                }
                (Move::Revoke { .. }, Some(holder)) => {
                    self.apply(&holder.end(now).unwrap()).await;
                    self.model.end(holder.id, now);
                    self.holder = None;
                }
                (Move::Withdraw { .. }, Some(holder)) => {
                    let reason = WithdrawalReason::parse("engagement ended").unwrap();
                    self.apply(&holder.withdraw(now, reason).unwrap()).await;
                    self.model.end(holder.id, now);
                    self.holder = None;
                }
                // A move that does not fit the unit's state: time passes.
                (Move::Claim { .. }, Some(_))
                | (Move::Contest { .. }, _)
                | (Move::Revoke { .. } | Move::Withdraw { .. }, None) => {}
            }
        }
    }

    fn subject_of(holder: &Claim) -> ClaimSubject {
        holder.subject.clone()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Whatever the unit's history of associations, supersessions and ends, the partner of
        /// record the store answers for any instant (each period's bounds, the instants just
        /// before and after them, and between) is the one the model says: a period covers its
        /// beginning and not its end, and a superseded holder and its successor never overlap.
        #[test]
        fn the_partner_of_record_at_any_instant_is_the_model_s(moves in moves()) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            runtime.block_on(async {
                let mut unit = Unit {
                    store: MemoryStore::default(),
                    now: at("2026-01-05T09:00:00Z"),
                    holder: None,
                    model: Model::default(),
                    partners: 0,
                };
                let start = unit.now;
                for m in &moves {
                    unit.play(m).await;
                }
                let lock = subject().lock();
                let mut instants = vec![start, unit.now + TimeDelta::days(1)];
                for (_, from, until) in &unit.model.periods {
                    for t in std::iter::once(*from).chain(*until) {
                        let ms = TimeDelta::milliseconds(1);
                        instants.extend([t - ms, t, t + ms, t + TimeDelta::hours(3)]);
                    }
                }
                for t in instants {
                    let answer = unit.store.partner_of_record(&lock, t).await.unwrap();
                    prop_assert_eq!(answer.map(|p| p.claim_id), unit.model.at(t), "at {}", t);
                }
                // AND the claims carry the same periods as their units
                for (id, from, until) in &unit.model.periods {
                    let claim = unit.store.claim(*id).await.unwrap().unwrap();
                    prop_assert_eq!(
                        claim.association,
                        Some(Association { effective_from: *from, effective_until: *until })
                    );
                }
                Ok(())
            })?;
        }
    }
}
