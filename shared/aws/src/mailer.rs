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
use aws_sdk_ses::types::{Body, Content, Destination, Message, MessageTag};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use cpor_domain::contact::mask_addresses;
use cpor_domain::email::CustomerEmail;
use cpor_domain::ports::{Mailer, NoticeRef, SendError, Unavailable, tags};
use cpor_domain::retry::RETRY;

/// Sends e-mail with SES from a verified sender.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: aws_sdk_ses::Client,
    sender: String,
    /// The configuration set whose event destination reports bounces and complaints.
    configuration_set: Option<String>,
}

impl SesMailer {
    /// A mailer sending from `sender`, on an SES client that never retries by itself.
    pub fn new(sdk: &aws_config::SdkConfig, sender: impl Into<String>) -> Self {
        Self {
            client: aws_sdk_ses::Client::from_conf(
                aws_sdk_ses::config::Builder::from(sdk)
                    .retry_config(aws_config::retry::RetryConfig::disabled())
                    .build(),
            ),
            sender: sender.into(),
            configuration_set: None,
        }
    }

    /// The same mailer, sending through `set`.
    pub fn with_configuration_set(mut self, set: impl Into<String>) -> Self {
        self.configuration_set = Some(set.into());
        self
    }

    async fn send_once(
        &self,
        email: &CustomerEmail,
        tags: &[(&str, String)],
    ) -> Result<String, Failure> {
        let tags = tags
            .iter()
            .map(|(name, value)| {
                MessageTag::builder()
                    .name(*name)
                    .value(value)
                    .build()
                    .map_err(|e| Failure::NotSent(format!("message tag: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
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
            .set_configuration_set_name(self.configuration_set.clone())
            .set_tags((!tags.is_empty()).then_some(tags))
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
#[expect(
    clippy::wildcard_enum_match_arm,
    reason = "the SDK's errors are non-exhaustive: a kind it adds later is read as its status says"
)]
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

impl SesMailer {
    async fn send_tagged(
        &self,
        email: &CustomerEmail,
        tags: &[(&str, String)],
    ) -> Result<String, SendError> {
        // Throttled means not sent: waiting and trying again is safe, and spares the message
        // a trip through the queue (each receive counts towards the dead-letter queue).
        RETRY
            .run(
                "SendEmail throttled",
                &TokioPause,
                || self.send_once(email, tags),
                |f| matches!(f, Failure::Throttled(_)),
            )
            .await
            .map_err(SendError::from)
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &CustomerEmail) -> Result<String, SendError> {
        self.send_tagged(email, &[]).await
    }

    async fn send_notice(
        &self,
        email: &CustomerEmail,
        notice: NoticeRef,
    ) -> Result<String, SendError> {
        // SES's events about the message (its Send event above all) carry these tags: they
        // name the notification whose send may be held.
        let tags = [
            (tags::CLAIM_ID, notice.claim_id.to_string()),
            (tags::NOTICE, notice.number.to_string()),
        ];
        self.send_tagged(email, &tags).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::Replay;
    use aws_smithy_runtime_api::client::http::SharedHttpClient;
    use cpor_domain::contact::EmailAddress;

    fn error(code: &str, message: &str) -> (u16, String) {
        let status = if code == "InternalFailure" { 500 } else { 400 };
        (
            status,
            format!(
                "<ErrorResponse xmlns=\"http://ses.amazonaws.com/doc/2010-12-01/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
            ),
        )
    }

    fn sent() -> (u16, String) {
        (
            200,
            "<SendEmailResponse xmlns=\"http://ses.amazonaws.com/doc/2010-12-01/\"><SendEmailResult><MessageId>m-1</MessageId></SendEmailResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></SendEmailResponse>".to_owned(),
        )
    }

    /// A mailer on SES answering `answers` in order, and the replay that keeps its requests.
    fn mailer(answers: Vec<(u16, String)>) -> (SesMailer, Replay) {
        let replay = Replay::default();
        for answer in answers {
            replay.answer(move |_| answer);
        }
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::for_tests(),
                ),
            )
            .http_client(SharedHttpClient::new(replay.clone()))
            .build();
        (SesMailer::new(&sdk, "cpor@example.com"), replay)
    }

    fn email() -> CustomerEmail {
        CustomerEmail {
            to: EmailAddress::parse("giulia@bücher.example").unwrap(),
            subject: "s".into(),
            text: "t".into(),
            html: "<p>h</p>".into(),
        }
    }

    #[tokio::test]
    async fn a_throttled_send_is_tried_again_after_a_pause_in_the_same_invocation() {
        // GIVEN SES throttling twice (nothing sent), then sending
        let (mailer, replay) = mailer(vec![
            error("Throttling", "Maximum sending rate exceeded."),
            error("Throttling", "Maximum sending rate exceeded."),
            sent(),
        ]);
        // WHEN the e-mail is sent
        let result = mailer.send(&email()).await;
        // THEN it goes out on the third request, with no trip through the queue
        assert_eq!(result, Ok("m-1".to_owned()));
        let requests: Vec<String> = replay.requests().into_iter().map(|r| r.body).collect();
        assert_eq!(requests.len(), 3);
        // AND to the domain's A-label form
        assert!(
            requests[0].contains("xn--bcher-kva.example"),
            "{}",
            requests[0]
        );
    }

    #[tokio::test]
    async fn a_notification_is_tagged_with_its_claim_and_notice_for_ses_s_events() {
        let (mailer, replay) = mailer(vec![sent()]);
        let claim_id = cpor_domain::ClaimId::parse("01JDX3Z8Q6V6W4S0Y1B2C3D4E5").unwrap();
        let notice = NoticeRef {
            claim_id,
            number: 2,
        };
        assert_eq!(
            mailer.send_notice(&email(), notice).await,
            Ok("m-1".to_owned())
        );
        let request = replay.requests()[0].body.clone();
        for part in [
            "Tags.member.1.Name=claim_id",
            "Tags.member.1.Value=01JDX3Z8Q6V6W4S0Y1B2C3D4E5",
            "Tags.member.2.Name=notice",
            "Tags.member.2.Value=2",
        ] {
            assert!(request.contains(part), "{part} in {request}");
        }
    }

    #[tokio::test]
    async fn a_server_error_is_an_unknown_outcome_never_retried() {
        let (mailer, replay) = mailer(vec![error("InternalFailure", "oops"), sent()]);
        let result = mailer.send(&email()).await;
        assert!(
            matches!(result, Err(SendError::OutcomeUnknown(_))),
            "{result:?}"
        );
        assert_eq!(replay.requests().len(), 1);
    }

    #[tokio::test]
    async fn a_refused_address_is_rejected_for_good_with_the_address_masked() {
        let (mailer, replay) = mailer(vec![error(
            "MessageRejected",
            "Address blacklisted: giulia@bücher.example",
        )]);
        match mailer.send(&email()).await {
            Err(SendError::Rejected(text)) => {
                assert!(!text.contains("giulia@"), "{text}");
                assert!(text.contains("g***@"), "{text}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(replay.requests().len(), 1);
    }
}
