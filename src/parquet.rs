//! Parquet output (cargo feature `parquet`), for pandas, polars and DuckDB.
//!
//! The same rows as the CSV outputs — the columns of a record file or of a
//! report table — written as one flat Parquet schema, every column optional.
//! A column's type is decided from its values: all integers give `INT64`,
//! numbers with a fraction `DOUBLE`, booleans `BOOLEAN`, anything else (text,
//! lists and objects as their JSON text, integers beyond `i64`, or a mix)
//! `BYTE_ARRAY` annotated `STRING`. A column that is null in every row is a
//! `STRING` column of nulls. Text is written as it is, without the `'` that
//! defuses formulas in CSV: Parquet readers never evaluate cells.
//!
//! Rows are read twice, so that memory stays bounded whatever the file's
//! length: once to decide the types, once to write row groups of
//! [`ROW_GROUP`] rows, Snappy-compressed.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::sync::Arc;

use parquet::basic::{Compression, LogicalType, Repetition, Type as Physical};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use serde_json::{Map, Value};

/// Rows per row group.
pub const ROW_GROUP: usize = 64 * 1024;

/// The type of a column, decided from its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// No value seen yet (a `STRING` column if it stays so).
    Null,
    /// `BOOLEAN`.
    Bool,
    /// `INT64`.
    Int,
    /// `DOUBLE`.
    Double,
    /// `BYTE_ARRAY` (`STRING`).
    Text,
}

impl Kind {
    /// The kind of one value.
    pub fn of(v: &Value) -> Kind {
        match v {
            Value::Null => Kind::Null,
            Value::Bool(_) => Kind::Bool,
            Value::Number(n) if n.is_i64() => Kind::Int,
            Value::Number(n) if n.is_f64() => Kind::Double,
            _ => Kind::Text,
        }
    }

    /// The kind that holds values of both.
    pub fn join(self, other: Kind) -> Kind {
        match (self, other) {
            (a, b) if a == b => a,
            (Kind::Null, k) | (k, Kind::Null) => k,
            (Kind::Int, Kind::Double) | (Kind::Double, Kind::Int) => Kind::Double,
            _ => Kind::Text,
        }
    }
}

/// A source of rows that can be read more than once: it calls `row` for each
/// row, in order, with one value per column.
pub trait Rows {
    /// Reads every row.
    fn each(&mut self, row: &mut dyn FnMut(&[Value]) -> io::Result<()>) -> io::Result<()>;
}

/// Rows held in memory (a report table).
impl Rows for &[Vec<Value>] {
    fn each(&mut self, row: &mut dyn FnMut(&[Value]) -> io::Result<()>) -> io::Result<()> {
        self.iter().try_for_each(|r| row(r))
    }
}

/// Rows of a JSON-lines file: each line an object, its fields picked by column
/// name (a missing field is null).
pub struct JsonLines<'a> {
    /// The file, read from its start at each pass.
    pub file: &'a File,
    /// Column names, in order.
    pub columns: &'a [String],
}

impl Rows for JsonLines<'_> {
    fn each(&mut self, row: &mut dyn FnMut(&[Value]) -> io::Result<()>) -> io::Result<()> {
        use std::io::Seek;
        let mut file = self.file;
        file.seek(io::SeekFrom::Start(0))?;
        let mut r = BufReader::with_capacity(256 << 10, file);
        let mut line = String::new();
        let mut cells = Vec::with_capacity(self.columns.len());
        while r.read_line(&mut line)? != 0 {
            let mut obj: Map<String, Value> = serde_json::from_str(&line)?;
            cells.clear();
            cells.extend(
                self.columns
                    .iter()
                    .map(|c| obj.remove(c).unwrap_or(Value::Null)),
            );
            row(&cells)?;
            line.clear();
        }
        Ok(())
    }
}

fn parquet_error(e: parquet::errors::ParquetError) -> io::Error {
    io::Error::other(e)
}

/// The text written for a value in a `STRING` column.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One column's values for the row group being filled, and its definition
/// levels (1: a value, 0: null).
enum Column {
    Bool(Vec<bool>, Vec<i16>),
    Int(Vec<i64>, Vec<i16>),
    Double(Vec<f64>, Vec<i16>),
    Text(Vec<ByteArray>, Vec<i16>),
}

impl Column {
    fn new(kind: Kind) -> Column {
        match kind {
            Kind::Bool => Column::Bool(Vec::new(), Vec::new()),
            Kind::Int => Column::Int(Vec::new(), Vec::new()),
            Kind::Double => Column::Double(Vec::new(), Vec::new()),
            Kind::Null | Kind::Text => Column::Text(Vec::new(), Vec::new()),
        }
    }

    fn push(&mut self, v: &Value) {
        let defined = !v.is_null();
        match self {
            Column::Bool(vals, defs) => {
                defs.push(defined as i16);
                vals.extend(v.as_bool());
            }
            Column::Int(vals, defs) => {
                defs.push(defined as i16);
                vals.extend(v.as_i64());
            }
            Column::Double(vals, defs) => {
                defs.push(defined as i16);
                vals.extend(v.as_f64());
            }
            Column::Text(vals, defs) => {
                defs.push(defined as i16);
                if defined {
                    vals.push(ByteArray::from(text(v).into_bytes()));
                }
            }
        }
    }

    fn write(
        &mut self,
        w: &mut parquet::file::writer::SerializedColumnWriter<'_>,
    ) -> parquet::errors::Result<()> {
        match self {
            Column::Bool(vals, defs) => {
                w.typed::<BoolType>().write_batch(vals, Some(defs), None)?;
                vals.clear();
                defs.clear();
            }
            Column::Int(vals, defs) => {
                w.typed::<Int64Type>().write_batch(vals, Some(defs), None)?;
                vals.clear();
                defs.clear();
            }
            Column::Double(vals, defs) => {
                w.typed::<DoubleType>()
                    .write_batch(vals, Some(defs), None)?;
                vals.clear();
                defs.clear();
            }
            Column::Text(vals, defs) => {
                w.typed::<ByteArrayType>()
                    .write_batch(vals, Some(defs), None)?;
                vals.clear();
                defs.clear();
            }
        }
        Ok(())
    }
}

/// The Parquet schema of named columns of the given kinds.
fn schema(columns: &[String], kinds: &[Kind]) -> parquet::errors::Result<Type> {
    let fields = columns
        .iter()
        .zip(kinds)
        .map(|(name, kind)| {
            let (physical, logical) = match kind {
                Kind::Bool => (Physical::BOOLEAN, None),
                Kind::Int => (Physical::INT64, None),
                Kind::Double => (Physical::DOUBLE, None),
                Kind::Null | Kind::Text => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
            };
            Type::primitive_type_builder(name, physical)
                .with_repetition(Repetition::OPTIONAL)
                .with_logical_type(logical)
                .build()
                .map(Arc::new)
        })
        .collect::<parquet::errors::Result<Vec<_>>>()?;
    Type::group_type_builder("ivraie")
        .with_fields(fields)
        .build()
}

/// Writes the pending rows of every column as one row group.
fn flush<W: Write + Send>(
    cols: &mut [Column],
    writer: &mut SerializedFileWriter<W>,
) -> parquet::errors::Result<()> {
    let mut rg = writer.next_row_group()?;
    let mut i = 0;
    while let Some(mut w) = rg.next_column()? {
        if let Some(c) = cols.get_mut(i) {
            c.write(&mut w)?;
        }
        w.close()?;
        i += 1;
    }
    rg.close()?;
    Ok(())
}

/// Writes `rows` (with the given column names) to `out` as a Parquet file.
/// Returns the number of rows written.
pub fn write<W: Write + Send>(out: W, columns: &[String], rows: &mut dyn Rows) -> io::Result<u64> {
    let mut kinds = vec![Kind::Null; columns.len()];
    rows.each(&mut |row| {
        for (k, v) in kinds.iter_mut().zip(row) {
            *k = k.join(Kind::of(v));
        }
        Ok(())
    })?;
    let schema = schema(columns, &kinds).map_err(parquet_error)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("ivraie {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut writer =
        SerializedFileWriter::new(out, Arc::new(schema), Arc::new(props)).map_err(parquet_error)?;
    let mut cols: Vec<Column> = kinds.iter().map(|&k| Column::new(k)).collect();
    let mut pending = 0usize;
    let mut total = 0u64;
    rows.each(&mut |row| {
        for (c, v) in cols.iter_mut().zip(row) {
            c.push(v);
        }
        pending += 1;
        total += 1;
        if pending == ROW_GROUP {
            flush(&mut cols, &mut writer).map_err(parquet_error)?;
            pending = 0;
        }
        Ok(())
    })?;
    if pending > 0 || total == 0 {
        flush(&mut cols, &mut writer).map_err(parquet_error)?;
    }
    writer.close().map_err(parquet_error)?;
    Ok(total)
}

/// Reads a Parquet file back whole: its column names and its rows, each a
/// list of cells. Meant for checking outputs and for small files (the rows are
/// all held in memory).
pub fn read_rows(
    file: File,
) -> parquet::errors::Result<(Vec<String>, Vec<Vec<parquet::record::Field>>)> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let r = SerializedFileReader::new(file)?;
    let names = r
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let rows = r
        .get_row_iter(None)?
        .map(|row| row.map(|row| row.get_column_iter().map(|(_, f)| f.clone()).collect()))
        .collect::<parquet::errors::Result<_>>()?;
    Ok((names, rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::record::Field;
    use serde_json::json;

    fn read_back(bytes: Vec<u8>) -> (Vec<String>, Vec<Vec<Field>>) {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&bytes).unwrap();
        read_rows(file).unwrap()
    }

    #[test]
    fn kinds_widen_to_hold_every_value() {
        assert_eq!(Kind::Null.join(Kind::Int), Kind::Int);
        assert_eq!(Kind::Int.join(Kind::Double), Kind::Double);
        assert_eq!(Kind::Int.join(Kind::Text), Kind::Text);
        assert_eq!(Kind::Bool.join(Kind::Int), Kind::Text);
        assert_eq!(Kind::of(&json!(u64::MAX)), Kind::Text);
        assert_eq!(Kind::of(&json!([1, 2])), Kind::Text);
    }

    #[test]
    fn rows_come_back_typed_with_nulls_across_row_groups() {
        let columns: Vec<String> = ["n", "x", "name", "ok", "none", "list"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let rows: Vec<Vec<Value>> = (0..ROW_GROUP as i64 + 3)
            .map(|i| {
                vec![
                    json!(i),
                    if i == 1 { json!(0.5) } else { json!(i) },
                    if i % 2 == 0 {
                        json!("=cmd")
                    } else {
                        Value::Null
                    },
                    json!(i % 3 == 0),
                    Value::Null,
                    json!(["a", i]),
                ]
            })
            .collect();
        let mut out = Vec::new();
        let n = write(&mut out, &columns, &mut rows.as_slice()).unwrap();
        assert_eq!(n, rows.len() as u64);
        let (names, back) = read_back(out);
        assert_eq!(names, columns);
        assert_eq!(back.len(), rows.len());
        assert_eq!(
            back[1],
            [
                Field::Long(1),
                Field::Double(0.5),
                Field::Null,
                Field::Bool(false),
                Field::Null,
                Field::Str(r#"["a",1]"#.into()),
            ]
        );
        let last = &back[ROW_GROUP + 2];
        assert_eq!(last[0], Field::Long(ROW_GROUP as i64 + 2));
        assert_eq!(last[1], Field::Double((ROW_GROUP + 2) as f64));
        assert_eq!(last[2], Field::Str("=cmd".into()));
    }

    #[test]
    fn an_empty_table_is_a_valid_file_with_its_columns() {
        let columns = vec!["a".to_string(), "b".to_string()];
        let mut out = Vec::new();
        let empty: &[Vec<Value>] = &[];
        assert_eq!(write(&mut out, &columns, &mut { empty }).unwrap(), 0);
        let (names, rows) = read_back(out);
        assert_eq!(names, columns);
        assert!(rows.is_empty());
    }
}
