//! `check --fix` never loses data, shown on many real files rather than a handful:
//!
//! - over a copy of `../shared/corpus` (skipped with a notice when absent), as it is;
//! - over a synthetic set that always exists: every rule fixture and example, also saved
//!   with CRLF line endings, a BOM and tab indentation, and (when the corpus is present)
//!   a sample of corpus files with the examples' non-compliant resources injected, so the
//!   fixes meet real files' indentation, comments and line endings.
//!
//! On each set: every changed file has no more syntax errors than before, a second `check`
//! finds none of the fixed findings, a second `--fix` changes nothing, and every file
//! without a fixable finding is untouched (same bytes, same mtime). The figures are
//! printed (`-- --nocapture`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use common::{run, workspace};
use serde_json::Value;

fn corpus_dir() -> Option<PathBuf> {
    let dir = workspace().join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let ft = fs::symlink_metadata(&p).unwrap().file_type();
        if ft.is_dir() {
            walk(&p, out);
        } else if ft.is_file() {
            out.push(p);
        }
    }
}

fn copy_tree(from: &Path, to: &Path) -> usize {
    let mut files = Vec::new();
    walk(from, &mut files);
    for f in &files {
        let dest = to.join(f.strip_prefix(from).unwrap());
        fs::create_dir_all(dest.parent().unwrap()).unwrap();
        fs::copy(f, &dest).unwrap();
        // The shared corpus is read-only; its copy must be writable like a checkout.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&dest).unwrap().permissions().mode();
            fs::set_permissions(&dest, fs::Permissions::from_mode(mode | 0o200)).unwrap();
        }
    }
    files.len()
}

type Snapshot = BTreeMap<String, (Vec<u8>, SystemTime)>;

fn snapshot(root: &Path) -> Snapshot {
    let mut files = Vec::new();
    walk(root, &mut files);
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let mtime = fs::metadata(&p).unwrap().modified().unwrap();
            (rel, (fs::read(&p).unwrap(), mtime))
        })
        .collect()
}

/// The findings of `mtlsguard check <extra> --output-format json` run in `root`.
fn findings(root: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["check", "--output-format", "json"];
    args.extend_from_slice(extra);
    let r = run(root, &args);
    assert!(
        r.code == 0 || r.code == 1,
        "mtlsguard {args:?} exited {}: {}",
        r.code,
        r.stderr
    );
    assert!(
        !r.stderr.contains("would introduce syntax errors") && !r.stderr.contains("cannot write"),
        "{}",
        r.stderr
    );
    let mut out: Vec<Value> = serde_json::from_str(&r.stdout).expect("JSON output");
    for f in &mut out {
        let p = f["path"].as_str().unwrap();
        f["path"] = Value::from(p.strip_prefix("./").unwrap_or(p));
    }
    out
}

fn path(f: &Value) -> &str {
    f["path"].as_str().unwrap()
}

fn rule(f: &Value) -> &str {
    f["rule"].as_str().unwrap()
}

fn fixable(f: &Value, unsafe_fixes: bool) -> bool {
    !f["fix"].is_null() && (unsafe_fixes || f["fix"]["safe"] == true)
}

/// Counts per (path, rule).
fn per_rule(
    findings: &[Value],
    keep: impl Fn(&Value) -> bool,
) -> BTreeMap<(String, String), usize> {
    let mut out = BTreeMap::new();
    for f in findings.iter().filter(|f| keep(f)) {
        *out.entry((path(f).to_owned(), rule(f).to_owned()))
            .or_default() += 1;
    }
    out
}

fn syntax_errors(findings: &[Value], file: &str) -> usize {
    findings
        .iter()
        .filter(|f| path(f) == file && rule(f) == "syntax-error")
        .count()
}

#[derive(Debug, Default)]
struct Figures {
    files: usize,
    bytes: usize,
    changed: usize,
    fixed: BTreeMap<String, usize>,
    syntax_before: usize,
    syntax_after: usize,
    syntax_total: (usize, usize),
    seconds: f64,
}

/// Runs `check --fix` twice over `root` and checks every invariant; returns the figures.
fn check_fix_invariants(root: &Path, unsafe_fixes: bool) -> Figures {
    let start = Instant::now();
    let fix_args: &[&str] = if unsafe_fixes {
        &["--fix", "--unsafe-fixes"]
    } else {
        &["--fix"]
    };
    let before_files = snapshot(root);
    let before = findings(root, &[]);
    let fixable_files: BTreeSet<&str> = before
        .iter()
        .filter(|f| fixable(f, unsafe_fixes))
        .map(path)
        .collect();

    let reported = findings(root, fix_args);
    let after_files = snapshot(root);
    assert_eq!(
        before_files.keys().collect::<Vec<_>>(),
        after_files.keys().collect::<Vec<_>>(),
        "--fix created or removed files (a temporary file left behind?)"
    );
    let after = findings(root, &[]);
    assert_eq!(
        reported, after,
        "what --fix reports as left must be what a fresh check finds"
    );

    let mut figures = Figures {
        files: before_files.len(),
        bytes: before_files.values().map(|(b, _)| b.len()).sum(),
        ..Figures::default()
    };
    for (file, (old, old_mtime)) in &before_files {
        let (new, new_mtime) = &after_files[file];
        if old == new {
            assert_eq!(old_mtime, new_mtime, "{file}: unchanged but rewritten");
            continue;
        }
        assert!(
            fixable_files.contains(file.as_str()),
            "{file} changed without a fixable finding"
        );
        figures.changed += 1;
        let (s_before, s_after) = (syntax_errors(&before, file), syntax_errors(&after, file));
        assert!(
            s_after <= s_before,
            "{file}: {s_before} syntax errors before --fix, {s_after} after:\n{}",
            String::from_utf8_lossy(new)
        );
        figures.syntax_before += s_before;
        figures.syntax_after += s_after;
    }
    for file in &fixable_files {
        assert_ne!(
            before_files[*file].0, after_files[*file].0,
            "{file} has a fixable finding but --fix left it as it was"
        );
    }

    let count = |fs: &[Value]| fs.iter().filter(|f| rule(f) == "syntax-error").count();
    figures.syntax_total = (count(&before), count(&after));
    assert!(figures.syntax_total.1 <= figures.syntax_total.0);

    // None of the fixed findings is found again: per file and rule, what is left is at
    // most what had no fix, and nothing fixable is left anywhere.
    let all_before = per_rule(&before, |_| true);
    let fixed_before = per_rule(&before, |f| fixable(f, unsafe_fixes));
    let all_after = per_rule(&after, |_| true);
    for ((file, rule), n_fixed) in &fixed_before {
        let left = all_after
            .get(&(file.clone(), rule.clone()))
            .copied()
            .unwrap_or(0);
        let total = all_before[&(file.clone(), rule.clone())];
        assert!(
            left <= total - n_fixed,
            "{file}: {rule} had {total} findings, {n_fixed} fixable; {left} left after --fix"
        );
        *figures.fixed.entry(rule.clone()).or_default() += n_fixed;
    }
    let still_fixable: Vec<_> = after.iter().filter(|f| fixable(f, unsafe_fixes)).collect();
    assert!(still_fixable.is_empty(), "{still_fixable:#?}");

    // Idempotent: a second --fix writes nothing.
    let again = findings(root, fix_args);
    assert_eq!(again, after);
    assert!(
        snapshot(root) == after_files,
        "a second --fix changed files"
    );
    figures.seconds = start.elapsed().as_secs_f64();
    figures
}

fn print(label: &str, f: &Figures) {
    println!(
        "{label}: {} files, {:.1} MB; --fix changed {} files, fixed {} findings {:?}; \
         syntax errors in the changed files {} before, {} after \
         (in all files {} before, {} after); {:.1} s",
        f.files,
        f.bytes as f64 / 1e6,
        f.changed,
        f.fixed.values().sum::<usize>(),
        f.fixed,
        f.syntax_before,
        f.syntax_after,
        f.syntax_total.0,
        f.syntax_total.1,
        f.seconds
    );
}

#[test]
fn fix_over_a_copy_of_the_corpus() {
    let Some(corpus) = corpus_dir() else {
        println!("NOTICE: ../shared/corpus is absent; the corpus --fix test is skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&corpus, dir.path());
    let figures = check_fix_invariants(dir.path(), false);
    print("corpus, safe fixes", &figures);
    let figures = check_fix_invariants(dir.path(), true);
    print("corpus, then unsafe fixes too", &figures);
}

/// The examples' and fixtures' files: (name, text).
fn sources() -> Vec<(String, String)> {
    let ws = workspace();
    let mut files = Vec::new();
    walk(&ws.join("examples"), &mut files);
    walk(
        &ws.join("crates/mtlsguard-analyzer/src/rules/fixtures"),
        &mut files,
    );
    files
        .into_iter()
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("bicep" | "json")
            )
        })
        .map(|p| {
            let name = p.strip_prefix(&ws).unwrap().to_string_lossy().into_owned();
            (name, fs::read_to_string(&p).unwrap())
        })
        .collect()
}

fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// Leading runs of two spaces become tabs.
fn tabs(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            let n = line.len() - line.trim_start_matches(' ').len();
            format!("{}{}", "\t".repeat(n / 2), &line[n / 2 * 2..])
        })
        .collect()
}

/// `resources` of an ARM template as pretty JSON objects.
fn arm_resources(text: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    v["resources"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .map(|r| serde_json::to_string_pretty(r).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

/// Injects `resources` at the start of the first `"resources": [` array in `text`.
fn inject_json(text: &str, resources: &[String]) -> Option<String> {
    let key = text.find("\"resources\"")?;
    let open = key + text[key..].find('[')?;
    if !text[key + "\"resources\"".len()..open]
        .trim()
        .trim_start_matches(':')
        .trim()
        .is_empty()
    {
        return None;
    }
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let rest = &text[open + 1..];
    let empty = rest.trim_start().starts_with(']');
    let body = resources.join(",").replace('\n', eol);
    let sep = if empty { "" } else { "," };
    Some(format!("{}{eol}{body}{sep}{rest}", &text[..=open]))
}

#[test]
fn fix_over_a_synthetic_set() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let sources = sources();
    let mut n = 0;
    for (name, text) in &sources {
        let base = name.replace('/', "__");
        let variants = [
            ("plain", text.clone()),
            ("crlf", crlf(text)),
            ("bom", format!("\u{FEFF}{text}")),
            ("tabs", tabs(text)),
        ];
        for (kind, content) in variants {
            let (stem, ext) = base.rsplit_once('.').unwrap();
            let p = root.join(kind).join(format!("{stem}.{ext}"));
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, content).unwrap();
            n += 1;
        }
    }

    if let Some(corpus) = corpus_dir() {
        let bicep: Vec<&String> = sources
            .iter()
            .filter(|(n, _)| n.starts_with("examples/") && n.ends_with(".bicep"))
            .map(|(_, t)| t)
            .collect();
        let arm: Vec<Vec<String>> = sources
            .iter()
            .filter(|(n, _)| n.starts_with("examples/") && n.ends_with(".json"))
            .map(|(_, t)| arm_resources(t))
            .filter(|rs| !rs.is_empty())
            .collect();
        let mut files = Vec::new();
        walk(&corpus, &mut files);
        let (mut b, mut j) = (0, 0);
        for (i, f) in files.iter().enumerate().filter(|(i, _)| i % 7 == 0) {
            let Ok(text) = fs::read_to_string(f) else {
                continue;
            };
            let ext = f.extension().and_then(|e| e.to_str());
            let injected = match ext {
                Some("bicep") => {
                    b += 1;
                    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
                    let extra = bicep[i % bicep.len()].replace('\n', eol);
                    Some(format!("{text}{eol}{extra}"))
                }
                Some("json") if text.contains("deploymentTemplate.json#") => {
                    j += 1;
                    inject_json(&text, &arm[i % arm.len()])
                }
                _ => None,
            };
            if let Some(content) = injected {
                let p = root.join("corpus").join(format!("{i}.{}", ext.unwrap()));
                fs::create_dir_all(p.parent().unwrap()).unwrap();
                fs::write(&p, content).unwrap();
                n += 1;
            }
        }
        println!("synthetic set: {b} Bicep and {j} ARM corpus files with injected resources");
    } else {
        println!("NOTICE: ../shared/corpus is absent; the synthetic set has no corpus files");
    }

    let figures = check_fix_invariants(root, false);
    assert_eq!(figures.files, n);
    assert!(
        figures.changed > 0 && figures.fixed.len() >= 4,
        "{figures:?}"
    );
    print("synthetic set, safe fixes", &figures);
    let figures = check_fix_invariants(root, true);
    assert!(
        figures.fixed.contains_key("data-factory-client-cert"),
        "{figures:?}"
    );
    print("synthetic set, then unsafe fixes too", &figures);
}
