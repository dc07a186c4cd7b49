//! `check` across files (spec section 8): the files checked, and every template they
//! reference, handed to the analyzer's [`Workspace`]; the findings of files that call or
//! are called replace their findings analyzed alone.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mtlsguard_analyzer::{Settings, Workspace, WorkspaceAnalysis};
use rayon::prelude::*;

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
    /// The checked files that call or are called: analyzed here, not alone.
    pub linked: HashSet<String>,
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

/// The text of a job's file, when it can be analyzed (decodable, within the limit);
/// problems are left for the per-file path, which reports them.
fn job_text(job: &Job, opts: &Options) -> Option<(String, bool)> {
    let limit = opts
        .max_file_size
        .or(job.config.max_file_size)
        .unwrap_or(mtlsguard_analyzer::DEFAULT_MAX_FILE_SIZE as u64);
    let bytes = match &job.stdin {
        Some(b) => b.clone(),
        None => {
            if std::fs::metadata(&job.path).ok()?.len() > limit {
                return None;
            }
            std::fs::read(&job.path).ok()?
        }
    };
    if bytes.len() as u64 > limit {
        return None;
    }
    decode_text(&bytes).ok().map(|(t, bom)| (t.to_owned(), bom))
}

/// Parses and lowers texts in parallel and hands them to the workspace.
fn add_all(ws: &mut Workspace, texts: Vec<(String, String)>) {
    let prepared: Vec<_> = texts
        .into_par_iter()
        .map(|(path, text)| Workspace::prepare(&path, text, None))
        .collect();
    for p in prepared {
        ws.add(p);
    }
}

/// Builds the workspace of the `jobs` that call or are called, reading what they
/// reference (also outside the paths given); `None` when no file references another
/// (the common case: nothing to do).
pub fn build(jobs: &[Job], opts: &Options, warnings: &mut Vec<String>) -> Option<Files> {
    let mut ws = Workspace::new(&default_cache_root());
    let by_key: HashMap<String, &Job> = jobs.iter().map(|j| (key(&j.path), j)).collect();
    let mut display = HashMap::new();
    let mut sources = HashMap::new();
    let mut configs = BTreeSet::new();
    let candidates: Vec<(String, String, bool)> = jobs
        .par_iter()
        .filter_map(|job| {
            let (text, bom) = job_text(job, opts)?;
            mtlsguard_analyzer::may_call(&text).then(|| (key(&job.path), text, bom))
        })
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let mut texts = Vec::new();
    for (k, text, bom) in candidates {
        let job = by_key[&k];
        if let Some(c) = &job.config.bicepconfig {
            configs.insert(c.clone());
        }
        display.insert(k.clone(), job.display.clone());
        sources.insert(k.clone(), Arc::new(Source::new(text.clone(), bom)));
        texts.push((k, text));
    }
    add_all(&mut ws, texts);
    for c in &configs {
        set_config(&mut ws, c, warnings);
    }
    let mut read = 0;
    // Each round reads one call deeper. Bounded by the depth analysis follows: every
    // round rebuilds the links of all files held, so a chain of thousands of modules
    // would otherwise take quadratic time for files that are never reached.
    for round in 0.. {
        let wanted = ws.wanted();
        if wanted.is_empty() {
            break;
        }
        if round > Workspace::MAX_CHAIN {
            let why = format!(
                "not read: calls are nested deeper than {}",
                Workspace::MAX_CHAIN
            );
            for path in wanted {
                ws.mark_absent(&path, &why);
            }
            break;
        }
        let budget = MAX_REFERENCED_FILES.saturating_sub(read);
        read += wanted.len().min(budget);
        let results: Vec<(String, Read)> = wanted
            .into_par_iter()
            .enumerate()
            .map(|(i, path)| {
                if i >= budget {
                    let why =
                        format!("not read: more than {MAX_REFERENCED_FILES} referenced files");
                    return (path, Err(why));
                }
                let text = match by_key.get(&path) {
                    Some(job) => job_text(job, opts).ok_or_else(|| "cannot be analyzed".to_owned()),
                    None => read_template(Path::new(&path), opts),
                };
                (path, text)
            })
            .collect();
        let mut texts = Vec::new();
        for (path, result) in results {
            match result {
                Ok((text, bom)) => {
                    let p = PathBuf::from(&path);
                    let config = match by_key.get(&path) {
                        Some(job) => job.config.bicepconfig.clone(),
                        None => p.parent().and_then(config::discover_bicepconfig),
                    };
                    if let Some(c) = config
                        && configs.insert(c.clone())
                    {
                        set_config(&mut ws, &c, warnings);
                    }
                    let shown_as = by_key
                        .get(&path)
                        .map_or_else(|| shown(&p), |j| j.display.clone());
                    display.insert(path.clone(), shown_as);
                    sources.insert(path.clone(), Arc::new(Source::new(text.clone(), bom)));
                    texts.push((path, text));
                }
                Err(why) => ws.mark_absent(&path, &why),
            }
        }
        add_all(&mut ws, texts);
    }
    let linked: HashSet<String> = by_key.keys().filter(|k| ws.has_links(k)).cloned().collect();
    if linked.is_empty() {
        return None;
    }
    Some(Files {
        workspace: ws,
        display,
        sources,
        linked,
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

/// A file's text and whether it had a BOM, or why it cannot be read.
type Read = Result<(String, bool), String>;

/// A referenced file's text, within the size limit.
fn read_template(path: &Path, opts: &Options) -> Read {
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

/// Analyzes the linked files, component by component in parallel, each file with its
/// own job's settings (files read only because they are referenced use `fallback`'s),
/// and makes their reports.
pub fn reports(files: &Files, jobs: &[Job], opts: &Options, fallback: &Settings) -> Vec<Report> {
    let by_key: HashMap<String, Settings> = jobs
        .iter()
        .map(|j| (key(&j.path), opts.settings(j).into_owned()))
        .collect();
    let settings_of = |p: &str| by_key.get(p).cloned().unwrap_or_else(|| fallback.clone());
    let linked: Vec<String> = files.linked.iter().cloned().collect();
    let components = files.workspace.components(&linked);
    let analyses: Vec<WorkspaceAnalysis> = components
        .par_iter()
        .map(|c| files.workspace.analyze_files(c, &settings_of))
        .collect();
    let sources = Arc::new(files.sources.clone());
    let display = Arc::new(files.display.clone());
    let mut out = Vec::new();
    for mut analysis in analyses {
        for (path, findings) in std::mem::take(&mut analysis.findings) {
            if !files.linked.contains(&path) {
                continue;
            }
            let Some(source) = files.sources.get(&path) else {
                continue;
            };
            out.push(Report {
                display: files
                    .display
                    .get(&path)
                    .cloned()
                    .unwrap_or_else(|| path.clone()),
                source: Some(Source::new(source.text.clone(), source.bom)),
                findings,
                outcomes: analysis.outcomes.remove(&path).unwrap_or_default(),
                related_sources: sources.clone(),
                related_display: display.clone(),
                ..Report::empty()
            });
        }
    }
    out
}
