//! What a claim batch costs, for `make bench`: a batch of valid claims processed whole (its
//! chunks handed to process-claim-batch as Lambda would, `BATCH_CONCURRENCY` at a time) against
//! a floor that issues only the writes of as many single submissions (the same
//! `TransactWriteItems` a submission makes, built and issued by the bench itself, as many at a
//! time), each on a stack of its own, in rounds (floor, batch, floor, batch, ...) whose medians
//! are compared, so that a burst of other work on a shared machine weighs on one round, not on
//! the ratio; and the AWS requests per row against a single submission's, counted at the SDK's
//! HTTP connector.

use crate::round_trips::Calls;
use crate::{FABRIKAM, TestStack, tenant_claim_body};
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use cpor_aws::DynamoStore;
use cpor_domain::claim::Claim;
use cpor_domain::idempotency::{BodyFingerprint, IdempotencyRecord};
use cpor_domain::ids::{ClaimId, PartnerId};
use cpor_domain::ports::SubmissionStore;
use cpor_domain::submission::parse_submission;
use cpor_local::faults::FaultPlan;
use futures::StreamExt;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use process_claim_batch::ROW_CONCURRENCY;

/// Chunks in flight at once: the template's `MaximumConcurrency` of process-claim-batch's event
/// source mapping.
pub const BATCH_CONCURRENCY: usize = 10;

/// The floor's transactions in flight at once: as many as the batch's rows can be (each chunk
/// submits its tenants' rows `ROW_CONCURRENCY` at a time).
pub const FLOOR_CONCURRENCY: usize = BATCH_CONCURRENCY * process_claim_batch::ROW_CONCURRENCY;

/// What one batch cost, beside its floor and a single submission.
#[derive(Debug, Clone)]
pub struct BatchCost {
    pub rows: usize,
    pub chunks: usize,
    /// Each round's floor and processing, in the order measured.
    pub rounds: Vec<(Duration, Duration)>,
    /// The floor (the median of the rounds'): the rows' claims written directly, one
    /// transaction each.
    pub floor: Duration,
    /// The batch's chunks processed, every row's claim written and its result recorded (the
    /// median of the rounds').
    pub processing: Duration,
    /// Opening the batch (`POST /v1/claim-batches`).
    pub opening: Calls,
    /// Processing every chunk.
    pub processed: Calls,
    /// One `POST /v1/claims` of a valid claim.
    pub single: Calls,
}

impl BatchCost {
    /// AWS requests per row, the opening's shared among the rows.
    pub fn requests_per_row(&self) -> f64 {
        let total: u64 = self.opening.values().chain(self.processed.values()).sum();
        total as f64 / self.rows as f64
    }

    /// A single submission's requests.
    pub fn single_requests(&self) -> u64 {
        self.single.values().sum()
    }
}

fn since(before: &Calls, after: &Calls) -> Calls {
    after
        .iter()
        .map(|(op, n)| (op.clone(), n - before.get(op).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// Measures a batch of `rows` valid claims (each on a tenant of its own) beside its floor,
/// `rounds` times each, one after the other.
pub async fn measure(rows: usize, rounds: usize) -> BatchCost {
    let mut measured = Vec::new();
    let mut last = None;
    for _ in 0..rounds.max(1) {
        let floor = floor(rows).await;
        let cost = batch(rows).await;
        measured.push((floor, cost.processing));
        last = Some(cost);
    }
    let median = |pick: fn(&(Duration, Duration)) -> Duration| {
        let mut times: Vec<Duration> = measured.iter().map(pick).collect();
        times.sort();
        times[times.len() / 2]
    };
    let floor = median(|r| r.0);
    let processing = median(|r| r.1);
    let cost = last.unwrap_or_else(|| unreachable!("at least one round"));
    BatchCost {
        rounds: measured,
        floor,
        processing,
        ..cost
    }
}

/// One batch of `rows` valid claims processed on a stack of its own (its floor not measured).
async fn batch(rows: usize) -> BatchCost {
    let plan = FaultPlan::counting();
    let shared: Arc<FaultPlan> = plan.clone();
    // The pollers are off: the chunks are handed to the function by the bench, timed.
    let stack = TestStack::start_with(move |s| {
        s.faults = Some(shared);
        s.poll_notifications = false;
    })
    .await;
    stack.seed_tenants(rows + 1).await;
    let before = plan.calls();
    let single = stack
        .submit(FABRIKAM, &tenant_claim_body(rows, "teams"))
        .await;
    assert_eq!(single.status, 201, "{}", single.text);
    let single = since(&before, &plan.calls());

    let claims: Vec<_> = (0..rows).map(|i| tenant_claim_body(i, "teams")).collect();
    let before = plan.calls();
    let opened = stack
        .submit_batch(
            FABRIKAM,
            Some("bench-batch"),
            "application/json",
            json!({ "claims": claims }).to_string(),
        )
        .await;
    assert_eq!(opened.status, 202, "{}", opened.text);
    let opening = since(&before, &plan.calls());
    let batch_id = opened.json()["batch_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let chunks = receive_all(&stack, rows.div_ceil(cpor_aws::claim_batch::CHUNK_ROWS)).await;
    let chunk_count = chunks.len();
    let function = &stack.functions().process_batch;
    let before = plan.calls();
    let started = Instant::now();
    futures::stream::iter(chunks)
        .for_each_concurrent(BATCH_CONCURRENCY, |message| async move {
            let mut event = SqsEvent::default();
            event.records = vec![message];
            let answer = function.handle(event).await;
            assert!(answer.batch_item_failures.is_empty(), "a chunk failed");
        })
        .await;
    let processing = started.elapsed();
    let processed = since(&before, &plan.calls());
    let batch = stack.wait_for_batch(FABRIKAM, &batch_id).await;
    assert_eq!(batch["accepted"], rows, "every row a claim: {batch}");
    stack.stop().await;
    BatchCost {
        rows,
        chunks: chunk_count,
        rounds: Vec::new(),
        floor: Duration::ZERO,
        processing,
        opening,
        processed,
        single,
    }
}

/// Every chunk of the batches' queue (`expected` of them), received by a client outside the
/// counted ones.
async fn receive_all(stack: &TestStack, expected: usize) -> Vec<SqsMessage> {
    let mut clean = stack.settings().clone();
    clean.faults = None;
    let sqs = aws_sdk_sqs::Client::new(&clean.sdk_config().await);
    let mut messages = Vec::new();
    for _ in 0..100 {
        if messages.len() >= expected {
            break;
        }
        let received = sqs
            .receive_message()
            .queue_url(stack.batch_queue_url())
            .max_number_of_messages(10)
            .visibility_timeout(600)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("the batches' queue answers");
        messages.extend(received.messages().iter().map(|m| {
            let mut message = SqsMessage::default();
            message.message_id = m.message_id.clone();
            message.body = m.body.clone();
            message
        }));
    }
    assert_eq!(messages.len(), expected, "the batch's chunks");
    messages
}

/// The floor: `rows` claims as single submissions write them (the claim, its entry, its lock,
/// the contest check, the idempotency record, in one transaction each), built in advance and
/// written `FLOOR_CONCURRENCY` at a time, nothing read.
async fn floor(rows: usize) -> Duration {
    let stack = TestStack::start_with(|s| s.poll_notifications = false).await;
    let sdk = stack.settings().sdk_config().await;
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        stack.settings().table.clone(),
    );
    let now = chrono::Utc::now();
    let partner = PartnerId::parse(FABRIKAM).expect("a partner id");
    let writes: Vec<_> = (0..rows)
        .map(|i| {
            let body = tenant_claim_body(i, "teams");
            let object = body.as_object().expect("an object");
            let submission = parse_submission(object, now.date_naive()).expect("a valid claim");
            let (claim, entry) = Claim::submit(
                ClaimId::new_at(now),
                partner.clone(),
                "Fabrikam Consulting".into(),
                submission.subject,
                now,
            );
            let record = IdempotencyRecord {
                partner_id: partner.clone(),
                key: format!("floor {i}"),
                fingerprint: BodyFingerprint::of(&body),
                response: claim.clone(),
                created_at: now,
            };
            (claim, entry, record)
        })
        .collect();
    let store = &store;
    let started = Instant::now();
    futures::stream::iter(writes)
        .for_each_concurrent(FLOOR_CONCURRENCY, |(claim, entry, record)| async move {
            store
                .create_claim(&claim, &[entry], Some(&record), None)
                .await
                .expect("the floor's write");
        })
        .await;
    let elapsed = started.elapsed();
    stack.stop().await;
    elapsed
}
