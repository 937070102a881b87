//! Exports: a partner's claims and the vendor's payout ledger as files, made by run-export in
//! the background, downloaded through their links and parsed back.

use chrono::{DateTime, Utc};
use cpor_aws::dynamo::ledger_export::{Period, period_item};
use cpor_aws::schema::QueueDefinition;
use cpor_domain::ClaimId;
use cpor_http::resource::CLAIM_EXPORT_COLUMNS;
use cpor_local::faults::{Fault, FaultPlan};
use cpor_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// `POST path` with `body`, as the bearer of `token`.
async fn ask(stack: &TestStack, token: &str, path: &str, body: &Value) -> Answer {
    stack
        .send(Method::POST, path, Some(token), Some(body), &[])
        .await
}

/// The export at `path` once it is no longer running (or fails the test after 60 s).
async fn ended(stack: &TestStack, token: &str, path: &str) -> Value {
    let started = Instant::now();
    loop {
        let answer = stack.send(Method::GET, path, Some(token), None, &[]).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let export = answer.json();
        if export["status"] != "running" {
            return export;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the export never ended"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Asks for an export at `path` (`POST`), and returns it once ready, and its file's text.
async fn exported(stack: &TestStack, token: &str, path: &str, body: &Value) -> (Value, String) {
    let asked = ask(stack, token, path, body).await;
    assert_eq!(asked.status, 202, "{}", asked.text);
    let export = asked.json();
    assert_eq!(export["status"], "running", "{export}");
    assert!(export.get("download_url").is_none(), "{export}");
    let id = export["export_id"].as_str().unwrap();
    let export = ended(stack, token, &format!("{path}/{id}")).await;
    assert_eq!(export["status"], "ready", "{export}");
    let url = export["download_url"]
        .as_str()
        .expect("a ready export's link");
    let file = stack.http.get(url).send().await.unwrap();
    assert!(file.status().is_success(), "{}", file.status());
    let text = String::from_utf8(file.bytes().await.unwrap().to_vec()).expect("UTF-8");
    (export, text)
}

/// RFC 4180 records: fields split on commas, quoted fields with doubled quotes, CRLF between
/// records.
fn csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && record.is_empty(),
        "the file ends a record"
    );
    records
}

/// The CSV file's rows as maps of its header's columns.
fn csv_rows(text: &str) -> (Vec<String>, Vec<std::collections::HashMap<String, String>>) {
    let mut records = csv(text);
    let header = records.remove(0);
    let rows = records
        .into_iter()
        .map(|r| {
            assert_eq!(r.len(), header.len(), "{r:?}");
            header.iter().cloned().zip(r).collect()
        })
        .collect();
    (header, rows)
}

fn jsonl(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).expect("a JSON object a line"))
        .collect()
}

async fn submitted(stack: &TestStack, partner: &str, body: &Value) -> String {
    let answer = stack.submit(partner, body).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.json()["claim_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_partner_exports_its_own_claims_filtered_as_csv_and_json_lines() {
    // GIVEN Fabrikam's claims in two programs, one withdrawn, and Northwind's claim of the
    // same workload
    let stack = TestStack::start().await;
    let teams = submitted(&stack, FABRIKAM, &claim_body("teams")).await;
    let exchange = submitted(&stack, FABRIKAM, &claim_body("exchange")).await;
    let mut osa = claim_body("sharepoint");
    osa["program"] = json!("osa-sell");
    let sharepoint = submitted(&stack, FABRIKAM, &osa).await;
    let theirs = submitted(
        &stack,
        NORTHWIND,
        &seeded_tenant_claim_body(LITWARE, "teams"),
    )
    .await;
    assert_eq!(
        stack
            .withdraw(FABRIKAM, &exchange, "duplicate")
            .await
            .status,
        200
    );
    // (a read-only user may export)
    let reader = stack.token(FABRIKAM, "incentives_user");

    // WHEN it exports every claim of its own as CSV
    let body = json!({ "kind": "claims", "format": "csv" });
    let (export, text) = exported(&stack, &reader, "/v1/exports", &body).await;
    // THEN the file has the documented columns and exactly Fabrikam's three claims
    let (header, rows) = csv_rows(&text);
    assert_eq!(header, CLAIM_EXPORT_COLUMNS);
    assert_eq!(export["rows"], 3);
    assert_eq!(export["kind"], "claims");
    let ids: BTreeSet<&str> = rows.iter().map(|r| r["claim_id"].as_str()).collect();
    let expected: BTreeSet<&str> = [&teams, &exchange, &sharepoint].map(String::as_str).into();
    assert_eq!(ids, expected);
    assert!(!text.contains(&theirs), "another partner's claim exported");
    assert!(rows.iter().all(|r| r["partner_id"] == FABRIKAM));
    assert!(
        rows.iter()
            .all(|r| r["partner_name"] == "Fabrikam Consulting")
    );
    let row = rows.iter().find(|r| r["claim_id"] == exchange).unwrap();
    assert_eq!(row["status"], "withdrawn");
    assert_eq!(row["customer_contact.email"], "giulia@contoso.com");
    assert_eq!(row["subscription_id"], "");
    // AND the file expires 7 days after it was asked for
    let expires = instant(&export["expires_at"]) - instant(&export["created_at"]);
    assert_eq!(expires, chrono::TimeDelta::days(7));

    // WHEN it exports by status, program and workload, in JSON Lines
    for (filter, expected) in [
        (json!({ "status": "withdrawn" }), vec![exchange.clone()]),
        (json!({ "program": "osa-sell" }), vec![sharepoint.clone()]),
        (json!({ "workload": "teams" }), vec![teams.clone()]),
        (
            json!({ "workload": "teams", "status": "withdrawn" }),
            Vec::new(),
        ),
    ] {
        let mut body = json!({ "kind": "claims", "format": "jsonl" });
        body.as_object_mut()
            .unwrap()
            .extend(filter.as_object().unwrap().clone());
        let (export, text) = exported(&stack, &stack.admin(FABRIKAM), "/v1/exports", &body).await;
        // THEN each line is a claim passing the filter, keyed by the columns
        let lines = jsonl(&text);
        let ids: Vec<&str> = lines
            .iter()
            .map(|l| l["claim_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, expected, "{filter}");
        assert_eq!(export["rows"], expected.len(), "{filter}");
        for line in &lines {
            let keys: Vec<&str> = line
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let mut columns = CLAIM_EXPORT_COLUMNS.to_vec();
            columns.sort_unstable();
            let mut keys = keys;
            keys.sort_unstable();
            assert_eq!(keys, columns);
        }
    }

    // AND the files under exports/ were never taken for documents: nothing reached the
    // documents queue, and record-document read nothing
    let documents = QueueDefinition::documents(&stack.settings().queue_prefix);
    assert_eq!(stack.queue_depth(&documents.name).await, (0, 0));
    let calls = stack.settings().aws_calls.as_ref().unwrap().snapshot();
    assert!(
        !calls
            .iter()
            .any(|c| c.function == "record-document" && c.operation.starts_with("S3.")),
        "record-document read an export's file"
    );
    stack.stop().await;
}

#[tokio::test]
async fn another_partner_s_export_is_not_found_and_holds_none_of_its_claims() {
    // GIVEN an export of Fabrikam's, and a claim of each partner
    let stack = TestStack::start().await;
    let ours = submitted(&stack, FABRIKAM, &claim_body("teams")).await;
    let theirs = submitted(
        &stack,
        NORTHWIND,
        &seeded_tenant_claim_body(LITWARE, "teams"),
    )
    .await;
    let body = json!({ "kind": "claims", "format": "csv" });
    let (export, text) = exported(&stack, &stack.admin(FABRIKAM), "/v1/exports", &body).await;
    assert!(text.contains(&ours) && !text.contains(&theirs));
    let path = format!("/v1/exports/{}", export["export_id"].as_str().unwrap());

    // WHEN Northwind (admin or reader) asks for it, or a reviewer does on the review route
    for token in [
        stack.admin(NORTHWIND),
        stack.token(NORTHWIND, "incentives_user"),
    ] {
        let answer = stack
            .send(Method::GET, &path, Some(&token), None, &[])
            .await;
        // THEN it is not found, as an unknown id is
        assert_eq!(
            (answer.status.as_u16(), answer.code().as_str()),
            (404, "export_not_found")
        );
        assert!(!answer.text.contains("download_url"));
    }
    let review_path = path.replace("/v1/", "/v1/review/");
    let answer = stack.review_get("reviewer-1", &review_path).await;
    assert_eq!(
        (answer.status.as_u16(), answer.code().as_str()),
        (404, "export_not_found")
    );
    for unknown in [ClaimId::new_at(Utc::now()).to_string(), "nope".to_owned()] {
        let answer = stack.get(FABRIKAM, &format!("/v1/exports/{unknown}")).await;
        assert_eq!(
            (answer.status.as_u16(), answer.code().as_str()),
            (404, "export_not_found")
        );
    }
    // AND Northwind's own export holds its claim alone
    let (_, text) = exported(&stack, &stack.admin(NORTHWIND), "/v1/exports", &body).await;
    let (_, rows) = csv_rows(&text);
    let ids: Vec<&str> = rows.iter().map(|r| r["claim_id"].as_str()).collect();
    assert_eq!(ids, [theirs.as_str()]);
    // AND Fabrikam still reads its own
    assert_eq!(stack.get(FABRIKAM, &path).await.status, 200);
    stack.stop().await;
}

fn at(text: &str) -> DateTime<Utc> {
    cpor_domain::time::parse_instant(text).unwrap()
}

/// A period of a claim of `partner`'s for Contoso's `workload` in `program`.
fn period(partner: &str, program: &str, workload: &str, from: &str, until: Option<&str>) -> Period {
    Period {
        claim_id: ClaimId::new_at(at(from)).to_string(),
        partner_id: partner.to_owned(),
        program: program.to_owned(),
        tenant_id: CONTOSO.to_owned(),
        workload: workload.to_owned(),
        subscription_id: None,
        effective_from: at(from),
        effective_until: until.map(at),
    }
}

#[tokio::test]
async fn a_reviewer_s_ledger_of_a_month_holds_exactly_the_associations_effective_in_it() {
    // GIVEN periods of associations around March 2026 (UTC), written as finalization writes
    // them: inside it, straddling its start, straddling its end, spanning it, ended exactly
    // at its start, started exactly at April's start, open since January, ended in February,
    // one of another program and one of a subscription of another partner
    let stack = TestStack::start().await;
    let m365 = "osu-m365";
    let inside = period(
        FABRIKAM,
        m365,
        "teams",
        "2026-03-05T10:00:00Z",
        Some("2026-03-20T00:00:00Z"),
    );
    let straddles_start = period(
        FABRIKAM,
        m365,
        "exchange",
        "2026-02-10T00:00:00Z",
        Some("2026-03-10T00:00:00Z"),
    );
    let straddles_end = period(
        NORTHWIND,
        m365,
        "sharepoint",
        "2026-03-25T00:00:00Z",
        Some("2026-04-15T00:00:00Z"),
    );
    let spans = period(
        FABRIKAM,
        m365,
        "onedrive",
        "2026-01-15T00:00:00Z",
        Some("2026-05-01T00:00:00Z"),
    );
    let ended_at_start = period(
        FABRIKAM,
        m365,
        "intune",
        "2026-02-01T00:00:00Z",
        Some("2026-03-01T00:00:00Z"),
    );
    let starts_next_month = period(NORTHWIND, m365, "intune", "2026-04-01T00:00:00Z", None);
    let open = period(NORTHWIND, m365, "teams", "2026-01-20T00:00:00Z", None);
    let ended_before = period(
        FABRIKAM,
        m365,
        "exchange",
        "2026-01-02T00:00:00Z",
        Some("2026-02-02T00:00:00Z"),
    );
    let other_program = period(FABRIKAM, "osa-sell", "teams", "2026-03-02T00:00:00Z", None);
    let mut subscription = period(
        NORTHWIND,
        "osu-bizapps",
        "dynamics-sales",
        "2026-03-03T00:00:00Z",
        None,
    );
    subscription.subscription_id = Some(CONTOSO_SALES_SUBSCRIPTION.to_owned());
    let all = [
        &inside,
        &straddles_start,
        &straddles_end,
        &spans,
        &ended_at_start,
        &starts_next_month,
        &open,
        &ended_before,
        &other_program,
        &subscription,
    ];
    let dynamodb = aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await);
    for p in all {
        let unit = match &p.subscription_id {
            Some(s) => format!("{}#subscription#{s}", p.tenant_id),
            None => format!("{}#workload#{}", p.tenant_id, p.workload),
        };
        dynamodb
            .put_item()
            .table_name(&stack.settings().table)
            .set_item(Some(period_item(&unit, p).unwrap()))
            .send()
            .await
            .expect("a period written");
    }
    let reviewer = stack.reviewer_token("reviewer-1");

    // WHEN a reviewer exports March's ledger of every program, as CSV
    let body = json!({ "kind": "associations", "month": "2026-03", "format": "csv" });
    let (export, text) = exported(&stack, &reviewer, "/v1/review/exports", &body).await;
    // THEN it holds the associations effective at any time in March, by program, start, claim
    let (header, rows) = csv_rows(&text);
    assert_eq!(
        header,
        cpor_domain::export::LEDGER_COLUMNS.map(str::to_owned)
    );
    let mut expected = [
        &other_program,
        &spans,
        &open,
        &straddles_start,
        &inside,
        &straddles_end,
        &subscription,
    ];
    expected.sort_by_key(|p| (p.program.clone(), p.effective_from, p.claim_id.clone()));
    let ids: Vec<&str> = rows.iter().map(|r| r["claim_id"].as_str()).collect();
    let expected_ids: Vec<&str> = expected.iter().map(|p| p.claim_id.as_str()).collect();
    assert_eq!(ids, expected_ids);
    assert_eq!(export["rows"], 7);
    assert_eq!(export["kind"], "associations");
    // AND each row says the unit, the partner by id and name, and the period
    let row = |p: &Period| rows.iter().find(|r| r["claim_id"] == p.claim_id).unwrap();
    assert_eq!(row(&open)["partner_name"], "Northwind Traders");
    assert_eq!(row(&open)["effective_until"], "");
    assert_eq!(row(&open)["effective_from"], "2026-01-20T00:00:00.000Z");
    assert_eq!(row(&inside)["partner_name"], "Fabrikam Consulting");
    assert_eq!(row(&inside)["effective_until"], "2026-03-20T00:00:00.000Z");
    assert_eq!(row(&inside)["tenant_id"], CONTOSO);
    assert_eq!(
        row(&subscription)["subscription_id"],
        CONTOSO_SALES_SUBSCRIPTION
    );
    assert_eq!(row(&subscription)["workload"], "dynamics-sales");

    // WHEN it exports one program's ledger as JSON Lines
    let body = json!({ "kind": "associations", "month": "2026-03", "program": m365,
                       "format": "jsonl" });
    let (_, text) = exported(&stack, &reviewer, "/v1/review/exports", &body).await;
    // THEN it is that program's rows alone, in the same order
    let lines = jsonl(&text);
    let ids: Vec<&str> = lines
        .iter()
        .map(|l| l["claim_id"].as_str().unwrap())
        .collect();
    let m365_ids: Vec<&str> = expected
        .iter()
        .filter(|p| p.program == m365)
        .map(|p| p.claim_id.as_str())
        .collect();
    assert_eq!(ids, m365_ids);
    let line = lines
        .iter()
        .find(|l| l["claim_id"] == open.claim_id)
        .unwrap();
    assert_eq!(line["effective_until"], Value::Null);
    assert_eq!(line["subscription_id"], Value::Null);
    // AND a partner cannot read the vendor's export on its own route
    let path = format!("/v1/exports/{}", export["export_id"].as_str().unwrap());
    let answer = stack.get(FABRIKAM, &path).await;
    assert_eq!(
        (answer.status.as_u16(), answer.code().as_str()),
        (404, "export_not_found")
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_bad_export_body_is_refused_naming_every_field() {
    // GIVEN a stack
    let stack = TestStack::start().await;
    let admin = stack.admin(FABRIKAM);
    let reviewer = stack.reviewer_token("reviewer-1");
    // WHEN partners and reviewers ask with bad bodies
    for (token, path, body, fields) in [
        (
            &admin,
            "/v1/exports",
            json!({ "kind": "claims" }),
            vec!["format"],
        ),
        (
            &admin,
            "/v1/exports",
            json!({ "kind": "associations", "format": "xlsx", "status": "gone",
                    "workload": "fax", "program": "x", "tenant_id": CONTOSO }),
            vec![
                "format",
                "kind",
                "program",
                "status",
                "tenant_id",
                "workload",
            ],
        ),
        (&admin, "/v1/exports", json!({}), vec!["format", "kind"]),
        (
            &reviewer,
            "/v1/review/exports",
            json!({ "kind": "associations", "format": "csv" }),
            vec!["month"],
        ),
        (
            &reviewer,
            "/v1/review/exports",
            json!({ "kind": "claims", "month": "2025-12", "format": "csv" }),
            vec!["kind", "month"],
        ),
        (
            &reviewer,
            "/v1/review/exports",
            json!({ "kind": "associations", "month": "2026-13", "format": "csv",
                    "program": "nope" }),
            vec!["month", "program"],
        ),
        (
            &reviewer,
            "/v1/review/exports",
            json!({ "kind": "associations", "month": "2999-01", "format": "csv" }),
            vec!["month"],
        ),
    ] {
        let answer = ask(&stack, token, path, &body).await;
        // THEN each is 400 validation_failed, naming every refused field
        assert_eq!(
            (answer.status.as_u16(), answer.code().as_str()),
            (400, "validation_failed"),
            "{body}"
        );
        let mut refused = answer.refused_fields();
        refused.sort_unstable();
        assert_eq!(refused, fields, "{body}");
    }
    // AND a body that is not an object is malformed
    let answer = ask(&stack, &admin, "/v1/exports", &json!(["claims"])).await;
    assert_eq!(
        (answer.status.as_u16(), answer.code().as_str()),
        (400, "malformed_json")
    );
    // AND a partner user of no known role may not export
    let nobody = stack.token(FABRIKAM, "auditor");
    let answer = ask(
        &stack,
        &nobody,
        "/v1/exports",
        &json!({ "kind": "claims", "format": "csv" }),
    )
    .await;
    assert_eq!(
        (answer.status.as_u16(), answer.code().as_str()),
        (403, "forbidden")
    );
    stack.stop().await;
}

#[tokio::test]
async fn an_export_whose_file_cannot_be_written_ends_failed_and_its_message_dead_lettered() {
    // GIVEN a stack whose every S3 PutObject fails (the service answers 500, every attempt)
    let plan = FaultPlan::new(0.0, 20261207);
    let shared = plan.clone();
    let stack = TestStack::start_with(move |s| s.faults = Some(shared)).await;
    submitted(&stack, FABRIKAM, &claim_body("teams")).await;
    plan.set_targets(Some(&["S3.PutObject"]));
    plan.set_kinds(Some(&[Fault::ServerError]));
    plan.set_rate(1.0);
    // WHEN the partner asks for an export
    let admin = stack.admin(FABRIKAM);
    let asked = ask(
        &stack,
        &admin,
        "/v1/exports",
        &json!({ "kind": "claims", "format": "csv" }),
    )
    .await;
    assert_eq!(asked.status, 202, "{}", asked.text);
    let path = format!(
        "/v1/exports/{}",
        asked.json()["export_id"].as_str().unwrap()
    );
    // THEN after the queue's receives it is failed, with no file
    let export = ended(&stack, &admin, &path).await;
    assert_eq!(export["status"], "failed", "{export}");
    assert!(export.get("download_url").is_none());
    assert_eq!(export["rows"], Value::Null);
    // AND its message waits in the exports' dead-letter queue, for the alarm
    let queue = QueueDefinition::exports(&stack.settings().queue_prefix);
    let started = Instant::now();
    while stack.queue_depth(&queue.dead_letter_name).await.0 != 1 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the message never reached the dead-letter queue"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // AND run-export tried it as many times as the queue delivers a message
    let tries = plan
        .calls()
        .get("S3.PutObject")
        .copied()
        .unwrap_or_default();
    assert!(
        tries >= u64::from(queue.max_receive_count),
        "{tries} PutObject calls"
    );
    plan.set_rate(0.0);
    stack.stop().await;
}

#[tokio::test]
async fn the_payout_ledger_holds_the_periods_the_service_wrote_with_its_associations() {
    let stack = TestStack::start().await;
    let reviewer = stack.reviewer_token("reviewer-1");
    // GIVEN Fabrikam's association with Contoso's Teams, made official and then withdrawn
    let (notified, _) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    let id = notified["claim_id"].as_str().unwrap().to_owned();
    let deadline = cpor_tests::instant(&notified["opt_out_deadline"]);
    let run = stack
        .finalize(deadline + chrono::TimeDelta::milliseconds(1))
        .await;
    assert_eq!(run.json()["finalized"], 1, "{}", run.text);
    assert_eq!(
        stack
            .withdraw(FABRIKAM, &id, "engagement ended")
            .await
            .status,
        200
    );
    let claim = stack.claim(FABRIKAM, &id).await;
    let association = claim["association"].clone();
    // WHEN a reviewer exports the payout ledger of the month it began in
    let month = &association["effective_from"].as_str().unwrap()[..7];
    let (_, text) = exported(
        &stack,
        &reviewer,
        "/v1/review/exports",
        &json!({ "kind": "associations", "month": month, "format": "jsonl" }),
    )
    .await;
    // THEN it holds the association with the period the service recorded with its changes
    let rows = jsonl(&text);
    let row = rows
        .iter()
        .find(|r| r["claim_id"] == id.as_str())
        .unwrap_or_else(|| panic!("the association is in the ledger: {text}"));
    assert_eq!(row["partner_id"], FABRIKAM);
    assert_eq!(row["effective_from"], association["effective_from"]);
    assert_eq!(row["effective_until"], association["effective_until"]);
    stack.stop().await;
}
