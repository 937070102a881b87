//! The table's stream as publish-events reads it: which new images are history entries, and
//! the claim's subject for the entries stored without it.

use super::record::{ClaimRecord, HistoryRecord, Item, from_item};
use super::{DynamoStore, inconsistent, keys, text};
use crate::schema::{PK, SK};
use async_trait::async_trait;
use cpor_domain::claim::HistoryEntry;
use cpor_domain::events::{EventSubject, StreamItem};
use cpor_domain::ids::ClaimId;
use cpor_domain::ports::{SubjectLookup, Unavailable};

/// What a stream record's new image is: a history entry (`sk` = `EVENT#...`), or not one (a
/// claim, a lock, ...; a removal has no new image).
pub fn stream_item(new_image: &Item) -> StreamItem {
    let sk = text(new_image, SK).unwrap_or_default();
    if !keys::is_event(&sk) {
        return StreamItem::NotAnEntry;
    }
    let pk = text(new_image, PK).unwrap_or_default();
    let Some(claim_id) = keys::claim_of_partition(&pk) else {
        return StreamItem::Unreadable(format!(
            "a history item outside a claim's partition ({sk})"
        ));
    };
    match from_item::<HistoryRecord>(new_image) {
        Ok(record) => StreamItem::Entry {
            claim_id,
            subject: record.subject(),
            entry: HistoryEntry::from(record),
        },
        Err(e) => StreamItem::Unreadable(format!("history item {claim_id} {sk}: {e}")),
    }
}

#[async_trait]
impl SubjectLookup for DynamoStore {
    async fn subject_of(&self, claim: ClaimId) -> Result<Option<EventSubject>, Unavailable> {
        let Some(item) = self.get("claim", &keys::claim(claim)).await? else {
            return Ok(None);
        };
        let record: ClaimRecord =
            from_item(&item).map_err(|e| inconsistent(format!("claim item: {e}")))?;
        Ok(Some(EventSubject {
            partner_id: record.partner_id,
            tenant_id: record.tenant_id,
            program: record.program,
            workload: record.workload,
            subscription_id: record.subscription_id,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::record::to_item;
    use cpor_domain::claim::HistoryEvent;

    fn keyed(mut item: Item, pk: &str, sk: &str) -> Item {
        item.insert(PK.into(), super::super::s(pk));
        item.insert(SK.into(), super::super::s(sk));
        item
    }

    #[test]
    fn a_new_history_item_is_an_entry_with_the_subject_it_carries() {
        // GIVEN a claim's first entry, written as the service writes it
        let claim = crate::dynamo::record::tests::submitted();
        let entries = [HistoryEntry {
            sequence: 1,
            at: claim.created_at,
            actor: cpor_domain::claim::Actor::Partner,
            reviewer: None,
            event: HistoryEvent::Submitted,
            from: None,
            to: claim.status(),
            code: None,
            reason: None,
            contact_change: None,
            association: None,
        }];
        let subject = EventSubject::of(&claim);
        let item = super::super::event_item(claim.id, &entries[0], Some(&subject)).unwrap();
        // WHEN the stream's new image is read (also once an operator marked it republished,
        // docs/runbook.md "A stuck publisher")
        let read = stream_item(&item);
        let mut marked = item.clone();
        marked.insert(
            "republished_at".into(),
            super::super::s("2026-12-01T00:00:00Z"),
        );
        assert_eq!(stream_item(&marked), read);
        // THEN it is that entry, with the claim's subject
        assert_eq!(
            read,
            StreamItem::Entry {
                claim_id: claim.id,
                entry: entries[0].clone(),
                subject: Some(EventSubject::of(&claim)),
            }
        );
    }

    #[test]
    fn an_entry_stored_before_the_events_existed_has_no_subject() {
        // GIVEN an entry as written before this change (no subject fields)
        let item = to_item(&serde_json::json!({
            "sequence": 2, "at": "2026-11-25T10:00:00.000Z", "actor": "system",
            "event": "customer_notified",
            "from": "approved", "to": "awaiting_customer", "reason": null
        }))
        .unwrap();
        let claim = ClaimId::new_at(chrono::Utc::now());
        let item = keyed(item, &format!("CLAIM#{claim}"), "EVENT#000002");
        // WHEN it is read THEN it is an entry whose subject the publisher must look up
        match stream_item(&item) {
            StreamItem::Entry {
                claim_id,
                entry,
                subject,
            } => {
                assert_eq!(claim_id, claim);
                assert_eq!(entry.event, HistoryEvent::CustomerNotified);
                assert_eq!(subject, None);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn claims_locks_and_broken_history_items_are_told_apart() {
        // GIVEN a claim item, a lock item, and a history item missing its sequence
        let claim = crate::dynamo::record::tests::submitted();
        let claim_item = super::super::claim_item(&claim).unwrap();
        let lock = super::super::lock_item(&claim).unwrap();
        let broken = keyed(
            to_item(&serde_json::json!({ "actor": "system" })).unwrap(),
            &format!("CLAIM#{}", claim.id),
            "EVENT#000001",
        );
        // THEN the first two are not entries, and the third is unreadable, never skipped
        assert_eq!(stream_item(&claim_item), StreamItem::NotAnEntry);
        assert_eq!(stream_item(&lock), StreamItem::NotAnEntry);
        assert!(matches!(stream_item(&broken), StreamItem::Unreadable(_)));
    }
}
