//! The posting of one delivery: HTTPS only (plain HTTP to loopback in the local stack), the
//! host resolved afresh at each delivery and refused when any of its addresses is not public,
//! the connection made only to the addresses checked (the connector is handed them: no second
//! lookup that a DNS answer could change in between), no redirect followed (hyper's client
//! follows none), at most 64 KiB of the answer read, and the whole exchange bounded by one
//! timeout.

use bytes::Bytes;
use cpor_domain::webhook::address::is_public;
use cpor_domain::webhook::delivery::Exchange;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// The most of an answer's body read.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// How an endpoint may be reached.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    /// Loopback addresses, and plain `http`, allowed (the local stack; never in AWS).
    pub allow_loopback: bool,
    /// Fixed answers of the resolver for some hosts (the local stack's tests: a host that
    /// "resolves" to a private address, without a DNS server).
    pub fixed: HashMap<String, Vec<IpAddr>>,
}

impl Reach {
    fn allows(&self, ip: IpAddr) -> bool {
        is_public(ip) || (self.allow_loopback && ip.is_loopback())
    }
}

/// A delivery refused because an address of its host is not one it may reach.
#[derive(Debug, thiserror::Error)]
#[error("the endpoint's host resolves to an address that is not public")]
pub struct NotPublic;

/// The resolver of the delivery client: resolves each connection's host, and answers only
/// when every address it found may be reached.
#[derive(Clone)]
struct CheckedResolver {
    reach: Arc<Reach>,
}

type Resolved = std::vec::IntoIter<SocketAddr>;

impl tower_service::Service<Name> for CheckedResolver {
    type Response = Resolved;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Resolved, std::io::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), std::io::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let reach = self.reach.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<IpAddr> = match reach.fixed.get(&host) {
                Some(fixed) => fixed.clone(),
                None => tokio::net::lookup_host((host.as_str(), 0))
                    .await?
                    .map(|a| a.ip())
                    .collect(),
            };
            if addresses.is_empty() {
                return Err(std::io::Error::other(format!("{host} has no address")));
            }
            if !addresses.iter().all(|ip| reach.allows(*ip)) {
                return Err(std::io::Error::other(NotPublic));
            }
            // The connector sets the URL's port on each.
            Ok(addresses
                .into_iter()
                .map(|ip| SocketAddr::new(ip, 0))
                .collect::<Vec<_>>()
                .into_iter())
        })
    }
}

type DeliveryClient =
    Client<hyper_rustls::HttpsConnector<HttpConnector<CheckedResolver>>, Full<Bytes>>;

/// Posts deliveries.
pub struct Poster {
    client: DeliveryClient,
    reach: Arc<Reach>,
    timeout: Duration,
}

/// A delivery's request: where, what, and its headers beyond the content type.
#[derive(Debug)]
pub struct Delivery<'a> {
    pub url: &'a str,
    pub body: Bytes,
    pub headers: [(&'static str, String); 3],
}

/// The client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("the delivery client could not be built: {0}")]
pub struct ClientError(String);

impl Poster {
    /// A poster that reaches what `reach` allows, each exchange bounded by `timeout`. It trusts
    /// the system's certificates: endpoints are anyone's.
    pub fn new(reach: Reach, timeout: Duration) -> Result<Self, ClientError> {
        let reach = Arc::new(reach);
        let mut http = HttpConnector::new_with_resolver(CheckedResolver {
            reach: reach.clone(),
        });
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout));
        let builder = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|e| ClientError(format!("the system's certificates: {e}")))?;
        let connector = if reach.allow_loopback {
            builder.https_or_http().enable_http1().wrap_connector(http)
        } else {
            builder.https_only().enable_http1().wrap_connector(http)
        };
        // No idle connection is kept: each delivery resolves its host again.
        let client = Client::builder(hyper_util::rt::TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(connector);
        Ok(Self {
            client,
            reach,
            timeout,
        })
    }

    /// Posts `delivery`; how the exchange ended.
    pub async fn post(&self, delivery: Delivery<'_>) -> Exchange {
        let Some(uri) = self.usable(delivery.url) else {
            return Exchange::Refused;
        };
        let mut request = http::Request::post(uri).header("content-type", "application/json");
        for (name, value) in &delivery.headers {
            request = request.header(*name, value.as_str());
        }
        request = request.header("user-agent", "cpor-webhooks/1");
        let Ok(request) = request.body(Full::new(delivery.body)) else {
            return Exchange::Refused;
        };
        let exchange = async {
            let response = self.client.request(request).await?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            // What the endpoint says beyond its status is not used: read at most this much.
            let _ = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                .collect()
                .await;
            Ok::<_, hyper_util::client::legacy::Error>(Exchange::Answered {
                status,
                retry_after,
            })
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Err(_) => Exchange::TimedOut,
            Ok(Ok(answered)) => answered,
            Ok(Err(error)) if refused(&error) => Exchange::Refused,
            Ok(Err(error)) => {
                tracing::info!(error = %chain(&error), "the endpoint could not be reached");
                Exchange::ConnectionFailed
            }
        }
    }

    /// The URL as a request's URI, when a delivery may use it: `https` (or `http` where
    /// loopback is allowed), no credentials, and an address literal only when allowed.
    fn usable(&self, url: &str) -> Option<http::Uri> {
        let uri: http::Uri = url.parse().ok()?;
        let scheme_ok = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => self.reach.allow_loopback,
            Some(_) | None => false,
        };
        let authority = uri.authority()?;
        if !scheme_ok || authority.as_str().contains('@') {
            return None;
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        match host.parse::<IpAddr>() {
            // The connector connects to a literal without asking the resolver: checked here.
            Ok(ip) if !self.reach.allows(ip) => None,
            Ok(_) | Err(_) => Some(uri),
        }
    }
}

/// Whether the resolver refused the host.
fn refused(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if error.is::<NotPublic>()
            || error
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .is_some_and(|inner| inner.is::<NotPublic>())
        {
            return true;
        }
        next = error.source();
    }
    false
}

/// An error and its causes, for a log line.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poster(allow_loopback: bool, fixed: &[(&str, &str)]) -> Poster {
        let fixed = fixed
            .iter()
            .map(|(host, ip)| ((*host).to_owned(), vec![ip.parse().unwrap()]))
            .collect();
        Poster::new(
            Reach {
                allow_loopback,
                fixed,
            },
            Duration::from_secs(2),
        )
        .unwrap()
    }

    fn delivery(url: &str) -> Delivery<'_> {
        Delivery {
            url,
            body: Bytes::from_static(b"{}"),
            headers: [
                ("webhook-id", "e".into()),
                ("webhook-timestamp", "1".into()),
                ("webhook-signature", "v1,x".into()),
            ],
        }
    }

    /// A receiver on loopback answering `status` (a redirect to `/elsewhere` for 3xx), and the
    /// number of requests it saw.
    async fn receiver(status: u16) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use axum::response::IntoResponse;
        let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = seen.clone();
        let app = axum::Router::new().fallback(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let status = http::StatusCode::from_u16(status).unwrap();
                (status, [("location", "/elsewhere")], "x".repeat(200_000)).into_response()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://{addr}/hook"), seen)
    }

    #[tokio::test]
    async fn a_host_with_an_address_that_is_not_public_is_refused_before_any_connection() {
        // GIVEN a host that resolves to a private address, and another to the metadata service
        let poster = poster(
            false,
            &[
                ("private.example", "10.0.0.7"),
                ("meta.example", "169.254.169.254"),
            ],
        );
        // WHEN a delivery is posted to each THEN it is refused
        for url in ["https://private.example/hook", "https://meta.example/"] {
            assert_eq!(poster.post(delivery(url)).await, Exchange::Refused, "{url}");
        }
    }

    #[tokio::test]
    async fn only_https_without_credentials_or_refused_literals_is_posted_to() {
        let poster = poster(false, &[]);
        for url in [
            "http://public.example/hook",
            "ftp://public.example/",
            "https://user:pw@public.example/",
            "https://127.0.0.1/",
            "https://[::1]/",
            "https://[::ffff:10.0.0.1]/",
            "not a url",
        ] {
            assert_eq!(poster.post(delivery(url)).await, Exchange::Refused, "{url}");
        }
    }

    #[tokio::test]
    async fn loopback_is_refused_unless_allowed() {
        // GIVEN a receiver on loopback
        let (url, seen) = receiver(204).await;
        // WHEN posted to without and with the local stack's allowance
        let refused = poster(false, &[]).post(delivery(&url)).await;
        let allowed = poster(true, &[]).post(delivery(&url)).await;
        // THEN only the allowed post reached it
        assert_eq!(refused, Exchange::Refused);
        assert_eq!(
            allowed,
            Exchange::Answered {
                status: 204,
                retry_after: None
            }
        );
        assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_redirect_is_an_answer_and_is_not_followed() {
        // GIVEN a receiver that redirects
        let (url, seen) = receiver(302).await;
        // WHEN posted to
        let exchange = poster(true, &[]).post(delivery(&url)).await;
        // THEN the 302 is the answer, and no second request was made
        assert_eq!(exchange.status(), Some(302));
        assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn nothing_listening_is_a_connection_failure() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);
        assert_eq!(
            poster(true, &[]).post(delivery(&url)).await,
            Exchange::ConnectionFailed
        );
    }
}
