//! End-to-end tests of `mtlsguard server` (the real binary over stdio): the rule pages in
//! the editor. Hover on a finding shows its rule's page cut for a hover (Markdown, or plain
//! text for a client that only takes that); nothing elsewhere.

mod common;

use common::lsp::{APP_BICEP, Client, capabilities, range_of};
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
