//! The ports' contracts: the rules every implementation of a port keeps, written once and run
//! against both implementations: the in-memory store ([`crate::memory`], in this crate's unit
//! tests) and the DynamoDB store (`cpor_aws::DynamoStore`, in the flows against the emulator).
//! The fakes the use cases' tests run on cannot drift from the real rules without a test saying
//! which rule.
//!
//! Each module holds one port's (or one group of ports') rules: one `async fn` a rule, named
//! after it, which panics with the rule it found broken, and a `check_all` that runs every rule
//! of the module on a store given to it. Each rule works on claims and ids of its own, so the
//! rules can share one table with anything else.

// The contracts are tests: the house rules bind the service's code (Cargo.toml), not them.
#![allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines)]

pub mod claims;
pub mod ledger;
