//! Partners' webhook endpoints as the partners' door (manage-claims) registers and manages
//! them: each URL checked (in AWS its host resolved, every address public), each secret drawn
//! from the OS's random source and sealed with the service's KMS key before it is stored, shown
//! once; and the test event put on the service's bus for the delivery function.

use crate::dynamo::webhooks::{AttemptRecord, CreateWebhookError};
use crate::{DynamoStore, SdkClient, describe};
use async_trait::async_trait;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use cpor_domain::clock::Clock;
use cpor_domain::command::BodyError;
use cpor_domain::events::SOURCE;
use cpor_domain::ids::PartnerId;
use cpor_domain::ports::Unavailable;
use cpor_domain::time::format_instant;
use cpor_domain::validation::ValidationErrors;
use cpor_domain::webhook::endpoint::{
    Endpoint, EndpointStatus, NewEndpoint, TEST_EVENT, WebhookId, previous_secret_until,
};
use cpor_domain::webhook::secret::WebhookSecret;
use cpor_domain::webhook::url::{Allowance, refused_addresses};
use std::net::IpAddr;
use std::sync::Arc;

/// The key that seals the secrets: `CPOR_WEBHOOK_KEY_ID` (a key id or ARN).
pub const WEBHOOK_KEY_ID: &str = "CPOR_WEBHOOK_KEY_ID";

/// Whether loopback endpoints (over `http` too) may be registered and delivered to:
/// `CPOR_WEBHOOKS_ALLOW_LOOPBACK=1`, the local stack only; never set in AWS.
pub const WEBHOOKS_ALLOW_LOOPBACK: &str = "CPOR_WEBHOOKS_ALLOW_LOOPBACK";

/// The most messages of the webhooks' queue deliver-webhooks is handed at once (its event
/// source mapping's `BatchSize`): a batch is one round of the function, whose table calls
/// (a read, a write) are the same few whatever its size, so the more events a round carries,
/// the fewer calls an event costs.
pub const DELIVERY_BATCH_SIZE: i32 = 100;

/// How long Lambda may wait to fill a batch of [`DELIVERY_BATCH_SIZE`] from a queue that holds
/// fewer (`MaximumBatchingWindowInSeconds`; SQS asks for at least 1 second above 10 messages):
/// at low volume, a delivery may start up to this much later.
pub const DELIVERY_BATCHING_WINDOW_SECONDS: i32 = 1;
const _: () = assert!(
    DELIVERY_BATCH_SIZE <= 10 || DELIVERY_BATCHING_WINDOW_SECONDS >= 1,
    "SQS needs a batching window above 10 messages a batch"
);

/// How many attempts `GET /v1/webhooks/{id}` shows.
pub const RECENT_DELIVERIES: u32 = 20;

/// The encryption context of a secret: which partner's endpoint it is, so a ciphertext copied
/// to another endpoint's item does not decrypt there.
fn encryption_context(partner: &PartnerId, id: WebhookId) -> [(String, String); 2] {
    [
        ("partner_id".to_owned(), partner.to_string()),
        ("webhook_id".to_owned(), id.to_string()),
    ]
}

/// The service's KMS key, sealing and opening webhook secrets.
#[derive(Debug, Clone)]
pub struct WebhookKey {
    client: SdkClient<aws_sdk_kms::Client>,
    key_id: String,
}

impl WebhookKey {
    pub fn new(
        client: impl Into<SdkClient<aws_sdk_kms::Client>>,
        key_id: impl Into<String>,
    ) -> Self {
        Self {
            client: client.into(),
            key_id: key_id.into(),
        }
    }

    /// The ciphertext of the secret's text.
    pub async fn seal(
        &self,
        secret: &WebhookSecret,
        partner: &PartnerId,
        id: WebhookId,
    ) -> Result<Vec<u8>, Unavailable> {
        let out = self
            .client
            .encrypt()
            .key_id(&self.key_id)
            .plaintext(secret.expose().into_bytes().into())
            .set_encryption_context(Some(encryption_context(partner, id).into_iter().collect()))
            .send()
            .await
            .map_err(|e| Unavailable(format!("KMS Encrypt: {}", describe(&e))))?;
        out.ciphertext_blob
            .map(|b| b.into_inner())
            .ok_or_else(|| Unavailable("KMS Encrypt answered no ciphertext".into()))
    }

    /// The secret a ciphertext of [`WebhookKey::seal`] holds, for the same endpoint.
    pub async fn open(
        &self,
        ciphertext: &[u8],
        partner: &PartnerId,
        id: WebhookId,
    ) -> Result<WebhookSecret, Unavailable> {
        let out = self
            .client
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(ciphertext.to_vec().into())
            .set_encryption_context(Some(encryption_context(partner, id).into_iter().collect()))
            .send()
            .await
            .map_err(|e| Unavailable(format!("KMS Decrypt: {}", describe(&e))))?;
        out.plaintext
            .and_then(|p| String::from_utf8(p.into_inner()).ok())
            .and_then(|text| WebhookSecret::parse(&text))
            .ok_or_else(|| Unavailable(format!("webhook {id}: the sealed secret is not one")))
    }
}

/// What a host name resolves to: the system's resolver in AWS; the local stack may give its
/// own answers, so a test can register a name that resolves to loopback without DNS.
#[async_trait]
pub trait Resolve: Send + Sync {
    /// Every address of `host`; an error when it has none or cannot be resolved.
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<IpAddr>, String>;
}

/// The system's resolver (`getaddrinfo`, through tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

#[async_trait]
impl Resolve for SystemResolver {
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<IpAddr>, String> {
        tokio::net::lookup_host((host, port))
            .await
            .map(|addresses| addresses.map(|a| a.ip()).collect())
            .map_err(|e| e.to_string())
    }
}

/// Why a webhook request was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("no such webhook")]
    NotFound,
    #[error("too many webhooks")]
    TooMany,
    /// A test of an endpoint that is not active (nothing would be delivered).
    #[error("the webhook is disabled")]
    Disabled,
    #[error(transparent)]
    Body(#[from] BodyError),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl From<CreateWebhookError> for WebhookError {
    fn from(error: CreateWebhookError) -> Self {
        match error {
            CreateWebhookError::TooMany => Self::TooMany,
            CreateWebhookError::Unavailable(e) => Self::Unavailable(e),
        }
    }
}

/// Endpoints as the partners' door registers, reads and changes them.
#[derive(Clone)]
pub struct WebhookDesk {
    store: DynamoStore,
    key: WebhookKey,
    bus: SdkClient<aws_sdk_eventbridge::Client>,
    bus_name: String,
    allowance: Allowance,
    resolver: Arc<dyn Resolve>,
    clock: Arc<dyn Clock>,
}

/// The bus a desk puts test events on.
pub struct TestBus {
    pub client: SdkClient<aws_sdk_eventbridge::Client>,
    pub name: String,
}

impl WebhookDesk {
    pub fn new(
        store: DynamoStore,
        key: WebhookKey,
        bus: TestBus,
        allowance: Allowance,
        resolver: Arc<dyn Resolve>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            key,
            bus: bus.client,
            bus_name: bus.name,
            allowance,
            resolver,
            clock,
        }
    }

    /// Registers `partner`'s endpoint from a request's body: the endpoint, and its secret (to
    /// be shown this once).
    pub async fn register(
        &self,
        partner: &PartnerId,
        body: &serde_json::Value,
    ) -> Result<(Endpoint, WebhookSecret), WebhookError> {
        let request = NewEndpoint::read(body, self.allowance)?;
        self.check_host(&request).await?;
        let endpoint = Endpoint::new(partner.clone(), request, self.clock.now());
        let secret = WebhookSecret::generate().map_err(|e| Unavailable(e.to_string()))?;
        let sealed = self.key.seal(&secret, partner, endpoint.id).await?;
        self.store.create_webhook(&endpoint, &sealed).await?;
        Ok((endpoint, secret))
    }

    /// In AWS, every address the host resolves to must be public (the delivery checks again
    /// at each delivery: DNS may change). The local stack, which allows loopback receivers,
    /// leaves it to the delivery: it may have no DNS at all.
    async fn check_host(&self, request: &NewEndpoint) -> Result<(), WebhookError> {
        let (Allowance::PublicOnly, Some((host, port))) = (self.allowance, request.url.host())
        else {
            return Ok(());
        };
        let addresses = match self.resolver.resolve(host, port).await {
            Ok(addresses) => addresses,
            Err(e) => {
                tracing::info!(error = %e, "a webhook's host did not resolve");
                Vec::new()
            }
        };
        match refused_addresses(&addresses, cpor_domain::webhook::address::is_public) {
            None => Ok(()),
            Some(invalid) => {
                Err(BodyError::Invalid(ValidationErrors::single("url", invalid)).into())
            }
        }
    }

    /// The partner's endpoints, oldest first.
    pub async fn list(&self, partner: &PartnerId) -> Result<Vec<Endpoint>, WebhookError> {
        Ok(self.store.webhooks(partner).await?)
    }

    /// The partner's endpoint `id`, with its latest attempts (newest first).
    pub async fn read(
        &self,
        partner: &PartnerId,
        id: &str,
    ) -> Result<(Endpoint, Vec<AttemptRecord>), WebhookError> {
        let id = webhook_id(id)?;
        let endpoint = self
            .store
            .webhook(partner, id)
            .await?
            .ok_or(WebhookError::NotFound)?
            .endpoint;
        let attempts = self.store.webhook_attempts(id, RECENT_DELIVERIES).await?;
        Ok((endpoint, attempts))
    }

    /// A new secret for the endpoint; the one it replaces signs beside it for 24 hours.
    pub async fn rotate(
        &self,
        partner: &PartnerId,
        id: &str,
    ) -> Result<(Endpoint, WebhookSecret), WebhookError> {
        let id = webhook_id(id)?;
        // Read first: no key is used, and no secret made, for an endpoint that is not there.
        self.store
            .webhook(partner, id)
            .await?
            .ok_or(WebhookError::NotFound)?;
        let secret = WebhookSecret::generate().map_err(|e| Unavailable(e.to_string()))?;
        let sealed = self.key.seal(&secret, partner, id).await?;
        let until = previous_secret_until(self.clock.now());
        let endpoint = self
            .store
            .rotate_webhook_secret(partner, id, &sealed, until)
            .await?
            .ok_or(WebhookError::NotFound)?;
        Ok((endpoint, secret))
    }

    /// Puts a `webhook.test` event for the endpoint on the bus; its event id.
    pub async fn test(&self, partner: &PartnerId, id: &str) -> Result<String, WebhookError> {
        let id = webhook_id(id)?;
        let endpoint = self
            .store
            .webhook(partner, id)
            .await?
            .ok_or(WebhookError::NotFound)?
            .endpoint;
        if endpoint.status != EndpointStatus::Active {
            return Err(WebhookError::Disabled);
        }
        let now = self.clock.now();
        let event_id = format!("test/{}", ulid::Ulid::from_datetime(now.into()));
        let detail = serde_json::json!({
            "event_id": event_id,
            "partner_id": partner.as_str(),
            "webhook_id": id.to_string(),
            "at": format_instant(now),
        });
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus_name)
            .source(SOURCE)
            .detail_type(TEST_EVENT)
            .detail(detail.to_string())
            .build();
        let out = self
            .bus
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| Unavailable(format!("PutEvents: {}", describe(&e))))?;
        match out.entries().first() {
            Some(result) if result.error_code().is_none() && result.event_id().is_some() => {
                Ok(event_id)
            }
            Some(result) => Err(Unavailable(format!(
                "PutEvents refused the test event: {}",
                result.error_code().unwrap_or("no event id")
            ))
            .into()),
            None => Err(Unavailable("PutEvents answered no result".into()).into()),
        }
    }

    /// Makes a disabled endpoint active again (an active one stays so).
    pub async fn enable(&self, partner: &PartnerId, id: &str) -> Result<Endpoint, WebhookError> {
        let id = webhook_id(id)?;
        self.store
            .enable_webhook(partner, id)
            .await?
            .ok_or(WebhookError::NotFound)
    }

    /// Removes the endpoint: nothing more is delivered to it.
    pub async fn delete(&self, partner: &PartnerId, id: &str) -> Result<(), WebhookError> {
        let id = webhook_id(id)?;
        if self.store.delete_webhook(partner, id).await? {
            Ok(())
        } else {
            Err(WebhookError::NotFound)
        }
    }
}

/// The endpoint a path names; a malformed id names none.
fn webhook_id(text: &str) -> Result<WebhookId, WebhookError> {
    WebhookId::parse(text).ok_or(WebhookError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpor_domain::webhook::address::is_public;

    #[tokio::test]
    async fn the_system_resolver_s_answer_for_a_name_of_etc_hosts_on_loopback_is_refused() {
        // GIVEN a name the system resolves from /etc/hosts to loopback (no DNS needed)
        let addresses = SystemResolver.resolve("localhost", 443).await.unwrap();
        // THEN its addresses are all loopback, and the host is refused for them
        assert!(!addresses.is_empty());
        assert!(addresses.iter().all(IpAddr::is_loopback), "{addresses:?}");
        assert!(refused_addresses(&addresses, is_public).is_some());
    }

    #[tokio::test]
    async fn a_name_that_does_not_resolve_is_refused() {
        // (`.invalid` never resolves: RFC 6761)
        let answer = SystemResolver.resolve("cpor-test.invalid", 443).await;
        let addresses = answer.unwrap_or_default();
        assert!(refused_addresses(&addresses, is_public).is_some());
    }
}
