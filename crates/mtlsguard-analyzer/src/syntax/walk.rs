//! The one walk over a syntax tree: pre-order, without recursion, since the trees of
//! hostile (or just deeply nested) text must not overflow the stack.

use tree_sitter::{Node, TreeCursor};

/// What a [`walk`] visitor wants after a node.
pub(crate) enum Visit {
    /// Its children next.
    Into,
    /// Not its children: its next sibling.
    Over,
    /// Nothing more.
    Stop,
}

/// Visits `root` and its descendants in pre-order. `visit` gets the cursor at each node
/// (for its field name too) and the node's depth below `root`.
pub(crate) fn walk<'t>(root: Node<'t>, mut visit: impl FnMut(&TreeCursor<'t>, usize) -> Visit) {
    let mut cursor = root.walk();
    let mut depth = 0;
    loop {
        match visit(&cursor, depth) {
            Visit::Stop => return,
            Visit::Into if cursor.goto_first_child() => {
                depth += 1;
                continue;
            }
            _ => {}
        }
        while !cursor.goto_next_sibling() {
            if depth == 0 || !cursor.goto_parent() {
                return;
            }
            depth -= 1;
        }
        if depth == 0 {
            // The root's siblings are not part of the walk.
            return;
        }
    }
}
