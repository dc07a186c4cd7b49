//! What `workspace/diagnostic` reports: the diagnostics of every file of the workspace
//! that has findings, open or not, from one analysis of the whole workspace (kept while
//! nothing changes: clients ask again every few seconds).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
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
/// Each group of linked files, and each file without links, is analyzed only when one
/// of its files changed since the last call: a client asks every few seconds, and a
/// keystroke changes one group.
pub fn reports(session: &Arc<Session>) -> Arc<Vec<FileReport>> {
    let shared = &session.workspace;
    let sgen = session.settings_gen();
    let texts = super::open::prepare(session);
    let mut index = shared.lock();
    index.apply_open(shared, texts);
    shared.set_linked(Arc::new(index.ws.linked()));
    let generation = shared.next_gen.load(Ordering::SeqCst);
    let mut previous = {
        let mut cached = shared.reports.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = cached.as_ref()
            && r.generation == generation
            && r.sgen == sgen
        {
            return r.files.clone();
        }
        match cached.take() {
            Some(r) if r.sgen == sgen => r.groups,
            _ => HashMap::new(),
        }
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
    let mut groups = index.ws.components(&paths);
    let grouped: HashSet<&str> = groups.iter().flatten().map(String::as_str).collect();
    let alone: Vec<Vec<String>> = paths
        .iter()
        .filter(|p| !grouped.contains(p.as_str()))
        .map(|p| vec![p.clone()])
        .collect();
    groups.extend(alone);
    let seqs: HashMap<String, u64> = shared
        .synced
        .iter()
        .map(|e| (e.key().clone(), *e.value()))
        .collect();
    let caps = session.caps();
    let diag_caps = DiagnosticCaps {
        related_information: caps.pull_related,
    };
    let mut next = HashMap::new();
    let mut files = Vec::new();
    for group in groups {
        let stamp: Vec<(String, u64)> = group
            .iter()
            .map(|p| (p.clone(), shared.gen_of(p)))
            .collect();
        let reports = match previous.remove(&stamp) {
            Some(r) => r,
            None => match group_reports(session, &index, &group, &seqs, diag_caps, &settings_of) {
                Ok(r) => Arc::new(r),
                Err(panic) => {
                    drop(index);
                    session.log(
                        MessageType::ERROR,
                        format!("mtlsguard: analysis of the workspace failed: {panic}"),
                    );
                    return Arc::default();
                }
            },
        };
        files.extend(reports.iter().cloned());
        next.insert(stamp, reports);
    }
    drop(index);
    let files = Arc::new(files);
    *shared.reports.lock().unwrap_or_else(|e| e.into_inner()) = Some(Reports {
        generation,
        sgen,
        files: files.clone(),
        groups: next,
    });
    files
}

/// The reports of the files of one group with findings.
fn group_reports(
    session: &Session,
    index: &Index,
    group: &[String],
    seqs: &HashMap<String, u64>,
    diag_caps: DiagnosticCaps,
    settings_of: &dyn Fn(&str) -> Effective,
) -> Result<Vec<FileReport>, String> {
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
        files.push(FileReport {
            result_id: result_id(&items),
            uri,
            version,
            items,
        });
    }
    Ok(files)
}
