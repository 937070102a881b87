//! `finalize`: the nightly finalization, as of a given time.

use crate::cli::FinalizeOptions;
use crate::settings;
use crate::{OpsError, PartialFailure, Report};
use cpor_aws::config::TABLE_NAME;
use cpor_aws::{Door, Env, Wiring};
use cpor_domain::clock::{Clock, SystemClock};
use cpor_domain::time::format_instant;
use finalize_association::{FinalizeAssociationFunction, FinalizeError};
use serde_json::json;

/// Runs finalize-association's own run as of `--at` (default now); prints its summary.
pub async fn run(options: &FinalizeOptions, env: &Env) -> Result<Report, PartialFailure> {
    let table = settings::table(&options.table, env)?;
    let sdk = settings::sdk_config().await?;
    let env = env.clone().with(TABLE_NAME, &table);
    let function = FinalizeAssociationFunction::build(&Wiring::new(&sdk, &env))
        .await
        .map_err(|e| OpsError::Config(e.to_string()))?;
    let now = options.at.unwrap_or_else(|| SystemClock.now());
    let current = SystemClock.now();
    if now > current && !options.force {
        return Err(OpsError::Failed(format!(
            "--at {} is in the future: claims whose customers may still opt out until then would be associated before their deadline. Give the time of the run that failed, or now; add --force if this is meant",
            format_instant(now)
        ))
        .into());
    }
    match function.run(now).await {
        Ok(summary) => Ok(Report {
            result: json!(summary),
            message: format!(
                "finalization as of {} on {table}: {} due, {} associated, {} decided meanwhile",
                format_instant(summary.now),
                summary.due,
                summary.finalized,
                summary.already_decided
            ),
        }),
        Err(FinalizeError::Incomplete(summary)) => Err(PartialFailure {
            result: json!(summary),
            error: OpsError::Failed(format!(
                "{} of {} due claims could not be finalized (the others were); run the same command again to retry them",
                summary.failed, summary.due
            )),
        }),
        Err(FinalizeError::Unavailable(e)) => {
            Err(OpsError::Failed(format!("could not read the claims due in {table}: {e}")).into())
        }
    }
}
