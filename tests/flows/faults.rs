//! Faults: with a fifth of all AWS calls failing (time-outs, broken connections, 500s, 503s,
//! and responses lost after the request took effect), no claim is lost or duplicated, no
//! e-mail goes out twice, no lock is orphaned, and every answer is a success or a retryable
//! problem. A send whose outcome SES's lost answer left unknown is settled by SES's own Send
//! event, or released after its 15 minutes (the stack's clock is moved for them): no operator.

use chrono::{DateTime, TimeDelta, Utc};
use cpor_domain::clock::Clock;
use cpor_domain::ports::{SendEntry, SendLedger};
use cpor_local::faults::FaultPlan;
use cpor_tests::*;
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TENANTS: usize = 30;
fn body(i: usize) -> Value {
    tenant_claim_body(
        i / M365_WORKLOADS.len(),
        M365_WORKLOADS[i % M365_WORKLOADS.len()],
    )
}

/// Retries a request while it answers a retryable problem, as a partner's tool would; returns
/// every status seen.
async fn until_done<F, Fut>(mut send: F) -> (Answer, Vec<u16>)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Answer>,
{
    let mut seen = Vec::new();
    loop {
        let answer = send().await;
        seen.push(answer.status.as_u16());
        if !matches!(answer.status.as_u16(), 500 | 503) || seen.len() >= 30 {
            return (answer, seen);
        }
        if answer
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/"))
        {
            assert_eq!(
                answer.header("content-type"),
                Some("application/problem+json"),
                "{}",
                answer.text
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_fifth_of_aws_calls_failing_nothing_is_lost_duplicated_or_half_written() {
    let plan = FaultPlan::new(0.0, 20261125);
    let shared = plan.clone();
    let clock = Arc::new(ShiftedClock::default());
    let stack_clock = clock.clone();
    let stack = TestStack::start_with(move |s| {
        s.faults = Some(shared);
        s.clock = stack_clock;
    })
    .await;
    stack.seed_tenants(TENANTS).await;
    let claims = TENANTS * M365_WORKLOADS.len();

    // WHEN 300 claims are submitted, 16 at a time, with a fifth of the AWS calls failing
    plan.set_rate(0.2);
    let partners = [FABRIKAM, NORTHWIND];
    let started = Instant::now();
    let results: Vec<(usize, Answer, Vec<u16>)> = futures::stream::iter(0..claims)
        .map(|i| {
            let stack = &stack;
            async move {
                let key = format!("fault-run-{i}");
                let token = stack.admin(partners[i % 2]);
                let body = body(i);
                let headers = [("idempotency-key", key.as_str())];
                let (answer, seen) = until_done(|| {
                    stack.send(
                        Method::POST,
                        "/v1/claims",
                        Some(&token),
                        Some(&body),
                        &headers,
                    )
                })
                .await;
                (i, answer, seen)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    // THEN every answer was a success or a retryable problem, and every claim got its 201
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    for (_, _, seen) in &results {
        for s in seen {
            *statuses.entry(*s).or_default() += 1;
        }
    }
    assert!(
        statuses.keys().all(|s| matches!(s, 201 | 500 | 503)),
        "{statuses:?}"
    );
    let mut ids: HashMap<usize, String> = HashMap::new();
    for (i, answer, _) in &results {
        assert_eq!(answer.status, 201, "claim {i}: {}", answer.text);
        ids.insert(*i, answer.json()["claim_id"].as_str().unwrap().to_owned());
    }
    println!(
        "submit: {claims} claims, {} requests, statuses {statuses:?}, {:?}",
        statuses.values().sum::<usize>(),
        started.elapsed()
    );

    // THEN every customer is e-mailed once, no operator needed: a send whose answer was lost
    // is recorded by SES's Send event, one that never went out is released after 15 minutes
    let ids: HashMap<usize, String> = ids;
    let started = Instant::now();
    let links = every_customer_emailed_once(&stack, &clock, ids.values()).await;
    println!(
        "notify: {claims} e-mails, none twice, none held, {:?}",
        started.elapsed()
    );
    plan.set_rate(0.2);

    // WHEN the customers of every other claim decline, still under faults
    let declined: HashSet<String> = ids
        .iter()
        .filter(|(i, _)| *i % 2 == 0)
        .map(|(_, id)| id.clone())
        .collect();
    let decline_statuses: Vec<Vec<u16>> = futures::stream::iter(declined.iter().cloned())
        .map(|id| {
            let stack = &stack;
            let link = links[&id].clone();
            async move { until_done(|| stack.post_form(&link)).await.1 }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for seen in &decline_statuses {
        assert_eq!(seen.last(), Some(&303), "{seen:?}");
        assert!(seen.iter().all(|s| matches!(s, 303 | 503)), "{seen:?}");
    }

    // AND finalization runs after every deadline (read by the test without faults: its own
    // reads must not fail), until a run leaves nothing failed
    plan.set_rate(0.0);
    let mut deadline: DateTime<Utc> = clock.now();
    for partner in partners {
        for claim in stack.all_claims(partner).await {
            if let Some(d) = claim["opt_out_deadline"]
                .as_str()
                .and_then(cpor_domain::time::parse_instant)
            {
                deadline = deadline.max(d);
            }
        }
    }
    plan.set_rate(0.2);
    let mut runs = Vec::new();
    loop {
        let run = stack.finalize(deadline + TimeDelta::seconds(1)).await;
        runs.push(format!("{} {}", run.status, run.text));
        if run.status == 200 && run.json()["failed"] == 0 && run.json()["due"] == 0 {
            break;
        }
        assert!(runs.len() < 30, "{runs:?}");
    }
    println!("finalize runs until nothing was left: {runs:#?}");
    println!("faults injected: {:?}", plan.injected());
    println!("calls: {:?}", plan.calls());

    // THEN, read back without faults, every claim holds exactly one decision, its history is a
    // chain, and the locks are held by the associations and nothing else
    plan.set_rate(0.0);
    let mut stored = Vec::new();
    for partner in partners {
        stored.extend(stack.all_claims(partner).await);
    }
    assert_eq!(stored.len(), claims, "no claim lost, none duplicated");
    let pairs: HashSet<(String, String)> = stored
        .iter()
        .map(|c| {
            (
                c["tenant_id"].as_str().unwrap().to_owned(),
                c["workload"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(pairs.len(), claims);
    let mut associated = HashSet::new();
    for claim in &stored {
        let id = claim["claim_id"].as_str().unwrap();
        let expected = if declined.contains(id) {
            "declined"
        } else {
            "associated"
        };
        assert_eq!(claim["status"], expected, "{claim}");
        if expected == "associated" {
            associated.insert(id.to_owned());
        }
        let full = stack
            .get(
                claim["partner_id"].as_str().unwrap(),
                &format!("/v1/claims/{id}"),
            )
            .await
            .json();
        let steps = history_steps(&full);
        assert_eq!(
            steps,
            vec![
                (Value::Null, json!("submitted")),
                (json!("submitted"), json!("approved")),
                (json!("approved"), json!("awaiting_customer")),
                (json!("awaiting_customer"), json!(expected)),
            ],
            "{id}"
        );
    }
    let locks = stack.lock_holders().await;
    assert_eq!(
        locks, associated,
        "each association holds its lock; declined claims hold none"
    );
    stack.stop().await;
}

#[tokio::test]
async fn finalization_interrupted_half_way_finishes_the_job_when_run_again() {
    let plan = FaultPlan::new(0.0, 7);
    let shared = plan.clone();
    let stack = TestStack::start_with(move |s| s.faults = Some(shared)).await;
    let mut deadline = Utc::now();
    for tenant in [CONTOSO, LITWARE] {
        for w in M365_WORKLOADS {
            let body = seeded_tenant_claim_body(tenant, w);
            let (claim, _) = stack.notified_claim(FABRIKAM, &body).await;
            deadline = instant(&claim["opt_out_deadline"]);
        }
    }
    // WHEN the first run's writes mostly fail (the SDK's retries included)
    plan.set_targets(Some(&["DynamoDB.TransactWriteItems"]));
    plan.set_rate(0.8);
    let first = stack.finalize(deadline + TimeDelta::seconds(1)).await;
    plan.set_rate(0.0);
    let summary = first.json();
    println!(
        "interrupted run: {} {summary}; faults {:?}",
        first.status,
        plan.injected()
    );
    // THEN it stops half-way, says so with a retryable answer, and leaves consistent claims
    assert_eq!(
        first.status, 500,
        "a run with failures fails, so that the scheduler retries it"
    );
    let (finalized, failed) = (
        summary["finalized"].as_u64().unwrap(),
        summary["failed"].as_u64().unwrap(),
    );
    assert!(finalized > 0 && failed > 0, "{summary}");
    assert_eq!(
        finalized + failed + summary["already_decided"].as_u64().unwrap(),
        20
    );
    // AND the next run finishes the job, touching only what is left
    let second = stack
        .finalize(deadline + TimeDelta::seconds(1))
        .await
        .json();
    // (a write whose response was lost may have taken effect: it is no longer due)
    assert_eq!(second["failed"], 0, "{second}");
    assert!(
        second["due"].as_u64().unwrap() <= failed && second["finalized"] == second["due"],
        "{second}"
    );
    let mut statuses = Vec::new();
    for claim in stack.all_claims(FABRIKAM).await {
        assert_eq!(
            stack
                .claim(FABRIKAM, claim["claim_id"].as_str().unwrap())
                .await["history"]
                .as_array()
                .unwrap()
                .len(),
            4
        );
        statuses.push(claim["status"].clone());
    }
    assert!(statuses.iter().all(|s| s == "associated"), "{statuses:?}");
    assert_eq!(stack.lock_holders().await.len(), 20);
    stack.stop().await;
}

/// Waits until every claim of `ids` has its notification recorded as sent and its customer
/// e-mailed once (failing the test when one is e-mailed twice), moving `clock` past SES's 15
/// minutes whenever only held sends are left and SES has published every event; returns the
/// links. Prints what was held and released.
async fn every_customer_emailed_once<'a>(
    stack: &TestStack,
    clock: &ShiftedClock,
    ids: impl Iterator<Item = &'a String> + Clone,
) -> HashMap<String, String> {
    // The test reads the table without faults: its own reads must not fail.
    let mut reader = stack.settings().clone();
    reader.faults = None;
    let store = cpor_aws::DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&reader.sdk_config().await),
        stack.settings().table.clone(),
    );
    let claims = ids.clone().count();
    let notifications =
        cpor_aws::schema::QueueDefinition::notifications(&stack.settings().queue_prefix).name;
    // The wait fails when nothing moves for a while (no send recorded or held, no message
    // received or retried), not after a fixed time: on a loaded machine the same work takes
    // longer, and a lost notification stops every change all the same.
    let (mut last_seen, mut last_change) = (String::new(), Instant::now());
    let (mut most_held, mut moves, mut quiet_before) = (0, 0, false);
    loop {
        let links = outbox_links(stack).await;
        let (mut sent, mut held) = (0, 0);
        let mut waiting = Vec::new();
        for id in ids.clone() {
            let claim_id = cpor_domain::ids::ClaimId::parse(id).unwrap();
            let state = store.entry(first_notice(claim_id).into()).await.unwrap();
            match state {
                Some(SendEntry::Sent { .. }) if links.contains_key(id) => sent += 1,
                Some(SendEntry::Held { .. }) => held += 1,
                other => waiting.push((claim_id, other)),
            }
        }
        most_held = most_held.max(held);
        if sent == claims {
            println!(
                "held at most {most_held} at once; the clock moved {moves} times by 15 minutes"
            );
            assert_eq!(links.len(), claims);
            return links;
        }
        // Only held sends left, and SES has said all it will (twice in a row, seconds apart,
        // so that its last events have reached record-email-feedback): their 15 minutes pass.
        let quiet = held > 0
            && sent + held == claims
            && stack.settings().ses_events.pending() == 0
            && stack.feedback_backlog().await == 0;
        if quiet && quiet_before {
            clock.advance(cpor_domain::usecase::notify::SES_WORD_WAIT + TimeDelta::seconds(1));
            moves += 1;
            quiet_before = false;
        } else {
            quiet_before = quiet;
        }
        let seen = format!(
            "{sent} {held} {waiting:?} {:?}",
            stack.queue_depth(&notifications).await
        );
        if seen != last_seen {
            (last_seen, last_change) = (seen, Instant::now());
        }
        let lost = stack.dead_letters().await > 0;
        if lost || last_change.elapsed() >= STALLED || moves > MOST_MOVES {
            panic!(
                "only {sent} of {claims} notified, {held} held ({}); {}",
                if lost {
                    "a notification went to the dead-letter queue".to_owned()
                } else if moves > MOST_MOVES {
                    format!("the clock moved {moves} times")
                } else {
                    format!("nothing changed for {STALLED:?}")
                },
                why_not_notified(stack, &store, &waiting).await
            );
        }
        tokio::time::sleep(Duration::from_millis(if quiet_before { 3000 } else { 500 })).await;
    }
}

/// How long the notifications of the flows above may show no change before the test fails.
const STALLED: Duration = Duration::from_secs(180);

/// How many times the flows above may move the clock past SES's wait: a held send is released
/// five times at most, so a wait that keeps moving it has lost track of a send.
const MOST_MOVES: usize = 100;

/// What the claims not yet notified are waiting for: each one's status, its notice's ledger
/// entry and its last history entries, and the notification queue's messages: what a failure
/// of the flows above says.
async fn why_not_notified(
    stack: &TestStack,
    store: &cpor_aws::DynamoStore,
    waiting: &[(cpor_domain::ids::ClaimId, Option<SendEntry>)],
) -> String {
    use cpor_domain::ports::ClaimRepository;
    let mut report = String::new();
    for (id, entry) in waiting {
        let (status, last) = match store.claim_with_history(*id).await {
            Ok(Some((claim, history))) => (
                format!("{:?}", claim.status()),
                history
                    .iter()
                    .rev()
                    .take(3)
                    .map(|e| format!("{:?}", e.event))
                    .collect::<Vec<_>>()
                    .join(" < "),
            ),
            other => (format!("{other:?}"), String::new()),
        };
        report.push_str(&format!(
            "\n  claim {id}: {status}, notice {entry:?}, last history {last}"
        ));
    }
    let queue = cpor_aws::schema::QueueDefinition::notifications(&stack.settings().queue_prefix);
    let (waiting_messages, in_flight) = stack.queue_depth(&queue.name).await;
    report.push_str(&format!(
        "\n  notification queue: {waiting_messages} waiting, {in_flight} in flight; \
         dead letters: {}; SES events pending: {}; feedback backlog: {}",
        stack.dead_letters().await,
        stack.settings().ses_events.pending(),
        stack.feedback_backlog().await
    ));
    report
}

/// How many claims the reviewers' fault flow approves: `CPOR_FAULT_CLAIMS`, 60 by default
/// (`make bench` runs 300).
fn reviewed_claims() -> usize {
    std::env::var("CPOR_FAULT_CLAIMS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(60)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_approved_by_reviewers_under_faults_reach_every_customer_once_with_none_held() {
    // GIVEN claims waiting for a reviewer, submitted before the faults begin
    let claims = reviewed_claims();
    let plan = FaultPlan::new(0.0, 20261126);
    let shared = plan.clone();
    let clock = Arc::new(ShiftedClock::default());
    let stack_clock = clock.clone();
    let stack = TestStack::start_with(move |s| {
        s.faults = Some(shared);
        s.clock = stack_clock;
        s.review_policy = cpor_domain::ReviewPolicy::Manual;
    })
    .await;
    stack
        .seed_tenants(claims.div_ceil(M365_WORKLOADS.len()))
        .await;
    let ids: Vec<String> = futures::stream::iter(0..claims)
        .map(|i| {
            let stack = &stack;
            async move {
                let answer = stack.submit(FABRIKAM, &body(i)).await;
                assert_eq!(answer.status, 201, "{}", answer.text);
                answer.json()["claim_id"].as_str().unwrap().to_owned()
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;

    // WHEN a fifth of the AWS calls fail while reviewers approve them all, retrying a 500 or
    // 503 as a client would (a retried approval that had committed answers 409)
    plan.set_rate(0.2);
    let started = Instant::now();
    let decisions: Vec<(String, Vec<u16>)> = futures::stream::iter(ids.iter().cloned())
        .map(|id| {
            let stack = &stack;
            async move {
                let body = json!({});
                let (_, seen) =
                    until_done(|| stack.decide("reviewer-1", &id, "approve", &body)).await;
                (id, seen)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    for (id, seen) in &decisions {
        for s in seen {
            *statuses.entry(*s).or_default() += 1;
        }
        let last = *seen.last().unwrap();
        assert!(
            last == 200 || (last == 409 && seen.len() > 1),
            "claim {id}: {seen:?}"
        );
    }
    println!(
        "approve: {claims} claims, {} requests, statuses {statuses:?}, {:?}",
        statuses.values().sum::<usize>(),
        started.elapsed()
    );

    // THEN every customer is e-mailed exactly once and none is held: no approval lost its
    // notification, and no send whose outcome was unknown waits for an operator
    let started = Instant::now();
    every_customer_emailed_once(&stack, &clock, ids.iter()).await;
    println!(
        "notify: {claims} e-mails, none twice, none held, {:?}; faults injected {:?}",
        started.elapsed(),
        plan.injected()
    );
    plan.set_rate(0.0);
    for id in &ids {
        let claim = stack.claim(FABRIKAM, id).await;
        assert_eq!(claim["status"], "awaiting_customer", "{claim}");
    }
    stack.stop().await;
}

/// The opt-out link of each claim e-mailed so far, by claim id; fails the test when a claim was
/// e-mailed twice.
async fn outbox_links(stack: &TestStack) -> HashMap<String, String> {
    let mut links: HashMap<String, String> = HashMap::new();
    let mut per_claim: HashMap<String, usize> = HashMap::new();
    for message in &stack.customer_outbox().await {
        let link = link_in(message["body"].as_str().unwrap()).unwrap();
        let claim = link
            .rsplit('/')
            .next()
            .unwrap()
            .split('.')
            .next()
            .unwrap()
            .to_owned();
        *per_claim.entry(claim.clone()).or_default() += 1;
        links.insert(claim, link);
    }
    let duplicated: Vec<_> = per_claim.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicated.is_empty(), "e-mails sent twice: {duplicated:?}");
    links
}

/// The first (and, without a corrected contact, only) notification of a claim.
fn first_notice(claim_id: cpor_domain::ids::ClaimId) -> cpor_domain::ports::NoticeRef {
    cpor_domain::ports::NoticeRef {
        claim_id,
        number: 1,
    }
}
