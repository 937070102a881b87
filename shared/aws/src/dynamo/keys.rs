//! Every key of the table, defined once: the partition and sort keys of each kind of item, and
//! the values of the index attributes that place a claim in an index.

use crate::schema::{DUE_SHARDS, PK, SK};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use cpor_domain::batch::BatchId;
use cpor_domain::claim::{ClaimStatus, NightlyDeadline, PartnerOfRecordLock};
use cpor_domain::document::DocumentId;
use cpor_domain::export::{ExportId, Month};
use cpor_domain::ids::{ClaimId, PartnerId, TenantId};
use cpor_domain::ports::{EventMailRecipient, EventMailRef, NoticeRef, SendRef};
use cpor_domain::reference::EndedSubscription;
use cpor_domain::time::format_instant;
use cpor_domain::webhook::endpoint::WebhookId;
use std::collections::HashMap;

/// The sort key of each kind of item (history entries: [`EVENT_PREFIX`] and a sequence).
pub(super) mod sk {
    pub const CLAIM: &str = "CLAIM";
    pub const NOTIFICATION: &str = "NOTIFICATION";
    pub const MESSAGE: &str = "MESSAGE";
    pub const LOCK: &str = "LOCK";
    pub const CONTEST: &str = "CONTEST";
    pub const IDEMPOTENCY: &str = "IDEMPOTENCY";
    pub const PARTNER: &str = "PARTNER";
    pub const TENANT: &str = "TENANT";
    /// A claim's count of documents.
    pub const DOCUMENTS: &str = "DOCUMENTS";
    pub const EXPORT: &str = "EXPORT";
    /// A claim batch's header.
    pub const BATCH: &str = "BATCH";
    /// A claim batch's idempotency record.
    pub const BATCH_KEY: &str = "BATCH_KEY";
}

const CLAIM_PREFIX: &str = "CLAIM#";
const EXPORT_PREFIX: &str = "EXPORT#";
const LEDGER_PREFIX: &str = "LEDGER#";
/// What a period's `ledger_sk` starts with while it lasts: after every instant.
pub const OPEN_PERIOD: &str = "~";
const BATCH_PREFIX: &str = "BATCH#";
/// A chunk's row results, by the chunk's last row (five digits: the chunks sort in row order).
const CHUNK_PREFIX: &str = "CHUNK#";
const BATCH_KEY_PREFIX: &str = "BATCH_KEY#";
pub const EVENT_PREFIX: &str = "EVENT#";
const LOCK_PREFIX: &str = "LOCK#";
/// The subscriptions' ends the directory recorded, until the nightly run applies them.
const SUBSCRIPTION_ENDS: &str = "SUBSCRIPTION_ENDS";
/// A unit's partition of association periods.
const UNIT_PREFIX: &str = "UNIT#";
const PERIOD_PREFIX: &str = "PERIOD#";
/// Sorts after every instant and claim id: an open period's end in the ledger index, and the
/// bound that takes in every period beginning at an instant.
const AFTER_ALL: &str = OPEN_PERIOD;
const CONTEST_PREFIX: &str = "CONTEST#";
const IDEMPOTENCY_PREFIX: &str = "IDEMPOTENCY#";
const PARTNER_PREFIX: &str = "PARTNER#";
const TENANT_PREFIX: &str = "TENANT#";
const DUE_PREFIX: &str = "DUE#";
const DOCUMENT_PREFIX: &str = "DOC#";
const MESSAGE_PREFIX: &str = "MESSAGE#";
const UNMATCHED_PREFIX: &str = "UNMATCHED#";
const REPORT_PREFIX: &str = "REPORT#";
const FEEDBACK_PREFIX: &str = "FEEDBACK#";
/// The partner's e-mail of a claim's event.
const PARTNER_EMAIL_PREFIX: &str = "PARTNER_EMAIL#";
/// The customer's e-mail that the association is official (its `associated` event's).
const OFFICIAL_EMAIL_PREFIX: &str = "OFFICIAL_EMAIL#";
/// The record of the e-mail telling an earlier customer contact that a correction moved the
/// notification (by the correction's sequence).
const CONTACT_MOVED_EMAIL_PREFIX: &str = "CONTACT_MOVED_EMAIL#";

/// The primary key of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ItemKey {
    pub pk: String,
    pub sk: String,
}

impl ItemKey {
    fn new(pk: String, sk: impl Into<String>) -> Self {
        Self { pk, sk: sk.into() }
    }

    /// The key as the attributes of an item or a `Key` parameter.
    pub fn attributes(&self) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (PK.to_owned(), AttributeValue::S(self.pk.clone())),
            (SK.to_owned(), AttributeValue::S(self.sk.clone())),
        ])
    }
}

/// The partition of a claim: its item, its history and its notification record.
pub(super) fn claim_partition(id: ClaimId) -> String {
    format!("{CLAIM_PREFIX}{id}")
}

/// The claim whose partition `pk` is.
pub(super) fn claim_of_partition(pk: &str) -> Option<ClaimId> {
    pk.strip_prefix(CLAIM_PREFIX).and_then(ClaimId::parse)
}

pub(super) fn claim(id: ClaimId) -> ItemKey {
    ItemKey::new(claim_partition(id), sk::CLAIM)
}

/// A history entry: its sort key orders the history (six digits: a million entries).
pub(super) fn event(id: ClaimId, sequence: u32) -> ItemKey {
    ItemKey::new(claim_partition(id), format!("{EVENT_PREFIX}{sequence:06}"))
}

/// True for the sort key of a history entry.
pub(super) fn is_event(sk: &str) -> bool {
    sk.starts_with(EVENT_PREFIX)
}

/// A document of a claim, in the claim's partition (its one query reads them with the claim).
pub(super) fn document(id: ClaimId, document: DocumentId) -> ItemKey {
    ItemKey::new(claim_partition(id), format!("{DOCUMENT_PREFIX}{document}"))
}

/// True for the sort key of a document.
pub(super) fn is_document(sk: &str) -> bool {
    sk.starts_with(DOCUMENT_PREFIX)
}

/// A claim's count of documents: an item of its own, since the claim's item is written whole
/// by every transition.
pub(super) fn document_count(id: ClaimId) -> ItemKey {
    ItemKey::new(claim_partition(id), sk::DOCUMENTS)
}

/// The record of one message's send ([`SendRef`]), in its claim's partition.
pub(super) fn send(key: SendRef) -> ItemKey {
    match key {
        SendRef::Notice(notice) => notification(notice),
        SendRef::EventMail(mail) => event_mail(mail),
    }
}

/// The record of one notification's send. The first keeps the key it had before
/// notifications were counted.
pub(super) fn notification(notice: NoticeRef) -> ItemKey {
    let sk = match notice.number {
        1 => sk::NOTIFICATION.to_owned(),
        n => format!("{}#{n}", sk::NOTIFICATION),
    };
    ItemKey::new(claim_partition(notice.claim_id), sk)
}

/// A report of the mail service (its feedback id) recorded on a claim, in the claim's
/// partition.
pub(super) fn feedback(id: ClaimId, feedback_id: &str) -> ItemKey {
    ItemKey::new(
        claim_partition(id),
        format!("{FEEDBACK_PREFIX}{feedback_id}"),
    )
}

/// The record of an e-mail that follows a claim's event, in the claim's partition, by the
/// event's sequence (six digits, as the history's).
pub(super) fn event_mail(mail: EventMailRef) -> ItemKey {
    let prefix = match mail.recipient {
        EventMailRecipient::Partner => PARTNER_EMAIL_PREFIX,
        EventMailRecipient::Customer => OFFICIAL_EMAIL_PREFIX,
        EventMailRecipient::EarlierContact => CONTACT_MOVED_EMAIL_PREFIX,
    };
    ItemKey::new(
        claim_partition(mail.claim_id),
        format!("{prefix}{:06}", mail.sequence),
    )
}

/// What an e-mail the mail service sent was (a claim's notification): the mail service's
/// feedback names only its message id.
pub(super) fn message(message_id: &str) -> ItemKey {
    ItemKey::new(format!("{MESSAGE_PREFIX}{message_id}"), sk::MESSAGE)
}

/// The partition of the reports on a message not recorded when they arrived.
pub(super) fn unmatched_partition(message_id: &str) -> String {
    format!("{UNMATCHED_PREFIX}{message_id}")
}

/// One report on a message not recorded when it arrived.
pub(super) fn unmatched(message_id: &str, feedback_id: &str) -> ItemKey {
    ItemKey::new(
        unmatched_partition(message_id),
        format!("{REPORT_PREFIX}{feedback_id}"),
    )
}

pub(super) fn lock(lock: &PartnerOfRecordLock) -> ItemKey {
    ItemKey::new(format!("{LOCK_PREFIX}{}", lock.as_str()), sk::LOCK)
}

/// The recorded end of a subscription: in one partition, by when it ended.
pub(super) fn subscription_end(end: &EndedSubscription) -> ItemKey {
    ItemKey::new(
        SUBSCRIPTION_ENDS.to_owned(),
        format!(
            "{}#{}#{}",
            format_instant(end.ended_at),
            end.tenant_id,
            end.subscription_id
        ),
    )
}

/// The partition of the subscriptions' ends.
pub(super) fn subscription_ends() -> &'static str {
    SUBSCRIPTION_ENDS
}

/// The greatest sort key of a subscription's end at or before `at`.
pub(super) fn subscription_ends_until(at: DateTime<Utc>) -> String {
    format!("{}#{AFTER_ALL}", format_instant(at))
}

/// The period of `claim`'s association with the unit of `lock`, which began at `from`: the
/// unit's periods sort by their beginning.
pub(super) fn period(lock: &PartnerOfRecordLock, from: DateTime<Utc>, claim: ClaimId) -> ItemKey {
    ItemKey::new(
        unit_partition(lock),
        format!("{PERIOD_PREFIX}{}#{claim}", format_instant(from)),
    )
}

/// The partition of the unit of `lock`'s periods.
pub(super) fn unit_partition(lock: &PartnerOfRecordLock) -> String {
    format!("{UNIT_PREFIX}{}", lock.as_str())
}

/// The greatest sort key of a period that began at or before `at`.
pub(super) fn periods_until(at: DateTime<Utc>) -> String {
    format!("{PERIOD_PREFIX}{}#{AFTER_ALL}", format_instant(at))
}

/// A partner's contest of the unit of `lock`, naming the contested claim: one per partner and
/// unit at a time.
pub(super) fn contest(lock: &PartnerOfRecordLock, partner_id: &PartnerId) -> ItemKey {
    ItemKey::new(
        format!("{CONTEST_PREFIX}{}#{partner_id}", lock.as_str()),
        sk::CONTEST,
    )
}

/// True for the partition key of a partner-of-record lock.
pub fn is_lock_partition(pk: &str) -> bool {
    pk.starts_with(LOCK_PREFIX)
}

pub(super) fn idempotency(partner_id: &PartnerId, key: &str) -> ItemKey {
    ItemKey::new(
        format!("{IDEMPOTENCY_PREFIX}{partner_id}#{key}"),
        sk::IDEMPOTENCY,
    )
}

/// A claim batch's header: its partner, its rows and its counts of results.
pub(super) fn batch(id: BatchId) -> ItemKey {
    ItemKey::new(format!("{BATCH_PREFIX}{id}"), sk::BATCH)
}

/// The results of a chunk whose last row is `last_row`, in its batch's partition (one query
/// reads them in row order).
pub(super) fn batch_chunk(id: BatchId, last_row: usize) -> ItemKey {
    ItemKey::new(
        format!("{BATCH_PREFIX}{id}"),
        format!("{CHUNK_PREFIX}{last_row:05}"),
    )
}

/// What a batch's `Idempotency-Key` opened (its own partition: the batch's id is not known
/// from the key).
pub(super) fn batch_key(partner_id: &PartnerId, key: &str) -> ItemKey {
    ItemKey::new(
        format!("{BATCH_KEY_PREFIX}{partner_id}#{key}"),
        sk::BATCH_KEY,
    )
}

pub(super) fn partner(id: &PartnerId) -> ItemKey {
    ItemKey::new(format!("{PARTNER_PREFIX}{id}"), sk::PARTNER)
}

/// An export's record.
pub(super) fn export(id: ExportId) -> ItemKey {
    ItemKey::new(format!("{EXPORT_PREFIX}{id}"), sk::EXPORT)
}

/// The ledger index's partition of the periods of `program` that started in `month`.
pub fn ledger_partition(program: &str, month: Month) -> String {
    format!("{LEDGER_PREFIX}{program}#{month}")
}

/// The ledger index's sort key of a period: its end (or [`OPEN_PERIOD`]), then its claim.
pub fn ledger_position(until: Option<DateTime<Utc>>, claim_id: &str) -> String {
    match until {
        Some(until) => format!("{}#{claim_id}", format_instant(until)),
        None => format!("{OPEN_PERIOD}#{claim_id}"),
    }
}

/// The ledger sort key after which lie the periods not ended by `at`: every period that ended
/// at `at` or before sorts below it (`<at>#<claim id>`: a claim id's characters sort below
/// `~`), every later or open one above.
pub fn ledger_not_ended_by(at: DateTime<Utc>) -> String {
    format!("{}#{OPEN_PERIOD}", format_instant(at))
}

pub(super) fn tenant(id: TenantId) -> ItemKey {
    ItemKey::new(format!("{TENANT_PREFIX}{id}"), sk::TENANT)
}

/// The `by_partner` index's partition of a partner's claims.
pub(super) fn partner_listing(partner_id: &PartnerId) -> String {
    format!("{PARTNER_PREFIX}{partner_id}")
}

/// The `by_partner` index's sort key of a claim: its id (a ULID, so newest last).
pub(super) fn partner_listing_position(id: ClaimId) -> String {
    id.to_string()
}

/// The due index's partition of shard `shard`.
pub(super) fn due_shard(shard: u32) -> String {
    format!("{DUE_PREFIX}{shard}")
}

/// The due index's shard of a claim. The id's last characters are random: they spread claims
/// evenly over the shards.
pub(super) fn due_shard_of(id: ClaimId) -> String {
    let sum: u32 = id.to_string().bytes().rev().take(4).map(u32::from).sum();
    due_shard(sum % DUE_SHARDS)
}

/// The due index's sort key of a claim: its deadline, which deadline it is (an opt-out
/// window's has no mark, as before the review existed; a response's is marked), then its id.
/// Instants are written at a fixed width, so the keys sort in time order and `due_at < now`
/// selects what is due.
pub(super) fn due_at(deadline: NightlyDeadline, id: ClaimId) -> String {
    match deadline {
        NightlyDeadline::OptOut(at) => format!("{}#{id}", format_instant(at)),
        NightlyDeadline::Response(at) => format!("{}#{RESPONSE_MARK}#{id}", format_instant(at)),
        NightlyDeadline::Unreachable(at) => {
            format!("{}#{UNREACHABLE_MARK}#{id}", format_instant(at))
        }
    }
}

/// The mark of a response deadline in the due index.
const RESPONSE_MARK: &str = "response";
/// The mark of the end of the time to correct a bounced contact in the due index.
const UNREACHABLE_MARK: &str = "unreachable";

/// The review index's partition of the claims waiting for a reviewer's decision (submitted,
/// disputed, contested): the queue is read in order of entry into review.
pub(super) const REVIEW_QUEUE: &str = "REVIEW";
/// The review index's partition of the claims waiting for their partners' answers: apart, so
/// that reading the reviewers' queue (and counting its overdue claims) never reads past them.
pub(super) const REVIEW_AWAITING_PARTNER: &str = "REVIEW#information_requested";

/// The review index partition of a claim in review with status `status`: the reviewers'
/// queue, or apart while the claim waits for its partner's answer.
pub(super) fn review_partition(status: ClaimStatus) -> &'static str {
    if status.waits_for_a_decision() {
        REVIEW_QUEUE
    } else {
        REVIEW_AWAITING_PARTNER
    }
}

/// The review index's sort key of a claim: when it entered review, then its id.
pub(super) fn review_position(since: DateTime<Utc>, id: ClaimId) -> String {
    format!("{}#{id}", format_instant(since))
}

/// The bound of a due-index query: every key before it is due at `now`.
pub(super) fn due_before(now: DateTime<Utc>) -> String {
    format_instant(now)
}

/// A partner's webhook endpoints and their count: a partition of their own, not the partner's
/// (`PARTNER#`), so that the roles that keep endpoints reach no directory record (IAM's
/// `dynamodb:LeadingKeys` tells partitions apart, never sort keys).
const WEBHOOKS_PREFIX: &str = "WEBHOOKS#";
/// A partner's webhook endpoint, in its partner's endpoints' partition; also the partition of
/// the endpoint's deliveries and attempts.
const WEBHOOK_PREFIX: &str = "WEBHOOK#";
/// The count of a partner's webhook endpoints (the limit's guard).
const WEBHOOK_COUNT: &str = "COUNT";
/// A delivery round's attempts to an endpoint, in the endpoint's partition, by the round's
/// latest attempt.
const ATTEMPT_PREFIX: &str = "ATTEMPTS#";

/// The partition of a partner's webhook endpoints and their count.
pub(super) fn webhooks_partition(id: &PartnerId) -> String {
    format!("{WEBHOOKS_PREFIX}{id}")
}

/// The sort keys of a partner's endpoints begin so (and its count's does not: `COUNT`).
pub(super) const WEBHOOK_SK_PREFIX: &str = WEBHOOK_PREFIX;

/// A partner's webhook endpoint.
pub(super) fn webhook(partner: &PartnerId, id: WebhookId) -> ItemKey {
    ItemKey::new(webhooks_partition(partner), format!("{WEBHOOK_PREFIX}{id}"))
}

/// A partner's count of webhook endpoints.
pub(super) fn webhook_count(partner: &PartnerId) -> ItemKey {
    ItemKey::new(webhooks_partition(partner), WEBHOOK_COUNT)
}

/// The partner whose count of webhook endpoints is at `pk`/`sk`, if that is one.
pub(super) fn webhooks_partner<'a>(pk: &'a str, sk: &str) -> Option<&'a str> {
    pk.strip_prefix(WEBHOOKS_PREFIX)
        .filter(|_| sk == WEBHOOK_COUNT)
}

/// The partition of an endpoint's deliveries and attempts.
pub(super) fn webhook_partition(id: WebhookId) -> String {
    format!("{WEBHOOK_PREFIX}{id}")
}

/// The sort keys of an endpoint's attempt log begin so (then the round's latest instant).
pub(super) const ATTEMPT_SK_PREFIX: &str = ATTEMPT_PREFIX;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use cpor_domain::time::parse_instant;

    #[test]
    fn a_claims_items_share_its_partition_and_sort_its_history_in_order() {
        let id = ClaimId::parse("01JDX3Z8Q6V6W4S0Y1B2C3D4E5").unwrap();
        assert_eq!(claim(id).pk, "CLAIM#01JDX3Z8Q6V6W4S0Y1B2C3D4E5");
        assert_eq!(event(id, 7).pk, claim(id).pk);
        let first = NoticeRef {
            claim_id: id,
            number: 1,
        };
        assert_eq!(notification(first).pk, claim(id).pk);
        assert_eq!(notification(first).sk, "NOTIFICATION");
        let second = NoticeRef { number: 2, ..first };
        assert_eq!(notification(second).sk, "NOTIFICATION#2");
        assert!(event(id, 9).sk < event(id, 10).sk);
        assert!(is_event(&event(id, 1).sk));
        assert_eq!(claim_of_partition(&claim(id).pk), Some(id));
        let partner_mail = EventMailRef {
            claim_id: id,
            sequence: 7,
            recipient: EventMailRecipient::Partner,
        };
        assert_eq!(event_mail(partner_mail).pk, claim(id).pk);
        assert_eq!(event_mail(partner_mail).sk, "PARTNER_EMAIL#000007");
        assert!(!is_event(&event_mail(partner_mail).sk));
        let official = EventMailRef {
            recipient: EventMailRecipient::Customer,
            ..partner_mail
        };
        assert_eq!(event_mail(official).sk, "OFFICIAL_EMAIL#000007");
        let moved = EventMailRef {
            recipient: EventMailRecipient::EarlierContact,
            ..official
        };
        assert_eq!(event_mail(moved).sk, "CONTACT_MOVED_EMAIL#000007");
    }

    #[test]
    fn a_due_key_sorts_by_deadline_whichever_deadline_it_is() {
        let id = ClaimId::parse("01JDX3Z8Q6V6W4S0Y1B2C3D4E5").unwrap();
        let early = parse_instant("2026-12-02T22:59:59.999Z").unwrap();
        let late = parse_instant("2026-12-10T22:59:59.999Z").unwrap();
        let (e, l) = (
            NightlyDeadline::OptOut(early),
            NightlyDeadline::OptOut(late),
        );
        assert!(due_at(e, id) < due_at(l, id));
        assert!(due_at(e, id) < due_before(late));
        let response = due_at(NightlyDeadline::Response(late), id);
        assert!(due_at(e, id) < response && response < due_before(late + TimeDelta::hours(1)));
        assert!(due_shard_of(id).starts_with(DUE_PREFIX));
    }

    /// The review index keeps the claims waiting for their partners' answers apart from the
    /// reviewers' queue, so that reading the queue never reads past them.
    #[test]
    fn a_claim_waiting_for_its_partner_is_kept_apart_from_the_reviewers_queue() {
        assert_eq!(
            review_partition(ClaimStatus::InformationRequested),
            REVIEW_AWAITING_PARTNER
        );
        for status in [
            ClaimStatus::Submitted,
            ClaimStatus::Disputed,
            ClaimStatus::Contested,
        ] {
            assert_eq!(review_partition(status), REVIEW_QUEUE, "{status}");
        }
    }
}
