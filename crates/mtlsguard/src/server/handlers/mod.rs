//! The LSP handlers, one module per area. Each takes the [`Session`] and the params;
//! `mod.rs` forwards tower-lsp's calls to them.
//!
//! [`Session`]: super::session::Session

pub mod actions;
pub mod commands;
pub mod configuration;
pub mod diagnostics;
pub mod hover;
pub mod lifecycle;
pub mod sync;
pub mod unreadable;

use tower_lsp_server::jsonrpc;

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
