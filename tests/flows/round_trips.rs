//! Round trips: what each operation costs in AWS requests, counted at the SDK's connector, and
//! no table scan anywhere.

use cpor_aws::schema::DUE_SHARDS;
use cpor_tests::round_trips::{calls, count_flow};

const DUE: usize = 3;

#[tokio::test]
async fn each_operation_costs_the_fewest_requests_and_nothing_scans() {
    // GIVEN a local stack whose AWS requests are counted
    // WHEN every function runs once, and a finalization finds three claims due
    let flow = count_flow(DUE).await;
    for op in &flow.operations {
        println!("{:<48} {:?}", op.operation, op.calls);
    }
    // THEN a submission is one reference read, one transaction and one queue message
    assert_eq!(
        flow.of("submit-claim"),
        calls(&[
            ("DynamoDB.BatchGetItem", 1),
            ("DynamoDB.TransactWriteItems", 1),
            ("SQS.SendMessage", 1),
        ])
    );
    // AND a decline is one read and one conditional write
    assert_eq!(
        flow.of("record-opt-out: POST"),
        calls(&[("DynamoDB.GetItem", 1), ("DynamoDB.TransactWriteItems", 1)])
    );
    // AND finalization is one conditional write per due claim, one query per page of each
    // shard of the due index (here every shard fits in one page), and one query of the review
    // index to count the overdue reviews (it stops at the first claim not overdue)
    assert_eq!(flow.finalized, DUE);
    assert_eq!(
        flow.of("finalize-association"),
        calls(&[
            ("DynamoDB.Query", u64::from(DUE_SHARDS) + 1),
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
