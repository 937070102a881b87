//! Claim batches: `POST /v1/claim-batches` and `GET /v1/claim-batches/{batch_id}`. Each row is
//! decided as `POST /v1/claims` decides the same body, which the tests check against real single
//! submissions.

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use cpor_tests::*;
use serde_json::{Value, json};

const JSON: &str = "application/json";
const CSV: &str = "text/csv";

/// The batch a `202` answered, after its answer's own checks.
fn opened(answer: &Answer, rows: usize) -> String {
    assert_eq!(answer.status, 202, "{}", answer.text);
    let batch = answer.json();
    let id = batch["batch_id"].as_str().unwrap().to_owned();
    assert_eq!(batch["rows"], rows);
    assert_eq!(
        answer.header("location"),
        Some(format!("/v1/claim-batches/{id}").as_str())
    );
    id
}

fn claims_body(rows: &[Value]) -> String {
    json!({ "claims": rows }).to_string()
}

/// The result of row `row` in a read batch.
fn result(batch: &Value, row: usize) -> Value {
    batch["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["row"] == row)
        .unwrap_or_else(|| panic!("no result for row {row}: {batch}"))
        .clone()
}

#[tokio::test]
async fn each_row_of_a_json_batch_is_decided_as_its_single_submission_would_be() {
    // GIVEN the manual review policy and a batch of five rows: a valid claim, one with bad
    // fields, another valid claim, a second claim of the first row's unit, and a row that is
    // not an object
    let stack = TestStack::start_manual().await;
    let mut invalid = claim_body("exchange");
    invalid["tenant_id"] = json!("nope");
    invalid["customer_contact"]["email"] = json!("giulia-at-contoso");
    let rows = vec![
        claim_body("teams"),
        invalid.clone(),
        claim_body("sharepoint"),
        claim_body("teams"),
        json!(["not", "a", "claim"]),
    ];
    // WHEN Fabrikam submits it
    let answer = stack
        .submit_batch(FABRIKAM, Some("batch-1"), JSON, claims_body(&rows))
        .await;
    let id = opened(&answer, 5);
    assert_eq!(answer.json()["status"], "running");
    // THEN once done, rows 1 and 3 are claims submitted for review, as two single submissions
    let batch = stack.wait_for_batch(FABRIKAM, &id).await;
    assert_eq!(
        (batch["accepted"].clone(), batch["refused"].clone()),
        (json!(2), json!(3))
    );
    for row in [1, 3] {
        let accepted = result(&batch, row);
        assert_eq!(accepted["status"], "submitted", "{accepted}");
        let claim = stack
            .claim(FABRIKAM, accepted["claim_id"].as_str().unwrap())
            .await;
        assert_eq!(claim["status"], "submitted");
    }
    // AND each refused row's problem is what POST /v1/claims answers for its body now
    for row in [2, 4] {
        let single = stack.submit(FABRIKAM, &rows[row - 1]).await;
        assert!(single.status.is_client_error(), "{}", single.text);
        assert_eq!(result(&batch, row)["problem"], single.json(), "row {row}");
    }
    assert_eq!(
        result(&batch, 4)["problem"]["code"],
        "workload_already_claimed"
    );
    let not_an_object = stack
        .send(
            reqwest::Method::POST,
            "/v1/claims",
            Some(&stack.admin(FABRIKAM)),
            Some(&rows[4]),
            &[],
        )
        .await;
    assert_eq!(result(&batch, 5)["problem"], not_an_object.json());
    // AND the results are in row order, and nothing else was created
    let order: Vec<u64> = batch["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_u64().unwrap())
        .collect();
    assert_eq!(order, vec![1, 2, 3, 4, 5]);
    assert_eq!(stack.all_claims(FABRIKAM).await.len(), 2);
    stack.stop().await;
}

#[tokio::test]
async fn a_csv_batch_reads_dotted_headers_and_a_short_row_is_that_row_s_problem_alone() {
    // GIVEN a CSV with a byte order mark, CRLF line ends, a quoted name holding a comma and a
    // doubled quote, and a second row missing its last cells
    let stack = TestStack::start_manual().await;
    let signed_on = claim_body("teams")["proof_of_execution"]["signed_on"].clone();
    let signed_on = signed_on.as_str().unwrap();
    let header = "tenant_id,customer_domain,program,workload,customer_contact.name,\
                  customer_contact.email,customer_contact.title,customer_contact.locale,\
                  customer_contact.time_zone,partner_contact.name,partner_contact.email,\
                  proof_of_execution.reference,proof_of_execution.signed_on";
    let row = |workload: &str| {
        format!(
            "{CONTOSO},contoso.onmicrosoft.com,osu-m365,{workload},\"Rossi, \"\"Giulia\"\"\",\
             giulia@contoso.com,IT Director,it,Europe/Rome,Sam Lee,sam@fabrikam.com,\
             https://fabrikam.example/sow/4711.pdf,{signed_on}"
        )
    };
    let csv = format!(
        "\u{feff}{header}\r\n{}\r\n{CONTOSO},contoso.onmicrosoft.com,osu-m365\r\n{}\r\n",
        row("teams"),
        row("exchange")
    );
    // WHEN Fabrikam submits it
    let answer = stack.submit_batch(FABRIKAM, Some("csv-1"), CSV, csv).await;
    let id = opened(&answer, 3);
    let batch = stack.wait_for_batch(FABRIKAM, &id).await;
    // THEN rows 1 and 3 are claims, with the quoted name read whole
    assert_eq!(
        (batch["accepted"].clone(), batch["refused"].clone()),
        (json!(2), json!(1))
    );
    let first = stack
        .claim(FABRIKAM, result(&batch, 1)["claim_id"].as_str().unwrap())
        .await;
    assert_eq!(first["customer_contact"]["name"], "Rossi, \"Giulia\"");
    assert_eq!(first["workload"], "teams");
    assert_eq!(result(&batch, 3)["status"], "submitted");
    // AND the short row is refused as a 400 validation_failed naming the row's cells
    let problem = result(&batch, 2)["problem"].clone();
    assert_eq!(problem["status"], 400);
    assert_eq!(problem["code"], "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "row");
    stack.stop().await;
}

#[tokio::test]
async fn the_same_key_and_body_answer_the_same_batch_and_another_body_is_refused() {
    // GIVEN a batch submitted and done
    let stack = TestStack::start_manual().await;
    let body = claims_body(&[claim_body("teams")]);
    let id = opened(
        &stack
            .submit_batch(FABRIKAM, Some("again"), JSON, body.clone())
            .await,
        1,
    );
    stack.wait_for_batch(FABRIKAM, &id).await;
    // WHEN the same key and body come again
    let again = stack
        .submit_batch(FABRIKAM, Some("again"), JSON, body)
        .await;
    // THEN the answer is the same batch, done, and nothing more is created
    assert_eq!(opened(&again, 1), id);
    assert_eq!(again.json()["status"], "done");
    // WHEN the key comes with another body THEN 422 idempotency_key_reused
    let other = stack
        .submit_batch(
            FABRIKAM,
            Some("again"),
            JSON,
            claims_body(&[claim_body("exchange")]),
        )
        .await;
    assert_eq!(other.status, 422, "{}", other.text);
    assert_eq!(other.code(), "idempotency_key_reused");
    assert_eq!(stack.all_claims(FABRIKAM).await.len(), 1);
    stack.stop().await;
}

#[tokio::test]
async fn another_partner_s_batch_is_not_found_and_results_come_in_pages_in_row_order() {
    // GIVEN a batch of thirty rows of Fabrikam's (ten claims and twenty refused rows), in two
    // chunks (rows 1 to 25, 26 to 30) whose results are recorded one item a chunk
    let stack = TestStack::start_manual().await;
    let mut rows: Vec<Value> = M365_WORKLOADS.iter().map(|w| claim_body(w)).collect();
    rows.resize(30, json!({}));
    let id = opened(
        &stack
            .submit_batch(FABRIKAM, Some("pages"), JSON, claims_body(&rows))
            .await,
        30,
    );
    stack.wait_for_batch(FABRIKAM, &id).await;
    // WHEN Northwind reads it THEN it does not exist for Northwind
    let theirs = stack
        .get(NORTHWIND, &format!("/v1/claim-batches/{id}"))
        .await;
    assert_eq!(theirs.status, 404);
    assert_eq!(theirs.code(), "batch_not_found");
    // WHEN Fabrikam reads it seven results at a time (a page across the chunks' seam)
    let mut rows_read = Vec::new();
    let mut path = format!("/v1/claim-batches/{id}?limit=7");
    let mut pages = 0;
    loop {
        let page = stack.get(FABRIKAM, &path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let page = page.json();
        pages += 1;
        assert!(pages <= 5, "a sixth page: {page}");
        rows_read.extend(
            page["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["row"].as_u64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/claim-batches/{id}?limit=7&cursor={cursor}"),
            None => break,
        }
    }
    // THEN five pages hold every row once, in order
    assert_eq!(pages, 5);
    assert_eq!(rows_read, (1..=30).collect::<Vec<u64>>());
    // AND a bad cursor or limit is refused
    let bad = stack
        .get(
            FABRIKAM,
            &format!("/v1/claim-batches/{id}?limit=501&cursor=x"),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.refused_fields(), vec!["cursor", "limit"]);
    stack.stop().await;
}

#[tokio::test]
async fn a_row_contesting_a_held_unit_files_a_contest_as_a_single_submission_does() {
    // GIVEN Northwind holds Contoso's Teams
    let stack = TestStack::start_manual().await;
    assert_eq!(
        stack.submit(NORTHWIND, &claim_body("teams")).await.status,
        201
    );
    // WHEN Fabrikam's batch claims it with a justification, and claims it without one
    let mut contest = claim_body("teams");
    contest["contest"] = json!({ "justification": "we did the work; see the signed SOW" });
    let id = opened(
        &stack
            .submit_batch(
                FABRIKAM,
                Some("contest"),
                JSON,
                claims_body(&[contest, claim_body("teams")]),
            )
            .await,
        2,
    );
    let batch = stack.wait_for_batch(FABRIKAM, &id).await;
    // THEN the first row is a contest; the second is refused as already claimed by its partner
    assert_eq!(result(&batch, 1)["status"], "contested");
    assert_eq!(
        result(&batch, 2)["problem"]["code"],
        "workload_already_claimed"
    );
    stack.stop().await;
}

/// The chunks waiting in the batches' queue, received (and left invisible for a while).
async fn receive_chunks(stack: &TestStack) -> Vec<SqsMessage> {
    let sqs = stack.sqs().await;
    let received = sqs
        .receive_message()
        .queue_url(stack.batch_queue_url())
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .expect("the batches' queue answers");
    received
        .messages()
        .iter()
        .map(|m| {
            let mut message = SqsMessage::default();
            message.message_id = m.message_id.clone();
            message.body = m.body.clone();
            message
        })
        .collect()
}

#[tokio::test]
async fn a_chunk_delivered_twice_creates_and_counts_nothing_the_second_time() {
    // GIVEN a stack whose queues are not polled, and a batch of two claims and a refused row
    let stack = TestStack::start_with(|s| s.poll_notifications = false).await;
    let rows = [claim_body("teams"), json!({}), claim_body("exchange")];
    let id = opened(
        &stack
            .submit_batch(FABRIKAM, Some("twice"), JSON, claims_body(&rows))
            .await,
        3,
    );
    let chunks = receive_chunks(&stack).await;
    assert_eq!(chunks.len(), 1, "three rows are one chunk");
    let mut event = SqsEvent::default();
    event.records = chunks;
    // WHEN process-claim-batch is handed the chunk, and then the same chunk again
    let first = stack.functions().process_batch.handle(event.clone()).await;
    let batch_once = stack.wait_for_batch(FABRIKAM, &id).await;
    let second = stack.functions().process_batch.handle(event).await;
    // THEN both deliveries succeed, the second changes no result and no count, and two claims
    // exist
    assert!(first.batch_item_failures.is_empty());
    assert!(second.batch_item_failures.is_empty());
    let batch_twice = stack.wait_for_batch(FABRIKAM, &id).await;
    assert_eq!(batch_twice, batch_once);
    assert_eq!(
        (
            batch_twice["accepted"].clone(),
            batch_twice["refused"].clone()
        ),
        (json!(2), json!(1))
    );
    assert_eq!(stack.all_claims(FABRIKAM).await.len(), 2);
    stack.stop().await;
}

#[tokio::test]
async fn a_bad_batch_is_refused_whole_with_a_clear_code_and_creates_nothing() {
    // GIVEN a stack whose queues are not polled (so a queued chunk would stay to be seen)
    let stack = TestStack::start_with(|s| s.poll_notifications = false).await;
    let one = claims_body(&[claim_body("teams")]);
    let too_many = claims_body(&vec![claim_body("teams"); 501]);
    let huge = json!({ "claims": [{ "filler": "x".repeat(5 * 1024 * 1024) }] }).to_string();
    for (what, key, content_type, body, status, code) in [
        (
            "over 5 MiB",
            Some("k1"),
            JSON,
            huge,
            413,
            "payload_too_large",
        ),
        (
            "501 rows",
            Some("k2"),
            JSON,
            too_many,
            400,
            "validation_failed",
        ),
        (
            "no rows",
            Some("k3"),
            JSON,
            claims_body(&[]),
            400,
            "validation_failed",
        ),
        (
            "no key",
            None,
            JSON,
            one.clone(),
            400,
            "idempotency_key_required",
        ),
        (
            "not JSON",
            Some("k4"),
            JSON,
            "{".to_owned(),
            400,
            "malformed_json",
        ),
        (
            "neither JSON nor CSV",
            Some("k5"),
            "text/plain",
            one,
            415,
            "unsupported_media_type",
        ),
        (
            "an unclosed quote",
            Some("k6"),
            CSV,
            "a,b\n\"x,y\n".to_owned(),
            400,
            "malformed_csv",
        ),
        (
            "a CSV header alone",
            Some("k7"),
            CSV,
            "tenant_id\r\n".to_owned(),
            400,
            "validation_failed",
        ),
    ] {
        // WHEN it is submitted
        let answer = stack.submit_batch(FABRIKAM, key, content_type, body).await;
        // THEN it is refused whole with its code
        assert_eq!(answer.status, status, "{what}: {}", answer.text);
        assert_eq!(answer.code(), code, "{what}");
    }
    let rows = stack
        .submit_batch(FABRIKAM, Some("k8"), JSON, claims_body(&[]))
        .await;
    assert_eq!(rows.refused_fields(), vec!["claims"]);
    // AND nothing was created or queued
    let queue = stack.batch_queue_url();
    let name = queue.rsplit('/').next().unwrap();
    assert_eq!(stack.queue_depth(name).await, (0, 0));
    assert!(stack.all_claims(FABRIKAM).await.is_empty());
    stack.stop().await;
}
