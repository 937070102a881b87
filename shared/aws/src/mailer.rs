//! Customer e-mail through SES.

use crate::describe;
use async_trait::async_trait;
use aws_sdk_ses::types::{Body, Content, Destination, Message};
use cpor_domain::email::CustomerEmail;
use cpor_domain::ports::{Mailer, Unavailable};

/// Sends e-mail with SES from a verified sender.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: aws_sdk_ses::Client,
    sender: String,
}

impl SesMailer {
    /// A mailer sending from `sender`.
    pub fn new(client: aws_sdk_ses::Client, sender: impl Into<String>) -> Self {
        Self {
            client,
            sender: sender.into(),
        }
    }
}

fn content(text: &str) -> Result<Content, Unavailable> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| Unavailable(format!("e-mail content: {e}")))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &CustomerEmail) -> Result<String, Unavailable> {
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
                    .to_addresses(email.to.as_str())
                    .build(),
            )
            .message(message)
            .send()
            .await
            .map_err(|e| Unavailable(format!("SendEmail: {}", describe(&e))))?;
        Ok(out.message_id().to_owned())
    }
}
