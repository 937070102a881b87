//! What the customer reads, in each language: a catalogue of messages, one per language, whose
//! sentences name the facts of the claim through typed slots that the templates fill (and
//! escape). Each language orders its own sentence; nothing is glued together by hand.
//!
//! The catalogue is checked by the compiler: a language that lacks a message does not build, and
//! a slot that does not exist is not a [`Slot`]. A test checks that every translation names the
//! same facts as the English.

use crate::claim::{Claim, ClaimState, ContactChange};
use crate::language::Language;
use std::fmt;

/// A fact of the claim that a sentence names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slot {
    /// The customer contact's name.
    Customer,
    /// The partner's registered name.
    Partner,
    /// The workload in words, e.g. `Microsoft Teams`.
    Workload,
    /// The program in words.
    Program,
    /// The tenant's domain named in the claim.
    Domain,
    /// The opt-out deadline, in the customer's zone and language; in a partner's e-mail, the
    /// date by which the partner may act, in UTC.
    Deadline,
    /// The claim's id (partners' e-mails).
    ClaimId,
    /// The partner contact's name (partners' e-mails).
    PartnerContact,
    /// The customer contact a correction named instead, its address masked (`m***@contoso.com`).
    NewContact,
    /// A partner's webhook endpoint: its URL (the e-mail telling that it was disabled).
    Endpoint,
    /// That endpoint's id.
    WebhookId,
    /// Since when every delivery to it failed, in UTC.
    FailingSince,
}

/// One piece of a sentence: words of the language, or a fact of the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// Words, written by us.
    Text(&'static str),
    /// A fact, from the claim; escaped where it is shown.
    Slot(Slot),
}

/// A sentence (or a few) in one language, with slots for the facts it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message(pub &'static [Piece]);

impl Message {
    /// Its pieces, in the language's order.
    pub fn pieces(&self) -> &'static [Piece] {
        self.0
    }

    /// The facts it names, in order.
    pub fn slots(&self) -> impl Iterator<Item = Slot> {
        self.0.iter().filter_map(|p| match p {
            Piece::Slot(s) => Some(*s),
            Piece::Text(_) => None,
        })
    }
}

/// A message of words and slots: `msg!(Partner " asks to be your partner for " Workload)`.
macro_rules! msg {
    (@piece $text:literal) => {
        $crate::messages::Piece::Text($text)
    };
    (@piece $slot:ident) => {
        $crate::messages::Piece::Slot($crate::messages::Slot::$slot)
    };
    ($($piece:tt)+) => {
        $crate::messages::Message(&[$(msg!(@piece $piece)),+])
    };
}

mod de;
mod en;
mod es;
mod fr;
mod it;
mod ja;

/// Everything the customer reads in one language.
#[derive(Debug)]
pub struct Messages {
    /// How a deadline is written (`chrono` strftime, with the language's day and month names).
    pub date_format: &'static str,
    /// The title of the request, on the page and in the e-mail.
    pub title: &'static str,
    /// That accepting takes nothing.
    pub nothing_to_do: &'static str,
    /// What the partner sees once associated: that workload's usage and seats, nothing else.
    pub data_scope: Message,
    /// The e-mail.
    pub email: EmailMessages,
    /// The page behind the link.
    pub page: PageMessages,
    /// The partner's e-mails, one per event the partner is told of.
    pub partner: PartnerMessages,
    /// The customer's second e-mail, once the association is official.
    pub official: OfficialMessages,
    /// The e-mail to a customer contact whose notification a correction moved elsewhere.
    pub contact_moved: ContactMovedMessages,
}

/// The words of the e-mail telling a customer contact that the partner named another contact
/// for a request they had received.
#[derive(Debug)]
pub struct ContactMovedMessages {
    pub subject: Message,
    /// The HTML part's title and heading.
    pub title: &'static str,
    /// What the partner changed, naming the new contact masked.
    pub moved: Message,
    /// That the earlier link no longer works, and nothing is needed.
    pub old_link: &'static str,
    /// What to do if the change is not expected.
    pub if_wrong: &'static str,
    /// Why this person receives the message.
    pub why_you: Message,
}

/// What one partner e-mail says: what happened, and what the partner can do, by when.
#[derive(Debug)]
pub struct PartnerNewsMessages {
    pub subject: Message,
    pub happened: Message,
    /// What the partner can do (and until when), or that nothing is needed.
    pub next: Message,
}

/// The words of the partners' e-mails.
#[derive(Debug)]
pub struct PartnerMessages {
    /// The HTML part's title.
    pub title: &'static str,
    pub greeting: Message,
    /// Which claim the e-mail is about.
    pub about: Message,
    pub information_requested: PartnerNewsMessages,
    pub approved: PartnerNewsMessages,
    pub rejected: PartnerNewsMessages,
    /// What a partner can do once a rejection ended a dispute (instead of `rejected.next`).
    pub rejected_final: Message,
    pub declined: PartnerNewsMessages,
    pub associated: PartnerNewsMessages,
    pub revoked: PartnerNewsMessages,
    pub superseded: PartnerNewsMessages,
    /// Another partner contested the unit the claim holds.
    pub contest_received: PartnerNewsMessages,
    /// A webhook endpoint of the partner's failed every delivery for three days and was
    /// disabled (told to the partner contact of the claim whose event found it so).
    pub endpoint_disabled: PartnerNewsMessages,
    pub customer_unreachable: PartnerNewsMessages,
    /// The subscription claimed ended: the association expired, or the claim was rejected.
    pub subscription_ended: PartnerNewsMessages,
    /// Label of the machine reason code.
    pub reason_code: &'static str,
    /// Where the claim and its history are read in the partner API.
    pub see_claim: &'static str,
    /// Why this person receives the message.
    pub why_you: Message,
}

/// The words of the customer's e-mail saying that the association is official.
#[derive(Debug)]
pub struct OfficialMessages {
    pub subject: Message,
    /// The HTML part's title and heading.
    pub title: &'static str,
    /// That the association is now official.
    pub official: Message,
    /// That the customer may end it at any time through the link.
    pub how_to_end: &'static str,
    /// The words of the link.
    pub end_link: &'static str,
}

/// The e-mail's words.
#[derive(Debug)]
pub struct EmailMessages {
    /// The subject line.
    pub subject: Message,
    pub greeting: Message,
    /// Who asks for what, in which program.
    pub request: Message,
    /// The heading over what it means.
    pub what_it_means: &'static str,
    /// Until when and how to decline.
    pub how_to_decline: Message,
    /// The words of the link.
    pub review_link: &'static str,
    /// What happens when the customer does nothing.
    pub after_deadline: &'static str,
    /// Why this person receives the message.
    pub why_you: Message,
    /// What the link does and never does (no sign-in, no password, opening changes nothing).
    pub safe_link: &'static str,
}

/// The page's words.
#[derive(Debug)]
pub struct PageMessages {
    /// Label of the partner's name.
    pub partner: &'static str,
    /// Label of the workload.
    pub workload: &'static str,
    /// Label of the program.
    pub program: &'static str,
    /// Label of the tenant's domain.
    pub organisation: &'static str,
    /// Label of the deadline.
    pub deadline: &'static str,
    /// Who asks for what.
    pub request: Message,
    /// The heading over the decline form.
    pub decline_heading: &'static str,
    /// The confirmation checkbox's label: what declining means.
    pub confirm: Message,
    /// How to use the form.
    pub confirm_hint: &'static str,
    pub decline_button: &'static str,
    /// The outcome once declined.
    pub declined: Message,
    /// The outcome once associated.
    pub associated: Message,
    /// The outcome once the deadline passed (before finalization).
    pub window_closed: &'static str,
    /// The outcome once the partner withdrew.
    pub withdrawn: Message,
    /// The outcome once another partner's contest won.
    pub superseded: Message,
    /// The outcome once the subscription of the association ended.
    pub expired: Message,
    /// Label of the time the association became official.
    pub since: &'static str,
    /// The heading over the form that ends an official association.
    pub end_heading: &'static str,
    /// The end form's checkbox label: what ending means.
    pub end_confirm: Message,
    pub end_button: &'static str,
    /// The outcome once the customer ended the association.
    pub revoked: Message,
    /// Before the e-mail went out.
    pub not_yet_open: &'static str,
    /// The bad-link page's title.
    pub invalid_title: &'static str,
    /// The bad-link page's heading.
    pub invalid_heading: &'static str,
    /// The bad-link page's text.
    pub invalid_text: &'static str,
    /// The unavailable page's title.
    pub unavailable_title: &'static str,
    /// The unavailable page's heading.
    pub unavailable_heading: &'static str,
    /// The unavailable page's text.
    pub unavailable_text: &'static str,
}

/// The catalogue of a language.
pub(crate) fn catalogue(language: Language) -> &'static Messages {
    match language {
        Language::English => &en::MESSAGES,
        Language::Italian => &it::MESSAGES,
        Language::German => &de::MESSAGES,
        Language::French => &fr::MESSAGES,
        Language::Spanish => &es::MESSAGES,
        Language::Japanese => &ja::MESSAGES,
    }
}

/// A claim as its customer reads it: the facts that fill the slots, in the contact's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimInWords<'a> {
    /// The language, from the contact's locale.
    pub language: Language,
    /// The customer contact's name.
    pub customer_name: &'a str,
    /// The partner's registered name.
    pub partner_name: &'a str,
    /// The workload in words.
    pub workload: &'static str,
    /// The program in words.
    pub program: &'static str,
    /// The tenant's domain.
    pub domain: &'a str,
    /// The claim's id.
    pub claim_id: String,
    /// The partner contact's name.
    pub partner_contact: &'a str,
    /// The deadline as the customer reads it, once the window is open.
    pub deadline: Option<String>,
    /// When the association became official, as the customer reads it, while it is.
    pub since: Option<String>,
    /// The contact a correction named instead, masked, in the e-mail telling the earlier one.
    pub new_contact: Option<String>,
    /// The disabled webhook endpoint's URL, id, and since when it failed, in the e-mail
    /// telling the partner.
    pub endpoint: Option<(String, String, String)>,
}

impl<'a> ClaimInWords<'a> {
    /// The claim in its customer's language, with its deadline if it has one.
    pub fn of(claim: &'a Claim) -> Self {
        let s = &claim.subject;
        let language = Language::for_locale(&s.customer_contact.locale);
        let zone = s.customer_contact.time_zone.tz();
        Self {
            language,
            customer_name: &s.customer_contact.name,
            partner_name: &claim.partner_name,
            workload: s.workload.name(),
            program: s.program.name(),
            domain: s.customer_domain.as_str(),
            claim_id: claim.id.to_string(),
            partner_contact: &s.partner_contact.name,
            deadline: claim
                .state
                .window()
                .map(|w| language.format_instant(w.deadline, zone)),
            since: match &claim.state {
                ClaimState::Associated { window } => {
                    Some(claim.decided_at.unwrap_or(window.deadline))
                }
                ClaimState::Submitted { .. }
                | ClaimState::InformationRequested { .. }
                | ClaimState::Approved { .. }
                | ClaimState::AwaitingCustomer { .. }
                | ClaimState::CustomerUnreachable { .. }
                | ClaimState::Rejected { .. }
                | ClaimState::Disputed { .. }
                | ClaimState::Declined { .. }
                | ClaimState::Withdrawn { .. }
                | ClaimState::Contested { .. }
                | ClaimState::Superseded { .. }
                | ClaimState::Revoked { .. }
                | ClaimState::Expired { .. } => None,
            }
            .map(|at| language.format_instant(at, zone)),
            new_contact: None,
            endpoint: None,
        }
    }

    /// The claim as the contact that `change` replaced reads it, in their language, naming
    /// the new contact's address masked.
    pub fn for_earlier_contact(claim: &'a Claim, change: &'a ContactChange) -> Self {
        Self {
            language: Language::for_locale(&change.earlier.locale),
            customer_name: &change.earlier.name,
            deadline: None,
            since: None,
            new_contact: Some(change.new_email.masked()),
            ..Self::of(claim)
        }
    }

    /// The claim as its partner contact reads it, in the contact's language, with `deadline`
    /// (the date by which the partner may act) in UTC: the partner gave no time zone.
    pub fn for_partner(claim: &'a Claim, deadline: Option<chrono::DateTime<chrono::Utc>>) -> Self {
        let language = Language::for_locale(&claim.subject.partner_contact.locale);
        Self {
            language,
            deadline: deadline.map(|at| language.format_instant(at, crate::zone::Zone::UTC)),
            since: None,
            ..Self::of(claim)
        }
    }

    /// The words of its language.
    pub fn messages(&self) -> &'static Messages {
        self.language.messages()
    }

    /// The text of a slot (the deadline is empty before the window opens).
    pub fn slot(&self, slot: &Slot) -> &str {
        match slot {
            Slot::Customer => self.customer_name,
            Slot::Partner => self.partner_name,
            Slot::Workload => self.workload,
            Slot::Program => self.program,
            Slot::Domain => self.domain,
            Slot::Deadline => self.deadline.as_deref().unwrap_or_default(),
            Slot::ClaimId => &self.claim_id,
            Slot::PartnerContact => self.partner_contact,
            Slot::NewContact => self.new_contact.as_deref().unwrap_or_default(),
            Slot::Endpoint => self.endpoint.as_ref().map_or("", |e| e.0.as_str()),
            Slot::WebhookId => self.endpoint.as_ref().map_or("", |e| e.1.as_str()),
            Slot::FailingSince => self.endpoint.as_ref().map_or("", |e| e.2.as_str()),
        }
    }

    /// A message with its slots filled: the templates escape it as a whole where they need to
    /// (our words carry no markup), so a fact can never become markup.
    pub fn say(&self, message: &Message) -> Said<'_> {
        Said {
            facts: self,
            message: *message,
        }
    }
}

/// A message with its slots filled, written out as it is displayed.
#[derive(Debug, Clone, Copy)]
pub struct Said<'a> {
    facts: &'a ClaimInWords<'a>,
    message: Message,
}

impl fmt::Display for Said<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for piece in self.message.pieces() {
            match piece {
                Piece::Text(text) => f.write_str(text)?,
                Piece::Slot(slot) => f.write_str(self.facts.slot(slot))?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every message of a catalogue, by name.
    fn messages(m: &Messages) -> Vec<(&'static str, Message)> {
        vec![
            ("data_scope", m.data_scope),
            ("email.subject", m.email.subject),
            ("email.greeting", m.email.greeting),
            ("email.request", m.email.request),
            ("email.how_to_decline", m.email.how_to_decline),
            ("email.why_you", m.email.why_you),
            ("page.request", m.page.request),
            ("page.confirm", m.page.confirm),
            ("page.declined", m.page.declined),
            ("page.associated", m.page.associated),
            ("page.withdrawn", m.page.withdrawn),
            ("page.superseded", m.page.superseded),
            ("page.expired", m.page.expired),
            ("page.end_confirm", m.page.end_confirm),
            ("page.revoked", m.page.revoked),
            ("partner.greeting", m.partner.greeting),
            ("partner.about", m.partner.about),
            ("partner.rejected_final", m.partner.rejected_final),
            ("partner.why_you", m.partner.why_you),
            ("official.subject", m.official.subject),
            ("official.official", m.official.official),
            ("contact_moved.subject", m.contact_moved.subject),
            ("contact_moved.moved", m.contact_moved.moved),
            ("contact_moved.why_you", m.contact_moved.why_you),
        ]
        .into_iter()
        .chain(
            partner_news(m)
                .into_iter()
                .flat_map(|(name, n)| [(name, n.subject), (name, n.happened), (name, n.next)]),
        )
        .collect()
    }

    /// Every partner e-mail's messages, by event.
    fn partner_news(m: &Messages) -> Vec<(&'static str, &PartnerNewsMessages)> {
        let p = &m.partner;
        vec![
            ("partner.information_requested", &p.information_requested),
            ("partner.approved", &p.approved),
            ("partner.rejected", &p.rejected),
            ("partner.declined", &p.declined),
            ("partner.associated", &p.associated),
            ("partner.revoked", &p.revoked),
            ("partner.superseded", &p.superseded),
            ("partner.contest_received", &p.contest_received),
            ("partner.customer_unreachable", &p.customer_unreachable),
            ("partner.subscription_ended", &p.subscription_ended),
        ]
    }

    fn texts(m: &Messages) -> Vec<&'static str> {
        let p = &m.page;
        let e = &m.email;
        vec![
            m.title,
            m.nothing_to_do,
            e.what_it_means,
            e.review_link,
            e.after_deadline,
            e.safe_link,
            p.partner,
            p.workload,
            p.program,
            p.organisation,
            p.deadline,
            p.decline_heading,
            p.confirm_hint,
            p.decline_button,
            p.window_closed,
            p.since,
            p.end_heading,
            p.end_button,
            p.not_yet_open,
            p.invalid_title,
            p.invalid_heading,
            p.invalid_text,
            p.unavailable_title,
            p.unavailable_heading,
            p.unavailable_text,
            m.partner.title,
            m.partner.reason_code,
            m.partner.see_claim,
            m.official.title,
            m.official.how_to_end,
            m.official.end_link,
            m.contact_moved.title,
            m.contact_moved.old_link,
            m.contact_moved.if_wrong,
        ]
    }

    #[test]
    fn every_translation_names_the_same_facts_as_the_english() {
        let english = messages(Language::English.messages());
        for language in Language::ALL {
            for ((name, theirs), (_, ours)) in
                messages(language.messages()).into_iter().zip(&english)
            {
                let theirs: BTreeSet<Slot> = theirs.slots().collect();
                let ours: BTreeSet<Slot> = ours.slots().collect();
                assert_eq!(theirs, ours, "{language:?} {name}");
            }
        }
    }

    #[test]
    fn no_translation_is_left_empty_or_in_english() {
        let english = Language::English.messages();
        for language in Language::ALL {
            let m = language.messages();
            for text in texts(m) {
                assert!(!text.trim().is_empty(), "{language:?}");
            }
            for (name, message) in messages(m) {
                assert!(
                    message
                        .pieces()
                        .iter()
                        .any(|p| matches!(p, Piece::Text(t) if !t.trim().is_empty())),
                    "{language:?} {name}"
                );
            }
            if language != Language::English {
                // Short labels may be the same word ("Partner"); sentences may not.
                for (theirs, ours) in texts(m).into_iter().zip(texts(english)) {
                    assert!(
                        theirs != ours || ours.split_whitespace().count() < 3,
                        "{language:?} left {ours:?} in English"
                    );
                }
            }
        }
    }
}
