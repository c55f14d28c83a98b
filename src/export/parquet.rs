//! Parquet output through the Apache Arrow crates: typed columns (integers
//! as integers, instants as UTC timestamps, lists as lists), zstd, and rows
//! streamed in record batches so memory stays flat whatever the total.

use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, ListBuilder, StringBuilder,
    TimestampMillisecondBuilder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde_json::Value;

use crate::export::columns::{Column, Kind, Scalar};
use crate::export::rows::Cell;

/// Rows gathered before they are handed to the writer as one record batch.
const BATCH_ROWS: usize = 4096;
/// Rows per row group (readers parallelise over row groups).
const ROW_GROUP_ROWS: usize = 65_536;
/// Bytes per row group at most, so long transcripts do not grow memory.
const ROW_GROUP_BYTES: usize = 32 * 1024 * 1024;

fn scalar_type(s: Scalar) -> DataType {
    match s {
        Scalar::Text => DataType::Utf8,
        Scalar::Int => DataType::Int64,
        Scalar::Float => DataType::Float64,
        Scalar::Bool => DataType::Boolean,
    }
}

/// The Arrow type of a column.
pub fn data_type(kind: Kind) -> DataType {
    match kind {
        Kind::Text | Kind::Json => DataType::Utf8,
        Kind::Int => DataType::Int64,
        Kind::UInt => DataType::UInt64,
        Kind::Float => DataType::Float64,
        Kind::Bool => DataType::Boolean,
        Kind::Time => DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        Kind::List(s) => DataType::List(Arc::new(Field::new("item", scalar_type(s), true))),
    }
}

/// The Arrow schema of `columns`: every column nullable, none NULL-typed.
pub fn schema(columns: &[Column]) -> Schema {
    Schema::new(
        columns
            .iter()
            .map(|c| Field::new(&c.name, data_type(c.kind), true))
            .collect::<Vec<_>>(),
    )
}

enum Builder {
    Text(StringBuilder),
    Int(Int64Builder),
    UInt(UInt64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Time(TimestampMillisecondBuilder),
    Texts(ListBuilder<StringBuilder>),
    Ints(ListBuilder<Int64Builder>),
    Floats(ListBuilder<Float64Builder>),
    Bools(ListBuilder<BooleanBuilder>),
}

impl Builder {
    fn new(kind: Kind) -> Self {
        match kind {
            Kind::Text | Kind::Json => Builder::Text(StringBuilder::new()),
            Kind::Int => Builder::Int(Int64Builder::new()),
            Kind::UInt => Builder::UInt(UInt64Builder::new()),
            Kind::Float => Builder::Float(Float64Builder::new()),
            Kind::Bool => Builder::Bool(BooleanBuilder::new()),
            Kind::Time => Builder::Time(TimestampMillisecondBuilder::new().with_timezone("UTC")),
            Kind::List(Scalar::Text) => Builder::Texts(ListBuilder::new(StringBuilder::new())),
            Kind::List(Scalar::Int) => Builder::Ints(ListBuilder::new(Int64Builder::new())),
            Kind::List(Scalar::Float) => Builder::Floats(ListBuilder::new(Float64Builder::new())),
            Kind::List(Scalar::Bool) => Builder::Bools(ListBuilder::new(BooleanBuilder::new())),
        }
    }

    /// Appends a cell; a cell of another type than the column's is null
    /// (rows are built for their columns, so it does not happen).
    fn append(&mut self, cell: &Cell) {
        let items = match cell {
            Cell::Json(Value::Array(items)) => Some(items),
            _ => None,
        };
        match self {
            Builder::Text(b) => match cell {
                Cell::Text(s) => b.append_value(s),
                Cell::Json(v) => b.append_value(v.to_string()),
                _ => b.append_null(),
            },
            Builder::Int(b) => b.append_option(match cell {
                Cell::Int(n) => Some(*n),
                _ => None,
            }),
            Builder::UInt(b) => b.append_option(match cell {
                Cell::UInt(n) => Some(*n),
                _ => None,
            }),
            Builder::Float(b) => b.append_option(match cell {
                Cell::Float(f) => Some(*f),
                _ => None,
            }),
            Builder::Bool(b) => b.append_option(match cell {
                Cell::Bool(x) => Some(*x),
                _ => None,
            }),
            Builder::Time(b) => b.append_option(match cell {
                Cell::Time(t) => Some(*t),
                _ => None,
            }),
            Builder::Texts(b) => match items {
                Some(items) => {
                    for i in items {
                        b.values().append_option(i.as_str());
                    }
                    b.append(true);
                }
                None => b.append(false),
            },
            Builder::Ints(b) => match items {
                Some(items) => {
                    for i in items {
                        b.values().append_option(i.as_i64());
                    }
                    b.append(true);
                }
                None => b.append(false),
            },
            Builder::Floats(b) => match items {
                Some(items) => {
                    for i in items {
                        b.values().append_option(i.as_f64());
                    }
                    b.append(true);
                }
                None => b.append(false),
            },
            Builder::Bools(b) => match items {
                Some(items) => {
                    for i in items {
                        b.values().append_option(i.as_bool());
                    }
                    b.append(true);
                }
                None => b.append(false),
            },
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::UInt(b) => Arc::new(b.finish()),
            Builder::Float(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Time(b) => Arc::new(b.finish()),
            Builder::Texts(b) => Arc::new(b.finish()),
            Builder::Ints(b) => Arc::new(b.finish()),
            Builder::Floats(b) => Arc::new(b.finish()),
            Builder::Bools(b) => Arc::new(b.finish()),
        }
    }
}

/// Writes rows to a Parquet file as they come.
pub struct ParquetSink<W: Write + Send> {
    writer: ArrowWriter<W>,
    schema: SchemaRef,
    builders: Vec<Builder>,
    pending: usize,
}

impl<W: Write + Send> ParquetSink<W> {
    /// A writer of `columns` into `out`.
    pub fn new(out: W, columns: &[Column]) -> Result<Self, String> {
        let schema: SchemaRef = Arc::new(schema(columns));
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
            .build();
        let writer =
            ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(|e| e.to_string())?;
        Ok(Self {
            writer,
            schema,
            builders: columns.iter().map(|c| Builder::new(c.kind)).collect(),
            pending: 0,
        })
    }

    /// Adds one row (cells in column order).
    pub fn row(&mut self, cells: &[Cell]) -> Result<(), String> {
        for (b, c) in self.builders.iter_mut().zip(cells) {
            b.append(c);
        }
        self.pending += 1;
        if self.pending >= BATCH_ROWS {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> Result<(), String> {
        if self.pending == 0 {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| e.to_string())?;
        self.pending = 0;
        self.writer.write(&batch).map_err(|e| e.to_string())
    }

    /// Writes what is left and the footer; returns the underlying writer.
    pub fn finish(mut self) -> Result<W, String> {
        self.flush_batch()?;
        self.writer.into_inner().map_err(|e| e.to_string())
    }
}
