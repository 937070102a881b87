//! DynamoDB as a scripted service ([`crate::replay`]): a store on it, DynamoDB's answers as it
//! writes them on the wire (a `TransactionCanceledException` with one cancellation reason per
//! item of the transaction, an item read, ...), and the items of the transactions sent (which
//! item is at which position).

use super::DynamoStore;
use super::keys::ItemKey;
use super::record::{Item, field};
pub(crate) use crate::replay::Replay;
use crate::replay::{Answer, Request};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};

/// DynamoDB's side of a [`Replay`].
pub(crate) trait ScriptedDynamo {
    /// A store on this DynamoDB, whose SDK never retries by itself (each attempt is scripted).
    fn store(&self) -> DynamoStore;

    /// The operations of the requests sent, once every scripted answer was asked for.
    fn sent(&self) -> Vec<String>;

    /// Answers the next request, which must be `operation` (`TransactWriteItems`, `GetItem`,
    /// ...), with what `answer` makes of the requests so far (the last is the one answered).
    fn on(
        &self,
        operation: &'static str,
        answer: impl FnOnce(&[Request]) -> Answer + Send + 'static,
    ) -> &Self;
}

impl ScriptedDynamo for Replay {
    fn store(&self) -> DynamoStore {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::for_tests())
            .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
            .http_client(self.clone())
            .build();
        DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), "replayed")
    }

    fn sent(&self) -> Vec<String> {
        assert!(self.done(), "every scripted answer must be asked for");
        let requests = self.requests().into_iter();
        requests.map(|r| r.operation().to_owned()).collect()
    }

    fn on(
        &self,
        operation: &'static str,
        answer: impl FnOnce(&[Request]) -> Answer + Send + 'static,
    ) -> &Self {
        self.answer(move |requests| {
            let sent = requests.last().expect("the request answered");
            assert_eq!(sent.operation(), operation, "the store's next request");
            answer(requests)
        })
    }
}

/// A DynamoDB request as the tests read it.
pub(crate) trait DynamoRequest {
    /// The operation, from `x-amz-target` (`DynamoDB_20120810.GetItem`).
    fn operation(&self) -> &str;
    /// The JSON body.
    fn json(&self) -> Value;
    /// The key of each item of a `TransactWriteItems` request, in the request's order.
    fn items(&self) -> Vec<ItemKey>;
    /// The position of the item at `key` in a `TransactWriteItems` request.
    fn position(&self, key: &ItemKey) -> usize;
    /// The item a `TransactWriteItems` request puts at `key`, as it is on the wire.
    fn put_at(&self, key: &ItemKey) -> Value;
}

impl DynamoRequest for Request {
    fn operation(&self) -> &str {
        self.target.split('.').nth(1).unwrap_or_default()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    fn items(&self) -> Vec<ItemKey> {
        let body = self.json();
        let items = body["TransactItems"].as_array().cloned();
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

    fn position(&self, key: &ItemKey) -> usize {
        self.items()
            .iter()
            .position(|k| k == key)
            .unwrap_or_else(|| panic!("no item at {key:?} in the transaction"))
    }

    fn put_at(&self, key: &ItemKey) -> Value {
        self.json()["TransactItems"][self.position(key)]["Put"]["Item"].clone()
    }
}

/// A request that succeeded, with nothing to say (a transaction written).
pub(crate) fn written() -> Answer {
    (200, json!({}).to_string())
}

/// The answer of a `GetItem` that found `item` (`None`: nothing there).
pub(crate) fn got(item: Option<Value>) -> Answer {
    let body = item.map_or_else(|| json!({}), |item| json!({ "Item": item }));
    (200, body.to_string())
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
        })
        .to_string(),
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
        let read = &requests.last().expect("the read").json()["Key"];
        assert_eq!(
            (read["pk"]["S"].as_str(), read["sk"]["S"].as_str()),
            (Some(key.pk.as_str()), Some(key.sk.as_str())),
            "the item read back"
        );
        let transaction = requests
            .iter()
            .find(|r| r.operation() == "TransactWriteItems")
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
        })
        .to_string(),
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
