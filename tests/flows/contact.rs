//! The customer's contact corrected, and the customer ending an official association: a new
//! e-mail and link for the new contact (the earlier link is the 404 page), the window from the
//! new e-mail; an association ended from its page frees the unit.

use chrono::TimeDelta;
use cpor_tests::*;
use serde_json::{Value, json};

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
    // WHEN the partner corrects the customer's contact
    let answer = stack.correct_contact(FABRIKAM, id, &new_contact()).await;
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

/// The customer's contact belongs to the customer: the consent e-mail may only go to an address
/// at one of the tenant's verified domains, or a subdomain of one.
#[tokio::test]
async fn a_partner_cannot_direct_the_consent_email_to_itself_at_submission_or_correction() {
    let stack = TestStack::start().await;
    // GIVEN claims whose customer contact is the partner's own inbox, or a look-alike domain
    for email in [
        "ops@fabrikam.com",
        "giulia@evilcontoso.com",
        "giulia@contoso.com.fabrikam.example",
    ] {
        let mut body = claim_body("teams");
        body["customer_contact"]["email"] = json!(email);
        // WHEN the partner submits it
        let answer = stack.submit(FABRIKAM, &body).await;
        // THEN it is refused, naming the field, and nothing is created
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (422, "contact_domain_mismatch".to_owned()),
            "{email}: {}",
            answer.text
        );
        assert_eq!(
            answer.json()["errors"][0]["field"],
            "customer_contact.email",
            "{}",
            answer.text
        );
    }
    assert!(stack.all_claims(FABRIKAM).await.is_empty());
    // GIVEN a claim whose customer was e-mailed at the tenant's domain
    let (created, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = created["claim_id"].as_str().unwrap();
    // WHEN the partner corrects the contact to its own inbox
    let mut own = new_contact();
    own["email"] = json!("ops@fabrikam.com");
    let answer = stack.correct_contact(FABRIKAM, id, &own).await;
    // THEN it is refused and nothing changes: the customer's link still works, and no e-mail
    // went to the partner's inbox
    assert_eq!(
        (answer.status.as_u16(), answer.code()),
        (422, "contact_domain_mismatch".to_owned()),
        "{}",
        answer.text
    );
    assert_eq!(answer.json()["errors"][0]["field"], "email");
    let claim = stack.claim(FABRIKAM, id).await;
    assert_eq!(claim["status"], "awaiting_customer");
    assert_eq!(claim["customer_contact"]["email"], "giulia@contoso.com");
    assert_eq!(stack.open(&link).await.status, 200);
    assert!(
        stack
            .outbox()
            .await
            .iter()
            .all(|m| m["to"][0] != "ops@fabrikam.com")
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_contact_at_a_subdomain_of_the_tenants_domain_is_the_customers() {
    // GIVEN a contact at a subdomain of contoso.com, written in capitals
    let stack = TestStack::start().await;
    let mut body = claim_body("teams");
    body["customer_contact"]["email"] = json!("Giulia@EU.Contoso.com");
    // WHEN the partner submits the claim
    let answer = stack.submit(FABRIKAM, &body).await;
    // THEN it is accepted
    assert_eq!(answer.status, 201, "{}", answer.text);
    stack.stop().await;
}

/// When a correction moves the notification to another address, the contact who had been
/// e-mailed is told, in their language, with the new address masked.
#[tokio::test]
async fn the_earlier_contact_is_told_in_their_language_when_a_correction_moves_the_notification() {
    // GIVEN a claim awaiting Giulia, who reads Italian
    let stack = TestStack::start().await;
    let (created, _) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = created["claim_id"].as_str().unwrap();
    // WHEN the partner names Marco, who reads German, instead
    let mut marco = new_contact();
    marco["locale"] = json!("de");
    let answer = stack.correct_contact(FABRIKAM, id, &marco).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    stack
        .wait_for_status(FABRIKAM, id, "awaiting_customer")
        .await;
    // THEN Giulia receives one e-mail in Italian naming the new contact masked, with no link
    let told = wait_for_mail(&stack, "giulia@contoso.com", |body| {
        body.contains("m***@contoso.com")
    })
    .await;
    assert!(told.contains("lang=\"it\""), "{told}");
    assert!(!told.contains("marco@contoso.com"), "{told}");
    assert!(link_in(&told).is_none(), "{told}");
    // AND Marco is e-mailed the request in German
    let to_marco: Vec<Value> = stack
        .outbox()
        .await
        .into_iter()
        .filter(|m| m["to"][0] == "marco@contoso.com")
        .collect();
    assert_eq!(to_marco.len(), 1);
    assert!(
        to_marco[0]["body"]
            .as_str()
            .unwrap_or_default()
            .contains("lang=\"de\"")
    );
    stack.stop().await;
}

/// The first e-mail to `to` whose body passes `wanted`, waiting up to 20 seconds.
async fn wait_for_mail(stack: &TestStack, to: &str, wanted: impl Fn(&str) -> bool) -> String {
    let started = std::time::Instant::now();
    loop {
        let found = stack.outbox().await.into_iter().find_map(|m| {
            let body = m["body"].as_str().unwrap_or_default().to_owned();
            (m["to"][0] == to && wanted(&body)).then_some(body)
        });
        if let Some(body) = found {
            return body;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "no such e-mail to {to}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The vendor's mail is not a partner's to aim: a claim's customer is e-mailed again through
/// three corrections of the contact at most; the fourth that would e-mail is 429
/// `too_many_corrections`, and nothing changes or is sent.
#[tokio::test]
async fn a_fourth_correction_that_would_email_the_customer_is_429_too_many_corrections() {
    // GIVEN a claim awaiting its customer, whose contact is corrected three times, each new
    // contact e-mailed
    let stack = TestStack::start().await;
    let (created, _) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = created["claim_id"].as_str().unwrap();
    for name in ["marco", "anna", "luca"] {
        let mut contact = new_contact();
        contact["email"] = json!(format!("{name}@contoso.com"));
        let answer = stack.correct_contact(FABRIKAM, id, &contact).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        stack
            .wait_for_status(FABRIKAM, id, "awaiting_customer")
            .await;
    }
    // (the last contact moved away from is told too: then every e-mail is out)
    wait_for_mail(&stack, "anna@contoso.com", |body| {
        body.contains("l***@contoso.com")
    })
    .await;
    let before = stack.claim(FABRIKAM, id).await;
    let mails = stack.outbox().await.len();
    // WHEN the partner corrects it a fourth time
    let mut contact = new_contact();
    contact["email"] = json!("sara@contoso.com");
    let answer = stack.correct_contact(FABRIKAM, id, &contact).await;
    // THEN it is refused with 429 too_many_corrections, and the claim is as it was
    assert_eq!(answer.status, 429, "{}", answer.text);
    assert_eq!(answer.json()["code"], "too_many_corrections");
    let after = stack.claim(FABRIKAM, id).await;
    assert_eq!(after["status"], "awaiting_customer");
    assert_eq!(after["customer_contact"]["email"], "luca@contoso.com");
    assert_eq!(after["history"], before["history"]);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        stack.outbox().await.len(),
        mails,
        "nothing more was e-mailed"
    );
    stack.stop().await;
}
