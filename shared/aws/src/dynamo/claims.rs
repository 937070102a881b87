//! Reading and changing stored claims ([`ClaimRepository`]).

use super::expression::all;
use super::paging::Listing;
use super::record::{Item, field};
use super::transaction::{Part, TransactError, Transaction};
use super::{
    DynamoStore, claim_from_item, claim_item, event_item, inconsistent, keys, lock_item, n, s,
    text, unavailable,
};
use crate::schema::{PARTNER_INDEX, PK};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use cpor_domain::claim::{Claim, HistoryEntry, Transition};
use cpor_domain::events::EventSubject;
use cpor_domain::ids::{ClaimId, PartnerId};
use cpor_domain::listing::{ClaimPage, ListQuery};
use cpor_domain::ports::{ApplyError, ClaimRepository, Unavailable};

impl DynamoStore {
    /// The transaction that applies a transition: the claim at its next version (if the stored
    /// one still has the expected version and status), its history entries, and the release of
    /// its lock when it gives up its unit, or the taking of the lock (if no claim holds it) when
    /// it takes its unit back.
    pub(super) fn transition(&self, t: &Transition) -> Result<Transaction, Unavailable> {
        let claim = &t.claim;
        let mut tx = Transaction::new(&self.table);
        self.claim_change(&mut tx, t, Part::Claim, Part::Event)?;
        if t.takes_lock() {
            tx.put_if(Part::Lock, lock_item(claim)?, |e| e.not_exists(PK))?;
        }
        if t.releases_lock() {
            tx.delete_if(Part::OwnLock, &keys::lock(&claim.subject.lock()), |e| {
                e.equals(field::CLAIM_ID, s(claim.id.to_string()))
            })?;
        }
        Ok(tx)
    }

    /// Adds to `tx` the claim of `t` at its next version (if the stored one still has the
    /// expected version and status), its history entries, and the end of its contest if the
    /// change ends one.
    pub(super) fn claim_change(
        &self,
        tx: &mut Transaction,
        t: &Transition,
        claim_part: Part,
        event_part: Part,
    ) -> Result<(), Unavailable> {
        let claim = &t.claim;
        let mut item = claim_item(claim)?;
        item.insert(field::WRITTEN_BY.to_owned(), s(tx.written_by().to_owned()));
        tx.put_if(claim_part, item, |e| {
            all(&[
                e.equals(field::VERSION, n(t.expected_version)),
                e.equals(field::STATUS, s(t.expected_status.as_str())),
            ])
        })?;
        for entry in &t.entries {
            tx.put_if(
                event_part,
                event_item(claim.id, entry, Some(&EventSubject::of(claim)))?,
                |e| e.not_exists(PK),
            )?;
        }
        // The change that starts or ends an association writes its period (whole: a put is
        // the same whether it begins the period or closes it).
        if t.entries.iter().any(|e| e.association.is_some())
            && let Some(period) = super::periods::period_item(claim)?
        {
            tx.put(Part::Period, period)?;
        }
        if t.ends_contest() {
            let key = keys::contest(&claim.subject.lock(), &claim.partner_id);
            tx.delete_if(Part::Contest, &key, |e| {
                e.equals(field::CLAIM_ID, s(claim.id.to_string()))
            })?;
        }
        Ok(())
    }

    /// The transaction of an arbitration: both claims' changes, and the lock handed from the
    /// loser to the winner (on the condition that it names the loser).
    fn arbitration(
        &self,
        award: &Transition,
        loss: &Transition,
    ) -> Result<Transaction, Unavailable> {
        let mut tx = Transaction::new(&self.table);
        self.claim_change(&mut tx, award, Part::Claim, Part::Event)?;
        self.claim_change(&mut tx, loss, Part::Superseded, Part::Superseded)?;
        let loser = loss.claim.id.to_string();
        tx.put_if(Part::OwnLock, lock_item(&award.claim)?, |e| {
            e.equals(field::CLAIM_ID, s(loser))
        })?;
        Ok(tx)
    }

    /// Commits a transition's transaction: a failed condition on the claim or its history
    /// entry, or a concurrent transaction, means the claim changed meanwhile.
    pub(super) async fn commit_transition(&self, tx: &Transaction) -> Result<(), ApplyError> {
        match tx.commit(&self.client).await {
            Ok(()) => Ok(()),
            Err(TransactError::Cancelled(c))
                if c.failed_check(Part::Claim)
                    || c.failed_check(Part::Event)
                    || c.failed_check(Part::Superseded)
                    || c.conflicted() =>
            {
                Err(ApplyError::Conflict)
            }
            // Only a transition that takes its unit back puts the lock: another claim holds it.
            // (A lock given up or handed over that is not the claim's own is inconsistent.)
            Err(TransactError::Cancelled(c)) if c.failed_check(Part::Lock) => {
                Err(ApplyError::UnitHeld)
            }
            Err(TransactError::Cancelled(c)) => {
                Err(ApplyError::Unavailable(inconsistent(c.to_string())))
            }
            Err(TransactError::Unavailable(e)) => Err(e.into()),
        }
    }

    /// A conflict on a transition whose answer was lost may be the transition itself, applied
    /// by the SDK's first attempt: the stored claim then carries the transaction's mark.
    pub(super) async fn unless_already_applied(
        &self,
        result: Result<(), ApplyError>,
        t: &Transition,
        tx: &Transaction,
    ) -> Result<(), ApplyError> {
        match result {
            Err(ApplyError::Conflict) if self.written_by(t.claim.id, tx).await? => Ok(()),
            other => other,
        }
    }

    /// Whether the stored claim `id` was last written by `tx`.
    async fn written_by(&self, id: ClaimId, tx: &Transaction) -> Result<bool, Unavailable> {
        let stored = self.get("claim", &keys::claim(id)).await?;
        Ok(stored
            .as_ref()
            .and_then(|item| text(item, field::WRITTEN_BY))
            .is_some_and(|by| by == tx.written_by()))
    }

    /// Every item a query yields, page after page.
    pub(super) async fn query_all(
        &self,
        query: impl Fn(Option<Item>) -> QueryFluentBuilder,
    ) -> Result<Vec<Item>, Unavailable> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = query(start)
                .send()
                .await
                .map_err(|e| unavailable("Query", &e))?;
            items.extend(page.items().iter().cloned());
            match page.last_evaluated_key() {
                Some(last) => start = Some(last.clone()),
                None => return Ok(items),
            }
        }
    }
}

#[async_trait]
impl ClaimRepository for DynamoStore {
    async fn claim(&self, id: ClaimId) -> Result<Option<Claim>, Unavailable> {
        self.get("claim", &keys::claim(id))
            .await?
            .as_ref()
            .map(claim_from_item)
            .transpose()
    }

    async fn history_entry(
        &self,
        id: ClaimId,
        sequence: u32,
    ) -> Result<Option<HistoryEntry>, Unavailable> {
        self.get("history entry", &keys::event(id, sequence))
            .await?
            .as_ref()
            .map(super::entry_from_item)
            .transpose()
    }

    async fn claim_with_history(
        &self,
        id: ClaimId,
    ) -> Result<Option<(Claim, Vec<HistoryEntry>)>, Unavailable> {
        Ok(self
            .claim_partition(id)
            .await?
            .map(|(claim, history, _)| (claim, history)))
    }

    async fn list_claims(
        &self,
        partner_id: &PartnerId,
        query: &ListQuery,
    ) -> Result<ClaimPage, Unavailable> {
        let listing = keys::partner_listing(partner_id);
        let start = query.after.map(|after| {
            let mut k = keys::claim(after).attributes();
            k.insert(PARTNER_INDEX.partition_key.to_owned(), s(listing.clone()));
            k.insert(
                PARTNER_INDEX.sort_key.to_owned(),
                s(keys::partner_listing_position(after)),
            );
            k
        });
        let filtered = query.filter != Default::default();
        let listing = Listing {
            index: &PARTNER_INDEX,
            partition: listing,
            // Newest first.
            forward: false,
            start,
            min_read: if filtered { 100 } else { 0 },
        };
        let page = self
            .budgeted_page(
                listing,
                query.limit,
                |claim| query.filter.matches(claim),
                |claim| Some(claim.id),
            )
            .await?;
        Ok(ClaimPage {
            items: page.items,
            next_after: page.next,
        })
    }

    async fn apply(&self, transition: &Transition) -> Result<(), ApplyError> {
        let tx = self.transition(transition)?;
        let result = self.commit_transition(&tx).await;
        self.unless_already_applied(result, transition, &tx).await
    }

    async fn apply_arbitration(
        &self,
        award: &Transition,
        loss: &Transition,
    ) -> Result<(), ApplyError> {
        let tx = self.arbitration(award, loss)?;
        match self.commit_transition(&tx).await {
            // As for one claim: a lost answer's retry finds both claims with its mark (the
            // transaction wrote both or neither).
            Err(ApplyError::Conflict) if self.written_by(award.claim.id, &tx).await? => Ok(()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::keys::ItemKey;
    use crate::dynamo::record::tests::submitted;
    use crate::dynamo::replay::{
        DynamoRequest, Replay, ScriptedDynamo, cancel, check_failed, internal_error, read_back,
        transaction_conflict, wire,
    };
    use chrono::{DateTime, Utc};
    use cpor_domain::claim::{ReviewerId, WithdrawalReason};
    use cpor_domain::review::{Message, RejectionCode};
    use serde_json::Value;

    fn at(minutes: i64) -> DateTime<Utc> {
        submitted().created_at + chrono::TimeDelta::minutes(minutes)
    }

    fn reviewer() -> ReviewerId {
        ReviewerId::parse("r-1").unwrap()
    }

    fn message() -> Message {
        Message::parse("words").unwrap()
    }

    /// A withdrawal, which gives up the claim's lock.
    fn withdrawal() -> Transition {
        submitted()
            .withdraw(at(1), WithdrawalReason::parse("ended").unwrap())
            .unwrap()
    }

    /// A disputed claim's approval, which takes its unit back.
    fn taking_back() -> Transition {
        let rejected = submitted()
            .reject(at(1), &reviewer(), RejectionCode::Other, message())
            .unwrap()
            .claim;
        let disputed = rejected.dispute(at(2), &message(), None).unwrap().claim;
        disputed.approve(at(3), &reviewer(), None).unwrap()
    }

    /// Another partner's contest of the unit [`submitted`] holds.
    fn contest() -> Claim {
        let holder = submitted();
        let (contest, _) = Claim::contest(
            ClaimId::new_at(at(1)),
            PartnerId::parse("7654321").unwrap(),
            "Northwind".into(),
            holder.subject.clone(),
            at(1),
            holder.id,
            &message(),
        );
        contest
    }

    /// The arbitration of [`contest`]: the contest's approval and its holder's loss.
    fn arbitration() -> (Transition, Transition) {
        (
            contest().approve(at(2), &reviewer(), None).unwrap(),
            submitted().supersede(at(2), &reviewer()).unwrap(),
        )
    }

    fn claim_key(t: &Transition) -> ItemKey {
        keys::claim(t.claim.id)
    }

    fn event_key(t: &Transition) -> ItemKey {
        keys::event(t.claim.id, t.entry().sequence)
    }

    fn lock_key(t: &Transition) -> ItemKey {
        keys::lock(&t.claim.subject.lock())
    }

    /// Another claim's lock, as the failed condition returns it.
    fn other_holder(t: &Transition) -> Value {
        let mut holder = t.claim.clone();
        holder.id = ClaimId::new_at(at(5));
        wire(&lock_item(&holder).unwrap())
    }

    /// What `apply` answers when DynamoDB cancels its transaction with `reasons` (by the
    /// items' keys), after reading the claim back if `read` says how it was written; and the
    /// operations of the requests it sent.
    async fn applied(
        t: &Transition,
        reasons: Vec<(ItemKey, Value)>,
        read: Option<Option<&'static str>>,
    ) -> (Result<(), ApplyError>, Vec<String>) {
        let replay = Replay::default();
        replay.on("TransactWriteItems", cancel(reasons));
        if let Some(writer) = read {
            replay.on("GetItem", read_back(claim_key(t), writer));
        }
        let result = replay.store().apply(t).await;
        (result, replay.sent())
    }

    /// A claim changed meanwhile (its condition, or its entry's, failed; or another transaction
    /// was in progress on its items) is a `Conflict`, once the claim read back shows that
    /// another writer changed it.
    #[tokio::test]
    async fn a_claim_changed_meanwhile_is_a_conflict() {
        let t = withdrawal();
        for (what, key, reason) in [
            ("the claim", claim_key(&t), check_failed(None)),
            ("its entry", event_key(&t), check_failed(None)),
            (
                "a transaction in progress",
                lock_key(&t),
                transaction_conflict(),
            ),
        ] {
            let another = Some(Some("another writer"));
            let (result, sent) = applied(&t, vec![(key, reason)], another).await;
            assert_eq!(result, Err(ApplyError::Conflict), "{what}");
            assert_eq!(sent, ["TransactWriteItems", "GetItem"], "{what}");
        }
    }

    /// A failed condition on the claim whose stored claim carries the transaction's own mark is
    /// the transaction itself, applied by an attempt whose answer was lost: no conflict.
    #[tokio::test]
    async fn a_transition_found_with_its_own_mark_is_applied() {
        let t = withdrawal();
        let failed = vec![(claim_key(&t), check_failed(None))];
        let (result, _) = applied(&t, failed, Some(None)).await;
        assert_eq!(result, Ok(()));
    }

    /// A transition that takes its unit back, refused by the lock alone, is `UnitHeld` (another
    /// claim holds the unit), without a read; with the claim's own condition failed too, it is a
    /// `Conflict` first.
    #[tokio::test]
    async fn a_unit_taken_back_while_held_is_unit_held_unless_the_claim_changed() {
        let t = taking_back();
        let held = (lock_key(&t), check_failed(Some(other_holder(&t))));
        let (result, sent) = applied(&t, vec![held.clone()], None).await;
        assert_eq!((result, sent.len()), (Err(ApplyError::UnitHeld), 1));
        let changed = (claim_key(&t), check_failed(None));
        let another = Some(Some("another writer"));
        let (result, _) = applied(&t, vec![held, changed], another).await;
        assert_eq!(result, Err(ApplyError::Conflict));
    }

    /// A lock given up, or a contest ended, that is not the claim's own while the claim's own
    /// condition held is stored data that disagrees with itself: `Unavailable`, without a read.
    #[tokio::test]
    async fn a_lock_or_contest_given_up_that_is_not_the_claims_own_is_inconsistent() {
        let t = withdrawal();
        let rejected = contest()
            .reject(at(3), &reviewer(), RejectionCode::Other, message())
            .unwrap();
        let ended = keys::contest(&rejected.claim.subject.lock(), &rejected.claim.partner_id);
        for (what, t, key) in [("lock", &t, lock_key(&t)), ("contest", &rejected, ended)] {
            let (result, sent) = applied(t, vec![(key, check_failed(None))], None).await;
            assert!(
                matches!(&result, Err(ApplyError::Unavailable(e)) if e.0.contains("inconsistent")),
                "{what}: {result:?}"
            );
            assert_eq!(sent.len(), 1, "{what}");
        }
    }

    /// A failure that is no cancellation is `Unavailable`, without a read.
    #[tokio::test]
    async fn a_failure_that_is_no_cancellation_is_unavailable() {
        let replay = Replay::default();
        replay.on("TransactWriteItems", |_| internal_error());
        let result = replay.store().apply(&withdrawal()).await;
        assert!(
            matches!(result, Err(ApplyError::Unavailable(_))),
            "{result:?}"
        );
        assert_eq!(replay.requests().len(), 1);
    }

    /// An arbitration's transaction holds the contest's change (claim, entry, the contest's
    /// end), then the loser's (claim, entry), then the lock handed over, in that order: each
    /// cancellation reason is read as its item's part. The loser changed meanwhile is a
    /// `Conflict` (unless the contest carries the transaction's own mark: applied); a lock that
    /// is not the loser's is inconsistent.
    #[tokio::test]
    async fn an_arbitrations_parts_are_read_in_their_order() {
        let (award, loss) = arbitration();
        let contest = keys::contest(&award.claim.subject.lock(), &award.claim.partner_id);
        let order = [
            claim_key(&award),
            event_key(&award),
            contest,
            claim_key(&loss),
            event_key(&loss),
            lock_key(&award),
        ];
        let arbitrate = |reasons: Vec<(ItemKey, Value)>, read: Option<Option<&'static str>>| {
            let (award, loss) = (award.clone(), loss.clone());
            async move {
                let replay = Replay::default();
                replay.on("TransactWriteItems", cancel(reasons));
                if let Some(writer) = read {
                    replay.on("GetItem", read_back(claim_key(&award), writer));
                }
                let result = replay.store().apply_arbitration(&award, &loss).await;
                assert!(replay.done());
                (result, replay.requests()[0].items())
            }
        };
        let loser_changed = vec![(claim_key(&loss), check_failed(None))];
        let (result, sent) = arbitrate(loser_changed.clone(), Some(Some("another"))).await;
        assert_eq!(sent, order);
        assert_eq!(result, Err(ApplyError::Conflict));
        let (result, _) = arbitrate(loser_changed, Some(None)).await;
        assert_eq!(result, Ok(()));
        let entry_changed = vec![(event_key(&loss), check_failed(None))];
        let (result, _) = arbitrate(entry_changed, Some(Some("another"))).await;
        assert_eq!(result, Err(ApplyError::Conflict));
        let not_the_losers = vec![(lock_key(&award), check_failed(Some(other_holder(&award))))];
        let (result, _) = arbitrate(not_the_losers, None).await;
        assert!(
            matches!(result, Err(ApplyError::Unavailable(_))),
            "{result:?}"
        );
    }
}
