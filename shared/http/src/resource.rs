//! The partner API's resources, in the shapes the contract fixes (api.md, `openapi.yaml`),
//! built from the domain's types. The store has shapes of its own: renaming a stored attribute
//! cannot change an answer, and the conformance test checks these types against `openapi.yaml`.

use cpor_domain::claim::{Actor, Claim, HistoryEntry};
use cpor_domain::contact::{CustomerContact, PartnerContact};
use cpor_domain::proof::ProofOfExecution;
use cpor_domain::time::format_instant;
use serde::Serialize;

/// A claim, as `GET /v1/claims` lists it and the moves on it answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimResource {
    pub claim_id: String,
    pub partner_id: String,
    pub partner_name: String,
    pub tenant_id: String,
    pub customer_domain: String,
    pub program: &'static str,
    pub workload: &'static str,
    pub subscription_id: Option<String>,
    pub status: &'static str,
    pub created_at: String,
    pub notified_at: Option<String>,
    pub opt_out_deadline: Option<String>,
    pub decided_at: Option<String>,
    pub customer_contact: CustomerContactResource,
    pub partner_contact: PartnerContactResource,
    pub proof_of_execution: ProofResource,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerContactResource {
    pub name: String,
    pub email: String,
    pub title: Option<String>,
    pub locale: String,
    pub time_zone: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartnerContactResource {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProofResource {
    pub reference: String,
    /// `YYYY-MM-DD`.
    pub signed_on: String,
}

/// A claim with its history, as `GET /v1/claims/{claim_id}` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimWithHistory {
    #[serde(flatten)]
    pub claim: ClaimResource,
    /// Oldest first.
    pub history: Vec<HistoryEntryResource>,
}

/// One entry of a claim's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntryResource {
    pub at: String,
    pub actor: &'static str,
    /// Null for the submission.
    pub from: Option<&'static str>,
    pub to: &'static str,
    pub reason: Option<String>,
}

impl From<&Claim> for ClaimResource {
    fn from(claim: &Claim) -> Self {
        let window = claim.state.window();
        let s = &claim.subject;
        Self {
            claim_id: claim.id.to_string(),
            partner_id: claim.partner_id.as_str().to_owned(),
            partner_name: claim.partner_name.clone(),
            tenant_id: s.tenant_id.to_string(),
            customer_domain: s.customer_domain.as_str().to_owned(),
            program: s.program.code(),
            workload: s.workload.code(),
            subscription_id: s.subscription_id.map(|id| id.to_string()),
            status: claim.status().as_str(),
            created_at: format_instant(claim.created_at),
            notified_at: window.map(|w| format_instant(w.notified_at)),
            opt_out_deadline: window.map(|w| format_instant(w.deadline)),
            decided_at: claim.state.decided_at().map(format_instant),
            customer_contact: (&s.customer_contact).into(),
            partner_contact: (&s.partner_contact).into(),
            proof_of_execution: (&s.proof_of_execution).into(),
        }
    }
}

impl From<&CustomerContact> for CustomerContactResource {
    fn from(c: &CustomerContact) -> Self {
        Self {
            name: c.name.clone(),
            email: c.email.as_str().to_owned(),
            title: c.title.clone(),
            locale: c.locale.as_str().to_owned(),
            time_zone: c.time_zone.name(),
        }
    }
}

impl From<&PartnerContact> for PartnerContactResource {
    fn from(c: &PartnerContact) -> Self {
        Self {
            name: c.name.clone(),
            email: c.email.as_str().to_owned(),
        }
    }
}

impl From<&ProofOfExecution> for ProofResource {
    fn from(p: &ProofOfExecution) -> Self {
        Self {
            reference: p.reference.clone(),
            signed_on: p.signed_on.format("%Y-%m-%d").to_string(),
        }
    }
}

impl From<&HistoryEntry> for HistoryEntryResource {
    fn from(e: &HistoryEntry) -> Self {
        Self {
            at: format_instant(e.at),
            actor: actor(e.actor),
            from: e.from.map(|s| s.as_str()),
            to: e.to.as_str(),
            reason: e.reason.clone(),
        }
    }
}

impl ClaimWithHistory {
    pub fn of(claim: &Claim, history: &[HistoryEntry]) -> Self {
        Self {
            claim: claim.into(),
            history: history.iter().map(HistoryEntryResource::from).collect(),
        }
    }
}

/// The contract's name of an actor.
fn actor(actor: Actor) -> &'static str {
    match actor {
        Actor::Partner => "partner",
        Actor::Customer => "customer",
        Actor::System => "system",
    }
}
