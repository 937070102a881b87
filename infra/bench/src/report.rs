//! BENCHMARKS.md from what a run measured: the measurements are gathered first
//! ([`Measurements`]), then each section of the report is written from them, the summary as a
//! table of rows ([`SummaryRow`]), each with its verdict.

use crate::cold_start::quantile;
use crate::console::ConsoleCosts;
use crate::events::{self, EventsRun};
use crate::ledger::{LedgerPhase, LedgerRun, LedgerRuns};
use crate::profile::StartProfile;
use crate::scale::{self, Phase, Run};
use crate::{FUNCTIONS, HELLO_CURRENT_THREAD, REVIEW_DUE, SYSTEM_STORE};
use cpor_tests::batch_cost::{BATCH_CONCURRENCY, BatchCost, FLOOR_CONCURRENCY};
use cpor_tests::round_trips::{Calls, FlowCalls, OperationCalls};
use std::fmt::Write as _;
use std::time::Duration;

/// Targets of issue 6.
const COLD_START_LIMIT: f64 = 1.5;
const SIZE_LIMIT: u64 = 8 * 1024 * 1024;
const FINALIZE_LIMIT: f64 = 1.25;
/// A batch's whole processing against its floor (its rows' submission writes alone).
const BATCH_LIMIT: f64 = 1.25;
const HANDLER_LIMIT_NS: f64 = 50_000.0;
/// "No growth" when the not-due claims double: within the emulator's run-to-run noise.
const DOUBLING_LIMIT: f64 = 1.1;
/// The payout ledger's export against the floor that only pages through the same index.
const LEDGER_LIMIT: f64 = 1.25;
/// The partner's share of the partner API, counted in the table: one `UpdateItem` on every
/// request of a partner's (a reviewer's and a customer's requests have none).
const PARTNER_SHARE: u64 = 1;
/// A submission waiting for review (the share, the reference read, one transaction) and a review
/// decision (one read and one transaction; an approval's notification is queued by its history
/// entry, through the outbox, with no message of its own).
const SUBMIT_MANUAL_LIMIT: u64 = PARTNER_SHARE + 2;
const DECISION_LIMIT: u64 = 2;
const APPROVAL_LIMIT: u64 = 2;
/// A document's declaration (the share, a read and a transaction) and its arrival's check and
/// record; a contest's submission (the share, the reference read, the refused ordinary attempt,
/// the holder read to tell it, then the contest) and its approval (both claims read, one
/// transaction superseding the holder).
const DOCUMENT_DECLARATION_LIMIT: u64 = PARTNER_SHARE + 2;
const DOCUMENT_ARRIVAL_LIMIT: u64 = 4;
const CONTEST_SUBMIT_LIMIT: u64 = PARTNER_SHARE + 4;
const CONTEST_APPROVAL_LIMIT: u64 = 3;

/// Everything one run of `make bench` measured, and what the report says of where.
pub struct Measurements {
    /// The command that ran the bench, named in the report's first line.
    pub command: String,
    pub machine: Machine,
    /// Measured starts of each binary.
    pub starts: usize,
    /// Each binary's size in bytes, the hello world's first.
    pub sizes: Vec<(String, u64)>,
    /// Each binary started and its start times: the hello world first, then the same on the
    /// current-thread runtime, then the functions.
    pub cold_starts: Vec<(String, Vec<Duration>)>,
    /// The certificates in this machine's bundle, which the system's trust store reads.
    pub bundle_certificates: usize,
    pub flow: FlowCalls,
    pub review: FlowCalls,
    pub documents: FlowCalls,
    pub contest: FlowCalls,
    pub scale: ScaleRuns,
    /// The payout ledger's export at scale.
    pub ledger: LedgerRuns,
    pub events: EventsRun,
    /// Webhook deliveries against their floor, their latency, a slow endpoint's effect.
    pub webhooks: crate::webhooks::WebhookRuns,
    /// A batch of valid claims against its floor, and its requests per row.
    pub batch: BatchCost,
    /// The criterion bench's median, if it ran.
    pub handler: Option<Criterion>,
    /// The start-up paths under callgrind: the hello world on the current-thread runtime first,
    /// then the functions (none when the bench was not given binaries with their symbols).
    pub profiles: Vec<StartProfile>,
    /// What the console's screens cost in a browser (none when the bench was not given them).
    pub console: Option<ConsoleCosts>,
}

/// Where the numbers were taken.
pub struct Machine {
    pub cpu: String,
    pub nproc: String,
    pub kernel: String,
    pub rustc: String,
    pub date: String,
}

/// The nightly run at scale: the floor, the run, and the run with its not-due claims doubled.
pub struct ScaleRuns {
    pub floor: Phase,
    pub finalize: Phase,
    pub doubled: Phase,
}

impl ScaleRuns {
    pub fn all(&self) -> [&Phase; 3] {
        [&self.floor, &self.finalize, &self.doubled]
    }
}

/// A criterion median and its 95 % interval, in nanoseconds.
pub struct Criterion {
    pub median_ns: f64,
    pub low_ns: f64,
    pub high_ns: f64,
}

/// The report, and whether every target it checks was met.
pub struct Report {
    pub text: String,
    pub met: bool,
}

/// Writes the report from `m`.
pub fn render(m: &Measurements) -> Report {
    let rows = summary_rows(m);
    let mut out = String::new();
    header(&mut out, m);
    summary(&mut out, &rows);
    cold_start(&mut out, m);
    out.push_str(&profile_text(&m.profiles));
    sizes(&mut out, m);
    round_trips(&mut out, m);
    scale_section(&mut out, &m.scale);
    out.push_str(&ledger_text(&m.ledger));
    writeln!(out, "\n{}", events_text(&m.events)).ok();
    writeln!(out, "\n{}", batch_text(&m.batch)).ok();
    writeln!(out, "\n{}", crate::webhooks::text(&m.webhooks)).ok();
    handler(&mut out, m.handler.as_ref());
    if let Some(costs) = &m.console {
        console_section(&mut out, costs);
    }
    Report {
        text: out,
        met: rows.iter().all(|row| row.counted != Some(false)),
    }
}

/// One line of the summary: what is measured, its result and baseline, the target and whether
/// it is met.
struct SummaryRow {
    measure: String,
    result: String,
    baseline: String,
    target: String,
    met: String,
    /// Whether the row's target counts towards the bench's verdict, and if so, whether it was met.
    counted: Option<bool>,
}

impl SummaryRow {
    /// A row whose target counts.
    fn target(measure: String, result: String, baseline: String, target: String, ok: bool) -> Self {
        Self {
            measure,
            result,
            baseline,
            target,
            met: verdict(ok).to_owned(),
            counted: Some(ok),
        }
    }

    /// The same, with the ratio or detail that decided it after the verdict.
    fn because(mut self, detail: String) -> Self {
        self.met = format!("{} ({detail})", self.met);
        self
    }

    /// The same, reported without counting towards the bench's verdict.
    fn uncounted(mut self) -> Self {
        self.counted = None;
        self
    }
}

/// A table row of `cells`; an empty cell is written as one space.
fn table_row(cells: &[&str]) -> String {
    let mut row = String::from("|");
    for cell in cells {
        if cell.is_empty() {
            row.push_str(" |");
        } else {
            write!(row, " {cell} |").ok();
        }
    }
    row
}

fn summary_rows(m: &Measurements) -> Vec<SummaryRow> {
    let mut rows = cold_start_rows(m);
    rows.push(size_row(m));
    rows.extend(round_trip_rows(m));
    rows.extend(scale_rows(&m.scale));
    rows.extend(ledger_rows(&m.ledger));
    rows.extend(batch_rows(&m.batch));
    rows.push(handler_row(m.handler.as_ref()));
    rows.extend(m.console.as_ref().map(console_rows).into_iter().flatten());
    rows
}

/// The median of the start times of `m`'s `i`th binary.
fn median_start(m: &Measurements, i: usize) -> Duration {
    m.cold_starts
        .get(i)
        .map_or(Duration::ZERO, |(_, times)| median(times))
}

/// The function slowest to start, median, among those started with `suffix`.
fn slowest(m: &Measurements, suffix: &str) -> (String, Duration) {
    m.cold_starts
        .iter()
        .filter(|(name, _)| FUNCTIONS.iter().any(|f| *name == format!("{f}{suffix}")))
        .map(|(name, times)| (name.clone(), median(times)))
        .max_by_key(|(_, d)| *d)
        .unwrap_or_default()
}

fn cold_start_rows(m: &Measurements) -> Vec<SummaryRow> {
    let (hello, hello_current_thread) = (median_start(m, 0), median_start(m, 1));
    let mut rows = Vec::new();
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
        let (name, worst) = slowest(m, suffix);
        let ratio = worst.as_secs_f64() / hello.as_secs_f64().max(f64::MIN_POSITIVE);
        let row = SummaryRow::target(
            format!("cold start, slowest function, median ({what})"),
            format!("{} ({name})", ms(worst)),
            format!("hello world {}", ms(hello)),
            format!("≤ {COLD_START_LIMIT} ×"),
            ratio <= COLD_START_LIMIT,
        )
        .because(format!("{ratio:.2} ×"));
        rows.push(if counts { row } else { row.uncounted() });
    }
    // Like for like: the functions run on the current-thread runtime, the template's hello
    // world on the multi-thread one. Reported, not a target of its own.
    let (name, worst) = slowest(m, "");
    let ratio = worst.as_secs_f64() / hello_current_thread.as_secs_f64().max(f64::MIN_POSITIVE);
    rows.push(SummaryRow {
        measure: "cold start, slowest function, median, against the hello world on the functions' current-thread runtime".into(),
        result: format!("{} ({name})", ms(worst)),
        baseline: format!("hello world (current-thread) {}", ms(hello_current_thread)),
        target: "(for information)".into(),
        met: format!("{ratio:.2} ×"),
        counted: None,
    });
    rows
}

fn size_row(m: &Measurements) -> SummaryRow {
    let largest = m
        .sizes
        .iter()
        .skip(1)
        .max_by_key(|(_, s)| *s)
        .cloned()
        .unwrap_or_default();
    let hello = m.sizes.first().map_or(0, |(_, s)| *s);
    SummaryRow::target(
        "largest bootstrap (stripped)".into(),
        format!("{} ({})", mib(largest.1), largest.0),
        format!("hello world {}", mib(hello)),
        "< 8 MiB".into(),
        largest.1 < SIZE_LIMIT,
    )
}

/// The requests of `flow`'s first operation named `prefix…`.
fn requests(flow: &FlowCalls, prefix: &str) -> u64 {
    flow.of(prefix).values().sum()
}

/// The most any operation named `prefix…` of `flow` cost.
fn most(flow: &FlowCalls, prefix: &str) -> u64 {
    flow.operations
        .iter()
        .filter(|op| op.operation.starts_with(prefix))
        .map(|op| op.calls.values().sum::<u64>())
        .max()
        .unwrap_or_default()
}

fn scans(calls: &Calls) -> u64 {
    calls
        .iter()
        .filter(|(op, _)| op.ends_with(".Scan"))
        .map(|(_, n)| n)
        .sum()
}

fn round_trip_rows(m: &Measurements) -> Vec<SummaryRow> {
    let (submit, decline) = (
        requests(&m.flow, "submit-claim"),
        requests(&m.flow, "record-opt-out: POST"),
    );
    let submit_manual = most(&m.review, "submit-claim");
    let decision = most(&m.review, "review-claims: POST request-information")
        .max(most(&m.review, "review-claims: POST reject"));
    let approval = most(&m.review, "review-claims: POST approve");
    let (declaration, arrival) = (
        requests(&m.documents, "manage-claims: POST /documents"),
        requests(&m.documents, "record-document"),
    );
    let (contest_submit, contest_approval) = (
        requests(&m.contest, "submit-claim: a contest"),
        requests(&m.contest, "review-claims: approve a contest"),
    );
    let (flow_scans, review_scans) = (scans(&m.flow.total), scans(&m.review.total));
    vec![
        SummaryRow::target(
            "round trips: submit / decline".into(),
            format!("{submit} / {decline} requests"),
            String::new(),
            format!("≤ {} / 2", PARTNER_SHARE + 2),
            submit <= PARTNER_SHARE + 2 && decline <= 2,
        ),
        SummaryRow::target(
            "round trips of the review: submit under manual review / a decision (request information, reject) / an approval (its notification through the outbox)".into(),
            format!("{submit_manual} / {decision} / {approval} requests, at most"),
            String::new(),
            format!("≤ {SUBMIT_MANUAL_LIMIT} / {DECISION_LIMIT} / {APPROVAL_LIMIT}"),
            submit_manual <= SUBMIT_MANUAL_LIMIT
                && decision <= DECISION_LIMIT
                && approval <= APPROVAL_LIMIT,
        ),
        SummaryRow::target(
            "round trips of a document upload: its declaration / its arrival's check and record".into(),
            format!("{declaration} / {arrival} requests"),
            String::new(),
            format!("≤ {DOCUMENT_DECLARATION_LIMIT} / {DOCUMENT_ARRIVAL_LIMIT}"),
            (1..=DOCUMENT_DECLARATION_LIMIT).contains(&declaration)
                && (1..=DOCUMENT_ARRIVAL_LIMIT).contains(&arrival),
        ),
        SummaryRow::target(
            "round trips of a contest: its submission / its approval (holder superseded)".into(),
            format!("{contest_submit} / {contest_approval} requests"),
            String::new(),
            format!("≤ {CONTEST_SUBMIT_LIMIT} / {CONTEST_APPROVAL_LIMIT}"),
            (1..=CONTEST_SUBMIT_LIMIT).contains(&contest_submit)
                && (1..=CONTEST_APPROVAL_LIMIT).contains(&contest_approval),
        ),
        SummaryRow::target(
            "Scan requests in a whole flow (the partner's and customer's; the review's)".into(),
            format!("{flow_scans} ; {review_scans}"),
            String::new(),
            "0".into(),
            flow_scans == 0 && review_scans == 0,
        ),
    ]
}

/// A phase's run time, in seconds.
fn secs(p: &Phase) -> f64 {
    p.time.as_secs_f64()
}

/// How the nightly runs compare.
struct ScaleRatios {
    /// The run against the floor.
    run: f64,
    /// The same without the run's index reads.
    writes: f64,
    /// The doubled run against the run.
    doubling: f64,
    /// The same without either run's index reads.
    doubled_writes: f64,
    /// Whether the doubled run made the same requests.
    same_requests: bool,
}

impl ScaleRatios {
    fn of(s: &ScaleRuns) -> Self {
        let reads = |p: &Phase| p.index_read.unwrap_or_default().as_secs_f64();
        let (floor, finalize, doubled) = (&s.floor, &s.finalize, &s.doubled);
        Self {
            run: secs(finalize) / secs(floor),
            writes: (secs(finalize) - reads(finalize)) / secs(floor),
            doubling: secs(doubled) / secs(finalize),
            doubled_writes: (secs(doubled) - reads(doubled)) / (secs(finalize) - reads(finalize)),
            same_requests: doubled.calls == finalize.calls,
        }
    }
}

fn scale_rows(s: &ScaleRuns) -> [SummaryRow; 2] {
    let r = ScaleRatios::of(s);
    let (finalize, doubled) = (&s.finalize, &s.doubled);
    let requests = if r.same_requests {
        "the same requests".to_owned()
    } else {
        format!("other requests: {}", calls_text(&doubled.calls))
    };
    [
        SummaryRow::target(
            format!(
                "the nightly run, {} due opt-outs + {} due responses among {} not due",
                finalize.seed.due_opt_outs, finalize.seed.due_responses, finalize.seed.not_due
            ),
            format!("{:.2} s", secs(finalize)),
            format!("floor {:.2} s", secs(&s.floor)),
            format!("≤ {FINALIZE_LIMIT} ×"),
            r.run <= FINALIZE_LIMIT,
        )
        .because(format!(
            "{:.2} ×; without its index reads: {:.2} ×",
            r.run, r.writes
        )),
        SummaryRow::target(
            format!(
                "the nightly run, not-due claims doubled ({})",
                doubled.seed.not_due
            ),
            format!("{:.2} s, {requests}", secs(doubled)),
            format!("{:.2} s with {}", secs(finalize), finalize.seed.not_due),
            format!("no growth (≤ {DOUBLING_LIMIT} × the time, the same requests)"),
            r.doubling <= DOUBLING_LIMIT && r.same_requests,
        )
        .because(format!(
            "{:.2} ×; without the index reads: {:.2} ×",
            r.doubling, r.doubled_writes
        )),
    ]
}

fn handler_row(handler: Option<&Criterion>) -> SummaryRow {
    match handler {
        Some(c) => SummaryRow::target(
            "submit-claim handler's own work per request (criterion median)".into(),
            format!(
                "{:.1} µs [{:.1}, {:.1}]",
                c.median_ns / 1000.0,
                c.low_ns / 1000.0,
                c.high_ns / 1000.0
            ),
            String::new(),
            "< 50 µs".into(),
            c.median_ns < HANDLER_LIMIT_NS,
        ),
        // Not run: said so, without failing the bench.
        None => SummaryRow {
            measure: "submit-claim handler (criterion)".into(),
            result: "not run".into(),
            baseline: String::new(),
            target: "< 50 µs".into(),
            met: verdict(false).into(),
            counted: None,
        },
    }
}

fn header(out: &mut String, m: &Measurements) {
    let h = &m.machine;
    writeln!(
        out,
        "# Benchmarks\n\nWritten by `{}` (the `cpor-bench` program, `infra/bench`); every number \
         below comes from one run of it, each measurement beside its baseline in that same run. \
         Re-run it to refresh this file.\n\n## Machine\n\n\
         - CPU: {}, `nproc` = {}\n- kernel: {}\n- {}\n- date: {}\n",
        m.command, h.cpu, h.nproc, h.kernel, h.rustc, h.date
    )
    .ok();
}

fn summary(out: &mut String, rows: &[SummaryRow]) {
    writeln!(
        out,
        "## Summary\n\n| measure | result | baseline | target | met |\n| --- | --- | --- | --- | --- |"
    )
    .ok();
    for row in rows {
        let cells = [
            &row.measure,
            &row.result,
            &row.baseline,
            &row.target,
            &row.met,
        ];
        writeln!(out, "{}", table_row(&cells.map(String::as_str))).ok();
    }
}

fn cold_start(out: &mut String, m: &Measurements) {
    writeln!(
        out,
        "\n## Cold start\n\nFrom starting the release binary to its first `GET /2018-06-01/runtime/invocation/next` \
         at a stand-in for the Lambda Runtime API on 127.0.0.1: {} starts of each (after one unmeasured start), \
         taken in turns. Each binary gets the environment Lambda gives (`AWS_LAMBDA_RUNTIME_API`, function name, \
         256 MB memory size, region, credentials, ...) and its own `CPOR_*` variables, and nothing else of this machine's.\n\n\
         | binary | median | p90 | min | median / hello | median / hello (current-thread) |\n| --- | --- | --- | --- | --- | --- |",
        m.starts
    )
    .ok();
    let (hello, hello_current_thread) = (median_start(m, 0), median_start(m, 1));
    for (name, times) in &m.cold_starts {
        writeln!(
            out,
            "| {name} | {} | {} | {} | {:.2} × | {:.2} × |",
            ms(median(times)),
            ms(quantile(times, 0.9)),
            ms(quantile(times, 0.0)),
            median(times).as_secs_f64() / hello.as_secs_f64(),
            median(times).as_secs_f64() / hello_current_thread.as_secs_f64()
        )
        .ok();
    }
    cold_start_notes(out, m.bundle_certificates);
}

/// What the cold-start table compares, and why.
fn cold_start_notes(out: &mut String, bundle_certificates: usize) {
    writeln!(
        out,
        "\nThe baseline is the hello world of `cargo lambda new`'s template, `#[tokio::main]`: tokio's \
         multi-thread runtime, whose workers (one per CPU) start with it. The functions run on the \
         current-thread runtime (`#[tokio::main(flavor = \"current_thread\")]`): an execution environment \
         handles one invocation at a time on a fraction of a vCPU, and their concurrency is I/O. So the last \
         column compares them with the same hello world on that runtime (`{HELLO_CURRENT_THREAD}`, \
         `infra/bench/hello/src/bin`): what the functions' own start-up costs beyond the runtime's."
    )
    .ok();
    writeln!(
        out,
        "\nThe SDK loads its trust store when it builds a client, at start-up. By default that is the \
         system's: `rustls-native-certs` reads and parses the bundle file (and every file of the certificate \
         directory; Amazon Linux, Lambda's `provided.al2023`, keeps bundles only there), some {bundle_certificates} certificates. \
         The functions call AWS endpoints only, whose certificates Amazon Trust Services issues, so they trust \
         its five root certificates alone, compiled in (`shared/aws/certs`, `cpor_aws::lambda_sdk_config`). \
         The `{SYSTEM_STORE}` rows start them with `CPOR_TLS_SYSTEM_ROOTS=1`, which brings the system's store \
         back, read from the bundle file alone (`SSL_CERT_FILE` the bundle, `SSL_CERT_DIR` an empty directory) as on Amazon Linux: the \
         difference is what the compiled-in roots save. The hello world loads no certificates. (Not measured \
         on Lambda itself: no AWS account here.)\n"
    )
    .ok();
    writeln!(
        out,
        "notify-customer and record-opt-out read the opt-out token's secret at start-up. The rows without \
         `+secret` take it from `CPOR_TOKEN_SECRET` (as locally); the `+secret` rows take it from Secrets Manager as \
         deployed (`CPOR_TOKEN_SECRET_ARN`), here the emulator's over plain HTTP on loopback. Deployed, that read \
         also pays a TLS handshake and a network round trip to Secrets Manager (typically tens of milliseconds): \
         the one AWS request a cold start makes, and the price of never holding the secret in an environment variable."
    )
    .ok();
}

/// The section on the start-up paths under callgrind: each binary's instructions and
/// relocations beside the hello world's, then where the function with the most instructions
/// spends them beyond the hello world, by component.
pub fn profile_text(profiles: &[StartProfile]) -> String {
    let mut out = String::new();
    let Some((hello, functions)) = profiles.split_first() else {
        return out;
    };
    writeln!(
        out,
        "\n## The start-up, profiled\n\nEach binary started once under callgrind (`make profile-start`; the release \
         profile with its symbols), from the loader's first instruction to its first request for work. \
         Instructions, unlike times, do not vary with the machine's load; `docs/performance.md` says what the \
         components are and what was left alone.\n\n\
         | binary | instructions | / {} | relative relocations |\n| --- | --- | --- | --- |",
        hello.name
    )
    .ok();
    for p in profiles {
        writeln!(
            out,
            "| {} | {} | {:.2} × | {} |",
            p.name,
            thousands(p.instructions),
            p.instructions as f64 / hello.instructions.max(1) as f64,
            p.relocations
        )
        .ok();
    }
    let Some(most) = functions.iter().max_by_key(|p| p.instructions) else {
        return out;
    };
    writeln!(
        out,
        "\nWhere {}'s start-up goes beyond {}'s: each component's own instructions (its callees' not \
         included), largest difference first.\n\n| component | {} | {} | difference |\n| --- | --- | --- | --- |",
        most.name, hello.name, hello.name, most.name
    )
    .ok();
    let mut rows: Vec<(&String, u64, u64)> = most
        .by_component
        .iter()
        .map(|(component, n)| {
            (
                component,
                hello.by_component.get(component).copied().unwrap_or(0),
                *n,
            )
        })
        .collect();
    rows.sort_by_key(|(_, hello, function)| std::cmp::Reverse(function.saturating_sub(*hello)));
    for (component, hello, function) in rows.into_iter().take(12) {
        writeln!(
            out,
            "| {component} | {} | {} | {} |",
            thousands(hello),
            thousands(function),
            thousands(function.saturating_sub(hello))
        )
        .ok();
    }
    out
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn sizes(out: &mut String, m: &Measurements) {
    writeln!(
        out,
        "\n## Size\n\nEach binary as `cargo build --release` leaves it (the release profile strips it), x86_64-unknown-linux-gnu.\n\n| binary | bytes | size |\n| --- | --- | --- |"
    )
    .ok();
    for (name, size) in &m.sizes {
        writeln!(out, "| {name} | {size} | {} |", mib(*size)).ok();
    }
}

/// A section's table of operations and the requests each made.
fn operations_table(out: &mut String, operations: &[OperationCalls]) {
    writeln!(
        out,
        "| operation | requests | AWS requests |\n| --- | --- | --- |"
    )
    .ok();
    for op in operations {
        writeln!(
            out,
            "| {} | {} | {} |",
            op.operation,
            op.calls.values().sum::<u64>(),
            calls_text(&op.calls)
        )
        .ok();
    }
}

fn round_trips(out: &mut String, m: &Measurements) {
    writeln!(
        out,
        "\n## Round trips\n\nAWS requests per operation, counted at the SDK's HTTP connector (retries would count too), \
         through the local stack on a fresh emulator (`cpor_tests::round_trips`, checked by `tests/flows/round_trips.rs`). \
         Every request of a partner's counts against its share of the partner API: one `UpdateItem` of the partner's \
         counter (429 `rate_limited` beyond 25 a second).\n"
    )
    .ok();
    operations_table(out, &m.flow.operations);
    writeln!(
        out,
        "\nThe whole flow, set-up included: {}.\n\nFinalization of {} claims: {}.",
        calls_text(&m.flow.total),
        m.flow.finalized,
        calls_text(&m.flow.of("finalize-association"))
    )
    .ok();
    review_round_trips(out, &m.review);
    for (title, text, flow) in [
        (
            "Round trips of a document upload",
            "`cpor_tests::round_trips::count_document_flow`, checked by `tests/flows/round_trips.rs`: a PDF of 2 KiB \
             declared, its bytes sent with the presigned PUT (directly to storage: no request of the service's), \
             then the bucket's notification handed to record-document by hand. Presigning is local computation: the \
             upload and download links cost no request.",
            &m.documents,
        ),
        (
            "Round trips of a contest",
            "`cpor_tests::round_trips::count_contest_flow`, checked by `tests/flows/round_trips.rs`: Fabrikam's claim \
             approved, then Northwind's contest of its unit submitted (its ordinary attempt refused by the held lock, \
             then the contested claim with its contest record) and approved (both claims, both history entries, the \
             contest record and the lock handed over in one transaction; the customer's notification follows through the \
             outbox). The submission also reads the holder, which its transaction tells (`contest_received`). \
             An ordinary submission costs nothing more for contests: its check that the partner does not contest the \
             unit is a `ConditionCheck` inside its one transaction.",
            &m.contest,
        ),
    ] {
        writeln!(out, "\n## {title}\n\n{text}\n").ok();
        operations_table(out, &flow.operations);
    }
}

fn review_round_trips(out: &mut String, review: &FlowCalls) {
    writeln!(
        out,
        "\n## Round trips of the review\n\nThe same count for the review, on a local stack of its own under the `manual` \
         review policy (`cpor_tests::round_trips::count_review_flow`, checked by `tests/flows/round_trips.rs`): \
         each review route and each of the partner's moves once, then a nightly run after the due time of {REVIEW_DUE} \
         information requests left unanswered. Each of the partner's requests also counts against its share of the \
         API (the `UpdateItem` of a partner's row); an approval's notification is queued by its history entry, through \
         the outbox, with no request of the approval's own.\n"
    )
    .ok();
    operations_table(out, &review.operations);
    writeln!(
        out,
        "\nThe whole flow, set-up included: {}.\n\nThe nightly run rejected {} unanswered requests: a `TransactWriteItems` \
         (the claim, its history entry, its lock released) each, built from the due index's entry without reading \
         the claim, beside its fixed reads: one `Query` per shard of the due index and one of the review index, \
         which counts the overdue reviews oldest first and stops at the first that is not overdue.",
        calls_text(&review.total),
        review.finalized,
    )
    .ok();
}

fn scale_section(out: &mut String, s: &ScaleRuns) {
    writeln!(
        out,
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
    for p in s.all() {
        writeln!(out, "{}", phase_row(p)).ok();
    }
    scale_notes(out, s);
}

/// The payout ledger's export against its floor, and flat when the periods outside the month
/// double: no slower, with the same requests and the same items read by the index.
fn ledger_rows(l: &LedgerRuns) -> [SummaryRow; 2] {
    let ratio = ledger_ratio(&l.export, &l.floor);
    let doubling = ledger_ratio(&l.doubled, &l.export);
    let same_calls = l.doubled.calls == l.export.calls;
    let same_read = l.doubled.read == l.export.read;
    let requests = match (same_calls, same_read) {
        (true, true) => format!("the same requests, the same {} items read", l.export.read),
        (false, _) => format!("other requests: {}", calls_text(&l.doubled.calls)),
        (true, false) => format!("{} items read, against {}", l.doubled.read, l.export.read),
    };
    [
        SummaryRow::target(
            format!(
                "the payout ledger of a month with {} effective associations among {} periods: its export",
                l.export.seed.effective,
                l.export.seed.effective + l.export.seed.outside
            ),
            format!("{:.2} s", l.export.time.as_secs_f64()),
            format!(
                "floor (the same queries, items discarded) {:.2} s",
                l.floor.time.as_secs_f64()
            ),
            format!("≤ {LEDGER_LIMIT} ×"),
            ratio <= LEDGER_LIMIT,
        )
        .because(format!("{ratio:.2} ×")),
        SummaryRow::target(
            format!(
                "the payout ledger's export, periods outside the month doubled ({})",
                l.doubled.seed.outside
            ),
            format!(
                "{:.2} s, {requests} (its floor {:.2} s)",
                l.doubled.time.as_secs_f64(),
                l.doubled_floor.time.as_secs_f64()
            ),
            format!("{:.2} s with {}", l.export.time.as_secs_f64(), l.export.seed.outside),
            format!("flat (≤ {DOUBLING_LIMIT} × the time, the same requests and items read)"),
            doubling <= DOUBLING_LIMIT && same_calls && same_read,
        )
        .because(format!("{doubling:.2} ×")),
    ]
}

fn ledger_ratio(export: &LedgerPhase, floor: &LedgerPhase) -> f64 {
    export.time.as_secs_f64() / floor.time.as_secs_f64().max(f64::MIN_POSITIVE)
}

/// The payout ledger's section: each run's seed, time and requests.
pub fn ledger_text(l: &LedgerRuns) -> String {
    let mut out = String::new();
    writeln!(
        out,
        "\n## The payout ledger's export at scale\n\nTwo tables, each on a fresh emulator, seeded with \
         `BatchWriteItem` with period items as finalization writes them (`ledger_export::period_item`: \
         `UNIT#<lock key>` / `PERIOD#<effective_from>#<claim id>`, in the `ledger` index by program and month of \
         their start, sorted by their end), spread over the months from 2026-01 to 2026-11, and 50 partners in the \
         directory. The month measured is 2026-06. Its effective periods: a quarter open since an earlier month, a \
         quarter started and ended in it, a quarter started earlier and ended in it, a quarter started earlier and \
         ended after it. The periods outside it: half ended before its start (in the partitions it queries, below \
         the key condition), half started after it (in partitions it never queries). The export \
         (`RunExportFunction::run` of the vendor's export of every program, CSV) queries each program's partition \
         of each month from 2026-01 to 2026-06 (`ledger_sk > <start>#~`, {} at a time), reads the partners' names \
         (`BatchGetItem`), sorts, writes the file with one `PutObject` and ends the export; the floor \
         (`DynamoStore::page_ledger_index`) makes the same queries and discards their items. Each run must read \
         exactly the effective periods, or `make bench` fails. On each table the floor and the export run \
         alternately, {} times each; the run time is the median. \"Items read\" is the queries' `ScannedCount` \
         summed: the items their key conditions select, which DynamoDB's time and cost follow.\n\n\
         | run | effective | outside | seed time | run time (median) | each round | rows | items read | AWS requests |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        cpor_aws::dynamo::ledger_export::LEDGER_CONCURRENCY,
        crate::ledger::ROUNDS,
    )
    .ok();
    for p in [&l.floor, &l.export, &l.doubled_floor, &l.doubled] {
        writeln!(
            out,
            "| {} | {} | {} | {:.1} s | {:.2} s | {} | {} | {} | {} |",
            match p.run {
                LedgerRun::Floor => "floor (the index's pages only)",
                LedgerRun::Export => "run-export",
            },
            p.seed.effective,
            p.seed.outside,
            p.seed_time.as_secs_f64(),
            p.time.as_secs_f64(),
            seconds(p.rounds.iter().copied()),
            p.rows,
            p.read,
            calls_text(&p.calls)
        )
        .ok();
    }
    writeln!(
        out,
        "\nexport / floor = {:.2}; with the periods outside the month doubled, the export takes {:.2} × its \
         time before (its floor {:.2} ×), with {} requests and {} items read. The emulator reads an index's \
         range as DynamoDB does (`infra/local/serialized_moto.py`), so the periods that ended before the month \
         are not read.",
        ledger_ratio(&l.export, &l.floor),
        ledger_ratio(&l.doubled, &l.export),
        ledger_ratio(&l.doubled_floor, &l.floor),
        if l.doubled.calls == l.export.calls { "the same" } else { "other" },
        if l.doubled.read == l.export.read { "the same" } else { "other" },
    )
    .ok();
    out
}

fn phase_row(p: &Phase) -> String {
    format!(
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
}

/// The runs compared, and what their times are the times of.
fn scale_notes(out: &mut String, s: &ScaleRuns) {
    let r = ScaleRatios::of(s);
    writeln!(
        out,
        "\nfinalize / floor = {:.2} ({:.2} without the index reads); doubling the not-due claims: \
         {:.2} × the time ({:.2} without the index reads), {}. \
         These are the emulator's times: it serializes DynamoDB requests and answers each in milliseconds. \
         The requests show the shape: one write per due claim, one query per page of a due-index shard, one \
         query of the review index, and no request for a claim that is not due. What the \
         not-due claims can still cost is the emulator's: it gives a query only the index partition it reads \
         (`infra/local/serialized_moto.py`; moto alone sorts the whole table on every query, 2 s a query at \
         100,000 items), but then checks each item of that partition against the key condition in Python, so the \
         not-due claims in the due index (deadlines ahead) and in the review index's partition cost its queries \
         some time; DynamoDB reads only the matching range.",
        r.run,
        r.writes,
        r.doubling,
        r.doubled_writes,
        if r.same_requests {
            "with the same requests".to_owned()
        } else {
            format!(
                "with other requests ({} against {})",
                calls_text(&s.doubled.calls),
                calls_text(&s.finalize.calls)
            )
        }
    )
    .ok();
}

fn handler(out: &mut String, handler: Option<&Criterion>) {
    writeln!(
        out,
        "\n## Handler overhead\n\n`cargo bench -p submit-claim --bench handler` (criterion): `SubmitClaimFunction::handle` \
         on one `POST /v1/claims` event (JWT claims, idempotency key, a valid body), on in-memory ports \
         (`cpor_domain::memory`), single-threaded: reading the caller and headers, parsing and validating the body, \
         the body's fingerprint, building the claim, the in-memory store's and queue's work, and rendering the 201 answer."
    )
    .ok();
    if let Some(c) = handler {
        writeln!(
            out,
            "\nMedian {:.2} µs per request (95 % interval {:.2}–{:.2} µs).",
            c.median_ns / 1000.0,
            c.low_ns / 1000.0,
            c.high_ns / 1000.0
        )
        .ok();
    }
}

/// A batch's two targets: its processing within [`BATCH_LIMIT`] of its floor, and no more AWS
/// requests per row than a single submission makes.
fn batch_rows(b: &BatchCost) -> [SummaryRow; 2] {
    let ratio = b.processing.as_secs_f64() / b.floor.as_secs_f64().max(f64::MIN_POSITIVE);
    [
        SummaryRow::target(
            format!("a batch of {} valid claims: its whole processing", b.rows),
            format!("{:.2} s", b.processing.as_secs_f64()),
            format!("floor {:.2} s", b.floor.as_secs_f64()),
            format!("≤ {BATCH_LIMIT} ×"),
            ratio <= BATCH_LIMIT,
        )
        .because(format!("{ratio:.2} ×")),
        SummaryRow::target(
            format!("a batch of {} valid claims: AWS requests per row", b.rows),
            format!("{:.2}", b.requests_per_row()),
            format!("a single submission: {}", b.single_requests()),
            "≤ a single submission's".into(),
            b.requests_per_row() <= b.single_requests() as f64,
        ),
    ]
}

/// The batch's section of the report.
pub fn batch_text(b: &BatchCost) -> String {
    let ratio = b.processing.as_secs_f64() / b.floor.as_secs_f64().max(f64::MIN_POSITIVE);
    format!(
        "## A batch of claims\n\n`POST /v1/claim-batches` with {} valid claims (each on a tenant of its own), \
         its {} chunks handed to process-claim-batch {BATCH_CONCURRENCY} at a time (the template's \
         `MaximumConcurrency`), each submitting its tenants' rows {} at a time, on a fresh emulator. The \
         floor, on another, issues only the rows' writes: the same `TransactWriteItems` a single submission \
         makes (claim, history entry, lock, contest check, idempotency record), built in advance by the bench, \
         {FLOOR_CONCURRENCY} at a time (as many as the batch's rows in flight). The batch also reads \
         each chunk's reference data and its rows' idempotency records (one `BatchGetItem` a chunk) and records \
         each chunk's results, one item, with the batch's counts (one `TransactWriteItems` of two items a chunk).\n\n\
         Each is measured {} times, a floor then a batch, each on a fresh stack; the medians are compared.\n\n\
         | run | median time | / floor | each round |\n| --- | --- | --- | --- |\n\
         | floor: the rows' submission writes alone | {:.2} s | 1.00 × | {} |\n\
         | the batch's processing | {:.2} s | {ratio:.2} × | {} |\n\n\
         AWS requests: opening the batch {}; processing it {}; {:.2} a row, against a single submission's {} ({}).",
        b.rows,
        b.chunks,
        cpor_tests::batch_cost::ROW_CONCURRENCY,
        b.rounds.len(),
        b.floor.as_secs_f64(),
        seconds(b.rounds.iter().map(|r| r.0)),
        b.processing.as_secs_f64(),
        seconds(b.rounds.iter().map(|r| r.1)),
        calls_text(&b.opening),
        calls_text(&b.processed),
        b.requests_per_row(),
        b.single_requests(),
        calls_text(&b.single),
    )
}

/// Times in seconds, in the order given.
fn seconds(times: impl Iterator<Item = Duration>) -> String {
    times
        .map(|t| format!("{:.2} s", t.as_secs_f64()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The publisher's section of the report.
pub fn events_text(run: &EventsRun) -> String {
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

pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

pub fn mib(bytes: u64) -> String {
    format!("{:.2} MiB", bytes as f64 / 1024.0 / 1024.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "yes" } else { "**no**" }
}

pub fn calls_text(calls: &Calls) -> String {
    calls
        .iter()
        .map(|(op, n)| format!("{n} × {op}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The console's two targets: the first screen's weight, and one API request a list or queue
/// page (once signed in: the first list after signing in also reads the catalogue).
fn console_rows(costs: &ConsoleCosts) -> [SummaryRow; 2] {
    let weight = costs.first_screen_gzip();
    let claims = costs.requests("Claims");
    let queue = costs.requests("Review queue");
    [
        SummaryRow::target(
            "the console's first screen: its JavaScript and CSS, compressed (gzip -9)".into(),
            format!("{:.1} KB", weight as f64 / 1024.0),
            String::new(),
            format!("≤ {} KB", costs.budget / 1024),
            weight <= costs.budget,
        ),
        SummaryRow::target(
            "API requests of a list or queue page: Claims / Review queue".into(),
            format!(
                "{} / {} requests",
                claims.map_or("?".into(), |n| n.to_string()),
                queue.map_or("?".into(), |n| n.to_string())
            ),
            String::new(),
            "1 / 1".into(),
            claims == Some(1) && queue == Some(1),
        ),
    ]
}

fn console_section(out: &mut String, costs: &ConsoleCosts) {
    writeln!(
        out,
        "\n## The console\n\nMeasured in headless Chromium by the browser test \
         `console_browser::a_list_or_queue_page_costs_one_api_request_and_the_first_screen_is_light`, \
         run by `make bench` just before this program, against a local stack serving the built \
         console. The first screen (the sign-in page; the screens after it load nothing more) \
         loads these files, weighed as served and compressed with gzip -9 (CloudFront compresses \
         what it serves):\n\n| file | size | compressed |\n| --- | --- | --- |"
    )
    .ok();
    for (path, bytes, gzip) in &costs.files {
        writeln!(
            out,
            "{}",
            table_row(&[
                &format!("`{path}`"),
                &format!("{:.1} KB", *bytes as f64 / 1024.0),
                &format!("{:.1} KB", *gzip as f64 / 1024.0),
            ])
        )
        .ok();
    }
    writeln!(
        out,
        "\nThe API requests each screen made when it was opened (counted from the browser's \
         resource timings once the page was quiet for a second):\n\n\
         | screen | requests | paths |\n| --- | --- | --- |"
    )
    .ok();
    for (screen, paths) in &costs.screens {
        let listed: Vec<String> = paths.iter().map(|p| format!("`{p}`")).collect();
        writeln!(
            out,
            "{}",
            table_row(&[screen, &paths.len().to_string(), &listed.join(", ")])
        )
        .ok();
    }
}
