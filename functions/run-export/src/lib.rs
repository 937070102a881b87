//! run-export: consumes the exports' queue. Each message names an export asked for (recorded
//! `running`); its rows are read from an index, never by a scan (a partner's claims from its
//! partition of `by_partner`, the payout ledger from the `ledger` index, month by month), its
//! file is written under `exports/` in the documents bucket, and the export ends `ready` with
//! its count of rows. A message delivered again for an export that ended changes nothing.
//!
//! A failure is reported (`ReportBatchItemFailures`) and the queue delivers the message again;
//! at its last receive (the queue's `maxReceiveCount`) the export is ended `failed` first, and
//! the message goes on to the dead-letter queue and its alarm (docs/runbook.md, "A failed
//! export").
//!
//! The file is built in memory and written with one `PutObject`, not streamed as a multipart
//! upload: a claim's row is under 1 KiB and a ledger's under 300 bytes, so a partner with
//! 100,000 claims, or a month of 300,000 associations, is under 100 MiB, within the function's
//! memory (1024 MB in the template), and one request writes it whole or not at all (no parts
//! left behind, no object half-written for a link to serve). The rows themselves are read
//! whole first (the ledger is sorted before it is written).

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use cpor_aws::exports::ExportMessage;
use cpor_aws::schema::QueueDefinition;
use cpor_aws::{ConfigError, Door, DynamoStore, S3Documents, Wiring};
use cpor_domain::catalogue::Program;
use cpor_domain::export::{
    Export, ExportId, ExportStatus, FileWriter, LEDGER_COLUMNS, Owner, Query,
};
use cpor_domain::ports::Unavailable;
use cpor_http::resource::{CLAIM_EXPORT_COLUMNS, ClaimResource};
use std::convert::Infallible;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "run-export";

/// The function: its clients, built once per execution environment.
pub struct RunExportFunction {
    store: DynamoStore,
    bucket: S3Documents,
    /// The receive at which an export is given up (the queue's `maxReceiveCount`).
    last_receive: u32,
}

/// Why a message was not processed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Not an export's message: retrying cannot help; it ends in the dead-letter queue.
    #[error("the message body is not an export's: {0}")]
    Poison(String),
    /// A partner's export whose owner is the vendor, or the reverse: a record no door writes.
    #[error("export {0} is not its owner's kind")]
    Mismatched(ExportId),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// What a message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The file was written and the export is ready, with this many rows.
    Ready(u64),
    /// The export had ended already (a message delivered again), or is gone (expired): nothing
    /// was done.
    AlreadyEnded,
}

impl RunExportFunction {
    pub fn new(store: DynamoStore, bucket: S3Documents) -> Self {
        Self {
            store,
            bucket,
            last_receive: QueueDefinition::exports("").max_receive_count,
        }
    }

    /// Runs the export a message names; at its last receive, a failure ends the export
    /// `failed` before it is reported.
    pub async fn process(&self, message: &SqsMessage) -> Result<Outcome, ExportError> {
        let body = message.body.as_deref().unwrap_or_default();
        let named: ExportMessage =
            serde_json::from_str(body).map_err(|e| ExportError::Poison(e.to_string()))?;
        let id = ExportId::parse(&named.export_id)
            .ok_or_else(|| ExportError::Poison(format!("{:?} is no export id", named.export_id)))?;
        let result = self.run(id).await;
        let receives: u32 = message
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        if result.is_err() && receives >= self.last_receive {
            // Its last try: the export will not be written; its owner is told so.
            self.store
                .finish_export(id, ExportStatus::Failed, None)
                .await?;
        }
        result
    }

    /// Writes the export `id`'s file and ends it `ready`, unless it ended already.
    pub async fn run(&self, id: ExportId) -> Result<Outcome, ExportError> {
        let Some(export) = self.store.export(id).await? else {
            return Ok(Outcome::AlreadyEnded);
        };
        if export.status != ExportStatus::Running {
            return Ok(Outcome::AlreadyEnded);
        }
        let (bytes, rows) = self.file_of(&export).await?;
        Box::pin(self.bucket.put_export(
            &export.object_key(),
            bytes,
            export.format.content_type(),
            &export.file_name(),
        ))
        .await?;
        let ended = self
            .store
            .finish_export(id, ExportStatus::Ready, Some(rows))
            .await?;
        Ok(if ended {
            Outcome::Ready(rows)
        } else {
            Outcome::AlreadyEnded
        })
    }

    /// The export's file and its rows.
    async fn file_of(&self, export: &Export) -> Result<(Vec<u8>, u64), ExportError> {
        match (&export.query, &export.owner) {
            (Query::Claims(filter), Owner::Partner(partner)) => {
                let claims = self.store.partner_claims(partner, filter).await?;
                let mut file = FileWriter::new(export.format, &CLAIM_EXPORT_COLUMNS);
                for claim in &claims {
                    file.push(&ClaimResource::from(claim).export_cells());
                }
                Ok(file.finish())
            }
            (Query::Associations { month, program }, Owner::Vendor) => {
                let programs: Vec<Program> = match program {
                    Some(program) => vec![*program],
                    None => Program::all().collect(),
                };
                let rows = self.store.ledger(*month, &programs).await?;
                let mut file = FileWriter::new(export.format, &LEDGER_COLUMNS);
                for row in &rows {
                    file.push(&row.cells());
                }
                Ok(file.finish())
            }
            (Query::Claims(_), Owner::Vendor) | (Query::Associations { .. }, Owner::Partner(_)) => {
                Err(ExportError::Mismatched(export.id))
            }
        }
    }

    /// Processes a batch; the answer names the messages to retry.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let (_, response) = cpor_aws::batch::process(&event, |message| async move {
            let result = self.process(message).await;
            match &result {
                Ok(Outcome::Ready(rows)) => tracing::info!(rows, "export written"),
                Ok(Outcome::AlreadyEnded) => {
                    tracing::info!("export already ended or expired: nothing to do")
                }
                Err(error) => tracing::warn!(%error, "export not written; the queue will retry it"),
            }
            result
        })
        .await;
        response
    }
}

impl Door for RunExportFunction {
    const NAME: &'static str = FUNCTION;
    type Event = SqsEvent;
    type Output = SqsBatchResponse;
    // Failed messages are reported one by one in the answer, never by failing the batch.
    type Error = Infallible;

    /// On the table (`CPOR_TABLE_NAME`) and the documents' bucket (`CPOR_DOCUMENTS_BUCKET`).
    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        Ok(Self::new(wiring.store()?, wiring.documents()?))
    }

    async fn invoke(&self, event: Self::Event) -> Result<Self::Output, Infallible> {
        Ok(self.handle(event).await)
    }
}
