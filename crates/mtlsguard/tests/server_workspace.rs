//! End-to-end tests of `mtlsguard server` (the real binary over stdio, JSON-RPC by hand):
//! analysis across files. The workspace folder is indexed at `initialized`; a module
//! called with its caller's values gets its findings reported in the caller, published
//! also while the caller is not open.

mod common;

use std::path::{Path, PathBuf};

use common::lsp::{Client, Doc, capabilities, codes, edits_for, range_of, title};
use common::workspace::{MAIN_BICEP as MAIN, SITE_BICEP as SITE};
use serde_json::{Value, json};

const RULE: &str = "app-service-client-cert";

/// Where `'modules/site.bicep'` is in [`MAIN`].
const MODULE_PATH: [[u32; 2]; 2] = [[0, 12], [0, 32]];

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A temporary folder with `main.bicep` calling `modules/site.bicep`.
fn project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(&root.join("main.bicep"), MAIN);
    write(&root.join("modules/site.bicep"), SITE);
    (dir, root)
}

/// A server with `folder` as its one workspace folder.
fn start(folder: &Path, caps: Value) -> Client {
    let mut c = Client::spawn();
    c.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": uri(folder),
            "workspaceFolders": [{ "uri": uri(folder), "name": "w" }],
            "capabilities": caps,
        }),
    )
    .expect("initialize succeeds");
    c.notify("initialized", json!({}));
    c
}

/// Waits for diagnostics published for `uri` with `version` that satisfy `pred`.
fn published(
    c: &mut Client,
    uri: &str,
    version: Option<i64>,
    what: &str,
    pred: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let msg = c.wait_for(&format!("{what} for {uri} version {version:?}"), |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri
            && m["params"].get("version").and_then(Value::as_i64) == version
            && pred(
                m["params"]["diagnostics"]
                    .as_array()
                    .map_or(&[], Vec::as_slice),
            )
    });
    msg["params"]["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn has_rule(d: &[Value]) -> bool {
    codes(d) == [RULE]
}

/// The related locations of a diagnostic, as their URIs.
fn related_uris(d: &Value) -> Vec<String> {
    d["relatedInformation"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["location"]["uri"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_closed_caller_gets_the_finding_and_loses_it_after_an_edit() {
    let (_dir, root) = project();
    let main = uri(&root.join("main.bicep"));
    let site = uri(&root.join("modules/site.bicep"));
    let mut c = start(&root, capabilities(false));
    // Only the module is open: its caller, on disk, is where the finding is reported.
    let mut doc = Doc::open(&mut c, &site, "bicep", SITE);
    let diags = published(&mut c, &main, None, "the caller's finding", has_rule);
    // At the module path string (the callee's default decides), leading to the module.
    assert_eq!(range_of(&diags[0]), MODULE_PATH, "{diags:#?}");
    assert!(related_uris(&diags[0]).contains(&site), "{diags:#?}");
    // The module itself is checked only as called: nothing of its own.
    published(&mut c, &site, Some(1), "no findings", <[Value]>::is_empty);

    doc.replace(&mut c, "'Optional'", "'Required'");
    published(&mut c, &main, None, "no findings", <[Value]>::is_empty);
    published(&mut c, &site, Some(2), "no findings", <[Value]>::is_empty);
    assert!(c.shutdown().success());
}

#[test]
fn deleting_the_caller_clears_its_diagnostics() {
    let (_dir, root) = project();
    let main_path = root.join("main.bicep");
    let main = uri(&main_path);
    let site = uri(&root.join("modules/site.bicep"));
    let mut c = start(&root, capabilities(false));
    let registration = c.wait_for("the watcher registration", |m| {
        m["method"] == "client/registerCapability"
    });
    let watchers = registration["params"]["registrations"][0]["registerOptions"]["watchers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for glob in [
        "**/*.bicep",
        "**/*.bicepparam",
        "**/*.json",
        "**/bicepconfig.json",
    ] {
        assert!(
            watchers.iter().any(|w| w["globPattern"] == glob),
            "{glob}: {watchers:#?}"
        );
    }
    c.open(&site, "bicep", 1, SITE);
    published(&mut c, &main, None, "the caller's finding", has_rule);

    std::fs::remove_file(&main_path).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": main, "type": 3 }] }),
    );
    published(&mut c, &main, None, "no findings", <[Value]>::is_empty);

    // Created again: the caller is read and has the finding again.
    write(&main_path, MAIN);
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": main, "type": 1 }] }),
    );
    published(&mut c, &main, None, "the caller's finding", has_rule);
    assert!(c.shutdown().success());
}

#[test]
fn a_module_outside_the_folder_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let folder = root.join("app");
    let main_path = folder.join("main.bicep");
    write(
        &main_path,
        &MAIN.replace("modules/site.bicep", "../shared/x.bicep"),
    );
    write(&root.join("shared/x.bicep"), SITE);
    let main = uri(&main_path);
    let mut c = start(&folder, capabilities(false));
    let text = std::fs::read_to_string(&main_path).unwrap();
    c.open(&main, "bicep", 1, &text);
    let diags = published(&mut c, &main, Some(1), "the finding", has_rule);
    let shared = uri(&root.join("shared/x.bicep"));
    assert!(related_uris(&diags[0]).contains(&shared), "{diags:#?}");
    // Closed, the caller is read from disk again and keeps its finding.
    c.close(&main);
    published(&mut c, &main, None, "the finding from disk", has_rule);
    assert!(c.shutdown().success());
}

#[test]
fn workspace_diagnostics_progress_and_code_actions() {
    let (_dir, root) = project();
    let main = uri(&root.join("main.bicep"));
    let site = uri(&root.join("modules/site.bicep"));
    let mut caps = capabilities(false);
    caps["textDocument"]["diagnostic"] = json!({ "relatedInformation": true });
    caps["window"] = json!({ "workDoneProgress": true });
    let mut c = start(&root, caps);

    // Indexing: the token is created, then begun and ended.
    let create = c.wait_for("the progress token", |m| {
        m["method"] == "window/workDoneProgress/create"
    });
    let token = create["params"]["token"].clone();
    let progress = |kind: &'static str| {
        let token = token.clone();
        move |m: &Value| {
            m["method"] == "$/progress"
                && m["params"]["token"] == token
                && m["params"]["value"]["kind"] == kind
        }
    };
    let begin = c.wait_for("the progress begin", progress("begin"));
    assert_eq!(begin["params"]["value"]["title"], "Indexing templates");
    c.wait_for("the progress end", progress("end"));

    let report = c
        .request("workspace/diagnostic", json!({ "previousResultIds": [] }))
        .expect("a report");
    let items = report["items"].as_array().cloned().unwrap_or_default();
    let of = |items: &[Value], uri: &str| items.iter().find(|i| i["uri"] == uri).cloned();
    let main_report = of(&items, &main).expect("main.bicep is reported");
    assert_eq!(main_report["kind"], "full");
    let diags = main_report["items"].as_array().cloned().unwrap_or_default();
    assert!(has_rule(&diags), "{diags:#?}");
    assert!(related_uris(&diags[0]).contains(&site), "{diags:#?}");
    assert!(of(&items, &site).is_none(), "{items:#?}");
    // Asked again with what the client has: unchanged.
    let again = c
        .request(
            "workspace/diagnostic",
            json!({ "previousResultIds": [{ "uri": main, "value": main_report["resultId"] }] }),
        )
        .expect("a report");
    let items = again["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(of(&items, &main).expect("main.bicep")["kind"], "unchanged");

    // The caller opened: its pulled diagnostics and code actions are the workspace's.
    let text = std::fs::read_to_string(root.join("main.bicep")).unwrap();
    c.open(&main, "bicep", 1, &text);
    let pulled = c
        .request(
            "textDocument/diagnostic",
            json!({ "textDocument": { "uri": main } }),
        )
        .expect("a report");
    let diags = pulled["items"].as_array().cloned().unwrap_or_default();
    assert!(has_rule(&diags), "{pulled:#?}");
    let actions = c.code_actions(&main, range_of(&diags[0]), None);
    let disable = actions
        .iter()
        .find(|a| title(a) == format!("Disable {RULE} for this line"))
        .unwrap_or_else(|| panic!("{actions:#?}"));
    let (edits, _) = edits_for(&disable["edit"], &main);
    assert_eq!(edits.len(), 1, "{disable:#?}");
    // The fix of the caller's finding edits the caller: it sets the param in the call.
    let fix = diags[0]["data"]["fix"].clone();
    let quick = actions
        .iter()
        .find(|a| a["title"] == fix["title"] && a["kind"] == "quickfix")
        .unwrap_or_else(|| panic!("{fix:#?} {actions:#?}"));
    let (edits, _) = edits_for(&quick["edit"], &main);
    assert!(!edits.is_empty(), "{quick:#?}");
    let inserted: String = edits
        .iter()
        .map(|e| e["newText"].as_str().unwrap_or_default())
        .collect();
    assert!(
        inserted.contains("clientCertMode: 'Required'"),
        "{edits:#?}"
    );

    // The module fixed on disk: the caller's report is emptied.
    std::fs::write(
        root.join("modules/site.bicep"),
        SITE.replace("'Optional'", "'Required'"),
    )
    .unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": site, "type": 2 }] }),
    );
    c.close(&main);
    let id = main_report["resultId"].clone();
    let deadline = std::time::Instant::now() + common::lsp::TIMEOUT;
    loop {
        let r = c
            .request(
                "workspace/diagnostic",
                json!({ "previousResultIds": [{ "uri": main, "value": id }] }),
            )
            .expect("a report");
        let items = r["items"].as_array().cloned().unwrap_or_default();
        if let Some(m) = of(&items, &main)
            && m["kind"] == "full"
            && m["items"] == json!([])
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{r:#?}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(c.shutdown().success());
}

/// A pulling client is asked to pull again when files of the folders change on disk, not
/// when a file outside them without links is opened and closed (VS Code does that to its
/// settings.json all the time; each close made it pull every document again).
#[test]
fn pull_refresh_only_for_changes_that_matter() {
    let (_dir, root) = project();
    let outside = tempfile::tempdir().unwrap();
    let settings = outside.path().canonicalize().unwrap().join("settings.json");
    write(&settings, "{ \"editor.tabSize\": 2 }\n");
    let mut caps = capabilities(false);
    caps["textDocument"]["diagnostic"] = json!({ "relatedInformation": true });
    caps["workspace"]["diagnostics"] = json!({ "refreshSupport": true });
    let mut c = start(&root, caps);
    let is_refresh = |m: &Value| m["method"] == "workspace/diagnostic/refresh";
    // Indexing ends with a pass over everything linked: one refresh.
    c.wait_for("the refresh after indexing", is_refresh);
    c.drain(std::time::Duration::from_millis(300));

    for version in 1..=3 {
        c.open(
            &uri(&settings),
            "jsonc",
            version,
            "{ \"editor.tabSize\": 2 }\n",
        );
        c.close(&uri(&settings));
    }
    let after = c.drain(std::time::Duration::from_secs(1));
    assert!(!after.iter().any(is_refresh), "{after:#?}");

    // The module changed on disk: callers' diagnostics change.
    let site = root.join("modules/site.bicep");
    write(&site, &SITE.replace("'Optional'", "'Required'"));
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri(&site), "type": 2 }] }),
    );
    c.wait_for("the refresh after a change on disk", is_refresh);
    c.drain(std::time::Duration::from_millis(300));

    // The settings changed: one refresh, once everything is checked with them.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "mtlsguard": { "rules": { RULE: "warning" } } } }),
    );
    c.wait_for("the refresh after a settings change", is_refresh);
    let after = c.drain(std::time::Duration::from_secs(1));
    assert!(!after.iter().any(is_refresh), "{after:#?}");
    assert!(c.shutdown().success());
}

/// `workspace/didChangeWorkspaceFolders`: an added folder is indexed (its closed caller
/// gets its finding); a removed one's files leave (its caller's finding is cleared),
/// except what a remaining folder references (read again).
#[test]
fn folders_added_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().canonicalize().unwrap();
    let (a, b) = (top.join("a"), top.join("b"));
    write(&a.join("main.bicep"), MAIN);
    write(&a.join("modules/site.bicep"), SITE);
    let b_main_text = MAIN.replace("'modules/site.bicep'", "'../a/modules/site.bicep'");
    write(&b.join("main.bicep"), &b_main_text);
    let (main_a, main_b) = (uri(&a.join("main.bicep")), uri(&b.join("main.bicep")));
    let folder = |p: &Path, name: &str| json!({ "uri": uri(p), "name": name });

    let mut c = start(&a, capabilities(false));
    published(&mut c, &main_a, None, "a's caller's finding", has_rule);

    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({ "event": { "added": [folder(&b, "b")], "removed": [] } }),
    );
    published(&mut c, &main_b, None, "b's caller's finding", has_rule);

    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({ "event": { "added": [], "removed": [folder(&a, "a")] } }),
    );
    published(
        &mut c,
        &main_a,
        None,
        "a's caller cleared",
        <[Value]>::is_empty,
    );
    // The module b calls is still known: b's caller, opened, has the finding.
    c.open(&main_b, "bicep", 1, &b_main_text);
    published(&mut c, &main_b, Some(1), "b's caller's finding", has_rule);
    assert!(c.shutdown().success());
}

#[test]
fn workspace_folder_changes_are_advertised() {
    let (_dir, root) = project();
    let mut c = Client::spawn();
    let init = c
        .request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(&root),
                "workspaceFolders": [{ "uri": uri(&root), "name": "w" }],
                "capabilities": capabilities(false),
            }),
        )
        .expect("initialize succeeds");
    let folders = &init["capabilities"]["workspace"]["workspaceFolders"];
    assert_eq!(folders["supported"], true, "{init:#}");
    assert_eq!(folders["changeNotifications"], true, "{init:#}");
    c.notify("initialized", json!({}));
    assert!(c.shutdown().success());
}

/// A deleted folder is one event (the watcher's, or `workspace/didDeleteFiles` from the
/// editor): the templates below it go, and their callers are checked again.
#[test]
fn deleting_a_folder_forgets_its_templates() {
    for how in ["watcher", "didDeleteFiles"] {
        let (_dir, root) = project();
        let main = uri(&root.join("main.bicep"));
        let mut c = start(&root, capabilities(false));
        published(&mut c, &main, None, "the caller's finding", has_rule);
        let modules = root.join("modules");
        std::fs::remove_dir_all(&modules).unwrap();
        if how == "watcher" {
            c.notify(
                "workspace/didChangeWatchedFiles",
                json!({ "changes": [{ "uri": uri(&modules), "type": 3 }] }),
            );
        } else {
            c.notify(
                "workspace/didDeleteFiles",
                json!({ "files": [{ "uri": uri(&modules) }] }),
            );
        }
        let diags = published(&mut c, &main, None, "the module missing", |d| {
            codes(d) == ["unresolved-reference"]
        });
        assert_eq!(range_of(&diags[0]), MODULE_PATH, "{how}: {diags:#?}");
        assert!(c.shutdown().success());
    }
}

/// `workspace/diagnostic` analyzes again only what changed: after the caller, open,
/// drops its call, its report loses the finding, and the module, now called by nobody,
/// is reported as checked alone (no findings on its defaults); a second pull is
/// unchanged.
#[test]
fn workspace_pull_after_a_call_goes_away() {
    let (_dir, root) = project();
    let main = uri(&root.join("main.bicep"));
    let mut caps = capabilities(false);
    caps["textDocument"]["diagnostic"] = json!({ "relatedInformation": true });
    caps["window"] = json!({ "workDoneProgress": true });
    let mut c = start(&root, caps);
    c.wait_for("the progress end", |m| {
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end"
    });
    let pull = |c: &mut Client, previous: Value| {
        let report = c
            .request(
                "workspace/diagnostic",
                json!({ "previousResultIds": previous }),
            )
            .expect("a report");
        report["items"].as_array().cloned().unwrap_or_default()
    };
    let items = pull(&mut c, json!([]));
    let main_report = items.iter().find(|i| i["uri"] == main).expect("main.bicep");
    assert!(
        has_rule(main_report["items"].as_array().unwrap()),
        "{items:#?}"
    );
    let previous = json!([{ "uri": main, "value": main_report["resultId"] }]);

    c.open(&main, "bicep", 1, MAIN);
    c.change_full(&main, 2, "param unused string = 'x'\n");
    let items = pull(&mut c, previous);
    let main_report = items.iter().find(|i| i["uri"] == main).expect("main.bicep");
    assert_eq!(main_report["kind"], "full", "{items:#?}");
    assert!(
        !codes(main_report["items"].as_array().unwrap()).contains(&RULE.to_owned()),
        "{items:#?}"
    );
    let site_findings: Vec<&Value> = items
        .iter()
        .filter(|i| i["uri"].as_str().is_some_and(|u| u.ends_with("site.bicep")))
        .collect();
    assert!(
        site_findings
            .iter()
            .all(|i| i["items"].as_array().is_none_or(Vec::is_empty)),
        "{items:#?}"
    );
    // Nothing changed since: every report the client has is unchanged.
    let previous: Vec<Value> = items
        .iter()
        .filter(|i| i["kind"] == "full" && i["resultId"].is_string())
        .map(|i| json!({ "uri": i["uri"], "value": i["resultId"] }))
        .collect();
    let again = pull(&mut c, Value::Array(previous));
    assert!(again.iter().all(|i| i["kind"] == "unchanged"), "{again:#?}");
    assert!(c.shutdown().success());
}
