//! SES's feedback on the customer's e-mail, through SNS and SQS as in AWS: a permanent bounce
//! stops the association that silence would have made; a complaint is recorded; a report
//! delivered twice is recorded once; the partner's corrected contact starts over.

use chrono::TimeDelta;
use cpor_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// The e-mail feedback a test asks the local stack to report.
async fn report(stack: &TestStack, kind: &str, recipient: &str) -> u16 {
    let body = json!({ "type": kind, "recipient": recipient });
    stack
        .send(Method::POST, "/_local/ses-feedback", None, Some(&body), &[])
        .await
        .status
        .as_u16()
}

/// The claim once its history has `n` entries.
async fn with_history(stack: &TestStack, id: &str, n: usize) -> Value {
    for _ in 0..200 {
        let claim = stack.claim(FABRIKAM, id).await;
        if claim["history"].as_array().map_or(0, Vec::len) >= n {
            return claim;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("claim {id} never had {n} history entries");
}

#[tokio::test]
async fn a_permanent_bounce_stops_the_association_silence_would_have_made() {
    // GIVEN a claim awaiting its customer
    let stack = TestStack::start().await;
    let (created, _) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = created["claim_id"].as_str().unwrap();
    // WHEN SES reports that the customer's e-mail bounced for good
    assert_eq!(report(&stack, "bounce", "giulia@contoso.com").await, 204);
    // THEN the customer is unreachable, the bounce recorded by the system
    let claim = stack
        .wait_for_status(FABRIKAM, id, "customer_unreachable")
        .await;
    assert_eq!(claim["customer_notification"]["status"], "bounced");
    assert!(claim["customer_notification"]["bounced_at"].is_string());
    let last = claim["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&last["event"], &last["code"], &last["actor"]),
        (
            &json!("email_bounced"),
            &json!("permanent_bounce"),
            &json!("system")
        )
    );
    // WHEN the nightly run passes the window's deadline
    let after_deadline = instant(&created["opt_out_deadline"]) + TimeDelta::hours(2);
    let summary = stack.finalize(after_deadline).await.json();
    // THEN silence did not make it official
    assert_eq!(summary["finalized"], 0);
    assert_eq!(
        stack.claim(FABRIKAM, id).await["status"],
        "customer_unreachable"
    );
    // WHEN 30 days pass after the bounce without a corrected contact
    let bounced = instant(&claim["customer_notification"]["bounced_at"]);
    let summary = stack.finalize(bounced + TimeDelta::days(31)).await.json();
    // THEN the claim is rejected (customer_unreachable), its unit free
    assert_eq!(summary["rejected"], 1);
    let claim = stack.claim(FABRIKAM, id).await;
    assert_eq!(claim["status"], "rejected");
    assert_eq!(claim["review"]["rejection"]["code"], "customer_unreachable");
    assert_eq!(
        stack.submit(NORTHWIND, &claim_body("teams")).await.status,
        201
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_bounced_customer_s_corrected_contact_is_emailed_with_a_new_window() {
    // GIVEN a claim whose customer's e-mail bounced
    let stack = TestStack::start().await;
    let (created, old_link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = created["claim_id"].as_str().unwrap();
    assert_eq!(report(&stack, "bounce", "giulia@contoso.com").await, 204);
    stack
        .wait_for_status(FABRIKAM, id, "customer_unreachable")
        .await;
    // WHEN the partner corrects the contact
    let contact = json!({ "name": "Marco Bianchi", "email": "marco@contoso.com" });
    let answer = stack.correct_contact(FABRIKAM, id, &contact).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    // THEN the new contact is e-mailed, the claim awaits the customer again, and the old link
    // is the 404 page
    let claim = stack
        .wait_for_status(FABRIKAM, id, "awaiting_customer")
        .await;
    assert_eq!(claim["customer_notification"]["status"], "sent");
    assert!(instant(&claim["notified_at"]) > instant(&created["notified_at"]));
    assert_eq!(stack.open(&old_link).await.status, 404);
    // AND a late bounce of the first e-mail is only recorded: the window runs on
    assert_eq!(report(&stack, "bounce", "giulia@contoso.com").await, 204);
    let n = claim["history"].as_array().unwrap().len();
    let claim = with_history(&stack, id, n + 1).await;
    assert_eq!(claim["status"], "awaiting_customer");
    stack.stop().await;
}

#[tokio::test]
async fn a_complaint_is_recorded_once_and_changes_nothing_else() {
    // GIVEN a claim awaiting its customer
    let stack = TestStack::start().await;
    let (created, _) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = created["claim_id"].as_str().unwrap();
    // WHEN SES reports a complaint
    assert_eq!(report(&stack, "complaint", "giulia@contoso.com").await, 204);
    // THEN it is in the history, the notification marked, the status unchanged
    let claim = with_history(&stack, id, 4).await;
    assert_eq!(claim["status"], "awaiting_customer");
    assert_eq!(claim["customer_notification"]["complained"], true);
    assert_eq!(claim["history"][3]["event"], "email_complaint");
    // WHEN the same SNS delivery reaches the queue twice (SNS and SQS deliver at least once)
    let sqs = stack.sqs().await;
    let queue = sqs
        .get_queue_url()
        .queue_name(format!("{}-email-feedback", stack.settings().queue_prefix))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let outbox = stack.outbox().await;
    let message_id = outbox_message_id(&stack, "giulia@contoso.com").await;
    let notification = json!({
        "notificationType": "Bounce",
        "bounce": { "bounceType": "Transient", "bounceSubType": "MailboxFull",
                    "feedbackId": "feedback-twice", "bouncedRecipients": [] },
        "mail": { "messageId": message_id }
    });
    let delivery = json!({ "Type": "Notification", "MessageId": "sns-twice",
                           "Message": notification.to_string() })
    .to_string();
    for _ in 0..2 {
        sqs.send_message()
            .queue_url(&queue)
            .message_body(&delivery)
            .send()
            .await
            .unwrap();
    }
    // THEN one entry records it
    let claim = with_history(&stack, id, 5).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let history = stack.claim(FABRIKAM, id).await["history"].clone();
    assert_eq!(history.as_array().unwrap().len(), 5, "{history}");
    assert_eq!(claim["history"][4]["code"], "transient_bounce");
    assert_eq!(claim["status"], "awaiting_customer");
    assert!(!outbox.is_empty());
    // AND an address that was never e-mailed has nothing to report
    assert_eq!(report(&stack, "bounce", "nobody@contoso.com").await, 404);
    stack.stop().await;
}

/// SES's message id of the last e-mail to `address`, as the emulator kept it.
async fn outbox_message_id(stack: &TestStack, address: &str) -> String {
    let messages = cpor_local::outbox::read(&reqwest::Client::new(), &stack.endpoint())
        .await
        .unwrap();
    messages
        .into_iter()
        .rev()
        .find(|m| m.to.iter().any(|to| to == address))
        .map(|m| m.message_id)
        .expect("an e-mail went to the address")
}

#[tokio::test]
async fn a_bounce_of_a_held_send_that_arrives_before_ses_s_send_event_is_applied_when_it_does() {
    // GIVEN a claim whose e-mail SES accepted while its answer was lost (held), and whose Send
    // event cannot be published yet
    let plan = cpor_local::faults::FaultPlan::new(0.0, 5);
    let shared = plan.clone();
    let stack = TestStack::start_with(move |s| s.faults = Some(shared)).await;
    plan.set_targets(Some(&["SES.SendEmail", "Query.Publish"]));
    plan.set_kinds(Some(&[cpor_local::faults::Fault::LostResponse]));
    plan.set_rate(1.0);
    let created = stack.submit(FABRIKAM, &claim_body("teams")).await;
    let id = created.json()["claim_id"].as_str().unwrap().to_owned();
    let started = std::time::Instant::now();
    while stack.settings().ses_events.pending() == 0 {
        assert!(started.elapsed() < Duration::from_secs(30), "nothing sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let message_id = outbox_message_id(&stack, "giulia@contoso.com").await;
    // WHEN SES's bounce of it arrives first (published by hand, without faults)
    let sent = cpor_local::outbox::OutboxMessage {
        to: vec!["giulia@contoso.com".into()],
        from: stack.settings().sender.clone(),
        subject: String::new(),
        body: String::new(),
        message_id,
    };
    let now = cpor_domain::time::format_instant(chrono::Utc::now());
    let bounce = cpor_local::feedback::notification(
        cpor_local::feedback::Kind::Bounce,
        &sent,
        "giulia@contoso.com",
        &now,
    );
    let (_, topic) = &stack.functions().feedback_topic;
    let mut clean = stack.settings().clone();
    clean.faults = None;
    aws_sdk_sns::Client::new(&clean.sdk_config().await)
        .publish()
        .topic_arn(topic)
        .message(bounce.to_string())
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    while stack.feedback_backlog().await > 0 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // THEN it is kept, the claim still approved, its send held
    assert_eq!(stack.claim(FABRIKAM, &id).await["status"], "approved");
    // WHEN SES's Send event is published at last
    plan.set_rate(0.0);
    // THEN the send is recorded from it and the kept bounce applied: the customer is
    // unreachable, and silence will not count as consent
    let claim = with_history(&stack, &id, 4).await;
    let steps: Vec<&str> = claim["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "submitted",
            "approved",
            "customer_notified",
            "email_bounced"
        ]
    );
    assert_eq!(claim["status"], "customer_unreachable", "{claim}");
    assert_eq!(
        stack.customer_outbox().await.len(),
        1,
        "one e-mail, never two"
    );
    stack.stop().await;
}
