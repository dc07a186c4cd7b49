//! What the server-abuse suites share: the templates they start from, the server's memory
//! and children from `/proc`, and the checks that end every session.

use std::time::Instant;

use serde_json::Value;

use super::lsp::{Client, SCHEMA, codes, started};

pub const APP: &str = "app-service-client-cert";
pub const MIB: usize = 1024 * 1024;
/// Generous on purpose (the 50 and 60 MB messages alone need a few hundred MiB in flight):
/// it fails when memory grows with what the client sends, as when every 50 MB document
/// kept a parse tree of over a gigabyte.
pub const PEAK_RSS_LIMIT_KIB: u64 = 2 * 1024 * 1024;
pub const DEPTH: usize = 100_000;

pub fn site_bicep(deep: &str) -> String {
    format!(
        "resource s 'Microsoft.Web/sites@2022-03-01' = {{\n  name: 'api'\n  properties: {{\n    publicNetworkAccess: 'Disabled'\n    clientCertEnabled: false\n    clientCertMode: 'Required'\n    deep: {deep}\n  }}\n}}\n"
    )
}

pub fn site_json(deep: &str) -> String {
    format!(
        "{{\n  \"$schema\": \"{SCHEMA}\",\n  \"resources\": [\n    {{\n      \"type\": \"Microsoft.Web/sites\",\n      \"apiVersion\": \"2022-03-01\",\n      \"name\": \"api\",\n      \"properties\": {{\n        \"publicNetworkAccess\": \"Disabled\",\n        \"clientCertEnabled\": false,\n        \"clientCertMode\": \"Required\",\n        \"deep\": {deep}\n      }}\n    }}\n  ]\n}}\n"
    )
}

/// A field of `/proc/<pid>/status` in KiB (`VmHWM` is the peak resident set).
pub fn memory_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| {
        l.strip_prefix(field)?
            .strip_prefix(':')?
            .trim()
            .strip_suffix(" kB")?
            .parse()
            .ok()
    })
}

pub fn peak_rss_kib(c: &Client) -> u64 {
    let peak = memory_kib(c.pid(), "VmHWM");
    assert!(
        peak.is_some() || !cfg!(target_os = "linux"),
        "no VmHWM in /proc"
    );
    peak.unwrap_or(0)
}

/// Processes whose parent is `pid` (Linux; empty elsewhere).
pub fn children(pid: u32) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|ppid| ppid.parse::<u32>().ok())
                == Some(pid)
        })
        .collect()
}

/// The diagnostics of `uri` in a form comparable across documents.
pub fn comparable(diags: &[Value], uri: &str) -> String {
    serde_json::to_string(diags).unwrap().replace(uri, "URI")
}

/// A syntax error says that a part was not analyzed (the parser's time budget ran out).
pub fn not_analyzed(diags: &[Value]) -> bool {
    diags.iter().any(|d| {
        d["code"] == "syntax-error"
            && d["message"]
                .as_str()
                .is_some_and(|m| m.contains("not analyzed"))
    })
}

/// A server session for one phase.
pub fn session() -> Client {
    started(false)
}

/// The end of every phase: a normal request gets its normal answer, the server has no
/// child process, its peak RSS stayed under the bound, and it shuts down cleanly.
pub fn ends_well(mut c: Client, phase: &str, started: Instant) {
    let uri = "file:///w/final.bicep";
    c.open(uri, "bicep", 1, &site_bicep("1"));
    let diags = c.diagnostics(uri, Some(1));
    assert_eq!(codes(&diags), [APP], "{phase}");
    let r = &diags[0]["range"];
    let range = |p: &Value| {
        [
            p["line"].as_u64().unwrap() as u32,
            p["character"].as_u64().unwrap() as u32,
        ]
    };
    let actions = c.code_actions(
        uri,
        [range(&r["start"]), range(&r["end"])],
        Some(&["quickfix"]),
    );
    assert!(
        actions
            .iter()
            .any(|a| a["title"] == "Set clientCertEnabled to true"),
        "{phase}: {actions:#?}"
    );
    let peak = peak_rss_kib(&c);
    assert!(
        children(c.pid()).is_empty(),
        "{phase}: {:?}",
        children(c.pid())
    );
    assert!(c.is_running(), "{phase}");
    assert!(c.shutdown().success(), "{phase}");
    eprintln!(
        "{phase}: peak RSS {} MiB; session {:.1} s",
        peak / 1024,
        started.elapsed().as_secs_f64()
    );
    assert!(peak < PEAK_RSS_LIMIT_KIB, "{phase}: peak RSS {peak} KiB");
}
