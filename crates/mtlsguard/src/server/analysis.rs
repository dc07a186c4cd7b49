//! Running the analyzer on a document snapshot (panics caught) and turning findings into
//! LSP diagnostics.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use mtlsguard_analyzer::{
    Analyzer, Document, FILE_ERROR, Finding, Level, NOT_ANALYZED, Parsed, SYNTAX_ERROR,
    UNUSED_SUPPRESSION, not_analyzed,
};
use ropey::Rope;
use serde_json::{Value, json};
use tower_lsp_server::ls_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag,
    Location, NumberOrString, TextEdit, Uri,
};

use super::documents::{self, Snapshot};
use super::position::{self, Encoding};
use super::settings::Effective;
use super::test_hooks;

pub const SOURCE: &str = "mtlsguard";
const DOCS_BASE: &str =
    "https://github.com/mtlsguard/mtlsguard/blob/main/crates/mtlsguard-analyzer/src/rules/docs";

/// Runs `f`, turning a panic into an error message.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned())
    })
}

/// The findings shown for a snapshot (syntax errors only when asked for), computed with
/// the document's incremental [`Analyzer`] (which re-checks only the resources whose syntax
/// changed since its last call; a panic resets it).
///
/// This is the one place the server materializes a document's text for analysis.
pub fn findings(
    snap: &Snapshot,
    settings: &Effective,
    analyzer: &Mutex<Analyzer>,
) -> Result<Vec<Finding>, String> {
    let Some(language) = snap.language else {
        return Ok(Vec::new());
    };
    if settings.excluded {
        return Ok(Vec::new());
    }
    let len = snap.rope.len_bytes() as u64;
    if len > settings.max_file_size {
        return Ok(vec![Finding {
            rule: FILE_ERROR,
            level: Level::Error,
            message: format!(
                "file is too large to analyze ({len} bytes; the limit is {} bytes, set with max-file-size in mtlsguard.toml)",
                settings.max_file_size
            ),
            range: 0..0,
            related: Vec::new(),
            fix: None,
        }]);
    }
    let mut analyzer = analyzer
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let result = guarded(|| {
        let text = documents::text(&snap.rope);
        test_hooks::panic_if_marked(&text);
        // No parse within the limit: the settings raised it after this snapshot was taken.
        let fresh;
        let parsed = match &snap.tree {
            Some(parsed) => parsed,
            None => {
                fresh = mtlsguard_analyzer::parse(language, &text, None);
                &fresh
            }
        };
        let mut found = match parsed {
            Parsed::Tree(tree) => {
                analyzer.analyze(&Document::new(language, &text, tree), &settings.analyzer)
            }
            Parsed::OutOfTime => not_analyzed(&text, &settings.analyzer),
        };
        if !settings.show_syntax_errors {
            // Hiding "not analyzed" would make a parse that ran out of time a silent pass.
            found.retain(|f| f.rule != SYNTAX_ERROR || f.message == NOT_ANALYZED);
        }
        found
    });
    if result.is_err() {
        // Its cache may be half-updated: start afresh next time.
        *analyzer = Analyzer::new();
    }
    result
}

/// What the client can take.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiagnosticCaps {
    pub related_information: bool,
}

pub fn severity(level: Level) -> DiagnosticSeverity {
    match level {
        Level::Error => DiagnosticSeverity::ERROR,
        Level::Warning => DiagnosticSeverity::WARNING,
        Level::Info | Level::Off => DiagnosticSeverity::INFORMATION,
    }
}

pub fn docs_url(rule: &str) -> Option<Uri> {
    format!("{DOCS_BASE}/{rule}.md").parse().ok()
}

pub fn text_edits(rope: &Rope, edits: &[mtlsguard_analyzer::Edit], enc: Encoding) -> Vec<TextEdit> {
    edits
        .iter()
        .map(|e| TextEdit {
            range: position::range(rope, e.range.clone(), enc),
            new_text: e.new_text.clone(),
        })
        .collect()
}

/// The `data` of a diagnostic: the rule, the document version it was computed for, and the
/// fix (title, safety and edits in this document's positions), so a client or a code action
/// has everything without asking again.
fn data(snap: &Snapshot, f: &Finding, enc: Encoding) -> Value {
    let fix = f.fix.as_ref().map(|fix| {
        json!({
            "title": fix.title,
            "safe": fix.safe,
            "edits": text_edits(&snap.rope, &fix.edits, enc),
        })
    });
    json!({ "rule": f.rule, "version": snap.version, "fix": fix })
}

pub fn diagnostic(snap: &Snapshot, f: &Finding, enc: Encoding, caps: DiagnosticCaps) -> Diagnostic {
    let related_information = (caps.related_information && !f.related.is_empty()).then(|| {
        f.related
            .iter()
            .map(|r| DiagnosticRelatedInformation {
                location: Location {
                    uri: snap.uri.clone(),
                    range: position::range(&snap.rope, r.range.clone(), enc),
                },
                message: r.message.clone(),
            })
            .collect()
    });
    Diagnostic {
        range: position::range(&snap.rope, f.range.clone(), enc),
        severity: Some(severity(f.level)),
        code: Some(NumberOrString::String(f.rule.to_owned())),
        code_description: docs_url(f.rule).map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_owned()),
        message: f.message.clone(),
        related_information,
        tags: (f.rule == UNUSED_SUPPRESSION).then(|| vec![DiagnosticTag::UNNECESSARY]),
        data: Some(data(snap, f, enc)),
    }
}

pub fn diagnostics(
    snap: &Snapshot,
    findings: &[Finding],
    enc: Encoding,
    caps: DiagnosticCaps,
) -> Vec<Diagnostic> {
    findings
        .iter()
        .map(|f| diagnostic(snap, f, enc, caps))
        .collect()
}

#[cfg(test)]
mod tests {
    use mtlsguard_analyzer::{Language, Settings, parse};

    use super::*;
    use crate::server::settings::ClientSettings;

    const ARM: &str = "{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\", \"resources\": [{\"type\": \"Microsoft.Web/sites\", \"apiVersion\": \"2022-03-01\", \"name\": \"api\", \"properties\": {\"publicNetworkAccess\": \"Disabled\", \"clientCertEnabled\": false}}]}";

    fn snapshot(text: &str, tree: Option<Parsed>) -> Snapshot {
        Snapshot {
            uri: "file:///t.json".parse().unwrap(),
            rope: Rope::from_str(text),
            language: Some(Language::Json),
            tree,
            version: 1,
            seq: 1,
        }
    }

    fn rules(snap: &Snapshot, settings: &Effective) -> Vec<(&'static str, String)> {
        findings(snap, settings, &Mutex::new(Analyzer::new()))
            .unwrap()
            .into_iter()
            .map(|f| (f.rule, f.message))
            .collect()
    }

    #[test]
    fn not_analyzed_is_shown_while_syntax_errors_are_hidden() {
        let settings = ClientSettings::default().over(&Settings::default());
        assert!(!settings.show_syntax_errors);
        // The parser's time budget ran out.
        let out_of_time = snapshot(ARM, Some(Parsed::OutOfTime));
        assert_eq!(
            rules(&out_of_time, &settings),
            [(SYNTAX_ERROR, NOT_ANALYZED.to_owned())]
        );
        // An ordinary syntax error stays hidden.
        let broken = format!("{ARM},");
        let tree = parse(Language::Json, &broken, None);
        let found = rules(&snapshot(&broken, Some(tree)), &settings);
        assert!(found.iter().all(|(r, _)| *r != SYNTAX_ERROR), "{found:?}");
        assert!(!found.is_empty());
    }

    #[test]
    fn without_a_tree() {
        let mut settings = ClientSettings::default().over(&Settings::default());
        settings.max_file_size = ARM.len() as u64 - 1;
        let found = rules(&snapshot(ARM, None), &settings);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, FILE_ERROR);
        assert!(found[0].1.contains("too large"), "{found:?}");
        // Within a limit raised after the snapshot: parsed here.
        settings.max_file_size = ARM.len() as u64;
        let found = rules(&snapshot(ARM, None), &settings);
        assert!(!found.is_empty());
        assert!(
            found.iter().all(|(r, _)| *r == "app-service-client-cert"),
            "{found:?}"
        );
    }
}
