//! publish-events: reads the table's stream (new images) and puts one EventBridge event on the
//! service's bus per new history entry (docs/architecture.md, "Events"). The history is the
//! outbox: every entry was written in the same transaction as the change it records, so an
//! event is never published for a change that did not happen, nor missed for one that did.
//!
//! The rule of a batch (which records go into which `PutEvents` call, where a failed batch
//! resumes) is the domain's (`cpor_domain::usecase::publish`); this door reads the stream's
//! records and answers Lambda with the first record to retry (`ReportBatchItemFailures`: Lambda
//! then retries the batch from that record, so nothing after it is skipped, and nothing before
//! it is sent twice).

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use cpor_aws::dynamo::record::Item;
use cpor_aws::dynamo::stream::stream_item;
use cpor_aws::{ConfigError, Door, DynamoStore, EventBridgeBus, Wiring};
use cpor_domain::events::StreamItem;
use cpor_domain::usecase::publish::{Published, publish};
use std::convert::Infallible;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "publish-events";

/// The function: its clients, built once per execution environment.
pub struct PublishEventsFunction {
    bus: EventBridgeBus,
    store: DynamoStore,
}

impl PublishEventsFunction {
    pub fn new(bus: EventBridgeBus, store: DynamoStore) -> Self {
        Self { bus, store }
    }

    /// Publishes a batch; the answer names the record to retry from, if any.
    pub async fn handle(&self, event: Event) -> DynamoDbEventResponse {
        let items: Vec<StreamItem> = event.records.iter().map(item_of).collect();
        let published = publish(&items, &self.bus, &self.store).await;
        answer(&event.records, &published)
    }
}

/// What a stream record carries: a removal has no new image, and is no entry.
fn item_of(record: &EventRecord) -> StreamItem {
    if record.change.new_image.is_empty() {
        return StreamItem::NotAnEntry;
    }
    let image: Item = record.change.new_image.clone().into();
    stream_item(&image)
}

/// Lambda's answer to a batch: nothing to retry, or the first record not published, by its
/// sequence number (what Lambda expects of a stream's `itemIdentifier`).
fn answer(records: &[EventRecord], published: &Published) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    match &published.stopped {
        None => {
            tracing::info!(
                events = published.events,
                calls = published.calls,
                records = records.len(),
                "events published"
            );
        }
        Some(stopped) => {
            tracing::warn!(
                events = published.events,
                calls = published.calls,
                records = records.len(),
                retry_from = stopped.at,
                reason = %stopped.reason,
                "events not all published; the stream retries from the first one that was not"
            );
            let mut failure = DynamoDbBatchItemFailure::default();
            // A record without a sequence number (never seen from DynamoDB) is answered with
            // an empty identifier, which Lambda takes as the whole batch failed: retried, not
            // skipped.
            failure.item_identifier = records
                .get(stopped.at)
                .and_then(|r| r.change.sequence_number.clone())
                .or(Some(String::new()));
            response.batch_item_failures.push(failure);
        }
    }
    response
}

impl Door for PublishEventsFunction {
    const NAME: &'static str = FUNCTION;
    type Event = Event;
    type Output = DynamoDbEventResponse;
    // A batch that is not published whole is reported in the answer, never by failing the
    // invocation (which would retry records already published).
    type Error = Infallible;

    /// On the bus (`CPOR_EVENT_BUS_NAME`) and the table (`CPOR_TABLE_NAME`), which it reads only
    /// for the subject of entries stored without it.
    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        Ok(Self::new(wiring.event_bus()?, wiring.store()?))
    }

    async fn invoke(&self, event: Self::Event) -> Result<Self::Output, Infallible> {
        Ok(self.handle(event).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpor_domain::usecase::publish::Stopped;

    fn records(sequence_numbers: &[Option<&str>]) -> Vec<EventRecord> {
        sequence_numbers
            .iter()
            .map(|n| {
                let mut record = EventRecord::default();
                record.change.sequence_number = n.map(str::to_owned);
                record
            })
            .collect()
    }

    #[test]
    fn a_batch_published_whole_reports_no_failure() {
        // GIVEN a batch whose events all went out
        let published = Published {
            events: 2,
            calls: 1,
            stopped: None,
        };
        // WHEN Lambda is answered THEN nothing is to be retried
        let response = answer(&records(&[Some("1"), Some("2")]), &published);
        assert!(response.batch_item_failures.is_empty());
    }

    #[test]
    fn a_stopped_batch_reports_the_first_record_not_published_by_its_sequence_number() {
        // GIVEN a batch stopped at its second record
        let published = Published {
            events: 1,
            calls: 1,
            stopped: Some(Stopped {
                at: 1,
                reason: "throttled".into(),
            }),
        };
        // WHEN Lambda is answered THEN it retries from that record's sequence number
        let response = answer(
            &records(&[Some("100"), Some("200"), Some("300")]),
            &published,
        );
        let ids: Vec<Option<String>> = response
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect();
        assert_eq!(ids, vec![Some("200".to_owned())]);
    }

    #[test]
    fn a_record_without_a_sequence_number_fails_the_whole_batch_rather_than_skip_it() {
        // GIVEN a stop at a record without a sequence number
        let published = Published {
            events: 0,
            calls: 0,
            stopped: Some(Stopped {
                at: 0,
                reason: "unreadable".into(),
            }),
        };
        // WHEN Lambda is answered THEN the identifier is empty: the whole batch is retried
        let response = answer(&records(&[None]), &published);
        assert_eq!(
            response.batch_item_failures[0].item_identifier,
            Some(String::new())
        );
    }

    #[test]
    fn a_stream_record_as_lambda_delivers_it_is_read_as_its_history_entry() {
        // GIVEN a DynamoDB stream record of a new history entry, as Lambda sends it
        let event: Event = serde_json::from_value(serde_json::json!({ "Records": [
            { "eventID": "1", "eventName": "INSERT", "eventVersion": "1.1",
              "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
              "dynamodb": {
                "ApproximateCreationDateTime": 1764580000.0,
                "Keys": { "pk": { "S": "CLAIM#01JDX3ZJ9M0000000000000000" }, "sk": { "S": "EVENT#000001" } },
                "NewImage": {
                  "pk": { "S": "CLAIM#01JDX3ZJ9M0000000000000000" }, "sk": { "S": "EVENT#000001" },
                  "sequence": { "N": "1" }, "at": { "S": "2026-11-25T09:00:00.000Z" },
                  "actor": { "S": "partner" }, "event": { "S": "submitted" },
                  "from": { "NULL": true }, "to": { "S": "submitted" }, "reason": { "NULL": true },
                  "partner_id": { "S": "1234567" },
                  "tenant_id": { "S": "0f8fad5b-d9cb-469f-a165-70867728950e" },
                  "program": { "S": "osu-m365" }, "workload": { "S": "teams" }
                },
                "SequenceNumber": "4421584500000000017450439091", "SizeBytes": 26,
                "StreamViewType": "NEW_IMAGE" },
              "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-12-01T00:00:00.000" },
            { "eventID": "2", "eventName": "REMOVE", "awsRegion": "us-east-1",
              "dynamodb": { "Keys": { "pk": { "S": "LOCK#x" }, "sk": { "S": "LOCK" } },
                            "SequenceNumber": "2", "SizeBytes": 10, "StreamViewType": "NEW_IMAGE" } }
        ]}))
        .unwrap();
        // WHEN its records are read
        let items: Vec<StreamItem> = event.records.iter().map(item_of).collect();
        // THEN the first is the entry with its subject, the removal is no entry
        match &items[0] {
            StreamItem::Entry { entry, subject, .. } => {
                assert_eq!(entry.event.as_str(), "submitted");
                assert_eq!(
                    subject.as_ref().map(|s| s.workload.to_string()),
                    Some("teams".to_owned())
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(items[1], StreamItem::NotAnEntry);
    }
}
