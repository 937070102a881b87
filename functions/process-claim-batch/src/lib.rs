//! process-claim-batch: consumes the claim batches' queue, a chunk of a batch's rows per message
//! (shared/aws/src/claim_batch.rs). Each row is submitted exactly as `POST /v1/claims` would
//! submit it for the batch's partner (the same checks, codes, review policy and contests),
//! under its own idempotency key derived from the batch's; then the chunk's results are written
//! with the batch's counts in one transaction. A chunk delivered again submits its rows again,
//! which replays their claims (creating nothing), and writes nothing: its results are there.
//!
//! The rows of one tenant go one after the other, in row order, so that two rows on one unit
//! (a tenant's workload or subscription) are decided as two submissions one after the other
//! would be; the rows of different tenants, which can never meet, go [`ROW_CONCURRENCY`] at a
//! time. A failure of a dependency fails the message, which the queue retries (and, after five
//! receives, moves to the dead-letter queue).

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use cpor_aws::claim_batch::{ChunkMessage, ChunkRow};
use cpor_aws::dynamo::Recorded;
use cpor_aws::dynamo::SubmissionContexts;
use cpor_aws::{ConfigError, Door, DynamoStore, Wiring};
use cpor_domain::ReviewPolicy;
use cpor_domain::batch::{RowOutcome, RowResult, row_key};
use cpor_domain::caller::{Caller, Role};
use cpor_domain::claim::{Claim, HistoryEntry, Transition};
use cpor_domain::clock::Clock;
use cpor_domain::idempotency::IdempotencyKey;
use cpor_domain::idempotency::IdempotencyRecord;
use cpor_domain::ids::{ClaimId, PartnerId, TenantId};
use cpor_domain::ports::{CreateError, SubmissionContext, SubmissionStore, Unavailable};
use cpor_domain::usecase::submit::{SubmitClaim, SubmitError};
use cpor_http::Problem;
use futures::{StreamExt, TryStreamExt};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::Mutex;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "process-claim-batch";

/// How many tenants' rows a chunk submits at once.
pub const ROW_CONCURRENCY: usize = 4;

/// The function: its clients, built once per execution environment.
pub struct ProcessClaimBatchFunction {
    store: DynamoStore,
    clock: Arc<dyn Clock>,
    policy: ReviewPolicy,
}

/// Why a chunk was not processed.
#[derive(Debug, thiserror::Error)]
pub enum ChunkError {
    /// Not a chunk: retrying cannot help; it ends in the dead-letter queue.
    #[error("the message is not a chunk of a claim batch: {0}")]
    Poison(String),
    /// A dependency failed: the queue delivers the chunk again.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl ProcessClaimBatchFunction {
    pub fn new(store: DynamoStore, clock: Arc<dyn Clock>, policy: ReviewPolicy) -> Self {
        Self {
            store,
            clock,
            policy,
        }
    }

    /// Processes a batch of messages; the answer names the chunks to retry.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let (_, response) = cpor_aws::batch::process(&event, |message| async move {
            let result = self.process(message).await;
            match &result {
                Ok(recorded) => tracing::info!(?recorded, "chunk of a claim batch processed"),
                Err(error) => {
                    tracing::warn!(%error, "chunk not processed; the queue will retry it")
                }
            }
            result
        })
        .await;
        response
    }

    /// Processes one chunk: each row submitted, then the chunk's results written.
    pub async fn process(&self, message: &SqsMessage) -> Result<Recorded, ChunkError> {
        let body = message.body.as_deref().unwrap_or_default();
        let chunk: ChunkMessage =
            serde_json::from_str(body).map_err(|e| ChunkError::Poison(e.to_string()))?;
        let key = IdempotencyKey::parse(&chunk.key)
            .ok_or_else(|| ChunkError::Poison("the batch's key is not a key".into()))?;
        // The batch was opened by an incentives admin of its partner: each row is theirs.
        let caller = Caller {
            partner_id: chunk.partner_id.clone(),
            role: Some(Role::IncentivesAdmin),
        };
        let prefetched = self.prefetch(&chunk, &key).await?;
        let usecase = SubmitClaim {
            store: &prefetched,
            clock: self.clock.as_ref(),
            policy: self.policy,
        };
        let usecase = &usecase;
        let caller = &caller;
        let key = &key;
        let lanes = futures::stream::iter(by_tenant(chunk.rows))
            .map(|lane| async move {
                let mut results = Vec::with_capacity(lane.len());
                for row in lane {
                    results.push(RowResult {
                        row: row.row,
                        outcome: Self::submit_row(usecase, caller, key, row).await?,
                    });
                }
                Ok::<_, ChunkError>(results)
            })
            .buffer_unordered(ROW_CONCURRENCY)
            .try_collect::<Vec<_>>()
            .await?;
        let mut results: Vec<RowResult> = lanes.into_iter().flatten().collect();
        results.sort_by_key(|r| r.row);
        Ok(self
            .store
            .record_results(chunk.batch_id, chunk.opened_at, &results)
            .await?)
    }
}

impl ProcessClaimBatchFunction {
    /// One row's outcome: its refusal as the chunk carried it, or its submission's.
    async fn submit_row(
        usecase: &SubmitClaim<'_>,
        caller: &Caller,
        batch_key: &IdempotencyKey,
        row: ChunkRow,
    ) -> Result<RowOutcome, ChunkError> {
        match (row.problem, row.body) {
            (Some(problem), _) => Ok(RowOutcome::Refused { problem }),
            (None, Some(body)) => {
                let key = row_key(batch_key, row.row);
                match Box::pin(usecase.submit(caller, &body, Some(&key))).await {
                    Ok(submitted) => Ok(RowOutcome::Accepted {
                        claim_id: submitted.claim.id,
                        status: submitted.claim.status(),
                    }),
                    Err(SubmitError::Unavailable(e)) => Err(e.into()),
                    Err(refused) => Ok(RowOutcome::Refused {
                        problem: Problem::from(refused).into_body(),
                    }),
                }
            }
            (None, None) => Err(ChunkError::Poison(format!("row {} is empty", row.row))),
        }
    }

    /// What the chunk's rows are checked against, read at once: its partner, the tenants its
    /// rows name and their idempotency records (one `BatchGetItem` for up to 25 rows, where
    /// each row would read its own).
    async fn prefetch(
        &self,
        chunk: &ChunkMessage,
        key: &IdempotencyKey,
    ) -> Result<ChunkContext<'_>, Unavailable> {
        let rows: Vec<_> = chunk
            .rows
            .iter()
            .filter_map(|r| r.body.as_ref().map(|b| (r.row, b)))
            .collect();
        let tenants: Vec<TenantId> = rows
            .iter()
            .filter_map(|(_, body)| body.get("tenant_id")?.as_str())
            .filter_map(|t| TenantId::parse(t).ok())
            .collect();
        let keys: Vec<IdempotencyKey> = rows.iter().map(|(row, _)| row_key(key, *row)).collect();
        let contexts = self
            .store
            .submission_contexts(&chunk.partner_id, &tenants, &keys)
            .await?;
        Ok(ChunkContext {
            store: &self.store,
            partner_id: chunk.partner_id.clone(),
            tenants,
            keys: keys.iter().map(|k| k.as_str().to_owned()).collect(),
            state: Mutex::new((contexts, std::collections::HashSet::new())),
        })
    }
}

/// The chunk's rows by tenant, each tenant's in row order (a row that names no tenant goes
/// alone: it is refused before it could touch a unit).
fn by_tenant(rows: Vec<ChunkRow>) -> Vec<Vec<ChunkRow>> {
    let mut lanes: Vec<Vec<ChunkRow>> = Vec::new();
    let mut lane_of: HashMap<TenantId, usize> = HashMap::new();
    for row in rows {
        let tenant = row
            .body
            .as_ref()
            .and_then(|b| b.get("tenant_id")?.as_str())
            .and_then(|t| TenantId::parse(t).ok());
        match tenant.and_then(|t| lane_of.get(&t).copied().map(|at| (t, at))) {
            Some((_, at)) => lanes[at].push(row),
            None => {
                if let Some(t) = tenant {
                    lane_of.insert(t, lanes.len());
                }
                lanes.push(vec![row]);
            }
        }
    }
    lanes
}

/// The store as a chunk's rows see it: each row's first read of its partner, tenant and
/// idempotency record is answered from what the chunk read at once; any other read (a row whose
/// write lost a race reads again) goes to the table.
struct ChunkContext<'a> {
    store: &'a DynamoStore,
    partner_id: PartnerId,
    /// The tenants read at once (found or not).
    tenants: Vec<TenantId>,
    /// The rows' keys whose records were read at once and not yet answered.
    keys: std::collections::HashSet<String>,
    /// What was read at once, and the keys already answered from it.
    state: Mutex<(SubmissionContexts, std::collections::HashSet<String>)>,
}

#[async_trait::async_trait]
impl SubmissionStore for ChunkContext<'_> {
    async fn submission_context(
        &self,
        partner_id: &PartnerId,
        tenant_id: &TenantId,
        key: Option<&IdempotencyKey>,
    ) -> Result<SubmissionContext, Unavailable> {
        let read_at_once = *partner_id == self.partner_id
            && self.tenants.contains(tenant_id)
            && key.is_some_and(|k| self.keys.contains(k.as_str()));
        if let (true, Some(key)) = (read_at_once, key) {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let (contexts, answered) = &mut *state;
            // Answered once: a row that reads again (after losing a race) reads the table.
            if answered.insert(key.as_str().to_owned()) {
                return Ok(SubmissionContext {
                    partner: contexts.partner.clone(),
                    tenant: contexts.tenants.get(tenant_id).cloned(),
                    prior: contexts.priors.remove(key.as_str()),
                });
            }
        }
        self.store
            .submission_context(partner_id, tenant_id, key)
            .await
    }

    async fn create_claim(
        &self,
        claim: &Claim,
        entries: &[HistoryEntry],
        idempotency: Option<&IdempotencyRecord>,
        told: Option<&Transition>,
    ) -> Result<(), CreateError> {
        self.store
            .create_claim(claim, entries, idempotency, told)
            .await
    }

    async fn held_claim(&self, id: ClaimId) -> Result<Option<Claim>, Unavailable> {
        self.store.held_claim(id).await
    }
}

impl Door for ProcessClaimBatchFunction {
    const NAME: &'static str = FUNCTION;
    type Event = SqsEvent;
    type Output = SqsBatchResponse;
    // Failed messages are reported one by one in the answer, never by failing the batch.
    type Error = Infallible;

    /// On the table (`CPOR_TABLE_NAME`), under the review policy (`CPOR_REVIEW_POLICY`).
    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        Ok(Self::new(
            wiring.store()?,
            wiring.clock(),
            wiring.review_policy()?,
        ))
    }

    async fn invoke(&self, event: Self::Event) -> Result<Self::Output, Infallible> {
        Ok(self.handle(event).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(row: usize, tenant: Option<&str>) -> ChunkRow {
        ChunkRow {
            row,
            body: Some(tenant.map_or(json!({}), |t| json!({ "tenant_id": t }))),
            problem: None,
        }
    }

    #[test]
    fn a_tenant_s_rows_share_one_lane_in_row_order_and_a_row_naming_none_goes_alone() {
        // GIVEN rows of two tenants (one written in upper case once), interleaved, and two
        // rows that name no tenant
        const A: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
        const B: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
        let rows = vec![
            row(1, Some(A)),
            row(2, Some(B)),
            row(3, None),
            row(4, Some(&A.to_uppercase())),
            row(5, None),
            row(6, Some(B)),
        ];
        // WHEN they are laid in lanes
        let lanes: Vec<Vec<usize>> = by_tenant(rows)
            .into_iter()
            .map(|lane| lane.into_iter().map(|r| r.row).collect())
            .collect();
        // THEN each tenant's rows are one lane, in row order, and each row without one alone
        assert_eq!(lanes, vec![vec![1, 4], vec![2, 6], vec![3], vec![5]]);
    }
}
