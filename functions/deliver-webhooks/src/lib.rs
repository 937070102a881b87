//! deliver-webhooks: consumes the queue that the bus's rule (`source: [cpor]`) fills with every
//! event of the service, and posts each to the active endpoints of the event's partner that
//! asked for its type (a `webhook.test` event to the one endpoint it names), signed as the
//! Standard Webhooks specification says (docs/api.md, "Webhooks").
//!
//! A batch of messages is one round, in a few table calls whatever its size: one read of the
//! events' delivery records and of their partners' endpoints' revisions, the due deliveries
//! posted, then every attempt recorded in one write (`table`). An execution environment keeps
//! each partner's endpoints with the revision it read them at, and queries them again only
//! when the revision has moved: every write of an endpoint (registration, rotation, enabling,
//! deletion, and this function's own marks of its health) raises it in the same transaction.
//!
//! SQS is the retry engine. Each endpoint and event has a delivery record: a redelivered
//! message posts nothing to an endpoint whose delivery is settled (a 2xx, a failure for good,
//! a refusal), nor to one whose next attempt is not yet due. A message with a delivery to try
//! again is made visible again after the schedule's next pause (`ChangeMessageVisibility`, at
//! most 12 hours a step) and reported failed (`ReportBatchItemFailures`); the queue's
//! `maxReceiveCount` stays above the schedule's attempts.
//!
//! Deliveries run concurrently: a message's endpoints at once, and the batch's claims at once
//! (one claim's events one after the other, in their order), at most [`POSTS_AT_ONCE`]
//! exchanges in flight, so that a slow endpoint holds back only the events that follow on its
//! own claim in the same batch, never another endpoint's deliveries of other claims. An
//! endpoint that answers slowly is posted to once a round, and by one execution at a time (its
//! in-flight hold); one found slow during a round (an exchange over two seconds) is posted to
//! no more in it. A round begins no post after its first minute. A delivery left waiting by
//! these rules is not an attempt: its message comes back later, as with a slow endpoint.
//!
//! The event source mapping hands over up to [`cpor_aws::webhooks::DELIVERY_BATCH_SIZE`]
//! messages (100) at once, waiting up to a second to fill a batch at low volume: a round's
//! table calls are the same few for a hundred events as for one.

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

pub mod post;
pub mod table;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use cpor_aws::dynamo::webhooks::{
    SealedEndpoint as Endpoint, webhooks_revision, webhooks_revision_key,
};
use cpor_aws::{ConfigError, Door, DynamoStore, SdkClient, SesMailer, Wiring, describe};
use cpor_domain::clock::Clock;
use cpor_domain::ids::PartnerId;
use cpor_domain::ports::{ClaimRepository, Mailer};
use cpor_domain::webhook::delivery::{
    Exchange, Outcome, TEST_EVENT, delivery_key, failed_too_long,
};
use cpor_domain::webhook::endpoint::{DisabledReason, EndpointStatus, WebhookId};
use cpor_domain::webhook::schedule::RetrySchedule;
use cpor_domain::webhook::signature::{SigningKey, signature_header};
use post::{Delivery, Poster, Reach};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use table::{After, Attempt, Record, Records, TableError, WebhookTable};
use tracing::Instrument;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "deliver-webhooks";

/// The KMS key that encrypts the webhooks' secrets: `CPOR_WEBHOOK_KEY_ID`.
pub const KEY_ID: &str = "CPOR_WEBHOOK_KEY_ID";
/// The queue this function reads (for `ChangeMessageVisibility`): `CPOR_WEBHOOK_QUEUE_URL`.
pub const QUEUE_URL: &str = "CPOR_WEBHOOK_QUEUE_URL";
/// Comma-separated pauses replacing the retry schedule (the local stack's `1,2,4`):
/// `CPOR_WEBHOOK_RETRY_SECONDS`.
pub const RETRY_SECONDS: &str = "CPOR_WEBHOOK_RETRY_SECONDS";
/// `true` lets deliveries reach loopback addresses, over plain `http` too (the local stack
/// only): `CPOR_WEBHOOKS_ALLOW_LOOPBACK`.
pub const ALLOW_LOOPBACK: &str = "CPOR_WEBHOOKS_ALLOW_LOOPBACK";
/// The longest exchange with an endpoint, in milliseconds (default 10000):
/// `CPOR_WEBHOOK_TIMEOUT_MS`.
pub const TIMEOUT_MS: &str = "CPOR_WEBHOOK_TIMEOUT_MS";
/// Fixed resolver answers, `host=ip,host=ip` (the local stack's tests: a host that resolves
/// to a private address without a DNS server); honoured only with loopback allowed:
/// `CPOR_WEBHOOK_FIXED_ADDRESSES`.
pub const FIXED_ADDRESSES: &str = "CPOR_WEBHOOK_FIXED_ADDRESSES";
/// Seconds before a message whose processing failed (an AWS call) comes back; unset, the
/// queue's visibility timeout: `CPOR_WEBHOOK_ERROR_RETRY_SECONDS`.
pub const ERROR_RETRY_SECONDS: &str = "CPOR_WEBHOOK_ERROR_RETRY_SECONDS";

/// The longest pause a message is hidden for: SQS counts its 12 hours from the receipt, and
/// the function's own time (its timeout, 60 s) has passed since.
const MAX_VISIBILITY_SECONDS: i32 = 12 * 3600 - 120;

/// Exchanges a round has in flight at most (and so sockets open: Lambda allows an execution
/// environment 1,024 file descriptors): a batch of [`cpor_aws::webhooks::DELIVERY_BATCH_SIZE`]
/// messages to a partner's endpoints (at most five) would otherwise open hundreds at once.
pub const POSTS_AT_ONCE: usize = 100;

/// A round starts no post after this long: a batch's last exchange (at most the 10-second
/// timeout) and its write end well within the function's 120-second timeout, however many of
/// its endpoints are slow. The deliveries left wait for their message's next receipt.
const POSTING_BUDGET: Duration = Duration::from_secs(60);

/// An exchange longer than this makes its endpoint slow for [`SLOW_FOR`]: one delivery to it
/// at a time, so that a slow endpoint holds one execution, not all of them; and the round it
/// happened in posts to it no more.
const SLOW_EXCHANGE: Duration = Duration::from_secs(2);
const SLOW_FOR: chrono::TimeDelta = chrono::TimeDelta::hours(1);
/// A delivery to a slow endpoint that another execution is posting to waits this much more at
/// each receipt of its message (up to [`POSTPONE_MAX`]), so that a backlog drains within the
/// queue's receives (`CPOR_WEBHOOK_ERROR_RETRY_SECONDS` replaces it: the local stack's second).
const POSTPONE_STEP: Duration = Duration::from_secs(30);
const POSTPONE_MAX: Duration = Duration::from_secs(900);

/// Why a message failed (and is tried again by the queue).
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// The body is not one of the service's events: it can never succeed.
    #[error("the message body is not an event of the service: {0}")]
    Poison(String),
    #[error(transparent)]
    Table(#[from] TableError),
    /// A secret could not be decrypted, or does not name a key.
    #[error("the secret of endpoint {0} could not be read: {1}")]
    Secret(String, String),
    /// The claim of an event could not be read (for the partner contact's e-mail).
    #[error("the claim could not be read: {0}")]
    Claim(String),
}

/// An attempt made: its endpoint, its number, how the exchange ended, what it comes to, and
/// when it ended.
type Settled<'a> = (&'a Endpoint, u32, Exchange, Outcome, DateTime<Utc>);

fn is_active(endpoint: &Endpoint) -> bool {
    endpoint.endpoint.status == EndpointStatus::Active
}

/// An endpoint's id, as the records, the attempt log and the holds name it.
fn id_of(endpoint: &Endpoint) -> String {
    endpoint.endpoint.id.to_string()
}

/// The table could not be read or written: the message is tried again.
fn unavailable(error: cpor_domain::ports::Unavailable) -> TableError {
    TableError::new(error.to_string())
}

/// A partner's endpoints as an execution environment keeps them, with the revision of the
/// partner's endpoints they were read at.
type Kept = (u64, Arc<Vec<Endpoint>>);

/// What a round's posts share: how many may be in flight, the endpoints it posts to no more,
/// and when it stops starting posts.
struct Round {
    /// [`POSTS_AT_ONCE`] permits: one an exchange in flight.
    permits: tokio::sync::Semaphore,
    /// The endpoints this round posts to no more: a slow one (marked so before the round)
    /// once its one delivery of the round is asked for, and one found slow in it (an exchange
    /// longer than [`SLOW_EXCHANGE`]).
    spent: Mutex<std::collections::HashSet<String>>,
    /// No post begins after this: the round's later deliveries wait for their message's
    /// next receipt.
    posting_until: std::time::Instant,
}

impl Round {
    fn new() -> Self {
        Self {
            permits: tokio::sync::Semaphore::new(POSTS_AT_ONCE),
            spent: Mutex::default(),
            posting_until: std::time::Instant::now() + POSTING_BUDGET,
        }
    }

    /// Marks `webhook_id` as posted to no more in this round: true when it was not yet.
    fn spend(&self, webhook_id: &str) -> bool {
        self.spent
            .lock()
            .map(|mut spent| spent.insert(webhook_id.to_owned()))
            .unwrap_or(true)
    }

    fn is_spent(&self, webhook_id: &str) -> bool {
        self.spent
            .lock()
            .is_ok_and(|spent| spent.contains(webhook_id))
    }
}

/// A message of the batch, with its event.
struct Message<'a> {
    sqs: &'a SqsMessage,
    id: String,
    event: Event,
}

/// What a round did with one message's event.
#[derive(Default)]
struct Delivered<'a> {
    /// The attempts made.
    settled: Vec<Settled<'a>>,
    /// The shortest pause before a delivery is tried again, if one is.
    pause: Option<Duration>,
    /// Why the message must be tried again (a table or KMS call failed).
    error: Option<MessageError>,
}

impl Delivered<'_> {
    fn failed(problem: String) -> Self {
        Self {
            error: Some(MessageError::Table(TableError::new(problem))),
            ..Self::default()
        }
    }

    /// A delivery is to be tried again after `pause`.
    fn wait(&mut self, pause: Duration) {
        self.pause = Some(self.pause.map_or(pause, |p| p.min(pause)));
    }
}

/// The function.
pub struct DeliverWebhooksFunction {
    table: WebhookTable,
    claims: DynamoStore,
    kms: SdkClient<aws_sdk_kms::Client>,
    key_id: String,
    sqs: SdkClient<aws_sdk_sqs::Client>,
    queue_url: String,
    mailer: SesMailer,
    clock: Arc<dyn Clock>,
    schedule: RetrySchedule,
    error_pause: Option<i32>,
    poster: Poster,
    /// The longest exchange with an endpoint.
    timeout: Duration,
    /// Secrets decrypted in this execution environment, by ciphertext: a secret changes only
    /// with its ciphertext.
    /// Each is decrypted once (`OnceCell`): the deliveries of a round that need the same key
    /// at once wait for the one `Decrypt`, rather than each making its own.
    keys: Mutex<HashMap<Vec<u8>, Arc<tokio::sync::OnceCell<SigningKey>>>>,
    /// Slow endpoints that another execution holds, and until when its hold lasts at most.
    slow_held: Mutex<HashMap<String, DateTime<Utc>>>,
    /// Each partner's endpoints, with the revision they were read at.
    endpoints: Mutex<HashMap<String, Kept>>,
}

/// An event as the rule's SQS target delivers it: the whole EventBridge event.
#[derive(Debug, Deserialize)]
struct BusEvent {
    source: String,
    #[serde(rename = "detail-type")]
    detail_type: String,
    #[serde(default)]
    time: Option<String>,
    /// Set by EventBridge on an event replayed from the archive.
    #[serde(rename = "replay-name", default)]
    replay_name: Option<String>,
    detail: Value,
}

/// One event to deliver.
#[derive(Debug)]
struct Event {
    detail_type: String,
    event_id: String,
    partner_id: String,
    claim_id: Option<String>,
    /// A test event's endpoint.
    webhook_id: Option<String>,
    key: String,
    body: Bytes,
}

fn parse(body: &str) -> Result<Event, MessageError> {
    let poison = |what: String| MessageError::Poison(what);
    let bus: BusEvent = serde_json::from_str(body).map_err(|e| poison(e.to_string()))?;
    if bus.source != cpor_domain::events::SOURCE {
        return Err(poison(format!("source {:?}", bus.source)));
    }
    let field = |name: &str| bus.detail[name].as_str().map(str::to_owned);
    let event_id = field("event_id").ok_or_else(|| poison("no event_id".into()))?;
    let partner_id = field("partner_id").ok_or_else(|| poison("no partner_id".into()))?;
    let timestamp = field("at").or(bus.time.clone()).unwrap_or_default();
    let body = serde_json::json!({
        "type": bus.detail_type,
        "timestamp": timestamp,
        "data": bus.detail,
    });
    Ok(Event {
        key: delivery_key(&event_id, bus.replay_name.as_deref()),
        claim_id: field("claim_id"),
        webhook_id: field("webhook_id"),
        detail_type: bus.detail_type,
        event_id,
        partner_id,
        body: Bytes::from(body.to_string()),
    })
}

/// How long a delivery to a busy slow endpoint waits: `step` more at each receipt of its
/// message.
fn postponed(message: &SqsMessage, step: Duration) -> Duration {
    let receipts: u32 = message
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    step.saturating_mul(receipts.max(1)).min(POSTPONE_MAX)
}

/// The position of a message in its claim's order: its claim, and its sequence.
fn order_of(message: &SqsMessage) -> (String, u64) {
    let body: Value = message
        .body
        .as_deref()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    let detail = &body["detail"];
    match detail["claim_id"].as_str() {
        Some(claim) => (claim.to_owned(), detail["sequence"].as_u64().unwrap_or(0)),
        None => (message.message_id.clone().unwrap_or_default(), 0),
    }
}

fn config_error(name: &'static str, problem: impl ToString) -> ConfigError {
    ConfigError::Invalid {
        name,
        problem: problem.to_string(),
    }
}

/// What `CPOR_WEBHOOKS_ALLOW_LOOPBACK` and `CPOR_WEBHOOK_FIXED_ADDRESSES` allow.
fn reach(wiring: &Wiring<'_>) -> Result<Reach, ConfigError> {
    let env = wiring.env();
    let allow_loopback = matches!(env.get(ALLOW_LOOPBACK).as_deref(), Some("true" | "1"));
    let mut fixed = HashMap::new();
    if let Some(text) = env.get(FIXED_ADDRESSES) {
        if !allow_loopback {
            return Err(config_error(
                FIXED_ADDRESSES,
                "fixed addresses are for the local stack, with loopback allowed",
            ));
        }
        for pair in text.split(',') {
            let (host, ip) = pair
                .split_once('=')
                .ok_or_else(|| config_error(FIXED_ADDRESSES, "host=ip, comma-separated"))?;
            let ip = ip
                .trim()
                .parse()
                .map_err(|e| config_error(FIXED_ADDRESSES, e))?;
            fixed
                .entry(host.trim().to_owned())
                .or_insert_with(Vec::new)
                .push(ip);
        }
    }
    Ok(Reach {
        allow_loopback,
        fixed,
    })
}

impl Door for DeliverWebhooksFunction {
    const NAME: &'static str = FUNCTION;
    type Event = SqsEvent;
    type Output = SqsBatchResponse;
    // Failed messages are reported one by one in the answer, never by failing the batch.
    type Error = Infallible;

    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        let env = wiring.env();
        let schedule = match env.get(RETRY_SECONDS) {
            Some(text) => {
                RetrySchedule::parse(&text).map_err(|e| config_error(RETRY_SECONDS, e))?
            }
            None => RetrySchedule::default(),
        };
        let timeout = env
            .or(TIMEOUT_MS, "10000")
            .parse::<u64>()
            .ok()
            .filter(|ms| (1..=10_000).contains(ms))
            .map(Duration::from_millis)
            .ok_or_else(|| config_error(TIMEOUT_MS, "milliseconds from 1 to 10000"))?;
        let error_pause = env
            .get(ERROR_RETRY_SECONDS)
            .map(|s| {
                s.parse::<i32>()
                    .ok()
                    .filter(|s| (0..=MAX_VISIBILITY_SECONDS).contains(s))
                    .ok_or_else(|| config_error(ERROR_RETRY_SECONDS, "whole seconds"))
            })
            .transpose()?;
        let table = env.required(cpor_aws::config::TABLE_NAME)?;
        let store = wiring.store()?;
        Ok(Self {
            table: WebhookTable::new(wiring.dynamodb(), table, store.clone()),
            claims: store,
            kms: SdkClient::on_first_use(wiring.sdk(), aws_sdk_kms::Client::new),
            key_id: env.required(KEY_ID)?,
            sqs: SdkClient::on_first_use(wiring.sdk(), aws_sdk_sqs::Client::new),
            queue_url: env.required(QUEUE_URL)?,
            mailer: wiring.mailer()?,
            clock: wiring.clock(),
            schedule,
            error_pause,
            poster: Poster::new(reach(wiring)?, timeout)
                .map_err(|e| config_error(ALLOW_LOOPBACK, e))?,
            timeout,
            keys: Mutex::default(),
            slow_held: Mutex::default(),
            endpoints: Mutex::default(),
        })
    }

    async fn invoke(&self, event: SqsEvent) -> Result<SqsBatchResponse, Infallible> {
        Ok(self.handle(event).await)
    }
}

impl DeliverWebhooksFunction {
    /// Handles a batch as one round: the answer names the messages to be tried again.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut messages = Vec::new();
        let mut failed = Vec::new();
        for sqs in &event.records {
            let id = sqs.message_id.clone().unwrap_or_default();
            match parse(sqs.body.as_deref().unwrap_or_default()) {
                Ok(event) => messages.push(Message { sqs, id, event }),
                Err(error) => {
                    let span = cpor_aws::logging::message_span(&id);
                    span.in_scope(
                        || tracing::warn!(%error, "event failed; the queue will retry it"),
                    );
                    failed.push(id);
                }
            }
        }
        // Boxed: the handler's future would otherwise nest too deep for the compiler's layout.
        let results = Box::pin(self.round(&messages)).await;
        let settled = messages.iter().zip(results).map(|(message, result)| {
            self.settle(message, result)
                .instrument(cpor_aws::logging::message_span(&message.id))
        });
        for (message, done) in messages
            .iter()
            .zip(futures::future::join_all(settled).await)
        {
            if !done {
                failed.push(message.id.clone());
            }
        }
        let mut response = SqsBatchResponse::default();
        for id in failed {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
        response
    }

    /// Sets when a message comes back if it must: true when it is done.
    async fn settle(
        &self,
        message: &Message<'_>,
        result: Result<Option<Duration>, MessageError>,
    ) -> bool {
        if let Some(claim) = &message.event.claim_id {
            cpor_aws::logging::record_claim(claim);
        }
        let pause = match result {
            Ok(None) => {
                tracing::info!("event delivered to every endpoint that asked for it");
                return true;
            }
            Ok(Some(pause)) => {
                tracing::info!(pause_seconds = pause.as_secs(), "a delivery is tried again");
                i32::try_from(pause.as_secs().max(1))
                    .unwrap_or(i32::MAX)
                    .min(MAX_VISIBILITY_SECONDS)
            }
            Err(error) => {
                tracing::warn!(%error, "event failed; the queue will retry it");
                match self.error_pause {
                    Some(pause) => pause,
                    None => return false,
                }
            }
        };
        if let Some(handle) = &message.sqs.receipt_handle
            && let Err(e) = self
                .sqs
                .change_message_visibility()
                .queue_url(&self.queue_url)
                .receipt_handle(handle)
                .visibility_timeout(pause)
                .send()
                .await
        {
            tracing::warn!(error = %describe(&e), "could not set when the message comes back; the queue's visibility timeout decides");
        }
        false
    }

    /// Delivers a batch's events as one round, in a few table calls whatever its size: one
    /// `BatchGetItem` of the events' delivery records and the partners' endpoints' revisions
    /// (a query of a partner's endpoints only when its revision moved), then the due
    /// deliveries posted (the claims at once, each claim's events in their order, an event's
    /// endpoints at once), then every attempt recorded with `BatchWriteItem`. For each
    /// message: `Some(pause)` when a delivery is to be tried again after `pause` (the
    /// shortest of its endpoints').
    async fn round(&self, messages: &[Message<'_>]) -> Vec<Result<Option<Duration>, MessageError>> {
        let partners: Vec<PartnerId> = messages
            .iter()
            .filter(|m| m.event.detail_type != TEST_EVENT)
            .map(|m| m.event.partner_id.as_str())
            .collect::<std::collections::BTreeSet<&str>>()
            .into_iter()
            // Not a partner's id: no partner has endpoints under it.
            .filter_map(|partner| PartnerId::parse(partner).ok())
            .collect();
        let keys: Vec<&str> = messages.iter().map(|m| m.event.key.as_str()).collect();
        let revision_keys = partners.iter().map(webhooks_revision_key).collect();
        let (records, others) = match self.table.records(&keys, revision_keys).await {
            Ok(read) => read,
            Err(error) => {
                return messages
                    .iter()
                    .map(|_| Err(MessageError::Table(error.clone())))
                    .collect();
            }
        };
        let revisions: HashMap<&str, u64> = others.iter().filter_map(webhooks_revision).collect();
        let endpoints = self.endpoints_of(messages, &partners, &revisions).await;
        let round = Round::new();
        let delivered = self
            .post_in_order(messages, &endpoints, &records, &round)
            .await;
        let recorded = self.record(messages, &delivered, &records).await;
        let health = futures::future::join_all(messages.iter().zip(&delivered).map(
            |(message, delivered)| async {
                for (endpoint, _, _, outcome, at) in &delivered.settled {
                    self.keep_health(endpoint, *outcome, *at, &message.event)
                        .await?;
                }
                Ok::<_, MessageError>(())
            },
        ))
        .await;
        delivered
            .into_iter()
            .zip(health)
            .map(|(delivered, health)| {
                if !delivered.settled.is_empty()
                    && let Err(error) = &recorded
                {
                    return Err(MessageError::Table(error.clone()));
                }
                if let Some(error) = delivered.error {
                    return Err(error);
                }
                health?;
                Ok(delivered.pause)
            })
            .collect()
    }

    /// Posts the round's due deliveries: the claims at once, each claim's events in their
    /// order.
    async fn post_in_order<'a>(
        &self,
        messages: &[Message<'_>],
        endpoints: &'a [Result<Vec<Endpoint>, MessageError>],
        records: &HashMap<String, Records>,
        round: &Round,
    ) -> Vec<Delivered<'a>> {
        // The claims at once, each claim's events in their order.
        let mut claims: BTreeMap<String, Vec<(u64, usize)>> = BTreeMap::new();
        for (i, message) in messages.iter().enumerate() {
            let (claim, sequence) = order_of(message.sqs);
            claims.entry(claim).or_default().push((sequence, i));
        }
        let runs = claims.into_values().map(|mut run| async move {
            run.sort_by_key(|(sequence, _)| *sequence);
            let mut done = Vec::new();
            for (_, i) in run {
                let message = &messages[i];
                let delivered = match &endpoints[i] {
                    Ok(endpoints) => {
                        let record = records.get(&message.event.key);
                        self.deliver(message, endpoints, record, round)
                            .instrument(cpor_aws::logging::message_span(&message.id))
                            .await
                    }
                    Err(error) => Delivered::failed(error.to_string()),
                };
                done.push((i, delivered));
            }
            done
        });
        let mut delivered: Vec<Option<Delivered<'a>>> = messages.iter().map(|_| None).collect();
        for (i, d) in futures::future::join_all(runs).await.into_iter().flatten() {
            delivered[i] = Some(d);
        }
        delivered
            .into_iter()
            .map(|d| d.unwrap_or_else(|| Delivered::failed("not delivered".into())))
            .collect()
    }

    /// Posts a message's event to the endpoints whose delivery is due.
    async fn deliver<'a>(
        &self,
        message: &Message<'_>,
        endpoints: &'a [Endpoint],
        records: Option<&Records>,
        round: &Round,
    ) -> Delivered<'a> {
        let event = &message.event;
        if let Some(claim) = &event.claim_id {
            cpor_aws::logging::record_claim(claim);
        }
        let now = self.clock.now();
        let mut delivered = Delivered::default();
        let mut due = Vec::new();
        for endpoint in endpoints {
            let record = records.map_or(Record::New, |r| r.of(&id_of(endpoint)));
            match record {
                Record::Settled => {}
                Record::Pending { due: at, .. } if at > now => {
                    delivered.wait((at - now).to_std().unwrap_or_default());
                }
                Record::Pending { attempts, .. } => due.push((endpoint, attempts + 1)),
                Record::New => due.push((endpoint, 1)),
            }
        }
        let results = futures::future::join_all(
            due.iter()
                .map(|(endpoint, attempt)| self.attempt(endpoint, event, *attempt, round)),
        )
        .await;
        for ((endpoint, attempt), result) in due.iter().zip(results) {
            match result {
                Ok(Some((exchange, outcome, at))) => {
                    if let Outcome::Retrying(pause) = outcome {
                        delivered.wait(pause);
                    }
                    delivered
                        .settled
                        .push((*endpoint, *attempt, exchange, outcome, at));
                }
                Ok(None) => delivered.wait(postponed(message.sqs, self.postpone_step())),
                Err(error) => delivered.error = Some(error),
            }
        }
        delivered
    }

    /// Records a round's attempts: each event's delivery records (over those read before the
    /// round) and each endpoint's attempts, in one write.
    async fn record(
        &self,
        messages: &[Message<'_>],
        delivered: &[Delivered<'_>],
        read: &HashMap<String, Records>,
    ) -> Result<(), TableError> {
        let mut records: BTreeMap<&str, (&str, Records)> = BTreeMap::new();
        let mut attempts: BTreeMap<String, Vec<Attempt>> = BTreeMap::new();
        for (message, delivered) in messages.iter().zip(delivered) {
            let event = &message.event;
            for (endpoint, attempt, exchange, outcome, at) in &delivered.settled {
                let after = match outcome {
                    Outcome::Retrying(pause) => After::Pending(*at + *pause),
                    Outcome::Delivered | Outcome::Failed | Outcome::Disabled | Outcome::Refused => {
                        After::Settled(outcome.as_str())
                    }
                };
                let logged = Attempt {
                    event_id: event.event_id.clone(),
                    attempt: *attempt,
                    at: *at,
                    outcome: outcome.as_str().to_owned(),
                    status_code: exchange.status(),
                    error: exchange.error().map(str::to_owned),
                };
                records
                    .entry(event.key.as_str())
                    .or_insert_with(|| {
                        (
                            event.event_id.as_str(),
                            read.get(&event.key).cloned().unwrap_or_default(),
                        )
                    })
                    .1
                    .set(&id_of(endpoint), &logged, after);
                attempts.entry(id_of(endpoint)).or_default().push(logged);
            }
        }
        if records.is_empty() {
            return Ok(());
        }
        let records: Vec<(&str, &str, &Records)> = records
            .iter()
            .map(|(key, (event_id, records))| (*key, *event_id, records))
            .collect();
        self.table.write(&records, &attempts).await
    }

    fn postpone_step(&self) -> Duration {
        self.error_pause
            .and_then(|s| u64::try_from(s).ok())
            .filter(|s| *s > 0)
            .map_or(POSTPONE_STEP, Duration::from_secs)
    }

    /// The endpoints each message's event goes to: each partner's as this environment keeps
    /// them, queried again when the partner's revision (`revisions`, read in this round) is
    /// not the one they were read at; a test event's one endpoint, read.
    async fn endpoints_of(
        &self,
        messages: &[Message<'_>],
        partners: &[PartnerId],
        revisions: &HashMap<&str, u64>,
    ) -> Vec<Result<Vec<Endpoint>, MessageError>> {
        let read = futures::future::join_all(partners.iter().map(|partner| async move {
            let revision = revisions.get(partner.as_str()).copied().unwrap_or(0);
            let kept = self
                .endpoints
                .lock()
                .ok()
                .and_then(|kept| kept.get(partner.as_str()).cloned())
                .filter(|(at, _)| *at == revision)
                .map(|(_, endpoints)| endpoints);
            let endpoints = match kept {
                Some(endpoints) => Ok(endpoints),
                None => self
                    .claims
                    .sealed_webhooks(partner)
                    .await
                    .map(Arc::new)
                    .inspect(|endpoints| {
                        // Kept at the revision read before the query: a write in between
                        // raised it, so the next round queries again.
                        if let Ok(mut kept) = self.endpoints.lock() {
                            kept.insert(partner.to_string(), (revision, endpoints.clone()));
                        }
                    })
                    .map_err(unavailable),
            };
            (partner.as_str(), endpoints)
        }))
        .await;
        let by_partner: HashMap<&str, Result<Arc<Vec<Endpoint>>, TableError>> =
            read.into_iter().collect();
        futures::future::join_all(messages.iter().map(|message| async {
            let event = &message.event;
            if event.detail_type == TEST_EVENT {
                let Some(id) = &event.webhook_id else {
                    return Err(MessageError::Poison("a test event names no webhook".into()));
                };
                let (Ok(partner), Some(id)) =
                    (PartnerId::parse(&event.partner_id), WebhookId::parse(id))
                else {
                    return Ok(Vec::new());
                };
                let endpoint = self
                    .claims
                    .webhook(&partner, id)
                    .await
                    .map_err(unavailable)?;
                return Ok(endpoint.into_iter().filter(is_active).collect());
            }
            match by_partner.get(event.partner_id.as_str()) {
                Some(Ok(endpoints)) => Ok(endpoints
                    .iter()
                    .filter(|e| is_active(e) && e.endpoint.events.accepts(&event.detail_type))
                    .cloned()
                    .collect()),
                Some(Err(error)) => Err(MessageError::Table(error.clone())),
                None => Ok(Vec::new()),
            }
        }))
        .await
    }

    /// Whether this round may post to the endpoint now: not when the round found it slow, nor,
    /// when it is marked slow, beyond its one delivery a round or while another execution holds
    /// it (this one then takes its hold, under `holder`).
    async fn may_post(
        &self,
        webhook_id: &str,
        slow: bool,
        holder: &str,
        now: DateTime<Utc>,
        round: &Round,
    ) -> Result<bool, MessageError> {
        if !slow {
            if round.is_spent(webhook_id) {
                tracing::info!(webhook_id = %webhook_id, "endpoint found slow in this round: this delivery waits");
                return Ok(false);
            }
            return Ok(true);
        }
        // One delivery a round to a slow endpoint: the round asks for its hold once.
        if !round.spend(webhook_id) {
            tracing::info!(webhook_id = %webhook_id, "slow endpoint: one delivery a round; this one waits");
            return Ok(false);
        }
        let held_elsewhere = self
            .slow_held
            .lock()
            .ok()
            .and_then(|held| held.get(webhook_id).copied())
            .is_some_and(|until| until > now);
        if held_elsewhere {
            tracing::info!(webhook_id = %webhook_id, "slow endpoint busy: the delivery waits");
            return Ok(false);
        }
        let until =
            now + chrono::TimeDelta::from_std(self.timeout + SLOW_EXCHANGE).unwrap_or_default();
        if let Err(lapses) = self.table.hold(webhook_id, holder, now, until).await? {
            // Until the other hold lapses, this environment's rounds need not ask again.
            if let (Some(lapses), Ok(mut held)) = (lapses, self.slow_held.lock()) {
                held.insert(webhook_id.to_owned(), lapses);
            }
            tracing::info!(webhook_id = %webhook_id, "slow endpoint busy: the delivery waits");
            return Ok(false);
        }
        Ok(true)
    }

    /// Posts `event` to `endpoint` as its attempt `attempt`: how the exchange ended, what it
    /// comes to, and when it ended; `None` when the delivery waits for its message's next
    /// receipt: the endpoint is slow and another execution is posting to it, or this round
    /// posts to it no more, or the round's time for posting is over.
    async fn attempt(
        &self,
        endpoint: &Endpoint,
        event: &Event,
        attempt: u32,
        round: &Round,
    ) -> Result<Option<(Exchange, Outcome, DateTime<Utc>)>, MessageError> {
        let webhook_id = id_of(endpoint);
        // Held until the exchange ends: the round's exchanges in flight are capped.
        let Ok(_permit) = round.permits.acquire().await else {
            return Ok(None);
        };
        if std::time::Instant::now() > round.posting_until {
            tracing::info!(webhook_id = %webhook_id, "the round's time for posting is over: this delivery waits");
            return Ok(None);
        }
        let now = self.clock.now();
        let holder = format!("{}#{attempt}", event.key);
        let slow = endpoint.slow_until.is_some_and(|until| until > now);
        if !self
            .may_post(&webhook_id, slow, &holder, now, round)
            .await?
        {
            return Ok(None);
        }
        let keys = self.keys_of(endpoint, now).await?;
        let timestamp = now.timestamp();
        let signature = signature_header(&keys, &event.event_id, timestamp, &event.body);
        let started = std::time::Instant::now();
        let exchange = self
            .poster
            .post(Delivery {
                url: endpoint.endpoint.url.as_str(),
                body: event.body.clone(),
                headers: [
                    ("webhook-id", event.event_id.clone()),
                    ("webhook-timestamp", timestamp.to_string()),
                    ("webhook-signature", signature),
                ],
            })
            .await;
        let took = started.elapsed();
        if took > SLOW_EXCHANGE {
            // The round posts to it no more: its later deliveries would each hold the round.
            round.spend(&webhook_id);
        }
        let at = self.clock.now();
        let outcome = Outcome::of(exchange, attempt, &self.schedule);
        tracing::info!(
            webhook_id = %webhook_id,
            attempt,
            outcome = outcome.as_str(),
            status = exchange.status(),
            took_ms = took.as_millis(),
            "delivery attempted"
        );
        // What follows is about later deliveries: a failure here must not lose this attempt.
        let later = async {
            if slow {
                self.table.release(&webhook_id, &holder).await?;
            } else if took > SLOW_EXCHANGE {
                self.claims
                    .webhook_slow(&endpoint.endpoint, at + SLOW_FOR)
                    .await
                    .map_err(unavailable)?;
            }
            Ok::<_, TableError>(())
        };
        if let Err(error) = later.await {
            tracing::warn!(%error, "a slow endpoint's hold or mark could not be written");
        }
        Ok(Some((exchange, outcome, at)))
    }

    /// The endpoint's health after an attempt: failing since the first failure after a
    /// delivery, disabled by a 410 or after three days of failures (the partner e-mailed).
    async fn keep_health(
        &self,
        endpoint: &Endpoint,
        outcome: Outcome,
        at: DateTime<Utc>,
        event: &Event,
    ) -> Result<(), MessageError> {
        let store = &self.claims;
        let webhook_id = id_of(endpoint);
        match (outcome, endpoint.endpoint.failing_since) {
            (Outcome::Delivered, None) => Ok(()),
            (Outcome::Delivered, Some(_)) => {
                store
                    .webhook_recovered(&endpoint.endpoint)
                    .await
                    .map_err(unavailable)?;
                Ok(())
            }
            (Outcome::Disabled, _) => {
                let gone = store
                    .disable_webhook(&endpoint.endpoint, DisabledReason::Gone)
                    .await
                    .map_err(unavailable)?;
                if gone {
                    tracing::warn!(webhook_id = %webhook_id, "endpoint gone (410): disabled");
                }
                Ok(())
            }
            (Outcome::Retrying(_) | Outcome::Failed | Outcome::Refused, None) => {
                store
                    .webhook_failing(&endpoint.endpoint, at)
                    .await
                    .map_err(unavailable)?;
                Ok(())
            }
            (Outcome::Retrying(_) | Outcome::Failed | Outcome::Refused, Some(since)) => {
                if failed_too_long(since, at)
                    && store
                        .disable_webhook(&endpoint.endpoint, DisabledReason::Failing)
                        .await
                        .map_err(unavailable)?
                {
                    tracing::warn!(webhook_id = %webhook_id, %since, "endpoint failing for three days: disabled");
                    self.tell_partner(endpoint, since, event).await?;
                }
                Ok(())
            }
        }
    }

    /// E-mails the partner contact of the event's claim that the endpoint was disabled.
    async fn tell_partner(
        &self,
        endpoint: &Endpoint,
        since: DateTime<Utc>,
        event: &Event,
    ) -> Result<(), MessageError> {
        let claim_id = event
            .claim_id
            .as_deref()
            .and_then(cpor_domain::ClaimId::parse);
        let Some(claim_id) = claim_id else {
            tracing::warn!("the event names no claim: no partner contact to e-mail");
            return Ok(());
        };
        let claim = self
            .claims
            .claim(claim_id)
            .await
            .map_err(|e| MessageError::Claim(e.to_string()))?;
        let Some(claim) = claim else {
            tracing::warn!("the event's claim is unknown: no partner contact to e-mail");
            return Ok(());
        };
        let email = cpor_domain::webhook::notice::endpoint_disabled(
            &claim,
            &id_of(endpoint),
            endpoint.endpoint.url.as_str(),
            since,
        );
        let email = match email {
            Ok(email) => email,
            Err(error) => {
                tracing::error!(%error, "the e-mail telling the partner its endpoint is disabled could not be written");
                return Ok(());
            }
        };
        // The endpoint is disabled already: a failed send is logged, not retried.
        if let Err(error) = self.mailer.send(&email).await {
            tracing::warn!(%error, "the partner could not be e-mailed that its endpoint is disabled");
        }
        Ok(())
    }

    /// The keys that sign for `endpoint` at `now`: its secret's, and the previous secret's
    /// while it still signs.
    async fn keys_of(
        &self,
        endpoint: &Endpoint,
        now: DateTime<Utc>,
    ) -> Result<Vec<SigningKey>, MessageError> {
        let mut keys = vec![self.key(endpoint, &endpoint.secret).await?];
        if let (Some(previous), Some(until)) = (
            &endpoint.previous_secret,
            endpoint.endpoint.previous_secret_until,
        ) && until > now
        {
            keys.push(self.key(endpoint, previous).await?);
        }
        Ok(keys)
    }

    /// The key of a secret's ciphertext, decrypted with the service's key under the
    /// endpoint's encryption context.
    async fn key(
        &self,
        endpoint: &Endpoint,
        ciphertext: &[u8],
    ) -> Result<SigningKey, MessageError> {
        let cell = match self.keys.lock() {
            Ok(mut keys) => keys.entry(ciphertext.to_vec()).or_default().clone(),
            // A panic elsewhere left the lock poisoned: decrypt without the cache.
            Err(_) => Arc::default(),
        };
        cell.get_or_try_init(|| self.decrypt(endpoint, ciphertext))
            .await
            .cloned()
    }

    /// Decrypts a secret's ciphertext with the service's key under the endpoint's encryption
    /// context.
    async fn decrypt(
        &self,
        endpoint: &Endpoint,
        ciphertext: &[u8],
    ) -> Result<SigningKey, MessageError> {
        let unreadable = |problem: String| MessageError::Secret(id_of(endpoint), problem);
        let out = self
            .kms
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(aws_sdk_kms::primitives::Blob::new(ciphertext))
            .encryption_context("partner_id", endpoint.endpoint.partner_id.to_string())
            .encryption_context("webhook_id", id_of(endpoint))
            .send()
            .await
            .map_err(|e| unreadable(describe(&e)))?;
        let text = out
            .plaintext
            .map(|p| p.into_inner())
            .and_then(|p| String::from_utf8(p).ok())
            .ok_or_else(|| unreadable("no text".into()))?;
        SigningKey::from_secret(&text).map_err(|e| unreadable(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn delivered(detail_type: &str, replay: Option<&str>) -> String {
        let mut event = json!({
            "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detail-type": detail_type, "source": "cpor", "account": "123456789012",
            "time": "2026-11-25T10:00:00Z", "region": "eu-west-1", "resources": [],
            "detail": {
                "event_id": "01JDX3Z8Q6V6W4S0Y1B2C3D4E5/3", "claim_id": "01JDX3Z8Q6V6W4S0Y1B2C3D4E5",
                "partner_id": "1234567", "sequence": 3, "at": "2026-11-25T10:00:00.000Z",
                "event": "rejected", "from": "submitted", "to": "rejected", "code": null
            }
        });
        if let Some(name) = replay {
            event["replay-name"] = json!(name);
        }
        event.to_string()
    }

    #[test]
    fn an_event_is_delivered_as_its_type_its_time_and_its_detail_whole() {
        // GIVEN a claim event as the rule delivers it
        let event = parse(&delivered("claim.rejected", None)).unwrap();
        // THEN the body is { type, timestamp, data: the detail }, keyed by its event id
        let body: Value = serde_json::from_slice(&event.body).unwrap();
        assert_eq!(body["type"], "claim.rejected");
        assert_eq!(body["timestamp"], "2026-11-25T10:00:00.000Z");
        assert_eq!(body["data"]["code"], Value::Null);
        assert_eq!(body["data"]["sequence"], 3);
        assert_eq!(event.key, "01JDX3Z8Q6V6W4S0Y1B2C3D4E5/3");
        assert_eq!(event.partner_id, "1234567");
    }

    #[test]
    fn a_replayed_event_is_keyed_apart_from_the_live_one() {
        let event = parse(&delivered("claim.rejected", Some("replay-1"))).unwrap();
        assert_eq!(event.key, "01JDX3Z8Q6V6W4S0Y1B2C3D4E5/3#replay:replay-1");
        assert_eq!(event.event_id, "01JDX3Z8Q6V6W4S0Y1B2C3D4E5/3");
    }

    #[test]
    fn a_body_that_is_not_an_event_of_the_service_is_poison() {
        let mut other = serde_json::from_str::<Value>(&delivered("claim.rejected", None)).unwrap();
        other["source"] = json!("someone-else");
        let mut no_partner =
            serde_json::from_str::<Value>(&delivered("claim.rejected", None)).unwrap();
        no_partner["detail"]["partner_id"] = Value::Null;
        for body in [
            "not json".to_owned(),
            other.to_string(),
            no_partner.to_string(),
        ] {
            assert!(
                matches!(parse(&body), Err(MessageError::Poison(_))),
                "{body}"
            );
        }
    }
}
