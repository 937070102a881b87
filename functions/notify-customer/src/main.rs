use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use notify_customer::NotifyCustomerFunction;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cpor_aws::init_tracing();
    let sdk = cpor_aws::sdk_config().await;
    let function = NotifyCustomerFunction::from_env(&sdk, &cpor_aws::Env::process()).await?;
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, std::convert::Infallible>(function.handle(event.payload).await)
    }))
    .await
}
