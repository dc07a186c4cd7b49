//! Lowers tree-sitter trees of both languages into the shared [`Model`].
//!
//! Recursion here follows the syntax tree, so its depth is bounded by [`MAX_DEPTH`]:
//! a value nested deeper than that is treated as an unknown expression rather than
//! risking the stack on hostile input.

use tree_sitter::Node;

use crate::model::{
    Definition, Model, Object, Property, Resource, SymbolRef, Symbols, Value, ValueKind,
};
use crate::parse::{Document, Language};

pub(crate) const MAX_DEPTH: usize = 256;

pub(crate) fn lower(doc: &Document<'_>) -> Model {
    let mut model = Model::default();
    match doc.language {
        Language::Bicep => bicep::lower_file(doc, &mut model),
        Language::Json => json::lower_file(doc, &mut model),
    }
    model
}

fn text<'a>(doc: &Document<'a>, node: Node<'_>) -> &'a str {
    doc.text.get(node.byte_range()).unwrap_or("")
}

fn expr(node: Node<'_>) -> Value {
    Value {
        range: node.byte_range(),
        kind: ValueKind::Expr,
    }
}

/// Named, non-comment children (ERROR and MISSING nodes are skipped: what did parse is kept).
fn children<'t>(node: Node<'t>) -> impl Iterator<Item = Node<'t>> {
    let mut cursor = node.walk();
    let kids: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
    kids.into_iter()
        .filter(|n| !n.is_extra() && !n.is_error() && !n.is_missing())
}

/// An array of the elements that parsed. When nothing parsed but something is there, it
/// is unknown, not empty: `[ <garbage> ]` must not read as an empty list.
fn array(doc: &Document<'_>, node: Node<'_>, items: Vec<Value>) -> ValueKind {
    if items.is_empty() && crate::syntax::has_real_error(doc, node) {
        ValueKind::Expr
    } else {
        ValueKind::Array(items)
    }
}

pub(crate) mod bicep {
    use super::*;

    pub(crate) fn lower_file(doc: &Document<'_>, model: &mut Model) {
        model.scopes.push(Symbols::default());
        let root = doc.tree.root_node();
        lower_statements(doc, root, model, 0);
    }

    /// Lowers the declarations directly below `node`, descending into ERROR nodes, where
    /// newer Bicep syntax unknown to the grammar leaves intact declarations behind.
    pub(crate) fn lower_statements(
        doc: &Document<'_>,
        node: Node<'_>,
        model: &mut Model,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            match child.kind() {
                "parameter_declaration" => declaration(doc, child, model, true),
                "variable_declaration" => declaration(doc, child, model, false),
                "resource_declaration" => resource(doc, child, None, model, 0),
                "ERROR" => lower_statements(doc, child, model, depth + 1),
                _ => {}
            }
        }
    }

    fn declaration(doc: &Document<'_>, node: Node<'_>, model: &mut Model, is_param: bool) {
        let mut name = None;
        let mut value = None;
        let mut seen_eq = false;
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if child.kind() == "=" {
                seen_eq = true;
            } else if child.kind() == "identifier" && name.is_none() {
                name = Some(text(doc, child).to_owned());
            } else if seen_eq && child.is_named() && !child.is_extra() && value.is_none() {
                value = Some(lower_value(doc, child, 0));
            }
        }
        if let (Some(name), Some(value)) = (name, value) {
            let symbols = &mut model.scopes[0];
            let list = if is_param {
                &mut symbols.params
            } else {
                &mut symbols.vars
            };
            list.push((name, Definition { value, scope: 0 }));
        }
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
        let (Some(type_node), Some(body)) = (type_node, body.and_then(body_object)) else {
            return;
        };
        let Some(type_str) = literal_string(doc, type_node) else {
            return;
        };
        let (short, api) = match type_str.split_once('@') {
            Some((t, a)) => (t.to_owned(), Some(a.to_owned())),
            None => (type_str.clone(), None),
        };
        let ty = match parent_ty {
            Some(p) if !short.contains('/') => format!("{p}/{short}"),
            _ => short,
        };
        let object = lower_object(doc, body, 0);
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
        if !existing {
            model.resources.push(Resource {
                ty,
                type_range: type_node.byte_range(),
                api_version: api,
                body: object,
                scope: 0,
            });
        }
    }

    /// The object of a resource body: plain, `if (...) {}`, `[for ...: {}]`, `[for ...: if () {}]`.
    fn body_object(node: Node<'_>) -> Option<Node<'_>> {
        match node.kind() {
            "object" => Some(node),
            "if_statement" => children(node).find(|c| c.kind() == "object"),
            "for_statement" => {
                let body = node.child_by_field_name("body")?;
                body_object(body)
            }
            _ => None,
        }
    }

    /// A string without interpolation, decoded; `None` for interpolated strings.
    pub(crate) fn literal_string(doc: &Document<'_>, node: Node<'_>) -> Option<String> {
        let mut out = String::new();
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            match child.kind() {
                "string_content" | "multiline_string_content" => out.push_str(text(doc, child)),
                "escape_sequence" => {
                    let esc = text(doc, child);
                    match esc {
                        "\\n" => out.push('\n'),
                        "\\r" => out.push('\r'),
                        "\\t" => out.push('\t'),
                        "\\\\" => out.push('\\'),
                        "\\'" => out.push('\''),
                        "\\$" => out.push('$'),
                        _ => {
                            let hex = esc.trim_start_matches("\\u{").trim_end_matches('}');
                            match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                                Some(c) => out.push(c),
                                None => return None,
                            }
                        }
                    }
                }
                "comment" => {}
                _ => return None,
            }
        }
        if node.has_error() {
            return None;
        }
        Some(out)
    }

    pub(crate) fn lower_value(doc: &Document<'_>, node: Node<'_>, depth: usize) -> Value {
        if depth > MAX_DEPTH
            || node.has_error() && node.kind() != "object" && node.kind() != "array"
        {
            return expr(node);
        }
        let range = node.byte_range();
        let kind = match node.kind() {
            "string" => match literal_string(doc, node) {
                Some(s) => ValueKind::Str(s),
                None => ValueKind::Expr,
            },
            "boolean" => ValueKind::Bool(text(doc, node) == "true"),
            "number" => ValueKind::Number,
            "null" => ValueKind::Null,
            "identifier" => ValueKind::Ref(SymbolRef::Ident(text(doc, node).to_owned())),
            "object" => ValueKind::Object(lower_object(doc, node, depth + 1)),
            "array" => array(
                doc,
                node,
                children(node)
                    .filter(|c| c.kind() != "decorators")
                    .map(|c| lower_value(doc, c, depth + 1))
                    .collect(),
            ),
            _ => ValueKind::Expr,
        };
        Value { range, kind }
    }

    pub(crate) fn lower_object(doc: &Document<'_>, node: Node<'_>, depth: usize) -> Object {
        let mut props = Vec::new();
        if depth <= MAX_DEPTH {
            for prop in children(node).filter(|c| c.kind() == "object_property") {
                let mut named = children(prop);
                let Some(key_node) = named.next() else {
                    continue;
                };
                let key = match key_node.kind() {
                    "identifier" | "compatible_identifier" => text(doc, key_node).to_owned(),
                    "string" => match literal_string(doc, key_node) {
                        Some(k) => k,
                        None => continue,
                    },
                    _ => continue, // nested resource declarations, decorators
                };
                let Some(value_node) = named.next() else {
                    continue;
                };
                props.push(Property {
                    key,
                    key_range: key_node.byte_range(),
                    range: prop.start_byte()..value_node.end_byte(),
                    value: lower_value(doc, value_node, depth + 1),
                });
            }
        }
        Object {
            range: node.byte_range(),
            props,
            has_error: crate::syntax::has_real_error(doc, node),
        }
    }
}

pub(crate) mod json {
    use super::*;

    pub(crate) fn lower_file(doc: &Document<'_>, model: &mut Model) {
        let root = doc.tree.root_node();
        let Some(obj) = children(root).find(|c| c.kind() == "object") else {
            return;
        };
        let template = lower_object(doc, obj, 0);
        lower_template(&template, None, Given::Defaults, model, 0);
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
    fn lower_template(
        template: &Object,
        parent: Option<usize>,
        given: Given<'_>,
        model: &mut Model,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let scope = model.scopes.len();
        let mut symbols = Symbols {
            parent,
            ..Symbols::default()
        };
        if let Some((_, params)) = template.get_object("parameters") {
            for p in &params.props {
                let default = || {
                    let v = p.value.as_object()?.get("defaultValue")?;
                    Some((v, scope))
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
                            Some(q) => q
                                .value
                                .as_object()
                                .and_then(|o| o.get("value"))
                                .map(|v| (v, caller)),
                            None => default(),
                        }
                    }
                    Given::Unknown => None,
                };
                if let Some((v, scope)) = value {
                    symbols.params.push((
                        p.key.clone(),
                        Definition {
                            value: v.value.clone(),
                            scope,
                        },
                    ));
                }
            }
        }
        if let Some((_, vars)) = template.get_object("variables") {
            for v in &vars.props {
                symbols.vars.push((
                    v.key.clone(),
                    Definition {
                        value: v.value.clone(),
                        scope,
                    },
                ));
            }
        }
        model.scopes.push(symbols);
        if let Some(res) = template.get("resources") {
            lower_resources(&res.value, None, scope, model, depth + 1);
        }
    }

    /// `resources` is an array, or (languageVersion 2.0) an object keyed by symbolic name.
    fn lower_resources(
        list: &Value,
        parent_ty: Option<&str>,
        scope: usize,
        model: &mut Model,
        depth: usize,
    ) {
        let items: Vec<&Value> = match &list.kind {
            ValueKind::Array(items) => items.iter().collect(),
            ValueKind::Object(o) => o.props.iter().map(|p| &p.value).collect(),
            _ => return,
        };
        for item in items {
            if let Some(obj) = item.as_object() {
                lower_resource(obj, parent_ty, scope, model, depth);
            }
        }
    }

    fn lower_resource(
        obj: &Object,
        parent_ty: Option<&str>,
        scope: usize,
        model: &mut Model,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let Some(type_prop) = obj.get("type") else {
            return;
        };
        let ValueKind::Str(short) = &type_prop.value.kind else {
            return;
        };
        let ty = match parent_ty {
            Some(p) if !short.contains('/') => format!("{p}/{short}"),
            _ => short.clone(),
        };
        let api_version = match obj.get("apiVersion").map(|p| &p.value.kind) {
            Some(ValueKind::Str(s)) => Some(s.clone()),
            _ => None,
        };
        let existing = matches!(
            obj.get("existing").map(|p| &p.value.kind),
            Some(ValueKind::Bool(true))
        );
        if let Some(children) = obj.get("resources") {
            lower_resources(&children.value, Some(&ty), scope, model, depth + 1);
        }
        if ty.eq_ignore_ascii_case("Microsoft.Resources/deployments")
            && let Some((_, props)) = obj.get_object("properties")
            && let Some((_, template)) = props.get_object("template")
        {
            let inner = props
                        .get_object("expressionEvaluationOptions")
                        .and_then(|(_, o)| o.get("scope"))
                        .is_some_and(|p| matches!(&p.value.kind, ValueKind::Str(s) if s.eq_ignore_ascii_case("inner")));
            let given = if !inner {
                // Outer scope: the template reads the deploying template's symbols.
                Given::Defaults
            } else if props.get("parametersLink").is_some() {
                Given::Unknown
            } else {
                match props.get("parameters").map(|p| &p.value.kind) {
                    None => Given::Defaults,
                    Some(ValueKind::Object(o)) => Given::Values(o, scope),
                    Some(_) => Given::Unknown,
                }
            };
            lower_template(template, (!inner).then_some(scope), given, model, depth + 1);
        }
        if !existing {
            model.resources.push(Resource {
                ty,
                type_range: type_prop.value.range.clone(),
                api_version,
                body: obj.clone(),
                scope,
            });
        }
    }

    /// The text between the quotes of a string node that tree-sitter-json rejected only
    /// because it spans lines: Azure's parser accepts raw line breaks in strings (multi-line
    /// expressions are common), so such a string is a string, not a syntax error.
    pub(crate) fn multiline_string<'a>(doc: &Document<'a>, node: Node<'_>) -> Option<&'a str> {
        if node.kind() != "string" || !node.has_error() {
            return None;
        }
        let inner = text(doc, node).strip_prefix('"')?.strip_suffix('"')?;
        if !inner.contains(['\n', '\r']) {
            return None;
        }
        // Every quote inside must be escaped, the closing one must not be: otherwise the
        // node spans more than one string (or none), and the error is real.
        let mut escaped = false;
        for c in inner.chars() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => return None,
                _ => {}
            }
        }
        (!escaped).then_some(inner)
    }

    /// Decodes JSON string text between the quotes (escapes, raw line breaks kept).
    fn unescape(inner: &str) -> Option<String> {
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
                    let hex: String = chars.by_ref().take(4).collect();
                    let c = u32::from_str_radix(&hex, 16).ok()?;
                    out.push(char::from_u32(c).unwrap_or('\u{fffd}'));
                }
                c => out.push(c),
            }
        }
        Some(out)
    }

    /// Decodes a JSON string node (escapes included); `None` if malformed.
    pub(crate) fn string(doc: &Document<'_>, node: Node<'_>) -> Option<String> {
        if let Some(inner) = multiline_string(doc, node) {
            return unescape(inner);
        }
        let mut out = String::new();
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            match child.kind() {
                "string_content" => out.push_str(text(doc, child)),
                "escape_sequence" => {
                    let esc = text(doc, child);
                    match esc.as_bytes().get(1) {
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'u') => {
                            // Lone surrogates cannot be represented: U+FFFD, as serde_json's lossy mode.
                            let c = u32::from_str_radix(esc.get(2..6)?, 16)
                                .ok()
                                .and_then(char::from_u32);
                            out.push(c.unwrap_or('\u{fffd}'));
                        }
                        Some(&c) => out.push(c as char),
                        None => return None,
                    }
                }
                _ => return None,
            }
        }
        Some(out)
    }

    fn lower_value(doc: &Document<'_>, node: Node<'_>, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return expr(node);
        }
        let range = node.byte_range();
        let kind = match node.kind() {
            "string" => match string(doc, node) {
                Some(s) => arm_string(s),
                None => ValueKind::Expr,
            },
            "true" => ValueKind::Bool(true),
            "false" => ValueKind::Bool(false),
            "number" => ValueKind::Number,
            "null" => ValueKind::Null,
            "object" => ValueKind::Object(lower_object(doc, node, depth + 1)),
            "array" => array(
                doc,
                node,
                children(node)
                    .map(|c| lower_value(doc, c, depth + 1))
                    .collect(),
            ),
            _ => ValueKind::Expr,
        };
        Value { range, kind }
    }

    /// ARM strings in `[...]` are expressions; `[[` escapes a literal leading bracket.
    fn arm_string(s: String) -> ValueKind {
        let trimmed = s.trim();
        if let Some(rest) = s.strip_prefix("[[") {
            return ValueKind::Str(format!("[{rest}"));
        }
        if !(trimmed.starts_with('[') && trimmed.ends_with(']')) {
            return ValueKind::Str(s);
        }
        let inner = trimmed[1..trimmed.len() - 1].trim();
        for (func, make) in [
            ("parameters", SymbolRef::Param as fn(String) -> SymbolRef),
            ("variables", SymbolRef::Var as fn(String) -> SymbolRef),
        ] {
            // ARM function names are case-insensitive: `[Parameters('x')]` works too.
            if let Some(arg) = inner
                .get(..func.len())
                .filter(|head| head.eq_ignore_ascii_case(func))
                .map(|_| inner[func.len()..].trim_start())
                .and_then(|r| r.strip_prefix('('))
                .and_then(|r| r.strip_suffix(')'))
                .map(str::trim)
                .and_then(|r| r.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))
                && !arg.contains('\'')
            {
                return ValueKind::Ref(make(arg.to_owned()));
            }
        }
        ValueKind::Expr
    }

    fn lower_object(doc: &Document<'_>, node: Node<'_>, depth: usize) -> Object {
        let mut props = Vec::new();
        if depth <= MAX_DEPTH {
            for pair in children(node).filter(|c| c.kind() == "pair") {
                let (Some(k), Some(v)) = (
                    pair.child_by_field_name("key"),
                    pair.child_by_field_name("value"),
                ) else {
                    continue;
                };
                if k.is_missing() || v.is_missing() || v.is_error() {
                    continue;
                }
                let Some(key) = string(doc, k) else { continue };
                props.push(Property {
                    key,
                    key_range: k.byte_range(),
                    range: pair.start_byte()..v.end_byte(),
                    value: lower_value(doc, v, depth + 1),
                });
            }
        }
        Object {
            range: node.byte_range(),
            props,
            has_error: crate::syntax::has_real_error(doc, node),
        }
    }
}
