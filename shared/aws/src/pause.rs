//! Waiting on the runtime's timer: the [`Pause`] port of deployed functions and the local stack.

use async_trait::async_trait;
use cpor_domain::clock::Pause;
use std::time::Duration;

/// Pauses with `tokio::time::sleep`.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioPause;

#[async_trait]
impl Pause for TokioPause {
    async fn pause(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}
