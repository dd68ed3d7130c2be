//! Schema inference: every record of a file is visited and its type merged into the lattice.

use std::fmt;
use std::io::Read;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::BorrowedKey;
use super::records::{Found, RecordSplitter};
use super::scan;
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
    // Each record's type is merged into this as the record is parsed, without building the
    // record's own type first.
    let mut record = InferredType::Struct(StructType::new());
    let mut records = 0;
    let mut skipped = 0;
    let skip = options.skip_invalid_records;
    loop {
        // Most records are read in one pass by the fast scan, as the splitter finds them.
        let found = splitter.next_record_scanned(|bytes| {
            if skip {
                // A record skipped half-way must leave no trace in the type: check it first.
                let n = scan::leading_object(bytes)?;
                scan::merge_object(&bytes[..n], &mut record).ok()?;
                Some(n)
            } else {
                scan::merge_leading_object(bytes, &mut record)
            }
        })?;
        let raw = match found {
            None => break,
            Some(Found::Scanned) => {
                records += 1;
                continue;
            }
            Some(Found::Raw(raw)) => raw,
        };
        // The scan gave up (serde_json names the error, or reads what the scan leaves to it),
        // or the record runs past what was buffered.
        let first = raw.bytes.iter().find(|b| !b.is_ascii_whitespace());
        let parsed = if first != Some(&b'{') {
            Err(not_an_object())
        } else if skip {
            // A record skipped half-way must leave no trace in the type: check it first.
            serde_json::from_slice::<IgnoredAny>(raw.bytes)
                .and_then(|_| merge_record(&mut record, raw.bytes))
        } else {
            merge_record(&mut record, raw.bytes)
        };
        match parsed {
            Ok(()) => records += 1,
            Err(_) if skip => skipped += 1,
            Err(err) => return Err(position_error(path, &raw, &err)),
        }
    }
    let InferredType::Struct(record) = record else {
        return Err(crate::error::Error::Internal(
            "JSON inference merged records into a non-object type".into(),
        ));
    };
    Ok(JsonFileInference {
        record,
        records,
        skipped,
    })
}

pub(crate) fn merge_record(
    record: &mut InferredType,
    bytes: &[u8],
) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    MergeInto(record).deserialize(&mut de)?;
    de.end()
}

/// A seed that merges the type of the value it visits into the type it holds, in place: the
/// same result as `InferredType::merge` with the value's type, without building that type.
struct MergeInto<'a>(&'a mut InferredType);

impl MergeInto<'_> {
    fn scalar(self, t: InferredType) {
        self.0.merge_scalar(&t);
    }
}

impl<'de> DeserializeSeed<'de> for MergeInto<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MergeInto<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.scalar(InferredType::Boolean);
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.scalar(InferredType::Integer);
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.scalar(if i64::try_from(v).is_ok() {
            InferredType::Integer
        } else {
            InferredType::Float
        });
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.scalar(InferredType::Float);
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.scalar(InferredType::String);
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        match self.0.merge_list() {
            Some(item) => while seq.next_element_seed(MergeInto(item))?.is_some() {},
            // A list where something else was seen: VARCHAR holds both; the items add nothing.
            None => while seq.next_element::<IgnoredAny>()?.is_some() {},
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match self.0.merge_struct() {
            Some(fields) => {
                let mut next = 0;
                // A key's position among the fields (added if new), tried where it was last.
                while let Some(position) = map.next_key_seed(BorrowedKey(|key: &str| {
                    fields.position_or_insert(key, next)
                }))? {
                    next = position + 1;
                    let slot = fields.type_at_mut(position).ok_or_else(|| {
                        serde::de::Error::custom("a field disappeared during inference")
                    })?;
                    map.next_value_seed(MergeInto(slot))?;
                }
            }
            None => while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {},
        }
        Ok(())
    }
}

pub(crate) fn not_an_object() -> serde_json::Error {
    serde::de::Error::custom("a record must be a JSON object ({...})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::records::INITIAL_CHUNK;
    use crate::lattice::InferredType::*;

    /// Merging in place gives what merging each record's own type gives, field order included.
    #[test]
    fn in_place_merge_equals_merging_each_record() -> Result<()> {
        let data = r#"{"a": 1, "l": [{"x": 1}, {"y": [1, 2.5]}], "s": {"p": null}}
{"a": 2.5, "l": [{"y": [], "z": "q"}, 7], "s": {"p": {"k": true}, "q": [1]}}
{"s": "flat", "n": null, "m": [[1], [2.5, null]], "o": {}}
{"a": {"x": 1}, "m": [["t"]], "o": {"e": []}, "b": true}
{"b": 1, "l": null, "o": {"e": [{"f": 1}]}, "n": [null]}
{"a": [1], "big": 12345678901234567890, "k\"q": {"r": -0}, "o": {"e": [{"g": 1e300}]}}
"#;
        // Repeated past the splitter's first buffer, so that records straddle its end and the
        // fast scan gives up part-way through some (and on the big number and escaped key).
        let repeats = 3 * INITIAL_CHUNK / data.len();
        let got = infer_json(
            data.repeat(repeats).as_bytes(),
            "t.json",
            &JsonReadOptions::default(),
        )?;
        assert_eq!(got.records as usize, 6 * repeats);
        let mut expected = Struct(StructType::new());
        for line in data.lines() {
            let mut de = serde_json::Deserializer::from_str(line);
            let t = TypeOf
                .deserialize(&mut de)
                .map_err(|e| crate::error::Error::Internal(e.to_string()))?;
            expected = expected.merge(t);
        }
        assert_eq!(Struct(got.record), expected);
        Ok(())
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
            Ok(Boolean)
        }

        fn visit_i64<E>(self, _: i64) -> Result<InferredType, E> {
            Ok(Integer)
        }

        fn visit_u64<E>(self, v: u64) -> Result<InferredType, E> {
            Ok(if i64::try_from(v).is_ok() {
                Integer
            } else {
                Float
            })
        }

        fn visit_f64<E>(self, _: f64) -> Result<InferredType, E> {
            Ok(Float)
        }

        fn visit_str<E>(self, _: &str) -> Result<InferredType, E> {
            Ok(String)
        }

        fn visit_unit<E>(self) -> Result<InferredType, E> {
            Ok(Null)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<InferredType, A::Error> {
            let mut item = Null;
            while let Some(t) = seq.next_element_seed(TypeOf)? {
                item = item.merge(t);
            }
            Ok(List(Box::new(item)))
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<InferredType, A::Error> {
            let mut s = StructType::new();
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                let t = map.next_value_seed(TypeOf)?;
                s.merge_field(&key, t);
            }
            Ok(Struct(s))
        }
    }

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
        // A record broken after a new key leaves no trace of that key in the type.
        let data = "{\"a\": 1}\n{\"b\": {\"c\": 2},, }\n{\"a\": 3}\n";
        let got = infer_json(data.as_bytes(), "t.json", &options)?;
        assert_eq!((got.records, got.skipped), (2, 1));
        assert_eq!(got.record.get("b"), None);
        assert_eq!(got.record.len(), 1);
        Ok(())
    }
}
