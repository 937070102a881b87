//! What AWS would allow: the emulator enforces no IAM, so each stack records every request its
//! functions send and, when it is dropped, checks each against the function's role in
//! `infra/template.yaml` (`cpor_local::iam`; every test of this binary is checked so, the races'
//! and the fault tests' retries included). These tests show that the check sees the calls of
//! the rare paths, and that it refuses what a role does not grant.

use chrono::{TimeDelta, Utc};
use cpor_domain::clock::FixedClock;
use cpor_local::iam::{self, AwsCall, Deployment, Refused, Roles, TEMPLATE_PATH, Verdict};
use cpor_tests::*;
use std::sync::Arc;

/// The verdicts on every call the stack's functions made so far, against the template on disk.
fn verdicts(stack: &TestStack) -> Vec<Verdict> {
    let calls = stack
        .settings()
        .aws_calls
        .as_ref()
        .expect("a test stack records its calls");
    iam::verdicts(stack.settings(), calls).expect("the template's roles are readable")
}

fn made<'a>(verdicts: &'a [Verdict], function: &str, action: &str) -> Vec<&'a Verdict> {
    verdicts
        .iter()
        .filter(|v| v.call.function == function && v.call.action == action)
        .collect()
}

#[tokio::test]
async fn a_finalization_run_losing_a_race_re_reads_the_claim_and_its_role_allows_the_read() {
    // GIVEN claims whose windows have closed
    let clock = Arc::new(FixedClock::at(Utc::now()));
    let shared = clock.clone();
    let stack = TestStack::start_with(move |s| s.clock = shared).await;
    let mut lost = 0;
    for round in 0..3 {
        let mut ids = Vec::new();
        let mut deadline = None;
        for workload in M365_WORKLOADS {
            let (claim, _) = stack.notified_claim(FABRIKAM, &claim_body(workload)).await;
            deadline = Some(instant(&claim["opt_out_deadline"]));
            ids.push(claim["claim_id"].as_str().unwrap_or_default().to_owned());
        }
        let after = deadline.expect("claims") + TimeDelta::milliseconds(1);
        clock.set(after);
        // WHEN three runs go through them at once: all but one lose each claim's race
        let runs = futures::future::join_all((0..3).map(|_| stack.finalize(after))).await;
        assert!(runs.iter().all(|r| r.status == 200), "{runs:?}");
        lost += runs
            .iter()
            .map(|r| r.json()["already_decided"].as_u64().unwrap_or_default())
            .sum::<u64>();
        if lost > 0 {
            break;
        }
        // (no run overlapped another: free the workloads and race again)
        for id in &ids {
            let freed = stack
                .withdraw(FABRIKAM, id, &format!("round {round}"))
                .await;
            assert_eq!(freed.status, 200, "{}", freed.text);
        }
        clock.set(Utc::now());
    }
    assert!(lost > 0, "no run lost a race");
    // THEN each loser re-read the claim (to tell its own write from the winner's), and its role allows that read
    let verdicts = verdicts(&stack);
    let reads = made(&verdicts, "finalize-association", "dynamodb:GetItem");
    assert!(!reads.is_empty(), "the losing runs re-read the claims");
    assert!(
        reads.iter().all(|v| v.allowed()),
        "{}",
        Refused(reads.iter().map(|v| (*v).clone()).collect())
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_role_stripped_of_one_action_fails_the_check_of_the_calls_a_flow_made() {
    // GIVEN a claim submitted, its customer notified, and the claim declined
    let stack = TestStack::start().await;
    let (_, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    assert_eq!(stack.post_form(&link).await.status, 303);
    stack.wait_for_ses_events().await;
    // (SES's Send event of the e-mail makes record-email-feedback read the kept reports: wait
    // until it has, however busy the machine)
    let recorded = stack
        .settings()
        .aws_calls
        .as_ref()
        .expect("a test stack records its calls");
    let started = std::time::Instant::now();
    let calls = loop {
        let calls = recorded.snapshot();
        let queried = calls
            .iter()
            .any(|c| c.function == "record-email-feedback" && c.action == "dynamodb:Query");
        if queried {
            break calls;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "record-email-feedback never read the kept reports"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let deployment = Deployment::local(stack.settings());
    let template = std::fs::read_to_string(TEMPLATE_PATH).expect("the template");
    // AND the template with record-email-feedback's role lacking the Query of the reports
    // kept on messages not yet recorded (which SES's Send event of the e-mail made it read)
    let granted = "Action: [dynamodb:PutItem, dynamodb:Query]";
    let role = template
        .find("\n  RecordEmailFeedbackRole:")
        .expect("record-email-feedback's role");
    let grant = role
        + template[role..]
            .find(granted)
            .expect("record-email-feedback's role grants dynamodb:Query");
    let stripped = format!(
        "{}Action: dynamodb:PutItem{}",
        &template[..grant],
        &template[grant + granted.len()..]
    );
    // WHEN the recorded calls are checked against each
    let check = |template: &str| {
        let roles = Roles::from_template(template, &deployment).expect("readable roles");
        Refused::of(&roles.verdicts(&calls))
    };
    // THEN the template as it is allows every call
    assert_eq!(check(&template), Ok(()));
    // AND the stripped one refuses exactly record-email-feedback's Query, saying why
    let refused = check(&stripped).expect_err("a refused call");
    let what: Vec<(&str, &str)> = refused
        .0
        .iter()
        .map(|v| (v.call.function.as_str(), v.call.action.as_str()))
        .collect();
    assert!(!what.is_empty());
    assert!(
        what.iter()
            .all(|w| *w == ("record-email-feedback", "dynamodb:Query")),
        "{what:?}"
    );
    let message = refused.to_string();
    for part in [
        "record-email-feedback: dynamodb:Query (DynamoDB.Query)",
        "UNMATCHED#",
        "UnmatchedReports: action not granted",
    ] {
        assert!(message.contains(part), "{part} not in {message}");
    }
    stack.stop().await;
}

#[tokio::test]
async fn the_functions_reading_the_secret_from_secrets_manager_are_allowed_to() {
    // GIVEN the opt-out secret in Secrets Manager, and the functions deployed with its ARN
    let mut stack = TestStack::start().await;
    let sdk = stack.settings().sdk_config().await;
    let arn = aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name("cpor/opt-out-token")
        .secret_string("a-deployment-secret-of-32-bytes!")
        .send()
        .await
        .expect("the secret is created")
        .arn()
        .expect("an ARN")
        .to_owned();
    stack.redeploy(|s| s.token_secret_arn = arn.clone()).await;
    // WHEN a claim goes through them
    let (_, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    assert_eq!(stack.open(&link).await.status, 200);
    // THEN the three that sign or verify links read the secret at start-up (notify-partner for
    // the customer's link in the "it is official" e-mail), and their roles allow it
    let verdicts = verdicts(&stack);
    let reads: Vec<(&str, &str, bool)> = verdicts
        .iter()
        .filter(|v| v.call.action == "secretsmanager:GetSecretValue")
        .map(|v| {
            (
                v.call.function.as_str(),
                v.call.resource.as_str(),
                v.allowed(),
            )
        })
        .collect();
    assert_eq!(
        reads,
        vec![
            ("notify-customer", arn.as_str(), true),
            ("notify-partner", arn.as_str(), true),
            ("record-opt-out", arn.as_str(), true),
        ]
    );
    stack.stop().await;
}

#[tokio::test]
async fn each_function_is_checked_on_its_own_role_with_the_items_it_touched() {
    // GIVEN a whole flow: submit, notify, the page, the decline, a listing
    let stack = TestStack::start().await;
    let (claim, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    assert_eq!(stack.post_form(&link).await.status, 303);
    let id = claim["claim_id"].as_str().unwrap_or_default();
    assert_eq!(stack.claim(FABRIKAM, id).await["status"], "declined");
    // THEN every call is attributed to the function that made it, each DynamoDB item carries
    // its partition key, and record-opt-out touched only its claim's items and the lock
    let verdicts = verdicts(&stack);
    let functions: std::collections::BTreeSet<&str> =
        verdicts.iter().map(|v| v.call.function.as_str()).collect();
    assert_eq!(
        functions,
        [
            // Its event source mapping polls the webhooks' queue on its role, and it reads the
            // endpoints of each event's partner (none here).
            "deliver-webhooks",
            "manage-claims",
            "notify-customer",
            // Their event source mappings read the table's stream, or poll their queues, on
            // their roles.
            "notify-partner",
            "process-claim-batch",
            "publish-events",
            "record-document",
            "record-email-feedback",
            "record-opt-out",
            // run-export's event source mapping polls the exports queue on its role.
            "run-export",
            "submit-claim"
        ]
        .into_iter()
        .collect()
    );
    // (a stream's reads touch no item)
    let items = |v: &&Verdict| {
        v.call.action.starts_with("dynamodb:")
            && !v.call.resource.contains("/index/")
            && !v.call.resource.contains("/stream/")
    };
    assert!(
        verdicts
            .iter()
            .filter(items)
            .all(|v| v.call.leading_key().is_some())
    );
    let opt_out: Vec<&AwsCall> = verdicts
        .iter()
        .map(|v| &v.call)
        .filter(|c| c.function == "record-opt-out")
        .collect();
    assert!(!opt_out.is_empty());
    for call in opt_out {
        let key = call.leading_key().unwrap_or_default();
        assert!(
            key == format!("CLAIM#{id}") || key.starts_with("LOCK#"),
            "{call:?}"
        );
    }
    stack.stop().await;
}

#[tokio::test]
async fn the_publisher_s_stream_reads_its_events_and_its_subject_reads_are_all_its_role_allows() {
    // GIVEN a claim, and a history entry of it stored without its claim's subject (as the
    // entries written before the events existed are)
    let stack = TestStack::start().await;
    let (claim, _) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = claim["claim_id"].as_str().unwrap_or_default().to_owned();
    let last = stack.store_entry_without_subject(&id).await;
    let started = std::time::Instant::now();
    loop {
        let events = stack
            .send(reqwest::Method::GET, "/_local/events", None, None, &[])
            .await
            .json();
        let published = events["events"].as_array().and_then(|e| {
            e.iter()
                .find(|e| e["detail"]["event_id"] == last.as_str())
                .cloned()
        });
        if let Some(event) = published {
            // (its subject, read from the claim)
            assert_eq!(
                (&event["detail"]["partner_id"], &event["detail"]["workload"]),
                (&serde_json::json!(FABRIKAM), &serde_json::json!("teams")),
                "{event}"
            );
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "{last} never published"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // WHEN the calls publish-events' role was used for are checked
    let verdicts = verdicts(&stack);
    // THEN it read the stream (as Lambda's event source mapping does), put the events on the
    // bus, and read the claim for the entry without its subject, each allowed by its role, on
    // the stream and bus the stack named (not on "*")
    for action in [
        "dynamodb:DescribeStream",
        "dynamodb:GetShardIterator",
        "dynamodb:GetRecords",
        "events:PutEvents",
        "dynamodb:GetItem",
    ] {
        let calls = made(&verdicts, "publish-events", action);
        assert!(!calls.is_empty(), "publish-events made no {action}");
        assert!(
            calls.iter().all(|v| v.allowed() && v.call.resource != "*"),
            "{}",
            Refused(calls.iter().map(|v| (*v).clone()).collect())
        );
    }
    stack.stop().await;
}

#[tokio::test]
async fn a_correction_reads_the_tenant_s_record_alone_and_the_earlier_contact_s_e_mail_its_entry() {
    // GIVEN a claim awaiting its customer, whose contact the partner corrects to another address
    let stack = TestStack::start().await;
    let (claim, _) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = claim["claim_id"].as_str().unwrap_or_default();
    let contact = serde_json::json!({ "name": "Marco Bianchi", "email": "marco@contoso.com" });
    let answer = stack.correct_contact(FABRIKAM, id, &contact).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    // AND the earlier contact has been told (notify-partner read the correction's entry)
    let started = std::time::Instant::now();
    while !stack.outbox().await.iter().any(|m| {
        m["to"][0] == "giulia@contoso.com"
            && m["body"]
                .as_str()
                .unwrap_or_default()
                .contains("m***@contoso.com")
    }) {
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let verdicts = verdicts(&stack);
    // THEN manage-claims read Contoso's directory record, allowed by the grant of tenant
    // records alone
    let reads = made(&verdicts, "manage-claims", "dynamodb:GetItem");
    let tenant = format!("TENANT#{CONTOSO}");
    let tenant_reads: Vec<&&Verdict> = reads
        .iter()
        .filter(|v| v.call.leading_key() == Some(tenant.as_str()))
        .collect();
    assert_eq!(tenant_reads.len(), 1, "{reads:?}");
    assert_eq!(
        tenant_reads[0].allowed_by.as_deref(),
        Some("TenantDirectory")
    );
    // AND the same read of a partner's directory record (its webhook endpoints have a
    // partition of their own), of a lock or of a sent message's record, or a write of the
    // tenant's, would be refused
    let roles = Roles::from_template(
        &std::fs::read_to_string(TEMPLATE_PATH).expect("the template"),
        &Deployment::local(stack.settings()),
    )
    .expect("readable roles");
    for key in [
        format!("PARTNER#{FABRIKAM}"),
        format!("LOCK#{CONTOSO}#workload#teams"),
        "MESSAGE#m-1".to_owned(),
    ] {
        let mut other_read = tenant_reads[0].call.clone();
        other_read
            .context
            .insert("dynamodb:LeadingKeys".into(), vec![key.clone()]);
        assert!(!roles.verdict(&other_read).allowed(), "{key}");
    }
    let mut tenant_write = tenant_reads[0].call.clone();
    tenant_write.action = "dynamodb:PutItem".into();
    assert!(!roles.verdict(&tenant_write).allowed());
    // AND notify-partner read the correction's history entry in the claim's partition, allowed
    let entry_reads = made(&verdicts, "notify-partner", "dynamodb:GetItem");
    assert!(
        entry_reads
            .iter()
            .any(|v| v.call.leading_key() == Some(format!("CLAIM#{id}").as_str()))
    );
    assert!(entry_reads.iter().all(|v| v.allowed()));
    stack.stop().await;
}
