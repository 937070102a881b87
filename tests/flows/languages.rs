//! The customer's side in each language the service writes: the e-mail and every state of the
//! page, rendered from real claims, in the contact's language, with the deadline in the
//! contact's zone and everything a partner or a customer typed escaped.

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use chrono::TimeDelta;
use cpor_domain::Language;
use cpor_domain::OptOutKeyring;
use cpor_domain::clock::FixedClock;
use cpor_domain::contact::CustomerTimeZone;
use cpor_domain::ids::ClaimId;
use cpor_domain::token::SigningKey;
use cpor_tests::*;
use serde_json::{Value, json};
use std::sync::Arc;

/// A partner whose registered name carries markup.
const MARKUP_PARTNER: &str = "4444444";
const MARKUP_PARTNER_NAME: &str = "<i>Fabrikam</i> & \"Söhne\"";
const MARKUP_PARTNER_ESCAPED: &str = "&#60;i&#62;Fabrikam&#60;/i&#62; &#38; &#34;Söhne&#34;";
/// A tenant of its own, so that each test claims four workloads.
const TENANT: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

/// What a customer reading one language sees.
struct Reader {
    locale: &'static str,
    time_zone: &'static str,
    lang: &'static str,
    /// The deadline of a claim notified on Wednesday 25 November 2026 at 10:00 UTC.
    deadline: &'static str,
    subject: &'static str,
    title: &'static str,
    decline_button: &'static str,
    declined: &'static str,
    associated: &'static str,
    window_closed: &'static str,
    withdrawn: &'static str,
    not_yet_open: &'static str,
    invalid: &'static str,
}

fn claim_for(reader: &Reader, workload: &str) -> Value {
    let mut body = claim_body(workload);
    body["tenant_id"] = json!(TENANT);
    body["customer_domain"] = json!("tailspin.example.com");
    body["customer_contact"]["email"] = json!("kim@tailspin.example.com");
    body["customer_contact"]["name"] = json!("<b>Kim</b> O'Neil");
    body["customer_contact"]["locale"] = json!(reader.locale);
    body["customer_contact"]["time_zone"] = json!(reader.time_zone);
    body["proof_of_execution"]["signed_on"] = json!("2026-10-01");
    body
}

/// Delivers the claim's notification by hand (the poller is off) and returns its link.
async fn notify(stack: &TestStack, claim_id: &str) -> String {
    let mut message = SqsMessage::default();
    message.message_id = Some(format!("m-{claim_id}"));
    message.body = Some(json!({ "claim_id": claim_id }).to_string());
    let mut event = SqsEvent::default();
    event.records = vec![message];
    let response = stack.functions().notify.handle(event).await;
    assert!(response.batch_item_failures.is_empty());
    let outbox = stack.customer_outbox().await;
    let email = outbox.last().expect("an e-mail went out");
    link_in(email["body"].as_str().unwrap_or_default()).expect("the e-mail has a link")
}

async fn submit(stack: &TestStack, reader: &Reader, workload: &str) -> String {
    let created = stack
        .submit(MARKUP_PARTNER, &claim_for(reader, workload))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.json()["claim_id"].as_str().unwrap().to_owned()
}

/// The page at `link`, checked for what every page shows: the language, the facts in words,
/// the partner's name escaped, and no script.
async fn page(
    stack: &TestStack,
    reader: &Reader,
    link: &str,
    workload: &str,
    state: &str,
) -> String {
    let page = stack.open(link).await;
    assert_eq!(page.status, 200, "{}", reader.locale);
    let text = page.text;
    for expected in [
        format!("<html lang=\"{}\">", reader.lang),
        format!("<title>{}</title>", reader.title),
        format!("data-state=\"{state}\""),
        MARKUP_PARTNER_ESCAPED.to_owned(),
        format!("<dd id=\"workload\">{workload}</dd>"),
        "tailspin.example.com".to_owned(),
        "name=\"viewport\"".to_owned(),
    ] {
        if state == "open" && expected.starts_with("data-state") {
            continue;
        }
        assert!(
            text.contains(&expected),
            "{} {state} lacks {expected}: {text}",
            reader.locale
        );
    }
    assert!(!text.contains("<i>Fabrikam"), "{}: {text}", reader.locale);
    assert!(!text.contains("<script"), "{}: {text}", reader.locale);
    // The open window's form declines; an official association's ends it.
    assert_eq!(
        text.contains("id=\"decline-form\""),
        state == "open",
        "{} {state}",
        reader.locale
    );
    assert_eq!(
        text.contains("id=\"end-form\""),
        state == "associated",
        "{} {state}",
        reader.locale
    );
    text
}

async fn the_email_and_every_page_are_in_the_readers_language(reader: Reader) {
    // GIVEN a stack whose clock the test moves, with notifications delivered by hand, and a
    // partner whose registered name carries markup
    let notified_at = cpor_domain::time::parse_instant("2026-11-25T10:00:00Z").unwrap();
    let clock = Arc::new(FixedClock::at(notified_at));
    let shared = clock.clone();
    let stack = TestStack::start_with(move |s| {
        s.clock = shared;
        s.poll_notifications = false;
    })
    .await;
    stack
        .seed(&json!({
            "partners": [{ "partner_id": MARKUP_PARTNER, "name": MARKUP_PARTNER_NAME, "programs": ["osu-m365"] }],
            "tenants": [{ "tenant_id": TENANT, "domains": ["tailspin.example.com"] }]
        }))
        .await;
    let zone = CustomerTimeZone::parse(reader.time_zone).unwrap().tz();
    let language = Language::for_subtag(reader.lang).unwrap();

    // WHEN a claim is notified
    let open_id = submit(&stack, &reader, "teams").await;
    let open_link = notify(&stack, &open_id).await;
    let notified = stack.claim(MARKUP_PARTNER, &open_id).await;
    let deadline = language.format_instant(instant(&notified["opt_out_deadline"]), zone);
    assert_eq!(deadline, reader.deadline);

    // THEN the e-mail is in the reader's language, with the deadline in their zone, and what
    // the partner and the customer typed escaped
    let outbox = stack.customer_outbox().await;
    let email = outbox.last().unwrap();
    assert_eq!(
        email["subject"],
        format!("{MARKUP_PARTNER_NAME}{}", reader.subject),
        "{}",
        reader.locale
    );
    let html = email["body"].as_str().unwrap();
    for expected in [
        format!("<html lang=\"{}\">", reader.lang),
        deadline.clone(),
        MARKUP_PARTNER_ESCAPED.to_owned(),
        "&#60;b&#62;Kim&#60;/b&#62; O&#39;Neil".to_owned(),
        "Microsoft Teams".to_owned(),
        "Online Services Usage (OSU) for Microsoft 365".to_owned(),
        "tailspin.example.com".to_owned(),
        open_link.clone(),
    ] {
        assert!(
            html.contains(&expected),
            "{} e-mail lacks {expected}: {html}",
            reader.locale
        );
    }
    assert!(!html.contains("<i>") && !html.contains("<b>"), "{html}");

    // AND the open page shows the facts, the deadline in the reader's zone, and the form
    let text = page(&stack, &reader, &open_link, "Microsoft Teams", "open").await;
    assert!(
        text.contains(&format!("<dd id=\"deadline\">{deadline}</dd>")),
        "{text}"
    );
    assert!(text.contains(reader.decline_button), "{text}");
    assert!(text.contains("required"), "{text}");

    // AND a claim withdrawn by the partner, one not notified yet, and a bad link say so
    let withdrawn_id = submit(&stack, &reader, "exchange").await;
    let withdrawn_link = notify(&stack, &withdrawn_id).await;
    let answer = stack
        .withdraw(MARKUP_PARTNER, &withdrawn_id, "entered by mistake")
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let text = page(
        &stack,
        &reader,
        &withdrawn_link,
        "Exchange Online",
        "withdrawn",
    )
    .await;
    assert!(text.contains(reader.withdrawn), "{text}");

    let waiting_id = submit(&stack, &reader, "sharepoint").await;
    let keyring = OptOutKeyring::new(
        SigningKey::new(
            &stack.settings().token_key_id,
            stack.settings().token_secret.as_bytes(),
        )
        .unwrap(),
        vec![],
    );
    let waiting_link = format!(
        "{}/opt-out/{}",
        stack.base,
        keyring.sign(ClaimId::parse(&waiting_id).unwrap())
    );
    let text = page(
        &stack,
        &reader,
        &waiting_link,
        "SharePoint Online",
        "not_yet_open",
    )
    .await;
    assert!(text.contains(reader.not_yet_open), "{text}");

    let bad = stack
        .open_in(
            &format!("{}/opt-out/nothing", stack.base),
            &format!("{};q=0.9, en;q=0.5", reader.locale),
        )
        .await;
    assert_eq!(bad.status, 404);
    assert!(
        bad.text
            .contains(&format!("<html lang=\"{}\">", reader.lang))
    );
    assert!(bad.text.contains(reader.invalid), "{}", bad.text);

    // AND declining the open claim shows the declined page
    let late_id = submit(&stack, &reader, "onedrive").await;
    let late_link = notify(&stack, &late_id).await;
    assert_eq!(stack.post_form(&open_link).await.status, 303);
    assert_eq!(
        stack.claim(MARKUP_PARTNER, &open_id).await["status"],
        "declined"
    );
    let text = page(&stack, &reader, &open_link, "Microsoft Teams", "declined").await;
    assert!(text.contains(reader.declined), "{text}");

    // AND past the deadline, before finalization, the window is closed; after it, associated
    let after = instant(&stack.claim(MARKUP_PARTNER, &late_id).await["opt_out_deadline"])
        + TimeDelta::seconds(1);
    clock.set(after);
    let text = page(&stack, &reader, &late_link, "OneDrive", "window_closed").await;
    assert!(text.contains(reader.window_closed), "{text}");
    assert_eq!(stack.finalize(after).await.json()["finalized"], 1);
    let text = page(&stack, &reader, &late_link, "OneDrive", "associated").await;
    assert!(text.contains(reader.associated), "{text}");
    stack.stop().await;
}

#[tokio::test]
async fn an_english_reader_in_new_york_gets_the_email_and_every_page_in_english() {
    the_email_and_every_page_are_in_the_readers_language(Reader {
        locale: "en-US",
        time_zone: "America/New_York",
        lang: "en",
        deadline: "Wednesday 2 December 2026, 23:59 (EST)",
        subject: " asks to be your partner of record for Microsoft Teams",
        title: "Partner of record request",
        decline_button: "Decline this association",
        declined: "You declined this association.",
        associated: "This association is official:",
        window_closed: "The time to decline this request has passed",
        withdrawn: " withdrew this request.",
        not_yet_open: "This request is being prepared.",
        invalid: "This link is not valid",
    })
    .await;
}

#[tokio::test]
async fn an_italian_reader_in_rome_gets_the_email_and_every_page_in_italian() {
    the_email_and_every_page_are_in_the_readers_language(Reader {
        locale: "it-IT",
        time_zone: "Europe/Rome",
        lang: "it",
        deadline: "mercoledì 2 dicembre 2026, ore 23:59 (CET)",
        subject: " chiede di essere il Suo partner di riferimento per Microsoft Teams",
        title: "Richiesta di partner di riferimento",
        decline_button: "Rifiuta questa associazione",
        declined: "Ha rifiutato questa associazione.",
        associated: "Questa associazione è ufficiale:",
        window_closed: "Il termine per rifiutare questa richiesta è scaduto",
        withdrawn: " ha ritirato questa richiesta.",
        not_yet_open: "Questa richiesta è in preparazione.",
        invalid: "Questo link non è valido",
    })
    .await;
}

#[tokio::test]
async fn a_german_reader_in_vienna_gets_the_email_and_every_page_in_german() {
    the_email_and_every_page_are_in_the_readers_language(Reader {
        locale: "de-AT",
        time_zone: "Europe/Vienna",
        lang: "de",
        deadline: "Mittwoch, 2. Dezember 2026, 23:59 Uhr (CET)",
        subject: " möchte Ihr Partner of Record für Microsoft Teams werden",
        title: "Antrag als Partner of Record",
        decline_button: "Diese Zuordnung ablehnen",
        declined: "Sie haben diese Zuordnung abgelehnt.",
        associated: "Diese Zuordnung ist wirksam:",
        window_closed: "Die Frist zum Ablehnen dieses Antrags ist abgelaufen",
        withdrawn: " hat diesen Antrag zurückgezogen.",
        not_yet_open: "Dieser Antrag wird gerade vorbereitet.",
        invalid: "Dieser Link ist ungültig",
    })
    .await;
}

#[tokio::test]
async fn a_french_reader_in_montreal_gets_the_email_and_every_page_in_french() {
    the_email_and_every_page_are_in_the_readers_language(Reader {
        locale: "fr-CA",
        time_zone: "America/Montreal",
        lang: "fr",
        deadline: "mercredi 2 décembre 2026 à 23:59 (EST)",
        subject: " demande à devenir votre partenaire de référence pour Microsoft Teams",
        title: "Demande de partenaire de référence",
        decline_button: "Refuser cette association",
        declined: "Vous avez refusé cette association.",
        associated: "Cette association est officielle",
        window_closed: "Le délai pour refuser cette demande est écoulé",
        withdrawn: " a retiré cette demande.",
        not_yet_open: "Cette demande est en cours de préparation.",
        invalid: "Ce lien n’est pas valide",
    })
    .await;
}

#[tokio::test]
async fn a_spanish_reader_in_mexico_city_gets_the_email_and_every_page_in_spanish() {
    the_email_and_every_page_are_in_the_readers_language(Reader {
        locale: "es-MX",
        time_zone: "America/Mexico_City",
        lang: "es",
        deadline: "miércoles, 2 de diciembre de 2026, 23:59 (CST)",
        subject: " solicita ser su partner de referencia para Microsoft Teams",
        title: "Solicitud de partner de referencia",
        decline_button: "Rechazar esta asociación",
        declined: "Ha rechazado esta asociación.",
        associated: "Esta asociación es oficial:",
        window_closed: "El plazo para rechazar esta solicitud ha terminado",
        withdrawn: " retiró esta solicitud.",
        not_yet_open: "Esta solicitud se está preparando.",
        invalid: "Este enlace no es válido",
    })
    .await;
}

#[tokio::test]
async fn a_japanese_reader_in_tokyo_gets_the_email_and_every_page_in_japanese() {
    the_email_and_every_page_are_in_the_readers_language(Reader {
        locale: "ja-JP",
        time_zone: "Asia/Tokyo",
        lang: "ja",
        deadline: "2026年12月2日(水) 23:59 (JST)",
        subject: " から Microsoft Teams のパートナー・オブ・レコード申請が届いています",
        title: "パートナー・オブ・レコードの申請",
        decline_button: "この関連付けを辞退する",
        declined: "この関連付けを辞退しました。",
        associated: "この関連付けは正式に成立しています。",
        window_closed: "この申請の辞退期限は過ぎたため",
        withdrawn: " はこの申請を取り下げました。",
        not_yet_open: "この申請は準備中です。",
        invalid: "このリンクは無効です",
    })
    .await;
}
