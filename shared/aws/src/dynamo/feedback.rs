//! The mail service's feedback ([`MailFeedbackLedger`]): the sent e-mail's message id finds its
//! notification (a `MESSAGE#` item written with the send), and each report is recorded once, by
//! a marker in the claim's partition written in the transition's transaction.

use super::expression::Expression;
use super::ledger::message_item;
use super::record::{FeedbackMarker, MessageRecord, UnmatchedReport, from_item};
use super::transaction::{Part, TransactError};
use super::{DynamoStore, inconsistent, keyed, keys, s, unavailable};
use crate::schema::PK;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cpor_domain::claim::{MailFeedback, Transition};
use cpor_domain::ports::{
    ApplyError, FeedbackRecordError, MailFeedbackLedger, NoticeRef, Unavailable,
};
use cpor_domain::usecase::feedback::{FeedbackReport, UNMATCHED_KEPT};

fn feedback_name(feedback: MailFeedback) -> &'static str {
    match feedback {
        MailFeedback::PermanentBounce => "permanent_bounce",
        MailFeedback::TransientBounce => "transient_bounce",
        MailFeedback::Complaint => "complaint",
    }
}

fn feedback_of(name: &str) -> Option<MailFeedback> {
    [
        MailFeedback::PermanentBounce,
        MailFeedback::TransientBounce,
        MailFeedback::Complaint,
    ]
    .into_iter()
    .find(|f| feedback_name(*f) == name)
}

#[async_trait]
impl MailFeedbackLedger for DynamoStore {
    async fn notice_of(&self, message_id: &str) -> Result<Option<NoticeRef>, Unavailable> {
        let Some(item) = self.get("message", &keys::message(message_id)).await? else {
            return Ok(None);
        };
        let record: MessageRecord =
            from_item(&item).map_err(|e| inconsistent(format!("message record: {e}")))?;
        Ok(Some(NoticeRef {
            claim_id: record.claim_id,
            number: record.notice,
        }))
    }

    async fn record_message(&self, message_id: &str, notice: NoticeRef) -> Result<(), Unavailable> {
        self.put("message", message_item(message_id, notice)?).await
    }

    async fn keep_unmatched(
        &self,
        report: &FeedbackReport,
        at: DateTime<Utc>,
    ) -> Result<(), Unavailable> {
        let item = keyed(
            &UnmatchedReport {
                message_id: report.message_id.clone(),
                feedback_id: report.feedback_id.clone(),
                feedback: feedback_name(report.feedback).to_owned(),
                received_at: at,
                expires_at_epoch: (at + UNMATCHED_KEPT).timestamp(),
            },
            &keys::unmatched(&report.message_id, &report.feedback_id),
            [],
        )?;
        self.put("unmatched report", item).await
    }

    async fn unmatched(
        &self,
        message_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<FeedbackReport>, Unavailable> {
        let mut e = Expression::default();
        let condition = e.equals(PK, s(keys::unmatched_partition(message_id)));
        let out = self
            .query_where(condition, &e)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("Query unmatched reports", &e))?;
        let mut reports = Vec::new();
        for item in out.items() {
            let kept: UnmatchedReport =
                from_item(item).map_err(|e| inconsistent(format!("unmatched report: {e}")))?;
            // TTL deletion may lag: the record's own time decides.
            if kept.received_at <= since {
                continue;
            }
            let feedback = feedback_of(&kept.feedback)
                .ok_or_else(|| inconsistent(format!("feedback {:?}", kept.feedback)))?;
            reports.push(FeedbackReport {
                message_id: kept.message_id,
                feedback_id: kept.feedback_id,
                feedback,
            });
        }
        Ok(reports)
    }

    async fn record_feedback(
        &self,
        transition: &Transition,
        feedback_id: &str,
    ) -> Result<(), FeedbackRecordError> {
        let marker = keyed(
            &FeedbackMarker {
                at: transition.entry().at,
                sequence: transition.entry().sequence,
            },
            &keys::feedback(transition.claim.id, feedback_id),
            [],
        )?;
        let mut tx = self.transition(transition)?;
        tx.put_if(Part::Feedback, marker, |e| e.not_exists(PK))?;
        let result = match tx.commit(&self.client).await {
            Err(TransactError::Cancelled(c)) if c.failed_check(Part::Feedback) => {
                return Err(FeedbackRecordError::AlreadyRecorded);
            }
            Ok(()) => Ok(()),
            Err(TransactError::Cancelled(c))
                if c.failed_check(Part::Claim) || c.failed_check(Part::Event) || c.conflicted() =>
            {
                Err(ApplyError::Conflict)
            }
            Err(TransactError::Cancelled(c)) => {
                Err(ApplyError::Unavailable(inconsistent(c.to_string())))
            }
            Err(TransactError::Unavailable(e)) => Err(e.into()),
        };
        match self.unless_already_applied(result, transition, &tx).await {
            Ok(()) => Ok(()),
            Err(ApplyError::Conflict | ApplyError::UnitHeld) => Err(FeedbackRecordError::Conflict),
            Err(ApplyError::Unavailable(e)) => Err(e.into()),
        }
    }
}
