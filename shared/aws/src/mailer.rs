//! Customer e-mail through SES, sent at most once.
//!
//! SendEmail is not idempotent: a retry after a lost answer sends the e-mail again. So the SES
//! client never retries by itself, and every failure is classed by what it says about the
//! e-mail: refused before anything was sent (may be tried again; throttling is, here, with the
//! service's retry policy), refused for good (the address), or unknown (a time-out, a broken
//! connection, a lost or unreadable answer, a 5xx), which the caller holds for an operator.

use crate::describe;
use crate::pause::TokioPause;
use async_trait::async_trait;
use aws_sdk_ses::error::SdkError;
use aws_sdk_ses::operation::send_email::SendEmailError;
use aws_sdk_ses::types::{Body, Content, Destination, Message};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use cpor_domain::contact::mask_addresses;
use cpor_domain::email::CustomerEmail;
use cpor_domain::ports::{Mailer, SendError, Unavailable};
use cpor_domain::retry::RETRY;

/// Sends e-mail with SES from a verified sender.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: aws_sdk_ses::Client,
    sender: String,
}

impl SesMailer {
    /// A mailer sending from `sender`, on an SES client that never retries by itself.
    pub fn new(sdk: &aws_config::SdkConfig, sender: impl Into<String>) -> Self {
        let config = aws_sdk_ses::config::Builder::from(sdk)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        Self {
            client: aws_sdk_ses::Client::from_conf(config),
            sender: sender.into(),
        }
    }

    async fn send_once(&self, email: &CustomerEmail) -> Result<String, Failure> {
        let message = Message::builder()
            .subject(content(&email.subject)?)
            .body(
                Body::builder()
                    .text(content(&email.text)?)
                    .html(content(&email.html)?)
                    .build(),
            )
            .build();
        let out = self
            .client
            .send_email()
            .source(&self.sender)
            .destination(
                Destination::builder()
                    .to_addresses(email.to.for_delivery())
                    .build(),
            )
            .message(message)
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(out.message_id().to_owned())
    }
}

fn content(text: &str) -> Result<Content, Failure> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| Failure::NotSent(format!("e-mail content: {e}")))
}

/// A failed send, as SES's answer (or its absence) classes it.
#[derive(Debug)]
enum Failure {
    /// Refused for the sending rate: nothing went out.
    Throttled(String),
    /// Refused before anything went out.
    NotSent(String),
    /// The address is refused for good.
    Rejected(String),
    /// It may have gone out.
    Unknown(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Throttled(t) | Self::NotSent(t) | Self::Rejected(t) | Self::Unknown(t) => {
                f.write_str(t)
            }
        }
    }
}

impl From<Failure> for SendError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Throttled(text) | Failure::NotSent(text) => {
                SendError::NotSent(Unavailable(text))
            }
            Failure::Rejected(text) => SendError::Rejected(text),
            Failure::Unknown(text) => SendError::OutcomeUnknown(text),
        }
    }
}

/// SES's codes for a request refused for its rate (the account's sending rate, or the API's).
const THROTTLED: &[&str] = &["Throttling", "ThrottlingException"];

/// What a failed SendEmail says about the e-mail. Its text has addresses masked: SES quotes
/// the address it refuses.
fn classify(error: &SdkError<SendEmailError, aws_smithy_runtime_api::http::Response>) -> Failure {
    let text = mask_addresses(&format!("SendEmail: {}", describe(error)));
    match error {
        SdkError::ConstructionFailure(_) => Failure::NotSent(text),
        SdkError::DispatchFailure(failure) if failure.is_user() => Failure::NotSent(text),
        SdkError::ServiceError(failure) => {
            let status = failure.raw().status().as_u16();
            let service = failure.err();
            match service {
                SendEmailError::MessageRejected(_) => Failure::Rejected(text),
                _ if service.code() == Some("InvalidParameterValue") => Failure::Rejected(text),
                _ if service.code().is_some_and(|c| THROTTLED.contains(&c)) || status == 503 => {
                    Failure::Throttled(text)
                }
                // A server error does not say whether the e-mail went out.
                _ if status >= 500 => Failure::Unknown(text),
                _ => Failure::NotSent(text),
            }
        }
        // A time-out, a broken connection, an unreadable answer: the request may have been
        // taken.
        _ => Failure::Unknown(text),
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &CustomerEmail) -> Result<String, SendError> {
        // Throttled means not sent: waiting and trying again is safe, and spares the message
        // a trip through the queue (each receive counts towards the dead-letter queue).
        RETRY
            .run(
                "SendEmail throttled",
                &TokioPause,
                || self.send_once(email),
                |f| matches!(f, Failure::Throttled(_)),
            )
            .await
            .map_err(SendError::from)
    }
}
