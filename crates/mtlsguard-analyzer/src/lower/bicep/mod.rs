//! Bicep: declarations and resources from a tree of our Bicep grammar; their values in
//! [`values`].

mod calls;
mod values;

pub(crate) use values::{literal_string, lower_object, lower_value};

use super::*;

pub(crate) fn lower_file(doc: &Document<'_>, model: &mut Model) {
    model.scopes.push(Symbols::default());
    let root = doc.tree.root_node();
    let mut param_file = calls::is_param_file(doc, root).then(calls::ParamFile::default);
    let mut cursor = root.walk();
    // Consecutive broken nodes form one region: error recovery can split a declaration
    // over several (an unclosed string runs into the next line's declaration).
    let mut broken = Vec::new();
    for child in root.named_children(&mut cursor) {
        if child.has_error() {
            broken.push(child);
            continue;
        }
        isolate(doc, &broken, model, param_file.as_mut());
        broken.clear();
        statement(doc, child, model, param_file.as_mut());
    }
    isolate(doc, &broken, model, param_file.as_mut());
    if let Some(p) = param_file {
        p.finish(doc, model);
    }
}

/// Lowers top-level nodes that hold syntax errors (`region`, consecutive in the
/// text), declaration by declaration.
///
/// Error recovery can take in everything after an error: an unclosed `{` makes every
/// later declaration part of the object (as a person types `var x = {` above the
/// resources), and garbage can leave one ERROR node for the rest of the file. Bicep
/// declarations start at column 0, so when such a node holds several of them, each
/// is parsed on its own: an error then costs only its own declaration. (On the
/// corpus's broken files this keeps 875 of the 1,250 declarations whole-file parsing
/// loses; the cost is one parse of the node's text per analysis, only while it is broken.)
fn isolate(
    doc: &Document<'_>,
    region: &[Node<'_>],
    model: &mut Model,
    mut param_file: Option<&mut calls::ParamFile>,
) {
    let (Some(first), Some(last)) = (region.first(), region.last()) else {
        return;
    };
    let starts: Vec<Node<'_>> = region
        .iter()
        .flat_map(|&node| declaration_starts(doc, node))
        .collect();
    // At most one declaration, and it starts the region: what parsed of it counts.
    if starts.len() < 2
        && starts
            .first()
            .is_none_or(|s| s.start_byte() == first.start_byte())
    {
        for &node in region {
            if node.is_error() {
                statements(doc, node, model, param_file.as_deref_mut(), 0);
            } else {
                statement(doc, node, model, param_file.as_deref_mut());
            }
        }
        return;
    }
    for (i, start) in starts.iter().enumerate() {
        let (end, end_point) = match starts.get(i + 1) {
            Some(next) => (next.start_byte(), next.start_position()),
            None => (last.end_byte(), last.end_position()),
        };
        let range = start.start_byte()..end;
        let points = (start.start_position(), end_point);
        // Out of time: the syntax errors of the whole tree still say this part is broken.
        if let crate::syntax::Parsed::Tree(tree) =
            crate::syntax::parse_range(doc.language, doc.text, range, points)
        {
            let sub = Document {
                tree: &tree,
                ..*doc
            };
            statements(&sub, tree.root_node(), model, param_file.as_deref_mut(), 0);
        }
    }
}

/// The tokens in `node` that start a declaration: a declaration keyword or a first
/// decorator at column 0 (the decorators above a declaration belong to it). Tokens,
/// so that text inside strings and comments never counts; by their text, since where
/// a keyword is not expected (inside an unclosed array) it is lexed as a name.
fn declaration_starts<'t>(doc: &Document<'_>, node: Node<'t>) -> Vec<Node<'t>> {
    const STARTS: [&str; 15] = [
        "resource",
        "param",
        "var",
        "module",
        "output",
        "type",
        "func",
        "import",
        "metadata",
        "targetScope",
        "extension",
        "using",
        "extends",
        "assert",
        "test",
    ];
    let mut starts = Vec::new();
    let mut after_decorator = false;
    crate::syntax::walk(node, |cursor, _| {
        let n = cursor.node();
        if n.child_count() == 0 && n.start_position().column == 0 && !n.is_extra() {
            let word = text(doc, n);
            if word == "@" {
                if !after_decorator {
                    starts.push(n);
                }
                after_decorator = true;
            } else if STARTS.contains(&word) {
                if !after_decorator {
                    starts.push(n);
                }
                after_decorator = false;
            }
        }
        crate::syntax::Visit::Into
    });
    starts
}

pub(crate) fn is_statement(kind: &str) -> bool {
    kind.ends_with("_declaration")
        || kind.ends_with("_statement")
        || matches!(
            kind,
            "decorators"
                | "comment"
                | "diagnostic_comment"
                | "user_defined_function"
                | "import_functionality"
                | "target_scope_assignment"
                | "test_block"
                | "extension_config"
        )
}

/// Lowers a top-level statement of a template (incremental analysis lowers statement by
/// statement).
pub(crate) fn lower_statement(doc: &Document<'_>, child: Node<'_>, model: &mut Model) {
    statement(doc, child, model, None);
}

/// Lowers a top-level statement; `param_file` when the file is a `.bicepparam` file.
fn statement(
    doc: &Document<'_>,
    child: Node<'_>,
    model: &mut Model,
    param_file: Option<&mut calls::ParamFile>,
) {
    match child.kind() {
        "parameter_declaration" => match param_file {
            Some(p) => p.assignment(doc, child),
            None => declaration(doc, child, model, true),
        },
        "using_statement" => {
            if let Some(p) = param_file {
                p.using(doc, child);
            }
        }
        "variable_declaration" => declaration(doc, child, model, false),
        "resource_declaration" => resource(doc, child, None, model, 0),
        "module_declaration" => calls::module(doc, child, model),
        "output_declaration" => calls::output(doc, child, model),
        "type_declaration" => {
            let name = children(child).find(|c| c.kind() == "identifier");
            let ty = children(child).find(|c| c.kind() == "type");
            if let (Some(name), Some(ty)) = (name, ty)
                && ty
                    .named_child(0)
                    .is_some_and(|t| t.kind() == "nullable_type")
            {
                model.scopes[0]
                    .nullable_types
                    .push(text(doc, name).to_owned());
            }
        }
        _ => {}
    }
}

/// Lowers the declarations directly below `node`, descending into ERROR nodes, where
/// error recovery can leave intact declarations behind.
fn statements(
    doc: &Document<'_>,
    node: Node<'_>,
    model: &mut Model,
    mut param_file: Option<&mut calls::ParamFile>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        match child.kind() {
            "ERROR" => statements(doc, child, model, param_file.as_deref_mut(), depth + 1),
            _ => statement(doc, child, model, param_file.as_deref_mut()),
        }
    }
}

fn declaration(doc: &Document<'_>, node: Node<'_>, model: &mut Model, is_param: bool) {
    let mut name = None;
    let mut value = None;
    let mut nullable = false;
    let mut type_alias = None;
    let mut seen_eq = false;
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        if child.kind() == "=" {
            seen_eq = true;
        } else if child.kind() == "identifier" && name.is_none() {
            name = Some(child);
        } else if child.kind() == "type" && !seen_eq {
            let top = child.named_child(0);
            nullable = top.is_some_and(|t| t.kind() == "nullable_type");
            type_alias = top
                .filter(|t| t.kind() == "identifier")
                .map(|t| text(doc, t).to_owned());
        } else if seen_eq && child.is_named() && !child.is_extra() && value.is_none() {
            value = Some(lower_value(doc, child, 0));
        }
    }
    let Some(name_node) = name else { return };
    let value = match value {
        Some(v) => v,
        None if !is_param || seen_eq => return,
        // A nullable param without default is `null`; another has no value here.
        None => Value {
            range: name_node.byte_range(),
            kind: if nullable {
                ValueKind::Expr(crate::model::IMPLICIT_NULL)
            } else {
                ValueKind::Expr(crate::model::NO_DEFAULT)
            },
        },
    };
    let name = text(doc, name_node).to_owned();
    let def = Definition {
        what: if is_param { "param" } else { "var" },
        type_alias,
        name: name.clone(),
        name_range: name_node.byte_range(),
        value,
        scope: 0,
    };
    let symbols = &mut model.scopes[0];
    let list = if is_param {
        &mut symbols.params
    } else {
        &mut symbols.vars
    };
    list.push((name, def));
}

/// The symbolic name of a declaration (`resource site '...'`: `site`).
pub(crate) fn symbol_name(doc: &Document<'_>, node: Node<'_>) -> Option<String> {
    children(node)
        .find(|c| c.kind() == "identifier")
        .map(|n| text(doc, n).to_owned())
}

pub(crate) fn resource(
    doc: &Document<'_>,
    node: Node<'_>,
    parent_ty: Option<&str>,
    model: &mut Model,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    if depth == 0
        && let Some(name) = symbol_name(doc, node)
        && !model.scopes[0].resources.contains(&name)
    {
        model.scopes[0].resources.push(name);
    }
    let mut type_node = None;
    let mut existing = false;
    let mut body = None;
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        match child.kind() {
            "string" if type_node.is_none() => type_node = Some(child),
            "existing" => existing = true,
            "object" | "if_statement" | "for_statement" => body = body.or(Some(child)),
            _ => {}
        }
    }
    let Some(type_node) = type_node else { return };
    let Some((body, condition, each)) = body.and_then(|b| body_parts(doc, b)) else {
        return;
    };
    let Some(type_str) = literal_string(doc, type_node) else {
        return;
    };
    let (short, api) = match type_str.split_once('@') {
        Some((t, a)) => (t.to_owned(), Some(a.to_owned())),
        None => (type_str.clone(), None),
    };
    let ty = full_type(parent_ty, short);
    let relevant = crate::rules::is_relevant(&ty);
    let object = relevant_body(&ty, body, || lower_object(doc, body, 0));
    // Nested resources live in the body as `object_property > resource_declaration`.
    let mut cursor = body.walk();
    for prop in body.named_children(&mut cursor) {
        let mut c2 = prop.walk();
        for inner in prop.named_children(&mut c2) {
            if inner.kind() == "resource_declaration" {
                resource(doc, inner, Some(&ty), model, depth + 1);
            }
        }
    }
    let lower_if = |n: Option<Node<'_>>| n.filter(|_| relevant).map(|n| lower_value(doc, n, 0));
    model.resources.push(Resource {
        ty,
        type_range: type_node.byte_range(),
        api_version: api,
        body: object,
        scope: 0,
        existing,
        decl_start: node.start_byte(),
        condition: lower_if(condition),
        each: each.filter(|_| relevant).map(|(item, index, source)| Loop {
            item,
            index,
            source: lower_value(doc, source, 0),
            name: None,
        }),
    });
}

/// A loop's item and index names and its source.
type LoopParts<'t> = (Option<String>, Option<String>, Node<'t>);

/// The object of a resource body (plain, `if (...) {}`, `[for ...: {}]`,
/// `[for ...: if () {}]`), its condition and its loop.
fn body_parts<'t>(
    doc: &Document<'_>,
    node: Node<'t>,
) -> Option<(Node<'t>, Option<Node<'t>>, Option<LoopParts<'t>>)> {
    match node.kind() {
        "object" => Some((node, None, None)),
        "if_statement" => {
            let cond = children(node).find(|c| c.kind() == "parenthesized_expression");
            let body = children(node).find(|c| c.kind() == "object")?;
            Some((body, cond, None))
        }
        "for_statement" => {
            let (mut item, mut index, mut source) = (None, None, None);
            let mut seen_in = false;
            let mut cursor = node.walk();
            for c in node.children(&mut cursor) {
                match c.kind() {
                    "in" => seen_in = true,
                    "identifier" if !seen_in => item = Some(text(doc, c).to_owned()),
                    "for_loop_parameters" => {
                        for p in children(c) {
                            match p.kind() {
                                "loop_variable" => item = Some(text(doc, p).to_owned()),
                                "loop_enumerator" => index = Some(text(doc, p).to_owned()),
                                _ => {}
                            }
                        }
                    }
                    _ if seen_in && source.is_none() && c.is_named() && !c.is_extra() => {
                        source = Some(c)
                    }
                    _ => {}
                }
            }
            let (body, cond, _) = body_parts(doc, node.child_by_field_name("body")?)?;
            Some((body, cond, Some((item, index, source?))))
        }
        _ => None,
    }
}
