//! `mtlsguard`: the command-line linter (`check`, `rule`) and the language server (`server`).

mod cli;
mod config;
mod server;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "mtlsguard",
    version,
    about = "Finds disabled client-certificate (mTLS) authentication in Azure Bicep and ARM templates"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check files and folders (default: the current folder).
    Check(cli::CheckArgs),
    /// Run the language server over stdio.
    Server(server::ServerArgs),
    /// Explain a rule, or list them all.
    Rule(cli::RuleArgs),
}

fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Command::Check(a) => cli::check(a),
        Command::Server(a) => server::run(a),
        Command::Rule(a) => cli::rule(a),
    }
}
