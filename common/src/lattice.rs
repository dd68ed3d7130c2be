//! The schema-free type lattice: what Auger learns about a field by looking at every value it
//! holds, and how two such findings merge (DESIGN.md, "Schema-free reading").
//!
//! null+T→T; integers widen to BIGINT; integer+float→DOUBLE; any other scalar conflict→VARCHAR;
//! struct+struct→struct with the union of fields; list<A>+list<B>→list<merge(A,B)>;
//! scalar vs struct/list→VARCHAR (the JSON text of the value).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, Schema};

/// The type inferred for one field across every value seen.
#[derive(Debug, Clone, PartialEq)]
pub enum InferredType {
    /// Only nulls (or nothing) seen so far.
    Null,
    Boolean,
    /// Every number seen fits a 64-bit integer.
    Integer,
    Float,
    /// VARCHAR: strings, or the text of values whose types conflict.
    String,
    List(Box<InferredType>),
    Struct(StructType),
}

/// A struct's fields, in order of first appearance. Field names are case-sensitive here;
/// case-insensitive lookup is the planner's job, so that two fields differing only by case
/// are both kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StructType {
    fields: Vec<(String, InferredType)>,
    index: HashMap<String, usize>,
    /// Per field: whether its name is written in JSON as exactly its bytes (no quote,
    /// backslash or control character), so that a key can be matched against it byte for byte.
    plain: Vec<bool>,
}

impl StructType {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn fields(&self) -> impl Iterator<Item = (&str, &InferredType)> {
        self.fields.iter().map(|(n, t)| (n.as_str(), t))
    }

    pub fn get(&self, name: &str) -> Option<&InferredType> {
        self.index.get(name).map(|&i| &self.fields[i].1)
    }

    /// Merges `ty` into the field `name`, adding the field if it is new.
    pub fn merge_field(&mut self, name: &str, ty: InferredType) {
        match self.index.get(name) {
            Some(&i) => {
                let slot = &mut self.fields[i].1;
                let old = std::mem::replace(slot, InferredType::Null);
                *slot = old.merge(ty);
            }
            None => self.push(name, ty),
        }
    }

    fn push(&mut self, name: &str, ty: InferredType) {
        self.index.insert(name.to_string(), self.fields.len());
        self.fields.push((name.to_string(), ty));
        self.plain
            .push(!name.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\'));
    }

    /// The position of the field `name`, added (as Null) if it is new; `guess` is tried first.
    pub(crate) fn position_or_insert(&mut self, name: &str, guess: usize) -> usize {
        if self.fields.get(guess).is_some_and(|(n, _)| n == name) {
            return guess;
        }
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.push(name, InferredType::Null);
        self.fields.len() - 1
    }

    /// The name of the field at `position` when it is plain (see `plain`).
    pub(crate) fn plain_name_at(&self, position: usize) -> Option<&[u8]> {
        match self.plain.get(position) {
            Some(true) => Some(self.fields[position].0.as_bytes()),
            _ => None,
        }
    }

    pub(crate) fn type_at_mut(&mut self, position: usize) -> Option<&mut InferredType> {
        self.fields.get_mut(position).map(|(_, t)| t)
    }

    pub fn merge(mut self, other: StructType) -> StructType {
        for (name, ty) in other.fields {
            self.merge_field(&name, ty);
        }
        self
    }

    fn map_types(self, f: &impl Fn(InferredType) -> InferredType) -> StructType {
        let mut out = StructType::new();
        for (name, ty) in self.fields {
            out.merge_field(&name, f(ty));
        }
        out
    }
}

impl InferredType {
    /// The least type that holds values of both `self` and `other`.
    pub fn merge(self, other: InferredType) -> InferredType {
        use InferredType::*;
        match (self, other) {
            (Null, t) | (t, Null) => t,
            (Boolean, Boolean) => Boolean,
            (Integer, Integer) => Integer,
            (Integer | Float, Integer | Float) => Float,
            (String, String) => String,
            (List(a), List(b)) => List(Box::new(a.merge(*b))),
            (Struct(a), Struct(b)) => Struct(a.merge(b)),
            // Every remaining pair is a conflict: scalar vs scalar of another kind, or a
            // scalar/list/struct mismatch. VARCHAR holds all of them without loss.
            _ => String,
        }
    }

    /// Merges a scalar type (not a list or struct) into `self`, in place.
    #[inline]
    pub(crate) fn merge_scalar(&mut self, t: &InferredType) {
        // Scalars of one kind are equal: the common case is decided without a call.
        if std::mem::discriminant(self) != std::mem::discriminant(t) {
            let old = std::mem::replace(self, InferredType::Null);
            *self = old.merge(t.clone());
        }
    }

    /// Merges "a list" into `self` in place and returns the item type to merge the list's
    /// items into; None when `self` held something other than a list, which makes it VARCHAR
    /// (the items then add nothing).
    pub(crate) fn merge_list(&mut self) -> Option<&mut InferredType> {
        if *self == InferredType::Null {
            *self = InferredType::List(Box::new(InferredType::Null));
        }
        match self {
            InferredType::List(item) => Some(item),
            other => {
                *other = InferredType::String;
                None
            }
        }
    }

    /// Merges "an object" into `self` in place and returns the fields to merge the object's
    /// keys into; None when `self` held something other than a struct (it becomes VARCHAR).
    pub(crate) fn merge_struct(&mut self) -> Option<&mut StructType> {
        if *self == InferredType::Null {
            *self = InferredType::Struct(StructType::new());
        }
        match self {
            InferredType::Struct(fields) => Some(fields),
            other => {
                *other = InferredType::String;
                None
            }
        }
    }

    /// `store.json.all_text_mode`: every scalar (and null) reads as VARCHAR; lists and
    /// structs keep their shape.
    pub fn all_text(self) -> InferredType {
        use InferredType::*;
        match self {
            List(t) => List(Box::new(t.all_text())),
            Struct(s) => Struct(s.map_types(&|t| t.all_text())),
            _ => String,
        }
    }

    /// `store.json.read_numbers_as_double`: every number reads as DOUBLE.
    pub fn numbers_as_double(self) -> InferredType {
        use InferredType::*;
        match self {
            Integer => Float,
            List(t) => List(Box::new(t.numbers_as_double())),
            Struct(s) => Struct(s.map_types(&|t| t.numbers_as_double())),
            t => t,
        }
    }

    pub fn to_arrow(&self) -> DataType {
        match self {
            InferredType::Null => DataType::Null,
            InferredType::Boolean => DataType::Boolean,
            InferredType::Integer => DataType::Int64,
            InferredType::Float => DataType::Float64,
            InferredType::String => DataType::Utf8,
            InferredType::List(item) => {
                DataType::List(Arc::new(Field::new("item", item.to_arrow(), true)))
            }
            InferredType::Struct(s) => DataType::Struct(struct_fields(s)),
        }
    }

    /// The lattice element for an Arrow type, so that Parquet schemas merge by the same rules.
    /// Types the lattice has no element for (dates, decimals, binary...) are returned as
    /// `Err(type)` so the caller can keep them when every file agrees.
    pub fn from_arrow(dt: &DataType) -> Result<InferredType, DataType> {
        use DataType as D;
        Ok(match dt {
            D::Null => InferredType::Null,
            D::Boolean => InferredType::Boolean,
            D::Int8 | D::Int16 | D::Int32 | D::Int64 | D::UInt8 | D::UInt16 | D::UInt32 => {
                InferredType::Integer
            }
            D::UInt64 | D::Float16 | D::Float32 | D::Float64 => InferredType::Float,
            D::Utf8 | D::LargeUtf8 | D::Utf8View => InferredType::String,
            D::List(f) | D::LargeList(f) | D::ListView(f) | D::FixedSizeList(f, _) => {
                InferredType::List(Box::new(InferredType::from_arrow(f.data_type())?))
            }
            D::Struct(fields) => {
                let mut s = StructType::new();
                for f in fields {
                    s.merge_field(f.name(), InferredType::from_arrow(f.data_type())?);
                }
                InferredType::Struct(s)
            }
            other => return Err(other.clone()),
        })
    }
}

impl InferredType {
    /// A JSON form of the type, for caches kept on disk: `"integer"`, `{"list": ...}`,
    /// `{"struct": [["name", ...], ...]}`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{Value, json};
        match self {
            InferredType::Null => Value::from("null"),
            InferredType::Boolean => Value::from("boolean"),
            InferredType::Integer => Value::from("integer"),
            InferredType::Float => Value::from("float"),
            InferredType::String => Value::from("string"),
            InferredType::List(item) => json!({ "list": item.to_json() }),
            InferredType::Struct(s) => json!({ "struct": s.to_json() }),
        }
    }

    /// Reads what [`InferredType::to_json`] wrote; `None` for anything else.
    pub fn from_json(value: &serde_json::Value) -> Option<InferredType> {
        use serde_json::Value;
        Some(match value {
            Value::String(s) => match s.as_str() {
                "null" => InferredType::Null,
                "boolean" => InferredType::Boolean,
                "integer" => InferredType::Integer,
                "float" => InferredType::Float,
                "string" => InferredType::String,
                _ => return None,
            },
            Value::Object(o) if o.len() == 1 => {
                if let Some(item) = o.get("list") {
                    InferredType::List(Box::new(InferredType::from_json(item)?))
                } else {
                    InferredType::Struct(StructType::from_json(o.get("struct")?)?)
                }
            }
            _ => return None,
        })
    }
}

impl StructType {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.fields
                .iter()
                .map(|(n, t)| serde_json::Value::Array(vec![n.as_str().into(), t.to_json()]))
                .collect(),
        )
    }

    pub fn from_json(value: &serde_json::Value) -> Option<StructType> {
        let mut s = StructType::new();
        for field in value.as_array()? {
            match field.as_array()?.as_slice() {
                [name, ty] => s.merge_field(name.as_str()?, InferredType::from_json(ty)?),
                _ => return None,
            }
        }
        Some(s)
    }
}

fn struct_fields(s: &StructType) -> Fields {
    s.fields()
        .map(|(name, ty)| Field::new(name, ty.to_arrow(), true))
        .collect()
}

/// The Arrow schema of a record type: its fields become columns.
pub fn record_schema(record: &StructType) -> Schema {
    Schema::new(struct_fields(record))
}

#[cfg(test)]
mod tests {
    use super::InferredType::*;
    use super::*;

    fn record(fields: &[(&str, InferredType)]) -> InferredType {
        let mut s = StructType::new();
        for (n, t) in fields {
            s.merge_field(n, t.clone());
        }
        Struct(s)
    }

    #[test]
    fn merge_rules() {
        assert_eq!(Null.merge(Integer), Integer);
        assert_eq!(Integer.merge(Null), Integer);
        assert_eq!(Integer.merge(Float), Float);
        assert_eq!(Integer.merge(String), String);
        assert_eq!(Boolean.merge(String), String);
        assert_eq!(Boolean.merge(Integer), String);
        assert_eq!(Integer.merge(List(Box::new(Integer))), String);
        assert_eq!(record(&[]).merge(Float), String);
        assert_eq!(
            List(Box::new(Integer)).merge(List(Box::new(Float))),
            List(Box::new(Float))
        );
        let merged = record(&[("a", Integer), ("b", Null)]).merge(record(&[
            ("b", Boolean),
            ("c", String),
            ("a", Float),
        ]));
        assert_eq!(
            merged,
            record(&[("a", Float), ("b", Boolean), ("c", String)])
        );
    }

    #[test]
    fn json_round_trip() {
        let t = record(&[
            ("a", Integer),
            ("b", List(Box::new(record(&[("x", Float), ("y", Null)])))),
            ("c", String),
            ("d", Boolean),
        ]);
        assert_eq!(InferredType::from_json(&t.to_json()), Some(t));
        assert_eq!(InferredType::from_json(&serde_json::json!("nope")), None);
    }

    #[test]
    fn modes() {
        let t = record(&[("a", Integer), ("l", List(Box::new(Boolean)))]);
        assert_eq!(
            t.clone().all_text(),
            record(&[("a", String), ("l", List(Box::new(String)))])
        );
        assert_eq!(
            t.numbers_as_double(),
            record(&[("a", Float), ("l", List(Box::new(Boolean)))])
        );
    }
}
