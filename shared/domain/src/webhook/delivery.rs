//! What an attempt to deliver an event to an endpoint came to, and what follows from it
//! (docs/api.md, "Webhooks"): a 2xx answer is a delivery; a timeout, a network error, 429 or
//! 5xx is tried again on the schedule; 410 disables the endpoint; any other answer, a redirect
//! included, fails the delivery for good; an address that is not public is refused. An
//! endpoint whose attempts have all failed for [`FAILING_LIMIT`] is disabled.

use super::schedule::RetrySchedule;
use chrono::{DateTime, TimeDelta, Utc};
use std::time::Duration;

/// How long an endpoint may fail every attempt before it is disabled.
pub const FAILING_LIMIT: TimeDelta = TimeDelta::days(3);

/// The `detail-type` of the event that `POST /v1/webhooks/{id}/test` puts on the bus.
pub const TEST_EVENT: &str = "webhook.test";

/// How an attempt's exchange with the endpoint ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exchange {
    /// The endpoint answered with this status (its `Retry-After`, in seconds, when it gave one).
    Answered {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// No whole answer within the time allowed.
    TimedOut,
    /// No connection, or it broke.
    ConnectionFailed,
    /// The host resolved to an address that is not public (or the URL is not one a delivery
    /// may use): nothing was sent.
    Refused,
}

/// What an attempt came to, as the attempt log records it (`outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer.
    Delivered,
    /// Tried again after this pause.
    Retrying(Duration),
    /// Failed for good: an answer that is not retried, or the schedule's last attempt.
    Failed,
    /// A 410: the endpoint is disabled.
    Disabled,
    /// The address was refused: nothing was sent, and it is not tried again.
    Refused,
}

impl Outcome {
    /// What an attempt (`attempt`, 1 for the first) whose exchange was `exchange` comes to,
    /// under `schedule`.
    pub fn of(exchange: Exchange, attempt: u32, schedule: &RetrySchedule) -> Self {
        let retry = |retry_after| {
            schedule
                .pause_after(attempt, retry_after)
                .map_or(Self::Failed, Self::Retrying)
        };
        match exchange {
            Exchange::Answered { status, .. } if (200..300).contains(&status) => Self::Delivered,
            Exchange::Answered { status: 410, .. } => Self::Disabled,
            Exchange::Answered {
                status,
                retry_after,
            } if status == 429 || (500..600).contains(&status) => retry(retry_after),
            Exchange::Answered { .. } => Self::Failed,
            Exchange::TimedOut | Exchange::ConnectionFailed => retry(None),
            Exchange::Refused => Self::Refused,
        }
    }

    /// Its name in the attempt log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Retrying(_) => "retrying",
            Self::Failed => "failed",
            Self::Disabled => "disabled",
            Self::Refused => "refused",
        }
    }

    /// Whether the endpoint answered as a working endpoint does.
    pub fn is_success(self) -> bool {
        matches!(self, Self::Delivered)
    }
}

impl Exchange {
    /// The HTTP status, when there was an answer.
    pub fn status(self) -> Option<u16> {
        match self {
            Self::Answered { status, .. } => Some(status),
            Self::TimedOut | Self::ConnectionFailed | Self::Refused => None,
        }
    }

    /// The short reason of a failed attempt in the attempt log (`error`); `None` for a 2xx.
    pub fn error(self) -> Option<&'static str> {
        match self {
            Self::Answered { status, .. } if (200..300).contains(&status) => None,
            Self::Answered { status, .. } if (300..400).contains(&status) => Some("redirect"),
            Self::Answered { .. } => Some("status"),
            Self::TimedOut => Some("timeout"),
            Self::ConnectionFailed => Some("connection"),
            Self::Refused => Some("private_address"),
        }
    }
}

/// The key of an event's delivery to one endpoint: the event's id, or for an event that the
/// bus replayed from its archive `<event_id>#replay:<replay name>`, so that a replay is
/// delivered again even where the live event was.
pub fn delivery_key(event_id: &str, replay_name: Option<&str>) -> String {
    match replay_name {
        Some(name) if !name.is_empty() => format!("{event_id}#replay:{name}"),
        Some(_) | None => event_id.to_owned(),
    }
}

/// Whether an endpoint failing since `since` has failed long enough at `now` to be disabled.
pub fn failed_too_long(since: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - since >= FAILING_LIMIT
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16) -> Exchange {
        Exchange::Answered {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn every_2xx_is_a_delivery() {
        let schedule = RetrySchedule::default();
        for status in [200, 201, 202, 204, 299] {
            assert_eq!(
                Outcome::of(answered(status), 1, &schedule),
                Outcome::Delivered
            );
            assert_eq!(answered(status).error(), None);
        }
    }

    #[test]
    fn a_timeout_a_network_error_429_and_5xx_are_retried_on_the_schedule() {
        // GIVEN the standard schedule and a first attempt
        let schedule = RetrySchedule::default();
        for exchange in [
            Exchange::TimedOut,
            Exchange::ConnectionFailed,
            answered(429),
            answered(500),
            answered(502),
            answered(503),
            answered(599),
        ] {
            // THEN it is tried again after 5 s, and the ninth retry is the last
            assert_eq!(
                Outcome::of(exchange, 1, &schedule),
                Outcome::Retrying(Duration::from_secs(5)),
                "{exchange:?}"
            );
            assert_eq!(Outcome::of(exchange, 10, &schedule), Outcome::Failed);
        }
        assert_eq!(Exchange::TimedOut.error(), Some("timeout"));
        assert_eq!(Exchange::ConnectionFailed.error(), Some("connection"));
    }

    #[test]
    fn a_retry_after_longer_than_the_schedule_s_pause_is_honoured() {
        let schedule = RetrySchedule::default();
        let exchange = Exchange::Answered {
            status: 429,
            retry_after: Some(Duration::from_secs(120)),
        };
        assert_eq!(
            Outcome::of(exchange, 1, &schedule),
            Outcome::Retrying(Duration::from_secs(120))
        );
    }

    #[test]
    fn a_410_disables_the_endpoint() {
        let outcome = Outcome::of(answered(410), 1, &RetrySchedule::default());
        assert_eq!(outcome, Outcome::Disabled);
        assert_eq!(outcome.as_str(), "disabled");
    }

    #[test]
    fn any_other_answer_a_redirect_included_fails_without_retry() {
        let schedule = RetrySchedule::default();
        for status in [100, 301, 302, 303, 307, 308, 400, 401, 403, 404, 409, 422] {
            assert_eq!(
                Outcome::of(answered(status), 1, &schedule),
                Outcome::Failed,
                "{status}"
            );
        }
        assert_eq!(answered(302).error(), Some("redirect"));
        assert_eq!(answered(404).error(), Some("status"));
    }

    #[test]
    fn a_refused_address_is_not_tried_again() {
        let outcome = Outcome::of(Exchange::Refused, 1, &RetrySchedule::default());
        assert_eq!(outcome, Outcome::Refused);
        assert_eq!(Exchange::Refused.error(), Some("private_address"));
        assert_eq!(Exchange::Refused.status(), None);
    }

    #[test]
    fn a_replayed_event_has_a_delivery_key_of_its_own() {
        assert_eq!(delivery_key("01J/3", None), "01J/3");
        assert_eq!(
            delivery_key("01J/3", Some("r-2026-12")),
            "01J/3#replay:r-2026-12"
        );
        assert_eq!(delivery_key("01J/3", Some("")), "01J/3");
    }

    #[test]
    fn an_endpoint_failing_for_three_days_has_failed_too_long() {
        let since: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();
        assert!(!failed_too_long(
            since,
            since + TimeDelta::days(3) - TimeDelta::seconds(1)
        ));
        assert!(failed_too_long(since, since + TimeDelta::days(3)));
    }
}
