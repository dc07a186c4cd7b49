//! `bicepconfig.json`: the rule levels Bicep users set for analyzers, read as a layer
//! below `mtlsguard.toml`.
//!
//! ```jsonc
//! {
//!   "analyzers": {
//!     "mtlsguard": {
//!       "rules": {
//!         "app-service-client-cert": { "level": "error" } // off | info | warning | error
//!       }
//!     }
//!   }
//! }
//! ```
//!
//! Everything outside `analyzers.mtlsguard` belongs to Bicep and is not looked at. Bicep
//! reads the file as JSON with comments and trailing commas, so we accept both.

use std::path::{Path, PathBuf};

use mtlsguard_analyzer::{Level, RULES};
use serde_json::Value;

use super::{ConfigError, absolute, io_message, line_col};

pub const BICEPCONFIG_FILE_NAME: &str = "bicepconfig.json";

/// The levels one `bicepconfig.json` sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BicepConfig {
    pub path: PathBuf,
    pub levels: Vec<(&'static str, Level)>,
}

/// The nearest `bicepconfig.json` in `start_dir` or one of its ancestors.
pub fn discover(start_dir: &Path) -> Option<PathBuf> {
    absolute(start_dir)
        .ancestors()
        .map(|dir| dir.join(BICEPCONFIG_FILE_NAME))
        .find(|candidate| candidate.is_file())
}

pub fn load(path: &Path) -> Result<BicepConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: path.to_path_buf(),
        line: None,
        column: None,
        key: None,
        message: format!("cannot read the file: {}", io_message(&e)),
    })?;
    parse(&text, path)
}

/// Validates `bicepconfig.json` text belonging to `path`.
pub fn parse(text: &str, path: &Path) -> Result<BicepConfig, ConfigError> {
    let error = |offset: Option<usize>, key: Option<String>, message: String| {
        let (line, column) = match offset {
            Some(o) => {
                let (l, c) = line_col(text, o);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        ConfigError {
            path: path.to_path_buf(),
            line,
            column,
            key,
            message,
        }
    };
    let plain = strip_jsonc(text).map_err(|(at, msg)| error(Some(at), None, msg.into()))?;
    let root: Value = serde_json::from_str(&plain).map_err(|e| {
        // serde_json appends " at line L column C", which our prefix already says.
        let full = e.to_string();
        let message = full
            .rfind(" at line ")
            .map_or(full.as_str(), |i| &full[..i])
            .to_owned();
        ConfigError {
            path: path.to_path_buf(),
            line: Some(e.line()).filter(|&l| l > 0),
            column: Some(e.column()).filter(|&c| c > 0),
            key: None,
            message: format!("invalid JSON: {message}"),
        }
    })?;

    let mut levels = Vec::new();
    let Some(ours) = root.get("analyzers").and_then(|a| a.get("mtlsguard")) else {
        return Ok(BicepConfig {
            path: path.to_path_buf(),
            levels,
        });
    };
    // Semantic errors have no span in a serde_json Value: point at where the key is
    // written, which is exact unless the same key appears twice.
    let at = |keys: &[&str]| locate(&plain, keys);
    let Value::Object(ours) = ours else {
        let keys = ["analyzers", "mtlsguard"];
        return Err(error(
            at(&keys),
            Some(keys.join(".")),
            "expected an object with `rules`".into(),
        ));
    };
    for (key, value) in ours {
        if key != "rules" {
            let keys = ["analyzers", "mtlsguard", key];
            return Err(error(
                at(&keys),
                Some(keys.join(".")),
                "unknown key; mtlsguard reads only `rules` here (other settings go in mtlsguard.toml)".into(),
            ));
        }
        let Value::Object(rules) = value else {
            let keys = ["analyzers", "mtlsguard", "rules"];
            return Err(error(
                at(&keys),
                Some(keys.join(".")),
                "expected an object of rule ids".into(),
            ));
        };
        for (id, entry) in rules {
            let rule_keys = ["analyzers", "mtlsguard", "rules", id.as_str()];
            let Some(meta) = mtlsguard_analyzer::rule(id) else {
                let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
                return Err(error(
                    at(&rule_keys),
                    Some(rule_keys.join(".")),
                    format!("unknown rule id `{id}`; known rules: {}", ids.join(", ")),
                ));
            };
            let Value::Object(entry) = entry else {
                return Err(error(
                    at(&rule_keys),
                    Some(rule_keys.join(".")),
                    "expected an object such as { \"level\": \"warning\" }".into(),
                ));
            };
            for (name, value) in entry {
                let keys = [
                    "analyzers",
                    "mtlsguard",
                    "rules",
                    id.as_str(),
                    name.as_str(),
                ];
                if name != "level" {
                    return Err(error(
                        at(&keys),
                        Some(keys.join(".")),
                        "unknown key; only `level` is read here (rule options go in mtlsguard.toml)".into(),
                    ));
                }
                let Some(level) = value.as_str().and_then(Level::parse) else {
                    return Err(error(
                        at(&keys),
                        Some(keys.join(".")),
                        format!(
                            "invalid level {value}; expected one of \"off\", \"info\", \"warning\", \"error\""
                        ),
                    ));
                };
                levels.push((meta.id, level));
            }
        }
    }
    Ok(BicepConfig {
        path: path.to_path_buf(),
        levels,
    })
}

/// `text` with comments and trailing commas blanked out (to spaces, keeping line breaks,
/// so serde_json's lines and columns are the file's), or where an unterminated comment
/// starts.
fn strip_jsonc(text: &str) -> Result<String, (usize, &'static str)> {
    let mut out = text.as_bytes().to_vec();
    if out.starts_with("\u{feff}".as_bytes()) {
        out[..3].fill(b' ');
    }
    let blank = |out: &mut [u8], range: std::ops::Range<usize>| {
        for b in &mut out[range] {
            // Bytes of multi-byte characters go too: a comment is removed whole.
            if !matches!(*b, b'\n' | b'\r') {
                *b = b' ';
            }
        }
    };
    let mut i = 0;
    let mut last_comma: Option<usize> = None;
    while i < out.len() {
        match out[i] {
            b'"' => {
                last_comma = None;
                i += 1;
                while i < out.len() && out[i] != b'"' {
                    i += if out[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'/' if out.get(i + 1) == Some(&b'/') => {
                let end = out[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(out.len(), |p| i + p);
                blank(&mut out, i..end);
                i = end;
            }
            b'/' if out.get(i + 1) == Some(&b'*') => {
                let Some(p) = out[i + 2..].windows(2).position(|w| w == b"*/") else {
                    return Err((i, "unterminated /* comment"));
                };
                let end = i + 2 + p + 2;
                blank(&mut out, i..end);
                i = end;
            }
            b',' => {
                last_comma = Some(i);
                i += 1;
            }
            b'}' | b']' => {
                if let Some(c) = last_comma.take() {
                    out[c] = b' ';
                }
                i += 1;
            }
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            _ => {
                last_comma = None;
                i += 1;
            }
        }
    }
    // Only ASCII bytes were replaced, each by a space, and only whole characters.
    Ok(String::from_utf8(out).expect("blanking whole characters keeps UTF-8"))
}

/// Where the last of `keys` is written, following them down from the start of `plain`.
fn locate(plain: &str, keys: &[&str]) -> Option<usize> {
    let mut from = 0;
    let mut found = None;
    for key in keys {
        let quoted = serde_json::to_string(key).ok()?;
        let mut search = from;
        loop {
            let i = search + plain.get(search..)?.find(&quoted)?;
            let after = i + quoted.len();
            if plain[after..].trim_start().starts_with(':') {
                found = Some(i);
                from = after;
                break;
            }
            search = after;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text, Path::new("/p/bicepconfig.json"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reads_our_levels_and_nothing_else() {
        let c = parse(
            r#"{
  // Bicep's own rules stay Bicep's.
  "analyzers": {
    "core": { "rules": { "no-unused-params": { "level": "off" } } },
    /* ours */
    "mtlsguard": {
      "rules": {
        "app-service-client-cert": { "level": "error" }, // stricter
        "unused-suppression": { "level": "off" },
      },
    },
  },
  "moduleAliases": { "br": { "public": { "registry": "mcr.microsoft.com//x" } } }
}"#,
            Path::new("/p/bicepconfig.json"),
        )
        .unwrap();
        assert_eq!(
            c.levels,
            vec![
                ("app-service-client-cert", Level::Error),
                ("unused-suppression", Level::Off)
            ]
        );
        let none = parse("{}", Path::new("/p/bicepconfig.json")).unwrap();
        assert!(none.levels.is_empty());
    }

    #[test]
    fn strips_comments_but_not_strings() {
        let s = strip_jsonc("{\"a\": \"// not /* a comment\", /* x\ny */ \"b\": [1,],}\n// end")
            .unwrap();
        assert_eq!(
            s,
            "{\"a\": \"// not /* a comment\",     \n     \"b\": [1 ] }\n      "
        );
        assert_eq!(
            strip_jsonc("{\"a\\\"//\": 1}").unwrap(),
            "{\"a\\\"//\": 1}",
            "escaped quotes"
        );
        assert_eq!(
            strip_jsonc("{\n /* é").unwrap_err(),
            (3, "unterminated /* comment")
        );
        assert_eq!(strip_jsonc("// é\n{}").unwrap(), "     \n{}");
    }

    #[test]
    fn errors_name_file_line_and_key() {
        assert_eq!(
            err(
                "{\n  \"analyzers\": {\n    \"mtlsguard\": { \"rules\": { \"app-service\": { \"level\": \"error\" } } }\n  }\n}"
            ),
            "/p/bicepconfig.json:3:31: key `analyzers.mtlsguard.rules.app-service`: unknown rule id `app-service`; known rules: app-service-client-cert, signalr-client-cert, container-apps-client-cert, apim-client-cert, data-factory-client-cert, acr-token-client-cert, cassandra-client-cert, service-fabric-client-cert, unused-suppression, syntax-error, unresolved-reference, file-error"
        );
        assert_eq!(
            err(
                "{\"analyzers\": {\"mtlsguard\": {\"rules\": {\"apim-client-cert\": {\"level\": \"loud\"}}}}}"
            ),
            "/p/bicepconfig.json:1:61: key `analyzers.mtlsguard.rules.apim-client-cert.level`: invalid level \"loud\"; expected one of \"off\", \"info\", \"warning\", \"error\""
        );
        assert_eq!(
            err("{\n  \"analyzers\": {\n    \"mtlsguard\": 1,\n  }\n}"),
            "/p/bicepconfig.json:3:5: key `analyzers.mtlsguard`: expected an object with `rules`"
        );
        assert_eq!(
            err("{\n  \"analyzers\": { \"core\": { \"enabled\": true\n}"),
            "/p/bicepconfig.json:3:1: invalid JSON: EOF while parsing an object"
        );
        assert_eq!(
            err("{\n  /* never closed\n}"),
            "/p/bicepconfig.json:2:3: unterminated /* comment"
        );
        assert!(
            err(r#"{"analyzers": {"mtlsguard": {"enabled": true}}}"#)
                .contains("key `analyzers.mtlsguard.enabled`: unknown key")
        );
    }
}
