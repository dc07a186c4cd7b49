//! The server's state, shared by the ordered front and the handlers.
//!
//! Everything the server holds for an open document lives in its one [`OpenDocument`]
//! entry, so closing it, reopening it or forgetting it after a panic leaves nothing of it
//! behind in some other map.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use dashmap::{DashMap, DashSet};
use mtlsguard_analyzer::{Analyzer, Finding};
use serde_json::Value;
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::{Diagnostic, MessageType, Uri};

use crate::config::ConfigCache;

use super::capabilities::Caps;
use super::documents::{Doc, Snapshot};
use super::settings::{ClientSettings, Effective};
use super::workspace::Shared;

pub struct Session {
    pub client: Client,
    documents: DashMap<Uri, OpenDocument>,
    /// Documents with an analysis task that has not taken its snapshot yet. Not part of
    /// [`OpenDocument`]: a task outlives a close and a reopen of its document, and while it
    /// waits, a change to the reopened document needs no second task.
    pub scheduled: DashSet<Uri>,
    /// Source of `Doc::seq`.
    seq: AtomicU64,
    caps: OnceLock<Caps>,
    client_settings: Mutex<ClientSettings>,
    /// Bumped whenever settings (the editor's or a `mtlsguard.toml`) change.
    settings_gen: AtomicU64,
    /// Serializes publishing, so the "still current?" check and the send are one step;
    /// holds what was published last for each URI.
    pub publish: tokio::sync::Mutex<Pushed>,
    shutdown: AtomicBool,
    /// `mtlsguard.toml` discovery and loading, per folder.
    configs: Mutex<ConfigCache>,
    /// Config files whose errors were logged (once per change).
    config_errors: Mutex<HashSet<PathBuf>>,
    /// Signalled at `exit` and at the end of stdin.
    pub exiting: tokio::sync::Notify,
    /// The files of the workspace folders, for analysis across files.
    pub workspace: Shared,
}

/// The diagnostics last published for each URI, with the version they were for.
pub type Pushed = HashMap<Uri, (Option<i32>, Vec<Diagnostic>)>;

/// One open document and what the server derived from it.
struct OpenDocument {
    doc: Doc,
    /// The document's incremental analyzer (reuses unchanged resources' findings).
    analyzer: Arc<Mutex<Analyzer>>,
    /// Findings of the document's current state (see [`Cached`]).
    findings: Option<Cached>,
}

/// A document's cached findings: valid while the document has `seq` and settings `sgen`.
struct Cached {
    seq: u64,
    sgen: u64,
    findings: Arc<Vec<Finding>>,
}

impl Session {
    pub fn new(client: Client) -> Session {
        Session {
            client,
            documents: DashMap::new(),
            scheduled: DashSet::new(),
            seq: AtomicU64::new(1),
            caps: OnceLock::new(),
            client_settings: Mutex::new(ClientSettings::default()),
            settings_gen: AtomicU64::new(1),
            publish: tokio::sync::Mutex::new(HashMap::new()),
            shutdown: AtomicBool::new(false),
            configs: Mutex::new(ConfigCache::new()),
            config_errors: Mutex::new(HashSet::new()),
            exiting: tokio::sync::Notify::new(),
            workspace: Shared::new(),
        }
    }

    /// The client's capabilities; the defaults before `initialize`.
    pub fn caps(&self) -> Caps {
        self.caps.get().cloned().unwrap_or_default()
    }

    /// Fixes the client's capabilities (once: a second `initialize` cannot change them).
    pub fn set_caps(&self, caps: Caps) {
        let _ = self.caps.set(caps);
    }

    pub fn is_initialized(&self) -> bool {
        self.caps.get().is_some()
    }

    pub fn shut_down(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
    }

    pub fn is_shut_down(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::SeqCst)
    }

    pub fn settings_gen(&self) -> u64 {
        self.settings_gen.load(Ordering::SeqCst)
    }

    /// Logs to the client without waiting for the message to go out.
    pub fn log(self: &Arc<Self>, typ: MessageType, message: String) {
        let session = self.clone();
        tokio::spawn(async move { session.client.log_message(typ, message).await });
    }

    /// The settings of one document: the editor's over its `mtlsguard.toml` (found as the
    /// CLI finds it) over the defaults. An invalid file is logged once and ignored.
    pub fn settings_for(self: &Arc<Self>, uri: &Uri) -> Effective {
        let client = self
            .client_settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let path = (uri.scheme().as_str() == "file")
            .then(|| uri.to_file_path().map(|p| p.into_owned()))
            .flatten();
        let Some(path) = path else {
            return client.over_config(None, None);
        };
        let found = self
            .configs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .for_file(&path);
        match found {
            Ok(config) => client.over_config(Some(&config), Some(&path)),
            Err(e) => {
                let first = self
                    .config_errors
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(e.path.clone());
                if first {
                    self.log(
                        MessageType::WARNING,
                        format!("mtlsguard: ignoring an invalid configuration file: {e}"),
                    );
                }
                client.over_config(None, None)
            }
        }
    }

    pub fn apply_client_settings(self: &Arc<Self>, value: Option<&Value>) {
        let (parsed, warnings) = ClientSettings::from_json(value);
        for w in warnings {
            self.log(
                MessageType::WARNING,
                format!("mtlsguard: invalid setting ignored: {w}"),
            );
        }
        *self
            .client_settings
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = parsed;
    }

    /// Forgets what was derived from the settings (loaded config files, their logged
    /// errors, cached findings) and starts a new settings generation.
    pub fn forget_settings(&self) {
        self.configs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.config_errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.settings_gen.fetch_add(1, Ordering::SeqCst);
        for mut entry in self.documents.iter_mut() {
            entry.findings = None;
        }
    }

    /// Starts tracking a document, with a fresh analyzer. Returns whether it replaced one
    /// already open under that URI.
    pub fn open(&self, uri: Uri, doc: Doc) -> bool {
        let entry = OpenDocument {
            doc,
            analyzer: Arc::default(),
            findings: None,
        };
        self.documents.insert(uri, entry).is_some()
    }

    /// Forgets a document and everything derived from it. Returns whether it was open.
    pub fn close(&self, uri: &Uri) -> bool {
        self.documents.remove(uri).is_some()
    }

    pub fn is_open(&self, uri: &Uri) -> bool {
        self.documents.contains_key(uri)
    }

    pub fn open_uris(&self) -> Vec<Uri> {
        self.documents.iter().map(|e| e.key().clone()).collect()
    }

    /// Runs `f` on an open document. The document's shard stays locked meanwhile: `f`
    /// must not reach back into the session's documents.
    pub fn with_doc_mut<R>(&self, uri: &Uri, f: impl FnOnce(&mut Doc) -> R) -> Option<R> {
        self.documents.get_mut(uri).map(|mut e| f(&mut e.doc))
    }

    pub fn snapshot(&self, uri: &Uri) -> Option<Snapshot> {
        Some(self.documents.get(uri)?.doc.snapshot(uri.clone()))
    }

    /// The `seq` of an open document.
    pub fn doc_seq(&self, uri: &Uri) -> Option<u64> {
        self.documents.get(uri).map(|e| e.doc.seq)
    }

    pub fn is_current(&self, uri: &Uri, seq: u64, sgen: u64) -> bool {
        self.settings_gen() == sgen && self.documents.get(uri).is_some_and(|e| e.doc.seq == seq)
    }

    /// The document's analyzer; a throwaway one if it was closed since its snapshot was
    /// taken (the result is stale then, and must not be left behind in the session).
    pub fn analyzer(&self, uri: &Uri) -> Arc<Mutex<Analyzer>> {
        self.documents
            .get(uri)
            .map(|e| e.analyzer.clone())
            .unwrap_or_default()
    }

    /// The cached findings of the document at `seq` under settings `sgen`, if any.
    pub fn cached_findings(&self, uri: &Uri, seq: u64, sgen: u64) -> Option<Arc<Vec<Finding>>> {
        let entry = self.documents.get(uri)?;
        let cached = entry.findings.as_ref()?;
        (cached.seq == seq && cached.sgen == sgen).then(|| cached.findings.clone())
    }

    /// Caches findings, unless the document or the settings moved on since `seq`/`sgen`.
    pub fn cache_findings(&self, uri: &Uri, seq: u64, sgen: u64, findings: Arc<Vec<Finding>>) {
        if self.settings_gen() != sgen {
            return;
        }
        if let Some(mut entry) = self.documents.get_mut(uri)
            && entry.doc.seq == seq
        {
            entry.findings = Some(Cached {
                seq,
                sgen,
                findings,
            });
        }
    }
}
