//! Submitting a claim: validate everything, check the reference data, and store the claim with
//! its lock atomically, in the vendor's review queue. Under the automatic review policy the
//! claim is approved in the same write, whose `approved` history entry queues the customer's
//! notification through the history's outbox (the table's stream, the publisher, the bus's
//! rule to the notification queue): no second write after the commit, none to lose.

use super::Attempt::{self, LostRace, Settled};
use crate::caller::Caller;
use crate::claim::{Claim, ClaimSubject, HistoryEntry};
use crate::clock::Clock;
use crate::idempotency::{BodyFingerprint, IdempotencyKey, IdempotencyRecord};
use crate::ids::ClaimId;
use crate::ports::{CreateError, LockHolder, SubmissionStore, Unavailable};
use crate::reference::{ReferenceError, check_subject};
use crate::review::{Message, ReviewPolicy};
use crate::submission::{Submission, parse_submission};
use crate::validation::ValidationErrors;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// The accepted claim, as the first response showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub claim: Claim,
    /// True when this answers a repeated request with the same idempotency key.
    pub replayed: bool,
    pub notification: Notification,
}

/// The customer's notification, after a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notification {
    /// None yet: the claim waits for a reviewer, whose approval queues it.
    AfterReview,
    /// The claim is approved: its `approved` history entry, written in the same transaction,
    /// reaches the notification queue through the history's outbox.
    Queued,
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
    pub clock: &'a dyn Clock,
    pub policy: ReviewPolicy,
}

impl SubmitClaim<'_> {
    /// The notification of a claim as stored: an approved claim's is queued by its history;
    /// a claim in review has none yet.
    fn notification_of(claim: &Claim) -> Notification {
        if claim.status().notification_queued() {
            Notification::Queued
        } else {
            Notification::AfterReview
        }
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
        let Submission { subject, contest } =
            parse_submission(object, now.date_naive()).map_err(SubmitError::Invalid)?;
        let request = Request {
            caller,
            subject,
            contest,
            key,
            fingerprint: BodyFingerprint::of(body),
            now,
        };
        // Twice at most: a concurrent request with the same key may win the write, and then
        // this one answers as that one did.
        for _ in 0..2 {
            if let Settled(submitted) = self.attempt(&request).await? {
                return Ok(submitted);
            }
        }
        Err(SubmitError::Unavailable(Unavailable(
            "the idempotency key is being used by a concurrent request; retry".into(),
        )))
    }

    /// One attempt: the answer of an earlier request with the key, or the new claim stored
    /// (taking its unit, or contesting it when another partner holds it).
    async fn attempt(&self, request: &Request<'_>) -> Result<Attempt<Submitted>, SubmitError> {
        let Request { caller, now, .. } = *request;
        let context = self
            .store
            .submission_context(&caller.partner_id, &request.subject.tenant_id, request.key)
            .await
            .map_err(SubmitError::Unavailable)?;
        if let Some(prior) = context.prior.filter(|p| p.is_live_at(now)) {
            return if prior.fingerprint == request.fingerprint {
                let notification = Self::notification_of(&prior.response);
                Ok(Settled(Submitted {
                    claim: prior.response,
                    replayed: true,
                    notification,
                }))
            } else {
                Err(SubmitError::IdempotencyKeyReused)
            };
        }
        let partner = check_subject(
            &caller.partner_id,
            context.partner.as_ref(),
            context.tenant.as_ref(),
            &request.subject,
        )
        .map_err(SubmitError::Reference)?;
        let id = ClaimId::new_at(now);
        let (claim, entries) = self.new_claim(request, id, &partner.name)?;
        let created = self
            .store
            .create_claim(&claim, &entries, request.idempotency(&claim).as_ref(), None)
            .await;
        let holder = match created {
            Ok(()) => {
                let notification = Self::notification_of(&claim);
                return Ok(Settled(Submitted {
                    claim,
                    replayed: false,
                    notification,
                }));
            }
            Err(CreateError::KeyTaken | CreateError::HolderChanged) => return Ok(LostRace),
            Err(CreateError::LockHeld(holder)) if holder.partner_id != caller.partner_id => holder,
            Err(CreateError::LockHeld(LockHolder { claim_id: own, .. }))
            | Err(CreateError::AlreadyContesting(own)) => {
                return Err(SubmitError::AlreadyClaimed {
                    own_claim: Some(own),
                });
            }
            Err(CreateError::Unavailable(e)) => return Err(SubmitError::Unavailable(e)),
        };
        // Another partner holds the unit: without a contest that is the answer; with one,
        // the claim goes to arbitration instead (always by hand, whatever the policy).
        let Some(justification) = &request.contest else {
            return Err(SubmitError::AlreadyClaimed { own_claim: None });
        };
        self.file_contest(request, id, &partner.name, holder.claim_id, justification)
            .await
    }

    /// The new claim and its history entries: submitted for review, or, under the automatic
    /// policy, approved in the same write.
    fn new_claim(
        &self,
        request: &Request<'_>,
        id: ClaimId,
        partner_name: &str,
    ) -> Result<(Claim, Vec<HistoryEntry>), SubmitError> {
        let (submitted, entry) = Claim::submit(
            id,
            request.caller.partner_id.clone(),
            partner_name.to_owned(),
            request.subject.clone(),
            request.now,
        );
        match self.policy {
            ReviewPolicy::Manual => Ok((submitted, vec![entry])),
            ReviewPolicy::Automatic => {
                let approval = submitted.approve_automatically(request.now).map_err(|e| {
                    SubmitError::Unavailable(Unavailable(format!(
                        "a new claim could not be approved: {e}"
                    )))
                })?;
                let mut entries = vec![entry];
                entries.extend(approval.entries);
                Ok((approval.claim, entries))
            }
        }
    }

    /// Files the claim as a contest of `holder`'s unit, for arbitration. The holder is told in
    /// the same write (`contest_received`), so it may add a newer proof before a reviewer
    /// compares; a holder that let the unit go meanwhile is not.
    async fn file_contest(
        &self,
        request: &Request<'_>,
        id: ClaimId,
        partner_name: &str,
        holder: ClaimId,
        justification: &Message,
    ) -> Result<Attempt<Submitted>, SubmitError> {
        let (claim, entry) = Claim::contest(
            id,
            request.caller.partner_id.clone(),
            partner_name.to_owned(),
            request.subject.clone(),
            request.now,
            holder,
            justification,
        );
        let held = self.store.held_claim(holder).await;
        let told = match held.map_err(SubmitError::Unavailable)? {
            Some(held) => held.receive_contest(request.now).ok(),
            None => None,
        };
        let created = self
            .store
            .create_claim(
                &claim,
                &[entry],
                request.idempotency(&claim).as_ref(),
                told.as_ref(),
            )
            .await;
        match created {
            Ok(()) => {
                tracing::info!(claim_id = %claim.id, "contest filed for arbitration");
                Ok(Settled(Submitted {
                    claim,
                    replayed: false,
                    notification: Notification::AfterReview,
                }))
            }
            Err(CreateError::KeyTaken | CreateError::HolderChanged) => Ok(LostRace),
            Err(CreateError::AlreadyContesting(own)) => Err(SubmitError::AlreadyClaimed {
                own_claim: Some(own),
            }),
            // A contest takes no lock: the store never answers this for one.
            Err(CreateError::LockHeld(_)) => Err(SubmitError::AlreadyClaimed { own_claim: None }),
            Err(CreateError::Unavailable(e)) => Err(SubmitError::Unavailable(e)),
        }
    }
}

/// A submission, read and checked, as each attempt stores it.
struct Request<'a> {
    caller: &'a Caller,
    subject: ClaimSubject,
    contest: Option<Message>,
    key: Option<&'a IdempotencyKey>,
    fingerprint: BodyFingerprint,
    now: DateTime<Utc>,
}

impl Request<'_> {
    /// What the key remembers of the request when `claim` is its answer.
    fn idempotency(&self, claim: &Claim) -> Option<IdempotencyRecord> {
        self.key.map(|key| IdempotencyRecord {
            partner_id: self.caller.partner_id.clone(),
            key: key.as_str().to_owned(),
            fingerprint: self.fingerprint.clone(),
            response: claim.clone(),
            created_at: self.now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caller::Role;
    use crate::claim::HistoryEvent;
    use crate::claim::tests::at;
    use crate::claim::{Actor, ClaimStatus};
    use crate::clock::FixedClock;
    use crate::idempotency::IDEMPOTENCY_WINDOW;
    use crate::ids::TenantId;
    use crate::memory::{MemoryStore, StoreCall};
    use crate::ports::{SubmissionContext, SubmissionStore};
    use crate::reference::ReferenceError;
    use crate::usecase::testing::{
        FABRIKAM, LITWARE, NORTHWIND, admin, body, caller, now, store, submitted,
    };
    use crate::validation::FieldCode;
    use serde_json::json;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// The use case's ports, in memory.
    struct Ports {
        store: MemoryStore,
        clock: FixedClock,
        policy: ReviewPolicy,
    }

    impl Ports {
        fn new() -> Self {
            Self {
                store: store(),
                clock: FixedClock::at(now()),
                // Most rules here concern the notification, which the automatic policy queues.
                policy: ReviewPolicy::Automatic,
            }
        }

        fn usecase(&self) -> SubmitClaim<'_> {
            SubmitClaim {
                store: &self.store,
                clock: &self.clock,
                policy: self.policy,
            }
        }

        async fn submit(
            &self,
            caller: &Caller,
            body: &Value,
            key: Option<&str>,
        ) -> Result<Submitted, SubmitError> {
            let key = key.map(|k| IdempotencyKey::parse(k).unwrap());
            self.usecase().submit(caller, body, key.as_ref()).await
        }
    }

    #[tokio::test]
    async fn a_claim_is_stored_in_review_with_its_lock_and_no_notification_yet() {
        // GIVEN the reference data, no claim, and the manual review policy (the default)
        let mut ports = Ports::new();
        ports.policy = ReviewPolicy::default();
        // WHEN Fabrikam's admin submits a claim
        let submitted = ports
            .submit(&admin(FABRIKAM), &body(), Some("key-1"))
            .await
            .unwrap();
        // THEN the claim is stored as submitted by the partner, named as the registry names it
        assert!(!submitted.replayed);
        assert_eq!(submitted.notification, Notification::AfterReview);
        let claim = submitted.claim;
        assert_eq!(claim.status(), ClaimStatus::Submitted);
        assert_eq!(claim.partner_name, "Fabrikam Consulting");
        assert_eq!((claim.created_at, claim.version), (now(), 1));
        let (stored, history) = ports.store.stored(claim.id).unwrap();
        assert_eq!(stored, claim);
        assert_eq!(history.len(), 1);
        assert_eq!(
            (history[0].actor, history[0].from, history[0].to),
            (Actor::Partner, None, ClaimStatus::Submitted)
        );
        // AND it holds the tenant+workload; a reviewer decides first
        let holder = ports
            .store
            .lock_holder(claim.subject.lock().as_str())
            .unwrap();
        assert_eq!(holder.claim_id, claim.id);
    }

    #[tokio::test]
    async fn under_the_automatic_policy_a_claim_is_approved_in_the_same_write_and_its_notification_queued()
     {
        // GIVEN the automatic review policy
        let ports = Ports::new();
        // WHEN Fabrikam's admin submits a claim
        let submitted = ports
            .submit(&admin(FABRIKAM), &body(), Some("key-1"))
            .await
            .unwrap();
        // THEN it is stored approved, its history saying who did what, and its notification
        // is queued
        assert_eq!(submitted.notification, Notification::Queued);
        let claim = submitted.claim;
        assert_eq!((claim.status(), claim.version), (ClaimStatus::Approved, 2));
        let (_, history) = ports.store.stored(claim.id).unwrap();
        let steps: Vec<_> = history
            .iter()
            .map(|e| (e.actor, e.event, e.code.clone()))
            .collect();
        assert_eq!(
            steps,
            vec![
                (Actor::Partner, HistoryEvent::Submitted, None),
                (
                    Actor::System,
                    HistoryEvent::Approved,
                    Some("automatic_review".to_owned())
                ),
            ]
        );
    }

    #[tokio::test]
    async fn the_same_key_and_body_replays_the_first_answer_and_creates_nothing() {
        // GIVEN a claim submitted with a key
        let ports = Ports::new();
        let first = ports
            .submit(&admin(FABRIKAM), &body(), Some("key-1"))
            .await
            .unwrap();
        // WHEN the same request comes again an hour later
        ports.clock.set(now() + chrono::TimeDelta::hours(1));
        let again = ports
            .submit(&admin(FABRIKAM), &body(), Some("key-1"))
            .await
            .unwrap();
        // THEN it answers the first claim as it was, and stores nothing new
        assert!(again.replayed);
        assert_eq!(again.claim, first.claim);
        assert_eq!(ports.store.claim_count(), 1);
    }

    #[tokio::test]
    async fn the_same_key_with_another_body_is_refused_and_creates_nothing() {
        // GIVEN a claim submitted with a key
        let ports = Ports::new();
        ports
            .submit(&admin(FABRIKAM), &body(), Some("key-1"))
            .await
            .unwrap();
        // WHEN the key comes again with another workload
        let mut other = body();
        other["workload"] = json!("exchange");
        let refused = ports.submit(&admin(FABRIKAM), &other, Some("key-1")).await;
        // THEN it is refused, and nothing is stored or queued
        assert_eq!(refused, Err(SubmitError::IdempotencyKeyReused));
        assert_eq!(ports.store.claim_count(), 1);
    }

    #[tokio::test]
    async fn a_key_is_the_callers_own_and_another_partner_may_use_the_same() {
        // GIVEN Northwind's claim on Contoso's Exchange, submitted with a key
        let ports = Ports::new();
        let mut northwind = body();
        northwind["workload"] = json!("exchange");
        ports
            .submit(&admin(NORTHWIND), &northwind, Some("key-1"))
            .await
            .unwrap();
        // WHEN Fabrikam uses the same key for its own claim
        let submitted = ports
            .submit(&admin(FABRIKAM), &body(), Some("key-1"))
            .await
            .unwrap();
        // THEN Fabrikam's claim is a new one
        assert!(!submitted.replayed);
        assert_eq!(submitted.claim.partner_id.as_str(), FABRIKAM);
        assert_eq!(ports.store.claim_count(), 2);
    }

    #[tokio::test]
    async fn a_key_past_its_day_is_used_afresh() {
        // GIVEN a claim submitted with a key a day ago
        let ports = Ports::new();
        ports
            .submit(&admin(FABRIKAM), &body(), Some("key-1"))
            .await
            .unwrap();
        ports.clock.set(now() + IDEMPOTENCY_WINDOW);
        // WHEN the key comes with a claim on another tenant
        let mut litware = body();
        litware["tenant_id"] = json!(LITWARE);
        litware["customer_domain"] = json!("litware.onmicrosoft.com");
        litware["customer_contact"]["email"] = json!("it@litware.onmicrosoft.com");
        let submitted = ports
            .submit(&admin(FABRIKAM), &litware, Some("key-1"))
            .await
            .unwrap();
        // THEN it is a new claim, and the key now answers it
        assert!(!submitted.replayed);
        assert_eq!(
            submitted.claim.subject.tenant_id,
            TenantId::parse(LITWARE).unwrap()
        );
        let replay = ports
            .submit(&admin(FABRIKAM), &litware, Some("key-1"))
            .await
            .unwrap();
        assert_eq!((replay.replayed, replay.claim), (true, submitted.claim));
        assert_eq!(ports.store.claim_count(), 2);
    }

    /// A store whose first read of the submission context misses the idempotency record: the
    /// read of a request racing another with the same key, which stored first.
    struct StaleFirstRead<'a> {
        store: &'a MemoryStore,
        stale: AtomicBool,
    }

    #[async_trait::async_trait]
    impl SubmissionStore for StaleFirstRead<'_> {
        async fn submission_context(
            &self,
            partner_id: &crate::ids::PartnerId,
            tenant_id: &TenantId,
            key: Option<&IdempotencyKey>,
        ) -> Result<SubmissionContext, Unavailable> {
            let mut context = self
                .store
                .submission_context(partner_id, tenant_id, key)
                .await?;
            if self.stale.swap(false, Ordering::SeqCst) {
                context.prior = None;
            }
            Ok(context)
        }

        async fn create_claim(
            &self,
            claim: &Claim,
            entries: &[crate::claim::HistoryEntry],
            idempotency: Option<&IdempotencyRecord>,
            told: Option<&crate::claim::Transition>,
        ) -> Result<(), CreateError> {
            self.store
                .create_claim(claim, entries, idempotency, told)
                .await
        }

        async fn held_claim(&self, id: ClaimId) -> Result<Option<Claim>, Unavailable> {
            self.store.held_claim(id).await
        }
    }

    #[tokio::test]
    async fn a_request_that_loses_the_race_for_its_key_answers_as_the_winner_did() {
        // GIVEN a request stored with a key, and a second one with the same key and body that
        // read before the first was stored
        let ports = Ports::new();
        let first = ports
            .submit(&admin(FABRIKAM), &body(), Some("key-1"))
            .await
            .unwrap();
        let racing = StaleFirstRead {
            store: &ports.store,
            stale: AtomicBool::new(true),
        };
        // WHEN the second request is stored
        let key = IdempotencyKey::parse("key-1").unwrap();
        let second = SubmitClaim {
            store: &racing,
            ..ports.usecase()
        }
        .submit(&admin(FABRIKAM), &body(), Some(&key))
        .await
        .unwrap();
        // THEN its write finds the key taken, and it answers the first claim
        assert!(second.replayed);
        assert_eq!(second.claim, first.claim);
        assert_eq!(ports.store.claim_count(), 1);
    }

    #[tokio::test]
    async fn a_unit_held_by_another_partner_is_refused_without_naming_its_claim() {
        // GIVEN Northwind's claim on Contoso's Teams
        let ports = Ports::new();
        submitted(&ports.store, NORTHWIND, "teams", at("2026-11-24T09:00:00Z")).await;
        // WHEN Fabrikam claims the same
        let refused = ports.submit(&admin(FABRIKAM), &body(), None).await;
        // THEN it is refused, and Northwind's claim is not named to Fabrikam
        assert_eq!(
            refused,
            Err(SubmitError::AlreadyClaimed { own_claim: None })
        );
        assert_eq!(ports.store.claim_count(), 1);
    }

    #[tokio::test]
    async fn a_unit_held_by_the_callers_own_claim_is_refused_naming_it() {
        // GIVEN Fabrikam's claim on Contoso's Teams
        let ports = Ports::new();
        let own = submitted(&ports.store, FABRIKAM, "teams", at("2026-11-24T09:00:00Z")).await;
        // WHEN Fabrikam claims it again, without a key
        let refused = ports.submit(&admin(FABRIKAM), &body(), None).await;
        // THEN the refusal names Fabrikam's own claim
        assert_eq!(
            refused,
            Err(SubmitError::AlreadyClaimed {
                own_claim: Some(own.id)
            })
        );
        assert_eq!(ports.store.claim_count(), 1);
    }

    #[tokio::test]
    async fn only_an_incentives_admin_may_submit() {
        // GIVEN a viewer and a caller whose role the service does not know
        let ports = Ports::new();
        for refused in [
            caller(FABRIKAM, Some(Role::IncentivesUser)),
            caller(FABRIKAM, None),
        ] {
            // WHEN they submit a valid claim
            let answer = ports.submit(&refused, &body(), Some("key-1")).await;
            // THEN it is forbidden, and nothing is stored or queued
            assert_eq!(answer, Err(SubmitError::Forbidden), "{refused:?}");
        }
        assert_eq!(ports.store.claim_count(), 0);
    }

    #[tokio::test]
    async fn every_refused_field_is_reported_at_once_and_nothing_is_stored() {
        // GIVEN a body with three faults
        let ports = Ports::new();
        let mut bad = body();
        bad["tenant_id"] = json!("not-a-guid");
        bad["customer_contact"]["email"] = json!("nope");
        bad["colour"] = json!("blue");
        // WHEN it is submitted
        let refused = ports.submit(&admin(FABRIKAM), &bad, None).await;
        // THEN each fault is named, and nothing is stored
        let Err(SubmitError::Invalid(errors)) = refused else {
            panic!("expected the fields refused, got {refused:?}");
        };
        let mut codes: Vec<(&str, FieldCode)> = errors
            .errors()
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        codes.sort();
        let mut expected = vec![
            ("colour", FieldCode::UnknownField),
            ("customer_contact.email", FieldCode::InvalidEmail),
            ("tenant_id", FieldCode::InvalidGuid),
        ];
        expected.sort();
        assert_eq!(codes, expected);
        assert_eq!(ports.store.claim_count(), 0);
    }

    #[tokio::test]
    async fn a_body_that_is_not_an_object_is_refused() {
        let ports = Ports::new();
        let refused = ports.submit(&admin(FABRIKAM), &json!([body()]), None).await;
        assert_eq!(refused, Err(SubmitError::NotAnObject));
    }

    #[tokio::test]
    async fn a_claim_the_reference_data_refuses_is_not_stored() {
        // GIVEN Northwind, which is not enrolled in business applications
        let ports = Ports::new();
        let mut bizapps = body();
        bizapps["program"] = json!("osu-bizapps");
        bizapps["workload"] = json!("dynamics-sales");
        bizapps["subscription_id"] = json!("11111111-2222-3333-4444-555555555555");
        // WHEN Northwind claims a business-applications workload
        let refused = ports.submit(&admin(NORTHWIND), &bizapps, None).await;
        // THEN the reference data refuses it, and nothing is stored
        assert!(matches!(
            refused,
            Err(SubmitError::Reference(
                ReferenceError::PartnerNotEnrolled { .. }
            ))
        ));
        assert_eq!(ports.store.claim_count(), 0);
        // AND Fabrikam, which is enrolled, may
        assert!(ports.submit(&admin(FABRIKAM), &bizapps, None).await.is_ok());
    }

    #[tokio::test]
    async fn a_store_that_cannot_be_reached_fails_the_submission_for_a_retry() {
        // GIVEN a store whose write fails
        let ports = Ports::new();
        ports.store.fail(StoreCall::CreateClaim, 1);
        // WHEN a claim is submitted
        let failed = ports.submit(&admin(FABRIKAM), &body(), Some("key-1")).await;
        // THEN the request fails as unavailable, leaving nothing behind
        assert!(matches!(failed, Err(SubmitError::Unavailable(_))));
        assert_eq!(ports.store.claim_count(), 0);
        // AND the same request, retried, is stored
        let retried = ports
            .submit(&admin(FABRIKAM), &body(), Some("key-1"))
            .await
            .unwrap();
        assert!(!retried.replayed);
    }
}
