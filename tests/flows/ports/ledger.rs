//! The ledger of sends' contract on the DynamoDB store.

use cpor_aws::DynamoStore;
use cpor_tests::*;

/// The DynamoDB store keeps every rule of the ledger of sends that the in-memory store keeps
/// (`cpor_domain::contract::ledger`).
#[tokio::test]
async fn the_dynamodb_store_keeps_the_ledger_of_sends_rules() {
    let stack = TestStack::start().await;
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await),
        stack.settings().table.clone(),
    );
    cpor_domain::contract::ledger::check_all(&store).await;
    stack.stop().await;
}
