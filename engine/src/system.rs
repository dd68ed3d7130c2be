//! The `sys` schema, as in Drill: `sys.options`, `sys.version`, `sys.functions`,
//! `sys.memory`. Its tables are built when a statement opens them, from that statement's
//! session (its options), so they always show what the session sees.
//!
//! It lives in the engine rather than the catalog crate because its tables describe the
//! session and the function registry, which the catalog does not know.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray, UInt64Array,
};
use arrow::datatypes::{Field, Schema};
use async_trait::async_trait;
use auger_catalog::{StoragePlugin, TableRequest};
use auger_common::options::{OPTIONS, OptionScope, SessionOptions};
use datafusion::catalog::{CatalogProvider, MemTable, SchemaProvider};
use datafusion::datasource::TableProvider;
use datafusion::error::{DataFusionError, Result};

use crate::profile::ProfileStore;

pub const SYS: &str = "sys";
const TABLES: &[&str] = &["functions", "memory", "options", "profiles", "version"];

/// The `sys` plugin: one schema whose tables describe the running Auger.
#[derive(Debug)]
pub struct SysPlugin {
    /// Every function a query can call: name → kind (scalar, aggregate, window, table).
    functions: BTreeMap<String, &'static str>,
    profiles: Arc<ProfileStore>,
}

impl SysPlugin {
    pub fn new(functions: BTreeMap<String, &'static str>, profiles: Arc<ProfileStore>) -> Self {
        Self {
            functions,
            profiles,
        }
    }

    /// The profiles kept, newest first (Drill's `sys.profiles` columns, in Auger's words).
    fn profiles_batch(&self) -> Result<RecordBatch> {
        let profiles = self.profiles.list();
        let text = |key: &str| -> ArrayRef {
            Arc::new(StringArray::from(
                profiles
                    .iter()
                    .map(|p| p.get(key).and_then(|v| v.as_str()).map(str::to_string))
                    .collect::<Vec<_>>(),
            ))
        };
        let int = |key: &str| -> Vec<Option<i64>> {
            profiles
                .iter()
                .map(|p| p.get(key).and_then(|v| v.as_i64()))
                .collect()
        };
        batch(vec![
            ("queryId", text("queryId")),
            (
                "startTime",
                Arc::new(TimestampMillisecondArray::from(int("start"))),
            ),
            (
                "endTime",
                Arc::new(TimestampMillisecondArray::from(int("end"))),
            ),
            ("totalTime", Arc::new(Int64Array::from(int("totalTimeMs")))),
            ("user", text("user")),
            ("state", text("state")),
            ("rows", Arc::new(Int64Array::from(int("rows")))),
            (
                "recordsSkipped",
                Arc::new(Int64Array::from(int("recordsSkipped"))),
            ),
            ("query", text("query")),
            ("error", text("error")),
        ])
    }

    fn table(
        &self,
        name: &str,
        options: &SessionOptions,
    ) -> Result<Option<Arc<dyn TableProvider>>> {
        let batch = match name.to_ascii_lowercase().as_str() {
            "options" => options_batch(options)?,
            "version" => version_batch()?,
            "functions" => self.functions_batch()?,
            "memory" => memory_batch()?,
            "profiles" => self.profiles_batch()?,
            _ => {
                return Err(DataFusionError::Plan(format!(
                    "Table 'sys.{name}' not found. sys has: {}",
                    TABLES.join(", ")
                )));
            }
        };
        let table = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
        Ok(Some(Arc::new(table)))
    }

    fn functions_batch(&self) -> Result<RecordBatch> {
        let names: Vec<&str> = self.functions.keys().map(String::as_str).collect();
        let kinds: Vec<&str> = self.functions.values().copied().collect();
        batch(vec![
            ("name", Arc::new(StringArray::from(names))),
            ("kind", Arc::new(StringArray::from(kinds))),
        ])
    }
}

/// A one-batch table from named columns (every column nullable).
pub(crate) fn batch(columns: Vec<(&str, ArrayRef)>) -> Result<RecordBatch> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    let arrays = columns.into_iter().map(|(_, a)| a).collect();
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

/// Drill's columns: name, kind, accessibleScopes, optionScope (where the value in effect
/// comes from), status (DEFAULT or CHANGED), val; and the description.
fn options_batch(options: &SessionOptions) -> Result<RecordBatch> {
    let mut names = vec![];
    let mut kinds = vec![];
    let mut scopes = vec![];
    let mut statuses = vec![];
    let mut values = vec![];
    let mut descriptions = vec![];
    for def in OPTIONS {
        let (value, scope) = options.get(def);
        names.push(def.name);
        kinds.push(def.kind.to_string());
        scopes.push(scope.to_string());
        statuses.push(if scope == OptionScope::Boot {
            "DEFAULT"
        } else {
            "CHANGED"
        });
        values.push(value.to_string());
        descriptions.push(def.description);
    }
    batch(vec![
        ("name", Arc::new(StringArray::from(names))),
        ("kind", Arc::new(StringArray::from(kinds))),
        (
            "accessibleScopes",
            Arc::new(StringArray::from(vec!["ALL"; OPTIONS.len()])),
        ),
        ("optionScope", Arc::new(StringArray::from(scopes))),
        ("status", Arc::new(StringArray::from(statuses))),
        ("val", Arc::new(StringArray::from(values))),
        ("description", Arc::new(StringArray::from(descriptions))),
    ])
}

fn version_batch() -> Result<RecordBatch> {
    batch(vec![
        (
            "version",
            Arc::new(StringArray::from(vec![env!("CARGO_PKG_VERSION")])),
        ),
        (
            "commit_id",
            Arc::new(StringArray::from(vec![option_env!("AUGER_COMMIT")])),
        ),
        (
            "datafusion_version",
            Arc::new(StringArray::from(vec![datafusion::DATAFUSION_VERSION])),
        ),
    ])
}

/// This process's memory: resident and virtual size, from /proc (0 where it is not there).
fn memory_batch() -> Result<RecordBatch> {
    let (resident, virtual_size) = process_memory();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    batch(vec![
        ("hostname", Arc::new(StringArray::from(vec![host]))),
        (
            "resident_bytes",
            Arc::new(UInt64Array::from(vec![resident])),
        ),
        (
            "virtual_bytes",
            Arc::new(UInt64Array::from(vec![virtual_size])),
        ),
    ])
}

fn process_memory() -> (u64, u64) {
    // statm: size resident shared text lib data dt, in pages.
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return (0, 0);
    };
    let pages: Vec<u64> = statm
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    let page = 4096;
    match pages.as_slice() {
        [size, resident, ..] => (resident * page, size * page),
        _ => (0, 0),
    }
}

#[async_trait]
impl StoragePlugin for SysPlugin {
    fn name(&self) -> &str {
        SYS
    }

    fn kind(&self) -> &str {
        SYS
    }

    fn catalog(&self) -> Arc<dyn CatalogProvider> {
        Arc::new(SysCatalog {
            functions: self.functions.clone(),
            profiles: Arc::clone(&self.profiles),
        })
    }

    fn default_schema(&self) -> String {
        String::new()
    }

    async fn open_table(
        &self,
        schema: &str,
        table: &str,
        request: &TableRequest,
    ) -> Result<Option<Arc<dyn TableProvider>>> {
        if !schema.is_empty() {
            return Ok(None);
        }
        self.table(table, &request.options)
    }
}

#[derive(Debug)]
struct SysCatalog {
    functions: BTreeMap<String, &'static str>,
    profiles: Arc<ProfileStore>,
}

impl CatalogProvider for SysCatalog {
    fn schema_names(&self) -> Vec<String> {
        vec![String::new()]
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        name.is_empty().then(|| {
            Arc::new(SysSchema {
                plugin: SysPlugin::new(self.functions.clone(), Arc::clone(&self.profiles)),
            }) as Arc<dyn SchemaProvider>
        })
    }
}

#[derive(Debug)]
struct SysSchema {
    plugin: SysPlugin,
}

#[async_trait]
impl SchemaProvider for SysSchema {
    fn table_names(&self) -> Vec<String> {
        TABLES.iter().map(|t| t.to_string()).collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        self.plugin.table(name, &SessionOptions::new())
    }

    fn table_exist(&self, name: &str) -> bool {
        TABLES.iter().any(|t| t.eq_ignore_ascii_case(name))
    }
}
