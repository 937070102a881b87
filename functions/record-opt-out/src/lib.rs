//! record-opt-out: the customer's page behind the e-mailed link.
//!
//! - `GET /opt-out/{token}`: the claim in words and, while the window is open, a form to
//!   decline. Never changes state: mail security scanners open links.
//! - `POST /opt-out/{token}`: records the decline if the window is open, then 303 to the page.

use askama::Template;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::http::Method;
use cpor_aws::config::{TABLE_NAME, load_keyring};
use cpor_aws::{ConfigError, DynamoStore, Env};
use cpor_domain::OptOutKeyring;
use cpor_domain::clock::{Clock, SystemClock};
use cpor_domain::email::format_deadline;
use cpor_domain::usecase::opt_out::{OptOutDesk, OptOutError, OptOutPage, PageState};
use cpor_http::{html, redirect};
use std::sync::Arc;

/// The function: its client and keys, built once per execution environment.
pub struct RecordOptOutFunction {
    store: DynamoStore,
    clock: Arc<dyn Clock>,
    keyring: OptOutKeyring,
}

#[derive(Template)]
#[template(path = "page.html")]
struct PageTemplate<'a> {
    partner_name: &'a str,
    workload: &'a str,
    program: &'a str,
    domain: &'a str,
    deadline: String,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "invalid.html")]
struct InvalidTemplate;

#[derive(Template)]
#[template(path = "unavailable.html")]
struct UnavailableTemplate;

impl RecordOptOutFunction {
    /// The function on this store and keyring.
    pub fn new(store: DynamoStore, clock: Arc<dyn Clock>, keyring: OptOutKeyring) -> Self {
        Self {
            store,
            clock,
            keyring,
        }
    }

    /// The function configured from the environment (`CPOR_TABLE_NAME`, `CPOR_TOKEN_SECRET_ARN`
    /// or `CPOR_TOKEN_SECRET`, `CPOR_TOKEN_KEY_ID`); reads the opt-out secret from Secrets
    /// Manager when given its ARN.
    pub async fn from_env(sdk: &aws_config::SdkConfig, env: &Env) -> Result<Self, ConfigError> {
        Ok(Self::new(
            DynamoStore::new(
                aws_sdk_dynamodb::Client::new(sdk),
                env.required(TABLE_NAME)?,
            ),
            Arc::new(SystemClock),
            load_keyring(sdk, env).await?,
        ))
    }

    /// The same function reading time from `clock` (tests and the local stack move time).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
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
            Method::POST => match desk.decline(&token).await {
                Ok(outcome) => {
                    tracing::info!(?outcome, "opt-out request");
                    return redirect(&format!("/opt-out/{token}"));
                }
                Err(e) => Err(e),
            },
            _ => desk.view(&token).await,
        };
        match result {
            Ok(page) => render(&page),
            Err(OptOutError::InvalidLink) => page(404, InvalidTemplate.render()),
            Err(OptOutError::Unavailable(e)) => {
                tracing::error!(error = %e, "opt-out page unavailable");
                let mut response = page(503, UnavailableTemplate.render());
                response.headers.insert(
                    "retry-after",
                    aws_lambda_events::http::HeaderValue::from_static("5"),
                );
                response
            }
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
    let claim = &page_.claim;
    let s = &claim.subject;
    let zone = s.customer_contact.time_zone.tz();
    let deadline = claim
        .state
        .window()
        .map(|w| format_deadline(w, zone))
        .unwrap_or_default();
    let state = match page_.state {
        PageState::Open { .. } => "open",
        PageState::NotYetOpen => "not_yet_open",
        PageState::Declined { .. } => "declined",
        PageState::Associated => "associated",
        PageState::WindowClosed { .. } => "window_closed",
        PageState::Withdrawn => "withdrawn",
    };
    page(
        200,
        PageTemplate {
            partner_name: &claim.partner_name,
            workload: s.workload.name(),
            program: s.program.name(),
            domain: s.customer_domain.as_str(),
            deadline,
            state,
        }
        .render(),
    )
}
