//! The business calendar and the opt-out window it sets.

use crate::time::serde_instant;
use crate::zone::Zone;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How many business days the customer has to opt out, counted after the day of notification.
pub const OPT_OUT_BUSINESS_DAYS: u32 = 5;

/// Business days are Monday to Friday, minus the configured holidays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusinessCalendar {
    holidays: BTreeSet<NaiveDate>,
}

/// When the customer was told, and the last instant at which they may still opt out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptOutWindow {
    /// When the notification was sent.
    #[serde(with = "serde_instant")]
    pub notified_at: DateTime<Utc>,
    /// The last instant (inclusive) at which an opt-out wins.
    #[serde(with = "serde_instant")]
    pub deadline: DateTime<Utc>,
}

impl OptOutWindow {
    /// True while an opt-out received at `at` still wins: at or before the deadline.
    pub fn is_open_at(&self, at: DateTime<Utc>) -> bool {
        window_open(self.deadline, at)
    }
}

/// The one rule of the window's end: at `at`, a window with this deadline is still open.
pub fn window_open(deadline: DateTime<Utc>, at: DateTime<Utc>) -> bool {
    at <= deadline
}

impl BusinessCalendar {
    /// A calendar with these holidays.
    pub fn with_holidays(holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        Self {
            holidays: holidays.into_iter().collect(),
        }
    }

    /// Parses a comma-separated list of `YYYY-MM-DD` holidays (blank entries ignored).
    pub fn parse_holidays(text: &str) -> Result<Self, String> {
        let mut holidays = BTreeSet::new();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let day = NaiveDate::parse_from_str(item, "%Y-%m-%d")
                .map_err(|_| format!("holiday {item:?} is not a YYYY-MM-DD date"))?;
            holidays.insert(day);
        }
        Ok(Self { holidays })
    }

    /// True for Monday to Friday unless the day is a holiday.
    pub fn is_business_day(&self, day: NaiveDate) -> bool {
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day)
    }

    /// The `n`-th business day after `day` (not counting `day` itself).
    pub fn business_days_after(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut current = day;
        let mut counted = 0;
        while counted < n {
            current = current.succ_opt().unwrap_or(current);
            if current == NaiveDate::MAX {
                break;
            }
            if self.is_business_day(current) {
                counted += 1;
            }
        }
        current
    }

    /// The window opened by a notification at `notified_at` for a customer in `zone`: it closes
    /// at the end (23:59:59.999) of the fifth business day after the day of notification, that
    /// day and its end both taken in the customer's zone.
    pub fn opt_out_window(&self, notified_at: DateTime<Utc>, zone: Zone) -> OptOutWindow {
        let notified_day = notified_at.with_timezone(&zone).date_naive();
        let last_day = self.business_days_after(notified_day, OPT_OUT_BUSINESS_DAYS);
        OptOutWindow {
            notified_at,
            deadline: end_of_day(last_day, zone),
        }
    }
}

/// The last millisecond of `day` in `zone`, as UTC: the instant before the next day starts.
pub fn end_of_day(day: NaiveDate, zone: Zone) -> DateTime<Utc> {
    let next = day.succ_opt().unwrap_or(day);
    start_of_day(next, zone) - TimeDelta::milliseconds(1)
}

/// The first instant of `day` in `zone`. Where midnight falls in a daylight-saving gap, the
/// day starts at the first local time that exists.
pub fn start_of_day(day: NaiveDate, zone: Zone) -> DateTime<Utc> {
    let mut local = day.and_time(NaiveTime::MIN);
    // Gaps are at most a few hours; step through them a quarter hour at a time.
    for _ in 0..(4 * 24) {
        if let Some(at) = zone.from_local_datetime(&local).earliest() {
            return at.with_timezone(&Utc);
        }
        local += TimeDelta::minutes(15);
    }
    Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;
    use proptest::prelude::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_domain_example_notified_on_a_wednesday_closes_the_next_wednesday() {
        // GIVEN no holidays, WHEN notified Wed 2026-11-25 10:00 UTC in UTC
        let window =
            BusinessCalendar::default().opt_out_window(at("2026-11-25T10:00:00Z"), Zone::UTC);
        // THEN Thu, Fri, Mon, Tue, Wed are counted and the window closes Wed 2 Dec at the end
        assert_eq!(window.deadline, at("2026-12-02T23:59:59.999Z"));
    }

    #[test]
    fn holidays_are_skipped() {
        // GIVEN Thanksgiving Thu 26 Nov as a holiday
        let calendar = BusinessCalendar::with_holidays([day("2026-11-26")]);
        let window = calendar.opt_out_window(at("2026-11-25T10:00:00Z"), Zone::UTC);
        // THEN the window closes a business day later, Thu 3 Dec
        assert_eq!(window.deadline, at("2026-12-03T23:59:59.999Z"));
    }

    #[test]
    fn a_friday_evening_notification_counts_from_monday() {
        let window =
            BusinessCalendar::default().opt_out_window(at("2026-11-27T22:00:00Z"), Zone::UTC);
        assert_eq!(window.deadline, at("2026-12-04T23:59:59.999Z"));
    }

    #[test]
    fn the_day_of_notification_is_the_customers_day_not_utcs() {
        // GIVEN 23:30 UTC on Tuesday, which is already Wednesday in Rome
        let window = BusinessCalendar::default()
            .opt_out_window(at("2026-11-24T23:30:00Z"), "Europe/Rome".parse().unwrap());
        // THEN the count starts after Wednesday and ends Wed 2 Dec at midnight in Rome (UTC+1)
        assert_eq!(window.deadline, at("2026-12-02T22:59:59.999Z"));
    }

    #[test]
    fn the_deadline_ends_at_local_midnight_across_a_daylight_saving_change() {
        // GIVEN New York, notified the Wednesday before the clocks go back (1 Nov 2026)
        let zone = Zone::named("America/New_York").unwrap();
        let window = BusinessCalendar::default().opt_out_window(at("2026-10-28T15:00:00Z"), zone);
        // THEN the deadline is Wed 4 Nov 23:59:59.999 EST (UTC-5)
        assert_eq!(window.deadline, at("2026-11-05T04:59:59.999Z"));
    }

    #[test]
    fn a_day_whose_midnight_does_not_exist_still_has_an_end() {
        // Santiago springs forward at midnight: 2026-09-06 00:00 does not exist there.
        let zone = Zone::named("America/Santiago").unwrap();
        let end = end_of_day(day("2026-09-05"), zone);
        assert_eq!(end.with_timezone(&zone).date_naive(), day("2026-09-05"));
        assert_eq!(
            start_of_day(day("2026-09-06"), zone) - end,
            TimeDelta::milliseconds(1)
        );
    }

    #[test]
    fn holidays_are_parsed_from_a_comma_separated_list() {
        let calendar = BusinessCalendar::parse_holidays("2026-12-25, 2027-01-01,").unwrap();
        assert!(!calendar.is_business_day(day("2026-12-25")));
        assert!(calendar.is_business_day(day("2026-12-24")));
        assert!(BusinessCalendar::parse_holidays("25/12/2026").is_err());
    }

    fn zones() -> impl Strategy<Value = Zone> {
        prop::sample::select(
            [
                "UTC",
                "Europe/Rome",
                "America/New_York",
                "America/Santiago",
                "Asia/Tokyo",
                "Australia/Lord_Howe",
                "Pacific/Kiritimati",
                "Pacific/Pago_Pago",
            ]
            .map(|name| Zone::named(name).unwrap())
            .to_vec(),
        )
    }

    proptest! {
        #[test]
        fn the_window_spans_exactly_five_business_days_and_ends_at_local_end_of_day(
            seconds in 1_700_000_000i64..2_000_000_000i64,
            zone in zones(),
            holiday_offsets in prop::collection::btree_set(0i64..30, 0..6),
        ) {
            let notified_at = DateTime::from_timestamp(seconds, 0).unwrap();
            let notified_day = notified_at.with_timezone(&zone).date_naive();
            let calendar = BusinessCalendar::with_holidays(
                holiday_offsets.iter().map(|d| notified_day + TimeDelta::days(*d)),
            );
            let window = calendar.opt_out_window(notified_at, zone);
            let local_deadline = window.deadline.with_timezone(&zone);
            let last_day = local_deadline.date_naive();

            // the deadline is after the notification, on a business day, at the day's last millisecond
            prop_assert!(window.deadline > notified_at);
            prop_assert!(calendar.is_business_day(last_day));
            let next_start = start_of_day(last_day.succ_opt().unwrap(), zone);
            prop_assert_eq!(next_start - window.deadline, TimeDelta::milliseconds(1));
            prop_assert!(local_deadline.hour() == 23 || next_start.with_timezone(&zone).hour() != 0);

            // exactly five business days lie after the notification day, up to and including the last
            let counted = notified_day
                .iter_days()
                .skip(1)
                .take_while(|d| *d <= last_day)
                .filter(|d| calendar.is_business_day(*d))
                .count();
            prop_assert_eq!(counted, 5);
        }

        #[test]
        fn an_opt_out_wins_up_to_and_including_the_deadline(offset_ms in -5_000i64..5_000) {
            let window = BusinessCalendar::default().opt_out_window(at("2026-11-25T10:00:00Z"), Zone::UTC);
            let received = window.deadline + TimeDelta::milliseconds(offset_ms);
            prop_assert_eq!(window.is_open_at(received), offset_ms <= 0);
        }
    }
}
