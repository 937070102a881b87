//! `redrive`: the dead-letter queue's messages back to the notification queue.

use crate::cli::RedriveOptions;
use crate::settings::{self, DEAD_LETTER_QUEUE_URL};
use crate::{OpsError, Report};
use aws_sdk_sqs::types::QueueAttributeName;
use cpor_aws::Env;
use serde_json::{Value, json};

/// Moves every dead letter back with the adapters' own redrive; prints how many.
pub async fn run(options: &RedriveOptions, env: &Env) -> Result<Report, OpsError> {
    let queue_url = settings::queue_url(&options.queue_url, env)?;
    let explicit = settings::given(&options.dead_letter_queue_url, env, DEAD_LETTER_QUEUE_URL);
    let sdk = settings::sdk_config().await?;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dead_letter_url = match explicit {
        Some(url) => url,
        None => dead_letter_queue_of(&sqs, &queue_url).await?,
    };
    let moved = cpor_aws::queue::redrive_dead_letters(&sqs, &dead_letter_url, &queue_url)
        .await
        .map_err(|e| {
            OpsError::Failed(format!(
                "the redrive stopped: {e}. Messages not yet moved are still in the dead-letter queue; run it again"
            ))
        })?;
    Ok(Report {
        result: json!({ "redriven": moved, "from": dead_letter_url, "to": queue_url }),
        message: format!(
            "moved {moved} message{} from {dead_letter_url} back to {queue_url}",
            if moved == 1 { "" } else { "s" }
        ),
    })
}

/// The URL of the queue's dead-letter queue, from its `RedrivePolicy`.
pub async fn dead_letter_queue_of(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
) -> Result<String, OpsError> {
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .map_err(|e| {
            OpsError::Failed(format!(
                "could not read the RedrivePolicy of {queue_url}: {}",
                cpor_aws::describe(&e)
            ))
        })?;
    let no_policy = || {
        OpsError::Config(format!(
            "{queue_url} has no dead-letter queue in its RedrivePolicy; set {DEAD_LETTER_QUEUE_URL} or pass --dead-letter-queue-url"
        ))
    };
    let policy = attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::RedrivePolicy))
        .ok_or_else(no_policy)?;
    let (account, name) = dead_letter_target(policy).ok_or_else(no_policy)?;
    let found = sqs
        .get_queue_url()
        .queue_name(&name)
        .queue_owner_aws_account_id(&account)
        .send()
        .await
        .map_err(|e| {
            OpsError::Failed(format!(
                "could not find the dead-letter queue {name}: {}",
                cpor_aws::describe(&e)
            ))
        })?;
    found
        .queue_url()
        .map(str::to_owned)
        .ok_or_else(|| OpsError::Failed(format!("SQS gave no URL for the queue {name}")))
}

/// The account and name of the dead-letter queue a `RedrivePolicy` names
/// (`{"deadLetterTargetArn": "arn:aws:sqs:REGION:ACCOUNT:NAME", ...}`).
fn dead_letter_target(policy: &str) -> Option<(String, String)> {
    let policy: Value = serde_json::from_str(policy).ok()?;
    let arn = policy.get("deadLetterTargetArn")?.as_str()?;
    match arn.split(':').collect::<Vec<_>>().as_slice() {
        ["arn", _, "sqs", _, account, name] if !account.is_empty() && !name.is_empty() => {
            Some(((*account).to_owned(), (*name).to_owned()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dead_letter_queue_is_read_from_the_redrive_policy() {
        let policy = r#"{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:123456789012:cpor-notifications-dlq","maxReceiveCount":5}"#;
        assert_eq!(
            dead_letter_target(policy),
            Some(("123456789012".into(), "cpor-notifications-dlq".into()))
        );
        assert_eq!(dead_letter_target(r#"{"maxReceiveCount":5}"#), None);
        assert_eq!(dead_letter_target("not json"), None);
    }
}
