//! The customer's side: what the page behind the link shows, and recording a decline.

use crate::claim::{Claim, ClaimState, ClaimStatus, TransitionError};
use crate::clock::Clock;
use crate::ports::{ApplyError, ClaimRepository, Unavailable};
use crate::token::OptOutKeyring;
use chrono::{DateTime, Utc};

/// What the customer's page says about the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageState {
    /// The customer may still decline, until the deadline.
    Open {
        /// The last instant to decline.
        deadline: DateTime<Utc>,
    },
    /// The claim was accepted but the customer has not been notified yet.
    NotYetOpen,
    /// The customer declined.
    Declined { at: DateTime<Utc> },
    /// The association is official.
    Associated,
    /// The deadline passed; finalization has not run yet, but the decision is made.
    WindowClosed {
        /// The deadline that passed.
        deadline: DateTime<Utc>,
    },
    /// The partner withdrew the claim.
    Withdrawn,
}

impl PageState {
    /// What the page shows for `claim` at `now`.
    pub fn of(claim: &Claim, now: DateTime<Utc>) -> Self {
        match &claim.state {
            ClaimState::Submitted => Self::NotYetOpen,
            ClaimState::AwaitingCustomer { window } if window.is_open_at(now) => Self::Open {
                deadline: window.deadline,
            },
            ClaimState::AwaitingCustomer { window } => Self::WindowClosed {
                deadline: window.deadline,
            },
            ClaimState::Associated { .. } => Self::Associated,
            ClaimState::Declined { decided_at, .. } => Self::Declined { at: *decided_at },
            ClaimState::Withdrawn { .. } => Self::Withdrawn,
        }
    }
}

/// A claim as its customer's page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptOutPage {
    pub claim: Claim,
    /// What the page says.
    pub state: PageState,
}

/// What became of a decline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclineOutcome {
    /// Recorded now.
    Declined,
    /// It was already declined; nothing changed.
    AlreadyDeclined,
    /// The window had closed; nothing was recorded.
    WindowClosed,
    /// The claim was already decided otherwise (associated or withdrawn), or not yet open.
    NotOpen(ClaimStatus),
}

/// Why the page cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptOutError {
    /// The link is not genuine, or names no claim.
    #[error("the link is not valid")]
    InvalidLink,
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// The record-opt-out use case.
pub struct OptOutDesk<'a> {
    pub claims: &'a dyn ClaimRepository,
    pub clock: &'a dyn Clock,
    /// Verifies the links.
    pub keyring: &'a OptOutKeyring,
}

impl OptOutDesk<'_> {
    async fn load(&self, token: &str) -> Result<Claim, OptOutError> {
        let claim_id = self
            .keyring
            .verify(token, self.clock.now())
            .map_err(|_| OptOutError::InvalidLink)?;
        self.claims
            .claim(claim_id)
            .await?
            .ok_or(OptOutError::InvalidLink)
    }

    /// The page for a link. Never changes anything: mail scanners open links.
    pub async fn view(&self, token: &str) -> Result<OptOutPage, OptOutError> {
        let claim = self.load(token).await?;
        let state = PageState::of(&claim, self.clock.now());
        Ok(OptOutPage { claim, state })
    }

    /// Records the customer's decline, if the window is open. Repeating it changes nothing.
    pub async fn decline(&self, token: &str) -> Result<DeclineOutcome, OptOutError> {
        let received = self.clock.now();
        let mut claim = self.load(token).await?;
        for _ in 0..super::CONFLICT_RETRIES {
            let transition = match claim.opt_out(received) {
                Ok(transition) => transition,
                Err(TransitionError::WindowClosed(_)) => return Ok(DeclineOutcome::WindowClosed),
                Err(TransitionError::AlreadyFinal(ClaimStatus::Declined)) => {
                    return Ok(DeclineOutcome::AlreadyDeclined);
                }
                Err(
                    TransitionError::AlreadyFinal(status) | TransitionError::NotAllowedFrom(status),
                ) => return Ok(DeclineOutcome::NotOpen(status)),
                Err(TransitionError::WindowStillOpen(_)) => {
                    return Ok(DeclineOutcome::NotOpen(claim.status()));
                }
            };
            match self.claims.apply(&transition).await {
                Ok(()) => {
                    tracing::info!(claim_id = %claim.id, "customer declined");
                    return Ok(DeclineOutcome::Declined);
                }
                // Finalization or the partner wrote first: decide again on what is stored now.
                Err(ApplyError::Conflict) => {
                    claim = self
                        .claims
                        .claim(claim.id)
                        .await?
                        .ok_or(OptOutError::InvalidLink)?;
                }
                Err(ApplyError::Unavailable(e)) => return Err(e.into()),
            }
        }
        Err(Unavailable("the claim kept changing while the decline was recorded".into()).into())
    }
}
