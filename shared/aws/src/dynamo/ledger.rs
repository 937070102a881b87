//! The record that keeps a claim's notification from going out twice ([`NotificationLedger`]):
//! a lease while a worker sends it, then the send itself.

use super::expression::{Expression, all};
use super::record::{NotificationRecord, SendState, field, from_item};
use super::transaction::Part;
use super::{DynamoStore, inconsistent, keyed, keys, s, unavailable};
use crate::schema::PK;
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use chrono::{DateTime, Utc};
use cpor_domain::claim::Transition;
use cpor_domain::ids::ClaimId;
use cpor_domain::ports::{ApplyError, NotificationLease, NotificationLedger, Unavailable};
use cpor_domain::time::format_instant;

/// A send state as the attribute its record stores.
fn state(value: SendState) -> Result<aws_sdk_dynamodb::types::AttributeValue, Unavailable> {
    serde_dynamo::to_attribute_value(value)
        .map_err(|e| Unavailable(format!("a send state could not be written: {e}")))
}

#[async_trait]
impl NotificationLedger for DynamoStore {
    async fn acquire(
        &self,
        claim_id: ClaimId,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<NotificationLease, Unavailable> {
        let key = keys::notification(claim_id);
        let item = keyed(
            &NotificationRecord {
                state: SendState::InProgress,
                lease_owner: Some(owner.to_owned()),
                lease_until: Some(lease_until),
                sent_at: None,
                message_id: None,
            },
            &key,
            [],
        )?;
        // Never sent, or an expired lease of a worker that did not finish.
        let mut e = Expression::default();
        let condition = format!(
            "{} OR ({})",
            e.not_exists(PK),
            all(&[
                e.equals(field::STATE, state(SendState::InProgress)?),
                e.less_than(field::LEASE_UNTIL, s(format_instant(now))),
            ])
        );
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
        let existing = match result {
            Ok(_) => return Ok(NotificationLease::Acquired),
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    match failed.item() {
                        Some(item) => item.clone(),
                        None => self.get("notification", &key).await?.unwrap_or_default(),
                    }
                }
                _ => return Err(unavailable("PutItem notification", &e)),
            },
        };
        let existing: NotificationRecord =
            from_item(&existing).map_err(|e| inconsistent(format!("notification record: {e}")))?;
        if existing.lease_owner.as_deref() == Some(owner) {
            return Ok(NotificationLease::Acquired);
        }
        match (existing.state, existing.sent_at) {
            (SendState::Sent, Some(sent_at)) => Ok(NotificationLease::AlreadySent { sent_at }),
            (SendState::Sent, None) => Err(inconsistent("notification sent without a time")),
            (SendState::InProgress, _) => Ok(NotificationLease::HeldElsewhere),
        }
    }

    async fn release(&self, claim_id: ClaimId, owner: &str) -> Result<(), Unavailable> {
        let mut e = Expression::default();
        let condition = all(&[
            e.equals(field::STATE, state(SendState::InProgress)?),
            e.equals(field::LEASE_OWNER, s(owner)),
        ]);
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(keys::notification(claim_id).attributes()))
            .condition_expression(condition)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Not ours (any more): nothing to give back.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable("DeleteItem notification", &e)),
        }
    }

    async fn record_sent(
        &self,
        claim_id: ClaimId,
        sent_at: DateTime<Utc>,
        message_id: &str,
        transition: Option<&Transition>,
    ) -> Result<(), ApplyError> {
        let item = keyed(
            &NotificationRecord {
                state: SendState::Sent,
                lease_owner: None,
                lease_until: None,
                sent_at: Some(sent_at),
                message_id: Some(message_id.to_owned()),
            },
            &keys::notification(claim_id),
            [],
        )?;
        match transition {
            Some(t) => {
                let mut tx = self.transition(t)?;
                tx.put(Part::Notification, item)?;
                let result = self.commit_transition(&tx).await;
                self.unless_already_applied(result, t).await
            }
            None => self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| unavailable("PutItem notification", &e).into()),
        }
    }
}
