use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use datafusion::catalog::{CatalogProvider, CatalogProviderList};

use crate::{AugerHome, Error, Result};

/// A configured storage plugin: a catalog of workspaces (schemas) under one name.
pub trait StoragePlugin: Debug + Send + Sync {
    /// The name queries use (`dfs`, `hive`, ...), as configured.
    fn name(&self) -> &str;

    /// The config `type` this plugin was made from (`file`, `hive`, ...).
    fn kind(&self) -> &str;

    /// The workspaces, as a DataFusion catalog.
    fn catalog(&self) -> Arc<dyn CatalogProvider>;

    /// The workspace a two-part name (`plugin.table`) or `USE plugin` means.
    fn default_schema(&self) -> String;
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

/// The exact name if present, otherwise the single name equal to `wanted` ignoring case.
pub fn find_case_insensitive<'a>(
    names: impl IntoIterator<Item = &'a str>,
    wanted: &str,
) -> Option<&'a str> {
    let mut folded = None;
    for n in names {
        if n == wanted {
            return Some(n);
        }
        if folded.is_none() && n.eq_ignore_ascii_case(wanted) {
            folded = Some(n);
        }
    }
    folded
}

/// Up to three names closest to `wanted` (edit distance, ignoring case), for "did you mean".
pub fn closest_names<'a>(names: impl IntoIterator<Item = &'a str>, wanted: &str) -> Vec<String> {
    let wanted = wanted.to_lowercase();
    let limit = (wanted.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, String)> = names
        .into_iter()
        .map(|n| (edit_distance(&n.to_lowercase(), &wanted), n.to_string()))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored.dedup();
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_and_suggestions() {
        let names = ["dfs", "Samples", "tmp"];
        assert_eq!(find_case_insensitive(names, "DFS"), Some("dfs"));
        assert_eq!(find_case_insensitive(names, "samples"), Some("Samples"));
        assert_eq!(find_case_insensitive(names, "nope"), None);
        assert_eq!(closest_names(names, "sampels"), vec!["Samples".to_string()]);
        assert!(closest_names(names, "zzzzzzzz").is_empty());
    }
}
