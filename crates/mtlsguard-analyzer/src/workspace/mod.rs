//! Analysis across files (spec section 8): the files of a workspace, the calls between
//! them, and each called template checked once per call with its caller's values.
//!
//! Pure like the rest of the crate: the CLI and the server hand in file contents and
//! read what [`Workspace::wanted`] asks for; nothing here touches the disk.

mod engine;
mod relocate;
pub(crate) mod resolve;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use tree_sitter::Tree;

use crate::model::{CallKind, Model};
use crate::rules::{Outcome, Settings};
use crate::syntax::{Document, Language, Parsed, language_for_path, parse};
use crate::{Finding, is_arm_template};

use resolve::BicepConfig;

/// One file of the workspace.
pub(crate) struct File {
    pub path: String,
    pub language: Language,
    pub text: String,
    /// `None` when the parser ran out of time, or for JSON that is neither a template nor
    /// a parameters file.
    pub tree: Option<Tree>,
    pub model: Model,
    /// An ARM template, a parameters file or any Bicep file: what analysis looks at.
    pub analyzed: bool,
}

/// A file parsed and lowered, ready for [`Workspace::add`].
pub struct Prepared(File);

/// The files of a workspace and what the calls between them decide.
pub struct Workspace {
    files: BTreeMap<String, File>,
    /// `bicepconfig.json` per folder: parsed, or why it could not be.
    configs: Vec<(String, Result<BicepConfig, String>)>,
    /// The Bicep module cache (`~/.bicep`) unless a `bicepconfig.json` moves it.
    cache_root: String,
    /// Paths the I/O layer was asked for and could not read, with why.
    absent: BTreeMap<String, String>,
    /// Where every call leads, built when first needed after a change.
    links: Mutex<Option<Arc<Links>>>,
}

/// Where each file's calls lead, and which files are linked by calls either way.
#[derive(Default, Clone)]
pub(crate) struct Links {
    /// Per file, per call: see [`Workspace::target_path`].
    pub targets: HashMap<String, Vec<Option<Result<String, String>>>>,
    pub neighbors: HashMap<String, Vec<String>>,
    /// The files held that call each file held.
    pub callers: HashMap<String, Vec<String>>,
    /// Files with a call that leads to no file held or to themselves (a missing module, a
    /// registry module not in the cache, a self-call): analyzed alone, such a call would
    /// say nothing, while the spec wants it reported as unresolved.
    pub dangling: BTreeSet<String>,
}

/// The calls between a workspace's files at one moment, kept to ask after a change what
/// the changed files affected before it ([`Workspace::affected_before`]).
#[derive(Clone)]
pub struct LinkGraph(Arc<Links>);

/// What analyzing a workspace gives for each of its files.
#[derive(Debug, Default)]
pub struct WorkspaceAnalysis {
    /// Findings per file, final (suppressions applied, sorted), for every analyzed file.
    pub findings: BTreeMap<String, Vec<Finding>>,
    /// How each rule's check of each resource ended, per file checked: calls included.
    pub outcomes: BTreeMap<String, Vec<(&'static str, Outcome)>>,
}

impl Workspace {
    /// Calls followed inside one another at most: a file further below every file
    /// checked than this is never reached, so it need not be read.
    pub const MAX_CHAIN: usize = engine::MAX_CHAIN;

    /// An empty workspace whose registry modules are read below `cache_root` (the
    /// caller expands `~/.bicep`).
    pub fn new(cache_root: &str) -> Workspace {
        Workspace {
            files: BTreeMap::new(),
            configs: Vec::new(),
            cache_root: resolve::normalize(cache_root),
            absent: BTreeMap::new(),
            links: Mutex::default(),
        }
    }

    /// Where every call leads (built once per state of the workspace).
    pub(crate) fn links(&self) -> Arc<Links> {
        let mut cached = self.links.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = cached.as_ref() {
            return l.clone();
        }
        let mut links = Links::default();
        for file in self.files.values() {
            self.link_file(&mut links, file);
        }
        let links = Arc::new(links);
        *cached = Some(links.clone());
        links
    }

    /// Adds `file`'s calls to `links`.
    fn link_file(&self, links: &mut Links, file: &File) {
        let targets: Vec<_> = file
            .model
            .calls
            .iter()
            .map(|c| self.target_path(file, c))
            .collect();
        // A parameters file without its template stays quiet: it often belongs to a
        // Bicep template (`main.parameters.json` beside `main.bicep`), not read here.
        let dangling = file.model.calls.iter().zip(&targets).any(|(c, t)| {
            c.kind != CallKind::ParametersFile
                && match t {
                    Some(Ok(to)) => *to == file.path || !self.files.contains_key(to),
                    Some(Err(_)) => true,
                    None => false,
                }
        });
        if dangling {
            links.dangling.insert(file.path.clone());
        }
        for to in targets.iter().flatten().flatten() {
            if self.files.contains_key(to) {
                links
                    .neighbors
                    .entry(file.path.clone())
                    .or_default()
                    .push(to.clone());
                links
                    .neighbors
                    .entry(to.clone())
                    .or_default()
                    .push(file.path.clone());
                links
                    .callers
                    .entry(to.clone())
                    .or_default()
                    .push(file.path.clone());
            }
        }
        links.targets.insert(file.path.clone(), targets);
    }

    /// Brings the links up to date with a new text of `path`, which the workspace held
    /// before too: only its own calls can have changed (which files exist did not), so
    /// rebuilding every file's links, a few milliseconds in a repository of modules, is
    /// not needed on each keystroke.
    fn relink(&mut self, path: &str) {
        let Some(cached) = self
            .links
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        else {
            return;
        };
        let mut links = Arc::try_unwrap(cached).unwrap_or_else(|shared| (*shared).clone());
        fn remove_one(map: &mut HashMap<String, Vec<String>>, key: &str, value: &str) {
            if let Some(v) = map.get_mut(key) {
                if let Some(i) = v.iter().position(|x| x == value) {
                    v.swap_remove(i);
                }
                if v.is_empty() {
                    map.remove(key);
                }
            }
        }
        for to in links
            .targets
            .remove(path)
            .into_iter()
            .flatten()
            .flatten()
            .flatten()
        {
            if self.files.contains_key(&to) {
                remove_one(&mut links.neighbors, path, &to);
                remove_one(&mut links.neighbors, &to, path);
                remove_one(&mut links.callers, &to, path);
            }
        }
        links.dangling.remove(path);
        if let Some(file) = self.files.get(path) {
            self.link_file(&mut links, file);
        }
        *self.links.get_mut().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(links));
    }

    /// Forgets the links: a file or config changed.
    fn changed(&mut self) {
        *self.links.get_mut().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Adds or replaces the file at `path` (a workspace path: '/'-separated, as the
    /// caller names files). Its language comes from its extension; JSON that is not an
    /// ARM template or parameters file is kept, inert.
    pub fn set_file(&mut self, path: &str, text: String) {
        self.add(Workspace::prepare(path, text, None));
    }

    /// [`Self::set_file`] with a tree the caller already has for `text` (the server's
    /// incremental parse).
    pub fn set_parsed(&mut self, path: &str, language: Language, text: String, tree: Tree) {
        self.add(Workspace::prepare(path, text, Some((language, tree))));
    }

    /// Parses (unless `parsed` is given) and lowers a file for [`Self::add`]: the slow
    /// part of adding a file, which needs no workspace, so callers can prepare many
    /// files in parallel.
    pub fn prepare(path: &str, text: String, parsed: Option<(Language, Tree)>) -> Prepared {
        let path = resolve::normalize(path);
        let text = template_spec(&path, text);
        let language = parsed
            .as_ref()
            .map(|(l, _)| *l)
            .or_else(|| language_for_path(&path));
        let tree = match (parsed, language) {
            (Some((_, tree)), _) => Some(tree),
            (None, Some(language))
                if language == Language::Bicep
                    || is_arm_template(&text)
                    || crate::is_arm_parameters(&text) =>
            {
                match parse(language, &text, None) {
                    Parsed::Tree(tree) => Some(tree),
                    // Out of time: analyzed as a file that could not be parsed.
                    Parsed::OutOfTime => None,
                }
            }
            _ => None,
        };
        let analyzed = match language {
            Some(Language::Bicep) => true,
            Some(Language::Json) => is_arm_template(&text) || crate::is_arm_parameters(&text),
            None => false,
        };
        let language = language.unwrap_or(Language::Json);
        let model = match &tree {
            Some(tree) => crate::lower::lower(&Document::new(language, &text, tree)),
            None => Model::default(),
        };
        Prepared(File {
            path,
            language,
            text,
            tree,
            model,
            analyzed,
        })
    }

    /// Adds or replaces a prepared file.
    pub fn add(&mut self, file: Prepared) {
        let path = file.0.path.clone();
        let known = self.files.contains_key(&path) && !self.absent.contains_key(&path);
        self.absent.remove(&path);
        self.files.insert(path.clone(), file.0);
        if known {
            self.relink(&path);
        } else {
            self.changed();
        }
    }

    /// Forgets the file at `path`.
    pub fn remove_file(&mut self, path: &str) {
        self.changed();
        self.files.remove(&resolve::normalize(path));
    }

    /// The workspace path of every file it holds.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// True when the workspace holds `path`.
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(&resolve::normalize(path))
    }

    /// Sets the `bicepconfig.json` of folder `dir` (its aliases and cache root apply to
    /// the files below it). A text that cannot be read is kept as its error: each
    /// registry reference that needs it says so. Returns that error.
    pub fn set_bicepconfig(&mut self, dir: &str, text: &str) -> Result<(), String> {
        let dir = resolve::normalize(dir);
        // `~` in `cacheRootDirectory` is the home folder, which holds the default cache.
        let home = resolve::parent(&self.cache_root).to_owned();
        let parsed = resolve::parse_bicepconfig(text).map(|c| c.anchored(&dir, &home));
        let result = parsed.as_ref().map(|_| ()).map_err(Clone::clone);
        self.changed();
        self.configs.retain(|(d, _)| *d != dir);
        self.configs.push((dir, parsed));
        result
    }

    /// Forgets the `bicepconfig.json` of folder `dir`.
    pub fn remove_bicepconfig(&mut self, dir: &str) {
        let dir = resolve::normalize(dir);
        self.changed();
        self.configs.retain(|(d, _)| *d != dir);
    }

    /// Records that `path`, asked for by [`Self::wanted`], could not be read, and why:
    /// references to it stay unresolved and it is not asked for again.
    pub fn mark_absent(&mut self, path: &str, why: &str) {
        // Where a parameters file's template is depends on which names are absent.
        self.changed();
        self.absent.insert(resolve::normalize(path), why.to_owned());
    }

    /// The paths that references name and the workspace does not hold yet (nor were
    /// marked absent): the I/O layer reads them and hands them in, then asks again.
    pub fn wanted(&self) -> Vec<String> {
        let links = self.links();
        let mut out = BTreeSet::new();
        let mut want = |path: &String| {
            if !self.files.contains_key(path) && !self.absent.contains_key(path) {
                out.insert(path.clone());
            }
        };
        for path in links.targets.values().flatten().flatten().flatten() {
            want(path);
        }
        // A parameters file names no path: its template is found by name among the files
        // held, so the I/O layer must be asked for each name it may have (a template
        // that is not itself checked, or calls nothing, is otherwise never read).
        for file in self.files.values() {
            let unresolved =
                links.targets.get(&file.path).is_some_and(|t| {
                    file.model.calls.iter().zip(t).any(|(c, t)| {
                        c.kind == CallKind::ParametersFile && matches!(t, Some(Err(_)))
                    })
                });
            if unresolved {
                resolve::parameters_candidates(&file.path)
                    .iter()
                    .for_each(&mut want);
            }
        }
        out.into_iter().collect()
    }

    /// Where `call` of `file` leads: `None` when it leads nowhere (`using none`, an
    /// interpolated path); an error when it cannot be resolved.
    pub(crate) fn target_path(
        &self,
        file: &File,
        call: &crate::model::Call,
    ) -> Option<Result<String, String>> {
        if call.kind == CallKind::ParametersFile {
            let found = resolve::template_for_parameters(&file.path, |p| {
                self.files.get(p).is_some_and(|f| f.analyzed)
            });
            return Some(found.ok_or_else(|| {
                format!(
                    "no template for parameters file {}: expected the template it is named after (X.parameters.json belongs to X.json)",
                    file_name(&file.path)
                )
            }));
        }
        let target = call.target.as_deref()?;
        let config = self.config_for(&file.path);
        let config = match config {
            Some((dir, Err(e))) if target.starts_with("br") || target.starts_with("ts") => {
                return Some(Err(format!("{dir}/bicepconfig.json cannot be read: {e}")));
            }
            Some((_, Ok(c))) => Some(c),
            _ => None,
        };
        Some(
            resolve::resolve(&file.path, target, config, &self.cache_root).map(|t| match t {
                resolve::Target::Local(p) | resolve::Target::Cache(p) => p,
            }),
        )
    }

    /// The nearest `bicepconfig.json` above `path`: its folder, and it.
    fn config_for(&self, path: &str) -> Option<(&str, &Result<BicepConfig, String>)> {
        resolve::nearest_config(path, &self.configs).map(|(d, c)| (d.as_str(), c))
    }

    /// The files whose findings a change of `path` can change: every file connected to
    /// it by calls, either way, itself included.
    pub fn connected(&self, path: &str) -> Vec<String> {
        engine::connected(self, &resolve::normalize(path))
    }

    /// True when `path` calls another file or is called by one, or has a call that cannot
    /// be followed (else its findings are those of analyzing it alone).
    pub fn has_links(&self, path: &str) -> bool {
        let path = resolve::normalize(path);
        let links = self.links();
        links.dangling.contains(&path)
            || links
                .neighbors
                .get(&path)
                .is_some_and(|n| n.iter().any(|p| *p != path))
    }

    /// Every file for which [`Self::has_links`] is true.
    pub fn linked(&self) -> BTreeSet<String> {
        let links = self.links();
        let mut out = links.dangling.clone();
        out.extend(
            links
                .neighbors
                .iter()
                .filter(|(p, n)| n.iter().any(|q| q != *p))
                .map(|(p, _)| p.clone()),
        );
        out
    }

    /// [`Self::connected`] of each of `paths`, together.
    pub fn connected_all(&self, paths: &[String]) -> Vec<String> {
        let paths: Vec<String> = paths.iter().map(|p| resolve::normalize(p)).collect();
        engine::connected_all(self, &paths)
    }

    /// The files whose findings a change of one of `paths` can change: those files, every
    /// file that calls them (directly or not), and every file that any of these calls
    /// (directly or not). A smaller set than [`Self::connected_all`] when templates share
    /// a module: the shared module's other callers are left out.
    ///
    /// Analyzing exactly this set ([`Self::analyze_files`]) gives each of its files the
    /// findings an analysis of all connected files gives it: each file in it that has a
    /// caller has one in it, so none is taken for a template nobody calls, and a file's
    /// findings come from its own calls and those of its callers, which are all in it.
    pub fn affected(&self, paths: &[String]) -> Vec<String> {
        let paths: Vec<String> = paths.iter().map(|p| resolve::normalize(p)).collect();
        engine::affected(self, &paths)
    }

    /// The calls between the files as they are now.
    pub fn link_graph(&self) -> LinkGraph {
        LinkGraph(self.links())
    }

    /// What a change of `paths` would have affected in `graph` (kept from before the
    /// change), among the files held now. With [`Self::affected`] of the changed files,
    /// and [`Self::affected`] of whatever this gives that that leaves out (files a call
    /// that went away reached), it is what to analyze again after the change.
    pub fn affected_before(&self, graph: &LinkGraph, paths: &[String]) -> Vec<String> {
        let paths: Vec<String> = paths.iter().map(|p| resolve::normalize(p)).collect();
        engine::affected_in(self, &graph.0, &paths)
    }

    /// The files to analyze again after the files `changed` changed (or went) since
    /// `graph` was taken: what they affect now, what they affected before, and what
    /// affects the files of the latter that the former leaves out. Analyzing this set
    /// gives each of its files the findings an analysis of the whole workspace gives it;
    /// every other file's findings are as they were.
    pub fn stale_after(&self, graph: &LinkGraph, changed: &[String]) -> Vec<String> {
        let mut stale: BTreeSet<String> = self.affected(changed).into_iter().collect();
        let lost: Vec<String> = self
            .affected_before(graph, changed)
            .into_iter()
            .filter(|p| !stale.contains(p))
            .collect();
        if !lost.is_empty() {
            stale.extend(self.affected(&lost));
        }
        stale.into_iter().collect()
    }

    /// The text the workspace holds for `path` (for the positions of its findings).
    pub fn text(&self, path: &str) -> Option<&str> {
        self.files
            .get(&resolve::normalize(path))
            .map(|f| f.text.as_str())
    }

    /// Analyzes every file of the workspace.
    pub fn analyze(&self, settings: &Settings) -> WorkspaceAnalysis {
        self.analyze_each(&|_| settings.clone())
    }

    /// Analyzes every file of the workspace, each with the rule levels `settings_of`
    /// gives for its path (a called template's resources are checked with its own; a
    /// finding reported in a caller has the caller's level for its rule).
    pub fn analyze_each(&self, settings_of: &dyn Fn(&str) -> Settings) -> WorkspaceAnalysis {
        let all: Vec<String> = self.files.keys().cloned().collect();
        engine::analyze(self, settings_of, &all)
    }

    /// Analyzes exactly the files `paths` (a set closed under [`Self::connected`], such
    /// as one component; calls to files outside it are unresolved), each with the rule
    /// levels `settings_of` gives. Components share nothing, so callers may analyze them
    /// in parallel.
    pub fn analyze_files(
        &self,
        paths: &[String],
        settings_of: &dyn Fn(&str) -> Settings,
    ) -> WorkspaceAnalysis {
        let paths: Vec<String> = paths.iter().map(|p| resolve::normalize(p)).collect();
        engine::analyze(self, settings_of, &paths)
    }

    /// The groups of files linked by calls (each a [`Self::connected`] set) among
    /// `paths`' connections; files without links are left out.
    pub fn components(&self, paths: &[String]) -> Vec<Vec<String>> {
        let mut done = BTreeSet::new();
        let mut out = Vec::new();
        for p in paths {
            let p = resolve::normalize(p);
            if done.contains(&p) || !self.has_links(&p) {
                continue;
            }
            let group = self.connected(&p);
            done.extend(group.iter().cloned());
            out.push(group);
        }
        out
    }

    /// Analyzes the files `paths` and everything connected to them; the result holds
    /// the findings of all of those files.
    pub fn analyze_connected(&self, paths: &[String], settings: &Settings) -> WorkspaceAnalysis {
        let mut set = BTreeSet::new();
        for p in paths {
            set.extend(self.connected(p));
        }
        engine::analyze(
            self,
            &|_| settings.clone(),
            &set.into_iter().collect::<Vec<_>>(),
        )
    }
}

/// A template spec version as the Bicep module cache stores a `ts:` module (the REST
/// resource, its template under `properties.mainTemplate`) turned into that template:
/// everything around it blanked, so offsets stay those of the file.
fn template_spec(path: &str, text: String) -> String {
    if !path.contains("/ts/") || !path.ends_with(".json") || is_arm_template(&text) {
        return text;
    }
    let Parsed::Tree(tree) = parse(Language::Json, &text, None) else {
        return text;
    };
    let Some(range) =
        crate::lower::json::main_template(&Document::new(Language::Json, &text, &tree))
    else {
        return text;
    };
    text.char_indices()
        .map(|(i, c)| {
            if range.contains(&i) || c == '\n' || c == '\r' {
                c.to_string()
            } else {
                " ".repeat(c.len_utf8())
            }
        })
        .collect()
}

/// Whether a text may call another template (a cheap test, before parsing, of which
/// files a workspace needs): a Bicep `module` or `using` statement, an ARM linked
/// deployment, a parameters file.
pub fn may_call(text: &str) -> bool {
    // A statement keyword at the start of a line (Bicep), or the JSON that calls.
    let statement = text.lines().any(|l| {
        let l = l.trim_start();
        ["module ", "module\t", "using ", "using\t"]
            .iter()
            .any(|k| l.starts_with(k))
    });
    statement || text.contains("relativePath") || crate::is_arm_parameters(text)
}

/// The last segment of a path, as messages name files.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_links;
