//! Fixture tests: every file under `src/rules/fixtures/<rule-id>/` is analyzed and
//! checked against its inline markers, then fixed and checked again.
//!
//! A marker is a comment `// expect: <rule-id>[, <rule-id>...]` at the end of the line
//! where a finding starts (JSON fixtures may carry comments: ARM accepts them). Every
//! finding must be marked and every marker matched. Messages, fix titles and the fully
//! fixed text are pinned by an insta snapshot per fixture.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use mtlsguard_analyzer::{
    Language, LineIndex, Settings, analyze_text, fix_until_stable, language_for_path,
};

fn fixture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules/fixtures");
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).expect("fixtures folder") {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue; // .gitattributes
        }
        for f in std::fs::read_dir(&dir).unwrap() {
            files.push(f.unwrap().path());
        }
    }
    files.sort();
    files
}

fn markers(text: &str) -> BTreeMap<usize, Vec<String>> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if let Some((_, rest)) = line.split_once("// expect: ") {
            let mut ids: Vec<String> = rest.split(',').map(|s| s.trim().to_owned()).collect();
            ids.sort();
            out.insert(i + 1, ids);
        }
    }
    out
}

fn language(path: &Path) -> Language {
    language_for_path(path.to_str().unwrap()).expect("fixture extension")
}

#[test]
fn fixtures_match_their_markers_and_fix_cleanly() {
    let settings = Settings::default();
    let mut failures = String::new();
    let files = fixture_files();
    assert!(
        !files.is_empty(),
        "expected fixtures for every rule in both languages"
    );
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let lang = language(path);
        let findings = analyze_text(lang, &text, &settings);
        // The CLI's one-shot path and the language server's tree-then-analysis path must
        // find exactly the same (syntax errors aside): the CLI only withholds the fixes
        // that would break a text which already has syntax errors.
        let tree = mtlsguard_analyzer::parse(lang, &text, None)
            .into_tree()
            .expect("parsed in time");
        let whole = mtlsguard_analyzer::analyze(
            &mtlsguard_analyzer::Document::new(lang, &text, &tree),
            &settings,
        );
        let rules_only = |fs: &[mtlsguard_analyzer::Finding]| -> Vec<_> {
            fs.iter()
                .filter(|f| f.rule != "syntax-error")
                .map(|f| (f.rule, f.range.clone(), f.message.clone(), f.fix.clone()))
                .collect()
        };
        if rules_only(&findings) != rules_only(&whole) {
            let _ = writeln!(
                failures,
                "{}: whole-tree analysis differs from the per-declaration one:\n  {:?}\n  {:?}",
                path.display(),
                rules_only(&whole),
                rules_only(&findings)
            );
        }
        let index = LineIndex::new(&text);
        let mut got: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for f in &findings {
            got.entry(index.line(f.range.start) + 1)
                .or_default()
                .push(f.rule.to_owned());
        }
        for ids in got.values_mut() {
            ids.sort();
        }
        let want = markers(&text);
        if got != want {
            let _ = writeln!(
                failures,
                "{}:\n  expected {want:?}\n  found    {got:?}",
                path.display()
            );
        }

        // Snapshot: findings with positions, messages, related locations and fixes.
        let mut snap = String::new();
        for f in &findings {
            let (l, c) = index.line_col(&text, f.range.start);
            let _ = writeln!(
                snap,
                "{}:{} {} {}: {}",
                l + 1,
                c + 1,
                f.rule,
                f.level.as_str(),
                f.message
            );
            let _ = writeln!(snap, "    at: {:?}", &text[f.range.clone()]);
            for r in &f.related {
                let (l, c) = index.line_col(&text, r.range.start);
                let _ = writeln!(snap, "    related {}:{} {}", l + 1, c + 1, r.message);
            }
            if let Some(fix) = &f.fix {
                let _ = writeln!(
                    snap,
                    "    fix ({}): {}",
                    if fix.safe { "safe" } else { "unsafe" },
                    fix.title
                );
            }
        }
        // Apply every fix until nothing more applies; fixed findings must be gone and no
        // syntax error may appear.
        let run = fix_until_stable(lang, &text, &settings, true);
        assert!(
            !run.withheld,
            "{}: a fix added syntax errors",
            path.display()
        );
        let fixed = run.text;
        // Fixes keep the file's bytes around them: CRLF stays CRLF, a BOM stays.
        let crlf_only = text.contains("\r\n") && !text.replace("\r\n", "").contains('\n');
        if crlf_only && fixed.replace("\r\n", "").contains('\n') {
            let _ = writeln!(
                failures,
                "{}: a fix wrote a bare LF into a CRLF file",
                path.display()
            );
        }
        if text.starts_with('\u{feff}') != fixed.starts_with('\u{feff}') {
            let _ = writeln!(
                failures,
                "{}: fixing changed the byte-order mark",
                path.display()
            );
        }
        if fixed != text {
            let after = analyze_text(lang, &fixed, &settings);
            // Syntax errors the fixture starts with may stay; fixes must not add any.
            let syntax_errors = |fs: &[mtlsguard_analyzer::Finding]| {
                fs.iter().filter(|f| f.rule == "syntax-error").count()
            };
            let new_errors = syntax_errors(&after) > syntax_errors(&findings);
            for f in &after {
                if f.fix.is_some() || new_errors && f.rule == "syntax-error" {
                    let _ = writeln!(
                        failures,
                        "{}: after fixing, still {} {}",
                        path.display(),
                        f.rule,
                        f.message
                    );
                }
            }
            let _ = writeln!(snap, "--- fixed text ---\n{fixed}");
        }
        let name = format!(
            "{}__{}",
            path.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_str()
                .unwrap(),
            path.file_name().unwrap().to_str().unwrap()
        );
        insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(name, snap);
        });
    }
    assert!(failures.is_empty(), "fixture mismatches:\n{failures}");
}
