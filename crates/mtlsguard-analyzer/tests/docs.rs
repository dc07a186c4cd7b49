//! The rule docs (what `mtlsguard rule <id>` prints) must stay true: every code block
//! tagged `noncompliant` must draw a finding of its rule, every one tagged `compliant`
//! none. Blocks are fenced as ```` ```bicep noncompliant ```` or ```` ```json compliant ````.

use mtlsguard_analyzer::{Language, RULES, Settings, analyze_text};

struct Example {
    lang: Language,
    compliant: bool,
    code: String,
    line: usize,
}

fn examples(docs: &str) -> Vec<Example> {
    let mut out = Vec::new();
    // Outside a block: None. Inside: Some(the example, or None for an untagged snippet).
    let mut block: Option<Option<Example>> = None;
    for (i, line) in docs.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (&mut block, fence) {
            (Some(_), Some(_)) => out.extend(block.take().flatten()),
            (Some(Some(e)), None) => {
                e.code.push_str(line);
                e.code.push('\n');
            }
            (Some(None), None) | (None, None) => {}
            (None, Some(info)) => {
                let mut words = info.split_whitespace();
                let lang = match words.next() {
                    Some("bicep") => Some(Language::Bicep),
                    Some("json") => Some(Language::Json),
                    _ => None,
                };
                let example = match (lang, words.next()) {
                    (Some(lang), Some(tag @ ("compliant" | "noncompliant"))) => Some(Example {
                        lang,
                        compliant: tag == "compliant",
                        code: String::new(),
                        line: i + 1,
                    }),
                    _ => None,
                };
                block = Some(example);
            }
        }
    }
    out
}

#[test]
fn docs_examples_behave_as_labelled() {
    let settings = Settings::default();
    let mut failures = Vec::new();
    for rule in RULES {
        let found = examples(rule.docs);
        let (good, bad) = (
            found.iter().filter(|e| e.compliant).count(),
            found.iter().filter(|e| !e.compliant).count(),
        );
        // `file-error` is about a file's bytes, reported by the CLI and the server before
        // any analysis (its examples are in the end-to-end tests): no text to label.
        if rule.id == mtlsguard_analyzer::FILE_ERROR {
            continue;
        }
        // `unresolved-reference` is about a reference to another file: its examples need
        // a workspace (the end-to-end tests of `check` and the server have them).
        if rule.id == mtlsguard_analyzer::UNRESOLVED_REFERENCE {
            continue;
        }
        if good == 0 || bad == 0 {
            failures.push(format!(
                "{}.md: needs compliant and noncompliant examples (has {good} and {bad})",
                rule.id
            ));
        }
        for e in &found {
            let findings = analyze_text(e.lang, &e.code, &settings);
            let ours = findings.iter().filter(|f| f.rule == rule.id).count();
            let syntax = findings.iter().filter(|f| f.rule == "syntax-error").count();
            if e.compliant && ours > 0 || !e.compliant && ours == 0 {
                failures.push(format!(
                    "{}.md:{}: example labelled {} has {ours} finding(s) of the rule",
                    rule.id,
                    e.line,
                    if e.compliant {
                        "compliant"
                    } else {
                        "noncompliant"
                    }
                ));
            }
            if syntax > 0 && rule.id != "syntax-error" {
                failures.push(format!("{}.md:{}: example does not parse", rule.id, e.line));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
