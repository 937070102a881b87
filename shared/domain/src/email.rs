//! The e-mail that tells a customer about a claim and how to opt out.

use crate::calendar::OptOutWindow;
use crate::claim::Claim;
use crate::contact::EmailAddress;
use crate::messages::ClaimInWords;
use askama::Template;

/// A message to a customer, with plain-text and HTML parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerEmail {
    pub to: EmailAddress,
    /// The subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

#[derive(Template)]
#[template(path = "subject.txt")]
struct NotificationSubject<'a> {
    f: &'a ClaimInWords<'a>,
}

#[derive(Template)]
#[template(path = "notification.txt")]
struct NotificationText<'a> {
    f: &'a ClaimInWords<'a>,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "notification.html")]
struct NotificationHtml<'a> {
    f: &'a ClaimInWords<'a>,
    link: &'a str,
}

/// Composes the notification of `claim`, whose window is `window`, with the opt-out `link`, in
/// the language of the customer contact's locale (English when the service does not write in it).
pub fn compose_notification(
    claim: &Claim,
    window: &OptOutWindow,
    link: &str,
) -> Result<CustomerEmail, askama::Error> {
    let mut facts = ClaimInWords::of(claim);
    // The claim is still `submitted`: the window it is about to open is the one to show.
    facts.deadline = Some(facts.language.format_instant(
        window.deadline,
        claim.subject.customer_contact.time_zone.tz(),
    ));
    let f = &facts;
    Ok(CustomerEmail {
        to: claim.subject.customer_contact.email.clone(),
        subject: NotificationSubject { f }.render()?,
        text: NotificationText { f, link }.render()?,
        html: NotificationHtml { f, link }.render()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::BusinessCalendar;
    use crate::claim::tests::{at, submitted};

    #[test]
    fn the_email_names_the_partner_workload_domain_deadline_and_link_and_escapes_html() {
        // GIVEN a partner whose registered name carries markup
        let mut claim = submitted(at("2026-11-25T09:00:00Z"));
        claim.partner_name = "Fabrikam <script>alert(1)</script>".into();
        claim.subject.customer_contact.time_zone =
            crate::contact::CustomerTimeZone::parse("Europe/Rome").unwrap();
        let window = BusinessCalendar::default().opt_out_window(
            at("2026-11-25T10:00:00Z"),
            claim.subject.customer_contact.time_zone.tz(),
        );
        // WHEN the notification is composed
        let email =
            compose_notification(&claim, &window, "http://127.0.0.1:3000/opt-out/T.k1.S").unwrap();
        // THEN both parts say what the customer needs, and the HTML part escapes the markup
        for part in [&email.text, &email.html] {
            assert!(part.contains("Microsoft Teams"));
            assert!(part.contains("contoso.onmicrosoft.com"));
            assert!(
                part.contains("Wednesday 2 December 2026, 23:59 (CET)"),
                "{part}"
            );
            assert!(part.contains("http://127.0.0.1:3000/opt-out/T.k1.S"));
        }
        assert!(
            email.html.contains("Fabrikam &#60;script&#62;")
                || email.html.contains("Fabrikam &lt;script&gt;"),
            "{}",
            email.html
        );
        assert!(!email.html.contains("<script>"));
        assert!(email.text.contains("Fabrikam <script>alert(1)</script>"));
        assert_eq!(email.to.as_str(), "giulia@contoso.com");
        assert_eq!(
            email.subject,
            "Fabrikam <script>alert(1)</script> asks to be your partner of record for Microsoft Teams"
        );
    }

    fn claim_in(locale: &str, zone: &str) -> (Claim, OptOutWindow) {
        let mut claim = submitted(at("2026-11-25T09:00:00Z"));
        claim.partner_name = "Fabrikam & Söhne <b>".into();
        let contact = &mut claim.subject.customer_contact;
        contact.locale = crate::contact::Locale::parse(locale).unwrap();
        contact.time_zone = crate::contact::CustomerTimeZone::parse(zone).unwrap();
        let window = BusinessCalendar::default()
            .opt_out_window(at("2026-11-25T10:00:00Z"), contact.time_zone.tz());
        (claim, window)
    }

    #[test]
    fn the_email_is_written_in_the_contacts_language_with_the_deadline_in_their_zone() {
        for (locale, zone, lang, subject, greeting, deadline, decline) in [
            (
                "en-GB",
                "Europe/London",
                "en",
                "asks to be your partner of record for Microsoft Teams",
                "Dear Giulia Rossi,",
                "Wednesday 2 December 2026, 23:59 (GMT)",
                "Review or decline this request",
            ),
            (
                "it",
                "Europe/Rome",
                "it",
                "chiede di essere il Suo partner di riferimento per Microsoft Teams",
                "Gentile Giulia Rossi,",
                "mercoledì 2 dicembre 2026, ore 23:59 (CET)",
                "Esamini o rifiuti la richiesta",
            ),
            (
                "de-AT",
                "Europe/Vienna",
                "de",
                "möchte Ihr Partner of Record für Microsoft Teams werden",
                "Guten Tag Giulia Rossi,",
                "Mittwoch, 2. Dezember 2026, 23:59 Uhr (CET)",
                "Antrag prüfen oder ablehnen",
            ),
            (
                "fr-CA",
                "America/Montreal",
                "fr",
                "demande à devenir votre partenaire de référence pour Microsoft Teams",
                "Bonjour Giulia Rossi,",
                "mercredi 2 décembre 2026 à 23:59 (EST)",
                "Consulter ou refuser cette demande",
            ),
            (
                "es-MX",
                "America/Mexico_City",
                "es",
                "solicita ser su partner de referencia para Microsoft Teams",
                "Estimado/a Giulia Rossi:",
                "miércoles, 2 de diciembre de 2026, 23:59 (CST)",
                "Revisar o rechazar esta solicitud",
            ),
            (
                "ja-JP",
                "Asia/Tokyo",
                "ja",
                "から Microsoft Teams のパートナー・オブ・レコード申請が届いています",
                "Giulia Rossi 様",
                "2026年12月2日(水) 23:59 (JST)",
                "この申請を確認または辞退する",
            ),
            (
                "pt-BR",
                "America/Sao_Paulo",
                "en",
                "asks to be your partner of record for Microsoft Teams",
                "Dear Giulia Rossi,",
                "Wednesday 2 December 2026, 23:59 (-03)",
                "Review or decline this request",
            ),
        ] {
            // GIVEN a claim whose contact reads `locale` in `zone`, by a partner with markup
            let (claim, window) = claim_in(locale, zone);
            // WHEN its notification is composed
            let email =
                compose_notification(&claim, &window, "https://cpor.example/opt-out/T.k1.S")
                    .unwrap();
            // THEN the subject and both parts are in that language, with the deadline in that
            // zone, the facts in words, and the partner's name escaped in the HTML only
            assert_eq!(
                email.subject,
                format!("Fabrikam & Söhne <b> {subject}"),
                "{locale}"
            );
            assert!(
                email.html.contains(&format!("<html lang=\"{lang}\">")),
                "{locale}"
            );
            for part in [&email.text, &email.html] {
                for expected in [
                    deadline,
                    "Microsoft Teams",
                    "contoso.onmicrosoft.com",
                    "Online Services Usage (OSU) for Microsoft 365",
                    "https://cpor.example/opt-out/T.k1.S",
                ] {
                    assert!(part.contains(expected), "{locale} lacks {expected}: {part}");
                }
            }
            assert!(email.text.starts_with(greeting), "{locale}: {}", email.text);
            assert!(email.text.contains("Fabrikam & Söhne <b>"), "{locale}");
            assert!(email.html.contains(&format!("{decline}</a>")), "{locale}");
            assert!(
                email.html.contains("Fabrikam &#38; Söhne &#60;b&#62;"),
                "{locale}: {}",
                email.html
            );
            assert!(!email.html.contains("<b>"), "{locale}");
        }
    }
}
