//! Notifying the customer: send the e-mail at most once, then open the opt-out window.

use crate::calendar::BusinessCalendar;
use crate::claim::{Claim, ClaimState, ClaimStatus};
use crate::clock::{Clock, Pause};
use crate::email::compose_notification;
use crate::ids::ClaimId;
use crate::ports::{
    ApplyError, ClaimRepository, Mailer, NotificationLease, NotificationLedger, Unavailable,
};
use crate::retry::RETRY;
use crate::token::OptOutKeyring;
use chrono::{DateTime, TimeDelta, Utc};

/// How long one worker may hold the right to send a notification. Longer than a send takes,
/// shorter than the queue's retry delay, so a crashed worker's message is sent by the next.
pub const SEND_LEASE: TimeDelta = TimeDelta::minutes(2);

/// What became of one notification request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyOutcome {
    /// The e-mail was sent and the window opened.
    Notified,
    /// An earlier delivery of the same request did it.
    AlreadyNotified,
    /// The claim left the lifecycle before it was notified (the partner withdrew).
    NotNeeded(ClaimStatus),
}

/// Why a notification must be retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// No such claim: the message is poison.
    #[error("claim {0} does not exist")]
    UnknownClaim(ClaimId),
    /// Another worker holds the send lease.
    #[error("another worker is sending this notification")]
    HeldElsewhere,
    /// The e-mail could not be composed.
    #[error("the e-mail could not be composed: {0}")]
    Compose(String),
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// The notify-customer use case.
pub struct NotifyCustomer<'a> {
    pub claims: &'a dyn ClaimRepository,
    /// The record of sends: what keeps an e-mail from going out twice.
    pub ledger: &'a dyn NotificationLedger,
    pub mailer: &'a dyn Mailer,
    pub clock: &'a dyn Clock,
    /// Waiting between attempts to record a sent e-mail.
    pub pause: &'a dyn Pause,
    /// Business days and holidays: the opt-out window's length.
    pub calendar: &'a BusinessCalendar,
    /// Signs the opt-out links.
    pub keyring: &'a OptOutKeyring,
    /// Where the customer pages are served, e.g. `https://cpor.example.com`.
    pub public_base_url: &'a str,
    /// How long this worker may hold the right to send (normally [`SEND_LEASE`]).
    pub send_lease: TimeDelta,
}

/// What a claim's state asks of a notification request.
enum Need {
    Send(Box<Claim>),
    Nothing(NotifyOutcome),
}

impl NotifyCustomer<'_> {
    /// Notifies the customer of `claim_id`; safe to call again for the same claim.
    pub async fn notify(&self, claim_id: ClaimId) -> Result<NotifyOutcome, NotifyError> {
        for _ in 0..super::CONFLICT_RETRIES {
            let claim = match self.need(claim_id).await? {
                Need::Send(claim) => claim,
                Need::Nothing(outcome) => return Ok(outcome),
            };
            let now = self.clock.now();
            let owner = ulid::Ulid::new().to_string();
            let lease = match self
                .ledger
                .acquire(claim_id, &owner, now, now + self.send_lease)
                .await
            {
                Ok(lease) => lease,
                Err(e) => {
                    // The lease may have been written before the failure: give it back, or
                    // every redelivery would find it held until it expires.
                    self.release(claim_id, &owner).await;
                    return Err(e.into());
                }
            };
            let result = match lease {
                NotificationLease::HeldElsewhere => return Err(NotifyError::HeldElsewhere),
                NotificationLease::AlreadySent { sent_at } => {
                    self.open_window_of_earlier_send(&claim, sent_at).await
                }
                NotificationLease::Acquired => self.send(&claim, &owner, now).await,
            };
            match result {
                Err(Retry::Conflict) => continue,
                Err(Retry::Failed(e)) => return Err(e),
                Ok(outcome) => return Ok(outcome),
            }
        }
        Err(NotifyError::Unavailable(Unavailable(
            "the claim kept changing while it was being notified".into(),
        )))
    }

    async fn need(&self, claim_id: ClaimId) -> Result<Need, NotifyError> {
        let claim = self
            .claims
            .claim(claim_id)
            .await?
            .ok_or(NotifyError::UnknownClaim(claim_id))?;
        Ok(match &claim.state {
            ClaimState::Submitted => Need::Send(Box::new(claim)),
            ClaimState::Withdrawn { window: None, .. } => {
                Need::Nothing(NotifyOutcome::NotNeeded(claim.status()))
            }
            ClaimState::AwaitingCustomer { .. }
            | ClaimState::Associated { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn {
                window: Some(_), ..
            } => Need::Nothing(NotifyOutcome::AlreadyNotified),
        })
    }

    /// A previous delivery sent the e-mail at `sent_at` but did not open the window.
    async fn open_window_of_earlier_send(
        &self,
        claim: &Claim,
        sent_at: DateTime<Utc>,
    ) -> Result<NotifyOutcome, Retry> {
        let zone = claim.subject.customer_contact.time_zone.tz();
        let transition = claim
            .notify(self.calendar.opt_out_window(sent_at, zone))
            .map_err(|e| Retry::Failed(NotifyError::Compose(e.to_string())))?;
        match self.claims.apply(&transition).await {
            Ok(()) => Ok(NotifyOutcome::Notified),
            Err(ApplyError::Conflict) => Err(Retry::Conflict),
            Err(ApplyError::Unavailable(e)) => Err(Retry::Failed(e.into())),
        }
    }

    /// Sends the e-mail under `owner`'s lease, then records the send with the transition that
    /// opens the window.
    async fn send(
        &self,
        claim: &Claim,
        owner: &str,
        sent: DateTime<Utc>,
    ) -> Result<NotifyOutcome, Retry> {
        let claim_id = claim.id;
        let zone = claim.subject.customer_contact.time_zone.tz();
        let window = self.calendar.opt_out_window(sent, zone);
        let link = format!(
            "{}/opt-out/{}",
            self.public_base_url.trim_end_matches('/'),
            self.keyring.sign(claim_id)
        );
        let composed = claim
            .notify(window)
            .map_err(|e| e.to_string())
            .and_then(|transition| {
                compose_notification(claim, &window, &link)
                    .map(|email| (transition, email))
                    .map_err(|e| e.to_string())
            });
        let (transition, email) = match composed {
            Ok(composed) => composed,
            Err(e) => {
                self.release(claim_id, owner).await;
                return Err(Retry::Failed(NotifyError::Compose(e)));
            }
        };
        let message_id = match self.mailer.send(&email).await {
            Ok(id) => id,
            Err(e) => {
                // Give the lease back so that the retry can send at once.
                self.release(claim_id, owner).await;
                return Err(Retry::Failed(e.into()));
            }
        };
        tracing::info!(%claim_id, to = %email.to.masked(), email_message_id = %message_id, "customer notified");
        // The e-mail is out: recording that is what keeps it from going out twice, so it is
        // retried here, beyond the SDK's own retries, before the message is given up.
        let recorded = self
            .persist(|| {
                self.ledger
                    .record_sent(claim_id, sent, &message_id, Some(&transition))
            })
            .await;
        match recorded {
            Ok(()) => Ok(NotifyOutcome::Notified),
            Err(ApplyError::Conflict) => {
                // The partner withdrew while the e-mail was going out: the send is still
                // recorded so that it never goes out twice.
                self.persist(|| self.ledger.record_sent(claim_id, sent, &message_id, None))
                    .await
                    .map_err(|e| match e {
                        ApplyError::Unavailable(u) => Retry::Failed(u.into()),
                        ApplyError::Conflict => {
                            Retry::Failed(Unavailable("send record conflict".into()).into())
                        }
                    })?;
                let status = self
                    .claims
                    .claim(claim_id)
                    .await
                    .map_err(|e| Retry::Failed(e.into()))?
                    .map_or(ClaimStatus::Withdrawn, |c| c.status());
                Ok(NotifyOutcome::NotNeeded(status))
            }
            Err(ApplyError::Unavailable(e)) => Err(Retry::Failed(e.into())),
        }
    }

    /// Gives this attempt's lease back, if it holds one; a failure only delays the retry
    /// until the lease expires.
    async fn release(&self, claim_id: ClaimId, owner: &str) {
        if let Err(e) = self.ledger.release(claim_id, owner).await {
            tracing::warn!(%claim_id, error = %e, "could not release the send lease");
        }
    }

    /// Runs a write of the sent e-mail's record under the retry policy; a conflict is an
    /// answer, not a failure to retry.
    async fn persist<F, Fut>(&self, write: F) -> Result<(), ApplyError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<(), ApplyError>>,
    {
        RETRY
            .run("recording the sent e-mail", self.pause, write, |e| {
                matches!(e, ApplyError::Unavailable(_))
            })
            .await
    }
}

/// How one attempt of [`NotifyCustomer::notify`] ended without an outcome.
enum Retry {
    /// The claim changed meanwhile: decide again on what is stored now.
    Conflict,
    Failed(NotifyError),
}
