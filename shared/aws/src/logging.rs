//! Logging: one JSON object per line in Lambda (the function's log format set to JSON), readable
//! text under `make run`.
//!
//! Every line a function writes while handling an invocation carries `function`, `request_id`
//! and, once it is known, `claim_id`: they are fields of the invocation's span
//! ([`invocation_span`]), which the JSON layer copies onto each line. The level comes from
//! `AWS_LAMBDA_LOG_LEVEL` (what Lambda sets from the function's application log level), else
//! `RUST_LOG`, else `info`. Metric lines (see [`crate::metrics`]) pass whatever the level.
//!
//! Nothing here decides what is safe to log: callers log a customer's address only through
//! `EmailAddress::masked` and never log an opt-out token or a bearer token.

use crate::config::Env;
use serde_json::{Map, Value};
use std::fmt;
use std::io::Write;
use std::sync::OnceLock;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Span, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::Context;
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

/// The target of metric events: never filtered out by the level.
pub const METRICS_TARGET: &str = "cpor::metrics";
/// The target of the invocation and message spans: never filtered out by the level, so that a
/// warning carries its invocation's fields at any level.
pub const CONTEXT_TARGET: &str = "cpor::context";
/// The log format: `AWS_LAMBDA_LOG_FORMAT` (set by Lambda from the function's `LoggingConfig`).
pub const LAMBDA_LOG_FORMAT: &str = "AWS_LAMBDA_LOG_FORMAT";
/// The application log level Lambda passes to the function: `AWS_LAMBDA_LOG_LEVEL`.
pub const LAMBDA_LOG_LEVEL: &str = "AWS_LAMBDA_LOG_LEVEL";
/// Chooses the format outside Lambda: `CPOR_LOG_FORMAT=json|text`.
pub const LOG_FORMAT: &str = "CPOR_LOG_FORMAT";

/// How lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable text.
    Text,
}

/// The logging settings of a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    pub format: LogFormat,
    /// The level filter, in `RUST_LOG` syntax.
    pub filter: String,
}

impl LogSettings {
    /// The settings from `AWS_LAMBDA_LOG_FORMAT` / `CPOR_LOG_FORMAT` (text by default) and
    /// `AWS_LAMBDA_LOG_LEVEL` / `RUST_LOG` (`info` by default).
    pub fn from_env(env: &Env) -> Self {
        let format = match env
            .get(LAMBDA_LOG_FORMAT)
            .or_else(|| env.get(LOG_FORMAT))
            .map(|f| f.to_ascii_lowercase())
            .as_deref()
        {
            Some("json") => LogFormat::Json,
            _ => LogFormat::Text,
        };
        let filter = match env.get(LAMBDA_LOG_LEVEL) {
            // Lambda's levels: TRACE, DEBUG, INFO, WARN, ERROR, FATAL.
            Some(level) => match level.to_ascii_lowercase().as_str() {
                "fatal" => "error".to_owned(),
                other => other.to_owned(),
            },
            None => env.or("RUST_LOG", "info"),
        };
        Self { format, filter }
    }

    /// The level filter, with metric events and the invocation's span always let through.
    ///
    /// `target=level` directives, comma-separated, as `RUST_LOG` takes them (`info`,
    /// `warn,cpor_domain=debug`); span and field directives are not supported (a
    /// `tracing_subscriber::filter::Targets`, which needs no regular expressions: they would add
    /// to every function's binary and start-up). A filter that does not parse is `info`.
    pub fn filter(&self) -> Targets {
        let always = format!("{METRICS_TARGET}=info,{CONTEXT_TARGET}=info");
        format!("{},{always}", self.filter)
            .parse()
            .unwrap_or_else(|_| {
                format!("info,{always}")
                    .parse()
                    .unwrap_or_else(|_| Targets::new().with_default(Level::INFO))
            })
    }
}

static FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// Whether [`init`] chose text: metric lines then leave out the embedded-metric-format
/// object, which only CloudWatch reads.
pub fn writes_text() -> bool {
    FORMAT.get() == Some(&LogFormat::Text)
}

/// Sets up logging once per process, for `function`, from the environment.
pub fn init(function: &'static str) {
    init_with(function, &Env::process(), std::io::stdout);
}

/// Sets up logging (and the metrics' namespace) once per process, for `function`, from `env`,
/// writing to `make_writer` (standard output in Lambda: [`init`]).
pub fn init_with<W>(function: &'static str, env: &Env, make_writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let settings = LogSettings::from_env(env);
    let _ = FORMAT.set(settings.format);
    crate::metrics::configure(env);
    let filter = settings.filter();
    if settings.format == LogFormat::Json {
        // A panic's report as one JSON line too, at ERROR, with the invocation's fields.
        std::panic::set_hook(Box::new(|panic| {
            let payload = panic
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let location = panic
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()));
            tracing::error!(panic = %payload, location, "the function panicked");
        }));
    }
    let _ = match settings.format {
        LogFormat::Json => tracing_subscriber::registry()
            .with(
                JsonLayer::new(make_writer)
                    .with_function(function)
                    .with_metric_level(env.get(LAMBDA_LOG_LEVEL)),
            )
            .with(filter)
            .try_init(),
        LogFormat::Text => tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(make_writer)
                    .with_target(false)
                    // Plain text: the `ansi` feature (colours) is left out of the binaries, and
                    // asking for colours without it panics in debug builds.
                    .with_ansi(false)
                    .without_time(),
            )
            .with(filter)
            .try_init(),
    };
}

/// Passes a function's start-up through, logging its failure first (as a JSON line in
/// Lambda, where the runtime's own report of it would be plain text).
pub fn started<T, E: fmt::Display>(start_up: Result<T, E>) -> Result<T, E> {
    if let Err(e) = &start_up {
        tracing::error!(error = %e, "the function could not start");
    }
    start_up
}

/// The span of one invocation of `function`: its lines carry `function`, `request_id` and,
/// once recorded with [`record_claim`], `claim_id`.
pub fn invocation_span(function: &'static str, request_id: &str) -> Span {
    tracing::info_span!(
        target: CONTEXT_TARGET,
        "invocation",
        function,
        request_id,
        claim_id = tracing::field::Empty
    )
}

/// The span of one message of a batch (a queue message): its lines carry the message id and,
/// once recorded with [`record_claim`], the claim it names.
pub fn message_span(message_id: &str) -> Span {
    tracing::info_span!(
        target: CONTEXT_TARGET,
        "message",
        message_id,
        claim_id = tracing::field::Empty
    )
}

/// Runs `work` as one invocation of `function` (see [`invocation_span`]).
pub async fn in_invocation<F: std::future::Future>(
    function: &'static str,
    request_id: &str,
    work: F,
) -> F::Output {
    use tracing::Instrument;
    work.instrument(invocation_span(function, request_id)).await
}

/// Records the claim the current invocation (or queue message) is about, for every line
/// written after it.
pub fn record_claim(claim_id: impl fmt::Display) {
    Span::current().record("claim_id", tracing::field::display(claim_id));
}

/// The fields a span carries, as JSON.
struct SpanFields(Map<String, Value>);

/// Writes each event as one JSON object on one line: `timestamp` (RFC 3339, UTC), `level`,
/// `target`, `message`, the fields of the spans it is in (innermost last, so it wins) and its
/// own fields. A metric event's `emf` field is merged in as the embedded-metric-format object.
pub struct JsonLayer<W> {
    make_writer: W,
    function: Option<&'static str>,
    metric_level: Option<String>,
}

impl<W> JsonLayer<W> {
    /// A layer writing to `make_writer`.
    pub fn new(make_writer: W) -> Self {
        Self {
            make_writer,
            function: None,
            metric_level: None,
        }
    }

    /// Metric lines carry this level (the function's application log level, upper case), so
    /// that Lambda's own log-level filter, which reads `level`, never drops them.
    pub fn with_metric_level(mut self, level: Option<String>) -> Self {
        self.metric_level = level.map(|l| l.to_ascii_uppercase());
        self
    }

    /// Lines outside an invocation carry this function's name.
    pub fn with_function(mut self, function: &'static str) -> Self {
        self.function = Some(function);
        self
    }
}

impl<S, W> Layer<S> for JsonLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if !carries_context(attrs.metadata()) {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let mut fields = JsonFields::default();
        attrs.record(&mut fields);
        span.extensions_mut().insert(SpanFields(fields.0));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = JsonFields::default();
        values.record(&mut fields);
        if let Some(existing) = span.extensions_mut().get_mut::<SpanFields>() {
            existing.0.extend(fields.0);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        let mut line = Map::new();
        line.insert(
            "timestamp".into(),
            Value::String(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        );
        let level = match &self.metric_level {
            Some(level) if metadata.target() == METRICS_TARGET => level.clone(),
            _ => level_name(*metadata.level()).to_owned(),
        };
        line.insert("level".into(), Value::String(level));
        line.insert("target".into(), Value::String(metadata.target().to_owned()));
        if let Some(function) = self.function {
            line.insert("function".into(), Value::String(function.to_owned()));
        }
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(fields) = span.extensions().get::<SpanFields>() {
                    for (name, value) in &fields.0 {
                        line.insert(span_field_name(name).to_owned(), value.clone());
                    }
                }
            }
        }
        let mut fields = JsonFields::default();
        event.record(&mut fields);
        for (name, value) in fields.0 {
            match (name.as_str(), value) {
                ("emf", Value::String(text)) => {
                    if let Ok(Value::Object(emf)) = serde_json::from_str(&text) {
                        line.extend(emf);
                    }
                }
                // Another library's field of the same name (the AWS SDK's `request_id`) must
                // not hide the invocation's.
                ("function" | "request_id" | "claim_id", value) if line.contains_key(&name) => {
                    if line.get(&name) != Some(&value) {
                        line.insert(format!("event_{name}"), value);
                    }
                }
                (_, value) => {
                    line.insert(name, value);
                }
            }
        }
        let mut text = Value::Object(line).to_string();
        text.push('\n');
        let _ = self
            .make_writer
            .make_writer_for(metadata)
            .write_all(text.as_bytes());
    }
}

/// The spans whose fields every line inside them carries: this service's own (the invocation,
/// a queue message) and lambda_runtime's invocation span. Other libraries' spans are left out:
/// the AWS SDK's, for one, have a `request_id` of their own (the AWS request's), which would
/// hide the invocation's.
fn carries_context(metadata: &tracing::Metadata<'_>) -> bool {
    const OURS: [&str; 7] = [
        "cpor",
        "submit_claim",
        "manage_claims",
        "notify_customer",
        "notify_partner",
        "record_opt_out",
        "finalize_association",
    ];
    OURS.iter().any(|t| metadata.target().starts_with(t))
        || metadata.name() == "Lambda runtime invoke"
}

/// Lambda's level names.
fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE => "TRACE",
        Level::DEBUG => "DEBUG",
        Level::INFO => "INFO",
        Level::WARN => "WARN",
        Level::ERROR => "ERROR",
    }
}

/// lambda_runtime's own invocation span names its fields in camel case.
fn span_field_name(name: &str) -> &str {
    match name {
        "requestId" => "request_id",
        "xrayTraceId" => "xray_trace_id",
        other => other,
    }
}

#[derive(Default)]
struct JsonFields(Map<String, Value>);

impl Visit for JsonFields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().into(), Value::from(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), Value::from(format!("{value:?}")));
    }
}

/// Lines kept in memory: a writer for [`JsonLayer`] or [`init_with`] where standard output will
/// not do (tests that read what the functions log).
#[derive(Clone, Default)]
pub struct LineBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl LineBuffer {
    /// What was written so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for LineBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut buffer) = self.0.lock() {
            buffer.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LineBuffer {
    type Writer = LineBuffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(run: impl FnOnce()) -> Vec<Map<String, Value>> {
        let capture = LineBuffer::default();
        let subscriber = tracing_subscriber::registry()
            .with(JsonLayer::new(capture.clone()).with_function("start-up"));
        tracing::subscriber::with_default(subscriber, run);
        capture
            .text()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .map(|v| v.as_object().unwrap().clone())
            .collect()
    }

    #[test]
    fn each_line_is_one_json_object_with_the_invocations_fields() {
        let lines = lines_of(|| {
            tracing::info!("outside");
            let span = invocation_span("submit-claim", "req-1");
            let _in = span.enter();
            tracing::warn!(attempt = 2, "before the claim is known");
            record_claim("01ARZ3NDEKTSV4RRFFQ69G5FAV");
            tracing::info!(status = 201u64, "claim submitted");
        });
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["function"], "start-up");
        assert!(lines[0].get("request_id").is_none());
        assert_eq!(lines[1]["function"], "submit-claim");
        assert_eq!(lines[1]["request_id"], "req-1");
        assert_eq!(lines[1]["level"], "WARN");
        assert_eq!(lines[1]["attempt"], 2);
        assert!(lines[1].get("claim_id").is_none());
        assert_eq!(lines[2]["claim_id"], "01ARZ3NDEKTSV4RRFFQ69G5FAV");
        assert_eq!(lines[2]["message"], "claim submitted");
        assert_eq!(lines[2]["status"], 201);
        assert!(
            chrono::DateTime::parse_from_rfc3339(lines[2]["timestamp"].as_str().unwrap()).is_ok()
        );
    }

    #[test]
    fn lambda_runtimes_request_id_is_named_like_ours() {
        let lines = lines_of(|| {
            let span = tracing::info_span!(
                "Lambda runtime invoke",
                requestId = "abc",
                xrayTraceId = "Root=1"
            );
            let _in = span.enter();
            tracing::info!("in the runtime's span");
        });
        assert_eq!(lines[0]["request_id"], "abc");
        assert_eq!(lines[0]["xray_trace_id"], "Root=1");
    }

    #[test]
    fn a_metric_events_emf_object_becomes_part_of_the_line() {
        let lines = lines_of(|| {
            tracing::info!(target: METRICS_TARGET, emf = r#"{"_aws":{"Timestamp":1},"Sent":2}"#, "Sent=2");
        });
        assert_eq!(lines[0]["_aws"]["Timestamp"], 1);
        assert_eq!(lines[0]["Sent"], 2);
        assert!(lines[0].get("emf").is_none());
    }

    #[test]
    fn levels_come_from_lambda_then_rust_log_and_metrics_always_pass() {
        let env = Env::default()
            .with(LAMBDA_LOG_LEVEL, "WARN")
            .with("RUST_LOG", "debug")
            .with(LAMBDA_LOG_FORMAT, "JSON");
        let settings = LogSettings::from_env(&env);
        assert_eq!(settings.format, LogFormat::Json);
        assert_eq!(settings.filter, "warn");
        let filter = settings.filter();
        assert!(filter.would_enable(METRICS_TARGET, &Level::INFO));
        assert!(filter.would_enable(CONTEXT_TARGET, &Level::INFO));
        assert!(filter.would_enable("submit_claim", &Level::WARN));
        assert!(!filter.would_enable("submit_claim", &Level::INFO));
        let fine = LogSettings {
            format: LogFormat::Json,
            filter: "warn,cpor_domain=debug".into(),
        }
        .filter();
        assert!(fine.would_enable("cpor_domain::usecase::notify", &Level::DEBUG));
        assert!(!fine.would_enable("aws_smithy_runtime", &Level::INFO));
        let env = Env::default()
            .with("RUST_LOG", "debug")
            .with(LOG_FORMAT, "text");
        let settings = LogSettings::from_env(&env);
        assert_eq!(
            (settings.format, settings.filter.as_str()),
            (LogFormat::Text, "debug")
        );
        assert_eq!(
            LogSettings::from_env(&Env::default().with(LAMBDA_LOG_LEVEL, "FATAL")).filter,
            "error"
        );
    }
}
