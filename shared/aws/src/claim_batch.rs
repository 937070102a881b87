//! The claim batches' queue: a batch's rows travel to process-claim-batch in chunks, one SQS
//! message each.
//!
//! A chunk holds [`CHUNK_ROWS`] rows at most, and [`CHUNK_BYTES`] of them at most (SQS takes
//! 256 KiB a message, and a `SendMessageBatch` 256 KiB in all). 25 rows: their results are one
//! transaction of 26 items (DynamoDB takes 100), a chunk's work (two requests a row) ends in
//! about a second, far inside the consumer's time-out, a chunk delivered again repeats 25 rows'
//! reads at most, and a batch of 500 is 20 messages that Lambda processes side by side.

use crate::{SdkClient, describe};
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use chrono::{DateTime, Utc};
use cpor_domain::batch::BatchId;
use cpor_domain::ids::PartnerId;
use cpor_domain::ports::Unavailable;
use cpor_domain::time::serde_instant;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The most rows of a chunk.
pub const CHUNK_ROWS: usize = 25;

/// The most bytes of a chunk's rows (the rest of the message is its batch's names).
pub const CHUNK_BYTES: usize = 200 * 1024;

/// The most bytes of one `SendMessageBatch` (SQS: 256 KiB in all).
const SEND_BYTES: usize = 250 * 1024;

/// One message: rows of one batch, each processed as its own submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChunkMessage {
    pub batch_id: BatchId,
    /// The batch's partner: each row is submitted as its incentives admin.
    pub partner_id: PartnerId,
    /// The batch's `Idempotency-Key`, from which each row's key is derived.
    pub key: String,
    /// When the batch was opened (its results are kept for a time from then).
    #[serde(with = "serde_instant")]
    pub opened_at: DateTime<Utc>,
    pub rows: Vec<ChunkRow>,
}

/// One row of a chunk: a submission's body, or the problem the door found it to be already
/// (a CSV row with the wrong number of cells, a row over a submission's size).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChunkRow {
    /// The row's number, from 1.
    pub row: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// The problem+json body that is the row's result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<Value>,
}

impl ChunkRow {
    fn size(&self) -> usize {
        serde_json::to_vec(self).map_or(CHUNK_BYTES, |bytes| bytes.len())
    }
}

/// `rows` in chunks of [`CHUNK_ROWS`] and [`CHUNK_BYTES`] at most, in row order (a row larger
/// than a chunk goes alone).
pub fn chunks(rows: Vec<ChunkRow>) -> Vec<Vec<ChunkRow>> {
    let mut chunks: Vec<Vec<ChunkRow>> = Vec::new();
    let mut bytes = 0;
    for row in rows {
        let size = row.size();
        match chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK_ROWS && bytes + size <= CHUNK_BYTES => {
                chunk.push(row);
                bytes += size;
            }
            Some(_) | None => {
                chunks.push(vec![row]);
                bytes = size;
            }
        }
    }
    chunks
}

/// Sends chunks to the claim batches' queue.
#[derive(Debug, Clone)]
pub struct BatchQueue {
    client: SdkClient<aws_sdk_sqs::Client>,
    queue_url: String,
}

impl BatchQueue {
    pub fn new(
        client: impl Into<SdkClient<aws_sdk_sqs::Client>>,
        queue_url: impl Into<String>,
    ) -> Self {
        Self {
            client: client.into(),
            queue_url: queue_url.into(),
        }
    }

    /// Sends every message, ten (and 250 KiB) to a `SendMessageBatch`. A message SQS refused
    /// fails the whole: the caller answers 503, and the batch's request sent again (the same
    /// key and body) sends them again, which creates nothing twice.
    pub async fn send(&self, messages: &[ChunkMessage]) -> Result<(), Unavailable> {
        let bodies = messages
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Unavailable(format!("chunk body: {e}")))?;
        let mut group: Vec<SendMessageBatchRequestEntry> = Vec::new();
        let mut bytes = 0;
        for (i, body) in bodies.into_iter().enumerate() {
            if group.len() == 10 || (!group.is_empty() && bytes + body.len() > SEND_BYTES) {
                self.send_group(std::mem::take(&mut group)).await?;
                bytes = 0;
            }
            bytes += body.len();
            let entry = SendMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .message_body(body)
                .build()
                .map_err(|e| Unavailable(format!("SendMessageBatch entry: {e}")))?;
            group.push(entry);
        }
        if !group.is_empty() {
            self.send_group(group).await?;
        }
        Ok(())
    }

    async fn send_group(
        &self,
        entries: Vec<SendMessageBatchRequestEntry>,
    ) -> Result<(), Unavailable> {
        let out = self
            .client
            .send_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| Unavailable(format!("SendMessageBatch: {}", describe(&e))))?;
        match out.failed().first() {
            None => Ok(()),
            Some(failed) => Err(Unavailable(format!(
                "SendMessageBatch: a chunk was refused ({}: {})",
                failed.code(),
                failed.message().unwrap_or_default()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(row: usize, filler: usize) -> ChunkRow {
        ChunkRow {
            row,
            body: Some(json!({ "x": "y".repeat(filler) })),
            problem: None,
        }
    }

    #[test]
    fn chunks_hold_twenty_five_rows_or_two_hundred_kib_in_row_order() {
        // GIVEN 60 small rows WHEN chunked THEN 25, 25 and 10, in order
        let sizes: Vec<usize> = chunks((1..=60).map(|r| row(r, 10)).collect())
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(sizes, vec![25, 25, 10]);
        // GIVEN 10 rows of 60 KiB WHEN chunked THEN 3 a chunk (no chunk over 200 KiB), in order
        let big = chunks((1..=10).map(|r| row(r, 60 * 1024)).collect());
        assert_eq!(
            big.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![3, 3, 3, 1]
        );
        let order: Vec<usize> = big.iter().flatten().map(|r| r.row).collect();
        assert_eq!(order, (1..=10).collect::<Vec<_>>());
        for chunk in &big {
            assert!(chunk.iter().map(ChunkRow::size).sum::<usize>() <= CHUNK_BYTES);
        }
    }
}
