//! Repeats one step of the benchmarks (benches/analyzer.rs) on one file, for a profiler:
//!
//! ```sh
//! cargo build --release -p mtlsguard-analyzer --example profile
//! perf record -e cpu-clock -g target/release/examples/profile analyze FILE 20
//! ```
//!
//! Steps: `parse` (full parse), `analyze` (model + rules on a parsed tree),
//! `reparse` (one character typed in the middle: tree edit + incremental reparse),
//! `edit` (`reparse` + incremental re-analysis with an [`Analyzer`]; the iterations
//! alternately type the character and delete it), `edit-full-analysis` (`reparse` +
//! whole-file analysis).
use std::time::Instant;

use mtlsguard_analyzer::{
    Analyzer, Document, Settings, analyze, language_for_path, parse, replace, undo,
};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, step, path, rest @ ..] = &args[..] else {
        eprintln!("usage: profile parse|analyze|reparse|edit FILE [ITERATIONS]");
        std::process::exit(2);
    };
    let n: usize = rest.first().and_then(|s| s.parse().ok()).unwrap_or(10);
    let text = std::fs::read_to_string(path).expect("readable UTF-8 file");
    let lang = language_for_path(path).expect(".bicep or .json");
    let settings = Settings::default();
    let tree = parse(lang, &text, None)
        .into_tree()
        .expect("parsed in time");

    let b = text.as_bytes();
    let at = (text.len() / 2..text.len())
        .find(|&i| i > 0 && b[i - 1].is_ascii_alphanumeric() && b[i].is_ascii_alphanumeric())
        .expect("a word after the middle");
    let (new_text, edit) = replace(&text, at..at, "x");
    let undo = undo(&edit);
    let mut analyzer = Analyzer::new();
    analyzer.analyze(&Document::new(lang, &text, &tree), &settings);
    let mut current = tree.clone();

    let start = Instant::now();
    let mut sink = 0usize;
    for i in 0..n {
        sink += match step.as_str() {
            "parse" => parse(lang, &text, None)
                .into_tree()
                .expect("parsed in time")
                .root_node()
                .child_count(),
            "analyze" => analyze(&Document::new(lang, &text, &tree), &settings).len(),
            "edit" => {
                let (t, e) = if i % 2 == 0 {
                    (&new_text, &edit)
                } else {
                    (&text, &undo)
                };
                let mut old = current.clone();
                old.edit(e);
                current = parse(lang, t, Some(&old))
                    .into_tree()
                    .expect("parsed in time");
                analyzer
                    .analyze(&Document::new(lang, t, &current), &settings)
                    .len()
            }
            "reparse" | "edit-full-analysis" => {
                let mut old = tree.clone();
                old.edit(&edit);
                let new = parse(lang, &new_text, Some(&old))
                    .into_tree()
                    .expect("parsed in time");
                if step == "edit-full-analysis" {
                    analyze(&Document::new(lang, &new_text, &new), &settings).len()
                } else {
                    new.root_node().child_count()
                }
            }
            other => panic!("unknown step {other}"),
        };
    }
    println!(
        "{step} x{n}: {:.2} ms per iteration ({sink})",
        start.elapsed().as_secs_f64() * 1e3 / n as f64
    );
}
