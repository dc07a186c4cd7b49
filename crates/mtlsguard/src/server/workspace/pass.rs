//! One pass over what changed: the workspace brought up to date (open documents' texts,
//! files re-read from disk, referenced files read), then the files connected to the
//! changed ones analyzed together and their diagnostics published, the changed document's
//! first, each only if it changed and only while every file it was computed from is as
//! it was.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mtlsguard_analyzer::Finding;
use ropey::Rope;
use tower_lsp_server::ls_types::{MessageType, Uri};

use super::state::Stamp;
use super::{Linked, disk, open};
use crate::server::analysis;
use crate::server::convert::{self, DiagnosticCaps, Target};
use crate::server::guard::guarded;
use crate::server::session::Session;
use crate::server::settings::Effective;

/// What a pass looks at.
pub(super) struct Input {
    pub paths: BTreeSet<String>,
    /// Workspace folders removed: their files leave the workspace.
    pub forget: Vec<PathBuf>,
    /// Directories deleted: their files are read again (and go, unless still there).
    pub gone: Vec<PathBuf>,
    pub configs: BTreeSet<String>,
    pub full: bool,
    /// Analyze (push mode, or a request waiting for the findings); else only bring the
    /// workspace up to date.
    pub analyze: bool,
}

impl Stamp {
    pub fn current(&self, session: &Session) -> bool {
        session.settings_gen() == self.sgen
            && self
                .gens
                .iter()
                .all(|(p, g)| session.workspace.gen_of(p) == *g)
            && self
                .seqs
                .iter()
                .all(|(uri, seq)| session.doc_seq(uri) == Some(*seq))
    }

    pub fn seq_of(&self, uri: &Uri) -> Option<u64> {
        self.seqs.iter().find(|(u, _)| u == uri).map(|(_, s)| *s)
    }
}

struct FileResult {
    path: String,
    findings: Arc<Vec<Finding>>,
    linked: bool,
    was_linked: bool,
}

pub(super) struct Outcome {
    /// The files analyzed, the changed ones first.
    files: Vec<FileResult>,
    ropes: Arc<HashMap<String, Rope>>,
    stamp: Stamp,
    /// Paths the workspace no longer holds, with their generation then.
    removed: Vec<(String, u64)>,
    /// Something changed that no document notification told the client about, or
    /// files gained or lost links: a pulling client should pull again.
    refresh: bool,
}

/// Brings the workspace up to date with `input` and analyzes what it affects.
pub(super) fn run(session: &Arc<Session>, input: Input) -> Outcome {
    let shared = &session.workspace;
    let sgen = session.settings_gen();
    // Disk first, without the workspace: a slow disk must not hold up other passes.
    let reads: Vec<(String, disk::Read)> = input
        .paths
        .iter()
        .filter(|p| !shared.open_paths.contains_key(*p))
        .map(|p| (p.clone(), disk::read(session, p)))
        .collect();
    let configs: Vec<(String, Option<String>)> = input
        .configs
        .iter()
        .map(|dir| (dir.clone(), disk::read_config(dir)))
        .collect();
    let texts = open::prepare(session);
    let linked_before = shared.linked();
    // A pulling client learns of other changes from its own notifications. A file of the
    // folders read from disk may have changed what `workspace/diagnostic` says of it, a
    // linked one what its neighbours' say; one outside them without links changes
    // nothing the client shows (VS Code opens and closes its settings.json again and
    // again, and each close would make it pull everything).
    let folders = shared
        .folders
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let under = |p: &str, dirs: &[PathBuf]| dirs.iter().any(|d| Path::new(p).starts_with(d));
    let from_disk = input.full
        || !input.configs.is_empty()
        || !input.gone.is_empty()
        || input.paths.iter().any(|p| {
            !shared.open_paths.contains_key(p) && (linked_before.contains(p) || under(p, &folders))
        });
    let mut triggers: Vec<String> = input.paths.iter().cloned().collect();
    let before = {
        let mut index = shared.lock();
        // The files held below `dirs` that are not open.
        let held_below = |dirs: &[PathBuf]| -> Vec<String> {
            if dirs.is_empty() {
                return Vec::new();
            }
            index
                .ws
                .paths()
                .filter(|p| under(p, dirs) && !shared.open_paths.contains_key(*p))
                .map(str::to_owned)
                .collect()
        };
        let mut forgotten = held_below(&input.forget);
        forgotten.retain(|p| !under(p, &folders));
        // A deleted directory's files: read again under the lock, which costs a failed
        // `stat` each (a directory deleted and made again keeps what it has).
        let below_gone = held_below(&input.gone);
        triggers.extend(forgotten.iter().cloned());
        triggers.extend(below_gone.iter().cloned());
        let before = index.ws.affected(&triggers);
        for path in &forgotten {
            index.forget(shared, path);
        }
        for path in &below_gone {
            let read = disk::read(session, path);
            index.apply(shared, path, read);
        }
        let configs_gone: Vec<String> = index
            .configs
            .iter()
            .filter(|dir| under(dir, &input.gone))
            .cloned()
            .collect();
        for dir in configs_gone {
            index.set_config(session, &dir, disk::read_config(&dir).as_deref());
        }
        for (path, read) in reads {
            // Opened meanwhile: the document's text wins.
            if !shared.open_paths.contains_key(&path) {
                index.apply(shared, &path, read);
            }
        }
        index.apply_open(shared, texts);
        for (dir, text) in configs {
            index.set_config(session, &dir, text.as_deref());
        }
        before
    };
    disk::read_wanted(session);
    let index = shared.lock();
    let linked_after = Arc::new(index.ws.linked());
    shared.set_linked(linked_after.clone());
    let mut targets: BTreeSet<String> = before.into_iter().collect();
    targets.extend(triggers.iter().cloned());
    if input.full {
        targets.extend(linked_before.iter().cloned());
        targets.extend(linked_after.iter().cloned());
    }
    targets.retain(|p| {
        index.ws.contains(p) && (linked_before.contains(p) || linked_after.contains(p))
    });
    let removed = triggers
        .iter()
        .filter(|p| !index.ws.contains(p))
        .map(|p| (p.clone(), shared.gen_of(p)))
        .collect();
    let mut out = Outcome {
        files: Vec::new(),
        ropes: Arc::default(),
        stamp: Stamp {
            sgen,
            gens: Arc::default(),
            seqs: Arc::default(),
        },
        removed,
        refresh: from_disk || linked_before != linked_after,
    };
    if !input.analyze || targets.is_empty() {
        return out;
    }
    let effective: RefCell<HashMap<String, Effective>> = RefCell::default();
    let settings_of = |path: &str| -> Effective {
        if let Some(e) = effective.borrow().get(path) {
            return e.clone();
        }
        let e = match shared.uri_of(path) {
            Some(uri) => session.settings_for(&uri),
            None => session.settings_for(&"file:///".parse().expect("a valid URI")),
        };
        effective.borrow_mut().insert(path.to_owned(), e.clone());
        e
    };
    let analysis = guarded(|| {
        // What the changed files affect now (not every file linked to them: a module
        // shared by a thousand tests links them all), and what they affected before that
        // this leaves out (a call taken away).
        let seeds: Vec<String> = if input.full {
            targets.iter().cloned().collect()
        } else {
            triggers
                .iter()
                .filter(|p| targets.contains(*p))
                .cloned()
                .collect()
        };
        let mut files: BTreeSet<String> = index.ws.affected(&seeds).into_iter().collect();
        let lost: Vec<String> = targets
            .iter()
            .filter(|p| !files.contains(*p))
            .cloned()
            .collect();
        if !lost.is_empty() {
            files.extend(index.ws.affected(&lost));
        }
        let files: Vec<String> = files.into_iter().collect();
        index.ws.analyze_files(&files, &|p| settings_of(p).analyzer)
    });
    let analysis = match analysis {
        Ok(a) => a,
        Err(panic) => {
            drop(index);
            session.log(
                MessageType::ERROR,
                format!("mtlsguard: analysis across files failed: {panic}"),
            );
            return out;
        }
    };
    let mut ropes = HashMap::new();
    let mut gens = Vec::new();
    let mut seqs = Vec::new();
    for path in analysis.findings.keys() {
        if let Some(text) = index.ws.text(path) {
            ropes.insert(path.clone(), Rope::from_str(text));
        }
        gens.push((path.clone(), shared.gen_of(path)));
        if let (Some(seq), Some(uri)) = (shared.synced.get(path), shared.open_paths.get(path)) {
            seqs.push((uri.clone(), *seq));
        }
    }
    drop(index);
    out.ropes = Arc::new(ropes);
    out.stamp.gens = Arc::new(gens);
    out.stamp.seqs = Arc::new(seqs);
    for (path, mut findings) in analysis.findings {
        let eff = settings_of(&path);
        if eff.excluded {
            findings.clear();
        }
        analysis::hide_syntax_errors(&mut findings, &eff);
        out.files.push(FileResult {
            linked: linked_after.contains(&path),
            was_linked: linked_before.contains(&path),
            path,
            findings: Arc::new(findings),
        });
    }
    out.files.sort_by_key(|f| !input.paths.contains(&f.path));
    let mut cache = shared.cache.lock().unwrap_or_else(|e| e.into_inner());
    for f in &out.files {
        cache.insert(
            f.path.clone(),
            Linked {
                findings: f.findings.clone(),
                ropes: out.ropes.clone(),
                stamp: out.stamp.clone(),
            },
        );
    }
    out
}

/// Runs a pass in the background and publishes what it found (push mode), or asks a
/// pulling client to pull again when files changed on disk.
pub(super) async fn run_and_publish(session: &Arc<Session>, input: Input) {
    let task = session.clone();
    let out = match tokio::task::spawn_blocking(move || run(&task, input)).await {
        Ok(out) => out,
        Err(e) => {
            session.log(
                MessageType::ERROR,
                format!("mtlsguard: a pass across files failed: {e}"),
            );
            return;
        }
    };
    let caps = session.caps();
    if !caps.pull_diagnostics {
        publish(session, out).await;
    } else if out.refresh && caps.diagnostic_refresh {
        let session = session.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(
                Duration::from_secs(10),
                session.client.workspace_diagnostic_refresh(),
            )
            .await;
        });
    }
}

async fn publish(session: &Arc<Session>, out: Outcome) {
    let caps = session.caps();
    let shared = &session.workspace;
    let mut pushed = session.publish.lock().await;
    for (path, generation) in &out.removed {
        if shared.gen_of(path) != *generation || shared.open_paths.contains_key(path) {
            continue;
        }
        let Some(uri) = shared.uri_of(path) else {
            continue;
        };
        if pushed.remove(&uri).is_some_and(|(_, d)| !d.is_empty()) {
            session
                .client
                .publish_diagnostics(uri, Vec::new(), None)
                .await;
        }
    }
    // Stale: something it was computed from changed, and that change queued a pass.
    if out.files.is_empty() || !out.stamp.current(session) {
        return;
    }
    let elsewhere = |p: &str| Some((shared.uri_of(p)?, out.ropes.get(p)?.clone()));
    let diag_caps = DiagnosticCaps {
        related_information: caps.push_related,
    };
    for file in &out.files {
        let Some(uri) = shared.uri_of(&file.path) else {
            continue;
        };
        let open = shared.open_paths.contains_key(&file.path);
        let version = if open {
            // Open without its text analyzed (opened since): its own pass publishes.
            if out.stamp.seq_of(&uri).is_none() {
                continue;
            }
            // Never linked: the fast path publishes it.
            if !file.linked && !file.was_linked {
                continue;
            }
            match session.snapshot(&uri) {
                Some(snap) => Some(snap.version),
                None => continue,
            }
        } else {
            None
        };
        let Some(rope) = out.ropes.get(&file.path) else {
            continue;
        };
        // A file that is not open shows what its links add; once it has none, nothing.
        let diagnostics = if open || file.linked {
            let target = Target {
                uri: &uri,
                rope,
                version,
            };
            convert::diagnostics_in(target, &file.findings, caps.encoding, diag_caps, &elsewhere)
        } else {
            Vec::new()
        };
        let unchanged = match pushed.get(&uri) {
            Some((v, d)) => *v == version && *d == diagnostics,
            None => !open && diagnostics.is_empty(),
        };
        if unchanged {
            continue;
        }
        pushed.insert(uri.clone(), (version, diagnostics.clone()));
        session
            .client
            .publish_diagnostics(uri, diagnostics, version)
            .await;
    }
}
