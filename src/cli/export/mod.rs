//! `convgen export`: flags in, the export wired to its output, a summary out.
//!
//! A file target is written to a hidden temporary file beside it, synced and
//! renamed only when the export is complete, so a stopped export (a tampered
//! file, a full disk) leaves no half-written table behind.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use camino::Utf8PathBuf;
use clap::Args;
use serde_json::json;

use crate::cli::list::Dates;

mod target;

use crate::cli::options::GlobalArgs;
use crate::cli::output::{Say, print_json, require_data_dir};
use crate::conversation::{Origin, Status};
use crate::error::{EXIT_FINDINGS, EXIT_OK, Error};
use crate::export::select::{Query, Selected, resolve};
use crate::export::{self, ExportError, Format, Level, Options, SystemText};
use crate::registry::Registry;
use target::{export_to_file, export_to_stdout};

/// Which statuses to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum StatusChoice {
    Valid,
    Failed,
    Any,
}

/// Which origins to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum OriginChoice {
    Generated,
    Ingested,
    Any,
}

/// The chat fine-tuning form of JSONL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum Shape {
    Messages,
}

#[derive(Debug, Args)]
pub(super) struct ExportArgs {
    /// Batches to export.
    #[arg(value_name = "BATCH_ID", conflicts_with_all = ["run", "all"])]
    pub(super) batches: Vec<String>,
    /// Export every batch of this run.
    #[arg(long, value_name = "RUN_ID", conflicts_with = "all")]
    pub(super) run: Option<String>,
    /// Export every batch in the registry.
    #[arg(long)]
    pub(super) all: bool,
    /// Only batches of this prompt (name or id).
    #[arg(long)]
    pub(super) prompt: Option<String>,
    /// Only conversations of this scenario id.
    #[arg(long)]
    pub(super) scenario: Option<String>,
    /// Only conversations in this language (the prompt's `language`).
    #[arg(long)]
    pub(super) language: Option<String>,
    /// Only conversations with this status.
    #[arg(long, value_enum, default_value = "valid")]
    pub(super) status: StatusChoice,
    /// Only conversations of this origin.
    #[arg(long, value_enum, default_value = "any")]
    pub(super) origin: OriginChoice,
    #[command(flatten)]
    pub(super) dates: Dates,
    /// The file format.
    #[arg(long, value_enum)]
    pub(super) format: Format,
    /// One row per conversation or per turn.
    #[arg(long, value_enum, default_value = "conversation")]
    pub(super) level: Level,
    /// JSONL in the chat fine-tuning form: {"messages": [...], "metadata": {...}}.
    #[arg(long, value_enum)]
    pub(super) shape: Option<Shape>,
    /// With --shape messages: the prompt role written as `assistant` (default: the first role).
    #[arg(long, value_name = "ROLE")]
    pub(super) assistant: Option<String>,
    /// With --shape messages: start with the system text sent for that conversation, or not.
    #[arg(long, value_enum, default_value = "prompt")]
    pub(super) system: SystemText,
    /// Write to this file (default: stdout for jsonl and csv; parquet needs a file).
    #[arg(long, value_name = "FILE")]
    pub(super) out: Option<Utf8PathBuf>,
    /// CSV field delimiter (one ASCII character; `\t` for tab).
    #[arg(long, default_value = ",", value_name = "C")]
    pub(super) delimiter: String,
    /// Start CSV with a UTF-8 byte order mark (for Excel).
    #[arg(long)]
    pub(super) bom: bool,
    /// Print {rows, bytes, path} as JSON on stdout (needs --out).
    #[arg(long)]
    pub(super) json: bool,
}

fn usage(m: impl Into<String>) -> Error {
    Error::Usage(m.into())
}

/// The delimiter byte `--delimiter` names.
fn delimiter(value: &str) -> Result<u8, Error> {
    match value {
        "\\t" | "\t" | "tab" => Ok(b'\t'),
        v if v.len() == 1 && v.is_ascii() && !matches!(v, "\"" | "\n" | "\r") => {
            Ok(v.as_bytes()[0])
        }
        v => Err(usage(format!(
            "--delimiter {v:?}: give one ASCII character other than a quote or a line break, e.g. `;` or `\\t`"
        ))),
    }
}

/// The flag combinations that make no sense, refused before anything is read.
fn check_flags(a: &ExportArgs) -> Result<(), Error> {
    let messages = a.shape.is_some();
    if messages && a.format != Format::Jsonl {
        return Err(usage(
            "--shape messages is a JSONL form: use it with --format jsonl",
        ));
    }
    if messages && a.level == Level::Turn {
        return Err(usage(
            "--shape messages writes one line per conversation: drop --level turn",
        ));
    }
    if !messages && a.assistant.is_some() {
        return Err(usage("--assistant applies to --shape messages only"));
    }
    if a.format == Format::Parquet && a.out.is_none() {
        return Err(usage(
            "--format parquet needs a file: add --out FILE.parquet",
        ));
    }
    if a.json && a.out.is_none() {
        return Err(usage(
            "--json prints the summary on stdout, where the rows go without --out: add --out FILE",
        ));
    }
    if a.format != Format::Csv && (a.bom || a.delimiter != ",") {
        return Err(usage("--delimiter and --bom apply to --format csv only"));
    }
    Ok(())
}

/// `--assistant ROLE` must be a role of every selected prompt.
fn check_assistant(selected: &Selected, role: Option<&str>) -> Result<(), Error> {
    let Some(role) = role else { return Ok(()) };
    for (name, roles) in export::roles_by_prompt(selected) {
        if !roles.iter().any(|r| r == role) {
            return Err(usage(format!(
                "--assistant {role}: prompt {name} has no such role; its roles are {}",
                roles.join(", ")
            )));
        }
    }
    Ok(())
}

pub(super) fn cmd_export(g: &GlobalArgs, a: ExportArgs) -> Result<i32, Error> {
    check_flags(&a)?;
    let delimiter = delimiter(&a.delimiter)?;
    require_data_dir(g)?;
    let registry = Registry::new(&g.data_dir);
    let (since, until) = a.dates.bounds()?;
    if a.batches.is_empty() && a.run.is_none() && !a.all {
        return Err(usage(
            "name the batches to export, or --run RUN_ID, or --all (then narrow with --prompt, --scenario, --status…)",
        ));
    }
    if !registry.exists() {
        return Err(usage(format!(
            "no registry at {}: nothing has been generated in this data dir (point at the right one with --data-dir DIR or CONVGEN_DATA_DIR)",
            registry.path()
        )));
    }
    let query = Query {
        batches: a.batches.clone(),
        run: a.run.clone(),
        prompt: a.prompt.clone(),
        scenario: a.scenario.clone(),
        language: a.language.clone(),
        status: match a.status {
            StatusChoice::Valid => Some(Status::Valid),
            StatusChoice::Failed => Some(Status::Failed),
            StatusChoice::Any => None,
        },
        since,
        until,
    };
    let selected = resolve(&registry, &query).map_err(|e| usage(e.to_string()))?;
    check_assistant(&selected, a.assistant.as_deref())?;
    let opts = Options {
        format: a.format,
        level: a.level,
        messages: a.shape.is_some(),
        assistant: a.assistant.clone(),
        system: a.system,
        delimiter,
        bom: a.bom,
        origin: match a.origin {
            OriginChoice::Generated => Some(Origin::Generated),
            OriginChoice::Ingested => Some(Origin::Ingested),
            OriginChoice::Any => None,
        },
    };
    let say = Say { quiet: g.quiet };
    let total: u64 = selected
        .batches
        .iter()
        .map(|b| b.counts.valid + b.counts.failed)
        .sum();
    let bar = (!g.quiet && std::io::stderr().is_terminal() && total >= 1000).then(|| {
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} conversations read · {per_sec} · ETA {eta}",
        ) {
            bar.set_style(style);
        }
        bar
    });
    let mut tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let closed = Arc::new(AtomicBool::new(false));
    let result = match &a.out {
        None => export_to_stdout(&registry, &selected, &query, &opts, &closed, &mut tick),
        Some(path) => export_to_file(&registry, &selected, &query, &opts, path, &mut tick),
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let (written, bytes) = match result {
        Ok(done) => done,
        Err(ExportError::Read(e)) => {
            eprintln!("error: {e}");
            return Ok(EXIT_FINDINGS);
        }
        Err(ExportError::Write(_)) if closed.load(Ordering::Relaxed) => return Ok(EXIT_OK),
        Err(e) => return Err(usage(e.to_string())),
    };
    let path = a.out.as_ref().map(|p| p.to_string());
    say.line(format!(
        "exported {} row(s) from {} conversation(s), {bytes} bytes{}",
        written.rows,
        written.conversations,
        path.as_ref().map_or(String::new(), |p| format!(" to {p}"))
    ));
    if a.json {
        print_json(&json!({"rows": written.rows, "bytes": bytes, "path": path}))?;
    }
    Ok(EXIT_OK)
}
