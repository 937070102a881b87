//! The vendor's review queue ([`ReviewQueue`]): the sparse `review` index, one partition in
//! order of entry into review, read a bounded amount per request.

use super::expression::Expression;
use super::record::Item;
use super::{DynamoStore, claim_from_item, keys, s, unavailable};
use crate::schema::REVIEW_INDEX;
use async_trait::async_trait;
use cpor_domain::listing::{READ_BUDGET, ReviewQuery};
use cpor_domain::ports::{ReviewPage, ReviewQueue, Unavailable};

#[async_trait]
impl ReviewQueue for DynamoStore {
    async fn review_page(&self, query: &ReviewQuery) -> Result<ReviewPage, Unavailable> {
        // One more than the page, to know whether another page follows.
        let wanted = query.limit + 1;
        let mut start: Option<Item> = query.after.map(|(since, id)| {
            let mut k = keys::claim(id).attributes();
            k.insert(REVIEW_INDEX.partition_key.to_owned(), s(keys::REVIEW_QUEUE));
            k.insert(
                REVIEW_INDEX.sort_key.to_owned(),
                s(keys::review_position(since, id)),
            );
            k
        });
        let (mut items, mut read, mut last_read, mut budget_spent) = (Vec::new(), 0, None, false);
        loop {
            let read_limit = (wanted - items.len()).max(50).min(READ_BUDGET - read);
            let mut e = Expression::default();
            let condition = e.equals(REVIEW_INDEX.partition_key, s(keys::REVIEW_QUEUE));
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(REVIEW_INDEX.name)
                .key_condition_expression(condition)
                .set_expression_attribute_names(e.names())
                .set_expression_attribute_values(e.values())
                .limit(i32::try_from(read_limit).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("Query review", &e))?;
            for item in page.items() {
                let claim = claim_from_item(item)?;
                read += 1;
                last_read = claim.state.in_review_since().map(|since| (since, claim.id));
                let listed = query.statuses.contains(&claim.status())
                    && query.program.is_none_or(|p| claim.subject.program == p);
                if listed && items.len() < wanted {
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
        let next = if items.len() > query.limit {
            items.truncate(query.limit);
            items
                .last()
                .and_then(|c| c.state.in_review_since().map(|since| (since, c.id)))
        } else if budget_spent {
            last_read
        } else {
            None
        };
        Ok(ReviewPage { items, next })
    }
}
