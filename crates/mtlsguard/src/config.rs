//! `mtlsguard.toml`: discovery and parsing (shared by the CLI and the language server).
//!
//! # The file
//!
//! ```toml
//! # Paths to skip, as globs relative to this file's folder.
//! exclude = ["generated", "legacy/**/*.json"]
//! # Files larger than this are reported instead of analyzed (default 16 MiB); bytes, or
//! # a string with a KiB/MiB/GiB suffix as `--max-file-size` takes.
//! max-file-size = "8MiB"
//!
//! [rules]
//! app-service-client-cert = "error"   # off | info | warning | error
//! unused-suppression = "off"
//!
//! # Rule options (each documented on its rule's page).
//! [options.data-factory-client-cert]
//! managed-identity = "report"   # ignore (default) | report
//! ```
//!
//! Below it, the levels of the nearest `bicepconfig.json` (`analyzers.mtlsguard.rules.<id>.level`,
//! see [`bicepconfig`]) apply: defaults, then `bicepconfig.json`, then `mtlsguard.toml`.
//!
//! Unknown keys, unknown rule ids, bad levels and TOML syntax errors are all errors
//! ([`ConfigError`]) that name the file, the line and the key.
//!
//! `exclude` globs use `globset` syntax with `*` not crossing `/`. A glob with no `/` (such
//! as `generated` or `*.g.bicep`) matches a file or folder name at any depth; a glob with a
//! `/` is anchored at the config file's folder (a leading `/` is allowed). A glob that
//! matches a folder excludes everything inside it.
//!
//! # API
//!
//! - [`discover`]`(dir)`: the nearest `mtlsguard.toml` in `dir` or one of its ancestors.
//! - [`load`]`(path)` reads and validates a file; [`parse`]`(text, path)` does the same for
//!   text already in memory (an unsaved editor buffer).
//! - [`Config`]: the result — [`Config::settings`] (per-rule levels for
//!   `mtlsguard_analyzer::analyze`), [`Config::is_excluded`], [`Config::max_file_size`].
//!   [`Config::default_in`] is the configuration used when no file is found.
//! - [`ConfigCache`]: per-folder memo of discovery and loading (of both files) for
//!   callers that look up many files. [`ConfigCache::with_override`] pins one config for every file (what
//!   `--config PATH` does); [`ConfigCache::clear`] forgets everything (call it when a
//!   config file changes).

mod bicepconfig;
mod cache;
mod size;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use mtlsguard_analyzer::{Level, RULES, Settings};
use serde::Deserialize;

pub use bicepconfig::BicepConfig;
pub use bicepconfig::discover as discover_bicepconfig;
pub use cache::ConfigCache;
pub use size::parse_size;
use size::{SIZE_EXPECTED, SizeValue};

/// The file name looked for in each folder.
pub const CONFIG_FILE_NAME: &str = "mtlsguard.toml";

/// A loaded configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from (`None` for the built-in default).
    #[allow(dead_code)] // for the language server and diagnostics
    pub path: Option<PathBuf>,
    /// The folder `exclude` globs are relative to (the config file's folder).
    pub root: PathBuf,
    /// Per-rule levels, ready for `mtlsguard_analyzer::analyze`.
    pub settings: Settings,
    /// The `exclude` globs as written.
    #[allow(dead_code)] // for the language server and diagnostics
    pub exclude_patterns: Vec<String>,
    exclude: GlobSet,
    /// `max-file-size` in bytes, when set.
    pub max_file_size: Option<u64>,
    /// The levels `[rules]` sets, which win over a `bicepconfig.json`'s.
    rule_levels: Vec<(&'static str, Level)>,
    /// The `bicepconfig.json` whose levels are layered below, if any.
    #[allow(dead_code)] // for the language server and diagnostics
    pub bicepconfig: Option<PathBuf>,
}

impl Config {
    /// The configuration used when no `mtlsguard.toml` applies: default rule levels,
    /// nothing excluded.
    pub fn default_in(root: &Path) -> Config {
        Config {
            path: None,
            root: root.to_path_buf(),
            settings: Settings::default(),
            exclude_patterns: Vec::new(),
            exclude: GlobSet::empty(),
            max_file_size: None,
            rule_levels: Vec::new(),
            bicepconfig: None,
        }
    }

    /// This configuration over a `bicepconfig.json`'s levels: defaults, then
    /// `bicepconfig.json`, then this file's `[rules]`.
    pub fn over_bicepconfig(&self, layer: &BicepConfig) -> Config {
        let mut out = self.clone();
        let mut settings = Settings::default();
        settings.report_managed_identity = self.settings.report_managed_identity;
        for (id, level) in layer.levels.iter().chain(&self.rule_levels) {
            settings.set_level(id, *level);
        }
        out.settings = settings;
        out.bicepconfig = Some(layer.path.clone());
        out
    }

    /// True when `path` (absolute, or relative to the current folder) or one of its
    /// ancestor folders below [`Config::root`] matches an `exclude` glob.
    pub fn is_excluded(&self, path: &Path) -> bool {
        if self.exclude.is_empty() {
            return false;
        }
        let abs = absolute(path);
        let rel = match abs.strip_prefix(&self.root) {
            Ok(rel) => rel.to_path_buf(),
            // Outside the config's folder (an explicit `--config` elsewhere): match the
            // path as the user wrote it.
            Err(_) => path.to_path_buf(),
        };
        let mut prefix = PathBuf::new();
        for comp in rel.components() {
            match comp {
                Component::Normal(c) => prefix.push(c),
                _ => continue,
            }
            if self.exclude.is_match(&prefix) {
                return true;
            }
        }
        false
    }
}

/// An invalid or unreadable config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based line and column of the problem, when it has a place.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The offending key, dotted (`rules.app-service`), when there is one.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let (Some(line), Some(col)) = (self.line, self.column) {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "key `{key}`: ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for ConfigError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    rules: BTreeMap<toml::Spanned<String>, toml::Spanned<String>>,
    #[serde(default)]
    exclude: Vec<toml::Spanned<String>>,
    max_file_size: Option<toml::Spanned<SizeValue>>,
    #[serde(default)]
    options:
        BTreeMap<toml::Spanned<String>, BTreeMap<toml::Spanned<String>, toml::Spanned<String>>>,
}

/// The rule options there are: (rule, option, values; the first is the default).
const OPTIONS: &[(&str, &str, &[&str])] = &[(
    "data-factory-client-cert",
    "managed-identity",
    &["ignore", "report"],
)];

/// Reads and validates a config file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: path.to_path_buf(),
        line: None,
        column: None,
        key: None,
        message: format!("cannot read the config file: {}", io_message(&e)),
    })?;
    parse(&text, path)
}

/// Validates config `text` that belongs to the file at `path` (which need not exist).
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let at = |span: std::ops::Range<usize>, key: Option<String>, message: String| {
        let (line, column) = line_col(text, span.start);
        ConfigError {
            path: path.to_path_buf(),
            line: Some(line),
            column: Some(column),
            key,
            message,
        }
    };
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        // toml puts "expected ..." on a second line: keep one line.
        let message = e
            .message()
            .trim()
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("; ");
        match e.span() {
            Some(span) => {
                // serde reports an unknown key as "unknown field `x`, expected ...".
                let key = message
                    .strip_prefix("unknown field `")
                    .and_then(|m| m.split('`').next())
                    .map(str::to_owned)
                    .or_else(|| key_at(text, span.start))
                    .or_else(|| {
                        message
                            .contains(SIZE_EXPECTED)
                            .then(|| "max-file-size".into())
                    });
                let message = message
                    .replace("unknown field", "unknown key")
                    .replace("field", "key");
                at(span, key, message)
            }
            None => ConfigError {
                path: path.to_path_buf(),
                line: None,
                column: None,
                key: None,
                message,
            },
        }
    })?;

    let mut settings = Settings::default();
    let mut rule_levels = Vec::new();
    for (id, level) in &raw.rules {
        let key = Some(format!("rules.{}", id.get_ref()));
        let Some(meta) = mtlsguard_analyzer::rule(id.get_ref()) else {
            let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
            return Err(at(
                id.span(),
                key,
                format!(
                    "unknown rule id `{}`; known rules: {}",
                    id.get_ref(),
                    ids.join(", ")
                ),
            ));
        };
        let Some(lvl) = Level::parse(level.get_ref()) else {
            return Err(at(
                level.span(),
                key,
                format!(
                    "invalid level \"{}\"; expected one of \"off\", \"info\", \"warning\", \"error\"",
                    level.get_ref()
                ),
            ));
        };
        settings.set_level(meta.id, lvl);
        rule_levels.push((meta.id, lvl));
    }

    for (rule, opts) in &raw.options {
        for (name, value) in opts {
            let key = Some(format!("options.{}.{}", rule.get_ref(), name.get_ref()));
            let Some((_, _, values)) = OPTIONS
                .iter()
                .find(|(r, o, _)| r == rule.get_ref() && o == name.get_ref())
            else {
                let known: Vec<String> = OPTIONS
                    .iter()
                    .map(|(r, o, _)| format!("options.{r}.{o}"))
                    .collect();
                return Err(at(
                    name.span(),
                    key,
                    format!("unknown rule option; known options: {}", known.join(", ")),
                ));
            };
            if !values.contains(&value.get_ref().as_str()) {
                let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
                return Err(at(
                    value.span(),
                    key,
                    format!(
                        "invalid value \"{}\"; expected one of {}",
                        value.get_ref(),
                        quoted.join(", ")
                    ),
                ));
            }
            settings.report_managed_identity = value.get_ref() == "report";
        }
    }

    let mut builder = GlobSetBuilder::new();
    let mut exclude_patterns = Vec::new();
    for pat in &raw.exclude {
        let glob = normalize_glob(pat.get_ref());
        let compiled = GlobBuilder::new(&glob)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| {
                at(
                    pat.span(),
                    Some("exclude".into()),
                    format!("invalid glob \"{}\": {}", pat.get_ref(), e.kind()),
                )
            })?;
        builder.add(compiled);
        exclude_patterns.push(pat.get_ref().clone());
    }
    let exclude = builder.build().map_err(|e| ConfigError {
        path: path.to_path_buf(),
        line: None,
        column: None,
        key: Some("exclude".into()),
        message: e.to_string(),
    })?;

    let max_file_size = match &raw.max_file_size {
        None => None,
        Some(v) => {
            let size = match v.get_ref() {
                SizeValue::Bytes(n) if *n <= 0 => {
                    Err(format!("must be a positive number of bytes, not {n}"))
                }
                SizeValue::Bytes(n) => Ok(*n as u64),
                SizeValue::Text(s) => parse_size(s),
            };
            Some(size.map_err(|m| at(v.span(), Some("max-file-size".into()), m))?)
        }
    };

    let abs = absolute(path);
    let root = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(Config {
        path: Some(abs),
        root,
        settings,
        exclude_patterns,
        exclude,
        max_file_size,
        rule_levels,
        bicepconfig: None,
    })
}

/// `generated` → `**/generated`; `/out/*.json` → `out/*.json`.
fn normalize_glob(pat: &str) -> String {
    let pat = pat.trim_end_matches('/');
    if let Some(anchored) = pat.strip_prefix('/') {
        anchored.to_owned()
    } else if pat.contains('/') {
        pat.strip_prefix("./").unwrap_or(pat).to_owned()
    } else {
        format!("**/{pat}")
    }
}

/// The nearest `mtlsguard.toml` in `start_dir` or one of its ancestors.
pub fn discover(start_dir: &Path) -> Option<PathBuf> {
    let start = absolute(start_dir);
    start
        .ancestors()
        .map(|dir| dir.join(CONFIG_FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// An absolute, lexically normalized path (no `.`/`..`), without touching symlinks.
pub fn absolute(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for comp in abs.components() {
        match comp {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// An I/O error without Rust's " (os error N)" suffix.
pub fn io_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The bare key that starts at `offset`, if any (for syntax errors pointing at a key).
fn key_at(text: &str, offset: usize) -> Option<String> {
    let rest = text.get(offset..)?;
    let key: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let after = rest[key.len()..].trim_start();
    (!key.is_empty() && after.starts_with('=')).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message of the error `text` gives as `/p/mtlsguard.toml`.
    pub(super) fn err(text: &str) -> String {
        parse(text, Path::new("/p/mtlsguard.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn parses_levels_and_globs() {
        let c = parse(
            "exclude = [\"generated\", \"/out/*.json\"]\nmax-file-size = 10\n[rules]\napp-service-client-cert = \"error\"\nsyntax-error = \"off\"\n",
            Path::new("/p/mtlsguard.toml"),
        )
        .unwrap();
        assert_eq!(c.settings.level("app-service-client-cert"), Level::Error);
        assert_eq!(c.settings.level("syntax-error"), Level::Off);
        assert_eq!(c.settings.level("apim-client-cert"), Level::Warning);
        assert_eq!(c.max_file_size, Some(10));
        assert!(c.is_excluded(Path::new("/p/a/generated/x.bicep")));
        assert!(c.is_excluded(Path::new("/p/generated")));
        assert!(c.is_excluded(Path::new("/p/out/a.json")));
        assert!(!c.is_excluded(Path::new("/p/out/sub/a.json")));
        assert!(!c.is_excluded(Path::new("/p/a/out/a.json")));
        assert!(!c.is_excluded(Path::new("/p/main.bicep")));
    }

    #[test]
    fn rule_options() {
        let path = Path::new("/p/mtlsguard.toml");
        let c = parse(
            "[options.data-factory-client-cert]\nmanaged-identity = \"report\"\n",
            path,
        )
        .unwrap();
        assert!(c.settings.report_managed_identity);
        let c = parse(
            "[options.data-factory-client-cert]\nmanaged-identity = \"ignore\"\n",
            path,
        )
        .unwrap();
        assert!(!c.settings.report_managed_identity);
        assert_eq!(
            err("[options.data-factory-client-cert]\nmanaged-identity = \"always\"\n"),
            "/p/mtlsguard.toml:2:20: key `options.data-factory-client-cert.managed-identity`: invalid value \"always\"; expected one of \"ignore\", \"report\""
        );
        assert_eq!(
            err("[options.apim-client-cert]\nstrict = \"yes\"\n"),
            "/p/mtlsguard.toml:2:1: key `options.apim-client-cert.strict`: unknown rule option; known options: options.data-factory-client-cert.managed-identity"
        );
    }

    #[test]
    fn errors_name_file_line_and_key() {
        assert_eq!(
            err("[rules]\napp-service = \"error\"\n"),
            "/p/mtlsguard.toml:2:1: key `rules.app-service`: unknown rule id `app-service`; known rules: app-service-client-cert, signalr-client-cert, container-apps-client-cert, apim-client-cert, data-factory-client-cert, acr-token-client-cert, cassandra-client-cert, service-fabric-client-cert, unused-suppression, syntax-error, unresolved-reference, file-error"
        );
        assert_eq!(
            err("[rules]\napim-client-cert = \"loud\"\n"),
            "/p/mtlsguard.toml:2:20: key `rules.apim-client-cert`: invalid level \"loud\"; expected one of \"off\", \"info\", \"warning\", \"error\""
        );
        assert!(
            err("\nexclud = []\n")
                .starts_with("/p/mtlsguard.toml:2:1: key `exclud`: unknown key `exclud`")
        );
        assert!(err("[rules\n").starts_with("/p/mtlsguard.toml:1:"));
        assert!(err("max-file-size = -1\n").contains("key `max-file-size`"));
        assert!(err("exclude = [\"a[\"]\n").contains("key `exclude`: invalid glob"));
    }
}
