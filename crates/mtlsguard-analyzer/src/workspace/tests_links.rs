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
    // A module calling itself is linked: its cycle is reported.
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
    // Its caller still names it: linked, for its `unresolved-reference`.
    assert!(ws.linked().contains("/w/main.bicep"));
    assert!(!ws.linked().contains("/w/mod.bicep"));
}
