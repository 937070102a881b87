//! What the local stack creates for partners' webhooks, as the template does in AWS: the KMS key
//! that seals their secrets (in the emulator's KMS).

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
