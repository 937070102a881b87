//! What the domain needs from the outside world. The adapters crate implements these on
//! DynamoDB, SQS and SES; each function is handed only the ports it uses.

use crate::claim::{Claim, HistoryEntry, PartnerOfRecordLock, Period, Transition};
use crate::email::CustomerEmail;
use crate::idempotency::{IdempotencyKey, IdempotencyRecord};
use crate::ids::{ClaimId, PartnerId, TenantId};
use crate::listing::{ClaimPage, ListQuery, ReviewPosition, ReviewQuery};
use crate::reference::{EndedSubscription, PartnerRecord, TenantRecord};
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

/// A failure of a dependency that a caller may retry later (throttling, a 5xx, a time-out).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unavailable(pub String);

/// Why a conditional change was not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// The stored claim is no longer the one the change was computed from.
    #[error("the claim changed meanwhile")]
    Conflict,
    /// The change takes the claim's unit back, and another claim holds it now.
    #[error("another claim holds the tenant and workload")]
    UnitHeld,
    /// The store could not be reached.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// What a submission is checked against, read in one round trip.
#[derive(Debug, Clone, Default)]
pub struct SubmissionContext {
    /// The caller's partner record.
    pub partner: Option<PartnerRecord>,
    /// The claimed tenant.
    pub tenant: Option<TenantRecord>,
    /// A previous use of the request's idempotency key, by the same partner.
    pub prior: Option<IdempotencyRecord>,
}

/// Which claim holds a partner-of-record lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    /// The holding claim.
    pub claim_id: ClaimId,
    pub partner_id: PartnerId,
}

/// Why a new claim was not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateError {
    /// Another active claim holds the tenant+workload.
    #[error("the tenant and workload are held by claim {}", .0.claim_id)]
    LockHeld(LockHolder),
    /// The partner already contests the tenant+workload with this claim.
    #[error("the partner already contests the tenant and workload with claim {0}")]
    AlreadyContesting(ClaimId),
    /// A concurrent request with the same idempotency key was stored first.
    #[error("the idempotency key was used meanwhile")]
    KeyTaken,
    /// The contested claim changed between its read and the contest's write: read it again.
    #[error("the contested claim changed meanwhile")]
    HolderChanged,
    /// The store could not be reached.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// Storage for submissions.
#[async_trait]
pub trait SubmissionStore: Send + Sync {
    /// Reads the partner, the tenant and the prior use of the key, in one round trip.
    async fn submission_context(
        &self,
        partner_id: &PartnerId,
        tenant_id: &TenantId,
        key: Option<&IdempotencyKey>,
    ) -> Result<SubmissionContext, Unavailable>;

    /// Stores a new claim, its first history entries (its submission, and its approval under
    /// the automatic review policy), its partner-of-record lock and the idempotency record, all
    /// or nothing. A `contested` claim takes no lock: it records instead that its partner
    /// contests the unit, which a partner may do with one claim at a time; an ordinary claim is
    /// refused while its partner contests the unit. `told` is the contested claim's change
    /// recording the contest (`contest_received`), in the same write, if that claim still has
    /// the expected version and status (else [`CreateError::HolderChanged`]).
    async fn create_claim(
        &self,
        claim: &Claim,
        entries: &[HistoryEntry],
        idempotency: Option<&IdempotencyRecord>,
        told: Option<&Transition>,
    ) -> Result<(), CreateError>;

    /// The claim holding a unit, read to tell it of a contest.
    async fn held_claim(&self, id: ClaimId) -> Result<Option<Claim>, Unavailable>;
}

/// Reading and changing stored claims.
#[async_trait]
pub trait ClaimRepository: Send + Sync {
    async fn claim(&self, id: ClaimId) -> Result<Option<Claim>, Unavailable>;

    /// One entry of a claim's history, by its sequence.
    async fn history_entry(
        &self,
        id: ClaimId,
        sequence: u32,
    ) -> Result<Option<HistoryEntry>, Unavailable>;

    /// One claim with its history, oldest first.
    async fn claim_with_history(
        &self,
        id: ClaimId,
    ) -> Result<Option<(Claim, Vec<HistoryEntry>)>, Unavailable>;

    /// A page of a partner's claims, newest first.
    async fn list_claims(
        &self,
        partner_id: &PartnerId,
        query: &ListQuery,
    ) -> Result<ClaimPage, Unavailable>;

    /// Applies a transition if the stored claim still has the expected version and status:
    /// the claim, its history entry, and the release of its lock, all or nothing.
    async fn apply(&self, transition: &Transition) -> Result<(), ApplyError>;

    /// Applies an arbitration, all or nothing: `award` (a contest approved) and `loss` (the
    /// holder's claim superseded), each if its stored claim still has the expected version and
    /// status, and the lock handed from the loser to the winner.
    async fn apply_arbitration(
        &self,
        award: &Transition,
        loss: &Transition,
    ) -> Result<(), ApplyError>;
}

/// The directory's tenants, read where a claim's customer contact is checked after its
/// submission (a correction).
#[async_trait]
pub trait TenantDirectory: Send + Sync {
    async fn tenant(&self, id: TenantId) -> Result<Option<TenantRecord>, Unavailable>;
}

/// One notification of a claim (its [`crate::claim::Notice`] number): what the record of
/// sends is kept per, so that a corrected contact is e-mailed although an earlier notification
/// went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NoticeRef {
    pub claim_id: ClaimId,
    pub number: u32,
}

impl NoticeRef {
    /// The notification in force of `claim`.
    pub fn of(claim: &crate::claim::Claim) -> Self {
        Self {
            claim_id: claim.id,
            number: claim.notice.number,
        }
    }
}

/// The mail service's feedback, recorded against the notification it is about.
#[async_trait]
pub trait MailFeedbackLedger: Send + Sync {
    /// The notification a sent e-mail was, from the message id the mail service gave it: what
    /// its feedback names. `None` for a message the service did not record (another sender's,
    /// or one sent before message ids were recorded).
    async fn notice_of(&self, message_id: &str) -> Result<Option<NoticeRef>, Unavailable>;

    /// Records that the mail service sent `message_id` as `notice` (a second id for one notice
    /// too: an operator's confirmation, then SES's own word), so that its feedback finds it.
    async fn record_message(&self, message_id: &str, notice: NoticeRef) -> Result<(), Unavailable>;

    /// Keeps a report on a message not (yet) recorded, received `at`, for a while
    /// ([`crate::usecase::feedback::UNMATCHED_KEPT`]): the send it is about may be recorded
    /// after it arrived.
    async fn keep_unmatched(
        &self,
        report: &crate::usecase::feedback::FeedbackReport,
        at: DateTime<Utc>,
    ) -> Result<(), Unavailable>;

    /// The reports kept on `message_id` while it was not recorded, received after `since`.
    async fn unmatched(
        &self,
        message_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<crate::usecase::feedback::FeedbackReport>, Unavailable>;

    /// Applies the transition recording feedback `feedback_id` (the mail service's own id of
    /// the report), once: a report delivered again is [`FeedbackRecordError::AlreadyRecorded`].
    async fn record_feedback(
        &self,
        transition: &Transition,
        feedback_id: &str,
    ) -> Result<(), FeedbackRecordError>;
}

/// Why feedback was not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedbackRecordError {
    /// This report was recorded before.
    #[error("the report was recorded before")]
    AlreadyRecorded,
    /// The claim changed meanwhile.
    #[error("the claim changed meanwhile")]
    Conflict,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// Who an e-mail that follows a claim's event goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventMailRecipient {
    /// The partner contact, told of the event.
    Partner,
    /// The customer contact, told that the association is official.
    Customer,
    /// The customer contact who had received the notification that a correction moved to
    /// another address, told of the change.
    EarlierContact,
}

/// One e-mail that follows a claim's event: what its record of sends is kept per, so that a
/// redelivered event sends no second one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventMailRef {
    pub claim_id: ClaimId,
    /// The event's history sequence.
    pub sequence: u32,
    pub recipient: EventMailRecipient,
}

/// One message the service sends at most once: what the ledger of sends keeps one record per.
/// Another kind of message joins as another variant, under the same rules and the same
/// ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendRef {
    /// A customer's notification of a claim.
    Notice(NoticeRef),
    /// An e-mail that follows a claim's event, to one recipient.
    EventMail(EventMailRef),
}

impl SendRef {
    /// The claim the message is about.
    pub fn claim_id(&self) -> ClaimId {
        match self {
            Self::Notice(notice) => notice.claim_id,
            Self::EventMail(mail) => mail.claim_id,
        }
    }
}

/// As the log lines name a send: `notice 2`, `partner e-mail of event 7`.
impl std::fmt::Display for SendRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Notice(notice) => write!(f, "notice {}", notice.number),
            Self::EventMail(mail) => {
                let recipient = match mail.recipient {
                    EventMailRecipient::Partner => "partner",
                    EventMailRecipient::Customer => "customer",
                    EventMailRecipient::EarlierContact => "earlier contact",
                };
                write!(f, "{recipient} e-mail of event {}", mail.sequence)
            }
        }
    }
}

impl From<NoticeRef> for SendRef {
    fn from(notice: NoticeRef) -> Self {
        Self::Notice(notice)
    }
}

impl From<EventMailRef> for SendRef {
    fn from(mail: EventMailRef) -> Self {
        Self::EventMail(mail)
    }
}

/// Whether a worker may send a message now ([`SendLedger::acquire`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendLease {
    /// This worker may send it now.
    Acquired,
    /// It was sent at this time.
    AlreadySent { sent_at: DateTime<Utc> },
    /// Another worker is sending it, and its lease is still running.
    HeldElsewhere,
    /// An earlier attempt may have sent it (its worker stopped, or the mail service's answer was
    /// lost): it is held since `since`, never sent again by itself; `releases` counts the
    /// attempts released so far ([`SendLedger::retry_held`]). Whether it is ever released is
    /// its use case's policy ([`crate::usecase::send::WhenUnknown`]).
    Held { since: DateTime<Utc>, releases: u32 },
    /// The mail service refused the address for good.
    Rejected,
}

/// What the ledger holds of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendEntry {
    /// `owner` may be sending it until `until`; `releases` held sends were released before.
    Leased {
        owner: String,
        until: DateTime<Utc>,
        releases: u32,
    },
    /// It went out at `at`, as the mail service's `message_id` (`None` on a record older than
    /// message ids).
    Sent {
        at: DateTime<Utc>,
        message_id: Option<String>,
    },
    /// Whether it went out is unknown: held since `since`, after `releases` releases.
    Held { since: DateTime<Utc>, releases: u32 },
    /// The mail service refused the address for good, for `reason` (addresses masked).
    Rejected { reason: String },
}

impl SendEntry {
    /// What [`SendLedger::acquire`] answers `owner` at `now` when the ledger holds this entry.
    /// A lease that ran out is an attempt whose outcome is unknown: it answers
    /// [`SendLease::Held`] since the lease's end, and the ledger writes that hold in the same
    /// step, never handing the send to another worker.
    pub fn on_acquire(&self, owner: &str, now: DateTime<Utc>) -> SendLease {
        match self {
            // A retried acquire whose first answer was lost.
            Self::Leased { owner: holder, .. } if holder == owner => SendLease::Acquired,
            Self::Leased { until, .. } if *until >= now => SendLease::HeldElsewhere,
            Self::Leased {
                until, releases, ..
            } => SendLease::Held {
                since: *until,
                releases: *releases,
            },
            Self::Sent { at, .. } => SendLease::AlreadySent { sent_at: *at },
            Self::Held { since, releases } => SendLease::Held {
                since: *since,
                releases: *releases,
            },
            Self::Rejected { .. } => SendLease::Rejected,
        }
    }
}

/// The ledger of sends: what keeps each message ([`SendRef`]) from going out twice. A worker
/// takes a lease while it sends, then records the send, or the mail service's refusal; when
/// whether it went out is unknown, the send is held, never sent again by itself
/// ([`crate::usecase::send`] has the sequence, and each use case's policy for a held send).
#[async_trait]
pub trait SendLedger: Send + Sync {
    /// Takes the right to send `key` until `lease_until`, for `owner` (a value unique to this
    /// attempt), unless it was sent, refused, held, or another worker's lease is still running
    /// ([`SendEntry::on_acquire`]).
    async fn acquire(
        &self,
        key: SendRef,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<SendLease, Unavailable>;

    /// Gives `owner`'s lease back after a failed attempt, so that a retry may send at once;
    /// another owner's lease, or a send that has moved on, is left alone.
    async fn release(&self, key: SendRef, owner: &str) -> Result<(), Unavailable>;

    /// Holds `owner`'s send since `since`: the mail service may have sent it. The count of
    /// releases is kept. (`cpor-ops resend --confirm-unsent` lifts a notification's hold by
    /// hand.)
    async fn hold(
        &self,
        key: SendRef,
        owner: &str,
        since: DateTime<Utc>,
    ) -> Result<(), Unavailable>;

    /// Takes a send held since `since` for one more attempt by `owner` until `lease_until`,
    /// counting the release; false when it is no longer that hold (settled, or taken by another
    /// worker).
    async fn retry_held(
        &self,
        key: SendRef,
        since: DateTime<Utc>,
        owner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, Unavailable>;

    /// Records that the mail service refused `owner`'s send for good, and why.
    async fn record_rejected(
        &self,
        key: SendRef,
        owner: &str,
        reason: &str,
    ) -> Result<(), Unavailable>;

    /// Records the send, whoever holds it; with a transition, applies it in the same write. A
    /// customer's notification's message id is recorded for its feedback too
    /// ([`MailFeedbackLedger::notice_of`]).
    async fn record_sent(
        &self,
        key: SendRef,
        sent_at: DateTime<Utc>,
        message_id: &str,
        transition: Option<&Transition>,
    ) -> Result<(), ApplyError>;

    /// What the ledger holds of `key`; `None` when no attempt was made (or its lease was given
    /// back).
    async fn entry(&self, key: SendRef) -> Result<Option<SendEntry>, Unavailable>;

    /// The message id of `key`'s recorded send, if it is recorded as sent with one.
    async fn sent_message(&self, key: SendRef) -> Result<Option<String>, Unavailable> {
        Ok(match self.entry(key).await? {
            Some(SendEntry::Sent { message_id, .. }) => message_id,
            Some(
                SendEntry::Leased { .. } | SendEntry::Held { .. } | SendEntry::Rejected { .. },
            )
            | None => None,
        })
    }
}

/// The associations' effective periods, kept beside their units.
#[async_trait]
pub trait PartnersOfRecord: Send + Sync {
    /// The association effective for `unit` at `at` ([`crate::claim::covering`]), read in one
    /// request however long the unit's history.
    async fn partner_of_record(
        &self,
        unit: &PartnerOfRecordLock,
        at: DateTime<Utc>,
    ) -> Result<Option<Period>, Unavailable>;
}

/// The ends of subscriptions the directory recorded (at each import), kept until the nightly run
/// applies them, and the locks that name each unit's holder.
#[async_trait]
pub trait SubscriptionEnds: Send + Sync {
    /// The ends at or before `now` not yet applied, oldest first.
    async fn ends_due(&self, now: DateTime<Utc>) -> Result<Vec<EndedSubscription>, Unavailable>;
    /// The claim holding `unit`, if one does.
    async fn holder(&self, unit: &PartnerOfRecordLock) -> Result<Option<ClaimId>, Unavailable>;
    /// Forgets `end`, applied.
    async fn applied(&self, end: &EndedSubscription) -> Result<(), Unavailable>;
}

/// Pages of claims whose nightly deadline passed, as the due index holds them: whole claims,
/// so that the nightly run builds each transition without reading the claim again.
pub type DuePages<'a> = futures::stream::BoxStream<'a, Result<Vec<Claim>, Unavailable>>;

/// The claims whose nightly deadlines pass, without scanning the table.
pub trait DueIndex: Send + Sync {
    /// Every claim whose nightly deadline is before `now`, a page at a time, read as the stream
    /// is polled: the nightly run writes the first page while the next is read, and never holds
    /// the whole list. The index may lag the table: each claim is written on the condition of
    /// the version read here.
    fn due_pages(&self, now: DateTime<Utc>) -> DuePages<'_>;
}

/// A page of the review queue, oldest entry into review first, and where the next page
/// starts (after the last claim of the page, or after the last claim read when the request's
/// read budget ran out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewPage {
    pub items: Vec<Claim>,
    pub next: Option<ReviewPosition>,
}

/// The vendor's review queue, without scanning the table.
#[async_trait]
pub trait ReviewQueue: Send + Sync {
    /// A page of the claims in review in `query.statuses` (and program), oldest entry first.
    async fn review_page(&self, query: &ReviewQuery) -> Result<ReviewPage, Unavailable>;
}

/// The queue of claims whose customers are to be notified.
#[async_trait]
pub trait NotificationQueue: Send + Sync {
    /// Queues the notification of a claim.
    async fn enqueue(&self, claim_id: ClaimId) -> Result<(), Unavailable>;

    /// Queues the notification of a claim to be looked at again after `delay` (a held send's
    /// re-check; the queue may deliver it sooner when it cannot wait that long, and the use
    /// case then queues it again).
    async fn enqueue_after(&self, claim_id: ClaimId, delay: TimeDelta) -> Result<(), Unavailable>;
}

/// Why an e-mail was not (known to be) sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The mail service refused the request before sending anything (throttling, a paused
    /// account, a configuration fault): it may be tried again.
    #[error(transparent)]
    NotSent(Unavailable),
    /// The mail service refuses this message for good (an address it will not deliver to).
    #[error("the message was rejected: {0}")]
    Rejected(String),
    /// The request may have reached the mail service and the e-mail may have gone out (a
    /// time-out, a broken connection, a lost answer): trying again could send it twice.
    #[error("the message may or may not have been sent: {0}")]
    OutcomeUnknown(String),
}

/// Sends e-mail.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends a message; returns the provider's message id.
    async fn send(&self, email: &CustomerEmail) -> Result<String, SendError>;

    /// Sends a customer's notification, tagged with `notice` so that the mail service's own
    /// events about it (its `Send` event) name the notification; returns the message id.
    async fn send_notice(
        &self,
        email: &CustomerEmail,
        notice: NoticeRef,
    ) -> Result<String, SendError> {
        let _ = notice;
        self.send(email).await
    }
}

/// The names of the message tags a customer's notification carries.
pub mod tags {
    /// The claim's id.
    pub const CLAIM_ID: &str = "claim_id";
    /// The notification's number ([`super::NoticeRef::number`]).
    pub const NOTICE: &str = "notice";
}

/// Why a pending document was not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddDocumentError {
    /// The claim has its [`crate::document::MAX_DOCUMENTS`] already.
    #[error("the claim has the most documents it may have")]
    TooMany,
    /// A document to drop changed meanwhile (uploaded, removed, dropped by another request):
    /// decide again on what is stored now.
    #[error("the claim's documents changed meanwhile")]
    Conflict,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// Why an upload was not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkUploadedError {
    /// The claim changed meanwhile: decide again on what is stored now.
    #[error("the claim changed meanwhile")]
    Conflict,
    /// The document is no longer pending: the same arrival was recorded already.
    #[error("the document is not pending")]
    NotPending,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// A claim as its documents' use cases read it: with its history and its documents.
pub type ClaimWithDocuments = (Claim, Vec<HistoryEntry>, Vec<crate::document::Document>);

/// Storage of claims' documents (their records: the bytes are in [`DocumentObjects`]).
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// A claim with its history (oldest first) and its documents (oldest first), in one read.
    async fn claim_with_documents(
        &self,
        id: ClaimId,
    ) -> Result<Option<ClaimWithDocuments>, Unavailable>;

    /// Stores a pending document of a claim, unless the claim has its most documents already
    /// (counted in the same write, so concurrent requests cannot pass the limit together).
    /// The records of `dropping` (expired pending documents) are removed in the same write,
    /// each only if still pending, and no longer count.
    async fn add_pending(
        &self,
        claim_id: ClaimId,
        document: &crate::document::Document,
        dropping: &[crate::document::DocumentId],
    ) -> Result<(), AddDocumentError>;

    /// Removes a pending document's record, if it is still pending; it no longer counts.
    async fn remove_pending(
        &self,
        claim_id: ClaimId,
        document_id: crate::document::DocumentId,
    ) -> Result<(), RemoveDocumentError>;

    /// Applies the claim's `document_added` transition and marks the document uploaded at the
    /// transition's time, with the version and checksum of the bytes that counted, all or
    /// nothing, if the document is still pending.
    async fn mark_uploaded(
        &self,
        transition: &Transition,
        document_id: crate::document::DocumentId,
        object: &crate::document::CountedObject,
    ) -> Result<(), MarkUploadedError>;
}

/// Why a pending document was not removed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoveDocumentError {
    /// No pending document has this id (any more): it was uploaded or removed meanwhile.
    #[error("the document is not pending")]
    NotPending,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// What storage knows of an arrived object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrivedObject {
    /// Its real size, in bytes.
    pub size: u64,
    /// Its first [`crate::document::SNIFF_BYTES`] bytes (fewer if it is shorter).
    pub first_bytes: Vec<u8>,
    /// Storage's version id of these bytes (`None` where storage keeps no versions).
    pub version_id: Option<String>,
    /// The SHA-256 of all its bytes, lowercase hexadecimal (`None` when it was too large to
    /// be read: it never counts then).
    pub sha256: Option<String>,
}

/// The documents' bytes, in storage.
#[async_trait]
pub trait DocumentObjects: Send + Sync {
    /// What arrived under `key`, at `version` (storage's notification names it) or else the
    /// current one; `None` when nothing is there (deleted already).
    async fn inspect(
        &self,
        key: &str,
        version: Option<&str>,
    ) -> Result<Option<ArrivedObject>, Unavailable>;

    /// Deletes `version` of `key` for good (or, without a version, what is under `key`);
    /// nothing there is fine.
    async fn delete(&self, key: &str, version: Option<&str>) -> Result<(), Unavailable>;
}

/// The service's event bus (EventBridge's `PutEvents`).
#[async_trait]
pub trait EventBus: Send + Sync {
    /// Puts `events` (at most [`crate::events::MAX_ENTRIES_PER_CALL`]) on the bus in one call.
    /// The answer has one element per event, in order: `None` when it was accepted, or why it
    /// was refused; `Err` when the call failed as a whole.
    async fn put(
        &self,
        events: &[crate::events::ClaimEvent],
    ) -> Result<Vec<Option<String>>, Unavailable>;
}

/// The subject of a claim, for history entries stored without it.
#[async_trait]
pub trait SubjectLookup: Send + Sync {
    /// `None` when no such claim is stored.
    async fn subject_of(
        &self,
        claim: ClaimId,
    ) -> Result<Option<crate::events::EventSubject>, Unavailable>;
}
