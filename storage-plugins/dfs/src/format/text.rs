//! Delimited text (CSV, TSV, PSV), read as Drill reads it.
//!
//! Without a header a file has one column, `columns`, an array of VARCHAR (`columns[0]` is the
//! first field); rows may have any number of fields. With `extractHeader` the first line names
//! the columns, each column's type is inferred over every row (BIGINT, DOUBLE or VARCHAR), and
//! empty fields read as NULL.

use std::io::Read;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Builder, Int64Builder, ListArray, NullArray, StringArray, StringBuilder,
};
use arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use auger_common::lattice::{InferredType, StructType};
use auger_common::{Error, FilePosition, Result};

use crate::config::TextFormatConfig;

/// Parsing settings taken from a text format config.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TextOptions {
    pub delimiter: u8,
    pub quote: u8,
    /// `None` when the escape is the quote itself (`""` inside a quoted field).
    pub escape: Option<u8>,
    pub comment: Option<u8>,
    pub skip_first_line: bool,
    pub extract_header: bool,
}

impl TextOptions {
    /// Validates a format config; `format` names it in errors.
    pub fn from_config(format: &str, config: &TextFormatConfig) -> Result<Self, String> {
        let one_byte = |key: &str, value: &str| -> Result<u8, String> {
            let v = unescape(value);
            match v.as_bytes() {
                [b] => Ok(*b),
                _ => Err(format!(
                    "format '{format}': \"{key}\" must be a single character, not {value:?}"
                )),
            }
        };
        let delimiter = one_byte("fieldDelimiter", &config.field_delimiter)?;
        let quote = one_byte("quote", &config.quote)?;
        let escape = if config.escape.is_empty() {
            None
        } else {
            Some(one_byte("escape", &config.escape)?).filter(|e| *e != quote)
        };
        let comment = if config.comment.is_empty() {
            None
        } else {
            Some(one_byte("comment", &config.comment)?)
        };
        Ok(Self {
            delimiter,
            quote,
            escape,
            comment,
            skip_first_line: config.skip_first_line,
            extract_header: config.extract_header,
        })
    }

    fn reader<R: Read>(&self, input: R) -> csv::Reader<R> {
        csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .quote(self.quote)
            .double_quote(self.escape.is_none())
            .escape(self.escape)
            .comment(self.comment)
            .has_headers(false)
            .flexible(true)
            .from_reader(input)
    }
}

/// Drill configs write tabs and other control characters as escapes (`"\t"`).
fn unescape(s: &str) -> String {
    match s {
        "\\t" => "\t".into(),
        "\\n" => "\n".into(),
        "\\r" => "\r".into(),
        "\\u0001" => "\u{1}".into(),
        other => other.to_string(),
    }
}

/// The schema of a headerless text file: one column, `columns`, an array of VARCHAR.
pub fn columns_schema() -> Schema {
    Schema::new(vec![Field::new(
        "columns",
        DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        true,
    )])
}

/// What inference learned about a text file with a header: its column names and types.
pub fn infer_header_file<R: Read>(
    input: R,
    path: &str,
    options: &TextOptions,
) -> Result<StructType> {
    let mut reader = options.reader(input);
    let mut record = csv::ByteRecord::new();
    let mut names: Vec<String> = vec![];
    let mut types: Vec<InferredType> = vec![];
    let mut first = true;
    let mut skip = options.skip_first_line;
    while read_record(&mut reader, &mut record, path)? {
        if std::mem::take(&mut skip) {
            continue;
        }
        let line = line_of(&record);
        if first {
            first = false;
            names = header_names(&record, path, line)?;
            types = vec![InferredType::Null; names.len()];
            continue;
        }
        check_width(&record, names.len(), path, line)?;
        for (i, field) in record.iter().enumerate() {
            let ty = std::mem::replace(&mut types[i], InferredType::Null);
            types[i] = ty.merge(type_of_field(field));
        }
    }
    let mut s = StructType::new();
    for (name, ty) in names.into_iter().zip(types) {
        s.merge_field(&name, ty);
    }
    Ok(s)
}

fn type_of_field(field: &[u8]) -> InferredType {
    if field.is_empty() {
        return InferredType::Null;
    }
    let Ok(text) = std::str::from_utf8(field) else {
        return InferredType::String;
    };
    if text.parse::<i64>().is_ok() {
        InferredType::Integer
    } else if looks_like_float(text) {
        InferredType::Float
    } else {
        InferredType::String
    }
}

/// Rust parses "inf", "NaN" and friends as floats; a CSV column of words is not numeric.
fn looks_like_float(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        && text.parse::<f64>().is_ok()
}

fn read_record<R: Read>(
    reader: &mut csv::Reader<R>,
    record: &mut csv::ByteRecord,
    path: &str,
) -> Result<bool> {
    reader.read_byte_record(record).map_err(|e| {
        let line = e.position().map(|p| p.line());
        match e.kind() {
            csv::ErrorKind::Io(io) => Error::Io {
                path: path.to_string(),
                message: io.to_string(),
            },
            _ => Error::InvalidText {
                position: FilePosition {
                    path: path.to_string(),
                    line,
                    column: None,
                },
                message: e.to_string(),
            },
        }
    })
}

fn line_of(record: &csv::ByteRecord) -> u64 {
    record.position().map(|p| p.line()).unwrap_or(0)
}

fn header_names(record: &csv::ByteRecord, path: &str, line: u64) -> Result<Vec<String>> {
    let mut names: Vec<String> = vec![];
    for (i, field) in record.iter().enumerate() {
        let name = std::str::from_utf8(field)
            .map_err(|_| invalid_utf8(path, line, i))?
            .trim()
            .to_string();
        let mut name = if name.is_empty() {
            format!("column{i}")
        } else {
            name
        };
        // Drill keeps every header column; a repeated name gets a numeric suffix.
        let base = name.clone();
        let mut n = 0;
        while names
            .iter()
            .any(|existing| existing.eq_ignore_ascii_case(&name))
        {
            name = format!("{base}{n}");
            n += 1;
        }
        names.push(name);
    }
    Ok(names)
}

fn check_width(record: &csv::ByteRecord, width: usize, path: &str, line: u64) -> Result<()> {
    if record.len() > width {
        return Err(Error::InvalidText {
            position: FilePosition::at(path, line, None),
            message: format!(
                "the row has {} fields but the header names {} columns",
                record.len(),
                width
            ),
        });
    }
    Ok(())
}

fn invalid_utf8(path: &str, line: u64, field: usize) -> Error {
    Error::InvalidText {
        position: FilePosition::at(path, line, None),
        message: format!("field {} is not valid UTF-8", field + 1),
    }
}

/// A batch of `columns` arrays ends early past this much text, far below the 2 GB its i32
/// offsets can address.
const BATCH_TEXT_LIMIT: usize = 256 << 20;

fn offset(n: usize) -> Result<i32> {
    i32::try_from(n).map_err(|_| Error::Internal("a text batch outgrew its offsets".into()))
}

enum TextColumn {
    Null(usize),
    Int64(Int64Builder),
    Float64(Float64Builder),
    Utf8(StringBuilder),
}

/// Reads record batches from a text file: the `columns` array without a header, typed columns
/// with one.
pub struct TextBatchReader<R: Read> {
    reader: csv::Reader<R>,
    record: csv::ByteRecord,
    path: String,
    options: TextOptions,
    /// The whole file schema (header mode) and which of its columns to produce.
    file_schema: SchemaRef,
    projection: Vec<usize>,
    output: SchemaRef,
    batch_size: usize,
    started: bool,
    done: bool,
}

impl<R: Read> TextBatchReader<R> {
    pub fn new(
        input: R,
        path: &str,
        options: TextOptions,
        file_schema: SchemaRef,
        projection: Option<&[usize]>,
        batch_size: usize,
    ) -> Result<Self> {
        let projection: Vec<usize> = match projection {
            Some(p) => p.to_vec(),
            None => (0..file_schema.fields().len()).collect(),
        };
        let output = Arc::new(
            file_schema
                .project(&projection)
                .map_err(|e| Error::Internal(format!("projecting a text schema: {e}")))?,
        );
        Ok(Self {
            reader: options.reader(input),
            record: csv::ByteRecord::new(),
            path: path.to_string(),
            options,
            file_schema,
            projection,
            output,
            batch_size: batch_size.max(1),
            started: false,
            done: false,
        })
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.output
    }

    fn next_record(&mut self) -> Result<bool> {
        read_record(&mut self.reader, &mut self.record, &self.path)
    }

    /// Skips the first line and the header, as configured.
    fn start(&mut self) -> Result<()> {
        self.started = true;
        if self.options.skip_first_line && !self.next_record()? {
            self.done = true;
            return Ok(());
        }
        if self.options.extract_header && !self.next_record()? {
            self.done = true;
        }
        Ok(())
    }

    pub fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if !self.started {
            self.start()?;
        }
        if self.done {
            return Ok(None);
        }
        let columns = if self.options.extract_header {
            self.read_typed()?
        } else {
            self.read_columns_array()?
        };
        let Some((columns, rows)) = columns else {
            return Ok(None);
        };
        RecordBatch::try_new_with_options(
            Arc::clone(&self.output),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(rows)),
        )
        .map(Some)
        .map_err(|e| Error::Internal(format!("assembling a text record batch: {e}")))
    }

    fn read_columns_array(&mut self) -> Result<Option<(Vec<ArrayRef>, usize)>> {
        // The list is assembled from its buffers: a record's fields lie back to back in the
        // csv reader's buffer, so each record is one copy and one offset per field.
        let mut bytes: Vec<u8> = Vec::new();
        let mut field_ends: Vec<i32> = vec![0];
        let mut record_ends: Vec<i32> = vec![0];
        // Each record's line, for naming the one that is not UTF-8.
        let mut lines: Vec<u64> = Vec::new();
        let mut rows = 0;
        // COUNT(*) and implicit columns read no field: records are only counted.
        let build = !self.projection.is_empty();
        while rows < self.batch_size && bytes.len() < BATCH_TEXT_LIMIT {
            if !self.next_record()? {
                self.done = true;
                break;
            }
            rows += 1;
            if !build {
                continue;
            }
            let base = bytes.len();
            bytes.extend_from_slice(self.record.as_slice());
            for i in 0..self.record.len() {
                let end = self.record.range(i).map_or(0, |r| r.end);
                field_ends.push(offset(base + end)?);
            }
            lines.push(line_of(&self.record));
            record_ends.push(offset(field_ends.len() - 1)?);
        }
        if rows == 0 {
            return Ok(None);
        }
        if !build {
            return Ok(Some((vec![], rows)));
        }
        // Arrow checks that the whole batch is UTF-8 with every field boundary on a character
        // boundary; only when it is not are the records looked at one by one.
        let data = Buffer::from_vec(bytes);
        let ends = ScalarBuffer::from(field_ends);
        let strings =
            match StringArray::try_new(OffsetBuffer::new(ends.clone()), data.clone(), None) {
                Ok(strings) => strings,
                Err(_) => return Err(self.invalid_record(&data, &ends, &record_ends, &lines)),
            };
        let item = Arc::new(Field::new("item", DataType::Utf8, true));
        let list = ListArray::try_new(
            item,
            OffsetBuffer::new(record_ends.into()),
            Arc::new(strings),
            None,
        )
        .map_err(|e| Error::Internal(format!("assembling a text batch: {e}")))?;
        Ok(Some((vec![Arc::new(list)], rows)))
    }

    /// The error for the first record of a batch that is not UTF-8: names its line and its
    /// first bad field (a field boundary inside a character makes both fields bad).
    fn invalid_record(
        &self,
        bytes: &[u8],
        field_ends: &[i32],
        record_ends: &[i32],
        lines: &[u64],
    ) -> Error {
        for (record, window) in record_ends.windows(2).enumerate() {
            let (first, last) = (window[0] as usize, window[1] as usize);
            for field in first..last {
                let (start, end) = (field_ends[field] as usize, field_ends[field + 1] as usize);
                if std::str::from_utf8(&bytes[start..end]).is_err() {
                    return invalid_utf8(&self.path, lines[record], field - first);
                }
            }
        }
        Error::Internal("a text batch is not UTF-8 but none of its fields is wrong".into())
    }

    fn read_typed(&mut self) -> Result<Option<(Vec<ArrayRef>, usize)>> {
        let width = self.file_schema.fields().len();
        let mut builders: Vec<TextColumn> = self
            .projection
            .iter()
            .map(|&i| match self.file_schema.field(i).data_type() {
                DataType::Int64 => TextColumn::Int64(Int64Builder::new()),
                DataType::Float64 => TextColumn::Float64(Float64Builder::new()),
                DataType::Null => TextColumn::Null(0),
                _ => TextColumn::Utf8(StringBuilder::new()),
            })
            .collect();
        let mut rows = 0;
        while rows < self.batch_size {
            if !self.next_record()? {
                self.done = true;
                break;
            }
            let line = line_of(&self.record);
            check_width(&self.record, width, &self.path, line)?;
            for (builder, &i) in builders.iter_mut().zip(&self.projection) {
                let field = self.record.get(i).unwrap_or_default();
                append_typed(
                    builder,
                    field,
                    &self.path,
                    line,
                    self.file_schema.field(i).name(),
                )?;
            }
            rows += 1;
        }
        if rows == 0 {
            return Ok(None);
        }
        let columns = builders
            .into_iter()
            .map(|b| -> ArrayRef {
                match b {
                    TextColumn::Null(n) => Arc::new(NullArray::new(n)),
                    TextColumn::Int64(mut b) => Arc::new(b.finish()),
                    TextColumn::Float64(mut b) => Arc::new(b.finish()),
                    TextColumn::Utf8(mut b) => Arc::new(b.finish()),
                }
            })
            .collect();
        Ok(Some((columns, rows)))
    }
}

fn append_typed(
    builder: &mut TextColumn,
    field: &[u8],
    path: &str,
    line: u64,
    column: &str,
) -> Result<()> {
    let bad = |what: &str| Error::InvalidText {
        position: FilePosition::at(path, line, None),
        message: format!(
            "column \"{column}\": {what}; was the file changed while it was being read?"
        ),
    };
    if field.is_empty() {
        match builder {
            TextColumn::Null(n) => *n += 1,
            TextColumn::Int64(b) => b.append_null(),
            TextColumn::Float64(b) => b.append_null(),
            TextColumn::Utf8(b) => b.append_null(),
        }
        return Ok(());
    }
    let text = std::str::from_utf8(field).map_err(|_| bad("the value is not valid UTF-8"))?;
    match builder {
        TextColumn::Null(_) => {
            return Err(bad(&format!("{text:?} where only empty values were seen")));
        }
        TextColumn::Int64(b) => b.append_value(
            text.parse()
                .map_err(|_| bad(&format!("{text:?} is not a BIGINT")))?,
        ),
        TextColumn::Float64(b) => b.append_value(
            text.parse()
                .map_err(|_| bad(&format!("{text:?} is not a DOUBLE")))?,
        ),
        TextColumn::Utf8(b) => b.append_value(text),
    }
    Ok(())
}

impl<R: Read> Iterator for TextBatchReader<R> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_batch().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::util::pretty::pretty_format_batches;
    use auger_common::lattice::record_schema;

    fn options(header: bool) -> TextOptions {
        let mut config = TextFormatConfig::with_delimiter(&["csv"], ",");
        config.extract_header = header;
        TextOptions::from_config("csv", &config).unwrap_or_else(|e| panic!("{e}"))
    }

    fn show(batches: Vec<RecordBatch>) -> String {
        pretty_format_batches(&batches)
            .map(|d| d.to_string())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn headerless_rows_become_columns_arrays() -> Result<()> {
        let data = "1,\"Smith, J\",MA\n2,Lee\n";
        let reader = TextBatchReader::new(
            data.as_bytes(),
            "c.csv",
            options(false),
            Arc::new(columns_schema()),
            None,
            1024,
        )?;
        let batches = reader.collect::<Result<Vec<_>>>()?;
        assert_eq!(
            show(batches),
            "+-------------------+\n| columns           |\n+-------------------+\n| [1, Smith, J, MA] |\n| [2, Lee]          |\n+-------------------+"
        );
        Ok(())
    }

    /// The error reading `data` as a headerless file named `path` (empty if there is none).
    fn headerless_error(data: &[u8], path: &str) -> Result<String> {
        let reader = TextBatchReader::new(
            data,
            path,
            options(false),
            Arc::new(columns_schema()),
            None,
            1024,
        )?;
        Ok(reader
            .collect::<Result<Vec<_>>>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default())
    }

    #[test]
    fn a_character_split_across_fields_is_invalid_utf8_not_a_panic() -> Result<()> {
        // "\xC3" ends the first field and "\xA9" starts the second: the record's bytes
        // together are valid UTF-8 ("é"), its fields are not.
        let data: &[u8] = b"ok,fine\na\xC3,\xA9b\n";
        let e = headerless_error(data, "split.csv")?;
        assert!(
            e.contains("split.csv") && e.contains("line 2") && e.contains("field 1 "),
            "{e}"
        );
        Ok(())
    }

    /// A batch is checked as UTF-8 whole; when it fails, the error still names the bad
    /// record's own line and field, not the batch's first.
    #[test]
    fn invalid_utf8_names_its_line_and_field_within_a_batch() -> Result<()> {
        let data: &[u8] = b"a,b\nc,d\n\"e\nf\",g\xFF\nh,i\n";
        let e = headerless_error(data, "bad.csv")?;
        // The quoted field spans lines 3 and 4; the record starts on line 3.
        assert!(
            e.contains("bad.csv") && e.contains("line 3") && e.contains("field 2 "),
            "{e}"
        );
        Ok(())
    }

    #[test]
    fn header_names_and_types() -> Result<()> {
        let data = "id,price,name,empty\n1,2.5,a,\n2,3,,\n";
        let record = infer_header_file(data.as_bytes(), "h.csv", &options(true))?;
        let schema = Arc::new(record_schema(&record));
        assert_eq!(
            schema
                .fields()
                .iter()
                .map(|f| format!("{}:{}", f.name(), f.data_type()))
                .collect::<Vec<_>>(),
            vec!["id:Int64", "price:Float64", "name:Utf8", "empty:Null"]
        );
        let reader = TextBatchReader::new(
            data.as_bytes(),
            "h.csv",
            options(true),
            schema,
            Some(&[2, 1]),
            1024,
        )?;
        let batches = reader.collect::<Result<Vec<_>>>()?;
        assert_eq!(
            show(batches),
            "+------+-------+\n| name | price |\n+------+-------+\n| a    | 2.5   |\n|      | 3.0   |\n+------+-------+"
        );
        Ok(())
    }

    #[test]
    fn ragged_row_with_header_names_the_line() {
        let data = "a,b\n1,2\n3,4,5\n";
        let err = infer_header_file(data.as_bytes(), "/x/r.csv", &options(true))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "Invalid text record in /x/r.csv, line 3: the row has 3 fields but the header names 2 columns"
            )
        );
    }
}
