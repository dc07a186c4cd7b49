//! ARM template expressions (`"[if(parameters('x'), 'a', 'b')]"`), lowered to the same
//! [`Value`] form as Bicep expressions. Every part gets the range of the JSON string
//! holding the expression: no finding or fix points inside one.

use std::ops::Range;

use super::MAX_DEPTH;
use crate::model::{SymbolRef, Value, ValueKind};

/// The value of an expression `src` (the text between `[` and `]`).
pub(super) fn lower(src: &str, range: Range<usize>) -> Value {
    let mut p = Parser {
        src: src.as_bytes(),
        text: src,
        at: 0,
        range: range.clone(),
    };
    let kind = match p.expr(0) {
        Some(v) if p.skip_ws_at_end() => return v,
        _ => ValueKind::Expr("text that did not parse"),
    };
    Value { range, kind }
}

struct Parser<'s> {
    src: &'s [u8],
    text: &'s str,
    at: usize,
    range: Range<usize>,
}

impl Parser<'_> {
    fn value(&self, kind: ValueKind) -> Value {
        Value {
            range: self.range.clone(),
            kind,
        }
    }

    fn ws(&mut self) {
        while self.src.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn skip_ws_at_end(&mut self) -> bool {
        self.ws();
        self.at == self.src.len()
    }

    fn eat(&mut self, b: u8) -> bool {
        self.ws();
        if self.src.get(self.at) == Some(&b) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Option<&str> {
        self.ws();
        let start = self.at;
        while self
            .src
            .get(self.at)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$')
        {
            self.at += 1;
        }
        (self.at > start && !self.src[start].is_ascii_digit()).then(|| &self.text[start..self.at])
    }

    fn expr(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut v = self.primary(depth)?;
        loop {
            if self.eat(b'.') {
                let safe = self.eat(b'?');
                let name = self.ident()?.to_owned();
                v = self.value(ValueKind::Member {
                    of: Box::new(v),
                    key: Box::new(self.value(ValueKind::Str(name))),
                    safe,
                });
            } else if self.eat(b'[') {
                let key = self.expr(depth + 1)?;
                if !self.eat(b']') {
                    return None;
                }
                v = self.value(ValueKind::Member {
                    of: Box::new(v),
                    key: Box::new(key),
                    safe: false,
                });
            } else {
                return Some(v);
            }
        }
    }

    fn primary(&mut self, depth: usize) -> Option<Value> {
        self.ws();
        match *self.src.get(self.at)? {
            b'\'' => {
                self.at += 1;
                let mut s = String::new();
                loop {
                    let rest = &self.text[self.at..];
                    let i = rest.find('\'')?;
                    s.push_str(&rest[..i]);
                    self.at += i + 1;
                    // `''` is a quote inside the string.
                    if self.src.get(self.at) == Some(&b'\'') {
                        s.push('\'');
                        self.at += 1;
                    } else {
                        return Some(self.value(ValueKind::Str(s)));
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = self.at;
                self.at += 1;
                while self.src.get(self.at).is_some_and(u8::is_ascii_digit) {
                    self.at += 1;
                }
                let kind = self.text[start..self.at]
                    .parse()
                    .map_or(ValueKind::Number, ValueKind::Int);
                Some(self.value(kind))
            }
            _ => {
                let mut name = self.ident()?.to_owned();
                // A user-defined function: `namespace.name(...)`.
                let save = self.at;
                let mut namespaced = false;
                if self.eat(b'.')
                    && let Some(member) = self.ident().map(str::to_owned)
                    && self.eat(b'(')
                {
                    name = format!("{name}.{member}");
                    namespaced = true;
                    self.at -= 1;
                } else {
                    self.at = save;
                }
                if !self.eat(b'(') {
                    return Some(self.value(match name.to_ascii_lowercase().as_str() {
                        "true" => ValueKind::Bool(true),
                        "false" => ValueKind::Bool(false),
                        "null" => ValueKind::Null,
                        _ => return None,
                    }));
                }
                let mut args = Vec::new();
                if !self.eat(b')') {
                    loop {
                        args.push(self.expr(depth + 1)?);
                        if self.eat(b')') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                if namespaced {
                    return Some(self.value(ValueKind::Expr("a user-defined function")));
                }
                Some(self.value(reference(&name, &args).unwrap_or(ValueKind::Call { name, args })))
            }
        }
    }
}

/// `parameters('x')` / `variables('x')` with a literal name: a reference.
fn reference(name: &str, args: &[Value]) -> Option<ValueKind> {
    let [
        Value {
            kind: ValueKind::Str(n),
            ..
        },
    ] = args
    else {
        return None;
    };
    if name.eq_ignore_ascii_case("parameters") {
        Some(ValueKind::Ref(SymbolRef::Param(n.clone())))
    } else if name.eq_ignore_ascii_case("variables") {
        Some(ValueKind::Ref(SymbolRef::Var(n.clone())))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(v: &Value) -> String {
        match &v.kind {
            ValueKind::Str(s) => format!("'{s}'"),
            ValueKind::Int(i) => i.to_string(),
            ValueKind::Bool(b) => b.to_string(),
            ValueKind::Null => "null".into(),
            ValueKind::Ref(SymbolRef::Param(p)) => format!("param:{p}"),
            ValueKind::Ref(SymbolRef::Var(p)) => format!("var:{p}"),
            ValueKind::Member { of, key, safe } => {
                format!(
                    "{}{}[{}]",
                    show(of),
                    if *safe { "?" } else { "" },
                    show(key)
                )
            }
            ValueKind::Call { name, args } => format!(
                "{name}({})",
                args.iter().map(show).collect::<Vec<_>>().join(", ")
            ),
            ValueKind::Expr(what) => format!("<{what}>"),
            other => format!("{other:?}"),
        }
    }

    fn parse(src: &str) -> String {
        show(&lower(src, 0..0))
    }

    #[test]
    fn expressions() {
        assert_eq!(parse("parameters('x')"), "param:x");
        assert_eq!(parse(" Variables( 'y' ) "), "var:y");
        assert_eq!(
            parse("if(equals(parameters('a'), 'it''s'), true, false)"),
            "if(equals(param:a, 'it's'), true, false)"
        );
        assert_eq!(parse("parameters('o').b[0]['c']"), "param:o['b'][0]['c']");
        assert_eq!(parse("parameters('o').?b"), "param:o?['b']");
        assert_eq!(parse("createArray(1, -2)"), "createArray(1, -2)");
        assert_eq!(parse("true()"), "true()");
        assert_eq!(parse("ns.fn(1)"), "<a user-defined function>");
        assert_eq!(
            parse("resourceGroup().location"),
            "resourceGroup()['location']"
        );
        for bad in [
            "",
            "f(",
            "'open",
            "f(1,)",
            "parameters('x')) ",
            "a b",
            "[0]",
        ] {
            assert_eq!(parse(bad), "<text that did not parse>", "{bad:?}");
        }
    }
}
