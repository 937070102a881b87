//! Each use case's refusals as the problems the API answers with: one `From` conversion per
//! error type, so every door answers the same refusal with the same code, and a door's `?` does
//! the conversion.

use crate::problem::Problem;
use cpor_domain::command::BodyError;
use cpor_domain::reference::ReferenceError;
use cpor_domain::usecase::documents::DocumentError;
use cpor_domain::usecase::manage::ManageError;
use cpor_domain::usecase::review::ReviewError;
use cpor_domain::usecase::submit::SubmitError;
use serde_json::json;

impl From<BodyError> for Problem {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::NotAnObject => Problem::not_an_object(),
            BodyError::Invalid(errors) => Problem::validation(&errors),
        }
    }
}

impl From<ManageError> for Problem {
    fn from(error: ManageError) -> Self {
        match error {
            ManageError::Forbidden => Problem::forbidden("your role may not do this"),
            ManageError::NotFound => Problem::claim_not_found(),
            ManageError::AlreadyFinal(status) => Problem::already_final(status),
            ManageError::InvalidTransition(status) => Problem::invalid_transition(status),
            ManageError::ResponseWindowClosed(due) => Problem::new(
                409,
                "response_window_closed",
                "The time to respond has ended",
                format!(
                    "the response was due by {}; the claim will be rejected",
                    cpor_domain::time::format_instant(due)
                ),
            ),
            ManageError::DisputeWindowClosed(until) => Problem::new(
                409,
                "dispute_window_closed",
                "The time to dispute has ended",
                format!(
                    "the rejection could be disputed until {}",
                    cpor_domain::time::format_instant(until)
                ),
            ),
            ManageError::ProofNotNewer(current) => Problem::new(
                422,
                "proof_not_newer",
                "The proof of execution is not newer",
                format!("the proof of execution must be signed after the current one ({current})"),
            ),
            // The body of a correction is the contact itself: its address is `email`.
            ManageError::ContactDomainMismatch(refusal) => {
                Problem::contact_domain_mismatch("email", &refusal)
            }
            ManageError::TooManyCorrections => Problem::new(
                429,
                "too_many_corrections",
                "The contact was corrected too often",
                format!(
                    "the customer was e-mailed again through {} corrections of the contact already; \
                     the claim can be withdrawn and a new claim submitted",
                    cpor_domain::claim::MAX_EMAILING_CORRECTIONS
                ),
            ),
            ManageError::TooManyChanges => Problem::new(
                429,
                "too_many_changes",
                "The claim was changed too often",
                format!(
                    "the claim records {} changes by its partner already",
                    cpor_domain::claim::MAX_PARTNER_ENTRIES
                ),
            ),
            ManageError::Unavailable(e) => Problem::unavailable(&e),
        }
    }
}

impl From<DocumentError> for Problem {
    fn from(error: DocumentError) -> Self {
        match error {
            DocumentError::Forbidden => Problem::forbidden("your role may not do this"),
            DocumentError::ClaimNotFound => Problem::claim_not_found(),
            DocumentError::DocumentNotFound => Problem::new(
                404,
                "document_not_found",
                "No such document",
                "this claim has no such document (a download needs an uploaded one)",
            ),
            DocumentError::AlreadyUploaded => Problem::new(
                409,
                "document_already_uploaded",
                "Document already uploaded",
                "its bytes arrived and counted: an uploaded document is evidence and stays",
            ),
            DocumentError::Invalid(errors) => Problem::validation(&errors),
            DocumentError::AlreadyFinal(status) => Problem::already_final(status),
            DocumentError::TooMany => Problem::new(
                422,
                "too_many_documents",
                "Too many documents",
                format!(
                    "a claim may have at most {} documents",
                    cpor_domain::document::MAX_DOCUMENTS
                ),
            ),
            DocumentError::Unavailable(e) => Problem::unavailable(&e),
        }
    }
}

impl From<ReviewError> for Problem {
    fn from(error: ReviewError) -> Self {
        match error {
            ReviewError::NotFound => Problem::new(
                404,
                "claim_not_found",
                "No such claim",
                "no claim has this id",
            ),
            ReviewError::Invalid(errors) => Problem::validation(&errors),
            ReviewError::InvalidTransition(status) => Problem::invalid_transition(status),
            ReviewError::UnitHeld => Problem::new(
                409,
                "workload_already_claimed",
                "The tenant and workload are already claimed",
                "another claim holds this tenant and workload now; the dispute cannot be approved \
                 while it does",
            ),
            ReviewError::ArbitrationStale => Problem::new(
                409,
                "arbitration_stale",
                "The claims changed after they were compared",
                "the contest or the claim it contests changed after the page was read (a newer \
                 proof, a status move): read the claim again, compare, and decide on what it shows",
            ),
            ReviewError::Unavailable(e) => Problem::unavailable(&e),
        }
    }
}

impl From<SubmitError> for Problem {
    fn from(error: SubmitError) -> Self {
        match error {
            SubmitError::Forbidden => {
                Problem::forbidden("only an incentives_admin may submit claims")
            }
            SubmitError::NotAnObject => Problem::new(
                400,
                "malformed_json",
                "The body is not a JSON object",
                error.to_string(),
            ),
            SubmitError::Invalid(errors) => Problem::validation(&errors),
            SubmitError::Reference(reference) => {
                let code = match &reference {
                    ReferenceError::PartnerNotEnrolled { .. } => "partner_not_enrolled",
                    ReferenceError::UnknownTenant(_) => "unknown_tenant",
                    ReferenceError::DomainTenantMismatch { .. } => "domain_tenant_mismatch",
                    ReferenceError::SubscriptionNotFound { .. } => "subscription_not_found",
                    ReferenceError::SubscriptionNotActive { .. } => "subscription_not_active",
                    ReferenceError::ContactDomainMismatch(refusal) => {
                        return Problem::contact_domain_mismatch("customer_contact.email", refusal);
                    }
                };
                Problem::new(
                    422,
                    code,
                    "The claim does not match the reference data",
                    reference.to_string(),
                )
            }
            SubmitError::AlreadyClaimed { own_claim } => {
                let problem = Problem::new(
                    409,
                    "workload_already_claimed",
                    "The tenant and workload are already claimed",
                    match own_claim {
                        Some(_) => {
                            "you already have an active claim or association for this tenant and workload"
                        }
                        None => {
                            "this tenant and workload already have a partner of record or a pending claim"
                        }
                    },
                );
                match own_claim {
                    Some(id) => problem.with("existing_claim_id", json!(id.to_string())),
                    None => problem,
                }
            }
            SubmitError::IdempotencyKeyReused => Problem::new(
                422,
                "idempotency_key_reused",
                "The idempotency key was used with another body",
                "this Idempotency-Key was used in the last 24 hours with a different body; use a new key",
            ),
            SubmitError::Unavailable(e) => Problem::unavailable(&e),
        }
    }
}
