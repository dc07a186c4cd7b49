use std::process::ExitCode;

#[derive(clap::Args)]
pub struct CheckArgs {}

#[derive(clap::Args)]
pub struct RuleArgs {}

pub fn check(_: CheckArgs) -> ExitCode {
    todo!("owned by the CLI work")
}

pub fn rule(_: RuleArgs) -> ExitCode {
    todo!("owned by the CLI work")
}
