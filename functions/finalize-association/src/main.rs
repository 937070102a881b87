use aws_lambda_events::eventbridge::EventBridgeEvent;
use finalize_association::FinalizeAssociationFunction;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

// One invocation at a time, on a fraction of a vCPU: one thread (README, "Performance").
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    cpor_aws::logging::init(finalize_association::FUNCTION);
    let sdk = cpor_aws::lambda_sdk_config().await;
    let function = cpor_aws::logging::started(FinalizeAssociationFunction::from_env(
        &sdk,
        &cpor_aws::Env::process(),
    ))?;
    let function = &function;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<EventBridgeEvent<Value>>| async move {
            cpor_aws::in_invocation(
                finalize_association::FUNCTION,
                &event.context.request_id,
                function.handle(event.payload),
            )
            .await
            .map_err(lambda_runtime::Error::from)
        },
    ))
    .await
}
