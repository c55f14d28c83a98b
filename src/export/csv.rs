//! CSV output: RFC 4180 (fields with the delimiter, quotes or line breaks
//! quoted, records ended by CRLF), UTF-8, a header row, an optional BOM for Excel.

use std::io::Write;

use crate::export::columns::Column;
use crate::export::rows::{Cell, cell_text};

/// The UTF-8 byte order mark Excel needs to read UTF-8.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A CSV writer with its header written.
pub struct CsvSink<W: Write> {
    writer: csv::Writer<W>,
}

impl<W: Write> CsvSink<W> {
    /// Writes the BOM (when asked) and the header of `columns` to `out`.
    pub fn new(mut out: W, columns: &[Column], delimiter: u8, bom: bool) -> Result<Self, String> {
        if bom {
            out.write_all(BOM).map_err(|e| e.to_string())?;
        }
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        writer
            .write_record(columns.iter().map(|c| c.name.as_str()))
            .map_err(|e| e.to_string())?;
        Ok(Self { writer })
    }

    /// Writes one row.
    pub fn row(&mut self, cells: &[Cell]) -> Result<(), csv::Error> {
        self.writer.write_record(cells.iter().map(cell_text))
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> Result<W, String> {
        self.writer.into_inner().map_err(|e| e.error().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::columns::Kind;

    #[test]
    fn fields_are_quoted_as_rfc_4180_says() {
        let cols = vec![
            Column {
                name: "a".into(),
                kind: Kind::Text,
            },
            Column {
                name: "b".into(),
                kind: Kind::Text,
            },
        ];
        let mut sink = CsvSink::new(Vec::new(), &cols, b';', true).unwrap();
        sink.row(&[
            Cell::Text("x;y".into()),
            Cell::Text("di \"hola\"\nadiós".into()),
        ])
        .unwrap();
        let out = String::from_utf8(sink.finish().unwrap()).unwrap();
        assert_eq!(out, "\u{feff}a;b\r\n\"x;y\";\"di \"\"hola\"\"\nadiós\"\r\n");
    }
}
