//! Walks the calls from each template nobody calls, checking every called template once
//! per call with the values its caller binds (spec section 8).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::rc::Rc;

use super::relocate::{self, Site};
use super::{File, Links, Workspace, WorkspaceAnalysis, file_name};
use crate::eval::{Bound, Entry, Eval, Kind, Obj, Val, Why};
use crate::finding::UNRESOLVED_REFERENCE;
use crate::model::Call;
use crate::rules::{Binding, Outcome, Settings, check_resource, loop_cases};
use crate::syntax::Document;
use crate::{Finding, Level};

/// Calls followed inside one another at most (main → module → module ...).
pub(crate) const MAX_CHAIN: usize = 64;
/// Called templates checked per deployment (from one template nobody calls) at most: a
/// module called 256 times in a loop by a module called 256 times must not mean 65,536
/// checks.
pub(crate) const MAX_CALLS: usize = 4096;

/// What a call binds: each param it sets (name, value, entry), and why the params it
/// does not show are unknown, when they are.
type Params<'m> = (Vec<(Rc<str>, Val<'m>, std::ops::Range<usize>)>, Option<Why>);

/// Where a call leads.
enum Link {
    To(usize),
    Unresolved(String),
    /// Nowhere, by design (`using none`, a path written as an expression).
    Nothing,
}

/// Every file connected to `path` by calls, either way.
pub(super) fn connected(ws: &Workspace, path: &str) -> Vec<String> {
    connected_all(ws, &[path.to_owned()])
}

/// Every file connected to one of `paths` by calls, either way.
pub(super) fn connected_all(ws: &Workspace, paths: &[String]) -> Vec<String> {
    let links = ws.links();
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<String> = paths.iter().cloned().collect();
    while let Some(p) = queue.pop_front() {
        if !seen.insert(p.clone()) {
            continue;
        }
        for next in links.neighbors.get(p.as_str()).into_iter().flatten() {
            if !seen.contains(next) {
                queue.push_back(next.clone());
            }
        }
    }
    seen.retain(|p| ws.files.contains_key(p));
    seen.into_iter().collect()
}

/// See [`Workspace::affected`].
pub(super) fn affected(ws: &Workspace, paths: &[String]) -> Vec<String> {
    affected_in(ws, &ws.links(), paths)
}

/// [`affected`] in the link graph `links` (the workspace's now, or one kept from before
/// a change), among the files the workspace holds now.
pub(super) fn affected_in(ws: &Workspace, links: &Links, paths: &[String]) -> Vec<String> {
    let mut up = BTreeSet::new();
    let mut queue: VecDeque<&str> = paths.iter().map(String::as_str).collect();
    while let Some(p) = queue.pop_front() {
        if up.insert(p) {
            queue.extend(
                links
                    .callers
                    .get(p)
                    .into_iter()
                    .flatten()
                    .map(String::as_str),
            );
        }
    }
    let mut all = up.clone();
    let mut queue: VecDeque<&str> = up.into_iter().collect();
    while let Some(p) = queue.pop_front() {
        let called = links
            .targets
            .get(p)
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_ref()?.as_ref().ok());
        for to in called {
            // Held when the graph was made (a file held then has its entry).
            if links.targets.contains_key(to) && all.insert(to.as_str()) {
                queue.push_back(to);
            }
        }
    }
    all.into_iter()
        .filter(|p| ws.files.contains_key(*p))
        .map(str::to_owned)
        .collect()
}

/// The state of one analysis.
struct Walk<'w, 'd> {
    /// Each file's rule levels.
    settings: Vec<Settings>,
    files: Vec<&'w File>,
    docs: &'d [Option<&'d Document<'w>>],
    links: Vec<Vec<Link>>,
    /// Resource findings per file, before suppressions.
    out: Vec<Vec<Finding>>,
    outcomes: Vec<Vec<(&'static str, Outcome)>>,
    /// Called templates checked so far in this deployment ([`MAX_CALLS`]).
    calls: usize,
    /// Each file's module symbols' values (`{ outputs: {...} }`), built once.
    modules: HashMap<usize, Vec<(Rc<str>, Val<'w>)>>,
}

pub(super) fn analyze(
    ws: &Workspace,
    settings_of: &dyn Fn(&str) -> Settings,
    paths: &[String],
) -> WorkspaceAnalysis {
    let files: Vec<&File> = paths.iter().filter_map(|p| ws.files.get(p)).collect();
    let index: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path.as_str(), i))
        .collect();
    let docs: Vec<Option<Document<'_>>> = files
        .iter()
        .map(|f| {
            f.tree
                .as_ref()
                .filter(|_| f.analyzed)
                .map(|t| Document::new(f.language, &f.text, t))
        })
        .collect();
    let all_links = ws.links();
    let links = files
        .iter()
        .map(|f| {
            let targets = all_links.targets.get(&f.path);
            f.model
                .calls
                .iter()
                .zip(targets.into_iter().flatten())
                .map(|(call, t)| match t.clone() {
                    None => Link::Nothing,
                    // A parameters file without a template of its name is quiet: it
                    // often goes with a Bicep template, which no name says.
                    Some(Err(_)) if call.kind == crate::model::CallKind::ParametersFile => {
                        Link::Nothing
                    }
                    Some(Err(e)) => Link::Unresolved(e),
                    Some(Ok(p)) => match index.get(p.as_str()) {
                        Some(&k) if docs[k].is_some() => Link::To(k),
                        Some(_) => Link::Unresolved(format!(
                            "{} is not a template that can be read",
                            written(call, &p)
                        )),
                        None => Link::Unresolved(unread(ws, call, &p)),
                    },
                })
                .collect()
        })
        .collect();
    let n = files.len();
    let settings = files.iter().map(|f| settings_of(&f.path)).collect();
    let doc_refs: Vec<Option<&Document<'_>>> = docs.iter().map(Option::as_ref).collect();
    let mut walk = Walk {
        settings,
        files,
        docs: &doc_refs,
        links,
        out: vec![Vec::new(); n],
        outcomes: vec![Vec::new(); n],
        calls: 0,
        modules: HashMap::new(),
    };
    let mut called = vec![false; n];
    for links in &walk.links {
        for l in links {
            if let Link::To(k) = l {
                called[*k] = true;
            }
        }
    }
    let mut reached = vec![false; n];
    // Templates nobody calls are deployed as they are; then any left in a cycle of calls
    // with no way in are checked alone, so that nothing goes unchecked.
    let order: Vec<usize> = (0..n)
        .filter(|&i| !called[i])
        .chain((0..n).filter(|&i| called[i]))
        .collect();
    for i in order {
        if walk.docs[i].is_some() && !reached[i] {
            walk.calls = 0;
            walk.visit(i, &[], None, &mut reached);
        }
    }
    let mut result = WorkspaceAnalysis::default();
    for (i, file) in walk.files.iter().enumerate() {
        if !file.analyzed {
            continue;
        }
        let findings = std::mem::take(&mut walk.out[i]);
        let settings = &walk.settings[i];
        let findings = match &walk.docs[i] {
            Some(doc) => {
                let mut f = crate::incremental::finish(doc, settings, findings);
                if doc.tree.root_node().has_error() {
                    crate::keep_clean_fixes(doc.language, doc.text, settings, &mut f);
                }
                f
            }
            None => crate::not_analyzed(&file.text, settings),
        };
        result.findings.insert(file.path.clone(), findings);
        result
            .outcomes
            .insert(file.path.clone(), std::mem::take(&mut walk.outcomes[i]));
    }
    result
}

impl<'w, 'd> Walk<'w, 'd> {
    /// Checks file `j` as called through `chain` (empty: as deployed on its own) with
    /// `params` bound, then each template it calls.
    fn visit(
        &mut self,
        j: usize,
        chain: &[Site],
        params: Option<Params<'w>>,
        reached: &mut [bool],
    ) {
        reached[j] = true;
        let file = self.files[j];
        let modules = self.module_values(j);
        let (params, unset) = params.unwrap_or_default();
        let bound = Rc::new(Bound {
            params,
            unset,
            modules,
        });
        let docs = self.docs;
        let Some(doc) = docs[j] else { return };
        let binding = Binding {
            bound: bound.clone(),
            docs,
        };
        let mut found = Vec::new();
        let mut outcomes = Vec::new();
        for res in file.model.resources.iter().filter(|r| !r.existing) {
            check_resource(
                doc,
                &file.model,
                res,
                &self.settings[j],
                Some(&binding),
                &mut found,
                &mut outcomes,
            );
        }
        self.outcomes[j].extend(outcomes);
        for f in found {
            let (to, mut f) = if chain.is_empty() {
                (j, f)
            } else {
                relocate::relocate(&self.files, docs, chain, j, f)
            };
            // Reported in `to`: at `to`'s level for the rule.
            f.level = self.settings[to].level(f.rule);
            if f.level != Level::Off && !self.out[to].contains(&f) {
                self.out[to].push(f);
            }
        }
        for (ci, call) in file.model.calls.iter().enumerate() {
            let k = match &self.links[j][ci] {
                Link::Nothing => continue,
                Link::Unresolved(why) => {
                    let why = why.clone();
                    self.unresolved(j, call, why);
                    continue;
                }
                Link::To(k) => *k,
            };
            if k == j || chain.iter().any(|s| s.file == k) {
                let message = format!(
                    "{} calls back into a template that is already being called: a cycle of calls",
                    file_name(&self.files[k].path)
                );
                self.unresolved(j, call, message);
                continue;
            }
            if chain.len() >= MAX_CHAIN {
                self.unresolved(
                    j,
                    call,
                    format!("calls are nested deeper than {MAX_CHAIN}: not followed further"),
                );
                continue;
            }
            let eval = Eval::bound(&file.model, bound.clone());
            let cases = match &call.each {
                None => vec![Vec::new()],
                Some(each) => loop_cases(&eval, each, call.scope),
            };
            let mut chain_k = chain.to_vec();
            chain_k.push(Site { file: j, call: ci });
            for env in cases {
                let off = call
                    .condition
                    .as_ref()
                    .is_some_and(|c| eval.eval(c, call.scope, &env).as_bool() == Some(false));
                if off {
                    continue;
                }
                if self.calls >= MAX_CALLS {
                    self.unresolved(
                        j,
                        call,
                        format!(
                            "more than {MAX_CALLS} calls in the workspace: not followed further"
                        ),
                    );
                    break;
                }
                self.calls += 1;
                let params = bind(&eval, call, &env, j);
                self.visit(k, &chain_k, Some(params), reached);
            }
        }
    }

    /// An `unresolved-reference` info at `call`'s reference, once.
    fn unresolved(&mut self, j: usize, call: &Call, why: String) {
        let level = self.settings[j].level(UNRESOLVED_REFERENCE);
        if level == Level::Off {
            return;
        }
        let f = Finding {
            rule: UNRESOLVED_REFERENCE,
            level,
            message: format!("{why}; the values it would supply are unknown"),
            range: call.target_range.clone(),
            related: Vec::new(),
            fix: None,
        };
        if !self.out[j].contains(&f) {
            self.out[j].push(f);
        }
    }

    /// What file `j`'s module symbols evaluate to: `{ outputs: { ... } }`, each output of
    /// the called template evaluated without its params (a resource's `id` is known
    /// whatever the params: a non-empty string).
    fn module_values(&mut self, j: usize) -> Vec<(Rc<str>, Val<'w>)> {
        if let Some(v) = self.modules.get(&j) {
            return v.clone();
        }
        let mut out = Vec::new();
        for (ci, call) in self.files[j].model.calls.iter().enumerate() {
            let (Some(name), Link::To(k)) = (&call.name, &self.links[j][ci]) else {
                continue;
            };
            let callee = self.files[*k];
            let eval = Eval::bound(
                &callee.model,
                Rc::new(Bound {
                    unset: Some(Why::Supplied),
                    ..Bound::default()
                }),
            );
            let mut outputs = Obj::empty();
            for (key, def) in callee.model.scopes.first().map_or(&[][..], |s| &s.outputs) {
                outputs.set(Entry {
                    key: key.as_str().into(),
                    key_range: def.name_range.clone(),
                    member: def.name_range.clone(),
                    val: eval.eval(&def.value, def.scope, &[]),
                });
            }
            let mut module = Obj::empty();
            module.open = Some(Why::ResourceProperty);
            module.set(Entry {
                key: "outputs".into(),
                key_range: call.target_range.clone(),
                member: call.target_range.clone(),
                val: Val::computed(Kind::Object(Rc::new(outputs))),
            });
            let v = Val::computed(Kind::Object(Rc::new(module))).moved_to_file(*k);
            out.push((name.as_str().into(), v));
        }
        self.modules.insert(j, out.clone());
        out
    }
}

/// A reference as its file writes it (a parameters file writes none: its template's
/// name).
fn written(call: &Call, path: &str) -> String {
    match &call.target {
        Some(t) => format!("'{}'", crate::text::sanitize(t)),
        None => super::file_name(path).to_owned(),
    }
}

/// Why the template at `path`, which `call` names, is not there: as the I/O layer
/// said, with where it was looked for when that is not what the call writes (a module
/// cache path).
fn unread(ws: &Workspace, call: &Call, path: &str) -> String {
    let why = ws
        .absent
        .get(path)
        .map_or("not in the workspace", String::as_str);
    let registry = call.target.as_deref().is_some_and(|t| {
        ["br:", "br/", "ts:", "ts/"]
            .iter()
            .any(|p| t.len() >= 3 && t[..3].eq_ignore_ascii_case(p))
    });
    match (registry, call.target.as_deref()) {
        (true, Some(_)) => format!(
            "{}: {why} in the Bicep module cache ({path}); nothing is downloaded: run `bicep restore` to fill it",
            written(call, path)
        ),
        _ => format!("{}: {why}", written(call, path)),
    }
}

/// The params `call` of file `j` binds, evaluated in `j` with loop variables `env`
/// (ranges moved to `j`'s offset), and why the params it does not show are unknown
/// when its params object is not fully known.
fn bind<'m>(eval: &Eval<'m>, call: &'m Call, env: &[(&'m str, Val<'m>)], j: usize) -> Params<'m> {
    let v = match (&call.params, &call.params_value) {
        (Some(obj), _) => eval.eval_object(obj, call.scope, env),
        (None, Some(v)) => eval.eval(v, call.scope, env),
        (None, None) => return (Vec::new(), None),
    };
    match &v.moved_to_file(j).kind {
        Kind::Object(o) => (
            o.entries
                .iter()
                .map(|e| (e.key.clone(), e.val.clone(), e.member.clone()))
                .collect(),
            o.open.clone(),
        ),
        Kind::Unknown(w) => (Vec::new(), Some(w.clone())),
        _ => (Vec::new(), Some(Why::Fails)),
    }
}
