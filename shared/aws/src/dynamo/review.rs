//! The vendor's review queue ([`ReviewQueue`]): the sparse `review` index, a partition for the
//! claims waiting for a decision and one for those waiting for their partners, each in order of
//! entry into review, read a bounded amount per request.

use super::paging::Listing;
use super::{DynamoStore, keys, s};
use crate::schema::REVIEW_INDEX;
use async_trait::async_trait;
use cpor_domain::claim::ClaimStatus;
use cpor_domain::listing::ReviewQuery;
use cpor_domain::ports::{ReviewPage, ReviewQueue, Unavailable};

#[async_trait]
impl ReviewQueue for DynamoStore {
    async fn review_page(&self, query: &ReviewQuery) -> Result<ReviewPage, Unavailable> {
        // A query names the statuses of one partition: those waiting for a decision (the
        // default), or `information_requested` alone.
        let partition = keys::review_partition(
            query
                .statuses
                .first()
                .copied()
                .unwrap_or(ClaimStatus::Submitted),
        );
        let start = query.after.map(|(since, id)| {
            let mut k = keys::claim(id).attributes();
            k.insert(REVIEW_INDEX.partition_key.to_owned(), s(partition));
            k.insert(
                REVIEW_INDEX.sort_key.to_owned(),
                s(keys::review_position(since, id)),
            );
            k
        });
        let listing = Listing {
            index: &REVIEW_INDEX,
            partition: partition.to_owned(),
            // Oldest entry into review first.
            forward: true,
            start,
            // The statuses and program filter the queue.
            min_read: 50,
        };
        let page = self
            .budgeted_page(
                listing,
                query.limit,
                |claim| {
                    query.statuses.contains(&claim.status())
                        && query.program.is_none_or(|p| claim.subject.program == p)
                },
                |claim| claim.state.in_review_since().map(|since| (since, claim.id)),
            )
            .await?;
        Ok(ReviewPage {
            items: page.items,
            next: page.next,
        })
    }
}
