//! The service's EventBridge bus, as the domain's [`EventBus`] port: `PutEvents`, its entries
//! accepted or refused one by one.

use crate::{SdkClient, describe};
use async_trait::async_trait;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use cpor_domain::events::{ClaimEvent, SOURCE};
use cpor_domain::ports::{EventBus, Unavailable};

/// The bus named `bus` (its name or ARN).
#[derive(Debug, Clone)]
pub struct EventBridgeBus {
    client: SdkClient<Client>,
    bus: String,
}

impl EventBridgeBus {
    pub fn new(client: impl Into<SdkClient<Client>>, bus: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            bus: bus.into(),
        }
    }
}

#[async_trait]
impl EventBus for EventBridgeBus {
    async fn put(&self, events: &[ClaimEvent]) -> Result<Vec<Option<String>>, Unavailable> {
        let entries = events
            .iter()
            .map(|e| {
                PutEventsRequestEntry::builder()
                    .event_bus_name(&self.bus)
                    .source(SOURCE)
                    .detail_type(&e.detail_type)
                    .detail(e.detail_json())
                    .build()
            })
            .collect();
        let out = self
            .client
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| Unavailable(format!("PutEvents: {}", describe(&e))))?;
        let answered = out.entries();
        // EventBridge answers one result per entry, in order; an entry it did not answer for
        // counts as refused, so that it is retried rather than taken as sent.
        Ok((0..events.len())
            .map(|i| match answered.get(i) {
                Some(result) if result.error_code().is_none() && result.event_id().is_some() => {
                    None
                }
                Some(result) => Some(format!(
                    "{}: {}",
                    result.error_code().unwrap_or("no event id"),
                    result.error_message().unwrap_or_default()
                )),
                None => Some("no result for this entry".to_owned()),
            })
            .collect())
    }
}
