//! The customer's page: a GET never decides; a decline in the window wins; after the window
//! or after finalization nothing is recorded.

use chrono::{TimeDelta, Utc};
use cpor_domain::clock::FixedClock;
use cpor_domain::ids::ClaimId;
use cpor_tests::*;
use serde_json::json;
use std::sync::Arc;

#[tokio::test]
async fn opening_the_link_shows_the_claim_in_words_and_never_changes_it() {
    let stack = TestStack::start().await;
    let (created, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = created["claim_id"].as_str().unwrap();
    // WHEN the link is opened three times (a mail scanner, then the customer)
    for _ in 0..3 {
        let page = stack.open(&link).await;
        assert_eq!(page.status, 200);
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
        for text in [
            "Fabrikam Consulting",
            "Microsoft Teams",
            "Online Services Usage (OSU) for Microsoft 365",
            "contoso.onmicrosoft.com",
            "(CET)",
            "<form method=\"post\"",
            // the contact's locale is `it`
            "lang=\"it\"",
            "Rifiuta questa associazione",
        ] {
            assert!(page.text.contains(text), "the page lacks {text}");
        }
    }
    // THEN the claim is still awaiting the customer, with no entry added
    let after = stack.claim(FABRIKAM, id).await;
    assert_eq!(after["status"], "awaiting_customer");
    assert_eq!(after["history"].as_array().unwrap().len(), 3);
    stack.stop().await;
}

#[tokio::test]
async fn a_decline_in_the_window_wins_frees_the_workload_and_repeating_it_changes_nothing() {
    let stack = TestStack::start().await;
    let (created, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = created["claim_id"].as_str().unwrap();
    // WHEN the customer declines
    let answer = stack.post_form(&link).await;
    // THEN 303 back to the page, which says so and has no form
    assert_eq!(answer.status, 303);
    let location = answer.header("location").expect("a Location");
    assert_eq!(
        reqwest::Url::parse(&link)
            .unwrap()
            .join(location)
            .unwrap()
            .as_str(),
        link
    );
    let page = stack.open(&link).await;
    assert!(page.text.contains("data-state=\"declined\"") && !page.text.contains("<form"));
    let declined = stack.claim(FABRIKAM, id).await;
    assert_eq!(declined["status"], "declined");
    assert!(declined["decided_at"].is_string());
    let history = declined["history"].as_array().unwrap();
    assert_eq!(history.len(), 4);
    assert_eq!(history[3]["actor"], "customer");
    assert_eq!(
        (history[3]["from"].clone(), history[3]["to"].clone()),
        (json!("awaiting_customer"), json!("declined"))
    );
    // AND repeating it changes nothing
    assert_eq!(stack.post_form(&link).await.status, 303);
    assert_eq!(
        stack.claim(FABRIKAM, id).await["history"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    // AND the tenant+workload is free again
    assert_eq!(
        stack.submit(NORTHWIND, &claim_body("teams")).await.status,
        201
    );
    stack.stop().await;
}

#[tokio::test]
async fn after_finalization_the_page_shows_the_association_and_a_decline_records_nothing() {
    let stack = TestStack::start().await;
    let (created, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = created["claim_id"].as_str().unwrap();
    let after_deadline = instant(&created["opt_out_deadline"]) + TimeDelta::seconds(1);
    let summary = stack.finalize(after_deadline).await.json();
    assert_eq!(summary["finalized"], 1);
    // THEN the page shows the association since its finalization, with the form that ends it
    // and no decline
    let page = stack.open(&link).await;
    assert!(page.text.contains("data-state=\"associated\""));
    assert!(page.text.contains("id=\"since\"") && page.text.contains("id=\"end-form\""));
    assert!(!page.text.contains("id=\"decline-form\""));
    assert_eq!(stack.post_form(&link).await.status, 303);
    let after = stack.claim(FABRIKAM, id).await;
    assert_eq!(after["status"], "associated");
    assert_eq!(after["history"].as_array().unwrap().len(), 4);
    stack.stop().await;
}

#[tokio::test]
async fn a_decline_at_the_deadline_wins_and_one_a_millisecond_later_is_refused() {
    // GIVEN a stack whose clock the test moves
    let clock = Arc::new(FixedClock::at(Utc::now()));
    let shared = clock.clone();
    let stack = TestStack::start_with(move |s| s.clock = shared).await;
    let (on_time, on_time_link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let (late, late_link) = stack
        .notified_claim(FABRIKAM, &claim_body("exchange"))
        .await;
    let deadline = instant(&late["opt_out_deadline"]);
    assert_eq!(deadline, instant(&on_time["opt_out_deadline"]));

    // WHEN the clock is a millisecond past the deadline, before any finalization
    clock.set(deadline + TimeDelta::milliseconds(1));
    let page = stack.open(&late_link).await;
    assert!(page.text.contains("data-state=\"window_closed\"") && !page.text.contains("<form"));
    assert_eq!(stack.post_form(&late_link).await.status, 303);
    // THEN nothing was recorded
    assert_eq!(
        stack
            .claim(FABRIKAM, late["claim_id"].as_str().unwrap())
            .await["status"],
        "awaiting_customer"
    );

    // WHEN the clock is at the deadline itself THEN the decline wins
    clock.set(deadline);
    assert_eq!(stack.post_form(&on_time_link).await.status, 303);
    let declined = stack
        .claim(FABRIKAM, on_time["claim_id"].as_str().unwrap())
        .await;
    assert_eq!(declined["status"], "declined");
    assert_eq!(instant(&declined["decided_at"]), deadline);

    // AND finalization afterwards associates only the undeclined one
    let summary = stack
        .finalize(deadline + TimeDelta::milliseconds(1))
        .await
        .json();
    assert_eq!(summary["finalized"], 1);
    stack.stop().await;
}

#[tokio::test]
async fn forged_altered_or_unknown_links_are_not_found_pages() {
    let stack = TestStack::start().await;
    let (_, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let token = link.rsplit('/').next().unwrap().to_owned();
    let (claim_part, _) = token.split_once('.').unwrap();
    let other_key = cpor_domain::OptOutKeyring::new(
        cpor_domain::token::SigningKey::new("k1", b"some-other-secret-value").unwrap(),
        vec![],
    );
    let unknown_claim = cpor_domain::OptOutKeyring::new(
        cpor_domain::token::SigningKey::new("k1", stack.settings().token_secret.as_bytes())
            .unwrap(),
        vec![],
    )
    .sign(ClaimId::new_at(Utc::now()));
    let claim_id = ClaimId::parse(claim_part).unwrap();
    for bad in [
        token[..token.len() - 2].to_owned(),
        format!("{token}x"),
        token.replace(".k1.", ".k2."),
        other_key.sign(claim_id),
        unknown_claim,
        "nothing".to_owned(),
    ] {
        let url = format!("{}/opt-out/{bad}", stack.base);
        let page = stack.open(&url).await;
        assert_eq!(page.status, 404, "{bad}");
        assert!(page.text.contains("not valid"));
        assert_eq!(stack.post_form(&url).await.status, 404, "{bad}");
    }
    stack.stop().await;
}

#[tokio::test]
async fn what_partners_and_customers_typed_is_escaped_on_the_page_and_in_the_email() {
    let stack = TestStack::start().await;
    stack
        .seed(&json!({ "partners": [{ "partner_id": "3333333", "name": "<script>alert('x')</script> & Co", "programs": ["osu-m365"] }] }))
        .await;
    let mut body = claim_body("teams");
    body["customer_contact"]["name"] = json!("<img src=x onerror=alert(1)>");
    let (_, link) = stack.notified_claim("3333333", &body).await;
    let page = stack.open(&link).await;
    assert!(!page.text.contains("<script>alert"), "{}", page.text);
    assert!(page.text.contains("&#60;script&#62;") || page.text.contains("&lt;script&gt;"));
    let email = stack.customer_outbox().await.pop().unwrap();
    let html = email["body"].as_str().unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("<img src=x"),
        "{html}"
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_post_without_a_confirmed_decline_records_nothing() {
    // GIVEN a claim awaiting its customer
    let stack = TestStack::start().await;
    let (created, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = created["claim_id"].as_str().unwrap();
    // WHEN its link receives POSTs that are not the form's confirmed decline
    for body in [
        "",
        "action=decline",
        "confirm=yes",
        "action=decline&confirm=no",
        "action=end&confirm=yes",
    ] {
        let answer = stack.post_form_body(&link, body).await;
        // THEN each answers 303 to the page, and nothing is recorded
        assert_eq!(answer.status, 303, "{body:?}");
        let claim = stack.claim(FABRIKAM, id).await;
        assert_eq!(claim["status"], "awaiting_customer", "{body:?}");
        assert_eq!(claim["history"].as_array().unwrap().len(), 3, "{body:?}");
    }
    // AND the page still offers the form
    assert!(stack.open(&link).await.text.contains("<form"));
    stack.stop().await;
}

#[tokio::test]
async fn the_page_after_a_decline_is_the_same_page_under_any_base_path() {
    // GIVEN a claim awaiting its customer
    let stack = TestStack::start().await;
    let (_, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    // WHEN the customer declines
    let answer = stack.post_form(&link).await;
    let location = answer.header("location").expect("a Location").to_owned();
    // THEN the Location leads back to the page, wherever the pages are served (an API stage,
    // a custom domain's base path)
    let token = link.rsplit('/').next().unwrap();
    for page in [
        link.clone(),
        format!("https://cpor.example/prod/opt-out/{token}"),
        format!("https://partners.example/cpor/v2/opt-out/{token}"),
    ] {
        let resolved = reqwest::Url::parse(&page).unwrap().join(&location).unwrap();
        assert_eq!(resolved.as_str(), page);
    }
    stack.stop().await;
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    // GIVEN the pages a customer can see: open, after a decline, and a bad link
    let stack = TestStack::start().await;
    let (_, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let open = stack.open(&link).await;
    stack.post_form(&link).await;
    let declined = stack.open(&link).await;
    let bad = stack.open(&format!("{link}x")).await;
    for page in [&open, &declined, &bad] {
        // THEN each forbids scripts, framing, other form targets and base URLs, asks for HTTPS
        // from then on, sends no referrer and is not sniffed
        let csp = page.header("content-security-policy").unwrap_or_default();
        for directive in [
            "default-src 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(directive), "{directive} in {csp}");
        }
        let hsts = page.header("strict-transport-security").unwrap_or_default();
        assert!(hsts.starts_with("max-age="), "{hsts}");
        assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(page.header("cache-control"), Some("no-store"));
    }
    stack.stop().await;
}
