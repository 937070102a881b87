//! Notifying customers: the queue consumer sends one e-mail per claim and opens the window.

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use cpor_domain::BusinessCalendar;
use cpor_tests::*;
use serde_json::json;
use std::time::Instant;

fn message(id: &str, body: &str) -> SqsMessage {
    let mut m = SqsMessage::default();
    m.message_id = Some(id.to_owned());
    m.body = Some(body.to_owned());
    m
}

#[tokio::test]
async fn a_submitted_claim_is_notified_within_seconds_and_its_window_closes_five_business_days_later()
 {
    let stack = TestStack::start().await;
    let started = Instant::now();
    let (claim, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    println!("submitted to awaiting_customer in {:?}", started.elapsed());
    // THEN the window is the calendar's: end of the fifth business day after, in Rome
    let notified_at = instant(&claim["notified_at"]);
    let expected =
        BusinessCalendar::default().opt_out_window(notified_at, "Europe/Rome".parse().unwrap());
    assert_eq!(instant(&claim["opt_out_deadline"]), expected.deadline);
    // AND one e-mail went to the customer, from the sender, with the link and the deadline in
    // the customer's language and zone
    let outbox = stack.customer_outbox().await;
    assert_eq!(outbox.len(), 1);
    let email = &outbox[0];
    assert_eq!(email["to"], json!(["giulia@contoso.com"]));
    assert_eq!(email["from"], "cpor@example.com");
    assert!(
        email["subject"]
            .as_str()
            .unwrap()
            .contains("Fabrikam Consulting")
    );
    let body = email["body"].as_str().unwrap();
    assert!(body.contains("Microsoft Teams") && body.contains("contoso.onmicrosoft.com"));
    // (the contact reads Italian, in Rome)
    assert!(body.contains("lang=\"it\""));
    assert!(
        body.contains(
            &cpor_domain::Language::Italian
                .format_instant(expected.deadline, "Europe/Rome".parse().unwrap())
        )
    );
    assert!(link.starts_with(&format!("{}/opt-out/", stack.base)));
    let token = link.rsplit('/').next().unwrap();
    assert!(
        token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    );
    stack.stop().await;
}

#[tokio::test]
async fn the_same_notification_delivered_many_times_sends_one_email_and_makes_one_transition() {
    let stack = TestStack::start().await;
    // GIVEN a claim just submitted (the poller is delivering its message too)
    let created = stack.submit(FABRIKAM, &claim_body("teams")).await.json();
    let id = created["claim_id"].as_str().unwrap().to_owned();
    let body = json!({ "claim_id": id }).to_string();
    // WHEN the message is delivered eight more times, concurrently in two batches of four
    let batch = |n: usize| {
        let mut event = SqsEvent::default();
        event.records = (0..4)
            .map(|i| message(&format!("dup-{n}-{i}"), &body))
            .collect();
        event
    };
    let notify = &stack.functions().notify;
    let (a, b) = tokio::join!(notify.handle(batch(0)), notify.handle(batch(1)));
    let held = a.batch_item_failures.len() + b.batch_item_failures.len();
    // AND once more in sequence, after it settled
    stack
        .wait_for_status(FABRIKAM, &id, "awaiting_customer")
        .await;
    let later = notify.handle(batch(2)).await;
    assert!(
        later.batch_item_failures.is_empty(),
        "a settled claim acknowledges duplicates"
    );
    // THEN one e-mail and one transition
    assert_eq!(stack.customer_outbox().await.len(), 1);
    let claim = stack
        .get(FABRIKAM, &format!("/v1/claims/{id}"))
        .await
        .json();
    // (submitted, approved, awaiting_customer)
    assert_eq!(claim["history"].as_array().unwrap().len(), 3, "{claim}");
    println!(
        "duplicate deliveries: 13 (1 queued + 8 concurrent + 4 sequential), 1 e-mail, {held} told to retry"
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_poison_message_fails_alone_and_reaches_the_dead_letter_queue() {
    let stack = TestStack::start().await;
    let created = stack.submit(FABRIKAM, &claim_body("teams")).await.json();
    let id = created["claim_id"].as_str().unwrap();
    // GIVEN a batch with a good message, a body that is not a message, and an unknown claim
    let mut event = SqsEvent::default();
    event.records = vec![
        message("good", &json!({ "claim_id": id }).to_string()),
        message("garbage", "{{{"),
        message(
            "unknown",
            &json!({ "claim_id": "01JDX3Z8Q6V6W4S0Y1B2C3D4E5" }).to_string(),
        ),
    ];
    // WHEN it is handled THEN exactly the two bad ones are reported failed
    stack
        .wait_for_status(FABRIKAM, id, "awaiting_customer")
        .await;
    let response = stack.functions().notify.handle(event).await;
    let mut failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    failed.sort();
    assert_eq!(failed, vec!["garbage", "unknown"]);

    // AND a poison message on the real queue ends in the dead-letter queue after its receives
    let sqs = stack.sqs().await;
    sqs.send_message()
        .queue_url(stack.queue_url())
        .message_body("not json")
        .send()
        .await
        .unwrap();
    let waited = stack.wait_for_dead_letters(1).await;
    println!("poison message dead-lettered after {waited:?}");
    assert_eq!(
        stack.customer_outbox().await.len(),
        1,
        "the good claim was notified once"
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_claim_withdrawn_before_its_notification_is_never_emailed() {
    // The poller is off: this test delivers the message itself, after the withdrawal.
    let stack = TestStack::start_with(|s| s.poll_notifications = false).await;
    let created = stack.submit(FABRIKAM, &claim_body("teams")).await.json();
    let id = created["claim_id"].as_str().unwrap();
    let withdrawn = stack.withdraw(FABRIKAM, id, "entered by mistake").await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    let mut event = SqsEvent::default();
    event.records = vec![message("m", &json!({ "claim_id": id }).to_string())];
    let response = stack.functions().notify.handle(event).await;
    assert!(response.batch_item_failures.is_empty());
    let claim = stack
        .get(FABRIKAM, &format!("/v1/claims/{id}"))
        .await
        .json();
    assert!(stack.customer_outbox().await.is_empty());
    assert_eq!(claim["status"], "withdrawn");
    assert_eq!(claim["notified_at"], serde_json::Value::Null);
    stack.stop().await;
}

#[tokio::test]
async fn a_notification_that_failed_for_good_leaves_its_claim_submitted_and_can_be_redriven() {
    // GIVEN a mail service that refuses every send (throttled: nothing goes out, so the message
    // is retried)
    let plan = cpor_local::faults::FaultPlan::new(0.0, 3);
    let shared = plan.clone();
    let stack = TestStack::start_with(move |s| s.faults = Some(shared)).await;
    plan.set_targets(Some(&["SES.SendEmail"]));
    plan.set_kinds(Some(&[cpor_local::faults::Fault::Unavailable]));
    plan.set_rate(1.0);
    let created = stack.submit(FABRIKAM, &claim_body("teams")).await.json();
    let id = created["claim_id"].as_str().unwrap();
    // WHEN its message has been received as often as the queue allows
    let waited = stack.wait_for_dead_letters(1).await;
    // THEN the claim is not lost: still approved, and the partner sees it
    let listed = stack.all_claims(FABRIKAM).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "approved");
    assert!(stack.customer_outbox().await.is_empty());
    // AND once mail works again, re-driving the dead letters notifies the customer, once
    plan.set_rate(0.0);
    let redriven = stack
        .send(reqwest::Method::POST, "/_local/redrive", None, None, &[])
        .await;
    assert_eq!(redriven.json()["redriven"], 1, "{}", redriven.text);
    stack
        .wait_for_status(FABRIKAM, id, "awaiting_customer")
        .await;
    assert_eq!(stack.customer_outbox().await.len(), 1);
    println!("dead-lettered after {waited:?}; re-driven and notified");
    stack.stop().await;
}
