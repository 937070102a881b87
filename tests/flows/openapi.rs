//! The service's real answers match `openapi.yaml`: every documented status of every partner
//! route and customer page is produced through the local stack, and each answer's status,
//! content type, headers and body are checked against the description.

use cpor_tests::{
    ADATUM, Answer, CONTOSO, CONTOSO_SALES_SUBSCRIPTION, FABRIKAM, LITWARE, NORTHWIND, TestStack,
    claim_body, reference_data,
};
use jsonschema::Validator;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

/// The description, and the answers checked against it so far.
struct Description {
    doc: Value,
    validators: Mutex<HashMap<String, Validator>>,
    seen: Mutex<BTreeSet<(String, String, String)>>,
}

/// Escapes one JSON Pointer token, as it appears in a URI fragment (`$ref`).
fn token(text: &str) -> String {
    text.replace('~', "~0")
        .replace('/', "~1")
        .replace('{', "%7B")
        .replace('}', "%7D")
}

impl Description {
    fn load() -> Self {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");
        let text = std::fs::read_to_string(path).expect("openapi.yaml is readable");
        let doc: Value = serde_yaml_ng::from_str(&text).expect("openapi.yaml is YAML");
        assert_eq!(doc["openapi"], "3.1.0");
        Self {
            doc,
            validators: Mutex::new(HashMap::new()),
            seen: Mutex::new(BTreeSet::new()),
        }
    }

    /// Validates `value` against the schema at `pointer` in the description. The schema is the
    /// whole description with a `$ref` to that place, so `#/components/...` references resolve.
    fn validate(&self, pointer: &str, value: &Value) -> Result<(), String> {
        let mut validators = self.validators.lock().expect("not poisoned");
        if !validators.contains_key(pointer) {
            let mut root = self.doc.clone();
            root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
            root["$ref"] = json!(format!("#{pointer}"));
            let validator = jsonschema::options()
                .should_validate_formats(true)
                .build(&root)
                .map_err(|e| format!("the schema at {pointer} does not compile: {e}"))?;
            validators.insert(pointer.to_owned(), validator);
        }
        let errors: Vec<String> = validators[pointer]
            .iter_errors(value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    /// Follows a `$ref` to `#/components/...`, returning the object and its pointer.
    fn resolve<'a>(&'a self, node: &'a Value, pointer: String) -> (&'a Value, String) {
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let target = reference.trim_start_matches('#').to_owned();
                let resolved = self
                    .doc
                    .pointer(&target.replace("%7B", "{").replace("%7D", "}"))
                    .unwrap_or_else(|| panic!("{reference} is not in the description"));
                (resolved, target)
            }
            None => (node, pointer),
        }
    }

    /// Checks one answer of `method template` against the description; panics naming every
    /// contradiction.
    fn check(&self, method: &str, template: &str, answer: &Answer) {
        let method = method.to_ascii_lowercase();
        let status = answer.status.as_u16().to_string();
        let what = format!("{} {template} answered {status}", method.to_uppercase());
        let operation_pointer = format!("/paths/{}/{method}", token(template));
        let operation = self
            .doc
            .pointer(&operation_pointer.replace("%7B", "{").replace("%7D", "}"))
            .unwrap_or_else(|| panic!("{what}: the operation is not described"));
        let response_pointer = format!("{operation_pointer}/responses/{status}");
        let response = operation["responses"].get(&status).unwrap_or_else(|| {
            panic!(
                "{what}: status not documented for this operation\n{}",
                answer.text
            )
        });
        let (response, response_pointer) = self.resolve(response, response_pointer);
        let mut problems = Vec::new();

        // Headers: every required one is there, and each documented one matches its schema.
        if let Some(headers) = response.get("headers").and_then(Value::as_object) {
            for (name, header) in headers {
                let (header, header_pointer) = self.resolve(
                    header,
                    format!("{response_pointer}/headers/{}", token(name)),
                );
                match answer.header(name) {
                    Some(value) => {
                        if let Err(e) =
                            self.validate(&format!("{header_pointer}/schema"), &json!(value))
                        {
                            problems.push(format!("header {name}: {e}"));
                        }
                    }
                    None if header["required"] == true => {
                        problems.push(format!("the required header {name} is missing"));
                    }
                    None => {}
                }
            }
        }

        // Body: of a documented media type, and valid against its schema; none when none is.
        match response.get("content").and_then(Value::as_object) {
            None => {
                if !answer.text.is_empty() {
                    problems.push(format!("a body where none is documented: {}", answer.text));
                }
            }
            Some(content) => {
                let media_type = answer
                    .header("content-type")
                    .unwrap_or_default()
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase();
                if content.contains_key(&media_type) {
                    let schema_pointer =
                        format!("{response_pointer}/content/{}/schema", token(&media_type));
                    let body = if media_type.ends_with("json") {
                        serde_json::from_str(&answer.text).unwrap_or_else(|_| {
                            problems.push(format!("the body is not JSON: {}", answer.text));
                            Value::Null
                        })
                    } else {
                        json!(answer.text)
                    };
                    if let Err(e) = self.validate(&schema_pointer, &body) {
                        problems.push(format!("body: {e}\n{}", answer.text));
                    }
                } else {
                    problems.push(format!(
                        "content type {media_type:?} is not one of {:?}",
                        content.keys().collect::<Vec<_>>()
                    ));
                }
            }
        }
        assert!(
            problems.is_empty(),
            "{what}, contradicting openapi.yaml:\n- {}",
            problems.join("\n- ")
        );
        self.seen
            .lock()
            .expect("not poisoned")
            .insert((template.to_owned(), method, status));
    }

    /// Every (path, method, status) documented for the operations with `tag` on the paths
    /// `covers` accepts.
    fn documented(
        &self,
        tag: &str,
        covers: impl Fn(&str) -> bool,
    ) -> BTreeSet<(String, String, String)> {
        let mut all = BTreeSet::new();
        for (path, item) in self.doc["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let tagged = operation["tags"]
                    .as_array()
                    .is_some_and(|tags| tags.iter().any(|t| t == tag));
                if !tagged || !covers(path) {
                    continue;
                }
                for status in operation["responses"].as_object().into_iter().flatten() {
                    all.insert((path.clone(), method.clone(), status.0.clone()));
                }
            }
        }
        all
    }

    /// Fails naming every documented answer of `tag`, on the paths `covers` accepts, that no
    /// request produced.
    fn assert_covered(&self, tag: &str, covers: impl Fn(&str) -> bool) {
        let seen = self.seen.lock().expect("not poisoned");
        let missing: Vec<String> = self
            .documented(tag, covers)
            .difference(&seen)
            .map(|(path, method, status)| format!("{} {path} {status}", method.to_uppercase()))
            .collect();
        assert!(
            missing.is_empty(),
            "documented but never produced: {missing:?}"
        );
    }
}

/// A client whose every answer is checked against the description.
struct Checked<'a> {
    stack: &'a TestStack,
    description: &'a Description,
}

impl Checked<'_> {
    /// `GET path` (an instance of `template`).
    async fn get(&self, template: &str, path: &str, token: Option<&str>) -> Answer {
        let answer = self.stack.send(Method::GET, path, token, None, &[]).await;
        self.description.check("GET", template, &answer);
        answer
    }

    /// `POST path` with a JSON body, or none.
    async fn post(
        &self,
        template: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        self.post_with(template, path, token, body, &[]).await
    }

    /// `POST path` with a JSON body and headers.
    async fn post_with(
        &self,
        template: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let answer = self
            .stack
            .send(Method::POST, path, token, body, headers)
            .await;
        self.description.check("POST", template, &answer);
        answer
    }

    /// `DELETE path`.
    async fn delete(&self, template: &str, path: &str, token: Option<&str>) -> Answer {
        let answer = self
            .stack
            .send(Method::DELETE, path, token, None, &[])
            .await;
        self.description.check("DELETE", template, &answer);
        answer
    }

    /// `PUT path` with a JSON body, or none.
    async fn put(
        &self,
        template: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        let answer = self.stack.send(Method::PUT, path, token, body, &[]).await;
        self.description.check("PUT", template, &answer);
        answer
    }

    /// `POST path` with any body and content type.
    async fn post_raw(
        &self,
        template: &str,
        path: &str,
        token: &str,
        content_type: &str,
        body: String,
    ) -> Answer {
        self.raw(Method::POST, template, path, token, content_type, body)
            .await
    }

    /// `method path` with any body and content type.
    async fn raw(
        &self,
        method: Method,
        template: &str,
        path: &str,
        token: &str,
        content_type: &str,
        body: String,
    ) -> Answer {
        let response = self
            .stack
            .http
            .request(method.clone(), format!("{}{path}", self.stack.base))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("the gateway answers");
        let answer = Answer {
            status: response.status(),
            headers: response.headers().clone(),
            text: response.text().await.unwrap_or_default(),
        };
        self.description.check(method.as_str(), template, &answer);
        answer
    }
}

const CLAIMS: &str = "/v1/claims";
const CLAIM: &str = "/v1/claims/{claim_id}";
const WITHDRAW: &str = "/v1/claims/{claim_id}/withdraw";
const PAGE: &str = "/opt-out/{token}";
const UNKNOWN_TENANT: &str = "99999999-9999-4999-8999-999999999999";

/// An answer and the status and problem code it was meant to have ("" for no problem).
type Expected = (u16, &'static str, Answer);

#[tokio::test]
async fn every_documented_answer_of_the_partner_api_and_the_pages_matches_the_description() {
    // GIVEN the description and a fresh stack
    let description = Description::load();
    let stack = TestStack::start().await;
    let c = Checked {
        stack: &stack,
        description: &description,
    };
    let tokens = [
        stack.admin(FABRIKAM),
        stack.token(FABRIKAM, "incentives_user"),
        stack.token(FABRIKAM, "auditor"),
    ];
    let [admin_token, user, no_role] = tokens.each_ref().map(String::as_str);
    let (admin, user, no_role) = (Some(admin_token), Some(user), Some(no_role));
    let northwind = stack.admin(NORTHWIND);
    let adatum = stack.admin(ADATUM);
    let key = [("idempotency-key", "k-1")];

    // WHEN every answer of POST /v1/claims is produced
    let teams = claim_body("teams");
    let created = c.post_with(CLAIMS, CLAIMS, admin, Some(&teams), &key).await;
    let replayed = c.post_with(CLAIMS, CLAIMS, admin, Some(&teams), &key).await;
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    let claim_id = created.json()["claim_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut bizapps = claim_body("dynamics-sales");
    bizapps["program"] = json!("osu-bizapps");
    bizapps["subscription_id"] = json!(CONTOSO_SALES_SUBSCRIPTION);
    let mut invalid = claim_body("teams");
    invalid["tenant_id"] = json!("not-a-guid");
    invalid["customer_contact"]["email"] = json!("nope");
    invalid["colour"] = json!("blue");
    let mut unknown_tenant = claim_body("exchange");
    unknown_tenant["tenant_id"] = json!(UNKNOWN_TENANT);
    let mut wrong_domain = claim_body("exchange");
    wrong_domain["tenant_id"] = json!(LITWARE);
    let mut foreign_subscription = bizapps.clone();
    foreign_subscription["workload"] = json!("power-bi");
    foreign_subscription["subscription_id"] = json!(UNKNOWN_TENANT);
    let mut partners_inbox = claim_body("exchange");
    partners_inbox["customer_contact"]["email"] = json!("ops@fabrikam.com");
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(70_000));
    let submit: Vec<Expected> = vec![
        (201, "", created),
        (201, "", replayed),
        (201, "", c.post(CLAIMS, CLAIMS, admin, Some(&bizapps)).await),
        (
            400,
            "validation_failed",
            c.post(CLAIMS, CLAIMS, admin, Some(&invalid)).await,
        ),
        (
            400,
            "validation_failed",
            c.post_with(
                CLAIMS,
                CLAIMS,
                admin,
                Some(&teams),
                &[("idempotency-key", "")],
            )
            .await,
        ),
        (
            400,
            "malformed_json",
            c.post_raw(
                CLAIMS,
                CLAIMS,
                admin_token,
                "application/json",
                "{no".into(),
            )
            .await,
        ),
        (
            400,
            "malformed_json",
            c.post(CLAIMS, CLAIMS, admin, Some(&json!([1]))).await,
        ),
        (
            401,
            "unauthenticated",
            c.post(CLAIMS, CLAIMS, None, Some(&teams)).await,
        ),
        (
            401,
            "unauthenticated",
            c.post(CLAIMS, CLAIMS, Some("x.y.z"), Some(&teams)).await,
        ),
        (
            403,
            "forbidden",
            c.post(CLAIMS, CLAIMS, user, Some(&teams)).await,
        ),
        (
            409,
            "workload_already_claimed",
            c.post(CLAIMS, CLAIMS, admin, Some(&teams)).await,
        ),
        (
            409,
            "workload_already_claimed",
            c.post(CLAIMS, CLAIMS, Some(&northwind), Some(&teams)).await,
        ),
        (
            413,
            "payload_too_large",
            c.post_raw(CLAIMS, CLAIMS, admin_token, "application/json", big.clone())
                .await,
        ),
        (
            415,
            "unsupported_media_type",
            c.post_raw(CLAIMS, CLAIMS, admin_token, "text/plain", teams.to_string())
                .await,
        ),
        (
            422,
            "partner_not_enrolled",
            c.post(CLAIMS, CLAIMS, Some(&adatum), Some(&claim_body("exchange")))
                .await,
        ),
        (
            422,
            "unknown_tenant",
            c.post(CLAIMS, CLAIMS, admin, Some(&unknown_tenant)).await,
        ),
        (
            422,
            "domain_tenant_mismatch",
            c.post(CLAIMS, CLAIMS, admin, Some(&wrong_domain)).await,
        ),
        (
            422,
            "subscription_not_found",
            c.post(CLAIMS, CLAIMS, admin, Some(&foreign_subscription))
                .await,
        ),
        (
            422,
            "contact_domain_mismatch",
            c.post(CLAIMS, CLAIMS, admin, Some(&partners_inbox)).await,
        ),
        (
            422,
            "idempotency_key_reused",
            c.post_with(CLAIMS, CLAIMS, admin, Some(&claim_body("exchange")), &key)
                .await,
        ),
    ];

    // ... of GET /v1/claims, GET /v1/claims/{claim_id} and the withdrawal
    let first = c.get(CLAIMS, "/v1/claims?limit=1", user).await;
    let cursor = first.json()["next_cursor"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let filtered = format!(
        "/v1/claims?status=submitted&program=osu-m365&workload=teams&tenant_id={CONTOSO}\
         &limit=100&cursor={cursor}"
    );
    let one = format!("/v1/claims/{claim_id}");
    let withdraw = format!("/v1/claims/{claim_id}/withdraw");
    let unknown = "/v1/claims/01JDX3K2Z4W5Y6V7T8S9R0Q1P2/withdraw";
    let reason = json!({ "reason": "engagement ended" });
    let bad_reason = json!({ "reason": " ", "why": 1 });
    let bad_query = "/v1/claims?limit=0&status=pending&sort=asc";
    let manage: Vec<Expected> = vec![
        (200, "", first),
        (200, "", c.get(CLAIMS, &filtered, user).await),
        (
            400,
            "validation_failed",
            c.get(CLAIMS, bad_query, admin).await,
        ),
        (401, "unauthenticated", c.get(CLAIMS, CLAIMS, None).await),
        (403, "forbidden", c.get(CLAIMS, CLAIMS, no_role).await),
        (200, "", c.get(CLAIM, &one, user).await),
        (401, "unauthenticated", c.get(CLAIM, &one, None).await),
        (403, "forbidden", c.get(CLAIM, &one, no_role).await),
        (
            404,
            "claim_not_found",
            c.get(CLAIM, &one, Some(&northwind)).await,
        ),
        (
            404,
            "claim_not_found",
            c.get(CLAIM, "/v1/claims/nope", admin).await,
        ),
        (
            404,
            "route_not_found",
            c.get(CLAIM, "/v1/claims/", admin).await,
        ),
        (
            400,
            "validation_failed",
            c.post(WITHDRAW, &withdraw, admin, Some(&bad_reason)).await,
        ),
        (
            400,
            "malformed_json",
            c.post_raw(
                WITHDRAW,
                &withdraw,
                admin_token,
                "application/json",
                "\"x\"".into(),
            )
            .await,
        ),
        (
            401,
            "unauthenticated",
            c.post(WITHDRAW, &withdraw, None, Some(&reason)).await,
        ),
        (
            403,
            "forbidden",
            c.post(WITHDRAW, &withdraw, user, Some(&reason)).await,
        ),
        (
            404,
            "claim_not_found",
            c.post(WITHDRAW, unknown, admin, Some(&reason)).await,
        ),
        (
            413,
            "payload_too_large",
            c.post_raw(WITHDRAW, &withdraw, admin_token, "application/json", big)
                .await,
        ),
        (
            415,
            "unsupported_media_type",
            c.post_raw(WITHDRAW, &withdraw, admin_token, "text/plain", "x".into())
                .await,
        ),
        (
            200,
            "",
            c.post(WITHDRAW, &withdraw, admin, Some(&reason)).await,
        ),
        (
            409,
            "claim_already_final",
            c.post(WITHDRAW, &withdraw, admin, Some(&reason)).await,
        ),
        (200, "", c.get(CLAIM, &one, user).await),
    ];

    // ... of the customer pages
    let (_, link) = stack.notified_claim(FABRIKAM, &claim_body("intune")).await;
    let page = link
        .find("/opt-out/")
        .map(|i| link[i..].to_owned())
        .unwrap_or_default();
    let bad_link = "/opt-out/not.a-token";
    let pages: Vec<Expected> = vec![
        (200, "", c.get(PAGE, &page, None).await),
        (303, "", c.post(PAGE, &page, None, None).await),
        (404, "", c.get(PAGE, bad_link, None).await),
        (404, "", c.post(PAGE, bad_link, None, None).await),
    ];

    // ... of the local-only routes that a test can reach
    let now = json!({ "now": "2026-12-31T00:00:00Z" });
    let local: Vec<Expected> = vec![
        (
            200,
            "",
            c.get("/_local/outbox", "/_local/outbox", None).await,
        ),
        (
            200,
            "",
            c.post("/_local/finalize", "/_local/finalize", None, Some(&now))
                .await,
        ),
        (
            400,
            "validation_failed",
            c.post(
                "/_local/finalize",
                "/_local/finalize",
                None,
                Some(&json!({ "now": 1 })),
            )
            .await,
        ),
        (
            204,
            "",
            c.post(
                "/_local/seed",
                "/_local/seed",
                None,
                Some(&reference_data()),
            )
            .await,
        ),
        (
            400,
            "validation_failed",
            c.post(
                "/_local/seed",
                "/_local/seed",
                None,
                Some(&json!({ "partners": 3 })),
            )
            .await,
        ),
    ];

    // ... and, once a dependency fails (the table is gone), 503 everywhere
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await);
    dynamo
        .delete_table()
        .table_name(&stack.settings().table)
        .send()
        .await
        .expect("the table is deleted");
    let windows = claim_body("windows");
    let unavailable: Vec<Expected> = vec![
        (
            503,
            "service_unavailable",
            c.post(CLAIMS, CLAIMS, admin, Some(&windows)).await,
        ),
        (
            503,
            "service_unavailable",
            c.get(CLAIMS, CLAIMS, admin).await,
        ),
        (503, "service_unavailable", c.get(CLAIM, &one, admin).await),
        (
            503,
            "service_unavailable",
            c.post(WITHDRAW, &withdraw, admin, Some(&reason)).await,
        ),
        (503, "", c.get(PAGE, &page, None).await),
        (503, "", c.post(PAGE, &page, None, None).await),
    ];

    // THEN each answer had the intended status and code (and matched the description)
    for (status, code, answer) in [submit, manage, pages, local, unavailable].iter().flatten() {
        assert_eq!(answer.status.as_u16(), *status, "{}", answer.text);
        if !code.is_empty() {
            assert_eq!(answer.code(), *code, "{}", answer.text);
        }
    }
    // AND every documented answer of the partner API (its moves on claims in review apart:
    // the next test) and of the pages was produced
    description.assert_covered("claims", |path| !is_move_in_review(path));
    description.assert_covered("customer-pages", |_| true);
    stack.stop().await;
}

const RESPOND: &str = "/v1/claims/{claim_id}/respond";
const DISPUTE: &str = "/v1/claims/{claim_id}/dispute";
const PROOF: &str = "/v1/claims/{claim_id}/proof";
const CONTACT: &str = "/v1/claims/{claim_id}/customer-contact";
const QUEUE: &str = "/v1/review/claims";
const REVIEWED: &str = "/v1/review/claims/{claim_id}";
const PARTNER_OF_RECORD: &str = "/v1/review/partner-of-record";
const APPROVE: &str = "/v1/review/claims/{claim_id}/approve";
const REQUEST_INFORMATION: &str = "/v1/review/claims/{claim_id}/request-information";
const REJECT: &str = "/v1/review/claims/{claim_id}/reject";

/// The partner's moves on a claim in review (respond, dispute, proof, a corrected contact).
fn is_move_in_review(path: &str) -> bool {
    [RESPOND, DISPUTE, PROOF, CONTACT].contains(&path)
}

#[tokio::test]
async fn every_documented_answer_of_the_review_and_of_the_partner_s_moves_matches_the_description()
{
    // GIVEN the description and a fresh stack under the manual review policy
    let description = Description::load();
    let stack = TestStack::start_manual().await;
    let c = Checked {
        stack: &stack,
        description: &description,
    };
    let tokens = [
        stack.admin(FABRIKAM),
        stack.token(FABRIKAM, "incentives_user"),
        stack.reviewer_token("reviewer-1"),
        stack.admin(NORTHWIND),
    ];
    let [admin_token, user, reviewer_token, northwind] = tokens.each_ref().map(String::as_str);
    let (admin, user, reviewer, northwind) = (
        Some(admin_token),
        Some(user),
        Some(reviewer_token),
        Some(northwind),
    );
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(70_000));
    let path = |template: &str, id: &str| template.replace("{claim_id}", id);
    let id_of = |answer: &Answer| {
        answer.json()["claim_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    // Claims for each move: one asked for information, one rejected, one in review.
    let asked = id_of(&stack.submit(FABRIKAM, &claim_body("teams")).await);
    let rejected = id_of(&stack.submit(FABRIKAM, &claim_body("exchange")).await);
    let in_review = id_of(&stack.submit(FABRIKAM, &claim_body("intune")).await);
    let unknown = "01JDX3K2Z4W5Y6V7T8S9R0Q1P2";
    let days_ago =
        |days: u64| (chrono::Utc::now().date_naive() - chrono::Days::new(days)).to_string();
    let older_proof = json!({ "reference": "SOW-0", "signed_on": days_ago(40) });
    let newer_proof = json!({ "reference": "SOW-2", "signed_on": days_ago(1) });
    let information = json!({ "codes": ["missing_customer_signature"], "message": "Please sign." });
    let rejection = json!({ "code": "wrong_program", "message": "Not this program." });

    // WHEN every answer of the review API is produced
    let review: Vec<Expected> = vec![
        (200, "", c.get(QUEUE, QUEUE, reviewer).await),
        (
            200,
            "",
            c.get(
                QUEUE,
                "/v1/review/claims?status=submitted&program=osu-m365&limit=1",
                reviewer,
            )
            .await,
        ),
        (
            400,
            "validation_failed",
            c.get(QUEUE, "/v1/review/claims?limit=0", reviewer).await,
        ),
        (401, "unauthenticated", c.get(QUEUE, QUEUE, None).await),
        (403, "forbidden", c.get(QUEUE, QUEUE, admin).await),
        (
            200,
            "",
            c.get(REVIEWED, &path(REVIEWED, &asked), reviewer).await,
        ),
        (
            401,
            "unauthenticated",
            c.get(REVIEWED, &path(REVIEWED, &asked), None).await,
        ),
        (
            403,
            "forbidden",
            c.get(REVIEWED, &path(REVIEWED, &asked), admin).await,
        ),
        (
            404,
            "claim_not_found",
            c.get(REVIEWED, &path(REVIEWED, unknown), reviewer).await,
        ),
        (
            200,
            "",
            c.post(
                REQUEST_INFORMATION,
                &path(REQUEST_INFORMATION, &asked),
                reviewer,
                Some(&information),
            )
            .await,
        ),
        (
            200,
            "",
            c.post(REJECT, &path(REJECT, &rejected), reviewer, Some(&rejection))
                .await,
        ),
    ];
    let mut decisions: Vec<Expected> = Vec::new();
    for (template, body) in [
        (APPROVE, json!({ "comment": "ok" })),
        (REQUEST_INFORMATION, information.clone()),
        (REJECT, rejection.clone()),
    ] {
        let on = |id: &str| path(template, id);
        decisions.extend([
            (
                400,
                "validation_failed",
                c.post(
                    template,
                    &on(&in_review),
                    reviewer,
                    Some(&json!({ "codes": 1 })),
                )
                .await,
            ),
            (
                400,
                "malformed_json",
                c.post_raw(
                    template,
                    &on(&in_review),
                    reviewer_token,
                    "application/json",
                    "[".into(),
                )
                .await,
            ),
            (
                401,
                "unauthenticated",
                c.post(template, &on(&in_review), None, Some(&body)).await,
            ),
            (
                403,
                "forbidden",
                c.post(template, &on(&in_review), admin, Some(&body)).await,
            ),
            (
                404,
                "claim_not_found",
                c.post(template, &on(unknown), reviewer, Some(&body)).await,
            ),
            (
                409,
                "invalid_transition",
                c.post(template, &on(&rejected), reviewer, Some(&body))
                    .await,
            ),
            (
                413,
                "payload_too_large",
                c.post_raw(
                    template,
                    &on(&in_review),
                    reviewer_token,
                    "application/json",
                    big.clone(),
                )
                .await,
            ),
            (
                415,
                "unsupported_media_type",
                c.post_raw(
                    template,
                    &on(&in_review),
                    reviewer_token,
                    "text/plain",
                    "{}".into(),
                )
                .await,
            ),
        ]);
    }

    // ... and of the partner's moves
    let respond = json!({ "message": "Signed SOW attached." });
    let dispute = json!({ "justification": "The SOW was signed." });
    let mut moves: Vec<Expected> = Vec::new();
    for (template, id, body) in [
        (RESPOND, &asked, respond.clone()),
        (DISPUTE, &rejected, dispute.clone()),
        (PROOF, &in_review, newer_proof.clone()),
    ] {
        let on = |id: &str| path(template, id);
        let mut older = body.clone();
        if template == PROOF {
            older = older_proof.clone();
        } else {
            older["proof_of_execution"] = older_proof.clone();
        }
        moves.extend([
            (
                400,
                "validation_failed",
                c.post(template, &on(id), admin, Some(&json!({ "x": 1 })))
                    .await,
            ),
            (
                400,
                "malformed_json",
                c.post_raw(
                    template,
                    &on(id),
                    admin_token,
                    "application/json",
                    "[".into(),
                )
                .await,
            ),
            (
                401,
                "unauthenticated",
                c.post(template, &on(id), None, Some(&body)).await,
            ),
            (
                403,
                "forbidden",
                c.post(template, &on(id), user, Some(&body)).await,
            ),
            (
                403,
                "forbidden",
                c.post(template, &on(id), reviewer, Some(&body)).await,
            ),
            (
                404,
                "claim_not_found",
                c.post(template, &on(id), northwind, Some(&body)).await,
            ),
            (
                413,
                "payload_too_large",
                c.post_raw(
                    template,
                    &on(id),
                    admin_token,
                    "application/json",
                    big.clone(),
                )
                .await,
            ),
            (
                415,
                "unsupported_media_type",
                c.post_raw(template, &on(id), admin_token, "text/plain", "{}".into())
                    .await,
            ),
            (
                422,
                "proof_not_newer",
                c.post(template, &on(id), admin, Some(&older)).await,
            ),
            (200, "", c.post(template, &on(id), admin, Some(&body)).await),
        ]);
    }
    // (each has moved on: a move its status no longer allows)
    moves.extend([
        (
            409,
            "invalid_transition",
            c.post(RESPOND, &path(RESPOND, &asked), admin, Some(&respond))
                .await,
        ),
        (
            409,
            "invalid_transition",
            c.post(DISPUTE, &path(DISPUTE, &in_review), admin, Some(&dispute))
                .await,
        ),
    ]);
    // ... and of a corrected contact (of the claim in review; the rejected one refuses it)
    let contact = json!({ "name": "Marco Bianchi", "email": "marco@contoso.com" });
    let on = |id: &str| path(CONTACT, id);
    moves.extend([
        (
            400,
            "validation_failed",
            c.put(CONTACT, &on(&in_review), admin, Some(&json!({ "x": 1 })))
                .await,
        ),
        (
            400,
            "malformed_json",
            c.raw(
                Method::PUT,
                CONTACT,
                &on(&in_review),
                admin_token,
                "application/json",
                "[".into(),
            )
            .await,
        ),
        (
            401,
            "unauthenticated",
            c.put(CONTACT, &on(&in_review), None, Some(&contact)).await,
        ),
        (
            403,
            "forbidden",
            c.put(CONTACT, &on(&in_review), user, Some(&contact)).await,
        ),
        (
            404,
            "claim_not_found",
            c.put(CONTACT, &on(&in_review), northwind, Some(&contact))
                .await,
        ),
        (
            409,
            "invalid_transition",
            c.put(CONTACT, &on(&rejected), admin, Some(&contact)).await,
        ),
        (
            422,
            "contact_domain_mismatch",
            c.put(
                CONTACT,
                &on(&in_review),
                admin,
                Some(&json!({ "name": "Ops", "email": "ops@fabrikam.com" })),
            )
            .await,
        ),
        (
            413,
            "payload_too_large",
            c.raw(
                Method::PUT,
                CONTACT,
                &on(&in_review),
                admin_token,
                "application/json",
                big.clone(),
            )
            .await,
        ),
        (
            415,
            "unsupported_media_type",
            c.raw(
                Method::PUT,
                CONTACT,
                &on(&in_review),
                admin_token,
                "text/plain",
                "{}".into(),
            )
            .await,
        ),
        (
            200,
            "",
            c.put(CONTACT, &on(&in_review), admin, Some(&contact)).await,
        ),
    ]);
    // (claims whose partner made 50 entries of their history: every move is 429)
    let full = |workload: &'static str| {
        let stack = &stack;
        async move {
            let id = id_of(&stack.submit(FABRIKAM, &claim_body(workload)).await);
            for n in 0..49 {
                let again = json!({ "name": format!("Contact {n}"), "email": "it@contoso.com" });
                let answer = stack.correct_contact(FABRIKAM, &id, &again).await;
                assert_eq!(answer.status, 200, "{}", answer.text);
            }
            id
        }
    };
    let (full_asked, full_rejected) = (full("sharepoint").await, full("onedrive").await);
    let asked_again = stack
        .decide(
            "reviewer-1",
            &full_asked,
            "request-information",
            &information,
        )
        .await;
    assert_eq!(asked_again.status, 200, "{}", asked_again.text);
    let rejected_again = stack
        .decide("reviewer-1", &full_rejected, "reject", &rejection)
        .await;
    assert_eq!(rejected_again.status, 200, "{}", rejected_again.text);
    moves.extend([
        (
            429,
            "too_many_changes",
            c.post(RESPOND, &path(RESPOND, &full_asked), admin, Some(&respond))
                .await,
        ),
        (
            429,
            "too_many_changes",
            c.post(PROOF, &path(PROOF, &full_asked), admin, Some(&newer_proof))
                .await,
        ),
        (
            429,
            "too_many_changes",
            c.put(CONTACT, &path(CONTACT, &full_asked), admin, Some(&contact))
                .await,
        ),
        (
            429,
            "too_many_changes",
            c.post(
                DISPUTE,
                &path(DISPUTE, &full_rejected),
                admin,
                Some(&dispute),
            )
            .await,
        ),
    ]);
    // (a rejection that ended a dispute: no more proof)
    let final_rejection = stack
        .decide("reviewer-1", &rejected, "reject", &rejection)
        .await;
    assert_eq!(final_rejection.status, 200, "{}", final_rejection.text);
    moves.push((
        409,
        "invalid_transition",
        c.post(PROOF, &path(PROOF, &rejected), admin, Some(&newer_proof))
            .await,
    ));

    // (the claim answered is back in review, and approved)
    moves.push((
        200,
        "",
        c.post(APPROVE, &path(APPROVE, &asked), reviewer, Some(&json!({})))
            .await,
    ));

    // (the approved claim becomes official: its unit has a partner of record; another has none)
    let notified = stack
        .wait_for_status(FABRIKAM, &asked, "awaiting_customer")
        .await;
    let deadline = cpor_tests::instant(&notified["opt_out_deadline"]);
    let run = stack
        .finalize(deadline + chrono::TimeDelta::milliseconds(1))
        .await;
    assert_eq!(run.status, 200, "{}", run.text);
    let unit =
        |workload: &str| format!("{PARTNER_OF_RECORD}?tenant_id={CONTOSO}&workload={workload}");
    let teams = unit("teams");
    moves.extend([
        (200, "", c.get(PARTNER_OF_RECORD, &teams, reviewer).await),
        (
            404,
            "no_partner_of_record",
            c.get(PARTNER_OF_RECORD, &unit("windows"), reviewer).await,
        ),
        (
            400,
            "validation_failed",
            c.get(PARTNER_OF_RECORD, PARTNER_OF_RECORD, reviewer).await,
        ),
        (401, "", c.get(PARTNER_OF_RECORD, &teams, None).await),
        (
            403,
            "forbidden",
            c.get(PARTNER_OF_RECORD, &teams, admin).await,
        ),
    ]);

    // ... and, once a dependency fails (the table is gone), 503 on each route
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await);
    dynamo
        .delete_table()
        .table_name(&stack.settings().table)
        .send()
        .await
        .expect("the table is deleted");
    let mut unavailable: Vec<Expected> = vec![
        (
            503,
            "service_unavailable",
            c.get(QUEUE, QUEUE, reviewer).await,
        ),
        (
            503,
            "service_unavailable",
            c.get(PARTNER_OF_RECORD, &teams, reviewer).await,
        ),
        (
            503,
            "service_unavailable",
            c.get(REVIEWED, &path(REVIEWED, &asked), reviewer).await,
        ),
    ];
    for (template, body) in [
        (APPROVE, json!({})),
        (REQUEST_INFORMATION, information.clone()),
        (REJECT, rejection.clone()),
    ] {
        unavailable.push((
            503,
            "service_unavailable",
            c.post(template, &path(template, &asked), reviewer, Some(&body))
                .await,
        ));
    }
    for (template, body) in [(RESPOND, respond), (DISPUTE, dispute), (PROOF, newer_proof)] {
        unavailable.push((
            503,
            "service_unavailable",
            c.post(template, &path(template, &asked), admin, Some(&body))
                .await,
        ));
    }
    unavailable.push((
        503,
        "service_unavailable",
        c.put(CONTACT, &path(CONTACT, &asked), admin, Some(&contact))
            .await,
    ));

    // THEN each answer had the intended status and code (and matched the description)
    for (status, code, answer) in [review, decisions, moves, unavailable].iter().flatten() {
        assert_eq!(answer.status.as_u16(), *status, "{}", answer.text);
        if !code.is_empty() {
            assert_eq!(answer.code(), *code, "{}", answer.text);
        }
    }
    // AND every documented answer of the review API and of the moves was produced
    description.assert_covered("review", |_| true);
    description.assert_covered("claims", is_move_in_review);
    stack.stop().await;
}

#[test]
fn the_described_time_zones_are_the_service_s_zone_database() {
    let d = Description::load();
    let described: BTreeSet<&str> = d.doc["components"]["schemas"]["TimeZone"]["enum"]
        .as_array()
        .expect("TimeZone has an enum")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let known: BTreeSet<&str> = cpor_domain::zone::Zone::names().collect();
    assert_eq!(described, known);
}

#[test]
fn the_description_refuses_exactly_the_names_the_service_refuses() {
    // GIVEN the names' schema and the service's own rule
    let d = Description::load();
    let schema = "/components/schemas/PersonName";
    assert_eq!(
        d.doc.pointer("/components/schemas/PersonName/not/pattern"),
        Some(&json!(cpor_domain::contact::LINK_OR_ADDRESS))
    );
    // WHEN names with and without links are checked by both
    for name in [
        "Giulia Rossi",
        "St.John Smith",
        "J. R. R. Tolkien",
        "ö·@2ñĦp",
        "Rossi @ Contoso",
        "Win at evil.example",
        "giulia@contoso.com",
        "see https://x",
        "www.example",
        "Claim at evil.co.uk/prize",
        "Anne.marie",
    ] {
        // THEN they agree
        let described = d.validate(schema, &json!(name)).is_ok();
        let served = cpor_domain::contact::CustomerContact::read(
            &cpor_domain::validation::ObjectReader::new(
                json!({ "name": name, "email": "a@b.example" })
                    .as_object()
                    .expect("an object"),
            ),
            &mut cpor_domain::validation::ValidationErrors::default(),
        )
        .is_some();
        assert_eq!(described, served, "{name:?}");
    }
}

#[test]
fn an_answer_that_contradicts_the_description_is_caught() {
    // GIVEN the description and a claim answer missing a required member
    let d = Description::load();
    let claim_schema = "/components/schemas/Claim";
    let good = json!({
        "claim_id": "01JDX3K2Z4W5Y6V7T8S9R0Q1P2", "partner_id": "1234567",
        "partner_name": "Fabrikam Consulting", "tenant_id": CONTOSO,
        "customer_domain": "contoso.onmicrosoft.com", "program": "osu-m365", "workload": "teams",
        "subscription_id": null, "status": "submitted", "created_at": "2026-11-25T10:00:00.000Z",
        "notified_at": null, "opt_out_deadline": null, "decided_at": null,
        "customer_contact": { "name": "Giulia", "email": "giulia@contoso.com", "title": null,
                              "locale": "it", "time_zone": "Europe/Rome" },
        "partner_contact": { "name": "Sam Lee", "email": "sam@fabrikam.com" },
        "proof_of_execution": { "reference": "SOW-1", "signed_on": "2026-10-01" },
        "review": { "information_request": null, "response_due": null, "rejection": null,
                    "dispute_until": null },
        "customer_notification": { "status": "not_sent", "sent_at": null, "bounced_at": null },
        "association": null,
        "documents": []
    });
    assert_eq!(d.validate(claim_schema, &good), Ok(()));
    // THEN each contradiction is refused
    for (member, value) in [
        ("status", json!("pending")),
        ("created_at", json!("yesterday")),
        ("workload", json!("minecraft")),
        ("history", json!([])),
    ] {
        let mut bad = good.clone();
        bad[member] = value;
        assert!(d.validate(claim_schema, &bad).is_err(), "{member}");
    }
    let mut missing = good.clone();
    missing.as_object_mut().map(|o| o.remove("partner_name"));
    assert!(d.validate(claim_schema, &missing).is_err());
}

const DOCUMENTS: &str = "/v1/claims/{claim_id}/documents";
const DOCUMENT: &str = "/v1/claims/{claim_id}/documents/{document_id}";

#[tokio::test]
async fn every_documented_answer_of_the_documents_matches_the_description() {
    // GIVEN the description, a stack, a claim of Fabrikam's and a withdrawn one
    let description = Description::load();
    let stack = TestStack::start().await;
    let c = Checked {
        stack: &stack,
        description: &description,
    };
    let tokens = [
        stack.admin(FABRIKAM),
        stack.token(FABRIKAM, "incentives_user"),
        stack.admin(NORTHWIND),
    ];
    let [admin_token, user, northwind] = tokens.each_ref().map(String::as_str);
    let (admin, user, northwind) = (Some(admin_token), Some(user), Some(northwind));
    let id_of = |answer: &Answer| {
        answer.json()["claim_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let claim = id_of(&stack.submit(FABRIKAM, &claim_body("teams")).await);
    let withdrawn = id_of(&stack.submit(FABRIKAM, &claim_body("exchange")).await);
    stack.withdraw(FABRIKAM, &withdrawn, "ended").await;
    let full = id_of(&stack.submit(FABRIKAM, &claim_body("intune")).await);
    let on = |id: &str| DOCUMENTS.replace("{claim_id}", id);
    let pdf = cpor_tests::pdf_bytes(100);
    let body =
        json!({ "file_name": "sow.pdf", "content_type": "application/pdf", "size": pdf.len() });
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(70_000));

    // WHEN every answer is produced
    let created = c.post(DOCUMENTS, &on(&claim), admin, Some(&body)).await;
    stack.upload(&created.json(), pdf).await;
    let document_id = created.json()["document_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    stack
        .wait_for_document(FABRIKAM, &claim, &document_id, "uploaded")
        .await;
    let link = DOCUMENT
        .replace("{claim_id}", &claim)
        .replace("{document_id}", &document_id);
    for _ in 0..10 {
        c.post(DOCUMENTS, &on(&full), admin, Some(&body)).await;
    }
    let pending = c.post(DOCUMENTS, &on(&claim), admin, Some(&body)).await;
    let pending = DOCUMENT.replace("{claim_id}", &claim).replace(
        "{document_id}",
        pending.json()["document_id"].as_str().unwrap_or_default(),
    );
    let mut answers: Vec<Expected> = vec![
        (201, "", created),
        (
            400,
            "validation_failed",
            c.post(DOCUMENTS, &on(&claim), admin, Some(&json!({ "size": 0 })))
                .await,
        ),
        (
            401,
            "unauthenticated",
            c.post(DOCUMENTS, &on(&claim), None, Some(&body)).await,
        ),
        (
            403,
            "forbidden",
            c.post(DOCUMENTS, &on(&claim), user, Some(&body)).await,
        ),
        (
            404,
            "claim_not_found",
            c.post(DOCUMENTS, &on(&claim), northwind, Some(&body)).await,
        ),
        (
            409,
            "claim_already_final",
            c.post(DOCUMENTS, &on(&withdrawn), admin, Some(&body)).await,
        ),
        (
            413,
            "payload_too_large",
            c.post_raw(DOCUMENTS, &on(&claim), admin_token, "application/json", big)
                .await,
        ),
        (
            415,
            "unsupported_media_type",
            c.post_raw(
                DOCUMENTS,
                &on(&claim),
                admin_token,
                "text/plain",
                "{}".into(),
            )
            .await,
        ),
        (
            422,
            "too_many_documents",
            c.post(DOCUMENTS, &on(&full), admin, Some(&body)).await,
        ),
        (303, "", c.get(DOCUMENT, &link, admin).await),
        (401, "unauthenticated", c.get(DOCUMENT, &link, None).await),
        (
            403,
            "forbidden",
            c.get(DOCUMENT, &link, Some(&stack.token(FABRIKAM, "auditor")))
                .await,
        ),
        (
            404,
            "document_not_found",
            c.get(DOCUMENT, &link, northwind).await,
        ),
        (204, "", c.delete(DOCUMENT, &pending, admin).await),
        (
            401,
            "unauthenticated",
            c.delete(DOCUMENT, &pending, None).await,
        ),
        (403, "forbidden", c.delete(DOCUMENT, &link, user).await),
        (
            404,
            "document_not_found",
            c.delete(DOCUMENT, &pending, admin).await,
        ),
        (
            404,
            "claim_not_found",
            c.delete(DOCUMENT, &link, northwind).await,
        ),
        (
            409,
            "document_already_uploaded",
            c.delete(DOCUMENT, &link, admin).await,
        ),
    ];
    // ... and, once the table is gone, 503 on each
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await);
    dynamo
        .delete_table()
        .table_name(&stack.settings().table)
        .send()
        .await
        .expect("the table is deleted");
    answers.push((
        503,
        "service_unavailable",
        c.post(DOCUMENTS, &on(&claim), admin, Some(&body)).await,
    ));
    answers.push((
        503,
        "service_unavailable",
        c.get(DOCUMENT, &link, admin).await,
    ));
    answers.push((
        503,
        "service_unavailable",
        c.delete(DOCUMENT, &link, admin).await,
    ));

    // THEN each had its status and code, and every documented answer was produced
    for (status, code, answer) in &answers {
        assert_eq!(answer.status.as_u16(), *status, "{}", answer.text);
        if !code.is_empty() {
            assert_eq!(answer.code(), *code, "{}", answer.text);
        }
    }
    description.assert_covered("documents", |_| true);
    stack.stop().await;
}

const EXPORTS: &str = "/v1/exports";
const EXPORT: &str = "/v1/exports/{export_id}";
const LEDGER_EXPORTS: &str = "/v1/review/exports";
const LEDGER_EXPORT: &str = "/v1/review/exports/{export_id}";

/// Waits until the export at `path` is no longer running (unchecked reads), or fails after 60 s.
async fn export_ended(stack: &TestStack, path: &str, token: &str) {
    let started = std::time::Instant::now();
    while stack
        .send(Method::GET, path, Some(token), None, &[])
        .await
        .json()["status"]
        == "running"
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the export never ended"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn every_documented_answer_of_the_exports_matches_the_description() {
    // GIVEN the description, a stack and a claim of Fabrikam's
    let description = Description::load();
    let stack = TestStack::start().await;
    let c = Checked {
        stack: &stack,
        description: &description,
    };
    let tokens = [
        stack.token(FABRIKAM, "incentives_user"),
        stack.token(FABRIKAM, "auditor"),
        stack.reviewer_token("reviewer-1"),
        stack.admin(NORTHWIND),
    ];
    let [user_token, no_role, reviewer_token, northwind] = tokens.each_ref().map(String::as_str);
    let (user, reviewer) = (Some(user_token), Some(reviewer_token));
    stack.submit(FABRIKAM, &claim_body("teams")).await;
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(70_000));
    let claims = json!({ "kind": "claims", "status": "approved", "format": "csv" });
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let ledger = json!({ "kind": "associations", "month": month, "format": "jsonl" });
    let id_of = |answer: &Answer| {
        answer.json()["export_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };

    // WHEN every answer of the exports is produced: asked for, read running and ready, refused
    let asked = c.post(EXPORTS, EXPORTS, user, Some(&claims)).await;
    let partner_export = EXPORT.replace("{export_id}", &id_of(&asked));
    let asked_ledger = c
        .post(LEDGER_EXPORTS, LEDGER_EXPORTS, reviewer, Some(&ledger))
        .await;
    let vendor_export = LEDGER_EXPORT.replace("{export_id}", &id_of(&asked_ledger));
    let mut answers: Vec<Expected> = vec![(202, "", asked), (202, "", asked_ledger)];
    export_ended(&stack, &partner_export, user_token).await;
    export_ended(&stack, &vendor_export, reviewer_token).await;
    let unknown = "01JDX3K2Z4W5Y6V7T8S9R0Q1P2";
    for (template, post, read, token, body, other) in [
        (
            EXPORTS,
            EXPORT,
            &partner_export,
            user_token,
            &claims,
            Some(northwind),
        ),
        // (no other owner may read the vendor's: a partner's token is refused, 403, below)
        (
            LEDGER_EXPORTS,
            LEDGER_EXPORT,
            &vendor_export,
            reviewer_token,
            &ledger,
            None,
        ),
    ] {
        let ready = c.get(post, read, Some(token)).await;
        assert_eq!(ready.json()["status"], "ready", "{}", ready.text);
        assert!(ready.json()["download_url"].is_string(), "{}", ready.text);
        answers.extend([
            (200, "", ready),
            (
                400,
                "validation_failed",
                c.post(
                    template,
                    template,
                    Some(token),
                    Some(&json!({ "kind": "x" })),
                )
                .await,
            ),
            (
                400,
                "malformed_json",
                c.post(template, template, Some(token), Some(&json!([])))
                    .await,
            ),
            (
                401,
                "unauthenticated",
                c.post(template, template, None, Some(body)).await,
            ),
            (401, "unauthenticated", c.get(post, read, None).await),
            (
                413,
                "payload_too_large",
                c.post_raw(template, template, token, "application/json", big.clone())
                    .await,
            ),
            (
                415,
                "unsupported_media_type",
                c.post_raw(template, template, token, "text/plain", body.to_string())
                    .await,
            ),
            (
                404,
                "export_not_found",
                c.get(post, &post.replace("{export_id}", unknown), Some(token))
                    .await,
            ),
        ]);
        if let Some(other) = other {
            answers.push((
                404,
                "export_not_found",
                c.get(post, read, Some(other)).await,
            ));
        }
    }
    answers.extend([
        (
            403,
            "forbidden",
            c.post(EXPORTS, EXPORTS, Some(no_role), Some(&claims)).await,
        ),
        (
            403,
            "forbidden",
            c.get(EXPORT, &partner_export, Some(no_role)).await,
        ),
        (
            403,
            "forbidden",
            c.post(LEDGER_EXPORTS, LEDGER_EXPORTS, user, Some(&ledger))
                .await,
        ),
        (
            403,
            "forbidden",
            c.get(LEDGER_EXPORT, &vendor_export, user).await,
        ),
    ]);
    // ... and, once the table is gone, 503 on each
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await);
    dynamo
        .delete_table()
        .table_name(&stack.settings().table)
        .send()
        .await
        .expect("the table is deleted");
    answers.extend([
        (
            503,
            "service_unavailable",
            c.post(EXPORTS, EXPORTS, user, Some(&claims)).await,
        ),
        (
            503,
            "service_unavailable",
            c.get(EXPORT, &partner_export, user).await,
        ),
        (
            503,
            "service_unavailable",
            c.post(LEDGER_EXPORTS, LEDGER_EXPORTS, reviewer, Some(&ledger))
                .await,
        ),
        (
            503,
            "service_unavailable",
            c.get(LEDGER_EXPORT, &vendor_export, reviewer).await,
        ),
    ]);

    // THEN each had its status and code, and every documented answer was produced
    for (status, code, answer) in &answers {
        assert_eq!(answer.status.as_u16(), *status, "{}", answer.text);
        if !code.is_empty() {
            assert_eq!(answer.code(), *code, "{}", answer.text);
        }
    }
    description.assert_covered("exports", |_| true);
    stack.stop().await;
}

/// The catalogue's answers (a partner's and a reviewer's, in a language and in the fallback;
/// without a token; with a refused one) match the description, and each documented one is
/// produced.
#[tokio::test]
async fn every_documented_answer_of_the_catalogue_matches_the_description() {
    let description = Description::load();
    let stack = TestStack::start().await;
    let path = "/v1/catalogue";
    let expired = cpor_local::jwt::mint(
        &stack.settings().jwt_secret,
        FABRIKAM,
        "incentives_admin",
        -60,
    )
    .expect("a token");
    let tokens = [
        Some(stack.token(FABRIKAM, "incentives_user")),
        Some(stack.reviewer_token("reviewer-1")),
        None,
        Some(expired),
    ];
    for token in &tokens {
        for language in [&[("accept-language", "fr-CA,fr;q=0.8")][..], &[]] {
            let answer = stack
                .send(Method::GET, path, token.as_deref(), None, language)
                .await;
            description.check("GET", path, &answer);
        }
    }
    description.assert_covered("catalogue", |_| true);
    stack.stop().await;
}

const BATCHES: &str = "/v1/claim-batches";
const BATCH: &str = "/v1/claim-batches/{batch_id}";

impl Checked<'_> {
    /// `POST /v1/claim-batches` with `body` as `content_type`, under `key` when given.
    async fn post_batch(
        &self,
        token: Option<&str>,
        key: Option<&str>,
        content_type: &str,
        body: String,
    ) -> Answer {
        let mut request = self
            .stack
            .http
            .post(format!("{}{BATCHES}", self.stack.base))
            .header("content-type", content_type)
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let response = request.send().await.expect("the gateway answers");
        let answer = Answer {
            status: response.status(),
            headers: response.headers().clone(),
            text: response.text().await.unwrap_or_default(),
        };
        self.description.check("POST", BATCHES, &answer);
        answer
    }
}

#[tokio::test]
async fn every_documented_answer_of_the_claim_batches_matches_the_description() {
    // GIVEN the description and a fresh stack
    let description = Description::load();
    let stack = TestStack::start().await;
    let c = Checked {
        stack: &stack,
        description: &description,
    };
    let admin = stack.admin(FABRIKAM);
    let user = stack.token(FABRIKAM, "incentives_user");
    let json_type = "application/json";
    let one = json!({ "claims": [claim_body("teams")] }).to_string();
    // WHEN every documented answer of the two routes is asked for
    let opened = c
        .post_batch(Some(&admin), Some("b-1"), json_type, one.clone())
        .await;
    let id = opened.json()["batch_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let done = stack.wait_for_batch(FABRIKAM, &id).await;
    let path = format!("{BATCHES}/{id}");
    let other = json!({ "claims": [claim_body("exchange")] }).to_string();
    let csv = "tenant_id\r\n\"unclosed\r\n".to_owned();
    let expected: Vec<Expected> = vec![
        (202, "", opened),
        (
            400,
            "idempotency_key_required",
            c.post_batch(Some(&admin), None, json_type, one.clone())
                .await,
        ),
        (
            400,
            "malformed_csv",
            c.post_batch(Some(&admin), Some("b-2"), "text/csv", csv)
                .await,
        ),
        (
            400,
            "validation_failed",
            c.post_batch(
                Some(&admin),
                Some("b-3"),
                json_type,
                "{\"claims\": []}".into(),
            )
            .await,
        ),
        (
            401,
            "unauthenticated",
            c.post_batch(None, Some("b-4"), json_type, one.clone())
                .await,
        ),
        (
            403,
            "forbidden",
            c.post_batch(Some(&user), Some("b-5"), json_type, one.clone())
                .await,
        ),
        (
            413,
            "payload_too_large",
            c.post_batch(
                Some(&admin),
                Some("b-6"),
                json_type,
                "x".repeat(5 * 1024 * 1024 + 1),
            )
            .await,
        ),
        (
            415,
            "unsupported_media_type",
            c.post_batch(Some(&admin), Some("b-7"), "text/plain", one.clone())
                .await,
        ),
        (
            422,
            "idempotency_key_reused",
            c.post_batch(Some(&admin), Some("b-1"), json_type, other)
                .await,
        ),
        (200, "", c.get(BATCH, &path, Some(&admin)).await),
        (
            400,
            "validation_failed",
            c.get(BATCH, &format!("{path}?limit=0"), Some(&admin)).await,
        ),
        (401, "unauthenticated", c.get(BATCH, &path, None).await),
        (
            403,
            "forbidden",
            c.get(BATCH, &path, Some(&stack.reviewer_token("reviewer-1")))
                .await,
        ),
        (
            404,
            "batch_not_found",
            c.get(BATCH, &path, Some(&stack.admin(NORTHWIND))).await,
        ),
    ];
    assert_eq!(done["accepted"], 1, "{done}");
    // ... and, once the table is gone, 503
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await);
    dynamo
        .delete_table()
        .table_name(&stack.settings().table)
        .send()
        .await
        .expect("the table is deleted");
    let unavailable: Vec<Expected> = vec![
        (
            503,
            "service_unavailable",
            c.post_batch(Some(&admin), Some("b-8"), json_type, one)
                .await,
        ),
        (
            503,
            "service_unavailable",
            c.get(BATCH, &path, Some(&admin)).await,
        ),
    ];
    // THEN each answer had the intended status and code (and matched the description), and
    // every documented answer was produced
    for (status, code, answer) in expected.iter().chain(&unavailable) {
        assert_eq!(answer.status.as_u16(), *status, "{}", answer.text);
        if !code.is_empty() {
            assert_eq!(answer.code(), *code, "{}", answer.text);
        }
    }
    description.assert_covered("batches", |_| true);
    stack.stop().await;
}

const WEBHOOKS: &str = "/v1/webhooks";
const WEBHOOK: &str = "/v1/webhooks/{webhook_id}";
const ROTATE_WEBHOOK: &str = "/v1/webhooks/{webhook_id}/rotate-secret";
const TEST_WEBHOOK: &str = "/v1/webhooks/{webhook_id}/test";
const ENABLE_WEBHOOK: &str = "/v1/webhooks/{webhook_id}/enable";

/// Every documented answer of the webhook routes is produced and matches the description:
/// registered (its secret), listed, read with its deliveries, rotated, tested, refused when
/// disabled, enabled, deleted; each refusal; and 503 once the table is gone.
#[tokio::test]
async fn every_documented_answer_of_the_webhooks_matches_the_description() {
    // GIVEN the description, a stack, and tokens of Fabrikam's admin, user and an unknown role
    let description = Description::load();
    let stack = TestStack::start().await;
    let c = Checked {
        stack: &stack,
        description: &description,
    };
    let tokens = [
        stack.admin(FABRIKAM),
        stack.token(FABRIKAM, "incentives_user"),
        stack.token(FABRIKAM, "auditor"),
    ];
    let [admin_token, user_token, no_role_token] = tokens.each_ref().map(String::as_str);
    let (admin, user, no_role) = (Some(admin_token), Some(user_token), Some(no_role_token));
    let body = |i: usize| {
        json!({
            "url": format!("https://hooks{i}.example.com/cpor"),
            "events": ["claim.approved"],
            "description": "CRM sync",
        })
    };
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(70_000));
    let unknown = "01JDX3K2Z4W5Y6V7T8S9R0Q1P2";

    // WHEN every answer is produced
    let created = c.post(WEBHOOKS, WEBHOOKS, admin, Some(&body(0))).await;
    let id = created.json()["webhook_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let at = |template: &str| template.replace("{webhook_id}", &id);
    let mut answers: Vec<Expected> = vec![(201, "", created)];
    for i in 1..5 {
        answers.push((
            201,
            "",
            c.post(WEBHOOKS, WEBHOOKS, admin, Some(&body(i))).await,
        ));
    }
    answers.extend([
        (
            409,
            "too_many_webhooks",
            c.post(WEBHOOKS, WEBHOOKS, admin, Some(&body(5))).await,
        ),
        (
            400,
            "validation_failed",
            c.post(
                WEBHOOKS,
                WEBHOOKS,
                admin,
                Some(&json!({ "url": "http://10.0.0.1/", "events": [] })),
            )
            .await,
        ),
        (
            400,
            "malformed_json",
            c.post(WEBHOOKS, WEBHOOKS, admin, Some(&json!([]))).await,
        ),
        (
            401,
            "unauthenticated",
            c.post(WEBHOOKS, WEBHOOKS, None, Some(&body(6))).await,
        ),
        (
            403,
            "forbidden",
            c.post(WEBHOOKS, WEBHOOKS, user, Some(&body(6))).await,
        ),
        (
            413,
            "payload_too_large",
            c.post_raw(WEBHOOKS, WEBHOOKS, admin_token, "application/json", big)
                .await,
        ),
        (
            415,
            "unsupported_media_type",
            c.post_raw(
                WEBHOOKS,
                WEBHOOKS,
                admin_token,
                "text/plain",
                body(6).to_string(),
            )
            .await,
        ),
        (200, "", c.get(WEBHOOKS, WEBHOOKS, user).await),
        (
            401,
            "unauthenticated",
            c.get(WEBHOOKS, WEBHOOKS, None).await,
        ),
        (403, "forbidden", c.get(WEBHOOKS, WEBHOOKS, no_role).await),
        (200, "", c.get(WEBHOOK, &at(WEBHOOK), user).await),
        (
            200,
            "",
            c.post(ROTATE_WEBHOOK, &at(ROTATE_WEBHOOK), admin, None)
                .await,
        ),
        (
            202,
            "",
            c.post(TEST_WEBHOOK, &at(TEST_WEBHOOK), admin, None).await,
        ),
        (
            200,
            "",
            c.post(ENABLE_WEBHOOK, &at(ENABLE_WEBHOOK), admin, None)
                .await,
        ),
    ]);
    // ... a disabled endpoint's test (the delivery disabled it: 410 Gone)
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await);
    dynamo
        .update_item()
        .table_name(&stack.settings().table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("WEBHOOKS#{FABRIKAM}")),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("WEBHOOK#{id}")),
        )
        .update_expression("SET #s = :d, disabled_reason = :r")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(
            ":d",
            aws_sdk_dynamodb::types::AttributeValue::S("disabled".into()),
        )
        .expression_attribute_values(
            ":r",
            aws_sdk_dynamodb::types::AttributeValue::S("gone".into()),
        )
        .send()
        .await
        .expect("the endpoint is disabled");
    answers.push((
        409,
        "webhook_disabled",
        c.post(TEST_WEBHOOK, &at(TEST_WEBHOOK), admin, None).await,
    ));
    answers.push((200, "", c.get(WEBHOOKS, WEBHOOKS, admin).await));
    answers.push((
        200,
        "",
        c.post(ENABLE_WEBHOOK, &at(ENABLE_WEBHOOK), admin, None)
            .await,
    ));
    for template in [WEBHOOK, ROTATE_WEBHOOK, TEST_WEBHOOK, ENABLE_WEBHOOK] {
        let (path, other) = (at(template), template.replace("{webhook_id}", unknown));
        // The read is GET (an unknown role may not read); the changes POST (a user may not).
        let refused = if template == WEBHOOK {
            [
                c.get(template, &other, admin).await,
                c.get(template, &path, None).await,
                c.get(template, &path, no_role).await,
            ]
        } else {
            [
                c.post(template, &other, admin, None).await,
                c.post(template, &path, None, None).await,
                c.post(template, &path, user, None).await,
            ]
        };
        let [not_found, unauthenticated, forbidden] = refused;
        answers.extend([
            (404, "webhook_not_found", not_found),
            (401, "unauthenticated", unauthenticated),
            (403, "forbidden", forbidden),
        ]);
    }
    answers.extend([
        (
            401,
            "unauthenticated",
            c.delete(WEBHOOK, &at(WEBHOOK), None).await,
        ),
        (
            403,
            "forbidden",
            c.delete(WEBHOOK, &at(WEBHOOK), user).await,
        ),
        (
            404,
            "webhook_not_found",
            c.delete(WEBHOOK, &WEBHOOK.replace("{webhook_id}", unknown), admin)
                .await,
        ),
        (204, "", c.delete(WEBHOOK, &at(WEBHOOK), admin).await),
    ]);
    // ... and, once the table is gone, 503 on each
    let second = c.get(WEBHOOKS, WEBHOOKS, admin).await.json()["items"][0]["webhook_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let other = |template: &str| template.replace("{webhook_id}", &second);
    dynamo
        .delete_table()
        .table_name(&stack.settings().table)
        .send()
        .await
        .expect("the table is deleted");
    answers.extend([
        (
            503,
            "service_unavailable",
            c.post(WEBHOOKS, WEBHOOKS, admin, Some(&body(7))).await,
        ),
        (
            503,
            "service_unavailable",
            c.get(WEBHOOKS, WEBHOOKS, admin).await,
        ),
        (
            503,
            "service_unavailable",
            c.get(WEBHOOK, &other(WEBHOOK), admin).await,
        ),
        (
            503,
            "service_unavailable",
            c.delete(WEBHOOK, &other(WEBHOOK), admin).await,
        ),
        (
            503,
            "service_unavailable",
            c.post(ROTATE_WEBHOOK, &other(ROTATE_WEBHOOK), admin, None)
                .await,
        ),
        (
            503,
            "service_unavailable",
            c.post(TEST_WEBHOOK, &other(TEST_WEBHOOK), admin, None)
                .await,
        ),
        (
            503,
            "service_unavailable",
            c.post(ENABLE_WEBHOOK, &other(ENABLE_WEBHOOK), admin, None)
                .await,
        ),
    ]);

    // THEN each had its status and code, and every documented answer was produced
    for (status, code, answer) in &answers {
        assert_eq!(answer.status.as_u16(), *status, "{}", answer.text);
        if !code.is_empty() {
            assert_eq!(answer.code(), *code, "{}", answer.text);
        }
    }
    description.assert_covered("webhooks", |_| true);
    stack.stop().await;
}
