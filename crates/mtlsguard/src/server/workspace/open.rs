//! Open documents' texts into the workspace: prepared (parsed, lowered) outside its
//! lock, put in under it, newest first wins.

use mtlsguard_analyzer::{Language, Parsed, Workspace, language_for_path};
use tower_lsp_server::ls_types::Uri;

use super::{Index, Shared};
use crate::server::documents;
use crate::server::session::Session;

/// One open document's state, ready to go into the workspace.
pub(super) struct OpenText {
    path: String,
    seq: u64,
    /// `None`: the document's text cannot be analyzed (too large, or not parsed in time).
    prepared: Option<mtlsguard_analyzer::Prepared>,
}

/// The open documents whose current text the workspace does not hold yet, prepared.
pub(super) fn prepare(session: &Session) -> Vec<OpenText> {
    let shared = &session.workspace;
    let open: Vec<(String, Uri)> = shared
        .open_paths
        .iter()
        .map(|e| (e.key().clone(), e.value().clone()))
        .collect();
    let mut out = Vec::new();
    for (path, uri) in open {
        let Some(snap) = session.snapshot(&uri) else {
            continue;
        };
        if shared.synced.get(&path).is_some_and(|s| *s == snap.seq) {
            continue;
        }
        let prepared = match (snap.language, &snap.tree) {
            (Some(language), Some(Parsed::Tree(tree))) => {
                let text = documents::text(&snap.rope).into_owned();
                Some(Workspace::prepare(
                    &path,
                    text,
                    Some((language, tree.clone())),
                ))
            }
            // JSON that is no template: a parameters file is a caller, anything else
            // stays inert.
            (None, _) if language_for_path(&path) == Some(Language::Json) => {
                let text = documents::text(&snap.rope).into_owned();
                Some(Workspace::prepare(&path, text, None))
            }
            // A Bicep path opened under a foreign language id: the document holds no
            // text, the disk's stays.
            (None, _) => continue,
            _ => None,
        };
        out.push(OpenText {
            path,
            seq: snap.seq,
            prepared,
        });
    }
    out
}

impl Index {
    /// Puts prepared open documents into the workspace, unless it has a newer text of
    /// one (another pass got there first).
    pub(super) fn apply_open(&mut self, shared: &Shared, texts: Vec<OpenText>) {
        for t in texts {
            if !shared.open_paths.contains_key(&t.path)
                || shared.synced.get(&t.path).is_some_and(|s| *s >= t.seq)
            {
                continue;
            }
            match t.prepared {
                Some(p) => self.ws.add(p),
                None => {
                    self.ws.remove_file(&t.path);
                    self.ws
                        .mark_absent(&t.path, "too large to analyze, or not parsed in time");
                }
            }
            shared.synced.insert(t.path.clone(), t.seq);
            shared.bump(&t.path);
        }
    }
}
