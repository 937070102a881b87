//! Webhook deliveries (`--webhooks-only`): deliver-webhooks' handler on the emulator, posting
//! to endpoints on loopback, against a floor that only signs and posts the same requests with
//! the same concurrency; a delivery's latency from the history entry's write to the receiver,
//! through the local stack's whole path; and what an endpoint answering after 9 seconds does to
//! another endpoint's deliveries.

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use aws_sdk_dynamodb::types::AttributeValue;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use cpor_aws::{Door, Env, Wiring};
use cpor_domain::ids::ClaimId;
use cpor_domain::webhook::signature::{SigningKey, signature_header};
use cpor_local::emulator::Emulator;
use deliver_webhooks::DeliverWebhooksFunction;
use deliver_webhooks::post::{Delivery, Poster, Reach};
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Events in the throughput run, and the endpoints each goes to.
pub const EVENTS: usize = 1_000;
pub const ENDPOINTS: usize = 10;
/// Executions at once: the template's `WebhookMaximumConcurrency`.
const CONCURRENCY: usize = 10;
/// Messages Lambda hands the function at once (the template's `BatchSize`).
const BATCH: usize = cpor_aws::webhooks::DELIVERY_BATCH_SIZE as usize;
/// The slow endpoint's answer time.
const SLOW: Duration = Duration::from_secs(9);
/// Rounds of the throughput run (the floor then the function, on new events each time), and
/// of each run beside another endpoint. A round's function is compared with the floor measured
/// just before it, and the run's ratio is the median of its rounds' ratios: this shared
/// machine's speed moves by a half within one run, and the two medians taken apart could come
/// from a slow stretch for one and a fast one for the other.
pub const ROUNDS: usize = 11;
const BESIDE_ROUNDS: usize = 3;
/// Events in a run beside another endpoint, half of them each partner's.
const BESIDE_EVENTS: usize = 1_000;

/// The measures.
#[derive(Debug, Clone)]
pub struct WebhookRuns {
    pub events: usize,
    pub endpoints: usize,
    /// Each round's floor and function, in order.
    pub rounds: Vec<(Duration, Duration)>,
    /// Their medians.
    pub floor: Duration,
    pub function: Duration,
    /// The median of the rounds' ratios, each round's function to its floor.
    pub ratio: f64,
    /// History write to receiver, through the local stack: (p50, p99, deliveries).
    pub latency: (Duration, Duration, usize),
    /// Another endpoint's deliveries (p50, p99 from the run's start), beside a fast endpoint
    /// and beside one answering after 9 s: the medians of the rounds.
    pub beside_fast: (Duration, Duration),
    pub beside_slow: (Duration, Duration),
    /// Each round's p50 beside a fast endpoint and beside the slow one.
    pub beside_rounds: Vec<(Duration, Duration)>,
}

/// A request's path, when it arrived (by the monotonic clock and the system's), and its body.
type Arrival = (String, Instant, DateTime<Utc>, Bytes);

/// A receiver on loopback: answers each path after its pause (none by default), and records
/// when each request arrived.
#[derive(Clone, Default)]
struct Receiver {
    base: String,
    arrivals: Arc<Mutex<Vec<Arrival>>>,
    pauses: Arc<Mutex<HashMap<String, Duration>>>,
    /// Stops the receiver's thread when the last copy is dropped (the request handler holds
    /// copies without it).
    _stop: Option<Arc<tokio::sync::oneshot::Sender<()>>>,
}

impl Receiver {
    async fn start() -> Result<Self, String> {
        let receiver = Self::default();
        let state = receiver.clone();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri, body: Bytes| {
            let state = state.clone();
            async move {
                let path = uri.path().to_owned();
                let pause = state.pauses.lock().ok().and_then(|p| p.get(&path).copied());
                if let Some(pause) = pause {
                    tokio::time::sleep(pause).await;
                }
                if let Ok(mut arrivals) = state.arrivals.lock() {
                    arrivals.push((path, Instant::now(), Utc::now(), body));
                }
                axum::http::StatusCode::NO_CONTENT
            }
        });
        // The partners' servers are other machines: the receiver runs on a thread and runtime
        // of its own, so its tasks do not queue before the function's and the floor's.
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (bound, addr) = std::sync::mpsc::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        std::thread::Builder::new()
            .name("receiver".into())
            .spawn(move || {
                runtime.block_on(async move {
                    // tokio's listener: its backlog (1,024) takes the posts' first connections
                    // at once, where the standard library's (128) dropped some.
                    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
                        Ok(listener) => listener,
                        Err(e) => {
                            let _ = bound.send(Err(e.to_string()));
                            return;
                        }
                    };
                    let _ = bound.send(listener.local_addr().map_err(|e| e.to_string()));
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async move {
                            let _ = stopped.await;
                        })
                        .await;
                });
            })
            .map_err(|e| e.to_string())?;
        let addr = addr.recv().map_err(|e| e.to_string())??;
        Ok(Self {
            base: format!("http://{addr}"),
            _stop: Some(Arc::new(stop)),
            ..receiver
        })
    }

    fn arrivals(&self, path: &str) -> Vec<(Instant, DateTime<Utc>, Bytes)> {
        self.arrivals
            .lock()
            .map(|a| {
                a.iter()
                    .filter(|(p, ..)| p == path)
                    .map(|(_, i, t, b)| (*i, *t, b.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn secret(i: usize) -> String {
    use base64::Engine;
    let bytes: Vec<u8> = (0..32u8).map(|b| b.wrapping_add(i as u8)).collect();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Writes an active endpoint of `partner` at `url` for every type, and counts it, as the webhook
/// routes do.
async fn register(
    sdk: &aws_config::SdkConfig,
    table: &str,
    key: &str,
    partner: &str,
    url: &str,
    secret: &str,
) -> Result<(), String> {
    let id = ClaimId::new_at(Utc::now()).to_string();
    let ciphertext = aws_sdk_kms::Client::new(sdk)
        .encrypt()
        .key_id(key)
        .plaintext(aws_sdk_kms::primitives::Blob::new(secret.as_bytes()))
        .encryption_context("partner_id", partner)
        .encryption_context("webhook_id", &id)
        .send()
        .await
        .map_err(|e| cpor_aws::describe(&e))?
        .ciphertext_blob
        .ok_or("no ciphertext")?;
    let s = |v: &str| AttributeValue::S(v.to_owned());
    aws_sdk_dynamodb::Client::new(sdk)
        .put_item()
        .table_name(table)
        .item("pk", s(&format!("WEBHOOKS#{partner}")))
        .item("sk", s(&format!("WEBHOOK#{id}")))
        .item("webhook_id", s(&id))
        .item("partner_id", s(partner))
        .item("url", s(url))
        .item("events", AttributeValue::L(vec![s("*")]))
        .item("status", s("active"))
        .item(
            "created_at",
            s(&cpor_domain::time::format_instant(Utc::now())),
        )
        .item("secret", AttributeValue::B(ciphertext))
        .item("version", AttributeValue::N("1".into()))
        .send()
        .await
        .map_err(|e| cpor_aws::describe(&e))?;
    // The partner's count of endpoints and their revision, raised beside it as the routes do.
    aws_sdk_dynamodb::Client::new(sdk)
        .update_item()
        .table_name(table)
        .key("pk", s(&format!("WEBHOOKS#{partner}")))
        .key("sk", s("COUNT"))
        .update_expression("ADD #count :one, revision :one")
        .expression_attribute_names("#count", "count")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .send()
        .await
        .map_err(|e| cpor_aws::describe(&e))?;
    Ok(())
}

async fn create_key(sdk: &aws_config::SdkConfig) -> Result<String, String> {
    aws_sdk_kms::Client::new(sdk)
        .create_key()
        .send()
        .await
        .map_err(|e| cpor_aws::describe(&e))?
        .key_metadata
        .and_then(|m| m.arn)
        .ok_or_else(|| "no key".to_owned())
}

/// A claim event as the bus's rule delivers it.
fn bus_event(partner: &str, claim: &str, sequence: usize) -> Value {
    let at = cpor_domain::time::format_instant(Utc::now());
    json!({
        "version": "0", "id": format!("{claim}-{sequence}"), "detail-type": "claim.approved",
        "source": "cpor", "account": "123456789012", "time": at, "region": "us-east-1",
        "resources": [],
        "detail": {
            "event_id": format!("{claim}/{sequence}"), "claim_id": claim, "partner_id": partner,
            "sequence": sequence, "at": at, "event": "approved", "from": "submitted",
            "to": "approved", "code": null
        }
    })
}

/// `events` as SQS batches of [`BATCH`] messages.
fn batches(events: &[Value]) -> Vec<SqsEvent> {
    events
        .chunks(BATCH)
        .enumerate()
        .map(|(b, chunk)| {
            let mut event = SqsEvent::default();
            event.records = chunk
                .iter()
                .enumerate()
                .map(|(i, body)| {
                    let mut message = SqsMessage::default();
                    message.message_id = Some(format!("m-{b}-{i}"));
                    message.body = Some(body.to_string());
                    message
                })
                .collect();
            event
        })
        .collect()
}

/// The function on a fresh emulator (table, key, queue), with loopback allowed.
struct Harness {
    emulator: Emulator,
    sdk: aws_config::SdkConfig,
    table: String,
    key: String,
    function: DeliverWebhooksFunction,
}

impl Harness {
    async fn start(logs: &Path, name: &str) -> Result<Self, String> {
        let emulator = Emulator::start_on_free_port(&logs.join(format!("{name}-emulator.log")))
            .map_err(|e| e.to_string())?;
        let mut settings = cpor_local::LocalSettings::for_tests(&emulator.endpoint());
        settings.aws_calls = None;
        let sdk = settings.sdk_config().await;
        cpor_aws::schema::create_table(&aws_sdk_dynamodb::Client::new(&sdk), &settings.table)
            .await
            .map_err(|e| e.to_string())?;
        let queue = aws_sdk_sqs::Client::new(&sdk)
            .create_queue()
            .queue_name("cpor-bench-webhooks")
            .send()
            .await
            .map_err(|e| cpor_aws::describe(&e))?
            .queue_url
            .unwrap_or_default();
        let key = create_key(&sdk).await?;
        let env = Env::default()
            .with(cpor_aws::config::TABLE_NAME, &settings.table)
            .with(cpor_aws::config::SENDER_EMAIL, "cpor@example.com")
            .with(deliver_webhooks::KEY_ID, &key)
            .with(deliver_webhooks::QUEUE_URL, &queue)
            .with(deliver_webhooks::ALLOW_LOOPBACK, "true");
        let function = DeliverWebhooksFunction::build(&Wiring::new(&sdk, &env))
            .await
            .map_err(|e| e.to_string())?;
        Ok(Self {
            emulator,
            sdk,
            table: settings.table,
            key,
            function,
        })
    }

    /// Hands every batch to the function, [`CONCURRENCY`] at once; fails on a failed message
    /// when `strict` (otherwise a failed message is one SQS would hand over again later).
    async fn deliver(&self, batches: Vec<SqsEvent>, strict: bool) -> Result<Duration, String> {
        let started = Instant::now();
        let failures: Vec<usize> = futures::stream::iter(batches)
            .map(|batch| async move { self.function.handle(batch).await.batch_item_failures.len() })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let failed: usize = failures.iter().sum();
        if strict && failed > 0 {
            return Err(format!("{failed} messages failed"));
        }
        Ok(started.elapsed())
    }
}

/// The floor: the same requests signed and posted, with the same concurrency: [`CONCURRENCY`]
/// batches at once, each with at most [`deliver_webhooks::POSTS_AT_ONCE`] posts in flight.
async fn floor(
    events: &[Value],
    endpoints: &[(String, SigningKey)],
    poster: &Poster,
) -> Result<Duration, String> {
    let started = Instant::now();
    let posted: Vec<usize> = futures::stream::iter(events.chunks(BATCH))
        .map(|chunk| async move {
            let posts = chunk.iter().flat_map(|event| {
                endpoints.iter().map(move |(url, key)| async move {
                    let body = json!({
                        "type": event["detail-type"], "timestamp": event["detail"]["at"],
                        "data": event["detail"],
                    })
                    .to_string();
                    let id = event["detail"]["event_id"].as_str().unwrap_or_default();
                    let now = Utc::now().timestamp();
                    let signature =
                        signature_header(std::slice::from_ref(key), id, now, body.as_bytes());
                    poster
                        .post(Delivery {
                            url,
                            body: Bytes::from(body),
                            headers: [
                                ("webhook-id", id.to_owned()),
                                ("webhook-timestamp", now.to_string()),
                                ("webhook-signature", signature),
                            ],
                        })
                        .await
                        .status()
                })
            });
            futures::stream::iter(posts)
                .buffer_unordered(deliver_webhooks::POSTS_AT_ONCE)
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .filter(|s| *s == Some(204))
                .count()
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let ok: usize = posted.iter().sum();
    if ok != events.len() * endpoints.len() {
        return Err(format!(
            "the floor posted {ok} of {}",
            events.len() * endpoints.len()
        ));
    }
    Ok(started.elapsed())
}

/// The throughput runs: the floor, then the function, on the same events and endpoints, on new
/// events each round.
async fn throughput(logs: &Path) -> Result<Vec<(Duration, Duration)>, String> {
    let harness = Harness::start(logs, "webhooks").await?;
    let receiver = Receiver::start().await?;
    let mut endpoints = Vec::new();
    for i in 0..ENDPOINTS {
        let url = format!("{}/e{i}", receiver.base);
        let secret = secret(i);
        register(
            &harness.sdk,
            &harness.table,
            &harness.key,
            "1234567",
            &url,
            &secret,
        )
        .await?;
        endpoints.push((
            url,
            SigningKey::from_secret(&secret).map_err(|e| e.to_string())?,
        ));
    }
    let poster = Poster::new(
        Reach {
            allow_loopback: true,
            fixed: HashMap::new(),
        },
        Duration::from_secs(10),
    )
    .map_err(|e| e.to_string())?;
    let mut rounds = Vec::new();
    for round in 1..=ROUNDS {
        // Claims' events interleaved, four steps each, as claims moving at the same time are.
        let claims: Vec<String> = (0..EVENTS / 4)
            .map(|_| ClaimId::new_at(Utc::now()).to_string())
            .collect();
        let events: Vec<Value> = (1..=4)
            .flat_map(|step| claims.iter().map(move |c| bus_event("1234567", c, step)))
            .collect();
        let floor = floor(&events, &endpoints, &poster).await?;
        let function = harness.deliver(batches(&events), true).await?;
        let delivered = (0..ENDPOINTS)
            .map(|i| receiver.arrivals(&format!("/e{i}")).len())
            .sum::<usize>();
        if delivered != 2 * round * EVENTS * ENDPOINTS {
            return Err(format!(
                "{delivered} requests for {} deliveries twice in {round} rounds",
                EVENTS * ENDPOINTS
            ));
        }
        rounds.push((floor, function));
    }
    let mut emulator = harness.emulator;
    emulator.stop();
    Ok(rounds)
}

/// The median of the rounds' ratios, each round's function (`.1`) to its floor (`.0`).
fn paired_ratio(rounds: &[(Duration, Duration)]) -> f64 {
    let mut ratios: Vec<f64> = rounds
        .iter()
        .filter(|(floor, _)| !floor.is_zero())
        .map(|(floor, function)| function.as_secs_f64() / floor.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios.get(ratios.len() / 2).copied().unwrap_or_default()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Another endpoint's deliveries (from the run's start), beside an endpoint answering after
/// `pause`: half the events are the other partner's, whose endpoint answers so.
async fn beside(logs: &Path, pause: Duration) -> Result<(Duration, Duration), String> {
    let harness = Harness::start(logs, "webhooks-slow").await?;
    let receiver = Receiver::start().await?;
    receiver
        .pauses
        .lock()
        .map_err(|e| e.to_string())?
        .insert("/other".into(), pause);
    let (fast, other) = (
        format!("{}/fast", receiver.base),
        format!("{}/other", receiver.base),
    );
    register(
        &harness.sdk,
        &harness.table,
        &harness.key,
        "1234567",
        &fast,
        &secret(1),
    )
    .await?;
    register(
        &harness.sdk,
        &harness.table,
        &harness.key,
        "7654321",
        &other,
        &secret(2),
    )
    .await?;
    // The other endpoint's first delivery shows what it is (a slow one is then marked so).
    let first = bus_event("7654321", &ClaimId::new_at(Utc::now()).to_string(), 1);
    harness.deliver(batches(&[first]), true).await?;
    let events: Vec<Value> = (0..BESIDE_EVENTS)
        .map(|i| {
            let partner = if i % 2 == 0 { "1234567" } else { "7654321" };
            bus_event(partner, &ClaimId::new_at(Utc::now()).to_string(), 1)
        })
        .collect();
    let started = Instant::now();
    harness.deliver(batches(&events), false).await?;
    let mut after: Vec<Duration> = receiver
        .arrivals("/fast")
        .iter()
        .map(|(at, ..)| at.duration_since(started))
        .collect();
    after.sort();
    let mut emulator = harness.emulator;
    emulator.stop();
    Ok((percentile(&after, 0.5), percentile(&after, 0.99)))
}

/// A delivery's latency from its history entry's write (`data.at`) to the receiver, through
/// the local stack's whole path: claims submitted and approved (the automatic review), each
/// entry to the table, its stream, publish-events, the bus, the webhooks' queue,
/// deliver-webhooks.
async fn latency(claims: usize) -> Result<(Duration, Duration, usize), String> {
    let stack = cpor_tests::TestStack::start_with(|s| s.aws_calls = None).await;
    let sdk = stack.settings().sdk_config().await;
    let key = stack.settings().webhook_key.clone();
    let receiver = Receiver::start().await?;
    let url = format!("{}/latency", receiver.base);
    let table = stack.settings().table.clone();
    register(&sdk, &table, &key, cpor_tests::FABRIKAM, &url, &secret(3)).await?;
    let mut ids = Vec::new();
    for _ in 0..claims {
        let answer = stack
            .submit(cpor_tests::FABRIKAM, &cpor_tests::claim_body("teams"))
            .await;
        if answer.status != 201 {
            return Err(format!("submit: {}", answer.text));
        }
        // one claim a unit: withdrawn once notified, so that the next may be submitted
        let id = answer.json()["claim_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        stack
            .wait_for_status(cpor_tests::FABRIKAM, &id, "awaiting_customer")
            .await;
        let withdrawn = stack.withdraw(cpor_tests::FABRIKAM, &id, "benchmark").await;
        if !withdrawn.status.is_success() {
            return Err(format!("withdraw: {}", withdrawn.text));
        }
        ids.push(id);
    }
    // every entry of every claim's history
    let mut expected = 0;
    for id in &ids {
        let claim = stack.claim(cpor_tests::FABRIKAM, id).await;
        expected += claim["history"].as_array().map_or(0, Vec::len);
    }
    let started = Instant::now();
    while receiver.arrivals("/latency").len() < expected {
        if started.elapsed() > Duration::from_secs(120) {
            return Err(format!(
                "{} of {expected} deliveries",
                receiver.arrivals("/latency").len()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut latencies: Vec<Duration> = receiver
        .arrivals("/latency")
        .iter()
        .filter_map(|(_, arrived, body)| {
            let body: Value = serde_json::from_slice(body).ok()?;
            let at = cpor_domain::time::parse_instant(body["data"]["at"].as_str()?)?;
            (*arrived - at).to_std().ok()
        })
        .collect();
    latencies.sort();
    stack.stop().await;
    Ok((
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.len(),
    ))
}

/// Every measure.
pub async fn measure(logs: &Path) -> Result<WebhookRuns, String> {
    let rounds = throughput(logs).await?;
    let latency = latency(25).await?;
    let mut beside_rounds = Vec::new();
    let (mut fast, mut slow) = (Vec::new(), Vec::new());
    for _ in 0..BESIDE_ROUNDS {
        let f = beside(logs, Duration::ZERO).await?;
        let s = beside(logs, SLOW).await?;
        beside_rounds.push((f.0, s.0));
        fast.push(f);
        slow.push(s);
    }
    let medians = |runs: &[(Duration, Duration)]| {
        (
            median(runs.iter().map(|r| r.0).collect()),
            median(runs.iter().map(|r| r.1).collect()),
        )
    };
    Ok(WebhookRuns {
        events: EVENTS,
        endpoints: ENDPOINTS,
        floor: median(rounds.iter().map(|r| r.0).collect()),
        function: median(rounds.iter().map(|r| r.1).collect()),
        ratio: paired_ratio(&rounds),
        rounds,
        latency,
        beside_fast: medians(&fast),
        beside_slow: medians(&slow),
        beside_rounds,
    })
}

/// The measures in words.
pub fn text(runs: &WebhookRuns) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let rounds: Vec<String> = runs
        .rounds
        .iter()
        .map(|(floor, function)| {
            format!(
                "{:.2} s / {:.2} s",
                function.as_secs_f64(),
                floor.as_secs_f64()
            )
        })
        .collect();
    let beside: Vec<String> = runs
        .beside_rounds
        .iter()
        .map(|(fast, slow)| format!("{:.0} / {:.0} ms", ms(*slow), ms(*fast)))
        .collect();
    format!(
        "webhooks: {} events to {} loopback endpoints ({} deliveries), {} rounds: \
         deliver-webhooks {:.2} x its floor (sign and post only), the median of each round's \
         function to the floor just before it (the medians apart: {:.2} s and {:.2} s, {:.2} x; \
         rounds, function / floor: {})\n\
         latency from the history entry's write to the receiver (local stack, {} deliveries): \
         p50 {:.0} ms, p99 {:.0} ms\n\
         another endpoint's deliveries from the start ({} of {} events, {} batches of {} at once), medians of \
         {} rounds: beside a fast endpoint p50 {:.0} ms, p99 {:.0} ms; beside one answering \
         after 9 s p50 {:.0} ms, p99 {:.0} ms ({:.2} x at p50; rounds, slow / fast: {})",
        runs.events,
        runs.endpoints,
        runs.events * runs.endpoints,
        runs.rounds.len(),
        runs.ratio,
        runs.function.as_secs_f64(),
        runs.floor.as_secs_f64(),
        runs.function.as_secs_f64() / runs.floor.as_secs_f64(),
        rounds.join(", "),
        runs.latency.2,
        ms(runs.latency.0),
        ms(runs.latency.1),
        BESIDE_EVENTS / 2,
        BESIDE_EVENTS,
        CONCURRENCY,
        BATCH,
        runs.beside_rounds.len(),
        ms(runs.beside_fast.0),
        ms(runs.beside_fast.1),
        ms(runs.beside_slow.0),
        ms(runs.beside_slow.1),
        ms(runs.beside_slow.0) / ms(runs.beside_fast.0).max(0.001),
        beside.join(", "),
    )
}
