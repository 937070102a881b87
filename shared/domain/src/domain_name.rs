//! A customer's domain name.

use crate::validation::{FieldCode, Invalid};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};
use std::fmt;

/// A DNS domain of a tenant, e.g. `contoso.onmicrosoft.com`, kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomerDomain(String);

impl CustomerDomain {
    /// Parses a domain: at least two labels of letters, digits and inner hyphens (IDNs in their
    /// `xn--` form), at most 253 characters, and a top-level label that is not all digits.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let domain = text.to_ascii_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |label: &&str| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        let valid = domain.len() <= 253
            && labels.len() >= 2
            && labels.iter().all(label_ok)
            && labels
                .last()
                .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()));
        if valid {
            Ok(Self(domain))
        } else {
            Err(Invalid::new(
                FieldCode::InvalidDomain,
                "must be a domain name such as contoso.onmicrosoft.com",
            ))
        }
    }

    /// The domain as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CustomerDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for CustomerDomain {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CustomerDomain {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(|e| D::Error::custom(e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_compared_in_lower_case() {
        assert_eq!(
            CustomerDomain::parse("Contoso.OnMicrosoft.com")
                .unwrap()
                .as_str(),
            "contoso.onmicrosoft.com"
        );
    }

    #[test]
    fn malformed_domains_are_refused() {
        for bad in [
            "contoso",
            "contoso..com",
            "-contoso.com",
            "contoso-.com",
            "contoso.com.",
            "con toso.com",
            "<b>x</b>.com",
            "10.0.0.1",
            "",
        ] {
            assert_eq!(
                CustomerDomain::parse(bad).unwrap_err().code,
                FieldCode::InvalidDomain,
                "{bad}"
            );
        }
    }
}
