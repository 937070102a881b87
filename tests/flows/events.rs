//! Events for other systems: every history entry of a claim reaches the service's bus once, in
//! the claim's order, with docs/api.md's `detail` and nothing personal, through the same path as in
//! AWS (the table's stream, publish-events, the bus, a rule to a queue read by a consumer); also
//! when a fifth of the publisher's AWS calls fail.

use chrono::TimeDelta;
use cpor_local::faults::FaultPlan;
use cpor_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

const REVIEWER: &str = "reviewer-alice";

/// What `GET /_local/events` shows.
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

/// Waits until every one of `ids` (event ids) was delivered, and returns what was delivered.
async fn delivered_all(stack: &TestStack, ids: &HashSet<String>) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let events = delivered(stack).await;
        let seen: HashSet<String> = events
            .iter()
            .filter_map(|e| e["detail"]["event_id"].as_str().map(str::to_owned))
            .collect();
        if ids.is_subset(&seen) {
            return events;
        }
        let missing: Vec<&String> = ids.difference(&seen).collect();
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "never delivered: {missing:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn id_of(answer: &Answer) -> String {
    assert!(answer.status.is_success(), "{}", answer.text);
    answer.json()["claim_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The whole flows of three claims under the manual review: one asked for information,
/// answered, approved, notified and associated by the nightly run; one approved, notified and
/// declined by its customer; one withdrawn by its partner. Returns the claims' ids and every
/// secret a flow handled (the customer's links' tokens).
async fn whole_flows(stack: &TestStack) -> (Vec<String>, Vec<String>) {
    // associated
    let associated = id_of(&stack.submit(FABRIKAM, &claim_body("teams")).await);
    let asked = stack
        .decide(
            REVIEWER,
            &associated,
            "request-information",
            &json!({ "codes": ["missing_customer_signature"], "message": "Please send the signed SOW, Sam Lee." }),
        )
        .await;
    assert_eq!(asked.status, 200, "{}", asked.text);
    let answered = stack
        .partner_move(
            FABRIKAM,
            &associated,
            "respond",
            &json!({ "message": "Signed by Giulia Rossi <giulia@contoso.com>" }),
        )
        .await;
    assert_eq!(answered.status, 200, "{}", answered.text);
    let approved = stack
        .decide(
            REVIEWER,
            &associated,
            "approve",
            &json!({ "comment": "fine" }),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    let notified = stack
        .wait_for_status(FABRIKAM, &associated, "awaiting_customer")
        .await;
    let after = instant(&notified["opt_out_deadline"]) + TimeDelta::days(1);
    let run = stack.finalize(after).await;
    assert_eq!(run.status, 200, "{}", run.text);
    stack
        .wait_for_status(FABRIKAM, &associated, "associated")
        .await;

    // declined
    let declined = id_of(&stack.submit(FABRIKAM, &claim_body("exchange")).await);
    let approved = stack
        .decide(REVIEWER, &declined, "approve", &json!({}))
        .await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    stack
        .wait_for_status(FABRIKAM, &declined, "awaiting_customer")
        .await;
    // (the declined claim's own notification: an official e-mail of another claim has a link too)
    let links: Vec<String> = stack
        .outbox()
        .await
        .iter()
        .filter_map(|m| link_in(m["body"].as_str().unwrap_or_default()))
        .filter(|link| link.contains(declined.as_str()))
        .collect();
    let link = links.last().cloned().expect("the customer's link");
    let declined_page = stack.post_form(&link).await;
    assert_eq!(declined_page.status, 303, "{}", declined_page.text);
    stack.wait_for_status(FABRIKAM, &declined, "declined").await;

    // withdrawn
    let withdrawn = id_of(&stack.submit(FABRIKAM, &claim_body("sharepoint")).await);
    let answer = stack
        .withdraw(FABRIKAM, &withdrawn, "Sam Lee asked: wrong tenant")
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);

    let tokens = links
        .iter()
        .filter_map(|l| l.rsplit('/').next().map(str::to_owned))
        .collect();
    (vec![associated, declined, withdrawn], tokens)
}

/// Each claim's history, by event id.
async fn histories(stack: &TestStack, ids: &[String]) -> BTreeMap<String, (Value, Value)> {
    let mut entries = BTreeMap::new();
    for id in ids {
        let claim = stack.claim(FABRIKAM, id).await;
        for entry in claim["history"].as_array().cloned().unwrap_or_default() {
            entries.insert(
                format!("{id}/{}", entry["sequence"]),
                (claim.clone(), entry),
            );
        }
    }
    entries
}

/// Checks that every history entry of `ids` was delivered exactly once, in each claim's order,
/// with its detail, and that nothing personal or secret is in any event.
async fn every_entry_arrives_once_in_order(stack: &TestStack, ids: &[String], secrets: &[String]) {
    let expected = histories(stack, ids).await;
    let events = delivered_all(stack, &expected.keys().cloned().collect()).await;
    // THEN each entry arrived exactly once
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for event in &events {
        *counts
            .entry(event["detail"]["event_id"].as_str().unwrap_or_default())
            .or_default() += 1;
    }
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.is_empty(),
        "delivered more than once: {repeated:?}"
    );
    // AND in each claim's order
    let mut last: HashMap<String, u64> = HashMap::new();
    for event in &events {
        let detail = &event["detail"];
        let claim = detail["claim_id"].as_str().unwrap_or_default().to_owned();
        let sequence = detail["sequence"].as_u64().unwrap_or_default();
        let before = last.insert(claim.clone(), sequence).unwrap_or(0);
        assert!(
            sequence > before,
            "claim {claim}: {sequence} delivered after {before}"
        );
    }
    // AND each with its entry's detail, field for field
    for event in &events {
        let id = event["detail"]["event_id"].as_str().unwrap_or_default();
        let Some((claim, entry)) = expected.get(id) else {
            continue;
        };
        assert_eq!(
            event["detail-type"],
            format!("claim.{}", entry["event"].as_str().unwrap_or_default()),
            "{id}"
        );
        let mut detail = json!({
            "event_id": id, "claim_id": claim["claim_id"], "partner_id": claim["partner_id"],
            "tenant_id": claim["tenant_id"], "program": claim["program"],
            "workload": claim["workload"], "subscription_id": claim["subscription_id"],
            "sequence": entry["sequence"], "at": entry["at"], "actor": entry["actor"],
            "event": entry["event"], "from": entry["from"], "to": entry["to"],
            "code": entry["code"]
        });
        // The events that start or end an association carry its period as that change left it.
        if entry["to"] == "associated" && entry["from"] != "associated" {
            detail["effective_from"] = claim["association"]["effective_from"].clone();
            detail["effective_until"] = Value::Null;
        } else if entry["from"] == "associated" && entry["to"] != "associated" {
            detail["effective_from"] = claim["association"]["effective_from"].clone();
            detail["effective_until"] = claim["association"]["effective_until"].clone();
        }
        assert_eq!(event["detail"], detail, "{id}");
    }
    // AND no name, address, token, free text or reviewer is in any of them
    let text = serde_json::to_string(&events).unwrap_or_default();
    for personal in [
        "giulia",
        "Giulia",
        "Rossi",
        "Sam Lee",
        "sam@fabrikam.com",
        "IT Director",
        "wrong tenant",
        "signed SOW",
        REVIEWER,
    ]
    .into_iter()
    .map(str::to_owned)
    .chain(secrets.iter().cloned())
    {
        assert!(!text.contains(&personal), "{personal} is in an event");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_history_entry_of_whole_flows_reaches_the_bus_once_in_order_and_nothing_personal() {
    // GIVEN a stack where reviewers decide
    let stack = TestStack::start_manual().await;
    // WHEN claims go through whole flows (information, approval, notification, association;
    // a decline; a withdrawal)
    let (ids, secrets) = whole_flows(&stack).await;
    // THEN every entry of their histories reaches the bus once, in order, with its detail
    every_entry_arrives_once_in_order(&stack, &ids, &secrets).await;
    let events = delivered(&stack).await;
    let first: Vec<&Value> = events
        .iter()
        .filter(|e| e["detail"]["claim_id"] == ids[0].as_str())
        .collect();
    println!(
        "/_local/events of one whole flow: {}",
        serde_json::to_string_pretty(&json!({ "events": first })).unwrap_or_default()
    );
    let types: Vec<&str> = events
        .iter()
        .filter(|e| e["detail"]["claim_id"] == ids[0].as_str())
        .filter_map(|e| e["detail-type"].as_str())
        .collect();
    assert_eq!(
        types,
        [
            "claim.submitted",
            "claim.information_requested",
            "claim.responded",
            "claim.approved",
            "claim.customer_notified",
            "claim.associated"
        ]
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_fifth_of_the_publisher_s_calls_failing_every_entry_still_arrives_once_in_order() {
    // GIVEN a stack where a fifth of the publisher's AWS calls fail (PutEvents, and the
    // stream reads Lambda makes with its role): time-outs, broken connections, 500s and 503s,
    // each reaching the publisher (the SDK does not retry them), whose batch is then retried
    // from the first record it could not publish
    let plan = FaultPlan::new(0.0, 20261201);
    let shared = plan.clone();
    let stack = TestStack::start_with(move |s| {
        s.faults = Some(shared);
        s.fault_attempts = 1;
        s.review_policy = cpor_domain::ReviewPolicy::Manual;
    })
    .await;
    plan.set_targets(Some(&[
        "EventBridge.PutEvents",
        "DynamoDBStreams.DescribeStream",
        "DynamoDBStreams.GetShardIterator",
        "DynamoDBStreams.GetRecords",
    ]));
    plan.set_rate(0.2);
    // WHEN claims go through whole flows
    let (ids, secrets) = whole_flows(&stack).await;
    // THEN every entry still reaches the bus exactly once, in each claim's order
    every_entry_arrives_once_in_order(&stack, &ids, &secrets).await;
    let injected: u64 = plan.injected().values().sum();
    assert!(injected > 0, "no fault was injected: {:?}", plan.calls());
    println!(
        "publisher under faults: calls {:?}, injected {:?}",
        plan.calls()
            .into_iter()
            .filter(|(op, _)| op.starts_with("EventBridge") || op.starts_with("DynamoDBStreams"))
            .collect::<BTreeMap<_, _>>(),
        plan.injected()
    );
    stack.stop().await;
}

#[tokio::test]
async fn an_entry_stored_without_its_subject_is_published_with_its_claim_s() {
    // GIVEN a claim, and a history item of it written as before the events existed (no
    // subject on the item)
    let stack = TestStack::start().await;
    let id = id_of(&stack.submit(FABRIKAM, &claim_body("intune")).await);
    let sdk = stack.settings().sdk_config().await;
    let item = [
        ("pk", json!({ "S": format!("CLAIM#{id}") })),
        ("sk", json!({ "S": "EVENT#000099" })),
        ("sequence", json!({ "N": "99" })),
        ("at", json!({ "S": "2026-11-25T10:00:00.000Z" })),
        ("actor", json!({ "S": "partner" })),
        ("event", json!({ "S": "proof_added" })),
        ("from", json!({ "S": "approved" })),
        ("to", json!({ "S": "approved" })),
        ("reason", json!({ "NULL": true })),
    ];
    let mut put = aws_sdk_dynamodb::Client::new(&sdk)
        .put_item()
        .table_name(&stack.settings().table);
    for (name, value) in item {
        put = put.item(name, attribute(&value));
    }
    put.send().await.expect("the old-style item is written");
    // WHEN the stream delivers it
    let event_id = format!("{id}/99");
    let events = delivered_all(&stack, &HashSet::from([event_id.clone()])).await;
    // THEN it is published with the claim's subject, read from the claim
    let event = events
        .iter()
        .find(|e| e["detail"]["event_id"] == event_id.as_str())
        .expect("delivered");
    assert_eq!(event["detail-type"], "claim.proof_added");
    assert_eq!(event["detail"]["partner_id"], FABRIKAM);
    assert_eq!(event["detail"]["tenant_id"], CONTOSO);
    assert_eq!(event["detail"]["program"], "osu-m365");
    assert_eq!(event["detail"]["workload"], "intune");
    stack.stop().await;
}

/// A DynamoDB JSON value as the SDK's type (strings, numbers and nulls are enough here).
fn attribute(value: &Value) -> aws_sdk_dynamodb::types::AttributeValue {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    if let Some(s) = value["S"].as_str() {
        A::S(s.to_owned())
    } else if let Some(n) = value["N"].as_str() {
        A::N(n.to_owned())
    } else {
        A::Null(true)
    }
}

#[tokio::test]
async fn a_transaction_the_emulator_undoes_streams_nothing_and_committed_writes_stream() {
    // GIVEN a claim (its submission, a transaction, is on the bus)
    let stack = TestStack::start().await;
    let id = id_of(&stack.submit(FABRIKAM, &claim_body("defender")).await);
    delivered_all(&stack, &HashSet::from([format!("{id}/1")])).await;
    let table = stack.settings().table.clone();
    let dynamodb = aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await);
    let entry = |sequence: u32| {
        [
            ("pk", json!({ "S": format!("CLAIM#{id}") })),
            ("sk", json!({ "S": format!("EVENT#{sequence:06}") })),
            ("sequence", json!({ "N": sequence.to_string() })),
            ("at", json!({ "S": "2026-11-25T10:00:00.000Z" })),
            ("actor", json!({ "S": "partner" })),
            ("event", json!({ "S": "proof_added" })),
            ("from", json!({ "S": "approved" })),
            ("to", json!({ "S": "approved" })),
            ("reason", json!({ "NULL": true })),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), attribute(&v)))
        .collect::<HashMap<_, _>>()
    };
    // WHEN a transaction writes an entry, then fails on its second write (an update naming a
    // value it does not give), so the emulator undoes the first
    use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
    let put = Put::builder()
        .table_name(&table)
        .set_item(Some(entry(50)))
        .build()
        .expect("a put");
    let update = Update::builder()
        .table_name(&table)
        .key("pk", attribute(&json!({ "S": format!("CLAIM#{id}") })))
        .key("sk", attribute(&json!({ "S": "CLAIM" })))
        .update_expression("SET #s = :missing")
        .expression_attribute_names("#s", "status")
        .build()
        .expect("an update");
    let failed = dynamodb
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().put(put).build())
        .transact_items(TransactWriteItem::builder().update(update).build())
        .send()
        .await;
    assert!(failed.is_err(), "the transaction fails");
    // AND a single write of another entry follows it
    dynamodb
        .put_item()
        .table_name(&table)
        .set_item(Some(entry(51)))
        .send()
        .await
        .expect("a single write");
    // THEN the single write's entry is published, and the undone one never was (the stream
    // has one shard: what was streamed before the single write was published before it)
    let events = delivered_all(&stack, &HashSet::from([format!("{id}/51")])).await;
    assert!(
        events
            .iter()
            .all(|e| e["detail"]["event_id"] != format!("{id}/50").as_str()),
        "an undone write was published"
    );
    stack.stop().await;
}
