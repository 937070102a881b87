//! A claim's documents: the partner declares one (and gets an upload link for it), storage
//! reports its arrival (checked before it counts), and partners and reviewers download them.

use super::{
    Attempt::{LostRace, Settled},
    until_settled,
};
use crate::caller::Caller;
use crate::claim::{Claim, ClaimStatus};
use crate::clock::Clock;
use crate::document::{
    CountedObject, Document, DocumentId, DocumentStatus, UploadRequest, live, object_key,
    parse_object_key,
};
use crate::ids::ClaimId;
use crate::ports::{
    AddDocumentError, ClaimRepository, ClaimWithDocuments, DocumentObjects, DocumentStore,
    MarkUploadedError, RemoveDocumentError, Unavailable,
};
use crate::validation::ValidationErrors;
use serde_json::Value;

/// Why a request about documents was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("your role may not do this")]
    Forbidden,
    /// No such claim of the caller's.
    #[error("no such claim")]
    ClaimNotFound,
    /// No such document of the claim, or not uploaded (yet).
    #[error("no such document")]
    DocumentNotFound,
    /// The document's bytes arrived and counted: it is evidence, and stays.
    #[error("the document is uploaded already")]
    AlreadyUploaded,
    #[error(transparent)]
    Invalid(ValidationErrors),
    #[error("the claim is already {0}")]
    AlreadyFinal(ClaimStatus),
    #[error("the claim has the most documents it may have")]
    TooMany,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// What became of an arrived upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    /// Checked and recorded: the document counts.
    Counted,
    /// Recorded before: the same notification delivered again, or another object put under
    /// the key of a counted document, which is left alone (the document stays at the version
    /// that counted, which nothing deletes).
    AlreadyCounted,
    /// Not what was declared (or the claim is final): deleted, the document left pending.
    Refused(String),
    /// Not a key the service chose, or no document of a claim: left alone, or deleted.
    Unknown,
    /// Nothing is stored under the key any more (a refused upload, deleted before).
    Gone,
}

/// The documents' use cases.
pub struct DocumentDesk<'a> {
    pub claims: &'a dyn ClaimRepository,
    pub documents: &'a dyn DocumentStore,
    pub clock: &'a dyn Clock,
}

impl DocumentDesk<'_> {
    /// Declares a document of one of the caller's claims; the caller then uploads its bytes to
    /// [`object_key`] with a link the door signs. Expired pending documents make room: their
    /// records are removed in the write that stores the new one.
    pub async fn declare(
        &self,
        caller: &Caller,
        claim_id: &str,
        body: &Value,
    ) -> Result<(Claim, Document), DocumentError> {
        if !caller.may_manage_claims() {
            return Err(DocumentError::Forbidden);
        }
        let request = UploadRequest::read(body).map_err(DocumentError::Invalid)?;
        let id = ClaimId::parse(claim_id).ok_or(DocumentError::ClaimNotFound)?;
        let request = &request;
        until_settled("the claim's documents", move || async move {
            let (claim, _, documents) = self.own(caller, id).await?;
            let status = claim.status();
            if status.is_final() {
                return Err(DocumentError::AlreadyFinal(status));
            }
            let now = self.clock.now();
            let dropping: Vec<DocumentId> = documents
                .iter()
                .filter(|d| d.is_expired(now))
                .map(|d| d.id)
                .collect();
            let document = Document::pending(DocumentId::new_at(now), request.clone(), now);
            match self.documents.add_pending(id, &document, &dropping).await {
                Ok(()) => {
                    tracing::info!(claim_id = %id, document_id = %document.id, dropped = dropping.len(), "document declared");
                    Ok(Settled((claim, document)))
                }
                Err(AddDocumentError::TooMany) => Err(DocumentError::TooMany),
                Err(AddDocumentError::Conflict) => Ok(LostRace),
                Err(AddDocumentError::Unavailable(e)) => Err(e.into()),
            }
        })
        .await
    }

    /// Removes a pending document of one of the caller's claims, which frees its place; an
    /// uploaded one stays (it is evidence).
    pub async fn remove(
        &self,
        caller: &Caller,
        claim_id: &str,
        document_id: &str,
    ) -> Result<(), DocumentError> {
        if !caller.may_manage_claims() {
            return Err(DocumentError::Forbidden);
        }
        let id = ClaimId::parse(claim_id).ok_or(DocumentError::ClaimNotFound)?;
        until_settled("the claim's documents", move || async move {
            let (_, _, documents) = self.own(caller, id).await?;
            let document_id =
                DocumentId::parse(document_id).ok_or(DocumentError::DocumentNotFound)?;
            let document = live(documents, self.clock.now())
                .into_iter()
                .find(|d| d.id == document_id)
                .ok_or(DocumentError::DocumentNotFound)?;
            if document.status == DocumentStatus::Uploaded {
                return Err(DocumentError::AlreadyUploaded);
            }
            match self.documents.remove_pending(id, document_id).await {
                Ok(()) => {
                    tracing::info!(claim_id = %id, document_id = %document_id, "pending document removed");
                    Ok(Settled(()))
                }
                // Uploaded or removed meanwhile: read again to say which.
                Err(RemoveDocumentError::NotPending) => Ok(LostRace),
                Err(RemoveDocumentError::Unavailable(e)) => Err(e.into()),
            }
        })
        .await
    }

    /// One of the caller's claims, with every stored document (expired ones included).
    async fn own(&self, caller: &Caller, id: ClaimId) -> Result<ClaimWithDocuments, DocumentError> {
        match self.documents.claim_with_documents(id).await? {
            Some(found) if found.0.partner_id == caller.partner_id => Ok(found),
            Some(_) | None => Err(DocumentError::ClaimNotFound),
        }
    }

    /// One of the caller's claims with its history and documents.
    pub async fn claim(
        &self,
        caller: &Caller,
        claim_id: &str,
    ) -> Result<crate::ports::ClaimWithDocuments, DocumentError> {
        if !caller.may_view_claims() {
            return Err(DocumentError::Forbidden);
        }
        let id = ClaimId::parse(claim_id).ok_or(DocumentError::ClaimNotFound)?;
        let (claim, history, documents) = self.own(caller, id).await?;
        Ok((claim, history, live(documents, self.clock.now())))
    }

    /// An uploaded document of one of the caller's claims, and the key of its bytes. Another
    /// partner's document, an unknown one and a pending one are all not found alike.
    pub async fn downloadable(
        &self,
        caller: &Caller,
        claim_id: &str,
        document_id: &str,
    ) -> Result<(Document, String), DocumentError> {
        if !caller.may_view_claims() {
            return Err(DocumentError::Forbidden);
        }
        let document_id = DocumentId::parse(document_id).ok_or(DocumentError::DocumentNotFound)?;
        // Another partner's claim, or none: its documents are not found alike.
        let (claim, _, documents) = self.claim(caller, claim_id).await.map_err(|e| {
            if e == DocumentError::ClaimNotFound {
                DocumentError::DocumentNotFound
            } else {
                e
            }
        })?;
        documents
            .into_iter()
            .find(|d| d.id == document_id && d.status == DocumentStatus::Uploaded)
            .map(|d| (d, object_key(claim.id, document_id)))
            .ok_or(DocumentError::DocumentNotFound)
    }

    /// Storage reports an object created under `key`, at `version` when its notification
    /// names one: it counts as its document if its real size and type are those declared and
    /// the claim is not final, recorded with its version and SHA-256; otherwise that version is
    /// deleted and the document stays pending. Reporting the same arrival again changes
    /// nothing, and so does any object put under the key of a counted document: the counted
    /// version is never replaced nor deleted.
    pub async fn arrived(
        &self,
        key: &str,
        version: Option<&str>,
        objects: &dyn DocumentObjects,
    ) -> Result<Arrival, Unavailable> {
        let Some((claim_id, document_id)) = parse_object_key(key) else {
            // Not a key the service hands out: nothing of ours to record or delete.
            tracing::warn!("an object was created under a key the service never chose");
            return Ok(Arrival::Unknown);
        };
        until_settled("the claim", move || async move {
            let Some((claim, _, documents)) = self.documents.claim_with_documents(claim_id).await?
            else {
                objects.delete(key, version).await?;
                tracing::warn!(claim_id = %claim_id, "an object arrived for no stored claim: deleted");
                return Ok(Settled(Arrival::Unknown));
            };
            let Some(document) = documents.into_iter().find(|d| d.id == document_id) else {
                // Never declared, removed by its partner, or expired and its place taken: no
                // record, so nothing counted under this key.
                objects.delete(key, version).await?;
                tracing::warn!(claim_id = %claim_id, document_id = %document_id, "an object arrived for no declared document: deleted");
                return Ok(Settled(Arrival::Unknown));
            };
            if document.status == DocumentStatus::Uploaded {
                let counted = document
                    .object
                    .as_ref()
                    .and_then(|o| o.version_id.as_deref());
                if version.is_some() && version != counted {
                    // The upload link refuses to write over an object, so this came another
                    // way; whatever it is, the document stays at the version that counted.
                    tracing::warn!(claim_id = %claim_id, document_id = %document_id, "another object put under a counted document's key: ignored");
                }
                return Ok(Settled(Arrival::AlreadyCounted));
            }
            // A pending document counts even after its upload link expired, as long as its
            // record stands (storage took the bytes while the link worked; the record still
            // holds its place among the ten).
            let Some(object) = objects.inspect(key, version).await? else {
                return Ok(Settled(Arrival::Gone));
            };
            let refusal = match document.check_arrival(object.size, &object.first_bytes) {
                Err(refused) => Some(refused.to_string()),
                Ok(()) if claim.status().is_final() => {
                    Some(format!("the claim is already {}", claim.status()))
                }
                Ok(()) => None,
            };
            if let Some(why) = refusal {
                objects
                    .delete(key, object.version_id.as_deref().or(version))
                    .await?;
                tracing::warn!(claim_id = %claim_id, document_id = %document_id, reason = %why, "upload refused and deleted; the document stays pending");
                return Ok(Settled(Arrival::Refused(why)));
            }
            let Some(sha256) = object.sha256 else {
                return Err(Unavailable(
                    "storage gave an object of the declared size without its checksum".into(),
                ));
            };
            let counted = CountedObject {
                version_id: object.version_id,
                sha256: Some(sha256),
            };
            let transition = claim
                .add_document(self.clock.now(), &document)
                .map_err(|e| Unavailable(format!("the claim refused its document: {e}")))?;
            match self
                .documents
                .mark_uploaded(&transition, document_id, &counted)
                .await
            {
                Ok(()) => {
                    tracing::info!(claim_id = %claim_id, document_id = %document_id, "document uploaded");
                    Ok(Settled(Arrival::Counted))
                }
                Err(MarkUploadedError::NotPending) => Ok(Settled(Arrival::AlreadyCounted)),
                Err(MarkUploadedError::Conflict) => Ok(LostRace),
                Err(MarkUploadedError::Unavailable(e)) => Err(e),
            }
        })
        .await
    }
}
