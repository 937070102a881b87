//! The events other systems receive: one per history entry (docs/api.md, "Events"). The history is
//! the outbox: each entry, as the table's stream delivers it, becomes
//! one event on the service's bus, in each claim's order.
//!
//! [`ClaimEvent::of`] is the mapping (an entry and its claim's subject to the event's
//! `detail-type` and `detail`); [`publish`] is the publisher's rule over a batch of stream
//! records: which records go into which `PutEvents` call, and where a failed batch must resume
//! so that nothing is skipped and no claim's later event overtakes an earlier one.

use crate::catalogue::{Program, Workload};
use crate::claim::{Claim, HistoryEntry};
use crate::ids::{ClaimId, PartnerId, SubscriptionId, TenantId};
use crate::ports::{EventBus, SubjectLookup, Unavailable};
use crate::time::format_instant;
use serde::Serialize;
use std::collections::HashMap;

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

/// Where a batch stopped: the position (in the batch) of the first record not published, and
/// why. Lambda resumes the stream from that record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    pub at: usize,
    pub reason: String,
}

/// What [`publish`] did with a batch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Published {
    /// Events put on the bus.
    pub events: usize,
    /// `PutEvents` calls made.
    pub calls: usize,
    /// The first record to retry, if the batch did not go through whole.
    pub stopped: Option<Stopped>,
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

/// Publishes a stream batch in order. Entries without their subject get it from `subjects`
/// (once per claim). Publishing stops at the first record that cannot be published (unreadable,
/// no subject, refused by the bus): records after it are left for the retry from there, which
/// re-sends the events of other claims that a partly refused call had accepted (consumers drop
/// them by `event_id`), and never sends a claim's later event before its earlier one.
pub async fn publish(
    items: &[StreamItem],
    bus: &dyn EventBus,
    subjects: &dyn SubjectLookup,
) -> Published {
    let mut outcome = Published::default();
    // The events to send, with their positions in the batch, up to the first record that
    // cannot become one.
    let mut ready: Vec<(usize, ClaimEvent)> = Vec::new();
    let mut known: HashMap<ClaimId, EventSubject> = HashMap::new();
    let mut stop: Option<Stopped> = None;
    for (at, item) in items.iter().enumerate() {
        match item {
            StreamItem::NotAnEntry => {}
            StreamItem::Unreadable(problem) => {
                stop = Some(Stopped {
                    at,
                    reason: format!("an unreadable history item: {problem}"),
                });
                break;
            }
            StreamItem::Entry {
                claim_id,
                entry,
                subject,
            } => {
                let subject = match (subject, known.get(claim_id)) {
                    (Some(subject), _) | (None, Some(subject)) => subject.clone(),
                    (None, None) => match subjects.subject_of(*claim_id).await {
                        Ok(Some(subject)) => {
                            known.insert(*claim_id, subject.clone());
                            subject
                        }
                        Ok(None) => {
                            stop = Some(Stopped {
                                at,
                                reason: format!(
                                    "a history entry of claim {claim_id}, which is not stored"
                                ),
                            });
                            break;
                        }
                        Err(Unavailable(e)) => {
                            stop = Some(Stopped {
                                at,
                                reason: format!("the subject of claim {claim_id}: {e}"),
                            });
                            break;
                        }
                    },
                };
                ready.push((at, ClaimEvent::of(*claim_id, entry, &subject)));
            }
        }
    }
    let mut rest: &[(usize, ClaimEvent)] = &ready;
    while !rest.is_empty() {
        let claims: Vec<ClaimId> = rest.iter().map(|(_, e)| e.claim_id()).collect();
        let (call, after) = rest.split_at(next_call_len(&claims).max(1));
        let events: Vec<ClaimEvent> = call.iter().map(|(_, e)| e.clone()).collect();
        outcome.calls += 1;
        let (accepted, refused) = match bus.put(&events).await {
            Ok(refusals) => (
                refusals.iter().filter(|r| r.is_none()).count(),
                refusals
                    .iter()
                    .enumerate()
                    .find_map(|(i, r)| r.as_ref().map(|why| (i, why.clone()))),
            ),
            Err(Unavailable(e)) => (0, Some((0, e))),
        };
        outcome.events += accepted;
        match refused {
            None => rest = after,
            Some((i, why)) => {
                let (at, event) = &call[i.min(call.len() - 1)];
                outcome.stopped = Some(Stopped {
                    at: *at,
                    reason: format!("{} not published: {why}", event.detail.event_id),
                });
                return outcome;
            }
        }
    }
    outcome.stopped = stop;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::{Actor, ClaimStatus, HistoryEvent, ReviewerId};
    use crate::time::parse_instant;
    use async_trait::async_trait;
    use std::sync::Mutex;

    fn claim_id(n: u64) -> ClaimId {
        ClaimId::parse(&format!("01JDX3ZJ9M{n:016}")).unwrap()
    }

    fn subject() -> EventSubject {
        let program = Program::parse("osu-m365").unwrap();
        EventSubject {
            partner_id: PartnerId::parse("1234567").unwrap(),
            tenant_id: TenantId::parse("0f8fad5b-d9cb-469f-a165-70867728950e").unwrap(),
            program,
            workload: program.workload("teams").unwrap(),
            subscription_id: None,
        }
    }

    fn entry(sequence: u32, event: HistoryEvent) -> HistoryEntry {
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
        }
    }

    fn item(claim: ClaimId, sequence: u32) -> StreamItem {
        StreamItem::Entry {
            claim_id: claim,
            entry: entry(sequence, HistoryEvent::Approved),
            subject: Some(subject()),
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
        for event in [
            HistoryEvent::Submitted,
            HistoryEvent::Approved,
            HistoryEvent::InformationRequested,
            HistoryEvent::Responded,
            HistoryEvent::Rejected,
            HistoryEvent::Disputed,
            HistoryEvent::CustomerNotified,
            HistoryEvent::Declined,
            HistoryEvent::Associated,
            HistoryEvent::Withdrawn,
            HistoryEvent::ProofAdded,
            HistoryEvent::ContestFiled,
            HistoryEvent::Superseded,
            HistoryEvent::DocumentAdded,
        ] {
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

    /// A bus that refuses the calls and entries it is told to, and keeps what it accepted.
    #[derive(Default)]
    struct Bus {
        /// Per call (by number, from 0): `None` fails the whole call; `Some(i)` refuses entry i.
        refuse: HashMap<usize, Option<usize>>,
        calls: Mutex<Vec<Vec<String>>>,
        accepted: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl EventBus for Bus {
        async fn put(&self, events: &[ClaimEvent]) -> Result<Vec<Option<String>>, Unavailable> {
            let ids: Vec<String> = events.iter().map(|e| e.detail.event_id.clone()).collect();
            let mut calls = self.calls.lock().unwrap();
            let n = calls.len();
            calls.push(ids.clone());
            match self.refuse.get(&n) {
                Some(None) => Err(Unavailable("throttled".into())),
                Some(Some(refused)) => {
                    let mut answer = Vec::new();
                    for (i, id) in ids.into_iter().enumerate() {
                        if i == *refused {
                            answer.push(Some("InternalFailure".into()));
                        } else {
                            self.accepted.lock().unwrap().push(id);
                            answer.push(None);
                        }
                    }
                    Ok(answer)
                }
                None => {
                    self.accepted.lock().unwrap().extend(ids.iter().cloned());
                    Ok(vec![None; ids.len()])
                }
            }
        }
    }

    /// The claims' subjects, as stored; counts the reads.
    #[derive(Default)]
    struct Subjects {
        stored: HashMap<ClaimId, EventSubject>,
        fail: bool,
        reads: Mutex<usize>,
    }

    #[async_trait]
    impl SubjectLookup for Subjects {
        async fn subject_of(&self, claim: ClaimId) -> Result<Option<EventSubject>, Unavailable> {
            *self.reads.lock().unwrap() += 1;
            if self.fail {
                return Err(Unavailable("GetItem timed out".into()));
            }
            Ok(self.stored.get(&claim).cloned())
        }
    }

    fn run(items: &[StreamItem], bus: &Bus, subjects: &Subjects) -> Published {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(publish(items, bus, subjects))
    }

    #[test]
    fn a_whole_batch_is_published_in_calls_of_ten_and_nothing_is_retried() {
        // GIVEN 25 entries of 25 claims, and a claim item among them
        let mut items: Vec<StreamItem> = (0..25).map(|n| item(claim_id(n), 1)).collect();
        items.insert(5, StreamItem::NotAnEntry);
        let bus = Bus::default();
        // WHEN the batch is published
        let published = run(&items, &bus, &Subjects::default());
        // THEN in three calls (10, 10, 5), every entry once, and no record to retry
        let sizes: Vec<usize> = bus.calls.lock().unwrap().iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![10, 10, 5]);
        assert_eq!(published.events, 25);
        assert_eq!(published.stopped, None);
    }

    #[test]
    fn a_refused_entry_is_where_the_batch_resumes_and_nothing_after_it_is_sent() {
        // GIVEN claims a (entries 1, 2) and b (entry 1), and the bus refusing a's first entry
        let (a, b) = (claim_id(1), claim_id(2));
        let items = vec![item(a, 1), item(b, 1), item(a, 2)];
        let bus = Bus {
            refuse: HashMap::from([(0, Some(0))]),
            ..Bus::default()
        };
        // WHEN the batch is published
        let published = run(&items, &bus, &Subjects::default());
        // THEN a's first entry is the record to retry from
        assert_eq!(published.stopped.as_ref().map(|s| s.at), Some(0));
        // AND a's second entry was never sent before its first (it was not sent at all)
        let sent: Vec<String> = bus.calls.lock().unwrap().concat();
        assert_eq!(sent, vec![format!("{a}/1"), format!("{b}/1")]);
    }

    #[test]
    fn a_failed_call_stops_the_batch_at_its_first_entry() {
        // GIVEN 15 entries of 15 claims, and the second call failing whole
        let items: Vec<StreamItem> = (0..15).map(|n| item(claim_id(n), 1)).collect();
        let bus = Bus {
            refuse: HashMap::from([(1, None)]),
            ..Bus::default()
        };
        // WHEN the batch is published
        let published = run(&items, &bus, &Subjects::default());
        // THEN the first ten went out and the batch resumes at the eleventh record
        assert_eq!(bus.accepted.lock().unwrap().len(), 10);
        assert_eq!(published.events, 10);
        assert_eq!(published.stopped.map(|s| s.at), Some(10));
    }

    #[test]
    fn an_unreadable_history_item_is_never_skipped() {
        // GIVEN an unreadable item between two good ones
        let items = vec![
            item(claim_id(1), 1),
            StreamItem::Unreadable("no sequence".into()),
            item(claim_id(2), 1),
        ];
        let bus = Bus::default();
        // WHEN the batch is published
        let published = run(&items, &bus, &Subjects::default());
        // THEN what came before it is published, and the batch resumes at it
        assert_eq!(
            *bus.accepted.lock().unwrap(),
            vec![format!("{}/1", claim_id(1))]
        );
        assert_eq!(published.stopped.map(|s| s.at), Some(1));
    }

    #[test]
    fn an_entry_without_its_subject_gets_it_from_its_claim_once() {
        // GIVEN two older entries of one claim, which carry no subject
        let a = claim_id(1);
        let bare = |sequence| StreamItem::Entry {
            claim_id: a,
            entry: entry(sequence, HistoryEvent::Associated),
            subject: None,
        };
        let subjects = Subjects {
            stored: HashMap::from([(a, subject())]),
            ..Subjects::default()
        };
        let bus = Bus::default();
        // WHEN the batch is published
        let published = run(&[bare(4), bare(5)], &bus, &subjects);
        // THEN both are published with the claim's subject, read once
        assert_eq!(published.events, 2);
        assert_eq!(published.stopped, None);
        assert_eq!(*subjects.reads.lock().unwrap(), 1);
    }

    #[test]
    fn an_entry_whose_subject_cannot_be_read_is_retried_not_published_bare() {
        // GIVEN an entry without its subject, after one with it, and the claim unreadable
        let items = vec![
            item(claim_id(2), 1),
            StreamItem::Entry {
                claim_id: claim_id(1),
                entry: entry(4, HistoryEvent::Associated),
                subject: None,
            },
        ];
        let subjects = Subjects {
            fail: true,
            ..Subjects::default()
        };
        let bus = Bus::default();
        // WHEN the batch is published
        let published = run(&items, &bus, &subjects);
        // THEN the first is published, and the batch resumes at the second
        assert_eq!(published.events, 1);
        assert_eq!(published.stopped.map(|s| s.at), Some(1));
    }
}
