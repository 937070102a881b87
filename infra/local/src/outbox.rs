//! The e-mails the emulator's SES kept, oldest first.

use serde::Serialize;
use serde_json::Value;

/// One sent message as the emulator kept it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxMessage {
    /// Recipients.
    pub to: Vec<String>,
    /// Sender.
    pub from: String,
    /// Subject line.
    pub subject: String,
    /// What the emulator kept of the body (the HTML part where there is one).
    pub body: String,
    /// SES's message id: what its bounce and complaint notifications name.
    #[serde(skip)]
    pub message_id: String,
}

/// How often the emulator's state is asked for before the read fails.
const TRIES: u32 = 5;

/// Reads the sent messages from the emulator's state (`GET /moto-api/data.json`).
pub async fn read(http: &reqwest::Client, endpoint: &str) -> Result<Vec<OutboxMessage>, String> {
    let data = state(http, endpoint).await?;
    let text = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let messages = data
        .pointer("/ses/Message")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|m| OutboxMessage {
                    to: m
                        .pointer("/destinations/ToAddresses")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default(),
                    from: text(m, "source"),
                    subject: text(m, "subject"),
                    body: text(m, "body"),
                    message_id: text(m, "id"),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(messages)
}

/// The emulator's state. moto writes it out while other requests change it, and now and then
/// answers an error or a body cut short: asked again, after a pause, a few times.
async fn state(http: &reqwest::Client, endpoint: &str) -> Result<Value, String> {
    let mut problem = String::new();
    for attempt in 1..=TRIES {
        let answer = http
            .get(format!("{endpoint}/moto-api/data.json"))
            .send()
            .await;
        match answer {
            Err(e) => problem = format!("emulator not reachable: {e}"),
            Ok(answer) if !answer.status().is_success() => {
                problem = format!("emulator state: {}", answer.status());
            }
            Ok(answer) => match answer.json::<Value>().await {
                Ok(data) => return Ok(data),
                Err(e) => problem = format!("emulator state unreadable: {e}"),
            },
        }
        if attempt < TRIES {
            tokio::time::sleep(std::time::Duration::from_millis(100 * u64::from(attempt))).await;
        }
    }
    Err(problem)
}
