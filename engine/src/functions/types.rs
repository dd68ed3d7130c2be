//! `TYPEOF(x)` and `SQLTYPEOF(x)`, as in Drill.
//!
//! TYPEOF names the type of each value in Drill's words (`BIGINT`, `FLOAT8`, `VARCHAR`, `BIT`,
//! `MAP`, `LIST`, ...) and says `NULL` for a null value. SQLTYPEOF names the column's SQL type
//! whatever the value (`BIGINT`, `DOUBLE`, `CHARACTER VARYING`, `BOOLEAN`, `STRUCT`, `ARRAY`).

use std::sync::Arc;

use arrow::array::{Array, StringArray};
use arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

/// Drill's name for the type of a value.
pub fn drill_type_name(dt: &DataType) -> String {
    use DataType as D;
    match dt {
        D::Null => "NULL".into(),
        D::Boolean => "BIT".into(),
        D::Int8 => "TINYINT".into(),
        D::Int16 => "SMALLINT".into(),
        D::Int32 => "INT".into(),
        D::Int64 => "BIGINT".into(),
        D::UInt8 => "UINT1".into(),
        D::UInt16 => "UINT2".into(),
        D::UInt32 => "UINT4".into(),
        D::UInt64 => "UINT8".into(),
        D::Float16 | D::Float32 => "FLOAT4".into(),
        D::Float64 => "FLOAT8".into(),
        D::Decimal32(..) | D::Decimal64(..) | D::Decimal128(..) | D::Decimal256(..) => {
            "VARDECIMAL".into()
        }
        D::Utf8 | D::LargeUtf8 | D::Utf8View => "VARCHAR".into(),
        D::Binary | D::LargeBinary | D::BinaryView | D::FixedSizeBinary(_) => "VARBINARY".into(),
        D::Date32 | D::Date64 => "DATE".into(),
        D::Time32(_) | D::Time64(_) => "TIME".into(),
        D::Timestamp(_, None) => "TIMESTAMP".into(),
        D::Timestamp(_, Some(_)) => "TIMESTAMPTZ".into(),
        D::Interval(_) | D::Duration(_) => "INTERVAL".into(),
        D::Struct(_) => "MAP".into(),
        D::Map(_, _) => "DICT".into(),
        D::List(_)
        | D::LargeList(_)
        | D::FixedSizeList(_, _)
        | D::ListView(_)
        | D::LargeListView(_) => "LIST".into(),
        D::Dictionary(_, v) => drill_type_name(v),
        other => other.to_string().to_uppercase(),
    }
}

/// The SQL name of a type.
pub fn sql_type_name(dt: &DataType) -> String {
    use DataType as D;
    match dt {
        D::Null => "NULL".into(),
        D::Boolean => "BOOLEAN".into(),
        D::Int8 => "TINYINT".into(),
        D::Int16 | D::UInt8 => "SMALLINT".into(),
        D::Int32 | D::UInt16 => "INTEGER".into(),
        D::Int64 | D::UInt32 | D::UInt64 => "BIGINT".into(),
        D::Float16 | D::Float32 => "FLOAT".into(),
        D::Float64 => "DOUBLE".into(),
        D::Decimal32(p, s) | D::Decimal64(p, s) => format!("DECIMAL({p}, {s})"),
        D::Decimal128(p, s) | D::Decimal256(p, s) => format!("DECIMAL({p}, {s})"),
        D::Utf8 | D::LargeUtf8 | D::Utf8View => "CHARACTER VARYING".into(),
        D::Binary | D::LargeBinary | D::BinaryView | D::FixedSizeBinary(_) => {
            "BINARY VARYING".into()
        }
        D::Date32 | D::Date64 => "DATE".into(),
        D::Time32(_) | D::Time64(_) => "TIME".into(),
        D::Timestamp(TimeUnit::Second, None) | D::Timestamp(_, None) => "TIMESTAMP".into(),
        D::Timestamp(_, Some(_)) => "TIMESTAMP WITH TIME ZONE".into(),
        D::Interval(_) | D::Duration(_) => "INTERVAL".into(),
        D::Struct(_) => "STRUCT".into(),
        D::Map(_, _) => "MAP".into(),
        D::List(_)
        | D::LargeList(_)
        | D::FixedSizeList(_, _)
        | D::ListView(_)
        | D::LargeListView(_) => "ARRAY".into(),
        D::Dictionary(_, v) => sql_type_name(v),
        other => other.to_string().to_uppercase(),
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct TypeOf {
    signature: Signature,
    sql: bool,
}

impl TypeOf {
    /// `TYPEOF` (per value, Drill's names) or, with `sql`, `SQLTYPEOF`.
    pub fn new(sql: bool) -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
            sql,
        }
    }
}

impl ScalarUDFImpl for TypeOf {
    fn name(&self) -> &str {
        if self.sql { "sqltypeof" } else { "typeof" }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = &args.args[..] else {
            return exec_err!("{} takes one argument", self.name());
        };
        let dt = arg.data_type();
        if self.sql {
            return Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
                sql_type_name(&dt),
            ))));
        }
        let name = drill_type_name(&dt);
        match arg {
            ColumnarValue::Scalar(v) => Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
                if v.is_null() { "NULL".into() } else { name },
            )))),
            ColumnarValue::Array(a) => {
                let out: StringArray = (0..a.len())
                    .map(|i| Some(if a.is_null(i) { "NULL" } else { name.as_str() }))
                    .collect();
                Ok(ColumnarValue::Array(Arc::new(out)))
            }
        }
    }
}
