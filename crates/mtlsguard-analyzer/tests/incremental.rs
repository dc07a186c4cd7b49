//! Incremental analysis must equal a fresh analysis of the same text, whatever the edits.

use std::path::Path;

use mtlsguard_analyzer::{
    Analyzer, Document, Finding, Language, Settings, analyze, parse, replace,
};
use proptest::prelude::*;
use tree_sitter::Tree;

/// Replaces `start..old_end` of `text` by `new`, editing `tree` to match (as the server does).
fn edit(text: &mut String, tree: &mut Tree, start: usize, old_end: usize, new: &str) {
    let (new_text, e) = replace(text, start..old_end, new);
    *text = new_text;
    tree.edit(&e);
}

fn fresh(lang: Language, text: &str, settings: &Settings) -> Vec<Finding> {
    let tree = parse(lang, text, None).into_tree().expect("parsed in time");
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

/// Applies `edits` (position, bytes deleted, snippet) one by one, each time comparing the
/// incremental analysis with fresh ones.
fn incremental_matches_fresh(
    lang: Language,
    original: &str,
    edits: Vec<(prop::sample::Index, usize, usize)>,
) -> Result<(), TestCaseError> {
    let settings = Settings::default();
    let mut text = original.to_owned();
    let mut tree = parse(lang, &text, None)
        .into_tree()
        .expect("parsed in time");
    let mut analyzer = Analyzer::new();
    analyzer.analyze(&Document::new(lang, &text, &tree), &settings);
    for (at, delete, snippet) in edits {
        let mut start = at.index(text.len() + 1);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + delete).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        edit(&mut text, &mut tree, start, end, SNIPPETS[snippet]);
        tree = parse(lang, &text, Some(&tree))
            .into_tree()
            .expect("parsed in time");
        let doc = Document::new(lang, &text, &tree);
        let got = analyzer.analyze(&doc, &settings);
        // The cache is never stale: the same as a fresh analysis of the same tree.
        prop_assert_eq!(
            &got,
            &analyze(&doc, &settings),
            "after editing to:\n{}",
            text
        );
        // And the same as a fresh parse's, when the text has no syntax error: with errors,
        // tree-sitter's recovery may differ between incremental and fresh parses.
        if !parse(lang, &text, None)
            .into_tree()
            .expect("parsed in time")
            .root_node()
            .has_error()
        {
            prop_assert_eq!(
                got,
                fresh(lang, &text, &settings),
                "after editing to:\n{}",
                text
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn incremental_equals_fresh(
        file in 0usize..1000,
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..4, 0usize..SNIPPETS.len()), 1..12),
    ) {
        let sources = sources();
        let (lang, original) = &sources[file % sources.len()];
        incremental_matches_fresh(*lang, original, edits)?;
    }

    /// Inline deployments are units made of units: edits aimed at them.
    #[test]
    fn incremental_equals_fresh_in_deployments(
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..4, 0usize..SNIPPETS.len()), 1..16),
    ) {
        let original = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("src/rules/fixtures/app-service-client-cert/deployments.json"),
        )
        .unwrap();
        incremental_matches_fresh(Language::Json, &original, edits)?;
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
    let mut tree = parse(Language::Bicep, &text, None)
        .into_tree()
        .expect("parsed in time");
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
    tree = parse(Language::Bicep, &text, Some(&tree))
        .into_tree()
        .expect("parsed in time");
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
        let mut tree = parse(lang, &text, None)
            .into_tree()
            .expect("parsed in time");
        let mut analyzer = Analyzer::new();
        let before = analyzer.analyze(&Document::new(lang, &text, &tree), &settings);
        assert_eq!(analyzer.last_stats(), (0, 20));
        assert!(before.iter().all(|f| !f.related.is_empty()), "{before:#?}");
        // A note typed and taken back, then a new line above the definitions, which moves
        // the lines the messages name (`param mode, line 2`): reused findings name the
        // line each definition is on now.
        let note = "/* a note */";
        for (typed, len) in [(note, 0), ("", note.len()), ("\n", 0), ("", 1)] {
            edit(&mut text, &mut tree, at, at + len, typed);
            tree = parse(lang, &text, Some(&tree))
                .into_tree()
                .expect("parsed in time");
            let after = analyzer.analyze(&Document::new(lang, &text, &tree), &settings);
            assert_eq!(analyzer.last_stats(), (20, 0), "{lang:?}");
            assert_eq!(after, fresh(lang, &text, &settings), "{lang:?}");
        }
        // Changing a param's value is not a move: everything is checked again.
        let p = text.find("Optional").unwrap();
        edit(&mut text, &mut tree, p, p + "Optional".len(), "Required");
        tree = parse(lang, &text, Some(&tree))
            .into_tree()
            .expect("parsed in time");
        let after = analyzer.analyze(&Document::new(lang, &text, &tree), &settings);
        assert_eq!(analyzer.last_stats(), (0, 20), "{lang:?}");
        assert_eq!(after, fresh(lang, &text, &settings), "{lang:?}");
    }
}

/// Large ARM files are often one inline deployment holding everything: an edit in one of
/// its template's resources re-checks that resource only, also two deployments deep.
#[test]
fn an_edit_inside_a_nested_deployment_rechecks_only_that_resource() {
    let site = |i: usize| {
        format!(
            r#"{{ "type": "Microsoft.Web/sites", "apiVersion": "2022-03-01", "name": "app{i}",
  "properties": {{ "publicNetworkAccess": "Disabled", "clientCertEnabled": true, "clientCertMode": "[parameters('mode')]" }} }}"#
        )
    };
    let inner: Vec<String> = (0..10).map(|i| site(100 + i)).collect();
    let mut items: Vec<String> = (0..10).map(site).collect();
    items.push(format!(
        r#"{{ "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "deeper",
  "properties": {{ "mode": "Incremental", "expressionEvaluationOptions": {{ "scope": "inner" }},
    "parameters": {{ "mode": {{ "value": "[parameters('mode')]" }} }},
    "template": {{ "parameters": {{ "mode": {{ "type": "string" }} }}, "resources": [
{}
    ] }} }} }}"#,
        inner.join(",\n")
    ));
    let mut text = format!(
        r#"{{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "resources": [
    {{ "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "all",
      "properties": {{ "mode": "Incremental", "expressionEvaluationOptions": {{ "scope": "inner" }},
        "parameters": {{ "mode": {{ "value": "Optional" }} }},
        "template": {{
          "parameters": {{ "mode": {{ "type": "string", "defaultValue": "Required" }} }},
          "resources": [
{}
          ] }} }} }}
  ]
}}
"#,
        items.join(",\n")
    );
    let lang = Language::Json;
    let settings = Settings::default();
    let mut tree = parse(lang, &text, None)
        .into_tree()
        .expect("parsed in time");
    let mut analyzer = Analyzer::new();
    let first = analyzer.analyze(&Document::new(lang, &text, &tree), &settings);
    assert_eq!(first.len(), 20, "{first:#?}");
    assert_eq!(first, fresh(lang, &text, &settings));
    let mut step = |text: &mut String, at: usize, len: usize, typed: &str| {
        edit(text, &mut tree, at, at + len, typed);
        tree = parse(lang, text, Some(&tree))
            .into_tree()
            .expect("parsed in time");
        let got = analyzer.analyze(&Document::new(lang, text, &tree), &settings);
        assert_eq!(
            got,
            fresh(lang, text, &settings),
            "after editing to:\n{text}"
        );
        (got.len(), analyzer.last_stats())
    };
    // Fix one resource in the outer deployment: 1 checked, its 10 siblings (the deeper
    // deployment counts once: it is reused whole) reused.
    let at = text.find(r#""name": "app3""#).unwrap();
    let p = at + text[at..].find("[parameters('mode')]").unwrap();
    assert_eq!(
        step(&mut text, p, "[parameters('mode')]".len(), "Required"),
        (19, (10, 1))
    );
    // Two deployments deep: the deeper deployment descends too.
    let at = text.find(r#""name": "app105""#).unwrap();
    let p = at + text[at..].find("[parameters('mode')]").unwrap();
    assert_eq!(
        step(&mut text, p, "[parameters('mode')]".len(), "Required"),
        (18, (19, 1))
    );
    // Typing in the deployment's parameters value changes the scope: all checked again.
    let p = text.find(r#"{ "value": "Optional" }"#).unwrap() + r#"{ "value": ""#.len();
    assert_eq!(
        step(&mut text, p, "Optional".len(), "Required"),
        (0, (0, 1))
    );
    assert_eq!(
        step(&mut text, p, "Required".len(), "Optional"),
        (18, (0, 1))
    );
    // Blanks typed above the template move its parameters: its resources are reused (the
    // deeper deployment counts once), their findings moved.
    let p = text.find(r#""template""#).unwrap();
    assert_eq!(step(&mut text, p, 0, "\n      "), (18, (11, 0)));
    // A comment there is a new part of the deployment: all checked again.
    assert_eq!(step(&mut text, p, 0, "/* note */ "), (18, (0, 1)));
}

/// A fix of a definition is safe while one resource uses it; when an edit elsewhere makes
/// another resource use it too, the finding is reused (its resource did not change) and
/// its fix turns unsafe, as a fresh analysis says.
#[test]
fn a_definition_fix_turns_unsafe_when_another_resource_shares_it() {
    let mut text = String::from(
        "param mode string = 'Optional'\n\nresource a 'Microsoft.Web/sites@2022-03-01' = {\n  name: 'a'\n  properties: {\n    publicNetworkAccess: 'Disabled'\n    clientCertEnabled: true\n    clientCertMode: mode\n  }\n}\n\nresource b 'Microsoft.Storage/storageAccounts@2023-01-01' = {\n  name: 'b'\n  tags: {}\n}\n",
    );
    let settings = Settings::default();
    let mut tree = parse(Language::Bicep, &text, None).into_tree().unwrap();
    let mut analyzer = Analyzer::new();
    let before = analyzer.analyze(&Document::new(Language::Bicep, &text, &tree), &settings);
    let fix = |f: &[mtlsguard_analyzer::Finding]| f[0].fix.clone().expect("a fix");
    assert!(fix(&before).safe, "{before:#?}");
    let at = text.find("tags: {}").unwrap() + "tags: {".len();
    edit(&mut text, &mut tree, at, at, " m: mode ");
    tree = parse(Language::Bicep, &text, Some(&tree))
        .into_tree()
        .unwrap();
    let after = analyzer.analyze(&Document::new(Language::Bicep, &text, &tree), &settings);
    assert_eq!(
        analyzer.last_stats(),
        (1, 1),
        "resource a is reused, b re-checked"
    );
    assert!(!fix(&after).safe, "{after:#?}");
    assert_eq!(after, fresh(Language::Bicep, &text, &settings));
}
