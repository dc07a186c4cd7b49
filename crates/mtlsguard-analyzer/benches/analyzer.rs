//! `cargo bench -p mtlsguard-analyzer`: parse, analysis and one-keystroke edits on the two
//! largest real templates of the corpus and on a typical ~300-line file of each language,
//! next to the physical floor (one pass over the bytes; `serde_json` for JSON).
//!
//! The large files are read from `../shared/corpus` beside the repository (or the folder
//! in `MTLSGUARD_CORPUS`); without it their benchmarks are skipped with a notice. The
//! typical files are in `benches/data/`. Figures and their reading: BENCHMARKS.md.
//!
//! Names: `<file>/<step>`, where the step is one of
//! - `floor_newlines`: count `\n` in the text (one pass over the bytes);
//! - `floor_serde_json`: `serde_json::from_str::<Value>` (JSON only);
//! - `parse_full`: tree-sitter parse from scratch (`parse(lang, text, None).into_tree().expect("parsed in time")`);
//! - `analyze_only`: model + rules + suppressions on an existing tree;
//! - `analyze_full`: `parse_full` + `analyze_only` (what the server does on open);
//! - `check_analyze_text`: the CLI's deterministic path (`analyze_text`; Bicep is parsed
//!   declaration by declaration);
//! - `edit_reparse_incremental`: one character typed in the middle: tree edit +
//!   incremental reparse only;
//! - `edit_incremental`: tree edit + incremental reparse + incremental re-analysis
//!   ([`Analyzer`], which had analyzed the text before the edit; what the editor needs);
//! - `edit_incremental_full_analysis`: tree edit + incremental reparse + whole-file
//!   analysis (`analyze`);
//! - `edit_full`: the same edit done by a full reparse + analysis.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use mtlsguard_analyzer::{
    Analyzer, Document, Language, Settings, analyze, analyze_text, parse, replace, undo,
};
use tree_sitter::{InputEdit, Tree};

const LARGE_JSON: &str =
    "Azure+bicep-registry-modules/avm/ptn/aca-lza/hosting-environment/main.json";
const LARGE_BICEP: &str =
    "Azure+bicep/src/Bicep.Core.Samples/Files/baselines/LargeTemplate_Stress_LF/main.syntax.bicep";

fn corpus() -> PathBuf {
    std::env::var_os("MTLSGUARD_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
        PathBuf::from,
    )
}

struct Input {
    label: &'static str,
    language: Language,
    text: String,
    large: bool,
}

fn inputs() -> Vec<Input> {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/data");
    let read = |p: PathBuf| std::fs::read_to_string(&p).ok();
    let mut out = vec![
        Input {
            label: "typical.bicep",
            language: Language::Bicep,
            text: read(data.join("signal-r.bicep")).expect("benches/data/signal-r.bicep"),
            large: false,
        },
        // Newer Bicep syntax (`resourceInput<...>.tags`) that the grammar cannot read: the
        // parser's error recovery, as in many recent registry modules.
        Input {
            label: "typical-recent-syntax.bicep",
            language: Language::Bicep,
            text: read(data.join("web-pub-sub.bicep")).expect("benches/data/web-pub-sub.bicep"),
            large: false,
        },
        Input {
            label: "typical.json",
            language: Language::Json,
            text: read(data.join("web-app-loganalytics.json"))
                .expect("benches/data/web-app-loganalytics.json"),
            large: false,
        },
    ];
    let corpus = corpus();
    for (label, language, rel) in [
        ("large.json", Language::Json, LARGE_JSON),
        ("large.bicep", Language::Bicep, LARGE_BICEP),
    ] {
        match read(corpus.join(rel)) {
            Some(text) => out.push(Input {
                label,
                language,
                text,
                large: true,
            }),
            None => eprintln!(
                "notice: skipping the {label} benchmarks: {} not found (set MTLSGUARD_CORPUS)",
                corpus.join(rel).display()
            ),
        }
    }
    out
}

/// A one-character edit typed in the middle of a word (an identifier, key or string)
/// near the middle of the text: the new text and the tree edit that describes it.
fn mid_edit(text: &str) -> (String, InputEdit) {
    let b = text.as_bytes();
    let at = (text.len() / 2..text.len())
        .find(|&i| i > 0 && b[i - 1].is_ascii_alphanumeric() && b[i].is_ascii_alphanumeric())
        .expect("a word after the middle");
    replace(text, at..at, "x")
}

fn reparse(language: Language, new_text: &str, old: &Tree, edit: &InputEdit) -> Tree {
    let mut edited = old.clone();
    edited.edit(edit);
    parse(language, new_text, Some(&edited))
        .into_tree()
        .expect("parsed in time")
}

fn bench(c: &mut Criterion) {
    let settings = Settings::default();
    for input in inputs() {
        let Input {
            label,
            language,
            ref text,
            large,
        } = input;
        let mut g = c.benchmark_group(label);
        g.throughput(Throughput::Bytes(text.len() as u64));
        if large {
            // One iteration of the slow steps takes a third of a second: few flat samples.
            g.sample_size(10)
                .sampling_mode(SamplingMode::Flat)
                .warm_up_time(Duration::from_millis(500))
                .measurement_time(Duration::from_secs(3));
        } else {
            g.sample_size(30)
                .warm_up_time(Duration::from_millis(300))
                .measurement_time(Duration::from_secs(1));
        }

        g.bench_function("floor_newlines", |b| {
            b.iter(|| {
                std::hint::black_box(text.as_bytes())
                    .iter()
                    .filter(|&&c| c == b'\n')
                    .count()
            })
        });
        if language == Language::Json {
            g.bench_function("floor_serde_json", |b| {
                b.iter(|| serde_json::from_str::<serde_json::Value>(text).expect("valid JSON"))
            });
        }
        g.bench_function("parse_full", |b| {
            b.iter(|| {
                parse(language, text, None)
                    .into_tree()
                    .expect("parsed in time")
            })
        });
        let tree = parse(language, text, None)
            .into_tree()
            .expect("parsed in time");
        let doc = Document::new(language, text, &tree);
        g.bench_function("analyze_only", |b| b.iter(|| analyze(&doc, &settings)));
        g.bench_function("analyze_full", |b| {
            b.iter(|| {
                let tree = parse(language, text, None)
                    .into_tree()
                    .expect("parsed in time");
                analyze(&Document::new(language, text, &tree), &settings)
            })
        });
        g.bench_function("check_analyze_text", |b| {
            b.iter(|| analyze_text(language, text, &settings))
        });

        let (new_text, edit) = mid_edit(text);
        // Sanity: the incremental result is the full one.
        let inc = reparse(language, &new_text, &tree, &edit);
        let full = parse(language, &new_text, None)
            .into_tree()
            .expect("parsed in time");
        assert_eq!(
            inc.root_node().to_sexp(),
            full.root_node().to_sexp(),
            "{label}: incremental and full reparse differ"
        );
        g.bench_function("edit_reparse_incremental", |b| {
            b.iter(|| reparse(language, &new_text, &tree, &edit))
        });
        {
            let mut analyzer = Analyzer::new();
            analyzer.analyze(&doc, &settings);
            let t = reparse(language, &new_text, &tree, &edit);
            let new_doc = Document::new(language, &new_text, &t);
            assert_eq!(
                analyzer.analyze(&new_doc, &settings),
                analyze(&new_doc, &settings),
                "{label}: incremental and full analysis differ"
            );
            let (reused, checked) = analyzer.last_stats();
            eprintln!("{label}: the edit re-checks {checked} top-level resources, reuses {reused}");
        }
        // One Analyzer lives through the iterations, which alternately type the character
        // and delete it again: every iteration is one real keystroke on warm state.
        let undo = undo(&edit);
        let mut analyzer = Analyzer::new();
        analyzer.analyze(&doc, &settings);
        let mut current = (tree.clone(), false);
        g.bench_function("edit_incremental", |b| {
            b.iter(|| {
                let (old, typed) = &current;
                let (text, e) = if *typed {
                    (text.as_str(), &undo)
                } else {
                    (new_text.as_str(), &edit)
                };
                let t = reparse(language, text, old, e);
                let findings = analyzer.analyze(&Document::new(language, text, &t), &settings);
                current = (t, !*typed);
                findings
            })
        });
        g.bench_function("edit_incremental_full_analysis", |b| {
            b.iter(|| {
                let t = reparse(language, &new_text, &tree, &edit);
                analyze(&Document::new(language, &new_text, &t), &settings)
            })
        });
        g.bench_function("edit_full", |b| {
            b.iter(|| {
                let t = parse(language, &new_text, None)
                    .into_tree()
                    .expect("parsed in time");
                analyze(&Document::new(language, &new_text, &t), &settings)
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
