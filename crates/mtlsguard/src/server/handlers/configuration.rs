//! Settings changes: `workspace/didChangeConfiguration` (the editor's settings) and
//! `workspace/didChangeWatchedFiles` (a `mtlsguard.toml`), both re-analyzing every open
//! document.

use std::sync::Arc;
use std::time::Duration;

use tower_lsp_server::ls_types::{
    ConfigurationItem, DidChangeConfigurationParams, DidChangeWatchedFilesParams, MessageType,
};

use crate::server::guard::guarded;
use crate::server::schedule::schedule;
use crate::server::session::Session;
use crate::server::workspace;

/// How long a handler waits for the client to answer one of the server's requests (a
/// handler that waited forever would hold one of tower-lsp's few concurrent slots).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn did_change_configuration(
    session: &Arc<Session>,
    params: DidChangeConfigurationParams,
) {
    let mut value = params.settings;
    if value.is_null() && session.caps().configuration {
        // A client that sends no payload expects the server to pull the section.
        let item = ConfigurationItem {
            scope_uri: None,
            section: Some("mtlsguard".to_owned()),
        };
        match tokio::time::timeout(CLIENT_TIMEOUT, session.client.configuration(vec![item])).await {
            Ok(Ok(mut values)) if !values.is_empty() => value = values.swap_remove(0),
            Ok(Ok(_)) => {}
            Err(_) => session.log(
                MessageType::WARNING,
                "mtlsguard: the client did not send the configuration in time".to_owned(),
            ),
            Ok(Err(e)) => session.log(
                MessageType::WARNING,
                format!("mtlsguard: cannot read the configuration: {e}"),
            ),
        }
    }
    session.apply_client_settings(Some(&value));
    reload(session).await;
}

pub async fn did_change_watched_files(session: &Arc<Session>, params: DidChangeWatchedFilesParams) {
    workspace::watched(session, &params.changes);
    if params.changes.iter().any(|c| {
        super::lifecycle::CONFIG_FILES
            .iter()
            .any(|name| c.uri.as_str().ends_with(&format!("/{name}")))
    }) {
        reload(session).await;
    }
}

/// Re-analyzes every open document (settings or a config file changed).
async fn reload(session: &Arc<Session>) {
    session.forget_settings();
    // `max-file-size` may have changed: parse what is now small enough, drop the trees
    // of what is not.
    let uris = session.open_uris();
    for uri in &uris {
        let max_len = session.settings_for(uri).max_file_size;
        session.with_doc_mut(uri, |doc| guarded(|| doc.set_max_len(max_len)));
    }
    // Rule levels apply across files too. A pulling client is asked to pull again when
    // this pass ends (it reads everything anew), not before: once is enough.
    workspace::queue_full(session);
    if session.caps().pull_diagnostics {
        return;
    }
    for uri in uris {
        schedule(session, uri);
    }
}
