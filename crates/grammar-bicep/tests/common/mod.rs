//! What the syntax tests share: parsing, the snapshot rendering and the tree queries.
//!
//! A snapshot holds the input, a `---` line, then the tree: one node a line, indented by
//! depth, `field: kind` for named nodes with the text of those that have no named child,
//! and anonymous tokens in quotes (brackets, braces, parentheses, commas, colons, `=` and
//! string quotes left out: they only repeat what the shape says).

// Each test file uses its own subset of these helpers.
#![allow(dead_code)]

use std::fmt::Write;

use tree_sitter::{Node, Parser, Tree, TreeCursor};

pub fn parse(source: &str) -> Tree {
    let mut parser = Parser::new();
    parser
        .set_language(&mtlsguard_grammar_bicep::LANGUAGE.into())
        .unwrap();
    parser.parse(source, None).unwrap()
}

/// Tokens that the snapshots leave out.
const PUNCTUATION: &[&str] = &["{", "}", "[", "]", "(", ")", ",", ":", "=", "'"];

pub fn render(source: &str, tree: &Tree) -> String {
    let mut out = String::new();
    for line in source.lines() {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("---\n");
    let mut cursor = tree.walk();
    write_node(&mut out, &mut cursor, source, 0);
    out
}

fn write_node(out: &mut String, cursor: &mut TreeCursor<'_>, source: &str, depth: usize) {
    let node = cursor.node();
    if !node.is_named() && !node.is_missing() && PUNCTUATION.contains(&node.kind()) {
        return;
    }
    out.push_str(&"  ".repeat(depth));
    if let Some(field) = cursor.field_name() {
        write!(out, "{field}: ").unwrap();
    }
    if node.is_missing() {
        out.push_str("MISSING ");
    }
    let leaf = node.named_child_count() == 0;
    if node.is_named() {
        out.push_str(node.kind());
        if leaf && !node.is_missing() {
            write!(out, " {:?}", &source[node.byte_range()]).unwrap();
        }
    } else {
        write!(out, "{:?}", node.kind()).unwrap();
    }
    out.push('\n');
    // A named node without named children shows its text: its tokens would only repeat it.
    if !(node.is_named() && leaf) && cursor.goto_first_child() {
        loop {
            write_node(out, cursor, source, depth + 1);
            if !cursor.goto_next_sibling() {
                break;
            }
        }
        cursor.goto_parent();
    }
}

/// The first ERROR or MISSING node, hidden ones included (a cursor skips a MISSING
/// token whose name starts with `_`, such as the end of a multi-line string; `has_error`
/// does not).
pub fn problem(tree: &Tree) -> Option<String> {
    fn find(node: Node<'_>) -> Option<Node<'_>> {
        if node.is_error() || node.is_missing() {
            return Some(node);
        }
        (0..node.child_count()).find_map(|i| find(node.child(i as _).unwrap()))
    }
    let root = tree.root_node();
    if !root.has_error() {
        return None;
    }
    Some(match find(root) {
        Some(node) if node.is_missing() => {
            format!("MISSING {} at {}", node.kind(), node.start_position())
        }
        Some(node) => format!("ERROR at {}", node.start_position()),
        None => "an error the walk did not find".to_string(),
    })
}

/// Parses `source`, checks that it has no ERROR or MISSING node and returns the tree.
#[track_caller]
pub fn clean(source: &str) -> Tree {
    let tree = parse(source);
    if let Some(problem) = problem(&tree) {
        panic!(
            "{problem} in\n{source}\n{}",
            render(source, &tree).split_once("---\n").unwrap().1
        );
    }
    tree
}

/// The snapshot of a construct, after checking that it parses clean.
macro_rules! construct {
    ($name:literal, $source:expr) => {{
        // Imported here rather than named by path so that the `expression:` line insta
        // writes into each snapshot stays `render(source, & tree)`.
        use $crate::common::{clean, render};
        let source: &str = $source;
        let tree = clean(source);
        insta::assert_snapshot!($name, render(source, &tree));
        tree
    }};
}
pub(crate) use construct;

#[track_caller]
pub fn rejects(source: &str) {
    let tree = parse(source);
    assert!(
        problem(&tree).is_some(),
        "expected an ERROR or MISSING node in\n{source}\n{}",
        render(source, &tree)
    );
}

pub fn descendants(node: Node<'_>) -> Vec<Node<'_>> {
    let mut out = vec![node];
    let mut i = 0;
    while i < out.len() {
        let n = out[i];
        out.extend((0..n.child_count()).filter_map(|c| n.child(c as _)));
        i += 1;
    }
    out
}

pub fn of_kind<'t>(tree: &'t Tree, kind: &str) -> Vec<Node<'t>> {
    descendants(tree.root_node())
        .into_iter()
        .filter(|n| n.kind() == kind)
        .collect()
}

pub fn named_children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

/// The items of the outermost array of `source`, as text.
pub fn array_items(source: &str) -> Vec<String> {
    let tree = clean(source);
    // Breadth first: the outermost array comes first.
    let array = of_kind(&tree, "array")[0];
    named_children(array)
        .into_iter()
        .filter(|n| n.kind() != "comment")
        .map(|n| source[n.byte_range()].to_string())
        .collect()
}
