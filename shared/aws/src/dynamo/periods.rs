//! The associations' periods, kept beside their units ([`PartnersOfRecord`]): each written in
//! the transaction of the change that starts or ends it, keyed by its unit and sorted by its
//! beginning, so that a unit's partner of record at an instant is one Query; and placed in the
//! sparse `ledger` index by program and the month it began, for the payout ledger.

use super::expression::{Expression, all};
use super::record::{Item, from_item};
use super::{DynamoStore, inconsistent, keyed, keys, s, unavailable};
use crate::schema::{LEDGER_INDEX, PK, SK};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cpor_domain::catalogue::{Program, Workload};
use cpor_domain::claim::{Association, Claim, PartnerOfRecordLock, Period};
use cpor_domain::export::Month;
use cpor_domain::ids::{ClaimId, PartnerId, SubscriptionId, TenantId};
use cpor_domain::ports::{PartnersOfRecord, Unavailable};
use cpor_domain::time::serde_instant;
use serde::{Deserialize, Serialize};

/// A period as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodRecord {
    pub claim_id: ClaimId,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub program: Program,
    pub tenant_id: TenantId,
    pub workload: Workload,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<SubscriptionId>,
    #[serde(with = "serde_instant")]
    pub effective_from: DateTime<Utc>,
    #[serde(
        with = "serde_instant::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub effective_until: Option<DateTime<Utc>>,
}

impl From<&Period> for PeriodRecord {
    fn from(p: &Period) -> Self {
        Self {
            claim_id: p.claim_id,
            partner_id: p.partner_id.clone(),
            partner_name: p.partner_name.clone(),
            program: p.program,
            tenant_id: p.tenant_id,
            workload: p.workload,
            subscription_id: p.subscription_id,
            effective_from: p.association.effective_from,
            effective_until: p.association.effective_until,
        }
    }
}

impl From<PeriodRecord> for Period {
    fn from(r: PeriodRecord) -> Self {
        Self {
            claim_id: r.claim_id,
            partner_id: r.partner_id,
            partner_name: r.partner_name,
            program: r.program,
            tenant_id: r.tenant_id,
            workload: r.workload,
            subscription_id: r.subscription_id,
            association: Association {
                effective_from: r.effective_from,
                effective_until: r.effective_until,
            },
        }
    }
}

/// The item of `claim`'s period as the change to `claim` leaves it, if it has one: in its
/// unit's partition, and in the ledger index.
pub(super) fn period_item(claim: &Claim) -> Result<Option<Item>, Unavailable> {
    let Some(period) = Period::of(claim) else {
        return Ok(None);
    };
    let a = period.association;
    let key = keys::period(&claim.subject.lock(), a.effective_from, claim.id);
    let ledger = [
        (
            LEDGER_INDEX.partition_key,
            s(keys::ledger_partition(
                period.program.code(),
                Month::of(a.effective_from),
            )),
        ),
        (
            LEDGER_INDEX.sort_key,
            s(keys::ledger_position(
                a.effective_until,
                &claim.id.to_string(),
            )),
        ),
    ];
    keyed(&PeriodRecord::from(&period), &key, ledger).map(Some)
}

/// A stored period.
pub fn period_from_item(item: &Item) -> Result<Period, Unavailable> {
    from_item::<PeriodRecord>(item)
        .map(Period::from)
        .map_err(|e| inconsistent(format!("period item: {e}")))
}

#[async_trait]
impl PartnersOfRecord for DynamoStore {
    async fn partner_of_record(
        &self,
        unit: &PartnerOfRecordLock,
        at: DateTime<Utc>,
    ) -> Result<Option<Period>, Unavailable> {
        // The newest period that began at or before `at`: only it can cover `at`.
        let mut e = Expression::default();
        let condition = all(&[
            e.equals(PK, s(keys::unit_partition(unit))),
            // The unit's partition holds its periods alone.
            e.at_most(SK, s(keys::periods_until(at))),
        ]);
        let page = self
            .query_where(condition, &e)
            .scan_index_forward(false)
            .limit(1)
            .send()
            .await
            .map_err(|e| unavailable("Query periods", &e))?;
        let newest_first = page
            .items()
            .iter()
            .map(period_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(cpor_domain::claim::covering(newest_first, at))
    }
}
