//! The e-mails that follow a claim's events: the partner's (what happened, what the partner can
//! do and by when) and the customer's second one, once the association is official. Composed
//! from the event and the claim as stored, in the recipient's language.

use crate::calendar::BusinessCalendar;
use crate::claim::{Claim, ClaimStatus, ContactChange, HistoryEvent};
use crate::email::CustomerEmail;
use crate::ids::ClaimId;
use crate::messages::{ClaimInWords, Message, PartnerNewsMessages};
use crate::review::{DISPUTE_PERIOD, RejectionCode, UNREACHABLE_PERIOD, five_business_days_after};
use askama::Template;
use chrono::{DateTime, Utc};

/// One history entry as a consumer of the bus receives it (docs/api.md, "Events";
/// [`crate::events::ClaimEvent`] is the publisher's side): no names, addresses or free
/// text, so the e-mails read those from the claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedEvent {
    pub claim_id: ClaimId,
    /// The entry's position in the claim's history: with the claim, the event's identity.
    pub sequence: u32,
    pub at: DateTime<Utc>,
    pub event: HistoryEvent,
    pub from: Option<ClaimStatus>,
    pub to: ClaimStatus,
    pub code: Option<String>,
}

/// What the partner is told of, with the date by which it may act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartnerNews {
    /// A reviewer asked for more, to be answered by `response_due`.
    InformationRequested {
        response_due: DateTime<Utc>,
    },
    Approved,
    /// Rejected for `code`; disputable until `dispute_until`, `None` when it ended a dispute.
    Rejected {
        code: Option<String>,
        dispute_until: Option<DateTime<Utc>>,
    },
    Declined,
    Associated,
    Revoked,
    Superseded,
    /// Another partner contested the unit the claim holds (the contester is never named).
    ContestReceived,
    /// The customer's e-mail bounced for good: the contact may be corrected until `until`.
    CustomerUnreachable {
        until: DateTime<Utc>,
    },
    /// The subscription claimed ended: the association expired, or the claim was rejected
    /// (not disputable).
    SubscriptionEnded,
}

impl PartnerNews {
    /// What `event` tells the partner, if anything. The deadlines are computed from the event's
    /// own time, as the transition that recorded it computed them, so the e-mail says the same
    /// even when the claim has moved on since.
    ///
    /// An unreachable customer's date is counted from this bounce; [`Self::on`] counts it from
    /// the claim's first permanent bounce, which a correction never resets.
    pub fn of(event: &ReceivedEvent, calendar: &BusinessCalendar) -> Option<Self> {
        match event.event {
            HistoryEvent::InformationRequested => Some(Self::InformationRequested {
                response_due: five_business_days_after(calendar, event.at),
            }),
            HistoryEvent::Approved => Some(Self::Approved),
            HistoryEvent::Expired => Some(Self::SubscriptionEnded),
            HistoryEvent::Rejected
                if event.code.as_deref() == Some(RejectionCode::SubscriptionEnded.as_str()) =>
            {
                Some(Self::SubscriptionEnded)
            }
            HistoryEvent::Rejected => Some(Self::Rejected {
                code: event.code.clone(),
                // A rejection that ends a dispute is final (docs/lifecycle.md).
                dispute_until: (event.from != Some(ClaimStatus::Disputed))
                    .then(|| event.at + DISPUTE_PERIOD),
            }),
            HistoryEvent::Declined => Some(Self::Declined),
            HistoryEvent::Associated => Some(Self::Associated),
            HistoryEvent::Revoked => Some(Self::Revoked),
            HistoryEvent::Superseded => Some(Self::Superseded),
            HistoryEvent::ContestReceived => Some(Self::ContestReceived),
            // Only the bounce that made the customer unreachable: a transient bounce, or one
            // of an earlier notification, changes nothing the partner must act on.
            HistoryEvent::EmailBounced => {
                (event.to == ClaimStatus::CustomerUnreachable).then(|| Self::CustomerUnreachable {
                    until: event.at + UNREACHABLE_PERIOD,
                })
            }
            HistoryEvent::Submitted
            | HistoryEvent::Responded
            | HistoryEvent::Disputed
            | HistoryEvent::CustomerNotified
            | HistoryEvent::Withdrawn
            | HistoryEvent::ProofAdded
            | HistoryEvent::ContestFiled
            | HistoryEvent::DocumentAdded
            | HistoryEvent::ContactCorrected
            | HistoryEvent::EmailComplaint => None,
        }
    }

    /// The news as `claim` counts it: the date by which an unreachable customer's contact must
    /// be corrected runs from the claim's first permanent bounce (it never changes once set).
    #[must_use]
    pub fn on(self, claim: &Claim) -> Self {
        if let (Self::CustomerUnreachable { until }, Some(first)) =
            (&self, claim.notice.first_bounce)
        {
            return Self::CustomerUnreachable {
                until: (*until).min(first + UNREACHABLE_PERIOD),
            };
        }
        self
    }

    /// The date the e-mail about `claim` names: by which the partner may act, or, for an
    /// association made official, since when it counts (its effective period's beginning, the
    /// approval, which the claim keeps once set).
    fn date_on(&self, claim: &Claim) -> Option<DateTime<Utc>> {
        match self {
            Self::Associated => claim.association.map(|a| a.effective_from),
            Self::InformationRequested { .. }
            | Self::Approved
            | Self::Rejected { .. }
            | Self::Declined
            | Self::Revoked
            | Self::Superseded
            | Self::ContestReceived
            | Self::CustomerUnreachable { .. }
            | Self::SubscriptionEnded => self.deadline(),
        }
    }

    /// The date by which the partner may act, if there is one.
    fn deadline(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::InformationRequested { response_due } => Some(*response_due),
            Self::Rejected { dispute_until, .. } => *dispute_until,
            Self::CustomerUnreachable { until } => Some(*until),
            Self::Approved
            | Self::Declined
            | Self::Associated
            | Self::Revoked
            | Self::Superseded
            | Self::ContestReceived
            | Self::SubscriptionEnded => None,
        }
    }

    /// The machine reason code shown with the news.
    fn code(&self) -> Option<&str> {
        match self {
            Self::Rejected { code, .. } => code.as_deref(),
            Self::InformationRequested { .. }
            | Self::Approved
            | Self::Declined
            | Self::Associated
            | Self::Revoked
            | Self::Superseded
            | Self::ContestReceived
            | Self::CustomerUnreachable { .. } => None,
            Self::SubscriptionEnded => Some(RejectionCode::SubscriptionEnded.as_str()),
        }
    }

    /// Its words in the reader's catalogue, and what the partner can do.
    fn words(&self, f: &ClaimInWords<'_>) -> (&'static PartnerNewsMessages, Message) {
        let p = &f.messages().partner;
        let news = match self {
            Self::InformationRequested { .. } => &p.information_requested,
            Self::Approved => &p.approved,
            Self::Rejected { .. } => &p.rejected,
            Self::Declined => &p.declined,
            Self::Associated => &p.associated,
            Self::Revoked => &p.revoked,
            Self::Superseded => &p.superseded,
            Self::ContestReceived => &p.contest_received,
            Self::CustomerUnreachable { .. } => &p.customer_unreachable,
            Self::SubscriptionEnded => &p.subscription_ended,
        };
        let next = match self {
            Self::Rejected {
                dispute_until: None,
                ..
            } => p.rejected_final,
            Self::Rejected { .. }
            | Self::InformationRequested { .. }
            | Self::Approved
            | Self::Declined
            | Self::Associated
            | Self::Revoked
            | Self::Superseded
            | Self::ContestReceived
            | Self::CustomerUnreachable { .. }
            | Self::SubscriptionEnded => news.next,
        };
        (news, next)
    }
}

#[derive(Template)]
#[template(path = "partner_subject.txt")]
struct PartnerSubject<'a> {
    f: &'a ClaimInWords<'a>,
    n: &'a PartnerNewsMessages,
}

#[derive(Template)]
#[template(path = "partner.txt")]
struct PartnerText<'a> {
    f: &'a ClaimInWords<'a>,
    n: &'a PartnerNewsMessages,
    next: Message,
    code: Option<&'a str>,
    claim_url: &'a str,
}

#[derive(Template)]
#[template(path = "partner.html")]
struct PartnerHtml<'a> {
    f: &'a ClaimInWords<'a>,
    n: &'a PartnerNewsMessages,
    next: Message,
    code: Option<&'a str>,
    claim_url: &'a str,
}

/// Composes the partner's e-mail of `news` about `claim`, in the partner contact's language. It
/// names the claim's address in the partner API (`api_base_url`/v1/claims/{id}), which needs the
/// partner's own token, and nothing secret: no opt-out link.
pub fn compose_partner_email(
    claim: &Claim,
    news: &PartnerNews,
    api_base_url: &str,
) -> Result<CustomerEmail, askama::Error> {
    let facts = ClaimInWords::for_partner(claim, news.date_on(claim));
    let f = &facts;
    let (n, next) = news.words(f);
    let claim_url = format!(
        "{}/v1/claims/{}",
        api_base_url.trim_end_matches('/'),
        claim.id
    );
    let code = news.code();
    Ok(CustomerEmail {
        to: claim.subject.partner_contact.email.clone(),
        subject: PartnerSubject { f, n }.render()?,
        text: PartnerText {
            f,
            n,
            next,
            code,
            claim_url: &claim_url,
        }
        .render()?,
        html: PartnerHtml {
            f,
            n,
            next,
            code,
            claim_url: &claim_url,
        }
        .render()?,
    })
}

/// What an event tells a customer contact, beside the partner's news.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerNews {
    /// The association is official: the customer is sent the link through which to end it.
    Official,
    /// A correction moved the notification the customer had received to another address: the
    /// earlier contact, whom the history entry names, is told.
    ContactMoved,
}

impl CustomerNews {
    /// What `event` tells a customer contact, if anything.
    pub fn of(event: &ReceivedEvent) -> Option<Self> {
        match event.event {
            HistoryEvent::Associated => Some(Self::Official),
            // Only a notification the customer received (the claim was awaiting them) has an
            // earlier contact to tell; whether the address changed, the entry says.
            HistoryEvent::ContactCorrected => {
                (event.from == Some(ClaimStatus::AwaitingCustomer)).then_some(Self::ContactMoved)
            }
            HistoryEvent::Submitted
            | HistoryEvent::Approved
            | HistoryEvent::InformationRequested
            | HistoryEvent::Responded
            | HistoryEvent::Rejected
            | HistoryEvent::Disputed
            | HistoryEvent::CustomerNotified
            | HistoryEvent::Declined
            | HistoryEvent::Withdrawn
            | HistoryEvent::ProofAdded
            | HistoryEvent::ContestFiled
            | HistoryEvent::Superseded
            | HistoryEvent::DocumentAdded
            | HistoryEvent::Revoked
            | HistoryEvent::EmailBounced
            | HistoryEvent::EmailComplaint
            | HistoryEvent::ContestReceived
            | HistoryEvent::Expired => None,
        }
    }
}

/// True when `event` calls for an e-mail to anyone: what the bus's e-mail rule routes to
/// notify-partner.
pub fn is_mailed(event: &ReceivedEvent, calendar: &BusinessCalendar) -> bool {
    PartnerNews::of(event, calendar).is_some() || CustomerNews::of(event).is_some()
}

#[derive(Template)]
#[template(path = "contact_moved_subject.txt")]
struct ContactMovedSubject<'a> {
    f: &'a ClaimInWords<'a>,
}

#[derive(Template)]
#[template(path = "contact_moved.txt")]
struct ContactMovedText<'a> {
    f: &'a ClaimInWords<'a>,
}

#[derive(Template)]
#[template(path = "contact_moved.html")]
struct ContactMovedHtml<'a> {
    f: &'a ClaimInWords<'a>,
}

/// Composes the e-mail telling the contact that `change` replaced that the partner of `claim`
/// named another contact, in their language, with the new address masked and no link: their
/// link stopped working, and the request is now the new contact's to decline.
pub fn compose_contact_moved_email(
    claim: &Claim,
    change: &ContactChange,
) -> Result<CustomerEmail, askama::Error> {
    let facts = ClaimInWords::for_earlier_contact(claim, change);
    let f = &facts;
    Ok(CustomerEmail {
        to: change.earlier.email.clone(),
        subject: ContactMovedSubject { f }.render()?,
        text: ContactMovedText { f }.render()?,
        html: ContactMovedHtml { f }.render()?,
    })
}

#[derive(Template)]
#[template(path = "official_subject.txt")]
struct OfficialSubject<'a> {
    f: &'a ClaimInWords<'a>,
}

#[derive(Template)]
#[template(path = "official.txt")]
struct OfficialText<'a> {
    f: &'a ClaimInWords<'a>,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "official.html")]
struct OfficialHtml<'a> {
    f: &'a ClaimInWords<'a>,
    link: &'a str,
}

/// Composes the customer's e-mail saying that the association of `claim` is official, with the
/// `link` to their page, through which they may end it at any time.
pub fn compose_official_email(claim: &Claim, link: &str) -> Result<CustomerEmail, askama::Error> {
    let facts = ClaimInWords::of(claim);
    let f = &facts;
    Ok(CustomerEmail {
        to: claim.subject.customer_contact.email.clone(),
        subject: OfficialSubject { f }.render()?,
        text: OfficialText { f, link }.render()?,
        html: OfficialHtml { f, link }.render()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::tests::{at, submitted};
    use crate::contact::Locale;

    const API: &str = "https://cpor.example.com/";

    /// A claim whose partner contact reads `locale`, by a partner whose names carry markup.
    fn claim_read_in(locale: &str) -> Claim {
        let mut claim = submitted(at("2026-11-25T09:00:00Z"));
        claim.partner_name = "Fabrikam & Söhne <b>".into();
        claim.subject.partner_contact.name = "Sam <i>Lee</i>".into();
        claim.subject.partner_contact.locale = Locale::parse(locale).unwrap();
        claim
    }

    fn event(event: HistoryEvent, from: Option<ClaimStatus>, to: ClaimStatus) -> ReceivedEvent {
        ReceivedEvent {
            claim_id: submitted(at("2026-11-25T09:00:00Z")).id,
            sequence: 2,
            at: at("2026-11-25T10:00:00Z"),
            event,
            from,
            to,
            code: None,
        }
    }

    /// Every kind of news the partner is told of.
    fn every_news() -> Vec<PartnerNews> {
        vec![
            PartnerNews::InformationRequested {
                response_due: at("2026-12-02T23:59:59.999Z"),
            },
            PartnerNews::Approved,
            PartnerNews::Rejected {
                code: Some("insufficient_proof_of_execution".into()),
                dispute_until: Some(at("2026-12-25T10:00:00Z")),
            },
            PartnerNews::Rejected {
                code: Some("other".into()),
                dispute_until: None,
            },
            PartnerNews::Declined,
            PartnerNews::Associated,
            PartnerNews::Revoked,
            PartnerNews::Superseded,
            PartnerNews::CustomerUnreachable {
                until: at("2026-12-25T10:00:00Z"),
            },
        ]
    }

    #[test]
    fn an_unreachable_customer_s_date_runs_from_the_claim_s_first_bounce() {
        // GIVEN a claim whose first notification bounced on 2026-11-01, and a later bounce
        // (of a corrected contact's notification) on 2026-11-25 that made it unreachable again
        let mut claim = submitted(at("2026-10-30T09:00:00Z"));
        claim.notice.first_bounce = Some(at("2026-11-01T10:00:00Z"));
        let told = PartnerNews::CustomerUnreachable {
            until: at("2026-12-25T10:00:00Z"),
        };
        // THEN the partner is told the date 30 days after the first bounce, not the latest
        assert_eq!(
            told.clone().on(&claim),
            PartnerNews::CustomerUnreachable {
                until: at("2026-12-01T10:00:00Z")
            }
        );
        // AND a claim that bounced once keeps the event's date; other news is unchanged
        claim.notice.first_bounce = None;
        assert_eq!(told.clone().on(&claim), told);
        assert_eq!(PartnerNews::Approved.on(&claim), PartnerNews::Approved);
    }

    #[test]
    fn the_events_the_partner_is_told_of_are_the_domains_list_with_their_deadlines() {
        use ClaimStatus as S;
        use HistoryEvent as E;
        let calendar = BusinessCalendar::default();
        // GIVEN each event, as the bus delivers it
        let request = event(
            E::InformationRequested,
            Some(S::Submitted),
            S::InformationRequested,
        );
        let rejection = event(E::Rejected, Some(S::Submitted), S::Rejected);
        let final_rejection = event(E::Rejected, Some(S::Disputed), S::Rejected);
        let bounce = event(
            E::EmailBounced,
            Some(S::AwaitingCustomer),
            S::CustomerUnreachable,
        );
        let transient = event(
            E::EmailBounced,
            Some(S::AwaitingCustomer),
            S::AwaitingCustomer,
        );
        // THEN an information request is due five business days after it was made
        assert_eq!(
            PartnerNews::of(&request, &calendar),
            Some(PartnerNews::InformationRequested {
                response_due: at("2026-12-02T23:59:59.999Z")
            })
        );
        // AND a rejection is disputable 30 days, unless it ended a dispute
        assert_eq!(
            PartnerNews::of(&rejection, &calendar),
            Some(PartnerNews::Rejected {
                code: None,
                dispute_until: Some(at("2026-12-25T10:00:00Z"))
            })
        );
        assert_eq!(
            PartnerNews::of(&final_rejection, &calendar),
            Some(PartnerNews::Rejected {
                code: None,
                dispute_until: None
            })
        );
        // AND only the bounce that made the customer unreachable is news, with 30 days to act
        assert_eq!(
            PartnerNews::of(&bounce, &calendar),
            Some(PartnerNews::CustomerUnreachable {
                until: at("2026-12-25T10:00:00Z")
            })
        );
        assert_eq!(PartnerNews::of(&transient, &calendar), None);
        // AND the partner's own moves and the system's bookkeeping are not
        for quiet in [
            E::Submitted,
            E::Responded,
            E::Disputed,
            E::CustomerNotified,
            E::Withdrawn,
            E::ProofAdded,
            E::ContestFiled,
            E::DocumentAdded,
            E::ContactCorrected,
            E::EmailComplaint,
        ] {
            let e = event(quiet, Some(S::Submitted), S::Submitted);
            assert_eq!(PartnerNews::of(&e, &calendar), None, "{quiet:?}");
        }
        for told in [
            E::Approved,
            E::Declined,
            E::Associated,
            E::Revoked,
            E::Superseded,
        ] {
            let e = event(told, Some(S::Submitted), S::Approved);
            assert!(PartnerNews::of(&e, &calendar).is_some(), "{told:?}");
        }
    }

    #[test]
    fn every_partner_email_renders_in_every_language_accessibly_and_without_a_secret_link() {
        for (locale, lang) in [
            ("en", "en"),
            ("it-IT", "it"),
            ("de", "de"),
            ("fr-CA", "fr"),
            ("es", "es"),
            ("ja-JP", "ja"),
            ("pt-BR", "en"),
        ] {
            // GIVEN a claim whose partner contact reads `locale`
            let claim = claim_read_in(locale);
            for news in every_news() {
                // WHEN the partner's e-mail of each news is composed
                let email = compose_partner_email(&claim, &news, API).unwrap();
                // THEN it goes to the partner contact, names the claim and its API address
                assert_eq!(email.to.as_str(), "sam@fabrikam.com");
                assert!(!email.subject.trim().is_empty());
                let url = format!("https://cpor.example.com/v1/claims/{}", claim.id);
                for part in [&email.text, &email.html] {
                    assert!(part.contains(&url), "{locale} {news:?}: {part}");
                    assert!(part.contains("Microsoft Teams"), "{locale} {news:?}");
                    // AND links nothing secret: no page of the customer's
                    assert!(!part.contains("/opt-out/"), "{locale} {news:?}");
                }
                // AND the date to act by, in the reader's language, in UTC
                if let Some(deadline) = news.deadline() {
                    let language = crate::language::Language::for_locale(
                        &claim.subject.partner_contact.locale,
                    );
                    let written = language.format_instant(deadline, crate::zone::Zone::UTC);
                    assert!(email.text.contains(&written), "{locale} {news:?}");
                    assert!(email.html.contains(&written), "{locale} {news:?}");
                }
                // AND the HTML part is a document with a language, a title, a main landmark
                // and a heading
                let html = &email.html;
                assert!(
                    html.contains(&format!("<html lang=\"{lang}\">")),
                    "{locale}"
                );
                assert!(html.contains("<title>") && html.contains("<main>"));
                assert!(html.contains("<h1"));
                // AND what the partner wrote is escaped in it, and only in it
                assert!(!html.contains("<i>") && !html.contains("<b>"), "{html}");
                assert!(html.contains("Sam &#60;i&#62;Lee&#60;/i&#62;"), "{html}");
                assert!(email.text.contains("Sam <i>Lee</i>"));
            }
        }
    }

    /// The partner's "official" e-mail says since when the association counts: the approval
    /// that led to it, the beginning of its effective period, not the night it became official.
    #[test]
    fn the_official_email_says_the_association_counts_from_its_approval() {
        // GIVEN an association approved on 2026-11-25 at 09:30 and official a week later
        let mut claim = claim_read_in("en");
        claim.association = Some(crate::claim::Association {
            effective_from: at("2026-11-25T09:30:00Z"),
            effective_until: None,
        });
        // WHEN its partner's e-mail is composed, in English and in Japanese
        let english = compose_partner_email(&claim, &PartnerNews::Associated, API).unwrap();
        claim.subject.partner_contact.locale = Locale::parse("ja").unwrap();
        let japanese = compose_partner_email(&claim, &PartnerNews::Associated, API).unwrap();
        // THEN both name the approval's date
        assert!(
            english
                .text
                .contains("It counts from the vendor's approval on Wednesday 25 November 2026"),
            "{}",
            english.text
        );
        assert!(
            japanese.text.contains("2026年11月25日(水)"),
            "{}",
            japanese.text
        );
    }

    #[test]
    fn a_japanese_partner_reads_the_information_request_in_japanese() {
        // GIVEN a Japanese partner contact
        let claim = claim_read_in("ja");
        let news = PartnerNews::InformationRequested {
            response_due: at("2026-12-02T23:59:59.999Z"),
        };
        // WHEN the e-mail of an information request is composed
        let email = compose_partner_email(&claim, &news, API).unwrap();
        // THEN it is written in Japanese, with the due date as the Japanese write it
        assert_eq!(
            email.subject,
            "Microsoft Teams (contoso.onmicrosoft.com) の申請について追加情報が求められています"
        );
        assert!(
            email.text.starts_with("Sam <i>Lee</i> 様"),
            "{}",
            email.text
        );
        assert!(
            email.text.contains("2026年12月2日(水) 23:59 (UTC)"),
            "{}",
            email.text
        );
    }

    #[test]
    fn only_a_correction_of_a_notification_the_customer_received_may_tell_a_customer() {
        use ClaimStatus as S;
        use HistoryEvent as E;
        // GIVEN corrections made while the customer was awaited, in review, approved, unreachable
        let moved = event(E::ContactCorrected, Some(S::AwaitingCustomer), S::Approved);
        let unmoved = [
            event(E::ContactCorrected, Some(S::Submitted), S::Submitted),
            event(E::ContactCorrected, Some(S::Approved), S::Approved),
            event(
                E::ContactCorrected,
                Some(S::CustomerUnreachable),
                S::Approved,
            ),
        ];
        // THEN only the first may tell the earlier contact, and none tells the partner
        let calendar = BusinessCalendar::default();
        assert_eq!(CustomerNews::of(&moved), Some(CustomerNews::ContactMoved));
        assert!(is_mailed(&moved, &calendar));
        for e in unmoved {
            assert_eq!(CustomerNews::of(&e), None, "{:?}", e.from);
            assert!(!is_mailed(&e, &calendar));
        }
        assert_eq!(PartnerNews::of(&moved, &calendar), None);
        // AND an association tells the customer it is official
        let associated = event(E::Associated, Some(S::AwaitingCustomer), S::Associated);
        assert_eq!(CustomerNews::of(&associated), Some(CustomerNews::Official));
    }

    #[test]
    fn the_earlier_contact_reads_of_the_change_in_their_language_with_the_new_address_masked() {
        for (locale, lang, words) in [
            ("it", "it", "ha poi indicato un altro contatto"),
            ("en-GB", "en", "has since named another contact"),
            ("de", "de", "einen anderen Kontakt"),
            ("fr", "fr", "un autre contact"),
            ("es", "es", "otro contacto"),
            ("ja", "ja", "別の方を指定しました"),
        ] {
            // GIVEN a correction from Giulia, who reads `locale`, to Marco, who reads Japanese
            let claim = claim_read_in("en");
            let mut earlier = claim.subject.customer_contact.clone();
            earlier.locale = Locale::parse(locale).unwrap();
            let change = ContactChange {
                earlier,
                new_email: crate::contact::EmailAddress::parse("marco@contoso.com").unwrap(),
            };
            // WHEN the e-mail telling Giulia is composed
            let email = compose_contact_moved_email(&claim, &change).unwrap();
            // THEN it goes to Giulia, in her language, naming Marco's address masked only
            assert_eq!(email.to.as_str(), "giulia@contoso.com");
            for part in [&email.text, &email.html] {
                assert!(part.contains(words), "{locale}: {part}");
                assert!(part.contains("m***@contoso.com"), "{locale}: {part}");
                assert!(!part.contains("marco@"), "{locale}");
                assert!(part.contains("Microsoft Teams"), "{locale}");
                // AND carries no link: hers stopped working, and the request is Marco's now
                assert!(!part.contains("http"), "{locale}: {part}");
            }
            assert!(
                email.subject.contains("Fabrikam & Söhne <b>"),
                "{}",
                email.subject
            );
            // AND its HTML part is a document with a language, a title, a landmark, a heading,
            // the partner's name escaped
            let html = &email.html;
            assert!(
                html.contains(&format!("<html lang=\"{lang}\">")),
                "{locale}"
            );
            assert!(html.contains("<title>") && html.contains("<main>") && html.contains("<h1"));
            assert!(!html.contains("<b>"), "{html}");
        }
    }

    #[test]
    fn a_rejection_names_its_code_and_one_that_ended_a_dispute_says_it_is_final() {
        let claim = claim_read_in("en");
        // GIVEN a first rejection and one that ended a dispute
        let first = PartnerNews::Rejected {
            code: Some("insufficient_proof_of_execution".into()),
            dispute_until: Some(at("2026-12-25T10:00:00Z")),
        };
        let last = PartnerNews::Rejected {
            code: Some("other".into()),
            dispute_until: None,
        };
        // WHEN their e-mails are composed
        let first = compose_partner_email(&claim, &first, API).unwrap();
        let last = compose_partner_email(&claim, &last, API).unwrap();
        // THEN the first says until when it may be disputed, the last that it is final
        assert!(
            first
                .text
                .contains("Reason code: insufficient_proof_of_execution")
        );
        assert!(
            first
                .text
                .contains("until Friday 25 December 2026, 10:00 (UTC)"),
            "{}",
            first.text
        );
        assert!(last.text.contains("is final"), "{}", last.text);
        assert!(!last.text.contains("dispute the rejection once"));
    }

    #[test]
    fn the_customers_official_email_links_their_page_in_their_language_and_escapes_the_partner() {
        for (locale, lang, subject) in [
            (
                "en",
                "en",
                "Your association with Fabrikam & Söhne <b> for Microsoft Teams is now official",
            ),
            (
                "it",
                "it",
                "La Sua associazione con Fabrikam & Söhne <b> per Microsoft Teams è ora ufficiale",
            ),
            (
                "de",
                "de",
                "Ihre Zuordnung zu Fabrikam & Söhne <b> für Microsoft Teams ist jetzt offiziell",
            ),
            (
                "fr",
                "fr",
                "Votre association avec Fabrikam & Söhne <b> pour Microsoft Teams est désormais officielle",
            ),
            (
                "es",
                "es",
                "Su asociación con Fabrikam & Söhne <b> para Microsoft Teams ya es oficial",
            ),
            (
                "ja",
                "ja",
                "Fabrikam & Söhne <b> との Microsoft Teams の関連付けが正式に成立しました",
            ),
        ] {
            // GIVEN an associated claim whose customer reads `locale`
            let mut claim = claim_read_in("en");
            claim.subject.customer_contact.locale = Locale::parse(locale).unwrap();
            // WHEN the official e-mail is composed with the page's link
            let link = "https://cpor.example.com/opt-out/T.k1.S";
            let email = compose_official_email(&claim, link).unwrap();
            // THEN it goes to the customer, in their language, with the link in both parts
            assert_eq!(email.to.as_str(), "giulia@contoso.com");
            assert_eq!(email.subject, subject);
            assert!(email.text.contains(link) && email.html.contains(link));
            assert!(email.html.contains(&format!("<html lang=\"{lang}\">")));
            assert!(email.html.contains("<main>") && email.html.contains("<h1"));
            assert!(email.html.contains("<title>"));
            // AND the partner's name is escaped in the HTML part
            assert!(
                email.html.contains("Fabrikam &#38; Söhne &#60;b&#62;"),
                "{}",
                email.html
            );
            assert!(!email.html.contains("<b>"));
        }
    }
}
