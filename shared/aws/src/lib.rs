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
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// Describes an SDK error with its whole chain of causes, for logs and problem details.
pub fn describe<E: std::error::Error>(error: &E) -> String {
    aws_sdk_dynamodb::error::DisplayErrorContext(error).to_string()
}
