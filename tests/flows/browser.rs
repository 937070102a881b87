//! The customer's side in a real browser: headless Chromium, driven through chromedriver,
//! opens the link of the e-mailed message, reads the page, declines after confirming, and reads
//! the outcome, on a phone-sized screen. The pages carry no script and their CSP forbids any, so
//! what the browser does here it does without JavaScript. (Turning script off in Chromium's
//! settings as well makes chromedriver's own navigation commands hang until their 600 s timeout,
//! so the test relies on the CSP and checks that no page has a script element.) Each page
//! visited is kept as a screenshot under `target/test-output/browser/`. Chromium and
//! chromedriver as `crate::chromium` starts them (skipped where they are missing, except in CI).

use crate::chromium::{Chromedriver, PHONE, Screenshots, accessible, axe_source, output_dir};
use cpor_domain::Language;
use cpor_tests::*;
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

async fn find(browser: &Client, css: &str) -> Element {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
}

async fn text(browser: &Client, css: &str) -> String {
    find(browser, css).await.text().await.expect("its text")
}

/// Waits until the page that a click led to shows `css` (a click may return before the
/// navigation it started has finished).
async fn arrival(browser: &Client, css: &str) {
    browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("the next page never showed {css}: {e}"));
}

/// The page has no script element.
async fn has_no_script(browser: &Client) {
    let scripts = browser.find_all(Locator::Css("script")).await.unwrap();
    assert!(scripts.is_empty(), "the page has {} scripts", scripts.len());
}

async fn lang(browser: &Client) -> String {
    find(browser, "html")
        .await
        .attr("lang")
        .await
        .expect("an attribute")
        .unwrap_or_default()
}

/// The last e-mail to `address` whose subject has `words`, waiting for it (30 s at most): the
/// e-mails that events bring arrive a moment after the change.
async fn wait_for_email(stack: &TestStack, address: &str, words: &str) -> Value {
    let started = Instant::now();
    loop {
        let found = stack.outbox().await.into_iter().rev().find(|m| {
            m["to"][0] == address && m["subject"].as_str().is_some_and(|s| s.contains(words))
        });
        if let Some(mail) = found {
            return mail;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no e-mail to {address} about {words}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Opens `mail`'s HTML part in the browser, as a mail client shows it, from `dir/<name>.html`.
async fn open_email(browser: &Client, dir: &Path, mail: &Value, name: &str) {
    let file = dir.join(format!("{name}.html"));
    std::fs::write(&file, mail["body"].as_str().unwrap_or_default()).unwrap();
    browser
        .goto(&format!("file://{}", file.display()))
        .await
        .unwrap();
}

/// The element fits the phone's width: nothing to scroll sideways.
async fn fits_the_phone(browser: &Client, css: &str) {
    let (x, _, width, _) = find(browser, css).await.rectangle().await.expect("its box");
    assert!(
        x >= 0.0 && x + width <= f64::from(PHONE.width),
        "{css} spans {x}..{} on a {}px phone",
        x + width,
        PHONE.width
    );
}

#[tokio::test]
async fn a_customer_opens_the_emailed_link_in_a_browser_confirms_declines_and_sees_the_outcome() {
    let Some((chromedriver, chromium)) = crate::chromium::chromium() else {
        return;
    };
    let dir = output_dir("browser");
    let mut screenshots = Screenshots::new(dir.clone());

    // GIVEN a claim whose customer (Italian, in Rome) has been e-mailed
    let stack = TestStack::start().await;
    let (created, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = created["claim_id"].as_str().unwrap_or_default().to_owned();
    let email = stack.customer_outbox().await.pop().expect("the e-mail");
    let email_file = dir.join("email.html");
    std::fs::write(&email_file, email["body"].as_str().unwrap_or_default()).unwrap();
    let driver = Chromedriver::start(&chromedriver, &chromium, &dir.join("chromedriver.log")).await;
    let browser = driver.browser(PHONE, "de-DE,de").await;
    let axe = axe_source();

    // WHEN the customer opens the e-mail and follows its link
    browser
        .goto(&format!("file://{}", email_file.display()))
        .await
        .unwrap();
    assert_eq!(lang(&browser).await, "it");
    screenshots.take(&browser, "email").await;
    accessible(&browser, &axe, "the customer's e-mail").await;
    let anchor = find(&browser, "a").await;
    assert_eq!(anchor.attr("href").await.unwrap().as_deref(), Some(&*link));
    anchor.click().await.unwrap();
    arrival(&browser, ".facts").await;
    assert_eq!(browser.current_url().await.unwrap().as_str(), link);

    // THEN the page says, in Italian, who asks for what, until when, and offers one button
    screenshots.take(&browser, "page-open").await;
    has_no_script(&browser).await;
    accessible(&browser, &axe, "the open page").await;
    assert_eq!(lang(&browser).await, "it");
    assert_eq!(
        text(&browser, "h1").await,
        "Richiesta di partner di riferimento"
    );
    assert_eq!(text(&browser, "#partner").await, "Fabrikam Consulting");
    assert_eq!(text(&browser, "#workload").await, "Microsoft Teams");
    assert_eq!(
        text(&browser, "#program").await,
        "Online Services Usage (OSU) for Microsoft 365"
    );
    assert_eq!(text(&browser, "#domain").await, "contoso.onmicrosoft.com");
    let deadline =
        cpor_domain::time::parse_instant(created["opt_out_deadline"].as_str().unwrap_or_default())
            .unwrap();
    assert_eq!(
        text(&browser, "#deadline").await,
        Language::Italian.format_instant(deadline, "Europe/Rome".parse().unwrap())
    );
    assert!(
        text(&browser, "main")
            .await
            .contains("Per accettare non deve fare nulla.")
    );
    let buttons = browser.find_all(Locator::Css("button")).await.unwrap();
    assert_eq!(buttons.len(), 1);
    assert_eq!(
        text(&browser, "button").await,
        "Rifiuta questa associazione"
    );
    let label = find(&browser, "label[for=\"confirm\"]").await;
    assert!(
        label
            .text()
            .await
            .unwrap()
            .starts_with("Sì, rifiuto: Fabrikam Consulting")
    );
    for css in ["h1", ".facts", "form", "button", "label"] {
        fits_the_phone(&browser, css).await;
    }

    // WHEN the customer presses the button without ticking the box
    find(&browser, "#decline").await.click().await.unwrap();
    // THEN the browser holds the form back (the box is required and unticked): nothing is sent,
    // nothing is recorded
    let held_back = browser
        .execute(
            "return document.getElementById('confirm').validity.valueMissing \
             && !document.getElementById('decline-form').checkValidity()",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(held_back, Value::Bool(true));
    assert_eq!(browser.current_url().await.unwrap().as_str(), link);
    assert!(
        !find(&browser, "#confirm")
            .await
            .is_selected()
            .await
            .unwrap()
    );
    let unchanged = stack.claim(FABRIKAM, &id).await;
    assert_eq!(unchanged["status"], "awaiting_customer");
    // (submitted, approved, awaiting_customer)
    assert_eq!(unchanged["history"].as_array().map(Vec::len), Some(3));

    // WHEN the customer ticks the box through its label, then declines
    label.click().await.unwrap();
    assert!(
        find(&browser, "#confirm")
            .await
            .is_selected()
            .await
            .unwrap()
    );
    screenshots.take(&browser, "page-confirmed").await;
    find(&browser, "#decline").await.click().await.unwrap();
    arrival(&browser, "#outcome").await;

    // THEN the page behind the 303 says, in Italian, that they declined, with no form left
    assert_eq!(browser.current_url().await.unwrap().as_str(), link);
    screenshots.take(&browser, "page-declined").await;
    has_no_script(&browser).await;
    accessible(&browser, &axe, "the declined page").await;
    let outcome = find(&browser, "#outcome").await;
    assert_eq!(
        outcome.attr("data-state").await.unwrap().as_deref(),
        Some("declined")
    );
    assert!(
        outcome
            .text()
            .await
            .unwrap()
            .starts_with("Ha rifiutato questa associazione. Fabrikam Consulting")
    );
    assert!(
        browser
            .find_all(Locator::Css("form"))
            .await
            .unwrap()
            .is_empty()
    );
    // AND the claim is declined by the customer
    let declined = stack.claim(FABRIKAM, &id).await;
    assert_eq!(declined["status"], "declined");
    let history = declined["history"].as_array().cloned().unwrap_or_default();
    assert_eq!(history.len(), 4);
    assert_eq!(history[3]["actor"], "customer");

    // AND a link that is not valid answers in the browser's language (German)
    browser
        .goto(&format!("{}/opt-out/not-a-link", stack.base))
        .await
        .unwrap();
    screenshots.take(&browser, "invalid-link").await;
    has_no_script(&browser).await;
    accessible(&browser, &axe, "the invalid-link page").await;
    assert_eq!(lang(&browser).await, "de");
    assert_eq!(text(&browser, "h1").await, "Dieser Link ist ungültig");

    // AND a customer who reads Japanese, in Tokyo, gets the page in Japanese, at Tokyo's time,
    // and declines the same way
    let mut body = claim_body("exchange");
    body["customer_contact"]["email"] = json!("kenji@contoso.com");
    body["customer_contact"]["locale"] = json!("ja-JP");
    body["customer_contact"]["time_zone"] = json!("Asia/Tokyo");
    // (its partner contact reads Japanese too: the partner's e-mails follow below)
    body["partner_contact"]["email"] = json!("kaito@fabrikam.com");
    body["partner_contact"]["locale"] = json!("ja");
    let (ja_claim, ja_link) = stack.notified_claim(FABRIKAM, &body).await;
    browser.goto(&ja_link).await.unwrap();
    screenshots.take(&browser, "ja-page-open").await;
    assert_eq!(lang(&browser).await, "ja");
    assert_eq!(
        text(&browser, "h1").await,
        "パートナー・オブ・レコードの申請"
    );
    let ja_deadline =
        cpor_domain::time::parse_instant(ja_claim["opt_out_deadline"].as_str().unwrap_or_default())
            .unwrap();
    let ja_deadline = Language::Japanese.format_instant(ja_deadline, "Asia/Tokyo".parse().unwrap());
    assert!(ja_deadline.ends_with("(JST)"), "{ja_deadline}");
    assert_eq!(text(&browser, "#deadline").await, ja_deadline);
    for css in ["h1", ".facts", "form", "button", "label"] {
        fits_the_phone(&browser, css).await;
    }
    find(&browser, "label[for=\"confirm\"]")
        .await
        .click()
        .await
        .unwrap();
    find(&browser, "#decline").await.click().await.unwrap();
    arrival(&browser, "#outcome").await;
    screenshots.take(&browser, "ja-page-declined").await;
    assert!(
        text(&browser, "#outcome")
            .await
            .starts_with("この関連付けを辞退しました。")
    );
    let ja_id = ja_claim["claim_id"].as_str().unwrap_or_default();
    assert_eq!(stack.claim(FABRIKAM, ja_id).await["status"], "declined");

    // GIVEN an association made official by the nightly run
    let (official, official_link) = stack.notified_claim(FABRIKAM, &claim_body("intune")).await;
    let official_id = official["claim_id"].as_str().unwrap_or_default();
    let after_deadline =
        cpor_domain::time::parse_instant(official["opt_out_deadline"].as_str().unwrap_or_default())
            .unwrap()
            + chrono::TimeDelta::hours(2);
    assert_eq!(stack.finalize(after_deadline).await.json()["finalized"], 1);
    // WHEN the customer opens its link
    browser.goto(&official_link).await.unwrap();
    arrival(&browser, "#outcome").await;
    // THEN the page says, in Italian, since when it is official, and offers to end it
    screenshots.take(&browser, "page-associated").await;
    has_no_script(&browser).await;
    accessible(&browser, &axe, "the associated page").await;
    assert_eq!(
        find(&browser, "#outcome")
            .await
            .attr("data-state")
            .await
            .unwrap()
            .as_deref(),
        Some("associated")
    );
    assert!(!text(&browser, "#since").await.is_empty());
    assert_eq!(text(&browser, "#end").await, "Termina l’associazione");
    for css in ["h1", ".facts", "form", "button", "label"] {
        fits_the_phone(&browser, css).await;
    }
    // WHEN the customer presses the button without ticking the box THEN nothing is sent
    find(&browser, "#end").await.click().await.unwrap();
    let held_back = browser
        .execute(
            "return !document.getElementById('end-form').checkValidity()",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(held_back, Value::Bool(true));
    assert_eq!(
        stack.claim(FABRIKAM, official_id).await["status"],
        "associated"
    );
    // WHEN the customer ticks the box through its label and ends the association
    find(&browser, "label[for=\"confirm\"]")
        .await
        .click()
        .await
        .unwrap();
    find(&browser, "#end").await.click().await.unwrap();
    browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("#outcome[data-state=\"revoked\"]"))
        .await
        .expect("the page after the end says it was ended");
    // THEN the page behind the 303 says so, with no form left, and the claim is revoked
    screenshots.take(&browser, "page-revoked").await;
    accessible(&browser, &axe, "the revoked page").await;
    assert!(
        text(&browser, "#outcome")
            .await
            .starts_with("Ha terminato questa associazione. Fabrikam Consulting")
    );
    assert!(
        browser
            .find_all(Locator::Css("form"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        stack.claim(FABRIKAM, official_id).await["status"],
        "revoked"
    );

    // AND the e-mails the bus's events bring: the Japanese partner's (the approval of the
    // Tokyo claim) and the Italian customer's that the association is official, each as
    // accessible as the pages, opened in the browser
    let partner_mail = wait_for_email(&stack, "kaito@fabrikam.com", "承認").await;
    open_email(&browser, &dir, &partner_mail, "partner-email").await;
    screenshots.take(&browser, "ja-partner-email").await;
    assert_eq!(lang(&browser).await, "ja");
    assert!(text(&browser, "main").await.contains("様"));
    // (the claim's API address, one long word, wraps rather than widening the e-mail)
    for css in ["h1", "main", "code"] {
        fits_the_phone(&browser, css).await;
    }
    accessible(&browser, &axe, "the Japanese partner's e-mail").await;
    let official_mail = wait_for_email(&stack, "giulia@contoso.com", "ufficiale").await;
    open_email(&browser, &dir, &official_mail, "official-email").await;
    screenshots.take(&browser, "official-email").await;
    assert_eq!(lang(&browser).await, "it");
    accessible(&browser, &axe, "the customer's official e-mail").await;
    let end_link = find(&browser, "main a").await.attr("href").await.unwrap();
    assert_eq!(end_link.as_deref(), Some(&*official_link));

    // AND a Japanese customer whose notification the partner moved to another contact reads,
    // in Japanese, that the contact changed (the new address masked, no link), as accessibly
    let mut moved = claim_body("windows");
    moved["customer_contact"]["email"] = json!("aiko@contoso.com");
    moved["customer_contact"]["locale"] = json!("ja");
    let (moved_claim, _) = stack.notified_claim(FABRIKAM, &moved).await;
    let moved_id = moved_claim["claim_id"].as_str().unwrap_or_default();
    let marco = json!({ "name": "Marco Bianchi", "email": "marco@contoso.com" });
    let corrected = stack.correct_contact(FABRIKAM, moved_id, &marco).await;
    assert_eq!(corrected.status, 200, "{}", corrected.text);
    let moved_mail = wait_for_email(&stack, "aiko@contoso.com", "連絡先を変更").await;
    open_email(&browser, &dir, &moved_mail, "contact-moved-email").await;
    screenshots.take(&browser, "ja-contact-moved-email").await;
    assert_eq!(lang(&browser).await, "ja");
    assert!(text(&browser, "main").await.contains("m***@contoso.com"));
    assert!(
        browser
            .find_all(Locator::Css("a"))
            .await
            .unwrap()
            .is_empty()
    );
    for css in ["h1", "main"] {
        fits_the_phone(&browser, css).await;
    }
    accessible(&browser, &axe, "the earlier contact's e-mail").await;

    browser.close().await.unwrap();
    drop(driver);
    stack.stop().await;
    println!(
        "browser test: {} screenshots in {}",
        screenshots.taken,
        dir.display()
    );
}
