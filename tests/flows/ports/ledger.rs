//! The ledger's contract on the DynamoDB store.
