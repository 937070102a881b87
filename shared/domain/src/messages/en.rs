//! English: the fallback language.

use super::{
    ContactMovedMessages, EmailMessages, Messages, OfficialMessages, PageMessages, PartnerMessages,
    PartnerNewsMessages,
};

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
        expired: msg!(Partner " is no longer the partner of record for this service: the subscription it was for has ended. Nothing needs doing."),
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
    partner: PartnerMessages {
        title: "News of your partner of record claim",
        greeting: msg!("Dear " PartnerContact ","),
        about: msg!("Claim " ClaimId ": " Workload " for " Domain ", " Program " program."),
        information_requested: PartnerNewsMessages {
            subject: msg!("Information requested on your claim for " Workload " (" Domain ")"),
            happened: msg!("The vendor's reviewer asked for more information about your claim."),
            next: msg!("Please respond with what was asked, through the partner API, by " Deadline
                ". Without a response by then, the claim is rejected."),
        },
        approved: PartnerNewsMessages {
            subject: msg!("Your claim for " Workload " (" Domain ") was approved"),
            happened: msg!(
                "The vendor approved your claim. The customer is being e-mailed and has \
                five business days to decline."
            ),
            next: msg!(
                "Nothing is needed from you now. You will be told when the association \
                becomes official, or if the customer declines."
            ),
        },
        rejected: PartnerNewsMessages {
            subject: msg!("Your claim for " Workload " (" Domain ") was rejected"),
            happened: msg!("The vendor rejected your claim."),
            next: msg!("You may dispute the rejection once, with a business justification or a \
                newer proof of execution, until " Deadline ". After that, only a new claim is possible."),
        },
        rejected_final: msg!(
            "This rejection ended your dispute and is final. Only a new claim is \
            possible."
        ),
        declined: PartnerNewsMessages {
            subject: msg!("The customer declined your claim for " Workload " (" Domain ")"),
            happened: msg!("The customer declined the association before it became official. You \
                are not their partner of record for " Workload "."),
            next: msg!("Nothing more can be done on this claim."),
        },
        associated: PartnerNewsMessages {
            subject: msg!("You are now the partner of record for " Workload " (" Domain ")"),
            happened: msg!("The customer did not decline in time: the association is official. You \
                are the partner of record for " Workload " of " Domain "." " It counts from the vendor's approval on " Deadline "."),
            next: msg!(
                "Nothing is needed. The customer may still end the association at any time; \
                you will be told if they do."
            ),
        },
        revoked: PartnerNewsMessages {
            subject: msg!("The customer ended your association for " Workload " (" Domain ")"),
            happened: msg!("The customer ended the official association. You are no longer their \
                partner of record for " Workload "."),
            next: msg!("Nothing more can be done on this claim."),
        },
        contest_received: PartnerNewsMessages {
            subject: msg!("Your claim for " Workload " (" Domain ") is contested"),
            happened: msg!("Another partner asked the vendor to be the partner of record for "
                Workload " of " Domain " instead of you. A reviewer will compare both proofs of \
                execution; the newest signed proof wins."),
            next: msg!(
                "If you have a newer signed statement of work, add it to your claim now so the reviewer compares it."
            ),
        },
        superseded: PartnerNewsMessages {
            subject: msg!("Your association for " Workload " (" Domain ") was superseded"),
            happened: msg!("After comparing both proofs of execution, the vendor approved another \
                partner's claim for " Workload " of " Domain ". Your claim is superseded."),
            next: msg!("Nothing more can be done on this claim."),
        },
        customer_unreachable: PartnerNewsMessages {
            subject: msg!("The e-mail to the customer for " Workload " (" Domain ") bounced"),
            happened: msg!(
                "The e-mail to the customer contact you gave bounced: the address does \
                not receive mail. The customer's time to decline is stopped."
            ),
            next: msg!("Please correct the customer's contact, through the partner API, by "
                Deadline ". Otherwise the claim is rejected."),
        },
        endpoint_disabled: PartnerNewsMessages {
            subject: msg!("Your webhook endpoint was disabled"),
            happened: msg!("Every delivery to your webhook endpoint " Endpoint " (id " WebhookId ") has failed since " FailingSince ", so it was disabled and receives no more events."),
            next: msg!("Once it answers again, enable it with POST /v1/webhooks/" WebhookId "/enable; GET /v1/webhooks/" WebhookId " shows its recent deliveries."),
        },
        subscription_ended: PartnerNewsMessages {
            subject: msg!("The subscription of your claim for " Workload " (" Domain ") has ended"),
            happened: msg!("The directory says the customer's subscription for " Workload " of " Domain " has ended. Your claim for it has ended too; the subscription is free."),
            next: msg!(
                "A new subscription needs a claim of its own. Nothing more can be done on this claim."
            ),
        },
        reason_code: "Reason code",
        see_claim: "The claim and its whole history in the partner API:",
        why_you: msg!("You receive this message because you are the partner contact of claim "
            ClaimId "."),
    },
    official: OfficialMessages {
        subject: msg!("Your association with " Partner " for " Workload " is now official"),
        title: "Your partner of record association is official",
        official: msg!("You did not decline in time, so " Partner " is now officially the partner \
            of record for " Workload " in your organisation (" Domain ")."),
        how_to_end: "You may end this association at any time through the page below. It never \
            asks you to sign in or for a password, and opening it changes nothing.",
        end_link: "View or end this association",
    },
    contact_moved: ContactMovedMessages {
        subject: msg!(Partner " named another contact for its request about " Workload),
        title: "The contact for a partner of record request changed",
        moved: msg!("We e-mailed you because " Partner " asked to be recognised as the partner of \
            record for " Workload " in your organisation (" Domain "). " Partner " has since named \
            another contact for this request: " NewContact ". The request now goes there."),
        old_link: "The link in our earlier e-mail no longer works. You do not need to do anything.",
        if_wrong: "If you do not know this contact or did not expect this change, please tell \
            the person who manages your organisation's Microsoft services: the new contact may \
            decline the request until its deadline.",
        why_you: msg!("You receive this message because " Partner " had named you as the contact \
            of " Domain " for this request."),
    },
};
