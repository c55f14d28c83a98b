//! `convgen list conversations`: the registry's conversations by metadata,
//! through the same selection as `export` (so a filter selects the same rows
//! in both), paged with `--offset`/`--limit`, as a table, a JSON array or
//! NDJSON (one object per line, written as it goes, for large listings).

use std::io::{self, Write};

use serde_json::json;

use crate::cli::list::ConversationsArgs;
use crate::cli::options::GlobalArgs;
use crate::cli::output::{print_json, print_table};
use crate::error::Error;
use crate::export::select::{Query, conversations_of, resolve};
use crate::registry::{ConversationRecord, Registry};

/// How a listing is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(in crate::cli) enum ListFormat {
    Table,
    Json,
    Ndjson,
}

/// Whether an error is a reader closing the pipe (`convgen list … | head`).
fn closed(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

pub(super) fn list_conversations(
    g: &GlobalArgs,
    registry: &Registry,
    a: &ConversationsArgs,
) -> Result<(), Error> {
    let (since, until) = a.dates.bounds()?;
    let query = Query {
        batches: a.batch.iter().cloned().collect(),
        run: a.run.clone(),
        prompt: a.prompt.clone(),
        scenario: a.scenario.clone(),
        status: a.status,
        language: a.language.clone(),
        since,
        until,
    };
    let selected = resolve(registry, &query).map_err(|e| Error::Usage(e.to_string()))?;
    let format = match a.format {
        Some(f) => f,
        None if a.out.json => ListFormat::Json,
        None => ListFormat::Table,
    };
    let (mut skip, mut left) = (a.offset, a.limit.unwrap_or(u64::MAX));
    let mut rows: Vec<ConversationRecord> = Vec::new();
    let mut out = io::BufWriter::new(io::stdout().lock());
    let write_err = |e: io::Error| Error::Io {
        path: "stdout".into(),
        message: e.to_string(),
    };
    'batches: for batch in &selected.batches {
        for c in conversations_of(registry, batch, &query)? {
            if left == 0 {
                break 'batches;
            }
            if skip > 0 {
                skip -= 1;
                continue;
            }
            left -= 1;
            if format != ListFormat::Ndjson {
                rows.push(c);
                continue;
            }
            let mut v = serde_json::to_value(&c).unwrap_or_default();
            v["path"] = json!(g.data_dir.join(&c.file));
            let line = serde_json::to_string(&v).unwrap_or_default();
            match writeln!(out, "{line}") {
                Err(e) if closed(&e) => return Ok(()),
                r => r.map_err(write_err)?,
            }
        }
    }
    match out.flush() {
        Err(e) if closed(&e) => return Ok(()),
        r => r.map_err(write_err)?,
    }
    match format {
        ListFormat::Ndjson => Ok(()),
        ListFormat::Json => print_json(&super::render::with_paths(g, &rows, |c| &c.file)),
        ListFormat::Table => {
            print_table(
                &[
                    "CONVERSATION_ID",
                    "STATUS",
                    "SCENARIO",
                    "ATTEMPTS",
                    "TURNS",
                    "ISSUES",
                ],
                rows.iter()
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
    }
}
