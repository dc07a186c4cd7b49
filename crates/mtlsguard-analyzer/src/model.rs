//! One resource model for both languages: rules are written once against it.

use std::ops::Range;

/// A value as written, with the byte range of its source text: a literal, or an
/// expression for [`crate::eval`] to evaluate.
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
    /// An integer (Bicep and ARM numbers that fit an `i64`).
    Int(i64),
    /// Any other number: known to be a number, its value not kept.
    Number,
    Null,
    Object(Object),
    /// Elements in order; an element may be a [`ValueKind::Spread`].
    Array(Vec<Value>),
    /// `...x` inside an array.
    Spread(Box<Value>),
    /// A name: a parameter, variable, loop variable or resource.
    Ref(SymbolRef),
    /// `a.b`, `a.?b`, `a['b']`, `a[0]`, `a[?0]` (ARM: `.b`, `['b']`, `[0]`).
    Member {
        of: Box<Value>,
        key: Box<Value>,
        /// `.?` / `[?`: a missing key is `null`, not an error.
        safe: bool,
    },
    /// A function call (`union(a, b)`, ARM `[union(...)]`); `name` as written (ARM and
    /// Bicep namespaces like `sys.` are dropped).
    Call {
        name: String,
        args: Vec<Value>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Value>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Value>,
        right: Box<Value>,
    },
    Ternary {
        cond: Box<Value>,
        then: Box<Value>,
        otherwise: Box<Value>,
    },
    /// An interpolated string: literal segments ([`ValueKind::Str`]) and expressions.
    Interpolation(Vec<Value>),
    /// Anything else (a lambda, a `for` expression, text that did not parse): never
    /// known. The reason is what `check --statistics` counts.
    Expr(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Minus,
    /// `x!`: asserts non-null; the value is `x`'s.
    NonNull,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    And,
    Or,
    Eq,
    NotEq,
    /// `=~`: case-insensitive equality.
    EqI,
    NotEqI,
    Coalesce,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SymbolRef {
    Param(String),
    Var(String),
    /// A Bicep identifier: a loop variable, param, var or resource, whichever exists.
    Ident(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// From `{` through `}`.
    pub range: Range<usize>,
    pub props: Vec<Property>,
    /// `...x` members (a later key wins, so their place among `props` matters).
    pub spreads: Vec<Spread>,
    /// Some text inside did not parse: keys may exist that `props` does not show, so a
    /// property's absence proves nothing.
    pub incomplete: bool,
}

/// `...x` in an object literal.
#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    /// How many of the object's `props` are written before it.
    pub at: usize,
    /// `...x` itself.
    pub range: Range<usize>,
    pub value: Value,
}

/// [`ValueKind::Expr`] of a param that has neither a default nor a caller.
pub const NO_DEFAULT: &str = "a param without default";
/// [`ValueKind::Expr`] of a nullable param without default: `null`, written nowhere.
pub const IMPLICIT_NULL: &str = "a nullable param without default";
/// [`ValueKind::Expr`] of a param supplied in a way that cannot be read.
pub const SUPPLIED: &str = "a param supplied from elsewhere";

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
}

impl Value {
    pub fn as_object(&self) -> Option<&Object> {
        match &self.kind {
            ValueKind::Object(o) => Some(o),
            _ => None,
        }
    }
}

/// `[for (item, index) in source: ...]` over a resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Loop {
    pub item: Option<String>,
    pub index: Option<String>,
    /// An array (Bicep), or the number of copies (ARM `copy.count`).
    pub source: Value,
    /// ARM `copy.name`, which `copyIndex('name')` names.
    pub name: Option<String>,
}

/// The binding `copyIndex()` reads: no identifier can be spelled like it.
pub const COPY_INDEX: &str = "copyIndex()";
/// The binding of the resource's `copy.name`, for `copyIndex('name')`.
pub const COPY_NAME: &str = "copy.name";

/// Loop elements checked one by one at most; a longer loop is checked once, with its
/// element unknown (a `count` of a million must not mean a million checks).
pub const MAX_LOOP_ELEMENTS: usize = 256;

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
    /// Bicep `if (...)` / ARM `condition`: a condition known to be false deploys nothing.
    pub condition: Option<Value>,
    /// Bicep `[for ...]`: each element of a known source array is its own resource.
    pub each: Option<Loop>,
}

impl Resource {
    pub fn is_type(&self, ty: &str) -> bool {
        self.ty.eq_ignore_ascii_case(ty)
    }
}

/// A resolvable definition: a param default or a var value.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// `param` or `var` (in messages: `param mode, line 3`).
    pub what: &'static str,
    /// A Bicep param typed by a user-defined type (`param pe privateEndpointType`): a
    /// nullable one makes the param without default `null`.
    pub type_alias: Option<String>,
    pub name: String,
    /// Where the definition's name is written (related locations point here).
    pub name_range: Range<usize>,
    /// The default or the var's value; a nullable param without default is a `null`
    /// over its name.
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
    /// Bicep resource symbols: their `id` is a non-empty string.
    pub resources: Vec<String>,
    /// Bicep user-defined types that are nullable (`type t = {...}[]?`).
    pub nullable_types: Vec<String>,
    /// ARM nested templates with outer-scope evaluation resolve in their parent scope.
    pub parent: Option<usize>,
    /// Outputs (`output x string = v`, ARM `outputs`): what a caller reads as
    /// `mod.outputs.x`.
    pub outputs: Vec<(String, Definition)>,
    /// Bicep module symbols (`mod.outputs.x` reads the called template's outputs).
    pub modules: Vec<String>,
}

/// How a file calls another template (spec section 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// A Bicep `module` statement.
    Module,
    /// A `.bicepparam` file's `using`.
    Using,
    /// An ARM parameters file (`deploymentParameters.json`), bound to its template by name.
    ParametersFile,
    /// An ARM `Microsoft.Resources/deployments` with `templateLink.relativePath`.
    Deployment,
}

/// A call of another template, which sets its params.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub kind: CallKind,
    /// The reference as written (`'./site.bicep'` unquoted, `br/public:avm/res/web/site:0.3.0`,
    /// a `relativePath`); `None` for a parameters file, which names no template.
    pub target: Option<String>,
    /// Where a finding decided by the callee's default points (spec section 5): the module
    /// path string, the `using` line, the parameters file's `parameters` key, the
    /// deployment's `relativePath` value.
    pub target_range: Range<usize>,
    /// The params it sets, by name: the module's `params` object; the `.bicepparam`
    /// `param` lines (each property is the whole line); the parameters file's entries
    /// (each property is the whole entry, its value the entry's `value`; a Key Vault
    /// `reference` is [`SUPPLIED`]). `None` when they are not an object literal
    /// (`params: union(a, b)`): every param is then unknown.
    pub params: Option<Object>,
    /// Evaluated as a value when `params` is `None` but something is written (an ARM
    /// `parametersLink` is [`SUPPLIED`]). Both `None`: nothing sets the params (a module
    /// without `params`), so the callee's defaults apply.
    pub params_value: Option<Value>,
    /// The scope the params are evaluated in.
    pub scope: usize,
    /// `if (...)`: a call known false is no call.
    pub condition: Option<Value>,
    /// `[for ...]`: one call per element.
    pub each: Option<Loop>,
    /// Start of the statement.
    pub decl_start: usize,
    /// The Bicep module's symbol name (`name.outputs.x`).
    pub name: Option<String>,
}

/// The whole lowered document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    pub resources: Vec<Resource>,
    pub scopes: Vec<Symbols>,
    /// The templates this file calls.
    pub calls: Vec<Call>,
}

impl Model {
    /// The definition `r` names, seen from `scope` (outer-scope ARM nested templates
    /// read their parent's symbols).
    pub fn lookup(&self, scope: usize, r: &SymbolRef) -> Option<&Definition> {
        let symbols = self.scopes.get(self.symbol_scope(scope))?;
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

impl Model {
    /// The scope whose symbols `scope` reads: outer-scope nested templates evaluate in
    /// their parent's (bounded hops: a malformed chain cannot hang).
    pub fn symbol_scope(&self, scope: usize) -> usize {
        let mut s = scope;
        for _ in 0..64 {
            match self.scopes.get(s).and_then(|x| x.parent) {
                Some(p) => s = p,
                None => break,
            }
        }
        s
    }

    /// True when `name` is a nullable user-defined type visible from `scope`.
    pub fn is_nullable_type(&self, scope: usize, name: &str) -> bool {
        self.scopes
            .get(self.symbol_scope(scope))
            .is_some_and(|s| s.nullable_types.iter().any(|t| t == name))
    }

    /// True when `name` is a Bicep resource symbol visible from `scope`.
    pub fn is_resource(&self, scope: usize, name: &str) -> bool {
        self.scopes
            .get(self.symbol_scope(scope))
            .is_some_and(|s| s.resources.iter().any(|r| r == name))
    }
}
