//! What every function's door shares: how it is built from its configuration, and how Lambda
//! runs it.
//!
//! A function implements [`Door`]; its `main` is then one line, `cpor_aws::door::run::<F>()`.
//! The local stack builds the same functions from the same [`Wiring`], with a clock it can move,
//! and calls them in-process.
//!
//! This is the cold-start path (BENCHMARKS.md): [`run`] does what each `main` did by hand
//! before, in the same order, and an invocation is a direct call of the function's handler (a
//! generic, not a boxed trait object).

use crate::config::{self, ConfigError, Env, PUBLIC_BASE_URL, QUEUE_URL, SENDER_EMAIL, TABLE_NAME};
use crate::{DynamoStore, SdkClient, SesMailer, SqsNotificationQueue, logging};
use cpor_domain::clock::{Clock, SystemClock};
use cpor_domain::{BusinessCalendar, OptOutKeyring};
use lambda_runtime::{LambdaEvent, service_fn};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::sync::{Arc, OnceLock};

/// A Lambda function as its door: its name, its event and answer, how it is built and how it
/// handles one event.
pub trait Door: Sized + Sync {
    /// The short name in logs and metrics (`submit-claim`): its binary's name.
    const NAME: &'static str;
    /// What Lambda hands it.
    type Event: DeserializeOwned + Send;
    /// What it answers.
    type Output: Serialize;
    /// Why an invocation fails, so that Lambda (or the scheduler) retries it: `Infallible` for
    /// the HTTP doors, which turn every failure into an answer.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The function, its adapters built from `wiring`: once per execution environment.
    fn build(wiring: &Wiring<'_>) -> impl Future<Output = Result<Self, ConfigError>> + Send;

    /// Handles one event.
    fn invoke(
        &self,
        event: Self::Event,
    ) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send;
}

/// Runs the function `D` in Lambda: sets up logging, builds the SDK configuration from Lambda's
/// variables and the function from the process environment (a failure is logged, and ends the
/// process), then hands each invocation to it inside its invocation span.
pub async fn run<D: Door>() -> Result<(), lambda_runtime::Error> {
    logging::init(D::NAME);
    let sdk = crate::lambda_sdk_config().await;
    let env = Env::process();
    let function = logging::started(D::build(&Wiring::new(&sdk, &env)).await)?;
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<D::Event>| async move {
        crate::in_invocation(
            D::NAME,
            &event.context.request_id,
            function.invoke(event.payload),
        )
        .await
        .map_err(lambda_runtime::Error::from)
    }))
    .await
}

/// What a function is built from: the SDK configuration, the settings, and the clock. Each
/// method builds one adapter a function asks for, from the variables that configure it, and
/// names the variable when it is missing or wrong. The SDK clients that every request needs are
/// built here, at start-up (Lambda runs the start-up on a whole vCPU, the requests on the
/// memory's share of one); those that some requests need only are built by the first request
/// that uses them ([`SdkClient`]).
#[derive(Clone)]
pub struct Wiring<'a> {
    sdk: &'a aws_config::SdkConfig,
    env: &'a Env,
    clock: Arc<dyn Clock>,
    /// The one DynamoDB client of the adapters on the table: a client is a handle on shared
    /// parts, and each one built costs time. Built by the first adapter on the table that a
    /// function asks for (at its start-up), never for a function that has none.
    dynamodb: Arc<OnceLock<SdkClient<aws_sdk_dynamodb::Client>>>,
    /// What webhook hosts resolve to at registration: the system's resolver unless the local
    /// stack gives its own.
    webhook_resolver: Option<Arc<dyn crate::webhooks::Resolve>>,
}

impl<'a> Wiring<'a> {
    /// Functions built on `sdk` and `env`, reading the system's time.
    pub fn new(sdk: &'a aws_config::SdkConfig, env: &'a Env) -> Self {
        Self {
            sdk,
            env,
            clock: Arc::new(SystemClock),
            dynamodb: Arc::default(),
            webhook_resolver: None,
        }
    }

    /// The same, reading time from `clock` (tests and the local stack move time).
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }

    /// The same, webhook hosts resolved by `resolver` (the local stack's answers, for tests
    /// that need a name resolving to loopback without DNS).
    pub fn with_webhook_resolver(self, resolver: Arc<dyn crate::webhooks::Resolve>) -> Self {
        Self {
            webhook_resolver: Some(resolver),
            ..self
        }
    }

    /// The DynamoDB client, built now if no adapter has asked for it yet (for a function whose
    /// items are its own: deliver-webhooks' endpoints and delivery records).
    pub fn dynamodb(&self) -> SdkClient<aws_sdk_dynamodb::Client> {
        self.dynamodb
            .get_or_init(|| aws_sdk_dynamodb::Client::new(self.sdk).into())
            .clone()
    }

    /// The SDK configuration, for the clients a single function builds (deliver-webhooks' KMS).
    pub fn sdk(&self) -> &aws_config::SdkConfig {
        self.sdk
    }

    /// The settings, for what a single function reads.
    pub fn env(&self) -> &Env {
        self.env
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// The table: `CPOR_TABLE_NAME`.
    pub fn store(&self) -> Result<DynamoStore, ConfigError> {
        let table = self.env.required(TABLE_NAME)?;
        Ok(DynamoStore::new(self.dynamodb(), table))
    }

    /// Each partner's share of the partner API, counted in the table (`CPOR_TABLE_NAME`):
    /// `CPOR_PARTNER_REQUESTS_PER_SECOND` a second.
    pub fn partner_budget(&self) -> Result<crate::budget::PartnerBudget, ConfigError> {
        let table = self.env.required(TABLE_NAME)?;
        crate::budget::PartnerBudget::from_env(self.dynamodb(), &table, self.env)
    }

    /// The notification queue: `CPOR_NOTIFICATION_QUEUE_URL`; a re-check is delayed
    /// `CPOR_RECHECK_MAX_DELAY_SECONDS` at most (default 900, SQS's longest delay; the local
    /// stack, whose clock decides the re-check and can be moved, uses a short one).
    pub fn queue(&self) -> Result<SqsNotificationQueue, ConfigError> {
        const RECHECK_MAX_DELAY: &str = "CPOR_RECHECK_MAX_DELAY_SECONDS";
        let url = self.env.required(QUEUE_URL)?;
        let max_delay = self
            .env
            .or(RECHECK_MAX_DELAY, "900")
            .parse()
            .ok()
            .filter(|s: &i32| (0..=crate::queue::MAX_DELAY_SECONDS).contains(s))
            .ok_or_else(|| ConfigError::Invalid {
                name: RECHECK_MAX_DELAY,
                problem: "must be a whole number of seconds from 0 to 900".into(),
            })?;
        Ok(SqsNotificationQueue::new(
            SdkClient::on_first_use(self.sdk, aws_sdk_sqs::Client::new),
            url,
        )
        .with_max_delay(max_delay))
    }

    /// The claim batches' queue: `CPOR_BATCH_QUEUE_URL`; its SQS client is built when a request
    /// first queues a batch.
    pub fn batch_queue(&self) -> Result<crate::claim_batch::BatchQueue, ConfigError> {
        let url = self.env.required(config::BATCH_QUEUE_URL)?;
        Ok(crate::claim_batch::BatchQueue::new(
            SdkClient::on_first_use(self.sdk, aws_sdk_sqs::Client::new),
            url,
        ))
    }

    /// The service's event bus: `CPOR_EVENT_BUS_NAME`.
    pub fn event_bus(&self) -> Result<crate::EventBridgeBus, ConfigError> {
        let bus = self.env.required(config::EVENT_BUS_NAME)?;
        Ok(crate::EventBridgeBus::new(
            aws_sdk_eventbridge::Client::new(self.sdk),
            bus,
        ))
    }

    /// The documents' bucket (`CPOR_DOCUMENTS_BUCKET`); its S3 client is built when a request
    /// first needs it.
    pub fn documents(&self) -> Result<crate::S3Documents, ConfigError> {
        let bucket = self.env.required(config::DOCUMENTS_BUCKET)?;
        Ok(crate::S3Documents::on_first_use(self.sdk, bucket))
    }

    /// Exports: asked for on the table and the queue `CPOR_EXPORTS_QUEUE_URL`, their files
    /// in the documents bucket (`CPOR_DOCUMENTS_BUCKET`).
    pub fn exports(&self) -> Result<crate::exports::ExportDesk, ConfigError> {
        let url = self.env.required(config::EXPORTS_QUEUE_URL)?;
        let queue = crate::exports::ExportQueue::new(
            SdkClient::on_first_use(self.sdk, aws_sdk_sqs::Client::new),
            url,
        );
        Ok(crate::exports::ExportDesk::new(
            self.store()?,
            self.documents()?,
            queue,
            self.clock(),
        ))
    }

    /// Partners' webhook endpoints: on the table, their secrets sealed with the KMS key
    /// `CPOR_WEBHOOK_KEY_ID`, test events put on the bus `CPOR_EVENT_BUS_NAME`; loopback
    /// receivers allowed when `CPOR_WEBHOOKS_ALLOW_LOOPBACK` is `1` (the local stack alone).
    /// The KMS and EventBridge clients are built when a request first needs them.
    pub fn webhooks(&self) -> Result<crate::webhooks::WebhookDesk, ConfigError> {
        use crate::webhooks::{SystemResolver, TestBus, WEBHOOK_KEY_ID, WebhookKey};
        let key_id = self.env.required(WEBHOOK_KEY_ID)?;
        let bus = self.env.required(config::EVENT_BUS_NAME)?;
        let allowance = config::webhook_allowance(self.env)?;
        Ok(crate::webhooks::WebhookDesk::new(
            self.store()?,
            WebhookKey::new(
                SdkClient::on_first_use(self.sdk, aws_sdk_kms::Client::new),
                key_id,
            ),
            TestBus {
                client: SdkClient::on_first_use(self.sdk, aws_sdk_eventbridge::Client::new),
                name: bus,
            },
            allowance,
            self.webhook_resolver
                .clone()
                .unwrap_or_else(|| Arc::new(SystemResolver)),
            self.clock(),
        ))
    }

    /// SES, sending from `CPOR_SENDER_EMAIL`, through the configuration set
    /// `CPOR_SES_CONFIGURATION_SET` when one is named (whose event destination publishes the
    /// bounces and complaints).
    pub fn mailer(&self) -> Result<SesMailer, ConfigError> {
        let sender = self.env.required(SENDER_EMAIL)?;
        let mailer = SesMailer::new(self.sdk, sender);
        Ok(match self.env.get(config::SES_CONFIGURATION_SET) {
            Some(set) if !set.trim().is_empty() => mailer.with_configuration_set(set),
            Some(_) | None => mailer,
        })
    }

    /// The opt-out keyring, from Secrets Manager (`CPOR_TOKEN_SECRET_ARN`) or
    /// `CPOR_TOKEN_SECRET`: see [`config::load_keyring`].
    pub async fn keyring(&self) -> Result<OptOutKeyring, ConfigError> {
        config::load_keyring(self.sdk, self.env).await
    }

    /// Who approves claims: `CPOR_REVIEW_POLICY` (`manual` by default).
    pub fn review_policy(&self) -> Result<cpor_domain::ReviewPolicy, ConfigError> {
        config::review_policy(self.env)
    }

    /// How long one worker may hold the right to send an e-mail (the notification's, or an
    /// event's): `CPOR_SEND_LEASE_SECONDS`, default 120, a whole number above 0.
    pub fn send_lease(&self) -> Result<chrono::TimeDelta, ConfigError> {
        const SEND_LEASE_SECONDS: &str = "CPOR_SEND_LEASE_SECONDS";
        self.env
            .or(SEND_LEASE_SECONDS, "120")
            .parse()
            .ok()
            .filter(|s: &i64| *s > 0)
            .map(chrono::TimeDelta::seconds)
            .ok_or_else(|| ConfigError::Invalid {
                name: SEND_LEASE_SECONDS,
                problem: "must be a whole number of seconds above 0".into(),
            })
    }

    /// The business calendar, skipping `CPOR_HOLIDAYS`.
    pub fn calendar(&self) -> Result<BusinessCalendar, ConfigError> {
        config::calendar(self.env)
    }

    /// Where the customer pages are served: `CPOR_PUBLIC_BASE_URL`, an `https://` URL (the
    /// links carry the customer's token), or `http://` on a loopback host for the local stack.
    pub fn public_base_url(&self) -> Result<String, ConfigError> {
        config::public_base_url(&self.env.required(PUBLIC_BASE_URL)?)
    }
}
