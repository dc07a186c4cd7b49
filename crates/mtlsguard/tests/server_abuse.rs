//! The language server under abuse (docs/hardening.md), one server session per phase:
//! broken framing and malformed JSON-RPC, a declared length beyond the limit, a flood of
//! 10,000 changes, 1,000 open documents, documents that name things to fetch or run (the
//! hostile documents are in `server_hostile_documents.rs`). In each, the server must answer
//! or ignore every message, keep its memory bounded, give the same results as a fresh
//! open, run no child process and still answer a normal request at the end. Nothing the
//! documents name is fetched or executed.
//!
//! `cargo test -p mtlsguard --test server_abuse -- --nocapture` prints the timings and
//! the server's peak RSS.

mod common;

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use common::abuse::{
    APP, DEPTH, MIB, comparable, ends_well, peak_rss_kib, session, site_bicep, site_json,
};
use common::lsp::{Client, Doc, codes, lsp_range, offset, position};
use serde_json::{Value, json};

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
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
        let diags = c.diagnostics(uri, Some(1));
        // The references name nothing that can be read: each says so (an info), and the
        // site's own finding stays.
        let own: Vec<_> = codes(&diags)
            .into_iter()
            .filter(|c| c != "unresolved-reference")
            .collect();
        assert_eq!(own, [APP], "{uri}");
    }

    let fix_all = c.code_actions(&uris[1], [[0, 0], [0, 0]], Some(&["source.fixAll"]));
    assert_eq!(fix_all.len(), 1, "{fix_all:#?}");
    uris.to_vec()
}

#[test]
fn malformed_json_rpc_and_framing() {
    let started = Instant::now();
    let mut c = session();
    malformed_messages(&mut c);
    ends_well(c, "malformed JSON-RPC and framing", started);
}

#[test]
fn ten_thousand_changes_without_waiting() {
    let started = Instant::now();
    let mut c = session();
    let flood_time = flood(&mut c);
    eprintln!(
        "10,000 didChange without waiting, to the final diagnostics: {:.2} s",
        flood_time.as_secs_f64()
    );
    ends_well(c, "10,000 changes", started);
}

#[test]
fn thousand_documents_opened_without_waiting() {
    let started = Instant::now();
    let mut c = session();
    let docs_time = thousand_documents(&mut c);
    eprintln!(
        "1,000 documents opened, all diagnostics received: {:.2} s",
        docs_time.as_secs_f64()
    );
    ends_well(c, "1,000 documents", started);
}

#[test]
fn nothing_a_document_names_is_fetched_or_run() {
    let started = Instant::now();
    let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
    listener.set_nonblocking(true).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let marker = tmp.path().canonicalize().unwrap().join("executed");
    let mut c = session();
    let uris = nothing_fetched_or_run(&mut c, &listener, &marker);
    ends_well(c, "documents naming modules and scripts", started);
    match listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the server connected to {uris:?}'s addresses: {other:?}"),
    }
    assert!(!marker.exists(), "a script of {uris:?} ran");
}

/// A declared length beyond the server's limit is answered at once and skipped unread:
/// memory stays flat while the client streams the "body", and the server ends at EOF.
#[test]
fn content_length_beyond_the_limit() {
    let mut c = session();
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
