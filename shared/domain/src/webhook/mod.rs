//! Partners' webhooks: the endpoints a partner registers to receive its own claims' events,
//! and the rules of delivering to them (which addresses may be reached, how a delivery is
//! signed, when a failed one is tried again).

pub mod address;
pub mod delivery;
pub mod schedule;
pub mod signature;
