//! What the claim's tests share, and other modules' tests too: a claim at each step of its
//! lifecycle, as one partner, tenant and reviewer make it; and the tests of the claim's subject.

use super::*;
use crate::calendar::{BusinessCalendar, OptOutWindow};
use crate::contact::{CustomerTimeZone, EmailAddress, Locale};
use crate::reference::TenantContact;
use crate::review::{InformationCode, Message, RejectionCode};
use chrono::NaiveDate;

pub(crate) fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

pub(crate) fn subject() -> ClaimSubject {
    let program = Program::parse("osu-m365").unwrap();
    ClaimSubject {
        tenant_id: TenantId::parse("0f8fad5b-d9cb-469f-a165-70867728950e").unwrap(),
        customer_domain: CustomerDomain::parse("contoso.onmicrosoft.com").unwrap(),
        program,
        workload: program.workload("teams").unwrap(),
        subscription_id: None,
        customer_contact: CustomerContact {
            name: "Giulia Rossi".into(),
            email: EmailAddress::parse("giulia@contoso.com").unwrap(),
            title: None,
            locale: Locale::default(),
            time_zone: CustomerTimeZone::default(),
        },
        partner_contact: PartnerContact {
            name: "Sam Lee".into(),
            email: EmailAddress::parse("sam@fabrikam.com").unwrap(),
            locale: Locale::default(),
        },
        proof_of_execution: ProofOfExecution {
            reference: "SOW-1".into(),
            signed_on: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        },
    }
}

pub(crate) fn submitted(at_: DateTime<Utc>) -> Claim {
    Claim::submit(
        ClaimId::new_at(at_),
        PartnerId::parse("1234567").unwrap(),
        "Fabrikam".into(),
        subject(),
        at_,
    )
    .0
}

/// A claim approved by the automatic policy at `at`.
pub(crate) fn approved(at_: DateTime<Utc>) -> Claim {
    submitted(at_).approve_automatically(at_).unwrap().claim
}

pub(crate) fn reviewer() -> ReviewerId {
    ReviewerId::parse("reviewer-7").unwrap()
}

pub(super) fn message(text: &str) -> Message {
    Message::parse(text).unwrap()
}

pub(super) fn calendar() -> BusinessCalendar {
    BusinessCalendar::default()
}

pub(super) fn notified() -> (Claim, OptOutWindow) {
    let claim = approved(at("2026-11-25T09:00:00Z"));
    let window = calendar().opt_out_window(at("2026-11-25T10:00:00Z"), crate::zone::Zone::UTC);
    (claim.notify(window).unwrap().claim, window)
}

pub(super) fn reason() -> WithdrawalReason {
    WithdrawalReason::parse("engagement ended").unwrap()
}

pub(super) fn proof(signed_on: &str) -> ProofOfExecution {
    ProofOfExecution {
        reference: "https://fabrikam.example/sow/2.pdf".into(),
        signed_on: NaiveDate::parse_from_str(signed_on, "%Y-%m-%d").unwrap(),
    }
}

/// A claim waiting for the partner's answer, asked on Wednesday 2026-11-25 10:00 UTC (due
/// the end of Wednesday 2 December, UTC).
pub(super) fn information_requested() -> Claim {
    submitted(at("2026-11-25T09:00:00Z"))
        .request_information(
            at("2026-11-25T10:00:00Z"),
            &reviewer(),
            vec![InformationCode::MissingCustomerSignature],
            message("the statement of work is not signed"),
            &calendar(),
        )
        .unwrap()
        .claim
}

/// A claim rejected by a reviewer on 2026-11-26 10:00 UTC.
pub(super) fn rejected() -> Claim {
    submitted(at("2026-11-25T09:00:00Z"))
        .reject(
            at("2026-11-26T10:00:00Z"),
            &reviewer(),
            RejectionCode::InsufficientProofOfExecution,
            message("no signature"),
        )
        .unwrap()
        .claim
}

pub(super) fn disputed() -> Claim {
    rejected()
        .dispute(
            at("2026-11-27T10:00:00Z"),
            &message("signed copy attached"),
            None,
        )
        .unwrap()
        .claim
}

pub(super) fn contested(holder: &Claim) -> Claim {
    let at_ = at("2026-11-26T09:00:00Z");
    let (claim, entry) = Claim::contest(
        ClaimId::new_at(at_),
        PartnerId::parse("7654321").unwrap(),
        "Northwind".into(),
        subject(),
        at_,
        holder.id,
        &message("Our statement of work is newer."),
    );
    assert_eq!(entry.event, HistoryEvent::ContestFiled);
    assert_eq!((entry.from, entry.to), (None, ClaimStatus::Contested));
    claim
}

/// A claim made official the night after its window closed (2026-12-03 02:00 UTC).
pub(super) fn associated() -> Claim {
    let (claim, _) = notified();
    claim.finalize(at("2026-12-03T02:00:00Z")).unwrap().claim
}

pub(super) fn unreachable() -> Claim {
    let (claim, _) = notified();
    claim
        .record_mail_feedback(at("2026-11-25T10:05:00Z"), 1, MailFeedback::PermanentBounce)
        .unwrap()
        .claim
}

/// `contact`, checked against Contoso's verified domains as a correction's is.
pub(crate) fn verified(contact: CustomerContact) -> TenantContact {
    let contoso = crate::reference::TenantRecord {
        tenant_id: subject().tenant_id,
        domains: ["contoso.onmicrosoft.com", "contoso.com"]
            .iter()
            .map(|d| CustomerDomain::parse(d).unwrap())
            .collect(),
        subscriptions: vec![],
    };
    contoso.contact(contact).unwrap()
}

pub(super) fn corrected_contact() -> CustomerContact {
    CustomerContact {
        name: "Marco Bianchi".into(),
        email: EmailAddress::parse("marco@contoso.com").unwrap(),
        title: None,
        locale: Locale::default(),
        time_zone: CustomerTimeZone::default(),
    }
}

/// Sent again to a corrected contact at `at`: the window of that notification.
pub(super) fn renotified(claim: &Claim, at_: DateTime<Utc>) -> Claim {
    let window = calendar().opt_out_window(at_, crate::zone::Zone::UTC);
    claim.notify(window).unwrap().claim
}

#[test]
fn bizapps_claims_lock_the_subscription_and_others_the_workload() {
    let mut s = subject();
    assert_eq!(
        s.lock().as_str(),
        "0f8fad5b-d9cb-469f-a165-70867728950e#workload#teams"
    );
    s.program = Program::parse("osu-bizapps").unwrap();
    s.workload = s.program.workload("power-bi").unwrap();
    s.subscription_id =
        Some(SubscriptionId::parse("11111111-2222-3333-4444-555555555555").unwrap());
    assert_eq!(
        s.lock().as_str(),
        "0f8fad5b-d9cb-469f-a165-70867728950e#subscription#11111111-2222-3333-4444-555555555555"
    );
}
