//! The ledger of sends ([`SendLedger`]) on the table: one record per message, in its claim's
//! partition ([`keys::send`]): a lease while a worker sends it, then the send itself; or, when
//! whether it went out is unknown, a hold; or SES's refusal of the address.

use super::expression::{Expression, all};
use super::keys::ItemKey;
use super::record::{Item, MessageRecord, NotificationRecord, SendState, field, from_item};
use super::transaction::{Part, Transaction};
use super::{DynamoStore, inconsistent, keyed, keys, s, unavailable};
use crate::schema::PK;
use async_trait::async_trait;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};
use cpor_domain::claim::Transition;
use cpor_domain::ports::{
    ApplyError, NoticeRef, SendEntry, SendLease, SendLedger, SendRef, Unavailable,
};
use cpor_domain::time::format_instant;

/// A send state as the attribute its record stores.
fn state(value: SendState) -> Result<AttributeValue, Unavailable> {
    serde_dynamo::to_attribute_value(value)
        .map_err(|e| Unavailable(format!("a send state could not be written: {e}")))
}

/// A send record in no state yet: what each write fills in.
fn record(state: SendState) -> NotificationRecord {
    NotificationRecord {
        state,
        lease_owner: None,
        lease_until: None,
        sent_at: None,
        message_id: None,
        reason: None,
        held_at: None,
        releases: 0,
    }
}

/// What the ledger holds, read from a send record.
fn entry_of(item: &Item) -> Result<SendEntry, Unavailable> {
    let record: NotificationRecord =
        from_item(item).map_err(|e| inconsistent(format!("send record: {e}")))?;
    Ok(match record.state {
        SendState::InProgress => SendEntry::Leased {
            owner: record.lease_owner.unwrap_or_default(),
            until: record
                .lease_until
                .ok_or_else(|| inconsistent("a send's lease without its end"))?,
            releases: record.releases,
        },
        SendState::Sent => SendEntry::Sent {
            at: record
                .sent_at
                .ok_or_else(|| inconsistent("a send recorded without its time"))?,
            message_id: record.message_id,
        },
        // A hold written before holds kept their time is as old as can be.
        SendState::Held => SendEntry::Held {
            since: record.held_at.unwrap_or(DateTime::<Utc>::MIN_UTC),
            releases: record.releases,
        },
        SendState::Rejected => SendEntry::Rejected {
            reason: record.reason.unwrap_or_default(),
        },
    })
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
}

/// Whether a conditional write was made: false when its condition did not hold.
fn made<T, E, R>(result: Result<T, SdkError<E, R>>, what: &str) -> Result<bool, Unavailable>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error().and_then(|s| s.code())
                == Some("ConditionalCheckFailedException") =>
        {
            Ok(false)
        }
        Err(e) => Err(unavailable(what, &e)),
    }
}

/// The condition that `owner`'s lease is running: what a release, a hold and a refusal ask.
fn leased_by(e: &mut Expression, owner: &str) -> Result<String, Unavailable> {
    Ok(all(&[
        e.equals(field::STATE, state(SendState::InProgress)?),
        e.equals(field::LEASE_OWNER, s(owner)),
    ]))
}

#[async_trait]
impl SendLedger for DynamoStore {
    async fn acquire(
        &self,
        key: SendRef,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<SendLease, Unavailable> {
        let key = keys::send(key);
        let lease = NotificationRecord {
            lease_owner: Some(owner.to_owned()),
            lease_until: Some(lease_until),
            ..record(SendState::InProgress)
        };
        let existing = match self
            .put_send_record_if(&key, &lease, |e| Ok(e.not_exists(PK)))
            .await
        {
            Ok(()) => return Ok(SendLease::Acquired),
            Err(PutRefused::Unavailable(e)) => return Err(e),
            Err(PutRefused::Condition(Some(item))) => item,
            Err(PutRefused::Condition(None)) => {
                self.get("send record", &key).await?.unwrap_or_default()
            }
        };
        let existing = entry_of(&existing)?;
        match (existing.on_acquire(owner, now), &existing) {
            // A worker that did not finish: whether it sent is unknown from its lease's end, so
            // the send is held.
            (SendLease::Held { since, releases }, SendEntry::Leased { owner: holder, .. }) => {
                let held = NotificationRecord {
                    lease_owner: Some(holder.clone()),
                    held_at: Some(since),
                    releases,
                    ..record(SendState::Held)
                };
                let expired = |e: &mut Expression| -> Result<String, Unavailable> {
                    Ok(all(&[
                        e.equals(field::STATE, state(SendState::InProgress)?),
                        e.less_than(field::LEASE_UNTIL, s(format_instant(now))),
                    ]))
                };
                match self.put_send_record_if(&key, &held, expired).await {
                    Ok(()) => Ok(SendLease::Held { since, releases }),
                    // It moved on meanwhile: the next attempt reads it again.
                    Err(PutRefused::Condition(_)) => Ok(SendLease::HeldElsewhere),
                    Err(PutRefused::Unavailable(e)) => Err(e),
                }
            }
            (lease, _) => Ok(lease),
        }
    }

    async fn release(&self, key: SendRef, owner: &str) -> Result<(), Unavailable> {
        // Not ours (any more): nothing to give back.
        self.delete_send_record_if(&keys::send(key), |e| leased_by(e, owner))
            .await
            .map(|_| ())
    }

    async fn hold(
        &self,
        key: SendRef,
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
        let condition = leased_by(&mut e, owner)?;
        self.update_send_record_if(&keys::send(key), update, condition, e)
            .await
            .map(|_| ())
    }

    async fn retry_held(
        &self,
        key: SendRef,
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
        self.update_send_record_if(&keys::send(key), update, condition, e)
            .await
    }

    async fn record_rejected(
        &self,
        key: SendRef,
        owner: &str,
        reason: &str,
    ) -> Result<(), Unavailable> {
        let rejected = NotificationRecord {
            lease_owner: Some(owner.to_owned()),
            reason: Some(reason.to_owned()),
            ..record(SendState::Rejected)
        };
        // Another owner's lease, or a record that has moved on, is left alone.
        match self
            .put_send_record_if(&keys::send(key), &rejected, |e| leased_by(e, owner))
            .await
        {
            Ok(()) | Err(PutRefused::Condition(_)) => Ok(()),
            Err(PutRefused::Unavailable(e)) => Err(e),
        }
    }

    async fn record_sent(
        &self,
        key: SendRef,
        sent_at: DateTime<Utc>,
        message_id: &str,
        transition: Option<&Transition>,
    ) -> Result<(), ApplyError> {
        let sent = NotificationRecord {
            sent_at: Some(sent_at),
            message_id: Some(message_id.to_owned()),
            ..record(SendState::Sent)
        };
        let item = keyed(&sent, &keys::send(key), [])?;
        // What the mail service's feedback on a customer's notification will name.
        let message = match key {
            SendRef::Notice(notice) => Some(message_item(message_id, notice)?),
            SendRef::EventMail(_) => None,
        };
        match (transition, message) {
            (Some(t), message) => {
                let mut tx = self.transition(t)?;
                tx.put(Part::Notification, item)?;
                if let Some(message) = message {
                    tx.put(Part::Message, message)?;
                }
                let result = self.commit_transition(&tx).await;
                self.unless_already_applied(result, t, &tx).await
            }
            (None, Some(message)) => {
                let mut tx = Transaction::new(&self.table);
                tx.put(Part::Notification, item)?;
                tx.put(Part::Message, message)?;
                tx.commit(&self.client)
                    .await
                    .map_err(|e| Unavailable(format!("recording the sent e-mail: {e}")).into())
            }
            (None, None) => Ok(self.put("send record", item).await?),
        }
    }

    async fn entry(&self, key: SendRef) -> Result<Option<SendEntry>, Unavailable> {
        match self.get("send record", &keys::send(key)).await? {
            Some(item) => entry_of(&item).map(Some),
            None => Ok(None),
        }
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
        made(result, "DeleteItem send record")
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
        made(result, "UpdateItem send record")
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
