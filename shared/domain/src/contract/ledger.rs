//! The ledger of sends ([`SendLedger`]): one lease at a time; a lease that ran out is held,
//! never taken over; only its owner gives a lease back, holds it, or records a refusal under
//! it; a send recorded answers with its time and message id; a refusal stays; a hold is taken
//! for one more attempt only as it was read, and the releases are counted. Each message
//! ([`SendRef`]) has a record of its own.

use crate::ids::ClaimId;
use crate::ports::{
    EventMailRecipient, EventMailRef, NoticeRef, SendEntry, SendLease, SendLedger, SendRef,
};
use chrono::{DateTime, TimeDelta, Utc};

/// When the rules' first lease is taken (whole milliseconds: the store keeps no finer).
fn t0() -> DateTime<Utc> {
    crate::time::parse_instant("2026-11-25T10:00:00.000Z").expect("an instant")
}

/// How long the rules' leases run.
const LEASE: TimeDelta = TimeDelta::minutes(2);

/// The first notification of a claim of the rule's own.
fn notice() -> SendRef {
    SendRef::Notice(NoticeRef {
        claim_id: ClaimId::new_at(Utc::now()),
        number: 1,
    })
}

/// A message id no other rule (or test on the same table) uses.
fn message_id(key: SendRef) -> String {
    format!("contract-{}-{key}", key.claim_id()).replace(' ', "-")
}

async fn acquire(
    store: &dyn SendLedger,
    key: SendRef,
    owner: &str,
    now: DateTime<Utc>,
) -> SendLease {
    store
        .acquire(key, owner, now, now + LEASE)
        .await
        .expect("the ledger answers")
}

async fn entry(store: &dyn SendLedger, key: SendRef) -> Option<SendEntry> {
    store.entry(key).await.expect("the ledger answers")
}

fn leased(owner: &str, until: DateTime<Utc>, releases: u32) -> Option<SendEntry> {
    Some(SendEntry::Leased {
        owner: owner.to_owned(),
        until,
        releases,
    })
}

/// One lease at a time: while a worker's lease runs (to its last instant), another worker is
/// answered that it is held elsewhere; the owner's own acquire, retried, finds its lease.
pub async fn one_lease_at_a_time(store: &dyn SendLedger) {
    let key = notice();
    let until = t0() + LEASE;
    assert_eq!(
        acquire(store, key, "a", t0()).await,
        SendLease::Acquired,
        "a message never sent is leased to the first worker"
    );
    for at in [t0() + TimeDelta::minutes(1), until] {
        assert_eq!(
            acquire(store, key, "b", at).await,
            SendLease::HeldElsewhere,
            "another worker must wait for the running lease, at {at}"
        );
    }
    assert_eq!(
        acquire(store, key, "a", t0() + TimeDelta::seconds(1)).await,
        SendLease::Acquired,
        "the owner's retried acquire finds its own lease"
    );
    assert_eq!(
        entry(store, key).await,
        leased("a", until, 0),
        "the lease stays the first one's, as it was taken"
    );
}

/// A lease that ran out is an attempt whose outcome is unknown: it is held from the lease's
/// end, and no worker (its owner neither) is given it again.
pub async fn an_expired_lease_is_held_never_taken_over(store: &dyn SendLedger) {
    let key = notice();
    let until = t0() + LEASE;
    acquire(store, key, "a", t0()).await;
    let after = until + TimeDelta::milliseconds(1);
    let held = SendLease::Held {
        since: until,
        releases: 0,
    };
    assert_eq!(
        acquire(store, key, "b", after).await,
        held,
        "an expired lease is held from its end"
    );
    assert_eq!(
        entry(store, key).await,
        Some(SendEntry::Held {
            since: until,
            releases: 0
        }),
        "the hold is written"
    );
    assert_eq!(
        acquire(store, key, "a", after + TimeDelta::hours(1)).await,
        held,
        "not even the lease's owner takes a held send back"
    );
    store.release(key, "a").await.expect("the ledger answers");
    assert_eq!(
        acquire(store, key, "c", after + TimeDelta::hours(2)).await,
        held,
        "a release by the expired lease's owner does not lift the hold"
    );
}

/// Release gives back only the owner's running lease: another worker's release leaves it,
/// the owner's lets the next worker send at once, and a send recorded meanwhile stays.
pub async fn release_gives_back_only_the_owners_lease(store: &dyn SendLedger) {
    let key = notice();
    acquire(store, key, "a", t0()).await;
    store.release(key, "b").await.expect("the ledger answers");
    assert_eq!(
        entry(store, key).await,
        leased("a", t0() + LEASE, 0),
        "another worker's release leaves the lease"
    );
    store.release(key, "a").await.expect("the ledger answers");
    assert_eq!(
        entry(store, key).await,
        None,
        "the owner's release gives it back"
    );
    assert_eq!(
        acquire(store, key, "c", t0() + TimeDelta::seconds(1)).await,
        SendLease::Acquired,
        "a released send is leased at once to the next worker"
    );
    let id = message_id(key);
    store
        .record_sent(key, t0() + TimeDelta::seconds(2), &id, None)
        .await
        .expect("the ledger answers");
    store.release(key, "c").await.expect("the ledger answers");
    assert!(
        matches!(entry(store, key).await, Some(SendEntry::Sent { .. })),
        "a release after the send was recorded leaves the send"
    );
}

/// A send is recorded with its time and message id: every later acquire answers that it was
/// sent then, and the lease under which it went out can no longer be given back, held or
/// refused.
pub async fn a_send_is_recorded_with_its_time_and_message_id(store: &dyn SendLedger) {
    let key = notice();
    let id = message_id(key);
    let sent_at = t0() + TimeDelta::seconds(1);
    acquire(store, key, "a", t0()).await;
    store
        .record_sent(key, sent_at, &id, None)
        .await
        .expect("the ledger answers");
    let sent = Some(SendEntry::Sent {
        at: sent_at,
        message_id: Some(id.clone()),
    });
    assert_eq!(entry(store, key).await, sent, "the send is recorded");
    assert_eq!(
        store.sent_message(key).await.expect("the ledger answers"),
        Some(id),
        "its message id is read back"
    );
    assert_eq!(
        acquire(store, key, "b", t0() + TimeDelta::days(1)).await,
        SendLease::AlreadySent { sent_at },
        "a later acquire finds it sent, at its time"
    );
    store.release(key, "a").await.expect("the ledger answers");
    store
        .hold(key, "a", sent_at)
        .await
        .expect("the ledger answers");
    store
        .record_rejected(key, "a", "refused")
        .await
        .expect("the ledger answers");
    assert_eq!(
        entry(store, key).await,
        sent,
        "the lease's owner can no longer release, hold or refuse a recorded send"
    );
}

/// A refusal is recorded under its owner's lease only, and stays: every later acquire answers
/// it, however late, and nothing releases it.
pub async fn a_refusal_stays_refused(store: &dyn SendLedger) {
    let key = notice();
    acquire(store, key, "a", t0()).await;
    store
        .record_rejected(key, "b", "refused")
        .await
        .expect("the ledger answers");
    assert_eq!(
        entry(store, key).await,
        leased("a", t0() + LEASE, 0),
        "a refusal under another worker's lease is not recorded"
    );
    let reason = "Address blacklisted: s***@fabrikam.com";
    store
        .record_rejected(key, "a", reason)
        .await
        .expect("the ledger answers");
    let rejected = Some(SendEntry::Rejected {
        reason: reason.to_owned(),
    });
    assert_eq!(
        entry(store, key).await,
        rejected,
        "the refusal is recorded, and why"
    );
    store.release(key, "a").await.expect("the ledger answers");
    let retried = store
        .retry_held(key, t0(), "c", t0() + LEASE)
        .await
        .expect("the ledger answers");
    assert!(!retried, "a refusal is no hold to retry");
    assert_eq!(
        acquire(store, key, "d", t0() + TimeDelta::days(30)).await,
        SendLease::Rejected,
        "a refusal stays refused"
    );
    assert_eq!(entry(store, key).await, rejected);
}

/// Only the lease's owner holds its send, from the time it gives; the hold keeps the count of
/// releases.
pub async fn only_the_owner_holds_its_send(store: &dyn SendLedger) {
    let key = notice();
    let since = t0() + TimeDelta::seconds(1);
    acquire(store, key, "a", t0()).await;
    store
        .hold(key, "b", since)
        .await
        .expect("the ledger answers");
    assert_eq!(
        entry(store, key).await,
        leased("a", t0() + LEASE, 0),
        "another worker cannot hold a send it does not lease"
    );
    store
        .hold(key, "a", since)
        .await
        .expect("the ledger answers");
    let held = SendLease::Held { since, releases: 0 };
    assert_eq!(
        acquire(store, key, "b", t0() + TimeDelta::seconds(2)).await,
        held,
        "a held send is held to everyone, from the time its owner gave"
    );
}

/// A held send is taken for one more attempt only as it was read (held since that time):
/// never twice, and never after it was settled; each release is counted, and the count stays
/// through the next hold, whichever way it comes.
pub async fn retry_held_takes_only_that_hold_and_counts_releases(store: &dyn SendLedger) {
    let key = notice();
    let retry = |since: DateTime<Utc>, owner: &'static str, until: DateTime<Utc>| async move {
        store
            .retry_held(key, since, owner, until)
            .await
            .expect("the ledger answers")
    };
    acquire(store, key, "a", t0()).await;
    store
        .hold(key, "a", t0())
        .await
        .expect("the ledger answers");
    let first_try = t0() + TimeDelta::minutes(15);
    assert!(
        !retry(t0() + TimeDelta::milliseconds(1), "b", first_try + LEASE).await,
        "a hold read at another time is not taken"
    );
    assert!(
        retry(t0(), "b", first_try + LEASE).await,
        "the hold as it was read is taken"
    );
    assert_eq!(
        entry(store, key).await,
        leased("b", first_try + LEASE, 1),
        "the retry is a lease of its own, its release counted"
    );
    assert!(
        !retry(t0(), "c", first_try + LEASE).await,
        "a hold taken is not taken twice"
    );
    store
        .hold(key, "b", first_try)
        .await
        .expect("the ledger answers");
    let second_try = first_try + TimeDelta::minutes(15);
    assert!(retry(first_try, "c", second_try + LEASE).await);
    assert_eq!(entry(store, key).await, leased("c", second_try + LEASE, 2));
    let after = second_try + LEASE + TimeDelta::milliseconds(1);
    assert_eq!(
        acquire(store, key, "d", after).await,
        SendLease::Held {
            since: second_try + LEASE,
            releases: 2
        },
        "a retried lease that ran out is held with its count"
    );
    let id = message_id(key);
    store
        .record_sent(key, after, &id, None)
        .await
        .expect("the ledger answers");
    assert!(
        !retry(second_try + LEASE, "e", after + LEASE).await,
        "a hold settled as sent is no longer taken"
    );
}

/// Each message has a record of its own: a claim's notifications, and each event's e-mail to
/// each recipient, are leased and recorded apart.
pub async fn each_message_has_a_record_of_its_own(store: &dyn SendLedger) {
    let claim_id = ClaimId::new_at(Utc::now());
    let notice = |number| SendRef::Notice(NoticeRef { claim_id, number });
    let mail = |sequence, recipient| {
        SendRef::EventMail(EventMailRef {
            claim_id,
            sequence,
            recipient,
        })
    };
    let keys = [
        notice(1),
        notice(2),
        mail(3, EventMailRecipient::Partner),
        mail(3, EventMailRecipient::Customer),
        mail(3, EventMailRecipient::EarlierContact),
        mail(4, EventMailRecipient::Partner),
    ];
    for (n, key) in keys.iter().enumerate() {
        assert_eq!(
            acquire(store, *key, "a", t0()).await,
            SendLease::Acquired,
            "{key} is leased apart from the {n} before it"
        );
    }
    let id = message_id(keys[2]);
    store
        .record_sent(keys[2], t0(), &id, None)
        .await
        .expect("the ledger answers");
    store
        .release(keys[0], "a")
        .await
        .expect("the ledger answers");
    for (n, key) in keys.iter().enumerate() {
        let expected = match n {
            0 => None,
            2 => Some(SendEntry::Sent {
                at: t0(),
                message_id: Some(id.clone()),
            }),
            _ => leased("a", t0() + LEASE, 0),
        };
        assert_eq!(entry(store, *key).await, expected, "{key}");
    }
}

/// Every rule of the ledger of sends, on `store`.
pub async fn check_all(store: &dyn SendLedger) {
    one_lease_at_a_time(store).await;
    an_expired_lease_is_held_never_taken_over(store).await;
    release_gives_back_only_the_owners_lease(store).await;
    a_send_is_recorded_with_its_time_and_message_id(store).await;
    a_refusal_stays_refused(store).await;
    only_the_owner_holds_its_send(store).await;
    retry_held_takes_only_that_hold_and_counts_releases(store).await;
    each_message_has_a_record_of_its_own(store).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;

    /// The in-memory store keeps every rule of the ledger of sends.
    #[tokio::test]
    async fn the_memory_store_keeps_the_ledger_of_sends_rules() {
        check_all(&MemoryStore::default()).await;
    }
}
