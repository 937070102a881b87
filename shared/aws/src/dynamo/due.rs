//! The sparse due index ([`DueIndex`]): the claims whose nightly deadline has passed, read
//! shard by shard without scanning the table, and their association.

use super::expression::{Expression, all};
use super::record::{Item, field};
use super::transaction::{Part, Transaction};
use super::{DynamoStore, event_item, inconsistent, keys, n, s, text, unavailable};
use crate::schema::{DUE_INDEX, DUE_SHARDS, PK};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cpor_domain::claim::{ClaimStatus, HistoryEntry};
use cpor_domain::ports::{ApplyError, DueClaim, DueIndex, DuePages, Unavailable};
use cpor_domain::time::format_instant;
use futures::StreamExt;

/// A due index entry: the claim, its version and its deadline.
fn due_claim_from_item(item: &Item) -> Result<DueClaim, Unavailable> {
    let claim_id = text(item, PK)
        .and_then(|pk| keys::claim_of_partition(&pk))
        .ok_or_else(|| inconsistent("due index entry without a claim"))?;
    let deadline = text(item, DUE_INDEX.sort_key)
        .and_then(|d| keys::deadline_of_due_at(&d))
        .ok_or_else(|| inconsistent("due index entry without a deadline"))?;
    let version = item
        .get(field::VERSION)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| inconsistent("due index entry without a version"))?;
    let kind = text(item, DUE_INDEX.sort_key)
        .map(|d| keys::kind_of_due_at(&d))
        .ok_or_else(|| inconsistent("due index entry without a deadline"))?;
    Ok(DueClaim {
        claim_id,
        version,
        deadline,
        kind,
    })
}

impl DynamoStore {
    /// One page of shard `shard`'s due claims from `start`, and where the next page starts.
    async fn due_page(
        &self,
        shard: u32,
        now: DateTime<Utc>,
        start: Option<Item>,
    ) -> Result<(Vec<DueClaim>, Option<Item>), Unavailable> {
        let mut e = Expression::default();
        let condition = all(&[
            e.equals(DUE_INDEX.partition_key, s(keys::due_shard(shard))),
            e.less_than(DUE_INDEX.sort_key, s(keys::due_before(now))),
        ]);
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(DUE_INDEX.name)
            .key_condition_expression(condition)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| unavailable("Query due", &e))?;
        let claims = page
            .items()
            .iter()
            .map(due_claim_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((claims, page.last_evaluated_key().cloned()))
    }
}

#[async_trait]
impl DueIndex for DynamoStore {
    fn due_pages(&self, now: DateTime<Utc>) -> DuePages<'_> {
        // Every shard is read page by page, the shards side by side; a page is read when the
        // writes have taken the one before.
        let shards = (0..DUE_SHARDS).map(move |shard| {
            // `Some(start)`: a page to read from `start`; `None`: the shard is read.
            futures::stream::try_unfold(Some(None), move |start: Option<Option<Item>>| async move {
                let Some(start) = start else {
                    return Ok(None);
                };
                let (claims, next) = self.due_page(shard, now, start).await?;
                Ok(Some((claims, next.map(Some))))
            })
            .boxed()
        });
        futures::stream::select_all(shards).boxed()
    }

    async fn associate(&self, due: &DueClaim, entry: &HistoryEntry) -> Result<(), ApplyError> {
        let now = format_instant(entry.at);
        // Tells this call's own write from another run's association of the same claim at the
        // same time, when a lost answer makes the SDK retry into a conflict.
        let token = ulid::Ulid::new().to_string();
        let key = keys::claim(due.claim_id);
        let mut tx = Transaction::new(&self.table);
        tx.update_if(Part::Claim, &key, |e| {
            let update = e.update(
                vec![
                    (field::STATUS, s(ClaimStatus::Associated.as_str())),
                    (field::DECIDED_AT, s(now.clone())),
                    (field::VERSION, n(entry.sequence)),
                    (field::FINALIZED_BY, s(token.clone())),
                ],
                &[DUE_INDEX.partition_key, DUE_INDEX.sort_key],
            );
            let condition = all(&[
                e.equals(field::VERSION, n(due.version)),
                e.equals(field::STATUS, s(ClaimStatus::AwaitingCustomer.as_str())),
                e.less_than(field::OPT_OUT_DEADLINE, s(now.clone())),
            ]);
            (update, condition)
        })?;
        tx.put_if(Part::Event, event_item(due.claim_id, entry, None)?, |e| {
            e.not_exists(PK)
        })?;
        match self.commit_transition(&tx).await {
            // As in `apply`: the conflict may be this very association, applied by an attempt
            // whose answer was lost.
            Err(ApplyError::Conflict) => {
                let stored = self.get("claim", &key).await?;
                match stored
                    .as_ref()
                    .and_then(|item| text(item, field::FINALIZED_BY))
                {
                    Some(by) if by == token => Ok(()),
                    Some(_) | None => Err(ApplyError::Conflict),
                }
            }
            other => other,
        }
    }
}
