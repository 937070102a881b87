//! `make bench`: measures cold starts, binary sizes, AWS round trips (the review's too), the
//! nightly run at scale and submit-claim's own cost per request, each beside its baseline in the same run, and writes
//! the results to `BENCHMARKS.md`.
//!
//! Run by `make bench` after it has built the release binaries and run the criterion bench;
//! everything it starts (the emulators, the functions, the Runtime API stand-ins) listens on
//! loopback only and is stopped before it returns.

mod cold_start;
mod events;
mod scale;

use cold_start::{Subject, quantile};
use cpor_tests::round_trips::Calls;
use scale::{Phase, Run, Seed};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const FUNCTIONS: [&str; 9] = [
    "submit-claim",
    "manage-claims",
    "review-claims",
    "notify-customer",
    "record-opt-out",
    "finalize-association",
    "publish-events",
    "notify-partner",
    "record-email-feedback",
];
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

/// Targets of issue 6.
const COLD_START_LIMIT: f64 = 1.5;
const SIZE_LIMIT: u64 = 8 * 1024 * 1024;
const FINALIZE_LIMIT: f64 = 1.25;
const HANDLER_LIMIT_NS: f64 = 50_000.0;
/// "No growth" when the not-due claims double: within the emulator's run-to-run noise.
const DOUBLING_LIMIT: f64 = 1.1;
/// Targets of issue 13: a submission waiting for review, and a review decision (one read and
/// one transaction, and the notification's message when it approves).
const SUBMIT_MANUAL_LIMIT: u64 = 2;
const DECISION_LIMIT: u64 = 2;
const APPROVAL_LIMIT: u64 = 3;
/// Targets of the documents and contests: a document's declaration (a read and a transaction)
/// and its arrival's check and record; a contest's submission (the refused ordinary attempt,
/// then the contest) and its approval (holder superseded, queue message).
const DOCUMENT_DECLARATION_LIMIT: u64 = 2;
const DOCUMENT_ARRIVAL_LIMIT: u64 = 4;
const CONTEST_SUBMIT_LIMIT: u64 = 3;
const CONTEST_APPROVAL_LIMIT: u64 = 4;

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
    /// Only these functions' sizes and cold starts (with `--quick`; all by default).
    only: Vec<String>,
    /// Only the nightly run at scale, printed, without writing the report.
    scale_only: bool,
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
        only: Vec::new(),
        scale_only: false,
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
            "--scale-only" => o.scale_only = true,
            "--only" => o.only.push(value()?),
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
    // As the template sets them.
    let vars: Vec<(&str, &str)> = match name {
        "submit-claim" => vec![table, queue],
        "manage-claims" => vec![table, bucket, queue],
        "review-claims" => vec![table, queue, holidays, bucket],
        "record-document" => vec![table, bucket],
        "notify-customer" | "notify-partner" => vec![
            table,
            ("CPOR_SENDER_EMAIL", "cpor@example.com"),
            ("CPOR_PUBLIC_BASE_URL", "https://claims.example.com"),
            ("CPOR_TOKEN_SECRET", "bench-token-secret-0123456789"),
            ("CPOR_TOKEN_KEY_ID", "k1"),
            holidays,
        ],
        "record-opt-out" => vec![
            table,
            ("CPOR_TOKEN_SECRET", "bench-token-secret-0123456789"),
            ("CPOR_TOKEN_KEY_ID", "k1"),
        ],
        "finalize-association" => vec![table, holidays],
        "publish-events" => vec![table, ("CPOR_EVENT_BUS_NAME", "cpor-bench-events")],
        _ => vec![table],
    };
    vars.into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The publisher's section of the report.
fn events_text(run: &events::EventsRun) -> String {
    let rate = |d: Duration| run.entries as f64 / d.as_secs_f64().max(f64::MIN_POSITIVE);
    format!(
        "## The publisher's throughput\n\n{} history entries (claims moving {} at a time, four entries each: \
         submitted, approved, customer_notified, associated), as the table's stream hands them to Lambda in {} \
         batches of 100, on a fresh emulator. The floor makes only the same {} `PutEvents` calls with the same \
         events, prepared in advance; publish-events' handler also reads each record's new image, maps it to its \
         event and plans the calls (at most ten entries, never two of one claim).\n\n\
         | run | time | entries/s | / floor |\n| --- | --- | --- | --- |\n\
         | floor: PutEvents alone | {:.2} s | {:.0} | 1.00 × |\n\
         | publish-events' handler | {:.2} s | {:.0} | {:.2} × |",
        run.entries,
        events::CLAIMS_AT_ONCE,
        run.batches,
        run.calls,
        run.floor.as_secs_f64(),
        rate(run.floor),
        run.publisher.as_secs_f64(),
        rate(run.publisher),
        run.publisher.as_secs_f64() / run.floor.as_secs_f64().max(f64::MIN_POSITIVE),
    )
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn mib(bytes: u64) -> String {
    format!("{:.2} MiB", bytes as f64 / 1024.0 / 1024.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "yes" } else { "**no**" }
}

fn shell(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    format!(
        "- CPU: {cpu}, `nproc` = {}\n- kernel: {}\n- {}\n- date: {}\n",
        shell("nproc", &[]),
        shell("uname", &["-srm"]),
        shell("rustc", &["-V"]),
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
    )
}

/// The median of the criterion bench `submit-claim*`, in nanoseconds, with its interval.
fn criterion_median(target_dir: &Path) -> Option<(f64, f64, f64)> {
    let root = target_dir.join("criterion");
    let dir = std::fs::read_dir(&root).ok()?.flatten().find(|e| {
        e.file_name()
            .to_string_lossy()
            .starts_with("submit-claim handler")
    })?;
    let text = std::fs::read_to_string(dir.path().join("new/estimates.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let median = &json["median"];
    Some((
        median["point_estimate"].as_f64()?,
        median["confidence_interval"]["lower_bound"].as_f64()?,
        median["confidence_interval"]["upper_bound"].as_f64()?,
    ))
}

fn calls_text(calls: &BTreeMap<String, u64>) -> String {
    calls
        .iter()
        .map(|(op, n)| format!("{n} × {op}"))
        .collect::<Vec<_>>()
        .join(", ")
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
async fn scale_phases(seed: Seed, logs: &std::path::Path) -> Result<Vec<Phase>, String> {
    let mut phases: Vec<Phase> = Vec::new();
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
    Ok(phases)
}

async fn bench() -> Result<(), String> {
    let o = options()?;
    let logs = o.target_dir.join("bench");
    std::fs::create_dir_all(&logs).map_err(|e| e.to_string())?;
    let mut report = String::new();
    let mut met = Vec::new();
    if o.events_only {
        let run = events::measure(EVENT_ENTRIES, &logs).await?;
        println!("{}", events_text(&run));
        return Ok(());
    }
    if o.scale_only {
        for phase in scale_phases(o.seed, &logs).await? {
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

    // Sizes.
    eprintln!("==> sizes");
    let mut sizes = Vec::new();
    for name in std::iter::once(HELLO).chain(functions.iter().copied()) {
        let path = o.bin_dir.join(name);
        let size = std::fs::metadata(&path)
            .map_err(|e| {
                format!(
                    "{}: {e} (build it first: make bench builds it)",
                    path.display()
                )
            })?
            .len();
        sizes.push((name, size));
    }

    // Cold starts.
    eprintln!(
        "==> cold starts: {} starts of each binary, in turns",
        o.starts
    );
    // The functions trust the Amazon roots compiled into them (`cpor_aws::lambda_sdk_config`);
    // each is also started with the system's trust store instead (`CPOR_TLS_SYSTEM_ROOTS=1`),
    // read from the bundle file alone as on Amazon Linux, whose certificate directory holds
    // bundles only (`SSL_CERT_DIR` an empty directory: Debian, this machine, also keeps each
    // root in a file of its own, which the SDK's loader would read one by one).
    let bundle_only = logs.join("cert-dir-empty");
    std::fs::create_dir_all(&bundle_only).map_err(|e| e.to_string())?;
    let bundle_env = ("SSL_CERT_DIR".to_owned(), bundle_only.display().to_string());
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
        let logs = logs.clone();
        let starts = o.starts;
        move || cold_start::measure(&subjects, starts, &logs)
    })
    .await
    .map_err(|e| e.to_string())??;
    secret_emulator.stop();
    let hello = median(&samples[0]);
    let hello_current_thread = median(&samples[1]);
    if o.quick {
        for (name, size) in &sizes {
            println!("{name:<22} {}", mib(*size));
        }
        for (subject, times) in subjects.iter().zip(&samples) {
            println!(
                "{:<44} median {:>9}  p90 {:>9}  {:.2} x hello",
                subject.name,
                ms(median(times)),
                ms(quantile(times, 0.9)),
                median(times).as_secs_f64() / hello.as_secs_f64(),
            );
        }
        return Ok(());
    }

    // Round trips.
    eprintln!("==> round trips (a local stack on a fresh emulator)");
    let flow = cpor_tests::round_trips::count_flow(3).await;
    eprintln!("==> round trips of the review (a local stack on a fresh emulator)");
    let review = cpor_tests::round_trips::count_review_flow(REVIEW_DUE).await;
    eprintln!("==> round trips of a document upload and of a contest (a local stack each)");
    let documents = cpor_tests::round_trips::count_document_flow().await;
    let contest = cpor_tests::round_trips::count_contest_flow().await;

    // The nightly run at scale.
    let phases = scale_phases(o.seed, &logs).await?;

    // The publisher's throughput.
    eprintln!("==> the publisher: {EVENT_ENTRIES} history entries, against PutEvents alone");
    let events_run = events::measure(EVENT_ENTRIES, &logs).await?;

    // Handler overhead (criterion ran before this program).
    let handler = criterion_median(&o.target_dir);

    // The report.
    writeln!(
        report,
        "# Benchmarks\n\nWritten by `{}` (the `cpor-bench` program, `infra/bench`); every number \
         below comes from one run of it, each measurement beside its baseline in that same run. \
         Re-run it to refresh this file.\n\n## Machine\n\n{}",
        o.command,
        machine()
    )
    .ok();

    writeln!(report, "## Summary\n\n| measure | result | baseline | target | met |\n| --- | --- | --- | --- | --- |").ok();
    let slowest = |suffix: &str| {
        subjects
            .iter()
            .zip(&samples)
            .filter(|(subject, _)| {
                FUNCTIONS
                    .iter()
                    .any(|f| subject.name == format!("{f}{suffix}"))
            })
            .map(|(subject, times)| (subject.name.clone(), median(times)))
            .max_by_key(|(_, d)| *d)
            .unwrap_or_default()
    };
    for (suffix, what, counts) in [
        (
            "",
            "as deployed: Amazon's root certificates compiled in",
            true,
        ),
        (
            SYSTEM_STORE,
            "with the system's trust store instead, as on Amazon Linux",
            false,
        ),
    ] {
        let (name, worst) = slowest(suffix);
        let ratio = worst.as_secs_f64() / hello.as_secs_f64().max(f64::MIN_POSITIVE);
        if counts {
            met.push(ratio <= COLD_START_LIMIT);
        }
        writeln!(
            report,
            "| cold start, slowest function, median ({what}) | {} ({name}) | hello world {} | ≤ {COLD_START_LIMIT} × | {} ({ratio:.2} ×) |",
            ms(worst),
            ms(hello),
            verdict(ratio <= COLD_START_LIMIT)
        )
        .ok();
    }
    {
        // Like for like: the functions run on the current-thread runtime, the template's hello
        // world on the multi-thread one. Reported, not a target of its own.
        let (name, worst) = slowest("");
        let ratio = worst.as_secs_f64() / hello_current_thread.as_secs_f64().max(f64::MIN_POSITIVE);
        writeln!(
            report,
            "| cold start, slowest function, median, against the hello world on the functions' current-thread runtime | {} ({name}) | hello world (current-thread) {} | (for information) | {ratio:.2} × |",
            ms(worst),
            ms(hello_current_thread),
        )
        .ok();
    }
    let largest = sizes[1..]
        .iter()
        .max_by_key(|(_, s)| *s)
        .copied()
        .unwrap_or(("", 0));
    met.push(largest.1 < SIZE_LIMIT);
    writeln!(
        report,
        "| largest bootstrap (stripped) | {} ({}) | hello world {} | < 8 MiB | {} |",
        mib(largest.1),
        largest.0,
        mib(sizes[0].1),
        verdict(largest.1 < SIZE_LIMIT)
    )
    .ok();
    let submit = flow.of("submit-claim");
    let decline = flow.of("record-opt-out: POST");
    let finalize_calls = flow.of("finalize-association");
    let scans = |calls: &Calls| {
        calls
            .iter()
            .filter(|(op, _)| op.ends_with(".Scan"))
            .map(|(_, n)| n)
            .sum::<u64>()
    };
    let no_scan = scans(&flow.total) == 0 && scans(&review.total) == 0;
    let submit_decline_met =
        submit.values().sum::<u64>() <= 3 && decline.values().sum::<u64>() <= 2;
    met.push(submit_decline_met);
    writeln!(
        report,
        "| round trips: submit / decline | {} / {} requests | | ≤ 3 / 2 | {} |",
        submit.values().sum::<u64>(),
        decline.values().sum::<u64>(),
        verdict(submit_decline_met)
    )
    .ok();
    // The most any operation named `prefix…` of the review flow cost.
    let most = |prefix: &str| {
        review
            .operations
            .iter()
            .filter(|op| op.operation.starts_with(prefix))
            .map(|op| op.calls.values().sum::<u64>())
            .max()
            .unwrap_or_default()
    };
    let submit_manual = most("submit-claim");
    let decision =
        most("review-claims: POST request-information").max(most("review-claims: POST reject"));
    let approval = most("review-claims: POST approve");
    let review_met = submit_manual <= SUBMIT_MANUAL_LIMIT
        && decision <= DECISION_LIMIT
        && approval <= APPROVAL_LIMIT;
    met.push(review_met);
    writeln!(
        report,
        "| round trips of the review: submit under manual review / a decision (request information, reject) / an approval (with its queue message) | {submit_manual} / {decision} / {approval} requests, at most | | ≤ {SUBMIT_MANUAL_LIMIT} / {DECISION_LIMIT} / {APPROVAL_LIMIT} | {} |",
        verdict(review_met)
    )
    .ok();
    let requests = |flow: &cpor_tests::round_trips::FlowCalls, prefix: &str| {
        flow.of(prefix).values().sum::<u64>()
    };
    let (declaration, arrival) = (
        requests(&documents, "manage-claims: POST /documents"),
        requests(&documents, "record-document"),
    );
    let documents_met = (1..=DOCUMENT_DECLARATION_LIMIT).contains(&declaration)
        && (1..=DOCUMENT_ARRIVAL_LIMIT).contains(&arrival);
    met.push(documents_met);
    writeln!(
        report,
        "| round trips of a document upload: its declaration / its arrival's check and record | {declaration} / {arrival} requests | | ≤ {DOCUMENT_DECLARATION_LIMIT} / {DOCUMENT_ARRIVAL_LIMIT} | {} |",
        verdict(documents_met)
    )
    .ok();
    let (contest_submit, contest_approval) = (
        requests(&contest, "submit-claim: a contest"),
        requests(&contest, "review-claims: approve a contest"),
    );
    let contest_met = (1..=CONTEST_SUBMIT_LIMIT).contains(&contest_submit)
        && (1..=CONTEST_APPROVAL_LIMIT).contains(&contest_approval);
    met.push(contest_met);
    writeln!(
        report,
        "| round trips of a contest: its submission / its approval (holder superseded, queue message) | {contest_submit} / {contest_approval} requests | | ≤ {CONTEST_SUBMIT_LIMIT} / {CONTEST_APPROVAL_LIMIT} | {} |",
        verdict(contest_met)
    )
    .ok();
    met.push(no_scan);
    writeln!(
        report,
        "| Scan requests in a whole flow (the partner's and customer's; the review's) | {} ; {} | | 0 | {} |",
        scans(&flow.total),
        scans(&review.total),
        verdict(no_scan)
    )
    .ok();
    let (floor, finalize, doubled) = (&phases[0], &phases[1], &phases[2]);
    let secs = |p: &Phase| p.time.as_secs_f64();
    let reads = |p: &Phase| p.index_read.unwrap_or_default().as_secs_f64();
    let scale_ratio = secs(finalize) / secs(floor);
    let writes_ratio = (secs(finalize) - reads(finalize)) / secs(floor);
    let doubling = secs(doubled) / secs(finalize);
    let doubled_writes = (secs(doubled) - reads(doubled)) / (secs(finalize) - reads(finalize));
    let same_requests = doubled.calls == finalize.calls;
    let no_growth = doubling <= DOUBLING_LIMIT && same_requests;
    met.push(scale_ratio <= FINALIZE_LIMIT);
    met.push(no_growth);
    writeln!(
        report,
        "| the nightly run, {} due opt-outs + {} due responses among {} not due | {:.2} s | floor {:.2} s | ≤ {FINALIZE_LIMIT} × | {} ({scale_ratio:.2} ×; without its index reads: {writes_ratio:.2} ×) |",
        finalize.seed.due_opt_outs,
        finalize.seed.due_responses,
        finalize.seed.not_due,
        secs(finalize),
        secs(floor),
        verdict(scale_ratio <= FINALIZE_LIMIT)
    )
    .ok();
    writeln!(
        report,
        "| the nightly run, not-due claims doubled ({}) | {:.2} s, {} | {:.2} s with {} | no growth (≤ {DOUBLING_LIMIT} × the time, the same requests) | {} ({doubling:.2} ×; without the index reads: {doubled_writes:.2} ×) |",
        doubled.seed.not_due,
        secs(doubled),
        if same_requests {
            "the same requests".to_owned()
        } else {
            format!("other requests: {}", calls_text(&doubled.calls))
        },
        secs(finalize),
        finalize.seed.not_due,
        verdict(no_growth)
    )
    .ok();
    match handler {
        Some((median_ns, low, high)) => {
            met.push(median_ns < HANDLER_LIMIT_NS);
            writeln!(
                report,
                "| submit-claim handler's own work per request (criterion median) | {:.1} µs [{:.1}, {:.1}] | | < 50 µs | {} |",
                median_ns / 1000.0, low / 1000.0, high / 1000.0, verdict(median_ns < HANDLER_LIMIT_NS)
            )
            .ok();
        }
        None => {
            writeln!(
                report,
                "| submit-claim handler (criterion) | not run | | < 50 µs | **no** |"
            )
            .ok();
        }
    }

    writeln!(
        report,
        "\n## Cold start\n\nFrom starting the release binary to its first `GET /2018-06-01/runtime/invocation/next` \
         at a stand-in for the Lambda Runtime API on 127.0.0.1: {} starts of each (after one unmeasured start), \
         taken in turns. Each binary gets the environment Lambda gives (`AWS_LAMBDA_RUNTIME_API`, function name, \
         256 MB memory size, region, credentials, ...) and its own `CPOR_*` variables, and nothing else of this machine's.\n\n\
         | binary | median | p90 | min | median / hello | median / hello (current-thread) |\n| --- | --- | --- | --- | --- | --- |",
        o.starts
    )
    .ok();
    for (subject, times) in subjects.iter().zip(&samples) {
        writeln!(
            report,
            "| {} | {} | {} | {} | {:.2} × | {:.2} × |",
            subject.name,
            ms(median(times)),
            ms(quantile(times, 0.9)),
            ms(quantile(times, 0.0)),
            median(times).as_secs_f64() / hello.as_secs_f64(),
            median(times).as_secs_f64() / hello_current_thread.as_secs_f64()
        )
        .ok();
    }
    writeln!(
        report,
        "\nThe baseline is the hello world of `cargo lambda new`'s template, `#[tokio::main]`: tokio's \
         multi-thread runtime, whose workers (one per CPU) start with it. The functions run on the \
         current-thread runtime (`#[tokio::main(flavor = \"current_thread\")]`): an execution environment \
         handles one invocation at a time on a fraction of a vCPU, and their concurrency is I/O. So the last \
         column compares them with the same hello world on that runtime (`{HELLO_CURRENT_THREAD}`, \
         `infra/bench/hello/src/bin`): what the functions' own start-up costs beyond the runtime's."
    )
    .ok();
    writeln!(
        report,
        "\nThe SDK loads its trust store when it builds a client, at start-up. By default that is the \
         system's: `rustls-native-certs` reads and parses the bundle file (and every file of the certificate \
         directory; Amazon Linux, Lambda's `provided.al2023`, keeps bundles only there), some {} certificates. \
         The functions call AWS endpoints only, whose certificates Amazon Trust Services issues, so they trust \
         its five root certificates alone, compiled in (`shared/aws/certs`, `cpor_aws::lambda_sdk_config`). \
         The `{SYSTEM_STORE}` rows start them with `CPOR_TLS_SYSTEM_ROOTS=1`, which brings the system's store \
         back, read from the bundle file alone (`SSL_CERT_FILE` the bundle, `SSL_CERT_DIR` an empty directory) as on Amazon Linux: the \
         difference is what the compiled-in roots save. The hello world loads no certificates. (Not measured \
         on Lambda itself: no AWS account here.)\n",
        std::fs::read_to_string(SYSTEM_BUNDLE)
            .map(|bundle| bundle.matches("BEGIN CERTIFICATE").count())
            .unwrap_or(0)
    )
    .ok();
    writeln!(
        report,
        "notify-customer and record-opt-out read the opt-out token's secret at start-up. The rows without \
         `+secret` take it from `CPOR_TOKEN_SECRET` (as locally); the `+secret` rows take it from Secrets Manager as \
         deployed (`CPOR_TOKEN_SECRET_ARN`), here the emulator's over plain HTTP on loopback. Deployed, that read \
         also pays a TLS handshake and a network round trip to Secrets Manager (typically tens of milliseconds): \
         the one AWS request a cold start makes, and the price of never holding the secret in an environment variable."
    )
    .ok();

    writeln!(
        report,
        "\n## Size\n\nEach binary as `cargo build --release` leaves it (the release profile strips it), x86_64-unknown-linux-gnu.\n\n| binary | bytes | size |\n| --- | --- | --- |"
    )
    .ok();
    for (name, size) in &sizes {
        writeln!(report, "| {name} | {size} | {} |", mib(*size)).ok();
    }

    writeln!(
        report,
        "\n## Round trips\n\nAWS requests per operation, counted at the SDK's HTTP connector (retries would count too), \
         through the local stack on a fresh emulator (`cpor_tests::round_trips`, checked by `tests/flows/round_trips.rs`).\n\n\
         | operation | requests | AWS requests |\n| --- | --- | --- |"
    )
    .ok();
    for op in &flow.operations {
        writeln!(
            report,
            "| {} | {} | {} |",
            op.operation,
            op.calls.values().sum::<u64>(),
            calls_text(&op.calls)
        )
        .ok();
    }
    writeln!(
        report,
        "\nThe whole flow, set-up included: {}.\n\nFinalization of {} claims: {}.",
        calls_text(&flow.total),
        flow.finalized,
        calls_text(&finalize_calls)
    )
    .ok();

    writeln!(
        report,
        "\n## Round trips of the review\n\nThe same count for the review, on a local stack of its own under the `manual` \
         review policy (`cpor_tests::round_trips::count_review_flow`, checked by `tests/flows/round_trips.rs`): \
         each review route and each of the partner's moves once, then a nightly run after the due time of {REVIEW_DUE} \
         information requests left unanswered. An approval queues the customer's notification (the `SQS.SendMessage`); \
         nothing reads the queue during the count.\n\n\
         | operation | requests | AWS requests |\n| --- | --- | --- |"
    )
    .ok();
    for op in &review.operations {
        writeln!(
            report,
            "| {} | {} | {} |",
            op.operation,
            op.calls.values().sum::<u64>(),
            calls_text(&op.calls)
        )
        .ok();
    }
    writeln!(
        report,
        "\nThe whole flow, set-up included: {}.\n\nThe nightly run rejected {} unanswered requests: a `TransactWriteItems` \
         (the claim, its history entry, its lock released) each, built from the due index's entry without reading \
         the claim, beside its fixed reads: one `Query` per shard of the due index and one of the review index, \
         which counts the overdue reviews oldest first and stops at the first that is not overdue.",
        calls_text(&review.total),
        review.finalized,
    )
    .ok();

    for (title, text, flow) in [
        (
            "Round trips of a document upload",
            "`cpor_tests::round_trips::count_document_flow`, checked by `tests/flows/round_trips.rs`: a PDF of 2 KiB \
             declared, its bytes sent with the presigned PUT (directly to storage: no request of the service's), \
             then the bucket's notification handed to record-document by hand. Presigning is local computation: the \
             upload and download links cost no request.",
            &documents,
        ),
        (
            "Round trips of a contest",
            "`cpor_tests::round_trips::count_contest_flow`, checked by `tests/flows/round_trips.rs`: Fabrikam's claim \
             approved, then Northwind's contest of its unit submitted (its ordinary attempt refused by the held lock, \
             then the contested claim with its contest record) and approved (both claims, both history entries, the \
             contest record and the lock handed over in one transaction, then the customer's notification queued). \
             An ordinary submission costs nothing more for contests: its check that the partner does not contest the \
             unit is a `ConditionCheck` inside its one transaction.",
            &contest,
        ),
    ] {
        writeln!(
            report,
            "\n## {title}\n\n{text}\n\n| operation | requests | AWS requests |\n| --- | --- | --- |"
        )
        .ok();
        for op in &flow.operations {
            writeln!(
                report,
                "| {} | {} | {} |",
                op.operation,
                op.calls.values().sum::<u64>(),
                calls_text(&op.calls)
            )
            .ok();
        }
    }

    writeln!(
        report,
        "\n## The nightly run at scale\n\nEach row on a fresh emulator whose table was seeded with `BatchWriteItem` \
         (`DynamoStore::seed_claims`: the items exactly as the service stores them: claim with its index attributes, \
         history, lock), each claim for a tenant of its own. Every claim passed review first (approved automatically, \
         or asked for information by a reviewer). The due claims are the due opt-outs, awaiting their customers \
         with deadlines 1 to 72 hours past, and the due responses, in `information_requested` since 10 to 13 days \
         before the run, their `response_due` past. The not-due claims are what a table holds after months of \
         service, in turns of {}: 6 in 10 associated, 1 in 10 declined and 1 in 10 withdrawn (in no index the run \
         reads); 1 in 10 awaiting the customer with the deadline ahead and 1 in 20 waiting for a response not yet \
         due (in the due index, beyond the query's key condition); 1 in 20 submitted within the last two days (in \
         the review index, not overdue); the waiting responses are in the review index too, in the partition \
         of the claims waiting for their partners. The seed is checked \
         before it is written: exactly the due claims have a nightly deadline before the run, and no review is overdue.\n\n\
         finalize-association's run (`FinalizeAssociationFunction::run`) reads the due index (which holds whole \
         claims), associates each due opt-out and rejects each due response with one conditional \
         `TransactWriteItems` each, built from the index entry, {} claims at a time, then counts the overdue \
         reviews from the review index's partition of the claims waiting for a reviewer. The floor issues only \
         those writes, at the same concurrency, for claims known in advance: `DynamoStore::apply` of \
         `Claim::finalize` or `Claim::reject_for_no_response` built from the seeded claim; it reads no index. Each run must associate every due opt-out and reject every due response (and the function \
         count no overdue review), or `make bench` fails. \"Its index reads alone\" is the due index's pages read \
         before the run plus the overdue count taken again after it, on the same table.\n\n\
         | run | due opt-outs | due responses | not due | items seeded (time) | run time | its index reads alone | per due claim | associated / rejected | AWS requests |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        scale::TURN,
        cpor_domain::usecase::finalize::DEFAULT_CONCURRENCY
    )
    .ok();
    for p in &phases {
        writeln!(
            report,
            "| {} | {} | {} | {} | {} ({:.1} s) | {:.2} s | {} | {:.2} ms | {} / {} | {} |",
            match p.run {
                Run::Floor => "floor (writes only)",
                Run::Finalize => "finalize-association",
            },
            p.seed.due_opt_outs,
            p.seed.due_responses,
            p.seed.not_due,
            p.seeded_items,
            p.seed_time.as_secs_f64(),
            secs(p),
            p.index_read
                .map_or("—".to_owned(), |d| format!("{:.2} s", d.as_secs_f64())),
            secs(p) * 1000.0 / p.seed.due().max(1) as f64,
            p.finalized,
            p.rejected,
            calls_text(&p.calls)
        )
        .ok();
    }
    writeln!(
        report,
        "\nfinalize / floor = {scale_ratio:.2} ({writes_ratio:.2} without the index reads); doubling the not-due claims: \
         {doubling:.2} × the time ({doubled_writes:.2} without the index reads), {}. \
         These are the emulator's times: it serializes DynamoDB requests and answers each in milliseconds. \
         The requests show the shape: one write per due claim, one query per page of a due-index shard, one \
         query of the review index, and no request for a claim that is not due. What the \
         not-due claims can still cost is the emulator's: it gives a query only the index partition it reads \
         (`infra/local/serialized_moto.py`; moto alone sorts the whole table on every query, 2 s a query at \
         100,000 items), but then checks each item of that partition against the key condition in Python, so the \
         not-due claims in the due index (deadlines ahead) and in the review index's partition cost its queries \
         some time; DynamoDB reads only the matching range.",
        if same_requests {
            "with the same requests".to_owned()
        } else {
            format!(
                "with other requests ({} against {})",
                calls_text(&doubled.calls),
                calls_text(&finalize.calls)
            )
        }
    )
    .ok();

    writeln!(report, "\n{}", events_text(&events_run)).ok();

    writeln!(
        report,
        "\n## Handler overhead\n\n`cargo bench -p submit-claim --bench handler` (criterion): `SubmitClaimFunction::handle` \
         on one `POST /v1/claims` event (JWT claims, idempotency key, a valid body), on in-memory ports \
         (`cpor_domain::memory`), single-threaded: reading the caller and headers, parsing and validating the body, \
         the body's fingerprint, building the claim, the in-memory store's and queue's work, and rendering the 201 answer."
    )
    .ok();
    if let Some((median_ns, low, high)) = handler {
        writeln!(
            report,
            "\nMedian {:.2} µs per request (95 % interval {:.2}–{:.2} µs).",
            median_ns / 1000.0,
            low / 1000.0,
            high / 1000.0
        )
        .ok();
    }

    std::fs::write(&o.out, &report).map_err(|e| format!("{}: {e}", o.out.display()))?;
    println!("{report}");
    eprintln!("==> wrote {}", o.out.display());
    if met.iter().all(|m| *m) {
        Ok(())
    } else {
        eprintln!("cpor-bench: some targets were not met (see the summary)");
        Ok(())
    }
}
