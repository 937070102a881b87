//! What the HTTP doors share: reading API Gateway HTTP API (v2) events, the caller's identity
//! from the JWT authorizer's claims, answers in JSON, HTML or problem+json (RFC 9457), and the
//! table of the HTTP API's routes.

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

pub mod problem;
mod problems;
pub mod request;
pub mod resource;
pub mod response;
pub mod routes;

pub use problem::Problem;
pub use request::{caller, header, json_body, reviewer};
pub use resource::{CatalogueResource, ClaimResource, ClaimWithHistory};
pub use response::{html, json, no_content, redirect};
pub use routes::{Access, Route};
