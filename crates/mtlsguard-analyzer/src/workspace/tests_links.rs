//! The links the server asks about on every pass: which files have them, which files
//! one change reaches, and the texts held.

use super::*;

const CALLER: &str = "module m 'mod.bicep' = {\n  name: 'm'\n}\n";
const CALLEE: &str = "param p string = 'x'\n";
const SELF_CALL: &str = "module me 'loop.bicep' = {\n  name: 'me'\n}\n";

fn workspace() -> Workspace {
    let mut ws = Workspace::new("/cache");
    ws.set_file("/w/main.bicep", CALLER.to_owned());
    ws.set_file("/w/mod.bicep", CALLEE.to_owned());
    ws.set_file("/w/alone.bicep", CALLEE.to_owned());
    ws.set_file("/w/loop.bicep", SELF_CALL.to_owned());
    ws
}

#[test]
fn linked_agrees_with_has_links() {
    let ws = workspace();
    let linked = ws.linked();
    for path in ws.paths() {
        assert_eq!(linked.contains(path), ws.has_links(path), "{path}");
    }
    // A self-call is a cycle, which only the workspace's analysis reports.
    assert_eq!(
        linked.into_iter().collect::<Vec<_>>(),
        ["/w/loop.bicep", "/w/main.bicep", "/w/mod.bicep"]
    );
}

#[test]
fn connected_all_is_the_union() {
    let ws = workspace();
    let all = ws.connected_all(&["/w/mod.bicep".into(), "/w/alone.bicep".into()]);
    assert_eq!(all, ["/w/alone.bicep", "/w/main.bicep", "/w/mod.bicep"]);
    assert!(ws.connected_all(&["/w/missing.bicep".into()]).is_empty());
}

#[test]
fn texts_are_held() {
    let mut ws = workspace();
    assert_eq!(ws.text("/w/./mod.bicep"), Some(CALLEE));
    ws.remove_file("/w/mod.bicep");
    assert_eq!(ws.text("/w/mod.bicep"), None);
    // The caller of a file that is gone stays linked: its call is now unresolved.
    assert!(ws.linked().contains("/w/main.bicep"));
    assert!(!ws.linked().contains("/w/mod.bicep"));
}

/// A parameters file held without its template: the template is asked for by every name
/// it may have, so a caller that only reads what is wanted still finds it.
#[test]
fn a_parameters_file_asks_for_its_template() {
    let params = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
  "parameters": { "p": { "value": "x" } }
}"#;
    let template = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "parameters": { "p": { "type": "string" } },
  "resources": []
}"#;
    let mut ws = Workspace::new("/cache");
    ws.set_file("/w/azuredeploy.parameters.json", params.to_owned());
    assert_eq!(ws.wanted(), ["/w/azuredeploy.json", "/w/azuredeploy.jsonc"]);
    ws.set_file("/w/azuredeploy.json", template.to_owned());
    ws.mark_absent("/w/azuredeploy.jsonc", "file not found");
    assert!(ws.wanted().is_empty());
    assert!(ws.has_links("/w/azuredeploy.parameters.json"));
}

/// The links as a comparable value: each list sorted (their order is of no meaning).
fn links_of(ws: &Workspace) -> Vec<String> {
    let links = ws.links();
    let sorted = |m: &HashMap<String, Vec<String>>| {
        let mut v: Vec<String> = m
            .iter()
            .map(|(k, v)| {
                let mut v = v.clone();
                v.sort();
                format!("{k} -> {v:?}")
            })
            .collect();
        v.sort();
        v
    };
    let mut targets: Vec<String> = links
        .targets
        .iter()
        .map(|(k, v)| format!("{k} => {v:?}"))
        .collect();
    targets.sort();
    let mut out = targets;
    out.extend(sorted(&links.neighbors));
    out.push("callers".into());
    out.extend(sorted(&links.callers));
    out.push(format!("dangling {:?}", links.dangling));
    out
}

/// A new text of a file the workspace holds patches the links; they equal links built
/// afresh, whatever the new text calls (more, fewer, itself, nothing held).
#[test]
fn a_new_text_patches_the_links_as_a_rebuild_would() {
    let texts = [
        CALLER.to_owned(),
        CALLEE.to_owned(),
        SELF_CALL.replace("loop.bicep", "main.bicep"),
        format!(
            "{CALLER}module n 'mod.bicep' = {{\n  name: 'n'\n}}\nmodule a 'alone.bicep' = {{\n  name: 'a'\n}}\n"
        ),
        "module x 'missing.bicep' = {\n  name: 'x'\n}\n".to_owned(),
        "module y 'br/public:avm/res/web/site:0.1.0' = {\n  name: 'y'\n}\n".to_owned(),
        "module {".to_owned(),
    ];
    let mut ws = workspace();
    for (i, text) in texts.iter().chain(texts.iter().rev()).enumerate() {
        let path = ["/w/main.bicep", "/w/mod.bicep", "/w/loop.bicep"][i % 3];
        let _ = ws.links();
        ws.set_file(path, text.clone());
        let patched = links_of(&ws);
        ws.changed();
        assert_eq!(patched, links_of(&ws), "after {path} became {text:?}");
    }
}

/// After a caller drops its call, what it called before is stale too (it is now called
/// by nobody, or by others only); files the change never reached are not.
#[test]
fn stale_after_a_call_goes_away() {
    let mut ws = workspace();
    ws.set_file("/w/other.bicep", CALLER.to_owned());
    let graph = ws.link_graph();
    ws.set_file("/w/main.bicep", CALLEE.to_owned());
    let changed = ["/w/main.bicep".to_owned()];
    assert_eq!(
        ws.stale_after(&graph, &changed),
        ["/w/main.bicep", "/w/mod.bicep", "/w/other.bicep"]
    );
    // Gone altogether: the same.
    let graph = ws.link_graph();
    ws.remove_file("/w/other.bicep");
    assert_eq!(
        ws.stale_after(&graph, &["/w/other.bicep".to_owned()]),
        ["/w/mod.bicep"]
    );
    // A file with no links: itself.
    assert_eq!(
        ws.stale_after(&ws.link_graph(), &["/w/alone.bicep".to_owned()]),
        ["/w/alone.bicep"]
    );
}
