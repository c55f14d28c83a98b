//! A source file on disk: opened only when it is a regular file, hashed as
//! it is read, and read as a stream of [`RawConversation`]s. [`scan`] reads
//! it whole first (every parse error found before anything is written);
//! [`Conversations`] reads it again for writing and checks it is the same file.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};

use camino::{Utf8Path, Utf8PathBuf};
use sha2::{Digest, Sha256};

use super::columns::ColumnMap;
use super::csv::Rows;
use super::group::Grouper;
use super::{Format, ParseError, RawConversation, jsonl};
use crate::regular_file::{self, FileError, Links};

/// The longest JSONL line read (one conversation).
pub const MAX_LINE_BYTES: u64 = 64 * 1024 * 1024;

/// Why a source file is refused.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: cannot be read: {message}")]
    Unreadable { path: Utf8PathBuf, message: String },
    #[error("{path}: not a regular file")]
    NotAFile { path: Utf8PathBuf },
    #[error("{path}:{line}: {message}; nothing ingested")]
    Parse {
        path: Utf8PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}: changed while it was read (sha256 differs); nothing more ingested")]
    Changed { path: Utf8PathBuf },
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

fn hex(hash: Sha256) -> String {
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn open(path: &Utf8Path) -> Result<Hashing<File>, SourceError> {
    let file = regular_file::open_read(path, Links::Follow).map_err(|e| match e {
        FileError::NotRegular { .. } => SourceError::NotAFile {
            path: path.to_owned(),
        },
        other => SourceError::Unreadable {
            path: path.to_owned(),
            message: other.reason(),
        },
    })?;
    Ok(Hashing {
        inner: file,
        hash: Sha256::new(),
    })
}

enum Inner {
    Csv(Box<Rows<Hashing<File>>>, Grouper),
    Jsonl(BufReader<Hashing<File>>, u64),
    /// A CSV whose conversations' rows are not together: grouped in memory.
    Grouped(std::vec::IntoIter<RawConversation>),
}

/// The conversations of a source file, in file order.
pub struct Conversations {
    path: Utf8PathBuf,
    inner: Inner,
    /// The CSV reader's hash, kept once the rows are grouped in memory.
    done_hash: Option<Sha256>,
}

impl Conversations {
    /// Opens `path`; a CSV's header is read and checked at once.
    pub fn open(path: &Utf8Path, format: Format, columns: &ColumnMap) -> Result<Self, SourceError> {
        let input = open(path)?;
        let parse = |e: ParseError| parse_error(path, e);
        let inner = match format {
            Format::Csv => Inner::Csv(
                Box::new(Rows::new(input, columns).map_err(parse)?),
                Grouper::default(),
            ),
            Format::Jsonl => Inner::Jsonl(BufReader::new(input), 0),
        };
        Ok(Self {
            path: path.to_owned(),
            inner,
            done_hash: None,
        })
    }

    /// Groups every row in memory (rows of one conversation spread out).
    fn group_in_memory(&mut self) -> Result<(), SourceError> {
        let mut order: Vec<RawConversation> = Vec::new();
        let mut at: BTreeMap<String, usize> = BTreeMap::new();
        while let Some(c) = self.next_streamed()? {
            let key = c.id.clone().unwrap_or_default();
            match at.get(&key) {
                Some(&i) => {
                    let merged = &mut order[i];
                    merged.turns.extend(c.turns);
                    for (k, v) in c.metadata {
                        merged.metadata.entry(k).or_insert(v);
                    }
                }
                None => {
                    at.insert(key, order.len());
                    order.push(c);
                }
            }
        }
        let old = std::mem::replace(&mut self.inner, Inner::Grouped(order.into_iter()));
        if let Inner::Csv(rows, _) = old {
            self.done_hash = Some(rows.into_reader().hash);
        }
        Ok(())
    }

    fn next_streamed(&mut self) -> Result<Option<RawConversation>, SourceError> {
        let path = self.path.clone();
        match &mut self.inner {
            Inner::Csv(rows, grouper) => loop {
                match rows.next_row().map_err(|e| parse_error(&path, e))? {
                    Some(row) => {
                        if let Some(done) = grouper.push(row) {
                            return Ok(Some(done));
                        }
                    }
                    None => return Ok(grouper.finish()),
                }
            },
            Inner::Jsonl(reader, line_no) => loop {
                let mut line = Vec::new();
                let n = reader
                    .by_ref()
                    .take(MAX_LINE_BYTES + 1)
                    .read_until(b'\n', &mut line)
                    .map_err(|e| SourceError::Unreadable {
                        path: path.clone(),
                        message: e.to_string(),
                    })?;
                if n == 0 {
                    return Ok(None);
                }
                *line_no += 1;
                if line.len() as u64 > MAX_LINE_BYTES {
                    return Err(parse_error(
                        &path,
                        ParseError::at(*line_no, format!("longer than {MAX_LINE_BYTES} bytes")),
                    ));
                }
                if let Some(c) =
                    jsonl::parse_line(*line_no, &line).map_err(|e| parse_error(&path, e))?
                {
                    return Ok(Some(c));
                }
            },
            Inner::Grouped(items) => Ok(items.next()),
        }
    }

    /// The next conversation, or `None` at the end.
    pub fn next_conversation(&mut self) -> Result<Option<RawConversation>, SourceError> {
        self.next_streamed()
    }

    /// The sha256 of the whole file, once every conversation has been read.
    pub fn finish(self) -> String {
        match self.inner {
            Inner::Csv(rows, _) => hex(rows.into_reader().hash),
            Inner::Jsonl(reader, _) => hex(reader.into_inner().hash),
            Inner::Grouped(_) => self.done_hash.map(hex).unwrap_or_default(),
        }
    }
}

fn parse_error(path: &Utf8Path, e: ParseError) -> SourceError {
    SourceError::Parse {
        path: path.to_owned(),
        line: e.line,
        message: e.message,
    }
}

/// The sha256 of a whole file.
pub fn sha256_of(path: &Utf8Path) -> Result<String, SourceError> {
    let mut input = open(path)?;
    std::io::copy(&mut input, &mut std::io::sink()).map_err(|e| SourceError::Unreadable {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    Ok(hex(input.hash))
}

/// The header row of a CSV file.
pub fn csv_header(path: &Utf8Path) -> Result<Vec<String>, SourceError> {
    super::csv::header(open(path)?).map_err(|e| parse_error(path, e))
}

/// What the first, whole read of a file found.
#[derive(Debug, Clone)]
pub struct Scan {
    pub sha256: String,
    pub conversations: u64,
    pub turns: u64,
    /// False when some conversation's rows are not next to each other.
    pub contiguous: bool,
    /// The first conversation (for a preview).
    pub first: Option<RawConversation>,
}

/// Reads a whole file, refusing it at the first parse error.
pub fn scan(path: &Utf8Path, format: Format, columns: &ColumnMap) -> Result<Scan, SourceError> {
    let mut convs = Conversations::open(path, format, columns)?;
    let mut seen: HashSet<String> = HashSet::new();
    let mut scan = Scan {
        sha256: String::new(),
        conversations: 0,
        turns: 0,
        contiguous: true,
        first: None,
    };
    while let Some(c) = convs.next_conversation()? {
        if format == Format::Csv
            && let Some(id) = &c.id
            && !seen.insert(id.clone())
        {
            scan.contiguous = false;
        } else {
            scan.conversations += 1;
        }
        scan.turns += c.turns.len() as u64;
        if scan.first.is_none() {
            scan.first = Some(c);
        }
    }
    scan.sha256 = convs.finish();
    Ok(scan)
}

/// Opens a file for writing after [`scan`]: rows grouped in memory when
/// the scan found them spread out.
pub fn reopen(
    path: &Utf8Path,
    format: Format,
    columns: &ColumnMap,
    scan: &Scan,
) -> Result<Conversations, SourceError> {
    let mut convs = Conversations::open(path, format, columns)?;
    if !scan.contiguous {
        convs.group_in_memory()?;
    }
    Ok(convs)
}
