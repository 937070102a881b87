//! Writing many items without conditions: reference data (partners, tenants), and claims seeded
//! in bulk for benchmarks. Never for the service's own changes, which are conditional.

use super::record::Item;
use super::{
    DynamoStore, build, claim_item, event_item, keyed, keys, lock_item, partition_key_of,
    unavailable,
};
use crate::pause::TokioPause;
use aws_sdk_dynamodb::types::{KeysAndAttributes, PutRequest, WriteRequest};
use cpor_domain::claim::{Claim, HistoryEntry};
use cpor_domain::events::EventSubject;
use cpor_domain::ports::Unavailable;
use cpor_domain::reference::ReferenceData;
use cpor_domain::retry::RETRY;
use std::sync::Mutex;

/// Items in one `BatchWriteItem` call (DynamoDB's limit).
const BATCH_WRITE_SIZE: usize = 25;

impl DynamoStore {
    /// Loads reference data (partners, tenants), replacing the records with the same ids;
    /// loading the same data twice is harmless.
    pub async fn put_reference_data(&self, data: &ReferenceData) -> Result<(), Unavailable> {
        let mut items = Vec::new();
        for partner in &data.partners {
            items.push(keyed(partner, &keys::partner(&partner.partner_id), [])?);
        }
        for tenant in &data.tenants {
            items.push(keyed(tenant, &keys::tenant(tenant.tenant_id), [])?);
            // Each subscription said to have ended, for the nightly run to end its claim.
            for end in tenant.ended_subscriptions() {
                items.push(keyed(
                    &super::ends::EndRecord::from(&end),
                    &keys::subscription_end(&end),
                    [],
                )?);
            }
        }
        // One batch may not hold one key twice: the last record of an id wins.
        let mut by_key: Vec<((String, String), Item)> = Vec::new();
        for item in items {
            let key = (partition_key_of(&item), super::sort_key_of(&item));
            by_key.retain(|(k, _)| *k != key);
            by_key.push((key, item));
        }
        self.put_items(by_key.into_iter().map(|(_, item)| item))
            .await
    }

    /// Writes claims as the service stores them (the claim with its index attributes, its
    /// history, its lock while it holds one, and its association's period once it has one),
    /// for seeding a table in bulk (benchmarks).
    /// Returns how many items were written.
    pub async fn seed_claims(
        &self,
        claims: &[(Claim, Vec<HistoryEntry>)],
    ) -> Result<usize, Unavailable> {
        let mut items = Vec::new();
        for (claim, history) in claims {
            items.push(claim_item(claim)?);
            for entry in history {
                items.push(event_item(claim.id, entry, Some(&EventSubject::of(claim)))?);
            }
            if claim.status().holds_lock() {
                items.push(lock_item(claim)?);
            }
            items.extend(super::periods::period_item(claim)?);
        }
        let written = items.len();
        self.put_items(items).await?;
        Ok(written)
    }

    /// Puts `items`, `BATCH_WRITE_SIZE` a `BatchWriteItem` call, sending again the items
    /// DynamoDB leaves unprocessed. Unconditional: for items no condition guards.
    pub async fn put_items(
        &self,
        items: impl IntoIterator<Item = Item>,
    ) -> Result<(), Unavailable> {
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

    /// Writes one batch, sending again (the retry policy) the items DynamoDB left unprocessed.
    async fn batch_write(&self, writes: Vec<WriteRequest>) -> Result<(), Unavailable> {
        // Shared by the attempts; the lock is never held across an await.
        let pending = Mutex::new(writes);
        let left = |p: &Mutex<Vec<WriteRequest>>| p.lock().map(|p| p.len()).unwrap_or(0);
        RETRY
            .run(
                "BatchWriteItem with unprocessed items",
                &TokioPause,
                || async {
                    let batch =
                        std::mem::take(&mut *pending.lock().unwrap_or_else(|e| e.into_inner()));
                    let out = self
                        .client
                        .batch_write_item()
                        .request_items(&self.table, batch)
                        .send()
                        .await
                        .map_err(|e| unavailable("BatchWriteItem", &e))?;
                    let unprocessed = out
                        .unprocessed_items()
                        .and_then(|u| u.get(&self.table))
                        .cloned()
                        .unwrap_or_default();
                    let count = unprocessed.len();
                    *pending.lock().unwrap_or_else(|e| e.into_inner()) = unprocessed;
                    if count == 0 {
                        Ok(())
                    } else {
                        Err(Unavailable(format!(
                            "BatchWriteItem: {count} items left unprocessed"
                        )))
                    }
                },
                |_| left(&pending) > 0,
            )
            .await
    }

    /// Reads the items of `keys` (those that exist), consistently, a hundred keys a
    /// `BatchGetItem`, asking again for the keys DynamoDB leaves unprocessed.
    pub async fn get_items(&self, keys: Vec<Item>) -> Result<Vec<Item>, Unavailable> {
        let mut items = Vec::new();
        for chunk in keys.chunks(BATCH_GET_SIZE) {
            let request = build(
                "keys and attributes",
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .build(),
            )?;
            items.extend(self.batch_get(request).await?);
        }
        Ok(items)
    }
}

/// The most keys one `BatchGetItem` may name.
const BATCH_GET_SIZE: usize = 100;
