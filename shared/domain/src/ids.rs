//! Identifiers, each of which can only be built by parsing.

use crate::validation::{FieldCode, Invalid};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};
use std::fmt;
use uuid::Uuid;

/// An id made at a moment: a ULID (26 characters), so that ids sort by when they were made.
macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(::ulid::Ulid);

        impl $name {
            /// A new id for what is made at `at`.
            pub fn new_at(at: ::chrono::DateTime<::chrono::Utc>) -> Self {
                Self(::ulid::Ulid::from_datetime(at.into()))
            }

            /// Parses the 26-character text form.
            pub fn parse(text: &str) -> Option<Self> {
                if text.len() != 26 {
                    return None;
                }
                ::ulid::Ulid::from_string(text).ok().map(Self)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::validation::Invalid;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text).ok_or_else(|| {
                    $crate::validation::Invalid::new(
                        $crate::validation::FieldCode::InvalidValue,
                        concat!("is not a ", $what),
                    )
                })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::parse(&text).ok_or_else(|| {
                    <D::Error as ::serde::de::Error>::custom(format!(concat!("not a ", $what, ": {}"), text))
                })
            }
        }
    };
}
pub(crate) use ulid_id;

ulid_id!(
    /// A claim's id.
    ClaimId,
    "claim id"
);

/// A partner's id: 6 to 10 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartnerId(String);

impl PartnerId {
    /// Parses a partner id.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        if (6..=10).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(text.to_owned()))
        } else {
            Err(Invalid::new(
                FieldCode::InvalidValue,
                "must be 6 to 10 digits",
            ))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PartnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn parse_guid(text: &str) -> Result<Uuid, Invalid> {
    // Only the hyphenated form: it is the one the directory shows, and accepting braces or
    // URNs would let two spellings of one tenant take two locks.
    if text.len() == 36
        && let Ok(uuid) = Uuid::try_parse(text)
    {
        return Ok(uuid);
    }
    Err(Invalid::new(
        FieldCode::InvalidGuid,
        "must be a GUID such as 0f8fad5b-d9cb-469f-a165-70867728950e",
    ))
}

macro_rules! guid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(Uuid);

        impl $name {
            /// Parses the hyphenated GUID form, in either case.
            pub fn parse(text: &str) -> Result<Self, Invalid> {
                parse_guid(text).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
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

guid_id!(
    /// A customer's directory (tenant) id.
    TenantId
);
guid_id!(
    /// A business-applications subscription id.
    SubscriptionId
);

impl Serialize for PartnerId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PartnerId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(|e| D::Error::custom(e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_normalised_to_lower_case() {
        let id = TenantId::parse("0F8FAD5B-D9CB-469F-A165-70867728950E").unwrap();
        assert_eq!(id.to_string(), "0f8fad5b-d9cb-469f-a165-70867728950e");
    }

    #[test]
    fn only_the_hyphenated_guid_form_is_a_tenant_id() {
        for bad in [
            "0f8fad5bd9cb469fa16570867728950e",
            "{0f8fad5b-d9cb-469f-a165-70867728950e}",
            "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e",
            "0f8fad5b-d9cb-469f-a165-70867728950g",
            "",
        ] {
            assert_eq!(
                TenantId::parse(bad).unwrap_err().code,
                FieldCode::InvalidGuid,
                "{bad}"
            );
        }
    }

    #[test]
    fn partner_ids_are_six_to_ten_digits() {
        assert!(PartnerId::parse("123456").is_ok());
        assert!(PartnerId::parse("1234567890").is_ok());
        for bad in ["12345", "12345678901", "12345a", " 123456", "١٢٣٤٥٦"] {
            assert!(PartnerId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn claim_ids_round_trip_through_text() {
        let id = ClaimId::new_at(chrono::Utc::now());
        assert_eq!(ClaimId::parse(&id.to_string()), Some(id));
        assert_eq!(ClaimId::parse("not-a-claim"), None);
    }
}
