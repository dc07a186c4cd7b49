//! Registry (`br:`) and template spec (`ts:`) references, and where Bicep's restore puts
//! them in its module cache.
//!
//! The validation and the cache layout follow the Bicep compiler (Azure/bicep, `src/Bicep.Core`):
//! `Registry/Oci/OciArtifactAddressComponents.cs` and `OciArtifactReferenceFacts.cs`
//! (what a reference may contain), `Registry/OciArtifactRegistry.cs`
//! `GetArtifactDirectory` (the `br` folder), `Registry/Oci/TagEncoder.cs` (the tag
//! folder), `Modules/TemplateSpecModuleReference.cs` and
//! `SourceGraph/Artifacts/TemplateSpecModuleArtifact.cs` (the `ts` folder). A reference
//! Bicep would reject is an error here too: nothing is restored for it, so the cache
//! cannot hold what it names.

/// Longest tag OCI allows; the tag folder's mask has one bit per position.
const MAX_TAG_LEN: usize = 128;
const MAX_REGISTRY_LEN: usize = 255;
const MAX_REPOSITORY_LEN: usize = 255;
const MAX_RESOURCE_NAME_LEN: usize = 90;

/// The cache folder of `br:<unqualified>`, relative to the cache root, e.g.
/// `br/mcr.microsoft.com/bicep$avm$res$web$site/0.3.0$`.
pub(super) fn oci_cache_dir(unqualified: &str) -> Result<String, String> {
    let bad =
        |why: &str| format!("'br:{unqualified}' is not a valid registry module reference: {why}");
    let Some((registry, path)) = unqualified.split_once('/') else {
        return Err(bad(
            "expected <registry>/<repository>:<tag> or <registry>/<repository>@<digest>",
        ));
    };
    if registry.is_empty() {
        return Err(bad("the registry is empty"));
    }
    if registry.len() > MAX_REGISTRY_LEN {
        return Err(bad(&format!(
            "the registry is longer than {MAX_REGISTRY_LEN} characters"
        )));
    }
    // A host name, an IPv4 or a bracketed IPv6 address, each with an optional port;
    // never `.` or `..`, which would leave the `br` folder.
    let first = registry.as_bytes()[0];
    if !(first.is_ascii_alphanumeric() || first == b'[')
        || !registry
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']'))
    {
        return Err(bad(&format!("'{registry}' is not a registry host name")));
    }
    let mut segments: Vec<&str> = path.split('/').collect();
    let last = segments.pop().unwrap_or_default();
    let (name, delimiter, tag_or_digest) = match last.find([':', '@']) {
        Some(i) => (&last[..i], Some(&last[i..=i]), &last[i + 1..]),
        None => (last, None, ""),
    };
    segments.push(name);
    for segment in &segments {
        if !is_namespace_segment(segment) {
            return Err(bad(&format!(
                "the repository segment '{segment}' must be lowercase letters and digits, \
                 separated by single '.', '_' or '-'"
            )));
        }
    }
    let repository = segments.join("/");
    if repository.len() > MAX_REPOSITORY_LEN {
        return Err(bad(&format!(
            "the repository is longer than {MAX_REPOSITORY_LEN} characters"
        )));
    }
    let leaf = match delimiter {
        None => return Err(bad("a tag (':<tag>') or digest ('@<digest>') is missing")),
        Some(_) if tag_or_digest.is_empty() => {
            return Err(bad("a tag (':<tag>') or digest ('@<digest>') is missing"));
        }
        Some(":") if is_tag(tag_or_digest) => encode_tag(tag_or_digest),
        Some(":") => {
            return Err(bad(&format!(
                "the tag '{tag_or_digest}' must be up to {MAX_TAG_LEN} letters, digits, \
                 '.', '_' or '-', not starting with '.' or '-'"
            )));
        }
        Some(_) if is_digest(tag_or_digest) => tag_or_digest.replace(':', "#"),
        Some(_) => {
            return Err(bad(&format!(
                "the digest '{tag_or_digest}' must be 'sha256:' and 64 lowercase hex digits"
            )));
        }
    };
    // The folder must be one name per component: ':' (a port) and '/' cannot be in it,
    // and registries are case-insensitive, so that part is folded.
    Ok(format!(
        "br/{}/{}/{leaf}",
        registry.replace(':', "$").to_lowercase(),
        repository.replace('/', "$"),
    ))
}

/// The tag as a folder name that stays unique on case-insensitive file systems: the tag,
/// `$`, then the positions of its capital letters as a bit mask (bit `i` for position
/// `i`) in lowercase hex without leading zeros. The mask is two 64-bit words, high word
/// first; once a nonzero word is written, the next one keeps all 16 digits.
pub(super) fn encode_tag(tag: &str) -> String {
    let mut mask = [0u64; MAX_TAG_LEN.div_ceil(64)];
    for (i, c) in tag.chars().enumerate().take(MAX_TAG_LEN) {
        if c.is_uppercase() {
            mask[i / 64] |= 1 << (i % 64);
        }
    }
    let mut out = format!("{tag}$");
    let mut started = false;
    for word in mask.iter().rev() {
        if started {
            out.push_str(&format!("{word:016x}"));
        } else if *word != 0 {
            out.push_str(&format!("{word:x}"));
            started = true;
        }
    }
    out
}

/// An OCI namespace component: `[a-z0-9]+([._-][a-z0-9]+)*`.
fn is_namespace_segment(s: &str) -> bool {
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let separator = |c: u8| matches!(c, b'.' | b'_' | b'-');
    let b = s.as_bytes();
    !b.is_empty()
        && alnum(b[0])
        && alnum(b[b.len() - 1])
        && b.windows(2).all(|w| !(separator(w[0]) && separator(w[1])))
        && b.iter().all(|&c| alnum(c) || separator(c))
}

/// An OCI tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
fn is_tag(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_TAG_LEN
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

/// The only digest form Bicep accepts: `sha256:` and 64 lowercase hex digits.
fn is_digest(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    })
}

/// The cache folder of `ts:<unqualified>` (`<subscription>/<resourceGroup>/<name>:<version>`),
/// relative to the cache root, lowercased as Bicep writes it.
pub(super) fn ts_cache_dir(unqualified: &str) -> Result<String, String> {
    let bad =
        |why: &str| format!("'ts:{unqualified}' is not a valid template spec reference: {why}");
    let parts: Vec<&str> = unqualified.split('/').collect();
    let [subscription, resource_group, last] = parts.as_slice() else {
        return Err(bad(
            "expected <subscription id>/<resource group>/<template spec name>:<version>",
        ));
    };
    let Some((name, version)) = last.split_once(':') else {
        return Err(bad("the ':<version>' is missing"));
    };
    if !is_guid(subscription) {
        return Err(bad(&format!(
            "the subscription id '{subscription}' is not a GUID"
        )));
    }
    let rg_char = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')');
    if resource_group.is_empty()
        || resource_group.chars().count() > MAX_RESOURCE_NAME_LEN
        || resource_group.ends_with('.')
        || !resource_group.chars().all(rg_char)
    {
        return Err(bad(&format!(
            "'{resource_group}' is not a valid resource group name"
        )));
    }
    if !is_resource_name(name) {
        return Err(bad(&format!("'{name}' is not a valid template spec name")));
    }
    if !is_resource_name(version) {
        return Err(bad(&format!(
            "'{version}' is not a valid template spec version"
        )));
    }
    Ok(format!("ts/{subscription}/{resource_group}/{name}/{version}").to_lowercase())
}

/// `[-\w.()]{0,89}[-\w()]`: up to 90 word characters, '-', '.', '(' or ')', not ending
/// with '.'.
fn is_resource_name(s: &str) -> bool {
    let ok = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '(' | ')');
    !s.is_empty()
        && s.chars().count() <= MAX_RESOURCE_NAME_LEN
        && !s.ends_with('.')
        && s.chars().all(ok)
}

/// A GUID as subscription ids are written: 8-4-4-4-12 hex digits, optionally braced,
/// or the 32 digits alone.
fn is_guid(s: &str) -> bool {
    let s = s
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .unwrap_or(s);
    let hex =
        |part: &str, len: usize| part.len() == len && part.bytes().all(|c| c.is_ascii_hexdigit());
    let parts: Vec<&str> = s.split('-').collect();
    match parts.as_slice() {
        [whole] => hex(whole, 32),
        [a, b, c, d, e] => hex(a, 8) && hex(b, 4) && hex(c, 4) && hex(d, 4) && hex(e, 12),
        _ => false,
    }
}
