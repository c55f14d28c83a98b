//! `convgen list`: prompts, scripts, runs, batches and conversations from the
//! registry. Each listing is a subcommand with only the filters that apply
//! to it, and `--status` takes that listing's own status values.

use super::*;
use crate::conversation::{BatchStatus, Status};

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
    /// Conversations, by run, batch, scenario or status.
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
    fn bounds(&self) -> Result<(Option<String>, Option<String>), Error> {
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

fn list_prompts(registry: &Registry, json: bool) -> Result<(), Error> {
    let prompts = registry.prompts()?;
    if json {
        return print_json(&prompts);
    }
    print_table(
        &[
            "NAME",
            "REV",
            "PROMPT_ID",
            "SCENARIOS",
            "REGISTERED",
            "TITLE",
        ],
        prompts
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    p.revision.to_string(),
                    p.prompt_id.clone(),
                    p.scenarios.to_string(),
                    p.registered_at.clone(),
                    p.title.clone(),
                ]
            })
            .collect(),
    );
    Ok(())
}

fn list_scripts(registry: &Registry, json: bool) -> Result<(), Error> {
    let scripts = registry.scripts()?;
    if json {
        return print_json(&scripts);
    }
    print_table(
        &["PATH", "SHA256", "REGISTERED"],
        scripts
            .iter()
            .map(|s| vec![s.path.clone(), s.sha256.clone(), s.registered_at.clone()])
            .collect(),
    );
    Ok(())
}

/// Runs as they stand now: a run whose process is gone reads interrupted.
fn list_runs(g: &GlobalArgs, registry: &Registry, a: &RunsArgs) -> Result<(), Error> {
    let (since, until) = a.dates.bounds()?;
    let runs: Vec<RunRecord> = registry
        .runs()?
        .into_iter()
        .map(|r| settled(registry, r))
        .filter(|r| {
            a.prompt
                .as_ref()
                .is_none_or(|p| &r.config.prompt_name == p || &r.config.prompt_id == p)
                && a.status.is_none_or(|s| r.status == s)
                && since.as_ref().is_none_or(|s| &r.created_at >= s)
                && until.as_ref().is_none_or(|u| &r.created_at < u)
        })
        .collect();
    let written = runs
        .iter()
        .map(|r| on_disk(registry, r))
        .collect::<Result<Vec<_>, _>>()?;
    if a.out.json {
        let rows: Vec<_> = runs
            .iter()
            .zip(&written)
            .map(|(r, n)| {
                let mut v = serde_json::to_value(r).unwrap_or_default();
                v["written"] = json!(n);
                if resumable(r) {
                    v["resume"] = json!(user_command(g, Dirs::Data, &["resume", &r.run_id]));
                }
                v
            })
            .collect();
        return print_json(&rows);
    }
    print_table(
        &[
            "RUN_ID", "STATUS", "PROMPT", "TOTAL", "VALID", "FAILED", "WRITTEN", "BATCHES", "SEED",
            "CREATED",
        ],
        runs.iter()
            .zip(&written)
            .map(|(r, n)| {
                vec![
                    r.run_id.clone(),
                    r.status.as_str().into(),
                    r.config.prompt_id.clone(),
                    r.config.total.to_string(),
                    r.counts.valid.to_string(),
                    r.counts.failed.to_string(),
                    n.to_string(),
                    r.batches.len().to_string(),
                    r.config.seed.to_string(),
                    r.created_at.clone(),
                ]
            })
            .collect(),
    );
    Ok(())
}

/// Adds the folder or file, under the data dir, to each listed record.
fn with_paths<T: Serialize>(
    g: &GlobalArgs,
    rows: &[T],
    path: impl Fn(&T) -> &str,
) -> Vec<serde_json::Value> {
    rows.iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            v["path"] = json!(g.data_dir.join(path(r)));
            v
        })
        .collect()
}

fn list_batches(g: &GlobalArgs, registry: &Registry, a: &BatchesArgs) -> Result<(), Error> {
    let (since, until) = a.dates.bounds()?;
    let batches = registry.batches(&BatchFilter {
        prompt: a.prompt.clone(),
        run: a.run.clone(),
        status: a.status.map(|s| s.as_str().to_string()),
        since,
        until,
    })?;
    if a.out.json {
        return print_json(&with_paths(g, &batches, |b| &b.path));
    }
    print_table(
        &[
            "BATCH_ID", "RUN_ID", "STATUS", "VALID", "FAILED", "CREATED", "PATH",
        ],
        batches
            .iter()
            .map(|b| {
                vec![
                    b.batch_id.clone(),
                    b.run_id.clone(),
                    b.status.as_str().into(),
                    b.counts.valid.to_string(),
                    b.counts.failed.to_string(),
                    b.created_at.clone(),
                    g.data_dir.join(&b.path).to_string(),
                ]
            })
            .collect(),
    );
    Ok(())
}

fn list_conversations(
    g: &GlobalArgs,
    registry: &Registry,
    a: &ConversationsArgs,
) -> Result<(), Error> {
    let convs = registry.conversations(&ConversationFilter {
        batch: a.batch.clone(),
        run: a.run.clone(),
        scenario: a.scenario.clone(),
        status: a.status.map(|s| s.as_str().to_string()),
    })?;
    if a.out.json {
        return print_json(&with_paths(g, &convs, |c| &c.file));
    }
    print_table(
        &[
            "CONVERSATION_ID",
            "STATUS",
            "SCENARIO",
            "ATTEMPTS",
            "TURNS",
            "ISSUES",
        ],
        convs
            .iter()
            .map(|c| {
                vec![
                    c.conversation_id.clone(),
                    c.status.clone(),
                    c.scenario_id.clone(),
                    c.attempts.to_string(),
                    c.turns.to_string(),
                    c.issues.join("; "),
                ]
            })
            .collect(),
    );
    Ok(())
}
