//! The local stack: what `make run` brings up, and what the integration tests start.
//!
//! It creates the table and queues in the emulator from the same definitions as the SAM
//! template, then serves the partner API and the customer pages on a local gateway that turns
//! HTTP requests into API Gateway events for the functions (called in-process: what runs here
//! is what runs in Lambda, minus the runtime loop), polls the queue for notify-customer, reads
//! the table's stream for publish-events (and keeps what the bus delivers, `GET /_local/events`),
//! and runs finalize-association on a timer and on `POST /_local/finalize`. What the emulator's
//! SES accepted is published as SES's `Send` and `Delivery` events to the feedback topic
//! ([`ses_events`]). It also serves the built console under `/console/` ([`console`]).

pub mod authorizers;
pub mod console;
pub mod emulator;
pub mod events;
pub mod faults;
pub mod feedback;
pub mod gateway;
pub mod iam;
pub mod jwt;
pub mod outbox;
pub mod poller;
pub mod ses_events;
pub mod settings;
pub mod stack;
pub mod webhooks;

pub use emulator::Emulator;
pub use settings::LocalSettings;
pub use stack::{LocalStack, StackError};
