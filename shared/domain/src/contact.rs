//! The people on each side of a claim, and how to reach them.

use crate::validation::{FieldCode, Invalid, ObjectReader, ValidationErrors, check_text};
use crate::zone::Zone;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};
use std::fmt;

/// Longest name or title accepted.
pub const MAX_NAME_CHARS: usize = 200;

/// An e-mail address SES can deliver to: one mailbox, no display name, a 7-bit ASCII local
/// part, and a domain with a top-level label. An internationalized domain is accepted and kept
/// as given; it is sent in its A-label (Punycode) form ([`EmailAddress::for_delivery`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an address (at most 254 characters, as SMTP allows).
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let invalid = || {
            Invalid::new(
                FieldCode::InvalidEmail,
                "must be an e-mail address such as giulia@contoso.com, whose part before the @ \
                 is plain ASCII",
            )
        };
        let options = email_address::Options::default()
            .without_domain_literal()
            .with_required_tld();
        let options = email_address::Options {
            allow_display_text: false,
            ..options
        };
        let address = email_address::EmailAddress::parse_with_options(text, options)
            .map_err(|_| invalid())?;
        // SES takes only 7-bit local parts (SMTPUTF8 is not supported) and A-label domains.
        let ascii_local = address.local_part().is_ascii();
        let deliverable = delivery_domain(address.domain()).is_some_and(|d| d.len() <= 253);
        if text.len() <= 254 && !text.chars().any(char::is_control) && ascii_local && deliverable {
            Ok(Self(address.email().to_owned()))
        } else {
            Err(invalid())
        }
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address as SES takes it: the domain in its A-label (Punycode) form.
    pub fn for_delivery(&self) -> String {
        match self.0.rsplit_once('@') {
            Some((local, domain)) => match delivery_domain(domain) {
                Some(ascii) => format!("{local}@{ascii}"),
                None => self.0.clone(),
            },
            None => self.0.clone(),
        }
    }

    /// The domain as SES delivers to it: its A-label form, in lower case (`xn--bcher-kva.example`
    /// for `Bücher.example`), what a tenant's verified domains are compared with.
    pub fn delivery_domain(&self) -> String {
        let domain = self.0.rsplit_once('@').map_or("", |(_, domain)| domain);
        delivery_domain(domain).unwrap_or_else(|| domain.to_ascii_lowercase())
    }

    /// The address with the local part hidden, for logs: `g***@contoso.com`.
    pub fn masked(&self) -> String {
        match self.0.split_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}***@{domain}")
            }
            None => "***".to_owned(),
        }
    }
}

/// A domain's A-label form (UTS 46), if it has one.
fn delivery_domain(domain: &str) -> Option<String> {
    idna::domain_to_ascii(domain)
        .ok()
        .filter(|ascii| !ascii.is_empty())
}

/// Hides every e-mail address in `text` (a dependency's error message may quote one), for logs.
pub fn mask_addresses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, token) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let core = token.trim_matches(|c: char| {
            !(c.is_alphanumeric() || c == '@' || c == '.' || c == '-' || c == '_' || c == '+')
        });
        match core.split_once('@') {
            Some((local, domain)) if !local.is_empty() && domain.contains('.') => {
                let first: String = local.chars().take(1).collect();
                out.push_str(&token.replacen(core, &format!("{first}***@{domain}"), 1));
            }
            Some(_) | None => out.push_str(token),
        }
    }
    out
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A BCP 47 language tag, e.g. `it` or `pt-BR`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Locale(String);

impl Default for Locale {
    fn default() -> Self {
        Self("en".to_owned())
    }
}

impl Locale {
    /// Parses a well-formed BCP 47 tag, kept in its canonical form.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        language_tags::LanguageTag::parse(text)
            .ok()
            .and_then(|tag| tag.canonicalize().ok())
            .filter(|tag| tag.primary_language().len() <= 3 && text.len() <= 35)
            .map(|tag| Self(tag.to_string()))
            .ok_or_else(|| {
                Invalid::new(
                    FieldCode::InvalidLocale,
                    "must be a BCP 47 language tag such as it or pt-BR",
                )
            })
    }

    /// The tag as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag in lower case, e.g. `pt` for `pt-BR`.
    pub fn language(&self) -> String {
        self.0
            .split('-')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    }
}

/// An IANA time zone, e.g. `Europe/Rome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CustomerTimeZone(Zone);

impl Default for CustomerTimeZone {
    fn default() -> Self {
        Self(Zone::UTC)
    }
}

impl CustomerTimeZone {
    /// Parses an IANA zone name.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        Zone::named(text).map(Self).ok_or_else(|| {
            Invalid::new(
                FieldCode::InvalidTimeZone,
                "must be an IANA time zone such as Europe/Rome",
            )
        })
    }

    pub fn tz(self) -> Zone {
        self.0
    }

    /// The zone's IANA name.
    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

macro_rules! serde_as_text {
    ($name:ident, $to_text:expr) => {
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let to_text: fn(&$name) -> &str = $to_text;
                s.serialize_str(to_text(self))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::parse(&text).map_err(|e| D::Error::custom(e.message))
            }
        }
    };
}

serde_as_text!(EmailAddress, |e| e.as_str());
serde_as_text!(Locale, |l| l.as_str());
serde_as_text!(CustomerTimeZone, |z| z.name());

/// The customer's contact, to whom the notification goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerContact {
    /// Full name.
    pub name: String,
    /// Where the notification goes.
    pub email: EmailAddress,
    /// Job title, if given.
    pub title: Option<String>,
    /// The language of the e-mail and the page.
    pub locale: Locale,
    /// The zone the deadline is computed and shown in.
    pub time_zone: CustomerTimeZone,
}

impl CustomerContact {
    /// Reads the customer contact object, recording every refused field.
    pub fn read(reader: &ObjectReader<'_>, errors: &mut ValidationErrors) -> Option<Self> {
        reader.reject_unknown(&["name", "email", "title", "locale", "time_zone"], errors);
        let name = reader.required("name", errors, name_text);
        let email = reader.required("email", errors, EmailAddress::parse);
        let title = reader.optional("title", errors, name_text);
        let locale = reader.optional("locale", errors, Locale::parse);
        let time_zone = reader.optional("time_zone", errors, CustomerTimeZone::parse);
        Some(Self {
            name: name?,
            email: email?,
            title: title?,
            locale: locale?.unwrap_or_default(),
            time_zone: time_zone?.unwrap_or_default(),
        })
    }
}

/// The partner's contact for this claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerContact {
    /// Full name.
    pub name: String,
    /// E-mail address.
    pub email: EmailAddress,
    /// The language of the partner's e-mails (claims stored before it existed read as English).
    #[serde(default)]
    pub locale: Locale,
}

impl PartnerContact {
    /// Reads the partner contact object, recording every refused field.
    pub fn read(reader: &ObjectReader<'_>, errors: &mut ValidationErrors) -> Option<Self> {
        reader.reject_unknown(&["name", "email", "locale"], errors);
        let name = reader.required("name", errors, name_text);
        let email = reader.required("email", errors, EmailAddress::parse);
        let locale = reader.optional("locale", errors, Locale::parse);
        Some(Self {
            name: name?,
            email: email?,
            locale: locale?.unwrap_or_default(),
        })
    }
}

/// A person's name or title. It is shown in e-mails sent from the vendor's domain, so it may
/// carry no link and no e-mail address (a name like `Win a prize at evil.example` would make
/// the vendor's mail carry an attacker's link).
fn name_text(text: &str) -> Result<String, Invalid> {
    let name = check_text(text, MAX_NAME_CHARS)?;
    if carries_a_link_or_address(name) {
        return Err(Invalid::new(
            FieldCode::InvalidValue,
            "must be a name, without links, domain names or e-mail addresses",
        ));
    }
    Ok(name.to_owned())
}

/// The regular expression of what [`carries_a_link_or_address`] finds (ECMA-262, as
/// `openapi.yaml` states it), so the description and the service refuse the same names.
pub const LINK_OR_ADDRESS: &str =
    r"\S://|(^|\s)[wW][wW][wW]\.|\S@\S+\.\S|[A-Za-z0-9-]\.[a-z]{2,}(/|\s|$)";

/// True for text that mail clients would turn into a link: a scheme (`x://`), a word starting
/// with `www.`, an address (`a@b.c`), or a domain name (a letter, digit or hyphen, a dot, and
/// two or more lower-case letters ending the word or followed by `/`; `St.John` and `J.R.R.`
/// are names). Exactly [`LINK_OR_ADDRESS`].
fn carries_a_link_or_address(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let solid = |i: usize| chars.get(i).is_some_and(|c| !c.is_whitespace());
    (0..chars.len()).any(|i| {
        let scheme = i > 0 && solid(i - 1) && chars[i..].starts_with(&[':', '/', '/']);
        let www = (i == 0 || !solid(i - 1))
            && chars.len() >= i + 4
            && chars[i..i + 3].iter().all(|c| c.eq_ignore_ascii_case(&'w'))
            && chars[i + 3] == '.';
        let address = chars[i] == '@' && i > 0 && solid(i - 1) && {
            let word: Vec<char> = chars[i + 1..]
                .iter()
                .take_while(|c| !c.is_whitespace())
                .copied()
                .collect();
            (1..word.len()).any(|j| word[j] == '.' && j + 1 < word.len())
        };
        let domain = (chars[i].is_ascii_alphanumeric() || chars[i] == '-')
            && chars.get(i + 1) == Some(&'.')
            && {
                let run = chars[i + 2..]
                    .iter()
                    .take_while(|c| c.is_ascii_lowercase())
                    .count();
                let after = chars.get(i + 2 + run);
                run >= 2 && after.is_none_or(|c| *c == '/' || c.is_whitespace())
            };
        scheme || www || address || domain
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses_need_a_mailbox_and_a_real_domain() {
        assert!(EmailAddress::parse("giulia@contoso.com").is_ok());
        for bad in [
            "giulia",
            "giulia@",
            "giulia@contoso",
            "Giulia <giulia@contoso.com>",
            "giulia@[10.0.0.1]",
            "giulia@contoso.com\r\nBcc: x@y.z",
        ] {
            assert_eq!(
                EmailAddress::parse(bad).unwrap_err().code,
                FieldCode::InvalidEmail,
                "{bad}"
            );
        }
    }

    #[test]
    fn an_address_ses_cannot_deliver_is_refused() {
        // SES takes 7-bit local parts only
        for bad in ["giulía@contoso.com", "山田@contoso.jp", "ünal@contoso.com"] {
            assert_eq!(
                EmailAddress::parse(bad).unwrap_err().code,
                FieldCode::InvalidEmail,
                "{bad}"
            );
        }
    }

    #[test]
    fn an_internationalized_domain_is_accepted_and_sent_in_its_a_label_form() {
        let email = EmailAddress::parse("giulia@bücher.example").unwrap();
        assert_eq!(email.as_str(), "giulia@bücher.example");
        assert_eq!(email.for_delivery(), "giulia@xn--bcher-kva.example");
        let plain = EmailAddress::parse("giulia@contoso.com").unwrap();
        assert_eq!(plain.for_delivery(), "giulia@contoso.com");
    }

    #[test]
    fn addresses_in_a_dependencys_error_text_are_masked() {
        assert_eq!(
            mask_addresses("SendEmail: Address blacklisted: <giulia@contoso.com>."),
            "SendEmail: Address blacklisted: <g***@contoso.com>."
        );
        assert_eq!(mask_addresses("no address here"), "no address here");
    }

    #[test]
    fn names_carrying_links_or_addresses_are_refused() {
        for good in [
            "Giulia Rossi",
            "J. R. R. Tolkien",
            "St.John Smith",
            "Anne-Marie O'Neil",
            "山田 太郎",
        ] {
            assert!(name_text(good).is_ok(), "{good}");
        }
        for bad in [
            "Giulia https://evil.example",
            "Win a prize at evil.example",
            "www.evil.example",
            "Write to giulia@contoso.com",
            "Claim at evil.co.uk/prize",
        ] {
            assert_eq!(
                name_text(bad).unwrap_err().code,
                FieldCode::InvalidValue,
                "{bad}"
            );
        }
    }

    #[test]
    fn the_delivery_domain_is_the_a_label_form_in_lower_case() {
        let email = EmailAddress::parse("Giulia@EU.Contoso.com").unwrap();
        assert_eq!(email.delivery_domain(), "eu.contoso.com");
        let idn = EmailAddress::parse("giulia@Bücher.example").unwrap();
        assert_eq!(idn.delivery_domain(), "xn--bcher-kva.example");
    }

    #[test]
    fn masked_addresses_keep_only_the_first_letter_and_the_domain() {
        let email = EmailAddress::parse("giulia@contoso.com").unwrap();
        assert_eq!(email.masked(), "g***@contoso.com");
    }

    #[test]
    fn locales_are_bcp47_tags() {
        assert_eq!(Locale::parse("pt-BR").unwrap().language(), "pt");
        assert_eq!(Locale::parse("it").unwrap().as_str(), "it");
        for bad in ["", "italian-language-x", "e", "en_US", "<script>"] {
            assert_eq!(
                Locale::parse(bad).unwrap_err().code,
                FieldCode::InvalidLocale,
                "{bad}"
            );
        }
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(
            CustomerTimeZone::parse("Europe/Rome").unwrap().name(),
            "Europe/Rome"
        );
        assert_eq!(
            CustomerTimeZone::parse("CEST").unwrap_err().code,
            FieldCode::InvalidTimeZone
        );
    }
}
