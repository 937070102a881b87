//! notify-customer: consumes the notification queue. For each message of a batch, concurrently:
//! send the customer's e-mail (at most once), then open the opt-out window.
//!
//! The queue is filled by the history's outbox: the bus's rule delivers every claim event whose
//! entry leaves the claim `approved` (an approval, a dispute's approval, a contest's award, a
//! contact correction that e-mails the customer again), the whole EventBridge event as the
//! message. An operator's re-send (`cpor-ops resend`) and the re-check of a held send queue
//! `{"claim_id": ...}` instead. Failed messages are
//! reported one by one (`ReportBatchItemFailures`), so one bad message never costs the others,
//! and a message that keeps failing reaches the dead-letter queue.

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

use aws_lambda_events::sqs::SqsMessage;
use cpor_aws::metrics::name;
use cpor_aws::queue::NotificationMessage;
use cpor_aws::sending::{SendPorts, SendingDoor, SendingJob};
use cpor_aws::{ConfigError, Metrics, SqsNotificationQueue, Wiring};
use cpor_domain::usecase::notify::{NotifyCustomer, NotifyError, NotifyOutcome};
use cpor_domain::{ClaimId, ClaimStatus};
use serde::Deserialize;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "notify-customer";

/// The function: the adapters of every door that sends, and its own job.
pub type NotifyCustomerFunction = SendingDoor<Notifications>;

/// What notify-customer brings of its own: where a held send's re-check is queued (the
/// function's own queue).
pub struct Notifications {
    queue: SqsNotificationQueue,
}

/// Why one message failed.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// The body is not a notification message: it can never succeed.
    #[error("the message body is not a notification message: {0}")]
    Poison(String),
    /// The notification failed.
    #[error(transparent)]
    Notify(#[from] NotifyError),
}

/// What a message asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    /// The notification in force of this claim.
    Claim(ClaimId),
    /// Nothing: a claim event that leaves the claim in this status (the rule delivers only
    /// `approved` ones; any other is acknowledged).
    Nothing(ClaimStatus),
}

/// A claim event as the bus's rule delivers it: the whole event, `detail` an object.
#[derive(Debug, Deserialize)]
struct BusEvent {
    source: String,
    detail: Detail,
}

#[derive(Debug, Deserialize)]
struct Detail {
    claim_id: ClaimId,
    to: ClaimStatus,
}

/// The claim a message body names: a claim event from the bus, or `{"claim_id": ...}`.
pub fn claim_of(body: &str) -> Result<Requested, String> {
    if let Ok(message) = serde_json::from_str::<NotificationMessage>(body) {
        return Ok(Requested::Claim(message.claim_id));
    }
    let event: BusEvent = serde_json::from_str(body).map_err(|e| e.to_string())?;
    if event.source != cpor_domain::events::SOURCE {
        return Err(format!("source {:?}", event.source));
    }
    let status = event.detail.to;
    Ok(if status.notification_queued() {
        Requested::Claim(event.detail.claim_id)
    } else {
        Requested::Nothing(status)
    })
}

impl SendingJob for Notifications {
    const NAME: &'static str = FUNCTION;
    const MESSAGE: &'static str = "notification";
    type Outcome = NotifyOutcome;
    type Error = MessageError;

    /// Its queue, for re-checks (`CPOR_NOTIFICATION_QUEUE_URL`).
    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            queue: wiring.queue()?,
        })
    }

    async fn process(
        &self,
        ports: &SendPorts,
        message: &SqsMessage,
    ) -> Result<NotifyOutcome, MessageError> {
        let body = message.body.as_deref().unwrap_or_default();
        let claim_id = match claim_of(body).map_err(MessageError::Poison)? {
            Requested::Claim(id) => id,
            Requested::Nothing(status) => return Ok(NotifyOutcome::NotNeeded(status)),
        };
        // The message's lines name its claim from here on.
        cpor_aws::logging::record_claim(claim_id);
        let usecase = NotifyCustomer {
            claims: &ports.store,
            sends: ports.send_once(),
            rechecks: &self.queue,
            calendar: &ports.calendar,
            keyring: &ports.keyring,
            public_base_url: &ports.public_base_url,
        };
        Ok(usecase.notify(claim_id).await?)
    }

    fn metrics(outcomes: Vec<NotifyOutcome>, failed: usize) -> Metrics {
        let (mut sent, mut held, mut for_operator, mut rejected) = (0, 0, 0, 0);
        for outcome in outcomes {
            match outcome {
                NotifyOutcome::Notified => sent += 1,
                NotifyOutcome::Held => held += 1,
                NotifyOutcome::HeldForOperator => for_operator += 1,
                NotifyOutcome::Rejected => rejected += 1,
                NotifyOutcome::AlreadyNotified | NotifyOutcome::NotNeeded(_) => {}
            }
        }
        Metrics::new(FUNCTION)
            .count(name::NOTIFICATIONS_SENT, sent)
            .count(name::NOTIFICATIONS_HELD, held)
            .count(name::NOTIFICATIONS_HELD_FOR_OPERATOR, for_operator)
            .count(name::NOTIFICATIONS_REJECTED, rejected)
            .count(name::NOTIFICATIONS_FAILED, failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CLAIM: &str = "01JDX3Z8Q6V6W4S0Y1B2C3D4E5";

    /// A `claim.approved` event as the bus's rule delivers it.
    fn approved() -> serde_json::Value {
        json!({
            "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detail-type": "claim.approved", "source": "cpor", "account": "123456789012",
            "time": "2026-11-25T10:00:00Z", "region": "eu-west-1", "resources": [],
            "detail": {
                "event_id": format!("{CLAIM}/2"), "claim_id": CLAIM, "sequence": 2,
                "at": "2026-11-25T10:00:00.000Z", "actor": "reviewer", "event": "approved",
                "from": "submitted", "to": "approved", "code": null
            }
        })
    }

    #[test]
    fn an_approval_from_the_bus_or_an_operators_message_names_the_claim_to_notify() {
        let id = ClaimId::parse(CLAIM).unwrap();
        assert_eq!(claim_of(&approved().to_string()), Ok(Requested::Claim(id)));
        let mut corrected = approved();
        corrected["detail-type"] = json!("claim.contact_corrected");
        corrected["detail"]["event"] = json!("contact_corrected");
        corrected["detail"]["from"] = json!("awaiting_customer");
        assert_eq!(claim_of(&corrected.to_string()), Ok(Requested::Claim(id)));
        let operator = json!({ "claim_id": CLAIM }).to_string();
        assert_eq!(claim_of(&operator), Ok(Requested::Claim(id)));
    }

    #[test]
    fn an_event_leaving_the_claim_elsewhere_asks_nothing_and_garbage_is_poison() {
        let mut rejected = approved();
        rejected["detail"]["to"] = json!("rejected");
        assert_eq!(
            claim_of(&rejected.to_string()),
            Ok(Requested::Nothing(ClaimStatus::Rejected))
        );
        let mut other = approved();
        other["source"] = json!("someone-else");
        assert!(claim_of(&other.to_string()).is_err());
        assert!(claim_of("not json").is_err());
    }
}
