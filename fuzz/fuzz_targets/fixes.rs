//! (d) Every offered fix, applied to arbitrary input (alone, then all together as
//! `check --fix` does), leaves text with no more syntax errors than before, and the
//! finding it fixes is gone.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use mtlsguard_analyzer::{Finding, Language, analyze_text, apply_edits, fix_all};

/// How many findings match `f` by rule and message (positions move when text is inserted).
fn same(findings: &[Finding], f: &Finding) -> usize {
    findings.iter().filter(|g| g.rule == f.rule && g.message == f.message).count()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let language = if selector & 1 == 0 { Language::Bicep } else { Language::Json };
    let text = common::text_of(rest);
    let settings = common::all_info();
    let findings = analyze_text(language, &text, &settings);
    common::check_findings(&text, &findings);
    if findings.iter().all(|f| f.fix.is_none()) {
        return;
    }
    let errors_before = common::syntax_errors(language, &text);
    for f in findings.iter().filter(|f| f.fix.is_some()) {
        let fix = f.fix.as_ref().unwrap();
        let fixed = apply_edits(&text, &fix.edits).expect("an offered fix applies");
        let after = analyze_text(language, &fixed, &settings);
        let errors_after = common::syntax_errors(language, &fixed);
        assert!(
            errors_after <= errors_before,
            "fix {:?} added syntax errors ({errors_before} -> {errors_after}):\n{text:?}\n->\n{fixed:?}",
            fix.title
        );
        assert!(
            same(&after, f) < same(&findings, f),
            "fix {:?} did not remove {:?}:\n{text:?}\n->\n{fixed:?}",
            fix.title,
            f.message
        );
    }
    let (all, n) = fix_all(&text, &findings, true);
    if n > 0 {
        let errors_after = common::syntax_errors(language, &all);
        assert!(
            errors_after <= errors_before,
            "fix_all added syntax errors ({errors_before} -> {errors_after}):\n{text:?}\n->\n{all:?}"
        );
    }
});
