//! The language server under abuse (README, "Hardening"). One session gets broken framing
//! and malformed JSON-RPC, the analyzer's hostile inputs through `didOpen` and through
//! `didChange`, 50 and 60 MB messages, a flood of 10,000 changes and 1,000 open documents.
//! The server must answer or ignore each, keep its memory bounded, give the same results as
//! a fresh open, and still answer a normal request at the end. Nothing the documents name
//! is fetched or executed.
//!
//! `cargo test -p mtlsguard --test server_abuse -- --nocapture` prints the timings and
//! the server's peak RSS.

mod common;

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use common::lsp::{Client, capabilities, lsp_range, offset, position};
use serde_json::{Value, json};

const SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";
const APP: &str = "app-service-client-cert";
const MIB: usize = 1024 * 1024;
/// Generous on purpose (the 50 and 60 MB messages alone need a few hundred MiB in flight):
/// it fails when memory grows with what the client sends, as when every 50 MB document
/// kept a parse tree of over a gigabyte.
const PEAK_RSS_LIMIT_KIB: u64 = 2 * 1024 * 1024;
const DEPTH: usize = 100_000;

fn site_bicep(deep: &str) -> String {
    format!(
        "resource s 'Microsoft.Web/sites@2022-03-01' = {{\n  name: 'api'\n  properties: {{\n    publicNetworkAccess: 'Disabled'\n    clientCertEnabled: false\n    clientCertMode: 'Required'\n    deep: {deep}\n  }}\n}}\n"
    )
}

fn site_json(deep: &str) -> String {
    format!(
        "{{\n  \"$schema\": \"{SCHEMA}\",\n  \"resources\": [\n    {{\n      \"type\": \"Microsoft.Web/sites\",\n      \"apiVersion\": \"2022-03-01\",\n      \"name\": \"api\",\n      \"properties\": {{\n        \"publicNetworkAccess\": \"Disabled\",\n        \"clientCertEnabled\": false,\n        \"clientCertMode\": \"Required\",\n        \"deep\": {deep}\n      }}\n    }}\n  ]\n}}\n"
    )
}

fn codes(diags: &[Value]) -> Vec<String> {
    diags
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// A field of `/proc/<pid>/status` in KiB (`VmHWM` is the peak resident set).
fn memory_kib(pid: u32, field: &str) -> Option<u64> {
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

fn peak_rss_kib(c: &Client) -> u64 {
    let peak = memory_kib(c.pid(), "VmHWM");
    assert!(
        peak.is_some() || !cfg!(target_os = "linux"),
        "no VmHWM in /proc"
    );
    peak.unwrap_or(0)
}

/// Processes whose parent is `pid` (Linux; empty elsewhere).
fn children(pid: u32) -> Vec<String> {
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

fn not_open_params(uri: &str) -> Value {
    json!({ "textDocument": { "uri": uri }, "range": lsp_range([[0, 0], [0, 0]]), "context": { "diagnostics": [] } })
}

/// A normal request gets its normal answer: the server is alive and reading in step.
fn still_answers(c: &mut Client) {
    let answer = c.request(
        "textDocument/codeAction",
        not_open_params("file:///w/not-open.bicep"),
    );
    assert_eq!(answer, Ok(Value::Null));
}

/// Whether `uri` is open: code actions for an unknown document are `null`, for an open
/// one a list.
fn is_open(c: &mut Client, uri: &str) -> bool {
    !c.request("textDocument/codeAction", not_open_params(uri))
        .expect("codeAction is answered")
        .is_null()
}

/// Waits for the error (`id: null`) that answers an unreadable message.
fn answered_unreadable(c: &mut Client, code: i64, needle: &str) {
    c.wait_for(&format!("the {code} error mentioning {needle:?}"), |m| {
        m.get("id") == Some(&Value::Null)
            && m["error"]["code"] == code
            && m["error"]["message"]
                .as_str()
                .is_some_and(|s| s.contains(needle))
    });
}

/// The diagnostics of `uri` in a form comparable across documents.
fn comparable(diags: &[Value], uri: &str) -> String {
    serde_json::to_string(diags).unwrap().replace(uri, "URI")
}

/// A syntax error says that a part was not analyzed (the parser's time budget ran out).
fn not_analyzed(diags: &[Value]) -> bool {
    diags.iter().any(|d| {
        d["code"] == "syntax-error"
            && d["message"]
                .as_str()
                .is_some_and(|m| m.contains("not analyzed"))
    })
}

/// The finding next to a hostile value is reported, or "not analyzed": never a silent pass.
fn app_or_not_analyzed(diags: &[Value], what: &str) {
    let app = diags.iter().filter(|d| d["code"] == APP).count();
    assert!(app == 1 || not_analyzed(diags), "{what}: {diags:#?}");
}

fn too_large(diags: &[Value], what: &str) {
    assert_eq!(codes(diags), ["file-error"], "{what}: {diags:#?}");
    let message = diags[0]["message"].as_str().unwrap();
    assert!(message.contains("too large"), "{what}: {message}");
    assert_eq!(diags[0]["range"], lsp_range([[0, 0], [0, 0]]));
}

/// A test-side model of an open document: its text and version, with edits sent as
/// ranged changes (UTF-16 positions, as the session negotiated).
struct Doc {
    uri: String,
    text: String,
    version: i64,
}

impl Doc {
    fn open(c: &mut Client, uri: &str, lang: &str, text: &str) -> Doc {
        c.open(uri, lang, 1, text);
        Doc {
            uri: uri.to_owned(),
            text: text.to_owned(),
            version: 1,
        }
    }

    /// Replaces the bytes `at` with `insert`, as one `didChange`.
    fn edit(&mut self, c: &mut Client, at: std::ops::Range<usize>, insert: &str) {
        let p = |b| {
            let (l, ch) = position(&self.text, b, false);
            [l as u32, ch as u32]
        };
        let range = [p(at.start), p(at.end)];
        self.text.replace_range(at, insert);
        self.version += 1;
        c.change(&self.uri, self.version, range, insert);
    }

    /// Replaces the first `from` with `to`.
    fn replace(&mut self, c: &mut Client, from: &str, to: &str) {
        let at = self.text.find(from).expect("the text to replace is there");
        self.edit(c, at..at + from.len(), to);
    }

    fn diagnostics(&self, c: &mut Client) -> Vec<Value> {
        c.diagnostics(&self.uri, Some(self.version))
    }
}

/// Broken framing and malformed JSON-RPC: each gets its error (or is ignored) and the
/// server reads on in step.
fn malformed_messages(c: &mut Client) {
    const PARSE: i64 = -32700;
    let open = |uri: &str, text: &[u8]| {
        let mut body = format!(
            r#"{{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{{"textDocument":{{"uri":"{uri}","languageId":"bicep","version":1,"text":""#
        )
        .into_bytes();
        body.extend_from_slice(text);
        body.extend_from_slice(b"\"}}}");
        body
    };
    let request = br#"{"jsonrpc":"2.0","id":9001,"method":"textDocument/codeAction","params":{}}"#;
    // (what is sent, the error it gets, documents it must not open)
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        // Invalid UTF-8 inside a well-framed body: rejected whole, never decoded lossily.
        (
            frame(&open("file:///w/utf8.bicep", b"resource \xff\xfe x")),
            "invalid unicode",
            "file:///w/utf8.bicep",
        ),
        // A raw NUL (JSON wants control characters escaped).
        (
            frame(&open("file:///w/nul.bicep", b"a\0b")),
            "control character",
            "file:///w/nul.bicep",
        ),
        // Lone surrogates in JSON escapes: not text, so not a document.
        (
            frame(&open("file:///w/surrogate.bicep", br"a\ud800 z")),
            "hex escape",
            "file:///w/surrogate.bicep",
        ),
        (
            frame(&open("file:///w/surrogate2.bicep", br"a\udc00\ud800 z")),
            "hex escape",
            "file:///w/surrogate2.bicep",
        ),
        // 100,000 levels of nesting in the message itself.
        (
            frame(
                &[
                    &br#"{"jsonrpc":"2.0","method":"x","params":"#[..],
                    &b"[".repeat(DEPTH),
                    &b"]".repeat(DEPTH),
                    b"}",
                ]
                .concat(),
            ),
            "recursion limit",
            "",
        ),
        // Content-Length: negative, not a number, too large for any integer, empty, with
        // and without a body after it, and missing.
        (
            b"Content-Length: -1\r\n\r\n".to_vec(),
            "bad Content-Length",
            "",
        ),
        (
            [b"Content-Length: -5\r\n\r\n".as_slice(), request].concat(),
            "bad Content-Length",
            "",
        ),
        (
            [b"Content-Length: twelve\r\n\r\n".as_slice(), request].concat(),
            "bad Content-Length",
            "",
        ),
        (
            b"Content-Length: 184467440737095516160\r\n\r\n".to_vec(),
            "bad Content-Length",
            "",
        ),
        (
            b"Content-Length:\r\n\r\n".to_vec(),
            "bad Content-Length",
            "",
        ),
        (
            [
                b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n".as_slice(),
                request,
            ]
            .concat(),
            "without a Content-Length",
            "",
        ),
        // A length shorter than the body: the rest of the body is no header.
        (
            [b"Content-Length: 20\r\n\r\n".as_slice(), request].concat(),
            "EOF while parsing",
            "",
        ),
        // Header garbage: invalid UTF-8, and a 16 MB line without a colon.
        (
            b"X-\xff\xfe\r\n\r\n".to_vec(),
            "without a Content-Length",
            "",
        ),
        (
            [vec![b'x'; 16 * MIB], b"\r\n\r\n".to_vec()].concat(),
            "without a Content-Length",
            "",
        ),
    ];
    let count = cases.len();
    for (bytes, needle, uri) in cases {
        c.send_raw(&bytes);
        answered_unreadable(c, PARSE, needle);
        still_answers(c);
        if !uri.is_empty() {
            assert!(!is_open(c, uri), "{uri} was opened");
        }
    }
    // Not one error more than the cases (the request id 9001 inside the broken frames
    // is never answered: those bytes are not a message).
    let extra: Vec<Value> = c
        .drain(Duration::from_millis(300))
        .into_iter()
        .filter(|m| m.get("id") == Some(&Value::Null) || m["id"] == 9001)
        .collect();
    assert!(extra.is_empty(), "after {count} cases: {extra:#?}");

    // Well-formed messages with wrong types for an open document are ignored whole.
    let uri = "file:///w/typed.bicep";
    let mut doc = Doc::open(c, uri, "bicep", &site_bicep("1"));
    assert_eq!(codes(&doc.diagnostics(c)), [APP]);
    let change = |range: Value, version: Value| json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "range": range, "text": "BROKEN" }] });
    let at = |line: Value, character: Value| json!({ "start": { "line": line, "character": character }, "end": { "line": 0, "character": 0 } });
    for bad in [
        change(at(json!(-1), json!(0)), json!(2)),
        change(at(json!(0), json!(1.5)), json!(2)),
        change(at(json!(0), json!(1e12)), json!(2)),
        change(at(json!("0"), json!(0)), json!(2)),
        change(at(json!(0), json!(0)), json!(1_i64 << 40)),
        change(json!([0, 0]), json!(2)),
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": { "text": "BROKEN" } }),
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": ["BROKEN"] }] }),
    ] {
        c.notify("textDocument/didChange", bad);
    }
    doc.replace(c, "name: 'api'", "name: 'api2'");
    assert_eq!(codes(&doc.diagnostics(c)), [APP]);
    let tree = c.syntax_tree(uri).expect("a tree");
    assert!(!tree.contains("BROKEN"), "{tree}");
    let fresh = "file:///w/typed-fresh.bicep";
    c.open(fresh, "bicep", 1, &doc.text);
    c.diagnostics(fresh, Some(1));
    assert_eq!(c.syntax_tree(fresh).expect("a tree"), tree);
    let ignored = c
        .drain(Duration::from_millis(300))
        .into_iter()
        .filter(|m| {
            m["method"] == "window/logMessage"
                && m["params"]["message"].as_str().is_some_and(|s| {
                    s.contains("ignored textDocument/didChange with invalid params")
                })
        })
        .count();
    assert_eq!(ignored, 8);
}

/// One hostile text, opened as a document and reached by `didChange` from a harmless one.
struct Hostile {
    name: &'static str,
    lang: &'static str,
    /// The harmless text the `didChange` path starts from.
    base: String,
    /// What replaces `from` in `base`.
    from: &'static str,
    to: String,
    expect: Expect,
}

#[derive(Clone, Copy, PartialEq)]
enum Expect {
    /// Exactly the one app-service finding.
    App,
    /// The finding or "not analyzed" (how far the parser gets in its time budget depends on
    /// the machine's load).
    AppOrNotAnalyzed,
    /// Whatever the result, both paths agree (as they must in every case).
    Same,
    TooLarge,
}

fn hostile_inputs() -> Vec<Hostile> {
    let b = site_bicep("1");
    let j = site_json("1");
    let deep = |open: &str, close: &str| format!("{}1{}", open.repeat(DEPTH), close.repeat(DEPTH));
    let line = "x".repeat(10 * MIB);
    // 50 MB of comment lines after the template (the finding is in the first bytes).
    let pad = |comment: &str| {
        let l = format!("{comment} {}\n", "p".repeat(100));
        l.repeat(50 * MIB / l.len() + 1)
    };
    let h = |name, lang, base: &String, from, to: String, expect| Hostile {
        name,
        lang,
        base: base.clone(),
        from,
        to,
        expect,
    };
    vec![
        h(
            "Bicep, 100,000 nested objects",
            "bicep",
            &b,
            "deep: 1",
            format!("deep: {}", deep("{ a: ", " }")),
            Expect::AppOrNotAnalyzed,
        ),
        h(
            "Bicep, 100,000 nested arrays",
            "bicep",
            &b,
            "deep: 1",
            format!("deep: {}", deep("[", "]")),
            Expect::AppOrNotAnalyzed,
        ),
        h(
            "Bicep, 100,000 unclosed parentheses",
            "bicep",
            &b,
            "deep: 1",
            format!("deep: {}", "(".repeat(DEPTH)),
            Expect::Same,
        ),
        h(
            "JSON, 100,000 nested objects",
            "json",
            &j,
            "\"deep\": 1",
            format!("\"deep\": {}", deep("{\"a\": ", "}")),
            Expect::AppOrNotAnalyzed,
        ),
        h(
            "JSON, 100,000 nested arrays",
            "json",
            &j,
            "\"deep\": 1",
            format!("\"deep\": {}", deep("[", "]")),
            Expect::AppOrNotAnalyzed,
        ),
        h(
            "JSON, 100,000 unclosed arrays",
            "json",
            &j,
            "\"deep\": 1",
            format!("\"deep\": {}", "[".repeat(DEPTH)),
            Expect::Same,
        ),
        h(
            "JSON, a 10 MB line",
            "json",
            &j,
            "\"deep\": 1",
            format!("\"deep\": \"{line}\""),
            Expect::App,
        ),
        h(
            "Bicep, a 10 MB line",
            "bicep",
            &b,
            "deep: 1",
            format!("deep: '{line}'"),
            Expect::App,
        ),
        h(
            "JSON, NUL bytes in a value",
            "json",
            &j,
            "\"deep\": 1",
            "\"deep\": \"a\0b\0\"".into(),
            Expect::App,
        ),
        h(
            "Bicep, NUL bytes",
            "bicep",
            &b,
            "deep: 1",
            "deep: 1\0\0".into(),
            Expect::Same,
        ),
        h(
            "Bicep, a BOM in the middle",
            "bicep",
            &b,
            "clientCertEnabled",
            "\u{feff}clientCertEnabled".into(),
            Expect::Same,
        ),
        h(
            "JSON, a BOM in the middle",
            "json",
            &j,
            "\"clientCertEnabled\"",
            "\u{feff}\"clientCertEnabled\"".into(),
            Expect::Same,
        ),
        h(
            "Bicep, 50 MB",
            "bicep",
            &b,
            "deep: 1\n  }\n}\n",
            format!("deep: 1\n  }}\n}}\n{}", pad("//")),
            Expect::TooLarge,
        ),
        h(
            "JSON, 50 MB",
            "json",
            &j,
            "  ]\n}\n",
            format!("  ]\n}}\n{}", pad("//")),
            Expect::TooLarge,
        ),
    ]
}

/// Every hostile input through `didOpen` and through `didChange` (one ranged edit into a
/// harmless document, then the edit undone).
fn hostile_documents(c: &mut Client) {
    for (i, h) in hostile_inputs().into_iter().enumerate() {
        let started = Instant::now();
        let text = h.base.replacen(h.from, &h.to, 1);
        assert_ne!(text, h.base);
        let ext = if h.lang == "bicep" { "bicep" } else { "json" };
        let opened_uri = format!("file:///w/hostile-open-{i}.{ext}");
        c.open(&opened_uri, h.lang, 2, &text);
        let opened = c.diagnostics(&opened_uri, Some(2));
        let open_time = started.elapsed();

        let mut doc = Doc::open(
            c,
            &format!("file:///w/hostile-change-{i}.{ext}"),
            h.lang,
            &h.base,
        );
        assert_eq!(codes(&doc.diagnostics(c)), [APP], "{}: the base", h.name);
        doc.replace(c, h.from, &h.to);
        assert_eq!(doc.text, text);
        let changed = doc.diagnostics(c);
        match h.expect {
            Expect::App => assert_eq!(codes(&opened), [APP], "{}", h.name),
            Expect::AppOrNotAnalyzed => {
                app_or_not_analyzed(&opened, h.name);
                app_or_not_analyzed(&changed, h.name);
            }
            Expect::Same => {}
            Expect::TooLarge => {
                too_large(&opened, h.name);
                // Fix-all, asked for by kind, must not try to parse it either.
                let actions =
                    c.code_actions(&opened_uri, [[0, 0], [0, 0]], Some(&["source.fixAll"]));
                assert!(actions.is_empty(), "{}: {actions:#?}", h.name);
                assert!(c.syntax_tree(&opened_uri).is_err(), "{}: no tree", h.name);
            }
        }
        // Where the parser stopped in its time budget may differ between the two.
        if !not_analyzed(&opened) && !not_analyzed(&changed) {
            assert_eq!(
                comparable(&changed, &doc.uri),
                comparable(&opened, &opened_uri),
                "{}: didChange and didOpen differ",
                h.name
            );
        }
        // Undone by an edit: back to the harmless document's one finding.
        let at = doc.text.find(&h.to).unwrap();
        doc.edit(c, at..at + h.to.len(), h.from);
        assert_eq!(codes(&doc.diagnostics(c)), [APP], "{}: undone", h.name);
        c.close(&opened_uri);
        c.close(&doc.uri);
        eprintln!(
            "  {}: {:?}; open {:.2} s, open + change + undo {:.2} s, peak RSS so far {} MiB",
            h.name,
            codes(&opened),
            open_time.as_secs_f64(),
            started.elapsed().as_secs_f64(),
            peak_rss_kib(c) / 1024
        );
    }

    // Lone `\r` line endings: the finding on the right line, before and after an edit.
    for (lang, text) in [("bicep", site_bicep("1")), ("json", site_json("1"))] {
        let text = text.replace('\n', "\r");
        let uri = format!("file:///w/lone-cr.{lang}");
        let mut doc = Doc::open(c, &uri, lang, &text);
        let line = |d: &Doc| {
            let at = d.text.find("clientCertEnabled").unwrap();
            position(&d.text, at, false).0
        };
        let diags = doc.diagnostics(c);
        assert_eq!(codes(&diags), [APP], "{lang}");
        let first = line(&doc);
        assert_eq!(diags[0]["range"]["start"]["line"], first, "{lang}");
        doc.edit(c, 0..0, "\r\r");
        let diags = doc.diagnostics(c);
        assert_eq!(line(&doc), first + 2, "{lang}");
        assert_eq!(diags[0]["range"]["start"]["line"], first + 2, "{lang}");
        c.close(&uri);
    }

    // A 60 MB message: a full-text change, then back.
    let uri = "file:///w/huge-change.bicep";
    let mut doc = Doc::open(c, uri, "bicep", &site_bicep("1"));
    assert_eq!(codes(&doc.diagnostics(c)), [APP]);
    let started = Instant::now();
    let huge = format!(
        "{}{}",
        site_bicep("1"),
        "// sixty megabytes\n".repeat(60 * MIB / 19)
    );
    doc.version += 1;
    c.change_full(uri, doc.version, &huge);
    too_large(&doc.diagnostics(c), "a 60 MB change");
    let huge_time = started.elapsed();
    doc.version += 1;
    c.change_full(uri, doc.version, &site_bicep("1"));
    assert_eq!(codes(&doc.diagnostics(c)), [APP]);
    eprintln!(
        "  a 60 MB didChange: {:.2} s, peak RSS {} MiB",
        huge_time.as_secs_f64(),
        peak_rss_kib(c) / 1024
    );
    c.close(uri);
}

/// A small deterministic generator.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// A template with `n` sites, some of them with findings.
fn many_sites_bicep(n: usize) -> String {
    (0..n)
        .map(|i| {
            site_bicep("1")
                .replace("resource s ", &format!("resource s{i} "))
                .replace(
                    "clientCertEnabled: false",
                    if i % 3 == 0 {
                        "clientCertEnabled: false"
                    } else {
                        "clientCertEnabled: true"
                    },
                )
                .replace(
                    "'Required'",
                    if i % 4 == 0 {
                        "'Optional'"
                    } else {
                        "'Required'"
                    },
                )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn many_sites_json(n: usize) -> String {
    let one = site_json("1");
    let start = one.find("    {\n      \"type\"").unwrap();
    let end = one.rfind("\n  ]").unwrap();
    let resource = &one[start..end];
    let resources: Vec<String> = (0..n)
        .map(|i| {
            resource.replace("\"api\"", &format!("\"api{i}\"")).replace(
                "\"clientCertEnabled\": false",
                if i % 3 == 0 {
                    "\"clientCertEnabled\": false"
                } else {
                    "\"clientCertEnabled\": true"
                },
            )
        })
        .collect();
    format!("{}{}{}", &one[..start], resources.join(",\n"), &one[end..])
}

/// 10,000 `didChange`s sent without waiting, over a Bicep and an ARM document: typos typed
/// and deleted anywhere (through many unparsable states), positions past the line or the
/// document end (clamped, as LSP says), then a real change at the end. The final
/// diagnostics and syntax trees must equal those of a fresh open of the final texts.
fn flood(c: &mut Client) -> Duration {
    let mut docs = [
        Doc::open(c, "file:///w/flood.bicep", "bicep", &many_sites_bicep(12)),
        Doc::open(c, "file:///w/flood.json", "json", &many_sites_json(12)),
    ];
    let before: Vec<String> = docs
        .iter()
        .map(|d| comparable(&d.diagnostics(c), &d.uri))
        .collect();
    let alphabet: Vec<char> = "ab :'\"{}[],\n=é😀中\t".chars().collect();
    let mut rng = Lcg(2024);
    let started = Instant::now();
    let mut sent = 0;
    while sent < 10_000 - 4 {
        let doc = &mut docs[sent / 2 % 2];
        let ch = alphabet[rng.below(alphabet.len())];
        let at = if rng.below(20) == 0 {
            // Past the end of a line, or of the document: clamped to where it ends.
            let mut some = rng.below(doc.text.len());
            while !doc.text.is_char_boundary(some) {
                some -= 1;
            }
            let (line, _) = position(&doc.text, some, false);
            let beyond = if rng.below(2) == 0 {
                (line, 9_999)
            } else {
                (line + 100_000, 0)
            };
            let at = offset(&doc.text, beyond.0, beyond.1, false);
            doc.text.insert(at, ch);
            doc.version += 1;
            c.change(
                &doc.uri,
                doc.version,
                [[beyond.0 as u32, beyond.1 as u32]; 2],
                &ch.to_string(),
            );
            at
        } else {
            let mut at = rng.below(doc.text.len());
            while !doc.text.is_char_boundary(at) {
                at -= 1;
            }
            doc.edit(c, at..at, &ch.to_string());
            at
        };
        doc.edit(c, at..at + ch.len_utf8(), "");
        sent += 2;
    }
    // The last four: one new finding in each document.
    docs[0].replace(c, "clientCertEnabled: true", "clientCertEnabled: false");
    docs[0].replace(c, "'Required'", "'OptionalInteractiveUser'");
    docs[1].replace(
        c,
        "\"clientCertEnabled\": true",
        "\"clientCertEnabled\": false",
    );
    docs[1].replace(c, "\"Required\"", "\"Optional\"");
    sent += 4;
    assert_eq!(sent, 10_000);
    let flooded: Vec<Vec<Value>> = docs.iter().map(|d| d.diagnostics(c)).collect();
    let elapsed = started.elapsed();
    for (i, doc) in docs.iter().enumerate() {
        let flooded = &flooded[i];
        // The last changes count: not the diagnostics of the text before the flood.
        assert_ne!(comparable(flooded, &doc.uri), before[i], "{}", doc.uri);
        let tree = c.syntax_tree(&doc.uri).expect("a tree");
        let fresh = doc.uri.replace("flood", "flood-fresh");
        let lang = if fresh.ends_with(".json") {
            "json"
        } else {
            "bicep"
        };
        c.open(&fresh, lang, doc.version, &doc.text);
        let expected = c.diagnostics(&fresh, Some(doc.version));
        assert_eq!(comparable(flooded, &doc.uri), comparable(&expected, &fresh));
        assert_eq!(tree, c.syntax_tree(&fresh).expect("a tree"), "{}", doc.uri);
        c.close(&fresh);
    }
    elapsed
}

/// 1,000 documents, Bicep and ARM with one to three findings each, opened without
/// waiting; every one gets its diagnostics; then all are closed and cleared.
fn thousand_documents(c: &mut Client) -> Duration {
    let started = Instant::now();
    let mut expected = Vec::new();
    for i in 0..1_000 {
        let sites = 3 * (1 + i % 3);
        // Every third site lacks client certificates; in Bicep every fourth is 'Optional'.
        let disabled = (0..sites).filter(|s| s % 3 == 0).count();
        let (uri, lang, text, findings) = if i % 2 == 0 {
            let optional = (0..sites).filter(|s| s % 4 == 0).count();
            (
                format!("file:///w/many/doc{i}.bicep"),
                "bicep",
                many_sites_bicep(sites),
                disabled + optional,
            )
        } else {
            (
                format!("file:///w/many/doc{i}.json"),
                "json",
                many_sites_json(sites),
                disabled,
            )
        };
        c.open(&uri, lang, 1, &text);
        expected.push((uri, findings));
    }
    for (uri, findings) in &expected {
        let diags = c.diagnostics(uri, Some(1));
        assert_eq!(codes(&diags), vec![APP; *findings], "{uri}");
    }
    let elapsed = started.elapsed();
    for (uri, _) in &expected {
        c.close(uri);
    }
    for (uri, _) in &expected {
        assert!(c.diagnostics(uri, None).is_empty(), "{uri} cleared");
    }
    elapsed
}

/// Documents that name things to fetch or run: nothing is fetched, nothing runs.
fn nothing_fetched_or_run(c: &mut Client, listener: &TcpListener, marker: &Path) -> Vec<String> {
    let port = listener.local_addr().unwrap().port();
    let m = marker.display();
    let bicep = format!(
        "module remote 'br:127.0.0.1:{port}/modules/app:v1' = {{\n  name: 'remote'\n}}\nmodule spec 'ts:00000000-0000-0000-0000-000000000000/rg/spec:1.0' = {{\n  name: 'spec'\n}}\nmodule http 'http://127.0.0.1:{port}/m.bicep' = {{\n  name: 'http'\n}}\nresource script 'Microsoft.Resources/deploymentScripts@2023-08-01' = {{\n  name: 'touch'\n  kind: 'AzureCLI'\n  properties: {{\n    scriptContent: 'touch {m}'\n    primaryScriptUri: 'http://127.0.0.1:{port}/run.sh'\n  }}\n}}\n{}",
        site_bicep("1")
    );
    let json = site_json("1").replace(
        "\"resources\": [",
        &format!(
            "\"resources\": [\n    {{ \"type\": \"Microsoft.Resources/deployments\", \"apiVersion\": \"2022-09-01\", \"name\": \"linked\", \"properties\": {{ \"mode\": \"Incremental\", \"templateLink\": {{ \"uri\": \"http://127.0.0.1:{port}/linked.json\" }}, \"parametersLink\": {{ \"uri\": \"https://127.0.0.1:{port}/p.json\" }} }} }},\n    {{ \"type\": \"Microsoft.Resources/deploymentScripts\", \"apiVersion\": \"2023-08-01\", \"name\": \"s\", \"kind\": \"AzurePowerShell\", \"properties\": {{ \"scriptContent\": \"New-Item {m}\", \"supportingScriptUris\": [\"http://127.0.0.1:{port}/s.ps1\"] }} }},"
        ),
    );
    // A `$(...)` in the document's own path as well.
    let dir = marker.parent().unwrap().display();
    let uris = [
        format!("file://{dir}/$(touch%20{m}).bicep"),
        format!("file://{dir}/linked.json"),
    ];
    c.open(&uris[0], "bicep", 1, &bicep);
    c.open(&uris[1], "json", 1, &json);
    for uri in &uris {
        assert_eq!(codes(&c.diagnostics(uri, Some(1))), [APP], "{uri}");
    }
    let fix_all = c.code_actions(&uris[1], [[0, 0], [0, 0]], Some(&["source.fixAll"]));
    assert_eq!(fix_all.len(), 1, "{fix_all:#?}");
    uris.to_vec()
}

#[test]
fn server_under_abuse() {
    let total = Instant::now();
    let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
    listener.set_nonblocking(true).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let marker = tmp.path().canonicalize().unwrap().join("executed");

    let mut c = Client::spawn();
    c.initialize(capabilities(false), Value::Null);
    let baseline = peak_rss_kib(&c);

    let t = Instant::now();
    malformed_messages(&mut c);
    eprintln!(
        "malformed JSON-RPC and framing: {:.2} s",
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    eprintln!("hostile documents (didOpen and didChange):");
    hostile_documents(&mut c);
    eprintln!("hostile documents: {:.2} s", t.elapsed().as_secs_f64());

    let flood_time = flood(&mut c);
    eprintln!(
        "10,000 didChange without waiting, to the final diagnostics: {:.2} s",
        flood_time.as_secs_f64()
    );

    let docs_time = thousand_documents(&mut c);
    eprintln!(
        "1,000 documents opened, all diagnostics received: {:.2} s",
        docs_time.as_secs_f64()
    );

    let uris = nothing_fetched_or_run(&mut c, &listener, &marker);

    // At the end, a normal request gets its normal answer.
    let uri = "file:///w/final.bicep";
    c.open(uri, "bicep", 1, &site_bicep("1"));
    let diags = c.diagnostics(uri, Some(1));
    assert_eq!(codes(&diags), [APP]);
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
        "{actions:#?}"
    );

    let peak = peak_rss_kib(&c);
    assert!(children(c.pid()).is_empty(), "{:?}", children(c.pid()));
    assert!(c.is_running());
    assert!(c.shutdown().success());
    match listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the server connected to {uris:?}'s addresses: {other:?}"),
    }
    assert!(!marker.exists(), "a script of {uris:?} ran");
    eprintln!(
        "peak RSS {} MiB (after initialize: {} MiB); whole session {:.1} s",
        peak / 1024,
        baseline / 1024,
        total.elapsed().as_secs_f64()
    );
    assert!(peak < PEAK_RSS_LIMIT_KIB, "peak RSS {peak} KiB");
}

/// A declared length beyond the server's limit is answered at once and skipped unread:
/// memory stays flat while the client streams the "body", and the server ends at EOF.
#[test]
fn content_length_beyond_the_limit() {
    let mut c = Client::spawn();
    c.initialize(capabilities(false), Value::Null);
    c.send_raw(b"Content-Length: 99999999999\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1}");
    answered_unreadable(&mut c, -32600, "99999999999-byte message is too large");
    let before = peak_rss_kib(&c);
    let chunk = vec![b'x'; 8 * MIB];
    for _ in 0..32 {
        c.send_raw(&chunk);
    }
    assert!(c.is_running());
    let after = peak_rss_kib(&c);
    eprintln!(
        "256 MiB streamed into a skipped body: peak RSS {} MiB before, {} MiB after",
        before / 1024,
        after / 1024
    );
    assert!(after < before + 64 * 1024, "{before} KiB, then {after} KiB");
    // The end of the input ends the server (exit code 1: no `shutdown`).
    assert_eq!(c.wait_exit().code(), Some(1));
}
