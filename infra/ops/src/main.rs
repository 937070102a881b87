//! `cpor-ops`: the operator commands. See `cpor-ops --help` and `docs/operator-commands.md`.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // Results go to stdout as JSON; the service's own warnings (a claim finalization could not
    // write, say) go to stderr, at `RUST_LOG` levels (default `warn`).
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    ExitCode::from(cpor_ops::run(&args, &cpor_aws::Env::process()).await)
}
