//! The background work of the local stack: the queue pollers that feed notify-customer,
//! notify-partner, record-document, record-email-feedback, run-export, process-claim-batch and
//! deliver-webhooks as Lambda's event source mappings would, and the finalize timer that stands
//! in for the nightly schedule.

use crate::gateway::Gateway;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use cpor_aws::in_invocation;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long a received batch stays invisible while notify-customer works on it: the function's
/// time-out in the template, so that a slow batch is never delivered a second time meanwhile.
const PROCESSING_LIMIT_SECONDS: i32 = 30;

/// The most messages one `ReceiveMessage` answers.
const RECEIVE_MAX: i32 = 10;

/// A queue's consumer, as Lambda's event source mapping calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consumer {
    /// notify-customer, on the notification queue.
    Notify,
    /// record-document, on the documents queue.
    RecordDocument,
    /// record-email-feedback, on the e-mail feedback queue.
    EmailFeedback,
    /// notify-partner, on the partner e-mail queue.
    NotifyPartner,
    /// run-export, on the exports queue (one message a batch, as its event source mapping).
    RunExport,
    /// process-claim-batch, on the claim batches' queue.
    ProcessClaimBatch,
    /// deliver-webhooks, on the webhooks' queue.
    DeliverWebhooks,
}

impl Consumer {
    fn function(self) -> &'static str {
        match self {
            Self::Notify => notify_customer::FUNCTION,
            Self::RecordDocument => record_document::FUNCTION,
            Self::EmailFeedback => record_email_feedback::FUNCTION,
            Self::NotifyPartner => notify_partner::FUNCTION,
            Self::RunExport => run_export::FUNCTION,
            Self::ProcessClaimBatch => process_claim_batch::FUNCTION,
            Self::DeliverWebhooks => deliver_webhooks::FUNCTION,
        }
    }

    /// Whether the function sets when each failed message comes back itself
    /// (`ChangeMessageVisibility`: deliver-webhooks' retry schedule), which the poller must
    /// then leave alone.
    fn sets_own_visibility(self) -> bool {
        match self {
            Self::DeliverWebhooks => true,
            Self::Notify
            | Self::NotifyPartner
            | Self::RecordDocument
            | Self::EmailFeedback
            | Self::RunExport
            | Self::ProcessClaimBatch => false,
        }
    }

    /// How long a received batch stays invisible while the function works on it: its
    /// timeout in the template.
    fn processing_limit(self) -> i32 {
        match self {
            Self::DeliverWebhooks => 120,
            Self::Notify
            | Self::NotifyPartner
            | Self::RecordDocument
            | Self::EmailFeedback
            | Self::RunExport
            | Self::ProcessClaimBatch => PROCESSING_LIMIT_SECONDS,
        }
    }

    /// Whether its messages are sent under a send lease that a failed attempt may keep.
    fn sends_under_lease(self) -> bool {
        match self {
            Self::Notify | Self::NotifyPartner => true,
            Self::RecordDocument
            | Self::EmailFeedback
            | Self::RunExport
            | Self::ProcessClaimBatch
            | Self::DeliverWebhooks => false,
        }
    }

    async fn handle(self, gateway: &Gateway, event: SqsEvent) -> SqsBatchResponse {
        match self {
            Self::Notify => gateway.notify.handle(event).await,
            Self::RecordDocument => gateway.record_document.handle(event).await,
            Self::EmailFeedback => gateway.email_feedback.handle(event).await,
            Self::NotifyPartner => gateway.notify_partner.handle(event).await,
            Self::RunExport => gateway.run_export.handle(event).await,
            Self::ProcessClaimBatch => gateway.process_batch.handle(event).await,
            Self::DeliverWebhooks => gateway.deliver_webhooks.handle(event).await,
        }
    }

    /// The most messages its event source mapping hands it at once.
    fn batch_size(self) -> i32 {
        match self {
            Self::RunExport | Self::ProcessClaimBatch => 1,
            Self::Notify | Self::RecordDocument | Self::EmailFeedback | Self::NotifyPartner => {
                RECEIVE_MAX
            }
            Self::DeliverWebhooks => cpor_aws::webhooks::DELIVERY_BATCH_SIZE,
        }
    }
}

/// Polls the notification queue for notify-customer until `shutdown` changes.
pub async fn poll_notifications(
    sqs: aws_sdk_sqs::Client,
    retries: aws_sdk_sqs::Client,
    queue_url: String,
    gateway: Arc<Gateway>,
    shutdown: watch::Receiver<bool>,
) {
    poll_queue(sqs, retries, queue_url, gateway, Consumer::Notify, shutdown).await;
}

/// Receives a queue's messages in batches of up to ten, hands each batch to its consumer,
/// deletes the messages it processed and makes the failed ones come back after the retry
/// delay (and, after the queue's maximum receives, go to the dead-letter queue).
///
/// In AWS a failed message comes back when the queue's visibility timeout (180 s) ends, after
/// the send lease (120 s) a failed attempt may keep. Locally the retry comes sooner, in the same
/// order (`LocalSettings::retry_delay`): `retries` (a client outside the functions' recorded
/// calls: the event source mapping never makes this call) shortens each failed message's
/// invisibility to that delay.
pub async fn poll_queue(
    sqs: aws_sdk_sqs::Client,
    retries: aws_sdk_sqs::Client,
    queue_url: String,
    gateway: Arc<Gateway>,
    consumer: Consumer,
    mut shutdown: watch::Receiver<bool>,
) {
    let retry_delay = gateway
        .settings
        .retry_delay(consumer.sends_under_lease())
        .as_secs();
    let retry_after = i32::try_from(retry_delay).unwrap_or(PROCESSING_LIMIT_SECONDS);
    loop {
        // Not raced against the shutdown: a dropped receive may still take messages, which would
        // stay invisible for the processing limit, lost to the next stack on this queue.
        let received = receive_batch(&sqs, &queue_url, consumer).await;
        if *shutdown.borrow() || shutdown.has_changed().unwrap_or(true) {
            if let Ok(messages) = &received {
                for message in messages {
                    if let Some(handle) = &message.receipt_handle {
                        let _ = retries
                            .change_message_visibility()
                            .queue_url(&queue_url)
                            .receipt_handle(handle)
                            .visibility_timeout(0)
                            .send()
                            .await;
                    }
                }
            }
            return;
        }
        let messages = match received {
            Ok(messages) => messages,
            Err(e) => {
                tracing::warn!(error = %cpor_aws::describe(&e), "could not poll the notification queue");
                tokio::select! {
                    _ = shutdown.changed() => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                }
            }
        };
        if messages.is_empty() {
            continue;
        }
        let mut event = SqsEvent::default();
        event.records = messages
            .iter()
            .map(|m| {
                let mut record = SqsMessage::default();
                record.message_id = m.message_id.clone();
                record.receipt_handle = m.receipt_handle.clone();
                record.body = m.body.clone();
                record.event_source = Some("aws:sqs".into());
                record.attributes = m
                    .attributes
                    .iter()
                    .flatten()
                    .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                    .collect();
                record
            })
            .collect();
        let request_id = ulid::Ulid::new().to_string();
        let response = in_invocation(
            consumer.function(),
            &request_id,
            consumer.handle(&gateway, event),
        )
        .await;
        let failed: HashSet<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        for message in &messages {
            let id = message.message_id.as_deref().unwrap_or_default();
            if failed.contains(id) {
                if consumer.sets_own_visibility() {
                    continue;
                }
                if let Some(handle) = &message.receipt_handle
                    && let Err(e) = retries
                        .change_message_visibility()
                        .queue_url(&queue_url)
                        .receipt_handle(handle)
                        .visibility_timeout(retry_after)
                        .send()
                        .await
                {
                    tracing::warn!(error = %cpor_aws::describe(&e), "could not shorten a failed message's invisibility; it comes back later");
                }
                continue;
            }
            if let Some(handle) = &message.receipt_handle
                && let Err(e) = sqs
                    .delete_message()
                    .queue_url(&queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
            {
                tracing::warn!(error = %cpor_aws::describe(&e), "could not delete a processed message");
            }
        }
    }
}

/// A batch for `consumer`: a first `ReceiveMessage` (waiting up to a second for messages), then
/// more at once while each answers as many as it may, up to the consumer's batch size. Lambda
/// would also wait up to its batching window for a fuller batch; locally a batch is what the
/// queue holds at once, so that a lone event waits for nothing.
async fn receive_batch(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    consumer: Consumer,
) -> Result<
    Vec<aws_sdk_sqs::types::Message>,
    aws_sdk_sqs::error::SdkError<aws_sdk_sqs::operation::receive_message::ReceiveMessageError>,
> {
    let mut batch = Vec::new();
    let mut wait = 1;
    loop {
        let want = (consumer.batch_size() - i32::try_from(batch.len()).unwrap_or(i32::MAX))
            .min(RECEIVE_MAX);
        let received = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(want)
            .wait_time_seconds(wait)
            .visibility_timeout(consumer.processing_limit())
            .message_system_attribute_names(
                aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount,
            )
            .send()
            .await;
        let messages = match received {
            Ok(out) => out.messages.unwrap_or_default(),
            // The batch so far is handed over; the next poll meets the error again if it stays.
            Err(_) if !batch.is_empty() => return Ok(batch),
            Err(e) => return Err(e),
        };
        let full = i32::try_from(messages.len()).unwrap_or(i32::MAX) >= want;
        batch.extend(messages);
        if !full || i32::try_from(batch.len()).unwrap_or(i32::MAX) >= consumer.batch_size() {
            return Ok(batch);
        }
        wait = 0;
    }
}

/// Runs finalize-association every `every`, as of the current time.
pub async fn finalize_every(
    every: Duration,
    gateway: Arc<Gateway>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tokio::time::sleep(every) => {}
        }
        let now = gateway.settings.clock.now();
        let request_id = ulid::Ulid::new().to_string();
        let run = gateway.finalize.run(now);
        if let Err(e) = in_invocation(finalize_association::FUNCTION, &request_id, run).await {
            tracing::warn!(error = %e, "scheduled finalization failed; the next run retries");
        }
    }
}
