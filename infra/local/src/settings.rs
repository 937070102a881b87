//! The local stack's settings: every one has a development default, so `make run` needs none.

use crate::faults::FaultPlan;
use crate::iam::{Arns, AwsCalls};
use authorize_caller::oidc::Provider;
use cpor_aws::config::{
    HOLIDAYS, PARTNER_AUDIENCE, PARTNER_ISSUER, PUBLIC_BASE_URL, REVIEW_POLICY, REVIEWER_AUDIENCE,
    REVIEWER_ISSUER, SENDER_EMAIL, TABLE_NAME, TOKEN_KEY_ID, TOKEN_SECRET,
};
use cpor_aws::{ConfigError, Env};
use cpor_domain::ReviewPolicy;
use cpor_domain::clock::{Clock, SystemClock};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Development default of the opt-out link secret (never a production secret).
pub const DEV_TOKEN_SECRET: &str = "local-dev-token-secret";
/// Development default of the local JWT secret (never a production secret).
pub const DEV_JWT_SECRET: &str = "local-dev-secret";
/// The console's origin, for the documents bucket's CORS: `CPOR_CONSOLE_ORIGIN`.
pub const CONSOLE_ORIGIN: &str = "CPOR_CONSOLE_ORIGIN";
/// The region everything local uses; queue lookups are per region.
pub const REGION: &str = "us-east-1";

/// Everything the local stack needs.
#[derive(Clone)]
pub struct LocalSettings {
    /// Where the gateway listens.
    pub listen: SocketAddr,
    /// The emulator's endpoint.
    pub endpoint: String,
    /// The table's name.
    pub table: String,
    /// The prefix of the queues' names.
    pub queue_prefix: String,
    /// The verified sender of customer e-mail.
    pub sender: String,
    /// The base of the links in e-mails.
    pub public_base_url: String,
    /// The HS256 secret of local bearer tokens.
    pub jwt_secret: String,
    /// The identity providers whose RS256 tokens the gateway accepts beside the local ones, as
    /// the template's authorizers do (`CPOR_PARTNER_ISSUER` and `CPOR_PARTNER_AUDIENCE`,
    /// `CPOR_REVIEWER_ISSUER` and `CPOR_REVIEWER_AUDIENCE`); none by default.
    pub trusted_issuers: Vec<authorize_caller::oidc::TrustedIssuer>,
    /// The console's origin, which the documents bucket lets upload (CORS) as the template's
    /// lets the deployed console's (`CPOR_CONSOLE_ORIGIN`); empty: the gateway's own origin,
    /// where the console is served.
    pub console_origin: String,

    /// The opt-out token secret.
    pub token_secret: String,
    /// The ARN of a secret in the emulator's Secrets Manager that the functions read instead
    /// of `token_secret`, as deployed functions do; empty for none.
    pub token_secret_arn: String,
    /// The opt-out signing key's id.
    pub token_key_id: String,
    /// Business-calendar holidays, as `CPOR_HOLIDAYS` takes them (`YYYY-MM-DD,...`).
    pub holidays: String,
    /// Who approves claims: a reviewer (`manual`, the default) or the service at submission.
    pub review_policy: ReviewPolicy,
    /// Each partner's requests a second (`CPOR_PARTNER_REQUESTS_PER_SECOND`).
    pub partner_requests_per_second: u32,
    /// How often finalization runs by itself; `None` runs it only on `/_local/finalize`.
    pub finalize_every: Option<Duration>,
    /// How long a failed notification stays invisible before the poller sees it again.
    pub retry_after: Duration,
    /// Whether the queue pollers and the table stream's reader run (tests that deliver messages
    /// by hand, or count each step's AWS calls, turn them off).
    pub poll_notifications: bool,
    /// How long a notification worker may hold the right to send.
    pub send_lease: Duration,
    /// The time every function reads.
    pub clock: Arc<dyn Clock>,
    /// Faults to inject into every AWS call (and the count of calls), if any.
    pub faults: Option<Arc<FaultPlan>>,
    /// The SDK's attempts per call under injected faults (3): 1 lets every injected fault
    /// reach the function, to test its own retries rather than the SDK's.
    pub fault_attempts: u32,
    /// The record of each function's AWS calls, for the IAM check (`crate::iam`), if kept.
    pub aws_calls: Option<Arc<AwsCalls>>,
    /// What the emulator's SES accepted, whose Send and Delivery events the stack publishes.
    pub ses_events: Arc<crate::ses_events::SesEvents>,
    /// Whether loopback webhook receivers may be registered and delivered to, over `http`
    /// too (`CPOR_WEBHOOKS_ALLOW_LOOPBACK`; on, but for the tests of AWS's rules).
    pub webhooks_allow_loopback: bool,
    /// The ARN of the emulator's KMS key that seals webhook secrets: made when the stack
    /// starts (kept when it is started again on the same emulator).
    pub webhook_key: String,
    /// What webhook hosts resolve to at registration, instead of the system's resolver (a
    /// test's answers: the local stack has no DNS of its own).
    pub webhook_resolver: Option<Arc<dyn cpor_aws::webhooks::Resolve>>,
    /// deliver-webhooks' settings.
    pub webhooks: WebhookSettings,
}

/// deliver-webhooks' local settings: loopback endpoints allowed (over plain `http` too), a
/// short retry schedule, and what the tests change.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The pauses between attempts (`CPOR_WEBHOOK_RETRY_SECONDS`, default `1,2,4`).
    pub retry_seconds: String,
    /// The longest exchange with an endpoint, in milliseconds (10000, as in AWS).
    pub timeout_ms: u64,
    /// Fixed resolver answers, `host=ip,...` (tests: a host that resolves to a private
    /// address); empty for none.
    pub fixed_addresses: String,
}

impl WebhookSettings {
    fn new(env: &Env) -> Self {
        Self {
            retry_seconds: env.or(deliver_webhooks::RETRY_SECONDS, "1,2,4"),
            timeout_ms: 10_000,
            fixed_addresses: String::new(),
        }
    }
}

impl LocalSettings {
    /// Settings from the environment, with development defaults:
    /// `CPOR_LOCAL_ADDR` (127.0.0.1:3000), `CPOR_EMULATOR_PORT` (4566), `CPOR_TABLE_NAME`
    /// (cpor-local), `CPOR_SENDER_EMAIL` (cpor@example.com), `CPOR_PUBLIC_BASE_URL` (the
    /// gateway's address), `CPOR_LOCAL_JWT_SECRET`, `CPOR_TOKEN_SECRET`, `CPOR_TOKEN_KEY_ID`
    /// (k1), `CPOR_HOLIDAYS`, `CPOR_REVIEW_POLICY` (manual), `CPOR_PARTNER_REQUESTS_PER_SECOND`
    /// (25), `CPOR_LOCAL_FINALIZE_EVERY` (seconds, 60; 0 turns it off), `CPOR_PARTNER_ISSUER`
    /// and `CPOR_PARTNER_AUDIENCE`, `CPOR_REVIEWER_ISSUER` and `CPOR_REVIEWER_AUDIENCE` (none),
    /// `CPOR_CONSOLE_ORIGIN` (the gateway's address).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let listen: SocketAddr = env
            .or("CPOR_LOCAL_ADDR", "127.0.0.1:3000")
            .parse()
            .map_err(|e| ConfigError::Invalid {
                name: "CPOR_LOCAL_ADDR",
                problem: format!("{e}"),
            })?;
        let port = env.or("CPOR_EMULATOR_PORT", "4566");
        let finalize_every: u64 =
            env.or("CPOR_LOCAL_FINALIZE_EVERY", "60")
                .parse()
                .map_err(|e| ConfigError::Invalid {
                    name: "CPOR_LOCAL_FINALIZE_EVERY",
                    problem: format!("{e}"),
                })?;
        Ok(Self {
            listen,
            endpoint: format!("http://127.0.0.1:{port}"),
            table: env.or(TABLE_NAME, "cpor-local"),
            queue_prefix: "cpor-local".into(),
            sender: env.or(SENDER_EMAIL, "cpor@example.com"),
            public_base_url: env.or(PUBLIC_BASE_URL, &format!("http://{listen}")),
            jwt_secret: env.or("CPOR_LOCAL_JWT_SECRET", DEV_JWT_SECRET),
            trusted_issuers: authorize_caller::oidc::TrustedIssuer::from_env(env)?,
            console_origin: env.or(CONSOLE_ORIGIN, ""),
            token_secret: env.or(TOKEN_SECRET, DEV_TOKEN_SECRET),
            token_secret_arn: String::new(),
            token_key_id: env.or(TOKEN_KEY_ID, "k1"),
            holidays: {
                // Checked here so that a bad list stops the stack at start-up.
                cpor_aws::config::calendar(env)?;
                env.or(HOLIDAYS, "")
            },
            review_policy: cpor_aws::config::review_policy(env)?,
            partner_requests_per_second: env
                .or(
                    cpor_aws::budget::PARTNER_REQUESTS_PER_SECOND,
                    &cpor_aws::budget::DEFAULT_PER_SECOND.to_string(),
                )
                .parse()
                .ok()
                .filter(|n: &u32| *n > 0)
                .ok_or(ConfigError::Invalid {
                    name: cpor_aws::budget::PARTNER_REQUESTS_PER_SECOND,
                    problem: "must be a whole number of requests above 0".into(),
                })?,
            finalize_every: (finalize_every > 0).then(|| Duration::from_secs(finalize_every)),
            retry_after: Duration::from_secs(5),
            poll_notifications: true,
            send_lease: Duration::from_secs(15),
            clock: Arc::new(SystemClock),
            faults: match env.get("CPOR_LOCAL_FAULT_RATE") {
                None => None,
                Some(rate) => Some(FaultPlan::new(
                    rate.parse().map_err(|e| ConfigError::Invalid {
                        name: "CPOR_LOCAL_FAULT_RATE",
                        problem: format!("{e}"),
                    })?,
                    chrono::Utc::now().timestamp_millis().unsigned_abs(),
                )),
            },
            fault_attempts: 3,
            aws_calls: None,
            ses_events: crate::ses_events::SesEvents::new(Arc::new(SystemClock)),
            // On unless told `0` (to try AWS's rules locally); AWS never sets it.
            webhooks_allow_loopback: env
                .get(cpor_aws::webhooks::WEBHOOKS_ALLOW_LOOPBACK)
                .as_deref()
                != Some("0"),
            webhook_key: String::new(),
            webhook_resolver: None,
            webhooks: WebhookSettings::new(env),
        })
    }

    /// Settings for a test: the gateway on a free port, this emulator, no finalize timer, a
    /// short retry delay, each function's AWS calls recorded for the IAM check, and claims
    /// approved at submission (the tests of the review itself set the `manual` policy; the
    /// others are about what follows an approval).
    pub fn for_tests(endpoint: &str) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            endpoint: endpoint.to_owned(),
            table: "cpor-test".into(),
            queue_prefix: "cpor-test".into(),
            sender: "cpor@example.com".into(),
            public_base_url: String::new(),
            jwt_secret: DEV_JWT_SECRET.into(),
            trusted_issuers: Vec::new(),
            console_origin: String::new(),
            token_secret: DEV_TOKEN_SECRET.into(),
            token_secret_arn: String::new(),
            token_key_id: "k1".into(),
            holidays: String::new(),
            review_policy: ReviewPolicy::Automatic,
            // Tests drive the API faster than a partner's tool; the budget's own test sets it.
            partner_requests_per_second: 100_000,
            finalize_every: None,
            retry_after: Duration::from_secs(1),
            poll_notifications: true,
            send_lease: Duration::from_secs(3),
            clock: Arc::new(SystemClock),
            faults: None,
            fault_attempts: 3,
            aws_calls: Some(AwsCalls::new(Arns::emulator(REGION))),
            ses_events: crate::ses_events::SesEvents::new(Arc::new(SystemClock)),
            webhooks_allow_loopback: true,
            webhook_key: String::new(),
            webhook_resolver: None,
            webhooks: WebhookSettings::new(&Env::default()),
        }
    }

    /// How long a failed message of `consumer`'s queue stays invisible before it is received
    /// again. A message sent under a lease comes back only after the lease a failed attempt may
    /// have kept has ended, as in AWS (its 180 s visibility timeout outlasts the 120 s lease):
    /// otherwise its redeliveries could all find the lease still held, and the dead-letter
    /// queue would take it. Other messages come back after `retry_after`.
    pub fn retry_delay(&self, sends_under_lease: bool) -> Duration {
        if sends_under_lease {
            self.retry_after
                .max(self.send_lease + Duration::from_secs(1))
        } else {
            self.retry_after
        }
    }

    /// The settings as the environment the deployed functions read (for the SDK's and the
    /// functions' own `from_env`).
    pub fn function_env(&self, queue_url: &str) -> Env {
        Env::process()
            .with(TABLE_NAME, &self.table)
            .with(cpor_aws::config::QUEUE_URL, queue_url)
            .with(SENDER_EMAIL, &self.sender)
            .with(PUBLIC_BASE_URL, &self.public_base_url)
            .with(TOKEN_SECRET, &self.token_secret)
            // Locally the secret is plain text unless the settings name one in the emulator: a
            // developer's own ARN must not send us to AWS.
            .with(cpor_aws::config::TOKEN_SECRET_ARN, &self.token_secret_arn)
            .with(TOKEN_KEY_ID, &self.token_key_id)
            .with(
                cpor_aws::config::DOCUMENTS_BUCKET,
                cpor_aws::schema::documents_bucket(&self.queue_prefix),
            )
            .with(
                cpor_aws::config::EVENT_BUS_NAME,
                cpor_aws::schema::event_bus(&self.queue_prefix),
            )
            .with(HOLIDAYS, &self.holidays)
            .with(cpor_aws::webhooks::WEBHOOK_KEY_ID, &self.webhook_key)
            .with(
                cpor_aws::webhooks::WEBHOOKS_ALLOW_LOOPBACK,
                if self.webhooks_allow_loopback {
                    "1"
                } else {
                    "0"
                },
            )
            // authorize-caller's issuers: the settings' (it is built only when there is one).
            .with(PARTNER_ISSUER, self.issuer(Provider::Partner).0)
            .with(PARTNER_AUDIENCE, self.issuer(Provider::Partner).1)
            .with(REVIEWER_ISSUER, self.issuer(Provider::Reviewer).0)
            .with(REVIEWER_AUDIENCE, self.issuer(Provider::Reviewer).1)
            .with(REVIEW_POLICY, self.review_policy.as_str())
            .with(
                cpor_aws::budget::PARTNER_REQUESTS_PER_SECOND,
                self.partner_requests_per_second.to_string(),
            )
            .with(
                "CPOR_SEND_LEASE_SECONDS",
                self.send_lease.as_secs().to_string(),
            )
            // A held send's re-check comes back after the retry delay rather than SES's 15
            // minutes: the stack's clock, which tests move, decides whether the wait is over.
            .with(
                "CPOR_RECHECK_MAX_DELAY_SECONDS",
                self.retry_after.as_secs().to_string(),
            )
            .with(
                deliver_webhooks::RETRY_SECONDS,
                &self.webhooks.retry_seconds,
            )
            .with(
                deliver_webhooks::TIMEOUT_MS,
                self.webhooks.timeout_ms.to_string(),
            )
            .with(
                deliver_webhooks::FIXED_ADDRESSES,
                &self.webhooks.fixed_addresses,
            )
            // A message whose processing failed comes back after the retry delay, as the
            // stack's other messages do (in AWS: the queue's visibility timeout).
            .with(
                deliver_webhooks::ERROR_RETRY_SECONDS,
                self.retry_after.as_secs().to_string(),
            )
    }

    /// The issuer of `provider` the settings trust and its audiences, comma-separated, as the
    /// functions' settings name them (empty: none).
    fn issuer(&self, provider: Provider) -> (String, String) {
        self.trusted_issuers
            .iter()
            .find(|t| t.provider == provider)
            .map(|t| (t.issuer.clone(), t.audiences.join(",")))
            .unwrap_or_default()
    }

    /// `function`'s own SDK configuration: `sdk`, its requests recorded under the function's
    /// name when the calls are kept, and S3's answers for a missing object as AWS gives them
    /// to a role without `s3:ListBucket` (403, where the emulator says 404): no function's
    /// role may list the bucket.
    pub fn function_sdk_config(
        &self,
        function: &'static str,
        sdk: &aws_config::SdkConfig,
    ) -> aws_config::SdkConfig {
        let client = crate::faults::s3_without_list_bucket(http_client(sdk));
        let client = match &self.aws_calls {
            Some(calls) => calls.wrap(function, client),
            None => client,
        };
        sdk.to_builder().http_client(client).build()
    }

    /// The SDK configuration pointing at the emulator, with placeholder credentials.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        let credentials =
            aws_sdk_dynamodb::config::Credentials::new("local", "local", None, None, "cpor-local");
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new(REGION))
            .credentials_provider(credentials)
            .load()
            .await;
        // What SES accepted is seen below the faults: an e-mail whose answer is lost was sent.
        let observed = self.ses_events.wrap(http_client(&sdk));
        match &self.faults {
            // Under injected faults the SDK retries as always, but without waiting a second
            // between attempts, so that a run of hundreds of claims stays short. The emulator
            // is plain HTTP on loopback: the wrapped client needs no TLS.
            Some(plan) => sdk
                .to_builder()
                .http_client(plan.wrap(observed))
                .retry_config(
                    aws_config::retry::RetryConfig::standard()
                        .with_max_attempts(self.fault_attempts.max(1))
                        .with_initial_backoff(Duration::from_millis(10))
                        .with_max_backoff(Duration::from_millis(200)),
                )
                .build(),
            None => sdk.to_builder().http_client(observed).build(),
        }
    }
}

/// The SDK's HTTP client, to wrap. The emulator is plain HTTP on loopback: a client built here
/// needs no TLS.
fn http_client(
    sdk: &aws_config::SdkConfig,
) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    sdk.http_client()
        .unwrap_or_else(|| aws_smithy_http_client::Builder::new().build_http())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_sent_under_a_lease_comes_back_only_after_the_lease_ended() {
        // GIVEN the settings of the tests, of `make run`, and a lease as long as AWS's
        let tests = LocalSettings::for_tests("http://127.0.0.1:1");
        let run = LocalSettings::from_env(&Env::process()).unwrap();
        let aws_lease = LocalSettings {
            send_lease: Duration::from_secs(120),
            ..run.clone()
        };
        for settings in [&tests, &run, &aws_lease] {
            // THEN each retry of a message sent under a lease comes after a kept lease ended
            assert!(settings.retry_delay(true) > settings.send_lease);
            // AND other messages come back after the retry delay alone
            assert_eq!(settings.retry_delay(false), settings.retry_after);
        }
    }
}
