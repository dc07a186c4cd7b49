//! The functions and operators the evaluator computes (Bicep and ARM names alike,
//! case-insensitive, as ARM resolves them).

use std::rc::Rc;

use super::{Bindings, Entry, Eval, Kind, Obj, Val, Why};
use crate::model::{BinaryOp, SymbolRef, Value};

/// Functions whose value is a non-empty string of unknown text.
const RESOURCE_IDS: [&str; 5] = [
    "resourceid",
    "subscriptionresourceid",
    "tenantresourceid",
    "extensionresourceid",
    "managementgroupresourceid",
];

pub(super) fn call<'m>(
    ev: &Eval<'m>,
    name: &str,
    args: &'m [Value],
    scope: usize,
    env: &Bindings<'m>,
) -> Val<'m> {
    let lower = name.to_ascii_lowercase();
    // Lazy: `if`, `and`, `or`, `coalesce` and ARM's `parameters()` evaluate only what
    // decides; the rest evaluate every argument.
    match lower.as_str() {
        "parameters" | "variables" => {
            let [arg] = args else {
                return Val::unknown(Why::Fails);
            };
            let n = ev.eval(arg, scope, env);
            let Some(n) = n.as_str() else {
                return n
                    .why()
                    .map_or(Val::unknown(Why::Fails), |w| Val::unknown(w.clone()));
            };
            let r = if lower == "parameters" {
                SymbolRef::Param(n.to_owned())
            } else {
                SymbolRef::Var(n.to_owned())
            };
            return ev.name(&r, scope, env);
        }
        "if" => {
            let [c, a, b] = args else {
                return Val::unknown(Why::Fails);
            };
            let c = ev.eval(c, scope, env);
            return match c.kind {
                Kind::Bool(true) => super::computed_from(ev.eval(a, scope, env), &c),
                Kind::Bool(false) => super::computed_from(ev.eval(b, scope, env), &c),
                Kind::Unknown(_) => c,
                _ => Val::unknown(Why::Fails),
            };
        }
        "and" | "or" => {
            let stop = lower == "or";
            let mut seen: Vec<Val<'m>> = Vec::new();
            let mut unknown = None;
            for a in args {
                let x = ev.eval(a, scope, env);
                match x.kind {
                    Kind::Bool(b) if b == stop => return super::computed_from(x.clone(), &x),
                    Kind::Bool(_) => seen.push(x),
                    Kind::Unknown(ref w) => unknown = unknown.or(Some(w.clone())),
                    _ => return Val::unknown(Why::Fails),
                }
            }
            if let Some(w) = unknown {
                return Val::unknown(w);
            }
            let refs: Vec<&Val<'m>> = seen.iter().collect();
            return Val::computed(Kind::Bool(!stop)).also_via(&refs);
        }
        "coalesce" => {
            let mut seen = Vec::new();
            for a in args {
                let x = ev.eval(a, scope, env);
                match x.kind {
                    Kind::Null => seen.push(x),
                    Kind::Unknown(_) => return x,
                    _ => {
                        let refs: Vec<&Val<'m>> = seen.iter().collect();
                        return super::computed_from(x.clone(), &x).also_via(&refs);
                    }
                }
            }
            return Val::computed(Kind::Null);
        }
        _ => {}
    }
    if RESOURCE_IDS.contains(&lower.as_str()) {
        return Val::computed(Kind::NonEmptyStr);
    }
    let vals: Vec<Val<'m>> = args.iter().map(|a| ev.eval(a, scope, env)).collect();
    // What the result may be built of: arrays' elements, objects' keys, strings' bytes.
    let size: usize = vals
        .iter()
        .map(|v| match &v.kind {
            Kind::Array(a) => a.len(),
            Kind::Object(o) => o.entries.len(),
            Kind::Str(s) => s.len() / 64,
            _ => 1,
        })
        .sum();
    if !ev.charge(size) {
        return Val::unknown(Why::Limit);
    }
    let known = |f: &dyn Fn(&[Val<'m>]) -> Option<Kind<'m>>| -> Val<'m> {
        if let Some(w) = vals.iter().find_map(Val::why) {
            return Val::unknown(w.clone());
        }
        let refs: Vec<&Val<'m>> = vals.iter().collect();
        match f(&vals) {
            Some(k) => Val::computed(k).also_via(&refs),
            None => Val::unknown(Why::Fails),
        }
    };
    match lower.as_str() {
        "not" => known(&|v| match v {
            [x] => Some(Kind::Bool(!x.as_bool()?)),
            _ => None,
        }),
        "equals" => known(&|v| match v {
            [a, b] => Some(Kind::Bool(a.equals(b, false)?)),
            _ => None,
        }),
        "empty" => match vals.as_slice() {
            [x] => match empty(x) {
                Some(b) => Val::computed(Kind::Bool(b)).also_via(&[x]),
                None => x
                    .why()
                    .map_or(Val::unknown(Why::Fails), |w| Val::unknown(w.clone())),
            },
            _ => Val::unknown(Why::Fails),
        },
        "contains" => known(&|v| match v {
            [c, item] => contains(c, item).map(Kind::Bool),
            _ => None,
        }),
        "union" => union(&vals),
        "concat" => known(&|v| concat(v)),
        "tolower" => known(&|v| match v {
            [x] => Some(Kind::Str(x.as_str()?.to_lowercase().into())),
            _ => None,
        }),
        "toupper" => known(&|v| match v {
            [x] => Some(Kind::Str(x.as_str()?.to_uppercase().into())),
            _ => None,
        }),
        "string" => known(&|v| match v {
            [x] => match &x.kind {
                Kind::Str(s) => Some(Kind::Str(s.clone())),
                Kind::Int(i) => Some(Kind::Str(i.to_string().into())),
                // ARM writes booleans and objects its own way (`True`, JSON): no guess.
                _ => None,
            },
            _ => None,
        }),
        "bool" => known(&|v| match v {
            [x] => match &x.kind {
                Kind::Bool(b) => Some(Kind::Bool(*b)),
                Kind::Int(i) => Some(Kind::Bool(*i != 0)),
                Kind::Str(s) if s.eq_ignore_ascii_case("true") => Some(Kind::Bool(true)),
                Kind::Str(s) if s.eq_ignore_ascii_case("false") => Some(Kind::Bool(false)),
                _ => None,
            },
            _ => None,
        }),
        "int" => known(&|v| match v {
            [x] => match &x.kind {
                Kind::Int(i) => Some(Kind::Int(*i)),
                Kind::Str(s) => s.trim().parse().ok().map(Kind::Int),
                _ => None,
            },
            _ => None,
        }),
        "json" => known(&|v| match v {
            [x] => json(x.as_str()?),
            _ => None,
        }),
        "length" => known(&|v| match v {
            [x] => Some(Kind::Int(match &x.kind {
                Kind::Str(s) => s.chars().count() as i64,
                Kind::Array(a) => a.len() as i64,
                Kind::Object(o) if o.open.is_none() => o.entries.len() as i64,
                _ => return None,
            })),
            _ => None,
        }),
        "first" | "last" => match vals.as_slice() {
            [x] => match &x.kind {
                Kind::Array(a) => {
                    let item = if lower == "first" {
                        a.first()
                    } else {
                        a.last()
                    };
                    item.map_or(Val::computed(Kind::Null), |i| i.clone().through(&x.via))
                }
                Kind::Str(s) => {
                    let c = if lower == "first" {
                        s.chars().next()
                    } else {
                        s.chars().last()
                    };
                    let s = c.map(String::from).unwrap_or_default();
                    Val::computed(Kind::Str(s.into())).also_via(&[x])
                }
                Kind::Unknown(w) => Val::unknown(w.clone()),
                _ => Val::unknown(Why::Fails),
            },
            _ => Val::unknown(Why::Fails),
        },
        "createarray" => match vals.iter().find_map(Val::why) {
            Some(_) | None => Val::computed(Kind::Array(Rc::new(vals))),
        },
        "createobject" => create_object(vals),
        "items" => known(&|v| match v {
            [x] => {
                let o = x.as_object()?;
                if o.open.is_some() {
                    return None;
                }
                // ARM returns the entries in key order.
                let mut entries: Vec<&Entry<'m>> = o.entries.iter().collect();
                entries.sort_by_key(|e| e.key.to_lowercase());
                let items = entries
                    .into_iter()
                    .map(|e| {
                        let mut obj = Obj::empty();
                        for (k, val) in [
                            ("key", Val::computed(Kind::Str(e.key.clone()))),
                            ("value", e.val.clone()),
                        ] {
                            obj.set(Entry {
                                key: k.into(),
                                key_range: e.key_range.clone(),
                                member: e.member.clone(),
                                val,
                            });
                        }
                        Val::computed(Kind::Object(Rc::new(obj)))
                    })
                    .collect();
                Some(Kind::Array(Rc::new(items)))
            }
            _ => None,
        }),
        // ARM's form of Bicep's `.?` / `[?`: a missing key or index is null.
        "tryget" => match vals.split_first() {
            Some((base, keys)) if !keys.is_empty() => keys
                .iter()
                .fold(base.clone(), |cur, key| super::read(cur, key, true)),
            _ => Val::unknown(Why::Fails),
        },
        // The index of the ARM `copy` loop being checked, plus an offset; a named loop
        // must be the resource's own (property copies are not evaluated).
        "copyindex" => {
            let Some((_, index)) = env
                .iter()
                .rev()
                .find(|(k, _)| *k == crate::model::COPY_INDEX)
            else {
                return Val::unknown(Why::Function(lower.into()));
            };
            let (name, offset) = match vals.as_slice() {
                [] => (None, None),
                [
                    Val {
                        kind: Kind::Str(n), ..
                    },
                ] => (Some(n.clone()), None),
                [o] => (None, Some(o)),
                [
                    Val {
                        kind: Kind::Str(n), ..
                    },
                    o,
                ] => (Some(n.clone()), Some(o)),
                _ => return Val::unknown(Why::Fails),
            };
            let own = |n: &str| {
                env.iter().any(|(k, v)| {
                    *k == crate::model::COPY_NAME
                        && v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(n))
                })
            };
            if name.is_some_and(|n| !own(&n)) {
                return Val::unknown(Why::Function(lower.into()));
            }
            match (&index.kind, offset.map(|o| &o.kind)) {
                (Kind::Int(_), None) => index.clone(),
                (Kind::Int(i), Some(Kind::Int(o))) => match i.checked_add(*o) {
                    Some(n) => Val::computed(Kind::Int(n)).also_via(&[index]),
                    None => Val::unknown(Why::Fails),
                },
                (Kind::Unknown(w), _) => Val::unknown(w.clone()),
                (_, Some(Kind::Unknown(w))) => Val::unknown(w.clone()),
                _ => Val::unknown(Why::Fails),
            }
        }
        // Bicep's type escape hatch: the value itself.
        "any" if vals.len() == 1 => vals.into_iter().next().unwrap_or(Val::unknown(Why::Fails)),
        "true" if args.is_empty() => Val::computed(Kind::Bool(true)),
        "false" if args.is_empty() => Val::computed(Kind::Bool(false)),
        "null" if args.is_empty() => Val::computed(Kind::Null),
        _ => Val::unknown(Why::Function(lower.into())),
    }
}

/// `empty(x)`; `None` when it cannot be told.
fn empty(x: &Val<'_>) -> Option<bool> {
    Some(match &x.kind {
        Kind::Null => true,
        Kind::Str(s) => s.is_empty(),
        Kind::NonEmptyStr => false,
        Kind::Array(a) => a.is_empty(),
        Kind::Object(o) if !o.entries.is_empty() => false,
        Kind::Object(o) => o.open.is_none(),
        _ => return None,
    })
}

fn contains(c: &Val<'_>, item: &Val<'_>) -> Option<bool> {
    match (&c.kind, &item.kind) {
        // Strings: case-sensitive; object keys: case-insensitive (ARM's documented rules).
        (Kind::Str(s), Kind::Str(sub)) => Some(s.contains(&**sub)),
        (Kind::Str(s), Kind::Int(i)) => Some(s.contains(&i.to_string())),
        (Kind::Array(a), _) => {
            let mut unknown = false;
            for x in a.iter() {
                match x.equals(item, false) {
                    Some(true) => return Some(true),
                    Some(false) => {}
                    None => unknown = true,
                }
            }
            (!unknown).then_some(false)
        }
        (Kind::Object(o), Kind::Str(k)) => {
            if o.entries.iter().any(|e| e.key.eq_ignore_ascii_case(k)) {
                Some(true)
            } else {
                o.open.is_none().then_some(false)
            }
        }
        _ => None,
    }
}

fn concat<'m>(v: &[Val<'m>]) -> Option<Kind<'m>> {
    if v.iter().all(|x| x.as_array().is_some()) {
        let items = v.iter().flat_map(|x| x.as_array().unwrap_or(&[]).iter());
        return Some(Kind::Array(Rc::new(items.cloned().collect())));
    }
    let mut out = String::new();
    for x in v {
        match &x.kind {
            Kind::Str(s) => out.push_str(s),
            Kind::Int(i) => out.push_str(&i.to_string()),
            _ => return None,
        }
    }
    Some(Kind::Str(out.into()))
}

/// `union(...)`: objects merge key by key (later wins; nested objects merge too, as
/// ARM merges them), arrays join without duplicates. An unknown object argument makes
/// every key before it unknown, and the keys after it known again.
fn union<'m>(vals: &[Val<'m>]) -> Val<'m> {
    if vals.iter().all(|v| v.as_array().is_some()) {
        let mut out: Vec<Val<'m>> = Vec::new();
        for v in vals {
            for x in v.as_array().unwrap_or(&[]) {
                match out
                    .iter()
                    .map(|y| y.equals(x, false))
                    .collect::<Option<Vec<_>>>()
                {
                    Some(eq) if eq.iter().any(|e| *e) => {}
                    Some(_) => out.push(x.clone().through(&v.via)),
                    None => return Val::unknown(Why::Fails),
                }
            }
        }
        return Val::computed(Kind::Array(Rc::new(out)));
    }
    let mut obj = Obj::empty();
    for v in vals {
        match &v.kind {
            Kind::Object(o) => merge(&mut obj, o, &v.via),
            Kind::Unknown(w) => super::open_up(&mut obj, w.clone()),
            Kind::Null => {}
            _ => return Val::unknown(Why::Fails),
        }
    }
    Val::computed(Kind::Object(Rc::new(obj)))
}

fn merge<'m>(into: &mut Obj<'m>, from: &Obj<'m>, via: &[super::Step]) {
    for e in &from.entries {
        let val = e.val.clone().through(via);
        let old = into
            .entries
            .iter()
            .find(|x| x.key.eq_ignore_ascii_case(&e.key))
            .and_then(|x| x.val.as_object().cloned());
        let val = match (old, val.as_object()) {
            (Some(mut a), Some(b)) => {
                a.literal = None;
                merge(&mut a, b, &val.via);
                Val::computed(Kind::Object(Rc::new(a)))
            }
            _ => val,
        };
        into.set(Entry { val, ..e.clone() });
    }
    if let Some(w) = &from.open {
        // The keys it may set are unknown; those before it that it cannot set stay.
        super::open_up(into, w.clone());
        for e in &from.entries {
            if let Some(x) = into.entries.iter_mut().find(|x| x.key == e.key) {
                x.val = e.val.clone().through(via);
            }
        }
    }
}

fn create_object(vals: Vec<Val<'_>>) -> Val<'_> {
    if !vals.len().is_multiple_of(2) {
        return Val::unknown(Why::Fails);
    }
    let mut obj = Obj::empty();
    let mut it = vals.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        match &k.kind {
            Kind::Str(s) => obj.set(Entry {
                key: s.clone(),
                key_range: k.written.clone().unwrap_or(0..0),
                member: k.written.clone().unwrap_or(0..0),
                val: v,
            }),
            Kind::Unknown(w) => super::open_up(&mut obj, w.clone()),
            _ => return Val::unknown(Why::Fails),
        }
    }
    Val::computed(Kind::Object(Rc::new(obj)))
}

/// `json('...')`: the JSON text's value (no locations inside it).
fn json<'m>(text: &str) -> Option<Kind<'m>> {
    fn conv<'m>(j: serde_json::Value) -> Val<'m> {
        Val::computed(match j {
            serde_json::Value::Null => Kind::Null,
            serde_json::Value::Bool(b) => Kind::Bool(b),
            serde_json::Value::Number(n) => n.as_i64().map_or(Kind::Number, Kind::Int),
            serde_json::Value::String(s) => Kind::Str(s.into()),
            serde_json::Value::Array(a) => Kind::Array(Rc::new(a.into_iter().map(conv).collect())),
            serde_json::Value::Object(o) => {
                let mut obj = Obj::empty();
                for (k, v) in o {
                    obj.set(Entry {
                        key: k.into(),
                        key_range: 0..0,
                        member: 0..0,
                        val: conv(v),
                    });
                }
                Kind::Object(Rc::new(obj))
            }
        })
    }
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    Some(conv(v).kind)
}

pub(super) fn binary<'m>(op: BinaryOp, l: Val<'m>, r: Val<'m>) -> Val<'m> {
    use BinaryOp::*;
    if op == Coalesce {
        // `l` is null or unknown here (a known `l` short-circuits).
        return match l.kind {
            Kind::Null => super::computed_from(r.clone(), &r).also_via(&[&l]),
            _ => l,
        };
    }
    // A known operand of the wrong type fails whatever the other one is.
    let not_bool = |v: &Val<'m>| v.is_known_kind() && v.as_bool().is_none();
    if matches!(op, And | Or) && (not_bool(&l) || not_bool(&r)) {
        return Val::unknown(Why::Fails);
    }
    if let Some(w) = l.why().or(r.why()) {
        // `x && false` is false and `x || true` true whatever `x` is.
        match (op, r.as_bool()) {
            (And, Some(false)) | (Or, Some(true)) => {
                return Val::computed(r.kind.clone()).also_via(&[&r]);
            }
            _ => return Val::unknown(w.clone()),
        }
    }
    let kind = match (op, &l.kind, &r.kind) {
        (And, Kind::Bool(a), Kind::Bool(b)) => Some(Kind::Bool(*a && *b)),
        (Or, Kind::Bool(a), Kind::Bool(b)) => Some(Kind::Bool(*a || *b)),
        (Eq | NotEq | EqI | NotEqI, _, _) => {
            let ignore = matches!(op, EqI | NotEqI);
            l.equals(&r, ignore)
                .map(|eq| Kind::Bool(if matches!(op, Eq | EqI) { eq } else { !eq }))
        }
        (Lt | LtEq | Gt | GtEq, Kind::Int(a), Kind::Int(b)) => Some(Kind::Bool(compare(op, a, b))),
        (Lt | LtEq | Gt | GtEq, Kind::Str(a), Kind::Str(b)) => Some(Kind::Bool(compare(op, a, b))),
        (Add, Kind::Int(a), Kind::Int(b)) => a.checked_add(*b).map(Kind::Int),
        (Sub, Kind::Int(a), Kind::Int(b)) => a.checked_sub(*b).map(Kind::Int),
        (Mul, Kind::Int(a), Kind::Int(b)) => a.checked_mul(*b).map(Kind::Int),
        (Div, Kind::Int(a), Kind::Int(b)) => a.checked_div(*b).map(Kind::Int),
        (Mod, Kind::Int(a), Kind::Int(b)) => a.checked_rem(*b).map(Kind::Int),
        _ => None,
    };
    match kind {
        Some(k) => Val::computed(k).also_via(&[&l, &r]),
        None => Val::unknown(Why::Fails),
    }
}

fn compare<T: Ord + ?Sized>(op: BinaryOp, a: &T, b: &T) -> bool {
    match op {
        BinaryOp::Lt => a < b,
        BinaryOp::LtEq => a <= b,
        BinaryOp::Gt => a > b,
        _ => a >= b,
    }
}
