//! End-to-end tests of `mtlsguard server`: the real binary over stdio, JSON-RPC by hand.

mod common;

use std::time::Duration;

use common::lsp::{Client, apply_edits, capabilities, edits_for, position};
use serde_json::{Value, json};

const SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";

fn started(utf8: bool) -> Client {
    let mut c = Client::spawn();
    c.initialize(capabilities(utf8), Value::Null);
    c
}

fn codes(diags: &[Value]) -> Vec<String> {
    diags
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn range_of(d: &Value) -> [[u32; 2]; 2] {
    let r = &d["range"];
    let p = |p: &Value| {
        [
            p["line"].as_u64().unwrap() as u32,
            p["character"].as_u64().unwrap() as u32,
        ]
    };
    [p(&r["start"]), p(&r["end"])]
}

fn title(a: &Value) -> &str {
    a["title"].as_str().unwrap_or_default()
}

/// Opens `text`, takes the quick fix titled `fix_title` for the first `rule` diagnostic,
/// applies it, and checks the result is `expected` and that re-analysis no longer reports
/// that finding. Returns the diagnostics of the fixed text.
fn quick_fix(
    uri: &str,
    lang: &str,
    text: &str,
    rule: &str,
    fix_title: &str,
    expected: &str,
) -> Vec<Value> {
    let mut c = started(false);
    c.open(uri, lang, 1, text);
    let diags = c.diagnostics(uri, Some(1));
    let before = diags.iter().filter(|d| d["code"] == rule).count();
    let diag = diags
        .iter()
        .find(|d| d["code"] == rule)
        .unwrap_or_else(|| panic!("no {rule} in {diags:#?}"));
    assert_eq!(diag["data"]["fix"]["title"], fix_title, "{diag:#?}");
    let actions = c.code_actions(uri, range_of(diag), Some(&["quickfix"]));
    let action = actions
        .iter()
        .find(|a| title(a) == fix_title)
        .unwrap_or_else(|| panic!("no action {fix_title:?} in {actions:#?}"));
    assert_eq!(action["kind"], "quickfix");
    assert_eq!(action["diagnostics"][0]["code"], rule);
    let (edits, version) = edits_for(&action["edit"], uri);
    assert_eq!(version, Some(1), "documentChanges carry the version");
    let fixed = apply_edits(text, &edits, false);
    assert_eq!(fixed, expected);
    c.change_full(uri, 2, &fixed);
    let after = c.diagnostics(uri, Some(2));
    assert_eq!(
        after.iter().filter(|d| d["code"] == rule).count(),
        before - 1,
        "{after:#?}"
    );
    assert!(!codes(&after).contains(&"syntax-error".to_owned()));
    c.shutdown();
    after
}

const APP_BICEP: &str = "\
resource app 'Microsoft.Web/sites@2022-03-01' = {
  name: 'internal-api'
  properties: {
    publicNetworkAccess: 'Disabled'
    clientCertEnabled: true
    clientCertMode: 'Optional'
  }
}
";

#[test]
fn open_change_close() {
    let mut c = started(false);
    let uri = "file:///w/app.bicep";
    c.open(uri, "bicep", 1, APP_BICEP);
    let diags = c.diagnostics(uri, Some(1));
    assert_eq!(codes(&diags), ["app-service-client-cert"]);
    let d = &diags[0];
    assert_eq!(d["source"], "mtlsguard");
    assert_eq!(d["severity"], 2);
    assert_eq!(range_of(d), [[5, 4], [5, 30]]);
    assert_eq!(
        d["codeDescription"]["href"],
        "https://github.com/mtlsguard/mtlsguard/blob/main/crates/mtlsguard-analyzer/src/rules/docs/app-service-client-cert.md"
    );
    assert!(
        d["message"].as_str().unwrap().contains("'Required'"),
        "{d:#?}"
    );
    assert_eq!(d["data"]["rule"], "app-service-client-cert");
    assert_eq!(d["data"]["version"], 1);
    assert_eq!(d["data"]["fix"]["safe"], true);

    // Incremental: replace 'Optional' with 'Required' (line 5, columns 20..30).
    c.change(uri, 2, [[5, 20], [5, 30]], "'Required'");
    assert_eq!(c.diagnostics(uri, Some(2)), Vec::<Value>::new());
    // Break it again with a disabled cert, then close: diagnostics are cleared.
    c.change(uri, 3, [[4, 23], [4, 27]], "false");
    assert_eq!(
        codes(&c.diagnostics(uri, Some(3))),
        ["app-service-client-cert"]
    );
    c.close(uri);
    assert_eq!(c.diagnostics(uri, None), Vec::<Value>::new());
    // A change to the closed document is ignored (logged), not a crash.
    c.change(uri, 4, [[0, 0], [0, 0]], "x");
    c.open(uri, "bicep", 5, APP_BICEP);
    assert_eq!(
        codes(&c.diagnostics(uri, Some(5))),
        ["app-service-client-cert"]
    );
    assert!(c.shutdown().success());
}

#[test]
fn other_documents_get_nothing_and_json_is_decided_on_every_change() {
    let mut c = started(true);
    c.open(
        "file:///w/readme.md",
        "markdown",
        1,
        "clientCertEnabled: false",
    );
    c.change("file:///w/readme.md", 2, [[0, 0], [0, 0]], "x");
    let uri = "file:///w/t.json";
    let arm = format!(
        "{{\n  \"$schema\": \"{SCHEMA}\",\n  \"resources\": [\n    {{\n      \"type\": \"Microsoft.ApiManagement/service/gateways/hostnameConfigurations\",\n      \"apiVersion\": \"2023-05-01-preview\",\n      \"name\": \"a/b/c\",\n      \"properties\": {{ \"negotiateClientCertificate\": false }}\n    }}\n  ]\n}}\n"
    );
    let not_arm = arm.replace("$schema", "$schemx");
    c.open(uri, "json", 1, &not_arm);
    assert_eq!(c.diagnostics(uri, Some(1)), Vec::<Value>::new());
    c.change(uri, 2, [[1, 9], [1, 10]], "a");
    assert_eq!(codes(&c.diagnostics(uri, Some(2))), ["apim-client-cert"]);
    c.change(uri, 3, [[1, 9], [1, 10]], "x");
    assert_eq!(c.diagnostics(uri, Some(3)), Vec::<Value>::new());
    // Nothing was ever published for the markdown file.
    assert!(
        !c.notifications
            .iter()
            .any(|n| n["params"]["uri"] == "file:///w/readme.md"),
        "{:#?}",
        c.notifications
    );
    let err = c.syntax_tree("file:///w/readme.md").unwrap_err();
    assert_eq!(err["code"], -32602);
    assert!(c.shutdown().success());
}

#[test]
fn app_service_bicep_quick_fix() {
    quick_fix(
        "file:///w/app.bicep",
        "bicep",
        APP_BICEP,
        "app-service-client-cert",
        "Set clientCertMode to 'Required'",
        &APP_BICEP.replace("'Optional'", "'Required'"),
    );
}

#[test]
fn app_service_json_quick_fix_inserts_with_a_valid_comma() {
    let text = format!(
        "{{\r\n  \"$schema\": \"{SCHEMA}\",\r\n  \"resources\": [\r\n    {{\r\n      \"type\": \"Microsoft.Web/sites\",\r\n      \"apiVersion\": \"2022-03-01\",\r\n      \"name\": \"app\",\r\n      \"properties\": {{\r\n        \"publicNetworkAccess\": \"Disabled\",\r\n        \"clientCertMode\": \"Required\"\r\n      }}\r\n    }}\r\n  ]\r\n}}\r\n"
    );
    let expected = text.replace(
        "\"clientCertMode\": \"Required\"\r\n",
        "\"clientCertMode\": \"Required\",\r\n        \"clientCertEnabled\": true\r\n",
    );
    quick_fix(
        "file:///w/app.json",
        "json",
        &text,
        "app-service-client-cert",
        "Add clientCertEnabled set to true",
        &expected,
    );
}

#[test]
fn signalr_quick_fix_creates_tls() {
    let text = "\
resource signalr 'Microsoft.SignalRService/signalR@2023-02-01' = {
  name: 'hub'
  location: 'westeurope'
  properties: {
    publicNetworkAccess: 'Disabled'
  }
}
";
    let expected = text.replace(
        "    publicNetworkAccess: 'Disabled'\n",
        "    publicNetworkAccess: 'Disabled'\n    tls: {\n      clientCertEnabled: true\n    }\n",
    );
    quick_fix(
        "file:///w/signalr.bicep",
        "bicep",
        text,
        "signalr-client-cert",
        "Add clientCertEnabled set to true",
        &expected,
    );
}

#[test]
fn container_apps_quick_fix() {
    let text = "\
resource app 'Microsoft.App/containerApps@2023-05-01' = {
  name: 'internal'
  properties: {
    configuration: {
      ingress: {
        external: false
        targetPort: 8080
      }
    }
  }
}
";
    let expected = text.replace(
        "        targetPort: 8080\n",
        "        targetPort: 8080\n        clientCertificateMode: 'require'\n",
    );
    quick_fix(
        "file:///w/aca.bicep",
        "bicep",
        text,
        "container-apps-client-cert",
        "Add clientCertificateMode set to 'require'",
        &expected,
    );
}

#[test]
fn apim_quick_fix() {
    let text = "\
resource hostname 'Microsoft.ApiManagement/service/gateways/hostnameConfigurations@2023-05-01-preview' = {
  name: 'apim/gw/host'
  properties: {
    hostname: 'api.contoso.com'
    negotiateClientCertificate: false
  }
}
";
    quick_fix(
        "file:///w/apim.bicep",
        "bicep",
        text,
        "apim-client-cert",
        "Set negotiateClientCertificate to true",
        &text.replace(
            "negotiateClientCertificate: false",
            "negotiateClientCertificate: true",
        ),
    );
}

#[test]
fn data_factory_quick_fix_is_not_preferred() {
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
    // The related location: the `type` that made the linked service sensitive.
    assert_eq!(d["relatedInformation"][0]["location"]["uri"], uri);
    assert_eq!(
        range_of(&d["relatedInformation"][0]["location"]),
        [[3, 4], [3, 15]]
    );
    let actions = c.code_actions(uri, range_of(d), None);
    let fix = actions
        .iter()
        .find(|a| title(a) == "Set authenticationType to 'ClientCertificate'")
        .expect("fix");
    assert_eq!(fix.get("isPreferred"), None, "{fix:#?}");
    let (edits, _) = edits_for(&fix["edit"], uri);
    assert_eq!(
        apply_edits(text, &edits, false),
        text.replace("'Anonymous'", "'ClientCertificate'")
    );
    c.shutdown();
}

#[test]
fn suppression_actions() {
    // Bicep: a new directive with the line's indentation, then appended to it.
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
    let diags = c.diagnostics(uri, Some(1));
    assert_eq!(
        codes(&diags),
        ["app-service-client-cert", "app-service-client-cert"]
    );
    for (i, d) in diags.iter().enumerate() {
        let actions = c.code_actions(uri, range_of(d), Some(&["quickfix"]));
        let a = actions
            .iter()
            .find(|a| title(a) == "Disable app-service-client-cert for this line")
            .expect("suppression action");
        // Both findings were computed on version 1; apply on the original, one at a time.
        let (edits, _) = edits_for(&a["edit"], uri);
        let applied = apply_edits(text, &edits, false);
        if i == 0 {
            assert_eq!(
                applied,
                text.replace(
                    "    clientCertEnabled",
                    "    #disable-next-line app-service-client-cert\n    clientCertEnabled"
                )
            );
        } else {
            assert_eq!(
                applied,
                text.replace("BCP037", "BCP037 app-service-client-cert")
            );
        }
    }
    let expected = text
        .replace(
            "    clientCertEnabled",
            "    #disable-next-line app-service-client-cert\n    clientCertEnabled",
        )
        .replace("BCP037", "BCP037 app-service-client-cert");
    c.change_full(uri, 2, &expected);
    assert_eq!(c.diagnostics(uri, Some(2)), Vec::<Value>::new());

    // JSON: the spec's comment.
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
    let a = actions
        .iter()
        .find(|a| title(a) == "Disable cassandra-client-cert for this line")
        .expect("action");
    let (edits, _) = edits_for(&a["edit"], json_uri);
    let fixed = apply_edits(&json_text, &edits, false);
    assert_eq!(
        fixed,
        json_text.replace(
            "      \"type\": \"Microsoft.DocumentDB",
            "      // mtlsguard-disable-next-line cassandra-client-cert\n      \"type\": \"Microsoft.DocumentDB"
        )
    );
    c.change_full(json_uri, 2, &fixed);
    assert_eq!(c.diagnostics(json_uri, Some(2)), Vec::<Value>::new());
    c.shutdown();
}

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
    let expected = text
        .replace(
            "clientCertEnabled: false\n",
            "clientCertEnabled: false\n    clientCertMode: 'Required'\n",
        )
        .replace("clientCertEnabled: false", "clientCertEnabled: true")
        .replace(
            "negotiateClientCertificate: false",
            "negotiateClientCertificate: true",
        );
    assert_eq!(fixed, expected);
    c.change_full(uri, 2, &fixed);
    assert_eq!(
        codes(&c.diagnostics(uri, Some(2))),
        ["cassandra-client-cert"]
    );
    c.shutdown();
}

#[test]
fn columns_in_utf8_and_utf16() {
    let text = "\
resource app 'Microsoft.Web/sites@2022-03-01' = {
  name: 'internal-api'
  properties: {
    publicNetworkAccess: 'Disabled'
    clientCertMode: 'Required'
    /* é中😀e\u{301} */ clientCertEnabled: false
  }
}
";
    let start = text.find("clientCertEnabled").unwrap();
    let end = text.find("false\n").unwrap() + 5;
    for utf8 in [true, false] {
        let mut c = Client::spawn();
        let init = c.initialize(capabilities(utf8), Value::Null);
        assert_eq!(
            init["capabilities"]["positionEncoding"],
            if utf8 { "utf-8" } else { "utf-16" }
        );
        let uri = "file:///w/utf.bicep";
        c.open(uri, "bicep", 1, text);
        let diags = c.diagnostics(uri, Some(1));
        assert_eq!(diags.len(), 1);
        let (l1, c1) = position(text, start, utf8);
        let (l2, c2) = position(text, end, utf8);
        assert_eq!(
            range_of(&diags[0]),
            [[l1 as u32, c1 as u32], [l2 as u32, c2 as u32]],
            "utf8={utf8}"
        );
        // UTF-8 columns are bytes: 4 spaces + "/* " + é(2) 中(3) 😀(4) e(1) U+0301(2) + " */ "
        let expected_col = if utf8 {
            4 + 3 + 2 + 3 + 4 + 1 + 2 + 4
        } else {
            4 + 3 + 1 + 1 + 2 + 1 + 1 + 4
        };
        assert_eq!(c1, expected_col);
        // An incremental edit using the same encoding: replace `false` by `true`.
        c.change(
            uri,
            2,
            [[l2 as u32, c2 as u32 - 5], [l2 as u32, c2 as u32]],
            "true",
        );
        assert_eq!(c.diagnostics(uri, Some(2)), Vec::<Value>::new());
        // Insert an emoji before the property: the next finding moves by its width.
        c.change(
            uri,
            3,
            [[l1 as u32, c1 as u32 - 4], [l1 as u32, c1 as u32 + 23]],
            "😀 */ clientCertEnabled: false",
        );
        let d = c.diagnostics(uri, Some(3));
        let width = if utf8 { 4 } else { 2 };
        assert_eq!(
            range_of(&d[0])[0],
            [l1 as u32, c1 as u32 - 4 + width + 4],
            "utf8={utf8}: {d:#?}"
        );
        // Positions inside the emoji or past the line end are clamped, not a crash.
        c.change(uri, 4, [[l1 as u32, 9], [l1 as u32, 9]], "");
        c.change(uri, 5, [[l1 as u32, 999], [l1 as u32, 999]], " ");
        assert_eq!(c.diagnostics(uri, Some(5)).len(), 1);
        c.shutdown();
    }
}

/// A small deterministic generator (no dependency needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A position in `text` as the test's `[line, character]` (UTF-16).
fn pos(text: &str, byte: usize) -> [u32; 2] {
    let (l, c) = position(text, byte, false);
    [l as u32, c as u32]
}

#[test]
fn five_hundred_edits_without_waiting_match_a_fresh_open() {
    // A typing session: typos (a character typed and deleted again) anywhere, a line
    // deleted character by character and a new one typed, with non-ASCII text, through
    // many unparsable intermediate states. Sent without waiting for anything.
    let base = format!(
        "{APP_BICEP}\n{}",
        APP_BICEP
            .replace("resource app", "resource app2")
            .replace("true", "false")
    );
    let uri = "file:///w/many.bicep";
    let mut c = started(false);
    c.open(uri, "bicep", 1, &base);
    let mut text = base.clone();
    let version = std::cell::Cell::new(1);
    let send = |c: &mut Client, text: &mut String, at: std::ops::Range<usize>, insert: &str| {
        version.set(version.get() + 1);
        let range = [pos(text, at.start), pos(text, at.end)];
        text.replace_range(at, insert);
        c.change(uri, version.get(), range, insert);
    };
    let mut rng = Lcg(7);
    let alphabet: Vec<char> = "abc :'{}\n=é😀中\t".chars().collect();
    // Delete the `clientCertMode: 'Optional'` line of the first resource from its end.
    let line_start = text.find("    clientCertMode").unwrap();
    let line_end = line_start + text[line_start..].find('\n').unwrap();
    let mut end = line_end;
    while end > line_start {
        let ch = text[..end].chars().next_back().unwrap();
        send(&mut c, &mut text, end - ch.len_utf8()..end, "");
        end -= ch.len_utf8();
    }
    // Type a new one, with a comment in several scripts.
    for ch in "    clientCertMode: 'OptionalInteractiveUser' // é中😀 e\u{301}".chars() {
        send(&mut c, &mut text, end..end, &ch.to_string());
        end += ch.len_utf8();
    }
    // Typos until 500 edits have been sent (pairs; first one replacing a character by itself).
    if (501 - version.get()) % 2 == 1 {
        send(&mut c, &mut text, 0..1, "r");
    }
    while version.get() < 501 {
        let chars: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        let at = chars[rng.below(chars.len())];
        let ch = alphabet[rng.below(alphabet.len())];
        send(&mut c, &mut text, at..at, &ch.to_string());
        send(&mut c, &mut text, at..at + ch.len_utf8(), "");
    }
    assert_eq!(version.get(), 501);
    let expected_text = base.replacen(
        "    clientCertMode: 'Optional'",
        "    clientCertMode: 'OptionalInteractiveUser' // é中😀 e\u{301}",
        1,
    );
    assert_eq!(text, expected_text);
    let incremental = c.diagnostics(uri, Some(501));
    let tree = c.syntax_tree(uri).expect("syntax tree");
    assert!(c.shutdown().success());
    assert!(tree.starts_with("infrastructure 0.."), "{tree}");
    assert_eq!(codes(&incremental).len(), 3, "{incremental:#?}");

    let mut fresh = started(false);
    fresh.open(uri, "bicep", 501, &text);
    assert_eq!(incremental, fresh.diagnostics(uri, Some(501)));
    assert_eq!(tree, fresh.syntax_tree(uri).expect("syntax tree"));
    fresh.shutdown();
}

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
fn every_rule_reports_through_the_server() {
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

#[test]
fn several_changes_in_one_notification_apply_in_order() {
    let mut c = started(false);
    let uri = "file:///w/multi.bicep";
    c.open(uri, "bicep", 1, APP_BICEP);
    assert_eq!(c.diagnostics(uri, Some(1)).len(), 1);
    // Like a multi-cursor edit: each range refers to the text after the previous change.
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [
                { "range": common::lsp::lsp_range([[5, 20], [5, 30]]), "text": "'Required'" },
                { "range": common::lsp::lsp_range([[0, 0], [0, 0]]), "text": "// 😀\n" },
                { "range": common::lsp::lsp_range([[5, 23], [5, 27]]), "text": "false" },
            ],
        }),
    );
    let diags = c.diagnostics(uri, Some(2));
    assert_eq!(codes(&diags), ["app-service-client-cert"]);
    assert_eq!(range_of(&diags[0]), [[5, 4], [5, 28]], "{diags:#?}");
    let mut fresh = started(false);
    let expected = format!(
        "// 😀\n{}",
        APP_BICEP
            .replace("'Optional'", "'Required'")
            .replace("true", "false")
    );
    fresh.open(uri, "bicep", 2, &expected);
    assert_eq!(diags, fresh.diagnostics(uri, Some(2)));
    assert_eq!(c.syntax_tree(uri).unwrap(), fresh.syntax_tree(uri).unwrap());
    c.shutdown();
    fresh.shutdown();
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
