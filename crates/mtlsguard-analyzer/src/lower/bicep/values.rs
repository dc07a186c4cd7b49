//! Bicep values and expressions, lowered to the [`Value`] form the evaluator reads.

use super::super::*;

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
