//! End-to-end tests of `mtlsguard server` (the real binary over stdio, JSON-RPC by hand):
//! the session itself, with a hostile client and at its end.

mod common;

use common::lsp::{APP_BICEP, Client, capabilities, codes, range_of, started, title};
use serde_json::{Value, json};

#[test]
fn hostile_client() {
    let mut c = Client::spawn_with_env(&[("MTLSGUARD_TEST_PANIC_MARKER", "PANIC_IN_ANALYSIS")]);
    // Requests before initialize are refused.
    let early = c.request("textDocument/codeAction", json!({})).unwrap_err();
    assert_eq!(early["code"], -32002);
    c.initialize(capabilities(false), json!("not an object"));
    let uri = "file:///w/h.bicep";
    // Garbage: not JSON, JSON that is no message, wrong types, a bogus header.
    c.send_raw(b"Content-Length: 9\r\n\r\nnot json!");
    c.send_raw(b"Content-Length: 2\r\n\r\n[]");
    c.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "bicep", "version": "one", "text": 5 } }));
    c.notify("textDocument/didOpen", json!(null));
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": 17 } }),
    );
    c.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": "file:///w/never-opened.bicep" } }),
    );
    c.change("file:///w/never-opened.bicep", 3, [[0, 0], [0, 0]], "x");
    c.notify("$/cancelRequest", json!({ "id": 12345 }));
    c.notify("no/such/notification", json!({}));
    // Requests with wrong params or for unknown documents get errors or empty answers.
    assert!(
        c.request("textDocument/codeAction", json!({ "textDocument": 5 }))
            .is_err()
    );
    assert!(c.request("no/such/request", json!({})).is_err());
    let unknown = json!({ "textDocument": { "uri": "file:///w/unknown.bicep" }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }, "context": { "diagnostics": [] } });
    assert_eq!(
        c.request("textDocument/codeAction", unknown).unwrap(),
        Value::Null
    );
    assert!(c.syntax_tree("file:///w/unknown.bicep").is_err());
    assert!(
        c.request(
            "workspace/executeCommand",
            json!({ "command": "mtlsguard.syntaxTree", "arguments": [] })
        )
        .is_err()
    );
    assert!(
        c.request(
            "workspace/executeCommand",
            json!({ "command": "rm -rf", "arguments": [] })
        )
        .is_err()
    );

    // A real document with out-of-range positions and versions going backwards.
    c.open(uri, "bicep", 10, APP_BICEP);
    assert_eq!(c.diagnostics(uri, Some(10)).len(), 1);
    c.change(uri, 11, [[9999, 9999], [9999, 99999]], "\n// tail");
    c.change(uri, 12, [[3, 99999], [1, 0]], "");
    c.change(uri, 5, [[0, 0], [0, 0]], "garbage that must be ignored");
    c.change(uri, 13, [[u32::MAX, u32::MAX], [u32::MAX, u32::MAX]], "\n");
    let diags = c.diagnostics(uri, Some(13));
    assert_eq!(codes(&diags), ["app-service-client-cert"]);
    let tree = c.syntax_tree(uri).expect("tree");
    assert!(!tree.contains("garbage"), "{tree}");
    let warned = c.wait_for("the stale version warning", |m| {
        m["method"] == "window/logMessage"
            && m["params"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("older than")
    });
    assert_eq!(warned["params"]["type"], 2);

    // A panic inside analysis of one document is logged; the others keep being served.
    let bad = "file:///w/panic.bicep";
    c.open(bad, "bicep", 1, "// PANIC_IN_ANALYSIS\n");
    c.wait_for("the panic log", |m| {
        m["method"] == "window/logMessage"
            && m["params"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("analysis of file:///w/panic.bicep")
    });
    let actions = c.code_actions(uri, range_of(&diags[0]), None);
    assert!(
        actions
            .iter()
            .any(|a| title(a) == "Set clientCertMode to 'Required'"),
        "{actions:#?}"
    );
    // The lightbulb (no `only`) next to a safe fix also offers fix-all.
    assert!(
        actions
            .iter()
            .any(|a| a["kind"] == "source.fixAll.mtlsguard"),
        "{actions:#?}"
    );
    c.change(uri, 14, [[0, 0], [0, 0]], " ");
    assert_eq!(c.diagnostics(uri, Some(14)).len(), 1);
    assert!(c.is_running());
    assert!(c.shutdown().success());
}

#[test]
fn exit_without_shutdown_is_an_error_exit() {
    let mut c = started(false);
    c.notify("exit", Value::Null);
    assert_eq!(c.wait_exit().code(), Some(1));
    // Requests after shutdown are refused; exit then ends cleanly.
    let mut c = started(false);
    c.request("shutdown", Value::Null).unwrap();
    let refused = c.request("textDocument/codeAction", json!({})).unwrap_err();
    assert_eq!(refused["code"], -32600);
    c.notify("exit", Value::Null);
    assert_eq!(c.wait_exit().code(), Some(0));
}
