//! The partner is told by e-mail (docs/emails-and-pages.md, "The partner's e-mails"): the
//! claims' events, as the bus's rule delivers them to notify-partner's queue, become one e-mail
//! each to the partner contact in its language, and `associated` one more to the customer, with
//! the link to their page. Most tests put the events on the queue themselves, built from a real
//! claim's history as the publisher builds them; the last drives a whole flow through the
//! table's stream, the publisher, the bus and its rule, as in AWS.

use aws_sdk_sqs::types::QueueAttributeName;
use cpor_tests::{FABRIKAM, TestStack, claim_body, instant, link_in};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const ALICE: &str = "reviewer-alice";

/// The EventBridge event of one history entry of `claim`, as the rule's SQS target delivers
/// it (docs/api.md, "Events").
fn bus_event(claim: &Value, entry: &Value) -> Value {
    let id = claim["claim_id"].as_str().unwrap();
    let sequence = entry["sequence"].as_u64().unwrap();
    json!({
        "version": "0",
        "id": format!("{id}-{sequence}"),
        "detail-type": format!("claim.{}", entry["event"].as_str().unwrap()),
        "source": "cpor",
        "account": "123456789012",
        "time": entry["at"],
        "region": "eu-west-1",
        "resources": [],
        "detail": {
            "event_id": format!("{id}/{sequence}"),
            "claim_id": id,
            "partner_id": claim["partner_id"],
            "tenant_id": claim["tenant_id"],
            "program": claim["program"],
            "workload": claim["workload"],
            "subscription_id": claim["subscription_id"],
            "sequence": sequence,
            "at": entry["at"],
            "actor": entry["actor"],
            "event": entry["event"],
            "from": entry["from"],
            "to": entry["to"],
            "code": entry["code"],
        }
    })
}

/// Puts the events of `claim`'s whole history on notify-partner's queue.
async fn deliver_history(stack: &TestStack, claim: &Value) {
    for entry in claim["history"].as_array().unwrap() {
        deliver(stack, &bus_event(claim, entry).to_string()).await;
    }
}

async fn deliver(stack: &TestStack, body: &str) {
    stack
        .sqs()
        .await
        .send_message()
        .queue_url(stack.partner_email_queue_url())
        .message_body(body)
        .send()
        .await
        .expect("the event is queued");
}

/// A queue attribute as a number.
async fn count(stack: &TestStack, url: &str, attribute: QueueAttributeName) -> u32 {
    let attrs = stack
        .sqs()
        .await
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(attribute.clone())
        .send()
        .await
        .expect("queue attributes");
    attrs
        .attributes()
        .and_then(|a| a.get(&attribute))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Waits until notify-partner has processed every message of its queue, or fails the test
/// after 30 seconds.
async fn wait_until_processed(stack: &TestStack) {
    let url = stack.partner_email_queue_url();
    let started = Instant::now();
    loop {
        let waiting = count(stack, &url, QueueAttributeName::ApproximateNumberOfMessages).await
            + count(
                stack,
                &url,
                QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
            )
            .await;
        if waiting == 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{waiting} events were never processed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The e-mails sent to `address`, oldest first.
async fn mail_to(stack: &TestStack, address: &str) -> Vec<Value> {
    stack
        .outbox()
        .await
        .into_iter()
        .filter(|m| m["to"][0] == address)
        .collect()
}

fn subjects(mails: &[Value]) -> Vec<&str> {
    mails
        .iter()
        .map(|m| m["subject"].as_str().unwrap_or_default())
        .collect()
}

/// Submits Fabrikam's claim on `workload` for review, and returns its id.
async fn submitted(stack: &TestStack, body: &Value) -> String {
    let created = stack.submit(FABRIKAM, body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.json()["claim_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_reviewers_request_and_rejection_reach_the_partner_and_its_own_moves_do_not() {
    // GIVEN a claim the reviewer asked about, and one the reviewer rejected
    let stack = TestStack::start_manual().await;
    let asked = submitted(&stack, &claim_body("teams")).await;
    let request = json!({ "codes": ["missing_customer_signature"],
                          "message": "Please send the signed statement of work." });
    let answer = stack
        .decide(ALICE, &asked, "request-information", &request)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let refused = submitted(&stack, &claim_body("exchange")).await;
    let rejection = json!({ "code": "insufficient_proof_of_execution",
                            "message": "The statement of work is not signed." });
    let answer = stack.decide(ALICE, &refused, "reject", &rejection).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    // WHEN every event of both histories reaches notify-partner (the submissions too)
    let asked = stack.claim(FABRIKAM, &asked).await;
    let refused = stack.claim(FABRIKAM, &refused).await;
    deliver_history(&stack, &asked).await;
    deliver_history(&stack, &refused).await;
    wait_until_processed(&stack).await;
    // THEN the partner contact gets one e-mail for each decision, and none for the submissions
    let mails = mail_to(&stack, "sam@fabrikam.com").await;
    let mut got = subjects(&mails);
    got.sort_unstable();
    assert_eq!(
        got,
        [
            "Information requested on your claim for Microsoft Teams (contoso.onmicrosoft.com)",
            "Your claim for Exchange Online (contoso.onmicrosoft.com) was rejected",
        ],
        "{mails:#?}"
    );
    // AND each says by when the partner may act, in English, and links no customer page
    for mail in &mails {
        let body = mail["body"].as_str().unwrap();
        assert!(body.contains("<html lang=\"en\">"), "{body}");
        assert!(body.contains(" (UTC)"), "{body}");
        assert!(!body.contains("/opt-out/"), "{body}");
    }
    let rejected = mails
        .iter()
        .find(|m| m["subject"].as_str().unwrap().ends_with("rejected"))
        .unwrap();
    assert!(
        rejected["body"]
            .as_str()
            .unwrap()
            .contains("insufficient_proof_of_execution")
    );
    stack.stop().await;
}

#[tokio::test]
async fn an_association_tells_the_partner_and_the_customer_whose_link_offers_to_end_it() {
    // GIVEN a claim that finalization made official
    let stack = TestStack::start().await;
    let (created, _) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = created["claim_id"].as_str().unwrap();
    let after_deadline = instant(&created["opt_out_deadline"]) + chrono::TimeDelta::seconds(1);
    assert_eq!(stack.finalize(after_deadline).await.json()["finalized"], 1);
    let claim = stack.claim(FABRIKAM, id).await;
    let customer_mails_before = mail_to(&stack, "giulia@contoso.com").await.len();
    // WHEN its events reach notify-partner
    deliver_history(&stack, &claim).await;
    wait_until_processed(&stack).await;
    // THEN the partner is told of the approval and of the association
    let partner = mail_to(&stack, "sam@fabrikam.com").await;
    let mut got = subjects(&partner);
    got.sort_unstable();
    assert_eq!(
        got,
        [
            "You are now the partner of record for Microsoft Teams (contoso.onmicrosoft.com)",
            "Your claim for Microsoft Teams (contoso.onmicrosoft.com) was approved",
        ]
    );
    // AND the customer gets one more e-mail, in Italian, saying it is official
    let customer = mail_to(&stack, "giulia@contoso.com").await;
    assert_eq!(customer.len(), customer_mails_before + 1);
    let official = customer.last().unwrap();
    assert_eq!(
        official["subject"],
        "La Sua associazione con Fabrikam Consulting per Microsoft Teams è ora ufficiale"
    );
    let body = official["body"].as_str().unwrap();
    assert!(body.contains("<html lang=\"it\">") && body.contains("<main>"));
    // AND its link opens the page that offers to end the association
    let link = link_in(body).expect("the official e-mail links the customer's page");
    let page = stack.open(&link).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("data-state=\"associated\""));
    assert!(page.text.contains("id=\"end-form\""), "{}", page.text);
    stack.stop().await;
}

#[tokio::test]
async fn an_event_delivered_twice_sends_one_email() {
    // GIVEN a claim the customer declined
    let stack = TestStack::start().await;
    let (created, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = created["claim_id"].as_str().unwrap();
    let declined = stack
        .post_form_body(&link, "action=decline&confirm=yes")
        .await;
    assert_eq!(declined.status, 303);
    let claim = stack.claim(FABRIKAM, id).await;
    assert_eq!(claim["status"], "declined");
    let entry = claim["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "declined")
        .unwrap()
        .clone();
    let body = bus_event(&claim, &entry).to_string();
    // WHEN its event is delivered twice at once, then once more later
    deliver(&stack, &body).await;
    deliver(&stack, &body).await;
    wait_until_processed(&stack).await;
    deliver(&stack, &body).await;
    wait_until_processed(&stack).await;
    // THEN the partner got one e-mail about it (the bus also brings the event itself, and the
    // approval's: the same event_id is e-mailed once)
    let partner = mail_to(&stack, "sam@fabrikam.com").await;
    let declined: Vec<&str> = subjects(&partner)
        .into_iter()
        .filter(|s| s.contains("declined"))
        .collect();
    assert_eq!(
        declined,
        ["The customer declined your claim for Microsoft Teams (contoso.onmicrosoft.com)"]
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_japanese_partners_email_renders_in_japanese() {
    // GIVEN a claim whose partner contact reads Japanese, approved at submission
    let stack = TestStack::start().await;
    let mut body = claim_body("teams");
    body["partner_contact"]["locale"] = json!("ja-JP");
    let id = submitted(&stack, &body).await;
    let claim = stack.claim(FABRIKAM, &id).await;
    assert_eq!(claim["partner_contact"]["locale"], "ja-JP");
    // WHEN its events reach notify-partner
    deliver_history(&stack, &claim).await;
    wait_until_processed(&stack).await;
    // THEN the partner's e-mail of the approval is in Japanese
    let partner = mail_to(&stack, "sam@fabrikam.com").await;
    assert_eq!(
        subjects(&partner),
        ["Microsoft Teams (contoso.onmicrosoft.com) の申請が承認されました"]
    );
    let html = partner[0]["body"].as_str().unwrap();
    assert!(html.contains("<html lang=\"ja\">"), "{html}");
    assert!(html.contains("Sam Lee 様"), "{html}");
    stack.stop().await;
}

#[tokio::test]
async fn an_unreadable_event_and_one_of_an_unknown_claim_reach_the_dead_letter_queue() {
    // GIVEN a message that is no claim event, and an event of a claim that does not exist
    let stack = TestStack::start().await;
    let unknown = json!({ "claim_id": "01JDX3Z8Q6V6W4S0Y1B2C3D4E5", "partner_id": FABRIKAM,
        "tenant_id": cpor_tests::CONTOSO, "program": "osu-m365", "workload": "teams",
        "subscription_id": null, "history": [] });
    let entry = json!({ "sequence": 2, "at": "2026-11-25T10:00:00.000Z", "actor": "reviewer",
        "event": "approved", "from": "submitted", "to": "approved", "code": null });
    // WHEN both are delivered
    deliver(&stack, "not an event").await;
    deliver(&stack, &bus_event(&unknown, &entry).to_string()).await;
    // THEN after the queue's retries both wait in the dead-letter queue, and nothing was sent
    let dead_letters = stack
        .partner_email_queue_url()
        .replace("-partner-emails", "-partner-emails-dlq");
    let started = Instant::now();
    while count(
        &stack,
        &dead_letters,
        QueueAttributeName::ApproximateNumberOfMessages,
    )
    .await
        != 2
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the poison events never reached the dead-letter queue"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(mail_to(&stack, "sam@fabrikam.com").await.is_empty());
    stack.stop().await;
}

/// Waits (30 s at most) until `address` has received `n` e-mails.
async fn wait_for_mail(stack: &TestStack, address: &str, n: usize) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let mails = mail_to(stack, address).await;
        if mails.len() >= n {
            return mails;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{address} got {} of {n} e-mails: {:?}",
            mails.len(),
            subjects(&mails)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_bus_tells_the_partner_of_a_whole_flow_and_the_customer_that_it_is_official() {
    // GIVEN a stack whose table stream feeds the bus, and the bus's rule notify-partner's queue
    let stack = TestStack::start_manual().await;
    let created = stack.submit(FABRIKAM, &claim_body("teams")).await.json();
    let id = created["claim_id"].as_str().unwrap().to_owned();
    // WHEN a reviewer asks for information, the partner answers, the reviewer approves, the
    // customer is notified and the nightly run makes it official
    let ask = json!({ "codes": ["missing_customer_signature"], "message": "Please sign." });
    assert_eq!(
        stack
            .decide(ALICE, &id, "request-information", &ask)
            .await
            .status,
        200
    );
    let answer = json!({ "message": "Signed copy attached." });
    assert_eq!(
        stack
            .partner_move(FABRIKAM, &id, "respond", &answer)
            .await
            .status,
        200
    );
    assert_eq!(
        stack.decide(ALICE, &id, "approve", &json!({})).await.status,
        200
    );
    let notified = stack
        .wait_for_status(FABRIKAM, &id, "awaiting_customer")
        .await;
    stack
        .finalize(instant(&notified["opt_out_deadline"]) + chrono::TimeDelta::seconds(1))
        .await;
    // THEN, through the bus and nothing else, the partner is told of the request, the
    // approval and the association, once each, and never of the other events
    let partner = wait_for_mail(&stack, "sam@fabrikam.com", 3).await;
    let told = subjects(&partner);
    assert_eq!(
        told,
        [
            "Information requested on your claim for Microsoft Teams (contoso.onmicrosoft.com)",
            "Your claim for Microsoft Teams (contoso.onmicrosoft.com) was approved",
            "You are now the partner of record for Microsoft Teams (contoso.onmicrosoft.com)",
        ]
    );
    // AND the customer gets the e-mail that it is official, whose link offers to end it
    let official = wait_for_mail(&stack, "giulia@contoso.com", 2).await;
    let link = link_in(official[1]["body"].as_str().unwrap()).expect("a link to the page");
    let page = stack.open(&link).await;
    assert!(page.text.contains("id=\"end-form\""), "{}", page.text);
    // WHEN the customer ends it THEN the partner is told that too, and nothing else
    assert_eq!(
        stack
            .post_form_body(&link, "action=end&confirm=yes")
            .await
            .status,
        303
    );
    let partner = wait_for_mail(&stack, "sam@fabrikam.com", 4).await;
    assert_eq!(
        subjects(&partner)[3],
        "The customer ended your association for Microsoft Teams (contoso.onmicrosoft.com)"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(mail_to(&stack, "sam@fabrikam.com").await.len(), 4);
    stack.stop().await;
}
