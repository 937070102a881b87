//! Configuration from environment variables, read once at start-up, with errors that name
//! what is missing or wrong.

use std::fmt;

/// A missing or malformed setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("environment variable {0} is required but not set")]
    Missing(&'static str),
    /// A variable's value is not usable.
    #[error("environment variable {name} is not valid: {problem}")]
    Invalid {
        name: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The secret a variable names could not be read.
    #[error("the secret named by {name} could not be read: {problem}")]
    SecretUnreadable {
        /// The variable naming the secret.
        name: &'static str,
        /// Why it could not be read.
        problem: String,
    },
}

/// Reads settings from the process environment, or from a fixed list (for tests and the local
/// stack, which runs every function in one process).
#[derive(Clone, Default)]
pub struct Env {
    overrides: Vec<(String, String)>,
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.overrides.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Env").field("overrides", &names).finish()
    }
}

impl Env {
    /// The process environment.
    pub fn process() -> Self {
        Self::default()
    }

    /// The process environment, with these values taking precedence.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.overrides.retain(|(k, _)| k != name);
        self.overrides.push((name.to_owned(), value.into()));
        self
    }

    /// The variable's value, if set and not empty.
    pub fn get(&self, name: &str) -> Option<String> {
        self.overrides
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| std::env::var(name).ok())
            .filter(|v| !v.is_empty())
    }

    /// A required variable.
    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.get(name).ok_or(ConfigError::Missing(name))
    }

    /// A variable with a default.
    pub fn or(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_owned())
    }
}

/// The table's name: `CPOR_TABLE_NAME`.
pub const TABLE_NAME: &str = "CPOR_TABLE_NAME";
/// The notification queue's URL: `CPOR_NOTIFICATION_QUEUE_URL`.
pub const QUEUE_URL: &str = "CPOR_NOTIFICATION_QUEUE_URL";
/// The claim batches' queue's URL: `CPOR_BATCH_QUEUE_URL`.
pub const BATCH_QUEUE_URL: &str = "CPOR_BATCH_QUEUE_URL";
/// The sender of customer e-mail: `CPOR_SENDER_EMAIL`.
pub const SENDER_EMAIL: &str = "CPOR_SENDER_EMAIL";
/// The SES configuration set the customer's e-mail is sent through (optional):
/// `CPOR_SES_CONFIGURATION_SET`.
pub const SES_CONFIGURATION_SET: &str = "CPOR_SES_CONFIGURATION_SET";
/// Where the customer pages are served: `CPOR_PUBLIC_BASE_URL`.
pub const PUBLIC_BASE_URL: &str = "CPOR_PUBLIC_BASE_URL";
/// The opt-out token's signing secret, as plain text (local stack and tests):
/// `CPOR_TOKEN_SECRET`.
pub const TOKEN_SECRET: &str = "CPOR_TOKEN_SECRET";
/// The ARN of the Secrets Manager secret holding the opt-out token's signing secret (deployed
/// functions): `CPOR_TOKEN_SECRET_ARN`.
pub const TOKEN_SECRET_ARN: &str = "CPOR_TOKEN_SECRET_ARN";
/// The id of the signing key: `CPOR_TOKEN_KEY_ID`.
pub const TOKEN_KEY_ID: &str = "CPOR_TOKEN_KEY_ID";
/// The service's event bus (its name): `CPOR_EVENT_BUS_NAME`.
pub const EVENT_BUS_NAME: &str = "CPOR_EVENT_BUS_NAME";
/// The documents' bucket: `CPOR_DOCUMENTS_BUCKET`.
pub const DOCUMENTS_BUCKET: &str = "CPOR_DOCUMENTS_BUCKET";
/// The queue of the exports asked for, which run-export reads.
pub const EXPORTS_QUEUE_URL: &str = "CPOR_EXPORTS_QUEUE_URL";
/// Holidays skipped by the business calendar, comma-separated dates: `CPOR_HOLIDAYS`.
pub const HOLIDAYS: &str = "CPOR_HOLIDAYS";
/// Who approves a claim: `CPOR_REVIEW_POLICY`, `manual` (a reviewer; the default) or
/// `automatic` (the service, at submission).
pub const REVIEW_POLICY: &str = "CPOR_REVIEW_POLICY";
/// The partners' identity provider's issuer (`iss`), whose RS256 tokens authorize-caller checks
/// through its published keys (and the local gateway, when it is given one):
/// `CPOR_PARTNER_ISSUER`.
pub const PARTNER_ISSUER: &str = "CPOR_PARTNER_ISSUER";
/// The audiences (`aud`, or `client_id` in a token without `aud`) the partners' tokens may
/// carry, comma-separated: `CPOR_PARTNER_AUDIENCE`.
pub const PARTNER_AUDIENCE: &str = "CPOR_PARTNER_AUDIENCE";
/// The reviewers' identity provider's issuer: `CPOR_REVIEWER_ISSUER`.
pub const REVIEWER_ISSUER: &str = "CPOR_REVIEWER_ISSUER";
/// The audiences the reviewers' tokens may carry, comma-separated: `CPOR_REVIEWER_AUDIENCE`.
pub const REVIEWER_AUDIENCE: &str = "CPOR_REVIEWER_AUDIENCE";

/// The opt-out keyring from `CPOR_TOKEN_SECRET` and `CPOR_TOKEN_KEY_ID` (default `k1`).
///
/// The secret is either a plain secret (the single key `CPOR_TOKEN_KEY_ID`) or a JSON keyring
/// with a current key and older ones, each retiring at a time (see
/// [`cpor_domain::OptOutKeyring::parse`]): the form a rotation gives it.
pub fn keyring(env: &Env) -> Result<cpor_domain::OptOutKeyring, ConfigError> {
    let secret = env.required(TOKEN_SECRET)?;
    keyring_with(env, TOKEN_SECRET, &secret)
}

/// The opt-out keyring, read once at start-up: from the Secrets Manager secret whose ARN is
/// `CPOR_TOKEN_SECRET_ARN` when that is set, else from `CPOR_TOKEN_SECRET`; the key id is
/// `CPOR_TOKEN_KEY_ID` (default `k1`) either way.
///
/// The secret's value is a `SecretString`: a plain secret (16 bytes at least), what
/// CloudFormation's `GenerateSecretString` makes without a template, or, after a rotation, the
/// JSON keyring.
pub async fn load_keyring(
    sdk: &aws_config::SdkConfig,
    env: &Env,
) -> Result<cpor_domain::OptOutKeyring, ConfigError> {
    let Some(arn) = env.get(TOKEN_SECRET_ARN) else {
        return keyring(env);
    };
    let unreadable = |problem: String| ConfigError::SecretUnreadable {
        name: TOKEN_SECRET_ARN,
        problem,
    };
    let value = aws_sdk_secretsmanager::Client::new(sdk)
        .get_secret_value()
        .secret_id(&arn)
        .send()
        .await
        .map_err(|e| unreadable(crate::describe(&e)))?;
    let secret = value.secret_string().ok_or_else(|| {
        unreadable(format!(
            "{arn} has no SecretString (binary secrets are not supported)"
        ))
    })?;
    keyring_with(env, TOKEN_SECRET_ARN, secret)
}

fn keyring_with(
    env: &Env,
    source: &'static str,
    secret: &str,
) -> Result<cpor_domain::OptOutKeyring, ConfigError> {
    let default_id = env.or(TOKEN_KEY_ID, "k1");
    cpor_domain::OptOutKeyring::parse(secret, &default_id).map_err(|e| ConfigError::Invalid {
        name: source,
        problem: e.to_string(),
    })
}

/// Checks a base URL of the customer pages: `https://`, or `http://` on a loopback host (the
/// local stack). The links carry the customer's token, which must never travel in clear text.
pub fn public_base_url(url: &str) -> Result<String, ConfigError> {
    let invalid = |problem: &str| ConfigError::Invalid {
        name: PUBLIC_BASE_URL,
        problem: problem.to_owned(),
    };
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| invalid("must be an https:// URL"))?;
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .rsplit_once(':')
        .map_or(
            rest.split(['/', '?', '#']).next().unwrap_or_default(),
            |(h, _)| h,
        );
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match scheme {
        "https" if !host.is_empty() => Ok(url.trim_end_matches('/').to_owned()),
        "http" if loopback => Ok(url.trim_end_matches('/').to_owned()),
        "http" => Err(invalid(
            "must be https:// (the links carry the customer's token); http:// only on a loopback host",
        )),
        _ => Err(invalid("must be an https:// URL")),
    }
}

/// The business calendar from `CPOR_HOLIDAYS`.
pub fn calendar(env: &Env) -> Result<cpor_domain::BusinessCalendar, ConfigError> {
    cpor_domain::BusinessCalendar::parse_holidays(&env.or(HOLIDAYS, "")).map_err(|problem| {
        ConfigError::Invalid {
            name: HOLIDAYS,
            problem,
        }
    })
}

/// The review policy from `CPOR_REVIEW_POLICY`: `manual` unless it says otherwise.
pub fn review_policy(env: &Env) -> Result<cpor_domain::ReviewPolicy, ConfigError> {
    match env.get(REVIEW_POLICY) {
        None => Ok(cpor_domain::ReviewPolicy::default()),
        Some(text) => cpor_domain::ReviewPolicy::parse(&text).ok_or(ConfigError::Invalid {
            name: REVIEW_POLICY,
            problem: "must be manual or automatic".into(),
        }),
    }
}

/// Which webhook URLs may be registered: loopback receivers too when
/// `CPOR_WEBHOOKS_ALLOW_LOOPBACK` is `1` or `true` (the local stack), public HTTPS hosts only
/// when it is unset, empty, `0` or `false` (AWS); anything else stops the function, rather than
/// guess which.
pub fn webhook_allowance(env: &Env) -> Result<cpor_domain::webhook::url::Allowance, ConfigError> {
    use crate::webhooks::WEBHOOKS_ALLOW_LOOPBACK;
    use cpor_domain::webhook::url::Allowance;
    match env.get(WEBHOOKS_ALLOW_LOOPBACK).as_deref() {
        None | Some("0" | "false") => Ok(Allowance::PublicOnly),
        Some("1" | "true") => Ok(Allowance::Loopback),
        Some(_) => Err(ConfigError::Invalid {
            name: WEBHOOKS_ALLOW_LOOPBACK,
            problem: "must be 1 or true (the local stack), or unset".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn webhooks_allow_loopback_only_when_the_environment_says_so() {
        use super::{Env, webhook_allowance};
        use crate::webhooks::WEBHOOKS_ALLOW_LOOPBACK;
        use cpor_domain::webhook::url::Allowance;
        let env = |v: &str| Env::default().with(WEBHOOKS_ALLOW_LOOPBACK, v);
        assert_eq!(webhook_allowance(&env("")).unwrap(), Allowance::PublicOnly);
        assert_eq!(webhook_allowance(&env("0")).unwrap(), Allowance::PublicOnly);
        assert_eq!(
            webhook_allowance(&env("false")).unwrap(),
            Allowance::PublicOnly
        );
        assert_eq!(webhook_allowance(&env("1")).unwrap(), Allowance::Loopback);
        assert_eq!(
            webhook_allowance(&env("true")).unwrap(),
            Allowance::Loopback
        );
        assert!(webhook_allowance(&env("yes")).is_err());
    }

    #[test]
    fn the_review_policy_is_manual_unless_the_environment_says_automatic() {
        use super::{Env, REVIEW_POLICY, review_policy};
        use cpor_domain::ReviewPolicy;
        // (An empty value is an unset one, whatever the process's environment holds.)
        let env = |v: &str| Env::default().with(REVIEW_POLICY, v);
        assert_eq!(review_policy(&env("")).unwrap(), ReviewPolicy::Manual);
        assert_eq!(review_policy(&env("manual")).unwrap(), ReviewPolicy::Manual);
        assert_eq!(
            review_policy(&env("automatic")).unwrap(),
            ReviewPolicy::Automatic
        );
        assert!(review_policy(&env("Automatic")).is_err());
        assert!(review_policy(&env("none")).is_err());
    }

    #[test]
    fn a_public_base_url_in_clear_text_is_refused_except_on_a_loopback_host() {
        use super::public_base_url;
        assert_eq!(
            public_base_url("https://cpor.example.com/").unwrap(),
            "https://cpor.example.com"
        );
        assert!(public_base_url("https://cpor.example.com/prod").is_ok());
        assert!(public_base_url("http://127.0.0.1:3000").is_ok());
        assert!(public_base_url("http://localhost:3000").is_ok());
        for bad in [
            "http://cpor.example.com",
            "http://127.0.0.1.evil.example",
            "ftp://cpor.example.com",
            "cpor.example.com",
            "https://",
        ] {
            assert!(public_base_url(bad).is_err(), "{bad}");
        }
    }
}
