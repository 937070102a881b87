//! A claim and its lifecycle. The state changes only through the transition functions here, each
//! of which returns the new claim and the history entry that records the change, or says why
//! the change is refused.

use crate::calendar::OptOutWindow;
use crate::catalogue::{LockUnit, Program, Workload};
use crate::contact::{CustomerContact, PartnerContact};
use crate::domain_name::CustomerDomain;
use crate::ids::{ClaimId, PartnerId, SubscriptionId, TenantId};
use crate::proof::ProofOfExecution;
use crate::time::serde_instant;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The status of a claim, as partners see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    /// Accepted; the customer notification is queued.
    Submitted,
    /// The customer was told; the opt-out window is open or awaiting finalization.
    AwaitingCustomer,
    /// The partner is partner of record.
    Associated,
    /// The customer opted out.
    Declined,
    /// The partner withdrew or disassociated.
    Withdrawn,
}

impl ClaimStatus {
    /// Every status, in [`ClaimStatus::ordinal`] order (a test checks that none is missing).
    pub const ALL: [ClaimStatus; 5] = [
        Self::Submitted,
        Self::AwaitingCustomer,
        Self::Associated,
        Self::Declined,
        Self::Withdrawn,
    ];

    /// The status's place in [`ClaimStatus::ALL`].
    pub const fn ordinal(self) -> usize {
        match self {
            Self::Submitted => 0,
            Self::AwaitingCustomer => 1,
            Self::Associated => 2,
            Self::Declined => 3,
            Self::Withdrawn => 4,
        }
    }

    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::AwaitingCustomer => "awaiting_customer",
            Self::Associated => "associated",
            Self::Declined => "declined",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Parses the wire text.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// True for the statuses that hold the tenant+workload.
    pub fn holds_lock(self) -> bool {
        match self {
            Self::Submitted | Self::AwaitingCustomer | Self::Associated => true,
            Self::Declined | Self::Withdrawn => false,
        }
    }

    /// True for the statuses a claim never leaves.
    pub fn is_final(self) -> bool {
        match self {
            Self::Declined | Self::Withdrawn => true,
            Self::Submitted | Self::AwaitingCustomer | Self::Associated => false,
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
    /// Accepted, not yet notified.
    Submitted,
    /// Notified; the window is set.
    AwaitingCustomer {
        /// The opt-out window.
        window: OptOutWindow,
    },
    /// Official.
    Associated {
        /// The window that closed.
        window: OptOutWindow,
        /// When it became official.
        decided_at: DateTime<Utc>,
    },
    /// The customer opted out.
    Declined {
        /// The window in which the customer declined.
        window: OptOutWindow,
        /// When the customer declined.
        decided_at: DateTime<Utc>,
    },
    /// The partner withdrew.
    Withdrawn {
        /// The window, if the customer had been notified.
        window: Option<OptOutWindow>,
        /// When the partner withdrew.
        decided_at: DateTime<Utc>,
        reason: String,
    },
}

impl ClaimState {
    /// The status of this state.
    pub fn status(&self) -> ClaimStatus {
        match self {
            Self::Submitted => ClaimStatus::Submitted,
            Self::AwaitingCustomer { .. } => ClaimStatus::AwaitingCustomer,
            Self::Associated { .. } => ClaimStatus::Associated,
            Self::Declined { .. } => ClaimStatus::Declined,
            Self::Withdrawn { .. } => ClaimStatus::Withdrawn,
        }
    }

    /// The opt-out window, once the customer was notified.
    pub fn window(&self) -> Option<&OptOutWindow> {
        match self {
            Self::Submitted => None,
            Self::AwaitingCustomer { window }
            | Self::Associated { window, .. }
            | Self::Declined { window, .. } => Some(window),
            Self::Withdrawn { window, .. } => window.as_ref(),
        }
    }

    /// When the claim reached its latest decision (associated, declined or withdrawn).
    pub fn decided_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::Associated { decided_at, .. }
            | Self::Declined { decided_at, .. }
            | Self::Withdrawn { decided_at, .. } => Some(*decided_at),
            Self::Submitted | Self::AwaitingCustomer { .. } => None,
        }
    }

    /// The deadline after which the nightly run moves the claim on by itself, while there is
    /// one: what the store's sparse due index holds the claim by.
    pub fn nightly_deadline(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::AwaitingCustomer { window } => Some(window.deadline),
            Self::Submitted
            | Self::Associated { .. }
            | Self::Declined { .. }
            | Self::Withdrawn { .. } => None,
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
    /// The service itself.
    System,
}

/// One entry of a claim's append-only history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Position in the history, from 1; equals the claim's version after the change.
    pub sequence: u32,
    #[serde(with = "serde_instant")]
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// The status before; `None` for the submission.
    pub from: Option<ClaimStatus>,
    /// The status after.
    pub to: ClaimStatus,
    /// Why, where there is a reason.
    pub reason: Option<String>,
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
    /// Who to ask at the partner.
    pub partner_contact: PartnerContact,
    /// The signed statement of work.
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
    /// How many history entries it has; the store's optimistic-concurrency token.
    pub version: u32,
}

/// A change of a claim: the claim as it becomes, the version it must still have for the change
/// to apply, and the history entry recording it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The claim after the change.
    pub claim: Claim,
    /// The version the stored claim must have.
    pub expected_version: u32,
    /// The status the stored claim must have.
    pub expected_status: ClaimStatus,
    /// The record of the change.
    pub entry: HistoryEntry,
}

impl Transition {
    /// True when the change ends the claim's hold on its tenant+workload.
    pub fn releases_lock(&self) -> bool {
        self.expected_status.holds_lock() && !self.claim.state.status().holds_lock()
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

impl Claim {
    /// A new claim and the first entry of its history.
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
            state: ClaimState::Submitted,
            version: 1,
        };
        let entry = HistoryEntry {
            sequence: 1,
            at,
            actor: Actor::Partner,
            from: None,
            to: ClaimStatus::Submitted,
            reason: None,
        };
        (claim, entry)
    }

    /// The claim's status.
    pub fn status(&self) -> ClaimStatus {
        self.state.status()
    }

    fn transition(
        &self,
        at: DateTime<Utc>,
        actor: Actor,
        state: ClaimState,
        reason: Option<String>,
    ) -> Transition {
        let entry = HistoryEntry {
            sequence: self.version + 1,
            at,
            actor,
            from: Some(self.status()),
            to: state.status(),
            reason,
        };
        Transition {
            claim: Self {
                state,
                version: self.version + 1,
                ..self.clone()
            },
            expected_version: self.version,
            expected_status: self.status(),
            entry,
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

    /// The customer was notified: the window opens.
    pub fn notify(&self, window: OptOutWindow) -> Result<Transition, TransitionError> {
        match self.state {
            ClaimState::Submitted => Ok(self.transition(
                window.notified_at,
                Actor::System,
                ClaimState::AwaitingCustomer { window },
                None,
            )),
            ClaimState::AwaitingCustomer { .. }
            | ClaimState::Associated { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. } => Err(self.refuse()),
        }
    }

    /// The customer opts out at `at`; it wins at or before the deadline.
    pub fn opt_out(&self, at: DateTime<Utc>) -> Result<Transition, TransitionError> {
        match self.state {
            ClaimState::AwaitingCustomer { window } if window.is_open_at(at) => Ok(self
                .transition(
                    at,
                    Actor::Customer,
                    ClaimState::Declined {
                        window,
                        decided_at: at,
                    },
                    None,
                )),
            ClaimState::AwaitingCustomer { window } => {
                Err(TransitionError::WindowClosed(window.deadline))
            }
            ClaimState::Submitted
            | ClaimState::Associated { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. } => Err(self.refuse()),
        }
    }

    /// The nightly run at `now` makes the claim official once its window has closed.
    pub fn finalize(&self, now: DateTime<Utc>) -> Result<Transition, TransitionError> {
        match self.state {
            ClaimState::AwaitingCustomer { window } if !window.is_open_at(now) => Ok(self
                .transition(
                    now,
                    Actor::System,
                    ClaimState::Associated {
                        window,
                        decided_at: now,
                    },
                    None,
                )),
            ClaimState::AwaitingCustomer { window } => {
                Err(TransitionError::WindowStillOpen(window.deadline))
            }
            ClaimState::Submitted
            | ClaimState::Associated { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. } => Err(self.refuse()),
        }
    }

    /// The partner withdraws the claim, or disassociates from the customer, for `reason`.
    pub fn withdraw(
        &self,
        at: DateTime<Utc>,
        reason: WithdrawalReason,
    ) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::Submitted
            | ClaimState::AwaitingCustomer { .. }
            | ClaimState::Associated { .. } => {
                let state = ClaimState::Withdrawn {
                    window: self.state.window().copied(),
                    decided_at: at,
                    reason: reason.0.clone(),
                };
                Ok(self.transition(at, Actor::Partner, state, Some(reason.0)))
            }
            ClaimState::Declined { .. } | ClaimState::Withdrawn { .. } => Err(self.refuse()),
        }
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
        use crate::validation::{FieldCode, Invalid};
        let trimmed = text.trim();
        if trimmed.is_empty() {
            Err(Invalid::new(FieldCode::Empty, "must not be empty"))
        } else if trimmed.chars().count() > MAX_REASON_CHARS {
            Err(Invalid::new(
                FieldCode::TooLong,
                format!("must be at most {MAX_REASON_CHARS} characters"),
            ))
        } else if trimmed
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            Err(Invalid::new(
                FieldCode::InvalidCharacters,
                "must not contain control characters",
            ))
        } else {
            Ok(Self(trimmed.to_owned()))
        }
    }

    /// The reason as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::calendar::BusinessCalendar;
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

    fn notified() -> (Claim, OptOutWindow) {
        let claim = submitted(at("2026-11-25T09:00:00Z"));
        let window = BusinessCalendar::default()
            .opt_out_window(at("2026-11-25T10:00:00Z"), crate::zone::Zone::UTC);
        (claim.notify(window).unwrap().claim, window)
    }

    fn reason() -> WithdrawalReason {
        WithdrawalReason::parse("engagement ended").unwrap()
    }

    #[test]
    fn notifying_opens_the_window_and_records_the_system_as_actor() {
        let claim = submitted(at("2026-11-25T09:00:00Z"));
        let window = BusinessCalendar::default()
            .opt_out_window(at("2026-11-25T10:00:00Z"), crate::zone::Zone::UTC);
        let t = claim.notify(window).unwrap();
        assert_eq!(t.claim.status(), ClaimStatus::AwaitingCustomer);
        assert_eq!(t.claim.state.window(), Some(&window));
        assert_eq!(
            (t.entry.sequence, t.entry.actor, t.entry.from),
            (2, Actor::System, Some(ClaimStatus::Submitted))
        );
        assert_eq!(t.expected_version, 1);
        assert!(!t.releases_lock());
    }

    #[test]
    fn opt_out_at_the_deadline_wins() {
        // GIVEN a claim awaiting the customer WHEN the customer opts out at the deadline itself
        let (claim, window) = notified();
        let t = claim.opt_out(window.deadline).unwrap();
        // THEN it is declined by the customer and the lock is released
        assert_eq!(t.claim.status(), ClaimStatus::Declined);
        assert_eq!(t.entry.actor, Actor::Customer);
        assert_eq!(t.claim.state.decided_at(), Some(window.deadline));
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
        assert_eq!(t.entry.reason.as_deref(), Some("engagement ended"));
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
    fn every_status_is_listed_once_in_all_in_ordinal_order() {
        for (i, status) in ClaimStatus::ALL.into_iter().enumerate() {
            assert_eq!(status.ordinal(), i, "{status}");
            assert_eq!(ClaimStatus::parse(status.as_str()), Some(status));
        }
    }

    #[test]
    fn only_a_claim_awaiting_its_customer_has_a_nightly_deadline() {
        let (claim, window) = notified();
        assert_eq!(claim.state.nightly_deadline(), Some(window.deadline));
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
    }

    #[test]
    fn withdrawal_reasons_are_one_to_five_hundred_characters() {
        assert!(WithdrawalReason::parse(&"x".repeat(500)).is_ok());
        assert!(WithdrawalReason::parse(&"x".repeat(501)).is_err());
        assert!(WithdrawalReason::parse("  ").is_err());
    }

    #[derive(Debug, Clone)]
    enum Event {
        Notify(i64),
        OptOut(i64),
        Finalize(i64),
        Withdraw(i64),
    }

    fn events() -> impl Strategy<Value = Vec<Event>> {
        let minutes = 0i64..(60 * 24 * 14);
        prop::collection::vec(
            prop_oneof![
                minutes.clone().prop_map(Event::Notify),
                minutes.clone().prop_map(Event::OptOut),
                minutes.clone().prop_map(Event::Finalize),
                minutes.prop_map(Event::Withdraw),
            ],
            0..12,
        )
    }

    proptest! {
        #[test]
        fn any_sequence_of_events_keeps_the_lifecycle_and_history_consistent(events in events()) {
            let start = at("2026-11-25T09:00:00Z");
            let mut claim = submitted(start);
            let mut history = vec![HistoryEntry {
                sequence: 1, at: start, actor: Actor::Partner, from: None, to: ClaimStatus::Submitted, reason: None,
            }];
            for event in events {
                let before = claim.status();
                let result = match event {
                    Event::Notify(m) => claim.notify(BusinessCalendar::default()
                        .opt_out_window(start + TimeDelta::minutes(m), crate::zone::Zone::UTC)),
                    Event::OptOut(m) => claim.opt_out(start + TimeDelta::minutes(m)),
                    Event::Finalize(m) => claim.finalize(start + TimeDelta::minutes(m)),
                    Event::Withdraw(m) => claim.withdraw(start + TimeDelta::minutes(m), reason()),
                };
                match result {
                    Ok(t) => {
                        // each accepted change follows an edge of the lifecycle
                        let edge = (before, t.claim.status());
                        prop_assert!(matches!(edge,
                            (ClaimStatus::Submitted, ClaimStatus::AwaitingCustomer)
                            | (ClaimStatus::AwaitingCustomer, ClaimStatus::Associated)
                            | (ClaimStatus::AwaitingCustomer, ClaimStatus::Declined)
                            | (ClaimStatus::Submitted | ClaimStatus::AwaitingCustomer | ClaimStatus::Associated,
                               ClaimStatus::Withdrawn)), "edge {:?}", edge);
                        prop_assert_eq!(t.entry.from, Some(before));
                        prop_assert_eq!(t.entry.sequence, claim.version + 1);
                        history.push(t.entry);
                        claim = t.claim;
                    }
                    Err(_) => {
                        // a refused change leaves a final claim final
                        prop_assert!(claim.status() == before);
                    }
                }
                // the history is a chain: each entry starts where the previous ended
                prop_assert_eq!(history.len() as u32, claim.version);
                for pair in history.windows(2) {
                    prop_assert_eq!(pair[1].from, Some(pair[0].to));
                    prop_assert_eq!(pair[1].sequence, pair[0].sequence + 1);
                }
                prop_assert_eq!(history.last().map(|e| e.to), Some(claim.status()));
                // final states never change again
                if matches!(before, ClaimStatus::Declined | ClaimStatus::Withdrawn) {
                    prop_assert_eq!(claim.status(), before);
                }
            }
        }
    }
}
