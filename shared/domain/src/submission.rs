//! A claim submission as the partner sends it, parsed and checked field by field.

use crate::catalogue::{LockUnit, Program};
use crate::claim::ClaimSubject;
use crate::contact::{CustomerContact, PartnerContact};
use crate::domain_name::CustomerDomain;
use crate::ids::{SubscriptionId, TenantId};
use crate::proof::ProofOfExecution;
use crate::review::Message;
use crate::validation::{FieldCode, Invalid, ObjectReader, ValidationErrors};
use chrono::NaiveDate;
use serde_json::{Map, Value};

const FIELDS: &[&str] = &[
    "tenant_id",
    "customer_domain",
    "program",
    "workload",
    "subscription_id",
    "customer_contact",
    "partner_contact",
    "proof_of_execution",
    "contest",
];

/// A submission as parsed: what is claimed, and the justification of a contest of the unit's
/// holder, if the partner gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub subject: ClaimSubject,
    /// Used only when another partner holds the unit; ignored when it is free.
    pub contest: Option<Message>,
}

/// Parses the body of `POST /v1/claims`, reporting every refused field at once. `today` (UTC)
/// bounds the proof of execution's date.
pub fn parse_submission(
    body: &Map<String, Value>,
    today: NaiveDate,
) -> Result<Submission, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let reader = ObjectReader::new(body);
    for name in body.keys() {
        if matches!(name.as_str(), "partner_id" | "partner_name") {
            errors.push(
                name.as_str(),
                Invalid::new(
                    FieldCode::UnknownField,
                    "is taken from your token and the partner registry, never from the body",
                ),
            );
        }
    }
    let owned_by_identity = ["partner_id", "partner_name"];
    let known: Vec<&str> = FIELDS
        .iter()
        .chain(owned_by_identity.iter())
        .copied()
        .collect();
    reader.reject_unknown(&known, &mut errors);

    let tenant_id = reader.required("tenant_id", &mut errors, TenantId::parse);
    let customer_domain = reader.required("customer_domain", &mut errors, CustomerDomain::parse);
    let program = reader.required("program", &mut errors, Program::parse);
    let workload = match program {
        Some(program) => reader.required("workload", &mut errors, |code| program.workload(code)),
        // Without a program the workload cannot be checked; still report it when missing.
        None => reader.required_str("workload", &mut errors).and(None),
    };
    let subscription_id = reader.optional("subscription_id", &mut errors, SubscriptionId::parse);
    if let (Some(program), Some(subscription)) = (program, &subscription_id) {
        match (program.lock_unit(), subscription) {
            (LockUnit::Subscription, None) => errors.push(
                "subscription_id",
                Invalid::new(
                    FieldCode::SubscriptionRequired,
                    format!("is required in {}", program.code()),
                ),
            ),
            (LockUnit::Workload, Some(_)) => errors.push(
                "subscription_id",
                Invalid::new(
                    FieldCode::SubscriptionNotAllowed,
                    format!("is only for osu-bizapps claims, not {}", program.code()),
                ),
            ),
            _ => {}
        }
    }
    let customer_contact = reader
        .required_object("customer_contact", &mut errors)
        .and_then(|r| CustomerContact::read(&r, &mut errors));
    let partner_contact = reader
        .required_object("partner_contact", &mut errors)
        .and_then(|r| PartnerContact::read(&r, &mut errors));
    let proof_of_execution = reader
        .required_object("proof_of_execution", &mut errors)
        .and_then(|r| ProofOfExecution::read(&r, today, &mut errors));

    let contest = reader.optional_object("contest", &mut errors, |contest, errors| {
        contest.reject_unknown(&["justification"], errors);
        contest.required("justification", errors, Message::parse)
    });

    errors.into_result(|| {
        let subject = ClaimSubject {
            tenant_id: tenant_id?,
            customer_domain: customer_domain?,
            program: program?,
            workload: workload?,
            subscription_id: subscription_id?,
            customer_contact: customer_contact?,
            partner_contact: partner_contact?,
            proof_of_execution: proof_of_execution?,
        };
        Some(Submission {
            subject,
            contest: contest?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    pub(crate) fn valid_body() -> Value {
        json!({
            "tenant_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
            "customer_domain": "contoso.onmicrosoft.com",
            "program": "osu-m365",
            "workload": "teams",
            "subscription_id": null,
            "customer_contact": { "name": "Giulia Rossi", "email": "giulia@contoso.com", "title": "IT Director",
                                  "locale": "it", "time_zone": "Europe/Rome" },
            "partner_contact": { "name": "Sam Lee", "email": "sam@fabrikam.com" },
            "proof_of_execution": { "reference": "https://fabrikam.example/sow/4711.pdf", "signed_on": "2026-10-01" }
        })
    }

    fn codes(body: Value) -> Vec<(String, FieldCode)> {
        parse_submission(body.as_object().unwrap(), today())
            .unwrap_err()
            .errors()
            .iter()
            .map(|e| (e.field.clone(), e.code))
            .collect()
    }

    #[test]
    fn the_contract_example_is_accepted_with_its_defaults_filled() {
        let subject = parse_submission(valid_body().as_object().unwrap(), today())
            .unwrap()
            .subject;
        assert_eq!(subject.workload.code(), "teams");
        assert_eq!(subject.customer_contact.time_zone.name(), "Europe/Rome");
        let mut body = valid_body();
        body["customer_contact"] = json!({ "name": "Giulia", "email": "giulia@contoso.com" });
        let subject = parse_submission(body.as_object().unwrap(), today())
            .unwrap()
            .subject;
        assert_eq!(subject.customer_contact.locale.as_str(), "en");
        assert_eq!(subject.customer_contact.time_zone.name(), "UTC");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        // GIVEN a body with five different faults
        let mut body = valid_body();
        body["tenant_id"] = json!("not-a-guid");
        body["customer_contact"]["email"] = json!("nope");
        body["customer_contact"]["time_zone"] = json!("Mars/Olympus");
        body["proof_of_execution"]["signed_on"] = json!("2020-01-01");
        body["colour"] = json!("blue");
        // THEN each is named with its code
        let mut found = codes(body);
        found.sort();
        let mut expected = vec![
            ("colour".to_string(), FieldCode::UnknownField),
            ("tenant_id".to_string(), FieldCode::InvalidGuid),
            (
                "customer_contact.email".to_string(),
                FieldCode::InvalidEmail,
            ),
            (
                "customer_contact.time_zone".to_string(),
                FieldCode::InvalidTimeZone,
            ),
            (
                "proof_of_execution.signed_on".to_string(),
                FieldCode::PoeTooOld,
            ),
        ];
        expected.sort();
        assert_eq!(found, expected);
    }

    #[test]
    fn an_empty_body_names_every_required_field() {
        let found = codes(json!({}));
        let required: Vec<&str> = found
            .iter()
            .filter(|(_, c)| *c == FieldCode::Required)
            .map(|(f, _)| f.as_str())
            .collect();
        assert_eq!(
            required,
            vec![
                "tenant_id",
                "customer_domain",
                "program",
                "workload",
                "customer_contact",
                "partner_contact",
                "proof_of_execution"
            ]
        );
    }

    #[test]
    fn the_partner_id_is_never_taken_from_the_body() {
        let mut body = valid_body();
        body["partner_id"] = json!("7654321");
        assert_eq!(
            codes(body),
            vec![("partner_id".to_string(), FieldCode::UnknownField)]
        );
    }

    #[test]
    fn bizapps_claims_need_a_subscription_and_others_refuse_one() {
        let mut body = valid_body();
        body["program"] = json!("osu-bizapps");
        body["workload"] = json!("dynamics-sales");
        assert_eq!(
            codes(body.clone()),
            vec![(
                "subscription_id".to_string(),
                FieldCode::SubscriptionRequired
            )]
        );
        body["subscription_id"] = json!("11111111-2222-3333-4444-555555555555");
        assert!(parse_submission(body.as_object().unwrap(), today()).is_ok());

        let mut body = valid_body();
        body["subscription_id"] = json!("11111111-2222-3333-4444-555555555555");
        assert_eq!(
            codes(body),
            vec![(
                "subscription_id".to_string(),
                FieldCode::SubscriptionNotAllowed
            )]
        );
    }

    #[test]
    fn wrong_json_types_are_refused_not_coerced() {
        let mut body = valid_body();
        body["program"] = json!(7);
        body["customer_contact"] = json!("Giulia");
        let found = codes(body);
        assert!(found.contains(&("program".to_string(), FieldCode::InvalidType)));
        assert!(found.contains(&("customer_contact".to_string(), FieldCode::InvalidType)));
    }
}
