//! The service's use cases, one module each, written against the ports.

pub mod documents;
pub mod feedback;
pub mod finalize;
pub mod manage;
pub mod notify;
pub mod opt_out;
pub mod publish;
pub mod review;
pub mod send;
pub mod submit;
pub mod subscription_ends;
pub mod tell_partner;
#[cfg(test)]
mod testing;

use crate::ports::Unavailable;

/// How often a use case re-reads and retries a change that lost a race before giving up.
pub(crate) const CONFLICT_RETRIES: usize = 5;

/// What one read → decide → apply attempt came to.
#[derive(Debug)]
pub(crate) enum Attempt<T> {
    /// Decided and applied (or refused): the answer.
    Settled(T),
    /// The write lost a race: what it was decided on changed. Read again and decide again.
    LostRace,
}

/// Runs a read → decide → apply `attempt` until it settles, at most [`CONFLICT_RETRIES`]
/// times; a change that keeps losing its race is unavailable (the caller retries later), said
/// as "`what` kept changing".
///
/// The attempt is a closure returning a future (`move || async move { .. }`), not an async
/// closure: the futures of async closures are not yet provably `Send`, which the doors need.
pub(crate) async fn until_settled<T, E, Fut>(
    what: &str,
    mut attempt: impl FnMut() -> Fut,
) -> Result<T, E>
where
    E: From<Unavailable>,
    Fut: Future<Output = Result<Attempt<T>, E>>,
{
    for _ in 0..CONFLICT_RETRIES {
        if let Attempt::Settled(answer) = attempt().await? {
            return Ok(answer);
        }
    }
    Err(Unavailable(format!("{what} kept changing")).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A change that loses its race every time is given up after the fifth attempt, as
    /// unavailable; one that settles on its last attempt is kept.
    #[tokio::test]
    async fn a_change_is_tried_five_times_then_given_up_as_unavailable() {
        let mut attempts = 0;
        let given_up: Result<(), Unavailable> = until_settled("the claim", || {
            attempts += 1;
            async { Ok(Attempt::LostRace) }
        })
        .await;
        assert_eq!(attempts, CONFLICT_RETRIES);
        assert_eq!(given_up, Err(Unavailable("the claim kept changing".into())));

        let mut attempts = 0;
        let settled: Result<usize, Unavailable> = until_settled("the claim", || {
            attempts += 1;
            let settled = (attempts == CONFLICT_RETRIES).then_some(attempts);
            async move { Ok(settled.map_or(Attempt::LostRace, Attempt::Settled)) }
        })
        .await;
        assert_eq!(settled, Ok(CONFLICT_RETRIES));
    }

    /// An error ends the attempts at once: it is not a lost race.
    #[tokio::test]
    async fn an_error_is_not_retried() {
        let mut attempts = 0;
        let failed: Result<(), Unavailable> = until_settled("the claim", || {
            attempts += 1;
            async { Err(Unavailable("down".into())) }
        })
        .await;
        assert_eq!((attempts, failed), (1, Err(Unavailable("down".into()))));
    }
}
