//! The events other systems receive: one per history entry (docs/api.md, "Events"). The history is
//! the outbox: each entry, as the table's stream delivers it, becomes
//! one event on the service's bus, in each claim's order.
//!
//! [`ClaimEvent::of`] is the mapping (an entry and its claim's subject to the event's
//! `detail-type` and `detail`); [`next_call_len`] is how many events one `PutEvents` call
//! takes. The publisher's rule over a batch of stream records is a use case,
//! [`crate::usecase::publish`].

use crate::catalogue::{Program, Workload};
use crate::claim::{Claim, HistoryEntry};
use crate::ids::{ClaimId, PartnerId, SubscriptionId, TenantId};
use crate::time::format_instant;
use serde::Serialize;

/// The `source` of every event the service publishes.
pub const SOURCE: &str = "cpor";

/// The most entries one `PutEvents` call takes (EventBridge's limit).
pub const MAX_ENTRIES_PER_CALL: usize = 10;

/// Who and what a claim is about, as far as other systems may know it: ids and the catalogue's
/// names, never a name, an address or free text. It never changes during a claim's life, so
/// each history entry can carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSubject {
    pub partner_id: PartnerId,
    pub tenant_id: TenantId,
    pub program: Program,
    pub workload: Workload,
    pub subscription_id: Option<SubscriptionId>,
}

impl EventSubject {
    pub fn of(claim: &Claim) -> Self {
        Self {
            partner_id: claim.partner_id.clone(),
            tenant_id: claim.subject.tenant_id,
            program: claim.subject.program,
            workload: claim.subject.workload,
            subscription_id: claim.subject.subscription_id,
        }
    }
}

/// An event's `detail`, field for field as docs/api.md's "Events" lists it. The entry's `reason`
/// (free text) and reviewer (a person's id) are left out on purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventDetail {
    /// `<claim_id>/<sequence>`: the same for every delivery of the same entry, so consumers can
    /// drop repeats (delivery is at least once).
    pub event_id: String,
    pub claim_id: ClaimId,
    pub partner_id: PartnerId,
    pub tenant_id: TenantId,
    pub program: Program,
    pub workload: Workload,
    pub subscription_id: Option<SubscriptionId>,
    pub sequence: u32,
    pub at: String,
    pub actor: &'static str,
    pub event: &'static str,
    pub from: Option<&'static str>,
    pub to: &'static str,
    pub code: Option<String>,
    /// On the events that start or end an association: its effective period.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub association: Option<EventAssociation>,
}

/// An association's effective period in an event: `effective_until` is null on the event that
/// starts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventAssociation {
    pub effective_from: String,
    pub effective_until: Option<String>,
}

/// One event for the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimEvent {
    /// `claim.<event>`.
    pub detail_type: String,
    pub detail: EventDetail,
}

impl ClaimEvent {
    /// The event of `entry`, an entry of claim `claim_id` about `subject`. Written in terms of
    /// the names of events and statuses (`as_str`), so a new event or status needs nothing here.
    pub fn of(claim_id: ClaimId, entry: &HistoryEntry, subject: &EventSubject) -> Self {
        let event = entry.event.as_str();
        Self {
            detail_type: format!("claim.{event}"),
            detail: EventDetail {
                event_id: format!("{claim_id}/{}", entry.sequence),
                claim_id,
                partner_id: subject.partner_id.clone(),
                tenant_id: subject.tenant_id,
                program: subject.program,
                workload: subject.workload,
                subscription_id: subject.subscription_id,
                sequence: entry.sequence,
                at: format_instant(entry.at),
                actor: entry.actor.as_str(),
                event,
                from: entry.from.map(|s| s.as_str()),
                to: entry.to.as_str(),
                code: entry.code.clone(),
                association: entry.association.map(|a| EventAssociation {
                    effective_from: format_instant(a.effective_from),
                    effective_until: a.effective_until.map(format_instant),
                }),
            },
        }
    }

    pub fn claim_id(&self) -> ClaimId {
        self.detail.claim_id
    }

    /// The `detail` as the JSON text `PutEvents` takes.
    pub fn detail_json(&self) -> String {
        // A struct of strings, numbers and options: its serialization cannot fail.
        serde_json::to_string(&self.detail).unwrap_or_else(|_| unreachable!())
    }
}

/// One record of a stream batch, as the publisher's door read it.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    /// A new history entry, with its subject when the item carries it (entries written before
    /// the events existed, and those of the nightly association, do not).
    Entry {
        claim_id: ClaimId,
        entry: HistoryEntry,
        subject: Option<EventSubject>,
    },
    /// Anything else the table's stream carries (a claim, a lock, a removal): not an event.
    NotAnEntry,
    /// A history item that cannot be read: it must not be skipped, so it fails the batch there
    /// (and, once Lambda's retries are spent, reaches the stream's on-failure destination).
    Unreadable(String),
}

/// How many of `claims` (the claims of the events still to publish, in order) the next
/// `PutEvents` call takes: up to [`MAX_ENTRIES_PER_CALL`], and never two of the same claim, so
/// that a claim's later event is sent only once its earlier one was accepted (EventBridge
/// accepts or refuses each entry of a call on its own).
pub fn next_call_len(claims: &[ClaimId]) -> usize {
    let mut taken: Vec<ClaimId> = Vec::with_capacity(MAX_ENTRIES_PER_CALL);
    for claim in claims.iter().take(MAX_ENTRIES_PER_CALL) {
        if taken.contains(claim) {
            break;
        }
        taken.push(*claim);
    }
    taken.len()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::claim::{Actor, ClaimStatus, HistoryEvent, ReviewerId};
    use crate::time::parse_instant;

    pub(crate) fn claim_id(n: u64) -> ClaimId {
        ClaimId::parse(&format!("01JDX3ZJ9M{n:016}")).unwrap()
    }

    pub(crate) fn subject() -> EventSubject {
        let program = Program::parse("osu-m365").unwrap();
        EventSubject {
            partner_id: PartnerId::parse("1234567").unwrap(),
            tenant_id: TenantId::parse("0f8fad5b-d9cb-469f-a165-70867728950e").unwrap(),
            program,
            workload: program.workload("teams").unwrap(),
            subscription_id: None,
        }
    }

    pub(crate) fn entry(sequence: u32, event: HistoryEvent) -> HistoryEntry {
        HistoryEntry {
            sequence,
            at: parse_instant("2026-11-25T09:30:00.123Z").unwrap(),
            actor: Actor::Reviewer,
            reviewer: ReviewerId::parse("reviewer-7"),
            event,
            from: Some(ClaimStatus::Submitted),
            to: ClaimStatus::Rejected,
            code: Some("other".into()),
            reason: Some("Giulia Rossi <giulia@contoso.com> said no".into()),
            contact_change: None,
            association: None,
        }
    }

    #[test]
    fn an_event_carries_the_entry_and_its_subject_and_nothing_personal() {
        // GIVEN a reviewer's rejection with a free-text reason naming a person
        let claim = claim_id(1);
        // WHEN it becomes an event
        let event = ClaimEvent::of(claim, &entry(3, HistoryEvent::Rejected), &subject());
        // THEN its type and detail are docs/api.md's, field for field
        assert_eq!(event.detail_type, "claim.rejected");
        let detail: serde_json::Value = serde_json::from_str(&event.detail_json()).unwrap();
        assert_eq!(
            detail,
            serde_json::json!({
                "event_id": format!("{claim}/3"), "claim_id": claim.to_string(),
                "partner_id": "1234567", "tenant_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
                "program": "osu-m365", "workload": "teams", "subscription_id": null,
                "sequence": 3, "at": "2026-11-25T09:30:00.123Z", "actor": "reviewer",
                "event": "rejected", "from": "submitted", "to": "rejected", "code": "other"
            })
        );
        // AND neither the reason nor the reviewer is in it
        let text = event.detail_json();
        assert!(
            !text.contains("giulia") && !text.contains("reviewer-7"),
            "{text}"
        );
    }

    #[test]
    fn a_submission_has_no_from_status() {
        // GIVEN the first entry of a claim
        let mut first = entry(1, HistoryEvent::Submitted);
        first.from = None;
        first.code = None;
        // WHEN it becomes an event THEN `from` and `code` are null
        let detail: serde_json::Value =
            serde_json::from_str(&ClaimEvent::of(claim_id(1), &first, &subject()).detail_json())
                .unwrap();
        assert_eq!(detail["from"], serde_json::Value::Null);
        assert_eq!(detail["code"], serde_json::Value::Null);
        assert_eq!(detail["event"], "submitted");
    }

    #[test]
    fn every_history_event_is_published_under_its_own_name() {
        // GIVEN every event a history records (a new one is published without a change here)
        for event in HistoryEvent::ALL {
            // WHEN it becomes an event THEN its type and `event` are its name
            let published = ClaimEvent::of(claim_id(1), &entry(2, event), &subject());
            assert_eq!(published.detail_type, format!("claim.{}", event.as_str()));
            assert_eq!(published.detail.event, event.as_str());
        }
    }

    #[test]
    fn a_call_takes_at_most_ten_events_and_never_two_of_one_claim() {
        // GIVEN twelve events of twelve claims THEN a call takes ten
        let many: Vec<ClaimId> = (0..12).map(claim_id).collect();
        assert_eq!(next_call_len(&many), 10);
        // GIVEN a claim's second event in third place THEN the call ends before it
        let (a, b) = (claim_id(1), claim_id(2));
        assert_eq!(next_call_len(&[a, b, a, b]), 2);
        // GIVEN one event THEN a call of one
        assert_eq!(next_call_len(&[a]), 1);
        assert_eq!(next_call_len(&[]), 0);
    }
}
