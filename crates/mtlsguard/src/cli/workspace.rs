//! `check` across files (spec section 8): the files checked, and every template they
//! reference, handed to the analyzer's [`Workspace`]; the findings of files that call or
//! are called replace their findings analyzed alone.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mtlsguard_analyzer::{Settings, Workspace, WorkspaceAnalysis};

use super::files::{Job, io_message};
use super::process::{Options, Report, Source, decode_text};
use crate::config;

/// Files read because a checked file references them, at most (a hostile tree of
/// modules must not read the whole disk).
const MAX_REFERENCED_FILES: usize = 10_000;

/// The texts of a workspace: every checked file and what they reference, by absolute
/// path; with the display path of each.
pub struct Files {
    pub workspace: Workspace,
    /// Absolute path → how the CLI prints it.
    pub display: HashMap<String, String>,
    /// Absolute path → its text, for the lines and columns of related locations.
    pub sources: HashMap<String, Arc<Source>>,
}

/// The Bicep module cache: `~/.bicep` (a `bicepconfig.json` may move it).
fn default_cache_root() -> String {
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
        .unwrap_or_default();
    key(&home.join(".bicep"))
}

/// A path as the workspace names it: absolute, '/'-separated.
pub fn key(path: &Path) -> String {
    config::absolute(path).to_string_lossy().replace('\\', "/")
}

/// Builds the workspace of `jobs` (whose texts `reports` hold), reading what they
/// reference; `None` when no file references another (the common case: nothing to do).
pub fn build(
    jobs: &[Job],
    reports: &[Report],
    opts: &Options,
    warnings: &mut Vec<String>,
) -> Option<Files> {
    let mut ws = Workspace::new(&default_cache_root());
    let mut display = HashMap::new();
    let mut sources = HashMap::new();
    let mut configs = BTreeSet::new();
    let by_display: HashMap<&str, &Job> = jobs.iter().map(|j| (j.display.as_str(), j)).collect();
    for report in reports {
        let (Some(source), Some(job)) = (&report.source, by_display.get(report.display.as_str()))
        else {
            continue;
        };
        let k = key(&job.path);
        ws.set_file(&k, source.text.clone());
        if let Some(c) = &job.config.bicepconfig {
            configs.insert(c.clone());
        }
        display.insert(k.clone(), job.display.clone());
        sources.insert(k, Arc::new(Source::new(source.text.clone(), source.bom)));
    }
    let mut read = 0;
    loop {
        let wanted = ws.wanted();
        if wanted.is_empty() {
            break;
        }
        for path in wanted {
            if read >= MAX_REFERENCED_FILES {
                ws.mark_absent(
                    &path,
                    &format!("not read: more than {MAX_REFERENCED_FILES} referenced files"),
                );
                continue;
            }
            read += 1;
            let p = PathBuf::from(&path);
            match read_template(&p, opts) {
                Ok((text, bom)) => {
                    if let Some(c) = p.parent().and_then(config::discover_bicepconfig) {
                        configs.insert(c);
                    }
                    ws.set_file(&path, text.clone());
                    display.insert(path.clone(), shown(&p));
                    sources.insert(path, Arc::new(Source::new(text, bom)));
                }
                Err(why) => ws.mark_absent(&path, &why),
            }
        }
        // Aliases and the cache root come from the configs of the files read so far.
        for c in &configs {
            set_config(&mut ws, c, warnings);
        }
    }
    if display.keys().all(|p| !ws.has_links(p)) {
        return None;
    }
    for c in &configs {
        set_config(&mut ws, c, warnings);
    }
    Some(Files {
        workspace: ws,
        display,
        sources,
    })
}

fn set_config(ws: &mut Workspace, path: &Path, warnings: &mut Vec<String>) {
    let dir = key(path.parent().unwrap_or(Path::new("/")));
    match std::fs::read_to_string(path) {
        Ok(text) => {
            if let Err(e) = ws.set_bicepconfig(&dir, &text) {
                let w = format!(
                    "{}: {e}; registry modules below it are not followed",
                    shown(path)
                );
                if !warnings.contains(&w) {
                    warnings.push(w);
                }
            }
        }
        Err(e) => {
            let _ = ws.set_bicepconfig(&dir, "");
            let w = format!("cannot read {}: {}", shown(path), io_message(&e));
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
    }
}

/// A referenced file's text, within the size limit.
fn read_template(path: &Path, opts: &Options) -> Result<(String, bool), String> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "file not found".to_owned(),
        _ => format!("cannot read it: {}", io_message(&e)),
    })?;
    if !meta.is_file() {
        return Err("not a file".into());
    }
    let limit = opts
        .max_file_size
        .unwrap_or(mtlsguard_analyzer::DEFAULT_MAX_FILE_SIZE as u64);
    if meta.len() > limit {
        return Err(format!(
            "too large to analyze ({} bytes; the limit is {limit})",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {}", io_message(&e)))?;
    decode_text(&bytes).map(|(t, bom)| (t.to_owned(), bom))
}

/// How a file outside the paths given is printed: relative to the current folder when
/// below it, else absolute.
fn shown(path: &Path) -> String {
    let abs = config::absolute(path);
    let cwd = std::env::current_dir().map(|d| config::absolute(&d)).ok();
    match cwd.as_ref().and_then(|c| abs.strip_prefix(c).ok()) {
        Some(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().into_owned(),
        _ => abs.to_string_lossy().into_owned(),
    }
}

/// Analyzes the workspace, each file with its own job's settings (files read only
/// because they are referenced use `fallback`'s).
pub fn analyze(
    files: &Files,
    jobs: &[Job],
    opts: &Options,
    fallback: &Settings,
) -> WorkspaceAnalysis {
    let by_key: HashMap<String, Settings> = jobs
        .iter()
        .map(|j| (key(&j.path), opts.settings(j).into_owned()))
        .collect();
    files
        .workspace
        .analyze_each(&|p: &str| by_key.get(p).cloned().unwrap_or_else(|| fallback.clone()))
}

/// Replaces the findings of each linked checked file by the workspace's.
pub fn apply(
    files: &Files,
    analysis: &mut WorkspaceAnalysis,
    jobs: &[Job],
    reports: &mut [Report],
) {
    let sources = Arc::new(files.sources.clone());
    let display = Arc::new(files.display.clone());
    let by_display: HashMap<&str, &Job> = jobs.iter().map(|j| (j.display.as_str(), j)).collect();
    for report in reports.iter_mut() {
        let Some(job) = by_display.get(report.display.as_str()) else {
            continue;
        };
        let k = key(&job.path);
        if report.source.is_none() || !files.workspace.has_links(&k) {
            continue;
        }
        if let Some(f) = analysis.findings.remove(&k) {
            report.findings = f;
        }
        if let Some(o) = analysis.outcomes.remove(&k) {
            report.outcomes = o;
        }
        report.related_sources = sources.clone();
        report.related_display = display.clone();
    }
}
