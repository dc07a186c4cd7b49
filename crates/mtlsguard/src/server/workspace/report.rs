//! What `workspace/diagnostic` reports: the diagnostics of every file of the workspace
//! that has findings, open or not, from one analysis of the whole workspace (kept while
//! nothing changes: clients ask again every few seconds).

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use ropey::Rope;
use tower_lsp_server::ls_types::{Diagnostic, MessageType};

use super::Index;
pub use super::state::{FileReport, Reports};
use crate::server::analysis;
use crate::server::convert::{self, DiagnosticCaps, Target};
use crate::server::guard::guarded;
use crate::server::session::Session;
use crate::server::settings::Effective;

/// The result id of a report: its content's hash, so a file whose diagnostics did not
/// change is "unchanged" whatever else changed in the workspace.
pub fn result_id(items: &[Diagnostic]) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(items)
        .unwrap_or_default()
        .hash(&mut h);
    format!("w{:016x}", h.finish())
}

/// The reports of every file with findings (computed on the calling, blocking thread).
///
/// Only what changed since the last call is analyzed again: the files the changed files
/// affect now and affected before ([`Workspace::stale_after`]). A client asks every few
/// seconds, and a keystroke changes a few dozen files' findings at most.
///
/// [`Workspace::stale_after`]: mtlsguard_analyzer::Workspace::stale_after
pub fn reports(session: &Arc<Session>) -> Arc<Vec<FileReport>> {
    let shared = &session.workspace;
    let sgen = session.settings_gen();
    let texts = super::open::prepare(session);
    let mut index = shared.lock();
    index.apply_open(shared, texts);
    shared.set_linked(Arc::new(index.ws.linked()));
    let generation = shared.next_gen.load(Ordering::SeqCst);
    let previous = {
        let mut cached = shared.reports.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = cached.as_ref()
            && r.generation == generation
            && r.sgen == sgen
        {
            return r.files.clone();
        }
        cached.take().filter(|r| r.sgen == sgen)
    };
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
    let paths: Vec<String> = index.ws.paths().map(str::to_owned).collect();
    let (mut by_path, stale) = match previous {
        Some(r) => {
            // Changed, new, or gone since.
            let mut changed: Vec<String> = paths
                .iter()
                .filter(|p| r.by_path.get(*p).map(|(g, _)| *g) != Some(shared.gen_of(p)))
                .cloned()
                .collect();
            changed.extend(r.by_path.keys().filter(|p| !index.ws.contains(p)).cloned());
            let stale = index.ws.stale_after(&r.graph, &changed);
            let mut by_path = r.by_path;
            by_path.retain(|p, _| index.ws.contains(p));
            (by_path, stale)
        }
        None => (HashMap::new(), paths.clone()),
    };
    let seqs: HashMap<String, u64> = shared
        .synced
        .iter()
        .map(|e| (e.key().clone(), *e.value()))
        .collect();
    let caps = session.caps();
    let diag_caps = DiagnosticCaps {
        related_information: caps.pull_related,
    };
    if !stale.is_empty() {
        let fresh = match group_reports(session, &index, &stale, &seqs, diag_caps, &settings_of) {
            Ok(r) => r,
            Err(panic) => {
                drop(index);
                session.log(
                    MessageType::ERROR,
                    format!("mtlsguard: analysis of the workspace failed: {panic}"),
                );
                return Arc::default();
            }
        };
        for p in &stale {
            by_path.insert(p.clone(), (shared.gen_of(p), None));
        }
        for (path, report) in fresh {
            by_path.insert(path.clone(), (shared.gen_of(&path), Some(report)));
        }
    }
    // Every file held has its generation recorded, so that an unchanged one is not taken
    // for a changed one next time.
    for p in &paths {
        by_path
            .entry(p.clone())
            .or_insert_with(|| (shared.gen_of(p), None));
    }
    let graph = index.ws.link_graph();
    drop(index);
    let files: Arc<Vec<FileReport>> =
        Arc::new(by_path.values().filter_map(|(_, r)| r.clone()).collect());
    *shared.reports.lock().unwrap_or_else(|e| e.into_inner()) = Some(Reports {
        generation,
        sgen,
        files: files.clone(),
        by_path,
        graph,
    });
    files
}

/// The reports of the files of `group` that have findings, by path.
fn group_reports(
    session: &Session,
    index: &Index,
    group: &[String],
    seqs: &HashMap<String, u64>,
    diag_caps: DiagnosticCaps,
    settings_of: &dyn Fn(&str) -> Effective,
) -> Result<Vec<(String, FileReport)>, String> {
    let shared = &session.workspace;
    let analysis = guarded(|| index.ws.analyze_files(group, &|p| settings_of(p).analyzer))?;
    let mut found = Vec::new();
    for (path, mut findings) in analysis.findings {
        let eff = settings_of(&path);
        if eff.excluded {
            findings.clear();
        }
        analysis::hide_syntax_errors(&mut findings, &eff);
        if !findings.is_empty() {
            found.push((path, findings));
        }
    }
    // The texts of these files and of the files their related locations lead into.
    let mut ropes: HashMap<String, Rope> = HashMap::new();
    for (path, findings) in &found {
        let files = std::iter::once(path.as_str()).chain(
            findings
                .iter()
                .flat_map(|f| f.related.iter().filter_map(|r| r.file.as_deref())),
        );
        for p in files {
            if !ropes.contains_key(p)
                && let Some(text) = index.ws.text(p)
            {
                ropes.insert(p.to_owned(), Rope::from_str(text));
            }
        }
    }
    let encoding = session.caps().encoding;
    let elsewhere = |p: &str| Some((shared.uri_of(p)?, ropes.get(p)?.clone()));
    let mut files = Vec::new();
    for (path, findings) in found {
        let (Some(uri), Some(rope)) = (shared.uri_of(&path), ropes.get(&path)) else {
            continue;
        };
        let version = seqs
            .get(&path)
            .and_then(|seq| session.snapshot(&uri).filter(|s| s.seq == *seq))
            .map(|s| s.version);
        let target = Target {
            uri: &uri,
            rope,
            version,
        };
        let items = convert::diagnostics_in(target, &findings, encoding, diag_caps, &elsewhere);
        files.push((
            path,
            FileReport {
                result_id: result_id(&items),
                uri,
                version,
                items,
            },
        ));
    }
    Ok(files)
}
