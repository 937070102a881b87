//! Reference data: the partners enrolled in programs, and the tenants with their domains and
//! subscriptions. Claims are checked against it.

use crate::catalogue::{LockUnit, Program, Workload};
use crate::claim::ClaimSubject;
use crate::domain_name::CustomerDomain;
use crate::ids::{PartnerId, SubscriptionId, TenantId};
use serde::{Deserialize, Serialize};

/// A partner of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerRecord {
    /// The partner's id.
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
    /// The subscription's id.
    pub subscription_id: SubscriptionId,
    /// The workload it is for.
    pub workload: Workload,
}

/// A tenant of the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantRecord {
    /// The tenant's id.
    pub tenant_id: TenantId,
    /// Its verified domains.
    pub domains: Vec<CustomerDomain>,
    /// Its business-applications subscriptions.
    #[serde(default)]
    pub subscriptions: Vec<TenantSubscription>,
}

/// Reference data to load, in the shape of `POST /_local/seed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceData {
    /// Partners.
    #[serde(default)]
    pub partners: Vec<PartnerRecord>,
    /// Tenants.
    #[serde(default)]
    pub tenants: Vec<TenantRecord>,
}

/// Why the reference data refuses a claim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// The partner is unknown, or not enrolled in the program.
    #[error("partner {partner_id} is not enrolled in {program}")]
    PartnerNotEnrolled {
        /// The partner.
        partner_id: PartnerId,
        /// The program.
        program: Program,
    },
    /// The tenant is not in the directory.
    #[error("tenant {0} is not in the directory")]
    UnknownTenant(TenantId),
    /// The domain is not one of the tenant's.
    #[error("{domain} is not a domain of tenant {tenant_id}")]
    DomainTenantMismatch {
        /// The tenant.
        tenant_id: TenantId,
        /// The domain given.
        domain: CustomerDomain,
    },
    /// The subscription is not the tenant's, or not for the workload.
    #[error("subscription {subscription_id} of tenant {tenant_id} is not one for {workload}")]
    SubscriptionNotFound {
        /// The tenant.
        tenant_id: TenantId,
        /// The subscription given.
        subscription_id: SubscriptionId,
        /// The workload claimed.
        workload: Workload,
    },
}

/// Checks a claim against the reference data, in the order a partner would fix things: the
/// partner's enrolment, the tenant, its domain, its subscription. Returns the partner record.
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
            .any(|s| s.subscription_id == subscription_id && s.workload == subject.workload);
        if !found {
            return Err(ReferenceError::SubscriptionNotFound {
                tenant_id: subject.tenant_id,
                subscription_id,
                workload: subject.workload,
            });
        }
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
                Some(&tenant(&["contoso.onmicrosoft.com"])),
                &subject()
            )
            .is_ok()
        );
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
        let mut t = tenant(&["contoso.onmicrosoft.com"]);
        t.subscriptions.push(TenantSubscription {
            subscription_id: sub,
            workload: Workload::parse("power-apps").unwrap(),
        });
        let err = check_subject(&id, Some(&p), Some(&t), &s).unwrap_err();
        assert!(matches!(err, ReferenceError::SubscriptionNotFound { .. }));
        t.subscriptions[0].workload = Workload::parse("power-bi").unwrap();
        assert!(check_subject(&id, Some(&p), Some(&t), &s).is_ok());
    }
}
