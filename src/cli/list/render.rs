//! The listings as tables and JSON arrays.

use serde::Serialize;
use serde_json::json;

use crate::cli::list::{BatchesArgs, RunsArgs};
use crate::cli::options::GlobalArgs;
use crate::cli::output::{Dirs, print_json, print_table, user_command};
use crate::cli::runs::{on_disk, resumable, settled};
use crate::error::Error;
use crate::export::select::check_names;
use crate::registry::{BatchFilter, Registry, RunRecord};

pub(super) fn list_prompts(registry: &Registry, json: bool) -> Result<(), Error> {
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

pub(super) fn list_scripts(registry: &Registry, json: bool) -> Result<(), Error> {
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
pub(super) fn list_runs(g: &GlobalArgs, registry: &Registry, a: &RunsArgs) -> Result<(), Error> {
    let (since, until) = a.dates.bounds()?;
    check_names(registry, a.prompt.as_deref(), None).map_err(|e| Error::Usage(e.to_string()))?;
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
                    r.config.made_from(),
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
pub(super) fn with_paths<T: Serialize>(
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

pub(super) fn list_batches(
    g: &GlobalArgs,
    registry: &Registry,
    a: &BatchesArgs,
) -> Result<(), Error> {
    let (since, until) = a.dates.bounds()?;
    check_names(registry, a.prompt.as_deref(), a.run.as_deref())
        .map_err(|e| Error::Usage(e.to_string()))?;
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
