//! SES's bounce and complaint notifications, locally: a topic subscribed by the feedback queue,
//! as the template wires them, and `/_local/ses-feedback`, which publishes SES's real
//! notification for the last e-mail sent to an address (the emulator's SES publishes only a
//! fixed sample, whose message id is no e-mail's).

use crate::outbox::OutboxMessage;
use cpor_aws::schema::ProvisionError;
use serde_json::{Value, json};

/// Creates the topic and subscribes the queue at `queue_arn` to it; returns the topic's ARN.
pub async fn provision(
    sns: &aws_sdk_sns::Client,
    topic: &str,
    queue_arn: &str,
) -> Result<String, ProvisionError> {
    let fail = |e: String| ProvisionError::new(format!("topic {topic}"), e);
    let created = sns
        .create_topic()
        .name(topic)
        .send()
        .await
        .map_err(|e| fail(cpor_aws::describe(&e)))?;
    let arn = created.topic_arn().unwrap_or_default().to_owned();
    sns.subscribe()
        .topic_arn(&arn)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await
        .map_err(|e| fail(cpor_aws::describe(&e)))?;
    Ok(arn)
}

/// What kind of report to publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bounce,
    Complaint,
}

impl Kind {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "bounce" => Some(Self::Bounce),
            "complaint" => Some(Self::Complaint),
            _ => None,
        }
    }
}

/// SES's notification ("Amazon SES notification contents") of a permanent bounce, or a
/// complaint, of `sent` to `recipient`, reported `now`.
pub fn notification(kind: Kind, sent: &OutboxMessage, recipient: &str, now: &str) -> Value {
    let feedback_id = format!("{}-{}", sent.message_id, ulid::Ulid::new());
    let mail = json!({
        "timestamp": now,
        "messageId": sent.message_id,
        "source": sent.from,
        "destination": sent.to,
    });
    match kind {
        Kind::Bounce => json!({
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": "Permanent",
                "bounceSubType": "General",
                "bouncedRecipients": [{
                    "emailAddress": recipient,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }],
                "timestamp": now,
                "feedbackId": feedback_id,
                "reportingMTA": "dsn; a27-1.smtp-out.us-west-2.amazonses.com",
            },
            "mail": mail,
        }),
        Kind::Complaint => json!({
            "notificationType": "Complaint",
            "complaint": {
                "complainedRecipients": [{ "emailAddress": recipient }],
                "timestamp": now,
                "feedbackId": feedback_id,
                "complaintFeedbackType": "abuse",
            },
            "mail": mail,
        }),
    }
}
