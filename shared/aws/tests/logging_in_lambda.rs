//! Logging as a function sets it up in Lambda: with the function's log format JSON and its
//! application log level WARN (what Lambda passes as `AWS_LAMBDA_LOG_FORMAT` and
//! `AWS_LAMBDA_LOG_LEVEL`), every line is one JSON object; lines below the level are left out,
//! metric lines are not (and carry the level Lambda keeps); a failed start-up and a panic are
//! reported as JSON lines.

// Tests: the house rules bind the service's code (Cargo.toml's workspace lints), not tests.
#![allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines)]

use cpor_aws::Env;
use cpor_aws::logging::{
    LAMBDA_LOG_FORMAT, LAMBDA_LOG_LEVEL, LineBuffer, in_invocation, init_with, started,
};
use cpor_aws::metrics::{Metrics, name};
use serde_json::Value;

#[tokio::test]
async fn a_function_in_lambda_writes_json_lines_at_its_level_metrics_always_and_panics_as_json() {
    let capture = LineBuffer::default();
    let env = Env::default()
        .with(LAMBDA_LOG_FORMAT, "JSON")
        .with(LAMBDA_LOG_LEVEL, "WARN")
        .with("RUST_LOG", "");
    init_with("submit-claim", &env, capture.clone());

    tracing::warn!("during start-up");
    let failed: Result<(), &str> = started(Err("CPOR_TABLE_NAME is required but not set"));
    assert!(failed.is_err(), "passed through");
    in_invocation("submit-claim", "8f5e-request", async {
        tracing::info!("left out: below WARN");
        tracing::warn!(attempt = 1, "kept");
        Metrics::new("submit-claim")
            .count(name::CLAIMS_SUBMITTED, 1)
            .emit();
        let _ = std::thread::spawn(|| panic!("a bug")).join();
    })
    .await;

    let text = capture.text();
    let mut lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    assert_eq!(lines.len(), 5, "{text}");
    // start-up lines name the function, not a request; a failed start-up says why
    assert_eq!(lines[0]["function"], "submit-claim");
    assert!(lines[0].get("request_id").is_none());
    assert_eq!(
        lines.remove(1)["error"],
        "CPOR_TABLE_NAME is required but not set"
    );
    assert_eq!(lines[1]["message"], "kept");
    assert_eq!(lines[1]["request_id"], "8f5e-request");
    assert_eq!(lines[1]["level"], "WARN");
    // the metric line passes, at the level Lambda keeps, with its EMF object
    assert_eq!(lines[2]["ClaimsSubmitted"], 1.0);
    assert_eq!(lines[2]["level"], "WARN");
    assert!(lines[2]["_aws"]["CloudWatchMetrics"].is_array());
    // a panic is one JSON line at ERROR
    assert_eq!(lines[3]["level"], "ERROR");
    assert_eq!(lines[3]["panic"], "a bug");
    assert!(text.lines().all(|l| !l.contains("left out")));
}
