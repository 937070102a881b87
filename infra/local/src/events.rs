//! The events' local path, as in AWS: the emulator's table stream is read as Lambda's event
//! source mapping reads it (DescribeStream, GetShardIterator, GetRecords, with publish-events'
//! role) and each batch handed to publish-events in-process; the function puts the events on the
//! emulator's bus, whose rule (`source: [cpor]`) delivers them to a queue, which a test
//! consumer drains into the log that `GET /_local/events` shows.

use crate::gateway::Gateway;
use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_sdk_dynamodbstreams::types::{AttributeValue as StreamValue, ShardIteratorType};
use cpor_aws::{describe, in_invocation};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// The most records Lambda's event source mapping hands the function at once (the template's
/// `BatchSize`).
pub const BATCH_SIZE: i32 = 100;

/// How long the reader waits when the stream has nothing new.
const IDLE: Duration = Duration::from_millis(200);

/// A failure to create the bus, its rule or its queue.
#[derive(Debug, thiserror::Error)]
#[error("could not provision the event bus: {0}")]
pub struct EventsError(String);

/// The queue of a stack called `prefix` that the bus's rule delivers every event to.
pub fn delivery_queue(prefix: &str) -> String {
    format!("{prefix}-delivered-events")
}

/// Creates the bus `bus`, a queue, and a rule on the bus delivering the service's events
/// (`source: [cpor]`) to it; returns the queue's URL.
pub async fn provision(
    events: &aws_sdk_eventbridge::Client,
    sqs: &aws_sdk_sqs::Client,
    bus: &str,
    queue: &str,
) -> Result<String, EventsError> {
    if let Err(e) = events.create_event_bus().name(bus).send().await {
        let exists = e
            .as_service_error()
            .is_some_and(|s| s.is_resource_already_exists_exception());
        if !exists {
            return Err(EventsError(format!("bus {bus}: {}", describe(&e))));
        }
    }
    let queue_url = sqs
        .create_queue()
        .queue_name(queue)
        .send()
        .await
        .map_err(|e| EventsError(format!("queue {queue}: {}", describe(&e))))?
        .queue_url()
        .unwrap_or_default()
        .to_owned();
    let queue_arn = cpor_aws::schema::queue_arn(sqs, &queue_url)
        .await
        .map_err(|e| EventsError(e.to_string()))?;
    let rule = format!("{queue}-rule");
    rule_to_queue(
        events,
        bus,
        &rule,
        json!({ "source": [cpor_domain::events::SOURCE] }),
        "delivered-events",
        queue_arn,
    )
    .await?;
    Ok(queue_url)
}

/// A rule of the template's from the bus to one of the service's queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `PartnerEmailRule`: `source` cpor and the `detail-type`s of
    /// [`cpor_aws::schema::PARTNER_EMAIL_EVENTS`], to the partner e-mails' queue.
    PartnerEmails,
    /// `CustomerNotificationRule`: the events that leave a claim `approved` (the history's
    /// outbox queues the customer's notification), to the notification queue.
    CustomerNotifications,
    /// `WebhookRule`: every event of the service, to the webhooks' queue.
    Webhooks,
}

impl Route {
    /// The rule's name after the bus's, its target's id, and its pattern.
    fn rule(self) -> (&'static str, Value) {
        match self {
            Self::PartnerEmails => {
                let detail_types: Vec<String> = cpor_aws::schema::PARTNER_EMAIL_EVENTS
                    .iter()
                    .map(|event| format!("claim.{event}"))
                    .collect();
                (
                    "partner-emails",
                    json!({ "source": [cpor_domain::events::SOURCE], "detail-type": detail_types }),
                )
            }
            Self::CustomerNotifications => (
                "customer-notifications",
                cpor_aws::schema::customer_notification_pattern(),
            ),
            Self::Webhooks => ("webhooks", cpor_aws::schema::webhook_pattern()),
        }
    }
}

/// Routes the bus's events that `route` selects to the queue at `queue_url`, as the
/// template's rule does.
pub async fn route(
    events: &aws_sdk_eventbridge::Client,
    sqs: &aws_sdk_sqs::Client,
    bus: &str,
    route: Route,
    queue_url: &str,
) -> Result<(), EventsError> {
    let queue_arn = cpor_aws::schema::queue_arn(sqs, queue_url)
        .await
        .map_err(|e| EventsError(e.to_string()))?;
    let (name, pattern) = route.rule();
    rule_to_queue(
        events,
        bus,
        &format!("{bus}-{name}"),
        pattern,
        name,
        queue_arn,
    )
    .await
}

/// A rule `rule` on `bus` with `pattern`, whose one target (`target_id`) is the queue
/// `queue_arn`.
async fn rule_to_queue(
    events: &aws_sdk_eventbridge::Client,
    bus: &str,
    rule: &str,
    pattern: Value,
    target_id: &str,
    queue_arn: String,
) -> Result<(), EventsError> {
    events
        .put_rule()
        .name(rule)
        .event_bus_name(bus)
        .event_pattern(pattern.to_string())
        .send()
        .await
        .map_err(|e| EventsError(format!("rule {rule}: {}", describe(&e))))?;
    let target = aws_sdk_eventbridge::types::Target::builder()
        .id(target_id)
        .arn(queue_arn)
        .build()
        .map_err(|e| EventsError(e.to_string()))?;
    events
        .put_targets()
        .rule(rule)
        .event_bus_name(bus)
        .targets(target)
        .send()
        .await
        .map_err(|e| EventsError(format!("target of {rule}: {}", describe(&e))))?;
    Ok(())
}

/// The events the bus delivered, oldest first: `{ "detail-type", "detail" }` each.
#[derive(Debug, Default)]
pub struct EventLog(Mutex<Vec<Value>>);

impl EventLog {
    pub fn snapshot(&self) -> Vec<Value> {
        self.0.lock().map(|log| log.clone()).unwrap_or_default()
    }

    fn push(&self, event: Value) {
        if let Ok(mut log) = self.0.lock() {
            log.push(event);
        }
    }
}

/// Drains the rule's queue into `log` until `shutdown` changes: a consumer of the bus, as
/// another system would run one.
pub async fn drain(
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    log: Arc<EventLog>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let received = tokio::select! {
            _ = shutdown.changed() => return,
            received = sqs
                .receive_message()
                .queue_url(&queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send() => received,
        };
        let messages = match received {
            Ok(out) => out.messages.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(error = %describe(&e), "could not read the delivered events");
                tokio::select! {
                    _ = shutdown.changed() => return,
                    _ = tokio::time::sleep(IDLE) => continue,
                }
            }
        };
        for message in messages {
            let body: Value = message
                .body()
                .and_then(|b| serde_json::from_str(b).ok())
                .unwrap_or(Value::Null);
            log.push(json!({
                "detail-type": body["detail-type"],
                "detail": body["detail"],
            }));
            if let Some(handle) = message.receipt_handle()
                && let Err(e) = sqs
                    .delete_message()
                    .queue_url(&queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
            {
                tracing::warn!(error = %describe(&e), "could not delete a delivered event");
            }
        }
    }
}

/// The stream's ARN of `table`, which Lambda's event source mapping is given by the template.
pub async fn stream_arn(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<String, EventsError> {
    dynamodb
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|e| EventsError(format!("table {table}: {}", describe(&e))))?
        .table()
        .and_then(|t| t.latest_stream_arn())
        .map(str::to_owned)
        .ok_or_else(|| EventsError(format!("table {table} has no stream")))
}

/// Reads the table's stream from its oldest record and hands each batch to publish-events, as
/// Lambda's event source mapping does: a batch the function reports a failed record of is read
/// again from that record (after the retry delay), so nothing is skipped. Locally it retries
/// without end; in AWS the template bounds the retries and sends what is left to the DLQ.
pub async fn read_stream(
    streams: aws_sdk_dynamodbstreams::Client,
    arn: String,
    gateway: Arc<Gateway>,
    shutdown: watch::Receiver<bool>,
) {
    let retry_after = gateway.settings.retry_after;
    let pause = |d: Duration| {
        let mut shutdown = shutdown.clone();
        async move {
            tokio::select! {
                _ = shutdown.changed() => true,
                _ = tokio::time::sleep(d) => false,
            }
        }
    };
    // The emulator's stream has one shard, which never closes.
    let shard = loop {
        let described = streams.describe_stream().stream_arn(&arn).send().await;
        match described.map(|d| {
            d.stream_description()
                .and_then(|s| s.shards().first())
                .and_then(|s| s.shard_id())
                .map(str::to_owned)
        }) {
            Ok(Some(shard)) => break shard,
            Ok(None) => tracing::warn!("the table's stream has no shard yet"),
            Err(e) => {
                tracing::warn!(error = %describe(&e), "could not describe the table's stream")
            }
        }
        if pause(IDLE).await {
            return;
        }
    };
    let mut from: Option<String> = None;
    let mut iterator: Option<String> = None;
    loop {
        if *shutdown.borrow() || shutdown.has_changed().unwrap_or(true) {
            return;
        }
        let Some(current) = iterator.clone() else {
            let asked = match &from {
                None => streams
                    .get_shard_iterator()
                    .stream_arn(&arn)
                    .shard_id(&shard)
                    .shard_iterator_type(ShardIteratorType::TrimHorizon),
                Some(sequence) => streams
                    .get_shard_iterator()
                    .stream_arn(&arn)
                    .shard_id(&shard)
                    .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
                    .sequence_number(sequence),
            };
            match asked.send().await {
                Ok(out) => iterator = out.shard_iterator().map(str::to_owned),
                Err(e) => {
                    tracing::warn!(error = %describe(&e), "could not get a shard iterator");
                    if pause(IDLE).await {
                        return;
                    }
                }
            }
            continue;
        };
        let read = streams
            .get_records()
            .shard_iterator(&current)
            .limit(BATCH_SIZE)
            .send()
            .await;
        let out = match read {
            Ok(out) => out,
            Err(e) => {
                tracing::warn!(error = %describe(&e), "could not read the table's stream");
                if pause(IDLE).await {
                    return;
                }
                continue;
            }
        };
        let records = out.records();
        if records.is_empty() {
            iterator = out.next_shard_iterator().map(str::to_owned);
            if pause(IDLE).await {
                return;
            }
            continue;
        }
        let event = lambda_event(records, &arn);
        let request_id = ulid::Ulid::new().to_string();
        let response = in_invocation(
            publish_events::FUNCTION,
            &request_id,
            gateway.publish.handle(event),
        )
        .await;
        match response.batch_item_failures.first() {
            None => {
                from = None;
                iterator = out.next_shard_iterator().map(str::to_owned);
            }
            Some(failure) => {
                // Lambda's rule: an empty identifier fails the whole batch.
                let first = records
                    .first()
                    .and_then(|r| r.dynamodb())
                    .and_then(|d| d.sequence_number());
                from = failure
                    .item_identifier
                    .clone()
                    .filter(|id| !id.is_empty())
                    .or_else(|| first.map(str::to_owned));
                iterator = None;
                if pause(retry_after).await {
                    return;
                }
            }
        }
    }
}

/// The stream's records as Lambda hands them to the function.
fn lambda_event(records: &[aws_sdk_dynamodbstreams::types::Record], arn: &str) -> Event {
    let mut event = Event::default();
    event.records = records
        .iter()
        .map(|r| {
            let mut record = EventRecord::default();
            record.event_id = r.event_id().unwrap_or_default().to_owned();
            record.event_name = r
                .event_name()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default();
            record.event_source = r.event_source().map(str::to_owned);
            record.aws_region = r.aws_region().unwrap_or_default().to_owned();
            record.event_source_arn = Some(arn.to_owned());
            if let Some(change) = r.dynamodb() {
                record.change.sequence_number = change.sequence_number().map(str::to_owned);
                record.change.keys = item(change.keys());
                record.change.new_image = item(change.new_image());
                record.change.size_bytes = change.size_bytes().unwrap_or_default();
            }
            record
        })
        .collect();
    event
}

fn item(image: Option<&HashMap<String, StreamValue>>) -> serde_dynamo::Item {
    let attributes: HashMap<String, aws_sdk_dynamodb::types::AttributeValue> = image
        .into_iter()
        .flatten()
        .map(|(name, value)| (name.clone(), attribute(value)))
        .collect();
    attributes.into()
}

/// A stream's attribute value as the table's (the same shape, another crate's type).
fn attribute(value: &StreamValue) -> aws_sdk_dynamodb::types::AttributeValue {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    match value {
        StreamValue::S(s) => A::S(s.clone()),
        StreamValue::N(n) => A::N(n.clone()),
        StreamValue::B(b) => A::B(b.clone()),
        StreamValue::Bool(b) => A::Bool(*b),
        StreamValue::Null(n) => A::Null(*n),
        StreamValue::Ss(v) => A::Ss(v.clone()),
        StreamValue::Ns(v) => A::Ns(v.clone()),
        StreamValue::Bs(v) => A::Bs(v.clone()),
        StreamValue::L(v) => A::L(v.iter().map(attribute).collect()),
        StreamValue::M(m) => A::M(m.iter().map(|(k, v)| (k.clone(), attribute(v))).collect()),
        // A type newer than this SDK: kept as null, which the publisher reads as an unreadable
        // item (never skipped).
        _ => A::Null(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_record_becomes_the_lambda_record_with_its_new_image_whole() {
        // GIVEN a stream record with nested attributes, as GetRecords answers it
        let image = HashMap::from([
            ("pk".to_owned(), StreamValue::S("CLAIM#1".into())),
            ("sequence".to_owned(), StreamValue::N("3".into())),
            ("from".to_owned(), StreamValue::Null(true)),
            (
                "m".to_owned(),
                StreamValue::M(HashMap::from([(
                    "l".to_owned(),
                    StreamValue::L(vec![StreamValue::Bool(true)]),
                )])),
            ),
        ]);
        let record = aws_sdk_dynamodbstreams::types::Record::builder()
            .event_id("e1")
            .event_name(aws_sdk_dynamodbstreams::types::OperationType::Insert)
            .dynamodb(
                aws_sdk_dynamodbstreams::types::StreamRecord::builder()
                    .sequence_number("42")
                    .set_new_image(Some(image))
                    .build(),
            )
            .build();
        // WHEN it is handed on as Lambda would
        let event = lambda_event(&[record], "arn:stream");
        // THEN the sequence number, event name and image survive
        let lambda = serde_json::to_value(&event.records[0]).unwrap();
        assert_eq!(lambda["eventName"], "INSERT");
        assert_eq!(lambda["dynamodb"]["SequenceNumber"], "42");
        assert_eq!(
            lambda["dynamodb"]["NewImage"]["sequence"],
            json!({ "N": "3" })
        );
        assert_eq!(
            lambda["dynamodb"]["NewImage"]["m"],
            json!({ "M": { "l": { "L": [{ "BOOL": true }] } } })
        );
    }
}
