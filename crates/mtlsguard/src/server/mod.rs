//! `mtlsguard server`: the language server (LSP over stdio, tower-lsp-server).
//!
//! This module only wires the parts together: the stdin sanitizer (`stdin.rs`) in front of
//! tower-lsp, the ordered front that applies document changes in arrival order
//! (`schedule.rs`), and the handlers (`handlers/`), each working on the one [`Session`].

mod analysis;
mod capabilities;
mod convert;
mod documents;
mod guard;
mod handlers;
mod position;
mod schedule;
mod session;
mod settings;
mod stdin;
mod test_hooks;
mod workspace;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{LanguageServer, LspService, Server};

use self::handlers::unreadable::InvalidMessage;
use self::handlers::{
    actions, commands, configuration, diagnostics, hover, lifecycle, sync, unreadable,
};
use self::schedule::Ordered;
use self::session::Session;

#[derive(clap::Args)]
pub struct ServerArgs {
    /// Accepted (even repeated, as some clients append it to a command that has it) and
    /// ignored: stdio is the only transport.
    #[arg(long, action = clap::ArgAction::Count)]
    stdio: u8,
}

pub fn run(_: ServerArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mtlsguard server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let clean = runtime.block_on(async {
        let (service, socket) = LspService::build(|client| Backend {
            session: Arc::new(Session::new(client)),
        })
        .custom_method(stdin::INVALID_MESSAGE, Backend::invalid_message)
        .finish();
        let session = service.inner().session.clone();
        let ordered = Ordered {
            inner: service,
            session: session.clone(),
            apply: sync::apply,
        };
        // tower-lsp stops reading at the first undecodable message: sanitize stdin first.
        let (reader, writer) = tokio::io::duplex(1 << 20);
        let at_eof = session.clone();
        tokio::spawn(async move {
            let _ = stdin::sanitize(tokio::io::stdin(), writer).await;
            at_eof.exiting.notify_one();
        });
        let serve = Server::new(reader, tokio::io::stdout(), socket).serve(ordered);
        tokio::pin!(serve);
        // `serve` also waits for handlers still running, and one may wait for an answer
        // from a client that has gone (e.g. `client/registerCapability`): after `exit` or
        // the end of stdin, give it a moment to flush, then stop regardless.
        tokio::select! {
            () = &mut serve => {}
            () = session.exiting.notified() => {
                let _ = tokio::time::timeout(Duration::from_secs(1), &mut serve).await;
            }
        }
        session.is_shut_down()
    });
    // Do not wait for analyses still running: the client has gone.
    runtime.shutdown_timeout(Duration::from_millis(100));
    // Per spec: exit code 0 after `shutdown`, 1 when `exit` (or EOF) came without it.
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

struct Backend {
    session: Arc<Session>,
}

impl Backend {
    async fn invalid_message(&self, params: InvalidMessage) -> jsonrpc::Result<()> {
        unreadable::answer(&self.session, params)
    }
}

/// `didOpen`, `didChange` and `didClose` are missing on purpose: the ordered front applies
/// them before tower-lsp sees them (`schedule.rs`).
impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> jsonrpc::Result<InitializeResult> {
        lifecycle::initialize(&self.session, params)
    }

    async fn initialized(&self, _: InitializedParams) {
        lifecycle::initialized(&self.session);
    }

    async fn shutdown(&self) -> jsonrpc::Result<()> {
        lifecycle::shutdown(&self.session)
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        configuration::did_change_configuration(&self.session, params).await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        configuration::did_change_watched_files(&self.session, params).await;
    }

    async fn did_delete_files(&self, params: DeleteFilesParams) {
        crate::server::workspace::deleted(
            &self.session,
            params.files.into_iter().filter_map(|f| f.uri.parse().ok()),
        );
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        crate::server::workspace::folders_changed(&self.session, &params.event);
    }

    async fn diagnostic(
        &self,
        params: DocumentDiagnosticParams,
    ) -> jsonrpc::Result<DocumentDiagnosticReportResult> {
        diagnostics::pull(&self.session, params).await
    }

    async fn workspace_diagnostic(
        &self,
        params: WorkspaceDiagnosticParams,
    ) -> jsonrpc::Result<WorkspaceDiagnosticReportResult> {
        diagnostics::workspace(&self.session, params).await
    }

    async fn hover(&self, params: HoverParams) -> jsonrpc::Result<Option<Hover>> {
        hover::hover(&self.session, params).await
    }

    async fn code_action(
        &self,
        params: CodeActionParams,
    ) -> jsonrpc::Result<Option<CodeActionResponse>> {
        actions::code_action(&self.session, params).await
    }

    async fn execute_command(
        &self,
        params: ExecuteCommandParams,
    ) -> jsonrpc::Result<Option<Value>> {
        commands::execute_command(&self.session, params).await
    }
}
