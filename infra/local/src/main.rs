//! `cpor-local`: the local stack's command.
//!
//! - `cpor-local run`: starts the emulator, creates the resources and serves on 127.0.0.1:3000
//!   until Ctrl-C, then stops everything it started.
//!   It writes `.run/local.env`, where the operator commands find the emulator.
//! - `cpor-local token PARTNER_ID [ROLE]`: prints a local bearer token (role defaults to
//!   `incentives_admin`), valid for 12 hours.
//! - `cpor-local token REVIEWER cpor_reviewer`: a reviewer's token, `REVIEWER` in its `sub`.

use cpor_aws::Env;
use cpor_local::emulator::Emulator;
use cpor_local::{LocalSettings, LocalStack, jwt};
use std::process::ExitCode;

const USAGE: &str = "usage: cpor-local run | cpor-local token PARTNER_ID \
     [incentives_admin|incentives_user] | cpor-local token REVIEWER cpor_reviewer";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] | ["run"] => run().await,
        ["token", subject, rest @ ..] if rest.len() <= 1 => {
            let role = rest.first().copied().unwrap_or("incentives_admin");
            let secret = Env::process().or(
                "CPOR_LOCAL_JWT_SECRET",
                cpor_local::settings::DEV_JWT_SECRET,
            );
            const TTL: i64 = 12 * 3600;
            let token = if role == jwt::REVIEWER_ROLE {
                jwt::mint_reviewer(&secret, subject, TTL)
            } else {
                jwt::mint(&secret, subject, role, TTL)
            };
            match token {
                Ok(token) => {
                    println!("{token}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("could not mint a token: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> ExitCode {
    cpor_aws::logging::init("cpor-local");
    let settings = match LocalSettings::from_env(&Env::process()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    let port = settings
        .endpoint
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(4566);
    let log_dir = std::path::Path::new(".run");
    if let Err(e) = std::fs::create_dir_all(log_dir) {
        eprintln!("could not create {}: {e}", log_dir.display());
        return ExitCode::FAILURE;
    }
    let log = log_dir.join("emulator.log");
    eprintln!(
        "==> starting the AWS emulator on 127.0.0.1:{port} (log: {})",
        log.display()
    );
    let emulator = match Emulator::start(port, &log) {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("==> creating the table, the queues and the SES sender");
    let stack = match LocalStack::start(settings).await {
        Ok(stack) => stack,
        Err(e) => {
            eprintln!("could not start the local stack: {e}");
            drop(emulator);
            return ExitCode::FAILURE;
        }
    };
    let s = stack.settings();
    let base = stack.base_url();
    eprintln!();
    eprintln!("cpor is running");
    eprintln!("  partner API      {base}/v1/claims");
    eprintln!("  customer pages   {base}/opt-out/{{token}}  (links in the e-mails)");
    eprintln!(
        "  local routes     {base}/_local/seed  {base}/_local/outbox  {base}/_local/finalize"
    );
    eprintln!(
        "  AWS emulator     {}  (table {}, queue {})",
        s.endpoint,
        s.table,
        stack.queue_url()
    );
    eprintln!(
        "  finalization     {}",
        s.finalize_every
            .map_or("on POST /_local/finalize only".to_owned(), |d| format!(
                "every {}s, and on POST /_local/finalize",
                d.as_secs()
            ))
    );
    eprintln!("  a bearer token   make token PARTNER=1234567 ROLE=incentives_admin");
    eprintln!("  a reviewer's     make token ROLE=cpor_reviewer REVIEWER=reviewer-1");
    eprintln!(
        "  local sign-in    POST {base}/_local/token  {{\"partner_id\", \"role\"}} or {{\"reviewer_id\"}}"
    );
    eprintln!("  review policy    {}", s.review_policy.as_str());
    let operator_env = log_dir.join("local.env");
    match write_operator_env(&operator_env, s, stack.queue_url()) {
        Ok(()) => eprintln!(
            "  operator env     {}  (make redrive LOCAL=1, make finalize LOCAL=1 ...)",
            operator_env.display()
        ),
        Err(e) => eprintln!("  operator env     not written: {e}"),
    }
    eprintln!("Press Ctrl-C to stop.");
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("could not wait for Ctrl-C: {e}");
    }
    eprintln!("==> stopping");
    let _ = std::fs::remove_file(&operator_env);
    stack.stop().await;
    drop(emulator);
    eprintln!("==> stopped");
    ExitCode::SUCCESS
}

/// Writes where the operator commands (`cpor-ops`, `make redrive LOCAL=1` ...) find this
/// stack: the emulator's endpoint, region and placeholder credentials, the table and the
/// queue, as `NAME=value` lines for a shell's `set -a; . FILE`. Removed when the stack stops.
fn write_operator_env(
    path: &std::path::Path,
    settings: &LocalSettings,
    queue_url: &str,
) -> std::io::Result<()> {
    let (endpoint, table) = (&settings.endpoint, &settings.table);
    let prefix = &settings.queue_prefix;
    let lines = [
        "# The local stack's AWS emulator, for cpor-ops: written by `make run`, removed when it stops.".to_owned(),
        format!("AWS_ENDPOINT_URL={endpoint}"),
        format!("AWS_REGION={}", cpor_local::settings::REGION),
        "AWS_ACCESS_KEY_ID=local".to_owned(),
        "AWS_SECRET_ACCESS_KEY=local".to_owned(),
        format!("{}={table}", cpor_aws::config::TABLE_NAME),
        format!("{}={queue_url}", cpor_aws::config::QUEUE_URL),
        // cpor-ops webhooks replay: the bus and its archive.
        format!(
            "{}={}",
            cpor_aws::config::EVENT_BUS_NAME,
            cpor_aws::schema::event_bus(prefix)
        ),
        format!(
            "CPOR_EVENT_ARCHIVE_NAME={}",
            cpor_aws::schema::event_archive(prefix)
        ),
    ];
    std::fs::write(path, lines.join("\n") + "\n")
}
