//! Logs: every line is one JSON object (the format the functions use in Lambda); each line a
//! function writes carries the function, the invocation's request id and, where there is one,
//! the claim id; and no line carries a customer's e-mail address, an opt-out link's token or a
//! bearer token in clear. A whole flow runs with every line captured at debug level.

use chrono::TimeDelta;
use cpor_tests::*;
use serde_json::{Map, Value};
use std::collections::HashSet;

/// record-document too: the documents queue delivers S3's test event once the bucket's
/// notification is configured, at the stack's start. publish-events: the flow waits for its
/// events before it stops.
const FUNCTIONS: [&str; 10] = [
    "submit-claim",
    "manage-claims",
    "notify-customer",
    "record-opt-out",
    "finalize-association",
    "record-document",
    "record-email-feedback",
    "publish-events",
    "notify-partner",
    // Every event reaches the webhooks' queue (no endpoint here: it delivers nothing).
    "deliver-webhooks",
];

#[tokio::test]
async fn a_whole_flow_logs_json_lines_naming_function_request_and_claim_and_no_secret() {
    let capture = LogCapture::install("debug");
    let stack = TestStack::start().await;
    // GIVEN a claim that is submitted, notified, opened, declined, and another finalized and withdrawn
    let (declined, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    stack.open(&link).await;
    stack.post_form(&link).await;
    let (other, other_link) = stack
        .notified_claim(FABRIKAM, &claim_body("exchange"))
        .await;
    let deadline = instant(&other["opt_out_deadline"]);
    stack.finalize(deadline + TimeDelta::seconds(1)).await;
    stack
        .withdraw(FABRIKAM, other["claim_id"].as_str().unwrap(), "done")
        .await;
    stack.open(&format!("{}x", other_link)).await;
    let refused = stack.submit(NORTHWIND, &serde_json::json!({})).await;
    assert_eq!(refused.status, 400);
    let bearer = stack.admin(FABRIKAM);
    stack.get(FABRIKAM, "/v1/claims").await;
    // AND a third whose e-mail bounces, whose contact the partner corrects, which becomes
    // official and which the customer ends
    // (a customer of its own: the second claim's "it is official" e-mail, which the bus brings
    // a moment after its association, must not be the last e-mail to the address that bounces)
    let mut third_body = claim_body("intune");
    third_body["customer_contact"]["email"] = serde_json::json!("luca@contoso.com");
    let (third, third_link) = stack.notified_claim(FABRIKAM, &third_body).await;
    let third_id = third["claim_id"].as_str().unwrap().to_owned();
    let bounce = serde_json::json!({ "type": "bounce", "recipient": "luca@contoso.com" });
    stack
        .send(
            reqwest::Method::POST,
            "/_local/ses-feedback",
            None,
            Some(&bounce),
            &[],
        )
        .await;
    stack
        .wait_for_status(FABRIKAM, &third_id, "customer_unreachable")
        .await;
    let contact = serde_json::json!({ "name": "Marco Bianchi", "email": "marco@contoso.com" });
    stack
        .send(
            reqwest::Method::PUT,
            &format!("/v1/claims/{third_id}/customer-contact"),
            Some(&bearer),
            Some(&contact),
            &[],
        )
        .await;
    let renotified = stack
        .wait_for_status(FABRIKAM, &third_id, "awaiting_customer")
        .await;
    let new_link = stack
        .outbox()
        .await
        .iter()
        .rev()
        .filter(|m| m["to"][0] == "marco@contoso.com")
        .find_map(|m| link_in(m["body"].as_str().unwrap_or_default()))
        .unwrap();
    stack
        .finalize(instant(&renotified["opt_out_deadline"]) + TimeDelta::seconds(1))
        .await;
    stack
        .post_form_body(&new_link, "action=end&confirm=yes")
        .await;
    assert_eq!(stack.claim(FABRIKAM, &third_id).await["status"], "revoked");
    // (the revocation's event is the flow's last: once it is on the bus, the publisher has
    // logged every batch of the flow)
    let revoked = stack.claim(FABRIKAM, &third_id).await;
    let last = format!(
        "{third_id}/{}",
        revoked["history"].as_array().map_or(0, Vec::len)
    );
    let started = std::time::Instant::now();
    while !stack
        .send(reqwest::Method::GET, "/_local/events", None, None, &[])
        .await
        .json()["events"]
        .as_array()
        .is_some_and(|events| {
            events
                .iter()
                .any(|e| e["detail"]["event_id"] == last.as_str())
        })
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "{last} never published"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    stack.stop().await;

    let logs = capture.text();
    // THEN every line is one JSON object with a time, a level and a target
    let lines: Vec<Map<String, Value>> = logs
        .lines()
        .map(|line| match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(object)) => object,
            _ => panic!("not one JSON object: {line}"),
        })
        .collect();
    assert!(lines.len() > 20, "the flow logged: {logs}");
    for line in &lines {
        for field in ["timestamp", "level", "target"] {
            assert!(line.contains_key(field), "no {field}: {line:?}");
        }
    }
    // AND every line written inside a function names the function and the request
    let ours = |line: &&Map<String, Value>| line.contains_key("function");
    let in_functions: Vec<&Map<String, Value>> = lines.iter().filter(ours).collect();
    let seen: HashSet<&str> = in_functions
        .iter()
        .map(|l| l["function"].as_str().unwrap())
        .collect();
    assert_eq!(seen, HashSet::from(FUNCTIONS), "functions seen in the logs");
    for line in &in_functions {
        assert!(
            line.get("request_id")
                .and_then(Value::as_str)
                .is_some_and(|id| !id.is_empty()),
            "no request id: {line:?}"
        );
    }
    // AND no line of the functions' own code is written outside an invocation
    for line in &lines {
        let target = line["target"].as_str().unwrap();
        let function_code = [
            "submit_claim",
            "manage_claims",
            "notify_customer",
            "record_opt_out",
        ]
        .iter()
        .chain(&[
            "finalize_association",
            "record_email_feedback",
            "publish_events",
            "notify_partner",
            "cpor_domain",
            "cpor_http",
        ])
        .any(|t| target.starts_with(t));
        assert!(
            !function_code || ours(&line),
            "outside an invocation: {line:?}"
        );
    }
    // AND the lines about a claim carry its id
    let claims = [
        declined["claim_id"].as_str().unwrap(),
        other["claim_id"].as_str().unwrap(),
        third_id.as_str(),
    ];
    for message in [
        "claim submitted",
        "customer notified",
        "notification processed",
        "opt-out page shown",
        "opt-out request",
        "customer declined",
        "claim associated",
        "claim withdrawn",
        "e-mail feedback processed",
        "customer's contact corrected",
        "customer ended the association",
    ] {
        let about: Vec<_> = in_functions
            .iter()
            .filter(|l| l.get("message").and_then(Value::as_str) == Some(message))
            .collect();
        assert!(!about.is_empty(), "no line says {message:?}");
        for line in about {
            let id = line.get("claim_id").and_then(Value::as_str);
            assert!(
                id.is_some_and(|id| claims.contains(&id)),
                "{message:?} without the claim id: {line:?}"
            );
        }
    }
    // AND a refusal says its code
    assert!(
        in_functions
            .iter()
            .any(
                |l| l.get("message").and_then(Value::as_str) == Some("claim refused")
                    && l["code"] == "validation_failed"
            )
    );
    // AND no line has the customer's address, the links' tokens, or a bearer token
    let token = link.rsplit('/').next().unwrap();
    let other_token = other_link.rsplit('/').next().unwrap();
    let third_tokens = [
        third_link.rsplit('/').next().unwrap(),
        new_link.rsplit('/').next().unwrap(),
    ];
    for secret in [
        "giulia@contoso.com",
        "luca@contoso.com",
        "marco@contoso.com",
        "Giulia Rossi",
        "Marco Bianchi",
        "Sam Lee",
        token,
        other_token,
        third_tokens[0],
        third_tokens[1],
        &bearer[..40],
    ] {
        assert!(
            !logs.contains(secret),
            "a log line carries {secret}:\n{}",
            logs.lines().find(|l| l.contains(secret)).unwrap()
        );
    }
    // AND the masked form is what the lines that need the address carry
    assert!(logs.contains("g***@contoso.com"));
    println!(
        "logs: {} JSON lines at debug level, {} inside functions, no address or token in clear",
        lines.len(),
        in_functions.len()
    );
    for line in in_functions
        .iter()
        .filter(|l| l["level"] != "DEBUG")
        .take(12)
    {
        println!("{}", Value::Object((*line).clone()));
    }
}
