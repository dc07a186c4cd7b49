//! Every ARM template of the shared corpus parses without ERROR or MISSING nodes, except the
//! few that are really not valid JSON, each listed below with the reason.
//!
//! `cargo test -p mtlsguard-grammar-json --test corpus -- --nocapture` prints the figures;
//! `cargo test --release -p mtlsguard-grammar-json --test corpus -- --ignored --nocapture`
//! times ours against tree-sitter-json on the largest templates.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tree_sitter::{Language, Node, Parser, Tree};

/// Templates of the corpus that Azure would refuse too (path relative to the corpus, why).
/// The test fails if one of these parses clean, or if any other template has an error.
const GENUINELY_INVALID: &[(&str, &str)] = &[];

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "NOTICE: no corpus at {}: corpus test skipped",
            dir.display()
        );
        None
    }
}

fn ours() -> Language {
    mtlsguard_grammar_json::LANGUAGE.into()
}

fn base() -> Language {
    tree_sitter_json::LANGUAGE.into()
}

fn parse(language: &Language, text: &[u8]) -> Tree {
    let mut parser = Parser::new();
    parser.set_language(language).unwrap();
    parser.parse(text, None).unwrap()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "json" || e == "jsonc")
        {
            out.push(path);
        }
    }
}

/// Skips whitespace (any byte that is not part of a token, which is enough to find a
/// member here) and comments, from `i`.
fn skip_trivia(text: &[u8], mut i: usize) -> usize {
    while i < text.len() {
        match text[i] {
            b'/' if text.get(i + 1) == Some(&b'/') => {
                while i < text.len() && text[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if text.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < text.len() && !text[i..].starts_with(b"*/") {
                    i += 1;
                }
                i += 2;
            }
            b'"' | b'{' | b'}' | b'[' | b']' | b':' | b',' => return i,
            _ => i += 1,
        }
    }
    i
}

/// The end of the string that starts at `i` (just past its closing quote).
fn string_end(text: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < text.len() && text[i] != b'"' {
        i += if text[i] == b'\\' { 2 } else { 1 };
    }
    (i + 1).min(text.len())
}

/// The `$schema` of the root object, found by scanning the text rather than by parsing it,
/// so that a template the grammar fails on is still picked.
fn root_schema(text: &[u8]) -> Option<&[u8]> {
    let mut i = skip_trivia(text, 0);
    if text.get(i) != Some(&b'{') {
        return None;
    }
    let mut depth = 0usize;
    while i < text.len() {
        match text[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.checked_sub(1)?,
            b'"' => {
                let end = string_end(text, i);
                let key = &text[i..end];
                i = skip_trivia(text, end);
                if depth == 1 && key == b"\"$schema\"" && text.get(i) == Some(&b':') {
                    let start = skip_trivia(text, i + 1);
                    return (text.get(start) == Some(&b'"'))
                        .then(|| &text[start..string_end(text, start)]);
                }
                continue;
            }
            _ => {}
        }
        i = skip_trivia(text, i + 1);
    }
    None
}

fn is_template(text: &[u8]) -> bool {
    root_schema(text).is_some_and(|schema| {
        schema
            .to_ascii_lowercase()
            .windows(b"deploymenttemplate.json".len())
            .any(|w| w == b"deploymenttemplate.json")
    })
}

struct Template {
    /// Relative to the corpus, with `/` separators.
    name: String,
    text: Vec<u8>,
}

fn templates(corpus: &Path) -> Vec<Template> {
    let mut files = Vec::new();
    walk(corpus, &mut files);
    files
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read(&path).unwrap();
            let name = path
                .strip_prefix(corpus)
                .unwrap()
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            is_template(&text).then_some(Template { name, text })
        })
        .collect()
}

fn first_problem(node: Node<'_>) -> Option<Node<'_>> {
    if node.is_error() || node.is_missing() {
        return Some(node);
    }
    if !node.has_error() {
        return None;
    }
    (0..node.child_count()).find_map(|i| first_problem(node.child(i as _).unwrap()))
}

fn describe(tree: &Tree, text: &[u8]) -> String {
    let Some(node) = first_problem(tree.root_node()) else {
        return "no error".into();
    };
    let at = node.start_position();
    let line_start = text[..node.start_byte()]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let line_end = text[line_start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |p| line_start + p);
    let line = String::from_utf8_lossy(&text[line_start..line_end]);
    let what = if node.is_missing() {
        format!("MISSING {}", node.kind())
    } else {
        "ERROR".to_string()
    };
    format!(
        "{what} at {}:{}: {}",
        at.row + 1,
        at.column + 1,
        line.trim().chars().take(120).collect::<String>()
    )
}

#[test]
fn every_valid_template_parses_without_errors() {
    let Some(corpus) = corpus_dir() else { return };
    let templates = templates(&corpus);
    assert!(
        !templates.is_empty(),
        "no template found in {}",
        corpus.display()
    );
    let (ours, base) = (ours(), base());
    let bytes: usize = templates.iter().map(|t| t.text.len()).sum();
    let mut base_errors = Vec::new();
    let mut with_errors = Vec::new();
    let mut differ = Vec::new();
    for template in &templates {
        let base_tree = parse(&base, &template.text);
        let tree = parse(&ours, &template.text);
        if base_tree.root_node().has_error() {
            base_errors.push(format!(
                "{}: {}",
                template.name,
                describe(&base_tree, &template.text)
            ));
        } else if let Some(at) = first_difference(&tree, &base_tree) {
            // Where the base has no complaint, the extensions must change nothing.
            differ.push(format!("{}: trees differ at byte {at}", template.name));
        }
        if tree.root_node().has_error() {
            with_errors.push((template.name.clone(), describe(&tree, &template.text)));
        }
    }
    println!(
        "ARM templates in the corpus: {} files, {bytes} bytes; files with ERROR/MISSING nodes: \
         {} with tree-sitter-json 0.24.8, {} with ours",
        templates.len(),
        base_errors.len(),
        with_errors.len()
    );
    for problem in &base_errors {
        println!("  tree-sitter-json fails on {problem}");
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    let mut unexpected = Vec::new();
    for (name, problem) in &with_errors {
        match GENUINELY_INVALID.iter().find(|(n, _)| n == name) {
            Some((_, why)) => println!("  invalid, as expected: {name}: {why} ({problem})"),
            None => unexpected.push(format!("{name}: {problem}")),
        }
    }
    let clean_but_listed: Vec<_> = GENUINELY_INVALID
        .iter()
        .filter(|(n, _)| !with_errors.iter().any(|(e, _)| e == n))
        .map(|(n, _)| *n)
        .collect();
    assert!(
        unexpected.is_empty(),
        "templates with errors that are not known to be invalid:\n{}",
        unexpected.join("\n")
    );
    assert!(
        clean_but_listed.is_empty(),
        "listed as invalid but parsed clean (or no longer in the corpus): {clean_but_listed:?}"
    );
}

#[test]
fn the_schema_scan_picks_the_root_member_only() {
    assert!(is_template(
        b"\xEF\xBB\xBF// c\n{ /* x */ \"$schema\" : \"https://x/2019-04-01/DeploymentTemplate.json#\"}"
    ));
    assert!(is_template(
        b"{\"a\": {\"$schema\": \"p\"}, \"b\": [\"$schema\"], \"$schema\": \"deploymentTemplate.json\"}"
    ));
    assert!(!is_template(
        b"{\"a\": {\"$schema\": \"deploymentTemplate.json\"}}"
    ));
    assert!(!is_template(
        b"{\"$schema\": \"deploymentParameters.json\", \"t\": {\"$schema\": \"deploymentTemplate.json\"}}"
    ));
    assert!(!is_template(
        b"[{\"$schema\": \"deploymentTemplate.json\"}]"
    ));
}

/// The first byte where two trees have a different node (kind, range or shape), if any.
fn first_difference(a: &Tree, b: &Tree) -> Option<usize> {
    let (mut x, mut y) = (a.walk(), b.walk());
    loop {
        let (m, n) = (x.node(), y.node());
        if m.kind() != n.kind()
            || m.byte_range() != n.byte_range()
            || m.child_count() != n.child_count()
            || x.field_name() != y.field_name()
        {
            return Some(m.start_byte().min(n.start_byte()));
        }
        if x.goto_first_child() {
            y.goto_first_child();
            continue;
        }
        loop {
            if x.goto_next_sibling() {
                y.goto_next_sibling();
                break;
            }
            if !x.goto_parent() {
                return None;
            }
            y.goto_parent();
        }
    }
}

fn time_parse(language: &Language, text: &[u8]) -> Duration {
    let mut parser = Parser::new();
    parser.set_language(language).unwrap();
    let start = Instant::now();
    let tree = parser.parse(text, None).unwrap();
    let elapsed = start.elapsed();
    drop(tree);
    elapsed
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[test]
#[ignore = "timing: run in release with --ignored --nocapture"]
fn parse_speed_against_the_base_on_the_largest_templates() {
    let Some(corpus) = corpus_dir() else { return };
    if cfg!(debug_assertions) {
        println!("NOTICE: a debug build times unoptimized code; use --release");
    }
    let mut templates = templates(&corpus);
    templates.sort_by_key(|t| std::cmp::Reverse(t.text.len()));
    let (ours, base) = (ours(), base());
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(15);
    let (mut total_ours, mut total_base) = (0.0, 0.0);
    for template in templates.iter().take(6) {
        // Warm both, then alternate so that machine noise falls on both alike.
        time_parse(&ours, &template.text);
        time_parse(&base, &template.text);
        let (mut o, mut b) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            o.push(time_parse(&ours, &template.text));
            b.push(time_parse(&base, &template.text));
        }
        o.sort();
        b.sort();
        let (om, bm) = (ms(o[rounds / 2]), ms(b[rounds / 2]));
        total_ours += om;
        total_base += bm;
        println!(
            "{:>9} bytes  ours median {om:7.2} ms (min {:7.2})  base median {bm:7.2} ms (min {:7.2})  \
             ours/base {:.3}  {}",
            template.text.len(),
            ms(o[0]),
            ms(b[0]),
            om / bm,
            template.name
        );
    }
    println!(
        "sum of medians: ours {total_ours:.1} ms, base {total_base:.1} ms, ours/base {:.3}",
        total_ours / total_base
    );
}
