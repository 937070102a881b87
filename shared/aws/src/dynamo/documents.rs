//! Claims' documents ([`DocumentStore`]): each a record in its claim's partition, beside a
//! count of them that the write of a new one raises under a condition (the limit holds under
//! concurrent requests), and the record's `pending -> uploaded` in the same transaction as the
//! claim's `document_added` transition.

use super::record::Item;
use super::transaction::{Part, TransactError, Transaction};
use super::{DynamoStore, claim_from_item, entry_from_item, inconsistent, keyed, keys, n, s};
use crate::schema::PK;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cpor_domain::claim::Transition;
use cpor_domain::document::{
    ContentType, CountedObject, Document, DocumentId, DocumentStatus, MAX_DOCUMENTS, UPLOAD_WINDOW,
};
use cpor_domain::ids::ClaimId;
use cpor_domain::ports::{
    AddDocumentError, ApplyError, ClaimWithDocuments, DocumentStore, MarkUploadedError,
    RemoveDocumentError, Unavailable,
};
use cpor_domain::time::serde_instant;
use serde::{Deserialize, Serialize};

/// The attributes that the expressions below name.
mod field {
    pub const STATUS: &str = "status";
    pub const UPLOADED_AT: &str = "uploaded_at";
    pub const VERSION_ID: &str = "version_id";
    pub const SHA256: &str = "sha256";
    pub const COUNT: &str = "count";
}

/// A document as its item holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct DocumentRecord {
    document_id: String,
    file_name: String,
    content_type: String,
    size: u64,
    status: String,
    #[serde(
        with = "serde_instant::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    uploaded_at: Option<DateTime<Utc>>,
    /// Absent from records written before documents expired: their declaration's time (their
    /// id's) and the upload window then.
    #[serde(
        with = "serde_instant::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    upload_expires_at: Option<DateTime<Utc>>,
    /// Of an uploaded document: the object's version that counted, and its SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
}

impl From<&Document> for DocumentRecord {
    fn from(d: &Document) -> Self {
        Self {
            document_id: d.id.to_string(),
            file_name: d.file_name.clone(),
            content_type: d.content_type.as_str().to_owned(),
            size: d.size,
            status: d.status.as_str().to_owned(),
            uploaded_at: d.uploaded_at,
            upload_expires_at: Some(d.upload_expires_at),
            version_id: d.object.as_ref().and_then(|o| o.version_id.clone()),
            sha256: d.object.as_ref().and_then(|o| o.sha256.clone()),
        }
    }
}

fn document_from_item(item: &Item) -> Result<Document, Unavailable> {
    let r: DocumentRecord =
        super::record::from_item(item).map_err(|e| inconsistent(format!("document item: {e}")))?;
    let bad = |what: &str| inconsistent(format!("document item: {what}"));
    let id = DocumentId::parse(&r.document_id).ok_or_else(|| bad("document_id"))?;
    let status = DocumentStatus::parse(&r.status).ok_or_else(|| bad("status"))?;
    let object = (status == DocumentStatus::Uploaded).then_some(CountedObject {
        version_id: r.version_id,
        sha256: r.sha256,
    });
    Ok(Document {
        id,
        content_type: ContentType::parse(&r.content_type).ok_or_else(|| bad("content_type"))?,
        status,
        file_name: r.file_name,
        size: r.size,
        upload_expires_at: r
            .upload_expires_at
            .unwrap_or_else(|| id.declared_at() + UPLOAD_WINDOW),
        uploaded_at: r.uploaded_at,
        object,
    })
}

impl DynamoStore {
    /// A claim's partition in one paged Query: the claim, its history (oldest first) and its
    /// documents (oldest first: their ids are ULIDs).
    pub(super) async fn claim_partition(
        &self,
        id: ClaimId,
    ) -> Result<Option<ClaimWithDocuments>, Unavailable> {
        let items = self
            .query_all(|start| {
                let mut e = super::expression::Expression::default();
                let condition = e.equals(PK, s(keys::claim_partition(id)));
                self.query_where(condition, &e)
                    .consistent_read(true)
                    .set_exclusive_start_key(start)
            })
            .await?;
        let mut claim = None;
        let mut history = Vec::new();
        let mut documents = Vec::new();
        for item in &items {
            let sk = super::sort_key_of(item);
            if sk == keys::sk::CLAIM {
                claim = Some(claim_from_item(item)?);
            } else if keys::is_event(&sk) {
                history.push(entry_from_item(item)?);
            } else if keys::is_document(&sk) {
                documents.push(document_from_item(item)?);
            }
        }
        history.sort_by_key(|e| e.sequence);
        documents.sort_by_key(|d| d.id);
        Ok(claim.map(|c| (c, history, documents)))
    }
}

#[async_trait]
impl DocumentStore for DynamoStore {
    async fn claim_with_documents(
        &self,
        id: ClaimId,
    ) -> Result<Option<ClaimWithDocuments>, Unavailable> {
        self.claim_partition(id).await
    }

    async fn add_pending(
        &self,
        claim_id: ClaimId,
        document: &Document,
        dropping: &[DocumentId],
    ) -> Result<(), AddDocumentError> {
        let mut tx = Transaction::new(&self.table);
        // Each dropped record leaves the count: the new one fits if the count less the dropped
        // is under the limit. Each drop is conditioned on the record being still pending, so
        // a record uploaded or dropped meanwhile cancels the whole write.
        let dropped = i64::try_from(dropping.len()).unwrap_or(i64::MAX);
        for id in dropping {
            tx.delete_if(Part::Dropped, &keys::document(claim_id, *id), |e| {
                e.equals(field::STATUS, s(DocumentStatus::Pending.as_str()))
            })?;
        }
        tx.update_if(Part::DocumentCount, &keys::document_count(claim_id), |e| {
            let count = e.name(field::COUNT);
            let change = e.value(n(1 - dropped));
            let max = e.value(n(i64::from(MAX_DOCUMENTS) + dropped));
            let pk = e.name(PK);
            (
                format!("ADD {count} {change}"),
                format!("attribute_not_exists({pk}) OR {count} < {max}"),
            )
        })?;
        let item = keyed(
            &DocumentRecord::from(document),
            &keys::document(claim_id, document.id),
            [],
        )?;
        tx.put_if(Part::Document, item, |e| e.not_exists(PK))?;
        match tx.commit_through_conflicts(&self.client).await {
            Ok(()) => Ok(()),
            Err(TransactError::Cancelled(c)) if c.failed_check(Part::Dropped) => {
                Err(AddDocumentError::Conflict)
            }
            Err(TransactError::Cancelled(c)) if c.failed_check(Part::DocumentCount) => {
                Err(AddDocumentError::TooMany)
            }
            Err(TransactError::Cancelled(c)) => Err(inconsistent(c.to_string()).into()),
            Err(TransactError::Unavailable(e)) => Err(e.into()),
        }
    }

    async fn remove_pending(
        &self,
        claim_id: ClaimId,
        document_id: DocumentId,
    ) -> Result<(), RemoveDocumentError> {
        let mut tx = Transaction::new(&self.table);
        tx.delete_if(
            Part::Document,
            &keys::document(claim_id, document_id),
            |e| e.equals(field::STATUS, s(DocumentStatus::Pending.as_str())),
        )?;
        tx.update_if(Part::DocumentCount, &keys::document_count(claim_id), |e| {
            let count = e.name(field::COUNT);
            let change = e.value(n(-1));
            let pk = e.name(PK);
            (
                format!("ADD {count} {change}"),
                format!("attribute_exists({pk})"),
            )
        })?;
        match tx.commit_through_conflicts(&self.client).await {
            Ok(()) => Ok(()),
            Err(TransactError::Cancelled(c)) if c.failed_check(Part::Document) => {
                Err(RemoveDocumentError::NotPending)
            }
            Err(TransactError::Cancelled(c)) => Err(inconsistent(c.to_string()).into()),
            Err(TransactError::Unavailable(e)) => Err(e.into()),
        }
    }

    async fn mark_uploaded(
        &self,
        transition: &Transition,
        document_id: DocumentId,
        object: &CountedObject,
    ) -> Result<(), MarkUploadedError> {
        let mut tx = self.transition(transition)?;
        let at = transition.entry().at;
        tx.update_if(
            Part::Document,
            &keys::document(transition.claim.id, document_id),
            |e| {
                let mut set = vec![
                    (field::STATUS, s(DocumentStatus::Uploaded.as_str())),
                    (field::UPLOADED_AT, s(cpor_domain::time::format_instant(at))),
                ];
                if let Some(version) = &object.version_id {
                    set.push((field::VERSION_ID, s(version)));
                }
                if let Some(sha256) = &object.sha256 {
                    set.push((field::SHA256, s(sha256)));
                }
                let update = e.update(set, &[]);
                let condition = e.equals(field::STATUS, s(DocumentStatus::Pending.as_str()));
                (update, condition)
            },
        )?;
        match tx.commit(&self.client).await {
            Ok(()) => Ok(()),
            // Checked first: a notification delivered again finds the document uploaded (and
            // the claim at a later version) and must change nothing.
            Err(TransactError::Cancelled(c)) if c.failed_check(Part::Document) => {
                Err(MarkUploadedError::NotPending)
            }
            Err(e) => match transition_refusal(e) {
                ApplyError::Conflict | ApplyError::UnitHeld => Err(MarkUploadedError::Conflict),
                ApplyError::Unavailable(e) => Err(e.into()),
            },
        }
    }
}

/// Why a transition's transaction failed, as [`DynamoStore::commit_transition`] tells it.
fn transition_refusal(error: TransactError) -> ApplyError {
    match error {
        TransactError::Cancelled(c)
            if c.failed_check(Part::Claim) || c.failed_check(Part::Event) || c.conflicted() =>
        {
            ApplyError::Conflict
        }
        TransactError::Cancelled(c) => ApplyError::Unavailable(inconsistent(c.to_string())),
        TransactError::Unavailable(e) => e.into(),
    }
}
