use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_runtime::{LambdaEvent, service_fn};
use manage_claims::ManageClaimsFunction;

// One invocation at a time, on a fraction of a vCPU: one thread (README, "Performance").
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    cpor_aws::logging::init(manage_claims::FUNCTION);
    let sdk = cpor_aws::lambda_sdk_config().await;
    let function = cpor_aws::logging::started(ManageClaimsFunction::from_env(
        &sdk,
        &cpor_aws::Env::process(),
    ))?;
    let function = &function;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2httpRequest>| async move {
            Ok::<_, std::convert::Infallible>(
                cpor_aws::in_invocation(
                    manage_claims::FUNCTION,
                    &event.context.request_id,
                    function.handle(event.payload),
                )
                .await,
            )
        },
    ))
    .await
}
