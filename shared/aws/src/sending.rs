//! What the doors that send e-mail at most once share (notify-customer, notify-partner): the
//! adapters a send goes through, built from the same settings, and the handling of a queue's
//! batch (each message at once, its result logged, the failed ones named for the queue to retry,
//! the batch's metrics). Each door brings only what is its own ([`SendingJob`]): how it reads a
//! message, which use case it runs, and what it counts.

use crate::{ConfigError, Door, DynamoStore, Metrics, SesMailer, TokioPause, Wiring};
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::TimeDelta;
use cpor_domain::clock::Clock;
use cpor_domain::usecase::send::SendOnce;
use cpor_domain::{BusinessCalendar, OptOutKeyring};
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

/// The adapters and settings every door that sends uses, built once per execution
/// environment.
pub struct SendPorts {
    /// The table: the claims and the ledger of sends.
    pub store: DynamoStore,
    pub mailer: SesMailer,
    pub clock: Arc<dyn Clock>,
    /// Business days and holidays (the opt-out window, a response's due date).
    pub calendar: BusinessCalendar,
    /// Signs the customer's links.
    pub keyring: OptOutKeyring,
    /// Where the API and the customer pages are served, e.g. `https://cpor.example.com`.
    pub public_base_url: String,
    /// How long a worker may hold the right to send.
    pub send_lease: TimeDelta,
}

impl SendPorts {
    /// On the table (`CPOR_TABLE_NAME`), SES (`CPOR_SENDER_EMAIL`), the business calendar
    /// (`CPOR_HOLIDAYS`), the opt-out keyring (`CPOR_TOKEN_SECRET_ARN` or `CPOR_TOKEN_SECRET`,
    /// `CPOR_TOKEN_KEY_ID`), the service's address (`CPOR_PUBLIC_BASE_URL`) and the send lease
    /// (`CPOR_SEND_LEASE_SECONDS`, default 120).
    pub async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            send_lease: wiring.send_lease()?,
            store: wiring.store()?,
            mailer: wiring.mailer()?,
            clock: wiring.clock(),
            calendar: wiring.calendar()?,
            keyring: wiring.keyring().await?,
            public_base_url: wiring.public_base_url()?,
        })
    }

    /// The routine every message is sent by, on these adapters.
    pub fn send_once(&self) -> SendOnce<'_> {
        SendOnce {
            ledger: &self.store,
            mailer: &self.mailer,
            clock: self.clock.as_ref(),
            pause: &TokioPause,
            send_lease: self.send_lease,
        }
    }
}

/// What a door that sends brings of its own.
pub trait SendingJob: Sized + Send + Sync {
    /// The function's short name in logs and metrics.
    const NAME: &'static str;
    /// What one message of its queue is, in the log lines (`notification`, `event`).
    const MESSAGE: &'static str;
    /// What became of one message.
    type Outcome: std::fmt::Debug + Send;
    /// Why one message failed (and is retried by the queue).
    type Error: std::fmt::Display + Send;

    /// Its own adapters and settings, beyond [`SendPorts`].
    fn build(wiring: &Wiring<'_>) -> impl Future<Output = Result<Self, ConfigError>> + Send;

    /// Processes one message.
    fn process(
        &self,
        ports: &SendPorts,
        message: &SqsMessage,
    ) -> impl Future<Output = Result<Self::Outcome, Self::Error>> + Send;

    /// A batch's metrics: what became of the messages that succeeded, and how many failed.
    fn metrics(outcomes: Vec<Self::Outcome>, failed: usize) -> Metrics;
}

/// A function that consumes a queue and sends e-mail at most once: the shared adapters, and
/// its own job.
pub struct SendingDoor<J> {
    pub ports: SendPorts,
    pub job: J,
}

impl<J: SendingJob> SendingDoor<J> {
    /// Processes one message.
    pub async fn process(&self, message: &SqsMessage) -> Result<J::Outcome, J::Error> {
        self.job.process(&self.ports, message).await
    }

    /// Handles a batch; the answer names the messages to be retried.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let (results, response) = crate::batch::process(&event, |message| async move {
            let result = self.process(message).await;
            match &result {
                Ok(outcome) => tracing::info!(?outcome, "{} processed", J::MESSAGE),
                Err(error) => {
                    tracing::warn!(%error, "{} failed; the queue will retry it", J::MESSAGE)
                }
            }
            result
        })
        .await;
        let outcomes = results.into_iter().flatten().collect();
        J::metrics(outcomes, response.batch_item_failures.len()).emit();
        response
    }
}

impl<J: SendingJob> Door for SendingDoor<J> {
    const NAME: &'static str = J::NAME;
    type Event = SqsEvent;
    type Output = SqsBatchResponse;
    // Failed messages are reported one by one in the answer, never by failing the batch.
    type Error = Infallible;

    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            ports: SendPorts::build(wiring).await?,
            job: J::build(wiring).await?,
        })
    }

    async fn invoke(&self, event: SqsEvent) -> Result<SqsBatchResponse, Infallible> {
        Ok(self.handle(event).await)
    }
}
