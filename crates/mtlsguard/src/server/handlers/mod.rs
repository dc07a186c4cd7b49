//! The LSP handlers, one module per area. Each takes the [`Session`] and the params;
//! `mod.rs` forwards tower-lsp's calls to them.
//!
//! [`Session`]: super::session::Session

pub mod actions;
pub mod commands;
pub mod configuration;
pub mod diagnostics;
pub mod hover;
pub mod lifecycle;
pub mod sync;
pub mod unreadable;

use std::sync::Arc;

use mtlsguard_analyzer::Finding;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{MessageType, Uri};

use super::analysis;
use super::documents::Snapshot;
use super::session::Session;
use super::workspace;

/// The current snapshot of an open, analyzed document and its findings, for a request
/// about it (`what` names the request in the log line for a document that is not open);
/// and whether they come from the workspace (the document has links).
async fn open_findings(
    session: &Arc<Session>,
    uri: &Uri,
    what: &str,
) -> Option<(Snapshot, Arc<Vec<Finding>>, bool)> {
    let Some(snap) = session.snapshot(uri) else {
        session.log(
            MessageType::INFO,
            format!(
                "mtlsguard: {what} asked for {}, which is not open",
                uri.as_str()
            ),
        );
        return None;
    };
    if let Some(linked) = workspace::linked_findings(session, &snap).await {
        return Some((snap, linked.findings, true));
    }
    snap.language?;
    let findings = analysis::findings(session, &snap).await?;
    Some((snap, findings, false))
}

fn invalid_params(message: String) -> jsonrpc::Error {
    jsonrpc::Error {
        code: jsonrpc::ErrorCode::InvalidParams,
        message: message.into(),
        data: None,
    }
}

fn internal_error(message: String) -> jsonrpc::Error {
    jsonrpc::Error {
        code: jsonrpc::ErrorCode::InternalError,
        message: message.into(),
        data: None,
    }
}
