//! The HTTP API's routes, in one table: API Gateway's route key of each, the function that
//! serves it, and who may call it (a partner's token, a reviewer's, or anyone).
//!
//! A function that serves several routes dispatches on the event's route key ([`of`]), which
//! API Gateway sets on every HTTP API event; the local gateway matches requests against the same
//! table ([`find`]). The table's test holds it to `infra/template.yaml` (what is deployed) and
//! `openapi.yaml` (what is promised). The local stack's own routes (`/_local/...`) are not in
//! it: they are never deployed.

use crate::problem::Problem;
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use std::collections::HashMap;

/// A route of the HTTP API.
#[derive(Debug, PartialEq, Eq)]
pub struct Route {
    /// API Gateway's route key: the method, a space, and the path, whose `{name}` segments are
    /// the path parameters (`GET /v1/claims/{claim_id}`).
    pub key: &'static str,
    /// Its `operationId` in openapi.yaml.
    pub operation: &'static str,
    /// The function serving it: its binary's name.
    pub function: &'static str,
    /// Which JWT authorizer stands in front of it, if any.
    pub access: Access,
}

/// Who may call a route: the authorizer API Gateway checks the bearer token with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// The partners' identity provider (`PartnerJwt`, the API's default authorizer).
    Partner,
    /// The vendor's reviewers' identity provider (`ReviewerJwt`).
    Reviewer,
    /// Either identity provider: a token that the partners' or the reviewers' JWT authorizer
    /// would let through. An HTTP API's route has one authorizer, and a JWT authorizer trusts
    /// one issuer, so these routes are behind a Lambda authorizer (`PartnerOrReviewer`,
    /// authorize-caller) that checks a token against both, as each JWT authorizer would.
    PartnerOrReviewer,
    /// Anyone: the customer's pages, whose signed link is their credential.
    Public,
}

impl Access {
    /// The authorizer's name in the template (`NONE` for a public route).
    pub fn authorizer(self) -> &'static str {
        match self {
            Self::Partner => "PartnerJwt",
            Self::Reviewer => "ReviewerJwt",
            Self::PartnerOrReviewer => "PartnerOrReviewer",
            Self::Public => "NONE",
        }
    }

    /// The security schemes that openapi.yaml names for it, any one of which will do (none for
    /// a public route).
    pub fn security_schemes(self) -> &'static [&'static str] {
        match self {
            Self::Partner => &["bearerAuth"],
            Self::Reviewer => &["reviewerAuth"],
            Self::PartnerOrReviewer => &["bearerAuth", "reviewerAuth"],
            Self::Public => &[],
        }
    }
}

pub const SUBMIT_CLAIM: Route = Route {
    key: "POST /v1/claims",
    operation: "submitClaim",
    function: "submit-claim",
    access: Access::Partner,
};

pub const SUBMIT_CLAIM_BATCH: Route = Route {
    key: "POST /v1/claim-batches",
    operation: "submitClaimBatch",
    function: "submit-claim",
    access: Access::Partner,
};

pub const GET_CLAIM_BATCH: Route = Route {
    key: "GET /v1/claim-batches/{batch_id}",
    operation: "getClaimBatch",
    function: "submit-claim",
    access: Access::Partner,
};

pub const LIST_CLAIMS: Route = Route {
    key: "GET /v1/claims",
    operation: "listClaims",
    function: "manage-claims",
    access: Access::Partner,
};

pub const GET_CLAIM: Route = Route {
    key: "GET /v1/claims/{claim_id}",
    operation: "getClaim",
    function: "manage-claims",
    access: Access::Partner,
};

pub const WITHDRAW_CLAIM: Route = Route {
    key: "POST /v1/claims/{claim_id}/withdraw",
    operation: "withdrawClaim",
    function: "manage-claims",
    access: Access::Partner,
};

pub const RESPOND_TO_INFORMATION_REQUEST: Route = Route {
    key: "POST /v1/claims/{claim_id}/respond",
    operation: "respondToInformationRequest",
    function: "manage-claims",
    access: Access::Partner,
};

pub const DISPUTE_REJECTION: Route = Route {
    key: "POST /v1/claims/{claim_id}/dispute",
    operation: "disputeRejection",
    function: "manage-claims",
    access: Access::Partner,
};

pub const ADD_PROOF_OF_EXECUTION: Route = Route {
    key: "POST /v1/claims/{claim_id}/proof",
    operation: "addProofOfExecution",
    function: "manage-claims",
    access: Access::Partner,
};

pub const CORRECT_CUSTOMER_CONTACT: Route = Route {
    key: "PUT /v1/claims/{claim_id}/customer-contact",
    operation: "correctCustomerContact",
    function: "manage-claims",
    access: Access::Partner,
};

pub const ADD_DOCUMENT: Route = Route {
    key: "POST /v1/claims/{claim_id}/documents",
    operation: "addDocument",
    function: "manage-claims",
    access: Access::Partner,
};

pub const DOWNLOAD_DOCUMENT: Route = Route {
    key: "GET /v1/claims/{claim_id}/documents/{document_id}",
    operation: "downloadDocument",
    function: "manage-claims",
    access: Access::Partner,
};

pub const REMOVE_DOCUMENT: Route = Route {
    key: "DELETE /v1/claims/{claim_id}/documents/{document_id}",
    operation: "removeDocument",
    function: "manage-claims",
    access: Access::Partner,
};

pub const LIST_REVIEW_QUEUE: Route = Route {
    key: "GET /v1/review/claims",
    operation: "listReviewQueue",
    function: "review-claims",
    access: Access::Reviewer,
};

pub const GET_REVIEWED_CLAIM: Route = Route {
    key: "GET /v1/review/claims/{claim_id}",
    operation: "getReviewedClaim",
    function: "review-claims",
    access: Access::Reviewer,
};

pub const APPROVE_CLAIM: Route = Route {
    key: "POST /v1/review/claims/{claim_id}/approve",
    operation: "approveClaim",
    function: "review-claims",
    access: Access::Reviewer,
};

pub const REQUEST_INFORMATION: Route = Route {
    key: "POST /v1/review/claims/{claim_id}/request-information",
    operation: "requestInformation",
    function: "review-claims",
    access: Access::Reviewer,
};

pub const REJECT_CLAIM: Route = Route {
    key: "POST /v1/review/claims/{claim_id}/reject",
    operation: "rejectClaim",
    function: "review-claims",
    access: Access::Reviewer,
};

pub const READ_CATALOGUE: Route = Route {
    key: "GET /v1/catalogue",
    operation: "getCatalogue",
    function: "manage-claims",
    access: Access::PartnerOrReviewer,
};

pub const PARTNER_OF_RECORD: Route = Route {
    key: "GET /v1/review/partner-of-record",
    operation: "getPartnerOfRecord",
    function: "review-claims",
    access: Access::Reviewer,
};

pub const CREATE_EXPORT: Route = Route {
    key: "POST /v1/exports",
    operation: "createExport",
    function: "manage-claims",
    access: Access::Partner,
};

pub const GET_EXPORT: Route = Route {
    key: "GET /v1/exports/{export_id}",
    operation: "getExport",
    function: "manage-claims",
    access: Access::Partner,
};

pub const CREATE_LEDGER_EXPORT: Route = Route {
    key: "POST /v1/review/exports",
    operation: "createLedgerExport",
    function: "review-claims",
    access: Access::Reviewer,
};

pub const GET_LEDGER_EXPORT: Route = Route {
    key: "GET /v1/review/exports/{export_id}",
    operation: "getLedgerExport",
    function: "review-claims",
    access: Access::Reviewer,
};

pub const VIEW_OPT_OUT_PAGE: Route = Route {
    key: "GET /opt-out/{token}",
    operation: "viewOptOutPage",
    function: "record-opt-out",
    access: Access::Public,
};

pub const DECLINE_ASSOCIATION: Route = Route {
    key: "POST /opt-out/{token}",
    operation: "declineAssociation",
    function: "record-opt-out",
    access: Access::Public,
};

pub const CREATE_WEBHOOK: Route = Route {
    key: "POST /v1/webhooks",
    operation: "createWebhook",
    function: "manage-claims",
    access: Access::Partner,
};

pub const LIST_WEBHOOKS: Route = Route {
    key: "GET /v1/webhooks",
    operation: "listWebhooks",
    function: "manage-claims",
    access: Access::Partner,
};

pub const GET_WEBHOOK: Route = Route {
    key: "GET /v1/webhooks/{webhook_id}",
    operation: "getWebhook",
    function: "manage-claims",
    access: Access::Partner,
};

pub const ROTATE_WEBHOOK_SECRET: Route = Route {
    key: "POST /v1/webhooks/{webhook_id}/rotate-secret",
    operation: "rotateWebhookSecret",
    function: "manage-claims",
    access: Access::Partner,
};

pub const TEST_WEBHOOK: Route = Route {
    key: "POST /v1/webhooks/{webhook_id}/test",
    operation: "testWebhook",
    function: "manage-claims",
    access: Access::Partner,
};

pub const ENABLE_WEBHOOK: Route = Route {
    key: "POST /v1/webhooks/{webhook_id}/enable",
    operation: "enableWebhook",
    function: "manage-claims",
    access: Access::Partner,
};

pub const DELETE_WEBHOOK: Route = Route {
    key: "DELETE /v1/webhooks/{webhook_id}",
    operation: "deleteWebhook",
    function: "manage-claims",
    access: Access::Partner,
};

/// Every deployed route.
pub const ROUTES: &[Route] = &[
    SUBMIT_CLAIM,
    SUBMIT_CLAIM_BATCH,
    GET_CLAIM_BATCH,
    LIST_CLAIMS,
    GET_CLAIM,
    WITHDRAW_CLAIM,
    RESPOND_TO_INFORMATION_REQUEST,
    DISPUTE_REJECTION,
    ADD_PROOF_OF_EXECUTION,
    LIST_REVIEW_QUEUE,
    GET_REVIEWED_CLAIM,
    APPROVE_CLAIM,
    REQUEST_INFORMATION,
    REJECT_CLAIM,
    PARTNER_OF_RECORD,
    VIEW_OPT_OUT_PAGE,
    DECLINE_ASSOCIATION,
    ADD_DOCUMENT,
    DOWNLOAD_DOCUMENT,
    REMOVE_DOCUMENT,
    CORRECT_CUSTOMER_CONTACT,
    READ_CATALOGUE,
    CREATE_EXPORT,
    GET_EXPORT,
    CREATE_LEDGER_EXPORT,
    GET_LEDGER_EXPORT,
    CREATE_WEBHOOK,
    LIST_WEBHOOKS,
    GET_WEBHOOK,
    ROTATE_WEBHOOK_SECRET,
    TEST_WEBHOOK,
    ENABLE_WEBHOOK,
    DELETE_WEBHOOK,
];

impl Route {
    /// The method of its key (`GET`).
    pub fn method(&self) -> &'static str {
        self.key.split_once(' ').map_or("", |(method, _)| method)
    }

    /// The path of its key (`/v1/claims/{claim_id}`).
    pub fn path(&self) -> &'static str {
        self.key.split_once(' ').map_or("", |(_, path)| path)
    }
}

/// The route an event came by, from its route key.
pub fn of(event: &ApiGatewayV2httpRequest) -> Option<&'static Route> {
    let key = event.route_key.as_deref()?;
    ROUTES.iter().find(|route| route.key == key)
}

/// The route serving `method` and `path`, with the values of its path parameters.
pub fn find(method: &str, path: &str) -> Option<(&'static Route, HashMap<String, String>)> {
    ROUTES
        .iter()
        .find_map(|route| Some((route, path_parameters(route.key, method, path)?)))
}

/// Whether `method` and `path` match the route key `key`, and if so the values of its
/// `{name}` segments: each a whole segment, never empty (as API Gateway matches them).
pub fn path_parameters(key: &str, method: &str, path: &str) -> Option<HashMap<String, String>> {
    let (key_method, template) = key.split_once(' ')?;
    if key_method != method {
        return None;
    }
    let (mut template, mut path) = (template.split('/'), path.split('/'));
    let mut parameters = HashMap::new();
    loop {
        match (template.next(), path.next()) {
            (None, None) => return Some(parameters),
            (Some(expected), Some(segment)) => {
                match expected.strip_prefix('{').and_then(|e| e.strip_suffix('}')) {
                    Some(name) if !segment.is_empty() => {
                        parameters.insert(name.to_owned(), segment.to_owned());
                    }
                    Some(_) => return None,
                    None if expected == segment => {}
                    None => return None,
                }
            }
            (Some(_), None) | (None, Some(_)) => return None,
        }
    }
}

/// 404 `route_not_found`.
pub fn not_found(detail: impl Into<String>) -> Problem {
    Problem::new(404, "route_not_found", "No such route", detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_yaml_ng::Value;
    use std::collections::BTreeSet;

    const TEMPLATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../infra/template.yaml");
    const OPENAPI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.yaml");

    fn yaml(path: &str) -> Value {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn entries(mapping: &Value) -> impl Iterator<Item = (&str, &Value)> {
        mapping
            .as_mapping()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.as_str()?, v)))
    }

    /// The table as (function, route key, authorizer).
    fn table() -> BTreeSet<(String, String, &'static str)> {
        ROUTES
            .iter()
            .map(|r| {
                (
                    r.function.to_owned(),
                    r.key.to_owned(),
                    r.access.authorizer(),
                )
            })
            .collect()
    }

    /// The template's `HttpApi` events, as (function's binary, route key, authorizer). The SAM
    /// template's short-form tags (`!Ref HttpApi`) are read as YAML tags.
    fn deployed() -> BTreeSet<(String, String, &'static str)> {
        let template = yaml(TEMPLATE);
        let api = &template["Resources"]["HttpApi"];
        assert_eq!(api["Type"].as_str(), Some("AWS::Serverless::HttpApi"));
        // Without an `Auth` of their own, routes are behind the partners' authorizer; the
        // reviewers' is declared beside it.
        let auth = &api["Properties"]["Auth"];
        assert_eq!(
            auth["DefaultAuthorizer"].as_str(),
            Some(Access::Partner.authorizer()),
            "the HTTP API's default authorizer is the partners'"
        );
        for access in [Access::Partner, Access::Reviewer] {
            assert!(
                auth["Authorizers"][access.authorizer()]["JwtConfiguration"].is_mapping(),
                "the HTTP API declares the JWT authorizer {}",
                access.authorizer()
            );
        }
        assert!(
            !auth["Authorizers"][Access::PartnerOrReviewer.authorizer()]["FunctionArn"].is_null(),
            "the HTTP API declares the Lambda authorizer {}",
            Access::PartnerOrReviewer.authorizer()
        );
        let authorizer = |name: Option<&str>| match name {
            None => Access::Partner.authorizer(),
            Some(name) => [
                Access::Partner,
                Access::Reviewer,
                Access::PartnerOrReviewer,
                Access::Public,
            ]
            .into_iter()
            .map(Access::authorizer)
            .find(|known| *known == name)
            .unwrap_or_else(|| panic!("an unknown authorizer {name}")),
        };
        let mut deployed = BTreeSet::new();
        for (name, resource) in entries(&template["Resources"]) {
            if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
                continue;
            }
            let binary = resource["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .unwrap_or_else(|| panic!("{name} names its binary"));
            for (event_name, event) in entries(&resource["Properties"]["Events"]) {
                if event["Type"].as_str() != Some("HttpApi") {
                    continue;
                }
                let properties = &event["Properties"];
                let api_id = match &properties["ApiId"] {
                    Value::Tagged(tagged) => {
                        let tag = tagged.tag.to_string();
                        (tag.trim_start_matches('!') == "Ref")
                            .then(|| tagged.value.as_str())
                            .flatten()
                    }
                    _ => None,
                };
                assert_eq!(api_id, Some("HttpApi"), "{name}.{event_name}: !Ref HttpApi");
                let method = properties["Method"].as_str().unwrap_or_default();
                let path = properties["Path"].as_str().unwrap_or_default();
                deployed.insert((
                    binary.to_owned(),
                    format!("{} {path}", method.to_ascii_uppercase()),
                    authorizer(properties["Auth"]["Authorizer"].as_str()),
                ));
            }
        }
        deployed
    }

    /// An operation of openapi.yaml.
    struct Operation {
        key: String,
        id: String,
        /// The security schemes it names.
        security: Vec<String>,
        local_only: bool,
    }

    fn documented() -> Vec<Operation> {
        let openapi = yaml(OPENAPI);
        // An operation without `security` of its own would take the document's.
        assert!(openapi["security"].is_null(), "no document-wide security");
        let methods = [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ];
        let mut operations = Vec::new();
        for (path, item) in entries(&openapi["paths"]) {
            for (method, operation) in entries(item) {
                if !methods.contains(&method) {
                    continue;
                }
                let security = operation["security"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .flat_map(|requirement| entries(requirement).map(|(name, _)| name.to_owned()))
                    .collect();
                operations.push(Operation {
                    key: format!("{} {path}", method.to_ascii_uppercase()),
                    id: operation["operationId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    security,
                    local_only: operation["x-local-only"].as_bool() == Some(true),
                });
            }
        }
        operations
    }

    #[test]
    fn every_route_is_an_http_api_event_of_its_function_in_the_template_and_nothing_else_is() {
        // GIVEN the route table and the SAM template
        // WHEN the template's HttpApi events are read with their functions and authorizers
        let deployed = deployed();
        // THEN they are the table's routes, each on its function, behind the authorizer or not
        assert_eq!(deployed, table());
    }

    #[test]
    fn every_route_is_an_operation_of_the_openapi_description_and_the_others_are_local_only() {
        // GIVEN the route table and openapi.yaml
        let operations = documented();
        // WHEN its operations are split into deployed ones and local-only ones
        let (local, promised): (Vec<_>, Vec<_>) = operations.iter().partition(|o| o.local_only);
        // THEN the deployed ones are the table's routes, with their ids and security
        let promised: BTreeSet<(String, String, Vec<String>)> = promised
            .iter()
            .map(|o| (o.key.clone(), o.id.clone(), o.security.clone()))
            .collect();
        let routes: BTreeSet<(String, String, Vec<String>)> = ROUTES
            .iter()
            .map(|r| {
                let security = r.access.security_schemes().iter();
                (
                    r.key.to_owned(),
                    r.operation.to_owned(),
                    security.map(|s| (*s).to_owned()).collect(),
                )
            })
            .collect();
        assert_eq!(promised, routes);
        // AND the local-only ones are the local stack's own paths, and never deployed
        assert!(!local.is_empty(), "openapi.yaml describes the local routes");
        let deployed: BTreeSet<String> = deployed().into_iter().map(|(_, key, _)| key).collect();
        for operation in local {
            assert!(
                operation.key.contains(" /_local/"),
                "{} is local-only",
                operation.key
            );
            assert!(
                !deployed.contains(&operation.key),
                "{} is deployed",
                operation.key
            );
        }
    }

    #[test]
    fn a_request_matches_its_route_and_names_its_path_parameters() {
        // GIVEN requests for each kind of route
        // WHEN they are matched against the table
        let found = |method, path| find(method, path).map(|(route, params)| (route.key, params));
        // THEN each finds its route, with the values of its parameters
        assert_eq!(
            found("GET", "/v1/claims"),
            Some((LIST_CLAIMS.key, HashMap::new()))
        );
        assert_eq!(
            found("POST", "/v1/claims"),
            Some((SUBMIT_CLAIM.key, HashMap::new()))
        );
        let claim = HashMap::from([("claim_id".to_owned(), "01J".to_owned())]);
        assert_eq!(
            found("GET", "/v1/claims/01J"),
            Some((GET_CLAIM.key, claim.clone()))
        );
        assert_eq!(
            found("POST", "/v1/claims/01J/withdraw"),
            Some((WITHDRAW_CLAIM.key, claim.clone()))
        );
        assert_eq!(
            found("GET", "/v1/review/claims"),
            Some((LIST_REVIEW_QUEUE.key, HashMap::new()))
        );
        assert_eq!(
            found("POST", "/v1/review/claims/01J/request-information"),
            Some((REQUEST_INFORMATION.key, claim))
        );
        let token = HashMap::from([("token".to_owned(), "a.b".to_owned())]);
        assert_eq!(
            found("POST", "/opt-out/a.b"),
            Some((DECLINE_ASSOCIATION.key, token))
        );
    }

    #[test]
    fn a_request_of_another_method_an_empty_parameter_or_another_path_matches_no_route() {
        // GIVEN requests that are near a route but not on it
        for (method, path) in [
            ("DELETE", "/v1/claims"),
            ("POST", "/v1/claims/01J"),
            ("GET", "/v1/claims/"),
            ("POST", "/v1/claims//withdraw"),
            ("GET", "/v1/claims/01J/withdraw"),
            ("POST", "/v1/review/claims/01J"),
            ("POST", "/v1/claims/01J/approve"),
            ("POST", "/v1/claims/01J/withdraw/"),
            ("GET", "/opt-out"),
            ("GET", "/v1"),
            ("GET", "/"),
            ("POST", "/_local/seed"),
        ] {
            // WHEN each is matched against the table
            // THEN none finds a route
            assert!(find(method, path).is_none(), "{method} {path}");
        }
    }

    #[test]
    fn an_event_s_route_is_the_table_s_entry_of_its_route_key() {
        // GIVEN events as API Gateway sends them, with a route key
        let mut event = ApiGatewayV2httpRequest::default();
        event.route_key = Some("POST /v1/claims/{claim_id}/withdraw".into());
        // WHEN their route is looked up
        // THEN it is the table's entry, and an unknown or absent key has none
        assert_eq!(of(&event), Some(&WITHDRAW_CLAIM));
        event.route_key = Some("POST /v1/claims/{claim_id}/approve".into());
        assert_eq!(of(&event), None);
        event.route_key = Some("POST /v1/review/claims/{claim_id}/approve".into());
        assert_eq!(of(&event), Some(&APPROVE_CLAIM));
        event.route_key = None;
        assert_eq!(of(&event), None);
    }
}
