//! French (a no-break space before the two-part punctuation, as French typography wants).

use super::{
    ContactMovedMessages, EmailMessages, Messages, OfficialMessages, PageMessages, PartnerMessages,
    PartnerNewsMessages,
};

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
        expired: msg!(Partner " n’est plus le partenaire de référence pour ce service\u{a0}: l’abonnement concerné a pris fin. Vous n’avez rien à faire."),
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
    partner: PartnerMessages {
        title: "Nouvelles de votre demande de partenaire de référence",
        greeting: msg!("Bonjour " PartnerContact ","),
        about: msg!("Demande " ClaimId "\u{a0}: " Workload " pour " Domain ", programme " Program "."),
        information_requested: PartnerNewsMessages {
            subject: msg!("Informations demandées sur votre demande pour " Workload " (" Domain ")"),
            happened: msg!(
                "Le réviseur du fournisseur demande des informations complémentaires sur \
                votre demande."
            ),
            next: msg!("Veuillez répondre avec les éléments demandés, via l’API partenaire, \
                avant le " Deadline ". Sans réponse d’ici là, la demande est rejetée."),
        },
        approved: PartnerNewsMessages {
            subject: msg!("Votre demande pour " Workload " (" Domain ") a été approuvée"),
            happened: msg!(
                "Le fournisseur a approuvé votre demande. Le client est prévenu par \
                e-mail et dispose de cinq jours ouvrés pour refuser."
            ),
            next: msg!(
                "Vous n’avez rien à faire pour le moment. Vous serez prévenu quand \
                l’association deviendra officielle, ou si le client refuse."
            ),
        },
        rejected: PartnerNewsMessages {
            subject: msg!("Votre demande pour " Workload " (" Domain ") a été rejetée"),
            happened: msg!("Le fournisseur a rejeté votre demande."),
            next: msg!("Vous pouvez contester le rejet une seule fois, avec une justification \
                commerciale ou une preuve d’exécution plus récente, jusqu’au " Deadline
                ". Ensuite, seule une nouvelle demande est possible."),
        },
        rejected_final: msg!(
            "Ce rejet a clos votre contestation et il est définitif. Seule une \
            nouvelle demande est possible."
        ),
        declined: PartnerNewsMessages {
            subject: msg!("Le client a refusé votre demande pour " Workload " (" Domain ")"),
            happened: msg!("Le client a refusé l’association avant qu’elle ne devienne officielle. \
                Vous n’êtes pas son partenaire de référence pour " Workload "."),
            next: msg!("Plus rien ne peut être fait sur cette demande."),
        },
        associated: PartnerNewsMessages {
            subject: msg!("Vous êtes désormais partenaire de référence pour " Workload " (" Domain ")"),
            happened: msg!("Le client n’a pas refusé à temps\u{a0}: l’association est officielle. \
                Vous êtes le partenaire de référence pour " Workload " de " Domain "." " Elle compte à partir de l’approbation du fournisseur le " Deadline "."),
            next: msg!(
                "Vous n’avez rien à faire. Le client peut toutefois mettre fin à \
                l’association à tout moment\u{a0}; vous en serez alors prévenu."
            ),
        },
        revoked: PartnerNewsMessages {
            subject: msg!("Le client a mis fin à votre association pour " Workload " (" Domain ")"),
            happened: msg!("Le client a mis fin à l’association officielle. Vous n’êtes plus son \
                partenaire de référence pour " Workload "."),
            next: msg!("Plus rien ne peut être fait sur cette demande."),
        },
        contest_received: PartnerNewsMessages {
            subject: msg!("Votre demande pour " Workload " (" Domain ") est contestée"),
            happened: msg!("Un autre partenaire a demandé au fournisseur d’être le partner of \
                record pour " Workload " de " Domain " à votre place. Un examinateur comparera \
                les deux preuves d’exécution ; la plus récemment signée l’emporte."),
            next: msg!(
                "Si vous avez un énoncé des travaux signé plus récent, ajoutez-le dès \
                maintenant à votre demande pour que l’examinateur \
                le compare."
            ),
        },
        superseded: PartnerNewsMessages {
            subject: msg!("Votre association pour " Workload " (" Domain ") a été remplacée"),
            happened: msg!("Après comparaison des deux preuves d’exécution, le fournisseur a \
                approuvé la demande d’un autre partenaire pour " Workload " de " Domain
                ". Votre demande est remplacée."),
            next: msg!("Plus rien ne peut être fait sur cette demande."),
        },
        customer_unreachable: PartnerNewsMessages {
            subject: msg!("L’e-mail au client pour " Workload " (" Domain ") n’a pas été distribué"),
            happened: msg!(
                "L’e-mail au contact client que vous avez indiqué a été renvoyé\u{a0}: \
                l’adresse ne reçoit pas de courrier. Le délai de refus du client est suspendu."
            ),
            next: msg!("Veuillez corriger le contact du client, via l’API partenaire, avant le "
                Deadline ". Sinon, la demande est rejetée."),
        },
        endpoint_disabled: PartnerNewsMessages {
            subject: msg!("Votre point de terminaison webhook a été désactivé"),
            happened: msg!("Toutes les livraisons vers votre point de terminaison webhook " Endpoint " (id " WebhookId ") échouent depuis le " FailingSince " : il a donc été désactivé et ne reçoit plus d'événements."),
            next: msg!("Dès qu'il répondra de nouveau, réactivez-le avec POST /v1/webhooks/" WebhookId "/enable ; GET /v1/webhooks/" WebhookId " montre ses livraisons récentes."),
        },
        subscription_ended: PartnerNewsMessages {
            subject: msg!("L’abonnement de votre demande pour " Workload " (" Domain ") a pris fin"),
            happened: msg!("Selon l’annuaire, l’abonnement du client pour " Workload " de " Domain " a pris fin. Votre demande prend fin avec lui\u{a0}; l’abonnement est libre."),
            next: msg!(
                "Un nouvel abonnement demande une nouvelle demande. Plus rien n’est possible sur celle-ci."
            ),
        },
        reason_code: "Code du motif",
        see_claim: "La demande et tout son historique dans l’API partenaire\u{a0}:",
        why_you: msg!("Vous recevez ce message car vous êtes le contact partenaire de la demande "
            ClaimId "."),
    },
    official: OfficialMessages {
        subject: msg!("Votre association avec " Partner " pour " Workload " est désormais officielle"),
        title: "Votre association avec un partenaire de référence est officielle",
        official: msg!("Vous n’avez pas refusé à temps\u{a0}: " Partner " est désormais \
            officiellement le partenaire de référence pour " Workload " dans votre organisation ("
            Domain ")."),
        how_to_end: "Vous pouvez mettre fin à cette association à tout moment depuis la page \
            ci-dessous. Elle ne vous demande jamais de vous connecter ni de mot de passe, et \
            l’ouvrir ne change rien.",
        end_link: "Consulter ou mettre fin à cette association",
    },
    contact_moved: ContactMovedMessages {
        subject: msg!(Partner " a désigné un autre contact pour sa demande concernant " Workload),
        title: "Le contact d’une demande de partenaire attitré a changé",
        moved: msg!("Nous vous avons écrit car " Partner " a demandé à être reconnu comme \
            partenaire attitré pour " Workload " dans votre organisation (" Domain "). " Partner
            " a depuis désigné un autre contact pour cette demande : " NewContact ". La demande \
            lui est désormais adressée."),
        old_link: "Le lien de notre e-mail précédent ne fonctionne plus. Vous n’avez rien à faire.",
        if_wrong: "Si vous ne connaissez pas ce contact ou ne vous attendiez pas à ce changement, \
            prévenez la personne qui gère les services Microsoft de votre organisation : le \
            nouveau contact peut refuser la demande jusqu’à sa date limite.",
        why_you: msg!("Vous recevez ce message car " Partner " vous avait désigné comme contact de "
            Domain " pour cette demande."),
    },
};
