//! manage-claims: the partner's reads and moves.
//!
//! - `GET /v1/claims`: a page of the caller's claims, newest first, filtered;
//! - `GET /v1/claims/{claim_id}`: one claim with its history;
//! - `POST /v1/claims/{claim_id}/withdraw`: withdraw or disassociate, with a reason;
//! - `POST /v1/claims/{claim_id}/respond`: answer a reviewer's information request;
//! - `POST /v1/claims/{claim_id}/dispute`: dispute a rejection, within 30 days;
//! - `POST /v1/claims/{claim_id}/proof`: a newer proof of execution;
//! - `PUT /v1/claims/{claim_id}/customer-contact`: correct the customer's contact (e-mailed
//!   again once the customer may have been);
//! - `POST /v1/claims/{claim_id}/documents`: declare a document, answered with its upload link;
//! - `GET /v1/claims/{claim_id}/documents/{document_id}`: 303 to an uploaded document's bytes;
//! - `POST /v1/exports`: export the partner's claims (filtered) as a CSV or JSON Lines file,
//!   written in the background by run-export; `GET /v1/exports/{export_id}`: where it stands,
//!   with a 5-minute link to the file once ready. Any role that may view the partner's claims
//!   may export them (`incentives_user` too: an export shows nothing a listing does not);
//! - `POST /v1/webhooks`, `GET /v1/webhooks`, `GET /v1/webhooks/{webhook_id}`, `POST
//!   .../rotate-secret`, `.../test`, `.../enable`, `DELETE /v1/webhooks/{webhook_id}`: the
//!   partner's webhook endpoints. Registering and changing them is an `incentives_admin`'s;
//!   an `incentives_user` may read them, as it reads the partner's claims (an endpoint's
//!   answer never carries its secret, which only the answers that make one show);
//! - `GET /v1/catalogue`: the programs and their workloads, named in the reader's language, for
//!   partners and reviewers alike (behind the authorizer that accepts either's token).

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use cpor_aws::budget::{Admission, PartnerBudget};
use cpor_aws::exports::ExportDesk;
use cpor_aws::metrics::name;
use cpor_aws::webhooks::{WebhookDesk, WebhookError};
use cpor_aws::{ConfigError, Door, DynamoStore, Metrics, S3Documents, Wiring};
use cpor_domain::ClaimId;
use cpor_domain::caller::Caller;
use cpor_domain::clock::Clock;
use cpor_domain::command::{ContactCorrection, Dispute, NewProof, Response, Withdrawal};
use cpor_domain::document::object_key;
use cpor_domain::export::{ExportRequest, Owner};
use cpor_domain::listing::{encode_cursor, parse_list_query};
use cpor_domain::usecase::documents::DocumentDesk;
use cpor_domain::usecase::manage::{ClaimDesk, ManageError};
use cpor_http::resource::{DeliveryAttemptResource, ExportResource, WebhookResource};
use cpor_http::routes::{
    self, ADD_DOCUMENT, ADD_PROOF_OF_EXECUTION, CORRECT_CUSTOMER_CONTACT, CREATE_EXPORT,
    CREATE_WEBHOOK, DELETE_WEBHOOK, DISPUTE_REJECTION, DOWNLOAD_DOCUMENT, ENABLE_WEBHOOK,
    GET_CLAIM, GET_EXPORT, GET_WEBHOOK, LIST_CLAIMS, LIST_WEBHOOKS, READ_CATALOGUE,
    REMOVE_DOCUMENT, RESPOND_TO_INFORMATION_REQUEST, ROTATE_WEBHOOK_SECRET, TEST_WEBHOOK,
    WITHDRAW_CLAIM,
};
use cpor_http::{
    CatalogueResource, ClaimResource, ClaimWithHistory, Problem, Route, caller, json, json_body,
};
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "manage-claims";

/// The function: its clients, built once per execution environment.
pub struct ManageClaimsFunction {
    store: DynamoStore,
    documents: S3Documents,
    clock: Arc<dyn Clock>,
    /// Each partner's share of the API.
    budget: Option<PartnerBudget>,
    /// The partner's exports of its claims.
    exports: Option<ExportDesk>,
    /// The partner's webhook endpoints.
    webhooks: Option<WebhookDesk>,
}

impl ManageClaimsFunction {
    /// The function on this store and bucket.
    pub fn new(store: DynamoStore, documents: S3Documents, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            documents,
            clock,
            budget: None,
            exports: None,
            webhooks: None,
        }
    }

    /// The same, registering and managing webhook endpoints through `webhooks`.
    #[must_use]
    pub fn with_webhooks(mut self, webhooks: WebhookDesk) -> Self {
        self.webhooks = Some(webhooks);
        self
    }

    /// The same, asking for and reading exports through `exports`.
    #[must_use]
    pub fn with_exports(mut self, exports: ExportDesk) -> Self {
        self.exports = Some(exports);
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
        // Read by reviewers too, whose tokens name no partner: no partner's share is counted.
        if routes::of(&event) == Some(&READ_CATALOGUE) {
            return catalogue(&event);
        }
        if let Some(id) = cpor_http::request::claim_id(&event) {
            cpor_aws::logging::record_claim(id);
        }
        if self.over_budget(&event).await {
            return Problem::answer(Err(Problem::rate_limited()));
        }
        Problem::answer(self.route(&event).await)
    }

    /// Whether the caller's organisation used this second's share of the API (a request
    /// without a valid caller is refused by its route, uncounted).
    async fn over_budget(&self, event: &ApiGatewayV2httpRequest) -> bool {
        match (&self.budget, caller(event)) {
            (Some(budget), Ok(caller)) => {
                budget.admit(&caller.partner_id, self.clock.now()).await == Admission::Exhausted
            }
            (None, _) | (_, Err(_)) => false,
        }
    }

    async fn route(
        &self,
        event: &ApiGatewayV2httpRequest,
    ) -> Result<ApiGatewayV2httpResponse, Problem> {
        let caller = caller(event)?;
        let desk = ClaimDesk {
            claims: &self.store,
            directory: &self.store,
            clock: self.clock.as_ref(),
        };
        // API Gateway names the route it matched on every event; the two with a claim have
        // its id as a path parameter.
        let path_id = event.path_parameters.get("claim_id").map(String::as_str);
        match (routes::of(event), path_id) {
            (Some(&LIST_CLAIMS), _) => self.list(&desk, &caller, event).await,
            (Some(&GET_CLAIM), Some(id)) => {
                let (claim, history, documents) = self.document_desk().claim(&caller, id).await?;
                let mut answer = ClaimWithHistory::of(&claim, &history);
                answer.claim = answer.claim.with_documents(&documents);
                Ok(json(200, &answer))
            }
            (Some(&WITHDRAW_CLAIM), Some(id)) => {
                let body = self.move_body(&caller, event, "withdraw claims")?;
                let withdrawal = Withdrawal::read(&body)?;
                let claim = desk.withdraw(&caller, claim_id(id)?, withdrawal).await?;
                Metrics::new(FUNCTION)
                    .count(name::CLAIMS_WITHDRAWN, 1)
                    .emit();
                Ok(json(200, &ClaimResource::from(&claim)))
            }
            (Some(&RESPOND_TO_INFORMATION_REQUEST), Some(id)) => {
                let body = self.move_body(&caller, event, "respond to information requests")?;
                let response = Response::read(&body, self.today())?;
                let claim = desk.respond(&caller, claim_id(id)?, response).await;
                moved("respond", claim)
            }
            (Some(&DISPUTE_REJECTION), Some(id)) => {
                let body = self.move_body(&caller, event, "dispute rejections")?;
                let dispute = Dispute::read(&body, self.today())?;
                let claim = desk.dispute(&caller, claim_id(id)?, dispute).await;
                moved("dispute", claim)
            }
            (Some(&ADD_PROOF_OF_EXECUTION), Some(id)) => {
                let body = self.move_body(&caller, event, "add proofs of execution")?;
                let proof = NewProof::read(&body, self.today())?;
                let claim = desk.add_proof(&caller, claim_id(id)?, proof).await;
                moved("proof", claim)
            }
            (Some(&CORRECT_CUSTOMER_CONTACT), Some(id)) => {
                let body = self.move_body(&caller, event, "correct customer contacts")?;
                let contact = ContactCorrection::read(&body)?;
                let corrected = desk
                    .correct_contact(&caller, claim_id(id)?, contact)
                    .await?;
                moved("customer_contact", Ok(corrected.claim))
            }
            (Some(route @ (&ADD_DOCUMENT | &DOWNLOAD_DOCUMENT | &REMOVE_DOCUMENT)), Some(id)) => {
                self.document_route(route, &caller, id, event).await
            }
            (Some(route @ (&CREATE_EXPORT | &GET_EXPORT)), _) => {
                Box::pin(self.export_route(route, &caller, event)).await
            }
            (
                Some(
                    route @ (&CREATE_WEBHOOK
                    | &LIST_WEBHOOKS
                    | &GET_WEBHOOK
                    | &ROTATE_WEBHOOK_SECRET
                    | &TEST_WEBHOOK
                    | &ENABLE_WEBHOOK
                    | &DELETE_WEBHOOK),
                ),
                _,
            ) => Box::pin(self.webhook_route(route, &caller, event))
                .await
                .map_err(webhook_problem),
            _ => Err(routes::not_found("this method and path are not served")),
        }
    }

    /// The routes of a claim's documents: declare one, download one, remove a pending one.
    async fn document_route(
        &self,
        route: &Route,
        caller: &Caller,
        id: &str,
        event: &ApiGatewayV2httpRequest,
    ) -> Result<ApiGatewayV2httpResponse, Problem> {
        match *route {
            ADD_DOCUMENT => {
                let body = self.move_body(caller, event, "add documents")?;
                // Boxed: inlined, the S3 presigning's future makes the handler's too deep for
                // the compiler's layout query.
                Box::pin(self.declare_document(caller, id, &body)).await
            }
            DOWNLOAD_DOCUMENT => {
                let document_id = event
                    .path_parameters
                    .get("document_id")
                    .map_or("", String::as_str);
                let (document, key) = self
                    .document_desk()
                    .downloadable(caller, id, document_id)
                    .await?;
                let link = Box::pin(self.documents.download_link(&key, &document))
                    .await
                    .map_err(|e| Problem::unavailable(&e))?;
                Ok(cpor_http::redirect(&link.url))
            }
            REMOVE_DOCUMENT => {
                if !caller.may_manage_claims() {
                    return Err(Problem::forbidden(
                        "only an incentives_admin may remove documents",
                    ));
                }
                let document_id = event
                    .path_parameters
                    .get("document_id")
                    .map_or("", String::as_str);
                self.document_desk().remove(caller, id, document_id).await?;
                Ok(cpor_http::no_content())
            }
            _ => Err(routes::not_found("this method and path are not served")),
        }
    }

    /// `POST /v1/exports` (202, the export running) and `GET /v1/exports/{export_id}`: the
    /// caller's partner's exports alone; another's is not found.
    async fn export_route(
        &self,
        route: &Route,
        caller: &Caller,
        event: &ApiGatewayV2httpRequest,
    ) -> Result<ApiGatewayV2httpResponse, Problem> {
        if !caller.may_view_claims() {
            return Err(Problem::forbidden(
                "only an incentives_admin or an incentives_user may export claims",
            ));
        }
        let owner = Owner::Partner(caller.partner_id.clone());
        let unconfigured = || Problem::unavailable(&"exports are not configured");
        match *route {
            CREATE_EXPORT => {
                let request = ExportRequest::claims(&json_body(event)?)?;
                let desk = self.exports.as_ref().ok_or_else(unconfigured)?;
                let export = desk
                    .ask(owner, request)
                    .await
                    .map_err(|e| Problem::unavailable(&e))?;
                Ok(json(202, &ExportResource::of(&export, None)))
            }
            GET_EXPORT => {
                let id = event
                    .path_parameters
                    .get("export_id")
                    .map_or("", String::as_str);
                let desk = self.exports.as_ref().ok_or_else(unconfigured)?;
                let (export, link) = desk
                    .read(&owner, id)
                    .await
                    .map_err(|e| Problem::unavailable(&e))?
                    .ok_or_else(Problem::export_not_found)?;
                Ok(json(200, &ExportResource::of(&export, link.map(|l| l.url))))
            }
            _ => Err(routes::not_found("this method and path are not served")),
        }
    }

    /// The routes of the partner's webhook endpoints: another partner's endpoint is not found.
    async fn webhook_route(
        &self,
        route: &Route,
        caller: &Caller,
        event: &ApiGatewayV2httpRequest,
    ) -> Result<ApiGatewayV2httpResponse, WebhookRefusal> {
        let reads = *route == LIST_WEBHOOKS || *route == GET_WEBHOOK;
        if reads && !caller.may_view_claims() {
            return Err(Problem::forbidden(
                "only an incentives_admin or an incentives_user may read webhooks",
            )
            .into());
        }
        if !reads && !caller.may_manage_claims() {
            return Err(Problem::forbidden("only an incentives_admin may manage webhooks").into());
        }
        let desk = self
            .webhooks
            .as_ref()
            .ok_or_else(|| Problem::unavailable(&"webhooks are not configured"))?;
        let partner = &caller.partner_id;
        let id = event
            .path_parameters
            .get("webhook_id")
            .map_or("", String::as_str);
        let now = self.clock.now();
        match *route {
            CREATE_WEBHOOK => {
                let body = json_body(event)?;
                let (endpoint, secret) = desk.register(partner, &body).await?;
                let answer = WebhookResource::of(&endpoint, now).with_secret(&secret);
                Ok(json(201, &answer))
            }
            LIST_WEBHOOKS => {
                let items: Vec<WebhookResource> = desk
                    .list(partner)
                    .await?
                    .iter()
                    .map(|e| WebhookResource::of(e, now))
                    .collect();
                Ok(json(200, &json!({ "items": items })))
            }
            GET_WEBHOOK => {
                let (endpoint, attempts) = desk.read(partner, id).await?;
                let mut answer = WebhookResource::of(&endpoint, now);
                answer.recent_deliveries = Some(
                    attempts
                        .into_iter()
                        .map(|a| DeliveryAttemptResource {
                            event_id: a.event_id,
                            attempt: a.attempt,
                            at: cpor_domain::time::format_instant(a.at),
                            outcome: a.outcome,
                            status_code: a.status_code,
                        })
                        .collect(),
                );
                Ok(json(200, &answer))
            }
            ROTATE_WEBHOOK_SECRET => {
                let (endpoint, secret) = desk.rotate(partner, id).await?;
                Ok(json(
                    200,
                    &WebhookResource::of(&endpoint, now).with_secret(&secret),
                ))
            }
            TEST_WEBHOOK => {
                let event_id = desk.test(partner, id).await?;
                Ok(json(202, &json!({ "event_id": event_id })))
            }
            ENABLE_WEBHOOK => {
                let endpoint = desk.enable(partner, id).await?;
                Ok(json(200, &WebhookResource::of(&endpoint, now)))
            }
            DELETE_WEBHOOK => {
                desk.delete(partner, id).await?;
                Ok(cpor_http::no_content())
            }
            _ => Err(routes::not_found("this method and path are not served").into()),
        }
    }

    /// Today, as the proofs of execution in a move's body are read: none is signed later.
    fn today(&self) -> chrono::NaiveDate {
        self.clock.now().date_naive()
    }

    fn document_desk(&self) -> DocumentDesk<'_> {
        DocumentDesk {
            claims: &self.store,
            documents: &self.store,
            clock: self.clock.as_ref(),
        }
    }

    /// 201 with the document's id and the link to upload its bytes with.
    async fn declare_document(
        &self,
        caller: &Caller,
        claim_id: &str,
        body: &serde_json::Value,
    ) -> Result<ApiGatewayV2httpResponse, Problem> {
        let (claim, document) = self.document_desk().declare(caller, claim_id, body).await?;
        let link = self
            .documents
            .upload_link(&object_key(claim.id, document.id), &document)
            .await
            .map_err(|e| Problem::unavailable(&e))?;
        let headers: serde_json::Map<String, serde_json::Value> = link
            .headers
            .into_iter()
            .map(|(name, value)| (name, serde_json::Value::String(value)))
            .collect();
        Ok(json(
            201,
            &json!({
                "document_id": document.id.to_string(),
                "upload": {
                    "method": link.method,
                    "url": link.url,
                    "headers": headers,
                    "expires_at": cpor_domain::time::format_instant(link.expires_at),
                },
            }),
        ))
    }

    /// The body of a partner's move, once the caller's role is known to allow moves (a read-only
    /// role is refused before its body is read).
    fn move_body(
        &self,
        caller: &Caller,
        event: &ApiGatewayV2httpRequest,
        what: &str,
    ) -> Result<serde_json::Value, Problem> {
        if !caller.may_manage_claims() {
            return Err(Problem::forbidden(format!(
                "only an incentives_admin may {what}"
            )));
        }
        json_body(event)
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
        let page = desk.list(caller, &query).await?;
        let items: Vec<ClaimResource> = page.items.iter().map(ClaimResource::from).collect();
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

    /// On the table (`CPOR_TABLE_NAME`), the documents' bucket (`CPOR_DOCUMENTS_BUCKET`),
    /// the exports' queue (`CPOR_EXPORTS_QUEUE_URL`), and for webhooks the KMS key
    /// (`CPOR_WEBHOOK_KEY_ID`) and the bus (`CPOR_EVENT_BUS_NAME`).
    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        Ok(
            Self::new(wiring.store()?, wiring.documents()?, wiring.clock())
                .with_budget(wiring.partner_budget()?)
                .with_exports(wiring.exports()?)
                .with_webhooks(wiring.webhooks()?),
        )
    }

    async fn invoke(&self, event: Self::Event) -> Result<Self::Output, Infallible> {
        Ok(self.handle(event).await)
    }
}

/// A webhook route's refusal: the desk's, or the door's own problem.
enum WebhookRefusal {
    Desk(WebhookError),
    Problem(Problem),
}

impl From<WebhookError> for WebhookRefusal {
    fn from(error: WebhookError) -> Self {
        Self::Desk(error)
    }
}

impl From<Problem> for WebhookRefusal {
    fn from(problem: Problem) -> Self {
        Self::Problem(problem)
    }
}

/// The problem a webhook route answers with.
fn webhook_problem(refusal: WebhookRefusal) -> Problem {
    match refusal {
        WebhookRefusal::Problem(problem) => problem,
        WebhookRefusal::Desk(WebhookError::NotFound) => Problem::new(
            404,
            "webhook_not_found",
            "No such webhook",
            "the partner has no webhook of this id",
        ),
        WebhookRefusal::Desk(WebhookError::TooMany) => Problem::new(
            409,
            "too_many_webhooks",
            "Too many webhooks",
            format!(
                "a partner may register at most {} webhooks; delete one first",
                cpor_domain::webhook::endpoint::MAX_ENDPOINTS
            ),
        ),
        WebhookRefusal::Desk(WebhookError::Disabled) => Problem::new(
            409,
            "webhook_disabled",
            "The webhook is disabled",
            "nothing is delivered to a disabled webhook: enable it first",
        ),
        WebhookRefusal::Desk(WebhookError::Body(error)) => Problem::from(error),
        WebhookRefusal::Desk(WebhookError::Unavailable(error)) => Problem::unavailable(&error),
    }
}

/// The claim a path names; a malformed id names none.
fn claim_id(text: &str) -> Result<ClaimId, Problem> {
    ClaimId::parse(text).ok_or_else(Problem::claim_not_found)
}

/// The answer to a partner's move on a claim in review: the claim, counted by move.
fn moved(
    what: &'static str,
    claim: Result<cpor_domain::Claim, ManageError>,
) -> Result<ApiGatewayV2httpResponse, Problem> {
    let claim = claim?;
    Metrics::new(FUNCTION)
        .dimension("move", what)
        .count(name::PARTNER_MOVES, 1)
        .emit();
    Ok(json(200, &ClaimResource::from(&claim)))
}

/// `GET /v1/catalogue`: the same for every caller but for its language, so a browser keeps it
/// for an hour, one copy per language it asks for.
fn catalogue(event: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
    use aws_lambda_events::http::HeaderValue;
    let language = cpor_http::request::reader_language(&event.headers);
    let mut answer = json(200, &CatalogueResource::in_language(language));
    let headers = &mut answer.headers;
    headers.insert("cache-control", HeaderValue::from_static("max-age=3600"));
    headers.insert("vary", HeaderValue::from_static("Accept-Language"));
    headers.insert(
        "content-language",
        HeaderValue::from_static(language.code()),
    );
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::apigw::{
        ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
    };
    use cpor_domain::clock::SystemClock;
    use std::collections::HashMap;

    /// The function on a table it never reaches: every request below is answered before.
    fn function() -> ManageClaimsFunction {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version_latest()
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .build();
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), "unused");
        let s3 = aws_sdk_s3::Config::builder()
            .behavior_version_latest()
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .build();
        let documents = S3Documents::new(aws_sdk_s3::Client::from_conf(s3), "unused");
        ManageClaimsFunction::new(store, documents, Arc::new(SystemClock))
    }

    /// A request by route key from a partner whose token carries no role the service knows:
    /// refused before any read.
    fn request(route_key: Option<&str>) -> ApiGatewayV2httpRequest {
        let mut event = ApiGatewayV2httpRequest::default();
        event.route_key = route_key.map(str::to_owned);
        event.path_parameters = HashMap::from([("claim_id".to_owned(), "01J".to_owned())]);
        let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
        jwt.claims = HashMap::from([
            ("partner_id".to_owned(), "1234567".to_owned()),
            ("role".to_owned(), "auditor".to_owned()),
        ]);
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.jwt = Some(jwt);
        event.request_context.authorizer = Some(authorizer);
        event
    }

    fn code(response: &ApiGatewayV2httpResponse) -> String {
        let body = match &response.body {
            Some(aws_lambda_events::encodings::Body::Text(text)) => text.as_str(),
            _ => "",
        };
        let problem: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        problem["code"].as_str().unwrap_or_default().to_owned()
    }

    #[tokio::test]
    async fn each_route_the_table_gives_manage_claims_is_served() {
        // GIVEN the routes of the table that manage-claims serves
        let function = function();
        let served: Vec<&routes::Route> = routes::ROUTES
            .iter()
            .filter(|r| r.function == FUNCTION)
            .collect();
        assert_eq!(served.len(), 20);
        for route in served {
            // WHEN a request comes by each
            let response = function.handle(request(Some(route.key))).await;
            // THEN it reaches its handler (which refuses the caller's role, but for the
            // catalogue, which any caller the authorizer let through may read)
            if route == &READ_CATALOGUE {
                assert_eq!(response.status_code, 200);
                continue;
            }
            assert_eq!(
                (response.status_code, code(&response).as_str()),
                (403, "forbidden"),
                "{}",
                route.key
            );
        }
    }

    #[tokio::test]
    async fn a_route_of_another_function_or_none_is_not_found() {
        // GIVEN requests by another function's routes, an unknown route and no route key
        let function = function();
        for route_key in [
            Some(routes::SUBMIT_CLAIM.key),
            Some(routes::DECLINE_ASSOCIATION.key),
            Some("DELETE /v1/claims/{claim_id}"),
            None,
        ] {
            // WHEN each is handled
            let response = function.handle(request(route_key)).await;
            // THEN the answer is 404 route_not_found
            assert_eq!(
                (response.status_code, code(&response).as_str()),
                (404, "route_not_found"),
                "{route_key:?}"
            );
        }
    }

    /// The catalogue is answered in the reader's language (English when it asks for none of
    /// the six), for any token (no partner is needed), and may be kept an hour per language.
    #[tokio::test]
    async fn the_catalogue_speaks_the_reader_s_language_and_may_be_kept_an_hour() {
        let function = function();
        for (accepted, language, osu_m365) in [
            (
                Some("it-IT,it;q=0.9"),
                "it",
                "Online Services Usage (OSU) per Microsoft 365",
            ),
            (
                Some("pt-BR"),
                "en",
                "Online Services Usage (OSU) for Microsoft 365",
            ),
            (None, "en", "Online Services Usage (OSU) for Microsoft 365"),
        ] {
            // GIVEN a reviewer's request (no partner_id), in a language or none
            let mut event = ApiGatewayV2httpRequest::default();
            event.route_key = Some(READ_CATALOGUE.key.to_owned());
            if let Some(accepted) = accepted {
                event.headers.insert(
                    "accept-language",
                    aws_lambda_events::http::HeaderValue::from_static(accepted),
                );
            }
            // WHEN it is handled
            let response = function.handle(event).await;
            // THEN the catalogue comes back in that language, cacheable for an hour
            assert_eq!(response.status_code, 200, "{accepted:?}");
            let header = |name: &str| response.headers[name].to_str().unwrap().to_owned();
            assert_eq!(header("cache-control"), "max-age=3600");
            assert_eq!(header("content-language"), language);
            assert_eq!(header("vary"), "Accept-Language");
            let Some(aws_lambda_events::encodings::Body::Text(body)) = &response.body else {
                panic!("a JSON body");
            };
            let body: serde_json::Value = serde_json::from_str(body).unwrap();
            let m365 = body["programs"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["program"] == "osu-m365")
                .unwrap();
            assert_eq!(m365["name"], osu_m365, "{accepted:?}");
        }
    }
}
