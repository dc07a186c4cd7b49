use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ServerArgs {
    /// Accepted for VS Code's client, which passes it; stdio is the only transport.
    #[arg(long)]
    stdio: bool,
}

pub fn run(_: ServerArgs) -> ExitCode {
    todo!("owned by the server work")
}
