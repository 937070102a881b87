//! A partner's webhook endpoint: where its claims' events are posted, which types it asked
//! for, and whether deliveries go out to it.
//!
//! A partner has at most [`MAX_ENDPOINTS`]; each is `active` until a delivery is answered 410
//! (the receiver says it is gone) or every delivery has failed for three days, and a partner's
//! `enable` makes it active again. A rotated secret keeps signing beside the new one for
//! [`ROTATION_OVERLAP`], so a receiver can switch without losing a delivery.

use crate::claim::HistoryEvent;
use crate::command::{BodyError, read_object};
use crate::ids::PartnerId;
use crate::validation::{FieldCode, Invalid, check_text};
use crate::webhook::url::{Allowance, WebhookUrl};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use std::collections::BTreeSet;

/// The most endpoints one partner may register.
pub const MAX_ENDPOINTS: u32 = 5;

/// How long a rotated secret keeps signing beside its successor.
pub const ROTATION_OVERLAP: TimeDelta = TimeDelta::hours(24);

/// The longest description, in characters.
pub const MAX_DESCRIPTION: usize = 256;

/// The `detail-type` prefix of the claims' events on the bus.
pub const CLAIM_EVENT_PREFIX: &str = "claim.";

/// The `detail-type` of the event `POST /v1/webhooks/{id}/test` puts on the bus: delivered to
/// the endpoint it names alone, whatever types that endpoint asked for (so it cannot be asked
/// for in a filter).
pub const TEST_EVENT: &str = "webhook.test";

/// The event types an endpoint may ask for: `claim.<event>` for each history event.
pub fn event_types() -> impl Iterator<Item = String> {
    HistoryEvent::ALL
        .iter()
        .map(|e| format!("{CLAIM_EVENT_PREFIX}{}", e.as_str()))
}

crate::ids::ulid_id!(
    /// An endpoint's id: a partner's endpoints list in the order they were made.
    WebhookId,
    "webhook id"
);

/// Which events an endpoint is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventFilter {
    /// Every type, those added later included (`["*"]`).
    All,
    /// These `claim.<event>` types only.
    Types(BTreeSet<String>),
}

impl EventFilter {
    /// Reads the request's `events`: `["*"]`, or a non-empty list of known types.
    pub fn read(value: &Value) -> Result<Self, Invalid> {
        let list = value
            .as_array()
            .ok_or_else(|| Invalid::new(FieldCode::InvalidType, "must be a list of event types"))?;
        let mut names = Vec::with_capacity(list.len());
        for item in list {
            names.push(item.as_str().ok_or_else(|| {
                Invalid::new(FieldCode::InvalidType, "must be a list of event types")
            })?);
        }
        Self::parse(&names)
    }

    /// A filter of these names: `["*"]` alone, or known types.
    pub fn parse(names: &[&str]) -> Result<Self, Invalid> {
        match names {
            [] => Err(Invalid::new(
                FieldCode::Empty,
                "must name at least one event type, or \"*\" for all",
            )),
            ["*"] => Ok(Self::All),
            names if names.contains(&"*") => Err(Invalid::new(
                FieldCode::InvalidValue,
                "\"*\" stands for every type and is given alone",
            )),
            names => {
                let known: BTreeSet<String> = event_types().collect();
                let mut types = BTreeSet::new();
                for name in names {
                    if !known.contains(*name) {
                        let why = if *name == TEST_EVENT {
                            format!(
                                "{TEST_EVENT} is delivered to the endpoint tested, whatever it asked for"
                            )
                        } else {
                            format!(
                                "{name:?} is not an event type; they are: {}",
                                known.iter().cloned().collect::<Vec<_>>().join(", ")
                            )
                        };
                        return Err(Invalid::new(FieldCode::InvalidValue, why));
                    }
                    types.insert((*name).to_owned());
                }
                Ok(Self::Types(types))
            }
        }
    }

    /// Whether an event of `detail_type` is sent under this filter (a test event is decided by
    /// the endpoint it names, not here).
    pub fn accepts(&self, detail_type: &str) -> bool {
        match self {
            Self::All => detail_type.starts_with(CLAIM_EVENT_PREFIX),
            Self::Types(types) => types.contains(detail_type),
        }
    }

    /// The names, as the API shows them and the table keeps them.
    pub fn names(&self) -> Vec<String> {
        match self {
            Self::All => vec!["*".to_owned()],
            Self::Types(types) => types.iter().cloned().collect(),
        }
    }
}

/// Why an endpoint was disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisabledReason {
    /// A delivery was answered 410 Gone.
    Gone,
    /// Every delivery failed for three days.
    Failing,
}

impl DisabledReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gone => "gone",
            Self::Failing => "failing",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "gone" => Some(Self::Gone),
            "failing" => Some(Self::Failing),
            _ => None,
        }
    }
}

/// Whether deliveries go out to an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointStatus {
    Active,
    Disabled(DisabledReason),
}

impl EndpointStatus {
    /// `active` or `disabled`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled(_) => "disabled",
        }
    }
}

/// A registered endpoint (its secrets are kept apart, encrypted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: WebhookId,
    pub partner_id: PartnerId,
    pub url: WebhookUrl,
    pub events: EventFilter,
    pub description: Option<String>,
    pub status: EndpointStatus,
    pub created_at: DateTime<Utc>,
    /// Until when the secret before the last rotation signs too.
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// The first failed attempt since the last delivery that succeeded.
    pub failing_since: Option<DateTime<Utc>>,
    pub version: u64,
}

impl Endpoint {
    /// A new endpoint of `partner`'s, registered at `now`: active.
    pub fn new(partner: PartnerId, request: NewEndpoint, now: DateTime<Utc>) -> Self {
        Self {
            id: WebhookId::new_at(now),
            partner_id: partner,
            url: request.url,
            events: request.events,
            description: request.description,
            status: EndpointStatus::Active,
            created_at: now,
            previous_secret_until: None,
            failing_since: None,
            version: 1,
        }
    }

    /// Whether the secret before the last rotation still signs at `now`.
    pub fn previous_secret_signs(&self, now: DateTime<Utc>) -> bool {
        self.previous_secret_until.is_some_and(|until| now < until)
    }
}

/// Until when a secret rotated at `now` keeps signing.
pub fn previous_secret_until(now: DateTime<Utc>) -> DateTime<Utc> {
    now + ROTATION_OVERLAP
}

/// `POST /v1/webhooks`: `{ "url", "events", "description"? }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEndpoint {
    pub url: WebhookUrl,
    pub events: EventFilter,
    pub description: Option<String>,
}

impl NewEndpoint {
    /// Reads the request's body, its URL under `allowance`.
    pub fn read(body: &Value, allowance: Allowance) -> Result<Self, BodyError> {
        read_object(body, &["url", "events", "description"], |r, e| {
            let url = r.required("url", e, |text| WebhookUrl::parse(text, allowance));
            let events = match r.value("events") {
                None => {
                    e.push("events", Invalid::new(FieldCode::Required, "is required"));
                    None
                }
                Some(value) => r.record("events", EventFilter::read(value), e),
            };
            let description = r.optional("description", e, |text| {
                check_text(text, MAX_DESCRIPTION).map(str::to_owned)
            });
            Some(Self {
                url: url?,
                events: events?,
                description: description?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn codes(body: &Value) -> Vec<(String, FieldCode)> {
        match NewEndpoint::read(body, Allowance::PublicOnly) {
            Err(BodyError::Invalid(errors)) => errors
                .errors()
                .iter()
                .map(|e| (e.field.clone(), e.code))
                .collect(),
            Err(BodyError::NotAnObject) => vec![("".into(), FieldCode::InvalidType)],
            Ok(_) => vec![],
        }
    }

    #[test]
    fn an_endpoint_asks_for_known_claim_event_types_or_all_of_them() {
        // GIVEN registrations asking for types, or all
        let read = |events: Value| {
            NewEndpoint::read(
                &json!({ "url": "https://hooks.example.com/cpor", "events": events }),
                Allowance::PublicOnly,
            )
            .unwrap()
            .events
        };
        // THEN a list of known types is kept as a set, and "*" alone means every claim event
        let types = read(json!([
            "claim.approved",
            "claim.associated",
            "claim.approved"
        ]));
        assert_eq!(types.names(), vec!["claim.approved", "claim.associated"]);
        assert!(types.accepts("claim.approved"));
        assert!(!types.accepts("claim.declined"));
        let all = read(json!(["*"]));
        assert_eq!(all, EventFilter::All);
        assert!(all.accepts("claim.expired"));
        assert!(!all.accepts(TEST_EVENT));
    }

    #[test]
    fn every_history_event_is_a_type_an_endpoint_may_ask_for() {
        let types: Vec<String> = event_types().collect();
        assert_eq!(types.len(), 20);
        for name in [
            "claim.submitted",
            "claim.information_requested",
            "claim.customer_notified",
            "claim.contest_received",
            "claim.expired",
        ] {
            assert!(types.iter().any(|t| t == name), "{name}");
        }
    }

    #[test]
    fn unknown_types_an_empty_list_star_among_types_and_the_test_event_are_refused() {
        for events in [
            json!(["claim.opened"]),
            json!(["approved"]),
            json!([]),
            json!(["*", "claim.approved"]),
            json!([TEST_EVENT]),
            json!("*"),
            json!([1]),
        ] {
            let found = codes(&json!({ "url": "https://hooks.example.com/", "events": events }));
            assert_eq!(found.len(), 1, "{events}");
            assert_eq!(found[0].0, "events", "{events}");
        }
    }

    #[test]
    fn every_bad_field_of_a_registration_is_told_at_once() {
        // GIVEN a registration with a bad URL, no events, an unknown field and a description
        // with a line break
        let found = codes(&json!({
            "url": "http://10.0.0.1/",
            "description": "one\ntwo",
            "secret": "mine",
        }));
        // THEN each is refused with its code
        assert_eq!(
            found,
            vec![
                ("secret".to_owned(), FieldCode::UnknownField),
                ("url".to_owned(), FieldCode::InvalidWebhookUrl),
                ("events".to_owned(), FieldCode::Required),
                ("description".to_owned(), FieldCode::InvalidCharacters),
            ]
        );
    }

    #[test]
    fn a_rotated_secret_signs_for_24_hours_and_then_no_more() {
        // GIVEN an endpoint whose secret was rotated at noon
        let noon = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
        let request = NewEndpoint::read(
            &json!({ "url": "https://hooks.example.com/", "events": ["*"] }),
            Allowance::PublicOnly,
        )
        .unwrap();
        let mut endpoint = Endpoint::new(PartnerId::parse("1234567").unwrap(), request, noon);
        assert!(!endpoint.previous_secret_signs(noon));
        endpoint.previous_secret_until = Some(previous_secret_until(noon));
        // THEN the previous secret signs until noon the next day, not at it
        let next_noon = noon + TimeDelta::hours(24);
        assert!(endpoint.previous_secret_signs(next_noon - TimeDelta::milliseconds(1)));
        assert!(!endpoint.previous_secret_signs(next_noon));
    }

    #[test]
    fn a_webhook_id_is_a_ulid_of_its_registration_time() {
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
        let id = WebhookId::new_at(at);
        assert_eq!(WebhookId::parse(&id.to_string()), Some(id));
        assert_eq!(WebhookId::parse("not-an-id"), None);
        assert_eq!(WebhookId::parse(&format!("{id}0")), None);
    }
}
