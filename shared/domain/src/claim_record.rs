//! A claim as one flat document: how it is stored and, less its version, how partners see it.

use crate::calendar::OptOutWindow;
use crate::catalogue::{Program, Workload};
use crate::claim::{Claim, ClaimState, ClaimStatus, ClaimSubject};
use crate::contact::{CustomerContact, PartnerContact};
use crate::domain_name::CustomerDomain;
use crate::ids::{ClaimId, PartnerId, SubscriptionId, TenantId};
use crate::proof::ProofOfExecution;
use crate::time::serde_instant;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The flat form of a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRecord {
    /// The claim's id.
    pub claim_id: ClaimId,
    /// The claiming partner.
    pub partner_id: PartnerId,
    /// The partner's registered name.
    pub partner_name: String,
    /// The customer's tenant.
    pub tenant_id: TenantId,
    /// The tenant's domain named in the claim.
    pub customer_domain: CustomerDomain,
    /// The program.
    pub program: Program,
    /// The workload.
    pub workload: Workload,
    /// The subscription, for business applications.
    pub subscription_id: Option<SubscriptionId>,
    /// The status.
    pub status: ClaimStatus,
    /// When it was submitted.
    #[serde(with = "serde_instant")]
    pub created_at: DateTime<Utc>,
    /// When the customer was notified.
    #[serde(with = "serde_instant::option", default)]
    pub notified_at: Option<DateTime<Utc>>,
    /// The last instant of the opt-out window.
    #[serde(with = "serde_instant::option", default)]
    pub opt_out_deadline: Option<DateTime<Utc>>,
    /// When it was associated, declined or withdrawn.
    #[serde(with = "serde_instant::option", default)]
    pub decided_at: Option<DateTime<Utc>>,
    /// Who is told.
    pub customer_contact: CustomerContact,
    /// Who to ask at the partner.
    pub partner_contact: PartnerContact,
    /// The signed statement of work.
    pub proof_of_execution: ProofOfExecution,
    /// Why the partner withdrew, once withdrawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal_reason: Option<String>,
    /// The optimistic-concurrency version: the number of history entries.
    pub version: u32,
}

/// A stored record that no claim can have (a status without the fields it needs).
#[derive(Debug, thiserror::Error)]
#[error("claim record {claim_id} is inconsistent: {problem}")]
pub struct InconsistentRecord {
    /// The claim.
    pub claim_id: ClaimId,
    /// What is missing.
    pub problem: &'static str,
}

impl From<&Claim> for ClaimRecord {
    fn from(claim: &Claim) -> Self {
        let window = claim.state.window();
        let s = &claim.subject;
        Self {
            claim_id: claim.id,
            partner_id: claim.partner_id.clone(),
            partner_name: claim.partner_name.clone(),
            tenant_id: s.tenant_id,
            customer_domain: s.customer_domain.clone(),
            program: s.program,
            workload: s.workload,
            subscription_id: s.subscription_id,
            status: claim.status(),
            created_at: claim.created_at,
            notified_at: window.map(|w| w.notified_at),
            opt_out_deadline: window.map(|w| w.deadline),
            decided_at: claim.state.decided_at(),
            customer_contact: s.customer_contact.clone(),
            partner_contact: s.partner_contact.clone(),
            proof_of_execution: s.proof_of_execution.clone(),
            withdrawal_reason: match &claim.state {
                ClaimState::Withdrawn { reason, .. } => Some(reason.clone()),
                _ => None,
            },
            version: claim.version,
        }
    }
}

impl TryFrom<ClaimRecord> for Claim {
    type Error = InconsistentRecord;

    fn try_from(r: ClaimRecord) -> Result<Self, InconsistentRecord> {
        let inconsistent = |problem| InconsistentRecord {
            claim_id: r.claim_id,
            problem,
        };
        let window = match (r.notified_at, r.opt_out_deadline) {
            (Some(notified_at), Some(deadline)) => Some(OptOutWindow {
                notified_at,
                deadline,
            }),
            (None, None) => None,
            _ => return Err(inconsistent("half an opt-out window")),
        };
        let need_window = || window.ok_or_else(|| inconsistent("no opt-out window"));
        let need_decided = || r.decided_at.ok_or_else(|| inconsistent("no decision time"));
        let state = match r.status {
            ClaimStatus::Submitted => ClaimState::Submitted,
            ClaimStatus::AwaitingCustomer => ClaimState::AwaitingCustomer {
                window: need_window()?,
            },
            ClaimStatus::Associated => ClaimState::Associated {
                window: need_window()?,
                decided_at: need_decided()?,
            },
            ClaimStatus::Declined => ClaimState::Declined {
                window: need_window()?,
                decided_at: need_decided()?,
            },
            ClaimStatus::Withdrawn => ClaimState::Withdrawn {
                window,
                decided_at: need_decided()?,
                reason: r.withdrawal_reason.clone().unwrap_or_default(),
            },
        };
        Ok(Claim {
            id: r.claim_id,
            partner_id: r.partner_id,
            partner_name: r.partner_name,
            subject: ClaimSubject {
                tenant_id: r.tenant_id,
                customer_domain: r.customer_domain,
                program: r.program,
                workload: r.workload,
                subscription_id: r.subscription_id,
                customer_contact: r.customer_contact,
                partner_contact: r.partner_contact,
                proof_of_execution: r.proof_of_execution,
            },
            created_at: r.created_at,
            state,
            version: r.version,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::BusinessCalendar;
    use crate::claim::WithdrawalReason;
    use crate::claim::tests::{at, submitted};

    #[test]
    fn every_state_survives_the_round_trip_through_a_record() {
        let claim = submitted(at("2026-11-25T09:00:00Z"));
        let window = BusinessCalendar::default()
            .opt_out_window(at("2026-11-25T10:00:00Z"), crate::zone::Zone::UTC);
        let notified = claim.notify(window).unwrap().claim;
        let withdrawn = notified
            .withdraw(
                at("2026-11-26T10:00:00Z"),
                WithdrawalReason::parse("wrong tenant").unwrap(),
            )
            .unwrap()
            .claim;
        for claim in [claim, notified, withdrawn] {
            let json = serde_json::to_value(ClaimRecord::from(&claim)).unwrap();
            let back: ClaimRecord = serde_json::from_value(json).unwrap();
            assert_eq!(Claim::try_from(back).unwrap(), claim);
        }
    }

    #[test]
    fn times_are_written_as_utc_with_milliseconds() {
        let claim = submitted(at("2026-11-25T09:00:00Z"));
        let json = serde_json::to_value(ClaimRecord::from(&claim)).unwrap();
        assert_eq!(json["created_at"], "2026-11-25T09:00:00.000Z");
        assert_eq!(json["notified_at"], serde_json::Value::Null);
    }
}
