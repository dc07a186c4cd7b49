//! Expressions, construct by construct: spread, access and operators, strings and
//! comments; one insta snapshot per construct, of a small input and its tree, each input
//! also checked to parse without ERROR or MISSING nodes (the snapshot format is described
//! in `common/mod.rs`); then how line breaks split array items, and a few inputs that
//! must fail.
//!
//! `INSTA_UPDATE=always cargo test -p mtlsguard-grammar-bicep --test syntax_expressions`
//! rewrites the snapshots after a deliberate grammar change; review the diff before
//! committing.

mod common;

use common::{array_items, clean, construct, descendants, named_children, of_kind, parse, rejects};

// ---- spread ----

#[test]
fn spread_in_objects() {
    let tree = construct!(
        "spread_in_objects",
        "var merged = {\n  ...base\n  ...(enabled ? { a: 1 } : {})\n  ...union(a, b)\n  ...x.?y!\n  name: 'n', ...tail\n}\n"
    );
    assert_eq!(of_kind(&tree, "spread_expression").len(), 5);
}

#[test]
fn spread_in_arrays() {
    let tree = construct!(
        "spread_in_arrays",
        "var all = [\n  ...first\n  ...[1, 2]\n  ...(c ? [] : [3])\n  ...union(a, b)\n  4, ...last\n]\n"
    );
    assert_eq!(of_kind(&tree, "spread_expression").len(), 5);
}

// ---- access and operators ----

#[test]
fn safe_access() {
    let tree = construct!(
        "safe_access",
        "var a = x.?b\nvar c = f().?d\nvar e = f()[?0]\nvar g = x[0].?h[?'i']\nvar j = x!.?k\nvar l = x[?'m']!.n\nvar o = parent::child.?p\nvar q = (x).?r\nvar s = x.?t[?0].?u\nvar v = '${x.?w}'\n"
    );
    let safe = descendants(tree.root_node())
        .into_iter()
        .filter(|n| matches!(n.kind(), ".?" | "?"))
        .count();
    assert_eq!(safe, 13);
}

#[test]
fn non_null_assertion() {
    let tree = construct!(
        "non_null_assertion",
        "var a = x!\nvar b = f()!\nvar c = x[0]!.name\nvar d = (x)!\nvar e = !x!\nvar f = x! && !y\nvar g = x!.y!.z\n"
    );
    assert_eq!(of_kind(&tree, "non_null_expression").len(), 8);
}

#[test]
fn coalesce() {
    construct!(
        "coalesce",
        "var a = x.?y ?? 'default'\nvar b = x ?? y ?? z\nvar c = x ?? y || z\nvar d = x ?? y ? 1 : 2\n"
    );
}

#[test]
fn operators_and_precedence() {
    construct!(
        "operators_and_precedence",
        "var a = 1 + 2 * 3 - 4 / 5 % 6\nvar b = !x && y || z == w\nvar c = a != b && c =~ d || e !~ f\nvar d = a < b && c <= d && e > f && g >= h\nvar e = -x.y\nvar f = a ? b : c ? d : e\nvar g = a - -1\nvar h = x-1\n"
    );
}

#[test]
fn index_from_the_end() {
    construct!(
        "index_from_the_end",
        "var last = items[^1]\nvar safeLast = items[?^1]\nvar nested = matrix[0][^2]\n"
    );
}

#[test]
fn lambdas() {
    let tree = construct!(
        "lambdas",
        "var a = map(items, x => x.name)\nvar b = reduce(items, 0, (acc, x) => acc + x)\nvar c = () => 'constant'\nvar d = filter(items, x => x.enabled && contains(x.tags, 'a'))\nvar e = map(items, x => { name: x })\nvar f = sort(items, (a, b) => a < b)\n"
    );
    assert_eq!(of_kind(&tree, "lambda_expression").len(), 6);
}

// ---- strings and comments ----

#[test]
fn strings_and_escapes() {
    let tree = construct!(
        "strings_and_escapes",
        "var a = 'it\\'s'\nvar b = 'a\\\\b\\n\\r\\t\\$\\u{1F600}'\nvar c = 'x${y}z${f('w')}'\nvar d = '$notInterpolated$'\nvar e = ''\nvar f = 'a#b'\nvar g = '\\${notInterpolated}'\n"
    );
    // Every escape is a node of its own, `\$` included.
    assert_eq!(of_kind(&tree, "escape_sequence").len(), 8);
}

#[test]
fn multi_line_strings() {
    construct!(
        "multi_line_strings",
        "var a = '''\nline one\n  it's ''quoted''\n'''\nvar b = ''''a'''''\nvar c = '''one line'''\n"
    );
}

#[test]
fn interpolated_multi_line_strings() {
    let tree = construct!(
        "interpolated_multi_line_strings",
        "var one = $'''\nhello ${name}, $$ and {braces}\n'''\nvar two = $$'''\n${notInterpolated} $${interpolated} $$${afterADollar}\n'''\nvar three = $$$'''$${text}$$${x}'''\nvar nested = $'''outer ${$'''inner ${'x${y}'}'''} end'''\n"
    );
    assert_eq!(of_kind(&tree, "interpolation").len(), 7);
}

#[test]
fn comment_markers_inside_strings() {
    let tree = construct!(
        "comment_markers_inside_strings",
        "var a = '//'\nvar b = '/*'\nvar c = 'https://example.com/*' // a real comment\nvar d = '${'//'}/*'\nvar e = '''\n// not a comment\n/* nor this */\n'''\n/* a block\n   comment */\n"
    );
    assert_eq!(of_kind(&tree, "comment").len(), 2);
}

#[test]
fn comments() {
    let tree = construct!(
        "comments",
        "// a path ending in a backslash: C:\\\nvar a = 1 // trailing\n/* block */ var b = [\n  1 // after an item\n  /* before an item */ 2\n]\n#disable-next-line no-unused-vars\nvar c = 3\n"
    );
    // The backslash does not carry the comment over the line break.
    assert_eq!(of_kind(&tree, "variable_declaration").len(), 3);
}

#[test]
fn property_names_that_are_keywords() {
    construct!(
        "property_names_that_are_keywords",
        "var a = {\n  if: 1\n  for: 2\n  resource: 3\n  type: 4\n  param: 5\n  existing: 6\n  'quoted key': 7\n}\nvar b = a.if.resource.type\n"
    );
}

// ---- line breaks ----

#[test]
fn a_subscript_must_touch_its_operand() {
    construct!(
        "a_subscript_must_touch_its_operand",
        "var two = [\n  a\n  [1]\n]\nvar one = [\n  a[1]\n]\n"
    );
    assert_eq!(array_items("var x = [\n  a\n  [1]\n]\n"), ["a", "[1]"]);
    assert_eq!(array_items("var x = [\n  a[1]\n]\n"), ["a[1]"]);
}

#[test]
fn a_line_break_ends_an_item_before_a_minus_or_a_parenthesis() {
    construct!(
        "a_line_break_ends_an_item",
        "var items = [\n  i * 3\n  (i * 3) + 1\n  -1\n  x - 1\n  y -1\n]\n"
    );
    assert_eq!(
        array_items("var x = [\n  i * 3\n  (i * 3) + 1\n]\n"),
        ["i * 3", "(i * 3) + 1"]
    );
    assert_eq!(array_items("var x = [\n  a\n  -1\n]\n"), ["a", "-1"]);
    assert_eq!(array_items("var x = [\n  f\n  (1)\n]\n"), ["f", "(1)"]);
    // On one line, they continue the item.
    assert_eq!(array_items("var x = [a-1]\n"), ["a-1"]);
    assert_eq!(array_items("var x = [a -1]\n"), ["a -1"]);
    assert_eq!(array_items("var x = [f (1)]\n"), ["f (1)"]);
    assert_eq!(array_items("var x = [a*b]\n"), ["a*b"]);
}

#[test]
fn arguments_split_only_at_commas() {
    let source = "var x = substring(s, 0, length(s)-1)\n";
    let tree = clean(source);
    let call = of_kind(&tree, "call_expression")[0];
    let arguments = named_children(call.child_by_field_name("arguments").unwrap());
    let texts: Vec<_> = arguments.iter().map(|n| &source[n.byte_range()]).collect();
    assert_eq!(texts, ["s", "0", "length(s)-1"]);
    let tree = clean("var y = f(a*b, c -1)\n");
    let call = of_kind(&tree, "call_expression")[0];
    assert_eq!(
        named_children(call.child_by_field_name("arguments").unwrap()).len(),
        2
    );
}

#[test]
fn a_call_may_stand_apart_from_its_function_on_one_line() {
    let tree = clean("var x = replace (name, 'a', 'b')\n");
    assert_eq!(of_kind(&tree, "call_expression").len(), 1);
}

#[test]
fn a_multi_line_ternary_is_one_expression() {
    let tree = clean("var x = cond\n  ? 'a'\n  : 'b'\n");
    assert_eq!(of_kind(&tree, "ternary_expression").len(), 1);
}

// ---- what must fail ----

#[test]
fn clearly_invalid_text_has_errors() {
    for source in [
        "var x = (\n",
        "param\n",
        "var x = [\n  1\n",
        "var x = {\n  a: 1\n",
        "resource r 'T@2023-01-01' = \n",
        "type t = string |\n",
        "import {a} 'x.bicep'\n",
        "var x = 1 +\n",
        "output o string\n",
        "func f() string =>\n",
        "module <name> 'x.bicep' = {}\n",
        "wrong\n",
        "var x = a b\n",
        "using\n",
    ] {
        rejects(source);
    }
}

#[test]
fn an_unterminated_string_is_an_error() {
    rejects("var x = 'abc\n");
    rejects("var x = '${a'\n");
    // The missing end of a multi-line string is a hidden token: a tree cursor skips it,
    // `has_error` sees it.
    let tree = parse("var x = '''\nabc\n");
    assert!(tree.root_node().has_error());
    assert!(tree.root_node().to_sexp().contains("MISSING"));
    rejects("var x = $'''${a'''\n");
}

#[test]
fn a_line_break_before_a_binary_operator_is_an_error() {
    rejects("var x = a\n  - 1\n");
    rejects("var x = f\n  (1)\n");
}
