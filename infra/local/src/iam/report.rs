//! The verdicts of every stack a test binary ran, written as they accumulate to
//! `target/test-output/iam/<binary>.jsonl` (one JSON object per distinct function, operation,
//! action, resource, kind of leading key and verdict) and `<binary>.txt` (the same as a table:
//! function → actions → resources → allowed).

use super::Verdict;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
struct Line {
    function: String,
    action: String,
    resource: String,
    /// The kind of item (`CLAIM#*`), for DynamoDB.
    leading_keys: Option<String>,
    operation: String,
    allowed: bool,
    /// The statement that allows it.
    statement: Option<String>,
}

/// The kind of a partition key: its prefix up to the first `#` (`CLAIM#*`, `LOCK#*`).
fn kind(key: &str) -> String {
    match key.split_once('#') {
        Some((prefix, _)) => format!("{prefix}#*"),
        None => key.to_owned(),
    }
}

impl Line {
    fn of(verdict: &Verdict) -> Self {
        let call = &verdict.call;
        Self {
            function: call.function.clone(),
            action: call.action.clone(),
            resource: call.resource.clone(),
            leading_keys: Some(
                call.leading_keys()
                    .iter()
                    .map(|key| kind(key))
                    .collect::<BTreeSet<String>>()
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(" + "),
            )
            .filter(|kinds| !kinds.is_empty()),
            operation: call.operation.clone(),
            allowed: verdict.allowed(),
            statement: verdict.allowed_by.clone(),
        }
    }
}

static SEEN: Mutex<BTreeSet<Line>> = Mutex::new(BTreeSet::new());

/// `target/test-output/iam/` of the running test binary (`target/<profile>/deps/<binary>-<hash>`),
/// and the binary's name.
fn destination() -> Option<(PathBuf, String)> {
    let exe = std::env::current_exe().ok()?;
    let deps = exe.parent()?;
    let target = if deps.file_name()? == "deps" {
        deps.parent()?.parent()?
    } else {
        deps.parent()?
    };
    let stem = exe.file_stem()?.to_string_lossy().into_owned();
    let binary = match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            name.to_owned()
        }
        _ => stem,
    };
    Some((target.join("test-output").join("iam"), binary))
}

/// `arn:aws:dynamodb:us-east-1:123456789012:table/t` as `dynamodb table/t`.
fn short(resource: &str) -> String {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, service, _, _, name] => format!("{service} {name}"),
        _ => resource.to_owned(),
    }
}

fn table(lines: &BTreeSet<Line>) -> String {
    // function → action → (resource, verdict) → kinds of item
    let mut grouped: BTreeMap<(&str, &str, &str, String), BTreeSet<&str>> = BTreeMap::new();
    for line in lines {
        let verdict = match &line.statement {
            Some(statement) => format!("allowed ({statement})"),
            None => "REFUSED".to_owned(),
        };
        grouped
            .entry((&line.function, &line.action, &line.resource, verdict))
            .or_default()
            .extend(line.leading_keys.as_deref());
    }
    let mut out = String::from("function | action | resource | items | verdict\n");
    for ((function, action, resource, verdict), kinds) in grouped {
        let kinds: Vec<&str> = kinds.into_iter().collect();
        let _ = writeln!(
            out,
            "{function} | {action} | {} | {} | {verdict}",
            short(resource),
            if kinds.is_empty() {
                "-".to_owned()
            } else {
                kinds.join(" ")
            }
        );
    }
    out
}

/// Adds `verdicts` to this binary's report and rewrites it.
pub fn add(verdicts: &[Verdict]) -> std::io::Result<()> {
    let Some((dir, binary)) = destination() else {
        return Ok(());
    };
    let mut seen = SEEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    seen.extend(verdicts.iter().map(Line::of));
    std::fs::create_dir_all(&dir)?;
    let mut jsonl = String::new();
    for line in seen.iter() {
        jsonl.push_str(&serde_json::to_string(line).map_err(std::io::Error::other)?);
        jsonl.push('\n');
    }
    std::fs::write(dir.join(format!("{binary}.jsonl")), jsonl)?;
    std::fs::write(dir.join(format!("{binary}.txt")), table(&seen))
}
