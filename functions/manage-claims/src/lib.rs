//! manage-claims: the partner's reads and withdrawals.
//!
//! - `GET /v1/claims`: a page of the caller's claims, newest first, filtered;
//! - `GET /v1/claims/{claim_id}`: one claim with its history;
//! - `POST /v1/claims/{claim_id}/withdraw`: withdraw or disassociate, with a reason.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::http::Method;
use cpor_aws::metrics::name;
use cpor_aws::{ConfigError, Door, DynamoStore, Metrics, Wiring};
use cpor_domain::caller::Caller;
use cpor_domain::clock::Clock;
use cpor_domain::ids::ClaimId;
use cpor_domain::listing::{encode_cursor, parse_list_query};
use cpor_domain::time::format_instant;
use cpor_domain::usecase::manage::{ClaimDesk, ManageError};
use cpor_http::response::claim_value;
use cpor_http::{Problem, caller, json, json_body};
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::Arc;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "manage-claims";

/// The function: its clients, built once per execution environment.
pub struct ManageClaimsFunction {
    store: DynamoStore,
    clock: Arc<dyn Clock>,
}

impl ManageClaimsFunction {
    /// The function on this store.
    pub fn new(store: DynamoStore, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Handles one request; every failure is an answer, never a failed invocation.
    pub async fn handle(&self, event: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        if let Some(id) = event
            .path_parameters
            .get("claim_id")
            .and_then(|id| ClaimId::parse(id))
        {
            cpor_aws::logging::record_claim(id);
        }
        match self.route(&event).await {
            Ok(response) => response,
            Err(problem) => {
                tracing::info!(
                    status = problem.status,
                    code = problem.code,
                    "request refused"
                );
                problem.into_response()
            }
        }
    }

    async fn route(
        &self,
        event: &ApiGatewayV2httpRequest,
    ) -> Result<ApiGatewayV2httpResponse, Problem> {
        let caller = caller(event)?;
        let desk = ClaimDesk {
            claims: &self.store,
            clock: self.clock.as_ref(),
        };
        let method = &event.request_context.http.method;
        let claim_id = event.path_parameters.get("claim_id").map(String::as_str);
        let withdraw = event
            .raw_path
            .as_deref()
            .is_some_and(|p| p.ends_with("/withdraw"));
        match (method, claim_id, withdraw) {
            (&Method::GET, None, false) => self.list(&desk, &caller, event).await,
            (&Method::GET, Some(id), false) => {
                let (claim, history) = desk.get(&caller, id).await.map_err(to_problem)?;
                let mut body = claim_value(&claim);
                let history: Vec<Value> = history
                    .iter()
                    .map(|e| {
                        json!({
                            "at": format_instant(e.at),
                            "actor": e.actor,
                            "from": e.from,
                            "to": e.to,
                            "reason": e.reason,
                        })
                    })
                    .collect();
                if let Some(object) = body.as_object_mut() {
                    object.insert("history".into(), Value::Array(history));
                }
                Ok(json(200, &body))
            }
            (&Method::POST, Some(id), true) => {
                if !caller.may_manage_claims() {
                    return Err(Problem::forbidden(
                        "only an incentives_admin may withdraw claims",
                    ));
                }
                let body = json_body(event)?;
                let claim = desk
                    .withdraw(&caller, id, &body)
                    .await
                    .map_err(to_problem)?;
                Metrics::new(FUNCTION)
                    .count(name::CLAIMS_WITHDRAWN, 1)
                    .emit();
                Ok(json(200, &claim_value(&claim)))
            }
            _ => Err(Problem::new(
                404,
                "route_not_found",
                "No such route",
                "this method and path are not served",
            )),
        }
    }

    async fn list(
        &self,
        desk: &ClaimDesk<'_>,
        caller: &Caller,
        event: &ApiGatewayV2httpRequest,
    ) -> Result<ApiGatewayV2httpResponse, Problem> {
        let params: Vec<(String, String)> = event
            .query_string_parameters
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let query = parse_list_query(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(|e| Problem::validation(&e))?;
        let page = desk.list(caller, &query).await.map_err(to_problem)?;
        let items: Vec<Value> = page.items.iter().map(claim_value).collect();
        Ok(json(
            200,
            &json!({ "items": items, "next_cursor": page.next_after.map(encode_cursor) }),
        ))
    }
}

impl Door for ManageClaimsFunction {
    const NAME: &'static str = FUNCTION;
    type Event = ApiGatewayV2httpRequest;
    type Output = ApiGatewayV2httpResponse;
    type Error = Infallible;

    /// On the table (`CPOR_TABLE_NAME`).
    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        Ok(Self::new(wiring.store()?, wiring.clock()))
    }

    async fn invoke(&self, event: Self::Event) -> Result<Self::Output, Infallible> {
        Ok(self.handle(event).await)
    }
}

fn to_problem(error: ManageError) -> Problem {
    match error {
        ManageError::Forbidden => Problem::forbidden("your role may not do this"),
        ManageError::NotFound => Problem::claim_not_found(),
        ManageError::NotAnObject => Problem::new(
            400,
            "malformed_json",
            "The body is not a JSON object",
            error.to_string(),
        ),
        ManageError::Invalid(errors) => Problem::validation(&errors),
        ManageError::AlreadyFinal(status) => Problem::new(
            409,
            "claim_already_final",
            "The claim is already final",
            format!("the claim is already {status}; nothing to withdraw"),
        ),
        ManageError::Unavailable(e) => Problem::unavailable(&e),
    }
}
