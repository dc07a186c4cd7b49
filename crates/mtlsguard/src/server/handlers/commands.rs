//! `workspace/executeCommand`: the syntax tree command (the parse the rules see, for
//! debugging a finding or the grammar).

use std::sync::Arc;

use mtlsguard_analyzer::{Parsed, syntax_tree_dump};
use serde_json::Value;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{ExecuteCommandParams, Uri};

use super::{internal_error, invalid_params};
use crate::server::capabilities::SYNTAX_TREE_COMMAND;
use crate::server::documents;
use crate::server::guard::guarded;
use crate::server::session::Session;

pub async fn execute_command(
    session: &Arc<Session>,
    params: ExecuteCommandParams,
) -> jsonrpc::Result<Option<Value>> {
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
