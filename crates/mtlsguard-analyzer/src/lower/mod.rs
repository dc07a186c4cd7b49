//! Lowers tree-sitter trees of both languages into the shared [`Model`].
//!
//! Recursion here follows the syntax tree, so its depth is bounded by [`MAX_DEPTH`]:
//! a value nested deeper than that is treated as an unknown expression rather than
//! risking the stack on hostile input.

use tree_sitter::Node;

use crate::model::{
    BinaryOp, Definition, Loop, Model, Object, Property, Resource, Spread, SymbolRef, Symbols,
    UnaryOp, Value, ValueKind,
};
use crate::syntax::{Document, Language};

pub(crate) const MAX_DEPTH: usize = 256;

pub(crate) fn lower(doc: &Document<'_>) -> Model {
    let mut model = Model::default();
    match doc.language {
        Language::Bicep => bicep::lower_file(doc, &mut model),
        Language::Json => json::lower_file(doc, &mut model),
    }
    model
}

fn text<'a>(doc: &Document<'a>, node: Node<'_>) -> &'a str {
    doc.text.get(node.byte_range()).unwrap_or("")
}

fn expr(node: Node<'_>) -> Value {
    Value {
        range: node.byte_range(),
        kind: ValueKind::Expr("an expression nested too deeply"),
    }
}

/// Named, non-comment children (ERROR and MISSING nodes are skipped: what did parse is kept).
fn children<'t>(node: Node<'t>) -> impl Iterator<Item = Node<'t>> {
    let mut cursor = node.walk();
    let kids: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
    kids.into_iter()
        .filter(|n| !n.is_extra() && !n.is_error() && !n.is_missing())
}

/// An array of the elements that parsed. When nothing parsed but something is there, it
/// is unknown, not empty: `[ <garbage> ]` must not read as an empty list.
fn array(node: Node<'_>, items: Vec<Value>) -> ValueKind {
    if items.is_empty() && node.has_error() {
        ValueKind::Expr("text that did not parse")
    } else {
        ValueKind::Array(items)
    }
}

/// The full type of a resource declared with type `short` (without the apiVersion),
/// nested in a parent of type `parent_ty`: a full type starts with a namespace
/// (`Microsoft.Web/...`: namespaces have a dot), anything else nested in a parent is
/// relative to it (`slots`, `gateways/x`).
fn full_type(parent_ty: Option<&str>, short: String) -> String {
    let relative = !short.split('/').next().unwrap_or("").contains('.');
    match parent_ty {
        Some(p) if relative => format!("{p}/{short}"),
        _ => short,
    }
}

/// The body of a resource of type `ty`: lowered only when some rule looks at that type
/// (most resources are of other types), else an empty object over `node`.
fn relevant_body(ty: &str, node: Node<'_>, lower: impl FnOnce() -> Object) -> Object {
    if crate::rules::is_relevant(ty) {
        lower()
    } else {
        Object {
            range: node.byte_range(),
            props: Vec::new(),
            spreads: Vec::new(),
            incomplete: false,
        }
    }
}

mod arm_expr;
pub(crate) mod bicep;
pub(crate) mod json;

#[cfg(test)]
mod tests_calls;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    /// Decodes the JSON string literal `src` as the analyzer does.
    fn decode(src: &str) -> Option<String> {
        let text = format!("{{\"k\": {src}}}");
        let tree = parse(Language::Json, &text, None)
            .into_tree()
            .expect("parsed in time");
        let doc = Document::new(Language::Json, &text, &tree);
        let value = tree
            .root_node()
            .named_child(0)?
            .named_child(0)?
            .child_by_field_name("value")?;
        json::string(&doc, value)
    }

    #[test]
    fn json_strings_decode_every_escape() {
        assert_eq!(decode(r#""plain""#).as_deref(), Some("plain"));
        assert_eq!(decode(r#""Req\u0075ired""#).as_deref(), Some("Required"));
        assert_eq!(decode(r#""a\"b\\c\/d""#).as_deref(), Some("a\"b\\c/d"));
        assert_eq!(
            decode(r#""\n\r\t\b\f""#).as_deref(),
            Some("\n\r\t\u{8}\u{c}")
        );
        // A surrogate pair is one character; a lone surrogate is U+FFFD.
        assert_eq!(decode(r#""\ud834\udd1e""#).as_deref(), Some("𝄞"));
        assert_eq!(decode(r#""\ud834x""#).as_deref(), Some("\u{fffd}x"));
        assert_eq!(decode(r#""\udd1e""#).as_deref(), Some("\u{fffd}"));
        // Raw line breaks inside a string are accepted, as Azure accepts them.
        assert_eq!(decode("\"a\nb\"").as_deref(), Some("a\nb"));
        assert_eq!(decode(r#""""#).as_deref(), Some(""));
    }

    /// The resource types `lower` finds in a Bicep text, in order of their declarations.
    fn bicep_resources(text: &str) -> Vec<String> {
        let tree = parse(Language::Bicep, text, None)
            .into_tree()
            .expect("parsed in time");
        let doc = Document::new(Language::Bicep, text, &tree);
        let mut resources = lower(&doc).resources;
        resources.sort_by_key(|r| r.decl_start);
        resources.into_iter().map(|r| r.ty).collect()
    }

    const TWO: &str = "resource a 'A.B/c@1' = {\n  name: 'a'\n}\n\n@description('b')\n@batchSize(1)\nresource b 'A.B/d@1' = {\n  name: 'b'\n}\n";

    #[test]
    fn an_unclosed_object_does_not_swallow_the_declarations_after_it() {
        // As a person types `var x = {` above the resources: without isolation both
        // resources would be properties of the unclosed object.
        let text = format!("var x = {{\n  a: 1\n\n{TWO}");
        assert_eq!(bicep_resources(&text), ["A.B/c", "A.B/d"]);
        let text = format!("var x = [\n\n{TWO}");
        assert_eq!(bicep_resources(&text), ["A.B/c", "A.B/d"]);
    }

    #[test]
    fn an_incomplete_line_costs_only_itself() {
        // What a person has typed halfway; error recovery may carry it into the next
        // declaration (an unclosed string runs on over the line break).
        for line in [
            "var a =",
            "var b = foo.",
            "param p string =",
            "var c = 1 +",
            "var g = true ?",
            "var l = map([1], i =>",
            "var f = concat(",
            "var s = 'abc",
            "var t = 'a ${x",
            "param q string = 'what\\'s up",
        ] {
            let text = format!("{line}\n\n{TWO}");
            assert_eq!(bicep_resources(&text), ["A.B/c", "A.B/d"], "after {line:?}");
        }
    }

    #[test]
    fn garbage_costs_only_its_own_declaration() {
        let text = format!("bad ~ ]]\nresource broken 'A.B/x@1' = {{\n  name: )\n}}\n{TWO}");
        assert_eq!(bicep_resources(&text), ["A.B/x", "A.B/c", "A.B/d"]);
    }

    #[test]
    fn isolation_follows_tokens_not_text() {
        // A `resource` line inside a multi-line string is text, not a declaration, even
        // when the declaration holding the string is broken.
        let text = format!("var s = '''\nresource fake 'A.B/fake@1' = {{}}\n''' ~\n{TWO}");
        assert_eq!(bicep_resources(&text), ["A.B/c", "A.B/d"]);
        // Nested resources stay nested (their keyword is indented).
        let nested = "var x = {\nresource p 'A.B/p@1' = {\n  resource c 'kids@1' = {\n    name: 'c'\n  }\n}\n";
        assert_eq!(bicep_resources(nested), ["A.B/p", "A.B/p/kids"]);
    }

    #[test]
    fn malformed_json_strings_are_not_literals() {
        assert_eq!(decode(r#""\u00zz""#), None);
        assert_eq!(decode(r#""\u+041""#), None);
        assert_eq!(decode(r#""unterminated"#), None);
    }
}
