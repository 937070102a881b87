//! Each partner's share of the partner API: at most so many requests a second per partner,
//! counted in the table, so that one partner's tool in a loop meets its own limit (429
//! `rate_limited`) and never uses up the routes' shared throttle, which would fail every other
//! partner's requests.

use crate::schema::{PK, SK, TTL_ATTRIBUTE};
use crate::{ConfigError, Env, SdkClient};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use cpor_domain::ids::PartnerId;
use std::future::Future;
use std::pin::Pin;

/// The variable that sets each partner's requests per second (default
/// [`DEFAULT_PER_SECOND`]).
pub const PARTNER_REQUESTS_PER_SECOND: &str = "CPOR_PARTNER_REQUESTS_PER_SECOND";

/// Requests a second one partner may make, unless configured otherwise: well above what a
/// partner's tool needs, well below what the routes let through for everyone.
pub const DEFAULT_PER_SECOND: u32 = 25;

/// How long a second's counter is kept (the table's TTL deletes it after).
const COUNTER_SECONDS: i64 = 120;

/// What the budget says of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// The partner used this second's budget: try again in a second.
    Exhausted,
}

/// Per-partner request budgets in the table: one counter item per partner and second.
#[derive(Debug, Clone)]
pub struct PartnerBudget {
    client: SdkClient<Client>,
    table: String,
    per_second: u32,
}

impl PartnerBudget {
    pub fn new(
        client: impl Into<SdkClient<Client>>,
        table: impl Into<String>,
        per_second: u32,
    ) -> Self {
        Self {
            client: client.into(),
            table: table.into(),
            per_second,
        }
    }

    /// The budget configured by `CPOR_PARTNER_REQUESTS_PER_SECOND` on `table`.
    pub fn from_env(
        client: impl Into<SdkClient<Client>>,
        table: &str,
        env: &Env,
    ) -> Result<Self, ConfigError> {
        let per_second = env
            .or(PARTNER_REQUESTS_PER_SECOND, &DEFAULT_PER_SECOND.to_string())
            .parse()
            .ok()
            .filter(|n: &u32| *n > 0)
            .ok_or_else(|| ConfigError::Invalid {
                name: PARTNER_REQUESTS_PER_SECOND,
                problem: "must be a whole number of requests above 0".into(),
            })?;
        Ok(Self::new(client, table, per_second))
    }

    /// Counts one request of `partner` at `now`: one conditional write. If the table cannot be
    /// reached the request is admitted (a budget must never take the API down), and a warning
    /// logged.
    ///
    /// The future is boxed: the SDK's is deep, and the doors' futures nest it.
    pub fn admit<'a>(
        &'a self,
        partner: &'a PartnerId,
        now: DateTime<Utc>,
    ) -> Pin<Box<dyn Future<Output = Admission> + Send + 'a>> {
        Box::pin(self.count(partner, now))
    }

    async fn count(&self, partner: &PartnerId, now: DateTime<Utc>) -> Admission {
        let second = now.timestamp();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, AttributeValue::S(format!("RATE#{partner}")))
            .key(SK, AttributeValue::S(format!("SECOND#{second}")))
            .update_expression("ADD #n :one SET #ttl = :ttl")
            .condition_expression("attribute_not_exists(#n) OR #n < :limit")
            .expression_attribute_names("#n", "requests")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":limit", AttributeValue::N(self.per_second.to_string()))
            .expression_attribute_values(
                ":ttl",
                AttributeValue::N((second + COUNTER_SECONDS).to_string()),
            )
            .send()
            .await;
        match result {
            Ok(_) => Admission::Admitted,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Admission::Exhausted
            }
            Err(e) => {
                tracing::warn!(error = %crate::describe(&e), "the partner's request budget could not be counted; the request goes through");
                Admission::Admitted
            }
        }
    }
}
