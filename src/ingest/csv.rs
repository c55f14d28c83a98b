//! CSV with one row per turn (call-centre and speech-analytics exports):
//! a header row, columns mapped with `--columns`, quoted fields (commas,
//! quotes, newlines) read by the `csv` crate.
//!
//! The `csv` crate accepts a quote left open at the end of a file, reading
//! the rest of the file into one field; each record's raw bytes are kept
//! (through [`Tee`]) and a record whose quotes do not pair up is refused
//! with its line, so a broken export never comes in as one giant turn.

use std::io::Read;

use super::columns::ColumnMap;
use super::tee::Tee;
use super::{ParseError, RawTurn};

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
    let line = e
        .position()
        .map_or_else(|| tee.kept_line(), |p| tee.line_at(p.byte()));
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
        let tee = Tee::new(input);
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
            return Err(ParseError::at(
                1,
                "the file is empty (expected a header row)",
            ));
        }
        let headers = rows.strings(1)?;
        rows.headers = headers
            .iter()
            .enumerate()
            .map(|(i, h)| header_name(i, h))
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
        let raw = self.reader.get_mut().record(start, end);
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
            let used = [
                Some(self.conversation),
                Some(self.role),
                Some(self.text),
                self.timestamp,
            ];
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

/// Column `i`'s name as a header row gives it: trimmed, and without the
/// byte-order mark an Excel export puts before the first.
fn header_name(i: usize, h: &str) -> String {
    let h = if i == 0 {
        h.trim_start_matches('\u{feff}')
    } else {
        h
    };
    h.trim().to_string()
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
            .map(|(i, h)| header_name(i, h))
            .collect()),
        Ok(false) => Err(ParseError::at(
            1,
            "the file is empty (expected a header row)",
        )),
        Err(e) => Err(ParseError::at(1, format!("the header cannot be read: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::RawConversation;
    use crate::ingest::group::Grouper;
    use serde_json::Value;

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
        let cols = ColumnMap::parse(
            "conversation=call_id,role=speaker,text=utterance,timestamp=start_time",
        )
        .unwrap();
        let convs = read_all(text, &cols).unwrap();
        assert_eq!(convs.len(), 2);
        assert_eq!(convs[0].turns[0].text, "Hola, ¿en qué le ayudo?");
        assert_eq!(
            convs[0].turns[1].text,
            "Me dijeron \"gratis\"\r\ny no lo es"
        );
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
        assert!(
            err.message.contains("no column `conversation_id`"),
            "{err:?}"
        );
        let err = read_all(
            "conversation_id,role,text\nc1,a,x\nc1,b\n",
            &ColumnMap::default(),
        )
        .unwrap_err();
        assert_eq!(err.line, 3, "{err:?}");
    }

    #[test]
    fn columns_that_differ_per_row_keep_every_value() {
        let text = "conversation_id,role,text,channel\nc1,a,x,phone\nc1,b,y,chat\n";
        let convs = read_all(text, &ColumnMap::default()).unwrap();
        assert_eq!(
            convs[0].metadata["channel"],
            serde_json::json!(["phone", "chat"])
        );
    }
}
