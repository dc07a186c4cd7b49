//! `check --fix` and `--diff` across files: the fixes of linked files are applied to
//! the workspace round after round (a fix in a caller changes what its module's check
//! finds), then each changed file is written as `--fix` writes any file.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use mtlsguard_analyzer::{
    Finding, MAX_FIX_ROUNDS, Settings, WorkspaceAnalysis, fix_all, fix_plan, language_for_path,
    syntax_error_count,
};
use rayon::prelude::*;

use super::files::Job;
use super::fix;
use super::process::{Mode, Options, Report, Source};
use super::workspace::{Files, key};

/// Findings of every linked file, analyzed component by component.
fn analyze(files: &Files, settings_of: &(dyn Fn(&str) -> Settings + Sync)) -> WorkspaceAnalysis {
    let linked: Vec<String> = files.linked.iter().cloned().collect();
    let mut all = WorkspaceAnalysis::default();
    let parts: Vec<WorkspaceAnalysis> = files
        .workspace
        .components(&linked)
        .par_iter()
        .map(|c| files.workspace.analyze_files(c, settings_of))
        .collect();
    for p in parts {
        all.findings.extend(p.findings);
        all.outcomes.extend(p.outcomes);
    }
    all
}

/// The reports of the linked files after fixing them (`--fix`) or showing the fixes
/// (`--diff`).
pub fn reports(
    files: &mut Files,
    jobs: &[Job],
    opts: &Options,
    fallback: &Settings,
) -> Vec<Report> {
    let by_key: HashMap<String, (&Job, Settings)> = jobs
        .iter()
        .map(|j| (key(&j.path), (j, opts.settings(j).into_owned())))
        .collect();
    let settings_of = |p: &str| {
        by_key
            .get(p)
            .map_or_else(|| fallback.clone(), |(_, s)| s.clone())
    };
    let before = analyze(files, &settings_of);
    let original: BTreeMap<String, Arc<Source>> = files
        .linked
        .iter()
        .filter_map(|p| Some((p.clone(), files.sources.get(p)?.clone())))
        .collect();
    let mut current: BTreeMap<String, String> = original
        .iter()
        .map(|(p, s)| (p.clone(), s.text.clone()))
        .collect();
    let mut applied: BTreeMap<String, Vec<(&'static str, String)>> = BTreeMap::new();
    let mut withheld = Vec::new();
    let mut findings = before.findings.clone();
    for _ in 0..MAX_FIX_ROUNDS {
        let mut changed = false;
        for (path, text) in current.iter_mut() {
            let Some(found) = findings.get(path) else {
                continue;
            };
            let (next, n) = fix_all(text, found, opts.unsafe_fixes);
            if n == 0 || next == *text {
                continue;
            }
            let language = language_for_path(path).unwrap_or(mtlsguard_analyzer::Language::Json);
            if syntax_error_count(language, &next) > syntax_error_count(language, text) {
                // Fixes are built never to break a file; if one ever did, keep it as it is.
                withheld.push(path.clone());
                continue;
            }
            let plan = fix_plan(found, opts.unsafe_fixes);
            applied
                .entry(path.clone())
                .or_default()
                .extend(plan.into_iter().take(n).filter_map(|i| titled(&found[i])));
            files.workspace.set_file(path, next.clone());
            *text = next;
            changed = true;
        }
        if !changed {
            break;
        }
        findings = analyze(files, &settings_of).findings;
    }
    let after = findings;
    let mut out = Vec::new();
    for (path, source) in &original {
        let Some((job, _)) = by_key.get(path) else {
            continue;
        };
        let new_text = &current[path];
        let mut report = Report {
            display: job.display.clone(),
            related_sources: Arc::new(files.sources.clone()),
            related_display: Arc::new(files.display.clone()),
            ..Report::empty()
        };
        if withheld.contains(path) {
            report.warnings.push(format!(
                "the fixes for {} would introduce syntax errors, so they were not applied (please report this as a bug)",
                job.display
            ));
        }
        let fixed = applied.remove(path).unwrap_or_default();
        let unchanged = || {
            (
                before.findings.get(path).cloned().unwrap_or_default(),
                Source::new(source.text.clone(), source.bom),
            )
        };
        if *new_text == source.text {
            (report.findings, report.source) = (after_of(&after, path), Some(unchanged().1));
            out.push(report);
            continue;
        }
        let bytes = |text: &str| {
            let mut b = Vec::with_capacity(text.len() + 3);
            if source.bom {
                b.extend_from_slice(b"\xEF\xBB\xBF");
            }
            b.extend_from_slice(text.as_bytes());
            b
        };
        let (old_bytes, new_bytes) = (bytes(&source.text), bytes(new_text));
        if opts.mode == Mode::Diff {
            report.diff = Some(fix::unified_diff(&job.display, &source.text, new_text));
            report.fixed = fixed;
            (report.findings, report.source) = {
                let (f, s) = unchanged();
                (f, Some(s))
            };
            out.push(report);
            continue;
        }
        if job.stdin.is_some() {
            report.stdin_output = Some(new_bytes);
            report.written = true;
            report.fixed = fixed;
            report.findings = after_of(&after, path);
            report.source = Some(Source::new(new_text.clone(), source.bom));
            out.push(report);
            continue;
        }
        match fix::write_if_unchanged(&PathBuf::from(&job.path), &old_bytes, &new_bytes) {
            Ok(()) => {
                report.written = true;
                report.fixed = fixed;
                report.findings = after_of(&after, path);
                report.source = Some(Source::new(new_text.clone(), source.bom));
            }
            Err(e) => {
                match e {
                    fix::WriteError::Changed => report.warnings.push(format!(
                        "{} changed while mtlsguard was running; left it as it is (run again to fix it)",
                        job.display
                    )),
                    fix::WriteError::Vanished => report.warnings.push(format!(
                        "{} was deleted while mtlsguard was running; its fixes were not written",
                        job.display
                    )),
                    fix::WriteError::Io(e) => {
                        report.error = Some(format!(
                            "cannot write the fixes to {}: {e}; the file is unchanged",
                            job.display
                        ))
                    }
                }
                let (f, s) = unchanged();
                (report.findings, report.source) = (f, Some(s));
            }
        }
        out.push(report);
    }
    out
}

fn after_of(after: &BTreeMap<String, Vec<Finding>>, path: &str) -> Vec<Finding> {
    after.get(path).cloned().unwrap_or_default()
}

fn titled(f: &Finding) -> Option<(&'static str, String)> {
    Some((f.rule, f.fix.as_ref()?.title.clone()))
}
