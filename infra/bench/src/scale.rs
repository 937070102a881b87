//! The nightly run at scale: a fresh emulator seeded with due and not-due claims (in the shape
//! the service stores them), finalize-association's run timed against a floor that issues only
//! the same writes, at the same concurrency, for claims known in advance.

use chrono::{DateTime, TimeDelta, Utc};
use cpor_aws::DynamoStore;
use cpor_domain::calendar::{BusinessCalendar, OptOutWindow};
use cpor_domain::claim::{
    Claim, HistoryEntry, NightlyDeadline, ReviewerId, Transition, TransitionError, WithdrawalReason,
};
use cpor_domain::clock::SystemClock;
use cpor_domain::ids::{ClaimId, PartnerId, TenantId};
use cpor_domain::ports::{ClaimRepository, DueIndex};
use cpor_domain::review::{InformationCode, Message};
use cpor_domain::submission::parse_submission;
use cpor_domain::usecase::finalize::DEFAULT_CONCURRENCY;
use cpor_domain::usecase::review::reviews_overdue;
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
    /// finalize-association's own run: the due index read, the writes, the overdue reviews
    /// counted from the review index.
    Finalize,
    /// The writes of that run only, for claims known in advance.
    Floor,
}

/// How many claims of each kind a phase seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seed {
    /// Awaiting their customers, the opt-out deadline past.
    pub due_opt_outs: usize,
    /// Waiting for the partner's response, `response_due` past.
    pub due_responses: usize,
    /// Everything else a table holds after months of service ([`claims`]).
    pub not_due: usize,
}

impl Seed {
    pub fn due(&self) -> usize {
        self.due_opt_outs + self.due_responses
    }
}

/// One timed run on a fresh table.
#[derive(Debug, Clone)]
pub struct Phase {
    pub run: Run,
    pub seed: Seed,
    /// Items written by the seed.
    pub seeded_items: usize,
    pub seed_time: Duration,
    pub time: Duration,
    /// What the run's reads cost on their own (finalize runs only): the due index's pages,
    /// read before the run, and the overdue reviews' count, taken again after it.
    pub index_read: Option<Duration>,
    /// Claims the run moved to `associated`.
    pub finalized: usize,
    /// Claims the run rejected for an unanswered information request.
    pub rejected: usize,
    /// The AWS requests of the run.
    pub calls: BTreeMap<String, u64>,
}

const TABLE: &str = "cpor-bench";
const PARTNER: &str = "1234567";

/// The not-due claims come in turns of this many, each kind in its share of the turn (see
/// [`NotDue::of`]).
pub const TURN: usize = 20;

/// What a claim that is not due is, as a table holds it after months of service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NotDue {
    /// Awaiting its customer with the deadline ahead: in the due index, beyond the query's key
    /// condition.
    AwaitingAhead,
    Declined,
    Withdrawn,
    /// In the review index, entered recently: not overdue, so the overdue count stops at it.
    InReview,
    /// Waiting for a response not yet due: in the due index beyond the key condition, and in
    /// the review index.
    ResponseAhead,
    Associated,
}

impl NotDue {
    /// 1 in 10 awaiting ahead, 1 in 10 declined, 1 in 10 withdrawn, 1 in 20 in review, 1 in 20
    /// waiting for a response, 6 in 10 associated.
    fn of(turn: usize) -> Self {
        match turn % TURN {
            0 | 1 => Self::AwaitingAhead,
            2 | 3 => Self::Declined,
            4 | 5 => Self::Withdrawn,
            6 => Self::InReview,
            7 => Self::ResponseAhead,
            _ => Self::Associated,
        }
    }
}

/// A claim being built for the seed, with its history so far.
struct Seeded {
    claim: Claim,
    history: Vec<HistoryEntry>,
}

impl Seeded {
    fn then(
        mut self,
        step: impl FnOnce(&Claim) -> Result<Transition, TransitionError>,
    ) -> Result<Self, String> {
        let transition = step(&self.claim)
            .map_err(|e| format!("seeding a {} claim: {e}", self.claim.status()))?;
        self.history.extend(transition.entries);
        self.claim = transition.claim;
        Ok(self)
    }
}

/// Who asked for the information in the seed.
struct Reviewer {
    id: ReviewerId,
    message: Message,
    calendar: BusinessCalendar,
}

impl Reviewer {
    fn request(&self, claim: &Claim, at: DateTime<Utc>) -> Result<Transition, TransitionError> {
        claim.request_information(
            at,
            &self.id,
            vec![InformationCode::MissingCustomerSignature],
            self.message.clone(),
            &self.calendar,
        )
    }
}

/// The seed's claims, each for its own tenant: `due_opt_outs` awaiting their customers with the
/// deadline past, `due_responses` whose information requests went unanswered past their due
/// time (asked 10 to 13 days before `now`), and `not_due` others in the shares of
/// [`NotDue::of`]. Every claim went through review first: an automatic approval before its
/// customer was notified, or a reviewer's request for information.
fn claims(seed: Seed, now: DateTime<Utc>) -> Result<Vec<(Claim, Vec<HistoryEntry>)>, String> {
    // The tests' example claim (signed 30 days before today); each copy gets a tenant of its own.
    let body = cpor_tests::claim_body("teams");
    let template = body
        .as_object()
        .and_then(|o| parse_submission(o, now.date_naive()).ok())
        .map(|s| s.subject)
        .ok_or("the template claim is not valid")?;
    let partner = PartnerId::parse(PARTNER).map_err(|e| e.message)?;
    let reason = WithdrawalReason::parse("engagement ended").map_err(|e| e.message)?;
    let reviewer = Reviewer {
        id: ReviewerId::parse("reviewer-1").ok_or("the reviewer id is not valid")?,
        message: Message::parse("Please send the customer's signed statement of work.")
            .map_err(|e| e.message)?,
        calendar: BusinessCalendar::default(),
    };
    let hours = |h: usize| TimeDelta::hours(h as i64);
    (0..seed.due() + seed.not_due)
        .map(|i| {
            let mut subject = template.clone();
            subject.tenant_id = TenantId::parse(&format!("{i:08x}-0000-4000-8000-{i:012x}"))
                .map_err(|e| e.message)?;
            let submit = |at: DateTime<Utc>| {
                let (claim, first) = Claim::submit(
                    ClaimId::new_at(at),
                    partner.clone(),
                    "Fabrikam Consulting".into(),
                    subject.clone(),
                    at,
                );
                Seeded {
                    claim,
                    history: vec![first],
                }
            };
            // Submitted, approved at once, and its customer notified 7 days before `deadline`.
            let awaiting = |deadline: DateTime<Utc>| {
                let notified_at = deadline - TimeDelta::days(7);
                submit(notified_at - TimeDelta::minutes(2))
                    .then(|c| c.approve_automatically(notified_at - TimeDelta::minutes(1)))?
                    .then(|c| {
                        c.notify(OptOutWindow {
                            notified_at,
                            deadline,
                        })
                    })
            };
            let asked = |at: DateTime<Utc>| {
                submit(at - TimeDelta::hours(3)).then(|c| reviewer.request(c, at))
            };
            let seeded = if i < seed.due_opt_outs {
                awaiting(now - hours(1 + i % 72))?
            } else if i < seed.due() {
                asked(now - TimeDelta::days(10) - hours(i % 72))?
            } else {
                let deadline_past = now - TimeDelta::days(2) - hours(24 * (i % 300));
                match NotDue::of(i - seed.due()) {
                    NotDue::AwaitingAhead => awaiting(now + hours(1 + i % 120))?,
                    NotDue::Declined => awaiting(deadline_past)?
                        .then(|c| c.opt_out(deadline_past - TimeDelta::days(1)))?,
                    NotDue::Withdrawn => awaiting(deadline_past)?
                        .then(|c| c.withdraw(deadline_past - TimeDelta::days(2), reason.clone()))?,
                    NotDue::Associated => awaiting(deadline_past)?
                        .then(|c| c.finalize(deadline_past + TimeDelta::hours(1)))?,
                    NotDue::InReview => submit(now - hours(1 + i % 48)),
                    NotDue::ResponseAhead => asked(now - hours(1 + i % 48))?,
                }
            };
            Ok((seeded.claim, seeded.history))
        })
        .collect()
}

/// Checks that the seed is what it says: exactly the due claims have a nightly deadline before
/// `now`, of their kind, and no claim in review is overdue.
fn check_seed(
    claims: &[(Claim, Vec<HistoryEntry>)],
    seed: Seed,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let calendar = BusinessCalendar::default();
    for (i, (claim, _)) in claims.iter().enumerate() {
        let due = claim
            .state
            .nightly_deadline()
            .filter(|deadline| deadline.at() < now);
        let expected = if i < seed.due_opt_outs {
            "an opt-out due"
        } else if i < seed.due() {
            "a response due"
        } else {
            "nothing due"
        };
        let found = match due {
            Some(NightlyDeadline::OptOut(_)) => "an opt-out due",
            Some(NightlyDeadline::Response(_)) => "a response due",
            Some(NightlyDeadline::Unreachable(_)) => "an unreachable customer due",
            None => "nothing due",
        };
        if found != expected {
            return Err(format!(
                "seed claim {i} ({}) has {found}, not {expected}",
                claim.status()
            ));
        }
        if claim.state.review_due(&calendar).is_some_and(|d| d < now) {
            return Err(format!("seed claim {i} is an overdue review"));
        }
    }
    Ok(())
}

pub(crate) async fn sdk(endpoint: &str, plan: &Arc<FaultPlan>) -> aws_config::SdkConfig {
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

/// The floor's run: the writes the nightly run makes, and nothing else, `DEFAULT_CONCURRENCY`
/// at a time: for each due claim, known in advance, its transition built from the seeded claim
/// (its association, or its rejection for no response), without reading any index. Returns
/// the claims associated and rejected, or the first write that failed.
async fn floor(
    store: &DynamoStore,
    due: Vec<Claim>,
    now: DateTime<Utc>,
) -> Result<(usize, usize), String> {
    let outcomes: Vec<Result<bool, String>> = futures::stream::iter(due)
        .map(|claim| async move {
            let (transition, associates) = match claim.state.nightly_deadline() {
                Some(NightlyDeadline::OptOut(_)) => (claim.finalize(now), true),
                Some(NightlyDeadline::Response(_)) => (claim.reject_for_no_response(now), false),
                Some(NightlyDeadline::Unreachable(_)) | None => {
                    return Err(format!("seeded due claim {} is neither kind", claim.id));
                }
            };
            let transition = transition.map_err(|e| format!("{}: {e}", claim.id))?;
            store
                .apply(&transition)
                .await
                .map_err(|e| format!("{}: {e:?}", claim.id))?;
            Ok(associates)
        })
        .buffer_unordered(DEFAULT_CONCURRENCY)
        .collect()
        .await;
    let (mut associated, mut rejected) = (0, 0);
    for outcome in outcomes {
        match outcome? {
            true => associated += 1,
            false => rejected += 1,
        }
    }
    Ok((associated, rejected))
}

/// Seeds a fresh emulator and times one run; an outcome other than every due claim decided,
/// each the way its deadline says, is an error.
pub async fn phase(run: Run, seed: Seed, logs: &Path) -> Result<Phase, String> {
    let mut emulator = Emulator::start_on_free_port(&logs.join("scale-emulator.log"))
        .map_err(|e| e.to_string())?;
    let outcome = seeded_run(run, seed, &emulator.endpoint()).await;
    emulator.stop();
    outcome
}

async fn seeded_run(run: Run, seed: Seed, endpoint: &str) -> Result<Phase, String> {
    let plan = FaultPlan::counting();
    let sdk = sdk(endpoint, &plan).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    cpor_aws::schema::create_table(&client, TABLE)
        .await
        .map_err(|e| e.to_string())?;
    let store = DynamoStore::new(client, TABLE);
    let now = cpor_domain::clock::to_millis(Utc::now());
    let claims = claims(seed, now)?;
    check_seed(&claims, seed, now)?;
    let seed_started = Instant::now();
    let seeded_items = store.seed_claims(&claims).await.map_err(|e| e.0)?;
    let seed_time = seed_started.elapsed();
    // The floor knows the due claims without reading anything.
    let due: Vec<Claim> = claims
        .into_iter()
        .take(seed.due())
        .map(|(claim, _)| claim)
        .collect();
    let calendar = BusinessCalendar::default();
    let due_read = match run {
        Run::Finalize => Some(due_index_read(&store, seed, now).await?),
        Run::Floor => None,
    };
    plan.reset_counts();
    let started = Instant::now();
    let (finalized, rejected) = match run {
        Run::Finalize => finalize(&store, &calendar, now).await?,
        Run::Floor => floor(&store, due, now).await?,
    };
    let time = started.elapsed();
    let calls = plan.calls();
    // The run's last read, the overdue reviews' count, again on the table as the run left it.
    let index_read = match due_read {
        Some(due_read) => {
            let started = Instant::now();
            reviews_overdue(&store, &calendar, now)
                .await
                .map_err(|e| e.0)?;
            Some(due_read + started.elapsed())
        }
        None => None,
    };
    if (finalized, rejected) != (seed.due_opt_outs, seed.due_responses) {
        return Err(format!(
            "{run:?}: {finalized} of {} due opt-outs associated, {rejected} of {} due responses rejected",
            seed.due_opt_outs, seed.due_responses
        ));
    }
    Ok(Phase {
        run,
        seed,
        seeded_items,
        seed_time,
        time,
        index_read,
        finalized,
        rejected,
        calls,
    })
}

/// What the due index's reads cost on their own, in the emulator: the pages the run reads,
/// which must hold every due claim of `seed`.
async fn due_index_read(
    store: &DynamoStore,
    seed: Seed,
    now: DateTime<Utc>,
) -> Result<Duration, String> {
    let started = Instant::now();
    let mut read = 0;
    let mut pages = store.due_pages(now);
    while let Some(page) = pages.next().await {
        read += page.map_err(|e| e.0)?.len();
    }
    if read != seed.due() {
        return Err(format!(
            "the due index gave {read} of {} due claims",
            seed.due()
        ));
    }
    Ok(started.elapsed())
}

/// finalize-association's run: the due opt-outs associated and the due responses rejected;
/// an overdue review counted is an error (the seed has none).
async fn finalize(
    store: &DynamoStore,
    calendar: &BusinessCalendar,
    now: DateTime<Utc>,
) -> Result<(usize, usize), String> {
    let function =
        FinalizeAssociationFunction::new(store.clone(), Arc::new(SystemClock), calendar.clone());
    let summary = function.run(now).await.map_err(|e| e.to_string())?;
    if summary.reviews_overdue != Some(0) {
        return Err(format!(
            "the run counted {:?} overdue reviews; the seed has none",
            summary.reviews_overdue
        ));
    }
    Ok((summary.finalized, summary.rejected))
}
