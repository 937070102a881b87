//! Sending one message at most once, under a lease in the ledger of sends: take the lease (or
//! find the message sent, refused or held), compose, send, and write down what became of it.
//! A lease is given back only when nothing went out; a send that may have gone out is held,
//! never sent again by itself.
//!
//! The use cases that e-mail (a customer's notification, the e-mails that follow claims'
//! events) differ only in what they compose and in what becomes of a held send
//! ([`WhenUnknown`]).

use crate::claim::Transition;
use crate::clock::{Clock, Pause};
use crate::contact::mask_addresses;
use crate::email::CustomerEmail;
use crate::ids::ClaimId;
use crate::ports::{ApplyError, Mailer, SendError, SendLease, SendLedger, SendRef, Unavailable};
use crate::retry::RETRY;
use chrono::{DateTime, TimeDelta, Utc};

/// A log line about the send of `key`: it carries the claim's id, and the notification's number
/// or the event's sequence and the recipient, each as a field of its own.
macro_rules! about {
    ($level:ident, $key:expr, $($rest:tt)*) => {{
        let key: SendRef = $key;
        let (notice, sequence, recipient) = match key {
            SendRef::Notice(notice) => (Some(notice.number), None, None),
            SendRef::EventMail(mail) => (
                None,
                Some(mail.sequence),
                Some(tracing::field::debug(mail.recipient)),
            ),
        };
        tracing::$level!(claim_id = %key.claim_id(), notice, sequence, recipient, $($rest)*)
    }};
}

/// How long one worker may hold the right to send a message. Longer than a send takes, shorter
/// than the queue's retry delay, so a crashed worker's message is looked at by the next.
pub const SEND_LEASE: TimeDelta = TimeDelta::minutes(2);

/// What becomes of a send that may have gone out (the mail service's answer was lost, or its
/// worker stopped): held in every case, and then, by the use case's policy, either left to an
/// operator or settled by the mail service's own word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenUnknown {
    /// Held for an operator, never sent again by itself.
    Operator,
    /// Held until the mail service's own word settles it (its `Send` event records the send).
    /// Without that word within `wait`, nothing went out, and the send is released for one more
    /// attempt; after `automatic_retries` releases, it is left to an operator.
    MailServiceWord {
        wait: TimeDelta,
        automatic_retries: u32,
    },
}

/// What became of one message.
#[derive(Debug)]
pub enum Sent<T> {
    /// This attempt sent `email` at `at`, as the mail service's `message_id`, with what was
    /// composed along with it: the caller records it ([`SendOnce::record`]).
    Now {
        at: DateTime<Utc>,
        message_id: String,
        email: CustomerEmail,
        composed: T,
    },
    /// An earlier attempt sent it at `at`.
    Before { at: DateTime<Utc> },
    /// Whether it went out is unknown: it is held. `look_again_in` is when the mail service's
    /// word is overdue and the send may be released; `None` when it is left to an operator.
    Held { look_again_in: Option<TimeDelta> },
    /// The mail service refused the address for good.
    Rejected,
}

/// Why a message was not sent, for its queue to try again later (or, when its claim does not
/// exist, to give it up): the error of the use cases that send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendOnceError {
    /// No such claim: the message is poison.
    #[error("claim {0} does not exist")]
    UnknownClaim(ClaimId),
    /// Another worker holds the send lease.
    #[error("another worker is sending this message")]
    HeldElsewhere,
    /// The message could not be composed.
    #[error("the e-mail could not be composed: {0}")]
    Compose(String),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// The ports a message is sent at most once through.
#[derive(Clone, Copy)]
pub struct SendOnce<'a> {
    /// The record of sends: what keeps a message from going out twice.
    pub ledger: &'a dyn SendLedger,
    pub mailer: &'a dyn Mailer,
    pub clock: &'a dyn Clock,
    /// Waiting between attempts to record a sent message.
    pub pause: &'a dyn Pause,
    /// How long this worker may hold the right to send (normally [`SEND_LEASE`]).
    pub send_lease: TimeDelta,
}

impl SendOnce<'_> {
    /// Sends `key`'s message, which `compose` makes once the lease is taken (from the time of
    /// the send), unless it was sent, refused or held before, or another worker is sending it;
    /// `when_unknown` decides what becomes of a held send. A failure that sent nothing gives
    /// the lease back, so that a retry sends at once.
    pub async fn send<T>(
        &self,
        key: SendRef,
        when_unknown: WhenUnknown,
        compose: impl FnOnce(DateTime<Utc>) -> Result<(CustomerEmail, T), String>,
    ) -> Result<Sent<T>, SendOnceError> {
        let now = self.clock.now();
        let owner = ulid::Ulid::new().to_string();
        if let Some(answer) = self.lease(key, &owner, now, when_unknown).await? {
            return Ok(answer);
        }
        let (email, composed) = match compose(now) {
            Ok(composed) => composed,
            Err(e) => {
                self.release(key, &owner).await;
                return Err(SendOnceError::Compose(e));
            }
        };
        let sent = match key {
            // Tagged, so that the mail service's own events about it name the notification.
            SendRef::Notice(notice) => self.mailer.send_notice(&email, notice).await,
            SendRef::EventMail(_) => self.mailer.send(&email).await,
        };
        let message_id = match sent {
            Ok(message_id) => message_id,
            Err(e) => {
                return self
                    .not_sent(key, &owner, now, when_unknown, &email, e)
                    .await;
            }
        };
        Ok(Sent::Now {
            at: now,
            message_id,
            email,
            composed,
        })
    }

    /// Takes the lease of `key` for `owner` at `now`; `None` when this attempt may send, else
    /// what became of the message before (a held send released for one more attempt may be
    /// sent, by `when_unknown`).
    async fn lease<T>(
        &self,
        key: SendRef,
        owner: &str,
        now: DateTime<Utc>,
        when_unknown: WhenUnknown,
    ) -> Result<Option<Sent<T>>, SendOnceError> {
        let lease = match self
            .ledger
            .acquire(key, owner, now, now + self.send_lease)
            .await
        {
            Ok(lease) => lease,
            Err(e) => {
                // The lease may have been written before the failure: give it back, or every
                // redelivery would find it held until it expires.
                self.release(key, owner).await;
                return Err(e.into());
            }
        };
        match lease {
            SendLease::Acquired => Ok(None),
            SendLease::AlreadySent { sent_at } => Ok(Some(Sent::Before { at: sent_at })),
            SendLease::HeldElsewhere => Err(SendOnceError::HeldElsewhere),
            SendLease::Rejected => Ok(Some(Sent::Rejected)),
            SendLease::Held { since, releases } => {
                self.retry_held(key, owner, now, (since, releases), when_unknown)
                    .await
            }
        }
    }

    /// A send held since `since` after `releases` releases: still held, unless `when_unknown`
    /// waits for the mail service's word, that word is overdue and releases are left; then it
    /// is taken for one more attempt by `owner` (`None`).
    async fn retry_held<T>(
        &self,
        key: SendRef,
        owner: &str,
        now: DateTime<Utc>,
        (since, releases): (DateTime<Utc>, u32),
        when_unknown: WhenUnknown,
    ) -> Result<Option<Sent<T>>, SendOnceError> {
        let for_operator = Some(Sent::Held {
            look_again_in: None,
        });
        let WhenUnknown::MailServiceWord {
            wait,
            automatic_retries,
        } = when_unknown
        else {
            return Ok(for_operator);
        };
        if releases >= automatic_retries {
            about!(
                error,
                key,
                releases,
                "a held send's automatic retries are used up; left to an operator"
            );
            return Ok(for_operator);
        }
        let due = since + wait;
        if now < due {
            // The mail service may still say it sent it: look again then.
            return Ok(Some(Sent::Held {
                look_again_in: Some(due - now),
            }));
        }
        match self
            .ledger
            .retry_held(key, since, owner, now + self.send_lease)
            .await
        {
            Ok(true) => {
                about!(warn, key, %since, releases, "no word from the mail service of the held send; released for one more attempt");
                Ok(None)
            }
            Ok(false) => Err(SendOnceError::HeldElsewhere),
            Err(e) => {
                self.release(key, owner).await;
                Err(e.into())
            }
        }
    }

    /// Writes down why `owner`'s send of `email` at `now` is not known to have gone out:
    /// nothing went out (the lease is given back), the address was refused, or the outcome is
    /// unknown (the send is held, by `when_unknown`).
    async fn not_sent<T>(
        &self,
        key: SendRef,
        owner: &str,
        now: DateTime<Utc>,
        when_unknown: WhenUnknown,
        email: &CustomerEmail,
        error: SendError,
    ) -> Result<Sent<T>, SendOnceError> {
        match error {
            SendError::NotSent(e) => {
                // Nothing went out: give the lease back so that the retry can send at once.
                self.release(key, owner).await;
                Err(e.into())
            }
            SendError::Rejected(reason) => {
                let reason = mask_addresses(&reason);
                about!(error, key, to = %email.to.masked(), %reason, "the address was refused for good; the e-mail is not sent");
                self.ledger.record_rejected(key, owner, &reason).await?;
                Ok(Sent::Rejected)
            }
            SendError::OutcomeUnknown(reason) => {
                // Sending again could send it twice. If the hold cannot be written, the lease
                // expires and the redelivery holds the send from then.
                let reason = mask_addresses(&reason);
                let look_again_in = match when_unknown {
                    WhenUnknown::Operator => {
                        about!(error, key, %reason, "whether the e-mail went out is unknown; held for an operator");
                        None
                    }
                    WhenUnknown::MailServiceWord { wait, .. } => {
                        about!(warn, key, %reason, "whether the e-mail went out is unknown; held until the mail service says");
                        Some(wait)
                    }
                };
                self.ledger.hold(key, owner, now).await?;
                Ok(Sent::Held { look_again_in })
            }
        }
    }

    /// Records a message sent at `at` as `message_id`, with `transition` in the same write if
    /// one is given. The message is out, and its record is what keeps it from going out twice,
    /// so the write is retried here, beyond the SDK's own retries, before the message is given
    /// up; the lease then stays, and a redelivery holds the send rather than send it again. A
    /// conflict (the transition's claim changed) is an answer, not retried.
    pub async fn record(
        &self,
        key: SendRef,
        at: DateTime<Utc>,
        message_id: &str,
        transition: Option<&Transition>,
    ) -> Result<(), ApplyError> {
        RETRY
            .run(
                "recording the sent e-mail",
                self.pause,
                || self.ledger.record_sent(key, at, message_id, transition),
                |e| matches!(e, ApplyError::Unavailable(_)),
            )
            .await
    }

    /// Records a message sent at `at` as `message_id`, alone: with nothing else in the write,
    /// nothing can conflict with it.
    pub async fn record_alone(
        &self,
        key: SendRef,
        at: DateTime<Utc>,
        message_id: &str,
    ) -> Result<(), Unavailable> {
        self.record(key, at, message_id, None)
            .await
            .map_err(|e| match e {
                ApplyError::Unavailable(e) => e,
                ApplyError::Conflict | ApplyError::UnitHeld => {
                    Unavailable("the record of a send conflicted".into())
                }
            })
    }

    /// Gives this attempt's lease back, if it holds one; a failure only delays the retry until
    /// the lease expires.
    async fn release(&self, key: SendRef, owner: &str) {
        if let Err(e) = self.ledger.release(key, owner).await {
            about!(warn, key, error = %e, "could not release the send lease");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::tests::at;
    use crate::clock::{FixedClock, RecordedPauses};
    use crate::memory::{Answer, MemoryMailer, MemoryStore};
    use crate::ports::{EventMailRecipient, EventMailRef, NoticeRef, SendEntry};

    struct Ports {
        store: MemoryStore,
        mailer: MemoryMailer,
        clock: FixedClock,
        pauses: RecordedPauses,
    }

    fn now() -> DateTime<Utc> {
        at("2026-11-25T10:00:00Z")
    }

    impl Ports {
        fn new() -> Self {
            Self {
                store: MemoryStore::default(),
                mailer: MemoryMailer::default(),
                clock: FixedClock::at(now()),
                pauses: RecordedPauses::default(),
            }
        }

        fn sends(&self) -> SendOnce<'_> {
            crate::usecase::testing::sends(&self.store, &self.mailer, &self.clock, &self.pauses)
        }

        async fn send(
            &self,
            key: SendRef,
            when_unknown: WhenUnknown,
        ) -> Result<Sent<()>, SendOnceError> {
            self.sends()
                .send(key, when_unknown, |_| Ok((email(), ())))
                .await
        }
    }

    fn email() -> CustomerEmail {
        CustomerEmail {
            to: crate::contact::EmailAddress::parse("sam@fabrikam.com").unwrap(),
            subject: "news".into(),
            text: "news".into(),
            html: "<p>news</p>".into(),
        }
    }

    const MAIL_SERVICE_WORD: WhenUnknown = WhenUnknown::MailServiceWord {
        wait: TimeDelta::minutes(15),
        automatic_retries: 1,
    };

    /// Under the operator's policy a held send stays held however long it waits; under the
    /// mail service's, it is released once its word is overdue, as many times as the policy
    /// says, then left to an operator.
    #[tokio::test]
    async fn a_held_send_is_released_only_when_its_policy_says_and_as_often_as_it_says() {
        // GIVEN two messages whose answers are lost without sending
        let ports = Ports::new();
        let claim_id = ClaimId::new_at(now());
        let for_operator = SendRef::from(EventMailRef {
            claim_id,
            sequence: 3,
            recipient: EventMailRecipient::Partner,
        });
        let for_word = SendRef::from(NoticeRef {
            claim_id,
            number: 1,
        });
        ports
            .mailer
            .answer(std::iter::repeat_n(Answer::NothingAnswerLost, 3));
        let held = ports.send(for_operator, WhenUnknown::Operator).await;
        let waiting = ports.send(for_word, MAIL_SERVICE_WORD).await;
        assert!(matches!(
            held,
            Ok(Sent::Held {
                look_again_in: None
            })
        ));
        assert!(matches!(
            waiting,
            Ok(Sent::Held { look_again_in: Some(wait) }) if wait == TimeDelta::minutes(15)
        ));
        // WHEN both come again a day later
        ports.clock.set(now() + TimeDelta::days(1));
        let held = ports.send(for_operator, WhenUnknown::Operator).await;
        let released = ports.send(for_word, MAIL_SERVICE_WORD).await;
        // THEN the operator's stays held, and the other is tried once more (and held again)
        assert!(matches!(
            held,
            Ok(Sent::Held {
                look_again_in: None
            })
        ));
        assert!(matches!(
            released,
            Ok(Sent::Held {
                look_again_in: Some(_)
            })
        ));
        let day_later = now() + TimeDelta::days(1);
        assert_eq!(
            ports.store.send_entry(for_operator),
            Some(SendEntry::Held {
                since: now(),
                releases: 0
            })
        );
        assert_eq!(
            ports.store.send_entry(for_word),
            Some(SendEntry::Held {
                since: day_later,
                releases: 1
            })
        );
        // AND with its one automatic retry used, it is left to an operator: nothing more is
        // sent (the mailer, its lost answers used up, would send the next)
        ports.clock.set(now() + TimeDelta::days(2));
        let left = ports.send(for_word, MAIL_SERVICE_WORD).await;
        assert!(matches!(
            left,
            Ok(Sent::Held {
                look_again_in: None
            })
        ));
        assert!(ports.mailer.sent().is_empty());
    }

    /// A message that cannot be composed is not sent, and its lease is given back for the
    /// retry.
    #[tokio::test]
    async fn a_message_that_cannot_be_composed_gives_its_lease_back() {
        let ports = Ports::new();
        let key = SendRef::from(NoticeRef {
            claim_id: ClaimId::new_at(now()),
            number: 1,
        });
        let failed = ports
            .sends()
            .send(key, WhenUnknown::Operator, |_| {
                Err::<(CustomerEmail, ()), _>("no template".into())
            })
            .await;
        assert_eq!(
            failed.map(|_| ()),
            Err(SendOnceError::Compose("no template".into()))
        );
        assert!(ports.mailer.sent().is_empty());
        assert_eq!(ports.store.send_entry(key), None);
    }

    /// A sent message's record is retried through failures of the store, and holds the
    /// message id.
    #[tokio::test]
    async fn a_sent_message_is_recorded_through_failures_with_its_message_id() {
        let ports = Ports::new();
        let key = SendRef::from(NoticeRef {
            claim_id: ClaimId::new_at(now()),
            number: 1,
        });
        let Ok(Sent::Now { at, message_id, .. }) = ports.send(key, WhenUnknown::Operator).await
        else {
            panic!("not sent");
        };
        ports
            .store
            .fail(crate::memory::StoreCall::RecordSent, RETRY.attempts - 1);
        ports
            .sends()
            .record(key, at, &message_id, None)
            .await
            .unwrap();
        assert_eq!(ports.pauses.taken().len(), RETRY.attempts as usize - 1);
        assert_eq!(
            ports.store.send_entry(key),
            Some(SendEntry::Sent {
                at,
                message_id: Some(message_id)
            })
        );
    }
}
