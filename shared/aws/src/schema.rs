//! The table and the queues, defined once. The local stack creates them from here, and the SAM
//! template declares the same (a test keeps the two in step).

use crate::describe;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use std::collections::HashMap;

/// The table's partition key.
pub const PK: &str = "pk";
/// The table's sort key.
pub const SK: &str = "sk";
/// The attribute that expires idempotency records (epoch seconds).
pub const TTL_ATTRIBUTE: &str = "expires_at_epoch";

/// One global secondary index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDefinition {
    /// The index name.
    pub name: &'static str,
    /// Its partition key attribute.
    pub partition_key: &'static str,
    /// Its sort key attribute.
    pub sort_key: &'static str,
    /// Non-key attributes projected; `None` projects all.
    pub projected: Option<&'static [&'static str]>,
}

/// Lists a partner's claims newest first (claim ids are ULIDs, so they sort by time).
pub const PARTNER_INDEX: IndexDefinition = IndexDefinition {
    name: "by_partner",
    partition_key: "partner_pk",
    sort_key: "partner_sk",
    projected: None,
};

/// Holds only the claims with a nightly deadline (awaiting the customer, waiting for the
/// partner's answer, customer unreachable), sorted by deadline within a few shards, so the
/// nightly run queries what is due and never scans. Sparse: the attributes are removed when a
/// claim leaves those statuses. It projects the whole claim, so that the run builds each
/// transition from the index alone. (DynamoDB cannot change an index's projection: this is a
/// new index, beside the `due` index that projected only the version.)
pub const DUE_INDEX: IndexDefinition = IndexDefinition {
    name: "due_claims",
    partition_key: "due_shard",
    sort_key: "due_at",
    projected: None,
};

/// Holds only the claims in the vendor's review queue, sorted by when they entered review, so
/// the queue is read in order and never scanned: those waiting for a decision (submitted,
/// disputed, contested) in one partition, those waiting for their partners' answers
/// (information requested) in another. Sparse: the attributes are removed when a claim leaves
/// review.
pub const REVIEW_INDEX: IndexDefinition = IndexDefinition {
    name: "review",
    partition_key: "review_pk",
    sort_key: "review_sk",
    projected: None,
};

/// Holds the associations' periods by program and the month each began, sorted by when each
/// ended (open ones last), so that a month's payout ledger reads, for each month up to it, only
/// the periods still effective when it began, and never the table. Sparse: only period items
/// carry its attributes.
pub const LEDGER_INDEX: IndexDefinition = IndexDefinition {
    name: "ledger",
    partition_key: "ledger_pk",
    sort_key: "ledger_sk",
    projected: None,
};

/// What the table's stream carries: each item as written (publish-events reads the new history
/// entries; it never needs what an item was before).
pub const STREAM_VIEW_TYPE: &str = "NEW_IMAGE";

/// The service's event bus of a stack called `prefix` (the template names it the same way).
pub fn event_bus(prefix: &str) -> String {
    format!("{prefix}-events")
}

/// The archive of the bus of a stack called `prefix`, locally (the template's `EventArchive`
/// takes the name CloudFormation gives it: its output `EventArchiveName`).
pub fn event_archive(prefix: &str) -> String {
    format!("{prefix}-events-archive")
}

/// How many shards the due index spreads claims over.
pub const DUE_SHARDS: u32 = 4;

/// Every index of the table.
pub const INDEXES: [IndexDefinition; 4] = [PARTNER_INDEX, DUE_INDEX, REVIEW_INDEX, LEDGER_INDEX];

/// The notification queue and its dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDefinition {
    /// The queue's name.
    pub name: String,
    /// Its dead-letter queue's name.
    pub dead_letter_name: String,
    /// Seconds a received message stays invisible (six times the consumer's timeout).
    pub visibility_timeout_seconds: u32,
    /// Receives before a message goes to the dead-letter queue.
    pub max_receive_count: u32,
    /// Seconds the dead-letter queue keeps messages.
    pub dead_letter_retention_seconds: u32,
}

impl QueueDefinition {
    /// The notification queue for a stack called `prefix`.
    pub fn notifications(prefix: &str) -> Self {
        Self {
            name: format!("{prefix}-notifications"),
            dead_letter_name: format!("{prefix}-notifications-dlq"),
            visibility_timeout_seconds: 180,
            max_receive_count: 5,
            dead_letter_retention_seconds: 14 * 24 * 3600,
        }
    }
}

impl QueueDefinition {
    /// The queue of claim batches' chunks, filled by submit-claim and read by
    /// process-claim-batch (a chunk of up to 25 rows per message).
    pub fn claim_batches(prefix: &str) -> Self {
        Self {
            name: format!("{prefix}-claim-batches"),
            dead_letter_name: format!("{prefix}-claim-batches-dlq"),
            // Six times process-claim-batch's timeout (60 s).
            visibility_timeout_seconds: 360,
            max_receive_count: 5,
            dead_letter_retention_seconds: 14 * 24 * 3600,
        }
    }
}

/// A failure to create the resources.
impl QueueDefinition {
    /// The queue of the documents bucket's `ObjectCreated` notifications, read by
    /// record-document.
    pub fn documents(prefix: &str) -> Self {
        Self {
            name: format!("{prefix}-documents"),
            dead_letter_name: format!("{prefix}-documents-dlq"),
            visibility_timeout_seconds: 180,
            max_receive_count: 5,
            dead_letter_retention_seconds: 14 * 24 * 3600,
        }
    }
}

impl QueueDefinition {
    /// The queue of SES's bounces and complaints (through SNS), read by record-email-feedback.
    pub fn email_feedback(prefix: &str) -> Self {
        Self {
            name: format!("{prefix}-email-feedback"),
            dead_letter_name: format!("{prefix}-email-feedback-dlq"),
            visibility_timeout_seconds: 180,
            max_receive_count: 5,
            dead_letter_retention_seconds: 14 * 24 * 3600,
        }
    }
}

impl QueueDefinition {
    /// The queue of the exports asked for, read by run-export. After its receives an export
    /// is recorded `failed` and its message waits in the dead-letter queue.
    pub fn exports(prefix: &str) -> Self {
        Self {
            name: format!("{prefix}-exports"),
            dead_letter_name: format!("{prefix}-exports-dlq"),
            // Six times run-export's timeout (300 s): Lambda's advice for a queue's consumer.
            visibility_timeout_seconds: 1800,
            max_receive_count: 5,
            dead_letter_retention_seconds: 14 * 24 * 3600,
        }
    }
}

/// The local stack's e-mail feedback topic (the template lets CloudFormation name it).
pub fn email_feedback_topic(prefix: &str) -> String {
    format!("{prefix}-email-feedback")
}

/// The ARN of the queue at `queue_url`.
pub async fn queue_arn(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
) -> Result<String, ProvisionError> {
    let fail = failed(format!("queue {queue_url}"));
    sqs.get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| describe(&e))
        .map_err(fail)
        .map(|out| {
            out.attributes()
                .and_then(|a| a.get(&QueueAttributeName::QueueArn))
                .cloned()
                .unwrap_or_default()
        })
}

impl QueueDefinition {
    /// The queue of the claims' events that partners are e-mailed about, filled by a rule on
    /// the service's event bus and read by notify-partner.
    pub fn partner_emails(prefix: &str) -> Self {
        Self {
            name: format!("{prefix}-partner-emails"),
            dead_letter_name: format!("{prefix}-partner-emails-dlq"),
            visibility_timeout_seconds: 180,
            max_receive_count: 5,
            dead_letter_retention_seconds: 14 * 24 * 3600,
        }
    }
}

impl QueueDefinition {
    /// The queue of every event of the service's bus, filled by a rule (`source: [cpor]`) and
    /// read by deliver-webhooks. A delivery to retry hides its message for the schedule's next
    /// pause, and every receipt counts: the receives allowed are well above the schedule's ten
    /// attempts, so that only a message that keeps failing to be processed (not one whose
    /// endpoint keeps failing) reaches the dead-letter queue.
    pub fn webhooks(prefix: &str) -> Self {
        Self {
            name: format!("{prefix}-webhooks"),
            dead_letter_name: format!("{prefix}-webhooks-dlq"),
            // Six times deliver-webhooks' timeout (120 s).
            visibility_timeout_seconds: 720,
            max_receive_count: 50,
            dead_letter_retention_seconds: 14 * 24 * 3600,
        }
    }
}

/// The pattern of the bus's rule that queues every event for deliver-webhooks.
pub fn webhook_pattern() -> serde_json::Value {
    serde_json::json!({ "source": [cpor_domain::events::SOURCE] })
}

/// The pattern of the bus's rule that queues the customer's notification (the template's
/// `CustomerNotificationRule`): every claim event whose history entry leaves the claim
/// `approved`, whatever the entry (an approval, a dispute's, a contest's award, a contact
/// correction that e-mails the customer again).
pub fn customer_notification_pattern() -> serde_json::Value {
    serde_json::json!({
        "source": [cpor_domain::events::SOURCE],
        "detail": { "to": ["approved"] },
    })
}

/// The history events whose bus events the partner e-mail rule sends to notify-partner
/// (`detail-type` `claim.<event>`): those the partner is told of, and those that e-mail a
/// customer contact (an association made official, a correction that moved the notification).
pub const PARTNER_EMAIL_EVENTS: [&str; 11] = [
    "information_requested",
    "approved",
    "rejected",
    "declined",
    "associated",
    "revoked",
    "superseded",
    "email_bounced",
    "contact_corrected",
    "contest_received",
    "expired",
];

/// The only prefix of the documents bucket the service writes, reads or is notified of.
pub const DOCUMENTS_KEY_PREFIX: &str = "claims/";

/// Where the exports' files are written in the documents bucket: never a document, never
/// notified to record-document (whose notification filters on [`DOCUMENTS_KEY_PREFIX`]), and
/// expired after [`EXPORTS_EXPIRY_DAYS`] by the bucket's lifecycle rule [`EXPORTS_LIFECYCLE_RULE`].
pub const EXPORTS_KEY_PREFIX: &str = cpor_domain::export::KEY_PREFIX;

/// Days an export's file is kept (its current version expires; S3 removes the version it
/// leaves noncurrent a day later, the bucket being versioned).
pub const EXPORTS_EXPIRY_DAYS: i32 = 7;

/// The id of the documents bucket's lifecycle rule expiring the exports' files.
pub const EXPORTS_LIFECYCLE_RULE: &str = "expire-exports";

/// The local stack's documents bucket (the template lets CloudFormation name it).
pub fn documents_bucket(prefix: &str) -> String {
    format!("{prefix}-documents")
}

#[derive(Debug, thiserror::Error)]
#[error("could not provision {what}: {detail}")]
pub struct ProvisionError {
    what: String,
    detail: String,
}

impl ProvisionError {
    /// A failure to provision `what`, for `detail`.
    pub fn new(what: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            detail: detail.into(),
        }
    }
}

fn failed(what: impl Into<String>) -> impl FnOnce(String) -> ProvisionError {
    let what = what.into();
    move |detail| ProvisionError { what, detail }
}

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, String> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(|e| e.to_string())
}

fn string_attribute(name: &str) -> Result<AttributeDefinition, String> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| e.to_string())
}

/// Creates the table (if it does not exist) and turns on its TTL.
pub async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<(), ProvisionError> {
    let fail = || failed(format!("table {table}"));
    let mut attributes = vec![
        string_attribute(PK).map_err(fail())?,
        string_attribute(SK).map_err(fail())?,
    ];
    let mut indexes = Vec::new();
    for index in INDEXES {
        attributes.push(string_attribute(index.partition_key).map_err(fail())?);
        attributes.push(string_attribute(index.sort_key).map_err(fail())?);
        let projection = match index.projected {
            None => Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
            Some(fields) => Projection::builder()
                .projection_type(ProjectionType::Include)
                .set_non_key_attributes(Some(fields.iter().map(|f| f.to_string()).collect()))
                .build(),
        };
        indexes.push(
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .key_schema(key(index.partition_key, KeyType::Hash).map_err(fail())?)
                .key_schema(key(index.sort_key, KeyType::Range).map_err(fail())?)
                .projection(projection)
                .build()
                .map_err(|e| e.to_string())
                .map_err(fail())?,
        );
    }
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(PK, KeyType::Hash).map_err(fail())?)
        .key_schema(key(SK, KeyType::Range).map_err(fail())?)
        .set_attribute_definitions(Some(attributes))
        .set_global_secondary_indexes(Some(indexes))
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(STREAM_VIEW_TYPE))
                .build()
                .map_err(|e| e.to_string())
                .map_err(fail())?,
        )
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_in_use_exception()) => {}
        Err(e) => return Err(fail()(describe(&e))),
    }
    let ttl = TimeToLiveSpecification::builder()
        .attribute_name(TTL_ATTRIBUTE)
        .enabled(true)
        .build()
        .map_err(|e| e.to_string())
        .map_err(fail())?;
    if let Err(e) = client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(ttl)
        .send()
        .await
    {
        // Turning TTL on twice is refused; that is fine.
        let message = describe(&e);
        if !message.contains("already enabled") && !message.contains("TimeToLive is already") {
            tracing::debug!(error = %message, "time to live not updated");
        }
    }
    Ok(())
}

/// Creates the dead-letter queue and the queue redriving to it; returns the queue's URL.
pub async fn create_queues(
    client: &aws_sdk_sqs::Client,
    queue: &QueueDefinition,
) -> Result<String, ProvisionError> {
    let fail = || failed(format!("queue {}", queue.name));
    let dlq = client
        .create_queue()
        .queue_name(&queue.dead_letter_name)
        .attributes(
            QueueAttributeName::MessageRetentionPeriod,
            queue.dead_letter_retention_seconds.to_string(),
        )
        .send()
        .await
        .map_err(|e| describe(&e))
        .map_err(fail())?;
    let dlq_url = dlq.queue_url().unwrap_or_default().to_owned();
    let attrs = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| describe(&e))
        .map_err(fail())?;
    let dlq_arn = attrs
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .unwrap_or_default();
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": queue.max_receive_count,
    })
    .to_string();
    let mut attributes = HashMap::new();
    attributes.insert(
        QueueAttributeName::VisibilityTimeout,
        queue.visibility_timeout_seconds.to_string(),
    );
    attributes.insert(QueueAttributeName::RedrivePolicy, redrive);
    let created = client
        .create_queue()
        .queue_name(&queue.name)
        .set_attributes(Some(attributes))
        .send()
        .await
        .map_err(|e| describe(&e))
        .map_err(fail())?;
    Ok(created.queue_url().unwrap_or_default().to_owned())
}

/// Verifies the sender's address with SES (the emulator, like a sandboxed account, sends only
/// from verified identities).
pub async fn verify_sender(
    client: &aws_sdk_ses::Client,
    sender: &str,
) -> Result<(), ProvisionError> {
    client
        .verify_email_identity()
        .email_address(sender)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| failed(format!("sender {sender}"))(describe(&e)))
}

/// What the documents bucket lets a page of the console's origin do (CORS): `PUT` an upload to
/// its presigned link, with the two signed headers a page sets itself (`Content-Type`, and
/// `If-None-Match` that keeps the link from writing over an object; the browser sets
/// `Content-Length`), and read the answer's `ETag`. Downloads are links the browser follows,
/// which need no CORS. The template's `DocumentsBucket` declares this rule for its
/// `ConsoleOrigin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorsRule {
    pub methods: &'static [&'static str],
    pub headers: &'static [&'static str],
    pub exposed: &'static [&'static str],
    pub max_age_seconds: i32,
}

/// The documents bucket's one CORS rule, for the console's origin.
pub const DOCUMENTS_CORS: CorsRule = CorsRule {
    methods: &["PUT"],
    headers: &["content-type", "if-none-match"],
    exposed: &["ETag"],
    max_age_seconds: 3000,
};

/// Lets pages of `origin` (the console's) upload to the documents bucket: [`DOCUMENTS_CORS`]
/// for that origin alone.
pub async fn allow_console_uploads(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    origin: &str,
) -> Result<(), ProvisionError> {
    use aws_sdk_s3::types::{CorsConfiguration, CorsRule as S3CorsRule};
    let fail = || failed(format!("the CORS of bucket {bucket}"));
    let strings = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let rule = S3CorsRule::builder()
        .allowed_origins(origin)
        .set_allowed_methods(Some(strings(DOCUMENTS_CORS.methods)))
        .set_allowed_headers(Some(strings(DOCUMENTS_CORS.headers)))
        .set_expose_headers(Some(strings(DOCUMENTS_CORS.exposed)))
        .max_age_seconds(DOCUMENTS_CORS.max_age_seconds)
        .build()
        .map_err(|e| e.to_string())
        .map_err(fail())?;
    let configuration = CorsConfiguration::builder()
        .cors_rules(rule)
        .build()
        .map_err(|e| e.to_string())
        .map_err(fail())?;
    s3.put_bucket_cors()
        .bucket(bucket)
        .cors_configuration(configuration)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| describe(&e))
        .map_err(fail())
}

/// The documents bucket's lifecycle rules, as the template's: the exports' files expire after
/// [`EXPORTS_EXPIRY_DAYS`] (and their noncurrent versions a day later); the parts of multipart
/// uploads never completed go after a day; delete markers with no version behind them go.
async fn expire_exports(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), String> {
    use aws_sdk_s3::types::{
        AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus,
        LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration,
    };
    let exports = LifecycleRule::builder()
        .id(EXPORTS_LIFECYCLE_RULE)
        .status(ExpirationStatus::Enabled)
        .filter(
            LifecycleRuleFilter::builder()
                .prefix(EXPORTS_KEY_PREFIX)
                .build(),
        )
        .expiration(
            LifecycleExpiration::builder()
                .days(EXPORTS_EXPIRY_DAYS)
                .build(),
        )
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(1)
                .build(),
        )
        .build()
        .map_err(|e| e.to_string())?;
    let multipart = LifecycleRule::builder()
        .id("abort-incomplete-multipart-uploads")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(1)
                .build(),
        )
        .build()
        .map_err(|e| e.to_string())?;
    let markers = LifecycleRule::builder()
        .id("expired-delete-markers")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .expiration(
            LifecycleExpiration::builder()
                .expired_object_delete_marker(true)
                .build(),
        )
        .build()
        .map_err(|e| e.to_string())?;
    let configuration = BucketLifecycleConfiguration::builder()
        .rules(exports)
        .rules(multipart)
        .rules(markers)
        .build()
        .map_err(|e| e.to_string())?;
    s3.put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(configuration)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| describe(&e))
}

/// The documents bucket, versioned, and its notification of each object created under
/// [`DOCUMENTS_KEY_PREFIX`] to the queue at `queue_url`.
pub async fn create_documents_bucket(
    s3: &aws_sdk_s3::Client,
    sqs: &aws_sdk_sqs::Client,
    bucket: &str,
    queue_url: &str,
) -> Result<(), ProvisionError> {
    use aws_sdk_s3::types::{
        Event, FilterRule, FilterRuleName, NotificationConfiguration,
        NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter,
    };
    let fail = || failed(format!("bucket {bucket}"));
    if let Err(e) = s3.create_bucket().bucket(bucket).send().await {
        let owned = e
            .as_service_error()
            .is_some_and(|s| s.is_bucket_already_owned_by_you());
        if !owned {
            return Err(fail()(describe(&e)));
        }
    }
    // As the template's: every version kept (a counted document is read at its version).
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .map_err(|e| describe(&e))
        .map_err(fail())?;
    expire_exports(s3, bucket).await.map_err(fail())?;
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| describe(&e))
        .map_err(fail())?
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .unwrap_or_default();
    let prefix = FilterRule::builder()
        .name(FilterRuleName::Prefix)
        .value(DOCUMENTS_KEY_PREFIX)
        .build();
    let queue = QueueConfiguration::builder()
        .queue_arn(queue_arn)
        .events(Event::from("s3:ObjectCreated:*"))
        .filter(
            NotificationConfigurationFilter::builder()
                .key(S3KeyFilter::builder().filter_rules(prefix).build())
                .build(),
        )
        .build()
        .map_err(|e| e.to_string())
        .map_err(fail())?;
    s3.put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(queue)
                .build(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| describe(&e))
        .map_err(fail())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpor_domain::partner_email::{ReceivedEvent, is_mailed};
    use cpor_domain::{BusinessCalendar, ClaimId, ClaimStatus, HistoryEvent};

    #[test]
    fn the_partner_email_rule_routes_exactly_the_events_that_e_mail_someone() {
        // GIVEN every history event, made while the claim awaited its customer (as the one that
        // made a claim unreachable, or a correction that moved the notification, where it can)
        let names = [
            "submitted",
            "approved",
            "information_requested",
            "responded",
            "rejected",
            "disputed",
            "customer_notified",
            "declined",
            "associated",
            "withdrawn",
            "proof_added",
            "contest_filed",
            "superseded",
            "document_added",
            "revoked",
            "contact_corrected",
            "email_bounced",
            "email_complaint",
        ];
        for name in names {
            let event: HistoryEvent = serde_json::from_value(serde_json::json!(name)).unwrap();
            let claim_event = ReceivedEvent {
                claim_id: ClaimId::new_at(chrono::Utc::now()),
                sequence: 2,
                at: chrono::Utc::now(),
                event,
                from: Some(ClaimStatus::AwaitingCustomer),
                to: ClaimStatus::CustomerUnreachable,
                code: None,
            };
            // THEN the rule routes it exactly when the domain e-mails someone of it
            let told = is_mailed(&claim_event, &BusinessCalendar::default());
            assert_eq!(PARTNER_EMAIL_EVENTS.contains(&name), told, "{name}");
        }
    }
}
