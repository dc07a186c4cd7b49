//! `workspace/executeCommand`: the syntax tree command (the parse the rules see, for
//! debugging a finding or the grammar), and a rule's page.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mtlsguard_analyzer::{Parsed, RuleMeta, rule, syntax_tree_dump};
use serde_json::Value;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{ExecuteCommandParams, MessageType, ShowDocumentParams, Uri};

use super::{internal_error, invalid_params};
use crate::server::capabilities::{SHOW_RULE_DOCS_COMMAND, SYNTAX_TREE_COMMAND};
use crate::server::documents;
use crate::server::guard::guarded;
use crate::server::session::Session;

pub async fn execute_command(
    session: &Arc<Session>,
    params: ExecuteCommandParams,
) -> jsonrpc::Result<Option<Value>> {
    if params.command == SHOW_RULE_DOCS_COMMAND {
        return show_rule_docs(session, &params.arguments).await;
    }
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
    let Some(snap) = session.snapshot(&uri) else {
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

/// The document a command argument names: a URI string or `{ "uri": ... }`.
fn uri_argument(args: &[Value]) -> Option<Uri> {
    let arg = args.first()?;
    let uri = arg
        .as_str()
        .or_else(|| arg.get("uri").and_then(Value::as_str))?;
    uri.parse().ok()
}

/// `mtlsguard.showRuleDocs <rule>`: the page is embedded in the binary, and
/// `window/showDocument` needs a URI, so a client that can show documents gets the page
/// written to a cache file and opened; any other client (or one that could not open it)
/// gets it as a message, and as the command's result.
async fn show_rule_docs(session: &Arc<Session>, args: &[Value]) -> jsonrpc::Result<Option<Value>> {
    let arg = args.first();
    let Some(id) = arg.and_then(|a| a.as_str().or_else(|| a.get("rule").and_then(Value::as_str)))
    else {
        return Err(invalid_params(format!(
            "{SHOW_RULE_DOCS_COMMAND} takes a rule id as its argument (e.g. \"app-service-client-cert\"), got {}",
            arg.map_or("nothing".to_owned(), Value::to_string)
        )));
    };
    let Some(meta) = rule(id) else {
        return Err(invalid_params(format!(
            "unknown rule {id:?} (`mtlsguard rule` lists the rules)"
        )));
    };
    if session.caps().show_document {
        let dir = rule_page_dir();
        let written = tokio::task::spawn_blocking(move || write_page(&dir, meta))
            .await
            .map_err(|e| internal_error(e.to_string()))?;
        match written {
            Ok(path) => match Uri::from_file_path(&path) {
                Some(uri) => {
                    let shown = session
                        .client
                        .show_document(ShowDocumentParams {
                            uri,
                            external: Some(false),
                            take_focus: Some(true),
                            selection: None,
                        })
                        .await;
                    match shown {
                        Ok(true) => return Ok(None),
                        Ok(false) => session.log(
                            MessageType::WARNING,
                            format!("mtlsguard: the editor could not open {}", path.display()),
                        ),
                        Err(e) => session.log(
                            MessageType::WARNING,
                            format!("mtlsguard: window/showDocument failed: {e}"),
                        ),
                    }
                }
                None => session.log(
                    MessageType::WARNING,
                    format!("mtlsguard: no file URI for {}", path.display()),
                ),
            },
            Err(e) => session.log(
                MessageType::WARNING,
                format!("mtlsguard: cannot write the page of {id}: {e}"),
            ),
        }
    }
    session
        .client
        .show_message(MessageType::INFO, meta.docs)
        .await;
    Ok(Some(Value::String(meta.docs.to_owned())))
}

/// Where rule pages are written: `$XDG_CACHE_HOME/mtlsguard/rules` (the XDG spec ignores a
/// relative value), else the OS temp folder's `mtlsguard/rules`.
fn rule_page_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(std::env::temp_dir);
    base.join("mtlsguard").join("rules")
}

/// Writes `<dir>/<id>.md` unless it already holds the page: an editor that has it open
/// sees no change, and two servers writing at once each rename a complete file into place
/// (never a half-written one, and never through a symlink planted at the path).
fn write_page(dir: &Path, meta: &RuleMeta) -> Result<PathBuf, String> {
    let path = dir.join(format!("{}.md", meta.id));
    if std::fs::read(&path).is_ok_and(|old| old == meta.docs.as_bytes()) {
        return Ok(path);
    }
    let fail = |what: &str, e: std::io::Error| format!("{what} {}: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(|e| fail("cannot create", e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| fail("cannot write in", e))?;
    tmp.write_all(meta.docs.as_bytes())
        .map_err(|e| fail("cannot write in", e))?;
    tmp.persist(&path)
        .map_err(|e| format!("cannot write {}: {}", path.display(), e.error))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_written_once_and_replaced_when_stale() {
        let dir = tempfile::tempdir().unwrap();
        let pages = dir.path().join("mtlsguard/rules");
        let meta = rule("cassandra-client-cert").unwrap();
        let path = write_page(&pages, meta).unwrap();
        assert_eq!(path, pages.join("cassandra-client-cert.md"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), meta.docs);
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        // Unchanged: left alone (the same file, not a new one renamed over it).
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();
            let before = ino(&path);
            write_page(&pages, meta).unwrap();
            assert_eq!(ino(&path), before);
        }
        write_page(&pages, meta).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            modified
        );
        // Stale (an older binary's page): replaced.
        std::fs::write(&path, "old").unwrap();
        write_page(&pages, meta).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), meta.docs);
    }

    #[test]
    fn unwritable_folder_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let err = write_page(&file.join("rules"), rule("syntax-error").unwrap()).unwrap_err();
        assert!(err.starts_with("cannot create "), "{err}");
    }
}
