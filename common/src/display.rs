//! How values look to a user (shell tables, CSV, test expectations): scalars as Arrow displays
//! them, nested values (lists, structs, maps) as JSON text, as Drill shows them.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::DataType;
use arrow::error::ArrowError;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use serde_json::Value;

/// The text of `array[row]`, or None for NULL.
pub fn value_text(array: &ArrayRef, row: usize) -> Result<Option<String>, ArrowError> {
    if array.is_null(row) {
        return Ok(None);
    }
    if is_nested(array.data_type()) {
        return Ok(Some(json_value(array.as_ref(), row)?.to_string()));
    }
    let formatter = ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default())?;
    Ok(Some(formatter.value(row).to_string()))
}

fn is_nested(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::List(_)
            | DataType::LargeList(_)
            | DataType::ListView(_)
            | DataType::FixedSizeList(_, _)
            | DataType::Struct(_)
            | DataType::Map(_, _)
    )
}

/// A value as JSON: numbers and booleans as themselves, everything else Arrow can display as
/// a string.
pub fn json_value(array: &dyn Array, row: usize) -> Result<Value, ArrowError> {
    if array.is_null(row) {
        return Ok(Value::Null);
    }
    Ok(match array.data_type() {
        DataType::Boolean => Value::Bool(array.as_boolean().value(row)),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float16
        | DataType::Float32
        | DataType::Float64 => {
            let text = display(array, row)?;
            serde_json::from_str::<serde_json::Number>(&text)
                .map(Value::Number)
                .unwrap_or(Value::String(text))
        }
        DataType::List(_) => list_json(array.as_list::<i32>().value(row).as_ref())?,
        DataType::LargeList(_) => list_json(array.as_list::<i64>().value(row).as_ref())?,
        DataType::FixedSizeList(_, _) => list_json(array.as_fixed_size_list().value(row).as_ref())?,
        DataType::Struct(fields) => {
            let s = array.as_struct();
            let mut object = serde_json::Map::new();
            for (i, f) in fields.iter().enumerate() {
                object.insert(f.name().clone(), json_value(s.column(i).as_ref(), row)?);
            }
            Value::Object(object)
        }
        DataType::Map(_, _) => {
            let entries = array.as_map().value(row);
            let (keys, values) = (entries.column(0), entries.column(1));
            let mut object = serde_json::Map::new();
            for i in 0..entries.len() {
                let key = match json_value(keys.as_ref(), i)? {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                object.insert(key, json_value(values.as_ref(), i)?);
            }
            Value::Object(object)
        }
        _ => Value::String(display(array, row)?),
    })
}

fn list_json(values: &dyn Array) -> Result<Value, ArrowError> {
    (0..values.len())
        .map(|i| json_value(values, i))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

fn display(array: &dyn Array, row: usize) -> Result<String, ArrowError> {
    Ok(ArrayFormatter::try_new(array, &FormatOptions::default())?
        .value(row)
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, ListBuilder, StringBuilder, StructArray};
    use arrow::datatypes::Field;
    use std::sync::Arc;

    #[test]
    fn nested_values_are_json() -> Result<(), ArrowError> {
        let mut lists = ListBuilder::new(StringBuilder::new());
        lists.values().append_value("a\"b");
        lists.append(true);
        lists.append(false);
        let lists: ArrayRef = Arc::new(lists.finish());
        assert_eq!(value_text(&lists, 0)?.as_deref(), Some(r#"["a\"b"]"#));
        assert_eq!(value_text(&lists, 1)?, None);

        let s: ArrayRef = Arc::new(StructArray::from(vec![(
            Arc::new(Field::new("Speed", DataType::Int64, true)),
            Arc::new(Int64Array::from(vec![Some(5)])) as ArrayRef,
        )]));
        assert_eq!(value_text(&s, 0)?.as_deref(), Some(r#"{"Speed":5}"#));
        Ok(())
    }
}
