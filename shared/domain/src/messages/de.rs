//! German.

use super::{
    ContactMovedMessages, EmailMessages, Messages, OfficialMessages, PageMessages, PartnerMessages,
    PartnerNewsMessages,
};

pub(super) static MESSAGES: Messages = Messages {
    date_format: "%A, %-d. %B %Y, %H:%M Uhr (%Z)",
    title: "Antrag als Partner of Record",
    nothing_to_do: "Um zuzustimmen, müssen Sie nichts tun.",
    data_scope: msg!("Nach der Zuordnung sieht " Partner " ausschließlich Nutzungs- und \
        Lizenzdaten zu " Workload ". Andere Daten Ihrer Organisation erhält der Partner nicht."),
    email: EmailMessages {
        subject: msg!(Partner " möchte Ihr Partner of Record für " Workload " werden"),
        greeting: msg!("Guten Tag " Customer ","),
        request: msg!(Partner " hat beantragt, für " Workload " in Ihrer Organisation (" Domain
            ") im Programm " Program " als Partner of Record anerkannt zu werden."),
        what_it_means: "Was das für Sie bedeutet",
        how_to_decline: msg!("Wenn Sie das nicht möchten, können Sie bis " Deadline
            " ablehnen:"),
        review_link: "Antrag prüfen oder ablehnen",
        after_deadline: "Wenn Sie nichts tun, wird die Zuordnung nach diesem Zeitpunkt wirksam.",
        why_you: msg!("Sie erhalten diese Nachricht, weil " Partner
            " Sie für diesen Antrag als Ansprechperson für " Domain " angegeben hat."),
        safe_link: "Der Link öffnet eine Seite, die diesen Antrag zeigt und auf der Sie ihn \
            ablehnen können. Sie fragt nie nach einer Anmeldung oder einem Passwort, und das \
            Öffnen ändert nichts.",
    },
    page: PageMessages {
        partner: "Partner",
        workload: "Workload",
        program: "Programm",
        organisation: "Ihre Organisation",
        deadline: "Ablehnen möglich bis",
        request: msg!(Partner " möchte als Ihr Partner of Record für " Workload
            " anerkannt werden."),
        decline_heading: "Ablehnen",
        confirm: msg!("Ja, ich lehne ab: " Partner " wird nicht unser Partner of Record für "
            Workload "."),
        confirm_hint: "Setzen Sie das Häkchen und klicken Sie dann auf die Schaltfläche.",
        decline_button: "Diese Zuordnung ablehnen",
        declined: msg!("Sie haben diese Zuordnung abgelehnt. " Partner
            " ist nicht Ihr Partner of Record für " Workload ". Sie müssen nichts weiter tun."),
        associated: msg!("Diese Zuordnung ist wirksam: " Partner " ist Ihr Partner of Record für "
            Workload ". Die Frist zum Ablehnen ist abgelaufen."),
        window_closed: "Die Frist zum Ablehnen dieses Antrags ist abgelaufen; er kann hier nicht \
            mehr abgelehnt werden.",
        withdrawn: msg!(Partner " hat diesen Antrag zurückgezogen. Sie müssen nichts tun."),
        superseded: msg!(Partner " ist nicht mehr Partner of Record für diesen Dienst: Der Anbieter hat den Antrag eines anderen Partners genehmigt. Sie müssen nichts tun."),
        expired: msg!(Partner " ist nicht mehr Partner of Record für diesen Dienst: Das zugehörige Abonnement ist beendet. Sie müssen nichts tun."),
        since: "Wirksam seit",
        end_heading: "Diese Zuordnung beenden",
        end_confirm: msg!("Ja, wir beenden sie: " Partner " ist nicht länger unser Partner of Record für " Workload "."),
        end_button: "Zuordnung beenden",
        revoked: msg!("Sie haben diese Zuordnung beendet. " Partner " ist nicht mehr Ihr Partner of Record für " Workload ". Sie müssen nichts weiter tun."),
        not_yet_open: "Dieser Antrag wird gerade vorbereitet. Bitte öffnen Sie den Link in \
            einigen Minuten erneut.",
        invalid_title: "Link ungültig",
        invalid_heading: "Dieser Link ist ungültig",
        invalid_text: "Der Link wurde möglicherweise unvollständig kopiert. Öffnen Sie ihn erneut \
            aus der E-Mail, die Sie erhalten haben.",
        unavailable_title: "Vorübergehend nicht verfügbar",
        unavailable_heading: "Bitte versuchen Sie es gleich noch einmal",
        unavailable_text: "Die Seite konnte gerade nicht geladen werden. Es wurde nichts geändert.",
    },
    partner: PartnerMessages {
        title: "Neuigkeiten zu Ihrem Partner-of-Record-Antrag",
        greeting: msg!("Guten Tag " PartnerContact ","),
        about: msg!("Antrag " ClaimId ": " Workload " für " Domain ", Programm " Program "."),
        information_requested: PartnerNewsMessages {
            subject: msg!("Weitere Informationen zu Ihrem Antrag für " Workload " (" Domain ") erbeten"),
            happened: msg!(
                "Die Prüferin oder der Prüfer des Anbieters bittet um weitere \
                Informationen zu Ihrem Antrag."
            ),
            next: msg!("Bitte antworten Sie über die Partner-API mit dem Erbetenen bis " Deadline
                ". Ohne Antwort bis dahin wird der Antrag abgelehnt."),
        },
        approved: PartnerNewsMessages {
            subject: msg!("Ihr Antrag für " Workload " (" Domain ") wurde genehmigt"),
            happened: msg!(
                "Der Anbieter hat Ihren Antrag genehmigt. Der Kunde wird per E-Mail \
                informiert und kann innerhalb von fünf Werktagen ablehnen."
            ),
            next: msg!(
                "Sie müssen jetzt nichts tun. Sie werden benachrichtigt, wenn die Zuordnung \
                offiziell wird oder der Kunde ablehnt."
            ),
        },
        rejected: PartnerNewsMessages {
            subject: msg!("Ihr Antrag für " Workload " (" Domain ") wurde abgelehnt"),
            happened: msg!("Der Anbieter hat Ihren Antrag abgelehnt."),
            next: msg!("Sie können die Ablehnung einmal anfechten, mit einer geschäftlichen \
                Begründung oder einem neueren Leistungsnachweis, bis " Deadline ". Danach ist nur \
                ein neuer Antrag möglich."),
        },
        rejected_final: msg!(
            "Diese Ablehnung hat Ihre Anfechtung beendet und ist endgültig. Nur \
            ein neuer Antrag ist möglich."
        ),
        declined: PartnerNewsMessages {
            subject: msg!("Der Kunde hat Ihren Antrag für " Workload " (" Domain ") abgelehnt"),
            happened: msg!("Der Kunde hat die Zuordnung abgelehnt, bevor sie offiziell wurde. Sie \
                sind nicht sein Partner of Record für " Workload "."),
            next: msg!("Für diesen Antrag ist nichts weiter möglich."),
        },
        associated: PartnerNewsMessages {
            subject: msg!("Sie sind jetzt Partner of Record für " Workload " (" Domain ")"),
            happened: msg!("Der Kunde hat nicht rechtzeitig abgelehnt: Die Zuordnung ist offiziell. \
                Sie sind Partner of Record für " Workload " von " Domain "." " Sie zählt ab der Genehmigung durch den Anbieter am " Deadline "."),
            next: msg!(
                "Sie müssen nichts tun. Der Kunde kann die Zuordnung jederzeit beenden; \
                Sie werden dann benachrichtigt."
            ),
        },
        revoked: PartnerNewsMessages {
            subject: msg!("Der Kunde hat Ihre Zuordnung für " Workload " (" Domain ") beendet"),
            happened: msg!("Der Kunde hat die offizielle Zuordnung beendet. Sie sind nicht mehr \
                sein Partner of Record für " Workload "."),
            next: msg!("Für diesen Antrag ist nichts weiter möglich."),
        },
        contest_received: PartnerNewsMessages {
            subject: msg!("Ihr Antrag für " Workload " (" Domain ") wird angefochten"),
            happened: msg!("Ein anderer Partner hat beim Anbieter beantragt, statt Ihrer der \
                Partner of Record für " Workload " von " Domain " zu sein. Ein Prüfer vergleicht \
                beide Leistungsnachweise; der zuletzt unterzeichnete gewinnt."),
            next: msg!(
                "Wenn Sie eine neuere unterzeichnete Leistungsbeschreibung haben, fügen \
                Sie sie jetzt Ihrem Antrag hinzu, damit der Prüfer \
                sie vergleicht."
            ),
        },
        superseded: PartnerNewsMessages {
            subject: msg!("Ihre Zuordnung für " Workload " (" Domain ") wurde ersetzt"),
            happened: msg!("Nach dem Vergleich beider Leistungsnachweise hat der Anbieter den \
                Antrag eines anderen Partners für " Workload " von " Domain
                " genehmigt. Ihr Antrag ist ersetzt."),
            next: msg!("Für diesen Antrag ist nichts weiter möglich."),
        },
        customer_unreachable: PartnerNewsMessages {
            subject: msg!("Die E-Mail an den Kunden für " Workload " (" Domain ") kam nicht an"),
            happened: msg!(
                "Die E-Mail an den von Ihnen angegebenen Kundenkontakt kam zurück: Die \
                Adresse empfängt keine E-Mails. Die Ablehnungsfrist des Kunden ist angehalten."
            ),
            next: msg!("Bitte korrigieren Sie den Kundenkontakt über die Partner-API bis "
                Deadline ". Andernfalls wird der Antrag abgelehnt."),
        },
        endpoint_disabled: PartnerNewsMessages {
            subject: msg!("Ihr Webhook-Endpunkt wurde deaktiviert"),
            happened: msg!("Jede Zustellung an Ihren Webhook-Endpunkt " Endpoint " (ID " WebhookId ") schlägt seit " FailingSince " fehl. Er wurde deshalb deaktiviert und erhält keine Ereignisse mehr."),
            next: msg!("Sobald er wieder antwortet, aktivieren Sie ihn mit POST /v1/webhooks/" WebhookId "/enable; GET /v1/webhooks/" WebhookId " zeigt seine letzten Zustellungen."),
        },
        subscription_ended: PartnerNewsMessages {
            subject: msg!("Das Abonnement Ihres Antrags für " Workload " (" Domain ") ist beendet"),
            happened: msg!("Laut Verzeichnis ist das Abonnement des Kunden für " Workload " von " Domain " beendet. Ihr Antrag dafür ist damit ebenfalls beendet; das Abonnement ist frei."),
            next: msg!(
                "Ein neues Abonnement braucht einen eigenen Antrag. Für diesen Antrag ist nichts mehr möglich."
            ),
        },
        reason_code: "Begründungscode",
        see_claim: "Der Antrag und sein gesamter Verlauf in der Partner-API:",
        why_you: msg!("Sie erhalten diese Nachricht, weil Sie der Partnerkontakt des Antrags "
            ClaimId " sind."),
    },
    official: OfficialMessages {
        subject: msg!("Ihre Zuordnung zu " Partner " für " Workload " ist jetzt offiziell"),
        title: "Ihre Partner-of-Record-Zuordnung ist offiziell",
        official: msg!("Sie haben nicht rechtzeitig abgelehnt, daher ist " Partner " jetzt \
            offiziell Partner of Record für " Workload " in Ihrer Organisation (" Domain ")."),
        how_to_end: "Sie können diese Zuordnung jederzeit über die folgende Seite beenden. Sie \
            fragt nie nach einer Anmeldung oder einem Passwort, und das Öffnen ändert nichts.",
        end_link: "Zuordnung ansehen oder beenden",
    },
    contact_moved: ContactMovedMessages {
        subject: msg!(Partner " hat für den Antrag zu " Workload " einen anderen Kontakt genannt"),
        title: "Der Kontakt eines Antrags auf Partner of Record hat sich geändert",
        moved: msg!("Wir haben Ihnen geschrieben, weil " Partner " beantragt hat, als Partner of \
            Record für " Workload " in Ihrer Organisation (" Domain ") anerkannt zu werden. " Partner
            " hat seitdem einen anderen Kontakt für diesen Antrag genannt: " NewContact ". Der \
            Antrag geht nun dorthin."),
        old_link: "Der Link in unserer früheren E-Mail funktioniert nicht mehr. Sie müssen nichts tun.",
        if_wrong: "Wenn Sie diesen Kontakt nicht kennen oder diese Änderung nicht erwartet haben, \
            informieren Sie bitte die Person, die die Microsoft-Dienste Ihrer Organisation \
            verwaltet: Der neue Kontakt kann den Antrag bis zu seiner Frist ablehnen.",
        why_you: msg!("Sie erhalten diese Nachricht, weil " Partner " Sie als Kontakt von " Domain
            " für diesen Antrag genannt hatte."),
    },
};
