//! `initialize`, `initialized`, `shutdown`.

use std::sync::Arc;

use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{
    DidChangeWatchedFilesRegistrationOptions, FileSystemWatcher, GlobPattern, InitializeParams,
    InitializeResult, MessageType, Registration, ServerInfo,
};

use crate::server::capabilities::{self, caps_from};
use crate::server::session::Session;
use crate::server::workspace;

pub fn initialize(
    session: &Arc<Session>,
    params: InitializeParams,
) -> jsonrpc::Result<InitializeResult> {
    let caps = caps_from(&params.capabilities);
    session.apply_client_settings(params.initialization_options.as_ref());
    workspace::set_folders(session, &params);
    session.set_caps(caps.clone());
    Ok(InitializeResult {
        server_info: Some(ServerInfo {
            name: "mtlsguard".to_owned(),
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        }),
        capabilities: capabilities::server_capabilities(&caps),
        offset_encoding: None,
    })
}

/// The files whose change re-reads the settings of every open document.
pub const CONFIG_FILES: [&str; 2] = ["mtlsguard.toml", "bicepconfig.json"];

/// The files of the workspace whose changes on disk it follows.
const TEMPLATE_FILES: [&str; 4] = ["*.bicep", "*.bicepparam", "*.json", "*.jsonc"];

/// Starts indexing the workspace folders, and asks a client that can watch files for us
/// to report changes of the config files (`mtlsguard.toml`, and `bicepconfig.json`,
/// whose rule levels are a layer below and whose aliases lead to registry modules) and
/// of the templates.
pub fn initialized(session: &Arc<Session>) {
    workspace::start_indexing(session);
    if !session.caps().watch_files_dynamic {
        return;
    }
    let options = DidChangeWatchedFilesRegistrationOptions {
        watchers: CONFIG_FILES
            .iter()
            .chain(&TEMPLATE_FILES)
            .map(|name| FileSystemWatcher {
                glob_pattern: GlobPattern::String(format!("**/{name}")),
                kind: None,
            })
            .collect(),
    };
    let registration = Registration {
        id: "mtlsguard-config-watcher".to_owned(),
        method: "workspace/didChangeWatchedFiles".to_owned(),
        register_options: serde_json::to_value(options).ok(),
    };
    // Not awaited here: the handler must not hang on a client that never answers.
    let session = session.clone();
    tokio::spawn(async move {
        if let Err(e) = session.client.register_capability(vec![registration]).await {
            session.log(
                MessageType::WARNING,
                format!("mtlsguard: cannot watch the config files and templates: {e}"),
            );
        }
    });
}

/// From here on, document notifications are dropped and `exit` ends the process with 0.
pub fn shutdown(session: &Session) -> jsonrpc::Result<()> {
    session.shut_down();
    Ok(())
}
