//! What the local stack creates for partners' webhooks, as the template does in AWS: the KMS key
//! that seals their secrets (in the emulator's KMS), and the bus's archive that an operator
//! replays a partner's events from (`cpor-ops webhooks replay`).

use cpor_aws::describe;

/// A failure to create the webhooks' resources.
#[derive(Debug, thiserror::Error)]
#[error("could not provision the webhooks' resources: {0}")]
pub struct WebhooksError(pub String);

/// Creates a symmetric key for the webhooks' secrets, rotated yearly as the template's is;
/// answers its ARN (what `CPOR_WEBHOOK_KEY_ID` names).
pub async fn create_key(kms: &aws_sdk_kms::Client) -> Result<String, WebhooksError> {
    let created = kms
        .create_key()
        .description("cpor local: partners' webhook signing secrets")
        .key_spec(aws_sdk_kms::types::KeySpec::SymmetricDefault)
        .key_usage(aws_sdk_kms::types::KeyUsageType::EncryptDecrypt)
        .send()
        .await
        .map_err(|e| WebhooksError(format!("CreateKey: {}", describe(&e))))?;
    let key = created
        .key_metadata()
        .ok_or_else(|| WebhooksError("CreateKey answered no key".into()))?;
    kms.enable_key_rotation()
        .key_id(key.key_id())
        .send()
        .await
        .map_err(|e| WebhooksError(format!("EnableKeyRotation: {}", describe(&e))))?;
    key.arn()
        .map(str::to_owned)
        .ok_or_else(|| WebhooksError("CreateKey answered no ARN".into()))
}

/// Archives every event of the service (`source: cpor`) on the bus `bus` as `name`, kept 365
/// days, as the template's `EventArchive` does; an archive already there (the stack started
/// again on the same emulator) is kept.
pub async fn create_archive(
    events: &aws_sdk_eventbridge::Client,
    bus: &str,
    name: &str,
) -> Result<(), WebhooksError> {
    let bus_arn = events
        .describe_event_bus()
        .name(bus)
        .send()
        .await
        .map_err(|e| WebhooksError(format!("DescribeEventBus: {}", describe(&e))))?
        .arn
        .ok_or_else(|| WebhooksError(format!("bus {bus} has no ARN")))?;
    let pattern = serde_json::json!({ "source": [cpor_domain::events::SOURCE] });
    let created = events
        .create_archive()
        .archive_name(name)
        .event_source_arn(bus_arn)
        .description("Every claim event of the service's bus, for replays.")
        .event_pattern(pattern.to_string())
        .retention_days(365)
        .send()
        .await;
    match created {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_already_exists_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(WebhooksError(format!("CreateArchive: {}", describe(&e)))),
    }
}
