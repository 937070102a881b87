//! The integration tests: one binary, a module per capability, each test on an emulator and a
//! local stack of its own (`cpor_tests::TestStack`). One binary links the AWS SDK and the local
//! stack once for every flow, where a binary per file linked them once each.
//!
//! One capability: `cargo test -p cpor-tests --test flows opt_out::`. The tests of all modules run
//! side by side in this one process, as many at once as the machine has cores (libtest's
//! `--test-threads`), each with its own emulator process; so what a test reads must be its own:
//! its stack's data, and for the log lines, `cpor_tests::LogCapture` (the test's own thread only).

// The partner's and the customer's flows, one door each.
mod batches;
mod contact;
mod contest;
mod documents;
mod events;
mod exports;
mod feedback;
mod finalize;
mod manage;
mod notify;
mod opt_out;
mod partner_emails;
mod periods;
mod review;
mod submit;
mod subscriptions;
mod webhooks_delivery;
mod webhooks_registry;

// What the customer reads, and what a claim keeps.
mod browser;
mod chromium;
mod history;
mod languages;

// The opt-out links' secret: read from Secrets Manager, and rotated.
mod rotation;
mod secret;

// Proof under races, faults and hostile input.
mod attack;
mod faults;
mod races;

// What operators see and pay: log lines, metrics, AWS requests.
mod logs;
mod metrics;
mod round_trips;

// What AWS would allow: each function's recorded calls against its role in the template.
mod iam;

// What the console needs: the catalogue, the local sign-in, identity providers' tokens.
mod console;
// The console in a browser: partners and reviewers through its screens.
mod console_browser;

// The ports' contracts, on the DynamoDB store: the rules the in-memory store keeps too.
mod ports;

// The emulator's answers, where the project changed moto.
mod emulator;

// The contract: every documented answer against openapi.yaml.
mod openapi;
