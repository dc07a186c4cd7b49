//! Where a reference between templates points: module paths, registry modules and
//! template specs in Bicep's module cache, the `bicepconfig.json` that applies to a
//! file, and the template an ARM parameters file belongs to by its name.
//!
//! Pure string work on '/'-separated paths, relative (`infra/main.bicep`) or absolute
//! (`/home/x/infra/main.bicep`, `C:/x/main.bicep`); the caller reads the files.

mod config;
mod registry;

#[cfg(test)]
mod config_tests;
#[cfg(test)]
mod tests;

pub(crate) use config::{BicepConfig, parse_bicepconfig};
#[cfg(test)]
pub(crate) use config::{BrAlias, TsAlias};

/// The root part of an absolute path (`/` or a drive such as `C:/`), if any.
fn root_of(path: &str) -> Option<&str> {
    if path.starts_with('/') {
        return Some(&path[..1]);
    }
    let b = path.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/').then(|| &path[..3])
}

/// Lexical normalization: `\` read as `/` (Windows-authored references), empty and `.`
/// segments dropped, `a/..` pairs removed. A relative path keeps the `..` it cannot
/// resolve; an absolute one never climbs above its root. The empty path is `.`.
pub(crate) fn normalize(path: &str) -> String {
    let path = path.replace('\\', "/");
    let root = root_of(&path);
    let rest = &path[root.map_or(0, str::len)..];
    let mut segments: Vec<&str> = Vec::new();
    for segment in rest.split('/') {
        match segment {
            "" | "." => {}
            ".." => match segments.last() {
                Some(&last) if last != ".." => {
                    segments.pop();
                }
                _ if root.is_some() => {}
                _ => segments.push(".."),
            },
            s => segments.push(s),
        }
    }
    let joined = segments.join("/");
    match root {
        Some(root) => format!("{root}{joined}"),
        None if joined.is_empty() => ".".to_owned(),
        None => joined,
    }
}

/// `rel` taken from folder `dir`, normalized; an absolute `rel` stands alone.
pub(crate) fn join(dir: &str, rel: &str) -> String {
    let rel = rel.replace('\\', "/");
    if root_of(&rel).is_some() || dir.is_empty() {
        normalize(&rel)
    } else {
        normalize(&format!("{dir}/{rel}"))
    }
}

/// The folder holding `path` (a normalized path): `` for a bare file name, the root
/// for a file directly in it.
pub(crate) fn parent(path: &str) -> &str {
    let root_len = root_of(path).map_or(0, str::len);
    match path[root_len..].rfind('/') {
        Some(i) => &path[..root_len + i],
        None => &path[..root_len],
    }
}

/// What a module reference names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A file of the workspace: its normalized path.
    Local(String),
    /// A compiled template in Bicep's module cache: the path of its `main.json`.
    /// For a template spec this file is the template spec version resource as Azure
    /// returns it: the template is its `properties.mainTemplate`.
    Cache(String),
}

/// Bicep's built-in `br/public` alias, which a `bicepconfig.json` may override field by
/// field (Bicep merges the file over its built-in configuration).
const PUBLIC_ALIAS: &str = "public";
const PUBLIC_REGISTRY: &str = "mcr.microsoft.com";
const PUBLIC_MODULE_PATH: &str = "bicep";

/// Where `reference`, written in a module statement of `from_file`, points. `config` is
/// the `bicepconfig.json` that applies to `from_file` (see [`nearest_config`]), already
/// [anchored](BicepConfig::anchored); `default_cache_root` is `~/.bicep`, expanded.
///
/// As in Bicep, anything before the first `:` is a scheme (`br`, `ts`, optionally with
/// `/<alias>`); a reference without `:` is a path relative to `from_file`'s folder.
pub(crate) fn resolve(
    from_file: &str,
    reference: &str,
    config: Option<&BicepConfig>,
    default_cache_root: &str,
) -> Result<Target, String> {
    if reference.is_empty() {
        return Err("the module path is empty".to_owned());
    }
    let Some((scheme_part, rest)) = reference.split_once(':') else {
        return Ok(Target::Local(join(parent(from_file), reference)));
    };
    let (scheme, alias) = match scheme_part.split_once('/') {
        Some((scheme, alias)) => (scheme, Some(alias)),
        None => (scheme_part, None),
    };
    if let Some(alias) = alias
        && !is_alias_name(alias)
    {
        return Err(format!(
            "{scheme_part}: '{alias}' is not a valid alias name (letters, digits, '-' and '_')"
        ));
    }
    let dir = match (scheme, alias) {
        ("br", None) => registry::oci_cache_dir(rest)?,
        ("br", Some(alias)) => {
            let prefix = br_alias(scheme_part, alias, config)?;
            registry::oci_cache_dir(&format!("{prefix}/{rest}"))?
        }
        ("ts", None) => registry::ts_cache_dir(rest)?,
        ("ts", Some(alias)) => {
            let prefix = ts_alias(scheme_part, alias, config)?;
            registry::ts_cache_dir(&format!("{prefix}/{rest}"))?
        }
        _ => {
            return Err(format!(
                "'{reference}': unknown module reference scheme '{scheme}' (a local module \
                 path has no ':'; registry references start with 'br:', 'br/<alias>:', \
                 'ts:' or 'ts/<alias>:')"
            ));
        }
    };
    let root = config
        .and_then(|c| c.cache_root.as_deref())
        .unwrap_or(default_cache_root);
    Ok(Target::Cache(join(root, &format!("{dir}/main.json"))))
}

fn is_alias_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
}

/// `<registry>` or `<registry>/<modulePath>` of a `br/<alias>:` reference.
fn br_alias(
    scheme_part: &str,
    alias: &str,
    config: Option<&BicepConfig>,
) -> Result<String, String> {
    let found = config.and_then(|c| c.aliases_br.iter().find(|(name, _)| name == alias));
    let (registry, module_path) = match (found, alias == PUBLIC_ALIAS) {
        (Some((_, a)), true) => (
            a.registry.as_deref().or(Some(PUBLIC_REGISTRY)),
            a.module_path.as_deref().or(Some(PUBLIC_MODULE_PATH)),
        ),
        (Some((_, a)), false) => (a.registry.as_deref(), a.module_path.as_deref()),
        (None, true) => (Some(PUBLIC_REGISTRY), Some(PUBLIC_MODULE_PATH)),
        (None, false) => {
            return Err(format!(
                "{scheme_part}: no alias '{alias}' in bicepconfig.json moduleAliases.br{}",
                missing_config(config)
            ));
        }
    };
    let Some(registry) = registry else {
        return Err(format!(
            "{scheme_part}: bicepconfig.json moduleAliases.br.{alias} has no registry"
        ));
    };
    Ok(match module_path {
        Some(path) => format!("{registry}/{path}"),
        None => registry.to_owned(),
    })
}

/// `<subscription>/<resourceGroup>` of a `ts/<alias>:` reference.
fn ts_alias(
    scheme_part: &str,
    alias: &str,
    config: Option<&BicepConfig>,
) -> Result<String, String> {
    let Some((_, found)) = config.and_then(|c| c.aliases_ts.iter().find(|(name, _)| name == alias))
    else {
        return Err(format!(
            "{scheme_part}: no alias '{alias}' in bicepconfig.json moduleAliases.ts{}",
            missing_config(config)
        ));
    };
    let field = |value: &Option<String>, key: &str| {
        value.clone().ok_or_else(|| {
            format!("{scheme_part}: bicepconfig.json moduleAliases.ts.{alias} has no {key}")
        })
    };
    let subscription = field(&found.subscription, "subscription")?;
    let resource_group = field(&found.resource_group, "resourceGroup")?;
    Ok(format!("{subscription}/{resource_group}"))
}

fn missing_config(config: Option<&BicepConfig>) -> &'static str {
    if config.is_none() {
        " (no bicepconfig.json applies to this file)"
    } else {
        ""
    }
}

/// The config of the deepest folder holding `file`: Bicep uses the nearest
/// `bicepconfig.json` alone, never merging it with those of outer folders.
pub(crate) fn nearest_config<'a, T>(
    file: &str,
    configs: &'a [(String, T)],
) -> Option<&'a (String, T)> {
    let file = normalize(file);
    let mut best: Option<(usize, &(String, T))> = None;
    for config in configs {
        let dir = normalize(&config.0);
        if !contains(&dir, &file) {
            continue;
        }
        let depth = depth(&dir);
        // Strictly deeper: of two configs listed for one folder, the first wins.
        if best.is_none_or(|(d, _)| depth > d) {
            best = Some((depth, config));
        }
    }
    best.map(|(_, config)| config)
}

/// How many folders normalized `dir` is below its root (or below `.`).
fn depth(dir: &str) -> usize {
    let below_root = &dir[root_of(dir).map_or(0, str::len)..];
    below_root
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .count()
}

/// Whether normalized folder `dir` holds normalized `file` at some depth.
fn contains(dir: &str, file: &str) -> bool {
    if dir == "." {
        return root_of(file).is_none() && file != ".." && !file.starts_with("../");
    }
    match file.strip_prefix(dir) {
        Some(rest) => {
            (dir.ends_with('/') && !rest.is_empty()) || (rest.starts_with('/') && rest.len() > 1)
        }
        None => false,
    }
}

/// The template an ARM parameters file belongs to by its name: `X.parameters.json` and
/// `X.parameters.<env>.json` (or `.jsonc`) belong to `X.json` or `X.jsonc`, in the same
/// folder (`azuredeploy.parameters.json` to `azuredeploy.json` is one case of it). The
/// `.parameters` part matches in any case. Returns the first candidate that `exists`.
pub(crate) fn template_for_parameters(
    params_path: &str,
    exists: impl Fn(&str) -> bool,
) -> Option<String> {
    parameters_candidates(params_path)
        .into_iter()
        .find(|c| exists(c))
}

/// Every template a parameters file may belong to by its name, in the order
/// [`template_for_parameters`] tries them.
pub(crate) fn parameters_candidates(params_path: &str) -> Vec<String> {
    let dir = parent(params_path);
    let name = params_path[dir.len()..].trim_start_matches('/');
    let lower = name.to_ascii_lowercase();
    let Some(stem_len) = [".jsonc", ".json"]
        .iter()
        .find(|ext| lower.ends_with(*ext))
        .map(|ext| name.len() - ext.len())
    else {
        return Vec::new();
    };
    let stem = &lower[..stem_len];
    let mut candidates = Vec::new();
    // Rightmost first: a name that reads both ways (`a.parameters.parameters.json`) is
    // tried as the plain form first, whose template name is the longer, exact one.
    for (at, _) in stem.rmatch_indices(".parameters") {
        let after = &stem[at + ".parameters".len()..];
        let env_ok = after.is_empty() || (after.len() > 1 && after.starts_with('.'));
        if at == 0 || !env_ok {
            continue;
        }
        for ext in [".json", ".jsonc"] {
            candidates.push(join(dir, &format!("{}{ext}", &name[..at])));
        }
    }
    candidates
}
