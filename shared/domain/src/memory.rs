//! In-memory implementations of the ports, for benchmarks that measure the domain's own work
//! and for the use cases' unit tests, which prove each rule in milliseconds without a network
//! (feature `memory`; always built for the crate's own tests).
//!
//! They keep the rules the real store keeps, because the use cases' behaviour depends on them:
//! one holder per partner-of-record lock, one use of an idempotency key per partner, changes
//! conditional on the stored version and status, one send lease at a time. A test can make a
//! call fail ([`MemoryStore::fail`], [`MemoryQueue::fail`], [`MemoryMailer::fail`]) and make a
//! conditional write lose a race ([`MemoryStore::conflict`], [`MemoryStore::race`]).

use crate::claim::{Claim, ClaimStatus, HistoryEntry, Transition};
use crate::email::CustomerEmail;
use crate::idempotency::{IDEMPOTENCY_WINDOW, IdempotencyKey, IdempotencyRecord};
use crate::ids::{ClaimId, PartnerId, TenantId};
use crate::listing::{ClaimPage, ListQuery, READ_BUDGET, ReviewQuery};
use crate::ports::{
    ApplyError, ClaimRepository, CreateError, DueIndex, DuePages, EventMailLedger, EventMailRef,
    FeedbackRecordError, LockHolder, MailFeedbackLedger, Mailer, NoticeRef, NotificationLease,
    NotificationLedger, NotificationQueue, ReviewPage, ReviewQueue, SendError, SubmissionContext,
    SubmissionStore, TenantDirectory, Unavailable,
};
use crate::reference::{PartnerRecord, ReferenceData, TenantRecord};
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use futures::StreamExt;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};

/// A call of [`MemoryStore`], named after the port method, for making it fail in a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreCall {
    SubmissionContext,
    /// The read of a tenant's directory record.
    Tenant,
    CreateClaim,
    Claim,
    HistoryEntry,
    ClaimWithHistory,
    ListClaims,
    Apply,
    Acquire,
    Release,
    /// Both forms: with a transition (conditional) and without (a plain put).
    RecordSent,
    Hold,
    RecordRejected,
    ReviewPage,
    /// The read of one page of the due index.
    DuePage,
}

/// A claim's notification as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerEntry {
    /// `owner` may be sending it until `until`; `releases` held sends were released before.
    Leased {
        owner: String,
        until: DateTime<Utc>,
        releases: u32,
    },
    /// It went out at `at`.
    Sent {
        at: DateTime<Utc>,
        message_id: String,
    },
    /// Whether it went out is unknown: held since `since`, after `releases` releases.
    Held { since: DateTime<Utc>, releases: u32 },
    /// The mail service refused the address for good.
    Rejected { reason: String },
}

/// How many due claims one page of the due index holds when a test does not say.
const DUE_PAGE_SIZE: usize = 25;

/// What a test asked of the store's next calls.
#[derive(Debug, Default)]
struct Faults {
    /// Calls that fail with `Unavailable`, and how many more times.
    unavailable: HashMap<StoreCall, u32>,
    /// Conditional writes refused as `Conflict` without a change, and how many more times.
    conflicts: HashMap<StoreCall, u32>,
    /// Transitions that another writer applies just before the next such write.
    races: HashMap<StoreCall, VecDeque<Transition>>,
}

/// One fewer left of a countdown; true when there was one.
fn count_down(counts: &mut HashMap<StoreCall, u32>, call: StoreCall) -> bool {
    match counts.get_mut(&call) {
        Some(left) if *left > 0 => {
            *left -= 1;
            true
        }
        Some(_) | None => false,
    }
}

#[derive(Debug, Default)]
struct Tables {
    partners: HashMap<PartnerId, PartnerRecord>,
    tenants: HashMap<TenantId, TenantRecord>,
    /// Ordered by id, which is by creation time: listings and the due index read in order.
    claims: BTreeMap<ClaimId, (Claim, Vec<HistoryEntry>)>,
    locks: HashMap<String, LockHolder>,
    /// The contested claim of each partner contesting a unit, by lock and partner.
    contests: HashMap<(String, PartnerId), ClaimId>,
    idempotency: HashMap<(PartnerId, String), IdempotencyRecord>,
    ledger: HashMap<NoticeRef, LedgerEntry>,
    /// The mail service's reports recorded, by their ids.
    feedback: std::collections::HashSet<String>,
    /// Message ids recorded besides the ledger's sends (an operator's, then SES's word).
    messages: HashMap<String, NoticeRef>,
    /// Reports on messages not recorded when they arrived, with when they arrived.
    unmatched: Vec<(crate::usecase::feedback::FeedbackReport, DateTime<Utc>)>,
    /// The e-mails that follow claims' events.
    event_mail: HashMap<EventMailRef, LedgerEntry>,
    faults: Faults,
    /// Every call made, in order, as a test reads them ([`MemoryStore::calls`]).
    calls: Vec<StoreCall>,
}

impl Tables {
    /// Writes a transition if the stored claim still has the expected version and status: the
    /// claim, its history entries, and the release or the taking of its lock, all or nothing.
    fn apply(&mut self, t: &Transition) -> Result<(), ApplyError> {
        let id = t.claim.id;
        let lock = t.claim.subject.lock().as_str().to_owned();
        if t.takes_lock() && self.locks.contains_key(&lock) {
            let stored = self.claims.get(&id).map(|(c, _)| c);
            if stored.is_some_and(|c| c.version == t.expected_version) {
                return Err(ApplyError::UnitHeld);
            }
        }
        let Some((stored, history)) = self.claims.get_mut(&id) else {
            return Err(ApplyError::Conflict);
        };
        let taken = |h: &Vec<HistoryEntry>| {
            t.entries
                .iter()
                .any(|e| h.iter().any(|s| s.sequence == e.sequence))
        };
        if stored.version != t.expected_version
            || stored.status() != t.expected_status
            || taken(history)
        {
            // As on DynamoDB, a transition that is already stored (a retry whose first answer
            // was lost) is not a conflict.
            return if *stored == t.claim {
                Ok(())
            } else {
                Err(ApplyError::Conflict)
            };
        }
        if t.takes_lock() {
            self.locks.insert(
                lock.clone(),
                LockHolder {
                    claim_id: id,
                    partner_id: t.claim.partner_id.clone(),
                },
            );
        }
        if t.releases_lock() {
            match self.locks.get(&lock) {
                Some(holder) if holder.claim_id == id => {
                    self.locks.remove(&lock);
                }
                // DynamoDB cancels the whole transaction, as a fault rather than a conflict.
                Some(_) | None => {
                    return Err(
                        Unavailable(format!("the lock of claim {id} is not its own")).into(),
                    );
                }
            }
        }
        *stored = t.claim.clone();
        history.extend(t.entries.iter().cloned());
        if t.ends_contest() {
            self.contests.remove(&(lock, t.claim.partner_id.clone()));
        }
        Ok(())
    }

    /// Writes an arbitration if both stored claims still have their expected versions and
    /// statuses: both claims and their entries, the lock handed to the winner, all or nothing.
    fn apply_arbitration(
        &mut self,
        award: &Transition,
        loss: &Transition,
    ) -> Result<(), ApplyError> {
        let current = |t: &Transition| {
            self.claims.get(&t.claim.id).is_some_and(|(c, _)| {
                c.version == t.expected_version && c.status() == t.expected_status
            })
        };
        if !current(award) || !current(loss) {
            let applied = |t: &Transition| {
                self.claims
                    .get(&t.claim.id)
                    .is_some_and(|(c, _)| *c == t.claim)
            };
            return if applied(award) && applied(loss) {
                Ok(())
            } else {
                Err(ApplyError::Conflict)
            };
        }
        let lock = award.claim.subject.lock().as_str().to_owned();
        match self.locks.get(&lock) {
            Some(holder) if holder.claim_id == loss.claim.id => {}
            Some(_) | None => {
                return Err(Unavailable(format!(
                    "the lock of claim {} is not its own",
                    loss.claim.id
                ))
                .into());
            }
        }
        self.locks.insert(
            lock.clone(),
            LockHolder {
                claim_id: award.claim.id,
                partner_id: award.claim.partner_id.clone(),
            },
        );
        self.contests
            .remove(&(lock, award.claim.partner_id.clone()));
        for t in [award, loss] {
            if let Some((stored, history)) = self.claims.get_mut(&t.claim.id) {
                *stored = t.claim.clone();
                history.extend(t.entries.iter().cloned());
            }
        }
        Ok(())
    }

    /// What a test arranged for the conditional write `call`: another writer's transition
    /// first, or a conflict without a change.
    fn contend(&mut self, call: StoreCall) -> Result<(), ApplyError> {
        if let Some(winner) = self
            .faults
            .races
            .get_mut(&call)
            .and_then(VecDeque::pop_front)
        {
            // The race is the test's own setting: a winner that does not apply shows in the
            // test's assertions on the stored claim.
            let _ = self.apply(&winner);
        }
        if count_down(&mut self.faults.conflicts, call) {
            return Err(ApplyError::Conflict);
        }
        Ok(())
    }

    /// The due claims at `now` after `cursor` (a deadline and a claim id), oldest deadline
    /// first, at most `limit`, as the index holds them.
    fn due_after(
        &self,
        now: DateTime<Utc>,
        cursor: Option<(DateTime<Utc>, ClaimId)>,
        limit: usize,
    ) -> Vec<(DateTime<Utc>, Claim)> {
        let mut due: Vec<(DateTime<Utc>, Claim)> = self
            .claims
            .values()
            .filter_map(|(claim, _)| {
                let deadline = claim.state.nightly_deadline()?.at();
                // The index's sort key is the deadline: a claim is due once `now` is past it.
                (deadline < now && cursor.is_none_or(|c| (deadline, claim.id) > c))
                    .then(|| (deadline, claim.clone()))
            })
            .collect();
        due.sort_by_key(|(deadline, claim)| (*deadline, claim.id));
        due.truncate(limit);
        due
    }
}

/// Claims with their history and locks, idempotency records, the notification ledger and
/// reference data, held in memory: the ports DynamoDB serves.
#[derive(Debug)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
    due_page_size: usize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            tables: Mutex::default(),
            due_page_size: DUE_PAGE_SIZE,
        }
    }
}

impl MemoryStore {
    /// A store holding this reference data.
    pub fn with_reference_data(data: &ReferenceData) -> Self {
        let store = Self::default();
        {
            let mut tables = store.tables();
            for partner in &data.partners {
                tables
                    .partners
                    .insert(partner.partner_id.clone(), partner.clone());
            }
            for tenant in &data.tenants {
                tables.tenants.insert(tenant.tenant_id, tenant.clone());
            }
        }
        store
    }

    /// The same store, whose due index yields pages of at most `size` claims (at least one).
    pub fn with_due_page_size(mut self, size: usize) -> Self {
        self.due_page_size = size.max(1);
        self
    }

    /// A stored claim, with its history.
    pub fn stored(&self, id: ClaimId) -> Option<(Claim, Vec<HistoryEntry>)> {
        self.tables().claims.get(&id).cloned()
    }

    /// How many claims are stored.
    pub fn claim_count(&self) -> usize {
        self.tables().claims.len()
    }

    /// The claim that holds a partner-of-record lock (as [`crate::claim::PartnerOfRecordLock`]
    /// spells it), if one does.
    pub fn lock_holder(&self, lock: &str) -> Option<LockHolder> {
        self.tables().locks.get(lock).cloned()
    }

    /// What the ledger holds of a claim's first notification.
    pub fn ledger_entry(&self, id: ClaimId) -> Option<LedgerEntry> {
        self.notice_entry(NoticeRef {
            claim_id: id,
            number: 1,
        })
    }

    /// What the ledger holds of an e-mail that follows a claim's event.
    pub fn event_mail_entry(&self, mail: EventMailRef) -> Option<LedgerEntry> {
        self.tables().event_mail.get(&mail).cloned()
    }

    /// What the ledger holds of one notification of a claim.
    pub fn notice_entry(&self, notice: NoticeRef) -> Option<LedgerEntry> {
        self.tables().ledger.get(&notice).cloned()
    }

    /// Makes the next `times` calls of `call` fail with `Unavailable`, writing nothing.
    pub fn fail(&self, call: StoreCall, times: u32) {
        self.tables().faults.unavailable.insert(call, times);
    }

    /// The calls made since the store was made or [`MemoryStore::reset_calls`], in order.
    pub fn calls(&self) -> Vec<StoreCall> {
        self.tables().calls.clone()
    }

    pub fn reset_calls(&self) {
        self.tables().calls.clear();
    }

    /// Makes the next `times` conditional writes of `call` (`Apply`, `RecordSent` with a
    /// transition) answer `Conflict` without a change, as DynamoDB does when a
    /// concurrent transaction on the same items cancels them.
    pub fn conflict(&self, call: StoreCall, times: u32) {
        self.tables().faults.conflicts.insert(call, times);
    }

    /// Makes another writer apply `winner` just before the next conditional write of `call`,
    /// as if it had won a race against it: the write then meets the claim `winner` left.
    pub fn race(&self, call: StoreCall, winner: Transition) {
        self.tables()
            .faults
            .races
            .entry(call)
            .or_default()
            .push_back(winner);
    }

    fn tables(&self) -> MutexGuard<'_, Tables> {
        // Every change below is checked before the first write, so a panic while holding the
        // lock cannot leave the tables half-written.
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The tables, for `call`, unless a test made it fail.
    fn enter(&self, call: StoreCall) -> Result<MutexGuard<'_, Tables>, Unavailable> {
        let mut tables = self.tables();
        tables.calls.push(call);
        if count_down(&mut tables.faults.unavailable, call) {
            return Err(Unavailable(format!("{call:?} was made to fail")));
        }
        Ok(tables)
    }
}

#[async_trait]
impl SubmissionStore for MemoryStore {
    async fn submission_context(
        &self,
        partner_id: &PartnerId,
        tenant_id: &TenantId,
        key: Option<&IdempotencyKey>,
    ) -> Result<SubmissionContext, Unavailable> {
        let tables = self.enter(StoreCall::SubmissionContext)?;
        Ok(SubmissionContext {
            partner: tables.partners.get(partner_id).cloned(),
            tenant: tables.tenants.get(tenant_id).cloned(),
            prior: key.and_then(|k| {
                tables
                    .idempotency
                    .get(&(partner_id.clone(), k.as_str().to_owned()))
                    .cloned()
            }),
        })
    }

    async fn create_claim(
        &self,
        claim: &Claim,
        entries: &[HistoryEntry],
        idempotency: Option<&IdempotencyRecord>,
        told: Option<&Transition>,
    ) -> Result<(), CreateError> {
        let mut tables = self.enter(StoreCall::CreateClaim)?;
        // In DynamoDB's order of answers: a claim already stored is this very write, a key
        // in use wins over a held lock.
        if tables.claims.contains_key(&claim.id) {
            return Ok(());
        }
        let key = idempotency.map(|r| (r.partner_id.clone(), r.key.clone()));
        if let (Some(key), Some(record)) = (&key, idempotency) {
            // A record past its window may be replaced: the table's TTL may delete it late.
            let expired_before = record.created_at - IDEMPOTENCY_WINDOW;
            if tables
                .idempotency
                .get(key)
                .is_some_and(|prior| prior.created_at > expired_before)
            {
                return Err(CreateError::KeyTaken);
            }
        }
        if let Some(told) = told {
            let stored = tables.claims.get(&told.claim.id).map(|(c, _)| c);
            if !stored.is_some_and(|c| {
                c.version == told.expected_version && c.status() == told.expected_status
            }) {
                return Err(CreateError::HolderChanged);
            }
        }
        let lock = claim.subject.lock().as_str().to_owned();
        let contest = (lock.clone(), claim.partner_id.clone());
        if claim.status() == ClaimStatus::Contested {
            if let Some(contested) = tables.contests.get(&contest) {
                return Err(CreateError::AlreadyContesting(*contested));
            }
            tables.contests.insert(contest, claim.id);
        } else {
            if let Some(holder) = tables.locks.get(&lock) {
                return Err(CreateError::LockHeld(holder.clone()));
            }
            if let Some(contested) = tables.contests.get(&contest) {
                return Err(CreateError::AlreadyContesting(*contested));
            }
            tables.locks.insert(
                lock,
                LockHolder {
                    claim_id: claim.id,
                    partner_id: claim.partner_id.clone(),
                },
            );
        }
        if let (Some(key), Some(record)) = (key, idempotency) {
            tables.idempotency.insert(key, record.clone());
        }
        tables
            .claims
            .insert(claim.id, (claim.clone(), entries.to_vec()));
        if let Some(told) = told {
            tables.apply(told).map_err(|_| CreateError::HolderChanged)?;
        }
        Ok(())
    }

    async fn held_claim(&self, id: ClaimId) -> Result<Option<Claim>, Unavailable> {
        let tables = self.enter(StoreCall::Claim)?;
        Ok(tables.claims.get(&id).map(|(c, _)| c.clone()))
    }
}

#[async_trait]
impl TenantDirectory for MemoryStore {
    async fn tenant(&self, id: TenantId) -> Result<Option<TenantRecord>, Unavailable> {
        let tables = self.enter(StoreCall::Tenant)?;
        Ok(tables.tenants.get(&id).cloned())
    }
}

#[async_trait]
impl ClaimRepository for MemoryStore {
    async fn claim(&self, id: ClaimId) -> Result<Option<Claim>, Unavailable> {
        let tables = self.enter(StoreCall::Claim)?;
        Ok(tables.claims.get(&id).map(|(claim, _)| claim.clone()))
    }

    async fn history_entry(
        &self,
        id: ClaimId,
        sequence: u32,
    ) -> Result<Option<HistoryEntry>, Unavailable> {
        let tables = self.enter(StoreCall::HistoryEntry)?;
        Ok(tables
            .claims
            .get(&id)
            .and_then(|(_, history)| history.iter().find(|e| e.sequence == sequence).cloned()))
    }

    async fn claim_with_history(
        &self,
        id: ClaimId,
    ) -> Result<Option<(Claim, Vec<HistoryEntry>)>, Unavailable> {
        let tables = self.enter(StoreCall::ClaimWithHistory)?;
        Ok(tables.claims.get(&id).cloned())
    }

    async fn list_claims(
        &self,
        partner_id: &PartnerId,
        query: &ListQuery,
    ) -> Result<ClaimPage, Unavailable> {
        let tables = self.enter(StoreCall::ListClaims)?;
        let newest_first: Box<dyn Iterator<Item = &(Claim, Vec<HistoryEntry>)>> = match query.after
        {
            Some(after) => Box::new(tables.claims.range(..after).rev().map(|(_, c)| c)),
            None => Box::new(tables.claims.values().rev()),
        };
        // One more than the page, to know whether another page follows; at most the read
        // budget of the partner's claims is read, as on DynamoDB.
        let mut partners = newest_first
            .map(|(claim, _)| claim)
            .filter(|claim| claim.partner_id == *partner_id)
            .peekable();
        let (mut items, mut read, mut last_read) = (Vec::new(), 0, None);
        while items.len() <= query.limit && read < READ_BUDGET {
            let Some(claim) = partners.next() else { break };
            read += 1;
            last_read = Some(claim.id);
            if query.filter.matches(claim) {
                items.push(claim.clone());
            }
        }
        let budget_spent = items.len() <= query.limit && partners.peek().is_some();
        let next_after = if items.len() > query.limit {
            items.truncate(query.limit);
            items.last().map(|c| c.id)
        } else if budget_spent {
            last_read
        } else {
            None
        };
        Ok(ClaimPage { items, next_after })
    }

    async fn apply(&self, transition: &Transition) -> Result<(), ApplyError> {
        let mut tables = self.enter(StoreCall::Apply)?;
        tables.contend(StoreCall::Apply)?;
        tables.apply(transition)
    }

    async fn apply_arbitration(
        &self,
        award: &Transition,
        loss: &Transition,
    ) -> Result<(), ApplyError> {
        let mut tables = self.enter(StoreCall::Apply)?;
        tables.contend(StoreCall::Apply)?;
        tables.apply_arbitration(award, loss)
    }
}

#[async_trait]
impl ReviewQueue for MemoryStore {
    async fn review_page(&self, query: &ReviewQuery) -> Result<ReviewPage, Unavailable> {
        let tables = self.enter(StoreCall::ReviewPage)?;
        let mut queue: Vec<((DateTime<Utc>, ClaimId), &Claim)> = tables
            .claims
            .values()
            .filter_map(|(claim, _)| {
                claim
                    .state
                    .in_review_since()
                    .map(|s| ((s, claim.id), claim))
            })
            .filter(|(position, _)| query.after.is_none_or(|after| *position > after))
            .collect();
        queue.sort_by_key(|(position, _)| *position);
        let matching: Vec<_> = queue
            .into_iter()
            .filter(|(_, c)| query.statuses.contains(&c.status()))
            .filter(|(_, c)| query.program.is_none_or(|p| c.subject.program == p))
            .take(query.limit + 1)
            .collect();
        let more = matching.len() > query.limit;
        let items: Vec<_> = matching.into_iter().take(query.limit).collect();
        let next = if more {
            items.last().map(|(p, _)| *p)
        } else {
            None
        };
        Ok(ReviewPage {
            items: items.into_iter().map(|(_, c)| c.clone()).collect(),
            next,
        })
    }
}

#[async_trait]
impl NotificationLedger for MemoryStore {
    async fn acquire(
        &self,
        notice: NoticeRef,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<NotificationLease, Unavailable> {
        let mut tables = self.enter(StoreCall::Acquire)?;
        Ok(lease::acquire(
            &mut tables.ledger,
            notice,
            owner,
            now,
            lease_until,
        ))
    }

    async fn release(&self, notice: NoticeRef, owner: &str) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::Release)?;
        if matches!(
            tables.ledger.get(&notice),
            Some(LedgerEntry::Leased { owner: holder, .. }) if holder == owner
        ) {
            tables.ledger.remove(&notice);
        }
        Ok(())
    }

    async fn hold(
        &self,
        notice: NoticeRef,
        owner: &str,
        since: DateTime<Utc>,
    ) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::Hold)?;
        if let Some(LedgerEntry::Leased {
            owner: holder,
            releases,
            ..
        }) = tables.ledger.get(&notice)
            && holder == owner
        {
            let releases = *releases;
            tables
                .ledger
                .insert(notice, LedgerEntry::Held { since, releases });
        }
        Ok(())
    }

    async fn retry_held(
        &self,
        notice: NoticeRef,
        since: DateTime<Utc>,
        owner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, Unavailable> {
        let mut tables = self.enter(StoreCall::Acquire)?;
        match tables.ledger.get(&notice) {
            Some(LedgerEntry::Held {
                since: held,
                releases,
            }) if *held == since => {
                let releases = releases + 1;
                tables.ledger.insert(
                    notice,
                    LedgerEntry::Leased {
                        owner: owner.to_owned(),
                        until: lease_until,
                        releases,
                    },
                );
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn sent_message(&self, notice: NoticeRef) -> Result<Option<String>, Unavailable> {
        let tables = self.enter(StoreCall::Claim)?;
        Ok(match tables.ledger.get(&notice) {
            Some(LedgerEntry::Sent { message_id, .. }) => Some(message_id.clone()),
            _ => None,
        })
    }

    async fn record_rejected(
        &self,
        notice: NoticeRef,
        owner: &str,
        reason: &str,
    ) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::RecordRejected)?;
        if matches!(
            tables.ledger.get(&notice),
            Some(LedgerEntry::Leased { owner: holder, .. }) if holder == owner
        ) {
            tables.ledger.insert(
                notice,
                LedgerEntry::Rejected {
                    reason: reason.to_owned(),
                },
            );
        }
        Ok(())
    }

    async fn record_sent(
        &self,
        notice: NoticeRef,
        sent_at: DateTime<Utc>,
        message_id: &str,
        transition: Option<&Transition>,
    ) -> Result<(), ApplyError> {
        let mut tables = self.enter(StoreCall::RecordSent)?;
        if let Some(t) = transition {
            tables.contend(StoreCall::RecordSent)?;
            tables.apply(t)?;
        }
        tables.ledger.insert(
            notice,
            LedgerEntry::Sent {
                at: sent_at,
                message_id: message_id.to_owned(),
            },
        );
        Ok(())
    }
}

/// The lease rules of both ledgers, on one ledger's entries.
mod lease {
    use super::LedgerEntry;
    use crate::ports::NotificationLease;
    use chrono::{DateTime, Utc};
    use std::collections::HashMap;
    use std::hash::Hash;

    fn owned_by<K: Hash + Eq>(ledger: &HashMap<K, LedgerEntry>, key: &K, owner: &str) -> bool {
        matches!(ledger.get(key), Some(LedgerEntry::Leased { owner: holder, .. }) if holder == owner)
    }

    pub(super) fn acquire<K: Hash + Eq + Copy>(
        ledger: &mut HashMap<K, LedgerEntry>,
        key: K,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> NotificationLease {
        let lease = match ledger.get(&key) {
            None => None,
            Some(LedgerEntry::Leased { owner: holder, .. }) if holder == owner => {
                Some(NotificationLease::Acquired)
            }
            // A worker that did not finish: whether it sent is unknown from its lease's end.
            Some(LedgerEntry::Leased {
                until, releases, ..
            }) if *until < now => {
                let (since, releases) = (*until, *releases);
                ledger.insert(key, LedgerEntry::Held { since, releases });
                Some(NotificationLease::Held { since, releases })
            }
            Some(LedgerEntry::Leased { .. }) => Some(NotificationLease::HeldElsewhere),
            Some(LedgerEntry::Sent { at, .. }) => {
                Some(NotificationLease::AlreadySent { sent_at: *at })
            }
            Some(LedgerEntry::Held { since, releases }) => Some(NotificationLease::Held {
                since: *since,
                releases: *releases,
            }),
            Some(LedgerEntry::Rejected { .. }) => Some(NotificationLease::Rejected),
        };
        lease.unwrap_or_else(|| {
            ledger.insert(
                key,
                LedgerEntry::Leased {
                    owner: owner.to_owned(),
                    until: lease_until,
                    releases: 0,
                },
            );
            NotificationLease::Acquired
        })
    }

    pub(super) fn release<K: Hash + Eq>(ledger: &mut HashMap<K, LedgerEntry>, key: K, owner: &str) {
        if owned_by(ledger, &key, owner) {
            ledger.remove(&key);
        }
    }

    /// Replaces `owner`'s lease with `entry` (a hold, a refusal).
    pub(super) fn settle<K: Hash + Eq>(
        ledger: &mut HashMap<K, LedgerEntry>,
        key: K,
        owner: &str,
        entry: LedgerEntry,
    ) {
        if owned_by(ledger, &key, owner) {
            ledger.insert(key, entry);
        }
    }
}

#[async_trait]
impl EventMailLedger for MemoryStore {
    async fn acquire_event_mail(
        &self,
        mail: EventMailRef,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<NotificationLease, Unavailable> {
        let mut tables = self.enter(StoreCall::Acquire)?;
        // An event's e-mail held is held for an operator.
        Ok(
            match lease::acquire(&mut tables.event_mail, mail, owner, now, lease_until) {
                NotificationLease::Held { .. } => NotificationLease::OutcomeUnknown,
                other => other,
            },
        )
    }

    async fn release_event_mail(&self, mail: EventMailRef, owner: &str) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::Release)?;
        lease::release(&mut tables.event_mail, mail, owner);
        Ok(())
    }

    async fn hold_event_mail(&self, mail: EventMailRef, owner: &str) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::Hold)?;
        let held = LedgerEntry::Held {
            since: DateTime::<Utc>::MIN_UTC,
            releases: 0,
        };
        lease::settle(&mut tables.event_mail, mail, owner, held);
        Ok(())
    }

    async fn reject_event_mail(
        &self,
        mail: EventMailRef,
        owner: &str,
        reason: &str,
    ) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::RecordRejected)?;
        let entry = LedgerEntry::Rejected {
            reason: reason.to_owned(),
        };
        lease::settle(&mut tables.event_mail, mail, owner, entry);
        Ok(())
    }

    async fn record_event_mail_sent(
        &self,
        mail: EventMailRef,
        sent_at: DateTime<Utc>,
        message_id: &str,
    ) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::RecordSent)?;
        tables.event_mail.insert(
            mail,
            LedgerEntry::Sent {
                at: sent_at,
                message_id: message_id.to_owned(),
            },
        );
        Ok(())
    }
}

#[async_trait]
impl MailFeedbackLedger for MemoryStore {
    async fn notice_of(&self, message_id: &str) -> Result<Option<NoticeRef>, Unavailable> {
        let tables = self.enter(StoreCall::Claim)?;
        if let Some(notice) = tables.messages.get(message_id) {
            return Ok(Some(*notice));
        }
        Ok(tables
            .ledger
            .iter()
            .find_map(|(notice, entry)| match entry {
                LedgerEntry::Sent { message_id: id, .. } if id == message_id => Some(*notice),
                LedgerEntry::Sent { .. }
                | LedgerEntry::Leased { .. }
                | LedgerEntry::Held { .. }
                | LedgerEntry::Rejected { .. } => None,
            }))
    }

    async fn record_message(&self, message_id: &str, notice: NoticeRef) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::RecordSent)?;
        tables.messages.insert(message_id.to_owned(), notice);
        Ok(())
    }

    async fn keep_unmatched(
        &self,
        report: &crate::usecase::feedback::FeedbackReport,
        at: DateTime<Utc>,
    ) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::Apply)?;
        if !tables
            .unmatched
            .iter()
            .any(|(kept, _)| kept.feedback_id == report.feedback_id)
        {
            tables.unmatched.push((report.clone(), at));
        }
        Ok(())
    }

    async fn unmatched(
        &self,
        message_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<crate::usecase::feedback::FeedbackReport>, Unavailable> {
        let tables = self.enter(StoreCall::Claim)?;
        Ok(tables
            .unmatched
            .iter()
            .filter(|(report, at)| report.message_id == message_id && *at > since)
            .map(|(report, _)| report.clone())
            .collect())
    }

    async fn record_feedback(
        &self,
        transition: &Transition,
        feedback_id: &str,
    ) -> Result<(), FeedbackRecordError> {
        let mut tables = self.enter(StoreCall::Apply)?;
        if tables.feedback.contains(feedback_id) {
            return Err(FeedbackRecordError::AlreadyRecorded);
        }
        match tables.apply(transition) {
            Ok(()) => {
                tables.feedback.insert(feedback_id.to_owned());
                Ok(())
            }
            Err(ApplyError::Conflict | ApplyError::UnitHeld) => Err(FeedbackRecordError::Conflict),
            Err(ApplyError::Unavailable(e)) => Err(e.into()),
        }
    }
}

impl DueIndex for MemoryStore {
    fn due_pages(&self, now: DateTime<Utc>) -> DuePages<'_> {
        // Read a page at a time as the stream is polled, after the last claim yielded, as a
        // query continues from its last evaluated key.
        let start: Option<Option<(DateTime<Utc>, ClaimId)>> = Some(None);
        futures::stream::unfold(start, move |cursor| async move {
            let cursor = cursor?;
            let page = self
                .enter(StoreCall::DuePage)
                .map(|tables| tables.due_after(now, cursor, self.due_page_size));
            match page {
                Err(e) => Some((Err(e), None)),
                Ok(page) => {
                    let next = (page.len() == self.due_page_size)
                        .then(|| page.last().map(|(deadline, claim)| (*deadline, claim.id)))
                        .flatten()
                        .map(Some);
                    Some((Ok(page.into_iter().map(|(_, claim)| claim).collect()), next))
                }
            }
        })
        .boxed()
    }
}

/// How many more times a call of a single-call port fails.
#[derive(Debug, Default)]
struct Countdown(AtomicU32);

impl Countdown {
    fn set(&self, times: u32) {
        self.0.store(times, Ordering::SeqCst);
    }

    /// True, and one fewer left, while failures are left.
    fn take(&self) -> bool {
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }
}

/// A notification queue that remembers what was queued.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    queued: Mutex<Vec<ClaimId>>,
    delayed: Mutex<Vec<(ClaimId, TimeDelta)>>,
    failures: Countdown,
}

impl MemoryQueue {
    /// The claims queued for a re-check so far, with their delays, oldest first.
    pub fn delayed(&self) -> Vec<(ClaimId, TimeDelta)> {
        self.delayed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The claims queued so far, oldest first.
    pub fn queued(&self) -> Vec<ClaimId> {
        self.queued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Makes the next `times` sends to the queue fail with `Unavailable`.
    pub fn fail(&self, times: u32) {
        self.failures.set(times);
    }
}

#[async_trait]
impl NotificationQueue for MemoryQueue {
    async fn enqueue(&self, claim_id: ClaimId) -> Result<(), Unavailable> {
        if self.failures.take() {
            return Err(Unavailable("the queue was made to fail".into()));
        }
        self.queued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(claim_id);
        Ok(())
    }
    async fn enqueue_after(&self, claim_id: ClaimId, delay: TimeDelta) -> Result<(), Unavailable> {
        if self.failures.take() {
            return Err(Unavailable("the queue was made to fail".into()));
        }
        self.delayed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((claim_id, delay));
        Ok(())
    }
}

/// A mailer that keeps what it sent, and answers message ids `memory-1`, `memory-2`, ...
#[derive(Debug, Default)]
pub struct MemoryMailer {
    sent: Mutex<Vec<CustomerEmail>>,
    /// The answers of the next sends, in order, before they go back to sending.
    answers: Mutex<VecDeque<Answer>>,
}

/// How the in-memory mail service answers one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Refuses it before sending (throttled, paused).
    NotSent,
    /// Refuses the address for good.
    Rejected,
    /// Sends it, and the answer is lost: the caller cannot know it went out.
    SentAnswerLost,
    /// Sends nothing, and the caller cannot know (a time-out before the service acted).
    NothingAnswerLost,
}

impl MemoryMailer {
    /// The e-mails sent so far, oldest first.
    pub fn sent(&self) -> Vec<CustomerEmail> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Makes the next `times` sends fail before sending anything (`SendError::NotSent`).
    pub fn fail(&self, times: u32) {
        self.answer((0..times).map(|_| Answer::NotSent));
    }

    /// The answers of the next sends.
    pub fn answer(&self, answers: impl IntoIterator<Item = Answer>) {
        self.answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(answers);
    }
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, email: &CustomerEmail) -> Result<String, SendError> {
        let answer = self
            .answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front();
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        match answer {
            None => {
                sent.push(email.clone());
                Ok(format!("memory-{}", sent.len()))
            }
            Some(Answer::NotSent) => Err(SendError::NotSent(Unavailable(
                "the mailer was made to fail".into(),
            ))),
            Some(Answer::Rejected) => Err(SendError::Rejected(format!(
                "Address blacklisted: {}",
                email.to.as_str()
            ))),
            Some(Answer::SentAnswerLost) => {
                sent.push(email.clone());
                Err(SendError::OutcomeUnknown("the answer was lost".into()))
            }
            Some(Answer::NothingAnswerLost) => Err(SendError::OutcomeUnknown("timed out".into())),
        }
    }
}
