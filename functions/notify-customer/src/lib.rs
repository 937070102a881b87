//! notify-customer: consumes the notification queue. For each message of a batch, concurrently:
//! send the customer's e-mail (at most once), then open the opt-out window. Failed messages are
//! reported one by one (`ReportBatchItemFailures`), so one bad message never costs the others,
//! and a message that keeps failing reaches the dead-letter queue.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use cpor_aws::metrics::name;
use cpor_aws::queue::NotificationMessage;
use cpor_aws::{ConfigError, Door, DynamoStore, Metrics, SesMailer, Wiring};
use cpor_domain::clock::Clock;
use cpor_domain::usecase::notify::{NotifyCustomer, NotifyError, NotifyOutcome, SEND_LEASE};
use cpor_domain::{BusinessCalendar, OptOutKeyring};
use std::convert::Infallible;
use std::sync::Arc;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "notify-customer";

/// The function: its clients and settings, built once per execution environment.
pub struct NotifyCustomerFunction {
    store: DynamoStore,
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

impl NotifyCustomerFunction {
    /// The function on these adapters and settings.
    pub fn new(
        store: DynamoStore,
        mailer: SesMailer,
        clock: Arc<dyn Clock>,
        calendar: BusinessCalendar,
        keyring: OptOutKeyring,
        public_base_url: String,
    ) -> Self {
        Self {
            store,
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
        let parsed: NotificationMessage =
            serde_json::from_str(body).map_err(|e| MessageError::Poison(e.to_string()))?;
        // The message's lines name its claim from here on.
        cpor_aws::logging::record_claim(parsed.claim_id);
        let usecase = NotifyCustomer {
            claims: &self.store,
            ledger: &self.store,
            mailer: &self.mailer,
            clock: self.clock.as_ref(),
            pause: &cpor_aws::TokioPause,
            calendar: &self.calendar,
            keyring: &self.keyring,
            public_base_url: &self.public_base_url,
            send_lease: self.send_lease,
        };
        Ok(usecase.notify(parsed.claim_id).await?)
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
        let (mut sent, mut held, mut rejected) = (0, 0, 0);
        for outcome in results.into_iter().flatten() {
            match outcome {
                NotifyOutcome::Notified => sent += 1,
                NotifyOutcome::Held => held += 1,
                NotifyOutcome::Rejected => rejected += 1,
                NotifyOutcome::AlreadyNotified | NotifyOutcome::NotNeeded(_) => {}
            }
        }
        Metrics::new(FUNCTION)
            .count(name::NOTIFICATIONS_SENT, sent)
            .count(name::NOTIFICATIONS_HELD, held)
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

    /// On the table (`CPOR_TABLE_NAME`), SES (`CPOR_SENDER_EMAIL`), the business calendar
    /// (`CPOR_HOLIDAYS`), the opt-out keyring (`CPOR_TOKEN_SECRET_ARN` or `CPOR_TOKEN_SECRET`,
    /// `CPOR_TOKEN_KEY_ID`), the pages' address (`CPOR_PUBLIC_BASE_URL`) and the send lease
    /// (`CPOR_SEND_LEASE_SECONDS`, default 120).
    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        let send_lease = wiring.send_lease()?;
        let function = Self::new(
            wiring.store()?,
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
