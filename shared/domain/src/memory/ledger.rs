//! The ledgers of sends and of the mail service's feedback.

use super::*;

/// A claim's notification as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerEntry {
    /// `owner` may be sending it until `until`; `releases` held sends were released before.
    Leased {
        owner: String,
        until: DateTime<Utc>,
        releases: u32,
    },
    /// It went out at `at`.
    Sent {
        at: DateTime<Utc>,
        message_id: String,
    },
    /// Whether it went out is unknown: held since `since`, after `releases` releases.
    Held { since: DateTime<Utc>, releases: u32 },
    /// The mail service refused the address for good.
    Rejected { reason: String },
}

#[async_trait]
impl NotificationLedger for MemoryStore {
    async fn acquire(
        &self,
        notice: NoticeRef,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<NotificationLease, Unavailable> {
        let mut tables = self.enter(StoreCall::Acquire)?;
        Ok(lease::acquire(
            &mut tables.ledger,
            notice,
            owner,
            now,
            lease_until,
        ))
    }

    async fn release(&self, notice: NoticeRef, owner: &str) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::Release)?;
        if matches!(
            tables.ledger.get(&notice),
            Some(LedgerEntry::Leased { owner: holder, .. }) if holder == owner
        ) {
            tables.ledger.remove(&notice);
        }
        Ok(())
    }

    async fn hold(
        &self,
        notice: NoticeRef,
        owner: &str,
        since: DateTime<Utc>,
    ) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::Hold)?;
        if let Some(LedgerEntry::Leased {
            owner: holder,
            releases,
            ..
        }) = tables.ledger.get(&notice)
            && holder == owner
        {
            let releases = *releases;
            tables
                .ledger
                .insert(notice, LedgerEntry::Held { since, releases });
        }
        Ok(())
    }

    async fn retry_held(
        &self,
        notice: NoticeRef,
        since: DateTime<Utc>,
        owner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, Unavailable> {
        let mut tables = self.enter(StoreCall::Acquire)?;
        match tables.ledger.get(&notice) {
            Some(LedgerEntry::Held {
                since: held,
                releases,
            }) if *held == since => {
                let releases = releases + 1;
                tables.ledger.insert(
                    notice,
                    LedgerEntry::Leased {
                        owner: owner.to_owned(),
                        until: lease_until,
                        releases,
                    },
                );
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn sent_message(&self, notice: NoticeRef) -> Result<Option<String>, Unavailable> {
        let tables = self.enter(StoreCall::Claim)?;
        Ok(match tables.ledger.get(&notice) {
            Some(LedgerEntry::Sent { message_id, .. }) => Some(message_id.clone()),
            _ => None,
        })
    }

    async fn record_rejected(
        &self,
        notice: NoticeRef,
        owner: &str,
        reason: &str,
    ) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::RecordRejected)?;
        if matches!(
            tables.ledger.get(&notice),
            Some(LedgerEntry::Leased { owner: holder, .. }) if holder == owner
        ) {
            tables.ledger.insert(
                notice,
                LedgerEntry::Rejected {
                    reason: reason.to_owned(),
                },
            );
        }
        Ok(())
    }

    async fn record_sent(
        &self,
        notice: NoticeRef,
        sent_at: DateTime<Utc>,
        message_id: &str,
        transition: Option<&Transition>,
    ) -> Result<(), ApplyError> {
        let mut tables = self.enter(StoreCall::RecordSent)?;
        if let Some(t) = transition {
            tables.contend(StoreCall::RecordSent)?;
            tables.apply(t)?;
        }
        tables.ledger.insert(
            notice,
            LedgerEntry::Sent {
                at: sent_at,
                message_id: message_id.to_owned(),
            },
        );
        Ok(())
    }
}

/// The lease rules of both ledgers, on one ledger's entries.
mod lease {
    use super::LedgerEntry;
    use crate::ports::NotificationLease;
    use chrono::{DateTime, Utc};
    use std::collections::HashMap;
    use std::hash::Hash;

    fn owned_by<K: Hash + Eq>(ledger: &HashMap<K, LedgerEntry>, key: &K, owner: &str) -> bool {
        matches!(ledger.get(key), Some(LedgerEntry::Leased { owner: holder, .. }) if holder == owner)
    }

    pub(super) fn acquire<K: Hash + Eq + Copy>(
        ledger: &mut HashMap<K, LedgerEntry>,
        key: K,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> NotificationLease {
        let lease = match ledger.get(&key) {
            None => None,
            Some(LedgerEntry::Leased { owner: holder, .. }) if holder == owner => {
                Some(NotificationLease::Acquired)
            }
            // A worker that did not finish: whether it sent is unknown from its lease's end.
            Some(LedgerEntry::Leased {
                until, releases, ..
            }) if *until < now => {
                let (since, releases) = (*until, *releases);
                ledger.insert(key, LedgerEntry::Held { since, releases });
                Some(NotificationLease::Held { since, releases })
            }
            Some(LedgerEntry::Leased { .. }) => Some(NotificationLease::HeldElsewhere),
            Some(LedgerEntry::Sent { at, .. }) => {
                Some(NotificationLease::AlreadySent { sent_at: *at })
            }
            Some(LedgerEntry::Held { since, releases }) => Some(NotificationLease::Held {
                since: *since,
                releases: *releases,
            }),
            Some(LedgerEntry::Rejected { .. }) => Some(NotificationLease::Rejected),
        };
        lease.unwrap_or_else(|| {
            ledger.insert(
                key,
                LedgerEntry::Leased {
                    owner: owner.to_owned(),
                    until: lease_until,
                    releases: 0,
                },
            );
            NotificationLease::Acquired
        })
    }

    pub(super) fn release<K: Hash + Eq>(ledger: &mut HashMap<K, LedgerEntry>, key: K, owner: &str) {
        if owned_by(ledger, &key, owner) {
            ledger.remove(&key);
        }
    }

    /// Replaces `owner`'s lease with `entry` (a hold, a refusal).
    pub(super) fn settle<K: Hash + Eq>(
        ledger: &mut HashMap<K, LedgerEntry>,
        key: K,
        owner: &str,
        entry: LedgerEntry,
    ) {
        if owned_by(ledger, &key, owner) {
            ledger.insert(key, entry);
        }
    }
}

#[async_trait]
impl EventMailLedger for MemoryStore {
    async fn acquire_event_mail(
        &self,
        mail: EventMailRef,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<NotificationLease, Unavailable> {
        let mut tables = self.enter(StoreCall::Acquire)?;
        // An event's e-mail held is held for an operator.
        Ok(
            match lease::acquire(&mut tables.event_mail, mail, owner, now, lease_until) {
                NotificationLease::Held { .. } => NotificationLease::OutcomeUnknown,
                other => other,
            },
        )
    }

    async fn release_event_mail(&self, mail: EventMailRef, owner: &str) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::Release)?;
        lease::release(&mut tables.event_mail, mail, owner);
        Ok(())
    }

    async fn hold_event_mail(&self, mail: EventMailRef, owner: &str) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::Hold)?;
        let held = LedgerEntry::Held {
            since: DateTime::<Utc>::MIN_UTC,
            releases: 0,
        };
        lease::settle(&mut tables.event_mail, mail, owner, held);
        Ok(())
    }

    async fn reject_event_mail(
        &self,
        mail: EventMailRef,
        owner: &str,
        reason: &str,
    ) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::RecordRejected)?;
        let entry = LedgerEntry::Rejected {
            reason: reason.to_owned(),
        };
        lease::settle(&mut tables.event_mail, mail, owner, entry);
        Ok(())
    }

    async fn record_event_mail_sent(
        &self,
        mail: EventMailRef,
        sent_at: DateTime<Utc>,
        message_id: &str,
    ) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::RecordSent)?;
        tables.event_mail.insert(
            mail,
            LedgerEntry::Sent {
                at: sent_at,
                message_id: message_id.to_owned(),
            },
        );
        Ok(())
    }
}

#[async_trait]
impl MailFeedbackLedger for MemoryStore {
    async fn notice_of(&self, message_id: &str) -> Result<Option<NoticeRef>, Unavailable> {
        let tables = self.enter(StoreCall::Claim)?;
        if let Some(notice) = tables.messages.get(message_id) {
            return Ok(Some(*notice));
        }
        Ok(tables
            .ledger
            .iter()
            .find_map(|(notice, entry)| match entry {
                LedgerEntry::Sent { message_id: id, .. } if id == message_id => Some(*notice),
                LedgerEntry::Sent { .. }
                | LedgerEntry::Leased { .. }
                | LedgerEntry::Held { .. }
                | LedgerEntry::Rejected { .. } => None,
            }))
    }

    async fn record_message(&self, message_id: &str, notice: NoticeRef) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::RecordSent)?;
        tables.messages.insert(message_id.to_owned(), notice);
        Ok(())
    }

    async fn keep_unmatched(
        &self,
        report: &crate::usecase::feedback::FeedbackReport,
        at: DateTime<Utc>,
    ) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::Apply)?;
        if !tables
            .unmatched
            .iter()
            .any(|(kept, _)| kept.feedback_id == report.feedback_id)
        {
            tables.unmatched.push((report.clone(), at));
        }
        Ok(())
    }

    async fn unmatched(
        &self,
        message_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<crate::usecase::feedback::FeedbackReport>, Unavailable> {
        let tables = self.enter(StoreCall::Claim)?;
        Ok(tables
            .unmatched
            .iter()
            .filter(|(report, at)| report.message_id == message_id && *at > since)
            .map(|(report, _)| report.clone())
            .collect())
    }

    async fn record_feedback(
        &self,
        transition: &Transition,
        feedback_id: &str,
    ) -> Result<(), FeedbackRecordError> {
        let mut tables = self.enter(StoreCall::Apply)?;
        if tables.feedback.contains(feedback_id) {
            return Err(FeedbackRecordError::AlreadyRecorded);
        }
        match tables.apply(transition) {
            Ok(()) => {
                tables.feedback.insert(feedback_id.to_owned());
                Ok(())
            }
            Err(ApplyError::Conflict | ApplyError::UnitHeld) => Err(FeedbackRecordError::Conflict),
            Err(ApplyError::Unavailable(e)) => Err(e.into()),
        }
    }
}
