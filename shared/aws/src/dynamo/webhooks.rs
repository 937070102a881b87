//! Partners' webhook endpoints (`WEBHOOKS#<partner id>`, `WEBHOOK#<webhook id>`), each with its secret
//! as KMS ciphertext, beside the partner's count of them (`COUNT`), which every registration
//! raises and every removal lowers in the same transaction, so the limit holds under concurrent
//! requests. The same item carries the partner's endpoints' revision, which every write of an
//! endpoint raises in the same transaction: a reader that kept the endpoints read at one
//! revision knows, from that item alone, whether they are still what the table holds. And the
//! read of an endpoint's latest delivery attempts (`WEBHOOK#<id>`, `ATTEMPTS#...`, each item a
//! round's attempts), which the delivery function writes.

use super::expression::Expression;
use super::record::{Item, from_item};
use super::transaction::{Part, TransactError, Transaction};
use super::{DynamoStore, inconsistent, keyed, keys, n, s, unavailable};
use crate::schema::{PK, SK};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use cpor_domain::ids::PartnerId;
use cpor_domain::ports::Unavailable;
use cpor_domain::time::serde_instant;
use cpor_domain::webhook::endpoint::{
    DisabledReason, Endpoint, EndpointStatus, EventFilter, MAX_ENDPOINTS, WebhookId,
};
use cpor_domain::webhook::url::WebhookUrl;
use serde::{Deserialize, Serialize};

/// The attributes that the expressions below name.
pub mod field {
    pub const STATUS: &str = "status";
    pub const DISABLED_REASON: &str = "disabled_reason";
    pub const FAILING_SINCE: &str = "failing_since";
    pub const SECRET: &str = "secret";
    pub const PREVIOUS_SECRET: &str = "previous_secret";
    pub const PREVIOUS_SECRET_UNTIL: &str = "previous_secret_until";
    pub const VERSION: &str = "version";
    pub const COUNT: &str = "count";
    pub const REVISION: &str = "revision";
    pub const SLOW_UNTIL: &str = "slow_until";
}

/// An endpoint as its item holds it (the secrets, binary, are added beside).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct EndpointRecord {
    webhook_id: String,
    partner_id: String,
    url: String,
    events: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    disabled_reason: Option<String>,
    #[serde(with = "serde_instant")]
    created_at: DateTime<Utc>,
    #[serde(
        with = "serde_instant::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    previous_secret_until: Option<DateTime<Utc>>,
    #[serde(
        with = "serde_instant::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    failing_since: Option<DateTime<Utc>>,
    version: u64,
}

impl From<&Endpoint> for EndpointRecord {
    fn from(e: &Endpoint) -> Self {
        let disabled_reason = match e.status {
            EndpointStatus::Active => None,
            EndpointStatus::Disabled(reason) => Some(reason.as_str().to_owned()),
        };
        Self {
            webhook_id: e.id.to_string(),
            partner_id: e.partner_id.to_string(),
            url: e.url.as_str().to_owned(),
            events: e.events.names(),
            description: e.description.clone(),
            status: e.status.as_str().to_owned(),
            disabled_reason,
            created_at: e.created_at,
            previous_secret_until: e.previous_secret_until,
            failing_since: e.failing_since,
            version: e.version,
        }
    }
}

fn endpoint_from_item(item: &Item) -> Result<Endpoint, Unavailable> {
    let r: EndpointRecord =
        from_item(item).map_err(|e| inconsistent(format!("webhook item: {e}")))?;
    let bad = |what: &str| inconsistent(format!("webhook {}: {what}", r.webhook_id));
    let names: Vec<&str> = r.events.iter().map(String::as_str).collect();
    let status = match (r.status.as_str(), r.disabled_reason.as_deref()) {
        ("active", _) => EndpointStatus::Active,
        ("disabled", Some(reason)) => {
            EndpointStatus::Disabled(DisabledReason::parse(reason).ok_or_else(|| bad("reason"))?)
        }
        _ => return Err(bad("status")),
    };
    Ok(Endpoint {
        id: WebhookId::parse(&r.webhook_id).ok_or_else(|| bad("id"))?,
        partner_id: PartnerId::parse(&r.partner_id).map_err(|_| bad("partner"))?,
        url: WebhookUrl::stored(r.url.clone()),
        events: EventFilter::parse(&names).map_err(|_| bad("events"))?,
        description: r.description.clone(),
        status,
        created_at: r.created_at,
        previous_secret_until: r.previous_secret_until,
        failing_since: r.failing_since,
        version: r.version,
    })
}

/// An endpoint with its secrets' ciphertexts (KMS's, under the encryption context of its
/// partner and id): what the delivery decrypts to sign.
#[derive(Debug, Clone)]
pub struct SealedEndpoint {
    pub endpoint: Endpoint,
    pub secret: Vec<u8>,
    /// The secret before the last rotation, while it signs too.
    pub previous_secret: Option<Vec<u8>>,
    /// Until when the delivery counts it slow (an exchange with it took long): one delivery
    /// to it at a time.
    pub slow_until: Option<DateTime<Utc>>,
}

fn sealed_from_item(item: &Item) -> Result<SealedEndpoint, Unavailable> {
    let endpoint = endpoint_from_item(item)?;
    let blob = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_b().ok())
            .map(|b| b.as_ref().to_vec())
    };
    let slow_until = item
        .get(field::SLOW_UNTIL)
        .and_then(|v| v.as_s().ok())
        .and_then(|t| cpor_domain::time::parse_instant(t));
    Ok(SealedEndpoint {
        secret: blob(field::SECRET)
            .ok_or_else(|| inconsistent(format!("webhook {}: no secret", endpoint.id)))?,
        previous_secret: blob(field::PREVIOUS_SECRET),
        slow_until,
        endpoint,
    })
}

/// One attempt to deliver an event to an endpoint, as the delivery recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRecord {
    pub event_id: String,
    pub attempt: u32,
    #[serde(with = "serde_instant")]
    pub at: DateTime<Utc>,
    /// `delivered`, `retrying`, `failed`, `disabled` or `refused`.
    pub outcome: String,
    /// The endpoint's HTTP status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// A short reason (`timeout`, `connection`, `private_address`, `redirect`, `status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Why a registration was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum CreateWebhookError {
    #[error("the partner has {MAX_ENDPOINTS} webhook endpoints already")]
    TooMany,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl DynamoStore {
    /// Records a new endpoint with its sealed secret, and counts it: refused when the partner
    /// has [`MAX_ENDPOINTS`] already.
    pub async fn create_webhook(
        &self,
        endpoint: &Endpoint,
        secret: &[u8],
    ) -> Result<(), CreateWebhookError> {
        let mut tx = Transaction::new(&self.table);
        tx.update_if(
            Part::WebhookCount,
            &keys::webhook_count(&endpoint.partner_id),
            |e| {
                let count = e.name(field::COUNT);
                let revision = e.name(field::REVISION);
                let one = e.value(n(1));
                let max = e.value(n(MAX_ENDPOINTS));
                (
                    format!("ADD {count} {one}, {revision} {one}"),
                    format!("attribute_not_exists({count}) OR {count} < {max}"),
                )
            },
        )?;
        let mut item = keyed(
            &EndpointRecord::from(endpoint),
            &keys::webhook(&endpoint.partner_id, endpoint.id),
            [],
        )?;
        item.insert(
            field::SECRET.to_owned(),
            AttributeValue::B(secret.to_vec().into()),
        );
        tx.put_if(Part::Webhook, item, |e| e.not_exists(PK))?;
        match tx.commit_through_conflicts(&self.client).await {
            Ok(()) => Ok(()),
            Err(TransactError::Cancelled(c)) if c.failed_check(Part::WebhookCount) => {
                Err(CreateWebhookError::TooMany)
            }
            Err(TransactError::Cancelled(c)) => Err(inconsistent(c.to_string()).into()),
            Err(TransactError::Unavailable(e)) => Err(e.into()),
        }
    }

    /// The partner's endpoints, oldest first (their ids are ULIDs).
    pub async fn webhooks(&self, partner: &PartnerId) -> Result<Vec<Endpoint>, Unavailable> {
        self.webhook_items(partner)
            .await?
            .iter()
            .map(endpoint_from_item)
            .collect()
    }

    /// The partner's endpoints with their sealed secrets, oldest first: what the delivery
    /// reads for each partner of a batch.
    pub async fn sealed_webhooks(
        &self,
        partner: &PartnerId,
    ) -> Result<Vec<SealedEndpoint>, Unavailable> {
        self.webhook_items(partner)
            .await?
            .iter()
            .map(sealed_from_item)
            .collect()
    }

    async fn webhook_items(&self, partner: &PartnerId) -> Result<Vec<Item>, Unavailable> {
        let mut e = Expression::default();
        let condition = format!(
            "{} AND begins_with({}, {})",
            e.equals(PK, s(keys::webhooks_partition(partner))),
            e.name(SK),
            e.value(s(keys::WEBHOOK_SK_PREFIX))
        );
        // A partner has five at most: one page holds them.
        let out = self
            .query_where(condition, &e)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("Query webhooks", &e))?;
        Ok(out.items.unwrap_or_default())
    }

    /// The partner's endpoint `id`, with its sealed secrets; `None` when the partner has none
    /// of that id (another partner's is not told apart from none).
    pub async fn webhook(
        &self,
        partner: &PartnerId,
        id: WebhookId,
    ) -> Result<Option<SealedEndpoint>, Unavailable> {
        self.get("webhook", &keys::webhook(partner, id))
            .await?
            .as_ref()
            .map(sealed_from_item)
            .transpose()
    }

    /// Replaces the endpoint's secret with `secret`, the one it had signing beside it until
    /// `previous_until`; `None` when there is no such endpoint.
    pub async fn rotate_webhook_secret(
        &self,
        partner: &PartnerId,
        id: WebhookId,
        secret: &[u8],
        previous_until: DateTime<Utc>,
    ) -> Result<Option<Endpoint>, Unavailable> {
        let mut e = Expression::default();
        let (current, previous) = (e.name(field::SECRET), e.name(field::PREVIOUS_SECRET));
        let until = e.equals(
            field::PREVIOUS_SECRET_UNTIL,
            s(cpor_domain::time::format_instant(previous_until)),
        );
        let version = e.name(field::VERSION);
        let new = e.value(AttributeValue::B(secret.to_vec().into()));
        let one = e.value(n(1));
        // The old ciphertext moves in the same write: never read, never decrypted here.
        let update = format!(
            "SET {previous} = {current}, {current} = {new}, {until}, {version} = {version} + {one}"
        );
        self.changed_webhook(partner, id, update, e).await
    }

    /// Makes the endpoint active again (its failures forgotten); `None` when there is none.
    pub async fn enable_webhook(
        &self,
        partner: &PartnerId,
        id: WebhookId,
    ) -> Result<Option<Endpoint>, Unavailable> {
        let mut e = Expression::default();
        let status = e.equals(field::STATUS, s(EndpointStatus::Active.as_str()));
        let version = e.name(field::VERSION);
        let one = e.value(n(1));
        let (reason, since) = (e.name(field::DISABLED_REASON), e.name(field::FAILING_SINCE));
        let update =
            format!("SET {status}, {version} = {version} + {one} REMOVE {reason}, {since}");
        self.changed_webhook(partner, id, update, e).await
    }

    /// The delivery found the endpoint failing at `at`: failing since then, unless it
    /// already was. False when it was deleted meanwhile.
    pub async fn webhook_failing(
        &self,
        endpoint: &Endpoint,
        at: DateTime<Utc>,
    ) -> Result<bool, Unavailable> {
        let mut e = Expression::default();
        let since = e.name(field::FAILING_SINCE);
        let at = e.value(s(cpor_domain::time::format_instant(at)));
        let update = format!("SET {since} = if_not_exists({since}, {at})");
        self.change_webhook(&endpoint.partner_id, endpoint.id, update, e)
            .await
    }

    /// A delivery to the endpoint succeeded: it is failing no more. False when it was
    /// deleted meanwhile.
    pub async fn webhook_recovered(&self, endpoint: &Endpoint) -> Result<bool, Unavailable> {
        let mut e = Expression::default();
        let update = format!("REMOVE {}", e.name(field::FAILING_SINCE));
        self.change_webhook(&endpoint.partner_id, endpoint.id, update, e)
            .await
    }

    /// An exchange with the endpoint took long: slow until `until`. False when it was
    /// deleted meanwhile.
    pub async fn webhook_slow(
        &self,
        endpoint: &Endpoint,
        until: DateTime<Utc>,
    ) -> Result<bool, Unavailable> {
        let mut e = Expression::default();
        let update = format!(
            "SET {}",
            e.equals(
                field::SLOW_UNTIL,
                s(cpor_domain::time::format_instant(until))
            )
        );
        self.change_webhook(&endpoint.partner_id, endpoint.id, update, e)
            .await
    }

    /// Disables the endpoint for `reason`, if it is still active: true when this call
    /// disabled it.
    pub async fn disable_webhook(
        &self,
        endpoint: &Endpoint,
        reason: DisabledReason,
    ) -> Result<bool, Unavailable> {
        let mut e = Expression::default();
        let disabled = e.equals(field::STATUS, s(EndpointStatus::Disabled(reason).as_str()));
        let why = e.equals(field::DISABLED_REASON, s(reason.as_str()));
        let version = e.name(field::VERSION);
        let one = e.value(n(1));
        let active = e.equals(field::STATUS, s(EndpointStatus::Active.as_str()));
        let update = format!("SET {disabled}, {why}, {version} = {version} + {one}");
        self.change_webhook_if(&endpoint.partner_id, endpoint.id, update, active, e)
            .await
    }

    /// Applies `update` to an existing endpoint, answering it as it is after; `None` when
    /// there is no such endpoint.
    async fn changed_webhook(
        &self,
        partner: &PartnerId,
        id: WebhookId,
        update: String,
        e: Expression,
    ) -> Result<Option<Endpoint>, Unavailable> {
        if !self.change_webhook(partner, id, update, e).await? {
            return Ok(None);
        }
        // A transaction answers no item: the endpoint is read again (strongly), as it is now.
        Ok(self
            .webhook(partner, id)
            .await?
            .map(|sealed| sealed.endpoint))
    }

    /// Applies `update` to an existing endpoint: false when there is none.
    async fn change_webhook(
        &self,
        partner: &PartnerId,
        id: WebhookId,
        update: String,
        mut e: Expression,
    ) -> Result<bool, Unavailable> {
        let condition = e.exists(PK);
        self.change_webhook_if(partner, id, update, condition, e)
            .await
    }

    /// Applies `update` to the endpoint if `condition` holds (it never holds of an endpoint
    /// that does not exist), and raises the partner's revision in the same transaction, so
    /// that whoever keeps the partner's endpoints sees that they changed: false when the
    /// condition did not hold.
    async fn change_webhook_if(
        &self,
        partner: &PartnerId,
        id: WebhookId,
        update: String,
        condition: String,
        e: Expression,
    ) -> Result<bool, Unavailable> {
        let mut tx = Transaction::new(&self.table);
        tx.update_expressed(
            Part::Webhook,
            &keys::webhook(partner, id),
            update,
            condition,
            &e,
        )?;
        tx.upsert(Part::WebhookCount, &keys::webhook_count(partner), |e| {
            format!("ADD {} {}", e.name(field::REVISION), e.value(n(1)))
        })?;
        match tx.commit_through_conflicts(&self.client).await {
            Ok(()) => Ok(true),
            Err(TransactError::Cancelled(c)) if c.failed_check(Part::Webhook) => Ok(false),
            Err(TransactError::Cancelled(c)) => Err(inconsistent(c.to_string())),
            Err(TransactError::Unavailable(e)) => Err(e),
        }
    }

    /// Removes the endpoint and uncounts it; false when there was none. Its attempts expire by
    /// their TTL.
    pub async fn delete_webhook(
        &self,
        partner: &PartnerId,
        id: WebhookId,
    ) -> Result<bool, Unavailable> {
        let mut tx = Transaction::new(&self.table);
        tx.delete_if(Part::Webhook, &keys::webhook(partner, id), |e| e.exists(PK))?;
        tx.update_if(Part::WebhookCount, &keys::webhook_count(partner), |e| {
            let count = e.name(field::COUNT);
            let revision = e.name(field::REVISION);
            let (minus_one, one) = (e.value(n(-1)), e.value(n(1)));
            let zero = e.value(n(0));
            (
                format!("ADD {count} {minus_one}, {revision} {one}"),
                format!("{count} > {zero}"),
            )
        })?;
        match tx.commit_through_conflicts(&self.client).await {
            Ok(()) => Ok(true),
            Err(TransactError::Cancelled(c)) if c.failed_check(Part::Webhook) => Ok(false),
            Err(TransactError::Cancelled(c)) => Err(inconsistent(c.to_string())),
            Err(TransactError::Unavailable(e)) => Err(e),
        }
    }

    /// The endpoint's latest `limit` attempts, newest first. The delivery function logs a
    /// round's attempts to an endpoint as one item sorted by the round's latest attempt, so
    /// `limit` items hold at least `limit` attempts; two rounds at once may interleave, which
    /// the sort after reading puts in order.
    pub async fn webhook_attempts(
        &self,
        id: WebhookId,
        limit: u32,
    ) -> Result<Vec<AttemptRecord>, Unavailable> {
        let mut e = Expression::default();
        let condition = format!(
            "{} AND begins_with({}, {})",
            e.equals(PK, s(keys::webhook_partition(id))),
            e.name(SK),
            e.value(s(keys::ATTEMPT_SK_PREFIX))
        );
        let out = self
            .query_where(condition, &e)
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| unavailable("Query webhook attempts", &e))?;
        let mut attempts = Vec::new();
        for item in out.items() {
            attempts.extend(attempt_log(item)?);
        }
        attempts.sort_by_key(|a| std::cmp::Reverse((a.at, a.attempt)));
        attempts.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(attempts)
    }
}

/// The attempts of one item of an endpoint's attempt log: a JSON document (`attempts`), which
/// the delivery function writes whole.
pub fn attempt_log(item: &Item) -> Result<Vec<AttemptRecord>, Unavailable> {
    let text = item
        .get(ATTEMPT_LOG)
        .and_then(|v| v.as_s().ok())
        .ok_or_else(|| inconsistent("webhook attempt log: no attempts"))?;
    serde_json::from_str(text).map_err(|e| inconsistent(format!("webhook attempt log: {e}")))
}

/// The key of the item that holds the partner's endpoints' revision (their count's), to be
/// read in one batch with others.
pub fn webhooks_revision_key(partner: &PartnerId) -> Item {
    keys::webhook_count(partner).attributes()
}

/// The partner and the revision of its endpoints, when `item` is the one that holds them
/// (read at [`webhooks_revision_key`]). A partner without that item has never had an
/// endpoint: its revision is 0, as is that of an item written before revisions were kept;
/// every write of an endpoint raises it from there.
pub fn webhooks_revision(item: &Item) -> Option<(&str, u64)> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok());
    let partner = keys::webhooks_partner(text(PK)?, text(SK)?)?;
    let revision = item
        .get(field::REVISION)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Some((partner, revision))
}

/// The attribute of an attempt log's item that holds its attempts.
pub const ATTEMPT_LOG: &str = "attempts";

#[cfg(test)]
mod tests {
    use super::*;

    fn partner() -> PartnerId {
        PartnerId::parse("1234567").unwrap()
    }

    #[test]
    fn the_revision_is_read_from_the_partner_s_count_item_and_is_0_before_any_was_kept() {
        // GIVEN the partner's count item, with a revision and without one (written before
        // revisions were kept)
        let mut item = webhooks_revision_key(&partner());
        item.insert(field::COUNT.into(), n(2));
        let before = item.clone();
        item.insert(field::REVISION.into(), n(7));
        // THEN each names the partner, at its revision or at 0
        assert_eq!(webhooks_revision(&item), Some(("1234567", 7)));
        assert_eq!(webhooks_revision(&before), Some(("1234567", 0)));
    }

    #[test]
    fn an_endpoint_s_item_is_not_a_revision() {
        // GIVEN an endpoint's item, in the same partition
        let item = keys::webhook(
            &partner(),
            WebhookId::parse("01JDX3Z8Q6V6W4S0Y1B2C3D4E5").unwrap(),
        )
        .attributes();
        // THEN it holds no revision
        assert_eq!(webhooks_revision(&item), None);
    }
}
