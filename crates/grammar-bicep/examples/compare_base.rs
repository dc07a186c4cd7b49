//! Our grammar against the one it extends (tree-sitter-bicep 1.1.0), on the same files:
//! a full parse, and an incremental re-parse after one character typed at a line start at
//! 40 places spread over the file (what the language server does on a keystroke).
//!
//! ```sh
//! cargo run --release -p mtlsguard-grammar-bicep --example compare_base -- FILE...
//! ```

use std::time::{Duration, Instant};

use tree_sitter::{InputEdit, Language, Parser, Point};

const EDITS: usize = 40;

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: compare_base FILE...");
        std::process::exit(2);
    }
    let grammars: [(&str, Language); 2] = [
        (
            "tree-sitter-bicep 1.1.0",
            tree_sitter_bicep::LANGUAGE.into(),
        ),
        ("ours", mtlsguard_grammar_bicep::LANGUAGE.into()),
    ];
    for path in &files {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("{path}: {e}");
                std::process::exit(2);
            }
        };
        println!("{path} ({:.1} KB)", text.len() as f64 / 1024.0);
        for (name, language) in &grammars {
            let mut parser = Parser::new();
            parser
                .set_language(language)
                .expect("ABI the runtime loads");
            let start = Instant::now();
            let tree = parser.parse(&text, None).expect("no time limit");
            let full = start.elapsed();
            let mut times: Vec<Duration> = (0..EDITS)
                .map(|i| {
                    let mut at = text.len() * (i + 1) / (EDITS + 2);
                    while !text.is_char_boundary(at) {
                        at += 1;
                    }
                    let at = text[at..].find('\n').map_or(at, |n| at + n + 1);
                    let row = text[..at].matches('\n').count();
                    let mut edited = text.clone();
                    edited.insert(at, 'x');
                    let mut old = tree.clone();
                    old.edit(&InputEdit {
                        start_byte: at,
                        old_end_byte: at,
                        new_end_byte: at + 1,
                        start_position: Point { row, column: 0 },
                        old_end_position: Point { row, column: 0 },
                        new_end_position: Point { row, column: 1 },
                    });
                    let start = Instant::now();
                    parser.parse(&edited, Some(&old)).expect("no time limit");
                    start.elapsed()
                })
                .collect();
            times.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            println!(
                "  {name:<24} full {:>8.2} ms   keystroke p50 {:>7.2} ms  p90 {:>7.2} ms  max {:>7.2} ms   syntax errors: {}",
                ms(full),
                ms(times[EDITS / 2]),
                ms(times[EDITS * 9 / 10]),
                ms(times[EDITS - 1]),
                if tree.root_node().has_error() {
                    "yes"
                } else {
                    "no"
                },
            );
        }
    }
}
