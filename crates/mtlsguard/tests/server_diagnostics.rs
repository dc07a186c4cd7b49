//! End-to-end tests of `mtlsguard server` (the real binary over stdio, JSON-RPC by hand):
//! diagnostics as the client asks for them (pushed or pulled) and as the editor's settings
//! and `mtlsguard.toml` shape them.

mod common;

use std::time::Duration;

use common::lsp::{APP_BICEP, Client, capabilities, codes};
use serde_json::{Value, json};

#[test]
fn pull_diagnostics_when_the_client_supports_them() {
    let mut c = Client::spawn();
    let mut caps = capabilities(false);
    caps["textDocument"]["diagnostic"] = json!({ "relatedInformation": true });
    let init = c.initialize(caps, Value::Null);
    assert_eq!(
        init["capabilities"]["diagnosticProvider"]["identifier"],
        "mtlsguard"
    );
    let uri = "file:///w/pull.bicep";
    c.open(uri, "bicep", 1, APP_BICEP);
    let params = json!({ "textDocument": { "uri": uri } });
    let report = c
        .request("textDocument/diagnostic", params.clone())
        .expect("report");
    assert_eq!(report["kind"], "full");
    assert_eq!(
        codes(report["items"].as_array().unwrap()),
        ["app-service-client-cert"]
    );
    let result_id = report["resultId"].clone();
    let again = c
        .request(
            "textDocument/diagnostic",
            json!({ "textDocument": { "uri": uri }, "previousResultId": result_id }),
        )
        .expect("report");
    assert_eq!(again["kind"], "unchanged");
    c.change(uri, 2, [[5, 20], [5, 30]], "'Required'");
    let after = c
        .request("textDocument/diagnostic", params)
        .expect("report");
    assert_eq!(after["kind"], "full");
    assert_eq!(after["items"], json!([]));
    // Nothing is pushed in pull mode.
    let pushed: Vec<Value> = c
        .drain(Duration::from_millis(300))
        .into_iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
        .collect();
    assert!(pushed.is_empty(), "{pushed:#?}");
    c.shutdown();
}

#[test]
fn settings_from_initialization_options_and_configuration_changes() {
    let mut c = Client::spawn();
    c.initialize(
        capabilities(false),
        json!({ "rules": { "app-service-client-cert": "error" }, "showSyntaxErrors": true }),
    );
    let uri = "file:///w/set.bicep";
    let broken = format!("{APP_BICEP}\nresource broken 'x' = {{\n");
    c.open(uri, "bicep", 1, &broken);
    let diags = c.diagnostics(uri, Some(1));
    assert_eq!(diags[0]["severity"], 1, "{diags:#?}");
    assert!(
        codes(&diags).contains(&"syntax-error".to_owned()),
        "{diags:#?}"
    );

    // Wrapped as VS Code sends it; syntax errors hidden again; the rule turned off.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "mtlsguard": { "rules": { "app-service-client-cert": "off" } } } }),
    );
    assert_eq!(c.diagnostics(uri, Some(1)), Vec::<Value>::new());

    // Invalid settings: a logged warning, and the defaults.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "rules": "loud", "showSyntaxErrors": 3 } }),
    );
    let warning = c.wait_for("a warning about the settings", |m| {
        m["method"] == "window/logMessage"
            && m["params"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("invalid setting")
    });
    assert_eq!(warning["params"]["type"], 2);
    let diags = c.diagnostics(uri, Some(1));
    assert_eq!(codes(&diags), ["app-service-client-cert"]);
    assert_eq!(diags[0]["severity"], 2);

    // A client that sends no payload is asked for the section.
    *c.configuration.lock().unwrap() = json!({ "rules": { "app-service-client-cert": "info" } });
    c.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": null }),
    );
    let diags = c.diagnostics(uri, Some(1));
    assert_eq!(diags[0]["severity"], 3, "{diags:#?}");

    // A changed mtlsguard.toml re-publishes open documents.
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": "file:///w/mtlsguard.toml", "type": 2 }] }),
    );
    assert_eq!(c.diagnostics(uri, Some(1)).len(), 1);
    c.shutdown();
}

#[test]
fn mtlsguard_toml_levels_excludes_and_changes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let toml = root.join("mtlsguard.toml");
    std::fs::write(
        &toml,
        "exclude = [\"generated\"]\n\n[rules]\napp-service-client-cert = \"error\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("generated")).unwrap();
    let uri = format!("file://{}/app.bicep", root.display());
    let excluded = format!("file://{}/generated/app.bicep", root.display());
    let mut c = Client::spawn();
    // The editor's setting for another rule layers over the file.
    c.initialize(
        capabilities(false),
        json!({ "rules": { "apim-client-cert": "info" } }),
    );
    c.open(&uri, "bicep", 1, APP_BICEP);
    let diags = c.diagnostics(&uri, Some(1));
    assert_eq!(codes(&diags), ["app-service-client-cert"]);
    assert_eq!(diags[0]["severity"], 1, "the file makes it an error");
    c.open(&excluded, "bicep", 1, APP_BICEP);
    assert_eq!(c.diagnostics(&excluded, Some(1)), Vec::<Value>::new());

    // The file changes on disk: open documents are re-analyzed and re-published.
    std::fs::write(&toml, "[rules]\napp-service-client-cert = \"off\"\n").unwrap();
    let toml_uri = format!("file://{}", toml.display());
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": toml_uri, "type": 2 }] }),
    );
    assert_eq!(c.diagnostics(&uri, Some(1)), Vec::<Value>::new());

    // An invalid file: one warning, and the defaults.
    std::fs::write(&toml, "[rules]\napp-service-client-cert = \"loud\"\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": toml_uri, "type": 2 }] }),
    );
    let diags = c.diagnostics(&uri, Some(1));
    assert_eq!(codes(&diags), ["app-service-client-cert"]);
    assert_eq!(diags[0]["severity"], 2);
    c.wait_for("the config warning", |m| {
        m["method"] == "window/logMessage"
            && m["params"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("invalid configuration file")
    });
    assert!(c.shutdown().success());
}

#[test]
fn bicepconfig_levels_and_changes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let config = root.join("bicepconfig.json");
    let write = |level: &str| {
        std::fs::write(
            &config,
            format!(
                "{{\n  // Bicep's own config: our levels ride along.\n  \"analyzers\": {{ \"mtlsguard\": {{ \"rules\": {{ \"app-service-client-cert\": {{ \"level\": \"{level}\" }} }} }} }}\n}}\n"
            ),
        )
        .unwrap();
    };
    write("error");
    let uri = format!("file://{}/app.bicep", root.display());
    let mut c = Client::spawn();
    c.initialize(capabilities(false), json!({}));
    c.open(&uri, "bicep", 1, APP_BICEP);
    let diags = c.diagnostics(&uri, Some(1));
    assert_eq!(codes(&diags), ["app-service-client-cert"]);
    assert_eq!(
        diags[0]["severity"], 1,
        "bicepconfig.json makes it an error"
    );
    // The file changes on disk: open documents are re-analyzed with the new level.
    write("off");
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": format!("file://{}", config.display()), "type": 2 }] }),
    );
    assert_eq!(c.diagnostics(&uri, Some(1)), Vec::<Value>::new());
    assert!(c.shutdown().success());
}
