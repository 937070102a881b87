//! SDK clients that a function builds when a request first needs them, not at start-up.
//!
//! Building a service client is most of what a function's start-up costs beyond the runtime's
//! own (BENCHMARKS.md): the SDK parses its table of AWS partitions (a JSON document and a
//! regular expression per partition, once per service crate) and assembles the client's runtime
//! plugins. A function's adapters are built at start-up, so that a missing or wrong setting
//! stops it there; their clients wait for the first request that uses them, which pays what
//! the start-up no longer does (a function that uses a client on some requests only, such as
//! manage-claims' S3 or notify-customer's queue, does not pay for it on the others).

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

/// An SDK client `C`: given, or built from the SDK configuration on its first use. Its clones
/// share the one client.
pub struct SdkClient<C>(Arc<Client<C>>);

enum Client<C> {
    Given(C),
    OnFirstUse {
        sdk: Box<aws_config::SdkConfig>,
        build: fn(&aws_config::SdkConfig) -> C,
        client: OnceLock<C>,
    },
}

impl<C> SdkClient<C> {
    /// The client that `build` makes of `sdk`, when it is first used.
    pub fn on_first_use(
        sdk: &aws_config::SdkConfig,
        build: fn(&aws_config::SdkConfig) -> C,
    ) -> Self {
        Self(Arc::new(Client::OnFirstUse {
            sdk: Box::new(sdk.clone()),
            build,
            client: OnceLock::new(),
        }))
    }
}

impl<C> From<C> for SdkClient<C> {
    fn from(client: C) -> Self {
        Self(Arc::new(Client::Given(client)))
    }
}

impl<C> Deref for SdkClient<C> {
    type Target = C;

    fn deref(&self) -> &C {
        match &*self.0 {
            Client::Given(client) => client,
            Client::OnFirstUse { sdk, build, client } => client.get_or_init(|| build(sdk)),
        }
    }
}

impl<C> Clone for SdkClient<C> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<C: fmt::Debug> fmt::Debug for SdkClient<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            Client::Given(client) => client.fmt(f),
            Client::OnFirstUse { client, .. } => match client.get() {
                Some(client) => client.fmt(f),
                None => f.write_str("SdkClient(not yet built)"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SdkClient;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static BUILT: AtomicUsize = AtomicUsize::new(0);

    /// A stand-in for a service client: the region it was built for, counted.
    fn build(sdk: &aws_config::SdkConfig) -> String {
        BUILT.fetch_add(1, Ordering::SeqCst);
        sdk.region().map(ToString::to_string).unwrap_or_default()
    }

    /// A client on first use is built by its first use, once for it and all its clones, from
    /// the SDK configuration it was given.
    #[test]
    fn a_client_on_first_use_is_built_by_its_first_use_once_for_all_its_clones() {
        // GIVEN a client on first use, and a clone of it
        let sdk = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("eu-west-1"))
            .build();
        let client = SdkClient::on_first_use(&sdk, build);
        let clone = client.clone();
        // WHEN nothing uses it, THEN it is not built
        assert_eq!(BUILT.load(Ordering::SeqCst), 0);
        // WHEN it and its clone are used
        assert_eq!(*client, "eu-west-1");
        assert_eq!(*clone, "eu-west-1");
        // THEN it was built once
        assert_eq!(BUILT.load(Ordering::SeqCst), 1);
    }
}
