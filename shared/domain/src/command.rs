//! The commands of partners' moves and reviewers' decisions, read from their JSON bodies at the
//! door: the use cases take these types, never a body. Each reader names every refused field at
//! once, and refuses a field it does not know (a misspelt optional field must not pass unseen).

use crate::claim::WithdrawalReason;
use crate::contact::CustomerContact;
use crate::proof::ProofOfExecution;
use crate::review::{InformationCode, MAX_REQUEST_CODES, Message, RejectionCode};
use crate::validation::{FieldCode, Invalid, ObjectReader, ValidationErrors};
use chrono::NaiveDate;
use serde_json::Value;

/// Why a body is not a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// JSON, but not an object.
    #[error("the body must be a JSON object")]
    NotAnObject,
    /// Fields were refused, each named.
    #[error(transparent)]
    Invalid(ValidationErrors),
}

/// Reads an object body whose fields are `fields`, with `read`.
pub(crate) fn read_object<T>(
    body: &Value,
    fields: &[&str],
    read: impl FnOnce(&ObjectReader<'_>, &mut ValidationErrors) -> Option<T>,
) -> Result<T, BodyError> {
    let object = body.as_object().ok_or(BodyError::NotAnObject)?;
    let mut errors = ValidationErrors::default();
    let reader = ObjectReader::new(object);
    reader.reject_unknown(fields, &mut errors);
    let value = read(&reader, &mut errors);
    errors.into_result(|| value).map_err(BodyError::Invalid)
}

/// `POST /v1/claims/{id}/withdraw`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    pub reason: WithdrawalReason,
}

impl Withdrawal {
    pub fn read(body: &Value) -> Result<Self, BodyError> {
        read_object(body, &["reason"], |r, e| {
            let reason = r.required("reason", e, WithdrawalReason::parse)?;
            Some(Self { reason })
        })
    }
}

/// `POST /v1/claims/{id}/respond`: the answer to an information request, optionally with a
/// newer proof of execution (signed no later than `today`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub message: Message,
    pub proof: Option<ProofOfExecution>,
}

impl Response {
    pub fn read(body: &Value, today: NaiveDate) -> Result<Self, BodyError> {
        read_object(body, &["message", "proof_of_execution"], |r, e| {
            let message = r.required("message", e, Message::parse);
            let proof = optional_proof(r, today, e);
            Some(Self {
                message: message?,
                proof: proof?,
            })
        })
    }
}

/// `POST /v1/claims/{id}/dispute`: why the rejection is wrong, optionally with a newer proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    pub justification: Message,
    pub proof: Option<ProofOfExecution>,
}

impl Dispute {
    pub fn read(body: &Value, today: NaiveDate) -> Result<Self, BodyError> {
        read_object(body, &["justification", "proof_of_execution"], |r, e| {
            let justification = r.required("justification", e, Message::parse);
            let proof = optional_proof(r, today, e);
            Some(Self {
                justification: justification?,
                proof: proof?,
            })
        })
    }
}

/// `POST /v1/claims/{id}/proof-of-execution`: the body is the proof itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProof(pub ProofOfExecution);

impl NewProof {
    pub fn read(body: &Value, today: NaiveDate) -> Result<Self, BodyError> {
        let object = body.as_object().ok_or(BodyError::NotAnObject)?;
        let mut errors = ValidationErrors::default();
        let proof = ProofOfExecution::read(&ObjectReader::new(object), today, &mut errors);
        errors
            .into_result(|| proof)
            .map(Self)
            .map_err(BodyError::Invalid)
    }
}

/// `PUT /v1/claims/{id}/customer-contact`: the body is the corrected contact itself (its
/// domain is checked against the tenant's by the use case, which knows the tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactCorrection(pub CustomerContact);

impl ContactCorrection {
    pub fn read(body: &Value) -> Result<Self, BodyError> {
        let object = body.as_object().ok_or(BodyError::NotAnObject)?;
        let mut errors = ValidationErrors::default();
        let contact = CustomerContact::read(&ObjectReader::new(object), &mut errors);
        errors
            .into_result(|| contact)
            .map(Self)
            .map_err(BodyError::Invalid)
    }
}

/// The longest `compared` text read.
const MAX_COMPARED_CHARS: usize = 200;

/// A reviewer's approval, with what the reviewer compared when the claim is a contest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Approval {
    pub comment: Option<Message>,
    /// The `compared` string of the contest's page. Opaque to clients: any text up to 200
    /// characters is read, and one that names nothing as it is now is stale, as a changed
    /// claim is.
    pub compared: Option<String>,
}

impl Approval {
    pub fn read(body: &Value) -> Result<Self, BodyError> {
        read_object(body, &["comment", "compared"], |r, e| {
            let comment = r.optional("comment", e, Message::parse);
            let compared = r.optional("compared", e, |text| {
                if text.chars().count() <= MAX_COMPARED_CHARS {
                    Ok(text.to_owned())
                } else {
                    Err(Invalid::new(
                        FieldCode::TooLong,
                        format!("must be at most {MAX_COMPARED_CHARS} characters"),
                    ))
                }
            });
            Some(Self {
                comment: comment?,
                compared: compared?,
            })
        })
    }
}

/// A reviewer's request for more information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InformationRequest {
    /// 1 to 6 codes, each once.
    pub codes: Vec<InformationCode>,
    pub message: Message,
}

impl InformationRequest {
    pub fn read(body: &Value) -> Result<Self, BodyError> {
        read_object(body, &["codes", "message"], |r, e| {
            let codes = read_codes(r, e);
            let message = r.required("message", e, Message::parse);
            Some(Self {
                codes: codes?,
                message: message?,
            })
        })
    }
}

/// A reviewer's rejection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: RejectionCode,
    pub message: Message,
}

impl Rejection {
    pub fn read(body: &Value) -> Result<Self, BodyError> {
        read_object(body, &["code", "message"], |r, e| {
            let code = r.required("code", e, RejectionCode::parse_reviewers);
            let message = r.required("message", e, Message::parse);
            Some(Self {
                code: code?,
                message: message?,
            })
        })
    }
}

/// An optional `proof_of_execution` object (`Some(None)` when absent, `None` when refused).
fn optional_proof(
    reader: &ObjectReader<'_>,
    today: NaiveDate,
    errors: &mut ValidationErrors,
) -> Option<Option<ProofOfExecution>> {
    reader.optional_object("proof_of_execution", errors, |inner, errors| {
        ProofOfExecution::read(inner, today, errors)
    })
}

/// `codes`: 1 to 6 information codes, each once.
fn read_codes(
    reader: &ObjectReader<'_>,
    errors: &mut ValidationErrors,
) -> Option<Vec<InformationCode>> {
    let path = reader.path("codes");
    let Some(value) = reader.value("codes") else {
        errors.push(path, Invalid::new(FieldCode::Required, "is required"));
        return None;
    };
    let Some(items) = value.as_array() else {
        errors.push(
            path,
            Invalid::new(FieldCode::InvalidType, "must be a list of codes"),
        );
        return None;
    };
    if items.is_empty() || items.len() > MAX_REQUEST_CODES {
        errors.push(
            path,
            Invalid::new(
                FieldCode::OutOfRange,
                format!("must name 1 to {MAX_REQUEST_CODES} codes"),
            ),
        );
        return None;
    }
    let mut codes = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}[{i}]");
        match item.as_str().map(InformationCode::parse) {
            Some(Ok(code)) if !codes.contains(&code) => codes.push(code),
            Some(Ok(_)) => {
                errors.push(at, Invalid::new(FieldCode::InvalidValue, "is named twice"));
                ok = false;
            }
            Some(Err(invalid)) => {
                errors.push(at, invalid);
                ok = false;
            }
            None => {
                errors.push(at, Invalid::new(FieldCode::InvalidType, "must be a string"));
                ok = false;
            }
        }
    }
    ok.then_some(codes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    /// The fields a refused body names, with their codes, in order.
    fn refused<T: std::fmt::Debug>(read: Result<T, BodyError>) -> Vec<(String, FieldCode)> {
        match read {
            Err(BodyError::Invalid(errors)) => errors
                .errors()
                .iter()
                .map(|e| (e.field.clone(), e.code))
                .collect(),
            other => panic!("expected the fields refused, got {other:?}"),
        }
    }

    fn fields(expected: &[(&str, FieldCode)]) -> Vec<(String, FieldCode)> {
        expected
            .iter()
            .map(|(f, c)| ((*f).to_owned(), *c))
            .collect()
    }

    /// A withdrawal needs one reason of 1 to 500 characters, without control characters, and
    /// no other field; every refused field is named at once.
    #[test]
    fn a_withdrawal_needs_one_reason_of_one_to_500_characters_and_no_other_field() {
        for (body, expected) in [
            (json!({}), vec![("reason", FieldCode::Required)]),
            (
                json!({ "reason": "   " }),
                vec![("reason", FieldCode::Empty)],
            ),
            (
                json!({ "reason": 7 }),
                vec![("reason", FieldCode::InvalidType)],
            ),
            (
                json!({ "reason": "x".repeat(501) }),
                vec![("reason", FieldCode::TooLong)],
            ),
            (
                json!({ "reason": "ended\u{7}" }),
                vec![("reason", FieldCode::InvalidCharacters)],
            ),
            (
                json!({ "why": "ended" }),
                vec![
                    ("why", FieldCode::UnknownField),
                    ("reason", FieldCode::Required),
                ],
            ),
        ] {
            assert_eq!(
                refused(Withdrawal::read(&body)),
                fields(&expected),
                "{body}"
            );
        }
        assert_eq!(
            Withdrawal::read(&json!("ended")),
            Err(BodyError::NotAnObject)
        );
        let read = Withdrawal::read(&json!({ "reason": "  engagement ended " })).unwrap();
        assert_eq!(read.reason.as_str(), "engagement ended");
    }

    /// Every body is an object: a list, a string or null is refused before any field is read.
    #[test]
    fn every_command_is_read_from_an_object() {
        for body in [json!([]), json!("x"), json!(null), json!(1)] {
            assert_eq!(Withdrawal::read(&body), Err(BodyError::NotAnObject));
            assert_eq!(Response::read(&body, today()), Err(BodyError::NotAnObject));
            assert_eq!(Dispute::read(&body, today()), Err(BodyError::NotAnObject));
            assert_eq!(NewProof::read(&body, today()), Err(BodyError::NotAnObject));
            assert_eq!(ContactCorrection::read(&body), Err(BodyError::NotAnObject));
            assert_eq!(Approval::read(&body), Err(BodyError::NotAnObject));
            assert_eq!(InformationRequest::read(&body), Err(BodyError::NotAnObject));
            assert_eq!(Rejection::read(&body), Err(BodyError::NotAnObject));
        }
    }

    /// A corrected contact wrong in several ways names each: a missing name, a bad address and
    /// a field the contact does not have.
    #[test]
    fn a_bad_contact_correction_names_every_field() {
        let found = refused(ContactCorrection::read(
            &json!({ "email": "not an address", "extra": 1 }),
        ));
        let names: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
        for field in ["name", "email", "extra"] {
            assert!(names.contains(&field), "{field} not named in {found:?}");
        }
    }

    /// An information request names 1 to 6 known codes, each once, and a message, and nothing
    /// else.
    #[test]
    fn an_information_request_names_one_to_six_known_codes_and_a_message() {
        for (bad, field) in [
            (json!({ "codes": [], "message": "?" }), "codes"),
            (json!({ "codes": ["nope"], "message": "?" }), "codes[0]"),
            (
                json!({ "codes": ["other", "other"], "message": "?" }),
                "codes[1]",
            ),
            (json!({ "codes": ["other"] }), "message"),
            (json!({ "codes": "other", "message": "?" }), "codes"),
            (
                json!({ "codes": ["other"], "message": "?", "extra": 1 }),
                "extra",
            ),
        ] {
            let found = refused(InformationRequest::read(&bad));
            assert_eq!(
                found.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(),
                [field],
                "{bad}"
            );
        }
        let seven = json!({ "codes": vec!["other"; 7], "message": "?" });
        assert_eq!(
            refused(InformationRequest::read(&seven)),
            fields(&[("codes", FieldCode::OutOfRange)])
        );
        let read = InformationRequest::read(&json!({
            "codes": ["missing_customer_signature", "proof_of_execution_dates"],
            "message": "please sign",
        }))
        .unwrap();
        assert_eq!(
            read.codes,
            [
                InformationCode::MissingCustomerSignature,
                InformationCode::ProofOfExecutionDates
            ]
        );
    }

    /// The service's own rejection codes (`no_response`, given when a request goes unanswered)
    /// are not a reviewer's to give.
    #[test]
    fn a_reviewer_cannot_give_the_services_own_rejection_codes() {
        let read = Rejection::read(&json!({ "code": "no_response", "message": "x" }));
        assert_eq!(refused(read).first().map(|(f, _)| f.as_str()), Some("code"));
        let read = Rejection::read(
            &json!({ "code": "insufficient_proof_of_execution", "message": "unsigned" }),
        )
        .unwrap();
        assert_eq!(read.code, RejectionCode::InsufficientProofOfExecution);
    }

    /// `compared` is opaque: any text up to 200 characters is read as it is; a longer one, or
    /// one that is not text, is refused.
    #[test]
    fn an_approvals_compared_is_any_text_up_to_200_characters() {
        let read = Approval::read(&json!({ "compared": "anything at all" })).unwrap();
        assert_eq!(read.compared.as_deref(), Some("anything at all"));
        assert_eq!(Approval::read(&json!({})).unwrap(), Approval::default());
        assert_eq!(
            refused(Approval::read(&json!({ "compared": "x".repeat(201) }))),
            fields(&[("compared", FieldCode::TooLong)])
        );
        assert_eq!(
            refused(Approval::read(&json!({ "compared": 7 }))),
            fields(&[("compared", FieldCode::InvalidType)])
        );
    }

    /// A response and a dispute need their text; their proof, when given, is read as a proof of
    /// execution (here: one signed after today is refused), and the proof body of
    /// `proof-of-execution` is the proof itself.
    #[test]
    fn responses_disputes_and_proofs_read_their_proof_as_of_today() {
        assert_eq!(
            refused(Response::read(&json!({}), today())),
            fields(&[("message", FieldCode::Required)])
        );
        assert_eq!(
            refused(Dispute::read(&json!({ "message": "x" }), today())),
            fields(&[
                ("message", FieldCode::UnknownField),
                ("justification", FieldCode::Required)
            ])
        );
        let response = Response::read(&json!({ "message": "signed" }), today()).unwrap();
        assert_eq!(
            (response.message.as_str(), response.proof),
            ("signed", None)
        );
        let tomorrow =
            json!({ "proof_of_execution": { "signed_on": "2026-11-26" }, "message": "x" });
        let found = refused(Response::read(&tomorrow, today()));
        assert!(
            found
                .iter()
                .all(|(f, _)| f.starts_with("proof_of_execution.")),
            "{found:?}"
        );
        let found = refused(NewProof::read(
            &json!({ "signed_on": "2026-11-26" }),
            today(),
        ));
        assert!(
            !found.is_empty()
                && found
                    .iter()
                    .all(|(f, _)| !f.starts_with("proof_of_execution"))
        );
    }
}
