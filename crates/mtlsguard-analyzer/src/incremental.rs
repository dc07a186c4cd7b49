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

use std::collections::HashMap;
use std::ops::Range;

use tree_sitter::{Node, Tree};

use crate::lower::{self, bicep, json};
use crate::model::{Model, Symbols};
use crate::parse::{Document, Language};
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
}

#[derive(PartialEq)]
struct Key {
    language: Language,
    settings: Settings,
    /// The id of every node that defines symbols: an unchanged id is unchanged text.
    symbols: Vec<usize>,
}

struct Unit {
    range: Range<usize>,
    findings: Vec<Finding>,
}

/// What a document splits into: symbol-defining nodes and independently checked units.
struct Plan<'t> {
    symbols: Vec<Node<'t>>,
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
            let findings = rules::run(doc, &model, settings);
            self.reused = 0;
            self.checked = model.resources.len();
            return crate::finish(doc, settings, findings, model.chunk_errors);
        };
        let key = Key {
            language: doc.language,
            settings: settings.clone(),
            symbols: plan.symbols.iter().map(|n| n.id()).collect(),
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
        let mut findings = Vec::new();
        let mut units = HashMap::with_capacity(plan.units.len());
        let (mut reused, mut checked) = (0, 0);
        for node in plan.units {
            let range = node.byte_range();
            let unit = match self.units.remove(&node.id()) {
                Some(mut unit) => {
                    reused += 1;
                    if unit.range != range || !moves.is_empty() {
                        let own = (
                            unit.range.clone(),
                            range.start as isize - unit.range.start as isize,
                        );
                        let moves: Vec<_> =
                            std::iter::once(own).chain(moves.iter().cloned()).collect();
                        for f in &mut unit.findings {
                            shift(f, &moves);
                        }
                        unit.range = range;
                    }
                    unit
                }
                None => {
                    checked += 1;
                    Unit {
                        range,
                        findings: self.check_unit(
                            doc,
                            &plan.symbols,
                            plan.json_root,
                            node,
                            settings,
                        ),
                    }
                }
            };
            findings.extend(unit.findings.iter().cloned());
            units.insert(node.id(), unit);
        }
        self.units = units;
        self.tree = Some(doc.tree.clone());
        self.reused = reused;
        self.checked = checked;
        crate::finish(doc, settings, findings, Vec::new())
    }

    /// How many top-level resources the last call reused and checked afresh.
    pub fn last_stats(&self) -> (usize, usize) {
        (self.reused, self.checked)
    }

    fn check_unit(
        &mut self,
        doc: &Document<'_>,
        symbols: &[Node<'_>],
        json_root: Option<Node<'_>>,
        node: Node<'_>,
        settings: &Settings,
    ) -> Vec<Finding> {
        let base = self.base.get_or_insert_with(|| {
            let mut base = Model::default();
            match json_root {
                Some(root) => json::root_scope(doc, root, &mut base),
                None => {
                    base.scopes.push(Symbols::default());
                    for node in symbols {
                        bicep::lower_statement(doc, *node, &mut base);
                    }
                }
            }
            base
        });
        let scopes = base.scopes.len();
        match doc.language {
            Language::Bicep => bicep::lower_statement(doc, node, base),
            Language::Json => json::root_unit(doc, node, base),
        }
        let mut out = Vec::new();
        for res in base.resources.iter().filter(|r| !r.existing) {
            rules::check_resource(doc, base, res, settings, &mut out);
        }
        base.resources.clear();
        base.scopes.truncate(scopes);
        out
    }
}

fn plan<'t>(doc: &Document<'t>) -> Option<Plan<'t>> {
    if crate::parse::gave_up(doc.tree, doc.text) {
        return None;
    }
    let root = doc.tree.root_node();
    match doc.language {
        Language::Bicep => {
            let mut plan = Plan {
                symbols: Vec::new(),
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
                    "parameter_declaration" | "variable_declaration" => plan.symbols.push(child),
                    "resource_declaration" => plan.units.push(child),
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
                units,
                json_root: Some(obj),
            })
        }
    }
}

/// Moves each location of a finding by the shift of the first old range that holds it:
/// its resource's, or a param's or var's (related locations, fixes of a default value).
fn shift(f: &mut Finding, moves: &[(Range<usize>, isize)]) {
    let mv = |r: &mut Range<usize>| {
        if let Some((_, delta)) = moves
            .iter()
            .find(|(old, _)| old.start <= r.start && r.end <= old.end)
        {
            r.start = (r.start as isize + delta) as usize;
            r.end = (r.end as isize + delta) as usize;
        }
    };
    mv(&mut f.range);
    for r in &mut f.related {
        mv(&mut r.range);
    }
    if let Some(fix) = &mut f.fix {
        for e in &mut fix.edits {
            mv(&mut e.range);
        }
    }
}
