//! JSON → Arrow: inference over every record, and decoding into record batches.

mod decode;
mod infer;
#[cfg(test)]
mod properties;
mod records;
mod scan;

use std::io::Read;

use arrow::datatypes::{Schema, SchemaRef};
use arrow::record_batch::RecordBatch;

pub use decode::RecordDecoder;
pub use infer::{JsonFileInference, infer_json};
pub use records::{Found, RawRecord, RecordSplitter};

use crate::error::{Error, FilePosition, Result};
use crate::lattice::{InferredType, StructType};
use crate::options::{
    JSON_ALL_TEXT_MODE, JSON_READ_NUMBERS_AS_DOUBLE, JSON_SKIP_INVALID_RECORDS, SessionOptions,
};

/// The name of the scan metric counting records skipped as invalid
/// (`store.json.reader.skip_invalid_records`).
pub const SKIPPED_RECORDS: &str = "skipped_records";

/// How JSON files are read (Drill's `store.json.*` options).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct JsonReadOptions {
    /// `store.json.reader.skip_invalid_records`: a record that is not valid JSON, or not an
    /// object, is skipped and counted instead of failing the query.
    pub skip_invalid_records: bool,
    /// `store.json.all_text_mode`: every scalar reads as VARCHAR, with its text as written.
    pub all_text_mode: bool,
    /// `store.json.read_numbers_as_double`: every number reads as DOUBLE.
    pub read_numbers_as_double: bool,
}

impl JsonReadOptions {
    pub fn from_session(options: &SessionOptions) -> Self {
        Self {
            skip_invalid_records: options.bool(JSON_SKIP_INVALID_RECORDS),
            all_text_mode: options.bool(JSON_ALL_TEXT_MODE),
            read_numbers_as_double: options.bool(JSON_READ_NUMBERS_AS_DOUBLE),
        }
    }

    /// The record type these options read: all text, or numbers as DOUBLE, when asked.
    pub fn read_type(&self, record: StructType) -> StructType {
        let mut t = InferredType::Struct(record);
        if self.all_text_mode {
            t = t.all_text();
        } else if self.read_numbers_as_double {
            t = t.numbers_as_double();
        }
        match t {
            InferredType::Struct(s) => s,
            _ => StructType::new(),
        }
    }
}

/// Turns a parse error inside `raw` into an error naming the file, line and column.
pub(crate) fn position_error(path: &str, raw: &RawRecord<'_>, err: &serde_json::Error) -> Error {
    let line = raw.line + err.line().saturating_sub(1) as u64;
    let column = if err.line() <= 1 {
        raw.column + (err.column() as u64).saturating_sub(1)
    } else {
        err.column() as u64
    };
    let message = strip_serde_position(&err.to_string());
    let message = if message == "recursion limit exceeded" {
        // serde_json stops at 128 levels, before the stack is in danger.
        "objects and arrays nested too deeply (the limit is 127 levels)".to_string()
    } else {
        message
    };
    Error::InvalidJson {
        position: FilePosition::at(path, line, Some(column.max(1))),
        message,
    }
}

/// serde_json appends " at line L column C" (relative to the record); Auger reports the
/// position in the file instead.
fn strip_serde_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Reads record batches of a known schema from a JSON file.
pub struct JsonBatchReader<R> {
    splitter: RecordSplitter<R>,
    path: String,
    decoder: RecordDecoder,
    options: JsonReadOptions,
    batch_size: usize,
    skipped: u64,
    done: bool,
}

impl<R: Read> JsonBatchReader<R> {
    /// `schema` is the table's whole record schema, `projection` the columns to produce.
    pub fn new(
        reader: R,
        path: &str,
        schema: &Schema,
        projection: Option<&[usize]>,
        options: JsonReadOptions,
        batch_size: usize,
    ) -> Result<Self> {
        Ok(Self {
            splitter: RecordSplitter::new(reader, path),
            path: path.to_string(),
            decoder: RecordDecoder::new(schema, projection)?,
            options,
            batch_size: batch_size.max(1),
            skipped: 0,
            done: false,
        })
    }

    pub fn schema(&self) -> &SchemaRef {
        self.decoder.schema()
    }

    /// Records skipped as invalid so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    pub fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if self.done {
            return Ok(None);
        }
        let columns = self.decoder.has_columns();
        while self.decoder.rows() < self.batch_size {
            // Without columns (COUNT(*)) a record needs only to be valid: the fast scan checks
            // most as the splitter finds them.
            let found = if columns {
                self.splitter.next_record()?.map(Found::Raw)
            } else {
                self.splitter.next_record_scanned(scan::leading_object)?
            };
            let raw = match found {
                None => {
                    self.done = true;
                    break;
                }
                Some(Found::Scanned) => {
                    self.decoder.count_row();
                    continue;
                }
                Some(Found::Raw(raw)) => raw,
            };
            if self.options.skip_invalid_records {
                // Validate before decoding, so a bad record leaves no partial row behind.
                if validate_object(raw.bytes).is_err() {
                    self.skipped += 1;
                    continue;
                }
            }
            if let Err(e) = self.decoder.decode(raw.bytes) {
                return Err(position_error(&self.path, &raw, &e));
            }
        }
        if self.decoder.rows() == 0 && self.done {
            return Ok(None);
        }
        self.decoder.flush().map(Some)
    }
}

fn validate_object(bytes: &[u8]) -> Result<(), serde_json::Error> {
    if scan::validate_object(bytes).is_ok() {
        return Ok(());
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let _: serde::de::IgnoredAny = serde::Deserialize::deserialize(&mut de)?;
    de.end()?;
    match bytes.first() {
        Some(b'{') => Ok(()),
        _ => Err(infer::not_an_object()),
    }
}

impl<R: Read> Iterator for JsonBatchReader<R> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_batch().transpose()
    }
}

/// A seed that hands an object key to a function as a borrowed `&str`, so looking a key up never
/// copies it into a `String` (serde's `String` and `Cow<str>` keys are always owned).
pub(crate) struct BorrowedKey<F>(pub F);

impl<'de, T, F: FnOnce(&str) -> T> serde::de::DeserializeSeed<'de> for BorrowedKey<F> {
    type Value = T;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, T, F: FnOnce(&str) -> T> serde::de::Visitor<'de> for BorrowedKey<F> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<T, E> {
        Ok((self.0)(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{DataType, Field};

    fn count(data: &str, options: JsonReadOptions) -> Result<(usize, u64)> {
        let schema = Schema::new(vec![
            Field::new("a", DataType::Utf8, true),
            Field::new("k\"", DataType::Float64, true),
        ]);
        // No columns: the COUNT(*) path, where the fast scan checks most records.
        let mut reader =
            JsonBatchReader::new(data.as_bytes(), "c.json", &schema, Some(&[]), options, 2)?;
        let mut rows = 0;
        while let Some(batch) = reader.next_batch()? {
            assert_eq!(batch.num_columns(), 0);
            rows += batch.num_rows();
        }
        Ok((rows, reader.skipped()))
    }

    #[test]
    fn counting_without_columns_checks_every_record() -> Result<()> {
        let data = "{\"a\": 1}\n{\"a\": \"\\u00e9\", \"k\\\"\": 12345678901234567890}\n\
                    {\"a\": 2, x}\n[1]\n{\"a\": 3}\n";
        let err = count(data, JsonReadOptions::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("c.json") && err.contains("line 3, column 10"),
            "{err}"
        );
        let skipping = JsonReadOptions {
            skip_invalid_records: true,
            ..Default::default()
        };
        // The escaped key and the long number are left to serde_json, and still count.
        assert_eq!(count(data, skipping)?, (3, 2));
        Ok(())
    }
}
