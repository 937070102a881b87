//! The ports' contracts (`cpor_domain::contract`) on the DynamoDB store, against the emulator:
//! the same rules the in-memory store's unit tests check.

mod claims;
mod ledger;

use cpor_aws::DynamoStore;
use cpor_local::emulator::Emulator;

/// A DynamoDB store on the service's table, alone on an emulator of its own: no stack runs
/// beside it, so nothing but the contract acts on the table (the stack's stream reader would
/// publish events of every claim the rules make). The emulator stops when dropped.
async fn store_on_emulator(name: &str) -> (DynamoStore, Emulator) {
    let dir = std::env::temp_dir().join("cpor-tests");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let log = dir.join(format!("ports-{name}-{}.log", std::process::id()));
    let table = format!("ports-{name}");
    let (emulator, client) = cpor_tests::table_alone(&table, &log).await;
    (DynamoStore::new(client, table), emulator)
}
