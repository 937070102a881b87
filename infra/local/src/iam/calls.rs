//! The record of what each function asks of AWS, taken at the SDK's HTTP connector (every
//! attempt, retries included): for each request, the IAM actions AWS authorizes it by, the
//! resource of each, and the condition keys the roles may test.
//!
//! AWS authorizes some requests part by part, and so does the record: a `TransactWriteItems` as
//! one `PutItem`, `UpdateItem`, `DeleteItem` or `ConditionCheckItem` per item (AWS's "Using IAM
//! with DynamoDB transactions"). A batch is one authorization a table, whose
//! `dynamodb:LeadingKeys` are all the partitions it names: one statement must allow them
//! together. Each other DynamoDB item carries its partition key; a query of the table its
//! partition, a query of an index none (the check then refuses a statement that tests it rather
//! than guess).

use crate::faults::operation_of;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use cpor_aws::schema::PK;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// The account the emulator always answers for.
pub const EMULATOR_ACCOUNT: &str = "123456789012";

/// The condition key of the partition keys a DynamoDB request touches.
pub const LEADING_KEYS: &str = "dynamodb:LeadingKeys";

/// One authorization: a function's IAM action on one resource, with the request's condition keys.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct AwsCall {
    /// The function whose role AWS checks (`submit-claim`).
    pub function: String,
    /// The request, as the round trips count it (`DynamoDB.TransactWriteItems`).
    pub operation: String,
    /// The IAM action (`dynamodb:PutItem`).
    pub action: String,
    /// The resource's ARN, or `*` for an action on no resource.
    pub resource: String,
    /// The condition keys and their values (`dynamodb:LeadingKeys`).
    pub context: BTreeMap<String, Vec<String>>,
}

impl AwsCall {
    /// The request's partition key, for a DynamoDB item (a batch's first).
    pub fn leading_key(&self) -> Option<&str> {
        self.leading_keys().first().map(String::as_str)
    }

    /// The partition keys the request touches: one an item, a batch's all.
    pub fn leading_keys(&self) -> &[String] {
        self.context.get(LEADING_KEYS).map_or(&[], Vec::as_slice)
    }
}

/// Where the emulator's resources are, as ARNs name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arns {
    pub partition: String,
    pub region: String,
    pub account: String,
}

impl Arns {
    /// The emulator's: its fixed account, in `region`.
    pub fn emulator(region: &str) -> Self {
        Self {
            partition: "aws".into(),
            region: region.into(),
            account: EMULATOR_ACCOUNT.into(),
        }
    }

    fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition, self.region, self.account
        )
    }

    /// A table's, or an index's with `index`; a name that is already an ARN stays as it is.
    pub fn table(&self, table: &str, index: Option<&str>) -> String {
        let table = if table.starts_with("arn:") {
            table.to_owned()
        } else {
            self.arn("dynamodb", &format!("table/{table}"))
        };
        match index {
            Some(index) => format!("{table}/index/{index}"),
            None => table,
        }
    }

    /// A queue's, from its URL (`http://host/<account>/<name>`).
    pub fn queue(&self, url: &str) -> String {
        let mut segments = url.trim_end_matches('/').rsplit('/');
        let name = segments.next().unwrap_or_default();
        let account = segments
            .next()
            .filter(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or(&self.account);
        format!(
            "arn:{}:sqs:{}:{account}:{name}",
            self.partition, self.region
        )
    }

    /// An SES identity's: the address, or a domain.
    pub fn ses_identity(&self, identity: &str) -> String {
        self.arn("ses", &format!("identity/{identity}"))
    }

    /// An event bus's, from its name (or its ARN).
    pub fn event_bus(&self, bus: &str) -> String {
        if bus.starts_with("arn:") {
            bus.to_owned()
        } else {
            self.arn("events", &format!("event-bus/{bus}"))
        }
    }

    /// A KMS key's, from its id (an ARN or a key id; an alias is not resolved, and so matches
    /// no key's statement).
    pub fn kms_key(&self, id: &str) -> String {
        if id.starts_with("arn:") {
            id.to_owned()
        } else {
            self.arn("kms", &format!("key/{id}"))
        }
    }

    /// A secret's, from its id (an ARN or a name).
    pub fn secret(&self, id: &str) -> String {
        if id.starts_with("arn:") {
            id.to_owned()
        } else {
            self.arn("secretsmanager", &format!("secret:{id}"))
        }
    }
}

/// What every function asked of AWS so far, shared by the SDK clients of a stack.
#[derive(Debug)]
pub struct AwsCalls {
    arns: Arns,
    seen: Mutex<BTreeSet<AwsCall>>,
}

impl AwsCalls {
    /// An empty record of calls to resources named by `arns`.
    pub fn new(arns: Arns) -> Arc<Self> {
        Arc::new(Self {
            arns,
            seen: Mutex::new(BTreeSet::new()),
        })
    }

    /// Every distinct call recorded so far.
    pub fn snapshot(&self) -> Vec<AwsCall> {
        self.seen
            .lock()
            .map(|seen| seen.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The client to give `function`'s SDK: `inner`, each request recorded under its name.
    pub fn wrap(
        self: &Arc<Self>,
        function: &'static str,
        inner: SharedHttpClient,
    ) -> SharedHttpClient {
        SharedHttpClient::new(RecordingClient {
            inner,
            calls: self.clone(),
            function,
        })
    }

    /// Records `request`, made by `function`.
    pub fn record(&self, function: &str, request: &HttpRequest) {
        let (service, operation) = operation_of(request);
        let body = request.body().bytes().unwrap_or_default();
        let parts = if service == "S3" {
            vec![s3(&operation, request.uri())]
        } else {
            authorizations(&self.arns, &service, &operation, body)
        };
        if let Ok(mut seen) = self.seen.lock() {
            for part in parts {
                seen.insert(AwsCall {
                    function: function.to_owned(),
                    operation: format!("{service}.{operation}"),
                    action: part.action,
                    resource: part.resource,
                    context: part.context,
                });
            }
        }
    }

    /// Records a presigned link that `function` handed out: the client's request is made
    /// with the signer's permissions, so AWS authorizes it against `function`'s role.
    pub fn record_presigned(&self, function: &str, method: &str, url: &str) {
        let operation = match method {
            "PUT" => "PutObject",
            "GET" => "GetObject",
            _ => "Unknown",
        };
        let part = s3(operation, url);
        if let Ok(mut seen) = self.seen.lock() {
            seen.insert(AwsCall {
                function: function.to_owned(),
                operation: format!("S3.{operation} (presigned)"),
                action: part.action,
                resource: part.resource,
                context: part.context,
            });
        }
    }
}

/// S3 authorizes HeadObject as `s3:GetObject`, and a HeadObject, GetObject or DeleteObject of
/// a given version (`versionId`) as `s3:GetObjectVersion` or `s3:DeleteObjectVersion`; an
/// object's resource is `<bucket>/<key>`, a bucket's the bucket (S3's ARNs name no region or
/// account).
fn s3(operation: &str, uri: &str) -> Authorization {
    let (path, query) = crate::faults::s3_path(uri);
    let path = percent_decoded(path);
    let versioned = query.split('&').any(|pair| pair.starts_with("versionId="));
    let action = match operation {
        "HeadObject" | "GetObject" if versioned => "GetObjectVersion",
        "DeleteObject" if versioned => "DeleteObjectVersion",
        "HeadObject" => "GetObject",
        "PutBucketNotificationConfiguration" => "PutBucketNotification",
        other => other,
    };
    Authorization::new(format!("s3:{action}"), format!("arn:aws:s3:::{path}"))
}

/// The path's percent-escapes decoded (as S3 reads the key).
fn percent_decoded(path: &str) -> String {
    let mut bytes = Vec::with_capacity(path.len());
    let raw = path.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        let hex = raw
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (raw[i], hex) {
            (b'%', Some(byte)) => {
                bytes.push(byte);
                i += 3;
            }
            (byte, _) => {
                bytes.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// One authorization of a request, before it is attributed to a function.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Authorization {
    action: String,
    resource: String,
    context: BTreeMap<String, Vec<String>>,
}

impl Authorization {
    fn new(action: String, resource: String) -> Self {
        Self {
            action,
            resource,
            context: BTreeMap::new(),
        }
    }

    fn leading(self, key: Option<String>) -> Self {
        self.leading_all(key.into_iter().collect())
    }

    fn leading_all(mut self, keys: BTreeSet<String>) -> Self {
        if !keys.is_empty() {
            self.context
                .insert(LEADING_KEYS.to_owned(), keys.into_iter().collect());
        }
        self
    }
}

/// The IAM prefix of a service as `operation_of` names it.
fn iam_prefix(service: &str) -> String {
    match service {
        // A table's stream is authorized as the table's: `dynamodb:GetRecords`, ...
        "DynamoDB" | "DynamoDBStreams" => "dynamodb".into(),
        "EventBridge" => "events".into(),
        "SQS" => "sqs".into(),
        "SES" => "ses".into(),
        "KMS" => "kms".into(),
        other => other.to_ascii_lowercase(),
    }
}

fn authorizations(arns: &Arns, service: &str, operation: &str, body: &[u8]) -> Vec<Authorization> {
    let prefix = iam_prefix(service);
    match service {
        "SES" => vec![ses(arns, operation, body)],
        _ => {
            let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            match service {
                "DynamoDB" => dynamodb(arns, operation, &json),
                "DynamoDBStreams" => vec![Authorization::new(
                    format!("dynamodb:{operation}"),
                    stream_of(&json),
                )],
                // One authorization per entry: each names its bus.
                "EventBridge" => {
                    let buses: Vec<String> = items(&json["Entries"])
                        .map(|entry| {
                            entry["EventBusName"]
                                .as_str()
                                .map_or_else(|| arns.event_bus("default"), |b| arns.event_bus(b))
                        })
                        .collect();
                    let buses = if buses.is_empty() {
                        vec!["*".to_owned()]
                    } else {
                        buses
                    };
                    buses
                        .into_iter()
                        .map(|bus| Authorization::new(format!("events:{operation}"), bus))
                        .collect()
                }
                "SQS" => {
                    let resource = json["QueueUrl"]
                        .as_str()
                        .map_or_else(|| "*".to_owned(), |url| arns.queue(url));
                    // A batch call is authorized as its single call: SendMessageBatch needs
                    // sqs:SendMessage (there is no sqs:SendMessageBatch action).
                    let action = operation.strip_suffix("Batch").unwrap_or(operation);
                    vec![Authorization::new(format!("sqs:{action}"), resource)]
                }
                // A call naming no key (a Decrypt may leave it to the ciphertext) is recorded
                // on `*`, which no statement of a key grants.
                "KMS" => {
                    let resource = json["KeyId"]
                        .as_str()
                        .map_or_else(|| "*".to_owned(), |id| arns.kms_key(id));
                    vec![Authorization::new(format!("kms:{operation}"), resource)]
                }
                "secretsmanager" => {
                    let resource = json["SecretId"]
                        .as_str()
                        .map_or_else(|| "*".to_owned(), |id| arns.secret(id));
                    vec![Authorization::new(
                        format!("secretsmanager:{operation}"),
                        resource,
                    )]
                }
                _ => vec![Authorization::new(
                    format!("{prefix}:{operation}"),
                    "*".into(),
                )],
            }
        }
    }
}

/// The stream a streams request reads: its `StreamArn`, or for `GetRecords` the stream its
/// shard iterator was issued for (the emulator's iterators begin with the stream's ARN and a
/// `|`; AWS's are opaque, and AWS knows their stream).
fn stream_of(body: &Value) -> String {
    body["StreamArn"]
        .as_str()
        .or_else(|| {
            body["ShardIterator"]
                .as_str()
                .and_then(|i| i.split_once('|'))
                .map(|(arn, _)| arn)
                .filter(|arn| arn.starts_with("arn:"))
        })
        .unwrap_or("*")
        .to_owned()
}

/// The partition key of an item or a key.
fn partition_of(item: &Value) -> Option<String> {
    item[PK]["S"].as_str().map(str::to_owned)
}

fn dynamodb(arns: &Arns, operation: &str, body: &Value) -> Vec<Authorization> {
    let table = |request: &Value, index: Option<&str>| {
        request["TableName"]
            .as_str()
            .map_or_else(|| "*".to_owned(), |t| arns.table(t, index))
    };
    match operation {
        "TransactWriteItems" | "TransactGetItems" => {
            const PARTS: [(&str, &str); 5] = [
                ("Put", "PutItem"),
                ("Update", "UpdateItem"),
                ("Delete", "DeleteItem"),
                ("ConditionCheck", "ConditionCheckItem"),
                ("Get", "GetItem"),
            ];
            items(&body["TransactItems"])
                .flat_map(|item| {
                    PARTS.iter().filter_map(move |(part, action)| {
                        let request = item.get(*part)?;
                        let key = partition_of(&request["Item"]).or(partition_of(&request["Key"]));
                        Some(
                            Authorization::new(format!("dynamodb:{action}"), table(request, None))
                                .leading(key),
                        )
                    })
                })
                .collect()
        }
        "BatchGetItem" | "BatchWriteItem" => {
            let mut parts = Vec::new();
            for (name, request) in body["RequestItems"].as_object().into_iter().flatten() {
                let resource = arns.table(name, None);
                let keys: Vec<Option<String>> = if operation == "BatchGetItem" {
                    items(&request["Keys"]).map(partition_of).collect()
                } else {
                    items(request)
                        .map(|r| {
                            partition_of(&r["PutRequest"]["Item"])
                                .or(partition_of(&r["DeleteRequest"]["Key"]))
                        })
                        .collect()
                };
                // IAM tests a batch's keys together, a table's request as one authorization:
                // one statement must allow every partition it names (ForAllValues). A key
                // whose partition could not be told leaves none to test, which is refused.
                let partitions: Option<BTreeSet<String>> = keys.into_iter().collect();
                parts.push(
                    Authorization::new(format!("dynamodb:{operation}"), resource)
                        .leading_all(partitions.unwrap_or_default()),
                );
            }
            parts
        }
        "Query" | "Scan" => {
            let index = body["IndexName"].as_str();
            let key = match (operation, index) {
                ("Query", None) => queried_partition(body),
                _ => None,
            };
            vec![
                Authorization::new(format!("dynamodb:{operation}"), table(body, index))
                    .leading(key),
            ]
        }
        _ => {
            let key = partition_of(&body["Key"]).or(partition_of(&body["Item"]));
            vec![
                Authorization::new(format!("dynamodb:{operation}"), table(body, None)).leading(key),
            ]
        }
    }
}

fn items(list: &Value) -> impl Iterator<Item = &Value> {
    list.as_array().into_iter().flatten()
}

/// The partition a query of the table reads: the value its key condition gives the partition
/// key (`#pk = :v0 AND ...`).
fn queried_partition(body: &Value) -> Option<String> {
    let expression = body["KeyConditionExpression"].as_str()?;
    expression
        .split(" AND ")
        .flat_map(|term| term.split(" and "))
        .find_map(|term| {
            let (name, value) = term.split_once(" = ")?;
            let name = name.trim().trim_start_matches('(');
            let name = body["ExpressionAttributeNames"][name]
                .as_str()
                .unwrap_or(name);
            let value = value.trim().trim_end_matches(')');
            (name == PK).then(|| body["ExpressionAttributeValues"][value]["S"].as_str())?
        })
        .map(str::to_owned)
}

/// SES's query protocol: `Action=SendEmail&Source=...`. SES authorizes a send against the
/// sender's verified identity, here the address (the local stack verifies the address).
fn ses(arns: &Arns, operation: &str, body: &[u8]) -> Authorization {
    let source = form_urlencoded::parse(body)
        .find(|(name, _)| name == "Source")
        .map(|(_, value)| value.into_owned());
    let resource = match source {
        Some(source) => {
            // `Name <address>` or a bare address.
            let address = source
                .rsplit_once('<')
                .map_or(source.as_str(), |(_, a)| a.trim_end_matches('>'));
            arns.ses_identity(address)
        }
        None => "*".to_owned(),
    };
    Authorization::new(format!("ses:{operation}"), resource)
}

#[derive(Debug)]
struct RecordingClient {
    inner: SharedHttpClient,
    calls: Arc<AwsCalls>,
    function: &'static str,
}

impl HttpClient for RecordingClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(RecordingConnector {
            inner: self.inner.http_connector(settings, components),
            calls: self.calls.clone(),
            function: self.function,
        })
    }
}

#[derive(Debug)]
struct RecordingConnector {
    inner: SharedHttpConnector,
    calls: Arc<AwsCalls>,
    function: &'static str,
}

impl HttpConnector for RecordingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        self.calls.record(self.function, &request);
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn arns() -> Arns {
        Arns::emulator("us-east-1")
    }

    fn actions(parts: &[Authorization]) -> Vec<(&str, &str, Option<&str>)> {
        parts
            .iter()
            .map(|p| {
                (
                    p.action.as_str(),
                    p.resource.as_str(),
                    p.context
                        .get(LEADING_KEYS)
                        .and_then(|k| k.first())
                        .map(String::as_str),
                )
            })
            .collect()
    }

    const TABLE: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/t";

    #[test]
    fn an_s3_call_of_a_given_version_is_authorized_as_that_version_s_action() {
        // GIVEN calls of an object's current version and of one version of it
        let url = "http://127.0.0.1:4566/b/claims/c/d";
        let versioned = "http://127.0.0.1:4566/b/claims/c/d?versionId=v1&x-id=GetObject";
        let action = |operation: &str, uri: &str| s3(operation, uri).action;
        // THEN a version's reads and deletions need the ...Version actions
        assert_eq!(action("HeadObject", url), "s3:GetObject");
        assert_eq!(action("GetObject", url), "s3:GetObject");
        assert_eq!(action("DeleteObject", url), "s3:DeleteObject");
        assert_eq!(action("HeadObject", versioned), "s3:GetObjectVersion");
        assert_eq!(action("GetObject", versioned), "s3:GetObjectVersion");
        assert_eq!(action("DeleteObject", versioned), "s3:DeleteObjectVersion");
        assert_eq!(
            s3("GetObject", versioned).resource,
            "arn:aws:s3:::b/claims/c/d"
        );
    }

    #[test]
    fn a_transaction_is_authorized_item_by_item_with_each_items_partition() {
        // GIVEN a transaction of an update, a put, a delete and a condition check
        let body = json!({ "TransactItems": [
            { "Update": { "TableName": "t", "Key": { "pk": { "S": "CLAIM#1" }, "sk": { "S": "CLAIM" } } } },
            { "Put": { "TableName": "t", "Item": { "pk": { "S": "CLAIM#1" }, "sk": { "S": "EVENT#000002" } } } },
            { "Delete": { "TableName": "t", "Key": { "pk": { "S": "LOCK#a#workload#teams" }, "sk": { "S": "LOCK" } } } },
            { "ConditionCheck": { "TableName": "t", "Key": { "pk": { "S": "TENANT#x" } } } }
        ] });
        // WHEN it is recorded
        let parts = dynamodb(&arns(), "TransactWriteItems", &body);
        // THEN each item is the action IAM checks it as, on the table, with its partition
        assert_eq!(
            actions(&parts),
            vec![
                ("dynamodb:UpdateItem", TABLE, Some("CLAIM#1")),
                ("dynamodb:PutItem", TABLE, Some("CLAIM#1")),
                ("dynamodb:DeleteItem", TABLE, Some("LOCK#a#workload#teams")),
                ("dynamodb:ConditionCheckItem", TABLE, Some("TENANT#x")),
            ]
        );
    }

    #[test]
    fn a_batch_is_authorized_as_one_request_over_all_its_partitions() {
        // GIVEN a batch read of two partitions, one of them twice
        let body = json!({ "RequestItems": { "t": { "Keys": [
            { "pk": { "S": "PARTNER#1" } }, { "pk": { "S": "TENANT#2" } },
            { "pk": { "S": "PARTNER#1" } }
        ] } } });
        // THEN it is one authorization, whose leading keys are both partitions
        let parts = dynamodb(&arns(), "BatchGetItem", &body);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].action, "dynamodb:BatchGetItem");
        assert_eq!(
            parts[0].context.get(LEADING_KEYS),
            Some(&vec!["PARTNER#1".to_owned(), "TENANT#2".to_owned()])
        );
        // AND a batch with a key whose partition cannot be told carries none to test
        let unknown = json!({ "RequestItems": { "t": { "Keys": [
            { "pk": { "S": "PARTNER#1" } }, { "sk": { "S": "X" } }
        ] } } });
        let parts = dynamodb(&arns(), "BatchGetItem", &unknown);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].context.get(LEADING_KEYS), None);
    }

    #[test]
    fn a_query_of_the_table_reads_its_partition_and_a_query_of_an_index_says_none() {
        // GIVEN a query of a claim's partition, and one of the due index
        let table = json!({ "TableName": "t", "KeyConditionExpression": "#pk = :v0",
            "ExpressionAttributeNames": { "#pk": "pk" },
            "ExpressionAttributeValues": { ":v0": { "S": "CLAIM#1" } } });
        let index = json!({ "TableName": "t", "IndexName": "due_claims",
            "KeyConditionExpression": "#due_shard = :v0 AND #due_at < :v1",
            "ExpressionAttributeNames": { "#due_shard": "due_shard", "#due_at": "due_at" },
            "ExpressionAttributeValues": { ":v0": { "S": "DUE#0" }, ":v1": { "S": "x" } } });
        // THEN the first names the partition, the second the index and no leading key
        assert_eq!(
            actions(&dynamodb(&arns(), "Query", &table)),
            vec![("dynamodb:Query", TABLE, Some("CLAIM#1"))]
        );
        let on_index = format!("{TABLE}/index/due_claims");
        assert_eq!(
            actions(&dynamodb(&arns(), "Query", &index)),
            vec![("dynamodb:Query", on_index.as_str(), None)]
        );
    }

    #[test]
    fn a_queue_a_sender_and_a_secret_are_named_by_their_arns() {
        let sqs = authorizations(
            &arns(),
            "SQS",
            "SendMessage",
            br#"{"QueueUrl":"http://127.0.0.1:5000/123456789012/cpor-test-notifications"}"#,
        );
        assert_eq!(
            actions(&sqs),
            vec![(
                "sqs:SendMessage",
                "arn:aws:sqs:us-east-1:123456789012:cpor-test-notifications",
                None
            )]
        );
        let ses = authorizations(
            &arns(),
            "SES",
            "SendEmail",
            b"Action=SendEmail&Version=2010-12-01&Source=Cpor+%3Ccpor%40example.com%3E",
        );
        assert_eq!(
            actions(&ses),
            vec![(
                "ses:SendEmail",
                "arn:aws:ses:us-east-1:123456789012:identity/cpor@example.com",
                None
            )]
        );
        let secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf";
        let read = authorizations(
            &arns(),
            "secretsmanager",
            "GetSecretValue",
            format!(r#"{{"SecretId":"{secret}"}}"#).as_bytes(),
        );
        assert_eq!(
            actions(&read),
            vec![("secretsmanager:GetSecretValue", secret, None)]
        );
    }
}
