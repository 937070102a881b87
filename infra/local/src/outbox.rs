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

/// Reads the sent messages from the emulator's state (`GET /moto-api/data.json`).
pub async fn read(http: &reqwest::Client, endpoint: &str) -> Result<Vec<OutboxMessage>, String> {
    let data: Value = http
        .get(format!("{endpoint}/moto-api/data.json"))
        .send()
        .await
        .map_err(|e| format!("emulator not reachable: {e}"))?
        .json()
        .await
        .map_err(|e| format!("emulator state unreadable: {e}"))?;
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
