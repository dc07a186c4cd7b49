//! The grammar, construct by construct: one insta snapshot per construct, of a small
//! input and its tree, each input also checked to parse without ERROR or MISSING nodes;
//! then how line breaks split array items, and a few inputs that must fail.
//!
//! A snapshot holds the input, a `---` line, then the tree: one node a line, indented by
//! depth, `field: kind` for named nodes with the text of those that have no named child,
//! and anonymous tokens in quotes (brackets, braces, parentheses, commas, colons, `=` and
//! string quotes left out: they only repeat what the shape says).
//!
//! `INSTA_UPDATE=always cargo test -p mtlsguard-grammar-bicep --test syntax` rewrites
//! the snapshots after a deliberate grammar change; review the diff before committing.

use std::fmt::Write;

use tree_sitter::{Node, Parser, Tree, TreeCursor};

fn parse(source: &str) -> Tree {
    let mut parser = Parser::new();
    parser
        .set_language(&mtlsguard_grammar_bicep::LANGUAGE.into())
        .unwrap();
    parser.parse(source, None).unwrap()
}

/// Tokens that the snapshots leave out.
const PUNCTUATION: &[&str] = &["{", "}", "[", "]", "(", ")", ",", ":", "=", "'"];

fn render(source: &str, tree: &Tree) -> String {
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
fn problem(tree: &Tree) -> Option<String> {
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
fn clean(source: &str) -> Tree {
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
        let source: &str = $source;
        let tree = clean(source);
        insta::assert_snapshot!($name, render(source, &tree));
        tree
    }};
}

#[track_caller]
fn rejects(source: &str) {
    let tree = parse(source);
    assert!(
        problem(&tree).is_some(),
        "expected an ERROR or MISSING node in\n{source}\n{}",
        render(source, &tree)
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

fn named_children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

/// The items of the outermost array of `source`, as text.
fn array_items(source: &str) -> Vec<String> {
    let tree = clean(source);
    // Breadth first: the outermost array comes first.
    let array = of_kind(&tree, "array")[0];
    named_children(array)
        .into_iter()
        .filter(|n| n.kind() != "comment")
        .map(|n| source[n.byte_range()].to_string())
        .collect()
}

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

// ---- types ----

#[test]
fn resource_derived_types() {
    construct!(
        "resource_derived_types",
        "type a = resourceInput<'Microsoft.Web/sites@2023-01-01'>.properties.siteConfig\ntype b = resourceOutput<'Microsoft.Web/sites@2023-01-01'>\ntype c = sys.resourceInput<'Microsoft.Web/sites@2023-01-01'>.properties\nparam d resource<'Microsoft.Storage/storageAccounts@2023-01-01'>\nparam e resourceInput<'Microsoft.Web/sites@2023-01-01'>.properties.siteConfig?\n"
    );
}

#[test]
fn union_types() {
    let tree = construct!(
        "union_types",
        "type a = 'a' | 'b' | 'c'\ntype b =\n  | 'x'\n  | 'y'\ntype c = | 'only'\nparam d 'on' | 'off' = 'on'\n"
    );
    assert_eq!(of_kind(&tree, "union_type").len(), 4);
}

#[test]
fn literal_types() {
    construct!(
        "literal_types",
        "type a = -1 | 0 | 1\ntype b = !true\ntype c = true | false | null\ntype d = 'text'\n"
    );
}

#[test]
fn nullable_non_null_and_array_types() {
    construct!(
        "nullable_non_null_and_array_types",
        "type a = string?\ntype b = a!\ntype c = string[]\ntype d = string[]?\ntype e = int?[]\ntype f = (string | int)[]\nparam g object?\n"
    );
}

#[test]
fn tuple_types() {
    construct!(
        "tuple_types",
        "type a = [string, int?]\ntype b = [\n  @description('first')\n  string\n  @minValue(0)\n  int\n  'a' | 'b'\n]\n"
    );
}

#[test]
fn object_types() {
    construct!(
        "object_types",
        "type a = {\n  @description('the name')\n  @minLength(1)\n  name: string\n  'quoted-key': int?\n  nested: {\n    *: string\n  }\n  *: bool\n}\n"
    );
}

#[test]
fn type_member_and_index_access() {
    construct!(
        "type_member_and_index_access",
        "type a = b[*]\ntype c = d.*\ntype e = f[0]\ntype g = h.property\ntype i = ns.shared\ntype j = resourceInput<'T@2023-01-01'>.properties.rules[*].name\n"
    );
}

#[test]
fn parenthesized_types() {
    construct!(
        "parenthesized_types",
        "type a = (string)\ntype b = ('a' | 'b')?\ntype c = ((int))[]\n"
    );
}

#[test]
fn typed_variables() {
    construct!(
        "typed_variables",
        "var a string = 'x'\nvar b int[] = [1]\nvar c resourceInput<'Microsoft.Web/sites@2023-01-01'>.properties = {}\nvar d myType? = null\n"
    );
}

// ---- statements ----

#[test]
fn extensions() {
    let tree = construct!(
        "extensions",
        "extension az\nextension kubernetes with {\n  namespace: 'default'\n  kubeConfig: kubeConfig\n} as k8s\nextension 'br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:0.1.8-preview' as graph\n"
    );
    assert_eq!(of_kind(&tree, "extension_statement").len(), 3);
}

#[test]
fn imports() {
    let source = "import {a, b as c} from 'x.bicep'\n";
    let tree = clean(source);
    let names: Vec<_> = of_kind(&tree, "identifier")
        .into_iter()
        .map(|n| &source[n.byte_range()])
        .collect();
    // `as` is the keyword between a name and its alias, not a third name.
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(of_kind(&tree, "as").len(), 1);
    construct!(
        "imports",
        "import {a, b as c} from 'shared.bicep'\nimport {\n  d\n  'e-f' as g,\n  h as i\n} from 'br/public:avm/utl/types/avm-common-types:0.5.1'\nimport * as ns from 'types.bicep'\nimport 'az@1.0.0'\nimport 'kubernetes@1.0.0' with {\n  namespace: 'default'\n} as k8s\nprovider 'microsoftGraph@1.0.0'\n"
    );
}

#[test]
fn exports() {
    construct!(
        "exports",
        "@export()\ntype t = string\n@export()\nvar v = 1\n@export()\n@description('adds')\nfunc add(a int, b int) int => a + b\n@sys.export()\ntype u = int\n"
    );
}

#[test]
fn functions() {
    construct!(
        "functions",
        "func add(a int, b int) int => a + b\nfunc noArgs() string => 'x'\nfunc names(xs object[]) string[] => map(xs, x => x.name)\nfunc maybe(x string?) string => x ?? ''\n"
    );
}

#[test]
fn asserts() {
    construct!(
        "asserts",
        "assert hasName = length(name) > 0\nassert inRange = count >= 1 && count <= 10\n"
    );
}

#[test]
fn test_blocks() {
    construct!(
        "test_blocks",
        "test defaults 'main.bicep' = {\n  params: {\n    name: 'x'\n  }\n}\n"
    );
}

#[test]
fn target_scope() {
    construct!("target_scope", "targetScope = 'subscription'\n");
}

#[test]
fn metadata() {
    construct!(
        "metadata",
        "metadata description = 'A module'\nmetadata owner = {\n  team: 'infra'\n}\n"
    );
}

#[test]
fn parameters() {
    construct!(
        "parameters",
        "param a string\nparam b int = -1\n@secure()\nparam c string = ''\nparam d bool = !false\nparam e object = {}\nparam f array = []\n"
    );
}

#[test]
fn outputs() {
    construct!(
        "outputs",
        "output a string = r.name\noutput b resource 'Microsoft.Web/sites@2023-01-01' = site\noutput c object? = null\noutput d array = [for x in xs: x.id]\n"
    );
}

// ---- decorators ----

#[test]
fn decorators() {
    let tree = construct!(
        "decorators",
        r#"@sys.description('a param')
@minValue(1)
param p int

@description('a resource')
@batchSize(2)
resource r 'Microsoft.Storage/storageAccounts@2023-01-01' = [for i in range(0, 2): {
  name: 'r${i}'
}]

@description('a module')
module m 'mod.bicep' = {
  name: 'm'
  params: {
    @description('an object property')
    a: 1
    list: [
      @description('an array item')
      'x'
      'y'
    ]
  }
}

@description('an output')
output o string = m.outputs.name

@metadata({
  kind: 'sample'
})
@allowed([
  'a'
  'b'
])
param q string

type t = [
  @description('a tuple item')
  string
]
"#
    );
    assert_eq!(of_kind(&tree, "decorator").len(), 11);
}

// ---- resources and modules ----

#[test]
fn resources() {
    construct!(
        "resources",
        r#"resource account 'Microsoft.Storage/storageAccounts@2023-01-01' existing = {
  name: 'st'
  resource blobs 'blobServices' existing = {
    name: 'default'
    resource container 'containers' = {
      name: 'c'
    }
  }
}

resource share 'Microsoft.Storage/storageAccounts/fileServices@2023-01-01' = {
  parent: account
  name: 'default'
  properties: {
    type: 'x'
    if: 1
    resource: 2
  }
}

resource optional 'Microsoft.Web/sites@2023-01-01' = if (deploy) {
  name: 'site'
}

var id = account::blobs::container.id
"#
    );
}

#[test]
fn modules() {
    construct!(
        "modules",
        "module a 'a.bicep' = {\n  name: 'a'\n  scope: resourceGroup('rg')\n}\nmodule b 'br/public:avm/res/web/site:0.1.0' = if (deploy) {\n  params: {}\n}\n"
    );
}

#[test]
fn for_loops() {
    let tree = construct!(
        "for_loops",
        r#"var a = [for x in items: x.name]
var b = [for (x, i) in items: {
  name: x
  index: i
}]
var c = [for x in items: if (x.enabled) {
  name: x
}]
resource r 'Microsoft.Network/virtualNetworks@2023-01-01' = [for (vnet, i) in vnets: if (vnet.deploy) {
  name: vnet.name
}]
module m 'm.bicep' = [for x in range(0, 3): {
  name: 'm${x}'
}]
output names array = [for x in items: [for y in x.children: y]]
"#
    );
    assert_eq!(of_kind(&tree, "for_statement").len(), 7);
    for loop_node in of_kind(&tree, "for_statement") {
        assert!(loop_node.child_by_field_name("body").is_some());
    }
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

// ---- .bicepparam ----

#[test]
fn bicepparam_using() {
    construct!("bicepparam_using", "using 'main.bicep'\nparam name = 'x'\n");
}

#[test]
fn bicepparam_using_none() {
    construct!("bicepparam_using_none", "using none\nparam name = 'x'\n");
}

#[test]
fn bicepparam_using_with() {
    construct!(
        "bicepparam_using_with",
        "using 'main.bicep' with {\n  mode: 'stack'\n  actionOnUnmanage: {\n    resources: 'delete'\n  }\n}\n"
    );
}

#[test]
fn bicepparam_extends() {
    construct!(
        "bicepparam_extends",
        "using 'main.bicep'\nextends 'base.bicepparam'\nparam name = 'override'\n"
    );
}

#[test]
fn bicepparam_params_and_vars() {
    construct!(
        "bicepparam_params_and_vars",
        r#"using 'main.bicep'
var prefix = 'app'
param name = '${prefix}-web'
param count = 3
param enabled = !false
param tags = {
  env: 'prod'
}
param zones = [1, 2, 3]
param secret = az.getSecret('sub', 'rg', 'kv', 'name')
param fromEnv = readEnvironmentVariable('NAME', 'default')
param multi = '''
text
'''
"#
    );
}

#[test]
fn bicepparam_imports() {
    construct!(
        "bicepparam_imports",
        "using 'main.bicep'\nimport {settings, regions as r} from 'shared.bicep'\nimport * as types from 'types.bicep'\nparam region = r[0]\n"
    );
}

#[test]
fn bicepparam_extension_config() {
    construct!(
        "bicepparam_extension_config",
        "using 'main.bicep'\nextensionConfig k8s with {\n  namespace: 'default'\n  kubeConfig: 'x'\n}\n"
    );
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
