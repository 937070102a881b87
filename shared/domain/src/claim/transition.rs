//! How a move becomes a change of the claim: its steps recorded in the history, in order, with
//! the version and status the claim must still have for the store to apply it; and why a move
//! is refused.

use super::{
    Actor, Claim, ClaimState, ClaimStatus, ContactChange, HistoryEntry, HistoryEvent,
    MAX_EMAILING_CORRECTIONS, MAX_PARTNER_ENTRIES, ReviewerId,
};
use crate::proof::ProofOfExecution;
use chrono::{DateTime, NaiveDate, Utc};

/// A change of a claim: the claim as it becomes, the version and status it must still have for
/// the change to apply, and the history entries recording it (one, or two when a move also
/// adds a proof of execution).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The claim after the change.
    pub claim: Claim,
    pub expected_version: u32,
    pub expected_status: ClaimStatus,
    /// The records of the change, in order.
    pub entries: Vec<HistoryEntry>,
}

impl Transition {
    /// True when the change ends the claim's hold on its unit.
    pub fn releases_lock(&self) -> bool {
        self.expected_status.holds_lock() && !self.claim.status().holds_lock()
    }

    /// True when the change takes the unit (a dispute or a contest approved): the store
    /// applies it only while no other claim holds the unit, or, for a contest, together with
    /// the supersession of the claim it contests.
    pub fn takes_lock(&self) -> bool {
        !self.expected_status.holds_lock() && self.claim.status().holds_lock()
    }

    /// True when the change ends the claim's contest of its unit (approved, rejected,
    /// withdrawn): the partner may contest the unit again, or hold it.
    pub fn ends_contest(&self) -> bool {
        self.expected_status.contests_its_unit() && !self.claim.status().contests_its_unit()
    }

    /// The last history entry.
    pub fn entry(&self) -> &HistoryEntry {
        self.entries
            .last()
            .unwrap_or_else(|| unreachable!("a transition records at least one entry"))
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the claim is already {0}")]
    AlreadyFinal(ClaimStatus),
    #[error("a claim that is {0} cannot make this change")]
    NotAllowedFrom(ClaimStatus),
    #[error("the opt-out window closed at {0}")]
    WindowClosed(DateTime<Utc>),
    #[error("the opt-out window is open until {0}")]
    WindowStillOpen(DateTime<Utc>),
    #[error("the response was due by {0}")]
    ResponseWindowClosed(DateTime<Utc>),
    /// The response is not yet overdue (the nightly run acts only after it).
    #[error("the response is due by {0}")]
    ResponseNotOverdue(DateTime<Utc>),
    #[error("the rejection could be disputed until {0}")]
    DisputeWindowClosed(DateTime<Utc>),
    /// The rejection ended a dispute: only a new claim is possible.
    #[error("the rejection ended a dispute and is final")]
    DisputeExhausted,
    /// The subscription claimed ended: the rejection is final; a new subscription needs a
    /// claim of its own.
    #[error("the subscription claimed ended: the rejection is final")]
    SubscriptionEnded,
    #[error("the proof of execution is not signed after the current one ({0})")]
    ProofNotNewer(NaiveDate),
    /// The partner may still correct the bounced contact (the nightly run acts only after).
    #[error("the customer's contact may be corrected until {0}")]
    UnreachableNotOverdue(DateTime<Utc>),
    /// The customer was e-mailed again through [`MAX_EMAILING_CORRECTIONS`] corrections
    /// already: the vendor's mail is not the partner's to aim at will.
    #[error("the customer's contact was corrected {MAX_EMAILING_CORRECTIONS} times already")]
    TooManyCorrections,
    /// The partner made [`MAX_PARTNER_ENTRIES`] entries of the claim's history already.
    #[error("the claim records {MAX_PARTNER_ENTRIES} changes by its partner already")]
    TooManyChanges,
}

/// One step of a change: who did what, into which state.
pub(super) struct Step {
    pub(super) actor: Actor,
    pub(super) reviewer: Option<ReviewerId>,
    pub(super) event: HistoryEvent,
    pub(super) state: ClaimState,
    pub(super) code: Option<String>,
    pub(super) reason: Option<String>,
    pub(super) contact_change: Option<Box<ContactChange>>,
}

impl Step {
    pub(super) fn new(actor: Actor, event: HistoryEvent, state: ClaimState) -> Self {
        Self {
            actor,
            reviewer: None,
            event,
            state,
            code: None,
            reason: None,
            contact_change: None,
        }
    }

    pub(super) fn by(mut self, reviewer: &ReviewerId) -> Self {
        self.reviewer = Some(reviewer.clone());
        self
    }

    pub(super) fn code(mut self, code: &str) -> Self {
        self.code = Some(code.to_owned());
        self
    }

    pub(super) fn reason(mut self, reason: Option<&str>) -> Self {
        self.reason = reason.map(str::to_owned);
        self
    }
}

impl Claim {
    /// The transition made of `steps` at `at`, from this claim; `proof` replaces the claim's
    /// proof of execution (its `proof_added` step is among `steps`).
    pub(super) fn change(
        &self,
        at: DateTime<Utc>,
        steps: Vec<Step>,
        proof: Option<ProofOfExecution>,
    ) -> Transition {
        let mut claim = self.clone();
        let mut entries = Vec::with_capacity(steps.len());
        for step in steps {
            let from = claim.status();
            let to = step.state.status();
            claim.version += 1;
            if step.actor == Actor::Partner {
                claim.partner_entries = claim.partner_entries.saturating_add(1);
            }
            if to.is_decision() && from != to {
                claim.decided_at = Some(at);
            }
            if step.event == HistoryEvent::Approved {
                claim.approved_at = Some(at);
            }
            let association = claim.association_after(from, to, at);
            claim.state = step.state;
            entries.push(HistoryEntry {
                sequence: claim.version,
                at,
                actor: step.actor,
                reviewer: step.reviewer,
                event: step.event,
                from: Some(from),
                to,
                code: step.code,
                reason: step.reason,
                contact_change: step.contact_change,
                association,
            });
        }
        if let Some(proof) = proof {
            claim.subject.proof_of_execution = proof;
        }
        Transition {
            claim,
            expected_version: self.version,
            expected_status: self.status(),
            entries,
        }
    }

    /// Starts or ends the claim's association as a step from `from` to `to` at `at` does, and
    /// answers the period the step's entry records (only a step that starts or ends one has
    /// one). The period starts at the approval that led to it, so a contest's winner counts
    /// from the instant its approval ended the holder's period: periods meet, never overlap.
    fn association_after(
        &mut self,
        from: ClaimStatus,
        to: ClaimStatus,
        at: DateTime<Utc>,
    ) -> Option<super::Association> {
        match (from.is_association(), to.is_association()) {
            (false, true) => {
                self.association = Some(super::Association {
                    effective_from: self.approved_at.unwrap_or(at),
                    effective_until: None,
                });
                self.association
            }
            (true, false) => {
                if let Some(association) = &mut self.association {
                    association.effective_until = Some(at);
                }
                self.association
            }
            (true, true) | (false, false) => None,
        }
    }

    /// The refusal of a move the claim's status does not allow: a final claim says it is
    /// final (it never moves again), any other which status refuses the move.
    pub(super) fn refuse(&self) -> TransitionError {
        let status = self.status();
        if status.is_final() {
            TransitionError::AlreadyFinal(status)
        } else {
            TransitionError::NotAllowedFrom(status)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::MailFeedback;
    use crate::claim::tests::*;
    use crate::proof::ProofOfExecution;
    use crate::review::{InformationCode, RejectionCode};
    use chrono::TimeDelta;
    use proptest::prelude::*;

    /// Every move any actor can make, `minutes` after the start.
    #[derive(Debug, Clone)]
    enum Move {
        Approve(i64),
        ApproveAutomatically(i64),
        RequestInformation(i64),
        Respond(i64),
        Reject(i64),
        NoResponse(i64),
        Dispute(i64),
        AddProof(i64),
        Notify(i64),
        OptOut(i64),
        Finalize(i64),
        Withdraw(i64),
        End(i64),
        PermanentBounce(i64),
        TransientBounce(i64),
        Complaint(i64),
        CorrectContact(i64),
        Unreachable(i64),
    }

    fn moves() -> impl Strategy<Value = Vec<(usize, Move)>> {
        let m = 0i64..(60 * 24 * 50);
        let one = prop_oneof![
            m.clone().prop_map(Move::Approve),
            m.clone().prop_map(Move::ApproveAutomatically),
            m.clone().prop_map(Move::RequestInformation),
            m.clone().prop_map(Move::Respond),
            m.clone().prop_map(Move::Reject),
            m.clone().prop_map(Move::NoResponse),
            m.clone().prop_map(Move::Dispute),
            m.clone().prop_map(Move::AddProof),
            m.clone().prop_map(Move::Notify),
            m.clone().prop_map(Move::OptOut),
            m.clone().prop_map(Move::Finalize),
            m.clone().prop_map(Move::Withdraw),
            m.clone().prop_map(Move::End),
            m.clone().prop_map(Move::PermanentBounce),
            m.clone().prop_map(Move::TransientBounce),
            m.clone().prop_map(Move::Complaint),
            m.clone().prop_map(Move::CorrectContact),
            m.prop_map(Move::Unreachable),
        ];
        prop::collection::vec((0usize..2, one), 0..30)
    }

    fn attempt(
        claim: &Claim,
        start: DateTime<Utc>,
        m: &Move,
    ) -> Result<Transition, TransitionError> {
        let t = |minutes: i64| start + TimeDelta::minutes(minutes);
        let proof_on = |minutes: i64| ProofOfExecution {
            reference: "SOW-n".into(),
            signed_on: (start + TimeDelta::minutes(minutes)).date_naive(),
        };
        match *m {
            Move::Approve(x) => claim.approve(t(x), &reviewer(), None),
            Move::ApproveAutomatically(x) => claim.approve_automatically(t(x)),
            Move::RequestInformation(x) => claim.request_information(
                t(x),
                &reviewer(),
                vec![InformationCode::Other],
                message("more"),
                &calendar(),
            ),
            Move::Respond(x) => claim.respond(t(x), &message("here"), None),
            Move::Reject(x) => claim.reject(t(x), &reviewer(), RejectionCode::Other, message("no")),
            Move::NoResponse(x) => claim.reject_for_no_response(t(x)),
            Move::Dispute(x) => claim.dispute(t(x), &message("why"), None),
            Move::AddProof(x) => claim.add_proof(t(x), proof_on(x)),
            Move::Notify(x) => {
                claim.notify(calendar().opt_out_window(t(x), crate::zone::Zone::UTC))
            }
            Move::OptOut(x) => claim.opt_out(t(x)),
            Move::Finalize(x) => claim.finalize(t(x)),
            Move::Withdraw(x) => claim.withdraw(t(x), reason()),
            Move::End(x) => claim.end(t(x)),
            Move::PermanentBounce(x) => {
                claim.record_mail_feedback(t(x), claim.notice.number, MailFeedback::PermanentBounce)
            }
            Move::TransientBounce(x) => {
                claim.record_mail_feedback(t(x), claim.notice.number, MailFeedback::TransientBounce)
            }
            Move::Complaint(x) => {
                claim.record_mail_feedback(t(x), claim.notice.number, MailFeedback::Complaint)
            }
            Move::CorrectContact(x) => {
                claim.correct_contact(t(x), verified(subject().customer_contact))
            }
            // Minutes are too few to reach 30 days: the deadline is tried in days here.
            Move::Unreachable(x) => claim.reject_unreachable(start + TimeDelta::days(x % 60)),
        }
    }

    proptest! {
        #[test]
        fn no_sequence_of_moves_leaves_two_claims_holding_one_unit_or_moves_a_final_claim(moves in moves()) {
            // GIVEN two partners' claims for one unit, the first holding it (the store's lock)
            let start = at("2026-11-02T09:00:00Z");
            let first = submitted(start);
            let mut second = submitted(start);
            // the second was refused the unit at submission: it stands rejected, disputable
            second = second
                .reject(start, &reviewer(), RejectionCode::Other, message("held elsewhere"))
                .unwrap()
                .claim;
            let mut claims = [first, second];
            let mut holder: Option<usize> = Some(0);
            let mut histories: [Vec<HistoryEntry>; 2] = [Vec::new(), Vec::new()];
            for (who, m) in moves {
                let before = claims[who].clone();
                let Ok(t) = attempt(&before, start, &m) else {
                    continue;
                };
                // the store applies a transition only with its lock effect: taking a unit
                // another claim holds is refused
                if t.takes_lock() && holder.is_some_and(|h| h != who) {
                    continue;
                }
                if t.takes_lock() {
                    holder = Some(who);
                }
                if t.releases_lock() {
                    prop_assert_eq!(holder, Some(who), "only the holder releases");
                    holder = None;
                }
                // a final claim never moves again
                prop_assert!(!before.status().is_final(), "{:?} moved from {}", m, before.status());
                // the history is a chain: each entry starts where the previous ended
                prop_assert_eq!(t.entries.first().and_then(|e| e.from), Some(before.status()));
                for pair in t.entries.windows(2) {
                    prop_assert_eq!(pair[1].from, Some(pair[0].to));
                    prop_assert_eq!(pair[1].sequence, pair[0].sequence + 1);
                }
                prop_assert_eq!(t.claim.version, before.version + t.entries.len() as u32);
                prop_assert_eq!(t.entry().to, t.claim.status());
                histories[who].extend(t.entries.clone());
                claims[who] = t.claim;
                // at most one claim holds the unit, and it is the lock's holder
                let holding: Vec<usize> = (0..2).filter(|i| claims[*i].status().holds_lock()).collect();
                prop_assert!(holding.len() <= 1, "{:?}", claims.iter().map(Claim::status).collect::<Vec<_>>());
                prop_assert_eq!(holding.first().copied(), holder);
            }
        }
    }
}
