//! When things run, and in which order.
//!
//! tower-lsp polls handler futures concurrently, so two `didChange` handlers may run out of
//! order (tower-lsp issue 284). The server therefore applies `didOpen`, `didChange` and
//! `didClose` in [`Ordered::call`], which tower-lsp's `Server` calls synchronously, one
//! message at a time, in the order the client sent them. Analysis then runs on snapshots
//! in the background, at most one waiting task per document ([`schedule`]), and a result
//! is published only if its document still has the snapshot's `seq` (so an older
//! version's diagnostics never follow a newer one's).

use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use serde_json::Value;
use tower_lsp_server::ExitedError;
use tower_lsp_server::jsonrpc::{Request, Response};
use tower_lsp_server::ls_types::Uri;

use super::analysis;
use super::convert::{self, DiagnosticCaps};
use super::session::Session;
use super::workspace;

/// Analyzes a document in the background and publishes its diagnostics (push mode only).
pub fn schedule(session: &Arc<Session>, uri: Uri) {
    if session.caps().pull_diagnostics {
        return;
    }
    // Coalescing: while a task for this document has not started yet, it will see
    // this change too, so no second one is needed.
    if session.scheduled.insert(uri.clone()) {
        let session = session.clone();
        tokio::spawn(async move {
            // From here on, a new change schedules a new task (at most one waits per document).
            session.scheduled.remove(&uri);
            publish_current(&session, uri).await;
        });
    }
}

/// Analyzes the document's current state and publishes the result, unless it is stale.
async fn publish_current(session: &Arc<Session>, uri: Uri) {
    let caps = session.caps();
    if caps.pull_diagnostics {
        return;
    }
    let sgen = session.settings_gen();
    let Some(snap) = session.snapshot(&uri) else {
        return;
    };
    let findings = analysis::findings(session, &snap).await;
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
    let mut pushed = session.publish.lock().await;
    // A document with links gets its diagnostics from the passes across files (decided
    // here, under the lock, so a pass that just linked it is seen).
    if !session.is_current(&uri, snap.seq, sgen) || workspace::is_linked(session, &uri) {
        return;
    }
    pushed.insert(uri.clone(), (Some(snap.version), diagnostics.clone()));
    session
        .client
        .publish_diagnostics(uri, diagnostics, Some(snap.version))
        .await;
}

/// Publishes "no diagnostics" for a document that is no longer open.
pub fn clear(session: &Arc<Session>, uri: Uri) {
    // A linked file keeps what its links give it: the pass that re-reads it from disk
    // publishes that (an empty list included), and a clear sent after it would wipe it.
    if session.caps().pull_diagnostics || workspace::is_linked(session, &uri) {
        return;
    }
    let session = session.clone();
    tokio::spawn(async move {
        let mut pushed = session.publish.lock().await;
        // Reopened meanwhile: its own analysis publishes.
        if session.is_open(&uri) {
            return;
        }
        pushed.remove(&uri);
        session
            .client
            .publish_diagnostics(uri, Vec::new(), None)
            .await;
    });
}

/// Applies one document notification (method, params) on the message loop's thread.
pub type ApplySync = fn(&Arc<Session>, &str, Option<Value>);

type Reply = BoxFuture<'static, Result<Option<Response>, ExitedError>>;

/// The transport-facing service: applies document notifications in order, delegates the rest
/// to `inner` (tower-lsp's service).
pub struct Ordered<S> {
    pub inner: S,
    pub session: Arc<Session>,
    /// `handlers::sync::apply`, passed in by the wiring so that the order of messages does
    /// not depend on what the handlers do with them.
    pub apply: ApplySync,
}

impl<S> tower::Service<Request> for Ordered<S>
where
    S: tower::Service<Request, Response = Option<Response>, Error = ExitedError, Future = Reply>,
{
    type Response = Option<Response>;
    type Error = ExitedError;
    type Future = Reply;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ExitedError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        if req.method() == "exit" {
            self.session.exiting.notify_one();
        }
        let is_sync = matches!(
            req.method(),
            "textDocument/didOpen" | "textDocument/didChange" | "textDocument/didClose"
        );
        if !is_sync || req.id().is_some() {
            return self.inner.call(req);
        }
        let (method, _, params) = req.into_parts();
        if !self.session.is_initialized() || self.session.is_shut_down() {
            // Before `initialize` (or after `shutdown`) notifications are dropped (spec).
            return Box::pin(async { Ok(None) });
        }
        // `Server` runs on `block_on`'s thread, not on a worker: re-parsing a large
        // document here delays the message loop, never the analyses (on the workers).
        (self.apply)(&self.session, &method, params);
        Box::pin(async { Ok(None) })
    }
}
