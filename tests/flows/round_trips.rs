//! Round trips: what each operation costs in AWS requests, counted at the SDK's connector, and
//! no table scan anywhere.

use cpor_aws::schema::DUE_SHARDS;
use cpor_tests::round_trips::{calls, count_flow, count_review_flow};

const DUE: usize = 3;

/// What each partner request costs first: its partner's share of the API, counted (one
/// conditional write).
const BUDGET: (&str, u64) = ("DynamoDB.UpdateItem", 1);

#[tokio::test]
async fn each_operation_costs_the_fewest_requests_and_nothing_scans() {
    // GIVEN a local stack whose AWS requests are counted
    // WHEN every function runs once, and a finalization finds three claims due
    let flow = count_flow(DUE).await;
    for op in &flow.operations {
        println!("{:<48} {:?}", op.operation, op.calls);
    }
    // THEN a submission is the partner's share counted, one reference read and one
    // transaction (its approval's history entry queues the notification through the outbox:
    // no queue message of its own)
    assert_eq!(
        flow.of("submit-claim"),
        calls(&[
            BUDGET,
            ("DynamoDB.BatchGetItem", 1),
            ("DynamoDB.TransactWriteItems", 1),
        ])
    );
    // AND a decline is one read and one conditional write
    assert_eq!(
        flow.of("record-opt-out: POST"),
        calls(&[("DynamoDB.GetItem", 1), ("DynamoDB.TransactWriteItems", 1)])
    );
    // AND finalization is one conditional write per due claim, one query per page of each
    // shard of the due index (here every shard fits in one page), one query of the review
    // index to count the overdue reviews (it stops at the first claim not overdue), and one
    // query of the subscriptions' ends (none here)
    assert_eq!(flow.finalized, DUE);
    assert_eq!(
        flow.of("finalize-association"),
        calls(&[
            ("DynamoDB.Query", u64::from(DUE_SHARDS) + 2),
            ("DynamoDB.TransactWriteItems", DUE as u64),
        ])
    );
    // AND nothing in the whole flow, set-up included, scans the table
    assert!(
        !flow.total.keys().any(|op| op.ends_with(".Scan")),
        "a Scan was made: {:?}",
        flow.total
    );
}

#[tokio::test]
async fn each_step_of_the_review_costs_the_fewest_requests_and_nothing_scans() {
    // GIVEN a local stack under the manual review policy, whose AWS requests are counted
    // WHEN each review route and partner move runs once, and a nightly run finds three
    // unanswered information requests due
    let flow = count_review_flow(DUE).await;
    for op in &flow.operations {
        println!("{:<56} {:?}", op.operation, op.calls);
    }
    let one_decision = calls(&[("DynamoDB.GetItem", 1), ("DynamoDB.TransactWriteItems", 1)]);
    let one_move = calls(&[
        BUDGET,
        ("DynamoDB.GetItem", 1),
        ("DynamoDB.TransactWriteItems", 1),
    ]);
    // (an approval's notification is queued by its history entry, through the outbox)
    let with_notification = one_decision.clone();
    // THEN a submission waiting for review is the partner's share counted, the reference read
    // and one transaction
    assert_eq!(
        flow.of("submit-claim"),
        calls(&[
            BUDGET,
            ("DynamoDB.BatchGetItem", 1),
            ("DynamoDB.TransactWriteItems", 1)
        ])
    );
    // AND the queue and a claim's page are one query each
    // AND the partner of record at an instant is one query, with fifty periods on the unit
    assert_eq!(
        flow.of("review-claims: GET /v1/review/partner-of-record (50 periods on the unit)"),
        calls(&[("DynamoDB.Query", 1)])
    );
    assert_eq!(
        flow.of("review-claims: GET /v1/review/claims (the queue)"),
        calls(&[("DynamoDB.Query", 1)])
    );
    assert_eq!(
        flow.of("review-claims: GET /v1/review/claims/{id}"),
        calls(&[("DynamoDB.Query", 1)])
    );
    // AND each decision and each move is one read and one transaction, an approval with the
    // notification's message, a refused decision the read alone
    for (operation, expected) in [
        ("review-claims: POST request-information", &one_decision),
        ("review-claims: POST reject (200)", &one_decision),
        ("review-claims: POST approve (200)", &with_notification),
        ("review-claims: POST approve a dispute", &with_notification),
        ("manage-claims: POST respond", &one_move),
        ("manage-claims: POST proof", &one_move),
        ("manage-claims: POST dispute", &one_move),
    ] {
        assert_eq!(&flow.of(operation), expected, "{operation}");
    }
    assert_eq!(
        flow.of("review-claims: POST reject, refused"),
        calls(&[("DynamoDB.GetItem", 1)])
    );
    // AND the nightly run reads the due index (one query per shard), rejects each due
    // request from what the index holds (a transaction each, no read), counts the overdue
    // reviews (one query of the review index) and reads the subscriptions' ends (one query)
    assert_eq!(flow.finalized, DUE);
    assert_eq!(
        flow.of("finalize-association"),
        calls(&[
            ("DynamoDB.Query", u64::from(DUE_SHARDS) + 2),
            ("DynamoDB.TransactWriteItems", DUE as u64),
        ])
    );
    // AND nothing scans the table
    assert!(
        !flow.total.keys().any(|op| op.ends_with(".Scan")),
        "a Scan was made: {:?}",
        flow.total
    );
}

#[tokio::test]
async fn a_document_upload_costs_a_read_and_a_transaction_at_each_end() {
    // GIVEN a local stack whose AWS requests are counted
    // WHEN a document is declared, uploaded, and its arrival processed
    let flow = cpor_tests::round_trips::count_document_flow().await;
    for op in &flow.operations {
        println!("{:<48} {:?}", op.operation, op.calls);
    }
    // THEN the declaration reads the claim's partition (the claim, and its documents: expired
    // ones make room) and writes the document with its count at once
    assert_eq!(
        flow.of("manage-claims: POST /documents"),
        calls(&[
            BUDGET,
            ("DynamoDB.Query", 1),
            ("DynamoDB.TransactWriteItems", 1)
        ])
    );
    // AND the arrival is one query of the claim's partition, the object's size and version
    // and its bytes (for the type and the SHA-256), and one transaction (the claim's entry and
    // the document uploaded)
    assert_eq!(
        flow.of("record-document"),
        calls(&[
            ("DynamoDB.Query", 1),
            ("S3.GetObject", 1),
            ("S3.HeadObject", 1),
            ("DynamoDB.TransactWriteItems", 1),
        ])
    );
}

#[tokio::test]
async fn a_contest_costs_one_more_transaction_and_its_approval_reads_both_claims_and_writes_once() {
    // GIVEN a local stack whose AWS requests are counted, and a unit held by Fabrikam
    // WHEN Northwind contests it and a reviewer approves the contest
    let flow = cpor_tests::round_trips::count_contest_flow().await;
    for op in &flow.operations {
        println!("{:<56} {:?}", op.operation, op.calls);
    }
    // THEN the contest is the reference read, the refused ordinary write, the read of the
    // holder, and its own write (which tells the holder: `contest_received`)
    assert_eq!(
        flow.of("submit-claim: a contest (201 contested)"),
        calls(&[
            BUDGET,
            ("DynamoDB.BatchGetItem", 1),
            ("DynamoDB.GetItem", 1),
            ("DynamoDB.TransactWriteItems", 2),
        ])
    );
    // AND its approval reads the contest and the holder and writes both in one transaction
    // (whose history entry queues the customer's notification)
    assert_eq!(
        flow.of("review-claims: approve a contest (holder superseded)"),
        calls(&[("DynamoDB.GetItem", 2), ("DynamoDB.TransactWriteItems", 1),])
    );
}
