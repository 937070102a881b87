//! The mail service's feedback on the customer's e-mail: a permanent bounce of the notification
//! in force stops the window (silence is no longer consent); a transient bounce or a complaint
//! is recorded and changes nothing else.
//!
//! The mail service's word that it sent a notification (SES's `Send` or `Delivery` event, whose
//! tags name the notification) records the send wherever it was not recorded yet: a send held
//! because its answer was lost is recorded as sent (and the window opened from SES's time), and
//! its message id is recorded in any case, so that its feedback finds it. A report on a message
//! not yet recorded is kept ([`UNMATCHED_KEPT`]) and applied when the send is recorded.

use super::{
    Attempt::{LostRace, Settled},
    until_settled,
};
use crate::calendar::BusinessCalendar;
use crate::claim::{ClaimStatus, MailFeedback, TransitionError};
use crate::clock::Clock;
use crate::ids::ClaimId;
use crate::ports::{
    ApplyError, ClaimRepository, FeedbackRecordError, MailFeedbackLedger, NoticeRef, SendLedger,
    Unavailable,
};
use chrono::{DateTime, TimeDelta, Utc};

/// How long a report on a message not (yet) recorded is kept for its send to be recorded.
pub const UNMATCHED_KEPT: TimeDelta = TimeDelta::days(14);

/// One report of the mail service about one sent e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackReport {
    /// The mail service's id of the sent e-mail.
    pub message_id: String,
    /// The mail service's id of this report: what keeps a report delivered twice from being
    /// recorded twice.
    pub feedback_id: String,
    pub feedback: MailFeedback,
}

/// What became of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackOutcome {
    /// Recorded in the claim's history; the claim is now in `status`.
    Recorded {
        claim_id: ClaimId,
        status: ClaimStatus,
    },
    /// This report was recorded before (a redelivery).
    AlreadyRecorded(ClaimId),
    /// The claim is final: nothing more is recorded on it.
    ClaimFinal(ClaimId),
    /// The e-mail is not one of the customers' notifications the service recorded.
    UnknownMessage,
    /// The e-mail is not recorded (yet): the report is kept, and applied if its send is
    /// recorded within [`UNMATCHED_KEPT`].
    Kept,
}

/// The mail service's word that it accepted a customer's notification: its `Send` (or
/// `Delivery`) event, whose message tags name the notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentReport {
    pub message_id: String,
    pub notice: NoticeRef,
    /// When the mail service accepted it (the event's `mail.timestamp`).
    pub sent_at: DateTime<Utc>,
}

/// What became of a [`SentReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentOutcome {
    pub claim_id: ClaimId,
    /// True when this report recorded the send (it was held, or its worker had not recorded it
    /// yet, or it was recorded under another id); false when it was recorded already.
    pub recorded: bool,
    /// The reports that had arrived before the send was recorded, applied now.
    pub matched: Vec<FeedbackOutcome>,
}

/// The record-email-feedback use case.
pub struct MailFeedbackDesk<'a> {
    pub claims: &'a dyn ClaimRepository,
    pub ledger: &'a dyn MailFeedbackLedger,
    /// The record of the notifications' sends.
    pub notifications: &'a dyn SendLedger,
    pub clock: &'a dyn Clock,
    /// The opt-out window's length, for a send recorded from the mail service's word.
    pub calendar: &'a BusinessCalendar,
}

impl MailFeedbackDesk<'_> {
    /// Records `report` on the claim whose notification it is about; keeps it when its message
    /// is not recorded (yet).
    pub async fn record(&self, report: &FeedbackReport) -> Result<FeedbackOutcome, Unavailable> {
        let Some(notice) = self.ledger.notice_of(&report.message_id).await? else {
            // The send may be recorded later (held, or its worker not done yet): keep it.
            self.ledger.keep_unmatched(report, self.clock.now()).await?;
            return Ok(FeedbackOutcome::Kept);
        };
        let claim_id = notice.claim_id;
        until_settled(&format!("claim {claim_id}"), move || async move {
            let Some(claim) = self.claims.claim(claim_id).await? else {
                return Ok(Settled(FeedbackOutcome::UnknownMessage));
            };
            let transition = match claim.record_mail_feedback(
                self.clock.now(),
                notice.number,
                report.feedback,
            ) {
                Ok(transition) => transition,
                Err(TransitionError::AlreadyFinal(_)) => {
                    return Ok(Settled(FeedbackOutcome::ClaimFinal(claim_id)));
                }
                Err(e) => {
                    return Err(Unavailable(format!(
                        "feedback on claim {claim_id} could not be recorded: {e}"
                    )));
                }
            };
            match self
                .ledger
                .record_feedback(&transition, &report.feedback_id)
                .await
            {
                Ok(()) => Ok(Settled(FeedbackOutcome::Recorded {
                    claim_id,
                    status: transition.claim.status(),
                })),
                Err(FeedbackRecordError::AlreadyRecorded) => {
                    Ok(Settled(FeedbackOutcome::AlreadyRecorded(claim_id)))
                }
                Err(FeedbackRecordError::Conflict) => Ok(LostRace),
                Err(FeedbackRecordError::Unavailable(e)) => Err(e),
            }
        })
        .await
    }

    /// Records the mail service's word that it sent `sent`, then applies the reports on it
    /// that arrived before.
    pub async fn record_send(&self, sent: &SentReport) -> Result<SentOutcome, Unavailable> {
        let notice = sent.notice;
        let recorded = match self.notifications.sent_message(notice.into()).await? {
            Some(id) if id == sent.message_id => false,
            // Recorded under another id (an operator's confirmation): this one is SES's.
            Some(_) => {
                self.ledger.record_message(&sent.message_id, notice).await?;
                true
            }
            None => {
                self.record_unrecorded_send(sent).await?;
                true
            }
        };
        if recorded {
            tracing::info!(claim_id = %notice.claim_id, notice = notice.number, email_message_id = %sent.message_id, "send recorded from the mail service's word");
        }
        let mut matched = Vec::new();
        let since = self.clock.now() - UNMATCHED_KEPT;
        for report in self.ledger.unmatched(&sent.message_id, since).await? {
            matched.push(self.record(&report).await?);
        }
        Ok(SentOutcome {
            claim_id: notice.claim_id,
            recorded,
            matched,
        })
    }

    /// Records a send the ledger does not hold as sent; while the claim is `approved` with
    /// this notification in force, with the transition that opens its window from the send.
    async fn record_unrecorded_send(&self, sent: &SentReport) -> Result<(), Unavailable> {
        let notice = sent.notice;
        let id = &sent.message_id;
        until_settled(&format!("claim {}", notice.claim_id), move || async move {
            let claim = self.claims.claim(notice.claim_id).await?;
            let transition = match &claim {
                Some(claim)
                    if claim.status() == ClaimStatus::Approved
                        && claim.notice.number == notice.number =>
                {
                    let zone = claim.subject.customer_contact.time_zone.tz();
                    let window = self.calendar.opt_out_window(sent.sent_at, zone);
                    claim.notify(window).ok()
                }
                Some(_) | None => None,
            };
            let result = self
                .notifications
                .record_sent(notice.into(), sent.sent_at, id, transition.as_ref())
                .await;
            match result {
                Ok(()) => Ok(Settled(())),
                Err(ApplyError::Unavailable(e)) => Err(e),
                Err(ApplyError::Conflict | ApplyError::UnitHeld) => Ok(LostRace),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::Claim;
    use crate::claim::tests::at;
    use crate::clock::FixedClock;
    use crate::memory::MemoryStore;
    use crate::ports::{NoticeRef, SendLedger};
    use crate::usecase::testing::{FABRIKAM, approved, awaiting_customer, store, submitted};

    /// A store holding an approved claim whose notification `owner` is sending (leased at
    /// 10:00).
    async fn sending(owner: &str) -> (MemoryStore, Claim) {
        let store = store();
        let claim = submitted(&store, FABRIKAM, "teams", at("2026-11-25T09:00:00Z")).await;
        let claim = approved(&store, &claim, at("2026-11-25T09:30:00Z")).await;
        store
            .acquire(
                NoticeRef::of(&claim).into(),
                owner,
                at("2026-11-25T10:00:00Z"),
                at("2026-11-25T10:02:00Z"),
            )
            .await
            .unwrap();
        (store, claim)
    }

    fn sent(claim: &Claim, message_id: &str) -> SentReport {
        SentReport {
            message_id: message_id.into(),
            notice: NoticeRef::of(claim),
            sent_at: at("2026-11-25T10:00:01Z"),
        }
    }

    fn bounce_of(message_id: &str, feedback_id: &str) -> FeedbackReport {
        FeedbackReport {
            message_id: message_id.into(),
            feedback_id: feedback_id.into(),
            feedback: MailFeedback::PermanentBounce,
        }
    }

    /// A store holding a claim awaiting its customer, whose notification went out as
    /// `message-1`.
    async fn notified() -> (MemoryStore, Claim) {
        let store = store();
        let claim = awaiting_customer(&store).await;
        let window = claim.state.window().copied().unwrap();
        store
            .record_sent(
                NoticeRef::of(&claim).into(),
                window.notified_at,
                "message-1",
                None,
            )
            .await
            .unwrap();
        (store, claim)
    }

    fn report(feedback: MailFeedback, feedback_id: &str) -> FeedbackReport {
        FeedbackReport {
            message_id: "message-1".into(),
            feedback_id: feedback_id.into(),
            feedback,
        }
    }

    fn desk<'a>(
        store: &'a MemoryStore,
        clock: &'a FixedClock,
        calendar: &'a BusinessCalendar,
    ) -> MailFeedbackDesk<'a> {
        MailFeedbackDesk {
            claims: store,
            ledger: store,
            notifications: store,
            clock,
            calendar,
        }
    }

    async fn record(store: &MemoryStore, report: &FeedbackReport) -> FeedbackOutcome {
        let clock = FixedClock::at(at("2026-11-25T11:00:00Z"));
        let calendar = BusinessCalendar::default();
        desk(store, &clock, &calendar).record(report).await.unwrap()
    }

    async fn record_send(store: &MemoryStore, sent: &SentReport) -> SentOutcome {
        let clock = FixedClock::at(at("2026-11-25T11:00:00Z"));
        let calendar = BusinessCalendar::default();
        desk(store, &clock, &calendar)
            .record_send(sent)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_permanent_bounce_found_by_message_id_makes_the_customer_unreachable_once() {
        // GIVEN a claim whose notification went out as message-1
        let (store, claim) = notified().await;
        // WHEN SES reports a permanent bounce of it, twice (SNS delivers at least once)
        let bounce = report(MailFeedback::PermanentBounce, "feedback-1");
        let first = record(&store, &bounce).await;
        let again = record(&store, &bounce).await;
        // THEN the claim is unreachable, with one history entry for the one report
        assert_eq!(
            first,
            FeedbackOutcome::Recorded {
                claim_id: claim.id,
                status: ClaimStatus::CustomerUnreachable
            }
        );
        assert_eq!(again, FeedbackOutcome::AlreadyRecorded(claim.id));
        let (stored, history) = store.stored(claim.id).unwrap();
        assert_eq!(stored.status(), ClaimStatus::CustomerUnreachable);
        assert_eq!(
            history
                .iter()
                .filter(|e| e.event.as_str() == "email_bounced")
                .count(),
            1
        );
    }

    #[tokio::test]
    async fn a_complaint_is_recorded_and_the_window_runs_on() {
        let (store, claim) = notified().await;
        let outcome = record(&store, &report(MailFeedback::Complaint, "feedback-2")).await;
        assert_eq!(
            outcome,
            FeedbackOutcome::Recorded {
                claim_id: claim.id,
                status: ClaimStatus::AwaitingCustomer
            }
        );
        assert!(store.stored(claim.id).unwrap().0.notice.complained);
    }

    #[tokio::test]
    async fn feedback_on_an_unknown_message_or_a_final_claim_changes_nothing() {
        // GIVEN a claim notified, then declined
        let (store, claim) = notified().await;
        let declined = claim.opt_out(at("2026-11-25T10:30:00Z")).unwrap();
        crate::ports::ClaimRepository::apply(&store, &declined)
            .await
            .unwrap();
        // WHEN a bounce of its e-mail arrives, and one of an e-mail the service never sent
        let late = record(&store, &report(MailFeedback::PermanentBounce, "f-3")).await;
        let mut unknown = report(MailFeedback::PermanentBounce, "f-4");
        unknown.message_id = "someone-else".into();
        let unknown = record(&store, &unknown).await;
        // THEN neither records anything
        assert_eq!(late, FeedbackOutcome::ClaimFinal(claim.id));
        assert_eq!(unknown, FeedbackOutcome::Kept);
        assert_eq!(
            store.stored(claim.id).unwrap().1.len(),
            declined.claim.version as usize
        );
    }

    #[tokio::test]
    async fn a_held_send_is_recorded_as_sent_by_its_send_event_and_its_earlier_bounce_applied() {
        // GIVEN a send held because SES's answer was lost, and a bounce of it that arrived
        // before anything recorded its message id
        let (store, claim) = sending("worker").await;
        let notice = NoticeRef::of(&claim);
        store
            .hold(notice.into(), "worker", at("2026-11-25T10:00:02Z"))
            .await
            .unwrap();
        let early = record(&store, &bounce_of("ses-1", "bounce-1")).await;
        assert_eq!(early, FeedbackOutcome::Kept);
        // WHEN SES's Send event of it arrives
        let outcome = record_send(&store, &sent(&claim, "ses-1")).await;
        // THEN the send is recorded with its message id, the window opened from SES's time,
        // and the kept bounce applied: the customer is unreachable, silence is no consent
        assert!(outcome.recorded);
        assert_eq!(
            outcome.matched,
            vec![FeedbackOutcome::Recorded {
                claim_id: claim.id,
                status: ClaimStatus::CustomerUnreachable
            }]
        );
        assert_eq!(
            store.sent_message(notice.into()).await.unwrap().as_deref(),
            Some("ses-1")
        );
        assert_eq!(store.notice_of("ses-1").await.unwrap(), Some(notice));
        let (stored, history) = store.stored(claim.id).unwrap();
        assert_eq!(stored.status(), ClaimStatus::CustomerUnreachable);
        let events: Vec<_> = history.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(
            events,
            [
                "submitted",
                "approved",
                "customer_notified",
                "email_bounced"
            ]
        );
        assert_eq!(history[2].at, at("2026-11-25T10:00:01Z"));
        // AND the same event delivered again records nothing more
        let again = record_send(&store, &sent(&claim, "ses-1")).await;
        assert!(!again.recorded);
        assert_eq!(
            again.matched,
            vec![FeedbackOutcome::AlreadyRecorded(claim.id)]
        );
    }

    #[tokio::test]
    async fn an_operators_confirmation_with_ses_s_message_id_records_it_and_applies_an_earlier_bounce()
     {
        // GIVEN a held send, and a bounce of its e-mail kept while it was held
        let (store, claim) = sending("worker").await;
        let notice = NoticeRef::of(&claim);
        store
            .hold(notice.into(), "worker", at("2026-11-25T10:00:02Z"))
            .await
            .unwrap();
        record(&store, &bounce_of("ses-9", "bounce-9")).await;
        // WHEN an operator confirms it as sent, with the message id SES's records show
        // (`cpor-ops resend --confirm-sent --message-id`)
        let outcome = record_send(&store, &sent(&claim, "ses-9")).await;
        // THEN the message id finds the notification and the bounce is applied
        assert!(outcome.recorded);
        assert_eq!(store.notice_of("ses-9").await.unwrap(), Some(notice));
        assert_eq!(
            store.stored(claim.id).unwrap().0.status(),
            ClaimStatus::CustomerUnreachable
        );
    }

    #[tokio::test]
    async fn a_confirmation_without_the_message_id_is_completed_by_ses_s_send_event() {
        // GIVEN a held send an operator confirmed without SES's message id
        let (store, claim) = sending("worker").await;
        let notice = NoticeRef::of(&claim);
        store
            .hold(notice.into(), "worker", at("2026-11-25T10:00:02Z"))
            .await
            .unwrap();
        record_send(&store, &sent(&claim, "confirmed-by-operator")).await;
        assert_eq!(
            store.stored(claim.id).unwrap().0.status(),
            ClaimStatus::AwaitingCustomer
        );
        // AND a bounce of it that arrives before SES's Send event
        record(&store, &bounce_of("ses-3", "bounce-3")).await;
        // WHEN the Send event arrives
        let outcome = record_send(&store, &sent(&claim, "ses-3")).await;
        // THEN its message id is recorded too, and the bounce applied
        assert!(outcome.recorded);
        assert_eq!(store.notice_of("ses-3").await.unwrap(), Some(notice));
        assert_eq!(
            store.stored(claim.id).unwrap().0.status(),
            ClaimStatus::CustomerUnreachable
        );
    }

    #[tokio::test]
    async fn a_bounce_arriving_before_the_send_is_recorded_is_kept_and_applied_when_it_is() {
        // GIVEN a worker whose e-mail went out as ses-5, not recorded yet, and its bounce
        let (store, claim) = sending("worker").await;
        let notice = NoticeRef::of(&claim);
        let kept = record(&store, &bounce_of("ses-5", "bounce-5")).await;
        assert_eq!(kept, FeedbackOutcome::Kept);
        // WHEN the worker records its send, and then SES's Send event arrives
        let window = BusinessCalendar::default()
            .opt_out_window(at("2026-11-25T10:00:01Z"), crate::zone::Zone::UTC);
        let transition = store.stored(claim.id).unwrap().0.notify(window).unwrap();
        store
            .record_sent(
                notice.into(),
                window.notified_at,
                "ses-5",
                Some(&transition),
            )
            .await
            .unwrap();
        let outcome = record_send(&store, &sent(&claim, "ses-5")).await;
        // THEN the bounce is applied then: the customer is unreachable
        assert!(!outcome.recorded);
        assert_eq!(
            outcome.matched,
            vec![FeedbackOutcome::Recorded {
                claim_id: claim.id,
                status: ClaimStatus::CustomerUnreachable
            }]
        );
    }
}
