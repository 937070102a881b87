//! Adapters from the domain's ports to AWS: the DynamoDB table (claims, history, locks,
//! idempotency and notification records, reference data), the SQS notification queue and SES.
//!
//! The same code runs against AWS and against the local emulator: `AWS_ENDPOINT_URL` points the
//! SDK at the emulator, and nothing here knows the difference.

pub mod attr;
pub mod config;
pub mod dynamo;
pub mod logging;
pub mod mailer;
pub mod metrics;
pub mod queue;
pub mod schema;

pub use config::{ConfigError, Env};
pub use dynamo::DynamoStore;
pub use logging::in_invocation;
pub use mailer::SesMailer;
pub use metrics::Metrics;
pub use queue::SqsNotificationQueue;

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

/// The SDK configuration of a deployed function: as [`sdk_config`], with an HTTPS client that
/// trusts the roots of Amazon Trust Services alone, which issue the certificates of every AWS
/// endpoint a function calls (regional, FIPS and VPC endpoints alike).
///
/// The SDK loads its trust store when it builds a client, at start-up; the system's (some 145
/// certificates to read and parse) costs a cold start about 0.8 ms, five certificates compiled
/// in next to nothing (BENCHMARKS.md). `CPOR_TLS_SYSTEM_ROOTS=1` brings back the system's.
pub async fn lambda_sdk_config() -> aws_config::SdkConfig {
    if std::env::var(TLS_SYSTEM_ROOTS).is_ok_and(|v| v == "1") {
        return sdk_config().await;
    }
    use aws_smithy_http_client::tls;
    let trust = tls::TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AMAZON_ROOTS);
    let context = tls::TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .unwrap_or_else(|_| unreachable!("a trust store of PEM certificates is a valid context"));
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .tls_context(context)
        .build_https();
    loader().http_client(http).load().await
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
    use super::AMAZON_ROOTS;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

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
