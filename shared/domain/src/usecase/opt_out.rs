//! The customer's side: what the page behind the link shows, recording a decline, and ending
//! an official association.

use super::{
    Attempt::{LostRace, Settled},
    until_settled,
};
use crate::claim::{Claim, ClaimState, ClaimStatus, Transition, TransitionError};
use crate::clock::Clock;
use crate::ids::ClaimId;
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
    /// The association is official since `since`; the customer may end it.
    Associated { since: DateTime<Utc> },
    /// The customer ended the official association at `at`.
    Revoked { at: DateTime<Utc> },
    /// The deadline passed; finalization has not run yet, but the decision is made.
    WindowClosed {
        /// The deadline that passed.
        deadline: DateTime<Utc>,
    },
    /// The partner withdrew the claim.
    Withdrawn,
    /// Another partner became the partner of record for the workload.
    Superseded,
    /// The subscription of the association ended.
    Expired,
}

impl PageState {
    /// What the page shows for `claim` at `now`.
    pub fn of(claim: &Claim, now: DateTime<Utc>) -> Self {
        match &claim.state {
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
            | ClaimState::Approved { .. }
            | ClaimState::Rejected { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Contested { .. }
            // The notification bounced: the window is stopped until the partner corrects the
            // contact, whose new e-mail carries a new link.
            | ClaimState::CustomerUnreachable { .. } => Self::NotYetOpen,
            ClaimState::AwaitingCustomer { window } if window.is_open_at(now) => Self::Open {
                deadline: window.deadline,
            },
            ClaimState::AwaitingCustomer { window } => Self::WindowClosed {
                deadline: window.deadline,
            },
            ClaimState::Associated { window } => Self::Associated {
                since: claim.decided_at.unwrap_or(window.deadline),
            },
            ClaimState::Revoked { window } => Self::Revoked {
                at: claim.decided_at.unwrap_or(window.deadline),
            },
            ClaimState::Declined { window } => Self::Declined {
                at: claim.decided_at.unwrap_or(window.deadline),
            },
            ClaimState::Withdrawn { .. } => Self::Withdrawn,
            ClaimState::Superseded { .. } => Self::Superseded,
            ClaimState::Expired { .. } => Self::Expired,
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

/// What became of a request to end the association.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndOutcome {
    /// Recorded now: the claim is revoked and its unit free.
    Ended,
    /// It was already ended; nothing changed.
    AlreadyEnded,
    /// The claim is not an official association (not yet, or no longer); nothing changed.
    NotAssociated(ClaimStatus),
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
    /// The claim of a link, while the link is the one of the notification in force: the
    /// link e-mailed to a contact since corrected is no longer valid.
    async fn load(&self, token: &str) -> Result<Claim, OptOutError> {
        let link = self
            .keyring
            .verify_link(token, self.clock.now())
            .map_err(|_| OptOutError::InvalidLink)?;
        self.claims
            .claim(link.claim_id)
            .await?
            .filter(|claim| claim.notice.number == link.notice)
            .ok_or(OptOutError::InvalidLink)
    }

    /// Reads the claim again after a conflict.
    async fn reload(&self, id: ClaimId) -> Result<Claim, OptOutError> {
        self.claims.claim(id).await?.ok_or(OptOutError::InvalidLink)
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
        // Finalization or the partner may write first: each attempt decides on what is stored.
        self.change(
            token,
            "customer declined",
            DeclineOutcome::Declined,
            |claim| {
                claim.opt_out(received).map_err(|refused| match refused {
                    TransitionError::WindowClosed(_) => DeclineOutcome::WindowClosed,
                    TransitionError::AlreadyFinal(ClaimStatus::Declined) => {
                        DeclineOutcome::AlreadyDeclined
                    }
                    TransitionError::AlreadyFinal(status)
                    | TransitionError::NotAllowedFrom(status) => DeclineOutcome::NotOpen(status),
                    TransitionError::WindowStillOpen(_)
                    | TransitionError::ResponseWindowClosed(_)
                    | TransitionError::ResponseNotOverdue(_)
                    | TransitionError::DisputeWindowClosed(_)
                    | TransitionError::DisputeExhausted
                    | TransitionError::SubscriptionEnded
                    | TransitionError::ProofNotNewer(_)
                    | TransitionError::UnreachableNotOverdue(_)
                    | TransitionError::TooManyCorrections
                    | TransitionError::TooManyChanges => DeclineOutcome::NotOpen(claim.status()),
                })
            },
        )
        .await
    }

    /// Ends the official association at the customer's request: revoked, the unit free, the
    /// partner told (through the event of the change). Repeating it changes nothing.
    pub async fn end(&self, token: &str) -> Result<EndOutcome, OptOutError> {
        let received = self.clock.now();
        // The partner may withdraw, or a contest win, first: each attempt decides again.
        self.change(
            token,
            "customer ended the association",
            EndOutcome::Ended,
            |claim| {
                claim.end(received).map_err(|refused| match refused {
                    TransitionError::AlreadyFinal(ClaimStatus::Revoked) => EndOutcome::AlreadyEnded,
                    TransitionError::AlreadyFinal(_)
                    | TransitionError::NotAllowedFrom(_)
                    | TransitionError::WindowClosed(_)
                    | TransitionError::WindowStillOpen(_)
                    | TransitionError::ResponseWindowClosed(_)
                    | TransitionError::ResponseNotOverdue(_)
                    | TransitionError::DisputeWindowClosed(_)
                    | TransitionError::DisputeExhausted
                    | TransitionError::SubscriptionEnded
                    | TransitionError::ProofNotNewer(_)
                    | TransitionError::UnreachableNotOverdue(_)
                    | TransitionError::TooManyCorrections
                    | TransitionError::TooManyChanges => EndOutcome::NotAssociated(claim.status()),
                })
            },
        )
        .await
    }

    /// Applies the customer's move that `decide` makes of the link's claim as stored now, and
    /// answers `done`; or answers what `decide` says instead of a move.
    async fn change<O: Clone>(
        &self,
        token: &str,
        what: &str,
        done: O,
        decide: impl Fn(&Claim) -> Result<Transition, O>,
    ) -> Result<O, OptOutError> {
        let first = self.load(token).await?;
        let id = first.id;
        let mut read = Some(first);
        let (decide, done) = (&decide, &done);
        until_settled("the claim", || {
            // The link's claim was just read: the first attempt decides on it.
            let read = read.take();
            async move {
                let claim = match read {
                    Some(claim) => claim,
                    None => self.reload(id).await?,
                };
                let transition = match decide(&claim) {
                    Ok(transition) => transition,
                    Err(answer) => return Ok(Settled(answer)),
                };
                match self.claims.apply(&transition).await {
                    Ok(()) => {
                        tracing::info!(claim_id = %claim.id, "{what}");
                        Ok(Settled(done.clone()))
                    }
                    Err(ApplyError::Conflict | ApplyError::UnitHeld) => Ok(LostRace),
                    Err(ApplyError::Unavailable(e)) => Err(e.into()),
                }
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::tests::at;
    use crate::claim::{Actor, HistoryEntry};
    use crate::clock::FixedClock;
    use crate::ids::ClaimId;
    use crate::memory::{MemoryStore, StoreCall};
    use crate::token::SigningKey;
    use crate::usecase::testing::{
        FABRIKAM, awaiting_customer, keyring, notified, now, reason, store, submitted,
    };
    use chrono::TimeDelta;

    /// The use case's ports, in memory.
    struct Ports {
        store: MemoryStore,
        clock: FixedClock,
        keyring: OptOutKeyring,
    }

    impl Ports {
        fn new() -> Self {
            Self {
                store: store(),
                clock: FixedClock::at(now()),
                keyring: keyring(),
            }
        }

        fn desk(&self) -> OptOutDesk<'_> {
            OptOutDesk {
                claims: &self.store,
                clock: &self.clock,
                keyring: &self.keyring,
            }
        }

        fn link(&self, claim: &Claim) -> String {
            self.keyring.sign(claim.id)
        }

        fn stored(&self, claim: &Claim) -> (Claim, Vec<HistoryEntry>) {
            self.store.stored(claim.id).unwrap()
        }

        fn lock_is_held(&self, claim: &Claim) -> bool {
            self.store
                .lock_holder(claim.subject.lock().as_str())
                .is_some_and(|holder| holder.claim_id == claim.id)
        }
    }

    /// The deadline of [`awaiting_customer`]'s window: the end of the fifth business day after
    /// Wednesday 25 November 2026, in UTC.
    fn deadline() -> DateTime<Utc> {
        at("2026-12-02T23:59:59.999Z")
    }

    #[tokio::test]
    async fn a_decline_within_the_window_is_recorded_as_the_customers_and_frees_the_lock() {
        // GIVEN a claim awaiting its customer
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        // WHEN the customer declines two days later
        let received = at("2026-11-27T12:00:00Z");
        ports.clock.set(received);
        let outcome = ports.desk().decline(&ports.link(&claim)).await;
        // THEN the claim is declined at that time by the customer, and its lock is free
        assert_eq!(outcome, Ok(DeclineOutcome::Declined));
        let (stored, history) = ports.stored(&claim);
        assert_eq!(stored.status(), ClaimStatus::Declined);
        assert_eq!(stored.decided_at, Some(received));
        let last = history.last().unwrap();
        assert_eq!((last.actor, last.at), (Actor::Customer, received));
        assert!(!ports.lock_is_held(&claim));
    }

    #[tokio::test]
    async fn a_decline_at_the_deadline_itself_wins() {
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        ports.clock.set(deadline());
        let outcome = ports.desk().decline(&ports.link(&claim)).await;
        assert_eq!(outcome, Ok(DeclineOutcome::Declined));
        assert_eq!(ports.stored(&claim).0.status(), ClaimStatus::Declined);
    }

    #[tokio::test]
    async fn a_decline_after_the_deadline_records_nothing() {
        // GIVEN a claim whose window closed a millisecond ago, not yet finalized
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        ports.clock.set(deadline() + TimeDelta::milliseconds(1));
        // WHEN the customer declines
        let outcome = ports.desk().decline(&ports.link(&claim)).await;
        // THEN the window is closed, and the claim and its lock are as they were
        assert_eq!(outcome, Ok(DeclineOutcome::WindowClosed));
        assert_eq!(ports.stored(&claim).0, claim);
        assert!(ports.lock_is_held(&claim));
    }

    #[tokio::test]
    async fn declining_again_changes_nothing() {
        // GIVEN a declined claim
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        ports.desk().decline(&ports.link(&claim)).await.unwrap();
        let before = ports.stored(&claim);
        // WHEN the customer declines again, even after the deadline
        ports.clock.set(deadline() + TimeDelta::days(3));
        let again = ports.desk().decline(&ports.link(&claim)).await;
        // THEN it is already declined, and nothing changes
        assert_eq!(again, Ok(DeclineOutcome::AlreadyDeclined));
        assert_eq!(ports.stored(&claim), before);
    }

    #[tokio::test]
    async fn a_forged_or_tampered_link_is_refused_and_changes_nothing() {
        // GIVEN a claim awaiting its customer, and links that are not its genuine one
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let before = ports.stored(&claim);
        let forger = OptOutKeyring::new(
            SigningKey::new("k1", b"a secret the forger made up").unwrap(),
            vec![],
        );
        let other = ClaimId::new_at(now());
        let genuine = ports.link(&claim);
        let tampered = genuine.replacen(&claim.id.to_string(), &other.to_string(), 1);
        let links = [
            forger.sign(claim.id),
            tampered,
            format!("{genuine}x"),
            "not-a-link".to_owned(),
            // genuine, but naming no stored claim
            ports.keyring.sign(other),
        ];
        for link in links {
            // WHEN the page is viewed or the decline sent with it
            let viewed = ports.desk().view(&link).await;
            let declined = ports.desk().decline(&link).await;
            // THEN the link is refused
            assert_eq!(viewed, Err(OptOutError::InvalidLink), "{link}");
            assert_eq!(declined, Err(OptOutError::InvalidLink), "{link}");
        }
        // AND nothing changed
        assert_eq!(ports.stored(&claim), before);
    }

    #[tokio::test]
    async fn a_decline_that_loses_to_finalization_answers_from_the_stored_claim() {
        // GIVEN a decline received at the deadline, and finalization associating the claim a
        // millisecond later, just before the decline is written
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        ports.clock.set(deadline());
        let finalization = claim
            .finalize(deadline() + TimeDelta::milliseconds(1))
            .unwrap();
        ports.store.race(StoreCall::Apply, finalization.clone());
        // WHEN the decline is written
        let outcome = ports.desk().decline(&ports.link(&claim)).await;
        // THEN it re-reads the claim and answers that it is associated, which it stays
        assert_eq!(
            outcome,
            Ok(DeclineOutcome::NotOpen(ClaimStatus::Associated))
        );
        assert_eq!(ports.stored(&claim).0, finalization.claim);
        assert!(ports.lock_is_held(&claim));
    }

    #[tokio::test]
    async fn a_decline_that_loses_to_another_decline_answers_already_declined() {
        // GIVEN two declines of one claim a second apart, the first written just before the
        // second
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let first = claim.opt_out(at("2026-11-27T12:00:00Z")).unwrap();
        ports.store.race(StoreCall::Apply, first.clone());
        ports.clock.set(at("2026-11-27T12:00:01Z"));
        // WHEN the second is written
        let outcome = ports.desk().decline(&ports.link(&claim)).await;
        // THEN it answers as a repeat, and the first decline stands
        assert_eq!(outcome, Ok(DeclineOutcome::AlreadyDeclined));
        assert_eq!(ports.stored(&claim).0, first.claim);
    }

    #[tokio::test]
    async fn a_claim_not_open_to_a_decline_is_left_as_it_is() {
        // GIVEN a claim not yet notified, one associated and one withdrawn
        let ports = Ports::new();
        let not_yet = submitted(&ports.store, FABRIKAM, "teams", now()).await;
        let associated = {
            let claim = submitted(&ports.store, FABRIKAM, "exchange", now()).await;
            let claim = notified(&ports.store, &claim, now()).await;
            let t = claim.finalize(deadline() + TimeDelta::days(1)).unwrap();
            ports.store.apply(&t).await.unwrap();
            t.claim
        };
        let withdrawn = {
            let claim = submitted(&ports.store, FABRIKAM, "intune", now()).await;
            let claim = notified(&ports.store, &claim, now()).await;
            let t = claim.withdraw(now(), reason("engagement ended")).unwrap();
            ports.store.apply(&t).await.unwrap();
            t.claim
        };
        for (claim, status) in [
            (not_yet, ClaimStatus::Submitted),
            (associated, ClaimStatus::Associated),
            (withdrawn, ClaimStatus::Withdrawn),
        ] {
            // WHEN its customer declines
            let outcome = ports.desk().decline(&ports.link(&claim)).await;
            // THEN the decline is refused with the claim's status, and nothing changes
            assert_eq!(outcome, Ok(DeclineOutcome::NotOpen(status)));
            assert_eq!(ports.stored(&claim).0, claim);
        }
    }

    #[tokio::test]
    async fn a_decline_the_store_cannot_write_fails_for_a_retry() {
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        ports.store.fail(StoreCall::Apply, 1);
        let failed = ports.desk().decline(&ports.link(&claim)).await;
        assert!(matches!(failed, Err(OptOutError::Unavailable(_))));
        assert_eq!(ports.stored(&claim).0, claim);
        assert_eq!(
            ports.desk().decline(&ports.link(&claim)).await,
            Ok(DeclineOutcome::Declined)
        );
    }

    #[tokio::test]
    async fn viewing_the_page_never_changes_anything() {
        // GIVEN a claim awaiting its customer
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let before = ports.stored(&claim);
        // WHEN its page is opened, within the window and after it (a mail scanner, say)
        for seen_at in [now(), deadline(), deadline() + TimeDelta::days(1)] {
            ports.clock.set(seen_at);
            ports.desk().view(&ports.link(&claim)).await.unwrap();
        }
        // THEN the claim, its history and its lock are as they were
        assert_eq!(ports.stored(&claim), before);
        assert!(ports.lock_is_held(&claim));
    }

    #[tokio::test]
    async fn the_page_says_where_the_claim_stands() {
        let ports = Ports::new();
        let page = |claim: Claim| {
            let ports = &ports;
            async move {
                let page = ports.desk().view(&ports.link(&claim)).await.unwrap();
                assert_eq!(page.claim, ports.stored(&claim).0);
                page.state
            }
        };
        // GIVEN a claim not yet notified THEN its page is not yet open
        let not_yet = submitted(&ports.store, FABRIKAM, "exchange", now()).await;
        assert_eq!(page(not_yet).await, PageState::NotYetOpen);
        // GIVEN a claim awaiting its customer THEN its page is open until the deadline, at the
        // deadline included, and says the window closed after it
        let awaiting = awaiting_customer(&ports.store).await;
        ports.clock.set(deadline());
        assert_eq!(
            page(awaiting.clone()).await,
            PageState::Open {
                deadline: deadline()
            }
        );
        ports.clock.set(deadline() + TimeDelta::milliseconds(1));
        assert_eq!(
            page(awaiting.clone()).await,
            PageState::WindowClosed {
                deadline: deadline()
            }
        );
        // GIVEN the claim associated THEN its page says so
        let finalization = awaiting.finalize(deadline() + TimeDelta::days(1)).unwrap();
        ports.store.apply(&finalization).await.unwrap();
        assert_eq!(
            page(awaiting).await,
            PageState::Associated {
                since: deadline() + TimeDelta::days(1)
            }
        );
        // GIVEN a declined claim THEN its page says when
        let declined = submitted(&ports.store, FABRIKAM, "intune", now()).await;
        let declined = notified(&ports.store, &declined, now()).await;
        ports.clock.set(now());
        ports.desk().decline(&ports.link(&declined)).await.unwrap();
        assert_eq!(page(declined).await, PageState::Declined { at: now() });
        // GIVEN a withdrawn claim THEN its page says so
        let withdrawn = submitted(&ports.store, FABRIKAM, "defender", now()).await;
        let t = withdrawn.withdraw(now(), reason("sent in error")).unwrap();
        ports.store.apply(&t).await.unwrap();
        assert_eq!(page(withdrawn).await, PageState::Withdrawn);
    }

    /// Fabrikam's claim on Contoso's Teams, made official the night after its window closed.
    async fn associated(ports: &Ports) -> Claim {
        let awaiting = awaiting_customer(&ports.store).await;
        let t = awaiting.finalize(deadline() + TimeDelta::hours(2)).unwrap();
        ports.store.apply(&t).await.unwrap();
        t.claim
    }

    #[tokio::test]
    async fn the_customer_ends_an_official_association_at_any_time_which_frees_the_unit() {
        // GIVEN an associated claim
        let ports = Ports::new();
        let claim = associated(&ports).await;
        // WHEN the customer ends it months later from the page
        let received = at("2027-04-01T08:00:00Z");
        ports.clock.set(received);
        let outcome = ports.desk().end(&ports.link(&claim)).await;
        // THEN it is revoked by the customer at that time, its unit free
        assert_eq!(outcome, Ok(EndOutcome::Ended));
        let (stored, history) = ports.stored(&claim);
        assert_eq!(stored.status(), ClaimStatus::Revoked);
        assert_eq!(stored.decided_at, Some(received));
        let last = history.last().unwrap();
        assert_eq!(
            (last.actor, last.event.as_str()),
            (Actor::Customer, "revoked")
        );
        assert!(!ports.lock_is_held(&claim));
        // AND ending it again changes nothing
        assert_eq!(
            ports.desk().end(&ports.link(&claim)).await,
            Ok(EndOutcome::AlreadyEnded)
        );
        assert_eq!(ports.stored(&claim).1.len(), history.len());
        // AND its page says it was ended
        assert!(matches!(
            ports.desk().view(&ports.link(&claim)).await.unwrap().state,
            PageState::Revoked { at } if at == received
        ));
    }

    #[tokio::test]
    async fn a_claim_that_is_not_official_cannot_be_ended() {
        // GIVEN a claim awaiting its customer
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        // WHEN the page is asked to end it
        let outcome = ports.desk().end(&ports.link(&claim)).await;
        // THEN nothing is recorded
        assert_eq!(
            outcome,
            Ok(EndOutcome::NotAssociated(ClaimStatus::AwaitingCustomer))
        );
        assert_eq!(ports.stored(&claim).0, claim);
    }

    #[tokio::test]
    async fn the_link_of_a_corrected_contact_is_no_longer_valid() {
        // GIVEN a claim awaiting its customer, whose contact the partner corrected
        let ports = Ports::new();
        let claim = awaiting_customer(&ports.store).await;
        let old_link = ports.link(&claim);
        let mut contact = claim.subject.customer_contact.clone();
        contact.name = "Marco Bianchi".into();
        let t = claim
            .correct_contact(now(), crate::claim::tests::verified(contact))
            .unwrap();
        ports.store.apply(&t).await.unwrap();
        // WHEN the earlier link is opened or posted
        let viewed = ports.desk().view(&old_link).await;
        let declined = ports.desk().decline(&old_link).await;
        // THEN it is not valid, and nothing changed
        assert_eq!(viewed, Err(OptOutError::InvalidLink));
        assert_eq!(declined, Err(OptOutError::InvalidLink));
        assert_eq!(ports.stored(&claim).0, t.claim);
        // AND the new notification's link is
        let new_link = ports.keyring.sign_notice(claim.id, 2);
        assert!(ports.desk().view(&new_link).await.is_ok());
    }
}
