//! A page of claims read from an index in its order and filtered, under a read budget: what one
//! listing request reads is bounded however rare its filter (`READ_BUDGET`). The partner's
//! listing and the reviewers' queue read this way.

use super::expression::Expression;
use super::record::Item;
use super::{DynamoStore, claim_from_item, s, unavailable};
use crate::schema::IndexDefinition;
use cpor_domain::claim::Claim;
use cpor_domain::listing::READ_BUDGET;
use cpor_domain::ports::Unavailable;

/// Where a listing reads: one partition of an index, in one direction, from a position.
pub(super) struct Listing<'a> {
    pub index: &'a IndexDefinition,
    pub partition: String,
    /// Oldest first (`true`) or newest first.
    pub forward: bool,
    /// The index key to continue after (the last page's position), if any.
    pub start: Option<Item>,
    /// Items read at least per query: a filter applies after DynamoDB's read limit, so a
    /// filtered listing reads more per query.
    pub min_read: usize,
}

/// A page of claims.
pub(super) struct Page<P> {
    pub items: Vec<Claim>,
    /// Where the next page starts: after the page's last claim, or, when the budget ran out
    /// before the page filled, after the last claim read.
    pub next: Option<P>,
}

impl DynamoStore {
    /// Up to `limit` claims that `listed` accepts, in the index's order; `position` gives a
    /// claim's place, for the next page.
    pub(super) async fn budgeted_page<P>(
        &self,
        listing: Listing<'_>,
        limit: usize,
        listed: impl Fn(&Claim) -> bool,
        position: impl Fn(&Claim) -> Option<P>,
    ) -> Result<Page<P>, Unavailable> {
        // One more than the page, to know whether another page follows.
        let wanted = limit + 1;
        let mut start = listing.start;
        let mut items = Vec::new();
        let (mut read, mut last_read, mut budget_spent) = (0, None, false);
        loop {
            let read_limit = (wanted - items.len())
                .max(listing.min_read)
                .min(READ_BUDGET - read);
            let mut e = Expression::default();
            let condition = e.equals(listing.index.partition_key, s(listing.partition.clone()));
            let page = self
                .query_where(condition, &e)
                .index_name(listing.index.name)
                .scan_index_forward(listing.forward)
                .limit(i32::try_from(read_limit).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable(&format!("Query {}", listing.index.name), &e))?;
            for item in page.items() {
                let claim = claim_from_item(item)?;
                read += 1;
                last_read = position(&claim);
                if listed(&claim) && items.len() < wanted {
                    items.push(claim);
                }
            }
            match page.last_evaluated_key() {
                Some(last) if items.len() < wanted && read < READ_BUDGET => {
                    start = Some(last.clone());
                }
                Some(_) if items.len() < wanted => {
                    budget_spent = true;
                    break;
                }
                Some(_) | None => break,
            }
        }
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().and_then(&position)
        } else if budget_spent {
            last_read
        } else {
            None
        };
        Ok(Page { items, next })
    }
}
