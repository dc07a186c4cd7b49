//! Reading the workspace from disk: the workspace folders at `initialized` (reported with
//! `$/progress`), files re-read on watched-file events, and the files references name.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mtlsguard_analyzer::{
    Language, Prepared, Workspace, is_arm_parameters, is_arm_template, language_for_path,
};
use tower_lsp_server::ls_types::request::WorkDoneProgressCreate;
use tower_lsp_server::ls_types::{MessageType, ProgressToken, Uri, WorkDoneProgressCreateParams};
use tower_lsp_server::{NotCancellable, OngoingProgress, Unbounded};

use super::{Index, Shared, key};
use crate::config;
use crate::server::session::Session;

pub const BICEPCONFIG: &str = "bicepconfig.json";

/// Files read from the workspace folders, at most.
pub const MAX_INDEXED: usize = 10_000;
/// Files read because references name them, at most (a hostile tree of modules must not
/// read the whole disk).
pub const MAX_REFERENCED: usize = 10_000;

const PROGRESS_TOKEN: &str = "mtlsguard-indexing";

/// A folder and the text of its `bicepconfig.json` (`None`: unreadable).
type FolderConfig = (String, Option<String>);

/// A file as read for the workspace.
pub enum Read {
    /// Parsed and lowered.
    Parsed(Prepared),
    /// Not something the workspace analyzes, or cannot be read: why.
    Not(String),
}

/// Reads and parses a template, a parameters file or a Bicep file within the size limit
/// of its settings.
pub fn read(session: &Arc<Session>, path: &str) -> Read {
    let Some(language) = language_for_path(path) else {
        return Read::Not("not a template".into());
    };
    let max = Uri::from_file_path(path)
        .map(|uri| session.settings_for(&uri).max_file_size)
        .unwrap_or(mtlsguard_analyzer::DEFAULT_MAX_FILE_SIZE as u64);
    let meta = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m,
        Ok(_) => return Read::Not("not a file".into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Read::Not("file not found".into());
        }
        Err(e) => return Read::Not(format!("cannot read it: {}", config::io_message(&e))),
    };
    if meta.len() > max {
        return Read::Not(format!(
            "too large to analyze ({} bytes; the limit is {max})",
            meta.len()
        ));
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return Read::Not(format!("cannot read it: {}", config::io_message(&e))),
    };
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let Ok(text) = std::str::from_utf8(body) else {
        return Read::Not("not valid UTF-8".into());
    };
    if language == Language::Json && !is_arm_template(text) && !is_arm_parameters(text) {
        return Read::Not("neither an ARM template nor a parameters file".into());
    }
    // Parsed and lowered here, not under the workspace's lock.
    Read::Parsed(Workspace::prepare(path, text.to_owned(), None))
}

/// The text of folder `dir`'s `bicepconfig.json`, if it has one.
pub fn read_config(dir: &str) -> Option<String> {
    std::fs::read_to_string(format!("{dir}/{BICEPCONFIG}")).ok()
}

impl Index {
    /// Puts what was read for `path` into the workspace (or takes `path` out of it).
    pub(super) fn apply(&mut self, shared: &Shared, path: &str, read: Read) {
        shared.synced.remove(path);
        match read {
            Read::Parsed(prepared) => self.ws.add(prepared),
            Read::Not(why) => {
                self.ws.remove_file(path);
                self.ws.mark_absent(path, &why);
            }
        }
        shared.bump(path);
    }

    /// Takes `path` out of the workspace: no longer one of its folders' files. Not marked
    /// absent: a file that references it has it read again.
    pub(super) fn forget(&mut self, shared: &Shared, path: &str) {
        if self.ws.contains(path) {
            shared.synced.remove(path);
            self.ws.remove_file(path);
            shared.bump(path);
        }
    }

    /// Sets (or, without a text, forgets) the `bicepconfig.json` of folder `dir`.
    pub(super) fn set_config(&mut self, session: &Arc<Session>, dir: &str, text: Option<&str>) {
        match text {
            Some(text) => {
                self.configs.insert(dir.to_owned());
                if let Err(e) = self.ws.set_bicepconfig(dir, text) {
                    session.log(
                        MessageType::WARNING,
                        format!(
                            "mtlsguard: {dir}/{BICEPCONFIG}: {e}; registry modules below it are not followed"
                        ),
                    );
                }
            }
            None => {
                self.configs.remove(dir);
                self.ws.remove_bicepconfig(dir);
            }
        }
    }
}

/// Reads what references name until nothing more is wanted (or the bound is reached),
/// with the `bicepconfig.json` nearest each file read.
pub fn read_wanted(session: &Arc<Session>) {
    let shared = &session.workspace;
    // Each round reads one call deeper and rebuilds every file's links: bounded by the
    // depth analysis follows, as `check` is, so a chain of thousands of modules costs
    // no quadratic time for files no analysis reaches.
    for round in 0.. {
        let wanted = {
            let mut index = shared.lock();
            let wanted = index.ws.wanted();
            let mut to_read = Vec::new();
            for path in wanted {
                if round > Workspace::MAX_CHAIN {
                    index.ws.mark_absent(
                        &path,
                        &format!(
                            "not read: calls are nested deeper than {}",
                            Workspace::MAX_CHAIN
                        ),
                    );
                } else if shared.open_paths.contains_key(&path) {
                    // Open, and not in the workspace: its text cannot be analyzed.
                    index.ws.mark_absent(&path, "too large to analyze");
                } else if index.referenced >= MAX_REFERENCED {
                    index.ws.mark_absent(
                        &path,
                        &format!("not read: more than {MAX_REFERENCED} referenced files"),
                    );
                } else {
                    index.referenced += 1;
                    to_read.push(path);
                }
            }
            to_read
        };
        if wanted.is_empty() {
            return;
        }
        let reads: Vec<(String, Read, Option<FolderConfig>)> = wanted
            .into_iter()
            .map(|path| {
                let read = read(session, &path);
                let config = matches!(read, Read::Parsed(..))
                    .then(|| {
                        Path::new(&path)
                            .parent()
                            .and_then(config::discover_bicepconfig)
                    })
                    .flatten()
                    .map(|c| {
                        let dir = key(c.parent().unwrap_or(Path::new("/")));
                        let text = std::fs::read_to_string(&c).ok();
                        (dir, text)
                    });
                (path, read, config)
            })
            .collect();
        let mut index = shared.lock();
        for (path, read, config) in reads {
            if index.ws.contains(&path) || shared.open_paths.contains_key(&path) {
                continue;
            }
            if let Some((dir, text)) = config
                && !index.configs.contains(&dir)
            {
                index.set_config(session, &dir, Some(text.as_deref().unwrap_or("")));
            }
            index.apply(shared, &path, read);
        }
    }
}

/// Indexes the workspace folders in the background, then checks everything linked.
pub fn start_indexing(session: &Arc<Session>) {
    let folders = session
        .workspace
        .folders
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    index_in_background(session, folders);
}

/// Indexes `folders` in the background, then checks everything linked.
pub fn index_in_background(session: &Arc<Session>, folders: Vec<PathBuf>) {
    if folders.is_empty() {
        return;
    }
    let session = session.clone();
    tokio::spawn(async move {
        let progress = begin_progress(&session).await;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<usize>();
        let task = session.clone();
        let walk = tokio::task::spawn_blocking(move || index_folders(&task, &folders, &tx));
        while let Some(read) = rx.recv().await {
            if let Some(p) = &progress {
                p.report(format!("{read} files read")).await;
            }
        }
        let read = walk.await.unwrap_or(0);
        if let Some(p) = progress {
            p.finish_with_message(format!("{read} files read")).await;
        }
        super::queue_full(&session);
    });
}

/// `$/progress` for the indexing, when the client shows progress the server starts.
async fn begin_progress(
    session: &Arc<Session>,
) -> Option<OngoingProgress<Unbounded, NotCancellable>> {
    if !session.caps().work_done_progress {
        return None;
    }
    let token = ProgressToken::String(PROGRESS_TOKEN.to_owned());
    let create =
        session
            .client
            .send_request::<WorkDoneProgressCreate>(WorkDoneProgressCreateParams {
                token: token.clone(),
            });
    match tokio::time::timeout(Duration::from_secs(10), create).await {
        Ok(Ok(())) => {}
        _ => return None,
    }
    Some(
        session
            .client
            .progress(token, "Indexing templates")
            .with_message("finding files")
            .begin()
            .await,
    )
}

/// Reads the templates of `folders` (skipping what `.gitignore` and the like ignore,
/// `.git` and `node_modules`), then what they reference; sends the count read now and
/// then. Returns how many files were read.
fn index_folders(
    session: &Arc<Session>,
    folders: &[PathBuf],
    progress: &tokio::sync::mpsc::UnboundedSender<usize>,
) -> usize {
    let shared = &session.workspace;
    let mut read_count = 0;
    let mut last_report = Instant::now();
    'folders: for folder in folders {
        let walker = ignore::WalkBuilder::new(folder)
            .hidden(false)
            .require_git(false)
            .follow_links(false)
            .filter_entry(|e| e.file_name() != ".git" && e.file_name() != "node_modules")
            .build();
        for entry in walker.flatten() {
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let path = key(entry.path());
            if path.rsplit('/').next() == Some(BICEPCONFIG) {
                let dir = key(entry.path().parent().unwrap_or(Path::new("/")));
                let text = std::fs::read_to_string(entry.path()).ok();
                shared
                    .lock()
                    .set_config(session, &dir, Some(text.as_deref().unwrap_or("")));
                continue;
            }
            if language_for_path(&path).is_none() || shared.open_paths.contains_key(&path) {
                continue;
            }
            if read_count >= MAX_INDEXED {
                session.log(
                    MessageType::WARNING,
                    format!(
                        "mtlsguard: more than {MAX_INDEXED} templates in the workspace folders; the rest are not read"
                    ),
                );
                break 'folders;
            }
            let read = read(session, &path);
            if !matches!(read, Read::Parsed(..)) {
                continue;
            }
            read_count += 1;
            {
                let mut index = shared.lock();
                // Open, or read because something referenced it: already there.
                if shared.synced.contains_key(&path) || index.ws.contains(&path) {
                    continue;
                }
                index.apply(shared, &path, read);
            }
            if last_report.elapsed() > Duration::from_millis(200) {
                last_report = Instant::now();
                let _ = progress.send(read_count);
            }
        }
    }
    read_wanted(session);
    // Before the progress ends: a request right after it must see the links.
    let linked = shared.lock().ws.linked();
    shared.set_linked(Arc::new(linked));
    read_count
}
