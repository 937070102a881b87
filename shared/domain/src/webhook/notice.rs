//! The partner's e-mail when an endpoint that failed every attempt for three days is
//! disabled. A partner has no address of its own: the e-mail goes to the partner contact of
//! the claim whose event found the endpoint failing too long, as the partner's e-mails of
//! claim events do. In English: the partner contact's locale is a claim's, not the
//! endpoint's owner's.

use crate::contact::EmailAddress;
use crate::email::CustomerEmail;
use chrono::{DateTime, Utc};

/// The e-mail telling `to` that the endpoint `webhook_id` at `url`, failing since `since`, is
/// disabled, and how to enable it again.
pub fn endpoint_disabled(
    to: EmailAddress,
    webhook_id: &str,
    url: &str,
    since: DateTime<Utc>,
) -> CustomerEmail {
    let since = since.format("%Y-%m-%d %H:%M UTC");
    let subject = "Your webhook endpoint was disabled".to_owned();
    let text = format!(
        "Every delivery to your webhook endpoint {url} (id {webhook_id}) has failed since \
         {since}, so it was disabled and receives no more events.\n\nOnce it answers again, \
         enable it with POST /v1/webhooks/{webhook_id}/enable; GET /v1/webhooks/{webhook_id} \
         shows its recent deliveries.\n"
    );
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{subject}</title>\
         </head><body><p>Every delivery to your webhook endpoint <code>{url}</code> (id \
         <code>{id}</code>) has failed since {since}, so it was disabled and receives no more \
         events.</p><p>Once it answers again, enable it with <code>POST \
         /v1/webhooks/{id}/enable</code>; <code>GET /v1/webhooks/{id}</code> shows its recent \
         deliveries.</p></body></html>",
        url = escape(url),
        id = escape(webhook_id),
    );
    CustomerEmail {
        to,
        subject,
        text,
        html,
    }
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_e_mail_names_the_endpoint_since_when_and_how_to_enable_it_escaped_in_html() {
        let to = EmailAddress::parse("ops@partner.example").unwrap();
        let email = endpoint_disabled(
            to,
            "01JDX3Z8Q6V6W4S0Y1B2C3D4E5",
            "https://hooks.partner.example/in?a=1&b=<2>",
            "2026-12-01T10:00:00Z".parse().unwrap(),
        );
        assert!(
            email
                .text
                .contains("https://hooks.partner.example/in?a=1&b=<2>")
        );
        assert!(email.text.contains("2026-12-01 10:00 UTC"));
        assert!(
            email
                .text
                .contains("POST /v1/webhooks/01JDX3Z8Q6V6W4S0Y1B2C3D4E5/enable")
        );
        assert!(email.html.contains("in?a=1&amp;b=&lt;2&gt;"));
        assert!(!email.html.contains("<2>"));
    }
}
