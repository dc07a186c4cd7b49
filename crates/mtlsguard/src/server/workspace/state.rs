//! The workspace state the session holds, apart from the passes and requests that need
//! the session itself (so that the session can hold it without the two depending on
//! each other).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use dashmap::DashMap;
use mtlsguard_analyzer::{Finding, LinkGraph, Workspace};
use ropey::Rope;
use tower_lsp_server::ls_types::{Diagnostic, Uri};

use crate::config;

/// The workspace state of the session.
pub struct Shared {
    pub(super) index: Mutex<Index>,
    /// Every file with links, as of the last pass: what the fast path asks, without
    /// waiting for the workspace.
    pub(super) linked: RwLock<Arc<BTreeSet<String>>>,
    /// Each path's generation, bumped (from `next_gen`) whenever the workspace's text of
    /// it changes or it goes: a result is current while the generations it was computed
    /// from are.
    pub(super) gens: DashMap<String, u64>,
    pub(super) next_gen: AtomicU64,
    pub(super) pending: Mutex<Pending>,
    /// Held by the pass that runs (push mode): one at a time.
    pub(super) running: tokio::sync::Mutex<()>,
    pub(super) folders: Mutex<Vec<PathBuf>>,
    /// Open documents by workspace path, with the URI the client uses for each.
    pub(super) open_paths: DashMap<String, Uri>,
    /// Open documents whose text the workspace holds, with the `seq` of that text
    /// (written with the workspace's lock held; read without it).
    pub(super) synced: DashMap<String, u64>,
    /// The last pass's findings of each file it analyzed, while current.
    pub(super) cache: Mutex<HashMap<String, Linked>>,
    /// What `workspace/diagnostic` computed last.
    pub(super) reports: Mutex<Option<Reports>>,
}

/// The workspace and what the server needs to keep it in step.
pub(super) struct Index {
    pub(super) ws: Workspace,
    /// Files read because they are referenced (bounded: [`disk::MAX_REFERENCED`]).
    pub(super) referenced: usize,
    /// Folders whose `bicepconfig.json` the workspace has.
    pub(super) configs: BTreeSet<String>,
}

/// What the next pass has to look at.
#[derive(Default)]
pub(super) struct Pending {
    pub(super) paths: BTreeSet<String>,
    /// Folders whose `bicepconfig.json` changed.
    pub(super) configs: BTreeSet<String>,
    /// Workspace folders removed: their files leave the workspace, unless open, under a
    /// folder that stays, or referenced.
    pub(super) forget: Vec<PathBuf>,
    /// Directories deleted (a watched-file event or `workspace/didDeleteFiles` for a
    /// folder): the files the workspace holds below them are read again (and so go).
    pub(super) gone: Vec<PathBuf>,
    /// Everything linked (settings or a `bicepconfig.json` changed, indexing ended).
    pub(super) full: bool,
    /// A pass task waits to take this.
    pub(super) scheduled: bool,
}

/// The findings of a file from a pass, with what they were computed from.
#[derive(Clone)]
pub struct Linked {
    pub findings: Arc<Vec<Finding>>,
    /// The texts of the files analyzed with it (for related locations in them).
    pub ropes: Arc<HashMap<String, Rope>>,
    pub(super) stamp: Stamp,
}

impl Shared {
    pub fn new() -> Shared {
        Shared {
            index: Mutex::new(Index {
                ws: Workspace::new(&default_cache_root()),
                referenced: 0,
                configs: BTreeSet::new(),
            }),
            linked: RwLock::default(),
            gens: DashMap::new(),
            next_gen: AtomicU64::new(1),
            pending: Mutex::default(),
            running: tokio::sync::Mutex::const_new(()),
            folders: Mutex::default(),
            open_paths: DashMap::new(),
            synced: DashMap::new(),
            cache: Mutex::default(),
            reports: Mutex::default(),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn linked(&self) -> Arc<BTreeSet<String>> {
        self.linked
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(super) fn set_linked(&self, linked: Arc<BTreeSet<String>>) {
        *self.linked.write().unwrap_or_else(|e| e.into_inner()) = linked;
    }

    /// Records that the workspace's text of `path` changed (called with the index held).
    pub(super) fn bump(&self, path: &str) {
        let g = self.next_gen.fetch_add(1, Ordering::SeqCst);
        self.gens.insert(path.to_owned(), g);
    }

    pub(super) fn gen_of(&self, path: &str) -> u64 {
        self.gens.get(path).map_or(0, |g| *g)
    }

    /// The URI of a workspace path: the one the client opened it with, if open.
    pub fn uri_of(&self, path: &str) -> Option<Uri> {
        match self.open_paths.get(path) {
            Some(uri) => Some(uri.clone()),
            None => Uri::from_file_path(path),
        }
    }
}

impl Default for Shared {
    fn default() -> Shared {
        Shared::new()
    }
}

/// The Bicep module cache: `~/.bicep` (a `bicepconfig.json` may move it).
pub(super) fn default_cache_root() -> String {
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
        .unwrap_or_default();
    key(&home.join(".bicep"))
}

/// A path as the workspace names it: absolute, '/'-separated (as the CLI names it).
pub(super) fn key(path: &Path) -> String {
    config::absolute(path).to_string_lossy().replace('\\', "/")
}

/// The workspace path of a `file:` URI.
pub fn path_of(uri: &Uri) -> Option<String> {
    if uri.scheme().as_str() != "file" {
        return None;
    }
    Some(key(&uri.to_file_path()?))
}

/// What a result was computed from; it is current while all of it is unchanged.
#[derive(Clone)]
pub struct Stamp {
    pub(super) sgen: u64,
    pub(super) gens: Arc<Vec<(String, u64)>>,
    /// Open documents among the files, with the `seq` of the text analyzed.
    pub(super) seqs: Arc<Vec<(Uri, u64)>>,
}

/// One file's report.
#[derive(Clone)]
pub struct FileReport {
    pub uri: Uri,
    /// Of an open document: the version analyzed.
    pub version: Option<i32>,
    pub items: Vec<Diagnostic>,
    pub result_id: String,
}

/// The reports of one state of the workspace.
pub struct Reports {
    /// The generation counter then: any change since moves it.
    pub(super) generation: u64,
    pub(super) sgen: u64,
    pub(super) files: Arc<Vec<FileReport>>,
    /// Each file's generation then, and its report (`None`: no findings).
    pub(super) by_path: HashMap<String, (u64, Option<FileReport>)>,
    /// The calls between the files then: what a change reached before it.
    pub(super) graph: LinkGraph,
}
