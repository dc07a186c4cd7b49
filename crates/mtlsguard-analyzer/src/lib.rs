//! The mtlsguard analyzer: Bicep / ARM JSON source text in, client-certificate findings out.
//!
//! Pure by design: no file or network I/O and no LSP types, so the CLI and the language
//! server share exactly the same behaviour. Every range is a byte range into the source
//! text; callers convert to lines and columns in the encoding they need ([`LineIndex`]).

mod fix;
mod incremental;
mod line_index;
mod lower;
mod model;
mod parse;
mod rules;
mod suppress;
mod syntax;

use std::ops::Range;

pub use fix::{apply_edits, fix_all, fix_plan};
pub use incremental::Analyzer;
pub use line_index::LineIndex;
pub use parse::{
    Document, Language, Parsed, is_arm_template, language_for_path, parse, parse_with,
};
pub use rules::{RULES, RuleMeta, rule};
pub use syntax::syntax_tree_dump;

/// Rule id of the pseudo-rule that reports parse errors.
pub const SYNTAX_ERROR: &str = "syntax-error";
/// Rule id of the pseudo-rule that reports suppression comments that matched nothing.
pub const UNUSED_SUPPRESSION: &str = "unused-suppression";
/// Rule id of the file-level problems (not UTF-8, too large).
pub const FILE_ERROR: &str = "file-error";
/// The message of the syntax error that says a text was not analyzed (the parser's time
/// budget ran out: [`not_analyzed`]), so that callers hiding syntax errors can keep this one.
pub const NOT_ANALYZED: &str =
    "syntax error: too deeply nested or too broken to parse in time; this part was not analyzed";

/// Default size limit of an analyzed file (spec section 1).
pub const DEFAULT_MAX_FILE_SIZE: usize = 16 * 1024 * 1024;

/// How loudly a rule reports. `Off` disables the rule entirely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Off,
    Info,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Off => "off",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "off" => Level::Off,
            "info" => Level::Info,
            "warning" => Level::Warning,
            "error" => Level::Error,
            _ => return None,
        })
    }
}

/// A text replacement: `range` (bytes) becomes `new_text`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Edit {
    pub range: Range<usize>,
    pub new_text: String,
}

/// A fix for one finding: a set of non-overlapping edits applied together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// Human title, e.g. "Set clientCertMode to 'Required'".
    pub title: String,
    pub edits: Vec<Edit>,
    /// Safe fixes are applied by `check --fix` and marked preferred in the editor;
    /// unsafe ones need `--unsafe-fixes` (they change behaviour beyond the finding).
    pub safe: bool,
}

/// A secondary location that explains a finding (e.g. the param whose default decided it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub range: Range<usize>,
    pub message: String,
}

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Rule id, e.g. `app-service-client-cert`, `unused-suppression`, `syntax-error`.
    pub rule: &'static str,
    /// The configured level (never `Off`: disabled rules produce no findings).
    pub level: Level,
    pub message: String,
    pub range: Range<usize>,
    pub related: Vec<Related>,
    pub fix: Option<Fix>,
}

/// Which rules run and at what level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    levels: Vec<(&'static str, Level)>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            levels: RULES.iter().map(|r| (r.id, r.default_level)).collect(),
        }
    }
}

impl Settings {
    /// Sets the level of a rule; returns false when the id names no rule.
    pub fn set_level(&mut self, id: &str, level: Level) -> bool {
        match self.levels.iter_mut().find(|(r, _)| *r == id) {
            Some(slot) => {
                slot.1 = level;
                true
            }
            None => false,
        }
    }

    pub fn level(&self, id: &str) -> Level {
        self.levels
            .iter()
            .find(|(r, _)| *r == id)
            .map_or(Level::Off, |(_, l)| *l)
    }
}

/// Analyzes a parsed document: every enabled rule, suppressions, unused suppressions and
/// syntax errors, sorted by position.
pub fn analyze(doc: &Document<'_>, settings: &Settings) -> Vec<Finding> {
    Analyzer::new().analyze(doc, settings)
}

/// Adds syntax errors, applies suppressions, sorts: what every analysis ends with.
fn finish(doc: &Document<'_>, settings: &Settings, mut findings: Vec<Finding>) -> Vec<Finding> {
    // Syntax errors first, so a directive can suppress them like any finding and is not
    // reported unused.
    let level = settings.level(SYNTAX_ERROR);
    if level != Level::Off {
        findings.extend(syntax::errors(doc, level));
    }
    suppress::apply(doc, settings, &mut findings);
    findings.sort_by(|a, b| {
        (a.range.start, a.range.end, a.rule).cmp(&(b.range.start, b.range.end, b.rule))
    });
    findings
}

/// Start offsets of every resource declaration the analyzer understood (including
/// `existing` ones). Diagnostic aid for the corpus test: declarations in the text that are
/// missing here were lost to parse errors.
#[doc(hidden)]
pub fn declared_resource_starts(doc: &Document<'_>) -> Vec<usize> {
    lower::lower(doc)
        .resources
        .iter()
        .map(|r| r.decl_start)
        .collect()
}

/// `text` with `range` replaced by `new`, and the tree-sitter edit describing it (rows
/// and byte columns, as tree-sitter counts them). For the tests, benchmarks and fuzzers
/// that edit a `String` the way the server edits its rope.
#[doc(hidden)]
pub fn replace(text: &str, range: Range<usize>, new: &str) -> (String, tree_sitter::InputEdit) {
    fn point(text: &str, at: usize) -> tree_sitter::Point {
        let before = &text.as_bytes()[..at];
        let row = before.iter().filter(|&&b| b == b'\n').count();
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        tree_sitter::Point {
            row,
            column: at - line_start,
        }
    }
    let mut out = String::with_capacity(text.len() - range.len() + new.len());
    out.push_str(&text[..range.start]);
    out.push_str(new);
    out.push_str(&text[range.end..]);
    let new_end = range.start + new.len();
    let edit = tree_sitter::InputEdit {
        start_byte: range.start,
        old_end_byte: range.end,
        new_end_byte: new_end,
        start_position: point(text, range.start),
        old_end_position: point(text, range.end),
        new_end_position: point(&out, new_end),
    };
    (out, edit)
}

/// The edit that takes back `edit` (see [`replace`]).
#[doc(hidden)]
pub fn undo(edit: &tree_sitter::InputEdit) -> tree_sitter::InputEdit {
    tree_sitter::InputEdit {
        start_byte: edit.start_byte,
        old_end_byte: edit.new_end_byte,
        new_end_byte: edit.old_end_byte,
        start_position: edit.start_position,
        old_end_position: edit.new_end_position,
        new_end_position: edit.old_end_position,
    }
}

/// What analysis reports for a text the parser ran out of time on ([`Parsed::OutOfTime`]):
/// one syntax error on its first line saying it was not analyzed, never a silent pass
/// (none while `syntax-error` is off).
pub fn not_analyzed(text: &str, settings: &Settings) -> Vec<Finding> {
    let level = settings.level(SYNTAX_ERROR);
    if level == Level::Off {
        return Vec::new();
    }
    let first_line = text.find(['\n', '\r']).unwrap_or(text.len());
    vec![Finding {
        rule: SYNTAX_ERROR,
        level,
        message: NOT_ANALYZED.into(),
        range: 0..first_line,
        related: Vec::new(),
        fix: None,
    }]
}

/// Convenience for one-shot callers (the CLI, tests): parse and analyze `text`.
/// Fixes are only offered where they keep the text's syntax (see [`keep_clean_fixes`]).
pub fn analyze_text(language: Language, text: &str, settings: &Settings) -> Vec<Finding> {
    let OneShot {
        errors,
        broken,
        mut findings,
    } = one_shot(language, text, Some(settings));
    if broken && findings.iter().any(|f| f.fix.is_some()) {
        let all = findings.clone();
        drop_unclean_fixes(language, text, settings, (errors, &all), &mut findings);
    }
    findings
}

/// How many syntax errors `text` has, whatever the level of `syntax-error` and any
/// suppression (the one-shot parse, as `check` reads files).
pub fn syntax_error_count(language: Language, text: &str) -> usize {
    one_shot(language, text, None).errors
}

/// What the one-shot parse of `text` gives.
struct OneShot {
    /// Syntax errors, raw (as [`syntax_error_count`] counts them).
    errors: usize,
    /// The tree has errors, tolerated ones included.
    broken: bool,
    /// The findings, with settings given (fixes unchecked).
    findings: Vec<Finding>,
}

fn one_shot(language: Language, text: &str, settings: Option<&Settings>) -> OneShot {
    let Parsed::Tree(tree) = parse(language, text, None) else {
        return OneShot {
            errors: 1,
            broken: true,
            findings: settings.map(|s| not_analyzed(text, s)).unwrap_or_default(),
        };
    };
    let doc = Document::new(language, text, &tree);
    OneShot {
        errors: syntax::errors(&doc, Level::Info).len(),
        broken: tree.root_node().has_error(),
        findings: settings.map(|s| analyze(&doc, s)).unwrap_or_default(),
    }
}

/// How many bytes of re-analysis [`keep_clean_fixes`] may spend on one text.
const FIX_CHECK_BUDGET: usize = 64 * 1024 * 1024;

/// Keeps only the fixes that, applied to `text`, add no syntax error and remove their
/// finding (one fewer of the same rule and message).
///
/// Fixes are built to do both, and on valid text they do; but on text that already has
/// syntax errors, tree-sitter's error recovery can take another shape around any edit
/// (fuzzing found an unused directive's removal turn 1 syntax error into 34, and another
/// whose removal made a different directive unused). So in a broken text each fix is
/// tried; past [`FIX_CHECK_BUDGET`] bytes of re-analysis (a huge broken file with
/// thousands of fixes) the remaining fixes are dropped untried rather than offered
/// unchecked. `findings` may be any subset of the text's findings.
pub fn keep_clean_fixes(
    language: Language,
    text: &str,
    settings: &Settings,
    findings: &mut [Finding],
) {
    if findings.iter().all(|f| f.fix.is_none()) {
        return;
    }
    let before = one_shot(language, text, Some(settings));
    drop_unclean_fixes(
        language,
        text,
        settings,
        (before.errors, &before.findings),
        findings,
    );
}

/// [`keep_clean_fixes`] given the text's one-shot syntax errors and findings.
fn drop_unclean_fixes(
    language: Language,
    text: &str,
    settings: &Settings,
    (errors, all): (usize, &[Finding]),
    findings: &mut [Finding],
) {
    let same = |all: &[Finding], f: &Finding| {
        all.iter()
            .filter(|g| g.rule == f.rule && g.message == f.message)
            .count()
    };
    let mut budget = FIX_CHECK_BUDGET;
    for f in findings.iter_mut().filter(|f| f.fix.is_some()) {
        let clean = budget >= text.len()
            && f.fix.as_ref().is_some_and(|fix| {
                budget -= text.len();
                apply_edits(text, &fix.edits).is_ok_and(|fixed| {
                    let after = one_shot(language, &fixed, Some(settings));
                    after.errors <= errors && same(&after.findings, f) < same(all, f)
                })
            });
        if !clean {
            f.fix = None;
        }
    }
}
