//! The payout ledger's read side: every association effective at any time in a month, from
//! the sparse `ledger` index of the periods (`PERIOD#` items). Not the ledger of sends
//! (`ledger.rs`).
//!
//! A period item is `UNIT#<lock key>` / `PERIOD#<effective_from>#<claim id>`, with
//! `ledger_pk` = `LEDGER#<program>#<YYYY-MM of effective_from>` and `ledger_sk` =
//! `<effective_until, or "~" while open>#<claim id>` (instants as `format_instant` writes them,
//! so they sort as text). The ledger of month M for a program is, for every month m from
//! `LEDGER_EPOCH` to M, one query of `ledger_pk = LEDGER#<program>#<m>` with `ledger_sk >
//! "<start of M>#~"`: a period that ended at M's start or before sorts below that bound and is
//! never read, a period that started after M is in a partition never queried. So what a month's
//! ledger reads is what it holds (and the periods of each month's partition still open or
//! ended within M), however many periods ended before it or started after it. The queries run
//! [`LEDGER_CONCURRENCY`] at a time.

use super::expression::{Expression, all};
use super::record::{Item, from_item, to_item};
use super::{DynamoStore, keys, s, unavailable};
use crate::schema::{LEDGER_INDEX, PK, SK};
use aws_sdk_dynamodb::types::KeysAndAttributes;
use chrono::{DateTime, Utc};
use cpor_domain::catalogue::Program;
use cpor_domain::export::{LEDGER_EPOCH, LedgerRow, Month};
use cpor_domain::ids::PartnerId;
use cpor_domain::ports::Unavailable;
use cpor_domain::reference::PartnerRecord;
use cpor_domain::time::{format_instant, serde_instant};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// How many of a ledger's queries run at once.
pub const LEDGER_CONCURRENCY: usize = 8;

/// A period item's partition prefix: the unit it is a period of.
const UNIT_PREFIX: &str = "UNIT#";
/// A period item's sort key prefix.
const PERIOD_PREFIX: &str = "PERIOD#";
/// The most keys one `BatchGetItem` may ask for.
const BATCH_GET_KEYS: usize = 100;

/// A claim's period as partner of record of its unit, as its item holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub claim_id: String,
    pub partner_id: String,
    pub program: String,
    pub tenant_id: String,
    pub workload: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
    #[serde(with = "serde_instant")]
    pub effective_from: DateTime<Utc>,
    #[serde(
        with = "serde_instant::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub effective_until: Option<DateTime<Utc>>,
}

/// The item of `period` of the unit whose lock key is `unit` (`ClaimSubject::lock()`'s text),
/// in the ledger index: what finalization writes. The tests and the bench write periods with
/// it.
pub fn period_item(unit: &str, period: &Period) -> Result<Item, Unavailable> {
    let mut item = to_item(period).map_err(|e| Unavailable(format!("a period item: {e}")))?;
    let started = format_instant(period.effective_from);
    item.insert(PK.to_owned(), s(format!("{UNIT_PREFIX}{unit}")));
    item.insert(
        SK.to_owned(),
        s(format!("{PERIOD_PREFIX}{started}#{}", period.claim_id)),
    );
    item.insert(
        LEDGER_INDEX.partition_key.to_owned(),
        s(keys::ledger_partition(
            &period.program,
            Month::of(period.effective_from),
        )),
    );
    item.insert(
        LEDGER_INDEX.sort_key.to_owned(),
        s(keys::ledger_position(
            period.effective_until,
            &period.claim_id,
        )),
    );
    Ok(item)
}

/// One query of a month's ledger: the periods of one program that started in one month and
/// had not ended by the ledger's month's start, started before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerQuery {
    partition: String,
    after: String,
    before: String,
}

/// What paging through a ledger's queries found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LedgerPages {
    /// The periods answered (effective in the month).
    pub items: u64,
    /// The items the index read for them: its key conditions', before the filter.
    pub read: u64,
}

/// The queries of the ledger of `month` for `programs`: one per program and month from
/// [`LEDGER_EPOCH`] to `month`.
pub fn ledger_queries(month: Month, programs: &[Program]) -> Vec<LedgerQuery> {
    let after = keys::ledger_not_ended_by(month.start());
    let before = format_instant(month.end());
    programs
        .iter()
        .flat_map(|program| {
            month.since(LEDGER_EPOCH).map(|started| LedgerQuery {
                partition: keys::ledger_partition(program.code(), started),
                after: after.clone(),
                before: before.clone(),
            })
        })
        .collect()
}

impl DynamoStore {
    /// Every page of one ledger query, each handed to `page`; answers how many items the
    /// index read for it (its key condition's, before the filter).
    async fn ledger_pages(
        &self,
        query: &LedgerQuery,
        mut page: impl FnMut(&[Item]) -> Result<(), Unavailable>,
    ) -> Result<u64, Unavailable> {
        let mut start = None;
        let mut read = 0u64;
        loop {
            let mut e = Expression::default();
            let key = all(&[
                e.equals(LEDGER_INDEX.partition_key, s(query.partition.clone())),
                e.greater_than(LEDGER_INDEX.sort_key, s(query.after.clone())),
            ]);
            let filter = e.less_than("effective_from", s(query.before.clone()));
            let out = self
                .query_where(key, &e)
                .index_name(LEDGER_INDEX.name)
                .filter_expression(filter)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("Query ledger", &e))?;
            page(out.items())?;
            read += u64::try_from(out.scanned_count()).unwrap_or_default();
            match out.last_evaluated_key() {
                Some(last) => start = Some(last.clone()),
                None => return Ok(read),
            }
        }
    }

    /// The periods of the ledger of `month` for `programs`, in no order.
    pub async fn ledger_periods(
        &self,
        month: Month,
        programs: &[Program],
    ) -> Result<Vec<Period>, Unavailable> {
        let queries = ledger_queries(month, programs);
        let found: Vec<Vec<Period>> = futures::stream::iter(queries)
            .map(|query| async move {
                let mut periods = Vec::new();
                self.ledger_pages(&query, |items| {
                    for item in items {
                        let period: Period = from_item(item)
                            .map_err(|e| super::inconsistent(format!("period item: {e}")))?;
                        periods.push(period);
                    }
                    Ok(())
                })
                .await?;
                Ok::<_, Unavailable>(periods)
            })
            .buffer_unordered(LEDGER_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// The same queries as [`DynamoStore::ledger_periods`], their items counted and
    /// discarded: the floor that a ledger's export is measured against (cpor-bench).
    pub async fn page_ledger_index(
        &self,
        month: Month,
        programs: &[Program],
    ) -> Result<LedgerPages, Unavailable> {
        let queries = ledger_queries(month, programs);
        let counts: Vec<LedgerPages> = futures::stream::iter(queries)
            .map(|query| async move {
                let mut items = 0u64;
                let read = self
                    .ledger_pages(&query, |page| {
                        items += page.len() as u64;
                        Ok(())
                    })
                    .await?;
                Ok::<_, Unavailable>(LedgerPages { items, read })
            })
            .buffer_unordered(LEDGER_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(counts
            .into_iter()
            .fold(LedgerPages::default(), |sum, pages| LedgerPages {
                items: sum.items + pages.items,
                read: sum.read + pages.read,
            }))
    }

    /// The payout ledger of `month` for `programs`: each period effective at any time in it,
    /// with its partner's name, by program, then start, then claim.
    pub async fn ledger(
        &self,
        month: Month,
        programs: &[Program],
    ) -> Result<Vec<LedgerRow>, Unavailable> {
        let periods = self.ledger_periods(month, programs).await?;
        let partners: BTreeSet<&str> = periods.iter().map(|p| p.partner_id.as_str()).collect();
        let names = self.partner_names(&partners).await?;
        let mut rows: Vec<LedgerRow> = periods
            .into_iter()
            .map(|p| LedgerRow {
                partner_name: names.get(&p.partner_id).cloned().unwrap_or_default(),
                tenant_id: p.tenant_id,
                workload: p.workload,
                subscription_id: p.subscription_id,
                partner_id: p.partner_id,
                program: p.program,
                claim_id: p.claim_id,
                effective_from: p.effective_from,
                effective_until: p.effective_until,
            })
            .collect();
        rows.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        Ok(rows)
    }

    /// The registered names of `partners` (a partner no longer in the directory has none),
    /// a hundred a `BatchGetItem`.
    async fn partner_names(
        &self,
        partners: &BTreeSet<&str>,
    ) -> Result<HashMap<String, String>, Unavailable> {
        let ids: Vec<PartnerId> = partners
            .iter()
            .filter_map(|id| PartnerId::parse(id).ok())
            .collect();
        let mut names = HashMap::new();
        for chunk in ids.chunks(BATCH_GET_KEYS) {
            let keys = chunk.iter().map(|id| keys::partner(id).attributes());
            let request = super::build(
                "keys",
                KeysAndAttributes::builder()
                    .set_keys(Some(keys.collect()))
                    .build(),
            )?;
            for item in self.batch_get(request).await? {
                let partner: PartnerRecord = from_item(&item)
                    .map_err(|e| super::inconsistent(format!("partner item: {e}")))?;
                names.insert(partner.partner_id.to_string(), partner.name);
            }
        }
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpor_domain::time::parse_instant;

    fn at(text: &str) -> DateTime<Utc> {
        parse_instant(text).unwrap()
    }

    fn period(from: &str, until: Option<&str>) -> Period {
        Period {
            claim_id: "01JDX3ZQ5K7M9N1P3R5T7V9X1Z".into(),
            partner_id: "1234567".into(),
            program: "osu-m365".into(),
            tenant_id: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
            workload: "teams".into(),
            subscription_id: None,
            effective_from: at(from),
            effective_until: until.map(at),
        }
    }

    fn sort_key(item: &Item) -> &str {
        item[LEDGER_INDEX.sort_key].as_s().unwrap()
    }

    #[test]
    fn a_period_item_is_in_the_ledger_partition_of_its_start_sorted_by_its_end() {
        // GIVEN a closed period and an open one
        let closed = period("2026-02-10T08:00:00Z", Some("2026-03-05T00:00:00Z"));
        let item = period_item("tenant#workload#teams", &closed).unwrap();
        // THEN each is in its start's month's partition, sorted by its end, and reads back
        assert_eq!(
            item[LEDGER_INDEX.partition_key].as_s().unwrap(),
            "LEDGER#osu-m365#2026-02"
        );
        assert_eq!(
            sort_key(&item),
            "2026-03-05T00:00:00.000Z#01JDX3ZQ5K7M9N1P3R5T7V9X1Z"
        );
        assert_eq!(item[PK].as_s().unwrap(), "UNIT#tenant#workload#teams");
        assert_eq!(
            item[SK].as_s().unwrap(),
            "PERIOD#2026-02-10T08:00:00.000Z#01JDX3ZQ5K7M9N1P3R5T7V9X1Z"
        );
        assert_eq!(from_item::<Period>(&item).unwrap(), closed);
        let open = period_item("u", &period("2026-02-10T08:00:00Z", None)).unwrap();
        assert!(sort_key(&open).starts_with("~#"));
        assert!(!open.contains_key("effective_until"));
    }

    #[test]
    fn the_month_s_bound_keeps_out_exactly_the_periods_ended_by_its_start() {
        // GIVEN the bound of March 2026's ledger
        let march = Month::parse("2026-03").unwrap();
        let query = &ledger_queries(march, &[Program::parse("osu-m365").unwrap()])[0];
        let key = |until: Option<&str>| {
            sort_key(&period_item("u", &period("2026-01-10T00:00:00Z", until)).unwrap()).to_owned()
        };
        // THEN a period ended before or exactly at the month's start sorts at or below it, and
        // one ended a millisecond later, or open, above it
        assert!(key(Some("2026-02-28T23:59:59.999Z")) <= query.after);
        assert!(key(Some("2026-03-01T00:00:00Z")) <= query.after);
        assert!(key(Some("2026-03-01T00:00:00.001Z")) > query.after);
        assert!(key(None) > query.after);
        // AND a period must start before the next month does
        assert_eq!(query.before, "2026-04-01T00:00:00.000Z");
    }

    #[test]
    fn a_month_s_ledger_queries_every_month_since_the_epoch_for_every_program() {
        // GIVEN the ledger of March 2026, for one program and for the catalogue
        let march = Month::parse("2026-03").unwrap();
        let one = ledger_queries(march, &[Program::parse("osu-m365").unwrap()]);
        let every: Vec<Program> = Program::all().collect();
        // THEN one query per program and month from January
        let partitions: Vec<&str> = one.iter().map(|q| q.partition.as_str()).collect();
        assert_eq!(
            partitions,
            [
                "LEDGER#osu-m365#2026-01",
                "LEDGER#osu-m365#2026-02",
                "LEDGER#osu-m365#2026-03"
            ]
        );
        assert_eq!(ledger_queries(march, &every).len(), 3 * every.len());
    }
}
