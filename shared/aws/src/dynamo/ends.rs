//! The subscriptions' ends the directory recorded ([`SubscriptionEnds`]): one partition sorted
//! by when each ended, read up to the nightly run's time, each end removed once applied; and the
//! locks that name each unit's holder.

use super::expression::{Expression, all};
use super::record::{LockRecord, from_item};
use super::{DynamoStore, inconsistent, keys, s, unavailable};
use crate::schema::{PK, SK};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cpor_domain::claim::PartnerOfRecordLock;
use cpor_domain::ids::{ClaimId, SubscriptionId, TenantId};
use cpor_domain::ports::{SubscriptionEnds, Unavailable};
use cpor_domain::reference::EndedSubscription;
use cpor_domain::time::serde_instant;
use serde::{Deserialize, Serialize};

/// A subscription's end as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct EndRecord {
    pub tenant_id: TenantId,
    pub subscription_id: SubscriptionId,
    #[serde(with = "serde_instant")]
    pub ended_at: DateTime<Utc>,
}

impl From<&EndedSubscription> for EndRecord {
    fn from(e: &EndedSubscription) -> Self {
        Self {
            tenant_id: e.tenant_id,
            subscription_id: e.subscription_id,
            ended_at: e.ended_at,
        }
    }
}

#[async_trait]
impl SubscriptionEnds for DynamoStore {
    async fn ends_due(&self, now: DateTime<Utc>) -> Result<Vec<EndedSubscription>, Unavailable> {
        let items = self
            .query_all(|start| {
                let mut e = Expression::default();
                let condition = all(&[
                    e.equals(PK, s(keys::subscription_ends())),
                    e.at_most(SK, s(keys::subscription_ends_until(now))),
                ]);
                self.query_where(condition, &e)
                    .set_exclusive_start_key(start)
            })
            .await?;
        items
            .iter()
            .map(|item| {
                from_item::<EndRecord>(item)
                    .map(|r| EndedSubscription {
                        tenant_id: r.tenant_id,
                        subscription_id: r.subscription_id,
                        ended_at: r.ended_at,
                    })
                    .map_err(|e| inconsistent(format!("subscription end: {e}")))
            })
            .collect()
    }

    async fn holder(&self, unit: &PartnerOfRecordLock) -> Result<Option<ClaimId>, Unavailable> {
        self.get("lock", &keys::lock(unit))
            .await?
            .map(|item| {
                from_item::<LockRecord>(&item)
                    .map(|lock| lock.claim_id)
                    .map_err(|e| inconsistent(format!("lock: {e}")))
            })
            .transpose()
    }

    async fn applied(&self, end: &EndedSubscription) -> Result<(), Unavailable> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(keys::subscription_end(end).attributes()))
            .send()
            .await
            .map_err(|e| unavailable("DeleteItem subscription end", &e))?;
        Ok(())
    }
}
