//! Syntax errors as findings, and the syntax-tree dump behind `mtlsguard.syntaxTree`.

use std::fmt::Write;

use tree_sitter::{Node, Tree};

use crate::parse::Document;
use crate::{Finding, Level, SYNTAX_ERROR};

/// At most this many syntax errors are reported per document (garbage input has thousands).
const MAX_ERRORS: usize = 200;

pub(crate) fn errors(doc: &Document<'_>, level: Level) -> Vec<Finding> {
    let mut out = Vec::new();
    let root = doc.tree.root_node();
    if !root.has_error() {
        return out;
    }
    let mut cursor = root.walk();
    // Iterative pre-order walk: deep trees must not overflow the stack.
    'walk: loop {
        let node = cursor.node();
        let mut descend = node.has_error();
        if node.is_error() || node.is_missing() {
            descend = false;
            out.push(finding(doc, node, level));
            if out.len() >= MAX_ERRORS {
                break;
            }
        }
        if descend && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    out
}

/// Where the `//` or `/*` comment starting at `i` ends: at the `\n` closing a line
/// comment, after the `*/` of a block comment, or at the end of the text when it is
/// unclosed. `None` when no comment starts at `i`. (Both languages share this comment
/// syntax; text scanners that must not look inside comments use it.)
pub(crate) fn comment_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'/') {
        return None;
    }
    match b.get(i + 1)? {
        b'/' => Some(
            b[i..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |n| i + n),
        ),
        b'*' => Some(
            b[i + 2..]
                .windows(2)
                .position(|w| w == b"*/")
                .map_or(b.len(), |n| i + 2 + n + 2),
        ),
        _ => None,
    }
}

fn finding(doc: &Document<'_>, node: Node<'_>, level: Level) -> Finding {
    let message = if node.is_missing() {
        format!("syntax error: missing `{}`", node.kind())
    } else {
        let snippet: String = doc
            .text
            .get(node.byte_range())
            .unwrap_or("")
            .chars()
            .take(40)
            .collect();
        let snippet = snippet.split(['\n', '\r']).next().unwrap_or("").trim();
        if snippet.is_empty() {
            "syntax error: unexpected text".to_owned()
        } else {
            format!("syntax error: unexpected `{snippet}`")
        }
    };
    let mut range = node.byte_range();
    // An ERROR node can span the rest of the file (error recovery took it all in): the
    // finding marks where the trouble starts, its first line, not a file-long squiggle.
    if let Some(eol) = doc.text[range.clone()].find(['\n', '\r']) {
        range.end = range.start + eol;
    }
    if range.is_empty() && range.end < doc.text.len() {
        // Give zero-width errors a visible character where one exists.
        let len = doc.text[range.start..]
            .chars()
            .next()
            .map_or(0, char::len_utf8);
        range.end += len;
    }
    Finding {
        rule: SYNTAX_ERROR,
        level,
        message,
        range,
        related: Vec::new(),
        fix: None,
    }
}

/// The dump stops after this many bytes (it is for reading, in an editor).
const MAX_DUMP: usize = 16 * 1024 * 1024;
/// Indentation stops growing at this depth.
const MAX_INDENT: usize = 128;

/// One node a line, indented by depth: `kind start..end`, with field names and the text
/// of leaves. Named nodes only (plus ERROR/MISSING), like rust-analyzer's syntax tree view.
pub fn syntax_tree_dump(tree: &Tree, text: &str) -> String {
    let mut out = String::new();
    let mut cursor = tree.walk();
    let mut depth = 0usize;
    'walk: loop {
        let node = cursor.node();
        let shown = node.is_named() || node.is_missing() || node.is_error();
        if shown {
            if out.len() > MAX_DUMP {
                out.push_str("... (truncated)\n");
                break 'walk;
            }
            // Deeper than MAX_INDENT levels, the depth is written as a number: indenting
            // 100,000 levels would make the dump quadratic in the text's size.
            if depth > MAX_INDENT {
                let _ = write!(out, "{:indent$}[{depth}] ", "", indent = MAX_INDENT * 2);
            } else {
                let _ = write!(out, "{:indent$}", "", indent = depth * 2);
            }
            if let Some(field) = cursor.field_name() {
                let _ = write!(out, "{field}: ");
            }
            if node.is_missing() {
                let _ = write!(out, "MISSING ");
            }
            let _ = write!(
                out,
                "{} {}..{}",
                node.kind(),
                node.start_byte(),
                node.end_byte()
            );
            if node.child_count() == 0 {
                let leaf: String = text
                    .get(node.byte_range())
                    .unwrap_or("")
                    .chars()
                    .take(60)
                    .collect();
                let _ = write!(out, " {leaf:?}");
            }
            out.push('\n');
        }
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
            depth -= 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::comment_end;

    #[test]
    fn comment_ends() {
        let b = b"a // x\nb /* y */ c /* open";
        assert_eq!(comment_end(b, 0), None);
        assert_eq!(
            comment_end(b, 2),
            Some(6),
            "a line comment ends at its newline"
        );
        assert_eq!(comment_end(b, 9), Some(16), "after the */");
        assert_eq!(comment_end(b, 19), Some(b.len()), "unclosed: the end");
        assert_eq!(comment_end(b"/", 0), None);
        assert_eq!(comment_end(b"//", 0), Some(2));
        assert_eq!(comment_end(b"/**/", 0), Some(4));
        assert_eq!(
            comment_end(b"/*/", 0),
            Some(3),
            "`/*/` does not close itself"
        );
    }
}
