//! Today's Bicep and `.bicepparam` for tree-sitter: our grammar, built on
//! tree-sitter-bicep 1.1.0 (see `grammar.js` for what it adds and why).
//!
//! ```
//! let mut parser = tree_sitter::Parser::new();
//! parser.set_language(&mtlsguard_grammar_bicep::LANGUAGE.into()).unwrap();
//! let tree = parser.parse("var x string = base.?name ?? 'a'", None).unwrap();
//! assert!(!tree.root_node().has_error());
//! ```

use tree_sitter_language::LanguageFn;

unsafe extern "C" {
    fn tree_sitter_mtlsguard_bicep() -> *const ();
}

/// The grammar, for `tree_sitter::Parser::set_language`.
pub const LANGUAGE: LanguageFn = unsafe { LanguageFn::from_raw(tree_sitter_mtlsguard_bicep) };

/// The grammar's node types (`src/node-types.json`).
pub const NODE_TYPES: &str = include_str!("../../src/node-types.json");
