//! Publishing the history's events: the publisher's rule over a batch of the table's stream
//! records, which records go into which `PutEvents` call, and where a failed batch must resume
//! so that nothing is skipped and no claim's later event overtakes an earlier one.

use crate::events::{ClaimEvent, EventSubject, StreamItem, next_call_len};
use crate::ids::ClaimId;
use crate::ports::{EventBus, SubjectLookup, Unavailable};
use std::collections::HashMap;

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
    let (ready, stop) = events_of(items, subjects).await;
    let mut outcome = Published::default();
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

/// The events of `items`, with their positions in the batch, up to the first record that
/// cannot become one; and where and why that record stops the batch. Entries without their
/// subject get it from `subjects`, once per claim.
async fn events_of(
    items: &[StreamItem],
    subjects: &dyn SubjectLookup,
) -> (Vec<(usize, ClaimEvent)>, Option<Stopped>) {
    let mut ready = Vec::new();
    let mut known: HashMap<ClaimId, EventSubject> = HashMap::new();
    for (at, item) in items.iter().enumerate() {
        let stopped = |reason: String| Some(Stopped { at, reason });
        match item {
            StreamItem::NotAnEntry => {}
            StreamItem::Unreadable(problem) => {
                return (
                    ready,
                    stopped(format!("an unreadable history item: {problem}")),
                );
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
                            let why =
                                format!("a history entry of claim {claim_id}, which is not stored");
                            return (ready, stopped(why));
                        }
                        Err(Unavailable(e)) => {
                            let why = format!("the subject of claim {claim_id}: {e}");
                            return (ready, stopped(why));
                        }
                    },
                };
                ready.push((at, ClaimEvent::of(*claim_id, entry, &subject)));
            }
        }
    }
    (ready, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::HistoryEvent;
    use crate::events::tests::{claim_id, entry, subject};
    use async_trait::async_trait;
    use std::sync::Mutex;

    fn item(claim: ClaimId, sequence: u32) -> StreamItem {
        StreamItem::Entry {
            claim_id: claim,
            entry: entry(sequence, HistoryEvent::Approved),
            subject: Some(subject()),
        }
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
