//! ARM JSON: templates, their scopes and inline deployments.

mod calls;

use std::ops::Range;

use super::*;

pub(crate) fn lower_file(doc: &Document<'_>, model: &mut Model) {
    let root = doc.tree.root_node();
    let Some(obj) = children(root).find(|c| c.kind() == "object") else {
        return;
    };
    if calls::is_parameters_file(doc, obj) {
        calls::parameters_file(doc, obj, model);
        return;
    }
    lower_template(doc, obj, None, Given::Defaults, model, 0);
}

/// The value node of `obj`'s last pair named `key` (ARM: the last duplicate wins).
fn member<'t>(doc: &Document<'_>, obj: Node<'t>, key: &str) -> Option<Node<'t>> {
    // Hot path of JSON lowering (several lookups per resource object): walk with one
    // cursor and compare raw key text, decoding only keys that contain escapes.
    let mut found = None;
    each_parsed(obj, "pair", |pair| {
        let (Some(k), Some(v)) = (
            pair.child_by_field_name("key"),
            pair.child_by_field_name("value"),
        ) else {
            return;
        };
        if v.is_missing() || v.is_error() {
            return;
        }
        let raw = text(doc, k);
        let matches = match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            Some(inner) if !inner.contains('\\') => inner == key,
            _ => string(doc, k).is_some_and(|s| s == key),
        };
        if matches {
            found = Some(v);
        }
    });
    found
}

/// Calls `f` on each member of object `node` whose key and value parsed (see
/// [`each_parsed`]): the pair, its key node, the key's text, its value node.
pub(super) fn each_member<'t>(
    doc: &Document<'_>,
    node: Node<'t>,
    mut f: impl FnMut(Node<'t>, Node<'t>, String, Node<'t>),
) {
    each_parsed(node, "pair", |pair| {
        let (Some(k), Some(v)) = (
            pair.child_by_field_name("key"),
            pair.child_by_field_name("value"),
        ) else {
            return;
        };
        if k.is_missing() || v.is_missing() {
            return;
        }
        if let Some(key) = string(doc, k) {
            f(pair, k, key, v);
        }
    });
}

/// Calls `f` on each named child of `node` of `kind`, and on those directly inside its
/// ERROR children, in text order: a missing comma makes tree-sitter-json wrap the
/// members (or elements) before it in an ERROR; they parsed, so they count, as the
/// spec's "syntax errors never stop analysis of the parts that did parse" asks. A
/// callback rather than a collection: `member` is the hot path of JSON lowering.
fn each_parsed<'t>(node: Node<'t>, kind: &str, mut f: impl FnMut(Node<'t>)) {
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        if child.kind() == kind {
            f(child);
        } else if child.is_error() {
            let mut inner = child.walk();
            for c in child.named_children(&mut inner) {
                if c.kind() == kind {
                    f(c);
                }
            }
        }
    }
}

/// The byte range of a template spec version's template (`properties.mainTemplate`, as
/// the Bicep module cache stores `ts:` modules), when `doc` is one.
pub(crate) fn main_template(doc: &Document<'_>) -> Option<std::ops::Range<usize>> {
    let root = children(doc.tree.root_node()).find(|c| c.kind() == "object")?;
    let props = member_object(doc, root, "properties")?;
    member_object(doc, props, "mainTemplate").map(|n| n.byte_range())
}

fn member_object<'t>(doc: &Document<'_>, obj: Node<'t>, key: &str) -> Option<Node<'t>> {
    member(doc, obj, key).filter(|v| v.kind() == "object")
}

/// Where a template's parameter values come from.
#[derive(Clone, Copy)]
enum Given<'o> {
    /// Nothing supplies them here: the defaults apply (the file itself, or an
    /// inner-scope deployment that passes no parameters).
    Defaults,
    /// An inner-scope deployment's `parameters` object, evaluated in `scope`.
    Values(&'o Object, usize),
    /// Supplied in a way we cannot read (`parametersLink`, an expression): no
    /// parameter resolves, since a default would be a guess.
    Unknown,
}

/// Lowers one template (the file, or an inline deployment's `template`) as a scope.
/// Works on nodes: only parameters, variables and the bodies of resources some rule
/// checks become model values, so a 3 MB template costs little more than its parse.
fn lower_template(
    doc: &Document<'_>,
    template: Node<'_>,
    parent: Option<usize>,
    given: Given<'_>,
    model: &mut Model,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let scope = template_scope(doc, template, parent, given, model, depth);
    if let Some(res) = member(doc, template, "resources") {
        for item in resource_items(res) {
            lower_resource(doc, item, None, scope, model, depth + 1);
        }
    }
}

/// The root template's symbols, as scope 0 (for incremental analysis).
pub(crate) fn root_scope(doc: &Document<'_>, template: Node<'_>, model: &mut Model) {
    template_scope(doc, template, None, Given::Defaults, model, 0);
}

/// The root object and its top-level resource nodes, each checked on its own.
pub(crate) fn root_units<'t>(
    doc: &Document<'_>,
    root: Node<'t>,
) -> Option<(Node<'t>, Vec<Node<'t>>)> {
    let obj = children(root).find(|c| c.kind() == "object")?;
    let units = member(doc, obj, "resources")
        .map(resource_items)
        .unwrap_or_default();
    Some((obj, units))
}

/// An inline deployment's template and its scope (pushed on `model`), for the
/// deployment resource `obj` lowered at `depth` in `scope`.
pub(crate) fn deployment_scope<'t>(
    doc: &Document<'_>,
    obj: Node<'t>,
    scope: usize,
    model: &mut Model,
    depth: usize,
) -> Option<(Node<'t>, usize)> {
    if depth + 1 > MAX_DEPTH {
        return None;
    }
    let props = member_object(doc, obj, "properties")?;
    let template = member_object(doc, props, "template")?;
    let inner = member_object(doc, props, "expressionEvaluationOptions")
        .and_then(|o| member(doc, o, "scope"))
        .and_then(|n| string(doc, n))
        .is_some_and(|s| s.eq_ignore_ascii_case("inner"));
    let values = member_object(doc, props, "parameters").map(|p| lower_object(doc, p, depth + 1));
    let given = if !inner {
        // Outer scope: the template reads the deploying template's symbols.
        Given::Defaults
    } else if member(doc, props, "parametersLink").is_some() {
        Given::Unknown
    } else {
        match (&values, member(doc, props, "parameters")) {
            (Some(o), _) => Given::Values(o, scope),
            (None, None) => Given::Defaults,
            (None, Some(_)) => Given::Unknown,
        }
    };
    let parent = (!inner).then_some(scope);
    let scope = template_scope(doc, template, parent, given, model, depth + 1);
    Some((template, scope))
}

/// An inline deployment `obj`, split for incremental analysis: the nodes its checking
/// depends on besides its template's resources (every member of the deployment, of its
/// `properties` and of its `template`, except the path to those resources), and the
/// template's resources, which can then be checked one by one. `None` unless all of
/// that parsed without errors.
pub(crate) fn deployment_parts<'t>(
    doc: &Document<'_>,
    obj: Node<'t>,
) -> Option<(Vec<Node<'t>>, Vec<Node<'t>>)> {
    let ty = member(doc, obj, "type").and_then(|n| string(doc, n))?;
    if !ty.eq_ignore_ascii_case("Microsoft.Resources/deployments") {
        return None;
    }
    let props = member_object(doc, obj, "properties")?;
    let template = member_object(doc, props, "template")?;
    let resources = member(doc, template, "resources")?;
    let mut parts = Vec::new();
    for (holder, path) in [(obj, props), (props, template), (template, resources)] {
        let path = path.parent();
        let mut cursor = holder.walk();
        for c in holder.children(&mut cursor) {
            // Only error-free parts: with errors, the same text can parse differently
            // (a zero-width MISSING node has no text), so text would not identify it.
            if c.is_error() || c.is_missing() || (Some(c) != path && c.has_error()) {
                return None;
            }
            // Named children, comments too: any change there re-checks.
            if c.is_named() && Some(c) != path {
                parts.push(c);
            }
        }
    }
    Some((parts, resource_items(resources)))
}

/// Lowers a resource `item` of a template (the file's too) at `depth` in `scope`.
pub(crate) fn lower_item(
    doc: &Document<'_>,
    item: Node<'_>,
    scope: usize,
    model: &mut Model,
    depth: usize,
) {
    lower_resource(doc, item, None, scope, model, depth);
}

/// Parameters and variables of a template as a new scope; returns its index.
fn template_scope(
    doc: &Document<'_>,
    template: Node<'_>,
    parent: Option<usize>,
    given: Given<'_>,
    model: &mut Model,
    depth: usize,
) -> usize {
    let scope = model.scopes.len();
    let mut symbols = Symbols {
        parent,
        ..Symbols::default()
    };
    if let Some(params) = member_object(doc, template, "parameters") {
        let params = lower_object(doc, params, depth + 1);
        for p in &params.props {
            let default = || {
                let v = p.value.as_object()?.get("defaultValue")?;
                Some((&v.value, scope))
            };
            let unset = |what| {
                Some((
                    Value {
                        range: p.key_range.clone(),
                        kind: ValueKind::Expr(what),
                    },
                    scope,
                ))
            };
            // languageVersion 2.0: `"nullable": true` without a default is `null`.
            let nullable = p
                .value
                .as_object()
                .and_then(|o| o.get("nullable"))
                .is_some_and(|n| n.value.kind == ValueKind::Bool(true));
            let default = || match default() {
                Some((v, scope)) => Some((v.clone(), scope)),
                None if nullable => unset(crate::model::IMPLICIT_NULL),
                None => unset(crate::model::NO_DEFAULT),
            };
            let value = match given {
                Given::Defaults => default(),
                // A parameter the deployment names replaces the default, whatever
                // form it takes (a Key Vault `reference` is no literal).
                Given::Values(values, caller) => {
                    match values
                        .props
                        .iter()
                        .rev()
                        .find(|q| q.key.eq_ignore_ascii_case(&p.key))
                    {
                        Some(q) => match q.value.as_object().and_then(|o| o.get("value")) {
                            Some(v) => Some((v.value.clone(), caller)),
                            None => unset(crate::model::SUPPLIED),
                        },
                        None => default(),
                    }
                }
                Given::Unknown => unset(crate::model::SUPPLIED),
            };
            if let Some((value, scope)) = value {
                symbols.params.push((
                    p.key.clone(),
                    Definition {
                        what: "parameter",
                        type_alias: None,
                        name: p.key.clone(),
                        name_range: p.key_range.clone(),
                        value,
                        scope,
                    },
                ));
            }
        }
    }
    if let Some(vars) = member_object(doc, template, "variables") {
        for v in lower_object(doc, vars, depth + 1).props {
            symbols.vars.push((
                v.key.clone(),
                Definition {
                    what: "variable",
                    type_alias: None,
                    name: v.key,
                    name_range: v.key_range,
                    value: v.value,
                    scope,
                },
            ));
        }
    }
    if let Some(outputs) = member_object(doc, template, "outputs") {
        symbols.outputs = calls::outputs(doc, outputs, scope, depth + 1);
    }
    model.scopes.push(symbols);
    scope
}

/// `resources` is an array, or (languageVersion 2.0) an object keyed by symbolic name.
fn resource_items(list: Node<'_>) -> Vec<Node<'_>> {
    match list.kind() {
        // A missing comma between two resources wraps the first in an ERROR.
        "array" => {
            let mut items = Vec::new();
            each_parsed(list, "object", |item| items.push(item));
            items
        }
        "object" => children(list)
            .filter(|c| c.kind() == "pair")
            .filter_map(|pair| {
                pair.child_by_field_name("value")
                    .filter(|v| v.kind() == "object")
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn lower_resources(
    doc: &Document<'_>,
    list: Node<'_>,
    parent_ty: Option<&str>,
    scope: usize,
    model: &mut Model,
    depth: usize,
) {
    for item in resource_items(list) {
        lower_resource(doc, item, parent_ty, scope, model, depth);
    }
}

fn lower_resource(
    doc: &Document<'_>,
    obj: Node<'_>,
    parent_ty: Option<&str>,
    scope: usize,
    model: &mut Model,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(type_node) = member(doc, obj, "type") else {
        return;
    };
    let Some(ValueKind::Str(short)) = (type_node.kind() == "string")
        .then(|| string(doc, type_node).map(|s| arm_string(s, 0..0).kind))
        .flatten()
    else {
        return;
    };
    let ty = full_type(parent_ty, short);
    // An expression (`[parameters('v')]`) is no version.
    let api_version = member(doc, obj, "apiVersion")
        .and_then(|n| string(doc, n))
        .and_then(|s| match arm_string(s, 0..0).kind {
            ValueKind::Str(v) => Some(v),
            _ => None,
        });
    let existing = member(doc, obj, "existing").is_some_and(|n| n.kind() == "true");
    if let Some(children) = member(doc, obj, "resources") {
        lower_resources(doc, children, Some(&ty), scope, model, depth + 1);
    }
    if ty.eq_ignore_ascii_case("Microsoft.Resources/deployments") {
        calls::linked_deployment(doc, obj, scope, model, depth);
        if let Some((template, inner)) = deployment_scope(doc, obj, scope, model, depth)
            && let Some(res) = member(doc, template, "resources")
        {
            for item in resource_items(res) {
                lower_resource(doc, item, None, inner, model, depth + 2);
            }
        }
    }
    let relevant = crate::rules::is_relevant(&ty);
    let body = relevant_body(&ty, obj, || lower_object(doc, obj, depth + 1));
    let condition = member(doc, obj, "condition")
        .filter(|_| relevant)
        .map(|n| lower_value(doc, n, depth + 1));
    let each = relevant.then(|| copy_loop(doc, obj, depth)).flatten();
    model.resources.push(Resource {
        ty,
        type_range: type_node.byte_range(),
        api_version,
        body,
        scope,
        existing,
        decl_start: obj.start_byte(),
        condition,
        each,
    });
}

/// `copy: { name, count }` of a resource `obj`: one resource per index, which
/// `copyIndex()` reads.
fn copy_loop(doc: &Document<'_>, obj: Node<'_>, depth: usize) -> Option<Loop> {
    let copy = member_object(doc, obj, "copy")?;
    let count = member(doc, copy, "count")?;
    Some(Loop {
        item: None,
        index: Some(crate::model::COPY_INDEX.to_owned()),
        source: lower_value(doc, count, depth + 1),
        name: member(doc, copy, "name").and_then(|n| string(doc, n)),
    })
}

/// Decodes JSON string text between the quotes (escapes, raw line breaks kept);
/// `None` for a malformed escape.
fn unescape(inner: &str) -> Option<String> {
    fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
        let mut v = 0;
        for _ in 0..4 {
            v = v * 16 + chars.next()?.to_digit(16)?;
        }
        Some(v)
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'u' => {
                let hi = hex4(&mut chars)?;
                let c = if (0xD800..0xDC00).contains(&hi) {
                    // A high surrogate pairs with the low one that follows it.
                    let mut look = chars.clone();
                    match (look.next(), look.next(), hex4(&mut look)) {
                        (Some('\\'), Some('u'), Some(lo)) if (0xDC00..0xE000).contains(&lo) => {
                            chars = look;
                            char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                        }
                        _ => None,
                    }
                } else {
                    char::from_u32(hi)
                };
                // A lone surrogate cannot be represented: U+FFFD, as lossy decoders do.
                out.push(c.unwrap_or('\u{fffd}'));
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// Decodes a JSON string node (escapes included); `None` if malformed. Decoded from
/// the text: the grammar splits `\u0069` into an escape `\u` and content `0069`.
pub(crate) fn string(doc: &Document<'_>, node: Node<'_>) -> Option<String> {
    if node.kind() != "string" || node.has_error() {
        return None;
    }
    let inner = text(doc, node).strip_prefix('"')?.strip_suffix('"')?;
    unescape(inner)
}

fn lower_value(doc: &Document<'_>, node: Node<'_>, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return expr(node);
    }
    let range = node.byte_range();
    let kind = match node.kind() {
        "string" => match string(doc, node) {
            Some(s) => return arm_string(s, range),
            None => ValueKind::Expr("text that did not parse"),
        },
        "true" => ValueKind::Bool(true),
        "false" => ValueKind::Bool(false),
        "number" => text(doc, node)
            .parse()
            .map_or(ValueKind::Number, ValueKind::Int),
        "null" => ValueKind::Null,
        "object" => ValueKind::Object(lower_object(doc, node, depth + 1)),
        "array" => array(
            node,
            children(node)
                .map(|c| lower_value(doc, c, depth + 1))
                .collect(),
        ),
        _ => ValueKind::Expr("text that did not parse"),
    };
    Value { range, kind }
}

/// ARM strings in `[...]` are expressions; `[[` escapes a literal leading bracket.
fn arm_string(s: String, range: Range<usize>) -> Value {
    let literal = |s| Value {
        range: range.clone(),
        kind: ValueKind::Str(s),
    };
    if let Some(rest) = s.strip_prefix("[[") {
        return literal(format!("[{rest}"));
    }
    let trimmed = s.trim();
    if !(trimmed.starts_with('[') && trimmed.ends_with(']')) {
        return literal(s);
    }
    arm_expr::lower(&trimmed[1..trimmed.len() - 1], range)
}

fn lower_object(doc: &Document<'_>, node: Node<'_>, depth: usize) -> Object {
    let mut props = Vec::new();
    if depth <= MAX_DEPTH {
        each_member(doc, node, |pair, k, key, v| {
            if v.is_error() {
                return;
            }
            props.push(Property {
                key,
                key_range: k.byte_range(),
                range: pair.start_byte()..v.end_byte(),
                value: lower_value(doc, v, depth + 1),
            });
        });
    }
    Object {
        range: node.byte_range(),
        props,
        spreads: Vec::new(),
        incomplete: node.has_error(),
    }
}
