//! The hello world of `cpor-hello` on tokio's current-thread runtime, the one the functions run
//! on: `make bench` reports their cold starts against it too, like for like.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<_, lambda_runtime::Error>(json!({ "hello": event.payload }))
    }))
    .await
}
