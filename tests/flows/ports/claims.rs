//! The claims' ports' contract on the DynamoDB store.
