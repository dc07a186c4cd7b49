//! Reading, analyzing and fixing one file.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use mtlsguard_analyzer::{
    DEFAULT_MAX_FILE_SIZE, FILE_ERROR, Finding, Language, Level, LineIndex, Outcome, RULES,
    Related, Settings, analyze_text_with_outcomes, fix_until_stable, is_arm_parameters,
    is_arm_template,
};
use rayon::prelude::*;

use super::files::{Job, io_message};
use super::fix;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Check,
    Fix,
    Diff,
}

pub struct Options {
    pub mode: Mode,
    pub unsafe_fixes: bool,
    /// `--max-file-size` (overrides the config's).
    pub max_file_size: Option<u64>,
    /// `--select`/`--extend-select`/`--ignore`, when any was given.
    pub selection: Option<Selection>,
    /// `--quiet`: no summary lines.
    pub quiet: bool,
}

/// Which rules run, as ruff's flags choose them, on top of the config's levels.
pub struct Selection {
    /// `--select`: the only rules that run (`None`: those the config enables).
    select: Option<Vec<&'static str>>,
    extend: Vec<&'static str>,
    ignore: Vec<&'static str>,
}

impl Selection {
    pub fn new(
        select: &Option<Vec<&'static str>>,
        extend: &[&'static str],
        ignore: &[&'static str],
    ) -> Option<Selection> {
        (select.is_some() || !extend.is_empty() || !ignore.is_empty()).then(|| Selection {
            select: select.clone(),
            extend: extend.to_vec(),
            ignore: ignore.to_vec(),
        })
    }

    /// `config` with the selection applied: a rule that is selected keeps its configured
    /// level, or runs at its default level when the config turns it off.
    pub fn apply(&self, config: &Settings) -> Settings {
        let mut out = config.clone();
        for rule in RULES {
            let enabled = if self.ignore.contains(&rule.id) {
                false
            } else if self.extend.contains(&rule.id) {
                true
            } else {
                match &self.select {
                    Some(ids) => ids.contains(&rule.id),
                    None => config.level(rule.id) != Level::Off,
                }
            };
            let level = match (enabled, config.level(rule.id)) {
                (false, _) => Level::Off,
                (true, Level::Off) => rule.default_level,
                (true, level) => level,
            };
            out.set_level(rule.id, level);
        }
        out
    }
}

impl Options {
    /// The rule levels a job runs with.
    pub fn settings<'a>(&self, job: &'a Job) -> Cow<'a, Settings> {
        match &self.selection {
            Some(s) => Cow::Owned(s.apply(&job.config.settings)),
            None => Cow::Borrowed(&job.config.settings),
        }
    }
}

/// The analyzed text of a file, without its BOM.
pub struct Source {
    pub text: String,
    /// The file starts with a UTF-8 BOM (3 bytes not part of `text`).
    pub bom: bool,
    pub index: LineIndex,
}

impl Source {
    pub fn new(text: String, bom: bool) -> Source {
        let index = LineIndex::new(&text);
        Source { text, bom, index }
    }

    /// A byte offset into `text` as an offset into the file.
    pub fn file_offset(&self, offset: usize) -> usize {
        offset + if self.bom { 3 } else { 0 }
    }
}

/// What happened to one file.
pub struct Report {
    pub display: String,
    /// The text the findings refer to (after fixes when they were written); `None` when
    /// the file could not be decoded or has no findings.
    pub source: Option<Source>,
    pub findings: Vec<Finding>,
    /// How each rule's check of each resource ended (`--statistics`; check mode only).
    pub outcomes: Vec<(&'static str, Outcome)>,
    /// The fixes applied (or, with `--diff`, that would be): (rule, title).
    pub fixed: Vec<(&'static str, String)>,
    /// `--fix` wrote the file.
    pub written: bool,
    /// `--diff`: the unified diff of the fixes.
    pub diff: Option<String>,
    /// An I/O error (exit 2).
    pub error: Option<String>,
    pub warnings: Vec<String>,
    /// Not analyzed (a file named on the command line that is not a template).
    pub skipped: bool,
    /// `--fix` on stdin: the text to print (fixed, or as given).
    pub stdin_output: Option<Vec<u8>>,
    /// The texts of the other files related locations point into (spec section 8), by
    /// workspace path, and how each is printed.
    pub related_sources: Arc<HashMap<String, Arc<Source>>>,
    pub related_display: Arc<HashMap<String, String>>,
}

impl Report {
    /// The text and printed path of the file a related location is in.
    pub fn related_in<'a>(&'a self, rel: &'a Related) -> (Option<&'a Source>, &'a str) {
        match &rel.file {
            None => (self.source.as_ref(), &self.display),
            Some(p) => (
                self.related_sources.get(p).map(Arc::as_ref),
                self.related_display
                    .get(p)
                    .map_or(p.as_str(), String::as_str),
            ),
        }
    }

    fn new(job: &Job) -> Report {
        Report {
            display: job.display.clone(),
            ..Report::empty()
        }
    }

    /// A report of no file yet.
    pub fn empty() -> Report {
        Report {
            display: String::new(),
            source: None,
            findings: Vec::new(),
            outcomes: Vec::new(),
            fixed: Vec::new(),
            written: false,
            diff: None,
            error: None,
            warnings: Vec::new(),
            skipped: false,
            stdin_output: None,
            related_sources: Arc::default(),
            related_display: Arc::default(),
        }
    }
}

/// Analyzes every job in parallel; reports keep the jobs' order (skipped files, such as
/// JSON that is not an ARM template, have none).
pub fn run(jobs: &[&Job], opts: &Options) -> Vec<Report> {
    jobs.par_iter()
        .filter_map(|job| {
            let Some(report) = process(job, opts) else {
                // Walked folders hold plenty of JSON that is not ours; a file the user
                // named is worth a word.
                return job.explicit.then(|| Report {
                    skipped: true,
                    warnings: vec![format!(
                        "skipped {}: not an ARM template (no deploymentTemplate.json `$schema`)",
                        job.display
                    )],
                    ..Report::new(job)
                });
            };
            Some(report)
        })
        .collect()
}

/// How many leading bytes decide whether an over-large JSON file is an ARM template.
const SNIFF_BYTES: u64 = 64 * 1024;

/// A `file-error` at the file's configured level (`off`: none).
fn file_error(report: &mut Report, settings: &Settings, message: String) {
    let level = settings.level(FILE_ERROR);
    if level != Level::Off {
        report.findings.push(Finding {
            rule: FILE_ERROR,
            level,
            message,
            range: 0..0,
            related: Vec::new(),
            fix: None,
        });
    }
}

/// The size limit for a job's file.
fn size_limit(job: &Job, opts: &Options) -> u64 {
    opts.max_file_size
        .or(job.config.max_file_size)
        .unwrap_or(DEFAULT_MAX_FILE_SIZE as u64)
}

/// Whether `check` would analyze the job's file (`--show-files`): JSON only when it is an
/// ARM template or parameters file, judged as [`process`] judges it.
pub fn is_checked(job: &Job, opts: &Options) -> Result<bool, String> {
    if job.language != Language::Json {
        return Ok(true);
    }
    let io = |e: std::io::Error| format!("cannot read {}: {}", job.display, io_message(&e));
    let file = std::fs::File::open(&job.path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    // An over-large file is judged by its head, as `process` judges it.
    let take = if len > size_limit(job, opts) {
        SNIFF_BYTES
    } else {
        len
    };
    let mut head = Vec::new();
    file.take(take).read_to_end(&mut head).map_err(io)?;
    Ok(is_analyzed_json(&String::from_utf8_lossy(&head)))
}

/// JSON that is analyzed: an ARM template, or a parameters file (read for its template,
/// spec section 1), so that one too large or not text is reported, not skipped.
fn is_analyzed_json(text: &str) -> bool {
    is_arm_template(text) || is_arm_parameters(text)
}

fn process(job: &Job, opts: &Options) -> Option<Report> {
    let mut report = Report::new(job);
    let limit = size_limit(job, opts);
    let settings = opts.settings(job);
    let settings = settings.as_ref();
    let io_error = |report: &mut Report, e: std::io::Error| {
        report.error = Some(format!("cannot read {}: {}", job.display, io_message(&e)));
    };

    if let Some(bytes) = &job.stdin {
        if bytes.len() as u64 > limit {
            let head = &bytes[..bytes.len().min(SNIFF_BYTES as usize)];
            if job.language == Language::Json && !is_analyzed_json(&String::from_utf8_lossy(head)) {
                return None;
            }
            file_error(
                &mut report,
                settings,
                format!(
                    "stdin is too large to analyze ({} bytes; the limit is {limit} bytes, set with --max-file-size or max-file-size in mtlsguard.toml)",
                    bytes.len()
                ),
            );
            return Some(report);
        }
        return analyze(job, opts, settings, report, bytes);
    }
    let len = match std::fs::metadata(&job.path) {
        Ok(m) => m.len(),
        Err(e) => {
            io_error(&mut report, e);
            return Some(report);
        }
    };
    if len > limit {
        if job.language == Language::Json {
            // Only report JSON that is an ARM template; `$schema` comes first in practice.
            let mut head = Vec::new();
            let sniff = std::fs::File::open(&job.path)
                .and_then(|f| f.take(SNIFF_BYTES).read_to_end(&mut head));
            if let Err(e) = sniff {
                io_error(&mut report, e);
                return Some(report);
            }
            if !is_analyzed_json(&String::from_utf8_lossy(&head)) {
                return None;
            }
        }
        file_error(
            &mut report,
            settings,
            format!(
                "file is too large to analyze ({len} bytes; the limit is {limit} bytes, set with --max-file-size or max-file-size in mtlsguard.toml)"
            ),
        );
        return Some(report);
    }

    let bytes = match std::fs::read(&job.path) {
        Ok(b) => b,
        Err(e) => {
            io_error(&mut report, e);
            return Some(report);
        }
    };
    analyze(job, opts, settings, report, &bytes)
}

/// Decodes, analyzes and (with `--fix`) writes back the file's `bytes`.
fn analyze(
    job: &Job,
    opts: &Options,
    settings: &Settings,
    mut report: Report,
    bytes: &[u8],
) -> Option<Report> {
    let (text, bom) = match decode(bytes) {
        Ok(t) => t,
        Err(message) => {
            if job.language == Language::Json && !is_analyzed_json(&String::from_utf8_lossy(bytes))
            {
                return None;
            }
            file_error(&mut report, settings, message);
            return Some(report);
        }
    };
    // A parameters file is read for the template it belongs to (spec section 8).
    if job.language == Language::Json && !is_analyzed_json(text) {
        return None;
    }

    if opts.mode == Mode::Check {
        (report.findings, report.outcomes) =
            analyze_text_with_outcomes(job.language, text, settings);
        report.source = Some(Source::new(text.to_owned(), bom));
        return Some(report);
    }

    let outcome = fix_until_stable(job.language, text, settings, opts.unsafe_fixes);
    if outcome.withheld {
        // Fixes are built never to break a file; if one ever did, keep the file as it is.
        report.warnings.push(format!(
            "the fixes for {} would introduce syntax errors, so they were not applied (please report this as a bug)",
            job.display
        ));
    }
    if outcome.text == text {
        report.findings = outcome.after;
        report.source = Some(Source::new(outcome.text, bom));
        return Some(report);
    }
    let mut new_bytes = Vec::with_capacity(outcome.text.len() + 3);
    if bom {
        new_bytes.extend_from_slice(b"\xEF\xBB\xBF");
    }
    new_bytes.extend_from_slice(outcome.text.as_bytes());

    if opts.mode == Mode::Diff {
        report.diff = Some(fix::unified_diff(&job.display, text, &outcome.text));
        report.fixed = outcome.applied;
        report.findings = outcome.before;
        report.source = Some(Source::new(text.to_owned(), bom));
        return Some(report);
    }

    if job.stdin.is_some() {
        report.stdin_output = Some(new_bytes);
        report.written = true;
        report.fixed = outcome.applied;
        report.findings = outcome.after;
        report.source = Some(Source::new(outcome.text, bom));
        return Some(report);
    }
    match fix::write_if_unchanged(&job.path, bytes, &new_bytes) {
        Ok(()) => {
            report.written = true;
            report.fixed = outcome.applied;
            report.findings = outcome.after;
            report.source = Some(Source::new(outcome.text, bom));
            return Some(report);
        }
        Err(fix::WriteError::Changed) => report.warnings.push(format!(
            "{} changed while mtlsguard was running; left it as it is (run again to fix it)",
            job.display
        )),
        Err(fix::WriteError::Vanished) => report.warnings.push(format!(
            "{} was deleted while mtlsguard was running; its fixes were not written",
            job.display
        )),
        Err(fix::WriteError::Io(e)) => {
            report.error = Some(format!(
                "cannot write the fixes to {}: {e}; the file is unchanged",
                job.display
            ))
        }
    }
    // Not written: report the file as it is.
    report.findings = outcome.before;
    report.source = Some(Source::new(text.to_owned(), bom));
    Some(report)
}

/// [`decode`], for the files read because others reference them.
pub fn decode_text(bytes: &[u8]) -> Result<(&str, bool), String> {
    decode(bytes)
}

/// The file's text without a UTF-8 BOM, or why it cannot be analyzed.
fn decode(bytes: &[u8]) -> Result<(&str, bool), String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err("file is UTF-16 encoded; save it as UTF-8 to analyze it".into());
    }
    let (body, bom) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    match std::str::from_utf8(body) {
        Ok(t) => Ok((t, bom)),
        Err(e) => {
            let at = e.valid_up_to() + if bom { 3 } else { 0 };
            let line = body[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            Err(format!(
                "file is not valid UTF-8 (invalid byte 0x{:02X} at byte offset {at}, line {line}); save it as UTF-8 to analyze it",
                bytes[at]
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes() {
        assert_eq!(decode(b"\xEF\xBB\xBFa"), Ok(("a", true)));
        assert_eq!(decode(b"a"), Ok(("a", false)));
        let e = decode(b"ab\ncd\xFFx").unwrap_err();
        assert!(e.contains("0xFF at byte offset 5, line 2"), "{e}");
        assert!(decode(b"\xFF\xFEa\0").unwrap_err().contains("UTF-16"));
    }
}
