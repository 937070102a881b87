//! The operator commands, run as an operator runs them: the built `cpor-ops` binary, as a
//! process of its own, pointed at a fresh emulator by the same variables a deployed stack uses.

// Tests: the house rules bind the service's code (Cargo.toml's workspace lints), not tests.
#![allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines)]

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use chrono::{TimeDelta, Utc};
use cpor_domain::clock::FixedClock;
use cpor_domain::ports::{SendEntry, SendLedger};
use cpor_local::faults::{Fault, FaultPlan};
use cpor_tests::*;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one run of `cpor-ops` did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or(Value::Null)
    }
}

/// The environment of an operator's shell pointed at `stack`, as `.run/local.env` has it.
fn operator_env(stack: &TestStack) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", stack.endpoint()),
        ("AWS_REGION", cpor_local::settings::REGION.to_owned()),
        ("AWS_ACCESS_KEY_ID", "local".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "local".to_owned()),
        ("CPOR_TABLE_NAME", stack.settings().table.clone()),
        ("CPOR_NOTIFICATION_QUEUE_URL", stack.queue_url()),
    ]
}

/// Runs `cpor-ops ARGS` with only the variables `env` (nothing of this process's own).
async fn cpor_ops(env: &[(&str, String)], args: &[&str]) -> Run {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_cpor-ops"))
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .await
        .expect("cpor-ops runs");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    println!(
        "$ cpor-ops {} -> {}\n{}{}",
        args.join(" "),
        run.code,
        run.stdout,
        run.stderr
    );
    run
}

/// A file in the temporary directory with `content`.
fn file(name: &str, content: &Value) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cpor-ops-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, content.to_string()).expect("file written");
    path
}

fn claim_id(answer: &Answer) -> String {
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.json()["claim_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Receives every message waiting on the notification queue, deleting them.
async fn drain_queue(stack: &TestStack) -> Vec<SqsMessage> {
    let sqs = stack.sqs().await;
    let mut drained = Vec::new();
    loop {
        let received = sqs
            .receive_message()
            .queue_url(stack.queue_url())
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return drained;
        }
        for m in messages {
            sqs.delete_message()
                .queue_url(stack.queue_url())
                .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
                .send()
                .await
                .expect("delete");
            let mut record = SqsMessage::default();
            record.message_id = m.message_id;
            record.body = m.body;
            drained.push(record);
        }
    }
}

/// Hands `messages` to notify-customer as Lambda would, redelivering those it reports failed
/// (another delivery holding the send) until none is left.
async fn deliver(stack: &TestStack, mut messages: Vec<SqsMessage>) {
    for _ in 0..50 {
        if messages.is_empty() {
            return;
        }
        let mut event = SqsEvent::default();
        event.records = messages.clone();
        let failed: Vec<String> = stack
            .functions()
            .notify
            .handle(event)
            .await
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect();
        messages.retain(|m| failed.contains(&m.message_id.clone().unwrap_or_default()));
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("notify-customer never settled {} messages", messages.len());
}

#[tokio::test]
async fn redrive_moves_the_dead_letters_back_and_their_customers_are_then_notified() {
    // GIVEN a mail service that refused every send until a claim's message was dead-lettered
    // (throttled: a refusal that says nothing was sent, so the message is retried)
    let plan = cpor_local::faults::FaultPlan::new(0.0, 7);
    let shared = plan.clone();
    let stack = TestStack::start_with(move |s| s.faults = Some(shared)).await;
    plan.set_targets(Some(&["SES.SendEmail"]));
    plan.set_kinds(Some(&[Fault::Unavailable]));
    plan.set_rate(1.0);
    let id = claim_id(&stack.submit(FABRIKAM, &claim_body("teams")).await);
    stack.wait_for_dead_letters(1).await;
    assert_eq!(stack.claim(FABRIKAM, &id).await["status"], "approved");
    // AND mail works again
    plan.set_rate(0.0);
    // WHEN the operator re-drives, naming only the notification queue (the dead-letter queue is
    // found from its redrive policy)
    let run = cpor_ops(&operator_env(&stack), &["redrive"]).await;
    // THEN the message is moved back, and its customer is notified, once
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["redriven"], 1);
    assert_eq!(run.json()["to"], stack.queue_url());
    assert!(
        run.json()["from"]
            .as_str()
            .unwrap()
            .ends_with("-notifications-dlq")
    );
    assert!(run.stderr.contains("moved 1 message from"));
    stack
        .wait_for_status(FABRIKAM, &id, "awaiting_customer")
        .await;
    assert_eq!(stack.customer_outbox().await.len(), 1);
    assert_eq!(stack.dead_letters().await, 0);
    // AND a second redrive finds nothing to move
    let again = cpor_ops(&operator_env(&stack), &["redrive"]).await;
    assert_eq!(
        (again.code, again.json()["redriven"].clone()),
        (0, json!(0))
    );
    stack.stop().await;
}

#[tokio::test]
async fn resend_of_a_claim_stuck_in_approved_sends_one_email_even_when_repeated_and_then_refuses() {
    // The poller is off: this test plays Lambda's event source itself.
    let stack = TestStack::start_with(|s| s.poll_notifications = false).await;
    let env = operator_env(&stack);
    // GIVEN a claim whose notification never reached the queue (the outbox's reader is off
    // with the poller here, as if its message had been lost)
    let id = claim_id(&stack.submit(FABRIKAM, &claim_body("teams")).await);
    assert_eq!(drain_queue(&stack).await.len(), 0);
    assert_eq!(stack.claim(FABRIKAM, &id).await["status"], "approved");
    // WHEN the operator re-sends it, twice (a repeated command, a double paste)
    for _ in 0..2 {
        let run = cpor_ops(&env, &["resend", &id]).await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(
            run.json(),
            json!({ "claim_id": id, "status": "approved", "queued": true })
        );
    }
    // THEN the queue holds the message submission queues, twice
    let queued = drain_queue(&stack).await;
    let bodies: Vec<Value> = queued
        .iter()
        .map(|m| serde_json::from_str(m.body.as_deref().unwrap_or_default()).unwrap())
        .collect();
    assert_eq!(bodies, vec![json!({ "claim_id": id }); 2]);
    // AND once delivered, the customer gets one e-mail and the claim awaits them
    deliver(&stack, queued).await;
    let claim = stack.claim(FABRIKAM, &id).await;
    assert_eq!(claim["status"], "awaiting_customer");
    // (submitted, approved, awaiting_customer)
    assert_eq!(history_steps(&claim).len(), 3);
    assert_eq!(stack.customer_outbox().await.len(), 1);
    // AND a third resend is refused, naming the status and the deadline, and queues nothing
    let refused = cpor_ops(&env, &["resend", &id]).await;
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains(&format!("claim {id} is awaiting_customer, not approved")),
        "{}",
        refused.stderr
    );
    assert!(
        refused
            .stderr
            .contains(claim["opt_out_deadline"].as_str().unwrap())
    );
    assert!(drain_queue(&stack).await.is_empty());
    stack.stop().await;
}

#[tokio::test]
async fn resend_refuses_an_unknown_claim_a_withdrawn_claim_a_contest_and_a_malformed_id_each_saying_why()
 {
    let stack = TestStack::start_with(|s| s.poll_notifications = false).await;
    let env = operator_env(&stack);
    // an id no claim has
    let unknown = cpor_ops(&env, &["resend", "01JDX3Z8Q6V6W4S0Y1B2C3D4E5"]).await;
    assert_eq!(unknown.code, 1);
    assert!(
        unknown
            .stderr
            .contains("no claim 01JDX3Z8Q6V6W4S0Y1B2C3D4E5 in table cpor-test")
    );
    // a claim withdrawn before its customer was notified
    let id = claim_id(&stack.submit(FABRIKAM, &claim_body("teams")).await);
    drain_queue(&stack).await;
    assert_eq!(
        stack
            .withdraw(FABRIKAM, &id, "entered by mistake")
            .await
            .status,
        200
    );
    let withdrawn = cpor_ops(&env, &["resend", &id]).await;
    assert_eq!(withdrawn.code, 1);
    assert!(
        withdrawn.stderr.contains("is withdrawn, not approved"),
        "{}",
        withdrawn.stderr
    );
    // a contest waiting for arbitration: its customer was never e-mailed, and the operator
    // is told so (not that the customer "was notified already")
    let holder = claim_id(&stack.submit(FABRIKAM, &claim_body("exchange")).await);
    let mut contest = claim_body("exchange");
    contest["partner_contact"] = json!({ "name": "Ana Diaz", "email": "ana@northwind.example" });
    contest["contest"] = json!({ "justification": "We run Exchange for Contoso now." });
    let contested = stack.submit(NORTHWIND, &contest).await;
    assert_eq!(
        contested.json()["status"],
        "contested",
        "{}",
        contested.text
    );
    drain_queue(&stack).await;
    let refused = cpor_ops(&env, &["resend", &claim_id(&contested)]).await;
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("is contested, not approved"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("reviewer's decision"),
        "{}",
        refused.stderr
    );
    assert!(
        !refused.stderr.contains("notified already"),
        "{}",
        refused.stderr
    );
    assert!(!holder.is_empty());
    // a malformed id is a usage error
    let malformed = cpor_ops(&env, &["resend", "42"]).await;
    assert_eq!(malformed.code, 2);
    assert!(malformed.stderr.contains("\"42\" is not a claim id"));
    // and none of them queued anything
    assert!(drain_queue(&stack).await.is_empty());
    stack.stop().await;
}

#[tokio::test]
async fn finalize_at_a_time_associates_the_claims_due_by_then_and_no_others() {
    // GIVEN two claims notified three days apart, so their windows close on different days
    let clock = Arc::new(FixedClock::at(Utc::now()));
    let shared = clock.clone();
    let stack = TestStack::start_with(move |s| s.clock = shared).await;
    let env = operator_env(&stack);
    let start = Utc::now();
    let (first, _) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    clock.set(start + TimeDelta::days(3));
    let (second, _) = stack
        .notified_claim(FABRIKAM, &claim_body("exchange"))
        .await;
    let first_deadline = instant(&first["opt_out_deadline"]);
    let second_deadline = instant(&second["opt_out_deadline"]);
    assert!(first_deadline < second_deadline);
    let (first_id, second_id) = (
        first["claim_id"].as_str().unwrap(),
        second["claim_id"].as_str().unwrap(),
    );
    // WHEN finalization runs at the first deadline itself, nothing is due
    let at = cpor_domain::time::format_instant(first_deadline);
    // (the deadlines are days ahead of the machine's clock: --force says that is meant)
    let early = cpor_ops(&env, &["finalize", "--at", &at, "--force"]).await;
    assert_eq!((early.code, early.json()["due"].clone()), (0, json!(0)));
    // WHEN it runs a millisecond after the first deadline
    let at = cpor_domain::time::format_instant(first_deadline + TimeDelta::milliseconds(1));
    let run = cpor_ops(&env, &["finalize", "--at", &at, "--force"]).await;
    // THEN only the first claim is associated, and the summary says so
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.json(),
        json!({ "now": at, "due": 1, "finalized": 1, "rejected": 0, "rejected_for_no_response": 0, "rejected_unreachable": 0, "already_decided": 0, "failed": 0, "reviews_overdue": 0,
                "subscription_ends": { "ended": 0, "expired": 0, "rejected": 0, "unheld": 0, "resumed": 0, "failed": 0 } })
    );
    assert_eq!(
        stack.claim(FABRIKAM, first_id).await["status"],
        "associated"
    );
    assert_eq!(
        stack.claim(FABRIKAM, second_id).await["status"],
        "awaiting_customer"
    );
    // AND a run as of now (before either deadline) changes nothing
    let now = cpor_ops(&env, &["finalize"]).await;
    assert_eq!((now.code, now.json()["finalized"].clone()), (0, json!(0)));
    // AND a run after the second deadline associates the second
    let at = cpor_domain::time::format_instant(second_deadline + TimeDelta::days(1));
    let later = cpor_ops(&env, &["finalize", "--at", &at, "--force"]).await;
    assert_eq!(
        (later.code, later.json()["finalized"].clone()),
        (0, json!(1))
    );
    assert_eq!(
        stack.claim(FABRIKAM, second_id).await["status"],
        "associated"
    );
    // AND a run that cannot read its table fails with exit code 1
    let broken = cpor_ops(&env, &["finalize", "--table", "no-such-table"]).await;
    assert_eq!(broken.code, 1);
    assert!(
        broken
            .stderr
            .contains("could not read the claims due in no-such-table")
    );
    stack.stop().await;
}

const FOURTH_COFFEE: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

fn fourth_coffee_claim(workload: &str) -> Value {
    let mut body = claim_body(workload);
    body["tenant_id"] = json!(FOURTH_COFFEE);
    body["customer_domain"] = json!("fourthcoffee.onmicrosoft.com");
    body["customer_contact"]["email"] = json!("it@fourthcoffee.onmicrosoft.com");
    body
}

fn new_reference_data() -> Value {
    json!({
        "partners": [{ "partner_id": "5555555", "name": "Wide World Importers", "programs": ["osu-m365"] }],
        "tenants": [{ "tenant_id": FOURTH_COFFEE, "domains": ["fourthcoffee.onmicrosoft.com"] }]
    })
}

#[tokio::test]
async fn import_writes_partners_and_tenants_that_a_submission_then_accepts_and_is_idempotent() {
    let stack = TestStack::start().await;
    let env = operator_env(&stack);
    // GIVEN a partner and a tenant the table does not know
    assert_eq!(
        stack
            .submit("5555555", &fourth_coffee_claim("teams"))
            .await
            .code(),
        "partner_not_enrolled"
    );
    let path = file("import-new.json", &new_reference_data());
    let path = path.to_str().unwrap();
    // WHEN the file is checked with --dry-run, nothing is written
    let dry = cpor_ops(&env, &["import", path, "--dry-run"]).await;
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert_eq!(
        dry.json(),
        json!({ "partners": 1, "tenants": 1, "written": false })
    );
    assert_eq!(
        stack
            .submit("5555555", &fourth_coffee_claim("teams"))
            .await
            .code(),
        "partner_not_enrolled"
    );
    // WHEN it is imported
    let run = cpor_ops(&env, &["import", path]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.json(),
        json!({ "partners": 1, "tenants": 1, "written": true })
    );
    // THEN a claim by that partner for that tenant is accepted
    let created = stack.submit("5555555", &fourth_coffee_claim("teams")).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json()["partner_name"], "Wide World Importers");
    // AND importing the same file again changes nothing and harms nothing
    let again = cpor_ops(&env, &["import", path]).await;
    assert_eq!((again.code, again.json()), (0, run.json()));
    assert_eq!(reference_items(&stack).await, 5 + 2);
    assert_eq!(
        stack
            .submit("5555555", &fourth_coffee_claim("exchange"))
            .await
            .status,
        201
    );
    assert_eq!(stack.all_claims("5555555").await.len(), 2);
    stack.stop().await;
}

#[tokio::test]
async fn import_refuses_a_malformed_file_naming_every_fault_and_writes_nothing() {
    let stack = TestStack::start().await;
    let env = operator_env(&stack);
    // GIVEN a file whose first partner and tenant are good, and whose other records are not
    let mut data = new_reference_data();
    data["partners"].as_array_mut().unwrap().push(
        json!({ "partner_id": "12", "name": "Bad Id", "programs": ["osu-m365", "osu-nope"] }),
    );
    data["tenants"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "tenant_id": FOURTH_COFFEE, "domains": ["not a domain"] }));
    let path = file("import-bad.json", &data);
    // WHEN it is imported
    let run = cpor_ops(&env, &["import", path.to_str().unwrap()]).await;
    // THEN it is refused with every fault named by its path
    assert_eq!(run.code, 1);
    for fault in [
        "has 4 faults; nothing imported",
        "partners[1].partner_id: must be 6 to 10 digits",
        "partners[1].programs[1]: must be one of",
        "tenants[1].domains[0]: must be a domain name",
        "tenants[1].tenant_id: is given twice: tenants[0] has the same id",
    ] {
        assert!(run.stderr.contains(fault), "{fault} in {}", run.stderr);
    }
    assert_eq!(run.stdout, "");
    // AND nothing was written, not even the good records
    assert_eq!(reference_items(&stack).await, 5);
    assert_eq!(
        stack
            .submit("5555555", &fourth_coffee_claim("teams"))
            .await
            .code(),
        "partner_not_enrolled"
    );
    // AND a file that is not JSON, or not there, is refused too
    let not_json =
        std::env::temp_dir().join(format!("cpor-ops-not-json-{}.json", std::process::id()));
    std::fs::write(&not_json, "{ \"partners\": [").unwrap();
    let run = cpor_ops(&env, &["import", not_json.to_str().unwrap()]).await;
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("is not JSON"));
    let missing = cpor_ops(&env, &["import", "/nonexistent/reference.json"]).await;
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("cannot read /nonexistent/reference.json")
    );
    stack.stop().await;
}

/// How many partner and tenant items the table holds (a test-only scan).
async fn reference_items(stack: &TestStack) -> usize {
    let client = aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await);
    let page = client
        .scan()
        .table_name(&stack.settings().table)
        .filter_expression("begins_with(pk, :p) OR begins_with(pk, :t)")
        .expression_attribute_values(
            ":p",
            aws_sdk_dynamodb::types::AttributeValue::S("PARTNER#".into()),
        )
        .expression_attribute_values(
            ":t",
            aws_sdk_dynamodb::types::AttributeValue::S("TENANT#".into()),
        )
        .send()
        .await
        .expect("scan");
    page.items().len()
}

#[tokio::test]
async fn a_command_without_its_settings_stops_with_exit_code_2_naming_what_is_missing() {
    // (no emulator: nothing is called)
    let help = cpor_ops(&[], &["--help"]).await;
    assert_eq!(help.code, 0);
    for command in [
        "redrive",
        "resend CLAIM_ID",
        "finalize [--at TIME]",
        "import FILE.json",
    ] {
        assert!(help.stdout.contains(command), "{command}");
    }
    let resend_help = cpor_ops(&[], &["resend", "--help"]).await;
    assert!(resend_help.stdout.starts_with("cpor-ops resend:"));

    let no_table = cpor_ops(&[], &["finalize"]).await;
    assert_eq!(no_table.code, 2);
    assert!(
        no_table
            .stderr
            .contains("no table: set CPOR_TABLE_NAME or pass --table NAME")
    );
    let no_queue = cpor_ops(&[], &["redrive"]).await;
    assert_eq!(no_queue.code, 2);
    assert!(
        no_queue
            .stderr
            .contains("set CPOR_NOTIFICATION_QUEUE_URL or pass --queue-url URL")
    );
    let no_region = cpor_ops(&[("CPOR_TABLE_NAME", "t".into())], &["finalize"]).await;
    assert_eq!(no_region.code, 2);
    assert!(no_region.stderr.contains("no AWS region: set AWS_REGION"));
    let unknown = cpor_ops(&[], &["restart"]).await;
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("no command \"restart\""));
}

#[tokio::test]
async fn keyring_rotates_the_secret_in_steps_that_keep_old_links_working_and_never_print_a_secret()
{
    let stack = TestStack::start().await;
    // GIVEN the opt-out secret as the stack generates it: plain, key k1
    const OLD: &str = "a-generated-secret-of-64-letters-and-digits-abcdefghijklmnopqrst";
    let sdk = stack.settings().sdk_config().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let arn = secrets
        .create_secret()
        .name("cpor/opt-out-token")
        .secret_string(OLD)
        .send()
        .await
        .expect("the secret is created")
        .arn()
        .expect("an ARN")
        .to_owned();
    let mut env = operator_env(&stack);
    env.push(("CPOR_TOKEN_SECRET_ARN", arn.clone()));
    let functions_env = cpor_aws::Env::default()
        .with("CPOR_TOKEN_SECRET", "")
        .with("CPOR_TOKEN_KEY_ID", "k1")
        .with("CPOR_TOKEN_SECRET_ARN", &arn);
    let keyring = || async {
        cpor_aws::config::load_keyring(&sdk, &functions_env)
            .await
            .expect("the functions accept the keyring")
    };
    let claim = cpor_domain::ids::ClaimId::new_at(Utc::now());
    let old_link = keyring().await.sign(claim);
    let mut printed = String::new();

    // (a customer awaiting a decision holds a link e-mailed while k1 signed)
    let (held, _) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    assert_eq!(held["status"], "awaiting_customer");

    // WHEN a key is added: it does not sign yet, but links it signs would verify
    let show = cpor_ops(&env, &["keyring", "show"]).await;
    assert_eq!(show.code, 0);
    assert_eq!(
        show.json(),
        json!({"current": "k1", "keys": [{"id": "k1", "retire_at": null, "signed_until": null}],
               "written": false})
    );
    let add = cpor_ops(&env, &["keyring", "add"]).await;
    assert_eq!(add.code, 0, "{}", add.stderr);
    assert_eq!(add.json()["current"], "k1");
    assert_eq!(add.json()["keys"][1]["id"], "k2");
    assert!(keyring().await.sign(claim).contains(".k1."));
    printed.push_str(&add.stdout);
    printed.push_str(&add.stderr);

    // AND it is promoted: new links name k2, the old link still verifies until k1 retires
    let promote = cpor_ops(&env, &["keyring", "promote", "--retire-in-days", "30"]).await;
    assert_eq!(promote.code, 0, "{}", promote.stderr);
    printed.push_str(&promote.stdout);
    printed.push_str(&promote.stderr);
    let rotated = keyring().await;
    assert!(rotated.sign(claim).contains(".k2."));
    assert_eq!(rotated.verify(&old_link, Utc::now()), Ok(claim));
    let retire_at = cpor_domain::time::parse_instant(
        promote.json()["keys"][0]["retire_at"]
            .as_str()
            .expect("k1 retires"),
    )
    .unwrap();
    assert!(retire_at > Utc::now() + TimeDelta::days(29));
    assert!(
        rotated.verify(&old_link, retire_at).is_err(),
        "refused once retired"
    );

    // AND a promotion with nothing added is refused
    let again = cpor_ops(&env, &["keyring", "promote"]).await;
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("no key to promote"));

    // THEN a key promoted over with a retirement time already past is removed by prune, and
    // its links are refused; k1, which a link in force may use, stays
    let k2_link = rotated.sign(claim);
    let k3 = cpor_ops(&env, &["keyring", "add"]).await;
    assert_eq!(k3.code, 0);
    let promote = cpor_ops(
        &env,
        &["keyring", "promote", "--retire-at", "2020-01-01T00:00:00Z"],
    )
    .await;
    assert_eq!(promote.code, 0);
    let prune = cpor_ops(&env, &["keyring", "prune"]).await;
    assert_eq!(prune.code, 0);
    let pruned = prune.json();
    let ids: Vec<&str> = pruned["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(ids, ["k1", "k3"], "{}", prune.stderr);
    assert_eq!(prune.json()["current"], "k3");
    let after = keyring().await;
    assert!(after.verify(&k2_link, Utc::now()).is_err());
    assert_eq!(after.verify(&old_link, Utc::now()), Ok(claim));

    // AND no secret was ever printed
    let stored = secrets
        .get_secret_value()
        .secret_id(&arn)
        .send()
        .await
        .unwrap()
        .secret_string()
        .unwrap()
        .to_owned();
    for line in [
        &printed,
        &prune.stdout,
        &prune.stderr,
        &k3.stdout,
        &k3.stderr,
    ] {
        assert!(!line.contains(OLD));
        for secret in stored.split('"').filter(|s| s.len() == 64) {
            assert!(!line.contains(secret), "a secret was printed");
        }
    }
    stack.stop().await;
}

/// "End it at any time": a rotation never breaks the link an association's customer was
/// e-mailed. A key that stopped signing keeps verifying; prune removes it only once no link in
/// force was e-mailed before it stopped, so a customer ends the association through the
/// official e-mail's link after the rotation and the pruning, and the key goes after that.
#[tokio::test]
async fn a_rotated_and_pruned_keyring_still_lets_an_associated_customer_end_it_through_the_official_email()
 {
    // GIVEN a stack signing with a secret kept in Secrets Manager (plain, key k1)
    const OLD: &str = "a-generated-secret-of-64-letters-and-digits-abcdefghijklmnopqrst";
    let mut stack = TestStack::start_with(|s| {
        s.token_secret = OLD.into();
        s.token_key_id = "k1".into();
    })
    .await;
    let sdk = stack.settings().sdk_config().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let arn = secrets
        .create_secret()
        .name("cpor/opt-out-token")
        .secret_string(OLD)
        .send()
        .await
        .expect("the secret is created")
        .arn()
        .expect("an ARN")
        .to_owned();
    let mut env = operator_env(&stack);
    env.push(("CPOR_TOKEN_SECRET_ARN", arn.clone()));
    let stored = || async {
        secrets
            .get_secret_value()
            .secret_id(&arn)
            .send()
            .await
            .unwrap()
            .secret_string()
            .unwrap()
            .to_owned()
    };
    // AND an associated claim, whose customer got the "it is official" e-mail (signed by k1)
    let (created, _) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = created["claim_id"].as_str().unwrap().to_owned();
    let after_deadline = cpor_tests::instant(&created["opt_out_deadline"]) + TimeDelta::seconds(1);
    assert_eq!(stack.finalize(after_deadline).await.json()["finalized"], 1);
    let official = wait_for_official_link(&stack, &id).await;
    assert!(official.contains(".k1."), "{official}");
    // WHEN the secret is rotated (add, promote), every signer recycled after each step
    for step in [&["keyring", "add"][..], &["keyring", "promote"]] {
        let run = cpor_ops(&env, step).await;
        assert_eq!(run.code, 0, "{step:?}: {}", run.stderr);
        assert!(run.stderr.contains("notify-partner") || run.stdout.contains("notify-partner"));
        let keyring = stored().await;
        stack.redeploy(|s| s.token_secret = keyring).await;
    }
    // AND the operator prunes
    let prune = cpor_ops(&env, &["keyring", "prune"]).await;
    assert_eq!(prune.code, 0, "{}", prune.stderr);
    // THEN k1 is kept: a link in force (the association's) may use it
    let ids: Vec<String> = prune.json()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["k1", "k2"], "{}", prune.stderr);
    assert!(
        prune.stderr.contains(&id),
        "names the claim: {}",
        prune.stderr
    );
    // AND the keyring the functions load still verifies the official link years from now: no
    // calendar retires a key an association's link uses
    let functions_env = cpor_aws::Env::default()
        .with("CPOR_TOKEN_SECRET", "")
        .with("CPOR_TOKEN_KEY_ID", "k1")
        .with("CPOR_TOKEN_SECRET_ARN", &arn);
    let loaded = cpor_aws::config::load_keyring(&sdk, &functions_env)
        .await
        .expect("the functions accept the keyring");
    let token = official.rsplit('/').next().unwrap_or_default();
    for later in [TimeDelta::days(31), TimeDelta::days(3650)] {
        assert!(
            loaded.verify_link(token, Utc::now() + later).is_ok(),
            "the official link is refused {later} from now"
        );
    }
    let keyring = stored().await;
    stack.redeploy(|s| s.token_secret = keyring).await;
    // AND the customer ends the association through the official e-mail's link, years on
    let page = stack.open(&official).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let ended = stack
        .post_form_body(&official, "action=end&confirm=yes")
        .await;
    assert_eq!(ended.status, 303, "{}", ended.text);
    assert_eq!(stack.claim(FABRIKAM, &id).await["status"], "revoked");
    // AND once no link in force uses k1, prune removes it
    let prune = cpor_ops(&env, &["keyring", "prune"]).await;
    assert_eq!(prune.code, 0, "{}", prune.stderr);
    assert_eq!(prune.json()["keys"].as_array().unwrap().len(), 1);
    assert_eq!(prune.json()["keys"][0]["id"], "k2");
    stack.stop().await;
}

/// The link of the "it is official" e-mail to the customer of claim `id`, waiting up to 20 s.
async fn wait_for_official_link(stack: &TestStack, id: &str) -> String {
    let started = Instant::now();
    loop {
        // The customer's mails about the claim: the notification, then the official one.
        let links: Vec<String> = stack
            .customer_outbox()
            .await
            .into_iter()
            .filter_map(|m| link_in(m["body"].as_str().unwrap_or_default()))
            .filter(|link| link.contains(id))
            .collect();
        if let [_, official] = links.as_slice() {
            return official.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no official e-mail"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A stack whose SES calls all fail with `fault`, until the plan's rate is set back to 0.
async fn stack_with_ses_failing(fault: Fault) -> (TestStack, Arc<FaultPlan>) {
    let plan = FaultPlan::new(0.0, 11);
    let shared = plan.clone();
    let stack = TestStack::start_with(move |s| s.faults = Some(shared)).await;
    plan.set_targets(Some(&["SES.SendEmail"]));
    plan.set_kinds(Some(&[fault]));
    plan.set_rate(1.0);
    (stack, plan)
}

/// Waits until the claim's notification is held, or fails the test after 20 seconds.
async fn wait_until_held(stack: &TestStack, id: &str) {
    let store = cpor_aws::DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await),
        stack.settings().table.clone(),
    );
    let claim_id = cpor_domain::ids::ClaimId::parse(id).expect("a claim id");
    let started = Instant::now();
    loop {
        let notice = cpor_domain::ports::NoticeRef {
            claim_id,
            number: 1,
        };
        let state = store.entry(notice.into()).await.expect("readable");
        if matches!(state, Some(SendEntry::Held { .. })) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the notification of {id} was never held: {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_held_notification_is_sent_only_after_an_operator_confirms_it_did_not_go_out() {
    // GIVEN SES calls that time out: notify-customer cannot know whether the e-mail went out
    let (stack, plan) = stack_with_ses_failing(Fault::Timeout).await;
    let env = operator_env(&stack);
    let id = claim_id(&stack.submit(FABRIKAM, &claim_body("teams")).await);
    // WHEN the notification is processed
    wait_until_held(&stack, &id).await;
    // THEN it is held, not retried: the claim waits, nothing was sent
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(stack.claim(FABRIKAM, &id).await["status"], "approved");
    assert!(stack.customer_outbox().await.is_empty());
    // AND a plain resend is refused, saying why and what to do
    let refused = cpor_ops(&env, &["resend", &id]).await;
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("is held"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("--confirm-unsent"),
        "{}",
        refused.stderr
    );
    // WHEN SES works again and the operator confirms that nothing went out
    plan.set_rate(0.0);
    let run = cpor_ops(&env, &["resend", &id, "--confirm-unsent"]).await;
    // THEN the hold is lifted, the e-mail is sent once and the window opens
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["hold_lifted"], true);
    stack
        .wait_for_status(FABRIKAM, &id, "awaiting_customer")
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(stack.customer_outbox().await.len(), 1);
    stack.stop().await;
}

#[tokio::test]
async fn a_held_notification_whose_email_went_out_opens_its_window_from_the_send_without_a_second_email()
 {
    // GIVEN SES sends the e-mail and its answer is lost, and SES's Send event of it cannot be
    // published (its event destination failing)
    let (stack, plan) = stack_with_ses_failing(Fault::LostResponse).await;
    plan.set_targets(Some(&["SES.SendEmail", "Query.Publish"]));
    let env = operator_env(&stack);
    let id = claim_id(&stack.submit(FABRIKAM, &claim_body("teams")).await);
    wait_until_held(&stack, &id).await;
    plan.set_targets(Some(&["Query.Publish"]));
    // THEN one e-mail went out, and redeliveries send no second one
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(stack.customer_outbox().await.len(), 1);
    // WHEN the operator records the send, at the time and with the message id SES's records
    // give
    let sent_at = "2026-11-30T10:00:00Z";
    let run = cpor_ops(
        &env,
        &[
            "resend",
            &id,
            "--confirm-sent",
            sent_at,
            "--message-id",
            "ses-record-1",
        ],
    )
    .await;
    // THEN the window opens from then, and nothing more is sent
    assert_eq!(run.code, 0, "{}", run.stderr);
    let claim = stack.claim(FABRIKAM, &id).await;
    assert_eq!(claim["status"], "awaiting_customer");
    assert_eq!(claim["notified_at"], "2026-11-30T10:00:00.000Z");
    assert_eq!(run.json()["opt_out_deadline"], claim["opt_out_deadline"]);
    assert_eq!(run.json()["message_id"], "ses-record-1");
    // AND the message id finds the notification for SES's feedback
    let store = cpor_aws::DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await),
        stack.settings().table.clone(),
    );
    let notice = cpor_domain::ports::MailFeedbackLedger::notice_of(&store, "ses-record-1")
        .await
        .unwrap();
    assert_eq!(notice.map(|n| n.claim_id.to_string()), Some(id.clone()));
    // AND when SES's Send event comes at last, nothing more is sent or changed
    plan.set_rate(0.0);
    stack.wait_for_ses_events().await;
    assert_eq!(stack.customer_outbox().await.len(), 1);
    assert_eq!(
        stack.claim(FABRIKAM, &id).await["notified_at"],
        "2026-11-30T10:00:00.000Z"
    );
    stack.stop().await;
}

#[tokio::test]
async fn finalization_as_of_a_future_time_is_refused_without_force() {
    // GIVEN a claim whose customer may opt out for days yet
    let stack = TestStack::start().await;
    let env = operator_env(&stack);
    let (claim, _) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = claim["claim_id"].as_str().unwrap_or_default().to_owned();
    let after_deadline =
        cpor_domain::time::format_instant(instant(&claim["opt_out_deadline"]) + TimeDelta::days(1));
    // WHEN an operator runs finalization as of a time after its deadline, in the future
    let run = cpor_ops(&env, &["finalize", "--at", &after_deadline]).await;
    // THEN it is refused, and the customer keeps their window
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert_eq!(
        stack.claim(FABRIKAM, &id).await["status"],
        "awaiting_customer"
    );
    stack.stop().await;
}

/// An attempt to deliver an event: its id, number, instant, outcome, status code and error.
struct Attempt<'a>(&'a str, u32, &'a str, &'a str, Option<u16>, Option<&'a str>);

/// Records an attempt to deliver an event to the endpoint `webhook_id`, as the delivery logs a
/// round of one attempt.
async fn record_attempt(stack: &TestStack, webhook_id: &str, attempt: Attempt<'_>) {
    use aws_sdk_dynamodb::types::AttributeValue;
    let Attempt(event_id, attempt, at, outcome, status_code, error) = attempt;
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await);
    let entry = serde_json::json!([{
        "event_id": event_id, "attempt": attempt, "at": at, "outcome": outcome,
        "status_code": status_code, "error": error,
    }]);
    let put = dynamo
        .put_item()
        .table_name(&stack.settings().table)
        .item("pk", AttributeValue::S(format!("WEBHOOK#{webhook_id}")))
        .item(
            "sk",
            AttributeValue::S(format!("ATTEMPTS#{at}#{event_id}#{attempt}")),
        )
        .item("attempts", AttributeValue::S(entry.to_string()))
        .item("expires_at", AttributeValue::N("1893456000".into()));
    put.send().await.expect("the attempt is recorded");
}

#[tokio::test]
async fn webhooks_failing_lists_the_events_whose_latest_attempt_did_not_succeed() {
    // GIVEN an endpoint's attempts: one event retried then delivered, one retried twice and
    // still retrying, one failed for good; and another endpoint's failure
    let stack = TestStack::start().await;
    let env = operator_env(&stack);
    let webhook = "01JE0B7Q2M4N6P8R0S2T4V6W8X";
    let other = "01JE0B7Q2M4N6P8R0S2T4V6W8Y";
    let (a, b, c) = (
        "01JE0A00000000000000000000/1",
        "01JE0A00000000000000000000/2",
        "01JE0A00000000000000000000/3",
    );
    record_attempt(
        &stack,
        webhook,
        Attempt(
            a,
            1,
            "2026-12-07T10:00:00.000Z",
            "retrying",
            Some(503),
            Some("status"),
        ),
    )
    .await;
    record_attempt(
        &stack,
        webhook,
        Attempt(
            a,
            2,
            "2026-12-07T10:00:05.000Z",
            "delivered",
            Some(200),
            None,
        ),
    )
    .await;
    record_attempt(
        &stack,
        webhook,
        Attempt(
            b,
            1,
            "2026-12-07T10:01:00.000Z",
            "retrying",
            None,
            Some("timeout"),
        ),
    )
    .await;
    record_attempt(
        &stack,
        webhook,
        Attempt(
            b,
            2,
            "2026-12-07T10:01:05.000Z",
            "retrying",
            Some(500),
            Some("status"),
        ),
    )
    .await;
    record_attempt(
        &stack,
        webhook,
        Attempt(
            c,
            1,
            "2026-12-07T10:00:30.000Z",
            "failed",
            Some(404),
            Some("status"),
        ),
    )
    .await;
    record_attempt(
        &stack,
        other,
        Attempt(
            a,
            1,
            "2026-12-07T09:00:00.000Z",
            "failed",
            Some(400),
            Some("status"),
        ),
    )
    .await;
    // WHEN the operator lists the endpoint's failing deliveries
    let run = cpor_ops(&env, &["webhooks", "failing", webhook]).await;
    // THEN the two events not delivered are listed, the earliest failure first, each with its
    // latest attempt
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.json(),
        json!({
            "webhook_id": webhook,
            "attempts_read": 5,
            "failing": [
                { "event_id": c, "attempts": 1, "first_at": "2026-12-07T10:00:30.000Z",
                  "last_at": "2026-12-07T10:00:30.000Z", "outcome": "failed",
                  "status_code": 404, "error": "status" },
                { "event_id": b, "attempts": 2, "first_at": "2026-12-07T10:01:00.000Z",
                  "last_at": "2026-12-07T10:01:05.000Z", "outcome": "retrying",
                  "status_code": 500, "error": "status" },
            ],
        })
    );
    assert!(
        run.stderr
            .contains("2 events not delivered, failing since 2026-12-07T10:00:30.000Z"),
        "{}",
        run.stderr
    );
    // AND an endpoint with none says so, and a malformed id is a usage error
    let none = cpor_ops(&env, &["webhooks", "failing", "01JE0B7Q2M4N6P8R0S2T4V6W8Z"]).await;
    assert_eq!((none.code, none.json()["failing"].clone()), (0, json!([])));
    let bad = cpor_ops(&env, &["webhooks", "failing", "not-an-id"]).await;
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    stack.stop().await;
}

/// The claim events the bus delivered (the local stack's own consumer), once `count` of them
/// for `partner` have arrived.
async fn partner_events(stack: &TestStack, partner: &str, count: usize) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let answer = stack
            .send(reqwest::Method::GET, "/_local/events", None, None, &[])
            .await;
        let events: Vec<Value> = answer.json()["events"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e["detail"]["partner_id"] == partner)
            .collect();
        if events.len() >= count {
            return events;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{events:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn webhooks_replay_sends_one_partner_s_archived_events_to_the_delivery_queue_and_removes_its_rule()
 {
    // GIVEN two partners' claims, whose events reached the bus and its archive (under the
    // manual review policy: each claim waits for a reviewer, its one event published)
    let stack = TestStack::start_manual().await;
    let from = Utc::now() - TimeDelta::minutes(1);
    claim_id(&stack.submit(FABRIKAM, &claim_body("teams")).await);
    claim_id(&stack.submit(FABRIKAM, &claim_body("exchange")).await);
    claim_id(&stack.submit(NORTHWIND, &claim_body("intune")).await);
    let fabrikam = partner_events(&stack, FABRIKAM, 2).await;
    partner_events(&stack, NORTHWIND, 1).await;
    // AND a queue standing for the webhook delivery's (the delivery's own is another branch's)
    let sqs = stack.sqs().await;
    let queue_url = sqs
        .create_queue()
        .queue_name("webhook-delivery-stand-in")
        .send()
        .await
        .expect("a queue")
        .queue_url
        .unwrap_or_default();
    let queue_arn = cpor_aws::schema::queue_arn(&sqs, &queue_url)
        .await
        .expect("its ARN");
    let prefix = stack.settings().queue_prefix.clone();
    let mut env = operator_env(&stack);
    env.extend([
        ("CPOR_EVENT_BUS_NAME", cpor_aws::schema::event_bus(&prefix)),
        (
            "CPOR_EVENT_ARCHIVE_NAME",
            cpor_aws::schema::event_archive(&prefix),
        ),
        ("CPOR_WEBHOOK_QUEUE_ARN", queue_arn),
    ]);
    // WHEN the operator replays Fabrikam's events
    let to = Utc::now() + TimeDelta::minutes(1);
    let (from, to) = (from.to_rfc3339(), to.to_rfc3339());
    let run = cpor_ops(
        &env,
        &[
            "webhooks",
            "replay",
            "--partner",
            FABRIKAM,
            "--from",
            &from,
            "--to",
            &to,
        ],
    )
    .await;
    // THEN the replay completed and its rule is gone
    assert_eq!(run.code, 0, "{}", run.stderr);
    let result = run.json();
    assert_eq!(result["state"], "COMPLETED", "{result}");
    assert_eq!(result["rule_removed"], true);
    let name = result["replay_name"].as_str().unwrap().to_owned();
    assert!(
        name.starts_with(&format!("cpor-webhook-replay-{FABRIKAM}-")),
        "{name}"
    );
    let events = aws_sdk_eventbridge::Client::new(&stack.settings().sdk_config().await);
    let rules = events
        .list_rules()
        .event_bus_name(cpor_aws::schema::event_bus(&prefix))
        .name_prefix("cpor-webhook-replay-")
        .send()
        .await
        .expect("the rules");
    assert!(rules.rules().is_empty(), "{:?}", rules.rules());
    // AND the queue holds Fabrikam's claim events alone, each once, marked as this replay's
    let mut replayed = Vec::new();
    loop {
        let received = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        for m in messages {
            replayed.push(serde_json::from_str::<Value>(m.body().unwrap_or_default()).unwrap());
            sqs.delete_message()
                .queue_url(&queue_url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete");
        }
    }
    let mut ids: Vec<&str> = replayed
        .iter()
        .map(|e| e["detail"]["event_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut expected: Vec<&str> = fabrikam
        .iter()
        .map(|e| e["detail"]["event_id"].as_str().unwrap())
        .collect();
    expected.sort_unstable();
    assert_eq!(ids, expected);
    for event in &replayed {
        assert_eq!(event["replay-name"], name.as_str(), "{event}");
        assert_eq!(event["detail"]["partner_id"], FABRIKAM);
        assert!(event["detail-type"].as_str().unwrap().starts_with("claim."));
    }
    // AND a range that ends before it starts is a usage error
    let backwards = cpor_ops(
        &env,
        &[
            "webhooks",
            "replay",
            "--partner",
            FABRIKAM,
            "--from",
            &to,
            "--to",
            &from,
        ],
    )
    .await;
    assert_eq!(backwards.code, 2, "{}", backwards.stderr);
    stack.stop().await;
}
