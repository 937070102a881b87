//! In-memory implementations of the submission ports, for benchmarks and unit tests that
//! measure or check the domain's own work without a network (feature `memory`).
//!
//! They keep the rules the real store keeps (one holder per partner-of-record lock, one use of
//! an idempotency key per partner) so that a use case behaves here as it does on DynamoDB.

use crate::claim::{Claim, HistoryEntry};
use crate::idempotency::{IdempotencyKey, IdempotencyRecord};
use crate::ids::{ClaimId, PartnerId, TenantId};
use crate::ports::{
    CreateError, LockHolder, NotificationQueue, SubmissionContext, SubmissionStore, Unavailable,
};
use crate::reference::{PartnerRecord, ReferenceData, TenantRecord};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

#[derive(Debug, Default)]
struct Tables {
    partners: HashMap<PartnerId, PartnerRecord>,
    tenants: HashMap<TenantId, TenantRecord>,
    claims: HashMap<ClaimId, (Claim, Vec<HistoryEntry>)>,
    locks: HashMap<String, LockHolder>,
    idempotency: HashMap<(PartnerId, String), IdempotencyRecord>,
}

/// Claims, locks, idempotency records and reference data, held in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
}

impl MemoryStore {
    /// A store holding this reference data.
    pub fn with_reference_data(data: &ReferenceData) -> Self {
        let store = Self::default();
        {
            let mut tables = store.tables();
            for partner in &data.partners {
                tables
                    .partners
                    .insert(partner.partner_id.clone(), partner.clone());
            }
            for tenant in &data.tenants {
                tables.tenants.insert(tenant.tenant_id, tenant.clone());
            }
        }
        store
    }

    /// A stored claim, with its history.
    pub fn claim(&self, id: ClaimId) -> Option<(Claim, Vec<HistoryEntry>)> {
        self.tables().claims.get(&id).cloned()
    }

    /// How many claims are stored.
    pub fn claim_count(&self) -> usize {
        self.tables().claims.len()
    }

    fn tables(&self) -> MutexGuard<'_, Tables> {
        // A panic while holding the lock cannot leave the maps half-written: every change
        // below is a single insert.
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl SubmissionStore for MemoryStore {
    async fn submission_context(
        &self,
        partner_id: &PartnerId,
        tenant_id: &TenantId,
        key: Option<&IdempotencyKey>,
    ) -> Result<SubmissionContext, Unavailable> {
        let tables = self.tables();
        Ok(SubmissionContext {
            partner: tables.partners.get(partner_id).cloned(),
            tenant: tables.tenants.get(tenant_id).cloned(),
            prior: key.and_then(|k| {
                tables
                    .idempotency
                    .get(&(partner_id.clone(), k.as_str().to_owned()))
                    .cloned()
            }),
        })
    }

    async fn create_claim(
        &self,
        claim: &Claim,
        entry: &HistoryEntry,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<(), CreateError> {
        let mut tables = self.tables();
        let lock = claim.subject.lock().as_str().to_owned();
        if let Some(holder) = tables.locks.get(&lock) {
            return Err(CreateError::LockHeld(holder.clone()));
        }
        let key = idempotency.map(|r| (r.partner_id.clone(), r.key.clone()));
        if key
            .as_ref()
            .is_some_and(|k| tables.idempotency.contains_key(k))
        {
            return Err(CreateError::KeyTaken);
        }
        tables.locks.insert(
            lock,
            LockHolder {
                claim_id: claim.id,
                partner_id: claim.partner_id.clone(),
            },
        );
        if let (Some(key), Some(record)) = (key, idempotency) {
            tables.idempotency.insert(key, record.clone());
        }
        tables
            .claims
            .insert(claim.id, (claim.clone(), vec![entry.clone()]));
        Ok(())
    }
}

/// A notification queue that remembers what was queued.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    queued: Mutex<Vec<ClaimId>>,
}

impl MemoryQueue {
    /// The claims queued so far, oldest first.
    pub fn queued(&self) -> Vec<ClaimId> {
        self.queued.lock().map(|q| q.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl NotificationQueue for MemoryQueue {
    async fn enqueue(&self, claim_id: ClaimId) -> Result<(), Unavailable> {
        self.queued
            .lock()
            .map_err(|_| Unavailable("the in-memory queue is poisoned".into()))?
            .push(claim_id);
        Ok(())
    }
}
