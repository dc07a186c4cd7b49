//! `mtlsguard server`: the language server (LSP over stdio, tower-lsp-server).
//!
//! Ordering: tower-lsp polls handler futures concurrently, so two `didChange` handlers may
//! run out of order (tower-lsp issue 284). The server therefore applies `didOpen`,
//! `didChange` and `didClose` in [`Ordered::call`], which the transport calls synchronously,
//! one message at a time, in the order the client sent them. Analysis then runs on
//! snapshots in the background and a result is published only if its document still has
//! the snapshot's `seq` (so an older version's diagnostics never follow a newer one's).

mod actions;
mod analysis;
mod capabilities;
mod convert;
mod documents;
mod guard;
mod position;
mod session;
mod settings;
mod stdin;
mod test_hooks;

use std::process::ExitCode;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use mtlsguard_analyzer::{Finding, Parsed, syntax_tree_dump};
use serde_json::Value;
use tower_lsp_server::jsonrpc::{self, Request, Response};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{ExitedError, LanguageServer, LspService, Server};

use self::actions::EditCaps;
use self::capabilities::{SYNTAX_TREE_COMMAND, caps_from};
use self::convert::DiagnosticCaps;
use self::documents::{Doc, LanguageId, Rejected, Snapshot};
use self::guard::guarded;
use self::session::Session;

/// How long a handler waits for the client to answer one of the server's requests (a
/// handler that waited forever would hold one of tower-lsp's few concurrent slots).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

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
            server: Arc::new(Session::new(client)),
        })
        .custom_method(stdin::INVALID_MESSAGE, Backend::invalid_message)
        .finish();
        let state = service.inner().server.clone();
        let ordered = Ordered {
            inner: service,
            state: state.clone(),
        };
        // tower-lsp stops reading at the first undecodable message: sanitize stdin first.
        let (reader, writer) = tokio::io::duplex(1 << 20);
        let at_eof = state.clone();
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
            () = state.exiting.notified() => {
                let _ = tokio::time::timeout(Duration::from_secs(1), &mut serve).await;
            }
        }
        state.is_shut_down()
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

impl Session {
    /// The findings of a snapshot, from the cache or computed on a blocking thread.
    /// `None` when analysis panicked (logged).
    async fn findings(self: &Arc<Self>, snap: &Snapshot) -> Option<Arc<Vec<Finding>>> {
        let sgen = self.settings_gen();
        if let Some(cached) = self.cached_findings(&snap.uri, snap.seq, sgen) {
            return Some(cached);
        }
        let settings = self.settings_for(&snap.uri);
        let task_snap = snap.clone();
        let analyzer = self.analyzer(&snap.uri);
        let result = tokio::task::spawn_blocking(move || {
            analysis::findings(&task_snap, &settings, &analyzer)
        })
        .await;
        match result {
            Ok(Ok(found)) => {
                let found = Arc::new(found);
                self.cache_findings(&snap.uri, snap.seq, sgen, found.clone());
                Some(found)
            }
            Ok(Err(panic)) => {
                self.log(
                    MessageType::ERROR,
                    format!(
                        "mtlsguard: analysis of {} (version {}) failed: {panic}",
                        snap.uri.as_str(),
                        snap.version
                    ),
                );
                None
            }
            Err(join) => {
                self.log(
                    MessageType::ERROR,
                    format!("mtlsguard: analysis task failed: {join}"),
                );
                None
            }
        }
    }

    /// Analyzes the document's current state and publishes the result, unless it is stale.
    async fn publish_current(self: Arc<Self>, uri: Uri) {
        let caps = self.caps();
        if caps.pull_diagnostics {
            return;
        }
        // From here on, a new change schedules a new task (at most one waits per document).
        self.scheduled.remove(&uri);
        let sgen = self.settings_gen();
        let Some(snap) = self.snapshot(&uri) else {
            return;
        };
        let findings = self.findings(&snap).await;
        let diagnostics = match &findings {
            Some(f) => convert::diagnostics(
                &snap,
                f,
                caps.encoding,
                DiagnosticCaps {
                    related_information: caps.push_related,
                },
            ),
            // A panic: show nothing rather than stale squiggles.
            None => Vec::new(),
        };
        let _order = self.publish.lock().await;
        if !self.is_current(&uri, snap.seq, sgen) {
            return;
        }
        self.client
            .publish_diagnostics(uri, diagnostics, Some(snap.version))
            .await;
    }

    fn schedule(self: &Arc<Self>, uri: Uri) {
        if self.caps().pull_diagnostics {
            return;
        }
        // Coalescing: while a task for this document has not started yet, it will see
        // this change too, so no second one is needed.
        if self.scheduled.insert(uri.clone()) {
            tokio::spawn(self.clone().publish_current(uri));
        }
    }

    /// Re-analyzes every open document (settings or a config file changed).
    async fn settings_changed(self: &Arc<Self>) {
        self.forget_settings();
        // `max-file-size` may have changed: parse what is now small enough, drop the trees
        // of what is not.
        let uris = self.open_uris();
        for uri in &uris {
            let max_len = self.settings_for(uri).max_file_size;
            self.with_doc_mut(uri, |doc| guarded(|| doc.set_max_len(max_len)));
        }
        let caps = self.caps();
        if caps.pull_diagnostics {
            if caps.diagnostic_refresh {
                let me = self.clone();
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(
                        CLIENT_TIMEOUT,
                        me.client.workspace_diagnostic_refresh(),
                    )
                    .await;
                });
            }
            return;
        }
        for uri in uris {
            self.schedule(uri);
        }
    }

    /// `didOpen` / `didChange` / `didClose`, applied synchronously in arrival order.
    fn sync_notification(self: &Arc<Self>, method: &str, params: Option<Value>) {
        let params = params.unwrap_or(Value::Null);
        let outcome = guarded(|| match method {
            "textDocument/didOpen" => serde_json::from_value::<DidOpenTextDocumentParams>(params)
                .map(|p| self.did_open(p)),
            "textDocument/didChange" => {
                serde_json::from_value::<DidChangeTextDocumentParams>(params)
                    .map(|p| self.did_change(p))
            }
            _ => serde_json::from_value::<DidCloseTextDocumentParams>(params)
                .map(|p| self.did_close(p)),
        });
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => self.log(
                MessageType::WARNING,
                format!("mtlsguard: ignored {method} with invalid params: {e}"),
            ),
            Err(panic) => self.log(
                MessageType::ERROR,
                format!("mtlsguard: {method} failed: {panic}"),
            ),
        }
    }

    fn did_open(self: &Arc<Self>, p: DidOpenTextDocumentParams) {
        let td = p.text_document;
        let kind = LanguageId::from_client(&td.language_id, td.uri.as_str());
        let seq = self.next_seq();
        let max_len = self.settings_for(&td.uri).max_file_size;
        let doc = guarded(|| Doc::open(kind, &td.text, td.version, seq, max_len));
        match doc {
            Ok(doc) => {
                let analyzed = doc.language_id != LanguageId::Other;
                if self.open(td.uri.clone(), doc) {
                    self.log(
                        MessageType::INFO,
                        format!("mtlsguard: {} opened again; replaced", td.uri.as_str()),
                    );
                }
                if analyzed {
                    self.schedule(td.uri);
                }
            }
            Err(panic) => {
                self.close(&td.uri);
                self.log(
                    MessageType::ERROR,
                    format!("mtlsguard: opening {} failed: {panic}", td.uri.as_str()),
                );
            }
        }
    }

    fn did_change(self: &Arc<Self>, p: DidChangeTextDocumentParams) {
        let uri = p.text_document.uri;
        let enc = self.caps().encoding;
        let seq = self.next_seq();
        let result = self.with_doc_mut(&uri, |doc| {
            let analyzed = doc.language_id != LanguageId::Other;
            guarded(|| {
                doc.apply_changes(p.text_document.version, &p.content_changes, enc, seq)
                    .map(|()| analyzed)
            })
        });
        let Some(result) = result else {
            self.log(
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
                if analyzed {
                    self.schedule(uri);
                }
            }
            Ok(Err(Rejected::StaleVersion { current, got })) => self.log(
                MessageType::WARNING,
                format!("mtlsguard: ignored a change to {} with version {got}, older than its version {current}", uri.as_str()),
            ),
            Err(panic) => {
                // The document is in an unknown state: forget it rather than show wrong results.
                self.close(&uri);
                self.log(
                    MessageType::ERROR,
                    format!("mtlsguard: applying a change to {} failed ({panic}); close and reopen it", uri.as_str()),
                );
                self.clear(uri);
            }
        }
    }

    fn did_close(self: &Arc<Self>, p: DidCloseTextDocumentParams) {
        let uri = p.text_document.uri;
        if !self.close(&uri) {
            self.log(
                MessageType::WARNING,
                format!(
                    "mtlsguard: ignored closing {}, which is not open",
                    uri.as_str()
                ),
            );
            return;
        }
        self.clear(uri);
    }

    /// Publishes "no diagnostics" for a document that is no longer open.
    fn clear(self: &Arc<Self>, uri: Uri) {
        if self.caps().pull_diagnostics {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let _order = me.publish.lock().await;
            // Reopened meanwhile: its own analysis publishes.
            if me.is_open(&uri) {
                return;
            }
            me.client.publish_diagnostics(uri, Vec::new(), None).await;
        });
    }
}

/// The transport-facing service: applies document notifications in order, delegates the rest.
struct Ordered {
    inner: LspService<Backend>,
    state: Arc<Session>,
}

impl tower::Service<Request> for Ordered {
    type Response = Option<Response>;
    type Error = ExitedError;
    type Future = BoxFuture<'static, Result<Option<Response>, ExitedError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ExitedError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        if req.method() == "exit" {
            self.state.exiting.notify_one();
        }
        let is_sync = matches!(
            req.method(),
            "textDocument/didOpen" | "textDocument/didChange" | "textDocument/didClose"
        );
        if !is_sync || req.id().is_some() {
            return self.inner.call(req);
        }
        let (method, _, params) = req.into_parts();
        if !self.state.is_initialized() || self.state.is_shut_down() {
            // Before `initialize` (or after `shutdown`) notifications are dropped (spec).
            return Box::pin(async { Ok(None) });
        }
        // The transport runs on `block_on`'s thread, not on a worker: re-parsing a large
        // document here delays the message loop, never the analyses (on the workers).
        self.state.sync_notification(&method, params);
        Box::pin(async { Ok(None) })
    }
}

struct Backend {
    server: Arc<Session>,
}

/// What the stdin sanitizer sends for a message it could not pass on.
#[derive(serde::Deserialize)]
struct InvalidMessage {
    code: i64,
    message: String,
}

impl Backend {
    /// Answers an unreadable message with its JSON-RPC error (the request has `id: null`).
    async fn invalid_message(&self, params: InvalidMessage) -> jsonrpc::Result<()> {
        self.server.log(
            MessageType::WARNING,
            format!("mtlsguard: unreadable message: {}", params.message),
        );
        Err(jsonrpc::Error {
            code: jsonrpc::ErrorCode::from(params.code),
            message: params.message.into(),
            data: None,
        })
    }
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

/// The document a command argument names: a URI string or `{ "uri": ... }`.
fn uri_argument(args: &[Value]) -> Option<Uri> {
    let v = args.first()?;
    let s = v
        .as_str()
        .or_else(|| v.get("uri").and_then(Value::as_str))?;
    s.parse().ok()
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> jsonrpc::Result<InitializeResult> {
        let caps = caps_from(&params.capabilities);
        let s = &self.server;
        s.apply_client_settings(params.initialization_options.as_ref());
        s.set_caps(caps.clone());
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "mtlsguard".to_owned(),
                version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            }),
            capabilities: capabilities::server_capabilities(&caps),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let s = &self.server;
        if s.caps().watch_files_dynamic {
            let options = DidChangeWatchedFilesRegistrationOptions {
                watchers: vec![FileSystemWatcher {
                    glob_pattern: GlobPattern::String("**/mtlsguard.toml".to_owned()),
                    kind: None,
                }],
            };
            let registration = Registration {
                id: "mtlsguard-config-watcher".to_owned(),
                method: "workspace/didChangeWatchedFiles".to_owned(),
                register_options: serde_json::to_value(options).ok(),
            };
            // Not awaited here: the handler must not hang on a client that never answers.
            let s = s.clone();
            tokio::spawn(async move {
                if let Err(e) = s.client.register_capability(vec![registration]).await {
                    s.log(
                        MessageType::WARNING,
                        format!("mtlsguard: cannot watch mtlsguard.toml files: {e}"),
                    );
                }
            });
        }
    }

    async fn shutdown(&self) -> jsonrpc::Result<()> {
        self.server.shut_down();
        Ok(())
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let s = &self.server;
        let mut value = params.settings;
        if value.is_null() && s.caps().configuration {
            // A client that sends no payload expects the server to pull the section.
            let item = ConfigurationItem {
                scope_uri: None,
                section: Some("mtlsguard".to_owned()),
            };
            match tokio::time::timeout(CLIENT_TIMEOUT, s.client.configuration(vec![item])).await {
                Ok(Ok(mut values)) if !values.is_empty() => value = values.swap_remove(0),
                Ok(Ok(_)) => {}
                Err(_) => s.log(
                    MessageType::WARNING,
                    "mtlsguard: the client did not send the configuration in time".to_owned(),
                ),
                Ok(Err(e)) => s.log(
                    MessageType::WARNING,
                    format!("mtlsguard: cannot read the configuration: {e}"),
                ),
            }
        }
        s.apply_client_settings(Some(&value));
        s.settings_changed().await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let s = &self.server;
        if params
            .changes
            .iter()
            .any(|c| c.uri.as_str().ends_with("mtlsguard.toml"))
        {
            s.settings_changed().await;
        }
    }

    async fn diagnostic(
        &self,
        params: DocumentDiagnosticParams,
    ) -> jsonrpc::Result<DocumentDiagnosticReportResult> {
        let s = &self.server;
        let caps = s.caps();
        let uri = params.text_document.uri;
        let full = |result_id: Option<String>, items: Vec<Diagnostic>| {
            DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Full(
                RelatedFullDocumentDiagnosticReport {
                    related_documents: None,
                    full_document_diagnostic_report: FullDocumentDiagnosticReport {
                        result_id,
                        items,
                    },
                },
            ))
        };
        let Some(snap) = s.snapshot(&uri) else {
            s.log(
                MessageType::INFO,
                format!(
                    "mtlsguard: diagnostics asked for {}, which is not open",
                    uri.as_str()
                ),
            );
            return Ok(full(None, Vec::new()));
        };
        let sgen = s.settings_gen();
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
        let findings = s.findings(&snap).await.unwrap_or_default();
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

    async fn code_action(
        &self,
        params: CodeActionParams,
    ) -> jsonrpc::Result<Option<CodeActionResponse>> {
        let s = &self.server;
        let caps = s.caps();
        let uri = params.text_document.uri;
        let Some(snap) = s.snapshot(&uri) else {
            s.log(
                MessageType::INFO,
                format!(
                    "mtlsguard: code actions asked for {}, which is not open",
                    uri.as_str()
                ),
            );
            return Ok(None);
        };
        if snap.language.is_none() {
            return Ok(None);
        }
        let Some(findings) = s.findings(&snap).await else {
            return Ok(None);
        };
        let settings = s.settings_for(&uri);
        let only = params.context.only;
        let range = position::byte_range(&snap.rope, params.range, caps.encoding);
        let enc = caps.encoding;
        let diag_caps = DiagnosticCaps {
            related_information: if caps.pull_diagnostics {
                caps.pull_related
            } else {
                caps.push_related
            },
        };
        let edit_caps = EditCaps {
            document_changes: caps.document_changes,
        };
        let result = tokio::task::spawn_blocking(move || {
            actions::code_actions(&actions::Request {
                snap: &snap,
                findings: &findings,
                range,
                only: only.as_deref(),
                enc,
                edit_caps,
                diag_caps,
                settings: &settings,
            })
        })
        .await;
        match result {
            Ok(Ok(list)) => Ok(Some(list)),
            Ok(Err(panic)) => {
                s.log(
                    MessageType::ERROR,
                    format!(
                        "mtlsguard: code actions for {} failed: {panic}",
                        uri.as_str()
                    ),
                );
                Err(internal_error(format!("code actions failed: {panic}")))
            }
            Err(e) => Err(internal_error(format!("code actions failed: {e}"))),
        }
    }

    async fn execute_command(
        &self,
        params: ExecuteCommandParams,
    ) -> jsonrpc::Result<Option<Value>> {
        let s = &self.server;
        if params.command != SYNTAX_TREE_COMMAND {
            return Err(invalid_params(format!(
                "unknown command {:?}",
                params.command
            )));
        }
        let Some(uri) = uri_argument(&params.arguments) else {
            return Err(invalid_params(format!(
                "{SYNTAX_TREE_COMMAND} takes the document URI as its argument"
            )));
        };
        let Some(snap) = s.snapshot(&uri) else {
            return Err(invalid_params(format!("{} is not open", uri.as_str())));
        };
        if snap.language.is_none() {
            return Err(invalid_params(format!(
                "{} is not a Bicep file or an ARM template",
                uri.as_str()
            )));
        }
        let tree = match snap.tree {
            Some(Parsed::Tree(tree)) => tree,
            Some(Parsed::OutOfTime) => {
                return Err(invalid_params(format!(
                    "{} could not be parsed in time ({} bytes)",
                    uri.as_str(),
                    snap.rope.len_bytes()
                )));
            }
            None => {
                return Err(invalid_params(format!(
                    "{} is too large to parse ({} bytes)",
                    uri.as_str(),
                    snap.rope.len_bytes()
                )));
            }
        };
        let rope = snap.rope;
        let dump = tokio::task::spawn_blocking(move || {
            guarded(|| syntax_tree_dump(&tree, &documents::text(&rope)))
        })
        .await
        .map_err(|e| internal_error(e.to_string()))?
        .map_err(internal_error)?;
        Ok(Some(Value::String(dump)))
    }
}
