//! Partners' webhooks, delivered (docs/api.md, "Webhooks"): each event of a partner's claims
//! reaches the partner's endpoints that asked for its type, in each claim's order, signed as
//! the Standard Webhooks specification says (checked here and by the specification's Python
//! library), through the same path as in AWS (the table's stream, publish-events, the bus, the
//! rule's queue, deliver-webhooks); failed deliveries are retried on the schedule through the
//! queue and recorded; a 410 disables; a redirect is not followed; a redelivered message posts
//! nothing twice; a host that resolves to a private address is refused; and with a fifth of
//! deliver-webhooks' AWS calls failing, every event still arrives.
//!
//! The receivers are axum servers on loopback, which the local stack may deliver to
//! (`CPOR_WEBHOOKS_ALLOW_LOOPBACK`). The endpoints are written as the webhook routes write them
//! (`WEBHOOKS#<p>`, `WEBHOOK#<id>`, the secret encrypted with the local stack's KMS key under
//! the endpoint's encryption context).

use aws_sdk_dynamodb::types::AttributeValue;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use bytes::Bytes;
use chrono::{TimeDelta, Utc};
use cpor_domain::webhook::signature::SigningKey;
use cpor_local::faults::FaultPlan;
use cpor_tests::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest a test waits for what it expects.
const PATIENCE: Duration = Duration::from_secs(90);

/// How a receiver answers one request.
#[derive(Debug, Clone, Copy)]
enum Reply {
    Status(u16),
    /// After a pause, this status.
    Slow(Duration, u16),
    /// 302 to `/elsewhere` on the same receiver.
    Redirect,
}

/// One request a receiver saw.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: BTreeMap<String, String>,
    body: Bytes,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn event_id(&self) -> String {
        self.json()["data"]["event_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// A partner's system on loopback: records every request, and answers each path by its script
/// (then 200).
#[derive(Clone, Default)]
struct Receiver {
    base: String,
    seen: Arc<Mutex<Vec<Received>>>,
    scripts: Arc<Mutex<HashMap<String, VecDeque<Reply>>>>,
    /// Requests being answered now, and the most there were at once since the last reset.
    busy: Arc<Mutex<(usize, usize)>>,
}

impl Receiver {
    async fn start() -> Self {
        let receiver = Self::default();
        let state = receiver.clone();
        let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move { state.answer(&uri, &headers, body).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("its address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base: format!("http://{addr}"),
            ..receiver
        }
    }

    async fn answer(
        &self,
        uri: &Uri,
        headers: &HeaderMap,
        body: Bytes,
    ) -> axum::response::Response {
        let path = uri.path().to_owned();
        let headers = headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        self.seen.lock().unwrap().push(Received {
            path: path.clone(),
            headers,
            body,
        });
        let reply = self
            .scripts
            .lock()
            .unwrap()
            .get_mut(&path)
            .and_then(VecDeque::pop_front)
            .unwrap_or(Reply::Status(200));
        match reply {
            Reply::Status(status) => StatusCode::from_u16(status).unwrap().into_response(),
            Reply::Slow(pause, status) => {
                {
                    let mut busy = self.busy.lock().unwrap();
                    busy.0 += 1;
                    busy.1 = busy.1.max(busy.0);
                }
                tokio::time::sleep(pause).await;
                self.busy.lock().unwrap().0 -= 1;
                StatusCode::from_u16(status).unwrap().into_response()
            }
            Reply::Redirect => (StatusCode::FOUND, [("location", "/elsewhere")]).into_response(),
        }
    }

    /// The URL of `path`, answering `replies` first.
    fn url(&self, path: &str, replies: &[Reply]) -> String {
        self.scripts
            .lock()
            .unwrap()
            .insert(path.to_owned(), replies.iter().copied().collect());
        format!("{}{path}", self.base)
    }

    /// What reached `path`, oldest first.
    fn at(&self, path: &str) -> Vec<Received> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Waits until `path` has seen `n` requests (or more); returns them.
    async fn wait_for(&self, path: &str, n: usize) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let seen = self.at(path);
            if seen.len() >= n {
                return seen;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "{path} saw {} of {n} requests",
                seen.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A partner's endpoint, as the webhook routes store it.
struct Endpoint {
    id: String,
    partner: String,
    secret: String,
    /// The secret before a rotation, which signs too until the rotation's day is over.
    previous: Option<String>,
}

impl Endpoint {
    fn key(&self) -> SigningKey {
        SigningKey::from_secret(&self.secret).unwrap()
    }
}

/// A stack with webhooks, and the KMS key of the secrets (the local stack makes it).
async fn webhook_stack(adjust: impl FnOnce(&mut cpor_local::LocalSettings)) -> (TestStack, String) {
    let stack = TestStack::start_with(adjust).await;
    let key = stack.settings().webhook_key.clone();
    (stack, key)
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A `whsec_` secret of 32 bytes (not random: tests only).
fn secret(seed: u8) -> String {
    use base64::Engine;
    let bytes: Vec<u8> = (0..32)
        .map(|i| seed.wrapping_mul(31).wrapping_add(i))
        .collect();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Writes an active endpoint of `partner` at `url` for `events`, its secret encrypted with
/// `key`; with `previous`, a rotated-out secret that still signs for a day.
async fn register(
    stack: &TestStack,
    key: &str,
    partner: &str,
    url: &str,
    events: &[&str],
    seed: u8,
    previous: Option<u8>,
) -> Endpoint {
    let sdk = stack.settings().sdk_config().await;
    let kms = aws_sdk_kms::Client::new(&sdk);
    let id = cpor_domain::ClaimId::new_at(Utc::now()).to_string();
    let encrypt = |text: String| {
        let kms = kms.clone();
        let (partner, id) = (partner.to_owned(), id.clone());
        async move {
            let out = kms
                .encrypt()
                .key_id(key)
                .plaintext(aws_sdk_kms::primitives::Blob::new(text.into_bytes()))
                .encryption_context("partner_id", partner)
                .encryption_context("webhook_id", id)
                .send()
                .await
                .expect("encrypted");
            AttributeValue::B(out.ciphertext_blob().expect("a ciphertext").clone())
        }
    };
    let endpoint = Endpoint {
        id: id.clone(),
        partner: partner.to_owned(),
        secret: secret(seed),
        previous: previous.map(secret),
    };
    let mut item = HashMap::from([
        ("pk".to_owned(), s(format!("WEBHOOKS#{partner}"))),
        ("sk".to_owned(), s(format!("WEBHOOK#{id}"))),
        ("webhook_id".to_owned(), s(&id)),
        ("partner_id".to_owned(), s(partner)),
        ("url".to_owned(), s(url)),
        (
            "events".to_owned(),
            AttributeValue::L(events.iter().map(|e| s(*e)).collect()),
        ),
        ("status".to_owned(), s("active")),
        (
            "created_at".to_owned(),
            s(cpor_domain::time::format_instant(Utc::now())),
        ),
        ("secret".to_owned(), encrypt(endpoint.secret.clone()).await),
        ("version".to_owned(), AttributeValue::N("1".into())),
    ]);
    if let Some(previous) = &endpoint.previous {
        item.insert("previous_secret".into(), encrypt(previous.clone()).await);
        item.insert(
            "previous_secret_until".into(),
            s(cpor_domain::time::format_instant(
                Utc::now() + TimeDelta::hours(24),
            )),
        );
    }
    aws_sdk_dynamodb::Client::new(&sdk)
        .put_item()
        .table_name(&stack.settings().table)
        .set_item(Some(item))
        .send()
        .await
        .expect("the endpoint is written");
    counted(stack, partner, 1).await;
    endpoint
}

/// What the routes write beside every change of a partner's endpoints: their count (moved by
/// `by`) and their revision, raised.
async fn counted(stack: &TestStack, partner: &str, by: i64) {
    aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await)
        .update_item()
        .table_name(&stack.settings().table)
        .key("pk", s(format!("WEBHOOKS#{partner}")))
        .key("sk", s("COUNT"))
        .update_expression("ADD #count :by, revision :one")
        .expression_attribute_names("#count", "count")
        .expression_attribute_values(":by", AttributeValue::N(by.to_string()))
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .send()
        .await
        .expect("the endpoints' count and revision are written");
}

/// The endpoint's item as stored.
async fn endpoint_item(stack: &TestStack, endpoint: &Endpoint) -> HashMap<String, AttributeValue> {
    let sdk = stack.settings().sdk_config().await;
    aws_sdk_dynamodb::Client::new(&sdk)
        .get_item()
        .table_name(&stack.settings().table)
        .key("pk", s(format!("WEBHOOKS#{}", endpoint.partner)))
        .key("sk", s(format!("WEBHOOK#{}", endpoint.id)))
        .send()
        .await
        .expect("read")
        .item
        .expect("the endpoint")
}

fn text(item: &HashMap<String, AttributeValue>, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

/// An attempt as logged: `(event_id, attempt, outcome, status, error)`.
type Logged = (String, u32, String, Option<u16>, String);

/// Fabrikam's endpoint at `/slow`, which answers its first `answers` requests with 200 after
/// two and a half seconds (over the two that make an endpoint slow).
async fn slow_endpoint(
    stack: &TestStack,
    key: &str,
    receiver: &Receiver,
    answers: usize,
) -> Endpoint {
    let slow = vec![Reply::Slow(Duration::from_millis(2500), 200); answers];
    register(
        stack,
        key,
        FABRIKAM,
        &receiver.url("/slow", &slow),
        &["*"],
        1,
        None,
    )
    .await
}

/// The items of the endpoint's attempt log: one a round that posted to it.
async fn attempt_log_items(
    stack: &TestStack,
    endpoint: &Endpoint,
) -> Vec<HashMap<String, AttributeValue>> {
    let sdk = stack.settings().sdk_config().await;
    aws_sdk_dynamodb::Client::new(&sdk)
        .query()
        .table_name(&stack.settings().table)
        .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
        .expression_attribute_values(":pk", s(format!("WEBHOOK#{}", endpoint.id)))
        .expression_attribute_values(":prefix", s("ATTEMPTS#"))
        .send()
        .await
        .expect("the attempt log")
        .items
        .unwrap_or_default()
}

/// The endpoint's attempt log, oldest first.
async fn attempts(stack: &TestStack, endpoint: &Endpoint) -> Vec<Logged> {
    let mut logged: Vec<(String, Logged)> = attempt_log_items(stack, endpoint)
        .await
        .iter()
        .flat_map(|item| cpor_aws::dynamo::webhooks::attempt_log(item).expect("an attempt log"))
        .map(|a| {
            (
                cpor_domain::time::format_instant(a.at),
                (
                    a.event_id,
                    a.attempt,
                    a.outcome,
                    a.status_code,
                    a.error.unwrap_or_default(),
                ),
            )
        })
        .collect();
    logged.sort_by(|a, b| a.0.cmp(&b.0));
    logged.into_iter().map(|(_, attempt)| attempt).collect()
}

/// Waits until the endpoint's log holds `n` attempts; returns them.
async fn wait_for_attempts(
    stack: &TestStack,
    endpoint: &Endpoint,
    n: usize,
) -> Vec<(String, u32, String, Option<u16>, String)> {
    let started = Instant::now();
    loop {
        let logged = attempts(stack, endpoint).await;
        if logged.len() >= n {
            return logged;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "{} of {n} attempts logged: {logged:?}",
            logged.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The webhooks' queue's URL.
async fn webhook_queue(stack: &TestStack) -> String {
    let name = cpor_aws::schema::QueueDefinition::webhooks(&stack.settings().queue_prefix).name;
    stack
        .sqs()
        .await
        .get_queue_url()
        .queue_name(name)
        .send()
        .await
        .expect("the webhooks' queue")
        .queue_url()
        .unwrap_or_default()
        .to_owned()
}

/// A claim event of `partner` as the bus's rule delivers it (`sequence` of a new claim).
fn bus_event(partner: &str, claim: &str, sequence: u32, event: &str) -> Value {
    let at = cpor_domain::time::format_instant(Utc::now());
    json!({
        "version": "0", "id": format!("{claim}-{sequence}"), "detail-type": format!("claim.{event}"),
        "source": "cpor", "account": "123456789012", "time": at, "region": "us-east-1",
        "resources": [],
        "detail": {
            "event_id": format!("{claim}/{sequence}"), "claim_id": claim, "partner_id": partner,
            "tenant_id": CONTOSO, "program": "osu-m365", "workload": "teams",
            "subscription_id": null, "sequence": sequence, "at": at, "actor": "reviewer",
            "event": event, "from": "submitted", "to": "approved", "code": null
        }
    })
}

/// Puts `event` on the webhooks' queue, as the bus's rule does (or as a redelivery would).
async fn queue(stack: &TestStack, event: &Value) {
    stack
        .sqs()
        .await
        .send_message()
        .queue_url(webhook_queue(stack).await)
        .message_body(event.to_string())
        .send()
        .await
        .expect("queued");
}

/// Waits until the webhooks' queue holds nothing, visible or in flight.
async fn wait_for_empty_queue(stack: &TestStack) {
    let name = cpor_aws::schema::QueueDefinition::webhooks(&stack.settings().queue_prefix).name;
    let started = Instant::now();
    loop {
        let (visible, in_flight) = stack.queue_depth(&name).await;
        if visible + in_flight == 0 {
            return;
        }
        assert!(started.elapsed() < PATIENCE, "{visible} + {in_flight} left");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Whether each request carries a signature of its id, timestamp and body by `key`.
fn signed_by(received: &Received, key: &SigningKey) -> bool {
    let timestamp: i64 = received.header("webhook-timestamp").parse().unwrap_or(-1);
    key.verifies(
        received.header("webhook-signature"),
        received.header("webhook-id"),
        timestamp,
        &received.body,
    )
}

/// The Python interpreter with the `standardwebhooks` package: `CPOR_PYTHON`, else the
/// emulator's virtual environment's (`.venv`, beside `moto_server`).
fn python() -> std::path::PathBuf {
    if let Some(path) = std::env::var_os("CPOR_PYTHON") {
        return path.into();
    }
    let server = std::env::var_os("CPOR_MOTO_SERVER").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/moto_server"),
        std::path::PathBuf::from,
    );
    server.with_file_name("python")
}

/// Verifies each request with the Standard Webhooks Python library and `secret`; panics on
/// any that does not verify.
async fn verify_in_python(requests: &[Received], secret: &str) {
    const SCRIPT: &str = r#"
import json, sys
from standardwebhooks.webhooks import Webhook
cases = json.load(sys.stdin)
for case in cases:
    Webhook(case["secret"]).verify(case["body"], case["headers"])
print(len(cases))
"#;
    let cases: Vec<Value> = requests
        .iter()
        .map(|r| {
            json!({
                "secret": secret,
                "body": String::from_utf8_lossy(&r.body),
                "headers": {
                    "webhook-id": r.header("webhook-id"),
                    "webhook-timestamp": r.header("webhook-timestamp"),
                    "webhook-signature": r.header("webhook-signature"),
                },
            })
        })
        .collect();
    let mut child = tokio::process::Command::new(python())
        .args(["-c", SCRIPT])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs (make test installs standardwebhooks into .venv)");
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(Value::Array(cases).to_string().as_bytes())
            .await
            .expect("written");
    }
    let out = child.wait_with_output().await.expect("python ends");
    assert!(
        out.status.success(),
        "the Python library refused a delivery: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        requests.len().to_string()
    );
}

/// Keeps a delivery as its endpoint received it, headers and body, in
/// `target/test-output/webhooks/delivery.txt` (what a partner's system sees).
fn keep_as_received(received: &Received) {
    let dir = crate::chromium::output_dir("webhooks");
    let mut text = format!("POST {}\n", received.path);
    for (name, value) in &received.headers {
        text.push_str(&format!("{name}: {value}\n"));
    }
    text.push('\n');
    text.push_str(&String::from_utf8_lossy(&received.body));
    text.push('\n');
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join("delivery.txt"), text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claims_whole_flow_reaches_its_partners_endpoints_in_order_signed_and_filtered() {
    // GIVEN Fabrikam's endpoint for every type, another for approvals only, and Northwind's
    // for every type
    let (stack, key) = webhook_stack(|_| {}).await;
    let receiver = Receiver::start().await;
    let every = register(
        &stack,
        &key,
        FABRIKAM,
        &receiver.url("/every", &[]),
        &["*"],
        1,
        None,
    )
    .await;
    register(
        &stack,
        &key,
        FABRIKAM,
        &receiver.url("/approvals", &[]),
        &["claim.approved"],
        2,
        None,
    )
    .await;
    register(
        &stack,
        &key,
        NORTHWIND,
        &receiver.url("/northwind", &[]),
        &["*"],
        3,
        None,
    )
    .await;

    // WHEN a claim of Fabrikam's is submitted, approved, notified and associated
    let submitted = stack.submit(FABRIKAM, &claim_body("teams")).await;
    assert_eq!(submitted.status, 201, "{}", submitted.text);
    let claim_id = submitted.json()["claim_id"].as_str().unwrap().to_owned();
    let notified = stack
        .wait_for_status(FABRIKAM, &claim_id, "awaiting_customer")
        .await;
    let run = stack
        .finalize(instant(&notified["opt_out_deadline"]) + TimeDelta::days(1))
        .await;
    assert_eq!(run.status, 200, "{}", run.text);
    let claim = stack
        .wait_for_status(FABRIKAM, &claim_id, "associated")
        .await;
    let history = claim["history"].as_array().unwrap().len();

    // THEN every history entry reached the endpoint for every type, once and in order
    let every_seen = receiver.wait_for("/every", history).await;
    let sequences: Vec<u64> = every_seen
        .iter()
        .map(|r| r.json()["data"]["sequence"].as_u64().unwrap())
        .collect();
    assert_eq!(sequences, (1..=history as u64).collect::<Vec<_>>());
    for received in &every_seen {
        let body = received.json();
        // as docs/api.md says: the type, a timestamp and the event's detail, with the headers
        assert_eq!(received.header("content-type"), "application/json");
        assert_eq!(received.header("webhook-id"), body["data"]["event_id"]);
        assert_eq!(
            body["type"],
            format!("claim.{}", body["data"]["event"].as_str().unwrap())
        );
        assert_eq!(body["timestamp"], body["data"]["at"]);
        assert_eq!(body["data"]["claim_id"], claim_id.as_str());
        // AND each is signed with the endpoint's secret, by one signature
        assert!(signed_by(received, &every.key()), "{received:?}");
        assert_eq!(received.header("webhook-signature").split(' ').count(), 1);
    }
    // AND the Standard Webhooks Python library verifies every one
    verify_in_python(&every_seen, &every.secret).await;
    keep_as_received(&every_seen[1]);
    // AND the approvals' endpoint received the approval alone
    let approvals: Vec<String> = receiver
        .at("/approvals")
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(approvals, vec!["claim.approved"]);
    // AND Northwind's endpoint nothing
    assert!(receiver.at("/northwind").is_empty());
    // AND the attempt log holds each delivery
    let logged = attempts(&stack, &every).await;
    assert_eq!(logged.len(), history);
    assert!(
        logged
            .iter()
            .all(|(_, attempt, outcome, status, _)| *attempt == 1
                && outcome == "delivered"
                && *status == Some(200))
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deliveries_are_retried_on_the_schedule_disabled_by_a_410_and_failed_by_a_redirect()
{
    // GIVEN a stack whose deliveries time out after a second, and Fabrikam's endpoints
    // answering 500 then 200, 410, a redirect, and a first answer after two seconds
    let (stack, key) = webhook_stack(|s| s.webhooks.timeout_ms = 1000).await;
    let receiver = Receiver::start().await;
    let flaky = register(
        &stack,
        &key,
        FABRIKAM,
        &receiver.url("/flaky", &[Reply::Status(500)]),
        &["*"],
        1,
        None,
    )
    .await;
    let gone = register(
        &stack,
        &key,
        FABRIKAM,
        &receiver.url("/gone", &[Reply::Status(410)]),
        &["*"],
        2,
        None,
    )
    .await;
    let moved = register(
        &stack,
        &key,
        FABRIKAM,
        &receiver.url("/moved", &[Reply::Redirect]),
        &["*"],
        3,
        None,
    )
    .await;
    let slow = register(
        &stack,
        &key,
        FABRIKAM,
        &receiver.url("/slow", &[Reply::Slow(Duration::from_secs(2), 200)]),
        &["*"],
        4,
        None,
    )
    .await;

    // WHEN an event of Fabrikam's claim is delivered
    let claim = cpor_domain::ClaimId::new_at(Utc::now()).to_string();
    queue(&stack, &bus_event(FABRIKAM, &claim, 2, "approved")).await;
    let event_id = format!("{claim}/2");

    // THEN the 500 is retried once, and both attempts are recorded
    let flaky_seen = receiver.wait_for("/flaky", 2).await;
    assert!(
        flaky_seen
            .iter()
            .all(|r| r.header("webhook-id") == event_id)
    );
    let logged = wait_for_attempts(&stack, &flaky, 2).await;
    assert_eq!(
        logged,
        vec![
            (
                event_id.clone(),
                1,
                "retrying".into(),
                Some(500),
                "status".into()
            ),
            (
                event_id.clone(),
                2,
                "delivered".into(),
                Some(200),
                String::new()
            ),
        ]
    );
    // AND the timeout is retried, and recorded as one
    receiver.wait_for("/slow", 2).await;
    let logged = wait_for_attempts(&stack, &slow, 2).await;
    assert_eq!(
        (logged[0].2.as_str(), logged[0].3, logged[0].4.as_str()),
        ("retrying", None, "timeout")
    );
    assert_eq!(logged[1].2, "delivered");
    // AND the 410 disabled its endpoint, after one request
    let logged = wait_for_attempts(&stack, &gone, 1).await;
    assert_eq!(logged[0].2, "disabled");
    let item = endpoint_item(&stack, &gone).await;
    assert_eq!(
        (text(&item, "status"), text(&item, "disabled_reason")),
        ("disabled".into(), "gone".into())
    );
    // AND the redirect failed the delivery without being followed or retried
    let logged = wait_for_attempts(&stack, &moved, 1).await;
    assert_eq!(
        logged,
        vec![(
            event_id.clone(),
            1,
            "failed".into(),
            Some(302),
            "redirect".into()
        )]
    );
    wait_for_empty_queue(&stack).await;
    assert!(receiver.at("/elsewhere").is_empty());
    assert_eq!(receiver.at("/moved").len(), 1);
    assert_eq!(receiver.at("/gone").len(), 1);
    assert_eq!(receiver.at("/flaky").len(), 2);
    // AND the endpoints that failed are failing since their first failure, the one that
    // recovered is not
    assert!(
        endpoint_item(&stack, &moved)
            .await
            .contains_key("failing_since")
    );
    assert!(
        !endpoint_item(&stack, &flaky)
            .await
            .contains_key("failing_since")
    );

    // WHEN the claim's next event follows
    queue(&stack, &bus_event(FABRIKAM, &claim, 3, "customer_notified")).await;
    // THEN the active endpoints receive it, and the disabled one does not
    receiver.wait_for("/flaky", 3).await;
    wait_for_empty_queue(&stack).await;
    assert_eq!(receiver.at("/gone").len(), 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_message_posts_nothing_twice_rotation_signs_twice_and_private_hosts_are_refused()
 {
    // GIVEN a host that resolves to a private address, and Fabrikam's endpoints: one just
    // rotated (its previous secret still signs), one on that host, and two more for the test
    // event
    let (stack, key) = webhook_stack(|s| {
        s.webhooks.fixed_addresses = "hooks.fabrikam.example=10.20.30.40".into();
    })
    .await;
    let receiver = Receiver::start().await;
    let rotated = register(
        &stack,
        &key,
        FABRIKAM,
        &receiver.url("/rotated", &[]),
        &["claim.approved"],
        1,
        Some(9),
    )
    .await;
    let private = register(
        &stack,
        &key,
        FABRIKAM,
        "https://hooks.fabrikam.example/in",
        &["*"],
        2,
        None,
    )
    .await;
    let other = register(
        &stack,
        &key,
        FABRIKAM,
        &receiver.url("/other", &[]),
        &["claim.approved"],
        3,
        None,
    )
    .await;

    // WHEN an event is delivered, then its message delivered again (as SQS may)
    let claim = cpor_domain::ClaimId::new_at(Utc::now()).to_string();
    let event = bus_event(FABRIKAM, &claim, 2, "approved");
    queue(&stack, &event).await;
    receiver.wait_for("/rotated", 1).await;
    receiver.wait_for("/other", 1).await;
    wait_for_empty_queue(&stack).await;
    queue(&stack, &event).await;
    wait_for_empty_queue(&stack).await;

    // THEN each endpoint received it once
    let seen = receiver.at("/rotated");
    assert_eq!(seen.len(), 1);
    assert_eq!(receiver.at("/other").len(), 1);
    // AND the rotated endpoint's delivery carries two signatures, each verifying with its secret
    let signatures: Vec<&str> = seen[0].header("webhook-signature").split(' ').collect();
    assert_eq!(signatures.len(), 2, "{signatures:?}");
    assert!(signed_by(&seen[0], &rotated.key()));
    let previous = rotated.previous.clone().unwrap();
    assert!(signed_by(
        &seen[0],
        &SigningKey::from_secret(&previous).unwrap()
    ));
    verify_in_python(&seen, &rotated.secret).await;
    verify_in_python(&seen, &previous).await;
    // AND the private host was refused at delivery, recorded, and not tried again
    let logged = attempts(&stack, &private).await;
    assert_eq!(
        logged,
        vec![(
            format!("{claim}/2"),
            1,
            "refused".into(),
            None,
            "private_address".into()
        )]
    );

    // WHEN a test event names the rotated endpoint
    let mut test = json!({
        "version": "0", "id": "t-1", "detail-type": "webhook.test", "source": "cpor",
        "account": "123456789012", "time": cpor_domain::time::format_instant(Utc::now()),
        "region": "us-east-1", "resources": [],
        "detail": { "event_id": "test/01JDX3Z8Q6V6W4S0Y1B2C3D4E5", "partner_id": FABRIKAM,
                    "webhook_id": rotated.id, "at": cpor_domain::time::format_instant(Utc::now()) }
    });
    queue(&stack, &test).await;
    // THEN it alone receives it
    let seen = receiver.wait_for("/rotated", 2).await;
    assert_eq!(seen[1].json()["type"], "webhook.test");
    assert_eq!(
        seen[1].header("webhook-id"),
        "test/01JDX3Z8Q6V6W4S0Y1B2C3D4E5"
    );
    // WHEN another partner's test event names it
    test["detail"]["partner_id"] = json!(NORTHWIND);
    test["detail"]["event_id"] = json!("test/01JDX3Z8Q6V6W4S0Y1B2C3D4E6");
    queue(&stack, &test).await;
    wait_for_empty_queue(&stack).await;
    // THEN nothing more arrives anywhere
    assert_eq!(receiver.at("/rotated").len(), 2);
    assert_eq!(receiver.at("/other").len(), 1);
    let _ = other;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_fifth_of_the_deliveries_aws_calls_failing_every_event_arrives_and_none_is_lost() {
    // GIVEN two endpoints of Fabrikam's, and a fifth of every AWS call failing (only
    // deliver-webhooks works: the events are put on its queue as the bus's rule puts them)
    let plan = FaultPlan::new(0.0, 20261207);
    let shared = plan.clone();
    let (stack, key) = webhook_stack(move |s| s.faults = Some(shared)).await;
    let receiver = Receiver::start().await;
    let first = register(
        &stack,
        &key,
        FABRIKAM,
        &receiver.url("/a", &[]),
        &["*"],
        1,
        None,
    )
    .await;
    let second = register(
        &stack,
        &key,
        FABRIKAM,
        &receiver.url("/b", &[]),
        &["*"],
        2,
        None,
    )
    .await;
    let events: usize = std::env::var("CPOR_FAULT_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40);
    let mut expected = std::collections::BTreeSet::new();
    let mut messages = Vec::new();
    for i in 0..events {
        let claim = cpor_domain::ClaimId::new_at(Utc::now()).to_string();
        let sequence = u32::try_from(i % 3).unwrap() + 1;
        expected.insert(format!("{claim}/{sequence}"));
        messages.push(bus_event(FABRIKAM, &claim, sequence, "approved"));
    }
    for message in &messages {
        queue(&stack, message).await;
    }

    // WHEN a fifth of the calls fail while they are delivered
    plan.set_rate(0.2);
    let started = Instant::now();
    loop {
        let delivered = |path: &str| {
            receiver
                .at(path)
                .iter()
                .map(Received::event_id)
                .collect::<std::collections::BTreeSet<_>>()
        };
        if delivered("/a") == expected && delivered("/b") == expected {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "delivered {} and {} of {events}; faults {:?}",
            delivered("/a").len(),
            delivered("/b").len(),
            plan.injected()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    plan.set_rate(0.0);
    wait_for_empty_queue(&stack).await;

    // THEN every event reached both endpoints, each request signed, faults were injected, and
    // no message went to the dead-letter queue
    for (path, endpoint) in [("/a", &first), ("/b", &second)] {
        let seen = receiver.at(path);
        assert!(seen.iter().all(|r| signed_by(r, &endpoint.key())));
        assert!(seen.len() >= events);
    }
    assert!(plan.injected().values().sum::<u64>() > 0);
    let dlq = cpor_aws::schema::QueueDefinition::webhooks(&stack.settings().queue_prefix)
        .dead_letter_name;
    assert_eq!(stack.queue_depth(&dlq).await, (0, 0));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_failing_for_three_days_is_disabled_and_its_claims_partner_contact_e_mailed() {
    // GIVEN Fabrikam's endpoint that has failed every attempt for three days, and still does
    let (stack, key) = webhook_stack(|_| {}).await;
    let receiver = Receiver::start().await;
    let failing = register(
        &stack,
        &key,
        FABRIKAM,
        &receiver.url("/down", &[Reply::Status(503); 20]),
        &["*"],
        1,
        None,
    )
    .await;
    let since = Utc::now() - TimeDelta::days(3) - TimeDelta::minutes(1);
    aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await)
        .update_item()
        .table_name(&stack.settings().table)
        .key("pk", s(format!("WEBHOOKS#{FABRIKAM}")))
        .key("sk", s(format!("WEBHOOK#{}", failing.id)))
        .update_expression("SET failing_since = :since")
        .expression_attribute_values(":since", s(cpor_domain::time::format_instant(since)))
        .send()
        .await
        .expect("failing since three days");
    counted(&stack, FABRIKAM, 0).await;

    // WHEN a claim of Fabrikam's brings its next event
    let submitted = stack.submit(FABRIKAM, &claim_body("teams")).await;
    assert_eq!(submitted.status, 201, "{}", submitted.text);

    // THEN the attempt fails, the endpoint is disabled as failing, and the claim's partner
    // contact is told
    let started = Instant::now();
    let email = loop {
        let outbox = stack.outbox().await;
        if let Some(email) = outbox
            .iter()
            .find(|m| m["subject"] == "Your webhook endpoint was disabled")
        {
            break email.clone();
        }
        assert!(started.elapsed() < PATIENCE, "no e-mail: {outbox:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(email["to"], json!(["sam@fabrikam.com"]));
    assert!(email["body"].as_str().unwrap().contains(&failing.id));
    let item = endpoint_item(&stack, &failing).await;
    assert_eq!(
        (text(&item, "status"), text(&item, "disabled_reason")),
        ("disabled".into(), "failing".into())
    );
    // AND it is told once, and nothing more is posted once it is disabled
    wait_for_empty_queue(&stack).await;
    let told = stack
        .outbox()
        .await
        .iter()
        .filter(|m| m["subject"] == "Your webhook endpoint was disabled")
        .count();
    assert_eq!(told, 1);
    assert_eq!(receiver.at("/down").len(), 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_endpoint_is_posted_to_one_delivery_at_a_time_and_still_receives_every_event() {
    // GIVEN Fabrikam's endpoint that takes two and a half seconds to answer
    let (stack, key) = webhook_stack(|_| {}).await;
    let receiver = Receiver::start().await;
    let endpoint = slow_endpoint(&stack, &key, &receiver, 10).await;
    // WHEN a first event is delivered
    let claim = cpor_domain::ClaimId::new_at(Utc::now()).to_string();
    queue(&stack, &bus_event(FABRIKAM, &claim, 1, "approved")).await;
    receiver.wait_for("/slow", 1).await;
    wait_for_empty_queue(&stack).await;
    // THEN the endpoint is marked slow
    assert!(
        endpoint_item(&stack, &endpoint)
            .await
            .contains_key("slow_until")
    );

    // WHEN three events of three claims come at once
    *receiver.busy.lock().unwrap() = (0, 0);
    for _ in 0..3 {
        let claim = cpor_domain::ClaimId::new_at(Utc::now()).to_string();
        queue(&stack, &bus_event(FABRIKAM, &claim, 1, "approved")).await;
    }
    // THEN each arrives, one at a time
    receiver.wait_for("/slow", 4).await;
    wait_for_empty_queue(&stack).await;
    assert_eq!(receiver.at("/slow").len(), 4);
    assert_eq!(receiver.busy.lock().unwrap().1, 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_that_finds_an_endpoint_slow_posts_to_it_no_more_and_its_other_events_come_later() {
    // GIVEN Fabrikam's endpoint, not yet known to be slow, that takes two and a half seconds
    // to answer
    let (stack, key) = webhook_stack(|_| {}).await;
    let receiver = Receiver::start().await;
    let endpoint = slow_endpoint(&stack, &key, &receiver, 3).await;
    // WHEN three events of one claim are queued together (one batch)
    let claim = cpor_domain::ClaimId::new_at(Utc::now()).to_string();
    let entries: Vec<aws_sdk_sqs::types::SendMessageBatchRequestEntry> = (1..=3)
        .map(|sequence| {
            aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                .id(format!("e{sequence}"))
                .message_body(bus_event(FABRIKAM, &claim, sequence, "approved").to_string())
                .build()
                .expect("an entry")
        })
        .collect();
    let sent = stack
        .sqs()
        .await
        .send_message_batch()
        .queue_url(webhook_queue(&stack).await)
        .set_entries(Some(entries))
        .send()
        .await
        .expect("queued");
    assert!(sent.failed().is_empty());
    // THEN each event arrives once
    receiver.wait_for("/slow", 3).await;
    wait_for_empty_queue(&stack).await;
    let mut ids: Vec<String> = receiver
        .at("/slow")
        .iter()
        .map(|r| r.header("webhook-id").to_owned())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        (1..=3).map(|n| format!("{claim}/{n}")).collect::<Vec<_>>()
    );
    // AND each was posted by a round of its own: the round whose first exchange took over two
    // seconds posted no more to the endpoint (a round logs an endpoint's attempts in one item),
    // and the rounds after it post once each to an endpoint now marked slow
    let rounds = attempt_log_items(&stack, &endpoint).await;
    assert_eq!(rounds.len(), 3);
    for round in &rounds {
        let logged = cpor_aws::dynamo::webhooks::attempt_log(round).expect("an attempt log");
        assert_eq!(logged.len(), 1, "{logged:?}");
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_registered_through_the_api_receives_its_test_event_signed_with_the_secret_shown()
 {
    // GIVEN a receiver registered through POST /v1/webhooks, its secret shown once
    let stack = TestStack::start().await;
    let receiver = Receiver::start().await;
    let admin = stack.admin(FABRIKAM);
    let created = stack
        .send(
            reqwest::Method::POST,
            "/v1/webhooks",
            Some(&admin),
            Some(&json!({ "url": receiver.url("/api", &[]), "events": ["claim.approved"] })),
            &[],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json()["webhook_id"].as_str().unwrap().to_owned();
    let secret = created.json()["secret"].as_str().unwrap().to_owned();
    // WHEN the partner asks for a test event
    let tested = stack
        .send(
            reqwest::Method::POST,
            &format!("/v1/webhooks/{id}/test"),
            Some(&admin),
            None,
            &[],
        )
        .await;
    assert_eq!(tested.status, 202, "{}", tested.text);
    // THEN the receiver gets it, signed with that secret (as the Python library checks too)
    let seen = receiver.wait_for("/api", 1).await;
    assert_eq!(seen[0].json()["type"], "webhook.test");
    assert!(signed_by(
        &seen[0],
        &SigningKey::from_secret(&secret).unwrap()
    ));
    verify_in_python(&seen, &secret).await;
    // AND the endpoint's recent deliveries show it
    let started = Instant::now();
    loop {
        let shown = stack
            .send(
                reqwest::Method::GET,
                &format!("/v1/webhooks/{id}"),
                Some(&admin),
                None,
                &[],
            )
            .await;
        let recent = shown.json()["recent_deliveries"].clone();
        if recent.as_array().is_some_and(|r| !r.is_empty()) {
            assert_eq!(recent[0]["outcome"], "delivered", "{recent}");
            assert_eq!(recent[0]["status_code"], 200, "{recent}");
            break;
        }
        assert!(started.elapsed() < PATIENCE, "{}", shown.text);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stack.stop().await;
}

/// A partner's endpoint registered through the API, with its secret shown: `(id, secret)`.
async fn registered(stack: &TestStack, admin: &str, url: &str) -> (String, String) {
    let created = stack
        .send(
            reqwest::Method::POST,
            "/v1/webhooks",
            Some(admin),
            Some(&json!({ "url": url, "events": ["*"] })),
            &[],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let field = |name: &str| created.json()[name].as_str().unwrap().to_owned();
    (field("webhook_id"), field("secret"))
}

#[tokio::test]
async fn endpoints_changed_through_the_api_after_deliveries_are_the_ones_the_next_event_meets() {
    // GIVEN two endpoints of Fabrikam's registered through the API, which received every
    // event of a claim so far (the delivery function keeps Fabrikam's endpoints since)
    let stack = TestStack::start().await;
    let receiver = Receiver::start().await;
    let admin = stack.admin(FABRIKAM);
    let (kept, old_secret) = registered(&stack, &admin, &receiver.url("/kept", &[])).await;
    let (deleted, _) = registered(&stack, &admin, &receiver.url("/deleted", &[])).await;
    let submitted = stack.submit(FABRIKAM, &claim_body("teams")).await;
    assert_eq!(submitted.status, 201, "{}", submitted.text);
    let claim_id = submitted.json()["claim_id"].as_str().unwrap().to_owned();
    stack
        .wait_for_status(FABRIKAM, &claim_id, "awaiting_customer")
        .await;
    let so_far = stack.claim(FABRIKAM, &claim_id).await["history"]
        .as_array()
        .map_or(0, Vec::len);
    receiver.wait_for("/kept", so_far).await;
    receiver.wait_for("/deleted", so_far).await;
    wait_for_empty_queue(&stack).await;

    // WHEN, through the API, the first's secret is rotated, the second deleted and a third
    // registered
    let rotated = stack
        .send(
            reqwest::Method::POST,
            &format!("/v1/webhooks/{kept}/rotate-secret"),
            Some(&admin),
            None,
            &[],
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let new_secret = rotated.json()["secret"].as_str().unwrap().to_owned();
    let removed = stack
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/webhooks/{deleted}"),
            Some(&admin),
            None,
            &[],
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    registered(&stack, &admin, &receiver.url("/new", &[])).await;
    // AND the claim brings its next event
    let withdrawn = stack.withdraw(FABRIKAM, &claim_id, "flow test").await;
    assert!(withdrawn.status.is_success(), "{}", withdrawn.text);

    // THEN the new endpoint receives it, the rotated one receives it signed with both secrets,
    // and the deleted one receives nothing more
    let new = receiver.wait_for("/new", 1).await;
    assert_eq!(new[0].json()["type"], "claim.withdrawn", "{:?}", new[0]);
    let kept_seen = receiver.wait_for("/kept", so_far + 1).await;
    let last = kept_seen
        .iter()
        .find(|r| r.json()["type"] == "claim.withdrawn")
        .expect("the withdrawal reached the rotated endpoint");
    for secret in [&old_secret, &new_secret] {
        assert!(
            signed_by(last, &SigningKey::from_secret(secret).unwrap()),
            "{:?}",
            last.header("webhook-signature")
        );
    }
    wait_for_empty_queue(&stack).await;
    assert_eq!(receiver.at("/deleted").len(), so_far);
    stack.stop().await;
}
