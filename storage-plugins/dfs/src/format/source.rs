//! The DataFusion `FileSource` for Auger's own row formats (JSON and delimited text): it opens
//! each file (decompressing by extension), and decodes it with the reader of its format into
//! batches of the table's schema.

use std::io::Read;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use auger_common::json::{JsonBatchReader, JsonReadOptions, SKIPPED_RECORDS};
use datafusion::common::Result;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{
    FileOpenFuture, FileOpener, FileScanConfig, FileSource,
};
use datafusion::datasource::projection::{ProjectionOpener, SplitProjection};
use datafusion::datasource::table_schema::TableSchema;
use datafusion::error::DataFusionError;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::projection::ProjectionExprs;
use datafusion::physical_plan::metrics::{Count, ExecutionPlanMetricsSet, MetricBuilder};
use futures::StreamExt;
use object_store::{GetResultPayload, ObjectStore, ObjectStoreExt};

use super::text::{TextBatchReader, TextOptions};

/// A row-oriented format Auger decodes itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RowFormat {
    Text(TextOptions),
    Json(JsonReadOptions),
}

#[derive(Clone)]
pub struct RowFileSource {
    format: RowFormat,
    table_schema: TableSchema,
    projection: SplitProjection,
    batch_size: Option<usize>,
    metrics: ExecutionPlanMetricsSet,
    /// Prepended to object paths so errors show paths as the user wrote them
    /// (`/` for local files, `s3://bucket/` for S3).
    display_prefix: String,
}

impl RowFileSource {
    pub fn new(format: RowFormat, table_schema: TableSchema, display_prefix: String) -> Self {
        Self {
            format,
            projection: SplitProjection::unprojected(&table_schema),
            table_schema,
            batch_size: None,
            metrics: ExecutionPlanMetricsSet::new(),
            display_prefix,
        }
    }
}

impl FileSource for RowFileSource {
    fn create_file_opener(
        &self,
        object_store: Arc<dyn ObjectStore>,
        _base_config: &FileScanConfig,
        _partition: usize,
    ) -> Result<Arc<dyn FileOpener>> {
        let opener: Arc<dyn FileOpener> = Arc::new(RowFileOpener {
            skipped: MetricBuilder::new(&self.metrics).global_counter(SKIPPED_RECORDS),
            format: self.format.clone(),
            file_schema: Arc::clone(self.table_schema.file_schema()),
            file_indices: self.projection.file_indices.clone(),
            batch_size: self.batch_size.unwrap_or(8192),
            store: object_store,
            display_prefix: self.display_prefix.clone(),
        });
        ProjectionOpener::try_new(
            self.projection.clone(),
            opener,
            self.table_schema.file_schema(),
        )
    }

    fn table_schema(&self) -> &TableSchema {
        &self.table_schema
    }

    fn with_batch_size(&self, batch_size: usize) -> Arc<dyn FileSource> {
        let mut source = self.clone();
        source.batch_size = Some(batch_size);
        Arc::new(source)
    }

    fn try_pushdown_projection(
        &self,
        projection: &ProjectionExprs,
    ) -> Result<Option<Arc<dyn FileSource>>> {
        let mut source = self.clone();
        let merged = self.projection.source.try_merge(projection)?;
        source.projection = SplitProjection::new(self.table_schema.file_schema(), &merged);
        Ok(Some(Arc::new(source)))
    }

    fn projection(&self) -> Option<&ProjectionExprs> {
        Some(&self.projection.source)
    }

    fn metrics(&self) -> &ExecutionPlanMetricsSet {
        &self.metrics
    }

    fn file_type(&self) -> &str {
        match self.format {
            RowFormat::Text(_) => "text",
            RowFormat::Json(_) => "json",
        }
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        datafusion::physical_plan::apply_expression_roots(self.projection.source.iter(), f)
    }

    fn supports_repartitioning(&self) -> bool {
        // Error messages name the line of a bad record, which a byte-range split cannot know.
        false
    }
}

struct RowFileOpener {
    skipped: Count,
    format: RowFormat,
    file_schema: SchemaRef,
    file_indices: Vec<usize>,
    batch_size: usize,
    store: Arc<dyn ObjectStore>,
    display_prefix: String,
}

type BatchIter = Box<dyn Iterator<Item = auger_common::Result<RecordBatch>> + Send>;

impl FileOpener for RowFileOpener {
    fn open(&self, file: PartitionedFile) -> Result<FileOpenFuture> {
        let store = Arc::clone(&self.store);
        let format = self.format.clone();
        let file_schema = Arc::clone(&self.file_schema);
        let indices = self.file_indices.clone();
        let batch_size = self.batch_size;
        let skipped = self.skipped.clone();
        let path = format!("{}{}", self.display_prefix, file.object_meta.location);
        Ok(Box::pin(async move {
            let input = open_object(&store, &file.object_meta.location, &path).await?;
            let batches: BatchIter = match format {
                RowFormat::Json(options) => Box::new(CountSkipped {
                    reader: JsonBatchReader::new(
                        input,
                        &path,
                        &file_schema,
                        Some(&indices),
                        options,
                        batch_size,
                    )?,
                    counted: 0,
                    skipped,
                }),
                RowFormat::Text(options) => Box::new(TextBatchReader::new(
                    input,
                    &path,
                    options,
                    file_schema,
                    Some(&indices),
                    batch_size,
                )?),
            };
            Ok(futures::stream::iter(batches.map(|b| b.map_err(DataFusionError::from))).boxed())
        }))
    }
}

/// Adds the records a JSON reader skips to the scan's metric as it goes.
struct CountSkipped<R> {
    reader: JsonBatchReader<R>,
    counted: u64,
    skipped: Count,
}

impl<R: Read> Iterator for CountSkipped<R> {
    type Item = auger_common::Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.reader.next();
        let now = self.reader.skipped();
        if now > self.counted {
            self.skipped
                .add(usize::try_from(now - self.counted).unwrap_or(usize::MAX));
            self.counted = now;
        }
        next
    }
}

/// Opens an object for reading, decompressing `.gz` files on the way.
pub async fn open_object(
    store: &Arc<dyn ObjectStore>,
    location: &object_store::path::Path,
    display_path: &str,
) -> auger_common::Result<Box<dyn Read + Send>> {
    let io_error = |message: String| auger_common::Error::Io {
        path: display_path.to_string(),
        message,
    };
    let result = store
        .get(location)
        .await
        .map_err(|e| io_error(object_store_message(&e)))?;
    let raw: Box<dyn Read + Send> = match result.payload {
        GetResultPayload::File(file, _) => {
            Box::new(std::io::BufReader::with_capacity(1 << 20, file))
        }
        GetResultPayload::Stream(_) => {
            let bytes = result
                .bytes()
                .await
                .map_err(|e| io_error(object_store_message(&e)))?;
            Box::new(std::io::Cursor::new(bytes))
        }
    };
    Ok(decompressed(location, raw))
}

/// An object's bytes as its name says to read them: `.gz` files through gzip.
pub fn decompressed(
    location: &object_store::path::Path,
    raw: Box<dyn Read + Send>,
) -> Box<dyn Read + Send> {
    if location.as_ref().ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(raw))
    } else {
        raw
    }
}

/// object_store's messages repeat the path and the store's name; keep what a user needs.
pub fn object_store_message(e: &object_store::Error) -> String {
    match e {
        object_store::Error::NotFound { .. } => "no such file or directory".into(),
        other => other.to_string(),
    }
}
