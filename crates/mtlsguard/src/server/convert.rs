//! Findings to LSP: diagnostics (severity, rule docs link, related information, the fix
//! in `data`) and edits, in the negotiated position encoding.

use mtlsguard_analyzer::{Finding, Level, UNUSED_SUPPRESSION};
use ropey::Rope;
use serde_json::{Value, json};
use tower_lsp_server::ls_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag,
    Location, NumberOrString, TextEdit, Uri,
};

use super::documents::Snapshot;
use super::position::{self, Encoding};

pub const SOURCE: &str = "mtlsguard";

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
    mtlsguard_analyzer::rule(rule)?.help_uri().parse().ok()
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
