//! Cold starts: the time from starting a function's binary to its first request for work from
//! the Lambda Runtime API, against a stand-in for that API on loopback.

use std::collections::HashMap;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The request the runtime makes when it is ready for work.
const NEXT: &str = "GET /2018-06-01/runtime/invocation/next";

/// A binary to start, with its own environment.
#[derive(Debug, Clone)]
pub struct Subject {
    /// The name in the report.
    pub name: String,
    /// The binary.
    pub binary: PathBuf,
    /// Variables beyond the ones Lambda sets.
    pub env: Vec<(String, String)>,
}

/// The variables Lambda's `provided.al2023` runtime sets, with the template's memory size and
/// placeholder credentials; the rest of this machine's environment is not passed.
fn lambda_env(runtime_api: &str, function: &str) -> HashMap<String, String> {
    [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api),
        ("AWS_LAMBDA_FUNCTION_NAME", function),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/cpor-bench"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/25/[$LATEST]bench"),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
        ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "ASIABENCHMARKEXAMPLE"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "bench/secret/access/key/placeholder/value",
        ),
        ("AWS_SESSION_TOKEN", "bench-session-token"),
        ("LAMBDA_TASK_ROOT", "/var/task"),
        ("LAMBDA_RUNTIME_DIR", "/var/runtime"),
        ("LANG", "en_US.UTF-8"),
        ("TZ", ":UTC"),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin"),
        ("RUST_LOG", "info"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// What a stand-in does with the runtime's connection once its first request has arrived.
#[derive(Clone, Copy)]
enum Then {
    /// Holds it until the process is stopped.
    Hold,
    /// Closes it: the runtime's `next` fails and it exits by itself.
    Close,
}

/// A stand-in for the Lambda Runtime API on loopback: its address, and what it says when the
/// runtime's first request has arrived whole (request line and headers): when, and the request.
fn stand_in(then: Then) -> Result<(String, mpsc::Receiver<(Instant, String)>), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let mut seen = Vec::new();
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buffer) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buffer[..n]);
            if seen.windows(4).any(|w| w == b"\r\n\r\n") {
                let _ = tx.send((Instant::now(), String::from_utf8_lossy(&seen).into_owned()));
                if let Then::Hold = then {
                    let _ = stream.read(&mut buffer);
                }
                break;
            }
        }
    });
    Ok((addr.to_string(), rx))
}

/// `program` with `args`, started as `subject` would be: Lambda's variables for a runtime at
/// `runtime_api`, the subject's own, and nothing else of this machine's.
fn lambda_command(
    program: &Path,
    args: &[String],
    subject: &Subject,
    runtime_api: &str,
    log: &Path,
) -> Result<Command, String> {
    let stderr = std::fs::File::create(log).map_err(|e| e.to_string())?;
    let mut command = Command::new(program);
    command
        .args(args)
        .env_clear()
        .envs(lambda_env(runtime_api, &subject.name))
        .envs(subject.env.iter().cloned())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    Ok(command)
}

/// One start: spawn, wait for the first `next` request, stop the process.
pub fn start_once(subject: &Subject, log: &Path) -> Result<Duration, String> {
    let (runtime_api, first) = stand_in(Then::Hold)?;
    let mut command = lambda_command(&subject.binary, &[], subject, &runtime_api, log)?;
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("{}: {e}", subject.binary.display()))?;
    let outcome = first.recv_timeout(Duration::from_secs(20));
    let _ = child.kill();
    let _ = child.wait();
    match outcome {
        Ok((at, request)) if request.starts_with(NEXT) => Ok(at - started),
        Ok((_, request)) => Err(format!(
            "{}: first request was not `next`: {}",
            subject.name,
            request.lines().next().unwrap_or_default()
        )),
        Err(_) => Err(format!(
            "{} never asked for work; its output is in {}",
            subject.name,
            log.display()
        )),
    }
}

/// One start of `subject` under callgrind (valgrind's instruction-level profiler), written to
/// `out`: the stand-in closes the connection once the first request for work has arrived, so
/// the runtime stops by itself and callgrind writes its profile of the start-up path (from the
/// loader's first instruction to the first `next`, plus the few of the runtime's error exit).
pub fn profile(subject: &Subject, out: &Path, log: &Path) -> Result<(), String> {
    if !subject.binary.exists() {
        return Err(format!(
            "{}: no such binary (`make profile-start FUNCTION={}` builds it with its symbols)",
            subject.binary.display(),
            subject.name
        ));
    }
    let (runtime_api, first) = stand_in(Then::Close)?;
    let args = [
        "--tool=callgrind".to_owned(),
        format!("--callgrind-out-file={}", out.display()),
        subject.binary.to_string_lossy().into_owned(),
    ];
    let status = lambda_command(Path::new("valgrind"), &args, subject, &runtime_api, log)?
        .status()
        .map_err(|e| format!("valgrind (is it installed?): {e}"))?;
    match first.recv_timeout(Duration::from_secs(1)) {
        Ok((_, request)) if request.starts_with(NEXT) => Ok(()),
        _ => Err(format!(
            "{} under callgrind ({status}) never asked for work; its output is in {}",
            subject.name,
            log.display()
        )),
    }
}

/// `starts` starts of every subject, taken in turns so that the machine's moods fall on all
/// alike, after one unmeasured start each (to warm the page cache).
pub fn measure(
    subjects: &[Subject],
    starts: usize,
    logs: &Path,
) -> Result<Vec<Vec<Duration>>, String> {
    let mut samples = vec![Vec::with_capacity(starts); subjects.len()];
    for round in 0..=starts {
        for (i, subject) in subjects.iter().enumerate() {
            let log = logs.join(format!("cold-start-{}.log", subject.name));
            let took = start_once(subject, &log)?;
            if round > 0 {
                samples[i].push(took);
            }
        }
    }
    Ok(samples)
}

/// The `q`-quantile (nearest rank) of `samples`.
pub fn quantile(samples: &[Duration], q: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}
