//! The sparse due index ([`DueIndex`]): the claims whose nightly deadline has passed, whole,
//! read shard by shard without scanning the table.

use super::expression::{Expression, all};
use super::record::Item;
use super::{DynamoStore, claim_from_item, keys, s, unavailable};
use crate::schema::{DUE_INDEX, DUE_SHARDS};
use chrono::{DateTime, Utc};
use cpor_domain::claim::Claim;
use cpor_domain::ports::{DueIndex, DuePages, Unavailable};
use futures::StreamExt;

impl DynamoStore {
    /// One page of shard `shard`'s due claims from `start`, and where the next page starts.
    async fn due_page(
        &self,
        shard: u32,
        now: DateTime<Utc>,
        start: Option<Item>,
    ) -> Result<(Vec<Claim>, Option<Item>), Unavailable> {
        let mut e = Expression::default();
        let condition = all(&[
            e.equals(DUE_INDEX.partition_key, s(keys::due_shard(shard))),
            e.less_than(DUE_INDEX.sort_key, s(keys::due_before(now))),
        ]);
        let page = self
            .query_where(condition, &e)
            .index_name(DUE_INDEX.name)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| unavailable("Query due", &e))?;
        let claims = page
            .items()
            .iter()
            .map(claim_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((claims, page.last_evaluated_key().cloned()))
    }
}

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
}
