//! A workspace: a directory of a `file` plugin, served as a schema whose tables are the files,
//! directories and globs under it.

use std::sync::Arc;

use async_trait::async_trait;
use auger_catalog::{FileEntry, TableRequest, ViewDefinition};
use auger_common::json::JsonReadOptions;
use datafusion::catalog::SchemaProvider;
use datafusion::datasource::TableProvider;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::object_store::ObjectStoreUrl;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use std::os::unix::fs::MetadataExt;

use crate::config::{FormatConfig, WorkspaceConfig};
use crate::format::inference::{InferenceCache, json_schema, text_schema};
use crate::format::parquet::parquet_schema;
use crate::format::{TableFormat, WorkspaceFormats};
use crate::listing::{ListingError, list_table, object_path};
use crate::table::{DfsTable, implicit_columns};
use crate::writer::{
    WriteFormat, is_staging_dir, remove_stale_staging, write_table, write_table_to_store,
};

/// What a workspace shares with its plugin.
#[derive(Debug, Clone)]
pub struct StoreContext {
    pub store: Arc<dyn ObjectStore>,
    pub store_url: ObjectStoreUrl,
    /// How object paths are shown to users (`/` for local files).
    pub display_prefix: String,
    pub cache: Arc<InferenceCache>,
}

#[derive(Debug)]
pub struct WorkspaceSchema {
    /// `plugin.workspace`, for messages.
    qualified_name: String,
    /// The workspace directory as an object store path (no leading `/`).
    location: String,
    config: WorkspaceConfig,
    formats: WorkspaceFormats,
    context: StoreContext,
}

impl WorkspaceSchema {
    pub fn new(
        qualified_name: String,
        config: WorkspaceConfig,
        formats: WorkspaceFormats,
        context: StoreContext,
    ) -> Self {
        let location = config.location.trim_matches('/').to_string();
        Self {
            qualified_name,
            location,
            config,
            formats,
            context,
        }
    }

    pub fn config(&self) -> &WorkspaceConfig {
        &self.config
    }

    fn display(&self, object_path: &str) -> String {
        format!("{}{}", self.context.display_prefix, object_path)
    }

    /// The object path a table name means inside this workspace.
    fn resolve(&self, name: &str) -> Result<String> {
        resolve_path(
            &self.location,
            name,
            self.config.allow_access_outside_workspace,
        )
        .ok_or_else(|| {
            DataFusionError::Plan(format!(
                "Table '{}.`{name}`' reaches outside the workspace {}; \
                 set allowAccessOutsideWorkspace in the workspace config to allow it",
                self.qualified_name,
                self.display(&self.location)
            ))
        })
    }

    /// Opens the table `name` (a file, directory or glob under this workspace) as `request`
    /// asks: JSON read with the session's `store.json.*` options, implicit columns added.
    pub async fn open_table(
        &self,
        name: &str,
        request: &TableRequest,
    ) -> Result<Arc<dyn TableProvider>> {
        let path = self.resolve(name)?;
        let listed = list_table(&self.context.store, &path).await;
        if matches!(listed, Err(ListingError::NotFound)) {
            let hint = self.closest_entries(&path).await;
            return Err(DataFusionError::Plan(format!(
                "Table '{}.`{name}`' not found: {} does not exist{hint}",
                self.qualified_name,
                self.display(&path)
            )));
        }
        let listing = listed.map_err(|e| self.listing_error(name, &path, e))?;
        if listing.files.is_empty() {
            return Err(DataFusionError::Plan(format!(
                "Table '{}.`{name}`': the directory {} holds no files",
                self.qualified_name,
                self.display(&path)
            )));
        }
        self.confine(name, &listing)?;

        // A table function's format applies to every file, whatever its extension.
        let overridden: Option<(FormatConfig, TableFormat)> = match &request.format {
            Some(v) => {
                let config: FormatConfig = serde_json::from_value(v.clone()).map_err(|e| {
                    DataFusionError::Plan(format!(
                        "Table '{}.`{name}`': invalid format options {v}: {e}",
                        self.qualified_name
                    ))
                })?;
                // A storage config keeps keys it does not know (Drill's carry options Auger
                // does not implement); options written in the query must all be read.
                config.refuse_unknown_options().map_err(|why| {
                    DataFusionError::Plan(format!(
                        "Table '{}.`{name}`': {why}",
                        self.qualified_name
                    ))
                })?;
                let format = TableFormat::from_config("table function", &config)
                    .map_err(DataFusionError::Plan)?;
                Some((config, format))
            }
            None => None,
        };
        let mut format = match overridden.as_ref() {
            Some((_, format)) => format.clone(),
            None => self.files_format(name, &listing.files)?,
        };
        if let TableFormat::Json(options) = &mut format {
            *options = JsonReadOptions::from_session(&request.options);
            if let Some((FormatConfig::Json(json), _)) = &overridden {
                json.apply(options);
            }
        }

        let ctx = &self.context;
        let schema = match &format {
            TableFormat::Json(options) => {
                json_schema(
                    &ctx.cache,
                    &ctx.store,
                    &listing.files,
                    &ctx.display_prefix,
                    options,
                )
                .await?
            }
            TableFormat::Text(options) => {
                text_schema(&ctx.store, &listing.files, &ctx.display_prefix, options).await?
            }
            TableFormat::Parquet => {
                parquet_schema(&ctx.store, &listing.files, &ctx.display_prefix).await?
            }
        };
        let implicit = implicit_columns(
            &listing.root,
            &listing.files,
            &schema,
            &request.implicit_columns,
        );
        Ok(Arc::new(DfsTable::new(
            ctx.store_url.clone(),
            ctx.display_prefix.clone(),
            format,
            listing.root,
            listing.files,
            schema,
            implicit,
        )))
    }
}

impl WorkspaceSchema {
    /// What a failed listing of the table `name` (at the object path `path`) tells the user.
    fn listing_error(&self, name: &str, path: &str, error: ListingError) -> DataFusionError {
        let table = format!("Table '{}.`{name}`'", self.qualified_name);
        DataFusionError::Plan(match error {
            ListingError::NotFound => {
                format!("{table} not found: {} does not exist", self.display(path))
            }
            ListingError::InvalidGlob(msg) => format!("{table}: invalid glob pattern: {msg}"),
            ListingError::InvalidPath(msg) => {
                format!("{table}: {} is not a valid path: {msg}", self.display(path))
            }
            ListingError::PermissionDenied(denied) => format!(
                "{table} cannot be read: permission denied on {}",
                self.display(denied.as_ref())
            ),
            ListingError::Store(e) => {
                format!("{table}: cannot list {}: {e}", self.display(path))
            }
        })
    }

    /// The object store path `path` is, or why it cannot be one.
    fn object_path(&self, path: &str) -> Result<Path> {
        object_path(path).map_err(|e| {
            DataFusionError::Plan(format!("{} is not a valid path: {e}", self.display(path)))
        })
    }

    /// The one format of a table's files, chosen by their names; an error names the file that
    /// has none, or two files whose formats differ.
    fn files_format(&self, name: &str, files: &[object_store::ObjectMeta]) -> Result<TableFormat> {
        let mut chosen: Option<(&str, TableFormat, &object_store::ObjectMeta)> = None;
        for meta in files {
            let file_name = meta.location.filename().unwrap_or_default();
            let Some((format_name, config)) = self.formats.for_file(file_name) else {
                return Err(DataFusionError::Plan(format!(
                    "Table '{}.`{name}`': no format is configured for {} (known formats: {})",
                    self.qualified_name,
                    self.display(meta.location.as_ref()),
                    self.formats.names().collect::<Vec<_>>().join(", ")
                )));
            };
            match &chosen {
                None => {
                    let format = TableFormat::from_config(format_name, config)
                        .map_err(DataFusionError::Plan)?;
                    chosen = Some((format_name, format, meta));
                }
                Some((first_name, _, first)) if *first_name != format_name => {
                    return Err(DataFusionError::Plan(format!(
                        "Table '{}.`{name}`' mixes formats: {} is {first_name} but {} is {format_name}",
                        self.qualified_name,
                        self.display(first.location.as_ref()),
                        self.display(meta.location.as_ref()),
                    )));
                }
                Some(_) => {}
            }
        }
        chosen
            .map(|(_, format, _)| format)
            .ok_or_else(|| DataFusionError::Internal("a table without files".into()))
    }

    /// The workspace directory with every link resolved, where links can lead out of it: a
    /// local workspace other than `/` whose config does not allow access outside.
    fn confined_root(&self) -> Result<Option<std::path::PathBuf>> {
        if self.context.display_prefix != "/"
            || self.location.is_empty()
            || self.config.allow_access_outside_workspace
        {
            return Ok(None);
        }
        let root = format!("/{}", self.location);
        std::fs::canonicalize(&root).map(Some).map_err(|e| {
            DataFusionError::Plan(format!(
                "Cannot use the workspace {}: {root}: {e}",
                self.qualified_name
            ))
        })
    }

    /// Refuses a table whose files, once symbolic links are followed, lie outside the
    /// workspace: a link must not read or remove what the workspace does not hold.
    fn confine(&self, name: &str, listing: &crate::listing::Listing) -> Result<()> {
        let Some(root) = self.confined_root()? else {
            return Ok(());
        };
        let paths = std::iter::once(&listing.root).chain(listing.files.iter().map(|m| &m.location));
        for path in paths {
            let shown = format!("/{path}");
            match std::fs::canonicalize(&shown) {
                Ok(real) if !real.starts_with(&root) => {
                    return Err(DataFusionError::Plan(format!(
                        "Table '{}.`{name}`': {shown} is a link to {}, outside the workspace {}; \
                         set allowAccessOutsideWorkspace in the workspace config to allow it",
                        self.qualified_name,
                        real.display(),
                        root.display()
                    )));
                }
                // Gone since it was listed: reading it will say so.
                _ => {}
            }
        }
        Ok(())
    }

    /// Refuses to write at `path` when a link on the way leads out of the workspace: the
    /// deepest part of it that exists must resolve inside.
    fn confine_write(&self, name: &str, path: &str) -> Result<()> {
        let Some(root) = self.confined_root()? else {
            return Ok(());
        };
        let target = std::path::PathBuf::from(format!("/{path}"));
        let existing = target.ancestors().find(|p| p.symlink_metadata().is_ok());
        if let Some(existing) = existing
            && let Ok(real) = std::fs::canonicalize(existing)
            && !real.starts_with(&root)
        {
            return Err(DataFusionError::Plan(format!(
                "Cannot write '{}.`{name}`': {} is a link to {}, outside the workspace {}",
                self.qualified_name,
                existing.display(),
                real.display(),
                root.display()
            )));
        }
        Ok(())
    }
}

/// Views are files named `<view>.view.drill` in their workspace, as in Drill.
pub const VIEW_SUFFIX: &str = ".view.drill";

impl WorkspaceSchema {
    fn immutable(&self) -> DataFusionError {
        DataFusionError::Plan(format!(
            "Unable to create or drop objects. Schema [{}] is immutable.",
            self.qualified_name
        ))
    }

    async fn exists(&self, path: &str) -> bool {
        let Ok(location) = object_path(path) else {
            return false;
        };
        if self.context.store.head(&location).await.is_ok() {
            return true;
        }
        matches!(list_table(&self.context.store, path).await, Ok(l) if !l.files.is_empty())
            || self.is_local_dir(path)
    }

    pub async fn view(&self, name: &str) -> Result<Option<ViewDefinition>> {
        // A name that cannot be in the workspace is no view; opening it as a table says why.
        let Ok(path) = self.resolve(&format!("{name}{VIEW_SUFFIX}")) else {
            return Ok(None);
        };
        let Ok(location) = object_path(&path) else {
            return Ok(None);
        };
        let bytes = match self.context.store.get(&location).await {
            Ok(r) => r.bytes().await.map_err(|e| {
                DataFusionError::Plan(format!("Cannot read view {}: {e}", self.display(&path)))
            })?,
            Err(_) => return Ok(None),
        };
        serde_json::from_slice::<ViewDefinition>(&bytes)
            .map(Some)
            .map_err(|e| {
                DataFusionError::Plan(format!(
                    "View file {} is not a valid view definition: {e}",
                    self.display(&path)
                ))
            })
    }

    pub async fn create_view(&self, view: &ViewDefinition, replace: bool) -> Result<()> {
        if !self.config.writable {
            return Err(self.immutable());
        }
        let name = &view.name;
        let path = self.resolve(&format!("{name}{VIEW_SUFFIX}"))?;
        self.confine_write(name, &path)?;
        if self.view(name).await?.is_some() {
            if !replace {
                return Err(DataFusionError::Plan(format!(
                    "A view with given name [{name}] already exists in schema [{}]",
                    self.qualified_name
                )));
            }
        } else if self.exists(&self.resolve(name)?).await {
            return Err(DataFusionError::Plan(format!(
                "A non-view table with given name [{name}] already exists in schema [{}]",
                self.qualified_name
            )));
        }
        let body = serde_json::to_vec_pretty(view)
            .map_err(|e| DataFusionError::Internal(format!("view to JSON: {e}")))?;
        // Local puts are written to a temporary file and renamed: never half a view.
        self.context
            .store
            .put(&self.object_path(&path)?, body.into())
            .await
            .map_err(|e| {
                DataFusionError::Plan(format!("Cannot write view {}: {e}", self.display(&path)))
            })?;
        Ok(())
    }

    /// CTAS: writes `rows` as the new table `name` (a directory of files).
    pub async fn create_table(
        &self,
        name: &str,
        format: &str,
        partition_by: &[usize],
        rows: datafusion::execution::SendableRecordBatchStream,
    ) -> Result<u64> {
        if !self.config.writable {
            return Err(self.immutable());
        }
        let format = WriteFormat::parse(format)?;
        let path = self.resolve(name)?;
        if self.view(name).await?.is_some() || self.exists(&path).await {
            return Err(DataFusionError::Plan(format!(
                "A table or view with given name [{name}] already exists in schema [{}]",
                self.qualified_name
            )));
        }
        self.confine_write(name, &path)?;
        if self.context.display_prefix != "/" {
            return write_table_to_store(
                &self.context.store,
                &path,
                &self.display(&path),
                format,
                partition_by,
                rows,
            )
            .await;
        }
        write_table(
            std::path::PathBuf::from(format!("/{path}")),
            format,
            partition_by,
            rows,
        )
        .await
    }

    pub async fn drop_view(&self, name: &str) -> Result<bool> {
        if !self.config.writable {
            return Err(self.immutable());
        }
        if self.view(name).await?.is_none() {
            return Ok(false);
        }
        let path = self.resolve(&format!("{name}{VIEW_SUFFIX}"))?;
        self.context
            .store
            .delete(&self.object_path(&path)?)
            .await
            .map_err(|e| {
                DataFusionError::Plan(format!("Cannot remove view {}: {e}", self.display(&path)))
            })?;
        Ok(true)
    }

    pub async fn drop_table(&self, name: &str) -> Result<bool> {
        if !self.config.writable {
            return Err(self.immutable());
        }
        if self.view(name).await?.is_some() {
            return Err(DataFusionError::Plan(format!(
                "[{name}] is a view in schema [{}]: use DROP VIEW",
                self.qualified_name
            )));
        }
        let path = self.resolve(name)?;
        if path.trim_matches('/') == self.location.trim_matches('/') {
            return Err(DataFusionError::Plan(
                "DROP TABLE needs a table inside the workspace, not the workspace itself".into(),
            ));
        }
        let listing = match list_table(&self.context.store, &path).await {
            Ok(l) => l,
            Err(ListingError::NotFound) => return Ok(false),
            Err(ListingError::Store(e)) => {
                return Err(DataFusionError::Plan(format!(
                    "Cannot drop '{}.`{name}`': cannot list {}: {e}",
                    self.qualified_name,
                    self.display(&path)
                )));
            }
            Err(other) => return Err(self.listing_error(name, &path, other)),
        };
        // As Drill: only a table of files in one format Auger reads, and only what lies in
        // the workspace. A directory of notes, a lone readme.txt or a link out is refused.
        self.confine(name, &listing)?;
        if listing.files.is_empty() {
            // Nothing Auger reads: only an empty directory goes, never one of hidden files.
            let dir = self.display(&path);
            let removed = match self.context.display_prefix.as_str() {
                "/" => std::fs::remove_dir(&dir),
                _ => Err(std::io::ErrorKind::DirectoryNotEmpty.into()),
            };
            return match removed {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::DirectoryNotEmpty => {
                    Err(DataFusionError::Plan(format!(
                        "Cannot drop '{}.`{name}`': {dir} holds only hidden files (names starting \
                         with . or _), which are no table; nothing was removed",
                        self.qualified_name
                    )))
                }
                Err(e) => Err(DataFusionError::Plan(format!(
                    "Cannot drop '{}.`{name}`': cannot remove {dir}: {e}",
                    self.qualified_name
                ))),
            };
        }
        self.files_format(name, &listing.files).map_err(|e| {
            DataFusionError::Plan(format!(
                "{}. DROP TABLE removes only a table whose files are all in one format \
                 Auger reads; nothing was removed",
                auger_common::error::user_message(&e)
            ))
        })?;
        for meta in &listing.files {
            self.context
                .store
                .delete(&meta.location)
                .await
                .map_err(|e| {
                    DataFusionError::Plan(format!(
                        "Cannot remove {}: {e}",
                        self.display(meta.location.as_ref())
                    ))
                })?;
        }
        if listing.is_directory && self.context.display_prefix == "/" {
            // Hidden files and the empty directories the object store leaves behind.
            let _ = std::fs::remove_dir_all(format!("/{path}"));
        }
        Ok(true)
    }

    /// The views in the workspace's top directory.
    pub async fn view_names(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = self
            .list_files("")
            .await?
            .into_iter()
            .filter(|e| !e.is_directory)
            .filter_map(|e| e.name.strip_suffix(VIEW_SUFFIX).map(str::to_string))
            .collect();
        names.sort();
        Ok(names)
    }

    /// The entries of one directory of the workspace (not recursive), hidden ones included
    /// as Drill shows them, but not the staging directories of CTAS (Auger's own, removed here
    /// once their CTAS was killed). Only local file systems know owners and permissions.
    pub async fn list_files(&self, path: &str) -> Result<Vec<FileEntry>> {
        let dir = self.resolve(path)?;
        if self.config.writable && self.context.display_prefix == "/" {
            remove_stale_staging(std::path::Path::new(&format!("/{dir}")));
        }
        let prefix = self.object_path(&dir)?;
        let listed = self
            .context
            .store
            .list_with_delimiter(if dir.is_empty() { None } else { Some(&prefix) })
            .await
            .map_err(|e| {
                DataFusionError::Plan(format!(
                    "Cannot list {} in {}: {e}",
                    self.display(&dir),
                    self.qualified_name
                ))
            })?;
        let base = self.location.clone();
        let relative = |full: &str| -> String {
            full.strip_prefix(&base)
                .unwrap_or(full)
                .trim_start_matches('/')
                .to_string()
        };
        let mut out = vec![];
        for p in listed.common_prefixes {
            let name = p.filename().unwrap_or_default().to_string();
            if is_staging_dir(&name) {
                continue;
            }
            out.push(self.entry(&name, relative(p.as_ref()), true, 0, None, &p));
        }
        for meta in listed.objects {
            let name = meta.location.filename().unwrap_or_default().to_string();
            let modified = meta.last_modified.timestamp_millis();
            out.push(self.entry(
                &name,
                relative(meta.location.as_ref()),
                false,
                meta.size,
                Some(modified),
                &meta.location,
            ));
        }
        if out.is_empty() && !dir.is_empty() && !self.is_local_dir(&dir) {
            return Err(DataFusionError::Plan(format!(
                "Directory '{path}' not found in {}: {} does not exist",
                self.qualified_name,
                self.display(&dir)
            )));
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// "; did you mean ..." with the names in the missing path's directory closest to it.
    async fn closest_entries(&self, path: &str) -> String {
        let (dir, wanted) = match path.rsplit_once('/') {
            Some((d, w)) => (d.to_string(), w),
            None => (String::new(), path),
        };
        let Ok(prefix) = object_path(&dir) else {
            return String::new();
        };
        let Ok(listed) = self
            .context
            .store
            .list_with_delimiter(if dir.is_empty() { None } else { Some(&prefix) })
            .await
        else {
            return String::new();
        };
        let names: Vec<String> = listed
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .chain(
                listed
                    .objects
                    .iter()
                    .filter_map(|o| o.location.filename().map(str::to_string)),
            )
            .collect();
        let close = auger_catalog::closest_names(names.iter().map(String::as_str), wanted);
        if close.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = close.iter().map(|n| format!("`{n}`")).collect();
            format!("; did you mean {}?", quoted.join(" or "))
        }
    }

    fn is_local_dir(&self, dir: &str) -> bool {
        self.context.display_prefix == "/" && std::path::Path::new(&format!("/{dir}")).is_dir()
    }

    fn entry(
        &self,
        name: &str,
        relative_path: String,
        is_directory: bool,
        length: u64,
        modified_ms: Option<i64>,
        location: &Path,
    ) -> FileEntry {
        let local = (self.context.display_prefix == "/")
            .then(|| std::fs::symlink_metadata(format!("/{location}")).ok())
            .flatten();
        let (owner, group, permissions, accessed, modified) = match &local {
            Some(m) => (
                user_name(m.uid()),
                group_name(m.gid()),
                permission_string(m.mode(), m.is_dir()),
                m.atime() * 1000 + m.atime_nsec() / 1_000_000,
                m.mtime() * 1000 + m.mtime_nsec() / 1_000_000,
            ),
            None => (
                String::new(),
                String::new(),
                String::new(),
                0,
                modified_ms.unwrap_or(0),
            ),
        };
        FileEntry {
            name: name.to_string(),
            relative_path,
            is_directory,
            length: if is_directory { 0 } else { length },
            owner,
            group,
            permissions,
            access_time_ms: accessed,
            modification_time_ms: modified,
        }
    }
}

/// `rwxr-xr-x` for a Unix mode.
fn permission_string(mode: u32, _is_dir: bool) -> String {
    let bits = [
        (0o400, 'r'),
        (0o200, 'w'),
        (0o100, 'x'),
        (0o040, 'r'),
        (0o020, 'w'),
        (0o010, 'x'),
        (0o004, 'r'),
        (0o002, 'w'),
        (0o001, 'x'),
    ];
    bits.iter()
        .map(|(bit, c)| if mode & bit != 0 { *c } else { '-' })
        .collect()
}

/// A name from /etc/passwd or /etc/group (field 0) for an id (field 2); the number otherwise.
fn id_name(file: &str, id: u32) -> String {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                (fields.get(2) == Some(&id.to_string().as_str())).then(|| fields[0].to_string())
            })
        })
        .unwrap_or_else(|| id.to_string())
}

fn user_name(uid: u32) -> String {
    id_name("/etc/passwd", uid)
}

fn group_name(gid: u32) -> String {
    id_name("/etc/group", gid)
}

/// Joins a table name onto a workspace location, resolving `.` and `..`. Without
/// `allow_outside`, a name that climbs above the workspace gives None.
pub fn resolve_path(location: &str, name: &str, allow_outside: bool) -> Option<String> {
    let mut parts: Vec<&str> = location.split('/').filter(|p| !p.is_empty()).collect();
    let floor = if allow_outside { 0 } else { parts.len() };
    for segment in name.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if parts.len() <= floor {
                    return None;
                }
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

#[async_trait]
impl SchemaProvider for WorkspaceSchema {
    fn table_names(&self) -> Vec<String> {
        // Views are listed by the plugin's async `table_names`; files by SHOW FILES.
        vec![]
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        self.open_table(name, &TableRequest::default())
            .await
            .map(Some)
    }

    fn table_exist(&self, name: &str) -> bool {
        match self.resolve(name) {
            Ok(path) if self.context.display_prefix == "/" => {
                std::path::Path::new(&format!("/{path}")).exists()
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::resolve_path;

    #[test]
    fn paths_stay_inside_the_workspace() {
        assert_eq!(
            resolve_path("data", "a/b.csv", false).as_deref(),
            Some("data/a/b.csv")
        );
        assert_eq!(
            resolve_path("data", "/a.csv", false).as_deref(),
            Some("data/a.csv")
        );
        assert_eq!(
            resolve_path("data", "a/../b.csv", false).as_deref(),
            Some("data/b.csv")
        );
        assert_eq!(resolve_path("data", "../etc/passwd", false), None);
        assert_eq!(resolve_path("data", "../x", true).as_deref(), Some("x"));
        assert_eq!(
            resolve_path("", "/tmp/x.json", false).as_deref(),
            Some("tmp/x.json")
        );
    }
}
