//! (f) Analysis across files: small workspaces whose files call each other (cycles,
//! self-calls, loops, conditions, params passed through, registry modules, `using`,
//! parameters files), spliced with raw bytes. Nothing panics, every range lies in its
//! file's text and every fix applies to it.
//!
//! The input is read as a program: a file count, then per file a path and fragments
//! (each a kind byte and its arguments), then an optional `bicepconfig.json`. Reads past
//! the end give zeros, so every input decodes to a workspace.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use mtlsguard_analyzer::{Finding, LineIndex, Settings, Workspace, apply_edits};

const CACHE: &str = "/home/u/.bicep";

/// Few paths, so that the targets below often name a file that is there.
const PATHS: &[&str] = &[
    "/w/main.bicep",
    "/w/m/a.bicep",
    "/w/b.bicepparam",
    "/w/t.json",
    "/w/t.parameters.json",
    "/home/u/.bicep/br/mcr.microsoft.com/bicep$x/1.0$/main.json",
    "/w/m/b.bicep",
    "/home/u/.bicep/ts/00000000-0000-0000-0000-000000000000/rg/spec/1.0/main.json",
];

/// References as written, relative to `/w` or `/w/m`: some hit, some miss, some escape.
const TARGETS: &[&str] = &[
    "main.bicep",
    "m/a.bicep",
    "a.bicep",
    "../main.bicep",
    "./b.bicep",
    "m/b.bicep",
    "t.json",
    "../t.json",
    "br/public:x:1.0",
    "br:mcr.microsoft.com/bicep/x:1.0",
    "br/corp:x:1.0",
    "ts:00000000-0000-0000-0000-000000000000/rg/spec:1.0",
    "ts/corp:spec:1.0",
    "missing.bicep",
    "../../../../outside.bicep",
    "m/../m/./a.bicep",
];

/// Values the rules care about, and expressions that decide them only with a caller.
const VALUES: &[&str] = &[
    "'Disabled'",
    "'Enabled'",
    "'Required'",
    "'Optional'",
    "'OptionalInteractiveUser'",
    "clientCertMode",
    "publicNetworkAccess",
    "o.clientCertMode",
    "i % 2 == 0 ? 'Required' : 'Optional'",
    "null",
    "true",
    "p0",
];

const SITE_BICEP: &str = "resource app 'Microsoft.Web/sites@2022-03-01' = {
  name: 'app'
  properties: {
    publicNetworkAccess: publicNetworkAccess
    clientCertEnabled: true
    clientCertMode: clientCertMode
  }
}
";

/// The fuzz input, read front to back.
struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    fn pick<'s>(&mut self, from: &[&'s str]) -> &'s str {
        from[usize::from(self.byte()) % from.len()]
    }

    /// Up to 64 raw bytes as text (a length byte, then the bytes).
    fn raw(&mut self) -> String {
        let n = usize::from(self.byte() % 64);
        let start = self.pos.min(self.data.len());
        let end = (start + n).min(self.data.len());
        self.pos += n;
        common::text_of(&self.data[start..end]).into_owned()
    }

    /// A loop count: small mostly, sometimes negative or over the engine's bounds.
    fn count(&mut self) -> i64 {
        match self.byte() {
            250 => -1,
            251 => 100_000,
            b => i64::from(b % 40),
        }
    }
}

/// One Bicep fragment: a declaration, a call of some kind, or raw text.
fn bicep_fragment(input: &mut Input, k: usize, out: &mut String) {
    let kind = input.byte() % 12;
    let target = input.pick(TARGETS);
    let (v1, v2) = (input.pick(VALUES), input.pick(VALUES));
    let s = match kind {
        0 => format!(
            "module m{k} '{target}' = {{\n  name: 'm{k}'\n  params: {{\n    publicNetworkAccess: {v1}\n    clientCertMode: {v2}\n  }}\n}}\n"
        ),
        1 => {
            let n = input.count();
            format!(
                "module l{k} '{target}' = [for i in range(0, {n}): {{\n  name: 'l${{i}}'\n  params: {{\n    clientCertMode: {v1}\n  }}\n}}]\n"
            )
        }
        2 => format!(
            "module c{k} '{target}' = if ({v1} == 'Disabled') {{\n  name: 'c{k}'\n  params: {{\n    publicNetworkAccess: {v2}\n  }}\n}}\n"
        ),
        3 => format!("module o{k} '{target}' = {{\n  name: 'o{k}'\n  params: o\n}}\n"),
        4 => format!(
            "var o = {{\n  clientCertMode: {v1}\n  publicNetworkAccess: {v2}\n}}\nmodule s{k} '{target}' = {{\n  name: 's{k}'\n  params: {{\n    ...o\n  }}\n}}\n"
        ),
        5 => "param clientCertMode string = 'Optional'\nparam publicNetworkAccess string = 'Enabled'\n"
            .to_owned(),
        6 => format!("param p{k} string = {v1}\n"),
        7 => SITE_BICEP.to_owned(),
        8 => format!("using '{target}'\n"),
        9 => format!("param clientCertMode = {v1}\nparam publicNetworkAccess = {v2}\n"),
        10 => format!("output out{k} string = {v1}\n"),
        _ => input.raw(),
    };
    out.push_str(&s);
}

/// An ARM template (or parameters file) whose resources come from the input; raw bytes
/// may land anywhere between its parts.
fn json_file(input: &mut Input, params_file: bool) -> String {
    let schema = if params_file {
        "deploymentParameters"
    } else {
        "deploymentTemplate"
    };
    let mut out = format!(
        "{{\n  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/{schema}.json#\",\n  \"contentVersion\": \"1.0.0.0\",\n"
    );
    let v = |s: &str| s.trim_matches('\'').to_owned();
    if params_file {
        let (a, b) = (v(input.pick(VALUES)), v(input.pick(VALUES)));
        out.push_str(&format!(
            "  \"parameters\": {{\n    \"publicNetworkAccess\": {{ \"value\": \"{a}\" }},\n    \"clientCertMode\": {{ \"value\": \"{b}\" }}\n  }}\n}}\n"
        ));
        return out;
    }
    out.push_str("  \"parameters\": {\n    \"publicNetworkAccess\": { \"type\": \"string\", \"defaultValue\": \"Enabled\" },\n    \"clientCertMode\": { \"type\": \"string\", \"defaultValue\": \"Optional\" }\n  },\n  \"resources\": [\n");
    let n = input.byte() % 4;
    for r in 0..n {
        if r > 0 {
            out.push_str(",\n");
        }
        match input.byte() % 4 {
            0 => out.push_str("    {\n      \"type\": \"Microsoft.Web/sites\",\n      \"apiVersion\": \"2022-03-01\",\n      \"name\": \"app\",\n      \"properties\": {\n        \"publicNetworkAccess\": \"[parameters('publicNetworkAccess')]\",\n        \"clientCertEnabled\": true,\n        \"clientCertMode\": \"[parameters('clientCertMode')]\"\n      }\n    }"),
            1 | 2 => {
                let target = input.pick(TARGETS);
                let (a, b) = (v(input.pick(VALUES)), v(input.pick(VALUES)));
                let copy = if input.byte().is_multiple_of(2) {
                    String::new()
                } else {
                    format!("      \"copy\": {{ \"name\": \"c\", \"count\": {} }},\n", input.count())
                };
                out.push_str(&format!("    {{\n      \"type\": \"Microsoft.Resources/deployments\",\n      \"apiVersion\": \"2022-09-01\",\n      \"name\": \"d{r}\",\n{copy}      \"properties\": {{\n        \"mode\": \"Incremental\",\n        \"templateLink\": {{ \"relativePath\": \"{target}\" }},\n        \"parameters\": {{\n          \"publicNetworkAccess\": {{ \"value\": \"{a}\" }},\n          \"clientCertMode\": {{ \"value\": \"{b}\" }}\n        }}\n      }}\n    }}"));
            }
            _ => out.push_str(&input.raw()),
        }
    }
    out.push_str("\n  ]\n}\n");
    out
}

/// A `bicepconfig.json`: aliases for `corp`, a moved cache, or raw bytes.
fn bicepconfig(input: &mut Input) -> String {
    match input.byte() % 4 {
        0 => r#"{ "moduleAliases": { "br": { "corp": { "registry": "mcr.microsoft.com", "modulePath": "bicep" } }, "ts": { "corp": { "subscription": "00000000-0000-0000-0000-000000000000", "resourceGroup": "rg" } } } }"#.to_owned(),
        1 => r#"{ "cacheRootDirectory": "~/.bicep" }"#.to_owned(),
        2 => r#"{ "cacheRootDirectory": "/elsewhere", "moduleAliases": { "br": { "corp": { "registry": "x" } } } }"#.to_owned(),
        _ => input.raw(),
    }
}

/// `r` lies within `text`, on character boundaries.
fn within(text: &str, r: &std::ops::Range<usize>, f: &Finding) {
    assert!(r.start <= r.end && r.end <= text.len(), "{f:?}");
    assert!(
        text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
        "{f:?}"
    );
}

/// Every range within the text of its file (a related location's own file when it
/// names one); every fix applies to the finding's file.
fn check(ws: &Workspace, path: &str, findings: &[Finding]) {
    let text = ws.text(path).expect("findings only for files held");
    let index = LineIndex::new(text);
    for f in findings {
        within(text, &f.range, f);
        index.line_col_utf16(text, f.range.end);
        for r in &f.related {
            let there = match &r.file {
                Some(p) => ws.text(p).expect("related files are held"),
                None => text,
            };
            within(there, &r.range, f);
        }
        if let Some(fix) = &f.fix {
            for e in &fix.edits {
                within(text, &e.range, f);
            }
            apply_edits(text, &fix.edits).expect("a fix applies to its file");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input { data, pos: 0 };
    let mut ws = Workspace::new(CACHE);
    let files = 1 + usize::from(input.byte() % 6);
    for _ in 0..files {
        let path = input.pick(PATHS);
        let text = if path.ends_with(".json") {
            json_file(&mut input, path.ends_with(".parameters.json"))
        } else {
            let mut text = String::new();
            for k in 0..usize::from(input.byte() % 6) {
                bicep_fragment(&mut input, k, &mut text);
            }
            text
        };
        ws.set_file(path, text);
    }
    if input.byte() % 2 == 1 {
        let dir = if input.byte().is_multiple_of(2) { "/w" } else { "/w/m" };
        let _ = ws.set_bicepconfig(dir, &bicepconfig(&mut input));
    }
    // As the I/O layer does: whatever is still wanted cannot be read, and is not wanted
    // again once marked.
    let wanted = ws.wanted();
    for p in &wanted {
        ws.mark_absent(p, "file not found");
    }
    assert!(ws.wanted().is_empty(), "{wanted:?}");
    let analysis = ws.analyze(&Settings::default());
    for (path, findings) in &analysis.findings {
        check(&ws, path, findings);
    }
    // The server's path: one component at a time, which must agree on its files.
    let paths: Vec<String> = ws.paths().map(str::to_owned).collect();
    for group in ws.components(&paths) {
        let part = ws.analyze_files(&group, &|_| Settings::default());
        for (path, findings) in &part.findings {
            check(&ws, path, findings);
            assert_eq!(
                Some(findings),
                analysis.findings.get(path),
                "{path} alone in its component"
            );
        }
    }
    // A pass after an edit: what the edited file affects, which must agree too.
    for seed in &paths {
        let set = ws.affected(std::slice::from_ref(seed));
        let part = ws.analyze_files(&set, &|_| Settings::default());
        for (path, findings) in &part.findings {
            assert_eq!(
                Some(findings),
                analysis.findings.get(path),
                "{path} as affected by an edit of {seed}"
            );
        }
    }
    // An edit: one file gets another text (or goes). What `stale_after` names, analyzed
    // alone, must agree with the whole workspace after the edit, and every other file's
    // findings must be as they were.
    let graph = ws.link_graph();
    let path = input.pick(PATHS);
    match input.byte() % 3 {
        0 => ws.remove_file(path),
        1 => ws.set_file(path, String::new()),
        _ => {
            let mut text = String::new();
            for k in 0..usize::from(input.byte() % 4) {
                bicep_fragment(&mut input, k, &mut text);
            }
            ws.set_file(path, text);
        }
    }
    for p in ws.wanted() {
        ws.mark_absent(&p, "file not found");
    }
    let after = ws.analyze(&Settings::default());
    let stale = ws.stale_after(&graph, &[path.to_owned()]);
    let part = ws.analyze_files(&stale, &|_| Settings::default());
    for (p, findings) in &part.findings {
        assert_eq!(Some(findings), after.findings.get(p), "{p} stale after an edit of {path}");
    }
    for (p, findings) in &after.findings {
        if !stale.contains(p) {
            assert_eq!(Some(findings), analysis.findings.get(p), "{p} kept after an edit of {path}");
        }
    }
});
