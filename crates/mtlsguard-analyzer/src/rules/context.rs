//! What a rule sees: the resource's evaluated body, read field by field, and the ways
//! to report (spec sections 5 and 7: where a finding points, what its fix edits).

use std::ops::Range;
use std::rc::Rc;

use crate::eval::{Kind, Lookup, Step, Val, Why};
use crate::fix::{self, NewValue};
use crate::model::Resource;
use crate::syntax::Document;
use crate::{Finding, Fix, Level, Related, Settings};

/// How a rule's check of one resource ended, for `check --statistics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A gate decided that the rule does not apply (public, external, too old...).
    OutOfScope,
    /// Decided: compliant, or findings.
    Decided,
    /// A value the rule needed is unknown.
    Undecided(Why),
}

/// A value read from the resource body, and where it enters the resource.
#[derive(Debug, Clone)]
pub(crate) struct Field<'m> {
    /// How messages name it: its key, or a path the rule sets (`tls.clientCertEnabled`).
    pub name: String,
    pub val: Val<'m>,
    /// The text of the resource's own body through which it enters: its property, or
    /// the property or spread element holding the expression it comes from.
    pub at: Range<usize>,
    /// Its key, when its property is written in the resource's own body.
    pub key_at: Option<Range<usize>>,
}

/// A place in a message where the line of `range` goes; [`resolve_line_markers`] turns
/// it into the index of the related location at `range`.
fn line_marker(range: &Range<usize>) -> String {
    format!("\u{1}{}:{}\u{1}", range.start, range.end)
}

/// Replaces each [`line_marker`] by [`crate::finding::LINE_OF`] and the index of the
/// related location it names (every named definition is related).
fn resolve_line_markers(message: &str, related: &[Related]) -> String {
    let mut out = String::with_capacity(message.len());
    let mut parts = message.split('\u{1}');
    out.push_str(parts.next().unwrap_or(""));
    while let (Some(marker), Some(rest)) = (parts.next(), parts.next()) {
        let index = marker.split_once(':').and_then(|(s, e)| {
            let (s, e) = (s.parse::<usize>().ok()?, e.parse::<usize>().ok()?);
            related.iter().position(|r| r.range == (s..e))
        });
        if let Some(k) = index {
            out.push(crate::finding::LINE_OF);
            out.push_str(&k.to_string());
            out.push(crate::finding::LINE_OF);
        }
        out.push_str(rest);
    }
    out
}

/// The definitions a fix through `via` edits or depends on, for [`Fix::unless_shared`].
fn definitions(via: &[Step]) -> Vec<(&'static str, String)> {
    via.iter().map(|s| (s.what, s.name.to_string())).collect()
}

/// What reading a field gives.
pub(crate) enum Got<'m> {
    Value(Field<'m>),
    /// Not there (and its object is known to be complete).
    Missing,
    Unknown(Why),
}

pub(crate) struct RuleCtx<'a, 'm> {
    pub doc: &'a Document<'a>,
    pub res: &'m Resource,
    pub settings: &'a Settings,
    /// The documents values of other files come from ([`crate::eval::foreign_file`]).
    pub(super) foreign: &'a [Option<&'a Document<'a>>],
    rule: &'static str,
    level: Level,
    body: Field<'m>,
    /// Definitions the gates went through: related locations of every finding.
    gates: Vec<Step>,
    pub(super) found: Vec<Finding>,
    pub(super) outcome: Outcome,
}

impl<'a, 'm> RuleCtx<'a, 'm> {
    /// What a rule sees of `res`, whose body evaluated to `body`.
    pub(super) fn new(
        doc: &'a Document<'a>,
        res: &'m Resource,
        body: Val<'m>,
        rule: &'static str,
        level: Level,
        settings: &'a Settings,
    ) -> Self {
        let body = Field {
            name: String::new(),
            val: body,
            at: res.type_range.clone(),
            key_at: None,
        };
        RuleCtx {
            doc,
            res,
            settings,
            foreign: &[],
            rule,
            level,
            body,
            gates: Vec::new(),
            found: Vec::new(),
            outcome: Outcome::Decided,
        }
    }

    /// The check could not decide: `why` is what it needed and did not know.
    pub fn undecided(&mut self, why: Why) {
        if !matches!(self.outcome, Outcome::Undecided(_)) {
            self.outcome = Outcome::Undecided(why);
        }
    }

    /// A gate decided the rule does not apply to this resource.
    pub fn out_of_scope(&mut self) {
        self.outcome = Outcome::OutOfScope;
    }

    /// `parent.key`. A `null` parent has no keys.
    pub fn get(&self, parent: &Field<'m>, key: &str) -> Got<'m> {
        let obj = match &parent.val.kind {
            Kind::Object(o) => o,
            Kind::Null => return Got::Missing,
            Kind::Unknown(w) => return Got::Unknown(w.clone()),
            _ => return Got::Unknown(Why::Fails),
        };
        match obj.lookup(key) {
            Lookup::Missing => Got::Missing,
            Lookup::Unknown(w) => Got::Unknown(w),
            Lookup::Found(e) => {
                let own = self.in_body(&e.member);
                Got::Value(Field {
                    name: key.to_owned(),
                    val: e.val.clone().through(&parent.val.via),
                    at: if own {
                        e.member.clone()
                    } else {
                        parent.at.clone()
                    },
                    key_at: own.then(|| e.key_range.clone()),
                })
            }
        }
    }

    /// `get` for a value the rule needs: unknown records the check as undecided. A
    /// `null` value is no value: the resource provider sees the property as not set
    /// (AVM writes `ingress: disableIngress ? null : {...}`).
    pub fn need(&mut self, parent: &Field<'m>, key: &str) -> Option<Option<Field<'m>>> {
        match self.get(parent, key) {
            Got::Value(f) if matches!(f.val.kind, Kind::Null) => Some(None),
            Got::Value(f) => Some(Some(f)),
            Got::Missing => Some(None),
            Got::Unknown(w) => {
                self.undecided(w);
                None
            }
        }
    }

    /// [`Self::need`] below a parent that may itself be missing (then so is the key).
    pub fn need_in(&mut self, parent: Option<&Field<'m>>, key: &str) -> Option<Option<Field<'m>>> {
        match parent {
            Some(p) => self.need(p, key),
            None => Some(None),
        }
    }

    /// The resource's `properties` for a rule that needs them.
    pub fn need_properties(&mut self) -> Option<Option<Field<'m>>> {
        let body = self.body.clone();
        self.need(&body, "properties")
    }

    /// The elements of an array field; unknown records the check as undecided.
    pub fn items(&mut self, list: &Field<'m>) -> Option<Vec<Field<'m>>> {
        match &list.val.kind {
            Kind::Array(items) => Some(
                items
                    .iter()
                    .map(|item| {
                        let own = item.written.as_ref().filter(|r| self.in_body(r));
                        Field {
                            name: list.name.clone(),
                            val: item.clone().through(&list.val.via),
                            at: own.cloned().unwrap_or_else(|| list.at.clone()),
                            key_at: None,
                        }
                    })
                    .collect(),
            ),
            Kind::Unknown(w) => {
                self.undecided(w.clone());
                None
            }
            _ => None,
        }
    }

    /// The string value of `parent.key`, if known.
    pub fn need_string(
        &mut self,
        parent: &Field<'m>,
        key: &str,
    ) -> Option<Option<(Field<'m>, Rc<str>)>> {
        let Some(f) = self.need(parent, key)? else {
            return Some(None);
        };
        match &f.val.kind {
            Kind::Str(s) => {
                let s = s.clone();
                Some(Some((f, s)))
            }
            Kind::Unknown(w) => {
                self.undecided(w.clone());
                None
            }
            _ => Some(None),
        }
    }

    /// App Service and SignalR are in scope only when `publicNetworkAccess` is
    /// `Disabled`: `Some(true)` then, `None` when it cannot be told.
    pub fn is_internal(&mut self) -> Option<bool> {
        let Some(props) = self.need_properties()? else {
            self.out_of_scope();
            return Some(false);
        };
        match self.need_string(&props, "publicNetworkAccess")? {
            Some((f, s)) if s.eq_ignore_ascii_case("Disabled") => {
                self.gate(&f);
                Some(true)
            }
            _ => {
                self.out_of_scope();
                Some(false)
            }
        }
    }

    /// `f` decided that the rule applies: its definitions explain every finding.
    pub fn gate(&mut self, f: &Field<'m>) {
        for s in f.val.via.iter() {
            if !self.gates.contains(s) {
                self.gates.push(s.clone());
            }
        }
    }

    /// `name is 'x'`, naming the definition the value was set in (some editors show
    /// no related information): `clientCertMode is 'Optional' (param mode, line 3)`.
    pub fn describe(&self, f: &Field<'m>) -> String {
        self.describe_with(f, None)
    }

    /// [`Self::describe`] with a note in the same parentheses: `... (param m, line 1;
    /// client certificates are ignored)`.
    pub fn describe_with(&self, f: &Field<'m>, note: Option<&str>) -> String {
        // The line is written when the findings are final (`LINE_OF`): incremental
        // analysis reuses a finding after edits that move the definition.
        // The definition the value is written in, else the last one it went through (a
        // computed value: `cond ? a : b` names the condition's).
        let holder = f.val.written.as_ref().and_then(|w| {
            f.val
                .via
                .iter()
                .rev()
                .find(|s| s.range.start <= w.start && w.end <= s.range.end)
        });
        let def = holder.or(f.val.via.last()).map(|step| {
            format!(
                "{} {}, {}",
                step.what,
                crate::text::sanitize(&step.name),
                line_marker(&step.range)
            )
        });
        let notes: Vec<String> = def.into_iter().chain(note.map(str::to_owned)).collect();
        if notes.is_empty() {
            format!("{} is {}", f.name, f.val.show())
        } else {
            format!("{} is {} ({})", f.name, f.val.show(), notes.join("; "))
        }
    }

    fn in_body(&self, r: &Range<usize>) -> bool {
        let body = &self.res.body.range;
        body.start <= r.start && r.end <= body.end
    }

    /// Related locations at each definition `f` went through (and the gates).
    pub fn related_of(&self, f: &Field<'m>) -> Vec<Related> {
        self.related(Some(f))
    }

    /// Related locations at each definition `f` (and the gates) went through.
    fn related(&self, f: Option<&Field<'m>>) -> Vec<Related> {
        let mut out = Vec::new();
        // The literal itself, when it is written inside a definition (a key of a var's
        // object, an element of a param's default array) rather than being it.
        if let Some(f) = f
            && let Some(w) = &f.val.written
            && !f.val.via.is_empty()
            && !self.in_body(w)
            && !f.val.via.iter().any(|s| s.range == *w)
        {
            out.push(Related {
                file: None,
                range: w.clone(),
                message: format!("{} is set to {} here", f.name, f.val.show()),
            });
        }
        let steps = f.map(|f| f.val.via.iter()).into_iter().flatten();
        for s in steps.chain(self.gates.iter()) {
            if out.iter().any(|r: &Related| r.range == s.range) {
                continue;
            }
            out.push(Related {
                file: None,
                range: s.range.clone(),
                message: match f {
                    Some(f) if f.val.via.contains(s) => {
                        format!("the value of {} comes from {} {}", f.name, s.what, s.name)
                    }
                    _ => format!("{} {} puts the resource in scope", s.what, s.name),
                },
            });
        }
        out
    }

    /// Reports `f`, whose value is wrong; offers writing `good` where the value is
    /// written, when it is a literal (a definition's literal: the default, the var).
    pub fn bad_value(&mut self, f: &Field<'m>, message: String, good: Option<(NewValue, bool)>) {
        let related = self.related(Some(f));
        let fix = good.and_then(|(new, safe)| {
            let written = f.val.written.as_ref()?;
            if let Some(k) = crate::eval::foreign_file(written) {
                return self.foreign_fix(k, f, written, new, safe);
            }
            // Another resource or caller may share a definition: changing it is never safe.
            let own = f.val.via.is_empty() && self.in_body(written);
            let title = match f.val.via.last() {
                // The definition is the literal: `param mode string = 'Optional'`.
                Some(step) if !own && step.range == *written => {
                    format!(
                        "Set {} {} to {}",
                        step.what,
                        step.name,
                        new.display(self.doc.language)
                    )
                }
                // The literal is inside it: `var siteProps = { clientCertMode: ... }`.
                Some(step) if !own => format!(
                    "Set {} in {} {} to {}",
                    f.name,
                    step.what,
                    step.name,
                    new.display(self.doc.language)
                ),
                _ => format!("Set {} to {}", f.name, new.display(self.doc.language)),
            };
            // Through definitions: safe when the file uses each of them once (here).
            let through = definitions(&f.val.via);
            // Outside the resource and through no definition: no telling who shares it.
            let within = own || !through.is_empty();
            Some(Fix {
                title,
                edits: vec![fix::replace_value(
                    self.doc,
                    &self.res.body.range,
                    written,
                    &new,
                )],
                safe: safe && within,
                unless_shared: if own { Vec::new() } else { through },
                value: Some(new.clone()),
            })
        });
        self.push(f.at.clone(), message, related, fix);
    }

    /// The fix of a value written in another file (a caller's entry): written in that
    /// file's language, at that file's offset; the workspace checks who shares it.
    fn foreign_fix(
        &self,
        k: usize,
        f: &Field<'m>,
        written: &Range<usize>,
        new: NewValue,
        safe: bool,
    ) -> Option<Fix> {
        let doc = self.foreign.get(k).copied().flatten()?;
        let local = crate::eval::local_range(written);
        let base = written.start - local.start;
        if local.end > doc.text.len() {
            return None;
        }
        let mut edit = fix::replace_value(doc, &local, &local, &new);
        edit.range = edit.range.start + base..edit.range.end + base;
        let local_step = |s: &Step| crate::eval::local_range(&s.range);
        let title = match f.val.via.last() {
            // The caller's entry for the param: `clientCertMode: 'Optional'`.
            Some(step)
                if step.range != *written
                    && doc
                        .text
                        .get(local_step(step))
                        .is_some_and(|t| t.starts_with(&*step.name)) =>
            {
                format!(
                    "Set {} to {} in this call",
                    step.name,
                    new.display(doc.language)
                )
            }
            Some(step) if step.range != *written => format!(
                "Set {} in {} {} to {}",
                f.name,
                step.what,
                step.name,
                new.display(doc.language)
            ),
            Some(step) => format!(
                "Set {} {} to {}",
                step.what,
                step.name,
                new.display(doc.language)
            ),
            None => format!("Set {} to {}", f.name, new.display(doc.language)),
        };
        Some(Fix {
            title,
            edits: vec![edit],
            safe,
            unless_shared: definitions(&f.val.via),
            value: Some(new),
        })
    }

    /// Reports `f`, a boolean that must be `true` and is `false`; offers `true`.
    pub fn must_be_true(&mut self, f: &Field<'m>) {
        let msg = format!(
            "{}: set it to true to require client certificates",
            self.describe(f)
        );
        self.bad_value(f, msg, Some((NewValue::Bool(true), true)));
    }

    /// Reports the missing property at `path` below the resource body (e.g.
    /// `["properties", "tls", "clientCertEnabled"]`), located per spec section 5, with
    /// an insert fix where the object it belongs in is a literal.
    pub fn missing(&mut self, path: &[&str], message: String, insert: Option<NewValue>) {
        // The deepest field on the path that exists, and its depth.
        let mut deepest = self.body.clone();
        let mut depth = 0;
        let mut located = self.res.type_range.clone();
        for (i, key) in path[..path.len() - 1].iter().enumerate() {
            match self.get(&deepest, key) {
                Got::Value(f) => {
                    if i > 0 {
                        located = f.key_at.clone().unwrap_or_else(|| f.at.clone());
                    } else if f.key_at.is_none() {
                        located = f.at.clone();
                    }
                    deepest = f;
                    depth = i + 1;
                }
                Got::Missing => break,
                Got::Unknown(w) => return self.undecided(w),
            }
        }
        let Some(obj) = deepest.val.as_object() else {
            // Below a value that is no object (`tls: null`): reported, never inserted into.
            let related = self.related(None);
            return self.push(located, message, related, None);
        };
        if obj.open.is_some() {
            return self.undecided(obj.open.clone().unwrap_or(Why::Fails));
        }
        // A key differing only in case (`ClientCertEnabled`) is not the property, but
        // inserting the right spelling beside it would leave two keys that Bicep and
        // most resource providers treat as duplicates: point at it instead of fixing.
        let want = path[depth];
        let twin = obj
            .entries
            .iter()
            .find(|e| &*e.key != want && e.key.eq_ignore_ascii_case(want))
            .map(|e| Related {
                file: None,
                range: e.key_range.clone(),
                message: format!("{} is not {want}: property names are case-sensitive", e.key),
            });
        let mut related = self.related(Some(&deepest));
        // Set to `null` through a definition: the definitions explain it.
        if let Lookup::Found(e) = obj.lookup(want) {
            let null = Field {
                name: want.to_owned(),
                val: e.val.clone().through(&deepest.val.via),
                at: e.member.clone(),
                key_at: None,
            };
            for r in self.related(Some(&null)) {
                if !related.iter().any(|x| x.range == r.range) {
                    related.push(r);
                }
            }
        }
        related.extend(twin.clone());
        // A key set to `null` is there: inserting beside it would write it twice.
        let present = !matches!(obj.lookup(want), Lookup::Missing);
        let insert = if twin.is_some() || present {
            None
        } else {
            insert
        };
        let fix = insert.and_then(|leaf| {
            let literal = obj.literal?;
            let new = NewValue::nest(&path[depth..], leaf.clone());
            let (key, value) = match new {
                NewValue::Object(mut props) if props.len() == 1 => props.remove(0),
                _ => return None,
            };
            let own = deepest.val.via.is_empty() && self.in_body(&literal.range);
            Some(Fix {
                title: format!(
                    "Add {} set to {}",
                    path[path.len() - 1],
                    leaf.display(self.doc.language)
                ),
                edits: fix::insert_property(self.doc, &self.res.body.range, literal, &key, &value)?,
                safe: true,
                unless_shared: if own {
                    Vec::new()
                } else {
                    definitions(&deepest.val.via)
                },
                value: None,
            })
        });
        self.push(located, message, related, fix);
    }

    pub fn push(
        &mut self,
        range: Range<usize>,
        message: String,
        mut related: Vec<Related>,
        fix: Option<Fix>,
    ) {
        for r in self.related(None) {
            if !related.iter().any(|x| x.range == r.range) {
                related.push(r);
            }
        }
        let message = resolve_line_markers(&message, &related);
        self.found.push(Finding {
            rule: self.rule,
            level: self.level,
            message,
            range,
            related,
            fix,
        });
    }

    /// The last finding reported, to add to it.
    pub fn last_finding(&mut self) -> Option<&mut Finding> {
        self.found.last_mut()
    }
}
