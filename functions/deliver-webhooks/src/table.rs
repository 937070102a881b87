//! deliver-webhooks' own items in the table (docs/architecture.md, "Storage"): the delivery
//! records of each event, one an endpoint, in one item (`DELIVERY#<delivery key>`,
//! `DELIVERY`), the attempt log (`WEBHOOK#<id>`, `ATTEMPTS#<at>#<event id>#<attempt>`: a
//! round's attempts to the endpoint, kept 30 days) and a slow endpoint's in-flight hold
//! (`WEBHOOK#<id>`, `IN_FLIGHT`). The endpoints themselves, and their health, are read and
//! written through `cpor_aws::dynamo::webhooks`, as the webhook routes do.
//!
//! A round (one batch of messages) reads its events' records in one `BatchGetItem` (with its
//! partners' endpoints' revisions) and writes them and its attempts with `BatchWriteItem`: a
//! few calls a batch, not a few a delivery.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeDelta, Utc};
use cpor_aws::schema::{PK, SK, TTL_ATTRIBUTE};
use cpor_aws::{DynamoStore, SdkClient, describe};
use cpor_domain::time::format_instant;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

type Item = HashMap<String, AttributeValue>;

/// How long the attempt log keeps an attempt.
const ATTEMPT_KEPT: TimeDelta = TimeDelta::days(30);
/// How long an event's delivery records are kept after their last attempt: longer than the
/// queue keeps a message (4 days), so a message always finds its records.
const RECORD_KEPT: TimeDelta = TimeDelta::days(30);

/// A table call failed: the message is tried again.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct TableError(String);

impl TableError {
    pub fn new(problem: String) -> Self {
        Self(problem)
    }
}

fn failed(what: &str, error: &impl std::error::Error) -> TableError {
    TableError(format!("{what}: {}", describe(error)))
}

fn text(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

fn instant(item: &Item, name: &str) -> Option<DateTime<Utc>> {
    text(item, name).and_then(|t| t.parse().ok())
}

/// Where a delivery stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Never attempted.
    New,
    /// Attempted `attempts` times, the next attempt due at `due`.
    Pending { attempts: u32, due: DateTime<Utc> },
    /// Settled (delivered, failed for good, refused, or its endpoint disabled): never posted
    /// again.
    Settled,
}

/// What an attempt leaves a delivery at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// To be tried again at this instant.
    Pending(DateTime<Utc>),
    /// Settled, with this outcome.
    Settled(&'static str),
}

/// One attempt, as the attempt log records it (the type the webhook routes read it as).
pub use cpor_aws::dynamo::webhooks::AttemptRecord as Attempt;

/// The table, for deliver-webhooks.
#[derive(Debug, Clone)]
pub struct WebhookTable {
    client: SdkClient<Client>,
    table: String,
    /// The same table, for its reads and writes of many items.
    store: DynamoStore,
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn webhook_pk(webhook_id: &str) -> AttributeValue {
    s(format!("WEBHOOK#{webhook_id}"))
}

impl WebhookTable {
    pub fn new(client: SdkClient<Client>, table: String, store: DynamoStore) -> Self {
        Self {
            client,
            table,
            store,
        }
    }

    /// The delivery records of the events `keys` (one item an event, one record in it an
    /// endpoint), by key, read in one `BatchGetItem` a hundred keys with the items at `also`
    /// (which are answered as they are). An event never tried has no records.
    pub async fn records(
        &self,
        keys: &[&str],
        also: Vec<Item>,
    ) -> Result<(HashMap<String, Records>, Vec<Item>), TableError> {
        let unique: std::collections::BTreeSet<&str> = keys.iter().copied().collect();
        let mut wanted: Vec<Item> = unique.into_iter().map(records_key).collect();
        wanted.extend(also);
        let items = self
            .store
            .get_items(wanted)
            .await
            .map_err(|e| TableError(e.to_string()))?;
        let mut found = HashMap::new();
        let mut others = Vec::new();
        for item in items {
            match text(&item, "delivery_key") {
                Some(key) => {
                    found.insert(key, Records::read(&item)?);
                }
                None => others.push(item),
            }
        }
        Ok((found, others))
    }

    /// Writes a round of deliveries: each event's records, and each endpoint's attempts as
    /// one item of its attempt log, with `BatchWriteItem` (25 items a call). A record is
    /// written whole, over the one read before the round: of two receipts of one message at
    /// once, the last to write is kept (either posted; the schedule goes on from its record).
    pub async fn write(
        &self,
        records: &[(&str, &str, &Records)],
        attempts: &BTreeMap<String, Vec<Attempt>>,
    ) -> Result<(), TableError> {
        let mut items = records
            .iter()
            .map(|(key, event_id, records)| records.item(key, event_id))
            .collect::<Result<Vec<Item>, _>>()?;
        for (webhook_id, log) in attempts {
            if !log.is_empty() {
                items.push(log_item(webhook_id, log)?);
            }
        }
        self.store
            .put_items(items)
            .await
            .map_err(|e| TableError(e.to_string()))
    }

    /// Takes the right to post to a slow endpoint until `until`, unless another execution
    /// holds it: `Err` then, with when its hold lapses. `holder` names this attempt, for
    /// [`WebhookTable::release`].
    pub async fn hold(
        &self,
        webhook_id: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Result<(), Option<DateTime<Utc>>>, TableError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PK, webhook_pk(webhook_id))
            .item(SK, s("IN_FLIGHT"))
            .item("holder", s(holder))
            .item("until", s(format_instant(until)))
            // A hold whose execution ended without releasing it lapses; the same holder's
            // write sent again (its answer lost) is its own.
            .condition_expression("attribute_not_exists(#pk) OR #until < :now OR holder = :holder")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#until", "until")
            .expression_attribute_values(":now", s(format_instant(now)))
            .expression_attribute_values(":holder", s(holder))
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            )
            .send()
            .await;
        match put {
            Ok(_) => Ok(Ok(())),
            Err(e) => match e.as_service_error() {
                Some(
                    aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(
                        failed,
                    ),
                ) => Ok(Err(failed.item().and_then(|item| instant(item, "until")))),
                _ => Err(failed("PutItem in-flight hold", &e)),
            },
        }
    }

    /// Gives the right to post to a slow endpoint back, if `holder` still has it.
    pub async fn release(&self, webhook_id: &str, holder: &str) -> Result<(), TableError> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PK, webhook_pk(webhook_id))
            .key(SK, s("IN_FLIGHT"))
            .condition_expression("holder = :holder")
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(failed("DeleteItem in-flight hold", &e)),
        }
    }
}

fn records_key(key: &str) -> Item {
    HashMap::from([
        (PK.to_owned(), s(format!("DELIVERY#{key}"))),
        (SK.to_owned(), s("DELIVERY")),
    ])
}

/// Where the delivery of an event to one endpoint stands, as its record says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RecordState {
    /// `pending` or `settled`.
    state: String,
    attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outcome: Option<String>,
    updated_at: String,
}

/// An event's delivery records, one an endpoint (by webhook id). The item holds them as one
/// JSON document (`endpoints`): the function reads and writes them whole, and no expression
/// looks inside.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Records(BTreeMap<String, RecordState>);

impl Records {
    fn read(item: &Item) -> Result<Self, TableError> {
        let Some(text) = text(item, "endpoints") else {
            return Ok(Self::default());
        };
        serde_json::from_str(&text)
            .map(Self)
            .map_err(|e| TableError(format!("an event's delivery records: {e}")))
    }

    /// Where the delivery to `webhook_id` stands.
    pub fn of(&self, webhook_id: &str) -> Record {
        let Some(record) = self.0.get(webhook_id) else {
            return Record::New;
        };
        let due = record.due.as_deref().and_then(|d| d.parse().ok());
        match (record.state.as_str(), due) {
            ("pending", Some(due)) => Record::Pending {
                attempts: record.attempts,
                due,
            },
            _ => Record::Settled,
        }
    }

    /// Records the attempt `attempt` to `webhook_id`, and where it leaves the delivery.
    pub fn set(&mut self, webhook_id: &str, attempt: &Attempt, after: After) {
        let (state, due, outcome) = match after {
            After::Pending(due) => ("pending", Some(format_instant(due)), None),
            After::Settled(outcome) => ("settled", None, Some(outcome.to_owned())),
        };
        self.0.insert(
            webhook_id.to_owned(),
            RecordState {
                state: state.to_owned(),
                attempts: attempt.attempt,
                due,
                outcome,
                updated_at: format_instant(attempt.at),
            },
        );
    }

    fn item(&self, key: &str, event_id: &str) -> Result<Item, TableError> {
        let mut item = records_key(key);
        item.insert("delivery_key".into(), s(key));
        item.insert("event_id".into(), s(event_id));
        let text = serde_json::to_string(&self.0)
            .map_err(|e| TableError(format!("an event's delivery records: {e}")))?;
        item.insert("endpoints".into(), s(text));
        let latest = self
            .0
            .values()
            .filter_map(|r| r.updated_at.parse::<DateTime<Utc>>().ok())
            .max()
            .unwrap_or_else(Utc::now);
        item.insert(
            TTL_ATTRIBUTE.to_owned(),
            n((latest + RECORD_KEPT).timestamp()),
        );
        Ok(item)
    }
}

/// A round's attempts to one endpoint, as one item of its attempt log, sorted by the latest
/// (the same round written twice is one item). The attempts are one JSON document
/// (`attempts`), as the webhook routes read them.
fn log_item(webhook_id: &str, log: &[Attempt]) -> Result<Item, TableError> {
    let latest = log.iter().map(|a| a.at).max().unwrap_or_else(Utc::now);
    let first = log
        .first()
        .map_or(String::new(), |a| format!("{}#{}", a.event_id, a.attempt));
    let attempts =
        serde_json::to_string(log).map_err(|e| TableError(format!("an attempt log: {e}")))?;
    Ok(HashMap::from([
        (PK.to_owned(), webhook_pk(webhook_id)),
        (
            SK.to_owned(),
            s(format!("ATTEMPTS#{}#{first}", format_instant(latest))),
        ),
        ("attempts".to_owned(), s(attempts)),
        (
            TTL_ATTRIBUTE.to_owned(),
            n((latest + ATTEMPT_KEPT).timestamp()),
        ),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(n: u32, at: &str, outcome: &str) -> Attempt {
        Attempt {
            event_id: "01JDX3Z8Q6V6W4S0Y1B2C3D4E5/3".into(),
            attempt: n,
            at: at.parse().unwrap(),
            outcome: outcome.into(),
            status_code: Some(500),
            error: None,
        }
    }

    #[test]
    fn an_event_s_records_keep_each_endpoint_s_delivery_through_the_item() {
        // GIVEN an event delivered to one endpoint, and to be tried again at another
        let due: DateTime<Utc> = "2026-12-07T10:00:05Z".parse().unwrap();
        let mut records = Records::default();
        records.set(
            "A",
            &attempt(1, "2026-12-07T10:00:00Z", "delivered"),
            After::Settled("delivered"),
        );
        records.set(
            "B",
            &attempt(2, "2026-12-07T10:00:00Z", "retrying"),
            After::Pending(due),
        );
        // WHEN the item is written and read back
        let item = records.item(
            "01JDX3Z8Q6V6W4S0Y1B2C3D4E5/3",
            "01JDX3Z8Q6V6W4S0Y1B2C3D4E5/3",
        );
        let read = Records::read(&item.unwrap()).unwrap();
        // THEN the first is settled, the second pending after its second attempt, and an
        // endpoint never tried is new
        assert_eq!(read.of("A"), Record::Settled);
        assert_eq!(read.of("B"), Record::Pending { attempts: 2, due });
        assert_eq!(read.of("C"), Record::New);
        assert_eq!(read, records);
    }

    #[test]
    fn a_round_s_attempts_to_an_endpoint_are_one_item_sorted_by_the_latest() {
        let log = [
            attempt(1, "2026-12-07T10:00:02Z", "retrying"),
            attempt(1, "2026-12-07T10:00:01Z", "delivered"),
        ];
        let item = log_item("01JE0B7Q2M4N6P8R0S2T4V6W8X", &log).unwrap();
        assert_eq!(
            text(&item, SK).unwrap(),
            "ATTEMPTS#2026-12-07T10:00:02.000Z#01JDX3Z8Q6V6W4S0Y1B2C3D4E5/3#1"
        );
        let read = cpor_aws::dynamo::webhooks::attempt_log(&item).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read[1].outcome, "delivered");
    }
}
