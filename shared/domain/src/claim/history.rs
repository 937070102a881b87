//! A claim's append-only history: who made each change, what it was, and from which status to
//! which.

use super::ClaimStatus;
use crate::contact::{CustomerContact, EmailAddress};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The claiming partner.
    Partner,
    Customer,
    /// One of the vendor's reviewers (named by [`HistoryEntry::reviewer`]).
    Reviewer,
    /// The service itself.
    System,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Partner => "partner",
            Self::Customer => "customer",
            Self::Reviewer => "reviewer",
            Self::System => "system",
        }
    }
}

/// What a history entry records: a stable name, for the history and the events other systems
/// receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryEvent {
    Submitted,
    Approved,
    InformationRequested,
    Responded,
    Rejected,
    Disputed,
    CustomerNotified,
    Declined,
    Associated,
    Withdrawn,
    ProofAdded,
    ContestFiled,
    Superseded,
    DocumentAdded,
    Revoked,
    ContactCorrected,
    EmailBounced,
    EmailComplaint,
    /// Another partner contested the unit this claim holds: told so it can add a newer proof.
    ContestReceived,
    /// The subscription of an official association ended.
    Expired,
}

impl HistoryEvent {
    /// Every event a history records, in the order they were added to the service (see
    /// [`HistoryEvent::position`]).
    pub const ALL: [Self; 20] = [
        Self::Submitted,
        Self::Approved,
        Self::InformationRequested,
        Self::Responded,
        Self::Rejected,
        Self::Disputed,
        Self::CustomerNotified,
        Self::Declined,
        Self::Associated,
        Self::Withdrawn,
        Self::ProofAdded,
        Self::ContestFiled,
        Self::Superseded,
        Self::DocumentAdded,
        Self::Revoked,
        Self::ContactCorrected,
        Self::EmailBounced,
        Self::EmailComplaint,
        Self::ContestReceived,
        Self::Expired,
    ];

    /// The event's place in [`HistoryEvent::ALL`]. The match names every variant: an event
    /// added to the history does not compile until it has a place, and the check below fails
    /// the build when `ALL` does not hold each at its place.
    const fn position(self) -> usize {
        match self {
            Self::Submitted => 0,
            Self::Approved => 1,
            Self::InformationRequested => 2,
            Self::Responded => 3,
            Self::Rejected => 4,
            Self::Disputed => 5,
            Self::CustomerNotified => 6,
            Self::Declined => 7,
            Self::Associated => 8,
            Self::Withdrawn => 9,
            Self::ProofAdded => 10,
            Self::ContestFiled => 11,
            Self::Superseded => 12,
            Self::DocumentAdded => 13,
            Self::Revoked => 14,
            Self::ContactCorrected => 15,
            Self::EmailBounced => 16,
            Self::EmailComplaint => 17,
            Self::ContestReceived => 18,
            Self::Expired => 19,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::InformationRequested => "information_requested",
            Self::Responded => "responded",
            Self::Rejected => "rejected",
            Self::Disputed => "disputed",
            Self::CustomerNotified => "customer_notified",
            Self::Declined => "declined",
            Self::Associated => "associated",
            Self::Withdrawn => "withdrawn",
            Self::ProofAdded => "proof_added",
            Self::ContestFiled => "contest_filed",
            Self::Superseded => "superseded",
            Self::DocumentAdded => "document_added",
            Self::Revoked => "revoked",
            Self::ContactCorrected => "contact_corrected",
            Self::EmailBounced => "email_bounced",
            Self::EmailComplaint => "email_complaint",
            Self::ContestReceived => "contest_received",
            Self::Expired => "expired",
        }
    }
}

const _: () = {
    let mut i = 0;
    while i < HistoryEvent::ALL.len() {
        assert!(HistoryEvent::ALL[i].position() == i);
        i += 1;
    }
};

/// A reviewer's own identity (the `sub` of their token), kept for the vendor's audit and shown
/// to reviewers only.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReviewerId(String);

impl ReviewerId {
    /// A reviewer id: 1 to 256 characters, none a control, once trimmed.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        ((1..=256).contains(&text.chars().count()) && !text.chars().any(char::is_control))
            .then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One entry of a claim's append-only history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// Position in the history, from 1; the claim's version after the change.
    pub sequence: u32,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// The reviewer, when `actor` is one.
    pub reviewer: Option<ReviewerId>,
    pub event: HistoryEvent,
    /// The status before; `None` for the submission.
    pub from: Option<ClaimStatus>,
    /// The status after (equal to `from` when the status did not change).
    pub to: ClaimStatus,
    /// A machine reason code (a rejection's, an information request's first, ...).
    pub code: Option<String>,
    /// The human text (a withdrawal's reason, a reviewer's message, ...).
    pub reason: Option<String>,
    /// On a `contact_corrected` entry that moved the customer's notification away from a
    /// contact who had received it: that contact, to be told. Kept with the record, never
    /// shown in the API or the events.
    pub contact_change: Option<Box<ContactChange>>,
    /// On the entry that starts an association (`associated`) or ends one (`revoked`,
    /// `superseded`, `withdrawn`, `expired` from `associated`): its effective period as the
    /// change left it. The events carry it.
    pub association: Option<super::Association>,
}

/// A notification the customer had received, moved to another address by a correction: the
/// earlier contact is told of it, with the new address masked, so a customer always learns
/// that the request they were sent now goes to someone else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactChange {
    /// The contact who had received the notification.
    pub earlier: CustomerContact,
    /// Where the notification goes now.
    pub new_email: EmailAddress,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reviewer id is the token's `sub` trimmed: 1 to 256 characters, none a control.
    #[test]
    fn a_reviewer_id_is_one_to_256_characters_without_controls() {
        let id = ReviewerId::parse("  reviewer-7 ").unwrap();
        assert_eq!(id.as_str(), "reviewer-7");
        assert!(ReviewerId::parse(&"é".repeat(256)).is_some());
        for refused in ["", "   ", "reviewer\n7", "reviewer\u{7}"] {
            assert_eq!(ReviewerId::parse(refused), None, "{refused:?}");
        }
        assert_eq!(ReviewerId::parse(&"r".repeat(257)), None);
    }
}
