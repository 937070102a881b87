use deliver_webhooks::DeliverWebhooksFunction;

// One invocation at a time; its deliveries run concurrently on one thread (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    cpor_aws::door::run::<DeliverWebhooksFunction>().await
}
