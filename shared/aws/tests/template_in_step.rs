//! One source of truth for the table and the queues: the local stack creates them from
//! `cpor_aws::schema`, and the SAM template (`infra/template.yaml`) must declare the same. These
//! tests fail when either side changes alone.

// Tests: the house rules bind the service's code (Cargo.toml's workspace lints), not tests.
#![allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines)]

use cpor_aws::config;
use cpor_aws::schema::{self, INDEXES, QueueDefinition};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const TEMPLATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../infra/template.yaml");

/// The template as JSON, CloudFormation's short-form tags written in long form
/// (`!Ref X` as `{"Ref": "X"}`, `!GetAtt A.B` as `{"Fn::GetAtt": ["A", "B"]}`, `!Sub s` as
/// `{"Fn::Sub": "s"}`).
fn template() -> Value {
    let text = std::fs::read_to_string(TEMPLATE).expect("infra/template.yaml is readable");
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("the template is YAML");
    long_form(yaml)
}

fn long_form(yaml: serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(n).expect("a number"),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(long_form).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k.as_str().expect("string keys").to_owned(), long_form(v)))
                .collect(),
        ),
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let value = long_form(tagged.value);
            match (name, value) {
                ("Ref", v) => json!({ "Ref": v }),
                ("GetAtt", Value::String(s)) => {
                    let (resource, attribute) = s.split_once('.').expect("!GetAtt Resource.Attr");
                    json!({ "Fn::GetAtt": [resource, attribute] })
                }
                (other, v) => json!({ format!("Fn::{other}"): v }),
            }
        }
    }
}

fn resource<'a>(template: &'a Value, name: &str) -> &'a Value {
    let found = &template["Resources"][name]["Properties"];
    assert!(found.is_object(), "the template has no resource {name}");
    found
}

fn key_schema(keys: &Value) -> Vec<(String, String)> {
    keys.as_array()
        .expect("a key schema")
        .iter()
        .map(|k| {
            (
                k["AttributeName"].as_str().unwrap_or_default().to_owned(),
                k["KeyType"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn pair(partition: &str, sort: &str) -> Vec<(String, String)> {
    vec![
        (partition.to_owned(), "HASH".to_owned()),
        (sort.to_owned(), "RANGE".to_owned()),
    ]
}

/// An index as both sides can say it: name, key schema, projection type, projected attributes.
type IndexShape = (String, Vec<(String, String)>, String, Vec<String>);

#[test]
fn the_template_declares_the_table_of_the_schema() {
    let template = template();
    let table = resource(&template, "Table");

    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        key_schema(&table["KeySchema"]),
        pair(schema::PK, schema::SK)
    );

    let declared: BTreeSet<(String, String)> = table["AttributeDefinitions"]
        .as_array()
        .expect("attribute definitions")
        .iter()
        .map(|a| {
            (
                a["AttributeName"].as_str().unwrap_or_default().to_owned(),
                a["AttributeType"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [schema::PK, schema::SK]
        .into_iter()
        .chain(INDEXES.iter().flat_map(|i| [i.partition_key, i.sort_key]))
        .map(|name| (name.to_owned(), "S".to_owned()))
        .collect();
    assert_eq!(declared, expected, "attribute definitions");

    let mut declared: Vec<IndexShape> = table["GlobalSecondaryIndexes"]
        .as_array()
        .expect("global secondary indexes")
        .iter()
        .map(|i| {
            let projected = i["Projection"]["NonKeyAttributes"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            (
                i["IndexName"].as_str().unwrap_or_default().to_owned(),
                key_schema(&i["KeySchema"]),
                i["Projection"]["ProjectionType"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                projected,
            )
        })
        .collect();
    let mut expected: Vec<IndexShape> = INDEXES
        .iter()
        .map(|i| {
            let (kind, projected) = match i.projected {
                None => ("ALL", vec![]),
                Some(fields) => ("INCLUDE", fields.iter().map(|f| f.to_string()).collect()),
            };
            (
                i.name.to_owned(),
                pair(i.partition_key, i.sort_key),
                kind.to_owned(),
                projected,
            )
        })
        .collect();
    declared.sort();
    expected.sort();
    assert_eq!(declared, expected, "global secondary indexes");

    assert_eq!(
        table["TimeToLiveSpecification"],
        json!({ "AttributeName": schema::TTL_ATTRIBUTE, "Enabled": true })
    );
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(table["DeletionProtectionEnabled"], true);
}

#[test]
fn the_template_declares_the_queues_of_the_schema() {
    let template = template();
    // The template names its queues after the stack, as the local stack does after its prefix.
    let expected = QueueDefinition::notifications("${AWS::StackName}");
    let queue = resource(&template, "NotificationQueue");
    let dead_letter = resource(&template, "NotificationDeadLetterQueue");

    assert_eq!(queue["QueueName"], json!({ "Fn::Sub": expected.name }));
    assert_eq!(
        queue["VisibilityTimeout"],
        expected.visibility_timeout_seconds
    );
    assert_eq!(
        queue["RedrivePolicy"],
        json!({
            "deadLetterTargetArn": { "Fn::GetAtt": ["NotificationDeadLetterQueue", "Arn"] },
            "maxReceiveCount": expected.max_receive_count,
        })
    );
    assert_eq!(
        dead_letter["QueueName"],
        json!({ "Fn::Sub": expected.dead_letter_name })
    );
    assert_eq!(
        dead_letter["MessageRetentionPeriod"],
        expected.dead_letter_retention_seconds
    );
}

#[test]
fn the_template_declares_the_claim_batches_queues_of_the_schema_and_their_consumer() {
    let template = template();
    let expected = QueueDefinition::claim_batches("${AWS::StackName}");
    let queue = resource(&template, "ClaimBatchQueue");
    let dead_letter = resource(&template, "ClaimBatchDeadLetterQueue");
    assert_eq!(queue["QueueName"], json!({ "Fn::Sub": expected.name }));
    assert_eq!(
        queue["RedrivePolicy"],
        json!({
            "deadLetterTargetArn": { "Fn::GetAtt": ["ClaimBatchDeadLetterQueue", "Arn"] },
            "maxReceiveCount": expected.max_receive_count,
        })
    );
    assert_eq!(
        dead_letter["QueueName"],
        json!({ "Fn::Sub": expected.dead_letter_name })
    );
    assert_eq!(
        dead_letter["MessageRetentionPeriod"],
        expected.dead_letter_retention_seconds
    );
    // AND its consumer reports failed chunks one by one, within a sixth of the visibility
    let consumer = resource(&template, "ProcessClaimBatchFunction");
    let timeout = consumer["Timeout"].as_u64().expect("its own timeout");
    assert_eq!(
        queue["VisibilityTimeout"],
        expected.visibility_timeout_seconds
    );
    assert_eq!(u64::from(expected.visibility_timeout_seconds), 6 * timeout);
    let source = &consumer["Events"]["Chunks"]["Properties"];
    assert_eq!(
        source["Queue"],
        json!({ "Fn::GetAtt": ["ClaimBatchQueue", "Arn"] })
    );
    assert_eq!(
        source["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
}

#[test]
fn the_visibility_timeout_is_six_times_the_consumers_timeout() {
    let template = template();
    let notify = resource(&template, "NotifyCustomerFunction");
    let timeout = notify["Timeout"]
        .as_u64()
        .expect("notify-customer has its own timeout");
    let expected = QueueDefinition::notifications("any");
    assert_eq!(u64::from(expected.visibility_timeout_seconds), 6 * timeout);
    let source = &notify["Events"]["Notifications"]["Properties"];
    assert_eq!(
        source["Queue"],
        json!({ "Fn::GetAtt": ["NotificationQueue", "Arn"] })
    );
    assert_eq!(
        source["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
}

fn strings(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(s) => found.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, found)),
        Value::Object(map) => map.values().for_each(|v| strings(v, found)),
        _ => {}
    }
}

#[test]
fn the_policies_name_only_indexes_of_the_schema() {
    let template = template();
    let mut found = Vec::new();
    strings(&template["Resources"], &mut found);
    let named: BTreeSet<&str> = found
        .iter()
        .filter_map(|s| s.split_once("/index/").map(|(_, index)| index))
        .collect();
    let known: BTreeSet<&str> = INDEXES.iter().map(|i| i.name).collect();
    assert!(
        !named.is_empty(),
        "the policies grant queries on the indexes"
    );
    assert!(named.is_subset(&known), "{named:?} not all in {known:?}");
}

#[test]
fn the_functions_read_only_variables_they_know_and_no_plain_secret() {
    let template = template();
    let known = [
        config::TABLE_NAME,
        config::QUEUE_URL,
        config::BATCH_QUEUE_URL,
        config::SENDER_EMAIL,
        config::SES_CONFIGURATION_SET,
        config::PUBLIC_BASE_URL,
        config::TOKEN_SECRET_ARN,
        config::TOKEN_KEY_ID,
        config::HOLIDAYS,
        config::REVIEW_POLICY,
        config::DOCUMENTS_BUCKET,
        config::EXPORTS_QUEUE_URL,
        config::EVENT_BUS_NAME,
        cpor_aws::budget::PARTNER_REQUESTS_PER_SECOND,
        config::PARTNER_ISSUER,
        config::PARTNER_AUDIENCE,
        config::REVIEWER_ISSUER,
        config::REVIEWER_AUDIENCE,
        cpor_aws::webhooks::WEBHOOK_KEY_ID,
        // deliver-webhooks' own (its crate depends on this one).
        "CPOR_WEBHOOK_QUEUE_URL",
    ];
    let resources = template["Resources"].as_object().expect("resources");
    let mut functions = 0;
    for (name, resource) in resources {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        functions += 1;
        let variables = resource["Properties"]["Environment"]["Variables"]
            .as_object()
            .expect("each function has its environment");
        // Every function but the authorizer, which reads tokens and no table.
        assert_eq!(
            variables.contains_key(config::TABLE_NAME),
            name != "AuthorizeCallerFunction",
            "{name}"
        );
        for variable in variables.keys().filter(|k| k.starts_with("CPOR_")) {
            assert!(known.contains(&variable.as_str()), "{name} sets {variable}");
            // Loopback receivers are the local stack's alone.
            assert_ne!(
                variable,
                cpor_aws::webhooks::WEBHOOKS_ALLOW_LOOPBACK,
                "{name}: webhooks to loopback in AWS"
            );
            assert_ne!(
                variable,
                config::TOKEN_SECRET,
                "{name}: the secret in plain text"
            );
        }
    }
    assert_eq!(functions, 14);
}

#[test]
fn alarms_on_the_services_metrics_name_metrics_and_dimensions_the_functions_emit() {
    let template = template();
    let functions = [
        "submit-claim",
        "manage-claims",
        "notify-customer",
        "notify-partner",
        "record-opt-out",
        "finalize-association",
        "review-claims",
    ];
    let mut ours = 0;
    for (name, resource) in template["Resources"].as_object().unwrap() {
        if resource["Type"] != "AWS::CloudWatch::Alarm" {
            continue;
        }
        let properties = &resource["Properties"];
        if properties["Namespace"] != json!({ "Fn::Sub": "CPOR/${AWS::StackName}" }) {
            continue;
        }
        ours += 1;
        let metric = properties["MetricName"].as_str().unwrap();
        assert!(
            cpor_aws::metrics::name::ALL.contains(&metric),
            "{name} watches {metric}, which no function emits"
        );
        for dimension in properties["Dimensions"].as_array().unwrap() {
            assert_eq!(dimension["Name"], "function", "{name}");
            assert!(
                functions.contains(&dimension["Value"].as_str().unwrap()),
                "{name}: {dimension}"
            );
        }
    }
    assert!(
        ours >= 3,
        "alarms on notification failures and finalization"
    );
    // AND the functions read the same namespace the alarms watch
    assert_eq!(
        template["Globals"]["Function"]["Environment"]["Variables"][cpor_aws::metrics::NAMESPACE],
        json!({ "Fn::Sub": "CPOR/${AWS::StackName}" })
    );
}

#[test]
fn every_function_logs_json_lines() {
    let template = template();
    let mut functions = 0;
    for (name, resource) in template["Resources"].as_object().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        functions += 1;
        let logging = &resource["Properties"]["LoggingConfig"];
        assert_eq!(logging["LogFormat"], "JSON", "{name}");
        assert_eq!(
            logging["ApplicationLogLevel"],
            json!({ "Ref": "LogLevel" }),
            "{name}"
        );
    }
    assert_eq!(functions, 14);
}

#[test]
fn the_public_page_and_the_queue_consumer_cannot_use_up_the_accounts_concurrency() {
    let template = template();
    let parameter = |name: &str| json!({ "Ref": name });
    // GIVEN the HTTP API: every route throttled, the public page by limits of its own (behind
    // CloudFront's per-client limit, high enough that only a flood meets them)
    let api = resource(&template, "HttpApi");
    assert_eq!(
        api["DefaultRouteSettings"],
        json!({ "ThrottlingRateLimit": parameter("ApiRateLimit"), "ThrottlingBurstLimit": parameter("ApiBurstLimit") })
    );
    for route in ["GET /opt-out/{token}", "POST /opt-out/{token}"] {
        assert_eq!(
            api["RouteSettings"][route],
            json!({ "ThrottlingRateLimit": parameter("OptOutRateLimit"), "ThrottlingBurstLimit": parameter("OptOutBurstLimit") }),
            "{route}"
        );
    }
    // AND the public page's function has a concurrency of its own, which caps it
    assert_eq!(
        resource(&template, "RecordOptOutFunction")["ReservedConcurrentExecutions"],
        parameter("OptOutConcurrency")
    );
    // AND the queue starts at most so many notify-customer executions
    assert_eq!(
        resource(&template, "NotifyCustomerFunction")["Events"]["Notifications"]["Properties"]["ScalingConfig"]
            ["MaximumConcurrency"],
        parameter("NotifyMaximumConcurrency")
    );
    // AND each limit has a sane default
    for (name, default) in [
        ("ApiRateLimit", 50),
        ("ApiBurstLimit", 100),
        ("OptOutRateLimit", 100),
        ("OptOutBurstLimit", 200),
        ("OptOutConcurrency", 50),
        ("NotifyMaximumConcurrency", 5),
    ] {
        assert_eq!(template["Parameters"][name]["Default"], default, "{name}");
    }
}

#[test]
fn the_public_base_url_parameter_refuses_clear_text() {
    let template = template();
    let pattern = template["Parameters"]["PublicBaseUrl"]["AllowedPattern"]
        .as_str()
        .expect("an AllowedPattern");
    assert!(pattern.starts_with("^(https://"), "{pattern}");
}

#[test]
fn the_template_declares_the_partner_email_queues_and_the_rule_that_fills_them() {
    let template = template();
    // GIVEN the schema's partner e-mail queue
    let expected = QueueDefinition::partner_emails("${AWS::StackName}");
    let queue = resource(&template, "PartnerEmailQueue");
    let dead_letter = resource(&template, "PartnerEmailDeadLetterQueue");
    // THEN the template declares it and its dead-letter queue alike
    assert_eq!(queue["QueueName"], json!({ "Fn::Sub": expected.name }));
    assert_eq!(
        queue["VisibilityTimeout"],
        expected.visibility_timeout_seconds
    );
    assert_eq!(
        queue["RedrivePolicy"],
        json!({
            "deadLetterTargetArn": { "Fn::GetAtt": ["PartnerEmailDeadLetterQueue", "Arn"] },
            "maxReceiveCount": expected.max_receive_count,
        })
    );
    assert_eq!(
        dead_letter["QueueName"],
        json!({ "Fn::Sub": expected.dead_letter_name })
    );
    assert_eq!(
        dead_letter["MessageRetentionPeriod"],
        expected.dead_letter_retention_seconds
    );
    // AND the rule on the service's bus sends it the events partners are told of
    let rule = resource(&template, "PartnerEmailRule");
    assert_eq!(rule["EventBusName"], json!({ "Ref": "EventBus" }));
    assert_eq!(rule["EventPattern"]["source"], json!(["cpor"]));
    let types: Vec<String> = cpor_aws::schema::PARTNER_EMAIL_EVENTS
        .iter()
        .map(|e| format!("claim.{e}"))
        .collect();
    assert_eq!(rule["EventPattern"]["detail-type"], json!(types));
    assert_eq!(
        rule["Targets"][0]["Arn"],
        json!({ "Fn::GetAtt": ["PartnerEmailQueue", "Arn"] })
    );
    // AND notify-partner reads it, reporting failed messages one by one, within six times
    // its timeout
    let function = resource(&template, "NotifyPartnerFunction");
    let timeout = function["Timeout"]
        .as_u64()
        .expect("notify-partner's timeout");
    assert_eq!(u64::from(expected.visibility_timeout_seconds), 6 * timeout);
    let source = &function["Events"]["ClaimEvents"]["Properties"];
    assert_eq!(
        source["Queue"],
        json!({ "Fn::GetAtt": ["PartnerEmailQueue", "Arn"] })
    );
    assert_eq!(
        source["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
}

#[test]
fn the_template_declares_the_webhooks_queues_the_rule_that_fills_them_and_their_capped_consumer() {
    let template = template();
    // GIVEN the schema's webhooks' queue
    let expected = QueueDefinition::webhooks("${AWS::StackName}");
    let queue = resource(&template, "WebhookQueue");
    let dead_letter = resource(&template, "WebhookDeadLetterQueue");
    // THEN the template declares it and its dead-letter queue alike, keeping a message four
    // days (the retry schedule lasts about two and a quarter), and redriving only after more
    // receipts than the schedule's ten attempts
    assert_eq!(queue["QueueName"], json!({ "Fn::Sub": expected.name }));
    assert_eq!(
        queue["VisibilityTimeout"],
        expected.visibility_timeout_seconds
    );
    assert!(queue["MessageRetentionPeriod"].as_u64() >= Some(4 * 24 * 3600));
    assert_eq!(
        queue["RedrivePolicy"],
        json!({
            "deadLetterTargetArn": { "Fn::GetAtt": ["WebhookDeadLetterQueue", "Arn"] },
            "maxReceiveCount": expected.max_receive_count,
        })
    );
    let attempts = cpor_domain::webhook::schedule::RetrySchedule::default().retries() + 1;
    assert!(expected.max_receive_count as usize > attempts);
    assert_eq!(
        dead_letter["QueueName"],
        json!({ "Fn::Sub": expected.dead_letter_name })
    );
    // AND the rule on the service's bus sends it every event of the service
    let rule = resource(&template, "WebhookRule");
    assert_eq!(rule["EventBusName"], json!({ "Ref": "EventBus" }));
    assert_eq!(rule["EventPattern"], cpor_aws::schema::webhook_pattern());
    assert_eq!(
        rule["Targets"][0]["Arn"],
        json!({ "Fn::GetAtt": ["WebhookQueue", "Arn"] })
    );
    // AND deliver-webhooks reads it, reporting failed messages one by one, within six times
    // its timeout, at most so many executions at once
    let function = resource(&template, "DeliverWebhooksFunction");
    let timeout = function["Timeout"].as_u64().expect("its timeout");
    assert_eq!(u64::from(expected.visibility_timeout_seconds), 6 * timeout);
    let source = &function["Events"]["Deliveries"]["Properties"];
    assert_eq!(
        source["Queue"],
        json!({ "Fn::GetAtt": ["WebhookQueue", "Arn"] })
    );
    assert_eq!(
        source["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    assert_eq!(
        source["ScalingConfig"]["MaximumConcurrency"],
        json!({ "Ref": "WebhookMaximumConcurrency" })
    );
    // AND its batches are as large as the function expects, with the batching window SQS asks
    // for above ten messages
    assert_eq!(source["BatchSize"], cpor_aws::webhooks::DELIVERY_BATCH_SIZE);
    assert_eq!(
        source["MaximumBatchingWindowInSeconds"],
        cpor_aws::webhooks::DELIVERY_BATCHING_WINDOW_SECONDS
    );
    assert_eq!(
        template["Parameters"]["WebhookMaximumConcurrency"]["Default"],
        10
    );
}

#[test]
fn the_bus_rule_queues_the_customers_notification_as_the_schema_says() {
    let template = template();
    // GIVEN the rule that queues the customer's notification from the history's outbox
    let rule = resource(&template, "CustomerNotificationRule");
    // THEN it reads the service's bus with the schema's pattern, into the notification queue
    assert_eq!(rule["EventBusName"], json!({ "Ref": "EventBus" }));
    assert_eq!(
        rule["EventPattern"],
        cpor_aws::schema::customer_notification_pattern()
    );
    assert_eq!(
        rule["Targets"][0]["Arn"],
        json!({ "Fn::GetAtt": ["NotificationQueue", "Arn"] })
    );
    // AND the queue's policy lets that rule alone send to it
    let policy = resource(&template, "NotificationQueuePolicy");
    let statement = &policy["PolicyDocument"]["Statement"][0];
    assert_eq!(
        statement["Principal"],
        json!({ "Service": "events.amazonaws.com" })
    );
    assert_eq!(
        statement["Condition"]["ArnEquals"]["aws:SourceArn"],
        json!({ "Fn::GetAtt": ["CustomerNotificationRule", "Arn"] })
    );
}

#[test]
fn the_template_declares_the_documents_queues_and_notification_of_the_schema() {
    let template = template();
    let expected = QueueDefinition::documents("${AWS::StackName}");
    let queue = resource(&template, "DocumentsQueue");
    let dead_letter = resource(&template, "DocumentsDeadLetterQueue");
    assert_eq!(queue["QueueName"], json!({ "Fn::Sub": expected.name }));
    assert_eq!(
        queue["VisibilityTimeout"],
        expected.visibility_timeout_seconds
    );
    assert_eq!(
        queue["RedrivePolicy"],
        json!({
            "deadLetterTargetArn": { "Fn::GetAtt": ["DocumentsDeadLetterQueue", "Arn"] },
            "maxReceiveCount": expected.max_receive_count,
        })
    );
    assert_eq!(
        dead_letter["QueueName"],
        json!({ "Fn::Sub": expected.dead_letter_name })
    );
    assert_eq!(
        dead_letter["MessageRetentionPeriod"],
        expected.dead_letter_retention_seconds
    );
    let bucket = resource(&template, "DocumentsBucket");
    assert_eq!(
        bucket["NotificationConfiguration"]["QueueConfigurations"],
        json!([{
            "Event": "s3:ObjectCreated:*",
            "Queue": { "Fn::GetAtt": ["DocumentsQueue", "Arn"] },
            "Filter": { "S3Key": { "Rules": [
                { "Name": "prefix", "Value": schema::DOCUMENTS_KEY_PREFIX }
            ] } },
        }])
    );
    let record = resource(&template, "RecordDocumentFunction");
    let timeout = record["Timeout"]
        .as_u64()
        .expect("record-document's timeout");
    assert_eq!(u64::from(expected.visibility_timeout_seconds), 6 * timeout);
    assert_eq!(
        record["Events"]["Uploads"]["Properties"]["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
}

#[test]
fn the_template_declares_the_exports_queues_of_the_schema_read_by_run_export() {
    let template = template();
    let expected = QueueDefinition::exports("${AWS::StackName}");
    let queue = resource(&template, "ExportsQueue");
    let dead_letter = resource(&template, "ExportsDeadLetterQueue");
    assert_eq!(queue["QueueName"], json!({ "Fn::Sub": expected.name }));
    assert_eq!(
        queue["VisibilityTimeout"],
        expected.visibility_timeout_seconds
    );
    assert_eq!(
        queue["RedrivePolicy"],
        json!({
            "deadLetterTargetArn": { "Fn::GetAtt": ["ExportsDeadLetterQueue", "Arn"] },
            "maxReceiveCount": expected.max_receive_count,
        })
    );
    assert_eq!(
        dead_letter["QueueName"],
        json!({ "Fn::Sub": expected.dead_letter_name })
    );
    assert_eq!(
        dead_letter["MessageRetentionPeriod"],
        expected.dead_letter_retention_seconds
    );
    let run = resource(&template, "RunExportFunction");
    let timeout = run["Timeout"].as_u64().expect("run-export's timeout");
    assert_eq!(u64::from(expected.visibility_timeout_seconds), 6 * timeout);
    let source = &run["Events"]["Exports"]["Properties"];
    assert_eq!(
        source["Queue"],
        json!({ "Fn::GetAtt": ["ExportsQueue", "Arn"] })
    );
    assert_eq!(
        source["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    assert_eq!(source["BatchSize"], 1);
}

#[test]
fn the_exports_files_expire_after_seven_days_and_are_never_notified_as_documents() {
    // GIVEN the documents bucket of the template
    let template = template();
    let bucket = resource(&template, "DocumentsBucket");
    let rules = bucket["LifecycleConfiguration"]["Rules"]
        .as_array()
        .expect("lifecycle rules");
    // THEN one rule expires what is under exports/ after the schema's days, and the version
    // that leaves behind (the bucket is versioned)
    let exports: Vec<&Value> = rules
        .iter()
        .filter(|r| r["Id"] == schema::EXPORTS_LIFECYCLE_RULE)
        .collect();
    assert_eq!(exports.len(), 1, "{rules:?}");
    let rule = exports[0];
    assert_eq!(rule["Status"], "Enabled");
    assert_eq!(rule["Prefix"], schema::EXPORTS_KEY_PREFIX);
    assert_eq!(rule["ExpirationInDays"], schema::EXPORTS_EXPIRY_DAYS);
    assert_eq!(rule["NoncurrentVersionExpiration"]["NoncurrentDays"], 1);
    // AND no other rule expires a current object: documents are evidence
    for other in rules
        .iter()
        .filter(|r| r["Id"] != schema::EXPORTS_LIFECYCLE_RULE)
    {
        assert!(other["ExpirationInDays"].is_null(), "{other}");
        assert!(other["ExpirationDate"].is_null(), "{other}");
        assert!(other["NoncurrentVersionExpiration"].is_null(), "{other}");
    }
    // AND the bucket notifies record-document of claims/ alone, which exports/ is not under
    let configurations = bucket["NotificationConfiguration"]["QueueConfigurations"]
        .as_array()
        .expect("the bucket's notifications");
    for configuration in configurations {
        let rules = &configuration["Filter"]["S3Key"]["Rules"];
        assert_eq!(
            rules,
            &json!([{ "Name": "prefix", "Value": schema::DOCUMENTS_KEY_PREFIX }])
        );
    }
    assert!(!schema::EXPORTS_KEY_PREFIX.starts_with(schema::DOCUMENTS_KEY_PREFIX));
    assert!(!schema::DOCUMENTS_KEY_PREFIX.starts_with(schema::EXPORTS_KEY_PREFIX));
}

#[test]
fn the_table_s_stream_feeds_the_publisher_which_reports_failures_and_keeps_what_it_cannot_publish()
{
    let template = template();
    // GIVEN the table: its stream carries new images, as the local stack's table does
    assert_eq!(
        resource(&template, "Table")["StreamSpecification"],
        json!({ "StreamViewType": schema::STREAM_VIEW_TYPE })
    );
    // AND the bus is named as the local stack names it, and archived for replays
    assert_eq!(
        resource(&template, "EventBus")["Name"],
        json!({ "Fn::Sub": schema::event_bus("${AWS::StackName}") })
    );
    let archive = resource(&template, "EventArchive");
    assert_eq!(
        archive["SourceArn"],
        json!({ "Fn::GetAtt": ["EventBus", "Arn"] })
    );
    assert_eq!(
        archive["EventPattern"],
        json!({ "source": [cpor_domain::events::SOURCE] })
    );
    // WHEN the publisher's stream event source is read
    let function = resource(&template, "PublishEventsFunction");
    assert_eq!(
        function["Environment"]["Variables"][config::EVENT_BUS_NAME],
        json!({ "Ref": "EventBus" })
    );
    let source = &function["Events"]["History"];
    assert_eq!(source["Type"], "DynamoDB");
    let source = &source["Properties"];
    // THEN it reads the table's stream from its oldest record, reports failed records one by
    // one, retries a bounded number of times, and sends what is left to a dead-letter queue
    assert_eq!(
        source["Stream"],
        json!({ "Fn::GetAtt": ["Table", "StreamArn"] })
    );
    assert_eq!(source["StartingPosition"], "TRIM_HORIZON");
    assert_eq!(
        source["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    assert_eq!(source["BisectBatchOnFunctionError"], true);
    assert!(
        source["MaximumRetryAttempts"]
            .as_i64()
            .is_some_and(|n| n > 0)
    );
    assert_eq!(
        source["DestinationConfig"]["OnFailure"]["Destination"],
        json!({ "Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"] })
    );
    // AND only history entries reach it (the keys' prefix of the service's history items)
    let pattern: Value = serde_json::from_str(
        source["FilterCriteria"]["Filters"][0]["Pattern"]
            .as_str()
            .expect("a filter pattern"),
    )
    .expect("the pattern is JSON");
    assert_eq!(
        pattern,
        json!({ "dynamodb": { "Keys": { "sk": { "S": [{ "prefix": cpor_aws::dynamo::keys::EVENT_PREFIX }] } } } })
    );
    // AND an alarm watches the dead-letter queue, another the function's errors
    assert_eq!(
        resource(&template, "EventsDeadLetterAlarm")["Dimensions"][0]["Value"],
        json!({ "Fn::GetAtt": ["EventsDeadLetterQueue", "QueueName"] })
    );
    assert_eq!(
        resource(&template, "PublishEventsErrorsAlarm")["Dimensions"][0]["Value"],
        json!({ "Ref": "PublishEventsFunction" })
    );
}

/// The statements of a resource policy (an SQS queue's, an SNS topic's).
fn statements(policy: &Value) -> &[Value] {
    policy["PolicyDocument"]["Statement"]
        .as_array()
        .map_or(&[], Vec::as_slice)
}

#[test]
fn only_the_configuration_set_s_feedback_may_publish_to_the_feedback_topic() {
    let template = template();
    // GIVEN the topic SES's configuration set publishes bounces and complaints to
    let destination = resource(&template, "EmailFeedbackDestination");
    assert_eq!(
        destination["ConfigurationSetName"],
        json!({ "Ref": "EmailConfigurationSet" })
    );
    assert_eq!(
        destination["EventDestination"]["SnsDestination"]["TopicARN"],
        json!({ "Ref": "EmailFeedbackTopic" })
    );
    // WHEN its policy is read
    let policy = resource(&template, "EmailFeedbackTopicPolicy");
    assert_eq!(policy["Topics"], json!([{ "Ref": "EmailFeedbackTopic" }]));
    let granted: Vec<&Value> = statements(policy)
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .collect();
    // THEN SES alone may publish, and only for this configuration set of this account
    assert_eq!(granted.len(), 1, "{granted:?}");
    let statement = granted[0];
    assert_eq!(
        statement["Principal"],
        json!({ "Service": "ses.amazonaws.com" })
    );
    assert_eq!(statement["Action"], "sns:Publish");
    assert_eq!(
        statement["Condition"]["StringEquals"],
        json!({
            "aws:SourceAccount": { "Ref": "AWS::AccountId" },
            "aws:SourceArn": {
                "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/${EmailConfigurationSet}"
            },
        })
    );
}

/// The logical id `X` of `!GetAtt X.Arn`.
fn arn_of(value: &Value) -> Option<String> {
    match value["Fn::GetAtt"].as_array().map(Vec::as_slice) {
        Some([resource, attribute]) if attribute == "Arn" => resource.as_str().map(str::to_owned),
        _ => None,
    }
}

/// Every queue named as a dead-letter queue anywhere: a queue's redrive target, an EventBridge
/// target's (or a SAM schedule's) `DeadLetterConfig`, an event source mapping's `OnFailure`.
fn dead_letter_queues(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let named = match key.as_str() {
                    "deadLetterTargetArn" => arn_of(v),
                    "DeadLetterConfig" => arn_of(&v["Arn"]),
                    "OnFailure" => arn_of(&v["Destination"]),
                    _ => None,
                };
                found.extend(named);
                dead_letter_queues(v, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| dead_letter_queues(v, found)),
        _ => {}
    }
}

#[test]
fn every_dead_letter_queue_has_one_alarm_to_the_alarm_topic() {
    let template = template();
    let resources = template["Resources"].as_object().expect("resources");
    // GIVEN every queue the template names as a dead-letter queue
    let mut queues = BTreeSet::new();
    dead_letter_queues(&template["Resources"], &mut queues);
    for known in [
        "NotificationDeadLetterQueue",
        "PartnerEmailDeadLetterQueue",
        "DocumentsDeadLetterQueue",
        "EmailFeedbackDeadLetterQueue",
        "EventsDeadLetterQueue",
        "WebhookDeadLetterQueue",
    ] {
        assert!(queues.contains(known), "{known} not found among {queues:?}");
    }
    // AND the topic the other alarms notify
    let topic = json!({ "Fn::If": ["HasAlarmTopic", [{ "Ref": "AlarmTopicArn" }], { "Ref": "AWS::NoValue" }] });
    for queue in &queues {
        assert_eq!(
            template["Resources"][queue]["Type"], "AWS::SQS::Queue",
            "{queue}"
        );
        // THEN exactly one alarm watches it: any message visible, to that topic
        let watching: Vec<&String> = resources
            .iter()
            .filter(|(_, r)| {
                r["Type"] == "AWS::CloudWatch::Alarm"
                    && r["Properties"]["Namespace"] == "AWS/SQS"
                    && r["Properties"]["Dimensions"]
                        == json!([{ "Name": "QueueName", "Value": { "Fn::GetAtt": [queue, "QueueName"] } }])
            })
            .map(|(name, _)| name)
            .collect();
        assert_eq!(watching.len(), 1, "{queue} is watched by {watching:?}");
        let alarm = &resources[watching[0].as_str()]["Properties"];
        assert_eq!(
            alarm["MetricName"], "ApproximateNumberOfMessagesVisible",
            "{queue}"
        );
        assert_eq!(alarm["Threshold"], 0, "{queue}");
        assert_eq!(
            alarm["ComparisonOperator"], "GreaterThanThreshold",
            "{queue}"
        );
        assert_eq!(alarm["AlarmActions"], topic, "{queue}");
    }
}

/// The values of a condition key: one string or a list.
fn values(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

#[test]
fn every_rule_s_targets_retry_a_bounded_time_then_leave_what_failed_in_a_dead_letter_queue() {
    let template = template();
    let resources = template["Resources"].as_object().expect("resources");
    // GIVEN every EventBridge rule's targets: the template's rules, and the schedules SAM makes
    // rules of (named <function><event>)
    let mut targets: Vec<(Value, &Value)> = Vec::new();
    for (name, resource) in resources {
        if resource["Type"] == "AWS::Events::Rule" {
            for target in resource["Properties"]["Targets"]
                .as_array()
                .expect("targets")
            {
                targets.push((json!({ "Fn::GetAtt": [name, "Arn"] }), target));
            }
        }
        if resource["Type"] == "AWS::Serverless::Function" {
            for (event, source) in resource["Properties"]["Events"]
                .as_object()
                .into_iter()
                .flatten()
            {
                if source["Type"] == "Schedule" {
                    let rule = format!("{name}{event}");
                    targets.push((
                        json!({ "Fn::GetAtt": [rule, "Arn"] }),
                        &source["Properties"],
                    ));
                }
            }
        }
    }
    assert!(
        targets.len() >= 2,
        "the partner e-mails' rule and the nightly schedule"
    );
    for (rule, target) in targets {
        // THEN each retries for a bounded time and number of attempts
        let retry = &target["RetryPolicy"];
        let age = retry["MaximumEventAgeInSeconds"].as_u64();
        let attempts = retry["MaximumRetryAttempts"].as_u64();
        assert!(age.is_some_and(|s| (60..=86_400).contains(&s)), "{rule}");
        assert!(attempts.is_some_and(|n| n <= 185), "{rule}");
        // AND then leaves the event in a dead-letter queue
        let queue = arn_of(&target["DeadLetterConfig"]["Arn"])
            .unwrap_or_else(|| panic!("{rule}: no dead-letter queue"));
        assert_eq!(resources[&queue]["Type"], "AWS::SQS::Queue", "{rule}");
        // AND that queue's policy lets EventBridge send to it for this rule
        let allowed = resources.values().any(|policy| {
            policy["Type"] == "AWS::SQS::QueuePolicy"
                && values(&policy["Properties"]["Queues"]).contains(&json!({ "Ref": queue }))
                && statements(&policy["Properties"]).iter().any(|s| {
                    s["Effect"] == "Allow"
                        && s["Principal"] == json!({ "Service": "events.amazonaws.com" })
                        && s["Action"] == "sqs:SendMessage"
                        && s["Resource"] == json!({ "Fn::GetAtt": [queue, "Arn"] })
                        && values(&s["Condition"]["ArnEquals"]["aws:SourceArn"]).contains(&rule)
                })
        });
        assert!(allowed, "{queue}'s policy does not let {rule} send to it");
    }
}

/// One deployment's values of what a name is built from.
struct Stack<'a> {
    name: &'a str,
    id: &'a str,
    region: &'a str,
    account: &'a str,
    parameters: &'a [(&'a str, &'a str)],
}

/// `expression` (`!Ref`, `!Sub`, `!Join`, `!Select`, `!Split`, `!If` on the template's
/// conditions of `!Equals` and `!Not`) as CloudFormation would evaluate it in `stack`.
fn evaluate(template: &Value, stack: &Stack, expression: &Value) -> Value {
    let reference = |name: &str| -> Value {
        match name {
            "AWS::StackName" => json!(stack.name),
            "AWS::StackId" => json!(stack.id),
            "AWS::Region" => json!(stack.region),
            "AWS::AccountId" => json!(stack.account),
            "AWS::Partition" => json!("aws"),
            parameter => {
                let given = stack.parameters.iter().find(|(p, _)| *p == parameter);
                match given {
                    Some((_, value)) => json!(value),
                    None => template["Parameters"][parameter]["Default"].clone(),
                }
            }
        }
    };
    let text = |v: &Value| {
        evaluate(template, stack, v)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let Some((function, argument)) = expression.as_object().and_then(|m| m.iter().next()) else {
        return expression.clone();
    };
    let args = argument.as_array().map_or(&[][..], Vec::as_slice);
    match function.as_str() {
        "Ref" => reference(argument.as_str().expect("!Ref name")),
        "Condition" => evaluate(
            template,
            stack,
            &template["Conditions"][argument.as_str().expect("a condition")],
        ),
        "Fn::Equals" => {
            json!(evaluate(template, stack, &args[0]) == evaluate(template, stack, &args[1]))
        }
        "Fn::Not" => json!(
            !evaluate(template, stack, &args[0])
                .as_bool()
                .expect("a condition")
        ),
        "Fn::If" => {
            let condition = &template["Conditions"][args[0].as_str().expect("a condition")];
            if evaluate(template, stack, condition)
                .as_bool()
                .expect("a condition")
            {
                evaluate(template, stack, &args[1])
            } else {
                evaluate(template, stack, &args[2])
            }
        }
        "Fn::Join" => {
            let parts: Vec<String> = args[1]
                .as_array()
                .expect("parts")
                .iter()
                .map(text)
                .collect();
            json!(parts.join(args[0].as_str().expect("a delimiter")))
        }
        "Fn::Split" => json!(
            text(&args[1])
                .split(args[0].as_str().expect("a delimiter"))
                .collect::<Vec<_>>()
        ),
        "Fn::Select" => {
            let index = args[0].as_u64().expect("an index") as usize;
            evaluate(template, stack, &args[1])[index].clone()
        }
        "Fn::Sub" => {
            let (mut text_of, variables) = match argument {
                Value::String(s) => (s.clone(), None),
                _ => (
                    args[0].as_str().expect("a string").to_owned(),
                    Some(&args[1]),
                ),
            };
            while let Some(start) = text_of.find("${") {
                let end = start + text_of[start..].find('}').expect("}");
                let name = &text_of[start + 2..end];
                let value = match variables.and_then(|v| v.get(name)) {
                    Some(v) => text(v),
                    None => reference(name).as_str().expect("a string").to_owned(),
                };
                text_of.replace_range(start..=end, &value);
            }
            json!(text_of)
        }
        other => panic!("{other} is not evaluated here"),
    }
}

/// S3's rules for a bucket name (without dots, which break TLS of virtual-hosted URLs).
fn valid_bucket_name(name: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && edge(name.chars().next())
        && edge(name.chars().last())
}

#[test]
fn the_documents_bucket_s_name_is_valid_whatever_the_stack_s_name() {
    let template = template();
    let bucket = resource(&template, "DocumentsBucket");
    let policy = resource(&template, "DocumentsQueuePolicy");
    let notifications = statements(policy)
        .iter()
        .find(|s| s["Principal"] == json!({ "Service": "s3.amazonaws.com" }))
        .expect("S3 may send the bucket's notifications");
    // GIVEN stacks whose names S3 would refuse in a bucket's: upper case, and long
    for name in [
        "Cpor",
        "cpor-production-claiming-partner-of-record-for-the-european-union-tenants",
    ] {
        let stack = Stack {
            name,
            id: &format!(
                "arn:aws:cloudformation:ap-southeast-2:123456789012:stack/{name}/1c2fa620-982a-11e3-aff7-50e2416294e0"
            ),
            region: "ap-southeast-2",
            account: "123456789012",
            parameters: &[],
        };
        // WHEN the bucket's name is built
        let built = evaluate(&template, &stack, &bucket["BucketName"]);
        let built = built.as_str().expect("a name");
        // THEN S3 takes it
        assert!(valid_bucket_name(built), "{name}: {built}");
        // AND the queue's policy names that same bucket as the notifications' source
        assert_eq!(
            evaluate(
                &template,
                &stack,
                &notifications["Condition"]["ArnEquals"]["aws:SourceArn"]
            ),
            json!(format!("arn:aws:s3:::{built}")),
            "{name}"
        );
        // AND a name given as a parameter (a stack that keeps the bucket it has) is used as is
        let kept = Stack {
            parameters: &[(
                "DocumentsBucketName",
                "cpor-documents-123456789012-eu-west-1",
            )],
            ..stack
        };
        assert_eq!(
            evaluate(&template, &kept, &bucket["BucketName"]),
            "cpor-documents-123456789012-eu-west-1"
        );
    }
    // AND the parameter refuses what S3 would refuse
    assert_eq!(
        template["Parameters"]["DocumentsBucketName"]["AllowedPattern"],
        "^([a-z0-9][a-z0-9-]{1,61}[a-z0-9])?$"
    );
}

/// CloudFront's managed cache policy `CachingDisabled`.
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";

#[test]
fn the_customer_pages_sit_behind_cloudfront_whose_web_acl_limits_each_client() {
    let template = template();
    let parameter = |name: &str| json!({ "Ref": name });
    // GIVEN the web ACL (CloudFront's, made in us-east-1) unless one is given
    let acl = &template["Resources"]["OptOutWebAcl"];
    assert_eq!(acl["Type"], "AWS::WAFv2::WebACL");
    assert_eq!(acl["Condition"], "CreateOptOutWebAcl");
    let acl = &acl["Properties"];
    assert_eq!(acl["Scope"], "CLOUDFRONT");
    assert_eq!(acl["DefaultAction"], json!({ "Allow": {} }));
    let visible = |config: &Value| {
        config["CloudWatchMetricsEnabled"] == true
            && config["SampledRequestsEnabled"] == true
            && !config["MetricName"].is_null()
    };
    assert!(visible(&acl["VisibilityConfig"]));
    // THEN a rate-based rule blocks each client IP past the parameterised limit, in the
    // parameterised window, with metrics and samples
    let rules = acl["Rules"].as_array().expect("rules");
    let rate: Vec<&Value> = rules
        .iter()
        .filter(|r| r["Statement"].get("RateBasedStatement").is_some())
        .collect();
    assert_eq!(rate.len(), 1, "{rules:?}");
    assert_eq!(
        rate[0]["Statement"]["RateBasedStatement"],
        json!({
            "AggregateKeyType": "IP",
            "Limit": parameter("OptOutRequestsPerClient"),
            "EvaluationWindowSec": parameter("OptOutRateWindowSeconds"),
        })
    );
    assert!(rate[0]["Action"]["Block"].is_object(), "{}", rate[0]);
    for rule in rules {
        assert!(visible(&rule["VisibilityConfig"]), "{rule}");
    }
    assert_eq!(
        template["Parameters"]["OptOutRequestsPerClient"]["Default"],
        100
    );
    assert_eq!(
        template["Parameters"]["OptOutRateWindowSeconds"]["Default"],
        300
    );
    // AND the distribution uses it (or the one given), and sends the customer pages to the
    // HTTP API, never cached
    let config = &resource(&template, "CustomerPagesDistribution")["DistributionConfig"];
    assert_eq!(
        config["WebACLId"],
        json!({ "Fn::If": ["CreateOptOutWebAcl", { "Fn::GetAtt": ["OptOutWebAcl", "Arn"] }, parameter("OptOutWebAclArn")] })
    );
    let origins = config["Origins"].as_array().expect("origins");
    assert_eq!(origins.len(), 1);
    assert_eq!(
        origins[0]["DomainName"],
        json!({ "Fn::Sub": "${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}" })
    );
    assert_eq!(
        origins[0]["CustomOriginConfig"]["OriginProtocolPolicy"],
        "https-only"
    );
    let pages = config["CacheBehaviors"]
        .as_array()
        .expect("cache behaviours")
        .iter()
        .find(|b| b["PathPattern"] == "/opt-out/*")
        .expect("a behaviour for the customer pages");
    assert_eq!(pages["TargetOriginId"], origins[0]["Id"]);
    assert_eq!(pages["CachePolicyId"], CACHING_DISABLED);
    assert!(
        pages["AllowedMethods"]
            .as_array()
            .expect("methods")
            .contains(&json!("POST"))
    );
    assert_eq!(pages["ViewerProtocolPolicy"], "redirect-to-https");
    // AND what reaches the API is the query string and the headers the page reads, never the
    // viewer's Host (API Gateway answers only to its own)
    assert_eq!(
        pages["OriginRequestPolicyId"],
        parameter("CustomerPagesOriginRequestPolicy")
    );
    let forwarded =
        &resource(&template, "CustomerPagesOriginRequestPolicy")["OriginRequestPolicyConfig"];
    assert_eq!(
        forwarded["QueryStringsConfig"]["QueryStringBehavior"],
        "all"
    );
    assert_eq!(forwarded["HeadersConfig"]["HeaderBehavior"], "whitelist");
    let headers: Vec<String> = forwarded["HeadersConfig"]["Headers"]
        .as_array()
        .expect("headers")
        .iter()
        .map(|h| h.as_str().unwrap_or_default().to_ascii_lowercase())
        .collect();
    assert!(
        headers.contains(&"accept-language".to_owned()),
        "{headers:?}"
    );
    assert!(headers.contains(&"content-type".to_owned()), "{headers:?}");
    assert!(!headers.contains(&"host".to_owned()), "{headers:?}");
    // AND the links the service mails point at the distribution (or the custom domain given)
    let base = json!({ "Fn::If": [
        "UseDistributionAsPublicBaseUrl",
        { "Fn::Sub": "https://${CustomerPagesDistribution.DomainName}" },
        parameter("PublicBaseUrl"),
    ] });
    for function in ["NotifyCustomerFunction", "NotifyPartnerFunction"] {
        assert_eq!(
            resource(&template, function)["Environment"]["Variables"][config::PUBLIC_BASE_URL],
            base,
            "{function}"
        );
    }
}

/// Rotating the opt-out secret takes effect in new execution environments: the runbook's
/// `recycle` must replace those of every function the template gives the secret, or one signer
/// (notify-partner signs the "it is official" e-mail's link) keeps an old keyring.
#[test]
fn the_runbook_recycles_every_function_that_reads_the_opt_out_secret() {
    // GIVEN the functions whose environment names the secret
    let template = template();
    let readers: BTreeSet<String> = template["Resources"]
        .as_object()
        .expect("resources")
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .filter(|(_, r)| {
            r["Properties"]["Environment"]["Variables"]
                .get(config::TOKEN_SECRET_ARN)
                .is_some()
        })
        .map(|(name, _)| name.clone())
        .collect();
    assert!(readers.len() >= 3, "{readers:?}");
    // THEN the runbook's recycle loop names exactly them
    let runbook = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/runbook.md"
    ))
    .expect("docs/runbook.md is readable");
    let recycled: BTreeSet<String> = runbook
        .lines()
        .find(|line| line.trim_start().starts_with("for f in ") && line.contains("Function"))
        .expect("the runbook's recycle loop")
        .split_whitespace()
        .map(|word| word.trim_end_matches(';'))
        .filter(|word| word.ends_with("Function"))
        .map(str::to_owned)
        .collect();
    assert_eq!(recycled, readers);
}

/// The routes open to partners and reviewers alike are behind authorize-caller, which trusts
/// exactly the issuers and audiences the two JWT authorizers trust, is asked for every request
/// (no cache: a token is refused the second it expires, as the JWT authorizers refuse it) and
/// only when there is an `Authorization` header (API Gateway answers 401 itself otherwise).
#[test]
fn the_authorizer_of_both_kinds_of_caller_trusts_what_the_two_jwt_authorizers_trust() {
    let template = template();
    let authorizers = &resource(&template, "HttpApi")["Auth"]["Authorizers"];
    let either = &authorizers["PartnerOrReviewer"];
    assert_eq!(
        either["FunctionArn"],
        json!({ "Fn::GetAtt": ["AuthorizeCallerFunction", "Arn"] })
    );
    assert_eq!(either["AuthorizerPayloadFormatVersion"], "2.0");
    assert_eq!(either["EnableSimpleResponses"], true);
    assert_eq!(either["EnableFunctionDefaultPermissions"], true);
    assert_eq!(
        either["Identity"],
        json!({ "Headers": ["Authorization"], "ReauthorizeEvery": 0 })
    );
    let variables = &resource(&template, "AuthorizeCallerFunction")["Environment"]["Variables"];
    // (with and without the console's own client ids)
    let apis = [
        ("JwtAudience", "cpor-api"),
        ("ReviewerJwtAudience", "cpor-review"),
    ];
    let consoles = [
        ("PartnerConsoleClientId", "partner-console"),
        ("ReviewerConsoleClientId", "review-console"),
    ];
    let with_consoles = [apis[0], apis[1], consoles[0], consoles[1]];
    for (parameters, each) in [(&apis[..], 1), (&with_consoles[..], 2)] {
        let stack = stack_with(parameters);
        for (jwt, issuer, audience) in [
            (
                "PartnerJwt",
                config::PARTNER_ISSUER,
                config::PARTNER_AUDIENCE,
            ),
            (
                "ReviewerJwt",
                config::REVIEWER_ISSUER,
                config::REVIEWER_AUDIENCE,
            ),
        ] {
            let configuration = &authorizers[jwt]["JwtConfiguration"];
            assert_eq!(variables[issuer], configuration["issuer"], "{jwt}");
            let trusted: Vec<Value> = evaluate(&template, &stack, &configuration["audience"])
                .as_array()
                .expect("a list of audiences")
                .iter()
                .map(|a| evaluate(&template, &stack, a))
                .collect();
            let given = evaluate(&template, &stack, &variables[audience]);
            let given: Vec<Value> = given
                .as_str()
                .expect("audiences")
                .split(',')
                .map(|a| json!(a))
                .collect();
            assert_eq!(given, trusted, "{jwt} {parameters:?}");
            assert_eq!(trusted.len(), each, "{jwt} {parameters:?}");
        }
    }
    // AND its role may write its logs, nothing else
    let role = resource(&template, "AuthorizeCallerRole");
    let statements = statements(&role["Policies"][0]);
    assert_eq!(statements.len(), 1);
    assert_eq!(statements[0]["Sid"], "Logs");
}

/// The parameters of a stack in eu-west-1 named cpor, with `parameters` given.
fn stack_with<'a>(parameters: &'a [(&'a str, &'a str)]) -> Stack<'a> {
    Stack {
        name: "cpor",
        id: "arn:aws:cloudformation:eu-west-1:123456789012:stack/cpor/1c2fa620-982a-11e3-aff7-50e2416294e0",
        region: "eu-west-1",
        account: "123456789012",
        parameters,
    }
}

/// The console's files are in a bucket that blocks every public access and that only the
/// console's distribution may read (origin access control, signing every request), over TLS.
#[test]
fn the_console_is_served_from_a_private_bucket_through_its_distribution_alone() {
    let template = template();
    let bucket = resource(&template, "ConsoleBucket");
    assert_eq!(
        bucket["PublicAccessBlockConfiguration"],
        json!({
            "BlockPublicAcls": true,
            "BlockPublicPolicy": true,
            "IgnorePublicAcls": true,
            "RestrictPublicBuckets": true,
        })
    );
    assert_eq!(
        bucket["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
        "BucketOwnerEnforced"
    );
    assert!(
        bucket["WebsiteConfiguration"].is_null(),
        "no website endpoint"
    );
    // GIVEN the bucket's policy
    let policy = resource(&template, "ConsoleBucketPolicy");
    assert_eq!(policy["Bucket"], json!({ "Ref": "ConsoleBucket" }));
    let statements = statements(policy);
    // THEN it allows one thing: CloudFront reading objects for the console's distribution
    let allowed: Vec<&Value> = statements
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .collect();
    assert_eq!(allowed.len(), 1, "{statements:?}");
    assert_eq!(
        allowed[0]["Principal"],
        json!({ "Service": "cloudfront.amazonaws.com" })
    );
    assert_eq!(allowed[0]["Action"], "s3:GetObject");
    assert_eq!(
        allowed[0]["Condition"]["StringEquals"]["AWS:SourceArn"],
        json!({ "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${ConsoleDistribution}" })
    );
    // AND refuses anything in clear text
    assert!(
        statements
            .iter()
            .any(|s| s["Effect"] == "Deny"
                && s["Condition"]["Bool"]["aws:SecureTransport"] == "false")
    );
    // AND the distribution reads the bucket through origin access control, signing always
    let config = &resource(&template, "ConsoleDistribution")["DistributionConfig"];
    let origins = config["Origins"].as_array().expect("origins");
    assert_eq!(origins.len(), 1);
    assert_eq!(
        origins[0]["DomainName"],
        json!({ "Fn::GetAtt": ["ConsoleBucket", "RegionalDomainName"] })
    );
    assert_eq!(
        origins[0]["OriginAccessControlId"],
        json!({ "Fn::GetAtt": ["ConsoleOriginAccessControl", "Id"] })
    );
    assert_eq!(origins[0]["S3OriginConfig"]["OriginAccessIdentity"], "");
    assert_eq!(
        resource(&template, "ConsoleOriginAccessControl")["OriginAccessControlConfig"],
        json!({
            "Name": { "Fn::Sub": "${AWS::StackName}-console" },
            "Description": "The console's distribution reading its bucket",
            "OriginAccessControlOriginType": "s3",
            "SigningBehavior": "always",
            "SigningProtocol": "sigv4",
        })
    );
    assert_eq!(
        config["DefaultCacheBehavior"]["ViewerProtocolPolicy"],
        "redirect-to-https"
    );
    assert_eq!(
        config["DefaultCacheBehavior"]["TargetOriginId"],
        origins[0]["Id"]
    );
}

/// The console's pages may run only the scripts and styles of their own origin (no inline
/// code, no eval), be framed by no one, call only their origin, the API, the documents bucket
/// and the identity providers, and come with HSTS, nosniff and no referrer.
#[test]
fn the_console_s_headers_allow_no_inline_code_no_framing_and_only_its_own_connections() {
    let template = template();
    let behavior =
        &resource(&template, "ConsoleDistribution")["DistributionConfig"]["DefaultCacheBehavior"];
    assert_eq!(
        behavior["ResponseHeadersPolicyId"],
        json!({ "Ref": "ConsoleSecurityHeaders" })
    );
    let headers = &resource(&template, "ConsoleSecurityHeaders")["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"];
    let csp = &headers["ContentSecurityPolicy"];
    assert_eq!(csp["Override"], true);
    let sub = csp["ContentSecurityPolicy"]["Fn::Sub"]
        .as_array()
        .expect("!Sub [text, variables]");
    let text = sub[0].as_str().expect("the policy's text");
    let directives: Vec<(&str, Vec<&str>)> = text
        .split(';')
        .map(|d| {
            let mut words = d.split_whitespace();
            (words.next().unwrap_or_default(), words.collect())
        })
        .collect();
    let directive = |name: &str| {
        directives
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, sources)| sources.clone())
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    assert_eq!(directive("default-src"), ["'self'"]);
    assert_eq!(directive("script-src"), ["'self'"]);
    assert_eq!(directive("style-src"), ["'self'"]);
    assert_eq!(directive("frame-ancestors"), ["'none'"]);
    assert_eq!(directive("object-src"), ["'none'"]);
    // (it may frame its own pages and the identity providers: the silent sign-in's frame)
    assert_eq!(
        directive("frame-src"),
        [
            "'self'",
            "https://${PartnerIssuerHost}",
            "https://${ReviewerIssuerHost}"
        ]
    );
    assert!(!text.contains("unsafe-"), "{text}");
    assert_eq!(
        directive("connect-src"),
        [
            "'self'",
            "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}",
            "https://${DocumentsBucket.RegionalDomainName}",
            "https://${PartnerIssuerHost}",
            "https://${ReviewerIssuerHost}${MoreSources}",
        ]
    );
    // AND the identity providers are named by their origins (a CSP source with a path would
    // match that path alone, not the discovery document under it), and more only if given
    let issuers = [
        (
            "JwtIssuer",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_partners",
        ),
        (
            "ReviewerJwtIssuer",
            "https://login.example.com/reviewers/v2.0",
        ),
    ];
    let stack = stack_with(&issuers);
    let variables = &sub[1];
    assert_eq!(
        evaluate(&template, &stack, &variables["PartnerIssuerHost"]),
        "cognito-idp.eu-west-1.amazonaws.com"
    );
    assert_eq!(
        evaluate(&template, &stack, &variables["ReviewerIssuerHost"]),
        "login.example.com"
    );
    assert_eq!(evaluate(&template, &stack, &variables["MoreSources"]), "");
    let more = [(
        "ConsoleConnectSources",
        "https://partners.auth.eu-west-1.amazoncognito.com",
    )];
    assert_eq!(
        evaluate(&template, &stack_with(&more), &variables["MoreSources"]),
        " https://partners.auth.eu-west-1.amazoncognito.com"
    );
    // AND the other headers
    assert!(
        headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"]
            .as_u64()
            .is_some_and(|age| age >= 31_536_000)
    );
    assert_eq!(headers["ContentTypeOptions"]["Override"], true);
    assert_eq!(headers["ReferrerPolicy"]["ReferrerPolicy"], "no-referrer");
    assert_eq!(headers["FrameOptions"]["FrameOption"], "DENY");
}

/// The silent sign-in comes back to `silent-callback.html` in a hidden frame of the console's
/// own page: that page alone may be framed, by its own origin alone, with every other header
/// the same as the console's.
#[test]
fn only_the_silent_sign_in_s_page_may_be_framed_and_only_by_the_console() {
    let template = template();
    let behaviors =
        resource(&template, "ConsoleDistribution")["DistributionConfig"]["CacheBehaviors"]
            .as_array()
            .expect("the distribution's cache behaviors");
    let [silent] = behaviors.as_slice() else {
        panic!("one behavior of its own, for the silent sign-in's page: {behaviors:?}")
    };
    assert_eq!(silent["PathPattern"], "/console/silent-callback.html");
    let page =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../console/silent-callback.html");
    assert!(page.is_file(), "the console builds {}", page.display());
    assert_eq!(
        silent["ResponseHeadersPolicyId"],
        json!({ "Ref": "ConsoleSilentCallbackHeaders" })
    );
    let default =
        &resource(&template, "ConsoleDistribution")["DistributionConfig"]["DefaultCacheBehavior"];
    for same in [
        "TargetOriginId",
        "ViewerProtocolPolicy",
        "AllowedMethods",
        "CachePolicyId",
    ] {
        assert_eq!(silent[same], default[same], "{same}");
    }
    let headers = |name: &str| {
        resource(&template, name)["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"].clone()
    };
    let (console, callback) = (
        headers("ConsoleSecurityHeaders"),
        headers("ConsoleSilentCallbackHeaders"),
    );
    assert_eq!(callback["FrameOptions"]["FrameOption"], "SAMEORIGIN");
    let mut expected = console.clone();
    expected["FrameOptions"]["FrameOption"] = json!("SAMEORIGIN");
    let policy = console["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"][0]
        .as_str()
        .unwrap();
    expected["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"][0] =
        json!(policy.replace("frame-ancestors 'none'", "frame-ancestors 'self'"));
    assert_eq!(callback, expected);
}

/// Browsers may call the API, and upload to the documents bucket, from the console's origin
/// and from no other: none at all until it is given.
#[test]
fn browsers_may_call_the_api_and_upload_from_the_console_s_origin_alone() {
    let template = template();
    let origin = json!([{ "Ref": "ConsoleOrigin" }]);
    assert_eq!(
        template["Conditions"]["HasConsoleOrigin"],
        json!({ "Fn::Not": [{ "Fn::Equals": [{ "Ref": "ConsoleOrigin" }, ""] }] })
    );
    assert_eq!(template["Parameters"]["ConsoleOrigin"]["Default"], "");
    assert!(
        template["Parameters"]["ConsoleOrigin"]["AllowedPattern"]
            .as_str()
            .is_some_and(|p| p.starts_with("^(https://"))
    );
    // GIVEN the HTTP API's CORS
    let cors = resource(&template, "HttpApi")["CorsConfiguration"]["Fn::If"]
        .as_array()
        .expect("CORS only with an origin");
    assert_eq!(cors[0], "HasConsoleOrigin");
    assert_eq!(cors[2], json!({ "Ref": "AWS::NoValue" }));
    // THEN it names the console's origin alone, and the headers the API reads
    assert_eq!(cors[1]["AllowOrigins"], origin);
    let headers = cors[1]["AllowHeaders"].as_array().expect("headers");
    assert!(headers.contains(&json!("authorization")), "{headers:?}");
    assert!(cors[1]["AllowCredentials"].is_null(), "no cookies");
    // AND the documents bucket's CORS is the schema's rule, for that origin alone
    let rules = resource(&template, "DocumentsBucket")["CorsConfiguration"]["Fn::If"]
        .as_array()
        .expect("CORS only with an origin");
    assert_eq!(rules[0], "HasConsoleOrigin");
    assert_eq!(rules[2], json!({ "Ref": "AWS::NoValue" }));
    let cors = schema::DOCUMENTS_CORS;
    assert_eq!(
        rules[1]["CorsRules"],
        json!([{
            "AllowedOrigins": origin,
            "AllowedMethods": cors.methods,
            "AllowedHeaders": cors.headers,
            "ExposedHeaders": cors.exposed,
            "MaxAge": cors.max_age_seconds,
        }])
    );
}

#[test]
fn webhook_secrets_are_sealed_by_a_rotated_key_that_manage_claims_may_only_encrypt_with() {
    let template = template();
    // GIVEN the webhooks' key: symmetric, rotated by KMS
    let key = resource(&template, "WebhookKey");
    assert_eq!(template["Resources"]["WebhookKey"]["Type"], "AWS::KMS::Key");
    assert_eq!(key["EnableKeyRotation"], json!(true));
    assert_eq!(key["KeySpec"], "SYMMETRIC_DEFAULT");
    // THEN manage-claims is given it by its ARN, as the IAM check records its calls
    let key_arn = json!({ "Fn::GetAtt": ["WebhookKey", "Arn"] });
    assert_eq!(
        resource(&template, "ManageClaimsFunction")["Environment"]["Variables"]
            [cpor_aws::webhooks::WEBHOOK_KEY_ID],
        key_arn
    );
    // AND the statements that name the key are manage-claims' Encrypt alone (a role that
    // decrypts is the delivery's, which names it on its own)
    let mut granted = Vec::new();
    for (name, role) in template["Resources"].as_object().expect("resources") {
        if role["Type"] != "AWS::IAM::Role" {
            continue;
        }
        for policy in role["Properties"]["Policies"]
            .as_array()
            .into_iter()
            .flatten()
        {
            for statement in policy["PolicyDocument"]["Statement"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if statement["Resource"] == key_arn {
                    granted.push((name.clone(), statement["Action"].clone()));
                }
            }
        }
    }
    assert!(
        granted.contains(&("ManageClaimsRole".to_owned(), json!("kms:Encrypt"))),
        "{granted:?}"
    );
    assert!(
        granted
            .iter()
            .all(|(role, action)| role != "ManageClaimsRole" || action == &json!("kms:Encrypt")),
        "{granted:?}"
    );
}
