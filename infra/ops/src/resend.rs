//! `resend`: queue again the notification of a claim still `approved` (its customer not yet
//! e-mailed).

use crate::cli::ResendOptions;
use crate::settings;
use crate::{OpsError, Report};
use cpor_aws::{DynamoStore, Env, SqsNotificationQueue};
use cpor_domain::calendar::OptOutWindow;
use cpor_domain::claim::{Claim, ClaimState, ClaimStatus};
use cpor_domain::ports::{ClaimRepository, NoticeRef, NotificationQueue, SendEntry, SendLedger};
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
    if status != ClaimStatus::Approved {
        let why = not_resent(&claim);
        return Err(OpsError::Failed(format!(
            "claim {id} is {status}, not approved: {why}. Nothing re-sent"
        )));
    }
    let hold_lifted = match store
        .entry(NoticeRef::of(&claim).into())
        .await
        .map_err(|e| OpsError::Failed(format!("could not read the notification of {id}: {e}")))?
    {
        Some(SendEntry::Held { .. }) if options.confirm_sent.is_some() => {
            return confirm_sent(&store, &claim, options, env).await;
        }
        Some(SendEntry::Held { .. }) if !options.confirm_unsent => {
            return Err(OpsError::Failed(format!(
                "the notification of claim {id} is held: SES may or may not have sent it, so it is not sent again by itself. Check SES's sending records (or ask the customer); if the e-mail did not go out, run this again with --confirm-unsent; if it did, do not resend it (docs/runbook.md)"
            )));
        }
        Some(SendEntry::Held { .. }) => store
            .release_hold(NoticeRef::of(&claim))
            .await
            .map_err(|e| OpsError::Failed(format!("could not lift the hold of {id}: {e}")))?,
        Some(SendEntry::Rejected { reason }) => {
            return Err(OpsError::Failed(format!(
                "SES refused the customer's address of claim {id} for good ({reason}): resending cannot help. The partner corrects the customer's contact (PUT /v1/claims/{{claim_id}}/customer-contact), which e-mails the new address"
            )));
        }
        Some(SendEntry::Leased { .. } | SendEntry::Sent { .. }) | None => false,
    };
    SqsNotificationQueue::new(aws_sdk_sqs::Client::new(&sdk), &queue_url)
        .enqueue(id)
        .await
        .map_err(|e| OpsError::Failed(format!("could not queue the notification of {id}: {e}")))?;
    Ok(Report {
        result: if hold_lifted {
            json!({ "claim_id": id.to_string(), "status": status.as_str(), "queued": true, "hold_lifted": true })
        } else {
            json!({ "claim_id": id.to_string(), "status": status.as_str(), "queued": true })
        },
        message: format!(
            "queued the notification of claim {id} on {queue_url}; notify-customer sends the e-mail (once) and the claim moves to awaiting_customer"
        ),
    })
}

/// Records that a held notification's e-mail went out at the time the operator read in SES's
/// records, and opens the opt-out window from then, as notify-customer would have.
async fn confirm_sent(
    store: &DynamoStore,
    claim: &cpor_domain::Claim,
    options: &ResendOptions,
    env: &Env,
) -> Result<Report, OpsError> {
    let id = claim.id;
    let sent_at = options.confirm_sent.ok_or_else(|| {
        OpsError::Usage("--confirm-sent needs the time the e-mail went out".into())
    })?;
    let calendar = cpor_aws::config::calendar(env).map_err(|e| OpsError::Config(e.to_string()))?;
    let window = store
        .confirm_sent(claim, sent_at, &calendar, options.message_id.as_deref())
        .await
        .map_err(|e| OpsError::Failed(format!("could not record the send of {id}: {e}")))?;
    Ok(Report {
        result: json!({
            "claim_id": id.to_string(),
            "status": "awaiting_customer",
            "notified_at": format_instant(window.notified_at),
            "opt_out_deadline": format_instant(window.deadline),
            "message_id": options.message_id,
        }),
        message: format!(
            "recorded the e-mail of claim {id} as sent at {}; the customer may opt out until {}",
            format_instant(window.notified_at),
            format_instant(window.deadline)
        ),
    })
}

/// Why the notification of `claim`, which is not `approved`, is not queued again: every status
/// says its own reason, so a new status must say one before this compiles.
fn not_resent(claim: &Claim) -> String {
    let notified = |window: Option<&OptOutWindow>| {
        window.map_or_else(String::new, |w| {
            format!(" (notified at {})", format_instant(w.notified_at))
        })
    };
    match &claim.state {
        ClaimState::Submitted { .. }
        | ClaimState::InformationRequested { .. }
        | ClaimState::Disputed { .. }
        | ClaimState::Contested { .. } => {
            "it waits for a reviewer's decision; approving it queues its notification (a \
             contest's customer is e-mailed only if the vendor approves it)"
                .to_owned()
        }
        ClaimState::Approved { .. } => "its notification is to be queued".to_owned(),
        ClaimState::Rejected { .. } => "it was rejected; there is nothing to notify".to_owned(),
        ClaimState::AwaitingCustomer { window } => format!(
            "its customer was notified at {} and may opt out until {}",
            format_instant(window.notified_at),
            format_instant(window.deadline)
        ),
        ClaimState::CustomerUnreachable { bounced_at, .. } => format!(
            "its customer's e-mail bounced at {}: resending to the same address cannot help; the \
             partner corrects the customer's contact (PUT /v1/claims/{{claim_id}}/customer-contact)",
            format_instant(*bounced_at)
        ),
        ClaimState::Associated { window } => format!(
            "its customer was notified at {} and the association is official",
            format_instant(window.notified_at)
        ),
        ClaimState::Revoked { .. } => {
            "its customer ended the association; there is nothing to notify".to_owned()
        }
        ClaimState::Expired { .. } => {
            "its subscription ended and the association with it; there is nothing to notify"
                .to_owned()
        }
        ClaimState::Superseded { window } => format!(
            "another partner's claim won the arbitration{}; there is nothing to notify",
            notified(window.as_ref())
        ),
        ClaimState::Withdrawn { window, .. } => format!(
            "the partner withdrew it{}; there is nothing to notify",
            notified(window.as_ref())
        ),
        ClaimState::Declined { .. } => {
            "its customer declined it; there is nothing to notify".to_owned()
        }
    }
}
