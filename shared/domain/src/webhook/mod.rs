//! Webhooks: the HTTPS endpoints a partner registers to be told of its own claims' events as
//! they happen, signed as the Standard Webhooks specification says.
//!
//! What a partner registers and how it is checked (`endpoint`, `url`), the signing secrets it
//! is given (`secret`), and which addresses may be reached (`address`).

pub mod address;
pub mod endpoint;
pub mod secret;
pub mod url;
