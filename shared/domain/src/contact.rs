//! The people on each side of a claim, and how to reach them.

use crate::validation::{FieldCode, Invalid, ObjectReader, ValidationErrors, check_text};
use crate::zone::Zone;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};
use std::fmt;

/// Longest name or title accepted.
pub const MAX_NAME_CHARS: usize = 200;

/// An e-mail address: one mailbox, no display name, a domain with a top-level label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an address (at most 254 characters, as SMTP allows).
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let options = email_address::Options::default()
            .without_domain_literal()
            .with_required_tld();
        let options = email_address::Options {
            allow_display_text: false,
            ..options
        };
        match email_address::EmailAddress::parse_with_options(text, options) {
            Ok(address) if text.len() <= 254 && !text.chars().any(char::is_control) => {
                Ok(Self(address.email().to_owned()))
            }
            _ => Err(Invalid::new(
                FieldCode::InvalidEmail,
                "must be an e-mail address such as giulia@contoso.com",
            )),
        }
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
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
}

impl PartnerContact {
    /// Reads the partner contact object, recording every refused field.
    pub fn read(reader: &ObjectReader<'_>, errors: &mut ValidationErrors) -> Option<Self> {
        reader.reject_unknown(&["name", "email"], errors);
        let name = reader.required("name", errors, name_text);
        let email = reader.required("email", errors, EmailAddress::parse);
        Some(Self {
            name: name?,
            email: email?,
        })
    }
}

fn name_text(text: &str) -> Result<String, Invalid> {
    check_text(text, MAX_NAME_CHARS).map(str::to_owned)
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
