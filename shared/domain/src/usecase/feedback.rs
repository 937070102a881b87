//! The mail service's feedback on the customer's e-mail: a permanent bounce of the notification
//! in force stops the window (silence is no longer consent); a transient bounce or a complaint
//! is recorded and changes nothing else.

use crate::claim::{ClaimStatus, MailFeedback, TransitionError};
use crate::clock::Clock;
use crate::ids::ClaimId;
use crate::ports::{ClaimRepository, FeedbackRecordError, MailFeedbackLedger, Unavailable};

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
}

/// The record-email-feedback use case.
pub struct MailFeedbackDesk<'a> {
    pub claims: &'a dyn ClaimRepository,
    pub ledger: &'a dyn MailFeedbackLedger,
    pub clock: &'a dyn Clock,
}

impl MailFeedbackDesk<'_> {
    /// Records `report` on the claim whose notification it is about.
    pub async fn record(&self, report: &FeedbackReport) -> Result<FeedbackOutcome, Unavailable> {
        let Some(notice) = self.ledger.notice_of(&report.message_id).await? else {
            return Ok(FeedbackOutcome::UnknownMessage);
        };
        let claim_id = notice.claim_id;
        for _ in 0..super::CONFLICT_RETRIES {
            let Some(claim) = self.claims.claim(claim_id).await? else {
                return Ok(FeedbackOutcome::UnknownMessage);
            };
            let transition = match claim.record_mail_feedback(
                self.clock.now(),
                notice.number,
                report.feedback,
            ) {
                Ok(transition) => transition,
                Err(TransitionError::AlreadyFinal(_)) => {
                    return Ok(FeedbackOutcome::ClaimFinal(claim_id));
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
                Ok(()) => {
                    return Ok(FeedbackOutcome::Recorded {
                        claim_id,
                        status: transition.claim.status(),
                    });
                }
                Err(FeedbackRecordError::AlreadyRecorded) => {
                    return Ok(FeedbackOutcome::AlreadyRecorded(claim_id));
                }
                Err(FeedbackRecordError::Conflict) => continue,
                Err(FeedbackRecordError::Unavailable(e)) => return Err(e),
            }
        }
        Err(Unavailable(format!(
            "claim {claim_id} kept changing while its e-mail feedback was recorded"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::Claim;
    use crate::claim::tests::at;
    use crate::clock::FixedClock;
    use crate::memory::MemoryStore;
    use crate::ports::{NoticeRef, NotificationLedger};
    use crate::usecase::testing::{awaiting_customer, store};

    /// A store holding a claim awaiting its customer, whose notification went out as
    /// `message-1`.
    async fn notified() -> (MemoryStore, Claim) {
        let store = store();
        let claim = awaiting_customer(&store).await;
        let window = claim.state.window().copied().unwrap();
        store
            .record_sent(NoticeRef::of(&claim), window.notified_at, "message-1", None)
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

    async fn record(store: &MemoryStore, report: &FeedbackReport) -> FeedbackOutcome {
        let clock = FixedClock::at(at("2026-11-25T11:00:00Z"));
        MailFeedbackDesk {
            claims: store,
            ledger: store,
            clock: &clock,
        }
        .record(report)
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
        assert_eq!(unknown, FeedbackOutcome::UnknownMessage);
        assert_eq!(
            store.stored(claim.id).unwrap().1.len(),
            declined.claim.version as usize
        );
    }
}
