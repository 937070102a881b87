//! The customer's notification in force, how often a partner's corrections may e-mail the
//! customer again, and what the mail service reports of a notification.

use chrono::{DateTime, Utc};

/// The most corrections of a claim's contact that e-mail its customer again.
pub const MAX_EMAILING_CORRECTIONS: u32 = 3;

/// The customer's notification in force. `number` counts them: 1 for the first, one more for
/// each correction of the contact once an e-mail may have gone out (approved, awaiting,
/// unreachable). The opt-out link and the record of the send name it, so the link e-mailed to
/// an earlier contact stops working and a correction is e-mailed even though an earlier
/// notification was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    pub number: u32,
    /// The customer marked this notification as spam.
    pub complained: bool,
    /// The first permanent bounce of any of the claim's notifications: the unreachable
    /// clock runs from it, and a correction of the contact never resets it.
    pub first_bounce: Option<DateTime<Utc>>,
}

impl Notice {
    /// A new claim's.
    pub const FIRST: Self = Self {
        number: 1,
        complained: false,
        first_bounce: None,
    };

    /// The next notification's, for a corrected contact: the unreachable clock goes on.
    pub fn next(self) -> Self {
        Self {
            number: self.number.saturating_add(1),
            complained: false,
            first_bounce: self.first_bounce,
        }
    }

    /// How many corrections of the contact e-mailed (or were to e-mail) the customer again.
    pub fn emailing_corrections(self) -> u32 {
        self.number.saturating_sub(Self::FIRST.number)
    }
}

/// What the mail service reported of a notification e-mailed to the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailFeedback {
    /// The address does not exist or refuses mail for good.
    PermanentBounce,
    /// A full mailbox, a message too large, a server down: SES gave up this time.
    TransientBounce,
    /// The customer marked the e-mail as spam.
    Complaint,
}

impl MailFeedback {
    /// The history entry's code.
    pub fn code(self) -> &'static str {
        match self {
            Self::PermanentBounce => "permanent_bounce",
            Self::TransientBounce => "transient_bounce",
            Self::Complaint => "complaint",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::tests::*;
    use crate::claim::{ClaimState, ClaimStatus, NightlyDeadline, TransitionError};
    use chrono::TimeDelta;

    #[test]
    fn corrections_never_reset_the_unreachable_clock() {
        // GIVEN a claim whose first notification bounced for good at 2026-11-25 10:05 UTC
        let first_bounce = at("2026-11-25T10:05:00Z");
        let mut claim = unreachable();
        // WHEN the partner corrects the contact, the new one bounces, and so on, twice over
        for (corrected, bounced) in [
            ("2026-12-01T09:00:00Z", "2026-12-01T10:05:00Z"),
            ("2026-12-20T09:00:00Z", "2026-12-20T10:05:00Z"),
        ] {
            let t = claim
                .correct_contact(at(corrected), verified(corrected_contact()))
                .unwrap();
            let sent = renotified(&t.claim, at(corrected) + TimeDelta::minutes(5));
            claim = sent
                .record_mail_feedback(
                    at(bounced),
                    sent.notice.number,
                    MailFeedback::PermanentBounce,
                )
                .unwrap()
                .claim;
        }
        // THEN the claim is unreachable, the bounce shown is the latest, but the nightly run
        // rejects it 30 days after the FIRST bounce, not after the latest
        let deadline = first_bounce + TimeDelta::days(30);
        assert_eq!(claim.status(), ClaimStatus::CustomerUnreachable);
        assert!(matches!(
            claim.state,
            ClaimState::CustomerUnreachable { bounced_at, since, .. }
                if bounced_at == at("2026-12-20T10:05:00Z") && since == first_bounce
        ));
        assert_eq!(
            claim.state.nightly_deadline(),
            Some(NightlyDeadline::Unreachable(deadline))
        );
        let t = claim
            .reject_unreachable(deadline + TimeDelta::milliseconds(1))
            .unwrap();
        assert_eq!(t.entry().code.as_deref(), Some("customer_unreachable"));
    }

    #[test]
    fn the_customer_is_e_mailed_through_three_corrections_at_most() {
        // GIVEN a claim whose customer was e-mailed
        let (mut claim, _) = notified();
        // WHEN the partner corrects the contact three times, each e-mailing the customer again
        for n in 0..3 {
            let corrected = at("2026-11-26T09:00:00Z") + TimeDelta::days(n);
            claim = claim
                .correct_contact(corrected, verified(corrected_contact()))
                .unwrap()
                .claim;
            claim = renotified(&claim, corrected + TimeDelta::minutes(5));
        }
        assert_eq!(claim.notice.emailing_corrections(), 3);
        // THEN a fourth correction that would e-mail is refused, from awaiting as from approved
        assert_eq!(
            claim.correct_contact(at("2026-11-30T09:00:00Z"), verified(corrected_contact())),
            Err(TransitionError::TooManyCorrections)
        );
        let bounced = claim
            .record_mail_feedback(
                at("2026-11-30T10:00:00Z"),
                claim.notice.number,
                MailFeedback::PermanentBounce,
            )
            .unwrap()
            .claim;
        assert_eq!(
            bounced.correct_contact(at("2026-11-30T11:00:00Z"), verified(corrected_contact())),
            Err(TransitionError::TooManyCorrections)
        );
    }

    #[test]
    fn corrections_before_approval_e_mail_no_one_and_count_only_toward_the_partner_bound() {
        // GIVEN a claim in review, corrected five times (no e-mail is at stake yet)
        let mut claim = submitted(at("2026-11-24T09:00:00Z"));
        for n in 0..5 {
            claim = claim
                .correct_contact(
                    at("2026-11-24T10:00:00Z") + TimeDelta::minutes(n),
                    verified(corrected_contact()),
                )
                .unwrap()
                .claim;
        }
        // THEN no notification was started: once approved, all three e-mailing corrections remain
        assert_eq!(claim.notice, Notice::FIRST);
        assert_eq!(claim.partner_entries, 6);
    }
}
