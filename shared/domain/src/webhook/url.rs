//! The rules a webhook URL is registered by: the service posts partners' events to it from
//! inside the vendor's network, so it must name a public HTTPS host by its name, and nothing a
//! request forger could point at the vendor's own machines.
//!
//! The URL is read as an HTTP client and a resolver would read it (WHATWG's URL standard, the
//! `url` crate): `https://2130706433/`, `https://0x7f.1/` and `https://017700000001/` are all
//! `127.0.0.1` to them, so they are IP literals here too. What a name resolves to is checked
//! at registration in AWS ([`refused_addresses`]) and again at each delivery, since DNS can
//! change between the two.

use crate::validation::{FieldCode, Invalid};
use std::fmt;
use std::net::IpAddr;

/// The longest URL accepted, in bytes (as it is written back, normalized).
pub const MAX_URL_LENGTH: usize = 2048;

/// Suffixes of names that never mean a public host (RFC 6761, RFC 6762, RFC 8375, and the
/// conventions of private DNS zones): refused by name, whatever they resolve to.
const PRIVATE_SUFFIXES: [&str; 6] = [
    "localhost",
    "local",
    "internal",
    "localdomain",
    "home.arpa",
    "lan",
];

/// Which URLs an environment allows besides the public HTTPS ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowance {
    /// AWS: public HTTPS hosts by name only.
    PublicOnly,
    /// The local stack (`CPOR_WEBHOOKS_ALLOW_LOOPBACK`): loopback endpoints too (`localhost`,
    /// `127.0.0.0/8`, `::1`), over `http` or `https`, so that a receiver on the developer's own
    /// machine can be registered. Never set in AWS.
    Loopback,
}

/// A URL that passed the registration rules, normalized as the client will call it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    text: String,
    /// The host's name (lower case, no trailing dot); `None` for a loopback address that
    /// [`Allowance::Loopback`] let through.
    host: Option<String>,
    port: u16,
}

impl WebhookUrl {
    /// Parses `text` under `allowance`; the refusal says what is wrong for the partner.
    pub fn parse(text: &str, allowance: Allowance) -> Result<Self, Invalid> {
        let refuse = |why: &str| Invalid::new(FieldCode::InvalidWebhookUrl, why);
        let text = text.trim();
        if text.len() > MAX_URL_LENGTH {
            return Err(Invalid::new(
                FieldCode::TooLong,
                format!("must be at most {MAX_URL_LENGTH} characters"),
            ));
        }
        let url = url::Url::parse(text).map_err(|_| refuse("must be an absolute https URL"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("must not carry credentials (user:password@)"));
        }
        let loopback = allowance == Allowance::Loopback && is_loopback_host(&url);
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => return Err(refuse("must be an https URL")),
        }
        let port = url
            .port_or_known_default()
            .ok_or_else(|| refuse("must be an https URL"))?;
        let host = match url.host() {
            None => return Err(refuse("must name a host")),
            Some(_) if loopback => None,
            Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => {
                return Err(refuse(
                    "must name its host by a DNS name, not an IP address",
                ));
            }
            Some(url::Host::Domain(name)) => Some(public_name(name).map_err(refuse)?),
        };
        let text = url.to_string();
        if text.len() > MAX_URL_LENGTH {
            return Err(Invalid::new(
                FieldCode::TooLong,
                format!("must be at most {MAX_URL_LENGTH} characters"),
            ));
        }
        Ok(Self { text, host, port })
    }

    /// A URL as it was stored at registration (already checked then).
    pub fn stored(text: impl Into<String>) -> Self {
        let text = text.into();
        let parsed = url::Url::parse(&text).ok();
        let host = parsed.as_ref().and_then(|u| match u.host() {
            Some(url::Host::Domain(name)) => Some(name.trim_end_matches('.').to_owned()),
            Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) | None => None,
        });
        let port = parsed
            .as_ref()
            .and_then(url::Url::port_or_known_default)
            .unwrap_or(443);
        Self { text, host, port }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The name to resolve before calling it, and the port; `None` for a loopback address
    /// allowed locally (nothing to resolve).
    pub fn host(&self) -> Option<(&str, u16)> {
        self.host.as_deref().map(|h| (h, self.port))
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WebhookUrl").field(&self.text).finish()
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Whether a URL's host is the machine itself: `localhost` (or a name under it), or a loopback
/// address in any of its forms.
fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.');
            name == "localhost" || name.ends_with(".localhost")
        }
        None => false,
    }
}

/// The host's name when it may be public: at least two labels, none of the private suffixes,
/// and nothing a resolver would take for an address.
fn public_name(name: &str) -> Result<String, &'static str> {
    let name = name.trim_end_matches('.');
    if name.is_empty() {
        return Err("must name a host");
    }
    if name.parse::<IpAddr>().is_ok() || looks_numeric(name) {
        return Err("must name its host by a DNS name, not an IP address");
    }
    if !name.contains('.') {
        return Err("must name a public host (a single-label name is a local one)");
    }
    if PRIVATE_SUFFIXES
        .iter()
        .any(|suffix| name == *suffix || name.ends_with(&format!(".{suffix}")))
    {
        return Err("must name a public host, not a local or internal one");
    }
    Ok(name.to_owned())
}

/// Whether a name's last label is a number (decimal, octal or hex), which resolvers read as
/// an address (`inet_aton`); the URL parser does the same, so this is a second line.
fn looks_numeric(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or_default();
    let hex = last
        .strip_prefix("0x")
        .or_else(|| last.strip_prefix("0X"))
        .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
    hex || (!last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()))
}

/// Why a resolved host is refused: the first of its addresses that is not public, or none
/// found. `is_public` is the delivery's test of one address (`webhook::address::is_public`).
pub fn refused_addresses(
    addresses: &[IpAddr],
    is_public: impl Fn(IpAddr) -> bool,
) -> Option<Invalid> {
    if addresses.is_empty() {
        return Some(Invalid::new(
            FieldCode::InvalidWebhookUrl,
            "must name a host that resolves",
        ));
    }
    addresses.iter().find(|ip| !is_public(**ip)).map(|_| {
        // The address itself is not told: the partner learns nothing of the vendor's network.
        Invalid::new(
            FieldCode::InvalidWebhookUrl,
            "must name a public host: it resolves to a private, loopback, link-local or reserved address",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> Option<FieldCode> {
        WebhookUrl::parse(text, Allowance::PublicOnly)
            .err()
            .map(|e| e.code)
    }

    #[test]
    fn a_public_https_url_is_registered_as_the_client_will_call_it() {
        // GIVEN public HTTPS URLs, written loosely
        // WHEN they are parsed
        let url = WebhookUrl::parse(
            " https://Hooks.Example.COM./cpor?x=1 ",
            Allowance::PublicOnly,
        )
        .unwrap();
        // THEN they are kept normalized, with the host to resolve and its port
        assert_eq!(url.as_str(), "https://hooks.example.com./cpor?x=1");
        assert_eq!(url.host(), Some(("hooks.example.com", 443)));
        let url = WebhookUrl::parse("https://example.org:8443", Allowance::PublicOnly).unwrap();
        assert_eq!(url.as_str(), "https://example.org:8443/");
        assert_eq!(url.host(), Some(("example.org", 8443)));
        // AND internationalized names are kept in their A-label form
        let url = WebhookUrl::parse("https://bücher.example/h", Allowance::PublicOnly).unwrap();
        assert_eq!(url.host(), Some(("xn--bcher-kva.example", 443)));
    }

    #[test]
    fn only_https_is_accepted() {
        for text in [
            "http://hooks.example.com/",
            "ftp://hooks.example.com/",
            "wss://hooks.example.com/",
            "file:///etc/passwd",
            "hooks.example.com/cpor",
            "//hooks.example.com/cpor",
            "",
        ] {
            assert_eq!(refused(text), Some(FieldCode::InvalidWebhookUrl), "{text}");
        }
    }

    #[test]
    fn a_url_with_credentials_is_refused() {
        for text in [
            "https://user:pass@hooks.example.com/",
            "https://user@hooks.example.com/",
            "https://:pass@hooks.example.com/",
        ] {
            assert_eq!(refused(text), Some(FieldCode::InvalidWebhookUrl), "{text}");
        }
    }

    #[test]
    fn an_ip_literal_in_any_form_a_resolver_accepts_is_refused() {
        for text in [
            "https://127.0.0.1/",
            "https://93.184.215.14/",
            "https://[::1]/",
            "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[fd00:ec2::254]/",
            "https://169.254.169.254/latest/meta-data/",
            // decimal, hex, octal and shortened IPv4 forms
            "https://2130706433/",
            "https://0x7f.1/",
            "https://0x7f000001/",
            "https://017700000001/",
            "https://0177.0.0.1/",
            "https://127.1/",
            "https://127.0.0.1./",
            "https://%31%32%37.0.0.1/",
        ] {
            assert_eq!(refused(text), Some(FieldCode::InvalidWebhookUrl), "{text}");
        }
    }

    #[test]
    fn local_and_internal_names_are_refused_by_name() {
        for text in [
            "https://localhost/",
            "https://localhost./",
            "https://LOCALHOST:8443/",
            "https://api.localhost/",
            "https://printer.local/",
            "https://db.internal/",
            "https://ip-10-0-0-1.ec2.internal/",
            "https://router.home.arpa/",
            "https://intranet/",
            "https://intranet./",
            "https://nas.lan/",
        ] {
            assert_eq!(refused(text), Some(FieldCode::InvalidWebhookUrl), "{text}");
        }
    }

    #[test]
    fn a_url_longer_than_the_limit_is_refused() {
        let long = format!("https://hooks.example.com/{}", "a".repeat(MAX_URL_LENGTH));
        assert_eq!(refused(&long), Some(FieldCode::TooLong));
        let fits = format!("https://hooks.example.com/{}", "a".repeat(1000));
        assert_eq!(refused(&fits), None);
    }

    #[test]
    fn the_local_stack_allows_loopback_over_http_and_nothing_else_more() {
        let local = |text| WebhookUrl::parse(text, Allowance::Loopback).map_err(|e| e.code);
        // GIVEN the local stack's allowance
        // THEN loopback receivers are registered, over http or https, with nothing to resolve
        for text in [
            "http://127.0.0.1:8080/hook",
            "http://localhost:8080/hook",
            "https://[::1]:8443/hook",
            "http://0x7f.1:9000/",
        ] {
            let url = local(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(url.host(), None, "{text}");
        }
        // AND other hosts follow the public rules
        for text in [
            "http://hooks.example.com/",
            "http://10.0.0.1/",
            "https://10.0.0.1/",
            "https://user:pw@127.0.0.1/",
            "https://printer.local/",
        ] {
            assert_eq!(
                local(text).err(),
                Some(FieldCode::InvalidWebhookUrl),
                "{text}"
            );
        }
    }

    #[test]
    fn a_host_is_refused_when_any_address_it_resolves_to_is_not_public() {
        let public = |ip: IpAddr| !ip.is_loopback() && ip != IpAddr::from([10, 0, 0, 1]);
        let a: IpAddr = "93.184.215.14".parse().unwrap();
        let b: IpAddr = "10.0.0.1".parse().unwrap();
        // GIVEN what hosts resolve to
        // THEN all public passes; one private among public ones, or none at all, is refused
        assert_eq!(refused_addresses(&[a], public), None);
        assert!(refused_addresses(&[a, b], public).is_some());
        assert!(refused_addresses(&["::1".parse().unwrap()], public).is_some());
        assert!(refused_addresses(&[], public).is_some());
        // AND the refusal names no address
        let refusal = refused_addresses(&[b], public).unwrap();
        assert!(!refusal.message.contains("10.0.0.1"));
    }
}
