//! A claim's status, and what each status means for its unit and its lifecycle.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The status of a claim, as partners see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    /// Accepted after the synchronous checks; in the vendor's review queue.
    Submitted,
    /// A reviewer asked the partner for more, until `response_due`.
    InformationRequested,
    /// The vendor approved it; the customer's notification is queued.
    Approved,
    /// The customer was told; the opt-out window is open or awaiting finalization.
    AwaitingCustomer,
    /// The partner is partner of record.
    Associated,
    /// The vendor refused it; the partner may dispute it until `dispute_until`.
    Rejected,
    /// The partner disputes the rejection; back in the review queue.
    Disputed,
    /// The customer opted out.
    Declined,
    /// The partner withdrew or disassociated.
    Withdrawn,
    /// A claim for a unit another partner holds, awaiting the vendor's arbitration.
    Contested,
    /// Another partner's claim won arbitration for its unit.
    Superseded,
    /// The customer's notification bounced for good: the window is stopped, silence is no
    /// consent.
    CustomerUnreachable,
    /// The customer ended the official association.
    Revoked,
    /// The subscription of the official association ended (business applications): a new
    /// subscription needs a claim of its own.
    Expired,
}

impl ClaimStatus {
    /// Every status, in [`ClaimStatus::ordinal`] order. A new status is listed here by hand:
    /// `ordinal` does not compile until it has a place, and a test checks each listed status
    /// is at its place and reads back from its wire text (nothing can check one is missing).
    pub const ALL: [ClaimStatus; 14] = [
        Self::Submitted,
        Self::InformationRequested,
        Self::Approved,
        Self::AwaitingCustomer,
        Self::Associated,
        Self::Rejected,
        Self::Disputed,
        Self::Declined,
        Self::Withdrawn,
        Self::Contested,
        Self::Superseded,
        Self::CustomerUnreachable,
        Self::Revoked,
        Self::Expired,
    ];

    /// The status's place in [`ClaimStatus::ALL`].
    pub const fn ordinal(self) -> usize {
        match self {
            Self::Submitted => 0,
            Self::InformationRequested => 1,
            Self::Approved => 2,
            Self::AwaitingCustomer => 3,
            Self::Associated => 4,
            Self::Rejected => 5,
            Self::Disputed => 6,
            Self::Declined => 7,
            Self::Withdrawn => 8,
            Self::Contested => 9,
            Self::Superseded => 10,
            Self::CustomerUnreachable => 11,
            Self::Revoked => 12,
            Self::Expired => 13,
        }
    }

    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::InformationRequested => "information_requested",
            Self::Approved => "approved",
            Self::AwaitingCustomer => "awaiting_customer",
            Self::Associated => "associated",
            Self::Rejected => "rejected",
            Self::Disputed => "disputed",
            Self::Declined => "declined",
            Self::Withdrawn => "withdrawn",
            Self::Contested => "contested",
            Self::Superseded => "superseded",
            Self::CustomerUnreachable => "customer_unreachable",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// True for the statuses that hold their unit: the partner-of-record lock
    /// ([`ClaimSubject::lock`](super::ClaimSubject::lock)).
    pub fn holds_lock(self) -> bool {
        match self {
            Self::Submitted
            | Self::InformationRequested
            | Self::Approved
            | Self::AwaitingCustomer
            | Self::CustomerUnreachable
            | Self::Associated => true,
            Self::Rejected
            | Self::Disputed
            | Self::Declined
            | Self::Withdrawn
            | Self::Contested
            | Self::Superseded
            | Self::Revoked
            | Self::Expired => false,
        }
    }

    /// True for the statuses a claim never leaves.
    pub fn is_final(self) -> bool {
        match self {
            Self::Declined | Self::Withdrawn | Self::Superseded | Self::Revoked | Self::Expired => {
                true
            }
            Self::Submitted
            | Self::InformationRequested
            | Self::Approved
            | Self::AwaitingCustomer
            | Self::CustomerUnreachable
            | Self::Associated
            | Self::Rejected
            | Self::Disputed
            | Self::Contested => false,
        }
    }

    /// True for the statuses whose reaching sets the claim's `decided_at`.
    pub fn is_decision(self) -> bool {
        match self {
            Self::Associated
            | Self::Rejected
            | Self::Declined
            | Self::Withdrawn
            | Self::Superseded
            | Self::Revoked
            | Self::Expired => true,
            Self::Submitted
            | Self::InformationRequested
            | Self::Approved
            | Self::AwaitingCustomer
            | Self::CustomerUnreachable
            | Self::Disputed
            | Self::Contested => false,
        }
    }

    /// True for the statuses of the reviewers' queue: a reviewer's decision is what moves
    /// them on. A claim whose reviewer asked for more is in review too, but waits for its
    /// partner's answer, so it is kept apart (it is not the reviewers' to act on, nor overdue
    /// for them).
    pub fn waits_for_a_decision(self) -> bool {
        match self {
            Self::Submitted | Self::Disputed | Self::Contested => true,
            Self::InformationRequested
            | Self::Approved
            | Self::AwaitingCustomer
            | Self::CustomerUnreachable
            | Self::Associated
            | Self::Rejected
            | Self::Declined
            | Self::Withdrawn
            | Self::Superseded
            | Self::Revoked
            | Self::Expired => false,
        }
    }

    /// True for the status of a claim that contests a unit another claim holds: it takes no
    /// lock, and is its partner's one contest of that unit until a reviewer decides it.
    pub fn contests_its_unit(self) -> bool {
        match self {
            Self::Contested => true,
            Self::Submitted
            | Self::InformationRequested
            | Self::Approved
            | Self::AwaitingCustomer
            | Self::CustomerUnreachable
            | Self::Associated
            | Self::Rejected
            | Self::Disputed
            | Self::Declined
            | Self::Withdrawn
            | Self::Superseded
            | Self::Revoked
            | Self::Expired => false,
        }
    }

    /// True for the status whose customer's notification is queued and not yet sent: an
    /// approved claim's `approved` (or `contact_corrected`) entry is what queues it.
    pub fn notification_queued(self) -> bool {
        match self {
            Self::Approved => true,
            Self::Submitted
            | Self::InformationRequested
            | Self::AwaitingCustomer
            | Self::CustomerUnreachable
            | Self::Associated
            | Self::Rejected
            | Self::Disputed
            | Self::Declined
            | Self::Withdrawn
            | Self::Contested
            | Self::Superseded
            | Self::Revoked
            | Self::Expired => false,
        }
    }
}

impl fmt::Display for ClaimStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_is_listed_once_in_all_in_ordinal_order() {
        for (i, status) in ClaimStatus::ALL.into_iter().enumerate() {
            assert_eq!(status.ordinal(), i, "{status}");
            assert_eq!(ClaimStatus::parse(status.as_str()), Some(status));
        }
    }

    #[test]
    fn the_statuses_hold_their_unit_as_the_status_table_says() {
        use ClaimStatus::*;
        let holding: Vec<_> = ClaimStatus::ALL
            .into_iter()
            .filter(|s| s.holds_lock())
            .collect();
        assert_eq!(
            holding,
            vec![
                Submitted,
                InformationRequested,
                Approved,
                AwaitingCustomer,
                Associated,
                CustomerUnreachable
            ]
        );
        let r#final: Vec<_> = ClaimStatus::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .collect();
        assert_eq!(
            r#final,
            vec![Declined, Withdrawn, Superseded, Revoked, Expired]
        );
    }

    /// The statuses a list names with `filter`, in [`ClaimStatus::ALL`] order.
    fn those(filter: fn(ClaimStatus) -> bool) -> Vec<ClaimStatus> {
        ClaimStatus::ALL
            .into_iter()
            .filter(|s| filter(*s))
            .collect()
    }

    /// The reviewers' queue is the submitted, disputed and contested claims (what the review
    /// listing shows by default); a claim waiting for its partner's information is in review
    /// but not among them.
    #[test]
    fn the_reviewers_queue_is_submitted_disputed_and_contested_claims() {
        use ClaimStatus::*;
        let waiting = those(ClaimStatus::waits_for_a_decision);
        assert_eq!(waiting, vec![Submitted, Disputed, Contested]);
        assert_eq!(waiting, crate::listing::WAITING_FOR_A_DECISION);
        assert!(crate::listing::REVIEW_STATUSES.contains(&InformationRequested));
        assert!(!InformationRequested.waits_for_a_decision());
    }

    /// Only a contest contests its unit, and it holds no lock while it does.
    #[test]
    fn only_a_contest_contests_its_unit_holding_no_lock() {
        assert_eq!(
            those(ClaimStatus::contests_its_unit),
            vec![ClaimStatus::Contested]
        );
        assert!(!ClaimStatus::Contested.holds_lock());
    }

    /// Only an approved claim's notification is queued: one in review has none yet, and a
    /// claim awaiting its customer was notified already.
    #[test]
    fn only_an_approved_claim_s_notification_is_queued() {
        assert_eq!(
            those(ClaimStatus::notification_queued),
            vec![ClaimStatus::Approved]
        );
    }
}
