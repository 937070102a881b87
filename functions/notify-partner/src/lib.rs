//! notify-partner: consumes the queue that the event bus's rule fills with the claims' events
//! (docs/api.md, "Events"). For each event the partner is told of, it e-mails the
//! partner contact, and for `associated` the customer too, each at most once however often the
//! event is delivered. Other events are acknowledged. Failed messages are reported one by one
//! (`ReportBatchItemFailures`); one that keeps failing (unreadable, or of an unknown claim)
//! reaches the dead-letter queue.

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

use aws_lambda_events::sqs::SqsMessage;
use chrono::{DateTime, Utc};
use cpor_aws::metrics::name;
use cpor_aws::sending::{SendPorts, SendingDoor, SendingJob};
use cpor_aws::{ConfigError, Metrics, Wiring};
use cpor_domain::partner_email::ReceivedEvent;
use cpor_domain::usecase::tell_partner::{MailOutcome, TellError, TellOutcome, TellPartner};
use cpor_domain::{ClaimId, ClaimStatus, HistoryEvent};
use serde::Deserialize;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "notify-partner";

/// The function: the adapters of every door that sends, and its own job.
pub type NotifyPartnerFunction = SendingDoor<Events>;

/// What notify-partner brings of its own: nothing beyond the shared adapters; it reads the
/// claims' events and tells of them.
pub struct Events;

/// Why one message failed.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// The body is not one of the service's claim events: it can never succeed.
    #[error("the message body is not a claim event: {0}")]
    Poison(String),
    #[error(transparent)]
    Tell(#[from] TellError),
}

/// An EventBridge event as the rule's SQS target delivers it: the whole event, `detail` an
/// object. Only what the e-mails need is read; the rest (`partner_id`, `tenant_id`, ...) is
/// read from the claim.
#[derive(Debug, Deserialize)]
struct BusEvent {
    source: String,
    #[serde(rename = "detail-type")]
    detail_type: String,
    detail: Detail,
}

#[derive(Debug, Deserialize)]
struct Detail {
    event_id: String,
    claim_id: ClaimId,
    sequence: u32,
    at: DateTime<Utc>,
    event: HistoryEvent,
    from: Option<ClaimStatus>,
    to: ClaimStatus,
    code: Option<String>,
}

/// The claim event of a message body, checked for consistency: an event whose parts disagree
/// is not one the publisher wrote.
pub fn parse_event(body: &str) -> Result<ReceivedEvent, MessageError> {
    let poison = |what: String| MessageError::Poison(what);
    let bus: BusEvent = serde_json::from_str(body).map_err(|e| poison(e.to_string()))?;
    let d = bus.detail;
    if bus.source != cpor_domain::events::SOURCE {
        return Err(poison(format!("source {:?}", bus.source)));
    }
    if bus.detail_type != format!("claim.{}", d.event.as_str()) {
        return Err(poison(format!("detail-type {:?}", bus.detail_type)));
    }
    if d.event_id != format!("{}/{}", d.claim_id, d.sequence) {
        return Err(poison(format!("event_id {:?}", d.event_id)));
    }
    Ok(ReceivedEvent {
        claim_id: d.claim_id,
        sequence: d.sequence,
        at: d.at,
        event: d.event,
        from: d.from,
        to: d.to,
        code: d.code,
    })
}

impl SendingJob for Events {
    const NAME: &'static str = FUNCTION;
    const MESSAGE: &'static str = "event";
    type Outcome = TellOutcome;
    type Error = MessageError;

    async fn build(_: &Wiring<'_>) -> Result<Self, ConfigError> {
        Ok(Self)
    }

    async fn process(
        &self,
        ports: &SendPorts,
        message: &SqsMessage,
    ) -> Result<TellOutcome, MessageError> {
        let event = parse_event(message.body.as_deref().unwrap_or_default())?;
        // The message's lines name its claim from here on.
        cpor_aws::logging::record_claim(event.claim_id);
        let usecase = TellPartner {
            claims: &ports.store,
            sends: ports.send_once(),
            calendar: &ports.calendar,
            keyring: &ports.keyring,
            public_base_url: &ports.public_base_url,
        };
        Ok(usecase.tell(&event).await?)
    }

    fn metrics(outcomes: Vec<TellOutcome>, failed: usize) -> Metrics {
        let (mut sent, mut held) = (0, 0);
        let mails = outcomes.into_iter().flat_map(|outcome| match outcome {
            TellOutcome::Told(mails) => mails,
            TellOutcome::NotForThePartner | TellOutcome::MovedOn(_) => Vec::new(),
        });
        for (_, outcome) in mails {
            match outcome {
                MailOutcome::Sent => sent += 1,
                MailOutcome::Held => held += 1,
                MailOutcome::AlreadySent | MailOutcome::Rejected => {}
            }
        }
        Metrics::new(FUNCTION)
            .count(name::EVENT_EMAILS_SENT, sent)
            .count(name::EVENT_EMAILS_HELD, held)
            .count(name::EVENT_EMAILS_FAILED, failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CLAIM: &str = "01JDX3Z8Q6V6W4S0Y1B2C3D4E5";

    /// A `claim.rejected` event as the rule delivers it.
    fn delivered() -> serde_json::Value {
        json!({
            "version": "0",
            "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detail-type": "claim.rejected",
            "source": "cpor",
            "account": "123456789012",
            "time": "2026-11-25T10:00:00Z",
            "region": "eu-west-1",
            "resources": [],
            "detail": {
                "event_id": format!("{CLAIM}/3"), "claim_id": CLAIM, "partner_id": "1234567",
                "tenant_id": "0f8fad5b-d9cb-469f-a165-70867728950e", "program": "osu-m365",
                "workload": "teams", "subscription_id": null, "sequence": 3,
                "at": "2026-11-25T10:00:00.000Z", "actor": "reviewer", "event": "rejected",
                "from": "submitted", "to": "rejected", "code": "insufficient_proof_of_execution"
            }
        })
    }

    #[test]
    fn an_event_as_the_rule_delivers_it_is_read_as_the_claims_event() {
        // GIVEN the whole EventBridge event, as the SQS target's body
        let body = delivered().to_string();
        // WHEN it is read
        let event = parse_event(&body).unwrap();
        // THEN it is the claim's third entry, a rejection with its code
        assert_eq!(event.claim_id.to_string(), CLAIM);
        assert_eq!(event.sequence, 3);
        assert_eq!(event.event, HistoryEvent::Rejected);
        assert_eq!(event.from, Some(ClaimStatus::Submitted));
        assert_eq!(event.to, ClaimStatus::Rejected);
        assert_eq!(
            event.code.as_deref(),
            Some("insufficient_proof_of_execution")
        );
    }

    #[test]
    fn an_event_as_the_publisher_makes_it_is_read_back_whole() {
        // GIVEN a history entry of a claim, made into its bus event by the publisher's mapping
        let claim_id = ClaimId::parse(CLAIM).unwrap();
        let subject = cpor_domain::events::EventSubject {
            partner_id: cpor_domain::PartnerId::parse("1234567").unwrap(),
            tenant_id: cpor_domain::TenantId::parse("0f8fad5b-d9cb-469f-a165-70867728950e")
                .unwrap(),
            program: cpor_domain::Program::parse("osu-m365").unwrap(),
            workload: cpor_domain::Program::parse("osu-m365")
                .unwrap()
                .workload("teams")
                .unwrap(),
            subscription_id: None,
        };
        let entry = cpor_domain::HistoryEntry {
            sequence: 5,
            at: "2026-11-25T10:00:00.123Z".parse().unwrap(),
            actor: cpor_domain::Actor::System,
            reviewer: None,
            event: HistoryEvent::EmailBounced,
            from: Some(ClaimStatus::AwaitingCustomer),
            to: ClaimStatus::CustomerUnreachable,
            code: Some("permanent_bounce".into()),
            reason: None,
            contact_change: None,
            association: None,
        };
        let published = cpor_domain::events::ClaimEvent::of(claim_id, &entry, &subject);
        // WHEN the rule delivers it (the whole event, `detail` an object) and it is read
        let mut delivered = delivered();
        delivered["detail-type"] = json!(published.detail_type);
        delivered["detail"] = serde_json::from_str(&published.detail_json()).unwrap();
        let event = parse_event(&delivered.to_string()).unwrap();
        // THEN it is the entry, as the history holds it
        assert_eq!(
            event,
            ReceivedEvent {
                claim_id,
                sequence: 5,
                at: entry.at,
                event: HistoryEvent::EmailBounced,
                from: Some(ClaimStatus::AwaitingCustomer),
                to: ClaimStatus::CustomerUnreachable,
                code: Some("permanent_bounce".into()),
            }
        );
    }

    #[test]
    fn a_body_that_is_not_one_of_the_services_events_is_poison() {
        let mut other_source = delivered();
        other_source["source"] = json!("someone-else");
        let mut wrong_type = delivered();
        wrong_type["detail-type"] = json!("claim.approved");
        let mut wrong_id = delivered();
        wrong_id["detail"]["event_id"] = json!(format!("{CLAIM}/4"));
        let mut unknown_claim_id = delivered();
        unknown_claim_id["detail"]["claim_id"] = json!("not-a-claim");
        for body in [
            "not json".to_owned(),
            json!({ "claim_id": CLAIM }).to_string(),
            other_source.to_string(),
            wrong_type.to_string(),
            wrong_id.to_string(),
            unknown_claim_id.to_string(),
        ] {
            assert!(
                matches!(parse_event(&body), Err(MessageError::Poison(_))),
                "{body}"
            );
        }
    }
}
