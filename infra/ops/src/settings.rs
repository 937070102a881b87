//! Where the commands act: from their options, else from the variables the functions read.

use crate::OpsError;
use cpor_aws::Env;
use cpor_aws::config::{QUEUE_URL, TABLE_NAME};

/// The notification dead-letter queue's URL: `CPOR_DEAD_LETTER_QUEUE_URL` (optional: the
/// notification queue's `RedrivePolicy` names it).
pub const DEAD_LETTER_QUEUE_URL: &str = "CPOR_DEAD_LETTER_QUEUE_URL";

/// A setting from its option, else its variable. clap fills the option from the process's
/// variable already, but passes an empty one on as a value: empty means unset here, as it does
/// for the functions; `env` also holds the overrides a caller gives.
pub fn given(option: &Option<String>, env: &Env, variable: &str) -> Option<String> {
    option
        .clone()
        .filter(|value| !value.is_empty())
        .or_else(|| env.get(variable))
}

/// A setting from its option, else its variable; a configuration error naming both.
pub fn required(
    option: &Option<String>,
    flag: &str,
    env: &Env,
    variable: &'static str,
) -> Result<String, OpsError> {
    given(option, env, variable).ok_or_else(|| {
        OpsError::Config(format!(
            "no {what}: set {variable} or pass {flag}",
            what = match variable {
                TABLE_NAME => "table",
                QUEUE_URL => "notification queue",
                cpor_aws::config::TOKEN_SECRET_ARN => "opt-out secret",
                _ => "value",
            }
        ))
    })
}

/// The table: `--table`, else `CPOR_TABLE_NAME`.
pub fn table(option: &Option<String>, env: &Env) -> Result<String, OpsError> {
    required(option, "--table NAME", env, TABLE_NAME)
}

/// The notification queue: `--queue-url`, else `CPOR_NOTIFICATION_QUEUE_URL`.
pub fn queue_url(option: &Option<String>, env: &Env) -> Result<String, OpsError> {
    required(option, "--queue-url URL", env, QUEUE_URL)
}

/// The SDK's configuration (credentials, region, profile, `AWS_ENDPOINT_URL`), refusing to go
/// on without a region: every call would fail with a less helpful message.
pub async fn sdk_config() -> Result<aws_config::SdkConfig, OpsError> {
    let sdk = cpor_aws::sdk_config().await;
    if sdk.region().is_none() {
        return Err(OpsError::Config(
            "no AWS region: set AWS_REGION (or AWS_PROFILE naming a profile with a region)".into(),
        ));
    }
    Ok(sdk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_option_wins_over_the_variable_and_a_missing_setting_names_both() {
        let env = Env::default().with(TABLE_NAME, "from-env");
        assert_eq!(table(&Some("from-flag".into()), &env).unwrap(), "from-flag");
        assert_eq!(table(&None, &env).unwrap(), "from-env");
        let missing = queue_url(&None, &Env::default().with(QUEUE_URL, "")).unwrap_err();
        assert_eq!(missing.exit_code(), 2);
        assert_eq!(
            missing.to_string(),
            "no notification queue: set CPOR_NOTIFICATION_QUEUE_URL or pass --queue-url URL"
        );
    }

    #[test]
    fn an_empty_option_counts_as_unset_as_an_empty_variable_does() {
        // GIVEN `--table=`, or an empty CPOR_TABLE_NAME that clap passed on as the option's value
        let env = Env::default().with(TABLE_NAME, "");
        // WHEN the table is looked up
        let missing = table(&Some(String::new()), &env).unwrap_err();
        // THEN it is missing, a configuration error naming the variable and the option
        assert_eq!(missing.exit_code(), 2);
        assert_eq!(
            missing.to_string(),
            "no table: set CPOR_TABLE_NAME or pass --table NAME"
        );
    }
}
