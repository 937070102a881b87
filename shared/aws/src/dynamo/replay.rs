//! A DynamoDB that answers from a script, for the tests of how the store reads DynamoDB's
//! answers: each request the SDK sends gets the next scripted answer, written as DynamoDB writes
//! it on the wire (a `TransactionCanceledException` with one cancellation reason per item of
//! the transaction, an item read, ...), and is kept for the test to read (which item of a
//! transaction is at which position).

use super::DynamoStore;
use super::keys::ItemKey;
use super::record::{Item, field};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// One request the store sent: the operation (`TransactWriteItems`, `GetItem`, ...) and its
/// JSON body.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub operation: String,
    pub body: Value,
}

impl Request {
    /// The key of each item of a `TransactWriteItems` request, in the request's order.
    pub fn items(&self) -> Vec<ItemKey> {
        let items = self.body["TransactItems"].as_array().cloned();
        items
            .unwrap_or_default()
            .iter()
            .map(|item| {
                let (_, write) = item
                    .as_object()
                    .and_then(|o| o.iter().next())
                    .expect("a write of a transaction");
                let key = if write["Item"].is_object() {
                    &write["Item"]
                } else {
                    &write["Key"]
                };
                ItemKey {
                    pk: key["pk"]["S"].as_str().unwrap_or_default().to_owned(),
                    sk: key["sk"]["S"].as_str().unwrap_or_default().to_owned(),
                }
            })
            .collect()
    }

    /// The position of the item at `key` in a `TransactWriteItems` request.
    pub fn position(&self, key: &ItemKey) -> usize {
        self.items()
            .iter()
            .position(|k| k == key)
            .unwrap_or_else(|| panic!("no item at {key:?} in the transaction"))
    }

    /// The item a `TransactWriteItems` request puts at `key`, as it is on the wire.
    pub fn put_at(&self, key: &ItemKey) -> Value {
        self.body["TransactItems"][self.position(key)]["Put"]["Item"].clone()
    }
}

/// An answer: an HTTP status and a JSON body.
pub(crate) type Answer = (u16, Value);

type Scripted = (&'static str, Box<dyn FnOnce(&[Request]) -> Answer + Send>);

#[derive(Default)]
struct Script {
    answers: VecDeque<Scripted>,
    requests: Vec<Request>,
}

/// The scripted DynamoDB, as the SDK's HTTP client.
#[derive(Clone, Default)]
pub(crate) struct Replay(Arc<Mutex<Script>>);

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Replay")
    }
}

impl Replay {
    /// A store on this DynamoDB, whose SDK never retries by itself (each attempt is scripted).
    pub fn store(&self) -> DynamoStore {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::for_tests())
            .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
            .http_client(self.clone())
            .build();
        DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), "replayed")
    }

    /// Answers the next request, which must be `operation`, with what `answer` makes of the
    /// requests so far (the last is the one answered).
    pub fn answer(
        &self,
        operation: &'static str,
        answer: impl FnOnce(&[Request]) -> Answer + Send + 'static,
    ) -> &Self {
        self.script()
            .answers
            .push_back((operation, Box::new(answer)));
        self
    }

    /// The requests sent so far.
    pub fn requests(&self) -> Vec<Request> {
        self.script().requests.clone()
    }

    /// True when every scripted answer was given.
    pub fn done(&self) -> bool {
        self.script().answers.is_empty()
    }

    fn script(&self) -> MutexGuard<'_, Script> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl HttpConnector for Replay {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|target| target.split('.').nth(1))
            .unwrap_or_default()
            .to_owned();
        let body = request
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null);
        let mut script = self.script();
        script.requests.push(Request {
            operation: operation.clone(),
            body,
        });
        let (expected, answer) = script
            .answers
            .pop_front()
            .unwrap_or_else(|| panic!("no answer scripted for request {operation}"));
        assert_eq!(operation, expected, "the store's next request");
        let (status, body) = answer(&script.requests);
        let status = StatusCode::try_from(status).expect("an HTTP status");
        let mut response = HttpResponse::new(status, SdkBody::from(body.to_string()));
        response
            .headers_mut()
            .insert("content-type", "application/x-amz-json-1.0");
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl HttpClient for Replay {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

/// A request that succeeded, with nothing to say (a transaction written).
pub(crate) fn written() -> Answer {
    (200, json!({}))
}

/// The answer of a `GetItem` that found `item` (`None`: nothing there).
pub(crate) fn got(item: Option<Value>) -> Answer {
    (
        200,
        item.map_or_else(|| json!({}), |item| json!({ "Item": item })),
    )
}

/// A `TransactionCanceledException`, with one reason per item of the transaction, in order.
pub(crate) fn cancelled(reasons: Vec<Value>) -> Answer {
    let codes: Vec<&str> = reasons
        .iter()
        .map(|r| r["Code"].as_str().unwrap_or("None"))
        .collect();
    (
        400,
        json!({
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "Message": format!(
                "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                codes.join(", ")
            ),
            "CancellationReasons": reasons,
        }),
    )
}

/// Cancels the transaction just sent: `at` gives the reasons of the items at their keys, and
/// the other items' reason is `None` (their own write would have gone through).
pub(crate) fn cancel(
    at: Vec<(ItemKey, Value)>,
) -> impl FnOnce(&[Request]) -> Answer + Send + 'static {
    move |requests| {
        let transaction = requests.last().expect("the transaction");
        let mut reasons = vec![json!({ "Code": "None" }); transaction.items().len()];
        for (key, reason) in at {
            reasons[transaction.position(&key)] = reason;
        }
        cancelled(reasons)
    }
}

/// Answers a `GetItem`, which must read the claim at `key`, with the claim as the first transaction sent
/// wrote it: with that transaction's own mark, or, given `another`, with another writer's.
pub(crate) fn read_back(
    key: ItemKey,
    another: Option<&'static str>,
) -> impl FnOnce(&[Request]) -> Answer + Send + 'static {
    move |requests| {
        let read = &requests.last().expect("the read").body["Key"];
        assert_eq!(
            (read["pk"]["S"].as_str(), read["sk"]["S"].as_str()),
            (Some(key.pk.as_str()), Some(key.sk.as_str())),
            "the item read back"
        );
        let transaction = requests
            .iter()
            .find(|r| r.operation == "TransactWriteItems")
            .expect("a transaction sent before");
        let mut item = transaction.put_at(&key);
        if let Some(writer) = another {
            item[field::WRITTEN_BY] = json!({ "S": writer });
        }
        got(Some(item))
    }
}

/// An item's failed condition; with the item as it was (`ALL_OLD`), or without it (an item
/// that does not exist, a write that did not ask for it).
pub(crate) fn check_failed(item: Option<Value>) -> Value {
    let mut reason = json!({
        "Code": "ConditionalCheckFailed",
        "Message": "The conditional request failed",
    });
    if let Some(item) = item {
        reason["Item"] = item;
    }
    reason
}

/// Another transaction in progress on the item.
pub(crate) fn transaction_conflict() -> Value {
    json!({
        "Code": "TransactionConflict",
        "Message": "Transaction is ongoing for the item",
    })
}

/// A failure that is no cancellation: DynamoDB's own fault.
pub(crate) fn internal_error() -> Answer {
    (
        500,
        json!({
            "__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
            "message": "Internal server error",
        }),
    )
}

/// `item` as DynamoDB writes it on the wire.
pub(crate) fn wire(item: &Item) -> Value {
    Value::Object(
        item.iter()
            .map(|(name, value)| (name.clone(), wire_value(value)))
            .collect(),
    )
}

fn wire_value(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::M(m) => json!({ "M": wire(m) }),
        AttributeValue::L(l) => json!({ "L": l.iter().map(wire_value).collect::<Vec<_>>() }),
        AttributeValue::Ss(ss) => json!({ "SS": ss }),
        AttributeValue::Ns(ns) => json!({ "NS": ns }),
        other => unreachable!("no stored item holds {other:?}"),
    }
}
