//! A claim and its lifecycle. The state changes only through the transition functions here, each
//! of which returns the new claim and the history entries that record the change, or says why
//! the change is refused. The status table of docs/lifecycle.md ("The statuses") is
//! [`ClaimStatus::holds_lock`], [`ClaimStatus::is_final`] and the transitions below.

use crate::calendar::{BusinessCalendar, OptOutWindow, window_open};
use crate::catalogue::{LockUnit, Program, Workload};
use crate::contact::{CustomerContact, EmailAddress, PartnerContact};
use crate::domain_name::CustomerDomain;
use crate::ids::{ClaimId, PartnerId, SubscriptionId, TenantId};
use crate::proof::ProofOfExecution;
use crate::reference::TenantContact;
use crate::review::{
    DISPUTE_PERIOD, InformationCode, InformationRequest, Message, Rejection, RejectionCode,
    UNREACHABLE_PERIOD, five_business_days_after,
};
use chrono::{DateTime, NaiveDate, Utc};
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
}

impl ClaimStatus {
    /// Every status, in [`ClaimStatus::ordinal`] order (a test checks that none is missing).
    pub const ALL: [ClaimStatus; 13] = [
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
        }
    }

    /// Parses the wire text.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// True for the statuses that hold the tenant+workload (the partner-of-record lock).
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
            | Self::Revoked => false,
        }
    }

    /// True for the statuses a claim never leaves.
    pub fn is_final(self) -> bool {
        match self {
            Self::Declined | Self::Withdrawn | Self::Superseded | Self::Revoked => true,
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
            | Self::Revoked => true,
            Self::Submitted
            | Self::InformationRequested
            | Self::Approved
            | Self::AwaitingCustomer
            | Self::CustomerUnreachable
            | Self::Disputed
            | Self::Contested => false,
        }
    }
}

impl fmt::Display for ClaimStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
}

impl ClaimState {
    /// The status of this state.
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
        }
    }

    /// The opt-out window, once the customer was notified.
    pub fn window(&self) -> Option<&OptOutWindow> {
        match self {
            Self::AwaitingCustomer { window }
            | Self::CustomerUnreachable { window, .. }
            | Self::Associated { window }
            | Self::Revoked { window }
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
    /// submitted or responded, disputed, or when information was requested.
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

    /// The reviewer's target for a claim waiting for a decision (submitted or disputed): the
    /// end of the fifth business day after it entered review, in UTC.
    pub fn review_due(&self, calendar: &BusinessCalendar) -> Option<DateTime<Utc>> {
        match self {
            Self::Submitted { since }
            | Self::Disputed { since, .. }
            | Self::Contested { since, .. } => Some(five_business_days_after(calendar, *since)),
            Self::CustomerUnreachable { .. }
            | Self::Revoked { .. }
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
}

impl HistoryEvent {
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
        }
    }
}

/// A reviewer's own identity (the `sub` of their token), kept for the vendor's audit and shown
/// to reviewers only.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReviewerId(String);

impl ReviewerId {
    /// A reviewer id: 1 to 256 visible characters.
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

/// What a claim is about: who claims which tenant's workload, and the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimSubject {
    pub tenant_id: TenantId,
    /// A domain of the tenant.
    pub customer_domain: CustomerDomain,
    pub program: Program,
    /// The workload, eligible in the program.
    pub workload: Workload,
    /// The subscription, for business-applications programs only.
    pub subscription_id: Option<SubscriptionId>,
    /// Who is told.
    pub customer_contact: CustomerContact,
    /// Who to ask at the partner, and where the partner's e-mails go.
    pub partner_contact: PartnerContact,
    /// The newest signed statement of work.
    pub proof_of_execution: ProofOfExecution,
}

/// A partner's claim to be a customer's partner of record for one workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub id: ClaimId,
    pub partner_id: PartnerId,
    /// The partner's registered name, shown to the customer.
    pub partner_name: String,
    /// What is claimed.
    pub subject: ClaimSubject,
    /// When it was submitted.
    pub created_at: DateTime<Utc>,
    /// Where it is in its lifecycle.
    pub state: ClaimState,
    /// The last time it reached a decision (associated, rejected, declined, withdrawn).
    pub decided_at: Option<DateTime<Utc>>,
    /// How many history entries it has; the store's optimistic-concurrency token.
    pub version: u32,
    /// The customer's notification in force.
    pub notice: Notice,
    /// How many of its history entries its partner made: at most [`MAX_PARTNER_ENTRIES`]
    /// through the partner's own moves, so a claim and its history always fit one answer.
    pub partner_entries: u32,
}

/// The most history entries a partner may add to a claim by its moves (submission, responses,
/// disputes, proofs, corrections). Two kinds of entries are bounded by rules of their own and
/// never refused: the arrival of an uploaded document (at most ten per claim) and a withdrawal
/// (once).
pub const MAX_PARTNER_ENTRIES: u32 = 50;

/// The most corrections of a claim's contact that e-mail its customer again.
pub const MAX_EMAILING_CORRECTIONS: u32 = 3;

/// The customer's notification in force. `number` counts them: 1 for the first, one more for
/// each correction of the contact once an e-mail may have gone out (approved, awaiting,
/// unreachable). The opt-out link and the record of the send name it, so the link e-mailed to
/// an earlier contact stops working and a correction is e-mailed even though an earlier
/// notification was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    pub number: u32,
    /// The customer marked this notification as spam.
    pub complained: bool,
    /// The first permanent bounce of any of the claim's notifications: the unreachable
    /// clock runs from it, and a correction of the contact never resets it.
    pub first_bounce: Option<DateTime<Utc>>,
}

impl Notice {
    /// A new claim's.
    pub const FIRST: Self = Self {
        number: 1,
        complained: false,
        first_bounce: None,
    };

    /// The next notification's, for a corrected contact: the unreachable clock goes on.
    pub fn next(self) -> Self {
        Self {
            number: self.number.saturating_add(1),
            complained: false,
            first_bounce: self.first_bounce,
        }
    }

    /// How many corrections of the contact e-mailed (or were to e-mail) the customer again.
    pub fn emailing_corrections(self) -> u32 {
        self.number.saturating_sub(Self::FIRST.number)
    }
}

/// What the mail service reported of a notification e-mailed to the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailFeedback {
    /// The address does not exist or refuses mail for good.
    PermanentBounce,
    /// A full mailbox, a message too large, a server down: SES gave up this time.
    TransientBounce,
    /// The customer marked the e-mail as spam.
    Complaint,
}

impl MailFeedback {
    /// The history entry's code.
    pub fn code(self) -> &'static str {
        match self {
            Self::PermanentBounce => "permanent_bounce",
            Self::TransientBounce => "transient_bounce",
            Self::Complaint => "complaint",
        }
    }
}

/// A change of a claim: the claim as it becomes, the version and status it must still have for
/// the change to apply, and the history entries recording it (one, or two when a move also
/// adds a proof of execution).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The claim after the change.
    pub claim: Claim,
    pub expected_version: u32,
    pub expected_status: ClaimStatus,
    /// The records of the change, in order.
    pub entries: Vec<HistoryEntry>,
}

impl Transition {
    /// True when the change ends the claim's hold on its tenant+workload.
    pub fn releases_lock(&self) -> bool {
        self.expected_status.holds_lock() && !self.claim.status().holds_lock()
    }

    /// True when the change takes the tenant+workload (a dispute approved): only if no other
    /// claim holds it.
    pub fn takes_lock(&self) -> bool {
        !self.expected_status.holds_lock() && self.claim.status().holds_lock()
    }

    /// True when the change ends the claim's contest of its unit (approved, rejected,
    /// withdrawn): the partner may contest the unit again, or hold it.
    pub fn ends_contest(&self) -> bool {
        self.expected_status == ClaimStatus::Contested
            && self.claim.status() != ClaimStatus::Contested
    }

    /// The last history entry.
    pub fn entry(&self) -> &HistoryEntry {
        self.entries
            .last()
            .unwrap_or_else(|| unreachable!("a transition records at least one entry"))
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The claim is already in a final state.
    #[error("the claim is already {0}")]
    AlreadyFinal(ClaimStatus),
    /// The change does not apply to a claim in this status.
    #[error("a claim that is {0} cannot make this change")]
    NotAllowedFrom(ClaimStatus),
    /// The customer's window is closed.
    #[error("the opt-out window closed at {0}")]
    WindowClosed(DateTime<Utc>),
    /// The customer's window is still open.
    #[error("the opt-out window is open until {0}")]
    WindowStillOpen(DateTime<Utc>),
    /// The time to answer the information request ended.
    #[error("the response was due by {0}")]
    ResponseWindowClosed(DateTime<Utc>),
    /// The response is not yet overdue (the nightly run acts only after it).
    #[error("the response is due by {0}")]
    ResponseNotOverdue(DateTime<Utc>),
    /// The time to dispute the rejection ended.
    #[error("the rejection could be disputed until {0}")]
    DisputeWindowClosed(DateTime<Utc>),
    /// The rejection ended a dispute: only a new claim is possible.
    #[error("the rejection ended a dispute and is final")]
    DisputeExhausted,
    /// The proof of execution is not signed after the current one.
    #[error("the proof of execution is not signed after the current one ({0})")]
    ProofNotNewer(NaiveDate),
    /// The partner may still correct the bounced contact (the nightly run acts only after).
    #[error("the customer's contact may be corrected until {0}")]
    UnreachableNotOverdue(DateTime<Utc>),
    /// The customer was e-mailed again through [`MAX_EMAILING_CORRECTIONS`] corrections
    /// already: the vendor's mail is not the partner's to aim at will.
    #[error("the customer's contact was corrected {MAX_EMAILING_CORRECTIONS} times already")]
    TooManyCorrections,
    /// The partner made [`MAX_PARTNER_ENTRIES`] entries of the claim's history already.
    #[error("the claim records {MAX_PARTNER_ENTRIES} changes by its partner already")]
    TooManyChanges,
}

/// The partner-of-record lock's key: what only one claim may hold at a time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartnerOfRecordLock(String);

impl PartnerOfRecordLock {
    /// The lock's key as text, e.g. `0f8f…#workload#teams`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl ClaimSubject {
    /// The lock this subject takes: tenant and workload, or tenant and subscription for
    /// business applications.
    pub fn lock(&self) -> PartnerOfRecordLock {
        match (self.program.lock_unit(), self.subscription_id) {
            (LockUnit::Subscription, Some(subscription)) => {
                PartnerOfRecordLock(format!("{}#subscription#{subscription}", self.tenant_id))
            }
            // Parsing refuses a business-applications claim without a subscription.
            (LockUnit::Subscription, None) | (LockUnit::Workload, _) => PartnerOfRecordLock(
                format!("{}#workload#{}", self.tenant_id, self.workload.code()),
            ),
        }
    }
}

/// One step of a change: who did what, into which state.
struct Step {
    actor: Actor,
    reviewer: Option<ReviewerId>,
    event: HistoryEvent,
    state: ClaimState,
    code: Option<String>,
    reason: Option<String>,
    contact_change: Option<Box<ContactChange>>,
}

impl Step {
    fn new(actor: Actor, event: HistoryEvent, state: ClaimState) -> Self {
        Self {
            actor,
            reviewer: None,
            event,
            state,
            code: None,
            reason: None,
            contact_change: None,
        }
    }

    fn by(mut self, reviewer: &ReviewerId) -> Self {
        self.reviewer = Some(reviewer.clone());
        self
    }

    fn code(mut self, code: &str) -> Self {
        self.code = Some(code.to_owned());
        self
    }

    fn reason(mut self, reason: Option<&str>) -> Self {
        self.reason = reason.map(str::to_owned);
        self
    }
}

impl Claim {
    /// A new claim, in the review queue, and the first entry of its history.
    pub fn submit(
        id: ClaimId,
        partner_id: PartnerId,
        partner_name: String,
        subject: ClaimSubject,
        at: DateTime<Utc>,
    ) -> (Self, HistoryEntry) {
        let claim = Self {
            id,
            partner_id,
            partner_name,
            subject,
            created_at: at,
            state: ClaimState::Submitted { since: at },
            decided_at: None,
            version: 1,
            notice: Notice::FIRST,
            partner_entries: 1,
        };
        let entry = HistoryEntry {
            sequence: 1,
            at,
            actor: Actor::Partner,
            reviewer: None,
            event: HistoryEvent::Submitted,
            from: None,
            to: ClaimStatus::Submitted,
            code: None,
            reason: None,
            contact_change: None,
        };
        (claim, entry)
    }

    /// A new claim for a unit that `holder` holds, for the vendor's arbitration, and the
    /// first entry of its history (`contest_filed`, with the partner's justification).
    pub fn contest(
        id: ClaimId,
        partner_id: PartnerId,
        partner_name: String,
        subject: ClaimSubject,
        at: DateTime<Utc>,
        holder: ClaimId,
        justification: &Message,
    ) -> (Self, HistoryEntry) {
        let (mut claim, mut entry) = Self::submit(id, partner_id, partner_name, subject, at);
        claim.state = ClaimState::Contested { since: at, holder };
        entry.event = HistoryEvent::ContestFiled;
        entry.to = ClaimStatus::Contested;
        entry.reason = Some(justification.as_str().to_owned());
        (claim, entry)
    }

    /// The claim's status.
    pub fn status(&self) -> ClaimStatus {
        self.state.status()
    }

    /// The transition made of `steps` at `at`, from this claim; `proof` replaces the claim's
    /// proof of execution (its `proof_added` step is among `steps`).
    fn change(
        &self,
        at: DateTime<Utc>,
        steps: Vec<Step>,
        proof: Option<ProofOfExecution>,
    ) -> Transition {
        let mut claim = self.clone();
        let mut entries = Vec::with_capacity(steps.len());
        for step in steps {
            let from = claim.status();
            let to = step.state.status();
            claim.version += 1;
            if step.actor == Actor::Partner {
                claim.partner_entries = claim.partner_entries.saturating_add(1);
            }
            if to.is_decision() && from != to {
                claim.decided_at = Some(at);
            }
            claim.state = step.state;
            entries.push(HistoryEntry {
                sequence: claim.version,
                at,
                actor: step.actor,
                reviewer: step.reviewer,
                event: step.event,
                from: Some(from),
                to,
                code: step.code,
                reason: step.reason,
                contact_change: step.contact_change,
            });
        }
        if let Some(proof) = proof {
            claim.subject.proof_of_execution = proof;
        }
        Transition {
            claim,
            expected_version: self.version,
            expected_status: self.status(),
            entries,
        }
    }

    /// Checks that the partner may add `entries` more entries to the history.
    fn room_for_partner(&self, entries: usize) -> Result<(), TransitionError> {
        let entries = u32::try_from(entries).unwrap_or(u32::MAX);
        if self.partner_entries.saturating_add(entries) <= MAX_PARTNER_ENTRIES {
            Ok(())
        } else {
            Err(TransitionError::TooManyChanges)
        }
    }

    fn refuse(&self) -> TransitionError {
        let status = self.status();
        if status.is_final() {
            TransitionError::AlreadyFinal(status)
        } else {
            TransitionError::NotAllowedFrom(status)
        }
    }

    /// Checks that `proof` is newer than the claim's: signed after it.
    fn newer(&self, proof: &ProofOfExecution) -> Result<(), TransitionError> {
        let current = self.subject.proof_of_execution.signed_on;
        if proof.signed_on > current {
            Ok(())
        } else {
            Err(TransitionError::ProofNotNewer(current))
        }
    }

    /// The step that adds `proof`, in `state`, if there is a proof.
    fn proof_step(proof: Option<&ProofOfExecution>, state: &ClaimState) -> Option<Step> {
        proof.map(|proof| {
            Step::new(Actor::Partner, HistoryEvent::ProofAdded, state.clone())
                .reason(Some(&proof.reference))
        })
    }

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
            | ClaimState::Revoked { .. } => Err(self.refuse()),
        }
    }

    /// The service approves a claim that passed the synchronous checks, under the automatic
    /// review policy.
    pub fn approve_automatically(&self, at: DateTime<Utc>) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::Submitted { .. } => {
                let step = Step::new(
                    Actor::System,
                    HistoryEvent::Approved,
                    ClaimState::Approved { at },
                )
                .code("automatic_review");
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
            | ClaimState::Revoked { .. } => Err(self.refuse()),
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
            | ClaimState::Revoked { .. } => Err(self.refuse()),
        }
    }

    /// The partner answers an information request, at or before its due time, optionally with
    /// a newer proof of execution; the claim goes back to review.
    pub fn respond(
        &self,
        at: DateTime<Utc>,
        message: &Message,
        proof: Option<ProofOfExecution>,
    ) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::InformationRequested { request } => {
                if !window_open(request.response_due, at) {
                    return Err(TransitionError::ResponseWindowClosed(request.response_due));
                }
                if let Some(proof) = &proof {
                    self.newer(proof)?;
                }
                let state = ClaimState::Submitted { since: at };
                let mut steps = vec![
                    Step::new(Actor::Partner, HistoryEvent::Responded, state.clone())
                        .reason(Some(message.as_str())),
                ];
                steps.extend(Self::proof_step(proof.as_ref(), &state));
                self.room_for_partner(steps.len())?;
                Ok(self.change(at, steps, proof))
            }
            ClaimState::Submitted { .. }
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
            | ClaimState::Revoked { .. } => Err(self.refuse()),
        }
    }

    /// A reviewer rejects a claim in review, waiting for information, or disputed. The unit it
    /// held is freed; the partner may dispute until 30 days later, unless the claim was
    /// disputed already.
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
            | ClaimState::Revoked { .. } => return Err(self.refuse()),
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

    /// The nightly run at `now` rejects a claim whose information request went unanswered past
    /// its due time (`no_response`); it may be disputed like any rejection.
    pub fn reject_for_no_response(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::InformationRequested { request } => {
                if window_open(request.response_due, now) {
                    return Err(TransitionError::ResponseNotOverdue(request.response_due));
                }
                let rejection = Rejection {
                    code: RejectionCode::NoResponse,
                    message: None,
                    at: now,
                };
                let step = Step::new(
                    Actor::System,
                    HistoryEvent::Rejected,
                    ClaimState::Rejected {
                        rejection,
                        dispute_until: Some(now + DISPUTE_PERIOD),
                    },
                )
                .code(RejectionCode::NoResponse.as_str());
                Ok(self.change(now, vec![step], None))
            }
            ClaimState::Submitted { .. }
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
            | ClaimState::Revoked { .. } => Err(self.refuse()),
        }
    }

    /// The partner disputes a rejection within 30 days of it, once, optionally with a newer
    /// proof of execution; the claim goes back to review (it does not take its unit back until
    /// a reviewer approves).
    pub fn dispute(
        &self,
        at: DateTime<Utc>,
        justification: &Message,
        proof: Option<ProofOfExecution>,
    ) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::Rejected {
                rejection,
                dispute_until,
            } => {
                let until = dispute_until.ok_or(TransitionError::DisputeExhausted)?;
                if !window_open(until, at) {
                    return Err(TransitionError::DisputeWindowClosed(until));
                }
                if let Some(proof) = &proof {
                    self.newer(proof)?;
                }
                let state = ClaimState::Disputed {
                    since: at,
                    rejection: rejection.clone(),
                };
                let mut steps = vec![
                    Step::new(Actor::Partner, HistoryEvent::Disputed, state.clone())
                        .reason(Some(justification.as_str())),
                ];
                steps.extend(Self::proof_step(proof.as_ref(), &state));
                self.room_for_partner(steps.len())?;
                Ok(self.change(at, steps, proof))
            }
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
            | ClaimState::Approved { .. }
            | ClaimState::AwaitingCustomer { .. }
            | ClaimState::Associated { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. }
            | ClaimState::Contested { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::CustomerUnreachable { .. }
            | ClaimState::Revoked { .. } => Err(self.refuse()),
        }
    }

    /// The partner adds a newer proof of execution to a claim that holds its unit or is
    /// disputed; the status does not change.
    pub fn add_proof(
        &self,
        at: DateTime<Utc>,
        proof: ProofOfExecution,
    ) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
            | ClaimState::Approved { .. }
            | ClaimState::AwaitingCustomer { .. }
            | ClaimState::Associated { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Contested { .. } => {
                self.newer(&proof)?;
                let steps: Vec<Step> = Self::proof_step(Some(&proof), &self.state)
                    .into_iter()
                    .collect();
                self.room_for_partner(steps.len())?;
                Ok(self.change(at, steps, Some(proof)))
            }
            ClaimState::Rejected { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::CustomerUnreachable { .. }
            | ClaimState::Revoked { .. } => Err(self.refuse()),
        }
    }

    /// The customer was notified: the window opens.
    pub fn notify(&self, window: OptOutWindow) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::Approved { .. } => {
                let step = Step::new(
                    Actor::System,
                    HistoryEvent::CustomerNotified,
                    ClaimState::AwaitingCustomer { window },
                );
                Ok(self.change(window.notified_at, vec![step], None))
            }
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
            | ClaimState::AwaitingCustomer { .. }
            | ClaimState::Associated { .. }
            | ClaimState::Rejected { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. }
            | ClaimState::Contested { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::CustomerUnreachable { .. }
            | ClaimState::Revoked { .. } => Err(self.refuse()),
        }
    }

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
            | ClaimState::Revoked { .. } => Err(self.refuse()),
        }
    }

    /// The nightly run at `now` makes the claim official once its window has closed.
    pub fn finalize(&self, now: DateTime<Utc>) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::AwaitingCustomer { window } if !window.is_open_at(now) => {
                let step = Step::new(
                    Actor::System,
                    HistoryEvent::Associated,
                    ClaimState::Associated { window: *window },
                );
                Ok(self.change(now, vec![step], None))
            }
            ClaimState::AwaitingCustomer { window } => {
                Err(TransitionError::WindowStillOpen(window.deadline))
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
            | ClaimState::Revoked { .. } => Err(self.refuse()),
        }
    }

    /// The partner withdraws the claim, or disassociates from the customer, for `reason`:
    /// from every status but `rejected` (disputing is the move there) and the final ones.
    pub fn withdraw(
        &self,
        at: DateTime<Utc>,
        reason: WithdrawalReason,
    ) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
            | ClaimState::Approved { .. }
            | ClaimState::AwaitingCustomer { .. }
            | ClaimState::Associated { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Contested { .. }
            | ClaimState::CustomerUnreachable { .. } => {
                let state = ClaimState::Withdrawn {
                    window: self.state.window().copied(),
                    reason: reason.0.clone(),
                };
                let step = Step::new(Actor::Partner, HistoryEvent::Withdrawn, state)
                    .reason(Some(&reason.0));
                Ok(self.change(at, vec![step], None))
            }
            ClaimState::Rejected { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::Revoked { .. } => Err(self.refuse()),
        }
    }
}

impl Claim {
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
            | ClaimState::Revoked { .. } => Err(self.refuse()),
        }
    }

    /// Another partner filed a contest of the unit this claim holds: recorded in its history
    /// (`contest_received`, by the system, naming no one), the status unchanged, so its partner
    /// is told and may add a newer proof before a reviewer compares the two.
    pub fn receive_contest(&self, at: DateTime<Utc>) -> Result<Transition, TransitionError> {
        if !self.status().holds_lock() {
            return Err(self.refuse());
        }
        let step = Step::new(
            Actor::System,
            HistoryEvent::ContestReceived,
            self.state.clone(),
        );
        Ok(self.change(at, vec![step], None))
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

impl Claim {
    /// A document's upload arrived and passed its checks: recorded in the history (the file
    /// name as the reason), the status unchanged. Allowed until the claim is final: a final
    /// claim's evidence no longer changes anything.
    pub fn add_document(
        &self,
        at: DateTime<Utc>,
        document: &crate::document::Document,
    ) -> Result<Transition, TransitionError> {
        let status = self.status();
        if status.is_final() {
            return Err(TransitionError::AlreadyFinal(status));
        }
        let step = Step::new(
            Actor::Partner,
            HistoryEvent::DocumentAdded,
            self.state.clone(),
        )
        .reason(Some(&document.file_name));
        Ok(self.change(at, vec![step], None))
    }
}

/// Longest withdrawal reason accepted.
pub const MAX_REASON_CHARS: usize = 500;

/// Why a partner withdraws: 1 to 500 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawalReason(String);

impl WithdrawalReason {
    /// Parses a reason. Line breaks are allowed here (it is free text), other controls are not.
    pub fn parse(text: &str) -> Result<Self, crate::validation::Invalid> {
        crate::review::free_text(text, MAX_REASON_CHARS).map(Self)
    }

    /// The reason as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Claim {
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
            | ClaimState::Revoked { .. } => Err(self.refuse()),
        }
    }

    /// The mail service's `feedback` on notification number `notice`, recorded in the
    /// history. Only a permanent bounce of the notification in force, while the customer's
    /// window runs, changes the status (`customer_unreachable`: silence is no longer consent);
    /// a complaint marks the notification. A final claim records nothing more.
    pub fn record_mail_feedback(
        &self,
        at: DateTime<Utc>,
        notice: u32,
        feedback: MailFeedback,
    ) -> Result<Transition, TransitionError> {
        let status = self.status();
        if status.is_final() {
            return Err(TransitionError::AlreadyFinal(status));
        }
        let current = notice == self.notice.number;
        let (event, state) = match (feedback, &self.state) {
            (MailFeedback::PermanentBounce, ClaimState::AwaitingCustomer { window }) if current => {
                (
                    HistoryEvent::EmailBounced,
                    ClaimState::CustomerUnreachable {
                        window: *window,
                        bounced_at: at,
                        since: self.notice.first_bounce.unwrap_or(at),
                    },
                )
            }
            (MailFeedback::PermanentBounce | MailFeedback::TransientBounce, _) => {
                (HistoryEvent::EmailBounced, self.state.clone())
            }
            (MailFeedback::Complaint, _) => (HistoryEvent::EmailComplaint, self.state.clone()),
        };
        let step = Step::new(Actor::System, event, state)
            .code(feedback.code())
            .reason((!current).then_some(
                "about an earlier notification, sent before the customer's contact was corrected",
            ));
        let mut transition = self.change(at, vec![step], None);
        if current && feedback == MailFeedback::Complaint {
            transition.claim.notice.complained = true;
        }
        if let ClaimState::CustomerUnreachable { since, .. } = transition.claim.state {
            transition.claim.notice.first_bounce = Some(since);
        }
        Ok(transition)
    }

    /// The partner corrects the customer's contact (one at the tenant's domains) while the
    /// claim holds its unit and is not yet official. Once an e-mail may have gone out
    /// (approved, awaiting, unreachable), the correction starts a new notification: the claim
    /// is `approved` again, to be e-mailed at the new contact, and the earlier link stops
    /// working. A notification the customer received (awaiting) moved to another address is
    /// recorded as a [`ContactChange`], so that the earlier contact is told; an address that
    /// bounced (unreachable) receives nothing more.
    pub fn correct_contact(
        &self,
        at: DateTime<Utc>,
        contact: TenantContact,
    ) -> Result<Transition, TransitionError> {
        let contact = contact.into_contact();
        let earlier = &self.subject.customer_contact;
        let moved = !earlier
            .email
            .for_delivery()
            .eq_ignore_ascii_case(&contact.email.for_delivery());
        let received = matches!(self.state, ClaimState::AwaitingCustomer { .. });
        let contact_change = (received && moved).then(|| {
            Box::new(ContactChange {
                earlier: earlier.clone(),
                new_email: contact.email.clone(),
            })
        });
        let (state, notice) = match &self.state {
            ClaimState::Submitted { .. } | ClaimState::InformationRequested { .. } => {
                (self.state.clone(), self.notice)
            }
            ClaimState::Approved { .. } => (self.state.clone(), self.emailing_correction()?),
            ClaimState::AwaitingCustomer { .. } | ClaimState::CustomerUnreachable { .. } => {
                (ClaimState::Approved { at }, self.emailing_correction()?)
            }
            ClaimState::Associated { .. }
            | ClaimState::Rejected { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. }
            | ClaimState::Contested { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::Revoked { .. } => return Err(self.refuse()),
        };
        self.room_for_partner(1)?;
        let mut step = Step::new(Actor::Partner, HistoryEvent::ContactCorrected, state);
        step.contact_change = contact_change;
        let mut transition = self.change(at, vec![step], None);
        transition.claim.subject.customer_contact = contact;
        transition.claim.notice = notice;
        Ok(transition)
    }

    /// The notification a correction starts, once an e-mail may have gone out: refused after
    /// [`MAX_EMAILING_CORRECTIONS`] of them, so a partner cannot make the vendor's mail
    /// e-mail a customer (or an earlier contact) over and over.
    fn emailing_correction(&self) -> Result<Notice, TransitionError> {
        if self.notice.emailing_corrections() >= MAX_EMAILING_CORRECTIONS {
            Err(TransitionError::TooManyCorrections)
        } else {
            Ok(self.notice.next())
        }
    }

    /// The nightly run at `now` rejects a claim whose customer stayed unreachable for 30 days
    /// after the bounce (`customer_unreachable`); the partner may dispute it as any rejection.
    pub fn reject_unreachable(&self, now: DateTime<Utc>) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::CustomerUnreachable { since, .. } => {
                let deadline = *since + UNREACHABLE_PERIOD;
                if window_open(deadline, now) {
                    return Err(TransitionError::UnreachableNotOverdue(deadline));
                }
                let rejection = Rejection {
                    code: RejectionCode::CustomerUnreachable,
                    message: None,
                    at: now,
                };
                let step = Step::new(
                    Actor::System,
                    HistoryEvent::Rejected,
                    ClaimState::Rejected {
                        rejection,
                        dispute_until: Some(now + DISPUTE_PERIOD),
                    },
                )
                .code(RejectionCode::CustomerUnreachable.as_str());
                Ok(self.change(now, vec![step], None))
            }
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
            | ClaimState::Approved { .. }
            | ClaimState::AwaitingCustomer { .. }
            | ClaimState::Associated { .. }
            | ClaimState::Rejected { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. }
            | ClaimState::Contested { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::Revoked { .. } => Err(self.refuse()),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::contact::{CustomerTimeZone, EmailAddress, Locale};
    use chrono::{NaiveDate, TimeDelta};
    use proptest::prelude::*;

    pub(crate) fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    pub(crate) fn subject() -> ClaimSubject {
        let program = Program::parse("osu-m365").unwrap();
        ClaimSubject {
            tenant_id: TenantId::parse("0f8fad5b-d9cb-469f-a165-70867728950e").unwrap(),
            customer_domain: CustomerDomain::parse("contoso.onmicrosoft.com").unwrap(),
            program,
            workload: program.workload("teams").unwrap(),
            subscription_id: None,
            customer_contact: CustomerContact {
                name: "Giulia Rossi".into(),
                email: EmailAddress::parse("giulia@contoso.com").unwrap(),
                title: None,
                locale: Locale::default(),
                time_zone: CustomerTimeZone::default(),
            },
            partner_contact: PartnerContact {
                name: "Sam Lee".into(),
                email: EmailAddress::parse("sam@fabrikam.com").unwrap(),
                locale: Locale::default(),
            },
            proof_of_execution: ProofOfExecution {
                reference: "SOW-1".into(),
                signed_on: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            },
        }
    }

    pub(crate) fn submitted(at_: DateTime<Utc>) -> Claim {
        Claim::submit(
            ClaimId::new_at(at_),
            PartnerId::parse("1234567").unwrap(),
            "Fabrikam".into(),
            subject(),
            at_,
        )
        .0
    }

    /// A claim approved by the automatic policy at `at`.
    pub(crate) fn approved(at_: DateTime<Utc>) -> Claim {
        submitted(at_).approve_automatically(at_).unwrap().claim
    }

    pub(crate) fn reviewer() -> ReviewerId {
        ReviewerId::parse("reviewer-7").unwrap()
    }

    fn message(text: &str) -> Message {
        Message::parse(text).unwrap()
    }

    fn calendar() -> BusinessCalendar {
        BusinessCalendar::default()
    }

    fn notified() -> (Claim, OptOutWindow) {
        let claim = approved(at("2026-11-25T09:00:00Z"));
        let window = calendar().opt_out_window(at("2026-11-25T10:00:00Z"), crate::zone::Zone::UTC);
        (claim.notify(window).unwrap().claim, window)
    }

    fn reason() -> WithdrawalReason {
        WithdrawalReason::parse("engagement ended").unwrap()
    }

    fn proof(signed_on: &str) -> ProofOfExecution {
        ProofOfExecution {
            reference: "https://fabrikam.example/sow/2.pdf".into(),
            signed_on: NaiveDate::parse_from_str(signed_on, "%Y-%m-%d").unwrap(),
        }
    }

    /// A claim waiting for the partner's answer, asked on Wednesday 2026-11-25 10:00 UTC (due
    /// the end of Wednesday 2 December, UTC).
    fn information_requested() -> Claim {
        submitted(at("2026-11-25T09:00:00Z"))
            .request_information(
                at("2026-11-25T10:00:00Z"),
                &reviewer(),
                vec![InformationCode::MissingCustomerSignature],
                message("the statement of work is not signed"),
                &calendar(),
            )
            .unwrap()
            .claim
    }

    /// A claim rejected by a reviewer on 2026-11-26 10:00 UTC.
    fn rejected() -> Claim {
        submitted(at("2026-11-25T09:00:00Z"))
            .reject(
                at("2026-11-26T10:00:00Z"),
                &reviewer(),
                RejectionCode::InsufficientProofOfExecution,
                message("no signature"),
            )
            .unwrap()
            .claim
    }

    fn disputed() -> Claim {
        rejected()
            .dispute(
                at("2026-11-27T10:00:00Z"),
                &message("signed copy attached"),
                None,
            )
            .unwrap()
            .claim
    }

    // ---- submitted

    fn contested(holder: &Claim) -> Claim {
        let at_ = at("2026-11-26T09:00:00Z");
        let (claim, entry) = Claim::contest(
            ClaimId::new_at(at_),
            PartnerId::parse("7654321").unwrap(),
            "Northwind".into(),
            subject(),
            at_,
            holder.id,
            &message("Our statement of work is newer."),
        );
        assert_eq!(entry.event, HistoryEvent::ContestFiled);
        assert_eq!((entry.from, entry.to), (None, ClaimStatus::Contested));
        claim
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
    fn the_automatic_policy_approves_as_the_system_with_its_code() {
        let t = submitted(at("2026-11-25T09:00:00Z"))
            .approve_automatically(at("2026-11-25T09:00:00Z"))
            .unwrap();
        let e = t.entry();
        assert_eq!((e.actor, e.event), (Actor::System, HistoryEvent::Approved));
        assert_eq!(e.code.as_deref(), Some("automatic_review"));
        assert_eq!(e.reviewer, None);
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

    // ---- information_requested

    #[test]
    fn a_response_at_its_due_time_goes_back_to_review() {
        let claim = information_requested();
        let t = claim
            .respond(
                at("2026-12-02T23:59:59.999Z"),
                &message("signed copy"),
                None,
            )
            .unwrap();
        assert_eq!(t.claim.status(), ClaimStatus::Submitted);
        assert_eq!(
            t.claim.state.in_review_since(),
            Some(at("2026-12-02T23:59:59.999Z"))
        );
        assert_eq!(t.entry().event, HistoryEvent::Responded);
        assert!(!t.releases_lock() && !t.takes_lock());
    }

    #[test]
    fn a_response_after_its_due_time_is_refused() {
        let claim = information_requested();
        assert_eq!(
            claim.respond(at("2026-12-03T00:00:00Z"), &message("late"), None),
            Err(TransitionError::ResponseWindowClosed(at(
                "2026-12-02T23:59:59.999Z"
            )))
        );
    }

    #[test]
    fn a_response_with_a_newer_proof_records_both_and_replaces_the_proof() {
        let claim = information_requested();
        let t = claim
            .respond(
                at("2026-11-30T10:00:00Z"),
                &message("new SOW"),
                Some(proof("2026-11-20")),
            )
            .unwrap();
        let events: Vec<_> = t.entries.iter().map(|e| (e.sequence, e.event)).collect();
        assert_eq!(
            events,
            vec![(3, HistoryEvent::Responded), (4, HistoryEvent::ProofAdded)]
        );
        assert_eq!(t.claim.version, 4);
        assert_eq!(t.claim.subject.proof_of_execution, proof("2026-11-20"));
        assert_eq!(t.entries[1].from, Some(ClaimStatus::Submitted));
        assert_eq!(t.entries[1].to, ClaimStatus::Submitted);
    }

    #[test]
    fn a_response_with_a_proof_not_newer_is_refused() {
        let claim = information_requested();
        assert_eq!(
            claim.respond(
                at("2026-11-30T10:00:00Z"),
                &message("same"),
                Some(proof("2026-10-01"))
            ),
            Err(TransitionError::ProofNotNewer(
                NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()
            ))
        );
    }

    #[test]
    fn an_unanswered_request_is_rejected_by_the_system_after_its_due_time_not_at_it() {
        let claim = information_requested();
        assert_eq!(
            claim.reject_for_no_response(at("2026-12-02T23:59:59.999Z")),
            Err(TransitionError::ResponseNotOverdue(at(
                "2026-12-02T23:59:59.999Z"
            )))
        );
        let t = claim
            .reject_for_no_response(at("2026-12-03T02:00:00Z"))
            .unwrap();
        let e = t.entry();
        assert_eq!((e.actor, e.event), (Actor::System, HistoryEvent::Rejected));
        assert_eq!(e.code.as_deref(), Some("no_response"));
        assert!(t.releases_lock());
        match t.claim.state {
            ClaimState::Rejected { dispute_until, .. } => {
                assert_eq!(dispute_until, Some(at("2027-01-02T02:00:00Z")));
            }
            other => panic!("{other:?}"),
        }
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

    // ---- rejected, disputed

    #[test]
    fn a_dispute_within_thirty_days_goes_back_to_review_without_the_unit() {
        let t = rejected()
            .dispute(
                at("2026-12-26T10:00:00Z"),
                &message("signed copy attached"),
                None,
            )
            .unwrap();
        assert_eq!(t.claim.status(), ClaimStatus::Disputed);
        assert!(!t.takes_lock() && !t.releases_lock());
        assert_eq!(t.entry().event, HistoryEvent::Disputed);
        // decided_at keeps the rejection's time: the latest decision
        assert_eq!(t.claim.decided_at, Some(at("2026-11-26T10:00:00Z")));
    }

    #[test]
    fn a_dispute_after_thirty_days_is_refused() {
        assert_eq!(
            rejected().dispute(at("2026-12-26T10:00:00.001Z"), &message("late"), None),
            Err(TransitionError::DisputeWindowClosed(at(
                "2026-12-26T10:00:00Z"
            )))
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
    fn a_rejected_claim_cannot_be_withdrawn_approved_or_asked_for_more() {
        let claim = rejected();
        let later = at("2026-11-27T10:00:00Z");
        let refused = Err(TransitionError::NotAllowedFrom(ClaimStatus::Rejected));
        assert_eq!(claim.withdraw(later, reason()), refused);
        assert_eq!(claim.approve(later, &reviewer(), None), refused);
        assert_eq!(
            claim.request_information(
                later,
                &reviewer(),
                vec![InformationCode::Other],
                message("?"),
                &calendar()
            ),
            refused
        );
        assert_eq!(claim.add_proof(later, proof("2026-11-20")), refused);
    }

    // ---- approved, awaiting_customer, associated (the customer's part)

    #[test]
    fn notifying_an_approved_claim_opens_the_window_as_the_system() {
        let claim = approved(at("2026-11-25T09:00:00Z"));
        let window = calendar().opt_out_window(at("2026-11-25T10:00:00Z"), crate::zone::Zone::UTC);
        let t = claim.notify(window).unwrap();
        assert_eq!(t.claim.status(), ClaimStatus::AwaitingCustomer);
        assert_eq!(t.claim.state.window(), Some(&window));
        let e = t.entry();
        assert_eq!(
            (e.sequence, e.actor, e.event, e.from),
            (
                3,
                Actor::System,
                HistoryEvent::CustomerNotified,
                Some(ClaimStatus::Approved)
            )
        );
        assert_eq!(t.expected_version, 2);
        assert!(!t.releases_lock());
    }

    #[test]
    fn a_claim_in_review_is_not_notified() {
        let window = calendar().opt_out_window(at("2026-11-25T10:00:00Z"), crate::zone::Zone::UTC);
        assert_eq!(
            submitted(at("2026-11-25T09:00:00Z")).notify(window),
            Err(TransitionError::NotAllowedFrom(ClaimStatus::Submitted))
        );
    }

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
    fn finalization_before_the_deadline_is_refused_and_after_it_associates() {
        let (claim, window) = notified();
        assert_eq!(
            claim.finalize(window.deadline),
            Err(TransitionError::WindowStillOpen(window.deadline))
        );
        let t = claim
            .finalize(window.deadline + TimeDelta::milliseconds(1))
            .unwrap();
        assert_eq!(t.claim.status(), ClaimStatus::Associated);
        assert!(!t.releases_lock());
    }

    #[test]
    fn withdrawing_an_association_keeps_its_window_and_records_the_reason() {
        let (claim, window) = notified();
        let associated = claim
            .finalize(window.deadline + TimeDelta::days(1))
            .unwrap()
            .claim;
        let t = associated
            .withdraw(at("2026-12-10T00:00:00Z"), reason())
            .unwrap();
        assert_eq!(t.claim.state.window(), Some(&window));
        assert_eq!(t.entry().reason.as_deref(), Some("engagement ended"));
        assert!(t.releases_lock());
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
    fn every_status_but_rejected_and_the_final_ones_can_be_withdrawn() {
        let (notified, window) = notified();
        let associated = notified
            .finalize(window.deadline + TimeDelta::days(1))
            .unwrap()
            .claim;
        let later = at("2027-01-10T00:00:00Z");
        for claim in [
            submitted(at("2026-11-25T09:00:00Z")),
            information_requested(),
            approved(at("2026-11-25T09:00:00Z")),
            notified.clone(),
            associated,
            disputed(),
        ] {
            let t = claim.withdraw(later, reason()).unwrap();
            assert_eq!(
                t.claim.status(),
                ClaimStatus::Withdrawn,
                "{:?}",
                claim.status()
            );
            assert_eq!(t.releases_lock(), claim.status().holds_lock());
        }
    }

    // ---- proof of execution

    #[test]
    fn a_newer_proof_is_added_to_a_claim_holding_its_unit_or_disputed_without_moving_it() {
        let (notified, _) = notified();
        for claim in [submitted(at("2026-11-25T09:00:00Z")), notified, disputed()] {
            let t = claim
                .add_proof(at("2026-11-28T09:00:00Z"), proof("2026-11-20"))
                .unwrap();
            assert_eq!(t.claim.status(), claim.status());
            assert_eq!(t.entry().event, HistoryEvent::ProofAdded);
            assert_eq!(t.entry().from, Some(claim.status()));
            assert_eq!(
                t.claim.subject.proof_of_execution.signed_on.to_string(),
                "2026-11-20"
            );
        }
    }

    #[test]
    fn a_proof_signed_on_or_before_the_current_one_is_not_newer() {
        let claim = submitted(at("2026-11-25T09:00:00Z"));
        for signed_on in ["2026-10-01", "2026-09-30"] {
            assert_eq!(
                claim.add_proof(at("2026-11-28T09:00:00Z"), proof(signed_on)),
                Err(TransitionError::ProofNotNewer(
                    NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()
                ))
            );
        }
    }

    // ---- the table

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
        assert_eq!(r#final, vec![Declined, Withdrawn, Superseded, Revoked]);
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

    #[test]
    fn bizapps_claims_lock_the_subscription_and_others_the_workload() {
        let mut s = subject();
        assert_eq!(
            s.lock().as_str(),
            "0f8fad5b-d9cb-469f-a165-70867728950e#workload#teams"
        );
        s.program = Program::parse("osu-bizapps").unwrap();
        s.workload = s.program.workload("power-bi").unwrap();
        s.subscription_id =
            Some(SubscriptionId::parse("11111111-2222-3333-4444-555555555555").unwrap());
        assert_eq!(
            s.lock().as_str(),
            "0f8fad5b-d9cb-469f-a165-70867728950e#subscription#11111111-2222-3333-4444-555555555555"
        );
    }

    #[test]
    fn withdrawal_reasons_are_one_to_five_hundred_characters() {
        assert!(WithdrawalReason::parse(&"x".repeat(500)).is_ok());
        assert!(WithdrawalReason::parse(&"x".repeat(501)).is_err());
        assert!(WithdrawalReason::parse("  ").is_err());
    }

    // ---- ending, e-mail feedback, corrected contacts

    /// A claim made official the night after its window closed (2026-12-03 02:00 UTC).
    fn associated() -> Claim {
        let (claim, _) = notified();
        claim.finalize(at("2026-12-03T02:00:00Z")).unwrap().claim
    }

    fn unreachable() -> Claim {
        let (claim, _) = notified();
        claim
            .record_mail_feedback(at("2026-11-25T10:05:00Z"), 1, MailFeedback::PermanentBounce)
            .unwrap()
            .claim
    }

    /// `contact`, checked against Contoso's verified domains as a correction's is.
    pub(crate) fn verified(contact: CustomerContact) -> TenantContact {
        let contoso = crate::reference::TenantRecord {
            tenant_id: subject().tenant_id,
            domains: ["contoso.onmicrosoft.com", "contoso.com"]
                .iter()
                .map(|d| CustomerDomain::parse(d).unwrap())
                .collect(),
            subscriptions: vec![],
        };
        contoso.contact(contact).unwrap()
    }

    fn corrected_contact() -> CustomerContact {
        CustomerContact {
            name: "Marco Bianchi".into(),
            email: EmailAddress::parse("marco@contoso.com").unwrap(),
            title: None,
            locale: Locale::default(),
            time_zone: CustomerTimeZone::default(),
        }
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

    #[test]
    fn a_permanent_bounce_stops_the_window_and_keeps_the_unit() {
        // GIVEN a claim awaiting its customer
        let (claim, window) = notified();
        // WHEN its notification bounces for good
        let bounced = at("2026-11-25T10:05:00Z");
        let t = claim
            .record_mail_feedback(bounced, 1, MailFeedback::PermanentBounce)
            .unwrap();
        // THEN the customer is unreachable: out of the opt-out deadline, still holding the unit,
        // rejected by the nightly run 30 days after the bounce unless corrected
        assert_eq!(t.claim.status(), ClaimStatus::CustomerUnreachable);
        assert_eq!(t.entry().event.as_str(), "email_bounced");
        assert_eq!(t.entry().code.as_deref(), Some("permanent_bounce"));
        assert_eq!(t.entry().actor, Actor::System);
        assert!(!t.releases_lock() && ClaimStatus::CustomerUnreachable.holds_lock());
        assert_eq!(t.claim.state.window(), Some(&window));
        assert_eq!(
            t.claim.state.nightly_deadline(),
            Some(NightlyDeadline::Unreachable(bounced + TimeDelta::days(30)))
        );
        assert_eq!(
            t.claim.finalize(at("2026-12-10T02:00:00Z")),
            Err(TransitionError::NotAllowedFrom(
                ClaimStatus::CustomerUnreachable
            ))
        );
    }

    #[test]
    fn a_transient_bounce_or_a_complaint_is_recorded_and_changes_nothing_else() {
        // GIVEN a claim awaiting its customer
        let (claim, _) = notified();
        for (feedback, event) in [
            (MailFeedback::TransientBounce, "email_bounced"),
            (MailFeedback::Complaint, "email_complaint"),
        ] {
            // WHEN the mail service reports it
            let t = claim
                .record_mail_feedback(at("2026-11-25T10:05:00Z"), 1, feedback)
                .unwrap();
            // THEN the history records it, the status and the window stay
            assert_eq!(t.claim.status(), ClaimStatus::AwaitingCustomer);
            assert_eq!(t.claim.state, claim.state);
            assert_eq!(t.entry().event.as_str(), event);
            assert_eq!(t.entry().code.as_deref(), Some(feedback.code()));
            // and only a complaint marks the notification
            assert_eq!(
                t.claim.notice.complained,
                feedback == MailFeedback::Complaint
            );
        }
    }

    #[test]
    fn a_bounce_of_an_earlier_notification_is_only_recorded() {
        // GIVEN a claim whose contact was corrected and e-mailed again (notification 2)
        let (claim, _) = notified();
        let corrected = claim
            .correct_contact(at("2026-11-25T11:00:00Z"), verified(corrected_contact()))
            .unwrap()
            .claim;
        let window = calendar().opt_out_window(at("2026-11-25T11:01:00Z"), crate::zone::Zone::UTC);
        let renotified = corrected.notify(window).unwrap().claim;
        // WHEN the first notification's bounce arrives late
        let t = renotified
            .record_mail_feedback(at("2026-11-25T11:05:00Z"), 1, MailFeedback::PermanentBounce)
            .unwrap();
        // THEN it is recorded as about the earlier notification, and the window runs on
        assert_eq!(t.claim.status(), ClaimStatus::AwaitingCustomer);
        assert!(t.entry().reason.as_deref().unwrap().contains("earlier"));
    }

    #[test]
    fn a_final_claim_records_no_feedback() {
        let declined = notified()
            .0
            .opt_out(at("2026-11-26T10:00:00Z"))
            .unwrap()
            .claim;
        assert_eq!(
            declined.record_mail_feedback(at("2026-11-26T11:00:00Z"), 1, MailFeedback::Complaint),
            Err(TransitionError::AlreadyFinal(ClaimStatus::Declined))
        );
    }

    #[test]
    fn a_corrected_contact_of_a_notified_claim_starts_a_new_notification() {
        // GIVEN claims whose customer was e-mailed: awaiting, and unreachable after a bounce
        for claim in [notified().0, unreachable()] {
            // WHEN the partner corrects the contact
            let t = claim
                .correct_contact(at("2026-11-26T10:00:00Z"), verified(corrected_contact()))
                .unwrap();
            // THEN the claim is approved again, to be e-mailed at the new contact, as the next
            // notification (the earlier link stops working), its unit kept, its window gone
            assert_eq!(t.claim.status(), ClaimStatus::Approved);
            assert_eq!(t.entry().event.as_str(), "contact_corrected");
            assert_eq!(t.entry().actor, Actor::Partner);
            assert_eq!(t.claim.subject.customer_contact, corrected_contact());
            assert_eq!(t.claim.notice.number, claim.notice.number + 1);
            assert!(!t.releases_lock());
            assert_eq!(t.claim.state.window(), None);
            assert_eq!(t.claim.state.nightly_deadline(), None);
        }
    }

    #[test]
    fn a_correction_moving_a_received_notification_records_the_earlier_contact_to_tell() {
        // GIVEN a claim whose customer, Giulia, received the notification
        let (claim, _) = notified();
        // WHEN the partner names Marco instead
        let t = claim
            .correct_contact(at("2026-11-26T10:00:00Z"), verified(corrected_contact()))
            .unwrap();
        // THEN the entry records Giulia, to be told, and Marco's address
        let change = t.entry().contact_change.clone().unwrap();
        assert_eq!(change.earlier, claim.subject.customer_contact);
        assert_eq!(change.new_email.as_str(), "marco@contoso.com");
    }

    #[test]
    fn a_correction_that_moves_no_received_notification_records_no_one_to_tell() {
        // GIVEN claims whose customer received nothing yet, or whose address bounced
        let in_review = [
            submitted(at("2026-11-25T09:00:00Z")),
            information_requested(),
            approved(at("2026-11-25T09:00:00Z")),
            unreachable(),
        ];
        for claim in in_review {
            // WHEN the contact is corrected
            let t = claim
                .correct_contact(at("2026-11-26T10:00:00Z"), verified(corrected_contact()))
                .unwrap();
            // THEN no one is to be told
            assert_eq!(t.entry().contact_change, None, "{}", claim.status());
        }
        // AND a correction of the name or language at the same address (in other capitals)
        // tells no one either: the notification goes to the same mailbox
        let (claim, _) = notified();
        let mut same = claim.subject.customer_contact.clone();
        same.name = "Giulia Rossi-Bianchi".into();
        same.email = EmailAddress::parse("Giulia@Contoso.com").unwrap();
        let t = claim
            .correct_contact(at("2026-11-26T10:00:00Z"), verified(same))
            .unwrap();
        assert_eq!(t.entry().contact_change, None);
        assert_eq!(t.claim.status(), ClaimStatus::Approved);
    }

    #[test]
    fn a_corrected_contact_in_review_changes_only_the_contact() {
        // GIVEN a claim in review, and one waiting for the partner's information
        for claim in [
            submitted(at("2026-11-25T09:00:00Z")),
            information_requested(),
        ] {
            // WHEN the partner corrects the contact
            let t = claim
                .correct_contact(at("2026-11-26T10:00:00Z"), verified(corrected_contact()))
                .unwrap();
            // THEN the status stays, nothing was e-mailed so the notification stays the first
            assert_eq!(t.claim.status(), claim.status());
            assert_eq!(t.claim.notice, Notice::FIRST);
            assert_eq!(t.claim.subject.customer_contact, corrected_contact());
        }
    }

    #[test]
    fn a_corrected_contact_of_an_approved_claim_replaces_its_queued_notification() {
        // GIVEN an approved claim whose e-mail may be going out
        let claim = approved(at("2026-11-25T09:00:00Z"));
        // WHEN the partner corrects the contact
        let t = claim
            .correct_contact(at("2026-11-25T09:01:00Z"), verified(corrected_contact()))
            .unwrap();
        // THEN it stays approved, as the next notification
        assert_eq!(t.claim.status(), ClaimStatus::Approved);
        assert_eq!(t.claim.notice.number, 2);
    }

    #[test]
    fn an_official_or_decided_claim_s_contact_is_not_corrected() {
        for claim in [associated(), rejected(), disputed()] {
            assert_eq!(
                claim.correct_contact(at("2027-01-04T10:00:00Z"), verified(corrected_contact())),
                Err(TransitionError::NotAllowedFrom(claim.status()))
            );
        }
    }

    #[test]
    fn an_unreachable_customer_is_rejected_by_the_system_after_thirty_days_not_at_them() {
        // GIVEN a claim whose notification bounced at 2026-11-25 10:05 UTC
        let claim = unreachable();
        let deadline = at("2026-12-25T10:05:00Z");
        // WHEN the nightly run looks at the deadline itself THEN it is not yet due
        assert_eq!(
            claim.reject_unreachable(deadline),
            Err(TransitionError::UnreachableNotOverdue(deadline))
        );
        // WHEN it looks after it THEN the system rejects it, disputable, its unit freed
        let t = claim
            .reject_unreachable(deadline + TimeDelta::milliseconds(1))
            .unwrap();
        assert_eq!(t.claim.status(), ClaimStatus::Rejected);
        assert_eq!(t.entry().code.as_deref(), Some("customer_unreachable"));
        assert_eq!(t.entry().actor, Actor::System);
        assert!(t.releases_lock());
        assert!(matches!(
            t.claim.state,
            ClaimState::Rejected {
                dispute_until: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn a_holder_is_told_of_a_contest_in_its_history_without_a_status_change() {
        // GIVEN a claim holding its unit, and one that lost it
        let (holder, _) = notified();
        // WHEN another partner contests its unit
        let t = holder.receive_contest(at("2026-11-26T09:00:00Z")).unwrap();
        // THEN its history records it, by the system, naming no one; the status is unchanged
        assert_eq!(t.entry().event.as_str(), "contest_received");
        assert_eq!(t.entry().actor, Actor::System);
        assert_eq!(t.entry().from, Some(ClaimStatus::AwaitingCustomer));
        assert_eq!(t.entry().to, ClaimStatus::AwaitingCustomer);
        assert_eq!(
            (t.entry().code.as_ref(), t.entry().reason.as_ref()),
            (None, None)
        );
        assert_eq!(t.claim.partner_entries, holder.partner_entries);
        let withdrawn = holder
            .withdraw(at("2026-11-26T08:00:00Z"), reason())
            .unwrap()
            .claim;
        assert!(
            withdrawn
                .receive_contest(at("2026-11-26T09:00:00Z"))
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

    /// Sent again to a corrected contact at `at`: the window of that notification.
    fn renotified(claim: &Claim, at_: DateTime<Utc>) -> Claim {
        let window = calendar().opt_out_window(at_, crate::zone::Zone::UTC);
        claim.notify(window).unwrap().claim
    }

    #[test]
    fn corrections_never_reset_the_unreachable_clock() {
        // GIVEN a claim whose first notification bounced for good at 2026-11-25 10:05 UTC
        let first_bounce = at("2026-11-25T10:05:00Z");
        let mut claim = unreachable();
        // WHEN the partner corrects the contact, the new one bounces, and so on, twice over
        for (corrected, bounced) in [
            ("2026-12-01T09:00:00Z", "2026-12-01T10:05:00Z"),
            ("2026-12-20T09:00:00Z", "2026-12-20T10:05:00Z"),
        ] {
            let t = claim
                .correct_contact(at(corrected), verified(corrected_contact()))
                .unwrap();
            let sent = renotified(&t.claim, at(corrected) + TimeDelta::minutes(5));
            claim = sent
                .record_mail_feedback(
                    at(bounced),
                    sent.notice.number,
                    MailFeedback::PermanentBounce,
                )
                .unwrap()
                .claim;
        }
        // THEN the claim is unreachable, the bounce shown is the latest, but the nightly run
        // rejects it 30 days after the FIRST bounce, not after the latest
        let deadline = first_bounce + TimeDelta::days(30);
        assert_eq!(claim.status(), ClaimStatus::CustomerUnreachable);
        assert!(matches!(
            claim.state,
            ClaimState::CustomerUnreachable { bounced_at, since, .. }
                if bounced_at == at("2026-12-20T10:05:00Z") && since == first_bounce
        ));
        assert_eq!(
            claim.state.nightly_deadline(),
            Some(NightlyDeadline::Unreachable(deadline))
        );
        let t = claim
            .reject_unreachable(deadline + TimeDelta::milliseconds(1))
            .unwrap();
        assert_eq!(t.entry().code.as_deref(), Some("customer_unreachable"));
    }

    #[test]
    fn the_customer_is_e_mailed_through_three_corrections_at_most() {
        // GIVEN a claim whose customer was e-mailed
        let (mut claim, _) = notified();
        // WHEN the partner corrects the contact three times, each e-mailing the customer again
        for n in 0..3 {
            let corrected = at("2026-11-26T09:00:00Z") + TimeDelta::days(n);
            claim = claim
                .correct_contact(corrected, verified(corrected_contact()))
                .unwrap()
                .claim;
            claim = renotified(&claim, corrected + TimeDelta::minutes(5));
        }
        assert_eq!(claim.notice.emailing_corrections(), 3);
        // THEN a fourth correction that would e-mail is refused, from awaiting as from approved
        assert_eq!(
            claim.correct_contact(at("2026-11-30T09:00:00Z"), verified(corrected_contact())),
            Err(TransitionError::TooManyCorrections)
        );
        let bounced = claim
            .record_mail_feedback(
                at("2026-11-30T10:00:00Z"),
                claim.notice.number,
                MailFeedback::PermanentBounce,
            )
            .unwrap()
            .claim;
        assert_eq!(
            bounced.correct_contact(at("2026-11-30T11:00:00Z"), verified(corrected_contact())),
            Err(TransitionError::TooManyCorrections)
        );
    }

    #[test]
    fn corrections_before_approval_e_mail_no_one_and_count_only_toward_the_partner_bound() {
        // GIVEN a claim in review, corrected five times (no e-mail is at stake yet)
        let mut claim = submitted(at("2026-11-24T09:00:00Z"));
        for n in 0..5 {
            claim = claim
                .correct_contact(
                    at("2026-11-24T10:00:00Z") + TimeDelta::minutes(n),
                    verified(corrected_contact()),
                )
                .unwrap()
                .claim;
        }
        // THEN no notification was started: once approved, all three e-mailing corrections remain
        assert_eq!(claim.notice, Notice::FIRST);
        assert_eq!(claim.partner_entries, 6);
    }

    #[test]
    fn a_partner_adds_at_most_fifty_entries_to_a_claim_but_may_always_withdraw() {
        // GIVEN a submitted claim (one partner entry) corrected 49 times in review
        let mut claim = submitted(at("2026-11-24T09:00:00Z"));
        for n in 0..49 {
            claim = claim
                .correct_contact(
                    at("2026-11-24T10:00:00Z") + TimeDelta::minutes(n),
                    verified(corrected_contact()),
                )
                .unwrap()
                .claim;
        }
        assert_eq!(claim.partner_entries, MAX_PARTNER_ENTRIES);
        // WHEN the partner tries another move THEN it is refused, and nothing changes
        let later = at("2026-11-25T10:00:00Z");
        assert_eq!(
            claim.correct_contact(later, verified(corrected_contact())),
            Err(TransitionError::TooManyChanges)
        );
        assert_eq!(
            claim.add_proof(later, proof("2026-11-20")),
            Err(TransitionError::TooManyChanges)
        );
        // AND the reviewer's moves and the partner's withdrawal still go through
        let asked = claim
            .request_information(
                later,
                &reviewer(),
                vec![InformationCode::MissingCustomerSignature],
                message("the statement of work is not signed"),
                &calendar(),
            )
            .unwrap()
            .claim;
        assert_eq!(
            asked.respond(later, &message("here it is"), None),
            Err(TransitionError::TooManyChanges)
        );
        let t = asked.withdraw(later, reason()).unwrap();
        assert_eq!(t.claim.status(), ClaimStatus::Withdrawn);
    }

    #[test]
    fn the_partner_may_withdraw_an_unreachable_claim() {
        let t = unreachable()
            .withdraw(at("2026-11-26T10:00:00Z"), reason())
            .unwrap();
        assert_eq!(t.claim.status(), ClaimStatus::Withdrawn);
        assert!(t.releases_lock());
    }

    // ---- property tests

    /// Every move any actor can make, `minutes` after the start.
    #[derive(Debug, Clone)]
    enum Move {
        Approve(i64),
        ApproveAutomatically(i64),
        RequestInformation(i64),
        Respond(i64),
        Reject(i64),
        NoResponse(i64),
        Dispute(i64),
        AddProof(i64),
        Notify(i64),
        OptOut(i64),
        Finalize(i64),
        Withdraw(i64),
        End(i64),
        PermanentBounce(i64),
        TransientBounce(i64),
        Complaint(i64),
        CorrectContact(i64),
        Unreachable(i64),
    }

    fn moves() -> impl Strategy<Value = Vec<(usize, Move)>> {
        let m = 0i64..(60 * 24 * 50);
        let one = prop_oneof![
            m.clone().prop_map(Move::Approve),
            m.clone().prop_map(Move::ApproveAutomatically),
            m.clone().prop_map(Move::RequestInformation),
            m.clone().prop_map(Move::Respond),
            m.clone().prop_map(Move::Reject),
            m.clone().prop_map(Move::NoResponse),
            m.clone().prop_map(Move::Dispute),
            m.clone().prop_map(Move::AddProof),
            m.clone().prop_map(Move::Notify),
            m.clone().prop_map(Move::OptOut),
            m.clone().prop_map(Move::Finalize),
            m.clone().prop_map(Move::Withdraw),
            m.clone().prop_map(Move::End),
            m.clone().prop_map(Move::PermanentBounce),
            m.clone().prop_map(Move::TransientBounce),
            m.clone().prop_map(Move::Complaint),
            m.clone().prop_map(Move::CorrectContact),
            m.prop_map(Move::Unreachable),
        ];
        prop::collection::vec((0usize..2, one), 0..30)
    }

    fn attempt(
        claim: &Claim,
        start: DateTime<Utc>,
        m: &Move,
    ) -> Result<Transition, TransitionError> {
        let t = |minutes: i64| start + TimeDelta::minutes(minutes);
        let proof_on = |minutes: i64| ProofOfExecution {
            reference: "SOW-n".into(),
            signed_on: (start + TimeDelta::minutes(minutes)).date_naive(),
        };
        match *m {
            Move::Approve(x) => claim.approve(t(x), &reviewer(), None),
            Move::ApproveAutomatically(x) => claim.approve_automatically(t(x)),
            Move::RequestInformation(x) => claim.request_information(
                t(x),
                &reviewer(),
                vec![InformationCode::Other],
                message("more"),
                &calendar(),
            ),
            Move::Respond(x) => claim.respond(t(x), &message("here"), None),
            Move::Reject(x) => claim.reject(t(x), &reviewer(), RejectionCode::Other, message("no")),
            Move::NoResponse(x) => claim.reject_for_no_response(t(x)),
            Move::Dispute(x) => claim.dispute(t(x), &message("why"), None),
            Move::AddProof(x) => claim.add_proof(t(x), proof_on(x)),
            Move::Notify(x) => {
                claim.notify(calendar().opt_out_window(t(x), crate::zone::Zone::UTC))
            }
            Move::OptOut(x) => claim.opt_out(t(x)),
            Move::Finalize(x) => claim.finalize(t(x)),
            Move::Withdraw(x) => claim.withdraw(t(x), reason()),
            Move::End(x) => claim.end(t(x)),
            Move::PermanentBounce(x) => {
                claim.record_mail_feedback(t(x), claim.notice.number, MailFeedback::PermanentBounce)
            }
            Move::TransientBounce(x) => {
                claim.record_mail_feedback(t(x), claim.notice.number, MailFeedback::TransientBounce)
            }
            Move::Complaint(x) => {
                claim.record_mail_feedback(t(x), claim.notice.number, MailFeedback::Complaint)
            }
            Move::CorrectContact(x) => {
                claim.correct_contact(t(x), verified(subject().customer_contact))
            }
            // Minutes are too few to reach 30 days: the deadline is tried in days here.
            Move::Unreachable(x) => claim.reject_unreachable(start + TimeDelta::days(x % 60)),
        }
    }

    proptest! {
        #[test]
        fn no_sequence_of_moves_leaves_two_claims_holding_one_unit_or_moves_a_final_claim(moves in moves()) {
            // GIVEN two partners' claims for one unit, the first holding it (the store's lock)
            let start = at("2026-11-02T09:00:00Z");
            let first = submitted(start);
            let mut second = submitted(start);
            // the second was refused the unit at submission: it stands rejected, disputable
            second = second
                .reject(start, &reviewer(), RejectionCode::Other, message("held elsewhere"))
                .unwrap()
                .claim;
            let mut claims = [first, second];
            let mut holder: Option<usize> = Some(0);
            let mut histories: [Vec<HistoryEntry>; 2] = [Vec::new(), Vec::new()];
            for (who, m) in moves {
                let before = claims[who].clone();
                let Ok(t) = attempt(&before, start, &m) else {
                    continue;
                };
                // the store applies a transition only with its lock effect: taking a unit
                // another claim holds is refused
                if t.takes_lock() && holder.is_some_and(|h| h != who) {
                    continue;
                }
                if t.takes_lock() {
                    holder = Some(who);
                }
                if t.releases_lock() {
                    prop_assert_eq!(holder, Some(who), "only the holder releases");
                    holder = None;
                }
                // a final claim never moves again
                prop_assert!(!before.status().is_final(), "{:?} moved from {}", m, before.status());
                // the history is a chain: each entry starts where the previous ended
                prop_assert_eq!(t.entries.first().and_then(|e| e.from), Some(before.status()));
                for pair in t.entries.windows(2) {
                    prop_assert_eq!(pair[1].from, Some(pair[0].to));
                    prop_assert_eq!(pair[1].sequence, pair[0].sequence + 1);
                }
                prop_assert_eq!(t.claim.version, before.version + t.entries.len() as u32);
                prop_assert_eq!(t.entry().to, t.claim.status());
                histories[who].extend(t.entries.clone());
                claims[who] = t.claim;
                // at most one claim holds the unit, and it is the lock's holder
                let holding: Vec<usize> = (0..2).filter(|i| claims[*i].status().holds_lock()).collect();
                prop_assert!(holding.len() <= 1, "{:?}", claims.iter().map(Claim::status).collect::<Vec<_>>());
                prop_assert_eq!(holding.first().copied(), holder);
            }
        }
    }

    // ---- documents

    fn a_document() -> crate::document::Document {
        let request = crate::document::UploadRequest {
            file_name: "SOW 4711.pdf".into(),
            content_type: crate::document::ContentType::Pdf,
            size: 1024,
        };
        crate::document::Document::pending(
            crate::document::DocumentId::new_at(at("2026-11-28T09:00:00Z")),
            request,
            at("2026-11-28T09:00:00Z"),
        )
    }

    #[test]
    fn an_uploaded_document_is_recorded_without_moving_a_claim_that_is_not_final() {
        // GIVEN claims in review, rejected and disputed
        for claim in [
            submitted(at("2026-11-25T09:00:00Z")),
            rejected(),
            disputed(),
        ] {
            // WHEN a document's upload is accepted
            let t = claim
                .add_document(at("2026-11-28T09:00:00Z"), &a_document())
                .unwrap();
            // THEN the history records it by file name, and the status stays
            assert_eq!(t.claim.status(), claim.status());
            assert_eq!(t.entry().event, HistoryEvent::DocumentAdded);
            assert_eq!(t.entry().event.as_str(), "document_added");
            assert_eq!(t.entry().actor, Actor::Partner);
            assert_eq!(t.entry().reason.as_deref(), Some("SOW 4711.pdf"));
            assert_eq!(t.claim.version, claim.version + 1);
            assert!(!t.releases_lock() && !t.takes_lock());
        }
    }

    #[test]
    fn a_final_claim_takes_no_document() {
        // GIVEN a withdrawn claim
        let withdrawn = submitted(at("2026-11-25T09:00:00Z"))
            .withdraw(at("2026-11-26T09:00:00Z"), reason())
            .unwrap()
            .claim;
        // WHEN a document's upload arrives
        let refused = withdrawn.add_document(at("2026-11-28T09:00:00Z"), &a_document());
        // THEN it is refused as final
        assert_eq!(
            refused,
            Err(TransitionError::AlreadyFinal(ClaimStatus::Withdrawn))
        );
    }
}
