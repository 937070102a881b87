//! The languages a customer is written to in: which one a contact gets, and how it writes a date.

use crate::contact::Locale;
use crate::messages::Messages;
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// A language the customer's e-mail and page are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// English, the fallback for every other language.
    #[default]
    English,
    /// Italian.
    Italian,
    /// German.
    German,
    /// French.
    French,
    /// Spanish.
    Spanish,
    /// Japanese.
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

    /// The conventions (day and month names) its dates are written with.
    fn date_locale(self) -> chrono::Locale {
        match self {
            Self::English => chrono::Locale::en_GB,
            Self::Italian => chrono::Locale::it_IT,
            Self::German => chrono::Locale::de_DE,
            Self::French => chrono::Locale::fr_FR,
            Self::Spanish => chrono::Locale::es_ES,
            Self::Japanese => chrono::Locale::ja_JP,
        }
    }

    /// An instant as a reader of this language in `zone` writes it, to the minute, with the
    /// zone's abbreviation, e.g. `mercoledì 2 dicembre 2026, 23:59 (CET)`.
    pub fn format_instant(self, at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
        let local = at.with_timezone(&zone);
        let mut text = String::new();
        let localized = local.format_localized(self.messages().date_format, self.date_locale());
        if write!(text, "{localized}").is_err() {
            // Only a malformed format in the catalogue gets here, and a test reads every one;
            // the instant must still reach the customer.
            text.clear();
            let _ = write!(text, "{}", local.format("%Y-%m-%d %H:%M (%Z)"));
        }
        text
    }
}

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
    fn each_language_writes_the_deadline_in_the_customers_zone_with_its_own_conventions() {
        // GIVEN the deadline of a claim notified on Wednesday 25 November 2026
        let deadline = at("2026-12-02T22:59:59.999Z");
        let rome: chrono_tz::Tz = "Europe/Rome".parse().unwrap();
        let tokyo: chrono_tz::Tz = "Asia/Tokyo".parse().unwrap();
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
