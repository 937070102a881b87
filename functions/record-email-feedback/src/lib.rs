//! record-email-feedback: consumes the queue that SES's bounce and complaint notifications reach
//! through SNS. Each names the sent e-mail by its SES message id, which finds the customer's
//! notification it was: a permanent bounce of the notification in force makes the customer
//! unreachable (the window stops: silence is no longer consent); a transient bounce or a
//! complaint is recorded in the claim's history. A report on a message not recorded (yet) is
//! kept, and applied when its send is recorded.
//!
//! SES's `Send` and `Delivery` events of a customer's notification (its message tags name the
//! claim and the notification) are SES's word that it accepted the e-mail: they record a send
//! that notify-customer held (its answer was lost) as sent, opening the window from SES's time,
//! and record the message id wherever it was not, so that its feedback finds the claim.
//!
//! Failed messages are reported one by one (`ReportBatchItemFailures`); one that can never be
//! read reaches the dead-letter queue.

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use cpor_aws::metrics::name;
use cpor_aws::{ConfigError, Door, DynamoStore, Metrics, Wiring};
use cpor_domain::BusinessCalendar;
use cpor_domain::claim::{ClaimStatus, MailFeedback};
use cpor_domain::clock::Clock;
use cpor_domain::ports::Unavailable;
use cpor_domain::ports::{NoticeRef, tags};
use cpor_domain::usecase::feedback::{
    FeedbackOutcome, FeedbackReport, MailFeedbackDesk, SentOutcome, SentReport,
};
use serde::Deserialize;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "record-email-feedback";

/// The function: its client, built once per execution environment.
pub struct RecordEmailFeedbackFunction {
    store: DynamoStore,
    clock: Arc<dyn Clock>,
    calendar: BusinessCalendar,
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed {
    Recorded(FeedbackOutcome),
    /// SES's word that it sent a customer's notification.
    Sent(SentOutcome),
    /// A notification of another kind (another e-mail's send or delivery, SNS's subscription
    /// confirmation).
    NotFeedback,
}

/// What an SES notification reports, as the service reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SesReport {
    /// A bounce or a complaint.
    Feedback(FeedbackReport),
    /// A customer's notification sent (a `Send` or `Delivery` event of it).
    Sent(SentReport),
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
    /// When SES accepted the message.
    #[serde(default)]
    timestamp: Option<chrono::DateTime<chrono::Utc>>,
    /// The message tags (a configuration set's events only), each name with its values.
    #[serde(default)]
    tags: HashMap<String, Vec<String>>,
}

impl SesMail {
    /// The notification the message's tags name, if they name one.
    fn notice(&self) -> Option<NoticeRef> {
        let tag = |name: &str| self.tags.get(name).and_then(|values| values.first());
        Some(NoticeRef {
            claim_id: cpor_domain::ClaimId::parse(tag(tags::CLAIM_ID)?)?,
            number: tag(tags::NOTICE)?.parse().ok()?,
        })
    }
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

/// The report a message body holds, if it is a bounce, a complaint, or the send or delivery of
/// a customer's notification: SES's notification, raw or in SNS's envelope.
pub fn report_of(body: &str) -> Result<Option<SesReport>, String> {
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
    let message_id = notification.mail.message_id.clone();
    Ok(match kind.as_str() {
        "Bounce" => {
            let bounce = notification.bounce.ok_or("a bounce without its details")?;
            // `Undetermined` is not known to be permanent: it does not stop the window.
            let feedback = if bounce.bounce_type == "Permanent" {
                MailFeedback::PermanentBounce
            } else {
                MailFeedback::TransientBounce
            };
            Some(SesReport::Feedback(FeedbackReport {
                message_id,
                feedback_id: bounce.feedback_id,
                feedback,
            }))
        }
        "Complaint" => {
            let complaint = notification
                .complaint
                .ok_or("a complaint without its details")?;
            Some(SesReport::Feedback(FeedbackReport {
                message_id,
                feedback_id: complaint.feedback_id,
                feedback: MailFeedback::Complaint,
            }))
        }
        // Another e-mail's (a partner's) carries no notification's tags.
        "Send" | "Delivery" => match (notification.mail.notice(), notification.mail.timestamp) {
            (Some(notice), Some(sent_at)) => Some(SesReport::Sent(SentReport {
                message_id,
                notice,
                sent_at,
            })),
            (Some(_), None) => return Err("a send without its time".into()),
            (None, _) => None,
        },
        _ => None,
    })
}

impl RecordEmailFeedbackFunction {
    /// The function on this store.
    pub fn new(store: DynamoStore, clock: Arc<dyn Clock>, calendar: BusinessCalendar) -> Self {
        Self {
            store,
            clock,
            calendar,
        }
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
            notifications: &self.store,
            clock: self.clock.as_ref(),
            calendar: &self.calendar,
        };
        let report = match report {
            SesReport::Sent(sent) => {
                cpor_aws::logging::record_claim(sent.notice.claim_id);
                return Ok(Processed::Sent(desk.record_send(&sent).await?));
            }
            SesReport::Feedback(report) => report,
        };
        let outcome = desk.record(&report).await?;
        match outcome {
            FeedbackOutcome::Recorded { claim_id, .. }
            | FeedbackOutcome::AlreadyRecorded(claim_id)
            | FeedbackOutcome::ClaimFinal(claim_id) => cpor_aws::logging::record_claim(claim_id),
            FeedbackOutcome::UnknownMessage | FeedbackOutcome::Kept => {}
        }
        Ok(Processed::Recorded(outcome))
    }

    /// Handles a batch; the answer names the messages to be retried.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let (results, response) = cpor_aws::batch::process(&event, |message| async move {
            let result = self.process(message).await;
            match &result {
                // Another e-mail's send or delivery (a partner's), or SNS's own message: no
                // claim's, and nothing done.
                Ok(Processed::NotFeedback) => {
                    tracing::debug!("an SES notification of no customer's notification, ignored")
                }
                Ok(outcome) => tracing::info!(?outcome, "e-mail feedback processed"),
                Err(error) => {
                    tracing::warn!(%error, "e-mail feedback failed; the queue will retry it")
                }
            }
            result
        })
        .await;
        let unreachable_now = |outcome: &FeedbackOutcome| {
            matches!(
                outcome,
                FeedbackOutcome::Recorded {
                    status: ClaimStatus::CustomerUnreachable,
                    ..
                }
            )
        };
        let unreachable = results
            .iter()
            .map(|result| match result {
                Ok(Processed::Recorded(outcome)) => usize::from(unreachable_now(outcome)),
                Ok(Processed::Sent(sent)) => {
                    sent.matched.iter().filter(|o| unreachable_now(o)).count()
                }
                Ok(Processed::NotFeedback) | Err(_) => 0,
            })
            .sum();
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

    /// On the table (`CPOR_TABLE_NAME`) and the business calendar (`CPOR_HOLIDAYS`: the window
    /// of a send recorded from SES's word).
    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        Ok(Self::new(
            wiring.store()?,
            wiring.clock(),
            wiring.calendar()?,
        ))
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
            let Some(SesReport::Feedback(report)) = report_of(&body).unwrap() else {
                panic!("{body}");
            };
            assert_eq!(report.message_id, "0100-message");
            assert_eq!(report.feedback_id, "0100-feedback");
            assert_eq!(report.feedback, MailFeedback::PermanentBounce);
        }
    }

    #[test]
    fn a_transient_or_undetermined_bounce_does_not_stop_the_window() {
        for kind in ["Transient", "Undetermined"] {
            let Some(SesReport::Feedback(report)) = report_of(&in_sns(&bounce(kind))).unwrap()
            else {
                panic!("{kind}");
            };
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
        let Some(SesReport::Feedback(report)) = report_of(&in_sns(&event)).unwrap() else {
            panic!("{event}");
        };
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

    /// SES's Send event of a message through the configuration set (as its documentation
    /// shows it, trimmed), with `tags`.
    fn send_event(kind: &str, tags: serde_json::Value) -> serde_json::Value {
        json!({
            "eventType": kind,
            "mail": {
                "timestamp": "2026-11-25T10:00:01.123Z", "source": "cpor@example.com",
                "messageId": "0100-message", "destination": ["giulia@contoso.com"],
                "tags": tags
            },
            "send": {}
        })
    }

    #[test]
    fn a_send_or_delivery_event_of_a_notification_names_its_claim_notice_and_time() {
        let tags = json!({
            "ses:configuration-set": ["cpor-customer-mail"],
            "claim_id": ["01JDX3Z8Q6V6W4S0Y1B2C3D4E5"], "notice": ["2"]
        });
        for kind in ["Send", "Delivery"] {
            let Some(SesReport::Sent(sent)) =
                report_of(&in_sns(&send_event(kind, tags.clone()))).unwrap()
            else {
                panic!("{kind}");
            };
            assert_eq!(sent.message_id, "0100-message");
            assert_eq!(
                sent.notice.claim_id.to_string(),
                "01JDX3Z8Q6V6W4S0Y1B2C3D4E5"
            );
            assert_eq!(sent.notice.number, 2);
            assert_eq!(
                sent.sent_at,
                "2026-11-25T10:00:01.123Z"
                    .parse::<chrono::DateTime<chrono::Utc>>()
                    .unwrap()
            );
        }
        // AND another e-mail's (a partner's: no notification's tags) is not one
        let other = send_event("Send", json!({ "ses:configuration-set": ["c"] }));
        assert_eq!(report_of(&in_sns(&other)), Ok(None));
    }
}
