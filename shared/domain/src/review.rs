//! The vendor's review of a claim: what a reviewer asks of the partner, why a claim is rejected,
//! and the review's deadlines.

use crate::calendar::BusinessCalendar;
use crate::time::serde_instant;
use crate::validation::{FieldCode, Invalid};
use crate::zone::Zone;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// Who decides on a claim that passed the synchronous checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReviewPolicy {
    /// A reviewer, always (the default, deployed and local).
    #[default]
    Manual,
    /// The service approves it at once, and queues its customer's notification.
    Automatic,
}

impl ReviewPolicy {
    /// `manual` or `automatic`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "manual" => Some(Self::Manual),
            "automatic" => Some(Self::Automatic),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Automatic => "automatic",
        }
    }
}

/// How long after a rejection the partner may dispute it.
pub const DISPUTE_PERIOD: TimeDelta = TimeDelta::days(30);

/// How long after a permanent bounce the partner may correct the customer's contact before the
/// nightly run rejects the claim (`customer_unreachable`).
pub const UNREACHABLE_PERIOD: TimeDelta = TimeDelta::days(30);

/// Longest message of a reviewer or a partner (a request, a response, a justification).
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// Most codes one information request names.
pub const MAX_REQUEST_CODES: usize = 6;

/// What a reviewer may ask the partner for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InformationCode {
    MissingProofOfExecution,
    MissingCustomerSignature,
    ProofOfExecutionDates,
    MissingSolutionDescription,
    WorkloadNotEvidenced,
    Other,
}

impl InformationCode {
    pub const ALL: [Self; 6] = [
        Self::MissingProofOfExecution,
        Self::MissingCustomerSignature,
        Self::ProofOfExecutionDates,
        Self::MissingSolutionDescription,
        Self::WorkloadNotEvidenced,
        Self::Other,
    ];

    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingProofOfExecution => "missing_proof_of_execution",
            Self::MissingCustomerSignature => "missing_customer_signature",
            Self::ProofOfExecutionDates => "proof_of_execution_dates",
            Self::MissingSolutionDescription => "missing_solution_description",
            Self::WorkloadNotEvidenced => "workload_not_evidenced",
            Self::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == text)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|c| c.as_str()).collect();
                Invalid::new(
                    FieldCode::InvalidValue,
                    format!("must be one of {}", known.join(", ")),
                )
            })
    }
}

/// Why a claim is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionCode {
    InsufficientProofOfExecution,
    NotWorkingWithCustomer,
    WrongPartnerId,
    WrongProgram,
    /// The partner did not answer an information request by its due time (the system's).
    NoResponse,
    /// The customer's e-mail bounced and no contact was corrected in time (the system's).
    CustomerUnreachable,
    /// Another partner's claim won arbitration.
    LostArbitration,
    /// The subscription claimed ended (the system's; not disputable).
    SubscriptionEnded,
    Other,
}

impl RejectionCode {
    pub const ALL: [Self; 9] = [
        Self::InsufficientProofOfExecution,
        Self::NotWorkingWithCustomer,
        Self::WrongPartnerId,
        Self::WrongProgram,
        Self::NoResponse,
        Self::CustomerUnreachable,
        Self::LostArbitration,
        Self::SubscriptionEnded,
        Self::Other,
    ];

    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InsufficientProofOfExecution => "insufficient_proof_of_execution",
            Self::NotWorkingWithCustomer => "not_working_with_customer",
            Self::WrongPartnerId => "wrong_partner_id",
            Self::WrongProgram => "wrong_program",
            Self::NoResponse => "no_response",
            Self::CustomerUnreachable => "customer_unreachable",
            Self::LostArbitration => "lost_arbitration",
            Self::SubscriptionEnded => "subscription_ended",
            Self::Other => "other",
        }
    }

    /// True for the codes a reviewer gives; the others are the service's own.
    pub fn is_reviewers(self) -> bool {
        match self {
            Self::InsufficientProofOfExecution
            | Self::NotWorkingWithCustomer
            | Self::WrongPartnerId
            | Self::WrongProgram
            | Self::Other => true,
            Self::NoResponse
            | Self::CustomerUnreachable
            | Self::LostArbitration
            | Self::SubscriptionEnded => false,
        }
    }

    /// A reviewer's rejection code.
    pub fn parse_reviewers(text: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .filter(|c| c.is_reviewers())
            .find(|c| c.as_str() == text)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL
                    .iter()
                    .filter(|c| c.is_reviewers())
                    .map(|c| c.as_str())
                    .collect();
                Invalid::new(
                    FieldCode::InvalidValue,
                    format!("must be one of {}", known.join(", ")),
                )
            })
    }
}

/// Free text of a reviewer or a partner: 1 to 2,000 characters; line breaks allowed, other
/// control characters not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Message(String);

impl Message {
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        free_text(text, MAX_MESSAGE_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `text` trimmed, 1 to `max` characters, line breaks and tabs allowed, other controls not.
pub fn free_text(text: &str, max: usize) -> Result<String, Invalid> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        Err(Invalid::new(FieldCode::Empty, "must not be empty"))
    } else if trimmed.chars().count() > max {
        Err(Invalid::new(
            FieldCode::TooLong,
            format!("must be at most {max} characters"),
        ))
    } else if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        Err(Invalid::new(
            FieldCode::InvalidCharacters,
            "must not contain control characters",
        ))
    } else {
        Ok(trimmed.to_owned())
    }
}

/// What a reviewer asked the partner, and until when the partner may answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InformationRequest {
    pub codes: Vec<InformationCode>,
    pub message: Message,
    #[serde(with = "serde_instant")]
    pub requested_at: DateTime<Utc>,
    /// The end of the fifth business day after the request, in UTC.
    #[serde(with = "serde_instant")]
    pub response_due: DateTime<Utc>,
}

/// Why and when a claim was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub code: RejectionCode,
    /// The reviewer's words; `None` for the service's own rejections.
    pub message: Option<Message>,
    #[serde(with = "serde_instant")]
    pub at: DateTime<Utc>,
}

/// The end of the fifth business day after `at`, in UTC: a reviewer's target after a claim
/// enters review (`review_due`), and a partner's after an information request
/// (`response_due`).
pub fn five_business_days_after(calendar: &BusinessCalendar, at: DateTime<Utc>) -> DateTime<Utc> {
    calendar.opt_out_window(at, Zone::UTC).deadline
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_instant;

    #[test]
    fn a_reviewer_gives_reviewers_rejection_codes_only() {
        assert_eq!(
            RejectionCode::parse_reviewers("wrong_program"),
            Ok(RejectionCode::WrongProgram)
        );
        for systems in [
            "no_response",
            "customer_unreachable",
            "lost_arbitration",
            "nope",
        ] {
            assert!(
                RejectionCode::parse_reviewers(systems).is_err(),
                "{systems}"
            );
        }
    }

    #[test]
    fn the_five_business_days_end_in_utc_and_skip_weekends() {
        // Wednesday 2026-11-25 10:00 UTC: Thu 26, Fri 27, Mon 30, Tue 1, Wed 2 December
        let at = parse_instant("2026-11-25T10:00:00Z").unwrap();
        assert_eq!(
            five_business_days_after(&BusinessCalendar::default(), at),
            parse_instant("2026-12-02T23:59:59.999Z").unwrap()
        );
    }

    #[test]
    fn messages_are_one_to_two_thousand_characters() {
        assert!(Message::parse(&"x".repeat(2000)).is_ok());
        assert!(Message::parse(&"x".repeat(2001)).is_err());
        assert!(Message::parse(" ").is_err());
        assert!(Message::parse("line one\nline two").is_ok());
        assert!(Message::parse("bell\u{7}").is_err());
    }
}
