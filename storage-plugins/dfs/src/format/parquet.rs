//! Parquet files of one table whose schemas differ are merged by the schema-free rules
//! (DESIGN.md): a column takes the least type that holds every file's values.
//!
//! Types equal in every file are kept as they are (dates, decimals, timestamps...). Otherwise:
//! a file without the column adds nothing (the column is NULL there); integers widen to
//! BIGINT; integers and floats to DOUBLE; structs take the union of their fields; lists merge
//! their element types; any other conflict is VARCHAR. The scan casts each file's columns to
//! the merged types.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use arrow::array::StringArray;
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};
use auger_common::display::value_text;
use auger_common::{Error, Result};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
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
            .map_err(|message| Error::Io { path, message })?;
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
    let number =
        |t: &D| integer(t) || matches!(t, D::UInt64 | D::Float16 | D::Float32 | D::Float64);
    let text = |t: &D| matches!(t, D::Utf8 | D::LargeUtf8 | D::Utf8View);
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
            return Err(datafusion::error::DataFusionError::Internal(
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
