//! End-to-end tests of `mtlsguard server` (the real binary over stdio, JSON-RPC by hand):
//! document sync, which documents are analyzed, position encodings, and edits applied in
//! order, checked against a fresh open of the text the test's own model holds.

mod common;

use common::lsp::{
    APP_BICEP, Client, Doc, SCHEMA, apply_edits, capabilities, codes, lsp_range, position,
    range_of, started,
};
use serde_json::{Value, json};

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
        concat!(
            env!("CARGO_PKG_REPOSITORY"),
            "/blob/main/crates/mtlsguard-analyzer/src/rules/docs/app-service-client-cert.md"
        )
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

#[test]
fn several_changes_in_one_notification_apply_in_order() {
    let mut c = started(false);
    let uri = "file:///w/multi.bicep";
    c.open(uri, "bicep", 1, APP_BICEP);
    assert_eq!(c.diagnostics(uri, Some(1)).len(), 1);
    // Like a multi-cursor edit: each range refers to the text after the previous change.
    let changes = [
        ([[5, 20], [5, 30]], "'Required'"),
        ([[0, 0], [0, 0]], "// 😀\n"),
        ([[5, 23], [5, 27]], "false"),
    ];
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": changes
                .iter()
                .map(|(range, text)| json!({ "range": lsp_range(*range), "text": text }))
                .collect::<Vec<_>>(),
        }),
    );
    let diags = c.diagnostics(uri, Some(2));
    assert_eq!(codes(&diags), ["app-service-client-cert"]);
    assert_eq!(range_of(&diags[0]), [[5, 4], [5, 28]], "{diags:#?}");
    // The same changes applied one after the other, as edits of the text before each.
    let expected = changes
        .iter()
        .fold(APP_BICEP.to_owned(), |text, (range, new)| {
            let edit = json!({ "range": lsp_range(*range), "newText": new });
            apply_edits(&text, &[edit], false)
        });
    assert!(expected.starts_with("// 😀\n"), "{expected}");
    let mut fresh = started(false);
    fresh.open(uri, "bicep", 2, &expected);
    assert_eq!(diags, fresh.diagnostics(uri, Some(2)));
    assert_eq!(c.syntax_tree(uri).unwrap(), fresh.syntax_tree(uri).unwrap());
    c.shutdown();
    fresh.shutdown();
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
    let mut c = started(false);
    let mut doc = Doc::open(&mut c, "file:///w/many.bicep", "bicep", &base);
    let uri = &doc.uri.clone();
    let mut rng = Lcg(7);
    let alphabet: Vec<char> = "abc :'{}\n=é😀中\t".chars().collect();
    // Delete the `clientCertMode: 'Optional'` line of the first resource from its end.
    let line_start = doc.text.find("    clientCertMode").unwrap();
    let line_end = line_start + doc.text[line_start..].find('\n').unwrap();
    let mut end = line_end;
    while end > line_start {
        let ch = doc.text[..end].chars().next_back().unwrap();
        doc.edit(&mut c, end - ch.len_utf8()..end, "");
        end -= ch.len_utf8();
    }
    // Type a new one, with a comment in several scripts.
    for ch in "    clientCertMode: 'OptionalInteractiveUser' // é中😀 e\u{301}".chars() {
        doc.edit(&mut c, end..end, &ch.to_string());
        end += ch.len_utf8();
    }
    // Typos until 500 edits have been sent (pairs; first one replacing a character by itself).
    if (501 - doc.version) % 2 == 1 {
        doc.edit(&mut c, 0..1, "r");
    }
    while doc.version < 501 {
        let chars: Vec<usize> = doc.text.char_indices().map(|(i, _)| i).collect();
        let at = chars[rng.below(chars.len())];
        let ch = alphabet[rng.below(alphabet.len())];
        doc.edit(&mut c, at..at, &ch.to_string());
        doc.edit(&mut c, at..at + ch.len_utf8(), "");
    }
    assert_eq!(doc.version, 501);
    let expected_text = base.replacen(
        "    clientCertMode: 'Optional'",
        "    clientCertMode: 'OptionalInteractiveUser' // é中😀 e\u{301}",
        1,
    );
    assert_eq!(doc.text, expected_text);
    let incremental = c.diagnostics(uri, Some(501));
    let tree = c.syntax_tree(uri).expect("syntax tree");
    assert!(c.shutdown().success());
    assert!(tree.starts_with("infrastructure 0.."), "{tree}");
    assert_eq!(codes(&incremental).len(), 3, "{incremental:#?}");

    let mut fresh = started(false);
    fresh.open(uri, "bicep", 501, &doc.text);
    assert_eq!(incremental, fresh.diagnostics(uri, Some(501)));
    assert_eq!(tree, fresh.syntax_tree(uri).expect("syntax tree"));
    fresh.shutdown();
}
