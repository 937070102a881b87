//! Submissions ([`SubmissionStore`]): the reference data and idempotency record a submission is
//! checked against, in one round trip, and the new claim with its lock, all or nothing; and the
//! tenant's record alone ([`TenantDirectory`]), which a correction's contact is checked against.

use super::expression::Expression;
use super::record::{IdempotencyItem, LockRecord, field, from_item};
use super::transaction::{Part, TransactError, Transaction};
use super::{
    DynamoStore, build, claim_item, event_item, inconsistent, keyed, keys, lock_item, s,
    sort_key_of, unavailable,
};
use crate::pause::TokioPause;
use crate::schema::PK;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::KeysAndAttributes;
use cpor_domain::claim::{Claim, ClaimStatus, HistoryEntry, Transition};
use cpor_domain::events::EventSubject;
use cpor_domain::idempotency::{IDEMPOTENCY_WINDOW, IdempotencyKey, IdempotencyRecord};
use cpor_domain::ids::{ClaimId, PartnerId, TenantId};
use cpor_domain::ports::{
    CreateError, LockHolder, SubmissionContext, SubmissionStore, TenantDirectory, Unavailable,
};
use cpor_domain::reference::{PartnerRecord, TenantRecord};
use cpor_domain::retry::RETRY;
use cpor_domain::time::format_instant;
use std::sync::Mutex;

impl DynamoStore {
    /// Who holds the lock that refused a new claim: the holder the failed condition returned,
    /// or, if the answer did not carry it, the lock as it is now.
    async fn lock_holder(
        &self,
        claim: &Claim,
        returned: Option<&super::record::Item>,
    ) -> Result<LockHolder, Unavailable> {
        let item = match returned {
            Some(item) if item.contains_key(field::CLAIM_ID) => Some(item.clone()),
            Some(_) | None => self.get("lock", &keys::lock(&claim.subject.lock())).await?,
        };
        match item.map(|item| from_item::<LockRecord>(&item)) {
            Some(Ok(lock)) => Ok(LockHolder {
                claim_id: lock.claim_id,
                partner_id: lock.partner_id,
            }),
            // The holder ended between our write and this read; the caller may retry.
            Some(Err(_)) | None => Err(Unavailable(
                "the partner-of-record lock changed; retry".into(),
            )),
        }
    }

    /// Reads `keys` in one `BatchGetItem`, asking again (the retry policy) for the keys that
    /// DynamoDB left unprocessed.
    async fn batch_get(
        &self,
        keys: KeysAndAttributes,
    ) -> Result<Vec<super::record::Item>, Unavailable> {
        // Shared by the attempts; a lock is never held across an await.
        let items = Mutex::new(Vec::new());
        let pending = Mutex::new(Some(keys));
        RETRY
            .run(
                "BatchGetItem with unprocessed keys",
                &TokioPause,
                || async {
                    let Some(keys) = lock(&pending).take() else {
                        return Ok(());
                    };
                    let out = self
                        .client
                        .batch_get_item()
                        .request_items(&self.table, keys)
                        .send()
                        .await
                        .map_err(|e| Retry::Failed(unavailable("BatchGetItem", &e)))?;
                    lock(&items).extend(
                        out.responses()
                            .and_then(|r| r.get(&self.table))
                            .into_iter()
                            .flatten()
                            .cloned(),
                    );
                    let unprocessed = out
                        .unprocessed_keys()
                        .and_then(|u| u.get(&self.table))
                        .filter(|k| !k.keys().is_empty())
                        .cloned();
                    let left = unprocessed.is_some();
                    *lock(&pending) = unprocessed;
                    if left {
                        Err(Retry::Unprocessed)
                    } else {
                        Ok(())
                    }
                },
                |e| matches!(e, Retry::Unprocessed),
            )
            .await
            .map_err(|e| match e {
                Retry::Failed(e) => e,
                Retry::Unprocessed => Unavailable("BatchGetItem: keys left unprocessed".into()),
            })?;
        Ok(items.into_inner().unwrap_or_else(|e| e.into_inner()))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Why a batch read is not done.
#[derive(Debug)]
enum Retry {
    Unprocessed,
    Failed(Unavailable),
}

impl std::fmt::Display for Retry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unprocessed => f.write_str("keys left unprocessed"),
            Self::Failed(e) => e.fmt(f),
        }
    }
}

#[async_trait]
impl TenantDirectory for DynamoStore {
    async fn tenant(&self, id: TenantId) -> Result<Option<TenantRecord>, Unavailable> {
        self.get("tenant", &keys::tenant(id))
            .await?
            .map(|item| {
                from_item::<TenantRecord>(&item)
                    .map_err(|e| inconsistent(format!("{} item: {e}", keys::sk::TENANT)))
            })
            .transpose()
    }
}

#[async_trait]
impl SubmissionStore for DynamoStore {
    async fn held_claim(&self, id: ClaimId) -> Result<Option<Claim>, Unavailable> {
        cpor_domain::ports::ClaimRepository::claim(self, id).await
    }

    async fn submission_context(
        &self,
        partner_id: &PartnerId,
        tenant_id: &TenantId,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<SubmissionContext, Unavailable> {
        let mut wanted = vec![
            keys::partner(partner_id).attributes(),
            keys::tenant(*tenant_id).attributes(),
        ];
        if let Some(k) = idempotency_key {
            wanted.push(keys::idempotency(partner_id, k.as_str()).attributes());
        }
        let request = build(
            "keys",
            KeysAndAttributes::builder()
                .set_keys(Some(wanted))
                .consistent_read(true)
                .build(),
        )?;
        let mut context = SubmissionContext::default();
        for item in self.batch_get(request).await? {
            let sk = sort_key_of(&item);
            let corrupt = |e: serde_dynamo::Error| inconsistent(format!("{sk} item: {e}"));
            match sk.as_str() {
                keys::sk::PARTNER => {
                    context.partner = Some(from_item::<PartnerRecord>(&item).map_err(corrupt)?);
                }
                keys::sk::TENANT => {
                    context.tenant = Some(from_item::<TenantRecord>(&item).map_err(corrupt)?);
                }
                keys::sk::IDEMPOTENCY => {
                    let stored = from_item::<IdempotencyItem>(&item).map_err(corrupt)?;
                    context.prior =
                        Some(IdempotencyRecord::try_from(stored).map_err(inconsistent)?);
                }
                other => return Err(inconsistent(format!("unexpected item {other}"))),
            }
        }
        Ok(context)
    }

    async fn create_claim(
        &self,
        claim: &Claim,
        entries: &[HistoryEntry],
        idempotency: Option<&IdempotencyRecord>,
        told: Option<&Transition>,
    ) -> Result<(), CreateError> {
        let mut tx = Transaction::new(&self.table);
        if let Some(told) = told {
            self.claim_change(&mut tx, told, Part::Holder, Part::Holder)?;
        }
        tx.put_if(Part::Claim, claim_item(claim)?, |e: &mut Expression| {
            e.not_exists(PK)
        })?;
        for entry in entries {
            tx.put_if(
                Part::Event,
                event_item(claim.id, entry, Some(&EventSubject::of(claim)))?,
                |e| e.not_exists(PK),
            )?;
        }
        let contest = keys::contest(&claim.subject.lock(), &claim.partner_id);
        match claim.status() {
            // A contest takes no lock: it is its partner's one contest of the unit.
            ClaimStatus::Contested => {
                let item = keyed(
                    &LockRecord {
                        claim_id: claim.id,
                        partner_id: claim.partner_id.clone(),
                    },
                    &contest,
                    [],
                )?;
                tx.put_if(Part::Contest, item, |e| e.not_exists(PK))?;
            }
            ClaimStatus::Submitted
            | ClaimStatus::InformationRequested
            | ClaimStatus::Approved
            | ClaimStatus::AwaitingCustomer
            | ClaimStatus::Associated
            | ClaimStatus::Rejected
            | ClaimStatus::Disputed
            | ClaimStatus::Declined
            | ClaimStatus::Withdrawn
            | ClaimStatus::Superseded
            | ClaimStatus::CustomerUnreachable
            | ClaimStatus::Revoked => {
                tx.put_if(Part::Lock, lock_item(claim)?, |e| e.not_exists(PK))?;
                tx.check(Part::Contest, &contest, |e| e.not_exists(PK))?;
            }
        }
        if let Some(record) = idempotency {
            let item = keyed(
                &IdempotencyItem::from(record),
                &keys::idempotency(&record.partner_id, &record.key),
                [],
            )?;
            // A record past its window may be replaced: TTL deletion can lag by days.
            let expired_before = format_instant(record.created_at - IDEMPOTENCY_WINDOW);
            tx.put_if(Part::Idempotency, item, |e| {
                format!(
                    "{} OR {}",
                    e.not_exists(PK),
                    e.at_most(field::CREATED_AT, s(expired_before))
                )
            })?;
        }
        match tx.commit_through_conflicts(&self.client).await {
            Ok(()) => Ok(()),
            Err(TransactError::Unavailable(e)) => Err(e.into()),
            // The claim's id is new: if it exists, this transaction already took effect and
            // only its answer was lost before the SDK retried it.
            Err(TransactError::Cancelled(c)) if c.failed_check(Part::Claim) => Ok(()),
            Err(TransactError::Cancelled(c)) if c.failed_check(Part::Idempotency) => {
                Err(CreateError::KeyTaken)
            }
            Err(TransactError::Cancelled(c)) if c.failed_check(Part::Holder) => {
                Err(CreateError::HolderChanged)
            }
            Err(TransactError::Cancelled(c)) if c.failed_check(Part::Lock) => Err(
                CreateError::LockHeld(self.lock_holder(claim, c.returned(Part::Lock)).await?),
            ),
            Err(TransactError::Cancelled(c)) if c.failed_check(Part::Contest) => {
                let contest = match c.returned(Part::Contest) {
                    Some(item) if item.contains_key(field::CLAIM_ID) => Some(item.clone()),
                    Some(_) | None => self.get("contest", &contest).await?,
                };
                match contest.map(|item| from_item::<LockRecord>(&item)) {
                    Some(Ok(contest)) => Err(CreateError::AlreadyContesting(contest.claim_id)),
                    // The contest ended between our write and this read; the caller may retry.
                    Some(Err(_)) | None => Err(CreateError::Unavailable(Unavailable(
                        "the partner's contest of the unit changed; retry".into(),
                    ))),
                }
            }
            Err(TransactError::Cancelled(c)) => Err(CreateError::Unavailable(Unavailable(
                format!("claim not stored: {c}"),
            ))),
        }
    }
}
