//! The one textual form of instants this service reads and writes.

use chrono::{DateTime, SecondsFormat, Utc};

/// Formats an instant as RFC 3339 UTC with milliseconds and a `Z`, e.g. `2026-12-02T23:59:59.999Z`.
///
/// Fixed width, so the strings sort in time order (the due index relies on it).
pub fn format_instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 instant with any offset into UTC.
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// Serde helpers for instants in the service's textual form.
pub mod serde_instant {
    use super::{format_instant, parse_instant};
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// Serializes an instant as [`format_instant`] does.
    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_instant(*at))
    }

    /// Deserializes an RFC 3339 instant.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        parse_instant(&text)
            .ok_or_else(|| D::Error::custom(format!("not an RFC 3339 instant: {text}")))
    }

    /// The same for optional instants.
    pub mod option {
        use super::{format_instant, parse_instant};
        use chrono::{DateTime, Utc};
        use serde::{Deserialize, Deserializer, Serializer, de::Error};

        /// Serializes an optional instant, `None` as null.
        pub fn serialize<S: Serializer>(
            at: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => s.serialize_str(&format_instant(*at)),
                None => s.serialize_none(),
            }
        }

        /// Deserializes an optional RFC 3339 instant.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            match Option::<String>::deserialize(d)? {
                Some(text) => parse_instant(&text)
                    .map(Some)
                    .ok_or_else(|| D::Error::custom(format!("not an RFC 3339 instant: {text}"))),
                None => Ok(None),
            }
        }
    }
}
