//! Which files `check` looks at.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use mtlsguard_analyzer::{Language, language_for_path};

pub use crate::config::io_message;
use crate::config::{self, Config, ConfigCache, ConfigError};

/// One file to analyze.
pub struct Job {
    pub path: PathBuf,
    /// How the path is printed (as given or walked, without a leading `./`).
    pub display: String,
    pub language: Language,
    pub config: Arc<Config>,
    /// Named on the command line (so skipping it deserves a warning).
    pub explicit: bool,
    /// The text read from stdin (`check -`), analyzed instead of reading `path`.
    pub stdin: Option<Vec<u8>>,
}

#[derive(Default)]
pub struct Collected {
    pub jobs: Vec<Job>,
    /// I/O problems (a missing path, an unreadable folder): exit 2.
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub config_error: Option<ConfigError>,
}

/// Walks `paths` (folders respecting .gitignore, .ignore and `exclude`; files as given),
/// keeping `*.bicep`, `*.json` and `*.jsonc` (JSON is checked for `$schema` later).
pub fn collect(paths: &[PathBuf], cache: &mut ConfigCache, force_exclude: bool) -> Collected {
    let mut out = Collected::default();
    let shared = Arc::new(Mutex::new(std::mem::take(cache)));
    let first_config_error: Arc<Mutex<Option<ConfigError>>> = Arc::default();
    let mut seen = HashSet::new();

    for root in paths {
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                out.errors.push(format!(
                    "cannot read {}: {}",
                    root.display(),
                    io_message(&e)
                ));
                continue;
            }
        };
        if !meta.is_dir() {
            let display = display_path(root);
            let Some(language) = language_for_path(&root.to_string_lossy()) else {
                out.warnings.push(format!(
                    "skipped {display}: only .bicep, .json and .jsonc files are checked"
                ));
                continue;
            };
            let config = match shared.lock().unwrap().for_file(root) {
                Ok(c) => c,
                Err(e) => {
                    out.config_error = Some(e);
                    break;
                }
            };
            if force_exclude && config.is_excluded(root) {
                continue;
            }
            if seen.insert(config::absolute(root)) {
                out.jobs.push(Job {
                    path: root.clone(),
                    display,
                    language,
                    config,
                    explicit: true,
                    stdin: None,
                });
            }
            continue;
        }

        let cache_for_filter = shared.clone();
        let error_slot = first_config_error.clone();
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .require_git(false)
            .follow_links(false)
            .sort_by_file_name(|a, b| a.cmp(b))
            .filter_entry(move |entry| {
                if entry.file_name() == ".git" {
                    return false;
                }
                // Prune excluded folders early (node_modules, generated output, ...).
                if entry.depth() > 0 && entry.file_type().is_some_and(|t| t.is_dir()) {
                    let mut cache = cache_for_filter.lock().unwrap();
                    match cache.for_dir(entry.path()) {
                        Ok(c) => return !c.is_excluded(entry.path()),
                        Err(e) => {
                            error_slot.lock().unwrap().get_or_insert(e);
                            return false;
                        }
                    }
                }
                true
            })
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    out.errors
                        .push(format!("cannot walk {}: {}", root.display(), e));
                    continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let path = entry.path();
            let Some(language) = language_for_path(&path.to_string_lossy()) else {
                continue;
            };
            let config = match shared.lock().unwrap().for_file(path) {
                Ok(c) => c,
                Err(e) => {
                    first_config_error.lock().unwrap().get_or_insert(e);
                    continue;
                }
            };
            if config.is_excluded(path) {
                continue;
            }
            if seen.insert(config::absolute(path)) {
                out.jobs.push(Job {
                    path: path.to_path_buf(),
                    display: display_path(path),
                    language,
                    config,
                    explicit: false,
                    stdin: None,
                });
            }
        }
    }

    if out.config_error.is_none() {
        out.config_error = first_config_error.lock().unwrap().take();
    }
    *cache = std::mem::take(&mut *shared.lock().unwrap());
    out.jobs.sort_by(|a, b| a.display.cmp(&b.display));
    out
}

/// The path as printed: as given, without a leading `./`.
pub fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    let mut s: &str = &s;
    while let Some(rest) = s.strip_prefix("./") {
        s = rest.trim_start_matches('/');
    }
    if s.is_empty() {
        ".".to_owned()
    } else {
        s.to_owned()
    }
}
