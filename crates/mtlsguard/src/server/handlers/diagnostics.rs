//! `textDocument/diagnostic`: diagnostics for a client that pulls them. A client that
//! does not gets them published after each change instead (`schedule.rs`).

use std::sync::Arc;

use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{
    Diagnostic, DocumentDiagnosticParams, DocumentDiagnosticReport, DocumentDiagnosticReportResult,
    FullDocumentDiagnosticReport, MessageType, RelatedFullDocumentDiagnosticReport,
    RelatedUnchangedDocumentDiagnosticReport, UnchangedDocumentDiagnosticReport,
};

use crate::server::analysis;
use crate::server::convert::{self, DiagnosticCaps};
use crate::server::session::Session;

/// The result id names the document state and the settings, so
/// a client asking again about an unchanged document gets "unchanged".
pub async fn pull(
    session: &Arc<Session>,
    params: DocumentDiagnosticParams,
) -> jsonrpc::Result<DocumentDiagnosticReportResult> {
    let caps = session.caps();
    let uri = params.text_document.uri;
    let full = |result_id: Option<String>, items: Vec<Diagnostic>| {
        DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Full(
            RelatedFullDocumentDiagnosticReport {
                related_documents: None,
                full_document_diagnostic_report: FullDocumentDiagnosticReport { result_id, items },
            },
        ))
    };
    let Some(snap) = session.snapshot(&uri) else {
        session.log(
            MessageType::INFO,
            format!(
                "mtlsguard: diagnostics asked for {}, which is not open",
                uri.as_str()
            ),
        );
        return Ok(full(None, Vec::new()));
    };
    let sgen = session.settings_gen();
    let result_id = format!("{}-{sgen}", snap.seq);
    if params.previous_result_id.as_deref() == Some(result_id.as_str()) {
        return Ok(DocumentDiagnosticReportResult::Report(
            DocumentDiagnosticReport::Unchanged(RelatedUnchangedDocumentDiagnosticReport {
                related_documents: None,
                unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport {
                    result_id,
                },
            }),
        ));
    }
    let findings = analysis::findings(session, &snap).await.unwrap_or_default();
    let items = convert::diagnostics(
        &snap,
        &findings,
        caps.encoding,
        DiagnosticCaps {
            related_information: caps.pull_related,
        },
    );
    Ok(full(Some(result_id), items))
}
