//! The customer's moves: opting out while the window is open, and ending an official
//! association.

use super::{Actor, Claim, ClaimState, HistoryEvent, Step, Transition, TransitionError};
use chrono::{DateTime, Utc};

impl Claim {
    /// The customer opts out at `at`; it wins at or before the deadline.
    pub fn opt_out(&self, at: DateTime<Utc>) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::AwaitingCustomer { window } if window.is_open_at(at) => {
                let step = Step::new(
                    Actor::Customer,
                    HistoryEvent::Declined,
                    ClaimState::Declined { window: *window },
                );
                Ok(self.change(at, vec![step], None))
            }
            ClaimState::AwaitingCustomer { window } => {
                Err(TransitionError::WindowClosed(window.deadline))
            }
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
            | ClaimState::Approved { .. }
            | ClaimState::Associated { .. }
            | ClaimState::Rejected { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. }
            | ClaimState::Contested { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::CustomerUnreachable { .. }
            | ClaimState::Revoked { .. }
            | ClaimState::Expired { .. } => Err(self.refuse()),
        }
    }

    /// The customer ends the official association (from its page, at any time).
    pub fn end(&self, at: DateTime<Utc>) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::Associated { window } => {
                let step = Step::new(
                    Actor::Customer,
                    HistoryEvent::Revoked,
                    ClaimState::Revoked { window: *window },
                );
                Ok(self.change(at, vec![step], None))
            }
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
            | ClaimState::Approved { .. }
            | ClaimState::AwaitingCustomer { .. }
            | ClaimState::CustomerUnreachable { .. }
            | ClaimState::Rejected { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. }
            | ClaimState::Contested { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::Revoked { .. }
            | ClaimState::Expired { .. } => Err(self.refuse()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::ClaimStatus;
    use crate::claim::tests::*;
    use chrono::TimeDelta;

    #[test]
    fn opt_out_at_the_deadline_wins() {
        // GIVEN a claim awaiting the customer WHEN the customer opts out at the deadline itself
        let (claim, window) = notified();
        let t = claim.opt_out(window.deadline).unwrap();
        // THEN it is declined by the customer and the lock is released
        assert_eq!(t.claim.status(), ClaimStatus::Declined);
        assert_eq!(t.entry().actor, Actor::Customer);
        assert_eq!(t.claim.decided_at, Some(window.deadline));
        assert!(t.releases_lock());
    }

    #[test]
    fn opt_out_after_deadline_is_refused() {
        let (claim, window) = notified();
        let late = window.deadline + TimeDelta::milliseconds(1);
        assert_eq!(
            claim.opt_out(late),
            Err(TransitionError::WindowClosed(window.deadline))
        );
    }

    #[test]
    fn a_declined_claim_cannot_be_withdrawn_or_finalized() {
        let (claim, window) = notified();
        let declined = claim.opt_out(window.notified_at).unwrap().claim;
        let later = window.deadline + TimeDelta::days(1);
        assert_eq!(
            declined.withdraw(later, reason()),
            Err(TransitionError::AlreadyFinal(ClaimStatus::Declined))
        );
        assert_eq!(
            declined.finalize(later),
            Err(TransitionError::AlreadyFinal(ClaimStatus::Declined))
        );
    }

    #[test]
    fn the_customer_ends_an_official_association_which_frees_the_unit_for_good() {
        // GIVEN an associated claim
        let claim = associated();
        // WHEN the customer ends it
        let ended = at("2027-03-01T12:00:00Z");
        let t = claim.end(ended).unwrap();
        // THEN it is revoked by the customer, decided then, its unit free, and final
        assert_eq!(t.claim.status(), ClaimStatus::Revoked);
        assert_eq!(t.entry().event.as_str(), "revoked");
        assert_eq!(t.entry().actor, Actor::Customer);
        assert_eq!(t.claim.decided_at, Some(ended));
        assert!(t.releases_lock());
        assert!(ClaimStatus::Revoked.is_final());
        assert_eq!(
            t.claim.end(ended),
            Err(TransitionError::AlreadyFinal(ClaimStatus::Revoked))
        );
    }

    #[test]
    fn only_an_official_association_can_be_ended() {
        // GIVEN a claim awaiting its customer WHEN the customer asks to end it THEN it is refused
        let (claim, _) = notified();
        assert_eq!(
            claim.end(at("2026-11-26T10:00:00Z")),
            Err(TransitionError::NotAllowedFrom(
                ClaimStatus::AwaitingCustomer
            ))
        );
    }
}
