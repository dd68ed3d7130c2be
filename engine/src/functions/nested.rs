//! Drill's functions over nested values: `KVGEN(map)`, `REPEATED_COUNT(list)`,
//! `REPEATED_CONTAINS(list, value)`.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, GenericListArray, Int64Array, ListArray,
    OffsetSizeTrait, StringArray, StructArray, new_null_array,
};
use arrow::buffer::OffsetBuffer;
use arrow::compute::{cast, concat};
use arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use crate::display::json_value;

/// `KVGEN(map)`: the map's entries as a list of `{key, value}` structs, one per field that
/// holds a value (NULL fields are left out, as missing keys). Values of different types are
/// given one type: DOUBLE for a mix of numbers, otherwise VARCHAR holding each value's text.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Kvgen {
    signature: Signature,
}

impl Kvgen {
    pub fn new() -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

fn kv_type(value: DataType) -> DataType {
    DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(Fields::from(vec![
            Field::new("key", DataType::Utf8, false),
            Field::new("value", value, true),
        ])),
        true,
    )))
}

/// The one type KVGEN gives the values of a struct's fields.
fn common_value_type(fields: &Fields) -> DataType {
    let mut types = fields
        .iter()
        .map(|f| f.data_type())
        .filter(|t| !t.is_null());
    let Some(first) = types.next() else {
        return DataType::Utf8;
    };
    if types.clone().all(|t| t == first) {
        return first.clone();
    }
    let numeric = fields
        .iter()
        .map(|f| f.data_type())
        .filter(|t| !t.is_null())
        .all(|t| t.is_numeric());
    if numeric {
        DataType::Float64
    } else {
        DataType::Utf8
    }
}

impl ScalarUDFImpl for Kvgen {
    fn name(&self) -> &str {
        "kvgen"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args {
            [DataType::Struct(fields)] => Ok(kv_type(common_value_type(fields))),
            [DataType::Map(entries, _)] => match entries.data_type() {
                DataType::Struct(kv) if kv.len() == 2 => Ok(kv_type(kv[1].data_type().clone())),
                other => plan_err!("KVGEN: unexpected map entries of type {other}"),
            },
            [DataType::Null] => Ok(kv_type(DataType::Utf8)),
            [other] => plan_err!("KVGEN needs a map (an object), not a value of type {other}"),
            _ => plan_err!("KVGEN takes one argument, a map"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let input = match &args.args[..] {
            [arg] => arg.to_array(rows)?,
            _ => return exec_err!("KVGEN takes one argument"),
        };
        let out = match input.data_type() {
            DataType::Struct(_) => kvgen_struct(input.as_struct())?,
            DataType::Map(_, _) => {
                let map = input.as_map();
                let entries = map.entries();
                let names = cast(entries.column(0), &DataType::Utf8)?;
                let item = kv_item_field(entries.column(1).data_type().clone());
                let DataType::Struct(fields) = item.data_type() else {
                    return exec_err!("KVGEN: bad item type");
                };
                let kv = StructArray::try_new(
                    fields.clone(),
                    vec![names, Arc::clone(entries.column(1))],
                    None,
                )?;
                Arc::new(ListArray::try_new(
                    Arc::new(item),
                    map.offsets().clone(),
                    Arc::new(kv),
                    map.nulls().cloned(),
                )?) as ArrayRef
            }
            DataType::Null => new_null_array(&kv_type(DataType::Utf8), rows),
            other => return exec_err!("KVGEN needs a map, not {other}"),
        };
        Ok(ColumnarValue::Array(out))
    }
}

fn kv_item_field(value: DataType) -> Field {
    match kv_type(value) {
        DataType::List(item) => item.as_ref().clone(),
        _ => Field::new("item", DataType::Null, true),
    }
}

fn kvgen_struct(input: &StructArray) -> Result<ArrayRef> {
    let DataType::Struct(fields) = input.data_type() else {
        return exec_err!("KVGEN: not a struct");
    };
    let value_type = common_value_type(fields);
    // Every field's values in the common type.
    let columns: Vec<ArrayRef> = input
        .columns()
        .iter()
        .map(|c| to_common(c, &value_type))
        .collect::<Result<_>>()?;
    let mut keys: Vec<&str> = vec![];
    let mut takes: Vec<(usize, usize)> = vec![];
    let mut offsets = vec![0i32];
    for row in 0..input.len() {
        if input.is_valid(row) {
            for (i, f) in fields.iter().enumerate() {
                if columns[i].is_valid(row) {
                    keys.push(f.name());
                    takes.push((i, row));
                }
            }
        }
        offsets.push(i32::try_from(keys.len()).unwrap_or(i32::MAX));
    }
    let values: ArrayRef = if takes.is_empty() {
        new_null_array(&value_type, 0)
    } else {
        let slices: Vec<ArrayRef> = takes
            .iter()
            .map(|(c, r)| columns[*c].slice(*r, 1))
            .collect();
        let refs: Vec<&dyn Array> = slices.iter().map(|a| a.as_ref()).collect();
        concat(&refs)?
    };
    let item = kv_item_field(value_type);
    let DataType::Struct(kv_fields) = item.data_type() else {
        return exec_err!("KVGEN: bad item type");
    };
    let kv = StructArray::try_new(
        kv_fields.clone(),
        vec![Arc::new(StringArray::from(keys)), values],
        None,
    )?;
    Ok(Arc::new(ListArray::try_new(
        Arc::new(item),
        OffsetBuffer::new(offsets.into()),
        Arc::new(kv),
        input.nulls().cloned(),
    )?))
}

/// A column in KVGEN's value type: cast for numbers, JSON text otherwise.
fn to_common(column: &ArrayRef, value_type: &DataType) -> Result<ArrayRef> {
    if column.data_type() == value_type {
        return Ok(Arc::clone(column));
    }
    if value_type == &DataType::Utf8 && column.data_type().is_nested() {
        let texts: Vec<Option<String>> = (0..column.len())
            .map(|i| {
                if column.is_null(i) {
                    Ok(None)
                } else {
                    json_value(column, i).map(|v| Some(v.to_string()))
                }
            })
            .collect::<Result<_, _>>()?;
        return Ok(Arc::new(StringArray::from(texts)));
    }
    Ok(cast(column, value_type)?)
}

/// `REPEATED_COUNT(list)`: how many elements a list has (0 for NULL).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct RepeatedCount {
    signature: Signature,
}

impl RepeatedCount {
    pub fn new() -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for RepeatedCount {
    fn name(&self) -> &str {
        "repeated_count"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args {
            [DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _)]
            | [DataType::Null] => Ok(DataType::Int64),
            [other] => plan_err!("REPEATED_COUNT needs an array, not a value of type {other}"),
            _ => plan_err!("REPEATED_COUNT takes one argument, an array"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let input = match &args.args[..] {
            [arg] => arg.to_array(rows)?,
            _ => return exec_err!("REPEATED_COUNT takes one argument"),
        };
        let counts: Int64Array = match input.data_type() {
            DataType::List(_) => {
                let l = input.as_list::<i32>();
                (0..l.len())
                    .map(|i| {
                        Some(if l.is_null(i) {
                            0
                        } else {
                            l.value_length(i) as i64
                        })
                    })
                    .collect()
            }
            DataType::LargeList(_) => {
                let l = input.as_list::<i64>();
                (0..l.len())
                    .map(|i| Some(if l.is_null(i) { 0 } else { l.value_length(i) }))
                    .collect()
            }
            DataType::FixedSizeList(_, n) => {
                let l = input.as_fixed_size_list();
                (0..l.len())
                    .map(|i| Some(if l.is_null(i) { 0 } else { *n as i64 }))
                    .collect()
            }
            _ => (0..rows).map(|_| Some(0)).collect(),
        };
        Ok(ColumnarValue::Array(Arc::new(counts)))
    }
}

/// `REPEATED_CONTAINS(list, value)`: whether any element of the list equals the value.
/// A string value may use `*` as a wildcard for any run of characters, as in Drill.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct RepeatedContains {
    signature: Signature,
}

impl RepeatedContains {
    pub fn new() -> Self {
        Self {
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for RepeatedContains {
    fn name(&self) -> &str {
        "repeated_contains"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args {
            [
                DataType::List(_) | DataType::LargeList(_) | DataType::Null,
                _,
            ] => Ok(DataType::Boolean),
            [other, _] => {
                plan_err!("REPEATED_CONTAINS needs an array first, not a value of type {other}")
            }
            _ => plan_err!("REPEATED_CONTAINS takes two arguments: an array and a value"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let (list, needle) = match &args.args[..] {
            [l, n] => (l.to_array(rows)?, n.to_array(rows)?),
            _ => return exec_err!("REPEATED_CONTAINS takes two arguments"),
        };
        let out: BooleanArray = match list.data_type() {
            DataType::List(_) => contains_each(list.as_list::<i32>(), &needle)?,
            DataType::LargeList(_) => contains_each(list.as_list::<i64>(), &needle)?,
            _ => (0..rows).map(|_| Some(false)).collect(),
        };
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// REPEATED_CONTAINS row by row: false for a NULL list or value.
fn contains_each<O: OffsetSizeTrait>(
    lists: &GenericListArray<O>,
    needle: &ArrayRef,
) -> Result<BooleanArray> {
    (0..lists.len())
        .map(|i| {
            if lists.is_null(i) || needle.is_null(i) {
                return Ok(Some(false));
            }
            contains(&lists.value(i), needle, i).map(Some)
        })
        .collect()
}

fn contains(elements: &ArrayRef, needle: &ArrayRef, row: usize) -> Result<bool> {
    let wanted = ScalarValue::try_from_array(needle, row)?;
    if let ScalarValue::Utf8(Some(pattern)) = &wanted
        && pattern.contains('*')
    {
        let texts = cast(elements, &DataType::Utf8)?;
        let texts = texts.as_string::<i32>();
        return Ok((0..texts.len()).any(|i| texts.is_valid(i) && wildcard(pattern, texts.value(i))));
    }
    // Compare in the elements' type (a number literal against BIGINT elements, ...).
    let wanted = match wanted.cast_to(elements.data_type()) {
        Ok(w) => w,
        Err(_) => return Ok(false),
    };
    for i in 0..elements.len() {
        if elements.is_valid(i) && ScalarValue::try_from_array(elements, i)? == wanted {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `*` matches any run of characters; everything else matches itself.
fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = match parts.split_first() {
        Some(p) => p,
        None => return text.is_empty(),
    };
    let Some(mut remaining) = text.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remaining.is_empty();
    };
    for part in middle {
        match remaining.find(part) {
            Some(i) => remaining = &remaining[i + part.len()..],
            None => return false,
        }
    }
    remaining.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn wildcards() {
        assert!(wildcard("Pizza", "Pizza"));
        assert!(!wildcard("Pizza", "Pizzas"));
        assert!(wildcard("Piz*", "Pizzas"));
        assert!(wildcard("*zza", "Pizza"));
        assert!(wildcard("P*z*a", "Pizza"));
        assert!(!wildcard("P*q*a", "Pizza"));
        assert!(wildcard("*", ""));
    }
}
