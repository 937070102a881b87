//! The claims' ports: submission, the claim repository, the tenant directory, the review
//! queue and the due index.

use super::*;

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
