//! The one fix-until-stable loop, for the CLI's `--fix`, the server's fix-all and the tests.

use super::{fix_all, fix_plan};
use crate::check::{analyze_text, syntax_error_count};
use crate::finding::Finding;
use crate::rules::Settings;
use crate::syntax::Language;

/// At most this many analyze → fix rounds (fixes that clash go in a later round; a few
/// rounds settle any real file).
pub const MAX_FIX_ROUNDS: usize = 10;

/// What fixing a text until no fix applies gave.
#[derive(Debug, Clone)]
pub struct FixRun {
    /// The fixed text (the text as given when nothing applied, or when `withheld`).
    pub text: String,
    /// Findings of the text as given.
    pub before: Vec<Finding>,
    /// Findings of `text`.
    pub after: Vec<Finding>,
    /// The fixes that went in, in order: (rule, title).
    pub applied: Vec<(&'static str, String)>,
    /// The fixes would have added syntax errors, so none was applied. Fixes are built
    /// never to do that; callers say so, as a bug.
    pub withheld: bool,
}

/// Applies the fixes of `text`'s findings (safe ones, or all with `unsafe_fixes`),
/// re-analyzes and applies again until nothing changes or [`MAX_FIX_ROUNDS`] have run.
pub fn fix_until_stable(
    language: Language,
    text: &str,
    settings: &Settings,
    unsafe_fixes: bool,
) -> FixRun {
    let before = analyze_text(language, text, settings);
    let mut current = text.to_owned();
    let mut findings = before.clone();
    let mut applied = Vec::new();
    for _ in 0..MAX_FIX_ROUNDS {
        let plan = fix_plan(&findings, unsafe_fixes);
        let (next, n) = fix_all(&current, &findings, unsafe_fixes);
        if n == 0 || next == current {
            break;
        }
        applied.extend(plan.into_iter().take(n).filter_map(|i| {
            let f = &findings[i];
            Some((f.rule, f.fix.as_ref()?.title.clone()))
        }));
        current = next;
        findings = analyze_text(language, &current, settings);
    }
    if current != text
        && syntax_error_count(language, &current) > syntax_error_count(language, text)
    {
        return FixRun {
            text: text.to_owned(),
            after: before.clone(),
            before,
            applied: Vec::new(),
            withheld: true,
        };
    }
    FixRun {
        text: current,
        before,
        after: findings,
        applied,
        withheld: false,
    }
}
