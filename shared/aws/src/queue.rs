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
