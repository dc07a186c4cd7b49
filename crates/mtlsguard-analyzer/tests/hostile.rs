//! Hostile input: whatever the text, the analyzer answers, within bounded time, stack and
//! memory. Every public entry point is exercised on each input: the one-shot path
//! (`analyze_text`), the whole-tree path (`parse` + `analyze`), `syntax_tree_dump` and
//! `fix_all` (see docs/hardening.md).

use mtlsguard_analyzer::{
    Document, Finding, Language, LineIndex, SYNTAX_ERROR, Settings, analyze, analyze_text, fix_all,
    parse, syntax_tree_dump,
};

const APP: &str = "app-service-client-cert";

/// Runs every entry point on `text`; returns the one-shot findings.
fn exercise(language: Language, text: &str) -> Vec<Finding> {
    let settings = Settings::default();
    let findings = analyze_text(language, text, &settings);
    check_ranges(text, &findings);
    // Out of time on a loaded machine: the one-shot path has said so (not analyzed).
    if let Some(tree) = parse(language, text, None).into_tree() {
        let whole = analyze(&Document::new(language, text, &tree), &settings);
        check_ranges(text, &whole);
        let dump = syntax_tree_dump(&tree, text);
        assert!(dump.len() < 17 * 1024 * 1024, "dump is bounded");
    }
    let _ = fix_all(text, &findings, true);
    findings
}

fn check_ranges(text: &str, findings: &[Finding]) {
    let index = LineIndex::new(text);
    for f in findings {
        assert!(f.range.end <= text.len() && f.range.start <= f.range.end);
        assert!(text.is_char_boundary(f.range.start) && text.is_char_boundary(f.range.end));
        index.line_col(text, f.range.start);
        index.line_col_utf16(text, f.range.end);
    }
}

/// The finding is reported, or (when the parser's time budget ran out on a loaded
/// machine) a syntax error says the part was not analyzed: never a silent pass.
fn app_or_not_analyzed(findings: &[Finding]) {
    let not_analyzed = findings
        .iter()
        .any(|f| f.rule == SYNTAX_ERROR && f.message.contains("not analyzed"));
    assert!(
        rules(findings) == [APP] || not_analyzed,
        "{:?}",
        findings.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
}

fn rules(findings: &[Finding]) -> Vec<&'static str> {
    findings
        .iter()
        .map(|f| f.rule)
        .filter(|r| *r != SYNTAX_ERROR)
        .collect()
}

/// Runs `f` on a thread with the default 2 MiB stack: a test's main thread can have more,
/// and the point is that the analyzer does not need it.
fn on_small_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .expect("no stack overflow, no panic")
}

const DEPTH: usize = 100_000;

fn site_bicep(inner: &str) -> String {
    format!(
        "resource s 'Microsoft.Web/sites@2022-03-01' = {{\n  properties: {{\n    publicNetworkAccess: 'Disabled'\n    clientCertEnabled: false\n    clientCertMode: 'Required'\n    deep: {inner}\n  }}\n}}\n"
    )
}

fn site_json(inner: &str) -> String {
    format!(
        "{{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\", \"resources\": [{{\"type\": \"Microsoft.Web/sites\", \"apiVersion\": \"2022-03-01\", \"properties\": {{\"publicNetworkAccess\": \"Disabled\", \"clientCertEnabled\": false, \"clientCertMode\": \"Required\", \"deep\": {inner}}}}}]}}"
    )
}

#[test]
fn deep_nesting_bicep_closed_and_unclosed() {
    on_small_stack(|| {
        let objects = format!("{}1{}", "{ a: ".repeat(DEPTH), " }".repeat(DEPTH));
        let arrays = format!("{}1{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
        let parens = format!("{}1{}", "(".repeat(DEPTH), ")".repeat(DEPTH));
        for inner in [&objects, &arrays, &parens] {
            // The finding next to the deep value is still reported.
            app_or_not_analyzed(&exercise(Language::Bicep, &site_bicep(inner)));
        }
        // Unclosed: a syntax error, no crash.
        for open in ["{ a: ", "[", "(", "{\n", "'${", "if (x) "] {
            exercise(Language::Bicep, &site_bicep(&open.repeat(DEPTH)));
            exercise(Language::Bicep, &open.repeat(DEPTH));
        }
        // Deeply nested resources.
        let mut nested = String::new();
        for i in 0..DEPTH / 10 {
            nested.push_str(&format!("resource r{i} 'slots@2022-03-01' = {{\n"));
        }
        nested.push_str(&"}\n".repeat(DEPTH / 10));
        exercise(
            Language::Bicep,
            &site_bicep("1").replace("\n}\n", &format!("\n{nested}}}\n")),
        );
    });
}

#[test]
fn deep_nesting_json_closed_and_unclosed() {
    on_small_stack(|| {
        let objects = format!("{}1{}", "{\"a\": ".repeat(DEPTH), "}".repeat(DEPTH));
        let arrays = format!("{}1{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
        for inner in [&objects, &arrays] {
            app_or_not_analyzed(&exercise(Language::Json, &site_json(inner)));
        }
        for open in ["{\"a\": ", "[", "{", "[{\"resources\": ["] {
            exercise(Language::Json, &site_json(&open.repeat(DEPTH)));
            exercise(Language::Json, &open.repeat(DEPTH));
        }
        // Nested inline deployments and child resources.
        let deployments = "{\"type\": \"Microsoft.Resources/deployments\", \"properties\": {\"template\": {\"resources\": ["
            .repeat(DEPTH / 10);
        exercise(Language::Json, &site_json(&deployments));
        let children = "{\"type\": \"Microsoft.Web/sites\", \"resources\": [".repeat(DEPTH / 10);
        exercise(Language::Json, &site_json(&children));
    });
}

#[test]
fn many_suppressions_and_errors() {
    on_small_stack(|| {
        // 20,000 directives of each kind, in front of the finding: linear, not quadratic
        // (`#disable-diagnostics` took 15 s for 10,000 before; fix_all was quadratic in
        // the fixable unused suppressions). 20,000 keeps the debug test short.
        for directive in [
            "#disable-next-line app-service-client-cert\n",
            "#disable-diagnostics app-service-client-cert\n",
            "#restore-diagnostics app-service-client-cert\n",
        ] {
            let many = directive.repeat(DEPTH / 5);
            let text = site_bicep("1").replace(
                "    clientCertEnabled: false",
                &format!("{many}    clientCertEnabled: false"),
            );
            let started = std::time::Instant::now();
            let findings = exercise(Language::Bicep, &text);
            assert!(started.elapsed().as_secs() < 60, "{directive}");
            let suppressed = !rules(&findings).contains(&APP);
            assert_eq!(
                suppressed,
                !directive.starts_with("#restore"),
                "{directive}"
            );
        }
        let many = "// mtlsguard-disable-next-line app-service-client-cert\n".repeat(DEPTH / 5);
        let text = site_json("1").replace(
            "\"clientCertEnabled\": false",
            &format!("\n{many}\"clientCertEnabled\": false"),
        );
        assert!(!rules(&exercise(Language::Json, &text)).contains(&APP));
        let garbage = ")]}'\"".repeat(DEPTH / 5);
        exercise(Language::Bicep, &garbage);
        exercise(Language::Json, &garbage);
    });
}

#[test]
fn ten_megabyte_line() {
    let long = "x".repeat(10 * 1024 * 1024);
    let bicep = site_bicep(&format!("'{long}'")).replace('\n', " ");
    // Bicep needs its line breaks between properties: a single line is one syntax error.
    exercise(Language::Bicep, &bicep);
    let json = site_json(&format!("\"{long}\""));
    assert!(!json.contains('\n'));
    assert_eq!(rules(&exercise(Language::Json, &json)), [APP]);
}

#[test]
fn nul_bytes_and_control_characters() {
    for bad in [
        "\0", "\0\0\0", "\u{1}", "\u{7f}", "\u{85}", "\u{2028}", "\u{fffd}",
    ] {
        let b = site_bicep("1").replace("deep: 1", &format!("deep: 1{bad}"));
        exercise(Language::Bicep, &b);
        exercise(Language::Bicep, &bad.repeat(1000));
        let j = site_json(&format!("\"{bad}\""));
        exercise(Language::Json, &j);
        exercise(Language::Json, &bad.repeat(1000));
    }
    // A NUL in a value does not hide the finding next to it.
    let j = site_json("\"a\0b\"");
    assert_eq!(rules(&exercise(Language::Json, &j)), [APP]);
}

#[test]
fn lone_surrogates_in_json_escapes() {
    for esc in [
        r"\ud800",
        r"\udfff",
        r"\ud800\ud800",
        r"\udc00\ud800",
        r"\ud83d",
        r"\ud83d\ude00",
        r"\u",
        r"\u12",
        r"\uZZZZ",
        r"\",
        r"\x41",
    ] {
        let j = site_json(&format!("\"{esc}\""));
        exercise(Language::Json, &j);
        // In the judged value itself: decoded or left undecided, never a crash.
        let j = site_json("1").replace("\"Required\"", &format!("\"Requ{esc}ired\""));
        exercise(Language::Json, &j);
    }
    // A valid escape still decodes: "Requ\u0069red" is Required (no clientCertMode finding).
    let j = site_json("1").replace("\"Required\"", r#""Requ\u0069red""#);
    assert_eq!(rules(&exercise(Language::Json, &j)), [APP]);
}

#[test]
fn every_line_ending() {
    for eol in ["\n", "\r\n", "\r", "\n\r", "\u{2028}", "\u{85}"] {
        let b = site_bicep("1").replace('\n', eol);
        let findings = exercise(Language::Bicep, &b);
        if eol == "\n" || eol == "\r\n" || eol == "\r" || eol == "\n\r" {
            assert_eq!(rules(&findings), [APP], "{eol:?}");
        }
        let j = site_json("1").replace(", ", &format!(",{eol}"));
        assert_eq!(rules(&exercise(Language::Json, &j)), [APP], "{eol:?}");
    }
    // Fixes keep a lone-CR file's line endings and apply at the right place.
    let b = site_bicep("1").replace('\n', "\r");
    let findings = analyze_text(Language::Bicep, &b, &Settings::default());
    let (fixed, n) = fix_all(&b, &findings, false);
    assert_eq!(n, 1);
    assert!(!fixed.contains('\n'));
    assert!(fixed.contains("clientCertEnabled: true"));
}

#[test]
fn bom_in_the_middle() {
    let bom = '\u{feff}';
    for at in ["properties", "clientCertEnabled", "false", "{", "\n"] {
        let b = site_bicep("1").replacen(at, &format!("{bom}{at}"), 1);
        exercise(Language::Bicep, &b);
        let j = site_json("1").replacen(at, &format!("{bom}{at}"), 1);
        exercise(Language::Json, &j);
    }
    // A BOM at the very start of the text (the CLI strips it; the server may not).
    exercise(Language::Bicep, &format!("{bom}{}", site_bicep("1")));
    exercise(Language::Json, &format!("{bom}{}", site_json("1")));
}

#[test]
fn bicep_strings_with_escapes_and_interpolation() {
    let cases = [
        (r"'Req\u{75}ired'", false),
        (r"'Requ\u{69}red'", false),
        (r"'Optional'", true),
        (r"'\'Required\''", true),
        (r"'Req${'u'}ired'", false), // interpolation of known parts: 'Required'
        (r"'Opt${'ional'}'", true),
        (r"'${x}'", false), // an undeclared name: undecided
        (r"'''Required'''", false),
        ("'''\nRequired'''", false),
        ("'''\r\nOptional'''", true),
        (r"'\u{110000}'", false), // not a character: undecided
        (r"'\u{D800}'", false),   // a surrogate is not a char either
        (r"'\u{}'", false),
        (r"'\q'", true), // not an escape Bicep knows: read as the text `\q`
        (r"'${'${'${'x'}'}'}'", true), // nested interpolations of known parts: 'x'
        (r"'\$\{x}'", true),
    ];
    for (value, finding) in cases {
        let b = site_bicep("1").replace("'Required'", value);
        let findings = exercise(Language::Bicep, &b);
        let mode = findings
            .iter()
            .any(|f| f.message.starts_with("clientCertMode"));
        assert_eq!(mode, finding, "{value}");
    }
    // Unterminated strings and interpolations.
    for broken in ["'", "'${", "'''", "'\\", "'${'", "'\\u{"] {
        exercise(Language::Bicep, &site_bicep(broken));
        exercise(Language::Bicep, broken);
    }
}

#[test]
fn json_duplicate_keys_last_wins() {
    // As Azure Resource Manager does, the last of duplicate keys wins.
    let bad_last = site_json("1").replace(
        "\"clientCertEnabled\": false",
        "\"clientCertEnabled\": true, \"clientCertEnabled\": false",
    );
    let f = exercise(Language::Json, &bad_last);
    let fixed = f
        .iter()
        .find(|f| f.rule == APP)
        .expect("the last value decides");
    assert_eq!(
        &bad_last[fixed.range.clone()],
        "\"clientCertEnabled\": false"
    );
    let good_last = site_json("1").replace(
        "\"clientCertEnabled\": false",
        "\"clientCertEnabled\": false, \"clientCertEnabled\": true",
    );
    assert!(rules(&exercise(Language::Json, &good_last)).is_empty());
    // Duplicate `properties` objects: the last one is judged.
    let dup_props = site_json("1").replace(
        "\"properties\": {",
        "\"properties\": {\"clientCertEnabled\": true}, \"properties\": {",
    );
    assert_eq!(rules(&exercise(Language::Json, &dup_props)), [APP]);
    // Bicep rejects duplicate properties, but the analyzer reads them the same way.
    let b = site_bicep("1").replace(
        "clientCertEnabled: false",
        "clientCertEnabled: false\n    clientCertEnabled: true",
    );
    assert!(rules(&exercise(Language::Bicep, &b)).is_empty());
}

#[test]
fn empty_and_whitespace_only() {
    for t in [
        "", " ", "\n", "\r", "\r\n\r\n", "\t", "\u{feff}", "//", "/*", "#",
    ] {
        assert!(rules(&exercise(Language::Bicep, t)).is_empty());
        assert!(rules(&exercise(Language::Json, t)).is_empty());
    }
}
