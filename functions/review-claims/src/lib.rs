//! review-claims: the vendor's reviewers, behind their own JWT authorizer (`role`
//! `cpor_reviewer`, their id in `sub`).
//!
//! - `GET /v1/review/claims`: the queue, oldest entry into review first, from the sparse
//!   review index (never a scan);
//! - `GET /v1/review/claims/{claim_id}`: a claim with its whole history, reviewers' ids
//!   included;
//! - `POST /v1/review/claims/{claim_id}/approve`: approve (the approval's history entry queues
//!   the customer's e-mail through the history's outbox);
//! - `POST /v1/review/claims/{claim_id}/request-information`: ask the partner for more;
//! - `POST /v1/review/claims/{claim_id}/reject`: reject (the partner may dispute);
//! - `GET /v1/review/partner-of-record`: the association effective for a unit at an instant,
//!   in one Query of the unit's periods.
//! - `POST /v1/review/exports`: export the payout ledger of a month (every association
//!   effective at any time in it), written in the background by run-export;
//!   `GET /v1/review/exports/{export_id}`: where it stands, with a 5-minute link once ready.
//!
//! Each decision is one read and one conditional transaction: two reviewers deciding the same
//! claim at once, one wins and the other is told the claim moved on (409).

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use cpor_aws::exports::ExportDesk;
use cpor_aws::metrics::name;
use cpor_aws::{ConfigError, Door, DynamoStore, Metrics, S3Documents, Wiring};
use cpor_domain::clock::Clock;
use cpor_domain::command::{Approval, InformationRequest, Rejection};
use cpor_domain::document::{DocumentStatus, object_key};
use cpor_domain::export::{ExportRequest, Owner};
use cpor_domain::ids::ClaimId;
use cpor_domain::listing::{
    encode_review_cursor, parse_partner_of_record_query, parse_review_query,
};
use cpor_domain::ports::DocumentStore;
use cpor_domain::ports::{ClaimRepository, PartnersOfRecord, ReviewQueue};
use cpor_domain::time::format_instant;
use cpor_domain::usecase::review::{Case, ReviewDesk, ReviewError};
use cpor_domain::{BusinessCalendar, Claim};
use cpor_http::resource::{DocumentResource, ExportResource};
use cpor_http::resource::{PartnerOfRecordResource, ReviewQueueItem, ReviewedClaim};
use cpor_http::routes::{
    self, APPROVE_CLAIM, CREATE_LEDGER_EXPORT, GET_LEDGER_EXPORT, GET_REVIEWED_CLAIM,
    LIST_REVIEW_QUEUE, PARTNER_OF_RECORD, REJECT_CLAIM, REQUEST_INFORMATION,
};
use cpor_http::{ClaimResource, Problem, json, json_body, reviewer};
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "review-claims";

/// The function: its clients, built once per execution environment.
pub struct ReviewClaimsFunction {
    claims: Arc<dyn ClaimRepository>,
    review_queue: Arc<dyn ReviewQueue>,
    /// The associations' periods, by unit.
    periods: Arc<dyn PartnersOfRecord>,
    clock: Arc<dyn Clock>,
    calendar: BusinessCalendar,
    /// The documents' records and bucket, for the claim's download links.
    documents: Option<(Arc<dyn DocumentStore>, S3Documents)>,
    /// The vendor's exports of the payout ledger.
    exports: Option<ExportDesk>,
}

impl ReviewClaimsFunction {
    /// The function on the table.
    pub fn new(store: DynamoStore, clock: Arc<dyn Clock>, calendar: BusinessCalendar) -> Self {
        let store = Arc::new(store);
        Self {
            claims: store.clone(),
            review_queue: store.clone(),
            periods: store,
            clock,
            calendar,
            documents: None,
            exports: None,
        }
    }

    /// The function asking for and reading the ledger's exports through `exports`.
    #[must_use]
    pub fn with_exports(mut self, exports: ExportDesk) -> Self {
        self.exports = Some(exports);
        self
    }

    /// The function with the claims' documents in its answers, their bytes in `bucket`.
    pub fn with_documents(mut self, store: DynamoStore, bucket: S3Documents) -> Self {
        self.documents = Some((Arc::new(store), bucket));
        self
    }

    /// A claim with its history, and its documents with a download link for each uploaded
    /// one, in the one read of its partition.
    async fn reviewed(
        &self,
        desk: &ReviewDesk<'_>,
        id: ClaimId,
    ) -> Result<(Case, Vec<DocumentResource>), Problem> {
        let Some((store, bucket)) = &self.documents else {
            return Ok((desk.get(id).await?, Vec::new()));
        };
        let not_found = || Problem::from(ReviewError::NotFound);
        let (claim, history, documents) = store
            .claim_with_documents(id)
            .await
            .map_err(|e| Problem::unavailable(&e))?
            .ok_or_else(not_found)?;
        // Expired pending documents are dropped, in every view.
        let documents = cpor_domain::document::live(documents, self.clock.now());
        let mut resources = Vec::with_capacity(documents.len());
        for document in &documents {
            let mut resource = DocumentResource::from(document);
            match document.status {
                DocumentStatus::Uploaded => {
                    let key = object_key(claim.id, document.id);
                    let link = Box::pin(bucket.download_link(&key, document))
                        .await
                        .map_err(|e| Problem::unavailable(&e))?;
                    resource.download_url = Some(link.url);
                }
                DocumentStatus::Pending => {}
            }
            resources.push(resource);
        }
        let holder = desk.holder_of(&claim).await?;
        let case = Case {
            claim,
            history,
            holder,
        };
        Ok((case, resources))
    }

    /// Handles one request; every failure is an answer, never a failed invocation.
    pub async fn handle(&self, event: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        if let Some(id) = cpor_http::request::claim_id(&event) {
            cpor_aws::logging::record_claim(id);
        }
        Problem::answer(self.route(&event).await)
    }

    async fn route(
        &self,
        event: &ApiGatewayV2httpRequest,
    ) -> Result<ApiGatewayV2httpResponse, Problem> {
        // The reviewer signs the history; their id is never logged at info level.
        let reviewer = reviewer(event)?;
        let desk = ReviewDesk {
            claims: self.claims.as_ref(),
            review_queue: self.review_queue.as_ref(),
            clock: self.clock.as_ref(),
            calendar: &self.calendar,
        };
        let path_id = event.path_parameters.get("claim_id").map(String::as_str);
        match (routes::of(event), path_id) {
            (Some(&LIST_REVIEW_QUEUE), _) => self.queue_page(&desk, event).await,
            (Some(&PARTNER_OF_RECORD), _) => self.partner_of_record(event).await,
            (Some(&GET_REVIEWED_CLAIM), Some(id)) => {
                let (case, documents) = self.reviewed(&desk, claim_id(id)?).await?;
                let now = self.clock.now();
                let mut answer = ReviewedClaim::of(
                    &case.claim,
                    &case.history,
                    case.holder.as_ref(),
                    &self.calendar,
                    now,
                );
                answer.claim.claim.documents = documents;
                Ok(json(200, &answer))
            }
            (Some(&APPROVE_CLAIM), Some(id)) => {
                let approval = Approval::read(&json_body(event)?)?;
                let decided = desk.approve(&reviewer, claim_id(id)?, approval).await?;
                Ok(self.decided("approved", &decided.claim))
            }
            (Some(&REQUEST_INFORMATION), Some(id)) => {
                let request = InformationRequest::read(&json_body(event)?)?;
                let claim = desk
                    .request_information(&reviewer, claim_id(id)?, request)
                    .await?;
                Ok(self.decided("information_requested", &claim))
            }
            (Some(route @ (&CREATE_LEDGER_EXPORT | &GET_LEDGER_EXPORT)), _) => {
                // Boxed: inlined, the presigning's future makes the handler's too deep for the
                // compiler's layout query.
                Box::pin(self.export_route(route, event)).await
            }
            (Some(&REJECT_CLAIM), Some(id)) => {
                let rejection = Rejection::read(&json_body(event)?)?;
                let claim = desk.reject(&reviewer, claim_id(id)?, rejection).await?;
                Ok(self.decided("rejected", &claim))
            }
            _ => Err(routes::not_found("this method and path are not served")),
        }
    }

    async fn queue_page(
        &self,
        desk: &ReviewDesk<'_>,
        event: &ApiGatewayV2httpRequest,
    ) -> Result<ApiGatewayV2httpResponse, Problem> {
        let query = parse_review_query(event.query_string_parameters.iter())
            .map_err(|e| Problem::validation(&e))?;
        let page = desk.queue_page(&query).await?;
        let now = self.clock.now();
        let items: Vec<ReviewQueueItem> = page
            .items
            .iter()
            .map(|claim| ReviewQueueItem::of(claim, &self.calendar, now))
            .collect();
        Ok(json(
            200,
            &json!({ "items": items, "next_cursor": page.next.map(encode_review_cursor) }),
        ))
    }

    /// The association effective for the query's unit at its instant (now by default).
    async fn partner_of_record(
        &self,
        event: &ApiGatewayV2httpRequest,
    ) -> Result<ApiGatewayV2httpResponse, Problem> {
        let query = parse_partner_of_record_query(event.query_string_parameters.iter())
            .map_err(|e| Problem::validation(&e))?;
        let at = query.at.unwrap_or_else(|| self.clock.now());
        let period = self
            .periods
            .partner_of_record(&query.unit, at)
            .await
            .map_err(|e| Problem::unavailable(&e))?
            .ok_or_else(|| {
                Problem::new(
                    404,
                    "no_partner_of_record",
                    "No partner of record",
                    format!(
                        "no association was effective for this unit at {}",
                        format_instant(at)
                    ),
                )
            })?;
        Ok(json(200, &PartnerOfRecordResource::from(&period)))
    }

    /// `POST /v1/review/exports` (202, the export running) and
    /// `GET /v1/review/exports/{export_id}`: the vendor's exports alone.
    async fn export_route(
        &self,
        route: &cpor_http::Route,
        event: &ApiGatewayV2httpRequest,
    ) -> Result<ApiGatewayV2httpResponse, Problem> {
        match *route {
            CREATE_LEDGER_EXPORT => {
                let request = ExportRequest::ledger(&json_body(event)?, self.clock.now())?;
                let export = self
                    .export_desk()?
                    .ask(Owner::Vendor, request)
                    .await
                    .map_err(|e| Problem::unavailable(&e))?;
                Ok(json(202, &ExportResource::of(&export, None)))
            }
            GET_LEDGER_EXPORT => {
                let id = event
                    .path_parameters
                    .get("export_id")
                    .map_or("", String::as_str);
                if cpor_domain::export::ExportId::parse(id).is_none() {
                    return Err(Problem::export_not_found());
                }
                let (export, link) = self
                    .export_desk()?
                    .read(&Owner::Vendor, id)
                    .await
                    .map_err(|e| Problem::unavailable(&e))?
                    .ok_or_else(Problem::export_not_found)?;
                Ok(json(200, &ExportResource::of(&export, link.map(|l| l.url))))
            }
            _ => Err(routes::not_found("this method and path are not served")),
        }
    }

    fn export_desk(&self) -> Result<&ExportDesk, Problem> {
        self.exports
            .as_ref()
            .ok_or_else(|| Problem::unavailable(&"exports are not configured"))
    }

    /// The answer to a decision: the claim, counted by decision.
    fn decided(&self, decision: &'static str, claim: &Claim) -> ApiGatewayV2httpResponse {
        Metrics::new(FUNCTION)
            .dimension("decision", decision)
            .count(name::CLAIMS_REVIEWED, 1)
            .emit();
        json(200, &ClaimResource::from(claim))
    }
}

/// The claim a path names; a malformed id names none.
fn claim_id(text: &str) -> Result<ClaimId, Problem> {
    ClaimId::parse(text).ok_or_else(|| ReviewError::NotFound.into())
}

impl Door for ReviewClaimsFunction {
    const NAME: &'static str = FUNCTION;
    type Event = ApiGatewayV2httpRequest;
    type Output = ApiGatewayV2httpResponse;
    type Error = Infallible;

    /// On the table (`CPOR_TABLE_NAME`), the business calendar (`CPOR_HOLIDAYS`), the
    /// documents' bucket (`CPOR_DOCUMENTS_BUCKET`) and the exports' queue
    /// (`CPOR_EXPORTS_QUEUE_URL`).
    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        // One DynamoDB client for both ports: each client built costs the cold start.
        let store = wiring.store()?;
        Ok(Self::new(store.clone(), wiring.clock(), wiring.calendar()?)
            .with_documents(store, wiring.documents()?)
            .with_exports(wiring.exports()?))
    }

    async fn invoke(&self, event: Self::Event) -> Result<Self::Output, Infallible> {
        Ok(self.handle(event).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::apigw::{
        ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
    };
    use cpor_domain::clock::SystemClock;
    use std::collections::HashMap;

    /// The function on a table it never reaches: every request below is answered
    /// before.
    fn function() -> ReviewClaimsFunction {
        let region = aws_sdk_dynamodb::config::Region::new("us-east-1");
        let dynamo = aws_sdk_dynamodb::Config::builder()
            .behavior_version_latest()
            .region(region.clone())
            .endpoint_url("http://127.0.0.1:9")
            .build();
        ReviewClaimsFunction::new(
            DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(dynamo), "unused"),
            Arc::new(SystemClock),
            BusinessCalendar::default(),
        )
    }

    /// A request by route key with a token carrying `claims`.
    fn request(route_key: Option<&str>, claims: &[(&str, &str)]) -> ApiGatewayV2httpRequest {
        let mut event = ApiGatewayV2httpRequest::default();
        event.route_key = route_key.map(str::to_owned);
        event.path_parameters = HashMap::from([("claim_id".to_owned(), "01J".to_owned())]);
        // A body that is not JSON, and a query that is not valid: refused before any read.
        event.body = Some("{".to_owned());
        event.headers.insert(
            "content-type",
            aws_lambda_events::http::HeaderValue::from_static("application/json"),
        );
        event.query_string_parameters =
            HashMap::from([("limit".to_owned(), "0".to_owned())]).into();
        let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
        jwt.claims = claims
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.jwt = Some(jwt);
        event.request_context.authorizer = Some(authorizer);
        event
    }

    const REVIEWER: &[(&str, &str)] = &[("role", "cpor_reviewer"), ("sub", "reviewer-7")];

    fn answer(response: &ApiGatewayV2httpResponse) -> (i64, String) {
        let body = match &response.body {
            Some(aws_lambda_events::encodings::Body::Text(text)) => text.as_str(),
            _ => "",
        };
        let problem: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        (
            response.status_code,
            problem["code"].as_str().unwrap_or_default().to_owned(),
        )
    }

    #[tokio::test]
    async fn each_route_the_table_gives_review_claims_is_served() {
        // GIVEN the routes of the table that review-claims serves
        let function = function();
        let served: Vec<&routes::Route> = routes::ROUTES
            .iter()
            .filter(|r| r.function == FUNCTION)
            .collect();
        assert_eq!(served.len(), 8);
        for route in served {
            // WHEN a reviewer's request with a bad body or query comes by each
            let response = function.handle(request(Some(route.key), REVIEWER)).await;
            // THEN it reaches its handler, which refuses it before reading the claim (the
            // claim's own route has no body; its id is no claim's)
            let expected = match route.key {
                k if k == GET_REVIEWED_CLAIM.key => (404, "claim_not_found"),
                k if k == GET_LEDGER_EXPORT.key => (404, "export_not_found"),
                k if k == LIST_REVIEW_QUEUE.key || k == PARTNER_OF_RECORD.key => {
                    (400, "validation_failed")
                }
                _ => (400, "malformed_json"),
            };
            let (status, code) = answer(&response);
            assert_eq!((status, code.as_str()), expected, "{}", route.key);
        }
    }

    #[tokio::test]
    async fn a_partner_s_token_or_a_reviewer_s_without_sub_is_refused_on_every_review_route() {
        // GIVEN a partner's token, and a reviewer's token that names no reviewer
        let function = function();
        let partner = &[("role", "incentives_admin"), ("partner_id", "1234567")][..];
        let anonymous = &[("role", "cpor_reviewer")][..];
        for route in routes::ROUTES.iter().filter(|r| r.function == FUNCTION) {
            // WHEN each comes by a review route
            // THEN the partner is forbidden and the nameless reviewer unauthenticated
            let response = function.handle(request(Some(route.key), partner)).await;
            assert_eq!(
                answer(&response),
                (403, "forbidden".into()),
                "{}",
                route.key
            );
            let response = function.handle(request(Some(route.key), anonymous)).await;
            assert_eq!(
                answer(&response),
                (401, "unauthenticated".into()),
                "{}",
                route.key
            );
        }
    }

    #[tokio::test]
    async fn a_route_of_another_function_or_none_is_not_found() {
        // GIVEN a reviewer's requests by partner routes, an unknown route and no route key
        let function = function();
        for route_key in [
            Some(routes::GET_CLAIM.key),
            Some(routes::RESPOND_TO_INFORMATION_REQUEST.key),
            Some("DELETE /v1/review/claims/{claim_id}"),
            None,
        ] {
            // WHEN each is handled
            let response = function.handle(request(route_key, REVIEWER)).await;
            // THEN the answer is 404 route_not_found
            assert_eq!(
                answer(&response),
                (404, "route_not_found".into()),
                "{route_key:?}"
            );
        }
    }
}
