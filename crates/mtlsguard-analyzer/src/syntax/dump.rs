//! The syntax-tree dump behind `mtlsguard.syntaxTree`.

use std::fmt::Write;

use tree_sitter::Tree;

use super::Visit;

/// The dump stops after this many bytes (it is for reading, in an editor).
const MAX_DUMP: usize = 16 * 1024 * 1024;
/// Indentation stops growing at this depth.
const MAX_INDENT: usize = 128;

/// One node a line, indented by depth: `kind start..end`, with field names and the text
/// of leaves. Named nodes only (plus ERROR/MISSING), like rust-analyzer's syntax tree view.
pub fn syntax_tree_dump(tree: &Tree, text: &str) -> String {
    let mut out = String::new();
    super::walk(tree.root_node(), |cursor, depth| {
        let node = cursor.node();
        let shown = node.is_named() || node.is_missing() || node.is_error();
        if shown {
            if out.len() > MAX_DUMP {
                out.push_str("... (truncated)\n");
                return Visit::Stop;
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
        Visit::Into
    });
    out
}
