//! `syntax_error_count` is what every "a fix must not add syntax errors" guard compares
//! (the CLI's `--fix`, the server's fix-all, `analyze_text` on broken text, the fixes fuzz
//! target): it must count, in both languages.

use mtlsguard_analyzer::{Language, Parsed, parse, syntax_error_count};

const VALID_BICEP: &str = "\
param tags object = {}
var props resourceInput<'Microsoft.Web/sites@2024-04-01'>.properties = {
  ...tags
  clientCertEnabled: tags.?enabled ?? true
}
resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: 'site'
  properties: props
}
";

#[test]
fn counts_bicep_syntax_errors() {
    assert_eq!(syntax_error_count(Language::Bicep, VALID_BICEP), 0);
    assert_eq!(syntax_error_count(Language::Bicep, ""), 0);
    // Four declarations, each broken on its own line.
    let broken = "\
var a = )
var b = ]
resource c 'Microsoft.Web/sites@2024-04-01' = {
  name: ?
}
output d string = 1 +
";
    assert_eq!(syntax_error_count(Language::Bicep, broken), 4);
    // One more error is one more in the count, wherever it is.
    let one = VALID_BICEP.replace("name: 'site'", "name: 'site' ~");
    assert_eq!(syntax_error_count(Language::Bicep, &one), 1);
}

#[test]
fn counts_json_syntax_errors() {
    let valid = "{\"$schema\": \"deploymentTemplate.json#\", \"resources\": [],}";
    assert_eq!(syntax_error_count(Language::Json, valid), 0);
    let broken = "{\"$schema\": \"deploymentTemplate.json#\" \"resources\": [1,,2]}";
    assert_eq!(syntax_error_count(Language::Json, broken), 2);
}

#[test]
fn a_parse_is_a_tree_of_the_whole_text() {
    let Parsed::Tree(tree) = parse(Language::Bicep, VALID_BICEP, None) else {
        panic!("a small text parses in time");
    };
    assert_eq!(tree.root_node().end_byte(), VALID_BICEP.len());
    assert!(!tree.root_node().has_error());
}
