//! The links in force, as the rotation of the opt-out keyring asks about them: is a key that
//! stopped signing at some time still needed by a link a customer may use?

use super::keys::sk;
use super::record::field;
use super::{DynamoStore, s, unavailable};
use crate::schema::SK;
use chrono::{DateTime, Utc};
use cpor_domain::claim::ClaimStatus;
use cpor_domain::ids::ClaimId;
use cpor_domain::ports::Unavailable;
use cpor_domain::time::format_instant;

/// The statuses in which a claim's customer holds a link that acts: declining while awaiting
/// (or after a bounce, once corrected), ending an association at any time.
const LINKS_IN_FORCE: [ClaimStatus; 3] = [
    ClaimStatus::AwaitingCustomer,
    ClaimStatus::CustomerUnreachable,
    ClaimStatus::Associated,
];

impl DynamoStore {
    /// A claim whose customer holds a link in force that was e-mailed before `before`, if
    /// any: a key that stopped signing at `before` may have signed it. An operator's question,
    /// asked once per rotation: it reads the table through (a Scan of the claims' items, paged,
    /// stopping at the first found).
    pub async fn link_in_force_emailed_before(
        &self,
        before: DateTime<Utc>,
    ) -> Result<Option<ClaimId>, Unavailable> {
        let mut start = None;
        loop {
            let mut scan = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression(
                    "#sk = :claim AND #status IN (:s0, :s1, :s2) AND #notified_at < :before",
                )
                .projection_expression("#claim_id")
                .expression_attribute_names("#sk", SK)
                .expression_attribute_names("#status", field::STATUS)
                .expression_attribute_names("#notified_at", "notified_at")
                .expression_attribute_names("#claim_id", field::CLAIM_ID)
                .expression_attribute_values(":claim", s(sk::CLAIM))
                .expression_attribute_values(":before", s(format_instant(before)))
                .set_exclusive_start_key(start);
            for (i, status) in LINKS_IN_FORCE.iter().enumerate() {
                scan = scan.expression_attribute_values(format!(":s{i}"), s(status.as_str()));
            }
            let page = scan
                .send()
                .await
                .map_err(|e| unavailable("Scan for links in force", &e))?;
            let found = page.items().iter().find_map(|item| {
                item.get(field::CLAIM_ID)
                    .and_then(|v| v.as_s().ok())
                    .and_then(|id| ClaimId::parse(id))
            });
            if found.is_some() {
                return Ok(found);
            }
            match page.last_evaluated_key() {
                Some(last) => start = Some(last.clone()),
                None => return Ok(None),
            }
        }
    }
}
