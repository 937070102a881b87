//! `webhooks`: what an operator does for a partner whose webhooks fail. `failing` lists an
//! endpoint's deliveries that have not succeeded, from the attempts the delivery recorded;
//! `replay` sends a partner's events of a time range through the webhook delivery again, from
//! the bus's archive.
//!
//! A replay goes to the bus's rules that its `FilterArns` name. The live rules must not see it
//! (they would e-mail partners and customers again), and the delivery's own rule would send
//! every partner's events: so the command makes a rule of its own, matching only the partner's
//! claim events of this replay (`replay-name`), with the webhook delivery queue as its target,
//! names it alone in the replay, and removes it once the replay has ended. The delivery keys a
//! replayed event's record by the replay's name, so an event already delivered live is
//! delivered again.

use crate::cli::{WebhooksOptions, WebhooksStep};
use crate::settings;
use crate::{OpsError, PartialFailure, Report};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_eventbridge::types::{ReplayDestination, ReplayState, Target};
use chrono::{DateTime, Utc};
use cpor_aws::Env;
use cpor_aws::config::EVENT_BUS_NAME;
use cpor_domain::ids::PartnerId;
use cpor_domain::time::format_instant;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The bus's archive: `--archive`, else `CPOR_EVENT_ARCHIVE_NAME` (stack output
/// `EventArchiveName`).
pub const EVENT_ARCHIVE_NAME: &str = "CPOR_EVENT_ARCHIVE_NAME";

/// The webhook delivery's queue: `--queue-arn`, else `CPOR_WEBHOOK_QUEUE_ARN` (stack output
/// `WebhookDeliveryQueueArn`).
pub const WEBHOOK_QUEUE_ARN: &str = "CPOR_WEBHOOK_QUEUE_ARN";

/// What a replay's rule and the replay are named after (the queue's policy lets rules of this
/// prefix send to it).
pub const REPLAY_PREFIX: &str = "cpor-webhook-replay-";

/// How often a running replay is looked at.
const POLL: Duration = Duration::from_secs(2);

pub async fn run(options: &WebhooksOptions, env: &Env) -> Result<Report, PartialFailure> {
    match &options.step {
        WebhooksStep::Failing { webhook_id, table } => Ok(failing(webhook_id, table, env).await?),
        WebhooksStep::Replay {
            partner,
            from,
            to,
            bus,
            archive,
            queue_arn,
            wait_seconds,
        } => {
            let replay = Replay {
                partner: PartnerId::parse(partner).map_err(|e| {
                    OpsError::Usage(format!(
                        "webhooks replay: --partner {partner:?} {}",
                        e.message
                    ))
                })?,
                from: *from,
                to: *to,
                bus: settings::required(bus, "--bus NAME", env, EVENT_BUS_NAME)?,
                archive: settings::required(archive, "--archive NAME", env, EVENT_ARCHIVE_NAME)?,
                queue_arn: settings::required(
                    queue_arn,
                    "--queue-arn ARN",
                    env,
                    WEBHOOK_QUEUE_ARN,
                )?,
                wait: Duration::from_secs(*wait_seconds),
            };
            if replay.from >= replay.to {
                return Err(
                    OpsError::Usage("webhooks replay: --from must be before --to".into()).into(),
                );
            }
            replay.run().await
        }
    }
}

/// The latest attempt at one event, and how many there were.
#[derive(Debug, Clone)]
struct EventAttempts {
    latest: Value,
    attempts: u32,
    first_at: String,
}

/// Every delivery of the endpoint whose latest attempt did not succeed, oldest first.
async fn failing(webhook_id: &str, table: &Option<String>, env: &Env) -> Result<Report, OpsError> {
    if cpor_domain::webhook::endpoint::WebhookId::parse(webhook_id).is_none() {
        return Err(OpsError::Usage(format!(
            "webhooks failing: {webhook_id:?} is not a webhook id (26 characters)"
        )));
    }
    let table = settings::table(table, env)?;
    let sdk = settings::sdk_config().await?;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let attempts = attempts(&dynamodb, &table, webhook_id).await?;
    // Newest first: the first attempt seen of an event is its latest.
    let mut events: BTreeMap<String, EventAttempts> = BTreeMap::new();
    for attempt in &attempts {
        let event_id = attempt["event_id"].as_str().unwrap_or_default().to_owned();
        let at = attempt["at"].as_str().unwrap_or_default().to_owned();
        events
            .entry(event_id)
            .and_modify(|e| {
                e.attempts += 1;
                e.first_at.clone_from(&at);
            })
            .or_insert_with(|| EventAttempts {
                latest: attempt.clone(),
                attempts: 1,
                first_at: at,
            });
    }
    let mut failing: Vec<(String, Value)> = events
        .into_iter()
        .filter(|(_, e)| e.latest["outcome"] != "delivered")
        .map(|(event_id, e)| {
            let first_at = e.first_at.clone();
            let entry = json!({
                "event_id": event_id,
                "attempts": e.attempts,
                "first_at": e.first_at,
                "last_at": e.latest["at"],
                "outcome": e.latest["outcome"],
                "status_code": e.latest["status_code"],
                "error": e.latest["error"],
            });
            (first_at, entry)
        })
        .collect();
    failing.sort_by(|a, b| a.0.cmp(&b.0));
    let failing: Vec<Value> = failing.into_iter().map(|(_, entry)| entry).collect();
    let message = match failing.first() {
        None => format!(
            "webhook {webhook_id}: no failing delivery among its {} recorded attempts (kept 30 days)",
            attempts.len()
        ),
        Some(first) => format!(
            "webhook {webhook_id}: {} event{} not delivered, failing since {}; the latest outcome of each is listed",
            failing.len(),
            if failing.len() == 1 { "" } else { "s" },
            first["first_at"].as_str().unwrap_or_default()
        ),
    };
    Ok(Report {
        result: json!({
            "webhook_id": webhook_id,
            "attempts_read": attempts.len(),
            "failing": failing,
        }),
        message,
    })
}

/// Every attempt recorded for the endpoint (the attempts expire after 30 days), newest first,
/// as JSON objects of their attributes.
async fn attempts(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    webhook_id: &str,
) -> Result<Vec<Value>, OpsError> {
    let mut found = Vec::new();
    let mut start = None;
    loop {
        let page = dynamodb
            .query()
            .table_name(table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :attempt)")
            .expression_attribute_values(":pk", AttributeValue::S(format!("WEBHOOK#{webhook_id}")))
            .expression_attribute_values(":attempt", AttributeValue::S("ATTEMPTS#".into()))
            .scan_index_forward(false)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| {
                OpsError::Failed(format!(
                    "could not read the webhook's attempts: {}",
                    cpor_aws::describe(&e)
                ))
            })?;
        // Each item is a delivery round's attempts to the endpoint.
        for item in page.items() {
            let round = cpor_aws::dynamo::webhooks::attempt_log(item).map_err(|e| {
                OpsError::Failed(format!("could not read the webhook's attempts: {e}"))
            })?;
            found.extend(round.iter().map(attempt_json));
        }
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => {
                // Two rounds at once may interleave: newest first by the attempts themselves.
                found.sort_by(|a, b| {
                    let key =
                        |v: &Value| (v["at"].as_str().map(str::to_owned), v["attempt"].as_u64());
                    key(b).cmp(&key(a))
                });
                return Ok(found);
            }
        }
    }
}

fn attempt_json(attempt: &cpor_aws::dynamo::webhooks::AttemptRecord) -> Value {
    json!({
        "event_id": attempt.event_id,
        "attempt": attempt.attempt,
        "at": cpor_domain::time::format_instant(attempt.at),
        "outcome": attempt.outcome,
        "status_code": attempt.status_code,
        "error": attempt.error,
    })
}

/// One replay of a partner's events to the webhook delivery.
struct Replay {
    partner: PartnerId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bus: String,
    archive: String,
    queue_arn: String,
    wait: Duration,
}

impl Replay {
    async fn run(&self) -> Result<Report, PartialFailure> {
        let sdk = settings::sdk_config().await?;
        let events = aws_sdk_eventbridge::Client::new(&sdk);
        let (bus_arn, archive_arn) = self.arns(&events).await?;
        let name = format!(
            "{REPLAY_PREFIX}{}-{}",
            self.partner,
            ulid::Ulid::new().to_string().to_lowercase()
        );
        let rule_arn = self.make_rule(&events, &name).await?;
        let started = events
            .start_replay()
            .replay_name(&name)
            .description(format!(
                "cpor-ops webhooks replay of partner {}",
                self.partner
            ))
            .event_source_arn(&archive_arn)
            .event_start_time(aws_smithy_types::DateTime::from_millis(
                self.from.timestamp_millis(),
            ))
            .event_end_time(aws_smithy_types::DateTime::from_millis(
                self.to.timestamp_millis(),
            ))
            .destination(
                ReplayDestination::builder()
                    .arn(&bus_arn)
                    .filter_arns(&rule_arn)
                    .build()
                    .map_err(|e| OpsError::Failed(e.to_string()))?,
            )
            .send()
            .await;
        if let Err(e) = started {
            let removed = self.remove_rule(&events, &name).await;
            return Err(OpsError::Failed(format!(
                "the replay did not start: {}{}",
                cpor_aws::describe(&e),
                removed.err().map(|r| format!("; {r}")).unwrap_or_default()
            ))
            .into());
        }
        let state = self.wait_for(&events, &name).await?;
        let ended = !matches!(state, ReplayState::Starting | ReplayState::Running);
        let removed = if ended {
            self.remove_rule(&events, &name).await.is_ok()
        } else {
            false
        };
        Self::outcome(
            self.report(&name, &rule_arn, &state, removed),
            &state,
            removed,
        )
    }

    /// The bus's ARN and the archive's.
    async fn arns(
        &self,
        events: &aws_sdk_eventbridge::Client,
    ) -> Result<(String, String), OpsError> {
        let bus_arn = events
            .describe_event_bus()
            .name(&self.bus)
            .send()
            .await
            .map_err(|e| {
                OpsError::Failed(format!(
                    "could not read the bus {}: {}",
                    self.bus,
                    cpor_aws::describe(&e)
                ))
            })?
            .arn
            .ok_or_else(|| OpsError::Failed(format!("the bus {} has no ARN", self.bus)))?;
        let archive_arn = events
            .describe_archive()
            .archive_name(&self.archive)
            .send()
            .await
            .map_err(|e| {
                OpsError::Failed(format!(
                    "could not read the archive {}: {}",
                    self.archive,
                    cpor_aws::describe(&e)
                ))
            })?
            .archive_arn
            .ok_or_else(|| OpsError::Failed(format!("the archive {} has no ARN", self.archive)))?;
        Ok((bus_arn, archive_arn))
    }

    /// What the replay did: its result, and a sentence for the operator.
    fn report(&self, name: &str, rule_arn: &str, state: &ReplayState, removed: bool) -> Report {
        let result = json!({
            "replay_name": name,
            "partner_id": self.partner.as_str(),
            "from": format_instant(self.from),
            "to": format_instant(self.to),
            "state": state.as_str(),
            "rule": rule_arn,
            "rule_removed": removed,
        });
        let message = match (state, removed) {
            (ReplayState::Completed, true) => format!(
                "replayed partner {}'s claim events of {} to {} to its webhooks (replay {name}); the delivery sends each again, recorded under the replay's name",
                self.partner,
                format_instant(self.from),
                format_instant(self.to)
            ),
            (ReplayState::Starting | ReplayState::Running, _) => format!(
                "replay {name} still running after {} s: its rule stays until it ends; run `aws events describe-replay --replay-name {name}`, then remove the rule {name} (remove-targets, delete-rule)",
                self.wait.as_secs()
            ),
            (_, true) => format!(
                "replay {name} ended {}: nothing or part was sent; its rule was removed",
                state.as_str()
            ),
            (_, false) => format!(
                "replay {name} ended {}; its rule {name} could not be removed: remove it by hand",
                state.as_str()
            ),
        };
        Report { result, message }
    }

    /// Done when the replay completed and its rule is gone; else a failure that still prints
    /// what it did.
    fn outcome(
        report: Report,
        state: &ReplayState,
        removed: bool,
    ) -> Result<Report, PartialFailure> {
        if *state == ReplayState::Completed && removed {
            Ok(report)
        } else {
            Err(PartialFailure {
                result: report.result,
                error: OpsError::Failed(report.message),
            })
        }
    }

    /// The replay's own rule: the partner's claim events of this replay alone, to the webhook
    /// delivery queue; its ARN.
    async fn make_rule(
        &self,
        events: &aws_sdk_eventbridge::Client,
        name: &str,
    ) -> Result<String, OpsError> {
        let pattern = json!({
            "source": [cpor_domain::events::SOURCE],
            "detail-type": [{ "prefix": cpor_domain::webhook::endpoint::CLAIM_EVENT_PREFIX }],
            "detail": { "partner_id": [self.partner.as_str()] },
            "replay-name": [name],
        });
        let rule = events
            .put_rule()
            .name(name)
            .event_bus_name(&self.bus)
            .event_pattern(pattern.to_string())
            .description(format!(
                "cpor-ops webhooks replay of partner {} (temporary)",
                self.partner
            ))
            .send()
            .await
            .map_err(|e| {
                OpsError::Failed(format!(
                    "could not make the replay's rule: {}",
                    cpor_aws::describe(&e)
                ))
            })?;
        let target = Target::builder()
            .id("webhook-delivery")
            .arn(&self.queue_arn)
            .build()
            .map_err(|e| OpsError::Failed(e.to_string()))?;
        let targeted = events
            .put_targets()
            .rule(name)
            .event_bus_name(&self.bus)
            .targets(target)
            .send()
            .await;
        match targeted {
            Ok(out) if out.failed_entry_count() == 0 => {}
            Ok(_) | Err(_) => {
                let _ = self.remove_rule(events, name).await;
                return Err(OpsError::Failed(format!(
                    "could not point the replay's rule at {}",
                    self.queue_arn
                )));
            }
        }
        rule.rule_arn
            .ok_or_else(|| OpsError::Failed("PutRule answered no ARN".into()))
    }

    /// The replay's state once it has ended, or when the wait is over.
    async fn wait_for(
        &self,
        events: &aws_sdk_eventbridge::Client,
        name: &str,
    ) -> Result<ReplayState, OpsError> {
        let started = Instant::now();
        loop {
            let state = events
                .describe_replay()
                .replay_name(name)
                .send()
                .await
                .map_err(|e| {
                    OpsError::Failed(format!(
                        "could not read the replay {name}: {}",
                        cpor_aws::describe(&e)
                    ))
                })?
                .state
                .unwrap_or(ReplayState::Running);
            let running = matches!(state, ReplayState::Starting | ReplayState::Running);
            if !running || started.elapsed() >= self.wait {
                return Ok(state);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn remove_rule(
        &self,
        events: &aws_sdk_eventbridge::Client,
        name: &str,
    ) -> Result<(), String> {
        events
            .remove_targets()
            .rule(name)
            .event_bus_name(&self.bus)
            .ids("webhook-delivery")
            .send()
            .await
            .map_err(|e| {
                format!(
                    "could not remove the rule's target: {}",
                    cpor_aws::describe(&e)
                )
            })?;
        events
            .delete_rule()
            .name(name)
            .event_bus_name(&self.bus)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                format!(
                    "could not delete the rule {name}: {}",
                    cpor_aws::describe(&e)
                )
            })
    }
}
