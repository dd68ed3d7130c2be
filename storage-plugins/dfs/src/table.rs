//! A table of files: one file, a directory, or a glob, all of one format, with Drill's
//! implicit columns (`filename`, `filepath`, `fqn`, `suffix`, `dir0`, `dir1`, ...).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, StringArray};
use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::datasource::TableProvider;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, FileSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::error::DataFusionError;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::utils::expr_to_columns;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;
use object_store::ObjectMeta;
use object_store::path::Path;

use crate::format::TableFormat;
use crate::format::parquet::{MergedSchemaAdapterFactory, file_statistics};
use crate::format::source::{RowFileSource, RowFormat};

/// A column whose value comes from where a file is, not from what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImplicitColumn {
    /// `filename`: `a.json`.
    Filename,
    /// `filepath`: the directory holding the file, `/data/2014/08`.
    Filepath,
    /// `fqn`: the file's full path, `/data/2014/08/a.json`.
    Fqn,
    /// `suffix`: the file name's extension, `json`.
    Suffix,
    /// `dirN`: the Nth directory below the table's root (0-based).
    Dir(usize),
}

impl ImplicitColumn {
    /// The implicit column a (lower-case) name means.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "filename" => Some(Self::Filename),
            "filepath" => Some(Self::Filepath),
            "fqn" => Some(Self::Fqn),
            "suffix" => Some(Self::Suffix),
            _ => name
                .strip_prefix("dir")
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse().ok())
                .map(Self::Dir),
        }
    }

    pub fn name(&self) -> String {
        match self {
            Self::Filename => "filename".into(),
            Self::Filepath => "filepath".into(),
            Self::Fqn => "fqn".into(),
            Self::Suffix => "suffix".into(),
            Self::Dir(n) => format!("dir{n}"),
        }
    }

    /// This column's value for a file found under `root`.
    fn value(&self, root: &Path, file: &Path, display_prefix: &str) -> Option<String> {
        let full = file.as_ref();
        match self {
            Self::Filename => file.filename().map(str::to_string),
            Self::Filepath => {
                let dir = full.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                Some(format!("{display_prefix}{dir}"))
            }
            Self::Fqn => Some(format!("{display_prefix}{full}")),
            Self::Suffix => file
                .filename()
                .and_then(|n| n.rsplit_once('.'))
                .map(|(_, ext)| ext.to_string()),
            Self::Dir(n) => relative_dirs(root, file).nth(*n).map(str::to_string),
        }
    }
}

/// The directories between a table's root and one of its files.
fn relative_dirs<'a>(root: &Path, file: &'a Path) -> impl Iterator<Item = &'a str> {
    let full = file.as_ref();
    let root = root.as_ref();
    let relative = match full.strip_prefix(root) {
        Some(rest) if !root.is_empty() => rest.trim_start_matches('/'),
        Some(rest) => rest,
        None => "",
    };
    let dirs = relative.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    dirs.split('/').filter(|d| !d.is_empty())
}

/// The implicit columns a table exposes: `dirN` for every level of subdirectory it has, and
/// any other implicit column the statement names, unless the files have a column of that
/// name (a real column wins).
pub fn implicit_columns(
    root: &Path,
    files: &[ObjectMeta],
    file_schema: &Schema,
    requested: &[String],
) -> Vec<ImplicitColumn> {
    let depth = files
        .iter()
        .map(|f| relative_dirs(root, &f.location).count())
        .max()
        .unwrap_or(0);
    let mut columns: Vec<ImplicitColumn> = (0..depth).map(ImplicitColumn::Dir).collect();
    for name in requested {
        if let Some(c) = ImplicitColumn::parse(name)
            && !columns.contains(&c)
        {
            columns.push(c);
        }
    }
    columns.retain(|c| {
        let name = c.name();
        !file_schema
            .fields()
            .iter()
            .any(|f| f.name().eq_ignore_ascii_case(&name))
    });
    columns
}

#[derive(Debug)]
pub struct DfsTable {
    store_url: ObjectStoreUrl,
    display_prefix: String,
    format: TableFormat,
    root: Path,
    files: Vec<ObjectMeta>,
    file_schema: SchemaRef,
    implicit: Vec<ImplicitColumn>,
    /// The file columns followed by the implicit ones.
    schema: SchemaRef,
}

impl DfsTable {
    pub fn new(
        store_url: ObjectStoreUrl,
        display_prefix: String,
        format: TableFormat,
        root: Path,
        files: Vec<ObjectMeta>,
        file_schema: SchemaRef,
        implicit: Vec<ImplicitColumn>,
    ) -> Self {
        let mut fields: Vec<FieldRef> = file_schema.fields().iter().cloned().collect();
        fields.extend(implicit_fields(&implicit));
        let schema = Arc::new(Schema::new(fields));
        Self {
            store_url,
            display_prefix,
            format,
            root,
            files,
            file_schema,
            implicit,
            schema,
        }
    }

    fn implicit_values(&self, file: &ObjectMeta) -> Vec<ScalarValue> {
        self.implicit
            .iter()
            .map(|c| ScalarValue::Utf8(c.value(&self.root, &file.location, &self.display_prefix)))
            .collect()
    }

    /// The files left after filters on implicit columns (`dir0 = '2014'`), so that pruned
    /// directories are never opened.
    fn prune(&self, state: &dyn Session, filters: &[Expr]) -> Result<Vec<&ObjectMeta>> {
        let implicit_names: Vec<String> = self.implicit.iter().map(|c| c.name()).collect();
        let usable: Vec<&Expr> = filters
            .iter()
            .filter(|f| only_references(f, &implicit_names))
            .collect();
        if usable.is_empty() || self.files.is_empty() {
            return Ok(self.files.iter().collect());
        }
        let schema = Arc::new(Schema::new(implicit_fields(&self.implicit)));
        let columns: Vec<ArrayRef> = (0..self.implicit.len())
            .map(|i| {
                Arc::new(StringArray::from_iter(self.files.iter().map(|f| {
                    self.implicit[i].value(&self.root, &f.location, &self.display_prefix)
                }))) as ArrayRef
            })
            .collect();
        let batch = RecordBatch::try_new(Arc::clone(&schema), columns)?;
        let df_schema = DFSchema::try_from(Arc::clone(&schema))?;
        let mut keep = vec![true; self.files.len()];
        for filter in usable {
            let expr = state.create_physical_expr(filter.clone(), &df_schema)?;
            let result = expr.evaluate(&batch)?.into_array(batch.num_rows())?;
            let mask = result
                .as_any()
                .downcast_ref::<BooleanArray>()
                .ok_or_else(|| {
                    DataFusionError::Internal("a directory filter is not boolean".into())
                })?;
            for (i, k) in keep.iter_mut().enumerate() {
                // NULL (no such directory level) does not match, as in SQL.
                *k = *k && mask.is_valid(i) && mask.value(i);
            }
        }
        Ok(self
            .files
            .iter()
            .zip(keep)
            .filter_map(|(f, k)| k.then_some(f))
            .collect())
    }

    /// Row counts and column statistics from each Parquet file's footer, as DataFusion's own
    /// listing tables collect them: the planner orders joins and picks build sides by them.
    /// A file whose statistics cannot be read counts as unknown.
    async fn parquet_statistics(
        &self,
        state: &dyn Session,
        format: &ParquetFormat,
        groups: Vec<FileGroup>,
    ) -> Result<(Vec<FileGroup>, datafusion::common::Statistics)> {
        let store = state.runtime_env().object_store(&self.store_url)?;
        let mut with_stats = Vec::with_capacity(groups.len());
        for group in groups {
            let mut files = Vec::with_capacity(group.len());
            for file in group.into_inner() {
                let stats =
                    file_statistics(format, state, &store, &self.file_schema, &file.object_meta)
                        .await
                        .unwrap_or_else(|_| {
                            datafusion::common::Statistics::new_unknown(&self.file_schema)
                        });
                files.push(file.with_statistics(Arc::new(stats)));
            }
            with_stats.push(FileGroup::new(files));
        }
        datafusion_datasource::compute_all_files_statistics(
            with_stats,
            Arc::clone(&self.schema),
            true,
            false,
        )
    }

    /// Spreads files over at most `partitions` groups of about equal total size.
    fn file_groups(&self, files: &[&ObjectMeta], partitions: usize) -> Vec<FileGroup> {
        let n = partitions.clamp(1, files.len().max(1));
        let mut groups: Vec<(u64, Vec<PartitionedFile>)> = (0..n).map(|_| (0, vec![])).collect();
        let mut files: Vec<&ObjectMeta> = files.to_vec();
        files.sort_by(|a, b| b.size.cmp(&a.size).then(a.location.cmp(&b.location)));
        for meta in files {
            if let Some(smallest) = groups.iter_mut().min_by_key(|(size, _)| *size) {
                smallest.0 += meta.size;
                smallest.1.push(
                    PartitionedFile::new_from_meta(meta.clone())
                        .with_partition_values(self.implicit_values(meta)),
                );
            }
        }
        groups
            .into_iter()
            .filter(|(_, files)| !files.is_empty())
            .map(|(_, mut files)| {
                files.sort_by(|a, b| a.object_meta.location.cmp(&b.object_meta.location));
                FileGroup::new(files)
            })
            .collect()
    }
}

fn implicit_fields(implicit: &[ImplicitColumn]) -> Vec<FieldRef> {
    implicit
        .iter()
        .map(|c| Arc::new(Field::new(c.name(), DataType::Utf8, true)))
        .collect()
}

/// Whether `expr` references columns, all of them among `names`.
fn only_references(expr: &Expr, names: &[String]) -> bool {
    let mut columns = std::collections::HashSet::new();
    if expr_to_columns(expr, &mut columns).is_err() || columns.is_empty() {
        return false;
    }
    columns.iter().all(|c| names.contains(&c.name))
}

#[async_trait]
impl TableProvider for DfsTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        let implicit_names: Vec<String> = self.implicit.iter().map(|c| c.name()).collect();
        Ok(filters
            .iter()
            .map(|f| {
                if only_references(f, &implicit_names) {
                    // Applied exactly, by leaving out the files that fail it.
                    TableProviderFilterPushDown::Exact
                } else {
                    TableProviderFilterPushDown::Inexact
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let table_schema = TableSchema::builder(Arc::clone(&self.file_schema))
            .with_table_partition_cols(implicit_fields(&self.implicit))
            .build();
        let partitions = state.config_options().execution.target_partitions;
        let files = self.prune(state, filters)?;
        let parquet = matches!(self.format, TableFormat::Parquet)
            .then(|| ParquetFormat::default().with_options(state.default_table_options().parquet));
        let source: Arc<dyn FileSource> = match (&self.format, &parquet) {
            (TableFormat::Text(options), _) => Arc::new(RowFileSource::new(
                RowFormat::Text(options.clone()),
                table_schema,
                self.display_prefix.clone(),
            )),
            (TableFormat::Json(options), _) => Arc::new(RowFileSource::new(
                RowFormat::Json(options.clone()),
                table_schema,
                self.display_prefix.clone(),
            )),
            (TableFormat::Parquet, Some(format)) => format.file_source(table_schema),
            (TableFormat::Parquet, None) => {
                return Err(DataFusionError::Internal(
                    "parquet table without a parquet format".into(),
                ));
            }
        };
        let mut groups = self.file_groups(&files, partitions);
        let mut statistics = None;
        if let Some(format) = &parquet
            && state.config_options().execution.collect_statistics
        {
            let (with_stats, total) = self.parquet_statistics(state, format, groups).await?;
            groups = with_stats;
            statistics = Some(total);
        }
        let mut builder = FileScanConfigBuilder::new(self.store_url.clone(), source)
            .with_expr_adapter(
                parquet
                    .is_some()
                    .then(|| Arc::new(MergedSchemaAdapterFactory) as _),
            )
            .with_file_groups(groups);
        if let Some(statistics) = statistics {
            builder = builder.with_statistics(statistics);
        }
        let config = builder
            .with_projection_indices(projection.cloned())?
            .with_limit(limit)
            .build();
        match parquet {
            Some(format) => format.create_physical_plan(state, config).await,
            None => Ok(DataSourceExec::from_data_source(config)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implicit_values() {
        let root = Path::from("data/logs");
        let file = Path::from("data/logs/2014/08/a.json.gz");
        let v = |c: ImplicitColumn| c.value(&root, &file, "/");
        assert_eq!(v(ImplicitColumn::Filename).as_deref(), Some("a.json.gz"));
        assert_eq!(
            v(ImplicitColumn::Filepath).as_deref(),
            Some("/data/logs/2014/08")
        );
        assert_eq!(
            v(ImplicitColumn::Fqn).as_deref(),
            Some("/data/logs/2014/08/a.json.gz")
        );
        assert_eq!(v(ImplicitColumn::Suffix).as_deref(), Some("gz"));
        assert_eq!(v(ImplicitColumn::Dir(0)).as_deref(), Some("2014"));
        assert_eq!(v(ImplicitColumn::Dir(1)).as_deref(), Some("08"));
        assert_eq!(v(ImplicitColumn::Dir(2)), None);
        assert_eq!(
            ImplicitColumn::parse("dir12"),
            Some(ImplicitColumn::Dir(12))
        );
        assert_eq!(ImplicitColumn::parse("dirx"), None);
        assert_eq!(ImplicitColumn::parse("dir"), None);
    }
}
