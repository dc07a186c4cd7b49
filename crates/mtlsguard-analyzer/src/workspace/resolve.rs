//! Placeholder until the resolve-refs branch lands (local paths only).

#[derive(Debug, Clone, Default)]
pub struct BicepConfig {}

pub(crate) enum Target {
    Local(String),
    Cache(String),
}

pub(crate) fn normalize(path: &str) -> String {
    let abs = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." if out.last().is_some_and(|s| *s != "..") => {
                out.pop();
            }
            ".." if abs => {}
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if abs { format!("/{joined}") } else { joined }
}

pub(crate) fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

pub(crate) fn join(dir: &str, rel: &str) -> String {
    if rel.starts_with('/') || dir.is_empty() {
        normalize(rel)
    } else {
        normalize(&format!("{dir}/{rel}"))
    }
}

pub(crate) fn parse_bicepconfig(_text: &str) -> Result<BicepConfig, String> {
    Ok(BicepConfig {})
}

pub(crate) fn resolve(
    from_file: &str,
    reference: &str,
    _config: Option<&BicepConfig>,
    _cache_root: &str,
) -> Result<Target, String> {
    if reference.starts_with("br:") || reference.starts_with("br/") || reference.starts_with("ts") {
        return Err("registry modules are not supported yet".into());
    }
    Ok(Target::Local(join(parent(from_file), reference)))
}

pub(crate) fn template_for_parameters(path: &str, exists: impl Fn(&str) -> bool) -> Option<String> {
    let lower = path.to_ascii_lowercase();
    let i = lower.rfind(".parameters")?;
    for ext in [".json", ".jsonc"] {
        let c = format!("{}{ext}", &path[..i]);
        if exists(&c) {
            return Some(c);
        }
    }
    None
}
