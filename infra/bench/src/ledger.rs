//! The payout ledger's export at scale: a fresh emulator seeded (with `BatchWriteItem`) with
//! period items in the shape finalization writes them, spread over the months from
//! `LEDGER_EPOCH`, a share of them effective in the measured month; run-export's export of that
//! month's ledger timed against a floor that only pages through the same index (the same
//! queries, its items discarded), alternately on the same table, [`ROUNDS`] times each, their
//! medians compared; and both again on a table with the periods outside the month doubled.

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use chrono::{DateTime, Months, TimeDelta, Utc};
use cpor_aws::dynamo::ledger_export::{Period, period_item};
use cpor_aws::{DynamoStore, S3Documents};
use cpor_domain::catalogue::Program;
use cpor_domain::export::{Export, ExportRequest, LEDGER_EPOCH, Month, Owner};
use cpor_domain::ids::ClaimId;
use cpor_domain::reference::{PartnerRecord, ReferenceData};
use cpor_local::emulator::Emulator;
use cpor_local::faults::FaultPlan;
use futures::StreamExt;
use run_export::{Outcome, RunExportFunction};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

const TABLE: &str = "cpor-bench-ledger";
const BUCKET: &str = "cpor-bench-ledger-documents";
/// The month measured: the sixth of the service, so that periods start in five months before
/// it and in five after it.
const MONTH: &str = "2026-06";
/// Partners the periods belong to (each named in the directory).
const PARTNERS: usize = 50;
/// `BatchWriteItem`'s most items a call.
const BATCH: usize = 25;
/// Batches written at once while seeding.
const SEED_CONCURRENCY: usize = 8;
/// How many times the floor and the export are timed on a table, one after the other.
pub const ROUNDS: usize = 3;

/// How many periods a phase seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerSeed {
    /// Effective at some time in the month.
    pub effective: usize,
    /// Not: ended by the month's start (half of them), or started at its end or later.
    pub outside: usize,
}

/// What is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerRun {
    /// The ledger index's pages alone: the export's queries, their items discarded.
    Floor,
    /// run-export's export of the month's ledger: the queries, the partners' names, the sort,
    /// the CSV file, its PutObject and the export's end.
    Export,
}

/// What a run took on a table: its median time among the rounds.
#[derive(Debug, Clone)]
pub struct LedgerPhase {
    pub run: LedgerRun,
    pub seed: LedgerSeed,
    pub seed_time: Duration,
    /// The median of the rounds' times.
    pub time: Duration,
    /// Each round's time, in the order measured.
    pub rounds: Vec<Duration>,
    /// Rows exported, or items the floor paged through.
    pub rows: u64,
    /// The items the index read for the run's queries (their key conditions', before the
    /// filter): what DynamoDB's time and cost follow. Counted by the floor's own pages, and
    /// for the export by the same queries made again after it, untimed.
    pub read: u64,
    /// The run's AWS requests.
    pub calls: BTreeMap<String, u64>,
}

/// The floor and the export, then both with the periods outside the month doubled.
#[derive(Debug, Clone)]
pub struct LedgerRuns {
    pub floor: LedgerPhase,
    pub export: LedgerPhase,
    pub doubled_floor: LedgerPhase,
    pub doubled: LedgerPhase,
}

/// The floor and the export on a fresh emulator's table, then on another's with the periods
/// outside the month doubled.
pub async fn runs(seed: LedgerSeed, logs: &Path) -> Result<LedgerRuns, String> {
    let doubled = LedgerSeed {
        outside: seed.outside * 2,
        ..seed
    };
    let mut phases = Vec::new();
    for seed in [seed, doubled] {
        eprintln!(
            "==> the payout ledger: {} effective periods among {}, its floor and its export {ROUNDS} times each",
            seed.effective,
            seed.effective + seed.outside
        );
        let mut emulator = Emulator::start_on_free_port(&logs.join("ledger-emulator.log"))
            .map_err(|e| e.to_string())?;
        let measured = measure(seed, &emulator.endpoint()).await;
        emulator.stop();
        phases.push(measured?);
    }
    let [(floor, export), (doubled_floor, doubled)] =
        <[_; 2]>::try_from(phases).unwrap_or_else(|_| unreachable!("two tables, two measures"));
    Ok(LedgerRuns {
        floor,
        export,
        doubled_floor,
        doubled,
    })
}

fn month() -> Result<Month, String> {
    Month::parse(MONTH).ok_or_else(|| format!("{MONTH} is not a month"))
}

fn partner_id(i: usize) -> String {
    format!("{:07}", 3_000_000 + i % PARTNERS)
}

/// The `i`th month from the epoch's start (0: January 2026), and a time in it.
fn in_month(months: u32, i: usize) -> DateTime<Utc> {
    let start = LEDGER_EPOCH.start() + Months::new(months);
    start + TimeDelta::minutes((i % (27 * 24 * 60)) as i64)
}

/// The seed's periods: `effective` ones effective in [`MONTH`] (open since an earlier month,
/// started in it, ended in it, or ended after it, a quarter each), then `outside` ones that are
/// not (ended before its start, or started after its end, half each).
fn periods(seed: LedgerSeed) -> Vec<(String, Period)> {
    // Months from the epoch to MONTH.
    let measured: u32 = 5;
    let period = |i: usize, from: DateTime<Utc>, until: Option<DateTime<Utc>>| {
        let unit = format!("{:08x}-0000-4000-8000-{i:012x}#workload#teams", i);
        let p = Period {
            claim_id: ClaimId::new_at(from).to_string(),
            partner_id: partner_id(i),
            program: "osu-m365".to_owned(),
            tenant_id: format!("{i:08x}-0000-4000-8000-{i:012x}"),
            workload: "teams".to_owned(),
            subscription_id: None,
            effective_from: from,
            effective_until: until,
        };
        (unit, p)
    };
    let earlier = |i: usize| in_month((i % measured as usize) as u32, i);
    let during = |i: usize| in_month(measured, i);
    let later = |i: usize| in_month(measured + 1 + (i % 5) as u32, i);
    let mut all = Vec::with_capacity(seed.effective + seed.outside);
    for i in 0..seed.effective {
        let (from, until) = match i % 4 {
            0 => (earlier(i), None),
            1 => (during(i), Some(during(i) + TimeDelta::hours(6))),
            2 => (earlier(i), Some(during(i) + TimeDelta::minutes(1))),
            _ => (earlier(i), Some(later(i))),
        };
        all.push(period(i, from, until));
    }
    for j in 0..seed.outside {
        let i = seed.effective + j;
        let (from, until) = if j % 2 == 0 {
            // Ended before the month began: in its start's partition, below the key condition.
            let from = earlier(i);
            (from, Some(from + TimeDelta::days(1)))
        } else {
            // Started after it: in a partition never queried.
            (later(i), None)
        };
        all.push(period(i, from, until));
    }
    all
}

/// Writes `items` with `BatchWriteItem`, 25 a call, a few calls at once, until none is left
/// unprocessed.
async fn batch_write(
    client: &aws_sdk_dynamodb::Client,
    items: Vec<cpor_aws::dynamo::record::Item>,
) -> Result<(), String> {
    let batches: Vec<Vec<WriteRequest>> = items
        .chunks(BATCH)
        .map(|chunk| {
            chunk
                .iter()
                .map(|item| {
                    let put = PutRequest::builder()
                        .set_item(Some(item.clone()))
                        .build()
                        .map_err(|e| e.to_string())?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<Vec<_>, String>>()
        })
        .collect::<Result<_, _>>()?;
    let results: Vec<Result<(), String>> = futures::stream::iter(batches)
        .map(|mut writes| async move {
            while !writes.is_empty() {
                let out = client
                    .batch_write_item()
                    .request_items(TABLE, writes)
                    .send()
                    .await
                    .map_err(|e| cpor_aws::describe(&e))?;
                writes = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(TABLE))
                    .unwrap_or_default();
            }
            Ok(())
        })
        .buffer_unordered(SEED_CONCURRENCY)
        .collect()
        .await;
    results.into_iter().collect()
}

/// Seeds a table with `seed`'s periods, then times the floor and the export on it, alternately.
async fn measure(seed: LedgerSeed, endpoint: &str) -> Result<(LedgerPhase, LedgerPhase), String> {
    let plan = FaultPlan::counting();
    let sdk = crate::scale::sdk(endpoint, &plan).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    cpor_aws::schema::create_table(&client, TABLE)
        .await
        .map_err(|e| e.to_string())?;
    let s3 = S3Documents::client(&sdk);
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .map_err(|e| cpor_aws::describe(&e))?;
    let store = DynamoStore::new(client.clone(), TABLE);
    let partners = (0..PARTNERS)
        .map(|i| {
            let id = partner_id(i);
            serde_json::from_value::<PartnerRecord>(serde_json::json!({
                "partner_id": id, "name": format!("Partner {id}"), "programs": ["osu-m365"],
            }))
            .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    store
        .put_reference_data(&ReferenceData {
            partners,
            tenants: Vec::new(),
        })
        .await
        .map_err(|e| e.0)?;
    let items = periods(seed)
        .iter()
        .map(|(unit, p)| period_item(unit, p).map_err(|e| e.0))
        .collect::<Result<Vec<_>, _>>()?;
    let seed_started = Instant::now();
    batch_write(&client, items).await?;
    let seed_time = seed_started.elapsed();
    let month = month()?;
    let programs: Vec<Program> = Program::all().collect();
    let function = RunExportFunction::new(store.clone(), S3Documents::new(s3, BUCKET));
    let mut times = [Vec::new(), Vec::new()];
    let mut runs: [Option<Timed>; 2] = [None, None];
    for _ in 0..ROUNDS {
        for (at, run) in [LedgerRun::Floor, LedgerRun::Export]
            .into_iter()
            .enumerate()
        {
            let timed = timed(run, &store, &function, &plan, month, &programs).await?;
            if timed.rows != seed.effective as u64 {
                return Err(format!(
                    "{run:?}: {} rows of {} effective periods",
                    timed.rows, seed.effective
                ));
            }
            times[at].push(timed.time);
            runs[at] = Some(timed);
        }
    }
    let [floor, export] = runs.map(|r| r.unwrap_or_else(|| unreachable!("at least one round")));
    let [floor_times, export_times] = times;
    let phase = |run: LedgerRun, timed: Timed, rounds: Vec<Duration>| LedgerPhase {
        run,
        seed,
        seed_time,
        time: median(&rounds),
        rounds,
        rows: timed.rows,
        read: timed.read,
        calls: timed.calls,
    };
    Ok((
        phase(LedgerRun::Floor, floor, floor_times),
        phase(LedgerRun::Export, export, export_times),
    ))
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

/// One timed run.
struct Timed {
    time: Duration,
    rows: u64,
    read: u64,
    calls: BTreeMap<String, u64>,
}

/// `run` timed once: the floor's queries, or the export of a new vendor's export of the month
/// of every program, recorded as the door records it.
async fn timed(
    run: LedgerRun,
    store: &DynamoStore,
    function: &RunExportFunction,
    plan: &FaultPlan,
    month: Month,
    programs: &[Program],
) -> Result<Timed, String> {
    let request = ExportRequest::ledger(
        &serde_json::json!({ "kind": "associations", "month": MONTH, "format": "csv" }),
        Utc::now(),
    )
    .map_err(|e| e.to_string())?;
    let export = Export::new(Owner::Vendor, request, Utc::now());
    store.create_export(&export).await.map_err(|e| e.0)?;
    plan.reset_counts();
    let started = Instant::now();
    let (rows, pages) = match run {
        LedgerRun::Floor => {
            let pages = store
                .page_ledger_index(month, programs)
                .await
                .map_err(|e| e.0)?;
            (pages.items, Some(pages))
        }
        LedgerRun::Export => match function.run(export.id).await.map_err(|e| e.to_string())? {
            Outcome::Ready(rows) => (rows, None),
            Outcome::AlreadyEnded => return Err("the export had ended before it ran".into()),
        },
    };
    let time = started.elapsed();
    let calls = plan.calls();
    let read = match pages {
        Some(pages) => pages.read,
        None => {
            store
                .page_ledger_index(month, programs)
                .await
                .map_err(|e| e.0)?
                .read
        }
    };
    Ok(Timed {
        time,
        rows,
        read,
        calls,
    })
}
