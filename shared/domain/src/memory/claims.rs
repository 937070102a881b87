//! The claims' ports: submission, the claim repository, the tenant directory, the review
//! queue and the due index.

use super::*;
use crate::listing::ReviewPosition;

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
        // In DynamoDB's order of answers: a claim already stored is this very write; then a key
        // in use, a holder changed, a held lock, the partner's contest.
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
        if told.is_some_and(|told| !tables.current(told)) {
            return Err(CreateError::HolderChanged);
        }
        let lock = claim.subject.lock().as_str().to_owned();
        let contest = contest_of(claim);
        let contested = tables.contests.get(&contest).copied();
        if claim.status() != ClaimStatus::Contested
            && let Some(holder) = tables.locks.get(&lock)
        {
            return Err(CreateError::LockHeld(holder.clone()));
        }
        if let Some(contested) = contested {
            return Err(CreateError::AlreadyContesting(contested));
        }
        // Every condition held: the holder told first, so that nothing is written if it fails.
        if let Some(told) = told {
            tables.apply(told).map_err(|_| CreateError::HolderChanged)?;
        }
        if claim.status().contests_its_unit() {
            tables.contests.insert(contest, claim.id);
        } else {
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
        let read = newest_first
            .map(|(claim, _)| claim)
            .filter(|claim| claim.partner_id == *partner_id)
            .map(|claim| (claim.id, claim));
        let (items, next_after) = budgeted_page(read, query.limit, |c| query.filter.matches(c));
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
impl PartnersOfRecord for MemoryStore {
    async fn partner_of_record(
        &self,
        unit: &PartnerOfRecordLock,
        at: DateTime<Utc>,
    ) -> Result<Option<Period>, Unavailable> {
        let tables = self.enter(StoreCall::PartnerOfRecord)?;
        let unit = unit.as_str().to_owned();
        // The unit's periods that began at or before `at`, newest first: the store's query.
        let newest_first = tables
            .periods
            .iter()
            .filter(|((u, from, _), _)| *u == unit && *from <= at)
            .map(|(_, period)| period.clone())
            .collect::<Vec<_>>()
            .into_iter()
            .rev();
        Ok(crate::claim::covering(newest_first, at))
    }
}

#[async_trait]
impl SubscriptionEnds for MemoryStore {
    async fn ends_due(&self, now: DateTime<Utc>) -> Result<Vec<EndedSubscription>, Unavailable> {
        let tables = self.enter(StoreCall::EndsDue)?;
        Ok(tables
            .ends
            .values()
            .filter(|e| e.ended_at <= now)
            .cloned()
            .collect())
    }

    async fn holder(&self, unit: &PartnerOfRecordLock) -> Result<Option<ClaimId>, Unavailable> {
        let tables = self.enter(StoreCall::LockHolder)?;
        Ok(tables.locks.get(unit.as_str()).map(|h| h.claim_id))
    }

    async fn applied(&self, end: &EndedSubscription) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::EndApplied)?;
        tables.ends.remove(&(
            end.ended_at,
            format!("{}#{}", end.tenant_id, end.subscription_id),
        ));
        Ok(())
    }
}

#[async_trait]
impl ReviewQueue for MemoryStore {
    async fn review_page(&self, query: &ReviewQuery) -> Result<ReviewPage, Unavailable> {
        let tables = self.enter(StoreCall::ReviewPage)?;
        // The index's partition that the query names (see `awaiting_partner`), oldest entry
        // first, from the query's position.
        let partition = awaiting_partner(
            query
                .statuses
                .first()
                .copied()
                .unwrap_or(ClaimStatus::Submitted),
        );
        let mut queue: Vec<(ReviewPosition, &Claim)> = tables
            .claims
            .values()
            .filter_map(|(claim, _)| {
                let since = claim.state.in_review_since()?;
                (awaiting_partner(claim.status()) == partition)
                    .then_some(((since, claim.id), claim))
            })
            .filter(|(position, _)| query.after.is_none_or(|after| *position > after))
            .collect();
        queue.sort_by_key(|(position, _)| *position);
        let (items, next) = budgeted_page(queue.into_iter(), query.limit, |c| {
            query.statuses.contains(&c.status())
                && query.program.is_none_or(|p| c.subject.program == p)
        });
        Ok(ReviewPage { items, next })
    }
}

/// The review index's partitions, as DynamoDB's store keeps them: the claims waiting for their
/// partners (information requested) apart from those waiting for a decision. A query reads
/// the partition of its first status.
fn awaiting_partner(status: ClaimStatus) -> bool {
    status == ClaimStatus::InformationRequested
}

/// Up to `limit` of the claims `read` yields, each with its position (an index's partition in
/// its order, from the request's position), that `listed` accepts, reading at most
/// [`READ_BUDGET`] of them, as DynamoDB's store pages a listing: the next page starts after the
/// page's last claim, or, when the budget ran out before the page filled, after the last claim
/// read.
fn budgeted_page<'a, P: Copy>(
    read: impl Iterator<Item = (P, &'a Claim)>,
    limit: usize,
    listed: impl Fn(&Claim) -> bool,
) -> (Vec<Claim>, Option<P>) {
    // One more than the page, to know whether another page follows.
    let mut read = read.peekable();
    let mut items: Vec<(P, Claim)> = Vec::new();
    let (mut count, mut last_read) = (0, None);
    while items.len() <= limit && count < READ_BUDGET {
        let Some((position, claim)) = read.next() else {
            break;
        };
        count += 1;
        last_read = Some(position);
        if listed(claim) {
            items.push((position, claim.clone()));
        }
    }
    let budget_spent = items.len() <= limit && read.peek().is_some();
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|(position, _)| *position)
    } else if budget_spent {
        last_read
    } else {
        None
    };
    (items.into_iter().map(|(_, claim)| claim).collect(), next)
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
