//! `textDocument/diagnostic` and `workspace/diagnostic`: diagnostics for a client that
//! pulls them. A client that does not gets them published after each change instead
//! (`schedule.rs`, and `workspace/pass.rs` for files with links).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{
    Diagnostic, DocumentDiagnosticParams, DocumentDiagnosticReport, DocumentDiagnosticReportResult,
    FullDocumentDiagnosticReport, MessageType, RelatedFullDocumentDiagnosticReport,
    RelatedUnchangedDocumentDiagnosticReport, UnchangedDocumentDiagnosticReport, Uri,
    WorkspaceDiagnosticParams, WorkspaceDiagnosticReport, WorkspaceDiagnosticReportResult,
    WorkspaceDocumentDiagnosticReport, WorkspaceFullDocumentDiagnosticReport,
    WorkspaceUnchangedDocumentDiagnosticReport,
};

use super::internal_error;
use crate::server::analysis;
use crate::server::convert::{self, DiagnosticCaps, Target};
use crate::server::session::Session;
use crate::server::workspace::{self, report};

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
    let diag_caps = DiagnosticCaps {
        related_information: caps.pull_related,
    };
    let unchanged = |result_id: String| {
        DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Unchanged(
            RelatedUnchangedDocumentDiagnosticReport {
                related_documents: None,
                unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport {
                    result_id,
                },
            },
        ))
    };
    if let Some(linked) = workspace::linked_findings(session, &snap).await {
        // Other files' changes change these: the id is the content's.
        let shared = &session.workspace;
        let elsewhere = |p: &str| Some((shared.uri_of(p)?, linked.ropes.get(p)?.clone()));
        let items = convert::diagnostics_in(
            Target::of(&snap),
            &linked.findings,
            caps.encoding,
            diag_caps,
            &elsewhere,
        );
        let result_id = report::result_id(&items);
        if params.previous_result_id.as_deref() == Some(result_id.as_str()) {
            return Ok(unchanged(result_id));
        }
        return Ok(full(Some(result_id), items));
    }
    let sgen = session.settings_gen();
    let result_id = format!("{}-{sgen}", snap.seq);
    if params.previous_result_id.as_deref() == Some(result_id.as_str()) {
        return Ok(unchanged(result_id));
    }
    let findings = analysis::findings(session, &snap).await.unwrap_or_default();
    let items = convert::diagnostics(&snap, &findings, caps.encoding, diag_caps);
    Ok(full(Some(result_id), items))
}

/// `workspace/diagnostic`: a full report for every file of the workspace with findings
/// ("unchanged" for one the client has as it is), and an empty one for each file the
/// client has a report of that no longer has any.
pub async fn workspace(
    session: &Arc<Session>,
    params: WorkspaceDiagnosticParams,
) -> jsonrpc::Result<WorkspaceDiagnosticReportResult> {
    let previous: HashMap<Uri, String> = params
        .previous_result_ids
        .into_iter()
        .map(|p| (p.uri, p.value))
        .collect();
    let task = session.clone();
    let files = tokio::task::spawn_blocking(move || report::reports(&task))
        .await
        .map_err(|e| internal_error(format!("workspace diagnostics failed: {e}")))?;
    let mut items = Vec::new();
    let mut reported = HashSet::new();
    for f in files.iter() {
        reported.insert(&f.uri);
        let version = f.version.map(i64::from);
        if previous.get(&f.uri) == Some(&f.result_id) {
            items.push(WorkspaceDocumentDiagnosticReport::Unchanged(
                WorkspaceUnchangedDocumentDiagnosticReport {
                    uri: f.uri.clone(),
                    version,
                    unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport {
                        result_id: f.result_id.clone(),
                    },
                },
            ));
        } else {
            items.push(WorkspaceDocumentDiagnosticReport::Full(
                WorkspaceFullDocumentDiagnosticReport {
                    uri: f.uri.clone(),
                    version,
                    full_document_diagnostic_report: FullDocumentDiagnosticReport {
                        result_id: Some(f.result_id.clone()),
                        items: f.items.clone(),
                    },
                },
            ));
        }
    }
    let empty = report::result_id(&[]);
    for (uri, id) in &previous {
        if reported.contains(uri) || *id == empty {
            continue;
        }
        let version = session.snapshot(uri).map(|s| i64::from(s.version));
        items.push(WorkspaceDocumentDiagnosticReport::Full(
            WorkspaceFullDocumentDiagnosticReport {
                uri: uri.clone(),
                version,
                full_document_diagnostic_report: FullDocumentDiagnosticReport {
                    result_id: Some(empty.clone()),
                    items: Vec::new(),
                },
            },
        ));
    }
    Ok(WorkspaceDiagnosticReportResult::Report(
        WorkspaceDiagnosticReport { items },
    ))
}
