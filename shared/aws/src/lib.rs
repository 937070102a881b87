//! Adapters from the domain's ports to AWS: the DynamoDB table (claims, history, locks,
//! idempotency and notification records, reference data), the SQS notification queue and SES;
//! and the functions' doors (`door`): how each is built from its configuration and run.
//!
//! The same code runs against AWS and against the local emulator: `AWS_ENDPOINT_URL` points the
//! SDK at the emulator, and nothing here knows the difference.

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

pub mod batch;
pub mod budget;
pub mod claim_batch;
pub mod config;
pub mod documents;
pub mod door;
pub mod dynamo;
pub mod events;
pub mod exports;
pub mod logging;
pub mod mailer;
pub mod metrics;
pub mod pause;
pub mod queue;
#[cfg(test)]
mod replay;
pub mod schema;
pub mod sdk_client;
pub mod sending;
pub mod webhooks;

pub use config::{ConfigError, Env};
pub use documents::S3Documents;
pub use door::{Door, Wiring};
pub use dynamo::DynamoStore;
pub use events::EventBridgeBus;
pub use logging::in_invocation;
pub use mailer::SesMailer;
pub use metrics::Metrics;
pub use pause::TokioPause;
pub use queue::SqsNotificationQueue;
pub use sdk_client::SdkClient;

/// Loads the SDK configuration from the environment (region, credentials, endpoint).
///
/// Lambda hands each function its region and its role's credentials in the environment, and
/// the default chains would take them from there too, first; but building those chains also
/// builds their other providers (an instance-metadata client for the region; for credentials,
/// among others the web-identity provider's STS client, and with it a TLS root store) at every
/// cold start. So what the environment holds is read from it alone; what it lacks comes from
/// the default chains, as before.
pub async fn sdk_config() -> aws_config::SdkConfig {
    loader().load().await
}

/// The root certificates of Amazon Trust Services, which issue every AWS endpoint's certificate.
const AMAZON_ROOTS: &[u8] = include_bytes!("../certs/amazon-trust-services.pem");

/// Trust the system's root certificates instead of Amazon's alone: `CPOR_TLS_SYSTEM_ROOTS=1`.
pub const TLS_SYSTEM_ROOTS: &str = "CPOR_TLS_SYSTEM_ROOTS";

/// The SDK configuration of a deployed function, from the process environment: see
/// [`lambda_sdk_config_from`].
pub async fn lambda_sdk_config() -> aws_config::SdkConfig {
    lambda_sdk_config_from(&Env::process()).await
}

/// The SDK configuration of a deployed function, from `env`.
///
/// Its HTTPS client trusts the roots of Amazon Trust Services alone, which issue the
/// certificates of every AWS endpoint a function calls (regional, FIPS and VPC endpoints alike):
/// the system's whole bundle would be read and parsed at every cold start, five certificates
/// compiled in cost next to nothing (BENCHMARKS.md measures both). `CPOR_TLS_SYSTEM_ROOTS=1`
/// brings back the system's. See [`https_client`] for when the TLS set-up is built.
///
/// Where Lambda has put the region and credentials in the environment (`AWS_REGION`,
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), the configuration is
/// built from them with the SDK's defaults (standard retries, the default chains' connect
/// timeout, stalled-stream protection) and `AWS_ENDPOINT_URL` if set, without `aws_config`'s
/// loader: its chains look for a dozen other settings (profile files among them) that a
/// function is never given, at every cold start. Anywhere else, the loader's chains
/// fill in what the environment lacks, as for [`sdk_config`].
pub async fn lambda_sdk_config_from(env: &Env) -> aws_config::SdkConfig {
    let system_roots = env.get(TLS_SYSTEM_ROOTS).is_some_and(|v| v == "1");
    // The SDK checks an HTTP client when it builds a service client with it, and this client's
    // check builds a TLS connector (trust store, crypto provider, rustls configuration) and
    // throws it away: the first request builds the connector it uses all the same. The check is
    // there to load the system's certificates, which the SDK caches, at start-up rather than in
    // the first request; the functions build some of their service clients when a request
    // first needs them ([`SdkClient`]), so with the system's roots the client is checked here,
    // at start-up, once, and not by each client. The compiled-in roots leave nothing to load ahead but aws-lc's own set-up,
    // which the first request's connector does then: their check would build a connector for
    // nothing at every cold start, so it is left to the first request.
    let http = if system_roots {
        let http = validated_once(https_client(true));
        let mut components =
            aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder::new(
                "lambda_sdk_config",
            );
        components.set_http_client(Some(http.clone()));
        // The SDK's check of its client never fails: a missing bundle is a warning in its log.
        let _ = components
            .validate_base_client_config(&aws_smithy_types::config_bag::ConfigBag::base());
        http
    } else {
        checked_by_first_request(https_client(false))
    };
    let Some((region, credentials)) = lambda_environment(env) else {
        return loader().http_client(http).load().await;
    };
    let mut config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(region)
        .credentials_provider(credentials)
        .http_client(http)
        .sleep_impl(aws_smithy_async::rt::sleep::SharedAsyncSleep::new(
            aws_smithy_async::rt::sleep::TokioSleep::new(),
        ))
        .time_source(aws_smithy_async::time::SharedTimeSource::default())
        .retry_config(aws_config::retry::RetryConfig::standard())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(SDK_CONNECT_TIMEOUT)
                .build(),
        )
        .stalled_stream_protection(
            aws_config::stalled_stream_protection::StalledStreamProtectionConfig::enabled().build(),
        );
    if let Some(url) = env.get("AWS_ENDPOINT_URL") {
        config = config.endpoint_url(url);
    }
    config.build()
}

/// The functions' HTTPS client, trusting the compiled-in Amazon roots, or the system's
/// (`system_roots`).
fn https_client(system_roots: bool) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls;
    let trust = if system_roots {
        tls::TrustStore::default().with_native_roots(true)
    } else {
        tls::TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(AMAZON_ROOTS)
    };
    let context = tls::TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .unwrap_or_else(|_| unreachable!("a trust store of PEM certificates is a valid context"));
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .tls_context(context)
        .build_https()
}

/// The default chains' connect timeout (`aws_config`'s), kept when the configuration is built
/// from Lambda's environment.
const SDK_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(3100);

/// The region and credentials Lambda puts in a function's environment, if they are there.
fn lambda_environment(
    env: &Env,
) -> Option<(
    aws_config::Region,
    aws_credential_types::provider::SharedCredentialsProvider,
)> {
    let region = env.get("AWS_REGION")?;
    let credentials = aws_credential_types::Credentials::new(
        env.get("AWS_ACCESS_KEY_ID")?,
        env.get("AWS_SECRET_ACCESS_KEY")?,
        env.get("AWS_SESSION_TOKEN"),
        None,
        "LambdaEnvironment",
    );
    Some((
        aws_config::Region::new(region),
        aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
    ))
}

/// `client`, whose set-up is checked when the first SDK client is built and not again.
///
/// The SDK checks an HTTP client each time a service client is built with it, and the SDK's
/// HTTPS client's check builds a TLS connector (trust store, crypto provider, rustls
/// configuration) and throws it away, so that certificates are loaded at start-up rather than
/// by the first request. Once is enough for that: what it loads is kept (aws-lc's set-up; the
/// system's certificates, which the SDK caches), and the connectors that requests use are built
/// and kept apart from it. A function with two or three clients builds one connector at start-up
/// instead of two or three. (The SDK's clients make no final check of their own, so none is
/// passed on.)
pub fn validated_once(
    client: aws_smithy_runtime_api::client::http::SharedHttpClient,
) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_runtime_api::client::http::SharedHttpClient::new(ValidatedOnce {
        inner: client,
        validated: std::sync::OnceLock::new(),
    })
}

/// `client`, never checked when an SDK client is built: its TLS set-up is built when the first
/// request needs a connection (see [`lambda_sdk_config_from`]).
fn checked_by_first_request(
    client: aws_smithy_runtime_api::client::http::SharedHttpClient,
) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_runtime_api::client::http::SharedHttpClient::new(ValidatedOnce {
        inner: client,
        validated: std::sync::OnceLock::from(()),
    })
}

/// See [`validated_once`] and [`checked_by_first_request`].
#[derive(Debug)]
struct ValidatedOnce {
    inner: aws_smithy_runtime_api::client::http::SharedHttpClient,
    validated: std::sync::OnceLock<()>,
}

impl aws_smithy_runtime_api::client::http::HttpClient for ValidatedOnce {
    fn http_connector(
        &self,
        settings: &aws_smithy_runtime_api::client::http::HttpConnectorSettings,
        components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
    ) -> aws_smithy_runtime_api::client::http::SharedHttpConnector {
        self.inner.http_connector(settings, components)
    }

    fn validate_base_client_config(
        &self,
        _: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder,
        cfg: &aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        if self.validated.get().is_some() {
            return Ok(());
        }
        // The SDK's check of a shared client is reachable only through a components builder.
        let mut only_client =
            aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder::new(
                "validated_once",
            );
        only_client.set_http_client(Some(self.inner.clone()));
        only_client.validate_base_client_config(cfg)?;
        let _ = self.validated.set(());
        Ok(())
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

/// The loader of [`sdk_config`].
fn loader() -> aws_config::ConfigLoader {
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    let loader = match std::env::var("AWS_REGION") {
        Ok(region) if !region.is_empty() => loader.region(aws_config::Region::new(region)),
        _ => loader,
    };
    let in_environment = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        .iter()
        .all(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    if in_environment {
        loader.credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        )
    } else {
        loader
    }
}

/// Describes an SDK error with its whole chain of causes, for logs and problem details.
pub fn describe<E: std::error::Error>(error: &E) -> String {
    aws_sdk_dynamodb::error::DisplayErrorContext(error).to_string()
}

#[cfg(test)]
mod tests {
    use super::{AMAZON_ROOTS, checked_by_first_request, https_client, validated_once};
    use aws_smithy_runtime_api::box_error::BoxError;
    use aws_smithy_runtime_api::client::http::{
        HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
        SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::client::runtime_components::{
        RuntimeComponents, RuntimeComponentsBuilder,
    };
    use aws_smithy_types::config_bag::ConfigBag;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// An HTTP client that counts the SDK's checks of it, one for each service client built on
    /// it, and refuses every request.
    #[derive(Debug, Clone, Default)]
    struct Checked(Arc<AtomicUsize>);

    impl HttpClient for Checked {
        fn http_connector(
            &self,
            _: &HttpConnectorSettings,
            _: &RuntimeComponents,
        ) -> SharedHttpConnector {
            SharedHttpConnector::new(Refused)
        }

        fn validate_base_client_config(
            &self,
            _: &RuntimeComponentsBuilder,
            _: &ConfigBag,
        ) -> Result<(), BoxError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    /// A connection that is never made.
    #[derive(Debug)]
    struct Refused;

    impl HttpConnector for Refused {
        fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
            HttpConnectorFuture::ready(Err(ConnectorError::io("no network in this test".into())))
        }
    }

    /// The checks made when a DynamoDB, an SQS and an SES client are built on `http`.
    async fn checks_for_three_clients(http: SharedHttpClient) {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::for_tests())
            .http_client(http)
            .load()
            .await;
        let _ = aws_sdk_dynamodb::Client::new(&sdk);
        let _ = aws_sdk_sqs::Client::new(&sdk);
        let _ = aws_sdk_ses::Client::new(&sdk);
    }

    #[tokio::test]
    async fn the_http_client_is_checked_once_however_many_clients_are_built_on_it() {
        // GIVEN the SDK, which checks an HTTP client at each service client built on it (the
        // default client builds and throws away a TLS connector each time)
        let bare = Checked::default();
        checks_for_three_clients(SharedHttpClient::new(bare.clone())).await;
        assert_eq!(bare.0.load(Ordering::SeqCst), 3);
        // WHEN the functions' HTTP client is wrapped
        let wrapped = Checked::default();
        checks_for_three_clients(validated_once(SharedHttpClient::new(wrapped.clone()))).await;
        // THEN it is checked once, for the first client
        assert_eq!(wrapped.0.load(Ordering::SeqCst), 1);
    }

    /// An SDK configuration on `http`, without retries.
    async fn sdk_on(http: &Checked) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::for_tests())
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .http_client(SharedHttpClient::new(http.clone()))
            .load()
            .await
    }

    /// Building a function's adapters builds the SDK clients that every request needs
    /// (DynamoDB, SES, EventBridge), once each, and not those that some requests need only (SQS,
    /// S3): the first request that uses one builds it.
    #[tokio::test]
    async fn a_function_s_adapters_build_the_clients_every_request_needs_and_no_others() {
        // GIVEN a wiring on an HTTP client that counts the service clients built on it
        let http = Checked::default();
        let sdk = sdk_on(&http).await;
        let env = crate::Env::default()
            .with(crate::config::TABLE_NAME, "cpor")
            .with(crate::config::QUEUE_URL, "https://sqs.example/q")
            .with(crate::config::SENDER_EMAIL, "cpor@example.com")
            .with(crate::config::EVENT_BUS_NAME, "cpor")
            .with(crate::config::DOCUMENTS_BUCKET, "cpor");
        let wiring = crate::Wiring::new(&sdk, &env);
        // THEN the wiring alone builds no client (a function with no adapter, such as the
        // authorizer, builds none)
        assert_eq!(http.0.load(Ordering::SeqCst), 0);
        // WHEN the adapters on the table are built, THEN they built the one DynamoDB client
        wiring.store().expect("store");
        wiring.partner_budget().expect("budget");
        assert_eq!(http.0.load(Ordering::SeqCst), 1);
        // WHEN every other adapter is built
        wiring.queue().expect("queue");
        wiring.mailer().expect("mailer");
        wiring.event_bus().expect("bus");
        wiring.documents().expect("documents");
        // THEN the SES and EventBridge clients were built, and neither SQS's nor S3's
        assert_eq!(http.0.load(Ordering::SeqCst), 3);
    }

    /// A function's adapters on the table share one DynamoDB client: each client built costs
    /// time.
    #[tokio::test]
    async fn the_store_and_the_partner_budget_share_one_dynamodb_client() {
        use cpor_domain::ports::ClaimRepository;
        // GIVEN the store and the partner budget of a wiring on an HTTP client that counts the
        // service clients built on it (and refuses every request)
        let http = Checked::default();
        let sdk = sdk_on(&http).await;
        let env = crate::Env::default().with(crate::config::TABLE_NAME, "cpor");
        let wiring = crate::Wiring::new(&sdk, &env);
        let store = wiring.store().expect("store");
        let budget = wiring.partner_budget().expect("budget");
        // WHEN each makes a request
        let now = chrono::Utc::now();
        assert!(
            store
                .claim(cpor_domain::ids::ClaimId::new_at(now))
                .await
                .is_err()
        );
        let partner = cpor_domain::ids::PartnerId::parse("1234567").expect("a partner id");
        budget.admit(&partner, now).await;
        // THEN one DynamoDB client was built, for both
        assert_eq!(http.0.load(Ordering::SeqCst), 1);
    }

    /// With the compiled-in roots, building SDK clients builds no TLS connector: the first
    /// request builds the one it uses.
    #[tokio::test]
    async fn the_client_on_the_compiled_in_roots_is_not_checked_when_sdk_clients_are_built() {
        // GIVEN the HTTP client of the compiled-in roots, whose check would build a TLS
        // connector only to throw it away
        let wrapped = Checked::default();
        // WHEN a DynamoDB, an SQS and an SES client are built on it
        checks_for_three_clients(checked_by_first_request(SharedHttpClient::new(
            wrapped.clone(),
        )))
        .await;
        // THEN none checks it: its connector is built by the first request
        assert_eq!(wrapped.0.load(Ordering::SeqCst), 0);
    }

    /// The compiled-in roots make a working TLS set-up: left to the first request, it must not
    /// fail there.
    #[test]
    fn the_compiled_in_roots_make_a_tls_connector() {
        // GIVEN the functions' HTTPS client on the compiled-in roots
        let mut components = RuntimeComponentsBuilder::new("test");
        components.set_http_client(Some(https_client(false)));
        // WHEN the SDK's check builds its TLS connector, as the first request does
        // THEN every root goes into the trust store (the SDK panics on one it cannot parse)
        components
            .validate_base_client_config(&ConfigBag::base())
            .expect("the TLS connector is built");
    }

    #[test]
    fn the_compiled_in_trust_store_is_the_five_roots_of_amazon_trust_services() {
        let roots: Vec<CertificateDer<'_>> = CertificateDer::pem_slice_iter(AMAZON_ROOTS)
            .collect::<Result<_, _>>()
            .expect("every certificate is valid PEM");
        assert_eq!(roots.len(), 5);
        let text = String::from_utf8_lossy(AMAZON_ROOTS);
        for name in [
            "Amazon_Root_CA_1",
            "Amazon_Root_CA_2",
            "Amazon_Root_CA_3",
            "Amazon_Root_CA_4",
            "Starfield_Services_Root_Certificate_Authority_-_G2",
        ] {
            assert!(text.contains(&format!("# {name}\n")), "{name}");
        }
        // each is a root: issued by itself (DER names appear twice, as issuer and subject)
        for (root, cn) in roots.iter().zip([
            &b"Amazon Root CA 1"[..],
            b"Amazon Root CA 2",
            b"Amazon Root CA 3",
            b"Amazon Root CA 4",
            b"Starfield Services Root Certificate Authority - G2",
        ]) {
            let found = root.windows(cn.len()).filter(|w| *w == cn).count();
            assert_eq!(found, 2, "{}", String::from_utf8_lossy(cn));
        }
    }
}
