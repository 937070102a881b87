//! deliver-webhooks' items in the table (docs/architecture.md, "Storage"): the partner's
//! endpoints (`WEBHOOKS#<p>`, `WEBHOOK#<id>`, written by the webhook routes; read here, their
//! health updated here), the delivery record of each endpoint and event
//! (`WEBHOOK#<id>`, `DELIVERY#<delivery key>`) and the attempt log (`WEBHOOK#<id>`,
//! `ATTEMPT#<at>#<event id>#<attempt>`, kept 30 days).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, TransactWriteItem};
use chrono::{DateTime, TimeDelta, Utc};
use cpor_aws::schema::{PK, SK, TTL_ATTRIBUTE};
use cpor_aws::{SdkClient, describe};
use cpor_domain::time::format_instant;
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

/// How long the attempt log keeps an attempt.
const ATTEMPT_KEPT: TimeDelta = TimeDelta::days(30);

/// A table call failed: the message is tried again.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TableError(String);

fn failed(what: &str, error: &impl std::error::Error) -> TableError {
    TableError(format!("{what}: {}", describe(error)))
}

/// An endpoint, as its item holds it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub webhook_id: String,
    pub partner_id: String,
    pub url: String,
    /// The types it asked for (`*`: every type).
    pub events: Vec<String>,
    pub active: bool,
    /// The KMS ciphertext of the secret's text.
    pub secret: Vec<u8>,
    /// The secret before the last rotation, and until when it still signs.
    pub previous_secret: Option<(Vec<u8>, DateTime<Utc>)>,
    /// The first failed attempt since the last delivery.
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when it counts as slow (an exchange of it took long): one delivery to it at a
    /// time, so that it cannot hold many executions.
    pub slow_until: Option<DateTime<Utc>>,
}

fn text(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

fn instant(item: &Item, name: &str) -> Option<DateTime<Utc>> {
    text(item, name).and_then(|t| t.parse().ok())
}

fn bytes(item: &Item, name: &str) -> Option<Vec<u8>> {
    item.get(name)
        .and_then(|v| v.as_b().ok())
        .map(|b| b.as_ref().to_vec())
}

impl Endpoint {
    fn read(item: &Item) -> Option<Self> {
        let previous_secret =
            bytes(item, "previous_secret").zip(instant(item, "previous_secret_until"));
        Some(Self {
            webhook_id: text(item, "webhook_id")?,
            partner_id: text(item, "partner_id")?,
            url: text(item, "url")?,
            events: item
                .get("events")
                .and_then(|v| v.as_l().ok())
                .map(|l| l.iter().filter_map(|e| e.as_s().ok().cloned()).collect())
                .unwrap_or_default(),
            active: text(item, "status").as_deref() == Some("active"),
            secret: bytes(item, "secret")?,
            previous_secret,
            failing_since: instant(item, "failing_since"),
            slow_until: instant(item, "slow_until"),
        })
    }
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

/// One attempt, as the attempt log records it.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    pub event_id: &'a str,
    pub attempt: u32,
    pub at: DateTime<Utc>,
    pub outcome: &'static str,
    pub status_code: Option<u16>,
    pub error: Option<&'static str>,
}

/// The table, for deliver-webhooks.
#[derive(Debug, Clone)]
pub struct WebhookTable {
    client: SdkClient<Client>,
    table: String,
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

fn partner_pk(partner_id: &str) -> AttributeValue {
    s(format!("WEBHOOKS#{partner_id}"))
}

impl WebhookTable {
    pub fn new(client: SdkClient<Client>, table: String) -> Self {
        Self { client, table }
    }

    /// The partner's endpoints.
    pub async fn endpoints(&self, partner_id: &str) -> Result<Vec<Endpoint>, TableError> {
        let mut endpoints = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":pk", partner_pk(partner_id))
                .expression_attribute_values(":prefix", s("WEBHOOK#"))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| failed("Query endpoints", &e))?;
            endpoints.extend(out.items().iter().filter_map(Endpoint::read));
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(endpoints);
            }
        }
    }

    /// One endpoint of the partner.
    pub async fn endpoint(
        &self,
        partner_id: &str,
        webhook_id: &str,
    ) -> Result<Option<Endpoint>, TableError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, partner_pk(partner_id))
            .key(SK, s(format!("WEBHOOK#{webhook_id}")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| failed("GetItem endpoint", &e))?;
        Ok(out.item.as_ref().and_then(Endpoint::read))
    }

    /// Where the delivery `key` to each of `webhook_ids` stands, in their order: one
    /// `BatchGetItem` (a partner has five endpoints at most).
    pub async fn records(
        &self,
        webhook_ids: &[&str],
        key: &str,
    ) -> Result<Vec<Record>, TableError> {
        let keys: Vec<Item> = webhook_ids.iter().map(|id| record_key(id, key)).collect();
        let mut found: HashMap<String, Record> = HashMap::new();
        for chunk in keys.chunks(100) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| TableError(format!("BatchGetItem deliveries: {e}")))?,
            );
            // What the table left unprocessed (throttling) is asked for again.
            while let Some(request) = pending.take() {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| failed("BatchGetItem deliveries", &e))?;
                for item in out
                    .responses
                    .and_then(|mut r| r.remove(&self.table))
                    .into_iter()
                    .flatten()
                {
                    if let Some(pk) = text(&item, PK) {
                        found.insert(pk, record_of(&item));
                    }
                }
                pending = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .filter(|k| !k.keys.is_empty());
            }
        }
        Ok(webhook_ids
            .iter()
            .map(|id| {
                found
                    .remove(&format!("WEBHOOK#{id}"))
                    .unwrap_or(Record::New)
            })
            .collect())
    }

    /// Records each attempt of `settled` (its endpoint, the delivery key, the attempt, where it
    /// leaves the delivery) in one transaction; when another receipt recorded one of them first,
    /// each is recorded alone. Returns, for each, whether this call recorded it.
    pub async fn settle_all(
        &self,
        key: &str,
        settled: &[(&str, Attempt<'_>, After)],
    ) -> Result<Vec<bool>, TableError> {
        if settled.is_empty() {
            return Ok(Vec::new());
        }
        let mut items = Vec::with_capacity(2 * settled.len());
        for (webhook_id, attempt, after) in settled {
            let log = Put::builder()
                .table_name(&self.table)
                .set_item(Some(attempt_item(webhook_id, attempt)))
                .build()
                .map_err(|e| TableError(format!("attempt: {e}")))?;
            let (item, condition, names, values) = record_put(webhook_id, key, attempt, *after);
            let record = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression(condition)
                .set_expression_attribute_names(Some(names))
                .set_expression_attribute_values(Some(values))
                .build()
                .map_err(|e| TableError(format!("delivery: {e}")))?;
            items.push(TransactWriteItem::builder().put(log).build());
            items.push(TransactWriteItem::builder().put(record).build());
        }
        let written = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match written {
            Ok(_) => Ok(vec![true; settled.len()]),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_transaction_canceled_exception()) =>
            {
                let mut recorded = Vec::with_capacity(settled.len());
                for (webhook_id, attempt, after) in settled {
                    recorded.push(self.settle(webhook_id, key, attempt, *after).await?);
                }
                Ok(recorded)
            }
            Err(e) => Err(failed("TransactWriteItems deliveries", &e)),
        }
    }

    /// Records the attempt `attempt` of the delivery `key` to `webhook_id` and where it
    /// leaves the delivery, unless another attempt was recorded first (a message received
    /// twice at once): false then.
    pub async fn settle(
        &self,
        webhook_id: &str,
        key: &str,
        attempt: &Attempt<'_>,
        after: After,
    ) -> Result<bool, TableError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(attempt_item(webhook_id, attempt)))
            .send()
            .await
            .map_err(|e| failed("PutItem attempt", &e))?;
        let (item, condition, names, values) = record_put(webhook_id, key, attempt, after);
        let written = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        match written {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(failed("PutItem delivery", &e)),
        }
    }

    /// Takes the right to post to a slow endpoint until `until`, unless another execution
    /// holds it: false then. `holder` names this attempt, for [`WebhookTable::release`].
    pub async fn hold(
        &self,
        webhook_id: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, TableError> {
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
            .send()
            .await;
        match put {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(failed("PutItem in-flight hold", &e)),
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

    /// The endpoint took long to answer: slow until `until`.
    pub async fn slow(&self, endpoint: &Endpoint, until: DateTime<Utc>) -> Result<(), TableError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, partner_pk(&endpoint.partner_id))
            .key(SK, s(format!("WEBHOOK#{}", endpoint.webhook_id)))
            .update_expression("SET slow_until = :until")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":until", s(format_instant(until)))
            .send()
            .await
            .map_err(|e| failed("UpdateItem endpoint", &e))
            .map(|_| ())
            .or_else(|e| ignore_missing(e, endpoint))
    }

    /// The endpoint answered: it is failing no more.
    pub async fn recovered(&self, endpoint: &Endpoint) -> Result<(), TableError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, partner_pk(&endpoint.partner_id))
            .key(SK, s(format!("WEBHOOK#{}", endpoint.webhook_id)))
            .update_expression("REMOVE failing_since")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await
            .map_err(|e| failed("UpdateItem endpoint", &e))
            .map(|_| ())
            .or_else(|e| ignore_missing(e, endpoint))
    }

    /// The endpoint failed an attempt at `at`: failing since then, unless it already was.
    pub async fn failing(&self, endpoint: &Endpoint, at: DateTime<Utc>) -> Result<(), TableError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, partner_pk(&endpoint.partner_id))
            .key(SK, s(format!("WEBHOOK#{}", endpoint.webhook_id)))
            .update_expression("SET failing_since = if_not_exists(failing_since, :at)")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":at", s(format_instant(at)))
            .send()
            .await
            .map_err(|e| failed("UpdateItem endpoint", &e))
            .map(|_| ())
            .or_else(|e| ignore_missing(e, endpoint))
    }

    /// Disables the endpoint for `reason` (`gone`, `failing`), if it is still active: true
    /// when this call disabled it.
    pub async fn disable(&self, endpoint: &Endpoint, reason: &str) -> Result<bool, TableError> {
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, partner_pk(&endpoint.partner_id))
            .key(SK, s(format!("WEBHOOK#{}", endpoint.webhook_id)))
            .update_expression(
                "SET #status = :disabled, disabled_reason = :reason ADD version :one",
            )
            .condition_expression("#status = :active")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":disabled", s("disabled"))
            .expression_attribute_values(":active", s("active"))
            .expression_attribute_values(":reason", s(reason))
            .expression_attribute_values(":one", n(1))
            .send()
            .await;
        match updated {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(failed("UpdateItem endpoint", &e)),
        }
    }
}

fn record_key(webhook_id: &str, key: &str) -> Item {
    HashMap::from([
        (PK.to_owned(), webhook_pk(webhook_id)),
        (SK.to_owned(), s(format!("DELIVERY#{key}"))),
    ])
}

fn record_of(item: &Item) -> Record {
    let attempts = item
        .get("attempts")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    match (text(item, "state").as_deref(), instant(item, "due")) {
        (Some("pending"), Some(due)) => Record::Pending { attempts, due },
        _ => Record::Settled,
    }
}

/// An attempt's item in the log (the same attempt written twice is one item).
fn attempt_item(webhook_id: &str, attempt: &Attempt<'_>) -> Item {
    let at = format_instant(attempt.at);
    let expires = (attempt.at + ATTEMPT_KEPT).timestamp();
    let mut item = HashMap::from([
        (PK.to_owned(), webhook_pk(webhook_id)),
        (
            SK.to_owned(),
            s(format!(
                "ATTEMPT#{at}#{}#{}",
                attempt.event_id, attempt.attempt
            )),
        ),
        ("event_id".to_owned(), s(attempt.event_id)),
        ("attempt".to_owned(), n(attempt.attempt)),
        ("at".to_owned(), s(at)),
        ("outcome".to_owned(), s(attempt.outcome)),
        (TTL_ATTRIBUTE.to_owned(), n(expires)),
    ]);
    if let Some(status) = attempt.status_code {
        item.insert("status_code".into(), n(status));
    }
    if let Some(error) = attempt.error {
        item.insert("error".into(), s(error));
    }
    item
}

type Names = HashMap<String, String>;

/// The delivery record after an attempt, and the condition it is written on: over the
/// previous attempt's record, or over this very write (its answer lost, the SDK sent it
/// again), never over another receipt's attempt.
fn record_put(
    webhook_id: &str,
    key: &str,
    attempt: &Attempt<'_>,
    after: After,
) -> (Item, &'static str, Names, Item) {
    let updated = format_instant(attempt.at);
    let mut item = record_key(webhook_id, key);
    item.insert("event_id".into(), s(attempt.event_id));
    item.insert("attempts".into(), n(attempt.attempt));
    item.insert("updated_at".into(), s(&updated));
    match after {
        After::Pending(due) => {
            item.insert("state".into(), s("pending"));
            item.insert("due".into(), s(format_instant(due)));
        }
        After::Settled(outcome) => {
            item.insert("state".into(), s("settled"));
            item.insert("outcome".into(), s(outcome));
        }
    }
    let names = HashMap::from([("#pk".to_owned(), PK.to_owned())]);
    let values = HashMap::from([
        (":previous".to_owned(), n(attempt.attempt - 1)),
        (":this".to_owned(), n(attempt.attempt)),
        (":at".to_owned(), s(updated)),
    ]);
    (
        item,
        "attribute_not_exists(#pk) OR attempts = :previous \
         OR (attempts = :this AND updated_at = :at)",
        names,
        values,
    )
}

/// An endpoint deleted meanwhile has no health to keep.
fn ignore_missing(error: TableError, endpoint: &Endpoint) -> Result<(), TableError> {
    if error.0.contains("ConditionalCheckFailed") {
        tracing::info!(webhook_id = %endpoint.webhook_id, "the endpoint was deleted meanwhile");
        return Ok(());
    }
    Err(error)
}
