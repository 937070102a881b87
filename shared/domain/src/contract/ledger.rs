//! The ledger of sends.
