//! The tree-sitter grammar the analyzer parses ARM JSON templates with.
//!
//! Azure Resource Manager reads a template with a Newtonsoft.Json reader, which takes more
//! than strict JSON: line breaks inside strings, comments, a comma after the last member or
//! element, and any Unicode whitespace between tokens. tree-sitter-json follows the JSON
//! standard (plus comments), so on templates that deploy as they are it reports syntax
//! errors, and its error recovery can then tear a multi-line expression apart: a continuation
//! line holding `[],` or `},` becomes structure, and the analyzer would see members that are
//! not there and miss the ones that are. This grammar extends tree-sitter-json (see
//! `grammar.js`) with exactly those allowances and nothing else, so that what Azure accepts
//! parses without ERROR or MISSING nodes, and what Azure rejects still does not.
//!
//! The node kinds and field names are the base grammar's (`document`, `object`, `pair` with
//! `key` and `value`, `array`, `string`, `string_content`, `escape_sequence`, `number`,
//! `true`, `false`, `null`, `comment`), so code written against tree-sitter-json reads these
//! trees unchanged. The language is named `arm_json`, so its C symbol cannot clash with
//! tree-sitter-json's when both are linked into one program.
//!
//! `src/parser.c` is generated: edit `grammar.js` and run `scripts/regenerate-grammars.sh json`.

use tree_sitter_language::LanguageFn;

unsafe extern "C" {
    fn tree_sitter_arm_json() -> *const ();
}

/// The language to give a `tree_sitter::Parser` (through `.into()`) for ARM JSON templates.
///
/// Use it instead of `tree_sitter_json::LANGUAGE` wherever a template is parsed: a template
/// that Azure deploys must not come out with syntax errors.
pub const LANGUAGE: LanguageFn = unsafe { LanguageFn::from_raw(tree_sitter_arm_json) };

/// The grammar's `node-types.json`, for tools that check the node kinds and fields code
/// relies on against what the parser can actually produce.
pub const NODE_TYPES: &str = include_str!("node-types.json");

#[cfg(test)]
mod tests {
    #[test]
    fn loads_into_the_runtime() {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&super::LANGUAGE.into())
            .expect("the runtime loads the ABI of the generated parser");
    }
}
