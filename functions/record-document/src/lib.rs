//! record-document: consumes the documents queue, where the bucket reports each object created
//! (an S3 event notification per message). Each upload is checked against what its partner
//! declared (its real size and its first bytes) and then counts as its document, with its
//! `document_added` history entry; what fails the checks is deleted and its document stays
//! pending. Failed messages are reported one by one (`ReportBatchItemFailures`); a message
//! delivered twice changes nothing the second time.

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use cpor_aws::{ConfigError, Door, DynamoStore, S3Documents, Wiring};
use cpor_domain::clock::Clock;
use cpor_domain::ports::Unavailable;
use cpor_domain::usecase::documents::{Arrival, DocumentDesk};
use std::convert::Infallible;
use std::sync::Arc;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "record-document";

/// The function: its clients, built once per execution environment.
pub struct RecordDocumentFunction {
    store: DynamoStore,
    bucket: S3Documents,
    clock: Arc<dyn Clock>,
}

/// Why a message was not processed.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// Not an S3 event notification: retrying cannot help; it ends in the dead-letter queue.
    #[error("the message body is not an S3 event notification: {0}")]
    Poison(String),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl RecordDocumentFunction {
    pub fn new(store: DynamoStore, bucket: S3Documents, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            bucket,
            clock,
        }
    }

    /// Processes one message: every object it reports, in order.
    pub async fn process(&self, message: &SqsMessage) -> Result<Vec<Arrival>, MessageError> {
        let body = message.body.as_deref().unwrap_or_default();
        let value: serde_json::Value =
            serde_json::from_str(body).map_err(|e| MessageError::Poison(e.to_string()))?;
        // S3 sends one when the notification is configured: it reports no object.
        if value.get("Event").and_then(|e| e.as_str()) == Some("s3:TestEvent") {
            return Ok(Vec::new());
        }
        let event: Notification =
            serde_json::from_value(value).map_err(|e| MessageError::Poison(e.to_string()))?;
        let desk = DocumentDesk {
            claims: &self.store,
            documents: &self.store,
            clock: self.clock.as_ref(),
        };
        let mut arrivals = Vec::new();
        for record in &event.records {
            let created = record
                .event_name
                .as_deref()
                .is_some_and(|name| name.starts_with("ObjectCreated:"));
            let Some(key) = record.s3.object.key.as_deref().filter(|_| created) else {
                continue;
            };
            let key = object_key_of(key);
            // The version created, in a versioned bucket (the emulator's notifications name
            // none: the current version is checked then).
            let version = record.s3.object.version_id.as_deref();
            arrivals.push(Box::pin(desk.arrived(&key, version, &self.bucket)).await?);
        }
        Ok(arrivals)
    }

    /// Processes a batch; the answer names the messages to retry.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let (_, response) = cpor_aws::batch::process(&event, |message| async move {
            let result = self.process(message).await;
            match &result {
                // S3's test event, sent when the notification is configured: nothing arrived.
                Ok(arrivals) if arrivals.is_empty() => {
                    tracing::debug!("a notification without uploads skipped")
                }
                Ok(arrivals) => tracing::info!(?arrivals, "uploads processed"),
                Err(error) => {
                    tracing::warn!(%error, "uploads not processed; the queue will retry them")
                }
            }
            result
        })
        .await;
        response
    }
}

/// The fields of an S3 event notification the function reads. Not `aws_lambda_events`' S3
/// event: it requires fields (`userIdentity`, ...) that the emulator's notifications lack and
/// this function never reads.
#[derive(Debug, serde::Deserialize)]
struct Notification {
    #[serde(rename = "Records", default)]
    records: Vec<NotificationRecord>,
}

#[derive(Debug, serde::Deserialize)]
struct NotificationRecord {
    #[serde(rename = "eventName")]
    event_name: Option<String>,
    s3: NotificationEntity,
}

#[derive(Debug, serde::Deserialize)]
struct NotificationEntity {
    object: NotificationObject,
}

#[derive(Debug, serde::Deserialize)]
struct NotificationObject {
    key: Option<String>,
    #[serde(rename = "versionId")]
    version_id: Option<String>,
}

/// The object's key as stored: S3's notifications URL-encode it, spaces as `+`.
pub fn object_key_of(encoded: &str) -> String {
    let spaced = encoded.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

impl Door for RecordDocumentFunction {
    const NAME: &'static str = FUNCTION;
    type Event = SqsEvent;
    type Output = SqsBatchResponse;
    // Failed messages are reported one by one in the answer, never by failing the batch.
    type Error = Infallible;

    /// On the table (`CPOR_TABLE_NAME`) and the documents' bucket (`CPOR_DOCUMENTS_BUCKET`).
    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        Ok(Self::new(
            wiring.store()?,
            wiring.documents()?,
            wiring.clock(),
        ))
    }

    async fn invoke(&self, event: Self::Event) -> Result<Self::Output, Infallible> {
        Ok(self.handle(event).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notification_s_key_is_url_decoded_before_it_is_checked() {
        // GIVEN keys as S3 notifications write them
        // WHEN they are decoded
        // THEN escapes and pluses are what was stored, so `claims%2F..` cannot pass for
        // another key than the object's
        assert_eq!(
            object_key_of("claims/01JDX3/01JDX4"),
            "claims/01JDX3/01JDX4"
        );
        assert_eq!(object_key_of("claims%2Fa+b%20c"), "claims/a b c");
    }
}
