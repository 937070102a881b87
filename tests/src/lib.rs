//! The integration tests' harness: a fresh emulator and local stack per test, and a small
//! client for the partner API, the customer pages and the local routes. The tests themselves are
//! one binary, `flows/main.rs`, a module per capability; cpor-ops' tests and `make bench` use the
//! harness too.
//!
//! Each [`TestStack`] owns its emulator process, which stops when the stack is dropped, so a
//! failing test leaves nothing running.

pub mod batch_cost;
pub mod round_trips;

use chrono::{DateTime, Utc};
use cpor_local::emulator::{Emulator, EmulatorError};
use cpor_local::{LocalSettings, LocalStack, jwt};
use reqwest::{Client, Method, StatusCode, header::HeaderMap, redirect::Policy};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The tenant the tests claim by default.
pub const CONTOSO: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
/// A second tenant.
pub const LITWARE: &str = "6b1e2f3a-4c5d-4e6f-8a9b-0c1d2e3f4a5b";
/// Contoso's Dynamics 365 Sales subscription.
pub const CONTOSO_SALES_SUBSCRIPTION: &str = "11111111-2222-3333-4444-555555555555";
/// Fabrikam: enrolled in every program.
pub const FABRIKAM: &str = "1234567";
/// Northwind: enrolled in the Microsoft 365 programs only.
pub const NORTHWIND: &str = "7654321";
/// Adatum: enrolled in nothing.
pub const ADATUM: &str = "2222222";

/// An answer, read whole.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub text: String,
}

impl Answer {
    /// The body as JSON (null when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The problem's `code`, for error answers.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }

    /// The fields a `validation_failed` problem names, in its order.
    pub fn refused_fields(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

/// A fresh emulator and local stack.
pub struct TestStack {
    stack: Option<LocalStack>,
    settings: LocalSettings,
    /// The gateway's base URL.
    pub base: String,
    /// An HTTP client that does not follow redirects.
    pub http: Client,
    // Declared last: dropped after the stack, so the stack never outlives its emulator.
    emulator: Emulator,
}

impl TestStack {
    /// Starts an emulator on a free port and a stack on it, with the reference data seeded.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A stack under the `manual` review policy (the default outside tests): claims wait in
    /// `submitted` for a reviewer.
    pub async fn start_manual() -> Self {
        Self::start_with(|s| s.review_policy = cpor_domain::ReviewPolicy::Manual).await
    }

    /// The same, with settings adjusted by `adjust` (e.g. a fixed clock).
    pub async fn start_with(adjust: impl FnOnce(&mut LocalSettings)) -> Self {
        init_process_logging();
        let dir = std::env::temp_dir().join("cpor-tests");
        std::fs::create_dir_all(&dir).expect("temp dir");
        // A port found free can be taken before the emulator binds it (tests run in parallel,
        // and so may other checkouts on the machine): try a few.
        let mut attempts = 0;
        let emulator = loop {
            let port = cpor_local::emulator::free_port().expect("a free port");
            match Emulator::start(port, &dir.join(format!("emulator-{port}.log"))) {
                Err(EmulatorError::PortInUse(_)) if attempts < 5 => attempts += 1,
                started => break started.expect("the emulator starts"),
            }
        };
        let mut settings = LocalSettings::for_tests(&emulator.endpoint());
        adjust(&mut settings);
        let stack = LocalStack::start(settings)
            .await
            .expect("the local stack starts");
        let settings = stack.settings().clone();
        let stack_ = Self {
            base: stack.base_url(),
            stack: Some(stack),
            settings,
            http: Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("client"),
            emulator,
        };
        stack_.seed(&reference_data()).await;
        stack_
    }

    /// Stops the functions and starts them again on the same emulator, gateway address and
    /// data, with settings adjusted by `adjust`: what a deployment of new configuration does
    /// (e.g. a rotated secret, read at start-up).
    pub async fn redeploy(&mut self, adjust: impl FnOnce(&mut LocalSettings)) {
        let stack = self.stack.take().expect("a running stack");
        let mut settings = stack.settings().clone();
        settings.listen = stack.addr();
        stack.stop().await;
        adjust(&mut settings);
        let stack = LocalStack::start(settings)
            .await
            .expect("the local stack starts again");
        self.settings = stack.settings().clone();
        self.base = stack.base_url();
        self.stack = Some(stack);
    }

    /// The stack's settings.
    pub fn settings(&self) -> &LocalSettings {
        &self.settings
    }

    /// The emulator's endpoint.
    pub fn endpoint(&self) -> String {
        self.emulator.endpoint()
    }

    /// The functions behind the gateway.
    pub fn functions(&self) -> &cpor_local::gateway::Gateway {
        self.stack.as_ref().expect("running").functions()
    }

    /// An SQS client on the emulator.
    pub async fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.settings.sdk_config().await)
    }

    /// The notification queue's URL.
    pub fn queue_url(&self) -> String {
        self.stack
            .as_ref()
            .map(|s| s.queue_url().to_owned())
            .unwrap_or_default()
    }

    /// The queue of the claims' events that notify-partner reads.
    pub fn partner_email_queue_url(&self) -> String {
        self.stack
            .as_ref()
            .map(|s| s.partner_email_queue_url().to_owned())
            .unwrap_or_default()
    }

    /// Stops the stack and the emulator; then, as the stack is dropped, the IAM check.
    pub async fn stop(mut self) {
        if let Some(stack) = self.stack.take() {
            stack.stop().await;
        }
        self.emulator.stop();
    }

    /// A bearer token for a partner's user with a role.
    pub fn token(&self, partner_id: &str, role: &str) -> String {
        jwt::mint(&self.settings.jwt_secret, partner_id, role, 3600).expect("token")
    }

    /// A reviewer's token (`role` `cpor_reviewer`, `reviewer` in `sub`).
    pub fn reviewer_token(&self, reviewer: &str) -> String {
        jwt::mint_reviewer(&self.settings.jwt_secret, reviewer, 3600).expect("token")
    }

    /// A reviewer's `GET path`.
    pub async fn review_get(&self, reviewer: &str, path: &str) -> Answer {
        let token = self.reviewer_token(reviewer);
        self.send(Method::GET, path, Some(&token), None, &[]).await
    }

    /// A reviewer's decision: `POST /v1/review/claims/{claim_id}/{decision}` with `body`.
    pub async fn decide(
        &self,
        reviewer: &str,
        claim_id: &str,
        decision: &str,
        body: &Value,
    ) -> Answer {
        let token = self.reviewer_token(reviewer);
        let path = format!("/v1/review/claims/{claim_id}/{decision}");
        self.send(Method::POST, &path, Some(&token), Some(body), &[])
            .await
    }

    /// A partner admin's move: `POST /v1/claims/{claim_id}/{action}` with `body`.
    pub async fn partner_move(
        &self,
        partner_id: &str,
        claim_id: &str,
        action: &str,
        body: &Value,
    ) -> Answer {
        let path = format!("/v1/claims/{claim_id}/{action}");
        self.send(
            Method::POST,
            &path,
            Some(&self.admin(partner_id)),
            Some(body),
            &[],
        )
        .await
    }

    /// A partner admin's correction of the customer's contact:
    /// `PUT /v1/claims/{claim_id}/customer-contact` with `contact`.
    pub async fn correct_contact(
        &self,
        partner_id: &str,
        claim_id: &str,
        contact: &Value,
    ) -> Answer {
        let path = format!("/v1/claims/{claim_id}/customer-contact");
        self.send(
            Method::PUT,
            &path,
            Some(&self.admin(partner_id)),
            Some(contact),
            &[],
        )
        .await
    }

    /// An admin's token for a partner.
    pub fn admin(&self, partner_id: &str) -> String {
        self.token(partner_id, "incentives_admin")
    }

    /// Sends a request; `token` adds a bearer token, `body` JSON.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        read(request.send().await.expect("the gateway answers")).await
    }

    /// `POST /v1/claim-batches` as an admin of `partner_id`: `body` as `content_type`, under
    /// the `Idempotency-Key` `key` when there is one.
    pub async fn submit_batch(
        &self,
        partner_id: &str,
        key: Option<&str>,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Answer {
        let mut request = self
            .http
            .post(format!("{}/v1/claim-batches", self.base))
            .bearer_auth(self.admin(partner_id))
            .header("content-type", content_type)
            .body(body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        read(request.send().await.expect("the gateway answers")).await
    }

    /// Reads the batch `batch_id` of `partner_id` until it is done, or fails the test after 60
    /// seconds; answers its last read.
    pub async fn wait_for_batch(&self, partner_id: &str, batch_id: &str) -> Value {
        let started = Instant::now();
        loop {
            let answer = self
                .get(
                    partner_id,
                    &format!("/v1/claim-batches/{batch_id}?limit=500"),
                )
                .await;
            assert_eq!(answer.status, 200, "{}", answer.text);
            let batch = answer.json();
            if batch["status"] == "done" {
                return batch;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "batch {batch_id} is not done: {batch}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `POST /v1/claims` as an admin of `partner_id`.
    pub async fn submit(&self, partner_id: &str, body: &Value) -> Answer {
        self.submit_with(&self.admin(partner_id), body).await
    }

    /// `POST /v1/claims` with the bearer token `token`.
    pub async fn submit_with(&self, token: &str, body: &Value) -> Answer {
        self.send(Method::POST, "/v1/claims", Some(token), Some(body), &[])
            .await
    }

    /// `GET path` as an admin of `partner_id`.
    pub async fn get(&self, partner_id: &str, path: &str) -> Answer {
        self.send(Method::GET, path, Some(&self.admin(partner_id)), None, &[])
            .await
    }

    /// `POST /v1/claims/{id}/withdraw` as an admin of `partner_id`.
    pub async fn withdraw(&self, partner_id: &str, claim_id: &str, reason: &str) -> Answer {
        let path = format!("/v1/claims/{claim_id}/withdraw");
        self.send(
            Method::POST,
            &path,
            Some(&self.admin(partner_id)),
            Some(&json!({ "reason": reason })),
            &[],
        )
        .await
    }

    /// Every claim of a partner, through the API's pages.
    pub async fn all_claims(&self, partner_id: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut path = "/v1/claims?limit=100".to_owned();
        loop {
            let page = self.get(partner_id, &path).await;
            assert_eq!(page.status, 200, "{}", page.text);
            let page = page.json();
            items.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/v1/claims?limit=100&cursor={cursor}"),
                None => return items,
            }
        }
    }

    /// Loads reference data through `/_local/seed`.
    pub async fn seed(&self, data: &Value) {
        let answer = self
            .send(Method::POST, "/_local/seed", None, Some(data), &[])
            .await;
        assert_eq!(answer.status, 204, "seed: {}", answer.text);
    }

    /// The e-mails sent so far.
    pub async fn outbox(&self) -> Vec<Value> {
        let answer = self
            .send(Method::GET, "/_local/outbox", None, None, &[])
            .await;
        answer.json()["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The e-mails sent so far to customers (each carries the link to its page: the
    /// notifications and the "it is official" e-mails), oldest first, without the partners'
    /// e-mails that the bus's events bring.
    pub async fn customer_outbox(&self) -> Vec<Value> {
        self.outbox()
            .await
            .into_iter()
            .filter(|m| link_in(m["body"].as_str().unwrap_or_default()).is_some())
            .collect()
    }

    /// Runs finalization as of `now`.
    pub async fn finalize(&self, now: DateTime<Utc>) -> Answer {
        self.send(
            Method::POST,
            "/_local/finalize",
            None,
            Some(&json!({ "now": now.to_rfc3339() })),
            &[],
        )
        .await
    }

    /// Waits until the claim has `status`, or fails the test after 20 seconds.
    pub async fn wait_for_status(&self, partner_id: &str, claim_id: &str, status: &str) -> Value {
        let started = Instant::now();
        loop {
            let claim = self
                .get(partner_id, &format!("/v1/claims/{claim_id}"))
                .await
                .json();
            if claim["status"] == status {
                return claim;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "claim {claim_id} did not reach {status}; it is {}",
                claim["status"]
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Submits a claim, waits until its customer is notified, and returns the claim and the
    /// opt-out link from its e-mail.
    pub async fn notified_claim(&self, partner_id: &str, body: &Value) -> (Value, String) {
        let created = self.submit(partner_id, body).await;
        assert_eq!(created.status, 201, "{}", created.text);
        let id = created.json()["claim_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let claim = self
            .wait_for_status(partner_id, &id, "awaiting_customer")
            .await;
        let email = body["customer_contact"]["email"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        // Its own link: another claim's "it is official" e-mail to the same customer carries
        // that claim's link.
        let link = self
            .outbox()
            .await
            .iter()
            .rev()
            .filter(|m| m["to"][0] == email.as_str())
            .filter_map(|m| link_in(m["body"].as_str().unwrap_or_default()))
            .find(|link| link.contains(id.as_str()))
            .expect("the e-mail carries an opt-out link");
        (claim, link)
    }

    /// `GET` a full URL (an opt-out link).
    pub async fn open(&self, url: &str) -> Answer {
        read(self.http.get(url).send().await.expect("the page answers")).await
    }

    /// `GET` a full URL as a browser asking for `accept_language`.
    pub async fn open_in(&self, url: &str, accept_language: &str) -> Answer {
        let request = self
            .http
            .get(url)
            .header("accept-language", accept_language);
        read(request.send().await.expect("the page answers")).await
    }

    /// `POST` to a full URL what the decline form sends: `action=decline&confirm=yes`.
    pub async fn post_form(&self, url: &str) -> Answer {
        self.post_form_body(url, "action=decline&confirm=yes").await
    }

    /// `POST` a form-encoded `body` to a full URL.
    pub async fn post_form_body(&self, url: &str, body: &str) -> Answer {
        let request = self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned());
        read(request.send().await.expect("the page answers")).await
    }
}

/// However a test ends, its stack's functions must have made only calls their roles in
/// `infra/template.yaml` allow (`cpor_local::iam`): a refused call fails the test, naming it.
impl Drop for TestStack {
    fn drop(&mut self) {
        if let Err(e) = cpor_local::iam::check_stack(&self.settings)
            && !std::thread::panicking()
        {
            panic!("{e}");
        }
    }
}

impl TestStack {
    /// Stores a copy of claim `id`'s last history entry as its next one, without its claim's
    /// subject, as entries written before the events existed are stored (so that the
    /// publisher must read the claim); returns the new entry's event id.
    pub async fn store_entry_without_subject(&self, id: &str) -> String {
        use aws_sdk_dynamodb::types::AttributeValue;
        let client = aws_sdk_dynamodb::Client::new(&self.settings.sdk_config().await);
        let page = client
            .query()
            .table_name(&self.settings.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :event)")
            .expression_attribute_values(":pk", AttributeValue::S(format!("CLAIM#{id}")))
            .expression_attribute_values(":event", AttributeValue::S("EVENT#".into()))
            .scan_index_forward(false)
            .limit(1)
            .send()
            .await
            .expect("the claim's history");
        let mut item = page.items().first().expect("a history entry").clone();
        let sequence = item
            .get("sequence")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<u32>().ok())
            .expect("a sequence")
            + 1;
        for subject in [
            "partner_id",
            "tenant_id",
            "program",
            "workload",
            "subscription_id",
        ] {
            item.remove(subject);
        }
        item.insert(
            "sk".into(),
            AttributeValue::S(format!("EVENT#{sequence:06}")),
        );
        item.insert("sequence".into(), AttributeValue::N(sequence.to_string()));
        client
            .put_item()
            .table_name(&self.settings.table)
            .set_item(Some(item))
            .send()
            .await
            .expect("the entry stored");
        format!("{id}/{sequence}")
    }

    /// The claim ids named by the partner-of-record locks in the table (a test-only scan: the
    /// service itself never scans).
    pub async fn lock_holders(&self) -> std::collections::HashSet<String> {
        let client = aws_sdk_dynamodb::Client::new(&self.settings.sdk_config().await);
        let mut holders = std::collections::HashSet::new();
        let mut start = None;
        loop {
            let page = client
                .scan()
                .table_name(&self.settings.table)
                .filter_expression("begins_with(pk, :lock)")
                .expression_attribute_values(
                    ":lock",
                    aws_sdk_dynamodb::types::AttributeValue::S("LOCK#".into()),
                )
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan");
            for item in page.items() {
                if let Some(id) = item.get("claim_id").and_then(|v| v.as_s().ok()) {
                    holders.insert(id.clone());
                }
            }
            match page.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => return holders,
            }
        }
    }

    /// A claim with its history, as its partner sees it.
    pub async fn claim(&self, partner_id: &str, claim_id: &str) -> Value {
        self.get(partner_id, &format!("/v1/claims/{claim_id}"))
            .await
            .json()
    }

    /// Seeds `n` more tenants (`tenant_id(i)`, domains `tenant{i}.onmicrosoft.com` and
    /// `tenant{i}.example`, where their contacts are).
    pub async fn seed_tenants(&self, n: usize) {
        let tenants: Vec<Value> = (0..n)
            .map(|i| json!({ "tenant_id": tenant_id(i), "domains": [format!("tenant{i}.onmicrosoft.com"), format!("tenant{i}.example")] }))
            .collect();
        self.seed(&json!({ "tenants": tenants })).await;
    }
}

/// The workloads of the Microsoft 365 programs: one claim each per tenant.
pub const M365_WORKLOADS: [&str; 10] = [
    "exchange",
    "sharepoint",
    "onedrive",
    "teams",
    "intune",
    "entra-id",
    "defender",
    "m365-apps",
    "windows",
    "purview",
];

impl TestStack {
    /// How many messages wait in the e-mail feedback queue, or are being processed.
    pub async fn feedback_backlog(&self) -> u32 {
        let name =
            cpor_aws::schema::QueueDefinition::email_feedback(&self.settings.queue_prefix).name;
        let (waiting, in_flight) = self.queue_depth(&name).await;
        waiting + in_flight
    }

    /// The messages of the queue named `name`: how many wait, and how many are being processed
    /// (received, not yet deleted). Read without the stack's injected faults: the test's own
    /// reads must not fail.
    pub async fn queue_depth(&self, name: &str) -> (u32, u32) {
        use aws_sdk_sqs::types::QueueAttributeName as Name;
        let mut clean = self.settings.clone();
        clean.faults = None;
        let sqs = aws_sdk_sqs::Client::new(&clean.sdk_config().await);
        let url = sqs
            .get_queue_url()
            .queue_name(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("the queue {name}: {e}"))
            .queue_url()
            .unwrap_or_default()
            .to_owned();
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(Name::ApproximateNumberOfMessages)
            .attribute_names(Name::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .expect("queue attributes");
        let count = |n: &Name| {
            attrs
                .attributes()
                .and_then(|a| a.get(n))
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(0)
        };
        (
            count(&Name::ApproximateNumberOfMessages),
            count(&Name::ApproximateNumberOfMessagesNotVisible),
        )
    }

    /// Waits until SES's events of every e-mail accepted so far are published and processed
    /// by record-email-feedback, or fails the test after 120 s.
    pub async fn wait_for_ses_events(&self) {
        let started = Instant::now();
        while self.settings.ses_events.pending() > 0 || self.feedback_backlog().await > 0 {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "SES's events were not all processed"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// How many messages wait in the notification dead-letter queue.
    pub async fn dead_letters(&self) -> u32 {
        let definition =
            cpor_aws::schema::QueueDefinition::notifications(&self.settings.queue_prefix);
        self.queue_depth(&definition.dead_letter_name).await.0
    }

    /// Waits until `n` messages wait in the dead-letter queue, or fails the test after 60 s.
    pub async fn wait_for_dead_letters(&self, n: u32) -> Duration {
        let started = Instant::now();
        while self.dead_letters().await != n {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{n} messages never reached the dead-letter queue"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        started.elapsed()
    }
}

/// The service's table `table` on an emulator of its own, logging to `log`, with no stack
/// beside it, and a DynamoDB client on it: for tests of the emulator, or of the store alone.
/// The emulator stops when dropped.
/// The SDK's settings for `emulator`'s services (test credentials, `us-east-1`).
pub async fn emulator_sdk(emulator: &Emulator) -> aws_config::SdkConfig {
    let credentials =
        aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "cpor-tests");
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(emulator.endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .load()
        .await
}

pub async fn table_alone(
    table: &str,
    log: &std::path::Path,
) -> (Emulator, aws_sdk_dynamodb::Client) {
    let emulator = Emulator::start_on_free_port(log).expect("the emulator starts");
    let client = aws_sdk_dynamodb::Client::new(&emulator_sdk(&emulator).await);
    cpor_aws::schema::create_table(&client, table)
        .await
        .expect("the table");
    (emulator, client)
}

/// The id of the `i`-th extra tenant of [`TestStack::seed_tenants`].
pub fn tenant_id(i: usize) -> String {
    format!("{i:08x}-0000-4000-8000-{i:012x}")
}

/// A valid claim body for the `i`-th extra tenant's `workload`.
pub fn tenant_claim_body(i: usize, workload: &str) -> Value {
    let mut body = claim_body(workload);
    body["tenant_id"] = json!(tenant_id(i));
    body["customer_domain"] = json!(format!("tenant{i}.onmicrosoft.com"));
    body["customer_contact"]["email"] = json!(format!("it-{workload}@tenant{i}.example"));
    body
}

async fn read(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    Answer {
        status,
        headers,
        text,
    }
}

/// The opt-out link in an e-mail body.
pub fn link_in(body: &str) -> Option<String> {
    let start = body.find("/opt-out/")?;
    let begin = body[..start].rfind("http")?;
    let end = body[start..]
        .find(|c: char| c == '"' || c == '<' || c.is_whitespace())
        .map_or(body.len(), |e| start + e);
    Some(body[begin..end].to_owned())
}

/// The reference data every test starts with.
pub fn reference_data() -> Value {
    json!({
        "partners": [
            { "partner_id": FABRIKAM, "name": "Fabrikam Consulting", "programs": ["osa-sell", "osu-m365", "osu-bizapps"] },
            { "partner_id": NORTHWIND, "name": "Northwind Traders", "programs": ["osa-sell", "osu-m365"] },
            { "partner_id": ADATUM, "name": "Adatum", "programs": [] }
        ],
        "tenants": [
            { "tenant_id": CONTOSO, "domains": ["contoso.onmicrosoft.com", "contoso.com"],
              "subscriptions": [{ "subscription_id": CONTOSO_SALES_SUBSCRIPTION, "workload": "dynamics-sales" }] },
            { "tenant_id": LITWARE, "domains": ["litware.onmicrosoft.com"] }
        ]
    })
}

/// An instant of a claim's JSON, such as its `opt_out_deadline`.
pub fn instant(value: &Value) -> DateTime<Utc> {
    cpor_domain::time::parse_instant(value.as_str().unwrap_or_default())
        .expect("an RFC 3339 instant")
}

/// The `(from, to)` steps of a claim's history, oldest first.
pub fn history_steps(claim: &Value) -> Vec<(Value, Value)> {
    claim["history"]
        .as_array()
        .map(|h| {
            h.iter()
                .map(|e| (e["from"].clone(), e["to"].clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// A valid claim body for `workload` of one of the two seeded tenants (Contoso or Litware).
pub fn seeded_tenant_claim_body(tenant: &str, workload: &str) -> Value {
    let mut body = claim_body(workload);
    if tenant == LITWARE {
        body["tenant_id"] = json!(LITWARE);
        body["customer_domain"] = json!("litware.onmicrosoft.com");
        body["customer_contact"]["email"] = json!("it@litware.onmicrosoft.com");
    }
    body
}

/// A valid claim body for Contoso's `workload` in osu-m365.
pub fn claim_body(workload: &str) -> Value {
    json!({
        "tenant_id": CONTOSO,
        "customer_domain": "contoso.onmicrosoft.com",
        "program": "osu-m365",
        "workload": workload,
        "subscription_id": null,
        "customer_contact": { "name": "Giulia Rossi", "email": "giulia@contoso.com", "title": "IT Director",
                              "locale": "it", "time_zone": "Europe/Rome" },
        "partner_contact": { "name": "Sam Lee", "email": "sam@fabrikam.com" },
        "proof_of_execution": { "reference": "https://fabrikam.example/sow/4711.pdf",
                                "signed_on": (Utc::now().date_naive() - chrono::Days::new(30)).to_string() }
    })
}

/// Once per process: the service's warnings and errors show in a failing test's output (another
/// level with `RUST_LOG`), and the `log` crate's records (reqwest's) reach tracing at every level,
/// so that each subscriber, a [`LogCapture`] too, filters them by its own level.
fn init_process_logging() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let printed = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
            )
            .with_test_writer()
            .finish();
        let _ = tracing::subscriber::set_global_default(printed);
        let _ = tracing_log::LogTracer::init();
    });
}

/// Every log line of one test, as the functions write them in Lambda: one JSON object per line.
///
/// The test's own lines only, though the tests of the whole binary run in one process at the same
/// time: the capture is this thread's subscriber until it is dropped, and a test on a
/// current-thread runtime (a plain `#[tokio::test]`) runs its stack's gateway, poller and
/// functions on its own thread, while every other test runs on a thread of its own.
pub struct LogCapture {
    lines: cpor_aws::logging::LineBuffer,
    _this_thread: tracing::dispatcher::DefaultGuard,
}

impl LogCapture {
    /// Captures every line of this test passing `filter` (`RUST_LOG` syntax; metric lines always
    /// pass).
    ///
    /// # Panics
    /// Outside a current-thread Tokio runtime, where the stack's tasks could run on other threads
    /// and their lines be missed.
    pub fn install(filter: &str) -> Self {
        use tokio::runtime::{Handle, RuntimeFlavor};
        use tracing_subscriber::prelude::*;
        assert!(
            Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::CurrentThread),
            "LogCapture reads the test's own thread: run the test on a current-thread runtime"
        );
        init_process_logging();
        let lines = cpor_aws::logging::LineBuffer::default();
        let settings = cpor_aws::logging::LogSettings {
            format: cpor_aws::logging::LogFormat::Json,
            filter: filter.to_owned(),
        };
        let this_thread = tracing_subscriber::registry()
            .with(cpor_aws::logging::JsonLayer::new(lines.clone()))
            .with(settings.filter())
            .set_default();
        Self {
            lines,
            _this_thread: this_thread,
        }
    }

    /// What was written so far.
    pub fn text(&self) -> String {
        self.lines.text()
    }
}

/// A PDF's bytes: its signature and then filler, `size` bytes in all.
pub fn pdf_bytes(size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.resize(size.max(bytes.len()), b'x');
    bytes
}

impl TestStack {
    /// `POST /v1/claims/{id}/documents` as an admin of `partner_id`.
    pub async fn add_document(
        &self,
        partner_id: &str,
        claim_id: &str,
        file_name: &str,
        content_type: &str,
        size: usize,
    ) -> Answer {
        let body = json!({ "file_name": file_name, "content_type": content_type, "size": size });
        self.send(
            Method::POST,
            &format!("/v1/claims/{claim_id}/documents"),
            Some(&self.admin(partner_id)),
            Some(&body),
            &[],
        )
        .await
    }

    /// `DELETE /v1/claims/{id}/documents/{document_id}` as an admin of `partner_id`.
    pub async fn remove_document(
        &self,
        partner_id: &str,
        claim_id: &str,
        document_id: &str,
    ) -> Answer {
        self.send(
            Method::DELETE,
            &format!("/v1/claims/{claim_id}/documents/{document_id}"),
            Some(&self.admin(partner_id)),
            None,
            &[],
        )
        .await
    }

    /// Sends `bytes` as the upload that `declared` (a `POST /documents` answer) allows, with
    /// exactly its signed headers, straight to storage; returns storage's status.
    pub async fn upload(&self, declared: &Value, bytes: Vec<u8>) -> StatusCode {
        let upload = &declared["upload"];
        let url = upload["url"].as_str().expect("an upload url");
        let mut request = self.http.put(url).body(bytes);
        for (name, value) in upload["headers"].as_object().into_iter().flatten() {
            // The client sets the length of the body it sends.
            if name.eq_ignore_ascii_case("content-length") {
                continue;
            }
            request = request.header(name.as_str(), value.as_str().unwrap_or_default());
        }
        request.send().await.expect("storage answers").status()
    }

    /// Waits until the claim lists the document with `status`, and returns the claim.
    pub async fn wait_for_document(
        &self,
        partner_id: &str,
        claim_id: &str,
        document_id: &str,
        status: &str,
    ) -> Value {
        let started = Instant::now();
        loop {
            let claim = self.claim(partner_id, claim_id).await;
            let found = claim["documents"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|d| d["document_id"] == document_id)
                .map(|d| d["status"].clone());
            if found.as_ref().is_some_and(|s| s == status) {
                return claim;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "document {document_id} did not become {status}; it is {found:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The documents bucket's notification queue.
    pub fn documents_queue_url(&self) -> String {
        self.stack
            .as_ref()
            .map(|s| s.documents_queue_url().to_owned())
            .unwrap_or_default()
    }

    /// The claim batches' queue's URL.
    pub fn batch_queue_url(&self) -> String {
        self.stack
            .as_ref()
            .map(|s| s.batch_queue_url().to_owned())
            .unwrap_or_default()
    }
}

/// The system's time, moved forward by what a test says: the stack's clock control for waits
/// the service measures (a held send's 15 minutes), while everything else runs in real time.
#[derive(Debug, Default)]
pub struct ShiftedClock(std::sync::Mutex<chrono::TimeDelta>);

impl ShiftedClock {
    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: chrono::TimeDelta) {
        if let Ok(mut offset) = self.0.lock() {
            *offset += by;
        }
    }
}

impl cpor_domain::clock::Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = self.0.lock().map(|o| *o).unwrap_or_default();
        cpor_domain::clock::to_millis(Utc::now() + offset)
    }
}
