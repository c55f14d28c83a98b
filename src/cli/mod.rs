//! The command line: flags in, components wired, results out.
//!
//! Commands are thin: they resolve settings, call the library and print.
//! Human messages go to stderr; `--json` results and listings go to stdout.
//! Exit codes: 0 success, 1 ran but found failures, 2 usage/input error.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use camino::Utf8PathBuf;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::cli::audit::{AuditArgs, cmd_audit};
use crate::cli::check::{CheckArgs, cmd_check};
use crate::cli::completions::{CompletionsArgs, cmd_completions};
use crate::cli::config::{ConfigArgs, cmd_config};
use crate::cli::export::{ExportArgs, cmd_export};
use crate::cli::generate::{GenerateArgs, cmd_generate};
use crate::cli::ingest::{IngestArgs, cmd_ingest};
use crate::cli::list::{ListArgs, cmd_list};
use crate::cli::menu::cmd_menu;
use crate::cli::options::GlobalArgs;
use crate::cli::preview::{PreviewArgs, cmd_preview};
use crate::cli::resume::{ResumeArgs, cmd_resume};
use crate::cli::schema::{SchemaArgs, cmd_schema};
use crate::cli::show::{ShowArgs, cmd_show};
use crate::error::{EXIT_ERROR, EXIT_OK, Error};
use crate::settings::FileSettings;

mod audit;
mod check;
mod completions;
mod config;
mod export;
mod generate;
mod ingest;
mod inputs;
mod interrupt;
mod list;
mod menu;
mod options;
mod outcome;
mod output;
mod preview;
mod progress;
mod provider;
mod resume;
mod runs;
mod schema;
mod show;
mod source;
mod summary;

const EXAMPLES: &str = "\
Examples:
  convgen generate --prompt call_center_es --total 200 --batch-size 50 --seed 7
  convgen list batches --prompt call_center_es
  convgen show call_center_es-000001-0001
  convgen audit --all
  convgen check";

/// convgen: realistic synthetic conversations, in batches, with full lineage.
#[derive(Debug, Parser)]
#[command(name = "convgen", version, about, after_help = EXAMPLES)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate conversations in batches.
    #[command(after_help = "Examples:
  convgen generate --prompt call_center_es --total 500 --batch-size 100
  convgen generate --prompt prompts/support_en.md --total 20 --scenario card_declined_abroad --seed 1
  convgen generate --prompt call_center_es --total 10 --json > run.json")]
    Generate(GenerateArgs),
    /// Finish an interrupted or failed run exactly as it would have ended.
    #[command(after_help = "Examples:
  convgen resume run-000004
  convgen resume run-000004 --allow-changed")]
    Resume(ResumeArgs),
    /// Check that the registry and the files agree, and that conversations pass the checks.
    #[command(after_help = "Examples:
  convgen audit --all
  convgen audit call_center_es-000001 call_center_es-000002
  convgen audit --run run-000003 --json

Exit status: 0 clean, 1 findings, 2 could not run.")]
    Audit(AuditArgs),
    /// Export conversations as one table: JSONL, CSV or Parquet, per conversation or per turn.
    #[command(after_help = "Examples:
  convgen export --all --format csv --out conversations.csv
  convgen export --run run-000001 --format parquet --level turn --out turns.parquet
  convgen export --all --format jsonl --shape messages --assistant agent --out chat.jsonl

Exit status: 0 exported, 1 a registered file is missing or modified (nothing written), 2 usage error.")]
    Export(ExportArgs),
    /// Bring real transcripts in: CSV (one row per turn) or JSONL (one conversation per line).
    #[command(after_help = "Examples:
  convgen ingest calls.csv --format csv --columns conversation=call_id,role=speaker,text=utterance,timestamp=start_time --roles AGENTE=agent,CLIENTE=client
  convgen ingest chats.jsonl --format jsonl --roles assistant=agent,user=client --name chats
  convgen ingest march/*.csv --format csv --batch-size 500 --json

Exit status: 0 ingested (or already ingested), 1 some conversations failed the checks (kept as failed), 2 a file cannot be parsed (nothing written).")]
    Ingest(IngestArgs),
    /// List prompts, runs, batches or conversations from the registry.
    #[command(after_help = "Examples:
  convgen list prompts
  convgen list runs --status complete
  convgen list batches --prompt call_center_es --since 2026-11-01
  convgen list conversations --batch call_center_es-000001 --status failed --json")]
    List(ListArgs),
    /// Show a prompt, run, batch or conversation by id.
    #[command(after_help = "Examples:
  convgen show run-000001
  convgen show call_center_es-000001
  convgen show call_center_es-000001-0007
  convgen show call_center_es@1a2b3c4d5e6f --json")]
    Show(ShowArgs),
    /// Show the effective settings and where each comes from (flag, environment, convgen.toml, default).
    #[command(after_help = "Examples:
  convgen config
  convgen config --json")]
    Config(ConfigArgs),
    /// Print shell completions.
    #[command(after_help = "Examples:
  convgen completions bash > ~/.local/share/bash-completion/completions/convgen
  convgen completions zsh > ~/.zfunc/_convgen
  convgen completions fish > ~/.config/fish/completions/convgen.fish")]
    Completions(CompletionsArgs),
    /// Print one conversation made through the prompt's script; nothing is stored.
    #[command(after_help = "Examples:
  convgen preview --prompt call_center_es
  convgen preview --prompt call_center_es --scenario billing_dispute --seed 3 --json")]
    Preview(PreviewArgs),
    /// Lint prompts and their scripts; run every hook on sample conversations.
    #[command(after_help = "Examples:
  convgen check
  convgen check call_center_es prompts/support_en.md")]
    Check(CheckArgs),
    /// Print the JSON Schema (draft 2020-12) of an artefact or an export row.
    #[command(after_help = "Examples:
  convgen schema conversation > conversation.schema.json
  convgen schema batch
  convgen schema conversation-row --prompt call_center_es")]
    Schema(SchemaArgs),
}

/// Runs the program; returns the exit code.
/// What `convgen.toml` in the working directory set (empty when absent).
static FILE_SETTINGS: std::sync::OnceLock<FileSettings> = std::sync::OnceLock::new();

fn file_settings() -> &'static FileSettings {
    FILE_SETTINGS.get_or_init(FileSettings::default)
}

/// The command line, with `convgen.toml` values as the flags' defaults: clap
/// then applies flags > environment > file > built-in defaults.
fn command_with_file(file: &FileSettings) -> clap::Command {
    let mut cmd = Cli::command();
    for (flag, value) in &file.values {
        let value: &'static str = Box::leak(value.clone().into_boxed_str());
        let flag: &'static str = flag;
        if ["data_dir", "prompts_dir", "scripts_dir"].contains(&flag) {
            cmd = cmd.mut_arg(flag, |a| a.default_value(value));
            continue;
        }
        for sub in ["generate", "resume"] {
            let has = cmd
                .find_subcommand(sub)
                .is_some_and(|c| c.get_arguments().any(|a| a.get_id() == flag));
            if has {
                cmd = cmd.mut_subcommand(sub, |c| c.mut_arg(flag, |a| a.default_value(value)));
            }
        }
    }
    cmd
}

pub fn main() -> i32 {
    let file = match Utf8PathBuf::from_path_buf(std::env::current_dir().unwrap_or_default())
        .map_err(|p| format!("the working directory {} is not UTF-8", p.display()))
        .and_then(|dir| FileSettings::load(&dir).map_err(|e| e.to_string()))
    {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {}", crate::escape::block(&e));
            return EXIT_ERROR;
        }
    };
    let parsed = command_with_file(&file)
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, m)));
    let _ = FILE_SETTINGS.set(file);
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    EXIT_OK
                }
                _ => EXIT_ERROR,
            };
        }
    };
    match run(cli, &matches) {
        Ok(code) => code,
        Err(e) => {
            // Errors may quote a server, a model or a script: shown, never
            // sent to the terminal as control sequences.
            eprintln!("error: {}", crate::escape::block(&e.to_string()));
            e.code()
        }
    }
}

fn run(cli: Cli, matches: &clap::ArgMatches) -> Result<i32, Error> {
    let g = &cli.global;
    match cli.command {
        None if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() => cmd_menu(g),
        None => {
            let _ = Cli::command().print_help();
            eprintln!();
            Ok(EXIT_ERROR)
        }
        Some(Command::Generate(args)) => cmd_generate(g, args),
        Some(Command::Resume(args)) => cmd_resume(g, args),
        Some(Command::Audit(args)) => cmd_audit(g, args),
        Some(Command::Export(args)) => cmd_export(g, args),
        Some(Command::Ingest(args)) => cmd_ingest(g, args),
        Some(Command::List(args)) => cmd_list(g, args),
        Some(Command::Show(args)) => cmd_show(g, args),
        Some(Command::Check(args)) => cmd_check(g, args),
        Some(Command::Preview(args)) => cmd_preview(g, args),
        Some(Command::Schema(args)) => cmd_schema(g, args),
        Some(Command::Config(args)) => cmd_config(args, matches),
        Some(Command::Completions(args)) => cmd_completions(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
