//! Webhooks: the HTTPS endpoints a partner registers to be told of its own claims' events as
//! they happen, signed as the Standard Webhooks specification says.
//!
//! What a partner registers and how it is checked (`endpoint`, `url`), the signing secrets it
//! is given (`secret`), which addresses may be reached (`address`), and the rules of delivering
//! (`signature`, `schedule`, `delivery`, `notice`: how a delivery is signed, when a failed one
//! is tried again, what an attempt comes to, what the partner is told when one is disabled).

pub mod address;
pub mod delivery;
pub mod endpoint;
pub mod notice;
pub mod schedule;
pub mod secret;
pub mod signature;
pub mod url;
