//! The files a query was reading, added to the errors raised while it runs that do not say
//! where: a Parquet page that cannot be decoded, a value that cannot be cast or divided. The
//! JSON and text readers name the file and line themselves.
//!
//! Which file of several was being read is not known here: the Parquet decoder's errors carry
//! no path, and DataFusion's Parquet scan is used as it is (its planner and Auger's own rules
//! look for it by type, so it is not wrapped). A query of one file names that file; a query of
//! several names the first few it reads.

use std::sync::Arc;

use arrow::error::ArrowError;
use auger_common::error::{Error, root_error, user_message};
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;

/// How many files an error names; the others are counted.
const NAMED: usize = 3;

/// `stream`, its errors naming the files `plan` reads where they do not say themselves.
pub(crate) fn name_read_files(
    stream: SendableRecordBatchStream,
    plan: &Arc<dyn ExecutionPlan>,
) -> SendableRecordBatchStream {
    let mut files = vec![];
    scanned_files(plan, &mut files);
    if files.is_empty() {
        return stream;
    }
    let schema = stream.schema();
    Box::pin(RecordBatchStreamAdapter::new(
        schema,
        stream.map(move |batch| batch.map_err(|e| with_files(e, &files))),
    ))
}

struct ScannedFile {
    /// As users write it: `/data/a.parquet`, `s3://bucket/a.parquet`.
    path: String,
    parquet: bool,
}

fn scanned_files(plan: &Arc<dyn ExecutionPlan>, out: &mut Vec<ScannedFile>) {
    if let Some(exec) = plan.downcast_ref::<DataSourceExec>()
        && let Some(config) = exec.data_source().downcast_ref::<FileScanConfig>()
    {
        let parquet = config.file_source().file_type() == "parquet";
        let store = config.object_store_url.as_str();
        for file in config.file_groups.iter().flat_map(|group| group.iter()) {
            let location = file.object_meta.location.as_ref();
            let path = if store.starts_with("file:") {
                format!("/{location}")
            } else {
                format!("{store}{location}")
            };
            if !out.iter().any(|f| f.path == path) {
                out.push(ScannedFile { path, parquet });
            }
        }
    }
    for child in plan.children() {
        scanned_files(child, out);
    }
}

/// `error` with the files being read, when it is one that says what went wrong with the data
/// but not where.
fn with_files(error: DataFusionError, files: &[ScannedFile]) -> DataFusionError {
    let parquet_only = match root_error(&error) {
        DataFusionError::ParquetError(_) => true,
        DataFusionError::ArrowError(e, _) => match e.as_ref() {
            ArrowError::ParquetError(_) => true,
            ArrowError::CastError(_)
            | ArrowError::ParseError(_)
            | ArrowError::DivideByZero
            | ArrowError::ArithmeticOverflow(_) => false,
            _ => return error,
        },
        _ => return error,
    };
    let paths: Vec<&str> = files
        .iter()
        .filter(|f| f.parquet || !parquet_only)
        .map(|f| f.path.as_str())
        .collect();
    let files = match paths.as_slice() {
        [] => return error,
        [one] => (*one).to_string(),
        several if several.len() <= NAMED => format!("one of {}", several.join(", ")),
        many => format!(
            "one of {} and {} more files",
            many[..NAMED].join(", "),
            many.len() - NAMED
        ),
    };
    DataFusionError::External(Box::new(Error::Reading {
        files,
        message: user_message(&error),
    }))
}
