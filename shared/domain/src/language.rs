//! The languages a customer is written to in: which one a contact gets, and how it writes a date.

use crate::contact::Locale;
use crate::messages::Messages;
use chrono::{DateTime, Datelike, Utc};
use std::fmt::Write;

/// A language the customer's e-mail and page are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// English, the fallback for every other language.
    #[default]
    English,
    Italian,
    German,
    French,
    Spanish,
    Japanese,
}

impl Language {
    /// Every language the service writes in.
    pub const ALL: [Language; 6] = [
        Self::English,
        Self::Italian,
        Self::German,
        Self::French,
        Self::Spanish,
        Self::Japanese,
    ];

    /// The language of a contact's locale, by its primary subtag (`de-AT` is German); English
    /// when the service does not write in it (`pt-BR`).
    pub fn for_locale(locale: &Locale) -> Self {
        Self::for_subtag(&locale.language()).unwrap_or_default()
    }

    /// The language whose primary subtag is `subtag` (any case), if the service writes in it.
    pub fn for_subtag(subtag: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(subtag))
    }

    /// The BCP 47 primary subtag, as `<html lang>` takes it.
    pub fn code(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::Italian => "it",
            Self::German => "de",
            Self::French => "fr",
            Self::Spanish => "es",
            Self::Japanese => "ja",
        }
    }

    /// The words of this language.
    pub fn messages(self) -> &'static Messages {
        crate::messages::catalogue(self)
    }

    /// The day and month names its dates are written with.
    fn date_names(self) -> &'static DateNames {
        match self {
            Self::English => &EN_GB,
            Self::Italian => &IT_IT,
            Self::German => &DE_DE,
            Self::French => &FR_FR,
            Self::Spanish => &ES_ES,
            Self::Japanese => &JA_JP,
        }
    }

    /// An instant as a reader of this language in `zone` writes it, to the minute, with the
    /// zone's abbreviation, e.g. `mercoledì 2 dicembre 2026, 23:59 (CET)`.
    pub fn format_instant(self, at: DateTime<Utc>, zone: crate::zone::Zone) -> String {
        let local = at.with_timezone(&zone);
        let names = self.date_names();
        let weekday = local.weekday().num_days_from_sunday() as usize;
        let format = self
            .messages()
            .date_format
            .replace("%A", names.days[weekday])
            .replace("%a", names.short_days[weekday])
            .replace("%B", names.months[local.month0() as usize]);
        let mut text = String::new();
        if write!(text, "{}", local.format(&format)).is_err() {
            // Only a malformed format in the catalogue gets here, and a test reads every one;
            // the instant must still reach the customer.
            text.clear();
            let _ = write!(text, "{}", local.format("%Y-%m-%d %H:%M (%Z)"));
        }
        text
    }
}

/// The names a language writes dates with (`%A`, `%a` and `%B` of its date format).
///
/// They are those of the glibc locales (en_GB, it_IT, de_DE, fr_FR, es_ES, ja_JP) that chrono's
/// `unstable-locales` feature carries; a test checks them against it. Kept here instead, the
/// functions do not carry the tables of every locale in the world (megabytes of each binary, and
/// their relocations at every start).
struct DateNames {
    /// Sunday first.
    days: [&'static str; 7],
    /// Sunday first.
    short_days: [&'static str; 7],
    /// January first.
    months: [&'static str; 12],
}

const EN_GB: DateNames = DateNames {
    days: [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ],
    short_days: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
};

const IT_IT: DateNames = DateNames {
    days: [
        "domenica",
        "lunedì",
        "martedì",
        "mercoledì",
        "giovedì",
        "venerdì",
        "sabato",
    ],
    short_days: ["dom", "lun", "mar", "mer", "gio", "ven", "sab"],
    months: [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ],
};

const DE_DE: DateNames = DateNames {
    days: [
        "Sonntag",
        "Montag",
        "Dienstag",
        "Mittwoch",
        "Donnerstag",
        "Freitag",
        "Samstag",
    ],
    short_days: ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"],
    months: [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
};

const FR_FR: DateNames = DateNames {
    days: [
        "dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi",
    ],
    short_days: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
    months: [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
};

const ES_ES: DateNames = DateNames {
    days: [
        "domingo",
        "lunes",
        "martes",
        "miércoles",
        "jueves",
        "viernes",
        "sábado",
    ],
    short_days: ["dom", "lun", "mar", "mié", "jue", "vie", "sáb"],
    months: [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
};

const JA_JP: DateNames = DateNames {
    days: [
        "日曜日",
        "月曜日",
        "火曜日",
        "水曜日",
        "木曜日",
        "金曜日",
        "土曜日",
    ],
    short_days: ["日", "月", "火", "水", "木", "金", "土"],
    months: [
        "1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::tests::at;

    #[test]
    fn a_locale_gets_the_language_of_its_primary_subtag_and_english_otherwise() {
        for (tag, language) in [
            ("en", Language::English),
            ("en-US", Language::English),
            ("it", Language::Italian),
            ("de-AT", Language::German),
            ("DE-ch", Language::German),
            ("fr-CA", Language::French),
            ("es-419", Language::Spanish),
            ("ja-JP", Language::Japanese),
            ("pt-BR", Language::English),
            ("zh-Hant-TW", Language::English),
        ] {
            let locale = Locale::parse(tag).unwrap();
            assert_eq!(Language::for_locale(&locale), language, "{tag}");
        }
    }

    #[test]
    fn day_and_month_names_are_those_of_the_languages_glibc_locales() {
        // GIVEN a fortnight and every month of a year, in every language
        let rome = crate::zone::Zone::named("Europe/Rome").unwrap();
        let days = (0..14).map(|d| at("2026-03-01T12:00:00Z") + chrono::TimeDelta::days(d));
        let months = (0..12).map(|m| at("2026-01-15T12:00:00Z") + chrono::TimeDelta::days(31 * m));
        for language in Language::ALL {
            for instant in days.clone().chain(months.clone()) {
                // THEN each date reads as chrono writes it with the language's locale
                let local = instant.with_timezone(&rome);
                let expected = local
                    .format_localized(language.messages().date_format, chrono_locale(language))
                    .to_string();
                assert_eq!(language.format_instant(instant, rome), expected);
            }
        }
    }

    fn chrono_locale(language: Language) -> chrono::Locale {
        match language {
            Language::English => chrono::Locale::en_GB,
            Language::Italian => chrono::Locale::it_IT,
            Language::German => chrono::Locale::de_DE,
            Language::French => chrono::Locale::fr_FR,
            Language::Spanish => chrono::Locale::es_ES,
            Language::Japanese => chrono::Locale::ja_JP,
        }
    }

    #[test]
    fn each_language_writes_the_deadline_in_the_customers_zone_with_its_own_conventions() {
        // GIVEN the deadline of a claim notified on Wednesday 25 November 2026
        let deadline = at("2026-12-02T22:59:59.999Z");
        let rome = crate::zone::Zone::named("Europe/Rome").unwrap();
        let tokyo = crate::zone::Zone::named("Asia/Tokyo").unwrap();
        // THEN each language writes it its own way, in the zone given
        for (language, zone, expected) in [
            (
                Language::English,
                rome,
                "Wednesday 2 December 2026, 23:59 (CET)",
            ),
            (
                Language::Italian,
                rome,
                "mercoledì 2 dicembre 2026, ore 23:59 (CET)",
            ),
            (
                Language::German,
                rome,
                "Mittwoch, 2. Dezember 2026, 23:59 Uhr (CET)",
            ),
            (
                Language::French,
                rome,
                "mercredi 2 décembre 2026 à 23:59 (CET)",
            ),
            (
                Language::Spanish,
                rome,
                "miércoles, 2 de diciembre de 2026, 23:59 (CET)",
            ),
            (Language::Japanese, rome, "2026年12月2日(水) 23:59 (CET)"),
            (Language::Japanese, tokyo, "2026年12月3日(木) 07:59 (JST)"),
        ] {
            assert_eq!(language.format_instant(deadline, zone), expected);
        }
    }
}
