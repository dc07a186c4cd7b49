//! [`ConfigCache`]: which configuration applies to a folder, memoized.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::bicepconfig::{self, BicepConfig};
use super::{Config, ConfigError, absolute, discover, load};

/// What applies in one folder: the nearest `mtlsguard.toml` and `bicepconfig.json`.
#[derive(Debug, Clone)]
struct Found {
    toml: Option<PathBuf>,
    bicepconfig: Option<PathBuf>,
}

/// Memoizes discovery per folder and loading per config file.
#[derive(Debug, Default)]
pub struct ConfigCache {
    pinned: Option<Arc<Config>>,
    by_dir: HashMap<PathBuf, Found>,
    loaded: HashMap<PathBuf, Result<Arc<Config>, ConfigError>>,
    bicepconfigs: HashMap<PathBuf, Result<Arc<BicepConfig>, ConfigError>>,
    /// (mtlsguard.toml, bicepconfig.json) → the two layered; folders without a
    /// mtlsguard.toml are not memoized here, as their default config is rooted at them.
    layered: HashMap<(PathBuf, PathBuf), Arc<Config>>,
}

impl ConfigCache {
    pub fn new() -> ConfigCache {
        ConfigCache::default()
    }

    /// Every lookup uses `config` instead of a discovered `mtlsguard.toml` (`--config
    /// PATH`); a `bicepconfig.json`'s levels still apply below it.
    pub fn with_override(config: Config) -> ConfigCache {
        ConfigCache {
            pinned: Some(Arc::new(config)),
            ..ConfigCache::default()
        }
    }

    /// The configuration for a file: the nearest `mtlsguard.toml` walking up from the
    /// file's folder (or the default, rooted at that folder, when there is none) over the
    /// levels of the nearest `bicepconfig.json`.
    pub fn for_file(&mut self, file: &Path) -> Result<Arc<Config>, ConfigError> {
        let abs = absolute(file);
        let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
        self.for_dir(&dir)
    }

    /// The configuration that applies to files directly inside `dir`.
    pub fn for_dir(&mut self, dir: &Path) -> Result<Arc<Config>, ConfigError> {
        let dir = absolute(dir);
        let found = match self.by_dir.get(&dir) {
            Some(found) => found.clone(),
            None => {
                let found = Found {
                    toml: if self.pinned.is_some() {
                        None
                    } else {
                        discover(&dir)
                    },
                    bicepconfig: bicepconfig::discover(&dir),
                };
                self.by_dir.insert(dir.clone(), found.clone());
                found
            }
        };
        let base = match (&self.pinned, &found.toml) {
            (Some(pinned), _) => pinned.clone(),
            (None, Some(path)) => self
                .loaded
                .entry(path.clone())
                .or_insert_with(|| load(path).map(Arc::new))
                .clone()?,
            (None, None) => Arc::new(Config::default_in(&dir)),
        };
        let Some(bicep_path) = found.bicepconfig else {
            return Ok(base);
        };
        let layer = self
            .bicepconfigs
            .entry(bicep_path.clone())
            .or_insert_with(|| bicepconfig::load(&bicep_path).map(Arc::new))
            .clone()?;
        let Some(toml_path) = base.path.clone() else {
            return Ok(Arc::new(base.over_bicepconfig(&layer)));
        };
        Ok(self
            .layered
            .entry((toml_path, bicep_path))
            .or_insert_with(|| Arc::new(base.over_bicepconfig(&layer)))
            .clone())
    }

    /// Forgets every discovery and loaded file (a config file was created, changed or
    /// deleted). A pinned override stays.
    #[allow(dead_code)] // used by the language server
    pub fn clear(&mut self) {
        self.by_dir.clear();
        self.loaded.clear();
        self.bicepconfigs.clear();
        self.layered.clear();
    }
}

#[cfg(test)]
mod tests {
    use mtlsguard_analyzer::Level;

    use super::*;

    #[test]
    fn mtlsguard_toml_wins_over_bicepconfig() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("team/sub")).unwrap();
        std::fs::write(
            root.join("bicepconfig.json"),
            r#"{ "analyzers": { "mtlsguard": { "rules": {
                "app-service-client-cert": { "level": "error" },
                "acr-token-client-cert": { "level": "off" } } } } }"#,
        )
        .unwrap();
        std::fs::write(
            root.join("team/mtlsguard.toml"),
            "[rules]\napp-service-client-cert = \"info\"\n",
        )
        .unwrap();
        let mut cache = ConfigCache::new();
        let top = cache.for_dir(root).unwrap();
        assert_eq!(top.settings.level("app-service-client-cert"), Level::Error);
        assert_eq!(top.settings.level("acr-token-client-cert"), Level::Off);
        let team = cache.for_dir(&root.join("team/sub")).unwrap();
        assert_eq!(team.settings.level("app-service-client-cert"), Level::Info);
        assert_eq!(team.settings.level("acr-token-client-cert"), Level::Off);
        assert_eq!(team.settings.level("apim-client-cert"), Level::Warning);

        // --config replaces mtlsguard.toml discovery, not the bicepconfig.json layer.
        let ci = super::super::parse(
            "[rules]\nacr-token-client-cert = \"error\"\n",
            &root.join("ci.toml"),
        )
        .unwrap();
        let mut pinned = ConfigCache::with_override(ci);
        let c = pinned.for_dir(&root.join("team")).unwrap();
        assert_eq!(c.settings.level("acr-token-client-cert"), Level::Error);
        assert_eq!(c.settings.level("app-service-client-cert"), Level::Error);
    }

    #[test]
    fn an_invalid_bicepconfig_is_an_error_for_its_folders() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bicepconfig.json"), "{ \"analyzers\": ").unwrap();
        let e = ConfigCache::new().for_dir(dir.path()).unwrap_err();
        assert!(e.path.ends_with("bicepconfig.json"), "{e}");
        assert_eq!(e.line, Some(1), "{e}");
    }
}
