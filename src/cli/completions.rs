//! `convgen completions`: shell completion scripts.

use clap::{Args, CommandFactory};

use crate::cli::Cli;
use crate::error::{EXIT_OK, Error};

#[derive(Debug, Args)]
pub(super) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub(super) shell: clap_complete::Shell,
}

pub(super) fn cmd_completions(args: CompletionsArgs) -> Result<i32, Error> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "convgen", &mut std::io::stdout());
    Ok(EXIT_OK)
}
