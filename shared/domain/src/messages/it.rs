//! Italian.

use super::{
    ContactMovedMessages, EmailMessages, Messages, OfficialMessages, PageMessages, PartnerMessages,
    PartnerNewsMessages,
};

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
        expired: msg!(Partner " non è più il partner di riferimento per questo servizio: l'abbonamento a cui si riferiva è terminato. Non deve fare nulla."),
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
    partner: PartnerMessages {
        title: "Aggiornamento sulla Sua richiesta di partner di riferimento",
        greeting: msg!("Gentile " PartnerContact ","),
        about: msg!("Richiesta " ClaimId ": " Workload " per " Domain ", programma " Program "."),
        information_requested: PartnerNewsMessages {
            subject: msg!("Informazioni richieste sulla Sua richiesta per " Workload " (" Domain ")"),
            happened: msg!(
                "Il revisore del fornitore ha chiesto ulteriori informazioni sulla Sua richiesta."
            ),
            next: msg!("Risponda con quanto richiesto, tramite l'API per i partner, entro " Deadline
                ". Senza risposta entro tale termine, la richiesta viene respinta."),
        },
        approved: PartnerNewsMessages {
            subject: msg!("La Sua richiesta per " Workload " (" Domain ") è stata approvata"),
            happened: msg!(
                "Il fornitore ha approvato la Sua richiesta. Il cliente riceve un'e-mail \
                e ha cinque giorni lavorativi per rifiutare."
            ),
            next: msg!(
                "Per ora non deve fare nulla. Sarà informato quando l'associazione diventerà \
                ufficiale o se il cliente rifiuta."
            ),
        },
        rejected: PartnerNewsMessages {
            subject: msg!("La Sua richiesta per " Workload " (" Domain ") è stata respinta"),
            happened: msg!("Il fornitore ha respinto la Sua richiesta."),
            next: msg!("Può contestare il rifiuto una sola volta, con una motivazione commerciale o \
                una prova di esecuzione più recente, entro " Deadline ". Dopo tale termine è possibile \
                solo una nuova richiesta."),
        },
        rejected_final: msg!(
            "Questo rifiuto ha concluso la Sua contestazione ed è definitivo. È \
            possibile solo una nuova richiesta."
        ),
        declined: PartnerNewsMessages {
            subject: msg!("Il cliente ha rifiutato la Sua richiesta per " Workload " (" Domain ")"),
            happened: msg!("Il cliente ha rifiutato l'associazione prima che diventasse ufficiale. \
                Non è il suo partner di riferimento per " Workload "."),
            next: msg!("Su questa richiesta non si può fare altro."),
        },
        associated: PartnerNewsMessages {
            subject: msg!("Ora è il partner di riferimento per " Workload " (" Domain ")"),
            happened: msg!("Il cliente non ha rifiutato entro il termine: l'associazione è \
                ufficiale. È il partner di riferimento per " Workload " di " Domain "." " Conta dall'approvazione del fornitore del " Deadline "."),
            next: msg!(
                "Non deve fare nulla. Il cliente può comunque terminare l'associazione in \
                qualsiasi momento; in tal caso sarà informato."
            ),
        },
        revoked: PartnerNewsMessages {
            subject: msg!("Il cliente ha terminato l'associazione per " Workload " (" Domain ")"),
            happened: msg!("Il cliente ha terminato l'associazione ufficiale. Non è più il suo \
                partner di riferimento per " Workload "."),
            next: msg!("Su questa richiesta non si può fare altro."),
        },
        contest_received: PartnerNewsMessages {
            subject: msg!("La Sua richiesta per " Workload " (" Domain ") è contestata"),
            happened: msg!("Un altro partner ha chiesto al fornitore di essere il partner of \
                record per " Workload " di " Domain " al posto Suo. Un revisore confronterà le due \
                prove di esecuzione; vince quella firmata più di recente."),
            next: msg!(
                "Se ha un documento di lavoro firmato più recente, lo aggiunga ora alla \
                Sua richiesta perché il revisore lo confronti."
            ),
        },
        superseded: PartnerNewsMessages {
            subject: msg!("La Sua associazione per " Workload " (" Domain ") è stata sostituita"),
            happened: msg!("Dopo aver confrontato le due prove di esecuzione, il fornitore ha \
                approvato la richiesta di un altro partner per " Workload " di " Domain
                ". La Sua richiesta è sostituita."),
            next: msg!("Su questa richiesta non si può fare altro."),
        },
        customer_unreachable: PartnerNewsMessages {
            subject: msg!("L'e-mail al cliente per " Workload " (" Domain ") non è stata recapitata"),
            happened: msg!(
                "L'e-mail al referente del cliente che ha indicato non è stata \
                recapitata: l'indirizzo non riceve posta. Il termine del cliente per rifiutare è \
                sospeso."
            ),
            next: msg!("Corregga il referente del cliente, tramite l'API per i partner, entro "
                Deadline ". Altrimenti la richiesta viene respinta."),
        },
        endpoint_disabled: PartnerNewsMessages {
            subject: msg!("Il tuo endpoint webhook è stato disattivato"),
            happened: msg!("Tutte le consegne al tuo endpoint webhook " Endpoint " (id " WebhookId ") non riescono dal " FailingSince ": è stato quindi disattivato e non riceve più eventi."),
            next: msg!("Quando risponderà di nuovo, riattivalo con POST /v1/webhooks/" WebhookId "/enable; GET /v1/webhooks/" WebhookId " mostra le sue consegne recenti."),
        },
        subscription_ended: PartnerNewsMessages {
            subject: msg!("L'abbonamento della sua richiesta per " Workload " (" Domain ") è terminato"),
            happened: msg!("Secondo la directory, l'abbonamento del cliente per " Workload " di " Domain " è terminato. Anche la sua richiesta è terminata; l'abbonamento è libero."),
            next: msg!(
                "Un nuovo abbonamento richiede una richiesta a sé. Su questa richiesta non si può fare altro."
            ),
        },
        reason_code: "Codice del motivo",
        see_claim: "La richiesta e tutta la sua cronologia nell'API per i partner:",
        why_you: msg!("Riceve questo messaggio perché è il referente del partner per la richiesta "
            ClaimId "."),
    },
    official: OfficialMessages {
        subject: msg!("La Sua associazione con " Partner " per " Workload " è ora ufficiale"),
        title: "La Sua associazione con il partner di riferimento è ufficiale",
        official: msg!("Non ha rifiutato entro il termine: " Partner " è ora ufficialmente il \
            partner di riferimento per " Workload " nella Sua organizzazione (" Domain ")."),
        how_to_end: "Può terminare questa associazione in qualsiasi momento dalla pagina \
            indicata qui sotto. Non chiede mai di accedere né una password, e aprirla non cambia nulla.",
        end_link: "Visualizzi o termini questa associazione",
    },
    contact_moved: ContactMovedMessages {
        subject: msg!(Partner " ha indicato un altro contatto per la richiesta relativa a " Workload),
        title: "Il contatto di una richiesta di partner di riferimento è cambiato",
        moved: msg!("Le abbiamo scritto perché " Partner " ha chiesto di essere riconosciuto come \
            partner di riferimento per " Workload " nella Sua organizzazione (" Domain "). " Partner
            " ha poi indicato un altro contatto per questa richiesta: " NewContact ". La richiesta \
            è ora inviata a quel contatto."),
        old_link: "Il link della nostra e-mail precedente non funziona più. Non deve fare nulla.",
        if_wrong: "Se non conosce questo contatto o non si aspettava questa modifica, lo segnali \
            a chi gestisce i servizi Microsoft della Sua organizzazione: il nuovo contatto può \
            rifiutare la richiesta entro il suo termine.",
        why_you: msg!("Riceve questo messaggio perché " Partner " L'aveva indicata come contatto \
            di " Domain " per questa richiesta."),
    },
};
