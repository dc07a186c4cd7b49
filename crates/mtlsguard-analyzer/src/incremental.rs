//! Incremental analysis: after an edit, only the resources whose syntax changed are
//! lowered and checked again; every other resource's findings are reused.
//!
//! tree-sitter reuses the subtrees an edit did not touch, and a reused node keeps its id.
//! So a top-level resource whose node id is unchanged has the same text as before, and
//! its findings are the old ones, moved by however far the edit shifted it. What a
//! resource's findings depend on outside itself is the file's params and vars (value
//! resolution): when any of those changes, everything is checked again. When they only
//! move (an edit above them), cached findings are kept and their locations inside the
//! params and vars (related locations, fixes of a default value) move with them.
//!
//! An ARM inline deployment (`Microsoft.Resources/deployments` with a `template`) is a
//! unit made of units: when only some of its template's resources changed and
//! everything else in it (its parameters, its template's parameters and variables...) kept
//! its node ids, only those resources are checked again. Large ARM files are often one
//! such deployment holding everything.

use std::collections::HashMap;
use std::ops::Range;

use tree_sitter::{Node, Tree};

use crate::lower::{self, bicep, json};
use crate::model::{Model, Symbols};
use crate::rules::Outcome;
use crate::syntax::{Document, Language};
use crate::{Finding, Settings, rules};

/// Per-document analysis state; feed it each new version of the document.
#[derive(Default)]
pub struct Analyzer {
    /// The previously analyzed tree, kept alive (cheaply: it shares its nodes with the
    /// new tree) so that no node id in the cache can be reused by a different new node.
    tree: Option<Tree>,
    key: Option<Key>,
    /// Where each symbol-defining node (in `key.symbols` order) was last time.
    symbol_ranges: Vec<Range<usize>>,
    /// The file's symbols (scope 0), built on the first resource that needs checking.
    base: Option<Model>,
    units: HashMap<usize, Unit>,
    reused: usize,
    checked: usize,
    /// How each rule's check of each resource checked in the last call ended.
    outcomes: Vec<(&'static str, Outcome)>,
}

#[derive(PartialEq)]
struct Key {
    language: Language,
    settings: Settings,
    /// The id of every node that defines symbols: an unchanged id is unchanged text.
    symbols: Vec<usize>,
    /// Bicep resource symbols (`x.id` is a non-empty string): by name, since every
    /// edit in a resource changes its node.
    resource_names: Vec<String>,
}

struct Unit {
    range: Range<usize>,
    /// The resource's findings; for an inline deployment, those outside the template's
    /// resources (which are in `frame`).
    findings: Vec<Finding>,
    frame: Option<Frame>,
}

/// An inline deployment's template resources, checked one by one.
struct Frame {
    /// (range, text) of every node the deployment's checking depends on besides its
    /// template's resources (see `json::deployment_parts`). Compared by text, not node
    /// id: tree-sitter's node id is the address of the node's slot in its parent, and
    /// the parent of these is re-created by any edit inside the deployment.
    parts: Vec<(Range<usize>, String)>,
    units: HashMap<usize, Unit>,
}

/// An inline deployment's parts and template resources (`json::deployment_parts`).
type Deployment<'t> = (Vec<Node<'t>>, Vec<Node<'t>>);

/// (old range, shift): locations inside the old range move by the shift.
type Moves = [(Range<usize>, isize)];

impl Unit {
    fn shift(&mut self, moves: &Moves) {
        for f in &mut self.findings {
            shift(f, moves);
        }
        if let Some(frame) = &mut self.frame {
            for (r, _) in &mut frame.parts {
                move_range(r, moves);
            }
            for unit in frame.units.values_mut() {
                unit.shift(moves);
            }
        }
        move_range(&mut self.range, moves);
    }

    /// The unit reused where its node now is (`range`), with the locations it holds
    /// elsewhere (in params, vars, a deployment's parts) moved by `moves`.
    fn moved_to(mut self, range: Range<usize>, moves: &Moves) -> Unit {
        if self.range != range || !moves.is_empty() {
            let own = (
                self.range.clone(),
                range.start as isize - self.range.start as isize,
            );
            let moves: Vec<_> = std::iter::once(own).chain(moves.iter().cloned()).collect();
            self.shift(&moves);
        }
        self
    }

    fn collect(&self, out: &mut Vec<Finding>) {
        out.extend(self.findings.iter().cloned());
        if let Some(frame) = &self.frame {
            for unit in frame.units.values() {
                unit.collect(out);
            }
        }
    }
}

/// Counts of units reused and checked afresh.
#[derive(Default)]
struct Stats {
    reused: usize,
    checked: usize,
}

/// What a document splits into: symbol-defining nodes and independently checked units.
struct Plan<'t> {
    symbols: Vec<Node<'t>>,
    resource_names: Vec<String>,
    units: Vec<Node<'t>>,
    json_root: Option<Node<'t>>,
}

impl Analyzer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Analyzes `doc` (see [`crate::analyze`]), reusing what the last call found for
    /// every top-level resource whose syntax did not change.
    pub fn analyze(&mut self, doc: &Document<'_>, settings: &Settings) -> Vec<Finding> {
        let Some(plan) = plan(doc) else {
            // Broken or unusual top level: the whole-file path, nothing cached.
            self.units.clear();
            self.key = None;
            self.tree = None;
            let model = lower::lower(doc);
            self.outcomes.clear();
            let findings = rules::run(doc, &model, settings, &mut self.outcomes);
            self.reused = 0;
            self.checked = model.resources.len();
            return finish(doc, settings, findings);
        };
        let key = Key {
            language: doc.language,
            settings: settings.clone(),
            symbols: plan.symbols.iter().map(|n| n.id()).collect(),
            resource_names: plan.resource_names.clone(),
        };
        let symbol_ranges: Vec<Range<usize>> =
            plan.symbols.iter().map(|n| n.byte_range()).collect();
        // Locations in symbols that moved: (old range, shift), applied to cached findings.
        let mut moves: Vec<(Range<usize>, isize)> = Vec::new();
        if self.key.as_ref() != Some(&key) {
            self.units.clear();
            self.base = None;
            self.key = Some(key);
        } else if self.symbol_ranges != symbol_ranges {
            // The base model holds the symbols' locations: rebuild it where they are now.
            self.base = None;
            moves = self
                .symbol_ranges
                .iter()
                .zip(&symbol_ranges)
                .filter(|(old, new)| old.start != new.start)
                .map(|(old, new)| (old.clone(), new.start as isize - old.start as isize))
                .collect();
        }
        self.symbol_ranges = symbol_ranges;
        let mut old = std::mem::take(&mut self.units);
        let mut units = HashMap::with_capacity(plan.units.len());
        let mut stats = Stats::default();
        let mut outcomes = Vec::new();
        for node in &plan.units {
            let range = node.byte_range();
            let unit = match old.remove(&node.id()) {
                Some(unit) => {
                    stats.reused += 1;
                    unit.moved_to(range, &moves)
                }
                None => {
                    let base = self
                        .base
                        .get_or_insert_with(|| base_model(doc, &plan, plan.json_root));
                    let mut ctx = Ctx {
                        doc,
                        settings,
                        base,
                        stats: &mut stats,
                        outcomes: &mut outcomes,
                    };
                    ctx.check(*node, 0, 1, &mut old, &moves)
                }
            };
            units.insert(node.id(), unit);
        }
        let mut findings = Vec::new();
        for node in &plan.units {
            units[&node.id()].collect(&mut findings);
        }
        self.units = units;
        self.tree = Some(doc.tree.clone());
        self.reused = stats.reused;
        self.checked = stats.checked;
        self.outcomes = outcomes;
        finish(doc, settings, findings)
    }

    /// How each rule's check ended for every resource the last call checked afresh
    /// (all of them on the first call): what `check --statistics` counts.
    pub fn last_outcomes(&self) -> &[(&'static str, Outcome)] {
        &self.outcomes
    }

    /// How many top-level resources the last call reused and checked afresh.
    pub fn last_stats(&self) -> (usize, usize) {
        (self.reused, self.checked)
    }
}

/// The file's symbols as scope 0, which every unit is checked against.
fn base_model(doc: &Document<'_>, plan: &Plan<'_>, json_root: Option<Node<'_>>) -> Model {
    let mut base = Model::default();
    match json_root {
        Some(root) => json::root_scope(doc, root, &mut base),
        None => {
            base.scopes.push(Symbols {
                resources: plan.resource_names.clone(),
                ..Symbols::default()
            });
            for node in &plan.symbols {
                bicep::lower_statement(doc, *node, &mut base);
            }
        }
    }
    base
}

struct Ctx<'a, 'd> {
    doc: &'a Document<'d>,
    settings: &'a Settings,
    /// Scope 0, and the scopes of the deployments being descended into.
    base: &'a mut Model,
    stats: &'a mut Stats,
    outcomes: &'a mut Vec<(&'static str, Outcome)>,
}

impl Ctx<'_, '_> {
    /// The unit for `node` (a resource at lowering `depth` in `scope`), which has no
    /// cached unit of its own id: an inline deployment whose parts are unchanged reuses
    /// what it can from its old unit (found in `old`); anything else is checked afresh.
    fn check(
        &mut self,
        node: Node<'_>,
        scope: usize,
        depth: usize,
        old: &mut HashMap<usize, Unit>,
        moves: &Moves,
    ) -> Unit {
        let deployment = self.deployment(node, depth);
        if let Some((parts, items)) = &deployment {
            let text = |n: &Node<'_>| &self.doc.text[n.byte_range()];
            let key = old.iter().find_map(|(k, u)| {
                let f = u.frame.as_ref()?;
                (f.parts.len() == parts.len()
                    && f.parts.iter().zip(parts).all(|((_, t), n)| t == text(n)))
                .then_some(*k)
            });
            if let Some(unit) = key.and_then(|k| old.remove(&k)) {
                return self.descend(node, unit, parts, items, scope, depth, moves);
            }
        }
        self.stats.checked += 1;
        let scopes = self.base.scopes.len();
        match self.doc.language {
            Language::Bicep => bicep::lower_statement(self.doc, node, self.base),
            Language::Json => json::lower_item(self.doc, node, scope, self.base, depth),
        }
        let mut out = Vec::new();
        for res in self.base.resources.iter().filter(|r| !r.existing) {
            rules::check_resource(
                self.doc,
                self.base,
                res,
                self.settings,
                None,
                &mut out,
                self.outcomes,
            );
        }
        self.base.resources.clear();
        // Calls are not checked per unit; kept, they would pile up over the units.
        self.base.calls.clear();
        self.base.scopes.truncate(scopes);
        self.build(node, deployment, depth, out)
    }

    /// An inline deployment whose parts are unchanged: its own findings move with the
    /// parts, its unchanged template resources are reused, the others checked.
    #[allow(clippy::too_many_arguments)]
    fn descend(
        &mut self,
        node: Node<'_>,
        unit: Unit,
        parts: &[Node<'_>],
        items: &[Node<'_>],
        scope: usize,
        depth: usize,
        moves: &Moves,
    ) -> Unit {
        let frame = unit.frame.expect("matched by its frame");
        let mut moves = moves.to_vec();
        for ((old, _), new) in frame.parts.iter().zip(parts) {
            if old.start != new.start_byte() {
                moves.push((old.clone(), new.start_byte() as isize - old.start as isize));
            }
        }
        let mut findings = unit.findings;
        for f in &mut findings {
            shift(f, &moves);
        }
        let mut old = frame.units;
        let mut units = HashMap::with_capacity(items.len());
        let scopes = self.base.scopes.len();
        if let Some((_, inner)) = json::deployment_scope(self.doc, node, scope, self.base, depth) {
            for item in items {
                let range = item.byte_range();
                let unit = match old.remove(&item.id()) {
                    Some(unit) => {
                        self.stats.reused += 1;
                        unit.moved_to(range, &moves)
                    }
                    None => self.check(*item, inner, depth + 2, &mut old, &moves),
                };
                units.insert(item.id(), unit);
            }
        }
        self.base.scopes.truncate(scopes);
        Unit {
            range: node.byte_range(),
            findings,
            frame: Some(Frame {
                parts: self.parts(parts),
                units,
            }),
        }
    }

    fn parts(&self, parts: &[Node<'_>]) -> Vec<(Range<usize>, String)> {
        parts
            .iter()
            .map(|n| (n.byte_range(), self.doc.text[n.byte_range()].to_owned()))
            .collect()
    }

    /// `node`'s parts and template resources when it is an inline deployment whose
    /// template resources are lowered (not past the depth limit).
    fn deployment<'t>(&self, node: Node<'t>, depth: usize) -> Option<Deployment<'t>> {
        if self.doc.language != Language::Json || depth + 2 > crate::lower::MAX_DEPTH {
            return None;
        }
        json::deployment_parts(self.doc, node)
    }

    /// The unit of a freshly checked `node`: its findings, split among its template's
    /// resources when it is an inline deployment.
    /// `deployment` is [`Ctx::deployment`] of `node`.
    fn build<'t>(
        &self,
        node: Node<'t>,
        deployment: Option<Deployment<'t>>,
        depth: usize,
        findings: Vec<Finding>,
    ) -> Unit {
        let Some((parts, items)) = deployment else {
            return Unit {
                range: node.byte_range(),
                findings,
                frame: None,
            };
        };
        let mut own = Vec::new();
        let mut per_item: Vec<Vec<Finding>> = items.iter().map(|_| Vec::new()).collect();
        for f in findings {
            // Items are in text order: the last one starting at or before the finding.
            let k = items.partition_point(|i| i.start_byte() <= f.range.start);
            match k.checked_sub(1) {
                Some(k) if f.range.end <= items[k].end_byte() => per_item[k].push(f),
                _ => own.push(f),
            }
        }
        let units = items
            .iter()
            .zip(per_item)
            .map(|(item, fs)| {
                let deployment = self.deployment(*item, depth + 2);
                (item.id(), self.build(*item, deployment, depth + 2, fs))
            })
            .collect();
        Unit {
            range: node.byte_range(),
            findings: own,
            frame: Some(Frame {
                parts: self.parts(&parts),
                units,
            }),
        }
    }
}

fn plan<'t>(doc: &Document<'t>) -> Option<Plan<'t>> {
    let root = doc.tree.root_node();
    match doc.language {
        Language::Bicep => {
            let mut plan = Plan {
                symbols: Vec::new(),
                resource_names: Vec::new(),
                units: Vec::new(),
                json_root: None,
            };
            let mut cursor = root.walk();
            for child in root.named_children(&mut cursor) {
                // A top level with errors takes the recovering whole-file path.
                if child.is_error() || child.has_error() || !bicep::is_statement(child.kind()) {
                    return None;
                }
                match child.kind() {
                    // Types too: a nullable one makes a param without default `null`.
                    "parameter_declaration" | "variable_declaration" | "type_declaration" => {
                        plan.symbols.push(child)
                    }
                    "resource_declaration" => {
                        plan.resource_names.extend(bicep::symbol_name(doc, child));
                        plan.units.push(child);
                    }
                    _ => {}
                }
            }
            Some(plan)
        }
        Language::Json => {
            let (obj, units) = json::root_units(doc, root)?;
            // Only parameters and variables reach into resources (value resolution).
            let mut symbols: Vec<Node<'t>> = Vec::new();
            let mut cursor = obj.walk();
            for pair in obj.named_children(&mut cursor) {
                let key = pair
                    .child_by_field_name("key")
                    .and_then(|k| json::string(doc, k));
                if key.is_some_and(|k| k == "parameters" || k == "variables") {
                    symbols.push(pair);
                }
            }
            Some(Plan {
                symbols,
                resource_names: Vec::new(),
                units,
                json_root: Some(obj),
            })
        }
    }
}

/// Moves each location of a finding by the shift of the first old range that holds it:
/// its resource's, or a param's or var's (related locations, fixes of a default value).
fn shift(f: &mut Finding, moves: &Moves) {
    move_range(&mut f.range, moves);
    for r in &mut f.related {
        move_range(&mut r.range, moves);
    }
    if let Some(fix) = &mut f.fix {
        for e in &mut fix.edits {
            move_range(&mut e.range, moves);
        }
    }
}

fn move_range(r: &mut Range<usize>, moves: &Moves) {
    if let Some((_, delta)) = moves
        .iter()
        .find(|(old, _)| old.start <= r.start && r.end <= old.end)
    {
        r.start = (r.start as isize + delta) as usize;
        r.end = (r.end as isize + delta) as usize;
    }
}

/// Adds syntax errors, applies suppressions, sorts: what every analysis ends with.
pub(crate) fn finish(
    doc: &Document<'_>,
    settings: &Settings,
    mut findings: Vec<Finding>,
) -> Vec<Finding> {
    // Syntax errors first, so a directive can suppress them like any finding and is not
    // reported unused.
    let level = settings.level(crate::SYNTAX_ERROR);
    if level != crate::Level::Off {
        findings.extend(crate::syntax::errors(doc, level));
    }
    crate::suppress::apply(doc, settings, &mut findings);
    crate::finding::write_lines(doc.text, &mut findings);
    crate::fix::shared::decide(doc, &mut findings);
    findings.sort_by(|a, b| {
        (a.range.start, a.range.end, a.rule).cmp(&(b.range.start, b.range.end, b.rule))
    });
    findings
}
