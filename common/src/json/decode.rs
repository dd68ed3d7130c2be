//! Decoding JSON records straight into Arrow builders, guided by the inferred schema.
//!
//! serde_json drives the parse; each column is a `DeserializeSeed` that appends what it visits.
//! A VARCHAR column takes any value: strings as they are, anything else (a number, a boolean,
//! an object or array whose type conflicted elsewhere) as its exact JSON text.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, ListArray, NullArray, StringBuilder,
    StructArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, FieldRef, Fields, Schema, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::BorrowedKey;
use crate::error::{Error, Result};

/// Appends decoded values for one column.
enum ColumnBuilder {
    Null(usize),
    Boolean(BooleanBuilder),
    Int64(Int64Builder),
    Float64(Float64Builder),
    Utf8(StringBuilder),
    List(Box<ListColumn>),
    Struct(Box<StructColumn>),
}

struct ListColumn {
    field: FieldRef,
    offsets: Vec<i32>,
    validity: Vec<bool>,
    item: ColumnBuilder,
}

/// Where a key of an object goes.
#[derive(Clone, Copy)]
enum Slot {
    Column(usize),
    /// A field of the schema that the query does not need.
    Skip,
}

struct StructColumn {
    fields: Fields,
    /// Every field of the schema's struct, in its order, with where it goes.
    keys: Vec<(String, Slot)>,
    /// A key's position in `keys`.
    positions: HashMap<String, usize>,
    /// Where the next key is expected: objects from one producer keep their keys in one order,
    /// so most keys are found by one comparison rather than hashed.
    next_key: usize,
    children: Vec<ColumnBuilder>,
    validity: Vec<bool>,
    /// Children set by the object being decoded; the rest get a null.
    seen: Vec<bool>,
}

impl ColumnBuilder {
    fn new(data_type: &DataType) -> Result<Self> {
        Ok(match data_type {
            DataType::Null => ColumnBuilder::Null(0),
            DataType::Boolean => ColumnBuilder::Boolean(BooleanBuilder::new()),
            DataType::Int64 => ColumnBuilder::Int64(Int64Builder::new()),
            DataType::Float64 => ColumnBuilder::Float64(Float64Builder::new()),
            DataType::Utf8 => ColumnBuilder::Utf8(StringBuilder::new()),
            DataType::List(field) => ColumnBuilder::List(Box::new(ListColumn {
                field: Arc::clone(field),
                offsets: vec![0],
                validity: vec![],
                item: ColumnBuilder::new(field.data_type())?,
            })),
            DataType::Struct(fields) => {
                ColumnBuilder::Struct(Box::new(StructColumn::new(fields.clone(), None)?))
            }
            other => {
                return Err(Error::Internal(format!(
                    "the JSON reader cannot build a column of type {other}"
                )));
            }
        })
    }

    fn append_null(&mut self) {
        match self {
            ColumnBuilder::Null(n) => *n += 1,
            ColumnBuilder::Boolean(b) => b.append_null(),
            ColumnBuilder::Int64(b) => b.append_null(),
            ColumnBuilder::Float64(b) => b.append_null(),
            ColumnBuilder::Utf8(b) => b.append_null(),
            ColumnBuilder::List(l) => {
                let last = l.offsets.last().copied().unwrap_or(0);
                l.offsets.push(last);
                l.validity.push(false);
            }
            ColumnBuilder::Struct(s) => s.append_null(),
        }
    }

    fn finish(&mut self) -> Result<ArrayRef> {
        Ok(match self {
            ColumnBuilder::Null(n) => {
                let len = std::mem::take(n);
                Arc::new(NullArray::new(len))
            }
            ColumnBuilder::Boolean(b) => Arc::new(b.finish()),
            ColumnBuilder::Int64(b) => Arc::new(b.finish()),
            ColumnBuilder::Float64(b) => Arc::new(b.finish()),
            ColumnBuilder::Utf8(b) => Arc::new(b.finish()),
            ColumnBuilder::List(l) => {
                let values = l.item.finish()?;
                let offsets = OffsetBuffer::new(std::mem::replace(&mut l.offsets, vec![0]).into());
                let nulls = nulls(std::mem::take(&mut l.validity));
                Arc::new(
                    ListArray::try_new(Arc::clone(&l.field), offsets, values, nulls)
                        .map_err(|e| Error::Internal(format!("building a list column: {e}")))?,
                )
            }
            ColumnBuilder::Struct(s) => Arc::new(s.finish()?),
        })
    }
}

fn nulls(validity: Vec<bool>) -> Option<NullBuffer> {
    if validity.iter().all(|v| *v) {
        None
    } else {
        Some(NullBuffer::from(validity))
    }
}

/// A key of an object, looked up without being copied.
enum Key {
    Slot(Slot),
    /// Not a field of the schema (copied for the error message).
    Unknown(String),
}

impl StructColumn {
    /// `projection` limits which fields get a column (for the top-level record); the others
    /// are still recognised, so they are skipped rather than reported as unknown.
    fn new(fields: Fields, projection: Option<&[usize]>) -> Result<Self> {
        let mut keys = Vec::with_capacity(fields.len());
        let mut children = vec![];
        let mut kept = vec![];
        for (i, f) in fields.iter().enumerate() {
            let wanted = projection.is_none_or(|p| p.contains(&i));
            if wanted {
                keys.push((f.name().clone(), Slot::Column(children.len())));
                children.push(ColumnBuilder::new(f.data_type())?);
                kept.push(Arc::clone(f));
            } else {
                keys.push((f.name().clone(), Slot::Skip));
            }
        }
        let positions = keys
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (name.clone(), i))
            .collect();
        let seen = vec![false; children.len()];
        Ok(Self {
            fields: kept.into(),
            keys,
            positions,
            next_key: 0,
            children,
            validity: vec![],
            seen,
        })
    }

    fn append_null(&mut self) {
        for c in &mut self.children {
            c.append_null();
        }
        self.validity.push(false);
    }

    /// Completes one object: fields it did not have read as NULL.
    fn end_object(&mut self) {
        for (seen, child) in self.seen.iter_mut().zip(&mut self.children) {
            if !*seen {
                child.append_null();
            }
            *seen = false;
        }
        self.validity.push(true);
    }

    fn finish_children(&mut self) -> Result<Vec<ArrayRef>> {
        self.children.iter_mut().map(|c| c.finish()).collect()
    }

    fn finish(&mut self) -> Result<StructArray> {
        let len = self.validity.len();
        let columns = self.finish_children()?;
        let nulls = nulls(std::mem::take(&mut self.validity));
        if self.fields.is_empty() {
            return Ok(StructArray::new_empty_fields(len, nulls));
        }
        StructArray::try_new(self.fields.clone(), columns, nulls)
            .map_err(|e| Error::Internal(format!("building a struct column: {e}")))
    }

    /// Where `key` goes: the expected next key is tried first, then the table.
    fn slot_of(&mut self, key: &str) -> Option<Slot> {
        let position = match self.keys.get(self.next_key) {
            Some((name, _)) if name == key => self.next_key,
            _ => *self.positions.get(key)?,
        };
        self.next_key = position + 1;
        Some(self.keys[position].1)
    }

    fn visit_object<'de, A: MapAccess<'de>>(&mut self, mut map: A) -> Result<(), A::Error> {
        self.next_key = 0;
        while let Some(key) =
            map.next_key_seed(BorrowedKey(|key: &str| match self.slot_of(key) {
                Some(slot) => Key::Slot(slot),
                None => Key::Unknown(key.to_string()),
            }))?
        {
            match key {
                Key::Slot(Slot::Column(i)) => {
                    if std::mem::replace(&mut self.seen[i], true) {
                        let key = &self.keys[self.next_key - 1].0;
                        return Err(de::Error::custom(format!(
                            "the key \"{key}\" appears twice in one object"
                        )));
                    }
                    map.next_value_seed(&mut self.children[i])?;
                }
                Key::Slot(Slot::Skip) => {
                    map.next_value::<IgnoredAny>()?;
                }
                Key::Unknown(key) => {
                    return Err(de::Error::custom(format!(
                        "the key \"{key}\" is not in the schema inferred for this file; \
                         was the file changed while it was being read?"
                    )));
                }
            }
        }
        self.end_object();
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for &mut ColumnBuilder {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self {
            ColumnBuilder::Utf8(b) => {
                // The exact text of the value: nothing is lost to a conflict.
                let raw = <&RawValue>::deserialize(d)?;
                let text = raw.get();
                match text.as_bytes().first() {
                    Some(b'"') => {
                        let inner = &text[1..text.len() - 1];
                        if inner.contains('\\') {
                            let s: String =
                                serde_json::from_str(text).map_err(de::Error::custom)?;
                            b.append_value(s);
                        } else {
                            b.append_value(inner);
                        }
                    }
                    Some(b'n') if text == "null" => b.append_null(),
                    _ => b.append_value(text),
                }
                Ok(())
            }
            other => d.deserialize_any(ValueVisitor(other)),
        }
    }
}

use serde::Deserialize;

struct ValueVisitor<'a>(&'a mut ColumnBuilder);

impl ValueVisitor<'_> {
    fn expected(&self) -> &'static str {
        match self.0 {
            ColumnBuilder::Null(_) => "null (the field was null in every record when inferred)",
            ColumnBuilder::Boolean(_) => "a boolean",
            ColumnBuilder::Int64(_) => "an integer",
            ColumnBuilder::Float64(_) => "a number",
            ColumnBuilder::Utf8(_) => "a string",
            ColumnBuilder::List(_) => "an array",
            ColumnBuilder::Struct(_) => "an object",
        }
    }

    fn mismatch<E: de::Error>(&self, found: de::Unexpected) -> E {
        E::custom(format!(
            "found {found} where the inferred schema has {}; was the file changed while it was being read?",
            self.expected()
        ))
    }
}

impl<'de> Visitor<'de> for ValueVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expected())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.append_null();
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        match self.0 {
            ColumnBuilder::Boolean(b) => b.append_value(v),
            _ => return Err(self.mismatch(de::Unexpected::Bool(v))),
        }
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        match self.0 {
            ColumnBuilder::Int64(b) => b.append_value(v),
            ColumnBuilder::Float64(b) => b.append_value(v as f64),
            _ => return Err(self.mismatch(de::Unexpected::Signed(v))),
        }
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        match self.0 {
            ColumnBuilder::Int64(b) if i64::try_from(v).is_ok() => b.append_value(v as i64),
            ColumnBuilder::Float64(b) => b.append_value(v as f64),
            _ => return Err(self.mismatch(de::Unexpected::Unsigned(v))),
        }
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        match self.0 {
            ColumnBuilder::Float64(b) => b.append_value(v),
            _ => return Err(self.mismatch(de::Unexpected::Float(v))),
        }
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        Err(self.mismatch(de::Unexpected::Str(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let ColumnBuilder::List(l) = self.0 else {
            return Err(self.mismatch(de::Unexpected::Seq));
        };
        let mut count: i32 = 0;
        while seq.next_element_seed(&mut l.item)?.is_some() {
            count += 1;
        }
        let last = l.offsets.last().copied().unwrap_or(0);
        l.offsets.push(last + count);
        l.validity.push(true);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let ColumnBuilder::Struct(s) = self.0 else {
            return Err(self.mismatch(de::Unexpected::Map));
        };
        s.visit_object(map)
    }
}

/// Decodes whole records into record batches of a fixed schema.
pub struct RecordDecoder {
    schema: SchemaRef,
    root: StructColumn,
    rows: usize,
}

/// Seed for one top-level record.
struct RecordSeed<'a>(&'a mut StructColumn);

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(RecordVisitor(self.0))
    }
}

struct RecordVisitor<'a>(&'a mut StructColumn);

impl<'de> Visitor<'de> for RecordVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object ({...})")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.0.visit_object(map)
    }
}

impl RecordDecoder {
    /// `schema` is the whole inferred record schema; `projection` picks the columns to build.
    pub fn new(schema: &Schema, projection: Option<&[usize]>) -> Result<Self> {
        let root = StructColumn::new(schema.fields().clone(), projection)?;
        let projected = Arc::new(Schema::new(root.fields.clone()));
        Ok(Self {
            schema: projected,
            root,
            rows: 0,
        })
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Whether the decoder builds any column (COUNT(*) builds none).
    pub fn has_columns(&self) -> bool {
        !self.root.fields.is_empty()
    }

    /// Counts a row that was checked to be a valid object, when there are no columns to build.
    pub fn count_row(&mut self) {
        debug_assert!(!self.has_columns());
        self.rows += 1;
    }

    /// Decodes one record. On error the builders may hold part of the record, so the caller
    /// must validate records first if it wants to skip bad ones and go on.
    pub fn decode(&mut self, bytes: &[u8]) -> Result<(), serde_json::Error> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        RecordSeed(&mut self.root).deserialize(&mut de)?;
        de.end()?;
        self.rows += 1;
        Ok(())
    }

    pub fn flush(&mut self) -> Result<RecordBatch> {
        let columns = self.root.finish_children()?;
        self.root.validity.clear();
        let rows = std::mem::take(&mut self.rows);
        RecordBatch::try_new_with_options(
            Arc::clone(&self.schema),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(rows)),
        )
        .map_err(|e| Error::Internal(format!("assembling a JSON record batch: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{JsonReadOptions, infer_json};
    use crate::lattice::record_schema;
    use arrow::util::pretty::pretty_format_batches;

    fn decode_all(data: &str, projection: Option<&[usize]>) -> Result<String> {
        let inferred = infer_json(data.as_bytes(), "t.json", &JsonReadOptions::default())?;
        let schema = record_schema(&inferred.record);
        let mut decoder = RecordDecoder::new(&schema, projection)?;
        for line in data.lines() {
            decoder
                .decode(line.as_bytes())
                .map_err(|e| Error::Internal(e.to_string()))?;
        }
        let batch = decoder.flush()?;
        Ok(pretty_format_batches(&[batch])
            .map_err(|e| Error::Internal(e.to_string()))?
            .to_string())
    }

    /// Keys found by their expected position or by the table decode alike, in any order, with
    /// escaped keys; a key twice in one object and a key outside the schema are errors.
    #[test]
    fn keys_in_any_order() -> Result<()> {
        let data = r#"{"a": 1, "b": {"x": 1, "y": 2}, "c": "p"}
{"c": "q", "b": {"y": 3, "x": 4}, "a": 2}
{"b": {"y": 5}, "\u0061": 3}
{}"#;
        let out = decode_all(data, None)?;
        let expected = "\
+---+--------------+---+
| a | b            | c |
+---+--------------+---+
| 1 | {x: 1, y: 2} | p |
| 2 | {x: 4, y: 3} | q |
| 3 | {x: , y: 5}  |   |
|   |              |   |
+---+--------------+---+";
        assert_eq!(out, expected);
        let inferred = infer_json(data.as_bytes(), "t.json", &JsonReadOptions::default())?;
        let schema = record_schema(&inferred.record);
        let mut decoder = RecordDecoder::new(&schema, None)?;
        let twice = decoder.decode(br#"{"a": 1, "c": "x", "a": 2}"#);
        assert!(
            twice.is_err_and(|e| e.to_string().contains("the key \"a\" appears twice")),
            "a repeated key"
        );
        let mut decoder = RecordDecoder::new(&schema, None)?;
        let unknown = decoder.decode(br#"{"a": 1, "zz": 2}"#);
        assert!(
            unknown.is_err_and(|e| e
                .to_string()
                .contains("the key \"zz\" is not in the schema")),
            "an unknown key"
        );
        Ok(())
    }

    #[test]
    fn conflicts_become_text_and_missing_fields_null() -> Result<()> {
        let data = r#"{"id": 1, "v": 5, "g": 1, "s": {"a": 1}, "l": [1, 2]}
{"id": 2, "v": 2.5, "g": "N", "s": {"b": "x"}, "l": []}
{"id": 3, "g": {"k": [1, "two"]}, "l": null}"#;
        let out = decode_all(data, None)?;
        let expected = "\
+----+-----+-------------------+-------------+--------+
| id | v   | g                 | s           | l      |
+----+-----+-------------------+-------------+--------+
| 1  | 5.0 | 1                 | {a: 1, b: } | [1, 2] |
| 2  | 2.5 | N                 | {a: , b: x} | []     |
| 3  |     | {\"k\": [1, \"two\"]} |             |        |
+----+-----+-------------------+-------------+--------+";
        assert_eq!(out, expected);
        Ok(())
    }

    #[test]
    fn projection_skips_unneeded_fields() -> Result<()> {
        let data = r#"{"a": 1, "b": {"deep": [1, 2]}, "c": "x"}
{"c": "y", "a": 2}"#;
        let out = decode_all(data, Some(&[2]))?;
        assert_eq!(out, "+---+\n| c |\n+---+\n| x |\n| y |\n+---+");
        Ok(())
    }

    #[test]
    fn duplicate_key_is_an_error() -> Result<()> {
        let data = r#"{"a": 1, "a": 2}"#;
        let err = decode_all(data, None).err().map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("appears twice"));
        Ok(())
    }
}
