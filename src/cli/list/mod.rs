//! `convgen list`: prompts, scripts, runs, batches and conversations from the
//! registry. Each listing is a subcommand with only the filters that apply
//! to it, and `--status` takes that listing's own status values.

use clap::{Args, Subcommand};

mod conversations;
mod render;

use conversations::{ListFormat, list_conversations};
use render::*;

use crate::cli::options::GlobalArgs;
use crate::cli::output::require_data_dir;
use crate::conversation::{BatchStatus, Status};
use crate::error::{EXIT_OK, Error};
use crate::prompt;
use crate::registry::{Registry, RunStatus};
use crate::validate::format_timestamp;

#[derive(Debug, Args)]
pub(super) struct ListArgs {
    #[command(subcommand)]
    pub(super) what: ListWhat,
}

/// What to list.
#[derive(Debug, Subcommand)]
pub(super) enum ListWhat {
    /// Prompt versions recorded in the registry.
    Prompts(JsonFlag),
    /// Script versions recorded in the registry.
    Scripts(JsonFlag),
    /// Runs, newest last.
    Runs(RunsArgs),
    /// Batches, by prompt, run, status or date.
    Batches(BatchesArgs),
    /// Conversations, by run, batch, prompt, scenario, status, language or date.
    Conversations(ConversationsArgs),
}

#[derive(Debug, Args)]
pub(super) struct JsonFlag {
    /// Print a JSON array on stdout.
    #[arg(long)]
    pub(super) json: bool,
}

/// Created at or after `since` and before `until`: a date (2026-11-25) or an RFC 3339 time.
#[derive(Debug, Args)]
pub(super) struct Dates {
    /// Only created at or after this date or time.
    #[arg(long, value_name = "DATE|TIME")]
    pub(super) since: Option<String>,
    /// Only created before this date or time.
    #[arg(long, value_name = "DATE|TIME")]
    pub(super) until: Option<String>,
}

#[derive(Debug, Args)]
pub(super) struct RunsArgs {
    /// Only this prompt (name or id).
    #[arg(long)]
    pub(super) prompt: Option<String>,
    /// Only runs in this state.
    #[arg(long, value_enum)]
    pub(super) status: Option<RunStatus>,
    #[command(flatten)]
    pub(super) dates: Dates,
    #[command(flatten)]
    pub(super) out: JsonFlag,
}

#[derive(Debug, Args)]
pub(super) struct BatchesArgs {
    /// Only this prompt (name or id).
    #[arg(long)]
    pub(super) prompt: Option<String>,
    /// Only this run.
    #[arg(long)]
    pub(super) run: Option<String>,
    /// Only batches in this state.
    #[arg(long, value_enum)]
    pub(super) status: Option<BatchStatus>,
    #[command(flatten)]
    pub(super) dates: Dates,
    #[command(flatten)]
    pub(super) out: JsonFlag,
}

#[derive(Debug, Args)]
pub(super) struct ConversationsArgs {
    /// Only this run.
    #[arg(long)]
    pub(super) run: Option<String>,
    /// Only this batch.
    #[arg(long)]
    pub(super) batch: Option<String>,
    /// Only this scenario id.
    #[arg(long)]
    pub(super) scenario: Option<String>,
    /// Only conversations with this status.
    #[arg(long, value_enum)]
    pub(super) status: Option<Status>,
    /// Only this prompt (name or id).
    #[arg(long)]
    pub(super) prompt: Option<String>,
    /// Only conversations in this language (the prompt's `language`).
    #[arg(long)]
    pub(super) language: Option<String>,
    /// Only batches created in this window.
    #[command(flatten)]
    pub(super) dates: Dates,
    /// Skip this many conversations first.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub(super) offset: u64,
    /// List at most this many conversations.
    #[arg(long, value_name = "N")]
    pub(super) limit: Option<u64>,
    /// Print as a table, a JSON array, or NDJSON (one object per line, streamed).
    #[arg(long, value_enum, conflicts_with = "json")]
    pub(super) format: Option<ListFormat>,
    #[command(flatten)]
    pub(super) out: JsonFlag,
}

/// Normalises a `--since`/`--until` value to the registry's timestamp form.
pub(super) fn parse_bound(flag: &str, value: &str) -> Result<String, Error> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d") {
        let t = d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        if let Some(t) = t {
            return Ok(format_timestamp(t));
        }
    }
    prompt::parse_time(value)
        .map(format_timestamp)
        .map_err(|m| Error::Usage(format!("{flag}: {m}; or a date such as 2026-11-25")))
}

impl Dates {
    /// The bounds in the registry's timestamp form.
    pub(super) fn bounds(&self) -> Result<(Option<String>, Option<String>), Error> {
        let bound =
            |flag, v: &Option<String>| v.as_deref().map(|v| parse_bound(flag, v)).transpose();
        Ok((
            bound("--since", &self.since)?,
            bound("--until", &self.until)?,
        ))
    }
}

pub(super) fn cmd_list(g: &GlobalArgs, args: ListArgs) -> Result<i32, Error> {
    require_data_dir(g)?;
    let registry = Registry::new(&g.data_dir);
    match args.what {
        ListWhat::Prompts(out) => list_prompts(&registry, out.json)?,
        ListWhat::Scripts(out) => list_scripts(&registry, out.json)?,
        ListWhat::Runs(a) => list_runs(g, &registry, &a)?,
        ListWhat::Batches(a) => list_batches(g, &registry, &a)?,
        ListWhat::Conversations(a) => list_conversations(g, &registry, &a)?,
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_accept_dates_and_times() {
        assert_eq!(
            parse_bound("--since", "2026-11-25").unwrap(),
            "2026-11-25T00:00:00.000Z"
        );
        assert_eq!(
            parse_bound("--since", "2026-11-25T10:00:00+01:00").unwrap(),
            "2026-11-25T09:00:00.000Z"
        );
        let e = parse_bound("--until", "soon").unwrap_err().to_string();
        assert!(e.starts_with("--until: "), "{e}");
    }

    #[test]
    fn timestamps_in_bounds_are_utc() {
        use crate::validate::parse_utc_timestamp;
        assert!(parse_utc_timestamp(&parse_bound("--since", "2026-01-01").unwrap()).is_some());
    }
}
