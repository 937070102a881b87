//! The partner's own view of its claims: list, inspect, withdraw.

use crate::caller::Caller;
use crate::claim::{Claim, ClaimStatus, HistoryEntry, TransitionError, WithdrawalReason};
use crate::clock::Clock;
use crate::ids::ClaimId;
use crate::listing::{ClaimPage, ListQuery};
use crate::ports::{ApplyError, ClaimRepository, Unavailable};
use crate::validation::{ObjectReader, ValidationErrors};
use serde_json::Value;

/// Why a request about claims was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManageError {
    /// The caller's role may not do this.
    #[error("your role may not do this")]
    Forbidden,
    /// No such claim of the caller's (another partner's claims do not exist for the caller).
    #[error("no such claim")]
    NotFound,
    /// The body is JSON but not an object.
    #[error("the body must be a JSON object")]
    NotAnObject,
    /// Fields were refused.
    #[error(transparent)]
    Invalid(ValidationErrors),
    /// The claim is already declined or withdrawn.
    #[error("the claim is already {0}")]
    AlreadyFinal(ClaimStatus),
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// The manage-claims use cases.
pub struct ClaimDesk<'a> {
    pub claims: &'a dyn ClaimRepository,
    pub clock: &'a dyn Clock,
}

impl ClaimDesk<'_> {
    /// A page of the caller's claims.
    pub async fn list(&self, caller: &Caller, query: &ListQuery) -> Result<ClaimPage, ManageError> {
        if !caller.may_view_claims() {
            return Err(ManageError::Forbidden);
        }
        Ok(self.claims.list_claims(&caller.partner_id, query).await?)
    }

    /// One of the caller's claims with its history.
    pub async fn get(
        &self,
        caller: &Caller,
        claim_id: &str,
    ) -> Result<(Claim, Vec<HistoryEntry>), ManageError> {
        if !caller.may_view_claims() {
            return Err(ManageError::Forbidden);
        }
        let id = ClaimId::parse(claim_id).ok_or(ManageError::NotFound)?;
        match self.claims.claim_with_history(id).await? {
            Some((claim, history)) if claim.partner_id == caller.partner_id => Ok((claim, history)),
            _ => Err(ManageError::NotFound),
        }
    }

    /// Withdraws one of the caller's claims, or disassociates from its customer.
    pub async fn withdraw(
        &self,
        caller: &Caller,
        claim_id: &str,
        body: &Value,
    ) -> Result<Claim, ManageError> {
        if !caller.may_manage_claims() {
            return Err(ManageError::Forbidden);
        }
        let object = body.as_object().ok_or(ManageError::NotAnObject)?;
        let mut errors = ValidationErrors::default();
        let reader = ObjectReader::new(object);
        reader.reject_unknown(&["reason"], &mut errors);
        let reason = reader.required("reason", &mut errors, WithdrawalReason::parse);
        let reason = errors
            .into_result(|| reason)
            .map_err(ManageError::Invalid)?;

        let id = ClaimId::parse(claim_id).ok_or(ManageError::NotFound)?;
        for _ in 0..super::CONFLICT_RETRIES {
            let claim = match self.claims.claim(id).await? {
                Some(claim) if claim.partner_id == caller.partner_id => claim,
                _ => return Err(ManageError::NotFound),
            };
            let transition = match claim.withdraw(self.clock.now(), reason.clone()) {
                Ok(t) => t,
                Err(TransitionError::AlreadyFinal(status)) => {
                    return Err(ManageError::AlreadyFinal(status));
                }
                // Withdrawing is allowed from every status that is not final.
                Err(
                    TransitionError::NotAllowedFrom(_)
                    | TransitionError::WindowClosed(_)
                    | TransitionError::WindowStillOpen(_),
                ) => return Err(ManageError::AlreadyFinal(claim.status())),
            };
            match self.claims.apply(&transition).await {
                Ok(()) => {
                    tracing::info!(claim_id = %id, "claim withdrawn");
                    return Ok(transition.claim);
                }
                Err(ApplyError::Conflict) => continue,
                Err(ApplyError::Unavailable(e)) => return Err(e.into()),
            }
        }
        Err(Unavailable("the claim kept changing while it was withdrawn".into()).into())
    }
}
