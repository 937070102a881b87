//! The ports' contracts (`cpor_domain::contract`) on the DynamoDB store, against the emulator:
//! the same rules the in-memory store's unit tests check.

mod claims;
mod ledger;
