//! `make bench`: measures cold starts, binary sizes, AWS round trips (the review's too), the
//! nightly run at scale and submit-claim's own cost per request, each beside its baseline in the same run, and writes
//! the results to `BENCHMARKS.md`.
//!
//! Run by `make bench` after it has built the release binaries and run the criterion bench;
//! everything it starts (the emulators, the functions, the Runtime API stand-ins) listens on
//! loopback only and is stopped before it returns. It measures everything first, into
//! [`report::Measurements`], then writes the report from them (`report::render`).

mod cold_start;
mod console;
mod events;
mod ledger;
mod profile;
mod report;
mod scale;
mod webhooks;

use cold_start::{Subject, quantile};
use report::{Criterion, Machine, Measurements, ScaleRuns, calls_text, median, mib, ms};
use scale::{Run, Seed};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const FUNCTIONS: [&str; 14] = [
    "submit-claim",
    "manage-claims",
    "review-claims",
    "notify-customer",
    "record-opt-out",
    "finalize-association",
    "publish-events",
    "notify-partner",
    "record-document",
    "record-email-feedback",
    "authorize-caller",
    "run-export",
    "process-claim-batch",
    "deliver-webhooks",
];
/// Claims in the batch whose processing is measured: a whole batch.
const BATCH_ROWS: usize = cpor_domain::batch::MAX_ROWS;
/// Rounds of a batch and its floor, whose medians are compared.
const BATCH_ROUNDS: usize = 5;
/// History entries through publish-events in the throughput run.
const EVENT_ENTRIES: usize = 10_000;
const HELLO: &str = "cpor-hello";
/// Unanswered information requests in the review's round trips: the nightly run's cost per
/// rejection shows beside its fixed reads.
const REVIEW_DUE: usize = 3;
/// The same hello world on tokio's current-thread runtime, which the functions use: the
/// like-for-like baseline, reported beside the template's.
const HELLO_CURRENT_THREAD: &str = "cpor-hello-current-thread";
/// The suffix of the cold starts with the system's trust store instead of the compiled-in
/// Amazon roots (`CPOR_TLS_SYSTEM_ROOTS=1`), read from the bundle file alone as on Amazon Linux.
const SYSTEM_STORE: &str = " (system trust store)";
/// This machine's bundle of root certificates (Debian's; Amazon Linux's is
/// `/etc/pki/tls/certs/ca-bundle.crt`).
const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

struct Options {
    bin_dir: PathBuf,
    target_dir: PathBuf,
    out: PathBuf,
    starts: usize,
    seed: Seed,
    command: String,
    /// Only sizes and cold starts, printed, without writing the report (for trying changes).
    quick: bool,
    /// Extra variables for every function started (experiments with `--quick`).
    extra_env: Vec<(String, String)>,
    /// Only the publisher's throughput, printed, without writing the report.
    events_only: bool,
    /// Only a batch of claims against its floor, printed, without writing the report.
    batch_only: bool,
    /// Only the webhook deliveries' measures, printed, without writing the report.
    webhooks_only: bool,
    /// Only these functions' sizes and cold starts (with `--quick`; all by default).
    only: Vec<String>,
    /// Only the nightly run at scale, printed, without writing the report.
    scale_only: bool,
    /// The payout ledger's export at scale: how many periods it seeds.
    ledger: ledger::LedgerSeed,
    /// Only the payout ledger's export at scale, printed, without writing the report.
    ledger_only: bool,
    /// Only a profile of these functions' start-up beside the hello world's, printed.
    profile: Vec<String>,
    /// Binaries with their symbols, whose start-ups the report profiles (none by default).
    profile_bin_dir: Option<PathBuf>,
    /// The console's costs as its browser test measured them in this run (none by default).
    console_costs: Option<PathBuf>,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        bin_dir: PathBuf::from("target/release"),
        target_dir: PathBuf::from("target"),
        out: PathBuf::from("BENCHMARKS.md"),
        starts: 50,
        seed: Seed {
            due_opt_outs: 2_000,
            due_responses: 2_000,
            not_due: 40_000,
        },
        command: "make bench".into(),
        quick: false,
        extra_env: Vec::new(),
        events_only: false,
        batch_only: false,
        webhooks_only: false,
        only: Vec::new(),
        scale_only: false,
        ledger: ledger::LedgerSeed {
            effective: 20_000,
            outside: 80_000,
        },
        ledger_only: false,
        profile: Vec::new(),
        profile_bin_dir: None,
        console_costs: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--bin-dir" => o.bin_dir = value()?.into(),
            "--target-dir" => o.target_dir = value()?.into(),
            "--out" => o.out = value()?.into(),
            "--starts" => o.starts = value()?.parse().map_err(|e| format!("--starts: {e}"))?,
            "--due" => {
                o.seed.due_opt_outs = value()?.parse().map_err(|e| format!("--due: {e}"))?;
            }
            "--due-responses" => {
                o.seed.due_responses = value()?
                    .parse()
                    .map_err(|e| format!("--due-responses: {e}"))?;
            }
            "--not-due" => {
                o.seed.not_due = value()?.parse().map_err(|e| format!("--not-due: {e}"))?;
            }
            "--command" => o.command = value()?,
            "--quick" => o.quick = true,
            "--events-only" => o.events_only = true,
            "--batch-only" => o.batch_only = true,
            "--webhooks-only" => o.webhooks_only = true,
            "--scale-only" => o.scale_only = true,
            "--ledger-only" => o.ledger_only = true,
            "--ledger-effective" => {
                o.ledger.effective = value()?
                    .parse()
                    .map_err(|e| format!("--ledger-effective: {e}"))?;
            }
            "--ledger-outside" => {
                o.ledger.outside = value()?
                    .parse()
                    .map_err(|e| format!("--ledger-outside: {e}"))?;
            }
            "--only" => o.only.push(value()?),
            "--profile" => o.profile.push(value()?),
            "--profile-bin-dir" => o.profile_bin_dir = Some(value()?.into()),
            "--console-costs" => o.console_costs = Some(value()?.into()),
            "--env" => {
                let pair = value()?;
                let (k, v) = pair.split_once('=').ok_or("--env takes NAME=VALUE")?;
                o.extra_env.push((k.to_owned(), v.to_owned()));
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(o)
}

fn function_env(name: &str) -> Vec<(String, String)> {
    let table = ("CPOR_TABLE_NAME", "cpor-bench");
    let queue = (
        "CPOR_NOTIFICATION_QUEUE_URL",
        "https://sqs.us-east-1.amazonaws.com/123456789012/cpor-bench-notifications",
    );
    let holidays = ("CPOR_HOLIDAYS", "2026-12-25,2027-01-01");
    let bucket = ("CPOR_DOCUMENTS_BUCKET", "cpor-bench-documents");
    let exports = (
        "CPOR_EXPORTS_QUEUE_URL",
        "https://sqs.us-east-1.amazonaws.com/123456789012/cpor-bench-exports",
    );
    // What both notifying functions are given.
    let notify = [
        table,
        ("CPOR_SENDER_EMAIL", "cpor@example.com"),
        ("CPOR_PUBLIC_BASE_URL", "https://claims.example.com"),
        ("CPOR_TOKEN_SECRET", "bench-token-secret-0123456789"),
        ("CPOR_TOKEN_KEY_ID", "k1"),
        holidays,
    ];
    // As the template sets them.
    let vars: Vec<(&str, &str)> = match name {
        "submit-claim" => vec![
            table,
            queue,
            (
                "CPOR_BATCH_QUEUE_URL",
                "https://sqs.us-east-1.amazonaws.com/123456789012/cpor-bench-claim-batches",
            ),
        ],
        "manage-claims" => vec![
            table,
            bucket,
            queue,
            exports,
            (
                "CPOR_WEBHOOK_KEY_ID",
                "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000",
            ),
            ("CPOR_EVENT_BUS_NAME", "cpor-bench-events"),
        ],
        "review-claims" => vec![table, queue, holidays, bucket, exports],
        "record-document" | "run-export" => vec![table, bucket],
        "notify-customer" => [
            &notify[..],
            &[("CPOR_SES_CONFIGURATION_SET", "cpor-bench-email"), queue],
        ]
        .concat(),
        "notify-partner" => notify.to_vec(),
        "record-opt-out" => vec![
            table,
            ("CPOR_TOKEN_SECRET", "bench-token-secret-0123456789"),
            ("CPOR_TOKEN_KEY_ID", "k1"),
        ],
        "finalize-association" => vec![table, holidays],
        "publish-events" => vec![table, ("CPOR_EVENT_BUS_NAME", "cpor-bench-events")],
        "deliver-webhooks" => vec![
            table,
            ("CPOR_SENDER_EMAIL", "cpor@example.com"),
            (
                "CPOR_WEBHOOK_KEY_ID",
                "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000",
            ),
            (
                "CPOR_WEBHOOK_QUEUE_URL",
                "https://sqs.us-east-1.amazonaws.com/123456789012/cpor-bench-webhooks",
            ),
        ],
        // Its issuers' keys are read at the first token, not at start-up.
        "authorize-caller" => vec![
            (
                "CPOR_PARTNER_ISSUER",
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_partners",
            ),
            ("CPOR_PARTNER_AUDIENCE", "cpor-api"),
            (
                "CPOR_REVIEWER_ISSUER",
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_reviewers",
            ),
            ("CPOR_REVIEWER_AUDIENCE", "cpor-review"),
        ],
        _ => vec![table],
    };
    vars.into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn shell(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn machine() -> Machine {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    Machine {
        cpu,
        nproc: shell("nproc", &[]),
        kernel: shell("uname", &["-srm"]),
        rustc: shell("rustc", &["-V"]),
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// The median of the criterion bench `submit-claim*`, with its interval.
fn criterion_median(target_dir: &Path) -> Option<Criterion> {
    let root = target_dir.join("criterion");
    let dir = std::fs::read_dir(&root).ok()?.flatten().find(|e| {
        e.file_name()
            .to_string_lossy()
            .starts_with("submit-claim handler")
    })?;
    let text = std::fs::read_to_string(dir.path().join("new/estimates.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let median = &json["median"];
    Some(Criterion {
        median_ns: median["point_estimate"].as_f64()?,
        low_ns: median["confidence_interval"]["lower_bound"].as_f64()?,
        high_ns: median["confidence_interval"]["upper_bound"].as_f64()?,
    })
}

/// Cold starts of the notify and opt-out functions that read the token secret from Secrets
/// Manager (the emulator's, over plain HTTP on loopback), as the deployed ones do.
async fn secret_subjects(bin_dir: &Path, endpoint: &str) -> Result<Vec<Subject>, String> {
    let credentials = aws_sdk_secretsmanager::config::Credentials::new(
        "bench",
        "bench",
        None,
        None,
        "cpor-bench",
    );
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .load()
        .await;
    let created = aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name("cpor-bench-token")
        .secret_string("bench-token-secret-0123456789")
        .send()
        .await
        .map_err(|e| cpor_aws::describe(&e))?;
    let arn = created.arn().unwrap_or_default().to_owned();
    Ok(["notify-customer", "record-opt-out"]
        .iter()
        .map(|name| {
            let mut env: Vec<(String, String)> = function_env(name)
                .into_iter()
                .filter(|(k, _)| k != "CPOR_TOKEN_SECRET")
                .collect();
            env.push(("CPOR_TOKEN_SECRET_ARN".into(), arn.clone()));
            env.push(("AWS_ENDPOINT_URL".into(), endpoint.to_owned()));
            Subject {
                name: format!("{name}+secret"),
                binary: bin_dir.join(name),
                env,
            }
        })
        .collect())
}

#[tokio::main]
async fn main() {
    if let Err(e) = bench().await {
        eprintln!("cpor-bench: {e}");
        std::process::exit(1);
    }
}

/// The nightly run at scale: the floor, the run on `seed`, and the run with its not-due claims
/// doubled, each on a fresh emulator.
async fn scale_phases(seed: Seed, logs: &Path) -> Result<ScaleRuns, String> {
    let mut phases = Vec::new();
    let doubled = Seed {
        not_due: seed.not_due * 2,
        ..seed
    };
    for (run, seed) in [
        (Run::Floor, seed),
        (Run::Finalize, seed),
        (Run::Finalize, doubled),
    ] {
        eprintln!(
            "==> the nightly run at scale: {run:?}, {} due opt-outs, {} due responses, {} not due",
            seed.due_opt_outs, seed.due_responses, seed.not_due
        );
        phases.push(scale::phase(run, seed, logs).await?);
    }
    let [floor, finalize, doubled] =
        <[_; 3]>::try_from(phases).unwrap_or_else(|_| unreachable!("three runs, three phases"));
    Ok(ScaleRuns {
        floor,
        finalize,
        doubled,
    })
}

async fn bench() -> Result<(), String> {
    let o = options()?;
    let logs = o.target_dir.join("bench");
    std::fs::create_dir_all(&logs).map_err(|e| e.to_string())?;
    if o.events_only {
        let run = events::measure(EVENT_ENTRIES, &logs).await?;
        println!("{}", report::events_text(&run));
        return Ok(());
    }
    if o.webhooks_only {
        let runs = webhooks::measure(&logs).await?;
        println!("{}", webhooks::text(&runs));
        return Ok(());
    }
    if o.batch_only {
        let batch = cpor_tests::batch_cost::measure(BATCH_ROWS, BATCH_ROUNDS).await;
        println!("{}", report::batch_text(&batch));
        return Ok(());
    }
    if !o.profile.is_empty() {
        let names: Vec<&str> = o.profile.iter().map(String::as_str).collect();
        let profiles = profile_starts(&o, &o.bin_dir, &names, &logs)?;
        println!("{}", report::profile_text(&profiles));
        return Ok(());
    }
    if o.ledger_only {
        let runs = ledger::runs(o.ledger, &logs).await?;
        println!("{}", report::ledger_text(&runs));
        return Ok(());
    }
    if o.scale_only {
        for phase in scale_phases(o.seed, &logs).await?.all() {
            println!(
                "{:?} {:?}: {:.2} s, index reads alone {:?}, {} / {}, {}",
                phase.run,
                phase.seed,
                phase.time.as_secs_f64(),
                phase.index_read,
                phase.finalized,
                phase.rejected,
                calls_text(&phase.calls)
            );
        }
        return Ok(());
    }
    // `--only` (with `--quick`) measures some functions alone, the rest unbuilt.
    let functions: Vec<&str> = FUNCTIONS
        .into_iter()
        .filter(|f| o.only.is_empty() || o.only.iter().any(|only| only == f))
        .collect();
    let sizes = sizes(&o.bin_dir, &functions)?;
    let cold_starts = cold_starts(&o, &functions, &logs).await?;
    if o.quick {
        print_quick(&sizes, &cold_starts);
        return Ok(());
    }
    let measurements = measure_the_rest(&o, &logs, sizes, cold_starts).await?;
    let report = report::render(&measurements);
    std::fs::write(&o.out, &report.text).map_err(|e| format!("{}: {e}", o.out.display()))?;
    println!("{}", report.text);
    eprintln!("==> wrote {}", o.out.display());
    if !report.met {
        eprintln!("cpor-bench: some targets were not met (see the summary)");
    }
    Ok(())
}

/// The size of the hello world's binary and of each function's, in `bin_dir`.
fn sizes(bin_dir: &Path, functions: &[&str]) -> Result<Vec<(String, u64)>, String> {
    eprintln!("==> sizes");
    std::iter::once(HELLO)
        .chain(functions.iter().copied())
        .map(|name| {
            let path = bin_dir.join(name);
            let size = std::fs::metadata(&path)
                .map_err(|e| {
                    format!(
                        "{}: {e} (build it first: make bench builds it)",
                        path.display()
                    )
                })?
                .len();
            Ok((name.to_owned(), size))
        })
        .collect()
}

/// The binaries whose cold starts are measured: the two hello worlds, then each function as
/// deployed and with the system's trust store, with `extra_env`.
fn subjects(o: &Options, functions: &[&str], bundle_env: &(String, String)) -> Vec<Subject> {
    // The functions trust the Amazon roots compiled into them (`cpor_aws::lambda_sdk_config`);
    // each is also started with the system's trust store instead (`CPOR_TLS_SYSTEM_ROOTS=1`),
    // read from the bundle file alone as on Amazon Linux, whose certificate directory holds
    // bundles only (`SSL_CERT_DIR` an empty directory: Debian, this machine, also keeps each
    // root in a file of its own, which the SDK's loader would read one by one).
    // With SSL_CERT_DIR set, the loader reads SSL_CERT_FILE and nothing else it would have
    // found by itself: name the bundle.
    let system_roots = vec![
        bundle_env.clone(),
        ("SSL_CERT_FILE".to_owned(), SYSTEM_BUNDLE.to_owned()),
        (cpor_aws::TLS_SYSTEM_ROOTS.to_owned(), "1".to_owned()),
    ];
    let mut subjects: Vec<Subject> = [HELLO, HELLO_CURRENT_THREAD]
        .into_iter()
        .map(|name| Subject {
            name: name.to_owned(),
            binary: o.bin_dir.join(name),
            env: vec![bundle_env.clone()],
        })
        .collect();
    for (suffix, extra) in [("", vec![]), (SYSTEM_STORE, system_roots)] {
        for name in functions.iter().copied() {
            subjects.push(Subject {
                name: format!("{name}{suffix}"),
                binary: o.bin_dir.join(name),
                env: function_env(name)
                    .into_iter()
                    .chain(extra.clone())
                    .chain(o.extra_env.iter().cloned())
                    .collect(),
            });
        }
    }
    subjects
}

/// The start times of every subject ([`subjects`], then the functions that read their secret
/// from Secrets Manager), taken in turns.
async fn cold_starts(
    o: &Options,
    functions: &[&str],
    logs: &Path,
) -> Result<Vec<(String, Vec<Duration>)>, String> {
    eprintln!(
        "==> cold starts: {} starts of each binary, in turns",
        o.starts
    );
    let bundle_only = logs.join("cert-dir-empty");
    std::fs::create_dir_all(&bundle_only).map_err(|e| e.to_string())?;
    let bundle_env = ("SSL_CERT_DIR".to_owned(), bundle_only.display().to_string());
    let mut subjects = subjects(o, functions, &bundle_env);
    let mut secret_emulator =
        cpor_local::emulator::Emulator::start_on_free_port(&logs.join("secret-emulator.log"))
            .map_err(|e| e.to_string())?;
    subjects.extend(
        secret_subjects(&o.bin_dir, &secret_emulator.endpoint())
            .await?
            .into_iter()
            .filter(|subject| {
                functions
                    .iter()
                    .any(|f| subject.name == format!("{f}+secret"))
            })
            .map(|mut subject| {
                subject.env.push(bundle_env.clone());
                subject
            }),
    );
    let samples = tokio::task::spawn_blocking({
        let subjects = subjects.clone();
        let logs = logs.to_owned();
        let starts = o.starts;
        move || cold_start::measure(&subjects, starts, &logs)
    })
    .await
    .map_err(|e| e.to_string())??;
    secret_emulator.stop();
    Ok(subjects
        .into_iter()
        .map(|subject| subject.name)
        .zip(samples)
        .collect())
}

/// The start-ups of the hello world on the current-thread runtime and of `functions`, under
/// callgrind, from the binaries in `bin_dir` (built with their symbols: `make profile-start`).
fn profile_starts(
    o: &Options,
    bin_dir: &Path,
    functions: &[&str],
    logs: &Path,
) -> Result<Vec<profile::StartProfile>, String> {
    std::iter::once(HELLO_CURRENT_THREAD)
        .chain(functions.iter().copied())
        .map(|name| {
            eprintln!("==> the start-up of {name} under callgrind");
            let env = if name == HELLO_CURRENT_THREAD {
                Vec::new()
            } else {
                function_env(name)
            };
            let subject = Subject {
                name: name.to_owned(),
                binary: bin_dir.join(name),
                env: env.into_iter().chain(o.extra_env.iter().cloned()).collect(),
            };
            profile::profile(&subject, logs)
        })
        .collect()
}

/// `--quick`: the sizes and cold starts alone, printed.
fn print_quick(sizes: &[(String, u64)], cold_starts: &[(String, Vec<Duration>)]) {
    // The two hello worlds come first (`subjects`).
    let hello = |i: usize| {
        cold_starts
            .get(i)
            .map_or(Duration::ZERO, |(_, times)| median(times))
            .as_secs_f64()
    };
    for (name, size) in sizes {
        println!("{name:<22} {}", mib(*size));
    }
    for (name, times) in cold_starts {
        let time = median(times).as_secs_f64();
        println!(
            "{:<44} median {:>9}  p90 {:>9}  {:.2} x hello  {:.2} x hello (current-thread)",
            name,
            ms(median(times)),
            ms(quantile(times, 0.9)),
            time / hello(0),
            time / hello(1),
        );
    }
}

/// The round trips, the nightly run at scale, the publisher's throughput and the criterion
/// bench's result, beside the sizes and cold starts already measured.
async fn measure_the_rest(
    o: &Options,
    logs: &Path,
    sizes: Vec<(String, u64)>,
    cold_starts: Vec<(String, Vec<Duration>)>,
) -> Result<Measurements, String> {
    eprintln!("==> round trips (a local stack on a fresh emulator)");
    let flow = cpor_tests::round_trips::count_flow(3).await;
    eprintln!("==> round trips of the review (a local stack on a fresh emulator)");
    let review = cpor_tests::round_trips::count_review_flow(REVIEW_DUE).await;
    eprintln!("==> round trips of a document upload and of a contest (a local stack each)");
    let documents = cpor_tests::round_trips::count_document_flow().await;
    let contest = cpor_tests::round_trips::count_contest_flow().await;
    let scale = scale_phases(o.seed, logs).await?;
    let ledger = ledger::runs(o.ledger, logs).await?;
    eprintln!("==> the publisher: {EVENT_ENTRIES} history entries, against PutEvents alone");
    let events = events::measure(EVENT_ENTRIES, logs).await?;
    eprintln!("==> a batch of {BATCH_ROWS} claims, against its rows' writes alone");
    let batch = cpor_tests::batch_cost::measure(BATCH_ROWS, BATCH_ROUNDS).await;
    eprintln!(
        "==> webhooks: {} events to {} loopback endpoints, against signing and posting alone",
        webhooks::EVENTS,
        webhooks::ENDPOINTS
    );
    let webhooks = webhooks::measure(logs).await?;
    Ok(Measurements {
        command: o.command.clone(),
        machine: machine(),
        starts: o.starts,
        sizes,
        cold_starts,
        bundle_certificates: std::fs::read_to_string(SYSTEM_BUNDLE)
            .map(|bundle| bundle.matches("BEGIN CERTIFICATE").count())
            .unwrap_or(0),
        flow,
        review,
        documents,
        contest,
        scale,
        ledger,
        events,
        batch,
        webhooks,
        // Criterion ran before this program.
        handler: criterion_median(&o.target_dir),
        profiles: match &o.profile_bin_dir {
            Some(dir) => profile_starts(o, dir, &FUNCTIONS, logs)?,
            None => Vec::new(),
        },
        console: o.console_costs.as_deref().map(console::read).transpose()?,
    })
}
