//! Exports' records (`EXPORT#<id>`, `EXPORT`): what was asked, whose it is, where it stands;
//! expired by the table's TTL with their files. And the read of a partner's claims for an
//! export: every page of its partition of the `by_partner` index.

use super::expression::Expression;
use super::record::{Item, field, from_item, to_item};
use super::{DynamoStore, claim_from_item, keys, n, s, unavailable};
use crate::schema::{PARTNER_INDEX, PK};
use chrono::{DateTime, Utc};
use cpor_domain::catalogue::{Program, Workload};
use cpor_domain::claim::{Claim, ClaimStatus};
use cpor_domain::export::{Export, ExportId, ExportStatus, Format, Month, Owner, Query};
use cpor_domain::ids::PartnerId;
use cpor_domain::listing::ClaimFilter;
use cpor_domain::ports::Unavailable;
use cpor_domain::time::serde_instant;
use serde::{Deserialize, Serialize};

/// An export as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ExportRecord {
    export_id: String,
    /// [`Owner::as_key`].
    owner: String,
    kind: String,
    format: String,
    status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rows: Option<u64>,
    #[serde(with = "serde_instant")]
    created_at: DateTime<Utc>,
    #[serde(with = "serde_instant")]
    expires_at: DateTime<Utc>,
    /// The claims' filter, or the ledger's program.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claim_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    program: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    workload: Option<String>,
    /// The ledger's month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    month: Option<String>,
    /// When DynamoDB's TTL deletes the record: when its file expires.
    expires_at_epoch: i64,
}

impl From<&Export> for ExportRecord {
    fn from(export: &Export) -> Self {
        let (claim_status, program, workload, month) = match &export.query {
            Query::Claims(filter) => (
                filter.status.map(|s| s.as_str().to_owned()),
                filter.program.map(|p| p.code().to_owned()),
                filter.workload.map(|w| w.code().to_owned()),
                None,
            ),
            Query::Associations { month, program } => (
                None,
                program.map(|p| p.code().to_owned()),
                None,
                Some(month.to_string()),
            ),
        };
        Self {
            export_id: export.id.to_string(),
            owner: export.owner.as_key(),
            kind: export.query.kind().to_owned(),
            format: export.format.as_str().to_owned(),
            status: export.status.as_str().to_owned(),
            rows: export.rows,
            created_at: export.created_at,
            expires_at: export.expires_at,
            claim_status,
            program,
            workload,
            month,
            expires_at_epoch: export.expires_at.timestamp(),
        }
    }
}

impl TryFrom<ExportRecord> for Export {
    type Error = String;

    fn try_from(r: ExportRecord) -> Result<Self, String> {
        let bad = |what: &str| format!("export {}: {what}", r.export_id);
        let program = r
            .program
            .as_deref()
            .map(Program::parse)
            .transpose()
            .map_err(|_| bad("program"))?;
        let query = match r.kind.as_str() {
            "claims" => Query::Claims(ClaimFilter {
                status: match r.claim_status.as_deref() {
                    Some(s) => Some(ClaimStatus::parse(s).ok_or_else(|| bad("status"))?),
                    None => None,
                },
                program,
                workload: r
                    .workload
                    .as_deref()
                    .map(Workload::parse)
                    .transpose()
                    .map_err(|_| bad("workload"))?,
                tenant_id: None,
            }),
            "associations" => Query::Associations {
                month: r
                    .month
                    .as_deref()
                    .and_then(Month::parse)
                    .ok_or_else(|| bad("month"))?,
                program,
            },
            _ => return Err(bad("kind")),
        };
        Ok(Self {
            id: ExportId::parse(&r.export_id).ok_or_else(|| bad("id"))?,
            owner: Owner::from_key(&r.owner).ok_or_else(|| bad("owner"))?,
            query,
            format: Format::parse(&r.format).map_err(|_| bad("format"))?,
            status: ExportStatus::parse(&r.status).ok_or_else(|| bad("status"))?,
            rows: r.rows,
            created_at: r.created_at,
            expires_at: r.expires_at,
        })
    }
}

fn export_from_item(item: &Item) -> Result<Export, Unavailable> {
    let record: ExportRecord =
        from_item(item).map_err(|e| super::inconsistent(format!("export item: {e}")))?;
    Export::try_from(record).map_err(super::inconsistent)
}

impl DynamoStore {
    /// Records a new export (its id is new: a record already there is refused, never
    /// overwritten).
    pub async fn create_export(&self, export: &Export) -> Result<(), Unavailable> {
        let mut item = to_item(&ExportRecord::from(export))
            .map_err(|e| Unavailable(format!("an export could not be written: {e}")))?;
        item.extend(keys::export(export.id).attributes());
        let mut e = Expression::default();
        let condition = e.not_exists(PK);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_names(e.names())
            .send()
            .await
            .map_err(|e| unavailable("PutItem export", &e))?;
        Ok(())
    }

    /// The export `id`, whoever owns it (the caller checks), read consistently.
    pub async fn export(&self, id: ExportId) -> Result<Option<Export>, Unavailable> {
        self.get("export", &keys::export(id))
            .await?
            .as_ref()
            .map(export_from_item)
            .transpose()
    }

    /// Ends a running export `ready` with its rows, or `failed`. False when it was not running
    /// any more (another delivery of its message ended it first): nothing changes then.
    pub async fn finish_export(
        &self,
        id: ExportId,
        status: ExportStatus,
        rows: Option<u64>,
    ) -> Result<bool, Unavailable> {
        let mut e = Expression::default();
        let condition = e.equals(field::STATUS, s(ExportStatus::Running.as_str()));
        let mut set = vec![(field::STATUS, s(status.as_str()))];
        if let Some(rows) = rows {
            set.push(("rows", n(rows)));
        }
        let update = e.update(set, &[]);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::export(id).attributes()))
            .update_expression(update)
            .condition_expression(condition)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(error) => Err(unavailable("UpdateItem export", &error)),
        }
    }

    /// Every claim of `partner` that passes `filter`, newest first: every page of the
    /// partner's partition of the `by_partner` index (no read budget: an export reads the whole
    /// partition once, in the background; a listing request is the one bounded per call).
    pub async fn partner_claims(
        &self,
        partner: &PartnerId,
        filter: &ClaimFilter,
    ) -> Result<Vec<Claim>, Unavailable> {
        let partition = keys::partner_listing(partner);
        let items = self
            .query_all(|start| {
                let mut e = Expression::default();
                let condition = e.equals(PARTNER_INDEX.partition_key, s(partition.clone()));
                self.query_where(condition, &e)
                    .index_name(PARTNER_INDEX.name)
                    .scan_index_forward(false)
                    .set_exclusive_start_key(start)
            })
            .await?;
        let mut claims = Vec::with_capacity(items.len());
        for item in &items {
            let claim = claim_from_item(item)?;
            if filter.matches(&claim) {
                claims.push(claim);
            }
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::TTL_ATTRIBUTE;
    use cpor_domain::export::ExportRequest;
    use serde_json::json;

    #[test]
    fn an_export_reads_back_as_it_was_written_whatever_it_holds() {
        // GIVEN a partner's filtered claims export and the vendor's ledger of a program
        let now = cpor_domain::time::parse_instant("2026-05-10T12:00:00Z").unwrap();
        let partner = Owner::Partner(PartnerId::parse("1234567").unwrap());
        let claims = ExportRequest::claims(&json!({ "kind": "claims", "status": "approved",
            "program": "osu-m365", "workload": "teams", "format": "csv" }))
        .unwrap();
        let ledger = ExportRequest::ledger(
            &json!({ "kind": "associations", "month": "2026-04", "program": "osu-m365",
                     "format": "jsonl" }),
            now,
        )
        .unwrap();
        for export in [
            Export::new(partner, claims, now),
            Export::new(Owner::Vendor, ledger, now),
        ] {
            // WHEN each is written as an item and read back
            let mut item = to_item(&ExportRecord::from(&export)).unwrap();
            item.extend(keys::export(export.id).attributes());
            // THEN it is the same export, expiring with its file
            assert_eq!(export_from_item(&item).unwrap(), export);
            assert_eq!(
                item[TTL_ATTRIBUTE].as_n().unwrap(),
                &export.expires_at.timestamp().to_string()
            );
        }
    }
}
