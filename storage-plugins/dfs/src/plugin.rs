//! The `file` storage plugin: workspaces over one file system or object store.

use std::collections::BTreeMap;
use std::sync::Arc;

use auger_catalog::{
    AugerHome, Error, FileEntry, StoragePlugin, StoragePluginFactory, TableRequest, ViewDefinition,
    find_case_insensitive,
};
use datafusion::catalog::{CatalogProvider, SchemaProvider};
use datafusion::datasource::TableProvider;
use datafusion::execution::object_store::ObjectStoreUrl;
use object_store::local::LocalFileSystem;

use crate::config::{FileSystemConfig, FormatConfig, WorkspaceConfig};
use crate::format::inference::InferenceCache;
use crate::format::{TableFormat, WorkspaceFormats};
use crate::workspace::{StoreContext, WorkspaceSchema};

#[derive(Debug)]
pub struct DfsPlugin {
    name: String,
    config: FileSystemConfig,
    context: StoreContext,
    workspaces: BTreeMap<String, Arc<WorkspaceSchema>>,
    default_workspace: String,
}

impl DfsPlugin {
    pub fn try_new(
        name: &str,
        config: FileSystemConfig,
        cache: Arc<InferenceCache>,
    ) -> Result<Self, Error> {
        let invalid = |message: String| Error::InvalidConfig {
            plugin: name.to_string(),
            source_name: "config".into(),
            message,
        };
        let connection = config.connection.trim_end_matches('/');
        let context = match connection {
            "file:" | "file://" => StoreContext {
                store: Arc::new(LocalFileSystem::new()),
                store_url: ObjectStoreUrl::local_filesystem(),
                display_prefix: "/".into(),
                cache,
            },
            _ if config.connection.starts_with("s3://")
                || config.connection.starts_with("s3a://") =>
            {
                let s3 = config.connection.as_str();
                let bucket = s3
                    .split_once("://")
                    .map(|(_, rest)| rest.split('/').next().unwrap_or_default())
                    .unwrap_or_default();
                if bucket.is_empty() {
                    return Err(invalid(format!(
                        "\"connection\": {s3:?} names no bucket; write \"s3://bucket\""
                    )));
                }
                let store = s3_store(bucket, config.other.get("config"))
                    .map_err(|m| invalid(format!("\"connection\" {s3:?}: {m}")))?;
                StoreContext {
                    store,
                    store_url: ObjectStoreUrl::parse(format!("s3://{bucket}"))
                        .map_err(|e| invalid(format!("\"connection\": {e}")))?,
                    display_prefix: format!("s3://{bucket}/"),
                    cache,
                }
            }
            other => {
                return Err(invalid(format!(
                    "\"connection\": {other:?} is not supported; use \"file:///\" or \"s3://bucket\""
                )));
            }
        };
        for (format_name, format) in &config.formats {
            TableFormat::from_config(format_name, format)
                .map_err(|m| invalid(format!("\"formats\": {m}")))?;
        }

        let mut workspace_configs = config.workspaces.clone();
        // Drill's implicit workspace: `dfs.`/path`` means the root of the connection.
        let default_workspace = ["default", "root"]
            .into_iter()
            .find(|w| workspace_configs.contains_key(*w))
            .unwrap_or("default")
            .to_string();
        workspace_configs
            .entry(default_workspace.clone())
            .or_insert_with(|| WorkspaceConfig::new("/", false));

        let mut workspaces = BTreeMap::new();
        for (ws_name, ws) in workspace_configs {
            if !ws.location.starts_with('/') {
                return Err(invalid(format!(
                    "\"workspaces\".\"{ws_name}\".\"location\": {:?} must be an absolute path",
                    ws.location
                )));
            }
            for (format_name, format) in &ws.formats {
                TableFormat::from_config(format_name, format).map_err(|m| {
                    invalid(format!("\"workspaces\".\"{ws_name}\".\"formats\": {m}"))
                })?;
            }
            let formats = WorkspaceFormats::new(
                &config.formats,
                &ws.formats,
                ws.default_input_format.clone(),
            );
            let schema =
                WorkspaceSchema::new(format!("{name}.{ws_name}"), ws, formats, context.clone());
            workspaces.insert(ws_name, Arc::new(schema));
        }
        Ok(Self {
            name: name.to_string(),
            config,
            context,
            workspaces,
            default_workspace,
        })
    }

    pub fn config(&self) -> &FileSystemConfig {
        &self.config
    }

    pub fn workspace(&self, name: &str) -> Option<Arc<WorkspaceSchema>> {
        let key = find_case_insensitive(self.workspaces.keys().map(String::as_str), name)?;
        self.workspaces.get(key).cloned()
    }
}

/// An S3 store for `bucket`: credentials, endpoint and region from the config's `config` map
/// (Drill's Hadoop keys: `fs.s3a.access.key`, `fs.s3a.secret.key`, `fs.s3a.session.token`,
/// `fs.s3a.endpoint`, `fs.s3a.endpoint.region`), else from the environment (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_ENDPOINT`, `AWS_REGION`, ...).
fn s3_store(
    bucket: &str,
    settings: Option<&serde_json::Value>,
) -> Result<Arc<dyn object_store::ObjectStore>, String> {
    use object_store::aws::AmazonS3Builder;
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    let text = |key: &str| {
        settings
            .and_then(|s| s.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    if let Some(v) = text("fs.s3a.access.key") {
        builder = builder.with_access_key_id(v);
    }
    if let Some(v) = text("fs.s3a.secret.key") {
        builder = builder.with_secret_access_key(v);
    }
    if let Some(v) = text("fs.s3a.session.token") {
        builder = builder.with_token(v);
    }
    if let Some(v) = text("fs.s3a.endpoint.region").or_else(|| text("fs.s3a.region")) {
        builder = builder.with_region(v);
    }
    if let Some(v) = text("fs.s3a.endpoint") {
        let endpoint = if v.contains("://") {
            v
        } else {
            format!("https://{v}")
        };
        if endpoint.starts_with("http://") {
            builder = builder.with_allow_http(true);
        }
        builder = builder.with_endpoint(endpoint);
    }
    builder
        .build()
        .map(|s| Arc::new(s) as Arc<dyn object_store::ObjectStore>)
        .map_err(|e| e.to_string())
}

#[async_trait::async_trait]
impl StoragePlugin for DfsPlugin {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &str {
        "file"
    }

    fn catalog(&self) -> Arc<dyn CatalogProvider> {
        Arc::new(DfsCatalog {
            workspaces: self.workspaces.clone(),
        })
    }

    fn default_schema(&self) -> String {
        self.default_workspace.clone()
    }

    fn object_store(&self) -> Option<(ObjectStoreUrl, Arc<dyn object_store::ObjectStore>)> {
        (self.context.display_prefix != "/").then(|| {
            (
                self.context.store_url.clone(),
                Arc::clone(&self.context.store),
            )
        })
    }

    fn ignored_config_keys(&self) -> Vec<String> {
        let c = &self.config;
        let s3 = self.context.display_prefix.starts_with("s3://");
        let mut keys: Vec<String> = c
            .other
            .keys()
            .filter(|k| !(s3 && k.as_str() == "config"))
            .cloned()
            .collect();
        for (name, ws) in &c.workspaces {
            keys.extend(ws.other.keys().map(|k| format!("workspaces.{name}.{k}")));
        }
        for (name, f) in &c.formats {
            let other = match f {
                FormatConfig::Text(t) => &t.other,
                FormatConfig::Json(j) => &j.other,
                FormatConfig::Parquet(p) => &p.other,
            };
            keys.extend(other.keys().map(|k| format!("formats.{name}.{k}")));
        }
        keys
    }

    fn schema_properties(&self, schema: &str) -> serde_json::Value {
        let mut props = serde_json::json!({
            "type": "file",
            "connection": self.config.connection,
        });
        if let Some(ws) = self.workspace(schema)
            && let (Ok(serde_json::Value::Object(ws)), Some(obj)) =
                (serde_json::to_value(ws.config()), props.as_object_mut())
        {
            obj.extend(ws);
        }
        props
    }

    fn is_writable(&self, schema: &str) -> bool {
        self.workspace(schema).is_some_and(|w| w.config().writable)
    }

    async fn list_files(
        &self,
        schema: &str,
        path: &str,
    ) -> datafusion::error::Result<Option<Vec<FileEntry>>> {
        match self.workspace(schema) {
            Some(ws) => ws.list_files(path).await.map(Some),
            None => Ok(None),
        }
    }

    async fn table_names(&self, schema: &str) -> datafusion::error::Result<Vec<String>> {
        match self.workspace(schema) {
            Some(ws) => ws.view_names().await,
            None => Ok(vec![]),
        }
    }

    async fn view(
        &self,
        schema: &str,
        name: &str,
    ) -> datafusion::error::Result<Option<ViewDefinition>> {
        match self.workspace(schema) {
            Some(ws) => ws.view(name).await,
            None => Ok(None),
        }
    }

    async fn create_view(
        &self,
        schema: &str,
        view: &ViewDefinition,
        replace: bool,
    ) -> datafusion::error::Result<()> {
        match self.workspace(schema) {
            Some(ws) => ws.create_view(view, replace).await,
            None => Err(datafusion::error::DataFusionError::Plan(format!(
                "Schema '{}.{schema}' not found",
                self.name
            ))),
        }
    }

    async fn drop_view(&self, schema: &str, name: &str) -> datafusion::error::Result<bool> {
        match self.workspace(schema) {
            Some(ws) => ws.drop_view(name).await,
            None => Ok(false),
        }
    }

    async fn create_table(
        &self,
        schema: &str,
        name: &str,
        format: &str,
        partition_by: &[usize],
        rows: datafusion::execution::SendableRecordBatchStream,
    ) -> datafusion::error::Result<u64> {
        match self.workspace(schema) {
            Some(ws) => ws.create_table(name, format, partition_by, rows).await,
            None => Err(datafusion::error::DataFusionError::Plan(format!(
                "Schema '{}.{schema}' not found",
                self.name
            ))),
        }
    }

    async fn drop_table(&self, schema: &str, name: &str) -> datafusion::error::Result<bool> {
        match self.workspace(schema) {
            Some(ws) => ws.drop_table(name).await,
            None => Ok(false),
        }
    }

    async fn open_table(
        &self,
        schema: &str,
        table: &str,
        request: &TableRequest,
    ) -> datafusion::error::Result<Option<Arc<dyn TableProvider>>> {
        match self.workspace(schema) {
            Some(ws) => ws.open_table(table, request).await.map(Some),
            None => Ok(None),
        }
    }
}

/// The plugin's workspaces as a DataFusion catalog.
#[derive(Debug)]
struct DfsCatalog {
    workspaces: BTreeMap<String, Arc<WorkspaceSchema>>,
}

impl CatalogProvider for DfsCatalog {
    fn schema_names(&self) -> Vec<String> {
        self.workspaces.keys().cloned().collect()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        let key = find_case_insensitive(self.workspaces.keys().map(String::as_str), name)?;
        self.workspaces
            .get(key)
            .map(|w| Arc::clone(w) as Arc<dyn SchemaProvider>)
    }
}

/// Makes `file` plugins; all of them share one inference cache.
#[derive(Debug, Default)]
pub struct DfsPluginFactory {
    cache: Arc<InferenceCache>,
}

impl DfsPluginFactory {
    /// A factory whose plugins keep inference results in memory only.
    pub fn new() -> Self {
        Self::default()
    }

    /// A factory whose plugins also keep inference results in `dir`, for later processes.
    pub fn with_cache_dir(dir: std::path::PathBuf) -> Self {
        Self {
            cache: Arc::new(InferenceCache::persistent(dir)),
        }
    }
}

impl StoragePluginFactory for DfsPluginFactory {
    fn kind(&self) -> &'static str {
        "file"
    }

    fn create(
        &self,
        name: &str,
        config: &serde_json::Value,
        _home: &AugerHome,
    ) -> Result<Arc<dyn StoragePlugin>, Error> {
        let parsed: FileSystemConfig =
            serde_path_to_error::deserialize(config).map_err(|e| Error::InvalidConfig {
                plugin: name.to_string(),
                source_name: format!("key \"{}\"", e.path()),
                message: e.into_inner().to_string(),
            })?;
        Ok(Arc::new(DfsPlugin::try_new(
            name,
            parsed,
            Arc::clone(&self.cache),
        )?))
    }
}
