//! The record that keeps a claim's notification from going out twice ([`NotificationLedger`]):
//! a lease while a worker sends it, then the send itself; or, when whether it went out is
//! unknown, a hold that only an operator lifts; or SES's refusal of the address.

use super::expression::{Expression, all};
use super::keys::ItemKey;
use super::record::{Item, MessageRecord, NotificationRecord, SendState, field, from_item};
use super::transaction::{Part, Transaction};
use super::{DynamoStore, inconsistent, keyed, keys, s, unavailable};
use crate::schema::PK;
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};
use cpor_domain::claim::Transition;
use cpor_domain::ports::{
    ApplyError, EventMailLedger, EventMailRef, NoticeRef, NotificationLease, NotificationLedger,
    Unavailable,
};
use cpor_domain::time::format_instant;

/// A send state as the attribute its record stores.
fn state(value: SendState) -> Result<AttributeValue, Unavailable> {
    serde_dynamo::to_attribute_value(value)
        .map_err(|e| Unavailable(format!("a send state could not be written: {e}")))
}

/// Why a conditional put was not made.
enum PutRefused {
    /// The condition failed; the item as it was.
    Condition(Option<Item>),
    Unavailable(Unavailable),
}

impl DynamoStore {
    /// Puts `record` as the send record at `key` if `condition` holds.
    async fn put_send_record_if(
        &self,
        key: &ItemKey,
        record: &NotificationRecord,
        condition: impl FnOnce(&mut Expression) -> Result<String, Unavailable>,
    ) -> Result<(), PutRefused> {
        let item = keyed(record, key, []).map_err(PutRefused::Unavailable)?;
        let mut e = Expression::default();
        let condition = condition(&mut e).map_err(PutRefused::Unavailable)?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    Err(PutRefused::Condition(failed.item().cloned()))
                }
                _ => Err(PutRefused::Unavailable(unavailable(
                    "PutItem send record",
                    &e,
                ))),
            },
        }
    }

    /// Replaces `owner`'s running lease with `record` (a hold or a refusal); another owner's
    /// lease, or a record that has moved on, is left alone.
    async fn settle_lease(
        &self,
        key: &ItemKey,
        owner: &str,
        record: NotificationRecord,
    ) -> Result<(), Unavailable> {
        let owned = |e: &mut Expression| -> Result<String, Unavailable> {
            Ok(all(&[
                e.equals(field::STATE, state(SendState::InProgress)?),
                e.equals(field::LEASE_OWNER, s(owner)),
            ]))
        };
        match self.put_send_record_if(key, &record, owned).await {
            Ok(()) | Err(PutRefused::Condition(_)) => Ok(()),
            Err(PutRefused::Unavailable(e)) => Err(e),
        }
    }
}

fn settled(state: SendState, owner: &str, reason: Option<String>) -> NotificationRecord {
    NotificationRecord {
        state,
        lease_owner: Some(owner.to_owned()),
        lease_until: None,
        sent_at: None,
        message_id: None,
        reason,
        held_at: None,
        releases: 0,
    }
}

impl DynamoStore {
    /// Takes the lease of the send record at `key` (the rules of [`NotificationLedger::acquire`]).
    async fn acquire_send(
        &self,
        key: &ItemKey,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<NotificationLease, Unavailable> {
        let lease = NotificationRecord {
            state: SendState::InProgress,
            lease_owner: Some(owner.to_owned()),
            lease_until: Some(lease_until),
            sent_at: None,
            message_id: None,
            reason: None,
            held_at: None,
            releases: 0,
        };
        let existing = match self
            .put_send_record_if(key, &lease, |e| Ok(e.not_exists(PK)))
            .await
        {
            Ok(()) => return Ok(NotificationLease::Acquired),
            Err(PutRefused::Unavailable(e)) => return Err(e),
            Err(PutRefused::Condition(Some(item))) => item,
            Err(PutRefused::Condition(None)) => {
                self.get("send record", key).await?.unwrap_or_default()
            }
        };
        let existing: NotificationRecord =
            from_item(&existing).map_err(|e| inconsistent(format!("notification record: {e}")))?;
        match existing.state {
            // A retried put whose first answer was lost.
            SendState::InProgress if existing.lease_owner.as_deref() == Some(owner) => {
                Ok(NotificationLease::Acquired)
            }
            SendState::InProgress if existing.lease_until.is_some_and(|until| until >= now) => {
                Ok(NotificationLease::HeldElsewhere)
            }
            // A worker that did not finish: whether it sent is unknown from its lease's end, so
            // the send is held.
            SendState::InProgress => {
                let since = existing.lease_until.unwrap_or(now);
                let held = NotificationRecord {
                    held_at: Some(since),
                    releases: existing.releases,
                    ..settled(
                        SendState::Held,
                        existing.lease_owner.as_deref().unwrap_or_default(),
                        None,
                    )
                };
                let expired = |e: &mut Expression| -> Result<String, Unavailable> {
                    Ok(all(&[
                        e.equals(field::STATE, state(SendState::InProgress)?),
                        e.less_than(field::LEASE_UNTIL, s(format_instant(now))),
                    ]))
                };
                match self.put_send_record_if(key, &held, expired).await {
                    Ok(()) => Ok(NotificationLease::Held {
                        since,
                        releases: existing.releases,
                    }),
                    // It moved on meanwhile: the next attempt reads it again.
                    Err(PutRefused::Condition(_)) => Ok(NotificationLease::HeldElsewhere),
                    Err(PutRefused::Unavailable(e)) => Err(e),
                }
            }
            SendState::Sent => match existing.sent_at {
                Some(sent_at) => Ok(NotificationLease::AlreadySent { sent_at }),
                None => Err(inconsistent("notification sent without a time")),
            },
            SendState::Held => Ok(NotificationLease::Held {
                since: existing.held_at.unwrap_or(DateTime::<Utc>::MIN_UTC),
                releases: existing.releases,
            }),
            SendState::Rejected => Ok(NotificationLease::Rejected),
        }
    }
}

#[async_trait]
impl NotificationLedger for DynamoStore {
    async fn acquire(
        &self,
        notice: NoticeRef,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<NotificationLease, Unavailable> {
        self.acquire_send(&keys::notification(notice), owner, now, lease_until)
            .await
    }

    async fn release(&self, notice: NoticeRef, owner: &str) -> Result<(), Unavailable> {
        // Not ours (any more): nothing to give back.
        self.release_send(&keys::notification(notice), owner).await
    }

    async fn hold(
        &self,
        notice: NoticeRef,
        owner: &str,
        since: DateTime<Utc>,
    ) -> Result<(), Unavailable> {
        // An update, not a put: the count of releases stays.
        let mut e = Expression::default();
        let update = e.update(
            vec![
                (field::STATE, state(SendState::Held)?),
                (field::HELD_AT, s(format_instant(since))),
            ],
            &[field::LEASE_UNTIL],
        );
        let condition = all(&[
            e.equals(field::STATE, state(SendState::InProgress)?),
            e.equals(field::LEASE_OWNER, s(owner)),
        ]);
        self.update_send_record_if(&keys::notification(notice), update, condition, e)
            .await
            .map(|_| ())
    }

    async fn retry_held(
        &self,
        notice: NoticeRef,
        since: DateTime<Utc>,
        owner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, Unavailable> {
        let mut e = Expression::default();
        let releases = e.name(field::RELEASES);
        let zero = e.value(AttributeValue::N("0".into()));
        let one = e.value(AttributeValue::N("1".into()));
        let set = e.update(
            vec![
                (field::STATE, state(SendState::InProgress)?),
                (field::LEASE_OWNER, s(owner)),
                (field::LEASE_UNTIL, s(format_instant(lease_until))),
            ],
            &[field::HELD_AT],
        );
        // `SET a = :v, ... REMOVE x`: the count goes in with the SET clause.
        let update = set.replacen(
            " REMOVE ",
            &format!(", {releases} = if_not_exists({releases}, {zero}) + {one} REMOVE "),
            1,
        );
        let condition = all(&[
            e.equals(field::STATE, state(SendState::Held)?),
            e.equals(field::HELD_AT, s(format_instant(since))),
        ]);
        self.update_send_record_if(&keys::notification(notice), update, condition, e)
            .await
    }

    async fn sent_message(&self, notice: NoticeRef) -> Result<Option<String>, Unavailable> {
        let Some(item) = self
            .get("notification", &keys::notification(notice))
            .await?
        else {
            return Ok(None);
        };
        let record: NotificationRecord =
            from_item(&item).map_err(|e| inconsistent(format!("notification record: {e}")))?;
        Ok(match record.state {
            SendState::Sent => record.message_id,
            SendState::InProgress | SendState::Held | SendState::Rejected => None,
        })
    }

    async fn record_rejected(
        &self,
        notice: NoticeRef,
        owner: &str,
        reason: &str,
    ) -> Result<(), Unavailable> {
        let record = settled(SendState::Rejected, owner, Some(reason.to_owned()));
        self.settle_lease(&keys::notification(notice), owner, record)
            .await
    }

    async fn record_sent(
        &self,
        notice: NoticeRef,
        sent_at: DateTime<Utc>,
        message_id: &str,
        transition: Option<&Transition>,
    ) -> Result<(), ApplyError> {
        // What the mail service's feedback on this e-mail will name.
        let message = message_item(message_id, notice)?;
        let item = keyed(
            &NotificationRecord {
                state: SendState::Sent,
                lease_owner: None,
                lease_until: None,
                sent_at: Some(sent_at),
                message_id: Some(message_id.to_owned()),
                reason: None,
                held_at: None,
                releases: 0,
            },
            &keys::notification(notice),
            [],
        )?;
        match transition {
            Some(t) => {
                let mut tx = self.transition(t)?;
                tx.put(Part::Notification, item)?;
                tx.put(Part::Message, message)?;
                let result = self.commit_transition(&tx).await;
                self.unless_already_applied(result, t, &tx).await
            }
            None => {
                let mut tx = Transaction::new(&self.table);
                tx.put(Part::Notification, item)?;
                tx.put(Part::Message, message)?;
                tx.commit(&self.client)
                    .await
                    .map_err(|e| Unavailable(format!("recording the sent e-mail: {e}")).into())
            }
        }
    }
}

/// The e-mails that follow claims' events: the same records and rules, one per event and
/// recipient, in the claim's partition.
#[async_trait]
impl EventMailLedger for DynamoStore {
    async fn acquire_event_mail(
        &self,
        mail: EventMailRef,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<NotificationLease, Unavailable> {
        // An event's e-mail held is held for an operator.
        Ok(
            match self
                .acquire_send(&keys::event_mail(mail), owner, now, lease_until)
                .await?
            {
                NotificationLease::Held { .. } => NotificationLease::OutcomeUnknown,
                other => other,
            },
        )
    }

    async fn release_event_mail(&self, mail: EventMailRef, owner: &str) -> Result<(), Unavailable> {
        self.release_send(&keys::event_mail(mail), owner).await
    }

    async fn hold_event_mail(&self, mail: EventMailRef, owner: &str) -> Result<(), Unavailable> {
        let record = settled(SendState::Held, owner, None);
        self.settle_lease(&keys::event_mail(mail), owner, record)
            .await
    }

    async fn reject_event_mail(
        &self,
        mail: EventMailRef,
        owner: &str,
        reason: &str,
    ) -> Result<(), Unavailable> {
        let record = settled(SendState::Rejected, owner, Some(reason.to_owned()));
        self.settle_lease(&keys::event_mail(mail), owner, record)
            .await
    }

    async fn record_event_mail_sent(
        &self,
        mail: EventMailRef,
        sent_at: DateTime<Utc>,
        message_id: &str,
    ) -> Result<(), Unavailable> {
        let record = NotificationRecord {
            state: SendState::Sent,
            lease_owner: None,
            lease_until: None,
            sent_at: Some(sent_at),
            message_id: Some(message_id.to_owned()),
            reason: None,
            held_at: None,
            releases: 0,
        };
        let item = keyed(&record, &keys::event_mail(mail), [])?;
        self.put("send record", item).await
    }
}

impl DynamoStore {
    /// Lifts the hold on a claim's notification, after an operator made sure that it did not go
    /// out (`cpor-ops resend --confirm-unsent`): the next request sends it. Returns false when
    /// the notification is not held.
    pub async fn release_hold(&self, notice: NoticeRef) -> Result<bool, Unavailable> {
        self.delete_send_record_if(&keys::notification(notice), |e| {
            Ok(e.equals(field::STATE, state(SendState::Held)?))
        })
        .await
    }

    /// Gives `owner`'s running lease of the send record at `key` back; another owner's is left
    /// alone.
    async fn release_send(&self, key: &ItemKey, owner: &str) -> Result<(), Unavailable> {
        // Not ours (any more): nothing to give back.
        self.delete_send_record_if(key, |e| {
            Ok(all(&[
                e.equals(field::STATE, state(SendState::InProgress)?),
                e.equals(field::LEASE_OWNER, s(owner)),
            ]))
        })
        .await
        .map(|_| ())
    }

    /// Deletes the send record at `key` if `condition` holds; false when it did not.
    async fn delete_send_record_if(
        &self,
        key: &ItemKey,
        condition: impl FnOnce(&mut Expression) -> Result<String, Unavailable>,
    ) -> Result<bool, Unavailable> {
        let mut e = Expression::default();
        let condition = condition(&mut e)?;
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .condition_expression(condition)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable("DeleteItem send record", &e)),
        }
    }

    /// Updates the send record at `key` with `update` if `condition` holds; false when it did
    /// not.
    async fn update_send_record_if(
        &self,
        key: &ItemKey,
        update: String,
        condition: String,
        e: Expression,
    ) -> Result<bool, Unavailable> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .update_expression(update)
            .condition_expression(condition)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable("UpdateItem send record", &e)),
        }
    }

    /// Records that a held notification's e-mail went out at `sent_at` (as an operator read in
    /// SES's records), as SES's `message_id` when the operator gives it, and opens the claim's
    /// window from then, as notify-customer would have; reports on that message kept while it
    /// was not recorded are applied. Without the message id, SES's own Send event records it
    /// when it arrives. Returns the window it opened.
    pub async fn confirm_sent(
        &self,
        claim: &cpor_domain::Claim,
        sent_at: DateTime<Utc>,
        calendar: &cpor_domain::BusinessCalendar,
        message_id: Option<&str>,
    ) -> Result<cpor_domain::OptOutWindow, ConfirmError> {
        let sent_at = cpor_domain::clock::to_millis(sent_at);
        let window =
            calendar.opt_out_window(sent_at, claim.subject.customer_contact.time_zone.tz());
        // Refused before anything is written when the claim is past notification.
        claim.notify(window).map_err(ConfirmError::NotNotifiable)?;
        let desk = cpor_domain::usecase::feedback::MailFeedbackDesk {
            claims: self,
            ledger: self,
            notifications: self,
            clock: &cpor_domain::clock::SystemClock,
            calendar,
        };
        let sent = cpor_domain::usecase::feedback::SentReport {
            message_id: message_id.unwrap_or(CONFIRMED_BY_OPERATOR).to_owned(),
            notice: NoticeRef::of(claim),
            sent_at,
        };
        desk.record_send(&sent)
            .await
            .map_err(|e| ConfirmError::Store(ApplyError::Unavailable(e)))?;
        Ok(window)
    }

    /// Where a claim's notification stands, as an operator reads it: `None` when no attempt
    /// was made, else its state (`in_progress`, `sent`, `held`, `rejected`) and, for a refusal,
    /// why.
    pub async fn notification_state(
        &self,
        notice: NoticeRef,
    ) -> Result<Option<(String, Option<String>)>, Unavailable> {
        let Some(item) = self
            .get("notification", &keys::notification(notice))
            .await?
        else {
            return Ok(None);
        };
        let record: NotificationRecord =
            from_item(&item).map_err(|e| inconsistent(format!("notification record: {e}")))?;
        let name = state(record.state)?.as_s().cloned().unwrap_or_default();
        Ok(Some((name, record.reason)))
    }
}

/// The message id of a send an operator confirmed without SES's.
pub const CONFIRMED_BY_OPERATOR: &str = "confirmed-by-operator";

/// Why a send could not be confirmed.
#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    /// The claim is past notification.
    #[error("the claim cannot be notified: {0}")]
    NotNotifiable(cpor_domain::claim::TransitionError),
    #[error("{0}")]
    Store(ApplyError),
}

/// The item naming which claim's notification an SES message id is (`MESSAGE#<id>`), which the
/// mail service's feedback and events name.
pub(super) fn message_item(message_id: &str, notice: NoticeRef) -> Result<Item, Unavailable> {
    keyed(
        &MessageRecord {
            claim_id: notice.claim_id,
            notice: notice.number,
        },
        &keys::message(message_id),
        [],
    )
}
