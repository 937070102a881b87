//! An AWS service that answers from a script, as the SDK's HTTP client: the tests of how the
//! adapters read a service's answers (a cancelled transaction, a refused e-mail) give each
//! request the answer the service would write on the wire, and read the requests sent.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// One request sent: its `x-amz-target` (the operation, for the JSON protocols; empty for the
/// query protocol) and its body.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub target: String,
    pub body: String,
}

/// An answer: an HTTP status and a body.
pub(crate) type Answer = (u16, String);

type Scripted = Box<dyn FnOnce(&[Request]) -> Answer + Send>;

#[derive(Default)]
struct Script {
    answers: VecDeque<Scripted>,
    requests: Vec<Request>,
}

/// The scripted service: each request gets the next answer; a request with none left fails
/// the test.
#[derive(Clone, Default)]
pub(crate) struct Replay(Arc<Mutex<Script>>);

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Replay")
    }
}

impl Replay {
    /// Answers the next request with what `answer` makes of the requests so far (the last is
    /// the one answered).
    pub fn answer(&self, answer: impl FnOnce(&[Request]) -> Answer + Send + 'static) -> &Self {
        self.script().answers.push_back(Box::new(answer));
        self
    }

    /// The requests sent so far.
    pub fn requests(&self) -> Vec<Request> {
        self.script().requests.clone()
    }

    /// True when every scripted answer was given.
    pub fn done(&self) -> bool {
        self.script().answers.is_empty()
    }

    fn script(&self) -> MutexGuard<'_, Script> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl HttpConnector for Replay {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        let body = request.body().bytes().map(String::from_utf8_lossy);
        let mut script = self.script();
        script.requests.push(Request {
            target: target.to_owned(),
            body: body.unwrap_or_default().into_owned(),
        });
        let answer = script
            .answers
            .pop_front()
            .unwrap_or_else(|| panic!("no answer scripted for request {target}"));
        let (status, body) = answer(&script.requests);
        let status = StatusCode::try_from(status).expect("an HTTP status");
        HttpConnectorFuture::ready(Ok(HttpResponse::new(status, SdkBody::from(body))))
    }
}

impl HttpClient for Replay {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}
