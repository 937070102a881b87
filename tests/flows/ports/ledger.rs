//! The ledger of sends' contract on the DynamoDB store.

use cpor_domain::contract::ledger::check_all;

/// The DynamoDB store keeps every rule of the ledger of sends that the in-memory store keeps:
/// one lease at a time, expired leases held, releases, holds and refusals by the owner only,
/// sends recorded with their message ids, retries of a hold counted, a record per message.
#[tokio::test]
async fn the_dynamodb_store_keeps_the_ledger_of_sends_rules() {
    let (store, _emulator) = super::store_on_emulator("ledger").await;
    check_all(&store).await;
}
