//! Asking for an export and reading it back: what the partners' door (manage-claims) and the
//! reviewers' (review-claims) share. An export is recorded `running` and its id queued for
//! run-export, which writes the file and ends it `ready` or `failed`; its owner alone reads it,
//! with a link to its file while it is kept.

use crate::documents::SignedLink;
use crate::{DynamoStore, S3Documents, SdkClient, describe};
use cpor_domain::clock::Clock;
use cpor_domain::export::{Export, ExportId, ExportRequest, ExportStatus, Owner};
use cpor_domain::ports::Unavailable;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The body of an export's message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportMessage {
    pub export_id: String,
}

/// The exports' queue, read by run-export.
#[derive(Debug, Clone)]
pub struct ExportQueue {
    client: SdkClient<aws_sdk_sqs::Client>,
    queue_url: String,
}

impl ExportQueue {
    pub fn new(
        client: impl Into<SdkClient<aws_sdk_sqs::Client>>,
        queue_url: impl Into<String>,
    ) -> Self {
        Self {
            client: client.into(),
            queue_url: queue_url.into(),
        }
    }

    /// Queues the export `id` for run-export.
    pub async fn send(&self, id: ExportId) -> Result<(), Unavailable> {
        let body = serde_json::to_string(&ExportMessage {
            export_id: id.to_string(),
        })
        .map_err(|e| Unavailable(format!("message body: {e}")))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| Unavailable(format!("SendMessage: {}", describe(&e))))
    }
}

/// Exports as a door asks for and reads them.
#[derive(Clone)]
pub struct ExportDesk {
    store: DynamoStore,
    bucket: S3Documents,
    queue: ExportQueue,
    clock: Arc<dyn Clock>,
}

impl ExportDesk {
    pub fn new(
        store: DynamoStore,
        bucket: S3Documents,
        queue: ExportQueue,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            bucket,
            queue,
            clock,
        }
    }

    /// Records `owner`'s new export, running, and queues it. When it cannot be queued it is
    /// ended `failed` (nothing would ever run it) and the caller is told to try again.
    pub async fn ask(&self, owner: Owner, request: ExportRequest) -> Result<Export, Unavailable> {
        let export = Export::new(owner, request, self.clock.now());
        self.store.create_export(&export).await?;
        if let Err(error) = self.queue.send(export.id).await {
            if let Err(e) = self
                .store
                .finish_export(export.id, ExportStatus::Failed, None)
                .await
            {
                tracing::warn!(error = %e, export_id = %export.id, "an export that could not be queued stays running until it expires");
            }
            return Err(error);
        }
        Ok(export)
    }

    /// `owner`'s export named `id`, with a link to its file when it is ready; `None` when
    /// there is no such export of the owner's (another's is not told apart from none), or it
    /// has expired.
    pub async fn read(
        &self,
        owner: &Owner,
        id: &str,
    ) -> Result<Option<(Export, Option<SignedLink>)>, Unavailable> {
        let Some(id) = ExportId::parse(id) else {
            return Ok(None);
        };
        let Some(export) = self.store.export(id).await? else {
            return Ok(None);
        };
        if &export.owner != owner || self.clock.now() >= export.expires_at {
            return Ok(None);
        }
        let link = match export.status {
            ExportStatus::Ready => {
                Some(Box::pin(self.bucket.export_link(&export.object_key())).await?)
            }
            ExportStatus::Running | ExportStatus::Failed => None,
        };
        Ok(Some((export, link)))
    }
}
