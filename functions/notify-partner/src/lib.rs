//! notify-partner: consumes the queue that the event bus's rule fills with the claims' events
//! (docs/api.md, "Events"). For each event the partner is told of, it e-mails the
//! partner contact, and for `associated` the customer too, each at most once however often the
//! event is delivered. Other events are acknowledged. Failed messages are reported one by one
//! (`ReportBatchItemFailures`); one that keeps failing (unreadable, or of an unknown claim)
//! reaches the dead-letter queue.

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use cpor_aws::metrics::name;
use cpor_aws::{ConfigError, Door, DynamoStore, Metrics, SesMailer, Wiring};
use cpor_domain::clock::Clock;
use cpor_domain::partner_email::ReceivedEvent;
use cpor_domain::usecase::send::{SEND_LEASE, SendOnce};
use cpor_domain::usecase::tell_partner::{MailOutcome, TellError, TellOutcome, TellPartner};
use cpor_domain::{BusinessCalendar, ClaimId, ClaimStatus, HistoryEvent, OptOutKeyring};
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "notify-partner";

/// The function: its clients and settings, built once per execution environment.
pub struct NotifyPartnerFunction {
    store: DynamoStore,
    mailer: SesMailer,
    clock: Arc<dyn Clock>,
    calendar: BusinessCalendar,
    keyring: OptOutKeyring,
    public_base_url: String,
    send_lease: chrono::TimeDelta,
}

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

impl NotifyPartnerFunction {
    /// The function on these adapters and settings.
    pub fn new(
        store: DynamoStore,
        mailer: SesMailer,
        clock: Arc<dyn Clock>,
        calendar: BusinessCalendar,
        keyring: OptOutKeyring,
        public_base_url: String,
    ) -> Self {
        Self {
            store,
            mailer,
            clock,
            calendar,
            keyring,
            public_base_url,
            send_lease: SEND_LEASE,
        }
    }

    /// Processes one message.
    pub async fn process(&self, message: &SqsMessage) -> Result<TellOutcome, MessageError> {
        let event = parse_event(message.body.as_deref().unwrap_or_default())?;
        // The message's lines name its claim from here on.
        cpor_aws::logging::record_claim(event.claim_id);
        let usecase = TellPartner {
            claims: &self.store,
            sends: SendOnce {
                ledger: &self.store,
                mailer: &self.mailer,
                clock: self.clock.as_ref(),
                pause: &cpor_aws::TokioPause,
                send_lease: self.send_lease,
            },
            calendar: &self.calendar,
            keyring: &self.keyring,
            public_base_url: &self.public_base_url,
        };
        Ok(usecase.tell(&event).await?)
    }

    /// Handles a batch; the answer names the messages to be retried.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let (results, response) = cpor_aws::batch::process(&event, |message| async move {
            let result = self.process(message).await;
            match &result {
                Ok(outcome) => tracing::info!(?outcome, "event processed"),
                Err(error) => {
                    tracing::warn!(%error, "event failed; the queue will retry it")
                }
            }
            result
        })
        .await;
        let (mut sent, mut held) = (0, 0);
        for outcome in results.into_iter().flatten() {
            match outcome {
                TellOutcome::Told(mails) => {
                    for (_, outcome) in mails {
                        match outcome {
                            MailOutcome::Sent => sent += 1,
                            MailOutcome::Held => held += 1,
                            MailOutcome::AlreadySent | MailOutcome::Rejected => {}
                        }
                    }
                }
                TellOutcome::NotForThePartner | TellOutcome::MovedOn(_) => {}
            }
        }
        Metrics::new(FUNCTION)
            .count(name::EVENT_EMAILS_SENT, sent)
            .count(name::EVENT_EMAILS_HELD, held)
            .count(
                name::EVENT_EMAILS_FAILED,
                response.batch_item_failures.len(),
            )
            .emit();
        response
    }
}

impl Door for NotifyPartnerFunction {
    const NAME: &'static str = FUNCTION;
    type Event = SqsEvent;
    type Output = SqsBatchResponse;
    // Failed messages are reported one by one in the answer, never by failing the batch.
    type Error = Infallible;

    /// On the table (`CPOR_TABLE_NAME`), SES (`CPOR_SENDER_EMAIL`), the business calendar
    /// (`CPOR_HOLIDAYS`, for `response_due`), the opt-out keyring (`CPOR_TOKEN_SECRET_ARN` or
    /// `CPOR_TOKEN_SECRET`, `CPOR_TOKEN_KEY_ID`: the customer's link in the official e-mail) and
    /// the service's address (`CPOR_PUBLIC_BASE_URL`), and the send lease
    /// (`CPOR_SEND_LEASE_SECONDS`, default 120).
    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        let send_lease = wiring.send_lease()?;
        let function = Self::new(
            wiring.store()?,
            wiring.mailer()?,
            wiring.clock(),
            wiring.calendar()?,
            wiring.keyring().await?,
            wiring.public_base_url()?,
        );
        Ok(Self {
            send_lease,
            ..function
        })
    }

    async fn invoke(&self, event: SqsEvent) -> Result<SqsBatchResponse, Infallible> {
        Ok(self.handle(event).await)
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
