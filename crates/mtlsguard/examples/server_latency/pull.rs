//! The pull pattern: a client that pulls diagnostics, as VS Code does, in a workspace of
//! a whole repository of modules. It asks for the typed document's diagnostics after
//! each keystroke and for the workspace's every 2 seconds; a workspace pull must not
//! hold up the keystrokes, and after an edit it re-checks only what the edit touched.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::lsp::{Doc, Server};
use crate::report::{Stats, load, ms};

/// The workspace folder, under CORPUS, and the module typed into (under it).
pub const FOLDER: &str = "Azure+bicep-registry-modules";
const MODULE: &str = "avm/res/web/site/main.bicep";
/// Default-value flips of the module's `clientCertMode` param: half one way, half back.
const FLIPS: usize = 40;

fn items(report: &Value) -> usize {
    report["items"].as_array().map_or(0, Vec::len)
}

/// What the client has, as `previousResultIds` of the next workspace pull.
fn result_ids(report: &Value) -> Value {
    Value::Array(
        report["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| Some(json!({ "uri": i["uri"], "value": i["resultId"].as_str()? })))
            .collect(),
    )
}

fn full_items(report: &Value) -> usize {
    report["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["kind"] == "full")
        .count()
}

/// Runs the pattern; prints its figures.
pub fn run(corpus: &Path) {
    let folder = corpus.join(FOLDER);
    let main = folder.join(MODULE);
    let text = std::fs::read_to_string(&main)
        .unwrap_or_else(|e| crate::fail(&format!("cannot read {}: {e}", main.display())));
    let Some(flip) = crate::callers::default_at(&text) else {
        crate::fail("main.bicep has no `param clientCertMode ... = 'Optional'` line");
    };
    println!(
        "\n== pull: {FOLDER} as the workspace folder, {MODULE} typed into, diagnostics pulled; load average {}",
        load()
    );
    let started = Instant::now();
    let mut server = Server::spawn_pulling(&folder);
    let mut doc = Doc::open(&mut server, &main, &text);
    server.wait(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end");
    println!("indexing ended after {:.0} ms", ms(started.elapsed()));

    let pull_workspace = |server: &mut Server, previous: Value| {
        let sent = Instant::now();
        let id = server.request(
            "workspace/diagnostic",
            json!({ "previousResultIds": previous }),
        );
        let (at, report) = server.response(id);
        (at.duration_since(sent), report)
    };
    let (first, report) = pull_workspace(&mut server, json!([]));
    println!(
        "first workspace/diagnostic: {:.0} ms, {} files with findings",
        ms(first),
        items(&report)
    );
    let mut previous = result_ids(&report);
    let (again, _) = pull_workspace(&mut server, previous.clone());
    println!("again, nothing changed: {:.2} ms", ms(again));

    let mut own = Vec::new();
    let mut workspace = Vec::new();
    let mut during = Vec::new();
    let mut changed = Vec::new();
    for n in 0..FLIPS {
        let (from, to) = if n % 2 == 0 {
            ("'Optional'", "'Required'")
        } else {
            ("'Required'", "'Optional'")
        };
        let end = (flip.0, flip.1 + from.len());
        // The keystroke, then the typed document's pull, as the client sends them.
        let sent = Instant::now();
        doc.edit(&mut server, flip, end, to);
        let id = server.request(
            "textDocument/diagnostic",
            json!({ "textDocument": { "uri": doc.uri } }),
        );
        let (at, _) = server.response(id);
        own.push(at.duration_since(sent));
        // The client's next workspace pull, after the edit.
        let (took, report) = pull_workspace(&mut server, previous.clone());
        workspace.push(took);
        changed.push(full_items(&report));
        // A keystroke that comes while a workspace pull is running.
        let back = if n % 2 == 0 {
            "'Optional'"
        } else {
            "'Required'"
        };
        let wid = server.request(
            "workspace/diagnostic",
            json!({ "previousResultIds": previous }),
        );
        let sent = Instant::now();
        doc.edit(&mut server, flip, (flip.0, flip.1 + to.len()), back);
        let id = server.request(
            "textDocument/diagnostic",
            json!({ "textDocument": { "uri": doc.uri } }),
        );
        // Whichever answer comes first, both are needed.
        let mut doc_at = None;
        let mut report = Value::Null;
        let mut workspace_done = false;
        server.wait(|m| {
            if m.get("method").is_none() {
                if m["id"] == json!(id) {
                    doc_at = Some(Instant::now());
                } else if m["id"] == json!(wid) {
                    report = m["result"].clone();
                    workspace_done = true;
                }
            }
            doc_at.is_some() && workspace_done
        });
        during.push(doc_at.expect("answered").duration_since(sent));
        doc.edit(&mut server, flip, (flip.0, flip.1 + back.len()), to);
        previous = result_ids(&report);
        std::thread::sleep(Duration::from_millis(20));
    }
    println!(
        "default flips, didChange -> main.bicep textDocument/diagnostic: {}",
        Stats(own).line()
    );
    println!(
        "workspace/diagnostic after each flip: {}; full reports per pull: {}..{}",
        Stats(workspace).line(),
        changed.iter().min().unwrap_or(&0),
        changed.iter().max().unwrap_or(&0)
    );
    println!(
        "a flip sent while a workspace pull runs -> its textDocument/diagnostic: {}",
        Stats(during).line()
    );
    server.shutdown();
    println!("load average at end of section: {}", load());
}
