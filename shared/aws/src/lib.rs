//! Adapters from the domain's ports to AWS: the DynamoDB table (claims, history, locks,
//! idempotency and notification records, reference data), the SQS notification queue and SES.
//!
//! The same code runs against AWS and against the local emulator: `AWS_ENDPOINT_URL` points the
//! SDK at the emulator, and nothing here knows the difference.

pub mod attr;
pub mod config;
pub mod dynamo;
pub mod logging;
pub mod mailer;
pub mod metrics;
pub mod queue;
pub mod schema;

pub use config::{ConfigError, Env};
pub use dynamo::DynamoStore;
pub use logging::in_invocation;
pub use mailer::SesMailer;
pub use metrics::Metrics;
pub use queue::SqsNotificationQueue;

/// Loads the SDK configuration from the environment (region, credentials, endpoint).
///
/// Lambda hands each function its region and its role's credentials in the environment, and
/// the default chains would take them from there too, first; but building those chains also
/// builds their other providers (an instance-metadata client for the region; for credentials,
/// among others the web-identity provider's STS client, and with it a TLS root store) at every
/// cold start. So what the environment holds is read from it alone; what it lacks comes from
/// the default chains, as before.
pub async fn sdk_config() -> aws_config::SdkConfig {
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    let loader = match std::env::var("AWS_REGION") {
        Ok(region) if !region.is_empty() => loader.region(aws_config::Region::new(region)),
        _ => loader,
    };
    let in_environment = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        .iter()
        .all(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    let loader = if in_environment {
        loader.credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        )
    } else {
        loader
    };
    loader.load().await
}

/// Describes an SDK error with its whole chain of causes, for logs and problem details.
pub fn describe<E: std::error::Error>(error: &E) -> String {
    aws_sdk_dynamodb::error::DisplayErrorContext(error).to_string()
}
