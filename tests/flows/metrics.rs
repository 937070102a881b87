//! Metrics: the functions print CloudWatch embedded-metric-format lines (no API call), with the
//! names, units and dimensions the template's alarms and the runbook rely on. A whole flow runs
//! with every line captured as the functions write it in Lambda, and the metric lines are read
//! back as CloudWatch would.

use chrono::{TimeDelta, Utc};
use cpor_aws::logging::METRICS_TARGET;
use cpor_local::faults::{Fault, FaultPlan};
use cpor_tests::*;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Every metric of the service, with its unit.
const METRICS: [(&str, &str); 23] = [
    ("ClaimsSubmitted", "Count"),
    ("ClaimsRefused", "Count"),
    ("ClaimsWithdrawn", "Count"),
    ("NotificationsSent", "Count"),
    ("NotificationsFailed", "Count"),
    ("NotificationsHeld", "Count"),
    ("NotificationsHeldForOperator", "Count"),
    ("NotificationsRejected", "Count"),
    ("OptOuts", "Count"),
    ("AssociationsRevoked", "Count"),
    ("CustomersUnreachable", "Count"),
    ("FinalizationRuns", "Count"),
    ("ClaimsFinalized", "Count"),
    ("FinalizationDuration", "Milliseconds"),
    ("FinalizationBacklog", "Count"),
    ("ClaimsReviewed", "Count"),
    ("PartnerMoves", "Count"),
    ("ClaimsRejectedForNoResponse", "Count"),
    ("ClaimsRejectedUnreachable", "Count"),
    ("ReviewsOverdue", "Count"),
    ("EventEmailsSent", "Count"),
    ("EventEmailsHeld", "Count"),
    ("EventEmailsFailed", "Count"),
];

#[tokio::test]
async fn a_whole_flow_prints_each_metric_with_its_unit_and_dimensions() {
    // The functions log at warn here: metric lines pass whatever the level.
    let capture = LogCapture::install("warn");
    let plan = FaultPlan::new(0.0, 11);
    let faults = plan.clone();
    let stack = TestStack::start_with(move |s| s.faults = Some(faults)).await;
    let started = Utc::now();
    // GIVEN two claims notified, one declined, the other finalized and then withdrawn
    let (_, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    // AND two refusals: another partner's claim on the pending workload, and an empty body
    assert_eq!(
        stack.submit(NORTHWIND, &claim_body("teams")).await.status,
        409
    );
    assert_eq!(stack.submit(NORTHWIND, &json!({})).await.status, 400);
    stack.post_form(&link).await;
    stack.post_form(&link).await;
    let (other, _) = stack
        .notified_claim(FABRIKAM, &claim_body("exchange"))
        .await;
    let deadline = instant(&other["opt_out_deadline"]);
    stack.finalize(deadline + TimeDelta::seconds(1)).await;
    stack
        .withdraw(FABRIKAM, other["claim_id"].as_str().unwrap(), "done")
        .await;
    // AND failures: a notification whose e-mail fails (throttled: nothing sent), until SES
    // recovers
    plan.set_targets(Some(&["SES.SendEmail"]));
    plan.set_kinds(Some(&[Fault::Unavailable]));
    plan.set_rate(1.0);
    let failing = stack.submit(FABRIKAM, &claim_body("onedrive")).await;
    let failing_id = failing.json()["claim_id"].as_str().unwrap().to_owned();
    let waited = Instant::now();
    while !capture.text().contains("NotificationsFailed\":1") {
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "no failure reported"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    plan.set_rate(0.0);
    stack
        .wait_for_status(FABRIKAM, &failing_id, "awaiting_customer")
        .await;
    // AND a notification whose e-mail went out and whose answer was lost: held
    plan.set_kinds(Some(&[Fault::LostResponse]));
    plan.set_rate(1.0);
    stack.submit(FABRIKAM, &claim_body("defender")).await;
    let waited = Instant::now();
    while !capture.text().contains("NotificationsHeld\":1") {
        assert!(waited.elapsed() < Duration::from_secs(20), "nothing held");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    plan.set_rate(0.0);
    plan.set_kinds(None);
    // AND a finalization run that cannot write one of the due claims
    let (due, _) = stack.notified_claim(FABRIKAM, &claim_body("intune")).await;
    plan.set_targets(Some(&["DynamoDB.TransactWriteItems"]));
    plan.set_rate(1.0);
    let run = stack
        .finalize(instant(&due["opt_out_deadline"]) + TimeDelta::seconds(1))
        .await;
    assert_eq!(run.status, 500, "{}", run.text);
    let failing_run = run.json();
    plan.set_rate(0.0);
    stack.stop().await;

    let logs = capture.text();
    let lines: Vec<Map<String, Value>> = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v.as_object().cloned())
        .filter(|l| l["target"] == METRICS_TARGET)
        .collect();
    // THEN each metric line is a valid embedded-metric-format document
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    for line in &lines {
        let aws = &line["_aws"];
        let at = aws["Timestamp"].as_i64().expect("a Timestamp in ms");
        assert!(
            at >= started.timestamp_millis() - 1_000 && at <= Utc::now().timestamp_millis(),
            "{line:?}"
        );
        let definitions = aws["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(definitions.len(), 1);
        let definition = &definitions[0];
        assert_eq!(definition["Namespace"], "CPOR");
        // AND every dimension it declares is a string on the line; `function` is always one
        let dimensions: Vec<&str> = definition["Dimensions"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        assert_eq!(dimensions[0], "function");
        for dimension in &dimensions {
            assert!(line[*dimension].is_string(), "{dimension} in {line:?}");
        }
        // AND every metric it declares is a known one, with its unit, and a number on the line
        for metric in definition["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            let unit = METRICS
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("unknown metric {name}"))
                .1;
            assert_eq!(metric["Unit"], unit, "{name}");
            let value = line[name].as_f64().expect("a number");
            let key = dimensions
                .iter()
                .skip(1)
                .map(|d| format!("{d}={}", line[*d].as_str().unwrap()))
                .fold(
                    format!("{}/{name}", line["function"].as_str().unwrap()),
                    |k, d| format!("{k}[{d}]"),
                );
            *sums.entry(key).or_default() += value;
        }
    }
    // AND the counts are those of the flow
    let sum = |key: &str| sums.get(key).copied().unwrap_or_default();
    assert_eq!(sum("submit-claim/ClaimsSubmitted"), 5.0, "{sums:?}");
    assert_eq!(
        sum("submit-claim/ClaimsRefused[code=workload_already_claimed]"),
        1.0
    );
    assert_eq!(
        sum("submit-claim/ClaimsRefused[code=validation_failed]"),
        1.0
    );
    // (the held e-mail went out: SES's Send event records it, not notify-customer)
    assert_eq!(sum("notify-customer/NotificationsSent"), 4.0);
    assert!(sum("notify-customer/NotificationsFailed") >= 1.0);
    assert_eq!(sum("notify-customer/NotificationsHeld"), 1.0);
    assert_eq!(sum("notify-customer/NotificationsHeldForOperator"), 0.0);
    assert_eq!(sum("notify-customer/NotificationsRejected"), 0.0);
    assert_eq!(
        sum("record-opt-out/OptOuts"),
        1.0,
        "a repeated decline counts once"
    );
    assert!(sum("finalize-association/FinalizationRuns") >= 2.0);
    // (a write whose response was lost took effect: the run counts it as finalized)
    let count = |field: &str| failing_run[field].as_f64().unwrap();
    assert_eq!(
        sum("finalize-association/ClaimsFinalized"),
        1.0 + count("finalized")
    );
    assert_eq!(
        sum("finalize-association/FinalizationBacklog"),
        count("failed"),
        "the claims the failing run could not write"
    );
    assert!(count("failed") >= 1.0);
    assert!(sums.contains_key("finalize-association/FinalizationDuration"));
    assert_eq!(sum("manage-claims/ClaimsWithdrawn"), 1.0);
    // AND even at warn level, metric lines carry the invocation's request id
    for line in &lines {
        assert!(
            line.get("request_id").is_some_and(Value::is_string),
            "{line:?}"
        );
    }
    // AND the functions' info lines were filtered out, the metric lines were not
    assert!(
        !logs.contains("\"claim submitted\""),
        "info lines at warn level"
    );
    println!("{} metric lines; sums: {sums:#?}", lines.len());
    for line in lines.iter().take(3) {
        println!("{}", Value::Object(line.clone()));
    }
}

/// The sums of the metric lines in `logs`, by `function/Metric[dimension=value]`.
fn metric_sums(logs: &str) -> BTreeMap<String, f64> {
    let mut sums = BTreeMap::new();
    let lines = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["target"] == METRICS_TARGET);
    for line in lines {
        let definition = &line["_aws"]["CloudWatchMetrics"][0];
        let dimensions: Vec<&str> = definition["Dimensions"][0]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .skip(1)
            .collect();
        for metric in definition["Metrics"].as_array().into_iter().flatten() {
            let name = metric["Name"].as_str().unwrap_or_default();
            let key = dimensions.iter().fold(
                format!("{}/{name}", line["function"].as_str().unwrap_or_default()),
                |k, d| format!("{k}[{d}={}]", line[*d].as_str().unwrap_or_default()),
            );
            *sums.entry(key).or_default() += line[name].as_f64().unwrap_or_default();
        }
    }
    sums
}

#[tokio::test]
async fn the_review_counts_each_decision_each_move_the_nightly_rejections_and_the_overdue_reviews()
{
    let capture = LogCapture::install("warn");
    let stack = TestStack::start_manual().await;
    let decide = |id: String, decision: &'static str, body: Value| {
        let stack = &stack;
        async move {
            let answer = stack.decide("reviewer-1", &id, decision, &body).await;
            assert_eq!(answer.status, 200, "{}", answer.text);
        }
    };
    let id_of = |answer: Answer| answer.json()["claim_id"].as_str().unwrap().to_owned();
    // GIVEN a claim asked for more, answered and approved; another rejected and disputed; a
    // third asked for more and left unanswered; a fourth waiting for a reviewer
    let information = json!({ "codes": ["other"], "message": "More." });
    let rejection = json!({ "code": "other", "message": "No." });
    let approved = id_of(stack.submit(FABRIKAM, &claim_body("teams")).await);
    decide(approved.clone(), "request-information", information.clone()).await;
    stack
        .partner_move(
            FABRIKAM,
            &approved,
            "respond",
            &json!({ "message": "Here." }),
        )
        .await;
    decide(approved, "approve", json!({})).await;
    let disputed = id_of(stack.submit(FABRIKAM, &claim_body("exchange")).await);
    decide(disputed.clone(), "reject", rejection).await;
    stack
        .partner_move(
            FABRIKAM,
            &disputed,
            "dispute",
            &json!({ "justification": "Why?" }),
        )
        .await;
    let unanswered = id_of(stack.submit(FABRIKAM, &claim_body("intune")).await);
    decide(unanswered.clone(), "request-information", information).await;
    stack.submit(FABRIKAM, &claim_body("sharepoint")).await;
    // WHEN the nightly run comes ten days later
    let run = stack
        .finalize(Utc::now() + TimeDelta::days(10))
        .await
        .json();
    assert_eq!(run["rejected"], 1, "{run}");
    stack.stop().await;
    // THEN the metrics count each decision by its kind, each move by its kind, the run's
    // rejections, and the claims waiting for a reviewer past their due time (the disputed
    // claim and the one never decided)
    let sums = metric_sums(&capture.text());
    let sum = |key: &str| sums.get(key).copied().unwrap_or_default();
    for (key, expected) in [
        (
            "review-claims/ClaimsReviewed[decision=information_requested]",
            2.0,
        ),
        ("review-claims/ClaimsReviewed[decision=approved]", 1.0),
        ("review-claims/ClaimsReviewed[decision=rejected]", 1.0),
        ("manage-claims/PartnerMoves[move=respond]", 1.0),
        ("manage-claims/PartnerMoves[move=dispute]", 1.0),
        ("finalize-association/ClaimsRejectedForNoResponse", 1.0),
        ("finalize-association/ReviewsOverdue", 2.0),
    ] {
        assert_eq!(sum(key), expected, "{key}: {sums:#?}");
    }
}
