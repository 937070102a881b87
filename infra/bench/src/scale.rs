//! Finalization at scale: a fresh emulator seeded with due and not-due claims (in the shape the
//! service stores them), finalize-association's run timed against a floor that issues only the
//! same conditional writes, at the same concurrency, for claim ids known in advance.

use chrono::{DateTime, TimeDelta, Utc};
use cpor_aws::DynamoStore;
use cpor_domain::calendar::{BusinessCalendar, OptOutWindow};
use cpor_domain::claim::{Claim, HistoryEntry, WithdrawalReason};
use cpor_domain::clock::SystemClock;
use cpor_domain::ids::{ClaimId, PartnerId, TenantId};
use cpor_domain::ports::{DueClaim, DueIndex};
use cpor_domain::submission::parse_submission;
use cpor_domain::usecase::finalize::DEFAULT_CONCURRENCY;
use cpor_local::emulator::Emulator;
use cpor_local::faults::FaultPlan;
use finalize_association::FinalizeAssociationFunction;
use futures::StreamExt;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    /// finalize-association's own run: the due index read, then the writes.
    Finalize,
    /// The same conditional writes only, for ids known in advance.
    Floor,
}

/// One timed run on a fresh table.
#[derive(Debug, Clone)]
pub struct Phase {
    /// What ran.
    pub run: Run,
    /// Claims due.
    pub due: usize,
    /// Claims not due: decided long ago, or awaiting with the deadline ahead.
    pub not_due: usize,
    /// Items written by the seed, and how long it took.
    pub seeded_items: usize,
    /// How long the seed took.
    pub seed_time: Duration,
    /// How long the run took.
    pub time: Duration,
    /// How long reading the due index alone took (finalize runs only), timed before the run.
    pub index_read: Option<Duration>,
    /// Claims the run moved to `associated`.
    pub finalized: usize,
    /// The AWS requests of the run.
    pub calls: BTreeMap<String, u64>,
}

const TABLE: &str = "cpor-bench";
const PARTNER: &str = "1234567";

/// `due` claims whose windows closed before `now`, and `not_due` others, each for its own
/// tenant: as a table holds them after months of service, most decided long ago (7 in 10
/// associated, 1 declined, 1 withdrawn: out of the sparse due index) and 1 in 10 awaiting its
/// customer with the deadline still ahead (in the index, beyond the query's key condition).
fn claims(due: usize, not_due: usize, now: DateTime<Utc>) -> Vec<(Claim, Vec<HistoryEntry>)> {
    // The tests' example claim (signed 30 days before today); each copy gets a tenant of its own.
    let body = cpor_tests::claim_body("teams");
    let template = body
        .as_object()
        .and_then(|o| parse_submission(o, now.date_naive()).ok())
        .expect("the template claim is valid");
    let partner = PartnerId::parse(PARTNER).expect("a partner id");
    let reason = WithdrawalReason::parse("engagement ended").expect("a reason");
    (0..due + not_due)
        .map(|i| {
            let mut subject = template.clone();
            subject.tenant_id =
                TenantId::parse(&format!("{i:08x}-0000-4000-8000-{i:012x}")).expect("a tenant id");
            let kind = if i < due { None } else { Some((i - due) % 10) };
            let deadline = match kind {
                None => now - TimeDelta::hours(1 + (i % 72) as i64),
                Some(0) => now + TimeDelta::hours(1 + (i % 120) as i64),
                Some(_) => now - TimeDelta::days(2 + (i % 300) as i64),
            };
            let notified_at = deadline - TimeDelta::days(7);
            let created_at = notified_at - TimeDelta::minutes(1);
            let (claim, first) = Claim::submit(
                ClaimId::new_at(created_at),
                partner.clone(),
                "Fabrikam Consulting".into(),
                subject,
                created_at,
            );
            let notified = claim
                .notify(OptOutWindow {
                    notified_at,
                    deadline,
                })
                .expect("a submitted claim can be notified");
            let decided = match kind {
                None | Some(0) => None,
                Some(1) => Some(notified.claim.opt_out(deadline - TimeDelta::days(1))),
                Some(2) => Some(
                    notified
                        .claim
                        .withdraw(deadline - TimeDelta::days(2), reason.clone()),
                ),
                Some(_) => Some(notified.claim.finalize(deadline + TimeDelta::hours(1))),
            };
            match decided {
                None => (notified.claim, vec![first, notified.entry]),
                Some(decided) => {
                    let decided = decided.expect("an awaiting claim can be decided");
                    (decided.claim, vec![first, notified.entry, decided.entry])
                }
            }
        })
        .collect()
}

async fn sdk(endpoint: &str, plan: &Arc<FaultPlan>) -> aws_config::SdkConfig {
    let credentials =
        aws_sdk_dynamodb::config::Credentials::new("bench", "bench", None, None, "cpor-bench");
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .load()
        .await;
    // Counting only, with the SDK's own retry settings; the emulator is plain HTTP on loopback.
    let client = sdk
        .http_client()
        .unwrap_or_else(|| aws_smithy_http_client::Builder::new().build_http());
    sdk.to_builder().http_client(plan.wrap(client)).build()
}

/// Seeds a fresh emulator and times one run.
pub async fn phase(run: Run, due: usize, not_due: usize, logs: &Path) -> Result<Phase, String> {
    let mut emulator = Emulator::start_on_free_port(&logs.join("scale-emulator.log"))
        .map_err(|e| e.to_string())?;
    let plan = FaultPlan::counting();
    let sdk = sdk(&emulator.endpoint(), &plan).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    cpor_aws::schema::create_table(&client, TABLE)
        .await
        .map_err(|e| e.to_string())?;
    let store = DynamoStore::new(client, TABLE);
    let now = cpor_domain::clock::to_millis(Utc::now());
    let claims = claims(due, not_due, now);
    let seed_started = Instant::now();
    let seeded_items = store.seed_claims(&claims).await.map_err(|e| e.0)?;
    let seed_time = seed_started.elapsed();
    // The floor knows the due claims without reading the index.
    let known: Vec<DueClaim> = claims
        .iter()
        .take(due)
        .filter_map(|(claim, _)| {
            claim.state.window().map(|w| DueClaim {
                claim_id: claim.id,
                version: claim.version,
                deadline: w.deadline,
            })
        })
        .collect();
    drop(claims);
    // What the index reads cost on their own, in the emulator: the same pages finalization reads.
    let index_read = match run {
        Run::Finalize => {
            let started = Instant::now();
            let pages: Vec<_> = store.due_pages(now).collect().await;
            let read: usize = pages.into_iter().map(|p| p.map_or(0, |c| c.len())).sum();
            if read != due {
                return Err(format!("the due index gave {read} of {due} due claims"));
            }
            Some(started.elapsed())
        }
        Run::Floor => None,
    };
    plan.reset_counts();
    let started = Instant::now();
    let finalized = match run {
        Run::Finalize => {
            let function = FinalizeAssociationFunction::new(
                store.clone(),
                Arc::new(SystemClock),
                BusinessCalendar::default(),
            );
            let summary = function.run(now).await.map_err(|e| e.to_string())?;
            summary.finalized
        }
        Run::Floor => {
            let store = &store;
            futures::stream::iter(known)
                .map(|claim| async move {
                    let entry = claim.association(now)?;
                    store.associate(&claim, &entry).await.ok()
                })
                .buffer_unordered(DEFAULT_CONCURRENCY)
                .filter(|done| futures::future::ready(done.is_some()))
                .count()
                .await
        }
    };
    let time = started.elapsed();
    let calls = plan.calls();
    emulator.stop();
    if finalized != due {
        return Err(format!(
            "{run:?}: {finalized} of {due} due claims finalized"
        ));
    }
    Ok(Phase {
        run,
        due,
        not_due,
        seeded_items,
        seed_time,
        time,
        index_read,
        finalized,
        calls,
    })
}
