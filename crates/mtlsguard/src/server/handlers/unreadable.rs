//! `mtlsguard/invalidMessage`: how the stdin sanitizer (`stdin.rs`) gets a message that
//! tower-lsp could not decode answered.

use std::sync::Arc;

use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::MessageType;

use crate::server::session::Session;

/// What the stdin sanitizer sends for a message it could not pass on.
#[derive(serde::Deserialize)]
pub struct InvalidMessage {
    code: i64,
    message: String,
}

/// Answers an unreadable message with its JSON-RPC error (the request has `id: null`).
pub fn answer(session: &Arc<Session>, params: InvalidMessage) -> jsonrpc::Result<()> {
    session.log(
        MessageType::WARNING,
        format!("mtlsguard: unreadable message: {}", params.message),
    );
    Err(jsonrpc::Error {
        code: jsonrpc::ErrorCode::from(params.code),
        message: params.message.into(),
        data: None,
    })
}
