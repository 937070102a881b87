//! The DynamoDB adapter: one table, single-table design.
//!
//! | item | pk | sk |
//! | --- | --- | --- |
//! | claim | `CLAIM#<id>` | `CLAIM` (with `version`, and the index attributes below) |
//! | history entry | `CLAIM#<id>` | `EVENT#<sequence, 6 digits>` |
//! | notification record | `CLAIM#<id>` | `NOTIFICATION` |
//! | partner-of-record lock | `LOCK#<tenant>#workload#<w>` or `…#subscription#<s>` | `LOCK` |
//! | idempotency record | `IDEMPOTENCY#<partner>#<key>` | `IDEMPOTENCY` (TTL `expires_at_epoch`) |
//! | partner, tenant | `PARTNER#<id>`, `TENANT#<id>` | `PARTNER`, `TENANT` |
//!
//! Index `by_partner` (`partner_pk`, `partner_sk` = claim id) lists a partner's claims newest
//! first. Index `due` (`due_shard`, `due_at` = `<deadline>#<id>`) holds only claims awaiting the
//! customer, so finalization reads exactly what is due.

use crate::attr::{Item, from_item, n, s, to_item};
use crate::describe;
use crate::schema::{DUE_INDEX, DUE_SHARDS, PARTNER_INDEX, PK, SK, TTL_ATTRIBUTE};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Delete, KeysAndAttributes, Put, PutRequest,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update, WriteRequest,
};
use chrono::{DateTime, Utc};
use cpor_domain::claim::{Claim, ClaimStatus, HistoryEntry, Transition};
use cpor_domain::claim_record::ClaimRecord;
use cpor_domain::idempotency::{IdempotencyKey, IdempotencyRecord};
use cpor_domain::ids::{ClaimId, PartnerId, TenantId};
use cpor_domain::listing::{ClaimPage, ListQuery};
use cpor_domain::ports::{
    ApplyError, ClaimRepository, CreateError, DueClaim, DueIndex, DuePages, LockHolder,
    NotificationLease, NotificationLedger, SubmissionContext, SubmissionStore, Unavailable,
};
use cpor_domain::reference::{PartnerRecord, ReferenceData, TenantRecord};
use cpor_domain::time::{format_instant, parse_instant};
use futures::StreamExt;
use std::collections::HashMap;
use std::time::Duration;

const CLAIM_SK: &str = "CLAIM";
const NOTIFICATION_SK: &str = "NOTIFICATION";
const LOCK_SK: &str = "LOCK";
const IDEMPOTENCY_SK: &str = "IDEMPOTENCY";
const PARTNER_SK: &str = "PARTNER";
const TENANT_SK: &str = "TENANT";

/// Items in one `BatchWriteItem` call (DynamoDB's limit).
const BATCH_WRITE_SIZE: usize = 25;

/// How often a batch write is sent before its unprocessed items are given up.
const BATCH_WRITE_ATTEMPTS: u32 = 8;

/// How often a transaction cancelled by a concurrent transaction on the same items is retried.
const TRANSACTION_CONFLICT_RETRIES: u32 = 5;

fn claim_pk(id: ClaimId) -> String {
    format!("CLAIM#{id}")
}

fn event_sk(sequence: u32) -> String {
    format!("EVENT#{sequence:06}")
}

fn due_shard(id: ClaimId) -> String {
    // The id's last characters are random: they spread claims evenly over the shards.
    let sum: u32 = id.to_string().bytes().rev().take(4).map(u32::from).sum();
    format!("DUE#{}", sum % DUE_SHARDS)
}

fn key(pk: String, sk: &str) -> Item {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

fn unavailable(what: &str, error: &impl std::error::Error) -> Unavailable {
    Unavailable(format!("{what}: {}", describe(error)))
}

fn inconsistent(what: impl std::fmt::Display) -> Unavailable {
    Unavailable(format!("stored data is inconsistent: {what}"))
}

fn build<T>(
    what: &str,
    built: Result<T, aws_sdk_dynamodb::error::BuildError>,
) -> Result<T, Unavailable> {
    built.map_err(|e| Unavailable(format!("{what}: {e}")))
}

fn text(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

/// The claim as its item, with the keys and the index attributes its state calls for.
fn claim_item(claim: &Claim) -> Item {
    let mut extra = vec![
        (PK, s(claim_pk(claim.id))),
        (SK, s(CLAIM_SK)),
        (
            PARTNER_INDEX.partition_key,
            s(format!("PARTNER#{}", claim.partner_id)),
        ),
        (PARTNER_INDEX.sort_key, s(claim.id.to_string())),
    ];
    if let (ClaimStatus::AwaitingCustomer, Some(window)) = (claim.status(), claim.state.window()) {
        extra.push((DUE_INDEX.partition_key, s(due_shard(claim.id))));
        extra.push((
            DUE_INDEX.sort_key,
            s(format!("{}#{}", format_instant(window.deadline), claim.id)),
        ));
    }
    to_item(&ClaimRecord::from(claim), extra)
}

/// The partner-of-record lock the claim holds, as its item.
fn lock_item(claim: &Claim) -> Item {
    HashMap::from([
        (
            PK.to_owned(),
            s(format!("LOCK#{}", claim.subject.lock().as_str())),
        ),
        (SK.to_owned(), s(LOCK_SK)),
        ("claim_id".to_owned(), s(claim.id.to_string())),
        ("partner_id".to_owned(), s(claim.partner_id.to_string())),
    ])
}

/// A due index entry: the claim, its version and its deadline.
fn due_claim_from_item(item: &Item) -> Result<DueClaim, Unavailable> {
    let claim_id = text(item, PK)
        .and_then(|pk| pk.strip_prefix("CLAIM#").and_then(ClaimId::parse))
        .ok_or_else(|| inconsistent("due index entry without a claim"))?;
    let deadline = text(item, DUE_INDEX.sort_key)
        .and_then(|d| d.split('#').next().and_then(parse_instant))
        .ok_or_else(|| inconsistent("due index entry without a deadline"))?;
    let version = item
        .get("version")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| inconsistent("due index entry without a version"))?;
    Ok(DueClaim {
        claim_id,
        version,
        deadline,
    })
}

fn claim_from_item(item: &Item) -> Result<Claim, Unavailable> {
    let record: ClaimRecord =
        from_item(item).map_err(|e| inconsistent(format!("claim item: {e}")))?;
    Claim::try_from(record).map_err(inconsistent)
}

fn event_item(claim_id: ClaimId, entry: &HistoryEntry) -> Item {
    to_item(
        entry,
        [
            (PK, s(claim_pk(claim_id))),
            (SK, s(event_sk(entry.sequence))),
        ],
    )
}

/// The outcome of a cancelled transaction: one reason per item, in order.
enum TransactError {
    Cancelled(Vec<CancellationReason>),
    Unavailable(Unavailable),
}

fn failed_check(reason: Option<&CancellationReason>) -> bool {
    reason.and_then(|r| r.code()) == Some("ConditionalCheckFailed")
}

fn conflicted(reasons: &[CancellationReason]) -> bool {
    reasons
        .iter()
        .any(|r| r.code() == Some("TransactionConflict"))
}

/// The DynamoDB implementation of the storage ports.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    /// A store on `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    fn put(
        &self,
        item: Item,
        condition: Option<&str>,
        values: &[(&str, AttributeValue)],
    ) -> Result<Put, Unavailable> {
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .expression_attribute_names("#status", "status");
        if let Some(condition) = condition {
            put = put.condition_expression(condition);
        }
        for (name, value) in values {
            put = put.expression_attribute_values(*name, value.clone());
        }
        // DynamoDB refuses names that the expression does not use.
        if !condition.is_some_and(|c| c.contains("#status")) {
            put = put.set_expression_attribute_names(None);
        }
        build("put", put.build())
    }

    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), TransactError> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(
                    cancelled,
                )) => Err(TransactError::Cancelled(cancelled.cancellation_reasons().to_vec())),
                _ => Err(TransactError::Unavailable(unavailable("TransactWriteItems", &e))),
            },
        }
    }

    /// The writes that apply a transition: the claim at its next version, its history entry,
    /// and the release of its lock when it leaves the lifecycle.
    fn transition_writes(&self, t: &Transition) -> Result<Vec<TransactWriteItem>, Unavailable> {
        let claim = &t.claim;
        let mut writes = vec![
            TransactWriteItem::builder()
                .put(self.put(
                    claim_item(claim),
                    Some("version = :expected_version AND #status = :expected_status"),
                    &[
                        (":expected_version", n(t.expected_version)),
                        (":expected_status", s(t.expected_status.as_str())),
                    ],
                )?)
                .build(),
            TransactWriteItem::builder()
                .put(self.put(
                    event_item(claim.id, &t.entry),
                    Some("attribute_not_exists(pk)"),
                    &[],
                )?)
                .build(),
        ];
        if t.releases_lock() {
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(
                    format!("LOCK#{}", claim.subject.lock().as_str()),
                    LOCK_SK,
                )))
                .condition_expression("claim_id = :claim_id")
                .expression_attribute_values(":claim_id", s(claim.id.to_string()));
            writes.push(
                TransactWriteItem::builder()
                    .delete(build("delete", delete.build())?)
                    .build(),
            );
        }
        Ok(writes)
    }

    async fn apply_writes(&self, writes: Vec<TransactWriteItem>) -> Result<(), ApplyError> {
        match self.transact(writes).await {
            Ok(()) => Ok(()),
            // The claim's version or the history entry's sequence was taken meanwhile.
            Err(TransactError::Cancelled(reasons))
                if failed_check(reasons.first())
                    || failed_check(reasons.get(1))
                    || conflicted(&reasons) =>
            {
                Err(ApplyError::Conflict)
            }
            Err(TransactError::Cancelled(reasons)) => {
                Err(ApplyError::Unavailable(inconsistent(format!(
                    "transition cancelled: {:?}",
                    reasons.iter().map(|r| r.code()).collect::<Vec<_>>()
                ))))
            }
            Err(TransactError::Unavailable(e)) => Err(e.into()),
        }
    }

    /// A conflict on a transition whose response was lost may be the transition itself, applied
    /// by the SDK's first attempt: the stored claim then is exactly the claim it wrote.
    async fn unless_already_applied(
        &self,
        result: Result<(), ApplyError>,
        t: &Transition,
    ) -> Result<(), ApplyError> {
        match result {
            Err(ApplyError::Conflict) => match self.claim(t.claim.id).await? {
                Some(stored) if stored == t.claim => Ok(()),
                _ => Err(ApplyError::Conflict),
            },
            other => other,
        }
    }

    async fn lock_holder(
        &self,
        lock_pk: String,
        returned: Option<&Item>,
    ) -> Result<LockHolder, Unavailable> {
        let item = match returned {
            Some(item) if item.contains_key("claim_id") => item.clone(),
            _ => self
                .client
                .get_item()
                .table_name(&self.table)
                .set_key(Some(key(lock_pk, LOCK_SK)))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| unavailable("GetItem lock", &e))?
                .item
                .unwrap_or_default(),
        };
        let claim_id = text(&item, "claim_id").and_then(|c| ClaimId::parse(&c));
        let partner_id = text(&item, "partner_id").and_then(|p| PartnerId::parse(&p).ok());
        match (claim_id, partner_id) {
            (Some(claim_id), Some(partner_id)) => Ok(LockHolder {
                claim_id,
                partner_id,
            }),
            // The holder ended between our write and this read; the caller may retry.
            _ => Err(Unavailable(
                "the partner-of-record lock changed; retry".into(),
            )),
        }
    }

    /// Loads reference data (partners, tenants), replacing the records with the same ids;
    /// loading the same data twice is harmless. Written with `BatchWriteItem`, 25 items a call,
    /// retrying the items DynamoDB leaves unprocessed (throttling) with a growing pause.
    pub async fn put_reference_data(&self, data: &ReferenceData) -> Result<(), Unavailable> {
        let partners = data.partners.iter().map(|p| {
            to_item(
                p,
                [
                    (PK, s(format!("PARTNER#{}", p.partner_id))),
                    (SK, s(PARTNER_SK)),
                ],
            )
        });
        let tenants = data.tenants.iter().map(|t| {
            to_item(
                t,
                [
                    (PK, s(format!("TENANT#{}", t.tenant_id))),
                    (SK, s(TENANT_SK)),
                ],
            )
        });
        // One batch may not hold one key twice: the last record of an id wins.
        let mut by_key: Vec<(String, Item)> = Vec::new();
        for item in partners.chain(tenants) {
            let pk = text(&item, PK).unwrap_or_default();
            by_key.retain(|(k, _)| *k != pk);
            by_key.push((pk, item));
        }
        self.put_all(by_key.into_iter().map(|(_, item)| item)).await
    }

    /// Puts `items` without conditions, `BATCH_WRITE_SIZE` a `BatchWriteItem` call.
    async fn put_all(&self, items: impl IntoIterator<Item = Item>) -> Result<(), Unavailable> {
        let mut writes = Vec::new();
        for item in items {
            let put = build(
                "put request",
                PutRequest::builder().set_item(Some(item)).build(),
            )?;
            writes.push(WriteRequest::builder().put_request(put).build());
        }
        for chunk in writes.chunks(BATCH_WRITE_SIZE) {
            self.batch_write(chunk.to_vec()).await?;
        }
        Ok(())
    }

    /// Writes one batch, retrying unprocessed items until none is left or the attempts run
    /// out.
    async fn batch_write(&self, mut pending: Vec<WriteRequest>) -> Result<(), Unavailable> {
        let mut attempt = 0;
        while !pending.is_empty() {
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.table, pending)
                .send()
                .await
                .map_err(|e| unavailable("BatchWriteItem", &e))?;
            pending = out
                .unprocessed_items()
                .and_then(|u| u.get(&self.table))
                .cloned()
                .unwrap_or_default();
            attempt += 1;
            if !pending.is_empty() {
                if attempt >= BATCH_WRITE_ATTEMPTS {
                    return Err(Unavailable(format!(
                        "BatchWriteItem: {} items left unprocessed after {attempt} attempts",
                        pending.len()
                    )));
                }
                tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
            }
        }
        Ok(())
    }

    /// Writes claims as the service stores them (the claim with its index attributes, its
    /// history, and its lock while it holds one), 25 items per `BatchWriteItem`, without
    /// conditions: for seeding a table in bulk (benchmarks), never for the service's own changes.
    pub async fn seed_claims(
        &self,
        claims: &[(Claim, Vec<HistoryEntry>)],
    ) -> Result<usize, Unavailable> {
        let mut items = Vec::new();
        for (claim, history) in claims {
            items.push(claim_item(claim));
            items.extend(history.iter().map(|entry| event_item(claim.id, entry)));
            if claim.status().holds_lock() {
                items.push(lock_item(claim));
            }
        }
        let written = items.len();
        self.put_all(items).await?;
        Ok(written)
    }

    async fn query_all(
        &self,
        build: impl Fn(Option<Item>) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> Result<Vec<Item>, Unavailable> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = build(start)
                .send()
                .await
                .map_err(|e| unavailable("Query", &e))?;
            items.extend(page.items().iter().cloned());
            match page.last_evaluated_key() {
                Some(last) => start = Some(last.clone()),
                None => return Ok(items),
            }
        }
    }
}

#[async_trait]
impl SubmissionStore for DynamoStore {
    async fn submission_context(
        &self,
        partner_id: &PartnerId,
        tenant_id: &TenantId,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<SubmissionContext, Unavailable> {
        let mut keys = vec![
            key(format!("PARTNER#{partner_id}"), PARTNER_SK),
            key(format!("TENANT#{tenant_id}"), TENANT_SK),
        ];
        if let Some(k) = idempotency_key {
            keys.push(key(
                format!("IDEMPOTENCY#{partner_id}#{}", k.as_str()),
                IDEMPOTENCY_SK,
            ));
        }
        let mut request = Some(build(
            "keys",
            KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build(),
        )?);
        let mut context = SubmissionContext::default();
        let mut attempt = 0;
        while let Some(keys) = request.take() {
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, keys)
                .send()
                .await
                .map_err(|e| unavailable("BatchGetItem", &e))?;
            for item in out
                .responses()
                .and_then(|r| r.get(&self.table))
                .into_iter()
                .flatten()
            {
                let sk = text(item, SK).unwrap_or_default();
                let corrupt = |e: serde_json::Error| inconsistent(format!("{sk} item: {e}"));
                match sk.as_str() {
                    PARTNER_SK => {
                        context.partner = Some(from_item::<PartnerRecord>(item).map_err(corrupt)?)
                    }
                    TENANT_SK => {
                        context.tenant = Some(from_item::<TenantRecord>(item).map_err(corrupt)?)
                    }
                    IDEMPOTENCY_SK => {
                        context.prior = Some(from_item::<IdempotencyRecord>(item).map_err(corrupt)?)
                    }
                    _ => {}
                }
            }
            request = out
                .unprocessed_keys()
                .and_then(|u| u.get(&self.table))
                .filter(|k| !k.keys().is_empty())
                .cloned();
            attempt += 1;
            if request.is_some() {
                if attempt >= 5 {
                    return Err(Unavailable("BatchGetItem: keys left unprocessed".into()));
                }
                tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
            }
        }
        Ok(context)
    }

    async fn create_claim(
        &self,
        claim: &Claim,
        entry: &HistoryEntry,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<(), CreateError> {
        let lock_item = lock_item(claim);
        let lock_pk = text(&lock_item, PK).unwrap_or_default();
        let mut writes = vec![
            TransactWriteItem::builder()
                .put(self.put(claim_item(claim), Some("attribute_not_exists(pk)"), &[])?)
                .build(),
            TransactWriteItem::builder()
                .put(self.put(
                    event_item(claim.id, entry),
                    Some("attribute_not_exists(pk)"),
                    &[],
                )?)
                .build(),
            TransactWriteItem::builder()
                .put(self.put(lock_item, Some("attribute_not_exists(pk)"), &[])?)
                .build(),
        ];
        if let Some(record) = idempotency {
            let expired_before =
                format_instant(record.created_at - cpor_domain::idempotency::IDEMPOTENCY_WINDOW);
            let item = to_item(
                record,
                [
                    (
                        PK,
                        s(format!("IDEMPOTENCY#{}#{}", record.partner_id, record.key)),
                    ),
                    (SK, s(IDEMPOTENCY_SK)),
                    (TTL_ATTRIBUTE, n(record.expires_at().timestamp())),
                ],
            );
            // A record past its window may be replaced: TTL deletion can lag by days.
            writes.push(
                TransactWriteItem::builder()
                    .put(self.put(
                        item,
                        Some("attribute_not_exists(pk) OR created_at <= :expired_before"),
                        &[(":expired_before", s(expired_before))],
                    )?)
                    .build(),
            );
        }
        let mut attempt = 0;
        loop {
            match self.transact(writes.clone()).await {
                Ok(()) => return Ok(()),
                Err(TransactError::Unavailable(e)) => return Err(e.into()),
                Err(TransactError::Cancelled(reasons)) => {
                    // The claim's id is new: if it exists, this transaction already took
                    // effect and only its response was lost before the SDK retried it.
                    if failed_check(reasons.first()) {
                        return Ok(());
                    }
                    if idempotency.is_some() && failed_check(reasons.get(3)) {
                        return Err(CreateError::KeyTaken);
                    }
                    if failed_check(reasons.get(2)) {
                        let returned = reasons.get(2).and_then(|r| r.item());
                        return Err(CreateError::LockHeld(
                            self.lock_holder(lock_pk, returned).await?,
                        ));
                    }
                    attempt += 1;
                    if !conflicted(&reasons) || attempt > TRANSACTION_CONFLICT_RETRIES {
                        return Err(CreateError::Unavailable(Unavailable(format!(
                            "claim not stored: {:?}",
                            reasons.iter().map(|r| r.code()).collect::<Vec<_>>()
                        ))));
                    }
                    tokio::time::sleep(Duration::from_millis(10 << attempt)).await;
                }
            }
        }
    }
}

#[async_trait]
impl ClaimRepository for DynamoStore {
    async fn claim(&self, id: ClaimId) -> Result<Option<Claim>, Unavailable> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(claim_pk(id), CLAIM_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("GetItem claim", &e))?;
        out.item().map(claim_from_item).transpose()
    }

    async fn claim_with_history(
        &self,
        id: ClaimId,
    ) -> Result<Option<(Claim, Vec<HistoryEntry>)>, Unavailable> {
        let items = self
            .query_all(|start| {
                self.client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("pk = :pk")
                    .expression_attribute_values(":pk", s(claim_pk(id)))
                    .consistent_read(true)
                    .set_exclusive_start_key(start)
            })
            .await?;
        let mut claim = None;
        let mut history = Vec::new();
        for item in &items {
            let sk = text(item, SK).unwrap_or_default();
            if sk == CLAIM_SK {
                claim = Some(claim_from_item(item)?);
            } else if sk.starts_with("EVENT#") {
                history.push(
                    from_item::<HistoryEntry>(item)
                        .map_err(|e| inconsistent(format!("history entry: {e}")))?,
                );
            }
        }
        history.sort_by_key(|e| e.sequence);
        Ok(claim.map(|c| (c, history)))
    }

    async fn list_claims(
        &self,
        partner_id: &PartnerId,
        query: &ListQuery,
    ) -> Result<ClaimPage, Unavailable> {
        let partner_pk = format!("PARTNER#{partner_id}");
        // One more than the page, to know whether another page follows.
        let wanted = query.limit + 1;
        let filtered = query.filter != Default::default();
        let mut start: Option<Item> = query.after.map(|after| {
            let mut k = key(claim_pk(after), CLAIM_SK);
            k.insert(
                PARTNER_INDEX.partition_key.to_owned(),
                s(partner_pk.clone()),
            );
            k.insert(PARTNER_INDEX.sort_key.to_owned(), s(after.to_string()));
            k
        });
        let mut items = Vec::new();
        loop {
            let remaining = wanted - items.len();
            // Filters apply after the read limit, so read more per page when filtering.
            let read_limit = if filtered {
                remaining.max(100)
            } else {
                remaining
            };
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(PARTNER_INDEX.name)
                .key_condition_expression("partner_pk = :p")
                .expression_attribute_values(":p", s(partner_pk.clone()))
                .scan_index_forward(false)
                .limit(i32::try_from(read_limit).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("Query by_partner", &e))?;
            for item in page.items() {
                let claim = claim_from_item(item)?;
                if query.filter.matches(&claim) && items.len() < wanted {
                    items.push(claim);
                }
            }
            match page.last_evaluated_key() {
                Some(last) if items.len() < wanted => start = Some(last.clone()),
                _ => break,
            }
        }
        let next_after = if items.len() > query.limit {
            items.truncate(query.limit);
            items.last().map(|c| c.id)
        } else {
            None
        };
        Ok(ClaimPage { items, next_after })
    }

    async fn apply(&self, transition: &Transition) -> Result<(), ApplyError> {
        let writes = self.transition_writes(transition)?;
        let result = self.apply_writes(writes).await;
        self.unless_already_applied(result, transition).await
    }
}

#[async_trait]
impl NotificationLedger for DynamoStore {
    async fn acquire(
        &self,
        claim_id: ClaimId,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<NotificationLease, Unavailable> {
        let mut item = key(claim_pk(claim_id), NOTIFICATION_SK);
        // Who holds the lease: lets a retried put whose first response was lost recognise
        // its own lease, and a release touch only its own.
        item.insert("state".into(), s("in_progress"));
        item.insert("lease_until".into(), s(format_instant(lease_until)));
        item.insert("lease_owner".into(), s(owner));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(pk) OR (#state = :in_progress AND lease_until < :now)",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":in_progress", s("in_progress"))
            .expression_attribute_values(":now", s(format_instant(now)))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let existing = match result {
            Ok(_) => return Ok(NotificationLease::Acquired),
            Err(e) => match e.as_service_error() {
                Some(aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(failed)) => {
                    match failed.item() {
                        Some(item) => item.clone(),
                        None => self
                            .client
                            .get_item()
                            .table_name(&self.table)
                            .set_key(Some(key(claim_pk(claim_id), NOTIFICATION_SK)))
                            .consistent_read(true)
                            .send()
                            .await
                            .map_err(|e| unavailable("GetItem notification", &e))?
                            .item
                            .unwrap_or_default(),
                    }
                }
                _ => return Err(unavailable("PutItem notification", &e)),
            },
        };
        if text(&existing, "lease_owner").as_deref() == Some(owner) {
            return Ok(NotificationLease::Acquired);
        }
        match (
            text(&existing, "state").as_deref(),
            text(&existing, "sent_at"),
        ) {
            (Some("sent"), Some(sent_at)) => Ok(NotificationLease::AlreadySent {
                sent_at: parse_instant(&sent_at)
                    .ok_or_else(|| inconsistent("notification sent_at"))?,
            }),
            _ => Ok(NotificationLease::HeldElsewhere),
        }
    }

    async fn release(&self, claim_id: ClaimId, owner: &str) -> Result<(), Unavailable> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(claim_pk(claim_id), NOTIFICATION_SK)))
            .condition_expression("#state = :in_progress AND lease_owner = :owner")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":in_progress", s("in_progress"))
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable("DeleteItem notification", &e)),
        }
    }

    async fn record_sent(
        &self,
        claim_id: ClaimId,
        sent_at: DateTime<Utc>,
        message_id: &str,
        transition: Option<&Transition>,
    ) -> Result<(), ApplyError> {
        let mut item = key(claim_pk(claim_id), NOTIFICATION_SK);
        item.insert("state".into(), s("sent"));
        item.insert("sent_at".into(), s(format_instant(sent_at)));
        item.insert("message_id".into(), s(message_id));
        match transition {
            Some(t) => {
                let mut writes = self.transition_writes(t)?;
                writes.push(
                    TransactWriteItem::builder()
                        .put(self.put(item, None, &[])?)
                        .build(),
                );
                let result = self.apply_writes(writes).await;
                self.unless_already_applied(result, t).await
            }
            None => self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| unavailable("PutItem notification", &e).into()),
        }
    }
}

#[async_trait]
impl DueIndex for DynamoStore {
    fn due_pages(&self, now: DateTime<Utc>) -> DuePages<'_> {
        let now_key = format_instant(now);
        // Every shard is read page by page, the shards side by side; a page is read when the
        // writes have taken the one before.
        let shards = (0..DUE_SHARDS).map(move |shard| {
            let now_key = now_key.clone();
            // `Some(start)`: a page to read from `start`; `None`: the shard is read.
            futures::stream::try_unfold(Some(None), move |start: Option<Option<Item>>| {
                let now_key = now_key.clone();
                async move {
                    let Some(start) = start else {
                        return Ok(None);
                    };
                    let page = self
                        .client
                        .query()
                        .table_name(&self.table)
                        .index_name(DUE_INDEX.name)
                        .key_condition_expression("due_shard = :shard AND due_at < :now")
                        .expression_attribute_values(":shard", s(format!("DUE#{shard}")))
                        .expression_attribute_values(":now", s(now_key))
                        .set_exclusive_start_key(start)
                        .send()
                        .await
                        .map_err(|e| unavailable("Query due", &e))?;
                    let claims = page
                        .items()
                        .iter()
                        .map(due_claim_from_item)
                        .collect::<Result<Vec<_>, _>>()?;
                    let next = page.last_evaluated_key().map(|last| Some(last.clone()));
                    Ok(Some((claims, next)))
                }
            })
            .boxed()
        });
        futures::stream::select_all(shards).boxed()
    }

    async fn associate(&self, due: &DueClaim, entry: &HistoryEntry) -> Result<(), ApplyError> {
        let now = format_instant(entry.at);
        // Tells this call's own write from another run's association of the same claim at the
        // same time, when a lost response makes the SDK retry into a conflict.
        let token = ulid::Ulid::new().to_string();
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(claim_pk(due.claim_id), CLAIM_SK)))
            .update_expression("SET #status = :associated, decided_at = :now, version = :next, finalized_by = :token REMOVE due_shard, due_at")
            .condition_expression("version = :version AND #status = :awaiting AND opt_out_deadline < :now")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":associated", s(ClaimStatus::Associated.as_str()))
            .expression_attribute_values(":awaiting", s(ClaimStatus::AwaitingCustomer.as_str()))
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":version", n(due.version))
            .expression_attribute_values(":next", n(entry.sequence))
            .expression_attribute_values(":token", s(token.clone()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::None);
        let writes = vec![
            TransactWriteItem::builder()
                .update(build("update", update.build())?)
                .build(),
            TransactWriteItem::builder()
                .put(self.put(
                    event_item(due.claim_id, entry),
                    Some("attribute_not_exists(pk)"),
                    &[],
                )?)
                .build(),
        ];
        match self.apply_writes(writes).await {
            // As in `apply`: the conflict may be this very association, applied by an attempt
            // whose response was lost.
            Err(ApplyError::Conflict) => {
                let stored = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .set_key(Some(key(claim_pk(due.claim_id), CLAIM_SK)))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(|e| unavailable("GetItem claim", &e))?;
                match stored.item().and_then(|item| text(item, "finalized_by")) {
                    Some(by) if by == token => Ok(()),
                    _ => Err(ApplyError::Conflict),
                }
            }
            other => other,
        }
    }
}
