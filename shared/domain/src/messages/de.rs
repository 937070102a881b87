//! German.

use super::{EmailMessages, Messages, PageMessages};

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
};
