//! Syntax errors as findings.

use tree_sitter::Node;

use super::{Document, Visit};
use crate::{Finding, Level, SYNTAX_ERROR};

/// At most this many syntax errors are reported per document (garbage input has thousands).
const MAX_ERRORS: usize = 200;

pub(crate) fn errors(doc: &Document<'_>, level: Level) -> Vec<Finding> {
    let mut out = Vec::new();
    let root = doc.tree.root_node();
    if !root.has_error() {
        return out;
    }
    super::walk(root, |cursor, _| {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            out.push(finding(doc, node, level));
            return if out.len() >= MAX_ERRORS {
                Visit::Stop
            } else {
                Visit::Over
            };
        }
        if node.has_error() {
            Visit::Into
        } else {
            Visit::Over
        }
    });
    out
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
