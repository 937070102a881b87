//! submit-claim: `POST /v1/claims` behind API Gateway's HTTP API.
//!
//! Under the `manual` review policy (`CPOR_REVIEW_POLICY`, the default) a claim waits for a
//! reviewer in `submitted`; under `automatic` it is approved in the same write, whose history
//! entry queues the customer's notification through the history's outbox.

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::http::HeaderValue;
use cpor_aws::budget::{Admission, PartnerBudget};
use cpor_aws::metrics::name;
use cpor_aws::{ConfigError, Door, DynamoStore, Metrics, Wiring};
use cpor_domain::ReviewPolicy;
use cpor_domain::clock::Clock;
use cpor_domain::idempotency::IdempotencyKey;
use cpor_domain::ports::SubmissionStore;
use cpor_domain::usecase::submit::{SubmitClaim, Submitted};
use cpor_domain::validation::{FieldCode, Invalid, ValidationErrors};
use cpor_http::{ClaimResource, Problem, caller, header, json, json_body, routes};
use std::convert::Infallible;
use std::sync::Arc;

pub mod batches;
use batches::BatchDesk;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "submit-claim";

/// The function: its clients, built once per execution environment.
pub struct SubmitClaimFunction {
    store: Arc<dyn SubmissionStore>,
    clock: Arc<dyn Clock>,
    policy: ReviewPolicy,
    /// Each partner's share of the API; none where the function runs on in-memory ports.
    budget: Option<PartnerBudget>,
    /// The claim batches' routes; none where the function runs on in-memory ports.
    batches: Option<BatchDesk>,
}

impl SubmitClaimFunction {
    /// The function on these adapters.
    pub fn new(store: DynamoStore, clock: Arc<dyn Clock>, policy: ReviewPolicy) -> Self {
        Self::on_ports(Arc::new(store), clock, policy)
    }

    /// The function on any implementation of its ports (in-memory ones measure the handler's
    /// own work).
    pub fn on_ports(
        store: Arc<dyn SubmissionStore>,
        clock: Arc<dyn Clock>,
        policy: ReviewPolicy,
    ) -> Self {
        Self {
            store,
            clock,
            policy,
            budget: None,
            batches: None,
        }
    }

    /// The same, serving the claim batches' routes on the table `store` and the batches'
    /// queue `queue`.
    #[must_use]
    pub fn with_batches(
        mut self,
        store: DynamoStore,
        queue: cpor_aws::claim_batch::BatchQueue,
    ) -> Self {
        self.batches = Some(BatchDesk { store, queue });
        self
    }

    /// The same, each partner's requests counted against `budget`.
    #[must_use]
    pub fn with_budget(mut self, budget: PartnerBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Handles one request; every failure is an answer, never a failed invocation.
    pub async fn handle(&self, event: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let route = cpor_http::routes::of(&event).map(|route| route.key);
        if route == Some(routes::SUBMIT_CLAIM_BATCH.key) {
            // Boxed: the batch routes' futures would make the handler's too deep for the compiler.
            return Problem::answer(Box::pin(self.batch(&event, true)).await);
        }
        if route == Some(routes::GET_CLAIM_BATCH.key) {
            return Problem::answer(Box::pin(self.batch(&event, false)).await);
        }
        self.handle_submission(&event).await
    }

    /// A batch's route: `open` a new batch, or read one.
    async fn batch(
        &self,
        event: &ApiGatewayV2httpRequest,
        open: bool,
    ) -> Result<ApiGatewayV2httpResponse, Problem> {
        let caller = caller(event)?;
        self.admit(&caller).await?;
        let Some(batches) = &self.batches else {
            return Err(cpor_http::routes::not_found(
                "claim batches are not served here",
            ));
        };
        if !open {
            return batches.read(&caller, event).await;
        }
        if !caller.may_manage_claims() {
            return Err(Problem::forbidden(
                "only an incentives_admin may submit claims",
            ));
        }
        batches.open(&caller, event, self.clock.as_ref()).await
    }

    /// Counts the request against the partner's share of the API.
    async fn admit(&self, caller: &cpor_domain::Caller) -> Result<(), Problem> {
        match &self.budget {
            Some(budget)
                if budget.admit(&caller.partner_id, self.clock.now()).await
                    == Admission::Exhausted =>
            {
                Err(Problem::rate_limited())
            }
            Some(_) | None => Ok(()),
        }
    }

    /// `POST /v1/claims`.
    async fn handle_submission(&self, event: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        match self.submit(event).await {
            Ok(submitted) => {
                let claim = &submitted.claim;
                cpor_aws::logging::record_claim(claim.id);
                if submitted.replayed {
                    tracing::info!("idempotent replay: the first answer again, nothing created");
                } else {
                    tracing::info!(
                        partner_id = %claim.partner_id,
                        tenant_id = %claim.subject.tenant_id,
                        workload = %claim.subject.workload,
                        "claim submitted"
                    );
                    Metrics::new(FUNCTION)
                        .count(name::CLAIMS_SUBMITTED, 1)
                        .emit();
                }
                let mut response = json(201, &ClaimResource::from(&submitted.claim));
                let location = format!("/v1/claims/{}", submitted.claim.id);
                if let Ok(value) = HeaderValue::from_str(&location) {
                    response.headers.insert("location", value);
                }
                if submitted.replayed {
                    response
                        .headers
                        .insert("idempotent-replayed", HeaderValue::from_static("true"));
                }
                response
            }
            Err(problem) => {
                tracing::info!(
                    status = problem.status,
                    code = problem.code,
                    "claim refused"
                );
                Metrics::new(FUNCTION)
                    .dimension("code", problem.code)
                    .count(name::CLAIMS_REFUSED, 1)
                    .emit();
                problem.into_response()
            }
        }
    }

    async fn submit(&self, event: &ApiGatewayV2httpRequest) -> Result<Submitted, Problem> {
        let caller = caller(event)?;
        self.admit(&caller).await?;
        let key = match header(event, "idempotency-key") {
            None => None,
            Some(text) => Some(IdempotencyKey::parse(text).ok_or_else(|| {
                Problem::validation(&ValidationErrors::single(
                    "Idempotency-Key",
                    Invalid::new(
                        FieldCode::InvalidValue,
                        "must be 1 to 128 visible ASCII characters",
                    ),
                ))
            })?),
        };
        if !caller.may_manage_claims() {
            return Err(Problem::forbidden(
                "only an incentives_admin may submit claims",
            ));
        }
        let body = json_body(event)?;
        let usecase = SubmitClaim {
            store: self.store.as_ref(),
            clock: self.clock.as_ref(),
            policy: self.policy,
        };
        Ok(usecase.submit(&caller, &body, key.as_ref()).await?)
    }
}

impl Door for SubmitClaimFunction {
    const NAME: &'static str = FUNCTION;
    type Event = ApiGatewayV2httpRequest;
    type Output = ApiGatewayV2httpResponse;
    type Error = Infallible;

    /// On the table (`CPOR_TABLE_NAME`), under the review policy (`CPOR_REVIEW_POLICY`),
    /// queueing batches on `CPOR_BATCH_QUEUE_URL`.
    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        Ok(
            Self::new(wiring.store()?, wiring.clock(), wiring.review_policy()?)
                .with_budget(wiring.partner_budget()?)
                .with_batches(wiring.store()?, wiring.batch_queue()?),
        )
    }

    async fn invoke(&self, event: Self::Event) -> Result<Self::Output, Infallible> {
        Ok(self.handle(event).await)
    }
}
