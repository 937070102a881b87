//! The DynamoDB adapter: one table, single-table design.
//!
//! | item | pk | sk |
//! | --- | --- | --- |
//! | claim | `CLAIM#<id>` | `CLAIM` (with `version`, and the index attributes below) |
//! | history entry | `CLAIM#<id>` | `EVENT#<sequence, 6 digits>` |
//! | notification record | `CLAIM#<id>` | `NOTIFICATION` |
//! | partner's e-mail of an event | `CLAIM#<id>` | `PARTNER_EMAIL#<sequence, 6 digits>` |
//! | customer's "it is official" e-mail | `CLAIM#<id>` | `OFFICIAL_EMAIL#<sequence, 6 digits>` |
//! | earlier contact's "the contact changed" e-mail | `CLAIM#<id>` | `CONTACT_MOVED_EMAIL#<sequence, 6 digits>` |
//! | partner-of-record lock | `LOCK#<tenant>#workload#<w>` or `…#subscription#<s>` | `LOCK` |
//! | idempotency record | `IDEMPOTENCY#<partner>#<key>` | `IDEMPOTENCY` (TTL `expires_at_epoch`) |
//! | partner, tenant | `PARTNER#<id>`, `TENANT#<id>` | `PARTNER`, `TENANT` |
//! | sent e-mail (a notification) | `MESSAGE#<SES message id>` | `MESSAGE` |
//! | report on a message not yet recorded | `UNMATCHED#<SES message id>` | `REPORT#<feedback id>` (TTL `expires_at_epoch`) |
//! | document of a claim | `CLAIM#<id>` | `DOC#<document id>` |
//! | a claim's count of documents | `CLAIM#<id>` | `DOCUMENTS` (`count`) |
//! | export (TTL `expires_at_epoch`) | `EXPORT#<id>` | `EXPORT` |
//! | period of a unit (the ledger's) | `UNIT#<lock key>` | `PERIOD#<effective_from>#<claim id>` |
//! | a partner's webhook endpoint, and its count of them | `WEBHOOKS#<partner id>` | `WEBHOOK#<webhook id>`, `COUNT` (`count`, `revision`) |
//! | a delivery round's attempts to an endpoint (TTL `expires_at`) | `WEBHOOK#<webhook id>` | `ATTEMPTS#<latest at>#<event id>#<attempt>` |
//! | an event's delivery records, one an endpoint (TTL `expires_at`) | `DELIVERY#<event id>[#replay:<name>]` | `DELIVERY` |
//!
//! Index `by_partner` (`partner_pk`, `partner_sk` = claim id) lists a partner's claims newest
//! first. Index `due_claims` (`due_shard`, `due_at` = `<deadline>#<id>`) holds only the claims
//! that have a nightly deadline, whole, so the nightly run reads exactly what is due and writes
//! each transition without reading the claim again. Index `review` (`review_pk`, `review_sk` =
//! `<entry into review>#<id>`) holds the claims in review: those waiting for a reviewer in one
//! partition, those waiting for their partners in another. Index `ledger` (`ledger_pk` =
//! `LEDGER#<program>#<YYYY-MM>`, `ledger_sk` = `<effective_until or ~>#<id>`) holds the periods
//! of the associations, for the payout ledger ([`ledger_export`]).
//!
//! One module per port: [`submission`] (new claims), [`claims`] (reading and changing them),
//! [`ledger`] (the send records of the notification and of the e-mails that follow events), [`due`] (the due index), and [`bulk`] (reference
//! data and seeding). [`keys`] defines every key, [`record`] every stored shape, [`expression`]
//! and [`transaction`] the requests' plumbing.

mod batch;
mod bulk;
mod claims;
mod documents;
mod due;
mod ends;
mod exports;
mod expression;
mod feedback;
pub mod keys;
mod ledger;
pub mod ledger_export;
mod links;
mod paging;
pub mod periods;
#[cfg(test)]
mod replay;
mod review;
pub mod stream;
pub use batch::{Opened, Recorded};
pub use ledger::ConfirmError;
pub use submission::SubmissionContexts;
pub mod record;
mod submission;
mod transaction;
pub mod webhooks;

use crate::schema::{DUE_INDEX, PARTNER_INDEX, PK, REVIEW_INDEX, SK};
use crate::{SdkClient, describe};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use cpor_domain::claim::{Claim, HistoryEntry};
use cpor_domain::events::EventSubject;
use cpor_domain::ids::ClaimId;
use cpor_domain::ports::Unavailable;
use keys::ItemKey;
use record::{ClaimRecord, HistoryRecord, Item, LockRecord, from_item, to_item};

/// The DynamoDB implementation of the storage ports.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: SdkClient<Client>,
    table: String,
}

impl DynamoStore {
    /// A store on `table`.
    pub fn new(client: impl Into<SdkClient<Client>>, table: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            table: table.into(),
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The item at `key`, read consistently.
    async fn get(&self, what: &str, key: &ItemKey) -> Result<Option<Item>, Unavailable> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable(&format!("GetItem {what}"), &e))?;
        Ok(out.item)
    }

    /// Writes `item` whatever is stored at its key (records that only ever say the same).
    async fn put(&self, what: &str, item: Item) -> Result<(), Unavailable> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| unavailable(&format!("PutItem {what}"), &e))?;
        Ok(())
    }
}

impl DynamoStore {
    /// A query of the table whose key condition is `condition`, with `e`'s names and values
    /// (a filter the caller adds uses the same `e`).
    fn query_where(
        &self,
        condition: String,
        e: &expression::Expression,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression(condition)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
    }
}

fn unavailable(what: &str, error: &impl std::error::Error) -> Unavailable {
    Unavailable(format!("{what}: {}", describe(error)))
}

fn inconsistent(what: impl std::fmt::Display) -> Unavailable {
    Unavailable(format!("stored data is inconsistent: {what}"))
}

fn build<T>(
    what: &str,
    built: Result<T, aws_sdk_dynamodb::error::BuildError>,
) -> Result<T, Unavailable> {
    built.map_err(|e| Unavailable(format!("{what}: {e}")))
}

fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn n(number: impl ToString) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

fn text(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

/// `record`'s attributes under `key`, with `extra` attributes (index keys).
fn keyed<T: serde::Serialize>(
    record: &T,
    key: &ItemKey,
    extra: impl IntoIterator<Item = (&'static str, AttributeValue)>,
) -> Result<Item, Unavailable> {
    let mut item =
        to_item(record).map_err(|e| Unavailable(format!("an item could not be written: {e}")))?;
    item.extend(key.attributes());
    item.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v)));
    Ok(item)
}

/// The claim as its item, in the indexes its state calls for.
fn claim_item(claim: &Claim) -> Result<Item, Unavailable> {
    let mut indexes = vec![
        (
            PARTNER_INDEX.partition_key,
            s(keys::partner_listing(&claim.partner_id)),
        ),
        (
            PARTNER_INDEX.sort_key,
            s(keys::partner_listing_position(claim.id)),
        ),
    ];
    if let Some(deadline) = claim.state.nightly_deadline() {
        indexes.push((DUE_INDEX.partition_key, s(keys::due_shard_of(claim.id))));
        indexes.push((DUE_INDEX.sort_key, s(keys::due_at(deadline, claim.id))));
    }
    if let Some(since) = claim.state.in_review_since() {
        indexes.push((
            REVIEW_INDEX.partition_key,
            s(keys::review_partition(claim.status())),
        ));
        indexes.push((
            REVIEW_INDEX.sort_key,
            s(keys::review_position(since, claim.id)),
        ));
    }
    keyed(&ClaimRecord::from(claim), &keys::claim(claim.id), indexes)
}

fn claim_from_item(item: &Item) -> Result<Claim, Unavailable> {
    let record: ClaimRecord =
        from_item(item).map_err(|e| inconsistent(format!("claim item: {e}")))?;
    Claim::try_from(record).map_err(inconsistent)
}

/// A history entry as its item; with its claim's subject when the writer knows it (see
/// [`HistoryRecord`]).
fn event_item(
    claim_id: ClaimId,
    entry: &HistoryEntry,
    subject: Option<&EventSubject>,
) -> Result<Item, Unavailable> {
    keyed(
        &HistoryRecord::of(entry, subject),
        &keys::event(claim_id, entry.sequence),
        [],
    )
}

fn entry_from_item(item: &Item) -> Result<HistoryEntry, Unavailable> {
    from_item::<HistoryRecord>(item)
        .map(HistoryEntry::from)
        .map_err(|e| inconsistent(format!("history entry: {e}")))
}

/// The partner-of-record lock the claim takes, as its item.
fn lock_item(claim: &Claim) -> Result<Item, Unavailable> {
    keyed(
        &LockRecord {
            claim_id: claim.id,
            partner_id: claim.partner_id.clone(),
        },
        &keys::lock(&claim.subject.lock()),
        [],
    )
}

/// True for an item's `sk` of `kind`.
fn sort_key_of(item: &Item) -> String {
    text(item, SK).unwrap_or_default()
}

/// The partition key of an item.
fn partition_key_of(item: &Item) -> String {
    text(item, PK).unwrap_or_default()
}
