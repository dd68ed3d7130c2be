//! Schema inference: every record of a file is visited and its type merged into the lattice.

use std::fmt;
use std::io::Read;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::records::RecordSplitter;
use super::{JsonReadOptions, position_error};
use crate::error::Result;
use crate::lattice::{InferredType, StructType};

/// What inference learned about a file.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonFileInference {
    /// The merged type of every record (records are objects).
    pub record: StructType,
    pub records: u64,
    /// Records that were not valid JSON objects, when skipping was asked for.
    pub skipped: u64,
}

/// Infers the record type of every record in `reader`.
pub fn infer_json<R: Read>(
    reader: R,
    path: &str,
    options: &JsonReadOptions,
) -> Result<JsonFileInference> {
    let mut splitter = RecordSplitter::new(reader, path);
    let mut record = StructType::new();
    let mut records = 0;
    let mut skipped = 0;
    while let Some(raw) = splitter.next_record()? {
        let mut de = serde_json::Deserializer::from_slice(raw.bytes);
        let parsed = TypeOf
            .deserialize(&mut de)
            .and_then(|t| de.end().map(|_| t));
        let err = match parsed {
            Ok(InferredType::Struct(s)) => {
                record = record.merge(s);
                records += 1;
                continue;
            }
            Ok(_) => not_an_object(),
            Err(e) => e,
        };
        if options.skip_invalid_records {
            skipped += 1;
        } else {
            return Err(position_error(path, &raw, &err));
        }
    }
    Ok(JsonFileInference {
        record,
        records,
        skipped,
    })
}

pub(crate) fn not_an_object() -> serde_json::Error {
    serde::de::Error::custom("a record must be a JSON object ({...})")
}

/// A seed whose value is the lattice type of the JSON value it visits.
struct TypeOf;

impl<'de> DeserializeSeed<'de> for TypeOf {
    type Value = InferredType;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<InferredType, D::Error> {
        d.deserialize_any(TypeVisitor)
    }
}

struct TypeVisitor;

impl<'de> Visitor<'de> for TypeVisitor {
    type Value = InferredType;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<InferredType, E> {
        Ok(InferredType::Boolean)
    }

    fn visit_i64<E>(self, _: i64) -> Result<InferredType, E> {
        Ok(InferredType::Integer)
    }

    fn visit_u64<E>(self, v: u64) -> Result<InferredType, E> {
        Ok(if i64::try_from(v).is_ok() {
            InferredType::Integer
        } else {
            InferredType::Float
        })
    }

    fn visit_f64<E>(self, _: f64) -> Result<InferredType, E> {
        Ok(InferredType::Float)
    }

    fn visit_str<E>(self, _: &str) -> Result<InferredType, E> {
        Ok(InferredType::String)
    }

    fn visit_unit<E>(self) -> Result<InferredType, E> {
        Ok(InferredType::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<InferredType, A::Error> {
        let mut item = InferredType::Null;
        while let Some(t) = seq.next_element_seed(TypeOf)? {
            item = item.merge(t);
        }
        Ok(InferredType::List(Box::new(item)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<InferredType, A::Error> {
        let mut s = StructType::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let t = map.next_value_seed(TypeOf)?;
            s.merge_field(&key, t);
        }
        Ok(InferredType::Struct(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lattice::InferredType::*;

    #[test]
    fn infers_and_merges_across_records() -> Result<()> {
        let data = r#"{"a": 1, "b": {"x": true}}
{"a": 2.5, "b": {"y": "s"}, "c": [1, 2]}
{"a": null, "c": [3.5], "d": "n"}
{"d": 7, "e": {"k": 1}}
{"e": "flat"}
"#;
        let got = infer_json(data.as_bytes(), "t.json", &JsonReadOptions::default())?;
        assert_eq!(got.records, 5);
        let r = &got.record;
        assert_eq!(r.get("a"), Some(&Float));
        assert_eq!(r.get("c"), Some(&List(Box::new(Float))));
        assert_eq!(r.get("d"), Some(&String));
        assert_eq!(r.get("e"), Some(&String));
        let Some(Struct(b)) = r.get("b") else {
            panic!("b is a struct")
        };
        assert_eq!(b.get("x"), Some(&Boolean));
        assert_eq!(b.get("y"), Some(&String));
        Ok(())
    }

    #[test]
    fn invalid_record_names_line_and_column() {
        let data = "{\"a\": 1}\n{\"a\": 2,, }\n";
        let msg = infer_json(data.as_bytes(), "/d/t.json", &JsonReadOptions::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            msg.starts_with("Invalid JSON in /d/t.json, line 2, column 9: "),
            "{msg}"
        );
    }

    #[test]
    fn skipping_counts_invalid_records() -> Result<()> {
        let data = "{\"a\": 1}\n{\"a\": 2,, }\n[1]\n{\"a\": 3}\n";
        let options = JsonReadOptions {
            skip_invalid_records: true,
            ..JsonReadOptions::default()
        };
        let got = infer_json(data.as_bytes(), "t.json", &options)?;
        assert_eq!((got.records, got.skipped), (2, 2));
        Ok(())
    }
}
