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
fn array(node: Node<'_>, items: Vec<Value>) -> ValueKind {
    if items.is_empty() && node.has_error() {
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
        let mut cursor = root.walk();
        // Consecutive broken nodes form one region: error recovery can split a declaration
        // over several (an unclosed string runs into the next line's declaration).
        let mut broken = Vec::new();
        for child in root.named_children(&mut cursor) {
            if child.has_error() {
                broken.push(child);
                continue;
            }
            isolate(doc, &broken, model);
            broken.clear();
            lower_statement(doc, child, model);
        }
        isolate(doc, &broken, model);
    }

    /// Lowers top-level nodes that hold syntax errors (`region`, consecutive in the
    /// text), declaration by declaration.
    ///
    /// Error recovery can take in everything after an error: an unclosed `{` makes every
    /// later declaration part of the object (as a person types `var x = {` above the
    /// resources), and garbage can leave one ERROR node for the rest of the file. Bicep
    /// declarations start at column 0, so when such a node holds several of them, each
    /// is parsed on its own: an error then costs only its own declaration. (On the
    /// corpus's broken files this keeps 1,000 of 1,250 declarations whole-file parsing
    /// loses; the cost is one parse of the node's text per analysis, only while it is broken.)
    fn isolate(doc: &Document<'_>, region: &[Node<'_>], model: &mut Model) {
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
                    lower_statements(doc, node, model, 0);
                } else {
                    lower_statement(doc, node, model);
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
            if let crate::parse::Parsed::Tree(tree) =
                crate::parse::parse_range(doc.language, doc.text, range, points)
            {
                let sub = Document {
                    tree: &tree,
                    ..*doc
                };
                lower_statements(&sub, tree.root_node(), model, 0);
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
        let mut cursor = node.walk();
        // Iterative pre-order walk over the leaves: deep trees must not overflow the stack.
        'walk: loop {
            let n = cursor.node();
            if n.child_count() == 0 && n.start_position().column == 0 && !n.is_extra() {
                let kind = text(doc, n);
                if kind == "@" {
                    if !after_decorator {
                        starts.push(n);
                    }
                    after_decorator = true;
                } else if STARTS.contains(&kind) {
                    if !after_decorator {
                        starts.push(n);
                    }
                    after_decorator = false;
                }
            }
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() || cursor.node() == node {
                    break 'walk;
                }
            }
        }
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

    pub(crate) fn lower_statement(doc: &Document<'_>, child: Node<'_>, model: &mut Model) {
        match child.kind() {
            "parameter_declaration" => declaration(doc, child, model, true),
            "variable_declaration" => declaration(doc, child, model, false),
            "resource_declaration" => resource(doc, child, None, model, 0),
            _ => {}
        }
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
                "ERROR" => lower_statements(doc, child, model, depth + 1),
                _ => lower_statement(doc, child, model),
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
        // A full type starts with a namespace (`Microsoft.Web/...`: namespaces have a dot);
        // anything else nested in a parent is relative to it (`slots`, `gateways/x`).
        let relative = !short.split('/').next().unwrap_or("").contains('.');
        let ty = match parent_ty {
            Some(p) if relative => format!("{p}/{short}"),
            _ => short,
        };
        // Only bodies some rule looks at are lowered: most resources are of other types.
        let object = if crate::rules::is_relevant(&ty) {
            lower_object(doc, body, 0)
        } else {
            Object {
                range: body.byte_range(),
                props: Vec::new(),
                incomplete: false,
            }
        };
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
        model.resources.push(Resource {
            ty,
            type_range: type_node.byte_range(),
            api_version: api,
            body: object,
            scope: 0,
            existing,
            decl_start: node.start_byte(),
        });
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
        // A multi-line string (`'''`, `$'''`) drops the line break right after its opening quotes.
        if text(doc, node).trim_start_matches('$').starts_with("'''")
            && let Some(rest) = out.strip_prefix("\r\n").or_else(|| out.strip_prefix('\n'))
        {
            return Some(rest.to_owned());
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
            "array" => match array_items(doc, node, depth) {
                Some(items) => array(node, items),
                None => ValueKind::Expr,
            },
            _ => ValueKind::Expr,
        };
        Value { range, kind }
    }

    pub(crate) fn lower_object(doc: &Document<'_>, node: Node<'_>, depth: usize) -> Object {
        let mut props = Vec::new();
        let mut incomplete = node.has_error();
        if depth <= MAX_DEPTH {
            for member in children(node) {
                match member.kind() {
                    "object_property" => props.extend(property(doc, member, depth)),
                    "spread_expression" => match spread_operand(member) {
                        // `...{ a: 1 }`: its keys, in order (a later key wins).
                        Some(inner) if inner.kind() == "object" => {
                            let spread = lower_object(doc, inner, depth + 1);
                            incomplete |= spread.incomplete;
                            props.extend(spread.props);
                        }
                        // An unknown object may set any key: the keys before it are
                        // undecidable, those after it still decide.
                        _ => {
                            for p in &mut props {
                                p.value.kind = ValueKind::Expr;
                            }
                            incomplete = true;
                        }
                    },
                    _ => {} // decorators, nested resource declarations
                }
            }
        }
        Object {
            range: node.byte_range(),
            props,
            incomplete,
        }
    }

    fn property(doc: &Document<'_>, prop: Node<'_>, depth: usize) -> Option<Property> {
        let mut named = children(prop);
        let key_node = named.next()?;
        let key = match key_node.kind() {
            "identifier" => text(doc, key_node).to_owned(),
            "string" => literal_string(doc, key_node)?,
            _ => return None, // a nested resource declaration
        };
        let value_node = named.next()?;
        Some(Property {
            key,
            key_range: key_node.byte_range(),
            range: prop.start_byte()..value_node.end_byte(),
            value: lower_value(doc, value_node, depth + 1),
        })
    }

    /// The operand of `...x`, through parentheses: `...({ a: 1 })` spreads an object.
    fn spread_operand(spread: Node<'_>) -> Option<Node<'_>> {
        let mut operand = children(spread).next()?;
        while operand.kind() == "parenthesized_expression" {
            operand = children(operand).next()?;
        }
        Some(operand)
    }

    /// An array's items: spreads of array literals contribute their items; a spread of
    /// anything else makes the array unknown (`None`).
    fn array_items(doc: &Document<'_>, node: Node<'_>, depth: usize) -> Option<Vec<Value>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut items = Vec::new();
        for item in children(node).filter(|c| c.kind() != "decorators") {
            if item.kind() != "spread_expression" {
                items.push(lower_value(doc, item, depth + 1));
                continue;
            }
            let inner = spread_operand(item).filter(|n| n.kind() == "array")?;
            items.extend(array_items(doc, inner, depth + 1)?);
        }
        Some(items)
    }
}

pub(crate) mod json {
    use super::*;

    pub(crate) fn lower_file(doc: &Document<'_>, model: &mut Model) {
        let root = doc.tree.root_node();
        let Some(obj) = children(root).find(|c| c.kind() == "object") else {
            return;
        };
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
        let values =
            member_object(doc, props, "parameters").map(|p| lower_object(doc, p, depth + 1));
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
        if let Some(vars) = member_object(doc, template, "variables") {
            for v in lower_object(doc, vars, depth + 1).props {
                symbols.vars.push((
                    v.key,
                    Definition {
                        value: v.value,
                        scope,
                    },
                ));
            }
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
            .then(|| string(doc, type_node).map(arm_string))
            .flatten()
        else {
            return;
        };
        // A full type starts with a namespace (`Microsoft.Web/...`: namespaces have a dot);
        // anything else nested in a parent is relative to it (`slots`, `gateways/x`).
        let relative = !short.split('/').next().unwrap_or("").contains('.');
        let ty = match parent_ty {
            Some(p) if relative => format!("{p}/{short}"),
            _ => short,
        };
        // An expression (`[parameters('v')]`) is no version.
        let api_version = member(doc, obj, "apiVersion")
            .and_then(|n| string(doc, n))
            .and_then(|s| match arm_string(s) {
                ValueKind::Str(v) => Some(v),
                _ => None,
            });
        let existing = member(doc, obj, "existing").is_some_and(|n| n.kind() == "true");
        if let Some(children) = member(doc, obj, "resources") {
            lower_resources(doc, children, Some(&ty), scope, model, depth + 1);
        }
        if ty.eq_ignore_ascii_case("Microsoft.Resources/deployments")
            && let Some((template, inner)) = deployment_scope(doc, obj, scope, model, depth)
            && let Some(res) = member(doc, template, "resources")
        {
            for item in resource_items(res) {
                lower_resource(doc, item, None, inner, model, depth + 2);
            }
        }
        let body = if crate::rules::is_relevant(&ty) {
            lower_object(doc, obj, depth + 1)
        } else {
            Object {
                range: obj.byte_range(),
                props: Vec::new(),
                incomplete: false,
            }
        };
        model.resources.push(Resource {
            ty,
            type_range: type_node.byte_range(),
            api_version,
            body,
            scope,
            existing,
            decl_start: obj.start_byte(),
        });
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
                Some(s) => arm_string(s),
                None => ValueKind::Expr,
            },
            "true" => ValueKind::Bool(true),
            "false" => ValueKind::Bool(false),
            "number" => ValueKind::Number,
            "null" => ValueKind::Null,
            "object" => ValueKind::Object(lower_object(doc, node, depth + 1)),
            "array" => array(
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
            each_parsed(node, "pair", |pair| {
                let (Some(k), Some(v)) = (
                    pair.child_by_field_name("key"),
                    pair.child_by_field_name("value"),
                ) else {
                    return;
                };
                if k.is_missing() || v.is_missing() || v.is_error() {
                    return;
                }
                let Some(key) = string(doc, k) else { return };
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
            incomplete: node.has_error(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    /// Decodes the JSON string literal `src` as the analyzer does.
    fn decode(src: &str) -> Option<String> {
        let text = format!("{{\"k\": {src}}}");
        let tree = parse(Language::Json, &text, None)
            .into_tree()
            .expect("parsed in time");
        let doc = Document::new(Language::Json, &text, &tree);
        let value = tree
            .root_node()
            .named_child(0)?
            .named_child(0)?
            .child_by_field_name("value")?;
        json::string(&doc, value)
    }

    #[test]
    fn json_strings_decode_every_escape() {
        assert_eq!(decode(r#""plain""#).as_deref(), Some("plain"));
        assert_eq!(decode(r#""Req\u0075ired""#).as_deref(), Some("Required"));
        assert_eq!(decode(r#""a\"b\\c\/d""#).as_deref(), Some("a\"b\\c/d"));
        assert_eq!(
            decode(r#""\n\r\t\b\f""#).as_deref(),
            Some("\n\r\t\u{8}\u{c}")
        );
        // A surrogate pair is one character; a lone surrogate is U+FFFD.
        assert_eq!(decode(r#""\ud834\udd1e""#).as_deref(), Some("𝄞"));
        assert_eq!(decode(r#""\ud834x""#).as_deref(), Some("\u{fffd}x"));
        assert_eq!(decode(r#""\udd1e""#).as_deref(), Some("\u{fffd}"));
        // Raw line breaks inside a string are accepted, as Azure accepts them.
        assert_eq!(decode("\"a\nb\"").as_deref(), Some("a\nb"));
        assert_eq!(decode(r#""""#).as_deref(), Some(""));
    }

    /// The resource types `lower` finds in a Bicep text, in order of their declarations.
    fn bicep_resources(text: &str) -> Vec<String> {
        let tree = parse(Language::Bicep, text, None)
            .into_tree()
            .expect("parsed in time");
        let doc = Document::new(Language::Bicep, text, &tree);
        let mut resources = lower(&doc).resources;
        resources.sort_by_key(|r| r.decl_start);
        resources.into_iter().map(|r| r.ty).collect()
    }

    const TWO: &str = "resource a 'A.B/c@1' = {\n  name: 'a'\n}\n\n@description('b')\n@batchSize(1)\nresource b 'A.B/d@1' = {\n  name: 'b'\n}\n";

    #[test]
    fn an_unclosed_object_does_not_swallow_the_declarations_after_it() {
        // As a person types `var x = {` above the resources: without isolation both
        // resources would be properties of the unclosed object.
        let text = format!("var x = {{\n  a: 1\n\n{TWO}");
        assert_eq!(bicep_resources(&text), ["A.B/c", "A.B/d"]);
        let text = format!("var x = [\n\n{TWO}");
        assert_eq!(bicep_resources(&text), ["A.B/c", "A.B/d"]);
    }

    #[test]
    fn an_incomplete_line_costs_only_itself() {
        // What a person has typed halfway; error recovery may carry it into the next
        // declaration (an unclosed string runs on over the line break).
        for line in [
            "var a =",
            "var b = foo.",
            "param p string =",
            "var c = 1 +",
            "var g = true ?",
            "var l = map([1], i =>",
            "var f = concat(",
            "var s = 'abc",
            "var t = 'a ${x",
            "param q string = 'what\\'s up",
        ] {
            let text = format!("{line}\n\n{TWO}");
            assert_eq!(bicep_resources(&text), ["A.B/c", "A.B/d"], "after {line:?}");
        }
    }

    #[test]
    fn garbage_costs_only_its_own_declaration() {
        let text = format!("bad ~ ]]\nresource broken 'A.B/x@1' = {{\n  name: )\n}}\n{TWO}");
        assert_eq!(bicep_resources(&text), ["A.B/x", "A.B/c", "A.B/d"]);
    }

    #[test]
    fn isolation_follows_tokens_not_text() {
        // A `resource` line inside a multi-line string is text, not a declaration, even
        // when the declaration holding the string is broken.
        let text = format!("var s = '''\nresource fake 'A.B/fake@1' = {{}}\n''' ~\n{TWO}");
        assert_eq!(bicep_resources(&text), ["A.B/c", "A.B/d"]);
        // Nested resources stay nested (their keyword is indented).
        let nested = "var x = {\nresource p 'A.B/p@1' = {\n  resource c 'kids@1' = {\n    name: 'c'\n  }\n}\n";
        assert_eq!(bicep_resources(nested), ["A.B/p", "A.B/p/kids"]);
    }

    #[test]
    fn malformed_json_strings_are_not_literals() {
        assert_eq!(decode(r#""\u00zz""#), None);
        assert_eq!(decode(r#""\u+041""#), None);
        assert_eq!(decode(r#""unterminated"#), None);
    }
}
