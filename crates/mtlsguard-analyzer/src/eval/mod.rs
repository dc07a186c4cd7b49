//! The evaluator (spec section 3): Bicep and ARM expressions, lowered to one
//! [`Value`] form, evaluated as a deployment would evaluate them wherever every input is
//! known. Never a guess: any unknown input makes the result unknown, with the reason.
//!
//! It sees hostile input (deep nesting, huge arrays, definitions that refer to
//! themselves): recursion through definitions is bounded by [`MAX_HOPS`], and every
//! evaluation step counts against a budget, after which values are unknown.

mod functions;
mod value;

pub use value::{Entry, Kind, Lookup, Obj, Step, Val, Why, foreign_file, local_range};

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use crate::model::{
    BinaryOp, Definition, IMPLICIT_NULL, Model, NO_DEFAULT, SUPPLIED, Spread, SymbolRef, UnaryOp,
    Value, ValueKind,
};

/// Definitions followed inside one another at most (`var a = b`, `var b = c`, ...).
const MAX_HOPS: usize = 64;
/// Evaluation steps per evaluator (one per resource check): plenty for real templates,
/// bounded for `var a = [a, a]`-style blow-ups.
const BUDGET: usize = 200_000;

/// Loop variables in force: `(name, value)`, innermost last.
pub type Bindings<'m> = [(&'m str, Val<'m>)];

/// What a caller supplies to the template being evaluated (spec section 8).
#[derive(Debug, Default)]
pub struct Bound<'m> {
    /// The top-level params it sets: name, value (ranges moved to the caller's file:
    /// [`Val::moved_to_file`]), and the entry that sets it (likewise moved).
    pub params: Vec<(Rc<str>, Val<'m>, std::ops::Range<usize>)>,
    /// When set, a param the caller does not set is unknown for this reason rather than
    /// its default (a module's outputs, read without knowing its call's params).
    pub unset: Option<Why>,
    /// What module symbols evaluate to: `{ outputs: { ... } }`.
    pub modules: Vec<(Rc<str>, Val<'m>)>,
}

impl<'m> Bound<'m> {
    fn param(&self, name: &str) -> Option<&(Rc<str>, Val<'m>, std::ops::Range<usize>)> {
        // Bicep names are exact; ARM's are case-insensitive: an exact match first.
        self.params.iter().find(|(k, ..)| **k == *name).or_else(|| {
            self.params
                .iter()
                .find(|(k, ..)| k.eq_ignore_ascii_case(name))
        })
    }
}

/// Evaluates values of one model; caches each definition's value.
pub struct Eval<'m> {
    model: &'m Model,
    bound: Option<Rc<Bound<'m>>>,
    steps: Cell<usize>,
    hops: Cell<usize>,
    active: RefCell<Vec<*const Definition>>,
    cache: RefCell<HashMap<*const Definition, Val<'m>>>,
}

impl<'m> Eval<'m> {
    pub fn new(model: &'m Model) -> Eval<'m> {
        Eval {
            model,
            bound: None,
            steps: Cell::new(0),
            hops: Cell::new(0),
            active: RefCell::default(),
            cache: RefCell::default(),
        }
    }

    /// Evaluates `model` as called with `bound`.
    pub fn bound(model: &'m Model, bound: Rc<Bound<'m>>) -> Eval<'m> {
        Eval {
            bound: Some(bound),
            ..Eval::new(model)
        }
    }

    /// Counts `n` units of work (elements or bytes a value is built of) against the
    /// budget: false once it is spent, and the value being built is then unknown.
    fn charge(&self, n: usize) -> bool {
        let steps = self.steps.get().saturating_add(n);
        self.steps.set(steps);
        steps <= BUDGET
    }

    /// The value of `v`, written in `scope`, with loop variables `env`.
    pub fn eval(&self, v: &'m Value, scope: usize, env: &Bindings<'m>) -> Val<'m> {
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        if steps > BUDGET {
            return Val::unknown(Why::Limit);
        }
        let literal = |kind| Val {
            kind,
            written: Some(v.range.clone()),
            via: Rc::default(),
        };
        match &v.kind {
            ValueKind::Str(s) => literal(Kind::Str(s.as_str().into())),
            ValueKind::Bool(b) => literal(Kind::Bool(*b)),
            ValueKind::Int(i) => literal(Kind::Int(*i)),
            ValueKind::Number => literal(Kind::Number),
            ValueKind::Null => literal(Kind::Null),
            ValueKind::Object(o) => self.eval_object(o, scope, env),
            ValueKind::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if let ValueKind::Spread(inner) = &item.kind {
                        let spread = self.eval(inner, scope, env);
                        match &spread.kind {
                            Kind::Array(a) if !self.charge(a.len()) => {
                                return Val::unknown(Why::Limit);
                            }
                            Kind::Array(a) => out.extend(a.iter().cloned()),
                            Kind::Unknown(w) => return Val::unknown(w.clone()),
                            _ => return Val::unknown(Why::Fails),
                        }
                    } else {
                        out.push(self.eval(item, scope, env));
                    }
                }
                literal(Kind::Array(Rc::new(out)))
            }
            ValueKind::Spread(_) => Val::unknown(Why::Fails),
            ValueKind::Ref(r) => self.name(r, scope, env),
            ValueKind::Member { of, key, safe } => {
                let base = self.eval(of, scope, env);
                let key = self.eval(key, scope, env);
                self.member(base, &key, *safe, of, scope)
            }
            ValueKind::Call { name, args } => functions::call(self, name, args, scope, env),
            ValueKind::Unary { op, operand } => {
                let x = self.eval(operand, scope, env);
                match op {
                    UnaryOp::NonNull => x,
                    UnaryOp::Not => match x.kind {
                        Kind::Bool(b) => Val::computed(Kind::Bool(!b)).also_via(&[&x]),
                        Kind::Unknown(_) => x,
                        _ => Val::unknown(Why::Fails),
                    },
                    UnaryOp::Minus => match x.kind {
                        Kind::Int(i) => match i.checked_neg() {
                            Some(n) => Val::computed(Kind::Int(n)).also_via(&[&x]),
                            None => Val::unknown(Why::Fails),
                        },
                        Kind::Unknown(_) => x,
                        _ => Val::unknown(Why::Fails),
                    },
                }
            }
            ValueKind::Binary { op, left, right } => self.binary(*op, left, right, scope, env),
            ValueKind::Ternary {
                cond,
                then,
                otherwise,
            } => {
                let c = self.eval(cond, scope, env);
                match c.kind {
                    Kind::Bool(true) => computed_from(self.eval(then, scope, env), &c),
                    Kind::Bool(false) => computed_from(self.eval(otherwise, scope, env), &c),
                    Kind::Unknown(_) => c,
                    _ => Val::unknown(Why::Fails),
                }
            }
            ValueKind::Interpolation(parts) => {
                let mut out = String::new();
                let mut vals = Vec::new();
                for part in parts {
                    let x = self.eval(part, scope, env);
                    if !self.charge(out.len() / 64) {
                        return Val::unknown(Why::Limit);
                    }
                    match &x.kind {
                        Kind::Str(s) => out.push_str(s),
                        Kind::Int(i) => out.push_str(&i.to_string()),
                        Kind::Unknown(w) => return Val::unknown(w.clone()).also_via(&[&x]),
                        // Booleans, objects...: their text form is ARM's own (`True`); no guess.
                        _ => return Val::unknown(Why::Fails),
                    }
                    vals.push(x);
                }
                let refs: Vec<&Val<'m>> = vals.iter().collect();
                Val::computed(Kind::Str(out.into())).also_via(&refs)
            }
            ValueKind::Expr(IMPLICIT_NULL) => Val::computed(Kind::Null),
            ValueKind::Expr(what) => Val::unknown(match *what {
                NO_DEFAULT => Why::NoDefault,
                SUPPLIED => Why::Supplied,
                what => Why::Form(what),
            }),
        }
    }

    /// The value of an object literal (a resource body, or one inside a value).
    pub fn eval_object(
        &self,
        o: &'m crate::model::Object,
        scope: usize,
        env: &Bindings<'m>,
    ) -> Val<'m> {
        let mut obj = Obj {
            entries: Vec::with_capacity(o.props.len()),
            open: o.incomplete.then_some(Why::Form("text that did not parse")),
            literal: Some(o),
        };
        let mut spreads = o.spreads.iter().peekable();
        for (i, p) in o.props.iter().enumerate() {
            while let Some(s) = spreads.next_if(|s| s.at <= i) {
                self.spread(&mut obj, s, scope, env);
            }
            obj.set(Entry {
                key: p.key.as_str().into(),
                key_range: p.key_range.clone(),
                member: p.range.clone(),
                val: self.eval(&p.value, scope, env),
            });
        }
        for s in spreads {
            self.spread(&mut obj, s, scope, env);
        }
        Val {
            kind: Kind::Object(Rc::new(obj)),
            written: Some(o.range.clone()),
            via: Rc::default(),
        }
    }

    /// `...s` inside an object literal: its keys, entering through the spread element.
    fn spread(&self, obj: &mut Obj<'m>, s: &'m Spread, scope: usize, env: &Bindings<'m>) {
        obj.literal = None;
        let x = self.eval(&s.value, scope, env);
        match &x.kind {
            Kind::Object(inner) if !self.charge(inner.entries.len()) => open_up(obj, Why::Limit),
            Kind::Object(inner) => {
                for e in &inner.entries {
                    obj.set(Entry {
                        key: e.key.clone(),
                        key_range: e.key_range.clone(),
                        // A member written inside the spread (`...{ a: 1 }`) is its own
                        // place; one from elsewhere enters through the spread element.
                        member: if s.range.start <= e.member.start && e.member.end <= s.range.end {
                            e.member.clone()
                        } else {
                            s.range.clone()
                        },
                        val: e.val.clone().through(&x.via),
                    });
                }
                if let Some(w) = &inner.open {
                    open_up(obj, w.clone());
                }
            }
            Kind::Null => {}
            Kind::Unknown(w) => open_up(obj, w.clone()),
            _ => open_up(obj, Why::Fails),
        }
    }

    fn name(&self, r: &SymbolRef, scope: usize, env: &Bindings<'m>) -> Val<'m> {
        if let SymbolRef::Ident(n) = r
            && let Some((_, v)) = env.iter().rev().find(|(k, _)| k == n)
        {
            return v.clone();
        }
        let Some(def) = self.model.lookup(scope, r) else {
            if let (SymbolRef::Ident(n), Some(bound)) = (r, &self.bound)
                && let Some((_, v)) = bound.modules.iter().find(|(k, _)| **k == **n)
            {
                return v.clone();
            }
            return match r {
                SymbolRef::Ident(n) if self.model.is_resource(scope, n) => {
                    Val::unknown(Why::ResourceProperty)
                }
                _ => Val::unknown(Why::UnknownName),
            };
        };
        let key = def as *const Definition;
        if let Some(v) = self.cache.borrow().get(&key) {
            return v.clone();
        }
        // A top-level param of a called template: its caller's value, when it sets one.
        let top_param = def.what.starts_with("param") && self.model.symbol_scope(scope) == 0;
        if let Some(bound) = self.bound.as_ref().filter(|_| top_param) {
            let v = match bound.param(&def.name) {
                Some((_, v, entry)) => v.clone().through(&[Step {
                    what: def.what,
                    name: def.name.as_str().into(),
                    range: entry.clone(),
                }]),
                None => match &bound.unset {
                    Some(why) => Val::unknown(why.clone()),
                    None => self.definition(def),
                },
            };
            self.cache.borrow_mut().insert(key, v.clone());
            return v;
        }
        let v = self.definition(def);
        self.cache.borrow_mut().insert(key, v.clone());
        v
    }

    /// The value of `def` as written (its default, the var's value), through it.
    fn definition(&self, def: &'m Definition) -> Val<'m> {
        let key = def as *const Definition;
        if self.active.borrow().contains(&key) || self.hops.get() >= MAX_HOPS {
            return Val::unknown(Why::Limit);
        }
        self.active.borrow_mut().push(key);
        self.hops.set(self.hops.get() + 1);
        // Definitions see no loop variables: a resource's loop is not in their scope.
        let v = if def.value.kind == ValueKind::Expr(NO_DEFAULT)
            && def
                .type_alias
                .as_ref()
                .is_some_and(|t| self.model.is_nullable_type(def.scope, t))
        {
            Val::computed(Kind::Null)
        } else {
            self.eval(&def.value, def.scope, &[])
        };
        self.hops.set(self.hops.get() - 1);
        self.active.borrow_mut().pop();
        let step = Step {
            what: def.what,
            name: def.name.as_str().into(),
            range: def.value.range.clone(),
        };
        let rest: Vec<Step> = v.via.iter().filter(|s| **s != step).cloned().collect();
        let mut via = vec![step];
        via.extend(rest);
        Val {
            via: Rc::new(via),
            ..v
        }
    }

    /// `base.key` / `base[key]` (`safe`: `.?`, `[?`).
    fn member(
        &self,
        base: Val<'m>,
        key: &Val<'m>,
        safe: bool,
        of: &Value,
        scope: usize,
    ) -> Val<'m> {
        // A resource's `id` is a non-empty string; its other properties are runtime values.
        if let ValueKind::Ref(SymbolRef::Ident(n)) = &of.kind
            && matches!(base.kind, Kind::Unknown(Why::ResourceProperty))
            && self.model.is_resource(scope, n)
        {
            return match key.as_str() {
                Some("id") => Val::computed(Kind::NonEmptyStr),
                _ => base,
            };
        }
        read(base, key, safe)
    }

    fn binary(
        &self,
        op: BinaryOp,
        left: &'m Value,
        right: &'m Value,
        scope: usize,
        env: &Bindings<'m>,
    ) -> Val<'m> {
        let l = self.eval(left, scope, env);
        // Short circuits: `false && x`, `true || x` and `known ?? x` never need `x`.
        match (op, &l.kind) {
            (BinaryOp::And, Kind::Bool(false)) | (BinaryOp::Or, Kind::Bool(true)) => {
                return computed_from(l.clone(), &l);
            }
            (BinaryOp::Coalesce, k) if !matches!(k, Kind::Null | Kind::Unknown(_)) => return l,
            _ => {}
        }
        let r = self.eval(right, scope, env);
        functions::binary(op, l, r)
    }
}

/// `base.key` / `base[key]` on values (`safe`: `.?`, `[?`, ARM `tryGet`): a missing key
/// or index is `null` when safe, and fails (unknown) when not.
fn read<'m>(base: Val<'m>, key: &Val<'m>, safe: bool) -> Val<'m> {
    match (&base.kind, &key.kind) {
        (Kind::Unknown(_), _) => base,
        (_, Kind::Unknown(_)) => key.clone(),
        (Kind::Null, _) if safe => Val::computed(Kind::Null).also_via(&[&base]),
        (Kind::Object(o), Kind::Str(k)) => {
            // Reading an object member is case-insensitive in ARM: an exact match first.
            let found = o.entries.iter().rev().find(|e| *e.key == **k).or_else(|| {
                o.entries
                    .iter()
                    .rev()
                    .find(|e| e.key.eq_ignore_ascii_case(k))
            });
            match found {
                Some(e) => e.val.clone().through(&base.via).also_via(&[key]),
                None => match &o.open {
                    Some(w) => Val::unknown(w.clone()),
                    None if safe => Val::computed(Kind::Null).also_via(&[&base]),
                    None => Val::unknown(Why::Fails),
                },
            }
        }
        (Kind::Array(a), Kind::Int(i)) => {
            let item = usize::try_from(*i).ok().and_then(|i| a.get(i));
            match item {
                Some(x) => x.clone().through(&base.via).also_via(&[key]),
                None if safe => Val::computed(Kind::Null).also_via(&[&base]),
                None => Val::unknown(Why::Fails),
            }
        }
        _ => Val::unknown(Why::Fails),
    }
}

/// A value chosen by `by` (a condition): computed, and through `by`'s definitions.
fn computed_from<'m>(v: Val<'m>, by: &Val<'m>) -> Val<'m> {
    // The chooser's definitions first: the last one stays the definition the value
    // itself comes from, which messages name (`clientCertMode is 'Optional' (param
    // clientCertMode, ...)` for `cond ? clientCertMode : null`).
    let mut via = by.via.to_vec();
    for s in v.via.iter() {
        if !via.contains(s) {
            via.push(s.clone());
        }
    }
    Val {
        written: None,
        via: Rc::new(via),
        ..v
    }
}

/// An unknown object spread into `obj`: any key it could set is unknown, and keys
/// not shown may exist; keys written after it are known again.
fn open_up(obj: &mut Obj<'_>, why: Why) {
    for e in &mut obj.entries {
        e.val = Val::unknown(why.clone());
    }
    obj.open = Some(why);
}

#[cfg(test)]
mod tests;
