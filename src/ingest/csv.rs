//! CSV with one row per turn (call-centre and speech-analytics exports):
//! a header row, columns mapped with `--columns`, quoted fields (commas,
//! quotes, newlines) read by the `csv` crate.
//!
//! The `csv` crate accepts a quote left open at the end of a file, reading
//! the rest of the file into one field; each record's raw bytes are kept
//! (through [`Tee`]) and a record whose quotes do not pair up is refused
//! with its line, so a broken export never comes in as one giant turn.

use std::collections::BTreeMap;
use std::io::Read;

use serde_json::Value;

use super::{ParseError, RawConversation, RawTurn};

/// `--columns conversation=…,role=…,text=…,timestamp=…`: the header names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    pub conversation: String,
    pub role: String,
    pub text: String,
    pub timestamp: String,
    /// True when `timestamp` was named (then the column must exist).
    pub timestamp_named: bool,
}

impl Default for ColumnMap {
    fn default() -> Self {
        Self {
            conversation: "conversation_id".into(),
            role: "role".into(),
            text: "text".into(),
            timestamp: "timestamp".into(),
            timestamp_named: false,
        }
    }
}

impl ColumnMap {
    /// Parses `key=column,…` over the defaults; the error names the bad item.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut map = Self::default();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let Some((key, column)) = item.split_once('=') else {
                return Err(format!("`{item}` is not KEY=column"));
            };
            let column = column.trim().to_string();
            if column.is_empty() {
                return Err(format!("`{item}` names no column"));
            }
            match key.trim() {
                "conversation" => map.conversation = column,
                "role" => map.role = column,
                "text" => map.text = column,
                "timestamp" => {
                    map.timestamp = column;
                    map.timestamp_named = true;
                }
                other => {
                    return Err(format!(
                        "unknown key `{other}` (known: conversation, role, text, timestamp)"
                    ));
                }
            }
        }
        Ok(map)
    }
}

/// A reader that keeps a copy of what it has passed on since the last
/// [`Tee::take`], so each record's raw bytes can be looked at.
pub struct Tee<R> {
    inner: R,
    kept: Vec<u8>,
    /// Offset in the stream of `kept[0]`.
    base: u64,
    /// Line feeds before `kept[0]`.
    newlines: u64,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.kept.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

fn line_feeds(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|b| **b == b'\n').count() as u64
}

impl<R> Tee<R> {
    /// The line (from 1) of the record starting at stream offset `byte`.
    ///
    /// Counted here rather than taken from the `csv` crate, whose record
    /// positions sit before the `\n` of a CRLF terminator (one line early).
    fn line_at(&self, byte: u64) -> u64 {
        let at = (byte.saturating_sub(self.base) as usize).min(self.kept.len());
        let before = line_feeds(&self.kept[..at]);
        let terminator = self.kept[at..]
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .filter(|b| **b == b'\n')
            .count() as u64;
        self.newlines + before + terminator + 1
    }

    /// The bytes from `from` up to `to` (stream offsets), dropping all before `from`.
    fn take(&mut self, from: u64, to: u64) -> &[u8] {
        let end = (to.saturating_sub(self.base) as usize).min(self.kept.len());
        let start = (from.saturating_sub(self.base) as usize).min(end);
        // Everything before `start` is an earlier record's: drop it now.
        self.newlines += line_feeds(&self.kept[..start]);
        self.kept.drain(..start);
        self.base += start as u64;
        &self.kept[..end - start]
    }
}

/// One row, its columns picked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub conversation: String,
    pub turn: RawTurn,
    /// The unmapped columns: (header, value).
    pub extra: Vec<(String, String)>,
}

/// The rows of a CSV source.
pub struct Rows<R: Read> {
    reader: ::csv::Reader<Tee<R>>,
    record: ::csv::ByteRecord,
    headers: Vec<String>,
    conversation: usize,
    role: usize,
    text: usize,
    timestamp: Option<usize>,
    /// The line the current record starts on.
    line: u64,
}

fn csv_error<R>(e: &::csv::Error, tee: &Tee<R>) -> ParseError {
    let line = e.position().map_or(0, |p| tee.line_at(p.byte()));
    let message = match e.kind() {
        ::csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("the row has {len} fields, the header {expected_len}"),
        ::csv::ErrorKind::Io(io) => format!("cannot be read: {io}"),
        _ => e.to_string(),
    };
    ParseError::at(line, message)
}

impl<R: Read> Rows<R> {
    /// Reads the header and finds the mapped columns in it.
    pub fn new(input: R, columns: &ColumnMap) -> Result<Self, ParseError> {
        let tee = Tee {
            inner: input,
            kept: Vec::new(),
            base: 0,
            newlines: 0,
        };
        let reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(tee);
        let mut rows = Self {
            reader,
            record: ::csv::ByteRecord::new(),
            headers: Vec::new(),
            conversation: 0,
            role: 0,
            text: 0,
            timestamp: None,
            line: 0,
        };
        if !rows.read()? {
            return Err(ParseError::at(1, "the file is empty (expected a header row)"));
        }
        let headers = rows.strings(1)?;
        rows.headers = headers
            .into_iter()
            .enumerate()
            .map(|(i, h)| {
                let h = if i == 0 { h.trim_start_matches('\u{feff}') } else { &h };
                h.trim().to_string()
            })
            .collect();
        let find = |name: &str| rows.headers.iter().position(|h| h == name);
        let need = |flag: &str, name: &str| {
            find(name).ok_or_else(|| {
                ParseError::at(
                    1,
                    format!(
                        "no column `{name}` in the header ({}); name it with --columns {flag}=COLUMN",
                        rows.headers.join(", ")
                    ),
                )
            })
        };
        let conversation = need("conversation", &columns.conversation)?;
        let role = need("role", &columns.role)?;
        let text = need("text", &columns.text)?;
        let timestamp = if columns.timestamp_named {
            Some(need("timestamp", &columns.timestamp)?)
        } else {
            find(&columns.timestamp)
        };
        rows.conversation = conversation;
        rows.role = role;
        rows.text = text;
        rows.timestamp = timestamp;
        Ok(rows)
    }

    /// The input, once every row has been read.
    pub fn into_reader(self) -> R {
        self.reader.into_inner().inner
    }

    /// Reads the next record; refuses one whose quotes do not pair up.
    fn read(&mut self) -> Result<bool, ParseError> {
        let more = self
            .reader
            .read_byte_record(&mut self.record)
            .map_err(|e| csv_error(&e, self.reader.get_ref()))?;
        if !more {
            return Ok(false);
        }
        let start = self.record.position().map_or(0, ::csv::Position::byte);
        let end = self.reader.position().byte();
        let line = self.reader.get_ref().line_at(start);
        self.line = line;
        let raw = self.reader.get_mut().take(start, end);
        if raw.iter().filter(|b| **b == b'"').count() % 2 == 1 {
            return Err(ParseError::at(
                line,
                "a quoted field is not closed (or a stray `\"` sits in an unquoted field): \
                 RFC 4180 quotes a whole field and doubles the quotes inside it",
            ));
        }
        Ok(true)
    }

    /// The current record's fields as UTF-8.
    fn strings(&self, line: u64) -> Result<Vec<String>, ParseError> {
        self.record
            .iter()
            .enumerate()
            .map(|(i, f)| {
                String::from_utf8(f.to_vec()).map_err(|_| {
                    ParseError::at(line, format!("field {} is not valid UTF-8", i + 1))
                })
            })
            .collect()
    }

    /// The next row, or `None` at the end of the file.
    pub fn next_row(&mut self) -> Result<Option<Row>, ParseError> {
        loop {
            if !self.read()? {
                return Ok(None);
            }
            let line = self.line;
            let fields = self.strings(line)?;
            // A blank line between records reads as one empty field.
            if fields.len() == 1 && fields[0].trim().is_empty() && self.headers.len() > 1 {
                continue;
            }
            let get = |i: usize| fields.get(i).cloned().unwrap_or_default();
            let conversation = get(self.conversation).trim().to_string();
            if conversation.is_empty() {
                return Err(ParseError::at(
                    line,
                    format!("the `{}` column is empty", self.headers[self.conversation]),
                ));
            }
            let used = [Some(self.conversation), Some(self.role), Some(self.text), self.timestamp];
            let extra = self
                .headers
                .iter()
                .enumerate()
                .filter(|(i, _)| !used.contains(&Some(*i)))
                .map(|(i, h)| (h.clone(), get(i)))
                .collect();
            return Ok(Some(Row {
                conversation,
                turn: RawTurn {
                    line,
                    role: get(self.role),
                    text: get(self.text),
                    timestamp: self.timestamp.map(get).filter(|t| !t.trim().is_empty()),
                },
                extra,
            }));
        }
    }
}

/// The header row of a CSV source (for the menu to suggest a mapping).
pub fn header<R: Read>(input: R) -> Result<Vec<String>, ParseError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut record = ::csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => Ok(record
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = if i == 0 { h.trim_start_matches('\u{feff}') } else { h };
                h.trim().to_string()
            })
            .collect()),
        Ok(false) => Err(ParseError::at(1, "the file is empty (expected a header row)")),
        Err(e) => Err(ParseError::at(1, format!("the header cannot be read: {e}"))),
    }
}

/// Builds conversations from rows: rows of one conversation id, in file order.
#[derive(Debug, Default)]
pub struct Grouper {
    current: Option<(String, RawConversation, BTreeMap<String, Vec<String>>)>,
}

impl Grouper {
    /// Adds a row; returns the conversation it closes, when it starts a new one.
    pub fn push(&mut self, row: Row) -> Option<RawConversation> {
        if let Some((id, conv, extra)) = &mut self.current
            && *id == row.conversation
        {
            for (k, v) in row.extra {
                extra.entry(k).or_default().push(v);
            }
            conv.turns.push(row.turn);
            return None;
        }
        let done = self.finish();
        let mut extra: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in row.extra {
            extra.entry(k).or_default().push(v);
        }
        let conv = RawConversation {
            id: Some(row.conversation.clone()),
            line: row.turn.line,
            turns: vec![row.turn],
            metadata: BTreeMap::new(),
        };
        self.current = Some((row.conversation, conv, extra));
        done
    }

    /// The conversation being built, closed.
    pub fn finish(&mut self) -> Option<RawConversation> {
        let (_, mut conv, extra) = self.current.take()?;
        conv.metadata = metadata(extra);
        Some(conv)
    }
}

/// The unmapped columns of a conversation's rows: one value when every row
/// agrees, else every row's value in order (nothing is lost).
fn metadata(extra: BTreeMap<String, Vec<String>>) -> BTreeMap<String, Value> {
    extra
        .into_iter()
        .map(|(k, values)| {
            let same = values.windows(2).all(|w| w[0] == w[1]);
            let value = if same {
                Value::from(values.into_iter().next().unwrap_or_default())
            } else {
                Value::from(values)
            };
            (k, value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &str, columns: &ColumnMap) -> Result<Vec<RawConversation>, ParseError> {
        let mut rows = Rows::new(text.as_bytes(), columns)?;
        let mut g = Grouper::default();
        let mut out = Vec::new();
        while let Some(row) = rows.next_row()? {
            out.extend(g.push(row));
        }
        out.extend(g.finish());
        Ok(out)
    }

    #[test]
    fn quoted_commas_quotes_newlines_bom_and_crlf() {
        let text = "\u{feff}call_id,speaker,utterance,start_time,queue\r\n\
            c1,AGENTE,\"Hola, ¿en qué le ayudo?\",2026-03-02T09:15:00+01:00,billing\r\n\
            c1,CLIENTE,\"Me dijeron \"\"gratis\"\"\r\ny no lo es\",2026-03-02T09:15:05+01:00,billing\r\n\
            c2,AGENTE,Buenas,,sales\r\n";
        let cols = ColumnMap::parse("conversation=call_id,role=speaker,text=utterance,timestamp=start_time")
            .unwrap();
        let convs = read_all(text, &cols).unwrap();
        assert_eq!(convs.len(), 2);
        assert_eq!(convs[0].turns[0].text, "Hola, ¿en qué le ayudo?");
        assert_eq!(convs[0].turns[1].text, "Me dijeron \"gratis\"\r\ny no lo es");
        assert_eq!(convs[0].turns[1].line, 3);
        assert_eq!(convs[1].line, 5);
        assert_eq!(convs[1].turns[0].timestamp, None);
        assert_eq!(convs[0].metadata["queue"], Value::from("billing"));
    }

    #[test]
    fn an_unclosed_quote_at_the_end_is_refused_with_its_line() {
        let text = "conversation_id,role,text\nc1,a,hola\nc1,b,\"sin cerrar\nc1,a,más\n";
        let err = read_all(text, &ColumnMap::default()).unwrap_err();
        assert_eq!(err.line, 3, "{err:?}");
        assert!(err.message.contains("not closed"));
    }

    #[test]
    fn missing_columns_and_ragged_rows_are_refused() {
        let err = read_all("a,b\n1,2\n", &ColumnMap::default()).unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.message.contains("no column `conversation_id`"), "{err:?}");
        let err = read_all("conversation_id,role,text\nc1,a,x\nc1,b\n", &ColumnMap::default())
            .unwrap_err();
        assert_eq!(err.line, 3, "{err:?}");
        let err = ColumnMap::parse("speaker=x").unwrap_err();
        assert!(err.contains("unknown key `speaker`"));
    }

    #[test]
    fn columns_that_differ_per_row_keep_every_value() {
        let text = "conversation_id,role,text,channel\nc1,a,x,phone\nc1,b,y,chat\n";
        let convs = read_all(text, &ColumnMap::default()).unwrap();
        assert_eq!(convs[0].metadata["channel"], serde_json::json!(["phone", "chat"]));
    }
}
