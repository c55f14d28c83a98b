//! `convgen ingest FILE… --format csv|jsonl`: real transcripts in, the
//! same batches, checks and lineage as generated conversations out.
//!
//! Every file is read whole first: one that cannot be parsed is refused
//! with `file:line` before anything is written or registered.

use camino::Utf8PathBuf;
use clap::Args;
use serde_json::{Value, json};

use crate::artefact::recorded_path;
use crate::cli::options::GlobalArgs;
use crate::cli::output::{Dirs, Say, print_json, user_command};
use crate::conversation::Status;
use crate::error::{EXIT_FINDINGS, EXIT_OK, Error};
use crate::ingest::Format;
use crate::ingest::columns::ColumnMap;
use crate::ingest::roles::RoleMap;
use crate::ingest::source::{Scan, SourceError, scan, sha256_of};
use crate::ingest::store::{Plan, StoreError, already_ingested, ingest};
use crate::registry::Registry;

/// Failed conversations named on stderr per file (the rest are counted).
const SHOWN_FAILURES: usize = 20;

/// Conversations per batch unless `--batch-size` says otherwise.
pub(super) const DEFAULT_BATCH_SIZE: u64 = 100;

#[derive(Debug, Args)]
pub(super) struct IngestArgs {
    /// Source files (one row per turn for CSV, one conversation per line for JSONL).
    #[arg(value_name = "FILE", required = true)]
    pub(super) files: Vec<Utf8PathBuf>,
    /// The files' format.
    #[arg(long, value_enum)]
    pub(super) format: Format,
    /// CSV header names: conversation=…,role=…,text=…,timestamp=… (defaults
    /// conversation_id, role, text, timestamp).
    #[arg(long, value_name = "KEY=COLUMN,…")]
    pub(super) columns: Option<String>,
    /// Speaker labels mapped to roles, e.g. AGENTE=agent,CLIENTE=client; any
    /// other label fails its conversation.
    #[arg(long, value_name = "LABEL=ROLE,…")]
    pub(super) roles: Option<String>,
    /// Name of the batches (`NAME-000001`); default each file's stem.
    #[arg(long)]
    pub(super) name: Option<String>,
    /// Conversations per batch.
    #[arg(long, value_name = "M", default_value_t = DEFAULT_BATCH_SIZE,
          value_parser = clap::value_parser!(u64).range(1..=9999))]
    pub(super) batch_size: u64,
    /// Ingest a file again even when its sha256 is registered already.
    #[arg(long)]
    pub(super) again: bool,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    pub(super) json: bool,
}

/// A batch name from a file stem: letters, digits, `_` and `-` kept, the rest `_`.
pub(super) fn name_from(path: &camino::Utf8Path) -> String {
    let stem = path.file_stem().unwrap_or("ingest");
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "ingest".into()
    } else {
        name
    }
}

fn check_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "--name `{name}`: use letters, digits, `_` and `-` (at most 64), it names batch folders"
        )))
    }
}

/// A file to ingest, or one the registry holds already.
pub(super) enum Planned {
    /// Its sha256 is registered (and no `--again`): not parsed, not written.
    Held {
        recorded: String,
        sha256: String,
        format: Format,
        batches: Vec<String>,
    },
    /// Scanned whole: it parses.
    Fresh(Box<Plan>, Scan),
}

/// The plans of `args`: each file hashed, and scanned unless the registry
/// holds it already (a parse error refuses them all).
pub(super) fn plans(g: &GlobalArgs, args: &IngestArgs) -> Result<Vec<Planned>, Error> {
    let columns = match &args.columns {
        Some(spec) => {
            ColumnMap::parse(spec).map_err(|e| Error::Usage(format!("--columns: {e}")))?
        }
        None => ColumnMap::default(),
    };
    if args.columns.is_some() && args.format == Format::Jsonl {
        return Err(Error::Usage(
            "--columns applies to CSV; a JSONL line names its fields (`turns` or `messages`)"
                .into(),
        ));
    }
    let roles = args
        .roles
        .as_deref()
        .map(RoleMap::parse)
        .transpose()
        .map_err(|e| Error::Usage(format!("--roles: {e}")))?;
    if let Some(name) = &args.name {
        check_name(name)?;
    }
    let registry = Registry::new(&g.data_dir);
    let mut seen: Vec<String> = Vec::new();
    let mut out: Vec<Planned> = Vec::new();
    for path in &args.files {
        let usage = |e: SourceError| Error::Usage(e.to_string());
        let sha256 = sha256_of(path).map_err(usage)?;
        if seen.contains(&sha256) {
            continue;
        }
        seen.push(sha256.clone());
        let batches = already_ingested(&registry, &sha256)?;
        if !batches.is_empty() && !args.again {
            out.push(Planned::Held {
                recorded: recorded_path(path).to_string(),
                sha256,
                format: args.format,
                batches,
            });
            continue;
        }
        let scanned = scan(path, args.format, &columns).map_err(usage)?;
        let plan = Plan {
            path: path.clone(),
            recorded: recorded_path(path).to_string(),
            format: args.format,
            columns: columns.clone(),
            roles: roles.clone(),
            name: args.name.clone().unwrap_or_else(|| name_from(path)),
            batch_size: args.batch_size,
        };
        out.push(Planned::Fresh(Box::new(plan), scanned));
    }
    Ok(out)
}

fn store_error(e: StoreError) -> Error {
    match e {
        StoreError::Registry(r) => Error::Registry(r),
        other => Error::Io {
            path: "ingest".into(),
            message: other.to_string(),
        },
    }
}

/// Ingests planned files; returns the exit code and the JSON summary.
/// What `ingest` says of a file the registry holds already.
pub(super) fn held_line(recorded: &str, sha256: &str, batches: &[String]) -> String {
    format!(
        "{recorded} (sha256 {}) is already ingested in {}; nothing written (--again ingests it again)",
        sha256.get(..12).unwrap_or(sha256),
        batches.join(", ")
    )
}

pub(super) fn ingest_all(g: &GlobalArgs, plans: &[Planned]) -> Result<(i32, Value), Error> {
    let say = Say { quiet: g.quiet };
    let registry = Registry::new(&g.data_dir);
    let mut files = Vec::new();
    let mut code = EXIT_OK;
    for planned in plans {
        let (plan, scanned) = match planned {
            Planned::Held {
                recorded,
                sha256,
                format,
                batches,
            } => {
                say.line(held_line(recorded, sha256, batches));
                files.push(json!({
                    "path": recorded, "sha256": sha256, "format": format.as_str(),
                    "skipped": true, "already_in": batches, "batches": [],
                }));
                continue;
            }
            Planned::Fresh(plan, scanned) => (plan.as_ref(), scanned),
        };
        if scanned.conversations == 0 {
            say.line(format!(
                "{}: holds no conversation; nothing written",
                plan.recorded
            ));
            files.push(json!({
                "path": plan.recorded, "sha256": scanned.sha256, "format": plan.format.as_str(),
                "skipped": true, "already_in": [], "batches": [],
            }));
            continue;
        }
        let mut failed: Vec<String> = Vec::new();
        let outcome = ingest(&registry, plan, scanned, &mut |c| {
            if c.status == Status::Failed && failed.len() < SHOWN_FAILURES {
                failed.push(format!("{}: {}", c.conversation_id, c.issues.join("; ")));
            }
        })
        .map_err(store_error)?;
        let c = outcome.run.counts;
        let batches: Vec<Value> = outcome
            .batches
            .iter()
            .map(|(b, path)| {
                json!({"batch_id": b.batch_id, "path": path, "status": b.status.as_str(), "counts": b.counts})
            })
            .collect();
        let ids: Vec<&str> = outcome
            .batches
            .iter()
            .map(|(b, _)| b.batch_id.as_str())
            .collect();
        say.line(format!(
            "{}: {} conversations ({} valid, {} failed) from {} turns into {} as {}",
            plan.recorded,
            c.requested,
            c.valid,
            c.failed,
            scanned.turns,
            outcome.run.run_id,
            if ids.is_empty() {
                "no batch".to_string()
            } else {
                ids.join(", ")
            }
        ));
        for f in &failed {
            say.line(format!("  failed {f}"));
        }
        if c.failed > failed.len() as u64 {
            say.line(format!(
                "  … and {} more failed: `{}`",
                c.failed - failed.len() as u64,
                user_command(
                    g,
                    Dirs::Data,
                    &[
                        "list",
                        "conversations",
                        "--run",
                        &outcome.run.run_id,
                        "--status",
                        "failed"
                    ]
                )
            ));
        }
        if c.failed > 0 {
            code = EXIT_FINDINGS;
        }
        files.push(json!({
            "path": plan.recorded, "sha256": scanned.sha256, "format": plan.format.as_str(),
            "skipped": false, "run_id": outcome.run.run_id, "batches": batches, "counts": c,
        }));
    }
    Ok((code, json!({ "files": files })))
}

pub(super) fn cmd_ingest(g: &GlobalArgs, args: IngestArgs) -> Result<i32, Error> {
    let plans = plans(g, &args)?;
    let (code, summary) = ingest_all(g, &plans)?;
    if args.json {
        print_json(&summary)?;
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_names_come_from_the_file_stem() {
        assert_eq!(
            name_from(camino::Utf8Path::new("/x/llamadas marzo.v2.csv")),
            "llamadas_marzo_v2"
        );
        assert!(check_name("ok_name-1").is_ok());
        assert!(check_name("../x").is_err());
    }
}
