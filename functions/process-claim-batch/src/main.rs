use process_claim_batch::ProcessClaimBatchFunction;

// One invocation at a time, on a fraction of a vCPU: one thread (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    cpor_aws::door::run::<ProcessClaimBatchFunction>().await
}
