//! Notifying the customer: send the e-mail at most once, then open the opt-out window.

use crate::calendar::BusinessCalendar;
use crate::claim::{ClaimState, ClaimStatus};
use crate::clock::Clock;
use crate::email::compose_notification;
use crate::ids::ClaimId;
use crate::ports::{
    ApplyError, ClaimRepository, Mailer, NotificationLease, NotificationLedger, Unavailable,
};
use crate::token::OptOutKeyring;
use chrono::TimeDelta;

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
    /// The claims.
    pub claims: &'a dyn ClaimRepository,
    /// The record of sends.
    pub ledger: &'a dyn NotificationLedger,
    /// The mail service.
    pub mailer: &'a dyn Mailer,
    /// The time.
    pub clock: &'a dyn Clock,
    /// Business days and holidays.
    pub calendar: &'a BusinessCalendar,
    /// Signs the opt-out links.
    pub keyring: &'a OptOutKeyring,
    /// Where the customer pages are served, e.g. `https://cpor.example.com`.
    pub public_base_url: &'a str,
    /// How long this worker may hold the right to send (normally [`SEND_LEASE`]).
    pub send_lease: TimeDelta,
}

/// How often recording a sent e-mail is attempted before the message is given up.
const RECORD_ATTEMPTS: u32 = 6;

impl NotifyCustomer<'_> {
    /// Gives this attempt's lease back, if it holds one; a failure only delays the retry
    /// until the lease expires.
    async fn release(&self, claim_id: ClaimId, owner: &str) {
        if let Err(e) = self.ledger.release(claim_id, owner).await {
            tracing::warn!(%claim_id, error = %e, "could not release the send lease");
        }
    }

    /// Runs `write` until it succeeds, conflicts, or has failed [`RECORD_ATTEMPTS`] times, with
    /// a doubling pause between attempts.
    async fn persist<F, Fut>(&self, mut write: F) -> Result<(), ApplyError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<(), ApplyError>>,
    {
        let mut pause = std::time::Duration::from_millis(25);
        for attempt in 1..=RECORD_ATTEMPTS {
            match write().await {
                Err(ApplyError::Unavailable(e)) if attempt < RECORD_ATTEMPTS => {
                    tracing::warn!(error = %e, attempt, "recording the sent e-mail failed; retrying");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                other => return other,
            }
        }
        Err(ApplyError::Unavailable(Unavailable("unreachable".into())))
    }

    /// Notifies the customer of `claim_id`; safe to call again for the same claim.
    pub async fn notify(&self, claim_id: ClaimId) -> Result<NotifyOutcome, NotifyError> {
        for _ in 0..super::CONFLICT_RETRIES {
            let claim = self
                .claims
                .claim(claim_id)
                .await?
                .ok_or(NotifyError::UnknownClaim(claim_id))?;
            match &claim.state {
                ClaimState::Submitted => {}
                ClaimState::Withdrawn { window: None, .. } => {
                    return Ok(NotifyOutcome::NotNeeded(claim.status()));
                }
                _ => return Ok(NotifyOutcome::AlreadyNotified),
            }
            let zone = claim.subject.customer_contact.time_zone.tz();
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
            let sent = match lease {
                NotificationLease::HeldElsewhere => return Err(NotifyError::HeldElsewhere),
                NotificationLease::AlreadySent { sent_at } => {
                    // A previous delivery sent the e-mail but did not open the window.
                    let transition = claim
                        .notify(self.calendar.opt_out_window(sent_at, zone))
                        .map_err(|e| NotifyError::Compose(e.to_string()))?;
                    match self.claims.apply(&transition).await {
                        Ok(()) => return Ok(NotifyOutcome::Notified),
                        Err(ApplyError::Conflict) => continue,
                        Err(ApplyError::Unavailable(e)) => return Err(e.into()),
                    }
                }
                NotificationLease::Acquired => now,
            };
            let window = self.calendar.opt_out_window(sent, zone);
            let link = format!(
                "{}/opt-out/{}",
                self.public_base_url.trim_end_matches('/'),
                self.keyring.sign(claim_id)
            );
            let transition = claim
                .notify(window)
                .map_err(|e| NotifyError::Compose(e.to_string()))?;
            let email = match compose_notification(&claim, &window, &link) {
                Ok(email) => email,
                Err(e) => {
                    self.release(claim_id, &owner).await;
                    return Err(NotifyError::Compose(e.to_string()));
                }
            };
            let message_id = match self.mailer.send(&email).await {
                Ok(id) => id,
                Err(e) => {
                    // Give the lease back so that the retry can send at once.
                    self.release(claim_id, &owner).await;
                    return Err(e.into());
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
            return match recorded {
                Ok(()) => Ok(NotifyOutcome::Notified),
                Err(ApplyError::Conflict) => {
                    // The partner withdrew while the e-mail was going out: the send is still
                    // recorded so that it never goes out twice.
                    self.persist(|| self.ledger.record_sent(claim_id, sent, &message_id, None))
                        .await
                        .map_err(|e| match e {
                            ApplyError::Unavailable(u) => u,
                            ApplyError::Conflict => Unavailable("send record conflict".into()),
                        })?;
                    let status = self
                        .claims
                        .claim(claim_id)
                        .await?
                        .map_or(ClaimStatus::Withdrawn, |c| c.status());
                    Ok(NotifyOutcome::NotNeeded(status))
                }
                Err(ApplyError::Unavailable(e)) => Err(e.into()),
            };
        }
        Err(NotifyError::Unavailable(Unavailable(
            "the claim kept changing while it was being notified".into(),
        )))
    }
}
