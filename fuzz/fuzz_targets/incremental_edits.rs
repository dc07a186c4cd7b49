//! (c) The editor path: a text receives a random sequence of incremental edits, each
//! followed by an incremental reparse (`tree.edit` + `parse(lang, text, Some(&tree))`) and
//! an incremental analysis with one long-lived `Analyzer` (what the language server does).
//! After every edit the `Analyzer`'s findings must equal a fresh analysis of the same tree
//! (its cache never shows stale results). At the end, when the final text parses without
//! errors, the tree and findings must equal a fresh parse's; with errors, tree-sitter's
//! error recovery may legitimately differ between an incremental and a fresh parse (it
//! does not promise the same recovery), so only the ranges are checked then.
#![no_main]

#[path = "common.rs"]
mod common;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mtlsguard_analyzer::{
    Analyzer, Document, Language, Parsed, Settings, analyze, parse, replace, syntax_tree_dump,
};

#[derive(Arbitrary, Debug)]
struct Input {
    json: bool,
    initial: String,
    edits: Vec<(u16, u8, String)>,
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fuzz_target!(|input: Input| {
    let language = if input.json { Language::Json } else { Language::Bicep };
    let mut text = input.initial;
    // Out of time (a starved process: the fuzzer runs niced beside builds): no tree to
    // follow, nothing to check.
    let Parsed::Tree(mut tree) = parse(language, &text, None) else { return };
    let settings = Settings::default();
    let mut analyzer = Analyzer::new();
    analyzer.analyze(&Document::new(language, &text, &tree), &settings);
    for (start, len, new) in input.edits.into_iter().take(64) {
        let start = floor_boundary(&text, start as usize);
        let end = floor_boundary(&text, start + len as usize);
        let (new_text, edit) = replace(&text, start..end, &new);
        text = new_text;
        tree.edit(&edit);
        tree = match parse(language, &text, Some(&tree)) {
            Parsed::Tree(tree) => tree,
            Parsed::OutOfTime => return,
        };
        let doc = Document::new(language, &text, &tree);
        let cached = analyzer.analyze(&doc, &settings);
        common::check_findings(&text, &cached);
        let again = analyze(&doc, &settings);
        assert_eq!(cached, again, "the Analyzer's cache is stale for {text:?}");
    }
    let Parsed::Tree(fresh) = parse(language, &text, None) else { return };
    if fresh.root_node().has_error() {
        return;
    }
    let incremental_dump = syntax_tree_dump(&tree, &text);
    let fresh_dump = syntax_tree_dump(&fresh, &text);
    let a = analyze(&Document::new(language, &text, &tree), &settings);
    let b = analyze(&Document::new(language, &text, &fresh), &settings);
    assert_eq!(a, b, "findings differ between incremental and fresh parse of {text:?}");
    assert_eq!(incremental_dump, fresh_dump, "trees differ for {text:?}");
});
