//! What the client can do (read once, at `initialize`) and what the server offers in return.

use tower_lsp_server::ls_types::*;

use super::position::Encoding;

/// The code action kind of "fix all"; a client asks for it by this kind (or `source`).
pub const FIX_ALL_KIND: &str = "source.fixAll.mtlsguard";

pub const SYNTAX_TREE_COMMAND: &str = "mtlsguard.syntaxTree";

/// Opens a rule's page (argument: the rule id); the code action "Show documentation for
/// <rule>" runs it.
pub const SHOW_RULE_DOCS_COMMAND: &str = "mtlsguard.showRuleDocs";

/// What the client told us it can do, fixed at `initialize`.
#[derive(Debug, Clone, Default)]
pub struct Caps {
    pub encoding: Encoding,
    pub pull_diagnostics: bool,
    pub diagnostic_refresh: bool,
    pub push_related: bool,
    pub pull_related: bool,
    pub document_changes: bool,
    pub watch_files_dynamic: bool,
    pub configuration: bool,
    /// Hovers in Markdown (else plain text: the client listed formats without it).
    pub hover_markdown: bool,
    /// `window/showDocument`: rule pages open as files in the editor.
    pub show_document: bool,
    /// `window/workDoneProgress`: the server may create progress tokens (indexing).
    pub work_done_progress: bool,
}

pub fn caps_from(c: &ClientCapabilities) -> Caps {
    let td = c.text_document.as_ref();
    let ws = c.workspace.as_ref();
    let pull = td.and_then(|t| t.diagnostic.as_ref());
    Caps {
        encoding: Encoding::negotiate(
            c.general
                .as_ref()
                .and_then(|g| g.position_encodings.as_deref()),
        ),
        pull_diagnostics: pull.is_some(),
        diagnostic_refresh: ws
            .and_then(|w| w.diagnostics.as_ref())
            .and_then(|d| d.refresh_support)
            .unwrap_or(false),
        push_related: td
            .and_then(|t| t.publish_diagnostics.as_ref())
            .and_then(|p| p.related_information)
            .unwrap_or(false),
        pull_related: pull.and_then(|p| p.related_information).unwrap_or(false),
        document_changes: ws
            .and_then(|w| w.workspace_edit.as_ref())
            .and_then(|e| e.document_changes)
            .unwrap_or(false),
        watch_files_dynamic: ws
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false),
        configuration: ws.and_then(|w| w.configuration).unwrap_or(false),
        // A client that lists no formats gets Markdown, which every hover-capable editor
        // renders or shows readably; one that lists formats gets Markdown only if listed.
        hover_markdown: td
            .and_then(|t| t.hover.as_ref())
            .and_then(|h| h.content_format.as_ref())
            .is_none_or(|formats| formats.contains(&MarkupKind::Markdown)),
        show_document: c
            .window
            .as_ref()
            .and_then(|w| w.show_document.as_ref())
            .is_some_and(|s| s.support),
        work_done_progress: c
            .window
            .as_ref()
            .and_then(|w| w.work_done_progress)
            .unwrap_or(false),
    }
}

/// The server's half of `initialize`: pull diagnostics only for a client that pulls
/// (a client that can do both gets them one way, not twice).
pub fn server_capabilities(caps: &Caps) -> ServerCapabilities {
    let diagnostic_provider = caps.pull_diagnostics.then(|| {
        DiagnosticServerCapabilities::Options(DiagnosticOptions {
            identifier: Some("mtlsguard".to_owned()),
            // A file's findings depend on its callers and callees (spec section 8).
            inter_file_dependencies: true,
            workspace_diagnostics: true,
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })
    });
    ServerCapabilities {
        position_encoding: Some(caps.encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                ..TextDocumentSyncOptions::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::from(FIX_ALL_KIND),
            ]),
            resolve_provider: Some(false),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![
                SYNTAX_TREE_COMMAND.to_owned(),
                SHOW_RULE_DOCS_COMMAND.to_owned(),
            ],
            work_done_progress_options: WorkDoneProgressOptions::default(),
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        diagnostic_provider,
        // Folders added later are indexed too; removed ones leave the workspace.
        workspace: Some(WorkspaceServerCapabilities {
            workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(OneOf::Left(true)),
            }),
            // A folder deleted in the editor: the watcher's template globs miss it.
            file_operations: Some(WorkspaceFileOperationsServerCapabilities {
                did_delete: Some(FileOperationRegistrationOptions {
                    filters: vec![FileOperationFilter {
                        scheme: Some("file".to_owned()),
                        pattern: FileOperationPattern {
                            glob: "**".to_owned(),
                            matches: Some(FileOperationPatternKind::Folder),
                            options: None,
                        },
                    }],
                }),
                ..WorkspaceFileOperationsServerCapabilities::default()
            }),
        }),
        ..ServerCapabilities::default()
    }
}
