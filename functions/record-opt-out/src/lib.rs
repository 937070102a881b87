//! record-opt-out: the customer's page behind the e-mailed link.
//!
//! - `GET /opt-out/{token}`: the claim in words and, while the window is open, a form to
//!   decline. Never changes state: mail security scanners open links.
//! - `POST /opt-out/{token}`: records the decline if the window is open, or ends an official
//!   association, then 303 to the page.

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

use askama::Template;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::http::Method;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cpor_aws::metrics::name;
use cpor_aws::{ConfigError, Door, DynamoStore, Metrics, Wiring};
use cpor_domain::OptOutKeyring;
use cpor_domain::clock::Clock;
use cpor_domain::ids::ClaimId;
use cpor_domain::messages::{ClaimInWords, Messages};
use cpor_domain::usecase::opt_out::{
    DeclineOutcome, EndOutcome, OptOutDesk, OptOutError, OptOutPage, PageState,
};
use cpor_http::{html, redirect};
use std::convert::Infallible;
use std::sync::Arc;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "record-opt-out";

/// The function: its client and keys, built once per execution environment.
pub struct RecordOptOutFunction {
    store: DynamoStore,
    clock: Arc<dyn Clock>,
    keyring: OptOutKeyring,
}

/// The page of a claim, in its customer's language (from the contact's locale).
#[derive(Template)]
#[template(path = "page.html")]
struct PageTemplate<'a> {
    lang: &'static str,
    m: &'static Messages,
    f: &'a ClaimInWords<'a>,
    state: &'static str,
}

/// The bad-link page: no claim to take a language from, so the browser's.
#[derive(Template)]
#[template(path = "invalid.html")]
struct InvalidTemplate {
    lang: &'static str,
    m: &'static Messages,
}

/// The page when the store cannot be read, in the browser's language.
#[derive(Template)]
#[template(path = "unavailable.html")]
struct UnavailableTemplate {
    lang: &'static str,
    m: &'static Messages,
}

impl RecordOptOutFunction {
    /// The function on this store and keyring.
    pub fn new(store: DynamoStore, clock: Arc<dyn Clock>, keyring: OptOutKeyring) -> Self {
        Self {
            store,
            clock,
            keyring,
        }
    }

    /// Handles one request; every failure is a page, never a failed invocation.
    pub async fn handle(&self, event: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let token = event
            .path_parameters
            .get("token")
            .cloned()
            .unwrap_or_default();
        let desk = OptOutDesk {
            claims: &self.store,
            clock: self.clock.as_ref(),
            keyring: &self.keyring,
        };
        let result = match event.request_context.http.method {
            Method::POST => {
                // Only the forms' own requests decide: the decline or the end, confirmed by
                // their checkbox. Anything else (an empty body, a missing confirmation, an
                // action that is not the page's) records nothing and shows the claim as it is;
                // the use case refuses an action that does not fit the claim's status.
                let asked = match FormFields::of(&event).confirmed_action() {
                    Some(Action::Decline) => desk.decline(&token).await.map(Asked::Decline),
                    Some(Action::End) => desk.end(&token).await.map(Asked::End),
                    None => desk.view(&token).await.map(|_| Asked::Nothing),
                };
                match asked {
                    Ok(asked) => {
                        // The token was genuine: its claim can be logged (never the token).
                        if let Some(id) = token.split('.').next().and_then(ClaimId::parse) {
                            cpor_aws::logging::record_claim(id);
                        }
                        match asked {
                            Asked::Decline(outcome) => {
                                tracing::info!(?outcome, "opt-out request");
                                if outcome == DeclineOutcome::Declined {
                                    Metrics::new(FUNCTION).count(name::OPT_OUTS, 1).emit();
                                }
                            }
                            Asked::End(outcome) => {
                                tracing::info!(?outcome, "request to end the association");
                                if outcome == EndOutcome::Ended {
                                    Metrics::new(FUNCTION).count(name::REVOCATIONS, 1).emit();
                                }
                            }
                            Asked::Nothing => tracing::info!(
                                "customer's request without a confirmed action: nothing recorded"
                            ),
                        }
                        // Relative to the page itself, so that it resolves under any base
                        // path (an API stage, a custom domain's mapping).
                        return redirect(&token);
                    }
                    Err(e) => Err(e),
                }
            }
            _ => desk.view(&token).await,
        };
        let reader = cpor_http::request::reader_language(&event.headers);
        let (lang, m) = (reader.code(), reader.messages());
        match result {
            Ok(page) => {
                cpor_aws::logging::record_claim(page.claim.id);
                tracing::info!(state = ?page.state, "opt-out page shown");
                render(&page)
            }
            Err(OptOutError::InvalidLink) => {
                tracing::info!(
                    "opt-out link refused: forged, malformed or signed by a retired key"
                );
                page(404, InvalidTemplate { lang, m }.render())
            }
            Err(OptOutError::Unavailable(e)) => {
                tracing::error!(error = %e, "opt-out page unavailable");
                let mut response = page(503, UnavailableTemplate { lang, m }.render());
                response.headers.insert(
                    "retry-after",
                    aws_lambda_events::http::HeaderValue::from_static("5"),
                );
                response
            }
        }
    }
}

impl Door for RecordOptOutFunction {
    const NAME: &'static str = FUNCTION;
    type Event = ApiGatewayV2httpRequest;
    type Output = ApiGatewayV2httpResponse;
    type Error = Infallible;

    /// On the table (`CPOR_TABLE_NAME`) and the opt-out keyring (`CPOR_TOKEN_SECRET_ARN` or
    /// `CPOR_TOKEN_SECRET`, `CPOR_TOKEN_KEY_ID`): with an ARN, the secret is read from Secrets
    /// Manager here, once.
    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        Ok(Self::new(
            wiring.store()?,
            wiring.clock(),
            wiring.keyring().await?,
        ))
    }

    async fn invoke(&self, event: Self::Event) -> Result<Self::Output, Infallible> {
        Ok(self.handle(event).await)
    }
}

/// A confirmed action of the page's forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// `action=decline&confirm=yes`.
    Decline,
    /// `action=end&confirm=yes`.
    End,
}

/// What a POST asked, and what became of it.
#[derive(Debug)]
enum Asked {
    Decline(DeclineOutcome),
    End(EndOutcome),
    Nothing,
}

/// The fields of the page's form (`application/x-www-form-urlencoded`, which API Gateway may
/// pass base64-encoded).
#[derive(Debug, Default, PartialEq, Eq)]
struct FormFields {
    action: Option<String>,
    confirm: Option<String>,
}

impl FormFields {
    fn of(event: &ApiGatewayV2httpRequest) -> Self {
        let body = match (&event.body, event.is_base64_encoded) {
            (Some(body), true) => STANDARD.decode(body).unwrap_or_default(),
            (Some(body), false) => body.as_bytes().to_vec(),
            (None, _) => Vec::new(),
        };
        let mut fields = Self::default();
        for (name, value) in form_urlencoded::parse(&body) {
            match name.as_ref() {
                "action" => fields.action = Some(value.into_owned()),
                "confirm" => fields.confirm = Some(value.into_owned()),
                _ => {}
            }
        }
        fields
    }

    /// The action, when it is one of the page's and confirmed (`confirm=yes`).
    fn confirmed_action(&self) -> Option<Action> {
        if self.confirm.as_deref() != Some("yes") {
            return None;
        }
        match self.action.as_deref() {
            Some("decline") => Some(Action::Decline),
            Some("end") => Some(Action::End),
            _ => None,
        }
    }
}

fn page(status: u16, rendered: Result<String, askama::Error>) -> ApiGatewayV2httpResponse {
    match rendered {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = %e, "page could not be rendered");
            html(
                500,
                "<!DOCTYPE html><title>Error</title><p>Something went wrong.</p>".to_owned(),
            )
        }
    }
}

fn render(page_: &OptOutPage) -> ApiGatewayV2httpResponse {
    let f = ClaimInWords::of(&page_.claim);
    let state = match page_.state {
        PageState::Open { .. } => "open",
        PageState::NotYetOpen => "not_yet_open",
        PageState::Declined { .. } => "declined",
        PageState::Associated { .. } => "associated",
        PageState::Revoked { .. } => "revoked",
        PageState::WindowClosed { .. } => "window_closed",
        PageState::Withdrawn => "withdrawn",
        PageState::Superseded => "superseded",
        PageState::Expired => "expired",
    };
    page(
        200,
        PageTemplate {
            lang: f.language.code(),
            m: f.messages(),
            f: &f,
            state,
        }
        .render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    fn posting(body: &str, base64: bool) -> ApiGatewayV2httpRequest {
        let mut event = ApiGatewayV2httpRequest::default();
        event.body = Some(if base64 {
            STANDARD.encode(body)
        } else {
            body.to_owned()
        });
        event.is_base64_encoded = base64;
        event
    }

    #[test]
    fn only_a_confirmed_decline_or_end_is_an_action() {
        for (body, action) in [
            ("action=decline&confirm=yes", Some(Action::Decline)),
            ("confirm=yes&action=decline&other=1", Some(Action::Decline)),
            ("action=end&confirm=yes", Some(Action::End)),
            ("", None),
            ("action=decline", None),
            ("action=end", None),
            ("confirm=yes", None),
            ("action=decline&confirm=no", None),
            ("action=end&confirm=on", None),
            ("action=revoke&confirm=yes", None),
        ] {
            for base64 in [false, true] {
                assert_eq!(
                    FormFields::of(&posting(body, base64)).confirmed_action(),
                    action,
                    "{body} (base64: {base64})"
                );
            }
        }
    }
}
