//! Incremental analysis must equal a fresh analysis of the same text, whatever the edits.

use std::path::Path;

use mtlsguard_analyzer::{Analyzer, Document, Finding, Language, Settings, analyze, parse};
use proptest::prelude::*;
use tree_sitter::{InputEdit, Point, Tree};

fn point(text: &str, at: usize) -> Point {
    let before = &text[..at];
    let row = before.matches('\n').count();
    let column = at - before.rfind('\n').map_or(0, |i| i + 1);
    Point { row, column }
}

/// Replaces `range` of `text` by `new`, editing `tree` to match (as the server does).
fn edit(text: &mut String, tree: &mut Tree, start: usize, old_end: usize, new: &str) {
    let start_position = point(text, start);
    let old_end_position = point(text, old_end);
    text.replace_range(start..old_end, new);
    let new_end = start + new.len();
    tree.edit(&InputEdit {
        start_byte: start,
        old_end_byte: old_end,
        new_end_byte: new_end,
        start_position,
        old_end_position,
        new_end_position: point(text, new_end),
    });
}

fn fresh(lang: Language, text: &str, settings: &Settings) -> Vec<Finding> {
    let tree = parse(lang, text, None);
    analyze(&Document::new(lang, text, &tree), settings)
}

fn sources() -> Vec<(Language, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules/fixtures");
    let mut out = Vec::new();
    for dir in [
        "app-service-client-cert",
        "signalr-client-cert",
        "data-factory-client-cert",
        "unused-suppression",
    ] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let lang = if f.extension().is_some_and(|e| e == "bicep") {
                Language::Bicep
            } else {
                Language::Json
            };
            out.push((lang, std::fs::read_to_string(&f).unwrap()));
        }
    }
    out
}

/// Snippets typed into documents: they break and heal syntax, and flip rule outcomes.
const SNIPPETS: &[&str] = &[
    "'",
    "\"",
    "{",
    "}",
    ",",
    "\n",
    "x",
    "false",
    "true",
    "'Required'",
    "// c",
    "Disabled",
    " ",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn incremental_equals_fresh(
        file in 0usize..1000,
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..4, 0usize..SNIPPETS.len()), 1..12),
    ) {
        let sources = sources();
        let (lang, original) = &sources[file % sources.len()];
        let lang = *lang;
        let settings = Settings::default();
        let mut text = original.clone();
        let mut tree = parse(lang, &text, None);
        let mut analyzer = Analyzer::new();
        analyzer.analyze(&Document::new(lang, &text, &tree), &settings);
        for (at, delete, snippet) in edits {
            let mut start = at.index(text.len() + 1);
            while !text.is_char_boundary(start) { start -= 1; }
            let mut end = (start + delete).min(text.len());
            while !text.is_char_boundary(end) { end += 1; }
            edit(&mut text, &mut tree, start, end, SNIPPETS[snippet]);
            tree = parse(lang, &text, Some(&tree));
            let got = analyzer.analyze(&Document::new(lang, &text, &tree), &settings);
            prop_assert_eq!(got, fresh(lang, &text, &settings), "after editing to:\n{}", text);
        }
    }
}

#[test]
fn an_edit_inside_one_resource_rechecks_only_that_resource() {
    let mut text = String::new();
    for i in 0..50 {
        text.push_str(&format!(
            "resource app{i} 'Microsoft.Web/sites@2022-03-01' = {{\n  name: 'app{i}'\n  properties: {{\n    publicNetworkAccess: 'Disabled'\n    clientCertEnabled: true\n    clientCertMode: 'Optional'\n  }}\n}}\n\n"
        ));
    }
    let settings = Settings::default();
    let mut tree = parse(Language::Bicep, &text, None);
    let mut analyzer = Analyzer::new();
    let before = analyzer.analyze(&Document::new(Language::Bicep, &text, &tree), &settings);
    assert_eq!(before.len(), 50);
    assert_eq!(analyzer.last_stats(), (0, 50));
    // Fix the 10th resource's mode, as a person would type it.
    let at = text.match_indices("'Optional'").nth(9).unwrap().0;
    edit(
        &mut text,
        &mut tree,
        at,
        at + "'Optional'".len(),
        "'Required'",
    );
    tree = parse(Language::Bicep, &text, Some(&tree));
    let after = analyzer.analyze(&Document::new(Language::Bicep, &text, &tree), &settings);
    assert_eq!(after.len(), 49);
    assert_eq!(analyzer.last_stats(), (49, 1));
    assert_eq!(after, fresh(Language::Bicep, &text, &settings));
}

/// Typing above the params (a comment, a new param) moves them but changes none: every
/// resource is reused, and its findings' locations in the params move with them.
#[test]
fn an_edit_above_the_params_reuses_every_resource() {
    let mut bicep = String::from("// header\nparam mode string = 'Optional'\nvar on = false\n\n");
    for i in 0..20 {
        bicep.push_str(&format!(
            "resource app{i} 'Microsoft.Web/sites@2022-03-01' = {{\n  name: 'app{i}'\n  properties: {{\n    publicNetworkAccess: 'Disabled'\n    clientCertEnabled: {}\n    clientCertMode: mode\n  }}\n}}\n\n",
            if i % 2 == 0 { "true" } else { "on" }
        ));
    }
    let mut resources = Vec::new();
    for i in 0..20 {
        resources.push(format!(
            r#"    {{ "type": "Microsoft.Web/sites", "apiVersion": "2022-03-01", "name": "app{i}",
      "properties": {{ "publicNetworkAccess": "Disabled", "clientCertEnabled": true, "clientCertMode": "[parameters('mode')]" }} }}"#
        ));
    }
    let json = format!(
        "{{\n  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n  \"parameters\": {{ \"mode\": {{ \"type\": \"string\", \"defaultValue\": \"Optional\" }} }},\n  \"resources\": [\n{}\n  ]\n}}\n",
        resources.join(",\n")
    );
    let settings = Settings::default();
    for (lang, mut text, at) in [(Language::Bicep, bicep, 0), (Language::Json, json, 2)] {
        let mut tree = parse(lang, &text, None);
        let mut analyzer = Analyzer::new();
        let before = analyzer.analyze(&Document::new(lang, &text, &tree), &settings);
        assert_eq!(analyzer.last_stats(), (0, 20));
        assert!(before.iter().all(|f| !f.related.is_empty()), "{before:#?}");
        for (typed, len) in [("/* a note */\n", 0), ("", "/* a note */\n".len())] {
            edit(&mut text, &mut tree, at, at + len, typed);
            tree = parse(lang, &text, Some(&tree));
            let after = analyzer.analyze(&Document::new(lang, &text, &tree), &settings);
            assert_eq!(analyzer.last_stats(), (20, 0), "{lang:?}");
            assert_eq!(after, fresh(lang, &text, &settings), "{lang:?}");
        }
        // Changing a param's value is not a move: everything is checked again.
        let p = text.find("Optional").unwrap();
        edit(&mut text, &mut tree, p, p + "Optional".len(), "Required");
        tree = parse(lang, &text, Some(&tree));
        let after = analyzer.analyze(&Document::new(lang, &text, &tree), &settings);
        assert_eq!(analyzer.last_stats(), (0, 20), "{lang:?}");
        assert_eq!(after, fresh(lang, &text, &settings), "{lang:?}");
    }
}
