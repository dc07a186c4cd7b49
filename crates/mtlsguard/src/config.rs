//! `mtlsguard.toml`: discovery and parsing (shared by the CLI and the server).
