//! The mail service's feedback ([`MailFeedbackLedger`]): the sent e-mail's message id finds its
//! notification (a `MESSAGE#` item written with the send), and each report is recorded once, by
//! a marker in the claim's partition written in the transition's transaction.

use super::record::{FeedbackMarker, MessageRecord, from_item};
use super::transaction::{Part, TransactError};
use super::{DynamoStore, inconsistent, keyed, keys};
use crate::schema::PK;
use async_trait::async_trait;
use cpor_domain::claim::Transition;
use cpor_domain::ports::{
    ApplyError, FeedbackRecordError, MailFeedbackLedger, NoticeRef, Unavailable,
};

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
