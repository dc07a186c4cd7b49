//! The templates of the workspace folders and what they reference, for analysis across
//! files (spec section 8).
//!
//! One [`Workspace`] holds every file: read from disk at `initialized` (`disk.rs`), kept
//! up to date by watched-file events, with open documents' texts over their disk texts.
//! A document without links keeps the single-file fast path (`schedule.rs`); the files
//! that call or are called get their findings from passes over their connected files
//! (`pass.rs`), which run in the background, debounced, and publish only results that
//! are still current.
//!
//! Locking: the workspace is behind one mutex, held by indexing for one file at a time
//! and by a pass for its analysis. Nothing on the message loop takes it: a keystroke
//! only queues a pass, and the fast path reads the set of linked files, kept apart.

mod disk;
mod open;
mod pass;
pub mod report;
mod state;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tower_lsp_server::ls_types::{
    FileChangeType, FileEvent, InitializeParams, Uri, WorkspaceFolder, WorkspaceFoldersChangeEvent,
};

use super::documents::Snapshot;
use super::session::Session;
use crate::config;

pub use disk::start_indexing;
use state::{Index, Pending, key};
pub use state::{Linked, Shared, path_of};

/// How long a pass for changes from disk, settings or open/close waits for more of them
/// before it runs (they come in bursts). A keystroke's pass does not wait: the document's
/// own diagnostics come from it. Keystrokes that come while a pass runs wait for it and
/// then go in one pass together, so fast typing still means one pass at a time.
const DEBOUNCE: Duration = Duration::from_millis(60);

/// Remembers the workspace folders of `initialize` (indexed at `initialized`).
pub fn set_folders(session: &Session, params: &InitializeParams) {
    let mut uris: Vec<&Uri> = params
        .workspace_folders
        .iter()
        .flatten()
        .map(|f| &f.uri)
        .collect();
    #[allow(deprecated)]
    if uris.is_empty()
        && let Some(root) = &params.root_uri
    {
        uris.push(root);
    }
    let folders = uris
        .into_iter()
        .filter(|u| u.scheme().as_str() == "file")
        .filter_map(|u| u.to_file_path().map(|p| config::absolute(&p)))
        .collect();
    *session
        .workspace
        .folders
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = folders;
}

/// Workspace folders were added or removed (`workspace/didChangeWorkspaceFolders`): the
/// added ones are indexed; the files of the removed ones leave the workspace, except
/// those open, under a folder that stays, or referenced from what stays (read again).
pub fn folders_changed(session: &Arc<Session>, event: &WorkspaceFoldersChangeEvent) {
    let to_path = |f: &WorkspaceFolder| {
        (f.uri.scheme().as_str() == "file")
            .then(|| f.uri.to_file_path().map(|p| config::absolute(&p)))
            .flatten()
    };
    let removed: Vec<PathBuf> = event.removed.iter().filter_map(to_path).collect();
    let added = {
        let mut folders = session
            .workspace
            .folders
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        folders.retain(|f| !removed.contains(f));
        let mut added = Vec::new();
        for f in event.added.iter().filter_map(to_path) {
            if !folders.contains(&f) {
                folders.push(f.clone());
                added.push(f);
            }
        }
        added
    };
    if !removed.is_empty() {
        queue(session, false, |p| {
            p.forget.extend(removed);
            // What called a file of theirs finds it missing now, or reads it again.
            p.full = true;
        });
    }
    disk::index_in_background(session, added);
}

/// How a document notification changed what is open.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Touch {
    Opened,
    Changed,
    Closed,
}

/// A document was opened, changed or closed: the next pass puts its text (or, once
/// closed, its disk text) into the workspace.
pub fn touched(session: &Arc<Session>, uri: &Uri, how: Touch) {
    let Some(path) = path_of(uri) else { return };
    let shared = &session.workspace;
    match how {
        Touch::Opened => {
            shared.open_paths.insert(path.clone(), uri.clone());
        }
        Touch::Closed => {
            shared.open_paths.remove(&path);
        }
        Touch::Changed => {}
    }
    queue(session, how == Touch::Changed, |p| {
        p.paths.insert(path);
    });
}

/// Watched files changed on disk: templates are re-read (unless open) or forgotten,
/// `bicepconfig.json` files re-read.
pub fn watched(session: &Arc<Session>, changes: &[FileEvent]) {
    let mut paths = Vec::new();
    let mut configs = Vec::new();
    let mut gone = Vec::new();
    for change in changes {
        let Some(path) = path_of(&change.uri) else {
            continue;
        };
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
        if name == disk::BICEPCONFIG {
            configs.push(dir.to_owned());
        } else if mtlsguard_analyzer::language_for_path(&path).is_some() {
            // Whatever the event says, the pass reads what is on disk now: a file
            // deleted and created again in one batch is there.
            paths.push(path);
        } else if change.typ == FileChangeType::DELETED {
            // No template: a directory, whose files get no events of their own.
            gone.push(PathBuf::from(path));
        }
    }
    queue_disk_changes(session, paths, configs, gone);
}

/// `workspace/didDeleteFiles`: files and folders deleted in the editor. The watcher
/// reports files deleted, but a deleted folder is one event, which no template glob
/// matches.
pub fn deleted(session: &Arc<Session>, uris: impl Iterator<Item = Uri>) {
    let mut paths = Vec::new();
    let mut gone = Vec::new();
    for uri in uris {
        let Some(path) = path_of(&uri) else { continue };
        if mtlsguard_analyzer::language_for_path(&path).is_some() {
            paths.push(path.clone());
        }
        gone.push(PathBuf::from(path));
    }
    queue_disk_changes(session, paths, Vec::new(), gone);
}

/// Queues a pass for files and `bicepconfig.json` folders changed on disk and
/// directories deleted.
fn queue_disk_changes(
    session: &Arc<Session>,
    paths: Vec<String>,
    configs: Vec<String>,
    gone: Vec<PathBuf>,
) {
    if paths.is_empty() && configs.is_empty() && gone.is_empty() {
        return;
    }
    queue(session, false, |p| {
        p.gone.extend(gone);
        p.paths.extend(paths);
        let config_changed = !configs.is_empty();
        p.configs.extend(configs);
        // Aliases and the cache root decide where references lead, for any file below.
        p.full |= config_changed;
    });
}

/// Re-checks every linked file (settings changed).
pub fn queue_full(session: &Arc<Session>) {
    queue(session, false, |p| p.full = true);
}

/// Adds work for the next pass, starting one unless one waits; `now`: without the
/// debounce (a keystroke).
fn queue(session: &Arc<Session>, now: bool, add: impl FnOnce(&mut Pending)) {
    let start = {
        let mut p = session
            .workspace
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        add(&mut p);
        !std::mem::replace(&mut p.scheduled, true)
    };
    if start {
        let session = session.clone();
        tokio::spawn(async move {
            if !now {
                tokio::time::sleep(DEBOUNCE).await;
            }
            // Taken before the pending changes: those made while another pass runs go
            // into this one.
            let _running = session.workspace.running.lock().await;
            let input = {
                let mut p = session
                    .workspace
                    .pending
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                let p = std::mem::take(&mut *p);
                pass::Input {
                    paths: p.paths,
                    forget: p.forget,
                    gone: p.gone,
                    configs: p.configs,
                    full: p.full,
                    analyze: !session.caps().pull_diagnostics,
                }
            };
            pass::run_and_publish(&session, input).await;
        });
    }
}

/// True when the document at `uri` calls or is called by another file (as of the last
/// pass): its diagnostics come from the passes, not from the fast path.
pub fn is_linked(session: &Session, uri: &Uri) -> bool {
    path_of(uri).is_some_and(|p| session.workspace.linked().contains(&p))
}

/// The findings of an open, linked document at `snap` (computed now unless the last pass
/// left them current); `None` when it has no links (its own analysis applies).
pub async fn linked_findings(session: &Arc<Session>, snap: &Snapshot) -> Option<Linked> {
    let path = path_of(&snap.uri)?;
    if !session.workspace.linked().contains(&path) {
        return None;
    }
    let cached = |session: &Arc<Session>| {
        let cache = session
            .workspace
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        cache
            .get(&path)
            .filter(|l| l.stamp.current(session) && l.stamp.seq_of(&snap.uri) == Some(snap.seq))
            .cloned()
    };
    if let Some(found) = cached(session) {
        return Some(found);
    }
    let input = pass::Input {
        paths: BTreeSet::from([path.clone()]),
        forget: Vec::new(),
        gone: Vec::new(),
        configs: BTreeSet::new(),
        full: false,
        analyze: true,
    };
    let task = session.clone();
    tokio::task::spawn_blocking(move || pass::run(&task, input))
        .await
        .ok()?;
    cached(session)
}
