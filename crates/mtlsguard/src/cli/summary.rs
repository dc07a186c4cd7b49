//! The summary under `check`'s text output.

use std::fmt::Write as _;

use mtlsguard_analyzer::Level;

use super::process::{Mode, Options, Report};
use super::{plural, thousands};

/// `Found 2 errors and 3 warnings in 2 of 7,012 files; 4 infos.`, what `--fix` did and
/// what it could still do. Nothing when no file was analyzed (the caller warns).
pub fn summary(
    reports: &[Report],
    opts: &Options,
    files_checked: usize,
    fixable: usize,
    unsafe_only: usize,
) -> String {
    let mut out = String::new();
    if files_checked == 0 {
        return out;
    }
    let count = |level: Level| {
        reports
            .iter()
            .flat_map(|r| &r.findings)
            .filter(|f| f.level == level)
            .count()
    };
    let files_with = |pred: &dyn Fn(Level) -> bool| {
        reports
            .iter()
            .filter(|r| r.findings.iter().any(|f| pred(f.level)))
            .count()
    };
    let (errors, warnings, infos) = (
        count(Level::Error),
        count(Level::Warning),
        count(Level::Info),
    );
    let fixed: usize = reports
        .iter()
        .filter(|r| r.written)
        .map(|r| r.fixed.len())
        .sum();
    if fixed > 0 {
        let _ = writeln!(out, "Fixed {}.", plural(fixed, "problem"));
    }
    let files = plural(files_checked, "file");
    if errors + warnings > 0 {
        let mut found = Vec::new();
        if errors > 0 {
            found.push(plural(errors, "error"));
        }
        if warnings > 0 {
            found.push(plural(warnings, "warning"));
        }
        let failing = files_with(&|l| l >= Level::Warning);
        let _ = write!(
            out,
            "Found {} in {} of {files}",
            found.join(" and "),
            thousands(failing)
        );
        if infos > 0 {
            let _ = write!(out, "; {}", plural(infos, "info"));
        }
        out.push_str(".\n");
    } else if infos > 0 {
        let with_infos = files_with(&|l| l == Level::Info);
        let _ = writeln!(
            out,
            "Found {} in {} of {files}.",
            plural(infos, "info"),
            thousands(with_infos)
        );
    } else if fixed > 0 {
        let _ = writeln!(out, "No problems remain in {files}.");
    } else {
        let _ = writeln!(out, "No problems found in {files}.");
    }
    let with = if opts.unsafe_fixes {
        "--fix --unsafe-fixes"
    } else {
        "--fix"
    };
    if fixable > 0 {
        let _ = write!(out, "[*] {} fixable with {with}", thousands(fixable));
        if unsafe_only > 0 {
            let _ = write!(
                out,
                " ({} more with --fix --unsafe-fixes)",
                thousands(unsafe_only)
            );
        }
        out.push_str(".\n");
    } else if unsafe_only > 0 && opts.mode == Mode::Fix {
        let _ = writeln!(
            out,
            "{} more fixable with --unsafe-fixes.",
            thousands(unsafe_only)
        );
    } else if unsafe_only > 0 {
        let _ = writeln!(
            out,
            "{} fixable with --fix --unsafe-fixes.",
            thousands(unsafe_only)
        );
    }
    out
}
