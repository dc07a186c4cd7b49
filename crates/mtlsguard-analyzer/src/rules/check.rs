//! Checking a resource: which rules apply, its condition and loop elements, and how
//! each check ended (what `check --statistics` counts).

use std::rc::Rc;

use super::context::{Outcome, RuleCtx};
use super::{CHECKS, rule};
use crate::eval::{Bound, Eval, Kind, Val, Why};
use crate::model::{Loop, MAX_LOOP_ELEMENTS, Model, Resource};
use crate::syntax::Document;
use crate::{Finding, Level, Settings};

/// A template checked as called (spec section 8): what its caller supplies, and the
/// documents of every file the supplied values come from (indexed as
/// [`crate::eval::foreign_file`] says), where fixes of those values are written.
pub(crate) struct Binding<'a, 'm> {
    pub bound: Rc<Bound<'m>>,
    pub docs: &'a [Option<&'a Document<'a>>],
}

/// Runs every enabled resource rule over every resource of the document.
pub(crate) fn run(
    doc: &Document<'_>,
    model: &Model,
    settings: &Settings,
    outcomes: &mut Vec<(&'static str, Outcome)>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for res in model.resources.iter().filter(|r| !r.existing) {
        check_resource(doc, model, res, settings, None, &mut out, outcomes);
    }
    out
}

/// Checks `res` with every enabled rule of its type; `outcomes` gets how each ended.
pub(crate) fn check_resource<'m>(
    doc: &Document<'_>,
    model: &'m Model,
    res: &'m Resource,
    settings: &Settings,
    binding: Option<&Binding<'_, 'm>>,
    out: &mut Vec<Finding>,
    outcomes: &mut Vec<(&'static str, Outcome)>,
) {
    let rules: Vec<_> = CHECKS
        .iter()
        .filter(|(id, _)| settings.level(id) != Level::Off)
        .map(|(id, check)| (rule(id).expect("every check has metadata"), check))
        .filter(|(meta, _)| meta.resource_types.iter().any(|t| res.is_type(t)))
        .collect();
    if rules.is_empty() {
        return;
    }
    let eval = match binding {
        Some(b) => Eval::bound(model, b.bound.clone()),
        None => Eval::new(model),
    };
    // Each element of a loop over a known array is its own resource.
    let cases = match &res.each {
        None => vec![Vec::new()],
        Some(each) => loop_cases(&eval, each, res.scope),
    };
    if cases.is_empty() {
        for (meta, _) in &rules {
            outcomes.push((meta.id, Outcome::OutOfScope));
        }
        return;
    }
    // Each case's evaluated body, once for every rule; `None` where a condition known to
    // be false deploys nothing.
    let bodies: Vec<Option<Val<'_>>> = cases
        .iter()
        .map(|env| {
            let off = res
                .condition
                .as_ref()
                .is_some_and(|c| eval.eval(c, res.scope, env).as_bool() == Some(false));
            (!off).then(|| eval.eval_object(&res.body, res.scope, env))
        })
        .collect();
    for (meta, check) in rules {
        let level = settings.level(meta.id);
        let mut worst = None;
        let start = out.len();
        for body in &bodies {
            let Some(body) = body else {
                worst = worst.or(Some(Outcome::OutOfScope));
                continue;
            };
            let mut ctx = RuleCtx::new(doc, res, body.clone(), meta.id, level, settings);
            ctx.foreign = binding.map_or(&[], |b| b.docs);
            check(&mut ctx);
            for f in ctx.found {
                // Elements deciding alike report once.
                if !out[start..].contains(&f) {
                    out.push(f);
                }
            }
            worst = Some(match (worst, ctx.outcome) {
                (Some(Outcome::Undecided(w)), _) | (_, Outcome::Undecided(w)) => {
                    Outcome::Undecided(w)
                }
                (Some(Outcome::Decided), _) | (_, Outcome::Decided) => Outcome::Decided,
                _ => Outcome::OutOfScope,
            });
        }
        outcomes.push((meta.id, worst.unwrap_or(Outcome::OutOfScope)));
    }
}

/// The loop variables of each element of `each` (a resource's or a module's loop),
/// evaluated in `scope`: none for an empty array; one case with unknown elements when
/// the source is unknown or longer than [`MAX_LOOP_ELEMENTS`].
pub(crate) fn loop_cases<'m>(
    eval: &Eval<'m>,
    each: &'m Loop,
    scope: usize,
) -> Vec<Vec<(&'m str, Val<'m>)>> {
    let source = eval.eval(&each.source, scope, &[]);
    fn bind<'m>(each: &'m Loop, item: Val<'m>, index: Val<'m>) -> Vec<(&'m str, Val<'m>)> {
        let mut b = Vec::new();
        if let Some(n) = &each.item {
            b.push((n.as_str(), item));
        }
        if let Some(n) = &each.index {
            b.push((n.as_str(), index));
        }
        if let Some(n) = &each.name {
            b.push((
                crate::model::COPY_NAME,
                Val::computed(Kind::Str(n.as_str().into())),
            ));
        }
        b
    }
    // A count (ARM `copy`) stands for the indexes below it.
    let counted: Option<Vec<Val<'_>>> = match source.kind {
        Kind::Int(n) => Some(
            (0..n.clamp(0, MAX_LOOP_ELEMENTS as i64 + 1))
                .map(|i| Val::computed(Kind::Int(i)).also_via(&[&source]))
                .collect(),
        ),
        _ => None,
    };
    let elements = counted.as_deref().or(source.as_array());
    match elements {
        Some(items) if items.len() > MAX_LOOP_ELEMENTS => {
            vec![bind(
                each,
                Val::unknown(Why::Limit),
                Val::unknown(Why::Limit),
            )]
        }
        Some(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let item = item.clone().through(&source.via);
                let index = match &each.item {
                    // ARM: the index is the element.
                    None => item.clone(),
                    Some(_) => Val::computed(Kind::Int(i as i64)),
                };
                bind(each, item, index)
            })
            .collect(),
        None => {
            let why = source.why().cloned().unwrap_or(Why::Fails);
            vec![bind(each, Val::unknown(why.clone()), Val::unknown(why))]
        }
    }
}
