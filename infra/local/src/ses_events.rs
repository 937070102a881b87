//! SES's `Send` and `Delivery` events, locally. The emulator's SES keeps the messages it accepted
//! but publishes no event, and forgets their message tags; in AWS the configuration set's event
//! destination publishes a `Send` and a `Delivery` event of every message it accepted to the
//! feedback topic, its tags included.
//!
//! Here a connector inside the SDK's HTTP client (below the fault injection, so that it sees
//! what the emulator really answered) notes each `SendEmail` the emulator accepted (a 200 with
//! a message id: an e-mail whose answer the fault injection then loses counts, one refused or
//! never sent does not), and [`publish`] publishes both events to the topic with a client that
//! the faults reach as they reach AWS: a publish that fails is tried again on the next round,
//! so an event may come late, but it comes.

use crate::faults::operation_of;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use cpor_domain::clock::Clock;
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// The configuration set the local events name, as the template's would.
const CONFIGURATION_SET: &str = "cpor-local-customer-mail";

/// A message the emulator's SES accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub message_id: String,
    pub source: String,
    pub destination: Vec<String>,
    /// The message tags, name to value.
    pub tags: BTreeMap<String, String>,
    /// When it was accepted, by the stack's clock.
    pub at: String,
}

/// The accepted messages whose events are still to be published.
pub struct SesEvents {
    pending: Mutex<VecDeque<Accepted>>,
    published: Mutex<u64>,
    clock: Mutex<Arc<dyn Clock>>,
}

impl std::fmt::Debug for SesEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SesEvents")
            .field("pending", &self.pending())
            .finish_non_exhaustive()
    }
}

impl SesEvents {
    /// An empty record, timing acceptances by `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Arc<Self> {
        Arc::new(Self {
            pending: Mutex::new(VecDeque::new()),
            published: Mutex::new(0),
            clock: Mutex::new(clock),
        })
    }

    /// Times acceptances by `clock` from now on (the stack's, which a test may set).
    pub fn set_clock(&self, clock: Arc<dyn Clock>) {
        if let Ok(mut current) = self.clock.lock() {
            *current = clock;
        }
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock
            .lock()
            .map(|c| c.now())
            .unwrap_or_else(|_| chrono::Utc::now())
    }

    /// How many accepted messages still wait for their events to be published.
    pub fn pending(&self) -> usize {
        self.pending.lock().map(|p| p.len()).unwrap_or_default()
    }

    /// How many messages' events were published.
    pub fn published(&self) -> u64 {
        self.published.lock().map(|p| *p).unwrap_or_default()
    }

    fn accept(&self, accepted: Accepted) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.push_back(accepted);
        }
    }

    fn take(&self) -> Vec<Accepted> {
        self.pending
            .lock()
            .map(|mut p| p.drain(..).collect())
            .unwrap_or_default()
    }

    fn put_back(&self, unpublished: Vec<Accepted>) {
        if let Ok(mut pending) = self.pending.lock() {
            for accepted in unpublished.into_iter().rev() {
                pending.push_front(accepted);
            }
        }
    }

    /// The client to give the SDK: `inner`, noting what SES accepted.
    pub fn wrap(self: &Arc<Self>, inner: SharedHttpClient) -> SharedHttpClient {
        SharedHttpClient::new(Observer {
            inner,
            events: self.clone(),
        })
    }
}

/// The `Send` event of `accepted`, or its `Delivery` event, as SES's event destination
/// publishes them ("Amazon SES event data published to Amazon SNS").
pub fn event(kind: &str, accepted: &Accepted) -> Value {
    let mut tags: BTreeMap<String, Vec<String>> = accepted
        .tags
        .iter()
        .map(|(name, value)| (name.clone(), vec![value.clone()]))
        .collect();
    tags.insert(
        "ses:configuration-set".into(),
        vec![CONFIGURATION_SET.into()],
    );
    let mail = json!({
        "timestamp": accepted.at,
        "source": accepted.source,
        "sendingAccountId": crate::iam::calls::EMULATOR_ACCOUNT,
        "messageId": accepted.message_id,
        "destination": accepted.destination,
        "headersTruncated": false,
        "tags": tags,
    });
    match kind {
        "Delivery" => json!({
            "eventType": "Delivery",
            "mail": mail,
            "delivery": {
                "timestamp": accepted.at,
                "processingTimeMillis": 512,
                "recipients": accepted.destination,
                "smtpResponse": "250 2.6.0 Message received",
                "reportingMTA": "a8-70.smtp-out.amazonses.com",
            },
        }),
        _ => json!({ "eventType": "Send", "mail": mail, "send": {} }),
    }
}

/// Publishes the events of every accepted message to `topic` until `shutdown` changes; what
/// cannot be published now is tried again on the next round.
pub async fn publish(
    events: Arc<SesEvents>,
    sns: aws_sdk_sns::Client,
    topic: String,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
        let mut unpublished = Vec::new();
        for accepted in events.take() {
            let mut published = true;
            for kind in ["Send", "Delivery"] {
                let message = event(kind, &accepted).to_string();
                if let Err(e) = sns
                    .publish()
                    .topic_arn(&topic)
                    .message(message)
                    .send()
                    .await
                {
                    tracing::debug!(error = %cpor_aws::describe(&e), "an SES event is published later");
                    published = false;
                    break;
                }
            }
            if published {
                if let Ok(mut count) = events.published.lock() {
                    *count += 1;
                }
            } else {
                // Sent again whole: a Send event twice is what SNS's at-least-once delivery
                // gives too.
                unpublished.push(accepted);
            }
        }
        events.put_back(unpublished);
    }
}

#[derive(Debug)]
struct Observer {
    inner: SharedHttpClient,
    events: Arc<SesEvents>,
}

impl HttpClient for Observer {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(ObservingConnector {
            inner: self.inner.http_connector(settings, components),
            events: self.events.clone(),
        })
    }
}

#[derive(Debug)]
struct ObservingConnector {
    inner: SharedHttpConnector,
    events: Arc<SesEvents>,
}

/// What a `SendEmail` request says of its message: its sender, recipients and tags.
fn request_of(body: &[u8]) -> (String, Vec<String>, BTreeMap<String, String>) {
    let fields: BTreeMap<String, String> = form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let source = fields.get("Source").cloned().unwrap_or_default();
    let destination = fields
        .iter()
        .filter(|(k, _)| k.starts_with("Destination.ToAddresses.member."))
        .map(|(_, v)| v.clone())
        .collect();
    let tags = (1..)
        .map_while(|n| {
            let name = fields.get(&format!("Tags.member.{n}.Name"))?;
            let value = fields.get(&format!("Tags.member.{n}.Value"))?;
            Some((name.clone(), value.clone()))
        })
        .collect();
    (source, destination, tags)
}

/// The message id of SES's answer to a `SendEmail`.
fn message_id_of(answer: &str) -> Option<String> {
    let start = answer.find("<MessageId>")? + "<MessageId>".len();
    let end = answer[start..].find("</MessageId>")? + start;
    Some(answer[start..end].trim().to_owned())
}

impl HttpConnector for ObservingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (service, operation) = operation_of(&request);
        if service != "SES" || operation != "SendEmail" {
            return self.inner.call(request);
        }
        let (source, destination, tags) = request_of(request.body().bytes().unwrap_or_default());
        let answered = self.inner.call(request);
        let events = self.events.clone();
        HttpConnectorFuture::new(async move {
            let mut response = answered.await?;
            let status = response.status();
            let body = response.take_body();
            let bytes = ByteStream::new(body)
                .collect()
                .await
                .map(|b| b.into_bytes())
                .unwrap_or_default();
            if status.as_u16() == 200
                && let Some(message_id) = message_id_of(&String::from_utf8_lossy(&bytes))
            {
                events.accept(Accepted {
                    message_id,
                    source,
                    destination,
                    tags,
                    at: cpor_domain::time::format_instant(events.now()),
                });
            }
            *response.body_mut() = SdkBody::from(bytes);
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_send_email_request_and_answer_give_the_message_its_tags_and_id() {
        let body = b"Action=SendEmail&Version=2010-12-01&Source=cpor%40example.com&Destination.ToAddresses.member.1=giulia%40contoso.com&Tags.member.1.Name=claim_id&Tags.member.1.Value=01JDX3Z8Q6V6W4S0Y1B2C3D4E5&Tags.member.2.Name=notice&Tags.member.2.Value=1";
        let (source, destination, tags) = request_of(body);
        assert_eq!(source, "cpor@example.com");
        assert_eq!(destination, vec!["giulia@contoso.com".to_owned()]);
        assert_eq!(tags["claim_id"], "01JDX3Z8Q6V6W4S0Y1B2C3D4E5");
        assert_eq!(tags["notice"], "1");
        let answer = "<SendEmailResponse><SendEmailResult><MessageId>abc-1</MessageId></SendEmailResult></SendEmailResponse>";
        assert_eq!(message_id_of(answer).as_deref(), Some("abc-1"));
        // AND its Send event carries the tags as SES publishes them
        let accepted = Accepted {
            message_id: "abc-1".into(),
            source,
            destination,
            tags,
            at: "2026-11-25T10:00:00.000Z".into(),
        };
        let send = event("Send", &accepted);
        assert_eq!(send["eventType"], "Send");
        assert_eq!(send["mail"]["tags"]["notice"], json!(["1"]));
        assert_eq!(event("Delivery", &accepted)["eventType"], "Delivery");
    }
}
