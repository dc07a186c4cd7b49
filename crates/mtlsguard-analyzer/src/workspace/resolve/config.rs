//! The parts of `bicepconfig.json` that decide where a module reference points:
//! `moduleAliases` and `cacheRootDirectory`.
//!
//! Read with the crate's own JSON grammar, which accepts the comments and trailing commas
//! Bicep allows in this file. Keys match exactly (Bicep binds them case-sensitively);
//! where a key is repeated the last one wins, as in ARM templates. A `null` counts as
//! absent: Bicep merges the file over its built-in configuration, and a `null` there
//! keeps the built-in value.

use tree_sitter::Node;

use super::{join, normalize};
use crate::lower::json::string;
use crate::syntax::{self, Document, Language, Parsed};

/// `moduleAliases.br.<alias>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BrAlias {
    pub registry: Option<String>,
    pub module_path: Option<String>,
}

/// `moduleAliases.ts.<alias>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TsAlias {
    pub subscription: Option<String>,
    pub resource_group: Option<String>,
}

/// What one `bicepconfig.json` says, as written: the built-in `br/public` alias is not
/// added here but at lookup, so a file that overrides part of it can be told apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BicepConfig {
    /// In file order, one entry per alias name.
    pub aliases_br: Vec<(String, BrAlias)>,
    pub aliases_ts: Vec<(String, TsAlias)>,
    /// `cacheRootDirectory` with `\` read as `/`; see [`BicepConfig::anchored`].
    pub cache_root: Option<String>,
}

impl BicepConfig {
    /// Makes `cache_root` usable on its own once the file's folder is known: `~` and
    /// `~/...` start at `home` (Bicep expands exactly these two forms), a relative path
    /// starts at `config_dir`. Bicep itself rejects a relative cache root ("File path
    /// must be absolute"); the config's folder is the one reading that does not depend
    /// on where the tool happens to be started.
    pub(crate) fn anchored(mut self, config_dir: &str, home: &str) -> Self {
        if let Some(root) = self.cache_root.take() {
            let anchored = if root == "~" {
                normalize(home)
            } else if let Some(rest) = root.strip_prefix("~/") {
                join(home, rest)
            } else {
                join(config_dir, &root)
            };
            self.cache_root = Some(anchored);
        }
        self
    }
}

const FILE: &str = "bicepconfig.json";

/// Reads the module aliases and cache root of a `bicepconfig.json`; an error names the
/// line and the key at fault.
pub(crate) fn parse_bicepconfig(text: &str) -> Result<BicepConfig, String> {
    let Parsed::Tree(tree) = syntax::parse(Language::Json, text, None) else {
        return Err(format!("{FILE} could not be read in the time allowed"));
    };
    let doc = Document::new(Language::Json, text, &tree);
    let root = tree.root_node();
    if root.has_error() {
        return Err(syntax_error(&doc));
    }
    let mut cursor = root.walk();
    let values: Vec<Node<'_>> = root
        .named_children(&mut cursor)
        .filter(|n| !n.is_extra())
        .collect();
    let top = match values.as_slice() {
        [] => return Err(format!("{FILE} is empty: expected a JSON object")),
        [one] if one.kind() == "object" => *one,
        [one, ..] => {
            return Err(format!(
                "{FILE} line {}: expected a JSON object, found {}",
                line(*one),
                describe(*one)
            ));
        }
    };
    let reader = Reader { doc };
    let mut config = BicepConfig::default();
    if let Some(aliases) = reader.object(top, &["moduleAliases"])? {
        if let Some(br) = reader.object(aliases, &["moduleAliases", "br"])? {
            for (name, value) in reader.members(br) {
                let path = ["moduleAliases", "br", name.as_str()];
                let Some(alias) = reader.expect_object(value, &path)? else {
                    continue;
                };
                let entry = BrAlias {
                    registry: reader.string(alias, &path, "registry")?,
                    module_path: reader.string(alias, &path, "modulePath")?,
                };
                upsert(&mut config.aliases_br, name, entry);
            }
        }
        if let Some(ts) = reader.object(aliases, &["moduleAliases", "ts"])? {
            for (name, value) in reader.members(ts) {
                let path = ["moduleAliases", "ts", name.as_str()];
                let Some(alias) = reader.expect_object(value, &path)? else {
                    continue;
                };
                let entry = TsAlias {
                    subscription: reader.string(alias, &path, "subscription")?,
                    resource_group: reader.string(alias, &path, "resourceGroup")?,
                };
                upsert(&mut config.aliases_ts, name, entry);
            }
        }
    }
    config.cache_root = reader
        .string(top, &[], "cacheRootDirectory")?
        // Bicep falls back to the default for a blank value.
        .filter(|root| !root.trim().is_empty())
        .map(|root| root.replace('\\', "/"));
    Ok(config)
}

/// A repeated alias keeps its first position and its last value.
fn upsert<T>(list: &mut Vec<(String, T)>, name: String, value: T) {
    match list.iter_mut().find(|(n, _)| *n == name) {
        Some(slot) => slot.1 = value,
        None => list.push((name, value)),
    }
}

fn syntax_error(doc: &Document<'_>) -> String {
    let first = syntax::errors(doc, crate::Level::Error).into_iter().next();
    let Some(first) = first else {
        return format!("{FILE} is not valid JSON");
    };
    let line = doc.text[..first.range.start.min(doc.text.len())]
        .matches('\n')
        .count()
        + 1;
    let what = first
        .message
        .strip_prefix("syntax error: ")
        .unwrap_or(&first.message);
    format!("{FILE} is not valid JSON: line {line}: {what}")
}

fn line(node: Node<'_>) -> usize {
    node.start_position().row + 1
}

fn describe(node: Node<'_>) -> &'static str {
    match node.kind() {
        "object" => "an object",
        "array" => "an array",
        "string" => "a string",
        "number" => "a number",
        "true" | "false" => "a boolean",
        "null" => "null",
        _ => "something else",
    }
}

struct Reader<'a> {
    doc: Document<'a>,
}

impl<'a> Reader<'a> {
    /// The object's members in text order; keys that are not valid strings cannot name
    /// anything we read, so they are skipped.
    fn members<'t>(&self, obj: Node<'t>) -> Vec<(String, Node<'t>)> {
        let mut cursor = obj.walk();
        let pairs: Vec<Node<'t>> = obj
            .named_children(&mut cursor)
            .filter(|c| c.kind() == "pair")
            .collect();
        pairs
            .into_iter()
            .filter_map(|pair| {
                let key = string(&self.doc, pair.child_by_field_name("key")?)?;
                Some((key, pair.child_by_field_name("value")?))
            })
            .collect()
    }

    /// The value of the last member named `key`, `None` if absent or `null`.
    fn member<'t>(&self, obj: Node<'t>, key: &str) -> Option<Node<'t>> {
        self.members(obj)
            .into_iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .filter(|v| v.kind() != "null")
    }

    /// The object at `path` (the last key looked up in `parent`).
    fn object<'t>(&self, parent: Node<'t>, path: &[&str]) -> Result<Option<Node<'t>>, String> {
        let key = path.last().expect("a path names a key");
        match self.member(parent, key) {
            Some(value) => self.expect_object(value, path),
            None => Ok(None),
        }
    }

    fn expect_object<'t>(
        &self,
        value: Node<'t>,
        path: &[&str],
    ) -> Result<Option<Node<'t>>, String> {
        match value.kind() {
            "object" => Ok(Some(value)),
            "null" => Ok(None),
            _ => Err(format!(
                "{FILE} line {}: {} is not an object (found {})",
                line(value),
                path.join("."),
                describe(value)
            )),
        }
    }

    fn string(&self, obj: Node<'_>, path: &[&str], key: &str) -> Result<Option<String>, String> {
        let Some(value) = self.member(obj, key) else {
            return Ok(None);
        };
        let full = path
            .iter()
            .copied()
            .chain([key])
            .collect::<Vec<_>>()
            .join(".");
        if value.kind() != "string" {
            return Err(format!(
                "{FILE} line {}: {full} is not a string (found {})",
                line(value),
                describe(value)
            ));
        }
        string(&self.doc, value).map(Some).ok_or_else(|| {
            format!(
                "{FILE} line {}: {full} has an invalid escape sequence",
                line(value)
            )
        })
    }
}
