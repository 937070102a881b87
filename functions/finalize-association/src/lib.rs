//! finalize-association: run nightly by a scheduled rule. Takes "now" from the event's own
//! `time`, so a late or replayed run acts as of its schedule, and closes every window due by
//! then, including those a missed night left behind: the customers' opt-out windows (the
//! claim becomes official) and the partners' time to answer an information request (the claim
//! is rejected, `no_response`). It then counts the claims waiting for a reviewer past their
//! review due time (`ReviewsOverdue`).

#![cfg_attr(test, allow(clippy::wildcard_enum_match_arm, clippy::too_many_lines))]

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Utc};
use cpor_aws::metrics::name;
use cpor_aws::{ConfigError, Door, DynamoStore, Metrics, Wiring};
use cpor_domain::BusinessCalendar;
use cpor_domain::clock::Clock;
use cpor_domain::ports::Unavailable;
use cpor_domain::usecase::finalize::{DEFAULT_CONCURRENCY, FinalizeAssociations, FinalizeSummary};
use cpor_domain::usecase::review::reviews_overdue;
use cpor_domain::usecase::subscription_ends::EndSubscriptions;
use serde_json::Value;
use std::sync::Arc;

/// The function's short name in logs and metrics.
pub const FUNCTION: &str = "finalize-association";

/// The function: its client, built once per execution environment.
pub struct FinalizeAssociationFunction {
    store: DynamoStore,
    clock: Arc<dyn Clock>,
    calendar: BusinessCalendar,
}

/// Why a run failed; the scheduler retries it.
#[derive(Debug, thiserror::Error)]
pub enum FinalizeError {
    /// The due index could not be read.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
    /// Some claims could not be written; the others were.
    #[error("{} of {} due claims could not be finalized", .0.failed, .0.due)]
    Incomplete(FinalizeSummary),
}

impl FinalizeAssociationFunction {
    /// The function on this store, with the business calendar that dates reviews.
    pub fn new(store: DynamoStore, clock: Arc<dyn Clock>, calendar: BusinessCalendar) -> Self {
        Self {
            store,
            clock,
            calendar,
        }
    }

    /// Finalizes as of `now`.
    pub async fn run(&self, now: DateTime<Utc>) -> Result<FinalizeSummary, FinalizeError> {
        let now = cpor_domain::clock::to_millis(now);
        let usecase = FinalizeAssociations {
            index: &self.store,
            claims: &self.store,
            concurrency: DEFAULT_CONCURRENCY,
        };
        let started = std::time::Instant::now();
        let mut summary = match usecase.run(now).await {
            Ok(summary) => summary,
            Err(e) => {
                // No FinalizationRuns metric: the "did not run" alarm sees it.
                tracing::error!(error = %e, %now, "finalization could not read the due index");
                return Err(e.into());
            }
        };
        // The claims of subscriptions that ended, through the ends the directory recorded.
        let ends = EndSubscriptions {
            ends: &self.store,
            directory: &self.store,
            claims: &self.store,
        };
        match ends.run(now).await {
            Ok(ended) => {
                summary.failed += ended.failed;
                summary.subscription_ends = Some(ended);
            }
            Err(e) => {
                tracing::error!(error = %e, "the ended subscriptions could not be read; a later run retries");
                summary.failed += 1;
            }
        }
        let elapsed = started.elapsed();
        // Counted after the deadlines, from the review index alone; a failure to count is
        // logged, and leaves the metric out of this run rather than failing the run.
        match reviews_overdue(&self.store, &self.calendar, now).await {
            Ok(overdue) => summary.reviews_overdue = Some(overdue),
            Err(e) => tracing::error!(error = %e, "the overdue reviews could not be counted"),
        }
        tracing::info!(
            %now,
            due = summary.due,
            finalized = summary.finalized,
            rejected = summary.rejected,
            reviews_overdue = summary.reviews_overdue,
            already_decided = summary.already_decided,
            failed = summary.failed,
            ms = elapsed.as_millis() as u64,
            "finalization run"
        );
        let mut metrics = Metrics::new(FUNCTION)
            .count(name::FINALIZATION_RUNS, 1)
            .count(name::CLAIMS_FINALIZED, summary.finalized)
            .count(
                name::CLAIMS_REJECTED_FOR_NO_RESPONSE,
                summary.rejected_for_no_response,
            )
            .count(
                name::CLAIMS_REJECTED_UNREACHABLE,
                summary.rejected_unreachable,
            )
            .count(name::FINALIZATION_BACKLOG, summary.failed)
            .millis(name::FINALIZATION_DURATION, elapsed.as_secs_f64() * 1000.0);
        if let Some(overdue) = summary.reviews_overdue {
            metrics = metrics.count(name::REVIEWS_OVERDUE, overdue);
        }
        metrics.emit();
        if summary.failed > 0 {
            return Err(FinalizeError::Incomplete(summary));
        }
        Ok(summary)
    }

    /// Handles the scheduled event; a run with failures fails, so the scheduler retries it.
    pub async fn handle(
        &self,
        event: EventBridgeEvent<Value>,
    ) -> Result<FinalizeSummary, FinalizeError> {
        let now = event.time.unwrap_or_else(|| self.clock.now());
        self.run(now).await
    }
}

impl Door for FinalizeAssociationFunction {
    const NAME: &'static str = FUNCTION;
    type Event = EventBridgeEvent<Value>;
    type Output = FinalizeSummary;
    // A failed run fails the invocation, so that the scheduler retries it.
    type Error = FinalizeError;

    /// On the table (`CPOR_TABLE_NAME`), with the business calendar (`CPOR_HOLIDAYS`).
    async fn build(wiring: &Wiring<'_>) -> Result<Self, ConfigError> {
        Ok(Self::new(
            wiring.store()?,
            wiring.clock(),
            wiring.calendar()?,
        ))
    }

    async fn invoke(&self, event: Self::Event) -> Result<FinalizeSummary, FinalizeError> {
        self.handle(event).await
    }
}
