//! One-shot analysis: a text in, its findings out (the CLI's path, and the tests').

use crate::finding::{Finding, Level, NOT_ANALYZED, SYNTAX_ERROR};
use crate::fix::apply_edits;
use crate::incremental::Analyzer;
use crate::rules::Outcome;
use crate::rules::Settings;
use crate::syntax;
use crate::syntax::{Document, Language, Parsed, parse};

/// Analyzes a parsed document: every enabled rule, suppressions, unused suppressions and
/// syntax errors, sorted by position.
pub fn analyze(doc: &Document<'_>, settings: &Settings) -> Vec<Finding> {
    Analyzer::new().analyze(doc, settings)
}

/// Start offsets of every resource declaration the analyzer understood (including
/// `existing` ones). Diagnostic aid for the corpus test: declarations in the text that are
/// missing here were lost to parse errors.
#[doc(hidden)]
pub fn declared_resource_starts(doc: &Document<'_>) -> Vec<usize> {
    crate::lower::lower(doc)
        .resources
        .iter()
        .map(|r| r.decl_start)
        .collect()
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
    analyze_text_with_outcomes(language, text, settings).0
}

/// [`analyze_text`], and how each rule's check of each resource ended (what
/// `check --statistics` counts), from the same analysis.
pub fn analyze_text_with_outcomes(
    language: Language,
    text: &str,
    settings: &Settings,
) -> (Vec<Finding>, Vec<(&'static str, Outcome)>) {
    let OneShot {
        errors,
        broken,
        mut findings,
        outcomes,
    } = one_shot(language, text, Some(settings));
    if broken && findings.iter().any(|f| f.fix.is_some()) {
        let all = findings.clone();
        drop_unclean_fixes(language, text, settings, (errors, &all), &mut findings);
    }
    (findings, outcomes)
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
    /// The tree has errors.
    broken: bool,
    /// The findings, with settings given (fixes unchecked).
    findings: Vec<Finding>,
    outcomes: Vec<(&'static str, Outcome)>,
}

fn one_shot(language: Language, text: &str, settings: Option<&Settings>) -> OneShot {
    let Parsed::Tree(tree) = parse(language, text, None) else {
        return OneShot {
            errors: 1,
            broken: true,
            findings: settings.map(|s| not_analyzed(text, s)).unwrap_or_default(),
            outcomes: Vec::new(),
        };
    };
    let doc = Document::new(language, text, &tree);
    let mut analyzer = Analyzer::new();
    let findings = settings
        .map(|s| analyzer.analyze(&doc, s))
        .unwrap_or_default();
    OneShot {
        errors: syntax::errors(&doc, Level::Info).len(),
        broken: tree.root_node().has_error(),
        findings,
        outcomes: analyzer.last_outcomes().to_vec(),
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
