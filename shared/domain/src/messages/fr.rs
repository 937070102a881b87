//! French (a no-break space before the two-part punctuation, as French typography wants).

use super::{EmailMessages, Messages, PageMessages};

pub(super) static MESSAGES: Messages = Messages {
    date_format: "%A %-d %B %Y à %H:%M (%Z)",
    title: "Demande de partenaire de référence",
    nothing_to_do: "Vous n’avez rien à faire pour accepter.",
    data_scope: msg!("Une fois l’association effective, " Partner " pourra consulter uniquement \
        les données d’utilisation et de licences de " Workload ", et aucune autre donnée de votre \
        organisation."),
    email: EmailMessages {
        subject: msg!(Partner " demande à devenir votre partenaire de référence pour " Workload),
        greeting: msg!("Bonjour " Customer ","),
        request: msg!(Partner " a demandé à être reconnu comme partenaire de référence (partner \
            of record) pour " Workload " dans votre organisation (" Domain
            "), dans le cadre du programme " Program "."),
        what_it_means: "Ce que cela signifie pour vous",
        how_to_decline: msg!("Si vous ne le souhaitez pas, vous pouvez refuser jusqu’au "
            Deadline "\u{a0}:"),
        review_link: "Consulter ou refuser cette demande",
        after_deadline: "Sans action de votre part, l’association devient officielle après cette \
            date.",
        why_you: msg!("Vous recevez ce message car " Partner " vous a désigné comme contact de "
            Domain " pour cette demande."),
        safe_link: "Le lien ouvre une page qui présente cette demande et vous permet de la \
            refuser. Elle ne vous demande jamais de vous connecter ni de mot de passe, et \
            l’ouvrir ne change rien.",
    },
    page: PageMessages {
        partner: "Partenaire",
        workload: "Charge de travail",
        program: "Programme",
        organisation: "Votre organisation",
        deadline: "Refus possible jusqu’au",
        request: msg!(Partner " demande à être reconnu comme votre partenaire de référence pour "
            Workload "."),
        decline_heading: "Refuser",
        confirm: msg!("Oui, je refuse\u{a0}: " Partner
            " ne sera pas notre partenaire de référence pour " Workload "."),
        confirm_hint: "Cochez la case, puis appuyez sur le bouton.",
        decline_button: "Refuser cette association",
        declined: msg!("Vous avez refusé cette association. " Partner
            " n’est pas votre partenaire de référence pour " Workload
            ". Vous n’avez rien d’autre à faire."),
        associated: msg!("Cette association est officielle\u{a0}: " Partner
            " est votre partenaire de référence pour " Workload
            ". Le délai pour refuser est écoulé."),
        window_closed: "Le délai pour refuser cette demande est écoulé\u{a0}: elle ne peut plus \
            être refusée ici.",
        withdrawn: msg!(Partner " a retiré cette demande. Vous n’avez rien à faire."),
        superseded: msg!(Partner " n’est plus le partenaire de référence pour ce service. Le fournisseur a approuvé la demande d’un autre partenaire. Vous n’avez rien à faire."),
        since: "Officielle depuis",
        end_heading: "Mettre fin à cette association",
        end_confirm: msg!("Oui, nous y mettons fin\u{a0}: " Partner " ne sera plus notre partenaire de référence pour " Workload "."),
        end_button: "Mettre fin à l’association",
        revoked: msg!("Vous avez mis fin à cette association. " Partner " n’est plus votre partenaire de référence pour " Workload ". Vous n’avez rien d’autre à faire."),
        not_yet_open: "Cette demande est en cours de préparation. Veuillez rouvrir le lien dans \
            quelques minutes.",
        invalid_title: "Lien non valide",
        invalid_heading: "Ce lien n’est pas valide",
        invalid_text: "Le lien a peut-être été copié de manière incomplète. Ouvrez-le à nouveau \
            depuis l’e-mail que vous avez reçu.",
        unavailable_title: "Temporairement indisponible",
        unavailable_heading: "Veuillez réessayer dans un instant",
        unavailable_text: "La page n’a pas pu être chargée pour le moment. Rien n’a été modifié.",
    },
};
