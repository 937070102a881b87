//! The partner's e-mail when an endpoint that failed every attempt for three days is
//! disabled. A partner has no address of its own: the e-mail goes to the partner contact of
//! the claim whose event found the endpoint failing too long, in that contact's language, as
//! the partner's e-mails of claim events do.

use crate::claim::Claim;
use crate::email::CustomerEmail;
use crate::messages::{ClaimInWords, PartnerNewsMessages};
use crate::zone::Zone;
use askama::Template;
use chrono::{DateTime, Utc};

#[derive(Template)]
#[template(path = "partner_subject.txt")]
struct Subject<'a> {
    f: &'a ClaimInWords<'a>,
    n: &'a PartnerNewsMessages,
}

#[derive(Template)]
#[template(path = "endpoint_disabled.txt")]
struct Text<'a> {
    f: &'a ClaimInWords<'a>,
    n: &'a PartnerNewsMessages,
}

#[derive(Template)]
#[template(path = "endpoint_disabled.html")]
struct Html<'a> {
    f: &'a ClaimInWords<'a>,
    n: &'a PartnerNewsMessages,
}

/// The e-mail telling the partner contact of `claim` that the endpoint `webhook_id` at `url`,
/// failing since `since`, is disabled, and how to enable it again.
pub fn endpoint_disabled(
    claim: &Claim,
    webhook_id: &str,
    url: &str,
    since: DateTime<Utc>,
) -> Result<CustomerEmail, askama::Error> {
    let mut facts = ClaimInWords::for_partner(claim, None);
    facts.endpoint = Some((
        url.to_owned(),
        webhook_id.to_owned(),
        facts.language.format_instant(since, Zone::UTC),
    ));
    let f = &facts;
    let n = &f.messages().partner.endpoint_disabled;
    Ok(CustomerEmail {
        to: claim.subject.partner_contact.email.clone(),
        subject: Subject { f, n }.render()?,
        text: Text { f, n }.render()?,
        html: Html { f, n }.render()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::tests::{at, submitted};
    use crate::contact::Locale;

    const ID: &str = "01JDX3Z8Q6V6W4S0Y1B2C3D4E5";
    const URL: &str = "https://hooks.partner.example/in?a=1&b=<2>";

    fn disabled_for(locale: &str) -> CustomerEmail {
        let mut claim = submitted(at("2026-11-25T09:00:00Z"));
        claim.subject.partner_contact.locale = Locale::parse(locale).unwrap();
        endpoint_disabled(&claim, ID, URL, at("2026-12-01T10:00:00Z")).unwrap()
    }

    #[test]
    fn the_e_mail_names_the_endpoint_since_when_and_how_to_enable_it_escaped_in_html() {
        // GIVEN an endpoint failing since 1 December, disabled
        let email = disabled_for("en");
        // THEN the partner contact reads which endpoint, since when, and how to enable it
        assert_eq!(email.subject, "Your webhook endpoint was disabled");
        assert!(email.text.contains(URL), "{}", email.text);
        assert!(email.text.contains("2026"), "{}", email.text);
        assert!(
            email
                .text
                .contains(&format!("POST /v1/webhooks/{ID}/enable")),
            "{}",
            email.text
        );
        // AND the URL cannot become markup in the HTML part
        assert!(
            email.html.contains("in?a=1&#38;b=&#60;2&#62;"),
            "{}",
            email.html
        );
        assert!(!email.html.contains("<2>"));
    }

    #[test]
    fn each_partner_contact_reads_it_in_their_language() {
        for (locale, words) in [
            ("it", "disattivato"),
            ("de", "deaktiviert"),
            ("fr", "désactivé"),
            ("es", "desactivado"),
            ("ja", "無効"),
        ] {
            let email = disabled_for(locale);
            assert!(email.subject.contains(words), "{locale}: {}", email.subject);
            assert!(email.text.contains(URL), "{locale}: {}", email.text);
            assert!(
                email.text.contains(&format!("/v1/webhooks/{ID}/enable")),
                "{locale}: {}",
                email.text
            );
            assert!(
                email.html.contains(&format!("lang=\"{locale}\"")),
                "{locale}"
            );
        }
    }
}
