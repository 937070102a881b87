//! A claim's state: its status with what exists only in that status (a window, a deadline, the
//! claim a contest is against), and what the store's indexes and the review queue read of it.

use super::ClaimStatus;
use crate::calendar::{BusinessCalendar, OptOutWindow};
use crate::ids::ClaimId;
use crate::review::{InformationRequest, Rejection, UNREACHABLE_PERIOD, five_business_days_after};
use chrono::{DateTime, Utc};

/// A claim's state, with what exists only in that state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimState {
    /// In review since it entered the queue (submitted, responded to a request).
    Submitted {
        since: DateTime<Utc>,
    },
    InformationRequested {
        request: InformationRequest,
    },
    Approved {
        at: DateTime<Utc>,
    },
    AwaitingCustomer {
        window: OptOutWindow,
    },
    /// Official, after `window` closed.
    Associated {
        window: OptOutWindow,
    },
    /// Refused; disputable until `dispute_until`, `None` when the rejection ended a dispute.
    Rejected {
        rejection: Rejection,
        dispute_until: Option<DateTime<Utc>>,
    },
    /// The partner disputes `rejection`; in review since it did.
    Disputed {
        since: DateTime<Utc>,
        rejection: Rejection,
    },
    /// The customer opted out during `window`.
    Declined {
        window: OptOutWindow,
    },
    /// The partner withdrew; `window` if the customer had been notified.
    Withdrawn {
        window: Option<OptOutWindow>,
        reason: String,
    },
    /// In arbitration since it was filed, against `holder`: the claim that held the unit
    /// then, the only one its approval may supersede.
    Contested {
        since: DateTime<Utc>,
        holder: ClaimId,
    },
    /// Lost its unit to another partner's claim; `window` if the customer had been notified.
    Superseded {
        window: Option<OptOutWindow>,
    },
    /// The notification that opened `window` bounced for good at `bounced_at`: the window no
    /// longer runs, and the nightly run rejects the claim 30 days after `since` (the claim's
    /// first permanent bounce, however often the contact was corrected since) unless the
    /// partner corrects the contact.
    CustomerUnreachable {
        window: OptOutWindow,
        bounced_at: DateTime<Utc>,
        since: DateTime<Utc>,
    },
    /// The customer ended the association that `window` made official.
    Revoked {
        window: OptOutWindow,
    },
    /// The subscription of the association that `window` made official ended.
    Expired {
        window: OptOutWindow,
    },
}

impl ClaimState {
    pub fn status(&self) -> ClaimStatus {
        match self {
            Self::Submitted { .. } => ClaimStatus::Submitted,
            Self::InformationRequested { .. } => ClaimStatus::InformationRequested,
            Self::Approved { .. } => ClaimStatus::Approved,
            Self::AwaitingCustomer { .. } => ClaimStatus::AwaitingCustomer,
            Self::Associated { .. } => ClaimStatus::Associated,
            Self::Rejected { .. } => ClaimStatus::Rejected,
            Self::Disputed { .. } => ClaimStatus::Disputed,
            Self::Declined { .. } => ClaimStatus::Declined,
            Self::Withdrawn { .. } => ClaimStatus::Withdrawn,
            Self::Contested { .. } => ClaimStatus::Contested,
            Self::Superseded { .. } => ClaimStatus::Superseded,
            Self::CustomerUnreachable { .. } => ClaimStatus::CustomerUnreachable,
            Self::Revoked { .. } => ClaimStatus::Revoked,
            Self::Expired { .. } => ClaimStatus::Expired,
        }
    }

    /// The opt-out window, once the customer was notified.
    pub fn window(&self) -> Option<&OptOutWindow> {
        match self {
            Self::AwaitingCustomer { window }
            | Self::CustomerUnreachable { window, .. }
            | Self::Associated { window }
            | Self::Revoked { window }
            | Self::Expired { window }
            | Self::Declined { window } => Some(window),
            Self::Withdrawn { window, .. } | Self::Superseded { window } => window.as_ref(),
            Self::Contested { .. }
            | Self::Submitted { .. }
            | Self::InformationRequested { .. }
            | Self::Approved { .. }
            | Self::Rejected { .. }
            | Self::Disputed { .. } => None,
        }
    }

    /// The deadline after which the nightly run moves the claim on by itself, while there is
    /// one: what the store's sparse due index holds the claim by.
    pub fn nightly_deadline(&self) -> Option<NightlyDeadline> {
        match self {
            Self::AwaitingCustomer { window } => Some(NightlyDeadline::OptOut(window.deadline)),
            Self::InformationRequested { request } => {
                Some(NightlyDeadline::Response(request.response_due))
            }
            Self::CustomerUnreachable { since, .. } => {
                Some(NightlyDeadline::Unreachable(*since + UNREACHABLE_PERIOD))
            }
            Self::Revoked { .. }
            | Self::Expired { .. }
            | Self::Submitted { .. }
            | Self::Approved { .. }
            | Self::Associated { .. }
            | Self::Rejected { .. }
            | Self::Disputed { .. }
            | Self::Declined { .. }
            | Self::Withdrawn { .. }
            | Self::Contested { .. }
            | Self::Superseded { .. } => None,
        }
    }

    /// When the claim entered the vendor's review queue, while it is in it (ordered by this):
    /// submitted or responded, disputed, contested, or when information was requested.
    pub fn in_review_since(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::Submitted { since }
            | Self::Disputed { since, .. }
            | Self::Contested { since, .. } => Some(*since),
            Self::InformationRequested { request } => Some(request.requested_at),
            Self::Approved { .. }
            | Self::AwaitingCustomer { .. }
            | Self::CustomerUnreachable { .. }
            | Self::Revoked { .. }
            | Self::Expired { .. }
            | Self::Associated { .. }
            | Self::Rejected { .. }
            | Self::Declined { .. }
            | Self::Withdrawn { .. }
            | Self::Superseded { .. } => None,
        }
    }

    /// The claim a contest is against, while the claim is contested.
    pub fn contested_holder(&self) -> Option<ClaimId> {
        match self {
            Self::Contested { holder, .. } => Some(*holder),
            Self::CustomerUnreachable { .. }
            | Self::Revoked { .. }
            | Self::Expired { .. }
            | Self::Submitted { .. }
            | Self::InformationRequested { .. }
            | Self::Approved { .. }
            | Self::AwaitingCustomer { .. }
            | Self::Associated { .. }
            | Self::Rejected { .. }
            | Self::Disputed { .. }
            | Self::Declined { .. }
            | Self::Withdrawn { .. }
            | Self::Superseded { .. } => None,
        }
    }

    /// The reviewer's target for a claim waiting for a decision (submitted, disputed or
    /// contested): the end of the fifth business day after it entered review, in UTC.
    pub fn review_due(&self, calendar: &BusinessCalendar) -> Option<DateTime<Utc>> {
        match self {
            Self::Submitted { since }
            | Self::Disputed { since, .. }
            | Self::Contested { since, .. } => Some(five_business_days_after(calendar, *since)),
            Self::CustomerUnreachable { .. }
            | Self::Revoked { .. }
            | Self::Expired { .. }
            | Self::InformationRequested { .. }
            | Self::Approved { .. }
            | Self::AwaitingCustomer { .. }
            | Self::Associated { .. }
            | Self::Rejected { .. }
            | Self::Declined { .. }
            | Self::Withdrawn { .. }
            | Self::Superseded { .. } => None,
        }
    }
}

/// A deadline the nightly run acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NightlyDeadline {
    /// The customer's opt-out window closes: associate.
    OptOut(DateTime<Utc>),
    /// The partner's time to answer an information request ends: reject (`no_response`).
    Response(DateTime<Utc>),
    /// The partner's time to correct a bounced contact ends: reject (`customer_unreachable`).
    Unreachable(DateTime<Utc>),
}

impl NightlyDeadline {
    pub fn at(self) -> DateTime<Utc> {
        match self {
            Self::OptOut(at) | Self::Response(at) | Self::Unreachable(at) => at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::tests::*;
    use chrono::TimeDelta;

    #[test]
    fn a_submitted_claim_is_in_review_and_holds_its_unit() {
        let claim = submitted(at("2026-11-25T09:00:00Z"));
        assert_eq!(claim.status(), ClaimStatus::Submitted);
        assert!(claim.status().holds_lock());
        assert_eq!(
            claim.state.in_review_since(),
            Some(at("2026-11-25T09:00:00Z"))
        );
        assert_eq!(
            claim.state.review_due(&calendar()),
            Some(at("2026-12-02T23:59:59.999Z"))
        );
    }

    #[test]
    fn a_contest_is_in_review_without_the_unit_against_the_holder_it_names() {
        // GIVEN a claim holding its unit, and another partner's contest of it
        let holder = submitted(at("2026-11-25T09:00:00Z"));
        let contest = contested(&holder);
        // THEN the contest waits for a reviewer, holding nothing, against that holder
        assert!(!contest.status().holds_lock());
        assert_eq!(contest.state.contested_holder(), Some(holder.id));
        assert!(contest.state.in_review_since().is_some());
        assert!(contest.state.review_due(&calendar()).is_some());
    }

    #[test]
    fn only_claims_with_a_nightly_deadline_are_in_the_due_index() {
        let (claim, window) = notified();
        assert_eq!(
            claim.state.nightly_deadline(),
            Some(NightlyDeadline::OptOut(window.deadline))
        );
        let associated = claim
            .finalize(window.deadline + TimeDelta::days(1))
            .unwrap()
            .claim;
        assert_eq!(associated.state.nightly_deadline(), None);
        assert_eq!(
            submitted(at("2026-11-25T09:00:00Z"))
                .state
                .nightly_deadline(),
            None
        );
        assert_eq!(rejected().state.nightly_deadline(), None);
    }
}
