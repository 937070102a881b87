//! Notifying the customer: send the e-mail at most once, then open the opt-out window.

use super::send::{SendOnce, SendOnceError, Sent, WhenUnknown};
use super::{
    Attempt::{self, LostRace, Settled},
    until_settled,
};
use crate::calendar::{BusinessCalendar, OptOutWindow};
use crate::claim::{Claim, ClaimState, ClaimStatus, Transition};
use crate::email::{CustomerEmail, compose_notification};
use crate::ids::ClaimId;
use crate::ports::{ApplyError, ClaimRepository, NoticeRef, NotificationQueue};
use crate::token::OptOutKeyring;
use chrono::{DateTime, TimeDelta, Utc};

/// How long a held send waits for the mail service's word: SES publishes a `Send` event for
/// every message it accepted (the configuration set's event destination), which records the
/// held send as sent. Without one by then, nothing went out, and the send is released for one
/// more attempt.
pub const SES_WORD_WAIT: TimeDelta = TimeDelta::minutes(15);

/// How many times a held send is released by itself; after that, it is left to an operator.
pub const AUTOMATIC_RETRIES: u32 = 5;

/// A notification that may have gone out is settled by SES's word, not by an operator: its
/// `Send` event, or its silence.
pub const WHEN_UNKNOWN: WhenUnknown = WhenUnknown::MailServiceWord {
    wait: SES_WORD_WAIT,
    automatic_retries: AUTOMATIC_RETRIES,
};

/// What became of one notification request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyOutcome {
    /// The e-mail was sent and the window opened.
    Notified,
    /// An earlier delivery of the same request did it.
    AlreadyNotified,
    /// The claim left the lifecycle before it was notified (the partner withdrew).
    NotNeeded(ClaimStatus),
    /// Whether the e-mail went out is unknown: it is held until the mail service's `Send` event
    /// records it, or, without one within [`SES_WORD_WAIT`], released for one more attempt; a
    /// re-check is queued for then.
    Held,
    /// Held, and its automatic retries used up: left to an operator.
    HeldForOperator,
    /// The mail service refused the customer's address for good.
    Rejected,
}

/// Why a notification must be retried.
pub type NotifyError = SendOnceError;

/// The notify-customer use case.
pub struct NotifyCustomer<'a> {
    pub claims: &'a dyn ClaimRepository,
    /// Sends the e-mail at most once.
    pub sends: SendOnce<'a>,
    /// Where a held send's re-check is queued.
    pub rechecks: &'a dyn NotificationQueue,
    /// Business days and holidays: the opt-out window's length.
    pub calendar: &'a BusinessCalendar,
    /// Signs the opt-out links.
    pub keyring: &'a OptOutKeyring,
    /// Where the customer pages are served, e.g. `https://cpor.example.com`.
    pub public_base_url: &'a str,
}

/// What a claim's state asks of a notification request.
enum Need {
    Send(Box<Claim>),
    Nothing(NotifyOutcome),
}

impl NotifyCustomer<'_> {
    /// Notifies the customer of `claim_id`; safe to call again for the same claim.
    pub async fn notify(&self, claim_id: ClaimId) -> Result<NotifyOutcome, NotifyError> {
        until_settled("the claim being notified", move || async move {
            let claim = match self.need(claim_id).await? {
                Need::Send(claim) => claim,
                Need::Nothing(outcome) => return Ok(Settled(outcome)),
            };
            let notice = NoticeRef::of(&claim);
            let sent = self
                .sends
                .send(notice.into(), WHEN_UNKNOWN, |at| self.compose(&claim, at))
                .await?;
            let outcome = match sent {
                Sent::Now {
                    at,
                    message_id,
                    email,
                    composed: (transition, window),
                } => {
                    tracing::info!(%claim_id, to = %email.to.masked(), email_message_id = %message_id, "customer notified");
                    self.record_send(&claim, transition, window, at, &message_id)
                        .await?
                }
                Sent::Before { at } => return self.open_window_of_earlier_send(&claim, at).await,
                Sent::Held {
                    look_again_in: Some(delay),
                } => {
                    self.recheck(claim_id, delay).await?;
                    NotifyOutcome::Held
                }
                Sent::Held {
                    look_again_in: None,
                } => NotifyOutcome::HeldForOperator,
                Sent::Rejected => NotifyOutcome::Rejected,
            };
            Ok(Settled(outcome))
        })
        .await
    }

    async fn need(&self, claim_id: ClaimId) -> Result<Need, NotifyError> {
        let claim = self
            .claims
            .claim(claim_id)
            .await?
            .ok_or(NotifyError::UnknownClaim(claim_id))?;
        Ok(match &claim.state {
            ClaimState::Approved { .. } => Need::Send(Box::new(claim)),
            // Not approved (an operator's re-send of a claim still in review), or left the
            // lifecycle before it was notified.
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
            | ClaimState::Rejected { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Contested { .. }
            | ClaimState::Superseded { window: None }
            | ClaimState::Withdrawn { window: None, .. } => {
                Need::Nothing(NotifyOutcome::NotNeeded(claim.status()))
            }
            ClaimState::AwaitingCustomer { .. }
            | ClaimState::CustomerUnreachable { .. }
            | ClaimState::Revoked { .. }
            | ClaimState::Expired { .. }
            | ClaimState::Associated { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Superseded { window: Some(_) }
            | ClaimState::Withdrawn {
                window: Some(_), ..
            } => Need::Nothing(NotifyOutcome::AlreadyNotified),
        })
    }

    /// The e-mail of the notification in force of `claim`, sent at `sent`, with the transition
    /// that opens the window from then.
    fn compose(
        &self,
        claim: &Claim,
        sent: DateTime<Utc>,
    ) -> Result<(CustomerEmail, (Transition, OptOutWindow)), String> {
        let zone = claim.subject.customer_contact.time_zone.tz();
        let window = self.calendar.opt_out_window(sent, zone);
        let link = format!(
            "{}/opt-out/{}",
            self.public_base_url.trim_end_matches('/'),
            self.keyring.sign_notice(claim.id, claim.notice.number)
        );
        let transition = claim.notify(window).map_err(|e| e.to_string())?;
        let email = compose_notification(claim, &window, &link).map_err(|e| e.to_string())?;
        Ok((email, (transition, window)))
    }

    /// A previous delivery sent the e-mail at `sent_at` but did not open the window.
    async fn open_window_of_earlier_send(
        &self,
        claim: &Claim,
        sent_at: DateTime<Utc>,
    ) -> Result<Attempt<NotifyOutcome>, NotifyError> {
        let zone = claim.subject.customer_contact.time_zone.tz();
        let transition = claim
            .notify(self.calendar.opt_out_window(sent_at, zone))
            .map_err(|e| NotifyError::Compose(e.to_string()))?;
        match self.claims.apply(&transition).await {
            Ok(()) => Ok(Settled(NotifyOutcome::Notified)),
            Err(ApplyError::Conflict | ApplyError::UnitHeld) => Ok(LostRace),
            Err(ApplyError::Unavailable(e)) => Err(e.into()),
        }
    }

    /// Records the sent e-mail with the transition that opens the window. A conflict means the
    /// claim changed, or that a concurrent transaction cancelled this one: the claim is read
    /// again, and while it is still `approved` with the same notification in force the
    /// transition is made again from it; once it has moved on (the partner withdrew, or
    /// corrected the contact, whose own notification follows), the send alone is recorded, so
    /// that it never goes out twice.
    async fn record_send(
        &self,
        claim: &Claim,
        transition: Transition,
        window: OptOutWindow,
        sent: DateTime<Utc>,
        message_id: &str,
    ) -> Result<NotifyOutcome, NotifyError> {
        let notice = NoticeRef::of(claim);
        let mut first = Some(transition);
        until_settled(
            "the claim whose sent e-mail was being recorded",
            move || {
                let first = first.take();
                async move {
                    let transition = match first {
                        Some(transition) => transition,
                        None => match self.claims.claim(claim.id).await? {
                            Some(stored)
                                if stored.status() == ClaimStatus::Approved
                                    && stored.notice.number == notice.number =>
                            {
                                stored
                                    .notify(window)
                                    .map_err(|e| NotifyError::Compose(e.to_string()))?
                            }
                            moved_on => {
                                self.sends
                                    .record_alone(notice.into(), sent, message_id)
                                    .await?;
                                let status =
                                    moved_on.map_or(ClaimStatus::Withdrawn, |c| c.status());
                                return Ok(Settled(NotifyOutcome::NotNeeded(status)));
                            }
                        },
                    };
                    let recorded = self
                        .sends
                        .record(notice.into(), sent, message_id, Some(&transition))
                        .await;
                    match recorded {
                        Ok(()) => Ok(Settled(NotifyOutcome::Notified)),
                        Err(ApplyError::Conflict | ApplyError::UnitHeld) => Ok(LostRace),
                        Err(ApplyError::Unavailable(e)) => Err(e.into()),
                    }
                }
            },
        )
        .await
    }

    /// Queues the claim's notification to be looked at again after `delay`. A failure fails
    /// the message, whose redelivery finds the hold and queues the re-check again.
    async fn recheck(&self, claim_id: ClaimId, delay: TimeDelta) -> Result<(), NotifyError> {
        self.rechecks
            .enqueue_after(claim_id, delay)
            .await
            .map_err(NotifyError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::tests::at;
    use crate::claim::{Actor, HistoryEntry};
    use crate::clock::{FixedClock, RecordedPauses};
    use crate::memory::{Answer, MemoryMailer, MemoryQueue, MemoryStore, StoreCall};
    use crate::ports::{ClaimRepository, SendEntry, SendLedger};
    use crate::retry::RETRY;
    use crate::usecase::send::SEND_LEASE;
    use crate::usecase::testing::{
        FABRIKAM, approved, keyring, now, reason, sends, store, submitted,
    };
    use chrono::NaiveDate;

    const PUBLIC_BASE_URL: &str = "https://cpor.example.com/";

    /// The use case's ports, in memory, with Thursday 26 November 2026 a holiday.
    struct Ports {
        store: MemoryStore,
        queue: MemoryQueue,
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
                queue: MemoryQueue::default(),
                mailer: MemoryMailer::default(),
                clock: FixedClock::at(now()),
                pauses: RecordedPauses::default(),
                calendar: BusinessCalendar::with_holidays(NaiveDate::from_ymd_opt(2026, 11, 26)),
                keyring: keyring(),
            }
        }

        async fn notify(&self, claim_id: ClaimId) -> Result<NotifyOutcome, NotifyError> {
            NotifyCustomer {
                claims: &self.store,
                sends: sends(&self.store, &self.mailer, &self.clock, &self.pauses),
                rechecks: &self.queue,
                calendar: &self.calendar,
                keyring: &self.keyring,
                public_base_url: PUBLIC_BASE_URL,
            }
            .notify(claim_id)
            .await
        }

        fn stored(&self, claim_id: ClaimId) -> (Claim, Vec<HistoryEntry>) {
            self.store.stored(claim_id).unwrap()
        }
    }

    /// Fabrikam's submitted claim (its customer in UTC), stored at [`now`].
    /// An approved claim, whose notification is due.
    async fn claim(ports: &Ports) -> Claim {
        let claim = submitted(&ports.store, FABRIKAM, "teams", now()).await;
        approved(&ports.store, &claim, now()).await
    }

    #[tokio::test]
    async fn a_claim_is_notified_once_and_its_window_opens_from_the_send_time() {
        // GIVEN a submitted claim, notified on Wednesday afternoon before a Thursday holiday
        let ports = Ports::new();
        let claim = claim(&ports).await;
        let sent = at("2026-11-25T15:30:00Z");
        ports.clock.set(sent);
        // WHEN its notification is processed
        let outcome = ports.notify(claim.id).await;
        // THEN one e-mail goes to the customer, with a link that verifies as the claim's
        assert_eq!(outcome, Ok(NotifyOutcome::Notified));
        let emails = ports.mailer.sent();
        assert_eq!(emails.len(), 1);
        assert_eq!(emails[0].to.as_str(), "giulia@contoso.com");
        let link = format!(
            "https://cpor.example.com/opt-out/{}",
            ports.keyring.sign(claim.id)
        );
        assert!(emails[0].text.contains(&link), "{}", emails[0].text);
        // AND the window opens at the send and closes at the end of the fifth business day
        // after it, the holiday skipped
        let (stored, history) = ports.stored(claim.id);
        let window = stored.state.window().copied().unwrap();
        assert_eq!(stored.status(), ClaimStatus::AwaitingCustomer);
        assert_eq!(window.notified_at, sent);
        assert_eq!(window.deadline, at("2026-12-03T23:59:59.999Z"));
        assert_eq!(
            (history.len(), history[2].actor, history[2].at),
            (3, Actor::System, sent)
        );
        // AND the ledger holds the send
        assert_eq!(
            ports.store.ledger_entry(claim.id),
            Some(SendEntry::Sent {
                at: sent,
                message_id: Some("memory-1".into())
            })
        );
    }

    #[tokio::test]
    async fn a_redelivered_request_sends_no_second_email() {
        // GIVEN a claim notified
        let ports = Ports::new();
        let claim = claim(&ports).await;
        ports.notify(claim.id).await.unwrap();
        // WHEN the same request is delivered again
        ports.clock.set(now() + TimeDelta::minutes(5));
        let again = ports.notify(claim.id).await;
        // THEN it is answered as done, with no second e-mail and no second transition
        assert_eq!(again, Ok(NotifyOutcome::AlreadyNotified));
        assert_eq!(ports.mailer.sent().len(), 1);
        assert_eq!(ports.stored(claim.id).1.len(), 3);
    }

    #[tokio::test]
    async fn a_lease_held_by_another_worker_is_left_to_it_and_nothing_is_sent() {
        // GIVEN another worker sending the claim's notification
        let ports = Ports::new();
        let claim = claim(&ports).await;
        ports
            .store
            .acquire(
                NoticeRef::of(&claim).into(),
                "other-worker",
                now(),
                now() + SEND_LEASE,
            )
            .await
            .unwrap();
        // WHEN this worker gets the request, until the last instant of that lease
        ports.clock.set(now() + SEND_LEASE);
        let outcome = ports.notify(claim.id).await;
        // THEN it leaves it to the other worker, for the queue to retry, and sends nothing
        assert_eq!(outcome, Err(NotifyError::HeldElsewhere));
        assert!(ports.mailer.sent().is_empty());
        assert_eq!(ports.stored(claim.id).0.status(), ClaimStatus::Approved);
        assert!(matches!(
            ports.store.ledger_entry(claim.id),
            Some(SendEntry::Leased { owner, .. }) if owner == "other-worker"
        ));
    }

    #[tokio::test]
    async fn an_expired_lease_is_held_until_ses_says_and_never_taken_over_meanwhile() {
        // GIVEN a worker that took the lease and never finished: it may have sent the e-mail
        let ports = Ports::new();
        let claim = claim(&ports).await;
        let lease_end = now() + SEND_LEASE;
        ports
            .store
            .acquire(
                NoticeRef::of(&claim).into(),
                "crashed-worker",
                now(),
                lease_end,
            )
            .await
            .unwrap();
        // WHEN the request comes again after the lease ran out, and once more later
        ports.clock.set(lease_end + TimeDelta::milliseconds(1));
        let outcome = ports.notify(claim.id).await;
        ports.clock.set(lease_end + TimeDelta::minutes(5));
        let again = ports.notify(claim.id).await;
        // THEN nothing is sent: the notification is held from the lease's end, and each
        // request queues a re-check for when SES's word is overdue
        assert_eq!(outcome, Ok(NotifyOutcome::Held));
        assert_eq!(again, Ok(NotifyOutcome::Held));
        assert!(ports.mailer.sent().is_empty());
        assert_eq!(
            ports.store.ledger_entry(claim.id),
            Some(SendEntry::Held {
                since: lease_end,
                releases: 0
            })
        );
        let delays: Vec<_> = ports.queue.delayed().into_iter().map(|(_, d)| d).collect();
        assert_eq!(
            delays,
            vec![
                SES_WORD_WAIT - TimeDelta::milliseconds(1),
                SES_WORD_WAIT - TimeDelta::minutes(5)
            ]
        );
        assert_eq!(ports.stored(claim.id).0.status(), ClaimStatus::Approved);
    }

    #[tokio::test]
    async fn a_send_whose_answer_was_lost_is_held_and_never_sent_twice_while_ses_may_speak() {
        // GIVEN a mail service that sends the e-mail, and whose answer is lost
        let ports = Ports::new();
        let claim = claim(&ports).await;
        ports.mailer.answer([Answer::SentAnswerLost]);
        // WHEN the notification is processed, and the message is delivered again
        let outcome = ports.notify(claim.id).await;
        let redelivered = ports.notify(claim.id).await;
        // THEN it is held: one e-mail went out, and no second one; a re-check is queued
        assert_eq!(outcome, Ok(NotifyOutcome::Held));
        assert_eq!(redelivered, Ok(NotifyOutcome::Held));
        assert_eq!(ports.mailer.sent().len(), 1);
        assert_eq!(
            ports.store.ledger_entry(claim.id),
            Some(SendEntry::Held {
                since: now(),
                releases: 0
            })
        );
        assert_eq!(ports.queue.delayed()[0], (claim.id, SES_WORD_WAIT));
    }

    #[tokio::test]
    async fn a_held_send_without_ses_s_word_is_released_for_one_retry_after_the_wait() {
        // GIVEN a mail service that times out without sending (which the caller cannot tell
        // from a lost answer)
        let ports = Ports::new();
        let claim = claim(&ports).await;
        ports.mailer.answer([Answer::NothingAnswerLost]);
        assert_eq!(ports.notify(claim.id).await, Ok(NotifyOutcome::Held));
        // WHEN the re-check comes before the wait is over, then after it, with no Send event
        ports
            .clock
            .set(now() + SES_WORD_WAIT - TimeDelta::seconds(1));
        let early = ports.notify(claim.id).await;
        ports.clock.set(now() + SES_WORD_WAIT);
        let due = ports.notify(claim.id).await;
        // THEN the early one waits on, and the due one sends it, once
        assert_eq!(early, Ok(NotifyOutcome::Held));
        assert_eq!(due, Ok(NotifyOutcome::Notified));
        assert_eq!(ports.mailer.sent().len(), 1);
        assert_eq!(
            ports.stored(claim.id).0.status(),
            ClaimStatus::AwaitingCustomer
        );
        assert_eq!(
            ports.notify(claim.id).await,
            Ok(NotifyOutcome::AlreadyNotified)
        );
        assert_eq!(ports.mailer.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_send_held_again_and_again_is_left_to_an_operator_after_its_automatic_retries() {
        // GIVEN a mail service whose every answer is lost without sending
        let ports = Ports::new();
        let claim = claim(&ports).await;
        ports
            .mailer
            .answer(std::iter::repeat_n(Answer::NothingAnswerLost, 10));
        // WHEN the notification is retried each time SES stays silent for the wait
        let mut at = now();
        for _ in 0..=AUTOMATIC_RETRIES {
            assert_eq!(ports.notify(claim.id).await, Ok(NotifyOutcome::Held));
            at += SES_WORD_WAIT;
            ports.clock.set(at);
        }
        // THEN after the automatic retries it is left to an operator, and sent no more
        assert_eq!(
            ports.notify(claim.id).await,
            Ok(NotifyOutcome::HeldForOperator)
        );
        assert!(ports.mailer.sent().is_empty());
        assert!(matches!(
            ports.store.ledger_entry(claim.id),
            Some(SendEntry::Held { releases, .. }) if releases == AUTOMATIC_RETRIES
        ));
    }

    #[tokio::test]
    async fn an_address_refused_for_good_is_recorded_and_not_retried() {
        // GIVEN a mail service that refuses the customer's address for good
        let ports = Ports::new();
        let claim = claim(&ports).await;
        ports.mailer.answer([Answer::Rejected]);
        // WHEN the notification is processed, and the message is delivered again
        let outcome = ports.notify(claim.id).await;
        let redelivered = ports.notify(claim.id).await;
        // THEN the refusal is recorded without the address, and nothing is tried again
        assert_eq!(outcome, Ok(NotifyOutcome::Rejected));
        assert_eq!(redelivered, Ok(NotifyOutcome::Rejected));
        assert!(ports.mailer.sent().is_empty());
        match ports.store.ledger_entry(claim.id) {
            Some(SendEntry::Rejected { reason }) => {
                assert!(!reason.contains("giulia@"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_failed_send_gives_the_lease_back_so_a_retry_sends_at_once() {
        // GIVEN a mailer that fails once
        let ports = Ports::new();
        let claim = claim(&ports).await;
        ports.mailer.fail(1);
        // WHEN the notification is processed
        let failed = ports.notify(claim.id).await;
        // THEN it fails for the queue to retry, and the lease is given back
        assert!(matches!(failed, Err(NotifyError::Unavailable(_))));
        assert_eq!(ports.store.ledger_entry(claim.id), None);
        assert_eq!(ports.stored(claim.id).0.status(), ClaimStatus::Approved);
        // AND the retry, well within the lease, sends it
        let retried = ports.notify(claim.id).await;
        assert_eq!(retried, Ok(NotifyOutcome::Notified));
        assert_eq!(ports.mailer.sent().len(), 1);
    }

    #[tokio::test]
    async fn an_email_sent_whose_window_was_not_opened_is_completed_without_sending_again() {
        // GIVEN a claim whose e-mail went out at 10:00, recorded, but whose window was not
        // opened
        let ports = Ports::new();
        let claim = claim(&ports).await;
        let earlier = at("2026-11-25T10:00:00Z");
        ports
            .store
            .record_sent(
                NoticeRef::of(&claim).into(),
                earlier,
                "earlier-message",
                None,
            )
            .await
            .unwrap();
        // WHEN its notification is processed again at noon
        ports.clock.set(at("2026-11-25T12:00:00Z"));
        let outcome = ports.notify(claim.id).await;
        // THEN the window opens from the earlier send, and nothing is sent
        assert_eq!(outcome, Ok(NotifyOutcome::Notified));
        assert!(ports.mailer.sent().is_empty());
        let window = ports.stored(claim.id).0.state.window().copied();
        assert_eq!(
            window,
            Some(
                ports
                    .calendar
                    .opt_out_window(earlier, crate::zone::Zone::UTC)
            )
        );
    }

    #[tokio::test]
    async fn recording_the_send_is_retried_through_transient_failures() {
        // GIVEN a store that fails the first two writes of the send
        let ports = Ports::new();
        let claim = claim(&ports).await;
        ports.store.fail(StoreCall::RecordSent, 2);
        // WHEN the notification is processed
        let outcome = ports.notify(claim.id).await;
        // THEN the write is retried after two pauses, and the e-mail went out once
        assert_eq!(outcome, Ok(NotifyOutcome::Notified));
        assert_eq!(ports.pauses.taken().len(), 2);
        assert_eq!(ports.mailer.sent().len(), 1);
        assert_eq!(
            ports.stored(claim.id).0.status(),
            ClaimStatus::AwaitingCustomer
        );
    }

    #[tokio::test]
    async fn a_send_that_cannot_be_recorded_keeps_its_lease_so_a_redelivery_does_not_send_again() {
        // GIVEN a store that fails every attempt to record the send
        let ports = Ports::new();
        let claim = claim(&ports).await;
        ports.store.fail(StoreCall::RecordSent, RETRY.attempts);
        // WHEN the notification is processed
        let failed = ports.notify(claim.id).await;
        // THEN it fails after the policy's attempts, keeping the lease
        assert!(matches!(failed, Err(NotifyError::Unavailable(_))));
        assert_eq!(ports.pauses.taken().len(), RETRY.attempts as usize - 1);
        assert!(matches!(
            ports.store.ledger_entry(claim.id),
            Some(SendEntry::Leased { .. })
        ));
        // AND a redelivery within the lease sends nothing
        ports.clock.set(now() + TimeDelta::minutes(1));
        assert_eq!(
            ports.notify(claim.id).await,
            Err(NotifyError::HeldElsewhere)
        );
        assert_eq!(ports.mailer.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_claim_withdrawn_while_its_email_went_out_keeps_the_send_recorded() {
        // GIVEN a claim the partner withdraws while its e-mail is going out
        let ports = Ports::new();
        let claim = claim(&ports).await;
        let withdrawal = claim.withdraw(now(), reason("sent in error")).unwrap();
        ports.store.race(StoreCall::RecordSent, withdrawal);
        // WHEN the notification is processed
        let outcome = ports.notify(claim.id).await;
        // THEN it is not needed any more, the claim stays withdrawn, and the send is recorded
        assert_eq!(
            outcome,
            Ok(NotifyOutcome::NotNeeded(ClaimStatus::Withdrawn))
        );
        assert_eq!(ports.stored(claim.id).0.status(), ClaimStatus::Withdrawn);
        assert!(matches!(
            ports.store.ledger_entry(claim.id),
            Some(SendEntry::Sent { .. })
        ));
        // AND a redelivery sends no second e-mail
        assert_eq!(
            ports.notify(claim.id).await,
            Ok(NotifyOutcome::NotNeeded(ClaimStatus::Withdrawn))
        );
        assert_eq!(ports.mailer.sent().len(), 1);
    }

    fn corrected_contact(claim: &Claim) -> crate::contact::CustomerContact {
        let mut contact = claim.subject.customer_contact.clone();
        contact.name = "Marco Bianchi".into();
        contact.email = crate::contact::EmailAddress::parse("marco@contoso.com").unwrap();
        contact
    }

    #[tokio::test]
    async fn a_corrected_contact_is_emailed_again_with_a_link_of_its_own_and_a_new_window() {
        // GIVEN a claim notified, whose contact the partner then corrected
        let ports = Ports::new();
        let claim = claim(&ports).await;
        ports.notify(claim.id).await.unwrap();
        let (notified, _) = ports.stored(claim.id);
        let correction = notified
            .correct_contact(
                now(),
                crate::claim::tests::verified(corrected_contact(&notified)),
            )
            .unwrap();
        ports.store.apply(&correction).await.unwrap();
        // WHEN the new notification is processed, a day later
        let resent = at("2026-11-27T10:00:00Z");
        ports.clock.set(resent);
        let outcome = ports.notify(claim.id).await;
        // THEN a second e-mail goes to the new address, with the second notification's link
        assert_eq!(outcome, Ok(NotifyOutcome::Notified));
        let emails = ports.mailer.sent();
        assert_eq!(emails.len(), 2);
        assert_eq!(emails[1].to.as_str(), "marco@contoso.com");
        let link = ports.keyring.sign_notice(claim.id, 2);
        assert!(emails[1].text.contains(&link));
        // AND the window starts again from it
        let (stored, _) = ports.stored(claim.id);
        assert_eq!(stored.status(), ClaimStatus::AwaitingCustomer);
        assert_eq!(stored.state.window().unwrap().notified_at, resent);
        // AND a redelivery sends no third
        assert_eq!(
            ports.notify(claim.id).await,
            Ok(NotifyOutcome::AlreadyNotified)
        );
        assert_eq!(ports.mailer.sent().len(), 2);
    }

    #[tokio::test]
    async fn an_email_to_a_contact_corrected_while_it_went_out_opens_no_window() {
        // GIVEN an approved claim whose contact the partner corrects while its e-mail goes out
        let ports = Ports::new();
        let claim = claim(&ports).await;
        let correction = claim
            .correct_contact(
                now(),
                crate::claim::tests::verified(corrected_contact(&claim)),
            )
            .unwrap();
        ports.store.race(StoreCall::RecordSent, correction);
        // WHEN that notification is processed
        let outcome = ports.notify(claim.id).await;
        // THEN its send is recorded but the claim stays approved for the new contact's e-mail
        assert_eq!(outcome, Ok(NotifyOutcome::NotNeeded(ClaimStatus::Approved)));
        assert_eq!(ports.stored(claim.id).0.status(), ClaimStatus::Approved);
        assert!(matches!(
            ports.store.ledger_entry(claim.id),
            Some(SendEntry::Sent { .. })
        ));
        // AND the correction's own notification reaches the new address
        assert_eq!(ports.notify(claim.id).await, Ok(NotifyOutcome::Notified));
        let emails = ports.mailer.sent();
        assert_eq!(
            emails.iter().map(|e| e.to.as_str()).collect::<Vec<_>>(),
            ["giulia@contoso.com", "marco@contoso.com"]
        );
    }

    #[tokio::test]
    async fn a_claim_withdrawn_before_its_notification_is_never_emailed() {
        // GIVEN a claim withdrawn before its notification was processed
        let ports = Ports::new();
        let claim = claim(&ports).await;
        let withdrawal = claim.withdraw(now(), reason("sent in error")).unwrap();
        ports.store.apply(&withdrawal).await.unwrap();
        // WHEN the notification is processed
        let outcome = ports.notify(claim.id).await;
        // THEN nothing is sent, leased or changed
        assert_eq!(
            outcome,
            Ok(NotifyOutcome::NotNeeded(ClaimStatus::Withdrawn))
        );
        assert!(ports.mailer.sent().is_empty());
        assert_eq!(ports.store.ledger_entry(claim.id), None);
        assert_eq!(ports.stored(claim.id).0, withdrawal.claim);
    }

    #[tokio::test]
    async fn an_unknown_claim_is_refused_as_poison() {
        let ports = Ports::new();
        let unknown = ClaimId::new_at(now());
        assert_eq!(
            ports.notify(unknown).await,
            Err(NotifyError::UnknownClaim(unknown))
        );
        assert!(ports.mailer.sent().is_empty());
    }

    #[tokio::test]
    async fn a_claim_that_cannot_be_read_fails_for_a_retry_without_sending() {
        let ports = Ports::new();
        let claim = claim(&ports).await;
        ports.store.fail(StoreCall::Claim, 1);
        assert!(matches!(
            ports.notify(claim.id).await,
            Err(NotifyError::Unavailable(_))
        ));
        assert!(ports.mailer.sent().is_empty());
        assert_eq!(ports.notify(claim.id).await, Ok(NotifyOutcome::Notified));
    }

    #[tokio::test]
    async fn a_send_record_that_conflicts_without_a_change_still_opens_the_window() {
        // GIVEN a store whose transaction recording the send is cancelled once by a concurrent
        // transaction that leaves the claim as it was
        let ports = Ports::new();
        let claim = claim(&ports).await;
        ports.store.conflict(StoreCall::RecordSent, 1);
        // WHEN the notification is processed
        let outcome = ports.notify(claim.id).await;
        // THEN the claim, still submitted, is notified once and its window opens
        assert_eq!(outcome, Ok(NotifyOutcome::Notified));
        assert_eq!(ports.mailer.sent().len(), 1);
        assert_eq!(
            ports.stored(claim.id).0.status(),
            ClaimStatus::AwaitingCustomer
        );
    }
}
