//! Editor settings (`initializationOptions`, `workspace/didChangeConfiguration`) and how they
//! layer over the rule levels of `mtlsguard.toml`.
//!
//! ```json
//! { "showSyntaxErrors": false, "rules": { "app-service-client-cert": "error" } }
//! ```
//!
//! The object may also come wrapped as `{ "mtlsguard": { ... } }` (VS Code sends the
//! section that way). Levels: defaults, then `mtlsguard.toml`, then the editor's `rules`.

use mtlsguard_analyzer::{Level, Settings, rule};
use serde_json::Value;

/// What the editor asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientSettings {
    pub show_syntax_errors: bool,
    /// Rule levels that override the file's and the defaults.
    pub rules: Vec<(&'static str, Level)>,
}

/// What one document is analyzed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    pub analyzer: Settings,
    pub show_syntax_errors: bool,
    /// An `exclude` glob of the document's `mtlsguard.toml` matches it: no diagnostics.
    pub excluded: bool,
    /// Documents larger than this get one `file-error` instead of analysis.
    pub max_file_size: u64,
}

impl ClientSettings {
    /// Reads settings, skipping (and describing in the returned warnings) whatever is invalid.
    /// `null` or a missing value is the defaults, without a warning.
    pub fn from_json(value: Option<&Value>) -> (ClientSettings, Vec<String>) {
        let mut out = ClientSettings::default();
        let mut warnings = Vec::new();
        let mut value = match value {
            None | Some(Value::Null) => return (out, warnings),
            Some(v) => v,
        };
        // `{ "settings": { "mtlsguard": {...} } }`, `{ "mtlsguard": {...} }` or the object itself.
        if let Some(inner) = value.get("settings").filter(|v| v.is_object()) {
            value = inner;
        }
        if let Some(inner) = value.get("mtlsguard") {
            value = inner;
        }
        let Some(obj) = value.as_object() else {
            if !value.is_null() {
                warnings.push(format!(
                    "settings must be an object, got {value}; using the defaults"
                ));
            }
            return (out, warnings);
        };
        for (key, v) in obj {
            match key.as_str() {
                "showSyntaxErrors" => match v.as_bool() {
                    Some(b) => out.show_syntax_errors = b,
                    None => {
                        warnings.push(format!("showSyntaxErrors must be true or false, got {v}"))
                    }
                },
                "rules" => match v.as_object() {
                    Some(rules) => {
                        for (id, level) in rules {
                            let Some(meta) = rule(id) else {
                                warnings.push(format!("rules: unknown rule id {id:?}"));
                                continue;
                            };
                            match level.as_str().and_then(Level::parse) {
                                Some(l) => out.rules.push((meta.id, l)),
                                None => warnings.push(format!(
                                    "rules.{id}: level must be \"off\", \"info\", \"warning\" or \"error\", got {level}"
                                )),
                            }
                        }
                    }
                    None if v.is_null() => {}
                    None => warnings.push(format!(
                        "rules must be an object of rule id to level, got {v}"
                    )),
                },
                // VS Code puts the client's own trace setting in the same section.
                "trace" => {}
                other => warnings.push(format!("unknown setting {other:?}")),
            }
        }
        (out, warnings)
    }

    /// Layers these settings over a base (the defaults or a `mtlsguard.toml`'s levels).
    pub fn over(&self, base: &Settings) -> Effective {
        let mut analyzer = base.clone();
        for (id, level) in &self.rules {
            analyzer.set_level(id, *level);
        }
        Effective {
            analyzer,
            show_syntax_errors: self.show_syntax_errors,
            excluded: false,
            max_file_size: mtlsguard_analyzer::DEFAULT_MAX_FILE_SIZE as u64,
        }
    }

    /// Layers these settings over the `mtlsguard.toml` that applies to `path` (if any).
    pub fn over_config(
        &self,
        config: Option<&crate::config::Config>,
        path: Option<&std::path::Path>,
    ) -> Effective {
        let Some(config) = config else {
            return self.over(&Settings::default());
        };
        let mut eff = self.over(&config.settings);
        eff.excluded = path.is_some_and(|p| config.is_excluded(p));
        if let Some(max) = config.max_file_size {
            eff.max_file_size = max;
        }
        eff
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_all_shapes() {
        let plain = json!({ "showSyntaxErrors": true, "rules": { "apim-client-cert": "error" } });
        let expected = ClientSettings {
            show_syntax_errors: true,
            rules: vec![("apim-client-cert", Level::Error)],
        };
        for v in [
            plain.clone(),
            json!({ "mtlsguard": plain.clone() }),
            json!({ "settings": { "mtlsguard": plain } }),
        ] {
            assert_eq!(
                ClientSettings::from_json(Some(&v)),
                (expected.clone(), vec![])
            );
        }
        assert_eq!(
            ClientSettings::from_json(None),
            (ClientSettings::default(), vec![])
        );
    }

    #[test]
    fn invalid_parts_warn_and_keep_defaults() {
        let v = json!({ "showSyntaxErrors": "yes", "rules": { "nope": "error", "apim-client-cert": "loud", "signalr-client-cert": "off" }, "x": 1 });
        let (s, w) = ClientSettings::from_json(Some(&v));
        assert_eq!(
            s,
            ClientSettings {
                show_syntax_errors: false,
                rules: vec![("signalr-client-cert", Level::Off)]
            }
        );
        assert_eq!(w.len(), 4, "{w:?}");
        let (s, w) = ClientSettings::from_json(Some(&json!([1, 2])));
        assert_eq!(s, ClientSettings::default());
        assert_eq!(w.len(), 1);
        let eff = s.over(&Settings::default());
        assert_eq!(eff.analyzer, Settings::default());
    }
}
