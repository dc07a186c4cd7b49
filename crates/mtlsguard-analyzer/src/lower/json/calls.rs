//! ARM calls of other templates (parameters files, linked deployments) and what callers
//! read back (`outputs`).

use super::*;
use crate::model::{Call, CallKind, SUPPLIED};

/// The root object `obj` is a parameters file's: its `$schema` says so.
pub(super) fn is_parameters_file(doc: &Document<'_>, obj: Node<'_>) -> bool {
    member(doc, obj, "$schema")
        .and_then(|n| string(doc, n))
        .is_some_and(|s| crate::syntax::is_parameters_schema(&s))
}

/// A parameters file: one call, of a template it does not name (it is bound to it by
/// file name or by a deployment's link), setting its entries.
pub(super) fn parameters_file(doc: &Document<'_>, obj: Node<'_>, model: &mut Model) {
    let scope = model.scopes.len();
    model.scopes.push(Symbols::default());
    let given = member(doc, obj, "parameters");
    // Without `parameters`, a finding decided by a default still needs a place in this
    // file: the `$schema` that makes it a parameters file.
    let at = given
        .or_else(|| member(doc, obj, "$schema"))
        .and_then(|v| v.parent())
        .and_then(|pair| pair.child_by_field_name("key"))
        .map_or(obj.byte_range(), |k| k.byte_range());
    let (params, params_value) = match given {
        Some(p) if p.kind() == "object" => (Some(entries(doc, p, 1)), None),
        Some(p) => (None, Some(lower_value(doc, p, 1))),
        None => (Some(empty(obj)), None),
    };
    model.calls.push(Call {
        kind: CallKind::ParametersFile,
        target: None,
        target_range: at,
        params,
        params_value,
        scope,
        condition: None,
        each: None,
        decl_start: obj.start_byte(),
        name: None,
    });
}

fn empty(node: Node<'_>) -> Object {
    Object {
        range: node.byte_range(),
        props: Vec::new(),
        spreads: Vec::new(),
        incomplete: false,
    }
}

/// Parameter entries `{ "name": { "value": x } }` (a parameters file's, a deployment's)
/// as properties named by the entry, each the whole entry, valued by its `value`.
fn entries(doc: &Document<'_>, obj: Node<'_>, depth: usize) -> Object {
    let mut props = Vec::new();
    if depth <= MAX_DEPTH {
        each_member(doc, obj, |pair, k, key, v| {
            if v.kind() != "object" {
                return;
            }
            let range = pair.start_byte()..v.end_byte();
            let value = match member(doc, v, "value") {
                Some(x) => lower_value(doc, x, depth + 1),
                // A Key Vault secret: set, but to nothing readable here.
                None if member(doc, v, "reference").is_some() => Value {
                    range: range.clone(),
                    kind: ValueKind::Expr(SUPPLIED),
                },
                None => return,
            };
            props.push(Property {
                key,
                key_range: k.byte_range(),
                range,
                value,
            });
        });
    }
    Object {
        range: obj.byte_range(),
        props,
        spreads: Vec::new(),
        incomplete: obj.has_error(),
    }
}

/// A `Microsoft.Resources/deployments` resource `obj` (in `scope`) linking a template
/// by `relativePath`: a call of that file. An expression path names no file we can read.
pub(super) fn linked_deployment(
    doc: &Document<'_>,
    obj: Node<'_>,
    scope: usize,
    model: &mut Model,
    depth: usize,
) {
    if depth + 1 > MAX_DEPTH {
        return;
    }
    let Some(props) = member_object(doc, obj, "properties") else {
        return;
    };
    let Some(path) = member_object(doc, props, "templateLink")
        .and_then(|link| member(doc, link, "relativePath"))
        .filter(|p| p.kind() == "string")
    else {
        return;
    };
    let Some(ValueKind::Str(target)) =
        string(doc, path).map(|s| arm_string(s, path.byte_range()).kind)
    else {
        return;
    };
    let (params, params_value) = match member(doc, props, "parameters") {
        Some(p) if p.kind() == "object" => (Some(entries(doc, p, depth + 1)), None),
        Some(p) => (None, Some(lower_value(doc, p, depth + 1))),
        None => match member(doc, props, "parametersLink") {
            Some(link) => (
                None,
                Some(Value {
                    range: link.byte_range(),
                    kind: ValueKind::Expr(SUPPLIED),
                }),
            ),
            None => (None, None),
        },
    };
    model.calls.push(Call {
        kind: CallKind::Deployment,
        target: Some(target),
        target_range: path.byte_range(),
        params,
        params_value,
        scope,
        condition: member(doc, obj, "condition").map(|n| lower_value(doc, n, depth + 1)),
        each: copy_loop(doc, obj, depth),
        decl_start: obj.start_byte(),
        name: None,
    });
}

/// A template's `outputs`: `{ "x": { "type": "string", "value": "[...]" } }`.
pub(super) fn outputs(
    doc: &Document<'_>,
    obj: Node<'_>,
    scope: usize,
    depth: usize,
) -> Vec<(String, Definition)> {
    let mut out = Vec::new();
    if depth > MAX_DEPTH {
        return out;
    }
    each_member(doc, obj, |_, k, name, v| {
        if v.kind() != "object" {
            return;
        }
        let value = match member(doc, v, "value") {
            Some(x) => lower_value(doc, x, depth + 1),
            // A `copy` output is an array built per index: not a value we know.
            None if member(doc, v, "copy").is_some() => Value {
                range: v.byte_range(),
                kind: ValueKind::Expr("an output loop"),
            },
            None => return,
        };
        out.push((
            name.clone(),
            Definition {
                what: "output",
                type_alias: None,
                name,
                name_range: k.byte_range(),
                value,
                scope,
            },
        ));
    });
    out
}
