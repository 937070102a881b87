//! The claims' ports' contract on the DynamoDB store.

use cpor_domain::contract::claims::{check_all, reference_data};

/// The DynamoDB store keeps every rule of the claims' ports: locks, contests, idempotency keys,
/// conditional transitions and their history, arbitrations, the partner's listing, the review
/// queue and the due index.
#[tokio::test]
async fn the_dynamodb_store_keeps_the_claims_ports_rules() {
    let (store, _emulator) = super::store_on_emulator("claims").await;
    store
        .put_reference_data(&reference_data())
        .await
        .expect("the contract's reference data");
    check_all(&store).await;
}
