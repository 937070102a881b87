//! English: the fallback language.

use super::{EmailMessages, Messages, PageMessages};

pub(super) static MESSAGES: Messages = Messages {
    date_format: "%A %-d %B %Y, %H:%M (%Z)",
    title: "Partner of record request",
    nothing_to_do: "You do not need to do anything to accept.",
    data_scope: msg!("Once associated, " Partner " can see usage and seat data for " Workload
        " only. They get no other data of your organisation."),
    email: EmailMessages {
        subject: msg!(Partner " asks to be your partner of record for " Workload),
        greeting: msg!("Dear " Customer ","),
        request: msg!(Partner " has asked to be recognised as the partner of record for " Workload
            " in your organisation (" Domain "), under the " Program " program."),
        what_it_means: "What this means for you",
        how_to_decline: msg!("If you do not want this, you can decline until " Deadline ":"),
        review_link: "Review or decline this request",
        after_deadline: "If you do nothing, the association becomes official after that time.",
        why_you: msg!("You receive this message because " Partner
            " named you as the contact of " Domain " for this request."),
        safe_link: "The link opens a page that shows this request and lets you decline it. \
            It never asks you to sign in or for a password, and opening it changes nothing.",
    },
    page: PageMessages {
        partner: "Partner",
        workload: "Workload",
        program: "Program",
        organisation: "Your organisation",
        deadline: "Deadline to decline",
        request: msg!(Partner " asks to be recognised as your partner of record for " Workload "."),
        decline_heading: "Decline",
        confirm: msg!("Yes, I decline: " Partner " will not be our partner of record for " Workload
            "."),
        confirm_hint: "Tick the box, then press the button.",
        decline_button: "Decline this association",
        declined: msg!("You declined this association. " Partner
            " is not your partner of record for " Workload ". Nothing else needs doing."),
        associated: msg!("This association is official: " Partner
            " is your partner of record for " Workload ". The time to decline has passed."),
        window_closed: "The time to decline this request has passed, so it can no longer be \
            declined here.",
        withdrawn: msg!(Partner " withdrew this request. Nothing needs doing."),
        superseded: msg!(Partner " is no longer the partner of record for this service: the vendor approved another partner's claim. Nothing needs doing."),
        since: "Official since",
        end_heading: "End this association",
        end_confirm: msg!("Yes, we end it: " Partner " will no longer be our partner of record for " Workload "."),
        end_button: "End the association",
        revoked: msg!("You ended this association. " Partner " is no longer your partner of record for " Workload ". Nothing else needs doing."),
        not_yet_open: "This request is being prepared. Please open the link again in a few \
            minutes.",
        invalid_title: "Link not valid",
        invalid_heading: "This link is not valid",
        invalid_text: "The link may have been copied incompletely. Open it again from the e-mail \
            you received.",
        unavailable_title: "Temporarily unavailable",
        unavailable_heading: "Please try again in a moment",
        unavailable_text: "The page could not be loaded just now. Nothing was changed.",
    },
};
