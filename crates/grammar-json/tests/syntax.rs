//! What the grammar accepts beyond tree-sitter-json, construct by construct, and what it
//! still rejects.

use tree_sitter::{Node, Parser, Tree};

fn parse(text: &str) -> Tree {
    let mut parser = Parser::new();
    parser
        .set_language(&mtlsguard_grammar_json::LANGUAGE.into())
        .unwrap();
    parser.parse(text, None).unwrap()
}

fn parse_base(text: &str) -> Tree {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_json::LANGUAGE.into())
        .unwrap();
    parser.parse(text, None).unwrap()
}

#[track_caller]
fn accepts(text: &str) -> Tree {
    let tree = parse(text);
    assert!(
        !tree.root_node().has_error(),
        "expected no error in {text:?}, got {}",
        tree.root_node().to_sexp()
    );
    tree
}

#[track_caller]
fn rejects(text: &str) {
    let tree = parse(text);
    assert!(
        tree.root_node().has_error(),
        "expected an error in {text:?}, got {}",
        tree.root_node().to_sexp()
    );
}

fn descendants(node: Node<'_>) -> Vec<Node<'_>> {
    let mut out = vec![node];
    let mut i = 0;
    while i < out.len() {
        let n = out[i];
        out.extend((0..n.child_count()).filter_map(|c| n.child(c as _)));
        i += 1;
    }
    out
}

fn of_kind<'t>(tree: &'t Tree, kind: &str) -> Vec<Node<'t>> {
    descendants(tree.root_node())
        .into_iter()
        .filter(|n| n.kind() == kind)
        .collect()
}

fn text<'a>(source: &'a str, node: Node<'_>) -> &'a str {
    &source[node.byte_range()]
}

/// The value of the root object's only member.
fn only_value(tree: &Tree) -> Node<'_> {
    let object = tree.root_node().named_child(0).unwrap();
    assert_eq!(object.kind(), "object");
    let pair = object.named_child(0).unwrap();
    assert_eq!(pair.kind(), "pair");
    pair.child_by_field_name("value").unwrap()
}

// ---- line breaks inside strings ----

#[test]
fn a_multi_line_expression_is_one_string() {
    let src = "{\"v\": \"[union(\n  json('[]'),\n  json('[]'))]\"}";
    let tree = accepts(src);
    let value = only_value(&tree);
    assert_eq!(value.kind(), "string");
    assert_eq!(
        text(src, value),
        "\"[union(\n  json('[]'),\n  json('[]'))]\""
    );
    assert_eq!(of_kind(&tree, "string").len(), 2, "the key and the value");
    assert!(of_kind(&tree, "array").is_empty());
    // tree-sitter-json cannot take it.
    assert!(parse_base(src).root_node().has_error());
}

#[test]
fn continuation_lines_that_look_like_structure_stay_in_the_string() {
    let src = "{\n  \"v\": \"[createObject(\n    'a', [],\n    'b', createObject()\n  ),\n  },\n  ]\",\n  \"w\": 1\n}";
    let tree = accepts(src);
    let object = tree.root_node().named_child(0).unwrap();
    let pairs: Vec<_> = (0..object.named_child_count())
        .map(|i| object.named_child(i as _).unwrap())
        .collect();
    assert_eq!(pairs.len(), 2);
    let v = pairs[0].child_by_field_name("value").unwrap();
    assert_eq!(v.kind(), "string");
    assert!(text(src, v).contains("'a', [],\n"));
    assert!(text(src, v).ends_with("  },\n  ]\""));
    assert!(of_kind(&tree, "array").is_empty());
    assert_eq!(of_kind(&tree, "object").len(), 1);
    assert_eq!(
        text(src, pairs[1].child_by_field_name("key").unwrap()),
        "\"w\""
    );
}

#[test]
fn a_script_with_braces_and_comment_markers_is_one_string() {
    let src =
        "{\"scriptContent\": \"$headers = @{}\n// not a comment\n$x = 1 /* nor this */\n# ok\n\"}";
    let tree = accepts(src);
    let value = only_value(&tree);
    assert_eq!(value.kind(), "string");
    assert_eq!(
        text(src, value),
        "\"$headers = @{}\n// not a comment\n$x = 1 /* nor this */\n# ok\n\""
    );
    assert!(of_kind(&tree, "comment").is_empty());
    assert!(of_kind(&tree, "object").len() == 1);
}

#[test]
fn a_line_that_starts_with_comment_markers_inside_a_string_is_not_a_comment() {
    // The string content starts right at `//`, `/*`, after a line break, and after an escape:
    // each is where a comment could otherwise begin.
    for src in [
        "[\"//x\"]",
        "[\"/*x*/\"]",
        "[\"\n// x\n\"]",
        "[\"\\n// x\"]",
        "[\"\\\\/* x\n*/\"]",
        "[\"  // x\n  /* y */\"]",
    ] {
        let tree = accepts(src);
        assert!(of_kind(&tree, "comment").is_empty(), "{src:?}");
        assert_eq!(of_kind(&tree, "string").len(), 1, "{src:?}");
    }
}

#[test]
fn crlf_and_escapes_in_a_multi_line_string() {
    let src = "[\"a\\n\r\n\\\"b\\\"\r\n\\u00e9\"]";
    let tree = accepts(src);
    assert_eq!(of_kind(&tree, "string").len(), 1);
    assert_eq!(of_kind(&tree, "escape_sequence").len(), 4);
    let contents: String = of_kind(&tree, "string_content")
        .into_iter()
        .map(|n| text(src, n))
        .collect();
    assert_eq!(contents, "a\r\nb\r\n00e9");
}

#[test]
fn an_unterminated_string_is_an_error() {
    rejects("{\"a\": \"abc}");
    rejects("{\"a\": \"abc\n}\n");
    rejects("[\"abc");
    rejects("[\"");
}

#[test]
fn bad_escapes_are_errors() {
    rejects("[\"\\q\"]");
    rejects("[\"\\'\"]");
    // A backslash does not escape a line break.
    rejects("[\"a\\\nb\"]");
}

// ---- whitespace ----

/// Every character .NET's char.IsWhiteSpace accepts.
const DOTNET_WHITESPACE: &[char] = &[
    '\u{9}', '\u{A}', '\u{B}', '\u{C}', '\u{D}', '\u{20}', '\u{85}', '\u{A0}', '\u{1680}',
    '\u{2000}', '\u{2001}', '\u{2002}', '\u{2003}', '\u{2004}', '\u{2005}', '\u{2006}', '\u{2007}',
    '\u{2008}', '\u{2009}', '\u{200A}', '\u{2028}', '\u{2029}', '\u{202F}', '\u{205F}', '\u{3000}',
];

#[test]
fn every_dotnet_whitespace_separates_tokens() {
    for &ws in DOTNET_WHITESPACE {
        let src = format!(
            "{ws}{{{ws}\"a\"{ws}:{ws}[{ws}1{ws},{ws}true{ws}]{ws},{ws}\"b\":null{ws}}}{ws}"
        );
        let tree = accepts(&src);
        assert_eq!(of_kind(&tree, "pair").len(), 2, "U+{:04X}", ws as u32);
    }
    // The tree is the one a plain space gives: no node stands for the whitespace.
    for &ws in DOTNET_WHITESPACE {
        let spaced = format!("{{\"a\":{ws}{ws} [{ws}1 ,{ws}{ws}2]{ws}}}{ws}");
        let plain = spaced.replace(ws, " ");
        let (a, b) = (accepts(&spaced), accepts(&plain));
        assert_eq!(a.root_node().to_sexp(), b.root_node().to_sexp());
        let (x, y) = (descendants(a.root_node()), descendants(b.root_node()));
        assert_eq!(x.len(), y.len(), "U+{:04X}", ws as u32);
        for (m, n) in x.iter().zip(&y) {
            assert_eq!((m.kind(), m.child_count()), (n.kind(), n.child_count()));
        }
        let mut cursor = a.walk();
        cursor.goto_first_child();
        cursor.goto_first_child();
        let mut kinds = vec![cursor.node().kind()];
        while cursor.goto_next_sibling() {
            kinds.push(cursor.node().kind());
        }
        assert_eq!(kinds, ["{", "pair", "}"], "U+{:04X}", ws as u32);
    }
    // Each is still plain content inside a string.
    let inside: String = DOTNET_WHITESPACE.iter().collect();
    let src = format!("[\"{inside}\"]");
    let tree = accepts(&src);
    assert_eq!(text(&src, of_kind(&tree, "string_content")[0]), inside);
}

#[test]
fn characters_dotnet_does_not_count_as_whitespace_are_errors() {
    // Zero-width space, Mongolian vowel separator, word joiner, and a byte order mark
    // anywhere but at the very start.
    for ch in ['\u{200B}', '\u{180E}', '\u{2060}', '\u{FEFF}'] {
        rejects(&format!("{{\"a\":{ch}1}}"));
    }
    rejects("\n\u{FEFF}{}");
}

#[test]
fn a_leading_byte_order_mark_is_skipped() {
    let src = "\u{FEFF}{\"a\": 1}";
    let tree = accepts(src);
    let object = tree.root_node().named_child(0).unwrap();
    assert_eq!(object.kind(), "object");
    assert_eq!(object.start_byte(), 3);
}

// ---- trailing commas ----

#[test]
fn a_trailing_comma_is_plain_syntax() {
    for src in [
        "{\"a\": 1,}",
        "[1, 2,]",
        "[1,]",
        "{\"a\": [1, {\"b\": 2,},],}",
        "{\n  \"a\": 1, // why\n}",
        "[\n  1,\n  /* last */\n]",
    ] {
        let tree = accepts(src);
        assert!(of_kind(&tree, "ERROR").is_empty(), "{src:?}");
    }
    let tree = accepts("{\"a\": 1, \"b\": 2,}");
    let pairs = of_kind(&tree, "pair");
    assert_eq!(pairs.len(), 2);
    assert_eq!(
        pairs[1].child_by_field_name("value").unwrap().kind(),
        "number"
    );
    let tree = accepts("[1, 2,]");
    let array = of_kind(&tree, "array")[0];
    assert_eq!(array.named_child_count(), 2);
    assert_eq!(array.child_count(), 6, "[ 1 , 2 , ]");
}

#[test]
fn stray_commas_are_still_errors() {
    rejects("[,]");
    rejects("{,}");
    rejects("[1,,2]");
    rejects("[1,,]");
    rejects("{\"a\": 1,,}");
    rejects("{\"a\": 1,, \"b\": 2}");
    rejects("[,1]");
    rejects("{, \"a\": 1}");
    rejects("[1 2]");
    rejects("{\"a\": 1 \"b\": 2}");
    rejects("{\"a\",}");
    rejects("{\"a\":,}");
}

// ---- comments ----

#[test]
fn comments_between_tokens() {
    let src = "// head\n{ /* a */ \"a\" /* b */ : // c\n 1 /* d\n multi */, \"b\": \"http://x/*y*/\" }\n// tail";
    let tree = accepts(src);
    assert_eq!(of_kind(&tree, "comment").len(), 6);
    let pairs = of_kind(&tree, "pair");
    assert_eq!(pairs.len(), 2);
    let b = pairs[1].child_by_field_name("value").unwrap();
    assert_eq!(text(src, b), "\"http://x/*y*/\"");
}

#[test]
fn unterminated_block_comment_is_an_error() {
    rejects("{\"a\": 1 /* x }");
}

// ---- what the base does stays as it was ----

#[test]
fn strict_json_parses_exactly_as_the_base_parses_it() {
    let src = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "n": [0, -1.5e3, 2E-2, 10],
  "t": true, "f": false, "z": null,
  "s": "a\"b\\c\/d\b\f\n\r\t\u00e9",
  "e": {}, "ea": [], "es": "",
  "deep": {"x": [{"y": [[]]}]}
}"#;
    let ours = accepts(src);
    let base = parse_base(src);
    assert_eq!(ours.root_node().to_sexp(), base.root_node().to_sexp());
    let kinds: std::collections::BTreeSet<_> = descendants(ours.root_node())
        .iter()
        .map(|n| n.kind())
        .collect();
    for kind in [
        "document",
        "object",
        "pair",
        "array",
        "string",
        "string_content",
        "escape_sequence",
        "number",
        "true",
        "false",
        "null",
    ] {
        assert!(kinds.contains(kind), "{kind}");
    }
    let with_comment = accepts("// c\n1");
    assert_eq!(
        with_comment.root_node().to_sexp(),
        "(document (comment) (number))"
    );
    let pair = of_kind(&ours, "pair")[0];
    assert_eq!(pair.child_by_field_name("key").unwrap().kind(), "string");
    assert_eq!(pair.child_by_field_name("value").unwrap().kind(), "string");
}

#[test]
fn node_types_list_the_kinds_and_fields_the_analyzer_reads() {
    let types = mtlsguard_grammar_json::NODE_TYPES;
    for kind in [
        "document",
        "object",
        "pair",
        "array",
        "string",
        "string_content",
        "escape_sequence",
        "number",
        "true",
        "false",
        "null",
        "comment",
    ] {
        assert!(types.contains(&format!("\"type\": \"{kind}\"")), "{kind}");
    }
    let language: tree_sitter::Language = mtlsguard_grammar_json::LANGUAGE.into();
    assert!(language.field_id_for_name("key").is_some());
    assert!(language.field_id_for_name("value").is_some());
    assert_eq!(language.name(), Some("arm_json"));
}

#[test]
fn other_base_errors_remain_errors() {
    rejects("{\"a\": tru}");
    rejects("{'a': 1}");
    rejects("{a: 1}");
    rejects("[01]");
    rejects("[+1]");
    rejects("[NaN]");
    rejects("{\"a\": 1");
    rejects("[1}");
}
