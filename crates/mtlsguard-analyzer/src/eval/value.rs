//! Evaluated values: known or unknown, objects known key by key, each remembering where
//! it was written and which definitions it went through.

use std::fmt;
use std::ops::Range;
use std::rc::Rc;

use crate::model::Object;

/// Why a value is unknown: what `check --statistics` counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Why {
    /// A param with neither a default nor a caller.
    NoDefault,
    /// A function this evaluator does not compute (lowercase name).
    Function(std::sync::Arc<str>),
    /// A resource's property other than `id`, known only at deployment.
    ResourceProperty,
    /// A name no declaration in the file defines (a module, an import...).
    UnknownName,
    /// An expression form that is not evaluated (a lambda, a `for` expression...), or
    /// text that did not parse.
    Form(&'static str),
    /// An operation on values of the wrong type, or that fails at deployment (a missing
    /// property read without `.?`, an index out of range).
    Fails,
    /// A definition that refers to itself, or evaluation too large or too deep.
    Limit,
    /// Supplied in a way that cannot be read (an ARM `parametersLink`, a Key Vault reference).
    Supplied,
    /// From a template that cannot be read (a missing file, a registry module not in the
    /// cache, a cycle of modules).
    Unresolved,
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::NoDefault => f.write_str("value from a param without default"),
            Why::Function(name) => write!(f, "function {name}() is not evaluated"),
            Why::ResourceProperty => f.write_str("a resource's runtime property"),
            Why::UnknownName => f.write_str("a name defined outside the file"),
            Why::Form(what) => write!(f, "{what} is not evaluated"),
            Why::Fails => f.write_str("an expression that fails or has the wrong type"),
            Why::Limit => f.write_str("a self-reference or an evaluation limit"),
            Why::Supplied => f.write_str("a param supplied in a way that cannot be read"),
            Why::Unresolved => f.write_str("a reference to a template that cannot be read"),
        }
    }
}

/// A definition a value went through: shown as a related location and named in messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// `param`, `var` or `parameter`/`variable` (ARM).
    pub what: &'static str,
    pub name: Rc<str>,
    /// The definition's value (or its name when it has none).
    pub range: Range<usize>,
}

#[derive(Debug, Clone)]
pub enum Kind<'m> {
    Unknown(Why),
    Null,
    Bool(bool),
    Int(i64),
    /// A number whose value is not kept.
    Number,
    Str(Rc<str>),
    /// A string of unknown text that is not empty (a resource id).
    NonEmptyStr,
    Array(Rc<Vec<Val<'m>>>),
    Object(Rc<Obj<'m>>),
}

/// An evaluated value.
#[derive(Debug, Clone)]
pub struct Val<'m> {
    pub kind: Kind<'m>,
    /// Where the value is written, when it is a literal that reached here unchanged: what
    /// a fix edits. `None` for computed values.
    pub written: Option<Range<usize>>,
    /// The definitions it went through, outermost first (`var m` before `param mode`
    /// for `clientCertMode: m` with `var m = mode`).
    pub via: Rc<Vec<Step>>,
}

/// An object known key by key.
#[derive(Debug, Clone)]
pub struct Obj<'m> {
    pub entries: Vec<Entry<'m>>,
    /// Keys that `entries` does not show may exist (a spread or `union` of an unknown
    /// object, text that did not parse): a missing key proves nothing.
    pub open: Option<Why>,
    /// The object literal this is, unchanged: where a missing property can be inserted.
    pub literal: Option<&'m Object>,
}

#[derive(Debug, Clone)]
pub struct Entry<'m> {
    pub key: Rc<str>,
    pub key_range: Range<usize>,
    /// The member of the object literal that set it: `key: value`, or a spread `...x`.
    pub member: Range<usize>,
    pub val: Val<'m>,
}

/// What an object says about a key.
pub enum Lookup<'v, 'm> {
    Found(&'v Entry<'m>),
    Missing,
    Unknown(Why),
}

impl<'m> Obj<'m> {
    /// An object built by a function (no literal to insert into), with no keys yet.
    pub fn empty() -> Obj<'m> {
        Obj {
            entries: Vec::new(),
            open: None,
            literal: None,
        }
    }

    /// The entry named exactly `key` (resource property names are case-sensitive).
    pub fn lookup(&self, key: &str) -> Lookup<'_, 'm> {
        match self.entries.iter().rev().find(|e| &*e.key == key) {
            Some(e) => Lookup::Found(e),
            None => match &self.open {
                Some(why) => Lookup::Unknown(why.clone()),
                None => Lookup::Missing,
            },
        }
    }

    /// Sets `key` (a later key wins, in the position of the first; ARM object keys are
    /// case-insensitive, so `A` replaces `a`).
    pub fn set(&mut self, entry: Entry<'m>) {
        match self
            .entries
            .iter_mut()
            .find(|e| e.key.eq_ignore_ascii_case(&entry.key))
        {
            Some(e) => *e = entry,
            None => self.entries.push(entry),
        }
    }
}

impl<'m> Val<'m> {
    pub fn unknown(why: Why) -> Val<'m> {
        Val::computed(Kind::Unknown(why))
    }

    pub fn computed(kind: Kind<'m>) -> Val<'m> {
        Val {
            kind,
            written: None,
            via: Rc::default(),
        }
    }

    /// Known (not [`Kind::Unknown`]).
    pub fn is_known_kind(&self) -> bool {
        !matches!(self.kind, Kind::Unknown(_))
    }

    pub fn why(&self) -> Option<&Why> {
        match &self.kind {
            Kind::Unknown(w) => Some(w),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.kind {
            Kind::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Obj<'m>> {
        match &self.kind {
            Kind::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Val<'m>]> {
        match &self.kind {
            Kind::Array(a) => Some(a),
            _ => None,
        }
    }

    /// This value seen through `outer`'s definitions too (a member read from an object
    /// that came through a var went through that var).
    pub fn through(mut self, outer: &[Step]) -> Val<'m> {
        if !outer.is_empty() {
            let mut via = outer.to_vec();
            for s in self.via.iter() {
                if !via.contains(s) {
                    via.push(s.clone());
                }
            }
            self.via = Rc::new(via);
        }
        self
    }

    /// Adds the definitions of values this one was computed from (a condition, operands).
    pub fn also_via(mut self, others: &[&Val<'m>]) -> Val<'m> {
        if others.iter().all(|o| o.via.is_empty()) {
            return self;
        }
        let mut via = self.via.to_vec();
        for o in others {
            for s in o.via.iter() {
                if !via.contains(s) {
                    via.push(s.clone());
                }
            }
        }
        self.via = Rc::new(via);
        self
    }

    /// How the value reads in a message: strings in single quotes, as Bicep writes them.
    pub fn show(&self) -> String {
        match &self.kind {
            Kind::Str(s) => format!("'{}'", crate::text::sanitize(s)),
            Kind::Bool(b) => b.to_string(),
            Kind::Null => "null".into(),
            Kind::Int(i) => i.to_string(),
            Kind::Number => "a number".into(),
            Kind::NonEmptyStr => "a string".into(),
            Kind::Object(_) => "an object".into(),
            Kind::Array(a) if a.is_empty() => "an empty array".into(),
            Kind::Array(_) => "an array".into(),
            Kind::Unknown(_) => "unknown".into(),
        }
    }

    /// Deep equality of known values; `None` when either side is not fully known.
    pub fn equals(&self, other: &Val<'m>, ignore_case: bool) -> Option<bool> {
        use Kind::*;
        Some(match (&self.kind, &other.kind) {
            (Unknown(_), _) | (_, Unknown(_)) => return None,
            (Null, Null) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Number, _) | (_, Number) => return None,
            (Str(a), Str(b)) => {
                if ignore_case {
                    a.to_lowercase() == b.to_lowercase()
                } else {
                    a == b
                }
            }
            (NonEmptyStr, Str(s)) | (Str(s), NonEmptyStr) if s.is_empty() => false,
            (NonEmptyStr, _) | (_, NonEmptyStr) => return None,
            (Array(a), Array(b)) => {
                if a.len() != b.len() {
                    return Some(false);
                }
                for (x, y) in a.iter().zip(b.iter()) {
                    if !x.equals(y, ignore_case)? {
                        return Some(false);
                    }
                }
                true
            }
            (Object(a), Object(b)) => {
                if a.open.is_some() || b.open.is_some() {
                    return None;
                }
                if a.entries.len() != b.entries.len() {
                    return Some(false);
                }
                for e in &a.entries {
                    let Some(f) = b
                        .entries
                        .iter()
                        .find(|f| f.key.eq_ignore_ascii_case(&e.key))
                    else {
                        return Some(false);
                    };
                    if !e.val.equals(&f.val, ignore_case)? {
                        return Some(false);
                    }
                }
                true
            }
            _ => false,
        })
    }
}

/// Where the ranges of a file's values move when they flow into another file's
/// evaluation (a caller's params into its module): file `k`'s ranges move by
/// `(k + 1) * FOREIGN`, so every range says which file it is in.
pub const FOREIGN: usize = 1 << 40;

/// The file a range is in: `None` for the file being evaluated, else its index.
pub fn foreign_file(r: &Range<usize>) -> Option<usize> {
    (r.start >= FOREIGN).then(|| r.start / FOREIGN - 1)
}

/// `r` without its file's offset.
pub fn local_range(r: &Range<usize>) -> Range<usize> {
    let base = (r.start / FOREIGN) * FOREIGN;
    r.start - base..r.end - base
}

fn shift_range(r: &Range<usize>, base: usize) -> Range<usize> {
    if r.start >= FOREIGN {
        r.clone()
    } else {
        r.start + base..r.end + base
    }
}

impl<'m> Val<'m> {
    /// This value of file `file`, seen from another file: its own ranges moved to the
    /// file's offset (ranges already foreign keep theirs). An object literal of another
    /// file is no place to insert into from this one.
    pub fn moved_to_file(&self, file: usize) -> Val<'m> {
        let base = (file + 1) * FOREIGN;
        let kind = match &self.kind {
            Kind::Array(items) => Kind::Array(Rc::new(
                items.iter().map(|v| v.moved_to_file(file)).collect(),
            )),
            Kind::Object(o) => Kind::Object(Rc::new(Obj {
                entries: o
                    .entries
                    .iter()
                    .map(|e| Entry {
                        key: e.key.clone(),
                        key_range: shift_range(&e.key_range, base),
                        member: shift_range(&e.member, base),
                        val: e.val.moved_to_file(file),
                    })
                    .collect(),
                open: o.open.clone(),
                literal: None,
            })),
            k => k.clone(),
        };
        Val {
            kind,
            written: self.written.as_ref().map(|r| shift_range(r, base)),
            via: Rc::new(
                self.via
                    .iter()
                    .map(|s| Step {
                        range: shift_range(&s.range, base),
                        ..s.clone()
                    })
                    .collect(),
            ),
        }
    }
}
