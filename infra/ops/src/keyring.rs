//! `keyring`: the steps of a rotation of the opt-out links' signing secret, applied to the
//! Secrets Manager secret the functions read (see `cpor_domain::rotation`).

use crate::cli::{KeyringOptions, KeyringStep, Retire};
use crate::settings;
use crate::{OpsError, Report};
use cpor_aws::Env;
use cpor_aws::config::{TOKEN_KEY_ID, TOKEN_SECRET_ARN};
use cpor_domain::rotation::KeyringDocument;
use cpor_domain::time::format_instant;
use serde_json::Value;

/// Bytes of a new key's secret (written as hexadecimal).
const NEW_SECRET_BYTES: usize = 32;

/// What to do once the secret holds a new keyring.
const RECYCLE: &str = "notify-customer and record-opt-out read the secret at start-up: give them new execution environments now (docs/runbook.md, \"Rotating the opt-out secret\")";

/// Applies one step to the secret; prints the keyring without its secrets.
pub async fn run(options: &KeyringOptions, env: &Env) -> Result<Report, OpsError> {
    let arn = settings::required(
        &options.secret_arn,
        "--secret-arn ARN",
        env,
        TOKEN_SECRET_ARN,
    )?;
    let key_id =
        settings::given(&options.key_id, env, TOKEN_KEY_ID).unwrap_or_else(|| "k1".to_owned());
    let sdk = settings::sdk_config().await?;
    let client = aws_sdk_secretsmanager::Client::new(&sdk);
    let stored = client
        .get_secret_value()
        .secret_id(&arn)
        .send()
        .await
        .map_err(|e| {
            OpsError::Failed(format!("could not read {arn}: {}", cpor_aws::describe(&e)))
        })?;
    let text = stored.secret_string().ok_or_else(|| {
        OpsError::Failed(format!(
            "{arn} has no SecretString (binary secrets are not supported)"
        ))
    })?;
    let mut document = KeyringDocument::read(text, &key_id).map_err(|e| {
        OpsError::Failed(format!(
            "{arn} does not hold a keyring the functions accept ({e}); nothing changed"
        ))
    })?;
    let refused =
        |e: cpor_domain::token::KeyringError| OpsError::Failed(format!("{e}; nothing changed"));
    let message = match &options.step {
        KeyringStep::Show => {
            return Ok(report(
                &document,
                false,
                format!("the keyring in {arn}: {} signs", document.current),
            ));
        }
        KeyringStep::Add { new_key_id } => {
            let id = new_key_id.clone().unwrap_or_else(|| document.next_key_id());
            document.add(&id, &new_secret()?).map_err(refused)?;
            format!(
                "added key {id} to {arn}; it verifies but does not sign yet. {RECYCLE}, then `cpor-ops keyring promote`"
            )
        }
        KeyringStep::Promote { new_key_id, retire } => {
            let id = match new_key_id {
                Some(id) => id.clone(),
                None => match document.staged().as_slice() {
                    [only] => (*only).to_owned(),
                    [] => {
                        return Err(OpsError::Failed(
                            "no key to promote: add one first (`cpor-ops keyring add`)".into(),
                        ));
                    }
                    several => {
                        return Err(OpsError::Failed(format!(
                            "several keys could be promoted ({}): name one with --new-key-id",
                            several.join(", ")
                        )));
                    }
                },
            };
            let retire_at = match retire {
                Retire::InDays(days) => {
                    chrono::Utc::now() + chrono::TimeDelta::days(i64::from(*days))
                }
                Retire::At(at) => *at,
            };
            let old = document.current.clone();
            document.promote(&id, retire_at).map_err(refused)?;
            format!(
                "key {id} signs the links from now on; links signed with {old} work until {}. {RECYCLE}; after that time, `cpor-ops keyring prune`",
                format_instant(retire_at)
            )
        }
        KeyringStep::Prune => {
            let removed = document.prune(chrono::Utc::now());
            if removed.is_empty() {
                return Ok(report(
                    &document,
                    false,
                    "no key has retired yet; nothing changed".into(),
                ));
            }
            format!("removed the retired keys {} from {arn}", removed.join(", "))
        }
    };
    client
        .put_secret_value()
        .secret_id(&arn)
        .secret_string(document.to_text())
        .send()
        .await
        .map_err(|e| {
            OpsError::Failed(format!(
                "could not write the new keyring to {arn}: {}; nothing changed",
                cpor_aws::describe(&e)
            ))
        })?;
    Ok(report(&document, true, message))
}

fn report(document: &KeyringDocument, written: bool, message: String) -> Report {
    let mut result = document.summary();
    if let Value::Object(object) = &mut result {
        object.insert("written".into(), Value::Bool(written));
    }
    Report { result, message }
}

/// A new key's secret: random bytes from the operating system, in hexadecimal.
fn new_secret() -> Result<String, OpsError> {
    let mut bytes = [0u8; NEW_SECRET_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| OpsError::Failed(format!("no random bytes from the system: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
