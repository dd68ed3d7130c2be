//! auger-catalog: the namespace.
//!
//! Owns the `StoragePlugin` trait, the registry of configured plugins (each one a DataFusion
//! catalog whose schemas are its workspaces), where Auger keeps its state (`AugerHome`), and
//! case-insensitive name lookup. It does not read files or talk to metastores: storage plugin
//! crates do, and register a `StoragePluginFactory` for their config `type`.

mod home;
mod registry;

pub use auger_common::names::{closest_names, find_case_insensitive};
pub use home::AugerHome;
pub use registry::{
    FileEntry, PluginRegistry, StoragePlugin, StoragePluginFactory, TableRequest, ViewDefinition,
    ViewField,
};

/// Errors of the namespace.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Invalid storage plugin config '{plugin}' ({source_name}): {message}")]
    InvalidConfig {
        plugin: String,
        source_name: String,
        message: String,
    },

    #[error("Unknown storage plugin type '{kind}' in the config of plugin '{plugin}'")]
    UnknownPluginType { plugin: String, kind: String },

    #[error("Cannot use Auger's home directory {path}: {message}")]
    Home { path: String, message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
