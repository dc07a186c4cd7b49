//! The callers pattern: a module typed into while the workspace holds the templates that
//! call it, so each keystroke's diagnostics come from a pass across files, not the
//! single-file fast path.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lsp::{Doc, Server};
use crate::patterns::{PROPERTY_BICEP, property_slots, type_properties};
use crate::report::{Stats, load, ms};

/// The module, under CORPUS; its `tests/e2e/*/main.test.bicep` call it.
pub const SITE: &str = "Azure+bicep-registry-modules/avm/res/web/site";
/// How long without messages counts as "the server is done" (indexing's first pass, or
/// the callers' publishes after an edit).
const SETTLE: Duration = Duration::from_millis(400);
/// Default-value flips of the module's `clientCertMode` param: half one way, half back.
const FLIPS: usize = 40;

/// Copies the folder `from` to `to`, recursively: the server indexes the copy, so the
/// corpus stays as it is whatever the benchmark does.
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Removes the copy however the run ends (a panic included).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn is_caller(uri: &str) -> bool {
    uri.ends_with("/main.test.bicep")
}

/// The (line, UTF-16 column) of `'Optional'` in the `param clientCertMode` line.
pub fn default_at(text: &str) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(i, l)| {
        let col = l
            .starts_with("param clientCertMode ")
            .then(|| l.rfind("'Optional'"))??;
        Some((i, l[..col].encode_utf16().count()))
    })
}

/// Runs the pattern; prints its figures.
pub fn run(corpus: &Path) {
    let from = corpus.join(SITE);
    let copy =
        TempDir(std::env::temp_dir().join(format!("mtlsguard-bench-{}", std::process::id())));
    copy_dir(&from, &copy.0)
        .unwrap_or_else(|e| crate::fail(&format!("cannot copy {}: {e}", from.display())));
    let main = copy.0.join("main.bicep");
    let text = std::fs::read_to_string(&main).expect("the copy has main.bicep");
    let callers = std::fs::read_dir(copy.0.join("tests/e2e")).map_or(0, |d| {
        d.flatten()
            .filter(|e| e.path().join("main.test.bicep").is_file())
            .count()
    });
    println!(
        "\n== callers: {SITE}/main.bicep ({:.1} KB) typed into in a workspace of its folder ({callers} test callers); load average {}",
        text.len() as f64 / 1e3,
        load()
    );
    let slots = property_slots(&text, true);
    let Some(flip) = default_at(&text) else {
        crate::fail("main.bicep has no `param clientCertMode ... = 'Optional'` line");
    };
    if slots.is_empty() {
        crate::fail("main.bicep has no object member to type after");
    }

    let started = Instant::now();
    let mut server = Server::spawn_in(Some(&copy.0));
    let mut doc = Doc::open(&mut server, &main, &text);
    // What main.bicep shows once everything is in: its last publish before the server
    // goes quiet, whether that came from the fast path at open or from indexing's pass.
    let count = |m: &Value| m["params"]["diagnostics"].as_array().map_or(0, Vec::len);
    let mut baseline = 0;
    server.wait(|m| {
        if m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == doc.uri.as_str()
        {
            baseline = count(m);
        }
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end"
    });
    let indexed = started.elapsed();
    let first = server.quiet(SETTLE);
    let published = |got: &[(Instant, Value)]| {
        got.iter()
            .filter(|(_, m)| is_caller(m["params"]["uri"].as_str().unwrap_or("")))
            .count()
    };
    if let Some((_, m)) = first
        .iter()
        .rev()
        .find(|(_, m)| m["params"]["uri"] == doc.uri.as_str())
    {
        baseline = count(m);
    }
    println!(
        "indexing ended after {:.0} ms; then {} caller publishes; main.bicep has {baseline} diagnostics",
        ms(indexed),
        published(&first)
    );

    let (stats, mismatches) =
        type_properties(&mut server, &mut doc, &slots, PROPERTY_BICEP, baseline);
    println!(
        "property typing, didChange -> main.bicep publishDiagnostics: {}",
        stats.line()
    );
    if mismatches > 0 {
        println!(
            "  notice: {mismatches} of {} restored texts got other diagnostics than at open",
            slots.len()
        );
    }
    // Typing a property rarely changes what the callers show, and unchanged diagnostics
    // are not sent again: flipping the default the callers' findings depend on makes
    // them change on every edit.
    let _ = server.quiet(SETTLE);
    let mut own = Vec::new();
    let mut theirs = Vec::new();
    let mut silent = 0;
    for n in 0..FLIPS {
        let (from, to) = if n % 2 == 0 {
            ("'Optional'", "'Required'")
        } else {
            ("'Required'", "'Optional'")
        };
        let end = (flip.0, flip.1 + from.len());
        let sent = Instant::now();
        let version = doc.edit(&mut server, flip, end, to);
        let (at, _) = server.diagnostics(&doc.uri.clone(), version);
        own.push(at.duration_since(sent));
        let got = server.quiet(SETTLE);
        match got
            .iter()
            .filter(|(_, m)| is_caller(m["params"]["uri"].as_str().unwrap_or("")))
            .map(|(t, _)| *t)
            .max()
        {
            Some(last) => theirs.push(last.duration_since(sent)),
            None => silent += 1,
        }
    }
    println!(
        "default flips, didChange -> main.bicep publishDiagnostics: {}",
        Stats(own).line()
    );
    if theirs.is_empty() {
        println!("default flips: no caller's diagnostics changed in {FLIPS} edits");
    } else {
        println!(
            "default flips, didChange -> last caller publishDiagnostics: {}{}",
            Stats(theirs).line(),
            if silent > 0 {
                format!("; {silent} edits changed no caller")
            } else {
                String::new()
            }
        );
    }
    server.shutdown();
    println!("load average at end of section: {}", load());
}
