//! The stored shapes of the table's items, mapped to and from DynamoDB attributes by
//! serde_dynamo. These are the storage's own types: the partner API answers with types of its
//! own (`cpor_http::resource`), so renaming an attribute here changes no public contract.

use crate::schema::{PK, SK};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use cpor_domain::calendar::OptOutWindow;
use cpor_domain::catalogue::{Program, Workload};
use cpor_domain::claim::{
    Actor, Association, Claim, ClaimState, ClaimStatus, ClaimSubject, ContactChange, HistoryEntry,
    HistoryEvent, Notice, ReviewerId,
};
use cpor_domain::contact::{CustomerContact, PartnerContact};
use cpor_domain::domain_name::CustomerDomain;
use cpor_domain::events::EventSubject;
use cpor_domain::idempotency::{BodyFingerprint, IdempotencyRecord};
use cpor_domain::ids::{ClaimId, PartnerId, SubscriptionId, TenantId};
use cpor_domain::proof::ProofOfExecution;
use cpor_domain::review::{InformationRequest, Rejection};
use cpor_domain::time::serde_instant;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// The attributes that condition and update expressions name; a test checks each against the
/// record it belongs to.
pub(super) mod field {
    /// Of a claim.
    pub const STATUS: &str = "status";
    pub const VERSION: &str = "version";
    /// Of a claim: the transaction that wrote it last ([`super::super::transaction::Transaction::written_by`]).
    pub const WRITTEN_BY: &str = "written_by";
    /// Of a lock and a notification record.
    pub const CLAIM_ID: &str = "claim_id";
    /// Of an idempotency record.
    pub const CREATED_AT: &str = "created_at";
    /// Of a notification record.
    pub const STATE: &str = "state";
    pub const LEASE_UNTIL: &str = "lease_until";
    pub const LEASE_OWNER: &str = "lease_owner";
    pub const HELD_AT: &str = "held_at";
    pub const RELEASES: &str = "releases";
}

/// A claim as one flat item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRecord {
    pub claim_id: ClaimId,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub tenant_id: TenantId,
    pub customer_domain: CustomerDomain,
    pub program: Program,
    pub workload: Workload,
    pub subscription_id: Option<SubscriptionId>,
    pub status: ClaimStatus,
    #[serde(with = "serde_instant")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "serde_instant::option", default)]
    pub notified_at: Option<DateTime<Utc>>,
    #[serde(with = "serde_instant::option", default)]
    pub opt_out_deadline: Option<DateTime<Utc>>,
    #[serde(with = "serde_instant::option", default)]
    pub decided_at: Option<DateTime<Utc>>,
    pub customer_contact: CustomerContact,
    pub partner_contact: PartnerContact,
    pub proof_of_execution: ProofOfExecution,
    /// Kept on the claim as well as in the history entry that withdrew it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal_reason: Option<String>,
    /// The claim a contested claim contests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contested_holder: Option<ClaimId>,
    /// When a claim in review (submitted, disputed, contested) entered it.
    #[serde(
        with = "serde_instant::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub in_review_since: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub information_request: Option<InformationRequest>,
    #[serde(
        with = "serde_instant::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub approved_at: Option<DateTime<Utc>>,
    /// A rejected claim's rejection, or the one a disputed claim disputes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection: Option<Rejection>,
    #[serde(
        with = "serde_instant::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub dispute_until: Option<DateTime<Utc>>,
    /// When the notification of an unreachable customer bounced.
    #[serde(
        with = "serde_instant::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub bounced_at: Option<DateTime<Utc>>,
    /// The claim's first permanent bounce, from which the unreachable clock runs; claims
    /// stored before it was kept count from `bounced_at`.
    #[serde(
        with = "serde_instant::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub first_bounced_at: Option<DateTime<Utc>>,
    /// How many history entries the partner made (the bound on what a partner may append);
    /// claims stored before they were counted start from none.
    #[serde(default)]
    pub partner_entries: u32,
    /// The number of the customer's notification in force; claims stored before they were
    /// counted have had one.
    #[serde(default = "first_notice")]
    pub notice: u32,
    /// The customer marked the notification in force as spam.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub complained: bool,
    /// Where its association's effective period starts, once it became official.
    #[serde(
        with = "serde_instant::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub effective_from: Option<DateTime<Utc>>,
    /// Where that period ended, once the association stopped holding its unit.
    #[serde(
        with = "serde_instant::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub effective_until: Option<DateTime<Utc>>,
    /// The optimistic-concurrency version: the number of history entries.
    pub version: u32,
}

fn first_notice() -> u32 {
    Notice::FIRST.number
}

/// A stored record that no claim can have (a status without the fields it needs).
#[derive(Debug, thiserror::Error)]
#[error("claim record {claim_id} is inconsistent: {problem}")]
pub struct InconsistentRecord {
    pub claim_id: ClaimId,
    pub problem: &'static str,
}

impl From<&Claim> for ClaimRecord {
    fn from(claim: &Claim) -> Self {
        let window = claim.state.window();
        let s = &claim.subject;
        let mut record = Self {
            claim_id: claim.id,
            partner_id: claim.partner_id.clone(),
            partner_name: claim.partner_name.clone(),
            tenant_id: s.tenant_id,
            customer_domain: s.customer_domain.clone(),
            program: s.program,
            workload: s.workload,
            subscription_id: s.subscription_id,
            status: claim.status(),
            created_at: claim.created_at,
            notified_at: window.map(|w| w.notified_at),
            opt_out_deadline: window.map(|w| w.deadline),
            decided_at: claim.decided_at,
            customer_contact: s.customer_contact.clone(),
            partner_contact: s.partner_contact.clone(),
            proof_of_execution: s.proof_of_execution.clone(),
            withdrawal_reason: None,
            contested_holder: None,
            in_review_since: None,
            information_request: None,
            // The last approval, whatever the status: an association's period starts there.
            approved_at: claim.approved_at,
            rejection: None,
            dispute_until: None,
            bounced_at: None,
            first_bounced_at: claim.notice.first_bounce,
            partner_entries: claim.partner_entries,
            notice: claim.notice.number,
            complained: claim.notice.complained,
            effective_from: claim.association.map(|a| a.effective_from),
            effective_until: claim.association.and_then(|a| a.effective_until),
            version: claim.version,
        };
        match &claim.state {
            ClaimState::Submitted { since } => record.in_review_since = Some(*since),
            ClaimState::InformationRequested { request } => {
                record.information_request = Some(request.clone());
            }
            ClaimState::Approved { at } => record.approved_at = Some(*at),
            ClaimState::Rejected {
                rejection,
                dispute_until,
            } => {
                record.rejection = Some(rejection.clone());
                record.dispute_until = *dispute_until;
            }
            ClaimState::Disputed { since, rejection } => {
                record.in_review_since = Some(*since);
                record.rejection = Some(rejection.clone());
            }
            ClaimState::Withdrawn { reason, .. } => {
                record.withdrawal_reason = Some(reason.clone());
            }
            ClaimState::Contested { since, holder } => {
                record.in_review_since = Some(*since);
                record.contested_holder = Some(*holder);
            }
            ClaimState::CustomerUnreachable { bounced_at, .. } => {
                record.bounced_at = Some(*bounced_at);
            }
            ClaimState::AwaitingCustomer { .. }
            | ClaimState::Associated { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::Revoked { .. }
            | ClaimState::Expired { .. } => {}
        }
        record
    }
}

impl ClaimRecord {
    /// The claim's state, from the record's status and the fields that status keeps; what is
    /// missing is named.
    fn state(&self) -> Result<ClaimState, &'static str> {
        let window = match (self.notified_at, self.opt_out_deadline) {
            (Some(notified_at), Some(deadline)) => Some(OptOutWindow {
                notified_at,
                deadline,
            }),
            (None, None) => None,
            (Some(_), None) | (None, Some(_)) => return Err("half an opt-out window"),
        };
        let need_window = || window.ok_or("no opt-out window");
        // Claims stored before the review existed were submitted for notification at once.
        let since = self.in_review_since.unwrap_or(self.created_at);
        let need_rejection = || self.rejection.clone().ok_or("no rejection");
        Ok(match self.status {
            ClaimStatus::Submitted => ClaimState::Submitted { since },
            ClaimStatus::InformationRequested => ClaimState::InformationRequested {
                request: self
                    .information_request
                    .clone()
                    .ok_or("no information request")?,
            },
            ClaimStatus::Approved => ClaimState::Approved {
                at: self.approved_at.unwrap_or(self.created_at),
            },
            ClaimStatus::AwaitingCustomer => ClaimState::AwaitingCustomer {
                window: need_window()?,
            },
            ClaimStatus::Associated => ClaimState::Associated {
                window: need_window()?,
            },
            ClaimStatus::Rejected => ClaimState::Rejected {
                rejection: need_rejection()?,
                dispute_until: self.dispute_until,
            },
            ClaimStatus::Disputed => ClaimState::Disputed {
                since,
                rejection: need_rejection()?,
            },
            ClaimStatus::Declined => ClaimState::Declined {
                window: need_window()?,
            },
            ClaimStatus::Withdrawn => ClaimState::Withdrawn {
                window,
                reason: self.withdrawal_reason.clone().unwrap_or_default(),
            },
            ClaimStatus::Contested => ClaimState::Contested {
                since,
                holder: self.contested_holder.ok_or("a contest of no claim")?,
            },
            ClaimStatus::Superseded => ClaimState::Superseded { window },
            ClaimStatus::CustomerUnreachable => {
                let bounced_at = self
                    .bounced_at
                    .ok_or("an unreachable customer without a bounce")?;
                ClaimState::CustomerUnreachable {
                    window: need_window()?,
                    bounced_at,
                    since: self.first_bounced_at.unwrap_or(bounced_at),
                }
            }
            ClaimStatus::Revoked => ClaimState::Revoked {
                window: need_window()?,
            },
            ClaimStatus::Expired => ClaimState::Expired {
                window: need_window()?,
            },
        })
    }
}

impl TryFrom<ClaimRecord> for Claim {
    type Error = InconsistentRecord;

    fn try_from(r: ClaimRecord) -> Result<Self, InconsistentRecord> {
        let inconsistent = |problem| InconsistentRecord {
            claim_id: r.claim_id,
            problem,
        };
        let state = r.state().map_err(inconsistent)?;
        if r.status.is_decision() && r.decided_at.is_none() {
            return Err(inconsistent("no decision time"));
        }
        Ok(Claim {
            id: r.claim_id,
            partner_id: r.partner_id,
            partner_name: r.partner_name,
            subject: ClaimSubject {
                tenant_id: r.tenant_id,
                customer_domain: r.customer_domain,
                program: r.program,
                workload: r.workload,
                subscription_id: r.subscription_id,
                customer_contact: r.customer_contact,
                partner_contact: r.partner_contact,
                proof_of_execution: r.proof_of_execution,
            },
            created_at: r.created_at,
            state,
            decided_at: r.decided_at,
            version: r.version,
            notice: Notice {
                number: r.notice,
                complained: r.complained,
                first_bounce: r.first_bounced_at,
            },
            partner_entries: r.partner_entries,
            approved_at: r.approved_at,
            association: r.effective_from.map(|effective_from| Association {
                effective_from,
                effective_until: r.effective_until,
            }),
        })
    }
}

/// A history entry as stored. Entries written before the review existed have no `event`:
/// it is told by their statuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRecord {
    pub sequence: u32,
    #[serde(with = "serde_instant")]
    pub at: DateTime<Utc>,
    pub actor: Actor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<HistoryEvent>,
    pub from: Option<ClaimStatus>,
    pub to: ClaimStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub reason: Option<String>,
    /// On a `contact_corrected` entry that moved a notification the customer had received:
    /// the contact to tell (notify-partner reads it; the publisher never copies it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_change: Option<ContactChange>,
    /// The claim's subject, copied onto each entry so that the table's stream carries what its
    /// event needs (publish-events reads nothing else). Absent from entries written before the
    /// events existed: the publisher then reads the claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<PartnerId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<TenantId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<Program>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<Workload>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<SubscriptionId>,
    /// On the entry that starts or ends an association: its period, for the event.
    #[serde(
        with = "serde_instant::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub effective_from: Option<DateTime<Utc>>,
    #[serde(
        with = "serde_instant::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub effective_until: Option<DateTime<Utc>>,
}

impl HistoryRecord {
    /// The entry as stored, with its claim's subject when the writer has it.
    pub fn of(e: &HistoryEntry, subject: Option<&EventSubject>) -> Self {
        Self {
            partner_id: subject.map(|s| s.partner_id.clone()),
            tenant_id: subject.map(|s| s.tenant_id),
            program: subject.map(|s| s.program),
            workload: subject.map(|s| s.workload),
            subscription_id: subject.and_then(|s| s.subscription_id),
            ..Self::from(e)
        }
    }

    /// The subject the entry carries, if it carries one (all four of its required fields).
    pub fn subject(&self) -> Option<EventSubject> {
        Some(EventSubject {
            partner_id: self.partner_id.clone()?,
            tenant_id: self.tenant_id?,
            program: self.program?,
            workload: self.workload?,
            subscription_id: self.subscription_id,
        })
    }
}

impl From<&HistoryEntry> for HistoryRecord {
    fn from(e: &HistoryEntry) -> Self {
        Self {
            partner_id: None,
            tenant_id: None,
            program: None,
            workload: None,
            subscription_id: None,
            sequence: e.sequence,
            at: e.at,
            actor: e.actor,
            reviewer: e.reviewer.as_ref().map(|r| r.as_str().to_owned()),
            event: Some(e.event),
            from: e.from,
            to: e.to,
            code: e.code.clone(),
            reason: e.reason.clone(),
            contact_change: e.contact_change.as_deref().cloned(),
            effective_from: e.association.map(|a| a.effective_from),
            effective_until: e.association.and_then(|a| a.effective_until),
        }
    }
}

impl From<HistoryRecord> for HistoryEntry {
    fn from(r: HistoryRecord) -> Self {
        let event = r.event.unwrap_or(match (r.from, r.to) {
            (None, _) => HistoryEvent::Submitted,
            (Some(_), ClaimStatus::AwaitingCustomer) => HistoryEvent::CustomerNotified,
            (Some(_), ClaimStatus::Associated) => HistoryEvent::Associated,
            (Some(_), ClaimStatus::Declined) => HistoryEvent::Declined,
            (Some(_), ClaimStatus::Withdrawn) => HistoryEvent::Withdrawn,
            (
                Some(_),
                ClaimStatus::Submitted
                | ClaimStatus::InformationRequested
                | ClaimStatus::Approved
                | ClaimStatus::Rejected
                | ClaimStatus::Disputed
                | ClaimStatus::Contested
                | ClaimStatus::Superseded
                | ClaimStatus::CustomerUnreachable
                | ClaimStatus::Revoked
                | ClaimStatus::Expired,
            ) => HistoryEvent::Submitted,
        });
        Self {
            sequence: r.sequence,
            at: r.at,
            actor: r.actor,
            reviewer: r.reviewer.as_deref().and_then(ReviewerId::parse),
            event,
            from: r.from,
            to: r.to,
            code: r.code,
            reason: r.reason,
            contact_change: r.contact_change.map(Box::new),
            association: r.effective_from.map(|effective_from| Association {
                effective_from,
                effective_until: r.effective_until,
            }),
        }
    }
}

/// A sent e-mail: the notification of a claim that it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct MessageRecord {
    pub claim_id: ClaimId,
    pub notice: u32,
}

/// A report of the mail service recorded on a claim: which history entry recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct FeedbackMarker {
    #[serde(with = "serde_instant")]
    pub at: DateTime<Utc>,
    pub sequence: u32,
}

/// A partner-of-record lock: the claim that holds the unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct LockRecord {
    pub claim_id: ClaimId,
    pub partner_id: PartnerId,
}

/// What is remembered of a submission made with an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct IdempotencyItem {
    pub partner_id: PartnerId,
    pub key: String,
    pub fingerprint: BodyFingerprint,
    pub response: ClaimRecord,
    #[serde(with = "serde_instant")]
    pub created_at: DateTime<Utc>,
    /// The table's TTL attribute (`schema::TTL_ATTRIBUTE`, epoch seconds); the record's own
    /// `created_at` decides whether it still replays, as TTL deletion may lag by days.
    pub expires_at_epoch: i64,
}

impl From<&IdempotencyRecord> for IdempotencyItem {
    fn from(r: &IdempotencyRecord) -> Self {
        Self {
            partner_id: r.partner_id.clone(),
            key: r.key.clone(),
            fingerprint: r.fingerprint.clone(),
            response: ClaimRecord::from(&r.response),
            created_at: r.created_at,
            expires_at_epoch: r.expires_at().timestamp(),
        }
    }
}

impl TryFrom<IdempotencyItem> for IdempotencyRecord {
    type Error = InconsistentRecord;

    fn try_from(item: IdempotencyItem) -> Result<Self, InconsistentRecord> {
        Ok(Self {
            partner_id: item.partner_id,
            key: item.key,
            fingerprint: item.fingerprint,
            response: Claim::try_from(item.response)?,
            created_at: item.created_at,
        })
    }
}

/// Where the sending of a message stands (a claim's notification, an event's e-mail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum SendState {
    /// A worker holds the lease to send it, until `lease_until`.
    InProgress,
    Sent,
    /// Whether it went out is unknown: held since `held_at` until SES's word, or a release.
    Held,
    /// SES refused the address for good (`reason`).
    Rejected,
}

/// The record that keeps a message from being sent twice: the ledger of sends' item, one per
/// message, whatever the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct NotificationRecord {
    pub state: SendState,
    /// Who holds the lease: lets a retried put whose first answer was lost recognise its own
    /// lease, and a release touch only its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_owner: Option<String>,
    #[serde(
        with = "serde_instant::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub lease_until: Option<DateTime<Utc>>,
    #[serde(
        with = "serde_instant::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sent_at: Option<DateTime<Utc>>,
    /// SES's id of the message sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Why SES refused it, addresses masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Since when a held send waits for SES's word.
    #[serde(
        with = "serde_instant::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub held_at: Option<DateTime<Utc>>,
    /// How many times a held send was released for one more attempt.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub releases: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A report of the mail service on a message not recorded when it arrived, kept for a while
/// (`pk = UNMATCHED#<message id>`, `sk = REPORT#<feedback id>`, TTL `expires_at_epoch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct UnmatchedReport {
    pub message_id: String,
    pub feedback_id: String,
    /// `permanent_bounce`, `transient_bounce` or `complaint`.
    pub feedback: String,
    #[serde(with = "serde_instant")]
    pub received_at: DateTime<Utc>,
    pub expires_at_epoch: i64,
}

/// The attributes of `record`, which must serialize as a map.
pub(super) fn to_item<T: Serialize>(record: &T) -> Result<Item, serde_dynamo::Error> {
    serde_dynamo::aws_sdk_dynamodb_1::to_item(record)
}

/// A record read back from its item's attributes, less the table's keys (some records refuse
/// fields they do not know; the index attributes of a claim are ignored by its record).
pub(super) fn from_item<T: serde::de::DeserializeOwned>(
    item: &Item,
) -> Result<T, serde_dynamo::Error> {
    let mut attributes = item.clone();
    attributes.remove(PK);
    attributes.remove(SK);
    serde_dynamo::aws_sdk_dynamodb_1::from_item(attributes)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::schema::TTL_ATTRIBUTE;
    use cpor_domain::calendar::BusinessCalendar;
    use cpor_domain::claim::WithdrawalReason;
    use cpor_domain::contact::{CustomerTimeZone, EmailAddress, Locale};
    use cpor_domain::time::parse_instant;
    use cpor_domain::zone::Zone;

    fn at(text: &str) -> DateTime<Utc> {
        parse_instant(text).unwrap()
    }

    pub(crate) fn submitted() -> Claim {
        let program = Program::parse("osu-m365").unwrap();
        let subject = ClaimSubject {
            tenant_id: TenantId::parse("0f8fad5b-d9cb-469f-a165-70867728950e").unwrap(),
            customer_domain: CustomerDomain::parse("contoso.onmicrosoft.com").unwrap(),
            program,
            workload: program.workload("teams").unwrap(),
            subscription_id: None,
            customer_contact: CustomerContact {
                name: "Giulia Rossi".into(),
                email: EmailAddress::parse("giulia@contoso.com").unwrap(),
                title: Some("IT Director".into()),
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
                signed_on: chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            },
        };
        let now = at("2026-11-25T09:00:00Z");
        Claim::submit(
            ClaimId::new_at(now),
            PartnerId::parse("1234567").unwrap(),
            "Fabrikam".into(),
            subject,
            now,
        )
        .0
    }

    #[test]
    fn every_state_and_its_history_survive_the_round_trip_through_items() {
        use cpor_domain::review::{InformationCode, Message, RejectionCode};
        let reviewer = ReviewerId::parse("r-1").unwrap();
        let message = |t: &str| Message::parse(t).unwrap();
        let calendar = BusinessCalendar::default();
        let claim = submitted();
        let (approved, approval) = {
            let t = claim
                .approve(at("2026-11-25T09:30:00Z"), &reviewer, None)
                .unwrap();
            (t.claim.clone(), t)
        };
        let window = calendar.opt_out_window(at("2026-11-25T10:00:00Z"), Zone::UTC);
        let notified = approved.notify(window).unwrap().claim;
        let contoso = cpor_domain::reference::TenantRecord {
            tenant_id: claim.subject.tenant_id,
            domains: vec![CustomerDomain::parse("contoso.com").unwrap()],
            subscriptions: vec![],
        };
        let marco_ = || {
            let mut marco = claim.subject.customer_contact.clone();
            marco.email = cpor_domain::contact::EmailAddress::parse("marco@contoso.com").unwrap();
            marco
        };
        let moved = notified
            .correct_contact(
                at("2026-11-26T09:00:00Z"),
                contoso.contact(marco_()).unwrap(),
            )
            .unwrap();
        assert!(moved.entry().contact_change.is_some());
        // Unreachable twice over: the clock runs from the first bounce, kept in the record.
        let bounce = cpor_domain::claim::MailFeedback::PermanentBounce;
        let bounced_again = {
            let unreachable = notified
                .record_mail_feedback(at("2026-11-25T10:05:00Z"), 1, bounce)
                .unwrap()
                .claim;
            let corrected = unreachable
                .correct_contact(
                    at("2026-11-27T09:00:00Z"),
                    contoso.contact(marco_()).unwrap(),
                )
                .unwrap()
                .claim;
            let window = calendar.opt_out_window(at("2026-11-27T10:00:00Z"), Zone::UTC);
            let sent = corrected.notify(window).unwrap().claim;
            sent.record_mail_feedback(at("2026-11-27T10:05:00Z"), sent.notice.number, bounce)
                .unwrap()
                .claim
        };
        assert!(matches!(
            bounced_again.state,
            ClaimState::CustomerUnreachable { bounced_at, since, .. } if since < bounced_at
        ));
        let withdrawn = notified
            .withdraw(
                at("2026-11-26T10:00:00Z"),
                WithdrawalReason::parse("wrong tenant").unwrap(),
            )
            .unwrap()
            .claim;
        let asked = claim
            .request_information(
                at("2026-11-25T10:00:00Z"),
                &reviewer,
                vec![InformationCode::Other],
                message("more"),
                &calendar,
            )
            .unwrap();
        let rejected = claim
            .reject(
                at("2026-11-25T10:00:00Z"),
                &reviewer,
                RejectionCode::Other,
                message("no"),
            )
            .unwrap();
        let disputed = rejected
            .claim
            .dispute(at("2026-11-26T10:00:00Z"), &message("why"), None)
            .unwrap();
        for claim in [
            &claim,
            &approved,
            &notified,
            &bounced_again,
            &withdrawn,
            &asked.claim,
            &rejected.claim,
            &disputed.claim,
        ] {
            let item = to_item(&ClaimRecord::from(claim)).unwrap();
            let back: ClaimRecord = from_item(&item).unwrap();
            assert_eq!(&Claim::try_from(back).unwrap(), claim);
        }
        for entry in [
            approval.entry(),
            moved.entry(),
            asked.entry(),
            rejected.entry(),
            disputed.entry(),
        ] {
            let item = to_item(&HistoryRecord::from(entry)).unwrap();
            let back: HistoryRecord = from_item(&item).unwrap();
            assert_eq!(&HistoryEntry::from(back), entry);
        }
    }

    #[test]
    fn a_history_entry_stored_before_the_review_is_read_with_its_event() {
        let item = to_item(&serde_json::json!({
            "sequence": 2, "at": "2026-11-25T10:00:00.000Z", "actor": "system",
            "from": "submitted", "to": "awaiting_customer", "reason": null
        }))
        .unwrap();
        let entry = HistoryEntry::from(from_item::<HistoryRecord>(&item).unwrap());
        assert_eq!(entry.event, HistoryEvent::CustomerNotified);
        assert_eq!(entry.code, None);
    }

    #[test]
    fn a_record_that_refuses_unknown_fields_reads_back_from_its_keyed_item() {
        // GIVEN reference data stored under its key (its parser refuses unknown fields)
        let partner: cpor_domain::reference::PartnerRecord = serde_json::from_value(
            serde_json::json!({ "partner_id": "1234567", "name": "Fabrikam", "programs": ["osu-m365"] }),
        )
        .unwrap();
        let mut item = to_item(&partner).unwrap();
        item.insert(PK.into(), AttributeValue::S("PARTNER#1234567".into()));
        item.insert(SK.into(), AttributeValue::S("PARTNER".into()));
        // WHEN it is read back THEN the table's keys are not taken for its fields
        assert_eq!(
            from_item::<cpor_domain::reference::PartnerRecord>(&item).unwrap(),
            partner
        );
    }

    #[test]
    fn a_claim_item_is_a_native_map_with_times_in_utc_milliseconds() {
        let item = to_item(&ClaimRecord::from(&submitted())).unwrap();
        assert_eq!(
            item["created_at"],
            AttributeValue::S("2026-11-25T09:00:00.000Z".into())
        );
        assert_eq!(item["notified_at"], AttributeValue::Null(true));
        assert_eq!(item["version"], AttributeValue::N("1".into()));
        assert_eq!(item["status"], AttributeValue::S("submitted".into()));
        let contact = item["customer_contact"].as_m().unwrap();
        assert_eq!(
            contact["email"],
            AttributeValue::S("giulia@contoso.com".into())
        );
        assert!(!item.contains_key("withdrawal_reason"));
    }

    /// Bytes that serialize as bytes (DynamoDB's binary type).
    #[derive(Debug, PartialEq)]
    struct Blob(Vec<u8>);

    impl Serialize for Blob {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(&self.0)
        }
    }

    impl<'de> Deserialize<'de> for Blob {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Bytes;
            impl serde::de::Visitor<'_> for Bytes {
                type Value = Blob;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("bytes")
                }
                fn visit_bytes<E>(self, v: &[u8]) -> Result<Blob, E> {
                    Ok(Blob(v.to_vec()))
                }
            }
            d.deserialize_bytes(Bytes)
        }
    }

    #[test]
    fn numbers_keep_every_digit_and_binary_survives() {
        // GIVEN numbers that JSON's i64/f64 could not carry, and bytes
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Wide {
            big: u64,
            small: i64,
            blob: Blob,
        }
        let wide = Wide {
            big: u64::MAX,
            small: i64::MIN,
            blob: Blob(vec![0, 159, 255]),
        };
        // WHEN they are written as an item and read back
        let item = to_item(&wide).unwrap();
        // THEN every digit is kept, the bytes are binary, and the record comes back whole
        assert_eq!(
            item["big"],
            AttributeValue::N("18446744073709551615".into())
        );
        assert_eq!(
            item["small"],
            AttributeValue::N("-9223372036854775808".into())
        );
        assert!(matches!(item["blob"], AttributeValue::B(_)));
        assert_eq!(from_item::<Wide>(&item).unwrap(), wide);
    }

    #[test]
    fn the_fields_that_expressions_name_are_attributes_of_their_records() {
        let claim = submitted();
        let window =
            BusinessCalendar::default().opt_out_window(at("2026-11-25T10:00:00Z"), Zone::UTC);
        let associated = claim
            .approve_automatically(at("2026-11-25T09:00:00Z"))
            .unwrap()
            .claim
            .notify(window)
            .unwrap()
            .claim
            .finalize(window.deadline + chrono::TimeDelta::days(1))
            .unwrap()
            .claim;
        let claim_item = to_item(&ClaimRecord::from(&associated)).unwrap();
        for name in [field::STATUS, field::VERSION] {
            assert!(claim_item.contains_key(name), "claim: {name}");
        }
        let lock = to_item(&LockRecord {
            claim_id: claim.id,
            partner_id: claim.partner_id.clone(),
        })
        .unwrap();
        assert!(lock.contains_key(field::CLAIM_ID));
        let idempotency = to_item(&IdempotencyItem::from(&IdempotencyRecord {
            partner_id: claim.partner_id.clone(),
            key: "k".into(),
            fingerprint: BodyFingerprint::of(&serde_json::json!({})),
            response: claim.clone(),
            created_at: claim.created_at,
        }))
        .unwrap();
        assert!(idempotency.contains_key(field::CREATED_AT));
        assert!(idempotency.contains_key(TTL_ATTRIBUTE));
        let notification = to_item(&NotificationRecord {
            state: SendState::InProgress,
            lease_owner: Some("me".into()),
            lease_until: Some(claim.created_at),
            sent_at: None,
            message_id: None,
            reason: None,
            held_at: None,
            releases: 0,
        })
        .unwrap();
        for name in [field::STATE, field::LEASE_OWNER, field::LEASE_UNTIL] {
            assert!(notification.contains_key(name), "notification: {name}");
        }
        assert_eq!(
            notification[field::STATE],
            AttributeValue::S("in_progress".into())
        );
    }
}
