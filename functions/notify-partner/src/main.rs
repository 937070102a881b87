use notify_partner::NotifyPartnerFunction;

// One invocation at a time, on a fraction of a vCPU: one thread (README, "Performance").
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    cpor_aws::door::run::<NotifyPartnerFunction>().await
}
