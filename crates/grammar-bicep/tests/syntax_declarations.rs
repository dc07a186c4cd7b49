//! Declarations, construct by construct: types, statements, decorators, resources and
//! modules; one insta snapshot per construct, of a small input and its tree, each input
//! also checked to parse without ERROR or MISSING nodes (the snapshot format is described
//! in `common/mod.rs`).
//!
//! `INSTA_UPDATE=always cargo test -p mtlsguard-grammar-bicep --test syntax_declarations`
//! rewrites the snapshots after a deliberate grammar change; review the diff before
//! committing.

mod common;

use common::{clean, construct, of_kind};

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
