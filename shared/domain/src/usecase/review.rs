//! The vendor's reviewers: the review queue, a claim with its whole history, and the decisions
//! (approve, request information, reject). Two reviewers deciding at once: the first write
//! wins, the other is told the claim has moved on.

use super::{
    Attempt::{LostRace, Settled},
    until_settled,
};
use crate::calendar::BusinessCalendar;
use crate::claim::{
    Claim, ClaimStatus, Compared, HistoryEntry, ReviewerId, Transition, TransitionError,
};
use crate::clock::Clock;
use crate::command::{Approval, InformationRequest, Rejection};
use crate::ids::ClaimId;
use crate::listing::ReviewQuery;
use crate::ports::{ApplyError, ClaimRepository, ReviewPage, ReviewQueue, Unavailable};
use crate::usecase::submit::Notification;
use crate::validation::{FieldCode, Invalid, ValidationErrors};
use chrono::{DateTime, Utc};

/// Why a reviewer's request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("no such claim")]
    NotFound,
    /// A field the decision needs, refused (a contest's approval without `compared`).
    #[error(transparent)]
    Invalid(ValidationErrors),
    /// The claim's status does not allow the decision (another reviewer decided first).
    #[error("a claim that is {0} does not allow this decision")]
    InvalidTransition(ClaimStatus),
    /// Approving a dispute, while another claim now holds the unit.
    #[error("another claim holds the tenant and workload now")]
    UnitHeld,
    /// Approving a contest whose claims changed after the reviewer compared them.
    #[error("the contest or the claim it contests changed after they were compared")]
    ArbitrationStale,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// A decision recorded, and what became of the customer's notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub claim: Claim,
    pub notification: Notification,
}

/// A claim as a reviewer judges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub claim: Claim,
    pub history: Vec<HistoryEntry>,
    /// For a contest: the claim it contests (which may have let its unit go since).
    pub holder: Option<Claim>,
}

/// The review-claims use cases.
pub struct ReviewDesk<'a> {
    pub claims: &'a dyn ClaimRepository,
    pub review_queue: &'a dyn ReviewQueue,
    pub clock: &'a dyn Clock,
    /// The business calendar: response and review due times.
    pub calendar: &'a BusinessCalendar,
}

impl ReviewDesk<'_> {
    /// A page of the review queue, oldest entry into review first.
    pub async fn queue_page(&self, query: &ReviewQuery) -> Result<ReviewPage, ReviewError> {
        Ok(self.review_queue.review_page(query).await?)
    }

    /// A claim with its whole history (reviewers' ids included) and, for a contest, the claim
    /// it contests as it is now.
    pub async fn get(&self, id: ClaimId) -> Result<Case, ReviewError> {
        let (claim, history) = self
            .claims
            .claim_with_history(id)
            .await?
            .ok_or(ReviewError::NotFound)?;
        let holder = self.holder_of(&claim).await?;
        Ok(Case {
            claim,
            history,
            holder,
        })
    }

    /// Approves a claim in review, or a disputed one (which takes its unit back, if free). The
    /// customer's notification is queued by the approval's history entry, written in the same
    /// transaction: the history's outbox carries it to the notification queue, so there is no
    /// second write after the commit that could be lost.
    pub async fn approve(
        &self,
        reviewer: &ReviewerId,
        id: ClaimId,
        approval: Approval,
    ) -> Result<Decided, ReviewError> {
        let claim = self.approve_claim(reviewer, id, &approval).await?;
        let notification = Notification::Queued;
        Ok(Decided {
            claim,
            notification,
        })
    }

    /// For a contest, the claim it contests as it is now.
    pub async fn holder_of(&self, claim: &Claim) -> Result<Option<Claim>, ReviewError> {
        Ok(match claim.state.contested_holder() {
            Some(holder) => self.claims.claim(holder).await?,
            None => None,
        })
    }

    /// Approves the claim as stored now; a contest takes the unit from the claim it contests
    /// in the same write, or takes it free if that claim has let it go, and only as the
    /// reviewer `compared` the two: if either changed since, nothing changes.
    async fn approve_claim(
        &self,
        reviewer: &ReviewerId,
        id: ClaimId,
        approval: &Approval,
    ) -> Result<Claim, ReviewError> {
        let comment = approval.comment.as_ref();
        let compared = approval.compared.as_deref();
        until_settled("the claim", move || async move {
            let claim = self.claims.claim(id).await?.ok_or(ReviewError::NotFound)?;
            let now = self.clock.now();
            let award = claim
                .approve(now, reviewer, comment)
                .map_err(|e| refused(e, claim.status()))?;
            let applied = match claim.state.contested_holder() {
                Some(holder) => {
                    let Some(compared) = compared else {
                        return Err(compared_required());
                    };
                    let held = self.claims.claim(holder).await?;
                    let still =
                        Compared::parse(compared).is_some_and(|c| c.still(&claim, held.as_ref()));
                    if !still {
                        return Err(ReviewError::ArbitrationStale);
                    }
                    self.arbitrate(&award, held, now, reviewer).await
                }
                None => self.claims.apply(&award).await,
            };
            match applied {
                Ok(()) => {
                    tracing::info!(claim_id = %id, status = %award.claim.status(), "claim approved");
                    Ok(Settled(award.claim))
                }
                Err(ApplyError::Conflict) => Ok(LostRace),
                Err(ApplyError::UnitHeld) => Err(ReviewError::UnitHeld),
                Err(ApplyError::Unavailable(e)) => Err(e.into()),
            }
        })
        .await
    }

    /// Applies a contest's approval: the contested claim, if it still holds the unit, is
    /// superseded in the same write; if it has let the unit go, the contest takes it, unless
    /// another claim took it meanwhile (`UnitHeld`: the reviewer never judged that one).
    async fn arbitrate(
        &self,
        award: &Transition,
        held: Option<Claim>,
        now: DateTime<Utc>,
        reviewer: &ReviewerId,
    ) -> Result<(), ApplyError> {
        match held {
            Some(held) if held.status().holds_lock() => {
                let loss = held
                    .supersede(now, reviewer)
                    .map_err(|_| ApplyError::Conflict)?;
                let applied = self.claims.apply_arbitration(award, &loss).await;
                if applied.is_ok() {
                    tracing::info!(claim_id = %held.id, "claim superseded by an approved contest");
                }
                applied
            }
            Some(_) | None => self.claims.apply(award).await,
        }
    }

    /// Asks the partner for more.
    pub async fn request_information(
        &self,
        reviewer: &ReviewerId,
        id: ClaimId,
        request: InformationRequest,
    ) -> Result<Claim, ReviewError> {
        self.decide(id, "information requested", |claim, now| {
            let InformationRequest { codes, message } = &request;
            claim.request_information(now, reviewer, codes.clone(), message.clone(), self.calendar)
        })
        .await
    }

    /// Rejects a claim in review, waiting for information, or disputed.
    pub async fn reject(
        &self,
        reviewer: &ReviewerId,
        id: ClaimId,
        rejection: Rejection,
    ) -> Result<Claim, ReviewError> {
        self.decide(id, "claim rejected", |claim, now| {
            claim.reject(now, reviewer, rejection.code, rejection.message.clone())
        })
        .await
    }

    /// Applies the decision `make` computes from the claim as stored now. A conflict means the
    /// claim changed (another reviewer, the partner, the nightly run): decide again on what is
    /// stored then, which normally refuses the decision.
    async fn decide(
        &self,
        id: ClaimId,
        what: &str,
        make: impl Fn(&Claim, DateTime<Utc>) -> Result<Transition, TransitionError>,
    ) -> Result<Claim, ReviewError> {
        let make = &make;
        until_settled("the claim", move || async move {
            let claim = self.claims.claim(id).await?.ok_or(ReviewError::NotFound)?;
            let transition =
                make(&claim, self.clock.now()).map_err(|e| refused(e, claim.status()))?;
            match self.claims.apply(&transition).await {
                Ok(()) => {
                    tracing::info!(claim_id = %id, status = %transition.claim.status(), "{what}");
                    Ok(Settled(transition.claim))
                }
                Err(ApplyError::Conflict) => Ok(LostRace),
                Err(ApplyError::UnitHeld) => Err(ReviewError::UnitHeld),
                Err(ApplyError::Unavailable(e)) => Err(e.into()),
            }
        })
        .await
    }
}

/// The number of claims waiting for a decision (submitted or disputed) past their review due
/// time at `now`: the queue is read oldest first, up to the first claim that is not overdue.
pub async fn reviews_overdue(
    queue: &dyn ReviewQueue,
    calendar: &BusinessCalendar,
    now: DateTime<Utc>,
) -> Result<usize, Unavailable> {
    let mut query = ReviewQuery::waiting_for_a_decision();
    let mut overdue = 0;
    loop {
        let page = queue.review_page(&query).await?;
        for claim in &page.items {
            match claim.state.review_due(calendar) {
                Some(due) if due < now => overdue += 1,
                Some(_) => return Ok(overdue),
                None => {}
            }
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => return Ok(overdue),
        }
    }
}

fn refused(error: TransitionError, current: ClaimStatus) -> ReviewError {
    match error {
        TransitionError::NotAllowedFrom(status) | TransitionError::AlreadyFinal(status) => {
            ReviewError::InvalidTransition(status)
        }
        TransitionError::WindowClosed(_)
        | TransitionError::WindowStillOpen(_)
        | TransitionError::ResponseWindowClosed(_)
        | TransitionError::ResponseNotOverdue(_)
        | TransitionError::DisputeWindowClosed(_)
        | TransitionError::DisputeExhausted
        | TransitionError::SubscriptionEnded
        | TransitionError::ProofNotNewer(_)
        | TransitionError::UnreachableNotOverdue(_)
        | TransitionError::TooManyCorrections
        | TransitionError::TooManyChanges => ReviewError::InvalidTransition(current),
    }
}

/// A contest approved without saying what the reviewer compared.
fn compared_required() -> ReviewError {
    let mut errors = ValidationErrors::default();
    errors.push(
        "compared",
        Invalid::new(
            FieldCode::Required,
            "is required to approve a contest: the `compared` string the claim's page gave",
        ),
    );
    ReviewError::Invalid(errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::tests::at;
    use crate::claim::{Actor, ClaimState, HistoryEvent};
    use crate::clock::FixedClock;
    use crate::memory::{MemoryStore, StoreCall};
    use crate::review::{InformationCode, Message, RejectionCode};
    use crate::usecase::testing::{FABRIKAM, NORTHWIND, now, store, submitted};

    struct Ports {
        store: MemoryStore,
        clock: FixedClock,
        calendar: BusinessCalendar,
    }

    impl Ports {
        fn new() -> Self {
            Self {
                store: store(),
                clock: FixedClock::at(now()),
                calendar: BusinessCalendar::default(),
            }
        }

        fn desk(&self) -> ReviewDesk<'_> {
            ReviewDesk {
                claims: &self.store,
                review_queue: &self.store,
                clock: &self.clock,
                calendar: &self.calendar,
            }
        }

        fn stored(&self, claim: &Claim) -> (Claim, Vec<HistoryEntry>) {
            self.store.stored(claim.id).unwrap()
        }
    }

    fn reviewer(id: &str) -> ReviewerId {
        ReviewerId::parse(id).unwrap()
    }

    fn message(text: &str) -> Message {
        Message::parse(text).unwrap()
    }

    #[tokio::test]
    async fn approving_a_claim_in_review_records_the_reviewer_and_queues_the_notification() {
        // GIVEN a claim in review
        let ports = Ports::new();
        let claim = submitted(&ports.store, FABRIKAM, "teams", now()).await;
        // WHEN a reviewer approves it
        let decided = ports
            .desk()
            .approve(
                &reviewer("r-1"),
                claim.id,
                Approval {
                    comment: Some(message("good proof")),
                    compared: None,
                },
            )
            .await
            .unwrap();
        // THEN it is approved, by that reviewer, and its customer's notification is queued
        assert_eq!(decided.claim.status(), ClaimStatus::Approved);
        assert_eq!(decided.notification, Notification::Queued);
        let (_, history) = ports.stored(&claim);
        let last = history.last().unwrap();
        assert_eq!(
            (last.actor, last.event),
            (Actor::Reviewer, HistoryEvent::Approved)
        );
        assert_eq!(last.reviewer.as_ref().map(ReviewerId::as_str), Some("r-1"));
    }

    #[tokio::test]
    async fn two_reviewers_deciding_at_once_leave_one_decision_and_tell_the_other() {
        // GIVEN a claim in review, and another reviewer's rejection written just before
        let ports = Ports::new();
        let claim = submitted(&ports.store, FABRIKAM, "teams", now()).await;
        let rejection = claim
            .reject(
                now(),
                &reviewer("r-2"),
                RejectionCode::Other,
                Message::parse("no").unwrap(),
            )
            .unwrap();
        ports.store.race(StoreCall::Apply, rejection);
        // WHEN the first reviewer's approval is written
        let approval = ports
            .desk()
            .approve(&reviewer("r-1"), claim.id, Approval::default())
            .await;
        // THEN it is refused with the status the claim now has, and only the rejection stands
        assert_eq!(
            approval,
            Err(ReviewError::InvalidTransition(ClaimStatus::Rejected))
        );
        let (stored, history) = ports.stored(&claim);
        assert_eq!(stored.status(), ClaimStatus::Rejected);
        assert_eq!(history.len(), 2);
    }

    #[tokio::test]
    async fn a_dispute_approved_while_another_claim_holds_the_unit_is_refused_and_nothing_changes()
    {
        // GIVEN Fabrikam's rejected claim, disputed, and Northwind's claim on the same unit since
        let ports = Ports::new();
        let claim = submitted(&ports.store, FABRIKAM, "teams", now()).await;
        let desk = ports.desk();
        desk.reject(
            &reviewer("r-1"),
            claim.id,
            Rejection {
                code: RejectionCode::InsufficientProofOfExecution,
                message: message("unsigned"),
            },
        )
        .await
        .unwrap();
        let rejected = ports.stored(&claim).0;
        let dispute = rejected
            .dispute(now(), &Message::parse("signed now").unwrap(), None)
            .unwrap();
        ports.store.apply(&dispute).await.unwrap();
        let other = submitted(&ports.store, NORTHWIND, "teams", now()).await;
        // WHEN a reviewer approves the dispute
        let approval = desk
            .approve(&reviewer("r-1"), claim.id, Approval::default())
            .await;
        // THEN it is refused: the unit is the other claim's, and neither claim changed
        assert_eq!(approval, Err(ReviewError::UnitHeld));
        assert_eq!(ports.stored(&claim).0.status(), ClaimStatus::Disputed);
        assert_eq!(
            ports
                .store
                .lock_holder(claim.subject.lock().as_str())
                .map(|h| h.claim_id),
            Some(other.id)
        );
    }

    /// An information request moves the claim to `information_requested`, with its codes and
    /// a response due five business days later, at the end of the day.
    #[tokio::test]
    async fn an_information_request_records_its_codes_and_when_the_response_is_due() {
        let ports = Ports::new();
        let claim = submitted(&ports.store, FABRIKAM, "teams", now()).await;
        let asked = ports
            .desk()
            .request_information(
                &reviewer("r-1"),
                claim.id,
                InformationRequest {
                    codes: vec![
                        InformationCode::MissingCustomerSignature,
                        InformationCode::ProofOfExecutionDates,
                    ],
                    message: message("please sign"),
                },
            )
            .await
            .unwrap();
        match asked.state {
            ClaimState::InformationRequested { request } => {
                assert_eq!(request.codes.len(), 2);
                assert_eq!(request.response_due, at("2026-12-02T23:59:59.999Z"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn the_queue_lists_claims_oldest_first_and_counts_those_past_their_review_due() {
        // GIVEN claims entering review on Monday 16, Wednesday 18 and Wednesday 25 November
        let ports = Ports::new();
        let mut ids = Vec::new();
        for (workload, at_) in [
            ("teams", "2026-11-16T09:00:00Z"),
            ("exchange", "2026-11-18T09:00:00Z"),
            ("intune", "2026-11-25T09:00:00Z"),
        ] {
            ids.push(
                submitted(&ports.store, FABRIKAM, workload, at(at_))
                    .await
                    .id,
            );
        }
        // WHEN the queue is read, and counted as of Wednesday 25 November 12:00
        let page = ports
            .desk()
            .queue_page(&ReviewQuery::waiting_for_a_decision())
            .await
            .unwrap();
        let overdue = reviews_overdue(&ports.store, &ports.calendar, at("2026-11-25T12:00:00Z"))
            .await
            .unwrap();
        // THEN they come oldest first, and one is past its due time: the 16th's, due by the end of
        // the 23rd (the 18th's is due by the end of the 25th)
        assert_eq!(page.items.iter().map(|c| c.id).collect::<Vec<_>>(), ids);
        assert_eq!(overdue, 1);
    }
}
