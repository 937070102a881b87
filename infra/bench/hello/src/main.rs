//! Hello world on `lambda_runtime`: the smallest function the runtime allows, the baseline that
//! `make bench` compares the functions' cold starts and sizes with.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<_, lambda_runtime::Error>(json!({ "hello": event.payload }))
    }))
    .await
}
