//! Submitting a claim: validate everything, check the reference data, store the claim with its
//! lock atomically, and queue the customer's notification.

use crate::caller::Caller;
use crate::claim::Claim;
use crate::clock::{Clock, Pause};
use crate::idempotency::{BodyFingerprint, IdempotencyKey, IdempotencyRecord};
use crate::ids::ClaimId;
use crate::ports::{CreateError, NotificationQueue, SubmissionStore, Unavailable};
use crate::reference::{ReferenceError, check_subject};
use crate::retry::RETRY;
use crate::submission::parse_submission;
use crate::validation::ValidationErrors;
use serde_json::Value;

/// The accepted claim, as the first response showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub claim: Claim,
    /// True when this answers a repeated request with the same idempotency key.
    pub replayed: bool,
    /// False when the claim is stored but its notification could not be queued: it stays
    /// `submitted` until the partner repeats the request or an operator re-sends it.
    pub notification_queued: bool,
}

/// Why a submission was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The caller may not submit.
    #[error("only an incentives admin may submit claims")]
    Forbidden,
    /// The body is JSON but not an object.
    #[error("the body must be a JSON object")]
    NotAnObject,
    /// Fields were refused.
    #[error(transparent)]
    Invalid(ValidationErrors),
    /// The reference data refuses the claim.
    #[error(transparent)]
    Reference(ReferenceError),
    /// The tenant+workload is held; `own_claim` is the holder when it is the caller's.
    #[error("the tenant and workload already have an active claim or association")]
    AlreadyClaimed {
        /// The caller's own claim that holds it, if it is the caller's.
        own_claim: Option<ClaimId>,
    },
    /// The idempotency key came before with another body.
    #[error("the idempotency key was used with a different body")]
    IdempotencyKeyReused,
    /// A dependency failed; the request may be retried.
    #[error(transparent)]
    Unavailable(Unavailable),
}

/// The submit-claim use case.
pub struct SubmitClaim<'a> {
    /// Claims, locks, reference data and idempotency records.
    pub store: &'a dyn SubmissionStore,
    pub queue: &'a dyn NotificationQueue,
    pub clock: &'a dyn Clock,
    /// Waiting between attempts to queue the notification.
    pub pause: &'a dyn Pause,
}

impl SubmitClaim<'_> {
    /// Queues the claim's notification, retrying beyond the SDK's own retries. If it still
    /// fails, the claim is stored and stays `submitted`, visible to the partner: a retry of the
    /// same request (same idempotency key) queues it again, and an operator can re-send it.
    /// Failing the request instead would make the partner retry into a 409 on their own claim.
    /// Returns whether it was queued.
    async fn queue_notification(&self, claim_id: ClaimId) -> bool {
        let queued = RETRY
            .run(
                "queueing the notification",
                self.pause,
                || self.queue.enqueue(claim_id),
                |_| true,
            )
            .await;
        if let Err(e) = &queued {
            tracing::error!(%claim_id, error = %e, "claim stored but its notification could not be queued");
        }
        queued.is_ok()
    }

    /// Submits `body` for `caller`.
    pub async fn submit(
        &self,
        caller: &Caller,
        body: &Value,
        key: Option<&IdempotencyKey>,
    ) -> Result<Submitted, SubmitError> {
        if !caller.may_manage_claims() {
            return Err(SubmitError::Forbidden);
        }
        let object = body.as_object().ok_or(SubmitError::NotAnObject)?;
        let now = self.clock.now();
        let subject = parse_submission(object, now.date_naive()).map_err(SubmitError::Invalid)?;
        let fingerprint = BodyFingerprint::of(body);

        // Twice at most: a concurrent request with the same key may win the write, and then
        // this one answers as that one did.
        for _ in 0..2 {
            let context = self
                .store
                .submission_context(&caller.partner_id, &subject.tenant_id, key)
                .await
                .map_err(SubmitError::Unavailable)?;
            if let Some(prior) = context.prior.filter(|p| p.is_live_at(now)) {
                return if prior.fingerprint == fingerprint {
                    // A retry may follow a first attempt whose notification could not be
                    // queued: queue it again (notify-customer ignores a claim it already did).
                    let notification_queued = self.queue_notification(prior.response.id).await;
                    Ok(Submitted {
                        claim: prior.response,
                        replayed: true,
                        notification_queued,
                    })
                } else {
                    Err(SubmitError::IdempotencyKeyReused)
                };
            }
            let partner = check_subject(
                &caller.partner_id,
                context.partner.as_ref(),
                context.tenant.as_ref(),
                &subject,
            )
            .map_err(SubmitError::Reference)?;
            let (claim, entry) = Claim::submit(
                ClaimId::new_at(now),
                caller.partner_id.clone(),
                partner.name.clone(),
                subject.clone(),
                now,
            );
            let idempotency = key.map(|key| IdempotencyRecord {
                partner_id: caller.partner_id.clone(),
                key: key.as_str().to_owned(),
                fingerprint: fingerprint.clone(),
                response: claim.clone(),
                created_at: now,
            });
            match self
                .store
                .create_claim(&claim, &entry, idempotency.as_ref())
                .await
            {
                Ok(()) => {
                    let notification_queued = self.queue_notification(claim.id).await;
                    return Ok(Submitted {
                        claim,
                        replayed: false,
                        notification_queued,
                    });
                }
                Err(CreateError::KeyTaken) => continue,
                Err(CreateError::LockHeld(holder)) => {
                    return Err(SubmitError::AlreadyClaimed {
                        own_claim: (holder.partner_id == caller.partner_id)
                            .then_some(holder.claim_id),
                    });
                }
                Err(CreateError::Unavailable(e)) => return Err(SubmitError::Unavailable(e)),
            }
        }
        Err(SubmitError::Unavailable(Unavailable(
            "the idempotency key is being used by a concurrent request; retry".into(),
        )))
    }
}
