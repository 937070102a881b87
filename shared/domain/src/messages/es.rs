//! Spanish.

use super::{EmailMessages, Messages, PageMessages};

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
};
