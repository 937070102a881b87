use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use notify_customer::NotifyCustomerFunction;

// One invocation at a time, on a fraction of a vCPU: one thread (README, "Performance").
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    cpor_aws::logging::init(notify_customer::FUNCTION);
    let sdk = cpor_aws::lambda_sdk_config().await;
    let function = cpor_aws::logging::started(
        NotifyCustomerFunction::from_env(&sdk, &cpor_aws::Env::process()).await,
    )?;
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, std::convert::Infallible>(
            cpor_aws::in_invocation(
                notify_customer::FUNCTION,
                &event.context.request_id,
                function.handle(event.payload),
            )
            .await,
        )
    }))
    .await
}
