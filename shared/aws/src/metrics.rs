//! Metrics in CloudWatch's embedded metric format: printed on a log line, so they cost no API
//! call; CloudWatch Logs turns the line into metrics.
//!
//! Every metric has the dimension `function` (the function's short name, e.g. `submit-claim`),
//! and some a second one (`code`, the problem code of a refused claim). The namespace is
//! `CPOR_METRICS_NAMESPACE` (the template sets `CPOR/<stack name>`), `CPOR` by default.

use crate::config::Env;
use crate::logging::METRICS_TARGET;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;

/// The namespace's variable: `CPOR_METRICS_NAMESPACE`.
pub const NAMESPACE: &str = "CPOR_METRICS_NAMESPACE";
/// The namespace when none is set.
pub const DEFAULT_NAMESPACE: &str = "CPOR";

/// The metrics the functions emit. Their names are the contract of the template's alarms and of
/// the runbook: change them together.
pub mod name {
    /// A claim accepted (201, not a replay). Unit `Count`.
    pub const CLAIMS_SUBMITTED: &str = "ClaimsSubmitted";
    /// A claim refused, by `code` (the problem code). Unit `Count`.
    pub const CLAIMS_REFUSED: &str = "ClaimsRefused";
    /// A claim withdrawn by its partner. Unit `Count`.
    pub const CLAIMS_WITHDRAWN: &str = "ClaimsWithdrawn";
    /// A customer e-mail sent (and the window opened). Unit `Count`.
    pub const NOTIFICATIONS_SENT: &str = "NotificationsSent";
    /// A notification message that failed and goes back to the queue. Unit `Count`.
    pub const NOTIFICATIONS_FAILED: &str = "NotificationsFailed";
    /// A notification whose e-mail may or may not have gone out, held until SES says (its Send
    /// event records it as sent; without one within 15 minutes it is released for one retry).
    /// Unit `Count`.
    pub const NOTIFICATIONS_HELD: &str = "NotificationsHeld";
    /// A held notification left to an operator: its automatic retries are used up. Unit
    /// `Count`.
    pub const NOTIFICATIONS_HELD_FOR_OPERATOR: &str = "NotificationsHeldForOperator";
    /// A notification whose address SES refused for good. Unit `Count`.
    pub const NOTIFICATIONS_REJECTED: &str = "NotificationsRejected";
    /// A customer's decline, recorded now (not a repeat). Unit `Count`.
    pub const OPT_OUTS: &str = "OptOuts";
    /// A customer's notification bounced for good: the customer is unreachable. Unit `Count`.
    pub const CUSTOMERS_UNREACHABLE: &str = "CustomersUnreachable";
    /// A customer's end of an official association, recorded now (not a repeat). Unit `Count`.
    pub const REVOCATIONS: &str = "AssociationsRevoked";
    /// A finalization run that read the due index to its end. Unit `Count`.
    pub const FINALIZATION_RUNS: &str = "FinalizationRuns";
    /// Claims made official by a run. Unit `Count`.
    pub const CLAIMS_FINALIZED: &str = "ClaimsFinalized";
    /// How long a run took. Unit `Milliseconds`.
    pub const FINALIZATION_DURATION: &str = "FinalizationDuration";
    /// Due claims a run left behind (they could not be written; the next run retries). Unit
    /// `Count`.
    pub const FINALIZATION_BACKLOG: &str = "FinalizationBacklog";

    /// A reviewer's decision, by `decision` (`approved`, `information_requested`, `rejected`).
    /// Unit `Count`.
    pub const CLAIMS_REVIEWED: &str = "ClaimsReviewed";
    /// A partner's move on a claim in review, by `move` (`respond`, `dispute`, `proof`). Unit
    /// `Count`.
    pub const PARTNER_MOVES: &str = "PartnerMoves";
    /// Claims a nightly run rejected because their information requests went unanswered past
    /// `response_due` (`no_response`). Unit `Count`.
    pub const CLAIMS_REJECTED_FOR_NO_RESPONSE: &str = "ClaimsRejectedForNoResponse";
    /// Claims a nightly run rejected because their customers stayed unreachable 30 days after a
    /// bounce (`customer_unreachable`). Unit `Count`.
    pub const CLAIMS_REJECTED_UNREACHABLE: &str = "ClaimsRejectedUnreachable";
    /// Claims waiting for a reviewer's decision past their review due time, as a nightly run
    /// counted them. Unit `Count`.
    pub const REVIEWS_OVERDUE: &str = "ReviewsOverdue";
    /// An e-mail that follows a claim's event (the partner's, or the customer's "it is
    /// official"), sent. Unit `Count`.
    pub const EVENT_EMAILS_SENT: &str = "EventEmailsSent";
    /// An event's e-mail whose sending is unknown, held for an operator (never sent again by
    /// itself). Unit `Count`.
    pub const EVENT_EMAILS_HELD: &str = "EventEmailsHeld";
    /// An event message that failed and goes back to the queue. Unit `Count`.
    pub const EVENT_EMAILS_FAILED: &str = "EventEmailsFailed";

    pub const ALL: [&str; 23] = [
        CLAIMS_SUBMITTED,
        CLAIMS_REFUSED,
        CLAIMS_WITHDRAWN,
        NOTIFICATIONS_SENT,
        NOTIFICATIONS_FAILED,
        NOTIFICATIONS_HELD,
        NOTIFICATIONS_HELD_FOR_OPERATOR,
        NOTIFICATIONS_REJECTED,
        OPT_OUTS,
        REVOCATIONS,
        CUSTOMERS_UNREACHABLE,
        FINALIZATION_RUNS,
        CLAIMS_FINALIZED,
        FINALIZATION_DURATION,
        FINALIZATION_BACKLOG,
        CLAIMS_REVIEWED,
        PARTNER_MOVES,
        CLAIMS_REJECTED_FOR_NO_RESPONSE,
        CLAIMS_REJECTED_UNREACHABLE,
        REVIEWS_OVERDUE,
        EVENT_EMAILS_SENT,
        EVENT_EMAILS_HELD,
        EVENT_EMAILS_FAILED,
    ];
}

/// A metric's unit, as CloudWatch names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

static CONFIGURED_NAMESPACE: OnceLock<String> = OnceLock::new();

/// Reads `CPOR_METRICS_NAMESPACE`, once, at start-up ([`crate::logging::init_with`] calls it).
pub(crate) fn configure(env: &Env) {
    let _ = CONFIGURED_NAMESPACE.set(env.or(NAMESPACE, DEFAULT_NAMESPACE));
}

fn namespace() -> &'static str {
    CONFIGURED_NAMESPACE
        .get()
        .map_or(DEFAULT_NAMESPACE, String::as_str)
}

/// One metric line: values sharing the same dimensions.
#[derive(Debug, Clone)]
pub struct Metrics {
    function: &'static str,
    dimensions: Vec<(&'static str, String)>,
    values: Vec<(&'static str, f64, Unit)>,
}

impl Metrics {
    /// A line for `function`'s metrics.
    pub fn new(function: &'static str) -> Self {
        Self {
            function,
            dimensions: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Adds a dimension besides `function`.
    pub fn dimension(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.dimensions.push((name, value.into()));
        self
    }

    /// Adds a count.
    pub fn count(mut self, name: &'static str, value: usize) -> Self {
        self.values.push((name, value as f64, Unit::Count));
        self
    }

    /// Adds a duration in milliseconds.
    pub fn millis(mut self, name: &'static str, value: f64) -> Self {
        self.values.push((name, value, Unit::Milliseconds));
        self
    }

    /// The embedded-metric-format object, at `timestamp_ms`.
    pub fn to_emf(&self, namespace: &str, timestamp_ms: i64) -> Value {
        let mut dimension_names = vec!["function"];
        dimension_names.extend(self.dimensions.iter().map(|(name, _)| *name));
        let definitions: Vec<Value> = self
            .values
            .iter()
            .map(|(name, _, unit)| json!({ "Name": name, "Unit": unit.as_str() }))
            .collect();
        let mut object = Map::new();
        object.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": namespace,
                    "Dimensions": [dimension_names],
                    "Metrics": definitions,
                }],
            }),
        );
        object.insert("function".into(), Value::from(self.function));
        for (name, value) in &self.dimensions {
            object.insert((*name).into(), Value::from(value.as_str()));
        }
        for (name, value, _) in &self.values {
            object.insert((*name).into(), Value::from(*value));
        }
        Value::Object(object)
    }

    /// Prints the line (through the log, on the metrics target, which no level filters out).
    pub fn emit(self) {
        if self.values.is_empty() {
            return;
        }
        let summary: Vec<String> = self
            .values
            .iter()
            .map(|(name, value, unit)| match unit {
                Unit::Count => format!("{name}={value}"),
                Unit::Milliseconds => format!("{name}={value:.1}ms"),
            })
            .chain(self.dimensions.iter().map(|(n, v)| format!("{n}={v}")))
            .collect();
        if crate::logging::writes_text() {
            tracing::info!(target: METRICS_TARGET, "metrics {}", summary.join(" "));
        } else {
            let emf = self.to_emf(namespace(), chrono::Utc::now().timestamp_millis());
            tracing::info!(target: METRICS_TARGET, emf = %emf, "metrics {}", summary.join(" "));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runbook_s_table_names_every_metric() {
        let runbook = include_str!("../../../docs/runbook.md");
        for metric in name::ALL {
            assert!(
                runbook.contains(&format!("| `{metric}` | ")),
                "docs/runbook.md's metrics table lacks {metric}"
            );
        }
    }

    #[test]
    fn the_emf_object_declares_each_value_with_its_unit_and_dimensions() {
        let emf = Metrics::new("submit-claim")
            .dimension("code", "unknown_tenant")
            .count(name::CLAIMS_REFUSED, 1)
            .to_emf("CPOR/test", 1_700_000_000_000);
        assert_eq!(
            emf,
            json!({
                "_aws": {
                    "Timestamp": 1_700_000_000_000i64,
                    "CloudWatchMetrics": [{
                        "Namespace": "CPOR/test",
                        "Dimensions": [["function", "code"]],
                        "Metrics": [{ "Name": "ClaimsRefused", "Unit": "Count" }],
                    }],
                },
                "function": "submit-claim",
                "code": "unknown_tenant",
                "ClaimsRefused": 1.0,
            })
        );
    }

    #[test]
    fn durations_are_in_milliseconds() {
        let emf = Metrics::new("finalize-association")
            .count(name::CLAIMS_FINALIZED, 3)
            .millis(name::FINALIZATION_DURATION, 12.5)
            .to_emf("CPOR", 0);
        assert_eq!(
            emf["_aws"]["CloudWatchMetrics"][0]["Metrics"][1],
            json!({ "Name": "FinalizationDuration", "Unit": "Milliseconds" })
        );
        assert_eq!(emf["FinalizationDuration"], 12.5);
        assert_eq!(emf["ClaimsFinalized"], 3.0);
    }
}
