//! The publisher's throughput: history entries, as the table's stream hands them to Lambda in
//! batches, through publish-events' handler (reading each record, mapping it, planning the
//! calls, `PutEvents`), against a floor that makes only the same `PutEvents` calls, with the
//! same events, prepared in advance. Both on a fresh emulator, the floor first.

use aws_lambda_events::dynamodb::{Event, EventRecord};
use chrono::{TimeDelta, Utc};
use cpor_aws::dynamo::record::HistoryRecord;
use cpor_aws::{DynamoStore, EventBridgeBus};
use cpor_domain::catalogue::Program;
use cpor_domain::claim::{Actor, ClaimStatus, HistoryEntry, HistoryEvent};
use cpor_domain::events::{ClaimEvent, EventSubject, next_call_len};
use cpor_domain::ids::{ClaimId, PartnerId, TenantId};
use cpor_domain::ports::EventBus;
use cpor_local::emulator::Emulator;
use publish_events::PublishEventsFunction;
use std::path::Path;
use std::time::{Duration, Instant};

/// Records Lambda hands the function at once (the template's `BatchSize`).
const BATCH_SIZE: usize = 100;
/// A claim's entries in the run: submitted, approved, notified, associated.
const STEPS: [(HistoryEvent, Option<ClaimStatus>, ClaimStatus, Actor); 4] = [
    (
        HistoryEvent::Submitted,
        None,
        ClaimStatus::Submitted,
        Actor::Partner,
    ),
    (
        HistoryEvent::Approved,
        Some(ClaimStatus::Submitted),
        ClaimStatus::Approved,
        Actor::Reviewer,
    ),
    (
        HistoryEvent::CustomerNotified,
        Some(ClaimStatus::Approved),
        ClaimStatus::AwaitingCustomer,
        Actor::System,
    ),
    (
        HistoryEvent::Associated,
        Some(ClaimStatus::AwaitingCustomer),
        ClaimStatus::Associated,
        Actor::System,
    ),
];
/// Claims whose entries are interleaved in the stream, as claims moving at the same time are.
pub const CLAIMS_AT_ONCE: usize = 25;

/// The two timings.
#[derive(Debug, Clone)]
pub struct EventsRun {
    pub entries: usize,
    pub batches: usize,
    pub calls: usize,
    pub floor: Duration,
    pub publisher: Duration,
}

/// The claims' subject (all of one partner, tenant and workload: the publisher reads nothing
/// of it but its ids).
fn subject() -> Result<EventSubject, String> {
    let program = Program::parse("osu-m365").map_err(|_| "no program osu-m365")?;
    Ok(EventSubject {
        partner_id: PartnerId::parse("1234567").map_err(|_| "partner id")?,
        tenant_id: TenantId::parse("0f8fad5b-d9cb-469f-a165-70867728950e")
            .map_err(|_| "tenant id")?,
        program,
        workload: program.workload("teams").map_err(|_| "no workload teams")?,
        subscription_id: None,
    })
}

/// The stream's records of `entries` history entries (a multiple of four), in stream order.
fn records(
    entries: usize,
    subject: &EventSubject,
) -> Result<Vec<(ClaimId, HistoryEntry, EventRecord)>, String> {
    let start = Utc::now();
    let claims: Vec<ClaimId> = (0..entries / STEPS.len())
        .map(|i| ClaimId::new_at(start + TimeDelta::milliseconds(i as i64)))
        .collect();
    let mut out = Vec::with_capacity(entries);
    for group in claims.chunks(CLAIMS_AT_ONCE) {
        for (step, (event, from, to, actor)) in STEPS.iter().enumerate() {
            for claim in group {
                let entry = HistoryEntry {
                    sequence: step as u32 + 1,
                    at: start,
                    actor: *actor,
                    reviewer: None,
                    event: *event,
                    from: *from,
                    to: *to,
                    code: None,
                    reason: None,
                    contact_change: None,
                    association: None,
                };
                let mut item = serde_dynamo::aws_sdk_dynamodb_1::to_item(HistoryRecord::of(
                    &entry,
                    Some(subject),
                ))
                .map_err(|e| e.to_string())?;
                item.insert(
                    "pk".into(),
                    aws_sdk_dynamodb::types::AttributeValue::S(format!("CLAIM#{claim}")),
                );
                item.insert(
                    "sk".into(),
                    aws_sdk_dynamodb::types::AttributeValue::S(format!(
                        "EVENT#{:06}",
                        entry.sequence
                    )),
                );
                let mut record = EventRecord::default();
                record.event_name = "INSERT".into();
                record.change.sequence_number = Some(out.len().to_string());
                record.change.new_image = item.into();
                out.push((*claim, entry, record));
            }
        }
    }
    Ok(out)
}

/// Times the floor and the publisher on `entries` history entries.
pub async fn measure(entries: usize, logs: &Path) -> Result<EventsRun, String> {
    let mut emulator = Emulator::start_on_free_port(&logs.join("events-emulator.log"))
        .map_err(|e| e.to_string())?;
    let mut settings = cpor_local::LocalSettings::for_tests(&emulator.endpoint());
    settings.aws_calls = None;
    let sdk = settings.sdk_config().await;
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let bus_name = "cpor-bench-events";
    events
        .create_event_bus()
        .name(bus_name)
        .send()
        .await
        .map_err(|e| cpor_aws::describe(&e))?;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    cpor_aws::schema::create_table(&dynamodb, &settings.table)
        .await
        .map_err(|e| e.to_string())?;
    let bus = EventBridgeBus::new(events, bus_name);
    let subject = subject()?;
    let records = records(entries, &subject)?;

    // The floor's calls: the same events, grouped as the publisher groups them, per batch.
    let mut calls: Vec<Vec<ClaimEvent>> = Vec::new();
    for batch in records.chunks(BATCH_SIZE) {
        let mut rest: Vec<ClaimEvent> = batch
            .iter()
            .map(|(claim, entry, _)| ClaimEvent::of(*claim, entry, &subject))
            .collect();
        while !rest.is_empty() {
            let claims: Vec<ClaimId> = rest.iter().map(ClaimEvent::claim_id).collect();
            let after = rest.split_off(next_call_len(&claims).max(1));
            calls.push(std::mem::replace(&mut rest, after));
        }
    }
    let started = Instant::now();
    for call in &calls {
        let answer = bus.put(call).await.map_err(|e| e.to_string())?;
        if answer.iter().any(Option::is_some) {
            return Err(format!("the floor's PutEvents refused entries: {answer:?}"));
        }
    }
    let floor = started.elapsed();

    let function = PublishEventsFunction::new(bus, DynamoStore::new(dynamodb, settings.table));
    let batches: Vec<Event> = records
        .chunks(BATCH_SIZE)
        .map(|batch| {
            let mut event = Event::default();
            event.records = batch.iter().map(|(_, _, r)| r.clone()).collect();
            event
        })
        .collect();
    let batch_count = batches.len();
    let started = Instant::now();
    for event in batches {
        let response = function.handle(event).await;
        if !response.batch_item_failures.is_empty() {
            return Err(format!(
                "publish-events reported failures: {:?}",
                response.batch_item_failures
            ));
        }
    }
    let publisher = started.elapsed();
    emulator.stop();
    Ok(EventsRun {
        entries: records.len(),
        batches: batch_count,
        calls: calls.len(),
        floor,
        publisher,
    })
}
