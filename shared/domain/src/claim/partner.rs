//! The partner's moves: submitting a claim or contesting a unit another claim holds, answering
//! a reviewer, disputing a rejection, adding a newer proof or a document, correcting the
//! customer's contact, and withdrawing.

use super::{
    Actor, Claim, ClaimState, ClaimStatus, ClaimSubject, ContactChange, HistoryEntry, HistoryEvent,
    MAX_EMAILING_CORRECTIONS, MAX_PARTNER_ENTRIES, Notice, Step, Transition, TransitionError,
};
use crate::calendar::window_open;
use crate::contact::CustomerContact;
use crate::ids::{ClaimId, PartnerId};
use crate::proof::ProofOfExecution;
use crate::reference::TenantContact;
use crate::review::{Message, RejectionCode};
use chrono::{DateTime, Utc};

pub const MAX_REASON_CHARS: usize = 500;

/// Why a partner withdraws: 1 to 500 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawalReason(String);

impl WithdrawalReason {
    /// Parses a reason. Line breaks are allowed here (it is free text), other controls are not.
    pub fn parse(text: &str) -> Result<Self, crate::validation::Invalid> {
        crate::review::free_text(text, MAX_REASON_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Claim {
    /// A new claim, in the review queue, and the first entry of its history.
    pub fn submit(
        id: ClaimId,
        partner_id: PartnerId,
        partner_name: String,
        subject: ClaimSubject,
        at: DateTime<Utc>,
    ) -> (Self, HistoryEntry) {
        let claim = Self {
            id,
            partner_id,
            partner_name,
            subject,
            created_at: at,
            state: ClaimState::Submitted { since: at },
            decided_at: None,
            version: 1,
            notice: Notice::FIRST,
            partner_entries: 1,
            approved_at: None,
            association: None,
        };
        let entry = HistoryEntry {
            sequence: 1,
            at,
            actor: Actor::Partner,
            reviewer: None,
            event: HistoryEvent::Submitted,
            from: None,
            to: ClaimStatus::Submitted,
            code: None,
            reason: None,
            contact_change: None,
            association: None,
        };
        (claim, entry)
    }

    /// A new claim for a unit that `holder` holds, for the vendor's arbitration, and the
    /// first entry of its history (`contest_filed`, with the partner's justification).
    pub fn contest(
        id: ClaimId,
        partner_id: PartnerId,
        partner_name: String,
        subject: ClaimSubject,
        at: DateTime<Utc>,
        holder: ClaimId,
        justification: &Message,
    ) -> (Self, HistoryEntry) {
        let (mut claim, mut entry) = Self::submit(id, partner_id, partner_name, subject, at);
        claim.state = ClaimState::Contested { since: at, holder };
        entry.event = HistoryEvent::ContestFiled;
        entry.to = ClaimStatus::Contested;
        entry.reason = Some(justification.as_str().to_owned());
        (claim, entry)
    }

    /// The partner answers an information request, at or before its due time, optionally with
    /// a newer proof of execution; the claim goes back to review.
    pub fn respond(
        &self,
        at: DateTime<Utc>,
        message: &Message,
        proof: Option<ProofOfExecution>,
    ) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::InformationRequested { request } => {
                if !window_open(request.response_due, at) {
                    return Err(TransitionError::ResponseWindowClosed(request.response_due));
                }
                let state = ClaimState::Submitted { since: at };
                let step = Step::new(Actor::Partner, HistoryEvent::Responded, state)
                    .reason(Some(message.as_str()));
                self.with_proof(at, Some(step), proof)
            }
            ClaimState::Submitted { .. }
            | ClaimState::Approved { .. }
            | ClaimState::AwaitingCustomer { .. }
            | ClaimState::Associated { .. }
            | ClaimState::Rejected { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. }
            | ClaimState::Contested { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::CustomerUnreachable { .. }
            | ClaimState::Revoked { .. }
            | ClaimState::Expired { .. } => Err(self.refuse()),
        }
    }

    /// The partner disputes a rejection within 30 days of it, once, optionally with a newer
    /// proof of execution; the claim goes back to review (it does not take its unit back until
    /// a reviewer approves).
    pub fn dispute(
        &self,
        at: DateTime<Utc>,
        justification: &Message,
        proof: Option<ProofOfExecution>,
    ) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::Rejected {
                rejection,
                dispute_until,
            } => {
                if rejection.code == RejectionCode::SubscriptionEnded {
                    return Err(TransitionError::SubscriptionEnded);
                }
                let until = dispute_until.ok_or(TransitionError::DisputeExhausted)?;
                if !window_open(until, at) {
                    return Err(TransitionError::DisputeWindowClosed(until));
                }
                let state = ClaimState::Disputed {
                    since: at,
                    rejection: rejection.clone(),
                };
                let step = Step::new(Actor::Partner, HistoryEvent::Disputed, state)
                    .reason(Some(justification.as_str()));
                self.with_proof(at, Some(step), proof)
            }
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
            | ClaimState::Approved { .. }
            | ClaimState::AwaitingCustomer { .. }
            | ClaimState::Associated { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. }
            | ClaimState::Contested { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::CustomerUnreachable { .. }
            | ClaimState::Revoked { .. }
            | ClaimState::Expired { .. } => Err(self.refuse()),
        }
    }

    /// The partner adds a newer proof of execution to a claim in review, approved, awaiting
    /// its customer, associated, disputed or contested (not to one whose customer is
    /// unreachable); the status does not change.
    pub fn add_proof(
        &self,
        at: DateTime<Utc>,
        proof: ProofOfExecution,
    ) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
            | ClaimState::Approved { .. }
            | ClaimState::AwaitingCustomer { .. }
            | ClaimState::Associated { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Contested { .. } => self.with_proof(at, None, Some(proof)),
            ClaimState::Rejected { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::CustomerUnreachable { .. }
            | ClaimState::Revoked { .. }
            | ClaimState::Expired { .. } => Err(self.refuse()),
        }
    }

    /// A document's upload arrived and passed its checks: recorded in the history (the file
    /// name as the reason), the status unchanged. Allowed until the claim is final: a final
    /// claim's evidence no longer changes anything.
    pub fn add_document(
        &self,
        at: DateTime<Utc>,
        document: &crate::document::Document,
    ) -> Result<Transition, TransitionError> {
        let status = self.status();
        if status.is_final() {
            return Err(TransitionError::AlreadyFinal(status));
        }
        let step = Step::new(
            Actor::Partner,
            HistoryEvent::DocumentAdded,
            self.state.clone(),
        )
        .reason(Some(&document.file_name));
        Ok(self.change(at, vec![step], None))
    }

    /// The partner corrects the customer's contact (one at the tenant's domains) while the
    /// claim holds its unit and is not yet official. Once an e-mail may have gone out
    /// (approved, awaiting, unreachable), the correction starts a new notification: the claim
    /// is `approved` again, to be e-mailed at the new contact, and the earlier link stops
    /// working. A notification the customer received (awaiting) moved to another address is
    /// recorded as a [`ContactChange`], so that the earlier contact is told; an address that
    /// bounced (unreachable) receives nothing more.
    pub fn correct_contact(
        &self,
        at: DateTime<Utc>,
        contact: TenantContact,
    ) -> Result<Transition, TransitionError> {
        let contact = contact.into_contact();
        let (state, notice) = match &self.state {
            ClaimState::Submitted { .. } | ClaimState::InformationRequested { .. } => {
                (self.state.clone(), self.notice)
            }
            ClaimState::Approved { .. } => (self.state.clone(), self.emailing_correction()?),
            ClaimState::AwaitingCustomer { .. } | ClaimState::CustomerUnreachable { .. } => {
                (ClaimState::Approved { at }, self.emailing_correction()?)
            }
            ClaimState::Associated { .. }
            | ClaimState::Rejected { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. }
            | ClaimState::Contested { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::Revoked { .. }
            | ClaimState::Expired { .. } => return Err(self.refuse()),
        };
        self.room_for_partner(1)?;
        let mut step = Step::new(Actor::Partner, HistoryEvent::ContactCorrected, state);
        step.contact_change = self.contact_change(&contact);
        let mut transition = self.change(at, vec![step], None);
        transition.claim.subject.customer_contact = contact;
        transition.claim.notice = notice;
        Ok(transition)
    }

    /// The partner withdraws the claim, or disassociates from the customer, for `reason`:
    /// from every status but `rejected` (disputing is the move there) and the final ones.
    pub fn withdraw(
        &self,
        at: DateTime<Utc>,
        reason: WithdrawalReason,
    ) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
            | ClaimState::Approved { .. }
            | ClaimState::AwaitingCustomer { .. }
            | ClaimState::Associated { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Contested { .. }
            | ClaimState::CustomerUnreachable { .. } => {
                let state = ClaimState::Withdrawn {
                    window: self.state.window().copied(),
                    reason: reason.0.clone(),
                };
                let step = Step::new(Actor::Partner, HistoryEvent::Withdrawn, state)
                    .reason(Some(&reason.0));
                Ok(self.change(at, vec![step], None))
            }
            ClaimState::Rejected { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::Revoked { .. }
            | ClaimState::Expired { .. } => Err(self.refuse()),
        }
    }

    /// The notification a correction starts, once an e-mail may have gone out: refused after
    /// [`MAX_EMAILING_CORRECTIONS`] of them, so a partner cannot make the vendor's mail
    /// e-mail a customer (or an earlier contact) over and over.
    fn emailing_correction(&self) -> Result<Notice, TransitionError> {
        if self.notice.emailing_corrections() >= MAX_EMAILING_CORRECTIONS {
            Err(TransitionError::TooManyCorrections)
        } else {
            Ok(self.notice.next())
        }
    }

    /// Checks that the partner may add `entries` more entries to the history.
    fn room_for_partner(&self, entries: usize) -> Result<(), TransitionError> {
        let entries = u32::try_from(entries).unwrap_or(u32::MAX);
        if self.partner_entries.saturating_add(entries) <= MAX_PARTNER_ENTRIES {
            Ok(())
        } else {
            Err(TransitionError::TooManyChanges)
        }
    }

    /// The partner's `step` (none when the proof is the whole move), then the addition of
    /// `proof`, if any, in the state the step leaves: refused if the proof is not signed after
    /// the claim's, or if the entries would pass the partner's bound.
    fn with_proof(
        &self,
        at: DateTime<Utc>,
        step: Option<Step>,
        proof: Option<ProofOfExecution>,
    ) -> Result<Transition, TransitionError> {
        let current = self.subject.proof_of_execution.signed_on;
        if proof
            .as_ref()
            .is_some_and(|proof| proof.signed_on <= current)
        {
            return Err(TransitionError::ProofNotNewer(current));
        }
        let state = step
            .as_ref()
            .map_or(&self.state, |step| &step.state)
            .clone();
        let mut steps: Vec<Step> = step.into_iter().collect();
        steps.extend(proof.as_ref().map(|proof| {
            Step::new(Actor::Partner, HistoryEvent::ProofAdded, state)
                .reason(Some(&proof.reference))
        }));
        self.room_for_partner(steps.len())?;
        Ok(self.change(at, steps, proof))
    }

    /// Whom a correction to `contact` is to tell: the earlier contact, when a notification
    /// they received (the claim awaits its customer) moves to another mailbox. The same
    /// mailbox in other capitals is not another.
    fn contact_change(&self, contact: &CustomerContact) -> Option<Box<ContactChange>> {
        let earlier = &self.subject.customer_contact;
        let moved = !earlier
            .email
            .for_delivery()
            .eq_ignore_ascii_case(&contact.email.for_delivery());
        let received = matches!(self.state, ClaimState::AwaitingCustomer { .. });
        (received && moved).then(|| {
            Box::new(ContactChange {
                earlier: earlier.clone(),
                new_email: contact.email.clone(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::tests::*;
    use crate::contact::EmailAddress;
    use crate::review::InformationCode;
    use chrono::{NaiveDate, TimeDelta};

    #[test]
    fn a_response_at_its_due_time_goes_back_to_review() {
        let claim = information_requested();
        let t = claim
            .respond(
                at("2026-12-02T23:59:59.999Z"),
                &message("signed copy"),
                None,
            )
            .unwrap();
        assert_eq!(t.claim.status(), ClaimStatus::Submitted);
        assert_eq!(
            t.claim.state.in_review_since(),
            Some(at("2026-12-02T23:59:59.999Z"))
        );
        assert_eq!(t.entry().event, HistoryEvent::Responded);
        assert!(!t.releases_lock() && !t.takes_lock());
    }

    #[test]
    fn a_response_after_its_due_time_is_refused() {
        let claim = information_requested();
        assert_eq!(
            claim.respond(at("2026-12-03T00:00:00Z"), &message("late"), None),
            Err(TransitionError::ResponseWindowClosed(at(
                "2026-12-02T23:59:59.999Z"
            )))
        );
    }

    #[test]
    fn a_response_with_a_newer_proof_records_both_and_replaces_the_proof() {
        let claim = information_requested();
        let t = claim
            .respond(
                at("2026-11-30T10:00:00Z"),
                &message("new SOW"),
                Some(proof("2026-11-20")),
            )
            .unwrap();
        let events: Vec<_> = t.entries.iter().map(|e| (e.sequence, e.event)).collect();
        assert_eq!(
            events,
            vec![(3, HistoryEvent::Responded), (4, HistoryEvent::ProofAdded)]
        );
        assert_eq!(t.claim.version, 4);
        assert_eq!(t.claim.subject.proof_of_execution, proof("2026-11-20"));
        assert_eq!(t.entries[1].from, Some(ClaimStatus::Submitted));
        assert_eq!(t.entries[1].to, ClaimStatus::Submitted);
    }

    #[test]
    fn a_response_with_a_proof_not_newer_is_refused() {
        let claim = information_requested();
        assert_eq!(
            claim.respond(
                at("2026-11-30T10:00:00Z"),
                &message("same"),
                Some(proof("2026-10-01"))
            ),
            Err(TransitionError::ProofNotNewer(
                NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()
            ))
        );
    }

    #[test]
    fn a_dispute_within_thirty_days_goes_back_to_review_without_the_unit() {
        let t = rejected()
            .dispute(
                at("2026-12-26T10:00:00Z"),
                &message("signed copy attached"),
                None,
            )
            .unwrap();
        assert_eq!(t.claim.status(), ClaimStatus::Disputed);
        assert!(!t.takes_lock() && !t.releases_lock());
        assert_eq!(t.entry().event, HistoryEvent::Disputed);
        // decided_at keeps the rejection's time: the latest decision
        assert_eq!(t.claim.decided_at, Some(at("2026-11-26T10:00:00Z")));
    }

    #[test]
    fn a_dispute_after_thirty_days_is_refused() {
        assert_eq!(
            rejected().dispute(at("2026-12-26T10:00:00.001Z"), &message("late"), None),
            Err(TransitionError::DisputeWindowClosed(at(
                "2026-12-26T10:00:00Z"
            )))
        );
    }

    #[test]
    fn a_rejected_claim_cannot_be_withdrawn_approved_or_asked_for_more() {
        let claim = rejected();
        let later = at("2026-11-27T10:00:00Z");
        let refused = Err(TransitionError::NotAllowedFrom(ClaimStatus::Rejected));
        assert_eq!(claim.withdraw(later, reason()), refused);
        assert_eq!(claim.approve(later, &reviewer(), None), refused);
        assert_eq!(
            claim.request_information(
                later,
                &reviewer(),
                vec![InformationCode::Other],
                message("?"),
                &calendar()
            ),
            refused
        );
        assert_eq!(claim.add_proof(later, proof("2026-11-20")), refused);
    }

    #[test]
    fn a_newer_proof_is_added_to_a_claim_holding_its_unit_or_disputed_without_moving_it() {
        let (notified, _) = notified();
        for claim in [submitted(at("2026-11-25T09:00:00Z")), notified, disputed()] {
            let t = claim
                .add_proof(at("2026-11-28T09:00:00Z"), proof("2026-11-20"))
                .unwrap();
            assert_eq!(t.claim.status(), claim.status());
            assert_eq!(t.entry().event, HistoryEvent::ProofAdded);
            assert_eq!(t.entry().from, Some(claim.status()));
            assert_eq!(
                t.claim.subject.proof_of_execution.signed_on.to_string(),
                "2026-11-20"
            );
        }
    }

    #[test]
    fn a_proof_signed_on_or_before_the_current_one_is_not_newer() {
        let claim = submitted(at("2026-11-25T09:00:00Z"));
        for signed_on in ["2026-10-01", "2026-09-30"] {
            assert_eq!(
                claim.add_proof(at("2026-11-28T09:00:00Z"), proof(signed_on)),
                Err(TransitionError::ProofNotNewer(
                    NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()
                ))
            );
        }
    }

    fn a_document() -> crate::document::Document {
        let request = crate::document::UploadRequest {
            file_name: "SOW 4711.pdf".into(),
            content_type: crate::document::ContentType::Pdf,
            size: 1024,
        };
        crate::document::Document::pending(
            crate::document::DocumentId::new_at(at("2026-11-28T09:00:00Z")),
            request,
            at("2026-11-28T09:00:00Z"),
        )
    }

    #[test]
    fn an_uploaded_document_is_recorded_without_moving_a_claim_that_is_not_final() {
        // GIVEN claims in review, rejected and disputed
        for claim in [
            submitted(at("2026-11-25T09:00:00Z")),
            rejected(),
            disputed(),
        ] {
            // WHEN a document's upload is accepted
            let t = claim
                .add_document(at("2026-11-28T09:00:00Z"), &a_document())
                .unwrap();
            // THEN the history records it by file name, and the status stays
            assert_eq!(t.claim.status(), claim.status());
            assert_eq!(t.entry().event, HistoryEvent::DocumentAdded);
            assert_eq!(t.entry().event.as_str(), "document_added");
            assert_eq!(t.entry().actor, Actor::Partner);
            assert_eq!(t.entry().reason.as_deref(), Some("SOW 4711.pdf"));
            assert_eq!(t.claim.version, claim.version + 1);
            assert!(!t.releases_lock() && !t.takes_lock());
        }
    }

    #[test]
    fn a_final_claim_takes_no_document() {
        // GIVEN a withdrawn claim
        let withdrawn = submitted(at("2026-11-25T09:00:00Z"))
            .withdraw(at("2026-11-26T09:00:00Z"), reason())
            .unwrap()
            .claim;
        // WHEN a document's upload arrives
        let refused = withdrawn.add_document(at("2026-11-28T09:00:00Z"), &a_document());
        // THEN it is refused as final
        assert_eq!(
            refused,
            Err(TransitionError::AlreadyFinal(ClaimStatus::Withdrawn))
        );
    }

    #[test]
    fn a_corrected_contact_of_a_notified_claim_starts_a_new_notification() {
        // GIVEN claims whose customer was e-mailed: awaiting, and unreachable after a bounce
        for claim in [notified().0, unreachable()] {
            // WHEN the partner corrects the contact
            let t = claim
                .correct_contact(at("2026-11-26T10:00:00Z"), verified(corrected_contact()))
                .unwrap();
            // THEN the claim is approved again, to be e-mailed at the new contact, as the next
            // notification (the earlier link stops working), its unit kept, its window gone
            assert_eq!(t.claim.status(), ClaimStatus::Approved);
            assert_eq!(t.entry().event.as_str(), "contact_corrected");
            assert_eq!(t.entry().actor, Actor::Partner);
            assert_eq!(t.claim.subject.customer_contact, corrected_contact());
            assert_eq!(t.claim.notice.number, claim.notice.number + 1);
            assert!(!t.releases_lock());
            assert_eq!(t.claim.state.window(), None);
            assert_eq!(t.claim.state.nightly_deadline(), None);
        }
    }

    #[test]
    fn a_correction_moving_a_received_notification_records_the_earlier_contact_to_tell() {
        // GIVEN a claim whose customer, Giulia, received the notification
        let (claim, _) = notified();
        // WHEN the partner names Marco instead
        let t = claim
            .correct_contact(at("2026-11-26T10:00:00Z"), verified(corrected_contact()))
            .unwrap();
        // THEN the entry records Giulia, to be told, and Marco's address
        let change = t.entry().contact_change.clone().unwrap();
        assert_eq!(change.earlier, claim.subject.customer_contact);
        assert_eq!(change.new_email.as_str(), "marco@contoso.com");
    }

    #[test]
    fn a_correction_that_moves_no_received_notification_records_no_one_to_tell() {
        // GIVEN claims whose customer received nothing yet, or whose address bounced
        let in_review = [
            submitted(at("2026-11-25T09:00:00Z")),
            information_requested(),
            approved(at("2026-11-25T09:00:00Z")),
            unreachable(),
        ];
        for claim in in_review {
            // WHEN the contact is corrected
            let t = claim
                .correct_contact(at("2026-11-26T10:00:00Z"), verified(corrected_contact()))
                .unwrap();
            // THEN no one is to be told
            assert_eq!(t.entry().contact_change, None, "{}", claim.status());
        }
        // AND a correction of the name or language at the same address (in other capitals)
        // tells no one either: the notification goes to the same mailbox
        let (claim, _) = notified();
        let mut same = claim.subject.customer_contact.clone();
        same.name = "Giulia Rossi-Bianchi".into();
        same.email = EmailAddress::parse("Giulia@Contoso.com").unwrap();
        let t = claim
            .correct_contact(at("2026-11-26T10:00:00Z"), verified(same))
            .unwrap();
        assert_eq!(t.entry().contact_change, None);
        assert_eq!(t.claim.status(), ClaimStatus::Approved);
    }

    #[test]
    fn a_corrected_contact_in_review_changes_only_the_contact() {
        // GIVEN a claim in review, and one waiting for the partner's information
        for claim in [
            submitted(at("2026-11-25T09:00:00Z")),
            information_requested(),
        ] {
            // WHEN the partner corrects the contact
            let t = claim
                .correct_contact(at("2026-11-26T10:00:00Z"), verified(corrected_contact()))
                .unwrap();
            // THEN the status stays, nothing was e-mailed so the notification stays the first
            assert_eq!(t.claim.status(), claim.status());
            assert_eq!(t.claim.notice, Notice::FIRST);
            assert_eq!(t.claim.subject.customer_contact, corrected_contact());
        }
    }

    #[test]
    fn a_corrected_contact_of_an_approved_claim_replaces_its_queued_notification() {
        // GIVEN an approved claim whose e-mail may be going out
        let claim = approved(at("2026-11-25T09:00:00Z"));
        // WHEN the partner corrects the contact
        let t = claim
            .correct_contact(at("2026-11-25T09:01:00Z"), verified(corrected_contact()))
            .unwrap();
        // THEN it stays approved, as the next notification
        assert_eq!(t.claim.status(), ClaimStatus::Approved);
        assert_eq!(t.claim.notice.number, 2);
    }

    #[test]
    fn an_official_or_decided_claim_s_contact_is_not_corrected() {
        for claim in [associated(), rejected(), disputed()] {
            assert_eq!(
                claim.correct_contact(at("2027-01-04T10:00:00Z"), verified(corrected_contact())),
                Err(TransitionError::NotAllowedFrom(claim.status()))
            );
        }
    }

    #[test]
    fn a_partner_adds_at_most_fifty_entries_to_a_claim_but_may_always_withdraw() {
        // GIVEN a submitted claim (one partner entry) corrected 49 times in review
        let mut claim = submitted(at("2026-11-24T09:00:00Z"));
        for n in 0..49 {
            claim = claim
                .correct_contact(
                    at("2026-11-24T10:00:00Z") + TimeDelta::minutes(n),
                    verified(corrected_contact()),
                )
                .unwrap()
                .claim;
        }
        assert_eq!(claim.partner_entries, MAX_PARTNER_ENTRIES);
        // WHEN the partner tries another move THEN it is refused, and nothing changes
        let later = at("2026-11-25T10:00:00Z");
        assert_eq!(
            claim.correct_contact(later, verified(corrected_contact())),
            Err(TransitionError::TooManyChanges)
        );
        assert_eq!(
            claim.add_proof(later, proof("2026-11-20")),
            Err(TransitionError::TooManyChanges)
        );
        // AND the reviewer's moves and the partner's withdrawal still go through
        let asked = claim
            .request_information(
                later,
                &reviewer(),
                vec![InformationCode::MissingCustomerSignature],
                message("the statement of work is not signed"),
                &calendar(),
            )
            .unwrap()
            .claim;
        assert_eq!(
            asked.respond(later, &message("here it is"), None),
            Err(TransitionError::TooManyChanges)
        );
        let t = asked.withdraw(later, reason()).unwrap();
        assert_eq!(t.claim.status(), ClaimStatus::Withdrawn);
    }

    #[test]
    fn withdrawing_an_association_keeps_its_window_and_records_the_reason() {
        let (claim, window) = notified();
        let associated = claim
            .finalize(window.deadline + TimeDelta::days(1))
            .unwrap()
            .claim;
        let t = associated
            .withdraw(at("2026-12-10T00:00:00Z"), reason())
            .unwrap();
        assert_eq!(t.claim.state.window(), Some(&window));
        assert_eq!(t.entry().reason.as_deref(), Some("engagement ended"));
        assert!(t.releases_lock());
    }

    #[test]
    fn every_status_but_rejected_and_the_final_ones_can_be_withdrawn() {
        let (notified, window) = notified();
        let associated = notified
            .finalize(window.deadline + TimeDelta::days(1))
            .unwrap()
            .claim;
        let later = at("2027-01-10T00:00:00Z");
        for claim in [
            submitted(at("2026-11-25T09:00:00Z")),
            information_requested(),
            approved(at("2026-11-25T09:00:00Z")),
            notified.clone(),
            associated,
            disputed(),
        ] {
            let t = claim.withdraw(later, reason()).unwrap();
            assert_eq!(
                t.claim.status(),
                ClaimStatus::Withdrawn,
                "{:?}",
                claim.status()
            );
            assert_eq!(t.releases_lock(), claim.status().holds_lock());
        }
    }

    #[test]
    fn the_partner_may_withdraw_an_unreachable_claim() {
        let t = unreachable()
            .withdraw(at("2026-11-26T10:00:00Z"), reason())
            .unwrap();
        assert_eq!(t.claim.status(), ClaimStatus::Withdrawn);
        assert!(t.releases_lock());
    }

    #[test]
    fn withdrawal_reasons_are_one_to_five_hundred_characters() {
        assert!(WithdrawalReason::parse(&"x".repeat(500)).is_ok());
        assert!(WithdrawalReason::parse(&"x".repeat(501)).is_err());
        assert!(WithdrawalReason::parse("  ").is_err());
    }
}
