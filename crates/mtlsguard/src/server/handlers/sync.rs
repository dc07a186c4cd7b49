//! `didOpen`, `didChange`, `didClose`: applied synchronously, in arrival order, by the
//! ordered front (`schedule.rs`), never as tower-lsp handlers.

use std::sync::Arc;

use serde_json::Value;
use tower_lsp_server::ls_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams, MessageType,
};

use crate::server::documents::{Doc, LanguageId, Rejected};
use crate::server::guard::guarded;
use crate::server::schedule::{self, schedule};
use crate::server::session::Session;
use crate::server::workspace::{self, Touch};

/// Applies one document notification; invalid params and panics are logged, not fatal.
pub fn apply(session: &Arc<Session>, method: &str, params: Option<Value>) {
    let params = params.unwrap_or(Value::Null);
    let outcome = guarded(|| match method {
        "textDocument/didOpen" => serde_json::from_value::<DidOpenTextDocumentParams>(params)
            .map(|p| did_open(session, p)),
        "textDocument/didChange" => serde_json::from_value::<DidChangeTextDocumentParams>(params)
            .map(|p| did_change(session, p)),
        _ => serde_json::from_value::<DidCloseTextDocumentParams>(params)
            .map(|p| did_close(session, p)),
    });
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => session.log(
            MessageType::WARNING,
            format!("mtlsguard: ignored {method} with invalid params: {e}"),
        ),
        Err(panic) => session.log(
            MessageType::ERROR,
            format!("mtlsguard: {method} failed: {panic}"),
        ),
    }
}

fn did_open(session: &Arc<Session>, p: DidOpenTextDocumentParams) {
    let td = p.text_document;
    let language_id = LanguageId::from_client(&td.language_id, td.uri.as_str());
    let seq = session.next_seq();
    let max_len = session.settings_for(&td.uri).max_file_size;
    let doc = guarded(|| Doc::open(language_id, &td.text, td.version, seq, max_len));
    match doc {
        Ok(doc) => {
            let analyzed = doc.language_id != LanguageId::Other;
            if session.open(td.uri.clone(), doc) {
                session.log(
                    MessageType::INFO,
                    format!("mtlsguard: {} opened again; replaced", td.uri.as_str()),
                );
            }
            workspace::touched(session, &td.uri, Touch::Opened);
            if analyzed {
                schedule(session, td.uri);
            }
        }
        Err(panic) => {
            session.close(&td.uri);
            workspace::touched(session, &td.uri, Touch::Closed);
            session.log(
                MessageType::ERROR,
                format!("mtlsguard: opening {} failed: {panic}", td.uri.as_str()),
            );
        }
    }
}

fn did_change(session: &Arc<Session>, p: DidChangeTextDocumentParams) {
    let uri = p.text_document.uri;
    let enc = session.caps().encoding;
    let seq = session.next_seq();
    let result = session.with_doc_mut(&uri, |doc| {
        let analyzed = doc.language_id != LanguageId::Other;
        guarded(|| {
            doc.apply_changes(p.text_document.version, &p.content_changes, enc, seq)
                .map(|()| analyzed)
        })
    });
    let Some(result) = result else {
        session.log(
            MessageType::WARNING,
            format!(
                "mtlsguard: ignored a change to {}, which is not open",
                uri.as_str()
            ),
        );
        return;
    };
    match result {
        Ok(Ok(analyzed)) => {
            workspace::touched(session, &uri, Touch::Changed);
            if analyzed {
                schedule(session, uri);
            }
        }
        Ok(Err(Rejected::StaleVersion { current, got })) => session.log(
            MessageType::WARNING,
            format!("mtlsguard: ignored a change to {} with version {got}, older than its version {current}", uri.as_str()),
        ),
        Err(panic) => {
            // The document is in an unknown state: forget it rather than show wrong results.
            session.close(&uri);
            workspace::touched(session, &uri, Touch::Closed);
            session.log(
                MessageType::ERROR,
                format!("mtlsguard: applying a change to {} failed ({panic}); close and reopen it", uri.as_str()),
            );
            schedule::clear(session, uri);
        }
    }
}

fn did_close(session: &Arc<Session>, p: DidCloseTextDocumentParams) {
    let uri = p.text_document.uri;
    if !session.close(&uri) {
        session.log(
            MessageType::WARNING,
            format!(
                "mtlsguard: ignored closing {}, which is not open",
                uri.as_str()
            ),
        );
        return;
    }
    workspace::touched(session, &uri, Touch::Closed);
    schedule::clear(session, uri);
}
