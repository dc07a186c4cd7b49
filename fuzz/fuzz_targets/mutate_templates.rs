//! (b) Structure-aware: real templates (seeded from the shared corpus by `fuzz/seed.sh`)
//! mutated line- and token-wise: lines dropped, duplicated, swapped; values flipped to
//! the ones the rules judge; declarations, suppressions, braces, BOMs and line breaks
//! spliced in. Each mutant is analyzed in the language its content suggests, and in the
//! other one.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};
use mtlsguard_analyzer::{Language, is_arm_template};

fuzz_target!(|data: &[u8]| {
    let text = common::text_of(data);
    let (first, second) = if is_arm_template(&text) {
        (Language::Json, Language::Bicep)
    } else {
        (Language::Bicep, Language::Json)
    };
    common::exercise(first, &text);
    if data.len() % 4 == 0 {
        common::exercise(second, &text);
    }
});

const VALUES: &[&str] = &[
    "true", "false", "'Required'", "'Optional'", "'OptionalInteractiveUser'", "\"Required\"",
    "\"Optional\"", "'ignore'", "'accept'", "'require'", "\"ignore\"", "\"accept\"", "null", "[]",
    "{}", "'Disabled'", "\"Disabled\"", "'Web'", "\"HttpServer\"", "'Basic'", "\"Anonymous\"",
    "[parameters('p')]", "\"[variables('v')]\"", "p", "'${x}'", "'''\nRequired'''", "1",
];

const SNIPPETS: &[&str] = &[
    "resource s 'Microsoft.Web/sites@2022-03-01' = {\n  properties: {\n    publicNetworkAccess: 'Disabled'\n    clientCertEnabled: false\n  }\n}\n",
    "resource r 'Microsoft.SignalRService/signalR@2023-02-01' = {\n  properties: {\n    publicNetworkAccess: 'Disabled'\n    tls: {}\n  }\n}\n",
    "{\"type\": \"Microsoft.Web/sites\", \"apiVersion\": \"2022-03-01\", \"properties\": {\"publicNetworkAccess\": \"Disabled\", \"clientCertMode\": \"Optional\"}},\n",
    "{\"type\": \"Microsoft.App/containerApps\", \"apiVersion\": \"2023-05-01\", \"properties\": {\"configuration\": {\"ingress\": {}}}},\n",
    "#disable-next-line app-service-client-cert\n",
    "#disable-diagnostics app-service-client-cert\n",
    "#restore-diagnostics app-service-client-cert\n",
    "// mtlsguard-disable-next-line app-service-client-cert\n",
    "param mode string = 'Optional'\n",
    "var enabled = false\n",
    "clientCertEnabled: false\n",
    "clientCertMode: 'Optional'\n",
    "\"clientCertEnabled\": false,\n",
    "publicNetworkAccess: 'Disabled'\n",
    "\"publicNetworkAccess\": \"Disabled\",\n",
    "properties: {\n", "\"properties\": {\n", "{", "}", "[", "]", ",", "'", "\"", "'''", "${",
    "/*", "*/", "//", "\r", "\r\n", "\n", "\u{feff}", "\0", "\\", "\\u{1F600}", "\\ud800",
    "if (cond) ", "[for i in range(0, 3): ", "existing ", "@description('d')\n", "resource ",
    "parent: s\n", "resources: [\n", "\"resources\": [\n", "'slots@2022-03-01'",
    "\"template\": {\"resources\": [\n",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

/// Byte offsets of line starts (plus the end).
fn line_starts(b: &[u8]) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(b.iter().enumerate().filter(|(_, c)| **c == b'\n').map(|(i, _)| i + 1));
    if *v.last().unwrap() != b.len() {
        v.push(b.len());
    }
    v
}

fn mutate(data: &mut Vec<u8>, rng: &mut Rng) {
    let lines = line_starts(data);
    let n = lines.len().saturating_sub(1);
    let pick_line = |rng: &mut Rng| {
        let i = rng.below(n.max(1));
        (lines[i.min(lines.len() - 1)], lines[(i + 1).min(lines.len() - 1)])
    };
    match rng.below(8) {
        0 if n > 0 => {
            let (s, e) = pick_line(rng);
            data.drain(s..e);
        }
        1 if n > 0 => {
            let (s, e) = pick_line(rng);
            let line = data[s..e].to_vec();
            let at = lines[rng.below(lines.len())];
            data.splice(at..at, line);
        }
        2 if n > 1 => {
            let (s1, e1) = pick_line(rng);
            let (s2, e2) = pick_line(rng);
            if e1 <= s2 {
                let a = data[s1..e1].to_vec();
                let b = data[s2..e2].to_vec();
                data.splice(s2..e2, a);
                data.splice(s1..e1, b);
            }
        }
        3 => {
            // Replace a value: the token after a `:` on some line.
            let (s, e) = pick_line(rng);
            if let Some(colon) = data[s..e].iter().position(|&c| c == b':') {
                let vs = s + colon + 1;
                let mut ve = e;
                while ve > vs && matches!(data[ve - 1], b'\n' | b'\r' | b',') {
                    ve -= 1;
                }
                let v = VALUES[rng.below(VALUES.len())];
                data.splice(vs..ve, format!(" {v}").into_bytes());
            }
        }
        4 => {
            let at = if rng.below(2) == 0 {
                lines[rng.below(lines.len())]
            } else {
                rng.below(data.len() + 1)
            };
            let s = SNIPPETS[rng.below(SNIPPETS.len())];
            data.splice(at..at, s.bytes());
        }
        5 if !data.is_empty() => {
            let at = rng.below(data.len());
            data.truncate(at);
        }
        6 if n > 1 => {
            // Wrap a run of lines in a new object (more nesting).
            let (s, _) = pick_line(rng);
            let (_, e) = pick_line(rng);
            if s < e {
                data.splice(e..e, b"}\n".iter().copied());
                data.splice(s..s, b"nested: {\n".iter().copied());
            }
        }
        _ => {
            // Case flips of a type or property name.
            if !data.is_empty() {
                let at = rng.below(data.len());
                data[at] = if data[at].is_ascii_lowercase() {
                    data[at].to_ascii_uppercase()
                } else {
                    data[at].to_ascii_lowercase()
                };
            }
        }
    }
}

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    let mut rng = Rng(u64::from(seed) | 1 << 40);
    if rng.below(4) == 0 {
        return fuzzer_mutate(data, size, max_size);
    }
    let mut v = data[..size].to_vec();
    for _ in 0..1 + rng.below(3) {
        mutate(&mut v, &mut rng);
    }
    v.truncate(max_size);
    data[..v.len()].copy_from_slice(&v);
    v.len()
});
