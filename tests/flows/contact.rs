//! The customer's contact corrected, and the customer ending an official association: a new
//! e-mail and link for the new contact (the earlier link is the 404 page), the window from the
//! new e-mail; an association ended from its page frees the unit.

use chrono::TimeDelta;
use cpor_tests::*;
use reqwest::Method;
use serde_json::json;

fn new_contact() -> serde_json::Value {
    json!({ "name": "Marco Bianchi", "email": "marco@contoso.com", "locale": "it",
            "time_zone": "Europe/Rome" })
}

#[tokio::test]
async fn a_corrected_contact_gets_a_new_email_whose_link_works_and_the_old_link_is_the_404_page() {
    // GIVEN a claim awaiting its customer, with the link e-mailed to the first contact
    let stack = TestStack::start().await;
    let (created, old_link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = created["claim_id"].as_str().unwrap();
    let admin = stack.admin(FABRIKAM);
    // WHEN the partner corrects the customer's contact
    let path = format!("/v1/claims/{id}/customer-contact");
    let answer = stack
        .send(Method::PUT, &path, Some(&admin), Some(&new_contact()), &[])
        .await;
    // THEN the claim is approved again with the new contact, and is e-mailed there
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json()["status"], "approved");
    assert_eq!(
        answer.json()["customer_contact"]["email"],
        "marco@contoso.com"
    );
    let claim = stack
        .wait_for_status(FABRIKAM, id, "awaiting_customer")
        .await;
    let new_link = stack
        .outbox()
        .await
        .iter()
        .filter(|m| m["to"][0] == "marco@contoso.com")
        .find_map(|m| link_in(m["body"].as_str().unwrap_or_default()))
        .expect("the new contact's e-mail carries a link");
    assert_ne!(new_link, old_link);
    // AND the window runs from the new e-mail
    assert!(instant(&claim["notified_at"]) >= instant(&created["notified_at"]));
    let events: Vec<_> = claim["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        &events[events.len() - 2..],
        ["contact_corrected", "customer_notified"]
    );
    // AND the new link shows the page in the new contact's language, the old one is the 404
    let page = stack.open(&new_link).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("lang=\"it\""), "{}", page.text);
    assert_eq!(stack.open(&old_link).await.status, 404);
    // AND a decline through the old link records nothing; through the new one it is recorded
    assert_eq!(stack.post_form(&old_link).await.status, 404);
    assert_eq!(
        stack.claim(FABRIKAM, id).await["status"],
        "awaiting_customer"
    );
    assert_eq!(stack.post_form(&new_link).await.status, 303);
    assert_eq!(stack.claim(FABRIKAM, id).await["status"], "declined");
    stack.stop().await;
}

#[tokio::test]
async fn an_official_association_is_ended_from_its_page_only_when_confirmed() {
    // GIVEN an associated claim
    let stack = TestStack::start().await;
    let (created, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = created["claim_id"].as_str().unwrap();
    let after_deadline = instant(&created["opt_out_deadline"]) + TimeDelta::seconds(1);
    assert_eq!(stack.finalize(after_deadline).await.json()["finalized"], 1);
    // WHEN the page is posted without the confirmation, or with the decline
    for body in [
        "action=end",
        "action=end&confirm=no",
        "action=decline&confirm=yes",
        "",
    ] {
        assert_eq!(stack.post_form_body(&link, body).await.status, 303);
    }
    // THEN nothing is recorded (the server decides, not the browser's `required`)
    let claim = stack.claim(FABRIKAM, id).await;
    assert_eq!(claim["status"], "associated");
    assert_eq!(claim["history"].as_array().unwrap().len(), 4);
    // WHEN the customer ends it, confirmed, twice
    for _ in 0..2 {
        let answer = stack.post_form_body(&link, "action=end&confirm=yes").await;
        assert_eq!(answer.status, 303);
    }
    // THEN it is revoked once, by the customer, and the page says so without a form
    let claim = stack.claim(FABRIKAM, id).await;
    assert_eq!(claim["status"], "revoked");
    let history = claim["history"].as_array().unwrap();
    assert_eq!(history.len(), 5);
    assert_eq!(history[4]["event"], "revoked");
    assert_eq!(history[4]["actor"], "customer");
    let page = stack.open(&link).await;
    assert!(page.text.contains("data-state=\"revoked\""));
    assert!(!page.text.contains("<form"));
    // AND the unit is free for another partner
    assert_eq!(
        stack.submit(NORTHWIND, &claim_body("teams")).await.status,
        201
    );
    stack.stop().await;
}
