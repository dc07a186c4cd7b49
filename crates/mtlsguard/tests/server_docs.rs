//! End-to-end tests of `mtlsguard server` (the real binary over stdio): the rule pages in
//! the editor. Hover on a finding shows its rule's page cut for a hover (Markdown, or plain
//! text for a client that only takes that); nothing elsewhere. The code action "Show
//! documentation" runs `mtlsguard.showRuleDocs`, which opens the page as a file
//! (`window/showDocument`) or, for a client that cannot, sends it as a message.

mod common;

use std::time::Duration;

use common::lsp::{APP_BICEP, Client, capabilities, range_of, started};
use serde_json::{Value, json};

/// [`capabilities`] with the hover formats the client lists.
fn with_hover(formats: &[&str]) -> Value {
    let mut caps = capabilities(false);
    caps["textDocument"]["hover"] = json!({ "contentFormat": formats });
    caps
}

fn hover(c: &mut Client, uri: &str, line: u32, character: u32) -> Value {
    c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }),
    )
    .expect("hover succeeds")
}

#[test]
fn hover_on_a_finding_shows_its_rule_page() {
    let mut c = Client::spawn();
    let init = c.initialize(with_hover(&["markdown", "plaintext"]), Value::Null);
    assert_eq!(init["capabilities"]["hoverProvider"], true, "{init:#}");
    let uri = "file:///w/app.bicep";
    c.open(uri, "bicep", 1, APP_BICEP);
    let diags = c.diagnostics(uri, Some(1));
    assert_eq!(range_of(&diags[0]), [[5, 4], [5, 30]]);

    let h = hover(&mut c, uri, 5, 10);
    assert_eq!(h["contents"]["kind"], "markdown", "{h:#}");
    assert_eq!(range_of(&h), [[5, 4], [5, 30]]);
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(
        md.starts_with("### app-service-client-cert\n\nApp Service apps and slots"),
        "{md}"
    );
    for part in [
        "#### Why is this an issue?",
        "#### How to fix",
        "#### How to suppress",
        "#disable-next-line app-service-client-cert",
    ] {
        assert!(md.contains(part), "{part:?} missing from {md}");
    }
    assert!(!md.contains("Noncompliant code example"), "{md}");

    // Outside every finding: no hover.
    assert_eq!(hover(&mut c, uri, 0, 3), Value::Null);
    assert_eq!(hover(&mut c, uri, 7, 0), Value::Null);
    // A document that is not open: no hover either.
    assert_eq!(hover(&mut c, "file:///w/closed.bicep", 0, 0), Value::Null);
    c.shutdown();
}

#[test]
fn plaintext_hover_for_a_plaintext_client() {
    let mut c = Client::spawn();
    c.initialize(with_hover(&["plaintext"]), Value::Null);
    let uri = "file:///w/app.bicep";
    c.open(uri, "bicep", 1, APP_BICEP);
    c.diagnostics(uri, Some(1));
    let h = hover(&mut c, uri, 5, 4);
    assert_eq!(h["contents"]["kind"], "plaintext", "{h:#}");
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(text.starts_with("app-service-client-cert\n\n"), "{text}");
    assert!(text.contains("\nWhy is this an issue?\n"), "{text}");
    assert!(!text.contains("```") && !text.contains("###"), "{text}");
    c.shutdown();
}

/// Where findings of two rules meet (a finding and the syntax error right after it), one
/// section each; two findings of one rule (both missing properties of a site) share one.
#[test]
fn several_findings_at_the_position() {
    let mut c = Client::spawn();
    c.initialize(
        with_hover(&["markdown"]),
        json!({ "showSyntaxErrors": true }),
    );
    let uri = "file:///w/two.bicep";
    let text = APP_BICEP.replace("'Optional'", "'Optional'?");
    c.open(uri, "bicep", 1, &text);
    c.diagnostics(uri, Some(1));
    let h = hover(&mut c, uri, 5, 30);
    let md = h["contents"]["value"].as_str().unwrap();
    let a = md.find("### app-service-client-cert").expect(md);
    let b = md.find("### syntax-error").expect(md);
    assert!(a < b && md[a..b].contains("\n---\n"), "{md}");

    let uri = "file:///w/missing.bicep";
    let text = APP_BICEP
        .replace("    clientCertEnabled: true\n", "")
        .replace("    clientCertMode: 'Optional'\n", "");
    c.open(uri, "bicep", 1, &text);
    let diags = c.diagnostics(uri, Some(1));
    assert_eq!(diags.len(), 2, "{diags:#?}");
    assert_eq!(range_of(&diags[0]), range_of(&diags[1]));
    let [[line, character], _] = range_of(&diags[0]);
    let h = hover(&mut c, uri, line, character + 1);
    let md = h["contents"]["value"].as_str().unwrap();
    assert_eq!(md.matches("### app-service-client-cert").count(), 1, "{md}");
    c.shutdown();
}

const APP: &str = "app-service-client-cert";

fn docs_action(c: &mut Client, uri: &str, only: Option<&[&str]>) -> Option<Value> {
    c.code_actions(uri, [[5, 4], [5, 30]], only)
        .into_iter()
        .find(|a| a["title"] == format!("Show documentation for {APP}"))
}

fn run_command(c: &mut Client, args: Value) -> Result<Value, Value> {
    c.request(
        "workspace/executeCommand",
        json!({ "command": "mtlsguard.showRuleDocs", "arguments": args }),
    )
}

#[test]
fn code_action_shows_the_rule_page() {
    let mut c = started(false);
    let uri = "file:///w/app.bicep";
    c.open(uri, "bicep", 1, APP_BICEP);
    c.diagnostics(uri, Some(1));
    let action = docs_action(&mut c, uri, None).expect("a documentation action");
    assert_eq!(action["command"]["command"], "mtlsguard.showRuleDocs");
    assert_eq!(action["command"]["arguments"], json!([APP]));
    assert_eq!(action["diagnostics"][0]["code"], APP);
    assert!(action.get("kind").is_none() && action.get("edit").is_none());
    // Not a quick fix: a client asking for those does not get it.
    assert!(docs_action(&mut c, uri, Some(&["quickfix"])).is_none());
    // Nothing under the cursor, no documentation.
    let elsewhere = c.code_actions(uri, [[0, 0], [0, 3]], None);
    assert!(elsewhere.is_empty(), "{elsewhere:#?}");
    c.shutdown();
}

#[test]
fn command_opens_the_page_with_show_document() {
    let cache = tempfile::tempdir().unwrap();
    let mut c = Client::spawn_with_env(&[("XDG_CACHE_HOME", cache.path().to_str().unwrap())]);
    let mut caps = capabilities(false);
    caps["window"] = json!({ "showDocument": { "support": true } });
    let init = c.initialize(caps, Value::Null);
    let commands = &init["capabilities"]["executeCommandProvider"]["commands"];
    assert!(
        commands
            .as_array()
            .unwrap()
            .contains(&json!("mtlsguard.showRuleDocs")),
        "{commands}"
    );
    assert_eq!(run_command(&mut c, json!([APP])), Ok(Value::Null));
    let show = c.wait_for("window/showDocument", |m| {
        m["method"] == "window/showDocument"
    });
    let page = cache
        .path()
        .join("mtlsguard/rules")
        .join(format!("{APP}.md"));
    let uri = show["params"]["uri"].as_str().unwrap();
    assert_eq!(uri, format!("file://{}", page.display()));
    assert_eq!(show["params"]["takeFocus"], true);
    let docs = mtlsguard_analyzer::rule(APP).unwrap().docs;
    assert_eq!(std::fs::read_to_string(&page).unwrap(), docs);
    // The `{ "rule": ... }` form too; no message when the page was shown.
    assert_eq!(
        run_command(&mut c, json!([{ "rule": APP }])),
        Ok(Value::Null)
    );
    c.wait_for("a second window/showDocument", |m| {
        m["method"] == "window/showDocument"
    });
    let rest = c.drain(Duration::from_millis(200));
    assert!(
        !rest.iter().any(|m| m["method"] == "window/showMessage"),
        "{rest:#?}"
    );
    c.shutdown();
}

#[test]
fn command_without_show_document_sends_the_page_as_a_message() {
    let mut c = started(false);
    let docs = mtlsguard_analyzer::rule(APP).unwrap().docs;
    assert_eq!(run_command(&mut c, json!([APP])), Ok(json!(docs)));
    let msg = c.wait_for("window/showMessage", |m| {
        m["method"] == "window/showMessage"
    });
    assert_eq!(msg["params"]["type"], 3, "Info");
    assert_eq!(msg["params"]["message"], docs);
    c.shutdown();
}

#[test]
fn command_with_bad_arguments_is_a_clear_error() {
    let mut c = started(false);
    for (args, wanted) in [
        (json!([]), "takes a rule id as its argument"),
        (json!([42]), "got 42"),
        (json!(["no-such-rule"]), "unknown rule \"no-such-rule\""),
    ] {
        let err = run_command(&mut c, args).unwrap_err();
        assert_eq!(err["code"], -32602, "{err}");
        let message = err["message"].as_str().unwrap();
        assert!(message.contains(wanted), "{message}");
    }
    c.shutdown();
}
