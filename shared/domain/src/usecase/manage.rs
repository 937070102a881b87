//! The partner's own view of its claims and its moves on them: list, inspect, withdraw,
//! respond to an information request, dispute a rejection, add a newer proof of execution,
//! correct the customer's contact.

use super::{
    Attempt::{LostRace, Settled},
    until_settled,
};
use crate::caller::Caller;
use crate::claim::{Claim, ClaimStatus, HistoryEntry, Transition, TransitionError};
use crate::clock::Clock;
use crate::command::{ContactCorrection, Dispute, NewProof, Response, Withdrawal};
use crate::ids::ClaimId;
use crate::listing::{ClaimPage, ListQuery};
use crate::ports::{ApplyError, ClaimRepository, TenantDirectory, Unavailable};
use crate::reference::ContactOutsideTenant;
use crate::usecase::submit::Notification;
use chrono::{DateTime, NaiveDate, Utc};

/// Why a request about claims was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManageError {
    /// The caller's role may not do this.
    #[error("your role may not do this")]
    Forbidden,
    /// No such claim of the caller's (another partner's claims do not exist for the caller).
    #[error("no such claim")]
    NotFound,
    /// The claim is final (declined, withdrawn, or a rejection that ended a dispute).
    #[error("the claim is already {0}")]
    AlreadyFinal(ClaimStatus),
    /// The claim's status does not allow the move.
    #[error("a claim that is {0} does not allow this")]
    InvalidTransition(ClaimStatus),
    /// The time to respond to the information request ended.
    #[error("the response was due by {0}")]
    ResponseWindowClosed(DateTime<Utc>),
    /// The time to dispute the rejection ended.
    #[error("the rejection could be disputed until {0}")]
    DisputeWindowClosed(DateTime<Utc>),
    /// The proof of execution is not signed after the claim's current one.
    #[error("the proof of execution is not signed after the current one ({0})")]
    ProofNotNewer(NaiveDate),
    /// A corrected contact's address is not the tenant's.
    #[error(transparent)]
    ContactDomainMismatch(ContactOutsideTenant),
    /// The customer was e-mailed again through three corrections already.
    #[error("the customer's contact was corrected three times already")]
    TooManyCorrections,
    /// The partner made fifty entries of the claim's history already.
    #[error("the claim records fifty changes by its partner already")]
    TooManyChanges,
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl ManageError {
    /// A refused transition, as the partner is told.
    fn refused(error: TransitionError, current: ClaimStatus) -> Self {
        match error {
            TransitionError::AlreadyFinal(status) => Self::AlreadyFinal(status),
            TransitionError::NotAllowedFrom(status) => Self::InvalidTransition(status),
            TransitionError::ResponseWindowClosed(due) => Self::ResponseWindowClosed(due),
            TransitionError::DisputeWindowClosed(until) => Self::DisputeWindowClosed(until),
            TransitionError::DisputeExhausted | TransitionError::SubscriptionEnded => {
                Self::AlreadyFinal(current)
            }
            TransitionError::ProofNotNewer(current) => Self::ProofNotNewer(current),
            TransitionError::TooManyCorrections => Self::TooManyCorrections,
            TransitionError::TooManyChanges => Self::TooManyChanges,
            // Not moves of the partner's.
            TransitionError::WindowClosed(_)
            | TransitionError::WindowStillOpen(_)
            | TransitionError::ResponseNotOverdue(_)
            | TransitionError::UnreachableNotOverdue(_) => Self::InvalidTransition(current),
        }
    }
}

/// The manage-claims use cases.
pub struct ClaimDesk<'a> {
    pub claims: &'a dyn ClaimRepository,
    /// The tenants whose domains a corrected contact must be at.
    pub directory: &'a dyn TenantDirectory,
    pub clock: &'a dyn Clock,
}

/// A claim whose customer's contact was corrected, and whether a new notification was queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrected {
    pub claim: Claim,
    /// `None` when the correction needs no e-mail (the claim is still in review).
    pub notification: Option<Notification>,
}

impl ClaimDesk<'_> {
    /// A page of the caller's claims.
    pub async fn list(&self, caller: &Caller, query: &ListQuery) -> Result<ClaimPage, ManageError> {
        if !caller.may_view_claims() {
            return Err(ManageError::Forbidden);
        }
        Ok(self.claims.list_claims(&caller.partner_id, query).await?)
    }

    /// One of the caller's claims with its history.
    pub async fn get(
        &self,
        caller: &Caller,
        id: ClaimId,
    ) -> Result<(Claim, Vec<HistoryEntry>), ManageError> {
        if !caller.may_view_claims() {
            return Err(ManageError::Forbidden);
        }
        match self.claims.claim_with_history(id).await? {
            Some((claim, history)) if claim.partner_id == caller.partner_id => Ok((claim, history)),
            Some(_) | None => Err(ManageError::NotFound),
        }
    }

    /// Withdraws one of the caller's claims, or disassociates from its customer.
    pub async fn withdraw(
        &self,
        caller: &Caller,
        id: ClaimId,
        withdrawal: Withdrawal,
    ) -> Result<Claim, ManageError> {
        self.may_move(caller)?;
        self.change(caller, id, "claim withdrawn", |claim, now| {
            claim.withdraw(now, withdrawal.reason.clone())
        })
        .await
    }

    /// Answers an information request, optionally with a newer proof of execution.
    pub async fn respond(
        &self,
        caller: &Caller,
        id: ClaimId,
        response: Response,
    ) -> Result<Claim, ManageError> {
        self.may_move(caller)?;
        self.change(caller, id, "information request answered", |claim, now| {
            claim.respond(now, &response.message, response.proof.clone())
        })
        .await
    }

    /// Disputes a rejection, optionally with a newer proof of execution.
    pub async fn dispute(
        &self,
        caller: &Caller,
        id: ClaimId,
        dispute: Dispute,
    ) -> Result<Claim, ManageError> {
        self.may_move(caller)?;
        self.change(caller, id, "rejection disputed", |claim, now| {
            claim.dispute(now, &dispute.justification, dispute.proof.clone())
        })
        .await
    }

    /// Adds a newer proof of execution to a claim holding its unit, or disputed.
    pub async fn add_proof(
        &self,
        caller: &Caller,
        id: ClaimId,
        NewProof(proof): NewProof,
    ) -> Result<Claim, ManageError> {
        self.may_move(caller)?;
        self.change(caller, id, "proof of execution added", |claim, now| {
            claim.add_proof(now, proof.clone())
        })
        .await
    }

    /// Corrects the customer's contact, which must be at one of the tenant's verified domains,
    /// as at submission. Once the customer may have been e-mailed, the claim is `approved`
    /// again and the new contact's notification is queued: its link replaces the earlier one,
    /// its window starts when it is sent.
    pub async fn correct_contact(
        &self,
        caller: &Caller,
        id: ClaimId,
        ContactCorrection(contact): ContactCorrection,
    ) -> Result<Corrected, ManageError> {
        self.may_move(caller)?;
        let claim = self.own_claim(caller, id).await?;
        // A claim's tenant never changes: its domains are read once, whatever the retries.
        let tenant_id = claim.subject.tenant_id;
        let contact = match self.directory.tenant(tenant_id).await? {
            Some(tenant) => tenant.contact(contact),
            // A tenant taken out of the directory has no domain a contact could be at.
            None => Err(ContactOutsideTenant { tenant_id }),
        }
        .map_err(ManageError::ContactDomainMismatch)?;
        let claim = self
            .change_from(
                caller,
                claim,
                "customer's contact corrected",
                |claim, now| claim.correct_contact(now, contact.clone()),
            )
            .await?;
        // A correction leaves a claim `approved` exactly when it starts a new notification;
        // its `contact_corrected` history entry (to `approved`) queues it through the
        // history's outbox.
        let notification = claim
            .status()
            .notification_queued()
            .then_some(Notification::Queued);
        Ok(Corrected {
            claim,
            notification,
        })
    }

    fn may_move(&self, caller: &Caller) -> Result<(), ManageError> {
        if caller.may_manage_claims() {
            Ok(())
        } else {
            Err(ManageError::Forbidden)
        }
    }

    /// The caller's claim `id` as stored now.
    async fn own_claim(&self, caller: &Caller, id: ClaimId) -> Result<Claim, ManageError> {
        match self.claims.claim(id).await? {
            Some(claim) if claim.partner_id == caller.partner_id => Ok(claim),
            Some(_) | None => Err(ManageError::NotFound),
        }
    }

    /// Applies the transition `make` computes from the caller's claim as stored now; when the
    /// claim changed meanwhile, decides again on what is stored then.
    async fn change(
        &self,
        caller: &Caller,
        id: ClaimId,
        what: &str,
        make: impl Fn(&Claim, DateTime<Utc>) -> Result<Transition, TransitionError>,
    ) -> Result<Claim, ManageError> {
        let claim = self.own_claim(caller, id).await?;
        self.change_from(caller, claim, what, make).await
    }

    /// [`Self::change`], from `claim` as the caller's claim was just read.
    async fn change_from(
        &self,
        caller: &Caller,
        claim: Claim,
        what: &str,
        make: impl Fn(&Claim, DateTime<Utc>) -> Result<Transition, TransitionError>,
    ) -> Result<Claim, ManageError> {
        let id = claim.id;
        let mut read = Some(claim);
        let make = &make;
        until_settled("the claim", || {
            // The caller's claim was just read: the first attempt decides on it.
            let first = read.take();
            async move {
            let claim = match first {
                Some(claim) => claim,
                None => self.own_claim(caller, id).await?,
            };
            let transition = make(&claim, self.clock.now())
                .map_err(|e| ManageError::refused(e, claim.status()))?;
            match self.claims.apply(&transition).await {
                Ok(()) => {
                    tracing::info!(claim_id = %id, status = %transition.claim.status(), "{what}");
                    Ok(Settled(transition.claim))
                }
                Err(ApplyError::Conflict) => Ok(LostRace),
                // A partner's move never takes a unit back (only a reviewer's approval does).
                Err(ApplyError::UnitHeld) => Err(ManageError::InvalidTransition(claim.status())),
                Err(ApplyError::Unavailable(e)) => Err(e.into()),
            }
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::BusinessCalendar;
    use crate::caller::Role;
    use crate::catalogue::{Program, Workload};
    use crate::claim::tests::at;
    use crate::claim::{Actor, ClaimState, WithdrawalReason};
    use crate::clock::FixedClock;
    use crate::ids::TenantId;
    use crate::listing::ClaimFilter;
    use crate::memory::{MemoryStore, StoreCall};
    use crate::usecase::testing::{
        CONTOSO, FABRIKAM, LITWARE, NORTHWIND, admin, approved, awaiting_customer, caller,
        notified, now, store, submitted,
    };
    use chrono::{DateTime, TimeDelta, Utc};
    use serde_json::{Value, json};

    /// The use case's ports, in memory.
    struct Ports {
        store: MemoryStore,
        clock: FixedClock,
    }

    impl Ports {
        fn new() -> Self {
            Self {
                store: store(),
                clock: FixedClock::at(now()),
            }
        }

        fn desk(&self) -> ClaimDesk<'_> {
            ClaimDesk {
                claims: &self.store,
                directory: &self.store,
                clock: &self.clock,
            }
        }

        fn stored(&self, claim: &Claim) -> (Claim, Vec<HistoryEntry>) {
            self.store.stored(claim.id).unwrap()
        }

        async fn list(
            &self,
            filter: ClaimFilter,
            limit: usize,
            after: Option<ClaimId>,
        ) -> ClaimPage {
            let query = ListQuery {
                filter,
                limit,
                after,
            };
            self.desk().list(&admin(FABRIKAM), &query).await.unwrap()
        }
    }

    fn withdrawal() -> Withdrawal {
        Withdrawal {
            reason: WithdrawalReason::parse("engagement ended").unwrap(),
        }
    }

    /// A corrected contact, as the door reads it from its body.
    fn contact(body: &Value) -> ContactCorrection {
        ContactCorrection::read(body).unwrap()
    }

    fn minutes(n: i64) -> DateTime<Utc> {
        now() + TimeDelta::minutes(n)
    }

    fn ids(page: &ClaimPage) -> Vec<ClaimId> {
        page.items.iter().map(|c| c.id).collect()
    }

    #[tokio::test]
    async fn another_partners_claim_does_not_exist_for_the_caller() {
        // GIVEN Northwind's claim
        let ports = Ports::new();
        let theirs = submitted(&ports.store, NORTHWIND, "teams", now()).await;
        let id = theirs.id;
        // WHEN Fabrikam reads or withdraws it
        let read = ports.desk().get(&admin(FABRIKAM), id).await;
        let withdrawn = ports
            .desk()
            .withdraw(&admin(FABRIKAM), id, withdrawal())
            .await;
        // THEN it is not found, and it stays as it was
        assert_eq!(read, Err(ManageError::NotFound));
        assert_eq!(withdrawn, Err(ManageError::NotFound));
        assert_eq!(ports.stored(&theirs).0, theirs);
    }

    /// An id that names no claim is not found, whatever the move (a malformed one is not
    /// found at the door, which parses it).
    #[tokio::test]
    async fn an_unknown_id_is_not_found() {
        let ports = Ports::new();
        let unknown = ClaimId::new_at(now());
        assert_eq!(
            ports.desk().get(&admin(FABRIKAM), unknown).await,
            Err(ManageError::NotFound)
        );
        assert_eq!(
            ports
                .desk()
                .withdraw(&admin(FABRIKAM), unknown, withdrawal())
                .await,
            Err(ManageError::NotFound)
        );
    }

    #[tokio::test]
    async fn a_user_reads_but_may_not_withdraw_and_an_unknown_role_may_do_neither() {
        // GIVEN Fabrikam's claim
        let ports = Ports::new();
        let claim = submitted(&ports.store, FABRIKAM, "teams", now()).await;
        let id = claim.id;
        let query = ListQuery {
            filter: ClaimFilter::default(),
            limit: 25,
            after: None,
        };
        // WHEN an incentives user reads and withdraws it
        let user = caller(FABRIKAM, Some(Role::IncentivesUser));
        // THEN the reads are answered and the withdrawal is forbidden
        assert_eq!(
            ports.desk().list(&user, &query).await.unwrap().items,
            vec![claim.clone()]
        );
        assert_eq!(ports.desk().get(&user, id).await.unwrap().0, claim);
        assert_eq!(
            ports.desk().withdraw(&user, id, withdrawal()).await,
            Err(ManageError::Forbidden)
        );
        // WHEN a caller with a role the service does not know does the same THEN all three are
        // forbidden
        let unknown = caller(FABRIKAM, None);
        assert_eq!(
            ports.desk().list(&unknown, &query).await,
            Err(ManageError::Forbidden)
        );
        assert_eq!(
            ports.desk().get(&unknown, id).await,
            Err(ManageError::Forbidden)
        );
        assert_eq!(
            ports.desk().withdraw(&unknown, id, withdrawal()).await,
            Err(ManageError::Forbidden)
        );
        // AND the claim is as it was
        assert_eq!(ports.stored(&claim).0, claim);
    }

    #[tokio::test]
    async fn withdrawing_frees_the_lock_and_records_the_reason_in_the_history() {
        // GIVEN Fabrikam's claim awaiting its customer
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let window = claim.state.window().copied();
        // WHEN Fabrikam withdraws it the next day
        let at_ = at("2026-11-26T08:00:00Z");
        ports.clock.set(at_);
        let reason = WithdrawalReason::parse("  engagement ended\nby the customer ").unwrap();
        let withdrawn = ports
            .desk()
            .withdraw(&admin(FABRIKAM), claim.id, Withdrawal { reason })
            .await
            .unwrap();
        // THEN it is withdrawn then, keeping its window, as stored
        assert_eq!(
            withdrawn.state,
            ClaimState::Withdrawn {
                window,
                reason: "engagement ended\nby the customer".into()
            }
        );
        assert_eq!(withdrawn.decided_at, Some(at_));
        let (stored, history) = ports.stored(&claim);
        assert_eq!(stored, withdrawn);
        // AND its history records the partner's reason
        let last = history.last().unwrap();
        assert_eq!(
            (last.actor, last.from, last.to, last.reason.as_deref()),
            (
                Actor::Partner,
                Some(ClaimStatus::AwaitingCustomer),
                ClaimStatus::Withdrawn,
                Some("engagement ended\nby the customer")
            )
        );
        // AND the tenant+workload is free for a new claim
        assert_eq!(ports.store.lock_holder(claim.subject.lock().as_str()), None);
    }

    #[tokio::test]
    async fn an_association_may_be_withdrawn_and_a_final_claim_may_not() {
        let ports = Ports::new();
        // GIVEN an associated claim WHEN Fabrikam withdraws it THEN it is withdrawn
        let associated = {
            let claim = awaiting_customer(&ports.store).await;
            let window = claim.state.window().copied().unwrap();
            let t = claim
                .finalize(window.deadline + TimeDelta::days(1))
                .unwrap();
            ports.store.apply(&t).await.unwrap();
            t.claim
        };
        let withdrawn = ports
            .desk()
            .withdraw(&admin(FABRIKAM), associated.id, withdrawal())
            .await
            .unwrap();
        assert_eq!(withdrawn.status(), ClaimStatus::Withdrawn);
        // GIVEN a declined claim
        let declined = {
            let claim = submitted(&ports.store, FABRIKAM, "exchange", now()).await;
            let claim = notified(&ports.store, &claim, now()).await;
            let t = claim.opt_out(now()).unwrap();
            ports.store.apply(&t).await.unwrap();
            t.claim
        };
        // WHEN Fabrikam withdraws it, or the withdrawn one again
        for (claim, status) in [
            (declined, ClaimStatus::Declined),
            (withdrawn, ClaimStatus::Withdrawn),
        ] {
            let refused = ports
                .desk()
                .withdraw(&admin(FABRIKAM), claim.id, withdrawal())
                .await;
            // THEN it is already final, and stays as it was
            assert_eq!(refused, Err(ManageError::AlreadyFinal(status)));
            assert_eq!(ports.stored(&claim).0, claim);
        }
    }

    #[tokio::test]
    async fn a_withdrawal_that_loses_a_race_re_reads_the_claim_and_retries() {
        // GIVEN a submitted claim notified just before its withdrawal is written
        let ports = Ports::new();
        let claim = submitted(&ports.store, FABRIKAM, "teams", now()).await;
        let claim = approved(&ports.store, &claim, now()).await;
        let window = BusinessCalendar::default().opt_out_window(now(), crate::zone::Zone::UTC);
        let notification = claim.notify(window).unwrap();
        ports.store.race(StoreCall::Apply, notification);
        // WHEN Fabrikam withdraws it
        let withdrawn = ports
            .desk()
            .withdraw(&admin(FABRIKAM), claim.id, withdrawal())
            .await
            .unwrap();
        // THEN it is withdrawn from where it then stood, keeping the window it got
        assert_eq!(withdrawn.state.window(), Some(&window));
        let history: Vec<ClaimStatus> = ports.stored(&claim).1.iter().map(|e| e.to).collect();
        assert_eq!(
            history,
            [
                ClaimStatus::Submitted,
                ClaimStatus::Approved,
                ClaimStatus::AwaitingCustomer,
                ClaimStatus::Withdrawn
            ]
        );
    }

    #[tokio::test]
    async fn a_withdrawal_cancelled_by_a_concurrent_transaction_is_tried_again() {
        // GIVEN a store that cancels the next write as in conflict, changing nothing
        let ports = Ports::new();
        let claim = submitted(&ports.store, FABRIKAM, "teams", now()).await;
        ports.store.conflict(StoreCall::Apply, 1);
        // WHEN Fabrikam withdraws the claim
        let withdrawn = ports
            .desk()
            .withdraw(&admin(FABRIKAM), claim.id, withdrawal())
            .await
            .unwrap();
        // THEN the second attempt withdraws it, once
        assert_eq!(withdrawn.status(), ClaimStatus::Withdrawn);
        assert_eq!(ports.stored(&claim).1.len(), 2);
    }

    #[tokio::test]
    async fn a_withdrawal_that_loses_to_the_customers_decline_is_already_final() {
        // GIVEN a claim its customer declines just before its withdrawal is written
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let decline = claim.opt_out(now()).unwrap();
        ports.store.race(StoreCall::Apply, decline.clone());
        // WHEN Fabrikam withdraws it
        let refused = ports
            .desk()
            .withdraw(&admin(FABRIKAM), claim.id, withdrawal())
            .await;
        // THEN the customer's decline stands
        assert_eq!(
            refused,
            Err(ManageError::AlreadyFinal(ClaimStatus::Declined))
        );
        assert_eq!(ports.stored(&claim).0, decline.claim);
    }

    #[tokio::test]
    async fn a_withdrawal_that_keeps_conflicting_gives_up_for_a_retry() {
        let ports = Ports::new();
        let claim = submitted(&ports.store, FABRIKAM, "teams", now()).await;
        ports
            .store
            .conflict(StoreCall::Apply, crate::usecase::CONFLICT_RETRIES as u32);
        let failed = ports
            .desk()
            .withdraw(&admin(FABRIKAM), claim.id, withdrawal())
            .await;
        assert!(matches!(failed, Err(ManageError::Unavailable(_))));
        assert_eq!(ports.stored(&claim).0, claim);
    }

    #[tokio::test]
    async fn a_claim_is_read_with_its_history_oldest_first() {
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let (read, history) = ports.desk().get(&admin(FABRIKAM), claim.id).await.unwrap();
        assert_eq!(read, claim);
        let sequences: Vec<u32> = history.iter().map(|e| e.sequence).collect();
        assert_eq!(sequences, [1, 2, 3]);
    }

    #[tokio::test]
    async fn the_list_pages_through_the_callers_claims_newest_first() {
        // GIVEN five claims of Fabrikam's, a minute apart, and one of Northwind's
        let ports = Ports::new();
        let mut ours = Vec::new();
        for (i, workload) in ["teams", "exchange", "intune", "defender", "windows"]
            .into_iter()
            .enumerate()
        {
            ours.push(
                submitted(&ports.store, FABRIKAM, workload, minutes(i as i64))
                    .await
                    .id,
            );
        }
        submitted(&ports.store, NORTHWIND, "purview", minutes(10)).await;
        ours.reverse();
        // WHEN Fabrikam lists them two at a time
        let first = ports.list(ClaimFilter::default(), 2, None).await;
        let second = ports
            .list(ClaimFilter::default(), 2, first.next_after)
            .await;
        let last = ports
            .list(ClaimFilter::default(), 2, second.next_after)
            .await;
        // THEN the pages hold its own claims, newest first, and the last says so
        assert_eq!(ids(&first), ours[0..2]);
        assert_eq!(first.next_after, Some(ours[1]));
        assert_eq!(ids(&second), ours[2..4]);
        assert_eq!(ids(&last), ours[4..]);
        assert_eq!(last.next_after, None);
        // AND a page that ends exactly with the claims says it is the last
        assert_eq!(
            ports.list(ClaimFilter::default(), 5, None).await.next_after,
            None
        );
    }

    #[tokio::test]
    async fn the_list_filters_by_status_program_workload_and_tenant() {
        // GIVEN Fabrikam's claims: Teams awaiting its customer, Exchange and Intune submitted
        let ports = Ports::new();
        let teams = awaiting_customer(&ports.store).await;
        let exchange = submitted(&ports.store, FABRIKAM, "exchange", minutes(1)).await;
        let intune = submitted(&ports.store, FABRIKAM, "intune", minutes(2)).await;
        let m365 = Program::parse("osu-m365").unwrap();
        let cases = [
            (
                ClaimFilter {
                    status: Some(ClaimStatus::Submitted),
                    ..ClaimFilter::default()
                },
                vec![intune.id, exchange.id],
            ),
            (
                ClaimFilter {
                    status: Some(ClaimStatus::AwaitingCustomer),
                    workload: Some(Workload::parse("teams").unwrap()),
                    ..ClaimFilter::default()
                },
                vec![teams.id],
            ),
            (
                ClaimFilter {
                    program: Some(m365),
                    tenant_id: Some(TenantId::parse(CONTOSO).unwrap()),
                    ..ClaimFilter::default()
                },
                vec![intune.id, exchange.id, teams.id],
            ),
            (
                ClaimFilter {
                    tenant_id: Some(TenantId::parse(LITWARE).unwrap()),
                    ..ClaimFilter::default()
                },
                vec![],
            ),
        ];
        for (filter, expected) in cases {
            // WHEN Fabrikam lists them with a filter THEN only the matching claims are listed
            let page = ports.list(filter.clone(), 25, None).await;
            assert_eq!(ids(&page), expected, "{filter:?}");
        }
        // AND a filtered listing pages through the matching claims only
        let submitted_only = ClaimFilter {
            status: Some(ClaimStatus::Submitted),
            ..ClaimFilter::default()
        };
        let first = ports.list(submitted_only.clone(), 1, None).await;
        assert_eq!(
            (ids(&first), first.next_after),
            (vec![intune.id], Some(intune.id))
        );
        let second = ports.list(submitted_only, 1, first.next_after).await;
        assert_eq!((ids(&second), second.next_after), (vec![exchange.id], None));
    }

    #[tokio::test]
    async fn a_store_that_cannot_be_reached_fails_the_request_for_a_retry() {
        let ports = Ports::new();
        let claim = submitted(&ports.store, FABRIKAM, "teams", now()).await;
        ports.store.fail(StoreCall::ClaimWithHistory, 1);
        assert!(matches!(
            ports.desk().get(&admin(FABRIKAM), claim.id).await,
            Err(ManageError::Unavailable(_))
        ));
        ports.store.fail(StoreCall::Apply, 1);
        assert!(matches!(
            ports
                .desk()
                .withdraw(&admin(FABRIKAM), claim.id, withdrawal())
                .await,
            Err(ManageError::Unavailable(_))
        ));
        assert_eq!(ports.stored(&claim).0, claim);
    }

    #[tokio::test]
    async fn a_corrected_contact_of_a_notified_claim_is_queued_for_a_new_email() {
        // GIVEN a claim awaiting its customer
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        // WHEN the partner corrects the customer's contact
        let body = json!({ "name": "Marco Bianchi", "email": "marco@contoso.com", "locale": "it" });
        let corrected = ports
            .desk()
            .correct_contact(&admin(FABRIKAM), claim.id, contact(&body))
            .await
            .unwrap();
        // THEN the claim is approved again with the new contact, and its e-mail is queued
        assert_eq!(corrected.claim.status(), ClaimStatus::Approved);
        assert_eq!(
            corrected.claim.subject.customer_contact.email.as_str(),
            "marco@contoso.com"
        );
        assert_eq!(corrected.notification, Some(Notification::Queued));
        assert_eq!(ports.stored(&claim).0, corrected.claim);
    }

    #[tokio::test]
    async fn a_corrected_contact_in_review_queues_nothing() {
        // GIVEN a claim in review
        let ports = Ports::new();
        let claim = submitted(&ports.store, FABRIKAM, "teams", now()).await;
        let id = claim.id;
        // WHEN the partner corrects the contact
        let body = json!({ "name": "Marco Bianchi", "email": "marco@contoso.com" });
        let corrected = ports
            .desk()
            .correct_contact(&admin(FABRIKAM), id, contact(&body))
            .await
            .unwrap();
        // THEN only the contact changed and nothing is queued
        assert_eq!(corrected.claim.status(), ClaimStatus::Submitted);
        assert_eq!(corrected.notification, None);
        // AND another partner's claim does not exist for the caller
        assert_eq!(
            ports
                .desk()
                .correct_contact(&admin(NORTHWIND), id, contact(&body))
                .await,
            Err(ManageError::NotFound)
        );
    }

    #[tokio::test]
    async fn a_contact_corrected_to_an_address_outside_the_tenant_is_refused_and_nothing_changes() {
        // GIVEN a claim awaiting its customer at Contoso
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let id = claim.id;
        // WHEN the partner corrects the contact to its own inbox
        let body = json!({ "name": "Ops", "email": "ops@fabrikam.com" });
        let refused = ports
            .desk()
            .correct_contact(&admin(FABRIKAM), id, contact(&body))
            .await;
        // THEN it is refused: the address is not the tenant's
        assert!(
            matches!(refused, Err(ManageError::ContactDomainMismatch(ref r)) if r.tenant_id == claim.subject.tenant_id),
            "{refused:?}"
        );
        // AND the claim, its history and the queue are as they were
        assert_eq!(ports.stored(&claim).0, claim);
        // AND another partner still learns nothing of the claim, not even its tenant's rule
        assert_eq!(
            ports
                .desk()
                .correct_contact(&admin(NORTHWIND), id, contact(&body))
                .await,
            Err(ManageError::NotFound)
        );
    }

    #[tokio::test]
    async fn a_correction_reads_the_tenant_once_and_an_unreadable_directory_changes_nothing() {
        // GIVEN a claim awaiting its customer, and a directory that fails once
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let id = claim.id;
        let body = json!({ "name": "Marco Bianchi", "email": "marco@contoso.com" });
        ports.store.fail(StoreCall::Tenant, 1);
        // WHEN the partner corrects the contact THEN the failure is the answer, nothing changed
        assert!(matches!(
            ports
                .desk()
                .correct_contact(&admin(FABRIKAM), id, contact(&body))
                .await,
            Err(ManageError::Unavailable(_))
        ));
        assert_eq!(ports.stored(&claim).0, claim);
        // WHEN it is sent again, and the claim changes once while it is corrected
        let calls_before = ports.store.calls().len();
        ports.store.conflict(StoreCall::Apply, 1);
        let corrected = ports
            .desk()
            .correct_contact(&admin(FABRIKAM), id, contact(&body))
            .await
            .unwrap();
        // THEN it is corrected, having read the tenant once and the claim once per attempt
        assert_eq!(corrected.claim.status(), ClaimStatus::Approved);
        let calls = &ports.store.calls()[calls_before..];
        assert_eq!(
            calls,
            [
                StoreCall::Claim,
                StoreCall::Tenant,
                StoreCall::Apply,
                StoreCall::Claim,
                StoreCall::Apply
            ]
        );
    }
}
