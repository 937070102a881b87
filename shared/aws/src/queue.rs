//! The SQS notification queue.

use crate::describe;
use async_trait::async_trait;
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

/// Queues notifications on SQS.
#[derive(Debug, Clone)]
pub struct SqsNotificationQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsNotificationQueue {
    /// A queue at `queue_url`.
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }
}

#[async_trait]
impl NotificationQueue for SqsNotificationQueue {
    async fn enqueue(&self, claim_id: ClaimId) -> Result<(), Unavailable> {
        let body = serde_json::to_string(&NotificationMessage { claim_id })
            .map_err(|e| Unavailable(format!("message body: {e}")))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| Unavailable(format!("SendMessage: {}", describe(&e))))
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
