//! The operator commands of cpor, for the people paged when notifications stop or finalization
//! fails. Each command reuses the service's own code: the dead-letter redrive of the adapters
//! crate, the notification message the submit use case queues, finalize-association's run, and
//! the reference data parser of `POST /_local/seed`, the opt-out keyring's own rotation steps.
//!
//! Results are printed to stdout as one JSON object; what a person should read (what was done,
//! what was refused and why) goes to stderr. Exit codes: 0 done, 1 the operation failed or was
//! refused, 2 a usage or configuration error.

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

pub mod cli;
pub mod finalize;
pub mod import;
pub mod keyring;
pub mod redrive;
pub mod resend;
pub mod settings;
pub mod webhooks;

use cpor_aws::Env;
use serde_json::Value;

/// Why a command did not do its work, and so its exit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpsError {
    /// The command line is wrong (exit 2).
    #[error("{0}")]
    Usage(String),
    /// A setting is missing or wrong (exit 2).
    #[error("{0}")]
    Config(String),
    /// The operation failed or was refused (exit 1).
    #[error("{0}")]
    Failed(String),
}

impl OpsError {
    /// The process's exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) | Self::Config(_) => 2,
            Self::Failed(_) => 1,
        }
    }
}

/// What a command did: the JSON result for stdout, and a sentence for a person.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Printed to stdout.
    pub result: Value,
    /// Printed to stderr.
    pub message: String,
}

/// A command that did part of its work and failed: its result is still printed.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialFailure {
    /// Printed to stdout.
    pub result: Value,
    /// Why it failed.
    pub error: OpsError,
}

impl From<OpsError> for PartialFailure {
    fn from(error: OpsError) -> Self {
        Self {
            result: Value::Null,
            error,
        }
    }
}

/// Runs the command line `args` (without the program's name); returns the exit code.
pub async fn run(args: &[String], env: &Env) -> u8 {
    let command = match cli::parse(args) {
        Ok(cli::Parsed::Help(text)) => {
            println!("{text}");
            return 0;
        }
        Ok(cli::Parsed::Command(command)) => command,
        Err(e) => {
            eprintln!("cpor-ops: {e}");
            eprintln!("Run `cpor-ops --help` for the commands and their options.");
            return e.exit_code();
        }
    };
    match execute(command, env).await {
        Ok(report) => {
            println!("{}", report.result);
            eprintln!("{}", report.message);
            0
        }
        Err(failure) => {
            if !failure.result.is_null() {
                println!("{}", failure.result);
            }
            eprintln!("cpor-ops: {}", failure.error);
            failure.error.exit_code()
        }
    }
}

async fn execute(command: cli::Command, env: &Env) -> Result<Report, PartialFailure> {
    match command {
        cli::Command::Redrive(options) => Ok(redrive::run(&options, env).await?),
        cli::Command::Resend(options) => Ok(resend::run(&options, env).await?),
        cli::Command::Finalize(options) => finalize::run(&options, env).await,
        cli::Command::Import(options) => Ok(import::run(&options, env).await?),
        cli::Command::Keyring(options) => Ok(keyring::run(&options, env).await?),
        cli::Command::Webhooks(options) => webhooks::run(&options, env).await,
    }
}
