//! Italian.

use super::{EmailMessages, Messages, PageMessages};

pub(super) static MESSAGES: Messages = Messages {
    date_format: "%A %-d %B %Y, ore %H:%M (%Z)",
    title: "Richiesta di partner di riferimento",
    nothing_to_do: "Per accettare non deve fare nulla.",
    data_scope: msg!("Una volta associato, " Partner " potrà vedere solo i dati di utilizzo e \
        sulle licenze di " Workload ", e nessun altro dato della Sua organizzazione."),
    email: EmailMessages {
        subject: msg!(Partner " chiede di essere il Suo partner di riferimento per " Workload),
        greeting: msg!("Gentile " Customer ","),
        request: msg!(Partner " ha chiesto di essere riconosciuto come partner di riferimento \
            (partner of record) per " Workload " nella Sua organizzazione (" Domain
            "), nell'ambito del programma " Program "."),
        what_it_means: "Che cosa significa per Lei",
        how_to_decline: msg!("Se non è d'accordo, può rifiutare fino a " Deadline ":"),
        review_link: "Esamini o rifiuti la richiesta",
        after_deadline: "Se non fa nulla, l'associazione diventa ufficiale dopo tale termine.",
        why_you: msg!("Riceve questo messaggio perché " Partner " L'ha indicata come referente di "
            Domain " per questa richiesta."),
        safe_link: "Il link apre una pagina che mostra questa richiesta e Le permette di \
            rifiutarla. Non chiede mai di accedere né una password, e aprirla non cambia nulla.",
    },
    page: PageMessages {
        partner: "Partner",
        workload: "Servizio",
        program: "Programma",
        organisation: "La Sua organizzazione",
        deadline: "Termine per rifiutare",
        request: msg!(Partner " chiede di essere riconosciuto come Suo partner di riferimento per "
            Workload "."),
        decline_heading: "Rifiutare",
        confirm: msg!("Sì, rifiuto: " Partner " non sarà il nostro partner di riferimento per "
            Workload "."),
        confirm_hint: "Selezioni la casella, poi prema il pulsante.",
        decline_button: "Rifiuta questa associazione",
        declined: msg!("Ha rifiutato questa associazione. " Partner
            " non è il Suo partner di riferimento per " Workload ". Non deve fare altro."),
        associated: msg!("Questa associazione è ufficiale: " Partner
            " è il Suo partner di riferimento per " Workload
            ". Il termine per rifiutare è scaduto."),
        window_closed: "Il termine per rifiutare questa richiesta è scaduto: non è più possibile \
            rifiutarla qui.",
        withdrawn: msg!(Partner " ha ritirato questa richiesta. Non deve fare nulla."),
        superseded: msg!(Partner " non è più il partner of record per questo servizio: il fornitore ha approvato la richiesta di un altro partner. Non deve fare nulla."),
        since: "Ufficiale dal",
        end_heading: "Terminare questa associazione",
        end_confirm: msg!("Sì, la terminiamo: " Partner " non sarà più il nostro partner di riferimento per " Workload "."),
        end_button: "Termina l’associazione",
        revoked: msg!("Ha terminato questa associazione. " Partner " non è più il Suo partner di riferimento per " Workload ". Non deve fare altro."),
        not_yet_open: "Questa richiesta è in preparazione. Riapra il link tra qualche minuto.",
        invalid_title: "Link non valido",
        invalid_heading: "Questo link non è valido",
        invalid_text: "Il link potrebbe essere stato copiato in modo incompleto. Lo riapra \
            dall'e-mail che ha ricevuto.",
        unavailable_title: "Temporaneamente non disponibile",
        unavailable_heading: "Riprovi tra un momento",
        unavailable_text: "Non è stato possibile caricare la pagina. Non è stato modificato nulla.",
    },
};
