//! Fault injection for the AWS clients: an HTTP connector that wraps the SDK's own and makes a
//! chosen share of calls fail the way the network and AWS fail — a time-out or a broken
//! connection before the request is sent, a 500 or 503 answer, or (worst of all) a response lost
//! after the request took effect. The SDK's retries see them as they would see the real thing.
//!
//! It also counts the calls per operation (`DynamoDB.TransactWriteItems`, `SQS.SendMessage`,
//! `SES.SendEmail`, ...), which is how tests count round trips.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How a call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// A time-out before the request reached the service.
    Timeout,
    /// A broken connection before the request reached the service.
    Io,
    /// The service answered 500.
    ServerError,
    /// The service answered 503 (throttled, unavailable).
    Unavailable,
    /// The request took effect, and its response was lost (a time-out after sending).
    LostResponse,
}

const FAULTS: [Fault; 5] = [
    Fault::Timeout,
    Fault::Io,
    Fault::ServerError,
    Fault::Unavailable,
    Fault::LostResponse,
];

/// What to break, and the record of what was broken. Shared by every client built from it; the
/// rate can change while the clients run.
pub struct FaultPlan {
    rate_per_million: AtomicU32,
    seed: AtomicU64,
    /// Services whose responses may be lost after the request took effect.
    lose_responses_of: Vec<&'static str>,
    /// Only these operations (`Service.Operation`) fail, when set.
    targets: Mutex<Option<Vec<String>>>,
    /// Only these kinds of fault are injected, when set.
    kinds: Mutex<Option<Vec<Fault>>>,
    calls: Mutex<BTreeMap<String, u64>>,
    injected: Mutex<BTreeMap<Fault, u64>>,
}

impl fmt::Debug for FaultPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultPlan")
            .field("rate", &self.rate())
            .finish_non_exhaustive()
    }
}

impl FaultPlan {
    /// A plan failing `rate` (0.0 to 1.0) of the calls, with a seed for repeatable runs.
    pub fn new(rate: f64, seed: u64) -> Arc<Self> {
        let plan = Self {
            rate_per_million: AtomicU32::new(0),
            seed: AtomicU64::new(seed.max(1)),
            // SES too: a lost SendEmail answer may be an e-mail sent, which notify-customer holds
            // for an operator rather than send twice.
            lose_responses_of: vec!["DynamoDB", "SQS", "SES"],
            targets: Mutex::new(None),
            kinds: Mutex::new(None),
            calls: Mutex::new(BTreeMap::new()),
            injected: Mutex::new(BTreeMap::new()),
        };
        plan.set_rate(rate);
        Arc::new(plan)
    }

    /// A plan that breaks nothing and only counts calls.
    pub fn counting() -> Arc<Self> {
        Self::new(0.0, 1)
    }

    /// Changes the share of calls that fail.
    pub fn set_rate(&self, rate: f64) {
        let per_million = (rate.clamp(0.0, 1.0) * 1_000_000.0) as u32;
        self.rate_per_million.store(per_million, Ordering::SeqCst);
    }

    /// Makes only these operations fail (e.g. `DynamoDB.TransactWriteItems`); `None` for all.
    pub fn set_targets(&self, operations: Option<&[&str]>) {
        if let Ok(mut targets) = self.targets.lock() {
            *targets = operations.map(|ops| ops.iter().map(|o| (*o).to_owned()).collect());
        }
    }

    /// Injects only these kinds of fault; `None` for all.
    pub fn set_kinds(&self, kinds: Option<&[Fault]>) {
        if let Ok(mut chosen) = self.kinds.lock() {
            *chosen = kinds.map(<[Fault]>::to_vec);
        }
    }

    /// The share of calls that fail.
    pub fn rate(&self) -> f64 {
        f64::from(self.rate_per_million.load(Ordering::SeqCst)) / 1_000_000.0
    }

    /// Calls made so far, per operation (`Service.Operation`).
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Faults injected so far, per kind.
    pub fn injected(&self) -> BTreeMap<Fault, u64> {
        self.injected.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Forgets the counts.
    pub fn reset_counts(&self) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.clear();
        }
        if let Ok(mut injected) = self.injected.lock() {
            injected.clear();
        }
    }

    /// The client to give the SDK: `inner` with this plan's faults.
    pub fn wrap(self: &Arc<Self>, inner: SharedHttpClient) -> SharedHttpClient {
        SharedHttpClient::new(FaultyClient {
            inner,
            plan: self.clone(),
        })
    }

    fn next_random(&self) -> u64 {
        // xorshift64*: plenty for choosing faults, and repeatable from the seed.
        let mut x = self.seed.load(Ordering::Relaxed);
        loop {
            let mut next = x;
            next ^= next >> 12;
            next ^= next << 25;
            next ^= next >> 27;
            match self
                .seed
                .compare_exchange_weak(x, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return next.wrapping_mul(0x2545_F491_4F6C_DD1D),
                Err(current) => x = current,
            }
        }
    }

    fn choose(&self, service: &str, operation: &str) -> Option<Fault> {
        let targeted = self.targets.lock().map_or(true, |targets| {
            targets
                .as_ref()
                .is_none_or(|ops| ops.iter().any(|o| o == &format!("{service}.{operation}")))
        });
        if !targeted {
            return None;
        }
        let rate = u64::from(self.rate_per_million.load(Ordering::SeqCst));
        if rate == 0 || self.next_random() % 1_000_000 >= rate {
            return None;
        }
        let kinds = self
            .kinds
            .lock()
            .ok()
            .and_then(|k| k.clone())
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| FAULTS.to_vec());
        let fault = kinds[(self.next_random() % kinds.len() as u64) as usize];
        let fault = match fault {
            Fault::LostResponse if !self.lose_responses_of.contains(&service) => Fault::Timeout,
            other => other,
        };
        if let Ok(mut injected) = self.injected.lock() {
            *injected.entry(fault).or_default() += 1;
        }
        Some(fault)
    }

    fn count(&self, operation: String) {
        if let Ok(mut calls) = self.calls.lock() {
            *calls.entry(operation).or_default() += 1;
        }
    }
}

/// `Service.Operation` of a request: from `x-amz-target` (JSON protocols) or the `Action`
/// form field (query protocols such as SES).
pub fn operation_of(request: &HttpRequest) -> (String, String) {
    // S3's REST requests alone carry the payload's hash as a header.
    if request.headers().get("x-amz-content-sha256").is_some() {
        let (bucket_only, query) = s3_target(request.uri());
        let operation = match (request.method(), bucket_only) {
            ("HEAD", false) => "HeadObject",
            ("GET", false) => "GetObject",
            ("PUT", false) => "PutObject",
            ("DELETE", false) => "DeleteObject",
            ("PUT", true) if query.contains("notification") => "PutBucketNotificationConfiguration",
            ("PUT", true) if query.contains("versioning") => "PutBucketVersioning",
            ("PUT", true) => "CreateBucket",
            _ => "Unknown",
        };
        return ("S3".to_owned(), operation.to_owned());
    }
    if let Some(target) = request.headers().get("x-amz-target") {
        let (prefix, op) = target.split_once('.').unwrap_or((target, ""));
        // Streams before tables: their target (`DynamoDBStreams_20120810`) starts the same.
        let service = if prefix.starts_with("DynamoDBStreams") {
            "DynamoDBStreams"
        } else if prefix.starts_with("DynamoDB") {
            "DynamoDB"
        } else if prefix == "AWSEvents" {
            "EventBridge"
        } else if prefix.starts_with("AmazonSQS") {
            "SQS"
        } else if prefix == "TrentService" {
            "KMS"
        } else {
            prefix
        };
        return (service.to_owned(), op.to_owned());
    }
    let body = request
        .body()
        .bytes()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let action = body
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .unwrap_or("Unknown")
        .to_owned();
    let service = if body.contains("Version=2010-12-01") {
        "SES"
    } else {
        "Query"
    };
    (service.to_owned(), action)
}

/// Whether a path-style S3 URI names a bucket alone (no object key), and its query.
pub fn s3_target(uri: &str) -> (bool, &str) {
    let (path, query) = s3_path(uri);
    (!path.contains('/'), query)
}

/// A path-style S3 URI's `<bucket>/<key>` (without the leading `/`) and its query.
pub fn s3_path(uri: &str) -> (&str, &str) {
    let after_scheme = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let path = after_scheme
        .find('/')
        .map_or("", |slash| &after_scheme[slash + 1..]);
    path.split_once('?').unwrap_or((path, ""))
}

#[derive(Debug)]
struct FaultyClient {
    inner: SharedHttpClient,
    plan: Arc<FaultPlan>,
}

impl HttpClient for FaultyClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultyConnector {
            inner: self.inner.http_connector(settings, components),
            plan: self.plan.clone(),
        })
    }
}

#[derive(Debug)]
struct FaultyConnector {
    inner: SharedHttpConnector,
    plan: Arc<FaultPlan>,
}

/// An error answer as `service` writes one: XML for the query protocol (SES), JSON otherwise;
/// a 503 says the request was throttled, a 500 that the service failed.
fn answer(service: &str, status: u16) -> Response<SdkBody> {
    let code = if status == 503 {
        "Throttling"
    } else {
        "InternalFailure"
    };
    let body = if service == "SES" {
        format!(
            "<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code><Message>injected fault</Message></Error><RequestId>injected</RequestId></ErrorResponse>"
        )
    } else {
        format!("{{\"__type\":\"{code}\",\"message\":\"injected fault\"}}")
    };
    let status = StatusCode::try_from(status)
        .unwrap_or_else(|_| StatusCode::try_from(500).unwrap_or_else(|_| unreachable!()));
    Response::new(status, SdkBody::from(body))
}

impl HttpConnector for FaultyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (service, operation) = operation_of(&request);
        self.plan.count(format!("{service}.{operation}"));
        match self.plan.choose(&service, &operation) {
            None => self.inner.call(request),
            Some(Fault::Timeout) => {
                HttpConnectorFuture::ready(Err(ConnectorError::timeout("injected time-out".into())))
            }
            Some(Fault::Io) => HttpConnectorFuture::ready(Err(ConnectorError::io(
                "injected broken connection".into(),
            ))),
            Some(Fault::ServerError) => HttpConnectorFuture::ready(Ok(answer(&service, 500))),
            Some(Fault::Unavailable) => HttpConnectorFuture::ready(Ok(answer(&service, 503))),
            Some(Fault::LostResponse) => {
                let sent = self.inner.call(request);
                HttpConnectorFuture::new(async move {
                    let _ = sent.await;
                    Err(ConnectorError::timeout(
                        "injected time-out after the request was sent".into(),
                    ))
                })
            }
        }
    }
}

/// `inner`, with S3's answer for a missing object (or version) as AWS gives it to a caller
/// without `s3:ListBucket` on the bucket: 403 (AccessDenied), where the emulator, which
/// enforces no IAM, answers 404. A HEAD's answer has no body; a GET's or DELETE's says
/// `AccessDenied`.
pub fn s3_without_list_bucket(inner: SharedHttpClient) -> SharedHttpClient {
    SharedHttpClient::new(NoListBucketClient { inner })
}

#[derive(Debug)]
struct NoListBucketClient {
    inner: SharedHttpClient,
}

impl HttpClient for NoListBucketClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(NoListBucketConnector {
            inner: self.inner.http_connector(settings, components),
        })
    }
}

#[derive(Debug)]
struct NoListBucketConnector {
    inner: SharedHttpConnector,
}

impl HttpConnector for NoListBucketConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (service, operation) = operation_of(&request);
        let sent = self.inner.call(request);
        if service != "S3" || !matches!(operation.as_str(), "HeadObject" | "GetObject") {
            return sent;
        }
        HttpConnectorFuture::new(async move {
            let response = sent.await?;
            if response.status().as_u16() != 404 {
                return Ok(response);
            }
            let body = if operation == "HeadObject" {
                SdkBody::empty()
            } else {
                SdkBody::from(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>stand-in</RequestId></Error>",
                )
            };
            let status = StatusCode::try_from(403).unwrap_or_else(|_| unreachable!());
            let mut denied = Response::new(status, body);
            denied
                .headers_mut()
                .insert("content-type", "application/xml");
            Ok(denied)
        })
    }
}
