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

/// The file a diagnostic is for: an open document (with its version) or a file of the
/// workspace that is not open.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub uri: &'a Uri,
    pub rope: &'a Rope,
    pub version: Option<i32>,
}

impl<'a> Target<'a> {
    pub fn of(snap: &'a Snapshot) -> Target<'a> {
        Target {
            uri: &snap.uri,
            rope: &snap.rope,
            version: Some(snap.version),
        }
    }
}

/// The URI and text of another file, by workspace path: where a related location in a
/// file other than the finding's points.
pub type Elsewhere<'a> = &'a dyn Fn(&str) -> Option<(Uri, Rope)>;

/// The `data` of a diagnostic: the rule, the document version it was computed for, and the
/// fix (title, safety and edits in this document's positions), so a client or a code action
/// has everything without asking again.
fn data(t: Target<'_>, f: &Finding, enc: Encoding) -> Value {
    let fix = f.fix.as_ref().map(|fix| {
        json!({
            "title": fix.title,
            "safe": fix.safe,
            "edits": text_edits(t.rope, &fix.edits, enc),
        })
    });
    json!({ "rule": f.rule, "version": t.version, "fix": fix })
}

pub fn diagnostic(snap: &Snapshot, f: &Finding, enc: Encoding, caps: DiagnosticCaps) -> Diagnostic {
    diagnostic_in(Target::of(snap), f, enc, caps, &|_| None)
}

/// A diagnostic whose related locations may lead into other files (`elsewhere`); one
/// into a file `elsewhere` does not know is left out rather than shown at a wrong place.
pub fn diagnostic_in(
    t: Target<'_>,
    f: &Finding,
    enc: Encoding,
    caps: DiagnosticCaps,
    elsewhere: Elsewhere<'_>,
) -> Diagnostic {
    let related_information = (caps.related_information && !f.related.is_empty())
        .then(|| {
            f.related
                .iter()
                .filter_map(|r| {
                    let location = match &r.file {
                        None => Location {
                            uri: t.uri.clone(),
                            range: position::range(t.rope, r.range.clone(), enc),
                        },
                        Some(path) => {
                            let (uri, rope) = elsewhere(path)?;
                            let range = position::range(&rope, r.range.clone(), enc);
                            Location { uri, range }
                        }
                    };
                    Some(DiagnosticRelatedInformation {
                        location,
                        message: r.message.clone(),
                    })
                })
                .collect::<Vec<_>>()
        })
        .filter(|related| !related.is_empty());
    Diagnostic {
        range: position::range(t.rope, f.range.clone(), enc),
        severity: Some(severity(f.level)),
        code: Some(NumberOrString::String(f.rule.to_owned())),
        code_description: docs_url(f.rule).map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_owned()),
        message: f.message.clone(),
        related_information,
        tags: (f.rule == UNUSED_SUPPRESSION).then(|| vec![DiagnosticTag::UNNECESSARY]),
        data: Some(data(t, f, enc)),
    }
}

pub fn diagnostics(
    snap: &Snapshot,
    findings: &[Finding],
    enc: Encoding,
    caps: DiagnosticCaps,
) -> Vec<Diagnostic> {
    diagnostics_in(Target::of(snap), findings, enc, caps, &|_| None)
}

pub fn diagnostics_in(
    t: Target<'_>,
    findings: &[Finding],
    enc: Encoding,
    caps: DiagnosticCaps,
    elsewhere: Elsewhere<'_>,
) -> Vec<Diagnostic> {
    findings
        .iter()
        .map(|f| diagnostic_in(t, f, enc, caps, elsewhere))
        .collect()
}
