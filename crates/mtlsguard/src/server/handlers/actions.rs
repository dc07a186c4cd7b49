//! Code actions: quick fixes, "Disable <rule> for this line", fix-all, and "Show
//! documentation for <rule>".

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use mtlsguard_analyzer::{
    Edit, FILE_ERROR, Finding, Parsed, SYNTAX_ERROR, UNUSED_SUPPRESSION, fix_all, fix_until_stable,
    keep_clean_fixes, suppression_edit,
};
use serde_json::json;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CodeActionResponse, Command,
    Diagnostic, DocumentChanges, MessageType, OneOf, OptionalVersionedTextDocumentIdentifier,
    TextDocumentEdit, WorkspaceEdit,
};

use super::internal_error;
use crate::server::capabilities::{FIX_ALL_KIND, SHOW_RULE_DOCS_COMMAND};
use crate::server::convert::{self, DiagnosticCaps};
use crate::server::documents::{self, Snapshot};
use crate::server::guard::guarded;
use crate::server::position::{self, Encoding};
use crate::server::session::Session;
use crate::server::settings::Effective;

/// `textDocument/codeAction`, computed on a blocking thread: fix-all runs analyses.
pub async fn code_action(
    session: &Arc<Session>,
    params: CodeActionParams,
) -> jsonrpc::Result<Option<CodeActionResponse>> {
    let caps = session.caps();
    let uri = params.text_document.uri;
    let Some((snap, findings, linked)) = super::open_findings(session, &uri, "code actions").await
    else {
        return Ok(None);
    };
    let settings = session.settings_for(&uri);
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
        code_actions(&Request {
            snap: &snap,
            findings: &findings,
            range,
            only: only.as_deref(),
            enc,
            edit_caps,
            diag_caps,
            settings: &settings,
            linked,
        })
    })
    .await;
    match result {
        Ok(Ok(list)) => Ok(Some(list)),
        Ok(Err(panic)) => {
            session.log(
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

/// How edits go back to the client.
#[derive(Debug, Clone, Copy, Default)]
struct EditCaps {
    document_changes: bool,
}

fn workspace_edit(snap: &Snapshot, edits: &[Edit], enc: Encoding, caps: EditCaps) -> WorkspaceEdit {
    let text_edits = convert::text_edits(&snap.rope, edits, enc);
    if caps.document_changes {
        WorkspaceEdit {
            document_changes: Some(DocumentChanges::Edits(vec![TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier {
                    uri: snap.uri.clone(),
                    version: Some(snap.version),
                },
                edits: text_edits.into_iter().map(OneOf::Left).collect(),
            }])),
            ..WorkspaceEdit::default()
        }
    } else {
        WorkspaceEdit {
            changes: Some(HashMap::from([(snap.uri.clone(), text_edits)])),
            ..WorkspaceEdit::default()
        }
    }
}

/// Whether an action of `kind` was asked for (`only` lists kinds and their parents).
fn wanted(only: Option<&[CodeActionKind]>, kind: &str) -> bool {
    match only {
        None => true,
        Some(kinds) => kinds.iter().any(|k| {
            let k = k.as_str();
            kind == k
                || kind
                    .strip_prefix(k)
                    .is_some_and(|rest| rest.starts_with('.'))
        }),
    }
}

/// Every safe fix, applied and re-analyzed until nothing changes, as one minimal edit.
/// For a document with links, its findings depend on other files, which re-analyzing it
/// alone does not see: their safe fixes are applied once.
fn fix_all_edit(
    snap: &Snapshot,
    settings: &Effective,
    linked: Option<&[Finding]>,
) -> Result<Option<Edit>, String> {
    let Some(language) = snap.language else {
        return Ok(None);
    };
    if let Some(findings) = linked {
        return guarded(|| {
            let original = documents::text(&snap.rope);
            let (fixed, _) = fix_all(&original, findings, false);
            minimal_edit(&original, &fixed)
        });
    }
    // Each round parses the whole text: not for a document too large to analyze.
    if snap.rope.len_bytes() as u64 > settings.max_file_size {
        return Ok(None);
    }
    guarded(|| {
        let original = documents::text(&snap.rope);
        // As `check --fix`: never anything that would add syntax errors (`withheld`).
        let run = fix_until_stable(language, &original, &settings.analyzer, false);
        minimal_edit(&original, &run.text)
    })
}

/// One edit turning `old` into `new`: everything between their common prefix and suffix.
fn minimal_edit(old: &str, new: &str) -> Option<Edit> {
    if old == new {
        return None;
    }
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let mut prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    while !(old.is_char_boundary(prefix) && new.is_char_boundary(prefix)) {
        prefix -= 1;
    }
    let max_suffix = a.len().min(b.len()) - prefix;
    let mut suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    while !(old.is_char_boundary(a.len() - suffix) && new.is_char_boundary(b.len() - suffix)) {
        suffix -= 1;
    }
    Some(Edit {
        range: prefix..a.len() - suffix,
        new_text: new[prefix..b.len() - suffix].to_owned(),
    })
}

fn intersects(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// Everything the code action handler needs.
struct Request<'a> {
    snap: &'a Snapshot,
    findings: &'a [Finding],
    range: Range<usize>,
    only: Option<&'a [CodeActionKind]>,
    enc: Encoding,
    edit_caps: EditCaps,
    diag_caps: DiagnosticCaps,
    settings: &'a Effective,
    /// The findings come from the workspace (the document has links).
    linked: bool,
}

fn code_actions(req: &Request<'_>) -> Result<Vec<CodeActionOrCommand>, String> {
    let snap = req.snap;
    let mut out = Vec::new();
    let Some(language) = snap.language else {
        return Ok(out);
    };
    let diagnostic =
        |f: &Finding| -> Diagnostic { convert::diagnostic(snap, f, req.enc, req.diag_caps) };
    let here: Vec<&Finding> = req
        .findings
        .iter()
        .filter(|f| intersects(&f.range, &req.range))
        .collect();
    // The quick fixes under the cursor; in a document with syntax errors only those that
    // keep its syntax (see `keep_clean_fixes`: error recovery can shift around an edit).
    let mut fixable: Vec<Finding> = here
        .iter()
        .filter(|f| f.fix.is_some())
        .map(|f| (*f).clone())
        .collect();
    if !fixable.is_empty()
        && snap
            .tree
            .as_ref()
            .and_then(Parsed::tree)
            .is_some_and(|t| t.root_node().has_error())
    {
        let text = documents::text(&snap.rope);
        guarded(|| keep_clean_fixes(language, &text, &req.settings.analyzer, &mut fixable))?;
    }
    if wanted(req.only, CodeActionKind::QUICKFIX.as_str()) {
        for f in &fixable {
            if let Some(fix) = &f.fix {
                out.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix.title.clone(),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic(f)]),
                    edit: Some(workspace_edit(snap, &fix.edits, req.enc, req.edit_caps)),
                    is_preferred: fix.safe.then_some(true),
                    ..CodeAction::default()
                }));
            }
        }
        let mut seen = Vec::new();
        let mut text = None;
        for f in &here {
            // No directive can silence these (a file too large is never read for one).
            if [SYNTAX_ERROR, UNUSED_SUPPRESSION, FILE_ERROR].contains(&f.rule) {
                continue;
            }
            let line = snap.rope.byte_to_line(f.range.start);
            if seen.contains(&(f.rule, line)) {
                continue;
            }
            seen.push((f.rule, line));
            let text = text.get_or_insert_with(|| documents::text(&snap.rope));
            let edit = suppression_edit(text, language, f.rule, f.range.start);
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Disable {} for this line", f.rule),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic(f)]),
                edit: Some(workspace_edit(snap, &[edit], req.enc, req.edit_caps)),
                ..CodeAction::default()
            }));
        }
    }
    // Without `only` (the lightbulb, asked on every cursor move) fix-all is offered next to
    // a safe quick fix under the cursor: computing it costs a few analyses.
    let safe_fix_here = fixable
        .iter()
        .any(|f| f.fix.as_ref().is_some_and(|x| x.safe));
    if wanted(req.only, FIX_ALL_KIND)
        && (req.only.is_some() || safe_fix_here)
        && let Some(edit) = fix_all_edit(snap, req.settings, req.linked.then_some(req.findings))?
    {
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: "Fix all auto-fixable mtlsguard problems".to_owned(),
            kind: Some(CodeActionKind::from(FIX_ALL_KIND)),
            edit: Some(workspace_edit(snap, &[edit], req.enc, req.edit_caps)),
            ..CodeAction::default()
        }));
    }
    // Documentation is no kind of edit: offered only when any action is wanted (`only`
    // asks for kinds, and a client asking for quick fixes would apply it as one).
    if req.only.is_none() {
        let mut shown = Vec::new();
        for f in &here {
            if shown.contains(&f.rule) {
                continue;
            }
            shown.push(f.rule);
            let title = format!("Show documentation for {}", f.rule);
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: title.clone(),
                diagnostics: Some(vec![diagnostic(f)]),
                command: Some(Command {
                    title,
                    command: SHOW_RULE_DOCS_COMMAND.to_owned(),
                    arguments: Some(vec![json!(f.rule)]),
                }),
                ..CodeAction::default()
            }));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_edits() {
        assert_eq!(minimal_edit("abc", "abc"), None);
        assert_eq!(
            minimal_edit("abXc", "abYc"),
            Some(Edit {
                range: 2..3,
                new_text: "Y".into()
            })
        );
        assert_eq!(
            minimal_edit("aa", "aaa"),
            Some(Edit {
                range: 2..2,
                new_text: "a".into()
            })
        );
        // é and è share their first byte: the edit must not split it.
        assert_eq!(
            minimal_edit("é", "è"),
            Some(Edit {
                range: 0..2,
                new_text: "è".into()
            })
        );
    }

    #[test]
    fn kinds() {
        let only = [CodeActionKind::SOURCE_FIX_ALL];
        assert!(wanted(Some(&only), FIX_ALL_KIND));
        assert!(!wanted(Some(&only), "quickfix"));
        assert!(wanted(Some(&[CodeActionKind::SOURCE]), FIX_ALL_KIND));
        assert!(!wanted(
            Some(&[CodeActionKind::from("source.fix")]),
            FIX_ALL_KIND
        ));
        assert!(wanted(None, "quickfix"));
    }
}
