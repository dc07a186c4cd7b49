//! Robustness over the real corpus in `../shared/corpus` (skipped with a notice when absent):
//! every file is analyzed without panicking, and the figures are printed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use mtlsguard_analyzer::{
    Document, Language, Settings, analyze, declared_resource_starts, is_arm_template,
};

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    dir.is_dir().then_some(dir)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Offsets of lines that start a Bicep `resource` declaration, found textually.
fn textual_declarations(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut in_multiline = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if line.matches("'''").count() % 2 == 1 {
            in_multiline = !in_multiline;
        }
        if !in_multiline && t.starts_with("resource ") && t.contains('\'') && t.contains('=') {
            out.push(offset + (line.len() - t.len()));
        }
        offset += line.len();
    }
    out
}

/// Whether the compiler is known to accept `path`: every Azure Verified Module, every
/// Bicep compiler baseline whose `main.diagnostics.bicep` lists no `(Error)`, and every ARM
/// template (all of the corpus's deploy). Such files must get no `syntax-error`.
fn known_valid(dir: &Path, path: &Path, lang: Language) -> bool {
    if lang == Language::Json {
        return true;
    }
    let rel = path
        .strip_prefix(dir)
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/");
    if rel.starts_with("Azure+bicep-registry-modules/avm/") {
        return true;
    }
    let baseline = rel.starts_with("Azure+bicep/src/Bicep.Core.Samples/Files/baselines/")
        && rel.ends_with("/main.bicep");
    baseline
        && std::fs::read_to_string(path.with_file_name("main.diagnostics.bicep"))
            .is_ok_and(|d| !d.contains("(Error)"))
}

#[test]
fn corpus_analyzes_without_panics() {
    let Some(dir) = corpus_dir() else {
        println!("NOTICE: ../shared/corpus is absent; corpus test skipped");
        return;
    };
    let mut files = Vec::new();
    walk(&dir, &mut files);
    let settings = Settings::default();
    let start = Instant::now();
    let (mut n_bicep, mut n_json, mut bytes) = (0usize, 0usize, 0usize);
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut files_with_errors, mut lost, mut declared) = (BTreeMap::new(), 0usize, 0usize);
    let mut lost_files = Vec::new();
    let mut not_utf8 = Vec::new();
    let (mut n_valid, mut valid_with_errors) = (0usize, Vec::new());
    for path in &files {
        let name = path.to_string_lossy();
        let lang = if name.ends_with(".bicep") {
            Language::Bicep
        } else if name.ends_with(".json") || name.ends_with(".jsonc") {
            Language::Json
        } else {
            continue;
        };
        let raw = std::fs::read(path).unwrap();
        let Ok(text) = String::from_utf8(raw) else {
            not_utf8.push(path.clone());
            continue;
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned();
        if lang == Language::Json && !is_arm_template(&text) {
            continue;
        }
        bytes += text.len();
        *if lang == Language::Bicep {
            &mut n_bicep
        } else {
            &mut n_json
        } += 1;
        let tree = mtlsguard_analyzer::parse(lang, &text, None)
            .into_tree()
            .expect("parsed in time");
        let doc = Document::new(lang, &text, &tree);
        let findings = analyze(&doc, &settings);
        let valid = known_valid(&dir, path, lang);
        n_valid += usize::from(valid);
        if let Some(e) = findings.iter().find(|f| f.rule == "syntax-error") {
            *files_with_errors.entry(lang.name()).or_insert(0usize) += 1;
            if valid {
                let line = text[..e.range.start].matches('\n').count() + 1;
                valid_with_errors.push(format!("{name}:{line}: {}", e.message));
            }
        }
        for f in &findings {
            *per_rule.entry(f.rule).or_insert(0) += 1;
            assert!(
                f.range.start <= f.range.end && f.range.end <= text.len(),
                "{name}: bad range"
            );
        }
        if lang == Language::Bicep {
            let got = declared_resource_starts(&doc);
            let want = textual_declarations(&text);
            declared += want.len();
            let missing = want.iter().filter(|s| !got.contains(s)).count();
            if missing > 0 {
                lost += missing;
                lost_files.push((
                    path.strip_prefix(&dir).unwrap().display().to_string(),
                    missing,
                ));
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "corpus: {n_bicep} Bicep + {n_json} ARM JSON files, {:.1} MB, analyzed in {secs:.2} s",
        bytes as f64 / 1e6
    );
    println!("files with syntax-error findings: {files_with_errors:?}");
    println!("findings per rule: {per_rule:#?}");
    println!("Bicep resource declarations: {declared}, lost to parse errors: {lost}");
    for (f, n) in lost_files.iter().take(40) {
        println!("  lost {n} in {f}");
    }
    if !not_utf8.is_empty() {
        println!("not UTF-8 (reported as file errors by the CLI): {not_utf8:?}");
    }
    assert!(n_bicep > 1000 && n_json > 1000, "corpus looks incomplete");
    println!(
        "files the compiler accepts: {n_valid}, with syntax errors: {}",
        valid_with_errors.len()
    );
    assert!(
        valid_with_errors.is_empty(),
        "valid files with syntax errors:\n{}",
        valid_with_errors.join("\n")
    );
}

#[test]
#[ignore = "diagnostic: prints the slowest files"]
fn corpus_slowest() {
    let Some(dir) = corpus_dir() else { return };
    let mut files = Vec::new();
    walk(&dir, &mut files);
    let mut times = Vec::new();
    for path in &files {
        let name = path.to_string_lossy();
        let lang = if name.ends_with(".bicep") {
            Language::Bicep
        } else if name.ends_with(".json") {
            Language::Json
        } else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let t0 = Instant::now();
        let tree = mtlsguard_analyzer::parse(lang, &text, None)
            .into_tree()
            .expect("parsed in time");
        let t1 = t0.elapsed();
        let doc = Document::new(lang, &text, &tree);
        let _ = analyze(&doc, &Settings::default());
        times.push((t0.elapsed(), t1, text.len(), name.to_string()));
    }
    let total: std::time::Duration = times.iter().map(|t| t.0).sum();
    let parse: std::time::Duration = times.iter().map(|t| t.1).sum();
    println!("total {total:?}, parse {parse:?}");
    times.sort();
    for t in times.iter().rev().take(15) {
        println!("{:?} (parse {:?}) {} {}", t.0, t.1, t.2, t.3);
    }
}
