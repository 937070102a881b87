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

/// A calendar month in UTC, e.g. `2026-11`: what a payout ledger covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: i32,
    /// 1 to 12.
    month: u32,
}

impl YearMonth {
    /// The month of `YYYY-MM` (four digits, two digits), or `None`.
    pub fn parse(text: &str) -> Option<Self> {
        let (year, month) = text.split_once('-')?;
        if year.len() != 4
            || month.len() != 2
            || !year
                .bytes()
                .chain(month.bytes())
                .all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let month = Self {
            year: year.parse().ok()?,
            month: month.parse().ok()?,
        };
        (1..=12).contains(&month.month).then_some(month)
    }

    /// The month `at` falls in, in UTC.
    pub fn of(at: DateTime<Utc>) -> Self {
        use chrono::Datelike;
        Self {
            year: at.year(),
            month: at.month(),
        }
    }

    /// Its first instant (UTC midnight of its first day).
    pub fn start(self) -> DateTime<Utc> {
        chrono::NaiveDate::from_ymd_opt(self.year, self.month, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// The month after.
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// Its end: the first instant of the next month, excluded.
    pub fn end(self) -> DateTime<Utc> {
        self.next().start()
    }

    /// Every month from `self` to `last`, both included (none when `last` is before).
    pub fn through(self, last: Self) -> impl Iterator<Item = Self> {
        std::iter::successors(Some(self), |m| Some(m.next())).take_while(move |m| *m <= last)
    }
}

impl std::fmt::Display for YearMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
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

#[cfg(test)]
mod month_tests {
    use super::*;

    /// A month is `YYYY-MM` in UTC: it starts at midnight of its first day and ends, excluded,
    /// where the next begins; December's next is January of the next year.
    #[test]
    fn a_month_is_yyyy_mm_from_its_first_midnight_to_the_next_month_s() {
        let november = YearMonth::parse("2026-11").unwrap();
        assert_eq!(november.to_string(), "2026-11");
        assert_eq!(format_instant(november.start()), "2026-11-01T00:00:00.000Z");
        assert_eq!(format_instant(november.end()), "2026-12-01T00:00:00.000Z");
        let december = november.next();
        assert_eq!(december.next().to_string(), "2027-01");
        assert_eq!(
            YearMonth::of(parse_instant("2026-12-31T23:59:59.999Z").unwrap()),
            december
        );
        let months: Vec<String> = november
            .through(december.next())
            .map(|m| m.to_string())
            .collect();
        assert_eq!(months, ["2026-11", "2026-12", "2027-01"]);
        assert_eq!(december.through(november).count(), 0);
        for refused in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-11",
            "2026/11",
            "2026-11-01",
            "",
            "abcd-ef",
        ] {
            assert_eq!(YearMonth::parse(refused), None, "{refused}");
        }
    }
}
