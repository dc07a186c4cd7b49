//! Bicep: declarations, resources and values from a tree of our Bicep grammar.

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
/// corpus's broken files this keeps 875 of the 1,250 declarations whole-file parsing
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
        if let crate::syntax::Parsed::Tree(tree) =
            crate::syntax::parse_range(doc.language, doc.text, range, points)
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
/// error recovery can leave intact declarations behind.
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
    let mut nullable = false;
    let mut seen_eq = false;
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        if child.kind() == "=" {
            seen_eq = true;
        } else if child.kind() == "identifier" && name.is_none() {
            name = Some(child);
        } else if child.kind() == "type" && !seen_eq {
            nullable = child
                .named_child(0)
                .is_some_and(|t| t.kind() == "nullable_type");
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
                ValueKind::Null
            } else {
                ValueKind::Expr(crate::model::NO_DEFAULT)
            },
        },
    };
    let name = text(doc, name_node).to_owned();
    let def = Definition {
        what: if is_param { "param" } else { "var" },
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

/// A string without interpolation, decoded; `None` for interpolated strings.
pub(crate) fn literal_string(doc: &Document<'_>, node: Node<'_>) -> Option<String> {
    let mut out = String::new();
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        match child.kind() {
            "comment" => {}
            _ => out.push_str(&literal_piece(doc, child)?),
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
    if depth > MAX_DEPTH {
        return opaque(node, "an expression nested too deeply");
    }
    if node.has_error() && node.kind() != "object" && node.kind() != "array" {
        return opaque(node, "text that did not parse");
    }
    let range = node.byte_range();
    let field = |name: &str| {
        node.child_by_field_name(name)
            .map(|n| Box::new(lower_value(doc, n, depth + 1)))
    };
    let has_token = |token: &str| {
        let mut cursor = node.walk();
        node.children(&mut cursor).any(|c| c.kind() == token)
    };
    let kind = match node.kind() {
        "string" => match literal_string(doc, node) {
            Some(s) => ValueKind::Str(s),
            None => interpolation(doc, node, depth),
        },
        "boolean" => ValueKind::Bool(text(doc, node) == "true"),
        "number" => text(doc, node)
            .parse()
            .map_or(ValueKind::Number, ValueKind::Int),
        "null" => ValueKind::Null,
        "identifier" => ValueKind::Ref(SymbolRef::Ident(text(doc, node).to_owned())),
        "object" => ValueKind::Object(lower_object(doc, node, depth + 1)),
        "array" => match array_items(doc, node, depth) {
            Some(items) => array(node, items),
            None => ValueKind::Expr("text that did not parse"),
        },
        "parenthesized_expression" => match children(node).next() {
            Some(inner) => return lower_value(doc, inner, depth + 1),
            None => ValueKind::Expr("text that did not parse"),
        },
        "member_expression" => match (field("object"), node.child_by_field_name("property")) {
            (Some(of), Some(p)) => ValueKind::Member {
                of,
                key: Box::new(Value {
                    range: p.byte_range(),
                    kind: ValueKind::Str(text(doc, p).to_owned()),
                }),
                safe: has_token(".?"),
            },
            _ => ValueKind::Expr("text that did not parse"),
        },
        "subscript_expression" if has_token("^") => ValueKind::Expr("an index from the end"),
        "subscript_expression" => match (field("object"), field("index")) {
            (Some(of), Some(key)) => ValueKind::Member {
                of,
                key,
                safe: has_token("?"),
            },
            _ => ValueKind::Expr("text that did not parse"),
        },
        "call_expression" => call(doc, node, depth),
        "unary_expression" => match field("argument") {
            Some(operand) => ValueKind::Unary {
                op: if has_token("!") {
                    UnaryOp::Not
                } else {
                    UnaryOp::Minus
                },
                operand,
            },
            None => ValueKind::Expr("text that did not parse"),
        },
        "non_null_expression" => match field("argument") {
            Some(operand) => ValueKind::Unary {
                op: UnaryOp::NonNull,
                operand,
            },
            None => ValueKind::Expr("text that did not parse"),
        },
        "binary_expression" => {
            let op = node
                .child_by_field_name("operator")
                .and_then(|o| binary_op(o.kind()));
            match (op, field("left"), field("right")) {
                (Some(op), Some(left), Some(right)) => ValueKind::Binary { op, left, right },
                _ => ValueKind::Expr("text that did not parse"),
            }
        }
        "ternary_expression" => match (
            field("condition"),
            field("consequence"),
            field("alternative"),
        ) {
            (Some(cond), Some(then), Some(otherwise)) => ValueKind::Ternary {
                cond,
                then,
                otherwise,
            },
            _ => ValueKind::Expr("text that did not parse"),
        },
        "for_statement" => ValueKind::Expr("a for expression"),
        "lambda_expression" => ValueKind::Expr("a lambda"),
        "resource_expression" => ValueKind::Expr("a nested resource reference"),
        _ => ValueKind::Expr("an expression"),
    };
    Value { range, kind }
}

fn opaque(node: Node<'_>, what: &'static str) -> Value {
    Value {
        range: node.byte_range(),
        kind: ValueKind::Expr(what),
    }
}

fn binary_op(token: &str) -> Option<BinaryOp> {
    Some(match token {
        "&&" => BinaryOp::And,
        "||" => BinaryOp::Or,
        "==" => BinaryOp::Eq,
        "!=" => BinaryOp::NotEq,
        "=~" => BinaryOp::EqI,
        "!~" => BinaryOp::NotEqI,
        "??" => BinaryOp::Coalesce,
        "<" => BinaryOp::Lt,
        "<=" => BinaryOp::LtEq,
        ">" => BinaryOp::Gt,
        ">=" => BinaryOp::GtEq,
        "+" => BinaryOp::Add,
        "-" => BinaryOp::Sub,
        "*" => BinaryOp::Mul,
        "/" => BinaryOp::Div,
        "%" => BinaryOp::Mod,
        _ => return None,
    })
}

/// `f(...)`, `sys.f(...)`, `az.f(...)`: a function of Bicep's own namespaces. Other
/// namespaces (imported or user-defined functions) are not evaluated.
fn call(doc: &Document<'_>, node: Node<'_>, depth: usize) -> ValueKind {
    let Some(function) = node.child_by_field_name("function") else {
        return ValueKind::Expr("text that did not parse");
    };
    let name = match function.kind() {
        "identifier" => text(doc, function).to_owned(),
        "member_expression" => {
            let ns = function.child_by_field_name("object").map(|n| text(doc, n));
            match (ns, function.child_by_field_name("property")) {
                (Some("sys" | "az"), Some(p)) => text(doc, p).to_owned(),
                _ => return ValueKind::Expr("a function of another namespace"),
            }
        }
        _ => return ValueKind::Expr("an expression"),
    };
    let args = node
        .child_by_field_name("arguments")
        .map(|a| {
            children(a)
                .map(|arg| lower_value(doc, arg, depth + 1))
                .collect()
        })
        .unwrap_or_default();
    ValueKind::Call { name, args }
}

/// A string's content or escape sequence, decoded; `None` for anything else.
fn literal_piece(doc: &Document<'_>, child: Node<'_>) -> Option<String> {
    let raw = text(doc, child);
    match child.kind() {
        "string_content" | "multiline_string_content" => Some(raw.to_owned()),
        "escape_sequence" => Some(match raw {
            "\\n" => "\n".into(),
            "\\r" => "\r".into(),
            "\\t" => "\t".into(),
            "\\\\" => "\\".into(),
            "\\'" => "'".into(),
            "\\$" => "$".into(),
            _ => {
                let hex = raw.trim_start_matches("\\u{").trim_end_matches('}');
                char::from_u32(u32::from_str_radix(hex, 16).ok()?)?.to_string()
            }
        }),
        _ => None,
    }
}

/// An interpolated string's segments and expressions, in order.
fn interpolation(doc: &Document<'_>, node: Node<'_>, depth: usize) -> ValueKind {
    let mut parts = Vec::new();
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        match child.kind() {
            "interpolation" => match children(child).next() {
                Some(e) => parts.push(lower_value(doc, e, depth + 1)),
                None => return ValueKind::Expr("text that did not parse"),
            },
            "comment" => {}
            _ => {
                // Content and escapes decode as a string of their own.
                let Some(s) = literal_piece(doc, child) else {
                    return ValueKind::Expr("text that did not parse");
                };
                parts.push(Value {
                    range: child.byte_range(),
                    kind: ValueKind::Str(s),
                });
            }
        }
    }
    ValueKind::Interpolation(parts)
}

pub(crate) fn lower_object(doc: &Document<'_>, node: Node<'_>, depth: usize) -> Object {
    let mut props = Vec::new();
    let mut spreads = Vec::new();
    let mut incomplete = node.has_error();
    if depth <= MAX_DEPTH {
        for member in children(node) {
            match member.kind() {
                "object_property" => props.extend(property(doc, member, depth)),
                "spread_expression" => match spread_operand(member) {
                    Some(inner) => spreads.push(Spread {
                        at: props.len(),
                        range: member.byte_range(),
                        value: lower_value(doc, inner, depth + 1),
                    }),
                    None => incomplete = true,
                },
                _ => {} // decorators, nested resource declarations
            }
        }
    }
    Object {
        range: node.byte_range(),
        props,
        spreads,
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

/// An array's items; `...x` is a [`ValueKind::Spread`] item.
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
        let inner = spread_operand(item)?;
        items.push(Value {
            range: item.byte_range(),
            kind: ValueKind::Spread(Box::new(lower_value(doc, inner, depth + 1))),
        });
    }
    Some(items)
}
