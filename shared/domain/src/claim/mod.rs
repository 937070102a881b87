//! A claim and its lifecycle. The state changes only through the moves of the claim's actors,
//! each of which returns the new claim and the history entries that record the change (a
//! [`Transition`]), or says why the change is refused (a [`TransitionError`]). The status table
//! of docs/lifecycle.md ("The statuses") is [`ClaimStatus::holds_lock`],
//! [`ClaimStatus::is_final`] and the moves, one file for each who makes them: `partner`,
//! `reviewer`, `customer` and `system` (the service itself, and its nightly run).

mod association;
mod customer;
mod history;
mod notice;
mod partner;
mod reviewer;
mod state;
mod status;
mod system;
#[cfg(test)]
pub(crate) mod tests;
mod transition;

pub use association::{Association, Period, covering};
pub use history::{Actor, ContactChange, HistoryEntry, HistoryEvent, ReviewerId};
pub use notice::{MAX_EMAILING_CORRECTIONS, MailFeedback, Notice};
pub use partner::{MAX_REASON_CHARS, WithdrawalReason};
pub use reviewer::Compared;
pub use state::{ClaimState, NightlyDeadline};
pub use status::ClaimStatus;
use transition::Step;
pub use transition::{Transition, TransitionError};

use crate::catalogue::{LockUnit, Program, Workload};
use crate::contact::{CustomerContact, PartnerContact};
use crate::domain_name::CustomerDomain;
use crate::ids::{ClaimId, PartnerId, SubscriptionId, TenantId};
use crate::proof::ProofOfExecution;
use chrono::{DateTime, Utc};

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
    /// When it last entered a decision status ([`ClaimStatus::is_decision`]).
    pub decided_at: Option<DateTime<Utc>>,
    /// When the vendor last approved it (a reviewer, or the service under the automatic
    /// policy): where its association's effective period starts, once it has one.
    pub approved_at: Option<DateTime<Utc>>,
    /// Its association's effective period, from the moment it became official.
    pub association: Option<Association>,
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

/// The partner-of-record lock's key: what only one claim may hold at a time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartnerOfRecordLock(String);

impl PartnerOfRecordLock {
    /// The unit of a tenant's workload (the programs that lock workloads).
    pub fn of_workload(tenant_id: TenantId, workload: Workload) -> Self {
        Self(format!("{tenant_id}#workload#{}", workload.code()))
    }

    /// The unit of a tenant's subscription (business applications).
    pub fn of_subscription(tenant_id: TenantId, subscription_id: SubscriptionId) -> Self {
        Self(format!("{tenant_id}#subscription#{subscription_id}"))
    }

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
                PartnerOfRecordLock::of_subscription(self.tenant_id, subscription)
            }
            // Parsing refuses a business-applications claim without a subscription.
            (LockUnit::Subscription, None) | (LockUnit::Workload, _) => {
                PartnerOfRecordLock::of_workload(self.tenant_id, self.workload)
            }
        }
    }
}

impl Claim {
    pub fn status(&self) -> ClaimStatus {
        self.state.status()
    }
}
