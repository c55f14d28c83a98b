//! `convgen list`: prompts, scripts, runs, batches and conversations from the registry.

use super::*;

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(super) enum ListKind {
    Prompts,
    Scripts,
    Runs,
    Batches,
    Conversations,
}

#[derive(Debug, Args)]
pub(super) struct ListArgs {
    /// What to list.
    #[arg(value_enum)]
    pub(super) kind: ListKind,
    /// Only this prompt (name or id): runs, batches.
    #[arg(long)]
    pub(super) prompt: Option<String>,
    /// Only this run: batches, conversations.
    #[arg(long)]
    pub(super) run: Option<String>,
    /// Only this batch: conversations.
    #[arg(long)]
    pub(super) batch: Option<String>,
    /// Only this scenario id: conversations.
    #[arg(long)]
    pub(super) scenario: Option<String>,
    /// Only this status (runs: running|interrupted|complete|failed; batches: pending|complete|partial|failed; conversations: valid|failed).
    #[arg(long)]
    pub(super) status: Option<String>,
    /// Only created at or after this date or time: batches, runs.
    #[arg(long, value_name = "DATE|TIME")]
    pub(super) since: Option<String>,
    /// Only created before this date or time: batches, runs.
    #[arg(long, value_name = "DATE|TIME")]
    pub(super) until: Option<String>,
    /// Print a JSON array on stdout.
    #[arg(long)]
    pub(super) json: bool,
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

/// Rejects filters that do not apply to a listing.
pub(super) fn only_filters(args: &ListArgs, allowed: &[&str]) -> Result<(), Error> {
    let given = [
        ("prompt", args.prompt.is_some()),
        ("run", args.run.is_some()),
        ("batch", args.batch.is_some()),
        ("scenario", args.scenario.is_some()),
        ("status", args.status.is_some()),
        ("since", args.since.is_some()),
        ("until", args.until.is_some()),
    ];
    for (name, set) in given {
        if set && !allowed.contains(&name) {
            return Err(Error::Usage(format!(
                "--{name} does not apply to `list {}` (it takes: {})",
                format!("{:?}", args.kind).to_lowercase(),
                if allowed.is_empty() {
                    "no filters".to_string()
                } else {
                    allowed
                        .iter()
                        .map(|a| format!("--{a}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )));
        }
    }
    Ok(())
}

pub(super) fn check_status(value: &Option<String>, allowed: &[&str]) -> Result<(), Error> {
    if let Some(s) = value
        && !allowed.contains(&s.as_str())
    {
        return Err(Error::Usage(format!(
            "--status {s}: expected one of {}",
            allowed.join(", ")
        )));
    }
    Ok(())
}

pub(super) fn cmd_list(g: &GlobalArgs, args: ListArgs) -> Result<i32, Error> {
    require_data_dir(g)?;
    let registry = Registry::new(&g.data_dir);
    let since = args
        .since
        .as_deref()
        .map(|v| parse_bound("--since", v))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|v| parse_bound("--until", v))
        .transpose()?;
    match args.kind {
        ListKind::Prompts => {
            only_filters(&args, &[])?;
            let prompts = registry.prompts()?;
            if args.json {
                return print_json(&prompts).map(|_| EXIT_OK);
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
        }
        ListKind::Scripts => {
            only_filters(&args, &[])?;
            let scripts = registry.scripts()?;
            if args.json {
                return print_json(&scripts).map(|_| EXIT_OK);
            }
            print_table(
                &["PATH", "SHA256", "REGISTERED"],
                scripts
                    .iter()
                    .map(|s| vec![s.path.clone(), s.sha256.clone(), s.registered_at.clone()])
                    .collect(),
            );
        }
        ListKind::Runs => {
            only_filters(&args, &["prompt", "status", "since", "until"])?;
            check_status(
                &args.status,
                &["running", "interrupted", "complete", "failed"],
            )?;
            let runs: Vec<RunRecord> = registry
                .runs()?
                .into_iter()
                .map(|r| settled(&registry, r))
                .filter(|r| {
                    args.prompt
                        .as_ref()
                        .is_none_or(|p| &r.config.prompt_name == p || &r.config.prompt_id == p)
                        && args.status.as_ref().is_none_or(|s| r.status.as_str() == s)
                        && since.as_ref().is_none_or(|s| &r.created_at >= s)
                        && until.as_ref().is_none_or(|u| &r.created_at < u)
                })
                .collect();
            let written = runs
                .iter()
                .map(|r| on_disk(&registry, r))
                .collect::<Result<Vec<_>, _>>()?;
            if args.json {
                let rows: Vec<_> = runs
                    .iter()
                    .zip(&written)
                    .map(|(r, n)| {
                        let mut v = serde_json::to_value(r).unwrap_or_default();
                        v["written"] = json!(n);
                        if resumable(r) {
                            v["resume"] =
                                json!(user_command(g, Dirs::Data, &["resume", &r.run_id]));
                        }
                        v
                    })
                    .collect();
                return print_json(&rows).map(|_| EXIT_OK);
            }
            print_table(
                &[
                    "RUN_ID", "STATUS", "PROMPT", "TOTAL", "VALID", "FAILED", "WRITTEN", "BATCHES",
                    "SEED", "CREATED",
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
        }
        ListKind::Batches => {
            only_filters(&args, &["prompt", "run", "status", "since", "until"])?;
            check_status(&args.status, &["pending", "complete", "partial", "failed"])?;
            let batches = registry.batches(&BatchFilter {
                prompt: args.prompt.clone(),
                run: args.run.clone(),
                status: args.status.clone(),
                since,
                until,
            })?;
            if args.json {
                let rows: Vec<_> = batches
                    .iter()
                    .map(|b| {
                        let mut v = serde_json::to_value(b).unwrap_or_default();
                        v["path"] = json!(g.data_dir.join(&b.path));
                        v
                    })
                    .collect();
                return print_json(&rows).map(|_| EXIT_OK);
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
        }
        ListKind::Conversations => {
            only_filters(&args, &["run", "batch", "scenario", "status"])?;
            check_status(&args.status, &["valid", "failed"])?;
            let convs = registry.conversations(&ConversationFilter {
                batch: args.batch.clone(),
                run: args.run.clone(),
                scenario: args.scenario.clone(),
                status: args.status.clone(),
            })?;
            if args.json {
                let rows: Vec<_> = convs
                    .iter()
                    .map(|c| {
                        let mut v = serde_json::to_value(c).unwrap_or_default();
                        v["path"] = json!(g.data_dir.join(&c.file));
                        v
                    })
                    .collect();
                return print_json(&rows).map(|_| EXIT_OK);
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
        }
    }
    Ok(EXIT_OK)
}
