//! Ingest: real transcripts (CSV with one row per turn, JSONL with one
//! conversation per line) into the same artefacts, checks and lineage as
//! generated conversations (SPEC §11).
//!
//! The readers ([`csv`], [`jsonl`]) turn bytes into [`RawConversation`]s and
//! refuse an unparseable file with `file:line`; [`normalise`] maps speakers
//! to roles, merges consecutive turns of one speaker and checks what applies
//! to real data; [`store`] writes the batches and registers them. A file is
//! read twice: once whole to refuse it before anything is written, then
//! again to write it, so memory holds one batch, not the file.

use std::collections::BTreeMap;

use serde_json::Value;

pub mod columns;
pub mod conversation;
pub mod csv;
pub mod group;
pub mod jsonl;
pub mod normalise;
pub mod preview;
pub mod roles;
pub mod source;
pub mod store;
pub mod tee;

/// The format of a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One row per turn, a header row naming the columns.
    Csv,
    /// One conversation per line: `turns` or chat `messages`.
    Jsonl,
}

impl Format {
    /// The name used in `source.format`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }
}

/// One row (CSV) or turn (JSONL) as read, before mapping and merging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTurn {
    /// The line (from 1) it starts on.
    pub line: u64,
    /// The speaker label as written.
    pub role: String,
    pub text: String,
    pub timestamp: Option<String>,
}

/// One conversation as read from a source file.
#[derive(Debug, Clone, PartialEq)]
pub struct RawConversation {
    /// Its id in the source, when it has one.
    pub id: Option<String>,
    /// The line (from 1) it starts on.
    pub line: u64,
    pub turns: Vec<RawTurn>,
    /// Everything else the source says about it (kept as `variables`).
    pub metadata: BTreeMap<String, Value>,
}

/// Why a source file cannot be read: the line at fault and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// From 1; 0 when it is not one line's fault.
    pub line: u64,
    pub message: String,
}

impl ParseError {
    /// An error at `line`.
    pub fn at(line: u64, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}
