//! Logs never carry a customer's e-mail address, an opt-out link's token or a bearer token in
//! clear: a whole flow runs with every line captured at debug level, and the capture is read.

use chrono::TimeDelta;
use cpor_tests::*;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_whole_flow_logs_no_email_address_or_token_in_clear() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let stack = TestStack::start().await;
    // GIVEN a claim that is submitted, notified, opened, declined, and another finalized and withdrawn
    let (_, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
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
    let bearer = stack.admin(FABRIKAM);
    stack.get(FABRIKAM, "/v1/claims").await;
    stack.stop().await;

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let lines = logs.lines().count();
    assert!(lines > 20, "the flow logged: {logs}");
    // THEN no line has the customer's address, the links' tokens, or a bearer token
    let token = link.rsplit('/').next().unwrap();
    let other_token = other_link.rsplit('/').next().unwrap();
    for secret in ["giulia@contoso.com", token, other_token, &bearer[..40]] {
        assert!(
            !logs.contains(secret),
            "a log line carries {secret}:\n{}",
            logs.lines().find(|l| l.contains(secret)).unwrap()
        );
    }
    // AND the masked form is what the lines that need the address carry
    assert!(logs.contains("g***@contoso.com"));
    println!("logs: {lines} lines at debug level, no address or token in clear");
}
