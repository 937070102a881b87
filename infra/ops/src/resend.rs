//! `resend`: queue again the notification of a claim still `submitted`.

use crate::cli::ResendOptions;
use crate::settings;
use crate::{OpsError, Report};
use cpor_aws::{DynamoStore, Env, SqsNotificationQueue};
use cpor_domain::claim::ClaimStatus;
use cpor_domain::ports::{ClaimRepository, NotificationQueue};
use cpor_domain::time::format_instant;
use serde_json::json;

/// Queues the claim's notification, as submission does, if the claim awaits it.
pub async fn run(options: &ResendOptions, env: &Env) -> Result<Report, OpsError> {
    let table = settings::table(&options.table, env)?;
    let queue_url = settings::queue_url(&options.queue_url, env)?;
    let sdk = settings::sdk_config().await?;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &table);
    let id = options.claim_id;
    let claim = store
        .claim(id)
        .await
        .map_err(|e| OpsError::Failed(format!("could not read claim {id}: {e}")))?
        .ok_or_else(|| {
            OpsError::Failed(format!(
                "no claim {id} in table {table}: nothing re-sent (check the id, and that this is the partner's stack)"
            ))
        })?;
    let status = claim.status();
    if status != ClaimStatus::Submitted {
        let why = match (status, claim.state.window()) {
            (ClaimStatus::AwaitingCustomer, Some(window)) => format!(
                "its customer was notified at {} and may opt out until {}",
                format_instant(window.notified_at),
                format_instant(window.deadline)
            ),
            (ClaimStatus::Withdrawn | ClaimStatus::Declined, _) => {
                "it has left the lifecycle; there is nothing to notify".to_owned()
            }
            _ => "its customer was notified already".to_owned(),
        };
        return Err(OpsError::Failed(format!(
            "claim {id} is {status}, not submitted: {why}. Nothing re-sent"
        )));
    }
    SqsNotificationQueue::new(aws_sdk_sqs::Client::new(&sdk), &queue_url)
        .enqueue(id)
        .await
        .map_err(|e| OpsError::Failed(format!("could not queue the notification of {id}: {e}")))?;
    Ok(Report {
        result: json!({ "claim_id": id.to_string(), "status": status.as_str(), "queued": true }),
        message: format!(
            "queued the notification of claim {id} on {queue_url}; notify-customer sends the e-mail (once) and the claim moves to awaiting_customer"
        ),
    })
}
