//! Partners' webhook endpoints through the partner API: registered with a secret shown once and
//! stored sealed by the emulator's KMS, listed and read without it, rotated with the old secret
//! kept 24 hours, tested through the bus, enabled, deleted; five at most per partner; another
//! partner's never found; the URL rules, and in AWS's mode the host's addresses.

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use cpor_aws::webhooks::Resolve;
use cpor_domain::clock::{Clock, FixedClock};
use cpor_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const WEBHOOKS: &str = "/v1/webhooks";

fn registration(url: &str) -> Value {
    json!({
        "url": url,
        "events": ["claim.approved", "claim.associated"],
        "description": "CRM sync",
    })
}

async fn call(
    stack: &TestStack,
    method: Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> Answer {
    stack.send(method, path, Some(token), body, &[]).await
}

/// Registers `url` for `partner` (as its admin), expecting 201; the answer.
async fn register(stack: &TestStack, partner: &str, url: &str) -> Value {
    let answer = call(
        stack,
        Method::POST,
        WEBHOOKS,
        &stack.admin(partner),
        Some(&registration(url)),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.json()
}

/// The endpoint's item as stored, read raw.
async fn stored(
    stack: &TestStack,
    partner: &str,
    id: &str,
) -> Option<HashMap<String, AttributeValue>> {
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await);
    dynamo
        .get_item()
        .table_name(&stack.settings().table)
        .key("pk", AttributeValue::S(format!("WEBHOOKS#{partner}")))
        .key("sk", AttributeValue::S(format!("WEBHOOK#{id}")))
        .consistent_read(true)
        .send()
        .await
        .expect("the table answers")
        .item
}

fn blob(item: &HashMap<String, AttributeValue>, name: &str) -> Vec<u8> {
    item[name]
        .as_b()
        .expect("a binary attribute")
        .as_ref()
        .to_vec()
}

/// What the emulator's KMS opens `ciphertext` to, under the context of `partner`'s endpoint `id`.
async fn opened(stack: &TestStack, ciphertext: Vec<u8>, partner: &str, id: &str) -> Option<String> {
    let kms = aws_sdk_kms::Client::new(&stack.settings().sdk_config().await);
    kms.decrypt()
        .ciphertext_blob(ciphertext.into())
        .encryption_context("partner_id", partner)
        .encryption_context("webhook_id", id)
        .send()
        .await
        .ok()
        .and_then(|out| out.plaintext)
        .map(|p| String::from_utf8(p.into_inner()).expect("text"))
}

/// A whsec_ secret of 32 bytes.
fn assert_secret(secret: &Value) -> String {
    let text = secret.as_str().expect("a secret").to_owned();
    let key = text.strip_prefix("whsec_").expect("whsec_");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(key)
        .expect("base64");
    assert_eq!(bytes.len(), 32, "{text}");
    text
}

#[tokio::test]
async fn a_registered_webhook_s_secret_is_shown_once_and_stored_only_as_kms_ciphertext() {
    // GIVEN a stack
    let stack = TestStack::start().await;
    // WHEN Fabrikam's admin registers an endpoint
    let created = register(&stack, FABRIKAM, "https://Hooks.Example.com/cpor").await;
    // THEN the answer is the active endpoint with its secret
    let id = created["webhook_id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 26);
    assert_eq!(created["url"], "https://hooks.example.com/cpor");
    assert_eq!(
        created["events"],
        json!(["claim.approved", "claim.associated"])
    );
    assert_eq!(created["description"], "CRM sync");
    assert_eq!(created["status"], "active");
    assert_eq!(created["disabled_reason"], Value::Null);
    let secret = assert_secret(&created["secret"]);
    // AND neither the list nor the endpoint shows the secret
    let admin = stack.admin(FABRIKAM);
    let list = call(&stack, Method::GET, WEBHOOKS, &admin, None).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.json()["items"].as_array().unwrap().len(), 1);
    let one = call(
        &stack,
        Method::GET,
        &format!("{WEBHOOKS}/{id}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.json()["recent_deliveries"], json!([]));
    for answer in [&list, &one] {
        assert!(!answer.text.contains(&secret[6..]), "{}", answer.text);
        assert!(!answer.text.contains("\"secret\""), "{}", answer.text);
    }
    // AND the stored item holds no form of the secret, but KMS ciphertext that opens to it
    // under this endpoint's context alone
    let item = stored(&stack, FABRIKAM, &id).await.expect("stored");
    let sealed = blob(&item, "secret");
    let raw_key = base64::engine::general_purpose::STANDARD
        .decode(&secret[6..])
        .unwrap();
    let all_text = format!("{item:?}");
    assert!(!all_text.contains(&secret[6..]), "{all_text}");
    assert!(
        !sealed
            .windows(raw_key.len())
            .any(|w| w == raw_key.as_slice())
    );
    assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_bytes()));
    assert_eq!(
        opened(&stack, sealed.clone(), FABRIKAM, &id).await,
        Some(secret.clone())
    );
    let other_id = "01JDX3K2Z4W5Y6V7T8S9R0Q1P2";
    assert_eq!(opened(&stack, sealed, FABRIKAM, other_id).await, None);
    assert_eq!(item["status"].as_s().unwrap(), "active");
    assert_eq!(item["version"].as_n().unwrap(), "1");
    stack.stop().await;
}

#[tokio::test]
async fn rotation_answers_a_new_secret_and_keeps_the_previous_one_signing_24_hours() {
    // GIVEN a stack whose clock stands still, and an endpoint
    let now = Utc::now();
    let clock = Arc::new(FixedClock::at(now));
    let stack = TestStack::start_with(|s| s.clock = clock.clone()).await;
    let created = register(&stack, FABRIKAM, "https://hooks.example.com/cpor").await;
    let id = created["webhook_id"].as_str().unwrap();
    let first = stored(&stack, FABRIKAM, id).await.unwrap();
    // WHEN its secret is rotated an hour later
    let later = now + TimeDelta::hours(1);
    clock.set(later);
    let path = format!("{WEBHOOKS}/{id}/rotate-secret");
    let rotated = call(&stack, Method::POST, &path, &stack.admin(FABRIKAM), None).await;
    // THEN the answer carries a new secret, and the old one signs until 24 hours after
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let rotated = rotated.json();
    let new_secret = assert_secret(&rotated["secret"]);
    assert_ne!(new_secret, created["secret"].as_str().unwrap());
    let until: DateTime<Utc> = rotated["previous_secret_until"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // (the clock keeps milliseconds, as the service writes instants)
    let later = FixedClock::at(later).now();
    assert_eq!(until, later + TimeDelta::hours(24));
    // AND the item keeps the old ciphertext as the previous secret, and seals the new one
    let item = stored(&stack, FABRIKAM, id).await.unwrap();
    assert_eq!(blob(&item, "previous_secret"), blob(&first, "secret"));
    assert_eq!(
        opened(&stack, blob(&item, "secret"), FABRIKAM, id).await,
        Some(new_secret)
    );
    assert_eq!(item["version"].as_n().unwrap(), "2");
    // AND once the 24 hours are over, the endpoint shows no previous secret
    clock.set(until);
    let read = call(
        &stack,
        Method::GET,
        &format!("{WEBHOOKS}/{id}"),
        &stack.admin(FABRIKAM),
        None,
    )
    .await;
    assert_eq!(
        read.json()["previous_secret_until"],
        Value::Null,
        "{}",
        read.text
    );
    stack.stop().await;
}

/// What `GET /_local/events` shows: the events the bus's rule delivered to its queue.
async fn delivered(stack: &TestStack) -> Vec<Value> {
    let answer = stack
        .send(Method::GET, "/_local/events", None, None, &[])
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json()["events"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_test_puts_a_webhook_test_event_for_the_endpoint_on_the_bus() {
    // GIVEN an endpoint
    let stack = TestStack::start().await;
    let created = register(&stack, FABRIKAM, "https://hooks.example.com/cpor").await;
    let id = created["webhook_id"].as_str().unwrap();
    // WHEN it is tested
    let path = format!("{WEBHOOKS}/{id}/test");
    let tested = call(&stack, Method::POST, &path, &stack.admin(FABRIKAM), None).await;
    // THEN the answer is 202 with the test event's id
    assert_eq!(tested.status, 202, "{}", tested.text);
    let event_id = tested.json()["event_id"].as_str().unwrap().to_owned();
    assert!(event_id.starts_with("test/"), "{event_id}");
    // AND the bus delivers a webhook.test event naming the partner and the endpoint (through
    // the local rule on `source: cpor` to its queue)
    let started = Instant::now();
    let event = loop {
        let found = delivered(&stack)
            .await
            .into_iter()
            .find(|e| e["detail"]["event_id"] == event_id.as_str());
        if let Some(event) = found {
            break event;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the test event never arrived"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(event["detail-type"], "webhook.test");
    assert_eq!(event["detail"]["partner_id"], FABRIKAM);
    assert_eq!(event["detail"]["webhook_id"], id);
    assert!(event["detail"]["at"].is_string(), "{event}");
    stack.stop().await;
}

#[tokio::test]
async fn a_disabled_endpoint_is_not_tested_until_enabled_and_enabling_forgets_its_failures() {
    // GIVEN an endpoint that the delivery disabled after three days of failures
    let stack = TestStack::start().await;
    let created = register(&stack, FABRIKAM, "https://hooks.example.com/cpor").await;
    let id = created["webhook_id"].as_str().unwrap();
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await);
    dynamo
        .update_item()
        .table_name(&stack.settings().table)
        .key("pk", AttributeValue::S(format!("WEBHOOKS#{FABRIKAM}")))
        .key("sk", AttributeValue::S(format!("WEBHOOK#{id}")))
        .update_expression("SET #s = :d, disabled_reason = :r, failing_since = :f")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":d", AttributeValue::S("disabled".into()))
        .expression_attribute_values(":r", AttributeValue::S("failing".into()))
        .expression_attribute_values(":f", AttributeValue::S("2026-12-01T10:00:00.000Z".into()))
        .send()
        .await
        .unwrap();
    let admin = stack.admin(FABRIKAM);
    let read = call(
        &stack,
        Method::GET,
        &format!("{WEBHOOKS}/{id}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(read.json()["status"], "disabled", "{}", read.text);
    assert_eq!(read.json()["disabled_reason"], "failing");
    assert_eq!(read.json()["failing_since"], "2026-12-01T10:00:00.000Z");
    // WHEN it is tested, THEN nothing is put on the bus: 409 webhook_disabled
    let test = format!("{WEBHOOKS}/{id}/test");
    let refused = call(&stack, Method::POST, &test, &admin, None).await;
    assert_eq!(
        (refused.status.as_u16(), refused.code()),
        (409, "webhook_disabled".into())
    );
    // WHEN it is enabled, THEN it is active, its failures forgotten, and may be tested
    let enabled = call(
        &stack,
        Method::POST,
        &format!("{WEBHOOKS}/{id}/enable"),
        &admin,
        None,
    )
    .await;
    assert_eq!(enabled.status, 200, "{}", enabled.text);
    let enabled = enabled.json();
    assert_eq!(enabled["status"], "active");
    assert_eq!(enabled["disabled_reason"], Value::Null);
    assert_eq!(enabled["failing_since"], Value::Null);
    assert!(enabled.get("secret").is_none(), "{enabled}");
    let tested = call(&stack, Method::POST, &test, &admin, None).await;
    assert_eq!(tested.status, 202, "{}", tested.text);
    stack.stop().await;
}

#[tokio::test]
async fn an_endpoint_shows_its_latest_20_delivery_attempts_newest_first() {
    // GIVEN an endpoint, and 25 attempts the delivery recorded for it in rounds of up to
    // three (as it logs a batch's attempts to one endpoint)
    let stack = TestStack::start().await;
    let created = register(&stack, FABRIKAM, "https://hooks.example.com/cpor").await;
    let id = created["webhook_id"].as_str().unwrap();
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await);
    let start = "2026-12-07T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
    let attempts: Vec<(String, Value)> = (0..25u32)
        .map(|i| {
            let at = cpor_domain::time::format_instant(start + TimeDelta::seconds(i.into()));
            let event_id = format!("01JDX3K2Z4W5Y6V7T8S9R0Q1P2/{i}");
            let entry = if i % 2 == 0 {
                json!({"event_id": event_id, "attempt": 1, "at": at, "outcome": "delivered",
                       "status_code": 200})
            } else {
                json!({"event_id": event_id, "attempt": 1, "at": at, "outcome": "retrying",
                       "error": "timeout"})
            };
            (at, entry)
        })
        .collect();
    for round in attempts.chunks(3) {
        let (latest, _) = round.last().unwrap();
        let log: Vec<&Value> = round.iter().map(|(_, a)| a).collect();
        dynamo
            .put_item()
            .table_name(&stack.settings().table)
            .item("pk", AttributeValue::S(format!("WEBHOOK#{id}")))
            .item("sk", AttributeValue::S(format!("ATTEMPTS#{latest}#round")))
            .item("attempts", AttributeValue::S(json!(log).to_string()))
            .item("expires_at", AttributeValue::N("1893456000".into()))
            .send()
            .await
            .unwrap();
    }
    // WHEN it is read
    let read = call(
        &stack,
        Method::GET,
        &format!("{WEBHOOKS}/{id}"),
        &stack.admin(FABRIKAM),
        None,
    )
    .await;
    // THEN it shows the latest 20, newest first, each as recorded
    assert_eq!(read.status, 200, "{}", read.text);
    let recent = read.json()["recent_deliveries"].as_array().unwrap().clone();
    assert_eq!(recent.len(), 20);
    assert_eq!(
        recent[0],
        json!({
            "event_id": "01JDX3K2Z4W5Y6V7T8S9R0Q1P2/24",
            "attempt": 1,
            "at": "2026-12-07T10:00:24.000Z",
            "outcome": "delivered",
            "status_code": 200,
        })
    );
    assert_eq!(recent[1]["outcome"], "retrying");
    assert_eq!(recent[1]["status_code"], Value::Null);
    assert_eq!(recent[19]["event_id"], "01JDX3K2Z4W5Y6V7T8S9R0Q1P2/5");
    stack.stop().await;
}

#[tokio::test]
async fn a_deleted_endpoint_is_gone_and_frees_its_place() {
    // GIVEN an endpoint
    let stack = TestStack::start().await;
    let created = register(&stack, FABRIKAM, "https://hooks.example.com/cpor").await;
    let path = format!("{WEBHOOKS}/{}", created["webhook_id"].as_str().unwrap());
    let admin = stack.admin(FABRIKAM);
    // WHEN it is deleted
    let deleted = call(&stack, Method::DELETE, &path, &admin, None).await;
    // THEN the answer is 204, and it is not found any more, nor listed, nor deleted again
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    for (method, suffix) in [
        (Method::GET, ""),
        (Method::DELETE, ""),
        (Method::POST, "/rotate-secret"),
        (Method::POST, "/enable"),
        (Method::POST, "/test"),
    ] {
        let answer = call(
            &stack,
            method.clone(),
            &format!("{path}{suffix}"),
            &admin,
            None,
        )
        .await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (404, "webhook_not_found".into()),
            "{method} {suffix}"
        );
    }
    let list = call(&stack, Method::GET, WEBHOOKS, &admin, None).await;
    assert_eq!(list.json()["items"], json!([]));
    // AND the partner's count is back to none
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await);
    let count = dynamo
        .get_item()
        .table_name(&stack.settings().table)
        .key("pk", AttributeValue::S(format!("WEBHOOKS#{FABRIKAM}")))
        .key("sk", AttributeValue::S("COUNT".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(count["count"].as_n().unwrap(), "0");
    stack.stop().await;
}

#[tokio::test]
async fn a_partner_registers_five_webhooks_at_most_even_all_at_once() {
    // GIVEN a stack
    let stack = TestStack::start().await;
    let admin = stack.admin(FABRIKAM);
    // WHEN eight registrations race
    let answers = futures::future::join_all((0..8).map(|i| {
        let body = registration(&format!("https://hooks{i}.example.com/cpor"));
        let admin = admin.clone();
        let stack = &stack;
        async move { call(stack, Method::POST, WEBHOOKS, &admin, Some(&body)).await }
    }))
    .await;
    // THEN five are registered and three refused 409 too_many_webhooks
    let created = answers.iter().filter(|a| a.status == 201).count();
    let refused: Vec<&Answer> = answers.iter().filter(|a| a.status == 409).collect();
    assert_eq!(
        (created, refused.len()),
        (5, 3),
        "{:?}",
        answers.iter().map(|a| &a.text).collect::<Vec<_>>()
    );
    assert!(refused.iter().all(|a| a.code() == "too_many_webhooks"));
    let list = call(&stack, Method::GET, WEBHOOKS, &admin, None).await;
    let items = list.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 5);
    // AND another partner is not held by Fabrikam's five
    register(&stack, NORTHWIND, "https://hooks.example.com/cpor").await;
    // AND one deleted makes room for one more, and no more
    let first = format!("{WEBHOOKS}/{}", items[0]["webhook_id"].as_str().unwrap());
    assert_eq!(
        call(&stack, Method::DELETE, &first, &admin, None)
            .await
            .status,
        204
    );
    register(&stack, FABRIKAM, "https://again.example.com/cpor").await;
    let sixth = call(
        &stack,
        Method::POST,
        WEBHOOKS,
        &admin,
        Some(&registration("https://more.example.com/")),
    )
    .await;
    assert_eq!(
        (sixth.status.as_u16(), sixth.code()),
        (409, "too_many_webhooks".into())
    );
    stack.stop().await;
}

#[tokio::test]
async fn another_partner_s_webhook_is_not_found_by_any_route() {
    // GIVEN Fabrikam's endpoint
    let stack = TestStack::start().await;
    let created = register(&stack, FABRIKAM, "https://hooks.example.com/cpor").await;
    let path = format!("{WEBHOOKS}/{}", created["webhook_id"].as_str().unwrap());
    // WHEN Northwind's admin names it on every route
    let northwind = stack.admin(NORTHWIND);
    for (method, suffix) in [
        (Method::GET, ""),
        (Method::POST, "/rotate-secret"),
        (Method::POST, "/test"),
        (Method::POST, "/enable"),
        (Method::DELETE, ""),
    ] {
        let answer = call(
            &stack,
            method.clone(),
            &format!("{path}{suffix}"),
            &northwind,
            None,
        )
        .await;
        // THEN it is not found
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (404, "webhook_not_found".into()),
            "{method} {suffix}: {}",
            answer.text
        );
    }
    // AND Northwind lists none, and Fabrikam's is untouched
    let list = call(&stack, Method::GET, WEBHOOKS, &northwind, None).await;
    assert_eq!(list.json()["items"], json!([]));
    let item = stored(&stack, FABRIKAM, created["webhook_id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(item["version"].as_n().unwrap(), "1");
    // AND a malformed id is not found either
    let odd = call(
        &stack,
        Method::GET,
        &format!("{WEBHOOKS}/not-an-id"),
        &northwind,
        None,
    )
    .await;
    assert_eq!(odd.status, 404);
    stack.stop().await;
}

#[tokio::test]
async fn a_read_only_user_reads_webhooks_and_changes_none_and_an_unknown_role_does_neither() {
    // GIVEN Fabrikam's endpoint
    let stack = TestStack::start().await;
    let created = register(&stack, FABRIKAM, "https://hooks.example.com/cpor").await;
    let path = format!("{WEBHOOKS}/{}", created["webhook_id"].as_str().unwrap());
    let user = stack.token(FABRIKAM, "incentives_user");
    let auditor = stack.token(FABRIKAM, "auditor");
    // THEN an incentives_user lists and reads it (never its secret)
    for read in [WEBHOOKS.to_owned(), path.clone()] {
        let answer = call(&stack, Method::GET, &read, &user, None).await;
        assert_eq!(answer.status, 200, "{read}: {}", answer.text);
        assert!(!answer.text.contains("\"secret\""), "{}", answer.text);
        let refused = call(&stack, Method::GET, &read, &auditor, None).await;
        assert_eq!(
            (refused.status.as_u16(), refused.code()),
            (403, "forbidden".into())
        );
    }
    // AND neither may register, rotate, test, enable or delete
    let body = registration("https://other.example.com/");
    for (method, target, body) in [
        (Method::POST, WEBHOOKS.to_owned(), Some(&body)),
        (Method::POST, format!("{path}/rotate-secret"), None),
        (Method::POST, format!("{path}/test"), None),
        (Method::POST, format!("{path}/enable"), None),
        (Method::DELETE, path.clone(), None),
    ] {
        for token in [&user, &auditor] {
            let answer = call(&stack, method.clone(), &target, token, body).await;
            assert_eq!(
                (answer.status.as_u16(), answer.code()),
                (403, "forbidden".into()),
                "{method} {target}"
            );
        }
    }
    let item = stored(&stack, FABRIKAM, created["webhook_id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(item["version"].as_n().unwrap(), "1");
    stack.stop().await;
}

/// The problem's first refused field and its code, of a registration of `body`.
async fn refusal(stack: &TestStack, body: &Value) -> (u16, String, String, String) {
    let answer = call(
        stack,
        Method::POST,
        WEBHOOKS,
        &stack.admin(FABRIKAM),
        Some(body),
    )
    .await;
    let problem = answer.json();
    (
        answer.status.as_u16(),
        answer.code(),
        problem["errors"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        problem["errors"][0]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[tokio::test]
async fn urls_that_are_not_https_carry_credentials_or_name_an_ip_and_unknown_types_are_refused() {
    // GIVEN a stack in AWS's mode (no loopback receivers), its resolver answering nothing
    let stack = TestStack::start_with(|s| {
        s.webhooks_allow_loopback = false;
        s.webhook_resolver = Some(Arc::new(Answers(HashMap::new())));
    })
    .await;
    for url in [
        "http://hooks.example.com/cpor",
        "ftp://hooks.example.com/cpor",
        "https://user:password@hooks.example.com/cpor",
        "https://127.0.0.1/cpor",
        "https://[::1]/cpor",
        "https://2130706433/cpor",
        "https://0x7f.1/cpor",
        "https://169.254.169.254/latest/meta-data/",
        "https://localhost/cpor",
        "http://localhost:8080/cpor",
        "https://metadata.internal/",
        "https://intranet/",
    ] {
        // WHEN each is registered, THEN 400 names the url as invalid_webhook_url
        let found = refusal(&stack, &registration(url)).await;
        assert_eq!(
            found,
            (
                400,
                "validation_failed".into(),
                "url".into(),
                "invalid_webhook_url".into()
            ),
            "{url}"
        );
    }
    // AND an unknown event type, or none, is refused on `events`
    for events in [json!(["claim.opened"]), json!([]), json!(["webhook.test"])] {
        let body = json!({ "url": "https://hooks.example.com/", "events": events });
        let found = refusal(&stack, &body).await;
        assert_eq!((found.0, found.2.as_str()), (400, "events"), "{events}");
    }
    // AND nothing was stored
    let list = call(&stack, Method::GET, WEBHOOKS, &stack.admin(FABRIKAM), None).await;
    assert_eq!(list.json()["items"], json!([]));
    stack.stop().await;
}

/// A resolver that answers from a table: what DNS would say of these names.
struct Answers(HashMap<&'static str, Vec<IpAddr>>);

#[async_trait::async_trait]
impl Resolve for Answers {
    async fn resolve(&self, host: &str, _port: u16) -> Result<Vec<IpAddr>, String> {
        self.0
            .get(host)
            .cloned()
            .ok_or_else(|| format!("{host}: no such name"))
    }
}

#[tokio::test]
async fn in_aws_s_mode_a_host_resolving_to_any_address_that_is_not_public_is_refused() {
    // GIVEN a stack in AWS's mode, whose resolver says what DNS would
    let ip = |text: &str| text.parse::<IpAddr>().unwrap();
    let answers = HashMap::from([
        (
            "hooks.example.com",
            vec![
                ip("93.184.215.14"),
                ip("2606:2800:21f:cb07:6820:80da:af6b:8b2c"),
            ],
        ),
        ("loopback.example.com", vec![ip("127.0.0.1")]),
        (
            "rebind.example.com",
            vec![ip("93.184.215.14"), ip("10.0.0.7")],
        ),
        ("metadata.example.com", vec![ip("169.254.169.254")]),
        ("mapped.example.com", vec![ip("::ffff:192.168.1.1")]),
        ("ula.example.com", vec![ip("fd00:ec2::254")]),
    ]);
    let stack = TestStack::start_with(|s| {
        s.webhooks_allow_loopback = false;
        s.webhook_resolver = Some(Arc::new(Answers(answers)));
    })
    .await;
    // WHEN hosts that resolve to loopback, private, metadata or mapped private addresses (or
    // to nothing) are registered
    for host in [
        "loopback.example.com",
        "rebind.example.com",
        "metadata.example.com",
        "mapped.example.com",
        "ula.example.com",
        "nowhere.example.com",
    ] {
        let found = refusal(&stack, &registration(&format!("https://{host}/cpor"))).await;
        // THEN each is refused as invalid_webhook_url
        assert_eq!(
            found,
            (
                400,
                "validation_failed".into(),
                "url".into(),
                "invalid_webhook_url".into()
            ),
            "{host}"
        );
    }
    // AND a host whose every address is public is registered
    register(&stack, FABRIKAM, "https://hooks.example.com/cpor").await;
    stack.stop().await;
}

#[tokio::test]
async fn the_local_stack_registers_a_loopback_receiver_over_http() {
    // GIVEN the local stack as `make run` starts it (loopback receivers allowed)
    let stack = TestStack::start().await;
    // WHEN a receiver on loopback is registered over http
    let created = register(&stack, FABRIKAM, "http://127.0.0.1:8089/hook").await;
    // THEN it is kept as given, and private hosts stay refused
    assert_eq!(created["url"], "http://127.0.0.1:8089/hook");
    let found = refusal(&stack, &registration("https://10.1.2.3/hook")).await;
    assert_eq!(found.3, "invalid_webhook_url");
    stack.stop().await;
}
