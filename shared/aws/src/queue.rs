//! The SQS notification queue.

use crate::{SdkClient, describe};
use async_trait::async_trait;
use chrono::TimeDelta;
use cpor_domain::ids::ClaimId;
use cpor_domain::ports::{NotificationQueue, Unavailable};
use serde::{Deserialize, Serialize};

/// The body of a notification message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationMessage {
    /// The claim whose customer is to be notified.
    pub claim_id: ClaimId,
}

/// The longest delay SQS gives a message (`DelaySeconds`): 15 minutes.
pub const MAX_DELAY_SECONDS: i32 = 900;

/// Queues notifications on SQS.
#[derive(Debug, Clone)]
pub struct SqsNotificationQueue {
    client: SdkClient<aws_sdk_sqs::Client>,
    queue_url: String,
    /// The longest a re-check is delayed ([`MAX_DELAY_SECONDS`]; shorter locally, where the
    /// clock the re-check is decided by can be moved).
    max_delay_seconds: i32,
}

impl SqsNotificationQueue {
    /// A queue at `queue_url`.
    pub fn new(
        client: impl Into<SdkClient<aws_sdk_sqs::Client>>,
        queue_url: impl Into<String>,
    ) -> Self {
        Self {
            client: client.into(),
            queue_url: queue_url.into(),
            max_delay_seconds: MAX_DELAY_SECONDS,
        }
    }

    /// The same queue, delaying a re-check `seconds` at most.
    pub fn with_max_delay(mut self, seconds: i32) -> Self {
        self.max_delay_seconds = seconds.clamp(0, MAX_DELAY_SECONDS);
        self
    }

    async fn send(&self, claim_id: ClaimId, delay_seconds: i32) -> Result<(), Unavailable> {
        let body = serde_json::to_string(&NotificationMessage { claim_id })
            .map_err(|e| Unavailable(format!("message body: {e}")))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .set_delay_seconds((delay_seconds > 0).then_some(delay_seconds))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| Unavailable(format!("SendMessage: {}", describe(&e))))
    }
}

#[async_trait]
impl NotificationQueue for SqsNotificationQueue {
    async fn enqueue(&self, claim_id: ClaimId) -> Result<(), Unavailable> {
        self.send(claim_id, 0).await
    }

    async fn enqueue_after(&self, claim_id: ClaimId, delay: TimeDelta) -> Result<(), Unavailable> {
        // Rounded up: the re-check comes after the wait, not a moment before.
        let seconds = (delay.num_milliseconds().max(0) + 999) / 1000;
        let seconds = i32::try_from(seconds).unwrap_or(i32::MAX);
        self.send(claim_id, seconds.min(self.max_delay_seconds))
            .await
    }
}

/// Moves every message of the dead-letter queue back to the queue it came from, so that
/// notifications that failed for good are tried again once their cause is fixed. Returns how
/// many messages were moved. A message is deleted from the dead-letter queue only after it was
/// sent to the queue: a failure half-way leaves it where it was, never lost.
pub async fn redrive_dead_letters(
    client: &aws_sdk_sqs::Client,
    dead_letter_url: &str,
    queue_url: &str,
) -> Result<usize, Unavailable> {
    let fail = |what: &str, e: &dyn std::error::Error| Unavailable(format!("{what}: {e}"));
    let mut moved = 0;
    loop {
        let received = client
            .receive_message()
            .queue_url(dead_letter_url)
            .max_number_of_messages(10)
            // Long polling, however short, asks every SQS server: a short poll samples some,
            // and its empty answer would end the redrive while messages remain.
            .wait_time_seconds(1)
            .visibility_timeout(60)
            .send()
            .await
            .map_err(|e| Unavailable(format!("ReceiveMessage: {}", describe(&e))))?;
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(moved);
        }
        for message in messages {
            let body = message.body.unwrap_or_default();
            client
                .send_message()
                .queue_url(queue_url)
                .message_body(body)
                .send()
                .await
                .map_err(|e| fail("SendMessage", &e))?;
            if let Some(handle) = message.receipt_handle {
                client
                    .delete_message()
                    .queue_url(dead_letter_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .map_err(|e| fail("DeleteMessage", &e))?;
            }
            moved += 1;
        }
    }
}
