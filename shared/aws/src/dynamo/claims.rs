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
