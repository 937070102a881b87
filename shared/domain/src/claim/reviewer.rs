//! The vendor's reviewers' moves: approving, asking the partner for more, rejecting, and, when
//! a contest wins the arbitration, superseding the claim that held its unit; and what a
//! reviewer compared in a contest.

use super::{
    Actor, Claim, ClaimState, HistoryEvent, ReviewerId, Step, Transition, TransitionError,
};
use crate::calendar::BusinessCalendar;
use crate::ids::ClaimId;
use crate::review::{
    DISPUTE_PERIOD, InformationCode, InformationRequest, Message, Rejection, RejectionCode,
    five_business_days_after,
};
use chrono::{DateTime, Utc};
use std::fmt;

impl Claim {
    /// A reviewer approves a claim in review (`submitted`), a disputed one (which takes the
    /// unit back: the store refuses it while another claim holds the unit), or a contested one
    /// (which takes the unit from its holder, superseded in the same write, or takes it free).
    pub fn approve(
        &self,
        at: DateTime<Utc>,
        reviewer: &ReviewerId,
        comment: Option<&Message>,
    ) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::Submitted { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Contested { .. } => {
                let step = Step::new(
                    Actor::Reviewer,
                    HistoryEvent::Approved,
                    ClaimState::Approved { at },
                )
                .by(reviewer)
                .reason(comment.map(Message::as_str));
                Ok(self.change(at, vec![step], None))
            }
            ClaimState::InformationRequested { .. }
            | ClaimState::Approved { .. }
            | ClaimState::AwaitingCustomer { .. }
            | ClaimState::Associated { .. }
            | ClaimState::Rejected { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::CustomerUnreachable { .. }
            | ClaimState::Revoked { .. }
            | ClaimState::Expired { .. } => Err(self.refuse()),
        }
    }

    /// A reviewer asks the partner for more; the partner has until the end of the fifth
    /// business day after (UTC) to respond.
    pub fn request_information(
        &self,
        at: DateTime<Utc>,
        reviewer: &ReviewerId,
        codes: Vec<InformationCode>,
        message: Message,
        calendar: &BusinessCalendar,
    ) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::Submitted { .. } => {
                let first = codes.first().map(|c| c.as_str().to_owned());
                let request = InformationRequest {
                    codes,
                    message,
                    requested_at: at,
                    response_due: five_business_days_after(calendar, at),
                };
                let reason = request.message.as_str().to_owned();
                let mut step = Step::new(
                    Actor::Reviewer,
                    HistoryEvent::InformationRequested,
                    ClaimState::InformationRequested { request },
                )
                .by(reviewer)
                .reason(Some(&reason));
                step.code = first;
                Ok(self.change(at, vec![step], None))
            }
            ClaimState::InformationRequested { .. }
            | ClaimState::Approved { .. }
            | ClaimState::AwaitingCustomer { .. }
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

    /// A reviewer rejects a claim in review, waiting for information, disputed or contested.
    /// The unit it held is freed; the partner may dispute until 30 days later, unless the
    /// claim was disputed already.
    pub fn reject(
        &self,
        at: DateTime<Utc>,
        reviewer: &ReviewerId,
        code: RejectionCode,
        message: Message,
    ) -> Result<Transition, TransitionError> {
        let dispute_until = match &self.state {
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
            | ClaimState::Contested { .. } => Some(at + DISPUTE_PERIOD),
            ClaimState::Disputed { .. } => None,
            ClaimState::Approved { .. }
            | ClaimState::AwaitingCustomer { .. }
            | ClaimState::Associated { .. }
            | ClaimState::Rejected { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::CustomerUnreachable { .. }
            | ClaimState::Revoked { .. }
            | ClaimState::Expired { .. } => return Err(self.refuse()),
        };
        let reason = message.as_str().to_owned();
        let rejection = Rejection {
            code,
            message: Some(message),
            at,
        };
        let step = Step::new(
            Actor::Reviewer,
            HistoryEvent::Rejected,
            ClaimState::Rejected {
                rejection,
                dispute_until,
            },
        )
        .by(reviewer)
        .code(code.as_str())
        .reason(Some(&reason));
        Ok(self.change(at, vec![step], None))
    }

    /// A reviewer approved another partner's contest of this claim's unit: the claim loses it
    /// (`lost_arbitration`), in the same write as the contest's approval. Only a claim that
    /// holds its unit can lose it.
    pub fn supersede(
        &self,
        at: DateTime<Utc>,
        reviewer: &ReviewerId,
    ) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
            | ClaimState::Approved { .. }
            | ClaimState::AwaitingCustomer { .. }
            | ClaimState::CustomerUnreachable { .. }
            | ClaimState::Associated { .. } => {
                let state = ClaimState::Superseded {
                    window: self.state.window().copied(),
                };
                let step = Step::new(Actor::Reviewer, HistoryEvent::Superseded, state)
                    .by(reviewer)
                    .code(RejectionCode::LostArbitration.as_str())
                    .reason(Some(
                        "another partner's claim to this unit won the arbitration",
                    ));
                Ok(self.change(at, vec![step], None))
            }
            ClaimState::Rejected { .. }
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

/// What a reviewer compared in a contest, as its page showed them: the contest and the claim
/// it contests, each at its version. An approval acts only on what was compared: if either
/// claim changed since (a newer proof, a status move), it is refused. Shown to the reviewer as
/// an opaque string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compared {
    pub contest: ClaimId,
    pub contest_version: u32,
    pub holder: ClaimId,
    pub holder_version: u32,
}

impl Compared {
    /// What a reviewer compares when reading `contest` beside `holder`, the claim it contests.
    pub fn of(contest: &Claim, holder: &Claim) -> Option<Self> {
        (contest.state.contested_holder() == Some(holder.id)).then_some(Self {
            contest: contest.id,
            contest_version: contest.version,
            holder: holder.id,
            holder_version: holder.version,
        })
    }

    /// The string a reviewer's client sends back: `None` when it is not one of ours.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.');
        let mut next = || parts.next();
        let compared = Self {
            contest: ClaimId::parse(next()?)?,
            contest_version: next()?.parse().ok()?,
            holder: ClaimId::parse(next()?)?,
            holder_version: next()?.parse().ok()?,
        };
        next().is_none().then_some(compared)
    }

    /// True when `contest` and `holder` are still as compared.
    pub fn still(&self, contest: &Claim, holder: Option<&Claim>) -> bool {
        contest.id == self.contest
            && contest.version == self.contest_version
            && holder.is_some_and(|h| h.id == self.holder && h.version == self.holder_version)
    }
}

impl fmt::Display for Compared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}.{}.{}",
            self.contest, self.contest_version, self.holder, self.holder_version
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::tests::*;
    use crate::claim::{ClaimStatus, NightlyDeadline};

    #[test]
    fn a_reviewer_approves_a_submitted_claim_keeping_its_unit() {
        let t = submitted(at("2026-11-25T09:00:00Z"))
            .approve(
                at("2026-11-26T09:00:00Z"),
                &reviewer(),
                Some(&message("fine")),
            )
            .unwrap();
        assert_eq!(t.claim.status(), ClaimStatus::Approved);
        let e = t.entry();
        assert_eq!(
            (e.actor, e.event, e.sequence),
            (Actor::Reviewer, HistoryEvent::Approved, 2)
        );
        assert_eq!(
            e.reviewer.as_ref().map(ReviewerId::as_str),
            Some("reviewer-7")
        );
        assert_eq!(e.reason.as_deref(), Some("fine"));
        assert!(!t.releases_lock() && !t.takes_lock());
    }

    #[test]
    fn a_reviewer_asks_for_information_due_five_business_days_later_in_utc() {
        let claim = information_requested();
        match &claim.state {
            ClaimState::InformationRequested { request } => {
                assert_eq!(request.response_due, at("2026-12-02T23:59:59.999Z"));
                assert_eq!(
                    request.codes,
                    vec![InformationCode::MissingCustomerSignature]
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(claim.status().holds_lock());
        assert_eq!(
            claim.state.nightly_deadline(),
            Some(NightlyDeadline::Response(at("2026-12-02T23:59:59.999Z")))
        );
    }

    #[test]
    fn a_reviewer_rejects_a_submitted_claim_freeing_its_unit_disputable_for_thirty_days() {
        let t = submitted(at("2026-11-25T09:00:00Z"))
            .reject(
                at("2026-11-26T10:00:00Z"),
                &reviewer(),
                RejectionCode::WrongProgram,
                message("this is an advisory engagement"),
            )
            .unwrap();
        assert!(t.releases_lock());
        assert_eq!(t.claim.decided_at, Some(at("2026-11-26T10:00:00Z")));
        match &t.claim.state {
            ClaimState::Rejected {
                dispute_until,
                rejection,
            } => {
                assert_eq!(*dispute_until, Some(at("2026-12-26T10:00:00Z")));
                assert_eq!(rejection.code, RejectionCode::WrongProgram);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(t.entry().code.as_deref(), Some("wrong_program"));
    }

    #[test]
    fn a_reviewer_may_reject_while_waiting_for_information() {
        let t = information_requested()
            .reject(
                at("2026-11-27T10:00:00Z"),
                &reviewer(),
                RejectionCode::Other,
                message("no"),
            )
            .unwrap();
        assert_eq!(t.claim.status(), ClaimStatus::Rejected);
        assert!(t.releases_lock());
    }

    #[test]
    fn information_requested_cannot_be_approved_before_the_partner_answers() {
        assert_eq!(
            information_requested().approve(at("2026-11-27T10:00:00Z"), &reviewer(), None),
            Err(TransitionError::NotAllowedFrom(
                ClaimStatus::InformationRequested
            ))
        );
    }

    #[test]
    fn approving_a_dispute_takes_the_unit_back() {
        let t = disputed()
            .approve(at("2026-11-30T10:00:00Z"), &reviewer(), None)
            .unwrap();
        assert_eq!(t.claim.status(), ClaimStatus::Approved);
        assert!(t.takes_lock());
    }

    #[test]
    fn rejecting_a_dispute_is_final_and_cannot_be_disputed_again() {
        let t = disputed()
            .reject(
                at("2026-11-30T10:00:00Z"),
                &reviewer(),
                RejectionCode::Other,
                message("no"),
            )
            .unwrap();
        assert!(!t.releases_lock(), "a disputed claim holds no unit");
        assert_eq!(
            t.claim
                .dispute(at("2026-12-01T10:00:00Z"), &message("again"), None),
            Err(TransitionError::DisputeExhausted)
        );
    }

    #[test]
    fn approving_a_contest_takes_the_unit_and_supersedes_the_holder_for_good() {
        let holder = notified().0;
        let contest = contested(&holder);
        let now = at("2026-11-27T09:00:00Z");
        // WHEN a reviewer approves the contest
        let award = contest.approve(now, &reviewer(), None).unwrap();
        let loss = holder.supersede(now, &reviewer()).unwrap();
        // THEN the contest takes the unit, and ends its contest; the holder lets it go
        assert!(award.takes_lock() && award.ends_contest());
        assert_eq!(award.claim.status(), ClaimStatus::Approved);
        assert!(loss.releases_lock());
        assert_eq!(loss.claim.status(), ClaimStatus::Superseded);
        assert_eq!(loss.entry().event, HistoryEvent::Superseded);
        assert_eq!(loss.entry().code.as_deref(), Some("lost_arbitration"));
        assert_eq!(loss.claim.decided_at, Some(now));
        // AND the superseded claim keeps the window it had, and never moves again
        assert_eq!(loss.claim.state.window(), holder.state.window());
        assert_eq!(
            loss.claim.withdraw(now, reason()),
            Err(TransitionError::AlreadyFinal(ClaimStatus::Superseded))
        );
        assert!(loss.claim.supersede(now, &reviewer()).is_err());
    }

    #[test]
    fn a_rejected_contest_is_disputable_and_a_claim_without_its_unit_cannot_be_superseded() {
        let holder = submitted(at("2026-11-25T09:00:00Z"));
        let contest = contested(&holder);
        let now = at("2026-11-27T09:00:00Z");
        let rejected = contest
            .reject(now, &reviewer(), RejectionCode::Other, message("no"))
            .unwrap();
        assert!(rejected.ends_contest() && !rejected.releases_lock());
        assert!(matches!(
            rejected.claim.state,
            ClaimState::Rejected {
                dispute_until: Some(_),
                ..
            }
        ));
        assert_eq!(
            contest.supersede(now, &reviewer()),
            Err(TransitionError::NotAllowedFrom(ClaimStatus::Contested))
        );
        // AND a contest cannot be asked for more: the reviewer compares, then decides
        assert!(
            contest
                .request_information(
                    now,
                    &reviewer(),
                    vec![InformationCode::Other],
                    message("more"),
                    &calendar()
                )
                .is_err()
        );
    }

    #[test]
    fn what_a_reviewer_compared_names_both_claims_at_their_versions() {
        // GIVEN a contest and the claim it contests, as a reviewer read them
        let (holder, _) = notified();
        let contest = contested(&holder);
        let compared = Compared::of(&contest, &holder).unwrap();
        // THEN its text reads back as itself, and nothing else reads as one
        assert_eq!(Compared::parse(&compared.to_string()), Some(compared));
        for text in [
            "",
            "x",
            "1.2.3.4",
            &format!("{compared}.5"),
            &format!("{compared}").replace('.', ":"),
        ] {
            assert_eq!(Compared::parse(text), None, "{text}");
        }
        // AND it holds while neither changed, and not once either did
        assert!(compared.still(&contest, Some(&holder)));
        let newer = holder
            .add_proof(at("2026-11-27T09:00:00Z"), proof("2026-11-26"))
            .unwrap()
            .claim;
        assert!(!compared.still(&contest, Some(&newer)));
        assert!(!compared.still(&contest, None));
        let withdrawn = contest
            .withdraw(at("2026-11-27T09:00:00Z"), reason())
            .unwrap()
            .claim;
        assert!(!compared.still(&withdrawn, Some(&holder)));
        // AND only a contest and the claim it contests are compared
        assert_eq!(Compared::of(&holder, &contest), None);
    }
}
