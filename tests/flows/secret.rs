//! The opt-out secret from Secrets Manager: deployed functions are given the secret's ARN and
//! read it at start-up; what they sign and verify is the same as with the plain variable the
//! local stack uses.

use cpor_aws::config::{TOKEN_KEY_ID, TOKEN_SECRET, TOKEN_SECRET_ARN, keyring, load_keyring};
use cpor_aws::{ConfigError, Env};
use cpor_domain::ids::ClaimId;
use cpor_local::LocalSettings;
use cpor_local::emulator::{Emulator, free_port};

const SECRET: &str = "a-deployment-secret-of-32-bytes!";

/// An emulator of our own and the SDK configuration pointing at it.
async fn emulator() -> (Emulator, aws_config::SdkConfig) {
    let dir = std::env::temp_dir().join("cpor-tests");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let port = free_port().expect("a free port");
    let emulator = Emulator::start(port, &dir.join(format!("emulator-{port}.log")))
        .expect("the emulator starts");
    let sdk = LocalSettings::for_tests(&emulator.endpoint())
        .sdk_config()
        .await;
    (emulator, sdk)
}

async fn stored_secret(sdk: &aws_config::SdkConfig, name: &str, value: &str) -> String {
    aws_sdk_secretsmanager::Client::new(sdk)
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .expect("the secret is created")
        .arn()
        .expect("an ARN")
        .to_owned()
}

/// Only the variables named here, whatever the process environment holds.
fn env() -> Env {
    Env::default()
        .with(TOKEN_SECRET, "")
        .with(TOKEN_SECRET_ARN, "")
        .with(TOKEN_KEY_ID, "k1")
}

#[tokio::test]
async fn a_keyring_loaded_from_a_secret_arn_signs_and_verifies_like_the_plain_one() {
    // GIVEN the same secret in Secrets Manager and in the plain variable
    let (_emulator, sdk) = emulator().await;
    let arn = stored_secret(&sdk, "cpor/opt-out-token", SECRET).await;
    // WHEN one keyring is loaded from the ARN and one from the variable
    let from_secret = load_keyring(&sdk, &env().with(TOKEN_SECRET_ARN, &arn))
        .await
        .expect("the keyring loads from the secret");
    let from_env = keyring(&env().with(TOKEN_SECRET, SECRET)).expect("the keyring loads");
    // THEN each verifies what the other signs, and both sign alike
    let claim = ClaimId::new_at(chrono::Utc::now());
    let token = from_secret.sign(claim);
    assert_eq!(token, from_env.sign(claim));
    assert_eq!(from_env.verify(&token, chrono::Utc::now()), Ok(claim));
    assert_eq!(
        from_secret.verify(&from_env.sign(claim), chrono::Utc::now()),
        Ok(claim)
    );
}

#[tokio::test]
async fn a_rotated_secret_holds_a_keyring_that_signs_with_the_new_key_and_still_verifies_the_old() {
    // GIVEN a secret as the stack generates it, and a link signed with it
    let (_emulator, sdk) = emulator().await;
    let arn = stored_secret(&sdk, "cpor/opt-out-token", SECRET).await;
    let env = env().with(TOKEN_SECRET_ARN, &arn);
    let before = load_keyring(&sdk, &env).await.expect("the keyring loads");
    let claim = ClaimId::new_at(chrono::Utc::now());
    let old_link = before.sign(claim);
    // WHEN a new version of the secret holds the rotated keyring (the runbook's procedure)
    let rotated = format!(
        r#"{{"current": "k2", "keys": [{{"id": "k2", "secret": "a-new-secret-of-32-bytes-rotated"}},
            {{"id": "k1", "secret": "{SECRET}", "retire_at": "2099-01-01T00:00:00Z"}}]}}"#
    );
    aws_sdk_secretsmanager::Client::new(&sdk)
        .put_secret_value()
        .secret_id(&arn)
        .secret_string(rotated)
        .send()
        .await
        .expect("a new version of the secret");
    let after = load_keyring(&sdk, &env)
        .await
        .expect("the rotated keyring loads");
    // THEN new links name the new key, and the old link still verifies
    assert!(after.sign(claim).contains(".k2."));
    assert_eq!(after.verify(&old_link, chrono::Utc::now()), Ok(claim));
}

#[tokio::test]
async fn the_secret_arn_wins_over_a_plain_secret() {
    // GIVEN both an ARN and a different plain secret
    let (_emulator, sdk) = emulator().await;
    let arn = stored_secret(&sdk, "cpor/opt-out-token", SECRET).await;
    let both = env()
        .with(TOKEN_SECRET_ARN, &arn)
        .with(TOKEN_SECRET, "some-other-secret-of-16+");
    // WHEN the keyring loads
    let loaded = load_keyring(&sdk, &both).await.expect("the keyring loads");
    // THEN it signs with the secret from Secrets Manager
    let claim = ClaimId::new_at(chrono::Utc::now());
    let expected = keyring(&env().with(TOKEN_SECRET, SECRET)).expect("the keyring loads");
    assert_eq!(loaded.sign(claim), expected.sign(claim));
}

#[tokio::test]
async fn an_unreadable_secret_stops_start_up_naming_the_variable() {
    // GIVEN an ARN of no secret
    let (_emulator, sdk) = emulator().await;
    let missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:cpor/none-AbCdEf";
    // WHEN the keyring loads
    let error = load_keyring(&sdk, &env().with(TOKEN_SECRET_ARN, missing))
        .await
        .expect_err("no keyring without its secret");
    // THEN the error names the variable
    assert!(
        matches!(error, ConfigError::SecretUnreadable { name, .. } if name == TOKEN_SECRET_ARN),
        "{error}"
    );
}

#[tokio::test]
async fn a_secret_too_short_is_refused() {
    // GIVEN a secret of 8 bytes
    let (_emulator, sdk) = emulator().await;
    let arn = stored_secret(&sdk, "cpor/short", "8-bytes!").await;
    // WHEN the keyring loads
    let error = load_keyring(&sdk, &env().with(TOKEN_SECRET_ARN, &arn))
        .await
        .expect_err("a short secret is refused");
    // THEN the error names the variable and says why
    assert!(
        matches!(&error, ConfigError::Invalid { name, problem } if *name == TOKEN_SECRET_ARN && problem.contains("16 bytes")),
        "{error}"
    );
}

#[tokio::test]
async fn a_function_configured_from_lambda_s_variables_reads_its_secret() {
    // GIVEN a secret, and the variables Lambda gives a function (region, the role's credentials)
    // with the emulator's endpoint
    let (emulator, sdk) = emulator().await;
    let arn = stored_secret(&sdk, "cpor/lambda-variables", SECRET).await;
    let region = sdk.region().expect("the tests' region").to_string();
    let lambda = Env::default()
        .with("AWS_REGION", &region)
        .with("AWS_ACCESS_KEY_ID", "ASIALAMBDAEXAMPLE")
        .with("AWS_SECRET_ACCESS_KEY", "lambda/secret/access/key/example")
        .with("AWS_SESSION_TOKEN", "lambda-session-token")
        .with("AWS_ENDPOINT_URL", emulator.endpoint());
    // WHEN the function's SDK configuration is built from them (without aws_config's loader)
    let config = cpor_aws::lambda_sdk_config_from(&lambda).await;
    // THEN it is theirs
    assert_eq!(config.region().map(|r| r.as_ref()), Some(region.as_str()));
    assert_eq!(config.endpoint_url(), Some(emulator.endpoint().as_str()));
    // AND the function reads its secret through it, and signs as with the plain secret
    let from_secret = load_keyring(&config, &env().with(TOKEN_SECRET_ARN, &arn))
        .await
        .expect("the keyring loads from the secret");
    let from_env = keyring(&env().with(TOKEN_SECRET, SECRET)).expect("the keyring loads");
    let claim = ClaimId::new_at(chrono::Utc::now());
    assert_eq!(from_secret.sign(claim), from_env.sign(claim));
}
