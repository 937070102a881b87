//! Claim batches: the batch opened under its key (its header and its idempotency record, in
//! one transaction), each chunk's row results written as one item with the header's counts in
//! one transaction (a chunk delivered again writes nothing), and the results read in row order
//! by one query of the batch's partition. Nothing scans.

use super::expression::Expression;
use super::keys;
use super::record::{Item, from_item};
use super::transaction::{Part, TransactError, Transaction};
use super::{DynamoStore, inconsistent, keyed, n, s, unavailable};
use crate::schema::{PK, SK};
use chrono::{DateTime, TimeDelta, Utc};
use cpor_domain::batch::{BatchHeader, BatchId, MAX_ROWS, RowOutcome, RowResult};
use cpor_domain::claim::ClaimStatus;
use cpor_domain::idempotency::{BodyFingerprint, IDEMPOTENCY_WINDOW};
use cpor_domain::ids::{ClaimId, PartnerId};
use cpor_domain::ports::Unavailable;
use cpor_domain::time::{format_instant, serde_instant};
use serde::{Deserialize, Serialize};

/// How long a batch and its results are kept (the table's TTL deletes them after).
pub const BATCH_RETENTION: TimeDelta = TimeDelta::days(30);

/// What opening a batch under a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// The batch is new: its header is written.
    New,
    /// The key opened this batch before, with the same body: the same batch.
    Existing(BatchHeader),
    /// The key opened a batch before with another body.
    KeyReused,
}

/// What writing a chunk's results did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Written now, and counted.
    Now,
    /// Written before (the chunk was delivered again): nothing written, nothing counted.
    Before,
}

#[derive(Debug, Serialize, Deserialize)]
struct HeaderRecord {
    batch_id: BatchId,
    partner_id: PartnerId,
    rows: usize,
    accepted: usize,
    refused: usize,
    #[serde(with = "serde_instant")]
    created_at: DateTime<Utc>,
    /// The table's TTL attribute (`schema::TTL_ATTRIBUTE`): [`BATCH_RETENTION`] after.
    expires_at_epoch: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct KeyRecord {
    batch_id: BatchId,
    fingerprint: BodyFingerprint,
    #[serde(with = "serde_instant")]
    created_at: DateTime<Utc>,
    expires_at_epoch: i64,
}

/// A chunk's results: one item, where an item a row would make a transaction of 26 items of
/// a chunk of 25 rows (each written, and each counted against the table's writes).
#[derive(Debug, Serialize, Deserialize)]
struct ChunkRecord {
    rows: Vec<RowRecord>,
    expires_at_epoch: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct RowRecord {
    row: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claim_id: Option<ClaimId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<ClaimStatus>,
    /// The problem+json body, as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
}

const ACCEPTED: &str = "accepted";
const REFUSED: &str = "refused";

impl DynamoStore {
    /// Opens `header`'s batch under the partner's `key` for a body of `fingerprint`: the
    /// header and the key's record in one transaction, or what the key opened before (within
    /// the idempotency window; after it the key opens a new batch).
    pub async fn open_batch(
        &self,
        header: &BatchHeader,
        key: &str,
        fingerprint: &BodyFingerprint,
    ) -> Result<Opened, Unavailable> {
        let expires = (header.created_at + BATCH_RETENTION).timestamp();
        let mut tx = Transaction::new(&self.table);
        let record = HeaderRecord {
            batch_id: header.batch_id,
            partner_id: header.partner_id.clone(),
            rows: header.rows,
            accepted: 0,
            refused: 0,
            created_at: header.created_at,
            expires_at_epoch: expires,
        };
        let item = keyed(&record, &keys::batch(header.batch_id), [])?;
        tx.put_if(Part::Batch, item, |e: &mut Expression| e.not_exists(PK))?;
        let key_record = KeyRecord {
            batch_id: header.batch_id,
            fingerprint: fingerprint.clone(),
            created_at: header.created_at,
            expires_at_epoch: (header.created_at + IDEMPOTENCY_WINDOW).timestamp(),
        };
        let item = keyed(&key_record, &keys::batch_key(&header.partner_id, key), [])?;
        // A record past its window may be replaced: TTL deletion can lag by days.
        let expired_before = format_instant(header.created_at - IDEMPOTENCY_WINDOW);
        tx.put_if(Part::BatchKey, item, |e| {
            format!(
                "{} OR {}",
                e.not_exists(PK),
                e.at_most("created_at", s(expired_before))
            )
        })?;
        match tx.commit_through_conflicts(&self.client).await {
            Ok(()) => Ok(Opened::New),
            Err(TransactError::Unavailable(e)) => Err(e),
            // The batch's id is new: if it exists, this transaction took effect and only its
            // answer was lost before the SDK retried it.
            Err(TransactError::Cancelled(c)) if c.failed_check(Part::Batch) => Ok(Opened::New),
            Err(TransactError::Cancelled(c)) if c.failed_check(Part::BatchKey) => {
                let item = match c.returned(Part::BatchKey) {
                    Some(item) if item.contains_key("batch_id") => Some(item.clone()),
                    Some(_) | None => {
                        self.get("batch key", &keys::batch_key(&header.partner_id, key))
                            .await?
                    }
                };
                let Some(item) = item else {
                    return Err(Unavailable("the batch's key record changed; retry".into()));
                };
                let prior: KeyRecord = from_item(&item)
                    .map_err(|e| inconsistent(format!("{} item: {e}", keys::sk::BATCH_KEY)))?;
                if prior.fingerprint != *fingerprint {
                    return Ok(Opened::KeyReused);
                }
                match self.batch(prior.batch_id).await? {
                    Some(existing) => Ok(Opened::Existing(existing)),
                    None => Err(inconsistent("a batch key names no batch")),
                }
            }
            Err(TransactError::Cancelled(c)) => Err(Unavailable(format!("batch not opened: {c}"))),
        }
    }

    /// The batch `id`'s header, if it exists.
    pub async fn batch(&self, id: BatchId) -> Result<Option<BatchHeader>, Unavailable> {
        let Some(item) = self.get("batch", &keys::batch(id)).await? else {
            return Ok(None);
        };
        let record: HeaderRecord =
            from_item(&item).map_err(|e| inconsistent(format!("{} item: {e}", keys::sk::BATCH)))?;
        Ok(Some(BatchHeader {
            batch_id: record.batch_id,
            partner_id: record.partner_id,
            rows: record.rows,
            accepted: record.accepted,
            refused: record.refused,
            created_at: record.created_at,
        }))
    }

    /// Writes one chunk's `results` (its rows, in order) as one item and adds them to the
    /// batch's counts, all or nothing, on the condition that the chunk has no results yet: a
    /// chunk delivered again (whose results a first delivery wrote) writes and counts nothing.
    pub async fn record_results(
        &self,
        batch_id: BatchId,
        opened_at: DateTime<Utc>,
        results: &[RowResult],
    ) -> Result<Recorded, Unavailable> {
        let Some(last) = results.iter().map(|r| r.row).max() else {
            return Ok(Recorded::Now);
        };
        let (mut accepted, mut refused) = (0, 0);
        let rows = results
            .iter()
            .map(|result| match &result.outcome {
                RowOutcome::Accepted { claim_id, status } => {
                    accepted += 1;
                    RowRecord {
                        row: result.row,
                        claim_id: Some(*claim_id),
                        status: Some(*status),
                        problem: None,
                    }
                }
                RowOutcome::Refused { problem } => {
                    refused += 1;
                    RowRecord {
                        row: result.row,
                        claim_id: None,
                        status: None,
                        problem: Some(problem.to_string()),
                    }
                }
            })
            .collect();
        let record = ChunkRecord {
            rows,
            expires_at_epoch: (opened_at + BATCH_RETENTION).timestamp(),
        };
        let mut tx = Transaction::new(&self.table);
        let item = keyed(&record, &keys::batch_chunk(batch_id, last), [])?;
        tx.put_if(Part::ChunkResults, item, |e| e.not_exists(PK))?;
        tx.update_if(Part::Batch, &keys::batch(batch_id), |e| {
            let update = format!(
                "ADD {} {}, {} {}",
                e.name(ACCEPTED),
                e.value(n(accepted)),
                e.name(REFUSED),
                e.value(n(refused))
            );
            (update, format!("attribute_exists({})", e.name(PK)))
        })?;
        match tx.commit_through_conflicts(&self.client).await {
            Ok(()) => Ok(Recorded::Now),
            Err(TransactError::Unavailable(e)) => Err(e),
            Err(TransactError::Cancelled(c)) if c.failed_check(Part::ChunkResults) => {
                Ok(Recorded::Before)
            }
            Err(TransactError::Cancelled(c)) => {
                Err(Unavailable(format!("row results not written: {c}")))
            }
        }
    }

    /// Up to `limit` row results of batch `id` after row `after` (0: from the first), in row
    /// order: the chunks that end after `after`, one query of the batch's partition (a batch's
    /// results fit in one page; a second is read if they ever do not).
    pub async fn batch_results(
        &self,
        id: BatchId,
        after: usize,
        limit: usize,
    ) -> Result<Vec<RowResult>, Unavailable> {
        // One condition on the sort key (DynamoDB takes no more): the chunks ending after `after`.
        let from = keys::batch_chunk(id, after + 1);
        let to = keys::batch_chunk(id, MAX_ROWS);
        let mut results = Vec::new();
        let mut start = None;
        loop {
            let mut e = Expression::default();
            let condition = format!(
                "{} AND {} BETWEEN {} AND {}",
                e.equals(PK, s(from.pk.clone())),
                e.name(SK),
                e.value(s(from.sk.clone())),
                e.value(s(to.sk.clone())),
            );
            let out = self
                .query_where(condition, &e)
                .set_exclusive_start_key(start.take())
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| unavailable("Query batch results", &e))?;
            for item in out.items() {
                results.extend(chunk_results(item)?.into_iter().filter(|r| r.row > after));
            }
            match out.last_evaluated_key() {
                Some(last) if results.len() < limit => start = Some(last.clone()),
                Some(_) | None => break,
            }
        }
        results.sort_by_key(|r| r.row);
        results.truncate(limit);
        Ok(results)
    }
}

fn chunk_results(item: &Item) -> Result<Vec<RowResult>, Unavailable> {
    let corrupt = |what: String| inconsistent(format!("chunk results: {what}"));
    let chunk: ChunkRecord = from_item(item).map_err(|e| corrupt(e.to_string()))?;
    chunk
        .rows
        .into_iter()
        .map(|record| {
            let outcome = match (record.claim_id, record.status, record.problem) {
                (Some(claim_id), Some(status), None) => RowOutcome::Accepted { claim_id, status },
                (None, None, Some(problem)) => RowOutcome::Refused {
                    problem: serde_json::from_str(&problem).map_err(|e| corrupt(e.to_string()))?,
                },
                (_, _, _) => return Err(corrupt(format!("row {} is neither kind", record.row))),
            };
            Ok(RowResult {
                row: record.row,
                outcome,
            })
        })
        .collect()
}
