//! deliver-webhooks' items in the table (docs/architecture.md, "Storage"): the partner's
//! endpoints (`PARTNER#<p>`, `WEBHOOK#<id>`, written by the webhook routes; read here, their
//! health updated here), the delivery record of each endpoint and event
//! (`WEBHOOK#<id>`, `DELIVERY#<delivery key>`) and the attempt log (`WEBHOOK#<id>`,
//! `ATTEMPT#<at>#<event id>#<attempt>`, kept 30 days).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
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
    s(format!("PARTNER#{partner_id}"))
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

    /// Where the delivery `key` to `webhook_id` stands.
    pub async fn record(&self, webhook_id: &str, key: &str) -> Result<Record, TableError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, webhook_pk(webhook_id))
            .key(SK, s(format!("DELIVERY#{key}")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| failed("GetItem delivery", &e))?;
        let Some(item) = out.item else {
            return Ok(Record::New);
        };
        let attempts = item
            .get("attempts")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Ok(
            match (text(&item, "state").as_deref(), instant(&item, "due")) {
                (Some("pending"), Some(due)) => Record::Pending { attempts, due },
                _ => Record::Settled,
            },
        )
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
        self.log(webhook_id, attempt).await?;
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PK, webhook_pk(webhook_id))
            .item(SK, s(format!("DELIVERY#{key}")))
            .item("event_id", s(attempt.event_id))
            .item("attempts", n(attempt.attempt))
            .item("updated_at", s(format_instant(attempt.at)));
        put = match after {
            After::Pending(due) => put
                .item("state", s("pending"))
                .item("due", s(format_instant(due))),
            After::Settled(outcome) => put.item("state", s("settled")).item("outcome", s(outcome)),
        };
        // Written over the previous attempt's record, or over this very write (its answer
        // lost, the SDK sent it again): never over another receipt's attempt.
        let written = put
            .condition_expression(
                "attribute_not_exists(#pk) OR attempts = :previous \
                 OR (attempts = :this AND updated_at = :at)",
            )
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":previous", n(attempt.attempt - 1))
            .expression_attribute_values(":this", n(attempt.attempt))
            .expression_attribute_values(":at", s(format_instant(attempt.at)))
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

    /// Writes an attempt to the log (the same attempt written twice is one item).
    async fn log(&self, webhook_id: &str, attempt: &Attempt<'_>) -> Result<(), TableError> {
        let at = format_instant(attempt.at);
        let expires = (attempt.at + ATTEMPT_KEPT).timestamp();
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PK, webhook_pk(webhook_id))
            .item(
                SK,
                s(format!(
                    "ATTEMPT#{at}#{}#{}",
                    attempt.event_id, attempt.attempt
                )),
            )
            .item("event_id", s(attempt.event_id))
            .item("attempt", n(attempt.attempt))
            .item("at", s(at))
            .item("outcome", s(attempt.outcome))
            .item(TTL_ATTRIBUTE, n(expires));
        if let Some(status) = attempt.status_code {
            put = put.item("status_code", n(status));
        }
        if let Some(error) = attempt.error {
            put = put.item("error", s(error));
        }
        put.send()
            .await
            .map_err(|e| failed("PutItem attempt", &e))?;
        Ok(())
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

/// An endpoint deleted meanwhile has no health to keep.
fn ignore_missing(error: TableError, endpoint: &Endpoint) -> Result<(), TableError> {
    if error.0.contains("ConditionalCheckFailed") {
        tracing::info!(webhook_id = %endpoint.webhook_id, "the endpoint was deleted meanwhile");
        return Ok(());
    }
    Err(error)
}
