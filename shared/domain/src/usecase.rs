//! The service's use cases, one module each, written against the ports.

pub mod documents;
pub mod feedback;
pub mod finalize;
pub mod manage;
pub mod notify;
pub mod opt_out;
pub mod review;
pub mod submit;
pub mod tell_partner;
#[cfg(test)]
mod testing;

/// How often a use case re-reads and retries a change that lost a race before giving up.
pub(crate) const CONFLICT_RETRIES: usize = 5;
