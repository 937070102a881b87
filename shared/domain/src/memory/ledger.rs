//! The ledgers of sends and of the mail service's feedback.

use super::*;

#[async_trait]
impl SendLedger for MemoryStore {
    async fn acquire(
        &self,
        key: SendRef,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<SendLease, Unavailable> {
        let mut tables = self.enter(StoreCall::Acquire)?;
        let Some(entry) = tables.ledger.get(&key) else {
            let lease = SendEntry::Leased {
                owner: owner.to_owned(),
                until: lease_until,
                releases: 0,
            };
            tables.ledger.insert(key, lease);
            return Ok(SendLease::Acquired);
        };
        let lease = entry.on_acquire(owner, now);
        if let (SendEntry::Leased { .. }, SendLease::Held { since, releases }) = (entry, lease) {
            // A worker that did not finish: held from its lease's end.
            tables
                .ledger
                .insert(key, SendEntry::Held { since, releases });
        }
        Ok(lease)
    }

    async fn release(&self, key: SendRef, owner: &str) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::Release)?;
        if tables.leased_by(key, owner).is_some() {
            tables.ledger.remove(&key);
        }
        Ok(())
    }

    async fn hold(
        &self,
        key: SendRef,
        owner: &str,
        since: DateTime<Utc>,
    ) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::Hold)?;
        if let Some(releases) = tables.leased_by(key, owner) {
            tables
                .ledger
                .insert(key, SendEntry::Held { since, releases });
        }
        Ok(())
    }

    async fn retry_held(
        &self,
        key: SendRef,
        since: DateTime<Utc>,
        owner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, Unavailable> {
        let mut tables = self.enter(StoreCall::Acquire)?;
        match tables.ledger.get(&key) {
            Some(SendEntry::Held {
                since: held,
                releases,
            }) if *held == since => {
                let releases = releases + 1;
                tables.ledger.insert(
                    key,
                    SendEntry::Leased {
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

    async fn record_rejected(
        &self,
        key: SendRef,
        owner: &str,
        reason: &str,
    ) -> Result<(), Unavailable> {
        let mut tables = self.enter(StoreCall::RecordRejected)?;
        if tables.leased_by(key, owner).is_some() {
            let reason = reason.to_owned();
            tables.ledger.insert(key, SendEntry::Rejected { reason });
        }
        Ok(())
    }

    async fn record_sent(
        &self,
        key: SendRef,
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
            key,
            SendEntry::Sent {
                at: sent_at,
                message_id: Some(message_id.to_owned()),
            },
        );
        Ok(())
    }

    async fn entry(&self, key: SendRef) -> Result<Option<SendEntry>, Unavailable> {
        let tables = self.enter(StoreCall::SendEntry)?;
        Ok(tables.ledger.get(&key).cloned())
    }
}

impl Tables {
    /// The count of releases of `owner`'s lease of `key`; `None` when `owner` holds none.
    fn leased_by(&self, key: SendRef, owner: &str) -> Option<u32> {
        match self.ledger.get(&key) {
            Some(SendEntry::Leased {
                owner: holder,
                releases,
                ..
            }) if holder == owner => Some(*releases),
            _ => None,
        }
    }
}

#[async_trait]
impl MailFeedbackLedger for MemoryStore {
    async fn notice_of(&self, message_id: &str) -> Result<Option<NoticeRef>, Unavailable> {
        let tables = self.enter(StoreCall::Claim)?;
        if let Some(notice) = tables.messages.get(message_id) {
            return Ok(Some(*notice));
        }
        // Only a customer's notification is found by its message id, as on DynamoDB.
        Ok(tables
            .ledger
            .iter()
            .find_map(|(key, entry)| match (key, entry) {
                (
                    SendRef::Notice(notice),
                    SendEntry::Sent {
                        message_id: Some(id),
                        ..
                    },
                ) if id == message_id => Some(*notice),
                _ => None,
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
