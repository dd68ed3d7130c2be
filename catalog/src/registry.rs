use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use auger_common::options::SessionOptions;
use datafusion::catalog::{CatalogProvider, CatalogProviderList};
use datafusion::datasource::TableProvider;

use crate::{AugerHome, Error, Result, find_case_insensitive};

/// A configured storage plugin: a catalog of workspaces (schemas) under one name.
#[async_trait::async_trait]
pub trait StoragePlugin: Debug + Send + Sync {
    /// The name queries use (`dfs`, `hive`, ...), as configured.
    fn name(&self) -> &str;

    /// The config `type` this plugin was made from (`file`, `hive`, ...).
    fn kind(&self) -> &str;

    /// The workspaces, as a DataFusion catalog.
    fn catalog(&self) -> Arc<dyn CatalogProvider>;

    /// The workspace a two-part name (`plugin.table`) or `USE plugin` means.
    fn default_schema(&self) -> String;

    /// The object store this plugin reads (for `s3://bucket` connections and the like), so
    /// that queries find it by URL; `None` for local files.
    fn object_store(
        &self,
    ) -> Option<(
        datafusion::execution::object_store::ObjectStoreUrl,
        Arc<dyn object_store::ObjectStore>,
    )> {
        None
    }

    /// Keys of this plugin's config that Auger keeps but does not use, for a warning at load.
    fn ignored_config_keys(&self) -> Vec<String> {
        vec![]
    }

    /// What `DESCRIBE SCHEMA` shows of `schema`: its config, as JSON.
    fn schema_properties(&self, _schema: &str) -> serde_json::Value {
        serde_json::json!({ "type": self.kind() })
    }

    /// Whether tables can be written into `schema` (CTAS, views).
    fn is_writable(&self, _schema: &str) -> bool {
        false
    }

    /// The entries of the directory `path` (relative, empty for the top) of `schema`, for
    /// `SHOW FILES`; `Ok(None)` when this plugin has no files.
    async fn list_files(
        &self,
        _schema: &str,
        _path: &str,
    ) -> datafusion::error::Result<Option<Vec<FileEntry>>> {
        Ok(None)
    }

    /// The tables `schema` lists by name (system tables, views), for SHOW TABLES and
    /// INFORMATION_SCHEMA. The default asks the schema provider.
    async fn table_names(&self, schema: &str) -> datafusion::error::Result<Vec<String>> {
        Ok(self
            .catalog()
            .schema(schema)
            .map(|s| s.table_names())
            .unwrap_or_default())
    }

    /// The view `name` of `schema`, if there is one.
    async fn view(
        &self,
        _schema: &str,
        _name: &str,
    ) -> datafusion::error::Result<Option<ViewDefinition>> {
        Ok(None)
    }

    /// Stores a view; with `replace`, over an existing view of that name.
    async fn create_view(
        &self,
        schema: &str,
        _view: &ViewDefinition,
        _replace: bool,
    ) -> datafusion::error::Result<()> {
        Err(datafusion::error::DataFusionError::Plan(format!(
            "Schema [{}.{schema}] cannot hold views",
            self.name()
        )))
    }

    /// Removes a view; `Ok(false)` when there was none.
    async fn drop_view(&self, _schema: &str, _name: &str) -> datafusion::error::Result<bool> {
        Ok(false)
    }

    /// Writes a new table `name` (CTAS) from `rows`, in `format` (`store.format`), one file
    /// per combination of the `partition_by` columns' values (rows arrive sorted by them).
    /// Returns the number of rows written.
    async fn create_table(
        &self,
        schema: &str,
        _name: &str,
        _format: &str,
        _partition_by: &[usize],
        _rows: datafusion::execution::SendableRecordBatchStream,
    ) -> datafusion::error::Result<u64> {
        Err(datafusion::error::DataFusionError::Plan(format!(
            "Unable to create or drop objects. Schema [{}.{schema}] is immutable.",
            self.name()
        )))
    }

    /// Removes a table (its file or directory); `Ok(false)` when there was none.
    async fn drop_table(&self, schema: &str, _name: &str) -> datafusion::error::Result<bool> {
        Err(datafusion::error::DataFusionError::Plan(format!(
            "Schema [{}.{schema}] cannot drop tables",
            self.name()
        )))
    }

    /// Opens a table for one statement, read as `request` asks (session options, implicit
    /// columns). `Ok(None)` when the schema does not exist; a missing table is an error that
    /// names it. The default ignores the request and asks the schema provider.
    async fn open_table(
        &self,
        schema: &str,
        table: &str,
        _request: &TableRequest,
    ) -> datafusion::error::Result<Option<Arc<dyn TableProvider>>> {
        match self.catalog().schema(schema) {
            Some(s) => s.table(table).await,
            None => Ok(None),
        }
    }
}

/// One entry of a workspace directory, as `SHOW FILES` and `INFORMATION_SCHEMA.FILES` show it.
#[derive(Debug, Clone, PartialEq)]
pub struct FileEntry {
    pub name: String,
    /// The path relative to the workspace.
    pub relative_path: String,
    pub is_directory: bool,
    pub length: u64,
    pub owner: String,
    pub group: String,
    /// `rwxr-xr-x` style.
    pub permissions: String,
    /// Milliseconds since the Unix epoch.
    pub access_time_ms: i64,
    pub modification_time_ms: i64,
}

/// A view as Drill keeps it, in a `<name>.view.drill` file of its workspace.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewDefinition {
    pub name: String,
    pub sql: String,
    pub fields: Vec<ViewField>,
    /// The schema the view's SQL resolves names in: `["dfs", "tmp"]`.
    pub workspace_schema_path: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewField {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
    #[serde(default = "yes")]
    pub is_nullable: bool,
}

fn yes() -> bool {
    true
}

/// What a statement asks of a table it opens.
#[derive(Debug, Clone, Default)]
pub struct TableRequest {
    /// The session's options (`store.json.all_text_mode`, ...).
    pub options: SessionOptions,
    /// Names the statement uses that may be implicit columns (`filename`, `dir0`, ...):
    /// a file table adds those it has to its columns. Lower case.
    pub implicit_columns: Vec<String>,
    /// A table function's format config (Drill's shape: `{"type": "text", "fieldDelimiter":
    /// "|"}`), used for every file of the table instead of the workspace's formats.
    pub format: Option<serde_json::Value>,
}

/// Makes plugins of one config `type` from their JSON config.
pub trait StoragePluginFactory: Debug + Send + Sync {
    fn kind(&self) -> &'static str;

    fn create(
        &self,
        name: &str,
        config: &serde_json::Value,
        home: &AugerHome,
    ) -> Result<Arc<dyn StoragePlugin>>;
}

/// Every configured plugin, by name. Names resolve case-insensitively, as in Drill.
#[derive(Debug, Default)]
pub struct PluginRegistry {
    plugins: RwLock<BTreeMap<String, Arc<dyn StoragePlugin>>>,
}

impl PluginRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(&self, plugin: Arc<dyn StoragePlugin>) {
        self.write().insert(plugin.name().to_string(), plugin);
    }

    /// Registers every plugin config in `dir`: one JSON file per plugin, named after it
    /// (`dfs.json` configures `dfs`, replacing a built-in config of that name). A file that
    /// cannot be read or used is skipped and the others still load; the returned messages
    /// name each such file and what is wrong with it.
    pub fn load_dir(
        &self,
        dir: &Path,
        factories: &[Arc<dyn StoragePluginFactory>],
        home: &AugerHome,
    ) -> Vec<String> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return vec![],
            Err(e) => {
                return vec![format!(
                    "cannot list storage configs in {}: {e}",
                    dir.display()
                )];
            }
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let mut problems = vec![];
        for file in files {
            let Some(name) = file.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            let config = std::fs::read_to_string(&file)
                .map_err(|e| e.to_string())
                .and_then(|text| {
                    serde_json::from_str::<serde_json::Value>(&text)
                        .map_err(|e| format!("not valid JSON: {e}"))
                });
            let result = config.and_then(|c| {
                self.register_config(name, &c, factories, home)
                    .map_err(|e| e.to_string())
            });
            if result.is_ok()
                && let Some(plugin) = self.plugin(name)
            {
                let ignored = plugin.ignored_config_keys();
                if !ignored.is_empty() {
                    problems.push(format!(
                        "storage config {}: ignored keys (kept, not used): {}",
                        file.display(),
                        ignored.join(", ")
                    ));
                }
            }
            if let Err(message) = result {
                problems.push(format!(
                    "storage config {} was not loaded: {message}",
                    file.display()
                ));
            }
        }
        problems
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Arc<dyn StoragePlugin>>> {
        match self.plugins.write() {
            Ok(p) => p,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Creates a plugin from its config with the factory for its `type` and registers it.
    /// A config whose `enabled` is false is accepted but not registered (and unregisters a
    /// plugin of that name made from an earlier config).
    pub fn register_config(
        &self,
        name: &str,
        config: &serde_json::Value,
        factories: &[Arc<dyn StoragePluginFactory>],
        home: &AugerHome,
    ) -> Result<()> {
        let kind =
            config
                .get("type")
                .and_then(|t| t.as_str())
                .ok_or_else(|| Error::InvalidConfig {
                    plugin: name.to_string(),
                    source_name: "config".into(),
                    message: "the key \"type\" is missing or not a string".into(),
                })?;
        if config.get("enabled").and_then(|e| e.as_bool()) == Some(false) {
            self.write().remove(name);
            return Ok(());
        }
        let factory = factories
            .iter()
            .find(|f| f.kind().eq_ignore_ascii_case(kind))
            .ok_or_else(|| Error::UnknownPluginType {
                plugin: name.to_string(),
                kind: kind.to_string(),
            })?;
        self.register(factory.create(name, config, home)?);
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Arc<dyn StoragePlugin>>> {
        match self.plugins.read() {
            Ok(p) => p,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub fn plugin(&self, name: &str) -> Option<Arc<dyn StoragePlugin>> {
        let plugins = self.read();
        find_case_insensitive(plugins.keys().map(String::as_str), name)
            .and_then(|k| plugins.get(k).cloned())
    }

    pub fn plugins(&self) -> Vec<Arc<dyn StoragePlugin>> {
        self.read().values().cloned().collect()
    }

    pub fn names(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }
}

impl CatalogProviderList for PluginRegistry {
    fn register_catalog(
        &self,
        _name: String,
        _catalog: Arc<dyn CatalogProvider>,
    ) -> Option<Arc<dyn CatalogProvider>> {
        // Catalogs come from storage plugin configs only.
        None
    }

    fn catalog_names(&self) -> Vec<String> {
        self.names()
    }

    fn catalog(&self, name: &str) -> Option<Arc<dyn CatalogProvider>> {
        self.plugin(name).map(|p| p.catalog())
    }
}
