//! One source of truth for the table and the queues: the local stack creates them from
//! `cpor_aws::schema`, and the SAM template (`infra/template.yaml`) must declare the same. These
//! tests fail when either side changes alone.

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
        config::SENDER_EMAIL,
        config::SES_CONFIGURATION_SET,
        config::PUBLIC_BASE_URL,
        config::TOKEN_SECRET_ARN,
        config::TOKEN_KEY_ID,
        config::HOLIDAYS,
        config::REVIEW_POLICY,
        config::DOCUMENTS_BUCKET,
        config::EVENT_BUS_NAME,
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
        assert!(variables.contains_key(config::TABLE_NAME), "{name}");
        for variable in variables.keys().filter(|k| k.starts_with("CPOR_")) {
            assert!(known.contains(&variable.as_str()), "{name} sets {variable}");
            assert_ne!(
                variable,
                config::TOKEN_SECRET,
                "{name}: the secret in plain text"
            );
        }
    }
    assert_eq!(functions, 10);
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
    assert_eq!(functions, 10);
}

#[test]
fn the_public_page_and_the_queue_consumer_cannot_use_up_the_accounts_concurrency() {
    let template = template();
    let parameter = |name: &str| json!({ "Ref": name });
    // GIVEN the HTTP API: every route throttled, the public page more tightly
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
        ("OptOutRateLimit", 10),
        ("OptOutBurstLimit", 20),
        ("OptOutConcurrency", 10),
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
