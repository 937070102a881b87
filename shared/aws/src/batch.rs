//! An SQS batch as Lambda's `ReportBatchItemFailures` wants it handled: every message at once,
//! each in its own log span, and each failed message named in the answer, so that the queue
//! retries exactly those (and, after its receive count, moves them to the dead-letter queue).
//! None is dropped: a message is deleted only when its processing succeeded.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use std::future::Future;
use tracing::Instrument;

/// Runs `process` on every message of `event` concurrently, each inside its message's span
/// ([`crate::logging::message_span`]). Returns each message's result, in the batch's order,
/// and the answer naming the messages whose processing failed.
pub async fn process<'e, T, E, F, Fut>(
    event: &'e SqsEvent,
    process: F,
) -> (Vec<Result<T, E>>, SqsBatchResponse)
where
    F: Fn(&'e SqsMessage) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let results = futures::future::join_all(event.records.iter().map(|message| {
        let id = message.message_id.as_deref().unwrap_or_default();
        process(message).instrument(crate::logging::message_span(id))
    }))
    .await;
    let mut response = SqsBatchResponse::default();
    for (message, result) in event.records.iter().zip(&results) {
        if result.is_err() {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message.message_id.clone().unwrap_or_default();
            response.batch_item_failures.push(failure);
        }
    }
    (results, response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str, body: &str) -> SqsMessage {
        let mut message = SqsMessage::default();
        message.message_id = Some(id.to_owned());
        message.body = Some(body.to_owned());
        message
    }

    #[tokio::test]
    async fn every_failed_message_and_no_other_is_named_for_the_queue_to_retry() {
        // GIVEN a batch of three messages, the second of which fails
        let mut event = SqsEvent::default();
        event.records = vec![message("a", "1"), message("b", "x"), message("c", "3")];
        // WHEN it is processed
        let (results, response) = process(&event, |m| async move {
            m.body.as_deref().unwrap_or_default().parse::<u32>()
        })
        .await;
        // THEN each result is in the batch's order, and only the failed message is named
        assert_eq!(results.len(), 3);
        assert_eq!(
            (results[0].clone().ok(), results[2].clone().ok()),
            (Some(1), Some(3))
        );
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, vec!["b"]);
    }
}
