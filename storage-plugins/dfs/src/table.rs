//! A table of files: one file, a directory, or a glob, all of one format.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::Result;
use datafusion::datasource::TableProvider;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, FileSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::ExecutionPlan;
use object_store::ObjectMeta;

use crate::format::TableFormat;
use crate::format::source::{RowFileSource, RowFormat};

#[derive(Debug)]
pub struct DfsTable {
    pub(crate) store_url: ObjectStoreUrl,
    pub(crate) display_prefix: String,
    pub(crate) format: TableFormat,
    pub(crate) files: Vec<ObjectMeta>,
    pub(crate) schema: SchemaRef,
}

impl DfsTable {
    /// Spreads files over at most `partitions` groups of about equal total size.
    fn file_groups(&self, partitions: usize) -> Vec<FileGroup> {
        let n = partitions.clamp(1, self.files.len().max(1));
        let mut groups: Vec<(u64, Vec<PartitionedFile>)> = (0..n).map(|_| (0, vec![])).collect();
        let mut files: Vec<&ObjectMeta> = self.files.iter().collect();
        files.sort_by(|a, b| b.size.cmp(&a.size).then(a.location.cmp(&b.location)));
        for meta in files {
            if let Some(smallest) = groups.iter_mut().min_by_key(|(size, _)| *size) {
                smallest.0 += meta.size;
                smallest
                    .1
                    .push(PartitionedFile::new_from_meta(meta.clone()));
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

#[async_trait]
impl TableProvider for DfsTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let table_schema = TableSchema::from(Arc::clone(&self.schema));
        let partitions = state.config_options().execution.target_partitions;
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
                return Err(datafusion::error::DataFusionError::Internal(
                    "parquet table without a parquet format".into(),
                ));
            }
        };
        let config = FileScanConfigBuilder::new(self.store_url.clone(), source)
            .with_file_groups(self.file_groups(partitions))
            .with_projection_indices(projection.cloned())?
            .with_limit(limit)
            .build();
        match parquet {
            Some(format) => format.create_physical_plan(state, config).await,
            None => Ok(DataSourceExec::from_data_source(config)),
        }
    }
}
