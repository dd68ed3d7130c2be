//! Delimited text (CSV, TSV, PSV), read as Drill reads it.
//!
//! Without a header a file has one column, `columns`, an array of VARCHAR (`columns[0]` is the
//! first field); rows may have any number of fields. With `extractHeader` the first line names
//! the columns, every column is VARCHAR holding the text as written (as in Drill: a zip code
//! `01234` keeps its zero, a 20-digit id all its digits), and empty fields read as NULL. Types
//! are never guessed from the values: a query that wants a number casts, or compares with one
//! (DataFusion then casts the column, as Drill's implicit casts do).
//!
//! Each file's own header says which of its fields is which column: the files of one table may
//! name their columns in different orders, or name only some of them.

use std::io::Read;
use std::sync::Arc;

use arrow::array::{ArrayRef, ListArray, StringArray, StringBuilder};
use arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
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

/// What the first lines of a text file with a header say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The column names, `None` for a file without a header line (an empty file).
    pub names: Option<Vec<String>>,
    /// Whether a record follows the header: only then is a header read from the first bytes of
    /// a file known to end within them.
    pub followed: bool,
}

/// Reads the header of a text file (after the skipped first line, when so configured).
pub fn read_header<R: Read>(input: R, path: &str, options: &TextOptions) -> Result<Header> {
    let mut reader = options.reader(input);
    let mut record = csv::ByteRecord::new();
    let none = Header {
        names: None,
        followed: false,
    };
    if options.skip_first_line && !read_record(&mut reader, &mut record, path)? {
        return Ok(none);
    }
    if !read_record(&mut reader, &mut record, path)? {
        return Ok(none);
    }
    let names = header_names(&record, path, line_of(&record))?;
    let followed = read_record(&mut reader, &mut record, path)?;
    Ok(Header {
        names: Some(names),
        followed,
    })
}

/// The schema of text files with a header: every column any file's header names, in order of
/// first appearance, as VARCHAR.
pub fn header_schema(headers: &[Vec<String>]) -> Schema {
    let mut fields: Vec<Field> = vec![];
    let mut seen = std::collections::HashSet::new();
    for names in headers {
        for name in names {
            if seen.insert(name.as_str()) {
                fields.push(Field::new(name, DataType::Utf8, true));
            }
        }
    }
    Schema::new(fields)
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

/// Reads record batches from a text file: the `columns` array without a header, the header's
/// columns with one.
pub struct TextBatchReader<R: Read> {
    reader: csv::Reader<R>,
    record: csv::ByteRecord,
    path: String,
    options: TextOptions,
    /// The whole file schema (header mode) and which of its columns to produce.
    file_schema: SchemaRef,
    projection: Vec<usize>,
    output: SchemaRef,
    /// Header mode: for each column produced, the field of this file's rows that holds it, by
    /// this file's own header (`None`: the file has no such column, which reads as NULL).
    fields: Vec<Option<usize>>,
    /// Header mode: how many columns this file's header names.
    width: usize,
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
            fields: vec![],
            width: 0,
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

    /// Skips the first line and reads the header, as configured.
    fn start(&mut self) -> Result<()> {
        self.started = true;
        if self.options.skip_first_line && !self.next_record()? {
            self.done = true;
            return Ok(());
        }
        if !self.options.extract_header {
            return Ok(());
        }
        if !self.next_record()? {
            self.done = true;
            return Ok(());
        }
        let line = line_of(&self.record);
        let names = header_names(&self.record, &self.path, line)?;
        // The table's schema holds every column of every file's header as it was when the
        // query was planned; a column it lacks would be silently left out.
        if let Some(name) = names.iter().find(|n| self.file_schema.index_of(n).is_err()) {
            return Err(Error::InvalidText {
                position: FilePosition::at(&self.path, line, None),
                message: format!(
                    "the header names the column \"{name}\", which the table's schema does not \
                     have; was the file changed while it was being read?"
                ),
            });
        }
        self.fields = self
            .projection
            .iter()
            .map(|&i| {
                let column = self.file_schema.field(i).name();
                names.iter().position(|n| n == column)
            })
            .collect();
        self.width = names.len();
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
            self.read_named()?
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

    fn read_named(&mut self) -> Result<Option<(Vec<ArrayRef>, usize)>> {
        let mut builders: Vec<StringBuilder> =
            self.fields.iter().map(|_| StringBuilder::new()).collect();
        let mut rows = 0;
        while rows < self.batch_size {
            if !self.next_record()? {
                self.done = true;
                break;
            }
            let line = line_of(&self.record);
            check_width(&self.record, self.width, &self.path, line)?;
            for (builder, &field) in builders.iter_mut().zip(&self.fields) {
                // A row shorter than the header, like an empty field, has NULL there.
                match field.and_then(|f| self.record.get(f).map(|bytes| (f, bytes))) {
                    Some((f, bytes)) if !bytes.is_empty() => {
                        let text = std::str::from_utf8(bytes)
                            .map_err(|_| invalid_utf8(&self.path, line, f))?;
                        builder.append_value(text);
                    }
                    _ => builder.append_null(),
                }
            }
            rows += 1;
        }
        if rows == 0 {
            return Ok(None);
        }
        let columns = builders
            .into_iter()
            .map(|mut b| -> ArrayRef { Arc::new(b.finish()) })
            .collect();
        Ok(Some((columns, rows)))
    }
}

impl<R: Read> Iterator for TextBatchReader<R> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_batch().transpose()
    }
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::util::pretty::pretty_format_batches;

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

    /// The schema of `data` read as a file with a header, and its rows read with it.
    fn read_with_header(data: &str, projection: Option<&[usize]>) -> Result<(Schema, String)> {
        let header = read_header(data.as_bytes(), "h.csv", &options(true))?;
        let schema = header_schema(&[header.names.unwrap_or_default()]);
        let reader = TextBatchReader::new(
            data.as_bytes(),
            "h.csv",
            options(true),
            Arc::new(schema.clone()),
            projection,
            1024,
        )?;
        Ok((schema, show(reader.collect::<Result<Vec<_>>>()?)))
    }

    #[test]
    fn header_columns_are_varchar_holding_the_text_as_written() -> Result<()> {
        let data = "zip,id,price,sign,empty\n\
                    01234,12345678901234567890,2.50,+7,\n\
                    0150,9223372036854775808,1e400,-0,\n";
        let (schema, rows) = read_with_header(data, None)?;
        assert_eq!(
            schema
                .fields()
                .iter()
                .map(|f| format!("{}:{}", f.name(), f.data_type()))
                .collect::<Vec<_>>(),
            vec![
                "zip:Utf8",
                "id:Utf8",
                "price:Utf8",
                "sign:Utf8",
                "empty:Utf8"
            ]
        );
        assert_eq!(
            rows,
            "+-------+----------------------+-------+------+-------+\n\
             | zip   | id                   | price | sign | empty |\n\
             +-------+----------------------+-------+------+-------+\n\
             | 01234 | 12345678901234567890 | 2.50  | +7   |       |\n\
             | 0150  | 9223372036854775808  | 1e400 | -0   |       |\n\
             +-------+----------------------+-------+------+-------+"
        );
        let (_, projected) = read_with_header(data, Some(&[2, 0]))?;
        assert_eq!(
            projected,
            "+-------+-------+\n| price | zip   |\n+-------+-------+\n| 2.50  | 01234 |\n| 1e400 | 0150  |\n+-------+-------+"
        );
        Ok(())
    }

    /// Files of one table may order their columns differently: each file's own header says
    /// which field is which column, and a column it does not name is NULL.
    #[test]
    fn each_file_places_its_fields_by_its_own_header() -> Result<()> {
        let schema = Arc::new(header_schema(&[
            vec!["a".to_string(), "b".to_string()],
            vec!["c".to_string()],
        ]));
        let reader = TextBatchReader::new(
            "c,a\nz,x\n".as_bytes(),
            "swapped.csv",
            options(true),
            schema,
            None,
            1024,
        )?;
        assert_eq!(
            show(reader.collect::<Result<Vec<_>>>()?),
            "+---+---+---+\n| a | b | c |\n+---+---+---+\n| x |   | z |\n+---+---+---+"
        );
        Ok(())
    }

    /// A header naming a column the table's schema lacks (the file changed after planning)
    /// fails, naming the file, rather than leaving the column out.
    #[test]
    fn a_header_column_missing_from_the_schema_is_an_error() -> Result<()> {
        let schema = Arc::new(header_schema(&[vec!["a".to_string()]]));
        let reader = TextBatchReader::new(
            "a,new\n1,2\n".as_bytes(),
            "/x/grown.csv",
            options(true),
            schema,
            None,
            1024,
        )?;
        let err = reader
            .collect::<Result<Vec<_>>>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("/x/grown.csv, line 1") && err.contains("\"new\""),
            "{err}"
        );
        Ok(())
    }

    #[test]
    fn a_header_is_followed_only_when_a_record_comes_after_it() -> Result<()> {
        let o = options(true);
        let h = |data: &str| read_header(data.as_bytes(), "p.csv", &o);
        let names = Some(vec!["a".to_string(), "b".to_string()]);
        assert_eq!(
            h("a,b\n1,2\n")?,
            Header {
                names: names.clone(),
                followed: true
            }
        );
        // A header cut off by the end of the bytes read might go on.
        assert_eq!(
            h("a,b")?,
            Header {
                names,
                followed: false
            }
        );
        assert_eq!(
            h("")?,
            Header {
                names: None,
                followed: false
            }
        );
        Ok(())
    }

    #[test]
    fn ragged_row_with_header_names_the_line() -> Result<()> {
        let data = "a,b\n1,2\n3,4,5\n";
        let header = read_header(data.as_bytes(), "/x/r.csv", &options(true))?;
        let reader = TextBatchReader::new(
            data.as_bytes(),
            "/x/r.csv",
            options(true),
            Arc::new(header_schema(&[header.names.unwrap_or_default()])),
            None,
            1024,
        )?;
        let err = reader
            .collect::<Result<Vec<_>>>()
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "Invalid text record in /x/r.csv, line 3: the row has 3 fields but the header names 2 columns"
            )
        );
        Ok(())
    }
}
