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
use cpor_domain::claim::{Claim, HistoryEntry, Transition};
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

/// What several submissions are checked against, read at once: the partner, the tenants found
/// (by id), and the idempotency records found (by key).
#[derive(Debug, Clone, Default)]
pub struct SubmissionContexts {
    pub partner: Option<PartnerRecord>,
    pub tenants: std::collections::HashMap<TenantId, TenantRecord>,
    pub priors: std::collections::HashMap<String, IdempotencyRecord>,
}

impl DynamoStore {
    /// What the submissions of a chunk of a batch are checked against, in one round trip: the
    /// partner, each tenant the rows name, and the prior use of each row's idempotency key (at
    /// most 100 keys, DynamoDB's limit for one `BatchGetItem`).
    pub async fn submission_contexts(
        &self,
        partner_id: &PartnerId,
        tenants: &[TenantId],
        idempotency_keys: &[IdempotencyKey],
    ) -> Result<SubmissionContexts, Unavailable> {
        let mut wanted = vec![keys::partner(partner_id).attributes()];
        let mut tenants = tenants.to_vec();
        tenants.sort_by_key(ToString::to_string);
        tenants.dedup();
        wanted.extend(tenants.iter().map(|t| keys::tenant(*t).attributes()));
        wanted.extend(
            idempotency_keys
                .iter()
                .map(|k| keys::idempotency(partner_id, k.as_str()).attributes()),
        );
        let request = build(
            "keys",
            KeysAndAttributes::builder()
                .set_keys(Some(wanted))
                .consistent_read(true)
                .build(),
        )?;
        self.read_contexts(request).await
    }

    /// Reads `request`'s partner, tenants and idempotency records.
    async fn read_contexts(
        &self,
        request: KeysAndAttributes,
    ) -> Result<SubmissionContexts, Unavailable> {
        let mut contexts = SubmissionContexts::default();
        for item in self.batch_get(request).await? {
            let sk = sort_key_of(&item);
            let corrupt = |e: serde_dynamo::Error| inconsistent(format!("{sk} item: {e}"));
            match sk.as_str() {
                keys::sk::PARTNER => {
                    contexts.partner = Some(from_item::<PartnerRecord>(&item).map_err(corrupt)?);
                }
                keys::sk::TENANT => {
                    let tenant = from_item::<TenantRecord>(&item).map_err(corrupt)?;
                    contexts.tenants.insert(tenant.tenant_id, tenant);
                }
                keys::sk::IDEMPOTENCY => {
                    let stored = from_item::<IdempotencyItem>(&item).map_err(corrupt)?;
                    let record = IdempotencyRecord::try_from(stored).map_err(inconsistent)?;
                    contexts.priors.insert(record.key.clone(), record);
                }
                other => return Err(inconsistent(format!("unexpected item {other}"))),
            }
        }
        Ok(contexts)
    }

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
    pub(super) async fn batch_get(
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
        let mut contexts = self.read_contexts(request).await?;
        Ok(SubmissionContext {
            partner: contexts.partner,
            tenant: contexts.tenants.remove(tenant_id),
            prior: idempotency_key.and_then(|k| contexts.priors.remove(k.as_str())),
        })
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
        if claim.status().contests_its_unit() {
            // A contest takes no lock: it is its partner's one contest of the unit.
            let item = keyed(
                &LockRecord {
                    claim_id: claim.id,
                    partner_id: claim.partner_id.clone(),
                },
                &contest,
                [],
            )?;
            tx.put_if(Part::Contest, item, |e| e.not_exists(PK))?;
        } else {
            tx.put_if(Part::Lock, lock_item(claim)?, |e| e.not_exists(PK))?;
            tx.check(Part::Contest, &contest, |e| e.not_exists(PK))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::keys::ItemKey;
    use crate::dynamo::record::tests::submitted;
    use crate::dynamo::replay::{
        DynamoRequest, Replay, ScriptedDynamo, cancel, check_failed, got, internal_error,
        transaction_conflict, wire, written,
    };
    use cpor_domain::idempotency::BodyFingerprint;
    use cpor_domain::review::Message;
    use serde_json::{Value, json};

    /// Another partner's claim on the unit [`submitted`] claims.
    fn rival() -> Claim {
        let mut rival = submitted();
        rival.id = ClaimId::new_at(rival.created_at + chrono::TimeDelta::minutes(1));
        rival.partner_id = PartnerId::parse("7654321").unwrap();
        rival
    }

    /// A contest of `holder`'s unit by `rival`'s partner, with the holder's change telling it.
    fn contest_of(holder: &Claim) -> (Claim, Transition) {
        let rival = rival();
        let at = rival.created_at;
        let message = Message::parse("we did the work").unwrap();
        let (contest, _) = Claim::contest(
            rival.id,
            rival.partner_id,
            rival.partner_name,
            holder.subject.clone(),
            at,
            holder.id,
            &message,
        );
        (contest, holder.receive_contest(at).unwrap())
    }

    fn record_of(claim: &Claim) -> IdempotencyRecord {
        IdempotencyRecord {
            partner_id: claim.partner_id.clone(),
            key: "k-1".into(),
            fingerprint: BodyFingerprint::of(&json!({})),
            response: claim.clone(),
            created_at: claim.created_at,
        }
    }

    fn lock_of(claim: &Claim) -> ItemKey {
        keys::lock(&claim.subject.lock())
    }

    fn contest_key(claim: &Claim) -> ItemKey {
        keys::contest(&claim.subject.lock(), &claim.partner_id)
    }

    /// The lock or contest record of `claim`, as a failed condition returns it.
    fn record_item(claim: &Claim, key: &ItemKey) -> Value {
        let record = LockRecord {
            claim_id: claim.id,
            partner_id: claim.partner_id.clone(),
        };
        wire(&keyed(&record, key, []).unwrap())
    }

    /// The item at `key` with nothing but its key: no record of a holder.
    fn bare(key: &ItemKey) -> Value {
        wire(&key.attributes())
    }

    /// What storing `claim` (with an idempotency record, and `told` for a contest) answers when
    /// DynamoDB cancels the transaction with `reasons` (by the items' keys), the store's reads
    /// that follow being answered with `reads`; and the operations of the requests sent.
    async fn created(
        claim: &Claim,
        told: Option<&Transition>,
        reasons: Vec<(ItemKey, Value)>,
        reads: Vec<Option<Value>>,
    ) -> (Result<(), CreateError>, Vec<String>) {
        let replay = Replay::default();
        replay.on("TransactWriteItems", cancel(reasons));
        for read in reads {
            replay.on("GetItem", move |_| got(read));
        }
        let entry = [];
        let record = record_of(claim);
        let result = replay
            .store()
            .create_claim(claim, &entry, Some(&record), told)
            .await;
        (result, replay.sent())
    }

    /// A new claim's transaction holds, in order, the holder's change it tells (claim, entry),
    /// the claim, its entries, then its lock and the check that its partner contests no claim
    /// of the unit (or, for a contest, its contest record), and the idempotency record.
    #[tokio::test]
    async fn a_new_claims_transaction_holds_its_parts_in_order() {
        let claim = submitted();
        let (contest, told) = contest_of(&claim);
        let (_, entry) = Claim::submit(
            claim.id,
            claim.partner_id.clone(),
            claim.partner_name.clone(),
            claim.subject.clone(),
            claim.created_at,
        );
        let idempotency = |c: &Claim| keys::idempotency(&c.partner_id, "k-1");
        for (what, new, told, order) in [
            (
                "an ordinary claim",
                &claim,
                None,
                vec![
                    keys::claim(claim.id),
                    keys::event(claim.id, 1),
                    lock_of(&claim),
                    contest_key(&claim),
                    idempotency(&claim),
                ],
            ),
            (
                "a contest",
                &contest,
                Some(&told),
                vec![
                    keys::claim(claim.id),
                    keys::event(claim.id, told.entry().sequence),
                    keys::claim(contest.id),
                    keys::event(contest.id, 1),
                    contest_key(&contest),
                    idempotency(&contest),
                ],
            ),
        ] {
            let replay = Replay::default();
            replay.on("TransactWriteItems", |_| written());
            let record = record_of(new);
            replay
                .store()
                .create_claim(new, std::slice::from_ref(&entry), Some(&record), told)
                .await
                .unwrap();
            assert_eq!(replay.requests()[0].items(), order, "{what}");
        }
    }

    /// A claim already stored is this very write, whose answer was lost before the SDK sent it
    /// again: no error, whatever else failed with it (its own lock).
    #[tokio::test]
    async fn a_claim_already_stored_is_this_very_write() {
        let claim = submitted();
        let failed = vec![
            (keys::claim(claim.id), check_failed(None)),
            (
                lock_of(&claim),
                check_failed(Some(record_item(&claim, &lock_of(&claim)))),
            ),
        ];
        assert_eq!(created(&claim, None, failed, vec![]).await.0, Ok(()));
    }

    /// The refusals in their order: a key in use first, then a changed holder, then a held lock,
    /// then the partner's contest; each without a read when the failed condition returned what
    /// it names.
    #[tokio::test]
    async fn a_refusal_names_the_first_failed_condition_in_order() {
        let holder = submitted();
        let (contest, told) = contest_of(&holder);
        let rival = rival();
        let held = (
            lock_of(&rival),
            check_failed(Some(record_item(&holder, &lock_of(&holder)))),
        );
        let contesting = (
            contest_key(&rival),
            check_failed(Some(record_item(&contest, &contest_key(&rival)))),
        );
        let key = (
            keys::idempotency(&rival.partner_id, "k-1"),
            check_failed(None),
        );
        let holder_claim = (keys::claim(holder.id), check_failed(None));
        let contests_too = (
            contest_key(&contest),
            check_failed(Some(record_item(&rival, &contest_key(&contest)))),
        );
        let contest_key_used = (
            keys::idempotency(&contest.partner_id, "k-1"),
            check_failed(None),
        );
        let holder_entry = (
            keys::event(holder.id, told.entry().sequence),
            check_failed(None),
        );
        let lock_held = CreateError::LockHeld(LockHolder {
            claim_id: holder.id,
            partner_id: holder.partner_id.clone(),
        });
        for (what, claim, told, failed, refusal) in [
            (
                "a key in use",
                &rival,
                None,
                vec![key.clone(), held.clone(), contesting.clone()],
                CreateError::KeyTaken,
            ),
            (
                "a held lock",
                &rival,
                None,
                vec![held.clone(), contesting.clone()],
                lock_held,
            ),
            (
                "the partner's contest",
                &rival,
                None,
                vec![contesting],
                CreateError::AlreadyContesting(contest.id),
            ),
            (
                "a contest's key in use",
                &contest,
                Some(&told),
                vec![contest_key_used, holder_claim.clone(), contests_too.clone()],
                CreateError::KeyTaken,
            ),
            (
                "a changed holder",
                &contest,
                Some(&told),
                vec![holder_claim, contests_too],
                CreateError::HolderChanged,
            ),
            (
                "an entry the holder has",
                &contest,
                Some(&told),
                vec![holder_entry],
                CreateError::HolderChanged,
            ),
        ] {
            let (result, sent) = created(claim, told, failed, vec![]).await;
            assert_eq!(result, Err(refusal), "{what}");
            assert_eq!(sent, ["TransactWriteItems"], "{what}: no read");
        }
    }

    /// A partner's own contest record refuses a contest too, named as returned.
    #[tokio::test]
    async fn a_contest_refused_by_its_partners_contest_names_it() {
        let (contest, told) = contest_of(&submitted());
        let (earlier, _) = contest_of(&submitted());
        let failed = vec![(
            contest_key(&contest),
            check_failed(Some(record_item(&earlier, &contest_key(&contest)))),
        )];
        let (result, _) = created(&contest, Some(&told), failed, vec![]).await;
        assert_eq!(result, Err(CreateError::AlreadyContesting(earlier.id)));
    }

    /// A held lock or a partner's contest whose failed condition did not return its record (not
    /// asked for, or no record in it) is read again: named as read, or, gone meanwhile,
    /// `Unavailable` (the caller may try again).
    #[tokio::test]
    async fn a_refusal_without_its_record_reads_it_again() {
        let holder = submitted();
        let rival = rival();
        let (contest, _) = contest_of(&holder);
        for (what, key, record, refusal) in [
            (
                "lock",
                lock_of(&rival),
                record_item(&holder, &lock_of(&holder)),
                CreateError::LockHeld(LockHolder {
                    claim_id: holder.id,
                    partner_id: holder.partner_id.clone(),
                }),
            ),
            (
                "contest",
                contest_key(&rival),
                record_item(&contest, &contest_key(&rival)),
                CreateError::AlreadyContesting(contest.id),
            ),
        ] {
            for returned in [None, Some(bare(&key))] {
                let failed = vec![(key.clone(), check_failed(returned.clone()))];
                let (result, sent) =
                    created(&rival, None, failed.clone(), vec![Some(record.clone())]).await;
                assert_eq!(result, Err(refusal.clone()), "{what} {returned:?}");
                assert_eq!(sent, ["TransactWriteItems", "GetItem"], "{what}");
                let (result, _) = created(&rival, None, failed, vec![None]).await;
                assert!(
                    matches!(result, Err(CreateError::Unavailable(_))),
                    "{what} gone: {result:?}"
                );
            }
        }
    }

    /// A transaction cancelled only by others in progress is sent again until it goes through.
    #[tokio::test]
    async fn a_claim_in_conflict_with_another_transaction_is_stored_on_a_later_attempt() {
        let claim = submitted();
        let replay = Replay::default();
        replay
            .on(
                "TransactWriteItems",
                cancel(vec![(lock_of(&claim), transaction_conflict())]),
            )
            .on("TransactWriteItems", |_| written());
        let record = record_of(&claim);
        let stored = replay
            .store()
            .create_claim(&claim, &[], Some(&record), None)
            .await;
        assert_eq!((stored, replay.requests().len()), (Ok(()), 2));
    }

    /// Any other cancellation (a reason that is no failed condition, conflicts that persist
    /// through the retry policy), and a failure that is no cancellation, are `Unavailable`.
    #[tokio::test]
    async fn any_other_failure_is_unavailable() {
        let claim = submitted();
        let throttled = json!({ "Code": "ThrottlingError", "Message": "Throughput exceeds" });
        let (result, _) = created(&claim, None, vec![(lock_of(&claim), throttled)], vec![]).await;
        assert!(
            matches!(&result, Err(CreateError::Unavailable(e)) if e.0.starts_with("claim not stored")),
            "{result:?}"
        );
        let replay = Replay::default();
        for _ in 0..RETRY.attempts {
            replay.on(
                "TransactWriteItems",
                cancel(vec![(lock_of(&claim), transaction_conflict())]),
            );
        }
        replay.on("TransactWriteItems", |_| internal_error());
        let store = replay.store();
        let record = record_of(&claim);
        for what in ["persisting conflicts", "a failure"] {
            let result = store.create_claim(&claim, &[], Some(&record), None).await;
            assert!(
                matches!(result, Err(CreateError::Unavailable(_))),
                "{what}: {result:?}"
            );
        }
        assert!(replay.done());
    }
}
