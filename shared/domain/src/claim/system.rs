//! The service's own moves: approving under the automatic policy, recording the customer's
//! notification and what the mail service reports of it, and telling a holder of a contest;
//! and the nightly run's, which act once a deadline has passed (associating, and rejecting
//! an unanswered request or an unreachable customer).

use super::{
    Actor, Claim, ClaimState, HistoryEvent, MailFeedback, Step, Transition, TransitionError,
};
use crate::calendar::{OptOutWindow, window_open};
use crate::review::{DISPUTE_PERIOD, Rejection, RejectionCode, UNREACHABLE_PERIOD};
use chrono::{DateTime, Utc};

impl Claim {
    /// The service approves a claim that passed the synchronous checks, under the automatic
    /// review policy.
    pub fn approve_automatically(&self, at: DateTime<Utc>) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::Submitted { .. } => {
                let step = Step::new(
                    Actor::System,
                    HistoryEvent::Approved,
                    ClaimState::Approved { at },
                )
                .code("automatic_review");
                Ok(self.change(at, vec![step], None))
            }
            ClaimState::InformationRequested { .. }
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

    /// The customer was notified: the window opens.
    pub fn notify(&self, window: OptOutWindow) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::Approved { .. } => {
                let step = Step::new(
                    Actor::System,
                    HistoryEvent::CustomerNotified,
                    ClaimState::AwaitingCustomer { window },
                );
                Ok(self.change(window.notified_at, vec![step], None))
            }
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
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

    /// The mail service's `feedback` on notification number `notice`, recorded in the
    /// history. Only a permanent bounce of the notification in force, while the claim awaits
    /// its customer, changes the status (`customer_unreachable`: silence is no longer consent);
    /// a complaint marks the notification. A final claim records nothing more.
    pub fn record_mail_feedback(
        &self,
        at: DateTime<Utc>,
        notice: u32,
        feedback: MailFeedback,
    ) -> Result<Transition, TransitionError> {
        let status = self.status();
        if status.is_final() {
            return Err(TransitionError::AlreadyFinal(status));
        }
        let current = notice == self.notice.number;
        let (event, state) = match (feedback, &self.state) {
            (MailFeedback::PermanentBounce, ClaimState::AwaitingCustomer { window }) if current => {
                (
                    HistoryEvent::EmailBounced,
                    ClaimState::CustomerUnreachable {
                        window: *window,
                        bounced_at: at,
                        since: self.notice.first_bounce.unwrap_or(at),
                    },
                )
            }
            (MailFeedback::PermanentBounce | MailFeedback::TransientBounce, _) => {
                (HistoryEvent::EmailBounced, self.state.clone())
            }
            (MailFeedback::Complaint, _) => (HistoryEvent::EmailComplaint, self.state.clone()),
        };
        let step = Step::new(Actor::System, event, state)
            .code(feedback.code())
            .reason((!current).then_some(
                "about an earlier notification, sent before the customer's contact was corrected",
            ));
        let mut transition = self.change(at, vec![step], None);
        if current && feedback == MailFeedback::Complaint {
            transition.claim.notice.complained = true;
        }
        if let ClaimState::CustomerUnreachable { since, .. } = transition.claim.state {
            transition.claim.notice.first_bounce = Some(since);
        }
        Ok(transition)
    }

    /// Another partner filed a contest of the unit this claim holds: recorded in its history
    /// (`contest_received`, by the system, naming no one), the status unchanged, so its partner
    /// is told and may add a newer proof before a reviewer compares the two.
    pub fn receive_contest(&self, at: DateTime<Utc>) -> Result<Transition, TransitionError> {
        if !self.status().holds_lock() {
            return Err(self.refuse());
        }
        let step = Step::new(
            Actor::System,
            HistoryEvent::ContestReceived,
            self.state.clone(),
        );
        Ok(self.change(at, vec![step], None))
    }

    /// The nightly run at `now` makes the claim official once its window has closed.
    pub fn finalize(&self, now: DateTime<Utc>) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::AwaitingCustomer { window } if !window.is_open_at(now) => {
                let step = Step::new(
                    Actor::System,
                    HistoryEvent::Associated,
                    ClaimState::Associated { window: *window },
                );
                Ok(self.change(now, vec![step], None))
            }
            ClaimState::AwaitingCustomer { window } => {
                Err(TransitionError::WindowStillOpen(window.deadline))
            }
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
            | ClaimState::Approved { .. }
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

    /// The nightly run at `now` ends the claim holding a subscription the directory says ended:
    /// an association expires (`expired`), a claim in review or awaiting its customer is
    /// rejected, for good (`subscription_ended`, not disputable). Either frees the unit.
    pub fn end_with_subscription(&self, now: DateTime<Utc>) -> Result<Transition, TransitionError> {
        let code = RejectionCode::SubscriptionEnded;
        let step = match &self.state {
            ClaimState::Associated { window } => Step::new(
                Actor::System,
                HistoryEvent::Expired,
                ClaimState::Expired { window: *window },
            ),
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
            | ClaimState::Approved { .. }
            | ClaimState::AwaitingCustomer { .. }
            | ClaimState::CustomerUnreachable { .. } => Step::new(
                Actor::System,
                HistoryEvent::Rejected,
                ClaimState::Rejected {
                    rejection: Rejection {
                        code,
                        message: None,
                        at: now,
                    },
                    dispute_until: None,
                },
            ),
            ClaimState::Rejected { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. }
            | ClaimState::Contested { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::Revoked { .. }
            | ClaimState::Expired { .. } => return Err(self.refuse()),
        };
        Ok(self.change(now, vec![step.code(code.as_str())], None))
    }

    /// The nightly run at `now` rejects a claim whose information request went unanswered past
    /// its due time (`no_response`); it may be disputed like any rejection.
    pub fn reject_for_no_response(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::InformationRequested { request } => {
                if window_open(request.response_due, now) {
                    return Err(TransitionError::ResponseNotOverdue(request.response_due));
                }
                let rejection = Rejection {
                    code: RejectionCode::NoResponse,
                    message: None,
                    at: now,
                };
                let step = Step::new(
                    Actor::System,
                    HistoryEvent::Rejected,
                    ClaimState::Rejected {
                        rejection,
                        dispute_until: Some(now + DISPUTE_PERIOD),
                    },
                )
                .code(RejectionCode::NoResponse.as_str());
                Ok(self.change(now, vec![step], None))
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

    /// The nightly run at `now` rejects a claim whose customer stayed unreachable for 30 days
    /// after its first bounce (`customer_unreachable`); the partner may dispute it as any
    /// rejection.
    pub fn reject_unreachable(&self, now: DateTime<Utc>) -> Result<Transition, TransitionError> {
        match &self.state {
            ClaimState::CustomerUnreachable { since, .. } => {
                let deadline = *since + UNREACHABLE_PERIOD;
                if window_open(deadline, now) {
                    return Err(TransitionError::UnreachableNotOverdue(deadline));
                }
                let rejection = Rejection {
                    code: RejectionCode::CustomerUnreachable,
                    message: None,
                    at: now,
                };
                let step = Step::new(
                    Actor::System,
                    HistoryEvent::Rejected,
                    ClaimState::Rejected {
                        rejection,
                        dispute_until: Some(now + DISPUTE_PERIOD),
                    },
                )
                .code(RejectionCode::CustomerUnreachable.as_str());
                Ok(self.change(now, vec![step], None))
            }
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
            | ClaimState::Approved { .. }
            | ClaimState::AwaitingCustomer { .. }
            | ClaimState::Associated { .. }
            | ClaimState::Rejected { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. }
            | ClaimState::Contested { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::Revoked { .. }
            | ClaimState::Expired { .. } => Err(self.refuse()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::tests::*;
    use crate::claim::{ClaimStatus, NightlyDeadline};
    use chrono::TimeDelta;

    #[test]
    fn the_automatic_policy_approves_as_the_system_with_its_code() {
        let t = submitted(at("2026-11-25T09:00:00Z"))
            .approve_automatically(at("2026-11-25T09:00:00Z"))
            .unwrap();
        let e = t.entry();
        assert_eq!((e.actor, e.event), (Actor::System, HistoryEvent::Approved));
        assert_eq!(e.code.as_deref(), Some("automatic_review"));
        assert_eq!(e.reviewer, None);
    }

    #[test]
    fn notifying_an_approved_claim_opens_the_window_as_the_system() {
        let claim = approved(at("2026-11-25T09:00:00Z"));
        let window = calendar().opt_out_window(at("2026-11-25T10:00:00Z"), crate::zone::Zone::UTC);
        let t = claim.notify(window).unwrap();
        assert_eq!(t.claim.status(), ClaimStatus::AwaitingCustomer);
        assert_eq!(t.claim.state.window(), Some(&window));
        let e = t.entry();
        assert_eq!(
            (e.sequence, e.actor, e.event, e.from),
            (
                3,
                Actor::System,
                HistoryEvent::CustomerNotified,
                Some(ClaimStatus::Approved)
            )
        );
        assert_eq!(t.expected_version, 2);
        assert!(!t.releases_lock());
    }

    #[test]
    fn a_claim_in_review_is_not_notified() {
        let window = calendar().opt_out_window(at("2026-11-25T10:00:00Z"), crate::zone::Zone::UTC);
        assert_eq!(
            submitted(at("2026-11-25T09:00:00Z")).notify(window),
            Err(TransitionError::NotAllowedFrom(ClaimStatus::Submitted))
        );
    }

    #[test]
    fn a_permanent_bounce_stops_the_window_and_keeps_the_unit() {
        // GIVEN a claim awaiting its customer
        let (claim, window) = notified();
        // WHEN its notification bounces for good
        let bounced = at("2026-11-25T10:05:00Z");
        let t = claim
            .record_mail_feedback(bounced, 1, MailFeedback::PermanentBounce)
            .unwrap();
        // THEN the customer is unreachable: out of the opt-out deadline, still holding the unit,
        // rejected by the nightly run 30 days after the bounce unless corrected
        assert_eq!(t.claim.status(), ClaimStatus::CustomerUnreachable);
        assert_eq!(t.entry().event.as_str(), "email_bounced");
        assert_eq!(t.entry().code.as_deref(), Some("permanent_bounce"));
        assert_eq!(t.entry().actor, Actor::System);
        assert!(!t.releases_lock() && ClaimStatus::CustomerUnreachable.holds_lock());
        assert_eq!(t.claim.state.window(), Some(&window));
        assert_eq!(
            t.claim.state.nightly_deadline(),
            Some(NightlyDeadline::Unreachable(bounced + TimeDelta::days(30)))
        );
        assert_eq!(
            t.claim.finalize(at("2026-12-10T02:00:00Z")),
            Err(TransitionError::NotAllowedFrom(
                ClaimStatus::CustomerUnreachable
            ))
        );
    }

    #[test]
    fn a_transient_bounce_or_a_complaint_is_recorded_and_changes_nothing_else() {
        // GIVEN a claim awaiting its customer
        let (claim, _) = notified();
        for (feedback, event) in [
            (MailFeedback::TransientBounce, "email_bounced"),
            (MailFeedback::Complaint, "email_complaint"),
        ] {
            // WHEN the mail service reports it
            let t = claim
                .record_mail_feedback(at("2026-11-25T10:05:00Z"), 1, feedback)
                .unwrap();
            // THEN the history records it, the status and the window stay
            assert_eq!(t.claim.status(), ClaimStatus::AwaitingCustomer);
            assert_eq!(t.claim.state, claim.state);
            assert_eq!(t.entry().event.as_str(), event);
            assert_eq!(t.entry().code.as_deref(), Some(feedback.code()));
            // and only a complaint marks the notification
            assert_eq!(
                t.claim.notice.complained,
                feedback == MailFeedback::Complaint
            );
        }
    }

    #[test]
    fn a_bounce_of_an_earlier_notification_is_only_recorded() {
        // GIVEN a claim whose contact was corrected and e-mailed again (notification 2)
        let (claim, _) = notified();
        let corrected = claim
            .correct_contact(at("2026-11-25T11:00:00Z"), verified(corrected_contact()))
            .unwrap()
            .claim;
        let window = calendar().opt_out_window(at("2026-11-25T11:01:00Z"), crate::zone::Zone::UTC);
        let renotified = corrected.notify(window).unwrap().claim;
        // WHEN the first notification's bounce arrives late
        let t = renotified
            .record_mail_feedback(at("2026-11-25T11:05:00Z"), 1, MailFeedback::PermanentBounce)
            .unwrap();
        // THEN it is recorded as about the earlier notification, and the window runs on
        assert_eq!(t.claim.status(), ClaimStatus::AwaitingCustomer);
        assert!(t.entry().reason.as_deref().unwrap().contains("earlier"));
    }

    #[test]
    fn a_final_claim_records_no_feedback() {
        let declined = notified()
            .0
            .opt_out(at("2026-11-26T10:00:00Z"))
            .unwrap()
            .claim;
        assert_eq!(
            declined.record_mail_feedback(at("2026-11-26T11:00:00Z"), 1, MailFeedback::Complaint),
            Err(TransitionError::AlreadyFinal(ClaimStatus::Declined))
        );
    }

    #[test]
    fn a_holder_is_told_of_a_contest_in_its_history_without_a_status_change() {
        // GIVEN a claim holding its unit, and one that lost it
        let (holder, _) = notified();
        // WHEN another partner contests its unit
        let t = holder.receive_contest(at("2026-11-26T09:00:00Z")).unwrap();
        // THEN its history records it, by the system, naming no one; the status is unchanged
        assert_eq!(t.entry().event.as_str(), "contest_received");
        assert_eq!(t.entry().actor, Actor::System);
        assert_eq!(t.entry().from, Some(ClaimStatus::AwaitingCustomer));
        assert_eq!(t.entry().to, ClaimStatus::AwaitingCustomer);
        assert_eq!(
            (t.entry().code.as_ref(), t.entry().reason.as_ref()),
            (None, None)
        );
        assert_eq!(t.claim.partner_entries, holder.partner_entries);
        let withdrawn = holder
            .withdraw(at("2026-11-26T08:00:00Z"), reason())
            .unwrap()
            .claim;
        assert!(
            withdrawn
                .receive_contest(at("2026-11-26T09:00:00Z"))
                .is_err()
        );
    }

    #[test]
    fn finalization_before_the_deadline_is_refused_and_after_it_associates() {
        let (claim, window) = notified();
        assert_eq!(
            claim.finalize(window.deadline),
            Err(TransitionError::WindowStillOpen(window.deadline))
        );
        let t = claim
            .finalize(window.deadline + TimeDelta::milliseconds(1))
            .unwrap();
        assert_eq!(t.claim.status(), ClaimStatus::Associated);
        assert!(!t.releases_lock());
    }

    #[test]
    fn an_unanswered_request_is_rejected_by_the_system_after_its_due_time_not_at_it() {
        let claim = information_requested();
        assert_eq!(
            claim.reject_for_no_response(at("2026-12-02T23:59:59.999Z")),
            Err(TransitionError::ResponseNotOverdue(at(
                "2026-12-02T23:59:59.999Z"
            )))
        );
        let t = claim
            .reject_for_no_response(at("2026-12-03T02:00:00Z"))
            .unwrap();
        let e = t.entry();
        assert_eq!((e.actor, e.event), (Actor::System, HistoryEvent::Rejected));
        assert_eq!(e.code.as_deref(), Some("no_response"));
        assert!(t.releases_lock());
        match t.claim.state {
            ClaimState::Rejected { dispute_until, .. } => {
                assert_eq!(dispute_until, Some(at("2027-01-02T02:00:00Z")));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_unreachable_customer_is_rejected_by_the_system_after_thirty_days_not_at_them() {
        // GIVEN a claim whose notification bounced at 2026-11-25 10:05 UTC
        let claim = unreachable();
        let deadline = at("2026-12-25T10:05:00Z");
        // WHEN the nightly run looks at the deadline itself THEN it is not yet due
        assert_eq!(
            claim.reject_unreachable(deadline),
            Err(TransitionError::UnreachableNotOverdue(deadline))
        );
        // WHEN it looks after it THEN the system rejects it, disputable, its unit freed
        let t = claim
            .reject_unreachable(deadline + TimeDelta::milliseconds(1))
            .unwrap();
        assert_eq!(t.claim.status(), ClaimStatus::Rejected);
        assert_eq!(t.entry().code.as_deref(), Some("customer_unreachable"));
        assert_eq!(t.entry().actor, Actor::System);
        assert!(t.releases_lock());
        assert!(matches!(
            t.claim.state,
            ClaimState::Rejected {
                dispute_until: Some(_),
                ..
            }
        ));
    }
}
