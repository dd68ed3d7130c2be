//! Drill's subscripts are 0-based (`columns[0]` is the first field); DataFusion's are 1-based.
//! This planner runs before DataFusion's own and shifts list indexes by one; map and struct
//! subscripts pass through unchanged.
//!
//! The subscript calls [`ListElement`]: DataFusion's `array_element` with a direct path for the
//! commonest case in Drill queries, a constant subscript into a list of strings (`columns[n]`
//! of a headerless text file). DataFusion's general path copies each element through
//! `MutableArrayData`, which costs more than reading the file's fields.

use std::sync::{Arc, LazyLock};

use arrow::array::{Array, ArrayRef, AsArray, GenericListArray, OffsetSizeTrait, StringArray};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::DataType;
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::functions_nested::extract::ArrayElement;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawFieldAccessExpr};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, Expr, ExprSchemable, GetFieldAccess, ScalarFunctionArgs,
    ScalarUDF, ScalarUDFImpl, Signature, lit,
};

#[derive(Debug, Default)]
pub struct ZeroBasedSubscripts;

impl ExprPlanner for ZeroBasedSubscripts {
    fn plan_field_access(
        &self,
        access: RawFieldAccessExpr,
        schema: &DFSchema,
    ) -> Result<PlannerResult<RawFieldAccessExpr>> {
        let RawFieldAccessExpr { expr, field_access } = access;
        match field_access {
            GetFieldAccess::ListIndex { key }
                if matches!(
                    expr.get_type(schema)?,
                    DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _)
                ) =>
            {
                let index = match *key {
                    Expr::Literal(ScalarValue::Int64(Some(i)), _) => lit(i + 1),
                    other => other + lit(1i64),
                };
                Ok(PlannerResult::Planned(Expr::ScalarFunction(
                    ScalarFunction::new_udf(list_element_udf(), vec![expr, index]),
                )))
            }
            field_access => Ok(PlannerResult::Original(RawFieldAccessExpr {
                expr,
                field_access,
            })),
        }
    }
}

/// `array_element` (and its aliases), registered in place of DataFusion's.
pub fn list_element_udf() -> Arc<ScalarUDF> {
    static UDF: LazyLock<Arc<ScalarUDF>> =
        LazyLock::new(|| Arc::new(ScalarUDF::new_from_impl(ListElement::default())));
    Arc::clone(&UDF)
}

/// DataFusion's `array_element` (1-based; a negative index counts from the end; out of range
/// is NULL), answered directly for a constant index into a list of strings.
#[derive(Debug, Default, PartialEq, Eq, Hash)]
pub struct ListElement {
    inner: ArrayElement,
}

impl ScalarUDFImpl for ListElement {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn schema_name(&self, args: &[Expr]) -> Result<String> {
        self.inner.schema_name(args)
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if let [
            ColumnarValue::Array(list),
            ColumnarValue::Scalar(ScalarValue::Int64(index)),
        ] = args.args.as_slice()
        {
            let direct = match list.data_type() {
                DataType::List(f) if f.data_type() == &DataType::Utf8 => {
                    Some(string_element(list.as_list::<i32>(), *index))
                }
                DataType::LargeList(f) if f.data_type() == &DataType::Utf8 => {
                    Some(string_element(list.as_list::<i64>(), *index))
                }
                _ => None,
            };
            if let Some(array) = direct {
                return Ok(ColumnarValue::Array(array));
            }
        }
        self.inner.invoke_with_args(args)
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }
}

/// Element `index` (1-based, negative from the end) of every list of strings, NULL where the
/// list, the index or the element is NULL or the index is out of range.
fn string_element<O: OffsetSizeTrait>(lists: &GenericListArray<O>, index: Option<i64>) -> ArrayRef {
    let rows = lists.len();
    let Some(index) = index else {
        return arrow::array::new_null_array(&DataType::Utf8, rows);
    };
    let strings = lists.values().as_string::<i32>();
    let string_offsets = strings.value_offsets();
    let bytes = strings.value_data();
    let list_offsets = lists.value_offsets();
    let mut offsets: Vec<i32> = Vec::with_capacity(rows + 1);
    offsets.push(0);
    let mut data: Vec<u8> = Vec::new();
    let mut valid: Vec<bool> = Vec::with_capacity(rows);
    let mut all_valid = true;
    for row in 0..rows {
        let start = list_offsets[row].as_usize();
        let len = list_offsets[row + 1].as_usize() - start;
        let position = if index < 0 {
            usize::try_from(index + len as i64).ok()
        } else {
            usize::try_from(index - 1).ok()
        };
        let element = position
            .filter(|&p| p < len && lists.is_valid(row))
            .map(|p| start + p)
            .filter(|&e| strings.is_valid(e));
        match element {
            Some(e) => {
                let (from, to) = (string_offsets[e] as usize, string_offsets[e + 1] as usize);
                data.extend_from_slice(&bytes[from..to]);
                valid.push(true);
            }
            None => {
                valid.push(false);
                all_valid = false;
            }
        }
        // At most one element of each list, and lists do not overlap: the bytes copied never
        // exceed the strings' own, whose offsets are i32.
        offsets.push(data.len() as i32);
    }
    let nulls = (!all_valid).then(|| NullBuffer::from(valid));
    // The offsets were pushed in order from 0, so they are monotonic.
    let offsets = OffsetBuffer::new(offsets.into());
    Arc::new(StringArray::new(offsets, data.into(), nulls))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{LargeListBuilder, ListBuilder, StringBuilder};

    fn lists() -> GenericListArray<i32> {
        let mut b = ListBuilder::new(StringBuilder::new());
        b.values().append_value("a");
        b.values().append_value("bb");
        b.values().append_null();
        b.append(true);
        b.append(false);
        b.append(true); // empty
        b.values().append_value("ccc");
        b.append(true);
        b.finish()
    }

    fn strings(array: &ArrayRef) -> Vec<Option<&str>> {
        array.as_string::<i32>().iter().collect()
    }

    /// The direct path answers as DataFusion's general one does, for every kind of index.
    #[test]
    fn string_element_matches_the_general_path() -> Result<()> {
        let list = lists();
        let udf = ArrayElement::new();
        for index in [-4, -3, -1, 0, 1, 2, 3, 4] {
            let direct = string_element(&list, Some(index));
            let general = udf.invoke_with_args(ScalarFunctionArgs {
                args: vec![
                    ColumnarValue::Array(Arc::new(list.clone())),
                    ColumnarValue::Array(Arc::new(arrow::array::Int64Array::from(vec![
                        index;
                        list.len()
                    ]))),
                ],
                arg_fields: vec![],
                number_rows: list.len(),
                return_field: Arc::new(arrow::datatypes::Field::new("x", DataType::Utf8, true)),
                config_options: Default::default(),
            });
            let general = match general {
                Ok(ColumnarValue::Array(a)) => a,
                other => panic!("general path gave {other:?}"),
            };
            assert_eq!(strings(&direct), strings(&general), "index {index}");
        }
        assert_eq!(
            strings(&string_element(&list, Some(2))),
            vec![Some("bb"), None, None, None]
        );
        assert_eq!(
            strings(&string_element(&list, Some(-1))),
            vec![None, None, None, Some("ccc")]
        );
        assert_eq!(strings(&string_element(&list, None)), vec![None; 4]);
        Ok(())
    }

    #[test]
    fn large_lists_too() {
        let mut b = LargeListBuilder::new(StringBuilder::new());
        b.values().append_value("x");
        b.values().append_value("y");
        b.append(true);
        let list = b.finish();
        assert_eq!(strings(&string_element(&list, Some(2))), vec![Some("y")]);
    }
}
