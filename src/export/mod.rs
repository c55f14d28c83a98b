//! Export: the selected conversations as one table (JSONL, CSV or Parquet)
//! at conversation or turn level, for the tools downstream (SPEC §8).
//!
//! The selection comes from the registry ([`select`]), never from a scan of
//! the data dir; every file is verified against its registered sha256 as it
//! is read ([`read`]), so a tampered file stops the export. The columns are
//! fixed by the level and the prompt versions involved ([`columns`]), never
//! by the rows, so exports of different runs concatenate. Rows are streamed:
//! memory holds one conversation and one record batch at a time.

use std::collections::BTreeMap;
use std::io::Write;

use camino::Utf8Path;

use crate::conversation::{Conversation, Origin};
use crate::generate::fill_for_model;
use crate::prompt::Prompt;
use crate::registry::{Registry, RegistryError};

pub mod columns;
pub mod csv;
pub mod jsonl;
pub mod parquet;
pub mod read;
pub mod rows;
pub mod select;

use columns::Column;
use read::ReadError;
use select::{Query, Selected, conversations_of};

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
    Parquet,
}

/// One row per conversation or per turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Level {
    #[default]
    Conversation,
    Turn,
}

/// Whether the chat-messages form starts with the system text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SystemText {
    /// The prompt's system text as sent for that conversation (placeholders filled).
    #[default]
    Prompt,
    None,
}

/// How to write the rows.
#[derive(Debug, Clone)]
pub struct Options {
    pub format: Format,
    pub level: Level,
    /// JSONL in the chat fine-tuning form (`messages` + `metadata`).
    pub messages: bool,
    /// The role written as `assistant` in the messages form (default: each prompt's first role).
    pub assistant: Option<String>,
    pub system: SystemText,
    pub delimiter: u8,
    pub bom: bool,
    /// `None` is any origin.
    pub origin: Option<Origin>,
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A registered file cannot be trusted or read: the data is at fault.
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The output cannot be written.
    #[error("{0}")]
    Write(String),
}

/// The rows written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub rows: u64,
    pub conversations: u64,
}

enum Sink<W: Write + Send> {
    Jsonl(W),
    Csv(Box<csv::CsvSink<W>>),
    Parquet(Box<parquet::ParquetSink<W>>),
}

/// The columns an export of `selected` at `level` has.
pub fn columns_for(selected: &Selected, level: Level) -> Vec<Column> {
    match level {
        Level::Conversation => {
            columns::conversation_columns(selected.prompts_used().map(|(_, p)| p))
        }
        Level::Turn => columns::turn_columns(),
    }
}

impl Selected {
    /// The parsed prompt versions the selected batches were made with.
    pub fn prompts_used(&self) -> impl Iterator<Item = (&str, &Prompt)> {
        let used: std::collections::BTreeSet<&str> =
            self.batches.iter().map(|b| b.prompt_id.as_str()).collect();
        self.prompts
            .iter()
            .filter(move |(id, _)| used.contains(id.as_str()))
            .filter_map(|(id, (_, p))| p.as_ref().map(|p| (id.as_str(), p)))
    }
}

fn write_err(e: impl std::fmt::Display) -> ExportError {
    ExportError::Write(e.to_string())
}

/// Writes the conversations `query` selects in `selected` to `out`; `tick`
/// is called once per conversation read. Returns the counts and `out`.
pub fn export<W: Write + Send>(
    registry: &Registry,
    selected: &Selected,
    query: &Query,
    opts: &Options,
    out: W,
    tick: &mut dyn FnMut(),
) -> Result<(Written, W), ExportError> {
    let columns = columns_for(selected, opts.level);
    let mut sink = match opts.format {
        Format::Jsonl => Sink::Jsonl(out),
        Format::Csv => Sink::Csv(Box::new(
            csv::CsvSink::new(out, &columns, opts.delimiter, opts.bom).map_err(write_err)?,
        )),
        Format::Parquet => Sink::Parquet(Box::new(
            parquet::ParquetSink::new(out, &columns).map_err(write_err)?,
        )),
    };
    let data_dir = registry.data_dir();
    let mut written = Written::default();
    for batch in &selected.batches {
        for record in conversations_of(registry, batch, query)? {
            let conv = read::read_verified(data_dir, &record)?;
            tick();
            if opts.origin.is_some_and(|o| o != conv.origin) {
                continue;
            }
            written.conversations += 1;
            written.rows += write_conversation(&mut sink, &conv, selected, &columns, opts)?;
        }
    }
    let out = match sink {
        Sink::Jsonl(mut w) => {
            w.flush().map_err(write_err)?;
            w
        }
        Sink::Csv(s) => s.finish().map_err(write_err)?,
        Sink::Parquet(s) => s.finish().map_err(write_err)?,
    };
    Ok((written, out))
}

/// The prompt version a conversation was made from, when registered and parsable.
fn prompt_of<'a>(selected: &'a Selected, conv: &Conversation) -> Option<&'a Prompt> {
    let id = &conv.prompt.as_ref()?.id;
    selected.prompts.get(id).and_then(|(_, p)| p.as_ref())
}

/// Writes one conversation's rows; returns how many.
fn write_conversation<W: Write + Send>(
    sink: &mut Sink<W>,
    conv: &Conversation,
    selected: &Selected,
    columns: &[Column],
    opts: &Options,
) -> Result<u64, ExportError> {
    let prompt = prompt_of(selected, conv);
    let scenario = prompt.and_then(|p| p.scenario(&conv.scenario.id));
    if opts.messages {
        let system = match (opts.system, prompt, scenario) {
            (SystemText::Prompt, Some(p), Some(s)) => {
                Some(fill_for_model(p, s, &conv.variables).system)
            }
            _ => None,
        };
        let assistant = opts
            .assistant
            .clone()
            .or_else(|| conv.roles.first().cloned())
            .unwrap_or_default();
        let line = jsonl::messages(conv, system.as_deref(), &assistant);
        if let Sink::Jsonl(w) = sink {
            serde_json::to_writer(&mut *w, &line).map_err(write_err)?;
            w.write_all(b"\n").map_err(write_err)?;
        }
        return Ok(1);
    }
    let rows: Vec<Vec<rows::Cell>> = match opts.level {
        Level::Conversation => vec![rows::conversation_row(conv, scenario, columns)],
        Level::Turn => rows::turn_rows(conv, columns).collect(),
    };
    for cells in &rows {
        match sink {
            Sink::Jsonl(w) => jsonl::write_row(w, columns, cells).map_err(write_err)?,
            Sink::Csv(s) => s.row(cells).map_err(write_err)?,
            Sink::Parquet(s) => s.row(cells).map_err(write_err)?,
        }
    }
    Ok(rows.len() as u64)
}

/// The roles of the selected prompts, by prompt name, for checking `--assistant`.
pub fn roles_by_prompt(selected: &Selected) -> BTreeMap<String, Vec<String>> {
    selected
        .prompts_used()
        .map(|(_, p)| (p.name.clone(), p.roles.clone()))
        .collect()
}

/// The path an export is written to before its rename: hidden, beside the target.
pub fn temp_out(path: &Utf8Path) -> camino::Utf8PathBuf {
    let name = path.file_name().unwrap_or("export");
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}
