//! `mtlsguard`: the command-line linter (`check`, `rule`), the language server (`server`)
//! and shell completions (`completions`).

mod cli;
mod config;
mod server;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

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
    /// Print a shell completion script (e.g. `mtlsguard completions bash > ~/.local/share/bash-completion/completions/mtlsguard`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Command::Check(a) => cli::check(a),
        Command::Server(a) => server::run(a),
        Command::Rule(a) => cli::rule(a),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Args::command(), "mtlsguard", &mut out);
            cli::print_stdout(&String::from_utf8_lossy(&out));
            ExitCode::SUCCESS
        }
    }
}
