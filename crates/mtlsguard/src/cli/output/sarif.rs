//! SARIF 2.1.0.
//!
//! Every artifact is a URI relative to the `SRCROOT` base, whose absolute `file:` URI is
//! written in `originalUriBaseIds`: viewers (GitHub code scanning, the SARIF validator)
//! reject `..` in a file URI and flag absolute ones, and paths may be given either way.

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use mtlsguard_analyzer::{Level, RULES};
use serde_json::{Value, json};

use super::super::process::{Report, Source};
use super::pos_utf16;

/// The project's home, from the workspace manifest.
const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");

fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Info => "note",
        Level::Off => "none",
    }
}

/// The first paragraph of a rule's Markdown docs after its title, if any.
fn first_paragraph(docs: &str) -> Option<String> {
    let mut para = Vec::new();
    for line in docs.lines() {
        let t = line.trim();
        if t.is_empty() {
            if !para.is_empty() {
                break;
            }
            continue;
        }
        if t.starts_with('#') || t.starts_with("```") {
            if !para.is_empty() {
                break;
            }
            continue;
        }
        para.push(t);
    }
    (!para.is_empty()).then(|| para.join(" "))
}

/// `path` made absolute against `cwd`, with `.` and `..` resolved lexically: the file the
/// user named, without asking the file system (which may resolve symlinks differently).
fn normalize(cwd: &Path, path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in cwd.join(path).components() {
        match c {
            Component::CurDir => {}
            // `/..` is `/`: `pop` keeps the root.
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The folder `SRCROOT` stands for: the git root of `cwd` (the nearest ancestor with a
/// `.git`) when it holds every file, as code scanning expects paths from the repository
/// root; else the deepest folder that holds them all.
fn source_root(cwd: &Path, files: &[PathBuf]) -> PathBuf {
    let git_root = cwd.ancestors().find(|d| d.join(".git").exists());
    if let Some(root) = git_root
        && files.iter().all(|f| f.starts_with(root))
    {
        return root.to_path_buf();
    }
    let Some(first) = files.first() else {
        return git_root.unwrap_or(cwd).to_path_buf();
    };
    let mut common = first.parent().unwrap_or(first).to_path_buf();
    for f in &files[1..] {
        while !f.starts_with(&common) && common.pop() {}
    }
    common
}

/// Percent-encodes one path segment as RFC 3986 requires: everything but the unreserved
/// characters, byte by byte in UTF-8 (so spaces, `#`, `%`, `?`, `:` and non-ASCII too).
fn encode_segment(segment: &str, out: &mut String) {
    for b in segment.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
}

/// The `file:` URI of the absolute folder `dir`, ending in `/` (a base URI must).
fn folder_uri(dir: &Path) -> String {
    let mut out = String::from("file://");
    for c in dir.components() {
        match c {
            // A Windows drive (`C:`) is written as is: `file:///C:/...` (RFC 8089).
            Component::Prefix(p) => {
                out.push('/');
                out.push_str(&p.as_os_str().to_string_lossy().replace('\\', "/"));
            }
            Component::RootDir => {}
            Component::Normal(s) => {
                out.push('/');
                encode_segment(&s.to_string_lossy(), &mut out);
            }
            Component::CurDir | Component::ParentDir => {}
        }
    }
    out.push('/');
    out
}

/// `file` (under `root`) as a URI relative to `root`.
fn relative_uri(root: &Path, file: &Path) -> String {
    let rest = file.strip_prefix(root).unwrap_or(file);
    let mut out = String::new();
    for c in rest.components() {
        if let Component::Normal(s) = c {
            if !out.is_empty() {
                out.push('/');
            }
            encode_segment(&s.to_string_lossy(), &mut out);
        }
    }
    out
}

fn sarif_region(src: Option<&Source>, range: &std::ops::Range<usize>) -> Value {
    let (sl, sc) = pos_utf16(src, range.start);
    let (el, ec) = pos_utf16(src, range.end);
    json!({ "startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec })
}

fn sarif_rules() -> (Vec<Value>, Vec<&'static str>) {
    let mut rules = Vec::new();
    let mut ids = Vec::new();
    for r in RULES {
        let mut rule = json!({
            "id": r.id,
            "name": pascal_case(r.id),
            "shortDescription": { "text": r.summary },
            "help": { "text": r.docs, "markdown": r.docs },
            "helpUri": r.help_uri(),
            "defaultConfiguration": { "level": sarif_level(r.default_level) },
            "properties": { "fixable": r.fixable },
        });
        if let Some(full) = first_paragraph(r.docs) {
            rule["fullDescription"] = json!({ "text": full });
        }
        rules.push(rule);
        ids.push(r.id);
    }
    (rules, ids)
}

fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
        })
        .collect()
}

/// SARIF 2.1.0.
pub fn sarif(reports: &[Report], errors: &[String]) -> String {
    let (rules, ids) = sarif_rules();
    // Without a current folder, relative paths cannot be placed: `/` still holds every
    // absolute one, and keeps the URIs valid.
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let reported: Vec<&Report> = reports.iter().filter(|r| !r.findings.is_empty()).collect();
    let paths: Vec<PathBuf> = reported
        .iter()
        .map(|r| normalize(&cwd, Path::new(&r.display)))
        .collect();
    // Related locations in other files (a module's property) need the root too.
    let mut all_paths = paths.clone();
    for r in &reported {
        for f in &r.findings {
            for rel in f.related.iter().filter(|rel| rel.file.is_some()) {
                all_paths.push(normalize(&cwd, Path::new(r.related_in(rel).1)));
            }
        }
    }
    let root = source_root(&cwd, &all_paths);
    let mut results = Vec::new();
    for (r, path) in reported.iter().zip(&paths) {
        let artifact = json!({ "uri": relative_uri(&root, path), "uriBaseId": "SRCROOT" });
        let src = r.source.as_ref();
        for f in &r.findings {
            // File-level problems (no text) point at 1:1.
            let location = json!({
                "artifactLocation": artifact,
                "region": sarif_region(src, &f.range),
            });
            let mut result = json!({
                "ruleId": f.rule,
                "ruleIndex": ids.iter().position(|id| *id == f.rule).unwrap_or(0),
                "level": sarif_level(f.level),
                "message": { "text": f.message },
                "locations": [ { "physicalLocation": location } ],
            });
            if !f.related.is_empty() {
                result["relatedLocations"] = f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, rel)| {
                        let (rel_src, shown) = r.related_in(rel);
                        let rel_artifact = match rel.file {
                            None => artifact.clone(),
                            Some(_) => json!({
                                "uri": relative_uri(&root, &normalize(&cwd, Path::new(shown))),
                                "uriBaseId": "SRCROOT",
                            }),
                        };
                        json!({
                            "id": i,
                            "message": { "text": rel.message },
                            "physicalLocation": {
                                "artifactLocation": rel_artifact,
                                "region": sarif_region(rel_src, &rel.range),
                            },
                        })
                    })
                    .collect();
            }
            if let Some(fix) = &f.fix {
                result["fixes"] = json!([{
                    "description": { "text": fix.title },
                    "artifactChanges": [{
                        "artifactLocation": artifact,
                        "replacements": fix.edits.iter().map(|e| json!({
                            "deletedRegion": sarif_region(src, &e.range),
                            "insertedContent": { "text": e.new_text },
                        })).collect::<Vec<_>>(),
                    }],
                }]);
                result["properties"] = json!({ "fixSafe": fix.safe });
            }
            results.push(result);
        }
    }
    let notifications: Vec<Value> = errors
        .iter()
        .map(|e| json!({ "level": "error", "message": { "text": e } }))
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "mtlsguard",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": { "SRCROOT": { "uri": folder_uri(&root) } },
            "columnKind": "utf16CodeUnits",
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("SARIF serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_lexically() {
        let cwd = Path::new("/w/repo/sub");
        assert_eq!(
            normalize(cwd, Path::new("../x/./a.bicep")),
            Path::new("/w/repo/x/a.bicep")
        );
        assert_eq!(
            normalize(cwd, Path::new("/w/repo/sub/a.bicep")),
            Path::new("/w/repo/sub/a.bicep")
        );
        assert_eq!(
            normalize(cwd, Path::new("../../../../a.bicep")),
            Path::new("/a.bicep")
        );
    }

    #[test]
    fn root_holds_every_file() {
        let cwd = Path::new("/nonexistent-mtlsguard-test/repo");
        let files = [
            PathBuf::from("/nonexistent-mtlsguard-test/a/x/1.bicep"),
            PathBuf::from("/nonexistent-mtlsguard-test/a/y/2.bicep"),
        ];
        assert_eq!(
            source_root(cwd, &files),
            Path::new("/nonexistent-mtlsguard-test/a")
        );
        assert_eq!(
            source_root(cwd, &files[..1]),
            Path::new("/nonexistent-mtlsguard-test/a/x")
        );
        assert_eq!(source_root(cwd, &[]), cwd);
        assert_eq!(
            source_root(cwd, &[PathBuf::from("/1.bicep")]),
            Path::new("/")
        );
    }

    #[test]
    fn uris_are_encoded_and_relative() {
        let root = Path::new("/w/my repo");
        assert_eq!(folder_uri(root), "file:///w/my%20repo/");
        assert_eq!(folder_uri(Path::new("/")), "file:///");
        assert_eq!(
            relative_uri(root, Path::new("/w/my repo/a#1/100%/é.bicep")),
            "a%231/100%25/%C3%A9.bicep"
        );
    }
}
