//! Calls of other templates and outputs, as lowering finds them in both languages.

use super::*;
use crate::model::{Call, CallKind, SUPPLIED};
use crate::syntax::parse;

fn lower_text(language: Language, text: &str) -> Model {
    let tree = parse(language, text, None)
        .into_tree()
        .expect("parsed in time");
    lower(&Document::new(language, text, &tree))
}

fn bicep(text: &str) -> Model {
    lower_text(Language::Bicep, text)
}

fn json(text: &str) -> Model {
    lower_text(Language::Json, text)
}

fn only_call(model: &Model) -> &Call {
    assert_eq!(model.calls.len(), 1, "{:#?}", model.calls);
    &model.calls[0]
}

/// The params' keys, each with the text of its property.
fn params<'t>(text: &'t str, call: &Call) -> Vec<(String, &'t str)> {
    call.params
        .as_ref()
        .expect("params as an object")
        .props
        .iter()
        .map(|p| (p.key.clone(), &text[p.range.clone()]))
        .collect()
}

#[test]
fn a_module_calls_its_path_with_its_params() {
    let text = "param n string\nmodule site './site.bicep' = {\n  name: 'site'\n  params: {\n    mode: 'Optional'\n    name: n\n  }\n}\n";
    let model = bicep(text);
    let call = only_call(&model);
    assert_eq!(call.kind, CallKind::Module);
    assert_eq!(call.target.as_deref(), Some("./site.bicep"));
    assert_eq!(&text[call.target_range.clone()], "'./site.bicep'");
    assert_eq!(
        params(text, call),
        [
            ("mode".into(), "mode: 'Optional'"),
            ("name".into(), "name: n"),
        ]
    );
    let mode = &call.params.as_ref().unwrap().props[0].value;
    assert_eq!(mode.kind, ValueKind::Str("Optional".into()));
    assert!(call.params_value.is_none() && call.condition.is_none() && call.each.is_none());
    assert_eq!(call.name.as_deref(), Some("site"));
    assert_eq!(call.scope, 0);
    assert_eq!(&text[call.decl_start..call.decl_start + 11], "module site");
    assert_eq!(model.scopes[0].modules, ["site"]);
    // The module's params are not the file's.
    assert_eq!(model.scopes[0].params.len(), 1);
}

#[test]
fn a_module_body_is_lowered_whatever_it_calls() {
    let text = "module m 'br/public:avm/res/web/site:0.3.0' = {\n  params: {\n    spread: { ...base, a: 1 }\n    ...extra\n  }\n}\n";
    let model = bicep(text);
    let call = only_call(&model);
    assert_eq!(
        call.target.as_deref(),
        Some("br/public:avm/res/web/site:0.3.0")
    );
    let params = call.params.as_ref().unwrap();
    assert_eq!(params.props.len(), 1);
    assert_eq!(params.spreads.len(), 1);
    assert_eq!(&text[params.spreads[0].range.clone()], "...extra");
}

#[test]
fn a_module_without_params_sets_none() {
    let text = "module m 'm.bicep' = {\n  name: 'm'\n}\n";
    let model = bicep(text);
    let call = only_call(&model);
    assert!(call.params.is_none());
    assert!(call.params_value.is_none());
}

#[test]
fn module_params_written_as_an_expression_are_a_value() {
    let text = "module m 'm.bicep' = {\n  params: union(base, { mode: 'Required' })\n}\n";
    let model = bicep(text);
    let call = only_call(&model);
    assert!(call.params.is_none());
    let value = call.params_value.as_ref().expect("params as a value");
    assert_eq!(
        &text[value.range.clone()],
        "union(base, { mode: 'Required' })"
    );
    assert!(matches!(&value.kind, ValueKind::Call { name, .. } if name == "union"));
}

#[test]
fn an_interpolated_module_path_names_no_target() {
    let text = "param env string\nmodule m './${env}/m.bicep' = {\n  params: {}\n}\n";
    let model = bicep(text);
    let call = only_call(&model);
    assert!(call.target.is_none());
    assert_eq!(&text[call.target_range.clone()], "'./${env}/m.bicep'");
    assert_eq!(params(text, call), []);
}

#[test]
fn module_conditions_and_loops_are_kept() {
    let text = "param deploy bool\nparam names array\n\
        module a 'a.bicep' = if (deploy) {\n  params: { x: 1 }\n}\n\
        module b 'b.bicep' = [for (n, i) in names: {\n  params: { name: n }\n}]\n\
        module c 'c.bicep' = [for n in names: if (n != 'x') {\n  params: { name: n }\n}]\n";
    let model = bicep(text);
    assert_eq!(model.calls.len(), 3);
    let [a, b, c] = &model.calls[..] else {
        unreachable!()
    };
    assert_eq!(&text[a.condition.as_ref().unwrap().range.clone()], "deploy");
    assert!(a.each.is_none());
    assert_eq!(params(text, a), [("x".into(), "x: 1")]);
    let each = b.each.as_ref().expect("a loop");
    assert_eq!(each.item.as_deref(), Some("n"));
    assert_eq!(each.index.as_deref(), Some("i"));
    assert_eq!(&text[each.source.range.clone()], "names");
    assert!(b.condition.is_none());
    assert_eq!(params(text, b), [("name".into(), "name: n")]);
    assert_eq!(c.each.as_ref().unwrap().item.as_deref(), Some("n"));
    assert_eq!(
        &text[c.condition.as_ref().unwrap().range.clone()],
        "n != 'x'"
    );
    assert_eq!(model.scopes[0].modules, ["a", "b", "c"]);
}

#[test]
fn a_broken_line_does_not_lose_the_module_after_it() {
    let text = "var x = {\n\nmodule m 'm.bicep' = {\n  params: {\n    a: 1\n  }\n}\n";
    let model = bicep(text);
    let call = only_call(&model);
    assert_eq!(call.target.as_deref(), Some("m.bicep"));
    assert_eq!(params(text, call), [("a".into(), "a: 1")]);
}

#[test]
fn bicep_outputs_are_definitions() {
    let text = "resource site 'Microsoft.Web/sites@2023-01-01' existing = {\n  name: 'x'\n}\n\
        output mode string = 'Required'\n\
        output s resource 'Microsoft.Web/sites@2023-01-01' = site\n\
        output o object? = null\n";
    let model = bicep(text);
    let outputs = &model.scopes[0].outputs;
    let names: Vec<&str> = outputs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["mode", "s", "o"]);
    let (_, mode) = &outputs[0];
    assert_eq!(mode.what, "output");
    assert_eq!(&text[mode.name_range.clone()], "mode");
    assert_eq!(mode.value.kind, ValueKind::Str("Required".into()));
    assert_eq!(mode.scope, 0);
    assert_eq!(
        outputs[1].1.value.kind,
        ValueKind::Ref(SymbolRef::Ident("site".into()))
    );
    assert_eq!(outputs[2].1.value.kind, ValueKind::Null);
    assert!(model.calls.is_empty());
}

#[test]
fn a_bicepparam_file_calls_its_template_with_its_param_lines() {
    let text = "using './main.bicep'\n\nvar prefix = 'app'\nparam name = '${prefix}-web'\nparam mode = 'Optional'\n";
    let model = bicep(text);
    let call = only_call(&model);
    assert_eq!(call.kind, CallKind::Using);
    assert_eq!(call.target.as_deref(), Some("./main.bicep"));
    assert_eq!(&text[call.target_range.clone()], "using './main.bicep'");
    assert_eq!(call.decl_start, 0);
    assert_eq!(
        params(text, call),
        [
            ("name".into(), "param name = '${prefix}-web'"),
            ("mode".into(), "param mode = 'Optional'"),
        ]
    );
    let props = &call.params.as_ref().unwrap().props;
    assert_eq!(&text[props[0].key_range.clone()], "name");
    assert!(matches!(props[0].value.kind, ValueKind::Interpolation(_)));
    assert_eq!(props[1].value.kind, ValueKind::Str("Optional".into()));
    assert!(call.condition.is_none() && call.each.is_none() && call.name.is_none());
    // Assignments declare nothing; the vars they read resolve in scope 0.
    assert!(model.scopes[0].params.is_empty());
    let prefix = model.lookup(0, &SymbolRef::Ident("prefix".into()));
    assert_eq!(prefix.unwrap().value.kind, ValueKind::Str("app".into()));
}

#[test]
fn a_bicepparam_file_with_extends_and_with() {
    let text =
        "using 'main.bicep' with {\n  mode: 'stack'\n}\nextends 'base.bicepparam'\nparam a = 1\n";
    let model = bicep(text);
    let call = only_call(&model);
    assert_eq!(call.target.as_deref(), Some("main.bicep"));
    assert_eq!(
        &text[call.target_range.clone()],
        "using 'main.bicep' with {\n  mode: 'stack'\n}"
    );
    assert_eq!(params(text, call), [("a".into(), "param a = 1")]);
}

#[test]
fn using_none_calls_nothing() {
    let model = bicep("using none\nparam name = 'x'\n");
    assert!(model.calls.is_empty());
    assert!(model.scopes[0].params.is_empty());
}

#[test]
fn a_broken_bicepparam_line_keeps_the_others() {
    let text = "using 'main.bicep'\nparam a =\nparam b = 'x'\n";
    let model = bicep(text);
    let call = only_call(&model);
    let keys: Vec<String> = params(text, call).into_iter().map(|(k, _)| k).collect();
    assert!(keys.contains(&"b".to_owned()), "{keys:?}");
    assert!(model.scopes[0].params.is_empty());
}

const PARAMETERS: &str = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "mode": { "value": "Optional" },
    "expr": { "value": "[concat('a', 'b')]" },
    "secret": {
      "reference": { "keyVault": { "id": "/x" }, "secretName": "s" }
    },
    "nothing": { "metadata": {} }
  }
}"#;

#[test]
fn a_parameters_file_is_one_call_of_its_entries() {
    assert!(crate::is_arm_parameters(PARAMETERS));
    assert!(!crate::is_arm_template(PARAMETERS));
    let model = json(PARAMETERS);
    assert!(model.resources.is_empty());
    let call = only_call(&model);
    assert_eq!(call.kind, CallKind::ParametersFile);
    assert!(call.target.is_none());
    assert_eq!(&PARAMETERS[call.target_range.clone()], "\"parameters\"");
    assert_eq!(call.scope, 0);
    assert!(call.params_value.is_none() && call.condition.is_none() && call.each.is_none());
    assert_eq!(
        params(PARAMETERS, call),
        [
            ("mode".into(), r#""mode": { "value": "Optional" }"#),
            (
                "expr".into(),
                r#""expr": { "value": "[concat('a', 'b')]" }"#
            ),
            (
                "secret".into(),
                "\"secret\": {\n      \"reference\": { \"keyVault\": { \"id\": \"/x\" }, \"secretName\": \"s\" }\n    }"
            ),
        ]
    );
    let props = &call.params.as_ref().unwrap().props;
    assert_eq!(&PARAMETERS[props[0].key_range.clone()], "\"mode\"");
    assert_eq!(props[0].value.kind, ValueKind::Str("Optional".into()));
    assert!(matches!(&props[1].value.kind, ValueKind::Call { name, .. } if name == "concat"));
    assert_eq!(props[2].value.kind, ValueKind::Expr(SUPPLIED));
    assert_eq!(props[2].value.range, props[2].range);
    // Its entries are not a template's parameters.
    assert!(model.scopes[0].params.is_empty());
}

#[test]
fn a_template_is_no_parameters_file() {
    let text = r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "parameters": {"p": {"type": "string", "defaultValue": "x"}}, "resources": []}"#;
    let model = json(text);
    assert!(model.calls.is_empty());
    assert_eq!(model.scopes[0].params.len(), 1);
}

#[test]
fn arm_outputs_are_definitions_of_their_template() {
    let text = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "parameters": { "p": { "type": "string", "defaultValue": "Required" } },
  "resources": [],
  "outputs": {
    "mode": { "type": "string", "value": "[parameters('p')]" },
    "fixed": { "type": "string", "value": "x" }
  }
}"#;
    let model = json(text);
    let outputs = &model.scopes[0].outputs;
    let names: Vec<&str> = outputs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["mode", "fixed"]);
    let (_, mode) = &outputs[0];
    assert_eq!(mode.what, "output");
    assert_eq!(&text[mode.name_range.clone()], "\"mode\"");
    assert_eq!(&text[mode.value.range.clone()], "\"[parameters('p')]\"");
    assert_eq!(
        mode.value.kind,
        ValueKind::Ref(SymbolRef::Param("p".into()))
    );
    assert_eq!(outputs[1].1.value.kind, ValueKind::Str("x".into()));
}

const LINKED: &str = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "parameters": { "mode": { "type": "string" }, "n": { "type": "int" } },
  "resources": [
    {
      "type": "Microsoft.Resources/deployments",
      "apiVersion": "2022-09-01",
      "name": "site",
      "condition": "[not(empty(parameters('mode')))]",
      "copy": { "name": "sites", "count": "[parameters('n')]" },
      "properties": {
        "mode": "Incremental",
        "templateLink": { "relativePath": "nested/site.json" },
        "parameters": {
          "mode": { "value": "[parameters('mode')]" },
          "secret": { "reference": { "keyVault": { "id": "/x" }, "secretName": "s" } }
        }
      }
    },
    {
      "type": "Microsoft.Resources/deployments",
      "apiVersion": "2022-09-01",
      "name": "remote",
      "properties": {
        "templateLink": { "relativePath": "[variables('path')]" }
      }
    }
  ]
}"#;

#[test]
fn a_linked_deployment_calls_its_relative_path() {
    let model = json(LINKED);
    let call = only_call(&model);
    assert_eq!(call.kind, CallKind::Deployment);
    assert_eq!(call.target.as_deref(), Some("nested/site.json"));
    assert_eq!(&LINKED[call.target_range.clone()], "\"nested/site.json\"");
    assert_eq!(call.scope, 0);
    assert!(call.name.is_none() && call.params_value.is_none());
    assert_eq!(
        &LINKED[call.condition.as_ref().unwrap().range.clone()],
        "\"[not(empty(parameters('mode')))]\""
    );
    let each = call.each.as_ref().expect("the copy loop");
    assert_eq!(each.name.as_deref(), Some("sites"));
    assert_eq!(&LINKED[each.source.range.clone()], "\"[parameters('n')]\"");
    assert_eq!(
        params(LINKED, call),
        [
            (
                "mode".into(),
                r#""mode": { "value": "[parameters('mode')]" }"#
            ),
            (
                "secret".into(),
                r#""secret": { "reference": { "keyVault": { "id": "/x" }, "secretName": "s" } }"#
            ),
        ]
    );
    let props = &call.params.as_ref().unwrap().props;
    assert_eq!(
        props[0].value.kind,
        ValueKind::Ref(SymbolRef::Param("mode".into()))
    );
    assert_eq!(props[1].value.kind, ValueKind::Expr(SUPPLIED));
    assert_eq!(&LINKED[call.decl_start..call.decl_start + 1], "{");
}

#[test]
fn a_linked_deployment_inside_a_nested_template_is_in_its_scope() {
    let text = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "resources": [{
    "type": "Microsoft.Resources/deployments",
    "name": "outer",
    "properties": {
      "expressionEvaluationOptions": { "scope": "inner" },
      "template": {
        "resources": [{
          "type": "Microsoft.Resources/deployments",
          "name": "linked",
          "properties": {
            "templateLink": { "relativePath": "a.json" },
            "parametersLink": { "uri": "https://x/a.parameters.json" }
          }
        }]
      }
    }
  }]
}"#;
    let model = json(text);
    let call = only_call(&model);
    assert_eq!(call.target.as_deref(), Some("a.json"));
    assert_eq!(call.scope, 1);
    assert!(call.params.is_none());
    let value = call.params_value.as_ref().expect("parameters from a link");
    assert_eq!(value.kind, ValueKind::Expr(SUPPLIED));
    assert!(call.condition.is_none() && call.each.is_none());
}

#[test]
fn a_broken_using_line_still_makes_a_bicepparam_file() {
    let text = "using 'main.bicep\nparam b = 'x'\n";
    let model = bicep(text);
    assert!(model.scopes[0].params.is_empty(), "{:#?}", model.scopes[0]);
    // The path did not parse: a call of a template that cannot be named.
    let call = only_call(&model);
    assert!(call.target.is_none());
    assert_eq!(params(text, call), [("b".into(), "param b = 'x'")]);
}

#[test]
fn a_broken_template_is_no_bicepparam_file() {
    let text = "usingX ~ ]]\nparam p string = 'x'\n";
    let model = bicep(text);
    assert!(model.calls.is_empty());
    assert_eq!(model.scopes[0].params.len(), 1, "{:#?}", model.scopes[0]);
}
