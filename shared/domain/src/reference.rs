//! Reference data: the partners enrolled in programs, and the tenants with their domains and
//! subscriptions. Claims are checked against it.

use crate::catalogue::{LockUnit, Program, Workload};
use crate::claim::ClaimSubject;
use crate::contact::{CustomerContact, EmailAddress, MAX_NAME_CHARS};
use crate::domain_name::CustomerDomain;
use crate::ids::{PartnerId, SubscriptionId, TenantId};
use crate::validation::{FieldCode, Invalid, ObjectReader, ValidationErrors, check_text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A partner of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerRecord {
    pub partner_id: PartnerId,
    /// The registered display name.
    pub name: String,
    /// The programs the partner is enrolled in.
    pub programs: Vec<Program>,
}

/// A subscription of a tenant, for one workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSubscription {
    pub subscription_id: SubscriptionId,
    pub workload: Workload,
    /// Whether it may be claimed: active or in grace; records kept before states existed are
    /// active.
    #[serde(default)]
    pub state: SubscriptionState,
    /// When it ended, once it did.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::time::serde_instant::option"
    )]
    pub ended_at: Option<DateTime<Utc>>,
}

/// Where a subscription stands, as the directory says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionState {
    #[default]
    Active,
    /// Lapsed but still usable for a while: it may still be claimed.
    Grace,
    /// It ended: its claims end with it, and it may not be claimed.
    Ended,
}

impl SubscriptionState {
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        match text {
            "active" => Ok(Self::Active),
            "grace" => Ok(Self::Grace),
            "ended" => Ok(Self::Ended),
            _ => Err(Invalid::new(
                FieldCode::InvalidValue,
                "must be one of: active, grace, ended",
            )),
        }
    }

    /// True when a claim may name it.
    pub fn may_be_claimed(self) -> bool {
        match self {
            Self::Active | Self::Grace => true,
            Self::Ended => false,
        }
    }
}

/// A subscription the directory says ended: the nightly run ends the claim holding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedSubscription {
    pub tenant_id: TenantId,
    pub subscription_id: SubscriptionId,
    pub ended_at: DateTime<Utc>,
}

impl TenantRecord {
    /// Its subscriptions that ended.
    pub fn ended_subscriptions(&self) -> impl Iterator<Item = EndedSubscription> + '_ {
        self.subscriptions.iter().filter_map(|s| {
            s.ended_at
                .filter(|_| s.state == SubscriptionState::Ended)
                .map(|ended_at| EndedSubscription {
                    tenant_id: self.tenant_id,
                    subscription_id: s.subscription_id,
                    ended_at,
                })
        })
    }
}

/// A tenant of the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantRecord {
    pub tenant_id: TenantId,
    /// Its verified domains.
    pub domains: Vec<CustomerDomain>,
    /// Its business-applications subscriptions.
    #[serde(default)]
    pub subscriptions: Vec<TenantSubscription>,
}

impl TenantRecord {
    /// True when `email` is at one of the tenant's verified domains or a subdomain of one:
    /// an address of the customer's, never one outside the tenant that a partner chose.
    pub fn receives_mail_at(&self, email: &EmailAddress) -> bool {
        let domain = email.delivery_domain();
        self.domains.iter().any(|verified| {
            let verified = verified.as_str();
            domain == verified
                || domain
                    .strip_suffix(verified)
                    .is_some_and(|sub| sub.ends_with('.'))
        })
    }

    /// `contact`, once its address is known to be the tenant's ([`Self::receives_mail_at`]).
    pub fn contact(&self, contact: CustomerContact) -> Result<TenantContact, ContactOutsideTenant> {
        if self.receives_mail_at(&contact.email) {
            Ok(TenantContact(contact))
        } else {
            Err(ContactOutsideTenant {
                tenant_id: self.tenant_id,
            })
        }
    }
}

/// A customer contact whose address is at one of its tenant's domains: the only contact a
/// claim's customer contact may be corrected to, so the consent e-mail always reaches the
/// customer and never an address the partner chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantContact(CustomerContact);

impl TenantContact {
    pub fn into_contact(self) -> CustomerContact {
        self.0
    }
}

/// The customer contact's address is at none of the tenant's domains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the customer contact's e-mail address is at none of tenant {tenant_id}'s verified domains \
     nor a subdomain of one: the customer's e-mail must reach the customer"
)]
pub struct ContactOutsideTenant {
    pub tenant_id: TenantId,
}

/// Reference data to load, in the shape of `POST /_local/seed` and `cpor-ops import`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceData {
    #[serde(default)]
    pub partners: Vec<PartnerRecord>,
    #[serde(default)]
    pub tenants: Vec<TenantRecord>,
}

impl ReferenceData {
    /// Parses a reference data document (`{"partners": [...], "tenants": [...]}`), checking
    /// every record and naming every refused field at once (e.g. `partners[2].programs[0]`),
    /// so that a file is fixed in one pass and nothing is loaded from a file with any fault. A
    /// partner or tenant given twice is refused: which of the two would win is not obvious.
    pub fn parse(document: &Value) -> Result<Self, ValidationErrors> {
        let Some(object) = document.as_object() else {
            return Err(ValidationErrors::single(
                "document",
                Invalid::new(
                    FieldCode::InvalidType,
                    "must be an object: {\"partners\": [...], \"tenants\": [...]}",
                ),
            ));
        };
        let mut errors = ValidationErrors::default();
        let reader = ObjectReader::new(object);
        reader.reject_unknown(&["partners", "tenants"], &mut errors);

        let mut partners = Vec::new();
        let mut partner_at: HashMap<PartnerId, String> = HashMap::new();
        for (path, record) in list_of_objects(&reader, "partners", &mut errors) {
            let record = ObjectReader::at(record, &path);
            let partner = read_partner(&record, &mut errors);
            // A duplicate is named even when the record has other faults.
            let id = record.value("partner_id").and_then(Value::as_str);
            if let Some(id) = id.and_then(|id| PartnerId::parse(id).ok()) {
                match partner_at.get(&id) {
                    Some(first) => errors.push(record.path("partner_id"), duplicate(first)),
                    None => {
                        partner_at.insert(id, path);
                        partners.extend(partner);
                    }
                }
            }
        }
        let mut tenants = Vec::new();
        let mut tenant_at: HashMap<TenantId, String> = HashMap::new();
        for (path, record) in list_of_objects(&reader, "tenants", &mut errors) {
            let record = ObjectReader::at(record, &path);
            let tenant = read_tenant(&record, &mut errors);
            let id = record.value("tenant_id").and_then(Value::as_str);
            if let Some(id) = id.and_then(|id| TenantId::parse(id).ok()) {
                match tenant_at.get(&id) {
                    Some(first) => errors.push(record.path("tenant_id"), duplicate(first)),
                    None => {
                        tenant_at.insert(id, path);
                        tenants.extend(tenant);
                    }
                }
            }
        }
        errors.into_result(|| Some(Self { partners, tenants }))
    }
}

fn duplicate(first: &str) -> Invalid {
    Invalid::new(
        FieldCode::InvalidValue,
        format!("is given twice: {first} has the same id; give each record once"),
    )
}

/// The elements of an optional list of objects, each with its path (`partners[0]`, ...).
fn list_of_objects<'a>(
    reader: &ObjectReader<'a>,
    name: &str,
    errors: &mut ValidationErrors,
) -> Vec<(String, &'a Map<String, Value>)> {
    let Some(value) = reader.value(name) else {
        return Vec::new();
    };
    let Some(items) = value.as_array() else {
        errors.push(
            reader.path(name),
            Invalid::new(FieldCode::InvalidType, "must be a list of objects"),
        );
        return Vec::new();
    };
    let mut objects = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("{}[{i}]", reader.path(name));
        match item.as_object() {
            Some(object) => objects.push((path, object)),
            None => errors.push(
                path,
                Invalid::new(FieldCode::InvalidType, "must be an object"),
            ),
        }
    }
    objects
}

/// A list of strings, each parsed with `parse`; `None` when the field or any element is
/// refused (each refusal recorded). An absent field is `required` unless `optional`.
fn list_of<T>(
    reader: &ObjectReader<'_>,
    name: &str,
    optional: bool,
    errors: &mut ValidationErrors,
    parse: impl Fn(&str) -> Result<T, Invalid>,
) -> Option<Vec<T>> {
    let Some(value) = reader.value(name) else {
        if optional {
            return Some(Vec::new());
        }
        errors.push(
            reader.path(name),
            Invalid::new(FieldCode::Required, "is required (a list, possibly empty)"),
        );
        return None;
    };
    let Some(items) = value.as_array() else {
        errors.push(
            reader.path(name),
            Invalid::new(FieldCode::InvalidType, "must be a list"),
        );
        return None;
    };
    let mut parsed = Vec::new();
    let mut refused = false;
    for (i, item) in items.iter().enumerate() {
        let path = format!("{}[{i}]", reader.path(name));
        let result = item
            .as_str()
            .ok_or_else(|| Invalid::new(FieldCode::InvalidType, "must be a string"))
            .and_then(&parse);
        match result {
            Ok(value) => parsed.push(value),
            Err(invalid) => {
                errors.push(path, invalid);
                refused = true;
            }
        }
    }
    (!refused).then_some(parsed)
}

fn read_partner(record: &ObjectReader<'_>, errors: &mut ValidationErrors) -> Option<PartnerRecord> {
    record.reject_unknown(&["partner_id", "name", "programs"], errors);
    let partner_id = record.required("partner_id", errors, PartnerId::parse);
    // The name is shown to customers: the same rules as the names in a claim.
    let name = record.required("name", errors, |text| {
        check_text(text, MAX_NAME_CHARS).map(str::to_owned)
    });
    let programs = list_of(record, "programs", false, errors, Program::parse);
    Some(PartnerRecord {
        partner_id: partner_id?,
        name: name?,
        programs: programs?,
    })
}

fn read_tenant(record: &ObjectReader<'_>, errors: &mut ValidationErrors) -> Option<TenantRecord> {
    record.reject_unknown(&["tenant_id", "domains", "subscriptions"], errors);
    let tenant_id = record.required("tenant_id", errors, TenantId::parse);
    let domains = list_of(record, "domains", false, errors, CustomerDomain::parse);
    let mut subscriptions = Some(Vec::new());
    for (path, object) in list_of_objects(record, "subscriptions", errors) {
        let subscription = ObjectReader::at(object, path);
        subscription.reject_unknown(
            &["subscription_id", "workload", "state", "ended_at"],
            errors,
        );
        let id = subscription.required("subscription_id", errors, SubscriptionId::parse);
        let workload = subscription.required("workload", errors, Workload::parse);
        let state = subscription.optional("state", errors, SubscriptionState::parse);
        let ended_at = subscription.optional("ended_at", errors, |text| {
            crate::time::parse_instant(text)
                .ok_or_else(|| Invalid::new(FieldCode::InvalidValue, "must be an RFC 3339 instant"))
        });
        // An ended subscription says when; another has no end.
        let ended = match (state, ended_at) {
            (Some(Some(SubscriptionState::Ended)), Some(None)) => {
                errors.push(
                    subscription.path("ended_at"),
                    Invalid::new(
                        FieldCode::Required,
                        "an ended subscription says when it ended",
                    ),
                );
                None
            }
            (
                Some(None | Some(SubscriptionState::Active | SubscriptionState::Grace)),
                Some(Some(_)),
            ) => {
                errors.push(
                    subscription.path("ended_at"),
                    Invalid::new(
                        FieldCode::InvalidValue,
                        "only an ended subscription has an end",
                    ),
                );
                None
            }
            (Some(state), Some(ended_at)) => Some((state.unwrap_or_default(), ended_at)),
            // Refused already.
            (None, _) | (_, None) => None,
        };
        subscriptions = match (subscriptions, id, workload, ended) {
            (Some(mut list), Some(subscription_id), Some(workload), Some((state, ended_at))) => {
                list.push(TenantSubscription {
                    subscription_id,
                    workload,
                    state,
                    ended_at,
                });
                Some(list)
            }
            _ => None,
        };
    }
    Some(TenantRecord {
        tenant_id: tenant_id?,
        domains: domains?,
        subscriptions: subscriptions?,
    })
}

/// Why the reference data refuses a claim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// The partner is unknown, or not enrolled in the program.
    #[error("partner {partner_id} is not enrolled in {program}")]
    PartnerNotEnrolled {
        partner_id: PartnerId,
        program: Program,
    },
    /// The tenant is not in the directory.
    #[error("tenant {0} is not in the directory")]
    UnknownTenant(TenantId),
    /// The domain is not one of the tenant's.
    #[error("{domain} is not a domain of tenant {tenant_id}")]
    DomainTenantMismatch {
        tenant_id: TenantId,
        /// The domain given.
        domain: CustomerDomain,
    },
    /// The subscription is not the tenant's, or not for the workload.
    #[error("subscription {subscription_id} of tenant {tenant_id} is not one for {workload}")]
    SubscriptionNotFound {
        tenant_id: TenantId,
        /// The subscription given.
        subscription_id: SubscriptionId,
        /// The workload claimed.
        workload: Workload,
    },
    /// The subscription ended: it may not be claimed.
    #[error("subscription {subscription_id} of tenant {tenant_id} is neither active nor in grace")]
    SubscriptionNotActive {
        tenant_id: TenantId,
        subscription_id: SubscriptionId,
    },
    /// The customer contact's address is not the tenant's.
    #[error(transparent)]
    ContactDomainMismatch(ContactOutsideTenant),
}

/// Checks a claim against the reference data, in the order a partner would fix things: the
/// partner's enrolment, the tenant, its domain, its subscription, the customer contact's
/// address. Returns the partner record.
pub fn check_subject<'a>(
    partner_id: &PartnerId,
    partner: Option<&'a PartnerRecord>,
    tenant: Option<&TenantRecord>,
    subject: &ClaimSubject,
) -> Result<&'a PartnerRecord, ReferenceError> {
    let partner = partner
        .filter(|p| p.programs.contains(&subject.program))
        .ok_or_else(|| ReferenceError::PartnerNotEnrolled {
            partner_id: partner_id.clone(),
            program: subject.program,
        })?;
    let tenant = tenant.ok_or(ReferenceError::UnknownTenant(subject.tenant_id))?;
    if !tenant.domains.contains(&subject.customer_domain) {
        return Err(ReferenceError::DomainTenantMismatch {
            tenant_id: subject.tenant_id,
            domain: subject.customer_domain.clone(),
        });
    }
    if let (LockUnit::Subscription, Some(subscription_id)) =
        (subject.program.lock_unit(), subject.subscription_id)
    {
        let found = tenant
            .subscriptions
            .iter()
            .find(|s| s.subscription_id == subscription_id && s.workload == subject.workload)
            .ok_or(ReferenceError::SubscriptionNotFound {
                tenant_id: subject.tenant_id,
                subscription_id,
                workload: subject.workload,
            })?;
        if !found.state.may_be_claimed() {
            return Err(ReferenceError::SubscriptionNotActive {
                tenant_id: subject.tenant_id,
                subscription_id,
            });
        }
    }
    if !tenant.receives_mail_at(&subject.customer_contact.email) {
        return Err(ReferenceError::ContactDomainMismatch(
            ContactOutsideTenant {
                tenant_id: subject.tenant_id,
            },
        ));
    }
    Ok(partner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::tests::subject;

    fn partner(programs: &[&str]) -> PartnerRecord {
        PartnerRecord {
            partner_id: PartnerId::parse("1234567").unwrap(),
            name: "Fabrikam".into(),
            programs: programs
                .iter()
                .map(|p| Program::parse(p).unwrap())
                .collect(),
        }
    }

    fn tenant(domains: &[&str]) -> TenantRecord {
        TenantRecord {
            tenant_id: subject().tenant_id,
            domains: domains
                .iter()
                .map(|d| CustomerDomain::parse(d).unwrap())
                .collect(),
            subscriptions: vec![],
        }
    }

    #[test]
    fn the_example_reference_file_parses_into_its_records() {
        let document: Value =
            serde_json::from_str(include_str!("../../../infra/local/examples/seed.json")).unwrap();
        let data = ReferenceData::parse(&document).unwrap();
        assert_eq!((data.partners.len(), data.tenants.len()), (2, 2));
        // the same records as the serde form reads
        assert_eq!(data, serde_json::from_value(document).unwrap());
    }

    #[test]
    fn every_problem_of_a_reference_file_is_named_at_once() {
        // GIVEN a file with a good partner and several faults in other records
        let document = serde_json::json!({
            "partners": [
                { "partner_id": "1234567", "name": "Fabrikam", "programs": ["osu-m365"] },
                { "partner_id": "12", "name": "Bad\nName", "programs": ["osu-m365", "nope"] },
                { "name": "No Id", "programs": [], "tier": "gold" },
                "not an object"
            ],
            "tenants": [
                { "tenant_id": "0f8fad5b-d9cb-469f-a165-70867728950e", "domains": ["not a domain"],
                  "subscriptions": [{ "subscription_id": "x", "workload": "power-bi" }] },
                { "tenant_id": "6b1e2f3a-4c5d-4e6f-8a9b-0c1d2e3f4a5b" }
            ],
            "extra": true
        });
        // WHEN it is parsed
        let errors = ReferenceData::parse(&document).unwrap_err();
        // THEN each fault is named by its path
        let found: Vec<(&str, &str)> = errors
            .errors()
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                ("extra", "unknown_field"),
                ("partners[3]", "invalid_type"),
                ("partners[1].partner_id", "invalid_value"),
                ("partners[1].name", "invalid_characters"),
                ("partners[1].programs[1]", "unknown_program"),
                ("partners[2].tier", "unknown_field"),
                ("partners[2].partner_id", "required"),
                ("tenants[0].domains[0]", "invalid_domain"),
                (
                    "tenants[0].subscriptions[0].subscription_id",
                    "invalid_guid"
                ),
                ("tenants[1].domains", "required"),
            ]
        );
    }

    #[test]
    fn a_record_given_twice_in_one_file_is_refused() {
        let document = serde_json::json!({
            "partners": [
                { "partner_id": "1234567", "name": "Fabrikam", "programs": ["osu-m365"] },
                { "partner_id": "1234567", "name": "Fabrikam Two", "programs": [] }
            ],
            "tenants": [
                { "tenant_id": "0f8fad5b-d9cb-469f-a165-70867728950e", "domains": ["contoso.com"] },
                { "tenant_id": "0F8FAD5B-D9CB-469F-A165-70867728950E", "domains": ["contoso.com"] }
            ]
        });
        let errors = ReferenceData::parse(&document).unwrap_err();
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["partners[1].partner_id", "tenants[1].tenant_id"]
        );
        assert!(errors.errors()[0].message.contains("partners[0]"));
    }

    #[test]
    fn a_document_that_is_not_an_object_is_refused() {
        let errors = ReferenceData::parse(&serde_json::json!([1, 2])).unwrap_err();
        assert_eq!(errors.errors()[0].field, "document");
    }

    #[test]
    fn a_partner_not_enrolled_in_the_program_is_refused_first() {
        let p = partner(&["osa-sell"]);
        let id = p.partner_id.clone();
        let err = check_subject(&id, Some(&p), None, &subject()).unwrap_err();
        assert!(matches!(err, ReferenceError::PartnerNotEnrolled { .. }));
        let err = check_subject(&id, None, None, &subject()).unwrap_err();
        assert!(matches!(err, ReferenceError::PartnerNotEnrolled { .. }));
    }

    #[test]
    fn a_domain_of_another_tenant_is_a_mismatch() {
        let p = partner(&["osu-m365"]);
        let id = p.partner_id.clone();
        let err = check_subject(&id, Some(&p), Some(&tenant(&["northwind.com"])), &subject())
            .unwrap_err();
        assert!(matches!(err, ReferenceError::DomainTenantMismatch { .. }));
        assert!(
            check_subject(
                &id,
                Some(&p),
                Some(&tenant(&["contoso.onmicrosoft.com", "contoso.com"])),
                &subject()
            )
            .is_ok()
        );
    }

    #[test]
    fn a_contact_at_a_verified_domain_or_a_subdomain_of_one_is_the_tenants() {
        // GIVEN a tenant with two verified domains
        let t = tenant(&["contoso.onmicrosoft.com", "contoso.com"]);
        let at = |email: &str| t.receives_mail_at(&EmailAddress::parse(email).unwrap());
        // THEN addresses at them, or at their subdomains, in any case, are the tenant's
        for email in [
            "giulia@contoso.com",
            "giulia@contoso.onmicrosoft.com",
            "Giulia@EU.Contoso.COM",
            "it@milan.eu.contoso.com",
        ] {
            assert!(at(email), "{email}");
        }
        // AND the partner's own domain, look-alikes and suffix tricks are not
        for email in [
            "ops@fabrikam.com",
            "giulia@evilcontoso.com",
            "giulia@contoso.com.fabrikam.example",
            "giulia@onmicrosoft.com",
            "giulia@contoso.co",
        ] {
            assert!(!at(email), "{email}");
        }
    }

    #[test]
    fn an_internationalized_address_is_compared_in_its_a_label_form() {
        let t = tenant(&["xn--bcher-kva.example"]);
        assert!(t.receives_mail_at(&EmailAddress::parse("anna@Bücher.example").unwrap()));
        assert!(
            t.receives_mail_at(&EmailAddress::parse("anna@shop.xn--bcher-kva.example").unwrap())
        );
    }

    #[test]
    fn a_claim_whose_contact_is_outside_the_tenant_is_refused_after_the_other_checks() {
        // GIVEN a claim otherwise right, whose customer contact is the partner's own inbox
        let p = partner(&["osu-m365"]);
        let id = p.partner_id.clone();
        let mut s = subject();
        s.customer_contact.email = EmailAddress::parse("ops@fabrikam.com").unwrap();
        let t = tenant(&["contoso.onmicrosoft.com", "contoso.com"]);
        // WHEN it is checked
        let err = check_subject(&id, Some(&p), Some(&t), &s).unwrap_err();
        // THEN the contact is refused
        assert_eq!(
            err,
            ReferenceError::ContactDomainMismatch(ContactOutsideTenant {
                tenant_id: s.tenant_id
            })
        );
        // AND a correction to it is refused the same way
        assert!(t.contact(s.customer_contact.clone()).is_err());
        s.customer_contact.email = EmailAddress::parse("giulia@contoso.com").unwrap();
        assert!(t.contact(s.customer_contact.clone()).is_ok());
    }

    #[test]
    fn a_bizapps_subscription_must_be_the_tenants_and_for_the_workload() {
        let p = partner(&["osu-bizapps"]);
        let id = p.partner_id.clone();
        let mut s = subject();
        s.program = Program::parse("osu-bizapps").unwrap();
        s.workload = s.program.workload("power-bi").unwrap();
        let sub = SubscriptionId::parse("11111111-2222-3333-4444-555555555555").unwrap();
        s.subscription_id = Some(sub);
        let mut t = tenant(&["contoso.onmicrosoft.com", "contoso.com"]);
        t.subscriptions.push(TenantSubscription {
            subscription_id: sub,
            workload: Workload::parse("power-apps").unwrap(),
            state: SubscriptionState::Active,
            ended_at: None,
        });
        let err = check_subject(&id, Some(&p), Some(&t), &s).unwrap_err();
        assert!(matches!(err, ReferenceError::SubscriptionNotFound { .. }));
        t.subscriptions[0].workload = Workload::parse("power-bi").unwrap();
        assert!(check_subject(&id, Some(&p), Some(&t), &s).is_ok());
        // AND one in grace may be claimed, an ended one not
        t.subscriptions[0].state = SubscriptionState::Grace;
        assert!(check_subject(&id, Some(&p), Some(&t), &s).is_ok());
        t.subscriptions[0].state = SubscriptionState::Ended;
        let err = check_subject(&id, Some(&p), Some(&t), &s).unwrap_err();
        assert!(matches!(err, ReferenceError::SubscriptionNotActive { .. }));
    }

    /// A subscription is active unless the directory says otherwise; an ended one says when it
    /// ended, and only an ended one has an end.
    #[test]
    fn a_subscription_s_state_is_active_by_default_and_only_an_ended_one_has_an_end() {
        let tenant = |subscription: Value| {
            serde_json::json!({ "tenants": [{
                "tenant_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
                "domains": ["contoso.com"],
                "subscriptions": [subscription],
            }] })
        };
        let sub = "11111111-2222-3333-4444-555555555555";
        let data = ReferenceData::parse(&tenant(
            serde_json::json!({ "subscription_id": sub, "workload": "power-bi" }),
        ))
        .unwrap();
        assert_eq!(
            data.tenants[0].subscriptions[0].state,
            SubscriptionState::Active
        );
        let ended = ReferenceData::parse(&tenant(serde_json::json!({
            "subscription_id": sub, "workload": "power-bi",
            "state": "ended", "ended_at": "2026-11-30T00:00:00Z",
        })))
        .unwrap();
        let ends: Vec<EndedSubscription> = ended.tenants[0].ended_subscriptions().collect();
        assert_eq!(ends.len(), 1);
        assert_eq!(
            crate::time::format_instant(ends[0].ended_at),
            "2026-11-30T00:00:00.000Z"
        );
        for (subscription, field) in [
            (
                serde_json::json!({ "subscription_id": sub, "workload": "power-bi", "state": "ended" }),
                "ended_at",
            ),
            (
                serde_json::json!({ "subscription_id": sub, "workload": "power-bi", "state": "grace", "ended_at": "2026-11-30T00:00:00Z" }),
                "ended_at",
            ),
            (
                serde_json::json!({ "subscription_id": sub, "workload": "power-bi", "state": "paused" }),
                "state",
            ),
        ] {
            let errors = ReferenceData::parse(&tenant(subscription)).unwrap_err();
            let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
            assert_eq!(
                fields,
                [format!("tenants[0].subscriptions[0].{field}")],
                "{field}"
            );
        }
    }
}
