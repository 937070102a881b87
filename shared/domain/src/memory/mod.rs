//! In-memory implementations of the ports, for benchmarks that measure the domain's own work
//! and for the use cases' unit tests, which prove each rule in milliseconds without a network
//! (feature `memory`; always built for the crate's own tests).
//!
//! They keep the rules the real store keeps, because the use cases' behaviour depends on them:
//! one holder per partner-of-record lock, one use of an idempotency key per partner, changes
//! conditional on the stored version and status, one send lease at a time. A test can make a
//! call fail ([`MemoryStore::fail`], [`MemoryQueue::fail`], [`MemoryMailer::fail`]) and make a
//! conditional write lose a race ([`MemoryStore::conflict`], [`MemoryStore::race`]).

use crate::claim::{Claim, ClaimStatus, HistoryEntry, PartnerOfRecordLock, Period, Transition};
use crate::email::CustomerEmail;
use crate::idempotency::{IDEMPOTENCY_WINDOW, IdempotencyKey, IdempotencyRecord};
use crate::ids::{ClaimId, PartnerId, TenantId};
use crate::listing::{ClaimPage, ListQuery, READ_BUDGET, ReviewQuery};
use crate::ports::{
    ApplyError, ClaimRepository, CreateError, DueIndex, DuePages, FeedbackRecordError, LockHolder,
    MailFeedbackLedger, Mailer, NoticeRef, NotificationQueue, PartnersOfRecord, ReviewPage,
    ReviewQueue, SendEntry, SendError, SendLease, SendLedger, SendRef, SubmissionContext,
    SubmissionStore, SubscriptionEnds, TenantDirectory, Unavailable,
};
use crate::reference::{EndedSubscription, PartnerRecord, ReferenceData, TenantRecord};
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
    /// The read of one send's entry in the ledger.
    SendEntry,
    ReviewPage,
    /// The read of one page of the due index.
    DuePage,
    /// The one query of a unit's periods.
    PartnerOfRecord,
    /// The read of the subscriptions' ends due.
    EndsDue,
    /// The read of a unit's lock.
    LockHolder,
    /// The removal of an applied subscription end.
    EndApplied,
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

/// The key of the record of `claim`'s partner contesting its unit.
fn contest_of(claim: &Claim) -> (String, PartnerId) {
    (
        claim.subject.lock().as_str().to_owned(),
        claim.partner_id.clone(),
    )
}

#[derive(Debug, Default)]
struct Tables {
    partners: HashMap<PartnerId, PartnerRecord>,
    tenants: HashMap<TenantId, TenantRecord>,
    /// Ordered by id, which is by creation time: listings and the due index read in order.
    claims: BTreeMap<ClaimId, (Claim, Vec<HistoryEntry>)>,
    locks: HashMap<String, LockHolder>,
    /// The associations' periods by unit (the lock's key), then `effective_from` and claim:
    /// in the order the store's query reads them.
    periods: BTreeMap<(String, DateTime<Utc>, ClaimId), Period>,
    /// The ends of subscriptions the directory recorded and the nightly run has not applied.
    ends: BTreeMap<(DateTime<Utc>, String), EndedSubscription>,
    /// The contested claim of each partner contesting a unit, by lock and partner.
    contests: HashMap<(String, PartnerId), ClaimId>,
    idempotency: HashMap<(PartnerId, String), IdempotencyRecord>,
    /// The ledger of sends: customers' notifications and the e-mails that follow events.
    ledger: HashMap<SendRef, SendEntry>,
    /// The mail service's reports recorded, by their ids.
    feedback: std::collections::HashSet<String>,
    /// Message ids recorded besides the ledger's sends (an operator's, then SES's word).
    messages: HashMap<String, NoticeRef>,
    /// Reports on messages not recorded when they arrived, with when they arrived.
    unmatched: Vec<(crate::usecase::feedback::FeedbackReport, DateTime<Utc>)>,
    faults: Faults,
    /// Every call made, in order, as a test reads them ([`MemoryStore::calls`]).
    calls: Vec<StoreCall>,
}

impl Tables {
    /// True when `t` may apply to the claim as stored: the claim still has the expected version
    /// and status, and none of the transition's entries is recorded yet (DynamoDB's conditions
    /// on the claim's item and on each history entry's item).
    fn current(&self, t: &Transition) -> bool {
        self.claims
            .get(&t.claim.id)
            .is_some_and(|(stored, history)| {
                stored.version == t.expected_version
                    && stored.status() == t.expected_status
                    && !t
                        .entries
                        .iter()
                        .any(|e| history.iter().any(|s| s.sequence == e.sequence))
            })
    }

    /// Checks that the lock a change gives up or hands over is held by `owner`. A claim holds
    /// its lock while its status does, so another holder (or none) is data that disagrees with
    /// itself: DynamoDB cancels the whole transaction, as a fault rather than a conflict.
    fn own_lock(&self, lock: &str, owner: ClaimId) -> Result<(), ApplyError> {
        match self.locks.get(lock) {
            Some(holder) if holder.claim_id == owner => Ok(()),
            Some(_) | None => {
                Err(Unavailable(format!("the lock of claim {owner} is not its own")).into())
            }
        }
    }

    /// Checks, as [`Tables::own_lock`] does for a lock, that the contest a change ends is its
    /// claim's own.
    fn own_contest(&self, t: &Transition) -> Result<(), ApplyError> {
        match self.contests.get(&contest_of(&t.claim)) {
            Some(contest) if *contest == t.claim.id => Ok(()),
            Some(_) | None => Err(Unavailable(format!(
                "the contest of claim {} is not its own",
                t.claim.id
            ))
            .into()),
        }
    }

    /// Writes a transition if the stored claim still has the expected version and status: the
    /// claim, its history entries, and the release or the taking of its lock, all or nothing.
    fn apply(&mut self, t: &Transition) -> Result<(), ApplyError> {
        // A claim changed meanwhile is a conflict first, whatever else would fail, as on
        // DynamoDB. A transition equal to what is stored is a conflict too: DynamoDB's store
        // tells its own lost answer (the SDK's retry of one call) from another writer's equal
        // change by the transaction's mark, and a second call is another writer.
        if !self.current(t) {
            return Err(ApplyError::Conflict);
        }
        let id = t.claim.id;
        let lock = t.claim.subject.lock().as_str().to_owned();
        if t.takes_lock() && self.locks.contains_key(&lock) {
            return Err(ApplyError::UnitHeld);
        }
        if t.releases_lock() {
            self.own_lock(&lock, id)?;
        }
        if t.ends_contest() {
            self.own_contest(t)?;
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
            self.locks.remove(&lock);
        }
        if t.ends_contest() {
            self.contests.remove(&contest_of(&t.claim));
        }
        self.write(t);
        Ok(())
    }

    /// Writes an arbitration if both stored claims still have their expected versions and
    /// statuses: both claims and their entries, the lock handed to the winner, all or nothing.
    fn apply_arbitration(
        &mut self,
        award: &Transition,
        loss: &Transition,
    ) -> Result<(), ApplyError> {
        // As for one claim: an arbitration already stored is another writer's.
        if !self.current(award) || !self.current(loss) {
            return Err(ApplyError::Conflict);
        }
        let lock = award.claim.subject.lock().as_str().to_owned();
        self.own_lock(&lock, loss.claim.id)?;
        if award.ends_contest() {
            self.own_contest(award)?;
            self.contests.remove(&contest_of(&award.claim));
        }
        self.locks.insert(
            lock,
            LockHolder {
                claim_id: award.claim.id,
                partner_id: award.claim.partner_id.clone(),
            },
        );
        self.write(award);
        self.write(loss);
        Ok(())
    }

    /// The claim of `t` as it becomes, after its history, once every condition held.
    fn write(&mut self, t: &Transition) {
        if let Some((stored, history)) = self.claims.get_mut(&t.claim.id) {
            *stored = t.claim.clone();
            history.extend(t.entries.iter().cloned());
        }
        // The change that starts or ends an association writes its period with it.
        if t.entries.iter().any(|e| e.association.is_some())
            && let Some(period) = Period::of(&t.claim)
        {
            let key = (
                t.claim.subject.lock().as_str().to_owned(),
                period.association.effective_from,
                period.claim_id,
            );
            self.periods.insert(key, period);
        }
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
        store.load(data);
        store
    }

    /// Loads reference data, as an import does: the records replaced, and the end of each
    /// subscription said to have ended recorded for the nightly run.
    pub fn load(&self, data: &ReferenceData) {
        let mut tables = self.tables();
        for partner in &data.partners {
            tables
                .partners
                .insert(partner.partner_id.clone(), partner.clone());
        }
        for tenant in &data.tenants {
            tables.tenants.insert(tenant.tenant_id, tenant.clone());
            for end in tenant.ended_subscriptions() {
                tables.ends.insert(
                    (
                        end.ended_at,
                        format!("{}#{}", end.tenant_id, end.subscription_id),
                    ),
                    end,
                );
            }
        }
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
    pub fn ledger_entry(&self, id: ClaimId) -> Option<SendEntry> {
        self.send_entry(NoticeRef {
            claim_id: id,
            number: 1,
        })
    }

    /// What the ledger holds of one send, read as a test reads it (no call recorded).
    pub fn send_entry(&self, key: impl Into<SendRef>) -> Option<SendEntry> {
        self.tables().ledger.get(&key.into()).cloned()
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

mod claims;
mod ledger;
mod mailer;
mod queue;

pub use mailer::{Answer, MemoryMailer};
pub use queue::MemoryQueue;
