//! record-email-feedback: consumes the queue that SES's bounce and complaint notifications reach
//! through SNS. Each names the sent e-mail by its SES message id, which finds the customer's
//! notification it was: a permanent bounce of the notification in force makes the customer
//! unreachable (the window stops: silence is no longer consent); a transient bounce or a
//! complaint is recorded in the claim's history. Failed messages are reported one by one
//! (`ReportBatchItemFailures`); one that can never be read reaches the dead-letter queue.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use cpor_aws::metrics::name;
use cpor_aws::{ConfigError, Door, DynamoStore, Metrics, Wiring};
use cpor_domain::claim::{ClaimStatus, MailFeedback};
use cpor_domain::clock::Clock;
use cpor_domain::ports::Unavailable;
use cpor_domain::usecase::feedback::{FeedbackOutcome, FeedbackReport, MailFeedbackDesk};
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "record-email-feedback";

/// The function: its client, built once per execution environment.
pub struct RecordEmailFeedbackFunction {
    store: DynamoStore,
    clock: Arc<dyn Clock>,
}

/// Why one message failed.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// The body is not an SES notification: it can never succeed.
    #[error("the message is not an SES notification: {0}")]
    Poison(String),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// What a message held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Processed {
    Recorded(FeedbackOutcome),
    /// A notification of another kind (a delivery, SNS's subscription confirmation).
    NotFeedback,
}

/// SNS's envelope, when the subscription does not deliver the raw message.
#[derive(Debug, Deserialize)]
struct SnsEnvelope {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "Message", default)]
    message: String,
}

/// The parts of SES's notification ("Amazon SES notification contents") the service reads.
/// Identity notifications name their kind in `notificationType`, a configuration set's event
/// destination in `eventType`; the rest is the same.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesNotification {
    #[serde(default)]
    notification_type: Option<String>,
    #[serde(default)]
    event_type: Option<String>,
    mail: SesMail,
    #[serde(default)]
    bounce: Option<SesBounce>,
    #[serde(default)]
    complaint: Option<SesComplaint>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesMail {
    message_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesBounce {
    bounce_type: String,
    feedback_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesComplaint {
    feedback_id: String,
}

/// The report a message body holds, if it is a bounce or a complaint: SES's notification, raw
/// or in SNS's envelope.
pub fn report_of(body: &str) -> Result<Option<FeedbackReport>, String> {
    let json: serde_json::Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
    let inner = if json.get("Type").is_some() {
        let envelope: SnsEnvelope = serde_json::from_value(json).map_err(|e| e.to_string())?;
        if envelope.kind != "Notification" {
            return Ok(None);
        }
        envelope.message
    } else {
        body.to_owned()
    };
    let notification: SesNotification = serde_json::from_str(&inner).map_err(|e| e.to_string())?;
    let kind = notification
        .notification_type
        .or(notification.event_type)
        .unwrap_or_default();
    let message_id = notification.mail.message_id;
    Ok(match kind.as_str() {
        "Bounce" => {
            let bounce = notification.bounce.ok_or("a bounce without its details")?;
            // `Undetermined` is not known to be permanent: it does not stop the window.
            let feedback = if bounce.bounce_type == "Permanent" {
                MailFeedback::PermanentBounce
            } else {
                MailFeedback::TransientBounce
            };
            Some(FeedbackReport {
                message_id,
                feedback_id: bounce.feedback_id,
                feedback,
            })
        }
        "Complaint" => {
            let complaint = notification
                .complaint
                .ok_or("a complaint without its details")?;
            Some(FeedbackReport {
                message_id,
                feedback_id: complaint.feedback_id,
                feedback: MailFeedback::Complaint,
            })
        }
        _ => None,
    })
}

impl RecordEmailFeedbackFunction {
    /// The function on this store.
    pub fn new(store: DynamoStore, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Processes one message.
    pub async fn process(&self, message: &SqsMessage) -> Result<Processed, MessageError> {
        let body = message.body.as_deref().unwrap_or_default();
        let Some(report) = report_of(body).map_err(MessageError::Poison)? else {
            return Ok(Processed::NotFeedback);
        };
        let desk = MailFeedbackDesk {
            claims: &self.store,
            ledger: &self.store,
            clock: self.clock.as_ref(),
        };
        let outcome = desk.record(&report).await?;
        match outcome {
            FeedbackOutcome::Recorded { claim_id, .. }
            | FeedbackOutcome::AlreadyRecorded(claim_id)
            | FeedbackOutcome::ClaimFinal(claim_id) => cpor_aws::logging::record_claim(claim_id),
            FeedbackOutcome::UnknownMessage => {}
        }
        Ok(Processed::Recorded(outcome))
    }

    /// Handles a batch; the answer names the messages to be retried.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let (results, response) = cpor_aws::batch::process(&event, |message| async move {
            let result = self.process(message).await;
            match &result {
                Ok(outcome) => tracing::info!(?outcome, "e-mail feedback processed"),
                Err(error) => {
                    tracing::warn!(%error, "e-mail feedback failed; the queue will retry it")
                }
            }
            result
        })
        .await;
        let unreachable = results
            .iter()
            .filter(|result| {
                matches!(
                    result,
                    Ok(Processed::Recorded(FeedbackOutcome::Recorded {
                        status: ClaimStatus::CustomerUnreachable,
                        ..
                    }))
                )
            })
            .count();
        Metrics::new(FUNCTION)
            .count(name::CUSTOMERS_UNREACHABLE, unreachable)
            .emit();
        response
    }
}

impl Door for RecordEmailFeedbackFunction {
    const NAME: &'static str = FUNCTION;
    type Event = SqsEvent;
    type Output = SqsBatchResponse;
    // Failed messages are reported one by one in the answer, never by failing the batch.
    type Error = Infallible;

    /// On the table (`CPOR_TABLE_NAME`).
    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        Ok(Self::new(wiring.store()?, wiring.clock()))
    }

    async fn invoke(&self, event: Self::Event) -> Result<Self::Output, Infallible> {
        Ok(self.handle(event).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// SES's bounce notification as its documentation shows it (trimmed), with `kind`.
    fn bounce(kind: &str) -> serde_json::Value {
        json!({
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": kind, "bounceSubType": "General", "feedbackId": "0100-feedback",
                "bouncedRecipients": [{ "emailAddress": "giulia@contoso.com" }],
                "timestamp": "2026-11-25T10:05:00.000Z"
            },
            "mail": { "messageId": "0100-message", "source": "cpor@example.com",
                      "destination": ["giulia@contoso.com"], "timestamp": "2026-11-25T10:00:00.000Z" }
        })
    }

    fn in_sns(message: &serde_json::Value) -> String {
        json!({ "Type": "Notification", "MessageId": "sns-1", "TopicArn": "arn:aws:sns:eu-west-1:123456789012:t",
                "Message": message.to_string() })
        .to_string()
    }

    #[test]
    fn a_permanent_bounce_in_sns_s_envelope_or_raw_is_a_permanent_bounce_of_its_message() {
        for body in [
            in_sns(&bounce("Permanent")),
            bounce("Permanent").to_string(),
        ] {
            let report = report_of(&body).unwrap().unwrap();
            assert_eq!(report.message_id, "0100-message");
            assert_eq!(report.feedback_id, "0100-feedback");
            assert_eq!(report.feedback, MailFeedback::PermanentBounce);
        }
    }

    #[test]
    fn a_transient_or_undetermined_bounce_does_not_stop_the_window() {
        for kind in ["Transient", "Undetermined"] {
            let report = report_of(&in_sns(&bounce(kind))).unwrap().unwrap();
            assert_eq!(report.feedback, MailFeedback::TransientBounce);
        }
    }

    #[test]
    fn a_complaint_from_a_configuration_set_s_event_destination_is_a_complaint() {
        let event = json!({
            "eventType": "Complaint",
            "complaint": { "feedbackId": "0100-complaint", "complainedRecipients": [] },
            "mail": { "messageId": "0100-message" }
        });
        let report = report_of(&in_sns(&event)).unwrap().unwrap();
        assert_eq!(report.feedback, MailFeedback::Complaint);
        assert_eq!(report.feedback_id, "0100-complaint");
    }

    #[test]
    fn a_delivery_or_a_subscription_confirmation_is_not_feedback_and_garbage_is_poison() {
        let delivery = json!({ "notificationType": "Delivery", "mail": { "messageId": "m" } });
        assert_eq!(report_of(&in_sns(&delivery)), Ok(None));
        let confirmation = json!({ "Type": "SubscriptionConfirmation", "Message": "confirm" });
        assert_eq!(report_of(&confirmation.to_string()), Ok(None));
        assert!(report_of("not json").is_err());
        assert!(
            report_of(
                &json!({ "notificationType": "Bounce", "mail": { "messageId": "m" } }).to_string()
            )
            .is_err()
        );
    }
}
