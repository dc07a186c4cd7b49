//! (e) The evaluator on hostile expressions: arbitrary bytes as a Bicep expression and
//! as an ARM `[...]` expression, placed where values decide (a gate, a deciding property,
//! a whole `properties`, a spread, a loop source, a condition) and reached through
//! vars that refer to each other, so deep nesting, huge values and self-references
//! all meet every path of evaluation.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use mtlsguard_analyzer::Language;

fuzz_target!(|data: &[u8]| {
    let expr = common::text_of(data);
    let bicep = format!(
        "param p object = {{}}\nvar a = {expr}\nvar b = [a, a, b]\nvar c = union(a, {{ x: a }})\n\
         resource s 'Microsoft.Web/sites@2024-04-01' = [for (e, i) in (a ?? []): if (a) {{\n  name: 's'\n  properties: {{\n    publicNetworkAccess: a\n    clientCertEnabled: c.x\n    clientCertMode: e\n    ...a\n  }}\n}}]\n\
         resource t 'Microsoft.Web/sites@2024-04-01' = {{\n  name: 't'\n  properties: c\n}}\n"
    );
    common::exercise(Language::Bicep, &bicep);
    let quoted = expr.replace('\\', "\\\\").replace('"', "\\\"");
    let json = format!(
        "{{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\
         \"variables\": {{\"a\": \"[{quoted}]\", \"b\": \"[union(variables('a'), variables('b'))]\"}},\
         \"resources\": [{{\"condition\": \"[variables('a')]\", \"type\": \"Microsoft.Web/sites\", \"apiVersion\": \"2022-03-01\", \"name\": \"s\",\
         \"properties\": \"[union(variables('a'), variables('b'))]\"}},\
         {{\"type\": \"Microsoft.Web/sites\", \"apiVersion\": \"2022-03-01\", \"name\": \"t\",\
         \"properties\": {{\"publicNetworkAccess\": \"[variables('a')]\", \"clientCertMode\": \"[{quoted}]\"}}}}]}}"
    );
    common::exercise(Language::Json, &json);
});
