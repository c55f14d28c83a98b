//! `convgen show`: one run, batch, conversation or prompt by id.

use camino::Utf8Path;
use clap::Args;
use serde_json::json;

use crate::cli::options::GlobalArgs;
use crate::cli::output::{
    Dirs, print_json, print_table, require_data_dir, thousands, user_command,
};
use crate::cli::runs::{on_disk, resumable, settled};
use crate::cli::summary::{endpoint_lines, endpoint_targets};
use crate::conversation::Conversation;
use crate::error::{EXIT_OK, Error};
use crate::escape::line;
use crate::registry::{
    BatchRecord, ConversationFilter, ConversationRecord, Found, PromptRecord, Registry,
    RegistryError, RunRecord, RunStatus,
};
use crate::regular_file::{self, FileError};
use crate::{artefact, data_path};

#[derive(Debug, Args)]
pub(super) struct ShowArgs {
    /// A run id, batch id, conversation id, prompt id or prompt name.
    pub(super) id: String,
    /// Print JSON on stdout.
    #[arg(long)]
    pub(super) json: bool,
    /// Print the exact registered text of the prompt version (a prompt name: its latest revision; a run, batch or conversation: the prompt it was made with).
    #[arg(long, conflicts_with = "json")]
    pub(super) source: bool,
}

/// Reads a conversation's file, once its record is checked (SPEC §6): only
/// a regular file inside the data dir, size-bounded; `audit` is the command
/// that checks its batch.
fn read_conversation(
    data_dir: &Utf8Path,
    record: &ConversationRecord,
    audit: &str,
) -> Result<Conversation, Error> {
    let path = data_path::conversation_file(data_dir, record).map_err(RegistryError::from)?;
    let rel = Utf8Path::new(&record.file);
    let bytes = regular_file::read_inside(data_dir, rel, regular_file::MAX_CONVERSATION_BYTES)
        .map_err(|e| Error::Io {
            path: path.to_string(),
            message: match e {
                FileError::Io { source, .. } => {
                    format!("cannot read the conversation file: {source} (run `{audit}`)")
                }
                other => format!("{other} (run `{audit}`)"),
            },
        })?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Io {
        path: path.to_string(),
        message: format!("not a valid conversation file: {e}"),
    })
}

pub(super) fn cmd_show(g: &GlobalArgs, args: ShowArgs) -> Result<i32, Error> {
    require_data_dir(g)?;
    let registry = Registry::new(&g.data_dir);
    let id = args.id.trim();
    if args.source {
        return crate::cli::source::show_source(g, &registry, id);
    }
    match registry.find(id)? {
        Some(Found::Run(run)) => show_run(g, &registry, *run, args.json)?,
        Some(Found::Batch(batch)) => show_batch(g, &registry, batch, args.json)?,
        Some(Found::Conversation(record)) => show_conversation(g, record, args.json)?,
        Some(Found::Prompts(prompts)) => show_prompts(&prompts, args.json)?,
        None => {
            return Err(Error::Usage(format!(
                "`{id}` is not a run, batch, conversation or prompt in {} (see `{}`, `{}` and `{}`)",
                registry.path(),
                user_command(g, Dirs::Data, &["list", "runs"]),
                user_command(g, Dirs::Data, &["list", "batches"]),
                user_command(g, Dirs::Data, &["list", "prompts"]),
            )));
        }
    }
    Ok(EXIT_OK)
}

/// A run's configuration and outcome (settled first: a dead run reads interrupted).
fn show_run(g: &GlobalArgs, registry: &Registry, run: RunRecord, json: bool) -> Result<(), Error> {
    let run = settled(registry, run);
    let written = on_disk(registry, &run)?;
    if json {
        let mut v = serde_json::to_value(&run).unwrap_or_default();
        v["written"] = json!(written);
        if resumable(&run) {
            v["resume"] = json!(user_command(g, Dirs::Data, &["resume", &run.run_id]));
        }
        return print_json(&v);
    }
    let c = &run.config;
    println!("run {} · {}", run.run_id, run.status.as_str());
    match &c.source {
        Some(s) => println!(
            "source      {} ({}, sha256 {}) as {}",
            line(&s.path),
            s.format,
            s.sha256,
            line(&c.prompt_name)
        ),
        None => println!("prompt      {} ({})", c.prompt_id, line(&c.prompt_name)),
    }
    println!("scenarios   {}", c.scenario_mode.label());
    println!("total       {} in batches of {}", c.total, c.batch_size);
    println!("seed        {}", c.seed);
    println!("start       {}", c.start);
    println!("generator   {} / {}", c.provider, line(&c.model));
    if let Some(line) = endpoint_targets(c) {
        println!("endpoint    {line}");
    }
    println!("attempts    up to {}", c.max_attempts);
    println!("created     {}", run.created_at);
    if let Some(f) = &run.finished_at {
        println!("finished    {f}");
    }
    println!(
        "counts      {} valid, {} failed of {}",
        run.counts.valid, run.counts.failed, run.counts.requested
    );
    if run.status != RunStatus::Complete {
        println!(
            "written     {written} of {} conversations on disk",
            run.counts.requested
        );
    }
    println!(
        "tokens      {} prompt + {} completion",
        thousands(run.usage.prompt_tokens),
        thousands(run.usage.completion_tokens)
    );
    if let Some(e) = &run.error {
        println!("error       {}", line(e));
    }
    if resumable(&run) {
        println!(
            "resume      {}",
            user_command(g, Dirs::Data, &["resume", &run.run_id])
        );
    }
    for (i, line) in endpoint_lines(&run.endpoints).iter().enumerate() {
        println!(
            "{}{line}",
            if i == 0 {
                "endpoints   "
            } else {
                "            "
            }
        );
    }
    for (i, v) in run.versions.iter().enumerate() {
        let script = v.script.as_ref().map_or_else(String::new, |s| {
            format!(
                ", script {} {}",
                s.path,
                s.sha256.chars().take(8).collect::<String>()
            )
        });
        println!(
            "{}{}. prompt {}{script} since {}: {}",
            if i == 0 {
                "versions    "
            } else {
                "            "
            },
            i + 1,
            v.prompt_id,
            v.since,
            if v.batches.is_empty() {
                "no batches".to_string()
            } else {
                v.batches.join(" ")
            }
        );
    }
    println!("batches     {}", run.batches.join(" "));
    Ok(())
}

/// A batch and its conversations.
fn show_batch(
    g: &GlobalArgs,
    registry: &Registry,
    batch: BatchRecord,
    json: bool,
) -> Result<(), Error> {
    let convs = registry.conversations(&ConversationFilter {
        batch: Some(batch.batch_id.clone()),
        ..ConversationFilter::default()
    })?;
    if json {
        let mut v = serde_json::to_value(&batch).unwrap_or_default();
        v["path"] = json!(g.data_dir.join(&batch.path));
        v["conversations"] = serde_json::to_value(&convs).unwrap_or_default();
        return print_json(&v);
    }
    println!(
        "batch {} · {} · {}",
        batch.batch_id,
        batch.run_id,
        batch.status.as_str()
    );
    if batch.prompt_id.is_empty() {
        println!(
            "source      ingested by {} (`show {}`)",
            batch.run_id, batch.run_id
        );
    } else {
        println!("prompt      {}", batch.prompt_id);
    }
    println!("folder      {}", g.data_dir.join(&batch.path));
    println!(
        "counts      {} valid, {} failed of {}",
        batch.counts.valid, batch.counts.failed, batch.counts.requested
    );
    println!(
        "tokens      {} prompt + {} completion",
        thousands(batch.usage.prompt_tokens),
        thousands(batch.usage.completion_tokens)
    );
    println!();
    print_table(
        &["CONVERSATION_ID", "STATUS", "SCENARIO", "ATTEMPTS"],
        convs
            .iter()
            .map(|c| {
                vec![
                    c.conversation_id.clone(),
                    c.status.clone(),
                    c.scenario_id.clone(),
                    c.attempts.to_string(),
                ]
            })
            .collect(),
    );
    Ok(())
}

/// One transcript.
fn show_conversation(g: &GlobalArgs, record: ConversationRecord, json: bool) -> Result<(), Error> {
    let audit = user_command(g, Dirs::Data, &["audit", &record.batch_id]);
    let conv = read_conversation(&g.data_dir, &record, &audit)?;
    if json {
        return print_json(&conv);
    }
    let mut text = String::new();
    artefact::render_conversation(&conv, &mut text);
    let from = match (&conv.prompt, &conv.source) {
        (Some(p), _) => format!("prompt {}", p.id),
        (None, Some(s)) => format!("ingested from {}:{} ({})", s.path, s.line, s.format),
        (None, None) => "no prompt".to_string(),
    };
    println!(
        "{} · {} / {} · attempts {}",
        line(&from),
        conv.generator.provider,
        line(&conv.generator.model),
        conv.attempts
    );
    print!("{text}");
    Ok(())
}

/// Every revision of a prompt.
fn show_prompts(prompts: &[PromptRecord], json: bool) -> Result<(), Error> {
    if json {
        return print_json(&prompts);
    }
    for p in prompts {
        println!(
            "prompt {} · revision {} · {}",
            p.prompt_id,
            p.revision,
            line(&p.title)
        );
        println!(
            "  name {}, language {}, {} scenarios",
            line(&p.name),
            line(&p.language),
            p.scenarios
        );
        println!("  sha256 {}", p.sha256);
        println!("  registered {} from {}", p.registered_at, line(&p.path));
    }
    Ok(())
}
