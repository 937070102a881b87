//! Spanish.

use super::{
    ContactMovedMessages, EmailMessages, Messages, OfficialMessages, PageMessages, PartnerMessages,
    PartnerNewsMessages,
};

pub(super) static MESSAGES: Messages = Messages {
    date_format: "%A, %-d de %B de %Y, %H:%M (%Z)",
    title: "Solicitud de partner de referencia",
    nothing_to_do: "No tiene que hacer nada para aceptar.",
    data_scope: msg!("Una vez asociado, " Partner " podrá ver únicamente los datos de uso y de \
        licencias de " Workload ", y ningún otro dato de su organización."),
    email: EmailMessages {
        subject: msg!(Partner " solicita ser su partner de referencia para " Workload),
        greeting: msg!("Estimado/a " Customer ":"),
        request: msg!(Partner " ha solicitado ser reconocido como partner de referencia (partner \
            of record) para " Workload " en su organización (" Domain "), dentro del programa "
            Program "."),
        what_it_means: "Qué significa para usted",
        how_to_decline: msg!("Si no lo desea, puede rechazarlo hasta el " Deadline ":"),
        review_link: "Revisar o rechazar esta solicitud",
        after_deadline: "Si no hace nada, la asociación será oficial después de ese momento.",
        why_you: msg!("Recibe este mensaje porque " Partner " le indicó como contacto de " Domain
            " para esta solicitud."),
        safe_link: "El enlace abre una página que muestra esta solicitud y le permite \
            rechazarla. Nunca le pide iniciar sesión ni una contraseña, y abrirla no cambia nada.",
    },
    page: PageMessages {
        partner: "Partner",
        workload: "Carga de trabajo",
        program: "Programa",
        organisation: "Su organización",
        deadline: "Plazo para rechazar",
        request: msg!(Partner " solicita ser reconocido como su partner de referencia para "
            Workload "."),
        decline_heading: "Rechazar",
        confirm: msg!("Sí, rechazo: " Partner " no será nuestro partner de referencia para "
            Workload "."),
        confirm_hint: "Marque la casilla y pulse el botón.",
        decline_button: "Rechazar esta asociación",
        declined: msg!("Ha rechazado esta asociación. " Partner
            " no es su partner de referencia para " Workload ". No tiene que hacer nada más."),
        associated: msg!("Esta asociación es oficial: " Partner
            " es su partner de referencia para " Workload
            ". El plazo para rechazarla ha terminado."),
        window_closed: "El plazo para rechazar esta solicitud ha terminado, así que ya no se \
            puede rechazar aquí.",
        withdrawn: msg!(Partner " retiró esta solicitud. No tiene que hacer nada."),
        superseded: msg!(Partner " ya no es el partner of record de este servicio: el proveedor aprobó la solicitud de otro partner. No tiene que hacer nada."),
        expired: msg!(Partner " ya no es el partner de referencia para este servicio: la suscripción a la que correspondía ha terminado. No necesita hacer nada."),
        since: "Oficial desde",
        end_heading: "Poner fin a esta asociación",
        end_confirm: msg!("Sí, le ponemos fin: " Partner " dejará de ser nuestro partner de referencia para " Workload "."),
        end_button: "Poner fin a la asociación",
        revoked: msg!("Ha puesto fin a esta asociación. " Partner " ya no es su partner de referencia para " Workload ". No tiene que hacer nada más."),
        not_yet_open: "Esta solicitud se está preparando. Vuelva a abrir el enlace dentro de unos \
            minutos.",
        invalid_title: "Enlace no válido",
        invalid_heading: "Este enlace no es válido",
        invalid_text: "Puede que el enlace se haya copiado de forma incompleta. Ábralo de nuevo \
            desde el correo que recibió.",
        unavailable_title: "No disponible temporalmente",
        unavailable_heading: "Inténtelo de nuevo en un momento",
        unavailable_text: "No se pudo cargar la página en este momento. No se ha cambiado nada.",
    },
    partner: PartnerMessages {
        title: "Novedades de su solicitud de partner de referencia",
        greeting: msg!("Estimado/a " PartnerContact ":"),
        about: msg!("Solicitud " ClaimId ": " Workload " para " Domain ", programa " Program "."),
        information_requested: PartnerNewsMessages {
            subject: msg!("Se solicita información sobre su solicitud para " Workload " (" Domain ")"),
            happened: msg!(
                "El revisor del proveedor ha pedido más información sobre su solicitud."
            ),
            next: msg!("Responda con lo solicitado, a través de la API de partners, antes del "
                Deadline ". Sin respuesta en ese plazo, la solicitud se rechaza."),
        },
        approved: PartnerNewsMessages {
            subject: msg!("Su solicitud para " Workload " (" Domain ") ha sido aprobada"),
            happened: msg!(
                "El proveedor ha aprobado su solicitud. El cliente recibe un correo y \
                tiene cinco días hábiles para rechazarla."
            ),
            next: msg!(
                "Por ahora no necesita hacer nada. Se le avisará cuando la asociación sea \
                oficial o si el cliente la rechaza."
            ),
        },
        rejected: PartnerNewsMessages {
            subject: msg!("Su solicitud para " Workload " (" Domain ") ha sido rechazada"),
            happened: msg!("El proveedor ha rechazado su solicitud."),
            next: msg!("Puede impugnar el rechazo una sola vez, con una justificación comercial o \
                una prueba de ejecución más reciente, hasta el " Deadline ". Después, solo es \
                posible una nueva solicitud."),
        },
        rejected_final: msg!(
            "Este rechazo cerró su impugnación y es definitivo. Solo es posible \
            una nueva solicitud."
        ),
        declined: PartnerNewsMessages {
            subject: msg!("El cliente ha rechazado su solicitud para " Workload " (" Domain ")"),
            happened: msg!("El cliente rechazó la asociación antes de que fuera oficial. Usted no \
                es su partner de referencia para " Workload "."),
            next: msg!("No se puede hacer nada más con esta solicitud."),
        },
        associated: PartnerNewsMessages {
            subject: msg!("Ahora es el partner de referencia para " Workload " (" Domain ")"),
            happened: msg!("El cliente no la rechazó a tiempo: la asociación es oficial. Usted es \
                el partner de referencia para " Workload " de " Domain "." " Cuenta desde la aprobación del proveedor el " Deadline "."),
            next: msg!(
                "No necesita hacer nada. El cliente puede poner fin a la asociación en \
                cualquier momento; se le avisará si lo hace."
            ),
        },
        revoked: PartnerNewsMessages {
            subject: msg!("El cliente ha puesto fin a su asociación para " Workload " (" Domain ")"),
            happened: msg!("El cliente ha puesto fin a la asociación oficial. Usted ya no es su \
                partner de referencia para " Workload "."),
            next: msg!("No se puede hacer nada más con esta solicitud."),
        },
        contest_received: PartnerNewsMessages {
            subject: msg!("Su solicitud para " Workload " (" Domain ") ha sido impugnada"),
            happened: msg!("Otro partner ha pedido al proveedor ser el partner of record para "
                Workload " de " Domain " en lugar de usted. Un revisor comparará ambas pruebas \
                de ejecución; gana la firmada más recientemente."),
            next: msg!(
                "Si tiene una declaración de trabajo firmada más reciente, añádala ahora \
                a su solicitud para que el revisor la compare."
            ),
        },
        superseded: PartnerNewsMessages {
            subject: msg!("Su asociación para " Workload " (" Domain ") ha sido sustituida"),
            happened: msg!("Tras comparar ambas pruebas de ejecución, el proveedor aprobó la \
                solicitud de otro partner para " Workload " de " Domain
                ". Su solicitud queda sustituida."),
            next: msg!("No se puede hacer nada más con esta solicitud."),
        },
        customer_unreachable: PartnerNewsMessages {
            subject: msg!("El correo al cliente para " Workload " (" Domain ") fue devuelto"),
            happened: msg!(
                "El correo al contacto del cliente que indicó fue devuelto: la \
                dirección no recibe correo. El plazo del cliente para rechazar está detenido."
            ),
            next: msg!("Corrija el contacto del cliente, a través de la API de partners, antes \
                del " Deadline ". De lo contrario, la solicitud se rechaza."),
        },
        endpoint_disabled: PartnerNewsMessages {
            subject: msg!("Se ha desactivado su endpoint de webhook"),
            happened: msg!("Todas las entregas a su endpoint de webhook " Endpoint " (id " WebhookId ") fallan desde el " FailingSince ", por lo que se ha desactivado y ya no recibe eventos."),
            next: msg!("Cuando vuelva a responder, actívelo con POST /v1/webhooks/" WebhookId "/enable; GET /v1/webhooks/" WebhookId " muestra sus entregas recientes."),
        },
        subscription_ended: PartnerNewsMessages {
            subject: msg!("La suscripción de su solicitud para " Workload " (" Domain ") ha terminado"),
            happened: msg!("Según el directorio, la suscripción del cliente para " Workload " de " Domain " ha terminado. Su solicitud también ha terminado; la suscripción queda libre."),
            next: msg!(
                "Una nueva suscripción necesita su propia solicitud. No se puede hacer nada más con esta solicitud."
            ),
        },
        reason_code: "Código del motivo",
        see_claim: "La solicitud y todo su historial en la API de partners:",
        why_you: msg!("Recibe este mensaje porque es el contacto del partner de la solicitud "
            ClaimId "."),
    },
    official: OfficialMessages {
        subject: msg!("Su asociación con " Partner " para " Workload " ya es oficial"),
        title: "Su asociación con un partner de referencia es oficial",
        official: msg!("No la rechazó a tiempo, así que " Partner " es ahora oficialmente el \
            partner de referencia para " Workload " en su organización (" Domain ")."),
        how_to_end: "Puede poner fin a esta asociación en cualquier momento desde la página \
            siguiente. Nunca le pide iniciar sesión ni una contraseña, y abrirla no cambia nada.",
        end_link: "Ver o terminar esta asociación",
    },
    contact_moved: ContactMovedMessages {
        subject: msg!(Partner " indicó otro contacto para su solicitud sobre " Workload),
        title: "Ha cambiado el contacto de una solicitud de partner de registro",
        moved: msg!("Le escribimos porque " Partner " solicitó ser reconocido como partner de \
            registro para " Workload " en su organización (" Domain "). Desde entonces, " Partner
            " ha indicado otro contacto para esta solicitud: " NewContact ". La solicitud se \
            envía ahora a ese contacto."),
        old_link: "El enlace de nuestro correo anterior ya no funciona. No tiene que hacer nada.",
        if_wrong: "Si no conoce este contacto o no esperaba este cambio, avise a la persona que \
            gestiona los servicios de Microsoft de su organización: el nuevo contacto puede \
            rechazar la solicitud hasta su plazo.",
        why_you: msg!("Recibe este mensaje porque " Partner " le había indicado como contacto de "
            Domain " para esta solicitud."),
    },
};
