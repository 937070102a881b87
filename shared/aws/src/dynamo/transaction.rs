//! `TransactWriteItems` with its items addressed by name: a cancelled transaction's reasons are
//! read by the part they concern (the claim, its lock, ...), not by position.

use super::expression::Expression;
use super::keys::ItemKey;
use super::record::Item;
use super::{build, unavailable};
use crate::pause::TokioPause;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    CancellationReason, ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use cpor_domain::ports::Unavailable;
use cpor_domain::retry::RETRY;

/// What an item of a transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
    Claim,
    /// The history entry recording the change.
    Event,
    /// The partner-of-record lock, taken: its condition is that no claim holds it.
    Lock,
    /// The claim's own partner-of-record lock, given up or handed over: its condition names the
    /// claim, which holds it while its status does, so a failed condition is stored data that
    /// disagrees with itself, never another claim's hold.
    OwnLock,
    /// A partner's contest of a unit.
    Contest,
    /// An association's period, begun or ended by the change.
    Period,
    /// The claim that loses its unit in an arbitration, and its history entry.
    Superseded,
    /// The claim holding a unit, told of a contest in the contest's write, and its entry.
    Holder,
    Idempotency,
    Notification,
    /// What a sent e-mail was: the mail service's feedback names its message id.
    Message,
    /// A report of the mail service, recorded once.
    Feedback,
    /// A document's record.
    Document,
    /// A claim's count of documents.
    DocumentCount,
    /// An expired pending document's record, removed to make room.
    Dropped,
    /// A claim batch's header.
    Batch,
    /// A claim batch's idempotency record.
    BatchKey,
    /// The row results of a chunk of a batch.
    ChunkResults,
    /// A partner's webhook endpoint.
    Webhook,
    /// A partner's count of webhook endpoints.
    WebhookCount,
}

/// The items of one transaction, each with its part.
#[derive(Debug, Clone)]
pub(super) struct Transaction {
    table: String,
    items: Vec<(Part, TransactWriteItem)>,
    /// This transaction's own mark, which the claims it writes carry (see
    /// [`Transaction::written_by`]).
    written_by: String,
}

/// Why a transaction did not take effect.
#[derive(Debug)]
pub(super) enum TransactError {
    Cancelled(Cancellation),
    Unavailable(Unavailable),
}

/// The reasons of a cancelled transaction, by part.
#[derive(Debug, Clone)]
pub(super) struct Cancellation(Vec<(Part, CancellationReason)>);

impl Cancellation {
    /// True when the condition of an item of `part` failed.
    pub fn failed_check(&self, part: Part) -> bool {
        self.reasons(part)
            .any(|r| r.code() == Some("ConditionalCheckFailed"))
    }

    /// The item as it was when a condition of `part` failed (puts ask for it).
    pub fn returned(&self, part: Part) -> Option<&Item> {
        self.reasons(part).find_map(|r| r.item())
    }

    /// True when a concurrent transaction on the same items cancelled this one: a fresh
    /// attempt normally goes through.
    pub fn conflicted(&self) -> bool {
        self.0
            .iter()
            .any(|(_, r)| r.code() == Some("TransactionConflict"))
    }

    /// True when some condition failed: trying again cannot help.
    pub fn any_failed_check(&self) -> bool {
        self.0
            .iter()
            .any(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
    }

    fn reasons(&self, part: Part) -> impl Iterator<Item = &CancellationReason> {
        self.0
            .iter()
            .filter(move |(p, _)| *p == part)
            .map(|(_, r)| r)
    }
}

impl std::fmt::Display for Cancellation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let codes: Vec<String> = self
            .0
            .iter()
            .map(|(part, r)| format!("{part:?}: {}", r.code().unwrap_or("None")))
            .collect();
        write!(f, "transaction cancelled ({})", codes.join(", "))
    }
}

impl std::fmt::Display for TransactError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Cancelled(c) => c.fmt(f),
            Self::Unavailable(e) => e.fmt(f),
        }
    }
}

impl Transaction {
    pub fn new(table: &str) -> Self {
        Self {
            table: table.to_owned(),
            items: Vec::new(),
            written_by: ulid::Ulid::new().to_string(),
        }
    }

    /// The mark that the claims this transaction writes carry (`written_by`): the SDK retries
    /// the same request, so a claim found with it after a conflict was written by this very
    /// transaction, whose answer was lost; a claim equal to the one this transaction meant to
    /// write, but without its mark, was written by another writer (another nightly run deciding
    /// the same claim at the same instant) and is a conflict.
    pub fn written_by(&self) -> &str {
        &self.written_by
    }

    /// Puts `item` if `condition` (given its expression's placeholders) holds; a failed
    /// condition returns the item as it was.
    pub fn put_if(
        &mut self,
        part: Part,
        item: Item,
        condition: impl FnOnce(&mut Expression) -> String,
    ) -> Result<(), Unavailable> {
        let mut e = Expression::default();
        let condition = condition(&mut e);
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let put = build("put", put.build())?;
        self.items
            .push((part, TransactWriteItem::builder().put(put).build()));
        Ok(())
    }

    /// Puts `item` whatever is stored under its key.
    pub fn put(&mut self, part: Part, item: Item) -> Result<(), Unavailable> {
        let put = build(
            "put",
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .build(),
        )?;
        self.items
            .push((part, TransactWriteItem::builder().put(put).build()));
        Ok(())
    }

    /// Writes nothing, but holds the whole transaction to `condition` on the item at `key`; a
    /// failed condition returns the item as it was.
    pub fn check(
        &mut self,
        part: Part,
        key: &ItemKey,
        condition: impl FnOnce(&mut Expression) -> String,
    ) -> Result<(), Unavailable> {
        let mut e = Expression::default();
        let condition = condition(&mut e);
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .condition_expression(condition)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let check = build("condition check", check.build())?;
        self.items.push((
            part,
            TransactWriteItem::builder().condition_check(check).build(),
        ));
        Ok(())
    }

    /// Deletes the item at `key` if `condition` holds.
    pub fn delete_if(
        &mut self,
        part: Part,
        key: &ItemKey,
        condition: impl FnOnce(&mut Expression) -> String,
    ) -> Result<(), Unavailable> {
        let mut e = Expression::default();
        let condition = condition(&mut e);
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .condition_expression(condition)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values());
        let delete = build("delete", delete.build())?;
        self.items
            .push((part, TransactWriteItem::builder().delete(delete).build()));
        Ok(())
    }

    /// Updates the item at `key`: `change` gives the update and the condition expressions.
    pub fn update_if(
        &mut self,
        part: Part,
        key: &ItemKey,
        change: impl FnOnce(&mut Expression) -> (String, String),
    ) -> Result<(), Unavailable> {
        let mut e = Expression::default();
        let (update, condition) = change(&mut e);
        self.update_expressed(part, key, update, condition, &e)
    }

    /// Updates the item at `key` if `condition` holds, both expressions written with `e`'s
    /// placeholders.
    pub fn update_expressed(
        &mut self,
        part: Part,
        key: &ItemKey,
        update: String,
        condition: String,
        e: &Expression,
    ) -> Result<(), Unavailable> {
        self.push_update(part, key, update, Some(condition), e)
    }

    /// Updates the item at `key`, or creates it, whatever is stored: `change` gives the
    /// update expression.
    pub fn upsert(
        &mut self,
        part: Part,
        key: &ItemKey,
        change: impl FnOnce(&mut Expression) -> String,
    ) -> Result<(), Unavailable> {
        let mut e = Expression::default();
        let update = change(&mut e);
        self.push_update(part, key, update, None, &e)
    }

    fn push_update(
        &mut self,
        part: Part,
        key: &ItemKey,
        update: String,
        condition: Option<String>,
        e: &Expression,
    ) -> Result<(), Unavailable> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .update_expression(update)
            .set_condition_expression(condition)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values());
        let update = build("update", update.build())?;
        self.items
            .push((part, TransactWriteItem::builder().update(update).build()));
        Ok(())
    }

    /// Writes every item or none.
    pub async fn commit(&self, client: &Client) -> Result<(), TransactError> {
        let items = self.items.iter().map(|(_, item)| item.clone()).collect();
        match client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    Err(TransactError::Cancelled(Cancellation(
                        self.items
                            .iter()
                            .map(|(part, _)| *part)
                            .zip(cancelled.cancellation_reasons().iter().cloned())
                            .collect(),
                    )))
                }
                _ => Err(TransactError::Unavailable(unavailable(
                    "TransactWriteItems",
                    &e,
                ))),
            },
        }
    }

    /// Writes every item or none, trying again (the service's retry policy) while a concurrent
    /// transaction on the same items is what cancelled it.
    pub async fn commit_through_conflicts(&self, client: &Client) -> Result<(), TransactError> {
        RETRY
            .run(
                "a transaction in conflict with another",
                &TokioPause,
                || self.commit(client),
                |e| matches!(e, TransactError::Cancelled(c) if c.conflicted() && !c.any_failed_check()),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::replay::{
        DynamoRequest, Replay, ScriptedDynamo, cancelled, check_failed, internal_error,
        transaction_conflict, wire, written,
    };
    use crate::dynamo::s;
    use serde_json::json;

    /// The item at `pk`/`sk`.
    fn item(pk: &str, sk: &str) -> Item {
        ItemKey {
            pk: pk.into(),
            sk: sk.into(),
        }
        .attributes()
    }

    fn key(pk: &str) -> ItemKey {
        ItemKey {
            pk: pk.into(),
            sk: "S".into(),
        }
    }

    /// A transaction of each kind of write, each item of another part, in this order.
    const PARTS: [Part; 5] = [
        Part::Claim,
        Part::Event,
        Part::Lock,
        Part::OwnLock,
        Part::DocumentCount,
    ];

    fn transaction() -> Transaction {
        let mut tx = Transaction::new("replayed");
        tx.put_if(Part::Claim, item("a", "S"), |e| e.not_exists("pk"))
            .unwrap();
        tx.put(Part::Event, item("b", "S")).unwrap();
        tx.check(Part::Lock, &key("c"), |e| e.not_exists("pk"))
            .unwrap();
        tx.delete_if(Part::OwnLock, &key("d"), |e| e.equals("claim_id", s("x")))
            .unwrap();
        tx.update_if(Part::DocumentCount, &key("e"), |e| {
            (e.update(vec![("count", s("1"))], &[]), e.not_exists("pk"))
        })
        .unwrap();
        tx
    }

    /// What `commit` answers when DynamoDB cancels the transaction with `reasons`.
    async fn cancellation(reasons: Vec<serde_json::Value>) -> Cancellation {
        let replay = Replay::default();
        replay.on("TransactWriteItems", move |_| cancelled(reasons));
        match transaction().commit(&replay.store().client).await {
            Err(TransactError::Cancelled(c)) => c,
            other => panic!("a cancelled transaction, not {other:?}"),
        }
    }

    /// The reasons of a cancelled transaction, one per item in the order of the request's items,
    /// are read by the part of the item at the same position, whichever the position.
    #[tokio::test]
    async fn a_cancellation_reason_is_read_as_the_part_of_the_item_at_its_position() {
        let replay = Replay::default();
        replay.on("TransactWriteItems", |_| written());
        transaction().commit(&replay.store().client).await.unwrap();
        let sent: Vec<String> = replay.requests()[0]
            .items()
            .into_iter()
            .map(|k| k.pk)
            .collect();
        assert_eq!(
            sent,
            ["a", "b", "c", "d", "e"],
            "the items in the order added"
        );
        for (position, part) in PARTS.into_iter().enumerate() {
            let mut reasons = vec![json!({ "Code": "None" }); PARTS.len()];
            reasons[position] = check_failed(None);
            let c = cancellation(reasons).await;
            for other in PARTS {
                assert_eq!(
                    c.failed_check(other),
                    other == part,
                    "{other:?} at {position}"
                );
            }
            assert!(c.any_failed_check() && !c.conflicted());
        }
    }

    /// A failed condition returns the item as it was when its write asked for it, to the part
    /// of its position only; the reasons read in full say each part's code.
    #[tokio::test]
    async fn a_failed_conditions_item_is_returned_to_its_part() {
        let holder = item("c", "S");
        let c = cancellation(vec![
            json!({ "Code": "None" }),
            json!({ "Code": "None" }),
            check_failed(Some(wire(&holder))),
            check_failed(None),
            json!({ "Code": "None" }),
        ])
        .await;
        assert_eq!(c.returned(Part::Lock), Some(&holder));
        for part in [Part::Claim, Part::Event, Part::OwnLock, Part::DocumentCount] {
            assert_eq!(c.returned(part), None, "{part:?}");
        }
        assert_eq!(
            c.to_string(),
            "transaction cancelled (Claim: None, Event: None, Lock: ConditionalCheckFailed, \
             OwnLock: ConditionalCheckFailed, DocumentCount: None)"
        );
    }

    /// A transaction cancelled by another one in progress on its items is a conflict, not a
    /// failed condition.
    #[tokio::test]
    async fn a_transaction_conflict_is_no_failed_condition() {
        let mut reasons = vec![json!({ "Code": "None" }); PARTS.len()];
        reasons[3] = transaction_conflict();
        let c = cancellation(reasons).await;
        assert!(c.conflicted());
        assert!(!c.any_failed_check());
        assert!(PARTS.into_iter().all(|part| !c.failed_check(part)));
    }

    /// A failure that is no cancellation is `Unavailable`, naming the call.
    #[tokio::test]
    async fn a_failure_that_is_no_cancellation_is_unavailable() {
        let replay = Replay::default();
        replay.on("TransactWriteItems", |_| internal_error());
        match transaction().commit(&replay.store().client).await {
            Err(TransactError::Unavailable(e)) => {
                assert!(e.0.starts_with("TransactWriteItems"), "{e}");
            }
            other => panic!("unavailable, not {other:?}"),
        }
    }

    /// Through conflicts, a transaction cancelled only by other transactions in progress is
    /// sent again until it goes through.
    #[tokio::test]
    async fn a_transaction_cancelled_only_by_conflicts_is_sent_again_until_it_goes_through() {
        let replay = Replay::default();
        let conflict_at = |position: usize| {
            move |_: &[_]| {
                let mut reasons = vec![json!({ "Code": "None" }); PARTS.len()];
                reasons[position] = transaction_conflict();
                cancelled(reasons)
            }
        };
        replay
            .on("TransactWriteItems", conflict_at(0))
            .on("TransactWriteItems", conflict_at(4))
            .on("TransactWriteItems", |_| written());
        let tx = transaction();
        tx.commit_through_conflicts(&replay.store().client)
            .await
            .unwrap();
        assert_eq!(replay.requests().len(), 3);
    }

    /// Through conflicts, a failed condition is never sent again, even beside a conflict (trying
    /// again cannot help); nor is a failure that is no cancellation; and conflicts that persist
    /// are given up after the retry policy's attempts.
    #[tokio::test]
    async fn only_conflicts_are_sent_again_and_as_often_as_the_retry_policy_says() {
        let beside = || {
            cancelled(vec![
                transaction_conflict(),
                check_failed(None),
                json!({ "Code": "None" }),
                json!({ "Code": "None" }),
                json!({ "Code": "None" }),
            ])
        };
        let persisting = || {
            let mut reasons = vec![json!({ "Code": "None" }); PARTS.len()];
            reasons[2] = transaction_conflict();
            cancelled(reasons)
        };
        for (what, answer, sent) in [
            ("a failed condition", beside as fn() -> _, 1),
            ("a failure", internal_error, 1),
            ("persisting conflicts", persisting, RETRY.attempts as usize),
        ] {
            let replay = Replay::default();
            for _ in 0..sent {
                replay.on("TransactWriteItems", move |_| answer());
            }
            let tx = transaction();
            assert!(
                tx.commit_through_conflicts(&replay.store().client)
                    .await
                    .is_err(),
                "{what}"
            );
            assert_eq!(replay.requests().len(), sent, "{what}");
        }
    }
}
