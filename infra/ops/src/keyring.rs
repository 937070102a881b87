//! `keyring`: the steps of a rotation of the opt-out links' signing secret, applied to the
//! Secrets Manager secret the functions read (see `cpor_domain::rotation`).

use crate::cli::{KeyringOptions, KeyringStep, Retire};
use crate::settings;
use crate::{OpsError, Report};
use cpor_aws::Env;
use cpor_aws::config::{TOKEN_KEY_ID, TOKEN_SECRET_ARN};
use cpor_aws::dynamo::DynamoStore;
use cpor_domain::rotation::{KeyringDocument, PruneCandidate};
use cpor_domain::time::format_instant;
use serde_json::Value;

/// Bytes of a new key's secret (written as hexadecimal).
const NEW_SECRET_BYTES: usize = 32;

/// The functions that sign or verify opt-out links, and so read the secret at start-up.
pub const LINK_FUNCTIONS: [&str; 3] = ["notify-customer", "notify-partner", "record-opt-out"];

/// What to do once the secret holds a new keyring.
const RECYCLE: &str = "notify-customer, notify-partner and record-opt-out read the secret at start-up: give them new execution environments now (docs/runbook.md, \"Rotating the opt-out secret\")";

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
    let mut document = read(&client, &arn, &key_id).await?;
    let message = match &options.step {
        KeyringStep::Show => {
            let message = format!("the keyring in {arn}: {} signs", document.current);
            return Ok(report(&document, false, message));
        }
        KeyringStep::Add { new_key_id } => {
            let id = new_key_id.clone().unwrap_or_else(|| document.next_key_id());
            document.add(&id, &new_secret()?).map_err(refused)?;
            format!(
                "added key {id} to {arn}; it verifies but does not sign yet. {RECYCLE}, then `cpor-ops keyring promote`"
            )
        }
        KeyringStep::Promote { new_key_id, retire } => {
            promote(&mut document, new_key_id.as_deref(), retire)?
        }
        KeyringStep::Prune { table } => {
            let table = settings::table(table, env)?;
            let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &table);
            let (removed, kept) = prune(&mut document, &store, &table).await?;
            if removed.is_empty() {
                let message = format!("no key can be removed yet{kept}; nothing changed");
                return Ok(report(&document, false, message));
            }
            format!(
                "removed the keys {} from {arn}, which no link in force uses{kept}. {RECYCLE}",
                removed.join(", ")
            )
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

/// A step the keyring refused.
fn refused(e: cpor_domain::token::KeyringError) -> OpsError {
    OpsError::Failed(format!("{e}; nothing changed"))
}

/// The keyring the secret holds, as the functions would read it.
async fn read(
    client: &aws_sdk_secretsmanager::Client,
    arn: &str,
    key_id: &str,
) -> Result<KeyringDocument, OpsError> {
    let stored = client
        .get_secret_value()
        .secret_id(arn)
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
    KeyringDocument::read(text, key_id).map_err(|e| {
        OpsError::Failed(format!(
            "{arn} does not hold a keyring the functions accept ({e}); nothing changed"
        ))
    })
}

/// Makes `new_key_id` (or the one staged key) sign from now on; says what became of the old.
fn promote(
    document: &mut KeyringDocument,
    new_key_id: Option<&str>,
    retire: &Retire,
) -> Result<String, OpsError> {
    let id = match new_key_id {
        Some(id) => id.to_owned(),
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
    let now = chrono::Utc::now();
    let retire_at = match retire {
        Retire::WhenUnused => None,
        Retire::InDays(days) => Some(now + chrono::TimeDelta::days(i64::from(*days))),
        Retire::At(at) => Some(*at),
    };
    let old = document.current.clone();
    document.promote(&id, now, retire_at).map_err(refused)?;
    Ok(match retire_at {
        None => format!(
            "key {id} signs the links from now on; links signed with {old} keep working. {RECYCLE}; `cpor-ops keyring prune` removes {old} once no link in force uses it"
        ),
        Some(at) => format!(
            "key {id} signs the links from now on; every link signed with {old}, associations' included, stops working at {}. {RECYCLE}",
            format_instant(at)
        ),
    })
}

/// Removes the keys no link in force uses; answers the removed keys, and what is said of the
/// kept ones ("; kept ...", or nothing).
async fn prune(
    document: &mut KeyringDocument,
    store: &DynamoStore,
    table: &str,
) -> Result<(Vec<String>, String), OpsError> {
    let mut removable = Vec::new();
    let mut kept = Vec::new();
    for candidate in document.prune_candidates(chrono::Utc::now()) {
        match candidate {
            PruneCandidate::Retired(id) => removable.push(id),
            PruneCandidate::SignedUntil(id, until) => {
                let in_force = store
                    .link_in_force_emailed_before(until)
                    .await
                    .map_err(|e| {
                        OpsError::Failed(format!(
                            "could not look for links in force in {table}: {e}; nothing changed"
                        ))
                    })?;
                match in_force {
                    None => removable.push(id),
                    Some(claim) => kept.push(format!(
                        "{id} (still verifies the link of claim {claim}, e-mailed before {})",
                        format_instant(until)
                    )),
                }
            }
        }
    }
    let kept = if kept.is_empty() {
        String::new()
    } else {
        format!("; kept {}", kept.join(", "))
    };
    Ok((document.remove(&removable), kept))
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
