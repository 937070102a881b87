//! The CPOR business: who may claim what, the claim lifecycle, the opt-out window, the signed
//! opt-out token, and the ports the service needs from the outside world.
//!
//! Nothing here knows about AWS, HTTP or Lambda: the function crates translate events into calls
//! of the use cases in [`usecase`], and the adapters crate implements the traits of [`ports`].

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

pub mod batch;
pub mod calendar;
pub mod caller;
pub mod catalogue;
pub mod claim;
pub mod clock;
pub mod command;
pub mod contact;
#[cfg(any(test, feature = "memory"))]
pub mod contract;
pub mod document;
pub mod domain_name;
pub mod email;
pub mod events;
pub mod export;
pub mod idempotency;
pub mod ids;
pub mod language;
pub mod listing;
#[cfg(any(test, feature = "memory"))]
pub mod memory;
pub mod messages;
pub mod partner_email;
pub mod ports;
pub mod proof;
pub mod reference;
pub mod retry;
pub mod review;
pub mod rotation;
pub mod submission;
pub mod time;
pub mod token;
pub mod usecase;
pub mod validation;
pub mod webhook;
pub mod zone;

pub use calendar::{BusinessCalendar, OptOutWindow};
pub use caller::{Caller, Role};
pub use catalogue::{Program, Workload};
pub use claim::{
    Actor, Claim, ClaimState, ClaimStatus, HistoryEntry, HistoryEvent, ReviewerId, Transition,
};
pub use clock::Clock;
pub use ids::{ClaimId, PartnerId, SubscriptionId, TenantId};
pub use language::Language;
pub use review::ReviewPolicy;
pub use token::OptOutKeyring;
pub use validation::{FieldError, ValidationErrors};
