//! Partners' webhooks: the endpoints a partner registers to receive its own claims' events,
//! and the rules of delivering to them (which addresses may be reached, how a delivery is
//! signed, when a failed one is tried again, what the partner is told when one is disabled).

pub mod address;
pub mod delivery;
pub mod notice;
pub mod schedule;
pub mod signature;
