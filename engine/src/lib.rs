//! auger-engine: the session and the road from Drill SQL to record batches.
//!
//! Owns the Drill dialect, table name resolution (`plugin.workspace.table`), case-insensitive
//! identifiers, 0-based subscripts, Drill's own statements (`SHOW SCHEMAS`, `USE`), and the
//! built-in storage configuration. It does not read files itself (storage plugins do) and
//! knows nothing of the shell or the network.

mod builtin;
mod complexity;
mod cooperative;
mod ctas;
mod dialect;
mod explain;
mod metadata;
pub use auger_common::display;
mod field_access;
mod functions;
mod guarded_and;
mod identifiers;
mod information_schema;
mod names;
mod output_names;
mod profile;
mod read_errors;
mod runtime_filter;
mod session;
mod set_option;
mod similar_to;
#[cfg(test)]
mod statement_properties;
mod stores;
mod string_casts;
mod subscript;
mod system;
mod table_sample;

use std::sync::Arc;

use auger_catalog::{AugerHome, PluginRegistry, StoragePluginFactory};
use auger_common::options::{EXEC_MEMORY_MAX, OptionValue, SystemOptions};
use auger_storage_dfs::DfsPluginFactory;
use datafusion::execution::memory_pool::{FairSpillPool, MemoryPool, UnboundedMemoryPool};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};

pub use builtin::samples_dir;
pub use dialect::DrillDialect;
pub use information_schema::{CATALOG, TableListing};
pub use names::{SchemaPath, TableName};
pub use session::{QueryOutput, Session, StatementShape};

/// Errors raised while setting the engine up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Catalog(#[from] auger_catalog::Error),
    #[error("{0}")]
    Options(String),
    #[error("cannot set up query execution: {0}")]
    Runtime(String),
}

/// `exec.memory.max` when it is 0: three quarters of the machine's memory, or of the process's
/// cgroup limit when that is lower, so that sorts, aggregates and joins spill before the
/// system runs out (the embedded shell had no bound at all). None where neither can be read.
fn automatic_memory_limit() -> Option<usize> {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let machine = read("/proc/meminfo").and_then(|text| {
        let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
        kib.checked_mul(1024)
    });
    // cgroup v2, then v1; "max" (or v1's huge number) is no limit.
    let cgroup = read("/sys/fs/cgroup/memory.max")
        .or_else(|| read("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
        .and_then(|text| text.trim().parse::<usize>().ok());
    let total = match (machine, cgroup) {
        (Some(m), Some(c)) => m.min(c),
        (m, c) => m.or(c)?,
    };
    Some(total / 4 * 3)
}

/// What every session of a process shares: the home directory and the storage plugins.
pub struct Engine {
    home: AugerHome,
    registry: Arc<PluginRegistry>,
    system_options: Arc<SystemOptions>,
    profiles: Arc<profile::ProfileStore>,
    runtime: Arc<RuntimeEnv>,
    warnings: Vec<String>,
}

impl Engine {
    /// An engine with the built-in `dfs` plugin (workspaces `root`, `tmp`, `samples`, `pumps`)
    /// and the plugin configs of `$AUGER_HOME/storage/` (one `<name>.json` per plugin; a
    /// `dfs.json` there replaces the built-in one).
    pub fn new(home: AugerHome) -> Result<Self, Error> {
        Self::with_boot_options(home, &[])
    }

    /// As [`Engine::new`], with start-up option values (a server config's `options`) beneath
    /// those of `ALTER SYSTEM`. An unknown option or a bad value is an error.
    pub fn with_boot_options(home: AugerHome, boot: &[(String, String)]) -> Result<Self, Error> {
        let inference_cache = home.root().join("cache").join("inference");
        let factories: Vec<Arc<dyn StoragePluginFactory>> =
            vec![Arc::new(DfsPluginFactory::with_cache_dir(inference_cache))];
        let registry = Arc::new(PluginRegistry::new());
        let tmp_dir = home.private_dir("tmp")?;
        registry.register_config("dfs", &builtin::dfs_config(&tmp_dir), &factories, &home)?;
        let mut warnings = registry.load_dir(&home.storage_dir(), &factories, &home);
        let (mut system_options, problem) = SystemOptions::load(home.root().join("options.json"));
        warnings.extend(problem);
        for (name, value) in boot {
            system_options
                .set_boot(name, value)
                .map_err(Error::Options)?;
        }
        let limit = match system_options.get(EXEC_MEMORY_MAX) {
            Some(OptionValue::Long(n)) if n > 0 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => automatic_memory_limit(),
        };
        let pool: Arc<dyn MemoryPool> = match limit {
            Some(bytes) => Arc::new(FairSpillPool::new(bytes)),
            None => Arc::new(UnboundedMemoryPool::default()),
        };
        let runtime = RuntimeEnvBuilder::new()
            .with_object_store_registry(Arc::new(stores::PluginObjectStores::new(Arc::clone(
                &registry,
            ))))
            .with_memory_pool(pool)
            .build_arc()
            .map_err(|e| Error::Runtime(e.to_string()))?;
        // `sys` is Auger's own: registered last, so no config can take its name.
        let profiles = Arc::new(profile::ProfileStore::new(home.root().join("profiles")));
        registry.register(Arc::new(system::SysPlugin::new(
            Session::function_names(),
            Arc::clone(&profiles),
        )));
        registry.register(Arc::new(information_schema::InformationSchema::new(
            &registry,
        )));
        Ok(Self {
            home,
            registry,
            system_options: Arc::new(system_options),
            profiles,
            runtime,
            warnings,
        })
    }

    /// Problems met while starting (a storage config that could not be used), for the user.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub fn home(&self) -> &AugerHome {
        &self.home
    }

    pub fn registry(&self) -> &Arc<PluginRegistry> {
        &self.registry
    }

    /// A session for the operating system's user (the shell).
    pub fn session(&self) -> Session {
        self.session_for(&profile::os_user())
    }

    /// A session whose queries run as `user` (a server's authenticated user).
    pub fn session_for(&self, user: &str) -> Session {
        Session::new(
            Arc::clone(&self.registry),
            Arc::clone(&self.system_options),
            Arc::clone(&self.profiles),
            Arc::clone(&self.runtime),
            user.to_string(),
        )
    }

    /// Every schema name (`dfs.tmp`), sorted.
    pub fn schema_names(&self) -> Vec<String> {
        information_schema::schema_names(&self.registry)
    }

    /// Every table that schemas list by name, as INFORMATION_SCHEMA.`TABLES` shows them.
    pub async fn tables(&self) -> datafusion::error::Result<Vec<TableListing>> {
        information_schema::table_listings(&self.registry).await
    }

    /// The memory the running queries of this process hold now, in bytes.
    pub fn memory_reserved(&self) -> usize {
        self.runtime.memory_pool.reserved()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_automatic_memory_bound_is_three_quarters_of_the_machine_at_most() {
        let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let Some(total) = text
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<usize>().ok())
        else {
            return;
        };
        let limit = super::automatic_memory_limit();
        assert!(
            limit.is_some_and(|l| l > 0 && l <= total * 1024 / 4 * 3),
            "{limit:?}"
        );
    }
}
