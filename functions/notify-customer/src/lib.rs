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

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use cpor_aws::metrics::name;
use cpor_aws::queue::NotificationMessage;
use cpor_aws::{ConfigError, Door, DynamoStore, Metrics, SesMailer, SqsNotificationQueue, Wiring};
use cpor_domain::clock::Clock;
use cpor_domain::usecase::notify::{NotifyCustomer, NotifyError, NotifyOutcome};
use cpor_domain::usecase::send::{SEND_LEASE, SendOnce};
use cpor_domain::{BusinessCalendar, ClaimId, ClaimStatus, OptOutKeyring};
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "notify-customer";

/// The function: its clients and settings, built once per execution environment.
pub struct NotifyCustomerFunction {
    store: DynamoStore,
    /// Where a held send's re-check is queued (the function's own queue).
    queue: SqsNotificationQueue,
    mailer: SesMailer,
    clock: Arc<dyn Clock>,
    calendar: BusinessCalendar,
    keyring: OptOutKeyring,
    public_base_url: String,
    send_lease: chrono::TimeDelta,
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
    Ok(match event.detail.to {
        ClaimStatus::Approved => Requested::Claim(event.detail.claim_id),
        other => Requested::Nothing(other),
    })
}

impl NotifyCustomerFunction {
    /// The function on these adapters and settings.
    pub fn new(
        store: DynamoStore,
        queue: SqsNotificationQueue,
        mailer: SesMailer,
        clock: Arc<dyn Clock>,
        calendar: BusinessCalendar,
        keyring: OptOutKeyring,
        public_base_url: String,
    ) -> Self {
        Self {
            store,
            queue,
            mailer,
            clock,
            calendar,
            keyring,
            public_base_url,
            send_lease: SEND_LEASE,
        }
    }

    /// Processes one message.
    pub async fn process(&self, message: &SqsMessage) -> Result<NotifyOutcome, MessageError> {
        let body = message.body.as_deref().unwrap_or_default();
        let claim_id = match claim_of(body).map_err(MessageError::Poison)? {
            Requested::Claim(id) => id,
            Requested::Nothing(status) => return Ok(NotifyOutcome::NotNeeded(status)),
        };
        // The message's lines name its claim from here on.
        cpor_aws::logging::record_claim(claim_id);
        let usecase = NotifyCustomer {
            claims: &self.store,
            sends: SendOnce {
                ledger: &self.store,
                mailer: &self.mailer,
                clock: self.clock.as_ref(),
                pause: &cpor_aws::TokioPause,
                send_lease: self.send_lease,
            },
            rechecks: &self.queue,
            calendar: &self.calendar,
            keyring: &self.keyring,
            public_base_url: &self.public_base_url,
        };
        Ok(usecase.notify(claim_id).await?)
    }

    /// Handles a batch; the answer names the messages to be retried.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let (results, response) = cpor_aws::batch::process(&event, |message| async move {
            let result = self.process(message).await;
            match &result {
                Ok(outcome) => tracing::info!(?outcome, "notification processed"),
                Err(error) => {
                    tracing::warn!(%error, "notification failed; the queue will retry it")
                }
            }
            result
        })
        .await;
        let (mut sent, mut held, mut for_operator, mut rejected) = (0, 0, 0, 0);
        for outcome in results.into_iter().flatten() {
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
            .count(
                name::NOTIFICATIONS_FAILED,
                response.batch_item_failures.len(),
            )
            .emit();
        response
    }
}

impl Door for NotifyCustomerFunction {
    const NAME: &'static str = FUNCTION;
    type Event = SqsEvent;
    type Output = SqsBatchResponse;
    // Failed messages are reported one by one in the answer, never by failing the batch.
    type Error = Infallible;

    /// On the table (`CPOR_TABLE_NAME`), its queue for re-checks
    /// (`CPOR_NOTIFICATION_QUEUE_URL`), SES (`CPOR_SENDER_EMAIL`), the business calendar
    /// (`CPOR_HOLIDAYS`), the opt-out keyring (`CPOR_TOKEN_SECRET_ARN` or `CPOR_TOKEN_SECRET`,
    /// `CPOR_TOKEN_KEY_ID`), the pages' address (`CPOR_PUBLIC_BASE_URL`) and the send lease
    /// (`CPOR_SEND_LEASE_SECONDS`, default 120).
    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        let send_lease = wiring.send_lease()?;
        let function = Self::new(
            wiring.store()?,
            wiring.queue()?,
            wiring.mailer()?,
            wiring.clock(),
            wiring.calendar()?,
            wiring.keyring().await?,
            wiring.public_base_url()?,
        );
        Ok(Self {
            send_lease,
            ..function
        })
    }

    async fn invoke(&self, event: SqsEvent) -> Result<SqsBatchResponse, Infallible> {
        Ok(self.handle(event).await)
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
