//! Parquet files of one table whose schemas differ are merged by the schema-free rules
//! (DESIGN.md): a column takes the least type that holds every file's values.
//!
//! Types equal in every file are kept as they are (dates, decimals, timestamps...). Otherwise:
//! a file without the column adds nothing (the column is NULL there); integers widen to
//! BIGINT; integers and floats to DOUBLE; decimals (and integers with them) to a decimal with
//! the most integer digits and the most fraction digits of either; timestamps to the finer
//! unit, and a date with a timestamp to the timestamp; times and durations to the finer unit;
//! structs take the union of their fields; lists merge their element types; any other conflict
//! is VARCHAR. The scan casts each file's columns to the merged types (arrow's casts, which
//! fail rather than wrap when a value does not fit the finer unit).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use arrow::array::StringArray;
use arrow::datatypes::{
    DECIMAL32_MAX_PRECISION, DECIMAL64_MAX_PRECISION, DECIMAL128_MAX_PRECISION,
    DECIMAL256_MAX_PRECISION, DataType, Field, Fields, Schema, SchemaRef, TimeUnit,
};
use auger_common::display::value_text;
use auger_common::{Error, Result};
use datafusion::catalog::Session;
use datafusion::common::config::ConfigOptions;
use datafusion::common::stats::Precision;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{ColumnStatistics, ScalarValue, Statistics};
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::ScalarFunctionExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr_adapter::{
    DefaultPhysicalExprAdapterFactory, PhysicalExprAdapter, PhysicalExprAdapterFactory,
};
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use parquet::arrow::parquet_to_arrow_schema;
use parquet::file::metadata::ParquetMetaDataReader;

/// The merged schema of a set of Parquet files (only their footers are read).
pub async fn parquet_schema(
    store: &Arc<dyn ObjectStore>,
    files: &[ObjectMeta],
    display_prefix: &str,
) -> Result<SchemaRef> {
    let mut merged: Vec<Field> = vec![];
    for meta in files {
        let path = format!("{display_prefix}{}", meta.location);
        let schema = file_schema(store, meta)
            .await
            .map_err(|message| Error::Io {
                path: path.clone(),
                message,
            })?;
        // Two columns of one name would merge into one below, and DataFusion's reader finds a
        // file's columns by name, so the second could not be read under another.
        let fields = schema.fields();
        let repeated = fields.iter().enumerate().find(|(i, f)| {
            fields[..*i]
                .iter()
                .any(|earlier| earlier.name() == f.name())
        });
        if let Some((_, field)) = repeated {
            return Err(Error::Io {
                path,
                message: format!(
                    "it has more than one column named '{}'; Auger reads Parquet columns by \
                     name, so each must have a name of its own",
                    field.name()
                ),
            });
        }
        for field in schema.fields() {
            match merged.iter_mut().find(|f| f.name() == field.name()) {
                Some(existing) => {
                    let ty = merge_types(existing.data_type(), field.data_type());
                    *existing = Field::new(field.name(), ty, true);
                }
                None => merged.push(Field::new(field.name(), field.data_type().clone(), true)),
            }
        }
    }
    Ok(Arc::new(Schema::new(merged)))
}

/// One file's statistics (row count, and per column of the table its nulls, minimum and
/// maximum) in the table's merged types.
///
/// DataFusion reads a file's minimum and maximum in the type the table gives the column; where
/// the file's own type differs (a column merged to BIGINT, DECIMAL or a finer unit) that read
/// fails and leaves an exact NULL maximum, which merged with the other files' answers `MAX`
/// from those files alone. So the bounds are read in the file's own types and cast here. A
/// merged type that widens keeps every value and their order; VARCHAR made from a conflict
/// does not keep the order ('9' > '10'), so those bounds are dropped.
pub async fn file_statistics(
    format: &ParquetFormat,
    state: &dyn Session,
    store: &Arc<dyn ObjectStore>,
    table_schema: &SchemaRef,
    meta: &ObjectMeta,
) -> datafusion::error::Result<Statistics> {
    let physical = file_schema(store, meta)
        .await
        .map_err(DataFusionError::Execution)?;
    // The table's columns in this file's types (a column the file lacks keeps the table's).
    let own: Vec<Field> = table_schema
        .fields()
        .iter()
        .map(|f| {
            physical
                .field_with_name(f.name())
                .map_or_else(|_| f.as_ref().clone(), Field::clone)
        })
        .collect();
    let own = Arc::new(Schema::new(own));
    let mut statistics = format
        .infer_stats(state, store, Arc::clone(&own), meta)
        .await?;
    for ((column, table), file) in statistics
        .column_statistics
        .iter_mut()
        .zip(table_schema.fields())
        .zip(own.fields())
    {
        if table.data_type() != file.data_type() {
            widen_bounds(column, table.data_type());
        }
    }
    Ok(statistics)
}

/// A column's bounds read in a file's type, as bounds of the table's type `to`.
fn widen_bounds(column: &mut ColumnStatistics, to: &DataType) {
    let keeps_order = !to.is_string() && !to.is_nested();
    let cast = |bound: &Precision<ScalarValue>| match bound {
        Precision::Exact(v) if keeps_order => {
            v.cast_to(to).map_or(Precision::Absent, Precision::Exact)
        }
        Precision::Inexact(v) if keeps_order => {
            v.cast_to(to).map_or(Precision::Absent, Precision::Inexact)
        }
        _ => Precision::Absent,
    };
    column.min_value = cast(&column.min_value);
    column.max_value = cast(&column.max_value);
    column.sum_value = Precision::Absent;
}

/// Schemas read from Parquet footers, shared by every statement of the process: tables are
/// opened anew for each statement, and reading and decoding the footers again cost more than
/// planning a small query. A file is known by its path, size and modification time, so a
/// rewritten file is read again.
type FooterKey = (String, u64, i64);
static FOOTER_SCHEMAS: LazyLock<Mutex<HashMap<FooterKey, Arc<Schema>>>> =
    LazyLock::new(Default::default);
/// Past this many files the cache starts over, bounding its memory.
const FOOTER_SCHEMAS_MAX: usize = 8192;

/// One file's Arrow schema, from its footer (or from the cache of footers already read).
async fn file_schema(
    store: &Arc<dyn ObjectStore>,
    meta: &ObjectMeta,
) -> std::result::Result<Arc<Schema>, String> {
    let key = (
        meta.location.to_string(),
        meta.size,
        meta.last_modified.timestamp_nanos_opt().unwrap_or_default(),
    );
    let cached = FOOTER_SCHEMAS
        .lock()
        .ok()
        .and_then(|cache| cache.get(&key).cloned());
    if let Some(schema) = cached {
        return Ok(schema);
    }
    let schema = Arc::new(read_file_schema(store, meta).await?);
    if let Ok(mut cache) = FOOTER_SCHEMAS.lock() {
        if cache.len() >= FOOTER_SCHEMAS_MAX {
            cache.clear();
        }
        cache.insert(key, Arc::clone(&schema));
    }
    Ok(schema)
}

async fn read_file_schema(
    store: &Arc<dyn ObjectStore>,
    meta: &ObjectMeta,
) -> std::result::Result<Schema, String> {
    let not_parquet = || "not a Parquet file (no PAR1 footer)".to_string();
    let size = meta.size;
    if size < 12 {
        return Err(not_parquet());
    }
    let tail = store
        .get_range(&meta.location, size - 8..size)
        .await
        .map_err(|e| e.to_string())?;
    if tail.len() != 8 || &tail[4..] != b"PAR1" {
        return Err(not_parquet());
    }
    let len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if len + 8 > size {
        return Err(format!(
            "truncated Parquet file: its footer says {len} bytes of metadata"
        ));
    }
    let bytes = store
        .get_range(&meta.location, size - 8 - len..size - 8)
        .await
        .map_err(|e| e.to_string())?;
    let metadata = ParquetMetaDataReader::decode_metadata(&bytes)
        .map_err(|e| format!("cannot read the Parquet metadata: {e}"))?;
    let file = metadata.file_metadata();
    parquet_to_arrow_schema(file.schema_descr(), file.key_value_metadata())
        .map_err(|e| format!("cannot read the Parquet schema: {e}"))
}

/// The least type holding values of both `a` and `b`.
pub fn merge_types(a: &DataType, b: &DataType) -> DataType {
    use DataType as D;
    if a == b {
        return a.clone();
    }
    let integer = |t: &D| {
        matches!(
            t,
            D::Int8 | D::Int16 | D::Int32 | D::Int64 | D::UInt8 | D::UInt16 | D::UInt32
        )
    };
    let number = |t: &D| {
        integer(t)
            || decimal_digits(t).is_some()
            || matches!(t, D::UInt64 | D::Float16 | D::Float32 | D::Float64)
    };
    let text = |t: &D| matches!(t, D::Utf8 | D::LargeUtf8 | D::Utf8View);
    if let Some(merged) = merge_temporal(a, b).or_else(|| merge_decimal(a, b)) {
        return merged;
    }
    match (a, b) {
        (D::Null, t) | (t, D::Null) => t.clone(),
        (x, y) if integer(x) && integer(y) => D::Int64,
        (x, y) if number(x) && number(y) => D::Float64,
        (x, y) if text(x) && text(y) => D::Utf8,
        (D::Struct(x), D::Struct(y)) => D::Struct(merge_struct(x, y)),
        (
            D::List(x) | D::LargeList(x) | D::FixedSizeList(x, _),
            D::List(y) | D::LargeList(y) | D::FixedSizeList(y, _),
        ) => D::List(Arc::new(Field::new(
            "item",
            merge_types(x.data_type(), y.data_type()),
            true,
        ))),
        _ => D::Utf8,
    }
}

/// Timestamps, dates, times and durations that differ only in unit (or a date and a
/// timestamp) take the finer unit, so no value loses precision; `None` for other pairs.
fn merge_temporal(a: &DataType, b: &DataType) -> Option<DataType> {
    use DataType as D;
    use TimeUnit as U;
    // A Date64 is milliseconds since the epoch; a Date32 whole days.
    let date_unit = |t: &D| match t {
        D::Date32 => Some(U::Second),
        D::Date64 => Some(U::Millisecond),
        _ => None,
    };
    Some(match (a, b) {
        (D::Timestamp(ua, za), D::Timestamp(ub, zb)) => {
            let zone = match (za, zb) {
                (None, None) => None,
                (Some(x), Some(y)) if x == y => Some(Arc::clone(x)),
                // Instants written in two zones: each keeps its instant, shown in UTC.
                (Some(_), Some(_)) => Some(Arc::from("+00:00")),
                // A wall-clock time and an instant: no cast turns one into the other without
                // the zone the wall-clock times were written in, so this is a conflict.
                _ => return Some(D::Utf8),
            };
            D::Timestamp((*ua).max(*ub), zone)
        }
        // The date is midnight of its day (in the timestamp's zone, when it has one).
        (D::Timestamp(u, zone), d) | (d, D::Timestamp(u, zone)) => {
            D::Timestamp((*u).max(date_unit(d)?), zone.clone())
        }
        (D::Date32 | D::Date64, D::Date32 | D::Date64) => D::Date64,
        (D::Time32(ua) | D::Time64(ua), D::Time32(ub) | D::Time64(ub)) => match (*ua).max(*ub) {
            u @ (U::Second | U::Millisecond) => D::Time32(u),
            u => D::Time64(u),
        },
        (D::Duration(ua), D::Duration(ub)) => D::Duration((*ua).max(*ub)),
        _ => return None,
    })
}

/// A decimal type's precision and scale.
fn decimal_digits(t: &DataType) -> Option<(u8, i8)> {
    use DataType as D;
    Some(match t {
        D::Decimal32(p, s) | D::Decimal64(p, s) | D::Decimal128(p, s) | D::Decimal256(p, s) => {
            (*p, *s)
        }
        _ => return None,
    })
}

/// The digits an integer type's values need: it merges with decimals as the decimal of scale 0
/// that holds all of them.
fn integer_digits(t: &DataType) -> Option<u8> {
    use DataType as D;
    Some(match t {
        D::Int8 | D::UInt8 => 3,
        D::Int16 | D::UInt16 => 5,
        D::Int32 | D::UInt32 => 10,
        D::Int64 => 19,
        D::UInt64 => 20,
        _ => return None,
    })
}

/// Two decimals, or a decimal and an integer: the decimal with as many integer digits as the
/// wider and as many fraction digits as the finer, so every value of both fits exactly. Its
/// width is the wider of the two, or wider still when the digits need it: beyond 38 digits
/// that is DECIMAL256, beyond its 76 VARCHAR (the values' text, every digit kept). `None`
/// when neither is a decimal.
fn merge_decimal(a: &DataType, b: &DataType) -> Option<DataType> {
    use DataType as D;
    if decimal_digits(a).is_none() && decimal_digits(b).is_none() {
        return None;
    }
    let digits = |t: &D| decimal_digits(t).or_else(|| integer_digits(t).map(|p| (p, 0)));
    let ((pa, sa), (pb, sb)) = (digits(a)?, digits(b)?);
    let scale = sa.max(sb);
    let whole = (i16::from(pa) - i16::from(sa)).max(i16::from(pb) - i16::from(sb));
    let precision = whole + i16::from(scale);
    // 0 for an integer: its width does not bound the decimal's.
    let bits = |t: &D| match t {
        D::Decimal32(..) => 32,
        D::Decimal64(..) => 64,
        D::Decimal128(..) => 128,
        D::Decimal256(..) => 256,
        _ => 0,
    };
    let width: u16 = bits(a).max(bits(b));
    let fits = |max_precision: u8, max_width: u16| {
        precision <= i16::from(max_precision) && width <= max_width
    };
    let Ok(p) = u8::try_from(precision) else {
        return Some(D::Utf8);
    };
    Some(if fits(DECIMAL32_MAX_PRECISION, 32) {
        D::Decimal32(p, scale)
    } else if fits(DECIMAL64_MAX_PRECISION, 64) {
        D::Decimal64(p, scale)
    } else if fits(DECIMAL128_MAX_PRECISION, 128) {
        D::Decimal128(p, scale)
    } else if fits(DECIMAL256_MAX_PRECISION, 256) {
        D::Decimal256(p, scale)
    } else {
        D::Utf8
    })
}

fn merge_struct(a: &Fields, b: &Fields) -> Fields {
    let mut out: Vec<Field> = a
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    for f in b {
        match out.iter_mut().find(|o| o.name() == f.name()) {
            Some(o) => *o = Field::new(f.name(), merge_types(o.data_type(), f.data_type()), true),
            None => out.push(f.as_ref().clone().with_nullable(true)),
        }
    }
    Fields::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use DataType as D;

    #[test]
    fn merges_by_the_schema_free_rules() {
        assert_eq!(merge_types(&D::Int32, &D::Int64), D::Int64);
        assert_eq!(merge_types(&D::Int64, &D::Float64), D::Float64);
        assert_eq!(merge_types(&D::Int64, &D::Utf8), D::Utf8);
        assert_eq!(merge_types(&D::Date32, &D::Date32), D::Date32);
        assert_eq!(merge_types(&D::Date32, &D::Int64), D::Utf8);
        let s1 = D::Struct(Fields::from(vec![Field::new("x", D::Int64, true)]));
        let s2 = D::Struct(Fields::from(vec![Field::new("y", D::Utf8, true)]));
        assert_eq!(
            merge_types(&s1, &s2),
            D::Struct(Fields::from(vec![
                Field::new("x", D::Int64, true),
                Field::new("y", D::Utf8, true)
            ]))
        );
        assert_eq!(merge_types(&s1, &D::Int64), D::Utf8);
        let l1 = D::List(Arc::new(Field::new("item", D::Int64, true)));
        let l2 = D::List(Arc::new(Field::new("element", D::Float64, true)));
        assert_eq!(
            merge_types(&l1, &l2),
            D::List(Arc::new(Field::new("item", D::Float64, true)))
        );
    }

    #[test]
    fn timestamps_dates_and_times_take_the_finer_unit() {
        use TimeUnit as U;
        let ts = |u: U, zone: Option<&str>| D::Timestamp(u, zone.map(Arc::from));
        assert_eq!(
            merge_types(&ts(U::Millisecond, None), &ts(U::Microsecond, None)),
            ts(U::Microsecond, None)
        );
        assert_eq!(
            merge_types(&ts(U::Nanosecond, Some("UTC")), &ts(U::Second, Some("UTC"))),
            ts(U::Nanosecond, Some("UTC"))
        );
        // Two zones: the instants, in UTC. A zone and none: a conflict.
        assert_eq!(
            merge_types(
                &ts(U::Second, Some("Europe/Paris")),
                &ts(U::Millisecond, Some("+01:00"))
            ),
            ts(U::Millisecond, Some("+00:00"))
        );
        assert_eq!(
            merge_types(&ts(U::Second, Some("UTC")), &ts(U::Second, None)),
            D::Utf8
        );
        assert_eq!(
            merge_types(&D::Date32, &ts(U::Millisecond, None)),
            ts(U::Millisecond, None)
        );
        assert_eq!(
            merge_types(&ts(U::Second, Some("UTC")), &D::Date64),
            ts(U::Millisecond, Some("UTC"))
        );
        assert_eq!(merge_types(&D::Date32, &D::Date64), D::Date64);
        assert_eq!(
            merge_types(&D::Time32(U::Second), &D::Time32(U::Millisecond)),
            D::Time32(U::Millisecond)
        );
        assert_eq!(
            merge_types(&D::Time32(U::Millisecond), &D::Time64(U::Microsecond)),
            D::Time64(U::Microsecond)
        );
        assert_eq!(
            merge_types(&D::Duration(U::Second), &D::Duration(U::Nanosecond)),
            D::Duration(U::Nanosecond)
        );
        assert_eq!(merge_types(&ts(U::Second, None), &D::Int64), D::Utf8);
        assert_eq!(merge_types(&D::Time32(U::Second), &D::Date32), D::Utf8);
    }

    #[test]
    fn decimals_keep_every_digit_of_both() {
        assert_eq!(
            merge_types(&D::Decimal128(10, 2), &D::Decimal128(12, 4)),
            D::Decimal128(12, 4)
        );
        // 8 integer digits from one, 4 fraction digits from the other.
        assert_eq!(
            merge_types(&D::Decimal128(10, 2), &D::Decimal128(6, 4)),
            D::Decimal128(12, 4)
        );
        assert_eq!(
            merge_types(&D::Decimal32(5, 2), &D::Decimal64(4, 1)),
            D::Decimal64(5, 2)
        );
        assert_eq!(
            merge_types(&D::Decimal32(9, 0), &D::Decimal32(9, 9)),
            D::Decimal64(18, 9)
        );
        // Beyond 38 digits DECIMAL256; beyond its 76, the text.
        assert_eq!(
            merge_types(&D::Decimal128(38, 0), &D::Decimal128(38, 10)),
            D::Decimal256(48, 10)
        );
        assert_eq!(
            merge_types(&D::Decimal256(76, 0), &D::Decimal256(76, 76)),
            D::Utf8
        );
        // An integer is the decimal of scale 0 holding all its values.
        assert_eq!(
            merge_types(&D::Int32, &D::Decimal128(10, 2)),
            D::Decimal128(12, 2)
        );
        assert_eq!(
            merge_types(&D::Decimal32(3, 1), &D::Int8),
            D::Decimal32(4, 1)
        );
        assert_eq!(
            merge_types(&D::UInt64, &D::Decimal128(5, 2)),
            D::Decimal128(22, 2)
        );
        assert_eq!(merge_types(&D::Decimal128(10, 2), &D::Float64), D::Float64);
        assert_eq!(merge_types(&D::Decimal128(10, 2), &D::Utf8), D::Utf8);
        assert_eq!(
            merge_types(&D::Null, &D::Decimal128(10, 2)),
            D::Decimal128(10, 2)
        );
    }
}

/// Adapts each Parquet file's columns to the merged schema: DataFusion's default adapter
/// casts; a nested column (struct, list, map) that the merged schema makes VARCHAR becomes
/// its JSON text, which no cast gives.
#[derive(Debug)]
pub struct MergedSchemaAdapterFactory;

impl PhysicalExprAdapterFactory for MergedSchemaAdapterFactory {
    fn create(
        &self,
        logical_file_schema: SchemaRef,
        physical_file_schema: SchemaRef,
    ) -> datafusion::error::Result<Arc<dyn PhysicalExprAdapter>> {
        // Columns read as text: nested in this file, VARCHAR in the table.
        let mut as_text = vec![];
        let patched: Vec<Field> = physical_file_schema
            .fields()
            .iter()
            .map(|f| {
                let logical = logical_file_schema.field_with_name(f.name()).ok();
                match logical {
                    Some(l) if l.data_type() == &DataType::Utf8 && f.data_type().is_nested() => {
                        as_text.push(f.name().clone());
                        Field::new(f.name(), DataType::Utf8, true)
                    }
                    _ => f.as_ref().clone(),
                }
            })
            .collect();
        let inner = DefaultPhysicalExprAdapterFactory.create(
            Arc::clone(&logical_file_schema),
            Arc::new(Schema::new(patched)),
        )?;
        Ok(Arc::new(MergedSchemaAdapter {
            inner,
            as_text,
            json_text: Arc::new(ScalarUDF::new_from_impl(JsonText::new())),
        }))
    }
}

#[derive(Debug)]
struct MergedSchemaAdapter {
    inner: Arc<dyn PhysicalExprAdapter>,
    as_text: Vec<String>,
    json_text: Arc<ScalarUDF>,
}

impl PhysicalExprAdapter for MergedSchemaAdapter {
    fn rewrite(
        &self,
        expr: Arc<dyn PhysicalExpr>,
    ) -> datafusion::error::Result<Arc<dyn PhysicalExpr>> {
        let expr = self.inner.rewrite(expr)?;
        if self.as_text.is_empty() {
            return Ok(expr);
        }
        expr.transform_up(|e| {
            if let Some(column) = e.downcast_ref::<Column>()
                && self.as_text.iter().any(|n| n == column.name())
            {
                let text: Arc<dyn PhysicalExpr> = Arc::new(ScalarFunctionExpr::new(
                    JsonText::NAME,
                    Arc::clone(&self.json_text),
                    vec![Arc::clone(&e)],
                    Arc::new(Field::new(column.name(), DataType::Utf8, true)),
                    Arc::new(ConfigOptions::default()),
                ));
                return Ok(Transformed::yes(text));
            }
            Ok(Transformed::no(e))
        })
        .map(|t| t.data)
    }
}

/// Any value as the text a user reads: nested values as JSON, scalars as Arrow shows them.
#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonText {
    signature: Signature,
}

impl JsonText {
    const NAME: &'static str = "auger_json_text";

    fn new() -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for JsonText {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let rows = args.number_rows;
        let Some(arg) = args.args.first() else {
            return Err(DataFusionError::Internal(
                "auger_json_text takes one argument".into(),
            ));
        };
        let array = arg.to_array(rows)?;
        let texts: StringArray = (0..array.len())
            .map(|i| value_text(&array, i))
            .collect::<std::result::Result<_, _>>()?;
        Ok(ColumnarValue::Array(Arc::new(texts)))
    }
}
