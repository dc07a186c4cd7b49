//! Checks shared by the fuzz targets.
#![allow(dead_code)]

use mtlsguard_analyzer::{
    Document, Finding, Language, Level, LineIndex, Parsed, SYNTAX_ERROR, Settings, analyze,
    analyze_text, is_arm_template, parse, syntax_tree_dump,
};

/// Bytes as text: the CLI rejects invalid UTF-8 before the analyzer, so the analyzer only
/// ever sees `str`; lossy decoding keeps every input useful.
pub fn text_of(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// A finding's ranges lie inside the text, on character boundaries, and convert to lines.
pub fn check_findings(text: &str, findings: &[Finding]) {
    let index = LineIndex::new(text);
    for f in findings {
        let ranges = std::iter::once(&f.range).chain(f.related.iter().map(|r| &r.range));
        for r in ranges {
            assert!(r.start <= r.end && r.end <= text.len(), "{f:?}");
            assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end), "{f:?}");
            index.line_col(text, r.start);
            index.line_col_utf16(text, r.end);
        }
        if let Some(fix) = &f.fix {
            for e in &fix.edits {
                assert!(e.range.start <= e.range.end && e.range.end <= text.len(), "{f:?}");
                assert!(text.is_char_boundary(e.range.start) && text.is_char_boundary(e.range.end));
            }
        }
        assert_ne!(f.level, Level::Off);
    }
}

/// Everything a caller can do with a text: the editor's and the CLI's analysis, the
/// tree dump.
pub fn exercise(language: Language, text: &str) -> Vec<Finding> {
    let settings = Settings::default();
    // Out of time (a starved process): the one-shot path below says "not analyzed".
    if let Parsed::Tree(tree) = parse(language, text, None) {
        let whole = analyze(&Document::new(language, text, &tree), &settings);
        check_findings(text, &whole);
        let _ = syntax_tree_dump(&tree, text);
    }
    let one_shot = analyze_text(language, text, &settings);
    check_findings(text, &one_shot);
    let _ = is_arm_template(text);
    one_shot
}

/// Syntax errors of `text` as the CLI counts them (the one-shot path).
pub fn syntax_errors(language: Language, text: &str) -> usize {
    mtlsguard_analyzer::syntax_error_count(language, text)
}

pub fn all_info() -> Settings {
    let mut s = Settings::default();
    s.set_level(SYNTAX_ERROR, Level::Info);
    s
}
