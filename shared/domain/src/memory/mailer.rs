//! The mail service.

use super::*;

/// A mailer that keeps what it sent, and answers message ids `memory-1`, `memory-2`, ...
#[derive(Debug, Default)]
pub struct MemoryMailer {
    sent: Mutex<Vec<CustomerEmail>>,
    /// The answers of the next sends, in order, before they go back to sending.
    answers: Mutex<VecDeque<Answer>>,
}

/// How the in-memory mail service answers one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Refuses it before sending (throttled, paused).
    NotSent,
    /// Refuses the address for good.
    Rejected,
    /// Sends it, and the answer is lost: the caller cannot know it went out.
    SentAnswerLost,
    /// Sends nothing, and the caller cannot know (a time-out before the service acted).
    NothingAnswerLost,
}

impl MemoryMailer {
    /// The e-mails sent so far, oldest first.
    pub fn sent(&self) -> Vec<CustomerEmail> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Makes the next `times` sends fail before sending anything (`SendError::NotSent`).
    pub fn fail(&self, times: u32) {
        self.answer((0..times).map(|_| Answer::NotSent));
    }

    /// The answers of the next sends.
    pub fn answer(&self, answers: impl IntoIterator<Item = Answer>) {
        self.answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(answers);
    }
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, email: &CustomerEmail) -> Result<String, SendError> {
        let answer = self
            .answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front();
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        match answer {
            None => {
                sent.push(email.clone());
                Ok(format!("memory-{}", sent.len()))
            }
            Some(Answer::NotSent) => Err(SendError::NotSent(Unavailable(
                "the mailer was made to fail".into(),
            ))),
            Some(Answer::Rejected) => Err(SendError::Rejected(format!(
                "Address blacklisted: {}",
                email.to.as_str()
            ))),
            Some(Answer::SentAnswerLost) => {
                sent.push(email.clone());
                Err(SendError::OutcomeUnknown("the answer was lost".into()))
            }
            Some(Answer::NothingAnswerLost) => Err(SendError::OutcomeUnknown("timed out".into())),
        }
    }
}
