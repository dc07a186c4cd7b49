//! End-to-end tests of `mtlsguard server` (the real binary over stdio, JSON-RPC by hand):
//! code actions. One quick fix per kind of edit (a value replaced, a property inserted
//! into CRLF JSON, an unsafe fix), suppressions, fix-all, rules without a fix, fixes
//! withheld in broken text. Fixes are applied as the server returned them and compared
//! with the analyzer's own fix of the same text: what each rule's fixes write is pinned by
//! the analyzer's fixture snapshots (crates/mtlsguard-analyzer/tests/fixtures.rs).

mod common;

use common::lsp::{
    APP_BICEP, Client, SCHEMA, apply_edits, capabilities, codes, edits_for, range_of, started,
    title,
};
use mtlsguard_analyzer::{Language, Settings, fix_until_stable};
use serde_json::{Value, json};

const APP: &str = "app-service-client-cert";

/// The text after the edits `action` makes to `uri` (UTF-16 positions).
fn applied(action: &Value, uri: &str, text: &str) -> String {
    let (edits, _) = edits_for(&action["edit"], uri);
    apply_edits(text, &edits, false)
}

/// The analyzer's own fix of `text`: every safe fix, and the unsafe ones if asked.
fn analyzer_fixed(language: Language, text: &str, unsafe_fixes: bool) -> String {
    fix_until_stable(language, text, &Settings::default(), unsafe_fixes).text
}

/// The action titled `wanted` among the code actions for `d`.
fn action(c: &mut Client, uri: &str, d: &Value, only: Option<&[&str]>, wanted: &str) -> Value {
    let actions = c.code_actions(uri, range_of(d), only);
    actions
        .iter()
        .find(|a| title(a) == wanted)
        .unwrap_or_else(|| panic!("no action {wanted:?} in {actions:#?}"))
        .clone()
}

/// Opens `text`, whose one fixable finding is of `rule`, and takes the quick fix titled
/// `fix_title`: the diagnostic names the fix, the action is a quick fix for that
/// diagnostic with the document's version, its edits give the analyzer's fix of the text,
/// and re-analysis of the result no longer reports the finding nor a syntax error.
fn quick_fix(uri: &str, language: Language, text: &str, rule: &str, fix_title: &str) {
    let language_id = match language {
        Language::Bicep => "bicep",
        _ => "json",
    };
    let mut c = started(false);
    c.open(uri, language_id, 1, text);
    let diags = c.diagnostics(uri, Some(1));
    let before = diags.iter().filter(|d| d["code"] == rule).count();
    let diag = diags
        .iter()
        .find(|d| d["code"] == rule)
        .unwrap_or_else(|| panic!("no {rule} in {diags:#?}"));
    assert_eq!(diag["data"]["fix"]["title"], fix_title, "{diag:#?}");
    let action = action(&mut c, uri, diag, Some(&["quickfix"]), fix_title);
    assert_eq!(action["kind"], "quickfix");
    assert_eq!(action["diagnostics"][0]["code"], rule);
    let (_, version) = edits_for(&action["edit"], uri);
    assert_eq!(version, Some(1), "documentChanges carry the version");
    let fixed = applied(&action, uri, text);
    assert_ne!(fixed, text);
    assert_eq!(fixed, analyzer_fixed(language, text, false));
    c.change_full(uri, 2, &fixed);
    let after = c.diagnostics(uri, Some(2));
    assert_eq!(
        after.iter().filter(|d| d["code"] == rule).count(),
        before - 1,
        "{after:#?}"
    );
    assert!(!codes(&after).contains(&"syntax-error".to_owned()));
    c.shutdown();
}

/// A value replaced in Bicep.
#[test]
fn quick_fix_replacing_a_value() {
    quick_fix(
        "file:///w/app.bicep",
        Language::Bicep,
        APP_BICEP,
        APP,
        "Set clientCertMode to 'Required'",
    );
}

/// A property inserted into CRLF JSON, after a member that then needs its comma: the
/// positions of an insertion at a line end, in UTF-16 with `\r\n` line breaks.
#[test]
fn quick_fix_inserting_a_property_into_crlf_json() {
    let text = format!(
        "{{\r\n  \"$schema\": \"{SCHEMA}\",\r\n  \"resources\": [\r\n    {{\r\n      \"type\": \"Microsoft.Web/sites\",\r\n      \"apiVersion\": \"2022-03-01\",\r\n      \"name\": \"app\",\r\n      \"properties\": {{\r\n        \"publicNetworkAccess\": \"Disabled\",\r\n        \"clientCertMode\": \"Required\"\r\n      }}\r\n    }}\r\n  ]\r\n}}\r\n"
    );
    quick_fix(
        "file:///w/app.json",
        Language::Json,
        &text,
        APP,
        "Add clientCertEnabled set to true",
    );
}

/// An unsafe fix is offered but not preferred; the related location is the `type` that
/// made the linked service sensitive.
#[test]
fn unsafe_quick_fix_is_not_preferred() {
    let text = "\
resource ls 'Microsoft.DataFactory/factories/linkedservices@2018-06-01' = {
  name: 'adf/web'
  properties: {
    type: 'Web'
    typeProperties: {
      url: 'https://internal.contoso.com'
      authenticationType: 'Anonymous'
    }
  }
}
";
    let mut c = started(false);
    let uri = "file:///w/adf.bicep";
    c.open(uri, "bicep", 1, text);
    let diags = c.diagnostics(uri, Some(1));
    let d = diags
        .iter()
        .find(|d| d["code"] == "data-factory-client-cert")
        .expect("finding");
    assert_eq!(d["data"]["fix"]["safe"], false, "{d:#?}");
    assert_eq!(d["relatedInformation"][0]["location"]["uri"], uri);
    assert_eq!(
        range_of(&d["relatedInformation"][0]["location"]),
        [[3, 4], [3, 15]]
    );
    let fix = action(
        &mut c,
        uri,
        d,
        None,
        "Set authenticationType to 'ClientCertificate'",
    );
    assert_eq!(fix.get("isPreferred"), None, "{fix:#?}");
    let fixed = applied(&fix, uri, text);
    assert_ne!(fixed, text);
    assert_eq!(fixed, analyzer_fixed(Language::Bicep, text, true));
    c.shutdown();
}

/// "Disable <rule> for this line" in Bicep (a new directive, then the rule appended to an
/// existing one) and in JSON: each applied as returned, on the version it was asked for,
/// silences its finding. The directive texts are pinned by `suppress.rs`'s unit tests.
#[test]
fn suppression_actions() {
    let text = "\
resource app 'Microsoft.Web/sites@2022-03-01' = {
  name: 'internal-api'
  properties: {
    publicNetworkAccess: 'Disabled'
    clientCertEnabled: false
    #disable-next-line BCP037
    clientCertMode: 'Optional'
  }
}
";
    let mut c = started(false);
    let uri = "file:///w/s.bicep";
    c.open(uri, "bicep", 1, text);
    let mut text = text.to_owned();
    let mut diags = c.diagnostics(uri, Some(1));
    assert_eq!(codes(&diags), [APP, APP]);
    for version in 2..=3 {
        let disable = format!("Disable {APP} for this line");
        let a = action(&mut c, uri, &diags[0], Some(&["quickfix"]), &disable);
        text = applied(&a, uri, &text);
        c.change_full(uri, version, &text);
        diags = c.diagnostics(uri, Some(version));
        assert_eq!(diags.len(), 3 - version as usize, "{text}\n{diags:#?}");
    }
    assert_eq!(text.matches("#disable-next-line").count(), 2, "{text}");
    assert!(
        text.contains(&format!("#disable-next-line BCP037 {APP}\n")),
        "{text}"
    );

    // JSON: the spec's comment; nothing to fix, so no fix-all either.
    let json_uri = "file:///w/s.json";
    let json_text = format!(
        "{{\n  \"$schema\": \"{SCHEMA}\",\n  \"resources\": [\n    {{\n      \"type\": \"Microsoft.DocumentDB/cassandraClusters\",\n      \"apiVersion\": \"2023-04-15\",\n      \"name\": \"c\",\n      \"properties\": {{}}\n    }}\n  ]\n}}\n"
    );
    c.open(json_uri, "json", 1, &json_text);
    let diags = c.diagnostics(json_uri, Some(1));
    assert_eq!(codes(&diags), ["cassandra-client-cert"]);
    let actions = c.code_actions(json_uri, range_of(&diags[0]), None);
    assert!(
        actions
            .iter()
            .all(|a| a["kind"] != "source.fixAll.mtlsguard"),
        "nothing to fix: {actions:#?}"
    );
    let a = action(
        &mut c,
        json_uri,
        &diags[0],
        None,
        "Disable cassandra-client-cert for this line",
    );
    let fixed = applied(&a, json_uri, &json_text);
    assert!(
        fixed.contains("// mtlsguard-disable-next-line cassandra-client-cert\n"),
        "{fixed}"
    );
    c.change_full(json_uri, 2, &fixed);
    assert_eq!(c.diagnostics(json_uri, Some(2)), Vec::<Value>::new());
    c.shutdown();
}

/// Fix-all applies every safe fix, in one minimal edit, as `changes` for a client without
/// `documentChanges`; the finding without a fix remains.
#[test]
fn fix_all_applies_every_safe_fix() {
    let text = "\
resource app 'Microsoft.Web/sites@2022-03-01' = {
  name: 'internal-api'
  properties: {
    publicNetworkAccess: 'Disabled'
    clientCertEnabled: false
  }
}

resource hostname 'Microsoft.ApiManagement/service/gateways/hostnameConfigurations@2023-05-01-preview' = {
  name: 'apim/gw/host'
  properties: {
    negotiateClientCertificate: false
  }
}

resource cassandra 'Microsoft.DocumentDB/cassandraClusters@2023-04-15' = {
  name: 'c'
  properties: {}
}
";
    let mut c = Client::spawn();
    // A client without documentChanges gets `changes`.
    let mut caps = capabilities(false);
    caps["workspace"]["workspaceEdit"]["documentChanges"] = json!(false);
    c.initialize(caps, Value::Null);
    let uri = "file:///w/all.bicep";
    c.open(uri, "bicep", 1, text);
    assert_eq!(c.diagnostics(uri, Some(1)).len(), 4);
    let actions = c.code_actions(uri, [[0, 0], [0, 0]], Some(&["source.fixAll"]));
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert_eq!(actions[0]["kind"], "source.fixAll.mtlsguard");
    assert!(actions[0]["edit"]["documentChanges"].is_null());
    let (edits, _) = edits_for(&actions[0]["edit"], uri);
    assert_eq!(edits.len(), 1, "one minimal edit");
    let fixed = apply_edits(text, &edits, false);
    assert_ne!(fixed, text);
    assert_eq!(fixed, analyzer_fixed(Language::Bicep, text, false));
    c.change_full(uri, 2, &fixed);
    assert_eq!(
        codes(&c.diagnostics(uri, Some(2))),
        ["cassandra-client-cert"]
    );
    c.shutdown();
}

#[test]
fn rules_without_a_fix_offer_only_the_suppression() {
    let text = "\
resource token 'Microsoft.ContainerRegistry/registries/tokens@2023-01-01-preview' = {
  name: 'acr/token'
  properties: {
    credentials: {
      certificates: []
    }
  }
}

resource sf 'Microsoft.ServiceFabric/clusters@2021-06-01' = {
  name: 'sf'
  properties: {}
}

resource cassandra 'Microsoft.DocumentDB/cassandraClusters@2023-04-15' = {
  name: 'c'
  properties: {
    clientCertificates: []
  }
}
";
    let mut c = started(true);
    let uri = "file:///w/rest.bicep";
    c.open(uri, "bicep", 1, text);
    let diags = c.diagnostics(uri, Some(1));
    let mut found = codes(&diags);
    found.dedup();
    assert_eq!(
        found,
        [
            "acr-token-client-cert",
            "service-fabric-client-cert",
            "cassandra-client-cert"
        ],
        "{diags:#?}"
    );
    // Rules without a fix offer only the suppression.
    for d in &diags {
        let actions = c.code_actions(uri, range_of(d), Some(&["quickfix"]));
        let titles: Vec<&str> = actions.iter().map(title).collect();
        assert!(
            titles.iter().all(|t| t.starts_with("Disable ")),
            "{titles:?}"
        );
        assert!(!titles.is_empty());
    }
    c.shutdown();
}

/// In a document with syntax errors, a quick fix is offered only when it keeps the
/// syntax: this fuzz-found text recovers into 34 syntax errors instead of 1 when its
/// unused directive's line is removed, so that removal is not offered.
#[test]
fn fixes_that_would_add_syntax_errors_are_not_offered() {
    use mtlsguard_analyzer::{Language, syntax_error_count};
    let data =
        std::fs::read(common::workspace().join(
            "crates/mtlsguard-analyzer/tests/fuzz-regressions/fixes-error-recovery-shifts.bin",
        ))
        .unwrap();
    let text = String::from_utf8_lossy(&data[1..]).into_owned();
    let before = syntax_error_count(Language::Json, &text);
    let mut c = started(true);
    let uri = "file:///w/recovery.json";
    c.open(uri, "json", 1, &text);
    let diags = c.diagnostics(uri, Some(1));
    let unused: Vec<&Value> = diags
        .iter()
        .filter(|d| d["code"] == "unused-suppression")
        .collect();
    assert!(!unused.is_empty(), "{diags:#?}");
    let mut withheld = 0;
    for d in unused {
        let actions = c.code_actions(uri, range_of(d), Some(&["quickfix"]));
        let removals: Vec<&Value> = actions
            .iter()
            .filter(|a| title(a).starts_with("Remove the unused suppression"))
            .collect();
        if removals.is_empty() {
            withheld += 1;
        }
        for a in removals {
            let (edits, _) = edits_for(&a["edit"], uri);
            let fixed = apply_edits(&text, &edits, true);
            assert!(
                syntax_error_count(Language::Json, &fixed) <= before,
                "{} adds syntax errors",
                title(a)
            );
        }
    }
    assert!(
        withheld > 0,
        "the removal that breaks the syntax was offered"
    );
    c.shutdown();
}
