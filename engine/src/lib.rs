//! auger-engine: the session and the road from Drill SQL to record batches.
//!
//! Owns the Drill dialect, table name resolution (`plugin.workspace.table`), case-insensitive
//! identifiers, 0-based subscripts, Drill's own statements (`SHOW SCHEMAS`, `USE`), and the
//! built-in storage configuration. It does not read files itself (storage plugins do) and
//! knows nothing of the shell or the network.

mod builtin;
mod ctas;
mod dialect;
mod explain;
mod metadata;
pub use auger_common::display;
mod field_access;
mod functions;
mod identifiers;
mod information_schema;
mod names;
mod output_names;
mod profile;
mod session;
mod set_option;
mod stores;
mod subscript;
mod system;

use std::sync::Arc;

use auger_catalog::{AugerHome, PluginRegistry, StoragePluginFactory};
use auger_common::options::SystemOptions;
use auger_storage_dfs::DfsPluginFactory;

pub use builtin::samples_dir;
pub use dialect::DrillDialect;
pub use names::{SchemaPath, TableName};
pub use session::{QueryOutput, Session};

/// Errors raised while setting the engine up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Catalog(#[from] auger_catalog::Error),
}

/// What every session of a process shares: the home directory and the storage plugins.
pub struct Engine {
    home: AugerHome,
    registry: Arc<PluginRegistry>,
    system_options: Arc<SystemOptions>,
    profiles: Arc<profile::ProfileStore>,
    warnings: Vec<String>,
}

impl Engine {
    /// An engine with the built-in `dfs` plugin (workspaces `root`, `tmp`, `samples`, `pumps`)
    /// and the plugin configs of `$AUGER_HOME/storage/` (one `<name>.json` per plugin; a
    /// `dfs.json` there replaces the built-in one).
    pub fn new(home: AugerHome) -> Result<Self, Error> {
        let inference_cache = home.root().join("cache").join("inference");
        let factories: Vec<Arc<dyn StoragePluginFactory>> =
            vec![Arc::new(DfsPluginFactory::with_cache_dir(inference_cache))];
        let registry = Arc::new(PluginRegistry::new());
        registry.register_config("dfs", &builtin::dfs_config(), &factories, &home)?;
        let mut warnings = registry.load_dir(&home.storage_dir(), &factories, &home);
        let (system_options, problem) = SystemOptions::load(home.root().join("options.json"));
        warnings.extend(problem);
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

    pub fn session(&self) -> Session {
        Session::new(
            Arc::clone(&self.registry),
            Arc::clone(&self.system_options),
            Arc::clone(&self.profiles),
        )
    }
}
