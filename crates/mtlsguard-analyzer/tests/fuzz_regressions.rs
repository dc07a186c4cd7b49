//! Inputs the fuzzers (`fuzz/`) found, kept as regression tests. A file's first byte
//! picks the language (even: Bicep, odd: ARM JSON), the rest is the text (lossy UTF-8),
//! as in the `fixes` fuzz target: every offered fix must remove its finding and add no
//! syntax error.
//!
//! - `fixes-insert-into-unclosed-comment.bin`: an insert landed inside a block comment
//!   that an unclosed `/*` had run over the object's end.
//! - `fixes-error-recovery-shifts.bin`: in garbage JSON, removing an unused directive's
//!   comment line made tree-sitter recover differently (1 syntax error became 34): fixes
//!   in a broken text are now tried before they are offered.
//! - `fixes-another-directive-becomes-unused.bin`: in broken JSON, removing one unused
//!   directive shifted the recovery so that another directive became unused: a tried fix
//!   must also remove its finding.

use std::path::Path;

use mtlsguard_analyzer::{
    Finding, Language, Settings, analyze_text, apply_edits, syntax_error_count,
};

fn same(findings: &[Finding], f: &Finding) -> usize {
    findings
        .iter()
        .filter(|g| g.rule == f.rule && g.message == f.message)
        .count()
}

#[test]
fn fuzz_found_inputs_fix_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let settings = Settings::default();
    for path in files {
        let data = std::fs::read(&path).unwrap();
        let (&selector, rest) = data.split_first().unwrap();
        let language = if selector & 1 == 0 {
            Language::Bicep
        } else {
            Language::Json
        };
        let text = String::from_utf8_lossy(rest).into_owned();
        let findings = analyze_text(language, &text, &settings);
        for f in findings.iter().filter(|f| f.fix.is_some()) {
            let fixed = apply_edits(&text, &f.fix.as_ref().unwrap().edits).unwrap();
            let after = analyze_text(language, &fixed, &settings);
            assert!(
                syntax_error_count(language, &fixed) <= syntax_error_count(language, &text),
                "{}: {:?} added syntax errors",
                path.display(),
                f.message
            );
            assert!(
                same(&after, f) < same(&findings, f),
                "{}: fix for {:?} did not remove it",
                path.display(),
                f.message
            );
        }
    }
}
