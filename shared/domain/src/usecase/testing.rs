//! What the use cases' tests share: two partners and two tenants as the example seed file has
//! them, a valid submission, and claims stored in each state on the in-memory store.

use crate::calendar::BusinessCalendar;
use crate::caller::{Caller, Role};
use crate::claim::tests::{at, subject};
use crate::claim::{Claim, WithdrawalReason};
use crate::ids::{ClaimId, PartnerId};
use crate::memory::MemoryStore;
use crate::ports::{ClaimRepository, SubmissionStore};
use crate::reference::ReferenceData;
use crate::token::{OptOutKeyring, SigningKey};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// The partner the tests act for, enrolled in every program.
pub(crate) const FABRIKAM: &str = "1234567";
/// Another partner, enrolled in the Microsoft 365 programs.
pub(crate) const NORTHWIND: &str = "7654321";
/// The tenant of the claims, with the domain `contoso.onmicrosoft.com`.
pub(crate) const CONTOSO: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
/// Another tenant, with the domain `litware.onmicrosoft.com`.
pub(crate) const LITWARE: &str = "6b1e2f3a-4c5d-4e6f-8a9b-0c1d2e3f4a5b";

/// The tests' present: Wednesday 25 November 2026, 09:00 UTC.
pub(crate) fn now() -> DateTime<Utc> {
    at("2026-11-25T09:00:00Z")
}

pub(crate) fn caller(partner: &str, role: Option<Role>) -> Caller {
    Caller {
        partner_id: PartnerId::parse(partner).unwrap(),
        role,
    }
}

pub(crate) fn admin(partner: &str) -> Caller {
    caller(partner, Some(Role::IncentivesAdmin))
}

/// The send-once routine on the in-memory store and mailer, with the service's lease.
pub(crate) fn sends<'a>(
    store: &'a MemoryStore,
    mailer: &'a crate::memory::MemoryMailer,
    clock: &'a crate::clock::FixedClock,
    pauses: &'a crate::clock::RecordedPauses,
) -> crate::usecase::send::SendOnce<'a> {
    crate::usecase::send::SendOnce {
        ledger: store,
        mailer,
        clock,
        pause: pauses,
        send_lease: crate::usecase::send::SEND_LEASE,
    }
}

/// The partners and tenants of `infra/local/examples/seed.json`.
pub(crate) fn reference_json() -> Value {
    serde_json::from_str(include_str!("../../../../infra/local/examples/seed.json")).unwrap()
}

/// A store holding the partners and tenants of `infra/local/examples/seed.json`.
pub(crate) fn store() -> MemoryStore {
    MemoryStore::with_reference_data(&ReferenceData::parse(&reference_json()).unwrap())
}

/// A claim of `partner` on Contoso's Dynamics 365 Sales subscription (`osu-bizapps`), submitted
/// and stored at `at` with its lock.
pub(crate) async fn bizapps_claim(store: &MemoryStore, partner: &str, at: DateTime<Utc>) -> Claim {
    let mut subject = subject();
    subject.program = crate::catalogue::Program::parse("osu-bizapps").unwrap();
    subject.workload = subject.program.workload("dynamics-sales").unwrap();
    subject.subscription_id =
        Some(crate::ids::SubscriptionId::parse("11111111-2222-3333-4444-555555555555").unwrap());
    let (claim, entry) = Claim::submit(
        ClaimId::new_at(at),
        PartnerId::parse(partner).unwrap(),
        "Fabrikam Consulting".into(),
        subject,
        at,
    );
    store
        .create_claim(&claim, std::slice::from_ref(&entry), None, None)
        .await
        .unwrap();
    claim
}

/// Fabrikam's claim on Contoso's Teams, as the contract's example sends it.
pub(crate) fn body() -> Value {
    json!({
        "tenant_id": CONTOSO,
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

pub(crate) fn keyring() -> OptOutKeyring {
    OptOutKeyring::new(
        SigningKey::new("k1", b"the tests' opt-out secret").unwrap(),
        vec![],
    )
}

pub(crate) fn reason(text: &str) -> WithdrawalReason {
    WithdrawalReason::parse(text).unwrap()
}

/// A claim of `partner` on Contoso's `workload` (in `osu-m365`, customer in UTC), submitted
/// and stored at `at` with its lock.
pub(crate) async fn submitted(
    store: &MemoryStore,
    partner: &str,
    workload: &str,
    at: DateTime<Utc>,
) -> Claim {
    let mut subject = subject();
    subject.workload = subject.program.workload(workload).unwrap();
    let (claim, entry) = Claim::submit(
        ClaimId::new_at(at),
        PartnerId::parse(partner).unwrap(),
        "Fabrikam Consulting".into(),
        subject,
        at,
    );
    store
        .create_claim(&claim, std::slice::from_ref(&entry), None, None)
        .await
        .unwrap();
    claim
}

/// The claim, notified at `notified_at` (the default calendar): awaiting its customer.
pub(crate) async fn notified(
    store: &MemoryStore,
    claim: &Claim,
    notified_at: DateTime<Utc>,
) -> Claim {
    let approved = approved(store, claim, notified_at).await;
    let zone = approved.subject.customer_contact.time_zone.tz();
    let window = BusinessCalendar::default().opt_out_window(notified_at, zone);
    let transition = approved.notify(window).unwrap();
    store.apply(&transition).await.unwrap();
    transition.claim
}

/// The claim, approved (as the automatic policy approves) at `at`.
pub(crate) async fn approved(store: &MemoryStore, claim: &Claim, at: DateTime<Utc>) -> Claim {
    let transition = claim.approve_automatically(at).unwrap();
    store.apply(&transition).await.unwrap();
    transition.claim
}

/// Fabrikam's claim on Contoso's Teams, submitted at [`now`] and notified an hour later.
pub(crate) async fn awaiting_customer(store: &MemoryStore) -> Claim {
    let claim = submitted(store, FABRIKAM, "teams", now()).await;
    notified(store, &claim, at("2026-11-25T10:00:00Z")).await
}
