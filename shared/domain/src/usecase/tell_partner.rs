//! Telling the partner of a claim's event by e-mail, the customer that their association is
//! official, and a customer contact that a correction moved their notification elsewhere: each
//! e-mail at most once per event, however often the event is delivered ([`super::send`]); one
//! that may have gone out is left to an operator.

use super::send::{SendOnce, SendOnceError, Sent, WhenUnknown};
use crate::calendar::BusinessCalendar;
use crate::claim::{Claim, ClaimStatus, HistoryEvent};
use crate::email::CustomerEmail;
use crate::partner_email::{
    CustomerNews, PartnerNews, ReceivedEvent, compose_contact_moved_email, compose_official_email,
    compose_partner_email,
};
use crate::ports::{ClaimRepository, EventMailRecipient, EventMailRef, SendRef};
use crate::token::OptOutKeyring;

/// An event's e-mail that may have gone out is left to an operator: no word of the mail
/// service's settles it (it is sent without the configuration set that publishes SES's events).
pub const WHEN_UNKNOWN: WhenUnknown = WhenUnknown::Operator;

/// What became of one e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailOutcome {
    Sent,
    /// An earlier delivery of the same event sent it.
    AlreadySent,
    /// Whether it went out is unknown: held for an operator, never sent again by itself.
    Held,
    /// The mail service refused the address for good.
    Rejected,
}

/// What became of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TellOutcome {
    /// The partner is not told of this event.
    NotForThePartner,
    /// The e-mails it calls for, partner's first.
    Told(Vec<(EventMailRecipient, MailOutcome)>),
    /// An association's event that arrived after the claim left it (the customer ended it, or
    /// its subscription did): "it is official" would be false now, so nobody is told.
    MovedOn(ClaimStatus),
}

/// Why an event must be retried.
pub type TellError = SendOnceError;

/// The notify-partner use case.
pub struct TellPartner<'a> {
    pub claims: &'a dyn ClaimRepository,
    /// Sends each e-mail at most once.
    pub sends: SendOnce<'a>,
    /// The business calendar of `response_due`.
    pub calendar: &'a BusinessCalendar,
    /// Signs the customer's link in the official e-mail.
    pub keyring: &'a OptOutKeyring,
    /// Where the API and the customer pages are served, e.g. `https://cpor.example.com`.
    pub public_base_url: &'a str,
}

impl TellPartner<'_> {
    /// Sends the e-mails `event` calls for; safe to call again for the same event.
    pub async fn tell(&self, event: &ReceivedEvent) -> Result<TellOutcome, TellError> {
        let partner_news = PartnerNews::of(event, self.calendar);
        let customer_news = CustomerNews::of(event);
        if partner_news.is_none() && customer_news.is_none() {
            return Ok(TellOutcome::NotForThePartner);
        }
        let claim = self
            .claims
            .claim(event.claim_id)
            .await?
            .ok_or(TellError::UnknownClaim(event.claim_id))?;
        // The e-mails are composed from the claim as it is now: an association's, delivered
        // late, must not say "it is official" of a claim that is not any more.
        if event.event == HistoryEvent::Associated && claim.status() != ClaimStatus::Associated {
            tracing::info!(claim_id = %claim.id, status = %claim.status(), "a late association event of a claim that moved on; nobody is told");
            return Ok(TellOutcome::MovedOn(claim.status()));
        }
        let compose = |e: askama::Error| TellError::Compose(e.to_string());
        let mut mails = Vec::new();
        if let Some(news) = partner_news {
            let news = news.on(&claim);
            let partner =
                compose_partner_email(&claim, &news, self.public_base_url).map_err(compose)?;
            mails.push((EventMailRecipient::Partner, partner));
        }
        match customer_news {
            Some(CustomerNews::Official) => {
                let link = self.customer_link(&claim);
                let official = compose_official_email(&claim, &link).map_err(compose)?;
                mails.push((EventMailRecipient::Customer, official));
            }
            Some(CustomerNews::ContactMoved) => {
                // The entry names the earlier contact only when the address changed.
                let entry = self
                    .claims
                    .history_entry(event.claim_id, event.sequence)
                    .await?;
                if let Some(change) = entry.and_then(|e| e.contact_change) {
                    let moved = compose_contact_moved_email(&claim, &change).map_err(compose)?;
                    mails.push((EventMailRecipient::EarlierContact, moved));
                }
            }
            None => {}
        }
        let mut told = Vec::with_capacity(mails.len());
        for (recipient, email) in mails {
            told.push((recipient, self.send_once(event, recipient, email).await?));
        }
        Ok(TellOutcome::Told(told))
    }

    /// The customer's page, through the link of the notification in force (the one the
    /// customer's first e-mail carried, unless the contact was corrected since).
    fn customer_link(&self, claim: &Claim) -> String {
        format!(
            "{}/opt-out/{}",
            self.public_base_url.trim_end_matches('/'),
            self.keyring.sign_notice(claim.id, claim.notice.number)
        )
    }

    /// Sends `email` to `recipient` once for the event, unless it was sent (or may have been)
    /// before.
    async fn send_once(
        &self,
        event: &ReceivedEvent,
        recipient: EventMailRecipient,
        email: CustomerEmail,
    ) -> Result<MailOutcome, TellError> {
        let key = SendRef::from(EventMailRef {
            claim_id: event.claim_id,
            sequence: event.sequence,
            recipient,
        });
        let sent = self
            .sends
            .send(key, WHEN_UNKNOWN, move |_| Ok((email, ())))
            .await?;
        Ok(match sent {
            Sent::Now {
                at,
                message_id,
                email,
                ..
            } => {
                tracing::info!(claim_id = %event.claim_id, sequence = event.sequence, ?recipient, to = %email.to.masked(), email_message_id = %message_id, "e-mail sent");
                self.sends.record_alone(key, at, &message_id).await?;
                MailOutcome::Sent
            }
            Sent::Before { .. } => MailOutcome::AlreadySent,
            Sent::Held { .. } => MailOutcome::Held,
            Sent::Rejected => MailOutcome::Rejected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::tests::at;
    use crate::clock::{FixedClock, RecordedPauses};
    use crate::memory::{Answer, MemoryMailer, MemoryStore, StoreCall};
    use crate::ports::{ClaimRepository, SendEntry, SendLedger};
    use crate::retry::RETRY;
    use crate::usecase::send::SEND_LEASE;
    use crate::usecase::testing::{awaiting_customer, keyring, now, sends, store};
    use chrono::TimeDelta;

    const PUBLIC_BASE_URL: &str = "https://cpor.example.com/";

    struct Ports {
        store: MemoryStore,
        mailer: MemoryMailer,
        clock: FixedClock,
        pauses: RecordedPauses,
        calendar: BusinessCalendar,
        keyring: OptOutKeyring,
    }

    impl Ports {
        fn new() -> Self {
            Self {
                store: store(),
                mailer: MemoryMailer::default(),
                clock: FixedClock::at(now()),
                pauses: RecordedPauses::default(),
                calendar: BusinessCalendar::default(),
                keyring: keyring(),
            }
        }

        async fn tell(&self, event: &ReceivedEvent) -> Result<TellOutcome, TellError> {
            TellPartner {
                claims: &self.store,
                sends: sends(&self.store, &self.mailer, &self.clock, &self.pauses),
                calendar: &self.calendar,
                keyring: &self.keyring,
                public_base_url: PUBLIC_BASE_URL,
            }
            .tell(event)
            .await
        }

        fn partner_mail(&self, event: &ReceivedEvent) -> Option<SendEntry> {
            self.store.send_entry(EventMailRef {
                claim_id: event.claim_id,
                sequence: event.sequence,
                recipient: EventMailRecipient::Partner,
            })
        }
    }

    fn event_of(claim: &Claim, event: HistoryEvent, to: ClaimStatus) -> ReceivedEvent {
        ReceivedEvent {
            claim_id: claim.id,
            sequence: claim.version + 1,
            at: at("2026-11-25T12:00:00Z"),
            event,
            from: Some(claim.status()),
            to,
            code: None,
        }
    }

    /// A claim made official by the nightly run after its window (the event of it, as
    /// [`event_of`] makes it from the claim before, is its last history entry).
    async fn associated_claim(store: &MemoryStore) -> Claim {
        let claim = awaiting_customer(store).await;
        let deadline = claim.state.window().unwrap().deadline;
        let official = claim.finalize(deadline + TimeDelta::seconds(1)).unwrap();
        store.apply(&official).await.unwrap();
        claim
    }

    fn told(outcomes: &[(EventMailRecipient, MailOutcome)]) -> TellOutcome {
        TellOutcome::Told(outcomes.to_vec())
    }

    #[tokio::test]
    async fn an_event_the_partner_is_told_of_sends_one_email_to_the_partner_contact() {
        // GIVEN a claim awaiting its customer, whose customer declines
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let declined = event_of(&claim, HistoryEvent::Declined, ClaimStatus::Declined);
        // WHEN the event is processed
        let outcome = ports.tell(&declined).await;
        // THEN one e-mail goes to the partner contact, and the ledger holds its send
        assert_eq!(
            outcome,
            Ok(told(&[(EventMailRecipient::Partner, MailOutcome::Sent)]))
        );
        let sent = ports.mailer.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].to.as_str(), "sam@fabrikam.com");
        assert!(sent[0].subject.contains("declined"), "{}", sent[0].subject);
        assert!(matches!(
            ports.partner_mail(&declined),
            Some(SendEntry::Sent { .. })
        ));
    }

    #[tokio::test]
    async fn a_redelivered_event_sends_no_second_email() {
        // GIVEN an approval the partner was told of
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let approved = event_of(&claim, HistoryEvent::Approved, ClaimStatus::Approved);
        ports.tell(&approved).await.unwrap();
        // WHEN the same event is delivered again
        let again = ports.tell(&approved).await;
        // THEN it is answered as done, with no second e-mail
        assert_eq!(
            again,
            Ok(told(&[(
                EventMailRecipient::Partner,
                MailOutcome::AlreadySent
            )]))
        );
        assert_eq!(ports.mailer.sent().len(), 1);
    }

    #[tokio::test]
    async fn an_association_tells_the_customer_too_with_the_link_of_the_notification_in_force() {
        // GIVEN a claim that became official
        let ports = Ports::new();
        let claim = associated_claim(&ports.store).await;
        let associated = event_of(&claim, HistoryEvent::Associated, ClaimStatus::Associated);
        // WHEN the event is processed, and delivered again
        let outcome = ports.tell(&associated).await;
        let again = ports.tell(&associated).await;
        // THEN the partner and the customer get one e-mail each, the customer's with the link
        // to their page
        assert_eq!(
            outcome,
            Ok(told(&[
                (EventMailRecipient::Partner, MailOutcome::Sent),
                (EventMailRecipient::Customer, MailOutcome::Sent),
            ]))
        );
        assert_eq!(
            again,
            Ok(told(&[
                (EventMailRecipient::Partner, MailOutcome::AlreadySent),
                (EventMailRecipient::Customer, MailOutcome::AlreadySent),
            ]))
        );
        let sent = ports.mailer.sent();
        assert_eq!(
            sent.iter().map(|e| e.to.as_str()).collect::<Vec<_>>(),
            ["sam@fabrikam.com", "giulia@contoso.com"]
        );
        let link = format!(
            "https://cpor.example.com/opt-out/{}",
            ports.keyring.sign_notice(claim.id, claim.notice.number)
        );
        assert!(sent[1].text.contains(&link), "{}", sent[1].text);
        // AND the partner's e-mail links no page of the customer's
        assert!(!sent[0].text.contains("/opt-out/") && !sent[0].html.contains("/opt-out/"));
    }

    #[tokio::test]
    async fn a_late_association_event_of_a_claim_the_customer_ended_since_tells_nobody() {
        // GIVEN a claim that became official, then was ended by its customer, before the
        // association's event was processed
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let deadline = claim.state.window().unwrap().deadline;
        let official = claim.finalize(deadline + TimeDelta::seconds(1)).unwrap();
        ports.store.apply(&official).await.unwrap();
        let associated = event_of(&claim, HistoryEvent::Associated, ClaimStatus::Associated);
        let revoked = official.claim.end(deadline + TimeDelta::days(1)).unwrap();
        ports.store.apply(&revoked).await.unwrap();
        assert_eq!(revoked.claim.status(), ClaimStatus::Revoked);
        // WHEN the association's event arrives
        let outcome = ports.tell(&associated).await;
        // THEN neither the partner nor the customer is told "it is official"
        assert_eq!(outcome, Ok(TellOutcome::MovedOn(ClaimStatus::Revoked)));
        assert!(ports.mailer.sent().is_empty());
    }

    #[tokio::test]
    async fn a_customer_email_that_failed_after_the_partners_is_sent_alone_on_the_retry() {
        // GIVEN an association whose partner e-mail an earlier delivery sent, and a mail
        // service that refuses the customer's once before sending anything
        let ports = Ports::new();
        let claim = associated_claim(&ports.store).await;
        let associated = event_of(&claim, HistoryEvent::Associated, ClaimStatus::Associated);
        let partner = EventMailRef {
            claim_id: claim.id,
            sequence: associated.sequence,
            recipient: EventMailRecipient::Partner,
        };
        ports
            .store
            .record_sent(partner.into(), now(), "earlier", None)
            .await
            .unwrap();
        ports.mailer.fail(1);
        // WHEN the event is processed, and retried
        let failed = ports.tell(&associated).await;
        let retried = ports.tell(&associated).await;
        // THEN the retry sends the customer's e-mail only
        assert!(matches!(failed, Err(TellError::Unavailable(_))));
        assert_eq!(
            retried,
            Ok(told(&[
                (EventMailRecipient::Partner, MailOutcome::AlreadySent),
                (EventMailRecipient::Customer, MailOutcome::Sent),
            ]))
        );
        let sent = ports.mailer.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].to.as_str(), "giulia@contoso.com");
    }

    #[tokio::test]
    async fn an_event_not_for_the_partner_sends_nothing_and_reads_nothing() {
        // GIVEN a partner's own move
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let proof = event_of(&claim, HistoryEvent::ProofAdded, claim.status());
        ports.store.fail(StoreCall::Claim, 1);
        // WHEN it is processed
        let outcome = ports.tell(&proof).await;
        // THEN it is acknowledged, without reading the claim or sending anything
        assert_eq!(outcome, Ok(TellOutcome::NotForThePartner));
        assert!(ports.mailer.sent().is_empty());
    }

    #[tokio::test]
    async fn an_unknown_claim_is_refused_as_poison() {
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let mut event = event_of(&claim, HistoryEvent::Approved, ClaimStatus::Approved);
        event.claim_id = crate::ids::ClaimId::new_at(now());
        assert_eq!(
            ports.tell(&event).await,
            Err(TellError::UnknownClaim(event.claim_id))
        );
        assert!(ports.mailer.sent().is_empty());
    }

    #[tokio::test]
    async fn a_send_whose_answer_was_lost_is_held_and_never_sent_twice() {
        // GIVEN a mail service that sends the partner's e-mail, and whose answer is lost
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let revoked = event_of(&claim, HistoryEvent::Revoked, ClaimStatus::Revoked);
        ports.mailer.answer([Answer::SentAnswerLost]);
        // WHEN the event is processed, and delivered again
        let outcome = ports.tell(&revoked).await;
        let again = ports.tell(&revoked).await;
        // THEN it is held: one e-mail went out, and no second one
        let held = told(&[(EventMailRecipient::Partner, MailOutcome::Held)]);
        assert_eq!(outcome, Ok(held.clone()));
        assert_eq!(again, Ok(held));
        assert_eq!(ports.mailer.sent().len(), 1);
        assert!(matches!(
            ports.partner_mail(&revoked),
            Some(SendEntry::Held { .. })
        ));
    }

    #[tokio::test]
    async fn a_worker_that_stopped_between_send_and_record_leaves_the_email_held_not_resent() {
        // GIVEN a worker that took the lease for an event and never finished: it may have sent
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let superseded = event_of(&claim, HistoryEvent::Superseded, ClaimStatus::Superseded);
        let mail = EventMailRef {
            claim_id: claim.id,
            sequence: superseded.sequence,
            recipient: EventMailRecipient::Partner,
        };
        ports
            .store
            .acquire(mail.into(), "crashed-worker", now(), now() + SEND_LEASE)
            .await
            .unwrap();
        // WHEN the event comes again within the lease, then after it ran out
        let within = ports.tell(&superseded).await;
        ports
            .clock
            .set(now() + SEND_LEASE + TimeDelta::milliseconds(1));
        let after = ports.tell(&superseded).await;
        // THEN it is left to that worker, then held for an operator: nothing is sent
        assert_eq!(within, Err(TellError::HeldElsewhere));
        assert_eq!(
            after,
            Ok(told(&[(EventMailRecipient::Partner, MailOutcome::Held)]))
        );
        assert!(ports.mailer.sent().is_empty());
    }

    #[tokio::test]
    async fn a_send_that_cannot_be_recorded_keeps_its_lease_so_a_redelivery_does_not_send_again() {
        // GIVEN a store that fails every attempt to record the send
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let approved = event_of(&claim, HistoryEvent::Approved, ClaimStatus::Approved);
        ports.store.fail(StoreCall::RecordSent, RETRY.attempts);
        // WHEN the event is processed
        let failed = ports.tell(&approved).await;
        // THEN it fails after the policy's attempts, keeping the lease
        assert!(matches!(failed, Err(TellError::Unavailable(_))));
        assert_eq!(ports.pauses.taken().len(), RETRY.attempts as usize - 1);
        assert!(matches!(
            ports.partner_mail(&approved),
            Some(SendEntry::Leased { .. })
        ));
        // AND a redelivery sends nothing: within the lease it waits, after it the e-mail is held
        assert_eq!(ports.tell(&approved).await, Err(TellError::HeldElsewhere));
        ports.clock.set(now() + SEND_LEASE + TimeDelta::seconds(1));
        assert_eq!(
            ports.tell(&approved).await,
            Ok(told(&[(EventMailRecipient::Partner, MailOutcome::Held)]))
        );
        assert_eq!(ports.mailer.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_failed_send_gives_the_lease_back_so_a_retry_sends_at_once() {
        // GIVEN a mailer that fails once before sending anything
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let request = event_of(
            &claim,
            HistoryEvent::InformationRequested,
            ClaimStatus::InformationRequested,
        );
        ports.mailer.fail(1);
        // WHEN the event is processed, and retried
        let failed = ports.tell(&request).await;
        let retried = ports.tell(&request).await;
        // THEN the first fails for the queue to retry, and the retry sends it
        assert!(matches!(failed, Err(TellError::Unavailable(_))));
        assert_eq!(
            retried,
            Ok(told(&[(EventMailRecipient::Partner, MailOutcome::Sent)]))
        );
        assert_eq!(ports.mailer.sent().len(), 1);
    }

    #[tokio::test]
    async fn an_address_refused_for_good_is_recorded_without_it_and_not_retried() {
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let declined = event_of(&claim, HistoryEvent::Declined, ClaimStatus::Declined);
        ports.mailer.answer([Answer::Rejected]);
        let outcome = ports.tell(&declined).await;
        let again = ports.tell(&declined).await;
        let rejected = told(&[(EventMailRecipient::Partner, MailOutcome::Rejected)]);
        assert_eq!(outcome, Ok(rejected.clone()));
        assert_eq!(again, Ok(rejected));
        match ports.partner_mail(&declined) {
            Some(SendEntry::Rejected { reason }) => {
                assert!(!reason.contains("sam@"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    /// Stores the correction of `claim`'s contact to `email` and returns its event.
    async fn corrected(ports: &Ports, claim: &Claim, email: &str) -> ReceivedEvent {
        let mut contact = claim.subject.customer_contact.clone();
        contact.email = crate::contact::EmailAddress::parse(email).unwrap();
        contact.locale = crate::contact::Locale::parse("de").unwrap();
        let t = claim
            .correct_contact(now(), crate::claim::tests::verified(contact))
            .unwrap();
        ports.store.apply(&t).await.unwrap();
        event_of(claim, HistoryEvent::ContactCorrected, ClaimStatus::Approved)
    }

    #[tokio::test]
    async fn a_correction_moving_a_received_notification_tells_the_earlier_contact_once() {
        // GIVEN a claim awaiting Giulia, whose contact the partner corrects to Marco
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let moved = corrected(&ports, &claim, "marco@contoso.com").await;
        // WHEN its event is processed, twice
        let first = ports.tell(&moved).await;
        let again = ports.tell(&moved).await;
        // THEN Giulia is e-mailed once, in her language (English, not Marco's German), of
        // Marco's masked address; the partner is told nothing of its own move
        assert_eq!(
            first,
            Ok(told(&[(
                EventMailRecipient::EarlierContact,
                MailOutcome::Sent
            )]))
        );
        assert_eq!(
            again,
            Ok(told(&[(
                EventMailRecipient::EarlierContact,
                MailOutcome::AlreadySent
            )]))
        );
        let sent = ports.mailer.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].to.as_str(), "giulia@contoso.com");
        assert!(
            sent[0].text.contains("m***@contoso.com"),
            "{}",
            sent[0].text
        );
        assert!(sent[0].html.contains("lang=\"en\""), "{}", sent[0].html);
    }

    #[tokio::test]
    async fn a_correction_at_the_same_address_tells_no_one() {
        // GIVEN a claim awaiting Giulia, whose contact is corrected at the same address
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let same = corrected(&ports, &claim, "Giulia@contoso.com").await;
        // WHEN its event is processed THEN no e-mail goes out
        assert_eq!(ports.tell(&same).await, Ok(told(&[])));
        assert!(ports.mailer.sent().is_empty());
    }
}
