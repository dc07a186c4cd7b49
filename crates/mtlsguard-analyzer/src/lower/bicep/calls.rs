//! Bicep statements that call other templates (`module`, a `.bicepparam` file's `using`)
//! and what callers read back (`output`).

use std::ops::Range;

use super::*;
use crate::model::{Call, CallKind};

/// What a `.bicepparam` file's statements add up to: its `using` and the params it sets,
/// gathered over statements that may come from separate parses (see `isolate`).
#[derive(Default)]
pub(crate) struct ParamFile {
    using: Option<Using>,
    assignments: Vec<Property>,
}

struct Using {
    /// `None` for `using none`, which calls nothing.
    path: Option<Option<String>>,
    range: Range<usize>,
}

/// A file is a `.bicepparam` file when a top-level statement is `using`: the grammar is
/// the same, and `param` then assigns instead of declaring.
pub(crate) fn is_param_file(doc: &Document<'_>, root: Node<'_>) -> bool {
    let mut cursor = root.walk();
    root.named_children(&mut cursor).any(|c| {
        c.kind() == "using_statement"
            || (c.is_error()
                && c.start_position().column == 0
                && text(doc, c)
                    .strip_prefix("using")
                    .is_some_and(|rest| rest.starts_with(char::is_whitespace)))
    })
}

impl ParamFile {
    pub(crate) fn using(&mut self, doc: &Document<'_>, node: Node<'_>) {
        // Bicep allows one `using`; a second one is an error that must not rebind the file.
        if self.using.is_some() {
            return;
        }
        let path = if children(node).any(|c| c.kind() == "none") {
            None
        } else {
            Some(
                children(node)
                    .find(|c| c.kind() == "string")
                    .and_then(|p| literal_string(doc, p)),
            )
        };
        self.using = Some(Using {
            path,
            range: node.byte_range(),
        });
    }

    /// `param x = value`: a property of the call, the whole line its range (where a
    /// finding that this value decides points).
    pub(crate) fn assignment(&mut self, doc: &Document<'_>, node: Node<'_>) {
        let Some((name, value)) = assigned(node) else {
            return;
        };
        self.assignments.push(Property {
            key: text(doc, name).to_owned(),
            key_range: name.byte_range(),
            range: node.byte_range(),
            value: lower_value(doc, value, 0),
        });
    }

    /// The `using` call, once every statement is lowered.
    pub(crate) fn finish(self, doc: &Document<'_>, model: &mut Model) {
        let Some(Using {
            path: Some(target),
            range,
        }) = self.using
        else {
            return;
        };
        let root = doc.tree.root_node();
        model.calls.push(Call {
            kind: CallKind::Using,
            target,
            target_range: range.clone(),
            params: Some(Object {
                range: root.byte_range(),
                props: self.assignments,
                spreads: Vec::new(),
                incomplete: root.has_error(),
            }),
            params_value: None,
            scope: 0,
            condition: None,
            each: None,
            decl_start: range.start,
            name: None,
        });
    }
}

/// `module name 'path' = {...}` (also with `if` and `for`): a call whose params are its
/// `params` object. The body is always lowered: what a module sets is not known to be
/// irrelevant until the called template is read.
pub(crate) fn module(doc: &Document<'_>, node: Node<'_>, model: &mut Model) {
    let name = symbol_name(doc, node);
    if let Some(name) = &name
        && !model.scopes[0].modules.contains(name)
    {
        model.scopes[0].modules.push(name.clone());
    }
    let mut path = None;
    let mut body = None;
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        match child.kind() {
            "string" if path.is_none() => path = Some(child),
            "object" | "if_statement" | "for_statement" => body = body.or(Some(child)),
            _ => {}
        }
    }
    let Some(path) = path else { return };
    let Some((body, condition, each)) = body.and_then(|b| body_parts(doc, b)) else {
        return;
    };
    let object = lower_object(doc, body, 0);
    let (params, params_value) = match object.get("params").map(|p| &p.value) {
        Some(Value {
            kind: ValueKind::Object(o),
            ..
        }) => (Some(o.clone()), None),
        Some(v) => (None, Some(v.clone())),
        None => (None, None),
    };
    model.calls.push(Call {
        kind: CallKind::Module,
        target: literal_string(doc, path),
        target_range: path.byte_range(),
        params,
        params_value,
        scope: 0,
        condition: condition.map(|c| lower_value(doc, c, 0)),
        each: each.map(|(item, index, source)| Loop {
            item,
            index,
            source: lower_value(doc, source, 0),
            name: None,
        }),
        decl_start: node.start_byte(),
        name,
    });
}

/// `output name type = value` (also `output name resource '<type>' = value`).
pub(crate) fn output(doc: &Document<'_>, node: Node<'_>, model: &mut Model) {
    let Some((name_node, value)) = assigned(node) else {
        return;
    };
    let name = text(doc, name_node).to_owned();
    model.scopes[0].outputs.push((
        name.clone(),
        Definition {
            what: "output",
            type_alias: None,
            name,
            name_range: name_node.byte_range(),
            value: lower_value(doc, value, 0),
            scope: 0,
        },
    ));
}

/// The name and the value after `=` of `param x = v` / `output x t = v`.
fn assigned(node: Node<'_>) -> Option<(Node<'_>, Node<'_>)> {
    let mut name = None;
    let mut value = None;
    let mut seen_eq = false;
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        if child.kind() == "=" {
            seen_eq = true;
        } else if !seen_eq && child.kind() == "identifier" && name.is_none() {
            name = Some(child);
        } else if seen_eq && child.is_named() && !child.is_extra() && value.is_none() {
            value = Some(child);
        }
    }
    Some((name?, value?))
}
