//! Every Bicep and `.bicepparam` file of the shared corpus: those the compiler accepts
//! parse without ERROR or MISSING nodes, and of the others exactly the ones listed below
//! have errors, each with the reason the compiler rejects it.
//!
//! The files the compiler accepts: every AVM module (`avm/**/*.bicep` of the registry
//! modules), and the compiler's own baselines (`baselines/*/main.bicep`,
//! `baselines_bicepparam/*/parameters.bicepparam`) whose diagnostics file beside them
//! reports no `(Error)`.
//!
//! `cargo test -p mtlsguard-grammar-bicep --test corpus -- --nocapture` prints the figures.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use tree_sitter::{Node, Parser, Tree};

const BASELINES: &str = "Azure+bicep/src/Bicep.Core.Samples/Files/baselines";
const PARAM_BASELINES: &str = "Azure+bicep/src/Bicep.Core.Samples/Files/baselines_bicepparam";

/// Compiler baselines written to fail (`baselines/Invalid*/`) whose text has syntax errors
/// the compiler reports too (their `main.diagnostics.bicep` holds parser errors such as
/// BCP018 "expected the character"; the test checks that it holds an `(Error)` at all).
/// The compiler's outputs beside `main.bicep` (diagnostics, formatted, symbols, syntax,
/// tokens) repeat that text, annotated or reformatted, and fail alike. The other
/// `Invalid*` baselines fail for reasons no parser sees (cycles, scopes, types) and parse
/// clean.
const INVALID_BASELINES: &[&str] = &[
    "InvalidCycles_CRLF",
    "InvalidDisableNextLineDiagnosticsDirective_CRLF",
    "InvalidExpressions_LF",
    "InvalidFunctions_LF",
    "InvalidLambdas_LF",
    "InvalidMetadata_CRLF",
    "InvalidModules_LF",
    // An unterminated `'''` string at the end of the file.
    "InvalidMultilineString_CRLF",
    "InvalidNewlineSensitivity_LF",
    "InvalidOutputs_CRLF",
    "InvalidParameters_LF",
    // `resourceInput<>`, `resourceInput<hello>`, `resourceInput<123>`: the compiler parses
    // the type arguments as expressions and rejects them afterwards (BCP070, BCP071).
    "InvalidResourceDerivedTypes_LF",
    "InvalidResources_CRLF",
    "InvalidTargetScopes_LF",
    "InvalidTestFramework_CRLF",
    "InvalidTypeDeclarations_LF",
    "InvalidVariables_LF",
];

/// The same for `.bicepparam` baselines (`baselines_bicepparam/Invalid_*/`).
const INVALID_PARAM_BASELINES: &[&str] = &[
    "Invalid_Extensions",
    "Invalid_ExternalInputs",
    "Invalid_Parameters",
    "Invalid_Variables",
];

/// What a baseline folder holds besides its input: the input with the compiler's
/// diagnostics, symbols, syntax tree or tokens as comment lines, and the formatter's output.
const BASELINE_OUTPUTS: &[&str] = &[
    "",
    ".diagnostics",
    ".formatted",
    ".symbols",
    ".syntax",
    ".tokens",
];

/// Compiler outputs of baselines the compiler accepts, whose annotation lines quote a
/// token of a multi-line string, `'''` included: inserted after the string's first line,
/// such a line ends the string, and what follows of the string is then read as code. (The
/// test checks that the file without its `//@[` lines parses clean.)
const ANNOTATED_MULTI_LINE_STRINGS: &[&str] = &[
    "Metadata_CRLF/main.syntax.bicep",
    "Metadata_CRLF/main.tokens.bicep",
    "MultilineStrings_LF/main.syntax.bicep",
    "MultilineStrings_LF/main.tokens.bicep",
    "NewlineSensitivity_LF/main.syntax.bicep",
    "NewlineSensitivity_LF/main.tokens.bicep",
    "Parameters_LF/main.syntax.bicep",
    "Parameters_LF/main.tokens.bicep",
    "Variables_LF/main.syntax.bicep",
    "Variables_LF/main.tokens.bicep",
];

/// The same among the `.bicepparam` baselines.
const ANNOTATED_MULTI_LINE_STRINGS_PARAMS: &[&str] = &[
    "Expressions/parameters.syntax.bicepparam",
    "Expressions/parameters.tokens.bicepparam",
];

/// Other files the compiler rejects (paths relative to the corpus), and why.
const OTHER_INVALID: &[(&[&str], &str)] = &[
    (
        &[
            "Azure+azure-docs-bicep-samples/syntax-samples/modules/conditional-definition.bicep",
            "Azure+azure-docs-bicep-samples/syntax-samples/modules/dependsOn-definition.bicep",
            "Azure+azure-docs-bicep-samples/syntax-samples/modules/iterative-definition.bicep",
            "Azure+azure-docs-bicep-samples/syntax-samples/modules/scope-definition.bicep",
        ],
        "documentation syntax template with snippet placeholders (`module <symbolic-name> '<path-to-file>'`)",
    ),
    (
        &[
            "Azure+bicep/src/Bicep.Decompiler.IntegrationTests/Files/Working/issue5455/nested_StorageRoleDeploymentResource.bicep",
            "Azure+bicep/src/Bicep.Decompiler.IntegrationTests/Files/Working/nested-outer/nested_testnested.bicep",
        ],
        "decompiler output `param x ? /* TODO: fill in correct type */`, a type left for a person to write (the file's own annotation shows the compiler's BCP279)",
    ),
    (
        &["Azure+bicep/src/Bicep.MSBuild.E2eTests/examples/fail/fail.bicep"],
        "a line holding only `wrong`: written to make the MSBuild test fail",
    ),
    (
        &["Azure+bicep/src/vscode-bicep/tests/e2e/examples/files/invalid-resources/main.bicep"],
        "the editor test's invalid resources (`bad` alone on a line, `resource` with nothing after it), written to fail",
    ),
    (
        &[
            "Azure+bicep/src/Bicep.Core.Samples/Files/baselines/InvalidModules_LF/cycle.bicep",
            "Azure+bicep/src/Bicep.Core.Samples/Files/baselines/InvalidModules_LF/ChildModules/modulea.bicep",
        ],
        "`module './main.bicep' = {}`: a module without a symbolic name, a helper of the InvalidModules baseline",
    ),
    (
        &[
            "Azure+bicep/src/Bicep.Core.Samples/Files/baselines/InvalidTestFramework_CRLF/samples/broken.bicep",
        ],
        "an object left unclosed: the broken module of the InvalidTestFramework baseline",
    ),
    (
        &[
            "Azure+bicep/src/Bicep.Core.Samples/Files/baselines_bicepparam/Invalid_Imports/foo.bicep",
        ],
        "the text `INVALID FILE`: an import target of the Invalid_Imports baseline that is no Bicep at all",
    ),
    (
        &[
            "Azure+bicep/src/Bicep.Core.Samples/Files/baselines/TypeDeclarations_LF/main.formatted.bicep",
        ],
        "formatter output that joins a decorated tuple item onto one line, `[@discriminator('type'), typeA | ...]`: Bicep wants a line break after a decorator",
    ),
    (
        &[
            "Azure+bicep/src/Bicep.Core.Samples/Files/baselines/InvalidLoadFunctions_CRLF/main.symbols.bicep",
        ],
        "an Invalid baseline whose errors are the compiler's alone (its main.bicep parses clean), annotated with the type of a binary file's text: a NUL in a comment, where the generated lexer ends the comment (the compiler's lexer does not)",
    ),
];

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "NOTICE: no corpus at {}: corpus test skipped",
            dir.display()
        );
        None
    }
}

fn parse(text: &[u8]) -> Tree {
    let mut parser = Parser::new();
    parser
        .set_language(&mtlsguard_grammar_bicep::LANGUAGE.into())
        .unwrap();
    parser.parse(text, None).unwrap()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "bicep" || e == "bicepparam")
        {
            out.push(path);
        }
    }
}

/// `path` relative to the corpus, with `/` separators.
fn relative(corpus: &Path, path: &Path) -> String {
    path.strip_prefix(corpus)
        .unwrap()
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A baseline the compiler accepts: `input` (`main.bicep`, `parameters.bicepparam`) in a
/// folder of `root`, with a diagnostics file beside it that reports no error.
fn is_valid_baseline(
    name: &str,
    root: &str,
    input: &str,
    diagnostics: &str,
    corpus: &Path,
) -> bool {
    let Some(folder) = name
        .strip_prefix(root)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(|rest| rest.strip_suffix(input))
        .and_then(|rest| rest.strip_suffix('/'))
    else {
        return false;
    };
    if folder.contains('/') {
        return false;
    }
    let path = corpus.join(root).join(folder).join(diagnostics);
    std::fs::read_to_string(path).is_ok_and(|text| !text.contains("(Error)"))
}

/// The first ERROR or MISSING node, and where; a MISSING token whose name starts with `_`
/// (the end of a multi-line string) is hidden from the tree's nodes: then the innermost
/// node that holds it.
fn first_problem(node: Node<'_>) -> Option<(Node<'_>, &'static str)> {
    if node.is_error() {
        return Some((node, "ERROR"));
    }
    if node.is_missing() {
        return Some((node, "MISSING"));
    }
    if !node.has_error() {
        return None;
    }
    (0..node.child_count())
        .find_map(|i| first_problem(node.child(i as _).unwrap()))
        .or(Some((node, "hidden MISSING token in")))
}

fn describe(tree: &Tree, text: &[u8]) -> String {
    let Some((node, what)) = first_problem(tree.root_node()) else {
        return "no error".into();
    };
    let at = node.start_position();
    let line = String::from_utf8_lossy(text)
        .lines()
        .nth(at.row)
        .unwrap_or("")
        .trim()
        .chars()
        .take(120)
        .collect::<String>();
    let kind = if node.is_error() { "" } else { node.kind() };
    format!("{what} {kind} at {}:{}: {line}", at.row + 1, at.column + 1)
}

/// Which set a file belongs to.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Set {
    Avm,
    ValidBaseline,
    ValidParamBaseline,
    Other,
}

impl Set {
    const ALL: [Set; 4] = [
        Set::Avm,
        Set::ValidBaseline,
        Set::ValidParamBaseline,
        Set::Other,
    ];

    fn of(name: &str, corpus: &Path) -> Set {
        if name.starts_with("Azure+bicep-registry-modules/avm/") && name.ends_with(".bicep") {
            Set::Avm
        } else if is_valid_baseline(
            name,
            BASELINES,
            "main.bicep",
            "main.diagnostics.bicep",
            corpus,
        ) {
            Set::ValidBaseline
        } else if is_valid_baseline(
            name,
            PARAM_BASELINES,
            "parameters.bicepparam",
            "parameters.diagnostics.bicepparam",
            corpus,
        ) {
            Set::ValidParamBaseline
        } else {
            Set::Other
        }
    }

    fn label(self) -> &'static str {
        match self {
            Set::Avm => "AVM modules",
            Set::ValidBaseline => "valid compiler baselines (main.bicep)",
            Set::ValidParamBaseline => "valid .bicepparam baselines (parameters.bicepparam)",
            Set::Other => "every other .bicep/.bicepparam",
        }
    }
}

/// The files expected to have errors, each with its reason.
fn expected_invalid() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (root, folders, input, extension) in [
        (BASELINES, INVALID_BASELINES, "main", "bicep"),
        (
            PARAM_BASELINES,
            INVALID_PARAM_BASELINES,
            "parameters",
            "bicepparam",
        ),
    ] {
        for folder in folders {
            for output in BASELINE_OUTPUTS {
                out.push((
                    format!("{root}/{folder}/{input}{output}.{extension}"),
                    "Invalid* baseline: written to fail, with syntax errors the compiler reports"
                        .to_string(),
                ));
            }
        }
    }
    for (root, files) in [
        (BASELINES, ANNOTATED_MULTI_LINE_STRINGS),
        (PARAM_BASELINES, ANNOTATED_MULTI_LINE_STRINGS_PARAMS),
    ] {
        for file in files {
            out.push((
                format!("{root}/{file}"),
                "compiler test output whose inserted annotation lines hold `'''` and end the \
                 multi-line string they were inserted into"
                    .to_string(),
            ));
        }
    }
    for (files, why) in OTHER_INVALID {
        for file in *files {
            out.push((file.to_string(), why.to_string()));
        }
    }
    out
}

#[test]
fn the_valid_files_parse_clean_and_exactly_the_listed_others_have_errors() {
    let Some(corpus) = corpus_dir() else { return };
    let mut paths = Vec::new();
    walk(&corpus, &mut paths);
    assert!(!paths.is_empty(), "no Bicep file in {}", corpus.display());

    let mut count = [0usize; 4];
    let mut with_errors = [0usize; 4];
    let mut valid_with_errors = Vec::new();
    let mut other_errors = BTreeSet::new();
    let mut descriptions = std::collections::BTreeMap::new();
    for path in &paths {
        let name = relative(&corpus, path);
        let set = Set::of(&name, &corpus);
        let text = std::fs::read(path).unwrap();
        let tree = parse(&text);
        count[set as usize] += 1;
        if tree.root_node().has_error() {
            with_errors[set as usize] += 1;
            let description = describe(&tree, &text);
            if set == Set::Other {
                other_errors.insert(name.clone());
                descriptions.insert(name, description);
            } else {
                valid_with_errors.push(format!("{name}: {description}"));
            }
        }
    }
    for set in Set::ALL {
        println!(
            "{}: {} files, {} with ERROR/MISSING nodes",
            set.label(),
            count[set as usize],
            with_errors[set as usize]
        );
    }
    for set in [Set::Avm, Set::ValidBaseline, Set::ValidParamBaseline] {
        assert!(count[set as usize] > 0, "no file in the set {set:?}");
    }
    assert!(
        valid_with_errors.is_empty(),
        "files the compiler accepts have ERROR/MISSING nodes (a grammar bug):\n{}",
        valid_with_errors.join("\n")
    );

    let expected = expected_invalid();
    let expected_names: BTreeSet<_> = expected.iter().map(|(n, _)| n.clone()).collect();
    let mut by_reason = std::collections::BTreeMap::<&str, usize>::new();
    for (name, why) in &expected {
        if other_errors.contains(name) {
            *by_reason.entry(why).or_default() += 1;
        }
    }
    for (why, n) in &by_reason {
        println!("  {n} invalid as expected: {why}");
    }
    let unexpected: Vec<_> = other_errors
        .difference(&expected_names)
        .map(|n| format!("{n}: {}", descriptions[n]))
        .collect();
    let clean_but_listed: Vec<_> = expected_names.difference(&other_errors).collect();
    assert!(
        unexpected.is_empty(),
        "files with errors that are not listed as invalid (a grammar bug, or a file to list \
         with the reason the compiler rejects it):\n{}",
        unexpected.join("\n")
    );
    assert!(
        clean_but_listed.is_empty(),
        "listed as invalid but parsed clean (or no longer in the corpus): {clean_but_listed:?}"
    );
}

/// The reasons hold: an Invalid* baseline has compiler errors, and an annotated output
/// parses clean once its annotation lines are gone.
#[test]
fn the_reasons_for_the_listed_files_hold() {
    let Some(corpus) = corpus_dir() else { return };
    for (root, folders, diagnostics) in [
        (BASELINES, INVALID_BASELINES, "main.diagnostics.bicep"),
        (
            PARAM_BASELINES,
            INVALID_PARAM_BASELINES,
            "parameters.diagnostics.bicepparam",
        ),
    ] {
        for folder in folders {
            let path = corpus.join(root).join(folder).join(diagnostics);
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                text.contains("(Error)"),
                "{} reports no error",
                path.display()
            );
        }
    }
    for (root, files) in [
        (BASELINES, ANNOTATED_MULTI_LINE_STRINGS),
        (PARAM_BASELINES, ANNOTATED_MULTI_LINE_STRINGS_PARAMS),
    ] {
        for file in files {
            let text = std::fs::read_to_string(corpus.join(root).join(file)).unwrap();
            assert!(text.contains("'''"), "{file} has no multi-line string");
            let stripped: String = text
                .split_inclusive('\n')
                .filter(|line| !line.starts_with("//@["))
                .collect();
            let tree = parse(stripped.as_bytes());
            assert!(
                !tree.root_node().has_error(),
                "{file} without its annotations: {}",
                describe(&tree, stripped.as_bytes())
            );
        }
    }
}
