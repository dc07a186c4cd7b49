//! Server latency benchmark (BENCHMARKS.md), standard LSP messages only:
//!
//! ```sh
//! cargo run --release -p mtlsguard --example server_latency -- [--edits 500] [--files 200] [--skip-alone] [--typing-property | --skip-property] [--callers | --skip-callers] [--pull | --skip-pull] [CORPUS]
//! ```
//!
//! Spawns `mtlsguard server --stdio` (the binary of this example's profile, built first
//! with `cargo build -p mtlsguard`; `MTLSGUARD_BIN` picks another), opens each of the corpus's two 3+ MB templates alone,
//! types `--edits` single characters into a word in the middle (one `didChange` each,
//! incremental sync, waiting for the `publishDiagnostics` of that version before the
//! next), and prints p50 / p99 / max of the time from sending each `didChange` to
//! receiving its diagnostics, the memory the open document added (VmRSS after open minus
//! before, per byte of source) and the server's peak RSS (VmHWM). Then, in a fresh server,
//! opens `--files` real corpus files plus the large ARM file at once and measures the
//! same edits, in the large file and spread over the small ones.
//!
//! Last comes the property pattern: a person adding a new property line to an object, so
//! the text is broken for most of the keystrokes. At each of 6 member lines near the
//! middle of the file (in a `resource` or `module` body if the file has one, else in any
//! object), it presses Enter at the end of the line (one edit: line break plus the line's
//! indentation), types `clientCertMode: 'Required'` one character per `didChange`
//! (`"clientCertMode": "Required",` in ARM JSON), then takes the line out again with one
//! backspace per character and a last one that joins the lines (removing the indentation
//! with the line break, as an editor does with untouched auto-indent): 54 keystrokes per
//! position, 324 per file (360 in JSON), timed like the others. It runs on the 15 largest
//! AVM `main.bicep` files outside `tests/` folders (45-88 KB), each alone in a fresh
//! server, and prints per file size, samples, p50, p99 and max, then how many of the 15
//! have p99 under 16 ms (one frame at 60 Hz), the median of their p50s and the worst p99;
//! then the same for the two large templates (large.bicep, an array of empty objects, has
//! no line to type after and is skipped), whose single-character figures above stay as
//! they were. `--typing-property` runs only this pattern, `--skip-property` leaves it out.
//!
//! Then the callers pattern (`callers.rs`): `avm/res/web/site/main.bicep` opened in a
//! workspace whose folder is a temporary copy of its module folder, so that the server
//! indexes the `tests/e2e/*/main.test.bicep` that call it and every keystroke in it goes
//! through a pass across files (debounced). After indexing ends (`$/progress` end; the
//! client advertises `window.workDoneProgress`) it runs the property pattern in
//! main.bicep (324 keystrokes, timed to main.bicep's diagnostics), then flips the
//! default of its `clientCertMode` param between 'Optional' and 'Required' 40 times,
//! timing main.bicep's diagnostics and the last caller's republished ones (callers'
//! diagnostics are sent only when they change, which typing a property rarely does).
//! `--callers` runs only this pattern, `--skip-callers` leaves it out.
//!
//! Then the pull pattern (`pull.rs`): a client that pulls diagnostics, as VS Code does,
//! with the whole `Azure+bicep-registry-modules` as its workspace folder. It flips the
//! same default 40 times, timing the typed document's `textDocument/diagnostic`, the
//! `workspace/diagnostic` that follows (and how many files it reports in full), and a
//! keystroke's pull sent while a workspace pull runs. `--pull` runs only this pattern,
//! `--skip-pull` leaves it out.
//!
//! Each section prints the load average (`/proc/loadavg`) at its start and end: the figures
//! mean little on a busy machine.
//!
//! CORPUS defaults to `../shared/corpus` beside the repository (or `MTLSGUARD_CORPUS`).

mod callers;
mod lsp;
mod patterns;
mod pull;
mod report;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lsp::{Doc, Server, mtlsguard_bin};
use patterns::{property_rows, type_into};
use report::{Stats, load, median, mib, ms};

const LARGE_JSON: &str =
    "Azure+bicep-registry-modules/avm/ptn/aca-lza/hosting-environment/main.json";
const LARGE_BICEP: &str =
    "Azure+bicep/src/Bicep.Core.Samples/Files/baselines/LargeTemplate_Stress_LF/main.syntax.bicep";
/// Where the property pattern's files are, under CORPUS.
const AVM: &str = "Azure+bicep-registry-modules/avm";
/// How many of the largest AVM `main.bicep` files the property pattern types into.
const AVM_FILES: usize = 15;
/// One frame at 60 Hz: the goal for p99.
const FRAME: Duration = Duration::from_millis(16);

/// Stops the benchmark before anything is measured: a partial corpus would give figures
/// that look valid but compare with nothing.
pub fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(2)
}

/// Bicep files and ARM templates under `dir`, recursively, in path order.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|e| e == "bicep" || e == "json") {
            out.push(p);
        }
    }
}

/// The `AVM_FILES` largest `main.bicep` files under CORPUS/`AVM` outside `tests` folders
/// (those are the modules' examples, not modules), largest first, with their text.
fn avm_largest(corpus: &Path) -> Vec<(PathBuf, String)> {
    let root = corpus.join(AVM);
    if !root.is_dir() {
        fail(&format!("{} is missing from the corpus", root.display()));
    }
    let mut all = Vec::new();
    walk(&root, &mut all);
    // Judged below the AVM folder: the corpus's own path may contain a `tests` folder.
    let mut sized: Vec<(u64, PathBuf)> = all
        .into_iter()
        .filter(|p| {
            p.file_name().is_some_and(|n| n == "main.bicep")
                && !p
                    .strip_prefix(&root)
                    .unwrap_or(p)
                    .components()
                    .any(|c| c.as_os_str() == "tests")
        })
        .map(|p| (std::fs::metadata(&p).map_or(0, |m| m.len()), p))
        .collect();
    // Size ties broken by path, so that the set does not depend on the directory order.
    sized.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    if sized.len() < AVM_FILES {
        fail(&format!(
            "only {} non-test main.bicep files under {}, {AVM_FILES} needed",
            sized.len(),
            root.display()
        ));
    }
    sized
        .into_iter()
        .take(AVM_FILES)
        .map(|(_, p)| {
            let text = std::fs::read_to_string(&p)
                .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", p.display())));
            (p, text)
        })
        .collect()
}

/// Real corpus files for the many-documents run: every `step`-th Bicep file or ARM
/// template under 1 MB, in path order.
fn corpus_sample(corpus: &Path, count: usize) -> Vec<PathBuf> {
    let mut all = Vec::new();
    walk(corpus, &mut all);
    all.retain(|p| {
        let Ok(text) = std::fs::read_to_string(p) else {
            return false;
        };
        text.len() < 1 << 20
            && (p.extension().is_some_and(|e| e == "bicep")
                || mtlsguard_analyzer::is_arm_template(&text))
    });
    let step = (all.len() / count.max(1)).max(1);
    all.into_iter().step_by(step).take(count).collect()
}

fn main() {
    let mut edits = 500;
    let mut files = 200;
    let mut alone = true;
    let mut chars = true;
    let mut property = true;
    let mut callers = true;
    let mut pull = true;
    let mut corpus = std::env::var_os("MTLSGUARD_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
        PathBuf::from,
    );
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--edits" => edits = args.next().and_then(|v| v.parse().ok()).expect("--edits N"),
            "--files" => files = args.next().and_then(|v| v.parse().ok()).expect("--files N"),
            "--skip-alone" => alone = false,
            "--typing-property" => chars = false,
            "--skip-property" => property = false,
            "--callers" => {
                chars = false;
                property = false;
                pull = false;
            }
            "--skip-callers" => callers = false,
            "--pull" => {
                chars = false;
                property = false;
                callers = false;
            }
            "--skip-pull" => pull = false,
            // A mistyped flag would otherwise be taken for the corpus.
            s if s.starts_with("--") => fail(&format!("unknown option {s}")),
            _ => corpus = PathBuf::from(a),
        }
    }
    if !chars && !property && !callers && !pull {
        fail("the options given leave nothing to measure");
    }
    let started = Instant::now();
    println!(
        "server: {}\nmachine: {} cores, load average {}",
        mtlsguard_bin().display(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load()
    );
    if !corpus.is_dir() {
        fail(&format!(
            "no corpus at {} (pass CORPUS or set MTLSGUARD_CORPUS)",
            corpus.display()
        ));
    }
    // Every file is read before the first measurement, so a missing one stops the run
    // at once rather than after minutes, with figures for only part of the set.
    let large: Vec<(PathBuf, String)> = [LARGE_JSON, LARGE_BICEP]
        .iter()
        .filter(|_| chars || property)
        .map(|rel| {
            let p = corpus.join(rel);
            let text = std::fs::read_to_string(&p)
                .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", p.display())));
            (p, text)
        })
        .collect();
    if pull && !corpus.join(pull::FOLDER).is_dir() {
        fail(&format!("{} is missing from the corpus", pull::FOLDER));
    }
    if callers && !corpus.join(callers::SITE).join("main.bicep").is_file() {
        fail(&format!("{} is missing from the corpus", callers::SITE));
    }
    let avm = if property {
        avm_largest(&corpus)
    } else {
        Vec::new()
    };

    for (path, text) in large.iter().filter(|_| chars && alone) {
        let name = path.file_name().unwrap().to_string_lossy();
        println!(
            "\n== {} ({:.1} MB) open alone, {edits} keystrokes; load average {}",
            path.strip_prefix(&corpus).unwrap_or(path).display(),
            text.len() as f64 / 1e6,
            load()
        );
        let mut server = Server::spawn();
        let before = server.status("VmRSS");
        let sent = Instant::now();
        let mut doc = Doc::open(&mut server, path, text);
        let (at, count) = server.diagnostics(&doc.uri.clone(), 1);
        let after = server.status("VmRSS");
        println!(
            "open {name}: diagnostics after {:.0} ms ({count}); RSS {:.1} -> {:.1} MiB: {:.1} bytes per source byte",
            ms(at.duration_since(sent)),
            mib(before),
            mib(after),
            after.saturating_sub(before) as f64 / text.len() as f64
        );
        let stats = type_into(&mut server, std::slice::from_mut(&mut doc), edits);
        println!("didChange -> publishDiagnostics: {}", stats.line());
        println!(
            "server RSS {:.1} MiB after the edits, peak (VmHWM) {:.1} MiB",
            mib(server.status("VmRSS")),
            mib(server.status("VmHWM"))
        );
        server.shutdown();
        println!("load average at end of section: {}", load());
    }

    if chars {
        let sample = corpus_sample(&corpus, files);
        let bytes: usize = sample
            .iter()
            .map(|p| std::fs::metadata(p).map_or(0, |m| m.len() as usize))
            .sum();
        let (large_path, large_text) = &large[0];
        println!(
            "\n== {} corpus files ({:.1} MB) and {} open at once; load average {}",
            sample.len(),
            bytes as f64 / 1e6,
            large_path.file_name().unwrap().to_string_lossy(),
            load()
        );
        let mut server = Server::spawn();
        let before = server.status("VmRSS");
        let sent = Instant::now();
        let mut docs: Vec<Doc> = Vec::new();
        for p in &sample {
            let text = std::fs::read_to_string(p).expect("read sample file");
            docs.push(Doc::open(&mut server, p, &text));
        }
        // Diagnostics arrive in any order: wait until every document has had its first.
        let mut waiting: std::collections::HashSet<String> =
            docs.iter().map(|d| d.uri.clone()).collect();
        server.wait(|m| {
            if m["method"] == "textDocument/publishDiagnostics"
                && let Some(uri) = m["params"]["uri"].as_str()
            {
                waiting.remove(uri);
            }
            waiting.is_empty()
        });
        println!(
            "opened {} files: all diagnostics after {:.0} ms; RSS {:.1} -> {:.1} MiB",
            docs.len(),
            ms(sent.elapsed()),
            mib(before),
            mib(server.status("VmRSS"))
        );
        let mut big = Doc::open(&mut server, large_path, large_text);
        server.diagnostics(&big.uri.clone(), 1);
        let stats = type_into(&mut server, &mut docs, edits);
        println!(
            "keystrokes spread over the {} files: {}",
            docs.len(),
            stats.line()
        );
        let stats = type_into(&mut server, std::slice::from_mut(&mut big), edits);
        println!("keystrokes in the large file:  {}", stats.line());
        println!(
            "server RSS {:.1} MiB, peak (VmHWM) {:.1} MiB",
            mib(server.status("VmRSS")),
            mib(server.status("VmHWM"))
        );
        server.shutdown();
        println!("load average at end of section: {}", load());
    }

    if property {
        println!(
            "\n== property typing: the {AVM_FILES} largest non-test main.bicep under {AVM}, each alone; load average {}",
            load()
        );
        let rows = property_rows(&avm, &corpus.join(AVM));
        let measured: Vec<(&str, &Stats)> = rows
            .iter()
            .filter_map(|r| Some((r.name.as_str(), r.stats.as_ref()?)))
            .collect();
        let under = measured.iter().filter(|(_, s)| s.pct(0.99) < FRAME).count();
        let p50 = median(measured.iter().map(|(_, s)| ms(s.pct(0.5))).collect());
        let worst = measured.iter().max_by_key(|(_, s)| s.pct(0.99));
        println!(
            "summary: p99 under {} ms in {under} of {}; median p50 {p50:.2} ms; worst p99 {}",
            FRAME.as_millis(),
            rows.len(),
            worst.map_or("-".into(), |(name, s)| format!(
                "{:.2} ms ({name})",
                ms(s.pct(0.99))
            ))
        );
        println!("load average at end of section: {}", load());

        println!(
            "\n== property typing: the large templates, each alone; load average {}",
            load()
        );
        property_rows(&large, &corpus);
        println!("load average at end of section: {}", load());
    }
    if callers {
        callers::run(&corpus);
    }
    if pull {
        pull::run(&corpus);
    }
    println!(
        "\nload average at end: {}; run time {:.0} s",
        load(),
        started.elapsed().as_secs_f64()
    );
}
