//! `INFORMATION_SCHEMA`, with Drill's tables and column names: CATALOGS, SCHEMATA, TABLES,
//! COLUMNS, VIEWS, FILES. Built when a statement opens one, from the plugins registered then.
//!
//! As in Drill, files are not tables here: `TABLES` lists the tables a schema names itself
//! (system tables, views), and `FILES` lists the top level of every file workspace.

use std::sync::{Arc, Weak};

use arrow::array::{
    ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use arrow::datatypes::Schema;
use async_trait::async_trait;
use auger_catalog::{PluginRegistry, StoragePlugin, TableRequest};
use datafusion::catalog::{CatalogProvider, MemTable, SchemaProvider};
use datafusion::datasource::TableProvider;
use datafusion::error::{DataFusionError, Result};

use crate::functions::types::sql_type_name;
use crate::names::SchemaPath;
use crate::system::batch;

pub const INFORMATION_SCHEMA: &str = "INFORMATION_SCHEMA";
/// The one catalog Auger has, as `TABLE_CATALOG` and friends show it.
pub const CATALOG: &str = "AUGER";
const TABLES: &[&str] = &[
    "CATALOGS", "COLUMNS", "FILES", "SCHEMATA", "TABLES", "VIEWS",
];

/// A table some schema lists by name.
struct ListedTable {
    schema: String,
    name: String,
    kind: &'static str,
    /// (name, SQL type, nullable); filled only for COLUMNS.
    columns: Vec<(String, String, bool)>,
    /// A view's SQL.
    definition: String,
}

fn columns_of(schema: &Schema) -> Vec<(String, String, bool)> {
    schema
        .fields()
        .iter()
        .map(|f| {
            (
                f.name().clone(),
                sql_type_name(f.data_type()),
                f.is_nullable(),
            )
        })
        .collect()
}

#[derive(Debug)]
pub struct InformationSchema {
    registry: Weak<PluginRegistry>,
}

impl InformationSchema {
    pub fn new(registry: &Arc<PluginRegistry>) -> Self {
        Self {
            registry: Arc::downgrade(registry),
        }
    }

    fn plugins(&self) -> Vec<Arc<dyn StoragePlugin>> {
        self.registry
            .upgrade()
            .map(|r| r.plugins())
            .unwrap_or_default()
    }

    async fn batch(&self, table: &str) -> Result<RecordBatch> {
        match table.to_ascii_uppercase().as_str() {
            "CATALOGS" => catalogs_batch(),
            "SCHEMATA" => {
                let mut rows: Vec<(String, String, bool)> = vec![];
                for p in self.plugins() {
                    for ws in p.catalog().schema_names() {
                        let writable = p.is_writable(&ws);
                        let name = SchemaPath {
                            plugin: p.name().to_string(),
                            schema: ws,
                        }
                        .to_string();
                        rows.push((name, p.kind().to_string(), writable));
                    }
                }
                rows.sort();
                schemata_output(&rows)
            }
            "TABLES" | "COLUMNS" | "VIEWS" => self.tables_batch(table).await,
            "FILES" => self.files_batch().await,
            _ => Err(DataFusionError::Plan(format!(
                "Table 'INFORMATION_SCHEMA.{table}' not found. INFORMATION_SCHEMA has: {}",
                TABLES.join(", ")
            ))),
        }
    }

    async fn tables_batch(&self, which: &str) -> Result<RecordBatch> {
        let columns = which.eq_ignore_ascii_case("COLUMNS");
        let tables = listed_tables(self.plugins(), columns).await?;
        tables_output(which, &tables)
    }

    /// The top level of every file workspace.
    async fn files_batch(&self) -> Result<RecordBatch> {
        let mut rows = vec![];
        for p in self.plugins() {
            for ws in p.catalog().schema_names() {
                let Ok(Some(files)) = p.list_files(&ws, "").await else {
                    continue;
                };
                for f in files {
                    rows.push((p.name().to_string(), ws.clone(), f));
                }
            }
        }
        files_output(&rows)
    }
}

type FileRow = (String, String, auger_catalog::FileEntry);

fn files_output(rows: &[FileRow]) -> Result<RecordBatch> {
    {
        let s = |f: &dyn Fn(&FileRow) -> String| strings(rows.iter().map(f).collect());
        batch(vec![
            ("SCHEMA_NAME", s(&|r| format!("{}.{}", r.0, r.1))),
            ("ROOT_SCHEMA_NAME", s(&|r| r.0.clone())),
            ("WORKSPACE_NAME", s(&|r| r.1.clone())),
            ("FILE_NAME", s(&|r| r.2.name.clone())),
            ("RELATIVE_PATH", s(&|r| r.2.relative_path.clone())),
            (
                "IS_DIRECTORY",
                Arc::new(BooleanArray::from(
                    rows.iter().map(|r| r.2.is_directory).collect::<Vec<_>>(),
                )),
            ),
            (
                "IS_FILE",
                Arc::new(BooleanArray::from(
                    rows.iter().map(|r| !r.2.is_directory).collect::<Vec<_>>(),
                )),
            ),
            (
                "LENGTH",
                Arc::new(Int64Array::from(
                    rows.iter()
                        .map(|r| i64::try_from(r.2.length).unwrap_or(i64::MAX))
                        .collect::<Vec<_>>(),
                )),
            ),
            ("OWNER", s(&|r| r.2.owner.clone())),
            ("GROUP", s(&|r| r.2.group.clone())),
            ("PERMISSION", s(&|r| r.2.permissions.clone())),
            (
                "ACCESS_TIME",
                Arc::new(TimestampMillisecondArray::from(
                    rows.iter().map(|r| r.2.access_time_ms).collect::<Vec<_>>(),
                )),
            ),
            (
                "MODIFICATION_TIME",
                Arc::new(TimestampMillisecondArray::from(
                    rows.iter()
                        .map(|r| r.2.modification_time_ms)
                        .collect::<Vec<_>>(),
                )),
            ),
        ])
    }
}

/// The columns of one of INFORMATION_SCHEMA's own tables, for COLUMNS.
fn own_table_schema(table: &str) -> Result<Arc<Schema>> {
    Ok(match table {
        "CATALOGS" => catalogs_batch()?.schema(),
        "SCHEMATA" => schemata_output(&[])?.schema(),
        "FILES" => files_output(&[])?.schema(),
        other => tables_output(other, &[])?.schema(),
    })
}

fn catalogs_batch() -> Result<RecordBatch> {
    batch(vec![
        ("CATALOG_NAME", strings(vec![CATALOG.into()])),
        (
            "CATALOG_DESCRIPTION",
            strings(vec!["The internal metadata used by Auger".into()]),
        ),
        ("CATALOG_CONNECT", strings(vec![String::new()])),
    ])
}

/// (schema name, plugin type, writable)
fn schemata_output(rows: &[(String, String, bool)]) -> Result<RecordBatch> {
    let n = rows.len();
    batch(vec![
        ("CATALOG_NAME", strings(vec![CATALOG.into(); n])),
        (
            "SCHEMA_NAME",
            strings(rows.iter().map(|r| r.0.clone()).collect()),
        ),
        ("SCHEMA_OWNER", strings(vec!["<owner>".into(); n])),
        ("TYPE", strings(rows.iter().map(|r| r.1.clone()).collect())),
        (
            "IS_MUTABLE",
            strings(rows.iter().map(|r| yes_no(r.2)).collect()),
        ),
    ])
}

/// TABLES, VIEWS or COLUMNS over a list of tables.
fn tables_output(which: &str, tables: &[ListedTable]) -> Result<RecordBatch> {
    match which.to_ascii_uppercase().as_str() {
        "TABLES" => {
            let n = tables.len();
            batch(vec![
                ("TABLE_CATALOG", strings(vec![CATALOG.into(); n])),
                (
                    "TABLE_SCHEMA",
                    strings(tables.iter().map(|t| t.schema.clone()).collect()),
                ),
                (
                    "TABLE_NAME",
                    strings(tables.iter().map(|t| t.name.clone()).collect()),
                ),
                (
                    "TABLE_TYPE",
                    strings(tables.iter().map(|t| t.kind.to_string()).collect()),
                ),
            ])
        }
        "VIEWS" => {
            let views: Vec<&ListedTable> = tables.iter().filter(|t| t.kind == "VIEW").collect();
            let n = views.len();
            batch(vec![
                ("TABLE_CATALOG", strings(vec![CATALOG.into(); n])),
                (
                    "TABLE_SCHEMA",
                    strings(views.iter().map(|t| t.schema.clone()).collect()),
                ),
                (
                    "TABLE_NAME",
                    strings(views.iter().map(|t| t.name.clone()).collect()),
                ),
                (
                    "VIEW_DEFINITION",
                    strings(views.iter().map(|t| t.definition.clone()).collect()),
                ),
            ])
        }
        _ => {
            let mut cols: Vec<[String; 5]> = vec![];
            let mut positions: Vec<i64> = vec![];
            for t in tables {
                for (i, (name, ty, nullable)) in t.columns.iter().enumerate() {
                    cols.push([
                        t.schema.clone(),
                        t.name.clone(),
                        name.clone(),
                        yes_no(*nullable),
                        ty.clone(),
                    ]);
                    positions.push(i as i64 + 1);
                }
            }
            let n = cols.len();
            let col = |i: usize| strings(cols.iter().map(|c| c[i].clone()).collect());
            batch(vec![
                ("TABLE_CATALOG", strings(vec![CATALOG.into(); n])),
                ("TABLE_SCHEMA", col(0)),
                ("TABLE_NAME", col(1)),
                ("COLUMN_NAME", col(2)),
                ("ORDINAL_POSITION", Arc::new(Int64Array::from(positions))),
                ("IS_NULLABLE", col(3)),
                ("DATA_TYPE", col(4)),
            ])
        }
    }
}

fn yes_no(b: bool) -> String {
    if b { "YES" } else { "NO" }.to_string()
}

fn strings(values: Vec<String>) -> ArrayRef {
    Arc::new(StringArray::from(values))
}

#[async_trait]
impl StoragePlugin for InformationSchema {
    fn name(&self) -> &str {
        INFORMATION_SCHEMA
    }

    fn kind(&self) -> &str {
        "information_schema"
    }

    fn catalog(&self) -> Arc<dyn CatalogProvider> {
        Arc::new(InfoCatalog {
            registry: self.registry.clone(),
        })
    }

    fn default_schema(&self) -> String {
        String::new()
    }

    async fn open_table(
        &self,
        schema: &str,
        table: &str,
        _request: &TableRequest,
    ) -> Result<Option<Arc<dyn TableProvider>>> {
        if !schema.is_empty() {
            return Ok(None);
        }
        let batch = self.batch(table).await?;
        Ok(Some(Arc::new(MemTable::try_new(
            batch.schema(),
            vec![vec![batch]],
        )?)))
    }
}

#[derive(Debug)]
struct InfoCatalog {
    registry: Weak<PluginRegistry>,
}

impl CatalogProvider for InfoCatalog {
    fn schema_names(&self) -> Vec<String> {
        vec![String::new()]
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        name.is_empty().then(|| {
            Arc::new(InfoSchemaTables {
                registry: self.registry.clone(),
            }) as Arc<dyn SchemaProvider>
        })
    }
}

/// INFORMATION_SCHEMA as a schema, so that it lists its own tables.
#[derive(Debug)]
struct InfoSchemaTables {
    registry: Weak<PluginRegistry>,
}

#[async_trait]
impl SchemaProvider for InfoSchemaTables {
    fn table_names(&self) -> Vec<String> {
        // Listed once, by the INFORMATION_SCHEMA rows of TABLES itself.
        vec![]
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        InformationSchema {
            registry: self.registry.clone(),
        }
        .open_table("", name, &TableRequest::default())
        .await
    }

    fn table_exist(&self, name: &str) -> bool {
        TABLES.iter().any(|t| t.eq_ignore_ascii_case(name))
    }
}

/// Every table that schemas list by name, with its type and (when `columns`) its columns,
/// ordered by schema and name.
async fn listed_tables(
    plugins: Vec<Arc<dyn StoragePlugin>>,
    columns: bool,
) -> Result<Vec<ListedTable>> {
    let mut tables: Vec<ListedTable> = vec![];
    for p in plugins {
        let catalog = p.catalog();
        for ws in catalog.schema_names() {
            let Some(schema) = catalog.schema(&ws) else {
                continue;
            };
            let shown = SchemaPath {
                plugin: p.name().to_string(),
                schema: ws.clone(),
            }
            .to_string();
            let kind = if p.kind() == crate::system::SYS {
                "SYSTEM_TABLE"
            } else {
                "TABLE"
            };
            // A workspace that cannot be listed right now lists no tables.
            for name in p.table_names(&ws).await.unwrap_or_default() {
                if let Ok(Some(view)) = p.view(&ws, &name).await {
                    tables.push(ListedTable {
                        schema: shown.clone(),
                        name,
                        kind: "VIEW",
                        columns: view
                            .fields
                            .iter()
                            .map(|f| (f.name.clone(), f.data_type.clone(), f.is_nullable))
                            .collect(),
                        definition: view.sql,
                    });
                    continue;
                }
                let columns = if columns {
                    match schema.table(&name).await {
                        Ok(Some(t)) => columns_of(&t.schema()),
                        _ => vec![],
                    }
                } else {
                    vec![]
                };
                tables.push(ListedTable {
                    schema: shown.clone(),
                    name,
                    kind,
                    columns,
                    definition: String::new(),
                });
            }
        }
    }
    for t in TABLES {
        let columns = if columns {
            columns_of(own_table_schema(t)?.as_ref())
        } else {
            vec![]
        };
        tables.push(ListedTable {
            schema: INFORMATION_SCHEMA.to_string(),
            name: t.to_string(),
            kind: "SYSTEM_TABLE",
            columns,
            definition: String::new(),
        });
    }
    tables.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    Ok(tables)
}

/// A schema and table that the namespace lists, with its type (`TABLE`, `VIEW`,
/// `SYSTEM_TABLE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableListing {
    pub schema: String,
    pub name: String,
    pub kind: String,
}

/// Every schema name (`dfs.tmp`), sorted, INFORMATION_SCHEMA's included.
pub fn schema_names(registry: &PluginRegistry) -> Vec<String> {
    let mut names: Vec<String> = registry
        .plugins()
        .iter()
        .flat_map(|p| {
            p.catalog().schema_names().into_iter().map(|ws| {
                SchemaPath {
                    plugin: p.name().to_string(),
                    schema: ws,
                }
                .to_string()
            })
        })
        .collect();
    names.sort();
    names
}

/// Every table that schemas list by name (what INFORMATION_SCHEMA.`TABLES` shows).
pub async fn table_listings(registry: &PluginRegistry) -> Result<Vec<TableListing>> {
    Ok(listed_tables(registry.plugins(), false)
        .await?
        .into_iter()
        .map(|t| TableListing {
            schema: t.schema,
            name: t.name,
            kind: t.kind.to_string(),
        })
        .collect())
}
