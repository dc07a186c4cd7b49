//! Where a finding of a called template is reported (spec section 5): in the caller
//! whose value decided it, at the entry that supplies the value, or at the call itself
//! when the value is the template's own default; with its fix written in that file.

use std::ops::Range;

use super::{File, file_name};
use crate::eval::{foreign_file, local_range};
use crate::finding::LINE_OF;
use crate::fix::{self, NewValue};
use crate::line_index::LineIndex;
use crate::model::{Call, CallKind};
use crate::syntax::{Document, Language};
use crate::{Edit, Finding, Fix, Related};

/// One call on the way to a template: file `file`'s call number `call`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Site {
    pub file: usize,
    pub call: usize,
}

/// The file where finding `f` of template `callee`, checked as called through `chain`,
/// is reported, and the finding as reported there.
pub(super) fn relocate(
    files: &[&File],
    docs: &[Option<&Document<'_>>],
    chain: &[Site],
    callee: usize,
    mut f: Finding,
) -> (usize, Finding) {
    let file_of = |r: &Range<usize>| foreign_file(r).unwrap_or(callee);
    let foreign_fix = f
        .fix
        .as_ref()
        .and_then(|x| x.edits.first())
        .and_then(|e| foreign_file(&e.range));
    // The first file of the chain (the outermost caller) whose text the finding went
    // through decides it; a fix in a caller's text decides where it goes.
    let through: Vec<usize> = f.related.iter().map(|r| file_of(&r.range)).collect();
    let outermost = chain
        .iter()
        .map(|s| s.file)
        .find(|file| through.contains(file));
    let callee_file = files[callee];
    let default = default_param(callee_file, &f);
    // The template's own default decides: the direct caller could set the param.
    let target = match (foreign_fix, &default, outermost) {
        (Some(k), ..) => k,
        (None, Some(_), _) => chain.last().map_or(callee, |s| s.file),
        (None, None, Some(k)) => k,
        // Decided by the template's own text alone: the same in every call, so it is
        // the template's own finding (reported once, in it).
        (None, None, None) => return (callee, f),
    };
    let Some(site) = chain.iter().find(|s| s.file == target).copied() else {
        return (callee, f);
    };
    let caller = files[target];
    let call = &caller.model.calls[site.call];
    let callee_range = f.range.clone();
    // The entry of the call that the value came through, else the call's reference.
    let entry = match (foreign_fix, &default) {
        (None, Some(_)) => None,
        _ => f
            .related
            .iter()
            .filter(|r| file_of(&r.range) == target)
            .map(|r| local_range(&r.range))
            .find_map(|r| entry_of(call, &r)),
    };
    f.range = entry.clone().unwrap_or_else(|| call.target_range.clone());
    for r in &mut f.related {
        let k = file_of(&r.range);
        r.range = local_range(&r.range);
        r.file = (k != target).then(|| files[k].path.clone());
    }
    f.related.push(Related {
        range: callee_range,
        message: format!(
            "the resource in {} that gets the value",
            file_name(&callee_file.path)
        ),
        file: Some(callee_file.path.clone()),
    });
    f.message = write_foreign_lines(files, &f);
    f.message.push_str(&format!(
        " (in {}, when called from {})",
        file_name(&callee_file.path),
        calls_text(files, chain, target)
    ));
    f.fix = match (f.fix.take(), foreign_fix) {
        (Some(mut fix), Some(_)) => {
            for e in &mut fix.edits {
                e.range = local_range(&e.range);
            }
            // A fix of a value the call writes is shared by every element of a loop.
            fix.safe &= call.each.is_none();
            // Whether the caller's own definitions it edits are shared is decided in the
            // caller, like any fix there; the callee's (the param the entry sets) are not
            // the caller's to count.
            let defined = |name: &str| {
                caller.model.scopes.first().is_some_and(|s| {
                    s.params
                        .iter()
                        .chain(&s.vars)
                        .any(|(n, _)| n.eq_ignore_ascii_case(name))
                })
            };
            fix.unless_shared.retain(|(_, name)| defined(name));
            Some(fix)
        }
        (Some(fix), None) if entry.is_none() => default.and_then(|name| {
            let doc = docs.get(target).copied().flatten()?;
            insert_entry(doc, call, &name, fix)
        }),
        _ => None,
    };
    (target, f)
}

/// The top-level param of `callee` whose default the finding's fix edits, or whose
/// default the finding went through.
fn default_param(callee: &File, f: &Finding) -> Option<String> {
    let params = callee.model.scopes.first().map(|s| &s.params)?;
    let is_default = |r: &Range<usize>| {
        if foreign_file(r).is_some() {
            return None;
        }
        params
            .iter()
            .find(|(_, d)| d.value.range == *r)
            .map(|(n, _)| n.clone())
    };
    let from_fix = f.fix.as_ref().and_then(|x| x.edits.first()).and_then(|e| {
        params
            .iter()
            .find(|(_, d)| d.value.range.start <= e.range.start && e.range.end <= d.value.range.end)
            .map(|(n, _)| n.clone())
    });
    from_fix.or_else(|| f.related.iter().find_map(|r| is_default(&r.range)))
}

/// The entry of `call` at or around `r` (a `params` property or spread, a `.bicepparam`
/// `param` line, a parameters file's entry).
fn entry_of(call: &Call, r: &Range<usize>) -> Option<Range<usize>> {
    let obj = call.params.as_ref()?;
    let within = |e: &Range<usize>| e.start <= r.start && r.end <= e.end;
    obj.props
        .iter()
        .map(|p| &p.range)
        .chain(obj.spreads.iter().map(|s| &s.range))
        .find(|e| within(e))
        .cloned()
}

/// The message with each `line N` of a related location in another file written as
/// `file line N`, and the lines of its own file left for the final pass.
fn write_foreign_lines(files: &[&File], f: &Finding) -> String {
    if !f.message.contains(LINE_OF) {
        return f.message.clone();
    }
    let mut out = String::with_capacity(f.message.len());
    let mut parts = f.message.split(LINE_OF);
    out.push_str(parts.next().unwrap_or(""));
    while let (Some(k), Some(rest)) = (parts.next(), parts.next()) {
        let related = k.parse::<usize>().ok().and_then(|i| f.related.get(i));
        match related {
            Some(Related {
                file: Some(path),
                range,
                ..
            }) => {
                if let Some(file) = files.iter().find(|x| x.path == *path) {
                    let line = LineIndex::new(&file.text).line(range.start) + 1;
                    out.push_str(&format!("{} line {line}", file_name(path)));
                }
            }
            _ => {
                out.push(LINE_OF);
                out.push_str(k);
                out.push(LINE_OF);
            }
        }
        out.push_str(rest);
    }
    out
}

/// `main.bicep:12`, or `main.bicep:12 → site.bicep:40` for a call through others, from
/// the outermost caller down to the call that `target` makes.
fn calls_text(files: &[&File], chain: &[Site], target: usize) -> String {
    let mut parts = Vec::new();
    for s in chain {
        let file = files[s.file];
        let at = file.model.calls[s.call].target_range.start;
        let line = LineIndex::new(&file.text).line(at) + 1;
        parts.push(format!("{}:{line}", file_name(&file.path)));
        if s.file == target && chain.len() > 1 && parts.len() > 1 {
            break;
        }
    }
    parts.join(" → ")
}

/// The fix that sets param `name` in `call`, which does not set it: an entry in the
/// module's `params`, a `param` line in the `.bicepparam`, an entry in the parameters
/// file, written in that file's style.
fn insert_entry(doc: &Document<'_>, call: &Call, name: &str, fix: Fix) -> Option<Fix> {
    let value = fix.value.clone()?;
    let edits = match call.kind {
        CallKind::Module | CallKind::Deployment => {
            let obj = call.params.as_ref()?;
            let value = match call.kind {
                CallKind::Deployment => NewValue::Object(vec![("value".into(), value.clone())]),
                _ => value.clone(),
            };
            fix::insert_property(doc, &obj.range, obj, name, &value)?
        }
        CallKind::ParametersFile => {
            let obj = call.params.as_ref()?;
            let wrapped = NewValue::Object(vec![("value".into(), value.clone())]);
            fix::insert_property(doc, &obj.range, obj, name, &wrapped)?
        }
        CallKind::Using => {
            if !is_identifier(name) {
                return None;
            }
            let after = call
                .params
                .as_ref()
                .and_then(|o| o.props.iter().map(|p| p.range.end).max())
                .unwrap_or(call.target_range.end)
                .max(call.target_range.end);
            let eol = if doc.text.contains("\r\n") {
                "\r\n"
            } else {
                "\n"
            };
            vec![Edit {
                range: after..after,
                new_text: format!(
                    "{eol}param {name} = {}",
                    value.render_inline(Language::Bicep)
                ),
            }]
        }
    };
    Some(Fix {
        title: format!("Set {name} to {} in this call", value.display(doc.language)),
        edits,
        safe: fix.safe && call.each.is_none(),
        unless_shared: Vec::new(),
        value: Some(value),
    })
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
