//! The e-mail that tells a customer about a claim and how to opt out.

use crate::calendar::OptOutWindow;
use crate::claim::Claim;
use crate::contact::EmailAddress;
use askama::Template;

/// A message to a customer, with plain-text and HTML parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerEmail {
    /// The recipient.
    pub to: EmailAddress,
    /// The subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// What the notification shows; the templates escape what partners and customers typed.
struct NotificationFacts<'a> {
    customer_name: &'a str,
    partner_name: &'a str,
    workload: &'a str,
    program: &'a str,
    domain: &'a str,
    deadline: String,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "notification.txt")]
struct NotificationText<'a> {
    f: &'a NotificationFacts<'a>,
}

#[derive(Template)]
#[template(path = "notification.html")]
struct NotificationHtml<'a> {
    f: &'a NotificationFacts<'a>,
}

/// The deadline as the customer reads it: in their zone, with the zone's abbreviation.
pub fn format_deadline(window: &OptOutWindow, zone: chrono_tz::Tz) -> String {
    window
        .deadline
        .with_timezone(&zone)
        .format("%A %-d %B %Y, %H:%M (%Z)")
        .to_string()
}

/// Composes the notification of `claim`, whose window is `window`, with the opt-out `link`.
pub fn compose_notification(
    claim: &Claim,
    window: &OptOutWindow,
    link: &str,
) -> Result<CustomerEmail, askama::Error> {
    let s = &claim.subject;
    let facts = NotificationFacts {
        customer_name: &s.customer_contact.name,
        partner_name: &claim.partner_name,
        workload: s.workload.name(),
        program: s.program.name(),
        domain: s.customer_domain.as_str(),
        deadline: format_deadline(window, s.customer_contact.time_zone.tz()),
        link,
    };
    Ok(CustomerEmail {
        to: s.customer_contact.email.clone(),
        subject: format!(
            "{} asks to be your partner of record for {}",
            claim.partner_name,
            s.workload.name()
        ),
        text: NotificationText { f: &facts }.render()?,
        html: NotificationHtml { f: &facts }.render()?,
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
        assert_eq!(email.to.as_str(), "giulia@contoso.com");
    }
}
