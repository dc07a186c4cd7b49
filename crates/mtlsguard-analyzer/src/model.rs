//! One resource model for both languages: rules are written once against it.

use std::ops::Range;

/// A value with the byte range of its source text.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub range: Range<usize>,
    pub kind: ValueKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    /// A literal string (Bicep without interpolation; ARM not starting with `[`).
    Str(String),
    Bool(bool),
    Number,
    Null,
    Object(Object),
    Array(Vec<Value>),
    /// A reference to a parameter or variable, resolved through [`Symbols`].
    Ref(SymbolRef),
    /// Any other expression: never decides a finding.
    Expr,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SymbolRef {
    Param(String),
    Var(String),
    /// A Bicep identifier: a param or a var, whichever exists.
    Ident(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// From `{` through `}`.
    pub range: Range<usize>,
    pub props: Vec<Property>,
    /// Keys may exist that `props` does not show: some text inside did not parse, or a
    /// spread of an unknown object may set any key. Then a property's absence from
    /// `props` proves nothing: no "missing" finding may rest on this object.
    pub incomplete: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub key: String,
    pub key_range: Range<usize>,
    /// Key through value: `clientCertMode: 'Optional'`.
    pub range: Range<usize>,
    pub value: Value,
}

impl Object {
    /// The property named exactly `key` (property names are case-sensitive; the last
    /// duplicate wins, as in ARM).
    pub fn get(&self, key: &str) -> Option<&Property> {
        self.props.iter().rev().find(|p| p.key == key)
    }

    pub fn get_object(&self, key: &str) -> Option<(&Property, &Object)> {
        let p = self.get(key)?;
        match &p.value.kind {
            ValueKind::Object(o) => Some((p, o)),
            _ => None,
        }
    }
}

impl Value {
    pub fn as_object(&self) -> Option<&Object> {
        match &self.kind {
            ValueKind::Object(o) => Some(o),
            _ => None,
        }
    }
}

/// A resource to check.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Full type, e.g. `Microsoft.Web/sites/slots` (as written; compare case-insensitively).
    pub ty: String,
    /// The type string: `'Microsoft.Web/sites@2022-03-01'` or the value of `"type"`.
    pub type_range: Range<usize>,
    pub api_version: Option<String>,
    /// The resource body (Bicep: the declaration's object; ARM: the resource object).
    pub body: Object,
    /// Index of the symbol scope (ARM nested templates have their own parameters).
    pub scope: usize,
    /// `existing` resources are modelled (their children count) but never checked.
    pub existing: bool,
    /// Start of the declaration (Bicep `resource` keyword; ARM resource object).
    pub decl_start: usize,
}

impl Resource {
    pub fn is_type(&self, ty: &str) -> bool {
        self.ty.eq_ignore_ascii_case(ty)
    }

    pub fn properties(&self) -> Option<(&Property, &Object)> {
        self.body.get_object("properties")
    }
}

/// A resolvable definition: a param default or a var value.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub value: Value,
    /// The scope `value` is evaluated in: where it is written, which for a value an
    /// inner-scope deployment passes to its template is the deploying template.
    pub scope: usize,
}

/// Parameters and variables of one template (Bicep file or ARM template scope).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Symbols {
    pub params: Vec<(String, Definition)>,
    pub vars: Vec<(String, Definition)>,
    /// ARM nested templates with outer-scope evaluation resolve in their parent scope.
    pub parent: Option<usize>,
}

/// The whole lowered document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    pub resources: Vec<Resource>,
    pub scopes: Vec<Symbols>,
}

/// A literal reached from a property value, possibly through params/vars.
pub struct Resolved<'m> {
    pub value: &'m Value,
    /// Where the literal was defined when it came through a param/var.
    pub via: Option<Range<usize>>,
}

impl Model {
    /// Follows params/vars (a few hops at most, so cycles cannot hang) to a literal.
    pub fn resolve<'m>(&'m self, scope: usize, value: &'m Value) -> Resolved<'m> {
        let mut current = value;
        let mut via = None;
        let mut scope = scope;
        for _ in 0..8 {
            let ValueKind::Ref(r) = &current.kind else {
                break;
            };
            let Some(def) = self.lookup(scope, r) else {
                return Resolved {
                    value: current,
                    via,
                };
            };
            current = &def.value;
            via = Some(def.value.range.clone());
            scope = def.scope;
        }
        Resolved {
            value: current,
            via,
        }
    }

    fn lookup(&self, scope: usize, r: &SymbolRef) -> Option<&Definition> {
        let mut s = scope;
        // Outer-scope nested templates evaluate in their parent's scope; bounded hops.
        for _ in 0..64 {
            match self.scopes.get(s)?.parent {
                Some(p) => s = p,
                None => break,
            }
        }
        let symbols = self.scopes.get(s)?;
        // ARM names are case-insensitive; Bicep identifiers are not.
        fn find<'d>(
            list: &'d [(String, Definition)],
            name: &str,
            exact: bool,
        ) -> Option<&'d Definition> {
            list.iter()
                .rev()
                .find(|(k, _)| {
                    if exact {
                        k == name
                    } else {
                        k.eq_ignore_ascii_case(name)
                    }
                })
                .map(|(_, d)| d)
        }
        match r {
            SymbolRef::Param(n) => find(&symbols.params, n, false),
            SymbolRef::Var(n) => find(&symbols.vars, n, false),
            SymbolRef::Ident(n) => {
                find(&symbols.params, n, true).or_else(|| find(&symbols.vars, n, true))
            }
        }
    }
}
