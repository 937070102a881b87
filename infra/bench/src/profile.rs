//! The start-up path under callgrind: the instructions a binary executes from the loader's
//! first to its first request for work, by the component that executes them (the loader, libc,
//! each Rust crate), and the relocations the loader applies. Counted instructions do not vary
//! with the machine's load, so the profile says where a function's start-up goes beyond the
//! hello world's even where the timings are noisy.

use crate::cold_start::{self, Subject};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// One binary's start-up, profiled.
#[derive(Debug, Clone)]
pub struct StartProfile {
    pub name: String,
    /// Instructions executed, in all.
    pub instructions: u64,
    /// The relative relocations the loader applies before `main` (`R_X86_64_RELATIVE`).
    pub relocations: usize,
    /// Instructions executed in each component's own code (callees not included).
    pub by_component: BTreeMap<String, u64>,
}

/// The loader's share: it applies the relocations and binds the C library's symbols.
pub const LOADER: &str = "the loader (ld.so: relocations, symbols)";
const LIBC: &str = "libc (malloc, stdio, the main thread's stack bounds)";

/// Profiles `subject`'s start-up, its files in `logs`.
pub fn profile(subject: &Subject, logs: &Path) -> Result<StartProfile, String> {
    let out = logs.join(format!("callgrind.{}.out", subject.name));
    cold_start::profile(
        subject,
        &out,
        &logs.join(format!("callgrind.{}.log", subject.name)),
    )?;
    let annotated = run(
        "callgrind_annotate",
        &["--threshold=100", "--auto=no", &out.to_string_lossy()],
    )?;
    let relocations = run("readelf", &["-rW", &subject.binary.to_string_lossy()])?
        .lines()
        .filter(|l| l.contains("R_X86_64_RELATIVE"))
        .count();
    let (instructions, by_component) = parse(&annotated)?;
    Ok(StartProfile {
        name: subject.name.clone(),
        instructions,
        relocations,
        by_component,
    })
}

fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program} (is valgrind installed?): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{program} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The total and each component's own instructions, from `callgrind_annotate`'s output: lines
/// `1,234 ( 5.6%)  file:function [object]`, the object missing where code of one function was
/// inlined from another file.
fn parse(annotated: &str) -> Result<(u64, BTreeMap<String, u64>), String> {
    let mut total = None;
    let mut by_component: BTreeMap<String, u64> = BTreeMap::new();
    for line in annotated.lines() {
        let Some((count, rest)) = line.trim_start().split_once(" (") else {
            continue;
        };
        let Ok(count) = count.replace(',', "").parse::<u64>() else {
            continue;
        };
        let Some((_, place)) = rest.split_once(")  ") else {
            continue;
        };
        if place.trim() == "PROGRAM TOTALS" {
            total = Some(count);
            continue;
        }
        *by_component.entry(component(place)).or_default() += count;
    }
    Ok((
        total.ok_or("no PROGRAM TOTALS in callgrind_annotate's output")?,
        by_component,
    ))
}

/// Who executes the code at `place` (`file:function [object]`).
fn component(place: &str) -> String {
    let (location, object) = match place.rsplit_once(" [") {
        Some((location, object)) => (location, object.trim_end_matches(']')),
        None => (place, ""),
    };
    // The file ends at the first `:` after the last `/` of its path.
    let file_end = location.rfind('/').unwrap_or(0);
    let function = location[file_end..]
        .split_once(':')
        .map_or(location, |(_, f)| f);
    let c_loader = ["_dl_", "dl_", "do_lookup", "check_match", "_dl"];
    if object.contains("ld-linux") || c_loader.iter().any(|p| function.starts_with(p)) {
        return LOADER.to_owned();
    }
    if object.contains("libc.so") || !function.contains("::") {
        return if function.starts_with("???") || function.starts_with("0x") {
            "other".to_owned()
        } else {
            LIBC.to_owned()
        };
    }
    let path = function.trim_start_matches(['<', '&', '*', '(']);
    let path = path.strip_prefix("dyn ").unwrap_or(path);
    match path.split("::").next().unwrap_or(path) {
        "__rustc" | "alloc" => "Rust's allocation and collections (alloc)".to_owned(),
        "core" | "std" => "Rust's standard library (core, std)".to_owned(),
        krate => krate.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each line of callgrind's annotation is counted for the component whose code it is: the
    /// loader, libc, or the Rust crate of the function, whatever file it was inlined from.
    #[test]
    fn each_line_counts_for_the_component_whose_code_it_is() {
        let annotated = "\
--------------------------------------------------------------------------------
2,000 (100.0%)  PROGRAM TOTALS
--------------------------------------------------------------------------------
Ir                file:function
--------------------------------------------------------------------------------
700 (35.00%)  ./elf/../sysdeps/x86_64/dl-machine.h:_dl_relocate_object
300 (15.00%)  ./elf/./elf/dl-lookup.c:do_lookup_x [/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2]
400 (20.00%)  /root/.cargo/registry/src/x/aws-smithy-json-0.62.3/src/deserialize.rs:aws_smithy_json::deserialize::JsonTokenIterator::read_string [/b/notify-customer]
100 ( 5.00%)  /rustc/abc/library/core/src/ptr/mod.rs:<aws_smithy_json::deserialize::JsonTokenIterator as core::iter::Iterator>::next
250 (12.50%)  ./malloc/./malloc/malloc.c:_int_malloc [/usr/lib/x86_64-linux-gnu/libc.so.6]
150 ( 7.50%)  ???:__rustc::__rust_alloc [/b/notify-customer]
100 ( 5.00%)  ???:0x000000000001ab70 [/b/notify-customer]
";
        let (total, by) = parse(annotated).unwrap();
        assert_eq!(total, 2_000);
        assert_eq!(by[LOADER], 1_000);
        assert_eq!(by["aws_smithy_json"], 500);
        assert_eq!(by[LIBC], 250);
        assert_eq!(by["Rust's allocation and collections (alloc)"], 150);
        assert_eq!(by["other"], 100);
        assert_eq!(by.values().sum::<u64>(), total);
    }

    /// An annotation without its total is an error, not a profile of nothing.
    #[test]
    fn an_annotation_without_its_total_is_an_error() {
        assert!(parse("100 (5.00%)  ./elf/dl-lookup.c:do_lookup_x\n").is_err());
    }
}
