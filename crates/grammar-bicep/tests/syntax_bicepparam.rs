//! `.bicepparam`, construct by construct: one insta snapshot per construct, of a small
//! input and its tree, each input also checked to parse without ERROR or MISSING nodes
//! (the snapshot format is described in `common/mod.rs`).
//!
//! `INSTA_UPDATE=always cargo test -p mtlsguard-grammar-bicep --test syntax_bicepparam`
//! rewrites the snapshots after a deliberate grammar change; review the diff before
//! committing.

mod common;

use common::construct;

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
