//! The analyzer's hostile inputs through the language server (docs/hardening.md): each
//! opened as a document and reached by one `didChange` into a harmless one, both giving
//! the same diagnostics; then lone-`\r` files and a 60 MB `didChange`. One session, which
//! must keep its memory bounded and still answer a normal request at the end.
//!
//! `cargo test -p mtlsguard --test server_hostile_documents -- --nocapture` prints the
//! timings and the server's peak RSS.

mod common;

use std::time::Instant;

use common::abuse::{
    APP, DEPTH, MIB, comparable, ends_well, not_analyzed, peak_rss_kib, session, site_bicep,
    site_json,
};
use common::lsp::{Client, Doc, codes, lsp_range, position};
use serde_json::Value;

/// The finding next to a hostile value is reported, or "not analyzed": never a silent pass.
fn app_or_not_analyzed(diags: &[Value], what: &str) {
    let app = diags.iter().filter(|d| d["code"] == APP).count();
    assert!(app == 1 || not_analyzed(diags), "{what}: {diags:#?}");
}

fn too_large(diags: &[Value], what: &str) {
    assert_eq!(codes(diags), ["file-error"], "{what}: {diags:#?}");
    let message = diags[0]["message"].as_str().unwrap();
    assert!(message.contains("too large"), "{what}: {message}");
    assert_eq!(diags[0]["range"], lsp_range([[0, 0], [0, 0]]));
}

/// One hostile text, opened as a document and reached by `didChange` from a harmless one.
struct Hostile {
    name: &'static str,
    lang: &'static str,
    /// The harmless text the `didChange` path starts from.
    base: String,
    /// What replaces `from` in `base`.
    from: &'static str,
    to: String,
    expect: Expect,
}

#[derive(Clone, Copy, PartialEq)]
enum Expect {
    /// Exactly the one app-service finding.
    App,
    /// The finding or "not analyzed" (how far the parser gets in its time budget depends on
    /// the machine's load).
    AppOrNotAnalyzed,
    /// Whatever the result, both paths agree (as they must in every case).
    Same,
    TooLarge,
}

fn hostile_inputs() -> Vec<Hostile> {
    let b = site_bicep("1");
    let j = site_json("1");
    let deep = |open: &str, close: &str| format!("{}1{}", open.repeat(DEPTH), close.repeat(DEPTH));
    let line = "x".repeat(10 * MIB);
    // 50 MB of comment lines after the template (the finding is in the first bytes).
    let pad = |comment: &str| {
        let l = format!("{comment} {}\n", "p".repeat(100));
        l.repeat(50 * MIB / l.len() + 1)
    };
    let h = |name, lang, base: &String, from, to: String, expect| Hostile {
        name,
        lang,
        base: base.clone(),
        from,
        to,
        expect,
    };
    vec![
        h(
            "Bicep, 100,000 nested objects",
            "bicep",
            &b,
            "deep: 1",
            format!("deep: {}", deep("{ a: ", " }")),
            Expect::AppOrNotAnalyzed,
        ),
        h(
            "Bicep, 100,000 nested arrays",
            "bicep",
            &b,
            "deep: 1",
            format!("deep: {}", deep("[", "]")),
            Expect::AppOrNotAnalyzed,
        ),
        h(
            "Bicep, 100,000 unclosed parentheses",
            "bicep",
            &b,
            "deep: 1",
            format!("deep: {}", "(".repeat(DEPTH)),
            Expect::Same,
        ),
        h(
            "JSON, 100,000 nested objects",
            "json",
            &j,
            "\"deep\": 1",
            format!("\"deep\": {}", deep("{\"a\": ", "}")),
            Expect::AppOrNotAnalyzed,
        ),
        h(
            "JSON, 100,000 nested arrays",
            "json",
            &j,
            "\"deep\": 1",
            format!("\"deep\": {}", deep("[", "]")),
            Expect::AppOrNotAnalyzed,
        ),
        h(
            "JSON, 100,000 unclosed arrays",
            "json",
            &j,
            "\"deep\": 1",
            format!("\"deep\": {}", "[".repeat(DEPTH)),
            Expect::Same,
        ),
        h(
            "JSON, a 10 MB line",
            "json",
            &j,
            "\"deep\": 1",
            format!("\"deep\": \"{line}\""),
            Expect::App,
        ),
        h(
            "Bicep, a 10 MB line",
            "bicep",
            &b,
            "deep: 1",
            format!("deep: '{line}'"),
            Expect::App,
        ),
        h(
            "JSON, NUL bytes in a value",
            "json",
            &j,
            "\"deep\": 1",
            "\"deep\": \"a\0b\0\"".into(),
            Expect::App,
        ),
        h(
            "Bicep, NUL bytes",
            "bicep",
            &b,
            "deep: 1",
            "deep: 1\0\0".into(),
            Expect::Same,
        ),
        h(
            "Bicep, a BOM in the middle",
            "bicep",
            &b,
            "clientCertEnabled",
            "\u{feff}clientCertEnabled".into(),
            Expect::Same,
        ),
        h(
            "JSON, a BOM in the middle",
            "json",
            &j,
            "\"clientCertEnabled\"",
            "\u{feff}\"clientCertEnabled\"".into(),
            Expect::Same,
        ),
        h(
            "Bicep, 50 MB",
            "bicep",
            &b,
            "deep: 1\n  }\n}\n",
            format!("deep: 1\n  }}\n}}\n{}", pad("//")),
            Expect::TooLarge,
        ),
        h(
            "JSON, 50 MB",
            "json",
            &j,
            "  ]\n}\n",
            format!("  ]\n}}\n{}", pad("//")),
            Expect::TooLarge,
        ),
    ]
}

/// Every hostile input through `didOpen` and through `didChange` (one ranged edit into a
/// harmless document, then the edit undone).
fn hostile_documents(c: &mut Client) {
    for (i, h) in hostile_inputs().into_iter().enumerate() {
        let started = Instant::now();
        let text = h.base.replacen(h.from, &h.to, 1);
        assert_ne!(text, h.base);
        let ext = if h.lang == "bicep" { "bicep" } else { "json" };
        let opened_uri = format!("file:///w/hostile-open-{i}.{ext}");
        c.open(&opened_uri, h.lang, 2, &text);
        let opened = c.diagnostics(&opened_uri, Some(2));
        let open_time = started.elapsed();

        let mut doc = Doc::open(
            c,
            &format!("file:///w/hostile-change-{i}.{ext}"),
            h.lang,
            &h.base,
        );
        assert_eq!(codes(&doc.diagnostics(c)), [APP], "{}: the base", h.name);
        doc.replace(c, h.from, &h.to);
        assert_eq!(doc.text, text);
        let changed = doc.diagnostics(c);
        match h.expect {
            Expect::App => assert_eq!(codes(&opened), [APP], "{}", h.name),
            Expect::AppOrNotAnalyzed => {
                app_or_not_analyzed(&opened, h.name);
                app_or_not_analyzed(&changed, h.name);
            }
            Expect::Same => {}
            Expect::TooLarge => {
                too_large(&opened, h.name);
                // Fix-all, asked for by kind, must not try to parse it either.
                let actions =
                    c.code_actions(&opened_uri, [[0, 0], [0, 0]], Some(&["source.fixAll"]));
                assert!(actions.is_empty(), "{}: {actions:#?}", h.name);
                assert!(c.syntax_tree(&opened_uri).is_err(), "{}: no tree", h.name);
            }
        }
        // Where the parser stopped in its time budget may differ between the two.
        if !not_analyzed(&opened) && !not_analyzed(&changed) {
            assert_eq!(
                comparable(&changed, &doc.uri),
                comparable(&opened, &opened_uri),
                "{}: didChange and didOpen differ",
                h.name
            );
        }
        // Undone by an edit: back to the harmless document's one finding.
        let at = doc.text.find(&h.to).unwrap();
        doc.edit(c, at..at + h.to.len(), h.from);
        assert_eq!(codes(&doc.diagnostics(c)), [APP], "{}: undone", h.name);
        c.close(&opened_uri);
        c.close(&doc.uri);
        eprintln!(
            "  {}: {:?}; open {:.2} s, open + change + undo {:.2} s, peak RSS so far {} MiB",
            h.name,
            codes(&opened),
            open_time.as_secs_f64(),
            started.elapsed().as_secs_f64(),
            peak_rss_kib(c) / 1024
        );
    }

    // Lone `\r` line endings: the finding on the right line, before and after an edit.
    for (lang, text) in [("bicep", site_bicep("1")), ("json", site_json("1"))] {
        let text = text.replace('\n', "\r");
        let uri = format!("file:///w/lone-cr.{lang}");
        let mut doc = Doc::open(c, &uri, lang, &text);
        let line = |d: &Doc| {
            let at = d.text.find("clientCertEnabled").unwrap();
            position(&d.text, at, false).0
        };
        let diags = doc.diagnostics(c);
        assert_eq!(codes(&diags), [APP], "{lang}");
        let first = line(&doc);
        assert_eq!(diags[0]["range"]["start"]["line"], first, "{lang}");
        doc.edit(c, 0..0, "\r\r");
        let diags = doc.diagnostics(c);
        assert_eq!(line(&doc), first + 2, "{lang}");
        assert_eq!(diags[0]["range"]["start"]["line"], first + 2, "{lang}");
        c.close(&uri);
    }

    // A 60 MB message: a full-text change, then back.
    let uri = "file:///w/huge-change.bicep";
    let mut doc = Doc::open(c, uri, "bicep", &site_bicep("1"));
    assert_eq!(codes(&doc.diagnostics(c)), [APP]);
    let started = Instant::now();
    let huge = format!(
        "{}{}",
        site_bicep("1"),
        "// sixty megabytes\n".repeat(60 * MIB / 19)
    );
    doc.version += 1;
    c.change_full(uri, doc.version, &huge);
    too_large(&doc.diagnostics(c), "a 60 MB change");
    let huge_time = started.elapsed();
    doc.version += 1;
    c.change_full(uri, doc.version, &site_bicep("1"));
    assert_eq!(codes(&doc.diagnostics(c)), [APP]);
    eprintln!(
        "  a 60 MB didChange: {:.2} s, peak RSS {} MiB",
        huge_time.as_secs_f64(),
        peak_rss_kib(c) / 1024
    );
    c.close(uri);
}

#[test]
fn hostile_documents_through_open_and_change() {
    let started = Instant::now();
    let mut c = session();
    eprintln!(
        "hostile documents (didOpen and didChange), after initialize: peak RSS {} MiB",
        peak_rss_kib(&c) / 1024
    );
    hostile_documents(&mut c);
    ends_well(c, "hostile documents", started);
}
