//! The proof that the partner did the work: a signed statement of work.

use crate::validation::{FieldCode, Invalid, ObjectReader, ValidationErrors};
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// Longest reference accepted.
pub const MAX_REFERENCE_CHARS: usize = 2048;

/// A reference to the signed statement of work and the day the customer signed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofOfExecution {
    /// An `http(s)` URL or a document id.
    pub reference: String,
    /// The day the customer signed.
    pub signed_on: NaiveDate,
}

impl ProofOfExecution {
    /// Reads the proof object; `today` bounds the signing date (not in the future, not older
    /// than 12 months).
    pub fn read(
        reader: &ObjectReader<'_>,
        today: NaiveDate,
        errors: &mut ValidationErrors,
    ) -> Option<Self> {
        reader.reject_unknown(&["reference", "signed_on"], errors);
        let reference = reader.required("reference", errors, parse_reference);
        let signed_on = reader.required("signed_on", errors, |text| parse_signed_on(text, today));
        Some(Self {
            reference: reference?,
            signed_on: signed_on?,
        })
    }
}

fn parse_reference(text: &str) -> Result<String, Invalid> {
    let invalid = || {
        Invalid::new(
            FieldCode::InvalidReference,
            "must be an http(s) URL or a document id (letters, digits and . _ - : / #)",
        )
    };
    if text.chars().count() > MAX_REFERENCE_CHARS {
        return Err(Invalid::new(
            FieldCode::TooLong,
            format!("must be at most {MAX_REFERENCE_CHARS} characters"),
        ));
    }
    let lower = text.to_ascii_lowercase();
    let is_url = lower.starts_with("https://") || lower.starts_with("http://");
    let ok = if is_url {
        let rest = &text[text.find("://").map_or(0, |i| i + 3)..];
        !rest.is_empty() && text.chars().all(|c| c.is_ascii_graphic())
    } else {
        !text.is_empty()
            && text.len() <= 256
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-:/#".contains(c))
    };
    if ok {
        Ok(text.to_owned())
    } else {
        Err(invalid())
    }
}

fn parse_signed_on(text: &str, today: NaiveDate) -> Result<NaiveDate, Invalid> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|_| text.len() == 10)
        .ok_or_else(|| Invalid::new(FieldCode::InvalidDate, "must be a date as YYYY-MM-DD"))?;
    let oldest = today
        .checked_sub_months(Months::new(12))
        .unwrap_or(NaiveDate::MIN);
    if date > today {
        Err(Invalid::new(
            FieldCode::PoeInFuture,
            "must not be in the future",
        ))
    } else if date < oldest {
        Err(Invalid::new(
            FieldCode::PoeTooOld,
            format!("must not be older than 12 months (on or after {oldest})"),
        ))
    } else {
        Ok(date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_statement_signed_exactly_twelve_months_ago_is_accepted_and_a_day_more_is_not() {
        let today = day("2026-11-25");
        assert_eq!(
            parse_signed_on("2025-11-25", today).unwrap(),
            day("2025-11-25")
        );
        assert_eq!(
            parse_signed_on("2025-11-24", today).unwrap_err().code,
            FieldCode::PoeTooOld
        );
    }

    #[test]
    fn a_statement_signed_tomorrow_is_refused_and_today_is_accepted() {
        let today = day("2026-11-25");
        assert!(parse_signed_on("2026-11-25", today).is_ok());
        assert_eq!(
            parse_signed_on("2026-11-26", today).unwrap_err().code,
            FieldCode::PoeInFuture
        );
        assert_eq!(
            parse_signed_on("2026-11-5", today).unwrap_err().code,
            FieldCode::InvalidDate
        );
    }

    #[test]
    fn references_are_urls_or_document_ids() {
        assert!(parse_reference("https://fabrikam.example/sow/4711.pdf").is_ok());
        assert!(parse_reference("SOW-2026-4711").is_ok());
        for bad in [
            "",
            "https://",
            "javascript:alert(1)",
            "SOW 4711",
            "<b>sow</b>",
        ] {
            assert_eq!(
                parse_reference(bad).unwrap_err().code,
                FieldCode::InvalidReference,
                "{bad}"
            );
        }
    }
}
